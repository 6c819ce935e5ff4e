/*
 * Windowed trade statistics: traded volume (base and quote notional), trade counts, the
 * taker buy/sell split, the trade rate and the VWAP over sliding windows, exact.
 *
 * Each window is a ring of buckets with a running total: a trade is added to the newest
 * bucket and to the total (O(1)); time moving on subtracts each bucket that falls out
 * and clears it (at most the ring's size however far time jumps), so memory is fixed at
 * init and nothing is ever recounted. Sums are 128-bit and checked before anything is
 * changed, so a refused trade leaves every window as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "market_int.h"
#include "tpw_assert.h"
#include "tpwallet/money.h"

#include "banned.h"

/* 10^MARKET_RATE_EXPONENT × 10^6: trades per window microsecond to per second. */
#define RATE_SCALE ((tpw_u128)1000000000000ull)
_Static_assert(MARKET_RATE_EXPONENT == 6, "RATE_SCALE is 10^(MARKET_RATE_EXPONENT + 6)");

static bool window_config_valid(const struct market_trade_window_config *config)
{
    return config->window_us > 0 && config->buckets_count >= 1 &&
           config->buckets_count <= MARKET_TRADE_BUCKETS_MAX &&
           config->window_us % (int64_t)config->buckets_count == 0;
}

enum tpw_err market_trade_stats_init(struct market_trade_stats *stats,
                                     const struct market_trade_window_config *windows,
                                     size_t windows_count, unsigned price_exponent,
                                     unsigned qty_exponent)
{
    memset(stats, 0, sizeof(*stats));
    if (windows_count == 0 || windows_count > MARKET_TRADE_WINDOWS_MAX ||
        price_exponent > MARKET_EXPONENT_MAX || qty_exponent > MARKET_EXPONENT_MAX) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    for (size_t index = 0; index < windows_count; index++) {
        if (!window_config_valid(&windows[index])) {
            return TPW_ERR_INVALID_ARGUMENT;
        }
    }
    stats->price_exponent = price_exponent;
    stats->qty_exponent = qty_exponent;
    for (size_t index = 0; index < windows_count; index++) {
        struct market__trade_ring *ring = &stats->windows[index];
        ring->config = windows[index];
        ring->bucket_us = windows[index].window_us / (int64_t)windows[index].buckets_count;
        ring->buckets = calloc(windows[index].buckets_count, sizeof(ring->buckets[0]));
        if (ring->buckets == NULL) {
            market_trade_stats_deinit(stats);
            return TPW_ERR_NOMEM;
        }
        stats->windows_count = index + 1;
    }
    return TPW_OK;
}

void market_trade_stats_deinit(struct market_trade_stats *stats)
{
    for (size_t index = 0; index < stats->windows_count; index++) {
        free(stats->windows[index].buckets);
        stats->windows[index].buckets = NULL;
    }
    stats->windows_count = 0;
}

/* ⌊time / bucket⌋, also for times before 1970. */
static int64_t bucket_number(int64_t time_us, int64_t bucket_us)
{
    int64_t quotient = time_us / bucket_us;
    return time_us % bucket_us < 0 ? quotient - 1 : quotient;
}

static size_t ring_slot(const struct market__trade_ring *ring, int64_t number)
{
    int64_t count = (int64_t)ring->config.buckets_count;
    int64_t slot = number % count;
    return (size_t)(slot < 0 ? slot + count : slot);
}

/* Subtracts `bucket` from `totals`: the bucket's sums are part of the totals. */
static void totals_remove(struct market_trade_totals *totals,
                          const struct market_trade_totals *bucket)
{
    TPW_ASSERT(totals->buy_trades_count >= bucket->buy_trades_count);
    TPW_ASSERT(totals->sell_trades_count >= bucket->sell_trades_count);
    TPW_ASSERT(totals->buy_base_minor >= bucket->buy_base_minor);
    TPW_ASSERT(totals->sell_base_minor >= bucket->sell_base_minor);
    TPW_ASSERT(totals->buy_quote_minor >= bucket->buy_quote_minor);
    TPW_ASSERT(totals->sell_quote_minor >= bucket->sell_quote_minor);
    totals->buy_trades_count -= bucket->buy_trades_count;
    totals->sell_trades_count -= bucket->sell_trades_count;
    totals->buy_base_minor -= bucket->buy_base_minor;
    totals->sell_base_minor -= bucket->sell_base_minor;
    totals->buy_quote_minor -= bucket->buy_quote_minor;
    totals->sell_quote_minor -= bucket->sell_quote_minor;
}

/* Moves one ring to the bucket `number`, expiring what fell out of the window. */
static void ring_advance(struct market__trade_ring *ring, int64_t number)
{
    if (number <= ring->newest_index) {
        return;
    }
    uint64_t steps = (uint64_t)number - (uint64_t)ring->newest_index;
    if (steps >= ring->config.buckets_count) {
        /* Everything fell out: clearing beats subtracting every bucket. */
        memset(ring->buckets, 0, ring->config.buckets_count * sizeof(ring->buckets[0]));
        memset(&ring->totals, 0, sizeof(ring->totals));
    } else {
        for (int64_t next = ring->newest_index + 1; next <= number; next++) {
            struct market_trade_totals *bucket = &ring->buckets[ring_slot(ring, next)];
            totals_remove(&ring->totals, bucket);
            memset(bucket, 0, sizeof(*bucket));
        }
    }
    ring->newest_index = number;
}

