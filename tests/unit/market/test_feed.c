/*
 * The venues' book-maintenance procedures, message by message, with messages written
 * by hand from the venues' documented formats: Binance spot (drop, first applied event,
 * continuity, gaps, resync), Binance USD-M futures (`pu` chaining), Coinbase level2
 * (snapshot + l2update with absolute sizes), the bookTicker check, and every kind of
 * refusal counted on the right book and never applied half-way.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tpwallet/market.h"

#define SPOT_URL "https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=1000"

static market_feed *feed_new(const char *venue)
{
    market_feed *feed = NULL;
    assert_err(market_feed_create(venue, &feed, NULL), TPW_OK);
    return feed;
}

static enum tpw_err message(market_feed *feed, const char *text)
{
    return market_feed_message(feed, text, strlen(text));
}

/* A BTCUSDT snapshot at `update_id`: bids 10.0 (1) and 9.5 (2), ask 11.0 (3). */
static void spot_snapshot(market_feed *feed, uint64_t update_id)
{
    char body[256];
    (void)snprintf(body, sizeof(body),
                   "{\"lastUpdateId\":%llu,\"bids\":[[\"10.00000000\",\"1.00000000\"],"
                   "[\"9.50000000\",\"2.00000000\"]],\"asks\":[[\"11.00000000\",\"3.00000000\"]]}",
                   (unsigned long long)update_id);
    assert_err(market_feed_snapshot(feed, SPOT_URL, strlen(SPOT_URL), body, strlen(body)), TPW_OK);
}

/* A combined-stream depthUpdate for BTCUSDT with one bid change. */
static enum tpw_err spot_diff(market_feed *feed, uint64_t first_id, uint64_t last_id,
                              const char *bid_price, const char *bid_qty)
{
    char text[512];
    (void)snprintf(text, sizeof(text),
                   "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\","
                   "\"E\":1,\"s\":\"BTCUSDT\",\"U\":%llu,\"u\":%llu,\"b\":[[\"%s\",\"%s\"]],"
                   "\"a\":[]}}",
                   (unsigned long long)first_id, (unsigned long long)last_id, bid_price, bid_qty);
    return message(feed, text);
}

static struct market_book_status status_of(const market_feed *feed, size_t index)
{
    struct market_book_status status;
    assert_true(index < market_feed_books_count(feed));
    market_feed_book_status(feed, index, &status);
    return status;
}

static void assert_best(const market_feed *feed, enum market_side side, uint64_t price,
                        uint64_t qty)
{
    struct market_book_status status = status_of(feed, 0);
    struct market_level level = {0, 0};
    assert_true(market_book_level(status.book, side, 0, &level));
    assert_int_equal(level.price_minor, price);
    assert_int_equal(level.qty_minor, qty);
}

#define E8 100000000ull

static void test_venues(void **state)
{
    (void)state;
    market_feed *feed = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(market_feed_create("KRAKEN", &feed, &detail), TPW_ERR_MARKET_VENUE_UNKNOWN);
    assert_non_null(strstr(detail.message, "KRAKEN"));
    const char *venues[] = {"BINANCE", "BINANCE_US", "BINANCE_FUTURES", "BINANCE_DELIVERY",
                            "COINBASE"};
    const char *handlers[] = {"binance-spot", "binance-spot", "binance-usdm", "binance-coinm",
                              "coinbase-level2"};
    for (size_t index = 0; index < 5; index++) {
        feed = feed_new(venues[index]);
        struct market_feed_status status;
        market_feed_status(feed, &status);
        assert_string_equal(status.venue, venues[index]);
        assert_string_equal(status.handler, handlers[index]);
        market_feed_destroy(feed);
    }
    market_feed_destroy(NULL);
}

/* levels_set_count: every level a snapshot loads or an applied diff sets or removes;
 * dropped diffs and refused messages set none. */
