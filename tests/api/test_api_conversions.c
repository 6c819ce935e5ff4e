/*
 * POST /v1/quotes and POST /v1/conversions end to end: a real server on 127.0.0.1,
 * libcurl, manual rates (EUR/USD, USD/TWD and a wide EUR/TWD), accounts over HTTP. A
 * quote through USD beats the direct pair and its conversion moves exactly the quoted
 * amounts; then each refusal — bad input, an unknown pair, a stale pair, an expired,
 * unknown, reused quote, an account in the wrong asset, insufficient funds — has its
 * own code and leaves the balances as they were; the checks made before the ledger
 * leave the quote usable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_client.h"
#include "tpw_test.h"

#include "banned.h"

static int setup_with(void **state, struct api_server_options options)
{
    struct api_fixture *api = calloc(1, sizeof *api);
    assert_non_null(api);
    api_fixture_start(api, options);
    *state = api;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, (struct api_server_options){.fx_quote_ttl_s = 2});
}

static int setup_stale(void **state)
{
    return setup_with(state, (struct api_server_options){.fx_manual_ttl_s = 1});
}

static void post_ok(struct api_fixture *api, const char *path, const char *body, long status)
{
    struct api_response r;
    long got = api_json(api, "POST", path, body, &r);
    if (got != status) {
        fail_msg("POST %s %s: %ld (%s)", path, body, got, r.text != NULL ? r.text : "");
    }
    api_response_free(&r);
}

/* Rates, and accounts: 1 EUR equity, 2 EUR (1000.00, limited), 3 TWD, 4 USD. */
static void market(struct api_fixture *api)
{
    post_ok(api, "/v1/rates",
            "{\"base\":\"EUR\",\"quote\":\"USD\",\"bid\":\"1.1680\",\"ask\":\"1.1690\"}", 201);
    post_ok(api, "/v1/rates",
            "{\"base\":\"USD\",\"quote\":\"TWD\",\"bid\":\"32.10\",\"ask\":\"32.20\"}", 201);
    post_ok(api, "/v1/rates", "{\"base\":\"EUR\",\"quote\":\"TWD\",\"bid\":\"35\",\"ask\":\"39\"}",
            201);
    post_ok(api, "/v1/accounts", "{\"id\":\"1\",\"asset\":\"EUR\",\"kind\":\"equity\"}", 201);
    post_ok(api, "/v1/accounts",
            "{\"id\":\"2\",\"asset\":\"EUR\",\"flags\":[\"debits_must_not_exceed_credits\"]}", 201);
    post_ok(api, "/v1/accounts", "{\"id\":\"3\",\"asset\":\"TWD\"}", 201);
    post_ok(api, "/v1/accounts", "{\"id\":\"4\",\"asset\":\"USD\"}", 201);
    post_ok(api, "/v1/transfers",
            "{\"id\":\"10\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
            "\"amount\":\"100000\",\"asset\":\"EUR\",\"code\":1}",
            201);
}

/* A quote's id, copied out of its reply. */
static void quote(struct api_fixture *api, const char *body, char id[64])
{
    struct api_response r;
    long status = api_json(api, "POST", "/v1/quotes", body, &r);
    if (status != 201) {
        fail_msg("POST /v1/quotes %s: %ld (%s)", body, status, r.text != NULL ? r.text : "");
    }
    (void)snprintf(id, 64, "%s", api_field(&r, "id"));
    api_response_free(&r);
}

static long convert(struct api_fixture *api, const char *quote_id, const char *debit,
                    const char *credit, struct api_response *r)
{
    char body[256];
    (void)snprintf(body, sizeof body,
                   "{\"quote_id\":\"%s\",\"debit_account_id\":\"%s\",\"credit_account_id\":\"%s\"}",
                   quote_id, debit, credit);
    return api_json(api, "POST", "/v1/conversions", body, r);
}

/* An account's balances as one text, for before/after comparisons. */
static void balances(struct api_fixture *api, const char *id, char out[256])
{
    char path[64];
    (void)snprintf(path, sizeof path, "/v1/accounts/%s", id);
    struct api_response r;
    assert_int_equal(api_json(api, "GET", path, NULL, &r), 200);
    (void)snprintf(out, 256, "%s/%s/%s/%s", api_field(&r, "debits_posted"),
                   api_field(&r, "credits_posted"), api_field(&r, "debits_pending"),
                   api_field(&r, "credits_pending"));
    api_response_free(&r);
}

/* 1000.00 EUR: via USD 1000.00 × 1.1680 = 1168.00 USD, × 32.10 = 37,492.80 TWD (TWD has
 * two decimals in ISO 4217), against 35,000.00 direct: a saving of 712 bps (down). */
