/*
 * Portfolio analytics: daily price series loaded from CSV files, calendar periods, and
 * the reference calendar/threshold rebalancing backtest of issue 7 (docs/portfolio.md).
 *
 * These are statistics, not stored money: prices, values, weights and metrics are
 * doubles here (tools/tidy allows floating point in this module and header only).
 * Weights enter as exact decimals (value_e18) so that "sums to 1" is an exact test,
 * and nothing computed here flows back into the ledger.
 */
#ifndef TPWALLET_PORTFOLIO_H
#define TPWALLET_PORTFOLIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/error.h"

/* ------------------------------------------------------------------------------------
 * Calendar: days since 1970-01-01 in the proleptic Gregorian calendar (UTC)
 * ------------------------------------------------------------------------------------ */

/* "YYYY-MM-DD" plus the NUL. */
#define PORTFOLIO_DATE_TEXT_SIZE 11

/* Day number of a valid civil date (month 1..12, day 1..days in that month). */
int32_t portfolio_day_from_civil(int32_t year, unsigned month, unsigned day);
void portfolio_day_to_civil(int32_t day, int32_t *year /* out */, unsigned *month /* out */,
                            unsigned *mday /* out */);
/* Writes "YYYY-MM-DD" (years 0..9999) into `buf`; returns `buf`. */
const char *portfolio_day_text(int32_t day, char buf[PORTFOLIO_DATE_TEXT_SIZE]);
/* ISO 8601 week date: weeks start on Monday; week 1 holds the year's first Thursday. */
void portfolio_day_iso_week(int32_t day, int32_t *iso_year /* out */, unsigned *week /* out */);

/* How often the reference policy looks at the portfolio. */
enum portfolio_check {
    PORTFOLIO_CHECK_DAILY = 0,
    PORTFOLIO_CHECK_WEEKLY, /* ISO weeks, Monday to Sunday */
    PORTFOLIO_CHECK_MONTHLY,
    PORTFOLIO_CHECK_QUARTERLY, /* January-March, April-June, … */
    PORTFOLIO_CHECK_ANNUAL,
    PORTFOLIO_CHECK_NEVER, /* buy and hold */
};

/* "daily", …, "never" → the enum; TPW_ERR_PORTFOLIO_CHECK_UNKNOWN otherwise. */
TPW_MUST_CHECK enum tpw_err portfolio_check_parse(const char *text,
                                                  enum portfolio_check *out /* out */,
                                                  struct tpw_error_detail *detail);
const char *portfolio_check_name(enum portfolio_check check);

/*
 * The calendar period holding `day`: two days are in the same period exactly when their
 * keys are equal (daily: the day; weekly: the ISO week; monthly: year×12+month; …;
 * never: one period for all time).
 */
int64_t portfolio_period_key(enum portfolio_check check, int32_t day);

/* ------------------------------------------------------------------------------------
 * Price series
 * ------------------------------------------------------------------------------------ */

struct portfolio_price {
    int32_t day;  /* days since 1970-01-01 */
    double close; /* > 0, in the quote currency of the file */
};

/* One asset's daily closes, ascending by day, no two on the same day. */
struct portfolio_series {
    struct portfolio_price *prices; /* owned; portfolio_series_deinit frees it */
    size_t prices_count;
    size_t skipped_count; /* rows whose close was `null` or empty */
    size_t header_line;   /* 1-based line of the header (2 after a banner line) */
    bool descending;      /* the file listed newest first */
};

/* Which close column to read when a file has both "Close" and "Adj Close". */
enum portfolio_close {
    PORTFOLIO_CLOSE_RAW = 0,  /* "Close" (the default; see docs/portfolio.md) */
    PORTFOLIO_CLOSE_ADJUSTED, /* "Adj Close"; an error when the file has none */
};

