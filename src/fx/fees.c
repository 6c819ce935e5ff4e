/*
 * Fees per corridor and tier: which schedule applies to a leg's input, the fee it
 * charges, the least input that nets a given amount, and the checks that make a larger
 * input never net less. The route search's exactness rests on that last property
 * (route.c), so the tier table is refused at graph build when it does not hold.
 *
 * Rounding points here: the proportional part of a fee rounds up (money_fee_compute:
 * the customer pays it); the least input for a net amount is an exact integer bound, no
 * rounding beyond the ceiling that inverts the fee's own round-up.
 */
#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

/* The tier whose threshold is the highest one ≤ amount (thresholds ascend, tier 0 is 0). */
static const struct money_fee_schedule *fee_schedule_for(const struct fx_fee_tiers *tiers,
                                                         tpw_u128 amount_minor)
{
    TPW_ASSERT(tiers->tier_count >= 1 && tiers->tier_count <= FX_FEE_TIERS_MAX);
    uint32_t chosen = 0;
    for (uint32_t index = 1; index < tiers->tier_count; index++) {
        if (tiers->tier[index].threshold_minor > amount_minor) {
            break;
        }
        chosen = index;
    }
    return &tiers->tier[chosen].schedule;
}

static tpw_u128 schedule_fee(const struct money_fee_schedule *schedule, tpw_u128 amount_minor)
{
    tpw_u128 fee_minor = 0;
    /* fx__fee_tiers_check computed this schedule's fee at 2^128-1 without error, and the
     * uncapped fee only grows with the amount, so no smaller amount can fail. */
    enum tpw_err err = money_fee_compute(schedule, amount_minor, &fee_minor, NULL);
    TPW_ASSERT(err == TPW_OK);
    return fee_minor;
}

tpw_u128 fx__fee(const struct fx_fee_tiers *tiers, tpw_u128 amount_minor)
{
    if (tiers->tier_count == 0) {
        return 0;
    }
    return schedule_fee(fee_schedule_for(tiers, amount_minor), amount_minor);
}

static enum tpw_err tier_invalid(struct tpw_error_detail *detail, uint32_t index, const char *why)
{
    return tpw_error_set(detail, TPW_ERR_FX_FEE_TIERS_INVALID, index, "fee tier %u: %s", index,
                         why);
}

enum tpw_err fx__fee_tiers_check(const struct fx_fee_tiers *tiers, struct tpw_error_detail *detail)
{
    if (tiers->tier_count > FX_FEE_TIERS_MAX) {
        return tier_invalid(detail, tiers->tier_count, "more tiers than FX_FEE_TIERS_MAX");
    }
    for (uint32_t index = 0; index < tiers->tier_count; index++) {
        const struct fx_fee_tier *tier = &tiers->tier[index];
        tpw_u128 fee_minor = 0;
        /* Valid bps and min ≤ max, and a representable fee for the largest amount. */
        if (money_fee_compute(&tier->schedule, TPW_U128_MAX, &fee_minor, NULL) != TPW_OK) {
            return tier_invalid(detail, index,
                                "the schedule is invalid or its fee can exceed 2^128-1");
        }
        if (index == 0) {
            if (tier->threshold_minor != 0) {
                return tier_invalid(detail, index, "the first threshold must be 0");
            }
            continue;
        }
        const struct fx_fee_tier *below = &tiers->tier[index - 1];
        if (tier->threshold_minor <= below->threshold_minor) {
            return tier_invalid(detail, index, "thresholds must ascend strictly");
        }
        /* net(t) ≥ net(t − 1)  ⟺  fee(t) ≤ fee_below(t − 1) + 1 (see the header). */
        tpw_u128 fee_at = schedule_fee(&tier->schedule, tier->threshold_minor);
        tpw_u128 fee_before = schedule_fee(&below->schedule, tier->threshold_minor - 1);
        if (fee_before != TPW_U128_MAX && fee_at > fee_before + 1) {
            return tier_invalid(detail, index,
                                "a larger amount would net less (the fee rises by more than "
                                "one minor unit at the threshold)");
        }
    }
    return TPW_OK;
}

/* a + b, or false when it exceeds 2^128-1. */
static bool add_fits(tpw_u128 a, tpw_u128 b, tpw_u128 *sum)
{
    return !__builtin_add_overflow(a, b, sum);
}

/*
 * The least input of one schedule netting `net_minor`. With u(in) = fixed +
 * ceil(in × bps / 10000) the fee is max(min, min(u, max)), so
 *   in − fee ≥ n  ⟺  in ≥ n + min  and  (in − u(in) ≥ n  or  in ≥ n + max),
 * and in − u(in) = floor(in × (10000 − bps) / 10000) − fixed, so in − u(in) ≥ n ⟺
 * in ≥ ceil((n + fixed) × 10000 / (10000 − bps)). Each bound is computed exactly; one
 * above 2^128-1 means no such input.
 */
static bool schedule_input_for_net(const struct money_fee_schedule *schedule, tpw_u128 net_minor,
                                   tpw_u128 *in_minor)
{
    tpw_u128 floor_min = 0;
    if (!add_fits(net_minor, schedule->min_minor, &floor_min)) {
        return false;
    }
    tpw_u128 by_cap = 0;
    bool cap_fits = add_fits(net_minor, schedule->max_minor, &by_cap);
    tpw_u128 by_rate = 0;
    tpw_u128 wanted = 0;
    bool rate_fits = schedule->proportional_bps < MONEY_BPS_ONE &&
                     add_fits(net_minor, schedule->fixed_minor, &wanted) &&
                     money_muldiv(wanted, MONEY_BPS_ONE, MONEY_BPS_ONE - schedule->proportional_bps,
                                  MONEY_ROUND_UP, &by_rate) == TPW_OK;
    if (!cap_fits && !rate_fits) {
        return false;
    }
    tpw_u128 either = !cap_fits          ? by_rate
                      : !rate_fits       ? by_cap
                      : by_rate < by_cap ? by_rate
                                         : by_cap;
    *in_minor = either > floor_min ? either : floor_min;
    return true;
}

bool fx__fee_input_for_net(const struct fx_fee_tiers *tiers, tpw_u128 net_minor, tpw_u128 *in_minor)
{
    if (tiers->tier_count == 0) {
        *in_minor = net_minor;
        return true;
    }
    /* Tiers ascend, so the first tier holding an answer inside its own band holds the
     * least one. */
    for (uint32_t index = 0; index < tiers->tier_count; index++) {
        tpw_u128 candidate = 0;
        if (!schedule_input_for_net(&tiers->tier[index].schedule, net_minor, &candidate)) {
            continue;
        }
        tpw_u128 start = tiers->tier[index].threshold_minor;
        if (candidate < start) {
            candidate = start;
        }
        bool last = index + 1 == tiers->tier_count;
        if (last || candidate < tiers->tier[index + 1].threshold_minor) {
            TPW_DEBUG_ASSERT(fx__fee(tiers, candidate) <= candidate &&
                             candidate - fx__fee(tiers, candidate) >= net_minor);
            *in_minor = candidate;
            return true;
        }
    }
    return false;
}
