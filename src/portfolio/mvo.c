/*
 * Mean-variance optimisation on the QP solver (qp.c), in the formulations of the
 * PyPortfolioOpt golden cases (docs/portfolio.md): minimum volatility, maximum Sharpe
 * ratio through the Cornuéjols-Tütüncü variable change, quadratic utility, each with
 * optional L2 regularisation, bounds, an L1 transaction cost against current weights
 * and a turnover cap. The turnover cap is the one inequality the solver does not take
 * directly; it is met through its multiplier, which acts as an extra L1 cost, found by
 * bisection (turnover falls monotonically as the cost rises).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "portfolio_int.h"
#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

/* Bisection steps on the turnover multiplier: halving 200 times reaches the resolution
 * of a double from any starting bracket. */
#define TURNOVER_BISECTIONS_MAX 200
/* The largest extra cost tried: far beyond any variance's marginal value, so the
 * turnover then is the least the constraints allow. */
#define TURNOVER_COST_MAX 1e9
/* A turnover within this of the cap meets it. */
#define TURNOVER_TOLERANCE 1e-12

struct portfolio_mvo_config portfolio_mvo_config_default(size_t assets_count,
                                                         const double *mean_return,
                                                         const double *covariance)
{
    struct portfolio_mvo_config config;
    memset(&config, 0, sizeof(config));
    config.assets_count = assets_count;
    config.mean_return = mean_return;
    config.covariance = covariance;
    config.objective = PORTFOLIO_MIN_VOLATILITY;
    config.risk_aversion = 1.0;
    config.weight_min = 0.0;
    config.weight_max = 1.0;
    return config;
}

/* The QP arrays of one optimisation (the variables are the weights, or y for max Sharpe). */
struct mvo_qp {
    double P[PORTFOLIO_OPT_ASSETS_MAX * PORTFOLIO_OPT_ASSETS_MAX];
    double q[PORTFOLIO_OPT_ASSETS_MAX];
    double A[PORTFOLIO_QP_EQUALITIES_MAX * PORTFOLIO_OPT_ASSETS_MAX];
    double b[PORTFOLIO_QP_EQUALITIES_MAX];
    double lower[PORTFOLIO_OPT_ASSETS_MAX];
    double upper[PORTFOLIO_OPT_ASSETS_MAX];
    double kink[PORTFOLIO_OPT_ASSETS_MAX];
    double cost[PORTFOLIO_OPT_ASSETS_MAX];
    struct qp_problem problem;
    struct qp_solution solution;
};

static bool all_finite(const double *values, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        if (!isfinite(values[k])) {
            return false;
        }
    }
    return true;
}

static enum tpw_err validate(const struct portfolio_mvo_config *config,
                             struct tpw_error_detail *detail)
{
    size_t n = config->assets_count;
    bool sharpe = config->objective == PORTFOLIO_MAX_SHARPE;
    bool costs = config->cost_l1 > 0.0 || config->turnover_max > 0.0;
    bool ok = n > 0 && n <= PORTFOLIO_OPT_ASSETS_MAX && config->covariance != NULL &&
              (config->mean_return != NULL || config->objective == PORTFOLIO_MIN_VOLATILITY) &&
              config->objective <= PORTFOLIO_QUADRATIC_UTILITY && config->l2_gamma >= 0.0 &&
              config->cost_l1 >= 0.0 && config->turnover_max >= 0.0 &&
              isfinite(config->risk_free_rate) && isfinite(config->weight_min) &&
              isfinite(config->weight_max) && config->weight_min <= config->weight_max &&
              (config->objective != PORTFOLIO_QUADRATIC_UTILITY || config->risk_aversion > 0.0) &&
              (!costs || config->current_weights != NULL) &&
              (!sharpe || (!costs && config->l2_gamma == 0.0 && config->weight_min == 0.0));
    if (!ok || !all_finite(config->covariance, n * n) ||
        (config->mean_return != NULL && !all_finite(config->mean_return, n)) ||
        (config->current_weights != NULL && !all_finite(config->current_weights, n))) {
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                             "invalid optimiser configuration (%zu assets; max Sharpe takes "
                             "no costs, regularisation or lower bound)",
                             n);
    }
    if (!portfolio__is_positive_definite(n, config->covariance)) {
        return tpw_error_set(detail, TPW_ERR_OPT_COVARIANCE_NOT_PD, 0,
                             "the %zu × %zu covariance matrix is not positive definite", n, n);
    }
    return TPW_OK;
}

