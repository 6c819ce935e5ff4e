/*
 * Order-flow anomaly detection: EWMA mean and variance per series, a z-score for each
 * new sample against the history before it, a warm-up before anything is flagged.
 *
 * Why here and not in src/market: a z-score needs a variance and a square root, and it
 * is a statistic compared with a threshold, never an amount, so it belongs with the
 * other double-precision analytics; the market module stays exact and feeds it the
 * per-interval numbers it measures. Determinism still holds: no clock is read (every
 * sample carries the caller's timestamp), and IEEE-754 doubles give the same result
 * for the same operations in the same order (the build uses no -ffast-math).
 */
#include <math.h>
#include <string.h>

#include "quant_int.h"
#include "tpw_assert.h"

#include "banned.h"

static const char *const series_names[QUANT_SERIES_COUNT] = {
#define QUANT_X_NAME(name, json) json,
    QUANT_SERIES_TABLE(QUANT_X_NAME)
#undef QUANT_X_NAME
};

const char *quant_series_name(enum quant_series series)
{
    return (unsigned)series < QUANT_SERIES_COUNT ? series_names[series] : "unknown";
}

static bool config_valid(const struct quant_ewma_config *config)
{
    return isfinite(config->alpha) && config->alpha > 0.0 && config->alpha <= 1.0 &&
           config->warmup_count >= 1 && isfinite(config->z_threshold) &&
           config->z_threshold > 0.0 && isfinite(config->min_stddev) &&
           config->min_stddev >= QUANT_STDDEV_FLOOR_MIN;
}

enum tpw_err quant_ewma_init(struct quant_ewma *ewma, const struct quant_ewma_config *config)
{
    if (!config_valid(config)) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    memset(ewma, 0, sizeof(*ewma));
    ewma->config = *config;
    ewma->last_timestamp_us = INT64_MIN;
    return TPW_OK;
}

/* The score of `value` against the history; the detector is not changed. */
static struct quant_ewma_score ewma_score(const struct quant_ewma *ewma, int64_t timestamp_us,
                                          double value)
{
    struct quant_ewma_score score = {timestamp_us, value, 0.0, false, false};
    if (ewma->samples_count == 0) {
        return score;
    }
    double stddev = sqrt(ewma->variance);
    double scale = stddev > ewma->config.min_stddev ? stddev : ewma->config.min_stddev;
    score.z = (value - ewma->mean) / scale;
    score.warm = ewma->samples_count >= ewma->config.warmup_count;
    score.flagged = score.warm && fabs(score.z) >= ewma->config.z_threshold;
    return score;
}

/*
 * Folds `value` in (West's incremental form, which never makes the variance negative).
 * With |value| ≤ QUANT_SAMPLE_ABS_MAX the deviation squared stays below 4e200 and
 * z below 2e200 / QUANT_STDDEV_FLOOR_MIN: nothing here can overflow.
 */
static void ewma_fold(struct quant_ewma *ewma, int64_t timestamp_us, double value)
{
    if (ewma->samples_count == 0) {
        ewma->mean = value;
        ewma->variance = 0.0;
    } else {
        double alpha = ewma->config.alpha;
        double deviation = value - ewma->mean;
        ewma->mean += alpha * deviation;
        ewma->variance = (1.0 - alpha) * (ewma->variance + alpha * deviation * deviation);
    }
    TPW_ASSERT(ewma->variance >= 0.0);
    ewma->samples_count++;
    ewma->last_timestamp_us = timestamp_us;
}

/* The checks of one sample, so a refused one changes nothing. */
static bool sample_valid(const struct quant_ewma *ewma, int64_t timestamp_us, double value)
{
    return isfinite(value) && fabs(value) <= QUANT_SAMPLE_ABS_MAX &&
           timestamp_us >= ewma->last_timestamp_us;
}

enum tpw_err quant_ewma_update(struct quant_ewma *ewma, int64_t timestamp_us, double value,
                               struct quant_ewma_score *out)
{
    if (!sample_valid(ewma, timestamp_us, value)) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    struct quant_ewma_score score = ewma_score(ewma, timestamp_us, value);
    TPW_ASSERT(isfinite(score.z));
    ewma_fold(ewma, timestamp_us, value);
    TPW_ASSERT(isfinite(ewma->mean) && isfinite(ewma->variance));
    *out = score;
    return TPW_OK;
}

enum tpw_err quant_anomaly_init(struct quant_anomaly_detector *detector,
                                const struct quant_ewma_config configs[QUANT_SERIES_COUNT])
{
    memset(detector, 0, sizeof(*detector));
    for (size_t series = 0; series < QUANT_SERIES_COUNT; series++) {
        enum tpw_err err = quant_ewma_init(&detector->series[series], &configs[series]);
        if (err != TPW_OK) {
            return err;
        }
    }
    return TPW_OK;
}

/* The interval's value of each series; false when one of them cannot be scored. */
static bool interval_values(const struct quant_anomaly_detector *detector,
                            const struct quant_interval *interval,
                            double values[QUANT_SERIES_COUNT])
{
    if (!isfinite(interval->mid) || !(interval->mid > 0.0)) {
        return false;
    }
    values[QUANT_SERIES_ORDER_FLOW_IMBALANCE] = interval->order_flow_imbalance;
    values[QUANT_SERIES_SPREAD_BPS] = interval->spread_bps;
    values[QUANT_SERIES_TRADES] = interval->trades_count;
    values[QUANT_SERIES_MID_RETURN_BPS] =
        detector->has_mid ? (interval->mid - detector->last_mid) / detector->last_mid * 1e4 : 0.0;
    for (size_t series = 0; series < QUANT_SERIES_COUNT; series++) {
        if (!sample_valid(&detector->series[series], interval->timestamp_us, values[series])) {
            return false;
        }
    }
    return true;
}

enum tpw_err quant_anomaly_update(struct quant_anomaly_detector *detector,
                                  const struct quant_interval *interval,
                                  struct quant_anomaly_report *out)
{
    double values[QUANT_SERIES_COUNT];
    if (!interval_values(detector, interval, values)) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    struct quant_anomaly_report report = {.flagged_count = 0};
    for (size_t series = 0; series < QUANT_SERIES_COUNT; series++) {
        struct quant_ewma_score *score = &report.scores[series];
        if (series == QUANT_SERIES_MID_RETURN_BPS && !detector->has_mid) {
            *score = (struct quant_ewma_score){interval->timestamp_us, 0.0, 0.0, false, false};
            continue;
        }
        /* Checked above, so the update cannot fail. */
        enum tpw_err err = quant_ewma_update(&detector->series[series], interval->timestamp_us,
                                             values[series], score);
        TPW_ASSERT(err == TPW_OK);
        report.flagged_count += score->flagged ? 1u : 0u;
    }
    detector->last_mid = interval->mid;
    detector->has_mid = true;
    *out = report;
    return TPW_OK;
}
