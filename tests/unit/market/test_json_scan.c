/*
 * The streaming decoder's scanner (src/market/json_scan.c), table-driven: what it
 * accepts — every value type, whitespace, any key order, the envelope's one nested
 * object — with the values it finds, and everything it must decline so that jansson
 * decides instead: escapes, non-ASCII, reals, negative and oversized numbers, null and
 * misspelt literals, unknown and duplicate keys, deeper nesting, levels of the wrong
 * width, truncation, trailing bytes, garbage. Then the staged scan (the level strings
 * read as decimals while scanned): the same acceptance with and without a stage, which
 * levels are staged and with what digits, and, for seeded random level strings, that
 * every staged decimal that fits an exponent is the value market_decimal_parse() gives
 * its string (the slow path's parse). The seed is printed; TPW_TEST_SEED replays one.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "tpwallet/market.h"
#include "tpwallet/prng.h"

/* Levels the tests' stages hold. */
#define STAGE_LEVELS_MAX 64
/* Random messages of the differential test, and the longest random level string. */
#define RANDOM_MESSAGES_COUNT 50000
#define RANDOM_STRING_LEN_MAX 26

enum { K_STREAM, K_DATA, K_S, K_U, K_B, K_C, K_K, K_COUNT };

static const struct market_scan_key keys[K_COUNT] = {
    {"stream", 0, false}, {"data", 0, false}, {"s", 0, false}, {"U", 0, false},
    {"b", 2, false},      {"c", 3, false},    {"k", 0, true},
};

static bool scan(const char *text, struct market_scan_object *out, struct market_scan_object *inner)
{
    return market_scan_message(text, strlen(text), keys, K_COUNT, out, inner);
}

/* The scan with a stage of STAGE_LEVELS_MAX levels (or `levels_max` fewer). */
static bool scan_staged(const char *text, size_t text_len, struct market_scan_object *out,
                        struct market_scan_stage *stage, size_t levels_max)
{
    static struct market_scan_level levels[STAGE_LEVELS_MAX];
    *stage = (struct market_scan_stage){levels, levels_max, 0};
    struct market_scan_object inner;
    return market_scan_message_staged(text, text_len, keys, K_COUNT, out, &inner, stage);
}

static void test_values_of_every_type(void **state)
{
    (void)state;
    struct market_scan_object out;
    struct market_scan_object inner;
    assert_true(
        scan(" {\"b\" : [ [\"1.5\" ,\"2\"],[\"3\",\"4\"] ] ,\t\"s\":\"BTC\",\r\n\"U\":123}\n", &out,
             &inner));
    assert_int_equal(out.present_mask, (1u << K_B) | (1u << K_S) | (1u << K_U));
    assert_int_equal(out.values[K_S].type, MARKET_SCAN_STRING);
    assert_int_equal(out.values[K_S].text_len, 3);
    assert_memory_equal(out.values[K_S].text, "BTC", 3);
    assert_int_equal(out.values[K_U].type, MARKET_SCAN_UINT);
    assert_int_equal(out.values[K_U].number, 123);
    assert_int_equal(out.values[K_B].type, MARKET_SCAN_LEVELS);
    assert_int_equal(out.values[K_B].levels_count, 2);
    struct market_scan_strings walk;
    market_scan_strings_init(&walk, &out.values[K_B]);
    const char *expected[] = {"1.5", "2", "3", "4"};
    const char *text = NULL;
    size_t text_len = 0;
    for (size_t index = 0; index < 4; index++) {
        assert_true(market_scan_strings_next(&walk, &text, &text_len));
        assert_int_equal(text_len, strlen(expected[index]));
        assert_memory_equal(text, expected[index], text_len);
    }
    assert_false(market_scan_strings_next(&walk, &text, &text_len));
}