/*
 * Parses CSV text (not NUL-terminated; `size_bytes` long) into `out`. Lines before the
 * header (a banner) are skipped; the header is the first line among the first
 * PORTFOLIO_HEADER_SEARCH_LINES with a field named date or time (any case). Errors,
 * each with "line N" in detail->message and the line's byte offset in offset_bytes:
 * TPW_ERR_PRICES_EMPTY, _NO_HEADER, _NO_CLOSE, _ROW_SHORT, _DATE_INVALID,
 * _NUMBER_INVALID, _NOT_POSITIVE, _DUPLICATE_DATE, _TOO_LARGE; TPW_ERR_NOMEM.
 * On error `out` holds nothing to free.
 */
TPW_MUST_CHECK enum tpw_err portfolio_series_parse(const char *text, size_t size_bytes,
                                                   enum portfolio_close close,
                                                   struct portfolio_series *out /* out */,
                                                   struct tpw_error_detail *detail);

/* Reads the file at `path` (at most PORTFOLIO_FILE_BYTES_MAX) and parses it; also
 * TPW_ERR_NOT_FOUND and TPW_ERR_IO. Messages name the file. */
TPW_MUST_CHECK enum tpw_err portfolio_series_load(const char *path, enum portfolio_close close,
                                                  struct portfolio_series *out /* out */,
                                                  struct tpw_error_detail *detail);

void portfolio_series_deinit(struct portfolio_series *series);

/* ------------------------------------------------------------------------------------
 * Weights: exact decimals
 * ------------------------------------------------------------------------------------ */

/* Target weights are decimals with up to 18 fraction digits; they must sum to exactly 1. */
#define PORTFOLIO_WEIGHT_SCALE_DIGITS 18
#define PORTFOLIO_WEIGHT_ONE_E18 UINT64_C(1000000000000000000)

/* Parses "0.25" into 250000000000000000. Errors: TPW_ERR_PORTFOLIO_WEIGHT_NEGATIVE for a
 * leading '-', TPW_ERR_PORTFOLIO_WEIGHT_INVALID for anything else that is not a decimal
 * in [0, 1] with at most 18 fraction digits. */
TPW_MUST_CHECK enum tpw_err portfolio_weight_parse(const char *text, size_t text_len,
                                                   uint64_t *weight_e18 /* out */,
                                                   struct tpw_error_detail *detail);

/* TPW_OK when a sum of weights (each ≤ 1, so the sum of 16 fits) is exactly 1;
 * TPW_ERR_PORTFOLIO_WEIGHTS_SUM with the sum in the message otherwise. */
TPW_MUST_CHECK enum tpw_err portfolio_weights_sum_check(uint64_t sum_e18,
                                                        struct tpw_error_detail *detail);

/* ------------------------------------------------------------------------------------
 * The reference backtest
 * ------------------------------------------------------------------------------------ */

/* Assets in one backtest, the cash asset included. */
#define PORTFOLIO_ASSETS_MAX 16
/* Asset names ("BTC", "USD") with the NUL. */
#define PORTFOLIO_SYMBOL_SIZE 16

struct portfolio_asset {
    char symbol[PORTFOLIO_SYMBOL_SIZE];
    uint64_t weight_e18;                   /* target weight × 10^18 */
    const struct portfolio_series *series; /* borrowed; NULL for the cash asset (price 1) */
};

/*
 * Where a rebalance trades to. FIXED: the configured weights (the reference policy).
 * The volatility-adjusted destinations recompute the risky assets' targets at each
 * check from an EWMA covariance of their daily returns up to that row (λ =
 * `ewma_lambda`, 0.94 by default; zero mean, seeded with the first return's outer
 * product), once PORTFOLIO_TARGETS_WARMUP_RETURNS returns are in: INVERSE_VOL splits
 * the risky assets' total configured weight in proportion to 1/σᵢ; RISK_PARITY splits
 * it so that their risk contributions are in proportion to their configured weights
 * (risk budgets). A cash asset keeps its configured weight.
 */
enum portfolio_targets {
    PORTFOLIO_TARGETS_FIXED = 0,
    PORTFOLIO_TARGETS_INVERSE_VOL,
    PORTFOLIO_TARGETS_RISK_PARITY,
};
#define PORTFOLIO_TARGETS_WARMUP_RETURNS 20u

