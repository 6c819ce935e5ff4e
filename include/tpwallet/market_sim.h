/*
 * The market simulator: a venue's session written in the recorded format, for the demo
 * and for tests — realistic order books and trades of any symbols, deterministic per
 * seed, integer arithmetic only (prices in ticks, quantities in lots).
 *
 * It writes what the recorder would have captured from Binance: one REST snapshot per
 * symbol (BINANCE.http.0.0) and the combined stream (BINANCE.ws.1.0) of diff-depth
 * events chained by update id, aggregated trades and book tickers. `tpwallet market
 * replay` rebuilds its final books with zero gaps; the local feed server serves it as a
 * live venue. docs/market.md "The simulator".
 *
 * The model, per symbol and per step: the mid moves by a random number of ticks (a
 * symmetric random walk whose step is drawn so that its standard deviation is about
 * `volatility_bps` of the mid per step), the book is rebuilt around it with the spread
 * and level gaps given, some resting quantities change, and a trade happens with
 * probability `trade_per_mille`/1000 at the touch, its side leaning with the move.
 * Every change of a level (new, moved, resized, removed with quantity 0) is in the
 * step's diff.
 */
#ifndef TPWALLET_MARKET_SIM_H
#define TPWALLET_MARKET_SIM_H

#include <stdint.h>
#include <stdio.h>

#include "tpwallet/error.h"
#include "tpwallet/market.h"

#define MARKET_SIM_SYMBOLS_MAX 16
#define MARKET_SIM_LEVELS_MAX 200

struct market_sim_symbol {
    char symbol[MARKET_SYMBOL_SIZE]; /* upper case, as Binance names it: "BTCUSDT" */
    uint64_t tick_minor;             /* the price step, in units of 10^-price_decimals */
    uint64_t mid_ticks;              /* the starting mid, in ticks */
    uint64_t lot_minor;              /* the quantity step, in units of 10^-qty_decimals */
};

struct market_sim_options {
    struct market_sim_symbol symbols[MARKET_SIM_SYMBOLS_MAX];
    size_t symbols_count;
    unsigned price_decimals;  /* fraction digits of every price (Binance: 8) */
    unsigned qty_decimals;    /* fraction digits of every quantity (Binance: 8) */
    unsigned levels;          /* levels per side, 1..MARKET_SIM_LEVELS_MAX */
    uint32_t spread_bps_e2;   /* half the spread around the mid, hundredths of a bp */
    uint32_t gap_bps_e2;      /* mean distance between levels, hundredths of a bp */
    uint32_t volatility_bps;  /* about one step's standard deviation, bp of the mid */
    uint32_t trade_per_mille; /* chance of a trade per step, per symbol */
    uint64_t steps;           /* steps per symbol: each is a diff and a ticker */
    uint64_t start_epoch_us;  /* the first message's time */
    uint64_t step_us;         /* time between two messages of the stream */
    uint64_t seed;
};

/* The state of one symbol's book at the end, for the caller to report or check. */
struct market_sim_final {
    char symbol[MARKET_SYMBOL_SIZE];
    uint64_t last_update_id;
    uint64_t best_bid_ticks, best_bid_lots, best_ask_ticks, best_ask_lots;
    unsigned bid_levels, ask_levels;
    uint64_t trades;
};

/*
 * Writes the session: the snapshots to `http`, the stream to `ws` (cryptofeed's raw
 * line formats, docs/market.md), and each symbol's final book into final[i]. Errors:
 * TPW_ERR_INVALID_ARGUMENT for options out of range (the detail names the option),
 * TPW_ERR_IO when a write fails.
 */
TPW_MUST_CHECK enum tpw_err market_sim_write(const struct market_sim_options *options, FILE *http,
                                             FILE *ws,
                                             struct market_sim_final final[MARKET_SIM_SYMBOLS_MAX],
                                             struct tpw_error_detail *detail);

#endif /* TPWALLET_MARKET_SIM_H */
