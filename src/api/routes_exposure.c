/*
 * GET /v1/exposure: the house's position per asset (docs/fx.md, Exposure) — what each
 * FX pool holds net, long or short, and what each fee account has earned — beside the
 * configured limit, read from the ledger's posted balances under its lock. Also the
 * check after each conversion that raises an alert when a position crosses its limit.
 */
#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

static json_t *minor_text(tpw_u128 value)
{
    char text[TPW_U128_DEC_SIZE];
    (void)tpw_u128_to_dec(value, text, sizeof text);
    return json_string(text);
}

/* The asset's position from its house accounts (either may not exist yet). */
static void position_read(struct api_server *server, uint32_t asset, struct exchange_position *out)
{
    struct ledger_account pool;
    struct ledger_account fees;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    bool has_pool =
        ledger_account_get(server->ledger, exchange_pool_account_id(asset), &pool) == TPW_OK;
    bool has_fees =
        ledger_account_get(server->ledger, exchange_fee_account_id(asset), &fees) == TPW_OK;
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    exchange_position_of(has_pool ? &pool : NULL, has_fees ? &fees : NULL, out);
}

static json_t *exposure_json(struct api_server *server, const struct ledger_asset *asset)
{
    struct exchange_position position;
    position_read(server, asset->number, &position);
    tpw_u128 limit = 0;
    bool limited = api_rates_exposure_limit(server->rates, asset->code, &limit);
    return json_pack("{s:s,s:s,s:i,s:o,s:o,s:o,s:o,s:b}", "object", "exposure", "asset",
                     asset->code, "exponent", (int)asset->exponent, "long",
                     minor_text(position.long_minor), "short", minor_text(position.short_minor),
                     "fees", minor_text(position.fees_minor), "limit",
                     limited ? minor_text(limit) : json_null(), "over",
                     limited && exchange_position_over(&position, limit));
}

void api_exposure_index(struct api_request *request, const char *id_text)
{
    (void)id_text;
    struct api_server *server = request->server;
    json_t *data = json_array();
    struct ledger_asset asset;
    for (uint32_t number = 1; api_assets_by_number(&server->assets, number, &asset); number++) {
        (void)json_array_append_new(data, exposure_json(server, &asset));
    }
    api_reply_json(request, 200, api_list_json("/v1/exposure", data, false));
}

void api_exposure_after_conversion(struct api_server *server, const struct exchange_quote *quote)
{
    const struct fx_route *route = &quote->route;
    TPW_ASSERT(route->leg_count >= 1 && route->leg_count <= FX_ROUTE_LEGS_MAX);
    for (size_t k = 0; k <= route->leg_count; k++) {
        const char *code =
            k == route->leg_count ? route->legs[route->leg_count - 1].to : route->legs[k].from;
        struct exchange_position position;
        position_read(server, quote->assets[k], &position);
        api_rates_exposure_note(server->rates, code, &position);
    }
}
