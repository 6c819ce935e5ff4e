/*
 * Windowed trade statistics (src/market/trade_stats.c): a trade's life in a window to
 * the microsecond at the bucket boundaries, the exact buy/sell sums, VWAP and rate with
 * their half-up rounding, jumps in time, late trades, overflow refused with nothing
 * changed; then every window held to a brute-force recount — over seeded random trades,
 * and over the recordings' trades replayed through a feed at their receive times.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpwallet/market.h"
#include "tpwallet/prng.h"

#ifndef TPW_MARKET_DATA_DIR
#error "TPW_MARKET_DATA_DIR names tests/data/marketdata/cryptofeed"
#endif

#define E8 100000000ull

static const struct market_trade_window_config default_windows[] = {
    {1000000, 10}, {10000000, 10}, {60000000, 60}};

static void stats_new(struct market_trade_stats *stats)
{
    assert_err(market_trade_stats_init(stats, default_windows, 3, 8, 8), TPW_OK);
}

static struct market_trade_window window_of(const struct market_trade_stats *stats, size_t index)
{
    struct market_trade_window window;
    market_trade_stats_window(stats, index, &window);
    return window;
}

static void assert_decimal(const struct market_decimal *value, const char *expected)
{
    char text[MARKET_DECIMAL_TEXT_SIZE];
    assert_true(market_decimal_format(value, text, sizeof(text)) > 0);
    assert_string_equal(text, expected);
}

static void test_config_checked(void **state)
{
    (void)state;
    struct market_trade_stats stats;
    const struct market_trade_window_config bad[][1] = {
        {{0, 1}}, {{-10, 1}}, {{1000, 0}}, {{1000, MARKET_TRADE_BUCKETS_MAX + 1}}, {{1000, 3}}};
    for (size_t index = 0; index < sizeof(bad) / sizeof(bad[0]); index++) {
        assert_err(market_trade_stats_init(&stats, bad[index], 1, 8, 8), TPW_ERR_INVALID_ARGUMENT);
    }
    assert_err(market_trade_stats_init(&stats, default_windows, 0, 8, 8), TPW_ERR_INVALID_ARGUMENT);
    assert_err(market_trade_stats_init(&stats, default_windows, MARKET_TRADE_WINDOWS_MAX + 1, 8, 8),
               TPW_ERR_INVALID_ARGUMENT);
    assert_err(market_trade_stats_init(&stats, default_windows, 1, MARKET_EXPONENT_MAX + 1, 8),
               TPW_ERR_INVALID_ARGUMENT);
    stats_new(&stats);
    assert_err(market_trade_stats_add(&stats, 0, MARKET_TAKER_BUY, 1, 0), TPW_ERR_INVALID_ARGUMENT);
    assert_err(market_trade_stats_add(&stats, 0, (enum market_taker)7, 1, 1),
               TPW_ERR_INVALID_ARGUMENT);
    assert_int_equal(stats.trades_count, 0);
    market_trade_stats_deinit(&stats);
}

/* Window 0 is 1 s of ten 100 ms buckets: the window is the bucket now is in and the
 * nine before it. */
static void test_bucket_boundaries(void **state)
{
    (void)state;
    struct market_trade_stats stats;
    stats_new(&stats);
    assert_err(market_trade_stats_add(&stats, 0, MARKET_TAKER_BUY, E8, E8), TPW_OK);
    assert_err(market_trade_stats_add(&stats, 99999, MARKET_TAKER_BUY, E8, 2 * E8), TPW_OK);
    assert_err(market_trade_stats_add(&stats, 100000, MARKET_TAKER_SELL, E8, 4 * E8), TPW_OK);
    market_trade_stats_advance(&stats, 999999);
    assert_int_equal(window_of(&stats, 0).trades_count, 3);
    /* 1 s after bucket 0 began, bucket 0 leaves: the trade at 99999 lived 900001 µs. */
    market_trade_stats_advance(&stats, 1000000);
    struct market_trade_window window = window_of(&stats, 0);
    assert_int_equal(window.trades_count, 1);
    assert_int_equal(window.totals.sell_base_minor, 4 * E8);
    market_trade_stats_advance(&stats, 1099999);
    assert_int_equal(window_of(&stats, 0).trades_count, 1);
    market_trade_stats_advance(&stats, 1100000);
    assert_int_equal(window_of(&stats, 0).trades_count, 0);
    assert_false(window_of(&stats, 0).has_vwap);
    /* The 10 s window still holds all three. */
    assert_int_equal(window_of(&stats, 1).trades_count, 3);
    market_trade_stats_advance(&stats, 9999999);
    assert_int_equal(window_of(&stats, 1).trades_count, 3);
    market_trade_stats_advance(&stats, 10000000); /* its first 1 s bucket leaves */
    assert_int_equal(window_of(&stats, 1).trades_count, 0);
    assert_int_equal(window_of(&stats, 2).trades_count, 3);
    market_trade_stats_deinit(&stats);
}

