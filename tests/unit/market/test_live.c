/*
 * Live mode without a network: the message buffer's bounds, and one source's procedure
 * (live_source.c) driven with the Binance recording — messages that arrive before the
 * snapshots are buffered, the snapshots are applied, the buffer replayed, and the
 * books end exactly as tests/data/marketdata/README.md says. Then the error paths: a
 * gap asks for a new snapshot and buffers meanwhile, a failed snapshot is retried
 * after the reconnect wait, a snapshot that lands after a disconnect is ignored, and
 * frames refused before the feed are counted on it.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"

/* ----- the buffer ----- */

static void test_buffer_fifo_and_count_bound(void **state)
{
    (void)state;
    struct market__buffer buffer;
    assert_err(market__buffer_init(&buffer), TPW_OK);
    char text[32];
    for (size_t index = 0; index <= MARKET_LIVE_BUFFER_MESSAGES_MAX; index++) {
        int len = snprintf(text, sizeof(text), "m%zu", index);
        assert_err(market__buffer_push(&buffer, text, (size_t)len, 7), TPW_OK);
    }
    assert_int_equal(buffer.count, MARKET_LIVE_BUFFER_MESSAGES_MAX);
    assert_int_equal(buffer.dropped_count, 1); /* m0, the oldest */
    struct market__buffered entry;
    assert_true(market__buffer_pop(&buffer, &entry));
    assert_string_equal(entry.text, "m1");
    assert_int_equal(entry.received_us, 7); /* applied later, with the time it arrived */
    free(entry.text);
    market__buffer_clear(&buffer);
    assert_false(market__buffer_pop(&buffer, &entry));
    assert_int_equal(buffer.bytes, 0);
    market__buffer_deinit(&buffer);
}

static void test_buffer_byte_bound_and_oversized(void **state)
{
    (void)state;
    struct market__buffer buffer;
    assert_err(market__buffer_init(&buffer), TPW_OK);
    char *big = calloc(MARKET_LIVE_FRAME_MAX + 1, 1);
    assert_non_null(big);
    memset(big, 'x', MARKET_LIVE_FRAME_MAX + 1);
    assert_err(market__buffer_push(&buffer, big, MARKET_LIVE_FRAME_MAX + 1, 0),
               TPW_ERR_INVALID_ARGUMENT);
    size_t fits = MARKET_LIVE_BUFFER_BYTES_MAX / MARKET_LIVE_FRAME_MAX;
    for (size_t index = 0; index < fits + 2; index++) {
        assert_err(market__buffer_push(&buffer, big, MARKET_LIVE_FRAME_MAX, 0), TPW_OK);
    }
    assert_int_equal(buffer.count, fits);
    assert_int_equal(buffer.dropped_count, 2);
    assert_true(buffer.bytes <= MARKET_LIVE_BUFFER_BYTES_MAX);
    free(big);
    market__buffer_deinit(&buffer);
}

/* ----- the procedure ----- */

#define EVENTS_MAX 64

struct recorder {
    enum market_watch_event_kind kinds[EVENTS_MAX];
    size_t symbol_indexes[EVENTS_MAX];
    size_t count;
};

static void record(void *ctx, const struct market_watch_event *event)
{
    struct recorder *recorder = ctx;
    if (recorder->count < EVENTS_MAX) {
        recorder->kinds[recorder->count] = event->kind;
        recorder->symbol_indexes[recorder->count++] = event->symbol_index;
    }
}

static size_t events_of(const struct recorder *recorder, enum market_watch_event_kind kind)
{
    size_t count = 0;
    for (size_t index = 0; index < recorder->count; index++) {
        count += recorder->kinds[index] == kind ? 1u : 0u;
    }
    return count;
}

static const char *const binance_symbols[] = {"NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"};

static void config_binance(struct market_watch_config *config)
{
    market_watch_config_defaults(config);
    (void)snprintf(config->venue, sizeof(config->venue), "BINANCE");
    for (size_t index = 0; index < 4; index++) {
        (void)snprintf(config->symbols[index], MARKET_SYMBOL_SIZE, "%s", binance_symbols[index]);
    }
    config->symbols_count = 4;
    config->sources_count = 1;
    (void)snprintf(config->sources[0].ws_url, MARKET_URL_SIZE, "ws://127.0.0.1:1/stream");
    (void)snprintf(config->sources[0].rest_url, MARKET_URL_SIZE, "http://127.0.0.1:1/depth");
}

