/*
 * The reference backtest against numbers computed by hand (the steps are in the
 * comments), buy-and-hold for `never`, a rebalance at every row for daily checks with
 * threshold 0, monitoring dates at period ends (weeks across a year end, months,
 * quarters), the inner join, every refusal, and one realistic run (BTC/ETH/USDC,
 * monthly) against an independent numpy implementation.
 */
#include "portfolio_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tpwallet/portfolio.h"

#ifndef TPW_PRICES_DATA_DIR
#error "TPW_PRICES_DATA_DIR names tests/data/prices"
#endif

#define ONE_E18 PORTFOLIO_WEIGHT_ONE_E18

/* Relative closeness for doubles computed along different paths. */
static void assert_close(double actual, double expected, double tolerance)
{
    double scale = fabs(expected) > 1.0 ? fabs(expected) : 1.0;
    if (!(fabs(actual - expected) <= tolerance * scale)) {
        fail_msg("%.17g differs from %.17g by more than %g", actual, expected, tolerance);
    }
}

/* A series from "YYYY-MM-DD" dates and closes (the storage is static: tests are serial). */
#define SERIES_ROWS_MAX 8
struct test_series {
    struct portfolio_price prices[SERIES_ROWS_MAX];
    struct portfolio_series series;
};

static const struct portfolio_series *make_series(struct test_series *storage, size_t count,
                                                  const char *const dates[], const double closes[])
{
    assert_true(count <= SERIES_ROWS_MAX);
    for (size_t index = 0; index < count; index++) {
        storage->prices[index] = (struct portfolio_price){day_of(dates[index]), closes[index]};
    }
    storage->series = (struct portfolio_series){storage->prices, count, 0, 1, false};
    return &storage->series;
}

static void add_asset(struct portfolio_backtest_config *config, const char *symbol,
                      uint64_t weight_e18, const struct portfolio_series *series)
{
    struct portfolio_asset *asset = &config->assets[config->assets_count++];
    (void)snprintf(asset->symbol, sizeof(asset->symbol), "%s", symbol);
    asset->weight_e18 = weight_e18;
    asset->series = series;
}

static struct portfolio_backtest_config config_of(enum portfolio_check check, double threshold,
                                                  double cost_bps)
{
    struct portfolio_backtest_config config;
    memset(&config, 0, sizeof(config));
    config.check = check;
    config.threshold = threshold;
    config.cost_bps = cost_bps;
    config.periods_per_year = 365;
    return config;
}

static void run(const struct portfolio_backtest_config *config,
                struct portfolio_backtest_result *result)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = portfolio_backtest_run(config, result, &detail);
    if (err != TPW_OK) {
        print_error("%s\n", detail.message);
    }
    assert_err(err, TPW_OK);
}

static const char *const three_days[] = {"2020-01-01", "2020-01-02", "2020-01-03"};
static const double a_closes[] = {100.0, 150.0, 120.0};

/*
 * A and cash, 50/50, daily checks, threshold 0, cost 100 bps; A closes 100, 150, 120.
 *   day 0: value 1; 0.005 units of A (0.5), cash 0.5.
 *   day 1: A is 0.75, cash 0.5, value 1.25; weights 0.6/0.4, drift 0.1 ≥ 0: rebalance.
 *          traded |0.625 − 0.75| + |0.625 − 0.5| = 0.25; cost 1% of it = 0.0025;
 *          value 1.2475 (A 0.62375, cash 0.62375); turnover ½(0.1 + 0.1) = 0.1;
 *          cost fraction 0.0025 / 1.25 = 0.002.
 *   day 2: A is 0.62375 × 120/150 = 0.499, cash 0.62375, value 1.12275: rebalance.
 *          traded 2 × |0.561375 − 0.499| = 0.12475; cost 0.0012475; value 1.1215025;
 *          turnover 0.12475 / (2 × 1.12275) = 0.0555…; cost fraction 0.0012475 / 1.12275.
 *   returns 0.2475 and 1.1215025 / 1.2475 − 1 = −0.101; mean 0.07325; each return is
 *   0.17425 from the mean, so the sample variance is 2 × 0.17425² / 1; the downside
 *   deviation is sqrt(0.101² / 2); the drawdown 1 − 0.899 = 0.101; years 2 / 365.25.
 */
