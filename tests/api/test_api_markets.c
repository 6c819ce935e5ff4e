/*
 * Market data in the server end to end, on 127.0.0.1 only: real local venues
 * (tpw_feedserver replaying the cryptofeed recordings of tests/data/marketdata) and a
 * server given a markets file that points at them.
 *   - the books: GET /v1/markets, …/book and …/indicators against the final books and
 *     the worked indicator values the recordings' README documents; the venues' top of
 *     book as FX rates (GET /v1/rates/COMP-USDT); market.quote signals ending on the
 *     final top;
 *   - failover: the primary venue SIGKILLed → a market.failover signal on /v1/events
 *     within the stale threshold, prices delayed from the backup, the alert on
 *     /v1/alerts (for every role), the FX quote no longer refreshed; the primary back →
 *     live again after the hysteresis;
 *   - anomaly alerts: a watch with alert rules has a monitor whose alerts are
 *     market.alert signals and /v1/alerts entries of the rule's severity;
 *   - markets files that must stop the start, each naming its line;
 *   - every error of the new endpoints, and an instrument that never synced.
 * Every wait is bounded; the feed servers are SIGKILLed at teardown and exit by
 * themselves after a minute in any case.
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api_client.h"
#include "market_final_books.h"
#include "sse_reader.h"
#include "tpw_test.h"
#include "tpwallet/clock.h"

#include "banned.h"

#ifndef TPW_FEEDSERVER
#error "TPW_FEEDSERVER names the tpw_feedserver binary"
#endif
#ifndef TPW_MARKET_DATA_DIR
#error "TPW_MARKET_DATA_DIR names tests/data/marketdata/cryptofeed"
#endif

extern char **environ;

#define FEEDS_MAX 4

/* A local venue: a tpw_feedserver process replaying one venue's recordings. */
struct feed {
    pid_t pid;
    unsigned port;
    char venue[32];
    unsigned rate;
};

struct markets_fixture {
    struct api_fixture api;
    struct feed feeds[FEEDS_MAX];
    /* Event streams, here rather than on a test's stack: a failed test leaves them
     * running until teardown stops the server (which ends them) and joins them. */
    struct sse_reader readers[2];
    bool reading[2];
    char dir[64];          /* scratch: port files, markets files */
    char markets_path[96]; /* the markets file the server was given */
};

static void pause_ms(long ms)
{
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    (void)nanosleep(&pause, NULL);
}

static uint64_t now_ms(void)
{
    return tpw_clock_monotonic_ns() / 1000000u;
}

/* Starts the venue on `port` (0: any free one) and waits (≤ 5 s) for its port file. */
static void feed_start(struct markets_fixture *fixture, struct feed *feed, const char *venue,
                       unsigned port, unsigned rate)
{
    char http[256], ws[256], port_text[16], rate_text[16], port_file[128];
    (void)snprintf(http, sizeof http, "%s/%s.http.0.0", TPW_MARKET_DATA_DIR, venue);
    (void)snprintf(ws, sizeof ws, "%s/%s.ws.1.0", TPW_MARKET_DATA_DIR, venue);
    (void)snprintf(port_text, sizeof port_text, "%u", port);
    (void)snprintf(rate_text, sizeof rate_text, "%u", rate);
    (void)snprintf(port_file, sizeof port_file, "%s/%s.%d.port", fixture->dir, venue,
                   (int)(feed - fixture->feeds));
    (void)unlink(port_file);
    /* posix_spawn wants writable strings: the options are copied out of the literals. */
    char words[13][256];
    const char *const texts[13] = {
        TPW_FEEDSERVER, "--http",        http,     "--ws",    ws,
        "--port",       port_text,       "--rate", rate_text, "--port-file",
        port_file,      "--duration-ms", "60000"};
    char *argv[14];
    for (size_t i = 0; i < 13; i++) {
        (void)snprintf(words[i], sizeof words[i], "%s", texts[i]);
        argv[i] = words[i];
    }
    argv[13] = NULL;
    assert_int_equal(posix_spawn(&feed->pid, words[0], NULL, NULL, argv, environ), 0);
    (void)snprintf(feed->venue, sizeof feed->venue, "%s", venue);
    feed->rate = rate;
    for (int tries = 0; tries < 500; tries++) {
        FILE *file = fopen(port_file, "r");
        unsigned got = 0;
        bool read = file != NULL && fscanf(file, "%u", &got) == 1;
        if (file != NULL) {
            (void)fclose(file);
        }
        if (read && got != 0) {
            feed->port = got;
            return;
        }
        pause_ms(10);
    }
    fail_msg("tpw_feedserver for %s wrote no port", venue);
}

static void feed_kill(struct feed *feed)
{
    if (feed->pid > 0) {
        (void)kill(feed->pid, SIGKILL);
        (void)waitpid(feed->pid, NULL, 0);
        feed->pid = 0;
    }
}

static int setup(void **state)
{
    struct markets_fixture *fixture = calloc(1, sizeof *fixture);
    assert_non_null(fixture);
    (void)snprintf(fixture->dir, sizeof fixture->dir, "markets_test.%ld.XXXXXX", (long)getpid());
    assert_non_null(mkdtemp(fixture->dir));
    *state = fixture;
    return 0;
}

/* Starts the fixture's stream `index` of the `kind_prefix` signals. */
static struct sse_reader *stream_start(struct markets_fixture *fixture, size_t index,
                                       const char *kind_prefix, size_t want)
{
    assert_false(fixture->reading[index]);
    sse_start_kinds(&fixture->readers[index], &fixture->api, "/v1/events", kind_prefix, want);
    fixture->reading[index] = true;
    return &fixture->readers[index];
}

/* Joins stream `index` (its `want` came, or the server stopped) and frees its events. */
static void stream_end(struct markets_fixture *fixture, size_t index)
{
    if (fixture->reading[index]) {
        sse_join(&fixture->readers[index]);
        sse_free(&fixture->readers[index]);
        fixture->reading[index] = false;
    }
}

