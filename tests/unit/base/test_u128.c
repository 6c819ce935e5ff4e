/*
 * Unit tests for 128-bit decimal text (include/tpwallet/u128.h).
 *
 * Every amount, rate and identifier passes through tpw_u128_to_dec/tpw_u128_from_dec,
 * and C has no library support for either, so these tests pin the edges by hand:
 * powers of two and ten around the 64-bit chunk boundaries, 2^128 - 1, buffers of
 * exactly the right size and one byte short, every kind of malformed input, and inputs
 * whose length argument disagrees with the NUL terminator. A seeded randomized
 * round-trip then covers the space in between, cross-checked with printf below 2^64.
 */
#include "tpw_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tpwallet/prng.h"
#include "tpwallet/u128.h"

/* A string literal and its length, which may include embedded NULs ("\000" is one NUL). */
#define LIT(s) (s), (sizeof(s) - 1)

static const char u128_max_text[] = "340282366920938463463374607431768211455";

struct to_dec_case {
    tpw_u128 value;
    const char *text;
};

static const struct to_dec_case to_dec_cases[] = {
    {0, "0"},
    {1, "1"},
    {9, "9"},
    {10, "10"},
    {99, "99"},
    {100, "100"},
    {UINT64_C(9999999999999999999), "9999999999999999999"},
    {UINT64_C(10000000000000000000), "10000000000000000000"},
    {UINT64_MAX, "18446744073709551615"},
    {TPW_U128(1, 0), "18446744073709551616"},
    {TPW_U128(5, 0x6bc75e2d63100007), "100000000000000000007"},
    {TPW_U128(0x1000000000, 1), "1267650600228229401496703205377"},
    {TPW_U128(0x4b3b4ca85a86c47a, 0x098a223fffffffff), "99999999999999999999999999999999999999"},
    {TPW_U128(0x4b3b4ca85a86c47a, 0x098a224000000000), "100000000000000000000000000000000000000"},
    {TPW_U128(0x8000000000000000, 0), "170141183460469231731687303715884105728"},
    {TPW_U128_MAX, "340282366920938463463374607431768211455"},
};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static void test_to_dec_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(to_dec_cases); i++) {
        char buf[TPW_U128_DEC_SIZE];
        size_t length = tpw_u128_to_dec(to_dec_cases[i].value, buf, sizeof(buf));
        assert_string_equal(buf, to_dec_cases[i].text);
        assert_int_equal(length, strlen(to_dec_cases[i].text));
    }
    assert_int_equal(strlen(u128_max_text), TPW_U128_DIGITS_MAX);
}

/* Exact-size buffers work; one byte less gives 0 and ""; nothing past `size` is written. */
static void test_to_dec_buffer_sizes(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(to_dec_cases); i++) {
        size_t length = strlen(to_dec_cases[i].text);
        for (size_t size = 0; size <= length + 1; size++) {
            char buf[TPW_U128_DEC_SIZE + 8];
            memset(buf, '#', sizeof(buf));
            size_t got = tpw_u128_to_dec(to_dec_cases[i].value, buf, size);
            if (size == length + 1) {
                assert_int_equal(got, length);
                assert_string_equal(buf, to_dec_cases[i].text);
            } else {
                assert_int_equal(got, 0);
                if (size > 0) {
                    assert_int_equal(buf[0], '\0');
                }
            }
            for (size_t j = size; j < sizeof(buf); j++) {
                if (buf[j] != '#') {
                    fail_msg("value %s, size %zu: byte %zu was written", to_dec_cases[i].text, size,
                             j);
                }
            }
        }
    }
}

struct from_dec_case {
    const char *text;
    size_t text_len;
    enum tpw_err err;
    tpw_u128 value; /* when err is TPW_OK */
};

