/*
 * /v1/portfolios end to end: a real server on 127.0.0.1, libcurl, manual rates and
 * accounts over HTTP. A portfolio of three sub-accounts (EUR, USD, GBP) valued by hand;
 * who sees which portfolio; every refusal a 400 naming its field that stores nothing;
 * Idempotency-Key; the journal across a restart, a torn tail cut and a damaged line
 * refused. Then the rebalance: the preview's plan computed by hand, executed at its
 * locked quotes to exactly the preview's balances, inside the bands, every asset
 * balanced; execution without a plan equal to the preview; a group refused mid-way
 * leaving every balance as it was; and each refusal of the rebalance.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_client.h"
#include "tpwallet/ledger.h"
#include "tpw_test.h"

#include "banned.h"

struct pf_case {
    struct api_fixture api;
    char alice[API_KEY_TEXT_SIZE];   /* a user key of owner 1 */
    char bob[API_KEY_TEXT_SIZE];     /* a user key of owner 2 */
    char auditor[API_KEY_TEXT_SIZE]; /* reads everything, writes nothing */
};

static int setup_with(void **state, unsigned quote_ttl_s)
{
    struct pf_case *test = calloc(1, sizeof *test);
    assert_non_null(test);
    (void)snprintf(test->api.data_dir, sizeof test->api.data_dir, "api_test.%ld.XXXXXX",
                   (long)getpid());
    assert_non_null(mkdtemp(test->api.data_dir));
    assert_err(ledger_init(test->api.data_dir, NULL), TPW_OK);
    api_fixture_key(&test->api, &(struct api_key_spec){.role = API_ROLE_ADMIN},
                    test->api.admin_key);
    test->api.key = test->api.admin_key;
    api_fixture_key(&test->api, &(struct api_key_spec){.role = API_ROLE_USER, .owner = 1},
                    test->alice);
    api_fixture_key(&test->api, &(struct api_key_spec){.role = API_ROLE_USER, .owner = 2},
                    test->bob);
    api_fixture_key(&test->api, &(struct api_key_spec){.role = API_ROLE_AUDITOR}, test->auditor);
    api_fixture_start(&test->api, (struct api_server_options){.fx_quote_ttl_s = quote_ttl_s});
    *state = test;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, 30);
}

static int setup_short(void **state)
{
    return setup_with(state, 1);
}

static int teardown(void **state)
{
    struct pf_case *test = *state;
    api_fixture_teardown(&test->api);
    free(test);
    return 0;
}

static void post_ok(struct api_fixture *api, const char *path, const char *body)
{
    struct api_response r;
    long got = api_json(api, "POST", path, body, &r);
    if (got != 200 && got != 201) {
        fail_msg("POST %s %s: %ld (%s)", path, body, got, r.text != NULL ? r.text : "");
    }
    api_response_free(&r);
}

static void account(struct api_fixture *api, const char *id, const char *asset, const char *owner,
                    const char *flag)
{
    char body[256];
    (void)snprintf(body, sizeof body, "{\"id\":\"%s\",\"asset\":\"%s\"%s%s%s,\"flags\":[\"%s\"]}",
                   id, asset, owner != NULL ? ",\"owner\":\"" : ",\"kind\":\"equity\"",
                   owner != NULL ? owner : "", owner != NULL ? "\"" : "", flag);
    post_ok(api, "/v1/accounts", body);
}

static void transfer(struct api_fixture *api, const char *id, const char *debit, const char *credit,
                     const char *amount, const char *asset)
{
    char body[320];
    (void)snprintf(body, sizeof body,
                   "{\"id\":\"%s\",\"debit_account_id\":\"%s\",\"credit_account_id\":\"%s\","
                   "\"amount\":\"%s\",\"asset\":\"%s\",\"code\":1}",
                   id, debit, credit, amount, asset);
    post_ok(api, "/v1/transfers", body);
}

