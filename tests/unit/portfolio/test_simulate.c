/*
 * The Monte Carlo simulator (simulate.h): the closed-form diversification return of a
 * rebalanced portfolio and the moments of GBM reproduced within their confidence
 * intervals; the same report for 1, 2 and 3 threads; fat tails under the t model; the
 * bootstrap, the stress scenarios and the cost model on paths with no randomness, by
 * hand; the estimator on a small history; and every refusal.
 */
#include "portfolio_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tpwallet/simulate.h"

#define ONE_E18 PORTFOLIO_WEIGHT_ONE_E18

static void assert_near(double actual, double expected, double tolerance)
{
    if (!(fabs(actual - expected) <= tolerance)) {
        fail_msg("%.17g differs from %.17g by more than %g", actual, expected, tolerance);
    }
}

/* A market of n assets with these annual volatilities and one correlation for all
 * pairs; drifts as given. */
static struct portfolio_sim_market market_of(size_t n, const double vols[], double correlation,
                                             const double drifts[])
{
    struct portfolio_sim_market market;
    memset(&market, 0, sizeof(market));
    market.assets_count = n;
    for (size_t i = 0; i < n; i++) {
        market.drift_per_year[i] = drifts[i];
        for (size_t j = 0; j < n; j++) {
            double rho = i == j ? 1.0 : correlation;
            market.covariance_per_year[i * n + j] = rho * vols[i] * vols[j];
        }
    }
    return market;
}

static struct portfolio_sim_config config_of(struct portfolio_sim_market market,
                                             const uint64_t weights[], uint64_t paths,
                                             unsigned steps)
{
    struct portfolio_sim_config config;
    memset(&config, 0, sizeof(config));
    config.model = PORTFOLIO_SIM_GBM;
    config.market = market;
    memcpy(config.weight_e18, weights, market.assets_count * sizeof(uint64_t));
    config.check = PORTFOLIO_CHECK_DAILY;
    config.paths = paths;
    config.steps = steps;
    config.steps_per_year = 252;
    config.seed = 42;
    config.threads = 2;
    return config;
}

static struct portfolio_sim_report run_ok(const struct portfolio_sim_config *config,
                                          bool keep_paths)
{
    struct portfolio_sim_report report;
    struct tpw_error_detail detail = {0};
    enum tpw_err err = portfolio_sim_run(config, keep_paths, &report, &detail);
    if (err != TPW_OK) {
        fail_msg("portfolio_sim_run: %s: %s", tpw_err_name(err), detail.message);
    }
    return report;
}

static const struct portfolio_sim_summary *metric(const struct portfolio_sim_report *report,
                                                  enum portfolio_sim_metric which)
{
    return &report->metrics[which];
}

/* ---- against closed forms -------------------------------------------------------------- */

/*
 * Three assets rebalanced daily: the mean over paths of (ln V − Σ wᵢ ln Sᵢ)/T estimates
 * the diversification return ½(Σ wᵢσᵢ² − wᵀΣw) = 0.016812 here. The estimator has a
 * small spread (the assets' noise cancels: one standard error is about 6e-6), so the
 * test allows, besides 4 standard errors, 2e-5 for daily instead of continuous
 * rebalancing, a bias of order σ⁴Δt per year.
 */
static void test_diversification_return(void **state)
{
    (void)state;
    const double vols[] = {0.15, 0.25, 0.35};
    const double drifts[] = {0.05, 0.07, 0.09};
    const uint64_t weights[] = {ONE_E18 / 2, ONE_E18 / 4, ONE_E18 / 4};
    struct portfolio_sim_config config =
        config_of(market_of(3, vols, 0.2, drifts), weights, 4000, 252 * 10);
    double closed = portfolio_sim_diversification_return(&config.market, weights);
    assert_near(closed,
                0.5 * (0.5 * 0.0225 + 0.25 * 0.0625 + 0.25 * 0.1225) -
                    0.5 * (0.25 * 0.0225 + 0.0625 * 0.0625 + 0.0625 * 0.1225 +
                           2 * 0.2 *
                               (0.5 * 0.25 * 0.15 * 0.25 + 0.5 * 0.25 * 0.15 * 0.35 +
                                0.25 * 0.25 * 0.25 * 0.35)),
                1e-15);
    struct portfolio_sim_report report = run_ok(&config, false);
    const struct portfolio_sim_summary *bonus = metric(&report, PORTFOLIO_SIM_REBALANCING_RETURN);
    print_message("diversification return: closed form %.6f, simulated %.6f ± %.6f\n", closed,
                  bonus->mean, bonus->std_error);
    assert_true(bonus->std_error > 0.0 && bonus->std_error < 2e-4);
    assert_near(bonus->mean, closed, 4.0 * bonus->std_error + 2e-5);
    assert_near(metric(&report, PORTFOLIO_SIM_REBALANCES)->mean, 252.0 * 10, 0.0);
}

