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

#include <assert.h>
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

/*
 * A positive real number as mantissa × 2^exponent, the mantissa in [2^63, 2^64) (0 is
 * zero), for the route search's pruning bounds. Every operation rounds in the direction
 * it is told, so a chain of them is a true upper (or lower) bound of the exact value: a
 * pruning test built on them can be loose but never wrong. Integers only, so no rounding
 * mode of a hardware number format is involved, and 64 bits of mantissa keep the slack
 * of a chain of four operations below 10^-18 of the value.
 */
struct fx__scaled {
    uint64_t mantissa;
    int64_t exponent;
};

/* One direction of one quoted pair: the leg from → to. */
struct fx__edge {
    struct money_rate rate; /* the bid (SELL_BASE) or the ask (BUY_BASE) */
    /* out = floor(net × ratio_num / ratio_den): bid / 10^s (SELL_BASE) or 10^s / ask
     * (BUY_BASE), s = 18 ± the exponent difference; for the bounds and the inverse. */
    tpw_u128 ratio_num;
    tpw_u128 ratio_den;
    /* At least (ratio_num / ratio_den) × unit_value[to] / unit_value[from]: the share of
     * its value that an amount keeps over the leg before the fee (about 1 − spread). */
    struct fx__scaled keep_up;
    const struct fx_fee_tiers *fees; /* the corridor's entry, or the graph's default */
    uint32_t quote_index;            /* the pair in fx_graph.quotes */
    uint8_t from;                    /* currency indices */
    uint8_t to;
    uint8_t side; /* enum fx_leg_side */
};

/* The legs into (or out of) one currency that keep the most value (keep_up), most first;
 * three, so that the best one avoiding the route's two ends is among them. An unused slot
 * has a zero bound. */
#define FX__BEST_LEGS 3
struct fx__best_legs {
    struct fx__scaled keep_up[FX__BEST_LEGS];
    uint8_t other[FX__BEST_LEGS]; /* the currency at the leg's other end */
    uint8_t reserved[5];          /* explicit padding to 56 bytes */
};

/* A leg as the search's middle loops scan it (route.c): a pivot's 40 middle legs are
 * 40 small records in a row, not 40 edges scattered through fx_graph.edges. */
struct fx__leg_bound {
    struct fx__scaled keep_up; /* the edge's */
    uint16_t edge_index;       /* into fx_graph.edges */
    uint8_t other;             /* the currency at the far end: from (in_legs), to (out_legs) */
    bool default_fees;         /* the edge charges the graph's default fees */
    uint8_t reserved[4];       /* explicit padding to 24 bytes */
};

/* One bit per currency in a uint64_t: FX_GRAPH_CURRENCIES_MAX must fit. */
static_assert(FX_GRAPH_CURRENCIES_MAX <= 64, "a currency set is one 64-bit word");

/*
 * Currencies are indices into `assets`, sorted by code, so index order is the byte
 * order of codes that breaks ties. Edges are sorted by (from, to): a currency's
 * outgoing legs are contiguous, `out_begin[v]` .. `out_begin[v + 1]`, in index order.
 */
