/*
 * Realised volatility (src/quant/realised_vol.c): the RiskMetrics recursion checked by
 * hand on a rise and fall, against a plain recomputation over seeded random prices (bit
 * for bit: the same operations in the same order), annualising, a flat price, and every
 * bad input refused with the estimator unchanged.
 */
#include "tpw_test.h"

#include <math.h>
#include <string.h>

#include "tpwallet/prng.h"
#include "tpwallet/quant.h"

static struct quant_realised_vol vol_new(double lambda, double periods)
{
    struct quant_realised_vol vol;
    struct quant_realised_vol_config config = {lambda, periods};
    assert_err(quant_realised_vol_init(&vol, &config), TPW_OK);
    return vol;
}

static void test_config_checked(void **state)
{
    (void)state;
    struct quant_realised_vol vol;
    const struct quant_realised_vol_config bad[] = {{0.0, 1.0}, {1.0, 1.0},  {-0.5, 1.0},
                                                    {NAN, 1.0}, {0.94, 0.0}, {0.94, INFINITY}};
    for (size_t index = 0; index < sizeof(bad) / sizeof(bad[0]); index++) {
        assert_err(quant_realised_vol_init(&vol, &bad[index]), TPW_ERR_INVALID_ARGUMENT);
    }
}

static void test_rise_and_fall(void **state)
{
    (void)state;
    struct quant_realised_vol vol = vol_new(0.94, 31536000.0);
    struct quant_realised_vol_value value;
    assert_err(quant_realised_vol_update(&vol, 0, 100.0, &value), TPW_OK);
    assert_int_equal(value.returns_count, 0); /* the first price only seeds */
    assert_true(value.vol_per_period == 0.0);
    assert_err(quant_realised_vol_update(&vol, 1, 101.0, &value), TPW_OK);
    double r = log(1.01);
    assert_int_equal(value.returns_count, 1);
    assert_true(value.log_return == r);
    assert_true(value.variance == r * r); /* the first return seeds the variance */
    /* Down by the same log return: λr² + (1 − λ)r² is r² again. */
    assert_err(quant_realised_vol_update(&vol, 2, 100.0, &value), TPW_OK);
    assert_true(fabs(value.vol_per_period - r) < 1e-15);
    assert_true(fabs(value.vol_annualised - r * sqrt(31536000.0)) < 1e-11);
    assert_int_equal(value.returns_count, 2);
}

static void test_against_recomputation(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_quant_realised_vol", 0x701));
    struct quant_realised_vol vol = vol_new(0.9, 86400.0);
    double price = 100.0;
    double previous = 0.0;
    double variance = 0.0;
    struct quant_realised_vol_value value;
    for (int64_t step = 0; step < 2000; step++) {
        price *= 1.0 + ((double)tpw_prng_below(&prng, 2001) - 1000.0) / 100000.0;
        assert_err(quant_realised_vol_update(&vol, step, price, &value), TPW_OK);
        if (step == 1) {
            double r = log(price / previous);
            variance = r * r;
        } else if (step > 1) {
            double r = log(price / previous);
            variance = 0.9 * variance + (1.0 - 0.9) * (r * r);
        }
        previous = price;
        assert_true(value.variance == variance);
    }
    assert_true(value.vol_annualised == sqrt(variance) * sqrt(86400.0));
}

static void test_flat_and_refused(void **state)
{
    (void)state;
    struct quant_realised_vol vol = vol_new(0.94, 1.0);
    struct quant_realised_vol_value value;
    for (int64_t step = 0; step < 10; step++) {
        assert_err(quant_realised_vol_update(&vol, step, 5.0, &value), TPW_OK);
    }
    assert_true(value.vol_per_period == 0.0);
    struct quant_realised_vol before = vol;
    const double bad[] = {0.0, -1.0, NAN, INFINITY, 1e101, 1e-101};
    for (size_t index = 0; index < sizeof(bad) / sizeof(bad[0]); index++) {
        assert_err(quant_realised_vol_update(&vol, 20, bad[index], &value),
                   TPW_ERR_INVALID_ARGUMENT);
    }
    assert_err(quant_realised_vol_update(&vol, 8, 5.0, &value), TPW_ERR_INVALID_ARGUMENT);
    assert_memory_equal(&before, &vol, sizeof(vol));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_checked),
        cmocka_unit_test(test_rise_and_fall),
        cmocka_unit_test(test_against_recomputation),
        cmocka_unit_test(test_flat_and_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
