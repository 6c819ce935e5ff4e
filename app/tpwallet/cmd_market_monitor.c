/*
 * The monitor of `tpwallet market replay`: builds it from --alerts, --interval-ms,
 * --warmup, --vol-source and --windows-ms, prints each alert as a JSON line the moment
 * it fires (market_alert_format_json, the form the server's signals use too), and adds
 * each book's trade windows and realised volatility to its JSON line. Wiring only: the
 * measures, windows, detectors and rules live in the market module (docs/market.md).
 */
#include <stdio.h>
#include <string.h>

#include "ledger_cli.h"
#include "market_replay_cli.h"
#include "tpwallet/u128.h"

#include "banned.h"

/* Longest interval and window the command line takes: an hour. */
#define REPLAY_INTERVAL_MS_MAX 3600000u
#define REPLAY_WARMUP_MAX 1000000u

static void print_alert(void *user, const struct market_alert *alert)
{
    (void)user;
    char line[MARKET_ALERT_JSON_SIZE];
    if (market_alert_format_json(alert, line, sizeof(line)) > 0) {
        (void)puts(line);
    }
}

/* A whole number 1..max from option text (absent: *out unchanged); false otherwise. */
static bool count_option(const char *text, uint64_t max, uint64_t *out)
{
    uint64_t value = 0;
    if (text == NULL) {
        return true;
    }
    if (!lcli_u64(text, max, &value) || value == 0) {
        return false;
    }
    *out = value;
    return true;
}

/* --windows-ms A,B,…: 1 to 4 windows of whole milliseconds, 10 buckets each. */
static bool windows_option(const char *text, struct market_monitor_config *config)
{
    if (text == NULL) {
        return true;
    }
    size_t count = 0;
    const char *at = text;
    while (count < MARKET_TRADE_WINDOWS_MAX) {
        const char *comma = strchr(at, ',');
        size_t len = comma != NULL ? (size_t)(comma - at) : strlen(at);
        char number[16];
        uint64_t window_ms = 0;
        if (len == 0 || len >= sizeof(number)) {
            return false;
        }
        (void)memcpy(number, at, len);
        number[len] = '\0';
        if (!count_option(number, REPLAY_INTERVAL_MS_MAX, &window_ms)) {
            return false;
        }
        config->windows[count++] =
            (struct market_trade_window_config){(int64_t)window_ms * 1000, 10};
        if (comma == NULL) {
            config->windows_count = count;
            return true;
        }
        at = comma + 1;
    }
    return false; /* more than four */
}

static int config_build(const struct cli *cli, const struct replay_monitor_options *options,
                        const char *usage, struct market_monitor_config *config)
{
    market_monitor_config_defaults(config);
    uint64_t interval_ms = 1000;
    uint64_t warmup = config->warmup_count;
    if (!count_option(options->interval_ms, REPLAY_INTERVAL_MS_MAX, &interval_ms)) {
        return cli_usage_error(cli, usage, "--interval-ms is 1 to 3600000");
    }
    if (!count_option(options->warmup, REPLAY_WARMUP_MAX, &warmup)) {
        return cli_usage_error(cli, usage, "--warmup is 1 to 1000000 intervals");
    }
    if (!windows_option(options->windows_ms, config)) {
        return cli_usage_error(cli, usage, "--windows-ms lists 1 to 4 windows of 1 to 3600000 ms");
    }
    const char *source = options->vol_source != NULL ? options->vol_source : "mid";
    if (strcmp(source, "mid") != 0 && strcmp(source, "trade") != 0) {
        return cli_usage_error(cli, usage, "--vol-source is 'mid' or 'trade'");
    }
    config->interval_us = (int64_t)interval_ms * 1000;
    config->warmup_count = (uint32_t)warmup;
    config->vol_source = strcmp(source, "mid") == 0 ? MARKET_VOL_MID : MARKET_VOL_TRADE;
    return 0;
}

