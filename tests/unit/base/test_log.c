/*
 * Unit tests for the JSON-lines logger (src/base/log.h).
 *
 * Log lines are read by machines, so the tests assert whole lines byte for byte: the
 * logger writes to an open_memstream buffer and reads a manual clock, which makes the
 * timestamp exact (expected dates were computed independently, including leap days and
 * a non-leap century). Also covered: level filtering and parsing, JSON string escaping,
 * the extremes of the integer fields, and truncation, where a line must stay within
 * TPW_LOG_LINE_SIZE and still be closed with "truncated":true. Every test restores the
 * default stream, level and clock in its teardown, even when it fails.
 */
#include "tpw_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpwallet/clock.h"

#include "log.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* 2025-11-25T09:30:00.125Z */
#define FIXED_NS UINT64_C(1764063000125000000)
#define FIXED_TS "2025-11-25T09:30:00.125Z"

struct log_fixture {
    FILE *stream;
    char *data;
    size_t size;
    uint64_t now_ns;
};

static void fixture_open_stream(struct log_fixture *fixture)
{
    fixture->data = NULL;
    fixture->size = 0;
    fixture->stream = open_memstream(&fixture->data, &fixture->size);
    assert_non_null(fixture->stream);
    tpw_log_set_stream(fixture->stream);
}

static void fixture_close_stream(struct log_fixture *fixture)
{
    if (fixture->stream != NULL) {
        tpw_log_set_stream(NULL);
        (void)fclose(fixture->stream);
        fixture->stream = NULL;
    }
    free(fixture->data);
    fixture->data = NULL;
}

static int setup(void **state)
{
    static struct log_fixture fixture;
    memset(&fixture, 0, sizeof(fixture));
    fixture.now_ns = FIXED_NS;
    fixture_open_stream(&fixture);
    tpw_log_set_clock(tpw_clock_manual(&fixture.now_ns));
    tpw_log_set_level(TPW_LOG_DEBUG);
    *state = &fixture;
    return 0;
}

static int teardown(void **state)
{
    struct log_fixture *fixture = *state;
    tpw_log_set_stream(NULL);
    tpw_log_set_level(TPW_LOG_WARN);
    tpw_log_set_clock((struct tpw_clock){0});
    fixture_close_stream(fixture);
    return 0;
}

/* Everything written since the stream was (re)opened. */
static const char *output(struct log_fixture *fixture)
{
    assert_int_equal(fflush(fixture->stream), 0);
    return fixture->data;
}

/* Starts a fresh, empty capture. */
static void restart(struct log_fixture *fixture)
{
    fixture_close_stream(fixture);
    fixture_open_stream(fixture);
}

static void test_exact_line(void **state)
{
    struct log_fixture *fixture = *state;
    TPW_LOGF(TPW_LOG_INFO, "registry.loaded", TPW_LOG_U64("assets", 182),
             TPW_LOG_STR("file", "data/assets.csv"), TPW_LOG_I64("delta", -3));
    assert_string_equal(output(fixture), "{\"ts\":\"" FIXED_TS "\",\"level\":\"info\","
                                         "\"event\":\"registry.loaded\",\"assets\":182,"
                                         "\"file\":\"data/assets.csv\",\"delta\":-3}\n");

    /* A second line is appended after the first. */
    tpw_log(TPW_LOG_ERROR, "shutdown", NULL, 0);
    assert_string_equal(output(fixture),
                        "{\"ts\":\"" FIXED_TS "\",\"level\":\"info\","
                        "\"event\":\"registry.loaded\",\"assets\":182,"
                        "\"file\":\"data/assets.csv\",\"delta\":-3}\n"
                        "{\"ts\":\"" FIXED_TS "\",\"level\":\"error\",\"event\":\"shutdown\"}\n");
}

