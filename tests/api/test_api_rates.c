/*
 * /v1/rates end to end: a real server on 127.0.0.1 driven by libcurl. Manual rates
 * set and read back exactly, inverse and cross rates through EUR with their rounding,
 * every kind of bad input refused with its code and nothing changed, malformed and
 * unknown pairs, a manual rate going stale on the server's ticker (TTL 1 s), and the
 * FX series in /metrics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>

#include "api_client.h"
#include "tpw_test.h"
#include "tpwallet/fx.h"

#include "banned.h"

static struct money_rate rate_of(const char *text)
{
    struct money_rate rate = {0};
    assert_err(money_rate_parse(text, strlen(text), &rate, NULL), TPW_OK);
    return rate;
}

static int setup_with_ttl(void **state, unsigned ttl_s)
{
    struct api_fixture *api = calloc(1, sizeof *api);
    assert_non_null(api);
    api_fixture_start(api, (struct api_server_options){.fx_manual_ttl_s = ttl_s});
    *state = api;
    return 0;
}

static int setup(void **state)
{
    return setup_with_ttl(state, 0);
}

static int setup_short_ttl(void **state)
{
    return setup_with_ttl(state, 1);
}

static void post_rate(struct api_fixture *api, const char *body, long expected_status,
                      const char *expected_code)
{
    struct api_response r;
    long status = api_json(api, "POST", "/v1/rates", body, &r);
    if (status != expected_status) {
        fail_msg("POST %s: %ld, expected %ld (%s)", body, status, expected_status,
                 r.text != NULL ? r.text : "");
    }
    if (expected_code != NULL) {
        assert_string_equal(api_field(&r, "error.code"), expected_code);
    }
    api_response_free(&r);
}

static void get_rate(struct api_fixture *api, const char *pair, struct api_response *r)
{
    char path[64];
    (void)snprintf(path, sizeof path, "/v1/rates/%s", pair);
    assert_int_equal(api_json(api, "GET", path, NULL, r), 200);
}

static void test_manual_and_derived(void **state)
{
    struct api_fixture *api = *state;
    struct api_response r;
    assert_int_equal(api_json(api, "POST", "/v1/rates",
                              "{\"base\":\"EUR\",\"quote\":\"USD\",\"bid\":\"1.1680\","
                              "\"ask\":\"1.1690\"}",
                              &r),
                     201);
    assert_string_equal(api_field(&r, "object"), "rate");
    assert_string_equal(api_field(&r, "bid"), "1.168");
    assert_string_equal(api_field(&r, "ask"), "1.169");
    assert_string_equal(api_field(&r, "mid"), "1.1685");
    assert_string_equal(api_field(&r, "status"), "fresh");
    api_response_free(&r);
    post_rate(api, "{\"base\":\"EUR\",\"quote\":\"JPY\",\"rate\":\"186.75\"}", 201, NULL);
    /* 186.75 / 1.1690 down, 186.75 / 1.1680 up, 186.75 / 1.1685 half-even. */
    get_rate(api, "USD-JPY", &r);
    assert_string_equal(api_field(&r, "bid"), "159.751924721984602224");
    assert_string_equal(api_field(&r, "ask"), "159.888698630136986302");
    assert_string_equal(api_field(&r, "mid"), "159.820282413350449294");
    assert_string_equal(api_field(&r, "via"), "EUR");
    api_response_free(&r);
    get_rate(api, "USD-EUR", &r);
    assert_true(json_is_true(json_object_get(r.body, "inverted")));
    assert_true(json_is_null(json_object_get(r.body, "via")));
    assert_string_equal(api_field(&r, "bid"), "0.855431993156544054"); /* 1/1.1690 down */
    api_response_free(&r);
    assert_int_equal(api_json(api, "GET", "/v1/rates", NULL, &r), 200);
    json_t *data = json_object_get(r.body, "data");
    assert_int_equal(json_array_size(data), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(data, 1), "quote")),
                        "JPY");
    api_response_free(&r);
}

