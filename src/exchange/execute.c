/*
 * A locked quote as one linked group of ledger transfers, and what the ledger's
 * results for the group mean (exchange.h has the group's shape). Linked, the group is
 * applied whole or not at all, so a refusal anywhere leaves every balance as it was.
 */
#include <string.h>

#include "tpw_assert.h"
#include "tpwallet/exchange.h"

#include "banned.h"

static struct ledger_transfer leg_transfer(const struct exchange_quote *quote, size_t index,
                                           tpw_u128 debit, tpw_u128 credit, tpw_u128 amount,
                                           uint32_t asset)
{
    TPW_ASSERT(index < EXCHANGE_TRANSFERS_MAX);
    TPW_ASSERT(amount > 0);
    return (struct ledger_transfer){
        .id = quote->id | (tpw_u128)index,
        .debit_account_id = debit,
        .credit_account_id = credit,
        .amount = amount,
        .user_data = quote->id,
        .asset = asset,
        .code = EXCHANGE_TRANSFER_CODE,
        .flags = LEDGER_TRANSFER_LINKED,
    };
}

size_t exchange_quote_transfers(const struct exchange_quote *quote, tpw_u128 debit_account_id,
                                tpw_u128 credit_account_id,
                                struct ledger_transfer out[EXCHANGE_TRANSFERS_MAX])
{
    const struct fx_route *route = &quote->route;
    TPW_ASSERT(route->leg_count >= 1 && route->leg_count <= FX_ROUTE_LEGS_MAX);
    TPW_ASSERT((quote->id & 7u) == 0);
    const struct fx_leg *first = &route->legs[0];
    uint32_t from = quote->assets[0];
    size_t count = 0;
    out[count] = leg_transfer(quote, count, debit_account_id, exchange_pool_account_id(from),
                              first->in_minor - first->fee_minor, from);
    count++;
    if (first->fee_minor > 0) {
        out[count] = leg_transfer(quote, count, debit_account_id, exchange_fee_account_id(from),
                                  first->fee_minor, from);
        count++;
    }
    /* A later leg's fee is earned in its input currency, out of the house's pool. */
    for (size_t k = 1; k < route->leg_count; k++) {
        const struct fx_leg *leg = &route->legs[k];
        uint32_t asset = quote->assets[k];
        if (leg->fee_minor > 0) {
            out[count] = leg_transfer(quote, count, exchange_pool_account_id(asset),
                                      exchange_fee_account_id(asset), leg->fee_minor, asset);
            count++;
        }
    }
    uint32_t to = quote->assets[route->leg_count];
    out[count] = leg_transfer(quote, count, exchange_pool_account_id(to), credit_account_id,
                              route->out_minor, to);
    out[count].flags = 0; /* closes the chain */
    return count + 1;
}

size_t exchange_group_transfers(const struct exchange_group_leg *legs, size_t legs_count,
                                struct ledger_transfer *out, size_t max)
{
    size_t count = 0;
    for (size_t i = 0; i < legs_count; i++) {
        if (max - count < EXCHANGE_TRANSFERS_MAX) {
            return 0;
        }
        size_t added = exchange_quote_transfers(legs[i].quote, legs[i].debit_account_id,
                                                legs[i].credit_account_id, &out[count]);
        /* Each quote's last transfer closed its own chain: the group goes on past it. */
        out[count + added - 1].flags = LEDGER_TRANSFER_LINKED;
        count += added;
    }
    if (count > 0) {
        out[count - 1].flags = 0; /* closes the group */
    }
    return count;
}

/* The refusal that failed the chain: the first result that is not the echo of it. */
static size_t first_cause(const enum ledger_transfer_result *results, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (results[i] != LEDGER_TRANSFER_LINKED_EVENT_FAILED) {
            return i;
        }
    }
    return 0;
}

static bool all_are(const enum ledger_transfer_result *results, size_t count,
                    enum ledger_transfer_result result)
{
    for (size_t i = 0; i < count; i++) {
        if (results[i] != result) {
            return false;
        }
    }
    return true;
}

/* The results that pin a transfer's id (docs/ledger.md: from debit_account_not_found to
 * the end of the list), so a retry with the same ids would get id_already_failed. */
static bool pins(enum ledger_transfer_result result)
{
    return result >= LEDGER_TRANSFER_DEBIT_ACCOUNT_NOT_FOUND;
}

/* Every transfer applied now (err TPW_OK) or before (quote_used): true, with *err. */
static bool settled(const enum ledger_transfer_result *results, size_t count, enum tpw_err *err,
                    struct tpw_error_detail *detail)
{
    if (all_are(results, count, LEDGER_TRANSFER_OK)) {
        *err = TPW_OK;
        return true;
    }
    if (all_are(results, count, LEDGER_TRANSFER_EXISTS)) {
        *err = tpw_error_set(detail, TPW_ERR_EXCHANGE_QUOTE_USED, 0,
                             "the quote has been executed already");
        return true;
    }
    return false;
}

