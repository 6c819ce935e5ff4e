/*
 * API keys and access, end to end: authentication (401 and its challenge), the
 * authorization matrix (every role × every endpoint), a user key's view (another
 * owner's records are 404, never 403), per-key rate limits (429 + Retry-After), keys
 * created and revoked while the server runs, and the key file's own rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "api_client.h"
#include "tpw_test.h"
#include "tpwallet/id.h"

#include "banned.h"

/* Owners: U holds accounts 10 and 11, V holds 20; 1 is the house's funding account. */
#define OWNER_U "42"
#define OWNER_V "43"

enum { ADMIN, OPERATOR, AUDITOR, USER, ROLES };

struct auth_fixture {
    struct api_fixture api;
    char keys[ROLES][API_KEY_TEXT_SIZE];
};

static void call_ok(struct api_fixture *api, const char *method, const char *path, const char *body,
                    long status)
{
    struct api_response r;
    long got = api_json(api, method, path, body, &r);
    if (got != status) {
        char *text = r.body != NULL ? json_dumps(r.body, 0) : NULL;
        fail_msg("%s %s: %ld, not %ld: %s", method, path, got, status, text ? text : "");
    }
    api_response_free(&r);
}

static int setup(void **state)
{
    struct auth_fixture *fixture = calloc(1, sizeof *fixture);
    struct api_fixture *api = &fixture->api;
    /* The ledger and the admin key first; the other keys before the server starts. */
    api_fixture_start(api, (struct api_server_options){0});
    memcpy(fixture->keys[ADMIN], api->admin_key, API_KEY_TEXT_SIZE);
    api_fixture_stop(api);
    api_fixture_key(api, &(struct api_key_spec){.role = API_ROLE_OPERATOR},
                    fixture->keys[OPERATOR]);
    api_fixture_key(api, &(struct api_key_spec){.role = API_ROLE_AUDITOR}, fixture->keys[AUDITOR]);
    api_fixture_key(api, &(struct api_key_spec){.role = API_ROLE_USER, .owner = 42},
                    fixture->keys[USER]);
    api_fixture_start(api, (struct api_server_options){0});
    call_ok(api, "POST", "/v1/accounts", "{\"id\":\"1\",\"asset\":\"USD\",\"kind\":\"equity\"}",
            201);
    call_ok(api, "POST", "/v1/accounts",
            "{\"id\":\"10\",\"asset\":\"USD\",\"owner\":\"" OWNER_U "\"}", 201);
    call_ok(api, "POST", "/v1/accounts",
            "{\"id\":\"11\",\"asset\":\"USD\",\"owner\":\"" OWNER_U "\"}", 201);
    call_ok(api, "POST", "/v1/accounts",
            "{\"id\":\"20\",\"asset\":\"USD\",\"owner\":\"" OWNER_V "\"}", 201);
    /* Funds, and transfers only V's side knows (100) and U's side knows (101). */
    call_ok(api, "POST", "/v1/transfers/batch",
            "{\"transfers\":["
            "{\"id\":\"90\",\"debit_account_id\":\"1\",\"credit_account_id\":\"10\","
            "\"amount\":\"100000\",\"asset\":\"USD\",\"code\":1},"
            "{\"id\":\"91\",\"debit_account_id\":\"1\",\"credit_account_id\":\"20\","
            "\"amount\":\"100000\",\"asset\":\"USD\",\"code\":1},"
            "{\"id\":\"100\",\"debit_account_id\":\"1\",\"credit_account_id\":\"20\","
            "\"amount\":\"5\",\"asset\":\"USD\",\"code\":1},"
            "{\"id\":\"101\",\"debit_account_id\":\"10\",\"credit_account_id\":\"11\","
            "\"amount\":\"5\",\"asset\":\"USD\",\"code\":1}]}",
            200);
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    struct auth_fixture *fixture = *state;
    api_fixture_teardown(&fixture->api);
    free(fixture);
    return 0;
}