/* Each refusal has its code; afterwards the one stored pair is exactly as it was. */
static void test_bad_input_changes_nothing(void **state)
{
    struct api_fixture *api = *state;
    post_rate(api, "{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"1.25\"}", 201, NULL);
    static const struct {
        const char *body;
        const char *code;
    } bad[] = {
        {"{\"base\":\"EUR\",", "json_invalid"},
        {"[1]", "json_invalid"},
        {"{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"1\",\"x\":1}", "invalid_argument"},
        {"{\"quote\":\"USD\",\"rate\":\"1\"}", "invalid_argument"},
        {"{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":1.5}", "invalid_argument"},
        {"{\"base\":\"EUR\",\"quote\":\"USD\"}", "invalid_argument"},
        {"{\"base\":\"EUR\",\"quote\":\"USD\",\"bid\":\"1\"}", "invalid_argument"},
        {"{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"1\",\"bid\":\"1\"}", "invalid_argument"},
        {"{\"base\":\"eur\",\"quote\":\"USD\",\"rate\":\"1\"}", "asset_code_invalid"},
        {"{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"-1\"}", "decimal_sign"},
        {"{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"1e3\"}", "decimal_exponent"},
        {"{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"0.0000000000000000001\"}",
         "decimal_precision"},
        {"{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"0\"}", "fx_quote_invalid"},
        {"{\"base\":\"EUR\",\"quote\":\"USD\",\"bid\":\"1.3\",\"ask\":\"1.2\"}",
         "fx_quote_invalid"},
        {"{\"base\":\"EUR\",\"quote\":\"EUR\",\"rate\":\"1\"}", "fx_quote_invalid"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        post_rate(api, bad[i].body, 400, bad[i].code);
    }
    struct api_response r;
    assert_int_equal(api_json(api, "GET", "/v1/rates", NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.body, "data")), 1);
    api_response_free(&r);
    get_rate(api, "EUR-USD", &r);
    assert_string_equal(api_field(&r, "mid"), "1.25");
    api_response_free(&r);
}