static void test_levels_set_count(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE");
    spot_snapshot(feed, 100);
    assert_int_equal(status_of(feed, 0).levels_set_count, 3);
    assert_err(spot_diff(feed, 90, 100, "10.00000000", "0.00000000"), TPW_OK); /* dropped */
    assert_int_equal(status_of(feed, 0).levels_set_count, 3);
    assert_err(spot_diff(feed, 101, 101, "10.00000000", "0.00000000"), TPW_OK); /* removal */
    assert_int_equal(status_of(feed, 0).levels_set_count, 4);
    assert_err(spot_diff(feed, 102, 102, "10.00000000", "-1"), TPW_ERR_MARKET_MESSAGE_INVALID);
    assert_int_equal(status_of(feed, 0).levels_set_count, 4);
    spot_snapshot(feed, 200); /* a resync loads its levels again */
    assert_int_equal(status_of(feed, 0).levels_set_count, 7);
    market_feed_destroy(feed);
}

static void test_spot_drop_and_first_applied(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE");
    spot_snapshot(feed, 100);
    struct market_book_status status = status_of(feed, 0);
    assert_string_equal(status.book->symbol, "BTCUSDT");
    assert_int_equal(status.book->price_exponent, 8); /* from the snapshot's strings */
    assert_int_equal(status.last_update_id, 100);
    assert_true(status.synced);
    /* u <= lastUpdateId: dropped, the book does not change. */
    assert_err(spot_diff(feed, 90, 100, "10.00000000", "0.00000000"), TPW_OK);
    assert_best(feed, MARKET_BID, 10 * E8, 1 * E8);
    /* The first applied event starts at lastUpdateId+1 exactly (as in the recordings). */
    assert_err(spot_diff(feed, 101, 103, "10.50000000", "4.00000000"), TPW_OK);
    assert_best(feed, MARKET_BID, 1050000000, 4 * E8);
    /* Then U == previous u + 1; quantity 0 removes the level. */
    assert_err(spot_diff(feed, 104, 104, "10.50000000", "0"), TPW_OK);
    assert_best(feed, MARKET_BID, 10 * E8, 1 * E8);
    status = status_of(feed, 0);
    assert_int_equal(status.events_count, 3);
    assert_int_equal(status.dropped_count, 1);
    assert_int_equal(status.applied_count, 2);
    assert_int_equal(status.last_update_id, 104);
    assert_int_equal(status.gaps_count, 0);
    assert_int_equal(market_book_levels_count(status.book, MARKET_BID), 2);
    market_feed_destroy(feed);
}

static void test_spot_first_event_straddles(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE");
    spot_snapshot(feed, 100);
    /* U <= lastUpdateId+1 <= u with U below the snapshot: applied. */
    assert_err(spot_diff(feed, 95, 102, "9.00000000", "1"), TPW_OK);
    assert_int_equal(status_of(feed, 0).applied_count, 1);
    market_feed_destroy(feed);

    feed = feed_new("BINANCE");
    spot_snapshot(feed, 100);
    /* The first event after the snapshot starts beyond lastUpdateId+1: events are lost. */
    assert_err(spot_diff(feed, 102, 103, "9.00000000", "1"), TPW_ERR_MARKET_SEQUENCE_GAP);
    struct market_book_status status = status_of(feed, 0);
    assert_int_equal(status.gaps_count, 1);
    assert_true(status.needs_resync);
    assert_false(status.synced);
    assert_int_equal(status.applied_count, 0);
    market_feed_destroy(feed);
}

