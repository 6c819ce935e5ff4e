/*
 * round(a × b / d) with each named rounding mode: ties, near-ties, exact results,
 * the 256-bit path (products past 2^128), overflow at the edge of 128 bits, and the
 * error paths. Small cases are written so they can be checked by hand.
 */
#include "tpw_test.h"

#include "tpwallet/money.h"

#define HE MONEY_ROUND_HALF_EVEN
#define HU MONEY_ROUND_HALF_UP
#define DN MONEY_ROUND_DOWN
#define UP MONEY_ROUND_UP

struct muldiv_case {
    tpw_u128 a;
    tpw_u128 b;
    tpw_u128 d;
    /* Expected result per mode, in the order half-even, half-up, down, up. */
    tpw_u128 expected[4];
};

static const struct muldiv_case cases[] = {
    /* Exact. */
    {6, 1, 3, {2, 2, 2, 2}},
    {0, 5, 7, {0, 0, 0, 0}},
    /* Ties: 2.5, 3.5, 0.5, 1.5. */
    {5, 1, 2, {2, 3, 2, 3}},
    {7, 1, 2, {4, 4, 3, 4}},
    {1, 1, 2, {0, 1, 0, 1}},
    {3, 1, 2, {2, 2, 1, 2}},
    /* Just below and above a tie: 2.4999…, 2.5000…1. */
    {2499, 1, 1000, {2, 2, 2, 3}},
    {2501, 1, 1000, {3, 3, 2, 3}},
    /* Odd divisor: 2/3 and 1/3. */
    {2, 1, 3, {1, 1, 0, 1}},
    {1, 1, 3, {0, 0, 0, 1}},
    /* The product needs 256 bits; the quotient fits. */
    {TPW_U128_MAX,
     TPW_U128_MAX,
     TPW_U128_MAX,
     {TPW_U128_MAX, TPW_U128_MAX, TPW_U128_MAX, TPW_U128_MAX}},
    {TPW_U128_MAX,
     2,
     4,
     {TPW_U128(INT64_MAX, UINT64_MAX) + 1, TPW_U128(INT64_MAX, UINT64_MAX) + 1,
      TPW_U128(INT64_MAX, UINT64_MAX), TPW_U128(INT64_MAX, UINT64_MAX) + 1}},
    /* Divisor ≥ 2^64 (Algorithm D path): 2^127 × 3 / 2^65 = 3 × 2^62 exactly. */
    {TPW_U128(1, 0) << 63,
     3,
     TPW_U128(2, 0),
     {TPW_U128(0, 3) << 62, TPW_U128(0, 3) << 62, TPW_U128(0, 3) << 62, TPW_U128(0, 3) << 62}},
    /* (2^120 + 2^89) × 2^10 / 2^100 = 2^30 + 0.5: a tie past 128 bits, even below. */
    {(TPW_U128(1, 0) << 56) + (TPW_U128(1, 0) << 25),
     1024,
     TPW_U128(1, 0) << 36,
     {(tpw_u128)1 << 30, ((tpw_u128)1 << 30) + 1, (tpw_u128)1 << 30, ((tpw_u128)1 << 30) + 1}},
    /* (2^120 + 2^90 + 2^89) × 2^10 / 2^100 = 2^30 + 1.5: a tie with an odd quotient. */
    {(TPW_U128(1, 0) << 56) + (TPW_U128(1, 0) << 26) + (TPW_U128(1, 0) << 25),
     1024,
     TPW_U128(1, 0) << 36,
     {((tpw_u128)1 << 30) + 2, ((tpw_u128)1 << 30) + 2, ((tpw_u128)1 << 30) + 1,
      ((tpw_u128)1 << 30) + 2}},
    /* 10^30 × (10^30 + 1) / 10^36 = 10^24 + 10^-6. */
    {(tpw_u128)1000000000000000u * 1000000000000000u,
     (tpw_u128)1000000000000000u * 1000000000000000u + 1,
     (tpw_u128)1000000000000000000u * 1000000000000000000u,
     {(tpw_u128)1000000000000u * 1000000000000u, (tpw_u128)1000000000000u * 1000000000000u,
      (tpw_u128)1000000000000u * 1000000000000u, (tpw_u128)1000000000000u * 1000000000000u + 1}},
};