static long call_as(struct api_fixture *api, const char *key, const char *method, const char *path,
                    const char *body, struct api_response *out)
{
    const char *saved = api->key;
    api->key = key;
    long status = api_json(api, method, path, body, out);
    api->key = saved;
    return status;
}

/* ---- authentication ------------------------------------------------------------- */

static void expect_unauthenticated(struct api_fixture *api, const char *header)
{
    const char *saved = api->key;
    api->key = NULL;
    struct api_response r;
    assert_true(api_call(api, "GET", "/v1/accounts", NULL, NULL, header, &r));
    api->key = saved;
    assert_int_equal(r.status, 401);
    assert_string_equal(api_field(&r, "error.code"), "unauthenticated");
    assert_non_null(strstr(r.headers, "WWW-Authenticate: Bearer"));
    api_response_free(&r);
}

static void test_authentication(void **state)
{
    struct auth_fixture *fixture = *state;
    struct api_fixture *api = &fixture->api;
    expect_unauthenticated(api, NULL);
    expect_unauthenticated(api, "Authorization: Bearer");
    expect_unauthenticated(api, "Authorization: Bearer tpwk_nothex");
    expect_unauthenticated(api, "Authorization: Basic dXNlcjpwYXNz");
    /* The right id with another secret. */
    char forged[API_KEY_TEXT_SIZE + 32];
    (void)snprintf(forged, sizeof forged, "Authorization: Bearer %s", fixture->keys[ADMIN]);
    size_t last = strlen(forged) - 1;
    forged[last] = forged[last] == 'A' ? 'B' : 'A';
    expect_unauthenticated(api, forged);
    /* Each worker thread remembers the last key it decoded: a forgery right after the
     * real key (and the key right after a forgery) is judged on its own bytes. */
    for (int i = 0; i < 4; i++) {
        struct api_response ok;
        assert_int_equal(api_json(api, "GET", "/v1/accounts", NULL, &ok), 200);
        api_response_free(&ok);
        expect_unauthenticated(api, forged);
    }
    /* The scheme is case-insensitive; probes need no key. */
    char lower[API_KEY_TEXT_SIZE + 32];
    (void)snprintf(lower, sizeof lower, "Authorization: bearer %s", fixture->keys[AUDITOR]);
    api->key = NULL;
    struct api_response r;
    assert_true(api_call(api, "GET", "/v1/accounts", NULL, NULL, lower, &r));
    assert_int_equal(r.status, 200);
    api_response_free(&r);
    assert_int_equal(api_json(api, "GET", "/livez", NULL, &r), 200);
    api_response_free(&r);
    assert_int_equal(api_json(api, "GET", "/readyz", NULL, &r), 200);
    api_response_free(&r);
    /* Without a key, nothing else is revealed: not even whether a route exists. */
    assert_int_equal(api_json(api, "POST", "/v1/transfers", "{}", &r), 401);
    api_response_free(&r);
}

/* ---- the matrix ----------------------------------------------------------------- */

/* One endpoint's request and what each role gets. Each `#` in the body or path
 * becomes the role's digit, so writes never collide. */
struct matrix_row {
    const char *method;
    const char *path;
    const char *body;
    long status[ROLES];
};

