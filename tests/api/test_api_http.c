/*
 * The HTTP API end to end: a real server on 127.0.0.1 and libcurl. Resources,
 * pagination, as_of, results as statuses, bad input (each leaving balances
 * unchanged), HTTP-level refusals, group commit under concurrency, graceful stop.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api_client.h"
#include "tpw_test.h"

#include "banned.h"

static int setup(void **state)
{
    struct api_fixture *fixture = calloc(1, sizeof *fixture);
    api_fixture_start(fixture, (struct api_server_options){.connection_timeout_s = 2});
    struct api_response r;
    /* A funding account (equity, no limit) and two users that may not overdraw. */
    assert_int_equal(api_json(fixture, "POST", "/v1/accounts",
                              "{\"id\":\"1\",\"asset\":\"USD\",\"kind\":\"equity\"}", &r),
                     201);
    api_response_free(&r);
    for (int id = 2; id <= 3; id++) {
        char body[160];
        (void)snprintf(body, sizeof body,
                       "{\"id\":\"%d\",\"asset\":\"USD\",\"flags\":[\"debits_must_not_exceed_"
                       "credits\"]}",
                       id);
        assert_int_equal(api_json(fixture, "POST", "/v1/accounts", body, &r), 201);
        api_response_free(&r);
    }
    *state = fixture;
    return 0;
}

static long transfer(struct api_fixture *fixture, int id, int debit, int credit, const char *amount,
                     const char *extra, struct api_response *out)
{
    char body[512];
    (void)snprintf(body, sizeof body,
                   "{\"id\":\"%d\",\"debit_account_id\":\"%d\",\"credit_account_id\":\"%d\","
                   "\"amount\":\"%s\",\"asset\":\"USD\",\"code\":1%s}",
                   id, debit, credit, amount, extra != NULL ? extra : "");
    return api_json(fixture, "POST", "/v1/transfers", body, out);
}

static void expect_balance(struct api_fixture *fixture, int account, const char *field,
                           const char *value)
{
    char path[64];
    (void)snprintf(path, sizeof path, "/v1/accounts/%d", account);
    struct api_response r;
    assert_int_equal(api_json(fixture, "GET", path, NULL, &r), 200);
    assert_string_equal(api_field(&r, field), value);
    api_response_free(&r);
}

static void test_account_resources(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response r;
    assert_int_equal(api_json(fixture, "GET", "/v1/accounts/2", NULL, &r), 200);
    assert_string_equal(api_field(&r, "asset"), "USD");
    assert_int_equal(json_integer_value(json_object_get(r.body, "exponent")), 2);
    assert_string_equal(api_field(&r, "credits_posted_decimal"), "0.00");
    api_response_free(&r);
    /* The same account again: exists → 200 with the stored account. */
    assert_int_equal(api_json(fixture, "POST", "/v1/accounts",
                              "{\"id\":\"1\",\"asset\":\"USD\",\"kind\":\"equity\"}", &r),
                     200);
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "POST", "/v1/accounts",
                              "{\"id\":\"1\",\"asset\":\"EUR\",\"kind\":\"equity\"}", &r),
                     409);
    assert_string_equal(api_field(&r, "error.code"), "exists_with_different_asset");
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "GET", "/v1/accounts/99", NULL, &r), 404);
    assert_string_equal(api_field(&r, "error.code"), "account_not_found");
    assert_string_equal(api_field(&r, "error.param"), "id");
    assert_non_null(api_field(&r, "error.request_id"));
    api_response_free(&r);
}

static void test_account_pagination(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response r;
    assert_int_equal(api_json(fixture, "GET", "/v1/accounts?limit=2", NULL, &r), 200);
    json_t *data = json_object_get(r.body, "data");
    assert_int_equal(json_array_size(data), 2);
    assert_true(json_is_true(json_object_get(r.body, "has_more")));
    char path[128];
    (void)snprintf(path, sizeof path, "/v1/accounts?limit=2&starting_after=%s",
                   json_string_value(json_object_get(json_array_get(data, 1), "id")));
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "GET", path, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.body, "data")), 1);
    assert_true(json_is_false(json_object_get(r.body, "has_more")));
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "GET", "/v1/accounts?limit=0", NULL, &r), 400);
    assert_string_equal(api_field(&r, "error.param"), "limit");
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "GET", "/v1/accounts?limit=101", NULL, &r), 400);
    api_response_free(&r);
}

