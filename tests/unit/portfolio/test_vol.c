/*
 * Volatility models: GARCH(1,1) on dem2gbp against the fGarch / Fiorentini-Calzolari-
 * Panattoni benchmark (GOLDEN.md §3.4), the optimality of the fit, EWMA against Hull's
 * Example 5.2 and by hand, the return-column reader, and every refusal.
 */
#include "opt_test.h"

#include <stdlib.h>

static double *dem2gbp;
static size_t dem2gbp_count;

static int setup(void **state)
{
    (void)state;
    struct tpw_error_detail detail;
    enum tpw_err err = portfolio_column_load(TPW_ALLOCATION_DATA_DIR "/dem2gbp.csv", &dem2gbp,
                                             &dem2gbp_count, &detail);
    return err == TPW_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(dem2gbp);
    return 0;
}

static void test_garch_dem2gbp(void **state)
{
    (void)state;
    assert_int_equal(dem2gbp_count, 1974);
    assert_near(dem2gbp[0], 0.12533286, 0.0);
    struct portfolio_garch fit;
    struct tpw_error_detail detail;
    assert_err(portfolio_garch_fit(dem2gbp, dem2gbp_count, &fit, &detail), TPW_OK);
    /* fGarch::garchFit prints μ −0.00619041, ω 0.0107613, α 0.153134, β 0.805974,
     * log L −1106.608. Ours, at a tighter optimum: −0.0061904084, 0.0107613979,
     * 0.1531340618, 0.8059736703, −1106.6078810: every digit fGarch prints except ω's
     * last (0.01076140 against 0.0107613, nlminb's stopping point). */
    assert_near(fit.mu, -0.00619041, 5e-9);
    assert_near(fit.omega, 0.0107613, 1.5e-7);
    assert_near(fit.alpha, 0.153134, 5e-7);
    assert_near(fit.beta, 0.805974, 5e-7);
    assert_near(fit.log_likelihood, -1106.608, 5e-4);
    /* GOLDEN.md's scipy QMLE with the same start-up: (−0.00619046, 0.01076136,
     * 0.15313388, 0.80597398, −1106.6079), within its optimiser's tolerance. */
    assert_near(fit.mu, -0.00619046, 1e-7);
    assert_near(fit.omega, 0.01076136, 1e-7);
    assert_near(fit.alpha, 0.15313388, 5e-7);
    assert_near(fit.beta, 0.80597398, 5e-7);
    assert_near(fit.log_likelihood, -1106.6079, 5e-5);
    /* The fit is a maximum: the reference parameters and every nearby point are lower. */
    struct portfolio_garch fgarch = {-0.00619041, 0.0107613, 0.153134, 0.805974, 0, 0, 0};
    assert_true(portfolio_garch_log_likelihood(dem2gbp, dem2gbp_count, &fgarch) <=
                fit.log_likelihood);
    for (int k = 0; k < 8; k++) {
        struct portfolio_garch near = fit;
        double step = (k % 2 == 0 ? 1e-4 : -1e-4);
        double *field[4] = {&near.mu, &near.omega, &near.alpha, &near.beta};
        *field[k / 2] += step * (k / 2 == 1 ? 0.1 : 1.0);
        assert_true(portfolio_garch_log_likelihood(dem2gbp, dem2gbp_count, &near) <
                    fit.log_likelihood);
    }
    assert_near(portfolio_garch_log_likelihood(dem2gbp, dem2gbp_count, &fit), fit.log_likelihood,
                1e-9);
    /* h_{T+1} = ω + α ε_T² + β h_T is positive and near the unconditional ω/(1−α−β). */
    assert_true(fit.variance_next > 0.0 && fit.variance_next < 1.0);
}

static void test_garch_refusals(void **state)
{
    (void)state;
    struct portfolio_garch fit;
    struct tpw_error_detail detail;
    assert_err(portfolio_garch_fit(dem2gbp, 9, &fit, &detail), TPW_ERR_OPT_TOO_FEW_RETURNS);
    double with_nan[20];
    memcpy(with_nan, dem2gbp, sizeof(with_nan));
    with_nan[7] = NAN;
    assert_err(portfolio_garch_fit(with_nan, 20, &fit, &detail), TPW_ERR_OPT_INPUT_INVALID);
    double constant[20];
    for (size_t t = 0; t < 20; t++) {
        constant[t] = 0.01;
    }
    assert_err(portfolio_garch_fit(constant, 20, &fit, &detail), TPW_ERR_OPT_INPUT_INVALID);
}

static void test_ewma(void **state)
{
    (void)state;
    /* Hull RMFI Example 5.2: λ = 0.90, σ_{n−1} = 1 %, u_{n−1} = 2 % → σ_n² = 0.00013. */
    assert_near(portfolio_ewma_variance_next(0.90, 0.0001, 0.02), 0.00013, 1e-18);
    assert_near(sqrt(portfolio_ewma_variance_next(0.90, 0.0001, 0.02)), 0.0114, 5e-5);
    /* By hand with λ = 0.94: σ² = 0.01² = 1e-4, then 0.94e-4 + 0.06 × 4e-4 = 1.18e-4,
     * then 0.94 × 1.18e-4 + 0.06 × 1e-6 = 1.1098e-4. */
    static const double returns[3] = {0.01, -0.02, 0.001};
    double variance = 0.0;
    struct tpw_error_detail detail;
    assert_err(portfolio_ewma_variance(returns, 3, PORTFOLIO_EWMA_LAMBDA_DAILY, &variance, &detail),
               TPW_OK);
    assert_near(variance, 1.1098e-4, 1e-18);
    assert_err(portfolio_ewma_variance(returns, 1, 0.94, &variance, &detail),
               TPW_ERR_OPT_TOO_FEW_RETURNS);
    assert_err(portfolio_ewma_variance(returns, 3, 1.0, &variance, &detail),
               TPW_ERR_OPT_INPUT_INVALID);
    assert_err(portfolio_ewma_variance(returns, 3, 0.0, &variance, &detail),
               TPW_ERR_OPT_INPUT_INVALID);
    static const double with_nan[3] = {0.01, NAN, 0.0};
    assert_err(portfolio_ewma_variance(with_nan, 3, 0.94, &variance, &detail),
               TPW_ERR_OPT_INPUT_INVALID);
}

static void test_column(void **state)
{
    (void)state;
    double *values = NULL;
    size_t count = 0;
    struct tpw_error_detail detail;
    static const char crlf[] = "\"r\"\r\n0.5\r\n\r\n-1e-3\r\n";
    assert_err(portfolio_column_parse(crlf, strlen(crlf), &values, &count, &detail), TPW_OK);
    assert_int_equal(count, 2);
    assert_near(values[1], -0.001, 0.0);
    free(values);
    static const char bad[] = "r\n0.5\nnan\n";
    assert_err(portfolio_column_parse(bad, strlen(bad), &values, &count, &detail),
               TPW_ERR_PRICES_NUMBER_INVALID);
    assert_non_null(strstr(detail.message, "line 3"));
    assert_err(portfolio_column_parse("r\n", 2, &values, &count, &detail), TPW_ERR_PRICES_EMPTY);
    assert_err(portfolio_column_load("/nonexistent/r.csv", &values, &count, &detail),
               TPW_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_garch_dem2gbp),
        cmocka_unit_test(test_garch_refusals),
        cmocka_unit_test(test_ewma),
        cmocka_unit_test(test_column),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
