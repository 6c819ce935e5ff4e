/*
 * /v1/portfolios (docs/api.md, "Portfolios"): create, list, get. A portfolio is an
 * owner's ledger accounts in any assets (its holdings), each with an exact target weight
 * (the targets sum to exactly 1) and a band, valued in a base currency. Creating one is
 * a journalled event (routes_portfolios_store.c) written by the group committer, so an
 * Idempotency-Key works as for transfers; every refusal is a 400 naming its field, and
 * stores nothing.
 *
 * GET values it live, exactly as GET /v1/map does: each holding's balance (posted
 * credits − debits) at its asset's valuation rate in the base (valuation.c), rounded
 * down, through exchange_valuation_of — the weights, drifts and bands are those the
 * rebalance (routes_portfolios_rebalance.c) plans with.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "tpw_assert.h"
#include "tpwallet/id.h"

#include "banned.h"

/* Without a band, a holding may drift 5 percentage points (the CLI's default). */
#define BAND_DEFAULT_E18 (PORTFOLIO_WEIGHT_ONE_E18 / 20u)
#define PARAM_SIZE 48

/* ---- the live state ----------------------------------------------------------------- */

/* A holding's band as exchange_rebalance_plan takes it: absolute drift. */
static uint64_t band_absolute(const struct api_portfolio *p, size_t i)
{
    const struct api_portfolio_holding *h = &p->holdings[i];
    if (p->drift != API_DRIFT_RELATIVE) {
        return h->band_e18;
    }
    tpw_u128 band = 0;
    enum tpw_err err =
        money_muldiv(h->target_e18, h->band_e18, PORTFOLIO_WEIGHT_ONE_E18, MONEY_ROUND_DOWN, &band);
    TPW_ASSERT(err == TPW_OK && band <= PORTFOLIO_WEIGHT_ONE_E18); /* both ≤ 1 */
    return (uint64_t)band;
}

/* Holding i's balance and asset from the ledger. */
static enum tpw_err holding_read(struct api_server *server, const struct api_portfolio *p, size_t i,
                                 struct exchange_holding *out, struct tpw_error_detail *detail)
{
    struct ledger_account account;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    enum tpw_err err = ledger_account_get(server->ledger, p->holdings[i].account_id, &account);
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    struct ledger_asset asset;
    const struct money_asset *money = NULL;
    if (err != TPW_OK || !api_assets_by_number(&server->assets, account.asset, &asset) ||
        money_registry_find(server->assets.registry, asset.code, &money, NULL) != TPW_OK) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ACCOUNT_UNKNOWN, i,
                             "holding %zu: its account or its asset is gone", i);
    }
    if (account.credits_posted < account.debits_posted) {
        return tpw_error_set(detail, TPW_ERR_REBALANCE_INVALID, i,
                             "holding %zu owes more than it holds (debits above credits)", i);
    }
    *out = (struct exchange_holding){
        .account_id = account.id,
        .asset = *money,
        .balance_minor = account.credits_posted - account.debits_posted,
        .target_e18 = p->holdings[i].target_e18,
        .band_e18 = band_absolute(p, i),
    };
    return TPW_OK;
}

enum tpw_err api_portfolio_state_read(struct api_server *server, const struct api_portfolio *p,
                                      struct api_portfolio_state *out,
                                      struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof *out);
    out->base_index = p->count;
    enum tpw_err err = TPW_OK;
    for (size_t i = 0; err == TPW_OK && i < p->count; i++) {
        struct exchange_holding *h = &out->holdings[i];
        err = holding_read(server, p, i, h, detail);
        if (err == TPW_OK && out->base_index == p->count && strcmp(h->asset.code, p->base) == 0) {
            out->base_index = i;
        }
        if (err == TPW_OK &&
            api_value_rate_get(server->rates, h->asset.code, p->base, &out->rates[i]) != TPW_OK) {
            err = tpw_error_set(detail, TPW_ERR_FX_PAIR_UNKNOWN, i,
                                "holding %zu: no rate values %s in %s", i, h->asset.code, p->base);
        }
        h->to_base = out->rates[i].mid;
    }
    if (err == TPW_OK && out->base_index == p->count) {
        err = tpw_error_set(detail, TPW_ERR_PORTFOLIO_NO_BASE_HOLDING, 0,
                            "no holding is in the base %s", p->base);
    }
    tpw_error_set_param(detail, "holdings");
    return err;
}

/* ---- JSON --------------------------------------------------------------------------- */

json_t *api_weight_json(uint64_t value_e18)
{
    char text[64];
    (void)money_rate_format((struct money_rate){.value_e18 = value_e18}, text, sizeof text);
    return json_string(text);
}