/* One asset held: E[V_T] = e^{μT}, E[ln V_T] = (μ − σ²/2)T, volatility σ. */
static void test_gbm_moments(void **state)
{
    (void)state;
    const double vols[] = {0.3};
    const double drifts[] = {0.08};
    const uint64_t weights[] = {ONE_E18};
    struct portfolio_sim_config config =
        config_of(market_of(1, vols, 0.0, drifts), weights, 20000, 252);
    config.check = PORTFOLIO_CHECK_NEVER;
    struct portfolio_sim_report report = run_ok(&config, true);
    const struct portfolio_sim_summary *final = metric(&report, PORTFOLIO_SIM_FINAL_VALUE);
    assert_near(final->mean, exp(0.08), 4.0 * final->std_error);
    double log_sum = 0.0;
    for (uint64_t path = 0; path < report.paths; path++) {
        log_sum += log(report.values[PORTFOLIO_SIM_FINAL_VALUE * report.paths + path]);
    }
    double log_mean = log_sum / (double)report.paths;
    assert_near(log_mean, 0.08 - 0.045, 4.0 * 0.3 / sqrt((double)report.paths));
    /* The median of a lognormal is e^{E ln}. */
    assert_near(final->percentiles[3], exp(0.08 - 0.045), 0.01);
    assert_near(metric(&report, PORTFOLIO_SIM_VOLATILITY)->mean, 0.3, 0.003);
    assert_near(metric(&report, PORTFOLIO_SIM_REBALANCES)->mean, 0.0, 0.0);
    assert_near(metric(&report, PORTFOLIO_SIM_REBALANCING_RETURN)->percentiles[6], 0.0, 1e-12);
    portfolio_sim_report_deinit(&report);
}

/* ---- determinism ------------------------------------------------------------------------ */

static void run_with_threads(struct portfolio_sim_config *config, unsigned threads,
                             struct portfolio_sim_report *out)
{
    config->threads = threads;
    *out = run_ok(config, true);
}

static void test_threads_identical(void **state)
{
    (void)state;
    const double vols[] = {0.6, 0.2, 0.0};
    const double drifts[] = {0.2, 0.05, 0.0};
    const uint64_t weights[] = {ONE_E18 * 2 / 10, ONE_E18 * 3 / 10, ONE_E18 / 2};
    struct portfolio_sim_config config =
        config_of(market_of(3, vols, 0.0, drifts), weights, 1000, 300);
    config.model = PORTFOLIO_SIM_STUDENT_T;
    config.market.dof = 4.0;
    config.check = PORTFOLIO_CHECK_MONTHLY;
    config.threshold = 0.05;
    config.costs = (struct portfolio_sim_costs){.fee_bps = 10, .spread_bps = 5, .depth = 20};
    struct portfolio_sim_report one;
    struct portfolio_sim_report two;
    struct portfolio_sim_report three;
    run_with_threads(&config, 1, &one);
    run_with_threads(&config, 2, &two);
    run_with_threads(&config, 3, &three);
    size_t bytes = (size_t)one.paths * PORTFOLIO_SIM_METRICS_COUNT * sizeof(double);
    assert_memory_equal(one.values, two.values, bytes);
    assert_memory_equal(one.values, three.values, bytes);
    assert_memory_equal(one.metrics, two.metrics, sizeof(one.metrics));
    assert_memory_equal(one.metrics, three.metrics, sizeof(one.metrics));
    /* Another seed, other paths. */
    config.seed = 43;
    struct portfolio_sim_report other;
    run_with_threads(&config, 2, &other);
    assert_true(memcmp(one.values, other.values, bytes) != 0);
    portfolio_sim_report_deinit(&one);
    portfolio_sim_report_deinit(&two);
    portfolio_sim_report_deinit(&three);
    portfolio_sim_report_deinit(&other);
}

