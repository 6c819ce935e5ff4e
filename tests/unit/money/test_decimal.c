/*
 * Exact decimal text for amounts and rates: every rejection with its own error code
 * and offset, padding and canonical formatting at each exponent, rate text, and
 * checked add/sub. The GMP oracle (tests/prop) covers the value space at random;
 * these tables pin the documented behaviour case by case.
 */
#include "tpw_test.h"

#include <string.h>

#include "tpwallet/money.h"

struct parse_case {
    const char *text;
    unsigned exponent;
    enum tpw_err err;
    size_t offset_bytes; /* of the error */
    tpw_u128 value;      /* when err is TPW_OK */
};

static const struct parse_case parse_cases[] = {
    /* Accepted: padding to the exponent, leading zeros, the full range. */
    {"12.34", 2, TPW_OK, 0, 1234},
    {"12.3", 2, TPW_OK, 0, 1230},
    {"12", 2, TPW_OK, 0, 1200},
    {"0", 2, TPW_OK, 0, 0},
    {"0.00", 2, TPW_OK, 0, 0},
    {"007.50", 2, TPW_OK, 0, 750},
    {"125000", 0, TPW_OK, 0, 125000},
    {"0.000000000000000001", 18, TPW_OK, 0, 1},
    {"340282366920938463463374607431768211455", 0, TPW_OK, 0, TPW_U128_MAX},
    {"3402823669209384634633746074317.68211455", 8, TPW_OK, 0, TPW_U128_MAX},
    {"18446744073709551616", 0, TPW_OK, 0, TPW_U128(1, 0)},
    /* Rejected, one code each; the first offending character decides. */
    {"", 2, TPW_ERR_DECIMAL_EMPTY, 0, 0},
    {"-5", 2, TPW_ERR_DECIMAL_SIGN, 0, 0},
    {"+5", 2, TPW_ERR_DECIMAL_SIGN, 0, 0},
    {"5-", 2, TPW_ERR_DECIMAL_SIGN, 1, 0},
    {"1e5", 2, TPW_ERR_DECIMAL_EXPONENT, 1, 0},
    {"1E5", 2, TPW_ERR_DECIMAL_EXPONENT, 1, 0},
    {"1.5e2", 2, TPW_ERR_DECIMAL_EXPONENT, 3, 0},
    {" 1", 2, TPW_ERR_DECIMAL_SPACE, 0, 0},
    {"1 ", 2, TPW_ERR_DECIMAL_SPACE, 1, 0},
    {"1 000", 2, TPW_ERR_DECIMAL_SPACE, 1, 0},
    {"1\t", 2, TPW_ERR_DECIMAL_SPACE, 1, 0},
    {"1\n", 2, TPW_ERR_DECIMAL_SPACE, 1, 0},
    {".5", 2, TPW_ERR_DECIMAL_LEADING_POINT, 0, 0},
    {".", 2, TPW_ERR_DECIMAL_LEADING_POINT, 0, 0},
    {"5.", 2, TPW_ERR_DECIMAL_TRAILING_POINT, 1, 0},
    {"5.", 0, TPW_ERR_DECIMAL_TRAILING_POINT, 1, 0},
    {"1,000", 2, TPW_ERR_DECIMAL_NON_DIGIT, 1, 0},
    {"1.2.3", 2, TPW_ERR_DECIMAL_NON_DIGIT, 3, 0},
    {"NaN", 2, TPW_ERR_DECIMAL_NON_DIGIT, 0, 0},
    {"inf", 2, TPW_ERR_DECIMAL_NON_DIGIT, 0, 0},
    {"0x10", 2, TPW_ERR_DECIMAL_NON_DIGIT, 1, 0},
    {"12$", 2, TPW_ERR_DECIMAL_NON_DIGIT, 2, 0},
    {"\xd9\xa1", 2, TPW_ERR_DECIMAL_NON_DIGIT, 0, 0}, /* ARABIC-INDIC DIGIT ONE */
    {"1.234", 2, TPW_ERR_DECIMAL_PRECISION, 4, 0},
    {"1.230", 2, TPW_ERR_DECIMAL_PRECISION, 4, 0}, /* strict: no silent trailing zeros */
    {"1.0", 0, TPW_ERR_DECIMAL_PRECISION, 2, 0},
    {"1.234x", 2, TPW_ERR_DECIMAL_PRECISION, 4, 0}, /* the digit comes first */
    {"340282366920938463463374607431768211456", 0, TPW_ERR_DECIMAL_OVERFLOW, 0, 0},
    {"3402823669209384634633746074317.68211456", 8, TPW_ERR_DECIMAL_OVERFLOW, 0, 0},
    {"3402823669209384634633746074317.6821146", 8, TPW_ERR_DECIMAL_OVERFLOW, 0, 0},
    {"1000000000000000000000", 18, TPW_ERR_DECIMAL_OVERFLOW, 0, 0},
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(parse_cases) / sizeof(parse_cases[0]); index++) {
        const struct parse_case *c = &parse_cases[index];
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        tpw_u128 value = 42;
        enum tpw_err err =
            money_decimal_parse(c->text, strlen(c->text), c->exponent, &value, &detail);
        print_message("case %zu: '%s' at exponent %u\n", index, c->text, c->exponent);
        assert_err(err, c->err);
        if (c->err == TPW_OK) {
            assert_u128_equal(value, c->value);
            continue;
        }
        assert_u128_equal(value, 42); /* nothing written on error */
        assert_err(detail.code, c->err);
        assert_int_equal(detail.offset_bytes, c->offset_bytes);
        assert_true(strlen(detail.message) > 0);
    }
}