static const struct from_dec_case from_dec_cases[] = {
    /* Accepted. */
    {LIT("0"), TPW_OK, 0},
    {LIT("1"), TPW_OK, 1},
    {LIT("00000"), TPW_OK, 0},
    {LIT("007"), TPW_OK, 7},
    {LIT("18446744073709551615"), TPW_OK, UINT64_MAX},
    {LIT("18446744073709551616"), TPW_OK, TPW_U128(1, 0)},
    {LIT("340282366920938463463374607431768211455"), TPW_OK, TPW_U128_MAX},
    {LIT("0340282366920938463463374607431768211455"), TPW_OK, TPW_U128_MAX},
    {LIT("000000000000000000000000000000000000000000000000001"), TPW_OK, 1},
    /* Length-based, not NUL-based: only the first text_len bytes are read. */
    {"12345", 3, TPW_OK, 123},
    {"9x", 1, TPW_OK, 9},
    {"1 ", 1, TPW_OK, 1},
    {"340282366920938463463374607431768211456", 38, TPW_OK,
     TPW_U128(0x1999999999999999, 0x9999999999999999)},
    /* Empty. */
    {LIT(""), TPW_ERR_DECIMAL_EMPTY, 0},
    {"123", 0, TPW_ERR_DECIMAL_EMPTY, 0},
    /* Too large. */
    {LIT("340282366920938463463374607431768211456"), TPW_ERR_DECIMAL_OVERFLOW, 0},
    {LIT("340282366920938463463374607431768211460"), TPW_ERR_DECIMAL_OVERFLOW, 0},
    {LIT("999999999999999999999999999999999999999"), TPW_ERR_DECIMAL_OVERFLOW, 0},
    {LIT("1000000000000000000000000000000000000000"), TPW_ERR_DECIMAL_OVERFLOW, 0},
    {LIT("3402823669209384634633746074317682114550"), TPW_ERR_DECIMAL_OVERFLOW, 0},
    /* Anything but a digit. */
    {LIT("+1"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT("-1"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT(" 1"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT("1 "), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT("1.0"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT("1e3"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT("x"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT("1_000"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT("0x10"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT("12\n"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT("/"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT(":"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT("\xd9\xa1"), TPW_ERR_DECIMAL_NON_DIGIT, 0}, /* ARABIC-INDIC DIGIT ONE */
    /* Embedded NUL inside the given length. */
    {LIT("12\00034"), TPW_ERR_DECIMAL_NON_DIGIT, 0}, /* "12", NUL, "34" */
    {LIT("\0"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {LIT("7\0"), TPW_ERR_DECIMAL_NON_DIGIT, 0},
};

static void test_from_dec_cases(void **state)
{
    (void)state;
    const tpw_u128 untouched = TPW_U128(0xdeadbeef, 0xfeedface);
    for (size_t i = 0; i < COUNT(from_dec_cases); i++) {
        const struct from_dec_case *c = &from_dec_cases[i];
        tpw_u128 out = untouched;
        enum tpw_err err = tpw_u128_from_dec(c->text, c->text_len, &out);
        if (err != c->err) {
            fail_msg("case %zu (\"%.*s\", %zu bytes): got %s, expected %s", i, (int)c->text_len,
                     c->text, c->text_len, tpw_err_name(err), tpw_err_name(c->err));
        }
        if (c->err == TPW_OK) {
            assert_u128_equal(out, c->value);
        } else {
            /* `*out` is written only on success. */
            assert_u128_equal(out, untouched);
        }
    }
}

/* The input need not be NUL-terminated at all. */
static void test_from_dec_unterminated(void **state)
{
    (void)state;
    const char digits[3] = {'4', '5', '6'};
    tpw_u128 out = 0;
    assert_err(tpw_u128_from_dec(digits, sizeof(digits), &out), TPW_OK);
    assert_u128_equal(out, 456);
}

static void test_pow10(void **state)
{
    (void)state;
    tpw_u128 expected = 1;
    for (unsigned exponent = 0; exponent <= TPW_U128_POW10_MAX; exponent++) {
        assert_u128_equal(tpw_u128_pow10(exponent), expected);

        char buf[TPW_U128_DEC_SIZE];
        assert_int_equal(tpw_u128_to_dec(expected, buf, sizeof(buf)), exponent + 1);
        assert_int_equal(buf[0], '1');
        assert_int_equal(strspn(buf + 1, "0"), exponent);

        if (exponent < TPW_U128_POW10_MAX) {
            expected *= 10;
        }
    }
    /* 10^38 is the largest power of ten that fits: 10^39 would overflow. */
    assert_true(tpw_u128_pow10(TPW_U128_POW10_MAX) > TPW_U128_MAX / 10);
}

static tpw_u128 random_u128_bits(struct tpw_prng *prng, unsigned bits)
{
    uint64_t high = tpw_prng_next(prng);
    uint64_t low = tpw_prng_next(prng);
    tpw_u128 value = TPW_U128(high, low);
    if (bits == 0) {
        return 0;
    }
    return bits >= 128 ? value : value & ((((tpw_u128)1) << bits) - 1);
}

/* to_dec then from_dec gives the value back, over ~100k values of every bit width. */
static void test_round_trip_random(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_base_u128", 20251125));
    for (unsigned i = 0; i < 100000; i++) {
        unsigned bits = (unsigned)tpw_prng_below(&prng, 129);
        tpw_u128 value = random_u128_bits(&prng, bits);

        char buf[TPW_U128_DEC_SIZE];
        size_t length = tpw_u128_to_dec(value, buf, sizeof(buf));
        assert_true(length >= 1 && length <= TPW_U128_DIGITS_MAX);
        assert_int_equal(strlen(buf), length);
        /* No leading zeros, except for zero itself. */
        assert_true(buf[0] != '0' || length == 1);

        tpw_u128 parsed = 0;
        assert_err(tpw_u128_from_dec(buf, length, &parsed), TPW_OK);
        assert_u128_equal(parsed, value);

        /* The digit count matches the magnitude. */
        if (value != 0) {
            assert_true(value >= tpw_u128_pow10((unsigned)length - 1));
            assert_true(length == TPW_U128_DIGITS_MAX || value < tpw_u128_pow10((unsigned)length));
        }
        /* Below 2^64, printf is an independent reference. */
        if (value <= UINT64_MAX) {
            char reference[32];
            (void)snprintf(reference, sizeof(reference), "%" PRIu64, (uint64_t)value);
            assert_string_equal(buf, reference);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_to_dec_values),  cmocka_unit_test(test_to_dec_buffer_sizes),
        cmocka_unit_test(test_from_dec_cases), cmocka_unit_test(test_from_dec_unterminated),
        cmocka_unit_test(test_pow10),          cmocka_unit_test(test_round_trip_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