/* GBM runs 16 paths side by side (sim_lanes.c): the groups, the lanes past the last path
 * and the thread count change no path's numbers; a scenario and the costs' drought go
 * through the lanes too. 1003 paths: the last group is partial. */
static void test_gbm_lanes_deterministic(void **state)
{
    (void)state;
    const double vols[] = {0.6, 0.2, 0.0};
    const double drifts[] = {0.2, 0.05, 0.0};
    const uint64_t weights[] = {ONE_E18 * 2 / 10, ONE_E18 * 3 / 10, ONE_E18 / 2};
    struct portfolio_sim_config config =
        config_of(market_of(3, vols, 0.3, drifts), weights, 1003, 300);
    config.check = PORTFOLIO_CHECK_WEEKLY;
    config.threshold = 0.02;
    config.costs = (struct portfolio_sim_costs){.fee_bps = 10, .spread_bps = 5, .depth = 20};
    config.scenario = (struct portfolio_sim_scenario){.kind = PORTFOLIO_SIM_SCENARIO_DROUGHT,
                                                      .start_step = 50,
                                                      .length_steps = 100,
                                                      .cost_factor = 10.0};
    struct portfolio_sim_report one;
    struct portfolio_sim_report two;
    run_with_threads(&config, 1, &one);
    run_with_threads(&config, 2, &two);
    size_t bytes = (size_t)one.paths * PORTFOLIO_SIM_METRICS_COUNT * sizeof(double);
    assert_memory_equal(one.values, two.values, bytes);
    assert_memory_equal(one.metrics, two.metrics, sizeof(one.metrics));
    assert_true(metric(&one, PORTFOLIO_SIM_REBALANCES)->mean > 1.0);
    /* The first 21 paths of a 21-path run are those of the 1003-path run. */
    config.paths = 21;
    struct portfolio_sim_report few;
    run_with_threads(&config, 2, &few);
    for (size_t which = 0; which < PORTFOLIO_SIM_METRICS_COUNT; which++) {
        assert_memory_equal(&few.values[which * few.paths], &one.values[which * one.paths],
                            (size_t)few.paths * sizeof(double));
    }
    portfolio_sim_report_deinit(&one);
    portfolio_sim_report_deinit(&two);
    portfolio_sim_report_deinit(&few);
}

static int compare_doubles(const void *left, const void *right)
{
    double a = *(const double *)left;
    double b = *(const double *)right;
    return (a > b) - (a < b);
}

/* The report's percentiles (a radix sort of the values' bits) are those of a qsort, to
 * the bit, for metrics of both signs (CAGR) and with ties
 * (the rebalance counts). */
static void test_percentiles_are_order_statistics(void **state)
{
    (void)state;
    const double vols[] = {0.4, 0.3};
    const double drifts[] = {0.0, 0.1};
    const uint64_t weights[] = {ONE_E18 / 2, ONE_E18 / 2};
    struct portfolio_sim_config config =
        config_of(market_of(2, vols, -0.2, drifts), weights, 777, 100);
    config.check = PORTFOLIO_CHECK_WEEKLY;
    config.threshold = 0.05;
    struct portfolio_sim_report report = run_ok(&config, true);
    double *sorted = malloc((size_t)report.paths * sizeof(double));
    assert_non_null(sorted);
    for (size_t which = 0; which < PORTFOLIO_SIM_METRICS_COUNT; which++) {
        memcpy(sorted, &report.values[which * report.paths], (size_t)report.paths * 8);
        qsort(sorted, (size_t)report.paths, sizeof(double), compare_doubles);
        for (size_t index = 0; index < PORTFOLIO_SIM_PERCENTILES_COUNT; index++) {
            double h = (double)(report.paths - 1) * portfolio_sim_percentiles[index];
            uint64_t low = (uint64_t)h;
            double expected = sorted[low] + (h - (double)low) * (sorted[low + 1] - sorted[low]);
            assert_memory_equal(&report.metrics[which].percentiles[index], &expected, 8);
        }
        if (which == PORTFOLIO_SIM_CAGR) {
            assert_true(sorted[0] < 0.0 && sorted[report.paths - 1] > 0.0); /* both signs */
        }
    }
    free(sorted);
    portfolio_sim_report_deinit(&report);
}

