/*
 * `tpwallet fx route`: the best conversion route on the ECB's reference rates as of a
 * date, explained, offline: nothing is locked or executed. The graph is the stored
 * history's EUR/X pairs fresh on that date (the ECB publishes mids: bid = ask), the
 * exponents come from the asset registry, the fees from a fee table; the search is
 * fx_route_find's and the JSON is the printer the server's quotes use
 * (api_route_json_add), so `fx route` and POST /v1/quotes name every field the same.
 * The text printer of a route is here too: `fx quote` prints the server's reply with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_fx.h"
#include "tpwallet/api_json.h"
#include "tpw_assert.h"

#include "banned.h"

/* What the graph is built from: EUR and each currency fresh on the date, one EUR/X
 * pair each (a history holds at most FX_HISTORY_CURRENCIES_MAX currencies besides EUR,
 * which can be one more than a graph takes: fx_route_rates refuses that case). */
struct route_rates {
    struct money_asset assets[FX_GRAPH_CURRENCIES_MAX];
    struct fx_quote quotes[FX_GRAPH_CURRENCIES_MAX];
    size_t asset_count;
    size_t quote_count;
};

struct route_answer {
    struct fx_route_explanation why;
    const money_registry *registry; /* the CLI's, for the decimals of the JSON */
    int32_t as_of_days;
    int32_t stale_days;
    bool fresh; /* as `fx rate` says it: always with --as-of, else against today */
};

struct route_options {
    struct cmd_fx_amount amount;
    const char *data_dir;
    const char *as_of;
    const char *stale_days;
    const char *fees_path;
};

/* The date the rates are taken on: --as-of, else the history's newest publication. */
enum tpw_err cmd_fx__rates_date(const fx_history *history, const char *as_of_text, const char *dir,
                                int32_t stale_days, int32_t *as_of_days, bool *fresh,
                                struct tpw_error_detail *detail)
{
    if (as_of_text != NULL) {
        tpw_error_set_param(detail, "as-of");
        *fresh = true;
        return fx_date_parse(as_of_text, strlen(as_of_text), as_of_days, detail);
    }
    struct fx_history_summary summary;
    enum tpw_err err = fx_history_summarize(history, &summary, detail);
    if (err == TPW_OK && summary.observations_count == 0) {
        tpw_error_set_param(detail, "data");
        return tpw_error_set(detail, TPW_ERR_FX_RATE_UNAVAILABLE, 0,
                             "no rates in '%.120s': load them with 'tpwallet fx load-ecb'", dir);
    }
    struct tpw_clock clock = tpw_clock_system();
    int32_t today = fx_date_from_time_ns(tpw_clock_now_ns(&clock));
    *as_of_days = summary.last_days;
    *fresh = err == TPW_OK && today - summary.last_days <= stale_days;
    return err;
}

/* Adds the pair EUR/`code` at the currency's observation, when it is fresh on the date
 * and the registry knows its exponent; a currency that is neither is left out, as the
 * server leaves out the pairs it cannot use. */
static enum tpw_err rates_add(struct route_rates *rates, const fx_history *history,
                              const money_registry *registry, const char *code, int32_t as_of_days,
                              int32_t stale_days, struct tpw_error_detail *detail)
{
    const struct money_asset *asset = NULL;
    struct fx_observation observation;
    if (money_registry_find(registry, code, &asset, NULL) != TPW_OK ||
        fx_history_rate_as_of(history, code, as_of_days, stale_days, &observation, NULL) !=
            TPW_OK) {
        return TPW_OK;
    }
    if (rates->asset_count == FX_GRAPH_CURRENCIES_MAX) {
        tpw_error_set_param(detail, "data");
        return tpw_error_set(detail, TPW_ERR_FX_GRAPH_TOO_LARGE, 0,
                             "more than %d currencies besides EUR are fresh on the date "
                             "(a route graph takes %d)",
                             FX_GRAPH_CURRENCIES_MAX - 1, FX_GRAPH_CURRENCIES_MAX);
    }
    rates->assets[rates->asset_count++] = *asset;
    struct fx_quote *quote = &rates->quotes[rates->quote_count++];
    memset(quote, 0, sizeof *quote);
    memcpy(quote->base, "EUR", sizeof "EUR");
    memcpy(quote->quote, asset->code, strlen(asset->code) + 1);
    quote->bid = observation.per_eur;
    quote->ask = observation.per_eur;
    quote->time_ns = fx_ecb_fixing_time_ns(observation.date_days);
    return TPW_OK;
}