json_t *api_minor_decimal_set(json_t *object, const char *key, const struct money_asset *asset,
                              tpw_u128 minor)
{
    char decimal_key[48];
    char text[MONEY_DECIMAL_TEXT_SIZE];
    (void)snprintf(decimal_key, sizeof decimal_key, "%s_decimal", key);
    (void)money_amount_format(asset, minor, text, sizeof text);
    (void)json_object_set_new(object, key, api_u128_json(minor));
    (void)json_object_set_new(object, decimal_key, json_string(text));
    return object;
}

/* Holding i's live fields, added to its definition object. */
static void holding_live_set(json_t *object, const struct api_portfolio_state *state,
                             const struct exchange_valuation *valuation, size_t i)
{
    const struct exchange_holding *h = &state->holdings[i];
    const struct money_asset *base = &state->holdings[state->base_index].asset;
    char rate[64];
    (void)money_rate_format(h->to_base, rate, sizeof rate);
    (void)json_object_set_new(object, "asset", json_string(h->asset.code));
    (void)api_minor_decimal_set(object, "balance", &h->asset, h->balance_minor);
    (void)json_object_set_new(object, "rate", json_string(rate));
    (void)json_object_set_new(object, "rate_status",
                              json_string(fx_status_name(state->rates[i].status)));
    (void)api_minor_decimal_set(object, "value", base, valuation->value_minor[i]);
    (void)json_object_set_new(object, "weight", api_weight_json(valuation->weight_e18[i]));
    (void)json_object_set_new(object, "drift", api_weight_json(valuation->drift_e18[i]));
    (void)json_object_set_new(object, "band_absolute", api_weight_json(h->band_e18));
    (void)json_object_set_new(object, "inside_band",
                              json_boolean(valuation->drift_e18[i] <= h->band_e18));
}

json_t *api_valuation_json(const struct api_portfolio_state *state, size_t count,
                           const struct exchange_valuation *valuation)
{
    const struct money_asset *base = &state->holdings[state->base_index].asset;
    enum fx_status status = FX_STATUS_FRESH;
    for (size_t i = 0; i < count; i++) {
        status = state->rates[i].status > status ? state->rates[i].status : status;
    }
    json_t *object = json_pack("{s:s,s:b}", "status", fx_status_name(status), "outside_band",
                               valuation->outside_band);
    return api_minor_decimal_set(object, "total", base, valuation->total_minor);
}

/* The definition, and its live valuation (or why there is none). */
static json_t *portfolio_json(struct api_server *server, const struct api_portfolio *p)
{
    json_t *object = api_portfolio_definition_json(p);
    if (object == NULL || json_object_set_new(object, "object", json_string("portfolio")) != 0) {
        json_decref(object);
        return NULL;
    }
    struct api_portfolio_state *state = calloc(1, sizeof *state);
    struct exchange_valuation valuation;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err =
        state == NULL ? TPW_ERR_NOMEM : api_portfolio_state_read(server, p, state, &detail);
    if (err == TPW_OK) {
        err = exchange_valuation_of(state->holdings, p->count, state->base_index, &valuation,
                                    &detail);
    }
    json_t *holdings = json_object_get(object, "holdings");
    for (size_t i = 0; err == TPW_OK && i < p->count; i++) {
        holding_live_set(json_array_get(holdings, i), state, &valuation, i);
    }
    (void)json_object_set_new(object, "valuation",
                              err == TPW_OK ? api_valuation_json(state, p->count, &valuation)
                                            : json_null());
    (void)json_object_set_new(object, "valuation_error",
                              err == TPW_OK ? json_null()
                                            : json_pack("{s:s,s:s}", "code", tpw_err_api_code(err),
                                                        "message", detail.message));
    free(state);
    return object;
}

/* The portfolio of the path's id a caller may see; false after replying 400/404. */
bool api_portfolio_find(struct api_request *request, const char *id_text, struct api_portfolio *out)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_error_set_param(&detail, "id");
    tpw_u128 id = 0;
    enum tpw_err err = tpw_id_parse(id_text, strlen(id_text), API_PORTFOLIO_PREFIX, &id, &detail);
    if (err == TPW_OK && (!api_portfolios_get(request->server->portfolios, id, out) ||
                          !api_visible(request, out->owner))) {
        err = tpw_error_set(&detail, TPW_ERR_PORTFOLIO_NOT_FOUND, 0, "no such portfolio");
    }
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
        return false;
    }
    return true;
}

