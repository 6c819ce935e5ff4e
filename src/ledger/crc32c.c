/*
 * CRC32C for the journal (see crc32c.h): a portable slicing-by-8 implementation and,
 * on x86-64, one on the SSE4.2 crc32 instruction, picked once at start-up.
 *
 * Slicing-by-8 keeps eight 256-entry tables: table[k][b] is the CRC register after
 * feeding byte b followed by k zero bytes, so eight input bytes fold into the register
 * with eight independent lookups instead of eight dependent ones. The tables are
 * computed at load time (a constructor) rather than written out as 2048 literals.
 */
#include "crc32c.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include "tpw_assert.h"

#include "banned.h"

#define CRC32C_POLY_REFLECTED 0x82F63B78u
#define CRC32C_SLICES 8

static uint32_t crc32c_table[CRC32C_SLICES][256];
static bool crc32c_ready;
static bool crc32c_use_hardware;

__attribute__((constructor)) static void crc32c_init(void)
{
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ ((crc & 1u) != 0 ? CRC32C_POLY_REFLECTED : 0u);
        }
        crc32c_table[0][byte] = crc;
    }
    /* One more zero byte through the register for each further slice. */
    for (uint32_t byte = 0; byte < 256; byte++) {
        for (size_t slice = 1; slice < CRC32C_SLICES; slice++) {
            uint32_t prev = crc32c_table[slice - 1][byte];
            crc32c_table[slice][byte] = (prev >> 8) ^ crc32c_table[0][prev & 0xFFu];
        }
    }
#if defined(__x86_64__)
    /* Constructors may run before the compiler's own CPU detection. */
    __builtin_cpu_init();
    crc32c_use_hardware = __builtin_cpu_supports("sse4.2") != 0;
#endif
    crc32c_ready = true;
}

static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t ledger__crc32c_portable(uint32_t crc, const void *data, size_t len)
{
    TPW_ASSERT(crc32c_ready);
    const uint8_t *p = data;
    uint32_t reg = ~crc;
    /* Single bytes until p is 8-byte aligned, so the main loop reads whole words. */
    while (len > 0 && ((uintptr_t)p & 7u) != 0) {
        reg = (reg >> 8) ^ crc32c_table[0][(reg ^ *p) & 0xFFu];
        p++;
        len--;
    }
    while (len >= 8) {
        uint32_t lo = load_le32(p) ^ reg;
        uint32_t hi = load_le32(p + 4);
        reg = crc32c_table[7][lo & 0xFFu] ^ crc32c_table[6][(lo >> 8) & 0xFFu] ^
              crc32c_table[5][(lo >> 16) & 0xFFu] ^ crc32c_table[4][lo >> 24] ^
              crc32c_table[3][hi & 0xFFu] ^ crc32c_table[2][(hi >> 8) & 0xFFu] ^
              crc32c_table[1][(hi >> 16) & 0xFFu] ^ crc32c_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len > 0) {
        reg = (reg >> 8) ^ crc32c_table[0][(reg ^ *p) & 0xFFu];
        p++;
        len--;
    }
    return ~reg;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p,
                                                               size_t len)
{
    uint32_t reg = ~crc;
    while (len > 0 && ((uintptr_t)p & 7u) != 0) {
        reg = _mm_crc32_u8(reg, *p);
        p++;
        len--;
    }
    /* The crc32 instruction takes the register in the low 32 bits and leaves the upper
     * 32 bits of its 64-bit result zero, so the narrowing below loses nothing. */
    uint64_t reg64 = reg;
    while (len >= 8) {
        uint64_t word = 0;
        memcpy(&word, p, sizeof(word));
        reg64 = _mm_crc32_u64(reg64, word);
        p += 8;
        len -= 8;
    }
    reg = (uint32_t)reg64;
    while (len > 0) {
        reg = _mm_crc32_u8(reg, *p);
        p++;
        len--;
    }
    return ~reg;
}
#endif

bool ledger__crc32c_hardware_available(void)
{
    TPW_ASSERT(crc32c_ready);
    return crc32c_use_hardware;
}

uint32_t ledger__crc32c_hardware(uint32_t crc, const void *data, size_t len)
{
    TPW_ASSERT(ledger__crc32c_hardware_available());
#if defined(__x86_64__)
    return crc32c_sse42(crc, data, len);
#else
    return ledger__crc32c_portable(crc, data, len);
#endif
}

uint32_t ledger__crc32c(uint32_t crc, const void *data, size_t len)
{
#if defined(__x86_64__)
    if (crc32c_use_hardware) {
        return crc32c_sse42(crc, data, len);
    }
#endif
    return ledger__crc32c_portable(crc, data, len);
}
