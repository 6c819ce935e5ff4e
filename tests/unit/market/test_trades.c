/*
 * Trades from the venues' trade streams, each case run through both decoders (the
 * streaming one and jansson alone): the documented examples of Binance spot `trade`
 * (with and without the order ids older payloads carry) and `aggTrade`, Binance USD-M
 * futures `aggTrade`, Coinbase `match` and `last_match` (the maker's side), the
 * recordings' aggTrades, and every refusal — unknown symbol, wrong types, negative,
 * zero, too precise, a bad time — plus replays dropped, id gaps counted, the two
 * Binance kinds never counted together, stale tickers and the observers' events.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <string.h>

#include "feed_decoder.h"
#include "log.h"
#include "tpwallet/market.h"

#ifndef TPW_MARKET_DATA_DIR
#error "TPW_MARKET_DATA_DIR names tests/data/marketdata/cryptofeed"
#endif

#define E8 100000000ull
#define EVENTS_MAX 1024

/* What the observer saw. */
static struct market_feed_event events[EVENTS_MAX];
static struct market_trade trades[EVENTS_MAX];
static size_t events_count;

static void on_event(void *user, const struct market_feed_event *event)
{
    (void)user;
    assert_true(events_count < EVENTS_MAX);
    events[events_count] = *event;
    if (event->trade != NULL) {
        trades[events_count] = *event->trade;
    }
    events_count++;
}

static market_feed *feed_new(const char *venue, enum market__decoder decoder)
{
    market_feed *feed = NULL;
    assert_err(market_feed_create(venue, &feed, NULL), TPW_OK);
    market__feed_decoder_set(feed, decoder);
    assert_err(market_feed_observe(feed, on_event, NULL), TPW_OK);
    events_count = 0;
    return feed;
}

static enum tpw_err message(market_feed *feed, const char *text)
{
    return market_feed_message(feed, text, strlen(text));
}

/* A Binance snapshot of `symbol` with 8-digit strings, at update id 100. */
static void binance_snapshot(market_feed *feed, const char *symbol)
{
    char url[128];
    (void)snprintf(url, sizeof(url), "https://api.binance.com/api/v3/depth?symbol=%s", symbol);
    const char *body = "{\"lastUpdateId\":100,\"bids\":[[\"0.00090000\",\"1.00000000\"]],"
                       "\"asks\":[[\"0.00110000\",\"2.00000000\"]]}";
    assert_err(market_feed_snapshot(feed, url, strlen(url), body, strlen(body)), TPW_OK);
}

static struct market_book_status status_of(const market_feed *feed)
{
    struct market_book_status status;
    market_feed_book_status(feed, 0, &status);
    return status;
}

/* The last event, which must be a trade. */
static const struct market_trade *last_trade(void)
{
    assert_true(events_count > 0);
    assert_int_equal(events[events_count - 1].kind, MARKET_FEED_EVENT_TRADE);
    return &trades[events_count - 1];
}

static const enum market__decoder decoders[] = {MARKET__DECODER_FAST, MARKET__DECODER_JANSSON};

