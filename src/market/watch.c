/*
 * The watch: live sources (a primary and an optional backup) for one venue's symbols,
 * wired to one failover machine per symbol, and the poll loop that drives them.
 *
 * What the failover machine is told, per symbol and source:
 *   - a MESSAGE whenever the source applies a message of its stream (none while it
 *     buffers for a snapshot) and its book of that symbol is usable (synced on this
 *     connection, no resync pending). Liveness
 *     is the connection's, not the symbol's: a quiet market sends few diffs for one
 *     symbol, and a quiet symbol is no reason to distrust a feed that is streaming.
 *     A book that waits for its snapshot gets no MESSAGE, so it turns stale.
 *   - a GAP when its book needs a resync (a sequence gap or a refused diff);
 *   - a DISCONNECT when the stream closes; a TICK on every poll.
 * At start the backup's messages are held back from the machines until the primary
 * has been usable once or stale_after_us has passed: otherwise whichever source
 * synced first would decide, and a fast backup would cause a spurious failover.
 */
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "log.h"
#include "tpw_assert.h"
#include "tpwallet/clock.h"

#include "banned.h"

struct market_watch {
    struct market_watch_config config;
    struct market__source sources[MARKET_SOURCES_COUNT];
    struct market_failover machines[MARKET_WATCH_SYMBOLS_MAX];
    bool primary_seen[MARKET_WATCH_SYMBOLS_MAX]; /* the primary was usable once */
    struct market__ws *ws;
    struct market__rest *rest;
    int64_t reconnect_at_us[MARKET_SOURCES_COUNT];
    uint64_t start_ns;
    int64_t now_us;
    market_watch_event_fn *on_event;
    void *user;
};

