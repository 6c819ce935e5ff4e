/*
 * POST /v1/quotes and POST /v1/conversions (docs/api.md, "Quotes and conversions"): a
 * conversion priced on the fresh rates and locked for fx_quote_ttl_s, then executed as
 * one linked ledger group through the group committer (src/exchange builds it). Checks
 * the ledger would make anyway but that would spend the quote — accounts missing, in
 * the wrong asset, without the funds — are made here first, so a mistake leaves the
 * quote usable until it expires.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "tpwallet/id.h"
#include "tpw_assert.h"

#include "banned.h"

#define QUOTE_ID_PREFIX "fxq"

static json_t *time_json(uint64_t time_ns)
{
    char text[TPW_CLOCK_UTC_TEXT_SIZE];
    (void)tpw_clock_format_utc_ms(time_ns / 1000000u, text);
    return json_string(text);
}

/* The route's fields come from the printer `tpwallet fx route` shares (route_json.c). */
static json_t *quote_json(const struct exchange_quote *quote,
                          const struct fx_route_explanation *why)
{
    /* The quote locks the search's best route as it is: one route, printed from `why`. */
    TPW_ASSERT(quote->route.in_minor == why->best.in_minor);
    TPW_ASSERT(quote->route.out_minor == why->best.out_minor);
    char id[TPW_ID_TEXT_SIZE];
    (void)tpw_id_format(quote->id, QUOTE_ID_PREFIX, id, sizeof id);
    json_t *object = json_pack("{s:s,s:s}", "object", "quote", "id", id);
    if (object == NULL || !api_route_json_add(object, why, NULL, 0) ||
        json_object_set_new(object, "created_at", time_json(quote->created_ns)) != 0 ||
        json_object_set_new(object, "expires_at", time_json(quote->expires_ns)) != 0) {
        json_decref(object);
        return NULL;
    }
    return object;
}

/* A code the server's registry knows, into `out`. */
static enum tpw_err code_field(struct api_request *request, json_t *body, const char *field,
                               char out[FX_CODE_SIZE], struct tpw_error_detail *detail)
{
    const char *text = NULL;
    enum tpw_err err = api_body_string(body, field, true, &text, detail);
    const struct money_asset *asset = NULL;
    if (err == TPW_OK) {
        tpw_error_set_param(detail, field);
        err = money_registry_find(request->server->assets.registry, text, &asset, detail);
    }
    if (err == TPW_OK) {
        memcpy(out, asset->code, strlen(asset->code) + 1);
    }
    return err;
}

/* Exactly one of sell_amount and buy_amount, integer minor units. */
static enum tpw_err amount_fields(json_t *body, struct api_quote_request *ask,
                                  struct tpw_error_detail *detail)
{
    const char *sell = NULL;
    const char *buy = NULL;
    enum tpw_err err = api_body_string(body, "sell_amount", false, &sell, detail);
    if (err == TPW_OK) {
        err = api_body_string(body, "buy_amount", false, &buy, detail);
    }
    if (err == TPW_OK && (sell == NULL) == (buy == NULL)) {
        tpw_error_set_param(detail, "sell_amount");
        err = tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                            "give exactly one of \"sell_amount\" and \"buy_amount\"");
    }
    if (err == TPW_OK) {
        const char *text = sell != NULL ? sell : buy;
        TPW_ASSERT(text != NULL); /* exactly one was given */
        tpw_error_set_param(detail, sell != NULL ? "sell_amount" : "buy_amount");
        ask->direction = sell != NULL ? FX_ROUTE_SELL : FX_ROUTE_BUY;
        err = money_decimal_parse(text, strlen(text), 0, &ask->amount_minor, detail);
    }
    return err;
}

static enum tpw_err quote_request_parse(struct api_request *request, json_t *body,
                                        struct api_quote_request *ask,
                                        struct tpw_error_detail *detail)
{
    static const char *const known[] = {"from", "to", "sell_amount", "buy_amount"};
    enum tpw_err err = api_check_fields(body, known, sizeof known / sizeof known[0], detail);
    if (err == TPW_OK) {
        err = code_field(request, body, "from", ask->from, detail);
    }
    if (err == TPW_OK) {
        err = code_field(request, body, "to", ask->to, detail);
    }
    if (err == TPW_OK) {
        err = amount_fields(body, ask, detail);
    }
    bool user = request->principal.role == API_ROLE_USER;
    ask->owner = user ? request->principal.owner : 0;
    return err;
}

