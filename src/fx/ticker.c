/*
 * Exchange tickers as quotes: the interface through which a venue's top of book (the
 * market module's scaled integers: price × 10^price_exponent in 64 bits) becomes a
 * provider's quote. The rate type holds 18 fraction digits and a venue's price at most
 * 18 (MARKET_EXPONENT_MAX), so the conversion is a multiplication by a power of ten:
 * exact, no rounding point. fx does not depend on the market module, nor the market
 * module on fx: whoever holds both (the server) calls this with a book's best levels.
 */
#include <string.h>

#include "aggregate.h"
#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

static tpw_u128 pow10_u128(unsigned exponent)
{
    tpw_u128 value = 1;
    for (unsigned i = 0; i < exponent; i++) {
        value *= 10u;
    }
    return value;
}

enum tpw_err fx_quote_from_ticker(const struct fx_ticker *ticker, struct fx_quote *out,
                                  struct tpw_error_detail *detail)
{
    if (!fx__code_valid(ticker->base) || !fx__code_valid(ticker->quote) ||
        strcmp(ticker->base, ticker->quote) == 0) {
        return tpw_error_set(detail, TPW_ERR_FX_QUOTE_INVALID, 0,
                             "a ticker needs two different asset codes");
    }
    if (ticker->price_exponent > MONEY_RATE_SCALE_DIGITS) {
        return tpw_error_set(detail, TPW_ERR_FX_QUOTE_INVALID, 0,
                             "%s/%s: prices in units of 10^-%u are finer than a rate holds",
                             ticker->base, ticker->quote, ticker->price_exponent);
    }
    if (ticker->bid_minor == 0 || ticker->bid_minor > ticker->ask_minor) {
        /* An empty side, or a crossed book: no price to quote. */
        return tpw_error_set(detail, TPW_ERR_FX_QUOTE_INVALID, 0,
                             "%s/%s: the bid must be above zero and not above the ask",
                             ticker->base, ticker->quote);
    }
    tpw_u128 scale = pow10_u128(MONEY_RATE_SCALE_DIGITS - ticker->price_exponent);
    memset(out, 0, sizeof *out);
    memcpy(out->base, ticker->base, strlen(ticker->base) + 1);
    memcpy(out->quote, ticker->quote, strlen(ticker->quote) + 1);
    /* Below 2^64 × 10^18 < 2^124: no overflow. */
    out->bid.value_e18 = (tpw_u128)ticker->bid_minor * scale;
    out->ask.value_e18 = (tpw_u128)ticker->ask_minor * scale;
    out->time_ns = ticker->time_ns;
    return TPW_OK;
}
