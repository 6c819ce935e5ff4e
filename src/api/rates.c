/*
 * The server's rates: one FX aggregator (src/fx) shared by the request threads, with a
 * read-write lock (reads are most of the traffic; an update recomputes one pair), the
 * "manual" provider operators feed through POST /v1/rates, the "ecb" provider fed at
 * start from the newest day of the history in DATA/fx (`tpwallet fx load-ecb`), and a
 * ticker thread that
 * re-evaluates every pair each second — TTLs run out without any update, and a status
 * change must be seen (logged, counted) when it happens, not when someone next asks.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "api_int.h"
#include "log.h"
#include "tpw_assert.h"

#include "banned.h"

#define TICK_INTERVAL_S 1
/* The ECB publishes on TARGET business days: the next fixing is due within a day, four
 * over Easter; three more days of grace cover a late or missed publication. */
#define ECB_TTL_NS (UINT64_C(4) * 86400u * 1000000000u)
#define ECB_GRACE_NS (UINT64_C(3) * 86400u * 1000000000u)
#define FX_DIR_SIZE 4096
#define QUOTES_LOG2 16 /* 65,536 quotes open within one TTL */

/* One configured exposure limit, and whether the position is over it now. */
struct exposure_limit {
    char code[FX_CODE_SIZE];
    tpw_u128 limit_minor;
    bool over;
};

struct api_rates {
    fx_aggregator *aggregator;
    struct fx_fee_table fees; /* from fx_fees; empty: no fees */
    struct exposure_limit limits[FX_GRAPH_CURRENCIES_MAX];
    size_t limits_count;
    pthread_mutex_t limits_lock; /* the `over` flags */
    atomic_uint_fast64_t exposure_alerts;
    exchange_quote_book *quotes; /* locked quotes (POST /v1/quotes), thread-safe itself */
    struct tpw_clock clock;      /* the aggregator's: the system's real time */
    pthread_rwlock_t lock;
    uint32_t manual_id;
    atomic_uint_fast64_t status_changes;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_wake;
    bool stop;
    pthread_t ticker;
};

/* Called under the write lock (update or tick). */
static void on_status(void *ctx, const struct fx_status_event *event)
{
    struct api_rates *rates = ctx;
    atomic_fetch_add_explicit(&rates->status_changes, 1, memory_order_relaxed);
    TPW_LOGF(TPW_LOG_INFO, "fx.status", TPW_LOG_STR("base", event->base),
             TPW_LOG_STR("quote", event->quote),
             TPW_LOG_STR("from", fx_status_name(event->old_status)),
             TPW_LOG_STR("to", fx_status_name(event->new_status)));
}

static void *ticker_main(void *arg)
{
    struct api_rates *rates = arg;
    TPW_ASSERT(pthread_mutex_lock(&rates->stop_lock) == 0);
    while (!rates->stop) {
        struct timespec until;
        (void)clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += TICK_INTERVAL_S;
        (void)pthread_cond_timedwait(&rates->stop_wake, &rates->stop_lock, &until);
        if (rates->stop) {
            break;
        }
        TPW_ASSERT(pthread_rwlock_wrlock(&rates->lock) == 0);
        fx_aggregator_tick(rates->aggregator);
        TPW_ASSERT(pthread_rwlock_unlock(&rates->lock) == 0);
    }
    TPW_ASSERT(pthread_mutex_unlock(&rates->stop_lock) == 0);
    return NULL;
}

static enum tpw_err manual_provider(struct api_rates *rates, unsigned manual_ttl_s,
                                    struct tpw_error_detail *detail)
{
    struct fx_provider_config manual = {
        .name = "manual", .ttl_ns = (uint64_t)manual_ttl_s * 1000000000u, .priority = 0};
    return fx_aggregator_provider_add(rates->aggregator, &manual, &rates->manual_id, detail);
}

/* A day the aggregator refuses (dated ahead of a skewed clock, say) does not stop the
 * server: the provider is marked down and the refusal logged. */