static void test_transfer_results(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response r;
    assert_int_equal(transfer(fixture, 100, 1, 2, "1000", NULL, &r), 201);
    assert_string_equal(api_field(&r, "amount_decimal"), "10.00");
    api_response_free(&r);
    /* A retry with the same id and fields is the stored transfer, not a second one. */
    assert_int_equal(transfer(fixture, 100, 1, 2, "1000", NULL, &r), 200);
    api_response_free(&r);
    assert_int_equal(transfer(fixture, 100, 1, 2, "999", NULL, &r), 409);
    assert_string_equal(api_field(&r, "error.code"), "exists_with_different_amount");
    api_response_free(&r);
    assert_int_equal(transfer(fixture, 101, 2, 3, "1001", NULL, &r), 422);
    assert_string_equal(api_field(&r, "error.code"), "exceeds_credits");
    api_response_free(&r);
    assert_int_equal(transfer(fixture, 102, 2, 42, "1", NULL, &r), 404);
    assert_string_equal(api_field(&r, "error.code"), "credit_account_not_found");
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "GET", "/v1/transfers/100", NULL, &r), 200);
    assert_string_equal(api_field(&r, "amount"), "1000");
    api_response_free(&r);
    /* A body without Content-Length (chunked) reads as well as a declared one. */
    assert_true(api_call(fixture, "POST", "/v1/transfers",
                         "{\"id\":\"103\",\"debit_account_id\":\"1\",\"credit_account_id\":\"3\","
                         "\"amount\":\"7\",\"asset\":\"USD\",\"code\":1}",
                         NULL, "Transfer-Encoding: chunked", &r));
    assert_int_equal(r.status, 201);
    api_response_free(&r);
    expect_balance(fixture, 3, "credits_posted", "7");
    expect_balance(fixture, 2, "credits_posted", "1000");
}

static void test_pending_post_and_void(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response r;
    assert_int_equal(transfer(fixture, 200, 1, 2, "500", ",\"flags\":[\"pending\"]", &r), 201);
    api_response_free(&r);
    expect_balance(fixture, 2, "credits_pending", "500");
    assert_int_equal(api_json(fixture, "POST", "/v1/transfers/200/post",
                              "{\"id\":\"201\",\"amount\":\"300\"}", &r),
                     201);
    assert_string_equal(api_field(&r, "amount"), "300");
    api_response_free(&r);
    expect_balance(fixture, 2, "credits_posted", "300");
    expect_balance(fixture, 2, "credits_pending", "0");
    assert_int_equal(api_json(fixture, "GET", "/v1/transfers/200", NULL, &r), 200);
    assert_string_equal(api_field(&r, "state"), "posted");
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "POST", "/v1/transfers/200/void", "{\"id\":\"202\"}", &r),
                     422);
    assert_string_equal(api_field(&r, "error.code"), "pending_transfer_already_posted");
    api_response_free(&r);
    assert_int_equal(transfer(fixture, 203, 1, 2, "70", ",\"flags\":[\"pending\"]", &r), 201);
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "POST", "/v1/transfers/203/void", "{\"id\":\"204\"}", &r),
                     201);
    api_response_free(&r);
    expect_balance(fixture, 2, "credits_pending", "0");
    /* The path sets pending_id and flags; the body may not. */
    assert_int_equal(api_json(fixture, "POST", "/v1/transfers/203/void",
                              "{\"id\":\"205\",\"pending_id\":\"1\"}", &r),
                     400);
    assert_string_equal(api_field(&r, "error.param"), "pending_id");
    api_response_free(&r);
}

