/*
 * EWMA volatility (RiskMetrics 1996; Hull, Risk Management and Financial Institutions
 * §5): σ²_n = λσ²_{n−1} + (1 − λ)u²_{n−1}, λ = 0.94 for daily data. The recursion has no
 * mean: RiskMetrics assumes zero-mean daily returns. Seeded with the first squared
 * return, so the estimate is defined from the second return on.
 */
#include <math.h>

#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

double portfolio_ewma_variance_next(double lambda, double variance_prev, double return_prev)
{
    TPW_ASSERT(lambda > 0.0 && lambda < 1.0);
    return lambda * variance_prev + (1.0 - lambda) * return_prev * return_prev;
}

enum tpw_err portfolio_ewma_variance(const double *returns, size_t returns_count, double lambda,
                                     double *variance, struct tpw_error_detail *detail)
{
    if (!(lambda > 0.0 && lambda < 1.0)) {
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                             "the EWMA decay must be between 0 and 1, not %g", lambda);
    }
    if (returns_count < 2) {
        return tpw_error_set(detail, TPW_ERR_OPT_TOO_FEW_RETURNS, 0,
                             "EWMA needs at least 2 returns, not %zu", returns_count);
    }
    for (size_t t = 0; t < returns_count; t++) {
        if (!isfinite(returns[t])) {
            return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                                 "return %zu is not a finite number", t + 1);
        }
    }
    double v = returns[0] * returns[0];
    for (size_t t = 1; t < returns_count; t++) {
        v = portfolio_ewma_variance_next(lambda, v, returns[t]);
    }
    TPW_ASSERT(v >= 0.0);
    *variance = v;
    return TPW_OK;
}
