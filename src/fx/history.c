/*
 * The rate history: per currency, its ECB observations in date order. Two ways in:
 * fx_history_add() keeps everything sorted and checked at each call (the public API,
 * one observation at a time), while the parsers append unsorted and seal once, so a
 * whole file is sorted with one qsort per currency. Merging builds a new history from
 * both and swaps it in only when it sealed without a conflict: all or nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

/* The first allocation of a series: a month or so of business days. */
#define FX_SERIES_CAPACITY_INITIAL 32

fx_history *fx_history_create(void)
{
    return calloc(1, sizeof(struct fx_history));
}

void fx_history_destroy(fx_history *history)
{
    if (history == NULL) {
        return;
    }
    for (size_t index = 0; index < history->series_count; index++) {
        free(history->series[index].observations);
    }
    free(history);
}

bool fx__currency_valid(const char *text, size_t text_len)
{
    if (text_len != 3 || memcmp(text, "EUR", 3) == 0) {
        return false;
    }
    for (size_t index = 0; index < text_len; index++) {
        if (text[index] < 'A' || text[index] > 'Z') {
            return false;
        }
    }
    return true;
}

const struct fx_series *fx__history_find(const fx_history *history, const char *currency)
{
    for (size_t index = 0; index < history->series_count; index++) {
        if (strcmp(history->series[index].currency, currency) == 0) {
            return &history->series[index];
        }
    }
    return NULL;
}

/* The series of `currency`, created in code order when missing; NULL when full. */
static struct fx_series *series_for(fx_history *history, const char *currency,
                                    struct tpw_error_detail *detail)
{
    size_t position = 0;
    while (position < history->series_count) {
        int order = strcmp(history->series[position].currency, currency);
        if (order == 0) {
            return &history->series[position];
        }
        if (order > 0) {
            break;
        }
        position++;
    }
    if (history->series_count == FX_HISTORY_CURRENCIES_MAX) {
        (void)tpw_error_set(detail, TPW_ERR_FX_HISTORY_FULL, 0,
                            "more than %d currencies (adding '%s')", FX_HISTORY_CURRENCIES_MAX,
                            currency);
        return NULL;
    }
    memmove(&history->series[position + 1], &history->series[position],
            (history->series_count - position) * sizeof(struct fx_series));
    struct fx_series *series = &history->series[position];
    memset(series, 0, sizeof(*series));
    (void)snprintf(series->currency, sizeof(series->currency), "%s", currency);
    series->sorted = true;
    history->series_count++;
    return series;
}

/* Room for one more observation. */
static enum tpw_err series_reserve(struct fx_series *series, struct tpw_error_detail *detail)
{
    if (series->count < series->capacity) {
        return TPW_OK;
    }
    if (series->count >= FX_HISTORY_DAYS_MAX) {
        return tpw_error_set(detail, TPW_ERR_FX_HISTORY_FULL, 0, "more than %d days of '%s'",
                             FX_HISTORY_DAYS_MAX, series->currency);
    }
    size_t capacity = series->capacity == 0 ? FX_SERIES_CAPACITY_INITIAL : series->capacity * 2;
    if (capacity > FX_HISTORY_DAYS_MAX) {
        capacity = FX_HISTORY_DAYS_MAX;
    }
    struct fx_observation *grown =
        realloc(series->observations, capacity * sizeof(struct fx_observation));
    if (grown == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for the history of '%s'",
                             series->currency);
    }
    series->observations = grown;
    series->capacity = capacity;
    return TPW_OK;
}

