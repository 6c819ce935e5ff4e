/*
 * Returns and their estimates, exactly as PyPortfolioOpt's defaults compute them for
 * the golden cases (docs/portfolio.md): simple returns with missing prices left
 * missing, compounded mean returns over each asset's own history, and pairwise-complete
 * sample covariance and correlation (pandas' DataFrame.cov/corr). Pairwise means every
 * pair uses all the rows where both assets have a return, so young assets (FB, BABA)
 * do not shorten the history of the old ones.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "portfolio_int.h"
#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

static bool row_all_missing(const double *row, size_t n)
{
    for (size_t asset = 0; asset < n; asset++) {
        if (!isnan(row[asset])) {
            return false;
        }
    }
    return true;
}

enum tpw_err portfolio_returns_from_panel(const struct portfolio_panel *panel,
                                          struct portfolio_returns *out,
                                          struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    size_t n = panel->assets_count;
    if (n == 0 || n > PORTFOLIO_OPT_ASSETS_MAX || panel->rows_count < 2) {
        return tpw_error_set(detail, TPW_ERR_OPT_TOO_FEW_RETURNS, 0,
                             "%zu price rows give no returns", panel->rows_count);
    }
    out->values = malloc((panel->rows_count - 1) * n * sizeof(*out->values));
    if (out->values == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    out->assets_count = n;
    for (size_t row = 1; row < panel->rows_count; row++) {
        double *r = &out->values[out->rows_count * n];
        for (size_t asset = 0; asset < n; asset++) {
            /* NAN in either price propagates: pct_change(fill_method=None). */
            r[asset] = panel->prices[row * n + asset] / panel->prices[(row - 1) * n + asset] - 1.0;
        }
        out->rows_count += row_all_missing(r, n) ? 0 : 1;
    }
    TPW_ASSERT(out->rows_count < panel->rows_count);
    return TPW_OK;
}

void portfolio_returns_deinit(struct portfolio_returns *returns)
{
    free(returns->values);
    memset(returns, 0, sizeof(*returns));
}

/* Pairwise statistics of assets i and j over the rows where both have a return. */
struct pair_stats {
    size_t count;
    double covariance; /* n − 1 denominator */
    double variance_i;
    double variance_j;
};

static struct pair_stats pair_stats(const struct portfolio_returns *returns, size_t i, size_t j)
{
    size_t n = returns->assets_count;
    struct pair_stats stats = {0, NAN, NAN, NAN};
    double sum_i = 0.0;
    double sum_j = 0.0;
    for (size_t row = 0; row < returns->rows_count; row++) {
        double a = returns->values[row * n + i];
        double b = returns->values[row * n + j];
        if (!isnan(a) && !isnan(b)) {
            stats.count++;
            sum_i += a;
            sum_j += b;
        }
    }
    if (stats.count < 2) {
        return stats;
    }
    double mean_i = sum_i / (double)stats.count;
    double mean_j = sum_j / (double)stats.count;
    double cross = 0.0;
    double square_i = 0.0;
    double square_j = 0.0;
    for (size_t row = 0; row < returns->rows_count; row++) {
        double a = returns->values[row * n + i];
        double b = returns->values[row * n + j];
        if (!isnan(a) && !isnan(b)) {
            cross += (a - mean_i) * (b - mean_j);
            square_i += (a - mean_i) * (a - mean_i);
            square_j += (b - mean_j) * (b - mean_j);
        }
    }
    double denominator = (double)(stats.count - 1);
    stats.covariance = cross / denominator;
    stats.variance_i = square_i / denominator;
    stats.variance_j = square_j / denominator;
    return stats;
}

/* (Π(1 + r))^(periods / count) − 1 over the asset's non-missing returns. */
static double compounded_mean(const struct portfolio_returns *returns, size_t asset,
                              unsigned periods_per_year, size_t *count)
{
    size_t n = returns->assets_count;
    double growth = 1.0;
    *count = 0;
    for (size_t row = 0; row < returns->rows_count; row++) {
        double r = returns->values[row * n + asset];
        if (!isnan(r)) {
            growth *= 1.0 + r;
            (*count)++;
        }
    }
    /* pow, then − 1, as pandas evaluates it: the golden tuples are that rounding. */
    return *count == 0 ? (double)NAN : pow(growth, (double)periods_per_year / (double)*count) - 1.0;
}

enum tpw_err portfolio_estimate_from_returns(const struct portfolio_returns *returns,
                                             unsigned periods_per_year,
                                             struct portfolio_estimate *out,
                                             struct tpw_error_detail *detail)
{
    size_t n = returns->assets_count;
    if (n == 0 || n > PORTFOLIO_OPT_ASSETS_MAX || periods_per_year == 0) {
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                             "%zu assets, %u periods per year", n, periods_per_year);
    }
    out->assets_count = n;
    for (size_t i = 0; i < n; i++) {
        size_t count = 0;
        out->mean_return[i] = compounded_mean(returns, i, periods_per_year, &count);
        for (size_t j = i; j < n; j++) {
            struct pair_stats stats = pair_stats(returns, i, j);
            if (stats.count < 2 || count < 2) {
                return tpw_error_set(detail, TPW_ERR_OPT_TOO_FEW_RETURNS, 0,
                                     "assets %zu and %zu share %zu returns (at least 2)", i + 1,
                                     j + 1, stats.count);
            }
            out->covariance[i * n + j] = stats.covariance * (double)periods_per_year;
            out->covariance[j * n + i] = out->covariance[i * n + j];
        }
    }
    return TPW_OK;
}

enum tpw_err portfolio_returns_correlation(const struct portfolio_returns *returns, double *corr,
                                           struct tpw_error_detail *detail)
{
    size_t n = returns->assets_count;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i; j < n; j++) {
            struct pair_stats stats = pair_stats(returns, i, j);
            double scale = sqrt(stats.variance_i * stats.variance_j);
            if (stats.count < 2 || !(scale > 0.0)) {
                return tpw_error_set(detail, TPW_ERR_OPT_TOO_FEW_RETURNS, 0,
                                     "assets %zu and %zu: no correlation from %zu returns", i + 1,
                                     j + 1, stats.count);
            }
            corr[i * n + j] = i == j ? 1.0 : stats.covariance / scale;
            corr[j * n + i] = corr[i * n + j];
        }
    }
    return TPW_OK;
}