static int teardown(void **state)
{
    struct markets_fixture *fixture = *state;
    for (size_t i = 0; i < FEEDS_MAX; i++) {
        feed_kill(&fixture->feeds[i]);
    }
    if (fixture->api.server != NULL) {
        api_fixture_stop(&fixture->api); /* ends the streams */
    }
    for (size_t i = 0; i < 2; i++) {
        stream_end(fixture, i);
    }
    api_fixture_teardown(&fixture->api);
    assert_true(tpw_test_tree_remove(fixture->dir));
    free(fixture);
    return 0;
}

/* Writes the markets file `text` and returns its path (in the fixture's scratch dir). */
static const char *markets_write(struct markets_fixture *fixture, const char *name,
                                 const char *text)
{
    (void)snprintf(fixture->markets_path, sizeof fixture->markets_path, "%s/%s", fixture->dir,
                   name);
    FILE *file = fopen(fixture->markets_path, "w");
    assert_non_null(file);
    assert_true(fputs(text, file) >= 0);
    assert_int_equal(fclose(file), 0);
    return fixture->markets_path;
}

/* A [watch] section for `feed` (and `backup`, may be NULL) with `extra` lines. */
static size_t watch_section(char *out, size_t size, const struct feed *feed,
                            const struct feed *backup, const char *extra, const char *symbols)
{
    int length = snprintf(out, size,
                          "[watch]\nvenue = %s\nprimary = ws://127.0.0.1:%u/stream\n"
                          "primary_rest = http://127.0.0.1:%u/api/v3/depth\n%s%s",
                          feed->venue, feed->port, feed->port, extra, symbols);
    assert_true(length > 0 && (size_t)length < size);
    if (backup != NULL) {
        int more = snprintf(out + length, size - (size_t)length,
                            "backup = ws://127.0.0.1:%u/stream\n"
                            "backup_rest = http://127.0.0.1:%u/api/v3/depth\n",
                            backup->port, backup->port);
        assert_true(more > 0 && (size_t)(length + more) < size);
        length += more;
    }
    return (size_t)length;
}

static const char binance_symbols[] = "symbol = NKNUSDT NKN USDT\nsymbol = BLZETH BLZ ETH\n"
                                      "symbol = LRCBTC LRC BTC\nsymbol = RUNEEUR RUNE EUR\n";
static const char binance_us_symbols[] = "symbol = COMPUSDT COMP USDT\nsymbol = OMGBUSD OMG BUSD\n"
                                         "symbol = CRVUSDT CRV USDT\nsymbol = ZRXUSDT ZRX USDT\n";

/* GET path; the body must be JSON with `status`. The caller frees *out. */
static void get_expect(struct markets_fixture *fixture, const char *path, long status,
                       struct api_response *out)
{
    long got = api_json(&fixture->api, "GET", path, NULL, out);
    if (got != status) {
        fail_msg("GET %s: %ld, expected %ld: %s", path, got, status,
                 out->text != NULL ? out->text : "");
    }
    assert_non_null(out->body);
}

/* The instrument's object in GET /v1/markets (a new reference), NULL when absent. */
static json_t *market_get(struct markets_fixture *fixture, const char *venue, const char *symbol)
{
    struct api_response r;
    get_expect(fixture, "/v1/markets", 200, &r);
    json_t *found = NULL;
    size_t index;
    json_t *item;
    json_array_foreach(json_object_get(r.body, "data"), index, item)
    {
        if (strcmp(json_string_value(json_object_get(item, "venue")), venue) == 0 &&
            strcmp(json_string_value(json_object_get(item, "symbol")), symbol) == 0) {
            found = json_incref(item);
        }
    }
    api_response_free(&r);
    return found;
}

static const char *text_of(json_t *object, const char *key)
{
    const char *text = json_string_value(json_object_get(object, key));
    if (text == NULL) {
        fail_msg("no string \"%s\"", key);
    }
    return text;
}

/* Waits (≤ timeout_ms) until the instrument's `key` is the string `value`. */
static void market_wait_text(struct markets_fixture *fixture, const char *venue, const char *symbol,
                             const char *key, const char *value, uint64_t timeout_ms)
{
    uint64_t until = now_ms() + timeout_ms;
    for (;;) {
        json_t *market = market_get(fixture, venue, symbol);
        assert_non_null(market);
        const char *got = json_string_value(json_object_get(market, key));
        bool done = got != NULL && strcmp(got, value) == 0;
        json_decref(market);
        if (done) {
            return;
        }
        if (now_ms() > until) {
            fail_msg("%s %s: %s is not \"%s\" after %llu ms", venue, symbol, key, value,
                     (unsigned long long)timeout_ms);
        }
        pause_ms(20);
    }
}

/* Waits (≤ timeout_ms) until the instrument's book is at `update_id`. */
static void market_wait_id(struct markets_fixture *fixture, const char *venue, const char *symbol,
                           json_int_t update_id, uint64_t timeout_ms)
{
    uint64_t until = now_ms() + timeout_ms;
    for (;;) {
        json_t *market = market_get(fixture, venue, symbol);
        assert_non_null(market);
        json_int_t got = json_integer_value(json_object_get(market, "last_update_id"));
        json_decref(market);
        if (got == update_id) {
            return;
        }
        if (now_ms() > until) {
            fail_msg("%s %s: at update %lld, not %lld after %llu ms", venue, symbol, (long long)got,
                     (long long)update_id, (unsigned long long)timeout_ms);
        }
        pause_ms(20);
    }
}

/* ---- the books ------------------------------------------------------------------- */

/* The final books of tests/data/marketdata/README.md (market_final_books.h). */
#define FINAL_BOOKS_COUNT MARKET_FINAL_BOOKS_COUNT
static const struct market_final_book *const final_books = market_final_books;

/* Both recordings' venues, one watch each, primaries only; a stale threshold longer
 * than the test, so the books stay live once the recordings are over. */
static void start_both_venues(struct markets_fixture *fixture, const char *extra)
{
    feed_start(fixture, &fixture->feeds[0], "BINANCE", 0, 200);
    feed_start(fixture, &fixture->feeds[1], "BINANCE_US", 0, 200);
    char text[4096];
    size_t used =
        watch_section(text, sizeof text, &fixture->feeds[0], NULL, extra, binance_symbols);
    (void)watch_section(text + used, sizeof text - used, &fixture->feeds[1], NULL, extra,
                        binance_us_symbols);
    struct api_server_options options = {0};
    options.markets_path = markets_write(fixture, "markets.conf", text);
    api_fixture_start(&fixture->api, options);
}

