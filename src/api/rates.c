/*
 * The server's rates: one FX aggregator (src/fx) shared by the request threads, with a
 * read-write lock (reads are most of the traffic; an update recomputes one pair), the
 * "manual" provider operators feed through POST /v1/rates, the "ecb" provider
 * (rates_ecb.c: the stored history's newest day at start, then the poller), and a
 * ticker thread that re-evaluates every pair each second — TTLs run out without any
 * update, and a status change must be seen (logged, counted, signalled on the event
 * stream) when it happens, not when someone next asks.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "log.h"
#include "rates.h"
#include "tpw_assert.h"

#include "banned.h"

#define TICK_INTERVAL_S 1
#define QUOTES_LOG2 16 /* 65,536 quotes open within one TTL */

/* Called under the write lock (update or tick). */
static void on_status(void *ctx, const struct fx_status_event *event)
{
    struct api_rates *rates = ctx;
    atomic_fetch_add_explicit(&rates->status_changes, 1, memory_order_relaxed);
    const char *from = fx_status_name(event->old_status);
    const char *to = fx_status_name(event->new_status);
    TPW_LOGF(TPW_LOG_INFO, "fx.status", TPW_LOG_STR("base", event->base),
             TPW_LOG_STR("quote", event->quote), TPW_LOG_STR("from", from), TPW_LOG_STR("to", to));
    char pair[2 * FX_CODE_SIZE];
    (void)snprintf(pair, sizeof pair, "%s-%s", event->base, event->quote);
    api_signals_publish(rates->signals, "fx.status",
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "pair", pair, "base",
                                  event->base, "quote", event->quote, "from", from, "to", to,
                                  "timestamp", (json_int_t)event->time_ns),
                        false);
}

bool api_rates_wait(struct api_rates *rates, unsigned seconds)
{
    struct timespec until;
    (void)clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)seconds;
    TPW_ASSERT(pthread_mutex_lock(&rates->stop_lock) == 0);
    int rc = 0;
    while (!rates->stop && rc == 0) {
        rc = pthread_cond_timedwait(&rates->stop_wake, &rates->stop_lock, &until);
    }
    bool stop = rates->stop;
    TPW_ASSERT(pthread_mutex_unlock(&rates->stop_lock) == 0);
    return !stop;
}

static void *ticker_main(void *arg)
{
    struct api_rates *rates = arg;
    while (api_rates_wait(rates, TICK_INTERVAL_S)) {
        TPW_ASSERT(pthread_rwlock_wrlock(&rates->lock) == 0);
        fx_aggregator_tick(rates->aggregator);
        TPW_ASSERT(pthread_rwlock_unlock(&rates->lock) == 0);
        api_rate_history_tick(rates, tpw_clock_now_ns(&rates->clock));
    }
    return NULL;
}

static enum tpw_err manual_provider(struct api_rates *rates, unsigned manual_ttl_s,
                                    struct tpw_error_detail *detail)
{
    struct fx_provider_config manual = {
        .name = "manual", .ttl_ns = (uint64_t)manual_ttl_s * 1000000000u, .priority = 0};
    return fx_aggregator_provider_add(rates->aggregator, &manual, &rates->manual_id, detail);
}

static void rates_free(struct api_rates *rates)
{
    (void)pthread_cond_destroy(&rates->stop_wake);
    (void)pthread_mutex_destroy(&rates->stop_lock);
    (void)pthread_rwlock_destroy(&rates->lock);
    (void)pthread_mutex_destroy(&rates->limits_lock);
    fx_aggregator_destroy(rates->aggregator);
    exchange_quote_book_destroy(rates->quotes);
    api_rate_history_destroy(rates->history);
    api_rates_manual_close(rates);
    free(rates->ecb_url);
    free(rates->fx_dir);
    free(rates->ecb_day);
    free(rates);
}

/* The "static" provider (priority 2, the last resort: pegs, stablecoins at par) with
 * the rates of fx_static_rates, dated at start and never expiring: they are the
 * operator's standing configuration, not observations. */
