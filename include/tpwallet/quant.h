/*
 * Quantitative analytics: European option prices, greeks and implied volatility under
 * the generalized Black-Scholes-Merton model, and EWMA z-score anomaly detection on
 * per-interval market series.
 *
 * This is the one module where binary floating point is allowed: these are estimates
 * compared with tolerances and thresholds, not amounts. Nothing here flows into a
 * ledger or a book; a caller that turns a result into money states its own rounding.
 * Every function checks its inputs and returns an `enum tpw_err`; no result is ever
 * NaN or infinite. Time is an input (no clock is read), so every run is repeatable.
 * See docs/quant.md.
 */
#ifndef TPWALLET_QUANT_H
#define TPWALLET_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/error.h"

/* ------------------------------------------------------------------------------------
 * Options: generalized Black-Scholes-Merton (src/quant/bsm.c)
 *
 * The underlying pays a continuous yield q and money earns a continuous rate r:
 *   q = dividend yield   Merton (1973), a stock or an index
 *   q = r                Black-76, an option on a future (spot is the futures price)
 *   q = foreign rate     Garman-Kohlhagen, an FX option (spot in domestic per foreign)
 * Time is in years; vega and rho are per 1.00 of volatility or rate (not per 1 %).
 * ------------------------------------------------------------------------------------ */

enum quant_option_type {
    QUANT_CALL = 0,
    QUANT_PUT = 1,
};

/* "call", "put"; "unknown" otherwise. */
const char *quant_option_type_name(enum quant_option_type type);

struct quant_option {
    enum quant_option_type type;
    double spot;       /* S > 0 (the futures price for Black-76) */
    double strike;     /* K > 0 */
    double time_years; /* T > 0 */
    double rate;       /* r, continuous; any finite value, negative rates exist */
    double yield;      /* q, continuous; any finite value */
    double volatility; /* σ > 0, per √year; ignored by quant_implied_volatility() */
};

struct quant_greeks {
    double price;
    double delta;          /* ∂V/∂S */
    double gamma;          /* ∂²V/∂S² */
    double vega;           /* ∂V/∂σ */
    double theta_per_year; /* ∂V/∂t, calendar time passing (−∂V/∂T) */
    double theta_per_day;  /* theta_per_year / 365 */
    double rho;            /* ∂V/∂r */
    double dividend_rho;   /* ∂V/∂q (the foreign rho for Garman-Kohlhagen) */
};

/* Standard normal density and distribution function (N from erfc: accurate tails). */
double quant_norm_pdf(double x);
double quant_norm_cdf(double x);

/*
 * The option's value and greeks. Errors: TPW_ERR_INVALID_ARGUMENT (unknown type),
 * TPW_ERR_QUANT_INPUT_INVALID (a spot, strike, time or volatility not above zero, any
 * input not finite, a volatility above QUANT_VOLATILITY_MAX, a time above
 * QUANT_TIME_YEARS_MAX, a rate or yield beyond ±QUANT_RATE_ABS_MAX, or inputs so
 * extreme that a result would not be finite). *out is written only on success.
 */
TPW_MUST_CHECK enum tpw_err quant_option_greeks(const struct quant_option *option,
                                                struct quant_greeks *out /* out */);
/* The value alone; the same errors. */
TPW_MUST_CHECK enum tpw_err quant_option_price(const struct quant_option *option,
                                               double *price /* out */);

/* The volatility range the solver searches: 1e-9 to 10000 % per √year. */
#define QUANT_VOLATILITY_MIN 1e-9
#define QUANT_VOLATILITY_MAX 100.0
/* Longest maturity and largest |rate|, |yield| (1000 % a year): e^(±rT) stays finite. */
#define QUANT_TIME_YEARS_MAX 100.0
#define QUANT_RATE_ABS_MAX 10.0

struct quant_iv_result {
    double volatility;     /* σ whose price matches */
    double price_error;    /* price(σ) − target, as evaluated */
    unsigned iterations;   /* solver steps taken */
    unsigned newton_steps; /* … of which Newton steps (the rest bisect) */
};