static void check_final_market(struct markets_fixture *fixture,
                               const struct market_final_book *want)
{
    json_t *market = market_get(fixture, want->venue, want->symbol);
    assert_non_null(market);
    assert_string_equal(text_of(market, "object"), "market");
    assert_string_equal(text_of(market, "source"), "primary");
    assert_string_equal(text_of(market, "status"), "live");
    assert_true(json_is_true(json_object_get(market, "synced")));
    assert_int_equal(json_integer_value(json_object_get(market, "last_update_id")),
                     want->update_id);
    assert_string_equal(text_of(market, "best_bid"), want->bid);
    assert_string_equal(text_of(market, "best_bid_qty"), want->bid_qty);
    assert_string_equal(text_of(market, "best_ask"), want->ask);
    assert_string_equal(text_of(market, "best_ask_qty"), want->ask_qty);
    assert_int_equal(json_integer_value(json_object_get(market, "bid_levels")), want->bid_levels);
    assert_int_equal(json_integer_value(json_object_get(market, "ask_levels")), want->ask_levels);
    assert_int_equal(json_integer_value(json_object_get(market, "gaps")), 0);
    assert_true(json_is_integer(json_object_get(market, "age_ms")));
    assert_true(json_is_string(json_object_get(market, "updated_at")));
    json_decref(market);
}

/* Prices of one side as the book lists them must run away from the top, strictly. */
static void check_side_order(json_t *levels, bool descending)
{
    for (size_t i = 1; i < json_array_size(levels); i++) {
        const char *before = json_string_value(json_array_get(json_array_get(levels, i - 1), 0));
        const char *after = json_string_value(json_array_get(json_array_get(levels, i), 0));
        /* Same exponent on both, so equal lengths compare as numbers do. */
        int order = strlen(before) != strlen(after) ? (strlen(before) > strlen(after) ? 1 : -1)
                                                    : strcmp(before, after);
        assert_true(descending ? order > 0 : order < 0);
    }
}

static void check_book(struct markets_fixture *fixture, const struct market_final_book *want)
{
    char path[160];
    struct api_response r;
    (void)snprintf(path, sizeof path, "/v1/markets/%s/%s/book", want->venue, want->symbol);
    get_expect(fixture, path, 200, &r);
    assert_string_equal(text_of(r.body, "object"), "book");
    assert_int_equal(json_integer_value(json_object_get(r.body, "last_update_id")),
                     want->update_id);
    assert_int_equal(json_integer_value(json_object_get(r.body, "depth")), 10);
    json_t *bids = json_object_get(r.body, "bids");
    json_t *asks = json_object_get(r.body, "asks");
    assert_int_equal(json_array_size(bids), 10);
    assert_int_equal(json_array_size(asks), 10);
    assert_string_equal(json_string_value(json_array_get(json_array_get(bids, 0), 0)), want->bid);
    assert_string_equal(json_string_value(json_array_get(json_array_get(bids, 0), 1)),
                        want->bid_qty);
    assert_string_equal(json_string_value(json_array_get(json_array_get(asks, 0), 0)), want->ask);
    assert_string_equal(json_string_value(json_array_get(json_array_get(asks, 0), 1)),
                        want->ask_qty);
    api_response_free(&r);
    /* The whole book at the largest depth: every level, in order. */
    (void)snprintf(path, sizeof path, "/v1/markets/%s/%s/book?depth=1000", want->venue,
                   want->symbol);
    get_expect(fixture, path, 200, &r);
    bids = json_object_get(r.body, "bids");
    asks = json_object_get(r.body, "asks");
    assert_int_equal(json_array_size(bids), (size_t)want->bid_levels);
    assert_int_equal(json_array_size(asks), (size_t)want->ask_levels);
    assert_int_equal(json_integer_value(json_object_get(r.body, "bid_levels")), want->bid_levels);
    check_side_order(bids, true);
    check_side_order(asks, false);
    api_response_free(&r);
}

/* The worked indicator table of the recordings' README (tests/unit/market/
 * test_indicators.c checks the library on it), at the API's scales. */
struct worked_indicators {
    const char *path; /* …/indicators?qty=… */
    const char *mid, *spread_bps, *imbalance, *weighted_mid;
    const char *depth[3][2]; /* 10, 50, 100 bps: bid, ask */
    const char *qty, *cost, *vwap, *slippage_bps;
};

static const struct worked_indicators worked[] = {
    {"/v1/markets/BINANCE/NKNUSDT/indicators?qty=50000",
     "0.352900000",
     "11.3346557",
     "0.9688333",
     "0.35309377",
     {{"4384.1308000000000000", "388.8580000000000000"},
      {"33226.5991000000000000", "29828.8433000000000000"},
      {"95143.5061000000000000", "59681.3718000000000000"}},
     "50000.00000000",
     "17682.2631000000000000",
     "0.35364526",
     "21.1182205"},
    {"/v1/markets/BINANCE_US/COMPUSDT/indicators?qty=100&side=buy",
     "297.190000000",
     "18.1701942",
     "0.7058577",
     "297.38058159",
     {{"5439.0544820000000000", "2349.7311505000000000"},
      {"10749.2202678000000000", "26849.3539367000000000"},
      {"31837.3779070000000000", "46427.2943147000000000"}},
     "100.00000000",
     "29782.0401215000000000",
     "297.82040122",
     "21.2120601"},
};

