/*
 * Pricing and FX: rates from several providers, aggregated per currency pair with TTLs
 * and degradation, fees per corridor, the cheapest conversion route, locked quotes.
 *
 * Every rate is exact: struct money_rate (a decimal scaled by 10^18), never floating
 * point; every rounding point names its rounding mode (docs/fx.md lists them). The
 * module depends on money and base only: executing a conversion on the ledger is the
 * caller's (the HTTP API's) job, from the legs a quote describes.
 */
#ifndef TPWALLET_FX_H
#define TPWALLET_FX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/error.h"
#include "tpwallet/money.h"

/* ------------------------------------------------------------------------------------
 * Quotes: what every provider produces
 * ------------------------------------------------------------------------------------ */

/* An asset code ("EUR", "USDT") and its NUL. */
#define FX_CODE_SIZE (MONEY_ASSET_CODE_LEN_MAX + 1)

/*
 * One provider's price for one pair. `bid` and `ask` are units of `quote` per one unit
 * of `base` (EUR/USD at 1.1684: base "EUR", quote "USD"); bid ≤ ask, both > 0. A
 * reference rate with no spread (the ECB's) has bid = ask.
 */
struct fx_quote {
    char base[FX_CODE_SIZE];
    char quote[FX_CODE_SIZE];
    struct money_rate bid;
    struct money_rate ask;
    uint64_t time_ns; /* when the provider says the price held (ns since the epoch, UTC) */
};

/* ---- ECB reference rates and history ---- */

/*
 * The ECB publishes, on TARGET business days around 16:00 Frankfurt time, how many
 * units of each of about 30 currencies one euro buys. These functions read its files
 * (daily and multi-day XML, the hist and daily CSVs, eurofxref-hist.zip) into one
 * in-memory history, keep that history on disk, and answer "what was the rate of X as
 * of date D" and cross rates between two non-euro currencies (docs/fx.md, Providers).
 */

/* Dates are whole days since 1970-01-01 (int32_t `*_days`), written YYYY-MM-DD. The
 * accepted years are 1970..2500: the ECB series starts in 1999, and every such date's
 * 16:00 fits a quote's time_ns (uint64_t nanoseconds since the epoch end in 2554). */
#define FX_DATE_TEXT_SIZE 11 /* "2026-04-13" and its NUL */

/* Parses exactly YYYY-MM-DD (a real calendar day). Error: TPW_ERR_FX_DATE_INVALID. */
TPW_MUST_CHECK enum tpw_err fx_date_parse(const char *text, size_t text_len,
                                          int32_t *date_days /* out */,
                                          struct tpw_error_detail *detail);
/* Writes YYYY-MM-DD and its NUL into `buf` (FX_DATE_TEXT_SIZE bytes). */
void fx_date_format(int32_t date_days, char buf[FX_DATE_TEXT_SIZE]);
/* The UTC calendar day of a time in ns since the epoch (the system clock's "today"). */
int32_t fx_date_from_time_ns(uint64_t time_ns);

/* The default staleness limit of fx_history_rate_as_of() and fx_history_cross(): an
 * observation at most 7 calendar days older than the date asked for is used. TARGET
 * closes for at most 4 consecutive days (Good Friday to Easter Monday, or 24-26 Dec
 * plus a weekend), so a week covers every holiday gap and refuses a discontinued
 * currency a week after its last fixing. */
#define FX_STALE_DAYS_DEFAULT 7

/* Bounds of a history, with their reasons. The ECB has quoted 41 currencies since 1999;
 * 64 leaves room. 40,000 days is over a century of business days. */
#define FX_HISTORY_CURRENCIES_MAX 64
#define FX_HISTORY_DAYS_MAX 40000
/* Largest ECB file read: eurofxref-hist.csv is about 2 MB (2026), the zip 0.6 MB. */
#define FX_ECB_FILE_SIZE_MAX ((size_t)64 * 1024 * 1024)

/* One rate in an ECB day: units of `currency` per 1 EUR. */
struct fx_ecb_rate {
    struct money_rate per_eur;
    char currency[FX_CODE_SIZE];
};

/* One ECB publication day (the daily XML file, one row of a CSV). */
struct fx_ecb_day {
    struct fx_ecb_rate rates[FX_HISTORY_CURRENCIES_MAX];
    size_t rates_count;
    int32_t date_days;
};

/* A rate history: per currency, its observations in date order. Opaque handle. */
typedef struct fx_history fx_history;

/* One observation: on `date_days` one euro bought `per_eur` of the currency. */
struct fx_observation {
    struct money_rate per_eur;
    int32_t date_days;
};

/* Creates an empty history; NULL only when out of memory. */
fx_history *fx_history_create(void);
void fx_history_destroy(fx_history *history);

