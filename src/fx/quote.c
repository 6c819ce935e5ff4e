/*
 * ECB days as quotes: the form every provider's prices take (struct fx_quote), so the
 * aggregation can weigh the ECB against other sources. The ECB fixes its rates around
 * 14:10 and publishes them about 16:00 Frankfurt time; a quote carries 16:00 local time
 * on its date, the moment the rates became known. Frankfurt is on CET (UTC+1) and on
 * CEST (UTC+2) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
 * Sunday of October (the EU rule, Directive 2000/84/EC). 16:00 local is 14:00 or 15:00
 * UTC, hours after either switch, so the offset is that of the whole calendar day.
 */
#include <stdio.h>
#include <string.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define SECONDS_PER_DAY UINT64_C(86400)
#define SECONDS_PER_HOUR UINT64_C(3600)
#define NS_PER_SECOND UINT64_C(1000000000)
#define FX_ECB_LOCAL_HOUR UINT64_C(16)

/* The last Sunday of `month` (March or October: never December) in `year`. */
static int32_t last_sunday(int32_t year, unsigned month)
{
    TPW_ASSERT(month < 12);
    int32_t last_day = fx__date_from_civil(year, month + 1, 1) - 1;
    return last_day - (int32_t)fx__date_weekday(last_day);
}

uint64_t fx_ecb_fixing_time_ns(int32_t date_days)
{
    TPW_ASSERT(date_days >= FX_DAYS_MIN && date_days <= FX_DAYS_MAX);
    int32_t year = 0;
    unsigned month = 0;
    unsigned day = 0;
    fx__date_to_civil(date_days, &year, &month, &day);
    /* On the last Sunday of March the clocks went forward at 01:00 UTC, before 16:00
     * local; on the last Sunday of October they went back, also before it. */
    bool summer = date_days >= last_sunday(year, 3) && date_days < last_sunday(year, 10);
    uint64_t offset_hours = summer ? UINT64_C(2) : UINT64_C(1);
    uint64_t seconds = (uint64_t)(uint32_t)date_days * SECONDS_PER_DAY +
                       (FX_ECB_LOCAL_HOUR - offset_hours) * SECONDS_PER_HOUR;
    return seconds * NS_PER_SECOND;
}

enum tpw_err fx_ecb_day_quotes(const struct fx_ecb_day *day, struct fx_quote *quotes,
                               size_t quotes_max, size_t *quotes_count,
                               struct tpw_error_detail *detail)
{
    TPW_ASSERT(day->rates_count <= FX_HISTORY_CURRENCIES_MAX);
    if (quotes_max < day->rates_count) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                             "room for %zu quotes, the day has %zu", quotes_max, day->rates_count);
    }
    uint64_t time_ns = fx_ecb_fixing_time_ns(day->date_days);
    for (size_t index = 0; index < day->rates_count; index++) {
        struct fx_quote *quote = &quotes[index];
        memset(quote, 0, sizeof(*quote));
        (void)snprintf(quote->base, sizeof(quote->base), "EUR");
        (void)snprintf(quote->quote, sizeof(quote->quote), "%s", day->rates[index].currency);
        quote->bid = day->rates[index].per_eur;
        quote->ask = day->rates[index].per_eur;
        quote->time_ns = time_ns;
        TPW_ASSERT(quote->bid.value_e18 != 0);
    }
    *quotes_count = day->rates_count;
    return TPW_OK;
}