static void check_indicators(struct markets_fixture *fixture, const struct worked_indicators *w)
{
    struct api_response r;
    get_expect(fixture, w->path, 200, &r);
    assert_string_equal(text_of(r.body, "object"), "indicators");
    assert_string_equal(text_of(r.body, "mid"), w->mid);
    assert_string_equal(text_of(r.body, "spread_bps"), w->spread_bps);
    assert_string_equal(text_of(r.body, "imbalance"), w->imbalance);
    assert_string_equal(text_of(r.body, "weighted_mid"), w->weighted_mid);
    static const char *const bands[3] = {"10", "50", "100"};
    json_t *depth = json_object_get(r.body, "depth_bps");
    assert_int_equal(json_object_size(depth), 3);
    for (size_t band = 0; band < 3; band++) {
        json_t *item = json_object_get(depth, bands[band]);
        assert_string_equal(text_of(item, "bid"), w->depth[band][0]);
        assert_string_equal(text_of(item, "ask"), w->depth[band][1]);
    }
    json_t *walk = json_object_get(r.body, "walk");
    assert_string_equal(text_of(walk, "side"), "buy");
    assert_string_equal(text_of(walk, "qty"), w->qty);
    assert_string_equal(text_of(walk, "cost"), w->cost);
    assert_string_equal(text_of(walk, "vwap"), w->vwap);
    assert_string_equal(text_of(walk, "slippage_bps"), w->slippage_bps);
    assert_true(json_integer_value(json_object_get(walk, "levels")) > 1);
    api_response_free(&r);
}

/* ?bps= alone, and a sell walk (the bids, from the best down: its vwap is at most the
 * best bid, its slippage above zero). */
static void check_indicator_options(struct markets_fixture *fixture)
{
    struct api_response r;
    get_expect(fixture, "/v1/markets/BINANCE_US/COMPUSDT/indicators?bps=10", 200, &r);
    json_t *depth = json_object_get(r.body, "depth_bps");
    assert_int_equal(json_object_size(depth), 1);
    assert_string_equal(text_of(json_object_get(depth, "10"), "bid"), "5439.0544820000000000");
    assert_true(json_is_null(json_object_get(r.body, "walk")));
    api_response_free(&r);
    get_expect(fixture, "/v1/markets/BINANCE_US/COMPUSDT/indicators?qty=20&side=sell", 200, &r);
    json_t *walk = json_object_get(r.body, "walk");
    assert_string_equal(text_of(walk, "side"), "sell");
    assert_true(strcmp(text_of(walk, "vwap"), "296.92000000") < 0); /* same length */
    assert_true(text_of(walk, "slippage_bps")[0] != '-');
    api_response_free(&r);
}

/* Whether a market.quote carries the final book's top of book. */
static bool quote_is_final(json_t *data, const struct market_final_book *want)
{
    const char *bid = json_string_value(json_object_get(data, "best_bid"));
    const char *bid_qty = json_string_value(json_object_get(data, "best_bid_qty"));
    const char *ask = json_string_value(json_object_get(data, "best_ask"));
    const char *ask_qty = json_string_value(json_object_get(data, "best_ask_qty"));
    return bid != NULL && bid_qty != NULL && ask != NULL && ask_qty != NULL &&
           strcmp(bid, want->bid) == 0 && strcmp(bid_qty, want->bid_qty) == 0 &&
           strcmp(ask, want->ask) == 0 && strcmp(ask_qty, want->ask_qty) == 0;
}

/* COMPUSDT's market.quote signals (≤ 15 s) end on the final book's top: they coalesce
 * but never lose the last state. A quote carries the book's update id when its top
 * moved, so the last one is at most the final id (the last diffs may leave the top). */
static void check_quotes(struct sse_reader *quotes)
{
    const struct market_final_book *want = &final_books[4];
    uint64_t until = now_ms() + 15000;
    json_t *last = NULL;
    while ((last == NULL || !quote_is_final(last, want)) && now_ms() < until) {
        size_t count = atomic_load(&quotes->count);
        for (size_t i = 0; i < count; i++) {
            json_t *data = quotes->events[i].data;
            if (strcmp(text_of(data, "symbol"), want->symbol) == 0) {
                last = data;
            }
        }
        pause_ms(20);
    }
    if (last == NULL || !quote_is_final(last, want)) {
        fail_msg("the last market.quote of %s is not the final top", want->symbol);
    }
    assert_string_equal(quotes->events[0].kind, "market.quote");
    assert_string_equal(text_of(last, "venue"), "BINANCE_US");
    assert_string_equal(text_of(last, "base"), "COMP");
    assert_string_equal(text_of(last, "quote"), "USDT");
    assert_string_equal(text_of(last, "status"), "live");
    json_int_t update_id = json_integer_value(json_object_get(last, "update_id"));
    assert_true(update_id > 113129219 && update_id <= (json_int_t)want->update_id);
}

/* Waits (≤ 3 s: a moving book is quoted at most every 250 ms) for `pair`'s ask. */
static void rate_wait_ask(struct markets_fixture *fixture, const char *pair, const char *ask)
{
    char path[64];
    (void)snprintf(path, sizeof path, "/v1/rates/%s", pair);
    uint64_t until = now_ms() + 3000;
    for (;;) {
        struct api_response r;
        long status = api_json(&fixture->api, "GET", path, NULL, &r);
        const char *got = status == 200 ? api_field(&r, "ask") : NULL;
        bool done = got != NULL && strcmp(got, ask) == 0;
        api_response_free(&r);
        if (done) {
            return;
        }
        if (now_ms() > until) {
            fail_msg("%s: ask is not %s after 3 s", pair, ask);
        }
        pause_ms(20);
    }
}

/* The venues' top of book as FX quotes: exact, fresh while the books are live. */
static void check_rates(struct markets_fixture *fixture)
{
    rate_wait_ask(fixture, "COMP-USDT", "297.46");
    rate_wait_ask(fixture, "NKN-USDT", "0.3531");
    struct api_response r;
    get_expect(fixture, "/v1/rates/COMP-USDT", 200, &r);
    assert_string_equal(text_of(r.body, "bid"), "296.92");
    assert_string_equal(text_of(r.body, "ask"), "297.46");
    assert_string_equal(text_of(r.body, "mid"), "297.19");
    assert_string_equal(text_of(r.body, "status"), "fresh");
    api_response_free(&r);
    get_expect(fixture, "/v1/rates/NKN-USDT", 200, &r);
    assert_string_equal(text_of(r.body, "bid"), "0.3527");
    assert_string_equal(text_of(r.body, "ask"), "0.3531");
    api_response_free(&r);
    /* Inverted from the venue's pair, rounded as a trade would go. */
    get_expect(fixture, "/v1/rates/USDT-COMP", 200, &r);
    assert_true(json_is_true(json_object_get(r.body, "inverted")));
    api_response_free(&r);
    assert_true(
        api_metrics_have(&fixture->api, "tpwallet_fx_provider_up{provider=\"binance_us\"} 1"));
    assert_true(api_metrics_have(&fixture->api, "tpwallet_fx_provider_up{provider=\"binance\"} 1"));
}