static const struct matrix_row matrix[] = {
    /* Accounts: a user opens accounts for its own owner only. */
    {"POST",
     "/v1/accounts",
     "{\"id\":\"3#\",\"asset\":\"USD\",\"owner\":\"" OWNER_V "\"}",
     {201, 201, 403, 403}},
    {"POST",
     "/v1/accounts",
     "{\"id\":\"4#\",\"asset\":\"USD\",\"owner\":\"" OWNER_U "\"}",
     {201, 201, 403, 201}},
    {"GET", "/v1/accounts", NULL, {200, 200, 200, 200}},
    {"GET", "/v1/accounts/10", NULL, {200, 200, 200, 200}},
    {"GET", "/v1/accounts/20", NULL, {200, 200, 200, 404}},
    {"GET", "/v1/accounts/10/balances", NULL, {200, 200, 200, 200}},
    {"GET", "/v1/accounts/20/balances", NULL, {200, 200, 200, 404}},
    {"GET", "/v1/accounts/10/transfers", NULL, {200, 200, 200, 200}},
    {"GET", "/v1/accounts/20/transfers", NULL, {200, 200, 200, 404}},
    /* Transfers: a user moves money only out of its owner's accounts, to anyone. */
    {"POST",
     "/v1/transfers",
     "{\"id\":\"5#\",\"debit_account_id\":\"10\",\"credit_account_id\":\"20\",\"amount\":\"1\","
     "\"asset\":\"USD\",\"code\":1}",
     {201, 201, 403, 201}},
    {"POST",
     "/v1/transfers",
     "{\"id\":\"6#\",\"debit_account_id\":\"20\",\"credit_account_id\":\"10\",\"amount\":\"1\","
     "\"asset\":\"USD\",\"code\":1}",
     {201, 201, 403, 404}},
    {"POST",
     "/v1/transfers/batch",
     "{\"transfers\":[{\"id\":\"7#\",\"debit_account_id\":\"10\",\"credit_account_id\":\"11\","
     "\"amount\":\"1\",\"asset\":\"USD\",\"code\":1}]}",
     {200, 200, 403, 200}},
    {"POST",
     "/v1/transfers/batch",
     "{\"transfers\":[{\"id\":\"8#\",\"debit_account_id\":\"20\",\"credit_account_id\":\"10\","
     "\"amount\":\"1\",\"asset\":\"USD\",\"code\":1}]}",
     {200, 200, 403, 404}},
    {"GET", "/v1/transfers/101", NULL, {200, 200, 200, 200}},
    {"GET", "/v1/transfers/100", NULL, {200, 200, 200, 404}},
    /* Pending transfers (made per role by matrix_pendings): U's and V's. */
    {"POST", "/v1/transfers/20#/post", "{\"id\":\"21#\"}", {201, 201, 403, 201}},
    {"POST", "/v1/transfers/22#/void", "{\"id\":\"23#\"}", {201, 201, 403, 404}},
    /* Rates: every role reads; admins and operators set manual rates (the admin's row
     * runs first, so the pair exists for every role's reads). */
    {"POST",
     "/v1/rates",
     "{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"1.1#\"}",
     {201, 201, 403, 403}},
    {"GET", "/v1/rates", NULL, {200, 200, 200, 200}},
    {"GET", "/v1/rates/USD-EUR", NULL, {200, 200, 200, 200}},
    /* Quotes and conversions: writes (no auditor); a quote nobody made is not found. */
    {"POST",
     "/v1/quotes",
     "{\"from\":\"EUR\",\"to\":\"USD\",\"sell_amount\":\"10#\"}",
     {201, 201, 403, 201}},
    {"POST",
     "/v1/conversions",
     "{\"quote_id\":\"fxq_00000000000000000000000000\",\"debit_account_id\":\"10\","
     "\"credit_account_id\":\"11\"}",
     {404, 404, 403, 404}},
    /* Market data and alerts: every role reads (prices are not customer data). This
     * server follows no market, so an instrument is not found for anyone, never 403. */
    {"GET", "/v1/markets", NULL, {200, 200, 200, 200}},
    {"GET", "/v1/markets/BINANCE/BTCUSDT/book", NULL, {404, 404, 404, 404}},
    {"GET", "/v1/markets/BINANCE/BTCUSDT/indicators", NULL, {404, 404, 404, 404}},
    {"GET", "/v1/alerts", NULL, {200, 200, 200, 200}},
    {"GET", "/livez", NULL, {200, 200, 200, 200}},
    {"GET", "/readyz", NULL, {200, 200, 200, 200}},
    /* The server's own state: ops roles only. */
    {"GET", "/metrics", NULL, {200, 200, 200, 403}},
    {"GET", "/v1/exposure", NULL, {200, 200, 200, 403}},
};

