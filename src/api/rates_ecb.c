/*
 * The server's "ecb" provider: at start, the newest day of the history stored in
 * DATA/fx (`tpwallet fx load-ecb`); then, when fx_ecb_url is set, a poller thread that
 * fetches the daily XML every fx_ecb_poll_s seconds.
 *
 * The fetch runs outside the rates lock — it may take seconds, and quotes and rate
 * reads must not wait for the network — and only the aggregator update takes it. A
 * failed poll (refused connection, timeout, HTTP status, a truncated or foreign
 * document) marks the provider down; its last good quotes serve on until their TTL, the
 * aggregator judging freshness from the quotes. A change of the provider's health is a
 * signal (`fx.provider`). A good day is also merged into the stored history, so a
 * restart begins from it and `tpwallet fx rate` sees it.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "log.h"
#include "rates.h"
#include "tpw_assert.h"

#include "banned.h"

/* The ECB publishes on TARGET business days: the next fixing is due within a day, four
 * over Easter; three more days of grace cover a late or missed publication. */
#define ECB_TTL_NS (UINT64_C(4) * 86400u * 1000000000u)
#define ECB_GRACE_NS (UINT64_C(3) * 86400u * 1000000000u)
#define FX_DIR_SIZE 4096
#define ECB_POLL_DEFAULT_S 1800u
#define ECB_RETRY_S 60u
/* The daily file is 1.6 KB: ten seconds is a network in trouble, not a slow one. */
#define ECB_FETCH_TIMEOUT_MS 10000u

/* A day the aggregator refuses (dated ahead of a skewed clock, say) does not stop the
 * server: the provider is marked down and the refusal logged. The caller holds the
 * write lock. */
static enum tpw_err ecb_feed(struct api_rates *rates, const struct fx_ecb_day *day,
                             struct tpw_error_detail *detail)
{
    size_t stored = 0;
    enum tpw_err err = fx_ecb_provide_day(rates->aggregator, rates->ecb_id, day, &stored, detail);
    if (err != TPW_OK) {
        fx_aggregator_provider_failed(rates->aggregator, rates->ecb_id, err);
        TPW_LOGF(TPW_LOG_WARN, "fx.ecb_refused", TPW_LOG_STR("error", detail->message));
    }
    char date[FX_DATE_TEXT_SIZE];
    fx_date_format(day->date_days, date);
    TPW_LOGF(TPW_LOG_INFO, "fx.ecb_loaded", TPW_LOG_STR("date", date),
             TPW_LOG_U64("rates", stored));
    return err;
}

/* The stored history's newest day, fed to the provider (none when there is no
 * history). */
static enum tpw_err ecb_history_day(struct api_rates *rates, struct tpw_error_detail *detail)
{
    fx_history *history = NULL;
    enum tpw_err err = fx_history_load(rates->fx_dir, &history, detail);
    if (err != TPW_OK || fx_history_currencies_count(history) == 0) {
        fx_history_destroy(history);
        return err;
    }
    struct fx_ecb_day *day = calloc(1, sizeof *day);
    if (day == NULL) {
        fx_history_destroy(history);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the ECB day");
    }
    err = fx_ecb_history_latest_day(history, day, detail);
    if (err == TPW_OK) {
        struct tpw_error_detail refused;
        tpw_error_detail_reset(&refused);
        (void)ecb_feed(rates, day, &refused); /* refused: logged, the provider down */
    }
    free(day);
    fx_history_destroy(history);
    return err;
}

enum tpw_err api_rates_ecb_start(struct api_rates *rates, const char *data_dir,
                                 struct tpw_error_detail *detail)
{
    struct fx_provider_config ecb = {
        .name = "ecb", .ttl_ns = ECB_TTL_NS, .grace_ns = ECB_GRACE_NS, .priority = 1};
    enum tpw_err err = fx_aggregator_provider_add(rates->aggregator, &ecb, &rates->ecb_id, detail);
    rates->ecb_up = true;
    char dir[FX_DIR_SIZE];
    if (err == TPW_OK && (size_t)snprintf(dir, sizeof dir, "%s/fx", data_dir) >= sizeof dir) {
        err = tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "data directory path too long");
    }
    if (err != TPW_OK) {
        return err;
    }
    rates->fx_dir = strdup(dir);
    if (rates->fx_dir == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the ECB provider");
    }
    return ecb_history_day(rates, detail);
}

/* ---- the poller ----------------------------------------------------------------------- */

/* A provider's health changed: a signal for every key (rates are everyone's). */
static void health_changed(struct api_rates *rates, bool up, enum tpw_err err,
                           const struct tpw_error_detail *detail)
{
    rates->ecb_up = up;
    json_t *data = json_pack("{s:s, s:b}", "provider", "ecb", "up", up);
    if (data != NULL && !up) {
        (void)json_object_set_new(data, "error", json_string(tpw_err_api_code(err)));
        (void)json_object_set_new(data, "message", json_string(detail->message));
    }
    api_signals_publish(rates->signals, "fx.provider", data, false);
}