static void test_live_books(void **state)
{
    struct markets_fixture *fixture = *state;
    start_both_venues(fixture, "stale_ms = 600000\n");
    struct sse_reader *quotes = stream_start(fixture, 0, "market.quote", SSE_EVENTS_MAX);
    for (size_t i = 0; i < FINAL_BOOKS_COUNT; i++) {
        market_wait_id(fixture, final_books[i].venue, final_books[i].symbol,
                       (json_int_t)final_books[i].update_id, 15000);
    }
    for (size_t i = 0; i < FINAL_BOOKS_COUNT; i++) {
        check_final_market(fixture, &final_books[i]);
        check_book(fixture, &final_books[i]);
    }
    for (size_t i = 0; i < sizeof worked / sizeof worked[0]; i++) {
        check_indicators(fixture, &worked[i]);
    }
    check_indicator_options(fixture);
    check_rates(fixture);
    check_quotes(quotes);
}

/* ---- failover ---------------------------------------------------------------------- */

#define STALE_MS 1000
#define HYSTERESIS_MS 1000

/* Waits (≤ timeout_ms) for `count` events on `reader`; returns when they came. */
static void events_wait(struct sse_reader *reader, size_t count, uint64_t timeout_ms)
{
    uint64_t until = now_ms() + timeout_ms;
    while (atomic_load(&reader->count) < count && now_ms() < until) {
        pause_ms(5);
    }
    if (atomic_load(&reader->count) < count) {
        fail_msg("%zu of %zu events after %llu ms", atomic_load(&reader->count), count,
                 (unsigned long long)timeout_ms);
    }
}

/* The four symbols' failovers: one each, all `from` → `to` with the status and why. */
static void check_failovers(const struct sse_reader *reader, const char *from, const char *to,
                            const char *status_to, const char *reason)
{
    unsigned seen = 0;
    for (size_t i = 0; i < 4; i++) {
        json_t *data = reader->events[i].data;
        assert_string_equal(reader->events[i].kind, "market.failover");
        assert_string_equal(text_of(data, "venue"), "BINANCE_US");
        assert_string_equal(text_of(data, "from"), from);
        assert_string_equal(text_of(data, "to"), to);
        assert_string_equal(text_of(data, "status_to"), status_to);
        assert_string_equal(text_of(data, "reason"), reason);
        assert_true(json_is_integer(json_object_get(data, "timestamp")));
        const char *symbol = text_of(data, "symbol");
        for (unsigned s = 4; s < FINAL_BOOKS_COUNT; s++) {
            seen |= strcmp(symbol, final_books[s].symbol) == 0 ? 1u << s : 0;
        }
    }
    assert_int_equal(seen, 0xf0u); /* each BINANCE_US symbol once */
}

/* GET /v1/alerts as `key`: the newest is COMPUSDT's (or another symbol's) failover to
 * the backup, a warning. */
static void check_alert(struct markets_fixture *fixture, const char *key)
{
    const char *saved = fixture->api.key;
    fixture->api.key = key;
    struct api_response r;
    get_expect(fixture, "/v1/alerts?limit=4", 200, &r);
    fixture->api.key = saved;
    json_t *data = json_object_get(r.body, "data");
    assert_int_equal(json_array_size(data), 4);
    assert_true(json_is_true(json_object_get(r.body, "has_more"))); /* the start's */
    json_t *alert = json_array_get(data, 0);
    assert_string_equal(text_of(alert, "object"), "alert");
    assert_string_equal(text_of(alert, "kind"), "market.failover");
    assert_string_equal(text_of(alert, "severity"), "warning");
    assert_string_equal(text_of(json_object_get(alert, "data"), "status_to"), "delayed");
    assert_string_equal(text_of(json_object_get(alert, "data"), "to"), "backup");
    api_response_free(&r);
}

/* The delayed books feed no FX quote: the pair's as_of stays where the primary left it. */
static void check_rate_frozen(struct markets_fixture *fixture)
{
    struct api_response r;
    get_expect(fixture, "/v1/rates/COMP-USDT", 200, &r);
    char as_of[64];
    (void)snprintf(as_of, sizeof as_of, "%s", text_of(r.body, "as_of"));
    api_response_free(&r);
    pause_ms(1500); /* longer than a live book's refresh (1 s) */
    get_expect(fixture, "/v1/rates/COMP-USDT", 200, &r);
    assert_string_equal(text_of(r.body, "as_of"), as_of);
    api_response_free(&r);
}

