/*
 * The small configuration CSVs of fx — fee tables (fees_csv.c), standing rates
 * (rates_csv.c): lines split at commas with spaces and a trailing CR trimmed, blank
 * lines and `#` comments skipped, every error naming its line. The ECB's own CSVs are
 * another dialect (ecb_csv.c).
 */
#include <string.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

bool fx__csv_split(const char *line, size_t length, struct fx__csv_fields *out)
{
    out->count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= length; i++) {
        if (i < length && line[i] != ',') {
            continue;
        }
        if (out->count == FX__CSV_FIELDS_MAX) {
            return false;
        }
        size_t from = start;
        size_t to = i;
        while (from < to && line[from] == ' ') {
            from++;
        }
        while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\r')) {
            to--;
        }
        if (to - from >= FX__CSV_FIELD_SIZE) {
            return false;
        }
        memcpy(out->text[out->count], line + from, to - from);
        out->text[out->count][to - from] = '\0';
        out->count++;
        start = i + 1;
    }
    return true;
}

enum tpw_err fx__csv_line_error(struct tpw_error_detail *detail, enum tpw_err err, const char *what,
                                size_t line, const char *why)
{
    return tpw_error_set(detail, err, line, "%s line %zu: %s", what, line, why);
}

enum tpw_err fx__csv_each(const char *text, size_t text_len, const struct fx__csv_form *form,
                          fx__csv_line_fn *line_fn, void *context, struct tpw_error_detail *detail)
{
    size_t line = 0;
    size_t at = 0;
    while (at < text_len) {
        const char *end = memchr(text + at, '\n', text_len - at);
        size_t length = end != NULL ? (size_t)(end - (text + at)) : text_len - at;
        line++;
        const char *start = text + at;
        at += length + 1;
        if (length == 0 || start[0] == '#' || (length == 1 && start[0] == '\r')) {
            continue;
        }
        struct fx__csv_fields fields;
        if (!fx__csv_split(start, length, &fields) || fields.count < form->fields_min ||
            fields.count > form->fields_max) {
            return fx__csv_line_error(detail, TPW_ERR_FX_CSV_SYNTAX, form->what, line,
                                      form->expected);
        }
        enum tpw_err err = line_fn(context, &fields, line, detail);
        if (err != TPW_OK) {
            return err;
        }
    }
    return TPW_OK;
}