static void test_quote_then_convert(void **state)
{
    struct api_fixture *api = *state;
    market(api);
    struct api_response r;
    assert_int_equal(api_json(api, "POST", "/v1/quotes",
                              "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"100000\"}", &r),
                     201);
    assert_string_equal(api_field(&r, "object"), "quote");
    assert_string_equal(api_field(&r, "amount_in"), "100000");
    assert_string_equal(api_field(&r, "amount_out"), "3749280");
    assert_string_equal(api_field(&r, "saving_bps"), "712");
    json_t *legs = json_object_get(r.body, "legs");
    assert_int_equal(json_array_size(legs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(legs, 0), "to")), "USD");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.body, "direct"), "amount_out")),
        "3500000");
    char id[64];
    (void)snprintf(id, sizeof id, "%s", api_field(&r, "id"));
    assert_int_equal(strncmp(id, "fxq_", 4), 0);
    api_response_free(&r);
    assert_int_equal(convert(api, id, "2", "3", &r), 201);
    assert_string_equal(api_field(&r, "object"), "conversion");
    assert_string_equal(api_field(&r, "amount_out"), "3749280");
    assert_int_equal(json_array_size(json_object_get(r.body, "transfers")), 2);
    api_response_free(&r);
    char after[256];
    balances(api, "2", after);
    assert_string_equal(after, "100000/100000/0/0");
    balances(api, "3", after);
    assert_string_equal(after, "0/3749280/0/0");
    /* Once only. */
    assert_int_equal(convert(api, id, "2", "3", &r), 409);
    assert_string_equal(api_field(&r, "error.code"), "quote_used");
    api_response_free(&r);
    /* A BUY: 100 TWD wanted; the least EUR that gets at least that. */
    quote(api, "{\"from\":\"EUR\",\"to\":\"TWD\",\"buy_amount\":\"100\"}", id);
}

static void refused(struct api_fixture *api, const char *id, const char *debit, const char *credit,
                    long status, const char *code)
{
    char before2[256], before3[256], after2[256], after3[256];
    balances(api, "2", before2);
    balances(api, "3", before3);
    struct api_response r;
    long got = convert(api, id, debit, credit, &r);
    if (got != status) {
        fail_msg("convert %s %s→%s: %ld (%s)", id, debit, credit, got, r.text ? r.text : "");
    }
    assert_string_equal(api_field(&r, "error.code"), code);
    api_response_free(&r);
    balances(api, "2", after2);
    balances(api, "3", after3);
    assert_string_equal(before2, after2);
    assert_string_equal(before3, after3);
}

static void test_conversion_refusals(void **state)
{
    struct api_fixture *api = *state;
    market(api);
    char id[64];
    quote(api, "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"200000\"}", id);
    /* Checked before the ledger: the quote stays usable. */
    refused(api, id, "2", "3", 422, "insufficient_funds");
    refused(api, id, "4", "3", 400, "account_asset_mismatch");
    refused(api, id, "2", "4", 400, "account_asset_mismatch");
    refused(api, id, "99", "3", 404, "account_not_found");
    refused(api, id, "2", "98", 404, "account_not_found");
    post_ok(api, "/v1/transfers",
            "{\"id\":\"11\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
            "\"amount\":\"100000\",\"asset\":\"EUR\",\"code\":1}",
            201);
    struct api_response r;
    assert_int_equal(convert(api, id, "2", "3", &r), 201);
    api_response_free(&r);
    refused(api, "fxq_00000000000000000000000000", "2", "3", 404, "quote_not_found");
    refused(api, "acct_00000000000000000000000001", "2", "3", 400, "id_prefix");
    /* Expiry (fx_quote_ttl_s 2 here). */
    quote(api, "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"100\"}", id);
    struct timespec pause = {.tv_sec = 2, .tv_nsec = 100000000};
    (void)nanosleep(&pause, NULL);
    refused(api, id, "2", "3", 410, "quote_expired");
}

static void quote_refused(struct api_fixture *api, const char *body, long status, const char *code)
{
    struct api_response r;
    long got = api_json(api, "POST", "/v1/quotes", body, &r);
    if (got != status) {
        fail_msg("POST /v1/quotes %s: %ld (%s)", body, got, r.text ? r.text : "");
    }
    assert_string_equal(api_field(&r, "error.code"), code);
    api_response_free(&r);
}