static enum tpw_err static_provider(struct api_rates *rates, const char *path,
                                    struct tpw_error_detail *detail)
{
    struct fx_provider_config config = {.name = "static", .ttl_ns = UINT64_MAX, .priority = 2};
    uint32_t id = 0;
    enum tpw_err err = fx_aggregator_provider_add(rates->aggregator, &config, &id, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct fx_static_rates *table = malloc(sizeof *table);
    if (table == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the static rates");
    }
    err = fx_static_rates_load(path, table, detail);
    uint64_t now_ns = tpw_clock_now_ns(&rates->clock);
    for (size_t i = 0; err == TPW_OK && i < table->count; i++) {
        table->quotes[i].time_ns = now_ns;
        err = fx_aggregator_update(rates->aggregator, id, &table->quotes[i], detail);
    }
    tpw_error_set_param(detail, err != TPW_OK ? "fx_static_rates" : NULL);
    free(table);
    return err;
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
    rates->signals = options->signals;
    rates->manual_fd = -1;
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
        err = api_rates_ecb_start(rates, options->data_dir, detail);
    }
    if (err == TPW_OK && options->static_rates_path != NULL) {
        err = static_provider(rates, options->static_rates_path, detail);
    }
    if (err == TPW_OK) {
        err = api_rates_manual_open(rates, detail);
    }
    if (err == TPW_OK) {
        uint64_t seed = 0;
        randombytes_buf(&seed, sizeof seed); /* quote ids must not be guessable */
        err = exchange_quote_book_create(QUOTES_LOG2, (uint64_t)options->quote_ttl_s * 1000000000u,
                                         rates->clock, seed, &rates->quotes, detail);
    }
    if (err == TPW_OK) {
        err = api_rate_history_create(options->history_sample_s, options->history_window_s,
                                      &rates->history, detail);
    }
    if (err != TPW_OK) {
        rates_free(rates);
        return err;
    }
    api_rate_history_tick(rates, tpw_clock_now_ns(&rates->clock)); /* the start's rates */
    /* From here on changes are news (the start's own are not); before any thread runs. */
    fx_aggregator_listen(rates->aggregator, on_status, rates);
    if (pthread_create(&rates->ticker, NULL, ticker_main, rates) != 0) {
        rates_free(rates);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "cannot start the rates ticker");
    }
    (void)pthread_setname_np(rates->ticker, "tpw-fx"); /* for top, perf, gdb */
    err = api_rates_poller_start(rates, options->ecb_url, options->ecb_poll_s, detail);
    if (err != TPW_OK) {
        api_rates_stop(rates);
        return err;
    }
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
    atomic_store(&rates->cancel, true);
    TPW_ASSERT(pthread_cond_broadcast(&rates->stop_wake) == 0);
    TPW_ASSERT(pthread_mutex_unlock(&rates->stop_lock) == 0);
    TPW_ASSERT(pthread_join(rates->ticker, NULL) == 0);
    api_rates_poller_join(rates);
    rates_free(rates);
}

/* Durable before it counts: checked, logged and synced, then stored. The sync runs
 * under the write lock (readers wait for it): operators set rates rarely, and a rate
 * that is not yet durable must not be seen. */
enum tpw_err api_rates_set_manual(struct api_rates *rates, struct fx_quote *quote, uint64_t key_id,
                                  struct fx_rate *out, struct tpw_error_detail *detail)
{
    TPW_ASSERT(pthread_rwlock_wrlock(&rates->lock) == 0);
    quote->time_ns = tpw_clock_now_ns(&rates->clock); /* an operator's rate holds from now */
    enum tpw_err err = fx_aggregator_check(rates->aggregator, rates->manual_id, quote, detail);
    if (err == TPW_OK) {
        err = api_rates_manual_log(rates, quote, key_id, detail);
    }
    if (err == TPW_OK) {
        err = fx_aggregator_update(rates->aggregator, rates->manual_id, quote, detail);
    }
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
