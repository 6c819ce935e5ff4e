/*
 * Replay of cryptofeed recordings: every line format, every malformed line counted by
 * kind and logged (never fatal), the recordings in tests/data/marketdata rebuilding
 * exactly the final books their README documents (with the bookTicker oracle), and an
 * injected gap — one diff line removed from a copy of a stream — counted and then
 * resynced by a new snapshot.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp */

#include "tpw_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tpwallet/market.h"
#include "tpwallet/money.h"

#ifndef TPW_MARKET_DATA_DIR
#error "TPW_MARKET_DATA_DIR names tests/data/marketdata/cryptofeed"
#endif

static market_feed *feed_new(const char *venue)
{
    market_feed *feed = NULL;
    assert_err(market_feed_create(venue, &feed, NULL), TPW_OK);
    return feed;
}

static void line(market_feed *feed, const char *text, uint64_t line_number)
{
    assert_err(market_replay_line(feed, text, strlen(text), line_number), TPW_OK);
}

static void replay(market_feed *feed, const char *path)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = market_replay_file(feed, path, &detail);
    if (err != TPW_OK) {
        print_error("%s: %s\n", path, detail.message);
    }
    assert_err(err, TPW_OK);
}

static void data_path(char *buf, size_t size, const char *name)
{
    int length = snprintf(buf, size, "%s/%s", TPW_MARKET_DATA_DIR, name);
    assert_true(length > 0 && (size_t)length < size);
}

static void test_line_formats(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE");
    line(feed, "wss://stream.binance.com:9443/stream?streams=btcusdt@depth <-> 1633998512.5", 1);
    line(feed,
         "https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=1000 -> 1633998512.3: "
         "{\"lastUpdateId\":10,\"bids\":[[\"1.00000000\",\"2.00000000\"]],\"asks\":[]}",
         2);
    line(feed,
         "1633998512.6: {\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\","
         "\"s\":\"BTCUSDT\",\"U\":11,\"u\":11,\"b\":[[\"1.5\",\"1\"]],\"a\":[]}}\r",
         3);
    line(feed, "1633998512.7 <- {\"method\":\"SUBSCRIBE\"}", 4);
    line(feed, "", 5);
    struct market_feed_status status;
    market_feed_status(feed, &status);
    assert_int_equal(status.lines_count, 5);
    assert_int_equal(status.blank_count, 1);
    assert_int_equal(status.sent_count, 1);
    assert_int_equal(status.messages_count, 1);
    for (size_t kind = 0; kind < MARKET_MALFORMED_COUNT; kind++) {
        assert_int_equal(status.malformed_count[kind], 0);
    }
    struct market_book_status book;
    market_feed_book_status(feed, 0, &book);
    assert_int_equal(book.applied_count, 1);
    assert_int_equal(book.last_update_id, 11);
    market_feed_destroy(feed);
}

