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

struct api_signals {
    pthread_mutex_t lock;
    struct signal_entry ring[API_SIGNALS_RING];
    uint64_t published;                  /* signals so far; the newest is number `published` */
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
static char *signal_text(const char *kind, const json_t *data, size_t *length /* out */)
{
    char *json = json_dumps(data, JSON_COMPACT);
    size_t size = json != NULL ? strlen(kind) + strlen(json) + 20 : 0;
    char *text = size > 0 ? malloc(size) : NULL;
    if (text != NULL) {
        int written = snprintf(text, size, "event: %s\ndata: %s\n\n", kind, json);
        TPW_ASSERT(written > 0 && (size_t)written < size);
        *length = (size_t)written;
    }
    free(json);
    return text;
}

void api_signals_publish(struct api_signals *signals, const char *kind, json_t *data,
                         bool staff_only)
{
    size_t length = 0;
    char *text = data != NULL ? signal_text(kind, data, &length) : NULL;
    json_decref(data);
    if (text == NULL) {
        TPW_LOGF(TPW_LOG_WARN, "api.signal_dropped", TPW_LOG_STR("kind", kind),
                 TPW_LOG_STR("error", "out of memory"));
        return;
    }
    TPW_ASSERT(pthread_mutex_lock(&signals->lock) == 0);
    struct signal_entry *entry = &signals->ring[signals->published % API_SIGNALS_RING];
    free(entry->text);
    *entry = (struct signal_entry){.text = text, .length = length, .staff_only = staff_only};
    signals->published++;
    atomic_store(&signals->published_seen, signals->published);
    struct api_events *events = signals->wake;
    TPW_ASSERT(pthread_mutex_unlock(&signals->lock) == 0);
    if (events != NULL) {
        api_events_notify_signal(events);
    }
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