/*
 * Adds one observation. The same currency and date again with the same rate is kept
 * once; with a different rate it is TPW_ERR_FX_HISTORY_CONFLICT (both values in the
 * message) and the history is unchanged. Other errors: TPW_ERR_FX_CURRENCY_INVALID
 * (not three letters A-Z, or EUR), TPW_ERR_FX_RATE_ZERO, TPW_ERR_FX_HISTORY_FULL.
 */
TPW_MUST_CHECK enum tpw_err fx_history_add(fx_history *history, const char *currency,
                                           int32_t date_days, struct money_rate per_eur,
                                           struct tpw_error_detail *detail);

/* Adds every observation of `from` to `into`, all or nothing (errors as above). */
TPW_MUST_CHECK enum tpw_err fx_history_merge(fx_history *into, const fx_history *from,
                                             struct tpw_error_detail *detail);

struct fx_history_summary {
    size_t days_count;         /* distinct dates with at least one observation */
    size_t currencies_count;   /* currencies with at least one observation */
    size_t observations_count; /* (date, currency) pairs */
    int32_t first_days;        /* earliest date; 0 when the history is empty */
    int32_t last_days;         /* latest date; 0 when the history is empty */
};

/* TPW_ERR_NOMEM when the days cannot be counted. */
TPW_MUST_CHECK enum tpw_err fx_history_summarize(const fx_history *history,
                                                 struct fx_history_summary *summary /* out */,
                                                 struct tpw_error_detail *detail);

/* The currencies in code order (each has at least one observation); the pointer stays
 * valid until the history next changes. */
size_t fx_history_currencies_count(const fx_history *history);
const char *fx_history_currency_at(const fx_history *history, size_t index);

/*
 * The latest observation of `currency` on or before `date_days`. EUR is 1 on every
 * date. Errors: TPW_ERR_FX_CURRENCY_INVALID; TPW_ERR_FX_RATE_UNAVAILABLE when the
 * currency has no observation on or before the date; TPW_ERR_FX_RATE_STALE when that
 * observation is more than `stale_days` (≥ 0) calendar days older than the date.
 */
TPW_MUST_CHECK enum tpw_err fx_history_rate_as_of(const fx_history *history, const char *currency,
                                                  int32_t date_days, int32_t stale_days,
                                                  struct fx_observation *out /* out */,
                                                  struct tpw_error_detail *detail);

/* A derived rate: `mid` units of TO per 1 FROM, from observations of `as_of_days` (the
 * older of the two legs' observation dates). */
struct fx_cross_rate {
    struct money_rate mid;
    int32_t as_of_days;
};

/*
 * FROM→TO as of `date_days`: (TO per EUR) × 10^18 / (FROM per EUR), exact, rounded
 * half-even to 10^-18 (the only rounding point). Each leg is taken with
 * fx_history_rate_as_of() and must pass its staleness rule. Errors: theirs, and
 * TPW_ERR_FX_RATE_ZERO when the quotient rounds to 0.
 */
TPW_MUST_CHECK enum tpw_err fx_history_cross(const fx_history *history, const char *from,
                                             const char *to, int32_t date_days, int32_t stale_days,
                                             struct fx_cross_rate *out /* out */,
                                             struct tpw_error_detail *detail);

/*
 * The newest cross rate: as of the earlier of the two currencies' last observation
 * dates, so both legs come from the same publication whenever both were quoted then.
 * EUR's last date is the history's. No staleness limit (the caller judges as_of against
 * its own clock). Errors as fx_history_cross(), less TPW_ERR_FX_RATE_STALE.
 */
TPW_MUST_CHECK enum tpw_err fx_history_cross_latest(const fx_history *history, const char *from,
                                                    const char *to,
                                                    struct fx_cross_rate *out /* out */,
                                                    struct tpw_error_detail *detail);

/*
 * Parsers. Each reads a whole document into a new history (`*out`, the caller destroys
 * it) or fails with `*out` left NULL; errors carry the line (and for CSVs the column)
 * in the message, and for CSVs detail->offset_bytes is the byte offset of the row.
 *
 * XML (daily or multi-day): root gesmes:Envelope, Cube elements in the eurofxref
 * namespace; parsed without network access or entity expansion. Errors:
 * TPW_ERR_FX_XML_INVALID (malformed, truncated, missing attributes),
 * TPW_ERR_FX_XML_NAMESPACE, TPW_ERR_FX_DATE_INVALID, TPW_ERR_FX_CURRENCY_INVALID,
 * TPW_ERR_FX_CURRENCY_DUPLICATE (within a day), TPW_ERR_FX_RATE_INVALID,
 * TPW_ERR_FX_RATE_ZERO, TPW_ERR_FX_HISTORY_CONFLICT, TPW_ERR_FX_HISTORY_FULL.
 */
TPW_MUST_CHECK enum tpw_err fx_ecb_xml_parse(const char *xml, size_t xml_len,
                                             fx_history **out /* out */,
                                             struct tpw_error_detail *detail);

