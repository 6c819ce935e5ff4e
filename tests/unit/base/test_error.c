/*
 * Unit tests for the error table (include/tpwallet/error.h) and the error detail helpers.
 *
 * The table is the single source of every error's number, name, HTTP status, API code
 * and type, and CLI exit status, and several of those are external contracts (ABI,
 * HTTP API, sysexits). These tests walk every entry through tpw_err_count/tpw_err_at
 * and check the invariants that hold across the table, so a newly appended row that
 * breaks one fails here. They also cover the fallback for unknown values and the
 * bounded, always-terminated strings of struct tpw_error_detail.
 */
#include "tpw_test.h"

#include <stdbool.h>
#include <string.h>

#include "tpwallet/error.h"

static bool is_api_code_char(char c)
{
    return (c >= 'a' && c <= 'z') || c == '_';
}

static void test_ok_entry(void **state)
{
    (void)state;
    assert_int_equal(TPW_OK, 0);
    assert_int_equal(TPW_ERR_OK, 0);
    assert_string_equal(tpw_err_name(TPW_OK), "TPW_ERR_OK");
    assert_string_equal(tpw_err_api_code(TPW_OK), "ok");
    assert_int_equal(tpw_err_http_status(TPW_OK), 200);
    assert_int_equal(tpw_err_exit_status(TPW_OK), 0);
    assert_non_null(tpw_strerror(TPW_OK));
    assert_non_null(tpw_err_api_type(TPW_OK));
}

static void test_table_numbers(void **state)
{
    (void)state;
    size_t count = tpw_err_count();
    assert_true(count > 1);
    size_t ok_rows = 0;
    for (size_t i = 0; i < count; i++) {
        enum tpw_err err = tpw_err_at(i);
        if (err == TPW_OK) {
            ok_rows++;
        } else {
            assert_true((int)err < 0);
        }
        for (size_t j = i + 1; j < count; j++) {
            assert_int_not_equal(err, tpw_err_at(j));
        }
    }
    assert_int_equal(ok_rows, 1);
}

static void test_table_names(void **state)
{
    (void)state;
    static const char prefix[] = "TPW_ERR_";
    size_t count = tpw_err_count();
    for (size_t i = 0; i < count; i++) {
        const char *name = tpw_err_name(tpw_err_at(i));
        assert_non_null(name);
        assert_true(strlen(name) > strlen(prefix));
        assert_memory_equal(name, prefix, strlen(prefix));
        assert_string_not_equal(name, "TPW_ERR_UNKNOWN");
        for (size_t j = i + 1; j < count; j++) {
            assert_string_not_equal(name, tpw_err_name(tpw_err_at(j)));
        }
    }
}

static void test_table_api_codes(void **state)
{
    (void)state;
    size_t count = tpw_err_count();
    for (size_t i = 0; i < count; i++) {
        const char *code = tpw_err_api_code(tpw_err_at(i));
        assert_non_null(code);
        assert_true(code[0] != '\0');
        for (const char *p = code; *p != '\0'; p++) {
            if (!is_api_code_char(*p)) {
                fail_msg("api code \"%s\" has character '%c'", code, *p);
            }
        }
        for (size_t j = i + 1; j < count; j++) {
            assert_string_not_equal(code, tpw_err_api_code(tpw_err_at(j)));
        }
    }
}