/* The text after "<prefix>: " of a recording line, or NULL. */
static const char *payload(const char *line)
{
    const char *colon = strstr(line, ": ");
    return colon != NULL ? colon + 2 : NULL;
}

/* Hands every `<epoch>: <json>` line of the ws recording to the source, from line
 * `first` to `last` (message numbers, 0-based). */
static size_t feed_messages(struct market__source *source, size_t first, size_t last)
{
    FILE *file = fopen(TPW_MARKET_DATA_DIR "/BINANCE.ws.1.0", "r");
    assert_non_null(file);
    char *line = NULL;
    size_t size = 0;
    size_t number = 0;
    ssize_t len = 0;
    while ((len = getline(&line, &size, file)) > 0) {
        line[strcspn(line, "\n")] = '\0';
        const char *text = line[0] >= '0' && line[0] <= '9' ? payload(line) : NULL;
        if (text == NULL || strstr(line, " <- ") != NULL) {
            continue;
        }
        if (number >= first && number <= last) {
            market__source_message(source, text, strlen(text), (int64_t)number);
        }
        number++;
    }
    free(line);
    (void)fclose(file);
    return number;
}

/* The recorded snapshot body of `symbol` (malloc'd). */
static char *snapshot_body(const char *symbol)
{
    FILE *file = fopen(TPW_MARKET_DATA_DIR "/BINANCE.http.0.0", "r");
    assert_non_null(file);
    char *line = NULL;
    size_t size = 0;
    char *body = NULL;
    char key[48];
    (void)snprintf(key, sizeof(key), "symbol=%s&", symbol);
    while (body == NULL && getline(&line, &size, file) > 0) {
        line[strcspn(line, "\n")] = '\0';
        const char *text = strstr(line, key) != NULL ? payload(line) : NULL;
        body = text != NULL ? strdup(text) : NULL;
    }
    free(line);
    (void)fclose(file);
    assert_non_null(body);
    return body;
}

static void snapshot_deliver(struct market__source *source, size_t symbol_index, int64_t now_us)
{
    assert_true(market__source_wants_snapshot(source, symbol_index, now_us));
    market__source_snapshot_requested(source, symbol_index);
    assert_false(market__source_wants_snapshot(source, symbol_index, now_us));
    char *body = snapshot_body(binance_symbols[symbol_index]);
    market__source_snapshot_done(source, symbol_index, body, strlen(body), NULL, now_us);
    free(body);
}

struct fixture {
    struct market_watch_config config;
    struct recorder recorder;
    struct market__source source;
};

static int setup(void **state)
{
    struct fixture *fixture = calloc(1, sizeof(*fixture));
    assert_non_null(fixture);
    config_binance(&fixture->config);
    assert_err(market__source_init(&fixture->source, &fixture->config, MARKET_SOURCE_PRIMARY,
                                   record, &fixture->recorder, NULL),
               TPW_OK);
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fixture = *state;
    market__source_deinit(&fixture->source);
    free(fixture);
    return 0;
}

static void assert_book(const struct market__source *source, size_t symbol_index,
                        uint64_t update_id, uint64_t best_bid_minor, size_t bid_levels,
                        size_t ask_levels)
{
    struct market_book_status status;
    assert_true(market__source_ready(source, symbol_index, &status));
    assert_int_equal(status.last_update_id, update_id);
    assert_int_equal(status.gaps_count, 0);
    struct market_level bid;
    assert_true(market_book_level(status.book, MARKET_BID, 0, &bid));
    assert_int_equal(bid.price_minor, best_bid_minor);
    assert_int_equal(market_book_levels_count(status.book, MARKET_BID), bid_levels);
    assert_int_equal(market_book_levels_count(status.book, MARKET_ASK), ask_levels);
}

