/*
 * Mean-variance optimisation: the five PyPortfolioOpt golden tuples of GOLDEN.md §3.1
 * (min volatility, max Sharpe, quadratic utility, L2, L1 costs), the min-volatility
 * weights, LEAN's minimum variance with a target return (§3.3), and properties of every
 * solution: weights sum to 1 within their bounds, the KKT conditions hold, and no random
 * feasible portfolio does better. Then bounds, the turnover cap, trade rounding and every
 * refusal.
 */
#include "opt_test.h"

#include "tpwallet/prng.h"

static struct golden_inputs golden;

static int setup(void **state)
{
    (void)state;
    golden_load(&golden);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    golden_free(&golden);
    return 0;
}

static struct portfolio_mvo_config golden_config(void)
{
    struct portfolio_mvo_config config = portfolio_mvo_config_default(
        golden.estimate.assets_count, golden.estimate.mean_return, golden.estimate.covariance);
    config.risk_free_rate = 0.02;
    return config;
}

static double equal_weights[PORTFOLIO_OPT_ASSETS_MAX];

static struct portfolio_mvo_result solve(const struct portfolio_mvo_config *config)
{
    struct portfolio_mvo_result result;
    struct tpw_error_detail detail;
    enum tpw_err err = portfolio_mvo_solve(config, &result, &detail);
    if (err != TPW_OK) {
        fail_msg("%s: %s", tpw_err_name(err), detail.message);
    }
    return result;
}

/* The golden tuple (μᵀw, √(wᵀΣw), (μᵀw − 0.02)/σ); ours agree to 1e-14, GOLDEN.md's
 * oracle to 1e-10, so 1e-12 is asserted. */
static void assert_tuple(const struct portfolio_mvo_result *result, const double expected[3])
{
    assert_near(result->expected_return, expected[0], 1e-12);
    assert_near(result->volatility, expected[1], 1e-12);
    assert_near(result->sharpe, expected[2], 1e-12);
}

/* The weights are a portfolio within the bounds. */
static void assert_portfolio(const struct portfolio_mvo_config *config, const double *weights)
{
    double total = 0.0;
    for (size_t i = 0; i < config->assets_count; i++) {
        assert_true(weights[i] >= config->weight_min - 1e-15);
        assert_true(weights[i] <= config->weight_max + 1e-15);
        total += weights[i];
    }
    assert_near(total, 1.0, 1e-13);
}

/* wᵀ(scale·Σ + 2γI)w/2 − (utility) μᵀw + c Σ|w − w0|: the objective each solution
 * minimises (min volatility uses scale 2). */
static double objective(const struct portfolio_mvo_config *config, const double *w)
{
    size_t n = config->assets_count;
    bool utility = config->objective == PORTFOLIO_QUADRATIC_UTILITY;
    double scale = utility ? config->risk_aversion : 2.0;
    double value = 0.0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            value += 0.5 * scale * w[i] * config->covariance[i * n + j] * w[j];
        }
        value += config->l2_gamma * w[i] * w[i] - (utility ? config->mean_return[i] * w[i] : 0.0);
        value += config->current_weights != NULL
                     ? config->cost_l1 * fabs(w[i] - config->current_weights[i])
                     : 0.0;
    }
    return value;
}

/*
 * KKT conditions of min f(w) + c Σ|w − w0| s.t. 1ᵀw = 1, bounds, with g = ∇f and λ the
 * budget's multiplier: moving w_i up (where the bound allows) must not lower the
 * Lagrangian, g_i + c_up − λ ≥ 0, and moving it down neither, λ − g_i + c_down ≥ 0,
 * where c_up is +c at or above the kink and −c below it (c_down the mirror). So some λ
 * must lie in [max(g_i − c_down), min(g_i + c_up)]: an equality for a free weight off
 * its kink, the interval |g_i − λ| ≤ c at the kink, one side at a bound.
 */
