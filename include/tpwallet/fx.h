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

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/clock.h"
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

/* ---- Exchange tickers ---- */

/* A venue's top of book in its own units (the market module's books): prices are
 * price × 10^price_exponent. */
struct fx_ticker {
    char base[FX_CODE_SIZE];  /* "BTC" of BTC-USDT */
    char quote[FX_CODE_SIZE]; /* "USDT" */
    uint64_t bid_minor;       /* the best bid's price */
    uint64_t ask_minor;       /* the best ask's price */
    unsigned price_exponent;  /* 0..18 */
    uint64_t time_ns;         /* when the venue says the book stood so (ns since the epoch) */
};

/*
 * The ticker as a provider's quote, exactly (a power-of-ten scaling: no rounding).
 * TPW_ERR_FX_QUOTE_INVALID: codes (money_asset_code_valid, and different), an exponent above 18,
 * an empty bid, or a crossed book (bid above ask). Feed the result to
 * fx_aggregator_update() under the venue's provider.
 */
TPW_MUST_CHECK enum tpw_err fx_quote_from_ticker(const struct fx_ticker *ticker,
                                                 struct fx_quote *out /* out */,
                                                 struct tpw_error_detail *detail);

/* ---- Static rates ---- */

/* Pairs one static rates file holds. */
#define FX_STATIC_RATES_MAX 256

/* Configured rates (time_ns 0: whoever feeds them dates them). */
struct fx_static_rates {
    struct fx_quote quotes[FX_STATIC_RATES_MAX];
    size_t count;
};

/*
 * Reads static rates from CSV (docs/formats/fx-static-rates.md): `base,quote,rate` or
 * `base,quote,bid,ask` lines, `#` comments. Errors name the line (detail->offset_bytes
 * holds its number): TPW_ERR_FX_CSV_SYNTAX (field count, codes, a pair or its inverse
 * twice, more than FX_STATIC_RATES_MAX), TPW_ERR_FX_QUOTE_INVALID (a rate not a decimal
 * above zero, bid above ask). _load adds the file's errors (TPW_ERR_NOT_FOUND,
 * TPW_ERR_IO, TPW_ERR_FX_TOO_LARGE above 1 MiB).
 */
TPW_MUST_CHECK enum tpw_err fx_static_rates_parse(const char *text, size_t text_len,
                                                  struct fx_static_rates *out /* out */,
                                                  struct tpw_error_detail *detail);
TPW_MUST_CHECK enum tpw_err fx_static_rates_load(const char *path,
                                                 struct fx_static_rates *out /* out */,
                                                 struct tpw_error_detail *detail);

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
 * Merges `from` into `dir`'s stored history (which must exist as a directory): load,
 * merge, save under an exclusive lock on `dir`/history.csv.lock, so the server's ECB
 * poller and `tpwallet fx load-ecb` can write at once without losing either's rates.
 * All or nothing: a conflict (TPW_ERR_FX_HISTORY_CONFLICT) or any other error leaves the
 * stored history as it was. *stored (may be NULL) gets the merged history's summary.
 */