static void test_envelope_empty_and_limits(void **state)
{
    (void)state;
    struct market_scan_object out;
    struct market_scan_object inner;
    assert_true(scan("{\"data\":{\"U\":0,\"b\":[]},\"stream\":\"x@depth\"}", &out, &inner));
    assert_int_equal(out.values[K_DATA].type, MARKET_SCAN_OBJECT);
    assert_int_equal(inner.present_mask, (1u << K_U) | (1u << K_B));
    assert_int_equal(inner.values[K_U].number, 0);
    assert_int_equal(inner.values[K_B].levels_count, 0);
    assert_true(scan("{}", &out, NULL));
    assert_int_equal(out.present_mask, 0);
    assert_true(scan("{\"U\":999999999999999999}", &out, NULL)); /* 18 digits */
    assert_int_equal(out.values[K_U].number, 999999999999999999ull);
    assert_true(scan("{\"c\":[[\"buy\",\"1\",\"2\"]],\"s\":\"\"}", &out, NULL));
    assert_int_equal(out.values[K_C].levels_count, 1);
    assert_int_equal(out.values[K_S].text_len, 0);
    /* The literals true and false (a trade's "m"), with whitespace around them. */
    assert_true(scan("{\"U\":true,\"s\" : false }", &out, NULL));
    assert_int_equal(out.values[K_U].type, MARKET_SCAN_BOOL);
    assert_int_equal(out.values[K_U].number, 1);
    assert_int_equal(out.values[K_S].type, MARKET_SCAN_BOOL);
    assert_int_equal(out.values[K_S].number, 0);
    /* A flat object (a kline's candle): any keys, scalar values, checked not kept. */
    const char *kline = "{\"data\":{\"k\": { \"t\":1,\"T\":2,\"o\":\"0.1\",\"x\":false } }}";
    assert_true(scan(kline, &out, &inner));
    assert_int_equal(inner.values[K_K].type, MARKET_SCAN_FLAT);
    assert_true(scan("{\"k\":{}}", &out, NULL));
    assert_int_equal(out.values[K_K].type, MARKET_SCAN_FLAT);
    assert_int_equal(out.values[K_K].text_len, 2);
}

static void test_declined(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "",                                  /* nothing */
        "   ",                               /* whitespace only */
        "[]",                                /* not an object */
        "garbage",                           /* garbage */
        "{\"s\":\"A\\u0042\"}",              /* an escape */
        "{\"s\":\"A\\\"\"}",                 /* an escaped quote */
        "{\"s\":\"\xc3\xa9\"}",              /* non-ASCII */
        "{\"s\":\"a\tb\"}",                  /* a control byte in a string */
        "{\"U\":1.5}",                       /* a real */
        "{\"U\":1e3}",                       /* an exponent */
        "{\"U\":-1}",                        /* a negative number */
        "{\"U\":01}",                        /* a leading zero */
        "{\"U\":1000000000000000000}",       /* 19 digits */
        "{\"U\":99999999999999999999999}",   /* far beyond 2^64 */
        "{\"U\":null}",                      /* null */
        "{\"U\":tru}",                       /* a literal cut short */
        "{\"U\":truex}",                     /* a literal run on */
        "{\"U\":True}",                      /* a literal in the wrong case */
        "{\"U\":fals",                       /* a literal truncated */
        "{\"b\":[[\"1\",true]]}",            /* a literal in a level */
        "{\"x\":1}",                         /* an unknown key */
        "{\"U\":1,\"U\":2}",                 /* a duplicate key */
        "{\"s\":\"a\",\"U\":1,\"s\":\"b\"}", /* a duplicate key, apart */
        "{\"data\":{\"data\":{}}}",          /* deeper nesting */
        "{\"data\":{},\"stream\":{}}",       /* a second nested object */
        "{\"U\":[[\"1\",\"2\"]]}",           /* levels for a key that has none */
        "{\"b\":[[\"1\"]]}",                 /* a level too short */
        "{\"b\":[[\"1\",\"2\",\"3\"]]}",     /* a level too long */
        "{\"b\":[[\"1\",2]]}",               /* a number in a level */
        "{\"b\":[[\"1\",\"2\"],]}",          /* a trailing comma */
        "{\"b\":[[\"1\",\"2\"]",             /* truncated in an array */
        "{\"U\":1,}",                        /* a trailing comma in the object */
        "{\"U\":1",                          /* truncated */
        "{\"s\":\"abc",                      /* truncated in a string */
        "{\"U\":1} x",                       /* trailing bytes */
        "{\"U\":1}\v",                       /* not JSON whitespace */
        "{\"U\" 1}",                         /* no colon */
        "{\"U\":1 \"s\":\"a\"}",             /* no comma */
        "{U:1}",                             /* an unquoted key */
    };
    struct market_scan_object out;
    struct market_scan_object inner;
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        if (scan(cases[index], &out, &inner)) {
            print_error("accepted: %s\n", cases[index]);
        }
        assert_false(scan(cases[index], &out, &inner));
    }
    /* A NUL byte inside the input is not whitespace. */
    assert_false(market_scan_message("{}\0", 3, keys, K_COUNT, &out, NULL));
}

