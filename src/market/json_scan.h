/*
 * A strict, allocation-free scanner for the few JSON object shapes the venue feeds send
 * (the fast decoder of feed_*_fast.c): one pass over the bytes that finds the values of a
 * fixed table of keys, and says "not mine" for everything else so the caller can hand the
 * message to jansson instead.
 *
 * What it accepts is a strict subset of what jansson accepts, so a message it accepts
 * is one jansson would have decoded to the same values:
 *   - objects whose keys are all in the caller's table, each at most once (a duplicate
 *     would be bad_json for jansson: JSON_REJECT_DUPLICATES);
 *   - strings of printable ASCII without escapes (0x20..0x7e, no '\'): what jansson
 *     decodes them to is their bytes;
 *   - non-negative integers of 1 to 18 digits without a leading zero (below 2^63, so
 *     jansson's json_int_t holds them exactly);
 *   - the literals true and false (a trade's "m": is the buyer the maker);
 *   - arrays of levels: arrays of exactly `level_width` such strings ([[px,qty],…]);
 *   - one nested object (the combined-stream envelope's "data"), no deeper;
 *   - for keys marked `flat_object`, an object of any keys (no repeats) whose values are
 *     such strings, integers and literals (a kline's "k": ignored, only checked);
 *   - jansson's whitespace (space, tab, CR, LF), and nothing after the root but that.
 * Anything else — escapes, other bytes, reals, negative or longer numbers, null, other
 * nesting, unknown or repeated keys, truncation — is refused (false).
 *
 * With a stage (market_scan_message_staged), the strings of two-string levels are also
 * read as decimals while they are scanned, so the caller need not walk the level
 * strings a second time: a level whose price and quantity are both plain decimals
 * (digits, at most one point with a digit on each side, at most 19 digits) is kept as
 * their digits and fraction digit counts. What counts as accepted JSON does not change.
 */
#ifndef MARKET_JSON_SCAN_H
#define MARKET_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Keys one object table can hold: the Binance event table (depth, tickers and trades)
 * has 20; present_mask has a bit for each. */
#define MARKET_SCAN_KEYS_MAX 24

enum market_scan_type {
    MARKET_SCAN_ABSENT = 0,
    MARKET_SCAN_STRING = 1, /* text, text_len: the string's contents */
    MARKET_SCAN_UINT = 2,   /* number */
    MARKET_SCAN_LEVELS = 3, /* text, text_len: the array's bytes; levels_count */
    MARKET_SCAN_OBJECT = 4, /* the nested object, in the scan's `inner` */
    MARKET_SCAN_BOOL = 5,   /* number: 1 for true, 0 for false */
    MARKET_SCAN_FLAT = 6,   /* text, text_len: a flat object's bytes */
};

/* The most integer and fraction digits among the price (or quantity) strings of a
 * staged levels array: whether every one of them fits a book's exponent. */
struct market_scan_digits {
    uint8_t integer_max;
    uint8_t fraction_max;
};

/* A level whose two strings were plain decimals: each as its digits without the point
 * ("0.3520" is 3520) and how many of them follow the point. */
struct market_scan_level {
    uint64_t price_digits;
    uint64_t qty_digits;
    uint8_t price_fraction_digits;
    uint8_t qty_fraction_digits;
};

struct market_scan_value {
    enum market_scan_type type;
    const char *text; /* points into the scanned bytes */
    size_t text_len;
    uint64_t number;
    size_t levels_count;
    /* Levels only, and only with a stage: the array's levels_count levels when every
     * string was a plain decimal and the stage had room, else NULL. */
    const struct market_scan_level *staged;
    struct market_scan_digits price_digits; /* of the staged levels' prices */
    struct market_scan_digits qty_digits;   /* … and quantities */
};

/* Room for staged levels, the caller's: one message's levels share it. */
struct market_scan_stage {
    struct market_scan_level *levels;
    size_t levels_max;
    size_t levels_count; /* used by the message last scanned */
};

/* Bytes of a key's name, its NUL and the zeros after it: the scanner compares a name
 * as two 8-byte words, so a table's names are arrays, not pointers. */
#define MARKET_SCAN_KEY_SIZE 16

/* A key the scanner looks for; `level_width` > 0 lets its value be an array of levels,
 * `flat_object` an object of scalars. */
struct market_scan_key {
    char name[MARKET_SCAN_KEY_SIZE]; /* at most 15 bytes, zeros after them */
    unsigned level_width;
    bool flat_object;
};

struct market_scan_object {
    uint32_t present_mask; /* bit i: keys[i] was seen */
    struct market_scan_value values[MARKET_SCAN_KEYS_MAX];
};

/*
 * Scans `text` as one JSON object (and trailing whitespace) whose keys are in
 * `keys[0..keys_count)`. An object value is scanned into `inner` with the same table
 * (refused when `inner` is NULL, and inside `inner`). Returns false for anything outside
 * the accepted subset; `out` and `inner` are then unspecified. Values point into `text`.
 */
