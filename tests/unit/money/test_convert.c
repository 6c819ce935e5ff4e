/*
 * Conversion between assets of different exponents through an exact rate, on both
 * quote sides, with real ECB reference rates of 13 April 2026 (data/fx/eurofxref.csv),
 * and fee schedules: fixed + basis points rounding up, min/max clamps, bad schedules.
 */
#include "tpw_test.h"

#include <string.h>

#include "tpwallet/money.h"

static struct money_asset asset(const char *code, uint8_t exponent)
{
    struct money_asset result = {
        .exponent = exponent, .is_money = true, .kind = MONEY_ASSET_CONFIGURED};
    memcpy(result.code, code, strlen(code) + 1);
    return result;
}

static struct money_rate rate(const char *text)
{
    struct money_rate result = {0};
    enum tpw_err err = money_rate_parse(text, strlen(text), &result, NULL);
    assert_err(err, TPW_OK);
    return result;
}

struct convert_case {
    const char *from;
    uint8_t from_exponent;
    const char *to;
    uint8_t to_exponent;
    tpw_u128 amount_minor;
    const char *rate;
    enum money_quote_side side;
    enum money_rounding rounding;
    tpw_u128 expected_minor;
};

#define TPF MONEY_RATE_TO_PER_FROM
#define FPT MONEY_RATE_FROM_PER_TO

static const struct convert_case cases[] = {
    /* 1000.00 EUR at 1.1684 USD per EUR = 1168.40 USD exactly. */
    {"EUR", 2, "USD", 2, 100000, "1.1684", TPF, MONEY_ROUND_DOWN, 116840},
    /* 1.00 EUR at 186.75 JPY per EUR = 186.75 JPY: down 186, half-up 187, up 187. */
    {"EUR", 2, "JPY", 0, 100, "186.75", TPF, MONEY_ROUND_DOWN, 186},
    {"EUR", 2, "JPY", 0, 100, "186.75", TPF, MONEY_ROUND_HALF_UP, 187},
    {"EUR", 2, "JPY", 0, 100, "186.75", TPF, MONEY_ROUND_HALF_EVEN, 187},
    /* 125000 JPY at 186.75 JPY per EUR = 669.3440… EUR. */
    {"JPY", 0, "EUR", 2, 125000, "186.75", FPT, MONEY_ROUND_DOWN, 66934},
    {"JPY", 0, "EUR", 2, 125000, "186.75", FPT, MONEY_ROUND_UP, 66935},
    /* 100.000 BHD (3 decimals) at 2.6596 USD per BHD = 265.96 USD. */
    {"BHD", 3, "USD", 2, 100000, "2.6596", TPF, MONEY_ROUND_DOWN, 26596},
    /* 1.00 USD at 3000 USD per ETH = 0.000333… ETH = 333333333333333.3 wei. */
    {"USD", 2, "ETH", 18, 100, "3000", FPT, MONEY_ROUND_DOWN, 333333333333333u},
    {"USD", 2, "ETH", 18, 100, "3000", FPT, MONEY_ROUND_UP, 333333333333334u},
    /* 0.5 BTC at 61234.56 USD per BTC = 30617.28 USD. */
    {"BTC", 8, "USD", 2, 50000000, "61234.56", TPF, MONEY_ROUND_DOWN, 3061728},
    /* 1 wei at 3000 USD per ETH = 3e-15 USD: rounds to 0 down, 1 cent up. */
    {"ETH", 18, "USD", 2, 1, "3000", TPF, MONEY_ROUND_DOWN, 0},
    {"ETH", 18, "USD", 2, 1, "3000", TPF, MONEY_ROUND_UP, 1},
    /* Same exponent, rate 1: identity. */
    {"USDC", 6, "USDT", 6, 123456789, "1", TPF, MONEY_ROUND_DOWN, 123456789},
    /* The smallest rate, 10^-18, from an 18-decimal asset to a 0-decimal one. */
    {"ETH", 18, "JPY", 0, 1000000000000000000u, "0.000000000000000001", TPF, MONEY_ROUND_UP, 1},
};

