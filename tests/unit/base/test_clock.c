/*
 * The clock helpers: the manual clock returns what the test sets, and the one
 * timestamp text form (ISO 8601 UTC with milliseconds) is right at the epoch, on a
 * leap day, across the 2100 non-leap century, and at the largest identifier time
 * (a five-digit year). Expected strings were computed with Python and date(1).
 */
#include "tpw_test.h"

#include <string.h>

#include "tpwallet/clock.h"
#include "tpwallet/id.h"

static void test_format_utc_ms(void **state)
{
    (void)state;
    static const struct {
        uint64_t unix_ms;
        const char *text;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {1, "1970-01-01T00:00:00.001Z"},
        {951782400999u, "2000-02-29T00:00:00.999Z"},
        {1764063000125u, "2025-11-25T09:30:00.125Z"},
        {4102444800000u, "2100-01-01T00:00:00.000Z"},
        {TPW_ID_TIME_MS_MAX, "10889-08-02T05:31:50.655Z"},
    };
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        char buf[TPW_CLOCK_UTC_TEXT_SIZE];
        size_t length = tpw_clock_format_utc_ms(cases[index].unix_ms, buf);
        assert_string_equal(buf, cases[index].text);
        assert_int_equal(length, strlen(cases[index].text));
    }
}

static void test_manual_clock(void **state)
{
    (void)state;
    uint64_t now_ns = 42;
    struct tpw_clock clock = tpw_clock_manual(&now_ns);
    assert_int_equal(tpw_clock_now_ns(&clock), 42);
    now_ns = UINT64_MAX;
    assert_true(tpw_clock_now_ns(&clock) == UINT64_MAX);
    /* The system clock is after 2026-01-01 and the monotonic one moves forward. */
    struct tpw_clock system = tpw_clock_system();
    assert_true(tpw_clock_now_ns(&system) > UINT64_C(1767225600) * 1000000000u);
    uint64_t before_ns = tpw_clock_monotonic_ns();
    assert_true(tpw_clock_monotonic_ns() >= before_ns);
}

static void test_parse_utc(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t ns; /* UINT64_MAX: refused */
    } cases[] = {
        {"2014-11-07T08:19:27.028459Z", 1415348367028459000ull},
        {"1970-01-01T00:00:00Z", 0},
        {"1970-01-01T00:00:00.000000001Z", 1},
        {"2024-02-29T23:59:59.5Z", 1709251199500000000ull},
        {"2000-03-01T00:00:00Z", 951868800000000000ull},
        {"2261-12-31T23:59:59.999999999Z", 9214646399999999999ull},
        {"2262-01-01T00:00:00Z", UINT64_MAX}, /* 2^63 ns is in April 2262 */
        {"1969-12-31T23:59:59Z", UINT64_MAX},
        {"2023-02-29T00:00:00Z", UINT64_MAX},
        {"2100-02-29T00:00:00Z", UINT64_MAX},
        {"2024-04-31T00:00:00Z", UINT64_MAX},
        {"2024-13-01T00:00:00Z", UINT64_MAX},
        {"2024-00-01T00:00:00Z", UINT64_MAX},
        {"2024-01-01T24:00:00Z", UINT64_MAX},
        {"2024-01-01T00:60:00Z", UINT64_MAX},
        {"2024-01-01T00:00:60Z", UINT64_MAX},
        {"2024-01-01T00:00:00", UINT64_MAX},
        {"2024-01-01T00:00:00.Z", UINT64_MAX},
        {"2024-01-01T00:00:00.1234567890Z", UINT64_MAX},
        {"2024-01-01T00:00:00+00:00", UINT64_MAX},
        {"2024-01-01 00:00:00Z", UINT64_MAX},
        {"2024-1-01T00:00:00Z", UINT64_MAX},
        {"", UINT64_MAX},
    };
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        uint64_t ns = 7;
        bool parsed = tpw_clock_parse_utc(cases[index].text, strlen(cases[index].text), &ns);
        assert_int_equal(parsed, cases[index].ns != UINT64_MAX);
        assert_int_equal(ns, parsed ? cases[index].ns : 7);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_utc_ms),
        cmocka_unit_test(test_manual_clock),
        cmocka_unit_test(test_parse_utc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