/* A pending transfer from U (20<role>) and one from V (22<role>) for the rows above. */
static void matrix_pendings(struct api_fixture *api, int role)
{
    char body[256];
    (void)snprintf(body, sizeof body,
                   "{\"id\":\"20%d\",\"debit_account_id\":\"10\",\"credit_account_id\":\"20\","
                   "\"amount\":\"3\",\"asset\":\"USD\",\"code\":1,\"flags\":[\"pending\"]}",
                   role);
    call_ok(api, "POST", "/v1/transfers", body, 201);
    (void)snprintf(body, sizeof body,
                   "{\"id\":\"22%d\",\"debit_account_id\":\"20\",\"credit_account_id\":\"10\","
                   "\"amount\":\"3\",\"asset\":\"USD\",\"code\":1,\"flags\":[\"pending\"]}",
                   role);
    call_ok(api, "POST", "/v1/transfers", body, 201);
}

static void fill(char *out, size_t size, const char *template, int role)
{
    size_t length = strlen(template);
    assert_true(length < size);
    for (size_t i = 0; i <= length; i++) {
        out[i] = template[i] == '#' ? (char)('0' + role) : template[i];
    }
}

static size_t stop_at_first_byte(char *data, size_t size, size_t count, void *user)
{
    (void)data;
    (void)size;
    (void)count;
    *(bool *)user = true;
    return 0; /* the stream is open and sending: that is all the matrix asks */
}

/* GET /v1/events never ends by itself: its status, read as the history starts. */
static long events_status(const struct api_fixture *api, const char *key)
{
    CURL *curl = curl_easy_init();
    assert_non_null(curl);
    char url[256];
    (void)snprintf(url, sizeof url, "%s/v1/events", api->base_url);
    char authorization[API_KEY_TEXT_SIZE + 32];
    (void)snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", key);
    struct curl_slist *headers = key != NULL ? curl_slist_append(NULL, authorization) : NULL;
    bool streamed = false;
    (void)curl_easy_setopt(curl, CURLOPT_URL, url);
    (void)curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    (void)curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, stop_at_first_byte);
    (void)curl_easy_setopt(curl, CURLOPT_WRITEDATA, &streamed);
    (void)curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    (void)curl_easy_perform(curl);
    long status = 0;
    (void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    assert_true(streamed);
    return status;
}

static void test_authorization_matrix(void **state)
{
    struct auth_fixture *fixture = *state;
    struct api_fixture *api = &fixture->api;
    static const char *const role_names[ROLES] = {"admin", "operator", "auditor", "user"};
    for (int role = 0; role < ROLES; role++) {
        matrix_pendings(api, role);
        for (size_t i = 0; i < sizeof matrix / sizeof matrix[0]; i++) {
            const struct matrix_row *row = &matrix[i];
            char path[128];
            char body[512];
            fill(path, sizeof path, row->path, role);
            if (row->body != NULL) {
                fill(body, sizeof body, row->body, role);
            }
            struct api_response r;
            long status = call_as(api, fixture->keys[role], row->method, path,
                                  row->body != NULL ? body : NULL, &r);
            if (status != row->status[role]) {
                fail_msg("%s %s as %s: %ld, expected %ld", row->method, path, role_names[role],
                         status, row->status[role]);
            }
            /* Refusals say why, and a hidden record is just not found. */
            if (status == 403) {
                assert_string_equal(api_field(&r, "error.code"), "permission_denied");
            }
            api_response_free(&r);
        }
        /* Every role may stream events (a user's filtered: test_api_events). */
        assert_int_equal(events_status(api, fixture->keys[role]), 200);
    }
    assert_int_equal(events_status(api, NULL), 401);
}

