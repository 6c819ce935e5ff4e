/*
 * Signals: what the server notices about its own state — an FX pair going stale, a
 * provider down, an exposure limit crossed — sent live on GET /v1/events beside the
 * ledger's events (docs/api.md, "Signals").
 *
 * They are not in the journal on purpose: they are derived from prices and clocks, not
 * commands, and replaying one from a restart would report a state that no longer holds
 * (the current state is one GET away: /v1/rates, /v1/exposure). So a signal has no SSE
 * `id:` — an EventSource keeps its last ledger event id across them and resumes the
 * ledger exactly — and a stream gets the signals published while it is open.
 *
 * A bounded ring of texts, made once at publication; a stream keeps the sequence of the
 * last signal it passed, and one that falls more than the ring behind skips to the
 * oldest kept (counted). Publishing never waits for a stream.
 *
 * The alert-like kinds (a market's failover, an FX provider's health, an exposure
 * limit) are also kept in a ring of their own for GET /v1/alerts: the stream ring turns
 * over in seconds once market quotes flow, and an alert must still be listed minutes
 * later. Which kinds are alerts, and how severe each is, is decided here, in one table.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "log.h"
#include "tpw_assert.h"

#include "banned.h"

struct signal_entry {
    char *text; /* `event: KIND\ndata: JSON\n\n`, malloc'd */
    size_t length;
    bool staff_only;
};

/* One alert: its signal's JSON data as published, and when. */
struct alert_entry {
    char *data; /* the JSON object's compact text, malloc'd */
    const char *kind;
    const char *severity;
    uint64_t sequence; /* the signal's number (api_signals_published() before it) */
    uint64_t time_ns;  /* wall clock at publication */
    bool staff_only;
};

struct api_signals {
    pthread_mutex_t lock;
    struct signal_entry ring[API_SIGNALS_RING];
    struct alert_entry alerts[API_ALERTS_RING];
    uint64_t alerts_count; /* alerts so far; the newest is alerts[(count - 1) % ring] */
    uint64_t published;    /* signals so far; the newest is number `published` */
    atomic_uint_fast64_t published_seen; /* the same, read without the lock */
    atomic_uint_fast64_t skipped;        /* passed over by streams that fell behind */
    struct api_events *wake;             /* told after each publication; may be NULL */
};

struct api_signals *api_signals_create(void)
{
    struct api_signals *signals = calloc(1, sizeof *signals);
    if (signals != NULL) {
        TPW_ASSERT(pthread_mutex_init(&signals->lock, NULL) == 0);
    }
    return signals;
}

void api_signals_destroy(struct api_signals *signals)
{
    if (signals == NULL) {
        return;
    }
    for (size_t i = 0; i < API_SIGNALS_RING; i++) {
        free(signals->ring[i].text);
    }
    for (size_t i = 0; i < API_ALERTS_RING; i++) {
        free(signals->alerts[i].data);
    }
    (void)pthread_mutex_destroy(&signals->lock);
    free(signals);
}

void api_signals_wake(struct api_signals *signals, struct api_events *events)
{
    TPW_ASSERT(pthread_mutex_lock(&signals->lock) == 0);
    signals->wake = events;
    TPW_ASSERT(pthread_mutex_unlock(&signals->lock) == 0);
}

/* `event: KIND\ndata: JSON\n\n`; NULL when out of memory. */
static char *signal_text(const char *kind, const char *json, size_t *length /* out */)
{
    size_t size = strlen(kind) + strlen(json) + 20;
    char *text = malloc(size);
    if (text != NULL) {
        int written = snprintf(text, size, "event: %s\ndata: %s\n\n", kind, json);
        TPW_ASSERT(written > 0 && (size_t)written < size);
        *length = (size_t)written;
    }
    return text;
}

/* The alert kinds and their severity: a degradation warns, its end informs. NULL for a
 * signal that is no alert (statuses of pairs, market quotes). */
static const char *alert_severity(const char *kind, const json_t *data)
{
    if (strcmp(kind, "market.failover") == 0) {
        const char *to = json_string_value(json_object_get(data, "status_to"));
        return to != NULL && strcmp(to, "live") == 0 ? "info" : "warning";
    }
    if (strcmp(kind, "fx.provider") == 0) {
        return json_is_true(json_object_get(data, "up")) ? "info" : "warning";
    }
    if (strcmp(kind, "market.alert") == 0) { /* the rule's, as a static string */
        const char *severity = json_string_value(json_object_get(data, "severity"));
        static const char *const severities[] = {"info", "warning", "critical"};
        for (size_t i = 0; severity != NULL && i < 3; i++) {
            if (strcmp(severity, severities[i]) == 0) {
                return severities[i];
            }
        }
        return "warning";
    }
    return strcmp(kind, "fx.exposure_alert") == 0 ? "warning" : NULL;
}

