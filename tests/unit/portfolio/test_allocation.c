/*
 * Volatility-adjusted weights: HRP against PyPortfolioOpt's weights_hrp.csv (GOLDEN.md
 * §3.1), risk budgeting against LEAN's RiskParityPortfolioOptimizerTests (unnormalised
 * x to 6 dp) and convexfi/riskparity.rs (normalised w, CCD to 1e-6), the defining
 * property (risk contributions equal the budgets), inverse volatility, and refusals.
 */
#include "opt_test.h"

#include <stdlib.h>

static void test_hrp_golden(void **state)
{
    (void)state;
    struct golden_inputs *golden = test_malloc(sizeof(*golden));
    golden_load(golden);
    /* HRPOpt uses the daily (unannualised) covariance: the α ratios are the same, the
     * rounding closer to the reference. */
    static struct portfolio_estimate daily;
    struct tpw_error_detail detail;
    assert_err(portfolio_estimate_from_returns(&golden->returns, 1, &daily, &detail), TPW_OK);
    size_t n = golden->panel.assets_count;
    double weights[PORTFOLIO_OPT_ASSETS_MAX];
    assert_err(portfolio_hrp(n, daily.covariance, golden->correlation, weights, &detail), TPW_OK);
    FILE *file = fopen(TPW_ALLOCATION_DATA_DIR "/pypfopt_weights_hrp.csv", "r");
    assert_non_null(file);
    char line[128];
    size_t checked = 0;
    double total = 0.0;
    while (fgets(line, sizeof(line), file) != NULL) {
        char *comma = strchr(line, ',');
        if (comma == NULL || comma == line) {
            continue; /* the header ",0" */
        }
        *comma = '\0';
        double expected = strtod(comma + 1, NULL);
        assert_near(weights[golden_index(golden, line)], expected, 1e-15);
        checked++;
    }
    (void)fclose(file);
    assert_int_equal(checked, 20);
    for (size_t i = 0; i < n; i++) {
        total += weights[i];
    }
    assert_near(total, 1.0, 1e-15);
    golden_free(golden);
    test_free(golden);
}

/* Risk contributions x_i(Σx)_i / xᵀΣx equal the budgets. */
static void assert_budgets(size_t n, const double *cov, const double *b, const double *x)
{
    double contributions[PORTFOLIO_OPT_ASSETS_MAX];
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        double row = 0.0;
        for (size_t j = 0; j < n; j++) {
            row += cov[i * n + j] * x[j];
        }
        contributions[i] = x[i] * row;
        total += contributions[i];
    }
    for (size_t i = 0; i < n; i++) {
        assert_near(contributions[i] / total, b[i], 1e-14);
    }
}

static void test_risk_parity_lean(void **state)
{
    (void)state;
    static const double sigmas[4][4] = {
        {.25, -.2, -.2, .25}, {.01, 0, 0, .04}, {1, .45, .45, .25}, {.25, .05, .05, .04}};
    static const double budgets[2][2] = {{.5, .5}, {.25, .75}};
    static const double expected[4][2][2] = {
        {{3.162278, 3.162278}, {2.965685, 3.285618}},
        {{7.071068, 3.535534}, {5, 4.330127}},
        {{0.512989, 1.025978}, {0.264749, 1.510089}},
        {{1.154701, 2.886751}, {0.681774, 3.924933}},
    };
    for (size_t s = 0; s < 4; s++) {
        for (size_t k = 0; k < 2; k++) {
            double x[2];
            double w[2];
            struct tpw_error_detail detail;
            assert_err(portfolio_risk_parity(2, sigmas[s], budgets[k], x, w, &detail), TPW_OK);
            /* LEAN rounds to 6 dp. */
            assert_near(x[0], expected[s][k][0], 5e-7);
            assert_near(x[1], expected[s][k][1], 5e-7);
            assert_near(w[0] + w[1], 1.0, 1e-15);
            assert_budgets(2, sigmas[s], budgets[k], x);
        }
    }
}

