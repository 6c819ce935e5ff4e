/*
 * The price series loader: one CSV file of daily prices into (day, close) pairs,
 * ascending. Real files disagree on nearly everything (docs/portfolio.md lists the
 * traps of tests/data/prices): a banner line before the header, newest-first order,
 * column order and case, a leading unnamed index column, unix seconds instead of dates,
 * `null` rows. The loader finds the header and its two columns by name, skips and
 * counts rows without a close, sorts, and refuses everything else with the line number,
 * because a backtest over silently mangled prices is worse than none.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portfolio_int.h"
#include "portfolio_limits.h"
#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

#define SECONDS_PER_DAY 86400
/* Unix seconds up to 9999-12-31 have at most 12 digits, and from 1973-03-03 on at least
 * 9: fewer digits are more likely a compact date (20200101) than a time, so refused. */
#define UNIX_SECONDS_DIGITS_MIN 9
#define UNIX_SECONDS_DIGITS_MAX 12

/* A parsed row before sorting; the line is kept for the duplicate-date message. */
struct row {
    int32_t day;
    double close;
    size_t line;
};

enum tpw_err portfolio__line_error(struct tpw_error_detail *detail, enum tpw_err code,
                                   const struct cursor *cursor, const char *what,
                                   const struct field *field)
{
    if (field != NULL) {
        return tpw_error_set(detail, code, cursor->line_start, "line %zu: %s '%.*s'", cursor->line,
                             what, (int)(field->len > 40 ? 40 : field->len), field->text);
    }
    return tpw_error_set(detail, code, cursor->line_start, "line %zu: %s", cursor->line, what);
}

/* The next line without its end of line (LF or CRLF; the last may have neither). */
enum tpw_err portfolio__next_line(struct cursor *cursor, struct field *line, bool *have,
                                  struct tpw_error_detail *detail)
{
    *have = cursor->pos < cursor->size_bytes;
    if (!*have) {
        return TPW_OK;
    }
    cursor->line++;
    cursor->line_start = cursor->pos;
    const char *start = cursor->text + cursor->pos;
    const char *newline = memchr(start, '\n', cursor->size_bytes - cursor->pos);
    size_t len = newline != NULL ? (size_t)(newline - start) : cursor->size_bytes - cursor->pos;
    cursor->pos += len + (newline != NULL ? 1 : 0);
    if (len > 0 && start[len - 1] == '\r') {
        len--;
    }
    if (len > PORTFOLIO_LINE_BYTES_MAX) {
        return portfolio__line_error(detail, TPW_ERR_PRICES_TOO_LARGE, cursor,
                                     "line longer than the limit of 4096 bytes", NULL);
    }
    *line = (struct field){start, len};
    return TPW_OK;
}

struct field portfolio__trim(struct field field)
{
    while (field.len > 0 && isspace((unsigned char)field.text[0])) {
        field.text++;
        field.len--;
    }
    while (field.len > 0 && isspace((unsigned char)field.text[field.len - 1])) {
        field.len--;
    }
    /* Quoted fields ("Close") lose their quotes; a quoted comma is not supported. */
    if (field.len >= 2 && field.text[0] == '"' && field.text[field.len - 1] == '"') {
        field.text++;
        field.len -= 2;
    }
    return field;
}

/* Splits at commas into trimmed fields; false when there are more than `max`. */
bool portfolio__split_fields(struct field line, struct field *fields, size_t max, size_t *count)
{
    *count = 0;
    size_t start = 0;
    for (size_t pos = 0; pos <= line.len; pos++) {
        if (pos < line.len && line.text[pos] != ',') {
            continue;
        }
        if (*count == max) {
            return false;
        }
        fields[(*count)++] = portfolio__trim((struct field){line.text + start, pos - start});
        start = pos + 1;
    }
    return true;
}

bool portfolio__field_is(struct field field, const char *name)
{
    size_t len = strlen(name);
    if (field.len != len) {
        return false;
    }
    for (size_t index = 0; index < len; index++) {
        if (tolower((unsigned char)field.text[index]) != name[index]) {
            return false;
        }
    }
    return true;
}

/* Index of the first field named `name` (lower case), or `count` when there is none. */
static size_t column_named(const struct field *fields, size_t count, const char *name)
{
    size_t index = 0;
    while (index < count && !portfolio__field_is(fields[index], name)) {
        index++;
    }
    return index;
}

struct columns {
    size_t date;
    size_t close;
};

/* A header names a date column: "date" first (Bitstamp has both unix and date), else
 * "time" (Kraken's unix seconds). */