static void test_hand_computed_with_costs(void **state)
{
    (void)state;
    struct test_series a;
    struct portfolio_backtest_config config = config_of(PORTFOLIO_CHECK_DAILY, 0.0, 100.0);
    add_asset(&config, "A", ONE_E18 / 2, make_series(&a, 3, three_days, a_closes));
    add_asset(&config, "USD", ONE_E18 / 2, NULL);
    struct portfolio_backtest_result result;
    run(&config, &result);
    double years = 2.0 / 365.25;
    double deviation = sqrt(2.0 * 0.17425 * 0.17425);
    assert_int_equal(result.days_count, 3);
    assert_int_equal(result.rebalances_count, 2);
    assert_close(result.final_value, 1.1215025, 1e-14);
    assert_close(result.years, years, 1e-15);
    assert_close(result.cagr, pow(1.1215025, 1.0 / years) - 1.0, 1e-12);
    assert_close(result.volatility, deviation * sqrt(365.0), 1e-13);
    assert_close(result.sharpe, 0.07325 / deviation * sqrt(365.0), 1e-13);
    assert_close(result.sortino, 0.07325 / (0.101 / sqrt(2.0)) * sqrt(365.0), 1e-12);
    assert_close(result.max_drawdown, 0.101, 1e-14);
    assert_close(result.turnover_per_year, (0.1 + 0.12475 / (2 * 1.12275)) / years, 1e-13);
    assert_close(result.cost_per_year, (0.002 + 0.0012475 / 1.12275) / years, 1e-13);
    assert_close(result.average_weights[0], 0.5, 1e-15);
    assert_close(result.average_weights[1], 0.5, 1e-15);
}

/*
 * `never` is buy and hold: A 0.5, B 0.3, cash 0.2; A 100, 150, 120; B 50, 40, 60.
 *   value day 1: 0.5 × 1.5 + 0.3 × 0.8 + 0.2 = 1.19; day 2: 0.5 × 1.2 + 0.3 × 1.2 + 0.2 = 1.16.
 * The same portfolio with a threshold no drift reaches gives the same path.
 */
static void test_never_is_buy_and_hold(void **state)
{
    (void)state;
    static const double b_closes[] = {50.0, 40.0, 60.0};
    struct test_series a;
    struct test_series b;
    struct portfolio_backtest_config config = config_of(PORTFOLIO_CHECK_NEVER, 0.0, 50.0);
    add_asset(&config, "A", ONE_E18 / 2, make_series(&a, 3, three_days, a_closes));
    add_asset(&config, "B", ONE_E18 / 10 * 3, make_series(&b, 3, three_days, b_closes));
    add_asset(&config, "USD", ONE_E18 / 10 * 2, NULL);
    struct portfolio_backtest_result never;
    run(&config, &never);
    assert_int_equal(never.rebalances_count, 0);
    /* Exactly: the units bought on day 0 times day 2's closes, summed in asset order. */
    assert_true(never.final_value == 0.0 + 0.5 / 100.0 * 120.0 + 0.3 / 50.0 * 60.0 + 0.2 / 1.0);
    assert_close(never.final_value, 1.16, 1e-15);
    assert_close(never.max_drawdown, 1.0 - 1.16 / 1.19, 1e-15);
    assert_close(never.average_weights[0], (0.5 + 0.75 / 1.19 + 0.6 / 1.16) / 3.0, 1e-15);
    assert_true(never.turnover_per_year == 0.0 && never.cost_per_year == 0.0);
    config.check = PORTFOLIO_CHECK_DAILY;
    config.threshold = 0.5;
    struct portfolio_backtest_result threshold;
    run(&config, &threshold);
    assert_int_equal(threshold.rebalances_count, 0);
    assert_true(threshold.final_value == never.final_value);
    assert_true(threshold.volatility == never.volatility);
}

/* Daily checks with threshold 0 rebalance at every row after the first, so the closing
 * weights are always the targets. */
