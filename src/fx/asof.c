/*
 * Questions asked of a history: a currency's rate as of a date (the latest observation
 * on or before it, refused when older than a staleness limit) and cross rates between
 * two currencies through the euro, the only way the ECB's rates combine: it publishes
 * no inverse or cross rates.
 */
#include <string.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

/* One euro, at the rate scale. */
#define FX_ONE_E18 ((tpw_u128)1000000000000000000ull)

/* Index of the last observation on or before `date_days`, or `count` when none. */
static size_t last_on_or_before(const struct fx_series *series, int32_t date_days)
{
    size_t low = 0;
    size_t high = series->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (series->observations[middle].date_days <= date_days) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low == 0 ? series->count : low - 1;
}

static enum tpw_err currency_check(const char *currency, struct tpw_error_detail *detail)
{
    if (strcmp(currency, "EUR") == 0 || fx__currency_valid(currency, strlen(currency))) {
        return TPW_OK;
    }
    tpw_error_set_param(detail, "currency");
    (void)tpw_error_set(detail, TPW_ERR_FX_CURRENCY_INVALID, 0,
                        "'%.16s' is not a three-letter currency code", currency);
    return TPW_ERR_FX_CURRENCY_INVALID;
}

enum tpw_err fx_history_rate_as_of(const fx_history *history, const char *currency,
                                   int32_t date_days, int32_t stale_days,
                                   struct fx_observation *out, struct tpw_error_detail *detail)
{
    TPW_ASSERT(stale_days >= 0);
    enum tpw_err err = currency_check(currency, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (strcmp(currency, "EUR") == 0) {
        *out = (struct fx_observation){{FX_ONE_E18}, date_days};
        return TPW_OK;
    }
    char date[FX_DATE_TEXT_SIZE];
    fx_date_format(date_days, date);
    const struct fx_series *series = fx__history_find(history, currency);
    size_t index = series == NULL ? 0 : last_on_or_before(series, date_days);
    if (series == NULL || index == series->count) {
        tpw_error_set_param(detail, currency);
        (void)tpw_error_set(detail, TPW_ERR_FX_RATE_UNAVAILABLE, 0, "no rate of %s on or before %s",
                            currency, date);
        return TPW_ERR_FX_RATE_UNAVAILABLE;
    }
    const struct fx_observation *found = &series->observations[index];
    TPW_ASSERT(found->date_days <= date_days);
    if (date_days - found->date_days > stale_days) {
        char found_date[FX_DATE_TEXT_SIZE];
        fx_date_format(found->date_days, found_date);
        tpw_error_set_param(detail, currency);
        (void)tpw_error_set(detail, TPW_ERR_FX_RATE_STALE, 0,
                            "the latest rate of %s on or before %s is of %s, %d days older "
                            "(limit %d)",
                            currency, date, found_date, (int)(date_days - found->date_days),
                            (int)stale_days);
        return TPW_ERR_FX_RATE_STALE;
    }
    *out = *found;
    return TPW_OK;
}

/* TO per FROM from the two legs (units per euro), half-even at 10^-18. */
static enum tpw_err cross_of(const char *from, const char *to,
                             const struct fx_observation *from_leg,
                             const struct fx_observation *to_leg, struct fx_cross_rate *out,
                             struct tpw_error_detail *detail)
{
    TPW_ASSERT(from_leg->per_eur.value_e18 != 0);
    tpw_u128 mid_e18 = 0;
    /* Rounding point: the quotient's 19th fraction digit and beyond, half-even (no bias
     * over many conversions; docs/fx.md). Overflow needs a quotient above 3.4 × 10^20. */
    enum tpw_err err = money_muldiv(to_leg->per_eur.value_e18, FX_ONE_E18,
                                    from_leg->per_eur.value_e18, MONEY_ROUND_HALF_EVEN, &mid_e18);
    if (err != TPW_OK) {
        return tpw_error_set(detail, err, 0, "%s→%s does not fit a rate", from, to);
    }
    if (mid_e18 == 0) {
        return tpw_error_set(detail, TPW_ERR_FX_RATE_ZERO, 0,
                             "%s→%s rounds to 0 at 18 fraction digits", from, to);
    }
    out->mid.value_e18 = mid_e18;
    out->as_of_days =
        from_leg->date_days < to_leg->date_days ? from_leg->date_days : to_leg->date_days;
    return TPW_OK;
}

enum tpw_err fx_history_cross(const fx_history *history, const char *from, const char *to,
                              int32_t date_days, int32_t stale_days, struct fx_cross_rate *out,
                              struct tpw_error_detail *detail)
{
    struct fx_observation from_leg;
    struct fx_observation to_leg;
    enum tpw_err err =
        fx_history_rate_as_of(history, from, date_days, stale_days, &from_leg, detail);
    if (err == TPW_OK) {
        err = fx_history_rate_as_of(history, to, date_days, stale_days, &to_leg, detail);
    }
    return err == TPW_OK ? cross_of(from, to, &from_leg, &to_leg, out, detail) : err;
}

/* The date of a currency's last observation. EUR has one on every date; its last is the
 * history's last date, so EUR→EUR is as of the newest publication. */
static enum tpw_err last_date(const fx_history *history, const char *currency, int32_t *out,
                              struct tpw_error_detail *detail)
{
    enum tpw_err err = currency_check(currency, detail);
    if (err != TPW_OK) {
        return err;
    }
    const struct fx_series *series = fx__history_find(history, currency);
    bool euro = strcmp(currency, "EUR") == 0;
    if (euro && history->series_count > 0) {
        *out = history->series[0].observations[history->series[0].count - 1].date_days;
        for (size_t index = 1; index < history->series_count; index++) {
            const struct fx_series *other = &history->series[index];
            int32_t last = other->observations[other->count - 1].date_days;
            *out = last > *out ? last : *out;
        }
        return TPW_OK;
    }
    if (series == NULL) {
        tpw_error_set_param(detail, currency);
        return tpw_error_set(detail, TPW_ERR_FX_RATE_UNAVAILABLE, 0, "no rate of %s at all",
                             currency);
    }
    *out = series->observations[series->count - 1].date_days;
    return TPW_OK;
}

enum tpw_err fx_history_cross_latest(const fx_history *history, const char *from, const char *to,
                                     struct fx_cross_rate *out, struct tpw_error_detail *detail)
{
    int32_t from_last = 0;
    int32_t to_last = 0;
    enum tpw_err err = last_date(history, from, &from_last, detail);
    if (err == TPW_OK) {
        err = last_date(history, to, &to_last, detail);
    }
    if (err != TPW_OK) {
        return err;
    }
    int32_t date_days = from_last < to_last ? from_last : to_last;
    /* No limit: each leg's last observation is on or before the earlier last date. */
    return fx_history_cross(history, from, to, date_days, FX_DAYS_MAX, out, detail);
}