static void test_risk_parity_riskparity_rs(void **state)
{
    (void)state;
    static const double cov[9] = {1, .0015, -.0119, .0015, 1, -.0308, -.0119, -.0308, 1};
    static const double b[3] = {.1594, .0126, .8280};
    double w[3];
    struct tpw_error_detail detail;
    assert_err(portfolio_risk_parity(3, cov, b, NULL, w, &detail), TPW_OK);
    /* riskparity.rs's CCD stops at a 1e-6 tolerance; Newton's optimum is 1.1e-9 from
     * its iterate, asserted at 1e-8. */
    assert_near(w[0], 0.27986280067580155, 1e-8);
    assert_near(w[1], 0.08774908615114298, 1e-8);
    assert_near(w[2], 0.6323881131730554, 1e-8);
    assert_budgets(3, cov, b, w);
}

/* Equal risk contributions on the 20-asset golden covariance. */
static void test_risk_parity_golden(void **state)
{
    (void)state;
    struct golden_inputs *golden = test_malloc(sizeof(*golden));
    golden_load(golden);
    size_t n = golden->estimate.assets_count;
    double b[PORTFOLIO_OPT_ASSETS_MAX];
    double w[PORTFOLIO_OPT_ASSETS_MAX];
    for (size_t i = 0; i < n; i++) {
        b[i] = 1.0 / (double)n;
    }
    struct tpw_error_detail detail;
    assert_err(portfolio_risk_parity(n, golden->estimate.covariance, b, NULL, w, &detail), TPW_OK);
    assert_budgets(n, golden->estimate.covariance, b, w);
    golden_free(golden);
    test_free(golden);
}

static void test_inverse_vol(void **state)
{
    (void)state;
    static const double cov[4] = {.04, .01, .01, .16}; /* σ = 0.2 and 0.4 */
    double w[2];
    struct tpw_error_detail detail;
    assert_err(portfolio_inverse_vol(2, cov, w, &detail), TPW_OK);
    assert_near(w[0], 2.0 / 3.0, 1e-15);
    assert_near(w[1], 1.0 / 3.0, 1e-15);
    static const double zero_variance[4] = {0, 0, 0, .16};
    assert_err(portfolio_inverse_vol(2, zero_variance, w, &detail), TPW_ERR_OPT_COVARIANCE_NOT_PD);
    assert_err(portfolio_inverse_vol(0, cov, w, &detail), TPW_ERR_OPT_INPUT_INVALID);
}

static void test_refusals(void **state)
{
    (void)state;
    static const double cov[4] = {.04, .01, .01, .16};
    static const double not_pd[4] = {1, 2, 2, 1};
    static const double with_nan[4] = {1, NAN, NAN, 1};
    static const double half[2] = {.5, .5};
    double w[2];
    struct tpw_error_detail detail;
    assert_err(portfolio_risk_parity(2, not_pd, half, NULL, w, &detail),
               TPW_ERR_OPT_COVARIANCE_NOT_PD);
    assert_err(portfolio_risk_parity(2, with_nan, half, NULL, w, &detail),
               TPW_ERR_OPT_INPUT_INVALID);
    assert_err(portfolio_risk_parity(2, cov, (const double[2]){.5, .6}, NULL, w, &detail),
               TPW_ERR_OPT_INPUT_INVALID);
    assert_err(portfolio_risk_parity(2, cov, (const double[2]){0, 1}, NULL, w, &detail),
               TPW_ERR_OPT_INPUT_INVALID);
    assert_err(portfolio_risk_parity(0, cov, half, NULL, w, &detail), TPW_ERR_OPT_INPUT_INVALID);
    static const double corr[4] = {1, .5, .5, 1};
    static const double bad_corr[4] = {1, 1.5, 1.5, 1};
    assert_err(portfolio_hrp(2, cov, bad_corr, w, &detail), TPW_ERR_OPT_INPUT_INVALID);
    assert_err(portfolio_hrp(2, (const double[4]){0, 0, 0, 1}, corr, w, &detail),
               TPW_ERR_OPT_COVARIANCE_NOT_PD);
    assert_err(portfolio_hrp(0, cov, corr, w, &detail), TPW_ERR_OPT_INPUT_INVALID);
    /* Two assets: one bisection, inverse-variance weights 0.8 and 0.2. */
    assert_err(portfolio_hrp(2, cov, corr, w, &detail), TPW_OK);
    assert_near(w[0], 0.8, 1e-15);
    assert_near(w[1], 0.2, 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hrp_golden),
        cmocka_unit_test(test_risk_parity_lean),
        cmocka_unit_test(test_risk_parity_riskparity_rs),
        cmocka_unit_test(test_risk_parity_golden),
        cmocka_unit_test(test_inverse_vol),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
