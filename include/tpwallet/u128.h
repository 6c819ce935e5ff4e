/*
 * 128-bit unsigned integers: the width of every tpwallet amount, rate and identifier.
 *
 * GCC and Clang provide `unsigned __int128`; `__extension__` keeps -Wpedantic quiet
 * about it. There are no 128-bit literals in C, so values beyond 64 bits are built
 * with TPW_U128(hi, lo).
 */
#ifndef TPWALLET_U128_H
#define TPWALLET_U128_H

#include <stddef.h>
#include <stdint.h>

#include "tpwallet/error.h"

__extension__ typedef unsigned __int128 tpw_u128;

#define TPW_U128(hi, lo) ((((tpw_u128)(uint64_t)(hi)) << 64) | (tpw_u128)(uint64_t)(lo))
#define TPW_U128_MAX TPW_U128(UINT64_MAX, UINT64_MAX)

/* Decimal digits of 2^128 - 1 (340282366920938463463374607431768211455). */
#define TPW_U128_DIGITS_MAX 39
/* Enough for any tpw_u128 in decimal plus the terminating NUL. */
#define TPW_U128_DEC_SIZE (TPW_U128_DIGITS_MAX + 1)

/*
 * Writes `value` in decimal (no sign, no leading zeros, "0" for zero) into
 * `buf` of `size` bytes, NUL-terminated. Returns the number of characters written
 * (excluding the NUL), or 0 when `size` is too small (then `buf` holds "").
 */
size_t tpw_u128_to_dec(tpw_u128 value, char *buf, size_t size);

/*
 * Parses a plain decimal integer: one or more ASCII digits, nothing else.
 * Errors: TPW_ERR_DECIMAL_EMPTY, TPW_ERR_DECIMAL_NON_DIGIT (any other character,
 * including signs and spaces), TPW_ERR_DECIMAL_OVERFLOW (more than 2^128 - 1); the
 * text is scanned left to right and the first problem met is reported.
 * `*out` is written only on success.
 */
TPW_MUST_CHECK enum tpw_err tpw_u128_from_dec(const char *text, size_t text_len,
                                              tpw_u128 *out /* out */);

/* 10^exponent for exponent 0..38 (10^38 is the largest power of ten below 2^128). */
#define TPW_U128_POW10_MAX 38
tpw_u128 tpw_u128_pow10(unsigned exponent);

#endif /* TPWALLET_U128_H */
