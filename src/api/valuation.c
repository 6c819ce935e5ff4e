/*
 * Valuation rates: what one unit of an asset is worth in a base currency at the
 * server's live mids, for views that value holdings (GET /v1/map). The aggregator
 * answers a pair as quoted, inverted or crossed through a pivot (EUR, USD); an asset
 * that only trades against something else (BTC against USDT) needs one more step, so
 * when the aggregator cannot reach the base this tries each pair the asset is quoted
 * in and crosses from its other side: BTC → USDT (the venue's book), then USDT → EUR
 * (USDT/USD at par, through USD to EUR). At most three legs, like a conversion route.
 *
 * One rounding per composition, named: the product of two mids at 10^-18, half-even
 * (the aggregator's own crosses round mids the same way). The status is the worse of
 * the legs', the time the older: a valuation is only as fresh as its stalest leg.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define E18 ((tpw_u128)1000000000000000000ull)

static enum fx_status worse(enum fx_status a, enum fx_status b)
{
    return a > b ? a : b;
}

static void from_rate(const struct fx_rate *rate, struct api_value_rate *out)
{
    *out =
        (struct api_value_rate){.mid = rate->mid, .status = rate->status, .time_ns = rate->time_ns};
    if (rate->via[0] != '\0') {
        memcpy(out->path[out->path_count++], rate->via, FX_CODE_SIZE);
    }
}

/* asset → other (one listed pair) → base (the aggregator), when both legs exist. */
static bool through(struct api_rates *rates, const char *asset, const char *other, const char *base,
                    struct api_value_rate *out)
{
    struct fx_rate first;
    struct fx_rate second;
    if (strcmp(other, base) == 0 || api_rates_get(rates, asset, other, &first, NULL) != TPW_OK ||
        api_rates_get(rates, other, base, &second, NULL) != TPW_OK) {
        return false;
    }
    tpw_u128 mid_e18 = 0;
    if (money_muldiv(first.mid.value_e18, second.mid.value_e18, E18, MONEY_ROUND_HALF_EVEN,
                     &mid_e18) != TPW_OK ||
        mid_e18 == 0) {
        return false; /* a product beyond 128 bits or below 10^-18: no usable rate */
    }
    from_rate(&first, out);
    TPW_ASSERT(out->path_count < API_VALUE_PATH_MAX);
    memcpy(out->path[out->path_count++], other, FX_CODE_SIZE);
    if (second.via[0] != '\0') {
        memcpy(out->path[out->path_count++], second.via, FX_CODE_SIZE);
    }
    out->mid.value_e18 = mid_e18;
    out->status = worse(first.status, second.status);
    out->time_ns = first.time_ns < second.time_ns ? first.time_ns : second.time_ns;
    return true;
}

/* The pair's other side when `asset` is one of its two, else NULL. */
static const char *other_side(const struct fx_rate *pair, const char *asset)
{
    if (strcmp(pair->base, asset) == 0) {
        return pair->quote;
    }
    return strcmp(pair->quote, asset) == 0 ? pair->base : NULL;
}

enum tpw_err api_value_rate_get(struct api_rates *rates, const char *asset, const char *base,
                                struct api_value_rate *out)
{
    if (strcmp(asset, base) == 0) {
        *out = (struct api_value_rate){.mid = {E18}, .status = FX_STATUS_FRESH, .time_ns = 0};
        return TPW_OK;
    }
    struct fx_rate rate;
    if (api_rates_get(rates, asset, base, &rate, NULL) == TPW_OK) {
        from_rate(&rate, out);
        return TPW_OK;
    }
    struct fx_rate *pairs = NULL;
    size_t count = 0;
    enum tpw_err err = api_rates_list(rates, &pairs, &count);
    if (err != TPW_OK) {
        return err;
    }
    /* The freshest path wins; among equals the first listed pair (a stable answer). */
    bool found = false;
    for (size_t index = 0; index < count; index++) {
        const char *other = other_side(&pairs[index], asset);
        struct api_value_rate candidate;
        if (other != NULL && through(rates, asset, other, base, &candidate) &&
            (!found || candidate.status < out->status)) {
            *out = candidate;
            found = true;
        }
    }
    free(pairs);
    return found ? TPW_OK : TPW_ERR_FX_PAIR_UNKNOWN;
}