/* Keys in any order (the search starts after the last key found and wraps), keys that
 * are prefixes of others, names too long for any key, and keys within 16 bytes of the
 * end (read without the two-word load). */
static void test_keys(void **state)
{
    (void)state;
    struct market_scan_object out;
    assert_true(scan("{\"U\":1,\"stream\":\"x\",\"s\":\"y\",\"data\":{}}", &out, NULL) == false);
    struct market_scan_object inner;
    assert_true(scan("{\"U\":1,\"stream\":\"x\",\"s\":\"y\",\"data\":{}}", &out, &inner));
    assert_int_equal(out.present_mask,
                     (1u << K_U) | (1u << K_STREAM) | (1u << K_S) | (1u << K_DATA));
    assert_true(scan("{\"s\":\"y\",\"U\":2}", &out, NULL));
    assert_int_equal(out.values[K_U].number, 2);
    static const char *const unknown[] = {
        "{\"st\":1}",
        "{\"streams\":1}",
        "{\"S\":1}",
        "{\"\":1}",
        "{\"stream\\u0000\":1}",
        "{\"0123456789abcdef\":1}",
        "{\"0123456789abcde\":1}",
        "{\"stream                \":1}",
    };
    for (size_t index = 0; index < sizeof(unknown) / sizeof(unknown[0]); index++) {
        assert_false(scan(unknown[index], &out, NULL));
    }
    /* The same keys, the last one a few bytes from the end of the input. */
    const char text[] = "{\"U\":1,\"s\":\"ab\"}";
    assert_true(market_scan_message(text, sizeof(text) - 1, keys, K_COUNT, &out, NULL));
    assert_int_equal(out.values[K_S].text_len, 2);
}

/* Every byte at every position of a long string (read 8 bytes at a time): taken when
 * printable ASCII other than a quote or a backslash, the scan declined otherwise. */
static void test_string_bytes(void **state)
{
    (void)state;
    struct market_scan_object out;
    for (unsigned byte = 0; byte < 256; byte++) {
        for (size_t position = 0; position < 20; position++) {
            char text[64];
            int len = snprintf(text, sizeof(text), "{\"s\":\"abcdefghijklmnopqrst\"}");
            text[6 + position] = (char)byte;
            bool taken = byte >= 0x20 && byte <= 0x7e && byte != '"' && byte != '\\';
            bool accepted = market_scan_message(text, (size_t)len, keys, K_COUNT, &out, NULL);
            if (accepted != taken) {
                print_error("byte 0x%02x at %zu\n", byte, position);
            }
            assert_int_equal(accepted, taken);
            assert_true(!accepted || out.values[K_S].text_len == 20);
        }
    }
}

/* Flat objects (a kline's candle) that are not objects of scalars, or too large. */
static void test_declined_flat(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "{\"k\":{\"a\":1,\"a\":2}}",            /* a repeated key in a flat object */
        "{\"k\":{\"a\":{}}}",                   /* an object in a flat object */
        "{\"k\":{\"a\":[]}}",                   /* an array in a flat object */
        "{\"k\":{\"a\":1.5}}",                  /* a real in a flat object */
        "{\"k\":{\"a\":null}}",                 /* null in a flat object */
        "{\"k\":{\"a\":1,}}",                   /* a trailing comma in a flat object */
        "{\"k\":{\"a\":1}",                     /* a flat object truncated */
        "{\"k\":{\"a\\u0041\":1}}",             /* an escaped key in a flat object */
        "{\"s\":{\"a\":1}}",                    /* an object for a key that takes none */
        "{\"data\":{\"k\":{\"a\":{\"b\":1}}}}", /* deeper in a flat object */
    };
    struct market_scan_object out;
    struct market_scan_object inner;
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        if (scan(cases[index], &out, &inner)) {
            print_error("accepted: %s\n", cases[index]);
        }
        assert_false(scan(cases[index], &out, &inner));
    }
    /* A flat object of 32 keys is what the scanner checks; 33 are left to jansson. */
    for (int keys_count = 32; keys_count <= 33; keys_count++) {
        char many[512];
        size_t len = (size_t)snprintf(many, sizeof(many), "{\"k\":{");
        for (int index = 0; index < keys_count; index++) {
            len += (size_t)snprintf(many + len, sizeof(many) - len, "%s\"k%d\":1", index ? "," : "",
                                    index);
        }
        (void)snprintf(many + len, sizeof(many) - len, "}}");
        assert_int_equal(scan(many, &out, NULL), keys_count == 32);
    }
}

