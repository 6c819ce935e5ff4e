/*
 * Decimal text for 128-bit integers and the power-of-ten table.
 *
 * printf has no conversion for unsigned __int128, and strtoull stops at 64 bits, so
 * tpwallet carries its own: formatting by repeated division in two 19-digit chunks,
 * and parsing with checked multiply-add that reports overflow instead of wrapping.
 */
#include "tpwallet/u128.h"

#include <string.h>

#include "tpw_assert.h"

#include "banned.h"

#define E19_U64 UINT64_C(10000000000000000000)
#define E19 ((tpw_u128)E19_U64)

static const tpw_u128 pow10_table[TPW_U128_POW10_MAX + 1] = {
    UINT64_C(1),
    UINT64_C(10),
    UINT64_C(100),
    UINT64_C(1000),
    UINT64_C(10000),
    UINT64_C(100000),
    UINT64_C(1000000),
    UINT64_C(10000000),
    UINT64_C(100000000),
    UINT64_C(1000000000),
    UINT64_C(10000000000),
    UINT64_C(100000000000),
    UINT64_C(1000000000000),
    UINT64_C(10000000000000),
    UINT64_C(100000000000000),
    UINT64_C(1000000000000000),
    UINT64_C(10000000000000000),
    UINT64_C(100000000000000000),
    UINT64_C(1000000000000000000),
    E19,
    E19 *UINT64_C(10),
    E19 *UINT64_C(100),
    E19 *UINT64_C(1000),
    E19 *UINT64_C(10000),
    E19 *UINT64_C(100000),
    E19 *UINT64_C(1000000),
    E19 *UINT64_C(10000000),
    E19 *UINT64_C(100000000),
    E19 *UINT64_C(1000000000),
    E19 *UINT64_C(10000000000),
    E19 *UINT64_C(100000000000),
    E19 *UINT64_C(1000000000000),
    E19 *UINT64_C(10000000000000),
    E19 *UINT64_C(100000000000000),
    E19 *UINT64_C(1000000000000000),
    E19 *UINT64_C(10000000000000000),
    E19 *UINT64_C(100000000000000000),
    E19 *UINT64_C(1000000000000000000),
    (tpw_u128)E19 *E19,
};

tpw_u128 tpw_u128_pow10(unsigned exponent)
{
    TPW_ASSERT(exponent <= TPW_U128_POW10_MAX);
    return pow10_table[exponent];
}

size_t tpw_u128_to_dec(tpw_u128 value, char *buf, size_t size)
{
    /* Digits are produced from the right. Above 2^64, peel off 19-digit chunks with
     * one 128-bit division each; the rest runs on 64-bit arithmetic. */
    char digits[TPW_U128_DIGITS_MAX];
    size_t first = sizeof(digits);
    while (value > UINT64_MAX) {
        uint64_t chunk = (uint64_t)(value % E19_U64);
        value /= E19_U64;
        for (int count = 0; count < 19; count++) {
            digits[--first] = (char)('0' + chunk % 10);
            chunk /= 10;
        }
    }
    uint64_t rest = (uint64_t)value;
    do {
        digits[--first] = (char)('0' + rest % 10);
        rest /= 10;
    } while (rest != 0);
    TPW_ASSERT(first < sizeof(digits));
    size_t length = sizeof(digits) - first;
    if (size < length + 1) {
        if (size > 0) {
            buf[0] = '\0';
        }
        return 0;
    }
    memcpy(buf, digits + first, length);
    buf[length] = '\0';
    return length;
}

enum tpw_err tpw_u128_from_dec(const char *text, size_t text_len, tpw_u128 *out)
{
    if (text_len == 0) {
        return TPW_ERR_DECIMAL_EMPTY;
    }
    tpw_u128 value = 0;
    for (size_t index = 0; index < text_len; index++) {
        char c = text[index];
        if (c < '0' || c > '9') {
            return TPW_ERR_DECIMAL_NON_DIGIT;
        }
        if (__builtin_mul_overflow(value, 10u, &value) ||
            __builtin_add_overflow(value, (unsigned)(c - '0'), &value)) {
            return TPW_ERR_DECIMAL_OVERFLOW;
        }
    }
    *out = value;
    return TPW_OK;
}
