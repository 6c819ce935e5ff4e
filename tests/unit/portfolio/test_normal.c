/*
 * The simulator's samplers (src/portfolio/normal.c) against the distributions they
 * claim: the ziggurat's tables close, its normals have the right moments, tail mass
 * and shape (a Kolmogorov-Smirnov test against Φ), and the gamma sampler has the
 * right mean and variance for shapes below and above 1; the 16-lane sampler gives each
 * lane's generator's normals to the bit; the simulator's exp agrees with
 * libm's to 1e-15 relative over its whole range. Seeded: every run draws the
 * same numbers, and the bounds are many standard errors wide.
 */
#include "tpw_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "normal.h"
#include "sim_exp.h"

#define NORMAL_SAMPLES 2000000u
#define KS_SAMPLES 200000u

static void test_tables_close(void **state)
{
    (void)state;
    const struct normal_tables *tables = normal_tables_get();
    assert_true(tables->x[1] > 3.44 && tables->x[1] < 3.45);
    for (unsigned layer = 1; layer < NORMAL_LAYERS; layer++) {
        assert_true(tables->x[layer + 1] < tables->x[layer]); /* edges shrink to 0 */
        /* Every layer above the base has the same area: x[i]·(f(x[i+1]) − f(x[i])). */
        double area = tables->x[layer] * (tables->f[layer + 1] - tables->f[layer]);
        if (layer + 1 < NORMAL_LAYERS) {
            assert_true(fabs(area - 9.91256303526217e-3) < 1e-9);
        }
    }
    assert_true(tables->x[NORMAL_LAYERS] == 0.0);
    assert_true(tables->ratio[0] > 0.9);
}

static void test_normal_moments(void **state)
{
    (void)state;
    const struct normal_tables *tables = normal_tables_get();
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_normal", 20261202));
    double sum = 0.0;
    double squares = 0.0;
    double fourth = 0.0;
    unsigned beyond_r = 0;
    for (unsigned index = 0; index < NORMAL_SAMPLES; index++) {
        double z = normal_next(&prng, tables);
        assert_true(isfinite(z));
        sum += z;
        squares += z * z;
        fourth += z * z * z * z;
        beyond_r += fabs(z) > 3.442619855899 ? 1u : 0u;
    }
    double n = NORMAL_SAMPLES;
    double mean = sum / n;
    double variance = squares / n - mean * mean;
    /* Standard errors: mean 1/√n = 7e-4, variance √(2/n) = 1e-3, kurtosis √(24/n). */
    assert_true(fabs(mean) < 5.0 / sqrt(n));
    assert_true(fabs(variance - 1.0) < 5.0 * sqrt(2.0 / n));
    assert_true(fabs(fourth / n - 3.0) < 5.0 * sqrt(96.0 / n));
    /* P(|Z| > r) = erfc(r/√2) ≈ 5.76e-4: the tail sampler is used and is right. */
    double expected = erfc(3.442619855899 / sqrt(2.0)) * n;
    assert_true(fabs((double)beyond_r - expected) < 5.0 * sqrt(expected));
}

static int compare_doubles(const void *left, const void *right)
{
    double a = *(const double *)left;
    double b = *(const double *)right;
    return (a > b) - (a < b);
}

static void test_normal_ks(void **state)
{
    (void)state;
    const struct normal_tables *tables = normal_tables_get();
    struct tpw_prng prng;
    tpw_prng_seed(&prng, 7);
    double *samples = malloc(KS_SAMPLES * sizeof(double));
    assert_non_null(samples);
    for (unsigned index = 0; index < KS_SAMPLES; index++) {
        samples[index] = normal_next(&prng, tables);
    }
    qsort(samples, KS_SAMPLES, sizeof(double), compare_doubles);
    double statistic = 0.0;
    for (unsigned index = 0; index < KS_SAMPLES; index++) {
        double cdf = 0.5 * erfc(-samples[index] / sqrt(2.0));
        double above = (double)(index + 1) / KS_SAMPLES - cdf;
        double below = cdf - (double)index / KS_SAMPLES;
        statistic = fmax(statistic, fmax(above, below));
    }
    free(samples);
    /* 1.95/√n is the 0.1 % critical value of the one-sample test. */
    assert_true(statistic < 1.95 / sqrt((double)KS_SAMPLES));
}