static bool header_columns(const struct field *fields, size_t count, enum portfolio_close close,
                           struct columns *columns)
{
    columns->date = column_named(fields, count, "date");
    if (columns->date == count) {
        columns->date = column_named(fields, count, "time");
    }
    if (columns->date == count) {
        return false;
    }
    columns->close = column_named(fields, count, "close");
    if (close == PORTFOLIO_CLOSE_ADJUSTED) {
        columns->close = column_named(fields, count, "adj close");
        if (columns->close == count) {
            columns->close = column_named(fields, count, "adj_close");
        }
    }
    return true;
}

/* Finds the header within the first non-blank lines; the cursor stays after it. */
static enum tpw_err find_header(struct cursor *cursor, enum portfolio_close close,
                                struct columns *columns, size_t *fields_needed,
                                struct tpw_error_detail *detail)
{
    struct field fields[PORTFOLIO_FIELDS_MAX];
    size_t seen = 0;
    while (seen < PORTFOLIO_HEADER_SEARCH_LINES) {
        struct field line = {NULL, 0};
        bool have = false;
        enum tpw_err err = portfolio__next_line(cursor, &line, &have, detail);
        if (err != TPW_OK || !have) {
            return err != TPW_OK ? err
                   : seen == 0 ? tpw_error_set(detail, TPW_ERR_PRICES_EMPTY, 0, "the file is empty")
                               : tpw_error_set(detail, TPW_ERR_PRICES_NO_HEADER, 0,
                                               "line 1: no header row with a date column");
        }
        size_t count = 0;
        if (portfolio__trim(line).len == 0) {
            continue;
        }
        seen++;
        if (portfolio__split_fields(line, fields, PORTFOLIO_FIELDS_MAX, &count) &&
            header_columns(fields, count, close, columns)) {
            if (columns->close == count) {
                return portfolio__line_error(detail, TPW_ERR_PRICES_NO_CLOSE, cursor,
                                             close == PORTFOLIO_CLOSE_ADJUSTED
                                                 ? "no 'Adj Close' column"
                                                 : "no 'Close' column",
                                             NULL);
            }
            size_t last = columns->date > columns->close ? columns->date : columns->close;
            *fields_needed = last + 1;
            return TPW_OK;
        }
    }
    return tpw_error_set(detail, TPW_ERR_PRICES_NO_HEADER, 0,
                         "line 1: no header row with a date column in the first %d lines",
                         PORTFOLIO_HEADER_SEARCH_LINES);
}

static bool digits(const char *text, size_t len, unsigned *value)
{
    *value = 0;
    for (size_t index = 0; index < len; index++) {
        if (!isdigit((unsigned char)text[index])) {
            return false;
        }
        *value = *value * 10 + (unsigned)(text[index] - '0');
    }
    return len > 0;
}

