/*
 * GET /v1/events: the event pump and the streams reading it.
 *
 * Opening a ledger_events cursor replays the history up to its resume point, so the
 * server opens one, the pump's, at start-up (after 0-0: it replays everything once,
 * like any cursor, and its memory grows with the ledger as a read-only open's does).
 * The pump thread reads what the journal gains — woken by the committer after each
 * commit, or every API_EVENTS_POLL_MS — and appends each event to a bounded ring of
 * recent events, with the owners of the accounts involved so that filtering by what
 * the caller may see needs no ledger lookup. An event's SSE text
 * (`id: 17-3\nevent: transfer_applied\ndata: {…}\n\n`) is made once, by the first
 * stream that sends it, and kept in the ring for the others: on a busy ledger with few
 * streams most events are never sent from the ring at all (the text itself is cheap,
 * ~2 µs a transfer_applied event from the records' text writer; a jansson tree and
 * json_dumps took ~23 µs).
 *
 * A stream is a libmicrohttpd response whose content reader copies the events after
 * its position out of the ring. When there is nothing to send it suspends its
 * connection; the pump resumes it when events were published, when its keep-alive is
 * due, or when the server stops. A stream resuming from an id older than the ring's
 * oldest event reads through a private cursor (bounded in number: opening one costs a
 * replay) until the ring covers its position, then switches to the ring. A stream that
 * falls so far behind that the ring drops events it has not sent is ended; its client
 * resumes with Last-Event-ID.
 *
 * Locks: events->lock guards the ring and the stream list; libmicrohttpd's suspend and
 * resume are called without it. A suspended connection is never processed (nor freed)
 * until resumed, so the pump may resume it after letting the lock go.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

/* A recent event. Its SSE text is made when a stream first sends it (most events of a
 * busy ledger may never be read by anyone), then kept for every other stream. */
struct ring_entry {
    struct ledger_event event;
    struct ledger_asset asset; /* the account's or transfer's, as the pump's cursor knew it */
    bool asset_known;
    tpw_u128 owners[2];
    size_t owners_count; /* 0: visible to every caller (asset_defined) */
    char *text;          /* NULL until made; malloc'd */
    size_t length;
};

struct api_stream {
    struct api_events *events;
    struct MHD_Connection *connection;
    struct api_visibility view;
    /* The last event sent or passed over (not visible): the stream sends what follows. */
    struct ledger_event_id position;
    /* A catch-up stream's private cursor, until the ring covers `position`. */
    struct ledger_events *cursor;
    /* The rest of a text that did not fit in one read. */
    char *partial;
    size_t partial_length;
    size_t partial_sent;
    atomic_uint_fast64_t last_send_ns; /* read by the pump for keep-alives */
    uint64_t signals_position;         /* signals passed (api_signals_next) */
    bool preamble_sent;
    /* Under events->lock. */
    bool suspended;
    uint64_t seen_published;
    uint64_t seen_signals;       /* api_signals_published() when it suspended */
    uint64_t catch_up_published; /* `published` when the cursor was last read */
    struct api_stream *prev;
    struct api_stream *next;
};

struct api_events {
    struct api_server *server;
    pthread_t thread;
    bool thread_started;
    /* The pump's cursor and round buffer: its thread only (and the start). */
    struct ledger_events *cursor;
    struct ring_entry *round_entries;
    bool starting;                /* the start-up replay: owners are looked up at its end */
    struct MHD_Connection **wake; /* streams to resume, collected under the lock */
    pthread_mutex_t lock;
    pthread_cond_t wake_pump; /* a commit, or stop */
    pthread_cond_t advanced;  /* a round was published */
    bool dirty;
    bool stopping;
    enum tpw_err failed; /* the pump's cursor stopped: streams end, new ones get it */
    uint64_t sequence;   /* the last journal record the pump has published */
    uint64_t published;  /* events appended so far */
    struct ring_entry *ring;
    size_t capacity;
    size_t head;
    size_t count;
    size_t bytes;                 /* of the texts made */
    struct ledger_event_id floor; /* the newest id dropped from the ring; {0, 0}: none */
    struct api_stream *streams;
    size_t streams_count;
    size_t catchups_count;
    size_t streams_max;
    size_t catchups_max;
    uint64_t keepalive_ns;
};