static void test_table_statuses_and_types(void **state)
{
    (void)state;
    size_t count = tpw_err_count();
    for (size_t i = 0; i < count; i++) {
        enum tpw_err err = tpw_err_at(i);
        int http = tpw_err_http_status(err);
        int exit_status = tpw_err_exit_status(err);
        const char *type = tpw_err_api_type(err);
        const char *message = tpw_strerror(err);
        assert_non_null(type);
        assert_non_null(message);
        assert_true(message[0] != '\0');
        assert_in_range(http, 200, 599);
        if (err == TPW_OK) {
            assert_int_equal(http, 200);
            assert_int_equal(exit_status, 0);
            continue;
        }
        /* Errors are never 2xx/3xx, and exit with a sysexits.h code (EX_USAGE..EX_CONFIG). */
        if (http < 400) {
            fail_msg("%s has HTTP status %d", tpw_err_name(err), http);
        }
        if (exit_status < 64 || exit_status > 78) {
            fail_msg("%s has exit status %d", tpw_err_name(err), exit_status);
        }
        /* Stripe's types (its card_error has no use here). */
        if (strcmp(type, "invalid_request_error") != 0 && strcmp(type, "api_error") != 0 &&
            strcmp(type, "idempotency_error") != 0) {
            fail_msg("%s has api type \"%s\"", tpw_err_name(err), type);
        }
    }
}

/* Spot checks that the views really come from the right row of the table. */
static void test_table_spot_checks(void **state)
{
    (void)state;
    assert_int_equal(TPW_ERR_DECIMAL_SIGN, -21);
    assert_string_equal(tpw_err_name(TPW_ERR_DECIMAL_SIGN), "TPW_ERR_DECIMAL_SIGN");
    assert_string_equal(tpw_err_api_code(TPW_ERR_DECIMAL_SIGN), "decimal_sign");
    assert_string_equal(tpw_err_api_type(TPW_ERR_DECIMAL_SIGN), "invalid_request_error");
    assert_string_equal(tpw_strerror(TPW_ERR_DECIMAL_SIGN), "signs are not allowed in decimals");
    assert_int_equal(tpw_err_http_status(TPW_ERR_DECIMAL_SIGN), 400);
    assert_int_equal(tpw_err_exit_status(TPW_ERR_DECIMAL_SIGN), 65);

    assert_int_equal(TPW_ERR_NOMEM, -3);
    assert_string_equal(tpw_err_api_type(TPW_ERR_NOMEM), "api_error");
    assert_int_equal(tpw_err_http_status(TPW_ERR_NOMEM), 503);
    assert_int_equal(tpw_err_exit_status(TPW_ERR_NOMEM), 71);

    assert_int_equal(TPW_ERR_ID_PREFIX, -81);
    assert_string_equal(tpw_err_name(TPW_ERR_ID_PREFIX), "TPW_ERR_ID_PREFIX");
}

static void test_unknown_values(void **state)
{
    (void)state;
    static const int unknown[] = {-9999, -8, -19, -82, 1, 200, -2147483647 - 1, 2147483647};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        enum tpw_err err = (enum tpw_err)unknown[i];
        assert_string_equal(tpw_err_name(err), "TPW_ERR_UNKNOWN");
        assert_int_equal(tpw_err_http_status(err), 500);
        assert_int_equal(tpw_err_exit_status(err), 70);
        assert_string_equal(tpw_err_api_type(err), "api_error");
        assert_non_null(tpw_strerror(err));
        assert_true(tpw_strerror(err)[0] != '\0');
        assert_non_null(tpw_err_api_code(err));
        assert_true(tpw_err_api_code(err)[0] != '\0');
    }
}

static void test_error_set_fills_detail(void **state)
{
    (void)state;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_error_set_param(&detail, "amount");
    enum tpw_err got =
        tpw_error_set(&detail, TPW_ERR_DECIMAL_SIGN, 7, "'%s' has a sign at %d", "-12", 0);
    assert_err(got, TPW_ERR_DECIMAL_SIGN);
    assert_err(detail.code, TPW_ERR_DECIMAL_SIGN);
    assert_int_equal(detail.offset_bytes, 7);
    assert_string_equal(detail.message, "'-12' has a sign at 0");
    /* param is left as the caller set it. */
    assert_string_equal(detail.param, "amount");

    /* A second call overwrites code, offset and message. */
    got = tpw_error_set(&detail, TPW_ERR_ID_INVALID, 0, "short");
    assert_err(got, TPW_ERR_ID_INVALID);
    assert_err(detail.code, TPW_ERR_ID_INVALID);
    assert_int_equal(detail.offset_bytes, 0);
    assert_string_equal(detail.message, "short");
    assert_string_equal(detail.param, "amount");
}