void market_trade_stats_advance(struct market_trade_stats *stats, int64_t now_us)
{
    if (stats->started && now_us <= stats->now_us) {
        return;
    }
    for (size_t index = 0; index < stats->windows_count; index++) {
        struct market__trade_ring *ring = &stats->windows[index];
        int64_t number = bucket_number(now_us, ring->bucket_us);
        if (!stats->started) {
            ring->newest_index = number; /* the first time seen: an empty window there */
        }
        ring_advance(ring, number);
    }
    stats->started = true;
    stats->now_us = now_us;
}

/* True when adding the trade keeps every sum below 2^128 (buy + sell as well). */
static bool trade_fits(const struct market_trade_stats *stats, tpw_u128 qty, tpw_u128 notional)
{
    for (size_t index = 0; index < stats->windows_count; index++) {
        const struct market_trade_totals *totals = &stats->windows[index].totals;
        tpw_u128 base = 0;
        tpw_u128 quote = 0;
        if (__builtin_add_overflow(totals->buy_base_minor, totals->sell_base_minor, &base) ||
            __builtin_add_overflow(base, qty, &base) ||
            __builtin_add_overflow(totals->buy_quote_minor, totals->sell_quote_minor, &quote) ||
            __builtin_add_overflow(quote, notional, &quote)) {
            return false;
        }
    }
    return true;
}

static void totals_add(struct market_trade_totals *totals, bool buy, tpw_u128 qty,
                       tpw_u128 notional)
{
    if (buy) {
        totals->buy_trades_count++;
        totals->buy_base_minor += qty;
        totals->buy_quote_minor += notional;
    } else {
        totals->sell_trades_count++;
        totals->sell_base_minor += qty;
        totals->sell_quote_minor += notional;
    }
}

enum tpw_err market_trade_stats_add(struct market_trade_stats *stats, int64_t at_us,
                                    enum market_taker aggressor, uint64_t price_minor,
                                    uint64_t qty_minor)
{
    if (qty_minor == 0 || (aggressor != MARKET_TAKER_BUY && aggressor != MARKET_TAKER_SELL)) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    tpw_u128 notional = (tpw_u128)price_minor * qty_minor; /* below 2^128: both below 2^64 */
    if (!trade_fits(stats, qty_minor, notional)) {
        return TPW_ERR_OVERFLOW;
    }
    if (stats->started && at_us < stats->now_us) {
        stats->late_count++; /* a receive time that went back: counted now, not lost */
    }
    market_trade_stats_advance(stats, at_us);
    bool buy = aggressor == MARKET_TAKER_BUY;
    for (size_t index = 0; index < stats->windows_count; index++) {
        struct market__trade_ring *ring = &stats->windows[index];
        totals_add(&ring->buckets[ring_slot(ring, ring->newest_index)], buy, qty_minor, notional);
        totals_add(&ring->totals, buy, qty_minor, notional);
    }
    stats->trades_count++;
    return TPW_OK;
}

static struct market_decimal decimal_of(tpw_u128 units, unsigned exponent)
{
    struct market_decimal value = {units, exponent, false};
    return value;
}

void market_trade_stats_window(const struct market_trade_stats *stats, size_t window_index,
                               struct market_trade_window *out)
{
    TPW_ASSERT(window_index < stats->windows_count);
    const struct market__trade_ring *ring = &stats->windows[window_index];
    const struct market_trade_totals *totals = &ring->totals;
    memset(out, 0, sizeof(*out));
    out->window_us = ring->config.window_us;
    out->totals = *totals;
    out->trades_count = totals->buy_trades_count + totals->sell_trades_count;
    /* trade_fits() kept buy + sell below 2^128. */
    tpw_u128 base = totals->buy_base_minor + totals->sell_base_minor;
    tpw_u128 quote = totals->buy_quote_minor + totals->sell_quote_minor;
    unsigned notional_exponent = stats->price_exponent + stats->qty_exponent;
    out->volume_base = decimal_of(base, stats->qty_exponent);
    out->volume_quote = decimal_of(quote, notional_exponent);
    out->buy_volume_base = decimal_of(totals->buy_base_minor, stats->qty_exponent);
    out->sell_volume_base = decimal_of(totals->sell_base_minor, stats->qty_exponent);
    tpw_u128 rate = 0;
    enum tpw_err err = money_muldiv(out->trades_count, RATE_SCALE, (tpw_u128)ring->config.window_us,
                                    MONEY_ROUND_HALF_UP, &rate);
    TPW_ASSERT(err == TPW_OK); /* below 2^64 × 10^12 / 1 */
    out->rate_per_s = decimal_of(rate, MARKET_RATE_EXPONENT);
    tpw_u128 vwap = 0;
    /* quote / base is the price at price_exponent: (p·q at pe+qe) / (q at qe). */
    out->has_vwap = base > 0 && money_muldiv(quote, 1, base, MONEY_ROUND_HALF_UP, &vwap) == TPW_OK;
    out->vwap = decimal_of(vwap, stats->price_exponent);
}