/* Σ scaled into P (P = scale·Σ + 2γI) and the bounds, shared by every formulation. */
static void fill_quadratic(const struct portfolio_mvo_config *config, double scale,
                           struct mvo_qp *qp)
{
    size_t n = config->assets_count;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            qp->P[i * n + j] = scale * config->covariance[i * n + j];
        }
        qp->P[i * n + i] += 2.0 * config->l2_gamma;
        qp->lower[i] = config->weight_min;
        qp->upper[i] = config->weight_max;
    }
}

/*
 * min wᵀ(Σ + γI)w            → P = 2Σ + 2γI, q = 0
 * min (δ/2)wᵀΣw − μᵀw + γ‖w‖² → P = δΣ + 2γI, q = −μ
 * both s.t. 1ᵀw = 1; the L1 cost c Σ|w_i − w0_i| is the solver's kink term.
 * max Sharpe: min yᵀΣy s.t. (μ − r_f)ᵀy = 1, y ≥ 0, then w = y / 1ᵀy.
 */
static void build(const struct portfolio_mvo_config *config, double extra_cost, struct mvo_qp *qp)
{
    size_t n = config->assets_count;
    memset(qp, 0, sizeof(*qp));
    bool utility = config->objective == PORTFOLIO_QUADRATIC_UTILITY;
    fill_quadratic(config, utility ? config->risk_aversion : 2.0, qp);
    for (size_t i = 0; i < n; i++) {
        qp->q[i] = utility ? -config->mean_return[i] : 0.0;
        qp->A[i] = 1.0;
        if (config->current_weights != NULL) {
            qp->kink[i] = config->current_weights[i];
            qp->cost[i] = config->cost_l1 + extra_cost;
        }
    }
    qp->b[0] = 1.0;
    if (config->objective == PORTFOLIO_MAX_SHARPE) {
        for (size_t i = 0; i < n; i++) {
            qp->A[i] = config->mean_return[i] - config->risk_free_rate;
            qp->upper[i] = INFINITY;
        }
    }
    bool kinked = config->current_weights != NULL;
    qp->problem = (struct qp_problem){n,
                                      1,
                                      qp->P,
                                      qp->q,
                                      qp->A,
                                      qp->b,
                                      qp->lower,
                                      qp->upper,
                                      kinked ? qp->kink : NULL,
                                      kinked ? qp->cost : NULL};
}

static double turnover_of(const struct portfolio_mvo_config *config, const double *weights)
{
    double turnover = 0.0;
    for (size_t i = 0; config->current_weights != NULL && i < config->assets_count; i++) {
        turnover += fabs(weights[i] - config->current_weights[i]);
    }
    return turnover;
}

/* One QP solve with an extra L1 cost (the turnover multiplier); weights into out. */
static enum tpw_err solve_once(const struct portfolio_mvo_config *config, double extra_cost,
                               struct mvo_qp *qp, struct portfolio_mvo_result *out,
                               struct tpw_error_detail *detail)
{
    size_t n = config->assets_count;
    build(config, extra_cost, qp);
    enum tpw_err err = portfolio__qp_solve(&qp->problem, &qp->solution, detail);
    if (err != TPW_OK) {
        return err;
    }
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        total += qp->solution.x[i];
    }
    TPW_ASSERT(total > 0.0);
    bool sharpe = config->objective == PORTFOLIO_MAX_SHARPE;
    for (size_t i = 0; i < n; i++) {
        out->weights[i] = sharpe ? qp->solution.x[i] / total : qp->solution.x[i];
    }
    out->iterations += qp->solution.iterations;
    out->turnover = turnover_of(config, out->weights);
    return TPW_OK;
}

/* The turnover cap through its multiplier ν: the optimum with cost c + ν, with ν the
 * smallest for which the turnover is within the cap. */