/* Binance's documented payloads (web-socket-streams.md): BNBBTC at 0.001 for 100. */
static void test_binance_spot_documented(void **state)
{
    (void)state;
    static const char *const payloads[] = {
        /* trade, as documented: with the buyer's and seller's order ids */
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\","
        "\"q\":\"100\",\"b\":88,\"a\":50,\"T\":1672515782136,\"m\":true,\"M\":true}",
        /* trade without the order ids, in the combined-stream envelope */
        "{\"stream\":\"bnbbtc@trade\",\"data\":{\"e\":\"trade\",\"E\":1672515782136,"
        "\"s\":\"BNBBTC\",\"t\":12346,\"p\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,"
        "\"m\":false,\"M\":true}}",
    };
    for (size_t decoder = 0; decoder < 2; decoder++) {
        market_feed *feed = feed_new("BINANCE", decoders[decoder]);
        market_feed_received_at(feed, 42);
        binance_snapshot(feed, "BNBBTC");
        assert_err(message(feed, payloads[0]), TPW_OK);
        const struct market_trade *trade = last_trade();
        assert_string_equal(trade->book->symbol, "BNBBTC");
        assert_int_equal(trade->trade_id, 12345);
        assert_int_equal(trade->price_minor, 100000); /* 0.001 at 10^-8 */
        assert_int_equal(trade->qty_minor, 100 * E8);
        assert_int_equal(trade->trade_time_us, 1672515782136000);
        assert_int_equal(trade->received_us, 42);
        assert_int_equal(trade->aggressor, MARKET_TAKER_SELL); /* the buyer was the maker */
        assert_false(trade->aggregate);
        assert_err(message(feed, payloads[1]), TPW_OK);
        assert_int_equal(last_trade()->aggressor, MARKET_TAKER_BUY);
        struct market_book_status status = status_of(feed);
        assert_int_equal(status.trades_count, 2);
        assert_int_equal(status.trade_gaps_count, 0);
        assert_int_equal(status.last_trade_id, 12346);
        market_feed_destroy(feed);
    }
}

static void test_binance_agg_trades_documented(void **state)
{
    (void)state;
    const char *spot = "{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"a\":12345,"
                       "\"p\":\"0.001\",\"q\":\"100\",\"f\":100,\"l\":105,\"T\":1672515782136,"
                       "\"m\":true,\"M\":true}";
    /* USD-M futures (no "M"), at the documented example's times. */
    const char *futures = "{\"e\":\"aggTrade\",\"E\":123456789,\"s\":\"BNBBTC\",\"a\":5933014,"
                          "\"p\":\"0.001\",\"q\":\"100\",\"f\":100,\"l\":105,\"T\":123456785,"
                          "\"m\":true}";
    for (size_t decoder = 0; decoder < 2; decoder++) {
        market_feed *feed = feed_new("BINANCE", decoders[decoder]);
        binance_snapshot(feed, "BNBBTC");
        assert_err(message(feed, spot), TPW_OK);
        assert_int_equal(last_trade()->trade_id, 12345);
        assert_true(last_trade()->aggregate);
        assert_int_equal(last_trade()->aggressor, MARKET_TAKER_SELL);
        market_feed_destroy(feed);
        feed = feed_new("BINANCE_FUTURES", decoders[decoder]);
        binance_snapshot(feed, "BNBBTC");
        assert_err(message(feed, futures), TPW_OK);
        assert_int_equal(last_trade()->trade_id, 5933014);
        assert_int_equal(last_trade()->trade_time_us, 123456785000);
        assert_int_equal(status_of(feed).trades_count, 1);
        market_feed_destroy(feed);
    }
}

static void coinbase_snapshot(market_feed *feed)
{
    assert_err(message(feed, "{\"type\":\"snapshot\",\"product_id\":\"BTC-USD\",\"bids\":"
                             "[[\"10101.10\",\"0.45054140\"]],\"asks\":[[\"10102.55\","
                             "\"0.57753524\"]]}"),
               TPW_OK);
}

