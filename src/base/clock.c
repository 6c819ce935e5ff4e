/*
 * Clock implementations: the system real-time clock for production, a manual clock
 * for deterministic tests, and a monotonic reading for measuring durations.
 */
#include "tpwallet/clock.h"

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
