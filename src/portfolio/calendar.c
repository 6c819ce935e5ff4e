/*
 * The civil calendar the backtest needs: dates as day numbers (days since 1970-01-01,
 * proleptic Gregorian, UTC), ISO 8601 weeks, and the calendar period of a day for each
 * check schedule. Day numbers make joins and sorting integer comparisons, and a period
 * key makes "last row of its month" one comparison with the next row.
 */
#include <stdio.h>
#include <string.h>

#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

/* Days in a 400-year Gregorian cycle, and from 0000-03-01 to 1970-01-01. */
#define DAYS_PER_ERA 146097
#define DAYS_0000_03_01_TO_EPOCH 719468
/* 1970-01-01 was a Thursday: day + 3 counts from the Monday before it. */
#define EPOCH_DAYS_AFTER_MONDAY 3
#define DAYS_PER_WEEK 7

static int64_t floor_div(int64_t a, int64_t b)
{
    TPW_ASSERT(b > 0);
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/*
 * Counting years from March makes February the last month, so its leap day never shifts
 * the day-of-year of the months after it; (153 × m + 2) / 5 is the day of year at which
 * March-based month m (0 = March) starts.
 */
int32_t portfolio_day_from_civil(int32_t year, unsigned month, unsigned day)
{
    TPW_ASSERT(month >= 1 && month <= 12);
    TPW_ASSERT(day >= 1 && day <= 31);
    int64_t y = (int64_t)year - (month <= 2 ? 1 : 0);
    int64_t era = floor_div(y, 400);
    int64_t year_of_era = y - era * 400;
    int64_t march_month = month > 2 ? (int64_t)month - 3 : (int64_t)month + 9;
    int64_t day_of_year = (153 * march_month + 2) / 5 + (int64_t)day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return (int32_t)(era * DAYS_PER_ERA + day_of_era - DAYS_0000_03_01_TO_EPOCH);
}

void portfolio_day_to_civil(int32_t day, int32_t *year, unsigned *month, unsigned *mday)
{
    int64_t z = (int64_t)day + DAYS_0000_03_01_TO_EPOCH;
    int64_t era = floor_div(z, DAYS_PER_ERA);
    int64_t day_of_era = z - era * DAYS_PER_ERA;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t march_month = (5 * day_of_year + 2) / 153;
    int64_t m = march_month < 10 ? march_month + 3 : march_month - 9;
    *mday = (unsigned)(day_of_year - (153 * march_month + 2) / 5 + 1);
    *month = (unsigned)m;
    *year = (int32_t)(year_of_era + era * 400 + (m <= 2 ? 1 : 0));
    TPW_ASSERT(*month >= 1 && *month <= 12);
    TPW_ASSERT(*mday >= 1 && *mday <= 31);
}

const char *portfolio_day_text(int32_t day, char buf[PORTFOLIO_DATE_TEXT_SIZE])
{
    int32_t year = 0;
    unsigned month = 0;
    unsigned mday = 0;
    portfolio_day_to_civil(day, &year, &month, &mday);
    TPW_ASSERT(year >= 0 && year <= 9999);
    (void)snprintf(buf, PORTFOLIO_DATE_TEXT_SIZE, "%04d-%02u-%02u", (int)year, month, mday);
    return buf;
}

/* Week 1 is the week with the year's first Thursday, so a week's Thursday names its
 * ISO year, and the week number counts Thursdays from that year's first. */
void portfolio_day_iso_week(int32_t day, int32_t *iso_year, unsigned *week)
{
    int64_t weekday = (int64_t)day + EPOCH_DAYS_AFTER_MONDAY -
                      floor_div((int64_t)day + EPOCH_DAYS_AFTER_MONDAY, DAYS_PER_WEEK) *
                          DAYS_PER_WEEK; /* 0 = Monday */
    int32_t thursday = (int32_t)((int64_t)day - weekday + 3);
    unsigned month = 0;
    unsigned mday = 0;
    portfolio_day_to_civil(thursday, iso_year, &month, &mday);
    int32_t january_1 = portfolio_day_from_civil(*iso_year, 1, 1);
    *week = (unsigned)((thursday - january_1) / DAYS_PER_WEEK + 1);
    TPW_ASSERT(*week >= 1 && *week <= 53);
}

int64_t portfolio_period_key(enum portfolio_check check, int32_t day)
{
    int32_t year = 0;
    unsigned month = 0;
    unsigned mday = 0;
    switch (check) {
    case PORTFOLIO_CHECK_DAILY:
        return day;
    case PORTFOLIO_CHECK_WEEKLY:
        /* Monday-to-Sunday blocks are exactly the ISO weeks. */
        return floor_div((int64_t)day + EPOCH_DAYS_AFTER_MONDAY, DAYS_PER_WEEK);
    case PORTFOLIO_CHECK_MONTHLY:
        portfolio_day_to_civil(day, &year, &month, &mday);
        return (int64_t)year * 12 + (int64_t)month - 1;
    case PORTFOLIO_CHECK_QUARTERLY:
        portfolio_day_to_civil(day, &year, &month, &mday);
        return (int64_t)year * 4 + (int64_t)(month - 1) / 3;
    case PORTFOLIO_CHECK_ANNUAL:
        portfolio_day_to_civil(day, &year, &month, &mday);
        return year;
    case PORTFOLIO_CHECK_NEVER:
        return 0;
    }
    TPW_ASSERT(!"unknown check schedule");
    return 0;
}

static const char *const check_names[] = {"daily",     "weekly", "monthly",
                                          "quarterly", "annual", "never"};
#define CHECK_NAMES_COUNT (sizeof(check_names) / sizeof(check_names[0]))
_Static_assert(CHECK_NAMES_COUNT == PORTFOLIO_CHECK_NEVER + 1, "one name per schedule");

const char *portfolio_check_name(enum portfolio_check check)
{
    return (size_t)check < CHECK_NAMES_COUNT ? check_names[check] : "unknown";
}

enum tpw_err portfolio_check_parse(const char *text, enum portfolio_check *out,
                                   struct tpw_error_detail *detail)
{
    for (size_t index = 0; index < CHECK_NAMES_COUNT; index++) {
        if (strcmp(text, check_names[index]) == 0) {
            *out = (enum portfolio_check)index;
            return TPW_OK;
        }
    }
    return tpw_error_set(detail, TPW_ERR_PORTFOLIO_CHECK_UNKNOWN, 0,
                         "unknown check '%.40s' (daily, weekly, monthly, quarterly, annual, "
                         "never)",
                         text);
}
