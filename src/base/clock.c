/*
 * Clock implementations: the system real-time clock for production, a manual clock
 * for deterministic tests, a monotonic reading for measuring durations, and the
 * ISO 8601 text form of a time.
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
