/*
 * The strict JSON scanner of the fast decoder (json_scan.h says what it accepts and
 * why that is a subset of jansson's grammar). A cursor moves forward only, so every
 * loop ends within the input's length; any byte outside the subset stops the scan with
 * false, and the caller falls back to jansson, which then says what was wrong.
 *
 * Where the time goes, in order: a snapshot's levels (the staged decimals, read 8 bytes
 * at a time, in the compact loop of levels_compact), the stream's values (strings and
 * integers 8 bytes at a time), and a message's structure (keys as two words; a shaped
 * message's literals compared as words). Each fast path either gives what the general
 * byte-by-byte path gives or hands the bytes back to it at a point where it can go on;
 * tests/unit/market/test_json_scan.c checks them against each other.
 */
#include <string.h>

#include "json_scan.h"
#include "tpw_assert.h"

#include "banned.h"

/* Longest integer accepted: 10^18 - 1 < 2^63 - 1, so jansson's json_int_t holds it. */
#define SCAN_UINT_DIGITS_MAX 18

/* Most digits of a staged decimal: 10^19 - 1 < 2^64, so its digits fit a uint64_t. */
#define SCAN_DECIMAL_DIGITS_MAX MARKET_SCAN_SCALED_DIGITS_MAX

/* 64-bit powers, not tpw_u128_pow10(): the staged decimals scale by them inline (json_scan.h)
 * on every level, where a call and 128-bit products would be most of the work. */
const uint64_t market_scan_pow10[MARKET_SCAN_SCALED_DIGITS_MAX + 1] = {
    UINT64_C(1),
    UINT64_C(10),
    UINT64_C(100),
    UINT64_C(1000),
    UINT64_C(10000),
    UINT64_C(100000),
    UINT64_C(1000000),
    UINT64_C(10000000),
    UINT64_C(100000000),
    UINT64_C(1000000000),
    UINT64_C(10000000000),
    UINT64_C(100000000000),
    UINT64_C(1000000000000),
    UINT64_C(10000000000000),
    UINT64_C(100000000000000),
    UINT64_C(1000000000000000),
    UINT64_C(10000000000000000),
    UINT64_C(100000000000000000),
    UINT64_C(1000000000000000000),
    UINT64_C(10000000000000000000),
};

struct cursor {
    const char *at;
    const char *end;
    struct market_scan_stage *stage; /* NULL: levels are not staged */
};

static void skip_space(struct cursor *cursor)
{
    while (cursor->at < cursor->end && (*cursor->at == ' ' || *cursor->at == '\t' ||
                                        *cursor->at == '\n' || *cursor->at == '\r')) {
        cursor->at++;
    }
}

/* Consumes `c` after optional whitespace. */
static bool expect(struct cursor *cursor, char c)
{
    if (cursor->at < cursor->end && *cursor->at == c) {
        cursor->at++; /* the venues send no whitespace: this is nearly every call */
        return true;
    }
    skip_space(cursor);
    if (cursor->at == cursor->end || *cursor->at != c) {
        return false;
    }
    cursor->at++;
    return true;
}

/* The 8 bytes at `at` as a number whose lowest byte is at[0], whatever the byte order. */
static uint64_t load_le64(const char *at)
{
    uint64_t word = 0;
    (void)memcpy(&word, at, sizeof(word));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    return word;
}

/* Bytes of a word, and one bit in each (its top bit) for per-byte flags. */
#define BYTES_EACH(byte) (UINT64_C(0x0101010101010101) * (byte))

/*
 * How many of the word's bytes, from the lowest, are ASCII digits (0..8). Each byte v
 * XOR '0' is 0..9 for a digit; (v & 0x7f) + 0x76 reaches 0x80 exactly when that is 10
 * or more, without a carry into the next byte, and v's own top bit flags the rest.
 */
static unsigned digits_leading(uint64_t word)
{
    uint64_t value = word ^ BYTES_EACH(0x30);
    uint64_t flags = (((value & BYTES_EACH(0x7f)) + BYTES_EACH(0x76)) | value) & BYTES_EACH(0x80);
    return flags == 0 ? 8 : (unsigned)__builtin_ctzll(flags) / 8;
}

/*
 * The number the first `count` (1..8) bytes of the word spell, at[0] the first digit.
 * The digits are moved to the top bytes (zero bytes below them are leading zeros), then
 * neighbours are combined in three multiplications: ×(1 + 10·2^8) >> 8 leaves 10·a + b
 * in every other byte, ×(1 + 100·2^16) >> 16 pairs those into 4-digit lanes of 16 bits,
 * and ×(1 + 10000·2^32) >> 32 the two lanes into the 8-digit number.
 */
