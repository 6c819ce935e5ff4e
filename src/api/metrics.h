/*
 * The server's metrics (metrics.c): counters updated on the hot path with relaxed
 * atomics (no lock, no allocation) and the Prometheus text exposition made from them
 * on a scrape. Every value is an integer (durations and their sums in nanoseconds);
 * seconds are printed as exact decimals. A header of its own, beside api_int.h, so
 * the unit tests can reach it without libmicrohttpd.
 */
#ifndef TPW_API_METRICS_H
#define TPW_API_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/error.h"
#include "tpwallet/fx.h"

/* The routes of router.c's table (checked there); index API_ROUTES_COUNT is "unknown":
 * no route matched (404 route_unknown, 405). */
#define API_ROUTES_COUNT 33u
/* Statuses kept apart per route. The server sends about 18 distinct ones (the error
 * table's, 201, and 0 for a connection that ended before any reply), so a route never
 * runs out; one that did would count in tpwallet_http_requests_unrecorded_total. */
#define API_METRICS_STATUSES_MAX 24u
/* Request and commit durations: 50 µs … 10 s (metrics.c has the bounds). */
#define API_METRICS_DURATION_BOUNDS 17u
/* Transfers per ledger batch: 1, 2, 4 … 8192 (LEDGER_BATCH_MAX is 8189). */
#define API_METRICS_BATCH_BOUNDS 14u
#define API_METRICS_BOUNDS_MAX API_METRICS_DURATION_BOUNDS
/* A scrape's text stays below this (the worst case, every route with every status kept
 * and 4096 FX pairs, is about 2.5 MiB; the bound also covers the room reserved per line). */
#define API_METRICS_TEXT_MAX_BYTES (16u << 20)
/* Seconds as text: 20 integer digits, the point, 9 fraction digits, the NUL. */
#define API_METRICS_SECONDS_TEXT_SIZE 32u

/* One histogram: counts per bucket, not cumulative (counts[i] holds the observations
 * in (bound[i-1], bound[i]], the last one those above every bound), so a scrape that
 * sums them always finds `+Inf` equal to `_count`. */
struct api_histogram {
    atomic_uint_fast64_t counts[API_METRICS_BOUNDS_MAX + 1];
    atomic_uint_fast64_t sum; /* of the observed values (ns for durations) */
};

/* One (route, status) series of the request durations. */
struct api_http_series {
    struct api_histogram durations_ns;
    /* The status + 1 once the slot is taken (0: free); set once, never changed. */
    atomic_uint_fast64_t status_key;
};

struct api_metrics {
    struct api_http_series http[API_ROUTES_COUNT + 1][API_METRICS_STATUSES_MAX];
    atomic_uint_fast64_t http_unrecorded;
    atomic_uint_fast64_t rate_limited;
    struct api_histogram batch_transfers;
    struct api_histogram commit_ns;
    uint64_t start_unix_s; /* process_start_time_seconds */
};

/* What a scrape reads from the rest of the server at that moment. */
struct api_metrics_gauges {
    uint64_t requests_in_flight;
    uint64_t journal_bytes;
    uint64_t accounts;
    uint64_t transfers;
    uint64_t event_streams;
    uint64_t idempotency_entries;
    uint64_t request_timeouts; /* a counter kept by deadline.c */
    /* FX (docs/fx.md): the quoted pairs and the providers, copied once per scrape. */
    const struct fx_rate *fx_pairs;
    size_t fx_pairs_count; /* ≤ FX_PAIRS_MAX */
    const struct fx_provider_stats *fx_providers;
    size_t fx_providers_count; /* ≤ FX_PROVIDERS_MAX */
    uint64_t fx_now_ns;        /* the aggregator's clock, for quote ages */
    uint64_t fx_status_changes;
    uint64_t fx_exposure_alerts;
};

/* Zeroes every counter (`metrics` may be uninitialised memory). */
void api_metrics_init(struct api_metrics *metrics, uint64_t start_unix_s);
/* A request ended (libmicrohttpd's completion): `route_index` ≤ API_ROUTES_COUNT,
 * `status` the one sent (0: none). Any thread. */
void api_metrics_http_observe(struct api_metrics *metrics, size_t route_index, unsigned status,
                              uint64_t duration_ns);
/* The committer journaled a batch of `transfers_count` (≥ 1) transfers in `duration_ns`. */
void api_metrics_commit_observe(struct api_metrics *metrics, size_t transfers_count,
                                uint64_t duration_ns);
/* A request was refused with 429. */
void api_metrics_rate_limited(struct api_metrics *metrics);

/*
 * The exposition text (version 0.0.4) of every family, with `gauges`. *text is
 * malloc'd (the caller frees it) and NUL-terminated; *length excludes the NUL.
 * TPW_ERR_NOMEM when memory (or API_METRICS_TEXT_MAX_BYTES) runs out.
 */
TPW_MUST_CHECK enum tpw_err api_metrics_render(const struct api_metrics *metrics,
                                               const struct api_metrics_gauges *gauges,
                                               char **text /* out */, size_t *length /* out */);

/* `ns` as seconds in the shortest exact decimal ("0", "0.00005", "1.5", "10"). Returns
 * the length. */
size_t api_metrics_seconds_format(uint64_t ns, char out[API_METRICS_SECONDS_TEXT_SIZE] /* out */);

/* The route's name for the `route` label; index API_ROUTES_COUNT is "unknown" (router.c). */
const char *api_route_name_at(size_t route_index);

#endif /* TPW_API_METRICS_H */
