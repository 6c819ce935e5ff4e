/*
 * The monitor's exact measures (integers only; the monitor hands them to the quant
 * module's detectors afterwards): the order-flow imbalance of one top-of-book change,
 * signed 128-bit sums, the mid's return in bps between two intervals.
 *
 * Order-flow imbalance follows Cont, Kukanov and Stoikov (2014, "The price impact of
 * order book events"): with the best bid b (size qb) and ask a (size qa) before a
 * change and b', qb', a', qa' after it, the change contributes
 *   e = [b' ≥ b]·qb' − [b' ≤ b]·qb − [a' ≤ a]·qa' + [a' ≥ a]·qa
 * — bids that grow or step up and asks that shrink or step away count as buying
 * pressure — and an interval's OFI is the sum of its changes, in base units.
 */
#include "measures.h"
#include "tpw_assert.h"
#include "tpwallet/money.h"

#include "banned.h"

void market__top_read(const struct market_book *book, struct market__top *out)
{
    out->valid = market_book_level(book, MARKET_BID, 0, &out->bid) &&
                 market_book_level(book, MARKET_ASK, 0, &out->ask);
}

market__i128 market__ofi_step(const struct market__top *before, const struct market__top *after)
{
    TPW_ASSERT(before->valid && after->valid);
    market__i128 step = 0;
    if (after->bid.price_minor >= before->bid.price_minor) {
        step += (market__i128)after->bid.qty_minor;
    }
    if (after->bid.price_minor <= before->bid.price_minor) {
        step -= (market__i128)before->bid.qty_minor;
    }
    if (after->ask.price_minor <= before->ask.price_minor) {
        step -= (market__i128)after->ask.qty_minor;
    }
    if (after->ask.price_minor >= before->ask.price_minor) {
        step += (market__i128)before->ask.qty_minor;
    }
    return step; /* four terms below 2^64 each: no overflow */
}

bool market__i128_add(market__i128 *sum, market__i128 value)
{
    market__i128 result = 0;
    if (__builtin_add_overflow(*sum, value, &result)) {
        return false;
    }
    *sum = result;
    return true;
}

struct market_decimal market__decimal_of_i128(market__i128 value, unsigned exponent)
{
    /* −(value + 1) + 1 keeps the most negative value from overflowing. */
    tpw_u128 units = value < 0 ? (tpw_u128)(-(value + 1)) + 1 : (tpw_u128)value;
    struct market_decimal decimal = {units, exponent, value < 0};
    return decimal;
}

enum tpw_err market__mid_return_bps(tpw_u128 sum_before, tpw_u128 sum_after,
                                    struct market_decimal *out)
{
    if (sum_before == 0) {
        return TPW_ERR_DIVISION_BY_ZERO;
    }
    /* (mid' − mid) / mid × 10^4 = (S' − S) × 10^4 / S with S = bid + ask, at 10^-7. */
    bool down = sum_after < sum_before;
    tpw_u128 change = down ? sum_before - sum_after : sum_after - sum_before;
    tpw_u128 units = 0;
    enum tpw_err err = money_muldiv(change, (tpw_u128)MARKET_BPS_ONE * 10000000u, sum_before,
                                    MONEY_ROUND_HALF_UP, &units);
    if (err != TPW_OK) {
        return err;
    }
    out->units = units;
    out->exponent = MARKET_RATIO_EXPONENT;
    out->negative = down && units != 0;
    return TPW_OK;
}