static void test_convert_table(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        const struct convert_case *c = &cases[index];
        struct money_asset from = asset(c->from, c->from_exponent);
        struct money_asset to = asset(c->to, c->to_exponent);
        tpw_u128 out = 0;
        print_message("case %zu: %s -> %s\n", index, c->from, c->to);
        assert_err(
            money_convert(c->amount_minor, &from, &to, rate(c->rate), c->side, c->rounding, &out),
            TPW_OK);
        assert_u128_equal(out, c->expected_minor);
    }
}

static void test_convert_errors(void **state)
{
    (void)state;
    struct money_asset jpy = asset("JPY", 0);
    struct money_asset eth = asset("ETH", 18);
    tpw_u128 out = 7;
    assert_err(money_convert(1, &jpy, &eth, rate("0"), TPF, MONEY_ROUND_DOWN, &out),
               TPW_ERR_RATE_ZERO);
    assert_err(money_convert(1, &jpy, &eth, rate("0"), FPT, MONEY_ROUND_DOWN, &out),
               TPW_ERR_RATE_ZERO);
    /* 2^128 - 1 JPY in wei needs 10^18 times more room. */
    assert_err(money_convert(TPW_U128_MAX, &jpy, &eth, rate("1"), TPF, MONEY_ROUND_DOWN, &out),
               TPW_ERR_OVERFLOW);
    assert_err(
        money_convert(1, &jpy, &eth, rate("1"), (enum money_quote_side)9, MONEY_ROUND_DOWN, &out),
        TPW_ERR_INVALID_ARGUMENT);
    assert_err(money_convert(1, &jpy, &eth, rate("1"), TPF, (enum money_rounding)0, &out),
               TPW_ERR_INVALID_ARGUMENT);
    assert_u128_equal(out, 7);
}

struct fee_case {
    struct money_fee_schedule schedule;
    tpw_u128 amount_minor;
    enum tpw_err err;
    tpw_u128 fee_minor;
};

#define NO_MAX TPW_U128_MAX

static const struct fee_case fee_cases[] = {
    /* 2.9% + 0.30 on 100.00 = 3.20. */
    {{30, 290, 0, NO_MAX}, 10000, TPW_OK, 320},
    /* 0.25% of 0.01 = 0.000025 rounds up to one minor unit. */
    {{0, 25, 0, NO_MAX}, 1, TPW_OK, 1},
    /* Nothing to round: 1% of 100. */
    {{0, 100, 0, NO_MAX}, 100, TPW_OK, 1},
    {{0, 0, 0, NO_MAX}, 0, TPW_OK, 0},
    /* Clamps: a minimum of 0.50 and a maximum of 25.00. */
    {{0, 100, 50, NO_MAX}, 100, TPW_OK, 50},
    {{0, 100, 0, 2500}, 10000000, TPW_OK, 2500},
    /* 100% of the largest amount is still representable. */
    {{0, 10000, 0, NO_MAX}, TPW_U128_MAX, TPW_OK, TPW_U128_MAX},
    /* Errors. */
    {{1, 10000, 0, NO_MAX}, TPW_U128_MAX, TPW_ERR_OVERFLOW, 0},
    {{0, 10001, 0, NO_MAX}, 100, TPW_ERR_FEE_INVALID, 0},
    {{0, 0, 200, 100}, 100, TPW_ERR_FEE_INVALID, 0},
};

static void test_fee_table(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(fee_cases) / sizeof(fee_cases[0]); index++) {
        const struct fee_case *c = &fee_cases[index];
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        tpw_u128 fee = 12345;
        print_message("fee case %zu\n", index);
        assert_err(money_fee_compute(&c->schedule, c->amount_minor, &fee, &detail), c->err);
        if (c->err == TPW_OK) {
            assert_u128_equal(fee, c->fee_minor);
        } else {
            assert_u128_equal(fee, 12345);
            assert_err(detail.code, c->err);
            assert_true(strlen(detail.message) > 0);
        }
    }
}

static void test_fee_none(void **state)
{
    (void)state;
    struct money_fee_schedule none = money_fee_none();
    tpw_u128 fee = 1;
    assert_err(money_fee_compute(&none, TPW_U128_MAX, &fee, NULL), TPW_OK);
    assert_u128_equal(fee, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convert_table),
        cmocka_unit_test(test_convert_errors),
        cmocka_unit_test(test_fee_table),
        cmocka_unit_test(test_fee_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
