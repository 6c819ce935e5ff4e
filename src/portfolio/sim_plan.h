/*
 * Internals of the simulator shared by its files (internal to src/portfolio):
 * sim_market.c (parameters: checks, Cholesky factor, estimation), simulate.c (the
 * paths and the threads) and sim_report.c (names and percentiles).
 */
#ifndef PORTFOLIO_SIM_PLAN_H
#define PORTFOLIO_SIM_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/simulate.h"

/* What every path of one run shares, computed once from the config. */
struct sim_plan {
    const struct portfolio_sim_config *config;
    size_t assets;
    double dt_years;
    double targets[PORTFOLIO_ASSETS_MAX];
    double step_mean[PORTFOLIO_ASSETS_MAX];                     /* (μ − ½σ²)·Δt */
    double factor[PORTFOLIO_ASSETS_MAX * PORTFOLIO_ASSETS_MAX]; /* L, lower, of Σ·Δt */
    double t_scale; /* √(ν − 2): a t draw is ε·√((ν−2)/W), W ~ χ²_ν */
    /* The largest t scale √((ν−2)/W) used: beyond it a step could pass ±SIM_DRAW_LIMIT
     * (a truncation with probability far below 10⁻¹⁰⁰ for any ν here). */
    double t_scale_max;
    double cost_rate;       /* (fee + spread/2) / 10⁴ per unit traded */
    double slippage;        /* 1 / (2·depth), 0 without a depth */
    uint8_t *monitor;       /* monitor[step]: 1 at the policy's checks */
    double *replay_returns; /* a replay's log-returns, length_steps of them */
};

/* The largest |z| the normal sampler returns (normal.h): r + ln(2^53)/r. */
#define SIM_NORMAL_ABS_MAX 14.2
/* The largest drawn log-return: GBM's draws stay below it by the variance bounds, the t
 * model's by its capped scale, a replay's are clamped to it. */
#define SIM_DRAW_LIMIT_PLAN 350.0
/* The bounds of a GBM or t market: variance per step, and variance and log drift over
 * the whole path (so a path's value stays far inside the doubles). */
#define SIM_STEP_VARIANCE_MAX 1.0
#define SIM_PATH_VARIANCE_MAX 100.0

/* Checks the market and the costs and factors the covariance into plan->factor.
 * Errors: TPW_ERR_PORTFOLIO_PARAMETER_INVALID with the reason. */
TPW_MUST_CHECK enum tpw_err sim_market_prepare(const struct portfolio_sim_config *config,
                                               struct sim_plan *plan,
                                               struct tpw_error_detail *detail);

/* Fills the report's summaries from report->values (paths × metrics). */
TPW_MUST_CHECK enum tpw_err sim_report_summarize(struct portfolio_sim_report *report,
                                                 struct tpw_error_detail *detail);

#endif /* PORTFOLIO_SIM_PLAN_H */