static void test_pair_errors(void **state)
{
    struct api_fixture *api = *state;
    post_rate(api, "{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"1.25\"}", 201, NULL);
    static const struct {
        const char *path;
        long status;
        const char *code;
    } cases[] = {
        {"/v1/rates/EURUSD", 400, "fx_quote_invalid"},
        {"/v1/rates/eur-usd", 400, "fx_quote_invalid"},
        {"/v1/rates/EUR-", 400, "fx_quote_invalid"},
        {"/v1/rates/-USD", 400, "fx_quote_invalid"},
        {"/v1/rates/EUR-EUR", 400, "fx_quote_invalid"},
        {"/v1/rates/EUR-TOOLONGCODE", 400, "fx_quote_invalid"},
        {"/v1/rates/CHF-GBP", 404, "rate_unavailable"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct api_response r;
        assert_int_equal(api_json(api, "GET", cases[i].path, NULL, &r), cases[i].status);
        assert_string_equal(api_field(&r, "error.code"), cases[i].code);
        assert_string_equal(api_field(&r, "error.param"), "pair");
        api_response_free(&r);
    }
}

static void sleep_ms(long ms)
{
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    (void)nanosleep(&pause, NULL);
}

/* TTL 1 s: the ticker marks the rate stale with no request involved (bounded wait). */
static void test_manual_rate_goes_stale(void **state)
{
    struct api_fixture *api = *state;
    post_rate(api, "{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"1.25\"}", 201, NULL);
    assert_true(api_metrics_have(api, "tpwallet_fx_pair_status{pair=\"EUR/USD\"} 1\n"));
    assert_true(api_metrics_have(api, "tpwallet_fx_provider_up{provider=\"manual\"} 1\n"));
    assert_true(api_metrics_have(
        api, "tpwallet_fx_provider_quotes_accepted_total{provider=\"manual\"} 1\n"));
    bool stale = false;
    for (int i = 0; i < 50 && !stale; i++) { /* at most 5 s */
        sleep_ms(100);
        stale = api_metrics_have(api, "tpwallet_fx_pair_status{pair=\"EUR/USD\"} 3\n");
    }
    assert_true(stale);
    assert_true(api_metrics_have(api, "tpwallet_fx_status_changes_total 2\n"));
    struct api_response r;
    get_rate(api, "EUR-USD", &r);
    assert_string_equal(api_field(&r, "status"), "stale");
    assert_string_equal(api_field(&r, "mid"), "1.25"); /* still shown */
    api_response_free(&r);
    post_rate(api, "{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"1.26\"}", 201, NULL);
    get_rate(api, "EUR-USD", &r);
    assert_string_equal(api_field(&r, "status"), "fresh");
    api_response_free(&r);
}

/* A history in DATA/fx (what `tpwallet fx load-ecb` leaves) feeds the "ecb" provider at
 * start: its newest day, dated yesterday here so it is fresh; a stored history that does
 * not load stops the start. */
static void test_ecb_history_at_start(void **state)
{
    struct api_fixture *api = *state;
    api_fixture_stop(api);
    struct tpw_clock wall = tpw_clock_system();
    int32_t today_days = fx_date_from_time_ns(tpw_clock_now_ns(&wall));
    fx_history *history = fx_history_create();
    assert_non_null(history);
    /* Yesterday's fixing is always past and within the 4-day TTL. */
    int32_t newest_days = today_days - 1;
    assert_err(fx_history_add(history, "USD", newest_days - 1, rate_of("1.1600"), NULL), TPW_OK);
    assert_err(fx_history_add(history, "USD", newest_days, rate_of("1.1684"), NULL), TPW_OK);
    assert_err(fx_history_add(history, "JPY", newest_days, rate_of("186.75"), NULL), TPW_OK);
    char dir[256];
    (void)snprintf(dir, sizeof dir, "%s/fx", api->data_dir);
    assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST); /* the manual rates' log is there */
    assert_err(fx_history_save(history, dir, NULL), TPW_OK);
    fx_history_destroy(history);
    api_fixture_start(api, (struct api_server_options){0});
    struct api_response r;
    get_rate(api, "USD-JPY", &r);
    /* 186.75 / 1.1684, as the aggregator's cross through EUR (test_fx_aggregate). */
    assert_string_equal(api_field(&r, "mid"), "159.833960972269770626");
    api_response_free(&r);
    get_rate(api, "EUR-USD", &r);
    assert_string_equal(api_field(&r, "mid"), "1.1684"); /* the newest day */
    assert_string_equal(api_field(&r, "status"), "fresh");
    api_response_free(&r);
    assert_true(
        api_metrics_have(api, "tpwallet_fx_provider_quotes_accepted_total{provider=\"ecb\"} 2\n"));
    /* A damaged history: the server refuses to start, with the reason. */
    api_fixture_stop(api);
    char path[300];
    (void)snprintf(path, sizeof path, "%s/history.csv", dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_true(fputs("not a history\n", file) >= 0);
    assert_int_equal(fclose(file), 0);
    struct api_server *server = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(api_server_start(&(struct api_server_options){.data_dir = api->data_dir,
                                                             .listen_host = "127.0.0.1"},
                                &server, &detail),
               TPW_ERR_FX_HISTORY_CORRUPT);
    assert_true(detail.message[0] != '\0');
}

static void append_to_log(const struct api_fixture *api, const char *text)
{
    char path[256];
    (void)snprintf(path, sizeof path, "%s/fx/manual-rates.jsonl", api->data_dir);
    FILE *file = fopen(path, "ab");
    assert_non_null(file);
    assert_true(fputs(text, file) >= 0);
    assert_int_equal(fclose(file), 0);
}

/* A manual rate is durable once acknowledged: after a restart it is there with its
 * original time (its TTL counts from then), and the log names who set it. A torn last
 * line (a crash mid-append) is cut at start; a malformed complete line stops it. */
static void test_manual_rates_survive_restart(void **state)
{
    struct api_fixture *api = *state;
    post_rate(api, "{\"base\":\"EUR\",\"quote\":\"USD\",\"bid\":\"1.1680\",\"ask\":\"1.1690\"}",
              201, NULL);
    post_rate(api, "{\"base\":\"EUR\",\"quote\":\"USD\",\"rate\":\"1.17\"}", 201, NULL);
    post_rate(api, "{\"base\":\"USD\",\"quote\":\"TWD\",\"rate\":\"32.1\"}", 201, NULL);
    struct api_response before;
    get_rate(api, "EUR-USD", &before);
    api_fixture_stop(api);
    append_to_log(api, "{\"time_ns\":1,\"base\":\"EUR\",\"qu"); /* torn */
    api_fixture_start(api, (struct api_server_options){0});
    struct api_response after;
    get_rate(api, "EUR-USD", &after);
    assert_string_equal(api_field(&after, "bid"), "1.17");
    assert_string_equal(api_field(&after, "as_of"), api_field(&before, "as_of"));
    api_response_free(&after);
    api_response_free(&before);
    get_rate(api, "USD-TWD", &after);
    assert_string_equal(api_field(&after, "mid"), "32.1");
    assert_string_equal(api_field(&after, "status"), "fresh");
    api_response_free(&after);
    /* The torn tail is gone: one more rate lands on a line of its own. */
    post_rate(api, "{\"base\":\"EUR\",\"quote\":\"GBP\",\"rate\":\"0.85\"}", 201, NULL);
    char path[256];
    (void)snprintf(path, sizeof path, "%s/fx/manual-rates.jsonl", api->data_dir);
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    char line[512];
    size_t lines = 0;
    while (fgets(line, sizeof line, file) != NULL) {
        json_t *record = json_loads(line, 0, NULL);
        assert_non_null(record); /* every line whole */
        assert_non_null(json_string_value(json_object_get(record, "key_id")));
        json_decref(record);
        lines++;
    }
    assert_int_equal(fclose(file), 0);
    assert_int_equal(lines, 4);
    api_fixture_stop(api);
    append_to_log(api, "{\"time_ns\":1,\"base\":\"EUR\"}\n");
    struct api_server *server = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct api_server_options options = {.data_dir = api->data_dir, .listen_host = "127.0.0.1"};
    assert_err(api_server_start(&options, &server, &detail), TPW_ERR_FX_MANUAL_LOG_CORRUPT);
    assert_non_null(strstr(detail.message, "manual-rates.jsonl, line at byte"));
}

/* Static rates (fx_static_rates): fresh from the start and never expiring, last in
 * priority — a manual rate for the same pair wins; crosses go through them; a file that
 * does not read stops the start with the setting named. */
static void test_static_rates(void **state)
{
    struct api_fixture *api = *state;
    api_fixture_stop(api);
    char path[256];
    (void)snprintf(path, sizeof path, "%s/static.csv", api->data_dir);
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_true(fputs("# pegs\nUSD,HKD,7.75,7.85\nUSDC,USD,1\n", file) >= 0);
    assert_int_equal(fclose(file), 0);
    api_fixture_start(api, (struct api_server_options){.fx_static_rates_path = path});
    struct api_response r;
    get_rate(api, "USD-HKD", &r);
    assert_string_equal(api_field(&r, "bid"), "7.75");
    assert_string_equal(api_field(&r, "mid"), "7.8");
    assert_string_equal(api_field(&r, "status"), "fresh");
    api_response_free(&r);
    get_rate(api, "USDC-HKD", &r); /* USDC/USD × USD/HKD */
    assert_string_equal(api_field(&r, "via"), "USD");
    assert_string_equal(api_field(&r, "status"), "fresh");
    api_response_free(&r);
    post_rate(api, "{\"base\":\"USD\",\"quote\":\"HKD\",\"rate\":\"7.8123\"}", 201, NULL);
    get_rate(api, "USD-HKD", &r);
    assert_string_equal(api_field(&r, "mid"), "7.8123"); /* priority 0 over 2 */
    api_response_free(&r);
    api_fixture_stop(api);
    file = fopen(path, "wb");
    assert_non_null(file);
    assert_true(fputs("USD,HKD,7.85,7.75\n", file) >= 0);
    assert_int_equal(fclose(file), 0);
    struct api_server *server = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct api_server_options options = {
        .data_dir = api->data_dir, .listen_host = "127.0.0.1", .fx_static_rates_path = path};
    assert_err(api_server_start(&options, &server, &detail), TPW_ERR_FX_QUOTE_INVALID);
    assert_string_equal(detail.param, "fx_static_rates");
    assert_non_null(strstr(detail.message, "static rates line 1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_manual_and_derived, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_bad_input_changes_nothing, setup,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_pair_errors, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_manual_rate_goes_stale, setup_short_ttl,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_ecb_history_at_start, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_manual_rates_survive_restart, setup,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_static_rates, setup, api_fixture_free_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
