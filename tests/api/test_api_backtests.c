/*
 * POST /v1/backtests end to end: a real server, the price files of tests/data/prices
 * sent as CSV text. The metrics are exactly those `tpwallet backtest --json` prints for
 * the same files and policy (tests/cases/cli/300-backtest-json, byte for byte); any key
 * may run one; every bad input is a 400 naming its field, and nothing is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api_client.h"
#include "file.h"
#include "tpw_test.h"

#include "banned.h"

#define PRICE_FILE_MAX_BYTES (1u << 20)

struct backtest_case {
    struct api_fixture api;
    char reader[API_KEY_TEXT_SIZE]; /* an auditor key (reads only) */
};

static int setup(void **state)
{
    struct backtest_case *test = calloc(1, sizeof *test);
    assert_non_null(test);
    api_fixture_start(&test->api, (struct api_server_options){0});
    api_fixture_stop(&test->api);
    api_fixture_key(&test->api, &(struct api_key_spec){.role = API_ROLE_AUDITOR}, test->reader);
    api_fixture_start(&test->api, (struct api_server_options){0});
    *state = test;
    return 0;
}

static int teardown(void **state)
{
    struct backtest_case *test = *state;
    api_fixture_teardown(&test->api);
    free(test);
    return 0;
}

/* The file tests/data/prices/NAME as a JSON string (taken by the caller's object). */
static json_t *price_text(const char *name)
{
    char path[512];
    (void)snprintf(path, sizeof path, "%s/%s", TPW_PRICES_DATA_DIR, name);
    char *data = NULL;
    size_t length = 0;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_int_equal(tpw_file_read(path, PRICE_FILE_MAX_BYTES, TPW_ERR_INVALID_ARGUMENT, &data,
                                   &length, &detail),
                     TPW_OK);
    json_t *text = json_stringn(data, length);
    free(data);
    assert_non_null(text);
    return text;
}

/* The crypto basket of the CLI's golden case: 50 % BTC, 30 % ETH, 20 % USDC. */
static json_t *crypto_body(void)
{
    json_t *body = json_pack("{s:{s:o,s:o,s:o},s:{s:s,s:s,s:s},s:s,s:f,s:i,s:i}", "prices", "BTC",
                             price_text("yahoo-BTC-USD-2018-2024.csv"), "ETH",
                             price_text("yahoo-ETH-USD-2018-2024.csv"), "USDC",
                             price_text("yahoo-USDC-USD-2018-2024.csv"), "weights", "BTC", "0.5",
                             "ETH", "0.3", "USDC", "0.2", "check", "monthly", "threshold", 0.05,
                             "cost_bps", 10, "periods_per_year", 365);
    assert_non_null(body);
    return body;
}

static long post(struct api_fixture *api, json_t *body, struct api_response *r)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    assert_non_null(text);
    long status = api_json(api, "POST", "/v1/backtests", text, r);
    free(text);
    return status;
}

/* What tests/cases/cli/300-backtest-json prints, and the object's name after it. */
static const char cli_golden[] =
    "{\"first_date\":\"2018-10-08\",\"last_date\":\"2024-02-14\",\"days\":1956,"
    "\"years\":5.35249828884,\"check\":\"monthly\",\"targets\":\"fixed\",\"threshold\":0.05,"
    "\"cost_bps\":10.0,\"periods_per_year\":365,\"cagr\":0.50559992977,"
    "\"volatility\":0.567193813165,\"sharpe\":1.00905679124,\"sortino\":1.44295168784,"
    "\"max_drawdown\":0.654682381149,\"rebalances\":21,\"turnover_per_year\":0.309715677939,"
    "\"cost_per_year\":0.000619431355878,\"final_value\":8.93696905261,"
    "\"average_weights\":{\"BTC\":0.500732776044,\"ETH\":0.303046505975,"
    "\"USDC\":0.196220717981},\"skipped_rows\":{\"BTC\":0,\"ETH\":0,\"USDC\":0},"
    "\"object\":\"backtest\"}";

static void test_same_as_cli(void **state)
{
    struct backtest_case *test = *state;
    struct api_response r;
    assert_int_equal(post(&test->api, crypto_body(), &r), 200);
    assert_string_equal(r.text, cli_golden);
    api_response_free(&r);
    /* An auditor key (no writes) runs the same backtest: nothing is stored, nothing changes. */
    test->api.key = test->reader;
    assert_int_equal(post(&test->api, crypto_body(), &r), 200);
    assert_string_equal(r.text, cli_golden);
    api_response_free(&r);
}

/* 60 % SPY and 40 % cash rebalanced quarterly, every quarter: 4 a year for ten years. */
static void test_cash_quarterly(void **state)
{
    struct backtest_case *test = *state;
    json_t *body = json_pack("{s:{s:o},s:{s:s,s:s},s:s,s:s,s:i}", "prices", "SPY",
                             price_text("SPY-2010-2019.csv"), "weights", "SPY", "0.6", "USD", "0.4",
                             "cash", "USD", "check", "quarterly", "periods_per_year", 252);
    struct api_response r;
    assert_int_equal(post(&test->api, body, &r), 200);
    assert_string_equal(api_field(&r, "check"), "quarterly");
    json_int_t rebalances = json_integer_value(json_object_get(r.body, "rebalances"));
    assert_in_range(rebalances, 38, 40);
    double cash =
        json_real_value(json_object_get(json_object_get(r.body, "average_weights"), "USD"));
    assert_true(cash > 0.3 && cash < 0.5);
    /* The cash asset has no series, so no skipped rows either. */
    assert_null(json_object_get(json_object_get(r.body, "skipped_rows"), "USD"));
    api_response_free(&r);
}

