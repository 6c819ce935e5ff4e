/*
 * The alerter (src/market/alerts.c), with the observations' own times as the injected
 * clock: cool-down to the microsecond, duplicates at one instant, de-duplication keys
 * shared across rules and symbols, instrument globs, exact conditions across scales,
 * z-scores only once warm, windows, the key table's bound, the JSON form; then a seeded
 * random run against a model of the cool-down.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <string.h>

#include "tpwallet/market.h"
#include "tpwallet/prng.h"

#define ALERTS_MAX 64

static struct {
    uint64_t sequence;
    uint64_t suppressed_count;
    int64_t timestamp_us;
    char rule[MARKET_ALERT_NAME_SIZE];
    char key[MARKET_ALERT_KEY_SIZE];
    char json[MARKET_ALERT_JSON_SIZE];
} alerts[ALERTS_MAX];
static size_t alerts_count;

static void on_alert(void *user, const struct market_alert *alert)
{
    (void)user;
    if (alerts_count >= ALERTS_MAX) {
        alerts_count++;
        return; /* the bound test only counts */
    }
    alerts[alerts_count].sequence = alert->sequence;
    alerts[alerts_count].suppressed_count = alert->suppressed_count;
    alerts[alerts_count].timestamp_us = alert->observation->timestamp_us;
    (void)snprintf(alerts[alerts_count].rule, MARKET_ALERT_NAME_SIZE, "%s", alert->rule->name);
    (void)snprintf(alerts[alerts_count].key, MARKET_ALERT_KEY_SIZE, "%s", alert->key);
    assert_true(market_alert_format_json(alert, alerts[alerts_count].json, MARKET_ALERT_JSON_SIZE) >
                0);
    alerts_count++;
}

static market_alerter *alerter_new(const char *rules_text)
{
    struct market_alert_rules rules;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = market_alert_rules_parse(rules_text, strlen(rules_text), &rules, &detail);
    if (err != TPW_OK) {
        print_error("%s\n", detail.message);
    }
    assert_err(err, TPW_OK);
    market_alerter *alerter = NULL;
    assert_err(market_alerter_create(&rules, on_alert, NULL, &alerter), TPW_OK);
    alerts_count = 0;
    return alerter;
}

/* An observation of `metric` for BINANCE_US:`symbol` with value units/10^exponent. */
static struct market_observation observation(enum market_metric metric, const char *symbol,
                                             int64_t timestamp_us, uint64_t units,
                                             unsigned exponent)
{
    struct market_observation result = {
        .metric = metric,
        .timestamp_us = timestamp_us,
        .venue = "BINANCE_US",
        .symbol = symbol,
        .value = {units, exponent, false},
    };
    return result;
}

static struct market_observation scored(const char *symbol, int64_t timestamp_us, uint64_t z_units)
{
    struct market_observation result =
        observation(MARKET_METRIC_TRADES, symbol, timestamp_us, 50, 0);
    result.has_z = true;
    result.z = (struct market_decimal){z_units, MARKET_STAT_EXPONENT, false};
    return result;
}

static void test_cooldown_to_the_microsecond(void **state)
{
    (void)state;
    market_alerter *alerter = alerter_new("rule burst metric=trades when=z>=4 cooldown=60s\n");
    const int64_t times[] = {1000, 1000, 30001000, 60000999, 60001000, 60001001, 120001000};
    for (size_t index = 0; index < sizeof(times) / sizeof(times[0]); index++) {
        struct market_observation seen = scored("OMGBUSD", times[index], 5000000);
        market_alerter_observe(alerter, &seen);
    }
    /* 1000 fires; its duplicate, 30 s and 60 s − 1 µs later are held; 60 s after it fires
     * again with the three it held; 1 µs later is held; 60 s after that fires. */
    assert_int_equal(alerts_count, 3);
    assert_int_equal(alerts[0].timestamp_us, 1000);
    assert_int_equal(alerts[1].timestamp_us, 60001000);
    assert_int_equal(alerts[1].suppressed_count, 3);
    assert_int_equal(alerts[2].timestamp_us, 120001000);
    assert_int_equal(alerts[2].suppressed_count, 1);
    assert_int_equal(alerts[2].sequence, 3);
    struct market_alerter_stats stats;
    market_alerter_stats(alerter, &stats);
    assert_int_equal(stats.observations_count, 7);
    assert_int_equal(stats.triggers_count, 7);
    assert_int_equal(stats.alerts_count, 3);
    assert_int_equal(stats.suppressed_count, 4);
    assert_int_equal(stats.keys_count, 1);
    market_alerter_destroy(alerter);
}

