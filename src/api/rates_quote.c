/*
 * The server's quotes and exposure: POST /v1/quotes prices on a graph of the pairs fresh
 * now (with the fx_fees table) and locks the route in the quote book; after each
 * conversion, each asset's house position is compared with its fx_exposure_limits
 * entry, and crossing it is an alert (a log line, a count and a staff-only signal).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rates.h"
#include "tpw_assert.h"

#include "banned.h"

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
            .corridor_count =
                fx_fee_table_corridors_within(&rates->fees, assets, asset_count, corridors),
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

/* The pair is priced now: fresh as quoted, inverted or crossed through a pivot, or else
 * through another asset as the map values it (EUR → BTC: EUR → USD → USDT → BTC, when BTC
 * trades only against USDT) — the worst leg's status decides. A pair nothing reaches, or
 * a stale or degraded one, is refused with its reason before any graph is built. */
static enum tpw_err pair_priced(struct api_rates *rates, const struct api_quote_request *ask,
                                struct tpw_error_detail *detail)
{
    struct fx_rate rate;
    struct tpw_error_detail direct;
    tpw_error_detail_reset(&direct);
    enum tpw_err err = api_rates_get(rates, ask->from, ask->to, &rate, &direct);
    struct api_value_rate value;
    /* Either way round: valuing walks asset → listed pair → the aggregator's answer. */
    if (err == TPW_ERR_FX_PAIR_UNKNOWN &&
        (api_value_rate_get(rates, ask->to, ask->from, &value) == TPW_OK ||
         api_value_rate_get(rates, ask->from, ask->to, &value) == TPW_OK)) {
        rate = (struct fx_rate){.mid = value.mid, .status = value.status};
        (void)snprintf(rate.base, sizeof rate.base, "%s", ask->from);
        (void)snprintf(rate.quote, sizeof rate.quote, "%s", ask->to);
        err = TPW_OK;
    }
    if (err != TPW_OK) {
        if (detail != NULL) {
            *detail = direct;
        }
        return err;
    }
    return fx_rate_executable(&rate, false, detail);
}

enum tpw_err api_rates_quote(struct api_rates *rates, const money_registry *registry,
                             const struct api_quote_request *ask, struct exchange_quote *quote,
                             struct fx_route_explanation *explanation,
                             struct tpw_error_detail *detail)
{
    enum tpw_err err = pair_priced(rates, ask, detail);
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

/* A limit crossed: a log line, a count and a signal for staff (the house's book is
 * not a customer's business). */
static void exposure_alert(struct api_rates *rates, const struct exposure_limit *limit,
                           const struct exchange_position *position)
{
    atomic_fetch_add_explicit(&rates->exposure_alerts, 1, memory_order_relaxed);
    bool is_long = position->long_minor > 0;
    char size[TPW_U128_DEC_SIZE];
    char limit_text[TPW_U128_DEC_SIZE];
    (void)tpw_u128_to_dec(is_long ? position->long_minor : position->short_minor, size,
                          sizeof size);
    (void)tpw_u128_to_dec(limit->limit_minor, limit_text, sizeof limit_text);
    const char *side = is_long ? "long" : "short";
    TPW_LOGF(TPW_LOG_WARN, "fx.exposure_alert", TPW_LOG_STR("asset", limit->code),
             TPW_LOG_STR("side", side), TPW_LOG_STR("position_minor", size));
    api_signals_publish(rates->signals, "fx.exposure_alert",
                        json_pack("{s:s, s:s, s:s, s:s}", "asset", limit->code, "side", side,
                                  "position_minor", size, "limit_minor", limit_text),
                        true);
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
            exposure_alert(rates, limit, position);
        }
        limit->over = over;
    }
    TPW_ASSERT(pthread_mutex_unlock(&rates->limits_lock) == 0);
}

uint64_t api_rates_exposure_alerts(struct api_rates *rates)
{
    return atomic_load_explicit(&rates->exposure_alerts, memory_order_relaxed);
}