/* The daily XML file: exactly one day (a multi-day file is TPW_ERR_FX_XML_INVALID). */
TPW_MUST_CHECK enum tpw_err fx_ecb_xml_parse_day(const char *xml, size_t xml_len,
                                                 struct fx_ecb_day *out /* out */,
                                                 struct tpw_error_detail *detail);

/*
 * The hist CSV (`Date,USD,...,`, YYYY-MM-DD, newest first) or the daily CSV
 * (`Date, USD, ...`, dates like `13 April 2026`): rows in any order; `N/A` is "not
 * quoted that day"; spaces around cells and one trailing comma are accepted. Errors:
 * TPW_ERR_FX_CSV_SYNTAX (header, cell count), and those of the XML parser.
 */
TPW_MUST_CHECK enum tpw_err fx_ecb_csv_parse(const char *csv, size_t csv_len,
                                             fx_history **out /* out */,
                                             struct tpw_error_detail *detail);

/* eurofxref-hist.zip: the archive's single .csv member, parsed as above. Errors:
 * TPW_ERR_FX_ZIP_INVALID (not a zip, no or several .csv members),
 * TPW_ERR_FX_TOO_LARGE (a member above FX_ECB_FILE_SIZE_MAX), and the CSV's. */
TPW_MUST_CHECK enum tpw_err fx_ecb_zip_parse(const char *zip, size_t zip_len,
                                             fx_history **out /* out */,
                                             struct tpw_error_detail *detail);

/* Any of the three, told apart by content (a zip's "PK\3\4", XML's '<', CSV's "Date");
 * otherwise TPW_ERR_FX_FORMAT_UNKNOWN. */
TPW_MUST_CHECK enum tpw_err fx_ecb_parse(const char *data, size_t data_len,
                                         fx_history **out /* out */,
                                         struct tpw_error_detail *detail);

/* fx_ecb_parse() on a file of at most FX_ECB_FILE_SIZE_MAX bytes. Adds
 * TPW_ERR_NOT_FOUND, TPW_ERR_IO and TPW_ERR_FX_TOO_LARGE. */
TPW_MUST_CHECK enum tpw_err fx_ecb_load_file(const char *path, fx_history **out /* out */,
                                             struct tpw_error_detail *detail);

/*
 * The stored history: `dir`/history.csv in the canonical CSV of
 * docs/formats/fx-history.md. Loading a directory without the file gives an empty
 * history; a malformed file is TPW_ERR_FX_HISTORY_CORRUPT (with its line). Saving
 * writes history.csv.tmp, syncs it, renames it over history.csv and syncs `dir`, so a
 * crash leaves the old history or the new one; errors TPW_ERR_IO (errno in the message).
 */
TPW_MUST_CHECK enum tpw_err fx_history_load(const char *dir, fx_history **out /* out */,
                                            struct tpw_error_detail *detail);
TPW_MUST_CHECK enum tpw_err fx_history_save(const fx_history *history, const char *dir,
                                            struct tpw_error_detail *detail);

/*
 * The quotes of one ECB day: base "EUR", quote the currency, bid = ask = the rate,
 * time_ns = 16:00 Europe/Frankfurt on that date (CET, UTC+1, or CEST, UTC+2, from 01:00
 * UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October).
 * Writes day->rates_count quotes; TPW_ERR_INVALID_ARGUMENT when `quotes_max` is smaller.
 */
TPW_MUST_CHECK enum tpw_err fx_ecb_day_quotes(const struct fx_ecb_day *day, struct fx_quote *quotes,
                                              size_t quotes_max, size_t *quotes_count /* out */,
                                              struct tpw_error_detail *detail);

/* 16:00 Europe/Frankfurt on `date_days`, in ns since the epoch (UTC). */
uint64_t fx_ecb_fixing_time_ns(int32_t date_days);

/*
 * tpw_fx_live: fetches the daily XML over HTTP(S) and parses it. Redirects are not
 * followed (a 3xx is an HTTP status error), the body is capped at FX_ECB_FETCH_BODY_MAX,
 * `timeout_ms` bounds the whole transfer. Errors: TPW_ERR_FX_FETCH_FAILED (connection
 * refused, DNS, reset), TPW_ERR_FX_FETCH_TIMEOUT, TPW_ERR_FX_FETCH_HTTP_STATUS (not 200),
 * TPW_ERR_FX_TOO_LARGE, TPW_ERR_NOMEM, TPW_ERR_INVALID_ARGUMENT (a timeout of 0), and
 * fx_ecb_xml_parse_day()'s. libcurl initialises itself on first use; a program with
 * several threads calls curl_global_init() before its first fetch.
 */
#define FX_ECB_FETCH_BODY_MAX ((size_t)256 * 1024) /* the daily file is about 1.6 KB */
TPW_MUST_CHECK enum tpw_err fx_ecb_fetch(const char *url, uint32_t timeout_ms,
                                         struct fx_ecb_day *out /* out */,
                                         struct tpw_error_detail *detail);

#endif /* TPWALLET_FX_H */