/* Coinbase's documented match (websocket-channels, "Match"): the side is the maker's. */
static void test_coinbase_match_documented(void **state)
{
    (void)state;
    const char *documented = "{\"type\":\"match\",\"trade_id\":10,\"sequence\":50,"
                             "\"maker_order_id\":\"ac928c66-ca53-498f-9c13-a110027a60e8\","
                             "\"taker_order_id\":\"132fb6ae-456b-4654-b4e0-d681ac05cea1\","
                             "\"time\":\"2014-11-07T08:19:27.028459Z\",\"product_id\":\"BTC-USD\","
                             "\"size\":\"5.23512\",\"price\":\"400.23\",\"side\":\"sell\"}";
    const char *last_match = "{\"type\":\"last_match\",\"trade_id\":10,\"sequence\":50,"
                             "\"time\":\"2014-11-07T08:19:27.028459Z\",\"product_id\":\"BTC-USD\","
                             "\"size\":\"5.23512\",\"price\":\"400.23\",\"side\":\"sell\"}";
    const char *next = "{\"type\":\"match\",\"trade_id\":12,\"sequence\":52,"
                       "\"time\":\"2014-11-07T08:19:28Z\",\"product_id\":\"BTC-USD\","
                       "\"size\":\"1\",\"price\":\"400.22\",\"side\":\"buy\"}";
    for (size_t decoder = 0; decoder < 2; decoder++) {
        market_feed *feed = feed_new("COINBASE", decoders[decoder]);
        coinbase_snapshot(feed);
        assert_err(message(feed, documented), TPW_OK);
        const struct market_trade *trade = last_trade();
        assert_int_equal(trade->trade_id, 10);
        assert_int_equal(trade->price_minor, 40023 * 1000000ull);
        assert_int_equal(trade->qty_minor, 523512000);
        assert_int_equal(trade->trade_time_us, 1415348367028459);
        assert_int_equal(trade->aggressor, MARKET_TAKER_BUY); /* a sell maker: an up-tick */
        /* The last_match of a (re)subscription repeats a trade: dropped, not counted. */
        size_t seen = events_count;
        assert_err(message(feed, last_match), TPW_OK);
        assert_int_equal(events_count, seen);
        assert_err(message(feed, next), TPW_OK);
        assert_int_equal(last_trade()->aggressor, MARKET_TAKER_SELL);
        assert_int_equal(last_trade()->trade_time_us, 1415348368000000);
        struct market_book_status status = status_of(feed);
        assert_int_equal(status.trades_count, 2);
        assert_int_equal(status.trades_dropped_count, 1);
        assert_int_equal(status.trade_gaps_count, 1); /* 11 is missing */
        market_feed_destroy(feed);
    }
}

/* A match at `time` for product BTC-USD with trade id `trade_id`. */
static enum tpw_err match_at(market_feed *feed, const char *time, uint64_t trade_id)
{
    char text[256];
    (void)snprintf(text, sizeof(text),
                   "{\"type\":\"match\",\"trade_id\":%llu,\"time\":\"%s\",\"product_id\":"
                   "\"BTC-USD\",\"size\":\"1\",\"price\":\"1\",\"side\":\"buy\"}",
                   (unsigned long long)trade_id, time);
    return message(feed, text);
}

static void test_coinbase_times(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t us; /* -1: refused */
    } cases[] = {
        {"2024-02-29T23:59:59.999999Z", 1709251199999999},
        {"2000-03-01T00:00:00Z", 951868800000000},
        {"1970-01-01T00:00:00.000000001Z", 0}, /* nanoseconds are cut */
        {"2019-08-14T20:42:27.265Z", 1565815347265000},
        {"2023-02-29T00:00:00Z", -1}, /* not a leap year */
        {"2100-02-29T00:00:00Z", -1}, /* nor is 2100 */
        {"2024-13-01T00:00:00Z", -1},
        {"2024-01-01T24:00:00Z", -1},
        {"2024-01-01T00:00:60Z", -1},
        {"2024-01-01T00:00:00", -1},   /* no zone */
        {"2024-01-01T00:00:00.Z", -1}, /* an empty fraction */
        {"2024-01-01T00:00:00.1234567890Z", -1},
        {"2024-01-01 00:00:00Z", -1},
        {"1969-12-31T23:59:59Z", -1},
        {"", -1},
    };
    for (size_t decoder = 0; decoder < 2; decoder++) {
        market_feed *feed = feed_new("COINBASE", decoders[decoder]);
        coinbase_snapshot(feed);
        uint64_t refused = 0;
        for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
            enum tpw_err err = match_at(feed, cases[index].text, 1 + index);
            if (cases[index].us < 0) {
                assert_err(err, TPW_ERR_MARKET_MESSAGE_INVALID);
                refused++;
            } else {
                assert_err(err, TPW_OK);
                assert_int_equal(last_trade()->trade_time_us, cases[index].us);
            }
        }
        assert_int_equal(status_of(feed).malformed_count[MARKET_MALFORMED_TYPE], refused);
        market_feed_destroy(feed);
    }
}