const char *market_watch_event_name(enum market_watch_event_kind kind)
{
    static const char *const names[] = {
#define MARKET_X_NAME(name, json) json,
        MARKET_WATCH_EVENT_TABLE(MARKET_X_NAME)
#undef MARKET_X_NAME
    };
    return (size_t)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

void market_watch_config_defaults(struct market_watch_config *config)
{
    memset(config, 0, sizeof(*config));
    config->failover = (struct market_failover_config){.stale_after_us = 2000000,
                                                       .gaps_max = 3,
                                                       .gap_window_us = 60000000,
                                                       .hysteresis_us = 10000000};
    config->snapshot_timeout_us = 5000000;
    config->reconnect_us = 500000;
    config->snapshot_limit = 1000;
}

static int64_t clock_us(const struct market_watch *watch)
{
    return (int64_t)((tpw_clock_monotonic_ns() - watch->start_ns) / 1000u);
}

static void emit(struct market_watch *watch, const struct market_watch_event *event)
{
    if (watch->on_event != NULL) {
        watch->on_event(watch->user, event);
    }
}

/* Logs the change and hands it over as a FAILOVER event: the alert of docs/market.md. */
static void failover_emit(struct market_watch *watch, size_t symbol_index,
                          const struct market_failover_event *change)
{
    const char *symbol = watch->config.symbols[symbol_index];
    TPW_LOGF(change->status_to == MARKET_PRICE_LIVE ? TPW_LOG_INFO : TPW_LOG_WARN,
             "market.failover", TPW_LOG_STR("venue", watch->config.venue),
             TPW_LOG_STR("symbol", symbol), TPW_LOG_STR("from", market_source_name(change->from)),
             TPW_LOG_STR("to", market_source_name(change->to)),
             TPW_LOG_STR("status", market_price_status_name(change->status_to)),
             TPW_LOG_STR("reason", market_failover_reason_name(change->reason)));
    struct market_watch_event event;
    memset(&event, 0, sizeof(event));
    event.kind = MARKET_WATCH_FAILOVER;
    event.timestamp_us = change->timestamp_us;
    event.source = change->to;
    event.symbol = symbol;
    event.symbol_index = symbol_index;
    event.why = market_failover_reason_name(change->reason);
    event.failover = *change;
    emit(watch, &event);
}

static void step(struct market_watch *watch, size_t symbol_index,
                 enum market_failover_input_kind kind, enum market_source source)
{
    struct market_failover_input input = {kind, source, watch->now_us};
    struct market_failover_event change;
    bool changed = false;
    enum tpw_err err =
        market_failover_step(&watch->machines[symbol_index], &input, &change, &changed);
    TPW_ASSERT(err == TPW_OK); /* kinds, sources and time are the watch's own */
    if (changed) {
        failover_emit(watch, symbol_index, &change);
    }
}

/* The backup's inputs wait until the primary had its chance (see the top comment). */
static bool held_back(const struct market_watch *watch, size_t symbol_index,
                      enum market_source source)
{
    return source == MARKET_SOURCE_BACKUP && !watch->primary_seen[symbol_index] &&
           watch->now_us < watch->config.failover.stale_after_us;
}

/* A message arrived on `source`: fresh for each symbol whose book is usable there. */
static void freshen(struct market_watch *watch, enum market_source source)
{
    for (size_t index = 0; index < watch->config.symbols_count; index++) {
        if (!market__source_ready(&watch->sources[source], index, NULL)) {
            continue;
        }
        if (source == MARKET_SOURCE_PRIMARY) {
            watch->primary_seen[index] = true;
        }
        if (!held_back(watch, index, source)) {
            step(watch, index, MARKET_FAILOVER_MESSAGE, source);
        }
    }
}

/* Events from the sources: resyncs also count against the source as gaps. */
static void source_notify(void *ctx, const struct market_watch_event *event)
{
    struct market_watch *watch = ctx;
    emit(watch, event);
    if (event->kind == MARKET_WATCH_RESYNC &&
        !held_back(watch, event->symbol_index, event->source)) {
        step(watch, event->symbol_index, MARKET_FAILOVER_GAP, event->source);
    }
}

static void connection_event(struct market_watch *watch, enum market_watch_event_kind kind,
                             enum market_source source, const char *why)
{
    struct market_watch_event event;
    memset(&event, 0, sizeof(event));
    event.kind = kind;
    event.timestamp_us = watch->now_us;
    event.source = source;
    event.why = why;
    emit(watch, &event);
}

static void ws_opened(void *ctx, size_t conn_index)
{
    struct market_watch *watch = ctx;
    watch->now_us = clock_us(watch);
    market__source_connected(&watch->sources[conn_index], watch->now_us);
    TPW_LOGF(TPW_LOG_INFO, "market.connected", TPW_LOG_STR("venue", watch->config.venue),
             TPW_LOG_STR("source", market_source_name((enum market_source)conn_index)));
    connection_event(watch, MARKET_WATCH_CONNECTED, (enum market_source)conn_index, NULL);
}

static void ws_message(void *ctx, size_t conn_index, const char *text, size_t text_len)
{
    struct market_watch *watch = ctx;
    watch->now_us = clock_us(watch);
    /* A buffered message freshens nothing: while one book of the connection awaits its
     * snapshot, the others are not being updated either. */
    if (market__source_message(&watch->sources[conn_index], text, text_len, watch->now_us)) {
        freshen(watch, (enum market_source)conn_index);
    }
}

static void ws_refused(void *ctx, size_t conn_index, enum market_malformed kind)
{
    struct market_watch *watch = ctx;
    market__source_refuse_frame(&watch->sources[conn_index], kind);
}

static void ws_closed(void *ctx, size_t conn_index, const char *why)
{
    struct market_watch *watch = ctx;
    struct market__source *source = &watch->sources[conn_index];
    watch->now_us = clock_us(watch);
    watch->reconnect_at_us[conn_index] = watch->now_us + watch->config.reconnect_us;
    if (!source->connected) {
        return; /* a failed attempt to reconnect: retried quietly */
    }
    market__source_disconnected(source, watch->now_us);
    TPW_LOGF(TPW_LOG_WARN, "market.disconnected", TPW_LOG_STR("venue", watch->config.venue),
             TPW_LOG_STR("source", market_source_name((enum market_source)conn_index)),
             TPW_LOG_STR("why", why));
    connection_event(watch, MARKET_WATCH_DISCONNECTED, (enum market_source)conn_index, why);
    for (size_t index = 0; index < watch->config.symbols_count; index++) {
        step(watch, index, MARKET_FAILOVER_DISCONNECT, (enum market_source)conn_index);
    }
}

static void rest_done(void *ctx, size_t slot_index, const char *body, size_t body_len,
                      const char *why)
{
    struct market_watch *watch = ctx;
    size_t source = slot_index / MARKET_WATCH_SYMBOLS_MAX;
    size_t symbol_index = slot_index % MARKET_WATCH_SYMBOLS_MAX;
    TPW_ASSERT(source < watch->config.sources_count);
    watch->now_us = clock_us(watch);
    market__source_snapshot_done(&watch->sources[source], symbol_index, body, body_len, why,
                                 watch->now_us);
}

/* Venues whose books start from a REST snapshot: the only procedure live mode runs yet
 * (Coinbase's level2 sends its snapshot in the stream after a subscribe message). */
static bool venue_has_rest_snapshots(const char *venue)
{
    return strcmp(venue, "BINANCE") == 0 || strcmp(venue, "BINANCE_US") == 0 ||
           strcmp(venue, "BINANCE_FUTURES") == 0 || strcmp(venue, "BINANCE_DELIVERY") == 0;
}

static enum tpw_err config_check(const struct market_watch_config *config,
                                 struct tpw_error_detail *detail)
{
    if (!venue_has_rest_snapshots(config->venue)) {
        return tpw_error_set(detail, TPW_ERR_MARKET_VENUE_UNKNOWN, 0,
                             "no live procedure for venue '%.40s' (BINANCE, BINANCE_US, "
                             "BINANCE_FUTURES, BINANCE_DELIVERY)",
                             config->venue);
    }
    if (config->symbols_count == 0 || config->symbols_count > MARKET_WATCH_SYMBOLS_MAX) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "1 to %d symbols",
                             MARKET_WATCH_SYMBOLS_MAX);
    }
    if (config->sources_count == 0 || config->sources_count > MARKET_SOURCES_COUNT) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "a primary and at most a backup");
    }
    if (config->snapshot_timeout_us <= 0 || config->reconnect_us <= 0 ||
        config->snapshot_limit == 0 || config->snapshot_limit > MARKET_LIVE_SNAPSHOT_LIMIT_MAX) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                             "timeouts above 0 and a snapshot limit of 1 to 5000");
    }
    for (size_t index = 0; index < config->sources_count; index++) {
        const struct market_watch_source_config *source = &config->sources[index];
        if (!market__ws_url_valid(source->ws_url) || !market__rest_url_valid(source->rest_url)) {
            return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                                 "%s: a ws:// or wss:// stream and an http(s):// snapshot url",
                                 market_source_name((enum market_source)index));
        }
    }
    return TPW_OK;
}

