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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_client.h"
#include "sse_reader.h"
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

static void account(struct api_fixture *api, const char *id, const char *asset, const char *owner,
                    const char *flag)
{
    char body[256];
    (void)snprintf(body, sizeof body, "{\"id\":\"%s\",\"asset\":\"%s\"%s%s%s,\"flags\":[\"%s\"]}",
                   id, asset, owner != NULL ? ",\"owner\":\"" : ",\"kind\":\"equity\"",
                   owner != NULL ? owner : "", owner != NULL ? "\"" : "", flag);
    api_post_ok(api, "/v1/accounts", body);
}

static void transfer(struct api_fixture *api, const char *id, const char *debit, const char *credit,
                     const char *amount, const char *asset)
{
    char body[320];
    (void)snprintf(body, sizeof body,
                   "{\"id\":\"%s\",\"debit_account_id\":\"%s\",\"credit_account_id\":\"%s\","
                   "\"amount\":\"%s\",\"asset\":\"%s\",\"code\":1}",
                   id, debit, credit, amount, asset);
    api_post_ok(api, "/v1/transfers", body);
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
    api_post_ok(api, "/v1/rates",
                "{\"base\":\"EUR\",\"quote\":\"USD\",\"bid\":\"1.2495\",\"ask\":\"1.2505\"}");
    api_post_ok(api, "/v1/rates",
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
    account(api, "16", "JPY", "1", limited); /* no rate reaches JPY */
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

/* Lines of the journal of portfolio events with event `kind`. */
static size_t events_count(const struct api_fixture *api, const char *kind)
{
    char path[256];
    (void)snprintf(path, sizeof path, "%s/portfolios.jsonl", api->data_dir);
    FILE *log = fopen(path, "r");
    assert_non_null(log);
    char quoted[64];
    (void)snprintf(quoted, sizeof quoted, "\"%s\"", kind);
    char line[8192];
    size_t count = 0;
    while (fgets(line, sizeof line, log) != NULL) {
        count += strstr(line, quoted) != NULL ? 1 : 0;
    }
    assert_int_equal(fclose(log), 0);
    return count;
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
    assert_int_equal(listed(api, api->admin_key), 1);
    /* A preview retried under its key: the same plan, journalled once. */
    char path[128];
    (void)snprintf(path, sizeof path, "/v1/portfolios/%s/rebalance", api_field(&first, "id"));
    api_response_free(&first);
    assert_true(
        api_call(api, "POST", path, "{\"mode\":\"preview\"}", NULL, "Idempotency-Key: pv", &first));
    assert_true(
        api_call(api, "POST", path, "{\"mode\":\"preview\"}", NULL, "Idempotency-Key: pv", &again));
    assert_int_equal(first.status, 200);
    assert_int_equal(again.status, 200);
    assert_string_equal(api_field(&first, "plan_id"), api_field(&again, "plan_id"));
    api_response_free(&first);
    api_response_free(&again);
    assert_int_equal(events_count(api, "portfolio.rebalance_planned"), 1);
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

/* ---- rebalancing -------------------------------------------------------------------- */

/* An account's posted balance (credits − debits), as a number. */
static long long balance_of(struct api_fixture *api, const char *id)
{
    const char *saved = api->key;
    api->key = api->admin_key;
    char path[64];
    (void)snprintf(path, sizeof path, "/v1/accounts/%s", id);
    struct api_response r;
    assert_int_equal(api_json(api, "GET", path, NULL, &r), 200);
    long long value = strtoll(api_field(&r, "credits_posted"), NULL, 10) -
                      strtoll(api_field(&r, "debits_posted"), NULL, 10);
    api_response_free(&r);
    api->key = saved;
    return value;
}

/* Every account's balances as one text (before/after comparisons), and per asset
 * Σ debits = Σ credits over all of them. */
static void ledger_text(struct api_fixture *api, char *out, size_t size)
{
    const char *saved = api->key;
    api->key = api->admin_key;
    struct api_response r;
    assert_int_equal(api_json(api, "GET", "/v1/accounts?limit=100", NULL, &r), 200);
    json_t *data = json_object_get(r.body, "data");
    size_t used = 0;
    out[0] = '\0';
    const char *assets[] = {"EUR", "USD", "GBP"};
    for (size_t a = 0; a < 3; a++) {
        long long debits = 0;
        long long credits = 0;
        for (size_t i = 0; i < json_array_size(data); i++) {
            json_t *account = json_array_get(data, i);
            if (strcmp(text(account, "asset"), assets[a]) == 0) {
                debits += strtoll(text(account, "debits_posted"), NULL, 10);
                credits += strtoll(text(account, "credits_posted"), NULL, 10);
            }
        }
        assert_true(debits == credits); /* every asset balanced, the house's pools included */
    }
    for (size_t i = 0; i < json_array_size(data) && used < size; i++) {
        json_t *account = json_array_get(data, i);
        if (strcmp(text(account, "debits_posted"), "0") == 0 &&
            strcmp(text(account, "credits_posted"), "0") == 0) {
            continue; /* untouched (the house's pools, made on a first conversion) */
        }
        used += (size_t)snprintf(out + used, size - used, "%s:%s/%s ", text(account, "id"),
                                 text(account, "debits_posted"), text(account, "credits_posted"));
    }
    api_response_free(&r);
    api->key = saved;
}

static long rebalance(struct api_fixture *api, const char *id, const char *body,
                      struct api_response *r)
{
    char path[128];
    (void)snprintf(path, sizeof path, "/v1/portfolios/%s/rebalance", id);
    return api_json(api, "POST", path, body, r);
}

static json_t *trade_of(const struct api_response *r, size_t i)
{
    return json_array_get(json_object_get(r->body, "trades"), i);
}

/* The preview's trades, amounts and balances after, against the execution's. */
static void same_plan(const struct api_response *preview, const struct api_response *done)
{
    json_t *a = json_object_get(preview->body, "trades");
    json_t *b = json_object_get(done->body, "trades");
    assert_int_equal(json_array_size(a), json_array_size(b));
    static const char *const keys[] = {"from_account", "to_account", "amount_in", "amount_out",
                                       "cost"};
    for (size_t i = 0; i < json_array_size(a); i++) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            assert_string_equal(text(json_array_get(a, i), keys[k]),
                                text(json_array_get(b, i), keys[k]));
        }
    }
    assert_string_equal(api_field(preview, "total_cost"), api_field(done, "total_cost"));
}

/* Each holding's ledger balance is the preview's `after` balance. */
static void balances_as_previewed(struct api_fixture *api, const struct api_response *preview)
{
    json_t *holdings = json_object_get(json_object_get(preview->body, "after"), "holdings");
    assert_true(json_array_size(holdings) > 0);
    for (size_t i = 0; i < json_array_size(holdings); i++) {
        json_t *h = json_array_get(holdings, i);
        assert_int_equal(balance_of(api, text(h, "account_id")),
                         strtoll(text(h, "balance"), NULL, 10));
    }
}

static void inside_every_band(struct api_fixture *api, const char *id)
{
    char path[128];
    (void)snprintf(path, sizeof path, "/v1/portfolios/%s", id);
    struct api_response r;
    assert_int_equal(api_json(api, "GET", path, NULL, &r), 200);
    json_t *holdings = json_object_get(r.body, "holdings");
    for (size_t i = 0; i < json_array_size(holdings); i++) {
        assert_true(json_is_true(json_object_get(holding(&r, i), "inside_band")));
    }
    api_response_free(&r);
}

/* Hand-computed: GBP 350 → 300 EUR is a SELL of 40.00 GBP at the ask 0.8004 = 49.97 EUR
 * (cost 0.03 at the mid 1.25), USD 200 → 300 EUR a BUY of 125.00 USD at the bid 1.2495
 * paid with 100.05 EUR (the least that buys it; 125.01 USD come out). */
static void test_preview_then_execute(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    char id[64];
    create(api, PORTFOLIO_BODY, id);
    char before[2048];
    ledger_text(api, before, sizeof before);
    api->key = test->alice;
    struct api_response preview;
    assert_int_equal(rebalance(api, id, "{\"mode\":\"preview\"}", &preview), 200);
    assert_string_equal(api_field(&preview, "object"), "rebalance");
    assert_string_equal(api_field(&preview, "mode"), "preview");
    assert_int_equal(strncmp(api_field(&preview, "plan_id"), "rbp_", 4), 0);
    assert_int_equal(json_array_size(json_object_get(preview.body, "trades")), 2);
    json_t *sell = trade_of(&preview, 0);
    assert_string_equal(text(sell, "from_account"), "acct_0000000000000000000000000D");
    assert_string_equal(text(sell, "direction"), "sell");
    assert_string_equal(text(sell, "amount_in"), "4000");
    assert_string_equal(text(sell, "amount_out"), "4997");
    assert_string_equal(text(sell, "cost"), "3");
    json_t *buy = trade_of(&preview, 1);
    assert_string_equal(text(buy, "to_account"), "acct_0000000000000000000000000C");
    assert_string_equal(text(buy, "direction"), "buy");
    assert_string_equal(text(buy, "amount_in"), "10005");
    assert_string_equal(text(buy, "amount_out"), "12501");
    assert_string_equal(text(buy, "cost"), "5");
    assert_string_equal(api_field(&preview, "total_cost_decimal"), "0.08");
    json_t *after = json_object_get(preview.body, "after");
    assert_string_equal(text(after, "total"), "99992");
    assert_true(json_is_false(json_object_get(after, "outside_band")));
    /* The preview moved nothing. */
    char now[2048];
    ledger_text(api, now, sizeof now);
    assert_string_equal(before, now);
    /* Executed at the preview's quotes: exactly its amounts and balances. */
    char body[128];
    (void)snprintf(body, sizeof body,
                   "{\"mode\":\"execute\",\"plan_id\":\"%s\",\"max_cost\":\"8\"}",
                   api_field(&preview, "plan_id"));
    struct api_response done;
    assert_int_equal(rebalance(api, id, body, &done), 201);
    assert_true(json_is_true(json_object_get(done.body, "executed")));
    assert_int_equal(json_array_size(json_object_get(done.body, "transfers")), 4);
    assert_string_equal(api_field(&preview, "plan_id"), api_field(&done, "plan_id"));
    same_plan(&preview, &done);
    balances_as_previewed(api, &preview);
    ledger_text(api, now, sizeof now); /* Σ debits = Σ credits per asset */
    api_response_free(&done);
    inside_every_band(api, id);
    /* Once only. */
    assert_int_equal(rebalance(api, id, body, &done), 409);
    assert_string_equal(api_field(&done, "error.code"), "plan_used");
    api_response_free(&done);
    /* Nothing to do inside the bands: no plan, nothing moved. */
    assert_int_equal(rebalance(api, id, "{\"mode\":\"execute\"}", &done), 200);
    assert_true(json_is_false(json_object_get(done.body, "executed")));
    assert_int_equal(json_array_size(json_object_get(done.body, "trades")), 0);
    assert_true(json_is_null(json_object_get(done.body, "plan_id")));
    api_response_free(&done);
    api_response_free(&preview);
    /* The plan and its result are events in the journal. */
    assert_int_equal(events_count(api, "portfolio.rebalance_planned"), 1);
    assert_int_equal(events_count(api, "portfolio.rebalance_executed"), 1);
}

/* Without a plan id, the same prices give the preview's plan exactly. */
static void test_execute_fresh_equals_preview(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    char id[64];
    create(api, PORTFOLIO_BODY, id);
    struct api_response preview;
    struct api_response done;
    assert_int_equal(rebalance(api, id, "{\"mode\":\"preview\"}", &preview), 200);
    assert_int_equal(rebalance(api, id, "{\"mode\":\"execute\"}", &done), 201);
    assert_string_not_equal(api_field(&preview, "plan_id"), api_field(&done, "plan_id"));
    same_plan(&preview, &done);
    balances_as_previewed(api, &preview);
    char now[2048];
    ledger_text(api, now, sizeof now);
    api_response_free(&preview);
    api_response_free(&done);
}

/* Account 15 may receive nothing: the group's second trade (the GBP buy) is refused by
 * the ledger after its first (a USD sell) — and nothing at all moves. */
static void test_all_or_nothing(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    char id[64];
    create(api,
           "{\"name\":\"Doomed\",\"owner\":\"1\",\"base\":\"EUR\",\"band\":\"0.02\",\"holdings\":["
           "{\"account_id\":\"11\",\"target\":\"0.5\"},{\"account_id\":\"12\",\"target\":\"0.2\"},"
           "{\"account_id\":\"15\",\"target\":\"0.3\"}]}",
           id);
    char before[2048];
    char after[2048];
    ledger_text(api, before, sizeof before);
    struct api_response preview;
    assert_int_equal(rebalance(api, id, "{\"mode\":\"preview\"}", &preview), 200);
    assert_int_equal(json_array_size(json_object_get(preview.body, "trades")), 2);
    assert_string_equal(text(trade_of(&preview, 0), "direction"), "sell");
    char body[128];
    (void)snprintf(body, sizeof body, "{\"mode\":\"execute\",\"plan_id\":\"%s\"}",
                   api_field(&preview, "plan_id"));
    struct api_response r;
    assert_int_equal(rebalance(api, id, body, &r), 422);
    assert_string_equal(api_field(&r, "error.code"), "conversion_refused");
    assert_non_null(strstr(api_field(&r, "error.message"), "trade 2 (EUR -> GBP"));
    assert_non_null(strstr(api_field(&r, "error.message"), "nothing was executed"));
    api_response_free(&r);
    ledger_text(api, after, sizeof after);
    assert_string_equal(before, after);
    assert_int_equal(events_count(api, "portfolio.rebalance_failed"), 1);
    /* The refusal pinned the quotes: the plan is spent. */
    assert_int_equal(rebalance(api, id, body, &r), 409);
    assert_string_equal(api_field(&r, "error.code"), "plan_used");
    api_response_free(&r);
    api_response_free(&preview);
}

static void rebalance_refused(struct api_fixture *api, const char *id, const char *body,
                              long status, const char *code, const char *param)
{
    struct api_response r;
    long got = rebalance(api, id, body, &r);
    if (got != status || strcmp(api_field(&r, "error.code"), code) != 0 ||
        (param != NULL && strcmp(api_field(&r, "error.param"), param) != 0)) {
        fail_msg("rebalance %s: %ld (%s), expected %ld %s", body, got, r.text ? r.text : "", status,
                 code);
    }
    api_response_free(&r);
}

static void test_rebalance_refusals(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    char id[64];
    create(api, PORTFOLIO_BODY, id);
    char before[2048];
    char after[2048];
    ledger_text(api, before, sizeof before);
    rebalance_refused(api, id, "{}", 400, "invalid_argument", "mode");
    rebalance_refused(api, id, "{\"mode\":\"maybe\"}", 400, "invalid_argument", "mode");
    rebalance_refused(api, id, "{\"mode\":\"preview\",\"max_cost\":\"5\"}", 400, "invalid_argument",
                      "max_cost");
    rebalance_refused(api, id, "{\"mode\":\"execute\",\"plan_id\":\"acct_1\"}", 400, "id_prefix",
                      "plan_id");
    rebalance_refused(api, id, "{\"mode\":\"execute\",\"max_cost\":\"-1\"}", 400, "decimal_sign",
                      "max_cost");
    rebalance_refused(api, id,
                      "{\"mode\":\"execute\",\"plan_id\":\"rbp_00000000000000000000000001\"}", 404,
                      "plan_not_found", "plan_id");
    rebalance_refused(api, id, "{\"mode\":\"execute\",\"max_cost\":\"7\"}", 422, "cost_above_max",
                      "max_cost");
    rebalance_refused(api, "pf_00000000000000000000000001", "{\"mode\":\"preview\"}", 404,
                      "portfolio_not_found", "id");
    api->key = test->bob;
    rebalance_refused(api, id, "{\"mode\":\"preview\"}", 404, "portfolio_not_found", "id");
    api->key = test->auditor;
    rebalance_refused(api, id, "{\"mode\":\"preview\"}", 403, "permission_denied", NULL);
    api->key = api->admin_key;
    /* A plan made on balances that have moved since. */
    struct api_response preview;
    assert_int_equal(rebalance(api, id, "{\"mode\":\"preview\"}", &preview), 200);
    char body[128];
    (void)snprintf(body, sizeof body, "{\"mode\":\"execute\",\"plan_id\":\"%s\"}",
                   api_field(&preview, "plan_id"));
    api_response_free(&preview);
    transfer(api, "50", "901", "11", "1", "EUR");
    rebalance_refused(api, id, body, 409, "plan_stale", "plan_id");
    transfer(api, "51", "11", "901", "1", "EUR");
    /* Every refusal left the balances as they were (the two transfers cancel out). */
    assert_int_equal(balance_of(api, "11"), 45000);
    assert_int_equal(balance_of(api, "12"), 25000);
    assert_int_equal(balance_of(api, "13"), 28000);
    ledger_text(api, after, sizeof after);
    assert_string_not_equal(before, after); /* 901 and 11 moved there and back */
}

/* To the band edges pulled a tenth of the band in (USD up to 28.2 %, GBP down to 31.8 %;
 * EUR absorbs) — inside every band after the costs — executed once under
 * an Idempotency-Key whose retry replays the reply and moves nothing; the journal's
 * plan and result lines replay across a restart. */
static void test_band_edge_idempotent_restart(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    char id[64];
    create(api,
           "{\"name\":\"Edge\",\"owner\":\"1\",\"base\":\"EUR\",\"band\":\"0.02\","
           "\"destination\":\"band_edge\"," H3("0.4", "0.3", "0.3") "}",
           id);
    char path[128];
    (void)snprintf(path, sizeof path, "/v1/portfolios/%s/rebalance", id);
    struct api_response first;
    struct api_response again;
    assert_true(api_call(api, "POST", path, "{\"mode\":\"execute\"}", NULL, "Idempotency-Key: rb-1",
                         &first));
    assert_int_equal(first.status, 201);
    assert_string_equal(text(trade_of(&first, 0), "amount_in"), "2560");   /* 32.00 EUR of GBP */
    assert_string_equal(text(trade_of(&first, 1), "amount_out"), "10250"); /* 102.50 USD */
    long long eur = balance_of(api, "11");
    assert_true(api_call(api, "POST", path, "{\"mode\":\"execute\"}", NULL, "Idempotency-Key: rb-1",
                         &again));
    assert_int_equal(again.status, 201);
    assert_non_null(strstr(again.headers, "Idempotent-Replayed: true"));
    assert_string_equal(api_field(&first, "plan_id"), api_field(&again, "plan_id"));
    assert_int_equal(balance_of(api, "11"), eur);
    balances_as_previewed(api, &first);
    api_response_free(&first);
    api_response_free(&again);
    inside_every_band(api, id);
    api_fixture_stop(api);
    api_fixture_start(api, (struct api_server_options){0});
    inside_every_band(api, id);
    assert_int_equal(events_count(api, "portfolio.rebalance_planned"), 1);
    assert_int_equal(events_count(api, "portfolio.rebalance_executed"), 1);
    assert_int_equal(events_count(api, "portfolio.created"), 1);
}

/* A holding no rate reaches: the portfolio is shown without a valuation, and cannot be
 * rebalanced. */
static void test_no_rate(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    char id[64];
    create(
        api,
        "{\"name\":\"Yen\",\"owner\":\"1\",\"base\":\"EUR\",\"holdings\":["
        "{\"account_id\":\"11\",\"target\":\"0.5\"},{\"account_id\":\"16\",\"target\":\"0.5\"}]}",
        id);
    char path[128];
    (void)snprintf(path, sizeof path, "/v1/portfolios/%s", id);
    struct api_response r;
    assert_int_equal(api_json(api, "GET", path, NULL, &r), 200);
    assert_true(json_is_null(json_object_get(r.body, "valuation")));
    assert_string_equal(text(json_object_get(r.body, "valuation_error"), "code"),
                        "rate_unavailable");
    api_response_free(&r);
    rebalance_refused(api, id, "{\"mode\":\"preview\"}", 404, "rate_unavailable", "holdings");
}

/* Each journalled event is also a live signal on GET /v1/events for staff keys. */
static void test_events_signals(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    struct sse_reader *reader = calloc(1, sizeof *reader);
    assert_non_null(reader);
    sse_start_kinds(reader, api, "/v1/events", "portfolio.", 3);
    /* Signals go to the streams open when they happen: wait until it is (bounded). */
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 10000000};
    for (int i = 0; i < 500 && !api_metrics_have(api, "tpwallet_event_streams 1\n"); i++) {
        (void)nanosleep(&pause, NULL);
    }
    assert_true(api_metrics_have(api, "tpwallet_event_streams 1\n"));
    char id[64];
    create(api, PORTFOLIO_BODY, id);
    struct api_response r;
    assert_int_equal(rebalance(api, id, "{\"mode\":\"execute\"}", &r), 201);
    sse_join(reader);
    assert_int_equal(atomic_load(&reader->count), 3);
    assert_string_equal(reader->events[0].kind, "portfolio.created");
    assert_string_equal(reader->events[1].kind, "portfolio.rebalance_planned");
    assert_string_equal(reader->events[2].kind, "portfolio.rebalance_executed");
    assert_string_equal(text(reader->events[0].data, "portfolio_id"), id);
    json_t *executed = json_object_get(reader->events[2].data, "data");
    assert_string_equal(text(executed, "plan_id"), api_field(&r, "plan_id"));
    assert_int_equal(json_array_size(json_object_get(executed, "transfers")), 4);
    api_response_free(&r);
    sse_free(reader);
    free(reader);
}

