/*
 * The strict JSON scanner of the fast decoder (json_scan.h says what it accepts and
 * why that is a subset of jansson's grammar). A cursor moves forward only, so every
 * loop ends within the input's length; any byte outside the subset stops the scan with
 * false, and the caller falls back to jansson, which then says what was wrong.
 */
#include <string.h>

#include "json_scan.h"
#include "tpw_assert.h"

#include "banned.h"

/* Longest integer accepted: 10^18 - 1 < 2^63 - 1, so jansson's json_int_t holds it. */
#define SCAN_UINT_DIGITS_MAX 18

struct cursor {
    const char *at;
    const char *end;
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
    skip_space(cursor);
    if (cursor->at == cursor->end || *cursor->at != c) {
        return false;
    }
    cursor->at++;
    return true;
}

/* A string of printable ASCII without escapes; the cursor is at its opening quote. */
static bool scan_string(struct cursor *cursor, const char **text, size_t *text_len)
{
    if (!expect(cursor, '"')) {
        return false;
    }
    const char *start = cursor->at;
    while (cursor->at < cursor->end && *cursor->at != '"') {
        unsigned char c = (unsigned char)*cursor->at;
        if (c < 0x20 || c > 0x7e || c == '\\') {
            return false; /* an escape or a byte jansson would check or decode */
        }
        cursor->at++;
    }
    if (cursor->at == cursor->end) {
        return false;
    }
    *text = start;
    *text_len = (size_t)(cursor->at - start);
    cursor->at++;
    return true;
}

static bool scan_uint(struct cursor *cursor, uint64_t *out)
{
    const char *start = cursor->at;
    uint64_t value = 0;
    while (cursor->at < cursor->end && *cursor->at >= '0' && *cursor->at <= '9') {
        if (cursor->at - start == SCAN_UINT_DIGITS_MAX) {
            return false;
        }
        value = value * 10 + (uint64_t)(*cursor->at - '0');
        cursor->at++;
    }
    size_t digits = (size_t)(cursor->at - start);
    /* A leading zero is invalid JSON; a '.', 'e' or 'E' after it makes a real, which
     * the caller's check for ',' or '}' refuses. */
    if (digits == 0 || (digits > 1 && *start == '0')) {
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

/* An array of levels; the cursor is at its '['. */
static bool scan_levels(struct cursor *cursor, unsigned width, struct market_scan_value *value)
{
    TPW_ASSERT(width > 0);
    const char *start = cursor->at;
    if (!expect(cursor, '[')) {
        return false;
    }
    size_t count = 0;
    skip_space(cursor);
    if (cursor->at < cursor->end && *cursor->at == ']') {
        cursor->at++;
    } else {
        bool more = true;
        while (more) { /* each turn consumes a level, so it ends within the input */
            if (!scan_level(cursor, width)) {
                return false;
            }
            count++;
            skip_space(cursor);
            more = cursor->at < cursor->end && *cursor->at == ',';
            if (!more && !expect(cursor, ']')) {
                return false;
            }
            cursor->at += more ? 1 : 0;
        }
    }
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
    if (c == '{' && *inner != NULL) {
        return scan_inner(cursor, keys, keys_count, value, inner);
    }
    return false;
}

/* The index of the key `name` in the table, or keys_count. */
static size_t key_find(const struct market_scan_key *keys, size_t keys_count, const char *name,
                       size_t name_len)
{
    for (size_t index = 0; index < keys_count; index++) {
        /* The first byte first: name[0] is readable even for "" (the closing quote). */
        if (keys[index].name[0] == name[0] && strncmp(keys[index].name, name, name_len) == 0 &&
            keys[index].name[name_len] == '\0') {
            return index;
        }
    }
    return keys_count;
}

/* One "key": value member; a key outside the table or seen before refuses the scan. */
static bool scan_member(struct cursor *cursor, const struct market_scan_key *keys,
                        size_t keys_count, struct market_scan_object *out,
                        struct market_scan_object **inner)
{
    const char *name = NULL;
    size_t name_len = 0;
    if (!scan_string(cursor, &name, &name_len) || !expect(cursor, ':')) {
        return false;
    }
    size_t index = key_find(keys, keys_count, name, name_len);
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
    while (more) { /* each turn consumes a member, so it ends within the input */
        if (!scan_member(cursor, keys, keys_count, out, &inner)) {
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
    TPW_ASSERT(keys_count <= MARKET_SCAN_KEYS_MAX);
    _Static_assert(MARKET_SCAN_KEYS_MAX <= 32, "present_mask has a bit per key");
    struct cursor cursor = {text, text + text_len};
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