struct fx_graph {
    struct money_asset assets[FX_GRAPH_CURRENCIES_MAX];
    /* What one minor unit of each currency is worth on a scale shared by the currencies
     * that pairs connect, chosen near the rates (graph.c). Any positive choice keeps the
     * search's bounds exact; a close one keeps them tight. */
    struct fx__scaled unit_value[FX_GRAPH_CURRENCIES_MAX];
    struct fx__scaled unit_inverse_up[FX_GRAPH_CURRENCIES_MAX]; /* ≥ 1 / unit_value */
    struct fx__best_legs best_in[FX_GRAPH_CURRENCIES_MAX];
    struct fx__best_legs best_out[FX_GRAPH_CURRENCIES_MAX];
    /* The legs with fees other than the default (a corridor's): bit w of special_out[v]
     * and bit v of special_in[w] for the leg v → w. The search bounds the default's fee
     * once per currency and these legs one by one. */
    uint64_t special_out[FX_GRAPH_CURRENCIES_MAX];
    uint64_t special_in[FX_GRAPH_CURRENCIES_MAX];
    /* Bit w of neighbours[v]: a pair joins v and w (legs go both ways). */
    uint64_t neighbours[FX_GRAPH_CURRENCIES_MAX];
    /* At least every leg's ratio_num / ratio_den: what a SELL's middle label can reach
     * before it saturates (route.c). */
    struct fx__scaled ratio_up_max;
    int16_t edge_at[FX_GRAPH_CURRENCIES_MAX][FX_GRAPH_CURRENCIES_MAX];
    uint16_t out_begin[FX_GRAPH_CURRENCIES_MAX + 1];
    uint16_t in_begin[FX_GRAPH_CURRENCIES_MAX + 1];
    struct fx_fee_tiers default_fees;
    struct fx_quote *quotes;
    struct fx_fee_tiers *corridor_fees;
    struct fx__edge *edges;
    /* Every leg once more: out_legs in the order of edges, in_legs grouped by the currency
     * they enter (in_begin[v] .. in_begin[v + 1]), each group in edge order. */
    struct fx__leg_bound *out_legs;
    struct fx__leg_bound *in_legs;
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

/* x as a bound, rounded up or down to 64 bits of mantissa. */
static inline struct fx__scaled fx__scaled_of(tpw_u128 x, bool round_up)
{
    struct fx__scaled out = {0, 0};
    if (x == 0) {
        return out;
    }
    uint64_t high = (uint64_t)(x >> 64);
    int bits = high != 0 ? 128 - __builtin_clzll(high) : 64 - __builtin_clzll((uint64_t)x);
    int shift = bits > 64 ? bits - 64 : 0;
    out.mantissa = (uint64_t)(x >> shift) << (64 - bits + shift);
    out.exponent = bits - 64;
    bool lost = shift > 0 && (x & (((tpw_u128)1 << shift) - 1)) != 0;
    if (round_up && lost && ++out.mantissa == 0) {
        /* 2^64 − 1 rounded up: the next power of two. */
        out.mantissa = (uint64_t)1 << 63;
        out.exponent++;
    }
    return out;
}

/* a × b, rounded up or down to 64 bits of mantissa. */
static inline struct fx__scaled fx__scaled_mul(struct fx__scaled a, struct fx__scaled b,
                                               bool round_up)
{
    struct fx__scaled out = {0, 0};
    if (a.mantissa == 0 || b.mantissa == 0) {
        return out;
    }
    /* Two normalized mantissas: the product is in [2^126, 2^128). */
    tpw_u128 product = (tpw_u128)a.mantissa * b.mantissa;
    int shift = (product >> 127) != 0 ? 64 : 63;
    out.mantissa = (uint64_t)(product >> shift);
    out.exponent = a.exponent + b.exponent + shift;
    bool lost = (product & (((tpw_u128)1 << shift) - 1)) != 0;
    if (round_up && lost && ++out.mantissa == 0) {
        out.mantissa = (uint64_t)1 << 63;
        out.exponent++;
    }
    return out;
}

/* a < b, exactly. */
static inline bool fx__scaled_less(struct fx__scaled a, struct fx__scaled b)
{
    if (a.mantissa == 0 || b.mantissa == 0) {
        return a.mantissa == 0 && b.mantissa != 0;
    }
    return a.exponent != b.exponent ? a.exponent < b.exponent : a.mantissa < b.mantissa;
}

/* The least integer ≥ x, or false when that is above 2^128 − 1. */
static inline bool fx__scaled_ceil(struct fx__scaled x, tpw_u128 *out)
{
    if (x.mantissa == 0 || x.exponent <= -64) {
        *out = x.mantissa == 0 ? 0 : 1; /* 0, or 0 < x < 1 */
        return true;
    }
    if (x.exponent >= 65) {
        return false; /* mantissa ≥ 2^63, so x ≥ 2^128 */
    }
    if (x.exponent >= 0) {
        *out = (tpw_u128)x.mantissa << x.exponent;
        return true;
    }
    int shift = (int)-x.exponent; /* 1..63 */
    uint64_t whole = x.mantissa >> shift;
    bool fraction = (x.mantissa & (((uint64_t)1 << shift) - 1)) != 0;
    *out = (tpw_u128)whole + (fraction ? 1 : 0);
    return true;
}

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
/* fx__leg_forward with the fee on `in_minor` already known (`fee_minor`, which must be
 * fx__fee of the edge's fees): for legs that share a fee table and an input. */
enum fx__state fx__leg_convert(const fx_graph *graph, const struct fx__edge *edge,
                               tpw_u128 in_minor, tpw_u128 fee_minor,
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

/* ---- csv_lines.c: fx's configuration CSVs ---- */

#define FX__CSV_FIELDS_MAX 8
#define FX__CSV_FIELD_SIZE 64

struct fx__csv_fields {
    char text[FX__CSV_FIELDS_MAX][FX__CSV_FIELD_SIZE];
    size_t count;
};

/* What a file's lines look like, for its errors. */
struct fx__csv_form {
    const char *what;     /* "fees": errors read "fees line 3: …" */
    const char *expected; /* "expected from,to,…": a line that does not split */
    size_t fields_min;
    size_t fields_max;
};

/* Splits one line at commas, trimming spaces and a trailing CR; false when it has more
 * than FX__CSV_FIELDS_MAX fields or one of FX__CSV_FIELD_SIZE bytes or more. */
bool fx__csv_split(const char *line, size_t length, struct fx__csv_fields *out /* out */);

typedef enum tpw_err fx__csv_line_fn(void *context, const struct fx__csv_fields *fields,
                                     size_t line, struct tpw_error_detail *detail);

/* `err` with "WHAT line N: WHY" (detail->offset_bytes holds the line number). */
enum tpw_err fx__csv_line_error(struct tpw_error_detail *detail, enum tpw_err err, const char *what,
                                size_t line, const char *why);

/* Hands each line that is neither blank nor a `#` comment to `line_fn`, split; a line
 * that does not split into form's field count is TPW_ERR_FX_CSV_SYNTAX. */
enum tpw_err fx__csv_each(const char *text, size_t text_len, const struct fx__csv_form *form,
                          fx__csv_line_fn *line_fn, void *context, struct tpw_error_detail *detail);

#endif /* TPW_FX_INT_H */
