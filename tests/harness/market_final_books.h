/*
 * The final books tests/data/marketdata/README.md gives for its recordings: one table
 * for what checks a replay against them (bench/market_recordings.c,
 * tests/api/test_api_markets.c). Prices and quantities as the venues print them.
 */
#ifndef TPW_MARKET_FINAL_BOOKS_H
#define TPW_MARKET_FINAL_BOOKS_H

#include <stddef.h>
#include <stdint.h>

struct market_final_book {
    const char *venue;
    const char *symbol;
    uint64_t update_id;
    const char *bid;
    const char *bid_qty;
    const char *ask;
    const char *ask_qty;
    size_t bid_levels;
    size_t ask_levels;
};

static const struct market_final_book market_final_books[] = {
    {"BINANCE", "NKNUSDT", 499870179, "0.35270000", "9602.00000000", "0.35310000", "152.00000000",
     614, 994},
    {"BINANCE", "BLZETH", 281916638, "0.00006547", "100.00000000", "0.00006560", "1528.00000000",
     173, 999},
    {"BINANCE", "LRCBTC", 259345563, "0.00000637", "2500.00000000", "0.00000638", "2285.00000000",
     176, 1000},
    {"BINANCE", "RUNEEUR", 15602513, "6.25100000", "69.30000000", "6.26900000", "69.30000000", 222,
     468},
    {"BINANCE_US", "COMPUSDT", 113129399, "296.92000000", "16.81835000", "297.46000000",
     "2.90000000", 219, 525},
    {"BINANCE_US", "OMGBUSD", 77819802, "13.73070000", "91.95000000", "13.77280000", "72.96000000",
     196, 183},
    {"BINANCE_US", "CRVUSDT", 1938877, "2.64300000", "1889.60000000", "2.64800000", "2026.90000000",
     73, 62},
    {"BINANCE_US", "ZRXUSDT", 96975046, "0.99470000", "307.93000000", "0.99780000", "7119.69000000",
     174, 256},
};
#define MARKET_FINAL_BOOKS_COUNT (sizeof(market_final_books) / sizeof(market_final_books[0]))

#endif