/*
 * Rates: EUR/USD 1.2495/1.2505 and EUR/GBP 0.7996/0.8004 — mids 1.25 and 0.8, so a USD
 * is worth 0.80 EUR and a GBP 1.25 EUR exactly. House equity accounts 901..903 fund:
 * owner 1: 11 = 450.00 EUR, 12 = 250.00 USD (200.00 EUR), 13 = 280.00 GBP (350.00 EUR),
 *          14 = EUR (empty), 15 = GBP that may receive nothing (credits ≤ debits);
 * owner 2: 21 = 7.00 EUR.
 */
static void wallet(struct api_fixture *api)
{
    post_ok(api, "/v1/rates",
            "{\"base\":\"EUR\",\"quote\":\"USD\",\"bid\":\"1.2495\",\"ask\":\"1.2505\"}");
    post_ok(api, "/v1/rates",
            "{\"base\":\"EUR\",\"quote\":\"GBP\",\"bid\":\"0.7996\",\"ask\":\"0.8004\"}");
    const char *limited = "debits_must_not_exceed_credits";
    account(api, "901", "EUR", NULL, "history");
    account(api, "902", "USD", NULL, "history");
    account(api, "903", "GBP", NULL, "history");
    account(api, "11", "EUR", "1", limited);
    account(api, "12", "USD", "1", limited);
    account(api, "13", "GBP", "1", limited);
    account(api, "14", "EUR", "1", limited);
    account(api, "15", "GBP", "1", "credits_must_not_exceed_debits");
    account(api, "21", "EUR", "2", limited);
    transfer(api, "1", "901", "11", "45000", "EUR");
    transfer(api, "2", "902", "12", "25000", "USD");
    transfer(api, "3", "903", "13", "28000", "GBP");
    transfer(api, "4", "901", "21", "700", "EUR");
}

/* 45/20/35 against 40/30/30 within 2 points: every holding is outside its band. */
#define PORTFOLIO_BODY                                                                             \
    "{\"name\":\"Core\",\"owner\":\"1\",\"base\":\"EUR\",\"band\":\"0.02\",\"holdings\":["         \
    "{\"account_id\":\"11\",\"target\":\"0.4\"},"                                                  \
    "{\"account_id\":\"12\",\"target\":\"0.3\"},"                                                  \
    "{\"account_id\":\"13\",\"target\":\"0.3\"}]}"

/* Creates a portfolio; its id into `id`. */
static void create(struct api_fixture *api, const char *body, char id[64])
{
    struct api_response r;
    long status = api_json(api, "POST", "/v1/portfolios", body, &r);
    if (status != 201) {
        fail_msg("POST /v1/portfolios %s: %ld (%s)", body, status, r.text ? r.text : "");
    }
    (void)snprintf(id, 64, "%s", api_field(&r, "id"));
    api_response_free(&r);
}

static const char *text(const json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));
    if (value == NULL) {
        fail_msg("no string \"%s\"", key);
    }
    return value;
}

static json_t *holding(const struct api_response *r, size_t i)
{
    return json_array_get(json_object_get(r->body, "holdings"), i);
}

static size_t listed(struct api_fixture *api, const char *key)
{
    const char *saved = api->key;
    api->key = key;
    struct api_response r;
    assert_int_equal(api_json(api, "GET", "/v1/portfolios?limit=100", NULL, &r), 200);
    size_t count = json_array_size(json_object_get(r.body, "data"));
    api_response_free(&r);
    api->key = saved;
    return count;
}