static void test_threshold_zero_daily_every_day(void **state)
{
    (void)state;
    static const char *const dates[] = {"2021-03-01", "2021-03-02", "2021-03-03", "2021-03-05",
                                        "2021-03-06", "2021-03-07", "2021-03-08", "2021-03-09"};
    static const double x[] = {10, 11, 10.5, 12, 12, 9, 9.5, 10};
    static const double y[] = {2, 1.9, 2.2, 2.1, 2.4, 2.5, 2.3, 2.2};
    struct test_series sx;
    struct test_series sy;
    struct portfolio_backtest_config config = config_of(PORTFOLIO_CHECK_DAILY, 0.0, 0.0);
    add_asset(&config, "X", ONE_E18 / 4, make_series(&sx, 8, dates, x));
    add_asset(&config, "Y", ONE_E18 / 4 * 3, make_series(&sy, 8, dates, y));
    struct portfolio_backtest_result result;
    run(&config, &result);
    assert_int_equal(result.rebalances_count, 7);
    assert_close(result.average_weights[0], 0.25, 1e-15);
    assert_close(result.average_weights[1], 0.75, 1e-15);
    /* Rebalanced to target every day, the value grows by the weighted return each day. */
    double value = 1.0;
    for (size_t row = 1; row < 8; row++) {
        value *= 0.25 * x[row] / x[row - 1] + 0.75 * y[row] / y[row - 1];
    }
    assert_close(result.final_value, value, 1e-14);
}

struct schedule_case {
    enum portfolio_check check;
    size_t rows_count;
    const char *dates[SERIES_ROWS_MAX];
    size_t rebalances_count; /* with threshold 0: one per monitoring date */
};

/* Monitoring dates are the last common row of each period (and the last row); the first
 * row never is: the portfolio was bought at target there. */
static const struct schedule_case schedules[] = {
    /* January's last row (01-31), February's (02-28), the last row (03-02). */
    {PORTFOLIO_CHECK_MONTHLY,
     5,
     {"2020-01-30", "2020-01-31", "2020-02-03", "2020-02-28", "2020-03-02"},
     3},
    /* 2020-12-30 .. 2021-01-03 are all ISO week 2020-W53; 01-04 and 01-05 are 2021-W01. */
    {PORTFOLIO_CHECK_WEEKLY,
     5,
     {"2020-12-30", "2020-12-31", "2021-01-03", "2021-01-04", "2021-01-05"},
     2},
    /* 2024-12-29 (Sunday) ends 2024-W52; 2024-12-30 and 2025-01-02 are 2025-W01. */
    {PORTFOLIO_CHECK_WEEKLY, 4, {"2024-12-27", "2024-12-29", "2024-12-30", "2025-01-02"}, 2},
    /* Q1's last row (03-31), Q2's (06-30), the last row (Q3). */
    {PORTFOLIO_CHECK_QUARTERLY,
     5,
     {"2020-03-30", "2020-03-31", "2020-04-01", "2020-06-30", "2020-07-01"},
     3},
    /* The first row ends 2019 but is not monitored; 2020's last row; the last row. */
    {PORTFOLIO_CHECK_ANNUAL, 4, {"2019-12-31", "2020-01-01", "2020-12-31", "2021-01-01"}, 2},
    {PORTFOLIO_CHECK_DAILY, 4, {"2020-01-01", "2020-01-02", "2020-01-05", "2020-01-06"}, 3},
    {PORTFOLIO_CHECK_NEVER, 4, {"2020-01-01", "2020-01-02", "2020-01-05", "2020-01-06"}, 0},
};

static void test_monitoring_dates(void **state)
{
    (void)state;
    static const double closes[SERIES_ROWS_MAX] = {1, 2, 3, 2, 1, 2, 3, 4};
    for (size_t index = 0; index < sizeof(schedules) / sizeof(schedules[0]); index++) {
        const struct schedule_case *c = &schedules[index];
        struct test_series series;
        struct portfolio_backtest_config config = config_of(c->check, 0.0, 0.0);
        add_asset(&config, "A", ONE_E18 / 2, make_series(&series, c->rows_count, c->dates, closes));
        add_asset(&config, "USD", ONE_E18 / 2, NULL);
        struct portfolio_backtest_result result;
        run(&config, &result);
        if (result.rebalances_count != c->rebalances_count) {
            print_error("case %zu (%s)\n", index, portfolio_check_name(c->check));
        }
        assert_int_equal(result.rebalances_count, c->rebalances_count);
    }
}