/* A Binance spot trade of BNBBTC with id `trade_id`, at `price` for `qty`. */
static enum tpw_err spot_trade(market_feed *feed, uint64_t trade_id, const char *price,
                               const char *qty)
{
    char text[256];
    (void)snprintf(text, sizeof(text),
                   "{\"e\":\"trade\",\"E\":1,\"s\":\"BNBBTC\",\"t\":%llu,\"p\":\"%s\",\"q\":\"%s\","
                   "\"T\":1,\"m\":false,\"M\":true}",
                   (unsigned long long)trade_id, price, qty);
    return message(feed, text);
}

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum market_malformed kind;
    } refused[] = {
        {"{\"e\":\"trade\",\"s\":\"BNBBTC\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1}",
         MARKET_MALFORMED_TYPE}, /* no "m" */
        {"{\"e\":\"trade\",\"s\":\"BNBBTC\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":"
         "\"true\"}",
         MARKET_MALFORMED_TYPE},
        {"{\"e\":\"trade\",\"s\":\"BNBBTC\",\"t\":-1,\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":true}",
         MARKET_MALFORMED_TYPE},
        {"{\"e\":\"trade\",\"s\":\"BNBBTC\",\"t\":1,\"p\":1.5,\"q\":\"1\",\"T\":1,\"m\":true}",
         MARKET_MALFORMED_TYPE},
        {"{\"e\":\"aggTrade\",\"s\":\"BNBBTC\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":true}",
         MARKET_MALFORMED_TYPE}, /* an aggTrade's id is "a" */
        {"{\"e\":\"trade\",\"s\":\"BNBBTC\",\"t\":1,\"p\":\"1\",\"q\":\"1\","
         "\"T\":9223372036854776,\"m\":true}",
         MARKET_MALFORMED_TYPE}, /* beyond int64 microseconds */
        {"{\"e\":\"trade\",\"s\":\"BNBBTC\",\"t\":1,\"p\":\"-1\",\"q\":\"1\",\"T\":1,\"m\":true}",
         MARKET_MALFORMED_NEGATIVE},
        {"{\"e\":\"trade\",\"s\":\"BNBBTC\",\"t\":1,\"p\":\"1\",\"q\":\"0.0\",\"T\":1,\"m\":true}",
         MARKET_MALFORMED_NUMBER}, /* a zero quantity */
        {"{\"e\":\"trade\",\"s\":\"BNBBTC\",\"t\":1,\"p\":\"1e3\",\"q\":\"1\",\"T\":1,\"m\":true}",
         MARKET_MALFORMED_NUMBER},
        {"{\"e\":\"trade\",\"s\":\"BNBBTC\",\"t\":1,\"p\":\"0.000000001\",\"q\":\"1\",\"T\":1,"
         "\"m\":true}",
         MARKET_MALFORMED_PRECISION},
        {"{\"e\":\"trade\",\"s\":\"BNBBTC\",\"t\":1,\"p\":\"1\",\"q\":\"999999999999\",\"T\":1,"
         "\"m\":true}",
         MARKET_MALFORMED_TOO_LARGE},
    };
    for (size_t decoder = 0; decoder < 2; decoder++) {
        market_feed *feed = feed_new("BINANCE", decoders[decoder]);
        assert_err(spot_trade(feed, 1, "1", "1"), TPW_ERR_MARKET_MESSAGE_INVALID);
        struct market_feed_status feed_status;
        market_feed_status(feed, &feed_status);
        assert_int_equal(feed_status.malformed_count[MARKET_MALFORMED_UNKNOWN_SYMBOL], 1);
        binance_snapshot(feed, "BNBBTC");
        uint64_t expected[MARKET_MALFORMED_COUNT] = {0};
        for (size_t index = 0; index < sizeof(refused) / sizeof(refused[0]); index++) {
            assert_err(message(feed, refused[index].text), TPW_ERR_MARKET_MESSAGE_INVALID);
            expected[refused[index].kind]++;
        }
        struct market_book_status status = status_of(feed);
        assert_memory_equal(status.malformed_count, expected, sizeof(expected));
        assert_int_equal(status.trades_count, 0);
        assert_int_equal(events_count, 1); /* the snapshot's book event only */
        market_feed_destroy(feed);
    }
}

