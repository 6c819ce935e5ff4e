/*
 * The streaming decoder's scanner (src/market/json_scan.c), table-driven: what it
 * accepts — every value type, whitespace, any key order, the envelope's one nested
 * object — with the values it finds, and everything it must decline so that jansson
 * decides instead: escapes, non-ASCII, reals, negative and oversized numbers, null and
 * misspelt literals, unknown and duplicate keys, deeper nesting, levels of the wrong
 * width, truncation, trailing bytes, garbage.
 */
#include "tpw_test.h"

#include <string.h>

#include "json_scan.h"

enum { K_STREAM, K_DATA, K_S, K_U, K_B, K_C, K_COUNT };

static const struct market_scan_key keys[K_COUNT] = {
    {"stream", 0}, {"data", 0}, {"s", 0}, {"U", 0}, {"b", 2}, {"c", 3},
};

static bool scan(const char *text, struct market_scan_object *out, struct market_scan_object *inner)
{
    return market_scan_message(text, strlen(text), keys, K_COUNT, out, inner);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_of_every_type),
        cmocka_unit_test(test_envelope_empty_and_limits),
        cmocka_unit_test(test_declined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