/* "fixed", "inverse_vol", "risk_parity"; TPW_ERR_PORTFOLIO_PARAMETER_INVALID otherwise. */
TPW_MUST_CHECK enum tpw_err portfolio_targets_parse(const char *text,
                                                    enum portfolio_targets *out /* out */,
                                                    struct tpw_error_detail *detail);
const char *portfolio_targets_name(enum portfolio_targets targets);

struct portfolio_backtest_config {
    struct portfolio_asset assets[PORTFOLIO_ASSETS_MAX];
    size_t assets_count;
    enum portfolio_check check;
    double threshold;          /* largest |weight − target| that triggers; 0 = always; 0..1 */
    double cost_bps;           /* cost per traded value, basis points; 0..1000 */
    unsigned periods_per_year; /* annualisation of daily statistics: 252 or 365, 1..366 */
    enum portfolio_targets targets; /* FIXED (0) unless set */
    double ewma_lambda;             /* volatility-adjusted targets: 0 = 0.94; else in (0, 1) */
};

struct portfolio_backtest_result {
    int32_t first_day;
    int32_t last_day;
    size_t days_count;  /* common rows (dates present in every series) */
    double years;       /* (last_day − first_day) / 365.25 */
    double final_value; /* the portfolio started at 1 */
    double cagr;
    double volatility;   /* NAN with fewer than two returns */
    double sharpe;       /* risk-free rate 0; NAN when volatility is 0 or NAN */
    double sortino;      /* NAN when no return is negative */
    double max_drawdown; /* largest fall from a running peak, 0..1 */
    size_t rebalances_count;
    double turnover_per_year;
    double cost_per_year;                         /* Σ (cost / value before the cost) per year */
    double average_weights[PORTFOLIO_ASSETS_MAX]; /* mean of each row's closing weights */
};

/*
 * Checks `config` and runs the reference policy (docs/portfolio.md) over the dates
 * common to every series. Deterministic; allocates only a scratch index of the common
 * dates. Errors: TPW_ERR_PORTFOLIO_WEIGHTS_SUM, _TOO_MANY_ASSETS, _ASSET_DUPLICATE,
 * _NO_PRICES (no priced asset), _NO_OVERLAP (fewer than two common dates),
 * _PARAMETER_INVALID (threshold, cost or periods out of range), TPW_ERR_NOMEM.
 */
TPW_MUST_CHECK enum tpw_err portfolio_backtest_run(const struct portfolio_backtest_config *config,
                                                   struct portfolio_backtest_result *out /* out */,
                                                   struct tpw_error_detail *detail);

/* ------------------------------------------------------------------------------------
 * Price tables: several assets' daily closes in one CSV file (docs/portfolio.md)
 * ------------------------------------------------------------------------------------ */

/* Assets in one optimisation (the PyPortfolioOpt golden file has 20). */
#define PORTFOLIO_OPT_ASSETS_MAX 64

/*
 * "date,A,B,…" with one row per day: an empty field (or `null`, `nan`, `NaN`) is a
 * missing price, as before an asset's listing. Rows are sorted ascending.
 */
struct portfolio_panel {
    int32_t *days;  /* rows_count, ascending; owned */
    double *prices; /* rows_count × assets_count, row-major, NAN where missing; owned */
    size_t rows_count;
    size_t assets_count;
    char symbols[PORTFOLIO_OPT_ASSETS_MAX][PORTFOLIO_SYMBOL_SIZE];
};

/* Errors as portfolio_series_parse (with the line), plus TPW_ERR_PORTFOLIO_TOO_MANY_ASSETS
 * and TPW_ERR_PRICES_EMPTY when a column has no price at all. On error `out` holds
 * nothing to free. */
TPW_MUST_CHECK enum tpw_err portfolio_panel_parse(const char *text, size_t size_bytes,
                                                  struct portfolio_panel *out /* out */,
                                                  struct tpw_error_detail *detail);