/* The lanes give each lane's generator's normal_next sequence to the bit, slow paths
 * (wedges and the tail) and the redrawn lanes included: 16 × 120,000 draws take the slow
 * path ~23,000 times and the tail ~1,100 times. */
static void test_lanes_match_scalar(void **state)
{
    (void)state;
    const struct normal_tables *tables = normal_tables_get();
    struct normal_lanes lanes;
    struct tpw_prng scalar[NORMAL_LANES];
    for (unsigned lane = 0; lane < NORMAL_LANES; lane++) {
        uint64_t seed = UINT64_C(0x5EED) * (lane + 1) ^ (uint64_t)lane << 40;
        normal_lanes_seed(&lanes, lane, seed);
        tpw_prng_seed(&scalar[lane], seed);
    }
    unsigned mismatches = 0;
    for (unsigned call = 0; call < 30000; call++) {
        double out[7][NORMAL_LANES];
        size_t count = 1 + call % 7; /* 1 to 7 draws per lane per call */
        normal_lanes_fill(&lanes, tables, count, out);
        for (size_t k = 0; k < count; k++) {
            for (unsigned lane = 0; lane < NORMAL_LANES; lane++) {
                double expected = normal_next(&scalar[lane], tables);
                mismatches += memcmp(&out[k][lane], &expected, sizeof(double)) != 0 ? 1u : 0u;
            }
        }
    }
    assert_int_equal(mismatches, 0);
    for (unsigned lane = 0; lane < NORMAL_LANES; lane++) {
        for (unsigned word = 0; word < 4; word++) {
            assert_true(lanes.s[word][lane] == scalar[lane].state[word]);
        }
    }
    /* The exact conversion at its edges. */
    assert_true(normal__u53_to_double(0) == 0.0);
    assert_true(normal__u53_to_double((UINT64_C(1) << 53) - 1) == 0x1.fffffffffffffp52);
    assert_true(normal__u53_to_double(UINT64_C(0xFFFFFFFF)) == 4294967295.0);
}

static void check_gamma(double shape)
{
    const struct normal_tables *tables = normal_tables_get();
    struct tpw_prng prng;
    tpw_prng_seed(&prng, 99);
    enum { SAMPLES = 400000 };
    double sum = 0.0;
    double squares = 0.0;
    for (unsigned index = 0; index < SAMPLES; index++) {
        double g = normal_gamma(&prng, tables, shape);
        assert_true(g > 0.0 && isfinite(g));
        sum += g;
        squares += g * g;
    }
    double mean = sum / SAMPLES;
    double variance = squares / SAMPLES - mean * mean;
    /* Gamma(k, 1): mean k, variance k; the mean's standard error is √(k/n). */
    assert_true(fabs(mean - shape) < 5.0 * sqrt(shape / SAMPLES));
    assert_true(fabs(variance - shape) < 0.05 * shape);
}

static void test_gamma(void **state)
{
    (void)state;
    check_gamma(0.5);
    check_gamma(1.0);
    check_gamma(2.5);
    check_gamma(20.0);
}

/* Against libm on a dense grid of the clamped range, on the small values of daily
 * returns, at the range reduction's boundaries, and at the limits. */
static void test_exp(void **state)
{
    (void)state;
    double worst = 0.0;
    for (int index = -700000; index <= 700000; index++) {
        double x = index / 1000.0 + 1e-4 * (index % 7);
        double relative = fabs(sim_exp(x) - exp(x)) / exp(x);
        worst = relative > worst ? relative : worst;
    }
    for (int index = -100000; index <= 100000; index++) {
        double x = index * 1e-6;
        double relative = fabs(sim_exp(x) - exp(x)) / exp(x);
        worst = relative > worst ? relative : worst;
    }
    print_message("sim_exp: worst relative error %.3g\n", worst);
    assert_true(worst < 1e-15);
    assert_true(sim_exp(0.0) == 1.0);
    assert_true(sim_exp(0.5 * 0.6931471805599453) > 1.414 && sim_exp(-1e-300) == 1.0);
    assert_true(fabs(sim_exp(SIM_EXP_LIMIT) / exp(700.0) - 1.0) < 1e-15);
    assert_true(fabs(sim_exp(-SIM_EXP_LIMIT) / exp(-700.0) - 1.0) < 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_close), cmocka_unit_test(test_normal_moments),
        cmocka_unit_test(test_normal_ks),    cmocka_unit_test(test_lanes_match_scalar),
        cmocka_unit_test(test_gamma),        cmocka_unit_test(test_exp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