/* EUR first, then each currency of the history fresh on the date. */
static enum tpw_err rates_collect(const fx_history *history, const money_registry *registry,
                                  int32_t as_of_days, int32_t stale_days, struct route_rates *rates,
                                  struct tpw_error_detail *detail)
{
    const struct money_asset *euro = NULL;
    tpw_error_set_param(detail, "EUR");
    enum tpw_err err = money_registry_find(registry, "EUR", &euro, detail);
    if (err != TPW_OK) {
        return err;
    }
    rates->assets[0] = *euro;
    rates->asset_count = 1;
    rates->quote_count = 0;
    size_t count = fx_history_currencies_count(history);
    for (size_t index = 0; err == TPW_OK && index < count; index++) {
        err = rates_add(rates, history, registry, fx_history_currency_at(history, index),
                        as_of_days, stale_days, detail);
    }
    return err;
}

/* The graph of the rates with the fee table, whose corridors of currencies not quoted
 * on the date are dropped (the server ignores them the same way). */
static enum tpw_err graph_of(const struct route_rates *rates, struct fx_fee_table *fees,
                             fx_graph **graph, struct tpw_error_detail *detail)
{
    fees->corridor_count =
        fx_fee_table_corridors_within(fees, rates->assets, rates->asset_count, fees->corridors);
    const struct fx_graph_spec spec = {
        .assets = rates->assets,
        .asset_count = rates->asset_count,
        .quotes = rates->quotes,
        .quote_count = rates->quote_count,
        .corridors = fees->corridors,
        .corridor_count = fees->corridor_count,
        .default_fees = fees->default_fees,
    };
    tpw_error_set_param(detail, "fees");
    return fx_graph_create(&spec, graph, detail);
}

enum tpw_err cmd_fx__graph_build(const fx_history *history, const money_registry *registry,
                                 int32_t as_of_days, int32_t stale_days, struct fx_fee_table *fees,
                                 fx_graph **out, struct tpw_error_detail *detail)
{
    *out = NULL;
    struct route_rates *rates = calloc(1, sizeof *rates);
    if (rates == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the route's rates");
    }
    enum tpw_err err = rates_collect(history, registry, as_of_days, stale_days, rates, detail);
    if (err == TPW_OK) {
        err = graph_of(rates, fees, out, detail);
    }
    free(rates);
    return err;
}

enum tpw_err cmd_fx__fees_read(const char *path, struct fx_fee_table *fees,
                               struct tpw_error_detail *detail)
{
    if (path == NULL) {
        memset(fees, 0, sizeof *fees); /* no corridors, no default tier: no fee */
        return TPW_OK;
    }
    tpw_error_set_param(detail, "fees");
    return fx_fee_table_load(path, fees, detail);
}

/* FROM and TO must have a fresh rate on the date (else `fx rate`'s very refusal); the
 * other currencies are taken when fresh and left out otherwise. */
static enum tpw_err route_search(const fx_history *history, const struct route_options *options,
                                 struct fx_fee_table *fees, enum fx_route_direction direction,
                                 tpw_u128 amount_minor, struct route_answer *answer,
                                 struct tpw_error_detail *detail)
{
    struct fx_observation observation;
    tpw_error_set_param(detail, NULL);
    enum tpw_err err = fx_history_rate_as_of(history, options->amount.from, answer->as_of_days,
                                             answer->stale_days, &observation, detail);
    if (err == TPW_OK) {
        err = fx_history_rate_as_of(history, options->amount.to, answer->as_of_days,
                                    answer->stale_days, &observation, detail);
    }
    fx_graph *graph = NULL;
    if (err == TPW_OK) {
        err = cmd_fx__graph_build(history, answer->registry, answer->as_of_days, answer->stale_days,
                                  fees, &graph, detail);
    }
    if (err == TPW_OK) {
        tpw_error_set_param(detail, NULL);
        err = fx_route_find(graph, direction, options->amount.from, options->amount.to,
                            amount_minor, &answer->why, detail);
    }
    fx_graph_destroy(graph);
    return err;
}

