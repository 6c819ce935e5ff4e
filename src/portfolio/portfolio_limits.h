/*
 * Limits of the portfolio module, each with its reason.
 */
#ifndef PORTFOLIO_LIMITS_H
#define PORTFOLIO_LIMITS_H

#include "tpwallet/portfolio.h"

/* A price file is read whole: the largest shared file (SPY, 33 years daily) is 0.8 MB;
 * 64 MiB is room for minute-free daily data of any history, and a bound on memory. */
#define PORTFOLIO_FILE_BYTES_MAX ((size_t)64 << 20)

/* Rows of one series: 200,000 days is 547 years of daily closes. */
#define PORTFOLIO_ROWS_MAX ((size_t)200000)

/* One CSV line: the widest real row (Bitstamp's nine columns) is under 120 bytes. */
#define PORTFOLIO_LINE_BYTES_MAX ((size_t)4096)

/* Fields read from one line; a wider file is refused rather than truncated. */
#define PORTFOLIO_FIELDS_MAX 64

/* The header must appear within the first lines: a banner (Bitstamp's URL line) is one
 * line; more than a few lines of preamble is a different format. */
#define PORTFOLIO_HEADER_SEARCH_LINES 5

/* A price field: "51836.007813" is 12 characters; longer is not a price. */
#define PORTFOLIO_NUMBER_BYTES_MAX 64

/* Dates are four-digit years: 0001-01-01 .. 9999-12-31. */
#define PORTFOLIO_YEAR_MIN 1
#define PORTFOLIO_YEAR_MAX 9999

/* The bounds of the backtest's parameters (portfolio.h). A rebalance trades at most
 * twice the value (everything sold, everything bought), so costs of up to 1000 bps take
 * at most a fifth of it and the value stays positive. */
#define PORTFOLIO_COST_BPS_MAX 1000.0
#define PORTFOLIO_PERIODS_PER_YEAR_MAX 366u

_Static_assert(PORTFOLIO_ROWS_MAX <= INT32_MAX, "row indexes fit in 32 bits");
_Static_assert(PORTFOLIO_NUMBER_BYTES_MAX < PORTFOLIO_LINE_BYTES_MAX, "a field fits in a line");
_Static_assert(PORTFOLIO_ASSETS_MAX <= PORTFOLIO_FIELDS_MAX, "bounded loops");

#endif /* PORTFOLIO_LIMITS_H */
