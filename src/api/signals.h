/*
 * The api module's signals (signals.c): live, unjournalled events on GET /v1/events.
 * Private to src/api; its own header so that its tests need not include api_int.h.
 */
#ifndef TPW_API_SIGNALS_H
#define TPW_API_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tpwallet/error.h"

struct api_events;

/* Live signals on GET /v1/events (an FX pair's status, a provider's health, an exposure
 * alert): not journalled, no SSE id, sent to the streams open when they happen. The ring
 * keeps the newest API_SIGNALS_RING for streams that are briefly behind. */
#define API_SIGNALS_RING 256u
struct api_signals;
/* NULL when out of memory. */
struct api_signals *api_signals_create(void);
void api_signals_destroy(struct api_signals *signals); /* NULL is ignored */
/* The event pump to wake after each publication (NULL: none, e.g. once it is freed). */
void api_signals_wake(struct api_signals *signals, struct api_events *events);
/* Publishes `kind` ("fx.status") with its JSON object `data` (taken, decref'd), for
 * every key or, when `staff_only`, for admin, operator and auditor keys. Any thread;
 * never waits for a stream. */
void api_signals_publish(struct api_signals *signals, const char *kind, json_t *data,
                         bool staff_only);
/* Alerts kept for GET /v1/alerts (the alert-like kinds: market.failover, market.alert,
 * fx.provider, fx.exposure_alert), apart from the stream ring so that busy signals (market quotes)
 * do not push them out. */
#define API_ALERTS_RING 64u
/* The newest `limit` alerts a caller may see (`staff`: not a user key), newest first, as
 * a JSON array of {"object":"alert","sequence","kind","severity","created","timestamp",
 * "data"}; *has_more when older visible ones are kept too. NULL when out of memory. */
json_t *api_signals_alerts(struct api_signals *signals, bool staff, size_t limit,
                           bool *has_more /* out */);
/* Signals published so far (the next one is number api_signals_published()). */
uint64_t api_signals_published(struct api_signals *signals);
/* Signals streams passed over because they fell more than the ring behind. */
uint64_t api_signals_skipped(struct api_signals *signals);
/* The next signal after *position visible to a stream (`staff`: not a user key), as a
 * malloc'd SSE text in *text (NULL when none), advancing *position past it. False only
 * when out of memory (the position then stays before that signal). */
TPW_MUST_CHECK bool api_signals_next(struct api_signals *signals, uint64_t *position, bool staff,
                                     char **text /* out */, size_t *length /* out */);
/* events.c: a signal was published; the pump resumes the streams waiting. */
void api_events_notify_signal(struct api_events *events);

#endif