/* ---- the ring ------------------------------------------------------------------- */

static struct ring_entry *ring_at(struct api_events *events, size_t index)
{
    TPW_ASSERT(index < events->count);
    return &events->ring[(events->head + index) % events->capacity];
}

/* The index of the first entry after `id` (count when none). */
static size_t ring_after(struct api_events *events, struct ledger_event_id id)
{
    size_t low = 0;
    size_t high = events->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (ledger_event_id_compare(ring_at(events, middle)->event.id, id) <= 0) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

static void ring_drop_oldest(struct api_events *events)
{
    struct ring_entry *oldest = ring_at(events, 0);
    events->floor = oldest->event.id;
    events->bytes -= oldest->length;
    free(oldest->text);
    oldest->text = NULL;
    events->head = (events->head + 1) % events->capacity;
    events->count--;
}

static void ring_push(struct api_events *events, const struct ring_entry *entry)
{
    TPW_ASSERT(entry->text == NULL);
    TPW_ASSERT(
        events->count == 0 ||
        ledger_event_id_compare(ring_at(events, events->count - 1)->event.id, entry->event.id) < 0);
    while (events->count == events->capacity ||
           (events->count > 0 && events->bytes > API_EVENTS_RING_BYTES_MAX)) {
        ring_drop_oldest(events);
    }
    events->ring[(events->head + events->count) % events->capacity] = *entry;
    events->count++;
    events->published++;
}

static bool entry_visible(const struct ring_entry *entry, const struct api_visibility *view)
{
    if (entry->owners_count == 0) {
        return true;
    }
    for (size_t i = 0; i < entry->owners_count; i++) {
        if (api_visibility_allows(view, entry->owners[i])) {
            return true;
        }
    }
    return false;
}

/* ---- events as SSE text ------------------------------------------------------------ */

/* The owners to filter on: the account's, or the two accounts' of a transfer (read
 * from the ledger; the caller holds the ledger lock). */
static void event_owners(const struct ledger *ledger, struct ring_entry *entry)
{
    const struct ledger_event *event = &entry->event;
    entry->owners_count = 0;
    if (event->kind == LEDGER_EVENT_ASSET_DEFINED) {
        return;
    }
    if (event->kind == LEDGER_EVENT_ACCOUNT_CREATED) {
        entry->owners[entry->owners_count++] = event->account.owner;
        return;
    }
    tpw_u128 ids[2] = {event->transfer.debit_account_id, event->transfer.credit_account_id};
    for (size_t i = 0; i < 2; i++) {
        struct ledger_account account;
        bool found = ledger_account_get(ledger, ids[i], &account) == TPW_OK;
        entry->owners[entry->owners_count++] = found ? account.owner : 0;
    }
}

static void owners_lookup(struct api_server *server, struct ring_entry *entries, size_t count)
{
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    for (size_t i = 0; i < count; i++) {
        event_owners(server->ledger, &entries[i]);
    }
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
}

/* The entry's asset from the cursor that read its event. */
static void entry_asset(const struct ledger_events *cursor, struct ring_entry *entry)
{
    const struct ledger_event *event = &entry->event;
    uint32_t number =
        event->kind == LEDGER_EVENT_ACCOUNT_CREATED ? event->account.asset : event->transfer.asset;
    entry->asset_known = event->kind != LEDGER_EVENT_ASSET_DEFINED &&
                         ledger_events_asset_get(cursor, number, &entry->asset) == TPW_OK;
}

/* `id: ` + event id + `\nevent: ` + kind + `\ndata: ` + JSON + `\n\n`. */
#define EVENT_SSE_TEXT_SIZE (LEDGER_EVENT_ID_TEXT_SIZE + 64 + API_EVENT_TEXT_SIZE)

/* Appends `length` bytes at *used (the caller sized the buffer). */
static void sse_put(char *text, size_t *used, const char *bytes, size_t length)
{
    TPW_ASSERT(*used + length < EVENT_SSE_TEXT_SIZE);
    memcpy(text + *used, bytes, length);
    *used += length;
}

/* `id: …\nevent: …\ndata: <api_event_format>\n\n`, malloc'd; NULL on OOM. Written
 * without jansson or printf: with a stream open, every transfer is rendered once. */
static char *event_text(const struct ring_entry *entry, size_t *length /* out */)
{
    const struct ledger_event *event = &entry->event;
    char id[LEDGER_EVENT_ID_TEXT_SIZE];
    size_t id_length = ledger_event_id_format(event->id, id);
    const char *kind = ledger_event_kind_name(event->kind);
    TPW_ASSERT(id_length > 0 && id_length < sizeof id);
    TPW_ASSERT(kind != NULL); /* the cursor reads only the kinds it knows */
    char sse[EVENT_SSE_TEXT_SIZE];
    size_t used = 0;
    sse_put(sse, &used, "id: ", 4);
    sse_put(sse, &used, id, id_length);
    sse_put(sse, &used, "\nevent: ", 8);
    sse_put(sse, &used, kind, strlen(kind));
    sse_put(sse, &used, "\ndata: ", 7);
    size_t data_length = api_event_format(event, entry->asset_known ? &entry->asset : NULL,
                                          API_JSON_DECIMALS, sse + used, sizeof sse - used);
    TPW_ASSERT(data_length > 0);
    used += data_length;
    sse_put(sse, &used, "\n\n", 2);
    char *text = malloc(used + 1);
    if (text != NULL) {
        memcpy(text, sse, used);
        text[used] = '\0';
        *length = used;
    }
    return text;
}

/* ---- the pump ---------------------------------------------------------------------- */

/* Reads up to a round of events and publishes them; *full when the round was full
 * (more may be waiting). */
static enum tpw_err pump_round(struct api_events *events, bool *full /* out */)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    size_t count = 0;
    enum tpw_err err = TPW_OK;
    while (count < API_EVENTS_ROUND_MAX) {
        struct ring_entry *entry = &events->round_entries[count];
        bool found = false;
        err = ledger_events_next(events->cursor, &entry->event, &found, &detail);
        if (err != TPW_OK || !found) {
            break;
        }
        entry_asset(events->cursor, entry);
        entry->owners_count = 0;
        entry->text = NULL;
        entry->length = 0;
        count++;
    }
    *full = count == API_EVENTS_ROUND_MAX;
    if (!events->starting) {
        owners_lookup(events->server, events->round_entries, count);
    }
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    for (size_t i = 0; i < count; i++) {
        ring_push(events, &events->round_entries[i]);
    }
    if (err == TPW_OK) {
        events->sequence = ledger_events_sequence(events->cursor);
    }
    TPW_ASSERT(pthread_cond_broadcast(&events->advanced) == 0);
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    return err;
}