void api_portfolio_get(struct api_request *request, const char *id_text)
{
    struct api_portfolio portfolio;
    if (api_portfolio_find(request, id_text, &portfolio)) {
        api_reply_json(request, 200, portfolio_json(request->server, &portfolio));
    }
}

void api_portfolios_list(struct api_request *request, const char *id_text)
{
    (void)id_text;
    size_t limit = 0;
    if (!api_query_limit(request, &limit)) {
        return;
    }
    tpw_u128 after = 0;
    const char *cursor = api_query(request, "starting_after");
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_error_set_param(&detail, "starting_after");
    if (cursor != NULL &&
        tpw_id_parse(cursor, strlen(cursor), API_PORTFOLIO_PREFIX, &after, &detail) != TPW_OK) {
        api_reply_error(request, detail.code, &detail);
        return;
    }
    struct api_visibility view;
    api_visibility_of(request, &view);
    struct api_portfolio *page = calloc(limit, sizeof *page);
    size_t count = 0;
    bool has_more = false;
    if (page == NULL) {
        api_reply_error(request, TPW_ERR_NOMEM, NULL);
        return;
    }
    if (!api_portfolios_page(request->server->portfolios, after, &view, page, limit, &count,
                             &has_more)) {
        free(page);
        api_reply_error_param(request, TPW_ERR_PORTFOLIO_NOT_FOUND, "starting_after");
        return;
    }
    json_t *data = json_array();
    for (size_t i = 0; data != NULL && i < count; i++) {
        (void)json_array_append_new(data, portfolio_json(request->server, &page[i]));
    }
    free(page);
    api_reply_json(request, 200, api_list_json("/v1/portfolios", data, has_more));
}

/* ---- create ------------------------------------------------------------------------- */

static enum tpw_err field_invalid(struct tpw_error_detail *detail, const char *param,
                                  const char *message)
{
    tpw_error_set_param(detail, param);
    return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "%s", message);
}

/* `field` of `body` as a weight (absent: `fallback`); errors name `param`. */
static enum tpw_err weight_field(json_t *body, const char *field, const char *param,
                                 uint64_t fallback, uint64_t *out, struct tpw_error_detail *detail)
{
    const char *text = NULL;
    enum tpw_err err = api_body_string(body, field, false, &text, detail);
    *out = fallback;
    tpw_error_set_param(detail, param);
    if (err == TPW_OK && text != NULL) {
        err = portfolio_weight_parse(text, strlen(text), out, detail);
    }
    return err;
}

/* One of two words (absent: the first); *second when it is the second. */
static enum tpw_err choice_field(json_t *body, const char *field, const char *first,
                                 const char *second, bool *is_second,
                                 struct tpw_error_detail *detail)
{
    const char *text = NULL;
    enum tpw_err err = api_body_string(body, field, false, &text, detail);
    *is_second = text != NULL && strcmp(text, second) == 0;
    if (err == TPW_OK && text != NULL && !*is_second && strcmp(text, first) != 0) {
        tpw_error_set_param(detail, field);
        err = tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "\"%s\" is \"%s\" or \"%s\"",
                            field, first, second);
    }
    return err;
}

/* The holding's account: in the ledger, visible, the owner's, not listed before. */
static enum tpw_err account_check(struct api_request *request, const struct api_portfolio *p,
                                  size_t i, const char *param, struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, param);
    for (size_t k = 0; k < i; k++) {
        if (p->holdings[k].account_id == p->holdings[i].account_id) {
            return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ACCOUNT_DUPLICATE, 0,
                                 "holdings %zu and %zu name the same account", k, i);
        }
    }
    struct api_server *server = request->server;
    struct ledger_account account;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    enum tpw_err err = ledger_account_get(server->ledger, p->holdings[i].account_id, &account);
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    /* Another owner's account is unknown to a user key: existence must not leak. */
    if (err != TPW_OK || !api_visible(request, account.owner)) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ACCOUNT_UNKNOWN, 0,
                             "holding %zu: no such account", i);
    }
    if (account.owner != p->owner) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ACCOUNT_OWNER, 0,
                             "holding %zu: the account belongs to another owner", i);
    }
    struct ledger_asset asset;
    if (!api_assets_by_number(&server->assets, account.asset, &asset)) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ACCOUNT_UNKNOWN, 0,
                             "holding %zu: the account's asset is unknown here", i);
    }
    return TPW_OK;
}