/* Every declined case is declined with a stage too. */
static void test_declined_staged(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "{\"b\":[[\"1\",\"2\"],]}",
        "{\"b\":[[\"1\",\"2\"]",
        "{\"b\":[[\"1\",2]]}",
        "{\"b\":[[\"1\"]]}",
        "{\"b\":[[\"1\",\"2\",\"3\"]]}",
        "{\"b\":[[\"1\\u0030\",\"2\"]]}",
        "{\"b\":[[\"1\",\"2\x01\"]]}",
        "{\"b\":[[\"1.5",
        "{\"b\":[[\"1.5\"",
        "{\"b\":[[\"1.5\",",
        "{\"b\":[[\"1\",\"2\"]]} x",
        "{\"b\":[[\"\xc3\xa9\",\"2\"]]}",
    };
    struct market_scan_object out;
    struct market_scan_stage stage;
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        if (scan_staged(cases[index], strlen(cases[index]), &out, &stage, STAGE_LEVELS_MAX)) {
            print_error("accepted: %s\n", cases[index]);
        }
        assert_false(
            scan_staged(cases[index], strlen(cases[index]), &out, &stage, STAGE_LEVELS_MAX));
        assert_false(scan(cases[index], &out, NULL));
    }
}

/* Which arrays are staged, with which digits; the rest is scanned as before. */
static void test_staged_levels(void **state)
{
    (void)state;
    struct market_scan_object out;
    struct market_scan_stage stage;
    const char *text = "{\"b\":[ [ \"0.35210000\" , \"672\" ],[\"12.5\",\"0\"]],"
                       "\"c\":[[\"buy\",\"1\",\"2\"]]}";
    assert_true(scan_staged(text, strlen(text), &out, &stage, STAGE_LEVELS_MAX));
    const struct market_scan_value *b = &out.values[K_B];
    assert_non_null(b->staged);
    assert_int_equal(stage.levels_count, 2);
    assert_int_equal(b->staged[0].price_digits, 35210000);
    assert_int_equal(b->staged[0].price_fraction_digits, 8);
    assert_int_equal(b->staged[0].qty_digits, 672);
    assert_int_equal(b->staged[0].qty_fraction_digits, 0);
    assert_int_equal(b->staged[1].price_digits, 125);
    assert_int_equal(b->staged[1].price_fraction_digits, 1);
    assert_int_equal(b->price_digits.integer_max, 2);
    assert_int_equal(b->price_digits.fraction_max, 8);
    assert_int_equal(b->qty_digits.integer_max, 3);
    assert_int_equal(b->qty_digits.fraction_max, 0);
    assert_null(out.values[K_C].staged); /* three strings a level: never staged */
    assert_int_equal(market_scan_decimal_value(35210000, 8, 10), 3521000000);
    /* 19 digits are staged, 20 are not; neither is anything but digits and a point. */
    static const struct {
        const char *text;
        bool staged;
    } cases[] = {
        {"{\"b\":[[\"1234567890.123456789\",\"1\"]]}", true},
        {"{\"b\":[[\"1234567890.1234567890\",\"1\"]]}", false},
        {"{\"b\":[[\"00000000000000000001\",\"1\"]]}", false},
        {"{\"b\":[]}", true},
        {"{\"b\":[[\"1.\",\"1\"]]}", false},
        {"{\"b\":[[\".5\",\"1\"]]}", false},
        {"{\"b\":[[\"1.2.3\",\"1\"]]}", false},
        {"{\"b\":[[\"-1\",\"1\"]]}", false},
        {"{\"b\":[[\"1e5\",\"1\"]]}", false},
        {"{\"b\":[[\"\",\"1\"]]}", false},
        {"{\"b\":[[\" 1\",\"1\"]]}", false},
        {"{\"b\":[[\"1\",\"1\"],[\"2\",\"x\"],[\"3\",\"3\"]]}", false},
    };
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        assert_true(scan_staged(cases[index].text, strlen(cases[index].text), &out, &stage,
                                STAGE_LEVELS_MAX));
        assert_int_equal(out.values[K_B].staged != NULL, cases[index].staged);
        /* An array not staged gives its room back. */
        assert_int_equal(stage.levels_count,
                         cases[index].staged ? out.values[K_B].levels_count : 0);
    }
    /* A stage too small: the array is scanned but not staged. */
    text = "{\"b\":[[\"1\",\"1\"],[\"2\",\"2\"],[\"3\",\"3\"]]}";
    assert_true(scan_staged(text, strlen(text), &out, &stage, 2));
    assert_null(out.values[K_B].staged);
    assert_int_equal(out.values[K_B].levels_count, 3);
    assert_true(scan_staged(text, strlen(text), &out, &stage, 3));
    assert_non_null(out.values[K_B].staged);
}

