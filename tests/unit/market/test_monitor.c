/*
 * The monitor (library tpw_market_monitor) on the recordings: instruments, trades and
 * windows, realised volatility; an injected burst — 50 taker buys of COMPUSDT over three
 * seconds of the Binance.US recording — firing exactly once under its cool-down (twice
 * without, shared with a second rule by its de-duplication key); a stale feed found by
 * time alone; a stale ticker injected; the same alerts on every run; settings refused.
 * The exact measures (order-flow imbalance, the mid's return) are checked by hand.
 */
#include "tpw_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measures.h"
#include "tpwallet/market.h"

#ifndef TPW_MARKET_DATA_DIR
#error "TPW_MARKET_DATA_DIR names tests/data/marketdata/cryptofeed"
#endif

#define ALERTS_MAX 32
#define LINE_SIZE ((size_t)512 * 1024)

static char alerts[ALERTS_MAX][MARKET_ALERT_JSON_SIZE];
static size_t alerts_count;

static void on_alert(void *user, const struct market_alert *alert)
{
    (void)user;
    assert_true(alerts_count < ALERTS_MAX);
    assert_true(market_alert_format_json(alert, alerts[alerts_count], MARKET_ALERT_JSON_SIZE) > 0);
    alerts_count++;
}

static char path_buf[2][512];

static const char *data_path(size_t slot, const char *name)
{
    (void)snprintf(path_buf[slot], sizeof(path_buf[slot]), "%s/%s", TPW_MARKET_DATA_DIR, name);
    return path_buf[slot];
}