/* holdings[i]: {"account_id", "target", "band"?}. */
static enum tpw_err holding_parse(struct api_request *request, json_t *item, uint64_t band_e18,
                                  struct api_portfolio *p, size_t i,
                                  struct tpw_error_detail *detail)
{
    static const char *const known[] = {"account_id", "target", "band"};
    char param[PARAM_SIZE];
    (void)snprintf(param, sizeof param, "holdings[%zu]", i);
    if (!json_is_object(item)) {
        return field_invalid(detail, param, "a holding is an object");
    }
    struct api_portfolio_holding *h = &p->holdings[i];
    const char *id = NULL;
    enum tpw_err err = api_check_fields(item, known, sizeof known / sizeof known[0], detail);
    (void)snprintf(param, sizeof param, "holdings[%zu].account_id", i);
    if (err == TPW_OK) {
        err = api_body_string(item, "account_id", true, &id, detail);
        tpw_error_set_param(detail, param);
    }
    if (err == TPW_OK && id != NULL) {
        err = tpw_id_parse(id, strlen(id), API_ACCOUNT_PREFIX, &h->account_id, detail);
    }
    if (err == TPW_OK) {
        err = account_check(request, p, i, param, detail);
    }
    (void)snprintf(param, sizeof param, "holdings[%zu].target", i);
    if (err == TPW_OK && json_object_get(item, "target") == NULL) {
        err = field_invalid(detail, param, "\"target\": required");
    }
    if (err == TPW_OK) {
        err = weight_field(item, "target", param, 0, &h->target_e18, detail);
    }
    (void)snprintf(param, sizeof param, "holdings[%zu].band", i);
    if (err == TPW_OK) {
        err = weight_field(item, "band", param, band_e18, &h->band_e18, detail);
    }
    return err;
}

/* The holdings: 1..16, each valid, the targets summing to exactly 1, one in the base. */
static enum tpw_err holdings_parse(struct api_request *request, json_t *list, uint64_t band_e18,
                                   struct api_portfolio *p, struct tpw_error_detail *detail)
{
    size_t count = json_array_size(list);
    if (!json_is_array(list) || count == 0 || count > EXCHANGE_HOLDINGS_MAX) {
        return field_invalid(detail, "holdings", "\"holdings\" is an array of 1 to 16 holdings");
    }
    uint64_t sum_e18 = 0;
    enum tpw_err err = TPW_OK;
    for (size_t i = 0; err == TPW_OK && i < count; i++) {
        err = holding_parse(request, json_array_get(list, i), band_e18, p, i, detail);
        sum_e18 += p->holdings[i].target_e18; /* ≤ 16 × 10^18 < 2^64 */
        p->count = i + 1;
    }
    if (err == TPW_OK && sum_e18 != PORTFOLIO_WEIGHT_ONE_E18) {
        tpw_error_set_param(detail, "holdings");
        err = tpw_error_set(detail, TPW_ERR_PORTFOLIO_WEIGHTS_SUM, 0,
                            "the targets sum to %llu × 10^-18, not exactly 1",
                            (unsigned long long)sum_e18);
    }
    return err;
}

/* One holding must be in the base: it is the one every trade goes through. */
static enum tpw_err base_holding_check(struct api_request *request, const struct api_portfolio *p,
                                       struct tpw_error_detail *detail)
{
    struct api_server *server = request->server;
    for (size_t i = 0; i < p->count; i++) {
        struct ledger_account account;
        struct ledger_asset asset;
        TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
        enum tpw_err err = ledger_account_get(server->ledger, p->holdings[i].account_id, &account);
        TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
        if (err == TPW_OK && api_assets_by_number(&server->assets, account.asset, &asset) &&
            strcmp(asset.code, p->base) == 0) {
            return TPW_OK;
        }
    }
    tpw_error_set_param(detail, "base");
    return tpw_error_set(detail, TPW_ERR_PORTFOLIO_NO_BASE_HOLDING, 0,
                         "no holding is in the base %s: the base holding is the one every trade "
                         "goes through",
                         p->base);
}

