/*
 * Rebalancing a portfolio of ledger accounts, exactly: its valuation in the base
 * currency at mid rates, each holding's weight and drift from its target, and the plan
 * of trades that brings it back — netted through the base currency, so every trade is
 * one conversion between a holding and the portfolio's base holding (sells into it
 * first, then buys out of it: the base account is funded before it pays).
 *
 * Rounding points, each chosen so the plan never asks for more than a holding has or
 * the valuation says: values round down (a holding is worth no more than its mid
 * says), a destination value rounds down, a sell amount (base value → the holding's
 * asset) rounds down, a buy amount rounds down, weights round half-even. What the
 * trades cost (spreads, fees) comes from the quotes that price them (fx_route_find),
 * not from here: the base holding absorbs it.
 */
#include <string.h>

#include "tpw_assert.h"
#include "tpwallet/exchange.h"

#include "banned.h"

#define WEIGHT_ONE_E18 UINT64_C(1000000000000000000)

static enum tpw_err holdings_check(const struct exchange_holding *holdings, size_t count,
                                   size_t base_index, struct tpw_error_detail *detail)
{
    if (count == 0 || count > EXCHANGE_HOLDINGS_MAX || base_index >= count) {
        return tpw_error_set(detail, TPW_ERR_REBALANCE_INVALID, 0,
                             "a portfolio has 1..%d holdings, one of them the base",
                             EXCHANGE_HOLDINGS_MAX);
    }
    uint64_t sum_e18 = 0;
    for (size_t i = 0; i < count; i++) {
        const struct exchange_holding *h = &holdings[i];
        if (h->target_e18 > WEIGHT_ONE_E18 || h->band_e18 > WEIGHT_ONE_E18) {
            return tpw_error_set(detail, TPW_ERR_REBALANCE_INVALID, i,
                                 "holding %zu: a target and a band are weights in [0, 1]", i);
        }
        if (h->to_base.value_e18 == 0) {
            return tpw_error_set(detail, TPW_ERR_RATE_ZERO, i, "holding %zu (%s): no rate", i,
                                 h->asset.code);
        }
        sum_e18 += h->target_e18; /* ≤ 16 × 10^18 < 2^64 */
    }
    if (sum_e18 != WEIGHT_ONE_E18) {
        return tpw_error_set(detail, TPW_ERR_REBALANCE_INVALID, 0,
                             "the targets sum to %llu × 10^-18, not 1",
                             (unsigned long long)sum_e18);
    }
    const struct exchange_holding *base = &holdings[base_index];
    if (base->to_base.value_e18 != WEIGHT_ONE_E18) {
        return tpw_error_set(detail, TPW_ERR_REBALANCE_INVALID, base_index,
                             "the base holding (%s) is valued at 1", base->asset.code);
    }
    return TPW_OK;
}

/* A holding's balance in base minor units at its mid, rounded down. */
static enum tpw_err value_of(const struct exchange_holding *holding, const struct money_asset *base,
                             tpw_u128 *out)
{
    return money_convert(holding->balance_minor, &holding->asset, base, holding->to_base,
                         MONEY_RATE_TO_PER_FROM, MONEY_ROUND_DOWN, out);
}

enum tpw_err exchange_valuation_of(const struct exchange_holding *holdings, size_t count,
                                   size_t base_index, struct exchange_valuation *out,
                                   struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof *out);
    enum tpw_err err = holdings_check(holdings, count, base_index, detail);
    const struct money_asset *base = &holdings[base_index < count ? base_index : 0].asset;
    for (size_t i = 0; err == TPW_OK && i < count; i++) {
        err = value_of(&holdings[i], base, &out->value_minor[i]);
        if (err == TPW_OK && out->value_minor[i] > TPW_U128_MAX - out->total_minor) {
            err = TPW_ERR_OVERFLOW;
        }
        if (err == TPW_OK) {
            out->total_minor += out->value_minor[i];
        } else {
            (void)tpw_error_set(detail, err, i, "holding %zu (%s): its value overflows", i,
                                holdings[i].asset.code);
        }
    }
    for (size_t i = 0; err == TPW_OK && out->total_minor > 0 && i < count; i++) {
        tpw_u128 weight = 0;
        err = money_muldiv(out->value_minor[i], WEIGHT_ONE_E18, out->total_minor,
                           MONEY_ROUND_HALF_EVEN, &weight);
        TPW_ASSERT(err == TPW_OK && weight <= WEIGHT_ONE_E18);
        out->weight_e18[i] = (uint64_t)weight;
        uint64_t target = holdings[i].target_e18;
        uint64_t drift = weight > target ? (uint64_t)weight - target : target - (uint64_t)weight;
        out->drift_e18[i] = drift;
        out->outside_band |= drift > holdings[i].band_e18;
    }
    return err;
}

