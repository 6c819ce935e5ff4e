/*
 * Clock implementations: the system real-time clock for production, a manual clock
 * for deterministic tests, a monotonic reading for measuring durations, and the
 * ISO 8601 text form of a time, written and read.
 */
#include "tpwallet/clock.h"

#include <stdio.h>
#include <time.h>

#include "tpw_assert.h"

#include "banned.h"

static uint64_t timespec_ns(const struct timespec *ts)
{
    TPW_ASSERT(ts->tv_sec >= 0);
    return (uint64_t)ts->tv_sec * UINT64_C(1000000000) + (uint64_t)ts->tv_nsec;
}

static uint64_t system_now_ns(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    int rc = clock_gettime(CLOCK_REALTIME, &ts);
    TPW_ASSERT(rc == 0);
    return timespec_ns(&ts);
}

static uint64_t manual_now_ns(void *ctx)
{
    return *(const uint64_t *)ctx;
}

struct tpw_clock tpw_clock_system(void)
{
    return (struct tpw_clock){.now_ns = system_now_ns, .ctx = NULL};
}

struct tpw_clock tpw_clock_manual(uint64_t *now_ns)
{
    TPW_ASSERT(now_ns != NULL);
    return (struct tpw_clock){.now_ns = manual_now_ns, .ctx = now_ns};
}

uint64_t tpw_clock_monotonic_ns(void)
{
    struct timespec ts;
    int rc = clock_gettime(CLOCK_MONOTONIC, &ts);
    TPW_ASSERT(rc == 0);
    return timespec_ns(&ts);
}

size_t tpw_clock_format_utc_ms(uint64_t unix_ms, char buf[TPW_CLOCK_UTC_TEXT_SIZE])
{
    time_t seconds = (time_t)(unix_ms / 1000);
    struct tm utc;
    const struct tm *converted = gmtime_r(&seconds, &utc);
    TPW_ASSERT(converted != NULL);
    char stamp[TPW_CLOCK_UTC_TEXT_SIZE];
    size_t stamp_len = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
    TPW_ASSERT(stamp_len > 0);
    int length =
        snprintf(buf, TPW_CLOCK_UTC_TEXT_SIZE, "%s.%03uZ", stamp, (unsigned)(unix_ms % 1000));
    TPW_ASSERT(length > 0 && length < TPW_CLOCK_UTC_TEXT_SIZE);
    return (size_t)length;
}

/* `count` digits at `text` as a number; false when one is not a digit. */
static bool digits_value(const char *text, size_t count, unsigned *out)
{
    unsigned value = 0;
    for (size_t index = 0; index < count; index++) {
        if (text[index] < '0' || text[index] > '9') {
            return false;
        }
        value = value * 10 + (unsigned)(text[index] - '0');
    }
    *out = value;
    return true;
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar (year ≥ 1970):
 * years counted from March, so the leap day ends one, in 400-year eras of 146097 days. */
static int64_t days_from_civil(unsigned year, unsigned month, unsigned day)
{
    int64_t march_year = (int64_t)year - (month <= 2 ? 1 : 0);
    int64_t era = march_year / 400;
    int64_t year_of_era = march_year - era * 400;
    int64_t march_month = month > 2 ? (int64_t)month - 3 : (int64_t)month + 9;
    int64_t day_of_year = (153 * march_month + 2) / 5 + (int64_t)day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

static unsigned month_days(unsigned year, unsigned month)
{
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days[month - 1] + (month == 2 && leap ? 1u : 0u);
}

/* Nanoseconds of ".d…" (1 to 9 digits). */
static bool fraction_ns(const char *text, size_t text_len, uint64_t *out)
{
    unsigned digits = 0;
    if (text_len < 2 || text_len > 10 || text[0] != '.' ||
        !digits_value(text + 1, text_len - 1, &digits)) {
        return false;
    }
    uint64_t ns = digits;
    for (size_t missing = text_len - 1; missing < 9; missing++) {
        ns *= 10;
    }
    *out = ns;
    return true;
}

bool tpw_clock_parse_utc(const char *text, size_t text_len, uint64_t *out_ns)
{
    static const char layout[] = "dddd-dd-ddTdd:dd:dd"; /* d: a digit */
    size_t fixed_len = sizeof(layout) - 1;
    if (text_len < fixed_len + 1 || text[text_len - 1] != 'Z') {
        return false;
    }
    for (size_t index = 0; index < fixed_len; index++) {
        bool digit = text[index] >= '0' && text[index] <= '9';
        if (layout[index] == 'd' ? !digit : text[index] != layout[index]) {
            return false;
        }
    }
    unsigned parts[6] = {0, 0, 0, 0, 0, 0}; /* year, month, day, hour, minute, second */
    static const size_t at[6] = {0, 5, 8, 11, 14, 17};
    for (size_t index = 0; index < 6; index++) {
        (void)digits_value(text + at[index], index == 0 ? 4 : 2, &parts[index]);
    }
    if (parts[0] < 1970 || parts[0] > 2261 || parts[1] < 1 || parts[1] > 12 || parts[2] < 1 ||
        parts[2] > month_days(parts[0], parts[1]) || parts[3] > 23 || parts[4] > 59 ||
        parts[5] > 59) {
        return false;
    }
    uint64_t ns = 0;
    size_t rest_len = text_len - fixed_len - 1;
    if (rest_len > 0 && !fraction_ns(text + fixed_len, rest_len, &ns)) {
        return false;
    }
    int64_t seconds = days_from_civil(parts[0], parts[1], parts[2]) * 86400 +
                      (int64_t)parts[3] * 3600 + (int64_t)parts[4] * 60 + (int64_t)parts[5];
    TPW_ASSERT(seconds >= 0 && seconds < INT64_MAX / 1000000000); /* checked: ≤ 2261 */
    *out_ns = (uint64_t)seconds * UINT64_C(1000000000) + ns;
    return true;
}