static void test_malformed_lines_counted_and_logged(void **state)
{
    (void)state;
    char *log_text = NULL;
    size_t log_size = 0;
    FILE *log = open_memstream(&log_text, &log_size);
    assert_non_null(log);
    tpw_log_set_stream(log);
    tpw_log_set_level(TPW_LOG_WARN);
    market_feed *feed = feed_new("BINANCE");
    static const struct {
        const char *text;
        enum market_malformed kind;
    } cases[] = {
        {"garbage", MARKET_MALFORMED_LINE},
        {"1633998512.6 {}", MARKET_MALFORMED_LINE},
        {"1633998512.: {}", MARKET_MALFORMED_LINE},
        {"wss://x <-> soon", MARKET_MALFORMED_LINE},
        {"https://x?symbol=A -> 1: ", MARKET_MALFORMED_JSON},
        {"https://x?symbol=A -> 1 {}", MARKET_MALFORMED_LINE},
        {"1633998512.6: {\"stream\":", MARKET_MALFORMED_JSON},
        {"1633998512.6: {\"a\":1,\"a\":2}", MARKET_MALFORMED_JSON}, /* duplicate keys */
        {"1633998512.6: \"text\"", MARKET_MALFORMED_JSON},          /* not an object or array */
        {"1633998512.6: [1]", MARKET_MALFORMED_TYPE},
        {"1633998512.6: {\"data\":{\"e\":\"depthUpdate\",\"s\":\"NOPE\",\"U\":1,\"u\":1}}",
         MARKET_MALFORMED_UNKNOWN_SYMBOL},
        {"1633998512.6: {\"data\":{\"e\":\"depthUpdate\",\"s\":7,\"U\":1,\"u\":1}}",
         MARKET_MALFORMED_TYPE},
    };
    uint64_t expected[MARKET_MALFORMED_COUNT] = {0};
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        line(feed, cases[index].text, index + 1);
        expected[cases[index].kind]++;
    }
    struct market_feed_status status;
    market_feed_status(feed, &status);
    for (size_t kind = 0; kind < MARKET_MALFORMED_COUNT; kind++) {
        if (status.malformed_count[kind] != expected[kind]) {
            print_error("%s: %llu, expected %llu\n", market_malformed_name((int)kind),
                        (unsigned long long)status.malformed_count[kind],
                        (unsigned long long)expected[kind]);
        }
        assert_int_equal(status.malformed_count[kind], expected[kind]);
    }
    assert_int_equal(market_feed_books_count(feed), 0);
    market_feed_destroy(feed);
    tpw_log_set_level(TPW_LOG_ERROR);
    tpw_log_set_stream(stderr);
    assert_int_equal(fclose(log), 0);
    assert_non_null(strstr(log_text, "\"event\":\"market.malformed\""));
    assert_non_null(strstr(log_text, "\"kind\":\"bad_line\""));
    assert_non_null(strstr(log_text, "\"line\":11"));
    free(log_text);
    assert_string_equal(market_malformed_name(MARKET_MALFORMED_COUNT), "unknown");
}

struct scratch {
    char dir[64];
    char path[128];
};

static void scratch_file(struct scratch *scratch, const char *name)
{
    (void)snprintf(scratch->dir, sizeof(scratch->dir), "/tmp/tpw-market-XXXXXX");
    assert_non_null(mkdtemp(scratch->dir));
    (void)snprintf(scratch->path, sizeof(scratch->path), "%s/%s", scratch->dir, name);
}

static void test_oversized_line(void **state)
{
    (void)state;
    struct scratch scratch;
    scratch_file(&scratch, "BINANCE.ws.1.0");
    FILE *file = fopen(scratch.path, "wb");
    assert_non_null(file);
    assert_true(fputs("1633998512.6: {\"x\":\"", file) >= 0);
    for (size_t index = 0; index < MARKET_LINE_SIZE_MAX; index++) {
        assert_true(fputc('a', file) != EOF);
    }
    assert_true(fputs("\"}\n1633998512.7: {\"e\":\"kline\"}\n", file) >= 0);
    assert_int_equal(fclose(file), 0);
    market_feed *feed = feed_new("BINANCE");
    replay(feed, scratch.path);
    struct market_feed_status status;
    market_feed_status(feed, &status);
    assert_int_equal(status.lines_count, 2);
    assert_int_equal(status.malformed_count[MARKET_MALFORMED_OVERSIZED], 1);
    assert_int_equal(status.ignored_count, 1); /* the line after it is read normally */
    market_feed_destroy(feed);
    assert_true(tpw_test_tree_remove(scratch.dir));
}

static void test_file_errors(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE");
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(market_replay_file(feed, "/nonexistent/BINANCE.ws.1.0", &detail), TPW_ERR_NOT_FOUND);
    enum market_recording_kind kind = MARKET_RECORDING_WS;
    assert_err(market_replay_file_kind("/nonexistent/x", &kind, &detail), TPW_ERR_NOT_FOUND);
    char path[512];
    data_path(path, sizeof(path), "BINANCE.http.0.0");
    assert_err(market_replay_file_kind(path, &kind, &detail), TPW_OK);
    assert_int_equal(kind, MARKET_RECORDING_HTTP);
    data_path(path, sizeof(path), "BINANCE_US.ws.1.0");
    assert_err(market_replay_file_kind(path, &kind, &detail), TPW_OK);
    assert_int_equal(kind, MARKET_RECORDING_WS);
    assert_err(market_replay_file_kind(TPW_MARKET_DATA_DIR "/../README.md", &kind, &detail),
               TPW_ERR_MARKET_MESSAGE_INVALID);
    char venue[MARKET_VENUE_SIZE];
    assert_err(market_replay_venue_from_path("/a/b/BINANCE_US.ws.1.0", venue), TPW_OK);
    assert_string_equal(venue, "BINANCE_US");
    assert_err(market_replay_venue_from_path("BINANCE.http.0.0", venue), TPW_OK);
    assert_string_equal(venue, "BINANCE");
    assert_err(market_replay_venue_from_path("/a/.hidden", venue), TPW_ERR_INVALID_ARGUMENT);
    assert_err(market_replay_venue_from_path("/a.b/plain", venue), TPW_ERR_INVALID_ARGUMENT);
    market_feed_destroy(feed);
}