static double kkt_gap(const struct portfolio_mvo_config *config, const double *w)
{
    size_t n = config->assets_count;
    bool utility = config->objective == PORTFOLIO_QUADRATIC_UTILITY;
    double scale = utility ? config->risk_aversion : 2.0;
    double c = config->current_weights != NULL ? config->cost_l1 : 0.0;
    double lambda_low = -INFINITY;
    double lambda_high = INFINITY;
    double size = 1.0;
    for (size_t i = 0; i < n; i++) {
        double g = 2.0 * config->l2_gamma * w[i] - (utility ? config->mean_return[i] : 0.0);
        for (size_t j = 0; j < n; j++) {
            g += scale * config->covariance[i * n + j] * w[j];
        }
        double k = c > 0.0 ? config->current_weights[i] : 0.0;
        double c_up = c > 0.0 && w[i] < k ? -c : c;
        double c_down = c > 0.0 && w[i] > k ? -c : c;
        if (w[i] < config->weight_max) {
            lambda_high = fmin(lambda_high, g + c_up);
        }
        if (w[i] > config->weight_min) {
            lambda_low = fmax(lambda_low, g - c_down);
        }
        size = fmax(size, fabs(g) + c);
    }
    return (lambda_low - lambda_high) / size;
}

static void assert_kkt(const struct portfolio_mvo_config *config, const double *w)
{
    double gap = kkt_gap(config, w);
    if (!(gap <= 1e-10)) {
        fail_msg("KKT: no multiplier fits, relative gap %.3g", gap);
    }
}

/* No random feasible long-only portfolio (Dirichlet-like: normalised products of
 * uniforms, some with assets zeroed) has a lower objective. */
static void assert_beats_random(const struct portfolio_mvo_config *config, const double *w)
{
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_portfolio_mvo", 20261202));
    double best = objective(config, w);
    for (int trial = 0; trial < 2000; trial++) {
        double candidate[PORTFOLIO_OPT_ASSETS_MAX];
        double total = 0.0;
        for (size_t i = 0; i < config->assets_count; i++) {
            double u = (double)(tpw_prng_next(&prng) >> 11) * 0x1.0p-53;
            candidate[i] = tpw_prng_below(&prng, 3) == 0 ? 0.0 : u * u * u;
            total += candidate[i];
        }
        bool feasible = total > 0.0;
        for (size_t i = 0; i < config->assets_count && total > 0.0; i++) {
            candidate[i] /= total;
            /* Only feasible points compete (a capped problem refuses some). */
            feasible = feasible && candidate[i] >= config->weight_min &&
                       candidate[i] <= config->weight_max;
        }
        if (feasible) {
            assert_true(best <= objective(config, candidate) + 1e-15);
        }
    }
}

static void check_solution(const struct portfolio_mvo_config *config,
                           const struct portfolio_mvo_result *result)
{
    assert_portfolio(config, result->weights);
    assert_kkt(config, result->weights);
    assert_beats_random(config, result->weights);
}

static void test_min_volatility(void **state)
{
    (void)state;
    struct portfolio_mvo_config config = golden_config();
    struct portfolio_mvo_result result = solve(&config);
    assert_tuple(&result,
                 (const double[3]){0.15056821399482578, 0.15915084514118694, 0.8204054077060996});
    check_solution(&config, &result);
    /* The check has teeth: equal weights are feasible but not optimal. */
    assert_true(kkt_gap(&config, equal_weights) > 1e-3);
    /* GOLDEN.md's min-volatility weights to 4 dp; every other asset 0. */
    static const struct {
        const char *symbol;
        double weight;
    } expected[] = {{"GOOG", .0031}, {"AAPL", .0147}, {"FB", .0986},  {"BABA", .1256},
                    {"WMT", .1771},  {"GM", .1168},   {"T", .1769},   {"XOM", .1886},
                    {"BBY", .0006},  {"PFE", .0878},  {"SBUX", .0102}};
    double listed = 0.0;
    for (size_t k = 0; k < sizeof(expected) / sizeof(expected[0]); k++) {
        double w = result.weights[golden_index(&golden, expected[k].symbol)];
        assert_near(w, expected[k].weight, 0.00005);
        listed += w;
    }
    assert_near(listed, 1.0, 1e-12);
}