static void test_failover(void **state)
{
    struct markets_fixture *fixture = *state;
    struct feed *primary = &fixture->feeds[0];
    feed_start(fixture, primary, "BINANCE_US", 0, 50);
    feed_start(fixture, &fixture->feeds[1], "BINANCE_US", 0, 50);
    char extra[256];
    (void)snprintf(extra, sizeof extra,
                   "stale_ms = %d\nhysteresis_ms = %d\nreconnect_ms = 200\n"
                   "quote_signals_per_s = 0\n",
                   STALE_MS, HYSTERESIS_MS);
    char text[2048];
    (void)watch_section(text, sizeof text, primary, &fixture->feeds[1], extra, binance_us_symbols);
    struct api_server_options options = {0};
    options.markets_path = markets_write(fixture, "markets.conf", text);
    api_fixture_start(&fixture->api, options);
    char user_key[API_KEY_TEXT_SIZE];
    api_fixture_key(&fixture->api, &(struct api_key_spec){.role = API_ROLE_USER, .owner = 7},
                    user_key);
    for (unsigned s = 4; s < FINAL_BOOKS_COUNT; s++) {
        market_wait_text(fixture, "BINANCE_US", final_books[s].symbol, "status", "live", 10000);
    }
    pause_ms(1000); /* mid-stream: the 9.6 s recording is about a fifth through */
    struct sse_reader *down = stream_start(fixture, 0, "market.failover", 4);
    pause_ms(200); /* the stream is open */
    uint64_t killed_ns = tpw_clock_monotonic_ns();
    feed_kill(primary);
    events_wait(down, 4, 10000);
    uint64_t after_ms = (down->events[0].received_ns - killed_ns) / 1000000u;
    if (after_ms > STALE_MS) {
        fail_msg("the failover signal came %llu ms after the kill (> %d)",
                 (unsigned long long)after_ms, STALE_MS);
    }
    check_failovers(down, "primary", "backup", "delayed", "disconnect");
    stream_end(fixture, 0);
    json_t *market = market_get(fixture, "BINANCE_US", "COMPUSDT");
    assert_string_equal(text_of(market, "source"), "backup");
    assert_string_equal(text_of(market, "status"), "delayed");
    json_decref(market);
    check_alert(fixture, fixture->api.admin_key);
    check_alert(fixture, user_key); /* prices are not customer data */
    check_rate_frozen(fixture);
    /* The primary returns on its port: live again, no sooner than the hysteresis. */
    struct sse_reader *up = stream_start(fixture, 1, "market.failover", 4);
    pause_ms(200);
    unsigned port = primary->port;
    uint64_t back_ns = tpw_clock_monotonic_ns();
    feed_start(fixture, primary, "BINANCE_US", port, 50);
    events_wait(up, 4, 15000);
    assert_true((up->events[0].received_ns - back_ns) / 1000000u >= HYSTERESIS_MS);
    check_failovers(up, "backup", "primary", "live", "recovered");
    stream_end(fixture, 1);
    market_wait_text(fixture, "BINANCE_US", "COMPUSDT", "source", "primary", 1000);
}

/* ---- markets files that stop the start ------------------------------------------------- */

struct bad_file {
    const char *text;
    enum tpw_err err;
    const char *message; /* a part of the error's message */
};

#define GOOD_SOURCES                                                                               \
    "primary = ws://127.0.0.1:1/stream\nprimary_rest = http://127.0.0.1:1/api/v3/depth\n"

static const struct bad_file bad_files[] = {
    {"", TPW_ERR_MARKETS_CONFIG_INVALID, "no [watch] section"},
    {"# only a comment\n\n", TPW_ERR_MARKETS_CONFIG_INVALID, "no [watch] section in its 2 lines"},
    {"venue = BINANCE\n", TPW_ERR_MARKETS_CONFIG_INVALID, "line 1: a key before the first [watch]"},
    {"[markets]\n", TPW_ERR_MARKETS_CONFIG_INVALID, "line 1: the only section is [watch]"},
    {"[watch]\nvenue BINANCE\n", TPW_ERR_MARKETS_CONFIG_INVALID, "line 2: expected key = value"},
    {"[watch]\ncolour = blue\n", TPW_ERR_MARKETS_CONFIG_INVALID, "line 2: unknown key \"colour\""},
    {"[watch]\nsymbols = A,B\n", TPW_ERR_MARKETS_CONFIG_INVALID,
     "line 2: unknown key \"symbols\": one line each"},
    {"[watch]\nvenue =\n", TPW_ERR_MARKETS_CONFIG_INVALID, "line 2: a key needs a value"},
    {"[watch]\nvenue = BINANCE\nvenue = BINANCE_US\n", TPW_ERR_MARKETS_CONFIG_INVALID,
     "line 3: a key given twice"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "stale_ms = 0\nsymbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 5: stale_ms: whole milliseconds above 0"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "limit = 5001\nsymbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 5: limit"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "gaps_max = x\nsymbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 5: gaps_max"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "quote_signals_per_s = 101\n"
     "symbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 5: quote_signals_per_s"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "symbol = BTCUSDT\n", TPW_ERR_MARKETS_CONFIG_INVALID,
     "line 5: symbol = SYMBOL BASE QUOTE"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "symbol = BTCUSDT BTC USDT EUR\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 5: symbol = SYMBOL BASE QUOTE"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "symbol = BTCUSDT btc! USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 5: symbol = SYMBOL BASE QUOTE"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "symbol = USDTUSDT USDT USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 5: a symbol prices one asset in another"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES, TPW_ERR_MARKETS_CONFIG_INVALID,
     "line 1: symbols: 1 to 16 symbols"},
    {"[watch]\nvenue = BINANCE\nprimary = ws://127.0.0.1:1/stream\nsymbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 1: primary_rest: a URL is needed"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "backup = ws://127.0.0.1:1/s\n"
     "symbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 1: backup_rest: a backup needs a snapshot URL"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "symbol = BTCUSDT BTC USDT\n"
     "symbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 6: this venue's symbol is followed already"},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "symbol = BTCUSDT BTC USDT\n"
     "[watch]\nvenue = BINANCE\n" GOOD_SOURCES "symbol = ETHUSDT ETH USDT\n"
     "symbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 11: this venue's symbol is followed already"},
    {"[watch]\nvenue = KRAKEN\n" GOOD_SOURCES "symbol = BTCUSD BTC USD\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 1 ([watch]): no live procedure for venue 'KRAKEN'"},
    {"[watch]\nvenue = COINBASE\n" GOOD_SOURCES "symbol = BTC-USD BTC USD\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 1 ([watch]): no live procedure for venue 'COINBASE'"},
    {"[watch]\nvenue = BINANCE\nprimary = http://127.0.0.1:1/stream\n"
     "primary_rest = http://127.0.0.1:1/api/v3/depth\nsymbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 1 ([watch]): primary: a ws:// or wss:// stream"},
    {"[watch]\nvenue = A_VENUE_NAME_OF_24_BYTES\n" GOOD_SOURCES "symbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 2: venue: at most 23 bytes"},
    /* Alert rules: a file that is not there, one that does not parse, a window the
     * monitor does not keep (refused when the monitor is made: the [watch] line). */
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "alerts = none.rules\nsymbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 5: alerts none.rules: "},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "alerts = bad.rules\nsymbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 5: alerts bad.rules: line 2: "},
    {"[watch]\nvenue = BINANCE\n" GOOD_SOURCES "alerts = window.rules\n"
     "symbol = BTCUSDT BTC USDT\n",
     TPW_ERR_MARKETS_CONFIG_INVALID, "line 1 ([watch]): "},
};