/* name, base and owner. */
static enum tpw_err header_parse(struct api_request *request, json_t *body, struct api_portfolio *p,
                                 struct tpw_error_detail *detail)
{
    const char *name = NULL;
    const char *base = NULL;
    const char *owner = NULL;
    const struct money_asset *asset = NULL;
    enum tpw_err err = api_body_string(body, "name", true, &name, detail);
    if (err == TPW_OK &&
        (name == NULL || name[0] == '\0' || strlen(name) > API_PORTFOLIO_NAME_MAX)) {
        err = field_invalid(detail, "name", "\"name\" is 1 to 64 bytes");
    }
    if (err == TPW_OK) {
        err = api_body_string(body, "base", true, &base, detail);
    }
    if (err == TPW_OK && base != NULL) {
        tpw_error_set_param(detail, "base");
        err = money_registry_find(request->server->assets.registry, base, &asset, detail);
    }
    if (err == TPW_OK) {
        err = api_body_string(body, "owner", false, &owner, detail);
    }
    if (err == TPW_OK && owner != NULL) {
        tpw_error_set_param(detail, "owner");
        err = tpw_id_parse(owner, strlen(owner), NULL, &p->owner, detail);
    }
    bool user = request->principal.role == API_ROLE_USER;
    if (err == TPW_OK && user && owner == NULL) {
        p->owner = request->principal.owner;
    }
    if (err == TPW_OK && user && p->owner != request->principal.owner) {
        tpw_error_set_param(detail, "owner");
        err = tpw_error_set(detail, TPW_ERR_API_PERMISSION_DENIED, 0,
                            "a user key makes portfolios for its own owner only");
    }
    if (err == TPW_OK && p->owner == 0) {
        err = field_invalid(detail, "owner", "\"owner\": required (the accounts' owner)");
    }
    if (err == TPW_OK) {
        (void)snprintf(p->name, sizeof p->name, "%s", name);
        (void)snprintf(p->base, sizeof p->base, "%s", asset->code);
    }
    return err;
}

static enum tpw_err portfolio_parse(struct api_request *request, json_t *body,
                                    struct api_portfolio *p, struct tpw_error_detail *detail)
{
    static const char *const known[] = {"name",  "owner",       "base",    "band",
                                        "drift", "destination", "holdings"};
    memset(p, 0, sizeof *p);
    bool relative = false;
    bool band_edge = false;
    uint64_t band_e18 = 0;
    enum tpw_err err = api_check_fields(body, known, sizeof known / sizeof known[0], detail);
    if (err == TPW_OK) {
        err = header_parse(request, body, p, detail);
    }
    if (err == TPW_OK) {
        err = choice_field(body, "drift", "absolute", "relative", &relative, detail);
    }
    if (err == TPW_OK) {
        err = choice_field(body, "destination", "target", "band_edge", &band_edge, detail);
    }
    if (err == TPW_OK) {
        err = weight_field(body, "band", "band", BAND_DEFAULT_E18, &band_e18, detail);
    }
    if (err == TPW_OK) {
        err = holdings_parse(request, json_object_get(body, "holdings"), band_e18, p, detail);
    }
    if (err == TPW_OK) {
        err = base_holding_check(request, p, detail);
    }
    p->drift = relative ? API_DRIFT_RELATIVE : API_DRIFT_ABSOLUTE;
    p->destination = band_edge ? EXCHANGE_TO_BAND_EDGE : EXCHANGE_TO_TARGET;
    return err;
}

/* The committer's thread: the created event, then the portfolio is kept. */
static enum tpw_err create_run(struct api_write *write)
{
    struct api_request *request = api_request_of(write);
    return api_portfolios_add(request->server->portfolios, write->context, &write->detail);
}

static void create_complete(struct api_write *write)
{
    struct api_request *request = api_request_of(write);
    struct api_portfolio *portfolio = write->context;
    if (write->err != TPW_OK) {
        api_reply_error(request, write->err, &write->detail);
    } else {
        json_t *object = api_portfolio_definition_json(portfolio);
        (void)json_object_set_new(object, "object", json_string("portfolio"));
        api_reply_json(request, 201, object);
    }
    free(portfolio);
    write->context = NULL;
}

void api_portfolios_create(struct api_request *request, const char *id_text)
{
    (void)id_text;
    json_t *body = api_body_object(request);
    if (body == NULL) {
        return;
    }
    struct api_portfolio *portfolio = calloc(1, sizeof *portfolio);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err =
        portfolio == NULL ? TPW_ERR_NOMEM : portfolio_parse(request, body, portfolio, &detail);
    json_decref(body);
    if (err != TPW_OK) {
        free(portfolio);
        api_reply_error(request, err, &detail);
        return;
    }
    portfolio->id = api_portfolios_new_id(request->server->portfolios);
    struct tpw_clock clock = tpw_clock_system();
    portfolio->created_ns = tpw_clock_now_ns(&clock);
    api_record_submit(request, portfolio, create_run, create_complete);
}

void api_record_submit(struct api_request *request, void *context,
                       enum tpw_err (*run)(struct api_write *write),
                       void (*complete)(struct api_write *write))
{
    struct api_write *write = &request->write;
    write->kind = API_WRITE_RECORD;
    write->context = context;
    write->run = run;
    write->complete = complete;
    write->release = api_request_release;
    api_request_submit(request);
}
