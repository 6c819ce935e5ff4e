/*
 * GET /metrics: the server's metrics in the Prometheus text format (metrics.c makes
 * the text). The counters are read without locks; the gauges of the ledger, the event
 * streams and the idempotency store are read here, each under its own lock, once per
 * scrape.
 */
#include <stdlib.h>

#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static void gauges_read(struct api_server *server, struct api_metrics_gauges *out)
{
    struct ledger_stats stats;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    ledger_stats_get(server->ledger, &stats);
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    out->requests_in_flight = atomic_load(&server->in_flight);
    out->journal_bytes = stats.journal_bytes;
    out->accounts = stats.accounts;
    out->transfers = stats.transfers;
    out->event_streams = api_events_streams_count(server->events);
    out->idempotency_entries = api_idem_entries_count(server->idem);
    out->request_timeouts = api_deadlines_cut_total(server->deadlines);
    /* This scrape is a request in flight. */
    TPW_ASSERT(out->requests_in_flight >= 1);
}

void api_metrics_scrape(struct api_request *request, const char *id_text)
{
    TPW_ASSERT(id_text == NULL);
    struct api_metrics_gauges gauges;
    gauges_read(request->server, &gauges);
    struct api_rates_stats fx;
    api_rates_stats(request->server->rates, &fx);
    struct fx_rate *pairs = NULL;
    enum tpw_err err = api_rates_list(request->server->rates, &pairs, &gauges.fx_pairs_count);
    if (err != TPW_OK) {
        api_reply_error(request, err, NULL);
        return;
    }
    gauges.fx_pairs = pairs;
    gauges.fx_providers = fx.providers;
    gauges.fx_providers_count = fx.providers_count;
    gauges.fx_now_ns = fx.now_ns;
    gauges.fx_status_changes = fx.status_changes;
    gauges.fx_exposure_alerts = api_rates_exposure_alerts(request->server->rates);
    char *text = NULL;
    size_t length = 0;
    err = api_metrics_render(&request->server->metrics, &gauges, &text, &length);
    free(pairs);
    if (err != TPW_OK) {
        api_reply_error(request, err, NULL);
        return;
    }
    api_reply_text_take(request, 200, text, length, METRICS_CONTENT_TYPE);
}