/* Nine watches: one more than a server runs. */
static void nine_watches(char *out, size_t size)
{
    size_t used = 0;
    for (int w = 0; w < 9; w++) {
        int length = snprintf(out + used, size - used,
                              "[watch]\nvenue = BINANCE\nprimary = ws://127.0.0.1:1/s\n"
                              "primary_rest = http://127.0.0.1:1/d\nsymbol = S%d BTC USDT\n",
                              w);
        assert_true(length > 0 && used + (size_t)length < size);
        used += (size_t)length;
    }
}

static void expect_refused(struct markets_fixture *fixture, const char *path, enum tpw_err err,
                           const char *message)
{
    struct api_server_options options = {
        .data_dir = fixture->api.data_dir, .listen_host = "127.0.0.1", .markets_path = path};
    struct api_server *server = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err got = api_server_start(&options, &server, &detail);
    if (got == TPW_OK) {
        assert_err(api_server_stop(server, NULL), TPW_OK);
        fail_msg("%s started; expected \"%s\"", path, message);
    }
    if (got != err || strstr(detail.message, message) == NULL) {
        fail_msg("got %s \"%s\"; expected %s \"%s\"", tpw_err_name(got), detail.message,
                 tpw_err_name(err), message);
    }
    assert_string_equal(detail.param, "markets");
    assert_null(server);
}

static void test_bad_files(void **state)
{
    struct markets_fixture *fixture = *state;
    /* The data directory and its key, made by a first start without markets. */
    api_fixture_start(&fixture->api, (struct api_server_options){0});
    api_fixture_stop(&fixture->api);
    (void)markets_write(fixture, "bad.rules", "# fine\nrule x metric=nope when=value>0\n");
    (void)markets_write(fixture, "window.rules",
                        "rule w metric=window_trades window=7s when=value>0\n");
    for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
        expect_refused(fixture, markets_write(fixture, "bad.conf", bad_files[i].text),
                       bad_files[i].err, bad_files[i].message);
    }
    char text[4096];
    nine_watches(text, sizeof text);
    expect_refused(fixture, markets_write(fixture, "nine.conf", text),
                   TPW_ERR_MARKETS_CONFIG_INVALID, "line 41: at most 8 watches");
    memset(text, 'x', 1500);
    memcpy(text, "[watch]\nvenue = ", 16);
    memcpy(text + 1500, "\n", 2);
    expect_refused(fixture, markets_write(fixture, "long.conf", text),
                   TPW_ERR_MARKETS_CONFIG_INVALID, "line 2: a line longer than 1023 bytes");
    char missing[128];
    (void)snprintf(missing, sizeof missing, "%s/none.conf", fixture->dir);
    expect_refused(fixture, missing, TPW_ERR_NOT_FOUND, "cannot open the markets file");
}

/* ---- the endpoints' errors --------------------------------------------------------- */

struct bad_request {
    const char *method;
    const char *path;
    long status;
    const char *code;
    const char *param; /* NULL: none */
};

static const struct bad_request bad_requests[] = {
    {"GET", "/v1/markets/BINANCE_US/NOPE/book", 404, "market_unknown", "symbol"},
    {"GET", "/v1/markets/KRAKEN/COMPUSDT/indicators", 404, "market_unknown", "symbol"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT", 404, "route_unknown", NULL},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/trades", 404, "route_unknown", NULL},
    {"POST", "/v1/markets", 405, "method_not_allowed", NULL},
    {"DELETE", "/v1/markets/BINANCE_US/COMPUSDT/book", 405, "method_not_allowed", NULL},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/book?depth=0", 400, "invalid_argument", "depth"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/book?depth=1001", 400, "invalid_argument", "depth"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/book?depth=ten", 400, "invalid_argument", "depth"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/book?depth=-1", 400, "invalid_argument", "depth"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/indicators?bps=10001", 400, "invalid_argument", "bps"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/indicators?bps=1.5", 400, "invalid_argument", "bps"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/indicators?side=buy", 400, "invalid_argument", "side"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/indicators?qty=1&side=hold", 400, "invalid_argument",
     "side"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/indicators?qty=abc", 400, "decimal_non_digit", "qty"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/indicators?qty=-1", 400, "decimal_sign", "qty"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/indicators?qty=0", 400, "invalid_argument", "qty"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/indicators?qty=1.000000001", 400, "decimal_precision",
     "qty"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/indicators?qty=1000000", 422,
     "market_depth_insufficient", "qty"},
    {"GET", "/v1/markets/BINANCE_US/COMPUSDT/indicators?qty=1000000&side=sell", 422,
     "market_depth_insufficient", "qty"},
    /* The unreachable venue's instrument never had a book. */
    {"GET", "/v1/markets/BINANCE/BTCUSDT/indicators?qty=1", 422, "market_book_empty", "qty"},
    {"GET", "/v1/alerts?limit=0", 400, "invalid_argument", "limit"},
    {"GET", "/v1/alerts?limit=101", 400, "invalid_argument", "limit"},
};

static void check_bad_request(struct markets_fixture *fixture, const struct bad_request *bad)
{
    struct api_response r;
    assert_true(api_call(&fixture->api, bad->method, bad->path, NULL, NULL, NULL, &r));
    if (r.status != bad->status || r.body == NULL ||
        strcmp(api_field(&r, "error.code"), bad->code) != 0) {
        fail_msg("%s %s: %ld %s, expected %ld %s", bad->method, bad->path, r.status,
                 r.text != NULL ? r.text : "", bad->status, bad->code);
    }
    json_t *param = json_object_get(json_object_get(r.body, "error"), "param");
    if (bad->param != NULL) {
        assert_string_equal(json_string_value(param), bad->param);
    } else {
        assert_null(param);
    }
    assert_non_null(strstr(r.headers, "Request-Id: req_"));
    api_response_free(&r);
}