enum tpw_err fx__history_append(fx_history *history, const char *currency, int32_t date_days,
                                struct money_rate per_eur, struct tpw_error_detail *detail)
{
    TPW_ASSERT(fx__currency_valid(currency, strlen(currency)));
    TPW_ASSERT(per_eur.value_e18 != 0);
    struct fx_series *series = series_for(history, currency, detail);
    if (series == NULL) {
        return TPW_ERR_FX_HISTORY_FULL;
    }
    enum tpw_err err = series_reserve(series, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (series->count > 0 && series->observations[series->count - 1].date_days >= date_days) {
        series->sorted = false;
    }
    series->observations[series->count++] = (struct fx_observation){per_eur, date_days};
    return TPW_OK;
}

enum tpw_err fx__history_append_day(fx_history *history, const struct fx_ecb_day *day,
                                    struct tpw_error_detail *detail)
{
    for (size_t index = 0; index < day->rates_count; index++) {
        enum tpw_err err = fx__history_append(history, day->rates[index].currency, day->date_days,
                                              day->rates[index].per_eur, detail);
        if (err != TPW_OK) {
            return err;
        }
    }
    return TPW_OK;
}

static int observation_order(const void *left, const void *right)
{
    const struct fx_observation *a = left;
    const struct fx_observation *b = right;
    if (a->date_days != b->date_days) {
        return a->date_days < b->date_days ? -1 : 1;
    }
    if (a->per_eur.value_e18 != b->per_eur.value_e18) {
        return a->per_eur.value_e18 < b->per_eur.value_e18 ? -1 : 1;
    }
    return 0;
}

static enum tpw_err conflict(const char *currency, int32_t date_days, struct money_rate first,
                             struct money_rate second, struct tpw_error_detail *detail)
{
    char date[FX_DATE_TEXT_SIZE];
    char first_text[MONEY_DECIMAL_TEXT_SIZE];
    char second_text[MONEY_DECIMAL_TEXT_SIZE];
    fx_date_format(date_days, date);
    (void)money_rate_format(first, first_text, sizeof(first_text));
    (void)money_rate_format(second, second_text, sizeof(second_text));
    tpw_error_set_param(detail, currency);
    return tpw_error_set(detail, TPW_ERR_FX_HISTORY_CONFLICT, 0, "%s on %s is both %s and %s",
                         currency, date, first_text, second_text);
}

/* Sorts one series and folds repeats of the same (date, rate). */
static enum tpw_err series_seal(struct fx_series *series, struct tpw_error_detail *detail)
{
    if (series->sorted) {
        return TPW_OK;
    }
    qsort(series->observations, series->count, sizeof(struct fx_observation), observation_order);
    size_t kept = 0;
    for (size_t index = 0; index < series->count; index++) {
        const struct fx_observation *next = &series->observations[index];
        if (kept > 0 && series->observations[kept - 1].date_days == next->date_days) {
            if (series->observations[kept - 1].per_eur.value_e18 != next->per_eur.value_e18) {
                return conflict(series->currency, next->date_days,
                                series->observations[kept - 1].per_eur, next->per_eur, detail);
            }
            continue;
        }
        series->observations[kept++] = *next;
    }
    series->count = kept;
    series->sorted = true;
    return TPW_OK;
}

enum tpw_err fx__history_seal(fx_history *history, struct tpw_error_detail *detail)
{
    for (size_t index = 0; index < history->series_count; index++) {
        enum tpw_err err = series_seal(&history->series[index], detail);
        if (err != TPW_OK) {
            return err;
        }
    }
    return TPW_OK;
}

/* Appends all of `from` to `into` (not sealed). */
static enum tpw_err append_all(fx_history *into, const fx_history *from,
                               struct tpw_error_detail *detail)
{
    for (size_t index = 0; index < from->series_count; index++) {
        const struct fx_series *series = &from->series[index];
        for (size_t at = 0; at < series->count; at++) {
            enum tpw_err err =
                fx__history_append(into, series->currency, series->observations[at].date_days,
                                   series->observations[at].per_eur, detail);
            if (err != TPW_OK) {
                return err;
            }
        }
    }
    return TPW_OK;
}

enum tpw_err fx_history_merge(fx_history *into, const fx_history *from,
                              struct tpw_error_detail *detail)
{
    fx_history *merged = fx_history_create();
    if (merged == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for the merged history");
    }
    enum tpw_err err = append_all(merged, into, detail);
    if (err == TPW_OK) {
        err = append_all(merged, from, detail);
    }
    if (err == TPW_OK) {
        err = fx__history_seal(merged, detail);
    }
    if (err == TPW_OK) {
        /* Swap the contents: the caller's handle now holds the merged series. */
        struct fx_history old = *into;
        *into = *merged;
        *merged = old;
    }
    fx_history_destroy(merged);
    return err;
}

enum tpw_err fx_history_add(fx_history *history, const char *currency, int32_t date_days,
                            struct money_rate per_eur, struct tpw_error_detail *detail)
{
    if (!fx__currency_valid(currency, strlen(currency))) {
        return tpw_error_set(detail, TPW_ERR_FX_CURRENCY_INVALID, 0,
                             "'%.16s' is not a currency code other than EUR", currency);
    }
    if (per_eur.value_e18 == 0) {
        return tpw_error_set(detail, TPW_ERR_FX_RATE_ZERO, 0, "a rate of 0 for '%s'", currency);
    }
    if (date_days < FX_DAYS_MIN || date_days > FX_DAYS_MAX) {
        return tpw_error_set(detail, TPW_ERR_FX_DATE_INVALID, 0, "day %d is out of range",
                             (int)date_days);
    }
    fx_history *one = fx_history_create();
    if (one == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for an observation");
    }
    enum tpw_err err = fx__history_append(one, currency, date_days, per_eur, detail);
    if (err == TPW_OK) {
        err = fx_history_merge(history, one, detail);
    }
    fx_history_destroy(one);
    return err;
}

static int day_order(const void *left, const void *right)
{
    int32_t a = *(const int32_t *)left;
    int32_t b = *(const int32_t *)right;
    return a < b ? -1 : (a > b ? 1 : 0);
}

/* Distinct dates over every series (a sorted copy of all of them). */
static size_t distinct_days(const fx_history *history, size_t observations_count)
{
    int32_t *dates = malloc(observations_count * sizeof(int32_t));
    if (dates == NULL) {
        return 0;
    }
    size_t filled = 0;
    for (size_t index = 0; index < history->series_count; index++) {
        const struct fx_series *series = &history->series[index];
        for (size_t at = 0; at < series->count; at++) {
            dates[filled++] = series->observations[at].date_days;
        }
    }
    qsort(dates, filled, sizeof(int32_t), day_order);
    size_t distinct = 0;
    for (size_t index = 0; index < filled; index++) {
        distinct += index == 0 || dates[index] != dates[index - 1] ? 1 : 0;
    }
    free(dates);
    return distinct;
}

enum tpw_err fx_history_summarize(const fx_history *history, struct fx_history_summary *summary,
                                  struct tpw_error_detail *detail)
{
    memset(summary, 0, sizeof(*summary));
    bool any = false;
    for (size_t index = 0; index < history->series_count; index++) {
        const struct fx_series *series = &history->series[index];
        /* A public history holds no empty series: a failed append discards its history. */
        TPW_ASSERT(series->sorted && series->count > 0);
        int32_t first = series->observations[0].date_days;
        int32_t last = series->observations[series->count - 1].date_days;
        summary->first_days = !any || first < summary->first_days ? first : summary->first_days;
        summary->last_days = !any || last > summary->last_days ? last : summary->last_days;
        summary->currencies_count++;
        summary->observations_count += series->count;
        any = true;
    }
    if (any) {
        summary->days_count = distinct_days(history, summary->observations_count);
        if (summary->days_count == 0) {
            return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory to count the days");
        }
    }
    return TPW_OK;
}

size_t fx_history_currencies_count(const fx_history *history)
{
    return history->series_count;
}

const char *fx_history_currency_at(const fx_history *history, size_t index)
{
    TPW_ASSERT(index < history->series_count);
    return history->series[index].currency;
}
