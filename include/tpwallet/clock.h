/*
 * Time as an injected dependency.
 *
 * Nothing in tpwallet's deterministic core reads the system clock directly: it is
 * handed a `struct tpw_clock`. Production code passes tpw_clock_system(); tests and
 * the simulator pass a manual clock they advance themselves, so every run replays.
 */
#ifndef TPWALLET_CLOCK_H
#define TPWALLET_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tpw_clock {
    /* Nanoseconds since the Unix epoch (UTC). */
    uint64_t (*now_ns)(void *ctx);
    void *ctx;
};

/* The system's real-time clock (CLOCK_REALTIME). */
struct tpw_clock tpw_clock_system(void);

/* A clock that returns *now_ns, which the caller owns and advances. */
struct tpw_clock tpw_clock_manual(uint64_t *now_ns);

static inline uint64_t tpw_clock_now_ns(const struct tpw_clock *clock)
{
    return clock->now_ns(clock->ctx);
}

/* "2026-11-24T09:30:00.125Z" and the NUL, with room for years past 9999. */
#define TPW_CLOCK_UTC_TEXT_SIZE 32

/*
 * Formats Unix milliseconds as ISO 8601 UTC with milliseconds, the one timestamp form
 * tpwallet prints (logs, identifiers). Returns the length written, excluding the NUL.
 */
size_t tpw_clock_format_utc_ms(uint64_t unix_ms, char buf[TPW_CLOCK_UTC_TEXT_SIZE]);

/*
 * Parses ISO 8601 UTC, "2014-11-07T08:19:27.028459Z": a fraction of 1 to 9 digits or
 * none, then Z; years 1970..2261 (nanoseconds stay below 2^63), real month lengths and
 * leap years, seconds 00..59. The time as nanoseconds since the epoch in *out_ns; false
 * for anything else (*out_ns untouched).
 */
bool tpw_clock_parse_utc(const char *text, size_t text_len, uint64_t *out_ns /* out */);

/* Monotonic nanoseconds for measuring durations only (never stored). */
uint64_t tpw_clock_monotonic_ns(void);

#endif /* TPWALLET_CLOCK_H */