/* An instrument whose venue cannot be reached: listed, never synced, no book. */
static void check_unsynced(struct markets_fixture *fixture)
{
    json_t *market = market_get(fixture, "BINANCE", "BTCUSDT");
    assert_non_null(market);
    assert_string_equal(text_of(market, "status"), "restricted");
    assert_true(json_is_false(json_object_get(market, "synced")));
    assert_true(json_is_null(json_object_get(market, "best_bid")));
    assert_true(json_is_null(json_object_get(market, "last_update_id")));
    assert_true(json_is_null(json_object_get(market, "age_ms")));
    json_decref(market);
    struct api_response r;
    get_expect(fixture, "/v1/markets/BINANCE/BTCUSDT/book", 200, &r);
    assert_int_equal(json_array_size(json_object_get(r.body, "bids")), 0);
    assert_true(json_is_null(json_object_get(r.body, "last_update_id")));
    api_response_free(&r);
    get_expect(fixture, "/v1/markets/BINANCE/BTCUSDT/indicators", 200, &r);
    assert_true(json_is_null(json_object_get(r.body, "mid")));
    assert_true(json_is_null(json_object_get(r.body, "spread_bps")));
    assert_true(json_is_null(
        json_object_get(json_object_get(json_object_get(r.body, "depth_bps"), "10"), "bid")));
    api_response_free(&r);
    get_expect(fixture, "/v1/rates/BTC-USDT", 404, &r); /* nothing quoted it */
    api_response_free(&r);
}

static void test_endpoint_errors(void **state)
{
    struct markets_fixture *fixture = *state;
    feed_start(fixture, &fixture->feeds[0], "BINANCE_US", 0, 1000);
    char text[2048];
    size_t used = watch_section(text, sizeof text, &fixture->feeds[0], NULL, "stale_ms = 600000\n",
                                binance_us_symbols);
    (void)snprintf(text + used, sizeof text - used,
                   "[watch]\nvenue = BINANCE\nprimary = ws://127.0.0.1:1/stream\n"
                   "primary_rest = http://127.0.0.1:1/api/v3/depth\nreconnect_ms = 100\n"
                   "symbol = BTCUSDT BTC USDT\n");
    struct api_server_options options = {0};
    options.markets_path = markets_write(fixture, "markets.conf", text);
    api_fixture_start(&fixture->api, options);
    market_wait_id(fixture, "BINANCE_US", "COMPUSDT", (json_int_t)final_books[4].update_id, 15000);
    for (size_t i = 0; i < sizeof bad_requests / sizeof bad_requests[0]; i++) {
        check_bad_request(fixture, &bad_requests[i]);
    }
    check_unsynced(fixture);
}

/* ---- anomaly alerts ---------------------------------------------------------------- */

/* The alert of `rule` among the reader's first `count` events; fails when none. */
static json_t *alert_of(const struct sse_reader *reader, size_t count, const char *rule,
                        const char *venue)
{
    for (size_t i = 0; i < count; i++) {
        json_t *data = reader->events[i].data;
        if (strcmp(text_of(data, "rule"), rule) == 0 &&
            strcmp(text_of(data, "venue"), venue) == 0) {
            return data;
        }
    }
    fail_msg("no %s alert for %s", rule, venue);
    return NULL;
}

/* Both watches monitored: each venue's feed age fires once (a cool-down of an hour),
 * COMPUSDT's spread once; signals first, then GET /v1/alerts of their severities. */
static void test_alerts(void **state)
{
    struct markets_fixture *fixture = *state;
    (void)markets_write(fixture, "alerts.rules",
                        "rule age metric=feed_age_ms when=value>=0 severity=info cooldown=1h\n"
                        "rule wide metric=spread_bps when=value>=0 instrument=BINANCE_US:COMPUSDT "
                        "severity=critical cooldown=1h\n");
    start_both_venues(fixture, "stale_ms = 600000\nalerts = alerts.rules\n");
    struct sse_reader *alerts = stream_start(fixture, 0, "market.alert", 3);
    events_wait(alerts, 3, 15000);
    json_t *age = alert_of(alerts, 3, "age", "BINANCE");
    assert_string_equal(text_of(age, "severity"), "info");
    assert_string_equal(text_of(age, "metric"), "feed_age_ms");
    assert_string_equal(text_of(age, "symbol"), "");
    (void)alert_of(alerts, 3, "age", "BINANCE_US");
    json_t *wide = alert_of(alerts, 3, "wide", "BINANCE_US");
    assert_string_equal(text_of(wide, "symbol"), "COMPUSDT");
    assert_string_equal(text_of(wide, "condition"), "value>=0");
    assert_string_equal(text_of(wide, "message"),
                        "BINANCE_US COMPUSDT: spread_bps value>=0 (rule wide)");
    /* Dated by the wall clock, not the watch's: within the last minute. */
    struct tpw_clock wall = tpw_clock_system();
    json_int_t now_us = (json_int_t)(tpw_clock_now_ns(&wall) / 1000u);
    json_int_t at_us = json_integer_value(json_object_get(wide, "timestamp_us"));
    assert_in_range(now_us - at_us, 0, 60000000);
    struct api_response r;
    get_expect(fixture, "/v1/alerts?limit=10", 200, &r);
    size_t index;
    json_t *item;
    unsigned severities = 0;
    json_array_foreach(json_object_get(r.body, "data"), index, item)
    {
        if (strcmp(text_of(item, "kind"), "market.alert") == 0) {
            const char *severity = text_of(item, "severity");
            severities |= strcmp(severity, "critical") == 0 ? 1u
                          : strcmp(severity, "info") == 0   ? 2u
                                                            : 4u;
        }
    }
    assert_int_equal(severities, 3u);
    api_response_free(&r);
}

/* A server without a markets file lists none, and knows none. */
static void test_no_markets(void **state)
{
    struct markets_fixture *fixture = *state;
    api_fixture_start(&fixture->api, (struct api_server_options){0});
    struct api_response r;
    get_expect(fixture, "/v1/markets", 200, &r);
    assert_int_equal(json_array_size(json_object_get(r.body, "data")), 0);
    api_response_free(&r);
    get_expect(fixture, "/v1/markets/BINANCE/BTCUSDT/book", 404, &r);
    assert_string_equal(api_field(&r, "error.code"), "market_unknown");
    api_response_free(&r);
    get_expect(fixture, "/v1/alerts", 200, &r);
    assert_int_equal(json_array_size(json_object_get(r.body, "data")), 0);
    assert_true(json_is_false(json_object_get(r.body, "has_more")));
    api_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_live_books, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_markets, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
