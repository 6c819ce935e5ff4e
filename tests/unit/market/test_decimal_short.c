/*
 * market_decimal_parse's 64-bit path for short decimals (src/market/book.c) against the
 * money module's exact parser it stands in front of: for a table of edge cases and for
 * seeded random strings of digits, points, signs, exponents and spaces at every
 * exponent, both must give the same error or the same value (money's 128-bit value,
 * refused above 2^64-1). The seed is printed; TPW_TEST_SEED replays one.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpwallet/market.h"
#include "tpwallet/money.h"
#include "tpwallet/prng.h"

#define RANDOM_CASES_COUNT 200000
#define RANDOM_TEXT_LEN_MAX 26

/* What market_decimal_parse must return: money's parse, then the 64-bit range. */
static enum tpw_err reference(const char *text, size_t text_len, unsigned exponent, uint64_t *out)
{
    tpw_u128 value = 0;
    enum tpw_err err = money_decimal_parse(text, text_len, exponent, &value, NULL);
    if (err == TPW_OK && value > UINT64_MAX) {
        return TPW_ERR_MARKET_VALUE_RANGE;
    }
    *out = (uint64_t)value;
    return err;
}

static void check(const char *text, size_t text_len, unsigned exponent)
{
    uint64_t expected = 0;
    uint64_t got = 0;
    enum tpw_err expected_err = reference(text, text_len, exponent, &expected);
    enum tpw_err err = market_decimal_parse(text, text_len, exponent, &got, NULL);
    if (err != expected_err || (err == TPW_OK && got != expected)) {
        print_error("'%.*s' at %u: %d %llu, expected %d %llu\n", (int)text_len, text, exponent,
                    (int)err, (unsigned long long)got, (int)expected_err,
                    (unsigned long long)expected);
    }
    assert_int_equal(err, expected_err);
    if (err == TPW_OK) {
        assert_int_equal(got, expected);
    }
}

static void test_edge_cases(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "",
        "0",
        "0.0",
        "00012.5",
        ".5",
        "5.",
        "1..2",
        "1.2.3",
        "-1",
        "+1",
        "1e5",
        " 1",
        "0.35270000",
        "6195.00000000",
        "1.000000000",
        "1.0000000000000000000",
        "9999999999999999999",
        "18446744073709551615",
        "18446744073709551616",
        "184467440737.09551615",
        "184467440737.09551616",
        "99999999999.99999999",
        "100000000000.00000000",
        "0000000000000000000000001",
        "123456789012345678901234567890123456789",
    };
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        for (unsigned exponent = 0; exponent <= MARKET_EXPONENT_MAX; exponent++) {
            check(cases[index], strlen(cases[index]), exponent);
        }
    }
}

static void test_random_strings(void **state)
{
    (void)state;
    const char *seed_text = getenv("TPW_TEST_SEED");
    uint64_t seed = seed_text != NULL ? strtoull(seed_text, NULL, 10) : 0x646563696d616cull;
    print_message("decimal short-path seed: %llu\n", (unsigned long long)seed);
    struct tpw_prng prng;
    tpw_prng_seed(&prng, seed);
    /* Mostly digits, so that many strings are valid and reach the value comparison. */
    static const char alphabet[] = "01234567890123456789012345678901234567899.....-e +";
    char text[RANDOM_TEXT_LEN_MAX];
    for (size_t round = 0; round < RANDOM_CASES_COUNT; round++) {
        size_t text_len = (size_t)tpw_prng_below(&prng, RANDOM_TEXT_LEN_MAX);
        for (size_t index = 0; index < text_len; index++) {
            text[index] = alphabet[tpw_prng_below(&prng, sizeof(alphabet) - 1)];
        }
        check(text, text_len, (unsigned)tpw_prng_below(&prng, MARKET_EXPONENT_MAX + 1));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_random_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