static void test_max_sharpe(void **state)
{
    (void)state;
    struct portfolio_mvo_config config = golden_config();
    config.objective = PORTFOLIO_MAX_SHARPE;
    struct portfolio_mvo_result result = solve(&config);
    assert_tuple(&result,
                 (const double[3]){0.3047768672819914, 0.22165566922402932, 1.2847714127003216});
    assert_portfolio(&config, result.weights);
    /* The tangency portfolio: no random portfolio has a higher Sharpe ratio. */
    struct tpw_prng prng;
    tpw_prng_seed(&prng, 7);
    size_t n = config.assets_count;
    for (int trial = 0; trial < 2000; trial++) {
        double w[PORTFOLIO_OPT_ASSETS_MAX];
        double total = 0.0;
        for (size_t i = 0; i < n; i++) {
            w[i] = (double)tpw_prng_below(&prng, 1000);
            total += w[i];
        }
        double mean = 0.0;
        double variance = 0.0;
        for (size_t i = 0; i < n; i++) {
            mean += config.mean_return[i] * w[i] / total;
            for (size_t j = 0; j < n; j++) {
                variance += w[i] * config.covariance[i * n + j] * w[j] / (total * total);
            }
        }
        assert_true((mean - 0.02) / sqrt(variance) <= result.sharpe + 1e-12);
    }
}

static void test_quadratic_utility(void **state)
{
    (void)state;
    struct portfolio_mvo_config config = golden_config();
    config.objective = PORTFOLIO_QUADRATIC_UTILITY;
    config.risk_aversion = 2.0;
    struct portfolio_mvo_result result = solve(&config);
    assert_tuple(&result,
                 (const double[3]){0.3677732711751504, 0.2921342197778279, 1.1904571516463793});
    check_solution(&config, &result);
}

static void test_min_volatility_l2(void **state)
{
    (void)state;
    struct portfolio_mvo_config config = golden_config();
    config.l2_gamma = 1.0;
    struct portfolio_mvo_result result = solve(&config);
    assert_tuple(&result,
                 (const double[3]){0.17356099329164965, 0.1955254118258614, 0.785376140408869});
    check_solution(&config, &result);
}

static void test_min_volatility_l1_costs(void **state)
{
    (void)state;
    struct portfolio_mvo_config config = golden_config();
    config.l2_gamma = 1.0;
    config.current_weights = equal_weights;
    config.cost_l1 = 0.001;
    struct portfolio_mvo_result result = solve(&config);
    assert_tuple(&result,
                 (const double[3]){0.17363446634404042, 0.1959773703677164, 0.7839398296638683});
    check_solution(&config, &result);
}

static double uniform(struct tpw_prng *prng, double low, double high)
{
    return low + (high - low) * (double)(tpw_prng_next(prng) >> 11) * 0x1.0p-53;
}

/* Seeded random problems: 2..16 assets, Σ = BᵀB/n + 0.01I, either objective, L2 or not,
 * long-only or with shorts, tight upper bounds, L1 costs against random current weights.
 * Every solution must be a portfolio within its bounds that satisfies the KKT
 * conditions: for a convex QP that is a certificate of optimality. */