static void test_batch(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response r;
    const char *batch = "{\"transfers\":["
                        "{\"id\":\"300\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
                        "\"amount\":\"50\",\"asset\":\"USD\",\"code\":1},"
                        "{\"id\":\"301\",\"debit_account_id\":\"2\",\"credit_account_id\":\"3\","
                        "\"amount\":\"51\",\"asset\":\"USD\",\"code\":1},"
                        "{\"id\":\"302\",\"debit_account_id\":\"2\",\"credit_account_id\":\"3\","
                        "\"amount\":\"20\",\"asset\":\"USD\",\"code\":1}]}";
    assert_int_equal(api_json(fixture, "POST", "/v1/transfers/batch", batch, &r), 200);
    json_t *results = json_object_get(r.body, "results");
    assert_int_equal(json_array_size(results), 3);
    const char *expected[] = {"ok", "exceeds_credits", "ok"};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(results, i), "result")), expected[i]);
    }
    api_response_free(&r);
    expect_balance(fixture, 3, "credits_posted", "20");
    /* One malformed item: nothing applied, the item and field named. */
    const char *bad = "{\"transfers\":["
                      "{\"id\":\"310\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
                      "\"amount\":\"5\",\"asset\":\"USD\",\"code\":1},"
                      "{\"id\":\"311\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
                      "\"amount\":\"-5\",\"asset\":\"USD\",\"code\":1}]}";
    assert_int_equal(api_json(fixture, "POST", "/v1/transfers/batch", bad, &r), 400);
    assert_string_equal(api_field(&r, "error.param"), "transfers[1].amount");
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "GET", "/v1/transfers/310", NULL, &r), 404);
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "POST", "/v1/transfers/batch", "{\"transfers\":[]}", &r),
                     400);
    assert_string_equal(api_field(&r, "error.code"), "batch_too_large");
    api_response_free(&r);
}

/* Bodies of unusual shape take the whole-tree parse and mean the same; broken ones are
 * refused whichever parse sees them first, nothing applied. */
static void test_batch_shapes(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response r;
    static const char *const accepted[] = {
        /* whitespace everywhere, an escaped key, braces and quotes inside strings */
        " \n{ \"transfers\" :\t[ {\"id\":\"400\",\"debit_account_id\":\"1\",\"credit_"
        "account_id\":\"2\",\"amount\":\"1\",\"asset\":\"USD\",\"code\":1} ] } \r\n",
        "{\"\\u0074ransfers\":[{\"id\":\"401\",\"debit_account_id\":\"1\",\"credit_account_"
        "id\":\"2\",\"amount\":\"1\",\"asset\":\"USD\",\"code\":1}]}",
        "{\"transfers\":[{\"id\":\"402\",\"debit_account_id\":\"1\",\"credit_account_id\":"
        "\"2\",\"amount\":\"1\",\"asset\":\"USD\",\"code\":1,\"user_data\":\"7\"}]}",
    };
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        assert_int_equal(api_json(fixture, "POST", "/v1/transfers/batch", accepted[i], &r), 200);
        assert_string_equal(json_string_value(json_object_get(
                                json_array_get(json_object_get(r.body, "results"), 0), "result")),
                            "ok");
        api_response_free(&r);
    }
    expect_balance(fixture, 2, "credits_posted", "3");
    static const struct {
        const char *body;
        const char *code;
    } refused[] = {
        {"{\"transfers\":[{\"id\":\"410\"}, ]}", "json_invalid"},
        {"{\"transfers\":[{\"id\":\"411\",\"id\":\"412\"}]}", "json_invalid"},
        {"{\"transfers\":[{\"id\":\"413\"}]} x", "json_invalid"},
        {"{\"transfers\":[{\"id\":\"414\"}],\"more\":1}", "invalid_argument"},
        {"{\"transfers\":[{\"id\":\"415\",\"amount\":\"}{\"}]}", "invalid_argument"},
        {"{\"transfers\":[{\"id\":\"416\",\"debit_account_id\":\"1\",\"credit_account_id\":"
         "\"2\",\"amount\":\"1\",\"asset\":\"USD\",\"code\":1},7]}",
         "invalid_argument"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(api_json(fixture, "POST", "/v1/transfers/batch", refused[i].body, &r),
                         400);
        assert_string_equal(api_field(&r, "error.code"), refused[i].code);
        api_response_free(&r);
    }
    expect_balance(fixture, 2, "credits_posted", "3");
}