static void ecb_feed(struct api_rates *rates, uint32_t ecb_id, const struct fx_ecb_day *day)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    size_t stored = 0;
    enum tpw_err err = fx_ecb_provide_day(rates->aggregator, ecb_id, day, &stored, &detail);
    if (err != TPW_OK) {
        fx_aggregator_provider_failed(rates->aggregator, ecb_id, err);
        TPW_LOGF(TPW_LOG_WARN, "fx.ecb_refused", TPW_LOG_STR("error", detail.message));
    }
    TPW_LOGF(TPW_LOG_INFO, "fx.ecb_loaded", TPW_LOG_U64("rates", stored));
}

/* The "ecb" provider (priority 1, behind manual rates) with the stored history's
 * newest day, if there is a history. */
static enum tpw_err ecb_provider(struct api_rates *rates, const char *data_dir,
                                 struct tpw_error_detail *detail)
{
    struct fx_provider_config ecb = {
        .name = "ecb", .ttl_ns = ECB_TTL_NS, .grace_ns = ECB_GRACE_NS, .priority = 1};
    uint32_t ecb_id = 0;
    enum tpw_err err = fx_aggregator_provider_add(rates->aggregator, &ecb, &ecb_id, detail);
    char dir[FX_DIR_SIZE];
    if (err == TPW_OK && (size_t)snprintf(dir, sizeof dir, "%s/fx", data_dir) >= sizeof dir) {
        err = tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "data directory path too long");
    }
    fx_history *history = NULL;
    if (err == TPW_OK) {
        err = fx_history_load(dir, &history, detail);
    }
    struct fx_ecb_day *day = err == TPW_OK ? calloc(1, sizeof *day) : NULL;
    if (err == TPW_OK && day == NULL) {
        err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the ECB day");
    }
    if (err == TPW_OK && fx_history_currencies_count(history) > 0) {
        err = fx_ecb_history_latest_day(history, day, detail);
        if (err == TPW_OK) {
            ecb_feed(rates, ecb_id, day);
        }
    }
    free(day);
    fx_history_destroy(history);
    return err;
}

static void rates_free(struct api_rates *rates)
{
    (void)pthread_cond_destroy(&rates->stop_wake);
    (void)pthread_mutex_destroy(&rates->stop_lock);
    (void)pthread_rwlock_destroy(&rates->lock);
    (void)pthread_mutex_destroy(&rates->limits_lock);
    fx_aggregator_destroy(rates->aggregator);
    exchange_quote_book_destroy(rates->quotes);
    free(rates);
}

/* "USD=100000000,EUR=5000000": codes and limits in minor units, comma-separated. */
static enum tpw_err limits_parse(struct api_rates *rates, const char *text,
                                 struct tpw_error_detail *detail)
{
    while (text != NULL && *text != '\0') {
        size_t item_len = strcspn(text, ",");
        const char *equals = memchr(text, '=', item_len);
        size_t code_len = equals != NULL ? (size_t)(equals - text) : 0;
        struct exposure_limit *limit = &rates->limits[rates->limits_count];
        if (equals == NULL || code_len >= FX_CODE_SIZE || !money_asset_code_valid(text, code_len) ||
            rates->limits_count == FX_GRAPH_CURRENCIES_MAX ||
            tpw_u128_from_dec(equals + 1, item_len - code_len - 1, &limit->limit_minor) != TPW_OK) {
            tpw_error_set_param(detail, "fx_exposure_limits");
            return tpw_error_set(detail, TPW_ERR_USAGE, 0,
                                 "fx_exposure_limits: \"%.*s\" is not CODE=MINOR_UNITS",
                                 (int)item_len, text);
        }
        memcpy(limit->code, text, code_len);
        limit->code[code_len] = '\0';
        rates->limits_count++;
        text += item_len + (text[item_len] == ',' ? 1 : 0);
    }
    return TPW_OK;
}