static uint64_t digits_value(uint64_t word, unsigned count)
{
    TPW_ASSERT(count >= 1 && count <= 8);
    uint64_t digits = (word << (8 * (8 - count))) & BYTES_EACH(0x0f);
    digits = (digits * (1 + (UINT64_C(10) << 8))) >> 8;
    digits = ((digits & UINT64_C(0x00ff00ff00ff00ff)) * (1 + (UINT64_C(100) << 16))) >> 16;
    return ((digits & UINT64_C(0x0000ffff0000ffff)) * (1 + (UINT64_C(10000) << 32))) >> 32;
}

/*
 * Reads the run of ASCII digits at `at` (not beyond `end`) onto *value (×10 a digit;
 * it wraps past 19 digits, which the caller refuses); returns where the run ends. Why
 * 8 bytes at a time: a byte at a time was one long multiply-add chain per digit, most of
 * a snapshot's scan.
 */
static const char *digits_run(const char *at, const char *end, uint64_t *value)
{
    while (end - at >= 8) {
        uint64_t word = load_le64(at);
        unsigned count = digits_leading(word);
        if (count == 0) {
            return at;
        }
        *value = *value * market_scan_pow10[count] + digits_value(word, count);
        at += count;
        if (count < 8) {
            return at;
        }
    }
    for (; at < end && (unsigned)(unsigned char)*at - '0' < 10; at++) {
        *value = *value * 10 + ((unsigned)(unsigned char)*at - '0');
    }
    return at;
}

/*
 * A flag (the top bit) in each byte of the word that is a quote, a backslash, below 0x20
 * or above 0x7e: what ends a string or makes the scanner refuse it. With v the byte's
 * low 7 bits, v + 0x60 stays below 0x80 exactly when v < 0x20, v + 1 reaches it when
 * v is 0x7f, and (v ^ c) + 0x7f stays below it exactly when v is c; none of these sums
 * carries into the next byte, and a byte with its top bit set is flagged by it.
 */
static uint64_t string_stops(uint64_t word)
{
    uint64_t low = word & BYTES_EACH(0x7f);
    uint64_t control = ~(low + BYTES_EACH(0x60));
    uint64_t rubout = low + BYTES_EACH(0x01); /* 0x7f */
    uint64_t quote = ~((low ^ BYTES_EACH('"')) + BYTES_EACH(0x7f));
    uint64_t backslash = ~((low ^ BYTES_EACH('\\')) + BYTES_EACH(0x7f));
    return (word | control | rubout | quote | backslash) & BYTES_EACH(0x80);
}

/* A string of printable ASCII without escapes; the cursor is at its opening quote. Eight
 * bytes at a time while eight can be read (the values of a shaped message: stream
 * names, event kinds, symbols), then byte by byte from the first byte flagged. */
static bool scan_string(struct cursor *cursor, const char **text, size_t *text_len)
{
    if (!expect(cursor, '"')) {
        return false;
    }
    const char *start = cursor->at;
    const char *at = start;
    while (cursor->end - at >= 8) {
        uint64_t flags = string_stops(load_le64(at));
        if (flags != 0) {
            at += (unsigned)__builtin_ctzll(flags) / 8;
            break;
        }
        at += 8;
    }
    while (at < cursor->end && *at != '"') {
        unsigned char c = (unsigned char)*at;
        if (c < 0x20 || c > 0x7e || c == '\\') {
            return false; /* an escape or a byte jansson would check or decode */
        }
        at++;
    }
    if (at == cursor->end) {
        return false;
    }
    *text = start;
    *text_len = (size_t)(at - start);
    cursor->at = at + 1;
    return true;
}

static bool scan_uint(struct cursor *cursor, uint64_t *out)
{
    const char *start = cursor->at;
    uint64_t value = 0; /* wraps past 19 digits, refused below */
    cursor->at = digits_run(start, cursor->end, &value);
    size_t digits = (size_t)(cursor->at - start);
    if (digits == 0 || digits > SCAN_UINT_DIGITS_MAX || (digits > 1 && *start == '0')) {
        return false;
    }
    *out = value;
    return true;
}

/* The literal `word` ("true", "false"); what follows it is the caller's to check. */
static bool scan_literal(struct cursor *cursor, const char *word)
{
    size_t word_len = strlen(word);
    if ((size_t)(cursor->end - cursor->at) < word_len || memcmp(cursor->at, word, word_len) != 0) {
        return false;
    }
    cursor->at += word_len;
    return true;
}