static enum tpw_err solve_capped(const struct portfolio_mvo_config *config, struct mvo_qp *qp,
                                 struct portfolio_mvo_result *out, struct tpw_error_detail *detail)
{
    double cap = config->turnover_max;
    enum tpw_err err = solve_once(config, 0.0, qp, out, detail);
    if (err != TPW_OK || cap == 0.0 || out->turnover <= cap + TURNOVER_TOLERANCE) {
        return err;
    }
    err = solve_once(config, TURNOVER_COST_MAX, qp, out, detail);
    if (err == TPW_OK && out->turnover > cap + TURNOVER_TOLERANCE) {
        return tpw_error_set(detail, TPW_ERR_OPT_INFEASIBLE, 0,
                             "the constraints need a turnover of %.6g, above the cap %.6g",
                             out->turnover, cap);
    }
    double low = 0.0; /* turnover above the cap */
    double high = 1.0;
    while (err == TPW_OK && high < TURNOVER_COST_MAX) {
        err = solve_once(config, high, qp, out, detail);
        if (out->turnover <= cap + TURNOVER_TOLERANCE) {
            break;
        }
        low = high;
        high *= 4.0;
    }
    for (size_t k = 0; err == TPW_OK && k < TURNOVER_BISECTIONS_MAX && high - low > 0.0; k++) {
        double middle = low + (high - low) / 2.0;
        if (middle <= low || middle >= high) {
            break;
        }
        err = solve_once(config, middle, qp, out, detail);
        *(out->turnover <= cap + TURNOVER_TOLERANCE ? &high : &low) = middle;
    }
    return err == TPW_OK ? solve_once(config, high, qp, out, detail) : err;
}

static void metrics(const struct portfolio_mvo_config *config, struct portfolio_mvo_result *out)
{
    size_t n = config->assets_count;
    double variance = 0.0;
    double expected = 0.0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            variance += out->weights[i] * config->covariance[i * n + j] * out->weights[j];
        }
        expected +=
            config->mean_return != NULL ? config->mean_return[i] * out->weights[i] : (double)NAN;
    }
    out->expected_return = expected;
    out->volatility = sqrt(variance);
    out->sharpe = (expected - config->risk_free_rate) / out->volatility;
}

enum tpw_err portfolio_mvo_solve(const struct portfolio_mvo_config *config,
                                 struct portfolio_mvo_result *out, struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    enum tpw_err err = validate(config, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (config->objective == PORTFOLIO_MAX_SHARPE) {
        bool any = false;
        for (size_t i = 0; i < config->assets_count; i++) {
            any = any || config->mean_return[i] > config->risk_free_rate;
        }
        if (!any) {
            return tpw_error_set(detail, TPW_ERR_OPT_NO_EXCESS_RETURN, 0,
                                 "no expected return exceeds the risk-free rate %.6g",
                                 config->risk_free_rate);
        }
    }
    struct mvo_qp *qp = malloc(sizeof(*qp));
    if (qp == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    err = solve_capped(config, qp, out, detail);
    free(qp);
    if (err == TPW_OK) {
        metrics(config, out);
    }
    return err;
}

enum tpw_err portfolio_min_variance_target(size_t assets_count, const double *covariance,
                                           const double *mean_return, double target_return,
                                           double *weights, struct tpw_error_detail *detail)
{
    size_t n = assets_count;
    struct portfolio_mvo_config config = portfolio_mvo_config_default(n, mean_return, covariance);
    config.weight_min = -1.0;
    config.weight_max = 1.0;
    if (mean_return == NULL || !isfinite(target_return)) {
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                             "a target return and expected returns are needed");
    }
    enum tpw_err err = validate(&config, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct mvo_qp *qp = malloc(sizeof(*qp));
    if (qp == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    /* min ½wᵀ(2Σ)w s.t. 1ᵀw = 1, μᵀw = target, −1 ≤ w ≤ 1 (LEAN minimises ½wᵀΣw: the
     * same minimiser). */
    build(&config, 0.0, qp);
    memcpy(&qp->A[n], mean_return, n * sizeof(double));
    qp->b[1] = target_return;
    qp->problem.m = 2;
    err = portfolio__qp_solve(&qp->problem, &qp->solution, detail);
    double gross = 0.0;
    for (size_t i = 0; err == TPW_OK && i < n; i++) {
        gross += fabs(qp->solution.x[i]);
    }
    for (size_t i = 0; err == TPW_OK && i < n; i++) {
        weights[i] = qp->solution.x[i] / gross;
    }
    free(qp);
    return err;
}