TPW_MUST_CHECK enum tpw_err portfolio_panel_load(const char *path,
                                                 struct portfolio_panel *out /* out */,
                                                 struct tpw_error_detail *detail);
void portfolio_panel_deinit(struct portfolio_panel *panel);

/* ------------------------------------------------------------------------------------
 * Estimates: returns, expected returns, covariance (PyPortfolioOpt's defaults)
 * ------------------------------------------------------------------------------------ */

/*
 * Simple returns r_t = p_t / p_{t−1} − 1, NAN when either price is missing (pandas'
 * pct_change(fill_method=None)); rows where every asset's return is missing are
 * dropped (dropna(how="all")).
 */
struct portfolio_returns {
    double *values; /* rows_count × assets_count, row-major, NAN where missing; owned */
    size_t rows_count;
    size_t assets_count;
};

TPW_MUST_CHECK enum tpw_err portfolio_returns_from_panel(const struct portfolio_panel *panel,
                                                         struct portfolio_returns *out /* out */,
                                                         struct tpw_error_detail *detail);
void portfolio_returns_deinit(struct portfolio_returns *returns);

/* Per-asset statistics and the n × n matrices, row-major, for up to
 * PORTFOLIO_OPT_ASSETS_MAX assets (caller memory: 32 KiB per matrix). */
struct portfolio_estimate {
    size_t assets_count;
    double mean_return[PORTFOLIO_OPT_ASSETS_MAX];                           /* per year */
    double covariance[PORTFOLIO_OPT_ASSETS_MAX * PORTFOLIO_OPT_ASSETS_MAX]; /* per year */
};

/*
 * μ_i = (Π_t (1 + r_ti))^(periods_per_year / count_i) − 1 over each asset's own
 * non-missing returns; Σ_ij = pairwise-complete sample covariance (n − 1) of the rows
 * where both are present, × periods_per_year. Errors: TPW_ERR_OPT_TOO_FEW_RETURNS (an
 * asset or a pair with fewer than two returns), TPW_ERR_OPT_INPUT_INVALID.
 */
TPW_MUST_CHECK enum tpw_err
portfolio_estimate_from_returns(const struct portfolio_returns *returns, unsigned periods_per_year,
                                struct portfolio_estimate *out /* out */,
                                struct tpw_error_detail *detail);

/* Pairwise-complete correlation (pandas DataFrame.corr): each pair's means and
 * deviations over the rows where both are present. `corr` is n × n. */
TPW_MUST_CHECK enum tpw_err portfolio_returns_correlation(const struct portfolio_returns *returns,
                                                          double *corr /* out */,
                                                          struct tpw_error_detail *detail);

/* ------------------------------------------------------------------------------------
 * Mean-variance optimisation (an exact active-set QP; docs/portfolio.md)
 * ------------------------------------------------------------------------------------ */

enum portfolio_objective {
    PORTFOLIO_MIN_VOLATILITY = 0, /* min wᵀ(Σ + γI)w */
    PORTFOLIO_MAX_SHARPE,         /* max (μᵀw − r_f) / √(wᵀΣw), long-only */
    PORTFOLIO_QUADRATIC_UTILITY,  /* min (δ/2) wᵀΣw − μᵀw (+ γ‖w‖²) */
};

struct portfolio_mvo_config {
    size_t assets_count;
    const double *mean_return; /* n; per year (unused by min volatility) */
    const double *covariance;  /* n × n, row-major, symmetric positive definite */
    enum portfolio_objective objective;
    double risk_free_rate; /* max Sharpe: r_f per year */
    double risk_aversion;  /* quadratic utility: δ > 0 */
    double l2_gamma;       /* L2 regularisation γ ≥ 0: adds γ‖w‖² to the objective */
    double weight_min;     /* bounds on every weight, weight_min ≤ w_i ≤ weight_max; */
    double weight_max;     /* long-only is 0 and 1 */
    /* Transaction costs and turnover, relative to the current weights (NULL: none). */
    const double *current_weights; /* n, summing to 1 */
    double cost_l1;                /* cost per unit of weight traded: adds c Σ|w − w0| */
    double turnover_max;           /* Σ|w − w0| ≤ turnover_max; 0 = no cap */
};