/* A user's lists hold only its owner's records. */
static void test_user_view(void **state)
{
    struct auth_fixture *fixture = *state;
    struct api_fixture *api = &fixture->api;
    struct api_response r;
    assert_int_equal(call_as(api, fixture->keys[USER], "GET", "/v1/accounts?limit=100", NULL, &r),
                     200);
    char owner_u[TPW_ID_TEXT_SIZE];
    (void)tpw_id_format(42, "usr", owner_u, sizeof owner_u);
    json_t *data = json_object_get(r.body, "data");
    assert_int_equal(json_array_size(data), 2);
    for (size_t i = 0; i < json_array_size(data); i++) {
        const char *owner = json_string_value(json_object_get(json_array_get(data, i), "owner"));
        assert_non_null(owner);
        assert_string_equal(owner, owner_u);
    }
    api_response_free(&r);
    /* An account opened without an owner is the user's own. */
    assert_int_equal(call_as(api, fixture->keys[USER], "POST", "/v1/accounts",
                             "{\"id\":\"12\",\"asset\":\"USD\"}", &r),
                     201);
    assert_string_equal(api_field(&r, "owner"), owner_u);
    api_response_free(&r);
    assert_int_equal(call_as(api, fixture->keys[USER], "POST", "/v1/accounts",
                             "{\"id\":\"13\",\"asset\":\"USD\",\"owner\":\"43\"}", &r),
                     403);
    assert_string_equal(api_field(&r, "error.param"), "owner");
    api_response_free(&r);
    /* Nothing moved out of V's account by the refused requests. */
    assert_int_equal(api_json(api, "GET", "/v1/accounts/20", NULL, &r), 200);
    assert_string_equal(api_field(&r, "debits_posted"), "0");
    api_response_free(&r);
}

/* ---- rate limits, live key changes ---------------------------------------------- */

static void test_rate_limit(void **state)
{
    struct auth_fixture *fixture = *state;
    struct api_fixture *api = &fixture->api;
    char key[API_KEY_TEXT_SIZE];
    api_fixture_stop(api);
    api_fixture_key(api,
                    &(struct api_key_spec){
                        .role = API_ROLE_AUDITOR, .rate_set = true, .rate_per_s = 1, .burst = 3},
                    key);
    api_fixture_start(api, (struct api_server_options){0});
    struct api_response r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(call_as(api, key, "GET", "/v1/accounts/10", NULL, &r), 200);
        api_response_free(&r);
    }
    /* The burst is spent: refused at once (well before the 1 s refill). */
    assert_int_equal(call_as(api, key, "GET", "/v1/accounts/10", NULL, &r), 429);
    assert_string_equal(api_field(&r, "error.code"), "rate_limited");
    assert_non_null(strstr(r.headers, "Retry-After: 1"));
    api_response_free(&r);
    /* Other keys have their own buckets. */
    assert_int_equal(api_json(api, "GET", "/v1/accounts/10", NULL, &r), 200);
    api_response_free(&r);
}

/* Polls (bounded) until `key` gets `status` on GET /v1/accounts. */
static void await_status(struct api_fixture *api, const char *key, long status)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        struct api_response r;
        long got = call_as(api, key, "GET", "/v1/accounts", NULL, &r);
        api_response_free(&r);
        if (got == status) {
            return;
        }
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 50000000};
        (void)nanosleep(&pause, NULL);
    }
    fail_msg("the key never got %ld", status);
}

static void test_keys_change_while_running(void **state)
{
    struct auth_fixture *fixture = *state;
    struct api_fixture *api = &fixture->api;
    char key[API_KEY_TEXT_SIZE];
    api_fixture_key(api, &(struct api_key_spec){.role = API_ROLE_AUDITOR}, key);
    await_status(api, key, 200);
    uint64_t id = 0;
    char id_text[17];
    memcpy(id_text, key + 5, 16);
    id_text[16] = '\0';
    assert_true(api_key_id_parse(id_text, &id));
    struct api_key_info info;
    assert_err(api_key_revoke(api->data_dir, id, &info, NULL), TPW_OK);
    assert_true(info.revoked_ns != 0);
    await_status(api, key, 401);
    /* Revoked stays revoked across a restart. */
    api_fixture_stop(api);
    api_fixture_start(api, (struct api_server_options){0});
    await_status(api, key, 401);
}

