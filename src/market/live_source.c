/*
 * One live source's book procedure, without I/O: what to do with a stream message and
 * a REST snapshot, following the venue's "manage a local order book" steps.
 *
 * On every (re)connection all books need a snapshot taken after the stream opened;
 * until every wanted snapshot is applied the source buffers its messages, then
 * replays the buffer through the feed (which drops events older than each snapshot
 * and checks the sequence of the rest) and goes on with live messages. A gap or a
 * refused diff marks the book needs_resync in the feed: the source then wants that
 * symbol's snapshot again and buffers meanwhile. Buffering everything while any
 * snapshot is awaited keeps one order of messages for the whole connection; the price
 * is that the other symbols wait one snapshot round-trip during a resync.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "log.h"
#include "tpw_assert.h"

#include "banned.h"

enum tpw_err market__source_init(struct market__source *source,
                                 const struct market_watch_config *config, enum market_source id,
                                 market__notify_fn *notify, void *notify_ctx,
                                 struct tpw_error_detail *detail)
{
    memset(source, 0, sizeof(*source));
    source->config = config;
    source->id = id;
    source->notify = notify;
    source->notify_ctx = notify_ctx;
    enum tpw_err err = market_feed_create(config->venue, &source->feed, detail);
    if (err != TPW_OK) {
        return err;
    }
    err = market__buffer_init(&source->buffer);
    if (err != TPW_OK) {
        market_feed_destroy(source->feed);
        source->feed = NULL;
    }
    return err;
}

void market__source_deinit(struct market__source *source)
{
    market__buffer_deinit(&source->buffer);
    market_feed_destroy(source->feed);
    source->feed = NULL;
}

static void notify(struct market__source *source, enum market_watch_event_kind kind,
                   size_t symbol_index, uint64_t update_id, const char *why, int64_t now_us)
{
    struct market_watch_event event;
    memset(&event, 0, sizeof(event));
    event.kind = kind;
    event.timestamp_us = now_us;
    event.source = source->id;
    event.symbol_index = symbol_index;
    event.symbol =
        symbol_index < source->config->symbols_count ? source->config->symbols[symbol_index] : NULL;
    event.update_id = update_id;
    event.why = why;
    if (source->notify != NULL) {
        source->notify(source->notify_ctx, &event);
    }
}

static void want_all_snapshots(struct market__source *source, int64_t now_us)
{
    market__buffer_clear(&source->buffer);
    for (size_t index = 0; index < source->config->symbols_count; index++) {
        source->pending[index] = true;
        source->retry_at_us[index] = now_us;
    }
}

void market__source_connected(struct market__source *source, int64_t now_us)
{
    source->connected = true;
    source->stats.connects_count++;
    want_all_snapshots(source, now_us);
}

void market__source_disconnected(struct market__source *source, int64_t now_us)
{
    source->connected = false;
    source->stats.disconnects_count++;
    want_all_snapshots(source, now_us);
}

static bool any_pending(const struct market__source *source)
{
    for (size_t index = 0; index < source->config->symbols_count; index++) {
        if (source->pending[index]) {
            return true;
        }
    }
    return false;
}

/* The feed's status of the book of symbol `symbol_index`; false when it has none. */
static bool book_status(const struct market__source *source, size_t symbol_index,
                        struct market_book_status *out)
{
    const char *symbol = source->config->symbols[symbol_index];
    for (size_t index = 0; index < market_feed_books_count(source->feed); index++) {
        market_feed_book_status(source->feed, index, out);
        if (strcmp(out->book->symbol, symbol) == 0) {
            return true;
        }
    }
    return false;
}

/* After a refused or gapped message: every book the feed now distrusts wants a new
 * snapshot (the feed has marked it needs_resync). */
static void resync_distrusted(struct market__source *source, enum tpw_err err, int64_t now_us)
{
    for (size_t index = 0; index < source->config->symbols_count; index++) {
        struct market_book_status status;
        if (source->pending[index] || !book_status(source, index, &status) ||
            !status.needs_resync) {
            continue;
        }
        source->pending[index] = true;
        /* At most one snapshot per reconnect wait and symbol: a venue whose snapshots
         * lag its stream would otherwise be asked again at every message. */
        int64_t earliest_us = source->synced_at_us[index] + source->config->reconnect_us;
        source->retry_at_us[index] = earliest_us > now_us ? earliest_us : now_us;
        notify(source, MARKET_WATCH_RESYNC, index, status.last_update_id,
               err == TPW_ERR_MARKET_SEQUENCE_GAP ? "gap" : "refused update", now_us);
    }
}