enum tpw_err api_rates_start(const struct api_rates_options *options, struct api_rates **out,
                             struct tpw_error_detail *detail)
{
    struct api_rates *rates = calloc(1, sizeof *rates);
    if (rates == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the rates");
    }
    rates->clock = tpw_clock_system();
    struct fx_policy policy = fx_policy_default();
    enum tpw_err err = fx_aggregator_create(&policy, rates->clock, &rates->aggregator, detail);
    pthread_condattr_t attr;
    TPW_ASSERT(pthread_condattr_init(&attr) == 0);
    TPW_ASSERT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0);
    TPW_ASSERT(pthread_rwlock_init(&rates->lock, NULL) == 0);
    TPW_ASSERT(pthread_mutex_init(&rates->limits_lock, NULL) == 0);
    TPW_ASSERT(pthread_mutex_init(&rates->stop_lock, NULL) == 0);
    TPW_ASSERT(pthread_cond_init(&rates->stop_wake, &attr) == 0);
    (void)pthread_condattr_destroy(&attr);
    if (err == TPW_OK) {
        err = manual_provider(rates, options->manual_ttl_s, detail);
    }
    if (err == TPW_OK) {
        err = limits_parse(rates, options->exposure_limits, detail);
    }
    if (err == TPW_OK && options->fees_path != NULL) {
        err = fx_fee_table_load(options->fees_path, &rates->fees, detail);
        tpw_error_set_param(detail, err != TPW_OK ? "fx_fees" : NULL);
    }
    if (err == TPW_OK) {
        err = ecb_provider(rates, options->data_dir, detail);
    }
    if (err == TPW_OK) {
        uint64_t seed = 0;
        randombytes_buf(&seed, sizeof seed); /* quote ids must not be guessable */
        err = exchange_quote_book_create(QUOTES_LOG2, (uint64_t)options->quote_ttl_s * 1000000000u,
                                         rates->clock, seed, &rates->quotes, detail);
    }
    if (err == TPW_OK && pthread_create(&rates->ticker, NULL, ticker_main, rates) != 0) {
        err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "cannot start the rates ticker");
    }
    if (err != TPW_OK) {
        rates_free(rates);
        return err;
    }
    fx_aggregator_listen(rates->aggregator, on_status, rates);
    (void)pthread_setname_np(rates->ticker, "tpw-fx"); /* for top, perf, gdb */
    *out = rates;
    return TPW_OK;
}

void api_rates_stop(struct api_rates *rates)
{
    if (rates == NULL) {
        return;
    }
    TPW_ASSERT(pthread_mutex_lock(&rates->stop_lock) == 0);
    rates->stop = true;
    TPW_ASSERT(pthread_cond_signal(&rates->stop_wake) == 0);
    TPW_ASSERT(pthread_mutex_unlock(&rates->stop_lock) == 0);
    TPW_ASSERT(pthread_join(rates->ticker, NULL) == 0);
    rates_free(rates);
}

enum tpw_err api_rates_set_manual(struct api_rates *rates, struct fx_quote *quote,
                                  struct fx_rate *out, struct tpw_error_detail *detail)
{
    TPW_ASSERT(pthread_rwlock_wrlock(&rates->lock) == 0);
    quote->time_ns = tpw_clock_now_ns(&rates->clock); /* an operator's rate holds from now */
    enum tpw_err err = fx_aggregator_update(rates->aggregator, rates->manual_id, quote, detail);
    if (err == TPW_OK) {
        err = fx_aggregator_rate(rates->aggregator, quote->base, quote->quote, out, detail);
    }
    TPW_ASSERT(pthread_rwlock_unlock(&rates->lock) == 0);
    return err;
}

enum tpw_err api_rates_get(struct api_rates *rates, const char *base, const char *quote,
                           struct fx_rate *out, struct tpw_error_detail *detail)
{
    TPW_ASSERT(pthread_rwlock_rdlock(&rates->lock) == 0);
    enum tpw_err err = fx_aggregator_rate(rates->aggregator, base, quote, out, detail);
    TPW_ASSERT(pthread_rwlock_unlock(&rates->lock) == 0);
    return err;
}