static void test_history_and_as_of(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response r;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(transfer(fixture, 400 + i, 1, 2, "10", NULL, &r), 201);
        api_response_free(&r);
    }
    assert_int_equal(api_json(fixture, "GET", "/v1/accounts/2/transfers?limit=3", NULL, &r), 200);
    json_t *data = json_object_get(r.body, "data");
    assert_int_equal(json_array_size(data), 3);
    assert_true(json_is_true(json_object_get(r.body, "has_more")));
    json_int_t newest = json_integer_value(json_object_get(json_array_get(data, 0), "timestamp"));
    json_int_t third = json_integer_value(json_object_get(json_array_get(data, 2), "timestamp"));
    assert_true(newest > third);
    char path[160];
    (void)snprintf(path, sizeof path, "/v1/accounts/2/transfers?limit=3&starting_after=%s",
                   json_string_value(json_object_get(json_array_get(data, 2), "id")));
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "GET", path, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.body, "data")), 2);
    assert_true(json_is_false(json_object_get(r.body, "has_more")));
    api_response_free(&r);
    /* As of the third-newest transfer: three of the five had been applied. */
    (void)snprintf(path, sizeof path, "/v1/accounts/2/balances?as_of=%lld", (long long)third);
    assert_int_equal(api_json(fixture, "GET", path, NULL, &r), 200);
    assert_string_equal(api_field(&r, "credits_posted"), "30");
    api_response_free(&r);
    assert_int_equal(
        api_json(fixture, "GET", "/v1/accounts/2/balances?as_of=2000-01-01T00:00:00.5Z", NULL, &r),
        200);
    assert_string_equal(api_field(&r, "credits_posted"), "0");
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "GET", "/v1/accounts/2/balances?as_of=yesterday", NULL, &r),
                     400);
    assert_string_equal(api_field(&r, "error.code"), "time_invalid");
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "GET", "/v1/accounts/2/transfers?order=up", NULL, &r), 400);
    api_response_free(&r);
}