static void refused(struct api_fixture *api, json_t *body, const char *code, const char *param)
{
    struct api_response r;
    long status = post(api, body, &r);
    if (status != 400 || strcmp(api_field(&r, "error.code"), code) != 0) {
        fail_msg("expected 400 %s, got %ld %s", code, status, r.text != NULL ? r.text : "");
    }
    const char *got = json_string_value(json_object_get(json_object_get(r.body, "error"), "param"));
    if (param != NULL) {
        assert_non_null(got);
        assert_string_equal(got, param);
    }
    api_response_free(&r);
}

/* The crypto body with `field` replaced by `value` (taken; NULL: removed). */
static json_t *crypto_with(const char *field, json_t *value)
{
    json_t *body = crypto_body();
    if (value == NULL) {
        assert_int_equal(json_object_del(body, field), 0);
    } else {
        assert_int_equal(json_object_set_new(body, field, value), 0);
    }
    return body;
}

static void test_bad_weights(void **state)
{
    struct backtest_case *test = *state;
    struct api_fixture *api = &test->api;
    refused(api,
            crypto_with("weights",
                        json_pack("{s:s,s:s,s:s}", "BTC", "0.5", "ETH", "0.3", "USDC", "0.1")),
            "weights_sum", "weights");
    refused(api,
            crypto_with("weights",
                        json_pack("{s:s,s:s,s:s}", "BTC", "-0.5", "ETH", "1", "USDC", "0.5")),
            "weight_negative", NULL);
    refused(
        api,
        crypto_with("weights", json_pack("{s:s,s:f,s:s}", "BTC", "0.5", "ETH", 0.3, "USDC", "0.2")),
        "weight_invalid", "weights");
    refused(api, crypto_with("weights", json_object()), "invalid_argument", "weights");
    refused(api, crypto_with("weights", NULL), "invalid_argument", "weights");
    /* A weight without prices, prices without a weight. */
    refused(api,
            crypto_with("weights", json_pack("{s:s,s:s,s:s,s:s}", "BTC", "0.5", "ETH", "0.3",
                                             "USDC", "0.1", "SOL", "0.1")),
            "asset_no_prices", "prices");
    refused(api, crypto_with("weights", json_pack("{s:s,s:s}", "BTC", "0.5", "ETH", "0.5")),
            "asset_no_weight", "prices");
    /* The cash asset must be weighted, and has no prices of its own. */
    refused(api, crypto_with("cash", json_string("USD")), "asset_no_weight", "cash");
    refused(api, crypto_with("cash", json_string("USDC")), "portfolio_asset_duplicate", "prices");
}

static void test_bad_prices(void **state)
{
    struct backtest_case *test = *state;
    struct api_fixture *api = &test->api;
    json_t *body = json_pack("{s:{s:s},s:{s:s}}", "prices", "BTC", "", "weights", "BTC", "1");
    refused(api, body, "prices_empty", "prices");
    body = json_pack("{s:{s:s},s:{s:s}}", "prices", "BTC",
                     "Date,Close\n2020-01-01,1\n2020-01-02,one\n", "weights", "BTC", "1");
    refused(api, body, "prices_number_invalid", "prices");
    body = json_pack("{s:{s:i},s:{s:s}}", "prices", "BTC", 7, "weights", "BTC", "1");
    refused(api, body, "invalid_argument", "prices");
    refused(api, crypto_with("prices", json_string("BTC")), "invalid_argument", "prices");
    body =
        json_pack("{s:{s:o,s:o},s:{s:s,s:s}}", "prices", "SPY", price_text("SPY-head.csv"), "BTC",
                  price_text("yahoo2025-BTC-USD-head.csv"), "weights", "SPY", "0.5", "BTC", "0.5");
    refused(api, body, "no_overlap", NULL);
}

static void test_bad_policy(void **state)
{
    struct backtest_case *test = *state;
    struct api_fixture *api = &test->api;
    refused(api, crypto_with("check", json_string("fortnightly")), "check_unknown", "check");
    refused(api, crypto_with("check", json_integer(30)), "invalid_argument", "check");
    refused(api, crypto_with("targets", json_string("hrp")), "portfolio_parameter_invalid",
            "targets");
    refused(api, crypto_with("threshold", json_real(1.5)), "portfolio_parameter_invalid",
            "threshold");
    refused(api, crypto_with("threshold", json_string("0.05")), "portfolio_parameter_invalid",
            "threshold");
    refused(api, crypto_with("cost_bps", json_integer(-1)), "portfolio_parameter_invalid",
            "cost_bps");
    refused(api, crypto_with("periods_per_year", json_real(252.5)), "portfolio_parameter_invalid",
            "periods_per_year");
    refused(api, crypto_with("periods_per_year", json_integer(0)), "portfolio_parameter_invalid",
            "periods_per_year");
    refused(api, crypto_with("adj_close", json_string("yes")), "invalid_argument", "adj_close");
    refused(api, crypto_with("leverage", json_integer(2)), "invalid_argument", "leverage");
    struct api_response r;
    assert_int_equal(api_json(api, "POST", "/v1/backtests", "[1,2]", &r), 400);
    api_response_free(&r);
    assert_int_equal(api_json(api, "POST", "/v1/backtests", "{\"prices\":", &r), 400);
    api_response_free(&r);
    api->key = NULL;
    assert_int_equal(post(api, crypto_body(), &r), 401);
    api_response_free(&r);
}

int main(void)
{
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_as_cli, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cash_quarterly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_weights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_prices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_policy, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