/* One level: '[' then exactly `width` strings. */
static bool scan_level(struct cursor *cursor, unsigned width)
{
    if (!expect(cursor, '[')) {
        return false;
    }
    for (unsigned index = 0; index < width; index++) {
        const char *text = NULL;
        size_t text_len = 0;
        if ((index > 0 && !expect(cursor, ',')) || !scan_string(cursor, &text, &text_len)) {
            return false;
        }
    }
    return expect(cursor, ']');
}

/*
 * A string that is a plain decimal — digits, at most one point with a digit on each
 * side, at most 19 digits — as its digits without the point and the digit counts; the
 * cursor is at its opening quote and moves past the closing one. False, the cursor
 * unmoved, for any other string (or no string): scan_string() then decides on it.
 */
static bool scan_decimal(struct cursor *cursor, uint64_t *digits, unsigned *integer_digits,
                         unsigned *fraction_digits)
{
    if (cursor->at == cursor->end || *cursor->at != '"') {
        return false;
    }
    const char *start = cursor->at + 1;
    uint64_t value = 0;
    const char *at = digits_run(start, cursor->end, &value);
    size_t integer_count = (size_t)(at - start);
    size_t fraction_count = 0;
    if (integer_count > 0 && at < cursor->end && *at == '.') {
        const char *fraction = at + 1;
        at = digits_run(fraction, cursor->end, &value);
        fraction_count = (size_t)(at - fraction);
        if (fraction_count == 0) {
            return false; /* "5.": not a plain decimal */
        }
    }
    if (at == cursor->end || *at != '"' || integer_count == 0 ||
        integer_count + fraction_count > SCAN_DECIMAL_DIGITS_MAX) {
        return false;
    }
    *digits = value;
    *fraction_digits = (unsigned)fraction_count;
    *integer_digits = (unsigned)integer_count;
    cursor->at = at + 1;
    return true;
}

/* Raises the maxima of `digits` to a string's counts. */
static void digits_note(struct market_scan_digits *digits, unsigned integer_digits,
                        unsigned fraction_digits)
{
    TPW_ASSERT(integer_digits + fraction_digits <= SCAN_DECIMAL_DIGITS_MAX);
    if (integer_digits > digits->integer_max) {
        digits->integer_max = (uint8_t)integer_digits;
    }
    if (fraction_digits > digits->fraction_max) {
        digits->fraction_max = (uint8_t)fraction_digits;
    }
}

/*
 * One level of two strings, as scan_level(cursor, 2) accepts it, into *level while both
 * strings are plain decimals; the first that is not clears *plain, and the strings are
 * then only scanned.
 */
static bool scan_level_staged(struct cursor *cursor, struct market_scan_level *level,
                              struct market_scan_value *value, bool *plain)
{
    if (!expect(cursor, '[')) {
        return false;
    }
    uint64_t *digits[2] = {&level->price_digits, &level->qty_digits};
    uint8_t *fraction[2] = {&level->price_fraction_digits, &level->qty_fraction_digits};
    struct market_scan_digits *maxima[2] = {&value->price_digits, &value->qty_digits};
    for (unsigned index = 0; index < 2; index++) {
        if (index > 0 && !expect(cursor, ',')) {
            return false;
        }
        skip_space(cursor);
        unsigned integer_digits = 0;
        unsigned fraction_digits = 0;
        if (*plain && scan_decimal(cursor, digits[index], &integer_digits, &fraction_digits)) {
            *fraction[index] = (uint8_t)fraction_digits;
            digits_note(maxima[index], integer_digits, fraction_digits);
            continue;
        }
        *plain = false;
        const char *text = NULL;
        size_t text_len = 0;
        if (!scan_string(cursor, &text, &text_len)) {
            return false;
        }
    }
    return expect(cursor, ']');
}

/* Bytes that must follow a compact level's start for level_compact() to read without
 * bound checks: a string's reads end within 17 bytes of its start (two 8-byte words and
 * the byte after them), the price starts 2 bytes in and the quantity at most 21, so
 * every read, up to the byte after the level's ']', is within 40. Nearer the end, the
 * rest is read from a copy of this size (level_compact_tail). */
#define COMPACT_LEVEL_BYTES 48

/*
 * A plain decimal of at most 7 integer and 8 fraction digits and its closing quote, as
 * the venues write prices and quantities ("0.35210000", "672.00000000"), read from two
 * 8-byte words; `at` is after the opening quote and 17 bytes from it are readable.
 * Returns the byte after the closing quote, or NULL for anything else (longer or not
 * plain), which scan_decimal() then reads.
 */