/* ---- models ------------------------------------------------------------------------------ */

/* t with 5 degrees of freedom: the same variance as GBM, excess kurtosis 6/(ν − 4) = 6
 * per step; one-step paths make each final value one step's gross return. */
static void test_student_t_tails(void **state)
{
    (void)state;
    const double vols[] = {0.5};
    const double drifts[] = {0.0};
    const uint64_t weights[] = {ONE_E18};
    struct portfolio_sim_config config =
        config_of(market_of(1, vols, 0.0, drifts), weights, 200000, 1);
    config.model = PORTFOLIO_SIM_STUDENT_T;
    config.market.dof = 5.0;
    config.check = PORTFOLIO_CHECK_NEVER;
    struct portfolio_sim_report report = run_ok(&config, true);
    double sum = 0.0;
    double squares = 0.0;
    double fourth = 0.0;
    for (uint64_t path = 0; path < report.paths; path++) {
        double r = log(report.values[PORTFOLIO_SIM_FINAL_VALUE * report.paths + path]);
        sum += r;
        squares += r * r;
    }
    double n = (double)report.paths;
    double mean = sum / n;
    double variance = squares / n - mean * mean;
    for (uint64_t path = 0; path < report.paths; path++) {
        double r = log(report.values[PORTFOLIO_SIM_FINAL_VALUE * report.paths + path]) - mean;
        fourth += r * r * r * r;
    }
    double kurtosis = fourth / n / (variance * variance);
    assert_near(variance, 0.25 / 252.0, 0.03 * 0.25 / 252.0);
    assert_true(kurtosis > 6.0); /* normal: 3; t(5): 9 (a noisy estimate, so only "fat") */
    portfolio_sim_report_deinit(&report);
}

/* A history whose rows are all alike: every bootstrap path is the same, by hand. */
static void test_bootstrap(void **state)
{
    (void)state;
    double history[6 * 2];
    for (size_t row = 0; row < 6; row++) {
        history[row * 2] = 0.01;
        history[row * 2 + 1] = -0.01;
    }
    struct portfolio_sim_config config;
    const uint64_t weights[] = {ONE_E18 / 2, ONE_E18 / 2};
    const double zero[] = {0.0, 0.0};
    config = config_of(market_of(2, zero, 0.0, zero), weights, 10, 20);
    config.model = PORTFOLIO_SIM_BOOTSTRAP;
    config.market.history = history;
    config.market.history_rows = 6;
    config.market.block_steps = 4;
    config.check = PORTFOLIO_CHECK_NEVER;
    struct portfolio_sim_report report = run_ok(&config, false);
    double expected = 0.5 * exp(0.2) + 0.5 * exp(-0.2);
    assert_near(metric(&report, PORTFOLIO_SIM_FINAL_VALUE)->percentiles[0], expected, 1e-12);
    assert_near(metric(&report, PORTFOLIO_SIM_FINAL_VALUE)->percentiles[6], expected, 1e-12);
}

/* ---- scenarios and costs, on paths without randomness ---------------------------------- */

static struct portfolio_sim_config still_config(void)
{
    const double zero[] = {0.0, 0.0};
    const uint64_t weights[] = {ONE_E18 / 2, ONE_E18 / 2};
    struct portfolio_sim_config config = config_of(market_of(2, zero, 0.0, zero), weights, 3, 30);
    config.check = PORTFOLIO_CHECK_NEVER;
    return config;
}

static double final_of(const struct portfolio_sim_config *config)
{
    struct portfolio_sim_report report = run_ok(config, false);
    assert_near(report.metrics[PORTFOLIO_SIM_FINAL_VALUE].std_dev, 0.0, 1e-15);
    return report.metrics[PORTFOLIO_SIM_FINAL_VALUE].mean;
}

static void test_crash_and_rally(void **state)
{
    (void)state;
    struct portfolio_sim_config config = still_config();
    config.scenario = (struct portfolio_sim_scenario){.kind = PORTFOLIO_SIM_SCENARIO_CRASH,
                                                      .start_step = 10,
                                                      .length_steps = 5,
                                                      .shock = -0.5,
                                                      .shocked_mask = 1u};
    assert_near(final_of(&config), 0.5 * 0.5 + 0.5, 1e-12); /* held: half of it halves */
    struct portfolio_sim_report report = run_ok(&config, false);
    assert_near(report.metrics[PORTFOLIO_SIM_MAX_DRAWDOWN].mean, 0.25, 1e-12);
    config.scenario.kind = PORTFOLIO_SIM_SCENARIO_RALLY;
    config.scenario.shock = 1.0;
    config.scenario.length_steps = 21;
    assert_near(final_of(&config), 0.5 * 2.0 + 0.5, 1e-12);
}