static void test_error_set_null_detail(void **state)
{
    (void)state;
    assert_err(tpw_error_set(NULL, TPW_ERR_IO, 3, "ignored %d", 1), TPW_ERR_IO);
    assert_err(tpw_error_set(NULL, TPW_ERR_ID_PREFIX, 0, "ignored"), TPW_ERR_ID_PREFIX);
    tpw_error_set_param(NULL, "ignored");
    tpw_error_detail_reset(NULL);
}

/* Messages and params of every length around the buffer size stay NUL-terminated. */
static void test_error_set_truncates(void **state)
{
    (void)state;
    char long_text[1000];
    memset(long_text, 'm', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    static const size_t lengths[] = {0,
                                     1,
                                     TPW_ERROR_MESSAGE_SIZE - 2,
                                     TPW_ERROR_MESSAGE_SIZE - 1,
                                     TPW_ERROR_MESSAGE_SIZE,
                                     TPW_ERROR_MESSAGE_SIZE + 1,
                                     sizeof(long_text) - 1};
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        struct tpw_error_detail detail;
        memset(&detail, 'x', sizeof(detail));
        size_t length = lengths[i];
        const char *text = long_text + (sizeof(long_text) - 1 - length);
        assert_err(tpw_error_set(&detail, TPW_ERR_INTERNAL, 0, "%s", text), TPW_ERR_INTERNAL);
        size_t want = length < TPW_ERROR_MESSAGE_SIZE - 1 ? length : TPW_ERROR_MESSAGE_SIZE - 1;
        assert_non_null(memchr(detail.message, '\0', sizeof(detail.message)));
        assert_int_equal(strlen(detail.message), want);
        assert_memory_equal(detail.message, long_text, want);
    }

    static const size_t param_lengths[] = {0, 1, TPW_ERROR_PARAM_SIZE - 1, TPW_ERROR_PARAM_SIZE,
                                           sizeof(long_text) - 1};
    for (size_t i = 0; i < sizeof(param_lengths) / sizeof(param_lengths[0]); i++) {
        struct tpw_error_detail detail;
        memset(&detail, 'x', sizeof(detail));
        size_t length = param_lengths[i];
        tpw_error_set_param(&detail, long_text + (sizeof(long_text) - 1 - length));
        size_t want = length < TPW_ERROR_PARAM_SIZE - 1 ? length : TPW_ERROR_PARAM_SIZE - 1;
        assert_non_null(memchr(detail.param, '\0', sizeof(detail.param)));
        assert_int_equal(strlen(detail.param), want);
        assert_memory_equal(detail.param, long_text, want);
        /* set_param touches nothing but param. */
        assert_int_equal(detail.message[0], 'x');
    }
}

static void test_detail_reset(void **state)
{
    (void)state;
    struct tpw_error_detail detail;
    memset(&detail, 0x5a, sizeof(detail));
    tpw_error_set_param(&detail, "field");
    assert_err(tpw_error_set(&detail, TPW_ERR_USAGE, 12, "message"), TPW_ERR_USAGE);
    tpw_error_detail_reset(&detail);
    assert_err(detail.code, TPW_OK);
    assert_int_equal(detail.offset_bytes, 0);
    assert_string_equal(detail.param, "");
    assert_string_equal(detail.message, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_entry),
        cmocka_unit_test(test_table_numbers),
        cmocka_unit_test(test_table_names),
        cmocka_unit_test(test_table_api_codes),
        cmocka_unit_test(test_table_statuses_and_types),
        cmocka_unit_test(test_table_spot_checks),
        cmocka_unit_test(test_unknown_values),
        cmocka_unit_test(test_error_set_fills_detail),
        cmocka_unit_test(test_error_set_null_detail),
        cmocka_unit_test(test_error_set_truncates),
        cmocka_unit_test(test_detail_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