/* Each bad body is refused with its code and param, and moves nothing. */
static void test_bad_input(void **state)
{
    struct api_fixture *fixture = *state;
    const struct {
        const char *body;
        const char *code;
        const char *param;
    } cases[] = {
        {"{\"id\":", "json_invalid", NULL},
        {"[1,2]", "json_invalid", NULL},
        {"", "json_invalid", NULL},
        {"{\"id\":\"500\",\"debit_account_id\":1,\"credit_account_id\":\"2\",\"amount\":\"5\","
         "\"asset\":\"USD\",\"code\":1}",
         "invalid_argument", "debit_account_id"},
        {"{\"id\":\"500\",\"credit_account_id\":\"2\",\"amount\":\"5\",\"asset\":\"USD\","
         "\"code\":1}",
         "invalid_argument", "debit_account_id"},
        {"{\"id\":\"500\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\",\"amount\":\"5\","
         "\"asset\":\"USD\",\"code\":1,\"memo\":\"x\"}",
         "invalid_argument", "memo"},
        {"{\"id\":\"500\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\",\"amount\":\"-5\","
         "\"asset\":\"USD\",\"code\":1}",
         "decimal_sign", "amount"},
        {"{\"id\":\"500\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
         "\"amount\":\"340282366920938463463374607431768211456\",\"asset\":\"USD\",\"code\":1}",
         "decimal_overflow", "amount"},
        {"{\"id\":\"500\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\",\"amount\":\"1."
         "5\","
         "\"asset\":\"USD\",\"code\":1}",
         "decimal_precision", "amount"},
        {"{\"id\":\"500\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\",\"amount\":5,"
         "\"asset\":\"USD\",\"code\":1}",
         "invalid_argument", "amount"},
        {"{\"id\":\"500\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\",\"amount\":\"5\","
         "\"asset\":\"ZZZ\",\"code\":1}",
         "asset_unknown", "asset"},
        {"{\"id\":\"500\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\",\"amount\":\"5\","
         "\"asset\":\"EUR\",\"code\":1}",
         "asset_not_found", "asset"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct api_response r;
        assert_int_equal(api_json(fixture, "POST", "/v1/transfers", cases[i].body, &r),
                         400 + (strcmp(cases[i].code, "asset_not_found") == 0 ? 4 : 0));
        assert_string_equal(api_field(&r, "error.code"), cases[i].code);
        if (cases[i].param != NULL) {
            assert_string_equal(api_field(&r, "error.param"), cases[i].param);
        }
        api_response_free(&r);
    }
    expect_balance(fixture, 1, "debits_posted", "0");
    expect_balance(fixture, 2, "credits_posted", "0");
}

/* The reply to a body without its request id (each request has its own). */
static json_t *reply_of(struct api_fixture *fixture, const char *body, long *status)
{
    struct api_response r;
    *status = api_json(fixture, "POST", "/v1/transfers", body, &r);
    assert_non_null(r.body);
    json_t *reply = json_incref(r.body);
    (void)json_object_del(json_object_get(reply, "error"), "request_id");
    api_response_free(&r);
    return reply;
}

/* A plain body is read in place, the same body with an escape through jansson: both
 * readers give the same reply, refusals and the stored transfer alike. */
static void test_single_readers_agree(void **state)
{
    struct api_fixture *fixture = *state;
    static const struct {
        const char *plain;
        const char *escaped;
    } pairs[] = {
        {"{\"id\":\"600\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
         "\"amount\":\"-5\",\"asset\":\"USD\",\"code\":1}",
         "{\"id\":\"600\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
         "\"amount\":\"\\u002d5\",\"asset\":\"USD\",\"code\":1}"},
        {"{\"id\":\"600\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
         "\"amount\":\"5\",\"asset\":\"ZZZ\",\"code\":1}",
         "{\"id\":\"600\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
         "\"amount\":\"5\",\"asset\":\"Z\\u005aZ\",\"code\":1}"},
        {"{\"id\":\"600\",\"debit_account_id\":\"1\",\"amount\":\"5\",\"asset\":\"USD\"}",
         "{\"id\":\"6\\u00300\",\"debit_account_id\":\"1\",\"amount\":\"5\",\"asset\":\"USD\"}"},
        {"{\"id\":\"600\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
         "\"amount\":\"5\",\"asset\":\"USD\",\"code\":65536}",
         "{\"id\":\"600\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
         "\"amount\":\"5\",\"asset\":\"\\u0055SD\",\"code\":65536}"},
        /* Created by the first, found by the second: the same stored transfer. */
        {"{\"id\":\"601\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
         "\"amount\":\"5\",\"asset\":\"USD\",\"code\":1,\"flags\":[\"pending\"]}",
         "{\"id\":\"601\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
         "\"amount\":\"5\",\"asset\":\"USD\",\"code\":1,\"flags\":[\"p\\u0065nding\"]}"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        long plain_status = 0;
        long escaped_status = 0;
        json_t *plain = reply_of(fixture, pairs[i].plain, &plain_status);
        json_t *escaped = reply_of(fixture, pairs[i].escaped, &escaped_status);
        bool created = plain_status == 201;
        assert_int_equal(escaped_status, created ? 200 : plain_status);
        if (!json_equal(plain, escaped)) {
            fail_msg("the readers differ on pair %zu", i);
        }
        json_decref(plain);
        json_decref(escaped);
    }
    expect_balance(fixture, 2, "credits_pending", "5");
}

/* The Request-Id header's value ("" when missing). */
static void request_id_of(const struct api_response *r, char id[64])
{
    const char *at = strstr(r->headers, "Request-Id: ");
    id[0] = '\0';
    if (at != NULL) {
        at += strlen("Request-Id: ");
        size_t length = strcspn(at, "\r\n");
        assert_true(length < 64);
        memcpy(id, at, length);
        id[length] = '\0';
    }
}

/* Request ids: "req_", the server's 16 hex digits, then 8 that count requests; the
 * error object carries the header's value. */
static void expect_request_ids(struct api_fixture *fixture)
{
    char ids[2][64];
    for (int i = 0; i < 2; i++) {
        struct api_response r;
        assert_int_equal(api_json(fixture, "GET", "/v1/nothing", NULL, &r), 404);
        request_id_of(&r, ids[i]);
        assert_int_equal(strlen(ids[i]), 4 + 16 + 8);
        assert_memory_equal(ids[i], "req_", 4);
        assert_int_equal(strspn(ids[i] + 4, "0123456789abcdef"), 24);
        assert_string_equal(api_field(&r, "error.request_id"), ids[i]);
        api_response_free(&r);
    }
    assert_memory_equal(ids[0], ids[1], 4 + 16);
    assert_string_not_equal(ids[0] + 20, ids[1] + 20);
}

static void test_http_refusals(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response r;
    assert_true(api_call(fixture, "POST", "/v1/transfers", "{}", "text/plain", NULL, &r));
    assert_int_equal(r.status, 415);
    assert_string_equal(api_field(&r, "error.code"), "unsupported_media_type");
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "GET", "/v1/nothing", NULL, &r), 404);
    assert_string_equal(api_field(&r, "error.code"), "route_unknown");
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "DELETE", "/v1/accounts/1", NULL, &r), 405);
    assert_non_null(strstr(r.headers, "Allow: GET"));
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "DELETE", "/v1/accounts", NULL, &r), 405);
    assert_non_null(strstr(r.headers, "Allow: POST, GET\r\n"));
    api_response_free(&r);
    expect_request_ids(fixture);
    assert_int_equal(api_json(fixture, "GET", "/readyz", NULL, &r), 200);
    api_response_free(&r);
    /* A body over the limit (4 MiB): 413, whether declared or sent. */
    size_t size = (4u << 20) + 16;
    char *big = malloc(size + 1);
    memset(big, ' ', size);
    big[size] = '\0';
    big[0] = '{';
    big[size - 1] = '}';
    assert_true(api_call(fixture, "POST", "/v1/transfers", big, NULL, NULL, &r));
    assert_int_equal(r.status, 413);
    api_response_free(&r);
    free(big);
    /* A header flood: more header bytes than a connection may hold. */
    size_t flood_size = 100u << 10;
    char *flood = malloc(flood_size + 16);
    memcpy(flood, "X-Flood: ", 9);
    memset(flood + 9, 'a', flood_size);
    flood[9 + flood_size] = '\0';
    bool answered = api_call(fixture, "GET", "/livez", NULL, NULL, flood, &r);
    assert_true(!answered || r.status == 431 || r.status == 413 || r.status == 400);
    api_response_free(&r);
    free(flood);
}