/* Applies a message received at `received_us` (earlier than now when it was buffered). */
static void apply(struct market__source *source, const char *text, size_t text_len,
                  int64_t received_us, int64_t now_us)
{
    market_feed_received_at(source->feed, received_us);
    enum tpw_err err = market_feed_message(source->feed, text, text_len);
    if (err != TPW_OK) {
        resync_distrusted(source, err, now_us);
    }
}

/* Replays the buffer while no snapshot is awaited (a resync met in it stops the replay:
 * the rest stays buffered for the new snapshot). */
static void drain(struct market__source *source, int64_t now_us)
{
    struct market__buffered entry;
    while (!any_pending(source) && market__buffer_pop(&source->buffer, &entry)) {
        apply(source, entry.text, entry.text_len, entry.received_us, now_us);
        free(entry.text);
    }
}

bool market__source_message(struct market__source *source, const char *text, size_t text_len,
                            int64_t now_us)
{
    source->stats.frames_count++;
    if (!any_pending(source)) {
        apply(source, text, text_len, now_us, now_us);
        return true;
    }
    uint64_t dropped_before = source->buffer.dropped_count;
    enum tpw_err err = market__buffer_push(&source->buffer, text, text_len, now_us);
    if (err != TPW_OK) {
        TPW_LOGF(TPW_LOG_WARN, "market.buffer_refused", TPW_LOG_STR("venue", source->config->venue),
                 TPW_LOG_STR("source", market_source_name(source->id)),
                 TPW_LOG_STR("why", tpw_strerror(err)));
        source->stats.buffer_dropped_count++;
        return false;
    }
    source->stats.buffered_count++;
    source->stats.buffer_dropped_count += source->buffer.dropped_count - dropped_before;
    return false;
}

void market__source_refuse_frame(struct market__source *source, enum market_malformed kind)
{
    source->stats.frames_count++;
    market_feed_count_malformed(source->feed, kind, 0);
}

bool market__source_snapshot_url(const struct market__source *source, size_t symbol_index,
                                 char url[MARKET_URL_SIZE])
{
    TPW_ASSERT(symbol_index < source->config->symbols_count);
    int len = snprintf(url, MARKET_URL_SIZE, "%s?symbol=%s&limit=%u",
                       source->config->sources[source->id].rest_url,
                       source->config->symbols[symbol_index], source->config->snapshot_limit);
    return len > 0 && (size_t)len < MARKET_URL_SIZE;
}

bool market__source_wants_snapshot(const struct market__source *source, size_t symbol_index,
                                   int64_t now_us)
{
    return source->connected && source->pending[symbol_index] && !source->in_flight[symbol_index] &&
           now_us >= source->retry_at_us[symbol_index];
}

void market__source_snapshot_requested(struct market__source *source, size_t symbol_index)
{
    TPW_ASSERT(!source->in_flight[symbol_index]);
    source->in_flight[symbol_index] = true;
}

/* A failed or refused snapshot is asked for again after the reconnect wait. */
static void snapshot_failed(struct market__source *source, size_t symbol_index, const char *why,
                            int64_t now_us)
{
    source->stats.snapshot_failures_count++;
    source->retry_at_us[symbol_index] = now_us + source->config->reconnect_us;
    notify(source, MARKET_WATCH_SNAPSHOT_FAILED, symbol_index, 0, why, now_us);
}

void market__source_snapshot_done(struct market__source *source, size_t symbol_index,
                                  const char *body, size_t body_len, const char *why,
                                  int64_t now_us)
{
    TPW_ASSERT(source->in_flight[symbol_index]);
    source->in_flight[symbol_index] = false;
    if (!source->connected || !source->pending[symbol_index]) {
        return; /* asked for on a connection that has since closed */
    }
    char url[MARKET_URL_SIZE];
    if (body == NULL || !market__source_snapshot_url(source, symbol_index, url)) {
        snapshot_failed(source, symbol_index, why != NULL ? why : "request failed", now_us);
        return;
    }
    struct market_book_status status;
    market_feed_received_at(source->feed, now_us);
    enum tpw_err err = market_feed_snapshot(source->feed, url, strlen(url), body, body_len);
    if (err != TPW_OK || !book_status(source, symbol_index, &status) || !status.synced) {
        snapshot_failed(source, symbol_index, "snapshot refused", now_us);
        return;
    }
    source->stats.snapshots_count++;
    source->pending[symbol_index] = false;
    source->synced_at_us[symbol_index] = now_us;
    notify(source, MARKET_WATCH_SYNCED, symbol_index, status.last_update_id, NULL, now_us);
    drain(source, now_us);
}

bool market__source_ready(const struct market__source *source, size_t symbol_index,
                          struct market_book_status *out)
{
    struct market_book_status status;
    bool exists = book_status(source, symbol_index, &status);
    if (exists && out != NULL) {
        *out = status;
    }
    return source->connected && !source->pending[symbol_index] && exists && status.synced;
}