static void test_quote_refusals(void **state)
{
    struct api_fixture *api = *state;
    market(api);
    quote_refused(api, "{\"from\":\"EUR\",\"to\":\"TWD\"}", 400, "invalid_argument");
    quote_refused(api,
                  "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"1\",\"buy_amount\":\"1\"}",
                  400, "invalid_argument");
    quote_refused(api, "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":1}", 400,
                  "invalid_argument");
    quote_refused(api, "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"-1\"}", 400,
                  "decimal_sign");
    quote_refused(api, "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"1.5\"}", 400,
                  "decimal_precision");
    quote_refused(api, "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"1\",\"x\":1}", 400,
                  "invalid_argument");
    quote_refused(api, "{\"from\":\"XQX\",\"to\":\"TWD\",\"sell_amount\":\"1\"}", 400,
                  "asset_unknown");
    quote_refused(api, "{\"from\":\"EUR\",\"to\":\"EUR\",\"sell_amount\":\"100\"}", 400,
                  "fx_quote_invalid");
    quote_refused(api, "{\"from\":\"EUR\",\"to\":\"JPY\",\"sell_amount\":\"100\"}", 404,
                  "rate_unavailable");
    quote_refused(api, "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"0\"}", 422,
                  "fx_amount_too_small");
}

static void legs_check(struct api_fixture *api, const char *body, const char *first_pair,
                       const char *last_pair)
{
    struct api_response r;
    long status = api_json(api, "POST", "/v1/quotes", body, &r);
    if (status != 201) {
        fail_msg("POST /v1/quotes %s: %ld (%s)", body, status, r.text != NULL ? r.text : "");
    }
    json_t *legs = json_object_get(r.body, "legs");
    assert_int_equal(json_array_size(legs), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(legs, 0), "pair")),
                        first_pair);
    assert_string_equal(json_string_value(json_object_get(json_array_get(legs, 2), "pair")),
                        last_pair);
    api_response_free(&r);
}

/* BTC trades only against USDT: EUR → BTC is no pair, inverse or pivot cross of the
 * aggregator's, yet priced (EUR → USD → USDT → BTC, as the map values BTC), both ways
 * round; SOL, quoted only against BTC, is four legs from EUR: refused. */
static void test_quote_through_listed_pair(void **state)
{
    struct api_fixture *api = *state;
    market(api);
    post_ok(api, "/v1/rates", "{\"base\":\"USDT\",\"quote\":\"USD\",\"rate\":\"1\"}", 201);
    post_ok(api, "/v1/rates",
            "{\"base\":\"BTC\",\"quote\":\"USDT\",\"bid\":\"50000\",\"ask\":\"50010\"}", 201);
    post_ok(api, "/v1/rates", "{\"base\":\"SOL\",\"quote\":\"BTC\",\"rate\":\"0.002\"}", 201);
    legs_check(api, "{\"from\":\"EUR\",\"to\":\"BTC\",\"sell_amount\":\"100000\"}", "EUR/USD",
               "BTC/USDT");
    legs_check(api, "{\"from\":\"BTC\",\"to\":\"EUR\",\"sell_amount\":\"1000000\"}", "BTC/USDT",
               "EUR/USD");
    quote_refused(api, "{\"from\":\"EUR\",\"to\":\"SOL\",\"sell_amount\":\"100\"}", 404,
                  "rate_unavailable");
}

/* Manual rates fresh for 1 s: once the ticker has marked the pair stale, no quote. */
static void test_stale_pair(void **state)
{
    struct api_fixture *api = *state;
    market(api);
    long status = 0;
    for (int i = 0; i < 50 && status != 503; i++) { /* at most 5 s */
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 100000000};
        (void)nanosleep(&pause, NULL);
        struct api_response r;
        status = api_json(api, "POST", "/v1/quotes",
                          "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"100\"}", &r);
        if (status == 503) {
            assert_string_equal(api_field(&r, "error.code"), "rate_stale");
        }
        api_response_free(&r);
    }
    assert_int_equal(status, 503);
}

static int setup_limits(void **state)
{
    return setup_with(state,
                      (struct api_server_options){.fx_exposure_limits = "EUR=50000,TWD=100000000"});
}

/* A conversion that takes the EUR pool past its limit raises one alert (and not again
 * while it stays over); GET /v1/exposure shows each position and its limit. */