/*
 * The crash with a rebalance at every step and costs: after the first crash step the
 * weights are 0.5·g/(0.5·g + 0.5) and 0.5/(…) with g = 0.5^(1/5); trading back costs
 * (fee + spread/2)·Σ|Δw| + Σ Δw²/(2·depth) of the value.
 */
static void test_costs(void **state)
{
    (void)state;
    struct portfolio_sim_config config = still_config();
    config.check = PORTFOLIO_CHECK_DAILY;
    config.costs = (struct portfolio_sim_costs){.fee_bps = 10, .spread_bps = 20, .depth = 2};
    config.scenario = (struct portfolio_sim_scenario){.kind = PORTFOLIO_SIM_SCENARIO_CRASH,
                                                      .start_step = 1,
                                                      .length_steps = 5,
                                                      .shock = -0.5,
                                                      .shocked_mask = 1u};
    double g = pow(0.5, 0.2);
    double value = 1.0;
    for (int step = 0; step < 5; step++) {
        double grown = 0.5 * g + 0.5;
        double w0 = 0.5 * g / grown;
        double delta = 0.5 - w0; /* the same in both assets, opposite signs */
        double cost = 2.0 * delta * (10.0 + 10.0) / 10000.0 + 2.0 * delta * delta * 0.25;
        value *= grown * (1.0 - cost);
    }
    assert_near(final_of(&config), value, 1e-12);
    struct portfolio_sim_report report = run_ok(&config, false);
    assert_near(report.metrics[PORTFOLIO_SIM_REBALANCES].mean, 30.0, 0.0);
    /* A drought over the same window: spreads × 10, depth ÷ 10. */
    config.scenario.kind = PORTFOLIO_SIM_SCENARIO_DROUGHT;
    config.scenario.cost_factor = 10.0;
    assert_near(final_of(&config), 1.0, 0.0); /* nothing moves, nothing is traded */
}

static void test_replay(void **state)
{
    (void)state;
    struct portfolio_sim_config config = still_config();
    const double closes[] = {1.0, 0.97, 0.88, 0.99, 1.0};
    config.scenario = (struct portfolio_sim_scenario){.kind = PORTFOLIO_SIM_SCENARIO_REPLAY,
                                                      .start_step = 3,
                                                      .length_steps = 4,
                                                      .replay_asset = 1,
                                                      .replay_closes = closes};
    assert_near(final_of(&config), 1.0, 1e-12);
    struct portfolio_sim_report report = run_ok(&config, false);
    assert_near(report.metrics[PORTFOLIO_SIM_MAX_DRAWDOWN].mean, 0.5 * 0.12, 1e-12);
}

/* ---- the estimator ---------------------------------------------------------------------- */