/* Everything but the connections, which start on the first poll. */
static enum tpw_err watch_parts(struct market_watch *watch, struct tpw_error_detail *detail)
{
    const struct market_watch_config *config = &watch->config;
    enum tpw_err err = TPW_OK;
    for (size_t index = 0; err == TPW_OK && index < config->symbols_count; index++) {
        err = market_failover_init(&watch->machines[index], &config->failover, 0);
    }
    if (err != TPW_OK) {
        return tpw_error_set(detail, err, 0, "failover thresholds out of range");
    }
    for (size_t index = 0; err == TPW_OK && index < config->sources_count; index++) {
        err = market__source_init(&watch->sources[index], config, (enum market_source)index,
                                  source_notify, watch, detail);
    }
    if (err != TPW_OK) {
        return err;
    }
    const struct market__ws_handlers handlers = {ws_opened, ws_message, ws_refused, ws_closed,
                                                 watch};
    err = market__ws_create(config->sources_count, &handlers, &watch->ws);
    if (err == TPW_OK) {
        err = market__rest_create(config->sources_count * MARKET_WATCH_SYMBOLS_MAX,
                                  config->snapshot_timeout_us, &watch->rest);
    }
    return err == TPW_OK ? TPW_OK : tpw_error_set(detail, err, 0, "%s", tpw_strerror(err));
}

