/*
 * The server's metrics: what the request threads and the committer count, and the
 * Prometheus text exposition (format 0.0.4) a scrape of GET /metrics reads.
 *
 * Counting costs two relaxed atomic adds per histogram and no lock: HTTP worker threads
 * and one committer share these cache lines, which is little next to a request. A
 * histogram keeps per-bucket counts, not cumulative ones, so an observation adds to one
 * bucket (and the sum) and a scrape that sums them always gets a `+Inf` equal to
 * `_count`, even while writers run. A (route, status) series takes a free slot of its route the
 * first time the status is seen (one compare-and-swap, never undone).
 *
 * Integers throughout: durations and their sums are nanoseconds, printed as exact
 * decimal seconds ("0.00025"), the way bucket bounds must read on every scrape.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "tpwallet/ledger.h"
#include "tpw_assert.h"

#include "banned.h"

#define NS_PER_S UINT64_C(1000000000)
/* The text grows from this size, doubling. */
#define TEXT_INITIAL_BYTES (16u << 10)
/* Room reserved for each piece written: the longest, a family's HELP and TYPE lines,
 * is under 300 bytes; a sample line (name, labels, a 20-digit value) about 130. */
#define TEXT_LINE_MAX_BYTES 512u

/* 50 µs to 10 s: a read answers in tens of microseconds, a write waits for an
 * fdatasync (hundreds of µs to ms), an overloaded disk takes seconds. */
static const uint64_t duration_bounds_ns[API_METRICS_DURATION_BOUNDS] = {
    50000,     100000,     250000,     500000,     1000000,     2500000,
    5000000,   10000000,   25000000,   50000000,   100000000,   250000000,
    500000000, 1000000000, 2500000000, 5000000000, 10000000000,
};
static const uint64_t batch_bounds[API_METRICS_BATCH_BOUNDS] = {
    1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
};

static_assert(LEDGER_BATCH_MAX <= 8192, "the batch buckets end at 8192");
static_assert(API_METRICS_BATCH_BOUNDS <= API_METRICS_BOUNDS_MAX, "a histogram holds its bounds");
/* Lines per FX pair (age, status) and per provider (up, two quote counts, failures). */
#define FX_PAIR_LINES 2u
#define FX_PROVIDER_LINES 4u
static_assert((size_t)(API_ROUTES_COUNT + 1) * API_METRICS_STATUSES_MAX *
                          (API_METRICS_BOUNDS_MAX + 4) * TEXT_LINE_MAX_BYTES +
                      ((size_t)FX_PAIRS_MAX * FX_PAIR_LINES +
                       (size_t)FX_PROVIDERS_MAX * FX_PROVIDER_LINES) *
                          TEXT_LINE_MAX_BYTES +
                      TEXT_INITIAL_BYTES <=
                  API_METRICS_TEXT_MAX_BYTES,
              "every series fits the text's bound");

void api_metrics_init(struct api_metrics *metrics, uint64_t start_unix_s)
{
    memset(metrics, 0, sizeof *metrics);
    metrics->start_unix_s = start_unix_s;
}

/* The bucket of `value`: the first bound it does not exceed (Prometheus' `le`). */
static size_t bucket_of(const uint64_t *bounds, size_t bounds_count, uint64_t value)
{
    size_t index = 0;
    while (index < bounds_count && value > bounds[index]) {
        index++;
    }
    return index;
}

static void histogram_observe(struct api_histogram *histogram, const uint64_t *bounds,
                              size_t bounds_count, uint64_t value)
{
    size_t index = bucket_of(bounds, bounds_count, value);
    TPW_ASSERT(index <= bounds_count);
    atomic_fetch_add_explicit(&histogram->counts[index], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&histogram->sum, value, memory_order_relaxed);
}

/* The route's slot for `status`, taken when free; NULL when every slot holds another. */
static struct api_http_series *http_series(struct api_metrics *metrics, size_t route_index,
                                           unsigned status)
{
    uint_fast64_t key = (uint_fast64_t)status + 1;
    struct api_http_series *slots = metrics->http[route_index];
    for (size_t i = 0; i < API_METRICS_STATUSES_MAX; i++) {
        uint_fast64_t seen = atomic_load_explicit(&slots[i].status_key, memory_order_relaxed);
        if (seen == 0) {
            /* Free: take it, or learn which status another thread just put there. */
            (void)atomic_compare_exchange_strong_explicit(
                &slots[i].status_key, &seen, key, memory_order_relaxed, memory_order_relaxed);
            seen = seen == 0 ? key : seen;
        }
        if (seen == key) {
            return &slots[i];
        }
    }
    return NULL;
}