static void test_ids_drops_gaps_and_kinds(void **state)
{
    (void)state;
    for (size_t decoder = 0; decoder < 2; decoder++) {
        market_feed *feed = feed_new("BINANCE", decoders[decoder]);
        binance_snapshot(feed, "BNBBTC");
        assert_err(spot_trade(feed, 7, "1", "1"), TPW_OK);
        assert_err(spot_trade(feed, 7, "1", "1"), TPW_OK);  /* a replay */
        assert_err(spot_trade(feed, 5, "1", "1"), TPW_OK);  /* older */
        assert_err(spot_trade(feed, 10, "1", "2"), TPW_OK); /* 8 and 9 missed */
        assert_err(spot_trade(feed, 11, "1", "3"), TPW_OK);
        /* An aggTrade after trades: the other numbering of the same fills, ignored. */
        assert_err(message(feed, "{\"e\":\"aggTrade\",\"s\":\"BNBBTC\",\"a\":99,\"p\":\"1\","
                                 "\"q\":\"1\",\"T\":1,\"m\":true,\"f\":1,\"l\":1}"),
                   TPW_OK);
        struct market_book_status status = status_of(feed);
        assert_int_equal(status.trades_count, 3);
        assert_int_equal(status.trades_dropped_count, 2);
        assert_int_equal(status.trade_gaps_count, 1);
        assert_int_equal(status.last_trade_id, 11);
        struct market_feed_status feed_status;
        market_feed_status(feed, &feed_status);
        assert_int_equal(feed_status.ignored_count, 1);
        /* A resync does not forget the trades: ids keep going up across snapshots. */
        binance_snapshot(feed, "BNBBTC");
        assert_err(spot_trade(feed, 11, "1", "3"), TPW_OK);
        assert_int_equal(status_of(feed).trades_dropped_count, 3);
        market_feed_destroy(feed);
    }
}

/* The recordings' aggTrades (tests/data/marketdata/README.md), replayed. */
static void test_recorded_agg_trades(void **state)
{
    (void)state;
    static const char *const files[] = {"BINANCE_US.http.0.0", "BINANCE_US.ws.1.0"};
    for (size_t decoder = 0; decoder < 2; decoder++) {
        market_feed *feed = feed_new("BINANCE_US", decoders[decoder]);
        for (size_t index = 0; index < 2; index++) {
            char path[512];
            (void)snprintf(path, sizeof(path), "%s/%s", TPW_MARKET_DATA_DIR, files[index]);
            assert_err(market_replay_file(feed, path, NULL), TPW_OK);
        }
        uint64_t qty_minor = 0;
        uint64_t buy_qty_minor = 0;
        size_t trades_seen = 0;
        for (size_t index = 0; index < events_count; index++) {
            if (events[index].kind == MARKET_FEED_EVENT_TRADE) {
                assert_string_equal(trades[index].book->symbol, "OMGBUSD");
                assert_int_equal(trades[index].trade_id, 425085 + trades_seen);
                qty_minor += trades[index].qty_minor;
                buy_qty_minor +=
                    trades[index].aggressor == MARKET_TAKER_BUY ? trades[index].qty_minor : 0;
                trades_seen++;
            }
        }
        assert_int_equal(trades_seen, 11);
        assert_int_equal(qty_minor, 38337 * 1000000ull);     /* 383.37 */
        assert_int_equal(buy_qty_minor, 10792 * 1000000ull); /* 2.1 + 105.82 (m false) */
        /* The first: 1633998288.39296: …"p":"13.80480000",…"T":1633998288467 */
        size_t first = 0;
        while (events[first].kind != MARKET_FEED_EVENT_TRADE) {
            first++;
        }
        assert_int_equal(trades[first].price_minor, 1380480000);
        assert_int_equal(trades[first].received_us, 1633998288392960);
        assert_int_equal(trades[first].trade_time_us, 1633998288467000);
        struct market_feed_status feed_status;
        market_feed_status(feed, &feed_status);
        assert_int_equal(feed_status.ignored_count, 5); /* the klines */
        assert_int_equal(feed_status.last_message_us, 1633998305539553);
        market_feed_destroy(feed);
    }
}

