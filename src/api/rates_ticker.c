/*
 * Exchange tickers in the server's rates: a venue of the markets file (markets.c) is
 * one aggregator provider, and each synced book's top of book becomes its quote for the
 * book's pair through fx_quote_from_ticker (exact: a power-of-ten scaling). Both steps
 * take the rates' write lock, as every change of the aggregator does (rates.c); the
 * conversion runs outside it.
 */
#include "rates.h"
#include "tpw_assert.h"

#include "banned.h"

enum tpw_err api_rates_ticker_provider(struct api_rates *rates,
                                       const struct fx_provider_config *config,
                                       uint32_t *provider_id, struct tpw_error_detail *detail)
{
    TPW_ASSERT(config->ttl_ns > 0);
    TPW_ASSERT(pthread_rwlock_wrlock(&rates->lock) == 0);
    enum tpw_err err = fx_aggregator_provider_add(rates->aggregator, config, provider_id, detail);
    TPW_ASSERT(pthread_rwlock_unlock(&rates->lock) == 0);
    return err;
}

enum tpw_err api_rates_ticker_update(struct api_rates *rates, uint32_t provider_id,
                                     const struct fx_ticker *ticker,
                                     struct tpw_error_detail *detail)
{
    struct fx_quote quote;
    enum tpw_err err = fx_quote_from_ticker(ticker, &quote, detail);
    if (err != TPW_OK) {
        return err;
    }
    TPW_ASSERT(quote.time_ns == ticker->time_ns);
    TPW_ASSERT(pthread_rwlock_wrlock(&rates->lock) == 0);
    err = fx_aggregator_update(rates->aggregator, provider_id, &quote, detail);
    TPW_ASSERT(pthread_rwlock_unlock(&rates->lock) == 0);
    return err;
}
