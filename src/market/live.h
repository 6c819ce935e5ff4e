/*
 * Internals of live mode (library tpw_market_live), shared by its files only:
 *   live_buffer.c  the bounded queue of messages held while snapshots are awaited;
 *   live_source.c  one source's procedure (buffer, snapshots, resync), without I/O;
 *   live_ws.c      websocket client connections (libwebsockets), whole messages out;
 *   live_rest.c    REST snapshot requests (libcurl multi), bodies out;
 *   watch.c        the watch: sources, failover machines, the poll loop, events.
 * The procedure is kept apart from the I/O so that tests drive it with recorded
 * messages and no network.
 */
#ifndef MARKET_LIVE_H
#define MARKET_LIVE_H

#include "market_limits.h"
#include "tpwallet/market.h"

/* ----- live_buffer.c ----- */

struct market__buffered {
    char *text; /* owned, NUL-terminated */
    size_t text_len;
    int64_t received_us; /* when it arrived: the feed's receive time when it is applied */
};

/* A FIFO of at most MARKET_LIVE_BUFFER_MESSAGES_MAX messages and BYTES_MAX bytes. */
struct market__buffer {
    struct market__buffered *entries; /* ring of MARKET_LIVE_BUFFER_MESSAGES_MAX */
    size_t head_index;
    size_t count;
    size_t bytes;
    uint64_t dropped_count; /* oldest messages dropped to make room */
};

TPW_MUST_CHECK enum tpw_err market__buffer_init(struct market__buffer *buffer);
void market__buffer_deinit(struct market__buffer *buffer);
void market__buffer_clear(struct market__buffer *buffer);
/* Appends a copy of `text`; drops the oldest messages while the bounds would be passed.
 * TPW_ERR_NOMEM leaves the buffer as it was; TPW_ERR_INVALID_ARGUMENT for a message
 * above MARKET_LIVE_FRAME_MAX. */
TPW_MUST_CHECK enum tpw_err market__buffer_push(struct market__buffer *buffer, const char *text,
                                                size_t text_len, int64_t received_us);
/* Takes the oldest message (the caller frees entry->text); false when empty. */
bool market__buffer_pop(struct market__buffer *buffer, struct market__buffered *entry /* out */);

/* ----- live_source.c ----- */

typedef void market__notify_fn(void *ctx, const struct market_watch_event *event);

struct market__source {
    const struct market_watch_config *config;
    enum market_source id;
    market_feed *feed;
    struct market__buffer buffer;
    bool connected;
    bool pending[MARKET_WATCH_SYMBOLS_MAX];   /* needs a snapshot on this connection */
    bool in_flight[MARKET_WATCH_SYMBOLS_MAX]; /* its request is outstanding */
    int64_t retry_at_us[MARKET_WATCH_SYMBOLS_MAX];
    int64_t synced_at_us[MARKET_WATCH_SYMBOLS_MAX]; /* its last snapshot was applied */
    struct market_watch_source_stats stats;
    market__notify_fn *notify;
    void *notify_ctx;
};

TPW_MUST_CHECK enum tpw_err market__source_init(struct market__source *source,
                                                const struct market_watch_config *config,
                                                enum market_source id, market__notify_fn *notify,
                                                void *notify_ctx, struct tpw_error_detail *detail);
void market__source_deinit(struct market__source *source);

/* The stream opened: every book needs a snapshot taken after this moment. */
void market__source_connected(struct market__source *source, int64_t now_us);
/* The stream closed: what was buffered is dropped; snapshots are wanted again. */
void market__source_disconnected(struct market__source *source, int64_t now_us);
/* One whole message from the stream: buffered while a snapshot is awaited, else applied.
 * True when it was applied (the books are as fresh as the stream). */
bool market__source_message(struct market__source *source, const char *text, size_t text_len,
                            int64_t now_us);
/* A frame refused before the feed saw it (oversized, binary): counted and logged. */
void market__source_refuse_frame(struct market__source *source, enum market_malformed kind);

/* The snapshot URL of symbol `symbol_index` into `url`; false when it does not fit. */
bool market__source_snapshot_url(const struct market__source *source, size_t symbol_index,
                                 char url[MARKET_URL_SIZE] /* out */);
/* True when the symbol's snapshot should be requested now (then call _requested). */
bool market__source_wants_snapshot(const struct market__source *source, size_t symbol_index,
                                   int64_t now_us);
void market__source_snapshot_requested(struct market__source *source, size_t symbol_index);
/* A request finished: `body` on HTTP 200, else NULL with `why`. */
void market__source_snapshot_done(struct market__source *source, size_t symbol_index,
                                  const char *body, size_t body_len, const char *why,
                                  int64_t now_us);
/* True when the source's book of the symbol is usable: connected, snapshot applied on
 * this connection, no resync pending. The book status goes to *out when it exists. */
bool market__source_ready(const struct market__source *source, size_t symbol_index,
                          struct market_book_status *out /* out, may be NULL */);

/* ----- live_ws.c ----- */

struct market__ws;

struct market__ws_handlers {
    void (*opened)(void *ctx, size_t conn_index);
    void (*message)(void *ctx, size_t conn_index, const char *text, size_t text_len);
    void (*refused)(void *ctx, size_t conn_index, enum market_malformed kind);
    void (*closed)(void *ctx, size_t conn_index, const char *why);
    void *ctx;
};

TPW_MUST_CHECK enum tpw_err market__ws_create(size_t conns_count,
                                              const struct market__ws_handlers *handlers,
                                              struct market__ws **out);
void market__ws_destroy(struct market__ws *ws);
/* Starts opening `url` on connection `conn_index`; failure is reported as `closed`. */
void market__ws_connect(struct market__ws *ws, size_t conn_index, const char *url);
/* True while the connection is opening or open. */
bool market__ws_active(const struct market__ws *ws, size_t conn_index);
/* One service round: waits at most about MARKET_WATCH_POLL_US for activity. */
void market__ws_service(struct market__ws *ws);
/* True for ws:// and wss:// URLs with a host. */
bool market__ws_url_valid(const char *url);

/* ----- live_rest.c ----- */

struct market__rest;

/* `body` is NULL when the request failed, with `why`. */
typedef void market__rest_done_fn(void *ctx, size_t slot_index, const char *body, size_t body_len,
                                  const char *why);

TPW_MUST_CHECK enum tpw_err market__rest_create(size_t slots_count, int64_t timeout_us,
                                                struct market__rest **out);
void market__rest_destroy(struct market__rest *rest);
/* Starts a GET of `url` in `slot_index` (idle); TPW_ERR_NOMEM or TPW_ERR_MARKET_LIVE. */
TPW_MUST_CHECK enum tpw_err market__rest_get(struct market__rest *rest, size_t slot_index,
                                             const char *url);
/* Progresses every request without waiting, calling `done` for the finished ones. */
void market__rest_poll(struct market__rest *rest, market__rest_done_fn *done, void *ctx);
/* True for http:// and https:// URLs. */
bool market__rest_url_valid(const char *url);

#endif /* MARKET_LIVE_H */