/* Only the dates in every series count: A lacks 01-05, B lacks 01-02. */
static void test_inner_join(void **state)
{
    (void)state;
    static const char *const a_dates[] = {"2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"};
    static const char *const b_dates[] = {"2020-01-01", "2020-01-03", "2020-01-04", "2020-01-05"};
    static const double a[] = {1, 100, 2, 4};
    static const double b[] = {1, 1, 1, 1};
    struct test_series sa;
    struct test_series sb;
    struct portfolio_backtest_config config = config_of(PORTFOLIO_CHECK_NEVER, 0.0, 0.0);
    add_asset(&config, "A", ONE_E18, make_series(&sa, 4, a_dates, a));
    add_asset(&config, "B", 0, make_series(&sb, 4, b_dates, b));
    struct portfolio_backtest_result result;
    run(&config, &result);
    assert_int_equal(result.days_count, 3);
    assert_int_equal(result.first_day, day_of("2020-01-01"));
    assert_int_equal(result.last_day, day_of("2020-01-04"));
    assert_close(result.final_value, 4.0, 1e-15); /* the 100 of 01-02 is not a common row */
    assert_close(result.max_drawdown, 0.0, 0.0);
}

static void expect_refusal(const struct portfolio_backtest_config *config, enum tpw_err code)
{
    struct portfolio_backtest_result result;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(portfolio_backtest_run(config, &result, &detail), code);
    assert_true(detail.message[0] != '\0');
}