static void test_spot_gap_and_resync(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE_US");
    spot_snapshot(feed, 100);
    assert_err(spot_diff(feed, 101, 101, "9.00000000", "1"), TPW_OK);
    /* 102 is missing. */
    assert_err(spot_diff(feed, 103, 104, "8.00000000", "1"), TPW_ERR_MARKET_SEQUENCE_GAP);
    struct market_book_status status = status_of(feed, 0);
    assert_int_equal(status.gaps_count, 1);
    assert_true(status.needs_resync);
    assert_int_equal(status.last_update_id, 101);
    assert_int_equal(market_book_levels_count(status.book, MARKET_BID), 3); /* 8.0 not applied */
    /* Until a new snapshot, events are counted but not applied. */
    assert_err(spot_diff(feed, 105, 105, "7.00000000", "1"), TPW_OK);
    status = status_of(feed, 0);
    assert_int_equal(status.unsynced_count, 1);
    assert_int_equal(status.gaps_count, 1);
    /* The resync: a new snapshot replaces the book and the procedure starts again. */
    spot_snapshot(feed, 200);
    status = status_of(feed, 0);
    assert_true(status.synced);
    assert_false(status.needs_resync);
    assert_int_equal(status.snapshots_count, 2);
    assert_int_equal(market_book_levels_count(status.book, MARKET_BID), 2);
    assert_err(spot_diff(feed, 150, 200, "7.00000000", "1"), TPW_OK); /* dropped again */
    assert_err(spot_diff(feed, 201, 202, "7.00000000", "1"), TPW_OK);
    status = status_of(feed, 0);
    assert_int_equal(status.applied_count, 2);
    assert_int_equal(status.dropped_count, 1);
    assert_int_equal(status.last_update_id, 202);
    market_feed_destroy(feed);
}

static void test_spot_out_of_order(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE");
    spot_snapshot(feed, 100);
    assert_err(spot_diff(feed, 101, 105, "9.00000000", "1"), TPW_OK);
    /* Already applied (a replayed event): refused, not a gap, the book keeps going. */
    assert_err(spot_diff(feed, 104, 105, "1.00000000", "1"), TPW_ERR_MARKET_MESSAGE_INVALID);
    /* U above u. */
    assert_err(spot_diff(feed, 107, 106, "1.00000000", "1"), TPW_ERR_MARKET_MESSAGE_INVALID);
    struct market_book_status status = status_of(feed, 0);
    assert_int_equal(status.malformed_count[MARKET_MALFORMED_OUT_OF_ORDER], 2);
    assert_int_equal(status.gaps_count, 0);
    assert_true(status.synced);
    assert_err(spot_diff(feed, 106, 106, "9.00000000", "2"), TPW_OK);
    assert_int_equal(status_of(feed, 0).applied_count, 2);
    market_feed_destroy(feed);
}

struct refusal_case {
    const char *price;
    const char *qty;
    enum market_malformed kind;
};

static void test_spot_refused_levels(void **state)
{
    (void)state;
    static const struct refusal_case cases[] = {
        {"9.00000000", "-1.00000000", MARKET_MALFORMED_NEGATIVE},
        {"9.000000001", "1", MARKET_MALFORMED_PRECISION},
        {"nine", "1", MARKET_MALFORMED_NUMBER},
        {"9", "+1", MARKET_MALFORMED_NUMBER},
        {"999999999999999", "1", MARKET_MALFORMED_TOO_LARGE},
    };
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        market_feed *feed = feed_new("BINANCE");
        spot_snapshot(feed, 100);
        assert_err(spot_diff(feed, 101, 101, cases[index].price, cases[index].qty),
                   TPW_ERR_MARKET_MESSAGE_INVALID);
        struct market_book_status status = status_of(feed, 0);
        assert_int_equal(status.malformed_count[cases[index].kind], 1);
        /* Nothing applied, and the event is lost for good: the book needs a snapshot. */
        assert_int_equal(status.applied_count, 0);
        assert_int_equal(market_book_levels_count(status.book, MARKET_BID), 2);
        assert_true(status.needs_resync);
        market_feed_destroy(feed);
    }
}