static const char *decimal_compact(const char *at, uint64_t *digits, unsigned *integer_digits,
                                   unsigned *fraction_digits)
{
    uint64_t word = load_le64(at);
    unsigned integer_count = digits_leading(word);
    if (integer_count == 0 || integer_count == 8) {
        return NULL;
    }
    /* One integer digit (most prices, "0.35210000") needs no SWAR conversion. */
    uint64_t value = integer_count == 1 ? (word & 0x0f) : digits_value(word, integer_count);
    at += integer_count;
    unsigned fraction_count = 0;
    if (*at == '.') {
        at++;
        word = load_le64(at);
        fraction_count = digits_leading(word);
        if (fraction_count == 0) {
            return NULL;
        }
        value *= market_scan_pow10[fraction_count];
        if ((word << (8 * (8 - fraction_count)) & BYTES_EACH(0x0f)) != 0) {
            value += digits_value(word, fraction_count); /* a fraction of zeros adds nothing */
        }
        at += fraction_count;
    }
    if (*at != '"') {
        return NULL; /* a ninth fraction digit, or a byte that is not part of a decimal */
    }
    *digits = value;
    *integer_digits = integer_count;
    *fraction_digits = fraction_count;
    return at + 1;
}

/* Running maxima of a staged array's digit counts, kept in registers by levels_compact. */
struct digits_maxima {
    unsigned price_integer;
    unsigned price_fraction;
    unsigned qty_integer;
    unsigned qty_fraction;
};

/* One compact level ["price","qty"] into *level, its digit counts into *maxima; the
 * byte after its ']', or NULL (and *maxima unchanged). COMPACT_LEVEL_BYTES readable. */
static const char *level_compact(const char *at, struct market_scan_level *level,
                                 struct digits_maxima *maxima)
{
    unsigned price_integer = 0;
    unsigned price_fraction = 0;
    unsigned qty_integer = 0;
    unsigned qty_fraction = 0;
    if (at[0] != '[' || at[1] != '"') {
        return NULL;
    }
    at = decimal_compact(at + 2, &level->price_digits, &price_integer, &price_fraction);
    if (at == NULL || at[0] != ',' || at[1] != '"') {
        return NULL;
    }
    at = decimal_compact(at + 2, &level->qty_digits, &qty_integer, &qty_fraction);
    if (at == NULL || at[0] != ']') {
        return NULL;
    }
    level->price_fraction_digits = (uint8_t)price_fraction;
    level->qty_fraction_digits = (uint8_t)qty_fraction;
    maxima->price_integer =
        price_integer > maxima->price_integer ? price_integer : maxima->price_integer;
    maxima->price_fraction =
        price_fraction > maxima->price_fraction ? price_fraction : maxima->price_fraction;
    maxima->qty_integer = qty_integer > maxima->qty_integer ? qty_integer : maxima->qty_integer;
    maxima->qty_fraction =
        qty_fraction > maxima->qty_fraction ? qty_fraction : maxima->qty_fraction;
    return at + 1;
}

/*
 * level_compact() for a level fewer than COMPACT_LEVEL_BYTES from the end (a message's
 * last levels: a diff's asks are mostly there): the rest of the input is copied into
 * zeros, which no decimal, quote or bracket matches, so the copy reads as the input
 * ending where it ends.
 */
static const char *level_compact_tail(const char *at, const char *end,
                                      struct market_scan_level *level, struct digits_maxima *maxima)
{
    char copy[COMPACT_LEVEL_BYTES] = {0};
    TPW_ASSERT(end - at < COMPACT_LEVEL_BYTES);
    (void)memcpy(copy, at, (size_t)(end - at));
    const char *next = level_compact(copy, level, maxima);
    return next != NULL ? at + (next - copy) : NULL;
}

/*
 * The run of levels as venues send them — no whitespace, both strings short plain
 * decimals — staged in one tight loop (the general path's calls, cursor updates and
 * byte loops were most of a snapshot's scan). The cursor is at a level's start. Each
 * level taken is followed by a ',' (consumed, and the loop goes on) or by anything
 * else: the cursor is then after that level and the result is true. False: the cursor
 * is at the start of a level this loop did not take (the run may have taken others),
 * for the general path. The levels taken are exactly what scan_level_staged() would
 * have staged, so the array's scan and staging do not depend on where the run stops.
 */
