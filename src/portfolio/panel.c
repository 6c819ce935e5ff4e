/*
 * The multi-asset price table loader: "date,A,B,…" CSV files such as PyPortfolioOpt's
 * stock_prices.csv, one row per day and one column per asset, an empty field where an
 * asset has no price yet (before its listing). It shares the price loader's rules for
 * lines, dates and numbers (portfolio_int.h) so that a file means the same to both; a
 * missing price stays NAN here because the estimators skip it pairwise, as pandas does.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portfolio_int.h"
#include "portfolio_limits.h"
#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

/* Rows being read, grown by doubling up to PORTFOLIO_ROWS_MAX. */
struct table {
    int32_t *days;
    double *prices;
    size_t *lines; /* the line of each row, for the duplicate-date message */
    size_t count;
    size_t capacity;
};

static void table_free(struct table *table)
{
    free(table->days);
    free(table->prices);
    free(table->lines);
    memset(table, 0, sizeof(*table));
}

static enum tpw_err table_grow(struct table *table, size_t assets_count,
                               const struct cursor *cursor, struct tpw_error_detail *detail)
{
    if (table->capacity == PORTFOLIO_ROWS_MAX) {
        return portfolio__line_error(detail, TPW_ERR_PRICES_TOO_LARGE, cursor,
                                     "more rows than the limit of 200000", NULL);
    }
    size_t capacity = table->capacity == 0 ? 1024 : table->capacity * 2;
    capacity = capacity > PORTFOLIO_ROWS_MAX ? PORTFOLIO_ROWS_MAX : capacity;
    /* Each array is kept by the table as soon as it grows, so table_free frees it
     * whichever realloc fails. */
    int32_t *days = realloc(table->days, capacity * sizeof(*days));
    if (days == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    table->days = days;
    double *prices = realloc(table->prices, capacity * assets_count * sizeof(*prices));
    if (prices == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    table->prices = prices;
    size_t *lines = realloc(table->lines, capacity * sizeof(*lines));
    if (lines == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    table->lines = lines;
    table->capacity = capacity;
    return TPW_OK;
}

/* The header: the first field is the date column, every other field names an asset. */
static enum tpw_err parse_header(struct cursor *cursor, struct portfolio_panel *out,
                                 struct tpw_error_detail *detail)
{
    struct field line = {NULL, 0};
    bool have = false;
    enum tpw_err err = portfolio__next_line(cursor, &line, &have, detail);
    if (err != TPW_OK || !have) {
        return err != TPW_OK ? err : tpw_error_set(detail, TPW_ERR_PRICES_EMPTY, 0, "empty file");
    }
    struct field fields[PORTFOLIO_OPT_ASSETS_MAX + 1];
    size_t count = 0;
    if (!portfolio__split_fields(line, fields, PORTFOLIO_OPT_ASSETS_MAX + 1, &count)) {
        return portfolio__line_error(detail, TPW_ERR_PORTFOLIO_TOO_MANY_ASSETS, cursor,
                                     "more than 64 asset columns", NULL);
    }
    if (!portfolio__field_is(fields[0], "date") || count < 2) {
        return portfolio__line_error(detail, TPW_ERR_PRICES_NO_HEADER, cursor,
                                     "the header is not 'date,' and asset names", NULL);
    }
    out->assets_count = count - 1;
    for (size_t index = 1; index < count; index++) {
        struct field name = fields[index];
        if (name.len == 0 || name.len >= PORTFOLIO_SYMBOL_SIZE) {
            return portfolio__line_error(detail, TPW_ERR_PRICES_NO_HEADER, cursor,
                                         "an asset name is empty or longer than 15 bytes", &name);
        }
        (void)snprintf(out->symbols[index - 1], PORTFOLIO_SYMBOL_SIZE, "%.*s", (int)name.len,
                       name.text);
    }
    return TPW_OK;
}

/* One price field: empty, `null` or `nan` is missing; otherwise a decimal above zero. */
static enum tpw_err parse_price(const struct cursor *cursor, struct field field, double *price,
                                struct tpw_error_detail *detail)
{
    if (field.len == 0 || portfolio__field_is(field, "null") || portfolio__field_is(field, "nan")) {
        *price = NAN;
        return TPW_OK;
    }
    if (!portfolio__parse_number(field, price)) {
        return portfolio__line_error(detail, TPW_ERR_PRICES_NUMBER_INVALID, cursor,
                                     "unparsable price", &field);
    }
    if (!(*price > 0.0)) {
        return portfolio__line_error(detail, TPW_ERR_PRICES_NOT_POSITIVE, cursor,
                                     "price is not greater than zero", &field);
    }
    return TPW_OK;
}

static enum tpw_err parse_row(const struct cursor *cursor, struct field line, size_t assets_count,
                              struct table *table, struct tpw_error_detail *detail)
{
    struct field fields[PORTFOLIO_OPT_ASSETS_MAX + 1];
    size_t count = 0;
    if (portfolio__trim(line).len == 0) {
        return TPW_OK;
    }
    if (!portfolio__split_fields(line, fields, PORTFOLIO_OPT_ASSETS_MAX + 1, &count) ||
        count != assets_count + 1) {
        return portfolio__line_error(detail, TPW_ERR_PRICES_ROW_SHORT, cursor,
                                     "the row's field count differs from the header's", NULL);
    }
    if (table->count == table->capacity) {
        enum tpw_err grown = table_grow(table, assets_count, cursor, detail);
        if (grown != TPW_OK) {
            return grown;
        }
    }
    TPW_ASSERT(table->days != NULL && table->prices != NULL && table->lines != NULL);
    enum tpw_err err = TPW_OK;
    size_t row = table->count;
    if (err == TPW_OK && !portfolio__parse_day(fields[0], &table->days[row])) {
        err = portfolio__line_error(detail, TPW_ERR_PRICES_DATE_INVALID, cursor, "unparsable date",
                                    &fields[0]);
    }
    for (size_t asset = 0; err == TPW_OK && asset < assets_count; asset++) {
        err = parse_price(cursor, fields[asset + 1], &table->prices[row * assets_count + asset],
                          detail);
    }
    if (err == TPW_OK) {
        table->lines[row] = cursor->line;
        table->count++;
    }
    return err;
}

struct order {
    int32_t day;
    size_t row;
};

static int order_compare(const void *a, const void *b)
{
    const struct order *left = a;
    const struct order *right = b;
    return (left->day > right->day) - (left->day < right->day);
}

/* Sorts the rows by day into `out`, refusing a date given twice and an asset without any
 * price (nothing could be estimated for it). */
static enum tpw_err finish_panel(const struct table *table, struct portfolio_panel *out,
                                 struct tpw_error_detail *detail)
{
    size_t n = out->assets_count;
    if (table->count == 0) {
        return tpw_error_set(detail, TPW_ERR_PRICES_EMPTY, 0, "no rows after the header");
    }
    struct order *order = malloc(table->count * sizeof(*order));
    out->days = malloc(table->count * sizeof(*out->days));
    out->prices = malloc(table->count * n * sizeof(*out->prices));
    if (order == NULL || out->days == NULL || out->prices == NULL) {
        free(order);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    for (size_t row = 0; row < table->count; row++) {
        order[row] = (struct order){table->days[row], row};
    }
    qsort(order, table->count, sizeof(*order), order_compare);
    enum tpw_err err = TPW_OK;
    for (size_t index = 0; index < table->count && err == TPW_OK; index++) {
        if (index > 0 && order[index].day == order[index - 1].day) {
            char date[PORTFOLIO_DATE_TEXT_SIZE];
            err = tpw_error_set(
                detail, TPW_ERR_PRICES_DUPLICATE_DATE, 0,
                "line %zu: date %s already given on line %zu", table->lines[order[index].row],
                portfolio_day_text(order[index].day, date), table->lines[order[index - 1].row]);
        }
        out->days[index] = order[index].day;
        memcpy(&out->prices[index * n], &table->prices[order[index].row * n], n * sizeof(double));
    }
    free(order);
    out->rows_count = table->count;
    for (size_t asset = 0; asset < n && err == TPW_OK; asset++) {
        size_t priced = 0;
        for (size_t row = 0; row < out->rows_count; row++) {
            priced += isnan(out->prices[row * n + asset]) ? 0 : 1;
        }
        if (priced == 0) {
            err = tpw_error_set(detail, TPW_ERR_PRICES_EMPTY, 0, "column '%s' has no price",
                                out->symbols[asset]);
        }
    }
    return err;
}

enum tpw_err portfolio_panel_parse(const char *text, size_t size_bytes, struct portfolio_panel *out,
                                   struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    if (size_bytes > PORTFOLIO_FILE_BYTES_MAX) {
        return tpw_error_set(detail, TPW_ERR_PRICES_TOO_LARGE, 0,
                             "%zu bytes is more than the limit of %zu", size_bytes,
                             PORTFOLIO_FILE_BYTES_MAX);
    }
    struct cursor cursor = {text, size_bytes, 0, 0, 0};
    struct table table = {NULL, NULL, NULL, 0, 0};
    enum tpw_err err = parse_header(&cursor, out, detail);
    for (bool have = err == TPW_OK; err == TPW_OK && have;) {
        struct field line = {NULL, 0};
        err = portfolio__next_line(&cursor, &line, &have, detail);
        if (err == TPW_OK && have) {
            err = parse_row(&cursor, line, out->assets_count, &table, detail);
        }
    }
    if (err == TPW_OK) {
        err = finish_panel(&table, out, detail);
    }
    table_free(&table);
    if (err != TPW_OK) {
        portfolio_panel_deinit(out);
    }
    TPW_ASSERT(err != TPW_OK || (out->rows_count > 0 && out->assets_count > 0));
    return err;
}

enum tpw_err portfolio_panel_load(const char *path, struct portfolio_panel *out,
                                  struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    char *text = NULL;
    size_t size_bytes = 0;
    enum tpw_err err = portfolio__read_file(path, &text, &size_bytes, detail);
    if (err != TPW_OK) {
        return err;
    }
    err = portfolio_panel_parse(text, size_bytes, out, detail);
    free(text);
    err = portfolio__file_error(path, err, detail);
    return err;
}

void portfolio_panel_deinit(struct portfolio_panel *panel)
{
    free(panel->days);
    free(panel->prices);
    memset(panel, 0, sizeof(*panel));
}