/* A random level string: mostly decimal-shaped (0..12 integer digits, often a point and
 * 0..12 fraction digits, zeros favoured, so leading zeros, 19- and 20-digit strings,
 * "5." and ".5" all come up), an eighth of them with one byte replaced by a digit, a
 * point, a sign, an exponent, a space or a letter; one in 16 any bytes of that alphabet. */
static size_t random_string(struct tpw_prng *prng, char *out)
{
    static const char alphabet[] = "0123456789...-+e x";
    static const char digits[] = "00001123456789";
    size_t len = 0;
    if (tpw_prng_below(prng, 16) == 0) {
        len = (size_t)tpw_prng_below(prng, RANDOM_STRING_LEN_MAX + 1);
        for (size_t index = 0; index < len; index++) {
            out[index] = alphabet[tpw_prng_below(prng, sizeof(alphabet) - 1)];
        }
        return len;
    }
    size_t integer_digits = (size_t)tpw_prng_below(prng, 13);
    for (size_t index = 0; index < integer_digits; index++) {
        out[len++] = digits[tpw_prng_below(prng, sizeof(digits) - 1)];
    }
    if (tpw_prng_below(prng, 2) == 0) {
        out[len++] = '.';
        size_t fraction_digits = (size_t)tpw_prng_below(prng, 13);
        for (size_t index = 0; index < fraction_digits; index++) {
            out[len++] = digits[tpw_prng_below(prng, sizeof(digits) - 1)];
        }
    }
    if (len > 0 && tpw_prng_below(prng, 8) == 0) {
        out[tpw_prng_below(prng, len)] = alphabet[tpw_prng_below(prng, sizeof(alphabet) - 1)];
    }
    return len;
}

/* One staged string against market_decimal_parse at every exponent it fits. */
static void staged_check(const char *text, size_t text_len, uint64_t digits,
                         unsigned fraction_digits, const struct market_scan_digits *maxima)
{
    for (unsigned exponent = 0; exponent <= MARKET_EXPONENT_MAX; exponent++) {
        if (!market_scan_digits_fit(maxima, exponent)) {
            continue;
        }
        uint64_t expected = 0;
        enum tpw_err err = market_decimal_parse(text, text_len, exponent, &expected, NULL);
        uint64_t got = market_scan_decimal_value(digits, fraction_digits, exponent);
        if (err != TPW_OK || got != expected) {
            print_error("'%.*s' at %u: staged %llu, parsed %d %llu\n", (int)text_len, text,
                        exponent, (unsigned long long)got, (int)err, (unsigned long long)expected);
        }
        assert_int_equal(err, TPW_OK);
        assert_int_equal(got, expected);
    }
}

/* Raises *maxima to the digit counts market_scan_decimal finds in the string. */
static void maxima_note(const char *text, size_t text_len, struct market_scan_digits *maxima)
{
    uint64_t digits = 0;
    struct market_scan_digits counts;
    assert_true(market_scan_decimal(text, text_len, &digits, &counts));
    maxima->integer_max =
        counts.integer_max > maxima->integer_max ? counts.integer_max : maxima->integer_max;
    maxima->fraction_max =
        counts.fraction_max > maxima->fraction_max ? counts.fraction_max : maxima->fraction_max;
}