static bool levels_compact(struct cursor *cursor, struct market_scan_value *value, size_t *count)
{
    struct market_scan_stage *stage = cursor->stage;
    struct digits_maxima maxima = {value->price_digits.integer_max,
                                   value->price_digits.fraction_max, value->qty_digits.integer_max,
                                   value->qty_digits.fraction_max};
    const char *at = cursor->at;
    bool after_level = false;
    while (stage->levels_count < stage->levels_max) {
        struct market_scan_level *level = &stage->levels[stage->levels_count];
        const char *next = cursor->end - at >= COMPACT_LEVEL_BYTES
                               ? level_compact(at, level, &maxima)
                               : level_compact_tail(at, cursor->end, level, &maxima);
        if (next == NULL) {
            break;
        }
        stage->levels_count++;
        (*count)++;
        at = next;
        if (at == cursor->end || *at != ',') {
            after_level = true;
            break;
        }
        at++;
    }
    cursor->at = at;
    value->price_digits =
        (struct market_scan_digits){(uint8_t)maxima.price_integer, (uint8_t)maxima.price_fraction};
    value->qty_digits =
        (struct market_scan_digits){(uint8_t)maxima.qty_integer, (uint8_t)maxima.qty_fraction};
    return after_level;
}

/* One level of an array: staged (the next level of the stage) while *plain holds and
 * the stage has room, else only scanned (and *plain is cleared). */
static bool scan_level_any(struct cursor *cursor, unsigned width, struct market_scan_value *value,
                           bool *plain)
{
    struct market_scan_stage *stage = cursor->stage;
    if (*plain && stage->levels_count < stage->levels_max) {
        if (!scan_level_staged(cursor, &stage->levels[stage->levels_count], value, plain)) {
            return false;
        }
        stage->levels_count += *plain ? 1 : 0;
        return true;
    }
    *plain = false;
    return scan_level(cursor, width);
}

/* Starts staging an array's levels when the scan has a stage and they are pairs. */
static bool staging_begin(const struct cursor *cursor, unsigned width,
                          struct market_scan_value *value)
{
    value->staged = NULL;
    value->price_digits = (struct market_scan_digits){0, 0};
    value->qty_digits = (struct market_scan_digits){0, 0};
    return cursor->stage != NULL && width == 2;
}

/* Ends an array's staging: its levels, or (not all plain) their room given back. */
static void staging_end(struct cursor *cursor, struct market_scan_value *value, bool plain,
                        size_t first, size_t count)
{
    if (cursor->stage == NULL) {
        return;
    }
    if (plain) {
        TPW_ASSERT(cursor->stage->levels_count == first + count);
        value->staged = &cursor->stage->levels[first];
    } else {
        cursor->stage->levels_count = first;
    }
}

/* An array of levels; the cursor is at its '['. */
static bool scan_levels(struct cursor *cursor, unsigned width, struct market_scan_value *value)
{
    TPW_ASSERT(width > 0);
    const char *start = cursor->at;
    if (!expect(cursor, '[')) {
        return false;
    }
    bool plain = staging_begin(cursor, width, value);
    size_t first = cursor->stage != NULL ? cursor->stage->levels_count : 0;
    size_t count = 0;
    skip_space(cursor);
    if (cursor->at < cursor->end && *cursor->at == ']') {
        cursor->at++;
    } else {
        bool more = true;
        while (more) { /* each turn consumes a level, so it ends within the input */
            bool after_level = plain && levels_compact(cursor, value, &count);
            if (!after_level && !(plain ? scan_level_any(cursor, width, value, &plain)
                                        : scan_level(cursor, width))) {
                return false;
            }
            count += after_level ? 0 : 1;
            skip_space(cursor);
            more = cursor->at < cursor->end && *cursor->at == ',';
            if (!more && !expect(cursor, ']')) {
                return false;
            }
            cursor->at += more ? 1 : 0;
        }
    }
    staging_end(cursor, value, plain, first, count);
    value->type = MARKET_SCAN_LEVELS;
    value->text = start;
    value->text_len = (size_t)(cursor->at - start);
    value->levels_count = count;
    return true;
}

static bool scan_object(struct cursor *cursor, const struct market_scan_key *keys,
                        size_t keys_count, struct market_scan_object *out,
                        struct market_scan_object *inner);

/* A nested object, into *inner, which is then used up: one nested object per message. */
static bool scan_inner(struct cursor *cursor, const struct market_scan_key *keys, size_t keys_count,
                       struct market_scan_value *value, struct market_scan_object **inner)
{
    struct market_scan_object *object = *inner;
    *inner = NULL;
    value->type = MARKET_SCAN_OBJECT;
    return scan_object(cursor, keys, keys_count, object, NULL);
}

static bool scan_flat_object(struct cursor *cursor, struct market_scan_value *value);