static void test_random_problems(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_portfolio_mvo random", 42));
    static double cov[16 * 16];
    double mu[16];
    double b[16 * 16];
    double current[16];
    for (int trial = 0; trial < 300; trial++) {
        size_t n = 2 + (size_t)tpw_prng_below(&prng, 15);
        for (size_t k = 0; k < n * n; k++) {
            b[k] = uniform(&prng, -0.5, 0.5);
        }
        double total = 0.0;
        for (size_t i = 0; i < n; i++) {
            mu[i] = uniform(&prng, -0.1, 0.3);
            current[i] = uniform(&prng, 0.0, 1.0);
            total += current[i];
            for (size_t j = 0; j < n; j++) {
                double sum = i == j ? 0.01 : 0.0;
                for (size_t r = 0; r < n; r++) {
                    sum += b[r * n + i] * b[r * n + j] / (double)n;
                }
                cov[i * n + j] = sum;
            }
        }
        for (size_t i = 0; i < n; i++) {
            current[i] /= total;
        }
        struct portfolio_mvo_config config = portfolio_mvo_config_default(n, mu, cov);
        bool utility = tpw_prng_below(&prng, 2) == 0;
        config.objective = utility ? PORTFOLIO_QUADRATIC_UTILITY : PORTFOLIO_MIN_VOLATILITY;
        config.risk_aversion = uniform(&prng, 0.5, 5.0);
        config.l2_gamma = tpw_prng_below(&prng, 2) == 0 ? 0.0 : uniform(&prng, 0.0, 0.5);
        config.weight_min = tpw_prng_below(&prng, 3) == 0 ? -0.3 : 0.0;
        config.weight_max = tpw_prng_below(&prng, 3) == 0 ? 1.5 / (double)n + 0.05 : 1.0;
        if (tpw_prng_below(&prng, 2) == 0) {
            config.current_weights = current;
            config.cost_l1 = uniform(&prng, 0.0, 0.05);
        }
        struct portfolio_mvo_result result = solve(&config);
        assert_portfolio(&config, result.weights);
        assert_kkt(&config, result.weights);
    }
}

static void test_bounds(void **state)
{
    (void)state;
    struct portfolio_mvo_config config = golden_config();
    config.weight_max = 0.1;
    struct portfolio_mvo_result result = solve(&config);
    check_solution(&config, &result);
    size_t at_cap = 0;
    for (size_t i = 0; i < config.assets_count; i++) {
        at_cap += result.weights[i] == 0.1 ? 1 : 0;
    }
    assert_true(at_cap >= 4); /* XOM, WMT, T and BABA were above 0.1 */
    /* Shorts allowed: −0.5 ≤ w ≤ 1; the variance can only fall. */
    struct portfolio_mvo_config shorts = golden_config();
    shorts.weight_min = -0.5;
    struct portfolio_mvo_result free_result = solve(&shorts);
    check_solution(&shorts, &free_result);
    assert_true(free_result.volatility < 0.15915084514118694);
    /* cvxopt's qp on the same problem (oracle_mvo.py, its own numpy estimates):
     * (0.1516319319875587, 0.15559153672696682, 0.846009588674141); ours within 5e-15. */
    assert_tuple(&free_result,
                 (const double[3]){0.1516319319875587, 0.15559153672696682, 0.846009588674141});
    /* 20 assets capped at 0.04 cannot sum to 1. */
    struct tpw_error_detail detail;
    config.weight_max = 0.04;
    assert_err(portfolio_mvo_solve(&config, &result, &detail), TPW_ERR_OPT_INFEASIBLE);
}

static void test_turnover_cap(void **state)
{
    (void)state;
    struct portfolio_mvo_config config = golden_config();
    config.current_weights = equal_weights;
    config.turnover_max = 0.5;
    struct portfolio_mvo_result capped = solve(&config);
    assert_portfolio(&config, capped.weights);
    assert_near(capped.turnover, 0.5, 1e-9);
    /* scipy SLSQP on the buy/sell split (oracle_mvo.py): volatility 0.17531653492081709
     * (ours 5e-14 lower), return 0.17498382444887131 (SLSQP's flat direction: 4e-11). */
    assert_near(capped.volatility, 0.17531653492081709, 1e-12);
    assert_near(capped.expected_return, 0.17498382444887131, 1e-9);
    struct portfolio_mvo_config free_config = golden_config();
    struct portfolio_mvo_result free_result = solve(&free_config);
    assert_true(capped.volatility > free_result.volatility);
    /* A cap the free solution already meets changes nothing. */
    config.turnover_max = 2.0;
    struct portfolio_mvo_result loose = solve(&config);
    for (size_t i = 0; i < config.assets_count; i++) {
        assert_near(loose.weights[i], free_result.weights[i], 1e-14);
    }
    /* Everything in asset 0 and at most 0.5 per asset: a turnover of 1 is forced. */
    double concentrated[PORTFOLIO_OPT_ASSETS_MAX] = {1.0};
    config.current_weights = concentrated;
    config.weight_max = 0.5;
    config.turnover_max = 0.9;
    struct tpw_error_detail detail;
    assert_err(portfolio_mvo_solve(&config, &loose, &detail), TPW_ERR_OPT_INFEASIBLE);
}