static void test_timestamps(void **state)
{
    struct log_fixture *fixture = *state;
    static const struct {
        uint64_t now_ns;
        const char *ts;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {999999, "1970-01-01T00:00:00.000Z"},
        {1000000, "1970-01-01T00:00:00.001Z"},
        {999999999, "1970-01-01T00:00:00.999Z"},
        {UINT64_C(951868799999000000), "2000-02-29T23:59:59.999Z"},
        {UINT64_C(1709251199999000000), "2024-02-29T23:59:59.999Z"},
        {UINT64_C(1764063000125000000), "2025-11-25T09:30:00.125Z"},
        /* Milliseconds are truncated, not rounded. */
        {UINT64_C(1764063000125999999), "2025-11-25T09:30:00.125Z"},
        /* 2100 is not a leap year. */
        {UINT64_C(4107542399001000000), "2100-02-28T23:59:59.001Z"},
        {UINT64_C(4107542400000000000), "2100-03-01T00:00:00.000Z"},
        {UINT64_MAX, "2554-07-21T23:34:33.709Z"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        restart(fixture);
        fixture->now_ns = cases[i].now_ns;
        tpw_log(TPW_LOG_WARN, "tick", NULL, 0);
        char expected[128];
        (void)snprintf(expected, sizeof(expected),
                       "{\"ts\":\"%s\",\"level\":\"warn\",\"event\":\"tick\"}\n", cases[i].ts);
        assert_string_equal(output(fixture), expected);
    }
}

static void test_level_filtering(void **state)
{
    struct log_fixture *fixture = *state;
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int configured = TPW_LOG_DEBUG; configured <= TPW_LOG_OFF; configured++) {
        tpw_log_set_level((enum tpw_log_level)configured);
        assert_int_equal(tpw_log_get_level(), configured);
        for (int level = TPW_LOG_DEBUG; level <= TPW_LOG_ERROR; level++) {
            restart(fixture);
            tpw_log((enum tpw_log_level)level, "probe", NULL, 0);
            const char *line = output(fixture);
            if (level < configured) {
                if (line[0] != '\0') {
                    fail_msg("level %d logged at configured level %d: %s", level, configured, line);
                }
                continue;
            }
            char expected[128];
            (void)snprintf(expected, sizeof(expected),
                           "{\"ts\":\"" FIXED_TS "\",\"level\":\"%s\",\"event\":\"probe\"}\n",
                           names[level]);
            assert_string_equal(line, expected);
        }
    }
}

/* Runs first, before any setup has touched the configuration. */
static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(tpw_log_get_level(), TPW_LOG_WARN);
}

static void test_warn_hides_debug_and_info(void **state)
{
    struct log_fixture *fixture = *state;
    tpw_log_set_level(TPW_LOG_WARN);
    TPW_LOGF(TPW_LOG_DEBUG, "hidden", TPW_LOG_U64("n", 1));
    tpw_log(TPW_LOG_INFO, "hidden", NULL, 0);
    assert_string_equal(output(fixture), "");
    tpw_log(TPW_LOG_WARN, "shown", NULL, 0);
    assert_string_equal(output(fixture),
                        "{\"ts\":\"" FIXED_TS "\",\"level\":\"warn\",\"event\":\"shown\"}\n");

    /* off suppresses every level, error included. */
    tpw_log_set_level(TPW_LOG_OFF);
    restart(fixture);
    tpw_log(TPW_LOG_ERROR, "hidden", NULL, 0);
    assert_string_equal(output(fixture), "");
}

/*
 * log.c writes every control character as \u00XX (including \n and \t, which JSON
 * would also allow as \n and \t); bytes from 0x20 up, including DEL and UTF-8, pass
 * through unchanged.
 */
