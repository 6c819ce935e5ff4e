/*
 * GET /v1/map end to end: a real server, manual rates, accounts and transfers over HTTP.
 * A hand-computed map — fiat, a stablecoin, crypto valued through one and three legs,
 * rounding down, a hold, a negative balance, an asset no rate reaches — whose every
 * total is the exact sum of the values below it; who sees which owner's map; and each
 * refusal (no base, an unknown base, a bad owner, another owner for a user key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "api_client.h"
#include "tpw_test.h"

#include "banned.h"

struct map_case {
    struct api_fixture api;
    char alice[API_KEY_TEXT_SIZE]; /* a user key of owner 1 */
};

static void account(struct api_fixture *api, const char *id, const char *asset, const char *owner,
                    bool limited)
{
    char body[256];
    (void)snprintf(body, sizeof body, "{\"id\":\"%s\",\"asset\":\"%s\"%s%s%s%s}", id, asset,
                   owner != NULL ? ",\"owner\":\"" : ",\"kind\":\"equity\"",
                   owner != NULL ? owner : "", owner != NULL ? "\"" : "",
                   limited ? ",\"flags\":[\"debits_must_not_exceed_credits\"]" : "");
    api_post_ok(api, "/v1/accounts", body);
}

static void transfer(struct api_fixture *api, const char *id, const char *debit, const char *credit,
                     const char *amount, const char *asset, bool pending)
{
    char body[320];
    (void)snprintf(body, sizeof body,
                   "{\"id\":\"%s\",\"debit_account_id\":\"%s\",\"credit_account_id\":\"%s\","
                   "\"amount\":\"%s\",\"asset\":\"%s\",\"code\":1%s}",
                   id, debit, credit, amount, asset, pending ? ",\"flags\":[\"pending\"]" : "");
    api_post_ok(api, "/v1/transfers", body);
}

/*
 * Rates: EUR/USD 1.25 (so USD is worth 0.8 EUR), BTC/USD 50000, ETH/USDT 2000 and
 * USDT/USD 1 (ETH reaches EUR only as ETH → USDT → USD → EUR).
 * Owner 1: 100.00 EUR with a 2.00 EUR hold, 12.53 USD, 0.01 BTC, 1.5 ETH, 3.000000 USDT,
 *          5 SOL (no rate), and a second USD account overdrawn by 1.00.
 * Owner 2: 7.00 EUR. House equity accounts fund it all.
 */
static void wallet(struct api_fixture *api)
{
    api_post_ok(api, "/v1/rates", "{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"1.25\"}");
    api_post_ok(api, "/v1/rates", "{\"base\":\"BTC\",\"quote\":\"USD\",\"rate\":\"50000\"}");
    api_post_ok(api, "/v1/rates", "{\"base\":\"ETH\",\"quote\":\"USDT\",\"rate\":\"2000\"}");
    api_post_ok(api, "/v1/rates", "{\"base\":\"USDT\",\"quote\":\"USD\",\"rate\":\"1\"}");
    static const char *const houses[][2] = {{"901", "EUR"}, {"902", "USD"},  {"903", "BTC"},
                                            {"904", "ETH"}, {"905", "USDT"}, {"906", "SOL"}};
    for (size_t i = 0; i < sizeof houses / sizeof houses[0]; i++) {
        account(api, houses[i][0], houses[i][1], NULL, false);
    }
    account(api, "11", "EUR", "1", true);
    account(api, "12", "USD", "1", true);
    account(api, "13", "BTC", "1", true);
    account(api, "14", "ETH", "1", true);
    account(api, "15", "USDT", "1", true);
    account(api, "16", "SOL", "1", true);
    account(api, "17", "USD", "1", false);
    account(api, "21", "EUR", "2", true);
    transfer(api, "101", "901", "11", "10000", "EUR", false);
    transfer(api, "102", "11", "901", "200", "EUR", true); /* the hold */
    transfer(api, "103", "902", "12", "1253", "USD", false);
    transfer(api, "104", "903", "13", "1000000", "BTC", false);
    transfer(api, "105", "904", "14", "1500000000000000000", "ETH", false);
    transfer(api, "106", "905", "15", "3000000", "USDT", false);
    transfer(api, "107", "906", "16", "5000000000", "SOL", false);
    transfer(api, "108", "17", "902", "100", "USD", false); /* overdrawn */
    transfer(api, "109", "901", "21", "700", "EUR", false);
}

