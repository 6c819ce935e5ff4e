/*
 * `tpwallet portfolio rebalance`: a portfolio of ledger accounts brought back to its
 * targets, offline, on the local ledger of DIR. The balances are the ledger's posted
 * ones, the mids the ECB's of DIR/fx as of a date (as `fx rate` takes them), the plan
 * exchange_rebalance_plan's, and each trade is priced on the very graph of `fx route`
 * (cmd_fx__graph_build) and printed with its JSON printer. --execute locks those routes
 * as quotes and runs them as ONE linked ledger group (cmd_portfolio_execute.c), so what
 * moves is exactly what the preview shows, or nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_portfolio.h"

#include "banned.h"

const char cmd_portfolio_usage[] =
    "usage: tpwallet portfolio rebalance --data DIR --base CODE\n"
    "              --holdings ID=WEIGHT[:BAND],... [--band B] [--to target|band-edge]\n"
    "              [--as-of YYYY-MM-DD] [--stale-days N] [--fees FILE] [--execute]\n";

/* Without --band, a holding may drift 5 percentage points from its target. */
#define BAND_DEFAULT_E18 (PORTFOLIO_WEIGHT_ONE_E18 / 20u)

static enum tpw_err holding_invalid(struct tpw_error_detail *detail, const char *what,
                                    size_t length, const char *text)
{
    tpw_error_set_param(detail, "holdings");
    return tpw_error_set(detail, TPW_ERR_REBALANCE_INVALID, 0, "%s: '%.*s'", what,
                         (int)(length > 80 ? 80 : length), text);
}

/* One "ID=WEIGHT[:BAND]" of --holdings (`length` bytes of `text`). */
static enum tpw_err holding_parse(const char *text, size_t length, uint64_t band_e18,
                                  struct exchange_holding *out, struct tpw_error_detail *detail)
{
    const char *equals = memchr(text, '=', length);
    char id[TPW_ID_TEXT_SIZE + 8];
    size_t id_length = equals == NULL ? 0 : (size_t)(equals - text);
    if (equals == NULL || id_length == 0 || id_length >= sizeof id) {
        return holding_invalid(detail, "a holding is ID=WEIGHT[:BAND]", length, text);
    }
    memcpy(id, text, id_length);
    id[id_length] = '\0';
    memset(out, 0, sizeof *out);
    enum tpw_err err = lcli_id(id, "holdings", &out->account_id, detail);
    const char *weight = equals + 1;
    size_t rest = length - id_length - 1;
    const char *colon = memchr(weight, ':', rest);
    size_t weight_length = colon == NULL ? rest : (size_t)(colon - weight);
    tpw_error_set_param(detail, "holdings");
    if (err == TPW_OK) {
        err = portfolio_weight_parse(weight, weight_length, &out->target_e18, detail);
    }
    out->band_e18 = band_e18;
    if (err == TPW_OK && colon != NULL) {
        err = portfolio_weight_parse(colon + 1, rest - weight_length - 1, &out->band_e18, detail);
    }
    return err;
}

/* --holdings into ctx->holdings; an account listed twice is refused. */
static enum tpw_err holdings_parse(const char *list, uint64_t band_e18, struct rebalance_ctx *ctx,
                                   struct tpw_error_detail *detail)
{
    const char *cursor = list;
    ctx->count = 0;
    for (;;) {
        const char *comma = strchr(cursor, ',');
        size_t length = comma == NULL ? strlen(cursor) : (size_t)(comma - cursor);
        if (ctx->count == EXCHANGE_HOLDINGS_MAX) {
            return holding_invalid(detail, "at most 16 holdings", strlen(list), list);
        }
        struct exchange_holding *holding = &ctx->holdings[ctx->count];
        enum tpw_err err = holding_parse(cursor, length, band_e18, holding, detail);
        for (size_t i = 0; err == TPW_OK && i < ctx->count; i++) {
            if (ctx->holdings[i].account_id == holding->account_id) {
                err = holding_invalid(detail, "an account listed twice", length, cursor);
            }
        }
        if (err != TPW_OK) {
            return err;
        }
        ctx->count++;
        if (comma == NULL) {
            return TPW_OK;
        }
        cursor = comma + 1;
    }
}