static void test_before_1970(void **state)
{
    (void)state;
    struct market_trade_stats stats;
    stats_new(&stats);
    /* -1 µs is in bucket -1 ([-100000, 0)), not bucket 0. */
    assert_err(market_trade_stats_add(&stats, -1, MARKET_TAKER_BUY, E8, E8), TPW_OK);
    market_trade_stats_advance(&stats, 899999);
    assert_int_equal(window_of(&stats, 0).trades_count, 1);
    market_trade_stats_advance(&stats, 900000);
    assert_int_equal(window_of(&stats, 0).trades_count, 0);
    market_trade_stats_deinit(&stats);
}

static void test_sums_vwap_rate(void **state)
{
    (void)state;
    struct market_trade_stats stats;
    stats_new(&stats);
    /* 1.00000001 × 1 and 1.00000002 × 1: VWAP 1.000000015, half-up to 1.00000002. */
    assert_err(market_trade_stats_add(&stats, 5000000, MARKET_TAKER_BUY, E8 + 1, E8), TPW_OK);
    assert_err(market_trade_stats_add(&stats, 5000001, MARKET_TAKER_SELL, E8 + 2, E8), TPW_OK);
    assert_err(market_trade_stats_add(&stats, 5000002, MARKET_TAKER_SELL, 3 * E8, 5), TPW_OK);
    struct market_trade_window window = window_of(&stats, 1);
    assert_int_equal(window.window_us, 10000000);
    assert_int_equal(window.trades_count, 3);
    assert_int_equal(window.totals.buy_trades_count, 1);
    assert_int_equal(window.totals.sell_trades_count, 2);
    assert_decimal(&window.volume_base, "2.00000005");
    assert_decimal(&window.buy_volume_base, "1.00000000");
    assert_decimal(&window.sell_volume_base, "1.00000005");
    /* 1.00000001 + 1.00000002 + 3 × 0.00000005, exactly, at 16 fraction digits. */
    assert_decimal(&window.volume_quote, "2.0000001800000000");
    assert_true(window.has_vwap);
    /* 2.00000018 / 2.00000005 = 1.0000000649999… → 1.00000006 (half-up: below the tie) */
    assert_decimal(&window.vwap, "1.00000006");
    assert_decimal(&window.rate_per_s, "0.300000"); /* 3 trades in 10 s */
    window = window_of(&stats, 0);
    assert_decimal(&window.rate_per_s, "3.000000");
    window = window_of(&stats, 2);
    assert_decimal(&window.rate_per_s, "0.050000");
    market_trade_stats_deinit(&stats);
    /* Half-up exactly at a tie: 0.00000001 × 1 and 0.00000002 × 1 give 0.000000015. */
    stats_new(&stats);
    assert_err(market_trade_stats_add(&stats, 0, MARKET_TAKER_BUY, 1, E8), TPW_OK);
    assert_err(market_trade_stats_add(&stats, 0, MARKET_TAKER_BUY, 2, E8), TPW_OK);
    window = window_of(&stats, 0);
    assert_decimal(&window.vwap, "0.00000002");
    market_trade_stats_deinit(&stats);
}

