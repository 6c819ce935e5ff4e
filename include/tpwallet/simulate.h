/*
 * Monte Carlo and stress simulation of a rebalanced portfolio (issue 7, item 6;
 * docs/portfolio.md, "Monte Carlo and stress").
 *
 * A simulation draws `paths` independent price paths of `steps` steps for up to
 * PORTFOLIO_ASSETS_MAX assets — geometric Brownian motion, a multivariate Student-t
 * (fat tails), or a block bootstrap of historical daily returns — optionally overlays
 * a stress scenario (crash, rally, liquidity drought, a stablecoin depeg replayed from
 * history), runs the same calendar/threshold policy as the reference backtest on every
 * path with one cost model (fees, half the spread, and slippage from book depth), and
 * reports percentiles of the per-path metrics.
 *
 * Deterministic: path i draws from its own generator, seeded from (seed, i) alone, and
 * every sum over paths is taken in path order after the threads finish, so a seed gives
 * the same report byte for byte whatever the thread count.
 *
 * These are statistics, not stored money: doubles throughout (tools/tidy exempts this
 * header), and nothing here flows back into the ledger.
 */
#ifndef TPWALLET_SIMULATE_H
#define TPWALLET_SIMULATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/error.h"
#include "tpwallet/portfolio.h"

/* Bounds of one simulation (each with its reason in docs/portfolio.md). */
#define PORTFOLIO_SIM_PATHS_MAX UINT64_C(10000000) /* 10^7 paths: 560 MB of per-path metrics */
#define PORTFOLIO_SIM_STEPS_MAX 100000u            /* 274 years of daily steps */
#define PORTFOLIO_SIM_THREADS_MAX 64u
#define PORTFOLIO_SIM_HISTORY_ROWS_MAX 200000u /* as many rows as a price series holds */

enum portfolio_sim_model {
    PORTFOLIO_SIM_GBM = 0,   /* correlated normal log-returns */
    PORTFOLIO_SIM_STUDENT_T, /* the same scaled by one chi-square per step: fat tails */
    PORTFOLIO_SIM_BOOTSTRAP, /* blocks of consecutive historical daily returns */
};

/* "gbm", "t", "bootstrap"; TPW_ERR_PORTFOLIO_PARAMETER_INVALID otherwise. */
TPW_MUST_CHECK enum tpw_err portfolio_sim_model_parse(const char *text,
                                                      enum portfolio_sim_model *out /* out */,
                                                      struct tpw_error_detail *detail);
const char *portfolio_sim_model_name(enum portfolio_sim_model model);

/*
 * The market the paths are drawn from. For GBM and Student-t: per year, the expected
 * arithmetic return of each asset and the covariance of log-returns (symmetric,
 * positive semi-definite; a cash asset has zero drift, row and column). Each step's
 * log-return vector is (drift − ½·diag(covariance))·Δt + √Δt·L·ε with L·Lᵀ =
 * covariance and ε standard normal (GBM) or multivariate t with `dof` degrees of
 * freedom scaled to unit variance. For the bootstrap: `history`, daily log-returns,
 * row-major (history_rows × assets_count), sampled in blocks of `block_steps` rows.
 */
struct portfolio_sim_market {
    size_t assets_count;
    double drift_per_year[PORTFOLIO_ASSETS_MAX];
    double covariance_per_year[PORTFOLIO_ASSETS_MAX * PORTFOLIO_ASSETS_MAX]; /* row-major */
    double dof;                                                              /* t only: > 2 */
    const double *history; /* bootstrap only; borrowed */
    size_t history_rows;
    unsigned block_steps; /* bootstrap only: 1 .. history_rows */
};

/*
 * Estimates a market from price series inner-joined on date (as the backtest joins
 * them; a NULL series is a cash asset): the mean and covariance of daily log-returns,
 * annualised with `steps_per_year`, drift set so that the simulated median growth
 * matches the history's. `history` (allocated, the caller frees it) receives the
 * joined daily log-returns for the bootstrap. Errors: _NO_OVERLAP (fewer than three
 * common dates), _TOO_MANY_ASSETS, TPW_ERR_NOMEM.
 */