/*
 * The volatility at which `option` (its volatility field is ignored) is worth
 * `price`: a bracket [QUANT_VOLATILITY_MIN, QUANT_VOLATILITY_MAX] that always holds the
 * root, Newton steps from a Manaster-Koehler start while they stay inside it and
 * shrink it, bisection otherwise. Errors: TPW_ERR_INVALID_ARGUMENT (unknown type),
 * TPW_ERR_QUANT_INPUT_INVALID (non-positive spot, strike, time or price; a non-finite
 * input), TPW_ERR_QUANT_NO_VOLATILITY (the price is at or below the no-arbitrage lower
 * bound max(0, ±(S·e^−qT − K·e^−rT)) — intrinsic value — or at or above the upper
 * bound S·e^−qT for a call, K·e^−rT for a put, or outside what the bracket's ends
 * give). *out is written only on success, and then never holds NaN.
 */
TPW_MUST_CHECK enum tpw_err quant_implied_volatility(const struct quant_option *option,
                                                     double price,
                                                     struct quant_iv_result *out /* out */);

/* ------------------------------------------------------------------------------------
 * Anomaly detection: EWMA z-scores (src/quant/anomaly.c)
 * ------------------------------------------------------------------------------------ */

/*
 * One series' detector. Each sample is scored against the mean and variance of the
 * samples BEFORE it (a burst does not dilute its own score), then folded in:
 *   z = (x − mean) / max(√variance, min_stddev)
 *   mean' = mean + α (x − mean);  variance' = (1 − α)(variance + α (x − mean)²)
 * A sample is flagged when |z| ≥ z_threshold and the detector has seen warmup_count
 * samples before it; the first sample only seeds the mean.
 */
/* Largest |sample| and smallest min_stddev: deviations, variances and z stay finite. */
#define QUANT_SAMPLE_ABS_MAX 1e100
#define QUANT_STDDEV_FLOOR_MIN 1e-100

struct quant_ewma_config {
    double alpha;          /* weight of the newest sample, 0 < α ≤ 1 */
    uint32_t warmup_count; /* samples seen before any flag (≥ 1) */
    double z_threshold;    /* > 0 */
    double min_stddev;     /* ≥ QUANT_STDDEV_FLOOR_MIN: keeps a flat history from dividing by 0 */
};

struct quant_ewma {
    struct quant_ewma_config config;
    double mean;
    double variance;
    uint64_t samples_count;
    int64_t last_timestamp_us;
};

struct quant_ewma_score {
    int64_t timestamp_us;
    double value;
    double z;     /* 0 while the history is empty */
    bool warm;    /* warmup_count samples came before this one */
    bool flagged; /* warm and |z| ≥ z_threshold */
};

/* Errors: TPW_ERR_INVALID_ARGUMENT (a config value out of its range or not finite). */
TPW_MUST_CHECK enum tpw_err quant_ewma_init(struct quant_ewma *ewma,
                                            const struct quant_ewma_config *config);

/*
 * Scores then folds in one sample taken at `timestamp_us` (the caller's clock; never
 * earlier than the previous sample's). Errors, leaving the detector unchanged:
 * TPW_ERR_INVALID_ARGUMENT (a value not finite or beyond ±QUANT_SAMPLE_ABS_MAX, a
 * timestamp that goes back).
 */
TPW_MUST_CHECK enum tpw_err quant_ewma_update(struct quant_ewma *ewma, int64_t timestamp_us,
                                              double value, struct quant_ewma_score *out /* out */);

/* The order-flow series one market interval yields, scored together. X(NAME, json) */
#define QUANT_SERIES_TABLE(X)                                                                      \
    X(ORDER_FLOW_IMBALANCE, "order_flow_imbalance") /* signed net flow, in base units */           \
    X(SPREAD_BPS, "spread_bps")                     /* the spread at the interval's end */         \
    X(TRADES, "trades")                             /* trade count in the interval */              \
    X(MID_RETURN_BPS, "mid_return_bps")             /* mid change since the last interval */

