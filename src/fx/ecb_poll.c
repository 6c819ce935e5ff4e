/*
 * tpw_fx_live: one poll of the ECB provider — fetch the daily file and feed it to the
 * aggregator, or, when anything fails (transfer, status, document), mark the provider
 * down. Its last good quotes then keep serving until their TTL: the aggregator judges
 * freshness from the quotes, not from the provider's health.
 */
#include "fx_int.h"

#include "banned.h"

enum tpw_err fx_ecb_poll(fx_aggregator *aggregator, uint32_t provider_id, const char *url,
                         uint32_t timeout_ms, size_t *stored, struct tpw_error_detail *detail)
{
    *stored = 0;
    struct fx_ecb_day day = {0};
    enum tpw_err err = fx_ecb_fetch(url, timeout_ms, NULL, &day, detail);
    if (err == TPW_OK) {
        err = fx_ecb_provide_day(aggregator, provider_id, &day, stored, detail);
    }
    if (err != TPW_OK) {
        fx_aggregator_provider_failed(aggregator, provider_id, err);
    }
    return err;
}