/* The value of keys[key_index]; the cursor is after the ':'. */
static bool scan_value(struct cursor *cursor, const struct market_scan_key *keys, size_t keys_count,
                       size_t key_index, struct market_scan_value *value,
                       struct market_scan_object **inner)
{
    skip_space(cursor);
    if (cursor->at == cursor->end) {
        return false;
    }
    char c = *cursor->at;
    if (c == '"') {
        value->type = MARKET_SCAN_STRING;
        return scan_string(cursor, &value->text, &value->text_len);
    }
    if (c >= '0' && c <= '9') {
        value->type = MARKET_SCAN_UINT;
        return scan_uint(cursor, &value->number);
    }
    if (c == 't' || c == 'f') {
        /* "truex" or "true1" is left for the caller's ',' or '}' check to refuse. */
        value->type = MARKET_SCAN_BOOL;
        value->number = c == 't' ? 1 : 0;
        return scan_literal(cursor, c == 't' ? "true" : "false");
    }
    if (c == '[' && keys[key_index].level_width > 0) {
        return scan_levels(cursor, keys[key_index].level_width, value);
    }
    if (c == '{' && keys[key_index].flat_object) {
        return scan_flat_object(cursor, value);
    }
    if (c == '{' && *inner != NULL) {
        return scan_inner(cursor, keys, keys_count, value, inner);
    }
    return false;
}

/* Keys a flat object may have (a kline's "k" has 17); more are left to jansson. */
#define SCAN_FLAT_KEYS_MAX 32

struct flat_names {
    const char *name[SCAN_FLAT_KEYS_MAX];
    size_t name_len[SCAN_FLAT_KEYS_MAX];
    size_t count;
};

/* Keeps a flat object's key; false when it was seen before (jansson refuses repeated
 * keys, JSON_REJECT_DUPLICATES) or there are too many to check. */
static bool flat_name_add(struct flat_names *names, const char *name, size_t name_len)
{
    if (names->count == SCAN_FLAT_KEYS_MAX) {
        return false;
    }
    for (size_t index = 0; index < names->count; index++) {
        if (names->name_len[index] == name_len && memcmp(names->name[index], name, name_len) == 0) {
            return false;
        }
    }
    names->name[names->count] = name;
    names->name_len[names->count++] = name_len;
    return true;
}

/* One "key": scalar member of a flat object, the scalar as scan_value() reads one. */
static bool scan_flat_member(struct cursor *cursor, struct flat_names *names)
{
    static const struct market_scan_key scalar_key = {"", 0, false};
    const char *name = NULL;
    size_t name_len = 0;
    if (!scan_string(cursor, &name, &name_len) || !expect(cursor, ':') ||
        !flat_name_add(names, name, name_len)) {
        return false;
    }
    struct market_scan_value scalar;
    struct market_scan_object *no_inner = NULL;
    return scan_value(cursor, &scalar_key, 1, 0, &scalar, &no_inner);
}

/*
 * An object of scalars for a `flat_object` key; the cursor is at its '{'. Its members
 * are checked, not kept: the venue's own kline is such an object, and the feeds ignore
 * klines, but declining them sent each through jansson (a tenth of a replay's time).
 */
static bool scan_flat_object(struct cursor *cursor, struct market_scan_value *value)
{
    const char *start = cursor->at;
    struct flat_names names;
    names.count = 0;
    if (!expect(cursor, '{')) {
        return false;
    }
    skip_space(cursor);
    bool more = cursor->at == cursor->end || *cursor->at != '}';
    cursor->at += more ? 0 : 1;
    while (more) { /* each turn consumes a member, so it ends within the input */
        if (!scan_flat_member(cursor, &names)) {
            return false;
        }
        skip_space(cursor);
        more = cursor->at < cursor->end && *cursor->at == ',';
        if (!more && !expect(cursor, '}')) {
            return false;
        }
        cursor->at += more ? 1 : 0;
    }
    value->type = MARKET_SCAN_FLAT;
    value->text = start;
    value->text_len = (size_t)(cursor->at - start);
    return true;
}

/* A word's low `count` bytes (0..8), the others zero. */
static uint64_t word_prefix(uint64_t word, size_t count)
{
    return count >= 8 ? word : word & ((UINT64_C(1) << (8 * count)) - 1);
}

/*
 * The index of the key `name` in the table, or keys_count. The name, when shorter than
 * MARKET_SCAN_KEY_SIZE, is read as two words zero past its length, which is how the
 * table holds its names: a key matches when both words do, two compares a key where a
 * byte loop through each name's pointer was most of a stream message's scan.
 */
