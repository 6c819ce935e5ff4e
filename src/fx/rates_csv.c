/*
 * Static rates from CSV (docs/formats/fx-static-rates.md): the rates an operator
 * configures rather than feeds — pegs (HKD, AED), stablecoins at par, a currency no
 * provider quotes. One line per pair, `base,quote,rate` or `base,quote,bid,ask`,
 * exact decimals; `#` comments and blank lines skipped; errors name the line.
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define STATIC_RATES_FILE_SIZE_MAX ((size_t)1024 * 1024)

static const struct fx__csv_form rates_form = {
    .what = "static rates",
    .expected = "expected base,quote,rate or base,quote,bid,ask",
    .fields_min = 3,
    .fields_max = 4,
};

static bool rate_text(const char *text, struct money_rate *out)
{
    return money_rate_parse(text, strlen(text), out, NULL) == TPW_OK && out->value_e18 != 0;
}

static bool pair_taken(const struct fx_static_rates *rates, const char *base, const char *quote)
{
    for (size_t i = 0; i < rates->count; i++) {
        const struct fx_quote *held = &rates->quotes[i];
        if ((strcmp(held->base, base) == 0 && strcmp(held->quote, quote) == 0) ||
            (strcmp(held->base, quote) == 0 && strcmp(held->quote, base) == 0)) {
            return true;
        }
    }
    return false;
}

static enum tpw_err rate_line(void *context, const struct fx__csv_fields *f, size_t line,
                              struct tpw_error_detail *detail)
{
    struct fx_static_rates *rates = context;
    const char *what = rates_form.what;
    if (!fx__code_valid(f->text[0]) || !fx__code_valid(f->text[1]) ||
        strcmp(f->text[0], f->text[1]) == 0) {
        return fx__csv_line_error(detail, TPW_ERR_FX_CSV_SYNTAX, what, line,
                                  "base and quote are two different asset codes");
    }
    struct fx_quote quote = {0};
    bool single = f->count == 3;
    if (!rate_text(f->text[2], &quote.bid) || !rate_text(f->text[single ? 2 : 3], &quote.ask) ||
        quote.bid.value_e18 > quote.ask.value_e18) {
        return fx__csv_line_error(detail, TPW_ERR_FX_QUOTE_INVALID, what, line,
                                  "rates are decimals above zero, the bid not above the ask");
    }
    if (pair_taken(rates, f->text[0], f->text[1])) {
        return fx__csv_line_error(detail, TPW_ERR_FX_CSV_SYNTAX, what, line,
                                  "the pair (or its inverse) is on an earlier line");
    }
    if (rates->count == FX_STATIC_RATES_MAX) {
        return fx__csv_line_error(detail, TPW_ERR_FX_CSV_SYNTAX, what, line, "too many pairs");
    }
    memcpy(quote.base, f->text[0], strlen(f->text[0]) + 1);
    memcpy(quote.quote, f->text[1], strlen(f->text[1]) + 1);
    rates->quotes[rates->count++] = quote;
    return TPW_OK;
}

enum tpw_err fx_static_rates_parse(const char *text, size_t text_len, struct fx_static_rates *out,
                                   struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof *out);
    return fx__csv_each(text, text_len, &rates_form, rate_line, out, detail);
}

enum tpw_err fx_static_rates_load(const char *path, struct fx_static_rates *out,
                                  struct tpw_error_detail *detail)
{
    char *data = NULL;
    size_t length = 0;
    enum tpw_err err = fx__read_file(path, STATIC_RATES_FILE_SIZE_MAX, &data, &length, detail);
    if (err == TPW_OK) {
        err = fx_static_rates_parse(data, length, out, detail);
    }
    free(data);
    return err;
}
