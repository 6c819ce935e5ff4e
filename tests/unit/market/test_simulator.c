/*
 * The market simulator (src/market/simulator.c): its sessions replayed through the real
 * Binance feed end at exactly the simulator's own final books, level by level at the
 * top, with no gap, no crossed book, no refused message and every ticker matching; the
 * same seed writes the same bytes and another seed other bytes; every option out of
 * range is refused and writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpw_test.h"
#include "tpwallet/market.h"
#include "tpwallet/market_sim.h"

#include "banned.h"

static struct market_sim_options options_default(void)
{
    struct market_sim_options options = {
        .symbols = {{"BTCUSDT", 1000000u, 97000u * 100u, 1000u},
                    {"ETHUSDT", 1000000u, 3500u * 100u, 10000u}},
        .symbols_count = 2,
        .price_decimals = 8,
        .qty_decimals = 8,
        .levels = 40,
        .spread_bps_e2 = 50,
        .gap_bps_e2 = 50,
        .volatility_bps = 3,
        .trade_per_mille = 300,
        .steps = 3000,
        .start_epoch_us = UINT64_C(1764806400000000),
        .step_us = 100000,
        .seed = 42,
    };
    return options;
}

struct session {
    char *http;
    size_t http_length;
    char *ws;
    size_t ws_length;
    struct market_sim_final final[MARKET_SIM_SYMBOLS_MAX];
};

static enum tpw_err session_write(const struct market_sim_options *options, struct session *out)
{
    FILE *http = open_memstream(&out->http, &out->http_length);
    FILE *ws = open_memstream(&out->ws, &out->ws_length);
    assert_non_null(http);
    assert_non_null(ws);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = market_sim_write(options, http, ws, out->final, &detail);
    assert_int_equal(fclose(http), 0);
    assert_int_equal(fclose(ws), 0);
    return err;
}

static void session_free(struct session *session)
{
    free(session->http);
    free(session->ws);
}

static void replay_text(market_feed *feed, const char *text)
{
    uint64_t number = 0;
    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
        assert_int_equal(market_replay_line(feed, line, length, ++number), TPW_OK);
        line += length + (end != NULL ? 1 : 0);
    }
}

static const struct market_book_status *status_of(market_feed *feed, const char *symbol,
                                                  struct market_book_status *status)
{
    for (size_t index = 0; index < market_feed_books_count(feed); index++) {
        market_feed_book_status(feed, index, status);
        if (strcmp(status->book->symbol, symbol) == 0) {
            return status;
        }
    }
    fail_msg("no book for %s", symbol);
    return NULL;
}

static void final_check(const struct market_sim_options *options, market_feed *feed,
                        const struct market_sim_final *final, size_t index)
{
    const struct market_sim_symbol *symbol = &options->symbols[index];
    struct market_book_status status;
    status_of(feed, final->symbol, &status);
    assert_true(status.synced);
    assert_int_equal(status.gaps_count, 0);
    assert_int_equal(status.crossed_count, 0);
    assert_int_equal(status.applied_count, options->steps);
    assert_int_equal(status.ticker_checks_count, options->steps);
    assert_int_equal(status.ticker_mismatches_count, 0);
    assert_int_equal(status.trades_count, final->trades);
    assert_int_equal(status.trade_gaps_count, 0);
    assert_int_equal(status.last_update_id, final->last_update_id);
    assert_int_equal(status.book->sides[MARKET_BID].levels_count, final->bid_levels);
    assert_int_equal(status.book->sides[MARKET_ASK].levels_count, final->ask_levels);
    struct market_level bid;
    struct market_level ask;
    assert_true(market_book_level(status.book, MARKET_BID, 0, &bid));
    assert_true(market_book_level(status.book, MARKET_ASK, 0, &ask));
    assert_int_equal(bid.price_minor, final->best_bid_ticks * symbol->tick_minor);
    assert_int_equal(bid.qty_minor, final->best_bid_lots * symbol->lot_minor);
    assert_int_equal(ask.price_minor, final->best_ask_ticks * symbol->tick_minor);
    assert_int_equal(ask.qty_minor, final->best_ask_lots * symbol->lot_minor);
    assert_true(bid.price_minor < ask.price_minor);
}

static void replay_equals_simulator(const struct market_sim_options *options)
{
    struct session session = {0};
    assert_int_equal(session_write(options, &session), TPW_OK);
    market_feed *feed = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_int_equal(market_feed_create("BINANCE", &feed, &detail), TPW_OK);
    replay_text(feed, session.http);
    replay_text(feed, session.ws);
    struct market_feed_status feed_status;
    market_feed_status(feed, &feed_status);
    for (int kind = 0; kind < MARKET_MALFORMED_COUNT; kind++) {
        assert_int_equal(feed_status.malformed_count[kind], 0);
    }
    for (size_t index = 0; index < options->symbols_count; index++) {
        final_check(options, feed, &session.final[index], index);
    }
    market_feed_destroy(feed);
    session_free(&session);
}

static void test_replay_equals_simulator(void **state)
{
    (void)state;
    struct market_sim_options options = options_default();
    replay_equals_simulator(&options);
}

/* Extremes of the model: one level a side, high volatility reflecting off the floor
 * with every step a trade, and a quiet book that hardly moves. */