/* Where holding i should end, in base minor units. */
static tpw_u128 destination(const struct exchange_holding *h, tpw_u128 value, tpw_u128 total,
                            uint64_t weight_e18, enum exchange_destination kind)
{
    uint64_t to_e18 = h->target_e18;
    if (kind == EXCHANGE_TO_BAND_EDGE) {
        uint64_t low = h->target_e18 > h->band_e18 ? h->target_e18 - h->band_e18 : 0;
        uint64_t high = h->target_e18 + h->band_e18; /* ≤ 2 × 10^18 */
        if (weight_e18 >= low && weight_e18 <= high) {
            return value; /* within its band: left alone */
        }
        /* A tenth of the band inside the edge: the trades' costs shrink the total after
         * them, which would otherwise leave a holding moved exactly to its edge just
         * outside it. */
        uint64_t margin = h->band_e18 / 10u;
        high -= margin;
        to_e18 = weight_e18 < low ? low + margin : (high < WEIGHT_ONE_E18 ? high : WEIGHT_ONE_E18);
    }
    tpw_u128 out = 0;
    enum tpw_err err = money_muldiv(total, to_e18, WEIGHT_ONE_E18, MONEY_ROUND_DOWN, &out);
    TPW_ASSERT(err == TPW_OK && out <= total); /* to_e18 ≤ 1 */
    return out;
}

/* The trade that moves holding i by `delta` base units (sells when `sell`). */
static enum tpw_err trade_for(const struct exchange_holding *holdings, size_t i, size_t base_index,
                              tpw_u128 delta, bool sell, struct exchange_trade *out)
{
    const struct exchange_holding *h = &holdings[i];
    tpw_u128 amount = 0;
    enum tpw_err err = money_convert(delta, &holdings[base_index].asset, &h->asset, h->to_base,
                                     MONEY_RATE_FROM_PER_TO, MONEY_ROUND_DOWN, &amount);
    if (sell && err == TPW_OK && amount > h->balance_minor) {
        amount = h->balance_minor; /* the mid's rounding; never more than it holds */
    }
    *out = (struct exchange_trade){
        .from_index = sell ? i : base_index,
        .to_index = sell ? base_index : i,
        .direction = sell ? FX_ROUTE_SELL : FX_ROUTE_BUY,
        .amount_minor = amount,
    };
    return err;
}

enum tpw_err exchange_rebalance_plan(const struct exchange_holding *holdings, size_t count,
                                     size_t base_index, enum exchange_destination kind,
                                     struct exchange_rebalance *out,
                                     struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof *out);
    enum tpw_err err = exchange_valuation_of(holdings, count, base_index, &out->before, detail);
    if (err != TPW_OK || !out->before.outside_band) {
        return err; /* nothing to do inside every band */
    }
    struct exchange_trade buys[EXCHANGE_HOLDINGS_MAX];
    size_t buys_count = 0;
    for (size_t i = 0; err == TPW_OK && i < count; i++) {
        tpw_u128 value = out->before.value_minor[i];
        tpw_u128 want = destination(&holdings[i], value, out->before.total_minor,
                                    out->before.weight_e18[i], kind);
        if (i == base_index || want == value) {
            continue;
        }
        bool sell = want < value;
        struct exchange_trade trade;
        err = trade_for(holdings, i, base_index, sell ? value - want : want - value, sell, &trade);
        if (err != TPW_OK || trade.amount_minor == 0) {
            continue;
        }
        if (sell) {
            out->trades[out->trades_count++] = trade;
        } else {
            buys[buys_count++] = trade;
        }
    }
    if (err != TPW_OK) {
        return tpw_error_set(detail, err, 0, "a trade's amount overflows");
    }
    memcpy(&out->trades[out->trades_count], buys, buys_count * sizeof buys[0]);
    out->trades_count += buys_count;
    return TPW_OK;
}
