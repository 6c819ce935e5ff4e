/*
 * The calendar under the backtest: day numbers against known dates and a round trip,
 * ISO 8601 weeks across year ends (weeks 52/53 and week 1 in the old or new year),
 * and the period keys that decide the monitoring dates (weeks, months, quarters, years).
 */
#include "tpw_test.h"

#include <string.h>

#include "tpwallet/portfolio.h"

static int32_t civil(int32_t year, unsigned month, unsigned mday)
{
    return portfolio_day_from_civil(year, month, mday);
}

static void test_known_days(void **state)
{
    (void)state;
    assert_int_equal(civil(1970, 1, 1), 0);
    assert_int_equal(civil(1969, 12, 31), -1);
    assert_int_equal(civil(2000, 3, 1), 11017);
    assert_int_equal(civil(2024, 2, 29), 19782);
    assert_int_equal(civil(2024, 3, 1) - civil(2024, 2, 28), 2); /* leap year */
    assert_int_equal(civil(2100, 3, 1) - civil(2100, 2, 28), 1); /* not a leap year */
    char text[PORTFOLIO_DATE_TEXT_SIZE];
    assert_string_equal(portfolio_day_text(19782, text), "2024-02-29");
    assert_string_equal(portfolio_day_text(-719162, text), "0001-01-01");
}

static void test_round_trip(void **state)
{
    (void)state;
    for (int32_t day = -800000; day <= 2932896; day += 7) {
        int32_t year = 0;
        unsigned month = 0;
        unsigned mday = 0;
        portfolio_day_to_civil(day, &year, &month, &mday);
        assert_int_equal(portfolio_day_from_civil(year, month, mday), day);
    }
}

struct iso_case {
    int32_t year;
    unsigned month;
    unsigned mday;
    int32_t iso_year;
    unsigned week;
};

static const struct iso_case iso_cases[] = {
    {2020, 12, 31, 2020, 53}, /* Thursday: 2020 has 53 weeks */
    {2021, 1, 3, 2020, 53},   /* Sunday: still the old year's week 53 */
    {2021, 1, 4, 2021, 1},    /* Monday */
    {2024, 12, 29, 2024, 52}, /* Sunday */
    {2024, 12, 30, 2025, 1},  /* Monday: the new year's week 1 starts in December */
    {2019, 12, 30, 2020, 1},  {2016, 1, 3, 2015, 53},
    {2018, 1, 1, 2018, 1}, /* the year starts on a Monday */
    {1970, 1, 1, 1970, 1}, /* a Thursday */
    {2026, 2, 23, 2026, 9},
};

static void test_iso_weeks(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(iso_cases) / sizeof(iso_cases[0]); index++) {
        const struct iso_case *c = &iso_cases[index];
        int32_t iso_year = 0;
        unsigned week = 0;
        portfolio_day_iso_week(civil(c->year, c->month, c->mday), &iso_year, &week);
        assert_int_equal(iso_year, c->iso_year);
        assert_int_equal(week, c->week);
    }
}

/* The weekly period key changes exactly where the ISO week does. */
static void test_weekly_key_is_the_iso_week(void **state)
{
    (void)state;
    for (int32_t day = civil(1999, 1, 1); day < civil(2031, 1, 1); day++) {
        int32_t year_a = 0;
        int32_t year_b = 0;
        unsigned week_a = 0;
        unsigned week_b = 0;
        portfolio_day_iso_week(day, &year_a, &week_a);
        portfolio_day_iso_week(day + 1, &year_b, &week_b);
        bool same_week = year_a == year_b && week_a == week_b;
        bool same_key = portfolio_period_key(PORTFOLIO_CHECK_WEEKLY, day) ==
                        portfolio_period_key(PORTFOLIO_CHECK_WEEKLY, day + 1);
        assert_int_equal(same_week, same_key);
    }
}

static bool same_period(enum portfolio_check check, int32_t a, int32_t b)
{
    return portfolio_period_key(check, a) == portfolio_period_key(check, b);
}

static void test_months_quarters_years(void **state)
{
    (void)state;
    assert_true(same_period(PORTFOLIO_CHECK_MONTHLY, civil(2024, 2, 1), civil(2024, 2, 29)));
    assert_false(same_period(PORTFOLIO_CHECK_MONTHLY, civil(2024, 2, 29), civil(2024, 3, 1)));
    assert_false(same_period(PORTFOLIO_CHECK_MONTHLY, civil(2023, 1, 15), civil(2024, 1, 15)));
    assert_true(same_period(PORTFOLIO_CHECK_QUARTERLY, civil(2020, 1, 1), civil(2020, 3, 31)));
    assert_false(same_period(PORTFOLIO_CHECK_QUARTERLY, civil(2020, 3, 31), civil(2020, 4, 1)));
    assert_true(same_period(PORTFOLIO_CHECK_QUARTERLY, civil(2020, 10, 1), civil(2020, 12, 31)));
    assert_false(same_period(PORTFOLIO_CHECK_QUARTERLY, civil(2019, 12, 31), civil(2020, 1, 1)));
    assert_false(same_period(PORTFOLIO_CHECK_QUARTERLY, civil(2019, 1, 1), civil(2020, 1, 1)));
    assert_true(same_period(PORTFOLIO_CHECK_ANNUAL, civil(2020, 1, 1), civil(2020, 12, 31)));
    assert_false(same_period(PORTFOLIO_CHECK_ANNUAL, civil(2020, 12, 31), civil(2021, 1, 1)));
    assert_false(same_period(PORTFOLIO_CHECK_DAILY, civil(2020, 1, 1), civil(2020, 1, 2)));
    assert_true(same_period(PORTFOLIO_CHECK_NEVER, civil(1990, 1, 1), civil(2030, 1, 1)));
}

static void test_check_names(void **state)
{
    (void)state;
    const char *names[] = {"daily", "weekly", "monthly", "quarterly", "annual", "never"};
    for (size_t index = 0; index < 6; index++) {
        enum portfolio_check check = PORTFOLIO_CHECK_NEVER;
        assert_err(portfolio_check_parse(names[index], &check, NULL), TPW_OK);
        assert_int_equal(check, index);
        assert_string_equal(portfolio_check_name(check), names[index]);
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum portfolio_check check = PORTFOLIO_CHECK_DAILY;
    assert_err(portfolio_check_parse("Monthly", &check, &detail), TPW_ERR_PORTFOLIO_CHECK_UNKNOWN);
    assert_non_null(strstr(detail.message, "'Monthly'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_days),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_iso_weeks),
        cmocka_unit_test(test_weekly_key_is_the_iso_week),
        cmocka_unit_test(test_months_quarters_years),
        cmocka_unit_test(test_check_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