static void test_string_escaping(void **state)
{
    struct log_fixture *fixture = *state;
    static const struct {
        const char *value;
        const char *json;
    } cases[] = {
        {"", "\"\""},
        {"plain text", "\"plain text\""},
        {"say \"hi\"", "\"say \\\"hi\\\"\""},
        {"C:\\path\\", "\"C:\\\\path\\\\\""},
        {"line\nbreak", "\"line\\u000abreak\""},
        {"tab\there", "\"tab\\u0009here\""},
        {"\001f", "\"\\u0001f\""},
        {"\x1f\r", "\"\\u001f\\u000d\""},
        {"\x7f", "\"\x7f\""},
        {"caf\xc3\xa9 / \xe2\x82\xac", "\"caf\xc3\xa9 / \xe2\x82\xac\""},
        {"\"\\\n\t\x01", "\"\\\"\\\\\\u000a\\u0009\\u0001\""},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        restart(fixture);
        TPW_LOGF(TPW_LOG_INFO, "escape", TPW_LOG_STR("value", cases[i].value));
        char expected[256];
        (void)snprintf(expected, sizeof(expected),
                       "{\"ts\":\"" FIXED_TS "\",\"level\":\"info\",\"event\":\"escape\","
                       "\"value\":%s}\n",
                       cases[i].json);
        assert_string_equal(output(fixture), expected);
    }

    /* The event name is escaped the same way. */
    restart(fixture);
    tpw_log(TPW_LOG_INFO, "odd\"event\\\n", NULL, 0);
    assert_string_equal(output(fixture), "{\"ts\":\"" FIXED_TS "\",\"level\":\"info\","
                                         "\"event\":\"odd\\\"event\\\\\\u000a\"}\n");
}

static void test_integer_fields(void **state)
{
    struct log_fixture *fixture = *state;
    TPW_LOGF(TPW_LOG_INFO, "numbers", TPW_LOG_U64("u0", 0), TPW_LOG_U64("umax", UINT64_MAX),
             TPW_LOG_I64("i0", 0), TPW_LOG_I64("neg", -1), TPW_LOG_I64("imin", INT64_MIN),
             TPW_LOG_I64("imax", INT64_MAX));
    assert_string_equal(output(fixture),
                        "{\"ts\":\"" FIXED_TS "\",\"level\":\"info\",\"event\":\"numbers\","
                        "\"u0\":0,\"umax\":18446744073709551615,\"i0\":0,\"neg\":-1,"
                        "\"imin\":-9223372036854775808,\"imax\":9223372036854775807}\n");
}

