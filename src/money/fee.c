/*
 * Fees: a fixed part plus a proportional part in basis points, clamped to a minimum
 * and maximum. The proportional part rounds up because the customer pays it
 * (docs/money.md, rounding policy).
 */
#include "money_int.h"
#include "tpw_assert.h"

#include "banned.h"

struct money_fee_schedule money_fee_none(void)
{
    return (struct money_fee_schedule){
        .fixed_minor = 0, .proportional_bps = 0, .min_minor = 0, .max_minor = TPW_U128_MAX};
}

static enum tpw_err fee_schedule_check(const struct money_fee_schedule *schedule,
                                       struct tpw_error_detail *detail)
{
    if (schedule->proportional_bps > MONEY_BPS_ONE) {
        return tpw_error_set(detail, TPW_ERR_FEE_INVALID, 0,
                             "proportional fee of %u bps is above 10000 (100%%)",
                             schedule->proportional_bps);
    }
    if (schedule->min_minor > schedule->max_minor) {
        return tpw_error_set(detail, TPW_ERR_FEE_INVALID, 0,
                             "minimum fee is larger than the maximum fee");
    }
    return TPW_OK;
}

enum tpw_err money_fee_compute(const struct money_fee_schedule *schedule, tpw_u128 amount_minor,
                               tpw_u128 *fee_minor, struct tpw_error_detail *detail)
{
    enum tpw_err err = fee_schedule_check(schedule, detail);
    if (err != TPW_OK) {
        return err;
    }
    tpw_u128 proportional;
    err = money_muldiv(amount_minor, schedule->proportional_bps, MONEY_BPS_ONE, MONEY_ROUND_UP,
                       &proportional);
    /* bps ≤ 10000 means the proportional part never exceeds the amount. */
    TPW_ASSERT(err == TPW_OK);
    TPW_ASSERT(proportional <= amount_minor);
    tpw_u128 fee;
    if (money_amount_add(schedule->fixed_minor, proportional, &fee) != TPW_OK) {
        return tpw_error_set(detail, TPW_ERR_OVERFLOW, 0, "fee is larger than 2^128-1");
    }
    if (fee < schedule->min_minor) {
        fee = schedule->min_minor;
    }
    if (fee > schedule->max_minor) {
        fee = schedule->max_minor;
    }
    *fee_minor = fee;
    return TPW_OK;
}
