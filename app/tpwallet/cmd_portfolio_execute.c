/*
 * `tpwallet portfolio rebalance --execute` and the printers of the rebalance. The
 * priced routes are locked in a quote book of this run only (the CLI holds no quotes
 * between runs: the ledger, not the book, is what makes a group execute once) and run
 * as ONE linked group, so a refused trade leaves every account as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_portfolio.h"
#include "tpwallet/api_json.h"

#include "banned.h"

/* Quotes live only while this run executes them: a minute is ample. */
#define QUOTE_TTL_NS (UINT64_C(60) * UINT64_C(1000000000))
#define QUOTE_BOOK_LOG2 4 /* 16 slots: one per trade at most */

/* The pool and fee accounts of `asset`; `exists` is fine (an earlier run made them). */
static enum tpw_err house_create(struct ledger *ledger, uint32_t asset,
                                 struct tpw_error_detail *detail)
{
    struct ledger_account accounts[2];
    enum ledger_account_result results[2];
    exchange_house_accounts(asset, accounts);
    enum tpw_err err = ledger_create_accounts(ledger, accounts, 2, results, detail);
    for (size_t i = 0; err == TPW_OK && i < 2; i++) {
        if (results[i] != LEDGER_ACCOUNT_OK && results[i] != LEDGER_ACCOUNT_EXISTS) {
            tpw_error_set_param(detail, "data");
            err = tpw_error_set(detail, TPW_ERR_EXCHANGE_REFUSED, 0,
                                "the ledger refused a house account: %s",
                                ledger_account_result_name(results[i]));
        }
    }
    return err;
}

/* A trade's quote: its route with the ledger asset of every currency on it (a pivot
 * such as EUR is defined in the ledger when missing), and that asset's house accounts. */
static enum tpw_err quote_make(struct cli *cli, struct rebalance_ctx *ctx, size_t trade,
                               exchange_quote_book *book, struct exchange_quote *quote,
                               struct tpw_error_detail *detail)
{
    memset(quote, 0, sizeof *quote);
    quote->route = ctx->why[trade].best;
    enum tpw_err err = TPW_OK;
    for (size_t k = 0; err == TPW_OK && k <= quote->route.leg_count; k++) {
        const char *code =
            k < quote->route.leg_count ? quote->route.legs[k].from : quote->route.legs[k - 1].to;
        struct ledger_asset asset;
        err = lcli_asset(cli, ctx->ledger, code, true, &asset, detail);
        if (err == TPW_OK) {
            quote->assets[k] = asset.number;
            err = house_create(ctx->ledger, asset.number, detail);
        }
    }
    if (err == TPW_OK) {
        err = exchange_quote_lock(book, quote, detail);
    }
    return err;
}

/* The group on the ledger and its verdict; the transfer ids when it executed. */
static enum tpw_err group_submit(struct rebalance_ctx *ctx, const struct exchange_group_leg *legs,
                                 struct ledger_transfer *transfers,
                                 enum ledger_transfer_result *results,
                                 struct tpw_error_detail *detail)
{
    size_t legs_count = ctx->plan.trades_count;
    size_t count = exchange_group_transfers(legs, legs_count, transfers, REBALANCE_TRANSFERS_MAX);
    if (count == 0) {
        return tpw_error_set(detail, TPW_ERR_REBALANCE_INVALID, 0,
                             "the trades do not fit in one ledger group");
    }
    enum tpw_err err = ledger_create_transfers(ctx->ledger, transfers, count, results, detail);
    bool spent = false;
    size_t leg = 0;
    if (err == TPW_OK) {
        err = exchange_group_results_check(legs, legs_count, results, count, &spent, &leg, detail);
        if (err != TPW_OK) {
            exchange_rebalance_refusal_name(&ctx->plan, ctx->holdings, leg, LCLI_ACCOUNT_PREFIX,
                                            "holdings", detail);
        }
    }
    if (err != TPW_OK) {
        return err;
    }
    for (size_t i = 0; i < count; i++) {
        ctx->transfer_ids[i] = transfers[i].id;
    }
    ctx->transfer_count = count;
    ctx->executed = true;
    return TPW_OK;
}

/* The tables of one execution (heap: a full group is a few KB of transfers). */
struct execute_tables {
    struct exchange_quote quotes[EXCHANGE_HOLDINGS_MAX];
    struct exchange_group_leg legs[EXCHANGE_HOLDINGS_MAX];
    struct ledger_transfer transfers[REBALANCE_TRANSFERS_MAX];
    enum ledger_transfer_result results[REBALANCE_TRANSFERS_MAX];
};