/* A default configuration: long-only (0..1), no regularisation, no costs. */
struct portfolio_mvo_config portfolio_mvo_config_default(size_t assets_count,
                                                         const double *mean_return,
                                                         const double *covariance);

struct portfolio_mvo_result {
    double weights[PORTFOLIO_OPT_ASSETS_MAX]; /* sum to 1 */
    double expected_return;                   /* μᵀw */
    double volatility;                        /* √(wᵀΣw) */
    double sharpe;                            /* (μᵀw − r_f) / volatility */
    double turnover;                          /* Σ|w − w0| (0 without current weights) */
    size_t iterations;                        /* active-set iterations */
};

/*
 * Solves the configured problem exactly (to rounding). Errors: TPW_ERR_OPT_INPUT_INVALID,
 * TPW_ERR_OPT_COVARIANCE_NOT_PD, TPW_ERR_OPT_INFEASIBLE (bounds that cannot sum to 1, a
 * turnover cap below what the bounds force), TPW_ERR_OPT_NO_EXCESS_RETURN (max Sharpe),
 * TPW_ERR_OPT_NOT_CONVERGED.
 */
TPW_MUST_CHECK enum tpw_err portfolio_mvo_solve(const struct portfolio_mvo_config *config,
                                                struct portfolio_mvo_result *out /* out */,
                                                struct tpw_error_detail *detail);

/*
 * LEAN's MinimumVariancePortfolioOptimizer: min wᵀΣw s.t. 1ᵀw = 1, μᵀw = target,
 * −1 ≤ w ≤ 1; then w ← w / Σ|w| (so with shorts the result no longer sums to 1).
 * Errors as portfolio_mvo_solve (TPW_ERR_OPT_INFEASIBLE for an unreachable target).
 */
TPW_MUST_CHECK enum tpw_err
portfolio_min_variance_target(size_t assets_count, const double *covariance,
                              const double *mean_return, double target_return,
                              double *weights /* out: n */, struct tpw_error_detail *detail);

/* Minimum trade size and lot size, applied after an optimisation (docs/portfolio.md). */
struct portfolio_trade_rules {
    double trade_min; /* a trade |w_i − w0_i| below this is not made; 0 = none */
    double lot;       /* trades are whole multiples of this weight, rounded toward zero */
};

/* Rounds the trades from `current` to `target` into `out` (n weights); the weight not
 * invested by rounding is returned in *residual (out = current + rounded trades, and
 * Σout + residual = Σtarget). Errors: TPW_ERR_OPT_INPUT_INVALID. */
TPW_MUST_CHECK enum tpw_err
portfolio_trades_round(size_t assets_count, const double *current, const double *target,
                       const struct portfolio_trade_rules *rules, double *out /* out: n */,
                       double *residual /* out */, struct tpw_error_detail *detail);

/* ------------------------------------------------------------------------------------
 * Volatility-adjusted weights
 * ------------------------------------------------------------------------------------ */

/* w_i ∝ 1 / √Σ_ii. */
TPW_MUST_CHECK enum tpw_err portfolio_inverse_vol(size_t assets_count, const double *covariance,
                                                  double *weights /* out: n */,
                                                  struct tpw_error_detail *detail);

/*
 * Risk budgeting (Spinu 2013): x = argmin ½xᵀΣx − bᵀ ln x over x > 0 by Newton's method,
 * so that the risk contributions w_i (Σw)_i / wᵀΣw equal b_i (b > 0, Σb = 1). `x` is
 * the unnormalised solution (LEAN's output), `weights` = x / Σx; either may be NULL.
 * Errors: TPW_ERR_OPT_INPUT_INVALID, _COVARIANCE_NOT_PD, _NOT_CONVERGED.
 */
