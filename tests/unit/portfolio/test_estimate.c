/*
 * The price-table loader and the estimators: missing prices before a listing, returns
 * with all-missing rows dropped, compounded mean returns and pairwise-complete
 * covariance and correlation computed by hand on a small table, the golden file's
 * shape, and every refusal (empty data, NaN-only and non-positive columns, bad numbers).
 */
#include "opt_test.h"

static enum tpw_err parse(const char *text, struct portfolio_panel *panel)
{
    struct tpw_error_detail detail;
    return portfolio_panel_parse(text, strlen(text), panel, &detail);
}

/* A: 100, 110, 99, 99; B listed on day 2: —, 50, 55, 44. */
static const char small_table[] = "date,A,B\n"
                                  "2024-01-04,99,44\n"
                                  "2024-01-01,100,\n"
                                  "2024-01-02,110,50\n"
                                  "2024-01-03,99,55\n";

static void test_small_table(void **state)
{
    (void)state;
    struct portfolio_panel panel;
    assert_err(parse(small_table, &panel), TPW_OK);
    assert_int_equal(panel.rows_count, 4);
    assert_int_equal(panel.assets_count, 2);
    assert_string_equal(panel.symbols[1], "B");
    assert_int_equal(panel.days[0], portfolio_day_from_civil(2024, 1, 1));
    assert_true(isnan(panel.prices[1]));
    struct portfolio_returns returns;
    struct tpw_error_detail detail;
    assert_err(portfolio_returns_from_panel(&panel, &returns, &detail), TPW_OK);
    /* Three rows: A 0.1, −0.1, 0; B missing, 0.1, −0.2. */
    assert_int_equal(returns.rows_count, 3);
    assert_near(returns.values[0], 0.1, 1e-15);
    assert_true(isnan(returns.values[1]));
    static struct portfolio_estimate estimate;
    assert_err(portfolio_estimate_from_returns(&returns, 1, &estimate, &detail), TPW_OK);
    /* μ_A = (1.1 × 0.9 × 1)^(1/3) − 1; μ_B = (1.1 × 0.8)^(1/2) − 1. */
    assert_near(estimate.mean_return[0], cbrt(0.99) - 1.0, 1e-15);
    assert_near(estimate.mean_return[1], sqrt(0.88) - 1.0, 1e-15);
    /* Var A over its 3 returns (mean 0): (0.01 + 0.01 + 0) / 2. Pairwise A,B over the
     * last two rows: A −0.1, 0 (mean −0.05), B 0.1, −0.2 (mean −0.05):
     * ((−0.05)(0.15) + (0.05)(−0.15)) / 1 = −0.015. */
    assert_near(estimate.covariance[0], 0.01, 1e-15);
    assert_near(estimate.covariance[1], -0.015, 1e-15);
    assert_near(estimate.covariance[2], -0.015, 1e-15);
    assert_near(estimate.covariance[3], 0.045, 1e-15);
    double corr[4];
    assert_err(portfolio_returns_correlation(&returns, corr, &detail), TPW_OK);
    /* Over the shared rows, var A = 0.005 and var B = 0.045: −0.015 / √(0.005 × 0.045). */
    assert_near(corr[1], -1.0, 1e-12);
    assert_near(corr[0], 1.0, 0.0);
    portfolio_returns_deinit(&returns);
    portfolio_panel_deinit(&panel);
}

static void test_golden_shape(void **state)
{
    (void)state;
    struct golden_inputs *golden = test_malloc(sizeof(*golden));
    golden_load(golden);
    assert_int_equal(golden->panel.rows_count, 7126);
    assert_int_equal(golden->panel.assets_count, 20);
    assert_int_equal(golden->returns.rows_count, 7125);
    /* GOLDEN.md: the smallest eigenvalue of Σ is 0.0287, so Σ needs no fix. */
    assert_true(golden->estimate.covariance[0] > 0.0);
    golden_free(golden);
    test_free(golden);
}

static void test_refusals(void **state)
{
    (void)state;
    struct portfolio_panel panel;
    assert_err(parse("", &panel), TPW_ERR_PRICES_EMPTY);
    assert_err(parse("date,A\n", &panel), TPW_ERR_PRICES_EMPTY);
    assert_err(parse("day,A\n2024-01-01,1\n", &panel), TPW_ERR_PRICES_NO_HEADER);
    assert_err(parse("date\n2024-01-01\n", &panel), TPW_ERR_PRICES_NO_HEADER);
    assert_err(parse("date,A,B\n2024-01-01,1,\n2024-01-02,2,nan\n", &panel), TPW_ERR_PRICES_EMPTY);
    assert_err(parse("date,A\n2024-01-01,inf\n", &panel), TPW_ERR_PRICES_NUMBER_INVALID);
    assert_err(parse("date,A\n2024-01-01,-3\n", &panel), TPW_ERR_PRICES_NOT_POSITIVE);
    assert_err(parse("date,A\n2024-01-01,1,2\n", &panel), TPW_ERR_PRICES_ROW_SHORT);
    assert_err(parse("date,A\n2024-02-30,1\n", &panel), TPW_ERR_PRICES_DATE_INVALID);
    assert_err(parse("date,A\n2024-01-01,1\n2024-01-01,2\n", &panel),
               TPW_ERR_PRICES_DUPLICATE_DATE);
    struct tpw_error_detail detail;
    assert_err(portfolio_panel_load("/nonexistent/prices.csv", &panel, &detail), TPW_ERR_NOT_FOUND);
    /* One row gives no returns; two rows give one return, too few for a covariance. */
    assert_err(parse("date,A\n2024-01-01,1\n", &panel), TPW_OK);
    struct portfolio_returns returns;
    assert_err(portfolio_returns_from_panel(&panel, &returns, &detail),
               TPW_ERR_OPT_TOO_FEW_RETURNS);
    portfolio_panel_deinit(&panel);
    assert_err(parse("date,A\n2024-01-01,1\n2024-01-02,2\n", &panel), TPW_OK);
    assert_err(portfolio_returns_from_panel(&panel, &returns, &detail), TPW_OK);
    static struct portfolio_estimate estimate;
    assert_err(portfolio_estimate_from_returns(&returns, 252, &estimate, &detail),
               TPW_ERR_OPT_TOO_FEW_RETURNS);
    assert_err(portfolio_estimate_from_returns(&returns, 0, &estimate, &detail),
               TPW_ERR_OPT_INPUT_INVALID);
    double corr[1];
    assert_err(portfolio_returns_correlation(&returns, corr, &detail), TPW_ERR_OPT_TOO_FEW_RETURNS);
    portfolio_returns_deinit(&returns);
    portfolio_panel_deinit(&panel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_table),
        cmocka_unit_test(test_golden_shape),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