/* Values 450.00 + 200.00 + 350.00 = 1000.00 EUR; weights 0.45, 0.2, 0.35. */
static void test_create_and_value(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    char id[64];
    create(api, PORTFOLIO_BODY, id);
    assert_int_equal(strncmp(id, "pf_", 3), 0);
    char path[128];
    (void)snprintf(path, sizeof path, "/v1/portfolios/%s", id);
    struct api_response r;
    assert_int_equal(api_json(api, "GET", path, NULL, &r), 200);
    assert_string_equal(api_field(&r, "object"), "portfolio");
    assert_string_equal(api_field(&r, "name"), "Core");
    assert_string_equal(api_field(&r, "base"), "EUR");
    assert_string_equal(api_field(&r, "drift"), "absolute");
    assert_string_equal(api_field(&r, "destination"), "target");
    json_t *valuation = json_object_get(r.body, "valuation");
    assert_string_equal(text(valuation, "total_decimal"), "1000.00");
    assert_string_equal(text(valuation, "status"), "fresh");
    assert_true(json_is_true(json_object_get(valuation, "outside_band")));
    assert_string_equal(text(holding(&r, 0), "account_id"), "acct_0000000000000000000000000B");
    assert_string_equal(text(holding(&r, 0), "weight"), "0.45");
    assert_string_equal(text(holding(&r, 1), "value_decimal"), "200.00");
    assert_string_equal(text(holding(&r, 1), "rate"), "0.8");
    assert_string_equal(text(holding(&r, 1), "weight"), "0.2");
    assert_string_equal(text(holding(&r, 1), "drift"), "0.1");
    assert_string_equal(text(holding(&r, 2), "rate"), "1.25");
    assert_string_equal(text(holding(&r, 2), "weight"), "0.35");
    assert_string_equal(text(holding(&r, 2), "band"), "0.02");
    assert_true(json_is_false(json_object_get(holding(&r, 2), "inside_band")));
    api_response_free(&r);
    /* Who sees it: staff and its owner; another owner neither lists nor gets it. */
    assert_int_equal(listed(api, api->admin_key), 1);
    assert_int_equal(listed(api, test->auditor), 1);
    assert_int_equal(listed(api, test->alice), 1);
    assert_int_equal(listed(api, test->bob), 0);
    api->key = test->bob;
    assert_int_equal(api_json(api, "GET", path, NULL, &r), 404);
    assert_string_equal(api_field(&r, "error.code"), "portfolio_not_found");
    api_response_free(&r);
    api->key = test->alice;
    assert_int_equal(api_json(api, "GET", path, NULL, &r), 200);
    api_response_free(&r);
}

/* Relative bands: 0.2 of each target (0.08, 0.06, 0.06); to the band edge. */
static void test_relative_band_edge(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    char id[64];
    api->key = test->alice; /* a user key: the owner is its own */
    create(api,
           "{\"name\":\"Rel\",\"base\":\"EUR\",\"drift\":\"relative\",\"band\":\"0.2\","
           "\"destination\":\"band_edge\",\"holdings\":["
           "{\"account_id\":\"acct_0000000000000000000000000B\",\"target\":\"0.4\"},"
           "{\"account_id\":\"12\",\"target\":\"0.3\",\"band\":\"0.5\"},"
           "{\"account_id\":\"13\",\"target\":\"0.3\"}]}",
           id);
    char path[128];
    (void)snprintf(path, sizeof path, "/v1/portfolios/%s", id);
    struct api_response r;
    assert_int_equal(api_json(api, "GET", path, NULL, &r), 200);
    assert_string_equal(api_field(&r, "owner"), "1");
    assert_string_equal(api_field(&r, "destination"), "band_edge");
    assert_string_equal(text(holding(&r, 0), "band_absolute"), "0.08");
    assert_true(json_is_true(json_object_get(holding(&r, 0), "inside_band"))); /* 0.05 */
    assert_string_equal(text(holding(&r, 1), "band_absolute"), "0.15");
    assert_true(json_is_true(json_object_get(holding(&r, 1), "inside_band"))); /* 0.1 */
    assert_string_equal(text(holding(&r, 2), "band_absolute"), "0.06");
    assert_true(json_is_true(json_object_get(holding(&r, 2), "inside_band"))); /* 0.05 */
    assert_true(
        json_is_false(json_object_get(json_object_get(r.body, "valuation"), "outside_band")));
    api_response_free(&r);
}

