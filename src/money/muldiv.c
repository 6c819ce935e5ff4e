/*
 * Rounding modes and round(a × b / divisor): the one place where the money module
 * loses precision. Every caller names its rounding mode; the decision is made here
 * from the exact quotient and remainder, so no double rounding can occur.
 */
#include <string.h>

#include "money_int.h"
#include "tpw_assert.h"

#include "banned.h"

static const char *const rounding_names[] = {
    [MONEY_ROUND_HALF_EVEN] = "half-even",
    [MONEY_ROUND_HALF_UP] = "half-up",
    [MONEY_ROUND_DOWN] = "down",
    [MONEY_ROUND_UP] = "up",
};

static bool rounding_valid(enum money_rounding rounding)
{
    return rounding >= MONEY_ROUND_HALF_EVEN && rounding <= MONEY_ROUND_UP;
}

const char *money_rounding_name(enum money_rounding rounding)
{
    TPW_ASSERT(rounding_valid(rounding));
    return rounding_names[rounding];
}

enum tpw_err money_rounding_parse(const char *name, enum money_rounding *out)
{
    for (int mode = MONEY_ROUND_HALF_EVEN; mode <= MONEY_ROUND_UP; mode++) {
        if (strcmp(name, rounding_names[mode]) == 0) {
            *out = (enum money_rounding)mode;
            return TPW_OK;
        }
    }
    return TPW_ERR_ROUNDING_UNKNOWN;
}

/* Whether the exact value quotient + remainder/divisor rounds to quotient + 1. */
static bool round_away(tpw_u128 quotient, tpw_u128 remainder, tpw_u128 divisor,
                       enum money_rounding rounding)
{
    TPW_ASSERT(remainder < divisor);
    if (remainder == 0) {
        return false;
    }
    /* remainder vs divisor - remainder compares 2r with d without overflowing. */
    tpw_u128 complement = divisor - remainder;
    switch (rounding) {
    case MONEY_ROUND_DOWN:
        return false;
    case MONEY_ROUND_UP:
        return true;
    case MONEY_ROUND_HALF_UP:
        return remainder >= complement;
    case MONEY_ROUND_HALF_EVEN:
        return remainder > complement || (remainder == complement && (quotient & 1u) != 0);
    }
    TPW_ASSERT(!"unreachable rounding mode");
    return false;
}

enum tpw_err money_muldiv(tpw_u128 a, tpw_u128 b, tpw_u128 divisor, enum money_rounding rounding,
                          tpw_u128 *out)
{
    if (!rounding_valid(rounding)) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    if (divisor == 0) {
        return TPW_ERR_DIVISION_BY_ZERO;
    }
    tpw_u128 quotient;
    tpw_u128 remainder;
    tpw_u128 product;
    if (!__builtin_mul_overflow(a, b, &product)) {
        /* Common case: the product fits, and the native 128-bit division is exact. */
        quotient = product / divisor;
        remainder = product % divisor;
    } else if (!money__u256_divmod(money__u256_mul(a, b), divisor, &quotient, &remainder)) {
        return TPW_ERR_OVERFLOW;
    }
    if (round_away(quotient, remainder, divisor, rounding)) {
        if (quotient == TPW_U128_MAX) {
            return TPW_ERR_OVERFLOW;
        }
        quotient++;
    }
    *out = quotient;
    return TPW_OK;
}