static void test_exposure(void **state)
{
    struct api_fixture *api = *state;
    market(api);
    char id[64];
    quote(api, "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"40000\"}", id);
    struct api_response r;
    assert_int_equal(convert(api, id, "2", "3", &r), 201);
    api_response_free(&r);
    assert_int_equal(api_json(api, "GET", "/metrics", NULL, &r), 200);
    assert_non_null(strstr(r.text, "tpwallet_fx_exposure_alerts_total 0\n"));
    api_response_free(&r);
    for (int i = 0; i < 2; i++) { /* 40,000 + 20,000 > 50,000; then still over */
        quote(api, "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"20000\"}", id);
        assert_int_equal(convert(api, id, "2", "3", &r), 201);
        api_response_free(&r);
    }
    assert_int_equal(api_json(api, "GET", "/metrics", NULL, &r), 200);
    assert_non_null(strstr(r.text, "tpwallet_fx_exposure_alerts_total 1\n"));
    api_response_free(&r);
    assert_int_equal(api_json(api, "GET", "/v1/exposure", NULL, &r), 200);
    json_t *data = json_object_get(r.body, "data");
    bool seen_eur = false;
    for (size_t i = 0; i < json_array_size(data); i++) {
        json_t *row = json_array_get(data, i);
        const char *asset = json_string_value(json_object_get(row, "asset"));
        if (strcmp(asset, "EUR") == 0) {
            seen_eur = true;
            assert_string_equal(json_string_value(json_object_get(row, "long")), "80000");
            assert_string_equal(json_string_value(json_object_get(row, "limit")), "50000");
            assert_true(json_is_true(json_object_get(row, "over")));
        } else if (strcmp(asset, "TWD") == 0) {
            assert_string_equal(json_string_value(json_object_get(row, "long")), "0");
            assert_false(json_is_true(json_object_get(row, "over")));
        }
    }
    assert_true(seen_eur);
    api_response_free(&r);
}

/* A malformed limits setting stops the start with the setting named. */
static void test_exposure_limits_bad(void **state)
{
    struct api_fixture *api = *state;
    api_fixture_stop(api);
    static const char *const bad[] = {"EUR", "EUR=", "EUR=-1", "eur=5", "EUR=5,,", "EUR=5x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct api_server *server = NULL;
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        struct api_server_options options = {
            .data_dir = api->data_dir, .listen_host = "127.0.0.1", .fx_exposure_limits = bad[i]};
        assert_err(api_server_start(&options, &server, &detail), TPW_ERR_USAGE);
        assert_non_null(strstr(detail.message, "fx_exposure_limits"));
    }
}

/* A fee table (fx_fees): 0.50 EUR + 10 bps on EUR→USD. 1000.00 EUR pays 1.50 EUR there;
 * 998.50 × 1.1680 = 1166.24 USD, × 32.10 = 37,436.30 TWD. A table that does not read
 * stops the start. */
static void test_fees(void **state)
{
    struct api_fixture *api = *state;
    api_fixture_stop(api);
    char path[256];
    (void)snprintf(path, sizeof path, "%s/fees.csv", api->data_dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_true(fputs("# from,to,threshold,fixed,bps,min,max\nEUR,USD,0,50,10,0,\n", file) >= 0);
    assert_int_equal(fclose(file), 0);
    api_fixture_start(api, (struct api_server_options){.fx_fees_path = path});
    market(api);
    struct api_response r;
    assert_int_equal(api_json(api, "POST", "/v1/quotes",
                              "{\"from\":\"EUR\",\"to\":\"TWD\",\"sell_amount\":\"100000\"}", &r),
                     201);
    assert_string_equal(api_field(&r, "amount_out"), "3743630");
    json_t *first = json_array_get(json_object_get(r.body, "legs"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "fee")), "150");
    char id[64];
    (void)snprintf(id, sizeof id, "%s", api_field(&r, "id"));
    api_response_free(&r);
    assert_int_equal(convert(api, id, "2", "3", &r), 201);
    api_response_free(&r);
    assert_int_equal(api_json(api, "GET", "/v1/exposure", NULL, &r), 200);
    json_t *data = json_object_get(r.body, "data");
    for (size_t i = 0; i < json_array_size(data); i++) {
        json_t *row = json_array_get(data, i);
        if (strcmp(json_string_value(json_object_get(row, "asset")), "EUR") == 0) {
            assert_string_equal(json_string_value(json_object_get(row, "fees")), "150");
            assert_string_equal(json_string_value(json_object_get(row, "long")), "99850");
        }
    }
    api_response_free(&r);
    api_fixture_stop(api);
    file = fopen(path, "w");
    assert_non_null(file);
    assert_true(fputs("EUR,USD,0,50\n", file) >= 0);
    assert_int_equal(fclose(file), 0);
    struct api_server *server = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct api_server_options options = {
        .data_dir = api->data_dir, .listen_host = "127.0.0.1", .fx_fees_path = path};
    assert_err(api_server_start(&options, &server, &detail), TPW_ERR_FX_CSV_SYNTAX);
    assert_string_equal(detail.param, "fx_fees");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_quote_then_convert, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_conversion_refusals, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_quote_refusals, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_quote_through_listed_pair, setup,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_stale_pair, setup_stale, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_exposure, setup_limits, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_exposure_limits_bad, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_fees, setup, api_fixture_free_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