static void test_refusals(void **state)
{
    (void)state;
    static const char *const later[] = {"2021-01-01", "2021-01-02", "2021-01-03"};
    struct test_series a;
    struct test_series b;
    const struct portfolio_series *sa = make_series(&a, 3, three_days, a_closes);
    const struct portfolio_series *sb = make_series(&b, 3, later, a_closes);
    struct portfolio_backtest_config config = config_of(PORTFOLIO_CHECK_DAILY, 0.0, 0.0);
    add_asset(&config, "A", ONE_E18 / 10 * 9, sa);
    expect_refusal(&config, TPW_ERR_PORTFOLIO_WEIGHTS_SUM);
    add_asset(&config, "A", ONE_E18 / 10, sa);
    expect_refusal(&config, TPW_ERR_PORTFOLIO_ASSET_DUPLICATE);
    config.assets[1].symbol[0] = 'B';
    config.assets[1].series = sb;
    expect_refusal(&config, TPW_ERR_PORTFOLIO_NO_OVERLAP);
    config.assets[1].series = sa;
    config.threshold = 1.5;
    expect_refusal(&config, TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
    config.threshold = 0.0;
    config.cost_bps = 1000.5;
    expect_refusal(&config, TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
    config.cost_bps = 0.0;
    config.periods_per_year = 0;
    expect_refusal(&config, TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
    config.periods_per_year = 252;
    struct portfolio_backtest_result result;
    run(&config, &result);
    struct portfolio_backtest_config cash = config_of(PORTFOLIO_CHECK_DAILY, 0.0, 0.0);
    add_asset(&cash, "USD", ONE_E18, NULL);
    expect_refusal(&cash, TPW_ERR_PORTFOLIO_ASSET_NO_PRICES);
    cash.assets_count = PORTFOLIO_ASSETS_MAX + 1;
    expect_refusal(&cash, TPW_ERR_PORTFOLIO_TOO_MANY_ASSETS);
}

static void test_weight_parse(void **state)
{
    (void)state;
    uint64_t weight = 0;
    assert_err(portfolio_weight_parse("0.25", 4, &weight, NULL), TPW_OK);
    assert_int_equal(weight, ONE_E18 / 4);
    assert_err(portfolio_weight_parse("1", 1, &weight, NULL), TPW_OK);
    assert_int_equal(weight, ONE_E18);
    assert_err(portfolio_weight_parse("0.000000000000000001", 20, &weight, NULL), TPW_OK);
    assert_int_equal(weight, 1);
    assert_err(portfolio_weight_parse("-0.5", 4, &weight, NULL), TPW_ERR_PORTFOLIO_WEIGHT_NEGATIVE);
    assert_err(portfolio_weight_parse("1.5", 3, &weight, NULL), TPW_ERR_PORTFOLIO_WEIGHT_INVALID);
    assert_err(portfolio_weight_parse("abc", 3, &weight, NULL), TPW_ERR_PORTFOLIO_WEIGHT_INVALID);
    assert_err(portfolio_weight_parse("", 0, &weight, NULL), TPW_ERR_PORTFOLIO_WEIGHT_INVALID);
    assert_err(portfolio_weight_parse("0.0000000000000000001", 21, &weight, NULL),
               TPW_ERR_PORTFOLIO_WEIGHT_INVALID);
}

static void load(const char *name, struct portfolio_series *series)
{
    char path[512];
    (void)snprintf(path, sizeof(path), "%s/%s", TPW_PRICES_DATA_DIR, name);
    assert_err(portfolio_series_load(path, PORTFOLIO_CLOSE_RAW, series, NULL), TPW_OK);
}

/*
 * BTC 0.5, ETH 0.3, USDC 0.2 from tests/data/prices, monthly checks, threshold 0.05,
 * 10 bps, 365 periods a year. The reference numbers are the output of
 * tests/unit/portfolio/reference_backtest.py (an independent numpy implementation of the
 * issue's text), run with Debian's python3-numpy 1.24.2 and printed with %.17g. The
 * tolerance covers the different order of floating-point sums (numpy's pairwise sums).
 */
static void test_realistic_against_numpy(void **state)
{
    (void)state;
    struct portfolio_series btc;
    struct portfolio_series eth;
    struct portfolio_series usdc;
    load("yahoo-BTC-USD-2018-2024.csv", &btc);
    load("yahoo-ETH-USD-2018-2024.csv", &eth);
    load("yahoo-USDC-USD-2018-2024.csv", &usdc);
    struct portfolio_backtest_config config = config_of(PORTFOLIO_CHECK_MONTHLY, 0.05, 10.0);
    add_asset(&config, "BTC", ONE_E18 / 2, &btc);
    add_asset(&config, "ETH", ONE_E18 / 10 * 3, &eth);
    add_asset(&config, "USDC", ONE_E18 / 10 * 2, &usdc);
    struct portfolio_backtest_result result;
    run(&config, &result);
    assert_int_equal(result.days_count, 1956);
    assert_int_equal(result.first_day, day_of("2018-10-08"));
    assert_int_equal(result.last_day, day_of("2024-02-14"));
    assert_int_equal(result.rebalances_count, 21);
    assert_close(result.final_value, 8.9369690526116177, 1e-10);
    assert_close(result.cagr, 0.50559992977018808, 1e-10);
    assert_close(result.volatility, 0.5671938131653802, 1e-10);
    assert_close(result.sharpe, 1.0090567912378632, 1e-10);
    assert_close(result.sortino, 1.4429516878393207, 1e-10);
    assert_close(result.max_drawdown, 0.65468238114922883, 1e-10);
    assert_close(result.turnover_per_year, 0.30971567793902133, 1e-10);
    assert_close(result.cost_per_year, 0.00061943135587804279, 1e-10);
    assert_close(result.average_weights[0], 0.50073277604354083, 1e-10);
    assert_close(result.average_weights[1], 0.30304650597502386, 1e-10);
    assert_close(result.average_weights[2], 0.19622071798143523, 1e-10);
    portfolio_series_deinit(&btc);
    portfolio_series_deinit(&eth);
    portfolio_series_deinit(&usdc);
}

/* ---- volatility-adjusted targets ------------------------------------------------------ */

#define VOL_ROWS 60
static struct portfolio_price vol_storage[2][VOL_ROWS];
static struct portfolio_series vol_series[2];

/* A alternates returns of ±4 %, B ±1 % on a period of four (so the two are not
 * perfectly correlated); an EWMA of r² is then a² and b² exactly from the first return. */
static void vol_market(double b_move)
{
    double a = 100.0;
    double b = 100.0;
    for (int row = 0; row < VOL_ROWS; row++) {
        int32_t day = day_of("2021-01-01") + row;
        if (row > 0) {
            a *= row % 2 == 1 ? 1.04 : 0.96;
            b *= (row / 2) % 2 == 0 ? 1.0 + b_move : 1.0 - b_move;
        }
        vol_storage[0][row] = (struct portfolio_price){day, a};
        vol_storage[1][row] = (struct portfolio_price){day, b};
    }
    for (int asset = 0; asset < 2; asset++) {
        vol_series[asset] = (struct portfolio_series){vol_storage[asset], VOL_ROWS, 0, 1, false};
    }
}

/*
 * 40/40 % in A and B, 20 % cash, rebalanced every day with no threshold and no cost, so
 * each row closes at its targets: the configured ones on rows 0..19, then (20 returns
 * in) the risky 80 % split by 1/σ: A 0.8 × 25/125 = 0.16, B 0.64. The mean weight of A
 * over the 60 rows is (20 × 0.4 + 40 × 0.16) / 60 = 0.24; of B (8 + 25.6)/60 = 0.56.
 * Risk parity with equal budgets for two assets gives the same weights whatever their
 * correlation. A risky asset that never moves has no inverse volatility: the
 * configured targets stand.
 */
static void check_vol_targets(enum portfolio_targets targets, double b_move, double expected_a,
                              double expected_b)
{
    vol_market(b_move);
    struct portfolio_backtest_config config = config_of(PORTFOLIO_CHECK_DAILY, 0.0, 0.0);
    config.targets = targets;
    add_asset(&config, "A", ONE_E18 / 5 * 2, &vol_series[0]);
    add_asset(&config, "B", ONE_E18 / 5 * 2, &vol_series[1]);
    add_asset(&config, "USD", ONE_E18 / 5, NULL);
    struct portfolio_backtest_result result;
    run(&config, &result);
    assert_close(result.average_weights[0], expected_a, 1e-10);
    assert_close(result.average_weights[1], expected_b, 1e-10);
    assert_close(result.average_weights[2], 0.2, 1e-12);
}

static void test_volatility_targets(void **state)
{
    (void)state;
    check_vol_targets(PORTFOLIO_TARGETS_FIXED, 0.01, 0.4, 0.4);
    check_vol_targets(PORTFOLIO_TARGETS_INVERSE_VOL, 0.01, 0.24, 0.56);
    check_vol_targets(PORTFOLIO_TARGETS_RISK_PARITY, 0.01, 0.24, 0.56);
    check_vol_targets(PORTFOLIO_TARGETS_INVERSE_VOL, 0.0, 0.4, 0.4); /* B never moves */
    check_vol_targets(PORTFOLIO_TARGETS_RISK_PARITY, 0.0, 0.4, 0.4);
}

static void test_volatility_targets_refused(void **state)
{
    (void)state;
    vol_market(0.01);
    struct portfolio_backtest_config config = config_of(PORTFOLIO_CHECK_DAILY, 0.0, 0.0);
    add_asset(&config, "A", ONE_E18, &vol_series[0]);
    struct portfolio_backtest_result result;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    config.targets = (enum portfolio_targets)7;
    assert_err(portfolio_backtest_run(&config, &result, &detail),
               TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
    config.targets = PORTFOLIO_TARGETS_INVERSE_VOL;
    config.ewma_lambda = 1.0;
    assert_err(portfolio_backtest_run(&config, &result, &detail),
               TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
    enum portfolio_targets parsed = PORTFOLIO_TARGETS_FIXED;
    assert_err(portfolio_targets_parse("risk_parity", &parsed, &detail), TPW_OK);
    assert_int_equal(parsed, PORTFOLIO_TARGETS_RISK_PARITY);
    assert_err(portfolio_targets_parse("hrp", &parsed, &detail),
               TPW_ERR_PORTFOLIO_PARAMETER_INVALID);
    assert_string_equal(portfolio_targets_name(PORTFOLIO_TARGETS_INVERSE_VOL), "inverse_vol");
    assert_string_equal(portfolio_targets_name((enum portfolio_targets)9), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed_with_costs),
        cmocka_unit_test(test_never_is_buy_and_hold),
        cmocka_unit_test(test_threshold_zero_daily_every_day),
        cmocka_unit_test(test_monitoring_dates),
        cmocka_unit_test(test_inner_join),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_weight_parse),
        cmocka_unit_test(test_realistic_against_numpy),
        cmocka_unit_test(test_volatility_targets),
        cmocka_unit_test(test_volatility_targets_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