/* LEAN's MinimumVariancePortfolioOptimizerTests: the two cases with Σ and μ given, each
 * at the default target 0.02 and at a second target, to LEAN's 6 dp. */
static void test_lean_min_variance(void **state)
{
    (void)state;
    static const double cov4[16] = {.31, .05, .55,  .07, .05, .04, .18, .01,
                                    .55, .18, 1.28, .12, .07, .01, .12, .02};
    static const double mu4[4] = {.21, .08, .88, .08};
    static const double cov3[9] = {.05, -.02, -.01, -.02, .21, .09, -.01, .09, .04};
    static const double mu3[3] = {-.13, .05, .14};
    static const struct {
        size_t n;
        const double *cov;
        const double *mu;
        double target;
        double expected[4];
    } cases[] = {
        {4, cov4, mu4, .02, {-0.089212, 0.23431, -0.040975, 0.635503}},
        {4, cov4, mu4, .15, {-0.215505, 0.130699, 0.084806, 0.56899}},
        {3, cov3, mu3, .02, {0.366812, -0.139738, 0.49345}},
        {3, cov3, mu3, .25, {-0.275, 0.275, 0.45}},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        double w[4];
        struct tpw_error_detail detail;
        assert_err(portfolio_min_variance_target(cases[k].n, cases[k].cov, cases[k].mu,
                                                 cases[k].target, w, &detail),
                   TPW_OK);
        for (size_t i = 0; i < cases[k].n; i++) {
            assert_near(w[i], cases[k].expected[i], 5e-7);
        }
    }
    /* No portfolio within ±1 reaches a 200% return. */
    double w[4];
    struct tpw_error_detail detail;
    assert_err(portfolio_min_variance_target(4, cov4, mu4, 2.0, w, &detail),
               TPW_ERR_OPT_INFEASIBLE);
    /* μ ∝ 1 makes the two equalities one. */
    static const double flat[3] = {.1, .1, .1};
    assert_err(portfolio_min_variance_target(3, cov3, flat, .1, w, &detail),
               TPW_ERR_OPT_CONSTRAINTS_DEPENDENT);
}

static void test_trades_round(void **state)
{
    (void)state;
    static const double current[4] = {0.25, 0.25, 0.25, 0.25};
    static const double target[4] = {0.40, 0.2575, 0.10, 0.2425};
    double out[4];
    double residual = 0.0;
    struct tpw_error_detail detail;
    /* Trades +0.15, +0.0075, −0.15, −0.0075: the small ones are dropped, the others cut
     * to whole lots of 0.04 toward zero (0.12 and −0.12). */
    struct portfolio_trade_rules rules = {0.01, 0.04};
    assert_err(portfolio_trades_round(4, current, target, &rules, out, &residual, &detail), TPW_OK);
    assert_near(out[0], 0.37, 1e-15);
    assert_near(out[1], 0.25, 1e-15);
    assert_near(out[2], 0.13, 1e-15);
    assert_near(out[3], 0.25, 1e-15);
    assert_near(residual, 0.0, 1e-15);
    /* An exact multiple stays exact (0.15 = 3 lots of 0.05). */
    rules = (struct portfolio_trade_rules){0.0, 0.05};
    assert_err(portfolio_trades_round(4, current, target, &rules, out, &residual, &detail), TPW_OK);
    assert_near(out[0], 0.40, 1e-15);
    assert_near(out[2], 0.10, 1e-15);
    assert_near(residual, 0.0075 - 0.0075, 1e-15);
    rules.lot = -1.0;
    assert_err(portfolio_trades_round(4, current, target, &rules, out, &residual, &detail),
               TPW_ERR_OPT_INPUT_INVALID);
}