static void refused(struct api_fixture *api, const char *body, long status, const char *code,
                    const char *param)
{
    struct api_response r;
    long got = api_json(api, "POST", "/v1/portfolios", body, &r);
    if (got != status || strcmp(api_field(&r, "error.code"), code) != 0 ||
        (param != NULL && strcmp(api_field(&r, "error.param"), param) != 0)) {
        fail_msg("POST %s: %ld (%s), expected %ld %s %s", body, got, r.text ? r.text : "", status,
                 code, param != NULL ? param : "");
    }
    api_response_free(&r);
}

#define H3(a, b, c)                                                                                \
    "\"holdings\":[{\"account_id\":\"11\",\"target\":\"" a "\"},"                                  \
    "{\"account_id\":\"12\",\"target\":\"" b "\"},{\"account_id\":\"13\",\"target\":\"" c "\"}]"
#define HEAD "{\"name\":\"X\",\"owner\":\"1\",\"base\":\"EUR\","

static void test_create_refusals(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    refused(api, HEAD H3("0.4", "0.3", "0.2") "}", 400, "weights_sum", "holdings");
    refused(api, HEAD H3("0.4", "0.3", "0.300000000000000001") "}", 400, "weights_sum", "holdings");
    refused(api, HEAD H3("-0.1", "0.8", "0.3") "}", 400, "weight_negative", "holdings[0].target");
    refused(api, HEAD H3("0.4", "abc", "0.3") "}", 400, "weight_invalid", "holdings[1].target");
    refused(api, HEAD H3("0.4", "1.5", "0.3") "}", 400, "weight_invalid", "holdings[1].target");
    refused(api,
            HEAD "\"holdings\":[{\"account_id\":\"11\",\"target\":\"0.5\"},"
                 "{\"account_id\":\"99\",\"target\":\"0.5\"}]}",
            400, "portfolio_account_unknown", "holdings[1].account_id");
    refused(api,
            HEAD "\"holdings\":[{\"account_id\":\"11\",\"target\":\"0.5\"},"
                 "{\"account_id\":\"21\",\"target\":\"0.5\"}]}",
            400, "portfolio_account_owner", "holdings[1].account_id");
    refused(api,
            HEAD "\"holdings\":[{\"account_id\":\"11\",\"target\":\"0.5\"},"
                 "{\"account_id\":\"acct_0000000000000000000000000B\",\"target\":\"0.5\"}]}",
            400, "portfolio_account_duplicate", "holdings[1].account_id");
    refused(api, HEAD "\"holdings\":[{\"account_id\":\"11\"}]}", 400, "invalid_argument",
            "holdings[0].target");
    refused(api, HEAD "\"holdings\":[{\"account_id\":\"11\",\"target\":\"1\",\"x\":1}]}", 400,
            "invalid_argument", "x");
    refused(api, HEAD "\"holdings\":[{\"account_id\":\"zz\",\"target\":\"1\"}]}", 400, "id_invalid",
            "holdings[0].account_id");
    refused(api, HEAD "\"holdings\":[]}", 400, "invalid_argument", "holdings");
    refused(api, HEAD "\"holdings\":[7]}", 400, "invalid_argument", "holdings[0]");
    refused(api, "{\"name\":\"X\",\"owner\":\"1\",\"base\":\"XYZ\"," H3("0.4", "0.3", "0.3") "}",
            400, "asset_unknown", "base");
    refused(api, "{\"name\":\"X\",\"owner\":\"1\",\"base\":\"JPY\"," H3("0.4", "0.3", "0.3") "}",
            400, "portfolio_no_base_holding", "base");
    refused(api, "{\"owner\":\"1\",\"base\":\"EUR\"," H3("0.4", "0.3", "0.3") "}", 400,
            "invalid_argument", "name");
    refused(api, "{\"name\":\"X\",\"base\":\"EUR\"," H3("0.4", "0.3", "0.3") "}", 400,
            "invalid_argument", "owner");
    refused(api, HEAD "\"drift\":\"sideways\"," H3("0.4", "0.3", "0.3") "}", 400,
            "invalid_argument", "drift");
    refused(api, HEAD "\"destination\":\"moon\"," H3("0.4", "0.3", "0.3") "}", 400,
            "invalid_argument", "destination");
    refused(api, HEAD "\"band\":\"2\"," H3("0.4", "0.3", "0.3") "}", 400, "weight_invalid", "band");
    refused(api, HEAD "\"colour\":\"red\"," H3("0.4", "0.3", "0.3") "}", 400, "invalid_argument",
            "colour");
    refused(api, "[1]", 400, "json_invalid", NULL);
    /* A user key: its own owner only, and another owner's accounts do not exist for it. */
    api->key = test->alice;
    refused(api, "{\"name\":\"X\",\"owner\":\"2\",\"base\":\"EUR\"," H3("0.4", "0.3", "0.3") "}",
            403, "permission_denied", "owner");
    refused(api,
            "{\"name\":\"X\",\"base\":\"EUR\",\"holdings\":["
            "{\"account_id\":\"21\",\"target\":\"1\"}]}",
            400, "portfolio_account_unknown", "holdings[0].account_id");
    api->key = test->auditor;
    refused(api, PORTFOLIO_BODY, 403, "permission_denied", NULL);
    /* Nothing was stored. */
    assert_int_equal(listed(api, api->admin_key), 0);
}