int replay_monitor_create(const struct cli *cli, const struct replay_monitor_options *options,
                          const char *usage, market_monitor **out)
{
    *out = NULL;
    struct market_monitor_config config;
    int status = config_build(cli, options, usage, &config);
    if (status != 0) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_error_set_param(&detail, "alerts");
    static struct market_alert_rules rules; /* 64 rules: kept off the stack */
    enum tpw_err err = TPW_OK;
    if (options->alerts != NULL) {
        err = market_alert_rules_load(options->alerts, &rules, &detail);
    }
    if (err == TPW_OK) {
        err = market_monitor_create(&config, options->alerts != NULL ? &rules : NULL, print_alert,
                                    NULL, NULL, out, &detail);
    }
    return err == TPW_OK ? 0 : cli_fail(cli, err, &detail);
}

/* A decimal's text, or JSON null. */
static json_t *decimal_or_null(bool present, const struct market_decimal *value)
{
    char text[MARKET_DECIMAL_TEXT_SIZE];
    if (!present || market_decimal_format(value, text, sizeof(text)) == 0) {
        return json_null();
    }
    return json_string(text);
}

static json_t *window_json(const struct market_trade_window *window)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "window_ms",
                     (json_int_t)(window->window_us / 1000), "trades",
                     (json_int_t)window->trades_count, "buy_trades",
                     (json_int_t)window->totals.buy_trades_count, "sell_trades",
                     (json_int_t)window->totals.sell_trades_count, "volume_base",
                     decimal_or_null(true, &window->volume_base), "buy_volume_base",
                     decimal_or_null(true, &window->buy_volume_base), "sell_volume_base",
                     decimal_or_null(true, &window->sell_volume_base), "volume_quote",
                     decimal_or_null(true, &window->volume_quote), "rate_per_s",
                     decimal_or_null(true, &window->rate_per_s), "vwap",
                     decimal_or_null(window->has_vwap, &window->vwap));
}

static json_t *instrument_json(const struct market_monitor_instrument *instrument,
                               const struct replay_monitor_options *options, int64_t interval_ms)
{
    json_t *windows = json_array();
    for (size_t index = 0; windows != NULL && index < instrument->windows_count; index++) {
        (void)json_array_append_new(windows, window_json(&instrument->windows[index]));
    }
    json_t *trades = json_pack(
        "{s:I,s:o,s:o}", "trades", (json_int_t)instrument->trades_count, "last_price",
        decimal_or_null(instrument->has_last_price, &instrument->last_price), "windows", windows);
    const char *source = options->vol_source != NULL ? options->vol_source : "mid";
    json_t *vol =
        json_pack("{s:s,s:I,s:I,s:o,s:o}", "source", source, "interval_ms", (json_int_t)interval_ms,
                  "returns", (json_int_t)instrument->vol_returns_count, "per_interval_bps",
                  decimal_or_null(instrument->has_vol, &instrument->vol_bps), "annualised_pct",
                  decimal_or_null(instrument->has_vol, &instrument->vol_annualised_pct));
    return json_pack("{s:o,s:o}", "trade_stats", trades, "realised_vol", vol);
}

json_t *replay_monitor_json_take(json_t *object, const market_monitor *monitor,
                                 const struct market_book *book,
                                 const struct replay_monitor_options *options)
{
    uint64_t interval_ms = 1000;
    (void)count_option(options->interval_ms, REPLAY_INTERVAL_MS_MAX, &interval_ms);
    for (size_t index = 0; object != NULL && index < market_monitor_instruments_count(monitor);
         index++) {
        struct market_monitor_instrument instrument;
        market_monitor_instrument(monitor, index, &instrument);
        if (strcmp(instrument.venue, book->venue) == 0 &&
            strcmp(instrument.symbol, book->symbol) == 0) {
            json_t *added = instrument_json(&instrument, options, (int64_t)interval_ms);
            if (added == NULL || json_object_update(object, added) != 0) {
                json_decref(object);
                object = NULL;
            }
            json_decref(added);
        }
    }
    return object;
}
