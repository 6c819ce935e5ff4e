/*
 * The ECB's CSV files: eurofxref-hist.csv (`Date,USD,JPY,...,` with a trailing comma,
 * YYYY-MM-DD dates, newest first, `N/A` where a currency was not quoted that day) and
 * the daily eurofxref.csv (`Date, USD, ...` with a space after each comma and dates
 * written `13 April 2026`). One reader takes both: cells are trimmed of spaces, a
 * trailing empty cell is allowed when the header has one too, and rows may come in
 * any order because the history sorts them. Errors name the line and the column.
 */
#include <stdio.h>
#include <string.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

/* A line and where it is, for messages. */
struct csv_line {
    const char *text;
    size_t text_len;
    size_t number;       /* 1-based */
    size_t offset_bytes; /* of its first byte in the file */
};

struct csv_header {
    char currencies[FX_HISTORY_CURRENCIES_MAX][FX_CODE_SIZE];
    size_t cells_count;  /* all cells, "Date" and a trailing empty one included */
    bool trailing_empty; /* the header ends with a comma */
};

/* The next line at `*pos` (without its \n or \r\n); false at the end. */
static bool next_line(const char *csv, size_t csv_len, size_t *pos, struct csv_line *line)
{
    if (*pos >= csv_len) {
        return false;
    }
    const char *start = csv + *pos;
    const char *newline = memchr(start, '\n', csv_len - *pos);
    size_t length = newline == NULL ? csv_len - *pos : (size_t)(newline - start);
    line->offset_bytes = *pos;
    line->number++;
    *pos += length + (newline == NULL ? 0 : 1);
    if (length > 0 && start[length - 1] == '\r') {
        length--;
    }
    line->text = start;
    line->text_len = length;
    return true;
}

/* The cell starting at `*at` (trimmed of spaces); advances past its comma. */
static void next_cell(const struct csv_line *line, size_t *at, const char **cell, size_t *cell_len)
{
    const char *start = line->text + *at;
    const char *comma = memchr(start, ',', line->text_len - *at);
    size_t length = comma == NULL ? line->text_len - *at : (size_t)(comma - start);
    *at += length + 1;
    while (length > 0 && *start == ' ') {
        start++;
        length--;
    }
    while (length > 0 && start[length - 1] == ' ') {
        length--;
    }
    *cell = start;
    *cell_len = length;
}

static size_t cells_in(const struct csv_line *line)
{
    size_t count = 1;
    for (size_t index = 0; index < line->text_len; index++) {
        count += line->text[index] == ',' ? 1 : 0;
    }
    return count;
}

/* Puts "line N, column C (name): " before the message in `detail`. */
static enum tpw_err at_cell(struct tpw_error_detail *detail, enum tpw_err err,
                            const struct csv_line *line, size_t column, const char *name)
{
    if (detail == NULL) {
        return err;
    }
    char message[TPW_ERROR_MESSAGE_SIZE];
    (void)snprintf(message, sizeof(message), "%s", detail->message);
    return tpw_error_set(detail, err, line->offset_bytes, "line %zu, column %zu (%s): %s",
                         line->number, column, name, message);
}

static enum tpw_err read_header(const struct csv_line *line, struct csv_header *header,
                                struct tpw_error_detail *detail)
{
    header->cells_count = cells_in(line);
    size_t at = 0;
    const char *cell = NULL;
    size_t cell_len = 0;
    next_cell(line, &at, &cell, &cell_len);
    if (cell_len != 4 || memcmp(cell, "Date", 4) != 0) {
        (void)tpw_error_set(detail, TPW_ERR_FX_CSV_SYNTAX, 0, "the header must start with Date");
        return at_cell(detail, TPW_ERR_FX_CSV_SYNTAX, line, 1, "Date");
    }
    for (size_t column = 1; column < header->cells_count; column++) {
        next_cell(line, &at, &cell, &cell_len);
        if (cell_len == 0 && column == header->cells_count - 1) {
            header->trailing_empty = true;
            break;
        }
        if (column > FX_HISTORY_CURRENCIES_MAX) {
            (void)tpw_error_set(detail, TPW_ERR_FX_HISTORY_FULL, 0, "more than %d currencies",
                                FX_HISTORY_CURRENCIES_MAX);
            return at_cell(detail, TPW_ERR_FX_HISTORY_FULL, line, column + 1, "header");
        }
        char *code = header->currencies[column - 1];
        (void)snprintf(code, FX_CODE_SIZE, "%.*s", (int)(cell_len < 8 ? cell_len : 8), cell);
        enum tpw_err err = TPW_OK;
        if (!fx__currency_valid(cell, cell_len)) {
            err = tpw_error_set(detail, TPW_ERR_FX_CURRENCY_INVALID, 0,
                                "'%.16s' is not a currency code other than EUR", code);
        }
        for (size_t before = 1; err == TPW_OK && before < column; before++) {
            if (strcmp(header->currencies[before - 1], code) == 0) {
                err = tpw_error_set(detail, TPW_ERR_FX_CURRENCY_DUPLICATE, 0,
                                    "%s is also column %zu", code, before + 1);
            }
        }
        if (err != TPW_OK) {
            return at_cell(detail, err, line, column + 1, "header");
        }
    }
    return TPW_OK;
}