static void test_refusals(void **state)
{
    (void)state;
    struct portfolio_mvo_result result;
    struct tpw_error_detail detail;
    static const double not_pd[4] = {1.0, 2.0, 2.0, 1.0}; /* eigenvalues 3 and −1 */
    static const double asymmetric[4] = {1.0, 0.5, 0.0, 1.0};
    static const double with_nan[4] = {1.0, NAN, NAN, 1.0};
    static const double mu[2] = {0.05, 0.10};
    struct portfolio_mvo_config config = portfolio_mvo_config_default(2, mu, not_pd);
    assert_err(portfolio_mvo_solve(&config, &result, &detail), TPW_ERR_OPT_COVARIANCE_NOT_PD);
    config.covariance = asymmetric;
    assert_err(portfolio_mvo_solve(&config, &result, &detail), TPW_ERR_OPT_COVARIANCE_NOT_PD);
    config.covariance = with_nan;
    assert_err(portfolio_mvo_solve(&config, &result, &detail), TPW_ERR_OPT_INPUT_INVALID);
    static const double identity[4] = {1.0, 0.0, 0.0, 1.0};
    config.covariance = identity;
    config.assets_count = 0;
    assert_err(portfolio_mvo_solve(&config, &result, &detail), TPW_ERR_OPT_INPUT_INVALID);
    config.assets_count = 2;
    config.weight_min = 0.6; /* 2 × 0.6 > 1 */
    assert_err(portfolio_mvo_solve(&config, &result, &detail), TPW_ERR_OPT_INFEASIBLE);
    config.weight_min = 0.7;
    config.weight_max = 0.6;
    assert_err(portfolio_mvo_solve(&config, &result, &detail), TPW_ERR_OPT_INPUT_INVALID);
    config = portfolio_mvo_config_default(2, mu, identity);
    config.cost_l1 = 0.01; /* costs without current weights */
    assert_err(portfolio_mvo_solve(&config, &result, &detail), TPW_ERR_OPT_INPUT_INVALID);
    config = portfolio_mvo_config_default(2, mu, identity);
    config.objective = PORTFOLIO_MAX_SHARPE;
    config.risk_free_rate = 0.2;
    assert_err(portfolio_mvo_solve(&config, &result, &detail), TPW_ERR_OPT_NO_EXCESS_RETURN);
    config.risk_free_rate = 0.0;
    config.l2_gamma = 1.0; /* not in the variable change */
    assert_err(portfolio_mvo_solve(&config, &result, &detail), TPW_ERR_OPT_INPUT_INVALID);
    config = portfolio_mvo_config_default(2, mu, identity);
    config.objective = PORTFOLIO_QUADRATIC_UTILITY;
    config.risk_aversion = 0.0;
    assert_err(portfolio_mvo_solve(&config, &result, &detail), TPW_ERR_OPT_INPUT_INVALID);
    double w[2];
    assert_err(portfolio_min_variance_target(2, identity, mu, NAN, w, &detail),
               TPW_ERR_OPT_INPUT_INVALID);
}

int main(void)
{
    for (size_t i = 0; i < PORTFOLIO_OPT_ASSETS_MAX; i++) {
        equal_weights[i] = 1.0 / 20.0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_min_volatility),
        cmocka_unit_test(test_max_sharpe),
        cmocka_unit_test(test_quadratic_utility),
        cmocka_unit_test(test_min_volatility_l2),
        cmocka_unit_test(test_min_volatility_l1_costs),
        cmocka_unit_test(test_random_problems),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_turnover_cap),
        cmocka_unit_test(test_lean_min_variance),
        cmocka_unit_test(test_trades_round),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
