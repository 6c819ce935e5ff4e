/*
 * The ECB as a provider of the aggregator: a day of reference rates becomes the
 * provider's quotes (EUR/X, no spread, dated at the day's 16:00 Frankfurt fixing), and
 * the newest day of a stored history can be fed the same way when a server starts. A
 * day older than the one the aggregator holds is skipped, not an error: the ECB never
 * revises, so an older file has nothing new.
 */
#include <stdlib.h>
#include <string.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

enum tpw_err fx_ecb_provide_day(fx_aggregator *aggregator, uint32_t provider_id,
                                const struct fx_ecb_day *day, size_t *stored,
                                struct tpw_error_detail *detail)
{
    struct fx_quote *quotes = calloc(FX_HISTORY_CURRENCIES_MAX, sizeof *quotes);
    if (quotes == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for a day's quotes");
    }
    size_t count = 0;
    *stored = 0;
    enum tpw_err err = fx_ecb_day_quotes(day, quotes, FX_HISTORY_CURRENCIES_MAX, &count, detail);
    for (size_t i = 0; err == TPW_OK && i < count; i++) {
        err = fx_aggregator_update(aggregator, provider_id, &quotes[i], detail);
        if (err == TPW_OK) {
            (*stored)++;
        } else if (err == TPW_ERR_FX_QUOTE_OUT_OF_ORDER) {
            err = TPW_OK; /* an older publication than the one held */
            tpw_error_detail_reset(detail);
        }
    }
    free(quotes);
    return err;
}

enum tpw_err fx_ecb_history_latest_day(const fx_history *history, struct fx_ecb_day *out,
                                       struct tpw_error_detail *detail)
{
    struct fx_history_summary summary;
    enum tpw_err err = fx_history_summarize(history, &summary, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (summary.days_count == 0) {
        return tpw_error_set(detail, TPW_ERR_FX_RATE_UNAVAILABLE, 0, "the history is empty");
    }
    memset(out, 0, sizeof *out);
    out->date_days = summary.last_days;
    size_t currencies = fx_history_currencies_count(history);
    for (size_t i = 0; i < currencies; i++) {
        const char *currency = fx_history_currency_at(history, i);
        struct fx_observation observation;
        /* Staleness 0: only the currencies quoted on that very day. */
        if (fx_history_rate_as_of(history, currency, summary.last_days, 0, &observation, NULL) !=
            TPW_OK) {
            continue;
        }
        TPW_ASSERT(out->rates_count < FX_HISTORY_CURRENCIES_MAX);
        struct fx_ecb_rate *rate = &out->rates[out->rates_count++];
        memcpy(rate->currency, currency, strlen(currency) + 1);
        rate->per_eur = observation.per_eur;
    }
    return TPW_OK;
}