struct load {
    struct api_fixture *fixture;
    int first_id;
    int count;
    int created;
};

/* No cmocka assertions here: they may only fail on the test's own thread. A request
 * refused because the server stopped simply does not count. */
static void *load_main(void *arg)
{
    struct load *load = arg;
    for (int i = 0; i < load->count; i++) {
        char body[256];
        (void)snprintf(body, sizeof body,
                       "{\"id\":\"%d\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
                       "\"amount\":\"1\",\"asset\":\"USD\",\"code\":1}",
                       load->first_id + i);
        struct api_response r;
        if (api_call(load->fixture, "POST", "/v1/transfers", body, NULL, NULL, &r) &&
            r.status == 201) {
            load->created++;
        }
        api_response_free(&r);
    }
    return NULL;
}

/* Concurrent single-transfer requests share batches; every one is applied once. */
static void test_concurrent_group_commit(void **state)
{
    struct api_fixture *fixture = *state;
    enum { THREADS = 8, EACH = 50 };
    pthread_t threads[THREADS];
    struct load loads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        loads[t] = (struct load){fixture, 10000 + t * EACH, EACH, 0};
        assert_int_equal(pthread_create(&threads[t], NULL, load_main, &loads[t]), 0);
    }
    int created = 0;
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
        created += loads[t].created;
    }
    assert_int_equal(created, THREADS * EACH);
    char expected[16];
    (void)snprintf(expected, sizeof expected, "%d", THREADS * EACH);
    expect_balance(fixture, 2, "credits_posted", expected);
}

/* Stop while requests are in flight: every 2xx survives a restart. */
static void test_graceful_stop_keeps_acknowledged(void **state)
{
    struct api_fixture *fixture = *state;
    enum { THREADS = 4, EACH = 40 };
    pthread_t threads[THREADS];
    struct load loads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        loads[t] = (struct load){fixture, 20000 + t * EACH, EACH, 0};
        assert_int_equal(pthread_create(&threads[t], NULL, load_main, &loads[t]), 0);
    }
    struct api_response r;
    assert_int_equal(transfer(fixture, 19999, 1, 2, "1", NULL, &r), 201);
    api_response_free(&r);
    api_fixture_stop(fixture);
    int created = 1;
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
        created += loads[t].created;
    }
    api_fixture_start(fixture, (struct api_server_options){0});
    char expected[16];
    (void)snprintf(expected, sizeof expected, "%d", created);
    expect_balance(fixture, 2, "credits_posted", expected);
}

int main(void)
{
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_account_resources, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_account_pagination, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_transfer_results, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_pending_post_and_void, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_batch, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_batch_shapes, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_history_and_as_of, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_single_readers_agree, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_http_refusals, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_concurrent_group_commit, setup,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_graceful_stop_keeps_acknowledged, setup,
                                        api_fixture_free_state),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
