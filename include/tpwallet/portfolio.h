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

struct portfolio_backtest_config {
    struct portfolio_asset assets[PORTFOLIO_ASSETS_MAX];
    size_t assets_count;
    enum portfolio_check check;
    double threshold;          /* largest |weight − target| that triggers; 0 = always; 0..1 */
    double cost_bps;           /* cost per traded value, basis points; 0..1000 */
    unsigned periods_per_year; /* annualisation of daily statistics: 252 or 365, 1..366 */
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

#endif /* TPWALLET_PORTFOLIO_H */
