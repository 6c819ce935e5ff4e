/*
 * Conversion of an amount between assets through an exact rate.
 *
 * Both quote sides reduce to one multiply-divide on the exact value, so a conversion
 * has exactly one rounding point, named by the caller. Exponents are at most 18
 * (money_limits.h), which keeps every scale factor below 10^36 < 2^128.
 */
#include "money_int.h"
#include "money_limits.h"
#include "tpw_assert.h"

#include "banned.h"

enum tpw_err money_convert(tpw_u128 amount_minor, const struct money_asset *from,
                           const struct money_asset *to, struct money_rate rate,
                           enum money_quote_side side, enum money_rounding rounding,
                           tpw_u128 *out_minor)
{
    TPW_ASSERT(from->exponent <= MONEY_ASSET_EXPONENT_MAX);
    TPW_ASSERT(to->exponent <= MONEY_ASSET_EXPONENT_MAX);
    if (rate.value_e18 == 0) {
        return TPW_ERR_RATE_ZERO;
    }
    switch (side) {
    case MONEY_RATE_TO_PER_FROM: {
        /* amount × rate / 10^18 is in major units of `to` scaled by 10^from.exp. */
        unsigned scale = (unsigned)MONEY_RATE_SCALE_DIGITS + from->exponent - to->exponent;
        return money_muldiv(amount_minor, rate.value_e18, tpw_u128_pow10(scale), rounding,
                            out_minor);
    }
    case MONEY_RATE_FROM_PER_TO: {
        unsigned scale = (unsigned)MONEY_RATE_SCALE_DIGITS + to->exponent - from->exponent;
        return money_muldiv(amount_minor, tpw_u128_pow10(scale), rate.value_e18, rounding,
                            out_minor);
    }
    }
    return TPW_ERR_INVALID_ARGUMENT;
}