/* The end of the start-up replay: the owners of what the ring kept (those of the
 * events it dropped were never needed). No stream exists yet. */
static void start_owners(struct api_events *events)
{
    struct api_server *server = events->server;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    for (size_t i = 0; i < events->count; i++) {
        event_owners(server->ledger, ring_at(events, i));
    }
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    events->starting = false;
}

/* Resumes the suspended streams that have something to do: events were published
 * since they suspended, their keep-alive is due, or the server stops. */
static void streams_wake(struct api_events *events, bool all)
{
    uint64_t now_ns = tpw_clock_monotonic_ns();
    uint64_t keepalive_ns = events->keepalive_ns;
    uint64_t signals = api_signals_published(events->server->signals);
    size_t count = 0;
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    for (struct api_stream *s = events->streams; s != NULL; s = s->next) {
        bool due = all || s->seen_published != events->published || s->seen_signals != signals ||
                   now_ns - atomic_load(&s->last_send_ns) >= keepalive_ns;
        if (s->suspended && due) {
            TPW_ASSERT(count < events->streams_max);
            s->suspended = false;
            events->wake[count++] = s->connection;
        }
    }
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    for (size_t i = 0; i < count; i++) {
        MHD_resume_connection(events->wake[i]);
    }
}

static void pump_wait(struct api_events *events)
{
    struct timespec until;
    TPW_ASSERT(clock_gettime(CLOCK_REALTIME, &until) == 0);
    until.tv_nsec += (long)API_EVENTS_POLL_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!events->dirty && !events->stopping) {
        int rc = pthread_cond_timedwait(&events->wake_pump, &events->lock, &until);
        TPW_ASSERT(rc == 0 || rc == ETIMEDOUT);
        if (rc == ETIMEDOUT) {
            break;
        }
    }
    events->dirty = false;
}