static size_t key_find(const struct cursor *cursor, const struct market_scan_key *keys,
                       size_t keys_count, const char *name, size_t name_len, size_t *hint)
{
    if (name_len >= MARKET_SCAN_KEY_SIZE) {
        return keys_count; /* no key of a table is this long */
    }
    uint64_t words[2] = {0, 0};
    if (cursor->end - name >= MARKET_SCAN_KEY_SIZE) {
        words[0] = word_prefix(load_le64(name), name_len);
        words[1] = word_prefix(load_le64(name + 8), name_len > 8 ? name_len - 8 : 0);
    } else {
        char padded[MARKET_SCAN_KEY_SIZE] = {0}; /* near the end: not 16 bytes to read */
        (void)memcpy(padded, name, name_len);
        words[0] = load_le64(padded);
        words[1] = load_le64(padded + 8);
    }
    /* From the key after the last one found: venues send their keys in a fixed order,
     * which the tables follow, so the next key is mostly the first one tried. */
    size_t index = *hint < keys_count ? *hint : 0;
    for (size_t tried = 0; tried < keys_count; tried++) {
        if (load_le64(keys[index].name) == words[0] &&
            load_le64(keys[index].name + 8) == words[1]) {
            *hint = index + 1;
            return index;
        }
        index = index + 1 < keys_count ? index + 1 : 0;
    }
    return keys_count;
}

/* One "key": value member; a key outside the table or seen before refuses the scan.
 * *hint is where key_find() starts. */
static bool scan_member(struct cursor *cursor, const struct market_scan_key *keys,
                        size_t keys_count, struct market_scan_object *out,
                        struct market_scan_object **inner, size_t *hint)
{
    const char *name = NULL;
    size_t name_len = 0;
    if (!scan_string(cursor, &name, &name_len) || !expect(cursor, ':')) {
        return false;
    }
    size_t index = key_find(cursor, keys, keys_count, name, name_len, hint);
    if (index == keys_count || (out->present_mask & (UINT32_C(1) << index)) != 0) {
        return false;
    }
    out->present_mask |= UINT32_C(1) << index;
    return scan_value(cursor, keys, keys_count, index, &out->values[index], inner);
}

static bool scan_object(struct cursor *cursor, const struct market_scan_key *keys,
                        size_t keys_count, struct market_scan_object *out,
                        struct market_scan_object *inner)
{
    out->present_mask = 0;
    if (!expect(cursor, '{')) {
        return false;
    }
    skip_space(cursor);
    if (cursor->at < cursor->end && *cursor->at == '}') {
        cursor->at++;
        return true;
    }
    bool more = true;
    size_t hint = 0;
    while (more) { /* each turn consumes a member, so it ends within the input */
        if (!scan_member(cursor, keys, keys_count, out, &inner, &hint)) {
            return false;
        }
        skip_space(cursor);
        more = cursor->at < cursor->end && *cursor->at == ',';
        if (!more && !expect(cursor, '}')) {
            return false;
        }
        cursor->at += more ? 1 : 0;
    }
    return true;
}

bool market_scan_message(const char *text, size_t text_len, const struct market_scan_key *keys,
                         size_t keys_count, struct market_scan_object *out,
                         struct market_scan_object *inner)
{
    return market_scan_message_staged(text, text_len, keys, keys_count, out, inner, NULL);
}

bool market_scan_message_staged(const char *text, size_t text_len,
                                const struct market_scan_key *keys, size_t keys_count,
                                struct market_scan_object *out, struct market_scan_object *inner,
                                struct market_scan_stage *stage)
{
    TPW_ASSERT(keys_count <= MARKET_SCAN_KEYS_MAX);
    _Static_assert(MARKET_SCAN_KEYS_MAX <= 32, "present_mask has a bit per key");
    struct cursor cursor = {text, text + text_len, stage};
    if (stage != NULL) {
        stage->levels_count = 0;
    }
    if (inner != NULL) {
        inner->present_mask = 0;
    }
    if (!scan_object(&cursor, keys, keys_count, out, inner)) {
        return false;
    }
    skip_space(&cursor);
    return cursor.at == cursor.end;
}

void market_scan_strings_init(struct market_scan_strings *walk,
                              const struct market_scan_value *value)
{
    TPW_ASSERT(value->type == MARKET_SCAN_LEVELS);
    walk->at = value->text;
    walk->end = value->text + value->text_len;
}