static void test_estimate(void **state)
{
    (void)state;
    struct portfolio_price a_prices[4] = {{day_of("2024-01-01"), 100},
                                          {day_of("2024-01-02"), 110},
                                          {day_of("2024-01-03"), 99},
                                          {day_of("2024-01-05"), 120}};
    struct portfolio_price b_prices[3] = {
        {day_of("2024-01-01"), 10}, {day_of("2024-01-02"), 10.5}, {day_of("2024-01-03"), 10}};
    struct portfolio_series a = {a_prices, 4, 0, 1, false};
    struct portfolio_series b = {b_prices, 3, 0, 1, false};
    const struct portfolio_series *series[] = {&a, &b, NULL};
    struct portfolio_sim_market market;
    double *history = NULL;
    struct tpw_error_detail detail = {0};
    assert_err(portfolio_sim_market_estimate(series, 3, 365, &market, &history, &detail), TPW_OK);
    assert_int_equal(market.history_rows, 2); /* 3 common dates */
    double ra[] = {log(1.1), log(0.9)};
    double rb[] = {log(1.05), log(10.0 / 10.5)};
    assert_near(history[0], ra[0], 1e-15);
    assert_near(history[4], rb[1], 1e-15); /* row 1, asset 1 */
    assert_near(history[2], 0.0, 0.0);     /* cash */
    double ma = (ra[0] + ra[1]) / 2;
    double mb = (rb[0] + rb[1]) / 2;
    double cov_ab = ((ra[0] - ma) * (rb[0] - mb) + (ra[1] - ma) * (rb[1] - mb)) * 365.0;
    double var_a = ((ra[0] - ma) * (ra[0] - ma) + (ra[1] - ma) * (ra[1] - ma)) * 365.0;
    assert_near(market.covariance_per_year[1], cov_ab, 1e-12);
    assert_near(market.covariance_per_year[3], cov_ab, 1e-12);
    assert_near(market.drift_per_year[0], ma * 365.0 + 0.5 * var_a, 1e-12);
    assert_near(market.drift_per_year[2], 0.0, 0.0);
    free(history);
    /* Two common dates are not enough for a covariance. */
    struct portfolio_series short_b = {b_prices, 2, 0, 1, false};
    const struct portfolio_series *few[] = {&a, &short_b};
    assert_err(portfolio_sim_market_estimate(few, 2, 365, &market, &history, &detail),
               TPW_ERR_PORTFOLIO_NO_OVERLAP);
    assert_null(history);
    assert_err(portfolio_sim_market_estimate(few, 0, 365, &market, &history, &detail),
               TPW_ERR_PORTFOLIO_TOO_MANY_ASSETS);
    assert_err(portfolio_sim_market_estimate(few, 2, 0, &market, &history, &detail),
               TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
}

/* ---- refusals ----------------------------------------------------------------------------- */

static void assert_refused(const struct portfolio_sim_config *config, enum tpw_err expected)
{
    struct portfolio_sim_report report;
    struct tpw_error_detail detail = {0};
    assert_err(portfolio_sim_run(config, true, &report, &detail), expected);
    assert_null(report.values);
    assert_true(detail.message[0] != '\0');
}

static void test_refusals(void **state)
{
    (void)state;
    struct portfolio_sim_config good = still_config();
    struct portfolio_sim_config bad = good;
    bad.weight_e18[0] = ONE_E18 / 3;
    assert_refused(&bad, TPW_ERR_PORTFOLIO_WEIGHTS_SUM);
    bad = good;
    bad.weight_e18[0] = ONE_E18 + 1;
    assert_refused(&bad, TPW_ERR_PORTFOLIO_WEIGHT_INVALID);
    bad = good;
    bad.market.assets_count = PORTFOLIO_ASSETS_MAX + 1;
    assert_refused(&bad, TPW_ERR_PORTFOLIO_TOO_MANY_ASSETS);
}

static void spoil_and_refuse(void (*spoil)(struct portfolio_sim_config *config))
{
    struct portfolio_sim_config config = still_config();
    spoil(&config);
    assert_refused(&config, TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
}

static void no_paths(struct portfolio_sim_config *c)
{
    c->paths = 0;
}
static void many_paths(struct portfolio_sim_config *c)
{
    c->paths = PORTFOLIO_SIM_PATHS_MAX + 1;
}
static void no_steps(struct portfolio_sim_config *c)
{
    c->steps = 0;
}
static void no_threads(struct portfolio_sim_config *c)
{
    c->threads = 0;
}
static void many_threads(struct portfolio_sim_config *c)
{
    c->threads = 65;
}
static void zero_year(struct portfolio_sim_config *c)
{
    c->steps_per_year = 0;
}
static void threshold_high(struct portfolio_sim_config *c)
{
    c->threshold = 1.5;
}
static void threshold_nan(struct portfolio_sim_config *c)
{
    c->threshold = NAN;
}
static void fee_high(struct portfolio_sim_config *c)
{
    c->costs.fee_bps = 1001;
}
static void spread_negative(struct portfolio_sim_config *c)
{
    c->costs.spread_bps = -1;
}
static void depth_tiny(struct portfolio_sim_config *c)
{
    c->costs.depth = 0.001;
}
static void not_psd(struct portfolio_sim_config *c)
{
    c->market.covariance_per_year[0] = 0.04;
    c->market.covariance_per_year[3] = 0.04;
    c->market.covariance_per_year[1] = 0.05; /* correlation 1.25 */
    c->market.covariance_per_year[2] = 0.05;
}
static void asymmetric(struct portfolio_sim_config *c)
{
    c->market.covariance_per_year[0] = 0.04;
    c->market.covariance_per_year[3] = 0.04;
    c->market.covariance_per_year[1] = 0.01;
}
static void drift_nan(struct portfolio_sim_config *c)
{
    c->market.drift_per_year[1] = NAN;
}
static void t_dof(struct portfolio_sim_config *c)
{
    c->model = PORTFOLIO_SIM_STUDENT_T;
    c->market.dof = 2.0;
}
static void boot_none(struct portfolio_sim_config *c)
{
    c->model = PORTFOLIO_SIM_BOOTSTRAP;
}
static void boot_block(struct portfolio_sim_config *c)
{
    static const double history[4] = {0};
    c->model = PORTFOLIO_SIM_BOOTSTRAP;
    c->market.history = history;
    c->market.history_rows = 2;
    c->market.block_steps = 3;
}
static void boot_nan(struct portfolio_sim_config *c)
{
    static const double history[4] = {0, 0, NAN, 0};
    c->model = PORTFOLIO_SIM_BOOTSTRAP;
    c->market.history = history;
    c->market.history_rows = 2;
    c->market.block_steps = 1;
}
static void model_unknown(struct portfolio_sim_config *c)
{
    c->model = (enum portfolio_sim_model)9;
}
static void crash_late(struct portfolio_sim_config *c)
{
    c->scenario = (struct portfolio_sim_scenario){.kind = PORTFOLIO_SIM_SCENARIO_CRASH,
                                                  .start_step = 28,
                                                  .length_steps = 5,
                                                  .shock = -0.5,
                                                  .shocked_mask = 1};
}
static void crash_up(struct portfolio_sim_config *c)
{
    crash_late(c);
    c->scenario.start_step = 1;
    c->scenario.shock = 0.5;
}
static void crash_unknown_asset(struct portfolio_sim_config *c)
{
    crash_late(c);
    c->scenario.start_step = 1;
    c->scenario.shocked_mask = 4; /* asset 2 of 2 */
}
static void rally_down(struct portfolio_sim_config *c)
{
    crash_late(c);
    c->scenario.kind = PORTFOLIO_SIM_SCENARIO_RALLY;
    c->scenario.start_step = 1;
}
static void drought_factor(struct portfolio_sim_config *c)
{
    c->scenario = (struct portfolio_sim_scenario){.kind = PORTFOLIO_SIM_SCENARIO_DROUGHT,
                                                  .start_step = 1,
                                                  .length_steps = 5,
                                                  .cost_factor = 0.5};
}
static void replay_bad_close(struct portfolio_sim_config *c)
{
    static const double closes[] = {1.0, 0.0, 1.0};
    c->scenario = (struct portfolio_sim_scenario){.kind = PORTFOLIO_SIM_SCENARIO_REPLAY,
                                                  .start_step = 1,
                                                  .length_steps = 2,
                                                  .replay_asset = 1,
                                                  .replay_closes = closes};
}
static void replay_no_asset(struct portfolio_sim_config *c)
{
    replay_bad_close(c);
    c->scenario.replay_asset = 2;
}

static void test_parameter_refusals(void **state)
{
    (void)state;
    void (*spoils[])(struct portfolio_sim_config *) = {
        no_paths,
        many_paths,
        no_steps,
        no_threads,
        many_threads,
        zero_year,
        threshold_high,
        threshold_nan,
        fee_high,
        spread_negative,
        depth_tiny,
        not_psd,
        asymmetric,
        drift_nan,
        t_dof,
        boot_none,
        boot_block,
        boot_nan,
        model_unknown,
        crash_late,
        crash_up,
        crash_unknown_asset,
        rally_down,
        drought_factor,
        replay_bad_close,
        replay_no_asset,
    };
    for (size_t index = 0; index < sizeof(spoils) / sizeof(spoils[0]); index++) {
        print_message("refusal case %zu\n", index);
        spoil_and_refuse(spoils[index]);
    }
    struct portfolio_sim_config unknown = still_config();
    unknown.check = (enum portfolio_check)42;
    assert_refused(&unknown, TPW_ERR_PORTFOLIO_CHECK_UNKNOWN);
}

static void test_names(void **state)
{
    (void)state;
    enum portfolio_sim_model model = PORTFOLIO_SIM_GBM;
    struct tpw_error_detail detail = {0};
    assert_err(portfolio_sim_model_parse("bootstrap", &model, &detail), TPW_OK);
    assert_int_equal(model, PORTFOLIO_SIM_BOOTSTRAP);
    assert_string_equal(portfolio_sim_model_name(PORTFOLIO_SIM_STUDENT_T), "t");
    assert_err(portfolio_sim_model_parse("garch", &model, &detail),
               TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
    assert_string_equal(portfolio_sim_model_name((enum portfolio_sim_model)7), "unknown");
    assert_string_equal(portfolio_sim_metric_name(PORTFOLIO_SIM_REBALANCING_RETURN),
                        "rebalancing_return");
    assert_string_equal(portfolio_sim_metric_name(PORTFOLIO_SIM_METRICS_COUNT), "unknown");
}

/* The embedded depegs: USDC's 13 closes with the 0.9715 of 2023-03-11, UST's collapse;
 * another name is refused. */
static void test_depeg_load(void **state)
{
    (void)state;
    struct portfolio_series series;
    struct tpw_error_detail detail = {0};
    assert_err(portfolio_sim_depeg_load("usdc-2023-03", &series, &detail), TPW_OK);
    assert_int_equal(series.prices_count, 13);
    assert_int_equal(series.prices[3].day, day_of("2023-03-11"));
    assert_near(series.prices[3].close, 0.9715, 1e-12);
    portfolio_series_deinit(&series);
    assert_err(portfolio_sim_depeg_load("ust-2022-05", &series, &detail), TPW_OK);
    assert_int_equal(series.prices_count, 27);
    assert_true(series.prices[26].close < 0.03);
    portfolio_series_deinit(&series);
    assert_err(portfolio_sim_depeg_load("luna", &series, &detail),
               TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
    assert_int_equal(series.prices_count, 0);
}

/*
 * The largest markets accepted stay finite: 8 assets with a variance of 1 per step (one
 * step a year), correlated 0.5, over 20 steps, under GBM and under a t with 2.05
 * degrees of freedom (huge scales, capped). A variance of 100 per step, or of more than
 * 100 over the path, is refused: such paths leave the doubles.
 */
static void test_extreme_draws_stay_finite(void **state)
{
    (void)state;
    const double vols[] = {1, 1, 1, 1, 1, 1, 1, 1};
    const double drifts[8] = {0};
    uint64_t weights[8];
    for (size_t asset = 0; asset < 8; asset++) {
        weights[asset] = ONE_E18 / 8;
    }
    struct portfolio_sim_config config =
        config_of(market_of(8, vols, 0.5, drifts), weights, 2000, 20);
    config.steps_per_year = 1;
    config.check = PORTFOLIO_CHECK_ANNUAL;
    for (int model = 0; model < 2; model++) {
        config.model = model == 0 ? PORTFOLIO_SIM_GBM : PORTFOLIO_SIM_STUDENT_T;
        config.market.dof = 2.05;
        struct portfolio_sim_report report = run_ok(&config, true);
        for (size_t cell = 0; cell < report.paths * PORTFOLIO_SIM_METRICS_COUNT; cell++) {
            assert_true(isfinite(report.values[cell]));
        }
        portfolio_sim_report_deinit(&report);
    }
    config.model = PORTFOLIO_SIM_GBM;
    config.steps = 101; /* variance 101 over the path */
    assert_refused(&config, TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
    const double wild[] = {10, 10, 10, 10, 10, 10, 10, 10};
    config = config_of(market_of(8, wild, 0.5, drifts), weights, 10, 1);
    config.steps_per_year = 1; /* variance 100 in one step */
    assert_refused(&config, TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
    config = config_of(market_of(8, vols, 0.5, drifts), weights, 10, 252 * 60);
    config.market.drift_per_year[0] = 3.0; /* log drift (3 − ½) × 60 = 150 over the path */
    assert_refused(&config, TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diversification_return),
        cmocka_unit_test(test_gbm_moments),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_gbm_lanes_deterministic),
        cmocka_unit_test(test_percentiles_are_order_statistics),
        cmocka_unit_test(test_student_t_tails),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_crash_and_rally),
        cmocka_unit_test(test_costs),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_estimate),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_parameter_refusals),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_depeg_load),
        cmocka_unit_test(test_extreme_draws_stay_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
