/*
 * /v1/rates: the aggregated FX rates (docs/fx.md). GET /v1/rates lists every pair a
 * provider quotes, GET /v1/rates/{BASE}-{QUOTE} answers any pair the aggregator can
 * reach (as quoted, inverted or crossed through a pivot), POST /v1/rates feeds the
 * "manual" provider (admins and operators). Rates travel as exact decimal strings.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

#include "banned.h"

static json_t *rate_text(struct money_rate rate)
{
    char text[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_rate_format(rate, text, sizeof text);
    return json_string(text);
}

static json_t *rate_json(const struct fx_rate *rate)
{
    char as_of[TPW_CLOCK_UTC_TEXT_SIZE];
    (void)tpw_clock_format_utc_ms(rate->time_ns / 1000000u, as_of);
    json_t *object = json_pack(
        "{s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:I,s:I,s:o,s:b}", "object", "rate", "base", rate->base,
        "quote", rate->quote, "bid", rate_text(rate->bid), "ask", rate_text(rate->ask), "mid",
        rate_text(rate->mid), "status", fx_status_name(rate->status), "as_of", as_of,
        "providers_used", (json_int_t)rate->providers_used, "providers_rejected",
        (json_int_t)rate->providers_rejected, "via",
        rate->via[0] != '\0' ? json_string(rate->via) : json_null(), "inverted", rate->inverted);
    return object;
}

void api_rates_index(struct api_request *request, const char *id_text)
{
    (void)id_text;
    struct fx_rate *list = NULL;
    size_t count = 0;
    if (api_rates_list(request->server->rates, &list, &count) != TPW_OK) {
        api_reply_error(request, TPW_ERR_NOMEM, NULL);
        return;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < count; i++) {
        (void)json_array_append_new(data, rate_json(&list[i]));
    }
    free(list);
    api_reply_json(request, 200, api_list_json("/v1/rates", data, false));
}

/* "EUR-USD" → "EUR", "USD" (codes never hold a '-'); the aggregator checks the codes. */
static bool pair_split(const char *text, char base[FX_CODE_SIZE], char quote[FX_CODE_SIZE])
{
    const char *dash = strchr(text, '-');
    if (dash == NULL || dash == text || (size_t)(dash - text) >= FX_CODE_SIZE ||
        strlen(dash + 1) >= FX_CODE_SIZE) {
        return false;
    }
    memcpy(base, text, (size_t)(dash - text));
    base[dash - text] = '\0';
    memcpy(quote, dash + 1, strlen(dash + 1) + 1);
    return true;
}

void api_rate_get(struct api_request *request, const char *id_text)
{
    char base[FX_CODE_SIZE];
    char quote[FX_CODE_SIZE];
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_error_set_param(&detail, "pair");
    if (!pair_split(id_text, base, quote)) {
        (void)tpw_error_set(&detail, TPW_ERR_FX_QUOTE_INVALID, 0,
                            "a pair is BASE-QUOTE, e.g. EUR-USD");
        api_reply_error(request, TPW_ERR_FX_QUOTE_INVALID, &detail);
        return;
    }
    struct fx_rate rate;
    enum tpw_err err = api_rates_get(request->server->rates, base, quote, &rate, &detail);
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
        return;
    }
    api_reply_json(request, 200, rate_json(&rate));
}

static enum tpw_err code_field(json_t *body, const char *field, char out[FX_CODE_SIZE],
                               struct tpw_error_detail *detail)
{
    const char *text = NULL;
    enum tpw_err err = api_body_string(body, field, true, &text, detail);
    if (err == TPW_OK && !money_asset_code_valid(text, strlen(text))) {
        tpw_error_set_param(detail, field);
        err = tpw_error_set(detail, TPW_ERR_ASSET_CODE_INVALID, 0,
                            "\"%s\": not an asset code (2 to 8 of A-Z and 0-9)", field);
    }
    if (err == TPW_OK) {
        memcpy(out, text, strlen(text) + 1);
    }
    return err;
}

static enum tpw_err rate_field(json_t *body, const char *field, struct money_rate *out,
                               struct tpw_error_detail *detail)
{
    const char *text = NULL;
    enum tpw_err err = api_body_string(body, field, true, &text, detail);
    if (err == TPW_OK) {
        tpw_error_set_param(detail, field);
        err = money_rate_parse(text, strlen(text), out, detail);
    }
    return err;
}

/* {"base","quote","rate"} (no spread) or {"base","quote","bid","ask"}. */
static enum tpw_err manual_quote_parse(json_t *body, struct fx_quote *out,
                                       struct tpw_error_detail *detail)
{
    static const char *const known[] = {"base", "quote", "rate", "bid", "ask"};
    enum tpw_err err = api_check_fields(body, known, sizeof known / sizeof known[0], detail);
    if (err == TPW_OK) {
        err = code_field(body, "base", out->base, detail);
    }
    if (err == TPW_OK) {
        err = code_field(body, "quote", out->quote, detail);
    }
    if (err != TPW_OK) {
        return err;
    }
    bool single = json_object_get(body, "rate") != NULL;
    if (single && (json_object_get(body, "bid") != NULL || json_object_get(body, "ask") != NULL)) {
        tpw_error_set_param(detail, "rate");
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                             "give either \"rate\" or \"bid\" and \"ask\", not both");
    }
    if (single) {
        err = rate_field(body, "rate", &out->bid, detail);
        out->ask = out->bid;
        return err;
    }
    err = rate_field(body, "bid", &out->bid, detail);
    return err != TPW_OK ? err : rate_field(body, "ask", &out->ask, detail);
}

void api_rates_create(struct api_request *request, const char *id_text)
{
    (void)id_text;
    json_t *body = api_body_object(request);
    if (body == NULL) {
        return;
    }
    struct fx_quote quote = {0};
    struct fx_rate rate;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = manual_quote_parse(body, &quote, &detail);
    json_decref(body);
    if (err == TPW_OK) {
        tpw_error_set_param(&detail, NULL); /* the aggregator's refusals are the quote's */
        err = api_rates_set_manual(request->server->rates, &quote, request->principal.key_id, &rate,
                                   &detail);
    }
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
        return;
    }
    api_reply_json(request, 201, rate_json(&rate));
}