void api_quotes_create(struct api_request *request, const char *id_text)
{
    (void)id_text;
    json_t *body = api_body_object(request);
    if (body == NULL) {
        return;
    }
    struct api_quote_request ask = {0};
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = quote_request_parse(request, body, &ask, &detail);
    json_decref(body);
    struct exchange_quote quote;
    struct fx_route_explanation why;
    if (err == TPW_OK) {
        tpw_error_set_param(&detail, NULL);
        err = api_rates_quote(request->server->rates, request->server->assets.registry, &ask,
                              &quote, &why, &detail);
    }
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
        return;
    }
    api_reply_json(request, 201, quote_json(&quote, &why));
}

/* ---- conversions ---------------------------------------------------------------------- */

static void conversion_complete(struct api_write *write)
{
    struct api_request *request = api_request_of(write);
    struct api_rates *rates = request->server->rates;
    if (write->err != TPW_OK) {
        api_rates_quote_release(rates, write->quote.id, false);
        api_reply_error(request, write->err, &write->detail);
        return;
    }
    bool spent = false;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err =
        exchange_results_check(write->transfer_results, write->count, &spent, &detail);
    api_rates_quote_release(rates, write->quote.id, spent);
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
        return;
    }
    api_exposure_after_conversion(request->server, &write->quote);
    const struct fx_route *route = &write->quote.route;
    char quote_id[TPW_ID_TEXT_SIZE];
    (void)tpw_id_format(write->quote.id, QUOTE_ID_PREFIX, quote_id, sizeof quote_id);
    json_t *transfers = json_array();
    for (size_t i = 0; i < write->count; i++) {
        (void)json_array_append_new(transfers, api_id_json(write->transfers[i].id, "tr"));
    }
    api_reply_json(request, 201,
                   json_pack("{s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:o,s:o}", "object", "conversion",
                             "quote_id", quote_id, "debit_account_id",
                             api_id_json(write->debit_account_id, "acct"), "credit_account_id",
                             api_id_json(write->credit_account_id, "acct"), "from",
                             route->legs[0].from, "to", route->legs[route->leg_count - 1].to,
                             "amount_in", api_u128_json(route->in_minor), "amount_out",
                             api_u128_json(route->out_minor), "transfers", transfers));
}

struct conversion_ask {
    tpw_u128 quote_id;
    tpw_u128 debit_account_id;
    tpw_u128 credit_account_id;
};

static bool conversion_parse(struct api_request *request, json_t *body, struct conversion_ask *ask)
{
    static const char *const known[] = {"quote_id", "debit_account_id", "credit_account_id"};
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    const char *quote = NULL;
    const char *debit = NULL;
    const char *credit = NULL;
    enum tpw_err err = api_check_fields(body, known, sizeof known / sizeof known[0], &detail);
    if (err == TPW_OK) {
        err = api_body_string(body, "quote_id", true, &quote, &detail);
    }
    if (err == TPW_OK) {
        err = api_body_string(body, "debit_account_id", true, &debit, &detail);
    }
    if (err == TPW_OK) {
        err = api_body_string(body, "credit_account_id", true, &credit, &detail);
    }
    if (err == TPW_OK && quote != NULL) { /* required: set when TPW_OK */
        tpw_error_set_param(&detail, "quote_id");
        err = tpw_id_parse(quote, strlen(quote), QUOTE_ID_PREFIX, &ask->quote_id, &detail);
    }
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
        return false;
    }
    TPW_ASSERT(quote != NULL && debit != NULL && credit != NULL); /* required fields */
    return api_parse_id(request, debit, "debit_account_id", &ask->debit_account_id) &&
           api_parse_id(request, credit, "credit_account_id", &ask->credit_account_id);
}

/* The ledger's number of the route's currency at `index` (0: the input, leg_count: the
 * output); false when no account can hold it yet (the ledger does not know it). */
static bool route_asset(struct api_server *server, const struct fx_route *route, size_t index,
                        uint32_t *number)
{
    TPW_ASSERT(route->leg_count >= 1 && route->leg_count <= FX_ROUTE_LEGS_MAX);
    TPW_ASSERT(index <= route->leg_count);
    const char *code =
        index == route->leg_count ? route->legs[route->leg_count - 1].to : route->legs[index].from;
    struct ledger_asset asset;
    if (!api_assets_by_code(&server->assets, code, &asset)) {
        return false;
    }
    *number = asset.number;
    return true;
}