/* A random message's levels: the staged digits against the walked strings' parse, and
 * the staged maxima against market_scan_decimal's counts of the same strings. */
static void staged_compare(const struct market_scan_value *levels)
{
    struct market_scan_strings walk;
    market_scan_strings_init(&walk, levels);
    struct market_scan_digits price_max = {0, 0};
    struct market_scan_digits qty_max = {0, 0};
    for (size_t index = 0; index < levels->levels_count; index++) {
        const char *text = NULL;
        size_t text_len = 0;
        const struct market_scan_level *level = &levels->staged[index];
        assert_true(market_scan_strings_next(&walk, &text, &text_len));
        staged_check(text, text_len, level->price_digits, level->price_fraction_digits,
                     &levels->price_digits);
        maxima_note(text, text_len, &price_max);
        assert_true(market_scan_strings_next(&walk, &text, &text_len));
        staged_check(text, text_len, level->qty_digits, level->qty_fraction_digits,
                     &levels->qty_digits);
        maxima_note(text, text_len, &qty_max);
    }
    assert_int_equal(levels->price_digits.integer_max, price_max.integer_max);
    assert_int_equal(levels->price_digits.fraction_max, price_max.fraction_max);
    assert_int_equal(levels->qty_digits.integer_max, qty_max.integer_max);
    assert_int_equal(levels->qty_digits.fraction_max, qty_max.fraction_max);
}

/*
 * Fractions of zeros (most quantities: "672.00000000") and of other digits, at every
 * length, through the compact loop (the message is long enough) and staged exactly as
 * market_decimal_parse reads them; nine fraction digits leave the loop for the general
 * path, which stages them too.
 */
static void test_staged_zero_fractions(void **state)
{
    (void)state;
    static const char *const fractions[] = {"0", "00", "0000",     "00000000", "000000000",
                                            "5", "05", "00000001", "10000000", "000000010"};
    static const char *const integers[] = {"0", "7", "672", "1234567"};
    char text[256];
    for (size_t f = 0; f < sizeof(fractions) / sizeof(fractions[0]); f++) {
        for (size_t i = 0; i < sizeof(integers) / sizeof(integers[0]); i++) {
            int len = snprintf(text, sizeof(text),
                               "{\"b\":[[\"%s.%s\",\"%s.%s\"],[\"1.5\",\"%s.%s\"]],"
                               "\"s\":\"0123456789012345678901234567890123456789\"}",
                               integers[i], fractions[f], integers[i], fractions[f], integers[i],
                               fractions[f]);
            assert_true(len > 0 && (size_t)len < sizeof(text));
            struct market_scan_object out;
            struct market_scan_stage stage;
            assert_true(scan_staged(text, (size_t)len, &out, &stage, STAGE_LEVELS_MAX));
            assert_non_null(out.values[K_B].staged);
            assert_int_equal(out.values[K_B].levels_count, 2);
            staged_compare(&out.values[K_B]);
        }
    }
}

/*
 * A random message {"b":[levels…]…}: 0..6 levels of random strings, now and then a space
 * after a bracket or a comma, mostly followed by a long member so that the levels are
 * far enough from the end for the compact loop, and now and then cut short.
 */
static size_t random_message(struct tpw_prng *prng, char *text)
{
    size_t len = 0;
    text[len++] = '{';
    (void)memcpy(text + len, "\"b\":[", 5);
    len += 5;
    uint64_t levels = tpw_prng_below(prng, 7);
    for (uint64_t level = 0; level < levels; level++) {
        if (level > 0) {
            text[len++] = ',';
        }
        if (tpw_prng_below(prng, 16) == 0) {
            text[len++] = ' ';
        }
        text[len++] = '[';
        for (size_t field = 0; field < 2; field++) {
            (void)memcpy(text + len, field > 0 ? ",\"" : "\"", field > 0 ? 2 : 1);
            len += field > 0 ? 2 : 1;
            len += random_string(prng, text + len);
            text[len++] = '"';
        }
        text[len++] = ']';
    }
    text[len++] = ']';
    if (tpw_prng_below(prng, 4) != 0) {
        len += (size_t)snprintf(text + len, 80, ",\"s\":\"%s\"",
                                "0123456789012345678901234567890123456789012345678901234567");
    }
    text[len++] = '}';
    return tpw_prng_below(prng, 16) == 0 ? (size_t)tpw_prng_below(prng, len) : len;
}