static int setup_with(void **state, struct api_server_options options)
{
    struct map_case *test = calloc(1, sizeof *test);
    assert_non_null(test);
    /* The ledger and the admin key first; the user key before the server starts again. */
    api_fixture_start(&test->api, options);
    api_fixture_stop(&test->api);
    api_fixture_key(&test->api, &(struct api_key_spec){.role = API_ROLE_USER, .owner = 1},
                    test->alice);
    api_fixture_start(&test->api, options);
    wallet(&test->api);
    *state = test;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, (struct api_server_options){0});
}

/* The rates sampled every second, the change looking 2 s back. */
static int setup_history(void **state)
{
    return setup_with(
        state, (struct api_server_options){.fx_history_sample_s = 1, .fx_history_window_s = 2});
}

static int teardown(void **state)
{
    struct map_case *test = *state;
    api_fixture_teardown(&test->api);
    free(test);
    return 0;
}

static json_t *get_map(struct api_fixture *api, const char *key, const char *query,
                       struct api_response *r)
{
    char path[128];
    (void)snprintf(path, sizeof path, "/v1/map?%s", query);
    api->key = key;
    long status = api_json(api, "GET", path, NULL, r);
    api->key = api->admin_key;
    if (status != 200) {
        fail_msg("GET %s: %ld (%s)", path, status, r->text != NULL ? r->text : "");
    }
    return r->body;
}

static const char *text(json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));
    if (value == NULL) {
        fail_msg("no string %s", key);
    }
    return value;
}

static json_t *find(json_t *array, const char *key, const char *value)
{
    size_t index = 0;
    json_t *item = NULL;
    json_array_foreach(array, index, item)
    {
        if (strcmp(text(item, key), value) == 0) {
            return item;
        }
    }
    fail_msg("no %s = %s", key, value);
    return NULL;
}

static long long number(json_t *object, const char *key)
{
    return strtoll(text(object, key), NULL, 10);
}

/* Every total is the sum of what is below it: classes of assets, assets of accounts. */
static void sums_check(json_t *map)
{
    long long total = 0;
    size_t c = 0, a = 0, i = 0;
    json_t *class_entry = NULL, *asset = NULL, *entry = NULL;
    json_array_foreach(json_object_get(map, "classes"), c, class_entry)
    {
        long long class_value = 0;
        json_array_foreach(json_object_get(class_entry, "assets"), a, asset)
        {
            if (json_is_null(json_object_get(asset, "value"))) {
                continue;
            }
            long long asset_value = 0;
            json_array_foreach(json_object_get(asset, "accounts"), i, entry)
            {
                asset_value += number(entry, "value");
            }
            assert_int_equal(number(asset, "value"), asset_value);
            class_value += asset_value;
        }
        assert_int_equal(number(class_entry, "value"), class_value);
        total += class_value;
    }
    assert_int_equal(number(map, "total"), total);
}

static void test_hand_computed(void **state)
{
    struct map_case *test = *state;
    struct api_response r;
    json_t *map = get_map(&test->api, test->alice, "base=EUR", &r);
    assert_string_equal(text(map, "base"), "EUR");
    assert_false(json_is_true(json_object_get(map, "complete"))); /* SOL has no rate */
    assert_int_equal(json_integer_value(json_object_get(map, "accounts_count")), 7);
    json_t *classes = json_object_get(map, "classes");
    assert_int_equal(json_array_size(classes), 3);
    assert_string_equal(text(json_array_get(classes, 0), "class"), "fiat");
    assert_string_equal(text(json_array_get(classes, 1), "class"), "stablecoin");
    assert_string_equal(text(json_array_get(classes, 2), "class"), "crypto");
    json_t *fiat = json_object_get(json_array_get(classes, 0), "assets");
    /* 100.00 EUR (2.00 of it held); USD 12.53 − 1.00 = 11.53 → 9.224 → 9.22, but each
     * account rounds on its own: 12.53 → 10.024 → 10.02 and −1.00 → −0.80: 9.22. */
    json_t *eur = find(fiat, "asset", "EUR");
    assert_string_equal(text(eur, "value_decimal"), "100.00");
    assert_string_equal(text(eur, "holds_decimal"), "2.00");
    json_t *usd = find(fiat, "asset", "USD");
    assert_string_equal(text(usd, "balance_decimal"), "11.53");
    assert_string_equal(text(usd, "value_decimal"), "9.22");
    json_t *overdrawn =
        find(json_object_get(usd, "accounts"), "id", "acct_0000000000000000000000000H");
    assert_string_equal(text(overdrawn, "balance"), "-100");
    assert_string_equal(text(overdrawn, "value_decimal"), "-0.80");
    assert_string_equal(text(json_object_get(usd, "rate"), "mid"), "0.8");
    json_t *eur_account = json_array_get(json_object_get(eur, "accounts"), 0);
    assert_string_equal(text(eur_account, "available_decimal"), "98.00");
    /* USDT 3 → 3 USD → 2.40 EUR, through USD. */
    json_t *usdt = find(json_object_get(json_array_get(classes, 1), "assets"), "asset", "USDT");
    assert_string_equal(text(usdt, "value_decimal"), "2.40");
    /* Crypto, largest first: 1.5 ETH → 3000 USDT → 2400.00 EUR (ETH → USDT → USD → EUR),
     * 0.01 BTC → 500 USD → 400.00 EUR; SOL unvalued, last. */
    json_t *crypto = json_object_get(json_array_get(classes, 2), "assets");
    assert_string_equal(text(json_array_get(crypto, 0), "asset"), "ETH");
    assert_string_equal(text(json_array_get(crypto, 0), "value_decimal"), "2400.00");
    json_t *via = json_object_get(json_object_get(json_array_get(crypto, 0), "rate"), "via");
    assert_int_equal(json_array_size(via), 2);
    assert_string_equal(json_string_value(json_array_get(via, 0)), "USDT");
    assert_string_equal(json_string_value(json_array_get(via, 1)), "USD");
    assert_string_equal(text(json_array_get(crypto, 1), "value_decimal"), "400.00");
    json_t *sol = json_array_get(crypto, 2);
    assert_string_equal(text(sol, "asset"), "SOL");
    assert_true(json_is_null(json_object_get(sol, "value")));
    assert_true(json_is_null(json_object_get(sol, "rate")));
    assert_string_equal(text(sol, "balance_decimal"), "5.000000000");
    /* 100.00 + 9.22 + 2.40 + 2400.00 + 400.00 */
    assert_string_equal(text(map, "total_decimal"), "2911.62");
    assert_string_equal(text(map, "holds_decimal"), "2.00");
    sums_check(map);
    api_response_free(&r);
}