/* Merges a good day into DATA/fx's history (created when missing). A failure is
 * logged: the day is served anyway, and the next good poll tries again. */
static void ecb_keep(struct api_rates *rates, const struct fx_ecb_day *day)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    fx_history *history = fx_history_create();
    enum tpw_err err = history != NULL ? TPW_OK : TPW_ERR_NOMEM;
    for (size_t i = 0; err == TPW_OK && i < day->rates_count; i++) {
        err = fx_history_add(history, day->rates[i].currency, day->date_days, day->rates[i].per_eur,
                             &detail);
    }
    if (err == TPW_OK && mkdir(rates->fx_dir, 0755) != 0 && errno != EEXIST) {
        err = tpw_error_set(&detail, TPW_ERR_IO, 0, "cannot create '%.200s': %s", rates->fx_dir,
                            strerror(errno));
    }
    if (err == TPW_OK) {
        err = fx_history_store_merge(rates->fx_dir, history, NULL, &detail);
    }
    if (err != TPW_OK) {
        TPW_LOGF(TPW_LOG_WARN, "fx.ecb_not_kept", TPW_LOG_STR("code", tpw_err_api_code(err)),
                 TPW_LOG_STR("error", detail.message));
    }
    fx_history_destroy(history);
}

/* One poll; true when it succeeded. */
static bool ecb_poll_once(struct api_rates *rates, struct fx_ecb_day *day)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err =
        fx_ecb_fetch(rates->ecb_url, ECB_FETCH_TIMEOUT_MS, &rates->cancel, day, &detail);
    if (atomic_load(&rates->cancel)) {
        return false; /* stopping: not a failure of the provider */
    }
    TPW_ASSERT(pthread_rwlock_wrlock(&rates->lock) == 0);
    if (err == TPW_OK) {
        err = ecb_feed(rates, day, &detail);
    } else {
        fx_aggregator_provider_failed(rates->aggregator, rates->ecb_id, err);
    }
    TPW_ASSERT(pthread_rwlock_unlock(&rates->lock) == 0);
    if (err != TPW_OK) {
        TPW_LOGF(TPW_LOG_WARN, "fx.ecb_poll_failed", TPW_LOG_STR("code", tpw_err_api_code(err)),
                 TPW_LOG_STR("error", detail.message));
    }
    if ((err == TPW_OK) != rates->ecb_up) {
        health_changed(rates, err == TPW_OK, err, &detail);
    }
    if (err == TPW_OK) {
        ecb_keep(rates, day);
    }
    return err == TPW_OK;
}

static void *poller_main(void *arg)
{
    struct api_rates *rates = arg;
    struct fx_ecb_day *day = rates->ecb_day;
    unsigned retry_s = rates->ecb_poll_s < ECB_RETRY_S ? rates->ecb_poll_s : ECB_RETRY_S;
    bool ok = ecb_poll_once(rates, day);
    while (api_rates_wait(rates, ok ? rates->ecb_poll_s : retry_s)) {
        ok = ecb_poll_once(rates, day);
    }
    return NULL;
}

static bool url_accepted(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

enum tpw_err api_rates_poller_start(struct api_rates *rates, const char *url, unsigned poll_s,
                                    struct tpw_error_detail *detail)
{
    if (url == NULL || url[0] == '\0') {
        return TPW_OK;
    }
    if (!url_accepted(url)) {
        tpw_error_set_param(detail, "fx_ecb_url");
        return tpw_error_set(detail, TPW_ERR_USAGE, 0,
                             "fx_ecb_url: \"%.100s\" is not an http:// or https:// URL", url);
    }
    rates->ecb_poll_s = poll_s != 0 ? poll_s : ECB_POLL_DEFAULT_S;
    rates->ecb_url = strdup(url);
    rates->ecb_day = malloc(sizeof *rates->ecb_day); /* 2 KiB, the poller's buffer */
    if (rates->ecb_url == NULL || rates->ecb_day == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the ECB poller");
    }
    /* Not thread-safe before libcurl 7.84 and cheap when done already (a count). */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "libcurl failed to initialise");
    }
    if (pthread_create(&rates->poller, NULL, poller_main, rates) != 0) {
        curl_global_cleanup();
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "cannot start the ECB poller");
    }
    rates->poller_started = true;
    (void)pthread_setname_np(rates->poller, "tpw-ecb"); /* for top, perf, gdb */
    TPW_LOGF(TPW_LOG_INFO, "fx.ecb_polling", TPW_LOG_STR("url", url),
             TPW_LOG_U64("every_s", rates->ecb_poll_s));
    return TPW_OK;
}

void api_rates_poller_join(struct api_rates *rates)
{
    if (!rates->poller_started) {
        return;
    }
    TPW_ASSERT(pthread_join(rates->poller, NULL) == 0);
    rates->poller_started = false;
    curl_global_cleanup();
}