/* Amount, history, date, rates, fees, search: each step's error names its input. The
 * fee table is the caller's (heap: a fee table is about 170 KB). */
static enum tpw_err route_compute(struct cli *cli, const struct route_options *options,
                                  struct fx_fee_table *fees, struct route_answer *answer,
                                  struct tpw_error_detail *detail)
{
    enum fx_route_direction direction = FX_ROUTE_SELL;
    tpw_u128 amount_minor = 0;
    char dir[PATH_MAX];
    fx_history *history = NULL;
    enum tpw_err err = cmd_fx__amount(cli, &options->amount, &direction, &amount_minor, detail);
    if (err == TPW_OK) {
        err = cli_registry(cli, &answer->registry, detail);
    }
    if (err == TPW_OK && options->stale_days != NULL) {
        err = cmd_fx__stale_days(options->stale_days, &answer->stale_days, detail);
    }
    if (err == TPW_OK) {
        err = cmd_fx__fees_read(options->fees_path, fees, detail);
    }
    if (err == TPW_OK) {
        err = cmd_fx__dir(options->data_dir, false, dir, detail);
    }
    if (err == TPW_OK) {
        err = fx_history_load(dir, &history, detail);
    }
    if (err == TPW_OK) {
        err = cmd_fx__rates_date(history, options->as_of, dir, answer->stale_days,
                                 &answer->as_of_days, &answer->fresh, detail);
    }
    if (err == TPW_OK) {
        err = route_search(history, options, fees, direction, amount_minor, answer, detail);
    }
    fx_history_destroy(history);
    if (err != TPW_OK && strcmp(detail->param, "amount") == 0) {
        /* The search's name for the amount; on the command line it is the option's. */
        tpw_error_set_param(detail, direction == FX_ROUTE_SELL ? "sell" : "buy");
    }
    return err;
}

static enum tpw_err route_run(struct cli *cli, const struct route_options *options,
                              struct route_answer *answer, struct tpw_error_detail *detail)
{
    struct fx_fee_table *fees = calloc(1, sizeof *fees);
    if (fees == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the route's tables");
    }
    enum tpw_err err = route_compute(cli, options, fees, answer, detail);
    free(fees);
    return err;
}

static int route_print_json(struct cli *cli, const struct route_answer *answer)
{
    char as_of[FX_DATE_TEXT_SIZE];
    fx_date_format(answer->as_of_days, as_of);
    json_t *object = json_pack("{s:s}", "object", "route");
    if (object == NULL ||
        !api_route_json_add(object, &answer->why, answer->registry, API_JSON_DECIMALS) ||
        json_object_set_new(object, "source", json_string("ecb")) != 0 ||
        json_object_set_new(object, "as_of", json_string(as_of)) != 0 ||
        json_object_set_new(object, "status", json_string(answer->fresh ? "fresh" : "stale")) !=
            0 ||
        json_object_set_new(object, "stale_days", json_integer(answer->stale_days)) != 0) {
        json_decref(object);
        object = NULL;
    }
    return cli_print_json_take(cli, object);
}

static int route_print(struct cli *cli, const struct route_answer *answer)
{
    if (cli->json) {
        return route_print_json(cli, answer);
    }
    json_t *object = json_object();
    if (object == NULL || !api_route_json_add(object, &answer->why, NULL, 0)) {
        json_decref(object);
        return cli_fail(cli, TPW_ERR_NOMEM, NULL);
    }
    cmd_fx__route_print(cli, "route", object);
    json_decref(object);
    char as_of[FX_DATE_TEXT_SIZE];
    fx_date_format(answer->as_of_days, as_of);
    (void)printf("rates: ecb as_of %s status %s\n", as_of, answer->fresh ? "fresh" : "stale");
    return fflush(stdout) == 0 ? 0 : tpw_err_exit_status(TPW_ERR_IO);
}

