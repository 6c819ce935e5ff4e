/*
 * Internals of the monitor (library tpw_market_monitor), shared by its files only:
 *   monitor.c           lifecycle, the feed observer, each feed's clock and intervals;
 *   monitor_interval.c  one instrument's interval close: measures, the quant module's
 *                       detectors and realised volatility, observations to the rules.
 * These are the market module's only files that use the quant module and doubles
 * (tools/tidy exempts src/market/monitor*): the doubles are z-scores and volatility,
 * made from exact measures and turned back into decimals, rounded once, half-up.
 */
#ifndef MARKET_MONITOR_H
#define MARKET_MONITOR_H

#include "market_int.h"
#include "measures.h"
#include "tpwallet/quant.h"

struct market_monitor;

/* A feed the monitor observes, with its own clock (feeds replay apart in time). */
struct market__watched_feed {
    struct market_monitor *monitor;
    market_feed *feed;
    bool started;            /* a stream message was seen */
    int64_t now_us;          /* its latest receive time */
    int64_t interval_number; /* ⌊now / interval⌋: the interval being measured */
    int64_t last_message_us; /* the latest message's receive time, for the feed's age */
};

/* One instrument: its windows, the interval being measured, its detectors. Fields in
 * the order that leaves the least padding (16-byte members first, flags last). */
struct market__instrument {
    /* The interval being measured. */
    market__i128 interval_flow_minor; /* taker buy − sell quantity */
    market__i128 interval_ofi_minor;
    tpw_u128 last_mid_sum; /* bid + ask at the last interval end with a usable book */
    struct market_monitor_measure measures[MARKET_METRICS_SCORED_COUNT];
    struct market_trade_stats stats;
    struct market__watched_feed *watched;
    const struct market_book *book; /* the feed's: books live as long as their feed */
    size_t book_index;              /* in the feed, for its status */
    uint64_t interval_trades_count;
    uint64_t interval_last_price_minor;
    uint64_t last_price_minor;
    uint64_t trades_count;
    uint64_t intervals_count;
    struct market__top top; /* the top of book before the next change, for the OFI */
    struct quant_realised_vol_value vol_value;
    struct quant_realised_vol vol;
    struct quant_ewma detectors[MARKET_METRICS_SCORED_COUNT];
    bool interval_has_price;
    bool has_mid_sum;
    bool has_last_price;
    bool has_vol;
};

struct market_monitor {
    struct market_monitor_config config;
    market_alerter *alerter; /* NULL without rules */
    market_observation_fn *on_observation;
    void *user;
    struct market__watched_feed feeds[MARKET_MONITOR_FEEDS_MAX];
    size_t feeds_count;
    struct market__instrument *instruments[MARKET_MONITOR_INSTRUMENTS_MAX];
    size_t instruments_count;
    struct market_monitor_stats stats;
};

/* Hands an observation to the rules and the caller. */
void market__monitor_observe(struct market_monitor *monitor,
                             const struct market_observation *observation);

/* Sets up an instrument's detectors and realised volatility (monitor_interval.c). */
TPW_MUST_CHECK enum tpw_err
market__instrument_detectors_init(struct market__instrument *instrument,
                                  const struct market_monitor_config *config);

/* Closes the instrument's interval ending at `end_us`: measures, scores, observations. */
void market__instrument_close(struct market_monitor *monitor, struct market__instrument *instrument,
                              int64_t end_us);

#endif /* MARKET_MONITOR_H */