enum tpw_err api_rates_list(struct api_rates *rates, struct fx_rate **out, size_t *count)
{
    TPW_ASSERT(pthread_rwlock_rdlock(&rates->lock) == 0);
    size_t pairs = fx_aggregator_pair_count(rates->aggregator);
    struct fx_rate *list = calloc(pairs > 0 ? pairs : 1, sizeof *list);
    for (size_t i = 0; list != NULL && i < pairs; i++) {
        fx_aggregator_pair_at(rates->aggregator, i, &list[i]);
    }
    TPW_ASSERT(pthread_rwlock_unlock(&rates->lock) == 0);
    if (list == NULL) {
        return TPW_ERR_NOMEM;
    }
    *out = list;
    *count = pairs;
    return TPW_OK;
}

void api_rates_stats(struct api_rates *rates, struct api_rates_stats *out)
{
    memset(out, 0, sizeof *out);
    out->now_ns = tpw_clock_now_ns(&rates->clock);
    out->status_changes = atomic_load_explicit(&rates->status_changes, memory_order_relaxed);
    TPW_ASSERT(pthread_rwlock_rdlock(&rates->lock) == 0);
    out->providers_count = fx_aggregator_provider_count(rates->aggregator);
    for (uint32_t i = 0; i < out->providers_count; i++) {
        fx_aggregator_provider_stats(rates->aggregator, i, &out->providers[i]);
    }
    TPW_ASSERT(pthread_rwlock_unlock(&rates->lock) == 0);
}

/* ---- quotes ------------------------------------------------------------------------- */

/* Adds `asset` to the graph's assets once; false when the graph has no room. */
static bool asset_add(struct money_asset *assets, size_t *count, const struct money_asset *asset)
{
    for (size_t i = 0; i < *count; i++) {
        if (strcmp(assets[i].code, asset->code) == 0) {
            return true;
        }
    }
    if (*count == FX_GRAPH_CURRENCIES_MAX) {
        return false;
    }
    assets[(*count)++] = *asset;
    return true;
}

static bool asset_in(const struct money_asset *assets, size_t count, const char *code)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(assets[i].code, code) == 0) {
            return true;
        }
    }
    return false;
}

/* The configured corridors between currencies the graph has (a graph refuses others). */
static size_t corridors_in(const struct fx_fee_table *fees, const struct money_asset *assets,
                           size_t asset_count, struct fx_corridor_fee *out)
{
    size_t count = 0;
    for (size_t i = 0; i < fees->corridor_count; i++) {
        const struct fx_corridor_fee *corridor = &fees->corridors[i];
        if (asset_in(assets, asset_count, corridor->from) &&
            asset_in(assets, asset_count, corridor->to)) {
            out[count++] = *corridor;
        }
    }
    return count;
}

/* The graph of the pairs that may be converted on now (fresh), with the exponents of
 * their assets from the registry (pairs with an asset it does not know are left out),
 * and the configured fees (fx_fees). */
static enum tpw_err graph_now(struct api_rates *rates, const money_registry *registry,
                              fx_graph **out, struct tpw_error_detail *detail)
{
    struct fx_rate *list = NULL;
    size_t count = 0;
    enum tpw_err err = api_rates_list(rates, &list, &count);
    struct fx_quote *quotes = err == TPW_OK ? calloc(count + 1, sizeof *quotes) : NULL;
    struct money_asset *assets = calloc(FX_GRAPH_CURRENCIES_MAX, sizeof *assets);
    size_t quote_count = 0;
    size_t asset_count = 0;
    for (size_t i = 0; quotes != NULL && assets != NULL && i < count; i++) {
        const struct fx_rate *rate = &list[i];
        const struct money_asset *base = NULL;
        const struct money_asset *quote = NULL;
        if (rate->status != FX_STATUS_FRESH ||
            money_registry_find(registry, rate->base, &base, NULL) != TPW_OK ||
            money_registry_find(registry, rate->quote, &quote, NULL) != TPW_OK ||
            !asset_add(assets, &asset_count, base) || !asset_add(assets, &asset_count, quote)) {
            continue;
        }
        struct fx_quote *q = &quotes[quote_count++];
        memcpy(q->base, rate->base, sizeof q->base);
        memcpy(q->quote, rate->quote, sizeof q->quote);
        q->bid = rate->bid;
        q->ask = rate->ask;
        q->time_ns = rate->time_ns;
    }
    if (err == TPW_OK && (quotes == NULL || assets == NULL)) {
        err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the FX graph");
    }
    struct fx_corridor_fee *corridors = calloc(rates->fees.corridor_count + 1, sizeof *corridors);
    if (err == TPW_OK && corridors == NULL) {
        err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the FX graph");
    }
    if (err == TPW_OK) {
        struct fx_graph_spec spec = {
            .assets = assets,
            .asset_count = asset_count,
            .quotes = quotes,
            .quote_count = quote_count,
            .corridors = corridors,
            .corridor_count = corridors_in(&rates->fees, assets, asset_count, corridors),
            .default_fees = rates->fees.default_fees,
        };
        err = fx_graph_create(&spec, out, detail);
    }
    free(corridors);
    free(list);
    free(quotes);
    free(assets);
    return err;
}