/* In USD the same wallet: EUR 100.00 → 125.00; a different base is a different map. */
static void test_other_base(void **state)
{
    struct map_case *test = *state;
    struct api_response r;
    json_t *map = get_map(&test->api, test->alice, "base=USD", &r);
    json_t *fiat = json_object_get(json_array_get(json_object_get(map, "classes"), 0), "assets");
    assert_string_equal(text(find(fiat, "asset", "EUR"), "value_decimal"), "125.00");
    assert_string_equal(text(find(fiat, "asset", "USD"), "value_decimal"), "11.53");
    sums_check(map);
    api_response_free(&r);
}

static void test_who_sees_what(void **state)
{
    struct map_case *test = *state;
    struct api_response r;
    /* Staff: every owned account (not the six house accounts), or one owner's. */
    json_t *map = get_map(&test->api, test->api.admin_key, "base=EUR", &r);
    assert_int_equal(json_integer_value(json_object_get(map, "accounts_count")), 8);
    assert_true(json_is_null(json_object_get(map, "owner")));
    api_response_free(&r);
    map = get_map(&test->api, test->api.admin_key, "base=EUR&owner=2", &r);
    assert_int_equal(json_integer_value(json_object_get(map, "accounts_count")), 1);
    assert_string_equal(text(map, "total_decimal"), "7.00");
    assert_string_equal(text(map, "owner"), "usr_00000000000000000000000002");
    api_response_free(&r);
    /* A user key: its own owner, named or not; another owner is refused. */
    map = get_map(&test->api, test->alice, "base=EUR&owner=1", &r);
    assert_int_equal(json_integer_value(json_object_get(map, "accounts_count")), 7);
    api_response_free(&r);
    test->api.key = test->alice;
    assert_int_equal(api_json(&test->api, "GET", "/v1/map?base=EUR&owner=2", NULL, &r), 400);
    assert_string_equal(api_field(&r, "error.code"), "invalid_argument");
    api_response_free(&r);
}

static void pause_ms(long ms)
{
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    (void)nanosleep(&pause, NULL);
}

/* Samples at least 2 s old that hold the wallet's rates: the window has passed. */
static void history_wait(void)
{
    pause_ms(3500);
}

static void change_check(json_t *map, const char *then, const char *change, const char *percent)
{
    json_t *object = json_object_get(map, "change");
    assert_true(json_is_object(object));
    assert_int_equal(json_integer_value(json_object_get(object, "window_s")), 2);
    assert_non_null(json_string_value(json_object_get(object, "since")));
    assert_false(json_is_true(json_object_get(object, "complete"))); /* SOL: no rate */
    assert_string_equal(text(object, "value_then_decimal"), then);
    assert_string_equal(text(object, "change_decimal"), change);
    assert_string_equal(text(object, "change_percent"), percent);
}