static void test_zero_cooldown_still_dedups_an_instant(void **state)
{
    (void)state;
    market_alerter *alerter = alerter_new("rule burst metric=trades when=z>=4 cooldown=0s\n");
    for (int64_t time = 0; time < 3; time++) {
        struct market_observation seen = scored("OMGBUSD", time, 4000000);
        market_alerter_observe(alerter, &seen);
        market_alerter_observe(alerter, &seen); /* the same instant again */
    }
    assert_int_equal(alerts_count, 3);
    market_alerter_destroy(alerter);
}

static void test_keys_shared_across_rules_and_symbols(void **state)
{
    (void)state;
    market_alerter *alerter = alerter_new(
        "rule burst metric=trades when=z>=4 dedup=venue,symbol\n"
        "rule many metric=trades when=value>=10 dedup=venue,symbol\n"
        "rule venue-wide metric=trades when=value>=10 dedup=rule,venue severity=critical\n");
    struct market_observation omg = scored("OMGBUSD", 5, 9000000);
    struct market_observation comp = scored("COMPUSDT", 5, 9000000);
    market_alerter_observe(alerter, &omg);
    market_alerter_observe(alerter, &comp);
    /* burst and many share BINANCE_US:OMGBUSD: one alert; venue-wide's key has no symbol. */
    assert_int_equal(alerts_count, 3);
    assert_string_equal(alerts[0].rule, "burst");
    assert_string_equal(alerts[0].key, "BINANCE_US:OMGBUSD");
    assert_string_equal(alerts[1].rule, "venue-wide");
    assert_string_equal(alerts[1].key, "venue-wide:BINANCE_US");
    assert_string_equal(alerts[2].rule, "burst");
    assert_string_equal(alerts[2].key, "BINANCE_US:COMPUSDT");
    struct market_alerter_stats stats;
    market_alerter_stats(alerter, &stats);
    assert_int_equal(stats.triggers_count, 6);
    assert_int_equal(stats.suppressed_count, 3);
    market_alerter_destroy(alerter);
}

static void test_patterns_conditions_windows(void **state)
{
    (void)state;
    market_alerter *alerter = alerter_new(
        "rule a metric=spread_bps when=value>=20 instrument=BINANCE*:*USDT cooldown=0s\n"
        "rule b metric=spread_bps when=value<20 instrument=*:O?GBUSD cooldown=0s\n"
        "rule c metric=trade_flow when=abs(value)>=1.5 cooldown=0s\n"
        "rule d metric=trade_flow when=value<=-0.00000001 cooldown=0s\n"
        "rule e metric=window_trades window=10s when=value>=3 cooldown=0s\n"
        "rule f metric=feed_age_ms when=value>2000 instrument=BINANCE_US:NONE cooldown=0s\n"
        "rule g metric=trades when=abs(z)>=4 cooldown=0s\n");
    struct market_observation seen[] = {
        /* 20.0000000 ≥ 20 across exponents: a fires; OMGBUSD is not *USDT. */
        observation(MARKET_METRIC_SPREAD_BPS, "COMPUSDT", 1, 200000000, 7),
        observation(MARKET_METRIC_SPREAD_BPS, "COMPUSDT", 2, 199999999, 7), /* neither */
        observation(MARKET_METRIC_SPREAD_BPS, "OMGBUSD", 3, 199999999, 7),  /* b */
        observation(MARKET_METRIC_TRADE_FLOW, "OMGBUSD", 4, 150000000, 8),  /* c */
        observation(MARKET_METRIC_WINDOW_TRADES, "OMGBUSD", 5, 3, 0),       /* e: its window? */
        observation(MARKET_METRIC_FEED_AGE_MS, "", 6, 2000001, 3),          /* f, any symbol */
        observation(MARKET_METRIC_TRADES, "OMGBUSD", 7, 50, 0),             /* g: no z yet */
    };
    seen[4].window_us = 1000000; /* not e's window */
    for (size_t index = 0; index < sizeof(seen) / sizeof(seen[0]); index++) {
        market_alerter_observe(alerter, &seen[index]);
    }
    struct market_observation flow_down = observation(MARKET_METRIC_TRADE_FLOW, "X", 8, 2, 8);
    flow_down.value.negative = true;
    market_alerter_observe(alerter, &flow_down); /* d, and not c: |−0.00000002| < 1.5 */
    struct market_observation window = seen[4];
    window.window_us = 10000000;
    market_alerter_observe(alerter, &window); /* e */
    struct market_observation negative_z = scored("OMGBUSD", 9, 4000000);
    negative_z.z.negative = true;
    market_alerter_observe(alerter, &negative_z); /* g: abs(z) */
    const char *expected[] = {"a", "b", "c", "f", "d", "e", "g"};
    assert_int_equal(alerts_count, 7);
    for (size_t index = 0; index < 7; index++) {
        assert_string_equal(alerts[index].rule, expected[index]);
    }
    market_alerter_destroy(alerter);
}

