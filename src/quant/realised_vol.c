/*
 * Realised volatility: an exponentially weighted moving average of squared log returns
 * (RiskMetrics), sampled once a period from prices the caller measured exactly.
 *
 * Why here: a log and a square root make it a double-precision statistic, like the
 * z-scores beside it; the market module keeps prices exact and hands over one price a
 * period. The prices may be in any unit as long as it is the same each time — a return
 * is a ratio — so the market monitor passes a book's integer minor units as they are.
 * No clock is read: every sample carries the caller's timestamp.
 */
#include <math.h>
#include <string.h>

#include "quant_int.h"
#include "tpw_assert.h"

#include "banned.h"

static bool vol_config_valid(const struct quant_realised_vol_config *config)
{
    return isfinite(config->lambda) && config->lambda > 0.0 && config->lambda < 1.0 &&
           isfinite(config->periods_per_year) && config->periods_per_year > 0.0;
}

enum tpw_err quant_realised_vol_init(struct quant_realised_vol *vol,
                                     const struct quant_realised_vol_config *config)
{
    if (!vol_config_valid(config)) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    memset(vol, 0, sizeof(*vol));
    vol->config = *config;
    vol->last_timestamp_us = INT64_MIN;
    return TPW_OK;
}

/* The estimate now, in *out. */
static void vol_read(const struct quant_realised_vol *vol, double log_return,
                     struct quant_realised_vol_value *out)
{
    out->log_return = log_return;
    out->variance = vol->variance;
    out->vol_per_period = sqrt(vol->variance);
    out->vol_annualised = out->vol_per_period * sqrt(vol->config.periods_per_year);
    out->returns_count = vol->returns_count;
}

enum tpw_err quant_realised_vol_update(struct quant_realised_vol *vol, int64_t timestamp_us,
                                       double price, struct quant_realised_vol_value *out)
{
    if (!isfinite(price) || !(price > 0.0) || price > QUANT_SAMPLE_ABS_MAX ||
        price < 1.0 / QUANT_SAMPLE_ABS_MAX || timestamp_us < vol->last_timestamp_us) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    double log_return = 0.0;
    if (vol->has_price) {
        /* Both prices are within 1e±100, so the return is within ±461: r² is finite. */
        log_return = log(price / vol->last_price);
        double square = log_return * log_return;
        vol->variance = vol->returns_count == 0 ? square
                                                : vol->config.lambda * vol->variance +
                                                      (1.0 - vol->config.lambda) * square;
        vol->returns_count++;
    }
    TPW_ASSERT(isfinite(vol->variance) && vol->variance >= 0.0);
    vol->last_price = price;
    vol->has_price = true;
    vol->last_timestamp_us = timestamp_us;
    vol_read(vol, log_return, out);
    return TPW_OK;
}
