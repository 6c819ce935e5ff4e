/*
 * CRC32C (Castagnoli; reflected polynomial 0x82F63B78), the checksum of every journal
 * record and segment header (internal to src/ledger).
 *
 * ledger__crc32c() uses the SSE4.2 crc32 instruction when the CPU has it (x86-64,
 * chosen once at start-up) and a portable slicing-by-8 table otherwise; both give the
 * same result for every input.
 *
 * Semantics are those of zlib's crc32(): the initial value and the final xor with
 * 0xFFFFFFFF happen inside the call, so
 *   ledger__crc32c(0, "123456789", 9) == 0xE3069283 (the standard check value),
 * and a checksum over pieces chains by passing the previous result back in:
 *   ledger__crc32c(ledger__crc32c(0, a, a_len), b, b_len) == crc32c of a followed by b.
 * Start a new checksum with 0. `data` may be NULL when `len` is 0.
 */
#ifndef LEDGER_CRC32C_H
#define LEDGER_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t ledger__crc32c(uint32_t crc, const void *data, size_t len);

/* The two implementations, for tests and benchmarks. ledger__crc32c_hardware() may be
 * called only when ledger__crc32c_hardware_available() is true. */
uint32_t ledger__crc32c_portable(uint32_t crc, const void *data, size_t len);
uint32_t ledger__crc32c_hardware(uint32_t crc, const void *data, size_t len);
bool ledger__crc32c_hardware_available(void);

#endif /* LEDGER_CRC32C_H */