static void test_jumps_and_late_trades(void **state)
{
    (void)state;
    struct market_trade_stats stats;
    stats_new(&stats);
    assert_err(market_trade_stats_add(&stats, 1000, MARKET_TAKER_BUY, E8, E8), TPW_OK);
    /* An hour later every window is empty, and cleared in one step. */
    market_trade_stats_advance(&stats, 3600000000LL);
    for (size_t index = 0; index < 3; index++) {
        struct market_trade_window window = window_of(&stats, index);
        assert_int_equal(window.trades_count, 0);
        assert_decimal(&window.volume_base, "0.00000000");
    }
    /* A receive time that went back is counted now, and as late. */
    assert_err(market_trade_stats_add(&stats, 5, MARKET_TAKER_SELL, E8, E8), TPW_OK);
    assert_int_equal(stats.late_count, 1);
    assert_int_equal(stats.now_us, 3600000000LL);
    assert_int_equal(window_of(&stats, 0).trades_count, 1);
    market_trade_stats_advance(&stats, 3600000000LL + 1000000);
    assert_int_equal(window_of(&stats, 0).trades_count, 0);
    market_trade_stats_deinit(&stats);
}

static void test_overflow_changes_nothing(void **state)
{
    (void)state;
    struct market_trade_stats stats;
    stats_new(&stats);
    /* Each notional is (2^64 − 1)^2 ≈ 2^128 − 2^65: the second one does not fit. */
    assert_err(market_trade_stats_add(&stats, 0, MARKET_TAKER_BUY, UINT64_MAX, UINT64_MAX), TPW_OK);
    struct market_trade_window before = window_of(&stats, 2);
    assert_err(market_trade_stats_add(&stats, 1, MARKET_TAKER_SELL, UINT64_MAX, UINT64_MAX),
               TPW_ERR_OVERFLOW);
    struct market_trade_window after = window_of(&stats, 2);
    assert_memory_equal(&before.totals, &after.totals, sizeof(before.totals));
    assert_int_equal(stats.trades_count, 1);
    market_trade_stats_deinit(&stats);
}

/* ---- the brute-force recount */

struct recorded {
    int64_t at_us; /* the time it counted at: never before the previous one */
    enum market_taker aggressor;
    uint64_t price_minor;
    uint64_t qty_minor;
};

struct recount {
    struct recorded *trades;
    size_t count;
    size_t size;
    int64_t now_us;
    bool started;
};

static void recount_add(struct recount *recount, int64_t at_us, enum market_taker aggressor,
                        uint64_t price_minor, uint64_t qty_minor)
{
    if (recount->count == recount->size) {
        recount->size = recount->size == 0 ? 256 : 2 * recount->size;
        recount->trades = realloc(recount->trades, recount->size * sizeof(recount->trades[0]));
        assert_non_null(recount->trades);
    }
    int64_t effective_us = recount->started && at_us < recount->now_us ? recount->now_us : at_us;
    recount->trades[recount->count++] =
        (struct recorded){effective_us, aggressor, price_minor, qty_minor};
    recount->now_us = effective_us;
    recount->started = true;
}

static int64_t floor_div(int64_t value, int64_t divisor)
{
    int64_t quotient = value / divisor;
    return value % divisor < 0 ? quotient - 1 : quotient;
}

/* Every window of `stats` against the sums of the trades in its buckets. */
static void recount_check(const struct recount *recount, const struct market_trade_stats *stats)
{
    for (size_t index = 0; index < stats->windows_count; index++) {
        const struct market_trade_window_config *config = &stats->windows[index].config;
        int64_t bucket_us = config->window_us / (int64_t)config->buckets_count;
        int64_t oldest = floor_div(stats->now_us, bucket_us) - (int64_t)config->buckets_count + 1;
        struct market_trade_totals expected;
        memset(&expected, 0, sizeof(expected));
        for (size_t trade = 0; trade < recount->count; trade++) {
            const struct recorded *r = &recount->trades[trade];
            if (floor_div(r->at_us, bucket_us) < oldest) {
                continue;
            }
            tpw_u128 notional = (tpw_u128)r->price_minor * r->qty_minor;
            bool buy = r->aggressor == MARKET_TAKER_BUY;
            *(buy ? &expected.buy_trades_count : &expected.sell_trades_count) += 1;
            *(buy ? &expected.buy_base_minor : &expected.sell_base_minor) += r->qty_minor;
            *(buy ? &expected.buy_quote_minor : &expected.sell_quote_minor) += notional;
        }
        struct market_trade_window window;
        market_trade_stats_window(stats, index, &window);
        assert_int_equal(window.totals.buy_trades_count, expected.buy_trades_count);
        assert_int_equal(window.totals.sell_trades_count, expected.sell_trades_count);
        assert_u128_equal(window.totals.buy_base_minor, expected.buy_base_minor);
        assert_u128_equal(window.totals.sell_base_minor, expected.sell_base_minor);
        assert_u128_equal(window.totals.buy_quote_minor, expected.buy_quote_minor);
        assert_u128_equal(window.totals.sell_quote_minor, expected.sell_quote_minor);
    }
}

