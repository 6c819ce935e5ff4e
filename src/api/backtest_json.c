/*
 * A backtest's metrics as JSON (api_json.h), the one form `tpwallet backtest --json` and
 * POST /v1/backtests print: statistics are doubles (not money), JSON null where one is
 * undefined (NaN: too few returns, no spread).
 */
#include <math.h>

#include "tpwallet/api_json.h"

#include "banned.h"

static json_t *real_or_null(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

json_t *api_backtest_json(const struct portfolio_backtest_config *config,
                          const struct portfolio_backtest_result *result)
{
    char first[PORTFOLIO_DATE_TEXT_SIZE];
    char last[PORTFOLIO_DATE_TEXT_SIZE];
    json_t *weights = json_object();
    json_t *skipped = json_object();
    for (size_t index = 0; index < config->assets_count && weights != NULL && skipped != NULL;
         index++) {
        const struct portfolio_asset *asset = &config->assets[index];
        (void)json_object_set_new(weights, asset->symbol,
                                  json_real(result->average_weights[index]));
        if (asset->series != NULL) {
            (void)json_object_set_new(skipped, asset->symbol,
                                      json_integer((json_int_t)asset->series->skipped_count));
        }
    }
    return json_pack(
        "{s:s,s:s,s:I,s:f,s:s,s:s,s:f,s:f,s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o,"
        "s:o}",
        "first_date", portfolio_day_text(result->first_day, first), "last_date",
        portfolio_day_text(result->last_day, last), "days", (json_int_t)result->days_count, "years",
        result->years, "check", portfolio_check_name(config->check), "targets",
        portfolio_targets_name(config->targets), "threshold", config->threshold, "cost_bps",
        config->cost_bps, "periods_per_year", (json_int_t)config->periods_per_year, "cagr",
        real_or_null(result->cagr), "volatility", real_or_null(result->volatility), "sharpe",
        real_or_null(result->sharpe), "sortino", real_or_null(result->sortino), "max_drawdown",
        real_or_null(result->max_drawdown), "rebalances", (json_int_t)result->rebalances_count,
        "turnover_per_year", real_or_null(result->turnover_per_year), "cost_per_year",
        real_or_null(result->cost_per_year), "final_value", real_or_null(result->final_value),
        "average_weights", weights, "skipped_rows", skipped);
}
