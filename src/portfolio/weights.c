/*
 * Target weights as exact decimals. A backtest's weights must sum to 1, and with doubles
 * "0.1,0.2,0.7" would not (0.1 + 0.2 + 0.7 is 0.9999999999999999): parsing them as
 * integers scaled by 10^18 with money's decimal parser makes "sums to exactly 1" an
 * exact integer test, with no tolerance to explain.
 */
#include <string.h>

#include "tpw_assert.h"
#include "tpwallet/money.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

_Static_assert(PORTFOLIO_WEIGHT_SCALE_DIGITS <= TPW_U128_POW10_MAX, "money_decimal_parse range");

enum tpw_err portfolio_weight_parse(const char *text, size_t text_len, uint64_t *weight_e18,
                                    struct tpw_error_detail *detail)
{
    *weight_e18 = 0;
    if (text_len > 0 && text[0] == '-') {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_WEIGHT_NEGATIVE, 0,
                             "weight '%.*s' is negative", (int)(text_len > 40 ? 40 : text_len),
                             text);
    }
    tpw_u128 value = 0;
    struct tpw_error_detail decimal;
    tpw_error_detail_reset(&decimal);
    if (money_decimal_parse(text, text_len, PORTFOLIO_WEIGHT_SCALE_DIGITS, &value, &decimal) !=
            TPW_OK ||
        value > PORTFOLIO_WEIGHT_ONE_E18) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_WEIGHT_INVALID, decimal.offset_bytes,
                             "weight '%.*s' is not a decimal from 0 to 1 with at most 18 "
                             "fraction digits",
                             (int)(text_len > 40 ? 40 : text_len), text);
    }
    *weight_e18 = (uint64_t)value;
    TPW_ASSERT(*weight_e18 <= PORTFOLIO_WEIGHT_ONE_E18);
    return TPW_OK;
}

enum tpw_err portfolio_weights_sum_check(uint64_t sum_e18, struct tpw_error_detail *detail)
{
    if (sum_e18 == PORTFOLIO_WEIGHT_ONE_E18) {
        return TPW_OK;
    }
    return tpw_error_set(detail, TPW_ERR_PORTFOLIO_WEIGHTS_SUM, 0,
                         "the weights sum to %llu.%018llu, not exactly 1",
                         (unsigned long long)(sum_e18 / PORTFOLIO_WEIGHT_ONE_E18),
                         (unsigned long long)(sum_e18 % PORTFOLIO_WEIGHT_ONE_E18));
}
