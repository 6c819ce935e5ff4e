/*
 * Helpers shared by the optimiser and volatility suites: closeness checks that print
 * both numbers, and the PyPortfolioOpt golden inputs (tests/data/allocation) loaded once.
 */
#ifndef OPT_TEST_H
#define OPT_TEST_H

#include "tpw_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tpwallet/portfolio.h"

#ifndef TPW_ALLOCATION_DATA_DIR
#error "TPW_ALLOCATION_DATA_DIR names tests/data/allocation"
#endif

/* |actual − expected| ≤ tolerance (absolute). */
#define assert_near(actual, expected, tolerance)                                                   \
    opt_test_near((actual), (expected), (tolerance), #actual, __FILE__, __LINE__)

static inline void opt_test_near(double actual, double expected, double tolerance,
                                 const char *expression, const char *file, int line)
{
    if (!(fabs(actual - expected) <= tolerance)) {
        fail_msg("%s:%d: %s = %.17g, expected %.17g (difference %.3g > %.3g)", file, line,
                 expression, actual, expected, fabs(actual - expected), tolerance);
    }
}

/* The golden prices' returns, estimates (×252) and pairwise correlation. */
struct golden_inputs {
    struct portfolio_panel panel;
    struct portfolio_returns returns;
    struct portfolio_estimate estimate;
    double correlation[PORTFOLIO_OPT_ASSETS_MAX * PORTFOLIO_OPT_ASSETS_MAX];
};

static inline void golden_load(struct golden_inputs *golden)
{
    struct tpw_error_detail detail;
    assert_err(portfolio_panel_load(TPW_ALLOCATION_DATA_DIR "/pypfopt_stock_prices.csv",
                                    &golden->panel, &detail),
               TPW_OK);
    assert_err(portfolio_returns_from_panel(&golden->panel, &golden->returns, &detail), TPW_OK);
    assert_err(portfolio_estimate_from_returns(&golden->returns, 252, &golden->estimate, &detail),
               TPW_OK);
    assert_err(portfolio_returns_correlation(&golden->returns, golden->correlation, &detail),
               TPW_OK);
}

static inline void golden_free(struct golden_inputs *golden)
{
    portfolio_returns_deinit(&golden->returns);
    portfolio_panel_deinit(&golden->panel);
}

static inline size_t golden_index(const struct golden_inputs *golden, const char *symbol)
{
    for (size_t i = 0; i < golden->panel.assets_count; i++) {
        if (strcmp(golden->panel.symbols[i], symbol) == 0) {
            return i;
        }
    }
    fail_msg("no column %s", symbol);
    return 0;
}

#endif /* OPT_TEST_H */
