/*
 * Pricing and FX: rates from several providers, aggregated per currency pair with TTLs
 * and degradation, fees per corridor, the cheapest conversion route, locked quotes.
 *
 * Every rate is exact: struct money_rate (a decimal scaled by 10^18), never floating
 * point; every rounding point names its rounding mode (docs/fx.md lists them). The
 * module depends on money and base only: executing a conversion on the ledger is the
 * caller's (the HTTP API's) job, from the legs a quote describes.
 */
#ifndef TPWALLET_FX_H
#define TPWALLET_FX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/error.h"
#include "tpwallet/money.h"

/* ------------------------------------------------------------------------------------
 * Quotes: what every provider produces
 * ------------------------------------------------------------------------------------ */

/* An asset code ("EUR", "USDT") and its NUL. */
#define FX_CODE_SIZE (MONEY_ASSET_CODE_LEN_MAX + 1)

/*
 * One provider's price for one pair. `bid` and `ask` are units of `quote` per one unit
 * of `base` (EUR/USD at 1.1684: base "EUR", quote "USD"); bid ≤ ask, both > 0. A
 * reference rate with no spread (the ECB's) has bid = ask.
 */
struct fx_quote {
    char base[FX_CODE_SIZE];
    char quote[FX_CODE_SIZE];
    struct money_rate bid;
    struct money_rate ask;
    uint64_t time_ns; /* when the provider says the price held (ns since the epoch, UTC) */
};

#endif /* TPWALLET_FX_H */