/* ---- the key file ----------------------------------------------------------------- */

static void test_key_rules(void **state)
{
    struct auth_fixture *fixture = *state;
    const char *dir = fixture->api.data_dir;
    struct api_key_info info;
    char key[API_KEY_TEXT_SIZE];
    struct tpw_error_detail detail;
    static const struct {
        struct api_key_spec spec;
        const char *param;
    } bad[] = {
        {{.role = API_ROLE_USER}, "owner"},
        {{.role = API_ROLE_ADMIN, .owner = 7}, "owner"},
        {{.role = (enum api_role)9}, "role"},
        {{.role = API_ROLE_ADMIN, .rate_set = true, .rate_per_s = 0, .burst = 5}, "burst"},
        {{.role = API_ROLE_ADMIN,
          .name = "a name far longer than the sixty-four bytes a key's label may have, really"},
         "name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tpw_error_detail_reset(&detail);
        assert_err(api_key_create(dir, &bad[i].spec, &info, key, &detail), TPW_ERR_API_KEY_INVALID);
        assert_string_equal(detail.param, bad[i].param);
    }
    assert_err(api_key_revoke(dir, 12345, &info, NULL), TPW_ERR_API_KEY_NOT_FOUND);
    struct api_key_info *keys = NULL;
    size_t count = 0;
    assert_err(api_key_list(dir, &keys, &count, NULL), TPW_OK);
    assert_int_equal(count, ROLES); /* the refused specs left nothing behind */
    assert_err(api_key_revoke(dir, keys[1].id, &info, NULL), TPW_OK);
    assert_err(api_key_revoke(dir, keys[1].id, &info, NULL), TPW_ERR_API_KEY_NOT_FOUND);
    free(keys);
    /* A user key's defaults. */
    assert_err(api_key_create(dir, &(struct api_key_spec){.role = API_ROLE_USER, .owner = 9}, &info,
                              key, NULL),
               TPW_OK);
    assert_int_equal(info.rate_per_s, API_KEY_USER_RATE_PER_S);
    assert_int_equal(info.burst, API_KEY_USER_BURST);
    assert_int_equal(strlen(key), API_KEY_TEXT_SIZE - 1);
    assert_true(strncmp(key, "tpwk_", 5) == 0);
}

static void append_text(const char *dir, const char *text)
{
    char path[256];
    (void)snprintf(path, sizeof path, "%s/apikeys.jsonl", dir);
    FILE *file = fopen(path, "a");
    assert_non_null(file);
    assert_true(fputs(text, file) >= 0);
    assert_int_equal(fclose(file), 0);
}

/* A torn last line (a crash mid-append) is ignored and cut by the next writer; a
 * malformed complete line stops the server from starting. */
static void test_key_file_damage(void **state)
{
    struct auth_fixture *fixture = *state;
    struct api_fixture *api = &fixture->api;
    api_fixture_stop(api);
    append_text(api->data_dir, "{\"op\":\"create\",\"id\":\"00");
    api_fixture_start(api, (struct api_server_options){0});
    call_ok(api, "GET", "/v1/accounts/10", NULL, 200);
    char key[API_KEY_TEXT_SIZE];
    api_fixture_key(api, &(struct api_key_spec){.role = API_ROLE_AUDITOR}, key);
    await_status(api, key, 200);
    api_fixture_stop(api);
    append_text(api->data_dir, "{\"op\":\"create\",\"id\":\"zz\"}\n");
    struct api_server *server = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(
        api_server_start(&(struct api_server_options){.data_dir = api->data_dir}, &server, &detail),
        TPW_ERR_API_KEYFILE_CORRUPT);
    assert_null(server);
    struct api_key_info *keys = NULL;
    size_t count = 0;
    assert_err(api_key_list(api->data_dir, &keys, &count, NULL), TPW_ERR_API_KEYFILE_CORRUPT);
    assert_null(keys);
}

int main(void)
{
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_authentication, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authorization_matrix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_change_while_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_file_damage, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