static void test_key_table_bound(void **state)
{
    (void)state;
    market_alerter *alerter = alerter_new("rule burst metric=trades when=z>=4 cooldown=1h\n");
    char symbol[32];
    for (size_t index = 0; index <= MARKET_ALERT_KEYS_MAX; index++) {
        (void)snprintf(symbol, sizeof(symbol), "S%zu", index);
        struct market_observation seen = scored(symbol, (int64_t)index, 5000000);
        market_alerter_observe(alerter, &seen);
    }
    struct market_alerter_stats stats;
    market_alerter_stats(alerter, &stats);
    assert_int_equal(stats.keys_count, MARKET_ALERT_KEYS_MAX);
    assert_int_equal(stats.keys_evicted_count, 1);
    assert_int_equal(stats.alerts_count, MARKET_ALERT_KEYS_MAX + 1);
    /* S0 fired longest ago and was evicted: it fires again inside its cool-down. */
    struct market_observation again = scored("S0", 5000, 5000000);
    market_alerter_observe(alerter, &again);
    market_alerter_stats(alerter, &stats);
    assert_int_equal(stats.alerts_count, MARKET_ALERT_KEYS_MAX + 2);
    market_alerter_destroy(alerter);
}

static void test_json(void **state)
{
    (void)state;
    market_alerter *alerter =
        alerter_new("rule burst metric=trades when=z>=4 severity=critical cooldown=90s\n"
                    "rule volume metric=window_volume_base window=10s when=value>=1\n");
    struct market_observation seen = scored("OMG\"BUSD", 1633998290000000, 12345678);
    market_alerter_observe(alerter, &seen);
    assert_string_equal(
        alerts[0].json,
        "{\"type\":\"alert\",\"sequence\":1,\"time\":\"2021-10-12T00:24:50.000Z\","
        "\"timestamp_us\":1633998290000000,\"rule\":\"burst\",\"severity\":\"critical\","
        "\"metric\":\"trades\",\"venue\":\"BINANCE_US\",\"symbol\":\"OMG\\\"BUSD\","
        "\"value\":\"50\",\"z\":\"12.345678\",\"condition\":\"z>=4\",\"window_us\":null,"
        "\"cooldown_us\":90000000,\"key\":\"burst:BINANCE_US:OMG\\\"BUSD\",\"suppressed\":0}");
    struct market_observation window =
        observation(MARKET_METRIC_WINDOW_VOLUME_BASE, "OMGBUSD", -1, 150000000, 8);
    window.window_us = 10000000;
    market_alerter_observe(alerter, &window);
    assert_int_equal(alerts_count, 2);
    assert_non_null(strstr(alerts[1].json, "\"time\":null,\"timestamp_us\":-1,"));
    assert_non_null(strstr(alerts[1].json, "\"value\":\"1.50000000\",\"z\":null"));
    assert_non_null(strstr(alerts[1].json, "\"window_us\":10000000"));
    market_alerter_destroy(alerter);
    /* A buffer too short gives 0 and "". */
    struct market_alert_rules rules;
    assert_err(market_alert_rules_parse("rule r metric=trades when=value>1\n", 34, &rules, NULL),
               TPW_OK);
    struct market_alert alert = {1, 0, &rules.rules[0], &seen, "k"};
    char small[40];
    assert_int_equal(market_alert_format_json(&alert, small, sizeof(small)), 0);
    assert_string_equal(small, "");
}