/* Each holding's balance (posted credits − debits) and asset, from the ledger. */
static enum tpw_err holdings_read(struct cli *cli, struct rebalance_ctx *ctx,
                                  struct tpw_error_detail *detail)
{
    for (size_t i = 0; i < ctx->count; i++) {
        struct exchange_holding *holding = &ctx->holdings[i];
        struct ledger_account account;
        char id[TPW_ID_TEXT_SIZE];
        (void)tpw_id_format(holding->account_id, LCLI_ACCOUNT_PREFIX, id, sizeof id);
        tpw_error_set_param(detail, "holdings");
        if (ledger_account_get(ctx->ledger, holding->account_id, &account) != TPW_OK) {
            return tpw_error_set(detail, TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND, 0,
                                 "account %s is not in the ledger", id);
        }
        if (account.credits_posted < account.debits_posted) {
            return tpw_error_set(detail, TPW_ERR_REBALANCE_INVALID, 0,
                                 "account %s owes more than it holds (debits above credits)", id);
        }
        holding->balance_minor = account.credits_posted - account.debits_posted;
        ctx->ledger_assets[i] = account.asset;
        struct ledger_asset asset;
        const struct money_asset *money = NULL;
        enum tpw_err err = ledger_asset_get(ctx->ledger, account.asset, &asset);
        if (err == TPW_OK) {
            err = cli_asset(cli, asset.code, "holdings", &money, detail);
        }
        if (err != TPW_OK) {
            return err;
        }
        holding->asset = *money;
    }
    return TPW_OK;
}

/* The base holding: the first account in the base asset. */
static enum tpw_err base_find(struct cli *cli, const char *base, struct rebalance_ctx *ctx,
                              struct tpw_error_detail *detail)
{
    const struct money_asset *asset = NULL;
    enum tpw_err err = cli_asset(cli, base, "base", &asset, detail);
    if (err != TPW_OK) {
        return err;
    }
    for (size_t i = 0; i < ctx->count; i++) {
        if (strcmp(ctx->holdings[i].asset.code, asset->code) == 0) {
            ctx->base_index = i;
            return TPW_OK;
        }
    }
    tpw_error_set_param(detail, "base");
    return tpw_error_set(detail, TPW_ERR_REBALANCE_INVALID, 0,
                         "no holding is in the base %s: the base holding is the one every "
                         "trade goes through",
                         asset->code);
}

/* Each holding's mid in the base as of the date (1 for the base's own asset). */
static enum tpw_err mids_read(const fx_history *history, struct rebalance_ctx *ctx,
                              struct tpw_error_detail *detail)
{
    const char *base = ctx->holdings[ctx->base_index].asset.code;
    for (size_t i = 0; i < ctx->count; i++) {
        struct exchange_holding *holding = &ctx->holdings[i];
        if (strcmp(holding->asset.code, base) == 0) {
            holding->to_base.value_e18 = PORTFOLIO_WEIGHT_ONE_E18;
            continue;
        }
        struct fx_cross_rate cross;
        tpw_error_set_param(detail, NULL);
        enum tpw_err err = fx_history_cross(history, holding->asset.code, base, ctx->as_of_days,
                                            ctx->stale_days, &cross, detail);
        if (err != TPW_OK) {
            return err;
        }
        holding->to_base = cross.mid;
    }
    return TPW_OK;
}

/* Each trade of the plan priced on the graph of `fx route`. */
static enum tpw_err trades_price(const fx_history *history, struct fx_fee_table *fees,
                                 struct rebalance_ctx *ctx, struct tpw_error_detail *detail)
{
    if (ctx->plan.trades_count == 0) {
        return TPW_OK;
    }
    fx_graph *graph = NULL;
    enum tpw_err err = cmd_fx__graph_build(history, ctx->registry, ctx->as_of_days, ctx->stale_days,
                                           fees, &graph, detail);
    for (size_t i = 0; err == TPW_OK && i < ctx->plan.trades_count; i++) {
        const struct exchange_trade *trade = &ctx->plan.trades[i];
        tpw_error_set_param(detail, "holdings");
        err = fx_route_find(graph, trade->direction, ctx->holdings[trade->from_index].asset.code,
                            ctx->holdings[trade->to_index].asset.code, trade->amount_minor,
                            &ctx->why[i], detail);
    }
    fx_graph_destroy(graph);
    return err;
}

/* The history's steps: rates date, mids, plan, prices. */
static enum tpw_err plan_on_history(const struct rebalance_options *options,
                                    struct fx_fee_table *fees, struct rebalance_ctx *ctx,
                                    struct tpw_error_detail *detail)
{
    char dir[PATH_MAX];
    fx_history *history = NULL;
    enum tpw_err err = cmd_fx__dir(options->data_dir, false, dir, detail);
    if (err == TPW_OK) {
        err = fx_history_load(dir, &history, detail);
    }
    if (err == TPW_OK) {
        err = cmd_fx__rates_date(history, options->as_of, dir, ctx->stale_days, &ctx->as_of_days,
                                 &ctx->fresh, detail);
    }
    if (err == TPW_OK) {
        err = mids_read(history, ctx, detail);
    }
    if (err == TPW_OK) {
        tpw_error_set_param(detail, "holdings");
        err = exchange_rebalance_plan(ctx->holdings, ctx->count, ctx->base_index, ctx->kind,
                                      &ctx->plan, detail);
    }
    if (err == TPW_OK) {
        err = trades_price(history, fees, ctx, detail);
    }
    fx_history_destroy(history);
    return err;
}

