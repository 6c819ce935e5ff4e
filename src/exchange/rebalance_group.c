/*
 * A rebalance plan's execution, shared by `tpwallet portfolio rebalance --execute` and
 * POST /v1/portfolios/{id}/rebalance: the plan's trades as the legs of ONE linked group
 * (each trade paid by its holding's account, received by the other's), what the plan
 * does at the prices its routes lock — every balance after, each trade's cost in the
 * base, the valuation after — and a refusal named by the trade it failed on.
 *
 * The outcome is exact and is what the ledger shows after the group: the group moves
 * each holding's account by exactly its quotes' in_minor and out_minor (exchange.h), and
 * the valuation after is exchange_valuation_of at the same mids. Costs are values at the
 * mids, rounded down like every value (rebalance.c), so a cost is the difference of two
 * values each worth no more than its mid says.
 */
#include <stdio.h>
#include <string.h>

#include "tpw_assert.h"
#include "tpwallet/exchange.h"
#include "tpwallet/id.h"

#include "banned.h"

void exchange_rebalance_legs(const struct exchange_rebalance *plan,
                             const struct exchange_holding *holdings,
                             const struct exchange_quote *quotes, struct exchange_group_leg *legs)
{
    TPW_ASSERT(plan->trades_count <= EXCHANGE_HOLDINGS_MAX);
    for (size_t i = 0; i < plan->trades_count; i++) {
        const struct exchange_trade *trade = &plan->trades[i];
        legs[i] = (struct exchange_group_leg){
            .quote = &quotes[i],
            .debit_account_id = holdings[trade->from_index].account_id,
            .credit_account_id = holdings[trade->to_index].account_id,
        };
    }
}

/* `amount` of holding h's asset in base minor units at its mid, rounded down. */
static enum tpw_err base_value(const struct exchange_holding *holdings, size_t h, size_t base_index,
                               tpw_u128 amount, tpw_u128 *out)
{
    return money_convert(amount, &holdings[h].asset, &holdings[base_index].asset,
                         holdings[h].to_base, MONEY_RATE_TO_PER_FROM, MONEY_ROUND_DOWN, out);
}

/* Trade i's payments into the balances after, and its cost. */
static enum tpw_err trade_apply(const struct exchange_holding *holdings, size_t base_index,
                                const struct exchange_trade *trade, const struct fx_route *route,
                                size_t i, struct exchange_rebalance_outcome *out)
{
    tpw_u128 *from = &out->balance_after_minor[trade->from_index];
    tpw_u128 *to = &out->balance_after_minor[trade->to_index];
    if (route->out_minor > TPW_U128_MAX - *to) {
        return TPW_ERR_OVERFLOW;
    }
    *to += route->out_minor;
    enum tpw_err err = base_value(holdings, trade->from_index, base_index, route->in_minor,
                                  &out->paid_value_minor[i]);
    if (err == TPW_OK) {
        err = base_value(holdings, trade->to_index, base_index, route->out_minor,
                         &out->received_value_minor[i]);
    }
    if (err != TPW_OK) {
        return err;
    }
    tpw_u128 paid = out->paid_value_minor[i];
    tpw_u128 received = out->received_value_minor[i];
    out->cost_minor[i] = paid > received ? paid - received : 0;
    if (out->cost_minor[i] > TPW_U128_MAX - out->total_cost_minor) {
        return TPW_ERR_OVERFLOW;
    }
    out->total_cost_minor += out->cost_minor[i];
    /* Debited last: a holding pays from what it holds after every credit of the group
     * (the base is paid by the sells before it pays the buys: sells come first). */
    *from = *from >= route->in_minor ? *from - route->in_minor : TPW_U128_MAX;
    return TPW_OK;
}

/* A holding the group would overdraw: TPW_ERR_EXCHANGE_INSUFFICIENT_FUNDS naming it. */
static enum tpw_err overdrawn(const struct exchange_holding *holdings, size_t count,
                              const struct exchange_rebalance_outcome *out,
                              struct tpw_error_detail *detail)
{
    for (size_t h = 0; h < count; h++) {
        if (out->balance_after_minor[h] == TPW_U128_MAX) {
            return tpw_error_set(detail, TPW_ERR_EXCHANGE_INSUFFICIENT_FUNDS, h,
                                 "holding %zu (%s) would pay more than it holds: the trades "
                                 "cost more than the portfolio can fund",
                                 h, holdings[h].asset.code);
        }
    }
    return TPW_OK;
}

enum tpw_err exchange_rebalance_outcome_of(const struct exchange_holding *holdings, size_t count,
                                           size_t base_index, const struct exchange_rebalance *plan,
                                           const struct fx_route *routes,
                                           struct exchange_rebalance_outcome *out,
                                           struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof *out);
    if (count == 0 || count > EXCHANGE_HOLDINGS_MAX || base_index >= count) {
        return tpw_error_set(detail, TPW_ERR_REBALANCE_INVALID, 0,
                             "a portfolio has 1..%d holdings, one of them the base",
                             EXCHANGE_HOLDINGS_MAX);
    }
    TPW_ASSERT(plan->trades_count <= EXCHANGE_HOLDINGS_MAX);
    for (size_t h = 0; h < count; h++) {
        out->balance_after_minor[h] = holdings[h].balance_minor;
    }
    /* Credits before debits, per holding: a debit below zero is marked TPW_U128_MAX. */
    enum tpw_err err = TPW_OK;
    for (size_t i = 0; err == TPW_OK && i < plan->trades_count; i++) {
        const struct exchange_trade *trade = &plan->trades[i];
        TPW_ASSERT(trade->from_index < count && trade->to_index < count);
        err = trade_apply(holdings, base_index, trade, &routes[i], i, out);
    }
    if (err != TPW_OK) {
        return tpw_error_set(detail, err, 0, "a trade's value overflows");
    }
    err = overdrawn(holdings, count, out, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct exchange_holding after[EXCHANGE_HOLDINGS_MAX];
    memcpy(after, holdings, count * sizeof *after);
    for (size_t h = 0; h < count; h++) {
        after[h].balance_minor = out->balance_after_minor[h];
    }
    return exchange_valuation_of(after, count, base_index, &out->after, detail);
}

void exchange_rebalance_refusal_name(const struct exchange_rebalance *plan,
                                     const struct exchange_holding *holdings, size_t leg,
                                     const char *id_prefix, const char *param,
                                     struct tpw_error_detail *detail)
{
    if (detail == NULL || leg >= plan->trades_count) {
        return;
    }
    char message[TPW_ERROR_MESSAGE_SIZE];
    char account[TPW_ID_TEXT_SIZE];
    const struct exchange_trade *trade = &plan->trades[leg];
    (void)snprintf(message, sizeof message, "%s", detail->message);
    (void)tpw_id_format(holdings[trade->from_index].account_id, id_prefix, account, sizeof account);
    (void)tpw_error_set(detail, detail->code, 0,
                        "trade %zu (%s -> %s, paid by %s): %.100s; nothing was executed", leg + 1,
                        holdings[trade->from_index].asset.code,
                        holdings[trade->to_index].asset.code, account, message);
    tpw_error_set_param(detail, param);
}
