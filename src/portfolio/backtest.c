/*
 * The reference calendar/threshold backtest of issue 7, item 5, exactly as specified so
 * that its numbers compare with published rebalancing studies (docs/portfolio.md gives
 * the semantics and the formulas): series inner-joined on date, bought at target at the
 * first common close, values moving close to close, a look at the last common row of
 * each calendar period, a trade back to target when the largest drift reaches the
 * threshold, costs deducted pro rata. Doubles throughout: these are statistics. The
 * loops run in a fixed order, so a run is deterministic.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "join.h"
#include "portfolio_limits.h"
#include "targets.h"
#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

#define DAYS_PER_YEAR 365.25
#define BPS_PER_UNIT 10000.0

static enum tpw_err check_assets(const struct portfolio_backtest_config *config,
                                 struct tpw_error_detail *detail)
{
    if (config->assets_count > PORTFOLIO_ASSETS_MAX) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_TOO_MANY_ASSETS, 0, "%zu assets; at most %d",
                             config->assets_count, PORTFOLIO_ASSETS_MAX);
    }
    uint64_t sum_e18 = 0;
    size_t priced = 0;
    for (size_t index = 0; index < config->assets_count; index++) {
        const struct portfolio_asset *asset = &config->assets[index];
        for (size_t other = 0; other < index; other++) {
            if (strcmp(config->assets[other].symbol, asset->symbol) == 0) {
                return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ASSET_DUPLICATE, 0,
                                     "asset '%s' is named twice", asset->symbol);
            }
        }
        if (asset->weight_e18 > PORTFOLIO_WEIGHT_ONE_E18) {
            return tpw_error_set(detail, TPW_ERR_PORTFOLIO_WEIGHT_INVALID, 0,
                                 "the weight of '%s' is above 1", asset->symbol);
        }
        sum_e18 += asset->weight_e18; /* ≤ 16 × 10^18 < 2^64 */
        priced += asset->series != NULL ? 1 : 0;
        TPW_ASSERT(asset->series == NULL || asset->series->prices_count > 0);
    }
    if (priced == 0) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ASSET_NO_PRICES, 0,
                             "no asset has prices (the cash asset alone is not a backtest)");
    }
    return portfolio_weights_sum_check(sum_e18, detail);
}

static enum tpw_err check_config(const struct portfolio_backtest_config *config,
                                 struct tpw_error_detail *detail)
{
    if (!(config->threshold >= 0.0 && config->threshold <= 1.0)) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                             "the threshold must be from 0 to 1");
    }
    if (!(config->cost_bps >= 0.0 && config->cost_bps <= PORTFOLIO_COST_BPS_MAX)) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                             "the cost must be from 0 to 1000 basis points");
    }
    if (config->periods_per_year < 1 || config->periods_per_year > PORTFOLIO_PERIODS_PER_YEAR_MAX) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                             "periods per year must be from 1 to 366");
    }
    if ((unsigned)config->targets > (unsigned)PORTFOLIO_TARGETS_RISK_PARITY ||
        !(config->ewma_lambda >= 0.0 && config->ewma_lambda < 1.0)) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                             "unknown targets, or an EWMA lambda outside (0, 1)");
    }
    if ((unsigned)config->check > (unsigned)PORTFOLIO_CHECK_NEVER) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_CHECK_UNKNOWN, 0, "unknown check");
    }
    return check_assets(config, detail);
}

/* The state of the simulated portfolio: units of each asset held. */
struct holdings {
    double units[PORTFOLIO_ASSETS_MAX];
    double targets[PORTFOLIO_ASSETS_MAX];
    double turnover_sum;
    double cost_fraction_sum;
    size_t rebalances_count;
};

/* A row is a monitoring date when it is the last common row of its calendar period;
 * the first row is not (the portfolio was bought at target there), and `never` has none. */
static bool monitoring_date(const struct portfolio_backtest_config *config,
                            const struct joined *joined, size_t row)
{
    if (config->check == PORTFOLIO_CHECK_NEVER || row == 0) {
        return false;
    }
    return row + 1 == joined->rows_count ||
           portfolio_period_key(config->check, joined->days[row]) !=
               portfolio_period_key(config->check, joined->days[row + 1]);
}

/* At a monitoring date: move the targets if they are volatility-adjusted, then trade
 * back to them when the largest drift reaches the threshold, paying cost_bps of the
 * traded value out of every holding pro rata. Returns the value after the cost. */
static double maybe_rebalance(const struct portfolio_backtest_config *config,
                              const struct vol_targets *vol, struct holdings *holdings,
                              const double *closes, double value)
{
    (void)vol_targets_update(vol, holdings->targets); /* FIXED: the targets stand */
    size_t assets = config->assets_count;
    double drift_max = 0.0;
    double traded = 0.0;
    for (size_t asset = 0; asset < assets; asset++) {
        double held = holdings->units[asset] * closes[asset];
        double drift = fabs(held / value - holdings->targets[asset]);
        drift_max = drift > drift_max ? drift : drift_max;
        traded += fabs(holdings->targets[asset] * value - held);
    }
    if (drift_max < config->threshold) {
        return value;
    }
    double cost = config->cost_bps / BPS_PER_UNIT * traded;
    double after = value - cost;
    for (size_t asset = 0; asset < assets; asset++) {
        holdings->units[asset] = holdings->targets[asset] * after / closes[asset];
    }
    holdings->turnover_sum += 0.5 * traded / value; /* ½ Σ |Δw| */
    holdings->cost_fraction_sum += cost / value;
    holdings->rebalances_count++;
    return after;
}