/* Half the stream arrives before any snapshot: all of it is buffered, then replayed. */
static void test_buffer_then_snapshots_gives_the_readme_books(void **state)
{
    struct fixture *fixture = *state;
    struct market__source *source = &fixture->source;
    assert_false(market__source_wants_snapshot(source, 0, 0)); /* not connected yet */
    market__source_connected(source, 0);
    size_t total = feed_messages(source, 0, 40);
    assert_int_equal(source->stats.buffered_count, 41);
    for (size_t index = 0; index < 4; index++) {
        assert_false(market__source_ready(source, index, NULL));
        snapshot_deliver(source, index, 1);
    }
    assert_int_equal(events_of(&fixture->recorder, MARKET_WATCH_SYNCED), 4);
    assert_int_equal(source->buffer.count, 0); /* replayed once the last snapshot landed */
    (void)feed_messages(source, 41, total);
    assert_book(source, 0, 499870179, 35270000, 614, 994); /* NKNUSDT 0.35270000 */
    assert_book(source, 1, 281916638, 6547, 173, 999);     /* BLZETH 0.00006547 */
    assert_book(source, 2, 259345563, 637, 176, 1000);     /* LRCBTC 0.00000637 */
    assert_book(source, 3, 15602513, 625100000, 222, 468); /* RUNEEUR 6.25100000 */
    assert_int_equal(events_of(&fixture->recorder, MARKET_WATCH_RESYNC), 0);
}

static void synced(struct fixture *fixture)
{
    market__source_connected(&fixture->source, 0);
    for (size_t index = 0; index < 4; index++) {
        snapshot_deliver(&fixture->source, index, 1);
    }
}

/* A diff far ahead of the book: a gap, a new snapshot wanted (not sooner than the
 * reconnect wait after the last one), the stream buffered meanwhile. */
static void test_gap_wants_a_snapshot_and_buffers(void **state)
{
    struct fixture *fixture = *state;
    struct market__source *source = &fixture->source;
    int64_t wait_us = fixture->config.reconnect_us;
    synced(fixture); /* at t = 1 */
    const char *gap = "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BLZETH\",\"U\":281916700,"
                      "\"u\":281916701,\"b\":[],\"a\":[]}";
    assert_true(market__source_message(source, gap, strlen(gap), 5));
    assert_int_equal(events_of(&fixture->recorder, MARKET_WATCH_RESYNC), 1);
    assert_int_equal(fixture->recorder.symbol_indexes[fixture->recorder.count - 1], 1);
    assert_false(market__source_ready(source, 1, NULL));
    assert_true(market__source_ready(source, 0, NULL)); /* the others stay usable … */
    assert_false(market__source_wants_snapshot(source, 1, 5));
    assert_true(market__source_wants_snapshot(source, 1, 1 + wait_us));
    /* … but the stream waits: this diff, older than the next snapshot, is dropped when
     * the buffer is replayed (the gap itself would gap again: it came before). */
    const char *old = "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BLZETH\",\"U\":281916600,"
                      "\"u\":281916601,\"b\":[],\"a\":[]}";
    uint64_t buffered = source->stats.buffered_count;
    assert_false(market__source_message(source, old, strlen(old), 6));
    assert_int_equal(source->stats.buffered_count, buffered + 1);
    /* A failed request: retried only after the reconnect wait. */
    market__source_snapshot_requested(source, 1);
    market__source_snapshot_done(source, 1, NULL, 0, "HTTP 500", 2 + wait_us);
    assert_int_equal(events_of(&fixture->recorder, MARKET_WATCH_SNAPSHOT_FAILED), 1);
    assert_int_equal(source->stats.snapshot_failures_count, 1);
    assert_false(market__source_wants_snapshot(source, 1, 3 + wait_us));
    snapshot_deliver(source, 1, 2 + 2 * wait_us);
    struct market_book_status status;
    assert_true(market__source_ready(source, 1, &status));
    assert_int_equal(source->buffer.count, 0);
    assert_int_equal(status.dropped_count, 1);
    assert_int_equal(status.snapshots_count, 2);
}

/* A body that is not a snapshot is refused and retried like a failed request. */
static void test_refused_snapshot_is_retried(void **state)
{
    struct fixture *fixture = *state;
    struct market__source *source = &fixture->source;
    market__source_connected(source, 0);
    market__source_snapshot_requested(source, 0);
    market__source_snapshot_done(source, 0, "{\"bids\":1}", 10, NULL, 1);
    assert_int_equal(events_of(&fixture->recorder, MARKET_WATCH_SNAPSHOT_FAILED), 1);
    assert_false(market__source_ready(source, 0, NULL));
    assert_true(market__source_wants_snapshot(source, 0, 1 + fixture->config.reconnect_us));
}