enum tpw_err cmd_portfolio__execute(struct cli *cli, struct rebalance_ctx *ctx,
                                    struct tpw_error_detail *detail)
{
    struct tpw_clock clock = tpw_clock_system();
    exchange_quote_book *book = NULL;
    struct execute_tables *tables = calloc(1, sizeof *tables);
    if (tables == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the group");
    }
    /* The seed only spreads the ids; uniqueness comes from their time order. */
    enum tpw_err err = exchange_quote_book_create(QUOTE_BOOK_LOG2, QUOTE_TTL_NS, clock,
                                                  tpw_clock_now_ns(&clock), &book, detail);
    for (size_t i = 0; err == TPW_OK && i < ctx->plan.trades_count; i++) {
        err = quote_make(cli, ctx, i, book, &tables->quotes[i], detail);
    }
    exchange_rebalance_legs(&ctx->plan, ctx->holdings, tables->quotes, tables->legs);
    if (err == TPW_OK) {
        err = group_submit(ctx, tables->legs, tables->transfers, tables->results, detail);
    }
    exchange_quote_book_destroy(book);
    free(tables);
    return err;
}

/* ---- JSON ------------------------------------------------------------------------------ */

static json_t *e18_json(uint64_t value_e18)
{
    char text[64];
    struct money_rate rate = {.value_e18 = value_e18};
    (void)money_rate_format(rate, text, sizeof text);
    return json_string(text);
}

static json_t *id_json(tpw_u128 id, const char *prefix)
{
    char text[TPW_ID_TEXT_SIZE];
    (void)tpw_id_format(id, prefix, text, sizeof text);
    return json_string(text);
}

static json_t *minor_json(tpw_u128 minor)
{
    char text[TPW_U128_DEC_SIZE];
    return json_string(cli_u128_text(minor, text));
}

static json_t *decimal_json(const struct money_asset *asset, tpw_u128 minor)
{
    char text[MONEY_DECIMAL_TEXT_SIZE];
    return money_amount_format(asset, minor, text, sizeof text) > 0 ? json_string(text) : NULL;
}

static json_t *holding_json(const struct rebalance_ctx *ctx, size_t i)
{
    const struct exchange_holding *h = &ctx->holdings[i];
    const struct exchange_valuation *v = &ctx->plan.before;
    const struct money_asset *base = &ctx->holdings[ctx->base_index].asset;
    char rate[64];
    (void)money_rate_format(h->to_base, rate, sizeof rate);
    return json_pack("{s:o,s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "account",
                     id_json(h->account_id, LCLI_ACCOUNT_PREFIX), "asset", h->asset.code, "balance",
                     minor_json(h->balance_minor), "balance_decimal",
                     decimal_json(&h->asset, h->balance_minor), "rate", rate, "value",
                     minor_json(v->value_minor[i]), "value_decimal",
                     decimal_json(base, v->value_minor[i]), "weight", e18_json(v->weight_e18[i]),
                     "target", e18_json(h->target_e18), "drift", e18_json(v->drift_e18[i]), "band",
                     e18_json(h->band_e18), "outside_band", v->drift_e18[i] > h->band_e18);
}

static json_t *valuation_json(const struct rebalance_ctx *ctx)
{
    const struct money_asset *base = &ctx->holdings[ctx->base_index].asset;
    json_t *holdings = json_array();
    for (size_t i = 0; holdings != NULL && i < ctx->count; i++) {
        if (json_array_append_new(holdings, holding_json(ctx, i)) != 0) {
            json_decref(holdings);
            holdings = NULL;
        }
    }
    return json_pack("{s:o,s:o,s:o*}", "total", minor_json(ctx->plan.before.total_minor),
                     "total_decimal", decimal_json(base, ctx->plan.before.total_minor), "holdings",
                     holdings);
}

/* A trade: its two accounts and the route, printed as `fx route` prints one. */
static json_t *trade_json(const struct rebalance_ctx *ctx, size_t i, unsigned flags)
{
    const struct exchange_trade *trade = &ctx->plan.trades[i];
    json_t *route = json_object();
    if (route == NULL || !api_route_json_add(route, &ctx->why[i], ctx->registry, flags)) {
        json_decref(route);
        return NULL;
    }
    return json_pack(
        "{s:o,s:o,s:o}", "from_account",
        id_json(ctx->holdings[trade->from_index].account_id, LCLI_ACCOUNT_PREFIX), "to_account",
        id_json(ctx->holdings[trade->to_index].account_id, LCLI_ACCOUNT_PREFIX), "route", route);
}