/* Writes the Binance.US stream with `extra` lines put in at their epochs' places. */
static void stream_with(const char *out_path, const char *const *extra, size_t extra_count)
{
    FILE *in = fopen(data_path(0, "BINANCE_US.ws.1.0"), "rb");
    FILE *out = fopen(out_path, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char *line = malloc(LINE_SIZE);
    assert_non_null(line);
    size_t next = 0;
    while (fgets(line, (int)LINE_SIZE, in) != NULL) {
        double epoch = line[0] >= '0' && line[0] <= '9' ? strtod(line, NULL) : 0.0;
        while (next < extra_count && epoch > 0.0 && strtod(extra[next], NULL) < epoch) {
            assert_true(fprintf(out, "%s\n", extra[next++]) > 0);
        }
        assert_true(fputs(line, out) >= 0);
    }
    assert_int_equal(next, extra_count);
    free(line);
    assert_int_equal(fclose(in), 0);
    assert_int_equal(fclose(out), 0);
}

/* 50 COMPUSDT aggTrades, all taker buys: 20 in [290, 291), 20 in [291, 292), 10 after. */
static char burst_lines[50][512];
static const char *burst[50];

static void burst_make(void)
{
    for (size_t index = 0; index < 50; index++) {
        unsigned second = index < 20 ? 290 : index < 40 ? 291 : 292;
        unsigned fraction = (unsigned)(index % 20) * 40 + 100;
        (void)snprintf(burst_lines[index], sizeof(burst_lines[index]),
                       "1633998%u.%03u: {\"stream\":\"compusdt@aggTrade\",\"data\":{\"e\":"
                       "\"aggTrade\",\"E\":1633998%u%03u,\"s\":\"COMPUSDT\",\"a\":%zu,"
                       "\"p\":\"297.20000000\",\"q\":\"1.00000000\",\"f\":%zu,\"l\":%zu,"
                       "\"T\":1633998%u%03u,\"m\":false,\"M\":true}}",
                       second, fraction, second, fraction, 1 + index, 1 + index, 1 + index, second,
                       fraction);
        burst[index] = burst_lines[index];
    }
}

struct run {
    market_feed *feed;
    market_monitor *monitor;
};

/* The observation callback the next run_start() gives its monitor (NULL: none). */
static market_observation_fn *observer;

/* A monitor on a Binance.US feed replaying `ws_path`: 1 s intervals, warm after 10. */
static void run_start(struct run *run, const char *rules_text, const char *ws_path)
{
    struct market_monitor_config config;
    market_monitor_config_defaults(&config);
    config.warmup_count = 10;
    struct market_alert_rules rules;
    if (rules_text != NULL) {
        assert_err(market_alert_rules_parse(rules_text, strlen(rules_text), &rules, NULL), TPW_OK);
    }
    alerts_count = 0;
    assert_err(market_monitor_create(&config, rules_text != NULL ? &rules : NULL, on_alert,
                                     observer, NULL, &run->monitor, NULL),
               TPW_OK);
    assert_err(market_feed_create("BINANCE_US", &run->feed, NULL), TPW_OK);
    assert_err(market_monitor_attach(run->monitor, run->feed), TPW_OK);
    assert_err(market_replay_file(run->feed, data_path(1, "BINANCE_US.http.0.0"), NULL), TPW_OK);
    assert_err(market_replay_file(run->feed, ws_path, NULL), TPW_OK);
}

static void run_stop(struct run *run)
{
    market_monitor_destroy(run->monitor);
    market_feed_destroy(run->feed);
}

static bool instrument_find(const market_monitor *monitor, const char *symbol,
                            struct market_monitor_instrument *out)
{
    for (size_t index = 0; index < market_monitor_instruments_count(monitor); index++) {
        market_monitor_instrument(monitor, index, out);
        if (strcmp(out->symbol, symbol) == 0) {
            return true;
        }
    }
    return false;
}

/* OMGBUSD's mid returns as the monitor observed them, for the volatility's cross-check. */
static double omg_returns[64];
static size_t omg_returns_count;

static void on_observation(void *user, const struct market_observation *observation)
{
    (void)user;
    if (observation->metric == MARKET_METRIC_MID_RETURN_BPS &&
        strcmp(observation->symbol, "OMGBUSD") == 0) {
        assert_true(omg_returns_count < 64);
        double bps = (double)observation->value.units / 1e7;
        omg_returns[omg_returns_count++] = observation->value.negative ? -bps : bps;
    }
}

static void test_recording_measured(void **state)
{
    (void)state;
    struct run run;
    omg_returns_count = 0;
    observer = on_observation;
    run_start(&run, NULL, data_path(0, "BINANCE_US.ws.1.0"));
    observer = NULL;
    assert_int_equal(market_monitor_instruments_count(run.monitor), 4);
    struct market_monitor_instrument omg;
    assert_true(instrument_find(run.monitor, "OMGBUSD", &omg));
    assert_string_equal(omg.venue, "BINANCE_US");
    assert_int_equal(omg.trades_count, 11);
    assert_int_equal(omg.windows_count, 3);
    assert_int_equal(omg.windows[2].trades_count, 11); /* 60 s: the whole recording */
    assert_true(omg.has_last_price);
    assert_int_equal(omg.last_price.units, 1376040000);
    /* 274.72 … 305.54: the intervals ending at 275 … 305. */
    assert_int_equal(omg.intervals_count, 31);
    assert_true(omg.has_vol);
    assert_int_equal(omg.vol_returns_count, 30);
    /* The same volatility from the observed (exact, 10^-7 bps) mid returns. */
    assert_int_equal(omg_returns_count, 30);
    double variance = 0.0;
    for (size_t index = 0; index < omg_returns_count; index++) {
        double r = log1p(omg_returns[index] / 1e4);
        variance = index == 0 ? r * r : 0.94 * variance + 0.06 * r * r;
    }
    double vol_bps = (double)omg.vol_bps.units / 1e6;
    assert_true(fabs(vol_bps - sqrt(variance) * 1e4) < 2e-6);
    assert_true(vol_bps > 0.5);
    assert_true(omg.measures[MARKET_METRIC_SPREAD_BPS].has_value);
    assert_true(omg.measures[MARKET_METRIC_SPREAD_BPS].has_z);
    struct market_monitor_stats stats;
    market_monitor_stats(run.monitor, &stats);
    assert_int_equal(stats.intervals_closed_count, 31);
    assert_int_equal(stats.intervals_skipped_count, 0);
    assert_int_equal(stats.alerts.observations_count, 0); /* no rules, no alerter */
    run_stop(&run);
}

static void test_injected_burst_fires_once(void **state)
{
    (void)state;
    burst_make();
    const char *path = "test_market_monitor.burst.ws";
    stream_with(path, burst, 50);
    static const char *const rules[] = {
        "rule burst metric=trades when=z>=2.5 instrument=BINANCE_US:COMPUSDT cooldown=60s\n",
        "rule burst metric=trades when=z>=2.5 instrument=BINANCE_US:COMPUSDT cooldown=0s\n",
        /* A second rule on the same key: the flow of the same burst, one alert still. */
        "rule burst metric=trades when=z>=2.5 instrument=BINANCE_US:COMPUSDT cooldown=60s "
        "dedup=venue,symbol\n"
        "rule flow metric=trade_flow when=z>=2.5 instrument=BINANCE_US:COMPUSDT cooldown=60s "
        "dedup=venue,symbol\n",
    };
    const size_t expected[] = {1, 2, 1};
    for (size_t index = 0; index < 3; index++) {
        struct run run;
        run_start(&run, rules[index], path);
        assert_int_equal(alerts_count, expected[index]);
        assert_non_null(strstr(alerts[0], "\"rule\":\"burst\""));
        assert_non_null(strstr(alerts[0], "\"symbol\":\"COMPUSDT\",\"value\":\"20\""));
        assert_non_null(strstr(alerts[0], "\"timestamp_us\":1633998291000000,"));
        assert_non_null(strstr(alerts[0], "\"z\":\"20.000000\"")); /* 20 over a flat floor */
        if (expected[index] == 2) {
            assert_non_null(strstr(alerts[1], "\"timestamp_us\":1633998292000000,"));
            assert_non_null(strstr(alerts[1], "\"z\":\"3.000000\"")); /* (20 − 2) / 6 */
        }
        struct market_monitor_instrument comp;
        assert_true(instrument_find(run.monitor, "COMPUSDT", &comp));
        assert_int_equal(comp.trades_count, 50);
        assert_int_equal(comp.windows[2].totals.buy_trades_count, 50);
        struct market_monitor_stats stats;
        market_monitor_stats(run.monitor, &stats);
        assert_int_equal(stats.alerts.suppressed_count, index == 2 ? 3 : index == 0 ? 1 : 0);
        run_stop(&run);
    }
    /* The same rules on the recording as it is: COMPUSDT never trades. */
    struct run run;
    run_start(&run, rules[1], data_path(0, "BINANCE_US.ws.1.0"));
    assert_int_equal(alerts_count, 0);
    run_stop(&run);
    assert_int_equal(remove(path), 0);
}

static void test_recorded_burst_and_determinism(void **state)
{
    (void)state;
    /* OMGBUSD trades five times within 0.1 s at 291.74 after a quiet start. */
    const char *rules = "rule burst metric=trades when=z>=4 instrument=*:OMG* cooldown=60s\n"
                        "rule jump metric=mid_return_bps when=abs(z)>=4\n"
                        "rule wide metric=spread_bps when=value>=40\n"
                        "rule busy metric=window_trades window=10s when=value>=5\n"
                        "rule vol metric=realised_vol_bps when=value>=10\n";
    char first[ALERTS_MAX][MARKET_ALERT_JSON_SIZE];
    size_t first_count = 0;
    for (size_t round = 0; round < 2; round++) {
        struct run run;
        run_start(&run, rules, data_path(0, "BINANCE_US.ws.1.0"));
        if (round == 0) {
            (void)memcpy(first, alerts, sizeof(first));
            first_count = alerts_count;
        } else {
            assert_int_equal(alerts_count, first_count);
            assert_memory_equal(first, alerts, first_count * MARKET_ALERT_JSON_SIZE);
        }
        run_stop(&run);
    }
    bool burst_seen = false;
    for (size_t index = 0; index < first_count; index++) {
        burst_seen = burst_seen || (strstr(first[index], "\"rule\":\"burst\"") != NULL &&
                                    strstr(first[index], "\"value\":\"5\"") != NULL);
    }
    assert_true(burst_seen);
}

static void test_stale_feed_by_time(void **state)
{
    (void)state;
    struct run run;
    run_start(&run, "rule stale metric=feed_age_ms when=value>2000 cooldown=60s\n",
              data_path(0, "BINANCE_US.ws.1.0"));
    assert_int_equal(alerts_count, 0);
    /* The last message came at 305.539553: silence until 312. */
    market_monitor_advance(run.monitor, 1633998312000000);
    assert_int_equal(alerts_count, 1);
    assert_non_null(strstr(alerts[0], "\"metric\":\"feed_age_ms\",\"venue\":\"BINANCE_US\","
                                      "\"symbol\":\"\",\"value\":\"2460.447\""));
    struct market_monitor_stats stats;
    market_monitor_stats(run.monitor, &stats);
    assert_int_equal(stats.alerts.suppressed_count, 4); /* 309 … 312 */
    /* Time going back changes nothing. */
    market_monitor_advance(run.monitor, 1633998300000000);
    market_monitor_stats(run.monitor, &stats);
    assert_int_equal(stats.alerts.suppressed_count, 4);
    run_stop(&run);
}

static void test_stale_ticker(void **state)
{
    (void)state;
    static const char *const ticker[] = {
        "1633998280.5: {\"stream\":\"compusdt@bookTicker\",\"data\":{\"u\":113129200,"
        "\"s\":\"COMPUSDT\",\"b\":\"296.00000000\",\"B\":\"1.00000000\",\"a\":\"298.00000000\","
        "\"A\":\"1.00000000\"}}"};
    const char *path = "test_market_monitor.ticker.ws";
    stream_with(path, ticker, 1);
    struct run run;
    run_start(&run, "rule lag metric=ticker_lag when=value>=1 instrument=*:COMPUSDT\n", path);
    assert_int_equal(alerts_count, 1);
    assert_non_null(strstr(alerts[0], "\"metric\":\"ticker_lag\""));
    assert_non_null(strstr(alerts[0], "\"timestamp_us\":1633998280500000,"));
    run_stop(&run);
    assert_int_equal(remove(path), 0);
}

static void test_settings_refused(void **state)
{
    (void)state;
    struct market_monitor_config config;
    market_monitor_config_defaults(&config);
    market_monitor *monitor = NULL;
    struct tpw_error_detail detail;
    struct market_monitor_config bad = config;
    bad.interval_us = 0;
    assert_err(market_monitor_create(&bad, NULL, NULL, NULL, NULL, &monitor, &detail),
               TPW_ERR_INVALID_ARGUMENT);
    bad = config;
    bad.vol_lambda_ppm = 1000000;
    assert_err(market_monitor_create(&bad, NULL, NULL, NULL, NULL, &monitor, &detail),
               TPW_ERR_INVALID_ARGUMENT);
    struct market_alert_rules rules;
    const char *text = "\nrule busy metric=window_trades window=5s when=value>=5\n";
    assert_err(market_alert_rules_parse(text, strlen(text), &rules, NULL), TPW_OK);
    tpw_error_detail_reset(&detail);
    assert_err(market_monitor_create(&config, &rules, on_alert, NULL, NULL, &monitor, &detail),
               TPW_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(detail.message, "line 2: rule 'busy' names a window"));
    assert_err(market_monitor_create(&config, &rules, NULL, NULL, NULL, &monitor, &detail),
               TPW_ERR_INVALID_ARGUMENT);
    /* A feed is observed once. */
    assert_err(market_monitor_create(&config, NULL, NULL, NULL, NULL, &monitor, &detail), TPW_OK);
    market_feed *feed = NULL;
    assert_err(market_feed_create("BINANCE", &feed, NULL), TPW_OK);
    assert_err(market_monitor_attach(monitor, feed), TPW_OK);
    assert_err(market_monitor_attach(monitor, feed), TPW_ERR_INVALID_ARGUMENT);
    market_monitor_destroy(monitor);
    market_feed_destroy(feed);
}

/* The measures' integer parts, by hand. */
static void test_exact_measures(void **state)
{
    (void)state;
    struct market__top before = {{100, 10}, {110, 20}, true};
    struct market__top after = before;
    after.bid.qty_minor = 15; /* the bid grows by 5: buying pressure */
    assert_true(market__ofi_step(&before, &after) == 5);
    after = before;
    after.bid = (struct market_level){101, 3}; /* a better bid: all of it */
    assert_true(market__ofi_step(&before, &after) == 3);
    after = before;
    after.bid = (struct market_level){99, 7}; /* the bid was taken out: all of the old one */
    assert_true(market__ofi_step(&before, &after) == -10);
    after = before;
    after.ask = (struct market_level){109, 4}; /* a lower ask: selling pressure */
    assert_true(market__ofi_step(&before, &after) == -4);
    after = before;
    after.ask = (struct market_level){111, 4}; /* the ask was lifted */
    assert_true(market__ofi_step(&before, &after) == 20);
    struct market_decimal value;
    assert_err(market__mid_return_bps(200, 201, &value), TPW_OK); /* +0.5 % */
    char text[MARKET_DECIMAL_TEXT_SIZE];
    assert_true(market_decimal_format(&value, text, sizeof(text)) > 0);
    assert_string_equal(text, "50.0000000");
    assert_err(market__mid_return_bps(3, 2, &value), TPW_OK);
    assert_true(market_decimal_format(&value, text, sizeof(text)) > 0);
    assert_string_equal(text, "-3333.3333333");
    assert_err(market__mid_return_bps(0, 2, &value), TPW_ERR_DIVISION_BY_ZERO);
    market__i128 sum = 0;
    assert_true(market__i128_add(&sum, -7));
    struct market_decimal negative = market__decimal_of_i128(sum, 2);
    assert_true(market_decimal_format(&negative, text, sizeof(text)) > 0);
    assert_string_equal(text, "-0.07");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recording_measured),
        cmocka_unit_test(test_injected_burst_fires_once),
        cmocka_unit_test(test_recorded_burst_and_determinism),
        cmocka_unit_test(test_stale_feed_by_time),
        cmocka_unit_test(test_stale_ticker),
        cmocka_unit_test(test_settings_refused),
        cmocka_unit_test(test_exact_measures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