static void test_spot_refused_messages(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE");
    spot_snapshot(feed, 100);
    static const char *const feed_level[] = {
        "{\"stream\":",                                           /* not JSON */
        "[1,2,3]",                                                /* not an object */
        "{\"data\":{\"e\":\"depthUpdate\",\"U\":101,\"u\":101}}", /* no symbol */
        "{\"data\":{\"e\":\"depthUpdate\",\"s\":\"ETHUSDT\",\"U\":1,\"u\":1,\"b\":[],\"a\":[]}}",
    };
    for (size_t index = 0; index < sizeof(feed_level) / sizeof(feed_level[0]); index++) {
        assert_err(message(feed, feed_level[index]), TPW_ERR_MARKET_MESSAGE_INVALID);
    }
    struct market_feed_status feed_status;
    market_feed_status(feed, &feed_status);
    assert_int_equal(feed_status.malformed_count[MARKET_MALFORMED_JSON], 1);
    assert_int_equal(feed_status.malformed_count[MARKET_MALFORMED_TYPE], 2);
    assert_int_equal(feed_status.malformed_count[MARKET_MALFORMED_UNKNOWN_SYMBOL], 1);
    /* Wrong types on a known symbol count on its book. */
    assert_err(message(feed, "{\"data\":{\"e\":\"depthUpdate\",\"s\":\"BTCUSDT\",\"U\":\"101\","
                             "\"u\":101,\"b\":[],\"a\":[]}}"),
               TPW_ERR_MARKET_MESSAGE_INVALID);
    assert_err(message(feed, "{\"data\":{\"e\":\"depthUpdate\",\"s\":\"BTCUSDT\",\"U\":-1,"
                             "\"u\":101,\"b\":[],\"a\":[]}}"),
               TPW_ERR_MARKET_MESSAGE_INVALID);
    assert_err(message(feed, "{\"data\":{\"e\":\"depthUpdate\",\"s\":\"BTCUSDT\",\"U\":101,"
                             "\"u\":101,\"b\":[[9.5,1]],\"a\":[]}}"),
               TPW_ERR_MARKET_MESSAGE_INVALID);
    assert_int_equal(status_of(feed, 0).malformed_count[MARKET_MALFORMED_TYPE], 3);
    /* Other streams are well-formed and ignored (trades are not: test_market_trades). */
    assert_err(message(feed, "{\"stream\":\"btcusdt@kline_1m\",\"data\":{\"e\":\"kline\"}}"),
               TPW_OK);
    market_feed_status(feed, &feed_status);
    assert_int_equal(feed_status.ignored_count, 1);
    assert_int_equal(feed_status.messages_count, 8);
    /* A snapshot that is not one. */
    const char *url_without_symbol = "https://api.binance.com/api/v3/depth?limit=1000";
    assert_err(market_feed_snapshot(feed, url_without_symbol, strlen(url_without_symbol), "{}", 2),
               TPW_ERR_MARKET_MESSAGE_INVALID);
    assert_err(market_feed_snapshot(feed, SPOT_URL, strlen(SPOT_URL), "{\"bids\":[]}", 11),
               TPW_ERR_MARKET_MESSAGE_INVALID);
    market_feed_destroy(feed);
}

static enum tpw_err ticker(market_feed *feed, uint64_t update_id, const char *bid,
                           const char *bid_qty, const char *ask, const char *ask_qty)
{
    char text[384];
    (void)snprintf(text, sizeof(text),
                   "{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":%llu,\"s\":\"BTCUSDT\","
                   "\"b\":\"%s\",\"B\":\"%s\",\"a\":\"%s\",\"A\":\"%s\"}}",
                   (unsigned long long)update_id, bid, bid_qty, ask, ask_qty);
    return message(feed, text);
}