static void test_stale_ticker_and_book_events(void **state)
{
    (void)state;
    for (size_t decoder = 0; decoder < 2; decoder++) {
        market_feed *feed = feed_new("BINANCE", decoders[decoder]);
        binance_snapshot(feed, "BNBBTC");
        assert_int_equal(events[0].kind, MARKET_FEED_EVENT_BOOK);
        assert_true(events[0].snapshot);
        assert_int_equal(events[0].update_id, 100);
        /* A ticker from before the snapshot, as a venue sends on subscription. */
        assert_err(message(feed, "{\"u\":98,\"s\":\"BNBBTC\",\"b\":\"0.00090000\",\"B\":\"1\","
                                 "\"a\":\"0.00110000\",\"A\":\"2\"}"),
                   TPW_OK);
        assert_int_equal(events[1].kind, MARKET_FEED_EVENT_TICKER_STALE);
        assert_int_equal(events[1].update_id, 98);
        assert_int_equal(events[1].book_update_id, 100);
        assert_int_equal(status_of(feed).tickers_stale_count, 1);
        assert_err(message(feed, "{\"e\":\"depthUpdate\",\"s\":\"BNBBTC\",\"U\":101,\"u\":102,"
                                 "\"b\":[[\"0.00095000\",\"1\"]],\"a\":[]}"),
                   TPW_OK);
        assert_int_equal(events[2].kind, MARKET_FEED_EVENT_BOOK);
        assert_false(events[2].snapshot);
        assert_int_equal(events[2].update_id, 102);
        assert_int_equal(events_count, 3);
        market_feed_destroy(feed);
    }
}

static void test_observers_bound(void **state)
{
    (void)state;
    market_feed *feed = NULL;
    assert_err(market_feed_create("BINANCE", &feed, NULL), TPW_OK);
    assert_err(market_feed_observe(feed, NULL, NULL), TPW_ERR_INVALID_ARGUMENT);
    for (size_t index = 0; index < MARKET_FEED_OBSERVERS_MAX; index++) {
        assert_err(market_feed_observe(feed, on_event, NULL), TPW_OK);
    }
    assert_err(market_feed_observe(feed, on_event, NULL), TPW_ERR_INVALID_ARGUMENT);
    events_count = 0;
    binance_snapshot(feed, "BNBBTC");
    assert_int_equal(events_count, MARKET_FEED_OBSERVERS_MAX); /* each observer once */
    market_feed_destroy(feed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binance_spot_documented),
        cmocka_unit_test(test_binance_agg_trades_documented),
        cmocka_unit_test(test_coinbase_match_documented),
        cmocka_unit_test(test_coinbase_times),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_ids_drops_gaps_and_kinds),
        cmocka_unit_test(test_recorded_agg_trades),
        cmocka_unit_test(test_stale_ticker_and_book_events),
        cmocka_unit_test(test_observers_bound),
    };
    tpw_log_set_level(TPW_LOG_ERROR); /* the refusals' log lines are test_feed's subject */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