/* A disconnect makes every book wait for a snapshot of the next connection. */
static void test_disconnect_drops_buffer_and_late_snapshots(void **state)
{
    struct fixture *fixture = *state;
    struct market__source *source = &fixture->source;
    market__source_connected(source, 0);
    market__source_snapshot_requested(source, 0);
    (void)feed_messages(source, 0, 3);
    market__source_disconnected(source, 2);
    assert_int_equal(source->buffer.count, 0);
    char *body = snapshot_body("NKNUSDT");
    market__source_snapshot_done(source, 0, body, strlen(body), NULL, 3); /* too late */
    free(body);
    assert_int_equal(events_of(&fixture->recorder, MARKET_WATCH_SYNCED), 0);
    assert_false(market__source_wants_snapshot(source, 0, 4)); /* not connected */
    market__source_connected(source, 5);
    assert_true(market__source_wants_snapshot(source, 0, 5));
    assert_int_equal(source->stats.connects_count, 2);
    assert_int_equal(source->stats.disconnects_count, 1);
}

/* Frames refused before the feed (oversized, binary) count on the feed. */
static void test_refused_frames_are_counted(void **state)
{
    struct fixture *fixture = *state;
    market__source_refuse_frame(&fixture->source, MARKET_MALFORMED_OVERSIZED);
    struct market_feed_status status;
    market_feed_status(fixture->source.feed, &status);
    assert_int_equal(status.malformed_count[MARKET_MALFORMED_OVERSIZED], 1);
    assert_int_equal(fixture->source.stats.frames_count, 1);
}

/* The snapshot URL carries the symbol and the limit; one too long does not fit. */
static void test_snapshot_url(void **state)
{
    struct fixture *fixture = *state;
    char url[MARKET_URL_SIZE];
    assert_true(market__source_snapshot_url(&fixture->source, 0, url));
    assert_string_equal(url, "http://127.0.0.1:1/depth?symbol=NKNUSDT&limit=1000");
    memset(fixture->config.sources[0].rest_url, 'h', MARKET_URL_SIZE - 1);
    fixture->config.sources[0].rest_url[MARKET_URL_SIZE - 1] = '\0';
    assert_false(market__source_snapshot_url(&fixture->source, 0, url));
}

/* Config refusals of market_watch_create, before anything starts. */
static void test_watch_config_refusals(void **state)
{
    (void)state;
    struct market_watch_config config;
    market_watch *watch = NULL;
    config_binance(&config);
    config.sources_count = 0;
    assert_err(market_watch_create(&config, NULL, NULL, &watch, NULL), TPW_ERR_INVALID_ARGUMENT);
    config_binance(&config);
    (void)snprintf(config.sources[0].ws_url, MARKET_URL_SIZE, "http://127.0.0.1:1/x");
    assert_err(market_watch_create(&config, NULL, NULL, &watch, NULL), TPW_ERR_INVALID_ARGUMENT);
    config_binance(&config);
    config.snapshot_limit = 5001;
    assert_err(market_watch_create(&config, NULL, NULL, &watch, NULL), TPW_ERR_INVALID_ARGUMENT);
    config_binance(&config);
    config.failover.gaps_max = 0;
    assert_err(market_watch_create(&config, NULL, NULL, &watch, NULL), TPW_ERR_INVALID_ARGUMENT);
    config_binance(&config);
    (void)snprintf(config.venue, sizeof(config.venue), "NOWHERE");
    assert_err(market_watch_create(&config, NULL, NULL, &watch, NULL),
               TPW_ERR_MARKET_VENUE_UNKNOWN);
    assert_null(watch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffer_fifo_and_count_bound),
        cmocka_unit_test(test_buffer_byte_bound_and_oversized),
        cmocka_unit_test_setup_teardown(test_buffer_then_snapshots_gives_the_readme_books, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gap_wants_a_snapshot_and_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_snapshot_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_drops_buffer_and_late_snapshots, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refused_frames_are_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_url, setup, teardown),
        cmocka_unit_test(test_watch_config_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