static void test_random_against_recount(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_market_trade_stats", 0x57a75));
    for (size_t run = 0; run < 20; run++) {
        struct market_trade_window_config windows[3];
        for (size_t index = 0; index < 3; index++) {
            uint32_t buckets = 1 + (uint32_t)tpw_prng_below(&prng, 20);
            windows[index].buckets_count = buckets;
            windows[index].window_us =
                (int64_t)buckets * (1 + (int64_t)tpw_prng_below(&prng, 5000));
        }
        struct market_trade_stats stats;
        assert_err(market_trade_stats_init(&stats, windows, 3, 8, 8), TPW_OK);
        struct recount recount = {NULL, 0, 0, 0, false};
        int64_t now_us = (int64_t)tpw_prng_below(&prng, 100000) - 50000;
        for (size_t step = 0; step < 600; step++) {
            uint64_t pick = tpw_prng_below(&prng, 10);
            now_us += pick == 0 ? -(int64_t)tpw_prng_below(&prng, 2000) /* back */
                                : (int64_t)tpw_prng_below(&prng, pick == 9 ? 200000 : 3000);
            if (tpw_prng_below(&prng, 4) == 0) {
                market_trade_stats_advance(&stats, now_us);
                recount.now_us =
                    recount.started && now_us < recount.now_us ? recount.now_us : now_us;
                recount.started = true;
            } else {
                enum market_taker aggressor = (enum market_taker)tpw_prng_below(&prng, 2);
                uint64_t price = 1 + tpw_prng_below(&prng, UINT64_MAX / 1024);
                uint64_t qty = 1 + tpw_prng_below(&prng, 1000000000000ull);
                assert_err(market_trade_stats_add(&stats, now_us, aggressor, price, qty), TPW_OK);
                recount_add(&recount, now_us, aggressor, price, qty);
            }
            recount_check(&recount, &stats);
        }
        market_trade_stats_deinit(&stats);
        free(recount.trades);
    }
}

/* A feed observer that counts every trade in its symbol's statistics, checked each time. */
struct symbol_stats {
    char symbol[MARKET_SYMBOL_SIZE];
    struct market_trade_stats stats;
    struct recount recount;
};

struct recording_check {
    struct symbol_stats symbols[8];
    size_t symbols_count;
    uint64_t trades_seen;
};

static void on_trade(void *user, const struct market_feed_event *event)
{
    struct recording_check *check = user;
    if (event->kind != MARKET_FEED_EVENT_TRADE) {
        return;
    }
    const struct market_trade *trade = event->trade;
    struct symbol_stats *entry = NULL;
    for (size_t index = 0; index < check->symbols_count; index++) {
        if (strcmp(check->symbols[index].symbol, trade->book->symbol) == 0) {
            entry = &check->symbols[index];
        }
    }
    if (entry == NULL) {
        assert_true(check->symbols_count < 8);
        entry = &check->symbols[check->symbols_count++];
        (void)snprintf(entry->symbol, sizeof(entry->symbol), "%s", trade->book->symbol);
        assert_err(market_trade_stats_init(&entry->stats, default_windows, 3,
                                           trade->book->price_exponent, trade->book->qty_exponent),
                   TPW_OK);
    }
    assert_err(market_trade_stats_add(&entry->stats, trade->received_us, trade->aggressor,
                                      trade->price_minor, trade->qty_minor),
               TPW_OK);
    recount_add(&entry->recount, trade->received_us, trade->aggressor, trade->price_minor,
                trade->qty_minor);
    recount_check(&entry->recount, &entry->stats);
    check->trades_seen++;
}