/* Many keys, random times and cool-downs, against a model: fire unless the key fired
 * within its rule's cool-down or at that instant. */
static void test_random_against_model(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_market_alerts", 0xa1e27));
    market_alerter *alerter = alerter_new("rule fast metric=trades when=z>=1 cooldown=250ms\n"
                                          "rule slow metric=trades when=z>=3 cooldown=2s\n");
    static const char *const symbols[] = {"A", "B", "C"};
    int64_t last_fired_us[2][3];
    bool fired[2][3] = {{false}};
    int64_t now_us = 0;
    uint64_t expected = 0;
    for (size_t step = 0; step < 20000; step++) {
        now_us += (int64_t)tpw_prng_below(&prng, 120000);
        size_t symbol = (size_t)tpw_prng_below(&prng, 3);
        uint64_t z_units = tpw_prng_below(&prng, 5000000);
        struct market_observation seen = scored(symbols[symbol], now_us, z_units);
        market_alerter_observe(alerter, &seen);
        const int64_t cooldowns_us[2] = {250000, 2000000};
        const uint64_t thresholds[2] = {1000000, 3000000};
        for (size_t rule = 0; rule < 2; rule++) {
            if (z_units < thresholds[rule]) {
                continue;
            }
            if (!fired[rule][symbol] ||
                (now_us > last_fired_us[rule][symbol] &&
                 now_us - last_fired_us[rule][symbol] >= cooldowns_us[rule])) {
                fired[rule][symbol] = true;
                last_fired_us[rule][symbol] = now_us;
                expected++;
            }
        }
    }
    struct market_alerter_stats stats;
    market_alerter_stats(alerter, &stats);
    assert_int_equal(stats.alerts_count, expected);
    assert_int_equal(stats.keys_count, 6);
    market_alerter_destroy(alerter);
}

static void test_metric_names(void **state)
{
    (void)state;
    assert_string_equal(market_metric_name(MARKET_METRIC_ORDER_FLOW_IMBALANCE),
                        "order_flow_imbalance");
    assert_string_equal(market_metric_name(MARKET_METRICS_COUNT), "unknown");
    assert_int_equal(market_metric_kind_of(MARKET_METRIC_MID_RETURN_BPS),
                     MARKET_METRIC_KIND_SCORED);
    assert_int_equal(market_metric_kind_of(MARKET_METRIC_TICKER_LAG), MARKET_METRIC_KIND_EVENT);
    for (unsigned metric = 0; metric < MARKET_METRICS_COUNT; metric++) {
        bool scored_kind =
            market_metric_kind_of((enum market_metric)metric) == MARKET_METRIC_KIND_SCORED;
        assert_int_equal(scored_kind, metric < MARKET_METRICS_SCORED_COUNT);
    }
    market_alerter *alerter = NULL;
    struct market_alert_rules rules = {.rules_count = 0};
    assert_err(market_alerter_create(&rules, NULL, NULL, &alerter), TPW_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cooldown_to_the_microsecond),
        cmocka_unit_test(test_zero_cooldown_still_dedups_an_instant),
        cmocka_unit_test(test_keys_shared_across_rules_and_symbols),
        cmocka_unit_test(test_patterns_conditions_windows),
        cmocka_unit_test(test_key_table_bound),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_metric_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