static void *pump_main(void *arg)
{
    struct api_events *events = arg;
    for (;;) {
        TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
        pump_wait(events);
        bool stop = events->stopping;
        TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
        if (stop) {
            return NULL;
        }
        bool full = true;
        enum tpw_err err = TPW_OK;
        while (full && err == TPW_OK) {
            err = pump_round(events, &full);
        }
        if (err != TPW_OK) {
            /* The cursor stopped (storage failure, retracted events): streams end. */
            TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
            events->failed = err;
            TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
            streams_wake(events, true);
            return NULL;
        }
        streams_wake(events, false);
    }
}

/* With no stream open nobody waits for the pump: it then reads on its poll, many
 * commits a round, instead of after each one (a stream opening wakes it itself:
 * pump_reaches). Under load from single-transfer requests that is hundreds of rounds a
 * second fewer, each taking the ledger lock the committer needs. */
void api_events_notify(struct api_events *events)
{
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    events->dirty = true;
    if (events->streams != NULL) {
        TPW_ASSERT(pthread_cond_signal(&events->wake_pump) == 0);
    }
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
}

/* Unlike a commit, a signal is rare and must reach waiting streams promptly. */
void api_events_notify_signal(struct api_events *events)
{
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    events->dirty = true;
    TPW_ASSERT(pthread_cond_signal(&events->wake_pump) == 0);
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
}

static unsigned option_or(unsigned value, unsigned fallback)
{
    return value != 0 ? value : fallback;
}

static enum tpw_err events_alloc(struct api_server *server, struct api_events **out)
{
    struct api_events *events = calloc(1, sizeof *events);
    if (events == NULL) {
        return TPW_ERR_NOMEM;
    }
    *out = events;
    events->server = server;
    events->starting = true;
    const struct api_server_options *options = &server->options;
    events->capacity = option_or(options->events_ring_capacity, API_EVENTS_RING_CAPACITY_DEFAULT);
    events->streams_max = option_or(options->events_streams_max, API_EVENTS_STREAMS_DEFAULT);
    events->catchups_max = option_or(options->events_catchups_max, API_EVENTS_CATCHUPS_DEFAULT);
    events->keepalive_ns =
        (uint64_t)option_or(options->events_keepalive_s, API_EVENTS_KEEPALIVE_DEFAULT_S) *
        1000000000u;
    TPW_ASSERT(pthread_mutex_init(&events->lock, NULL) == 0);
    TPW_ASSERT(pthread_cond_init(&events->wake_pump, NULL) == 0);
    TPW_ASSERT(pthread_cond_init(&events->advanced, NULL) == 0);
    events->ring = calloc(events->capacity, sizeof *events->ring);
    events->round_entries = calloc(API_EVENTS_ROUND_MAX, sizeof *events->round_entries);
    events->wake = calloc(events->streams_max, sizeof(struct MHD_Connection *));
    bool ok = events->ring != NULL && events->round_entries != NULL && events->wake != NULL;
    return ok ? TPW_OK : TPW_ERR_NOMEM;
}