static void test_book_ticker_check(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE");
    spot_snapshot(feed, 100);
    /* At the snapshot's id: compared at once. */
    assert_err(ticker(feed, 100, "10.00000000", "1.00000000", "11.00000000", "3.00000000"), TPW_OK);
    /* Ahead of the book: kept until the diff that reaches its id. */
    assert_err(ticker(feed, 102, "10.50000000", "4.00000000", "11.00000000", "3.00000000"), TPW_OK);
    assert_err(ticker(feed, 103, "1.00000000", "1.00000000", "11.00000000", "3.00000000"),
               TPW_OK); /* wrong, and checked when the book reaches 103 */
    assert_int_equal(status_of(feed, 0).ticker_checks_count, 1);
    assert_err(spot_diff(feed, 101, 102, "10.50000000", "4"), TPW_OK);
    assert_int_equal(status_of(feed, 0).ticker_checks_count, 2);
    assert_err(spot_diff(feed, 103, 103, "10.50000000", "5"), TPW_OK);
    struct market_book_status status = status_of(feed, 0);
    assert_int_equal(status.ticker_checks_count, 3);
    assert_int_equal(status.ticker_mismatches_count, 1);
    /* Behind the book: nothing to compare with. */
    assert_err(ticker(feed, 101, "1.00000000", "1.00000000", "1.00000000", "1.00000000"), TPW_OK);
    assert_int_equal(status_of(feed, 0).ticker_checks_count, 3);
    assert_err(ticker(feed, 104, "-1", "1", "1", "1"), TPW_ERR_MARKET_MESSAGE_INVALID);
    assert_int_equal(status_of(feed, 0).malformed_count[MARKET_MALFORMED_NEGATIVE], 1);
    market_feed_destroy(feed);
}

static void test_crossed_count(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE");
    spot_snapshot(feed, 100);
    assert_err(spot_diff(feed, 101, 101, "11.00000000", "1"), TPW_OK); /* bid at the ask */
    struct market_book_status status = status_of(feed, 0);
    assert_true(market_book_crossed(status.book));
    assert_int_equal(status.crossed_count, 1);
    market_feed_destroy(feed);
}

/* Binance USD-M futures: the documented depthUpdate carries "pu", the previous u. */
static enum tpw_err usdm_diff(market_feed *feed, uint64_t first_id, uint64_t last_id,
                              uint64_t previous_id)
{
    char text[384];
    (void)snprintf(text, sizeof(text),
                   "{\"e\":\"depthUpdate\",\"E\":123456789,\"T\":123456788,\"s\":\"BTCUSDT\","
                   "\"U\":%llu,\"u\":%llu,\"pu\":%llu,\"b\":[[\"0.0024\",\"10\"]],"
                   "\"a\":[[\"0.0026\",\"100\"]]}",
                   (unsigned long long)first_id, (unsigned long long)last_id,
                   (unsigned long long)previous_id);
    return message(feed, text);
}

static void test_usdm_pu_chaining(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE_FUTURES");
    const char *url = "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000";
    const char *body = "{\"lastUpdateId\":1027024,\"E\":1589436922972,\"T\":1589436922959,"
                       "\"bids\":[[\"4.00000000\",\"431.00000000\"]],"
                       "\"asks\":[[\"4.00000200\",\"12.00000000\"]]}";
    assert_err(market_feed_snapshot(feed, url, strlen(url), body, strlen(body)), TPW_OK);
    assert_err(usdm_diff(feed, 1027000, 1027023, 1026999), TPW_OK); /* u < lastUpdateId */
    assert_err(usdm_diff(feed, 1027020, 1027030, 1027019), TPW_OK); /* U <= id <= u */
    assert_err(usdm_diff(feed, 1027031, 1027040, 1027030), TPW_OK); /* pu == previous u */
    struct market_book_status status = status_of(feed, 0);
    assert_int_equal(status.dropped_count, 1);
    assert_int_equal(status.applied_count, 2);
    assert_int_equal(status.last_update_id, 1027040);
    /* U need not be previous u + 1 on futures; pu is what chains. */
    assert_err(usdm_diff(feed, 1027045, 1027050, 1027040), TPW_OK);
    assert_err(usdm_diff(feed, 1027051, 1027060, 1027049), TPW_ERR_MARKET_SEQUENCE_GAP);
    status = status_of(feed, 0);
    assert_int_equal(status.gaps_count, 1);
    assert_true(status.needs_resync);
    assert_best(feed, MARKET_BID, 4 * E8, 431 * E8);
    market_feed_destroy(feed);

    feed = feed_new("BINANCE_FUTURES");
    assert_err(market_feed_snapshot(feed, url, strlen(url), body, strlen(body)), TPW_OK);
    assert_err(usdm_diff(feed, 1027025, 1027030, 1027024), TPW_ERR_MARKET_SEQUENCE_GAP);
    market_feed_destroy(feed);
}

