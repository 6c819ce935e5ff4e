/*
 * What every ECB reader shares: the checks on a rate cell and on a day's currencies,
 * and the entry point that tells the three file kinds apart by their first bytes (a
 * user's file may be named anything; eurofxref-hist.zip renamed .csv must still be
 * read as a zip, and a CSV renamed .xml refused as neither).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

enum tpw_err fx__rate_parse(const char *text, size_t text_len, struct money_rate *out,
                            struct tpw_error_detail *detail)
{
    struct tpw_error_detail decimal;
    tpw_error_detail_reset(&decimal);
    if (money_rate_parse(text, text_len, out, &decimal) != TPW_OK) {
        return tpw_error_set(detail, TPW_ERR_FX_RATE_INVALID, 0, "rate '%.*s': %s",
                             (int)(text_len > 40 ? 40 : text_len), text, decimal.message);
    }
    if (out->value_e18 == 0) {
        return tpw_error_set(detail, TPW_ERR_FX_RATE_ZERO, 0, "rate '%.*s' is zero",
                             (int)(text_len > 40 ? 40 : text_len), text);
    }
    return TPW_OK;
}

enum tpw_err fx__day_add(struct fx_ecb_day *day, const char *currency, struct money_rate per_eur,
                         struct tpw_error_detail *detail)
{
    TPW_ASSERT(fx__currency_valid(currency, strlen(currency)));
    for (size_t index = 0; index < day->rates_count; index++) {
        if (strcmp(day->rates[index].currency, currency) == 0) {
            return tpw_error_set(detail, TPW_ERR_FX_CURRENCY_DUPLICATE, 0,
                                 "%s is given twice for one day", currency);
        }
    }
    if (day->rates_count == FX_HISTORY_CURRENCIES_MAX) {
        return tpw_error_set(detail, TPW_ERR_FX_HISTORY_FULL, 0, "more than %d currencies in a day",
                             FX_HISTORY_CURRENCIES_MAX);
    }
    struct fx_ecb_rate *rate = &day->rates[day->rates_count++];
    rate->per_eur = per_eur;
    (void)snprintf(rate->currency, sizeof(rate->currency), "%s", currency);
    return TPW_OK;
}

static bool starts_with(const char *data, size_t data_len, const char *prefix)
{
    size_t prefix_len = strlen(prefix);
    return data_len >= prefix_len && memcmp(data, prefix, prefix_len) == 0;
}

enum tpw_err fx_ecb_parse(const char *data, size_t data_len, fx_history **out,
                          struct tpw_error_detail *detail)
{
    *out = NULL;
    if (starts_with(data, data_len, "PK\x03\x04")) {
        return fx_ecb_zip_parse(data, data_len, out, detail);
    }
    /* A UTF-8 byte order mark is allowed before XML and CSV alike. */
    size_t skip = starts_with(data, data_len, "\xEF\xBB\xBF") ? 3 : 0;
    while (skip < data_len &&
           (data[skip] == ' ' || data[skip] == '\t' || data[skip] == '\r' || data[skip] == '\n')) {
        skip++;
    }
    if (starts_with(data + skip, data_len - skip, "<")) {
        return fx_ecb_xml_parse(data, data_len, out, detail);
    }
    if (starts_with(data + skip, data_len - skip, "Date")) {
        return fx_ecb_csv_parse(data + skip, data_len - skip, out, detail);
    }
    return tpw_error_set(detail, TPW_ERR_FX_FORMAT_UNKNOWN, 0,
                         "neither a zip, an XML document nor a CSV whose header starts 'Date'");
}

enum tpw_err fx__read_file(const char *path, size_t size_max, char **data, size_t *data_len,
                           struct tpw_error_detail *detail)
{
    return tpw_file_read(path, size_max, TPW_ERR_FX_TOO_LARGE, data, data_len, detail);
}

enum tpw_err fx_ecb_load_file(const char *path, fx_history **out, struct tpw_error_detail *detail)
{
    *out = NULL;
    char *data = NULL;
    size_t data_len = 0;
    enum tpw_err err = fx__read_file(path, FX_ECB_FILE_SIZE_MAX, &data, &data_len, detail);
    if (err == TPW_OK) {
        err = fx_ecb_parse(data, data_len, out, detail);
        free(data);
    }
    return err;
}
