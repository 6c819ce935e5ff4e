/*
 * Internals of the fx module shared between its files (private to src/fx, tools/tidy):
 * - fees and routing: the graph's layout, one leg's arithmetic forward and backward,
 *   and the corridor fee rules;
 * - the ECB providers and the history: the history's layout, the calendar helpers, the
 *   checks every ECB reader applies to a cell, and the bulk path the parsers use
 *   (append unsorted, then seal once: sorting each currency's series at the end keeps a
 *   newest-first file of 7,000 rows linear instead of quadratic).
 * The aggregator's own structures are in aggregate.h.
 */
#ifndef TPW_FX_INT_H
#define TPW_FX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecb_parts.h"
#include "tpwallet/fx.h"

/* ---- fees and routing ------------------------------------------------------------- */

/* Distinct pairs of FX_GRAPH_CURRENCIES_MAX currencies: n(n-1)/2. */
#define FX__PAIRS_MAX ((size_t)FX_GRAPH_CURRENCIES_MAX * (FX_GRAPH_CURRENCIES_MAX - 1) / 2)

/* No edge between two currencies in fx_graph.edge_at. */
#define FX__NO_EDGE (-1)

/* One direction of one quoted pair: the leg from → to. */
struct fx__edge {
    struct money_rate rate; /* the bid (SELL_BASE) or the ask (BUY_BASE) */
    /* out = floor(net × ratio_num / ratio_den): bid / 10^s (SELL_BASE) or 10^s / ask
     * (BUY_BASE), s = 18 ± the exponent difference; for the bounds and the inverse. */
    tpw_u128 ratio_num;
    tpw_u128 ratio_den;
    const struct fx_fee_tiers *fees; /* the corridor's entry, or the graph's default */
    uint32_t quote_index;            /* the pair in fx_graph.quotes */
    uint8_t from;                    /* currency indices */
    uint8_t to;
    uint8_t side; /* enum fx_leg_side */
};

/*
 * Currencies are indices into `assets`, sorted by code, so index order is the byte
 * order of codes that breaks ties. Edges are sorted by (from, to): a currency's
 * outgoing legs are contiguous, `out_begin[v]` .. `out_begin[v + 1]`, in index order.
 */
struct fx_graph {
    struct money_asset assets[FX_GRAPH_CURRENCIES_MAX];
    int16_t edge_at[FX_GRAPH_CURRENCIES_MAX][FX_GRAPH_CURRENCIES_MAX];
    uint16_t out_begin[FX_GRAPH_CURRENCIES_MAX + 1];
    struct fx_fee_tiers default_fees;
    struct fx_quote *quotes;
    struct fx_fee_tiers *corridor_fees;
    struct fx__edge *edges;
    size_t quote_count;
    size_t corridor_count;
    size_t edge_count;
    size_t currency_count;
};

/* What a leg (or a label in the search) holds: nothing usable, an amount, or more
 * than 2^128-1 (saturated: every later leg of it is "more than 2^128-1" too). */
enum fx__state {
    FX__DEAD = 0,
    FX__FINITE = 1,
    FX__INFINITE = 2,
};

/* fees.c */

/* Checks one corridor's tiers (docs/fx.md, "Fees"); TPW_ERR_FX_FEE_TIERS_INVALID. */
TPW_MUST_CHECK enum tpw_err fx__fee_tiers_check(const struct fx_fee_tiers *tiers,
                                                struct tpw_error_detail *detail);
/* The fee on a leg input of `amount_minor` under valid `tiers` (never fails). */
tpw_u128 fx__fee(const struct fx_fee_tiers *tiers, tpw_u128 amount_minor);
/* The least input whose net (input − fee) is at least `net_minor`; false when none is
 * below 2^128. */
bool fx__fee_input_for_net(const struct fx_fee_tiers *tiers, tpw_u128 net_minor,
                           tpw_u128 *in_minor /* out */);

/* graph.c */

/* The index of `code`, or false. */
bool fx__currency_index(const fx_graph *graph, const char *code, uint8_t *index /* out */);
/*
 * One leg forward: fee on `in_minor`, the rest converted, rounded down. Returns
 * FX__DEAD when the fee takes the whole input or the output rounds to 0, FX__INFINITE
 * when the output exceeds 2^128-1, else FX__FINITE with `*out_minor`. `*fee_minor` is
 * always set.
 */
enum fx__state fx__leg_forward(const fx_graph *graph, const struct fx__edge *edge,
                               tpw_u128 in_minor, tpw_u128 *fee_minor /* out */,
                               tpw_u128 *out_minor /* out */);
/* One leg backward: the least input whose output is at least `out_minor` (≥ 1):
 * FX__FINITE with `*in_minor`, or FX__INFINITE when it is above 2^128-1. */
enum fx__state fx__leg_backward(const struct fx__edge *edge, tpw_u128 out_minor,
                                tpw_u128 *in_minor /* out */);
/* route.c */

/* Runs `amount_minor` along the currency indices `path` (2..4, validated). Errors:
 * TPW_ERR_FX_ROUTE_INVALID, TPW_ERR_FX_AMOUNT_TOO_SMALL, TPW_ERR_OVERFLOW. */
TPW_MUST_CHECK enum tpw_err fx__route_run(const fx_graph *graph, const uint8_t *path,
                                          size_t path_len, tpw_u128 amount_minor,
                                          struct fx_route *out /* out */,
                                          struct tpw_error_detail *detail);

/* graph.c: fills `leg`'s codes, side and rate for `edge`. */
void fx__leg_describe(const fx_graph *graph, const struct fx__edge *edge,
                      struct fx_leg *leg /* out */);

/* ---- the ECB providers and the history ------------------------------------------- */

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
