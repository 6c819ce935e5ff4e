/*
 * `tpwallet market simulate`: writes a simulated Binance session (REST snapshots and
 * the combined stream, cryptofeed's recorded format) into a directory, for the local
 * feed server to serve as a live venue (the demo) or for `market replay`. Prints each
 * symbol's final book. Wiring only: the model is src/market/simulator.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "ledger_cli.h"
#include "market_replay_cli.h"
#include "tpwallet/market_sim.h"
#include "tpwallet/money.h"

#include "banned.h"

/* Binance writes every price and quantity with 8 fraction digits. */
#define SIM_DECIMALS 8u

const char cmd_market_simulate_usage[] =
    "usage: tpwallet market simulate --out DIR --symbols SYMBOL:MID:TICK:LOT[,…] [--json]\n"
    "                                [--steps 1000] [--step-ms 100] [--levels 50]\n"
    "                                [--spread-bps 0.5] [--gap-bps 0.5] [--volatility-bps 2]\n"
    "                                [--trades-per-mille 300] [--seed 1] [--start EPOCH]\n"
    "Writes a simulated Binance session to DIR/BINANCE.http.0.0 (a REST snapshot per\n"
    "symbol) and DIR/BINANCE.ws.1.0 (diff-depth events, trades and book tickers), the\n"
    "recorded format `market replay` and the local feed server read (docs/market.md, \"The\n"
    "simulator\"). SYMBOL:MID:TICK:LOT, e.g. BTCUSDT:97000:0.01:0.00001: the starting mid,\n"
    "the price step and the quantity step. Each step of each symbol is a diff and a\n"
    "ticker (and maybe a trade), messages --step-ms apart from --start (seconds since the\n"
    "epoch; now by default). Deterministic per --seed. Prints each final book.\n";

struct simulate_texts {
    const char *out, *steps, *step_ms, *levels, *spread_bps, *gap_bps, *volatility_bps, *trades,
        *seed, *start;
};

/* A decimal option as an integer at `exponent` (2 for bp in hundredths). */
static bool scaled_option(const char *text, unsigned exponent, uint64_t max, uint64_t *out)
{
    if (text == NULL) {
        return true;
    }
    tpw_u128 value = 0;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (money_decimal_parse(text, strlen(text), exponent, &value, &detail) != TPW_OK ||
        value > max) {
        return false;
    }
    *out = (uint64_t)value;
    return true;
}

static bool whole_option(const char *text, uint64_t max, uint64_t *out)
{
    return text == NULL || lcli_u64(text, max, out);
}