/* One row of the recordings' README: the final book of one symbol. */
struct expected_book {
    const char *symbol;
    uint64_t events, dropped, applied, last_update_id;
    const char *bid, *bid_qty, *ask, *ask_qty;
    size_t bid_levels, ask_levels;
    uint64_t ticker_checks;
};

static const struct expected_book binance_books[] = {
    {"NKNUSDT", 150, 1, 149, 499870179, "0.35270000", "9602.00000000", "0.35310000", "152.00000000",
     614, 994, 19},
    {"BLZETH", 10, 1, 9, 281916638, "0.00006547", "100.00000000", "0.00006560", "1528.00000000",
     173, 999, 1},
    {"LRCBTC", 15, 2, 13, 259345563, "0.00000637", "2500.00000000", "0.00000638", "2285.00000000",
     176, 1000, 6},
    {"RUNEEUR", 2, 1, 1, 15602513, "6.25100000", "69.30000000", "6.26900000", "69.30000000", 222,
     468, 0},
};

static const struct expected_book binance_us_books[] = {
    {"COMPUSDT", 107, 1, 106, 113129399, "296.92000000", "16.81835000", "297.46000000",
     "2.90000000", 219, 525, 21},
    {"OMGBUSD", 159, 1, 158, 77819802, "13.73070000", "91.95000000", "13.77280000", "72.96000000",
     196, 183, 19},
    {"CRVUSDT", 29, 1, 28, 1938877, "2.64300000", "1889.60000000", "2.64800000", "2026.90000000",
     73, 62, 5},
    {"ZRXUSDT", 41, 1, 40, 96975046, "0.99470000", "307.93000000", "0.99780000", "7119.69000000",
     174, 256, 12},
};

static void assert_decimal(uint64_t value, unsigned exponent, const char *expected)
{
    char text[MONEY_DECIMAL_TEXT_SIZE];
    assert_true(money_decimal_format(value, exponent, text, sizeof(text)) > 0);
    assert_string_equal(text, expected);
}

static void assert_books(const market_feed *feed, const struct expected_book *expected,
                         size_t count)
{
    assert_int_equal(market_feed_books_count(feed), count);
    for (size_t index = 0; index < count; index++) {
        const struct expected_book *e = &expected[index];
        struct market_book_status s;
        market_feed_book_status(feed, index, &s);
        assert_string_equal(s.book->symbol, e->symbol);
        assert_int_equal(s.events_count, e->events);
        assert_int_equal(s.dropped_count, e->dropped);
        assert_int_equal(s.applied_count, e->applied);
        assert_int_equal(s.last_update_id, e->last_update_id);
        struct market_level bid;
        struct market_level ask;
        assert_true(market_book_level(s.book, MARKET_BID, 0, &bid));
        assert_true(market_book_level(s.book, MARKET_ASK, 0, &ask));
        assert_decimal(bid.price_minor, s.book->price_exponent, e->bid);
        assert_decimal(bid.qty_minor, s.book->qty_exponent, e->bid_qty);
        assert_decimal(ask.price_minor, s.book->price_exponent, e->ask);
        assert_decimal(ask.qty_minor, s.book->qty_exponent, e->ask_qty);
        assert_int_equal(market_book_levels_count(s.book, MARKET_BID), e->bid_levels);
        assert_int_equal(market_book_levels_count(s.book, MARKET_ASK), e->ask_levels);
        assert_int_equal(s.gaps_count, 0);
        assert_false(market_book_crossed(s.book));
        assert_int_equal(s.crossed_count, 0);
        assert_true(s.synced);
        /* The oracle: each bookTicker at the id of a book state equals its top. */
        assert_int_equal(s.ticker_checks_count, e->ticker_checks);
        assert_int_equal(s.ticker_mismatches_count, 0);
        for (size_t kind = 0; kind < MARKET_MALFORMED_COUNT; kind++) {
            assert_int_equal(s.malformed_count[kind], 0);
        }
    }
}