void api_metrics_http_observe(struct api_metrics *metrics, size_t route_index, unsigned status,
                              uint64_t duration_ns)
{
    TPW_ASSERT(route_index <= API_ROUTES_COUNT);
    struct api_http_series *series = http_series(metrics, route_index, status);
    if (series == NULL) {
        atomic_fetch_add_explicit(&metrics->http_unrecorded, 1, memory_order_relaxed);
        return;
    }
    histogram_observe(&series->durations_ns, duration_bounds_ns, API_METRICS_DURATION_BOUNDS,
                      duration_ns);
}

void api_metrics_commit_observe(struct api_metrics *metrics, size_t transfers_count,
                                uint64_t duration_ns)
{
    TPW_ASSERT(transfers_count >= 1);
    TPW_ASSERT(transfers_count <= LEDGER_BATCH_MAX);
    histogram_observe(&metrics->batch_transfers, batch_bounds, API_METRICS_BATCH_BOUNDS,
                      transfers_count);
    histogram_observe(&metrics->commit_ns, duration_bounds_ns, API_METRICS_DURATION_BOUNDS,
                      duration_ns);
}

void api_metrics_rate_limited(struct api_metrics *metrics)
{
    atomic_fetch_add_explicit(&metrics->rate_limited, 1, memory_order_relaxed);
}

size_t api_metrics_seconds_format(uint64_t ns, char out[API_METRICS_SECONDS_TEXT_SIZE])
{
    int length =
        snprintf(out, API_METRICS_SECONDS_TEXT_SIZE, "%llu", (unsigned long long)(ns / NS_PER_S));
    TPW_ASSERT(length > 0 && length <= 20);
    uint64_t fraction = ns % NS_PER_S;
    if (fraction == 0) {
        return (size_t)length;
    }
    /* Nine digits, then the trailing zeros dropped: exact and as short as can be. */
    int digits = 9;
    while (fraction % 10 == 0) {
        fraction /= 10;
        digits--;
    }
    int added = snprintf(out + length, API_METRICS_SECONDS_TEXT_SIZE - (size_t)length, ".%0*llu",
                         digits, (unsigned long long)fraction);
    TPW_ASSERT(added == digits + 1);
    return (size_t)length + (size_t)added;
}

/* ---- the text ------------------------------------------------------------------- */

/* A bounded, growable text; a failure sticks, so the writers read as straight lines. */
struct text {
    char *data;
    size_t length;
    size_t capacity;
    bool failed;
};

static bool text_reserve(struct text *text, size_t more)
{
    if (text->length + more < text->capacity) {
        return true;
    }
    size_t capacity = text->capacity == 0 ? TEXT_INITIAL_BYTES : text->capacity;
    while (capacity <= text->length + more && capacity <= API_METRICS_TEXT_MAX_BYTES) {
        capacity *= 2;
    }
    char *grown = capacity <= API_METRICS_TEXT_MAX_BYTES ? realloc(text->data, capacity) : NULL;
    if (grown == NULL) {
        text->failed = true;
        return false;
    }
    text->data = grown;
    text->capacity = capacity;
    return true;
}

__attribute__((format(printf, 2, 3))) static void text_printf(struct text *text, const char *format,
                                                              ...)
{
    if (text->failed || !text_reserve(text, TEXT_LINE_MAX_BYTES)) {
        return;
    }
    va_list args;
    va_start(args, format);
    int added = vsnprintf(text->data + text->length, text->capacity - text->length, format, args);
    va_end(args);
    /* Every piece is shorter than the room reserved; a longer one is a bug here. */
    TPW_ASSERT(added >= 0 && (size_t)added < TEXT_LINE_MAX_BYTES);
    text->length += (size_t)added;
}