static void test_table(void **state)
{
    (void)state;
    static const enum money_rounding modes[4] = {HE, HU, DN, UP};
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        for (size_t mode = 0; mode < 4; mode++) {
            tpw_u128 out = 0;
            print_message("case %zu, %s\n", index, money_rounding_name(modes[mode]));
            assert_err(
                money_muldiv(cases[index].a, cases[index].b, cases[index].d, modes[mode], &out),
                TPW_OK);
            assert_u128_equal(out, cases[index].expected[mode]);
        }
    }
}

/*
 * Quotients at the very top of the range, found with exact integer search:
 * 7 × b / 2 = (2^128 - 1) + 1/2 and 503 × b' / 4 = (2^128 - 1) + 1/4. Rounding that
 * would step past 2^128 - 1 is an overflow, never a wrap to 0.
 */
static void test_rounding_overflows_at_the_top(void **state)
{
    (void)state;
    const tpw_u128 b_half = TPW_U128(0x4924924924924924u, 0x9249249249249249u);
    const tpw_u128 b_quarter = TPW_U128(0x209293982cc98afu, 0x13d951f0bb4ad0abu);
    tpw_u128 out = 0;
    assert_err(money_muldiv(7, b_half, 2, DN, &out), TPW_OK);
    assert_u128_equal(out, TPW_U128_MAX);
    /* 2^128 - 1 is odd, so half-even also steps up to 2^128. */
    assert_err(money_muldiv(7, b_half, 2, HE, &out), TPW_ERR_OVERFLOW);
    assert_err(money_muldiv(7, b_half, 2, HU, &out), TPW_ERR_OVERFLOW);
    assert_err(money_muldiv(7, b_half, 2, UP, &out), TPW_ERR_OVERFLOW);
    for (int mode = HE; mode <= DN; mode++) {
        out = 0;
        assert_err(money_muldiv(503, b_quarter, 4, (enum money_rounding)mode, &out), TPW_OK);
        assert_u128_equal(out, TPW_U128_MAX);
    }
    assert_err(money_muldiv(503, b_quarter, 4, UP, &out), TPW_ERR_OVERFLOW);
}

static void test_overflow_and_errors(void **state)
{
    (void)state;
    tpw_u128 out = 99;
    assert_err(money_muldiv(TPW_U128_MAX, 2, 1, DN, &out), TPW_ERR_OVERFLOW);
    assert_err(money_muldiv(TPW_U128_MAX, TPW_U128_MAX, TPW_U128_MAX - 1, DN, &out),
               TPW_ERR_OVERFLOW);
    /* 2^64 × 2^64 / 2^64: a product of exactly 2^128 still divides back. */
    assert_err(money_muldiv(TPW_U128(1, 0), TPW_U128(1, 0), TPW_U128(1, 0), DN, &out), TPW_OK);
    assert_u128_equal(out, TPW_U128(1, 0));
    out = 99;
    assert_err(money_muldiv(1, 1, 0, DN, &out), TPW_ERR_DIVISION_BY_ZERO);
    assert_err(money_muldiv(0, 0, 0, UP, &out), TPW_ERR_DIVISION_BY_ZERO);
    assert_err(money_muldiv(1, 1, 1, (enum money_rounding)0, &out), TPW_ERR_INVALID_ARGUMENT);
    assert_err(money_muldiv(1, 1, 1, (enum money_rounding)5, &out), TPW_ERR_INVALID_ARGUMENT);
    assert_u128_equal(out, 99); /* untouched on every error */
}

static void test_rounding_names(void **state)
{
    (void)state;
    static const char *const names[] = {"half-even", "half-up", "down", "up"};
    for (int mode = HE; mode <= UP; mode++) {
        enum money_rounding parsed = DN;
        assert_string_equal(money_rounding_name((enum money_rounding)mode), names[mode - 1]);
        assert_err(money_rounding_parse(names[mode - 1], &parsed), TPW_OK);
        assert_int_equal(parsed, mode);
    }
    enum money_rounding parsed = DN;
    assert_err(money_rounding_parse("banker", &parsed), TPW_ERR_ROUNDING_UNKNOWN);
    assert_err(money_rounding_parse("HALF-EVEN", &parsed), TPW_ERR_ROUNDING_UNKNOWN);
    assert_err(money_rounding_parse("", &parsed), TPW_ERR_ROUNDING_UNKNOWN);
    assert_int_equal(parsed, DN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_rounding_overflows_at_the_top),
        cmocka_unit_test(test_overflow_and_errors),
        cmocka_unit_test(test_rounding_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