static void replay_venue(market_feed *feed, const char *venue)
{
    char path[512];
    char name[64];
    (void)snprintf(name, sizeof(name), "%s.http.0.0", venue);
    data_path(path, sizeof(path), name);
    replay(feed, path);
    (void)snprintf(name, sizeof(name), "%s.ws.1.0", venue);
    data_path(path, sizeof(path), name);
    replay(feed, path);
}

static void test_recordings_final_books(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE");
    replay_venue(feed, "BINANCE");
    assert_books(feed, binance_books, sizeof(binance_books) / sizeof(binance_books[0]));
    market_feed_destroy(feed);
    feed = feed_new("BINANCE_US");
    replay_venue(feed, "BINANCE_US");
    assert_books(feed, binance_us_books, sizeof(binance_us_books) / sizeof(binance_us_books[0]));
    struct market_feed_status status;
    market_feed_status(feed, &status);
    for (size_t kind = 0; kind < MARKET_MALFORMED_COUNT; kind++) {
        assert_int_equal(status.malformed_count[kind], 0);
    }
    market_feed_destroy(feed);
}

/*
 * Copies BINANCE_US.ws.1.0 without its `skip`-th applied COMPUSDT diff (counting from
 * 1: the first one after the snapshot's lastUpdateId 113129219).
 */
static void copy_without_diff(const char *from, const char *to, int skip)
{
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    static char buf[256 * 1024];
    int applied = 0;
    while (fgets(buf, sizeof(buf), in) != NULL) {
        if (strstr(buf, "\"compusdt@depth@100ms\"") != NULL) {
            const char *u = strstr(buf, "\"u\":");
            assert_non_null(u);
            if (strtoull(u + 4, NULL, 10) > 113129219 && ++applied == skip) {
                continue;
            }
        }
        assert_true(fputs(buf, out) >= 0);
    }
    assert_int_equal(fclose(in), 0);
    assert_int_equal(fclose(out), 0);
}

static void test_injected_gap_counted_and_resynced(void **state)
{
    (void)state;
    struct scratch scratch;
    scratch_file(&scratch, "BINANCE_US.ws.1.0");
    char stream[512];
    char snapshots[512];
    data_path(stream, sizeof(stream), "BINANCE_US.ws.1.0");
    data_path(snapshots, sizeof(snapshots), "BINANCE_US.http.0.0");
    copy_without_diff(stream, scratch.path, 10);
    market_feed *feed = feed_new("BINANCE_US");
    replay(feed, snapshots);
    replay(feed, scratch.path);
    struct market_book_status s;
    market_feed_book_status(feed, 0, &s);
    assert_string_equal(s.book->symbol, "COMPUSDT");
    assert_int_equal(s.gaps_count, 1);
    assert_true(s.needs_resync);
    assert_false(s.synced);
    assert_int_equal(s.applied_count, 9); /* up to the missing one */
    /* 105 diffs after the drop: 9 applied, the gap, and the rest waits for a snapshot. */
    assert_int_equal(s.unsynced_count, 105 - 9 - 1);
    for (size_t index = 1; index < 4; index++) { /* the other symbols are untouched */
        market_feed_book_status(feed, index, &s);
        assert_int_equal(s.gaps_count, 0);
        assert_int_equal(s.applied_count, binance_us_books[index].applied);
    }
    /* The resync: the snapshot again; the procedure restarts from its lastUpdateId. */
    replay(feed, snapshots);
    market_feed_book_status(feed, 0, &s);
    assert_true(s.synced);
    assert_false(s.needs_resync);
    assert_int_equal(s.snapshots_count, 2);
    assert_int_equal(s.last_update_id, 113129219);
    market_feed_destroy(feed);
    assert_true(tpw_test_tree_remove(scratch.dir));
}

int main(void)
{
    /* Refusals are logged at warn; the suites check the counters (and one log). */
    tpw_log_set_level(TPW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_formats),
        cmocka_unit_test(test_malformed_lines_counted_and_logged),
        cmocka_unit_test(test_oversized_line),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_recordings_final_books),
        cmocka_unit_test(test_injected_gap_counted_and_resynced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