/* Runs the policy over the joined rows, filling joined->values and the weight means. */
static void simulate(const struct portfolio_backtest_config *config, struct joined *joined,
                     struct holdings *holdings, double average_weights[])
{
    size_t assets = config->assets_count;
    for (size_t asset = 0; asset < assets; asset++) {
        holdings->targets[asset] =
            (double)config->assets[asset].weight_e18 / (double)PORTFOLIO_WEIGHT_ONE_E18;
        holdings->units[asset] = holdings->targets[asset] / joined->closes[asset];
        average_weights[asset] = 0.0;
    }
    struct vol_targets vol;
    vol_targets_init(&vol, config);
    for (size_t row = 0; row < joined->rows_count; row++) {
        const double *closes = &joined->closes[row * assets];
        if (row > 0) {
            vol_targets_observe(&vol, closes - assets, closes);
        }
        double value = 0.0;
        for (size_t asset = 0; asset < assets; asset++) {
            value += holdings->units[asset] * closes[asset];
        }
        if (monitoring_date(config, joined, row)) {
            value = maybe_rebalance(config, &vol, holdings, closes, value);
        }
        TPW_ASSERT(value > 0.0);
        joined->values[row] = value;
        for (size_t asset = 0; asset < assets; asset++) {
            average_weights[asset] += holdings->units[asset] * closes[asset] / value;
        }
    }
    for (size_t asset = 0; asset < assets; asset++) {
        average_weights[asset] /= (double)joined->rows_count;
    }
}

/* Daily statistics of the value path: returns are row to row (missing days make one
 * longer return, as in the published studies that use trading-day data). */
static void fill_metrics(const struct portfolio_backtest_config *config,
                         const struct joined *joined, const struct holdings *holdings,
                         struct portfolio_backtest_result *out)
{
    size_t rows = joined->rows_count;
    const double *values = joined->values;
    size_t returns_count = rows - 1;
    double sum = 0.0;
    double peak = values[0];
    out->max_drawdown = 0.0;
    for (size_t row = 1; row < rows; row++) {
        sum += values[row] / values[row - 1] - 1.0;
        peak = values[row] > peak ? values[row] : peak;
        double drawdown = 1.0 - values[row] / peak;
        out->max_drawdown = drawdown > out->max_drawdown ? drawdown : out->max_drawdown;
    }
    double mean = sum / (double)returns_count;
    double squares = 0.0;
    double downside_squares = 0.0;
    for (size_t row = 1; row < rows; row++) {
        double r = values[row] / values[row - 1] - 1.0;
        squares += (r - mean) * (r - mean);
        downside_squares += r < 0.0 ? r * r : 0.0;
    }
    double root_periods = sqrt((double)config->periods_per_year);
    double deviation =
        returns_count > 1 ? sqrt(squares / (double)(returns_count - 1)) : (double)NAN;
    double downside = sqrt(downside_squares / (double)returns_count);
    out->volatility = deviation * root_periods;
    out->sharpe = deviation > 0.0 ? mean / deviation * root_periods : (double)NAN;
    out->sortino = downside > 0.0 ? mean / downside * root_periods : (double)NAN;
    out->first_day = joined->days[0];
    out->last_day = joined->days[rows - 1];
    out->days_count = rows;
    out->years = (double)(out->last_day - out->first_day) / DAYS_PER_YEAR;
    out->final_value = values[rows - 1];
    out->cagr = pow(values[rows - 1] / values[0], 1.0 / out->years) - 1.0;
    out->rebalances_count = holdings->rebalances_count;
    out->turnover_per_year = holdings->turnover_sum / out->years;
    out->cost_per_year = holdings->cost_fraction_sum / out->years;
}

enum tpw_err portfolio_backtest_run(const struct portfolio_backtest_config *config,
                                    struct portfolio_backtest_result *out,
                                    struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    enum tpw_err err = check_config(config, detail);
    if (err != TPW_OK) {
        return err;
    }
    const struct portfolio_series *series[PORTFOLIO_ASSETS_MAX];
    for (size_t asset = 0; asset < config->assets_count; asset++) {
        series[asset] = config->assets[asset].series;
    }
    struct joined joined;
    err = join_series(series, config->assets_count, 2, &joined, detail);
    if (err == TPW_OK) {
        struct holdings holdings;
        memset(&holdings, 0, sizeof(holdings));
        simulate(config, &joined, &holdings, out->average_weights);
        fill_metrics(config, &joined, &holdings, out);
        TPW_ASSERT(out->years > 0.0);
    }
    joined_deinit(&joined);
    return err;
}