static void test_staged_random(void **state)
{
    (void)state;
    const char *seed_text = getenv("TPW_TEST_SEED");
    uint64_t seed = seed_text != NULL ? strtoull(seed_text, NULL, 10) : 0x7374616765ull;
    print_message("staged scan seed: %llu\n", (unsigned long long)seed);
    struct tpw_prng prng;
    tpw_prng_seed(&prng, seed);
    char text[1024];
    size_t staged_count = 0; /* levels staged, to show the test reaches the path */
    for (size_t round = 0; round < RANDOM_MESSAGES_COUNT; round++) {
        size_t len = random_message(&prng, text);
        struct market_scan_object plain_out;
        struct market_scan_object staged_out;
        struct market_scan_stage stage;
        bool accepted = market_scan_message(text, len, keys, K_COUNT, &plain_out, NULL);
        if (scan_staged(text, len, &staged_out, &stage, STAGE_LEVELS_MAX) != accepted) {
            print_error("%s: %.*s\n", accepted ? "declined" : "accepted", (int)len, text);
        }
        assert_int_equal(scan_staged(text, len, &staged_out, &stage, STAGE_LEVELS_MAX), accepted);
        if (accepted && staged_out.values[K_B].staged != NULL) {
            staged_count += staged_out.values[K_B].levels_count;
            assert_int_equal(staged_out.values[K_B].levels_count,
                             plain_out.values[K_B].levels_count);
            staged_compare(&staged_out.values[K_B]);
        }
    }
    print_message("staged levels: %zu\n", staged_count);
    assert_true(staged_count > RANDOM_MESSAGES_COUNT / 4);
}

/* market_scan_decimal against market_decimal_parse: seeded random decimal-like strings
 * (and a few fixed ones); whatever it takes and fits an exponent has the parse's value. */
static void test_decimal_text(void **state)
{
    (void)state;
    static const char *const fixed[] = {
        "0", "0.35210000", "672.00000000", "1234567890.123456789", "007.5", "9999999999999999999"};
    for (size_t index = 0; index < sizeof(fixed) / sizeof(fixed[0]); index++) {
        uint64_t digits = 0;
        struct market_scan_digits counts;
        assert_true(market_scan_decimal(fixed[index], strlen(fixed[index]), &digits, &counts));
        staged_check(fixed[index], strlen(fixed[index]), digits, counts.fraction_max, &counts);
    }
    static const char *const refused[] = {
        "", ".5", "5.", "1.2.3", "-1", "1e5", " 1", "1 ", "12345678901234567890", "0.5x"};
    for (size_t index = 0; index < sizeof(refused) / sizeof(refused[0]); index++) {
        uint64_t digits = 0;
        struct market_scan_digits counts;
        assert_false(market_scan_decimal(refused[index], strlen(refused[index]), &digits, &counts));
    }
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_market_json_scan decimals", 0xdec));
    size_t taken = 0;
    for (size_t round = 0; round < RANDOM_MESSAGES_COUNT; round++) {
        char text[RANDOM_STRING_LEN_MAX + 1];
        size_t len = random_string(&prng, text);
        uint64_t digits = 0;
        struct market_scan_digits counts;
        if (market_scan_decimal(text, len, &digits, &counts)) {
            staged_check(text, len, digits, counts.fraction_max, &counts);
            taken++;
        }
    }
    assert_true(taken > RANDOM_MESSAGES_COUNT / 2);
}

/* A shape of the test's table: {"stream":S,"data":{"s":S,"U":N,"b":L,"k":F}}. */
static const struct market_scan_shape test_shapes[] = {
    {.steps = {MARKET_SCAN_STEP("{\"stream\":", K_STREAM, false),
               MARKET_SCAN_STEP(",\"data\":{\"s\":", K_S, true),
               MARKET_SCAN_STEP(",\"U\":", K_U, true), MARKET_SCAN_STEP(",\"b\":", K_B, true),
               MARKET_SCAN_STEP(",\"k\":", K_K, true)},
     .steps_count = 5,
     .tail = "}}",
     .tail_len = 2,
     .nested_key = K_DATA},
};