/* A row's date: YYYY-MM-DD (hist) or "13 April 2026" (daily). */
static enum tpw_err row_date(const char *cell, size_t cell_len, int32_t *date_days,
                             struct tpw_error_detail *detail)
{
    if (fx_date_parse(cell, cell_len, date_days, NULL) == TPW_OK ||
        fx__date_parse_long(cell, cell_len, date_days)) {
        return TPW_OK;
    }
    return tpw_error_set(detail, TPW_ERR_FX_DATE_INVALID, 0,
                         "'%.*s' is neither YYYY-MM-DD nor D Month YYYY (1970 to 2500)",
                         (int)(cell_len > 40 ? 40 : cell_len), cell);
}

static enum tpw_err read_row(const struct csv_line *line, const struct csv_header *header,
                             struct fx_ecb_day *day, struct tpw_error_detail *detail)
{
    if (cells_in(line) != header->cells_count) {
        (void)tpw_error_set(detail, TPW_ERR_FX_CSV_SYNTAX, 0, "%zu cells, the header has %zu",
                            cells_in(line), header->cells_count);
        return at_cell(detail, TPW_ERR_FX_CSV_SYNTAX, line, 1, "row");
    }
    memset(day, 0, sizeof(*day));
    size_t at = 0;
    const char *cell = NULL;
    size_t cell_len = 0;
    next_cell(line, &at, &cell, &cell_len);
    enum tpw_err err = row_date(cell, cell_len, &day->date_days, detail);
    if (err != TPW_OK) {
        return at_cell(detail, err, line, 1, "Date");
    }
    size_t currencies = header->cells_count - 1 - (header->trailing_empty ? 1 : 0);
    for (size_t column = 1; column <= currencies; column++) {
        next_cell(line, &at, &cell, &cell_len);
        if (cell_len == 3 && memcmp(cell, "N/A", 3) == 0) {
            continue; /* not quoted that day */
        }
        struct money_rate rate = {0};
        const char *currency = header->currencies[column - 1];
        err = fx__rate_parse(cell, cell_len, &rate, detail);
        if (err == TPW_OK) {
            err = fx__day_add(day, currency, rate, detail);
        }
        if (err != TPW_OK) {
            tpw_error_set_param(detail, currency);
            return at_cell(detail, err, line, column + 1, currency);
        }
    }
    if (header->trailing_empty) {
        next_cell(line, &at, &cell, &cell_len);
        if (cell_len != 0) {
            (void)tpw_error_set(detail, TPW_ERR_FX_CSV_SYNTAX, 0,
                                "a value after the last currency");
            return at_cell(detail, TPW_ERR_FX_CSV_SYNTAX, line, header->cells_count, "trailing");
        }
    }
    return TPW_OK;
}

static enum tpw_err read_csv(const char *csv, size_t csv_len, fx_history *history,
                             struct tpw_error_detail *detail)
{
    struct csv_header header;
    memset(&header, 0, sizeof(header));
    struct csv_line line = {NULL, 0, 0, 0};
    size_t pos = 0;
    if (!next_line(csv, csv_len, &pos, &line)) {
        return tpw_error_set(detail, TPW_ERR_FX_CSV_SYNTAX, 0, "line 1: no header");
    }
    enum tpw_err err = read_header(&line, &header, detail);
    struct fx_ecb_day day;
    while (err == TPW_OK && next_line(csv, csv_len, &pos, &line)) {
        if (line.text_len == 0) {
            continue; /* a blank line (the file's last newline) holds no row */
        }
        err = read_row(&line, &header, &day, detail);
        if (err == TPW_OK) {
            err = fx__history_append_day(history, &day, detail);
        }
    }
    return err;
}

enum tpw_err fx_ecb_csv_parse(const char *csv, size_t csv_len, fx_history **out,
                              struct tpw_error_detail *detail)
{
    *out = NULL;
    if (csv_len > FX_ECB_FILE_SIZE_MAX) {
        return tpw_error_set(detail, TPW_ERR_FX_TOO_LARGE, 0, "the CSV is larger than %zu bytes",
                             FX_ECB_FILE_SIZE_MAX);
    }
    fx_history *history = fx_history_create();
    if (history == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for a history");
    }
    enum tpw_err err = read_csv(csv, csv_len, history, detail);
    if (err == TPW_OK) {
        err = fx__history_seal(history, detail);
    }
    if (err != TPW_OK) {
        fx_history_destroy(history);
        return err;
    }
    *out = history;
    return TPW_OK;
}