TPW_MUST_CHECK enum tpw_err portfolio_risk_parity(size_t assets_count, const double *covariance,
                                                  const double *budgets, double *x /* out */,
                                                  double *weights /* out */,
                                                  struct tpw_error_detail *detail);

/*
 * Hierarchical risk parity (López de Prado; PyPortfolioOpt's HRPOpt with single
 * linkage): correlation distance √((1 − ρ)/2), single-linkage clustering in scipy's
 * merge order, leaves in pre-order, recursive bisection of that list with
 * inverse-variance cluster variances. `covariance` and `correlation` are n × n.
 */
TPW_MUST_CHECK enum tpw_err portfolio_hrp(size_t assets_count, const double *covariance,
                                          const double *correlation, double *weights /* out */,
                                          struct tpw_error_detail *detail);

/* ------------------------------------------------------------------------------------
 * Volatility models
 * ------------------------------------------------------------------------------------ */

/* RiskMetrics' daily decay. */
#define PORTFOLIO_EWMA_LAMBDA_DAILY 0.94

/* One EWMA step: σ²_n = λσ²_{n−1} + (1 − λ)u²_{n−1} (Hull, RMFI §5). */
double portfolio_ewma_variance_next(double lambda, double variance_prev, double return_prev);

/*
 * EWMA variance over a return series: seeded with σ²_1 = u_0², then one step per return;
 * *variance is the forecast for the period after the last return. Errors:
 * TPW_ERR_OPT_INPUT_INVALID (λ outside (0, 1), a NaN), TPW_ERR_OPT_TOO_FEW_RETURNS (< 2).
 */
TPW_MUST_CHECK enum tpw_err portfolio_ewma_variance(const double *returns, size_t returns_count,
                                                    double lambda, double *variance /* out */,
                                                    struct tpw_error_detail *detail);

/* GARCH(1,1): r_t = μ + ε_t, h_t = ω + α ε²_{t−1} + β h_{t−1}, Gaussian likelihood. */
struct portfolio_garch {
    double mu;
    double omega;
    double alpha;
    double beta;
    double log_likelihood;
    double variance_next; /* h_{T+1}, the one-step forecast */
    size_t iterations;
};

/*
 * Maximum-likelihood fit (BFGS on the analytic gradient) with fGarch's start-up
 * h_1 = ω + (α + β)·mean((r − μ)²). Errors: TPW_ERR_OPT_INPUT_INVALID (a NaN),
 * TPW_ERR_OPT_TOO_FEW_RETURNS (fewer than 10), TPW_ERR_OPT_NOT_CONVERGED.
 */
TPW_MUST_CHECK enum tpw_err portfolio_garch_fit(const double *returns, size_t returns_count,
                                                struct portfolio_garch *out /* out */,
                                                struct tpw_error_detail *detail);

/* The Gaussian log-likelihood of the parameters in `params` (mu, omega, alpha, beta). */
double portfolio_garch_log_likelihood(const double *returns, size_t returns_count,
                                      const struct portfolio_garch *params);

/* A file of one column of numbers (returns): an optional header line (a first line that
 * is not a number, such as fGarch's "r"), then one finite number per line; blank lines
 * are skipped. *values is malloc'd (free() it) and holds *count ≥ 1 numbers. Errors:
 * TPW_ERR_PRICES_EMPTY, _NUMBER_INVALID (with the line), _TOO_LARGE, TPW_ERR_NOT_FOUND,
 * TPW_ERR_IO, TPW_ERR_NOMEM. */
TPW_MUST_CHECK enum tpw_err portfolio_column_load(const char *path, double **values /* out */,
                                                  size_t *count /* out */,
                                                  struct tpw_error_detail *detail);
TPW_MUST_CHECK enum tpw_err portfolio_column_parse(const char *text, size_t size_bytes,
                                                   double **values /* out */,
                                                   size_t *count /* out */,
                                                   struct tpw_error_detail *detail);

#endif /* TPWALLET_PORTFOLIO_H */