TPW_MUST_CHECK enum tpw_err
portfolio_sim_market_estimate(const struct portfolio_series *const series[], size_t assets_count,
                              unsigned steps_per_year, struct portfolio_sim_market *out /* out */,
                              double **history /* out */, struct tpw_error_detail *detail);

/*
 * Trading costs, one model for every trade the policy makes: for a trade of value q
 * in an asset, cost = q·(fee_bps + spread_bps/2)/10⁴ + q²/(2·D), where D = depth ×
 * the portfolio's value is the value the book holds per unit of relative price move
 * (walking a book of uniform depth costs on average half the price move). depth 0 =
 * unlimited (no slippage).
 */
struct portfolio_sim_costs {
    double fee_bps;    /* 0 .. 1000 */
    double spread_bps; /* quoted spread, 0 .. 1000 */
    double depth;      /* book depth per unit price move, in portfolio values; 0 = ∞ */
};

enum portfolio_sim_scenario_kind {
    PORTFOLIO_SIM_SCENARIO_NONE = 0,
    PORTFOLIO_SIM_SCENARIO_CRASH,   /* shocked assets fall by `shock` over `length_steps` */
    PORTFOLIO_SIM_SCENARIO_RALLY,   /* shocked assets rise by `shock` over `length_steps` */
    PORTFOLIO_SIM_SCENARIO_DROUGHT, /* spreads × `cost_factor`, depth ÷ it, for the window */
    PORTFOLIO_SIM_SCENARIO_REPLAY,  /* `replay_asset` follows recorded closes (a depeg) */
};

/*
 * One stress scenario, applied to every path from step `start_step` (1-based: the
 * first step's return is step 1) for `length_steps` steps. Crash and rally add
 * ln(1 + shock)/length_steps to the log-return of each asset in `shocked_mask` at
 * each step of the window (shock −0.5 halves them; +1 doubles them). A replay sets
 * the log-return of `replay_asset` to those of `replay_closes` (length_steps + 1
 * closes) step by step: the stablecoin's own history, drawn paths elsewhere.
 */
struct portfolio_sim_scenario {
    enum portfolio_sim_scenario_kind kind;
    unsigned start_step;
    unsigned length_steps;
    double shock;          /* crash: −0.999999 ≤ shock < 0; rally: 0 < shock ≤ 100 */
    uint32_t shocked_mask; /* bit i: asset i */
    double cost_factor;    /* drought: ≥ 1 */
    size_t replay_asset;
    const double *replay_closes; /* borrowed; length_steps + 1 values > 0 */
};

/* Progress: called from one thread at a time with the paths finished so far. */
typedef void (*portfolio_sim_progress_fn)(void *ctx, uint64_t done, uint64_t total);

struct portfolio_sim_config {
    enum portfolio_sim_model model;
    struct portfolio_sim_market market;
    uint64_t weight_e18[PORTFOLIO_ASSETS_MAX]; /* targets, exactly 1 in sum */
    enum portfolio_check check;                /* when the policy looks */
    double threshold;                          /* largest |w − target| that trades; 0..1 */
    struct portfolio_sim_costs costs;
    struct portfolio_sim_scenario scenario;
    uint64_t paths;          /* 1 .. PORTFOLIO_SIM_PATHS_MAX */
    unsigned steps;          /* 1 .. PORTFOLIO_SIM_STEPS_MAX */
    unsigned steps_per_year; /* 1 .. 366: Δt = 1/steps_per_year */
    uint64_t seed;
    unsigned threads;                   /* 1 .. PORTFOLIO_SIM_THREADS_MAX */
    portfolio_sim_progress_fn progress; /* optional */
    void *progress_ctx;
};