static void test_truncation_long_string(void **state)
{
    struct log_fixture *fixture = *state;
    static char huge[10001];
    memset(huge, 'x', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    TPW_LOGF(TPW_LOG_ERROR, "big", TPW_LOG_U64("before", 1), TPW_LOG_STR("blob", huge));
    const char *line = output(fixture);
    assert_string_equal(line, "{\"ts\":\"" FIXED_TS "\",\"level\":\"error\",\"event\":\"big\","
                              "\"before\":1,\"truncated\":true}\n");
    assert_true(strlen(line) <= TPW_LOG_LINE_SIZE);

    /* Escapes expand the text six-fold; that must not overrun either. */
    static char controls[10001];
    memset(controls, '\x01', sizeof(controls) - 1);
    controls[sizeof(controls) - 1] = '\0';
    restart(fixture);
    TPW_LOGF(TPW_LOG_ERROR, "big", TPW_LOG_STR("blob", controls));
    assert_string_equal(output(fixture), "{\"ts\":\"" FIXED_TS "\",\"level\":\"error\","
                                         "\"event\":\"big\",\"truncated\":true}\n");
}

/*
 * Around the size limit each line is either complete or closed with "truncated":true,
 * never longer than TPW_LOG_LINE_SIZE, and once a length is too long every longer one is.
 */
static void test_truncation_boundary(void **state)
{
    struct log_fixture *fixture = *state;
    static const char head[] = "{\"ts\":\"" FIXED_TS "\",\"level\":\"info\",\"event\":\"edge\"";
    static const char tail[] = ",\"truncated\":true}\n";
    static char value[TPW_LOG_LINE_SIZE + 1];
    size_t complete = 0;
    size_t truncated = 0;
    for (size_t length = TPW_LOG_LINE_SIZE - 250; length <= TPW_LOG_LINE_SIZE; length++) {
        memset(value, 'v', length);
        value[length] = '\0';
        restart(fixture);
        TPW_LOGF(TPW_LOG_INFO, "edge", TPW_LOG_STR("s", value));
        const char *line = output(fixture);
        size_t line_len = strlen(line);
        assert_true(line_len <= TPW_LOG_LINE_SIZE);
        assert_memory_equal(line, head, sizeof(head) - 1);
        const char *rest = line + sizeof(head) - 1;
        if (strcmp(rest, tail) == 0) {
            truncated++;
            continue;
        }
        if (truncated > 0) {
            fail_msg("length %zu fits although a shorter value was truncated", length);
        }
        complete++;
        assert_int_equal(line_len, sizeof(head) - 1 + strlen(",\"s\":\"") + length + 3);
        assert_memory_equal(rest, ",\"s\":\"", 6);
        assert_int_equal(strspn(rest + 6, "v"), length);
        assert_string_equal(rest + 6 + length, "\"}\n");
    }
    assert_true(complete > 0);
    assert_true(truncated > 0);
}

/* Many small fields: those that fit are kept in order, the rest dropped. */
static void test_truncation_many_fields(void **state)
{
    struct log_fixture *fixture = *state;
    enum { FIELDS = 400 };
    static struct tpw_log_field fields[FIELDS];
    for (size_t i = 0; i < FIELDS; i++) {
        fields[i] = TPW_LOG_U64("field", UINT64_C(1000000000000) + i);
    }
    tpw_log(TPW_LOG_INFO, "many", fields, FIELDS);
    const char *line = output(fixture);
    size_t line_len = strlen(line);
    assert_true(line_len <= TPW_LOG_LINE_SIZE);
    /* Each field is 22 bytes; less than a few fields' worth of space may go unused. */
    assert_true(line_len > TPW_LOG_LINE_SIZE - 100);

    static const char head[] = "{\"ts\":\"" FIXED_TS "\",\"level\":\"info\",\"event\":\"many\"";
    static const char tail[] = ",\"truncated\":true}\n";
    assert_memory_equal(line, head, sizeof(head) - 1);
    assert_string_equal(line + line_len - (sizeof(tail) - 1), tail);
    const char *p = line + sizeof(head) - 1;
    size_t kept = 0;
    while (p < line + line_len - (sizeof(tail) - 1)) {
        char expected[64];
        int n = snprintf(expected, sizeof(expected), ",\"field\":%" PRIu64,
                         UINT64_C(1000000000000) + kept);
        assert_true(n > 0);
        assert_memory_equal(p, expected, (size_t)n);
        p += n;
        kept++;
    }
    assert_true(kept > 0 && kept < FIELDS);
}

static void test_level_parse(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum tpw_log_level level;
    } good[] = {
        {"debug", TPW_LOG_DEBUG}, {"info", TPW_LOG_INFO}, {"warn", TPW_LOG_WARN},
        {"error", TPW_LOG_ERROR}, {"off", TPW_LOG_OFF},
    };
    for (size_t i = 0; i < COUNT(good); i++) {
        enum tpw_log_level level = TPW_LOG_OFF;
        if (good[i].level == TPW_LOG_OFF) {
            level = TPW_LOG_DEBUG;
        }
        assert_err(tpw_log_level_parse(good[i].name, &level), TPW_OK);
        assert_int_equal(level, good[i].level);
    }
    static const char *const bad[] = {"",       "WARN", "Warn", "warning", "inf", "debug ",
                                      " debug", "of",   "offf", "fatal",   "0",   "4"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        enum tpw_log_level level = TPW_LOG_INFO;
        assert_err(tpw_log_level_parse(bad[i], &level), TPW_ERR_INVALID_ARGUMENT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_exact_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_filtering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warn_hides_debug_and_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_string_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integer_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation_long_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation_many_fields, setup, teardown),
        cmocka_unit_test(test_level_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