enum tpw_err api_events_start(struct api_server *server, struct api_events **out,
                              struct tpw_error_detail *detail)
{
    *out = NULL;
    struct api_events *events = NULL;
    enum tpw_err err = events_alloc(server, &events);
    if (err == TPW_ERR_NOMEM) {
        (void)tpw_error_set(detail, err, 0, "out of memory for the event ring");
    }
    if (err == TPW_OK) {
        err = ledger_events_open(server->options.data_dir, NULL, &events->cursor, detail);
    }
    /* The start-up replay: the ring holds the newest events before anyone connects. */
    bool full = true;
    while (err == TPW_OK && full) {
        err = pump_round(events, &full);
    }
    if (err == TPW_OK) {
        start_owners(events);
    }
    if (err == TPW_OK && pthread_create(&events->thread, NULL, pump_main, events) != 0) {
        err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "cannot start the event pump");
    } else if (err == TPW_OK) {
        (void)pthread_setname_np(events->thread, "tpw-events"); /* for top, perf, gdb */
    }
    if (err != TPW_OK) {
        api_events_free(events);
        return err;
    }
    events->thread_started = true;
    *out = events;
    return TPW_OK;
}

void api_events_shutdown(struct api_events *events)
{
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    events->stopping = true;
    TPW_ASSERT(pthread_cond_signal(&events->wake_pump) == 0);
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    if (events->thread_started) {
        TPW_ASSERT(pthread_join(events->thread, NULL) == 0);
        events->thread_started = false;
    }
    streams_wake(events, true);
}

size_t api_events_streams_count(struct api_events *events)
{
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    size_t count = events->streams_count;
    TPW_ASSERT(count <= events->streams_max);
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    return count;
}

void api_events_free(struct api_events *events)
{
    if (events == NULL) {
        return;
    }
    TPW_ASSERT(!events->thread_started);
    TPW_ASSERT(events->streams == NULL);
    while (events->ring != NULL && events->count > 0) {
        ring_drop_oldest(events);
    }
    ledger_events_close(events->cursor);
    (void)pthread_cond_destroy(&events->advanced);
    (void)pthread_cond_destroy(&events->wake_pump);
    (void)pthread_mutex_destroy(&events->lock);
    free(events->wake);
    free(events->round_entries);
    free(events->ring);
    free(events);
}

/* ---- streams ------------------------------------------------------------------------ */

/* Lets the pump read further when `after` is past what it published (a record just
 * written); true when the pump has reached it. The caller holds the lock. */
static bool pump_reaches(struct api_events *events, uint64_t sequence)
{
    uint64_t deadline_ns =
        tpw_clock_monotonic_ns() + (uint64_t)API_EVENTS_FUTURE_WAIT_MS * 1000000u;
    while (events->sequence < sequence && events->failed == TPW_OK && !events->stopping &&
           tpw_clock_monotonic_ns() < deadline_ns) {
        events->dirty = true;
        TPW_ASSERT(pthread_cond_signal(&events->wake_pump) == 0);
        struct timespec until;
        TPW_ASSERT(clock_gettime(CLOCK_REALTIME, &until) == 0);
        until.tv_nsec += 10000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int rc = pthread_cond_timedwait(&events->advanced, &events->lock, &until);
        TPW_ASSERT(rc == 0 || rc == ETIMEDOUT);
    }
    return events->sequence >= sequence;
}

/* Admits a stream (the caller holds the lock): limits, the id's range, catch-up. */
static enum tpw_err stream_admit(struct api_events *events, struct ledger_event_id after,
                                 bool *catch_up /* out */, struct tpw_error_detail *detail)
{
    if (events->stopping) {
        return tpw_error_set(detail, TPW_ERR_API_SHUTTING_DOWN, 0, "the server is stopping");
    }
    if (events->failed != TPW_OK) {
        return tpw_error_set(detail, events->failed, 0, "the event pump stopped: %s",
                             tpw_strerror(events->failed));
    }
    if (events->streams_count >= events->streams_max) {
        return tpw_error_set(detail, TPW_ERR_API_STREAMS_FULL, 0,
                             "%zu event streams are open (the limit); retry later",
                             events->streams_count);
    }
    if (!pump_reaches(events, after.sequence)) {
        return tpw_error_set(detail, TPW_ERR_LEDGER_EVENT_ID_FUTURE, 0,
                             "event %llu-%llu is beyond the end of the journal",
                             (unsigned long long)after.sequence, (unsigned long long)after.index);
    }
    *catch_up = ledger_event_id_compare(after, events->floor) < 0;
    if (*catch_up && events->catchups_count >= events->catchups_max) {
        return tpw_error_set(detail, TPW_ERR_API_CATCHUPS_FULL, 0,
                             "%zu streams are catching up from old ids (the limit); retry later",
                             events->catchups_count);
    }
    events->streams_count++;
    events->catchups_count += *catch_up ? 1u : 0u;
    return TPW_OK;
}