/*
 * GET /v1/map's change against the rates' history: an unchanged market changes nothing,
 * to the minor unit, though every account rounds on its own; BTC/USD moved from 50000 to
 * 60000 moves 0.01 BTC from 400.00 to 480.00 EUR (+80.00, 2.75 % of 2911.62) until the
 * window has passed; a base first asked for is sampled from then on.
 */
static void test_change(void **state)
{
    struct map_case *test = *state;
    struct api_response r;
    history_wait();
    json_t *map = get_map(&test->api, test->alice, "base=EUR", &r);
    change_check(map, "2911.62", "0.00", "0.00");
    api_response_free(&r);
    /* BTC was never sampled as a base: only the BTC account (worth 1 BTC a BTC) has a
     * value then, with no sample behind it. */
    map = get_map(&test->api, test->alice, "base=BTC", &r);
    json_t *first = json_object_get(map, "change");
    assert_true(json_is_null(json_object_get(first, "since")));
    assert_string_equal(text(first, "value_then_decimal"), "0.01000000");
    api_response_free(&r);

    api_post_ok(&test->api, "/v1/rates", "{\"base\":\"BTC\",\"quote\":\"USD\",\"rate\":\"60000\"}");
    map = get_map(&test->api, test->alice, "base=EUR", &r);
    assert_string_equal(text(map, "total_decimal"), "2991.62");
    change_check(map, "2911.62", "80.00", "2.75");
    json_t *crypto = json_object_get(json_array_get(json_object_get(map, "classes"), 2), "assets");
    json_t *btc = json_object_get(find(crypto, "asset", "BTC"), "change");
    assert_string_equal(text(btc, "mid_then"), "40000");
    assert_string_equal(text(btc, "value_then_decimal"), "400.00");
    assert_string_equal(text(btc, "change_decimal"), "80.00");
    json_t *eth = json_object_get(find(crypto, "asset", "ETH"), "change");
    assert_string_equal(text(eth, "change_decimal"), "0.00");
    assert_true(json_is_null(json_object_get(find(crypto, "asset", "SOL"), "change")));
    api_response_free(&r);

    history_wait();
    map = get_map(&test->api, test->alice, "base=EUR", &r);
    change_check(map, "2991.62", "0.00", "0.00");
    api_response_free(&r);
    map = get_map(&test->api, test->alice, "base=BTC", &r);
    assert_non_null(json_string_value(json_object_get(json_object_get(map, "change"), "since")));
    api_response_free(&r);
}

/* More samples than the ring holds (a window of 86,400 one-second samples) stops the
 * start with the setting named, as any bad setting does. */
static void test_history_too_long(void **state)
{
    struct map_case *test = *state;
    api_fixture_stop(&test->api);
    struct api_server *server = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct api_server_options options = {.data_dir = test->api.data_dir,
                                         .listen_host = "127.0.0.1",
                                         .fx_history_sample_s = 1,
                                         .fx_history_window_s = 86400};
    assert_int_equal(api_server_start(&options, &server, &detail), TPW_ERR_USAGE);
    assert_null(server);
    assert_string_equal(detail.param, "fx_history_window_s");
    assert_non_null(strstr(detail.message, "fx_history_window_s"));
    options.fx_history_sample_s = 9; /* 9,600 samples + 2: within the ring */
    assert_int_equal(api_server_start(&options, &server, &detail), TPW_OK);
    assert_int_equal(api_server_stop(server, NULL), TPW_OK);
}

static void refused(struct api_fixture *api, const char *query, long status, const char *code,
                    const char *param)
{
    char path[128];
    (void)snprintf(path, sizeof path, "/v1/map%s", query);
    struct api_response r;
    assert_int_equal(api_json(api, "GET", path, NULL, &r), status);
    assert_string_equal(api_field(&r, "error.code"), code);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.body, "error"), "param")), param);
    api_response_free(&r);
}

static void test_refusals(void **state)
{
    struct map_case *test = *state;
    refused(&test->api, "", 400, "invalid_argument", "base");
    refused(&test->api, "?base=", 400, "asset_code_invalid", "base");
    refused(&test->api, "?base=XYZ", 400, "asset_unknown", "base");
    refused(&test->api, "?base=eur", 400, "asset_code_invalid", "base");
    refused(&test->api, "?base=EUR&owner=x", 400, "id_invalid", "owner");
    struct api_response r;
    test->api.key = NULL;
    assert_int_equal(api_json(&test->api, "GET", "/v1/map?base=EUR", NULL, &r), 401);
    api_response_free(&r);
}

int main(void)
{
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hand_computed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_who_sees_what, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change, setup_history, teardown),
        cmocka_unit_test_setup_teardown(test_history_too_long, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