/* Two scans' objects are the same: keys, types and values. */
static void objects_equal(const struct market_scan_object *a, const struct market_scan_object *b)
{
    assert_int_equal(a->present_mask, b->present_mask);
    for (unsigned key = 0; key < K_COUNT; key++) {
        if ((a->present_mask & (1u << key)) == 0) {
            continue;
        }
        const struct market_scan_value *x = &a->values[key];
        const struct market_scan_value *y = &b->values[key];
        assert_int_equal(x->type, y->type);
        if (x->type == MARKET_SCAN_UINT || x->type == MARKET_SCAN_BOOL) {
            assert_int_equal(x->number, y->number);
        } else if (x->type != MARKET_SCAN_OBJECT) {
            assert_int_equal(x->text_len, y->text_len);
            assert_ptr_equal(x->text, y->text);
        }
        if (x->type == MARKET_SCAN_LEVELS) {
            assert_int_equal(x->levels_count, y->levels_count);
            assert_int_equal(x->staged != NULL, y->staged != NULL);
            if (x->staged != NULL && x->levels_count > 0) {
                assert_memory_equal(x->staged, y->staged, x->levels_count * sizeof(x->staged[0]));
            }
        }
    }
}

/* The shaped scan against the general one: the shape's own message, then seeded random
 * mutations of it (bytes changed or inserted, after the end too, cuts): the same acceptance and the
 * same objects, whether the shape matched or the general scan took over. */
static void test_shapes_against_general(void **state)
{
    (void)state;
    static const char message[] =
        "{\"stream\":\"x@depth\",\"data\":{\"s\":\"BTC\",\"U\":42,\"b\":[[\"1.5\",\"2\"],"
        "[\"1.25\",\"30.5\"]],\"k\":{\"t\":1,\"x\":false}}}";
    static const char bytes[] = " \"{}[],:0123456789.xstkbU";
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_market_json_scan shapes", 0x5a9e));
    char text[256];
    static struct market_scan_level levels[2][STAGE_LEVELS_MAX];
    for (size_t round = 0; round < 20000; round++) {
        size_t len = sizeof(message) - 1;
        (void)memcpy(text, message, len);
        for (uint64_t edits = round == 0 ? 0 : 1 + tpw_prng_below(&prng, 2); edits > 0 && len > 0;
             edits--) {
            size_t at = (size_t)tpw_prng_below(&prng, len);
            uint64_t kind = tpw_prng_below(&prng, 3);
            if (kind == 0) {
                text[at] = bytes[tpw_prng_below(&prng, sizeof(bytes) - 1)];
            } else if (kind == 1 && len + 1 < sizeof(text)) {
                at = tpw_prng_below(&prng, 4) == 0 ? len : at; /* a byte after the end too */
                (void)memmove(text + at + 1, text + at, len - at);
                text[at] = bytes[tpw_prng_below(&prng, sizeof(bytes) - 1)];
                len++;
            } else {
                len = at;
            }
        }
        struct market_scan_object out[2];
        struct market_scan_object inner[2];
        struct market_scan_stage stages[2] = {{levels[0], STAGE_LEVELS_MAX, 0},
                                              {levels[1], STAGE_LEVELS_MAX, 0}};
        bool shaped = market_scan_message_shaped(text, len, keys, K_COUNT, test_shapes, 1, &out[0],
                                                 &inner[0], &stages[0]);
        bool general =
            market_scan_message_staged(text, len, keys, K_COUNT, &out[1], &inner[1], &stages[1]);
        assert_int_equal(shaped, general);
        assert_true(round > 0 || shaped);
        if (shaped) {
            objects_equal(&out[0], &out[1]);
            objects_equal(&inner[0], &inner[1]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_of_every_type),
        cmocka_unit_test(test_envelope_empty_and_limits),
        cmocka_unit_test(test_declined),
        cmocka_unit_test(test_declined_flat),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_string_bytes),
        cmocka_unit_test(test_shapes_against_general),
        cmocka_unit_test(test_decimal_text),
        cmocka_unit_test(test_declined_staged),
        cmocka_unit_test(test_staged_levels),
        cmocka_unit_test(test_staged_random),
        cmocka_unit_test(test_staged_zero_fractions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