static json_t *trades_json(const struct rebalance_ctx *ctx, unsigned flags)
{
    json_t *trades = json_array();
    for (size_t i = 0; trades != NULL && i < ctx->plan.trades_count; i++) {
        if (json_array_append_new(trades, trade_json(ctx, i, flags)) != 0) {
            json_decref(trades);
            trades = NULL;
        }
    }
    return trades;
}

static json_t *transfers_json(const struct rebalance_ctx *ctx)
{
    json_t *ids = json_array();
    for (size_t i = 0; ids != NULL && i < ctx->transfer_count; i++) {
        if (json_array_append_new(ids, id_json(ctx->transfer_ids[i], LCLI_TRANSFER_PREFIX)) != 0) {
            json_decref(ids);
            ids = NULL;
        }
    }
    return ids;
}

static json_t *rebalance_json(const struct rebalance_ctx *ctx, unsigned flags)
{
    char as_of[FX_DATE_TEXT_SIZE];
    fx_date_format(ctx->as_of_days, as_of);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:o*,s:b,s:o*,s:b,s:o*}", "object", "rebalance",
                     "base", ctx->holdings[ctx->base_index].asset.code, "to",
                     ctx->kind == EXCHANGE_TO_TARGET ? "target" : "band-edge", "as_of", as_of,
                     "status", ctx->fresh ? "fresh" : "stale", "stale_days", ctx->stale_days,
                     "valuation", valuation_json(ctx), "outside_band",
                     ctx->plan.before.outside_band, "trades", trades_json(ctx, flags), "executed",
                     ctx->executed, "transfers", transfers_json(ctx));
}

/* ---- text ------------------------------------------------------------------------------ */

static void valuation_print(const json_t *valuation, const struct rebalance_ctx *ctx)
{
    const char *base = ctx->holdings[ctx->base_index].asset.code;
    (void)printf("valuation: %s %s\n", cmd_fx__text(valuation, "total_decimal"), base);
    const json_t *holdings = json_object_get(valuation, "holdings");
    for (size_t i = 0; i < json_array_size(holdings); i++) {
        const json_t *h = json_array_get(holdings, i);
        (void)printf("  %s %s %s = %s %s: weight %s target %s drift %s band %s%s\n",
                     cmd_fx__text(h, "account"), cmd_fx__text(h, "balance_decimal"),
                     cmd_fx__text(h, "asset"), cmd_fx__text(h, "value_decimal"), base,
                     cmd_fx__text(h, "weight"), cmd_fx__text(h, "target"), cmd_fx__text(h, "drift"),
                     cmd_fx__text(h, "band"),
                     json_is_true(json_object_get(h, "outside_band")) ? " (outside)" : "");
    }
}

static void rebalance_print_text(struct cli *cli, const json_t *object,
                                 const struct rebalance_ctx *ctx)
{
    valuation_print(json_object_get(object, "valuation"), ctx);
    (void)printf("outside_band: %s\n", ctx->plan.before.outside_band ? "true" : "false");
    const json_t *trades = json_object_get(object, "trades");
    if (json_array_size(trades) == 0) {
        (void)printf("trades: none\n");
    }
    for (size_t i = 0; i < json_array_size(trades); i++) {
        const json_t *trade = json_array_get(trades, i);
        char label[2 * TPW_ID_TEXT_SIZE + 32];
        (void)snprintf(label, sizeof label, "trade %zu %s -> %s:", i + 1,
                       cmd_fx__text(trade, "from_account"), cmd_fx__text(trade, "to_account"));
        cmd_fx__route_print(cli, label, json_object_get(trade, "route"));
    }
    const json_t *ids = json_object_get(object, "transfers");
    (void)printf("executed: %s", ctx->executed ? "true" : "false");
    for (size_t i = 0; i < json_array_size(ids); i++) {
        (void)printf("%s%s", i == 0 ? ", transfers " : " ",
                     json_string_value(json_array_get(ids, i)));
    }
    char as_of[FX_DATE_TEXT_SIZE];
    fx_date_format(ctx->as_of_days, as_of);
    (void)printf("\nrates: ecb as_of %s status %s\n", as_of, ctx->fresh ? "fresh" : "stale");
}

int cmd_portfolio__print(struct cli *cli, const struct rebalance_ctx *ctx)
{
    json_t *object = rebalance_json(ctx, cli->json ? API_JSON_DECIMALS : 0);
    if (cli->json) {
        return cli_print_json_take(cli, object);
    }
    if (object == NULL) {
        return cli_fail(cli, TPW_ERR_NOMEM, NULL);
    }
    rebalance_print_text(cli, object, ctx);
    json_decref(object);
    return fflush(stdout) == 0 ? 0 : tpw_err_exit_status(TPW_ERR_IO);
}
