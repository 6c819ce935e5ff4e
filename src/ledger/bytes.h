/*
 * Fixed byte orders for what the ledger writes to disk (internal to src/ledger):
 * little-endian fields in journal records, store values and the state hash's
 * serialization; big-endian keys in the store, so that LMDB's byte order is numeric
 * order. Written with shifts, so the encoding never depends on the host; compilers
 * turn them into plain loads and stores (plus a byte swap for big-endian).
 */
#ifndef LEDGER_BYTES_H
#define LEDGER_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/u128.h"

static inline uint16_t bytes_le16_load(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t bytes_le32_load(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t bytes_le64_load(const uint8_t *p)
{
    return (uint64_t)bytes_le32_load(p) | (uint64_t)bytes_le32_load(p + 4) << 32;
}

static inline tpw_u128 bytes_le128_load(const uint8_t *p)
{
    return TPW_U128(bytes_le64_load(p + 8), bytes_le64_load(p));
}

static inline void bytes_le16_store(uint8_t *p, uint16_t value)
{
    p[0] = (uint8_t)value;
    p[1] = (uint8_t)(value >> 8);
}

static inline void bytes_le32_store(uint8_t *p, uint32_t value)
{
    for (unsigned index = 0; index < 4; index++) {
        p[index] = (uint8_t)(value >> (8 * index));
    }
}

static inline void bytes_le64_store(uint8_t *p, uint64_t value)
{
    bytes_le32_store(p, (uint32_t)value);
    bytes_le32_store(p + 4, (uint32_t)(value >> 32));
}

static inline void bytes_le128_store(uint8_t *p, tpw_u128 value)
{
    bytes_le64_store(p, (uint64_t)value);
    bytes_le64_store(p + 8, (uint64_t)(value >> 64));
}

static inline uint32_t bytes_be32_load(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t bytes_be64_load(const uint8_t *p)
{
    return (uint64_t)bytes_be32_load(p) << 32 | (uint64_t)bytes_be32_load(p + 4);
}

static inline tpw_u128 bytes_be128_load(const uint8_t *p)
{
    return TPW_U128(bytes_be64_load(p), bytes_be64_load(p + 8));
}

static inline void bytes_be32_store(uint8_t *p, uint32_t value)
{
    for (unsigned index = 0; index < 4; index++) {
        p[index] = (uint8_t)(value >> (8 * (3 - index)));
    }
}

static inline void bytes_be64_store(uint8_t *p, uint64_t value)
{
    bytes_be32_store(p, (uint32_t)(value >> 32));
    bytes_be32_store(p + 4, (uint32_t)value);
}

static inline void bytes_be128_store(uint8_t *p, tpw_u128 value)
{
    bytes_be64_store(p, (uint64_t)(value >> 64));
    bytes_be64_store(p + 8, (uint64_t)value);
}

/* Whether all `length` bytes at `p` are zero (padding, reserved space). */
static inline bool bytes_zero(const uint8_t *p, size_t length)
{
    for (size_t index = 0; index < length; index++) {
        if (p[index] != 0) {
            return false;
        }
    }
    return true;
}

#endif /* LEDGER_BYTES_H */