/*
 * Binance COIN-M futures, from its documentation's examples: the REST snapshot
 * (GET /dapi/v1/depth, with "symbol" and "pair") and the depthUpdate (with "ps", the
 * pair), chained by "pu" as on USD-M; an event whose pu is not the previous u is a gap.
 */
static void test_coinm_documented(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE_DELIVERY");
    const char *url = "https://dapi.binance.com/dapi/v1/depth?symbol=BTCUSD_200626&limit=1000";
    const char *body = "{\"lastUpdateId\":16769853,\"symbol\":\"BTCUSD_200626\","
                       "\"pair\":\"BTCUSD\",\"E\":1591250106701,\"T\":1591250106423,"
                       "\"bids\":[[\"9638.0\",\"431\"]],\"asks\":[[\"9638.2\",\"12\"]]}";
    assert_err(market_feed_snapshot(feed, url, strlen(url), body, strlen(body)), TPW_OK);
    const char *first = "{\"e\":\"depthUpdate\",\"E\":1591270260907,\"T\":1591270260891,"
                        "\"s\":\"BTCUSD_200626\",\"ps\":\"BTCUSD\",\"U\":16769850,"
                        "\"u\":16769870,\"pu\":16769849,\"b\":[[\"9517.6\",\"10\"]],"
                        "\"a\":[[\"9518.5\",\"45\"]]}";
    assert_err(message(feed, first), TPW_OK); /* U <= lastUpdateId <= u: the first */
    const char *next = "{\"e\":\"depthUpdate\",\"E\":1591270261000,\"T\":1591270260990,"
                       "\"s\":\"BTCUSD_200626\",\"ps\":\"BTCUSD\",\"U\":16769871,"
                       "\"u\":16769880,\"pu\":16769870,\"b\":[[\"9638.0\",\"0\"]],"
                       "\"a\":[]}";
    assert_err(message(feed, next), TPW_OK); /* pu == previous u; 9638.0 removed */
    struct market_book_status status = status_of(feed, 0);
    assert_string_equal(status.book->symbol, "BTCUSD_200626");
    assert_int_equal(status.applied_count, 2);
    assert_int_equal(status.last_update_id, 16769880);
    assert_false(status.needs_resync);
    struct market_level level = {0, 0};
    assert_true(market_book_level(status.book, MARKET_BID, 0, &level));
    assert_int_equal(level.price_minor, 95176 * (E8 / 10)); /* 9517.6; 9638.0 removed */
    assert_int_equal(level.qty_minor, 10 * E8);
    const char *gap = "{\"e\":\"depthUpdate\",\"E\":1591270262000,\"T\":1591270261990,"
                      "\"s\":\"BTCUSD_200626\",\"ps\":\"BTCUSD\",\"U\":16769890,"
                      "\"u\":16769895,\"pu\":16769889,\"b\":[],\"a\":[]}";
    assert_err(message(feed, gap), TPW_ERR_MARKET_SEQUENCE_GAP);
    assert_true(status_of(feed, 0).needs_resync);
    market_feed_destroy(feed);
}

static void test_usdm_requires_pu(void **state)
{
    (void)state;
    market_feed *feed = feed_new("BINANCE_FUTURES");
    const char *url = "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT";
    const char *body = "{\"lastUpdateId\":10,\"bids\":[],\"asks\":[]}";
    assert_err(market_feed_snapshot(feed, url, strlen(url), body, strlen(body)), TPW_OK);
    assert_err(usdm_diff(feed, 9, 11, 8), TPW_OK);
    assert_err(message(feed, "{\"e\":\"depthUpdate\",\"s\":\"BTCUSDT\",\"U\":12,\"u\":12,"
                             "\"b\":[],\"a\":[]}"),
               TPW_ERR_MARKET_MESSAGE_INVALID);
    assert_int_equal(status_of(feed, 0).malformed_count[MARKET_MALFORMED_TYPE], 1);
    market_feed_destroy(feed);
}