bool market_scan_strings_next(struct market_scan_strings *walk, const char **text, size_t *text_len)
{
    /* The array was scanned: its strings hold no quote or escape, so the next two
     * quotes delimit the next string. */
    const char *open = walk->at;
    while (open < walk->end && *open != '"') {
        open++; /* a few bytes: brackets, commas, spaces (a loop beats memchr's call here) */
    }
    if (open == walk->end) {
        return false;
    }
    const char *close = open + 1;
    while (close < walk->end && *close != '"') {
        close++;
    }
    TPW_ASSERT(close < walk->end);
    *text = open + 1;
    *text_len = (size_t)(close - open - 1);
    walk->at = close + 1;
    return true;
}

/* The literal of a shape at the cursor, consumed; false when the bytes differ. Two
 * word compares where 16 bytes can be read (a call to memcmp for each literal was a
 * twentieth of a replay), as key_find() compares names. */
static bool literal_match(struct cursor *cursor, const char *literal, size_t literal_len)
{
    TPW_ASSERT(literal_len < MARKET_SCAN_LITERAL_SIZE);
    if (cursor->end - cursor->at >= MARKET_SCAN_LITERAL_SIZE) {
        uint64_t first = word_prefix(load_le64(cursor->at), literal_len);
        uint64_t second =
            word_prefix(load_le64(cursor->at + 8), literal_len > 8 ? literal_len - 8 : 0);
        if (first != load_le64(literal) || second != load_le64(literal + 8)) {
            return false;
        }
    } else if ((size_t)(cursor->end - cursor->at) < literal_len ||
               memcmp(cursor->at, literal, literal_len) != 0) {
        return false;
    }
    cursor->at += literal_len;
    return true;
}

/* The message as `shape`: its literals, exactly, and its values as scan_value() reads
 * them, into `out` and `inner`; false at the first difference. */
static bool shape_match(struct cursor *cursor, const struct market_scan_key *keys,
                        size_t keys_count, const struct market_scan_shape *shape,
                        struct market_scan_object *out, struct market_scan_object *inner)
{
    out->present_mask = 0;
    for (size_t index = 0; index < shape->steps_count; index++) {
        const struct market_scan_step *step = &shape->steps[index];
        struct market_scan_object *object = step->nested ? inner : out;
        TPW_ASSERT(step->key < keys_count);
        if (object == NULL || !literal_match(cursor, step->literal, step->literal_len)) {
            return false;
        }
        if (step->nested && (out->present_mask & (UINT32_C(1) << shape->nested_key)) == 0) {
            out->present_mask |= UINT32_C(1) << shape->nested_key;
            out->values[shape->nested_key].type = MARKET_SCAN_OBJECT;
        }
        TPW_ASSERT((object->present_mask & (UINT32_C(1) << step->key)) == 0);
        object->present_mask |= UINT32_C(1) << step->key;
        struct market_scan_object *no_inner = NULL;
        if (!scan_value(cursor, keys, keys_count, step->key, &object->values[step->key],
                        &no_inner)) {
            return false;
        }
    }
    if (!literal_match(cursor, shape->tail, shape->tail_len)) {
        return false;
    }
    skip_space(cursor);
    return cursor->at == cursor->end;
}

bool market_scan_message_shaped(const char *text, size_t text_len,
                                const struct market_scan_key *keys, size_t keys_count,
                                const struct market_scan_shape *shapes, size_t shapes_count,
                                struct market_scan_object *out, struct market_scan_object *inner,
                                struct market_scan_stage *stage)
{
    for (size_t index = 0; index < shapes_count; index++) {
        struct cursor cursor = {text, text + text_len, stage};
        if (stage != NULL) {
            stage->levels_count = 0;
        }
        if (inner != NULL) {
            inner->present_mask = 0;
        }
        if (shape_match(&cursor, keys, keys_count, &shapes[index], out, inner)) {
            return true;
        }
    }
    return market_scan_message_staged(text, text_len, keys, keys_count, out, inner, stage);
}

bool market_scan_decimal(const char *text, size_t text_len, uint64_t *digits,
                         struct market_scan_digits *counts)
{
    const char *end = text + text_len;
    uint64_t value = 0;
    const char *at = digits_run(text, end, &value);
    size_t integer_count = (size_t)(at - text);
    size_t fraction_count = 0;
    if (integer_count > 0 && at < end && *at == '.') {
        const char *fraction = at + 1;
        at = digits_run(fraction, end, &value);
        fraction_count = (size_t)(at - fraction);
        if (fraction_count == 0) {
            return false; /* "5." */
        }
    }
    if (at != end || integer_count == 0 ||
        integer_count + fraction_count > SCAN_DECIMAL_DIGITS_MAX) {
        return false;
    }
    *digits = value;
    counts->integer_max = (uint8_t)integer_count;
    counts->fraction_max = (uint8_t)fraction_count;
    return true;
}
