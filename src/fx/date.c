/*
 * Calendar dates as whole days since 1970-01-01: the one representation the fx module
 * uses for ECB publication days, "as of" dates and staleness (a difference of two day
 * numbers is a number of calendar days). Years are 1970..2500, so every day number is
 * non-negative and the arithmetic needs no floor division.
 */
#include <stdio.h>
#include <string.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define NS_PER_DAY (86400ull * 1000000000ull)
/* Days from 0000-03-01 (proleptic Gregorian, March-based years) to 1970-01-01. */
#define DAYS_TO_EPOCH_FROM_MARCH_0 719468
#define DAYS_PER_400_YEARS 146097

static bool leap_year(int32_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static unsigned month_length(int32_t year, unsigned month)
{
    static const unsigned lengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    TPW_ASSERT(month >= 1 && month <= 12);
    return month == 2 && leap_year(year) ? 29 : lengths[month - 1];
}

/*
 * A year that starts on 1 March puts the leap day last, so the days before month m of
 * such a year (m = 0 for March) are a fixed function of m: 30.6 days a month on
 * average, (306 × m + 5) / 10.
 */
int32_t fx__date_from_civil(int32_t year, unsigned month, unsigned day)
{
    TPW_ASSERT(year >= FX_YEAR_MIN && year <= FX_YEAR_MAX);
    TPW_ASSERT(day >= 1 && day <= month_length(year, month));
    int64_t march_year = month <= 2 ? (int64_t)year - 1 : (int64_t)year;
    int64_t march_month = month <= 2 ? (int64_t)month + 9 : (int64_t)month - 3;
    int64_t days = march_year * 365 + march_year / 4 - march_year / 100 + march_year / 400 +
                   (306 * march_month + 5) / 10 + (int64_t)day - 1;
    return (int32_t)(days - DAYS_TO_EPOCH_FROM_MARCH_0);
}

void fx__date_to_civil(int32_t date_days, int32_t *year, unsigned *month, unsigned *day)
{
    TPW_ASSERT(date_days >= FX_DAYS_MIN && date_days <= FX_DAYS_MAX);
    /* An estimate from the mean Gregorian year, then corrected by at most a year. */
    int32_t guess = FX_YEAR_MIN + (int32_t)((int64_t)date_days * 400 / DAYS_PER_400_YEARS);
    if (guess > FX_YEAR_MAX) {
        guess = FX_YEAR_MAX;
    }
    for (unsigned step = 0; step < 2 && fx__date_from_civil(guess, 1, 1) > date_days; step++) {
        guess--;
    }
    for (unsigned step = 0;
         step < 2 && guess < FX_YEAR_MAX && fx__date_from_civil(guess + 1, 1, 1) <= date_days;
         step++) {
        guess++;
    }
    int32_t remaining = date_days - fx__date_from_civil(guess, 1, 1);
    TPW_ASSERT(remaining >= 0 && remaining < 366);
    unsigned current_month = 1;
    while (remaining >= (int32_t)month_length(guess, current_month)) {
        remaining -= (int32_t)month_length(guess, current_month);
        current_month++;
        TPW_ASSERT(current_month <= 12);
    }
    *year = guess;
    *month = current_month;
    *day = (unsigned)remaining + 1;
}

unsigned fx__date_weekday(int32_t date_days)
{
    /* 1970-01-01 was a Thursday (4). */
    return (unsigned)((date_days + 4) % 7);
}

bool fx__date_valid(int32_t year, unsigned month, unsigned day, int32_t *date_days)
{
    if (year < FX_YEAR_MIN || year > FX_YEAR_MAX || month < 1 || month > 12 || day < 1 ||
        day > month_length(year, month)) {
        return false;
    }
    *date_days = fx__date_from_civil(year, month, day);
    return true;
}

/* Reads exactly `count` digits at `text`; false on anything else. */
static bool digits_value(const char *text, size_t count, unsigned *value)
{
    unsigned result = 0;
    for (size_t index = 0; index < count; index++) {
        if (text[index] < '0' || text[index] > '9') {
            return false;
        }
        result = result * 10 + (unsigned)(text[index] - '0');
    }
    *value = result;
    return true;
}

enum tpw_err fx_date_parse(const char *text, size_t text_len, int32_t *date_days,
                           struct tpw_error_detail *detail)
{
    unsigned year = 0;
    unsigned month = 0;
    unsigned day = 0;
    if (text_len == 10 && text[4] == '-' && text[7] == '-' && digits_value(text, 4, &year) &&
        digits_value(text + 5, 2, &month) && digits_value(text + 8, 2, &day) &&
        fx__date_valid((int32_t)year, month, day, date_days)) {
        return TPW_OK;
    }
    return tpw_error_set(detail, TPW_ERR_FX_DATE_INVALID, 0,
                         "'%.*s' is not a date YYYY-MM-DD from 1970 to 2500",
                         (int)(text_len > 40 ? 40 : text_len), text);
}

bool fx__date_parse_long(const char *text, size_t text_len, int32_t *date_days)
{
    static const char *const months[12] = {"January",   "February", "March",    "April",
                                           "May",       "June",     "July",     "August",
                                           "September", "October",  "November", "December"};
    size_t day_len = text_len > 1 && text[1] == ' ' ? 1 : 2;
    unsigned day = 0;
    unsigned year = 0;
    if (text_len < day_len + 1 + 3 + 1 + 4 || !digits_value(text, day_len, &day) ||
        text[day_len] != ' ' || text[text_len - 5] != ' ' ||
        !digits_value(text + text_len - 4, 4, &year)) {
        return false;
    }
    const char *name = text + day_len + 1;
    size_t name_len = text_len - day_len - 1 - 5;
    for (unsigned month = 1; month <= 12; month++) {
        if (strlen(months[month - 1]) == name_len &&
            memcmp(months[month - 1], name, name_len) == 0) {
            return fx__date_valid((int32_t)year, month, day, date_days);
        }
    }
    return false;
}

void fx_date_format(int32_t date_days, char buf[FX_DATE_TEXT_SIZE])
{
    int32_t year = 0;
    unsigned month = 0;
    unsigned day = 0;
    fx__date_to_civil(date_days, &year, &month, &day);
    (void)snprintf(buf, FX_DATE_TEXT_SIZE, "%04d-%02u-%02u", (int)year, month, day);
}

int32_t fx_date_from_time_ns(uint64_t time_ns)
{
    uint64_t days = time_ns / NS_PER_DAY;
    return days > FX_DAYS_MAX ? FX_DAYS_MAX : (int32_t)days;
}