static enum tpw_err account_asset_fit(struct api_server *server,
                                      const struct ledger_account *account,
                                      const struct fx_route *route, bool debit,
                                      struct tpw_error_detail *detail)
{
    uint32_t asset = 0;
    size_t index = debit ? 0 : route->leg_count;
    if (!route_asset(server, route, index, &asset) || account->asset != asset) {
        tpw_error_set_param(detail, debit ? "debit_account_id" : "credit_account_id");
        return tpw_error_set(detail, TPW_ERR_EXCHANGE_ACCOUNT_ASSET, 0,
                             "the %s account does not hold %s", debit ? "debit" : "credit",
                             debit ? route->legs[0].from : route->legs[route->leg_count - 1].to);
    }
    return TPW_OK;
}

/* Without funds the ledger would refuse and pin the ids: the quote would be spent. */
static enum tpw_err account_funds_fit(const struct ledger_account *account,
                                      const struct fx_route *route, struct tpw_error_detail *detail)
{
    bool limited = (account->flags & LEDGER_ACCOUNT_DEBITS_MUST_NOT_EXCEED_CREDITS) != 0;
    tpw_u128 debits = 0;
    tpw_u128 room = 0;
    /* Sums past 2^128 saturate: only the ledger's own check decides those. */
    if (money_amount_add(account->debits_posted, account->debits_pending, &debits) != TPW_OK) {
        debits = TPW_U128_MAX;
    }
    if (money_amount_add(account->credits_posted, account->overdraft_limit, &room) != TPW_OK) {
        room = TPW_U128_MAX;
    }
    if (limited && (debits > room || room - debits < route->in_minor)) {
        tpw_error_set_param(detail, "debit_account_id");
        return tpw_error_set(detail, TPW_ERR_EXCHANGE_INSUFFICIENT_FUNDS, 0,
                             "the debit account cannot pay the quote's amount");
    }
    return TPW_OK;
}

/* Everything checked before the quote goes to the ledger; false after replying (the
 * quote is then released, unspent). */
static bool conversion_check(struct api_request *request, const struct conversion_ask *ask,
                             const struct exchange_quote *quote)
{
    struct api_server *server = request->server;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    bool user = request->principal.role == API_ROLE_USER;
    if (user && quote->owner != request->principal.owner) {
        api_reply_error(request, TPW_ERR_EXCHANGE_QUOTE_UNKNOWN, NULL); /* not another's */
        return false;
    }
    struct ledger_account debit;
    if (!api_account_read(request, ask->debit_account_id, "debit_account_id", &debit)) {
        return false;
    }
    struct ledger_account credit;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    enum tpw_err err = ledger_account_get(server->ledger, ask->credit_account_id, &credit);
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    if (err != TPW_OK) {
        api_reply_error_param(request, TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND, "credit_account_id");
        return false;
    }
    err = account_asset_fit(server, &debit, &quote->route, true, &detail);
    if (err == TPW_OK) {
        err = account_asset_fit(server, &credit, &quote->route, false, &detail);
    }
    if (err == TPW_OK) {
        err = account_funds_fit(&debit, &quote->route, &detail);
    }
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
        return false;
    }
    return true;
}

void api_conversions_create(struct api_request *request, const char *id_text)
{
    (void)id_text;
    json_t *body = api_body_object(request);
    if (body == NULL) {
        return;
    }
    struct conversion_ask ask = {0};
    bool parsed = conversion_parse(request, body, &ask);
    json_decref(body);
    struct api_write *write = &request->write;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (!parsed) {
        return;
    }
    enum tpw_err err =
        api_rates_quote_take(request->server->rates, ask.quote_id, &write->quote, &detail);
    if (err != TPW_OK) {
        tpw_error_set_param(&detail, "quote_id");
        api_reply_error(request, err, &detail);
        return;
    }
    write->transfers = calloc(EXCHANGE_TRANSFERS_MAX, sizeof *write->transfers);
    write->transfer_results = calloc(EXCHANGE_TRANSFERS_MAX, sizeof *write->transfer_results);
    if (write->transfers == NULL || write->transfer_results == NULL) {
        api_rates_quote_release(request->server->rates, ask.quote_id, false);
        api_reply_error(request, TPW_ERR_NOMEM, NULL);
        return;
    }
    if (!conversion_check(request, &ask, &write->quote)) {
        api_rates_quote_release(request->server->rates, ask.quote_id, false);
        return;
    }
    write->kind = API_WRITE_CONVERSION;
    write->debit_account_id = ask.debit_account_id;
    write->credit_account_id = ask.credit_account_id;
    write->complete = conversion_complete;
    write->release = api_request_release;
    api_request_submit(request);
}