static void family_header(struct text *text, const char *name, const char *type, const char *help)
{
    text_printf(text, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void scalar(struct text *text, const char *name, const char *type, const char *help,
                   uint64_t value)
{
    family_header(text, name, type, help);
    text_printf(text, "%s %llu\n", name, (unsigned long long)value);
}

/* How one histogram prints: its bounds, and whether values are nanoseconds. */
struct histogram_form {
    const char *name;
    const uint64_t *bounds;
    size_t bounds_count;
    bool seconds;
};

static void value_text(const struct histogram_form *form, uint64_t value,
                       char out[API_METRICS_SECONDS_TEXT_SIZE])
{
    if (form->seconds) {
        (void)api_metrics_seconds_format(value, out);
    } else {
        (void)snprintf(out, API_METRICS_SECONDS_TEXT_SIZE, "%llu", (unsigned long long)value);
    }
}

/* One series: cumulative buckets from one read of each count, then _sum and _count.
 * `labels` is "" or `name="value"` pairs joined by commas. */
static void histogram_series(struct text *text, const struct histogram_form *form,
                             const char *labels, const struct api_histogram *histogram)
{
    const char *comma = labels[0] != '\0' ? "," : "";
    uint64_t cumulative = 0;
    char bound[API_METRICS_SECONDS_TEXT_SIZE];
    for (size_t i = 0; i <= form->bounds_count; i++) {
        cumulative += atomic_load_explicit(&histogram->counts[i], memory_order_relaxed);
        if (i < form->bounds_count) {
            value_text(form, form->bounds[i], bound);
        } else {
            memcpy(bound, "+Inf", sizeof "+Inf");
        }
        text_printf(text, "%s_bucket{%s%sle=\"%s\"} %llu\n", form->name, labels, comma, bound,
                    (unsigned long long)cumulative);
    }
    char sum[API_METRICS_SECONDS_TEXT_SIZE];
    value_text(form, atomic_load_explicit(&histogram->sum, memory_order_relaxed), sum);
    const char *open = labels[0] != '\0' ? "{" : "";
    const char *close = labels[0] != '\0' ? "}" : "";
    text_printf(text, "%s_sum%s%s%s %s\n", form->name, open, labels, close, sum);
    text_printf(text, "%s_count%s%s%s %llu\n", form->name, open, labels, close,
                (unsigned long long)cumulative);
}

/* Route names are the router's own constants: label values that need no escaping. */
static bool label_plain(const char *value)
{
    return value[strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789._")] == '\0';
}

static void http_histogram(struct text *text, const struct api_metrics *metrics)
{
    static const struct histogram_form form = {"tpwallet_http_request_duration_seconds",
                                               duration_bounds_ns, API_METRICS_DURATION_BOUNDS,
                                               true};
    family_header(text, form.name, "histogram",
                  "Time from a request's headers arriving to its completion (the reply sent), "
                  "by route and status; status 0: the connection ended before a reply.");
    for (size_t route = 0; route <= API_ROUTES_COUNT; route++) {
        const char *name = api_route_name_at(route);
        TPW_ASSERT(label_plain(name));
        for (size_t i = 0; i < API_METRICS_STATUSES_MAX; i++) {
            const struct api_http_series *series = &metrics->http[route][i];
            uint_fast64_t key = atomic_load_explicit(&series->status_key, memory_order_relaxed);
            if (key == 0) {
                break; /* slots are taken in order: the rest are free */
            }
            char labels[96];
            (void)snprintf(labels, sizeof labels, "route=\"%s\",status=\"%llu\"", name,
                           (unsigned long long)(key - 1));
            histogram_series(text, &form, labels, &series->durations_ns);
        }
    }
}

static void ledger_histograms(struct text *text, const struct api_metrics *metrics)
{
    static const struct histogram_form batch = {"tpwallet_ledger_batch_size", batch_bounds,
                                                API_METRICS_BATCH_BOUNDS, false};
    static const struct histogram_form commit = {"tpwallet_ledger_commit_duration_seconds",
                                                 duration_bounds_ns, API_METRICS_DURATION_BOUNDS,
                                                 true};
    family_header(text, batch.name, "histogram",
                  "Transfers per ledger batch the group committer journaled (one append, one "
                  "fdatasync).");
    histogram_series(text, &batch, "", &metrics->batch_transfers);
    family_header(text, commit.name, "histogram",
                  "Time the ledger took to apply and journal one batch of transfers, the "
                  "fdatasync included.");
    histogram_series(text, &commit, "", &metrics->commit_ns);
}

static void gauges_text(struct text *text, const struct api_metrics *metrics,
                        const struct api_metrics_gauges *gauges)
{
    scalar(text, "tpwallet_http_requests_in_flight", "gauge",
           "Requests begun and not yet completed (open event streams and this scrape included).",
           gauges->requests_in_flight);
    scalar(text, "tpwallet_http_requests_unrecorded_total", "counter",
           "Requests left out of the duration histogram: their route had no free status slot.",
           atomic_load_explicit(&metrics->http_unrecorded, memory_order_relaxed));
    scalar(text, "tpwallet_rate_limited_total", "counter",
           "Requests refused with 429 by their key's rate limit.",
           atomic_load_explicit(&metrics->rate_limited, memory_order_relaxed));
    scalar(text, "tpwallet_http_request_timeouts_total", "counter",
           "Connections cut for not delivering a request within request_timeout_s.",
           gauges->request_timeouts);
    scalar(text, "tpwallet_journal_bytes", "gauge", "Bytes of the journal, across all segments.",
           gauges->journal_bytes);
    scalar(text, "tpwallet_accounts", "gauge", "Accounts in the ledger.", gauges->accounts);
    scalar(text, "tpwallet_transfers", "gauge", "Transfers in the ledger.", gauges->transfers);
    scalar(text, "tpwallet_event_streams", "gauge", "Open GET /v1/events streams.",
           gauges->event_streams);
    scalar(text, "tpwallet_idempotency_entries", "gauge",
           "Idempotency-Key replies kept in memory (running requests included).",
           gauges->idempotency_entries);
    scalar(text, "process_start_time_seconds", "gauge",
           "Start time of the server since the Unix epoch, in seconds.", metrics->start_unix_s);
}

/* Provider names come from the server's configuration; quoted per the exposition
 * format all the same (backslash, quote and newline escaped). */
static void label_escape(const char *value, char *out, size_t size)
{
    size_t used = 0;
    for (const char *c = value; *c != '\0' && used + 3 < size; c++) {
        if (*c == '\n') {
            out[used++] = '\\';
            out[used++] = 'n';
        } else if (*c == '\\' || *c == '"') {
            out[used++] = '\\';
            out[used++] = *c;
        } else {
            out[used++] = *c;
        }
    }
    out[used] = '\0';
}

static void fx_pairs_text(struct text *text, const struct api_metrics_gauges *gauges)
{
    family_header(text, "tpwallet_fx_quote_age_seconds", "gauge",
                  "Age of the oldest quote in each pair's aggregated rate.");
    for (size_t i = 0; i < gauges->fx_pairs_count; i++) {
        const struct fx_rate *rate = &gauges->fx_pairs[i];
        char age[API_METRICS_SECONDS_TEXT_SIZE];
        uint64_t now_ns = gauges->fx_now_ns;
        (void)api_metrics_seconds_format(now_ns > rate->time_ns ? now_ns - rate->time_ns : 0, age);
        text_printf(text, "tpwallet_fx_quote_age_seconds{pair=\"%s/%s\"} %s\n", rate->base,
                    rate->quote, age);
    }
    family_header(text, "tpwallet_fx_pair_status", "gauge",
                  "Each pair's status: 1 fresh, 2 degraded, 3 stale (docs/fx.md).");
    for (size_t i = 0; i < gauges->fx_pairs_count; i++) {
        const struct fx_rate *rate = &gauges->fx_pairs[i];
        text_printf(text, "tpwallet_fx_pair_status{pair=\"%s/%s\"} %u\n", rate->base, rate->quote,
                    (unsigned)rate->status);
    }
}

static void fx_providers_text(struct text *text, const struct api_metrics_gauges *gauges)
{
    static const char *const families[FX_PROVIDER_LINES][3] = {
        {"tpwallet_fx_provider_up", "gauge", "1 while the provider delivers, 0 after a failure."},
        {"tpwallet_fx_provider_quotes_accepted_total", "counter", "Quotes the aggregator stored."},
        {"tpwallet_fx_provider_quotes_refused_total", "counter",
         "Quotes refused: invalid, dated in the future or older than the one held."},
        {"tpwallet_fx_provider_failures_total", "counter", "Failed fetches or parses."},
    };
    for (size_t f = 0; f < FX_PROVIDER_LINES; f++) {
        family_header(text, families[f][0], families[f][1], families[f][2]);
        for (size_t i = 0; i < gauges->fx_providers_count; i++) {
            const struct fx_provider_stats *stats = &gauges->fx_providers[i];
            uint64_t values[FX_PROVIDER_LINES] = {stats->up ? 1u : 0u, stats->quotes_accepted,
                                                  stats->quotes_refused, stats->failures};
            char name[2 * FX_PROVIDER_NAME_SIZE];
            label_escape(stats->name, name, sizeof name);
            text_printf(text, "%s{provider=\"%s\"} %llu\n", families[f][0], name,
                        (unsigned long long)values[f]);
        }
    }
    scalar(text, "tpwallet_fx_status_changes_total", "counter",
           "Changes of a pair's status (fresh, degraded, stale), first appearances included.",
           gauges->fx_status_changes);
    scalar(text, "tpwallet_fx_exposure_alerts_total", "counter",
           "Conversions that took the house's position in an asset past its limit.",
           gauges->fx_exposure_alerts);
}

enum tpw_err api_metrics_render(const struct api_metrics *metrics,
                                const struct api_metrics_gauges *gauges, char **text_out,
                                size_t *length)
{
    *text_out = NULL;
    *length = 0;
    struct text text = {0};
    http_histogram(&text, metrics);
    ledger_histograms(&text, metrics);
    gauges_text(&text, metrics, gauges);
    fx_pairs_text(&text, gauges);
    fx_providers_text(&text, gauges);
    if (text.failed) {
        free(text.data);
        return TPW_ERR_NOMEM;
    }
    TPW_ASSERT(text.length > 0 && text.length < text.capacity);
    TPW_ASSERT(text.data[text.length - 1] == '\n');
    *text_out = text.data;
    *length = text.length;
    return TPW_OK;
}