/* The length is authoritative: bytes after it are not read, an embedded NUL is data. */
static void test_parse_uses_length(void **state)
{
    (void)state;
    tpw_u128 value = 0;
    assert_err(money_decimal_parse("12.345", 4, 2, &value, NULL), TPW_OK);
    assert_u128_equal(value, 1230);
    assert_err(money_decimal_parse("1\0"
                                   "2",
                                   3, 2, &value, NULL),
               TPW_ERR_DECIMAL_NON_DIGIT);
}

/* Input quoted in messages is cut short and cannot carry control characters. */
static void test_parse_message_is_sanitised(void **state)
{
    (void)state;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    const char text[] = "1.2345678901234567890123456789012345678901234567890\x1b[31m";
    tpw_u128 value;
    assert_err(money_decimal_parse(text, strlen(text), 2, &value, &detail),
               TPW_ERR_DECIMAL_PRECISION);
    assert_null(strchr(detail.message, '\x1b'));
    assert_non_null(strstr(detail.message, "..."));
}

struct format_case {
    tpw_u128 value;
    unsigned exponent;
    const char *text;
};

static const struct format_case format_cases[] = {
    {0, 0, "0"},
    {0, 2, "0.00"},
    {5, 2, "0.05"},
    {50, 2, "0.50"},
    {1234, 2, "12.34"},
    {100, 2, "1.00"},
    {125000, 0, "125000"},
    {1, 18, "0.000000000000000001"},
    {TPW_U128_MAX, 0, "340282366920938463463374607431768211455"},
    {TPW_U128_MAX, 8, "3402823669209384634633746074317.68211455"},
    {TPW_U128_MAX, 38, "3.40282366920938463463374607431768211455"},
    {1, 38, "0.00000000000000000000000000000000000001"},
};

static void test_format_table(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(format_cases) / sizeof(format_cases[0]); index++) {
        const struct format_case *c = &format_cases[index];
        char buf[MONEY_DECIMAL_TEXT_SIZE];
        size_t length = money_decimal_format(c->value, c->exponent, buf, sizeof(buf));
        assert_string_equal(buf, c->text);
        assert_int_equal(length, strlen(c->text));
        /* The exact size fits; one byte less does not. */
        char exact[MONEY_DECIMAL_TEXT_SIZE];
        assert_int_equal(money_decimal_format(c->value, c->exponent, exact, length + 1), length);
        assert_int_equal(money_decimal_format(c->value, c->exponent, exact, length), 0);
        assert_string_equal(exact, "");
    }
}

/* The longest possible text fits MONEY_DECIMAL_TEXT_SIZE. */
static void test_format_size_bound(void **state)
{
    (void)state;
    char buf[MONEY_DECIMAL_TEXT_SIZE];
    for (unsigned exponent = 0; exponent <= TPW_U128_POW10_MAX; exponent++) {
        assert_true(money_decimal_format(TPW_U128_MAX, exponent, buf, sizeof(buf)) > 0);
        assert_true(money_decimal_format(1, exponent, buf, sizeof(buf)) > 0);
    }
}

static void test_rate_text(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        tpw_u128 value_e18;
        const char *out;
    } cases[] = {
        {"1.1684", 1168400000000000000u, "1.1684"},
        {"1.168400", 1168400000000000000u, "1.1684"},
        {"186.75", (tpw_u128)18675 * 10000000000000000u, "186.75"},
        {"3", 3000000000000000000u, "3"},
        {"3.0", 3000000000000000000u, "3"},
        {"0", 0, "0"},
        {"0.000000000000000001", 1, "0.000000000000000001"},
    };
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        struct money_rate rate;
        assert_err(money_rate_parse(cases[index].in, strlen(cases[index].in), &rate, NULL), TPW_OK);
        assert_u128_equal(rate.value_e18, cases[index].value_e18);
        char buf[MONEY_DECIMAL_TEXT_SIZE];
        assert_true(money_rate_format(rate, buf, sizeof(buf)) > 0);
        assert_string_equal(buf, cases[index].out);
    }
    struct money_rate rate;
    assert_err(money_rate_parse("1.0000000000000000001", 21, &rate, NULL),
               TPW_ERR_DECIMAL_PRECISION);
    assert_err(money_rate_parse("-1", 2, &rate, NULL), TPW_ERR_DECIMAL_SIGN);
    char small[3];
    assert_int_equal(money_rate_format((struct money_rate){1168400000000000000u}, small, 3), 0);
}

static void test_amount_add_sub(void **state)
{
    (void)state;
    tpw_u128 out = 7;
    assert_err(money_amount_add(TPW_U128_MAX - 1, 1, &out), TPW_OK);
    assert_u128_equal(out, TPW_U128_MAX);
    assert_err(money_amount_add(TPW_U128_MAX, 1, &out), TPW_ERR_OVERFLOW);
    assert_u128_equal(out, TPW_U128_MAX); /* untouched on error */
    assert_err(money_amount_add(TPW_U128(1, 0), TPW_U128(UINT64_MAX, 0), &out), TPW_ERR_OVERFLOW);
    assert_err(money_amount_sub(5, 5, &out), TPW_OK);
    assert_u128_equal(out, 0);
    assert_err(money_amount_sub(5, 6, &out), TPW_ERR_UNDERFLOW);
    assert_u128_equal(out, 0);
    assert_err(money_amount_sub(TPW_U128_MAX, 1, &out), TPW_OK);
    assert_u128_equal(out, TPW_U128_MAX - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_uses_length),
        cmocka_unit_test(test_parse_message_is_sanitised),
        cmocka_unit_test(test_format_table),
        cmocka_unit_test(test_format_size_bound),
        cmocka_unit_test(test_rate_text),
        cmocka_unit_test(test_amount_add_sub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