static void test_replay_extremes(void **state)
{
    (void)state;
    struct market_sim_options options = options_default();
    options.levels = 1;
    options.trade_per_mille = 1000;
    replay_equals_simulator(&options);
    options = options_default();
    options.symbols[0].mid_ticks = 200u * options.levels;
    options.volatility_bps = 1000;
    options.trade_per_mille = 1000;
    replay_equals_simulator(&options);
    options = options_default();
    options.volatility_bps = 0;
    options.trade_per_mille = 0;
    options.levels = MARKET_SIM_LEVELS_MAX;
    replay_equals_simulator(&options);
}

static void test_deterministic_per_seed(void **state)
{
    (void)state;
    struct market_sim_options options = options_default();
    options.steps = 500;
    struct session first = {0}, again = {0}, other = {0};
    assert_int_equal(session_write(&options, &first), TPW_OK);
    assert_int_equal(session_write(&options, &again), TPW_OK);
    options.seed++;
    assert_int_equal(session_write(&options, &other), TPW_OK);
    assert_int_equal(first.ws_length, again.ws_length);
    assert_memory_equal(first.ws, again.ws, first.ws_length);
    assert_string_equal(first.http, again.http);
    assert_true(first.ws_length != other.ws_length ||
                memcmp(first.ws, other.ws, first.ws_length) != 0);
    session_free(&first);
    session_free(&again);
    session_free(&other);
}

static void refused(struct market_sim_options options, const char *param)
{
    struct session session = {0};
    assert_int_equal(session_write(&options, &session), TPW_ERR_INVALID_ARGUMENT);
    assert_int_equal(session.http_length, 0);
    assert_int_equal(session.ws_length, 0);
    session_free(&session);
    struct market_sim_final final[MARKET_SIM_SYMBOLS_MAX];
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    FILE *sink = fopen("/dev/null", "w");
    assert_non_null(sink);
    assert_int_equal(market_sim_write(&options, sink, sink, final, &detail),
                     TPW_ERR_INVALID_ARGUMENT);
    assert_int_equal(fclose(sink), 0);
    assert_string_equal(detail.param, param);
}

static void test_options_refused(void **state)
{
    (void)state;
    struct market_sim_options options = options_default();
    options.symbols_count = 0;
    refused(options, "symbols");
    options = options_default();
    options.symbols_count = MARKET_SIM_SYMBOLS_MAX + 1;
    refused(options, "symbols");
    options = options_default();
    options.symbols[1].symbol[0] = '\0';
    refused(options, "symbols");
    options = options_default();
    options.symbols[0].tick_minor = 0;
    refused(options, "symbols");
    options = options_default();
    options.symbols[0].lot_minor = 0;
    refused(options, "symbols");
    options = options_default();
    options.symbols[0].mid_ticks = UINT64_MAX / 2;
    refused(options, "symbols");
    options = options_default();
    options.symbols[0].mid_ticks = 2u * options.levels; /* the deepest bid would pass zero */
    refused(options, "symbols");
    options = options_default();
    options.price_decimals = MARKET_EXPONENT_MAX + 1;
    refused(options, "decimals");
    options = options_default();
    options.levels = 0;
    refused(options, "levels");
    options.levels = MARKET_SIM_LEVELS_MAX + 1;
    refused(options, "levels");
    options = options_default();
    options.spread_bps_e2 = 100001;
    refused(options, "spread");
    options = options_default();
    options.volatility_bps = 1001;
    refused(options, "volatility-bps");
    options = options_default();
    options.trade_per_mille = 1001;
    refused(options, "trades-per-mille");
    options = options_default();
    options.steps = UINT64_C(100000001);
    refused(options, "steps");
}

/* A write that fails (a full device) is an I/O error, not a silent short session. */
static void test_write_failure(void **state)
{
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL) {
        skip();
    }
    struct market_sim_options options = options_default();
    struct market_sim_final final[MARKET_SIM_SYMBOLS_MAX];
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_int_equal(market_sim_write(&options, full, full, final, &detail), TPW_ERR_IO);
    (void)fclose(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_equals_simulator), cmocka_unit_test(test_replay_extremes),
        cmocka_unit_test(test_deterministic_per_seed),  cmocka_unit_test(test_options_refused),
        cmocka_unit_test(test_write_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