/* The transfer that failed the chain (*at), and whether its refusal spends the quotes. */
static bool refusal_at(const enum ledger_transfer_result *results, size_t count, size_t *at)
{
    *at = first_cause(results, count);
    return pins(results[*at]) || results[*at] == LEDGER_TRANSFER_ID_ALREADY_FAILED;
}

static enum tpw_err cause_error(const enum ledger_transfer_result *results, size_t count, size_t at,
                                struct tpw_error_detail *detail)
{
    enum ledger_transfer_result cause = results[at];
    switch (cause) {
    case LEDGER_TRANSFER_EXCEEDS_CREDITS:
        if (at <= 1) { /* the customer's debits; a house pool has no limit */
            tpw_error_set_param(detail, "debit_account_id");
            return tpw_error_set(detail, TPW_ERR_EXCHANGE_INSUFFICIENT_FUNDS, at,
                                 "the debit account cannot pay the quote's amount");
        }
        break;
    case LEDGER_TRANSFER_DEBIT_ACCOUNT_NOT_FOUND:
    case LEDGER_TRANSFER_CREDIT_ACCOUNT_NOT_FOUND: {
        bool debit = cause == LEDGER_TRANSFER_DEBIT_ACCOUNT_NOT_FOUND;
        tpw_error_set_param(detail, debit ? "debit_account_id" : "credit_account_id");
        return tpw_error_set(detail, TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND, at, "%s not found",
                             debit ? "the debit account" : "the credit account");
    }
    case LEDGER_TRANSFER_TRANSFER_MUST_HAVE_THE_SAME_ASSET_AS_ACCOUNTS:
    case LEDGER_TRANSFER_ACCOUNTS_MUST_HAVE_THE_SAME_ASSET: {
        bool debit = at + 1 < count;
        tpw_error_set_param(detail, debit ? "debit_account_id" : "credit_account_id");
        return tpw_error_set(detail, TPW_ERR_EXCHANGE_ACCOUNT_ASSET, at,
                             "the %s account holds another asset than the quote's %s",
                             debit ? "debit" : "credit", debit ? "source" : "target");
    }
    case LEDGER_TRANSFER_ID_ALREADY_FAILED:
        return tpw_error_set(detail, TPW_ERR_EXCHANGE_QUOTE_USED, at,
                             "the quote was refused before: ask for a new one");
    default:
        break;
    }
    return tpw_error_set(detail, TPW_ERR_EXCHANGE_REFUSED, at, "transfer %zu of the group: %s", at,
                         ledger_transfer_result_name(cause));
}

enum tpw_err exchange_results_check(const enum ledger_transfer_result *results, size_t count,
                                    bool *spent, struct tpw_error_detail *detail)
{
    TPW_ASSERT(count >= 2 && count <= EXCHANGE_TRANSFERS_MAX);
    size_t at = 0;
    enum tpw_err err = TPW_OK;
    if (settled(results, count, &err, detail)) {
        *spent = true;
        return err;
    }
    *spent = refusal_at(results, count, &at);
    return cause_error(results, count, at, detail);
}

/* How many transfers exchange_quote_transfers writes for `quote`. */
static size_t quote_transfers_count(const struct exchange_quote *quote)
{
    const struct fx_route *route = &quote->route;
    size_t count = route->legs[0].fee_minor > 0 ? 3 : 2;
    for (size_t k = 1; k < route->leg_count; k++) {
        count += route->legs[k].fee_minor > 0 ? 1 : 0;
    }
    return count;
}

enum tpw_err exchange_group_results_check(const struct exchange_group_leg *legs, size_t legs_count,
                                          const enum ledger_transfer_result *results, size_t count,
                                          bool *spent, size_t *leg_index,
                                          struct tpw_error_detail *detail)
{
    *leg_index = 0;
    size_t at = 0;
    enum tpw_err err = TPW_OK;
    if (settled(results, count, &err, detail)) {
        *spent = true;
        return err;
    }
    *spent = refusal_at(results, count, &at);
    size_t offset = 0;
    for (size_t i = 0; i < legs_count; i++) {
        size_t leg_count = quote_transfers_count(legs[i].quote);
        if (at < offset + leg_count) {
            *leg_index = i;
            return cause_error(results + offset, leg_count, at - offset, detail);
        }
        offset += leg_count;
    }
    TPW_ASSERT(false); /* the results are the group's: `at` is inside one of its legs */
    return TPW_ERR_INTERNAL;
}
