/*
 * A route search's answer (struct fx_route_explanation) as JSON: the fields the
 * POST /v1/quotes reply and `tpwallet fx route` share (include/tpwallet/api_json.h).
 * One printer, so a leg, the direct pair and the saving are named the same way by the
 * server that locks a quote and by the command line that only explains one.
 */
#include <stdio.h>
#include <string.h>

#include "tpwallet/api_json.h"
#include "tpw_assert.h"

#include "banned.h"

/* The longest amount key with its suffix: "amount_out_decimal" and its NUL. */
#define ROUTE_KEY_SIZE 32

/* `name` in minor units and, when `asset` is known, `name_decimal` at its exponent. */
static bool amount_set(json_t *object, const char *name, tpw_u128 value,
                       const struct money_asset *asset)
{
    if (json_object_set_new(object, name, api_u128_json(value)) != 0) {
        return false;
    }
    if (asset == NULL) {
        return true;
    }
    char key[ROUTE_KEY_SIZE];
    int key_length = snprintf(key, sizeof key, "%s_decimal", name);
    TPW_ASSERT(key_length > 0 && (size_t)key_length < sizeof key);
    char text[MONEY_DECIMAL_TEXT_SIZE];
    size_t length = money_amount_format(asset, value, text, sizeof text);
    TPW_ASSERT(length > 0);
    return json_object_set_new(object, key, json_string(text)) == 0;
}

/* The asset of `code` when decimals were asked for and the registry knows it. */
static const struct money_asset *decimal_asset(const money_registry *registry, const char *code,
                                               unsigned flags)
{
    const struct money_asset *asset = NULL;
    if ((flags & API_JSON_DECIMALS) == 0 || registry == NULL ||
        money_registry_find(registry, code, &asset, NULL) != TPW_OK) {
        return NULL;
    }
    return asset;
}

static json_t *leg_json(const struct fx_leg *leg, const money_registry *registry, unsigned flags)
{
    char pair[2 * FX_CODE_SIZE];
    (void)snprintf(pair, sizeof pair, "%s/%s", leg->pair_base, leg->pair_quote);
    char rate[MONEY_DECIMAL_TEXT_SIZE];
    size_t rate_length = money_rate_format(leg->rate_used, rate, sizeof rate);
    TPW_ASSERT(rate_length > 0);
    json_t *object =
        json_pack("{s:s,s:s,s:s,s:s,s:s}", "from", leg->from, "to", leg->to, "pair", pair, "side",
                  leg->side == FX_LEG_SELL_BASE ? "sell_base" : "buy_base", "rate", rate);
    const struct money_asset *from = decimal_asset(registry, leg->from, flags);
    const struct money_asset *to = decimal_asset(registry, leg->to, flags);
    if (object == NULL || !amount_set(object, "amount_in", leg->in_minor, from) ||
        !amount_set(object, "fee", leg->fee_minor, from) ||
        !amount_set(object, "amount_out", leg->out_minor, to)) {
        json_decref(object);
        return NULL;
    }
    return object;
}

static json_t *legs_json(const struct fx_route *route, const money_registry *registry,
                         unsigned flags)
{
    TPW_ASSERT(route->leg_count >= 1 && route->leg_count <= FX_ROUTE_LEGS_MAX);
    json_t *legs = json_array();
    for (size_t k = 0; legs != NULL && k < route->leg_count; k++) {
        if (json_array_append_new(legs, leg_json(&route->legs[k], registry, flags)) != 0) {
            json_decref(legs);
            legs = NULL;
        }
    }
    return legs;
}

/* The route's totals: what the customer sends (in `from`) and receives (in `to`). */
static bool totals_set(json_t *object, const struct fx_route *route, const money_registry *registry,
                       unsigned flags)
{
    const char *from = route->legs[0].from;
    const char *to = route->legs[route->leg_count - 1].to;
    return amount_set(object, "amount_in", route->in_minor, decimal_asset(registry, from, flags)) &&
           amount_set(object, "amount_out", route->out_minor, decimal_asset(registry, to, flags));
}

/* The one-leg route's totals when the pair exists and works for the request, else null. */
static json_t *direct_json(const struct fx_route_explanation *why, const money_registry *registry,
                           unsigned flags)
{
    if (!why->direct_exists || why->direct_err != TPW_OK) {
        return json_null();
    }
    json_t *direct = json_object();
    if (direct != NULL && !totals_set(direct, &why->direct, registry, flags)) {
        json_decref(direct);
        direct = NULL;
    }
    return direct;
}

bool api_route_json_add(json_t *object, const struct fx_route_explanation *why,
                        const money_registry *registry, unsigned flags)
{
    const struct fx_route *best = &why->best;
    TPW_ASSERT(best->leg_count >= 1 && best->leg_count <= FX_ROUTE_LEGS_MAX);
    TPW_ASSERT(why->direction == FX_ROUTE_SELL || why->direction == FX_ROUTE_BUY);
    return json_object_set_new(object, "from", json_string(best->legs[0].from)) == 0 &&
           json_object_set_new(object, "to", json_string(best->legs[best->leg_count - 1].to)) ==
               0 &&
           json_object_set_new(object, "direction",
                               json_string(why->direction == FX_ROUTE_SELL ? "sell" : "buy")) ==
               0 &&
           totals_set(object, best, registry, flags) &&
           json_object_set_new(object, "legs", legs_json(best, registry, flags)) == 0 &&
           json_object_set_new(object, "direct", direct_json(why, registry, flags)) == 0 &&
           json_object_set_new(object, "saving_bps",
                               why->saving_known ? api_u128_json(why->saving_bps) : json_null()) ==
               0;
}