static void stream_link(struct api_events *events, struct api_stream *stream)
{
    stream->next = events->streams;
    if (events->streams != NULL) {
        events->streams->prev = stream;
    }
    events->streams = stream;
}

static void stream_unlink(struct api_events *events, struct api_stream *stream)
{
    if (stream->prev != NULL) {
        stream->prev->next = stream->next;
    } else {
        events->streams = stream->next;
    }
    if (stream->next != NULL) {
        stream->next->prev = stream->prev;
    }
    TPW_ASSERT(events->streams_count > 0);
    events->streams_count--;
    if (stream->cursor != NULL) {
        TPW_ASSERT(events->catchups_count > 0);
        events->catchups_count--;
    }
}

enum tpw_err api_stream_open(struct api_events *events, struct MHD_Connection *connection,
                             struct ledger_event_id after, const struct api_visibility *view,
                             struct api_stream **out, struct tpw_error_detail *detail)
{
    *out = NULL;
    struct api_stream *stream = calloc(1, sizeof *stream);
    if (stream == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    stream->events = events;
    stream->connection = connection;
    stream->view = *view;
    stream->position = after;
    /* Signals are live: a stream gets those published from now on. */
    stream->signals_position = api_signals_published(events->server->signals);
    atomic_store(&stream->last_send_ns, tpw_clock_monotonic_ns());
    bool catch_up = false;
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    enum tpw_err err = stream_admit(events, after, &catch_up, detail);
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    if (err == TPW_OK && catch_up) {
        /* Costly (a replay up to `after`), hence the limit on catch-ups. */
        err = ledger_events_open(events->server->options.data_dir, &after, &stream->cursor, detail);
        if (err != TPW_OK) {
            TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
            events->streams_count--;
            events->catchups_count--;
            TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
        }
    }
    if (err != TPW_OK) {
        free(stream);
        return err;
    }
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    stream_link(events, stream);
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    *out = stream;
    return TPW_OK;
}

/* Copies what remains of the partial text. */
static size_t partial_copy(struct api_stream *stream, char *buf, size_t max)
{
    if (stream->partial == NULL) {
        return 0;
    }
    size_t size = stream->partial_length - stream->partial_sent;
    size = size < max ? size : max;
    memcpy(buf, stream->partial + stream->partial_sent, size);
    stream->partial_sent += size;
    if (stream->partial_sent == stream->partial_length) {
        free(stream->partial);
        stream->partial = NULL;
    }
    return size;
}

/* Appends `text` to the read: whole when it fits, else what fits now and the rest
 * later (a copy). False on OOM. */
static bool deliver(struct api_stream *stream, const char *text, size_t length, char *buf,
                    size_t max, size_t *used)
{
    TPW_ASSERT(stream->partial == NULL && *used <= max);
    if (length <= max - *used) {
        memcpy(buf + *used, text, length);
        *used += length;
        return true;
    }
    stream->partial = malloc(length);
    if (stream->partial == NULL) {
        return false;
    }
    memcpy(stream->partial, text, length);
    stream->partial_length = length;
    stream->partial_sent = 0;
    *used += partial_copy(stream, buf + *used, max - *used);
    return true;
}

/* Whether the ring now holds everything after the stream's position; then the stream
 * leaves its cursor (closed by the caller). */
static bool catch_up_done(struct api_stream *stream)
{
    struct api_events *events = stream->events;
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    bool done = ledger_event_id_compare(stream->position, events->floor) >= 0;
    /* Anything published after this may be past the cursor's end: it wakes the stream. */
    stream->catch_up_published = events->published;
    if (done) {
        TPW_ASSERT(events->catchups_count > 0);
        events->catchups_count--;
    }
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    return done;
}

/* Reads the catch-up cursor into the read; *more when it stopped at its bound with
 * events left. */
static enum tpw_err catch_up_fill(struct api_stream *stream, char *buf, size_t max, size_t *used,
                                  bool *more /* out */)
{
    struct api_server *server = stream->events->server;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    *more = false;
    for (size_t n = 0; *used < max && stream->partial == NULL; n++) {
        if (catch_up_done(stream)) {
            ledger_events_close(stream->cursor);
            stream->cursor = NULL;
            return TPW_OK;
        }
        if (n == API_EVENTS_CATCHUP_READ_MAX) {
            *more = true;
            return TPW_OK;
        }
        struct ring_entry entry;
        bool found = false;
        enum tpw_err err = ledger_events_next(stream->cursor, &entry.event, &found, &detail);
        if (err != TPW_OK || !found) {
            return err;
        }
        stream->position = entry.event.id;
        owners_lookup(server, &entry, 1);
        if (!entry_visible(&entry, &stream->view)) {
            continue;
        }
        entry_asset(stream->cursor, &entry);
        size_t length = 0;
        char *text = event_text(&entry, &length);
        bool ok = text != NULL && deliver(stream, text, length, buf, max, used);
        free(text);
        if (!ok) {
            return TPW_ERR_NOMEM;
        }
    }
    return TPW_OK;
}

enum fill { FILL_OK, FILL_BEHIND, FILL_NOMEM };

/* Makes the entry's text if no stream did yet (the caller holds the lock); false on
 * OOM. */
static bool entry_text(struct api_events *events, struct ring_entry *entry)
{
    if (entry->text == NULL) {
        entry->text = event_text(entry, &entry->length);
        events->bytes += entry->text != NULL ? entry->length : 0;
    }
    return entry->text != NULL;
}

/* Copies the visible ring events after the stream's position (the caller holds the
 * lock). FILL_BEHIND when the ring dropped events the stream has not sent. */
static enum fill ring_fill(struct api_events *events, struct api_stream *stream, char *buf,
                           size_t max, size_t *used)
{
    if (ledger_event_id_compare(stream->position, events->floor) < 0) {
        return FILL_BEHIND;
    }
    for (size_t i = ring_after(events, stream->position);
         i < events->count && *used < max && stream->partial == NULL; i++) {
        struct ring_entry *entry = ring_at(events, i);
        if (entry_visible(entry, &stream->view) &&
            (!entry_text(events, entry) ||
             !deliver(stream, entry->text, entry->length, buf, max, used))) {
            return FILL_NOMEM;
        }
        stream->position = entry->event.id;
    }
    return FILL_OK;
}

/* A stream the ring left behind (a slow reader) catches up through a cursor of its own
 * when a catch-up slot is free; otherwise it ends and its client resumes with
 * Last-Event-ID. Returns 0 (read again at once) or the end marker. */
static ssize_t stream_fall_back(struct api_stream *stream)
{
    struct api_events *events = stream->events;
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    bool slot = events->catchups_count < events->catchups_max;
    events->catchups_count += slot ? 1u : 0u;
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    if (!slot) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct ledger_events *cursor = NULL;
    enum tpw_err err =
        ledger_events_open(events->server->options.data_dir, &stream->position, &cursor, &detail);
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    if (err == TPW_OK) {
        stream->cursor = cursor;
    } else {
        events->catchups_count--;
    }
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    return err == TPW_OK ? 0 : MHD_CONTENT_READER_END_WITH_ERROR;
}

/* The text the stream sends first (before any event): the client's retry delay. */
static bool preamble(struct api_stream *stream, char *buf, size_t max, size_t *used)
{
    if (stream->preamble_sent) {
        return true;
    }
    stream->preamble_sent = true;
    return deliver(stream, API_EVENTS_PREAMBLE, sizeof API_EVENTS_PREAMBLE - 1, buf, max, used);
}

/* Copies the signals published since the stream's last (the caller holds the lock);
 * false on OOM. They go before ledger events: a status change is news now. */
static bool signals_fill(struct api_stream *stream, char *buf, size_t max, size_t *used)
{
    struct api_signals *signals = stream->events->server->signals;
    while (*used < max && stream->partial == NULL) {
        char *text = NULL;
        size_t length = 0;
        if (!api_signals_next(signals, &stream->signals_position, stream->view.all, &text,
                              &length)) {
            return false;
        }
        if (text == NULL) {
            return true;
        }
        bool ok = deliver(stream, text, length, buf, max, used);
        free(text);
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Under the lock, after the catch-up: ring events, a keep-alive, or suspend. Returns
 * the read's size, or a libmicrohttpd end marker. */
static ssize_t stream_ring_read(struct api_stream *stream, char *buf, size_t max, size_t used)
{
    struct api_events *events = stream->events;
    uint64_t now_ns = tpw_clock_monotonic_ns();
    static const char keepalive[] = ": keep-alive\n\n";
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    bool end = events->stopping || events->failed != TPW_OK;
    enum fill fill = FILL_OK;
    uint64_t signals_seen = api_signals_published(events->server->signals);
    if (!end && stream->partial == NULL && !signals_fill(stream, buf, max, &used)) {
        fill = FILL_NOMEM;
    }
    if (!end && fill == FILL_OK && stream->cursor == NULL && stream->partial == NULL) {
        fill = ring_fill(events, stream, buf, max, &used);
    }
    bool ok = fill == FILL_OK;
    if (!end && ok && used == 0 &&
        now_ns - atomic_load(&stream->last_send_ns) >= events->keepalive_ns) {
        ok = deliver(stream, keepalive, sizeof keepalive - 1, buf, max, &used);
    }
    bool suspend = !end && ok && used == 0;
    if (suspend) {
        stream->suspended = true;
        stream->seen_published =
            stream->cursor != NULL ? stream->catch_up_published : events->published;
        stream->seen_signals = signals_seen; /* read before filling: none is missed */
    }
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    if (used > 0) {
        atomic_store(&stream->last_send_ns, now_ns);
        return (ssize_t)used;
    }
    if (end) {
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (fill == FILL_BEHIND) {
        return stream_fall_back(stream);
    }
    if (!ok) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    /* Resumed by the pump; a resume that came first cancels this suspend. */
    MHD_suspend_connection(stream->connection);
    return 0;
}

/* The server stops or the pump failed: the stream sends nothing more. */
static bool stream_ending(struct api_stream *stream)
{
    struct api_events *events = stream->events;
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    bool end = events->stopping || events->failed != TPW_OK;
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    return end;
}

ssize_t api_stream_read(void *cls, uint64_t position, char *buf, size_t max)
{
    (void)position;
    struct api_stream *stream = cls;
    if (stream_ending(stream)) {
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t used = partial_copy(stream, buf, max);
    if (!preamble(stream, buf, max, &used)) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (stream->cursor != NULL && used < max && stream->partial == NULL) {
        bool more = false;
        enum tpw_err err = catch_up_fill(stream, buf, max, &used, &more);
        if (err != TPW_OK) {
            /* The client resumes from the last id it got. */
            return used > 0 ? (ssize_t)used : MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (used > 0 || more) {
            atomic_store(&stream->last_send_ns, tpw_clock_monotonic_ns());
            return (ssize_t)used; /* 0 with more: called again at once, not a wait */
        }
    }
    if (stream->partial != NULL) {
        return (ssize_t)used;
    }
    return stream_ring_read(stream, buf, max, used);
}

void api_stream_close(void *cls)
{
    struct api_stream *stream = cls;
    if (stream == NULL) {
        return;
    }
    struct api_events *events = stream->events;
    TPW_ASSERT(pthread_mutex_lock(&events->lock) == 0);
    stream_unlink(events, stream);
    TPW_ASSERT(pthread_mutex_unlock(&events->lock) == 0);
    ledger_events_close(stream->cursor);
    free(stream->partial);
    free(stream);
}
