/*
 * One instrument's interval close: the exact measures of the interval (trades, taker
 * flow, order-flow imbalance, spread, the mid's jump), each scored by the quant
 * module's EWMA z-score detector, the realised volatility of the mid (or last trade),
 * the trade windows, and every one of them as an observation for the rules.
 *
 * The conversions between the exact measures and the detectors' doubles are all here:
 * a measure becomes a double once, to be scored; a z-score or a volatility becomes a
 * decimal once, rounded half-up at MARKET_STAT_EXPONENT and bounded to ±10^18 so it
 * always fits. Nothing here flows back into a book or an amount.
 */
#include <math.h>
#include <string.h>

#include "monitor.h"
#include "tpw_assert.h"

#include "banned.h"

/* 10^MARKET_STAT_EXPONENT, and the largest magnitude a statistic is reported with. */
#define STAT_ONE 1e6
#define STAT_ABS_MAX 1e18
_Static_assert(MARKET_STAT_EXPONENT == 6, "STAT_ONE is 10^MARKET_STAT_EXPONENT");

/* Seconds in a 365-day year: crypto venues trade every day (for annualising). */
#define SECONDS_PER_YEAR 31536000.0

enum tpw_err market__instrument_detectors_init(struct market__instrument *instrument,
                                               const struct market_monitor_config *config)
{
    for (size_t metric = 0; metric < MARKET_METRICS_SCORED_COUNT; metric++) {
        struct quant_ewma_config ewma = {
            .alpha = (double)config->ewma_alpha_ppm / 1e6,
            .warmup_count = config->warmup_count,
            .z_threshold = 1.0, /* unused: the rules decide what is anomalous */
            .min_stddev = (double)config->min_stddev_e6[metric] / 1e6,
        };
        enum tpw_err err = quant_ewma_init(&instrument->detectors[metric], &ewma);
        if (err != TPW_OK) {
            return err;
        }
    }
    struct quant_realised_vol_config vol = {
        .lambda = (double)config->vol_lambda_ppm / 1e6,
        .periods_per_year = SECONDS_PER_YEAR * 1e6 / (double)config->interval_us,
    };
    return quant_realised_vol_init(&instrument->vol, &vol);
}

/* An exact decimal as the detector's double (its one rounding). */
static double decimal_to_double(const struct market_decimal *value)
{
    double magnitude = (double)value->units / pow(10.0, (double)value->exponent);
    return value->negative ? -magnitude : magnitude;
}

/* A statistic as a decimal at MARKET_STAT_EXPONENT, half-up (ties away from zero). */
static struct market_decimal stat_decimal(double value)
{
    TPW_ASSERT(isfinite(value));
    double magnitude = fabs(value) < STAT_ABS_MAX ? fabs(value) : STAT_ABS_MAX;
    tpw_u128 units = (tpw_u128)floor(magnitude * STAT_ONE + 0.5);
    struct market_decimal decimal = {units, MARKET_STAT_EXPONENT, value < 0 && units != 0};
    return decimal;
}

/* Usable: synced (no resync pending) with both sides. */
static bool book_usable(const struct market__instrument *instrument)
{
    struct market_book_status status;
    market_feed_book_status(instrument->watched->feed, instrument->book_index, &status);
    TPW_ASSERT(status.book == instrument->book);
    return status.synced && market_book_levels_count(instrument->book, MARKET_BID) > 0 &&
           market_book_levels_count(instrument->book, MARKET_ASK) > 0;
}

/* The interval's value of each scored metric (has_value false when it has none). */
static void interval_measure(struct market__instrument *instrument, bool usable, tpw_u128 mid_sum,
                             struct market_monitor_measure *measures)
{
    unsigned qty_exponent = instrument->book->qty_exponent;
    measures[MARKET_METRIC_TRADES].value =
        (struct market_decimal){instrument->interval_trades_count, 0, false};
    measures[MARKET_METRIC_TRADE_FLOW].value =
        market__decimal_of_i128(instrument->interval_flow_minor, qty_exponent);
    measures[MARKET_METRIC_ORDER_FLOW_IMBALANCE].value =
        market__decimal_of_i128(instrument->interval_ofi_minor, qty_exponent);
    measures[MARKET_METRIC_TRADES].has_value = true;
    measures[MARKET_METRIC_TRADE_FLOW].has_value = true;
    measures[MARKET_METRIC_ORDER_FLOW_IMBALANCE].has_value = true;
    measures[MARKET_METRIC_SPREAD_BPS].has_value =
        usable && market_book_spread_bps(instrument->book,
                                         &measures[MARKET_METRIC_SPREAD_BPS].value) == TPW_OK;
    measures[MARKET_METRIC_MID_RETURN_BPS].has_value =
        usable && instrument->has_mid_sum &&
        market__mid_return_bps(instrument->last_mid_sum, mid_sum,
                               &measures[MARKET_METRIC_MID_RETURN_BPS].value) == TPW_OK;
}

/* Scores the measures that have a value; z only once the detector is warm. */
static void interval_score(struct market__instrument *instrument, int64_t end_us,
                           struct market_monitor_measure *measures)
{
    for (size_t metric = 0; metric < MARKET_METRICS_SCORED_COUNT; metric++) {
        struct market_monitor_measure *measure = &measures[metric];
        if (!measure->has_value) {
            continue;
        }
        struct quant_ewma_score score;
        double value = decimal_to_double(&measure->value);
        /* Times only go forward and measures are far inside ±1e100: it cannot fail. */
        enum tpw_err err = quant_ewma_update(&instrument->detectors[metric], end_us, value, &score);
        TPW_ASSERT(err == TPW_OK);
        measure->has_z = score.warm;
        measure->z = stat_decimal(score.z);
    }
}

