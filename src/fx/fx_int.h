/*
 * Internals of the fx module shared between its files: the history's layout, the
 * calendar helpers, the checks every ECB reader applies to a cell, and the bulk path
 * the parsers use (append unsorted, then seal once: sorting each currency's series at
 * the end keeps a newest-first file of 7,000 rows linear instead of quadratic).
 */
#ifndef TPW_FX_INT_H
#define TPW_FX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecb_parts.h"
#include "tpwallet/fx.h"

/* The stored history file's bound: 64 currencies × 40,000 days × ~26 bytes a line. */
#define FX_HISTORY_FILE_SIZE_MAX ((size_t)128 * 1024 * 1024)
#define FX_HISTORY_FILE_NAME "history.csv"

/* One currency's observations; `sorted` is false between appends and the seal. */
struct fx_series {
    struct fx_observation *observations;
    size_t count;
    size_t capacity;
    char currency[FX_CODE_SIZE];
    bool sorted;
};

/* Series kept in currency-code order. */
struct fx_history {
    struct fx_series series[FX_HISTORY_CURRENCIES_MAX];
    size_t series_count;
};

/* Days since 1970-01-01 of a valid civil date (year 1970..2500), and back. */
int32_t fx__date_from_civil(int32_t year, unsigned month, unsigned day);
void fx__date_to_civil(int32_t date_days, int32_t *year, unsigned *month, unsigned *day);
/* Day of the week, 0 = Sunday. */
unsigned fx__date_weekday(int32_t date_days);
/* True and `*date_days` when `text` is a valid civil date; `month` is 1..12. */
bool fx__date_valid(int32_t year, unsigned month, unsigned day, int32_t *date_days);

/* A currency code's shape: three letters A-Z, not EUR (the base). */
bool fx__currency_valid(const char *text, size_t text_len);

/*
 * Parses a rate cell: TPW_ERR_FX_RATE_INVALID (the decimal error's message kept) or
 * TPW_ERR_FX_RATE_ZERO. The caller adds where the cell was.
 */
enum tpw_err fx__rate_parse(const char *text, size_t text_len, struct money_rate *out,
                            struct tpw_error_detail *detail);

/* Appends every rate of a day. */
enum tpw_err fx__history_append_day(fx_history *history, const struct fx_ecb_day *day,
                                    struct tpw_error_detail *detail);
/* Sorts every series by date and folds identical repeats; TPW_ERR_FX_HISTORY_CONFLICT
 * when one currency has two rates on one date. */
enum tpw_err fx__history_seal(fx_history *history, struct tpw_error_detail *detail);
/* The series of `currency`, or NULL. */
const struct fx_series *fx__history_find(const fx_history *history, const char *currency);

/*
 * Calls `sink` for each day of an ECB XML document, in document order. Errors as
 * fx_ecb_xml_parse(), or the sink's.
 */
enum tpw_err fx__ecb_xml_each_day(const char *xml, size_t xml_len,
                                  enum tpw_err (*sink)(void *context, const struct fx_ecb_day *day,
                                                       struct tpw_error_detail *detail),
                                  void *context, struct tpw_error_detail *detail);

/* Reads a whole file of at most `size_max` bytes into a new NUL-terminated buffer the
 * caller frees. Errors: TPW_ERR_NOT_FOUND, TPW_ERR_IO, TPW_ERR_FX_TOO_LARGE, NOMEM. */
enum tpw_err fx__read_file(const char *path, size_t size_max, char **data, size_t *data_len,
                           struct tpw_error_detail *detail);

#endif /* TPW_FX_INT_H */
