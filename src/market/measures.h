/*
 * The market monitor's exact measures (measures.c; formulas in docs/market.md,
 * "Anomaly detection"): integers only, shared by the monitor and its tests.
 */
#ifndef MARKET_MEASURES_H
#define MARKET_MEASURES_H

#include <stdbool.h>

#include "tpwallet/market.h"

__extension__ typedef __int128 market__i128;

/* A book's best bid and ask; `valid` when both sides have a level. */
struct market__top {
    struct market_level bid;
    struct market_level ask;
    bool valid;
};

void market__top_read(const struct market_book *book, struct market__top *out /* out */);

/* The order-flow imbalance of one top-of-book change (Cont, Kukanov & Stoikov), in the
 * book's quantity units; both tops valid. */
market__i128 market__ofi_step(const struct market__top *before, const struct market__top *after);

/* *sum += value; false, leaving *sum, when it would overflow. */
bool market__i128_add(market__i128 *sum, market__i128 value);

struct market_decimal market__decimal_of_i128(market__i128 value, unsigned exponent);

/* (S' − S) × 10^4 / S, half-up at MARKET_RATIO_EXPONENT, from the sums S of best bid and
 * ask (twice the mid). Errors: TPW_ERR_DIVISION_BY_ZERO, TPW_ERR_OVERFLOW. */
TPW_MUST_CHECK enum tpw_err market__mid_return_bps(tpw_u128 sum_before, tpw_u128 sum_after,
                                                   struct market_decimal *out /* out */);

#endif /* MARKET_MEASURES_H */