/* Folds the interval's price into the realised volatility. */
static void interval_vol(struct market__instrument *instrument,
                         const struct market_monitor_config *config, int64_t end_us, bool usable,
                         tpw_u128 mid_sum)
{
    double price = 0.0;
    if (config->vol_source == MARKET_VOL_MID && usable) {
        price = (double)mid_sum; /* twice the mid in minor units: a return is a ratio */
    } else if (config->vol_source == MARKET_VOL_TRADE && instrument->interval_has_price) {
        price = (double)instrument->interval_last_price_minor;
    }
    if (price > 0.0 && quant_realised_vol_update(&instrument->vol, end_us, price,
                                                 &instrument->vol_value) == TPW_OK) {
        instrument->has_vol = instrument->vol_value.returns_count > 0;
    }
}

static void observe(struct market_monitor *monitor, const struct market__instrument *instrument,
                    struct market_observation *observation)
{
    observation->venue = instrument->book->venue;
    observation->symbol = instrument->book->symbol;
    market__monitor_observe(monitor, observation);
}

/* The interval's observations: scored metrics, realised volatility, the windows. */
static void interval_observe(struct market_monitor *monitor,
                             const struct market__instrument *instrument, int64_t end_us)
{
    for (size_t metric = 0; metric < MARKET_METRICS_SCORED_COUNT; metric++) {
        const struct market_monitor_measure *measure = &instrument->measures[metric];
        if (measure->has_value) {
            struct market_observation observation = {.metric = (enum market_metric)metric,
                                                     .has_z = measure->has_z,
                                                     .timestamp_us = end_us,
                                                     .value = measure->value,
                                                     .z = measure->z};
            observe(monitor, instrument, &observation);
        }
    }
    if (instrument->has_vol) {
        struct market_observation observation = {
            .metric = MARKET_METRIC_REALISED_VOL_BPS,
            .timestamp_us = end_us,
            .value = stat_decimal(instrument->vol_value.vol_per_period * 1e4)};
        observe(monitor, instrument, &observation);
    }
    for (size_t index = 0; index < instrument->stats.windows_count; index++) {
        struct market_trade_window window;
        market_trade_stats_window(&instrument->stats, index, &window);
        const struct {
            enum market_metric metric;
            struct market_decimal value;
        } values[] = {{MARKET_METRIC_WINDOW_TRADES, {window.trades_count, 0, false}},
                      {MARKET_METRIC_WINDOW_RATE, window.rate_per_s},
                      {MARKET_METRIC_WINDOW_VOLUME_BASE, window.volume_base},
                      {MARKET_METRIC_WINDOW_VOLUME_QUOTE, window.volume_quote}};
        for (size_t value = 0; value < sizeof(values) / sizeof(values[0]); value++) {
            struct market_observation observation = {.metric = values[value].metric,
                                                     .timestamp_us = end_us,
                                                     .window_us = window.window_us,
                                                     .value = values[value].value};
            observe(monitor, instrument, &observation);
        }
    }
}

void market__instrument_close(struct market_monitor *monitor, struct market__instrument *instrument,
                              int64_t end_us)
{
    /* The windows as of the interval's last microsecond: a trade at end_us is the next's. */
    market_trade_stats_advance(&instrument->stats, end_us - 1);
    bool usable = book_usable(instrument);
    struct market__top top;
    market__top_read(instrument->book, &top);
    tpw_u128 mid_sum = usable ? (tpw_u128)top.bid.price_minor + top.ask.price_minor : 0;
    struct market_monitor_measure measures[MARKET_METRICS_SCORED_COUNT];
    memset(measures, 0, sizeof(measures));
    interval_measure(instrument, usable, mid_sum, measures);
    interval_score(instrument, end_us, measures);
    (void)memcpy(instrument->measures, measures, sizeof(measures));
    interval_vol(instrument, &monitor->config, end_us, usable, mid_sum);
    if (usable) {
        instrument->last_mid_sum = mid_sum;
        instrument->has_mid_sum = true;
    }
    instrument->intervals_count++;
    interval_observe(monitor, instrument, end_us);
    instrument->interval_trades_count = 0;
    instrument->interval_flow_minor = 0;
    instrument->interval_ofi_minor = 0;
    instrument->interval_has_price = false;
}

void market_monitor_instrument(const market_monitor *monitor, size_t index,
                               struct market_monitor_instrument *out)
{
    TPW_ASSERT(index < monitor->instruments_count);
    const struct market__instrument *instrument = monitor->instruments[index];
    memset(out, 0, sizeof(*out));
    out->venue = instrument->book->venue;
    out->symbol = instrument->book->symbol;
    out->price_exponent = instrument->book->price_exponent;
    out->qty_exponent = instrument->book->qty_exponent;
    out->trades_count = instrument->trades_count;
    out->intervals_count = instrument->intervals_count;
    out->windows_count = instrument->stats.windows_count;
    for (size_t window = 0; window < out->windows_count; window++) {
        market_trade_stats_window(&instrument->stats, window, &out->windows[window]);
    }
    (void)memcpy(out->measures, instrument->measures, sizeof(out->measures));
    out->vol_returns_count = instrument->vol_value.returns_count;
    out->has_vol = instrument->has_vol;
    out->vol_bps = stat_decimal(instrument->vol_value.vol_per_period * 1e4);
    out->vol_annualised_pct = stat_decimal(instrument->vol_value.vol_annualised * 100.0);
    out->has_last_price = instrument->has_last_price;
    out->last_price = (struct market_decimal){instrument->last_price_minor,
                                              instrument->book->price_exponent, false};
}