enum tpw_err market_watch_create(const struct market_watch_config *config,
                                 market_watch_event_fn *on_event, void *user, market_watch **out,
                                 struct tpw_error_detail *detail)
{
    enum tpw_err err = config_check(config, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct market_watch *watch = calloc(1, sizeof(*watch));
    if (watch == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    watch->config = *config;
    watch->on_event = on_event;
    watch->user = user;
    watch->start_ns = tpw_clock_monotonic_ns();
    err = watch_parts(watch, detail);
    if (err != TPW_OK) {
        market_watch_destroy(watch);
        return err;
    }
    *out = watch;
    return TPW_OK;
}

void market_watch_destroy(market_watch *watch)
{
    if (watch == NULL) {
        return;
    }
    market__ws_destroy(watch->ws); /* first: closing connections calls no one now */
    market__rest_destroy(watch->rest);
    for (size_t index = 0; index < watch->config.sources_count; index++) {
        if (watch->sources[index].feed != NULL) {
            market__source_deinit(&watch->sources[index]);
        }
    }
    free(watch);
}

/* Opens dropped streams once their wait is over, and asks for wanted snapshots. */
static void start_work(struct market_watch *watch)
{
    for (size_t source = 0; source < watch->config.sources_count; source++) {
        if (!market__ws_active(watch->ws, source) &&
            watch->now_us >= watch->reconnect_at_us[source]) {
            market__ws_connect(watch->ws, source, watch->config.sources[source].ws_url);
        }
        for (size_t index = 0; index < watch->config.symbols_count; index++) {
            struct market__source *state = &watch->sources[source];
            char url[MARKET_URL_SIZE];
            if (!market__source_wants_snapshot(state, index, watch->now_us)) {
                continue;
            }
            market__source_snapshot_requested(state, index);
            size_t slot_index = source * MARKET_WATCH_SYMBOLS_MAX + index;
            if (!market__source_snapshot_url(state, index, url) ||
                market__rest_get(watch->rest, slot_index, url) != TPW_OK) {
                market__source_snapshot_done(state, index, NULL, 0, "request not started",
                                             watch->now_us);
            }
        }
    }
}

void market_watch_poll(market_watch *watch, int64_t *now_us)
{
    watch->now_us = clock_us(watch);
    start_work(watch);
    market__ws_service(watch->ws);
    market__rest_poll(watch->rest, rest_done, watch);
    watch->now_us = clock_us(watch);
    for (size_t index = 0; index < watch->config.symbols_count; index++) {
        step(watch, index, MARKET_FAILOVER_TICK, MARKET_SOURCE_PRIMARY);
    }
    *now_us = watch->now_us;
}

void market_watch_instrument(const market_watch *watch, size_t symbol_index,
                             struct market_watch_instrument *out)
{
    TPW_ASSERT(symbol_index < watch->config.symbols_count);
    const struct market_failover *machine = &watch->machines[symbol_index];
    memset(out, 0, sizeof(*out));
    out->symbol = watch->config.symbols[symbol_index];
    out->active = machine->active;
    out->status = machine->status;
    if ((size_t)machine->active < watch->config.sources_count) {
        out->synced =
            market__source_ready(&watch->sources[machine->active], symbol_index, &out->book);
    }
}

void market_watch_source_stats(const market_watch *watch, enum market_source source,
                               struct market_watch_source_stats *out)
{
    memset(out, 0, sizeof(*out));
    if ((size_t)source >= watch->config.sources_count) {
        return;
    }
    const struct market__source *state = &watch->sources[source];
    *out = state->stats;
    market_feed_status(state->feed, &out->feed);
    for (size_t index = 0; index < market_feed_books_count(state->feed); index++) {
        struct market_book_status status;
        market_feed_book_status(state->feed, index, &status);
        for (size_t kind = 0; kind < MARKET_MALFORMED_COUNT; kind++) {
            out->books_malformed_count += status.malformed_count[kind];
        }
    }
}

uint64_t market_watch_frames_count(const market_watch *watch)
{
    uint64_t total = 0;
    for (size_t index = 0; index < watch->config.sources_count; index++) {
        total += watch->sources[index].stats.frames_count;
    }
    return total;
}

market_feed *market_watch_source_feed(market_watch *watch, enum market_source source)
{
    if ((size_t)source >= watch->config.sources_count) {
        return NULL;
    }
    return watch->sources[source].feed;
}
