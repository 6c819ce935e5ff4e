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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_utc_ms),
        cmocka_unit_test(test_manual_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