/* SYMBOL:MID:TICK:LOT; the mid a whole number of ticks. */
static bool symbol_option(const char *text, struct market_sim_symbol *out)
{
    char copy[128];
    if (strlen(text) >= sizeof copy) {
        return false;
    }
    memcpy(copy, text, strlen(text) + 1);
    char *fields[4] = {copy, NULL, NULL, NULL};
    for (int index = 1; index < 4; index++) {
        char *colon = strchr(fields[index - 1], ':');
        if (colon == NULL) {
            return false;
        }
        *colon = '\0';
        fields[index] = colon + 1;
    }
    uint64_t mid_minor = 0;
    size_t name_length = strlen(fields[0]);
    if (name_length == 0 || name_length >= sizeof out->symbol ||
        strspn(fields[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != name_length ||
        !scaled_option(fields[1], SIM_DECIMALS, UINT64_MAX, &mid_minor) ||
        !scaled_option(fields[2], SIM_DECIMALS, UINT64_MAX, &out->tick_minor) ||
        !scaled_option(fields[3], SIM_DECIMALS, UINT64_MAX, &out->lot_minor) ||
        out->tick_minor == 0 || out->lot_minor == 0 || mid_minor % out->tick_minor != 0) {
        return false;
    }
    memcpy(out->symbol, fields[0], name_length + 1);
    out->mid_ticks = mid_minor / out->tick_minor;
    return true;
}

static int options_build(struct cli *cli, const struct simulate_texts *texts,
                         struct market_sim_options *options)
{
    uint64_t step_ms = 100, levels = 50, spread = 50, gap = 50, volatility = 2, trades = 300;
    uint64_t start_s = (uint64_t)time(NULL);
    options->steps = 1000;
    options->seed = 1;
    if (!whole_option(texts->steps, UINT64_C(100000000), &options->steps) ||
        !whole_option(texts->step_ms, 60000, &step_ms) ||
        !whole_option(texts->levels, MARKET_SIM_LEVELS_MAX, &levels) ||
        !scaled_option(texts->spread_bps, 2, 100000, &spread) ||
        !scaled_option(texts->gap_bps, 2, 100000, &gap) ||
        !whole_option(texts->volatility_bps, 1000, &volatility) ||
        !whole_option(texts->trades, 1000, &trades) ||
        !whole_option(texts->seed, UINT64_MAX, &options->seed) ||
        !whole_option(texts->start, UINT64_C(1) << 40, &start_s)) {
        return cli_usage_error(cli, cmd_market_simulate_usage,
                               "an option is not a number in range");
    }
    options->price_decimals = SIM_DECIMALS;
    options->qty_decimals = SIM_DECIMALS;
    options->levels = (unsigned)levels;
    options->spread_bps_e2 = (uint32_t)spread;
    options->gap_bps_e2 = (uint32_t)gap;
    options->volatility_bps = (uint32_t)volatility;
    options->trade_per_mille = (uint32_t)trades;
    options->start_epoch_us = start_s * 1000000u;
    options->step_us = step_ms * 1000u;
    return 0;
}

/* The two files; on a refusal or failure both are removed (no half a session). */
static enum tpw_err session_write(const char *dir, const struct market_sim_options *options,
                                  struct market_sim_final *final, struct tpw_error_detail *detail)
{
    char http_path[4096];
    char ws_path[4096];
    if (snprintf(http_path, sizeof http_path, "%s/BINANCE.http.0.0", dir) >=
            (int)sizeof http_path ||
        snprintf(ws_path, sizeof ws_path, "%s/BINANCE.ws.1.0", dir) >= (int)sizeof ws_path) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "--out: path too long");
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        return tpw_error_set(detail, TPW_ERR_IO, 0, "--out %s: %s", dir, strerror(errno));
    }
    FILE *http = fopen(http_path, "w");
    FILE *ws = http != NULL ? fopen(ws_path, "w") : NULL;
    enum tpw_err err = TPW_OK;
    if (ws == NULL) {
        err = tpw_error_set(detail, TPW_ERR_IO, 0, "--out %s: %s", dir, strerror(errno));
    } else {
        err = market_sim_write(options, http, ws, final, detail);
    }
    if (http != NULL && fclose(http) != 0 && err == TPW_OK) {
        err = tpw_error_set(detail, TPW_ERR_IO, 0, "%s: %s", http_path, strerror(errno));
    }
    if (ws != NULL && fclose(ws) != 0 && err == TPW_OK) {
        err = tpw_error_set(detail, TPW_ERR_IO, 0, "%s: %s", ws_path, strerror(errno));
    }
    if (err != TPW_OK) {
        (void)remove(http_path);
        (void)remove(ws_path);
    }
    return err;
}

static json_t *final_json(const struct market_sim_options *options,
                          const struct market_sim_final *final, size_t index)
{
    const struct market_sim_symbol *symbol = &options->symbols[index];
    char texts[4][MONEY_DECIMAL_TEXT_SIZE];
    uint64_t values[4] = {
        final->best_bid_ticks * symbol->tick_minor, final->best_bid_lots * symbol->lot_minor,
        final->best_ask_ticks * symbol->tick_minor, final->best_ask_lots * symbol->lot_minor};
    for (int field = 0; field < 4; field++) {
        (void)money_decimal_format(values[field], SIM_DECIMALS, texts[field], sizeof texts[field]);
    }
    return json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "venue", "BINANCE", "symbol",
                     final->symbol, "last_update_id", (json_int_t) final->last_update_id,
                     "best_bid", texts[0], "best_bid_qty", texts[1], "best_ask", texts[2],
                     "best_ask_qty", texts[3], "bid_levels", (json_int_t) final->bid_levels,
                     "ask_levels", (json_int_t) final->ask_levels, "trades",
                     (json_int_t) final->trades);
}