TPW_MUST_CHECK enum tpw_err fx_history_store_merge(const char *dir, const fx_history *from,
                                                   struct fx_history_summary *stored /* out */,
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
 * fx_ecb_xml_parse_day()'s. When `cancel` (may be NULL) becomes true the transfer stops
 * within about a second (TPW_ERR_FX_FETCH_FAILED, "cancelled"). libcurl initialises itself on first
 * use; a program with several threads calls curl_global_init() before its first fetch.
 */
#define FX_ECB_FETCH_BODY_MAX ((size_t)256 * 1024) /* the daily file is about 1.6 KB */
TPW_MUST_CHECK enum tpw_err fx_ecb_fetch(const char *url, uint32_t timeout_ms,
                                         const atomic_bool *cancel,
                                         struct fx_ecb_day *out /* out */,
                                         struct tpw_error_detail *detail);

/* ---- Aggregation: quotes from several providers per pair ---------------------------- */

/* A provider's name ("ecb", "manual", "kraken") and its NUL. */
#define FX_PROVIDER_NAME_SIZE 24
/* Most providers one aggregator takes (each pair keeps one quote per provider). */
#define FX_PROVIDERS_MAX 16
/* Most pairs quoted directly (derived cross rates are not stored). */
#define FX_PAIRS_MAX 4096

enum fx_status {
    FX_STATUS_NONE = 0,     /* not yet computed: a pair's state before its first quote */
    FX_STATUS_FRESH = 1,    /* enough fresh providers of the best available priority */
    FX_STATUS_DEGRADED = 2, /* served, but from fewer providers, a fallback or a grace period */
    FX_STATUS_STALE = 3,    /* nothing recent enough: shown at most, never executed */
};

/* "fresh", "degraded", "stale" ("unknown" for NONE). */
const char *fx_status_name(enum fx_status status);

struct fx_provider_config {
    char name[FX_PROVIDER_NAME_SIZE];
    uint64_t ttl_ns;   /* a quote older than this (by its time_ns) is no longer fresh */
    uint64_t grace_ns; /* after the TTL, the pair may still be served degraded this long */
    uint32_t priority; /* 0 is the most preferred; lower classes are fallbacks */
};

/*
 * The aggregation policy (docs/fx.md, Aggregation). Outliers: a quote whose mid is
 * further from the median than max(k·MAD, floor) is left out, with k given in
 * thousandths and the floor in basis points of the median.
 */
struct fx_policy {
    uint32_t quorum;              /* fresh providers needed for FRESH (≥ 1) */
    uint32_t outlier_mad_k_milli; /* k × 1000; 0 turns outlier rejection off */
    uint32_t outlier_floor_bps;   /* deviations within this are never outliers */
    uint64_t future_skew_ns;      /* a quote dated further ahead than this is refused */
    char pivots[2][FX_CODE_SIZE]; /* cross rates are derived through these, in order ("" = none) */
};

/* quorum 1, k = 4.448 (3 scaled MADs: 3 × 1.4826), floor 5 bps, skew 5 s, pivots EUR, USD. */
struct fx_policy fx_policy_default(void);

/* What the aggregator says about one pair at one moment. Rates as in struct fx_quote. */
struct fx_rate {
    char base[FX_CODE_SIZE];
    char quote[FX_CODE_SIZE];
    struct money_rate bid; /* median of the kept providers' bids (a cross: rounded down) */
    struct money_rate ask; /* median of the kept asks (a cross: rounded up) */
    struct money_rate mid; /* median of the kept mids (half-even) */
    enum fx_status status;
    uint32_t providers_used;     /* quotes in the medians */
    uint32_t providers_rejected; /* fresh quotes left out as outliers */
    uint32_t priority;           /* the priority class the medians come from */
    uint64_t time_ns;            /* the oldest quote used */
    char via[FX_CODE_SIZE];      /* the pivot of a derived cross rate, else "" */
    bool inverted;               /* derived from the pair quoted the other way round */
};

/* A pair's status changed, in update or tick (first appearance: old is NONE). */
struct fx_status_event {
    char base[FX_CODE_SIZE];
    char quote[FX_CODE_SIZE];
    enum fx_status old_status;
    enum fx_status new_status;
    uint64_t time_ns; /* the aggregator's clock at the change */
};

typedef void fx_status_fn(void *ctx, const struct fx_status_event *event);

/* Per provider, for /metrics and health pages. */
struct fx_provider_stats {
    char name[FX_PROVIDER_NAME_SIZE];
    bool up;                  /* false after a failure, until its next accepted quote */
    uint64_t quotes_accepted; /* updates stored */
    uint64_t quotes_refused;  /* invalid, future-dated or out of order */
    uint64_t failures;        /* fx_aggregator_provider_failed() calls */
    uint64_t last_quote_ns;   /* newest time_ns accepted, 0 if none */
    enum tpw_err last_error;  /* the last failure's code, TPW_OK if none */
};

typedef struct fx_aggregator fx_aggregator;

/* Validates the policy (TPW_ERR_FX_POLICY_INVALID) and allocates; the clock is copied. */
TPW_MUST_CHECK enum tpw_err fx_aggregator_create(const struct fx_policy *policy,
                                                 struct tpw_clock clock,
                                                 fx_aggregator **out /* out */,
                                                 struct tpw_error_detail *detail);
void fx_aggregator_destroy(fx_aggregator *aggregator);

/* Registers a provider; its id (0, 1, …) is what updates name it by. */
TPW_MUST_CHECK enum tpw_err fx_aggregator_provider_add(fx_aggregator *aggregator,
                                                       const struct fx_provider_config *config,
                                                       uint32_t *provider_id /* out */,
                                                       struct tpw_error_detail *detail);

/* Whether fx_aggregator_update() would store `quote` now, with its errors but nothing
 * stored nor counted: for a caller that must make the quote durable before it counts
 * (the server's manual rates). Out of memory is the only refusal it cannot foresee. */
TPW_MUST_CHECK enum tpw_err fx_aggregator_check(const fx_aggregator *aggregator,
                                                uint32_t provider_id, const struct fx_quote *quote,
                                                struct tpw_error_detail *detail);

/*
 * Stores the provider's newest quote for the pair and recomputes the pair; a status
 * change calls the listener before this returns. Refused, changing nothing:
 * TPW_ERR_FX_PROVIDER_UNKNOWN, TPW_ERR_FX_QUOTE_INVALID (codes, bid > ask, zero),
 * TPW_ERR_FX_QUOTE_FUTURE, TPW_ERR_FX_QUOTE_OUT_OF_ORDER (older than the one held),
 * TPW_ERR_FX_PAIRS_FULL.
 */
TPW_MUST_CHECK enum tpw_err fx_aggregator_update(fx_aggregator *aggregator, uint32_t provider_id,
                                                 const struct fx_quote *quote,
                                                 struct tpw_error_detail *detail);

/* A provider could not deliver (fetch or parse failed): marked down, its last good
 * quotes keep serving until their TTL runs out. */
void fx_aggregator_provider_failed(fx_aggregator *aggregator, uint32_t provider_id,
                                   enum tpw_err error);

/* Re-evaluates every pair against the clock (TTLs run out with no update at all),
 * calling the listener for each change. Call it periodically (e.g. each second). */
void fx_aggregator_tick(fx_aggregator *aggregator);

/* One listener (NULL for none); replaces the previous one. */
void fx_aggregator_listen(fx_aggregator *aggregator, fx_status_fn *listener, void *ctx);

/*
 * The rate of base/quote now: the pair as quoted, else its inverse, else a cross
 * through the policy's pivots (the worse status and the older time of the two legs).
 * TPW_ERR_FX_PAIR_UNKNOWN when no provider ever quoted anything that reaches it. A
 * stale pair is returned (status STALE) for display; fx_rate_executable() refuses it.
 */
TPW_MUST_CHECK enum tpw_err fx_aggregator_rate(const fx_aggregator *aggregator, const char *base,
                                               const char *quote, struct fx_rate *out /* out */,
                                               struct tpw_error_detail *detail);

/* TPW_OK when a conversion may run on the rate: FRESH, or DEGRADED with
 * allow_degraded; else TPW_ERR_FX_PAIR_STALE or TPW_ERR_FX_PAIR_DEGRADED. */
TPW_MUST_CHECK enum tpw_err fx_rate_executable(const struct fx_rate *rate, bool allow_degraded,
                                               struct tpw_error_detail *detail);

size_t fx_aggregator_provider_count(const fx_aggregator *aggregator);
void fx_aggregator_provider_stats(const fx_aggregator *aggregator, uint32_t provider_id,
                                  struct fx_provider_stats *out /* out */);
/* Pairs quoted directly, in the order they first appeared; `index` < the count. */
size_t fx_aggregator_pair_count(const fx_aggregator *aggregator);
void fx_aggregator_pair_at(const fx_aggregator *aggregator, size_t index,
                           struct fx_rate *out /* out */);

/* ---- The ECB as a provider of the aggregator ---------------------------------------- */

/*
 * Feeds one ECB day to the aggregator as `provider_id`'s quotes (fx_ecb_day_quotes:
 * EUR/X, no spread, at the day's fixing time); *stored counts those taken. Quotes older
 * than the provider's held ones are skipped (an older publication), not an error; any
 * other refusal stops with the aggregator's error.
 */
TPW_MUST_CHECK enum tpw_err fx_ecb_provide_day(fx_aggregator *aggregator, uint32_t provider_id,
                                               const struct fx_ecb_day *day,
                                               size_t *stored /* out */,
                                               struct tpw_error_detail *detail);

/* The history's newest day: the currencies quoted on its last date, at their rates.
 * TPW_ERR_FX_RATE_UNAVAILABLE when the history is empty. */
TPW_MUST_CHECK enum tpw_err fx_ecb_history_latest_day(const fx_history *history,
                                                      struct fx_ecb_day *out /* out */,
                                                      struct tpw_error_detail *detail);

/*
 * tpw_fx_live: one poll — fx_ecb_fetch(url) then fx_ecb_provide_day(). On any failure
 * the provider is marked down (fx_aggregator_provider_failed) with the error, which is
 * returned; its last good quotes serve on until their TTL.
 */
TPW_MUST_CHECK enum tpw_err fx_ecb_poll(fx_aggregator *aggregator, uint32_t provider_id,
                                        const char *url, uint32_t timeout_ms,
                                        size_t *stored /* out */, struct tpw_error_detail *detail);

/* ---- Fees per corridor and routing ---- */

/*
 * A graph of currencies joined by pair quotes, with a fee table per directed corridor,
 * and the search for the conversion route (at most three legs) that gives the customer
 * the most of the target asset for an amount sold, or asks the least of the source
 * asset for an amount to receive. docs/fx.md ("Fees", "Routing") states the fee model,
 * the tier rule, every rounding point and why the search is exact.
 */

/* Currencies in one graph: indices fit a byte and the search's tables stay on the stack. */
#define FX_GRAPH_CURRENCIES_MAX 64
/* Fee tiers per corridor: a handful of amount bands is what fee grids publish. */
#define FX_FEE_TIERS_MAX 8
/* Legs in a route (EUR→USD→TWD is two; three allows one more pivot). */
#define FX_ROUTE_LEGS_MAX 3

/*
 * One tier: `schedule` applies to a leg whose input (minor units of the leg's input
 * asset) is at least `threshold_minor`, up to the next tier's threshold.
 */
struct fx_fee_tier {
    tpw_u128 threshold_minor;
    struct money_fee_schedule schedule;
};

/*
 * The tiers of one corridor, thresholds strictly ascending, the first one 0 (every
 * amount has a tier). `tier_count` 0 means no fee. Crossing a threshold may raise the
 * fee by at most one minor unit (fee(t) ≤ fee_below(t − 1) + 1): a larger amount then
 * never nets less, which the search relies on (docs/fx.md, "Fees").
 */
struct fx_fee_tiers {
    struct fx_fee_tier tier[FX_FEE_TIERS_MAX];
    uint32_t tier_count;
};

/* The fees of the directed corridor `from` → `to` (one leg, in `from`'s asset). */
struct fx_corridor_fee {
    struct fx_fee_tiers tiers;
    char from[FX_CODE_SIZE];
    char to[FX_CODE_SIZE];
};

/*
 * What a graph is built from; the graph copies all of it. Currencies are the assets
 * (exponents 0..18, codes unique); each quote joins its base and quote, usable in both
 * directions; a corridor without its own entry pays `default_fees`.
 */
struct fx_graph_spec {
    const struct money_asset *assets;
    size_t asset_count;
    const struct fx_quote *quotes;
    size_t quote_count;
    const struct fx_corridor_fee *corridors;
    size_t corridor_count;
    struct fx_fee_tiers default_fees;
};

typedef struct fx_graph fx_graph;

/*
 * Builds a graph. Errors, in the order checked: TPW_ERR_FX_GRAPH_TOO_LARGE (more quotes
 * or corridors than FX_GRAPH_CURRENCIES_MAX currencies can have distinct, then more
 * than FX_GRAPH_CURRENCIES_MAX assets), TPW_ERR_NOMEM; TPW_ERR_ASSET_CODE_INVALID,
 * TPW_ERR_ASSET_EXPONENT_INVALID, TPW_ERR_ASSET_DUPLICATE (assets);
 * TPW_ERR_FX_CURRENCY_UNKNOWN, TPW_ERR_FX_QUOTE_INVALID (same base and quote, a zero
 * rate, bid > ask), TPW_ERR_FX_PAIR_DUPLICATE (the same two currencies twice, in either
 * order) (quotes); TPW_ERR_FX_CURRENCY_UNKNOWN, TPW_ERR_INVALID_ARGUMENT (from = to),
 * TPW_ERR_FX_CORRIDOR_DUPLICATE, TPW_ERR_FX_FEE_TIERS_INVALID (corridors, then the
 * default). detail->param names the input ("quotes[3].ask"). `*out` is set only on
 * success; the caller destroys it with fx_graph_destroy (NULL is allowed there). The
 * graph is read-only after creation: searches on it may run in parallel.
 */
TPW_MUST_CHECK enum tpw_err fx_graph_create(const struct fx_graph_spec *spec,
                                            fx_graph **out /* out */,
                                            struct tpw_error_detail *detail);
void fx_graph_destroy(fx_graph *graph);

/* Which way a search goes: an amount of FROM to sell, or an amount of TO to receive. */
enum fx_route_direction {
    FX_ROUTE_SELL = 1,
    FX_ROUTE_BUY = 2,
};

/* How a leg uses its pair. */
enum fx_leg_side {
    /* The leg's input is the pair's base: sold at the bid, out = net × bid. */
    FX_LEG_SELL_BASE = 1,
    /* The leg's input is the pair's quote: base bought at the ask, out = net / ask. */
    FX_LEG_BUY_BASE = 2,
};

/* One leg: `in_minor` of `from` pays `fee_minor` (of `from`) and converts the rest. */
struct fx_leg {
    struct money_rate rate_used; /* the pair's bid (SELL_BASE) or ask (BUY_BASE) */
    tpw_u128 in_minor;
    tpw_u128 fee_minor;
    tpw_u128 out_minor; /* of `to`, rounded down */
    enum fx_leg_side side;
    char from[FX_CODE_SIZE];
    char to[FX_CODE_SIZE];
    char pair_base[FX_CODE_SIZE];
    char pair_quote[FX_CODE_SIZE];
};

/* A route: the legs in order; in_minor is the first leg's input, out_minor the last's. */
struct fx_route {
    tpw_u128 in_minor;
    tpw_u128 out_minor;
    struct fx_leg legs[FX_ROUTE_LEGS_MAX];
    size_t leg_count;
};

/*
 * A search's answer. `best` is the chosen route. When the graph quotes FROM and TO as
 * a pair, `direct_exists` is true and `direct_err` says whether the one-leg route
 * works for this request (TPW_OK: `direct` holds it; TPW_ERR_FX_AMOUNT_TOO_SMALL or
 * TPW_ERR_OVERFLOW otherwise). `saving_bps` is set (`saving_known`) only when the direct
 * route works: SELL (best.out − direct.out) × 10000 / direct.out, BUY (direct.in −
 * best.in) × 10000 / direct.in, both rounded down (the saving is never overstated) and
 * saturated at TPW_U128_MAX; it is 0 when the direct route is the best.
 */
struct fx_route_explanation {
    struct fx_route best;
    struct fx_route direct;
    tpw_u128 saving_bps;
    enum fx_route_direction direction;
    enum tpw_err direct_err;
    bool direct_exists;
    bool saving_known;
};

/* Corridors one fee table holds (each with up to FX_FEE_TIERS_MAX tiers). */
#define FX_FEE_CORRIDORS_MAX 256

/* A fee table as configured: corridors with their own tiers, the default for the rest. */
struct fx_fee_table {
    struct fx_corridor_fee corridors[FX_FEE_CORRIDORS_MAX];
    size_t corridor_count;
    struct fx_fee_tiers default_fees;
};

/* The table's corridors between two of `assets`, in order, into `out` (room for
 * table->corridor_count; it may be table->corridors itself, to filter in place);
 * returns how many. A graph refuses corridors of currencies it does not have, and a
 * table names currencies that may not be quoted now. */
size_t fx_fee_table_corridors_within(const struct fx_fee_table *table,
                                     const struct money_asset *assets, size_t asset_count,
                                     struct fx_corridor_fee *out);

/*
 * Reads a fee table from CSV (docs/formats/fx-fees.md): lines
 * `from,to,threshold_minor,fixed_minor,bps,min_minor,max_minor` (max empty: none; `*,*`
 * the default), `#` comments. Errors name the line: TPW_ERR_FX_CSV_SYNTAX,
 * TPW_ERR_FX_FEE_TIERS_INVALID (too many corridors or tiers, thresholds not ascending
 * from 0, a tier rule broken — the same rules as fx_graph_create). `_load` adds
 * TPW_ERR_NOT_FOUND, TPW_ERR_IO and TPW_ERR_FX_TOO_LARGE (over 4 MiB). An empty table
 * charges nothing.
 */
TPW_MUST_CHECK enum tpw_err fx_fee_table_parse(const char *text, size_t text_len,
                                               struct fx_fee_table *out /* out */,
                                               struct tpw_error_detail *detail);
TPW_MUST_CHECK enum tpw_err fx_fee_table_load(const char *path, struct fx_fee_table *out /* out */,
                                              struct tpw_error_detail *detail);

/*
 * SELL: the route of at most FX_ROUTE_LEGS_MAX legs, no currency twice, that gives the
 * most of `to` for `amount_minor` of `from`; BUY: the one that needs the least of
 * `from` to receive at least `amount_minor` of `to`. Ties go to fewer legs, then to the
 * route whose currency codes come first in byte order. Errors: TPW_ERR_INVALID_ARGUMENT
 * (unknown direction, `from` = `to`, a BUY of 0), TPW_ERR_FX_CURRENCY_UNKNOWN,
 * TPW_ERR_FX_NO_ROUTE (no path of at most three legs), TPW_ERR_FX_AMOUNT_TOO_SMALL
 * (SELL: on every route some leg's fee takes the whole input or its output rounds to
 * 0), TPW_ERR_OVERFLOW (an amount on the chosen route exceeds 2^128-1). `*out` is
 * written only on success.
 */
TPW_MUST_CHECK enum tpw_err fx_route_find(const fx_graph *graph, enum fx_route_direction direction,
                                          const char *from, const char *to, tpw_u128 amount_minor,
                                          struct fx_route_explanation *out /* out */,
                                          struct tpw_error_detail *detail);

/*
 * Runs `amount_minor` forward through the given path of `path_len` (2..4) currency
 * codes, one leg per step, as the search would (a brute force and a ledger executor use
 * it). Errors: TPW_ERR_INVALID_ARGUMENT (length), TPW_ERR_FX_CURRENCY_UNKNOWN,
 * TPW_ERR_FX_ROUTE_INVALID (a currency twice, or two neighbours without a pair),
 * TPW_ERR_FX_AMOUNT_TOO_SMALL (a leg's fee takes its whole input, or its output rounds
 * to 0), TPW_ERR_OVERFLOW.
 */
TPW_MUST_CHECK enum tpw_err fx_route_evaluate(const fx_graph *graph, const char *const *path,
                                              size_t path_len, tpw_u128 amount_minor,
                                              struct fx_route *out /* out */,
                                              struct tpw_error_detail *detail);

#endif /* TPWALLET_FX_H */