/* Options, holdings, ledger, base, then the history's steps: each error names its input. */
static enum tpw_err plan_compute(struct cli *cli, const struct rebalance_options *options,
                                 struct fx_fee_table *fees, struct rebalance_ctx *ctx,
                                 struct tpw_error_detail *detail)
{
    uint64_t band_e18 = BAND_DEFAULT_E18;
    enum tpw_err err = cli_registry(cli, &ctx->registry, detail);
    if (err == TPW_OK && options->band != NULL) {
        tpw_error_set_param(detail, "band");
        err = portfolio_weight_parse(options->band, strlen(options->band), &band_e18, detail);
    }
    if (err == TPW_OK && options->stale_days != NULL) {
        err = cmd_fx__stale_days(options->stale_days, &ctx->stale_days, detail);
    }
    if (err == TPW_OK) {
        err = holdings_parse(options->holdings, band_e18, ctx, detail);
    }
    if (err == TPW_OK) {
        err = cmd_fx__fees_read(options->fees_path, fees, detail);
    }
    if (err == TPW_OK) {
        err = holdings_read(cli, ctx, detail);
    }
    if (err == TPW_OK) {
        err = base_find(cli, options->base, ctx, detail);
    }
    if (err == TPW_OK) {
        err = plan_on_history(options, fees, ctx, detail);
    }
    return err;
}

static int rebalance_run(struct cli *cli, const struct rebalance_options *options,
                         struct rebalance_ctx *ctx)
{
    int status = lcli_open(cli, lcli_data_dir(options->data_dir), !options->execute, &ctx->ledger);
    if (status != 0) {
        return status;
    }
    struct fx_fee_table *fees = calloc(1, sizeof *fees);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = TPW_ERR_NOMEM;
    if (fees == NULL) {
        (void)tpw_error_set(&detail, err, 0, "out of memory for the fee table");
    } else {
        err = plan_compute(cli, options, fees, ctx, &detail);
    }
    free(fees);
    if (err == TPW_OK && options->execute && ctx->plan.trades_count > 0) {
        err = cmd_portfolio__execute(cli, ctx, &detail);
    }
    status = err == TPW_OK ? cmd_portfolio__print(cli, ctx) : cli_fail(cli, err, &detail);
    ledger_close(ctx->ledger);
    return status;
}

static int portfolio_rebalance(struct cli *cli, int argc, char **argv)
{
    struct rebalance_options options;
    memset(&options, 0, sizeof options);
    const char *to = NULL;
    const struct cli_option table[] = {
        {"data", &options.data_dir, NULL},
        {"base", &options.base, NULL},
        {"holdings", &options.holdings, NULL},
        {"band", &options.band, NULL},
        {"to", &to, NULL},
        {"as-of", &options.as_of, NULL},
        {"stale-days", &options.stale_days, NULL},
        {"fees", &options.fees_path, NULL},
        {"execute", NULL, &options.execute},
    };
    const struct cli_spec spec = {table, sizeof table / sizeof table[0], 0, 0, cmd_portfolio_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    if (options.data_dir == NULL || options.base == NULL || options.holdings == NULL) {
        return cli_usage_error(cli, cmd_portfolio_usage,
                               "--data DIR, --base CODE and --holdings are required");
    }
    struct rebalance_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        return cli_fail(cli, TPW_ERR_NOMEM, NULL);
    }
    ctx->kind = EXCHANGE_TO_TARGET;
    ctx->stale_days = FX_STALE_DAYS_DEFAULT;
    if (to != NULL && strcmp(to, "band-edge") == 0) {
        ctx->kind = EXCHANGE_TO_BAND_EDGE;
    } else if (to != NULL && strcmp(to, "target") != 0) {
        free(ctx);
        return cli_usage_error(cli, cmd_portfolio_usage, "--to is target or band-edge");
    }
    status = rebalance_run(cli, &options, ctx);
    free(ctx);
    return status;
}

int cmd_portfolio(struct cli *cli, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "rebalance") == 0) {
        return portfolio_rebalance(cli, argc - 1, argv + 1);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        (void)fputs(cmd_portfolio_usage, stdout);
        return 0;
    }
    return cli_usage_error(cli, cmd_portfolio_usage,
                           argc < 2 ? "a sub-command is required" : "unknown sub-command");
}
