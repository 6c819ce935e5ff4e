/*
 * Internals of the simulator shared by its files (internal to src/portfolio):
 * sim_market.c (parameters: checks, Cholesky factor, estimation), simulate.c (the
 * paths and the threads, one path at a time), sim_lanes.c (GBM, 16 paths at a time)
 * and sim_report.c (names and percentiles).
 */
#ifndef PORTFOLIO_SIM_PLAN_H
#define PORTFOLIO_SIM_PLAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "normal.h"
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

/* What the threads share for one run. */
struct sim_shared {
    const struct sim_plan *plan;
    const struct normal_tables *tables;
    double *values; /* values[metric * paths + path] */
    atomic_uint_fast64_t next_path;
    atomic_uint_fast64_t done_paths;
};

/* One path's running state: what it holds and what its metrics need. */
struct sim_path {
    double holdings[PORTFOLIO_ASSETS_MAX]; /* the value in each asset; they sum to value */
    double asset_log_growth[PORTFOLIO_ASSETS_MAX];
    double value;
    double peak;
    double max_drawdown;
    double return_sum;
    double return_squares;
    double cost_fraction_sum;
    uint64_t rebalances;
    size_t boot_row;    /* the bootstrap's next history row */
    unsigned boot_left; /* rows left in the current block */
};

/* A stream per path: the path index hashed into the seed (splitmix64's finalizer). */
static inline uint64_t sim_path_seed(uint64_t seed, uint64_t path)
{
    uint64_t z = seed ^ ((path + 1) * UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Whether a step is in the scenario's window. */
static inline bool sim_in_window(const struct portfolio_sim_scenario *scenario, unsigned step)
{
    return step >= scenario->start_step && step - scenario->start_step < scenario->length_steps;
}

/* A rebalance that would cost half the value or more is not made: the book is too
 * thin for it (docs/portfolio.md), and the value stays positive. */
#define SIM_COST_FRACTION_MAX 0.5

/* The cost per unit traded and the slippage coefficient at a step (a drought's window
 * widens the spread and thins the book). */
void sim_step_costs(const struct sim_plan *plan, unsigned step, double *rate, double *slippage);

/* Writes a finished path's metrics into shared->values. */
void sim_record(const struct sim_shared *shared, uint64_t path, const struct sim_path *state);

/* Runs GBM paths first .. first + NORMAL_LANES − 1 (those below config->paths) side by
 * side, each with the numbers run one at a time would give it, and records them. */
void sim_lanes_run(const struct sim_shared *shared, uint64_t first);

/* Checks the market and the costs and factors the covariance into plan->factor.
 * Errors: TPW_ERR_PORTFOLIO_PARAMETER_INVALID with the reason. */
TPW_MUST_CHECK enum tpw_err sim_market_prepare(const struct portfolio_sim_config *config,
                                               struct sim_plan *plan,
                                               struct tpw_error_detail *detail);

/* Fills the report's summaries from report->values (paths × metrics). */
TPW_MUST_CHECK enum tpw_err sim_report_summarize(struct portfolio_sim_report *report,
                                                 struct tpw_error_detail *detail);

#endif /* PORTFOLIO_SIM_PLAN_H */