/* The metrics of every path; reported as below. */
enum portfolio_sim_metric {
    PORTFOLIO_SIM_FINAL_VALUE = 0, /* value at the end; the path starts at 1 */
    PORTFOLIO_SIM_CAGR,            /* final_value^(1/years) − 1 */
    PORTFOLIO_SIM_VOLATILITY,      /* sample std of step returns × √steps_per_year */
    PORTFOLIO_SIM_MAX_DRAWDOWN,    /* largest fall from a running peak, 0..1 */
    PORTFOLIO_SIM_COST_PER_YEAR,   /* Σ cost / value before it, per year */
    PORTFOLIO_SIM_REBALANCES,      /* trades back to target */
    /* (ln final − Σ target_i · ln(asset i's own growth)) / years: what rebalancing
     * earned over holding each asset apart at the target mix of log-growths. */
    PORTFOLIO_SIM_REBALANCING_RETURN,
    PORTFOLIO_SIM_METRICS_COUNT,
};
const char *portfolio_sim_metric_name(enum portfolio_sim_metric metric);

/* Percentiles reported, in this order: 1, 5, 25, 50, 75, 95, 99. */
#define PORTFOLIO_SIM_PERCENTILES_COUNT 7
extern const double portfolio_sim_percentiles[PORTFOLIO_SIM_PERCENTILES_COUNT];

struct portfolio_sim_summary {
    double mean;
    double std_dev;   /* sample standard deviation over paths (0 for one path) */
    double std_error; /* std_dev / √paths: the mean's standard error */
    double percentiles[PORTFOLIO_SIM_PERCENTILES_COUNT]; /* linear between order stats */
};

struct portfolio_sim_report {
    uint64_t paths;
    double years; /* steps / steps_per_year */
    struct portfolio_sim_summary metrics[PORTFOLIO_SIM_METRICS_COUNT];
    /* Per path, path order: values[metric * paths + path]; NULL unless keep_paths. */
    double *values;
};

/*
 * Checks `config`, runs the simulation on `config->threads` threads and fills `out`.
 * With keep_paths, out->values keeps every path's metrics (portfolio_sim_report_deinit
 * frees it). Errors: TPW_ERR_PORTFOLIO_WEIGHTS_SUM, _TOO_MANY_ASSETS,
 * _PARAMETER_INVALID (a bound above, a covariance that is not positive semi-definite,
 * a scenario outside the path), TPW_ERR_NOMEM, TPW_ERR_INTERNAL (a thread would not
 * start).
 */
TPW_MUST_CHECK enum tpw_err portfolio_sim_run(const struct portfolio_sim_config *config,
                                              bool keep_paths,
                                              struct portfolio_sim_report *out /* out */,
                                              struct tpw_error_detail *detail);
void portfolio_sim_report_deinit(struct portfolio_sim_report *report);

/*
 * The closed form the simulation is checked against: for continuously rebalanced
 * weights w under GBM, the portfolio's log-growth per year is wᵀμ − ½·wᵀΣw, and its
 * excess over Σ wᵢ·(μᵢ − ½Σᵢᵢ) is the diversification return ½·(Σ wᵢΣᵢᵢ − wᵀΣw).
 */
double portfolio_sim_diversification_return(const struct portfolio_sim_market *market,
                                            const uint64_t weight_e18[]);

/*
 * The recorded stablecoin depegs a replay scenario can use, embedded from data/scenarios
 * (data/README.md gives their origin): "usdc-2023-03" (USDC and the SVB failure,
 * 2023-03-08 .. 03-20, low close 0.9715) and "ust-2022-05" (TerraUSD's collapse,
 * 2022-05-05 .. 05-31, from 0.9995 to 0.0214). Fills `out` with the daily closes (the
 * caller deinits it). Errors: TPW_ERR_PORTFOLIO_PARAMETER_INVALID for another name.
 */
TPW_MUST_CHECK enum tpw_err portfolio_sim_depeg_load(const char *name,
                                                     struct portfolio_series *out /* out */,
                                                     struct tpw_error_detail *detail);

#endif /* TPWALLET_SIMULATE_H */