/* --symbols A:…,B:…: 1 to 16 of them. */
static bool symbols_option(const char *text, struct market_sim_options *options)
{
    options->symbols_count = 0;
    const char *at = text;
    while (at != NULL && options->symbols_count < MARKET_SIM_SYMBOLS_MAX) {
        const char *comma = strchr(at, ',');
        size_t length = comma != NULL ? (size_t)(comma - at) : strlen(at);
        char one[128];
        if (length >= sizeof one) {
            return false;
        }
        memcpy(one, at, length);
        one[length] = '\0';
        if (!symbol_option(one, &options->symbols[options->symbols_count++])) {
            return false;
        }
        at = comma != NULL ? comma + 1 : NULL;
    }
    return at == NULL;
}

static void final_print(const struct market_sim_options *options,
                        const struct market_sim_final *final, size_t index)
{
    json_t *object = final_json(options, final, index);
    if (object == NULL) {
        return;
    }
    (void)printf("%-10s update %llu  bid %s x %s  ask %s x %s  levels %u/%u  trades %llu\n",
                 final->symbol, (unsigned long long) final->last_update_id,
                 json_string_value(json_object_get(object, "best_bid")),
                 json_string_value(json_object_get(object, "best_bid_qty")),
                 json_string_value(json_object_get(object, "best_ask")),
                 json_string_value(json_object_get(object, "best_ask_qty")), final->bid_levels,
                 final->ask_levels, (unsigned long long) final->trades);
    json_decref(object);
}

int cmd_market_simulate(struct cli *cli, int argc, char **argv)
{
    struct simulate_texts texts = {0};
    const char *symbols = NULL;
    const struct cli_option option_list[] = {
        {"out", &texts.out, NULL},
        {"symbols", &symbols, NULL},
        {"steps", &texts.steps, NULL},
        {"step-ms", &texts.step_ms, NULL},
        {"levels", &texts.levels, NULL},
        {"spread-bps", &texts.spread_bps, NULL},
        {"gap-bps", &texts.gap_bps, NULL},
        {"volatility-bps", &texts.volatility_bps, NULL},
        {"trades-per-mille", &texts.trades, NULL},
        {"seed", &texts.seed, NULL},
        {"start", &texts.start, NULL},
    };
    const struct cli_spec spec = {option_list, sizeof option_list / sizeof option_list[0], 0, 0,
                                  cmd_market_simulate_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    if (texts.out == NULL || symbols == NULL) {
        return cli_usage_error(cli, cmd_market_simulate_usage, "--out and --symbols are required");
    }
    struct market_sim_options options = {0};
    if (!symbols_option(symbols, &options)) {
        return cli_usage_error(cli, cmd_market_simulate_usage,
                               "--symbols: expected SYMBOL:MID:TICK:LOT[,...] (MID a multiple "
                               "of TICK, at most 8 fraction digits)");
    }
    status = options_build(cli, &texts, &options);
    if (status != 0) {
        return status;
    }
    struct market_sim_final final[MARKET_SIM_SYMBOLS_MAX] = {0};
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = session_write(texts.out, &options, final, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    for (size_t index = 0; index < options.symbols_count; index++) {
        if (cli->json) {
            status = cli_print_json_take(cli, final_json(&options, &final[index], index));
            if (status != 0) {
                return status;
            }
        } else {
            final_print(&options, &final[index], index);
        }
    }
    return 0;
}