static void test_idempotency(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    struct api_response first;
    struct api_response again;
    assert_true(api_call(api, "POST", "/v1/portfolios", PORTFOLIO_BODY, NULL,
                         "Idempotency-Key: pf-1", &first));
    assert_int_equal(first.status, 201);
    assert_true(api_call(api, "POST", "/v1/portfolios", PORTFOLIO_BODY, NULL,
                         "Idempotency-Key: pf-1", &again));
    assert_int_equal(again.status, 201);
    assert_string_equal(api_field(&first, "id"), api_field(&again, "id"));
    api_response_free(&again);
    assert_true(api_call(api, "POST", "/v1/portfolios", HEAD H3("0.5", "0.3", "0.2") "}", NULL,
                         "Idempotency-Key: pf-1", &again));
    assert_int_equal(again.status, 422); /* the same key with another body */
    api_response_free(&again);
    api_response_free(&first);
    assert_int_equal(listed(api, api->admin_key), 1);
}

/* The journal: the portfolio is back after a restart; a torn tail is cut; a damaged
 * line stops the start. */
static void test_journal_restart(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    char id[64];
    create(api, PORTFOLIO_BODY, id);
    api_fixture_stop(api);
    char path[256];
    (void)snprintf(path, sizeof path, "%s/portfolios.jsonl", api->data_dir);
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"seq\":2,\"ev", 12), 12); /* a crash mid-append */
    assert_int_equal(close(fd), 0);
    api_fixture_start(api, (struct api_server_options){0});
    char get[128];
    (void)snprintf(get, sizeof get, "/v1/portfolios/%s", id);
    struct api_response r;
    assert_int_equal(api_json(api, "GET", get, NULL, &r), 200);
    assert_string_equal(api_field(&r, "name"), "Core");
    api_response_free(&r);
    create(api, PORTFOLIO_BODY, id); /* seq 2, after the cut */
    api_fixture_stop(api);
    fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"seq\":9}\n", 10), 10);
    assert_int_equal(close(fd), 0);
    struct api_server_options options = {.data_dir = api->data_dir, .listen_host = "127.0.0.1"};
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(api_server_start(&options, &api->server, &detail), TPW_ERR_PORTFOLIO_LOG_CORRUPT);
    api->server = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_band_edge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_restart, setup, teardown),
    };
    (void)setup_short;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
