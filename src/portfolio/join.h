/*
 * The inner join of daily price series on date (internal to src/portfolio): the rows
 * where every priced series has a close, a cash asset (a NULL series) priced 1. The
 * backtest runs its policy over these rows; the simulator estimates its market from
 * their log-returns.
 */
#ifndef PORTFOLIO_JOIN_H
#define PORTFOLIO_JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "tpwallet/portfolio.h"

struct joined {
    size_t assets_count;
    size_t rows_count;
    int32_t *days;
    double *closes; /* closes[row * assets_count + asset] */
    double *values; /* per row, for the caller (the backtest's portfolio values) */
};

/* Joins `series` (assets_count ≤ PORTFOLIO_ASSETS_MAX, at least one not NULL, each
 * non-empty and ascending). Errors: _NO_OVERLAP when fewer than `rows_min` rows are
 * common, TPW_ERR_NOMEM. On error `joined` holds nothing to free. */
TPW_MUST_CHECK enum tpw_err join_series(const struct portfolio_series *const series[],
                                        size_t assets_count, size_t rows_min, struct joined *joined,
                                        struct tpw_error_detail *detail);
void joined_deinit(struct joined *joined);

#endif /* PORTFOLIO_JOIN_H */