bool market_scan_message(const char *text, size_t text_len, const struct market_scan_key *keys,
                         size_t keys_count, struct market_scan_object *out /* out */,
                         struct market_scan_object *inner /* out, may be NULL */);

/* The same scan, staging the levels of two-string level arrays into `stage` (emptied
 * first; its levels are valid until the next scan into it). */
bool market_scan_message_staged(const char *text, size_t text_len,
                                const struct market_scan_key *keys, size_t keys_count,
                                struct market_scan_object *out /* out */,
                                struct market_scan_object *inner /* out, may be NULL */,
                                struct market_scan_stage *stage);

/*
 * A shape of message a venue sends nearly always (a depth diff in the combined-stream
 * envelope): its bytes between the values, exactly, and the key of each value. A
 * message that has the shape is scanned without reading its keys, separators and
 * whitespace one by one; any other goes through the general scan. The literals must be
 * the JSON text between the values — keys of the table, each once, '{' ':' ',' '}' and
 * no whitespace — so that what a shape accepts the general scan accepts the same.
 */
#define MARKET_SCAN_LITERAL_SIZE 16 /* a literal's bytes and zeros after them */

struct market_scan_step {
    char literal[MARKET_SCAN_LITERAL_SIZE]; /* the bytes before the value, at most 15 */
    size_t literal_len;                     /* (MARKET_SCAN_STEP counts them) */
    unsigned key;
    bool nested; /* the value belongs to the nested object (`inner`) */
};

/* A step of a shape; `literal` is a string literal (it initialises the array, so it is
 * not parenthesised). */
#define MARKET_SCAN_STEP(literal, key, nested)                                                     \
    {                                                                                              \
        literal, sizeof(literal) - 1, (key), (nested)                                              \
    }

/* Steps in one shape at most: the Binance depth diff in its envelope has 8 values. */
#define MARKET_SCAN_SHAPE_STEPS_MAX 12

struct market_scan_shape {
    struct market_scan_step steps[MARKET_SCAN_SHAPE_STEPS_MAX];
    size_t steps_count;
    char tail[MARKET_SCAN_LITERAL_SIZE]; /* the bytes after the last value: "}" or "}}" */
    size_t tail_len;
    unsigned nested_key; /* the key whose value is the nested object, when a step is nested */
};

/* market_scan_message_staged, trying each of `shapes` first. */
bool market_scan_message_shaped(const char *text, size_t text_len,
                                const struct market_scan_key *keys, size_t keys_count,
                                const struct market_scan_shape *shapes, size_t shapes_count,
                                struct market_scan_object *out /* out */,
                                struct market_scan_object *inner /* out, may be NULL */,
                                struct market_scan_stage *stage);

/* Digits a staged decimal may have once scaled to a book's exponent: what
 * market_decimal_parse() reads in 64 bits (book.c), below 10^19 < 2^64. */
#define MARKET_SCAN_SCALED_DIGITS_MAX 19u

/* 10^n for n <= MARKET_SCAN_SCALED_DIGITS_MAX. */
extern const uint64_t market_scan_pow10[MARKET_SCAN_SCALED_DIGITS_MAX + 1];

/*
 * True when every staged string with these digit counts is one market_decimal_parse()
 * accepts at `exponent` by its 64-bit path: no more fraction digits than the exponent,
 * at most 19 digits once scaled. Each one's value is then market_scan_decimal_value(),
 * and none can be refused.
 */
static inline bool market_scan_digits_fit(const struct market_scan_digits *digits,
                                          unsigned exponent)
{
    return digits->fraction_max <= exponent &&
           digits->integer_max + exponent <= MARKET_SCAN_SCALED_DIGITS_MAX;
}

/* The value of a staged decimal in units of 10^-exponent (market_scan_digits_fit held). */
static inline uint64_t market_scan_decimal_value(uint64_t digits, unsigned fraction_digits,
                                                 unsigned exponent)
{
    return digits * market_scan_pow10[exponent - fraction_digits];
}

/*
 * `text` as a plain decimal, the staging rule above (digits, at most one point with a
 * digit on each side, at most 19 digits): its digits without the point into *digits,
 * and its digit counts into *counts (their maxima, for market_scan_digits_fit). False
 * for any other text.
 */
bool market_scan_decimal(const char *text, size_t text_len, uint64_t *digits /* out */,
                         struct market_scan_digits *counts /* out */);

/* Walks the strings of a scanned levels array in order (price, quantity, price, …). */
struct market_scan_strings {
    const char *at;
    const char *end;
};

void market_scan_strings_init(struct market_scan_strings *walk,
                              const struct market_scan_value *value);

/* The next string of the walk; false past the last. */
bool market_scan_strings_next(struct market_scan_strings *walk, const char **text,
                              size_t *text_len /* out */);

#endif /* MARKET_JSON_SCAN_H */
