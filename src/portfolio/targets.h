/*
 * Volatility-adjusted rebalancing targets for the backtest (internal to src/portfolio;
 * the policy is described at enum portfolio_targets in portfolio.h): an EWMA covariance
 * updated row by row, and the risky assets' targets recomputed from it at each check.
 */
#ifndef PORTFOLIO_TARGETS_H
#define PORTFOLIO_TARGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "tpwallet/portfolio.h"

struct vol_targets {
    enum portfolio_targets kind;
    double lambda;
    size_t assets;
    size_t risky_count;
    size_t risky[PORTFOLIO_ASSETS_MAX];   /* indexes of the priced assets */
    double budgets[PORTFOLIO_ASSETS_MAX]; /* their configured weights, normalised */
    double risky_weight;                  /* the sum of their configured weights */
    double covariance[PORTFOLIO_ASSETS_MAX * PORTFOLIO_ASSETS_MAX]; /* risky × risky */
    size_t returns_seen;
};

void vol_targets_init(struct vol_targets *targets, const struct portfolio_backtest_config *config);

/* Folds one row's simple returns (closes against the previous row's) into the EWMA. */
void vol_targets_observe(struct vol_targets *targets, const double *previous_closes,
                         const double *closes);

/* After the warm-up, overwrites the risky assets' entries of `weights` (a row of all
 * the assets' targets) and returns true; false (weights untouched) before it, for FIXED,
 * and when the estimate has no solution (a risky asset whose returns were all zero):
 * the previous targets then stand. */
bool vol_targets_update(const struct vol_targets *targets, double weights[]);

#endif /* PORTFOLIO_TARGETS_H */