enum quant_series {
#define QUANT_X_ENUM(name, json) QUANT_SERIES_##name,
    QUANT_SERIES_TABLE(QUANT_X_ENUM)
#undef QUANT_X_ENUM
        QUANT_SERIES_COUNT
};

/* "spread_bps", …; "unknown" otherwise. Static strings. */
const char *quant_series_name(enum quant_series series);

/* One interval's measurements; mid > 0 (the return is computed from consecutive mids). */
struct quant_interval {
    int64_t timestamp_us; /* the interval's end */
    double order_flow_imbalance;
    double spread_bps;
    double trades_count;
    double mid;
};

struct quant_anomaly_detector {
    struct quant_ewma series[QUANT_SERIES_COUNT];
    double last_mid;
    bool has_mid;
};

struct quant_anomaly_report {
    struct quant_ewma_score scores[QUANT_SERIES_COUNT];
    unsigned flagged_count;
};

/*
 * One config per series (indexed by enum quant_series). The mid-return series starts
 * with the second interval, so it warms up one interval later than the others.
 * Errors: as quant_ewma_init().
 */
TPW_MUST_CHECK enum tpw_err
quant_anomaly_init(struct quant_anomaly_detector *detector,
                   const struct quant_ewma_config configs[QUANT_SERIES_COUNT]);

/*
 * Scores one interval. A mid-return score is absent (z 0, not warm) for the first
 * interval. Errors, leaving the detector unchanged: TPW_ERR_INVALID_ARGUMENT (a
 * non-finite value, mid not above 0, a timestamp that goes back).
 */
TPW_MUST_CHECK enum tpw_err quant_anomaly_update(struct quant_anomaly_detector *detector,
                                                 const struct quant_interval *interval,
                                                 struct quant_anomaly_report *out /* out */);

/* ------------------------------------------------------------------------------------
 * Realised volatility: an EWMA of squared log returns (src/quant/realised_vol.c)
 * ------------------------------------------------------------------------------------ */

/*
 * RiskMetrics' estimator, one price per period:
 *   r = ln(p / p_previous);  σ²' = λ σ² + (1 − λ) r²  (the first return seeds σ² = r²)
 * σ is per period; σ √(periods_per_year) annualises it. Prices are in any unit that
 * stays the same (the market monitor passes integer minor units).
 */
struct quant_realised_vol_config {
    double lambda;           /* 0 < λ < 1: the weight of the history (RiskMetrics: 0.94) */
    double periods_per_year; /* > 0: e.g. 31 536 000 for 1 s periods of a 365-day market */
};

struct quant_realised_vol {
    struct quant_realised_vol_config config;
    double variance; /* per period */
    double last_price;
    uint64_t returns_count;
    int64_t last_timestamp_us;
    bool has_price;
};

struct quant_realised_vol_value {
    double log_return;     /* this sample's (0 for the first price) */
    double variance;       /* per period */
    double vol_per_period; /* √variance */
    double vol_annualised; /* vol_per_period × √periods_per_year */
    uint64_t returns_count;
};

/* Errors: TPW_ERR_INVALID_ARGUMENT (λ outside (0, 1), periods not above 0, not finite). */
TPW_MUST_CHECK enum tpw_err quant_realised_vol_init(struct quant_realised_vol *vol,
                                                    const struct quant_realised_vol_config *config);

/*
 * Folds in the price of one period taken at `timestamp_us` (never earlier than the
 * previous one) and reads the estimate into *out. Errors, leaving the estimator
 * unchanged: TPW_ERR_INVALID_ARGUMENT (a price not finite or outside 1e−100..1e100, a
 * timestamp that goes back).
 */
TPW_MUST_CHECK enum tpw_err quant_realised_vol_update(struct quant_realised_vol *vol,
                                                      int64_t timestamp_us, double price,
                                                      struct quant_realised_vol_value *out
                                                      /* out */);

#endif /* TPWALLET_QUANT_H */