static unsigned days_in_month(unsigned year, unsigned month)
{
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* "YYYY-MM-DD", optionally followed by " " or "T" and a time of day (Bitstamp writes
 * "2022-08-20 00:00:00"), which names the same day; or unix seconds (all digits), whose
 * UTC day is the row's day. */
bool portfolio__parse_day(struct field field, int32_t *day)
{
    unsigned seconds_high = 0;
    unsigned seconds_low = 0;
    if (field.len >= UNIX_SECONDS_DIGITS_MIN && field.len <= UNIX_SECONDS_DIGITS_MAX &&
        digits(field.text, field.len - 6, &seconds_high) &&
        digits(field.text + field.len - 6, 6, &seconds_low)) {
        int64_t seconds = (int64_t)seconds_high * 1000000 + seconds_low;
        *day = (int32_t)(seconds / SECONDS_PER_DAY);
        return true;
    }
    unsigned year = 0;
    unsigned month = 0;
    unsigned mday = 0;
    if (field.len < 10 || field.text[4] != '-' || field.text[7] != '-' ||
        (field.len > 10 && field.text[10] != ' ' && field.text[10] != 'T') ||
        !digits(field.text, 4, &year) || !digits(field.text + 5, 2, &month) ||
        !digits(field.text + 8, 2, &mday)) {
        return false;
    }
    if (year < PORTFOLIO_YEAR_MIN || month < 1 || month > 12 || mday < 1 ||
        mday > days_in_month(year, month)) {
        return false;
    }
    *day = portfolio_day_from_civil((int32_t)year, month, mday);
    return true;
}

/* A decimal number ("51836.007813", "1e-05"); strtod alone would also take "inf",
 * "nan" and hexadecimal, which are not prices. */
bool portfolio__parse_number(struct field field, double *value)
{
    if (field.len == 0 || field.len >= PORTFOLIO_NUMBER_BYTES_MAX) {
        return false;
    }
    char text[PORTFOLIO_NUMBER_BYTES_MAX];
    memcpy(text, field.text, field.len);
    text[field.len] = '\0';
    if (strspn(text, "0123456789.eE+-") < field.len) {
        return false;
    }
    char *end = NULL;
    errno = 0;
    *value = strtod(text, &end);
    return end == text + field.len && errno == 0 && isfinite(*value);
}

struct rows {
    struct row *rows;
    size_t count;
    size_t capacity;
};

static enum tpw_err rows_push(struct rows *rows, struct row row, const struct cursor *cursor,
                              struct tpw_error_detail *detail)
{
    if (rows->count == rows->capacity) {
        if (rows->capacity == PORTFOLIO_ROWS_MAX) {
            return portfolio__line_error(detail, TPW_ERR_PRICES_TOO_LARGE, cursor,
                                         "more rows than the limit of 200000", NULL);
        }
        size_t capacity = rows->capacity == 0 ? 1024 : rows->capacity * 2;
        capacity = capacity > PORTFOLIO_ROWS_MAX ? PORTFOLIO_ROWS_MAX : capacity;
        struct row *grown = realloc(rows->rows, capacity * sizeof(*grown));
        if (grown == NULL) {
            return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
        }
        rows->rows = grown;
        rows->capacity = capacity;
    }
    rows->rows[rows->count++] = row;
    return TPW_OK;
}

/* One data line: a row, a skipped `null`/empty close, or an error. Blank lines pass. */
static enum tpw_err parse_row(const struct cursor *cursor, struct field line,
                              const struct columns *columns, size_t fields_needed,
                              struct rows *rows, size_t *skipped, struct tpw_error_detail *detail)
{
    struct field fields[PORTFOLIO_FIELDS_MAX];
    size_t count = 0;
    if (portfolio__trim(line).len == 0) {
        return TPW_OK;
    }
    if (!portfolio__split_fields(line, fields, PORTFOLIO_FIELDS_MAX, &count) ||
        count < fields_needed) {
        return portfolio__line_error(detail, TPW_ERR_PRICES_ROW_SHORT, cursor,
                                     "fewer fields than the header's date and close columns need",
                                     NULL);
    }
    struct row row = {.day = 0, .close = 0.0, .line = cursor->line};
    if (!portfolio__parse_day(fields[columns->date], &row.day)) {
        return portfolio__line_error(detail, TPW_ERR_PRICES_DATE_INVALID, cursor, "unparsable date",
                                     &fields[columns->date]);
    }
    struct field close = fields[columns->close];
    if (close.len == 0 || portfolio__field_is(close, "null")) {
        (*skipped)++;
        return TPW_OK;
    }
    if (!portfolio__parse_number(close, &row.close)) {
        return portfolio__line_error(detail, TPW_ERR_PRICES_NUMBER_INVALID, cursor,
                                     "unparsable close", &close);
    }
    if (!(row.close > 0.0)) {
        return portfolio__line_error(detail, TPW_ERR_PRICES_NOT_POSITIVE, cursor,
                                     "close is not greater than zero", &close);
    }
    return rows_push(rows, row, cursor, detail);
}

static int row_compare(const void *a, const void *b)
{
    const struct row *left = a;
    const struct row *right = b;
    return (left->day > right->day) - (left->day < right->day);
}

/* Sorts ascending, refuses a date given twice, and moves the rows into `out`. */
static enum tpw_err finish_series(struct rows *rows, struct portfolio_series *out,
                                  struct tpw_error_detail *detail)
{
    if (rows->count == 0) {
        return tpw_error_set(detail, TPW_ERR_PRICES_EMPTY, 0,
                             "no row has a close (%zu rows without one)", out->skipped_count);
    }
    out->descending = rows->rows[0].day > rows->rows[rows->count - 1].day;
    qsort(rows->rows, rows->count, sizeof(rows->rows[0]), row_compare);
    for (size_t index = 1; index < rows->count; index++) {
        const struct row *first = &rows->rows[index - 1];
        const struct row *second = &rows->rows[index];
        if (first->day == second->day) {
            size_t low = first->line < second->line ? first->line : second->line;
            size_t high = first->line < second->line ? second->line : first->line;
            char date[PORTFOLIO_DATE_TEXT_SIZE];
            return tpw_error_set(detail, TPW_ERR_PRICES_DUPLICATE_DATE, 0,
                                 "line %zu: date %s already given on line %zu", high,
                                 portfolio_day_text(second->day, date), low);
        }
    }
    out->prices = malloc(rows->count * sizeof(out->prices[0]));
    if (out->prices == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    for (size_t index = 0; index < rows->count; index++) {
        out->prices[index] =
            (struct portfolio_price){rows->rows[index].day, rows->rows[index].close};
    }
    out->prices_count = rows->count;
    return TPW_OK;
}

enum tpw_err portfolio_series_parse(const char *text, size_t size_bytes, enum portfolio_close close,
                                    struct portfolio_series *out, struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    if (size_bytes > PORTFOLIO_FILE_BYTES_MAX) {
        return tpw_error_set(detail, TPW_ERR_PRICES_TOO_LARGE, 0,
                             "%zu bytes is more than the limit of %zu", size_bytes,
                             PORTFOLIO_FILE_BYTES_MAX);
    }
    struct cursor cursor = {text, size_bytes, 0, 0, 0};
    struct columns columns = {0, 0};
    size_t fields_needed = 0;
    enum tpw_err err = find_header(&cursor, close, &columns, &fields_needed, detail);
    out->header_line = cursor.line;
    struct rows rows = {NULL, 0, 0};
    for (bool have = err == TPW_OK; err == TPW_OK && have;) {
        struct field line = {NULL, 0};
        err = portfolio__next_line(&cursor, &line, &have, detail);
        if (err == TPW_OK && have) {
            err = parse_row(&cursor, line, &columns, fields_needed, &rows, &out->skipped_count,
                            detail);
        }
    }
    if (err == TPW_OK) {
        err = finish_series(&rows, out, detail);
    }
    free(rows.rows);
    if (err != TPW_OK) {
        portfolio_series_deinit(out);
    }
    TPW_ASSERT(err != TPW_OK || out->prices_count > 0);
    return err;
}

/* Reads the whole file, refusing one larger than PORTFOLIO_FILE_BYTES_MAX. */
enum tpw_err portfolio__read_file(const char *path, char **text, size_t *size_bytes,
                                  struct tpw_error_detail *detail)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return tpw_error_set(detail, errno == ENOENT ? TPW_ERR_NOT_FOUND : TPW_ERR_IO, 0,
                             "cannot open '%.120s': %s", path, strerror(errno));
    }
    enum tpw_err err = TPW_OK;
    size_t capacity = 0;
    *text = NULL;
    *size_bytes = 0;
    while (err == TPW_OK) {
        if (*size_bytes == capacity) {
            capacity = capacity == 0 ? (size_t)64 << 10 : capacity * 2;
            char *grown = capacity > PORTFOLIO_FILE_BYTES_MAX + 1 ? NULL : realloc(*text, capacity);
            if (grown == NULL) {
                err = capacity > PORTFOLIO_FILE_BYTES_MAX + 1
                          ? tpw_error_set(detail, TPW_ERR_PRICES_TOO_LARGE, 0,
                                          "'%.120s' is larger than %zu bytes", path,
                                          PORTFOLIO_FILE_BYTES_MAX)
                          : tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
                break;
            }
            *text = grown;
        }
        size_t got = fread(*text + *size_bytes, 1, capacity - *size_bytes, file);
        *size_bytes += got;
        if (got == 0) {
            err = ferror(file) ? tpw_error_set(detail, TPW_ERR_IO, 0, "cannot read '%.120s'", path)
                               : TPW_OK;
            break;
        }
    }
    (void)fclose(file);
    if (err != TPW_OK) {
        free(*text);
        *text = NULL;
    }
    return err;
}

enum tpw_err portfolio_series_load(const char *path, enum portfolio_close close,
                                   struct portfolio_series *out, struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    char *text = NULL;
    size_t size_bytes = 0;
    enum tpw_err err = portfolio__read_file(path, &text, &size_bytes, detail);
    if (err != TPW_OK) {
        return err;
    }
    err = portfolio_series_parse(text, size_bytes, close, out, detail);
    free(text);
    err = portfolio__file_error(path, err, detail);
    return err;
}

enum tpw_err portfolio__file_error(const char *path, enum tpw_err err,
                                   struct tpw_error_detail *detail)
{
    if (err != TPW_OK && detail != NULL) {
        char message[TPW_ERROR_MESSAGE_SIZE];
        (void)snprintf(message, sizeof(message), "%s", detail->message);
        (void)tpw_error_set(detail, err, detail->offset_bytes, "'%.80s' %s", path, message);
    }
    return err;
}

void portfolio_series_deinit(struct portfolio_series *series)
{
    free(series->prices);
    memset(series, 0, sizeof(*series));
}
