/*
 * One column of numbers per file, as a return series is usually saved (fGarch's dem2gbp
 * written by write.csv: a quoted header "r", then one return per line). The volatility
 * models read these; the line rules (LF or CRLF, trimming, quotes) and the number rule
 * (no inf, nan or hexadecimal) are the price loader's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portfolio_int.h"
#include "portfolio_limits.h"
#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

static enum tpw_err push(double value, double **values, size_t *count, size_t *capacity,
                         const struct cursor *cursor, struct tpw_error_detail *detail)
{
    if (*count == *capacity) {
        if (*capacity == PORTFOLIO_ROWS_MAX) {
            return portfolio__line_error(detail, TPW_ERR_PRICES_TOO_LARGE, cursor,
                                         "more rows than the limit of 200000", NULL);
        }
        size_t grown_capacity = *capacity == 0 ? 1024 : *capacity * 2;
        grown_capacity = grown_capacity > PORTFOLIO_ROWS_MAX ? PORTFOLIO_ROWS_MAX : grown_capacity;
        double *grown = realloc(*values, grown_capacity * sizeof(*grown));
        if (grown == NULL) {
            return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
        }
        *values = grown;
        *capacity = grown_capacity;
    }
    (*values)[(*count)++] = value;
    return TPW_OK;
}

enum tpw_err portfolio_column_parse(const char *text, size_t size_bytes, double **values,
                                    size_t *count, struct tpw_error_detail *detail)
{
    *values = NULL;
    *count = 0;
    if (size_bytes > PORTFOLIO_FILE_BYTES_MAX) {
        return tpw_error_set(detail, TPW_ERR_PRICES_TOO_LARGE, 0,
                             "%zu bytes is more than the limit of %zu", size_bytes,
                             PORTFOLIO_FILE_BYTES_MAX);
    }
    struct cursor cursor = {text, size_bytes, 0, 0, 0};
    size_t capacity = 0;
    bool have = true;
    enum tpw_err err = TPW_OK;
    while (err == TPW_OK && have) {
        struct field line = {NULL, 0};
        err = portfolio__next_line(&cursor, &line, &have, detail);
        line = portfolio__trim(line);
        double value = 0.0;
        if (err != TPW_OK || !have || line.len == 0) {
            continue;
        }
        if (portfolio__parse_number(line, &value)) {
            err = push(value, values, count, &capacity, &cursor, detail);
        } else if (cursor.line > 1) {
            err = portfolio__line_error(detail, TPW_ERR_PRICES_NUMBER_INVALID, &cursor,
                                        "not a number", &line);
        }
    }
    if (err == TPW_OK && *count == 0) {
        err = tpw_error_set(detail, TPW_ERR_PRICES_EMPTY, 0, "the file holds no numbers");
    }
    if (err != TPW_OK) {
        free(*values);
        *values = NULL;
        *count = 0;
    }
    return err;
}

enum tpw_err portfolio_column_load(const char *path, double **values, size_t *count,
                                   struct tpw_error_detail *detail)
{
    *values = NULL;
    *count = 0;
    char *text = NULL;
    size_t size_bytes = 0;
    enum tpw_err err = portfolio__read_file(path, &text, &size_bytes, detail);
    if (err != TPW_OK) {
        return err;
    }
    err = portfolio_column_parse(text, size_bytes, values, count, detail);
    free(text);
    err = portfolio__file_error(path, err, detail);
    TPW_ASSERT(err != TPW_OK || *count > 0);
    return err;
}