enum tpw_err api_rates_quote(struct api_rates *rates, const money_registry *registry,
                             const struct api_quote_request *ask, struct exchange_quote *quote,
                             struct fx_route_explanation *explanation,
                             struct tpw_error_detail *detail)
{
    struct fx_rate rate;
    enum tpw_err err = api_rates_get(rates, ask->from, ask->to, &rate, detail);
    if (err == TPW_OK) {
        err = fx_rate_executable(&rate, false, detail);
    }
    fx_graph *graph = NULL;
    if (err == TPW_OK) {
        err = graph_now(rates, registry, &graph, detail);
    }
    if (err == TPW_OK) {
        err = fx_route_find(graph, ask->direction, ask->from, ask->to, ask->amount_minor,
                            explanation, detail);
    }
    fx_graph_destroy(graph);
    if (err == TPW_OK) {
        *quote = (struct exchange_quote){.owner = ask->owner, .route = explanation->best};
        err = exchange_quote_lock(rates->quotes, quote, detail);
    }
    return err;
}

enum tpw_err api_rates_quote_take(struct api_rates *rates, tpw_u128 id, struct exchange_quote *out,
                                  struct tpw_error_detail *detail)
{
    return exchange_quote_take(rates->quotes, id, out, detail);
}

void api_rates_quote_release(struct api_rates *rates, tpw_u128 id, bool spent)
{
    exchange_quote_release(rates->quotes, id, spent);
}

/* ---- exposure ------------------------------------------------------------------------ */

bool api_rates_exposure_limit(struct api_rates *rates, const char *code, tpw_u128 *limit_minor)
{
    for (size_t i = 0; i < rates->limits_count; i++) {
        if (strcmp(rates->limits[i].code, code) == 0) {
            *limit_minor = rates->limits[i].limit_minor;
            return true;
        }
    }
    return false;
}

void api_rates_exposure_note(struct api_rates *rates, const char *code,
                             const struct exchange_position *position)
{
    TPW_ASSERT(pthread_mutex_lock(&rates->limits_lock) == 0);
    for (size_t i = 0; i < rates->limits_count; i++) {
        struct exposure_limit *limit = &rates->limits[i];
        if (strcmp(limit->code, code) != 0) {
            continue;
        }
        bool over = exchange_position_over(position, limit->limit_minor);
        if (over && !limit->over) {
            atomic_fetch_add_explicit(&rates->exposure_alerts, 1, memory_order_relaxed);
            char size[TPW_U128_DEC_SIZE];
            (void)tpw_u128_to_dec(position->long_minor > 0 ? position->long_minor
                                                           : position->short_minor,
                                  size, sizeof size);
            TPW_LOGF(TPW_LOG_WARN, "fx.exposure_alert", TPW_LOG_STR("asset", code),
                     TPW_LOG_STR("side", position->long_minor > 0 ? "long" : "short"),
                     TPW_LOG_STR("position_minor", size));
        }
        limit->over = over;
    }
    TPW_ASSERT(pthread_mutex_unlock(&rates->limits_lock) == 0);
}

uint64_t api_rates_exposure_alerts(struct api_rates *rates)
{
    return atomic_load_explicit(&rates->exposure_alerts, memory_order_relaxed);
}