struct racer {
    struct api_fixture *api;
    const char *id;
    long status;
    char code[32];
};

static void *racer_main(void *arg)
{
    struct racer *racer = arg;
    struct api_response r;
    racer->status = rebalance(racer->api, racer->id, "{\"mode\":\"execute\"}", &r);
    const char *code = racer->status >= 400 ? api_field(&r, "error.code") : "";
    (void)snprintf(racer->code, sizeof racer->code, "%s", code != NULL ? code : "");
    api_response_free(&r);
    return NULL;
}

/* Two executions at once, both planned on the same balances: the committer runs the
 * first and refuses the second (plan_stale) — or the second planned after the first and
 * finds nothing to do. Never both. */
static void test_concurrent_executions(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    char id[64];
    create(api, PORTFOLIO_BODY, id);
    struct racer racers[2] = {{.api = api, .id = id}, {.api = api, .id = id}};
    pthread_t threads[2];
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, racer_main, &racers[i]), 0);
    }
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    }
    size_t executed = 0;
    for (size_t i = 0; i < 2; i++) {
        executed += racers[i].status == 201 ? 1 : 0;
        assert_true(racers[i].status == 201 || racers[i].status == 200 ||
                    (racers[i].status == 409 && strcmp(racers[i].code, "plan_stale") == 0));
    }
    assert_int_equal(executed, 1);
    inside_every_band(api, id);
    char now[2048];
    ledger_text(api, now, sizeof now);
    assert_int_equal(events_count(api, "portfolio.rebalance_executed"), 1);
}

/* A plan lives as long as its quotes. */
static void test_plan_expired(void **state)
{
    struct pf_case *test = *state;
    struct api_fixture *api = &test->api;
    wallet(api);
    char id[64];
    create(api, PORTFOLIO_BODY, id);
    struct api_response preview;
    assert_int_equal(rebalance(api, id, "{\"mode\":\"preview\"}", &preview), 200);
    char body[128];
    (void)snprintf(body, sizeof body, "{\"mode\":\"execute\",\"plan_id\":\"%s\"}",
                   api_field(&preview, "plan_id"));
    api_response_free(&preview);
    struct timespec pause = {.tv_sec = 1, .tv_nsec = 200000000};
    (void)nanosleep(&pause, NULL);
    rebalance_refused(api, id, body, 410, "plan_expired", "plan_id");
    assert_int_equal(balance_of(api, "11"), 45000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_band_edge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preview_then_execute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_execute_fresh_equals_preview, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebalance_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_band_edge_idempotent_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_signals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_executions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_expired, setup_short, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