static void test_recordings_against_recount(void **state)
{
    (void)state;
    static const char *const venues[][3] = {
        {"BINANCE", "BINANCE.http.0.0", "BINANCE.ws.1.0"},
        {"BINANCE_US", "BINANCE_US.http.0.0", "BINANCE_US.ws.1.0"},
    };
    uint64_t trades_seen = 0;
    for (size_t venue = 0; venue < 2; venue++) {
        struct recording_check check;
        memset(&check, 0, sizeof(check));
        market_feed *feed = NULL;
        assert_err(market_feed_create(venues[venue][0], &feed, NULL), TPW_OK);
        assert_err(market_feed_observe(feed, on_trade, &check), TPW_OK);
        for (size_t file = 1; file <= 2; file++) {
            char path[512];
            (void)snprintf(path, sizeof(path), "%s/%s", TPW_MARKET_DATA_DIR, venues[venue][file]);
            assert_err(market_replay_file(feed, path, NULL), TPW_OK);
        }
        for (size_t index = 0; index < check.symbols_count; index++) {
            struct symbol_stats *entry = &check.symbols[index];
            /* The whole recording (30 s) is inside the 60 s window. */
            struct market_trade_window window;
            market_trade_stats_window(&entry->stats, 2, &window);
            assert_int_equal(window.trades_count, entry->recount.count);
            market_trade_stats_deinit(&entry->stats);
            free(entry->recount.trades);
        }
        trades_seen += check.trades_seen;
        market_feed_destroy(feed);
    }
    assert_int_equal(trades_seen, 13); /* 2 on BINANCE, 11 on BINANCE_US */
}

/* OMGBUSD's 11 aggTrades in the 60 s window: the README's numbers, by hand. */
static void test_recorded_omgbusd_totals(void **state)
{
    (void)state;
    struct recording_check check;
    memset(&check, 0, sizeof(check));
    market_feed *feed = NULL;
    assert_err(market_feed_create("BINANCE_US", &feed, NULL), TPW_OK);
    assert_err(market_feed_observe(feed, on_trade, &check), TPW_OK);
    char path[512];
    (void)snprintf(path, sizeof(path), "%s/BINANCE_US.http.0.0", TPW_MARKET_DATA_DIR);
    assert_err(market_replay_file(feed, path, NULL), TPW_OK);
    (void)snprintf(path, sizeof(path), "%s/BINANCE_US.ws.1.0", TPW_MARKET_DATA_DIR);
    assert_err(market_replay_file(feed, path, NULL), TPW_OK);
    assert_int_equal(check.symbols_count, 1);
    struct market_trade_window window;
    market_trade_stats_window(&check.symbols[0].stats, 2, &window);
    assert_int_equal(window.totals.buy_trades_count, 2);
    assert_int_equal(window.totals.sell_trades_count, 9);
    assert_decimal(&window.volume_base, "383.37000000");
    assert_decimal(&window.buy_volume_base, "107.92000000");
    /* 13.8048×2.1 + 13.8076×105.82 + 13.8004×30.11 + 13.7814×23.31 + 13.7769×(13.5 + 30
     * + 10 + 110) + 13.7664×30.28 + 13.7604×(18.25 + 10) */
    assert_decimal(&window.volume_quote, "5284.9858320000000000");
    assert_decimal(&window.vwap, "13.78560094");
    assert_decimal(&window.rate_per_s, "0.183333");
    market_trade_stats_deinit(&check.symbols[0].stats);
    free(check.symbols[0].recount.trades);
    market_feed_destroy(feed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_checked),
        cmocka_unit_test(test_bucket_boundaries),
        cmocka_unit_test(test_before_1970),
        cmocka_unit_test(test_sums_vwap_rate),
        cmocka_unit_test(test_jumps_and_late_trades),
        cmocka_unit_test(test_overflow_changes_nothing),
        cmocka_unit_test(test_random_against_recount),
        cmocka_unit_test(test_recordings_against_recount),
        cmocka_unit_test(test_recorded_omgbusd_totals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