static void test_coinbase_level2(void **state)
{
    (void)state;
    market_feed *feed = feed_new("COINBASE");
    const char *early = "{\"type\":\"l2update\",\"product_id\":\"BTC-USD\",\"time\":"
                        "\"2019-08-14T20:42:27.265Z\",\"changes\":[[\"buy\",\"1.0\",\"1.0\"]]}";
    /* Before any snapshot there is no book for the product. */
    assert_err(message(feed, early), TPW_ERR_MARKET_MESSAGE_INVALID);
    assert_err(message(feed, "{\"type\":\"subscriptions\",\"channels\":[]}"), TPW_OK);
    assert_err(message(feed, "{\"type\":\"snapshot\",\"product_id\":\"BTC-USD\","
                             "\"bids\":[[\"10101.10\",\"0.45054140\"]],"
                             "\"asks\":[[\"10102.55\",\"0.57753524\"]]}"),
               TPW_OK);
    assert_best(feed, MARKET_BID, 1010110 * 1000000ull, 45054140);
    /* Sizes are absolute: the new quantity at the price, "0" removes it. */
    assert_err(message(feed, "{\"type\":\"l2update\",\"product_id\":\"BTC-USD\",\"time\":"
                             "\"2019-08-14T20:42:27.265Z\",\"changes\":[[\"buy\","
                             "\"10101.80000000\",\"0.162567\"]]}"),
               TPW_OK);
    assert_best(feed, MARKET_BID, 1010180 * 1000000ull, 16256700);
    assert_err(message(feed, "{\"type\":\"l2update\",\"product_id\":\"BTC-USD\",\"changes\":"
                             "[[\"sell\",\"10102.55\",\"1.5\"],[\"buy\",\"10101.8\",\"0\"]]}"),
               TPW_OK);
    assert_best(feed, MARKET_BID, 1010110 * 1000000ull, 45054140);
    assert_best(feed, MARKET_ASK, 1010255 * 1000000ull, 150000000);
    struct market_book_status status = status_of(feed, 0);
    assert_int_equal(status.applied_count, 2);
    assert_int_equal(status.book->price_exponent, 8); /* the l2update strings need 8 */
    assert_err(message(feed, "{\"type\":\"l2update\",\"product_id\":\"BTC-USD\",\"changes\":"
                             "[[\"hold\",\"1\",\"1\"]]}"),
               TPW_ERR_MARKET_MESSAGE_INVALID);
    status = status_of(feed, 0);
    assert_int_equal(status.malformed_count[MARKET_MALFORMED_TYPE], 1);
    assert_true(status.needs_resync);
    struct market_feed_status feed_status;
    market_feed_status(feed, &feed_status);
    assert_int_equal(feed_status.malformed_count[MARKET_MALFORMED_UNKNOWN_SYMBOL], 1);
    assert_int_equal(feed_status.ignored_count, 1);
    market_feed_destroy(feed);
}

int main(void)
{
    /* Refusals are logged at warn; test_replay checks the log, these the counters. */
    tpw_log_set_level(TPW_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_venues),
        cmocka_unit_test(test_spot_drop_and_first_applied),
        cmocka_unit_test(test_levels_set_count),
        cmocka_unit_test(test_spot_first_event_straddles),
        cmocka_unit_test(test_spot_gap_and_resync),
        cmocka_unit_test(test_spot_out_of_order),
        cmocka_unit_test(test_spot_refused_levels),
        cmocka_unit_test(test_spot_refused_messages),
        cmocka_unit_test(test_book_ticker_check),
        cmocka_unit_test(test_crossed_count),
        cmocka_unit_test(test_usdm_pu_chaining),
        cmocka_unit_test(test_usdm_requires_pu),
        cmocka_unit_test(test_coinm_documented),
        cmocka_unit_test(test_coinbase_level2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