int cmd_fx__route(struct cli *cli, int argc, char **argv)
{
    struct route_options options = {{NULL, NULL, NULL, NULL}, NULL, NULL, NULL, NULL};
    const struct cli_option table[] = {
        {"data", &options.data_dir, NULL},         {"sell", &options.amount.sell, NULL},
        {"buy", &options.amount.buy, NULL},        {"as-of", &options.as_of, NULL},
        {"stale-days", &options.stale_days, NULL}, {"fees", &options.fees_path, NULL},
    };
    const struct cli_spec spec = {table, sizeof table / sizeof table[0], 2, 2, cmd_fx_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    options.amount.from = args.positional[0];
    options.amount.to = args.positional[1];
    const char *misuse = cmd_fx__amount_misuse(&options.amount);
    if (options.data_dir == NULL || misuse != NULL) {
        return cli_usage_error(cli, cmd_fx_usage,
                               options.data_dir == NULL ? "--data DIR is required" : misuse);
    }
    struct route_answer answer;
    memset(&answer, 0, sizeof answer);
    answer.stale_days = FX_STALE_DAYS_DEFAULT;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = route_run(cli, &options, &answer, &detail);
    return err == TPW_OK ? route_print(cli, &answer) : cli_fail(cli, err, &detail);
}

/* ---- text ------------------------------------------------------------------------------ */

const char *cmd_fx__text(const json_t *object, const char *key)
{
    const char *text = json_string_value(json_object_get(object, key));
    return text != NULL ? text : "?";
}

const char *cmd_fx__amount_text(struct cli *cli, const json_t *minor, const char *code,
                                char buf[CMD_FX_AMOUNT_TEXT_SIZE])
{
    const char *text = json_string_value(minor);
    const struct money_asset *asset = NULL;
    tpw_u128 value = 0;
    char decimal[MONEY_DECIMAL_TEXT_SIZE];
    if (text == NULL) {
        text = "?";
    } else if (cli_asset(cli, code, NULL, &asset, NULL) == TPW_OK &&
               money_decimal_parse(text, strlen(text), 0, &value, NULL) == TPW_OK &&
               money_amount_format(asset, value, decimal, sizeof decimal) > 0) {
        text = decimal;
    }
    (void)snprintf(buf, CMD_FX_AMOUNT_TEXT_SIZE, "%.*s %.*s", MONEY_DECIMAL_TEXT_SIZE, text,
                   FX_CODE_SIZE, code);
    return buf;
}

static void leg_print(struct cli *cli, size_t number, const json_t *leg)
{
    const char *from = cmd_fx__text(leg, "from");
    const char *to = cmd_fx__text(leg, "to");
    char in[CMD_FX_AMOUNT_TEXT_SIZE];
    char fee[CMD_FX_AMOUNT_TEXT_SIZE];
    char out[CMD_FX_AMOUNT_TEXT_SIZE];
    (void)printf("  %zu. %s -> %s on %s (%s at %s): in %s, fee %s, out %s\n", number, from, to,
                 cmd_fx__text(leg, "pair"), cmd_fx__text(leg, "side"), cmd_fx__text(leg, "rate"),
                 cmd_fx__amount_text(cli, json_object_get(leg, "amount_in"), from, in),
                 cmd_fx__amount_text(cli, json_object_get(leg, "fee"), from, fee),
                 cmd_fx__amount_text(cli, json_object_get(leg, "amount_out"), to, out));
}

void cmd_fx__route_print(struct cli *cli, const char *label, const json_t *route)
{
    const char *from = cmd_fx__text(route, "from");
    const char *to = cmd_fx__text(route, "to");
    char in[CMD_FX_AMOUNT_TEXT_SIZE];
    char out[CMD_FX_AMOUNT_TEXT_SIZE];
    (void)printf("%s %s -> %s %s: in %s, out %s\n", label, from, to,
                 cmd_fx__text(route, "direction"),
                 cmd_fx__amount_text(cli, json_object_get(route, "amount_in"), from, in),
                 cmd_fx__amount_text(cli, json_object_get(route, "amount_out"), to, out));
    const json_t *legs = json_object_get(route, "legs");
    for (size_t index = 0; index < json_array_size(legs); index++) {
        leg_print(cli, index + 1, json_array_get(legs, index));
    }
    const json_t *direct = json_object_get(route, "direct");
    if (!json_is_object(direct)) {
        (void)printf("  direct: none\n");
        return;
    }
    (void)printf("  direct: in %s, out %s, saving %s bps\n",
                 cmd_fx__amount_text(cli, json_object_get(direct, "amount_in"), from, in),
                 cmd_fx__amount_text(cli, json_object_get(direct, "amount_out"), to, out),
                 cmd_fx__text(route, "saving_bps"));
}