/* Keeps an alert (the caller holds the lock); takes `json`. The kind is the table's. */
static void alert_keep(struct api_signals *signals, const char *kind, const char *severity,
                       char *json, bool staff_only)
{
    struct tpw_clock wall = tpw_clock_system();
    struct alert_entry *entry = &signals->alerts[signals->alerts_count % API_ALERTS_RING];
    free(entry->data);
    *entry = (struct alert_entry){.data = json,
                                  .kind = kind,
                                  .severity = severity,
                                  .sequence = signals->published,
                                  .time_ns = tpw_clock_now_ns(&wall),
                                  .staff_only = staff_only};
    signals->alerts_count++;
}

void api_signals_publish(struct api_signals *signals, const char *kind, json_t *data,
                         bool staff_only)
{
    size_t length = 0;
    char *json = data != NULL ? json_dumps(data, JSON_COMPACT) : NULL;
    char *text = json != NULL ? signal_text(kind, json, &length) : NULL;
    const char *severity = data != NULL ? alert_severity(kind, data) : NULL;
    json_decref(data);
    if (text == NULL) {
        free(json);
        TPW_LOGF(TPW_LOG_WARN, "api.signal_dropped", TPW_LOG_STR("kind", kind),
                 TPW_LOG_STR("error", "out of memory"));
        return;
    }
    TPW_ASSERT(pthread_mutex_lock(&signals->lock) == 0);
    if (severity != NULL) {
        alert_keep(signals, kind, severity, json, staff_only);
        json = NULL;
    }
    struct signal_entry *entry = &signals->ring[signals->published % API_SIGNALS_RING];
    free(entry->text);
    *entry = (struct signal_entry){.text = text, .length = length, .staff_only = staff_only};
    signals->published++;
    atomic_store(&signals->published_seen, signals->published);
    struct api_events *events = signals->wake;
    TPW_ASSERT(pthread_mutex_unlock(&signals->lock) == 0);
    free(json);
    if (events != NULL) {
        api_events_notify_signal(events);
    }
}

/* {"object":"alert",…} for one kept alert; NULL when out of memory. */
static json_t *alert_json(const struct alert_entry *entry)
{
    char created[TPW_CLOCK_UTC_TEXT_SIZE];
    (void)tpw_clock_format_utc_ms(entry->time_ns / 1000000u, created);
    json_t *data = json_loads(entry->data, 0, NULL);
    return data == NULL ? NULL
                        : json_pack("{s:s,s:I,s:s,s:s,s:s,s:I,s:o}", "object", "alert", "sequence",
                                    (json_int_t)entry->sequence, "kind", entry->kind, "severity",
                                    entry->severity, "created", created, "timestamp",
                                    (json_int_t)entry->time_ns, "data", data);
}

json_t *api_signals_alerts(struct api_signals *signals, bool staff, size_t limit, bool *has_more)
{
    json_t *list = json_array();
    *has_more = false;
    TPW_ASSERT(pthread_mutex_lock(&signals->lock) == 0);
    uint64_t kept =
        signals->alerts_count < API_ALERTS_RING ? signals->alerts_count : API_ALERTS_RING;
    for (uint64_t back = 1; list != NULL && back <= kept; back++) {
        const struct alert_entry *entry =
            &signals->alerts[(signals->alerts_count - back) % API_ALERTS_RING];
        if (entry->staff_only && !staff) {
            continue;
        }
        if (json_array_size(list) == limit) {
            *has_more = true;
            break;
        }
        if (json_array_append_new(list, alert_json(entry)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    TPW_ASSERT(pthread_mutex_unlock(&signals->lock) == 0);
    return list;
}

uint64_t api_signals_published(struct api_signals *signals)
{
    return atomic_load(&signals->published_seen);
}

uint64_t api_signals_skipped(struct api_signals *signals)
{
    return atomic_load(&signals->skipped);
}

bool api_signals_next(struct api_signals *signals, uint64_t *position, bool staff, char **text,
                      size_t *length)
{
    *text = NULL;
    bool ok = true;
    TPW_ASSERT(pthread_mutex_lock(&signals->lock) == 0);
    TPW_ASSERT(*position <= signals->published);
    uint64_t oldest =
        signals->published > API_SIGNALS_RING ? signals->published - API_SIGNALS_RING : 0;
    if (*position < oldest) {
        atomic_fetch_add(&signals->skipped, oldest - *position);
        *position = oldest;
    }
    while (ok && *text == NULL && *position < signals->published) {
        const struct signal_entry *entry = &signals->ring[*position % API_SIGNALS_RING];
        if (entry->staff_only && !staff) {
            (*position)++;
            continue;
        }
        *text = malloc(entry->length);
        ok = *text != NULL; /* on failure the position stays before this signal */
        if (ok) {
            memcpy(*text, entry->text, entry->length);
            *length = entry->length;
            (*position)++;
        }
    }
    TPW_ASSERT(pthread_mutex_unlock(&signals->lock) == 0);
    return ok;
}
