/*
 * GARCH(1,1) by Gaussian quasi-maximum likelihood: r_t = μ + ε_t,
 * h_t = ω + α ε²_{t−1} + β h_{t−1}, log L = −½ Σ (ln 2π + ln h_t + ε_t²/h_t). The
 * start-up is fGarch's, h_1 = ω + (α + β)·s² with s² = mean((r − μ)²) at the current μ,
 * because the published benchmark values (dem2gbp, Fiorentini et al. 1996) depend on it
 * in the fourth digit. The gradient is analytic (the recursions for ∂h_t/∂θ); the
 * Hessian is its central difference; damped Newton with a backtracking line search
 * inside the region ω > 0, α, β ≥ 0, α + β < 1 converges quadratically to the optimum.
 */
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "portfolio_int.h"
#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

#define PARAMS 4 /* μ, ω, α, β */
#define GARCH_RETURNS_MIN 10
#define GARCH_ITERATIONS_MAX 200
/* Converged when the Newton decrement gᵀH⁻¹g (twice the expected gain in log L) is
 * below this, relative to |log L|: the parameters are then exact to about 1e-8. */
#define GARCH_DECREMENT_TOLERANCE 1e-20

static const double LOG_2PI = 1.8378770664093454836;

static bool in_region(const double *theta)
{
    return theta[1] > 0.0 && theta[2] >= 0.0 && theta[3] >= 0.0 && theta[2] + theta[3] < 1.0;
}

/* −log L and (when gradient is not NULL) its gradient at θ = (μ, ω, α, β). */
static double negative_log_likelihood(const double *r, size_t count, const double *theta,
                                      double *gradient)
{
    double mu = theta[0];
    double omega = theta[1];
    double alpha = theta[2];
    double beta = theta[3];
    double sum_z = 0.0;
    double sum_z2 = 0.0;
    for (size_t t = 0; t < count; t++) {
        sum_z += r[t] - mu;
        sum_z2 += (r[t] - mu) * (r[t] - mu);
    }
    double s2 = sum_z2 / (double)count;
    double h = omega + (alpha + beta) * s2;
    /* ∂h/∂(μ, ω, α, β) */
    double dh[PARAMS] = {(alpha + beta) * -2.0 * sum_z / (double)count, 1.0, s2, s2};
    double value = 0.0;
    double g[PARAMS] = {0.0, 0.0, 0.0, 0.0};
    for (size_t t = 0; t < count; t++) {
        double z = r[t] - mu;
        if (t > 0) {
            double z_prev = r[t - 1] - mu;
            double h_prev = h;
            dh[0] = -2.0 * alpha * z_prev + beta * dh[0];
            dh[1] = 1.0 + beta * dh[1];
            dh[2] = z_prev * z_prev + beta * dh[2];
            dh[3] = h_prev + beta * dh[3];
            h = omega + alpha * z_prev * z_prev + beta * h_prev;
        }
        value += 0.5 * (LOG_2PI + log(h) + z * z / h);
        double weight = 0.5 * (1.0 / h - z * z / (h * h));
        for (size_t k = 0; k < PARAMS; k++) {
            g[k] += weight * dh[k];
        }
        g[0] -= z / h;
    }
    if (gradient != NULL) {
        memcpy(gradient, g, sizeof(g));
    }
    return value;
}

/* The Hessian of −log L by central differences of the analytic gradient, symmetrised. */
static void hessian(const double *r, size_t count, const double *theta, double *h)
{
    for (size_t k = 0; k < PARAMS; k++) {
        double step = 1e-5 * (fabs(theta[k]) > 1e-2 ? fabs(theta[k]) : 1e-2);
        double up[PARAMS];
        double down[PARAMS];
        double g_up[PARAMS];
        double g_down[PARAMS];
        memcpy(up, theta, sizeof(up));
        memcpy(down, theta, sizeof(down));
        up[k] += step;
        down[k] -= step;
        (void)negative_log_likelihood(r, count, up, g_up);
        (void)negative_log_likelihood(r, count, down, g_down);
        for (size_t j = 0; j < PARAMS; j++) {
            h[j * PARAMS + k] = (g_up[j] - g_down[j]) / (2.0 * step);
        }
    }
    for (size_t j = 0; j < PARAMS; j++) {
        for (size_t k = j + 1; k < PARAMS; k++) {
            double mean = 0.5 * (h[j * PARAMS + k] + h[k * PARAMS + j]);
            h[j * PARAMS + k] = mean;
            h[k * PARAMS + j] = mean;
        }
    }
}

/* Solves (H + λI) d = g; false when that matrix is not positive definite. */
static bool damped_direction(const double *h, double lambda, const double *g, double *d)
{
    double a[PARAMS * PARAMS];
    memcpy(a, h, sizeof(a));
    for (size_t k = 0; k < PARAMS; k++) {
        a[k * PARAMS + k] += lambda;
    }
    memcpy(d, g, PARAMS * sizeof(double));
    return LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', PARAMS, 1, a, PARAMS, d, 1) == 0;
}

/* Backtracks from θ − d until inside the region and lower by Armijo's rule; false when
 * no step of at least 2^-40 qualifies. */
static bool line_search(const double *r, size_t count, double *theta, double *value,
                        const double *d, double slope)
{
    double trial[PARAMS];
    for (int halvings = 0; halvings <= 40; halvings++) {
        double t = ldexp(1.0, -halvings);
        for (size_t k = 0; k < PARAMS; k++) {
            trial[k] = theta[k] - t * d[k];
        }
        if (!in_region(trial)) {
            continue;
        }
        double candidate = negative_log_likelihood(r, count, trial, NULL);
        if (candidate <= *value - 1e-4 * t * slope) {
            memcpy(theta, trial, sizeof(trial));
            *value = candidate;
            return true;
        }
    }
    return false;
}

/* One damped Newton iteration; *done when the decrement is at rounding level. */
static bool newton_iteration(const double *r, size_t count, double *theta, double *value,
                             bool *done)
{
    double g[PARAMS];
    double h[PARAMS * PARAMS];
    double d[PARAMS];
    *value = negative_log_likelihood(r, count, theta, g);
    hessian(r, count, theta, h);
    double scale = 0.0;
    for (size_t k = 0; k < PARAMS; k++) {
        scale = fabs(h[k * PARAMS + k]) > scale ? fabs(h[k * PARAMS + k]) : scale;
    }
    /* Damping λ = 0, then 1e-10, 1e-8, … 1e6 times the Hessian's scale. */
    for (int tries = 0; tries < 10; tries++) {
        double lambda = tries == 0 ? 0.0 : scale * pow(10.0, 2.0 * tries - 12.0);
        if (!damped_direction(h, lambda, g, d)) {
            continue;
        }
        double slope = 0.0;
        for (size_t k = 0; k < PARAMS; k++) {
            slope += g[k] * d[k];
        }
        *done = slope <= GARCH_DECREMENT_TOLERANCE * fabs(*value);
        if (*done || line_search(r, count, theta, value, d, slope)) {
            return true;
        }
    }
    return false;
}

/* h_T, the conditional variance of the last return. */
static double last_variance(const double *r, size_t count, const double *theta)
{
    double s2 = 0.0;
    for (size_t t = 0; t < count; t++) {
        s2 += (r[t] - theta[0]) * (r[t] - theta[0]) / (double)count;
    }
    double h = theta[1] + (theta[2] + theta[3]) * s2;
    for (size_t t = 1; t < count; t++) {
        double z = r[t - 1] - theta[0];
        h = theta[1] + theta[2] * z * z + theta[3] * h;
    }
    return h;
}

double portfolio_garch_log_likelihood(const double *returns, size_t returns_count,
                                      const struct portfolio_garch *params)
{
    const double theta[PARAMS] = {params->mu, params->omega, params->alpha, params->beta};
    return returns_count == 0 ? (double)NAN
                              : -negative_log_likelihood(returns, returns_count, theta, NULL);
}

static enum tpw_err validate(const double *returns, size_t count, struct tpw_error_detail *detail)
{
    if (count < GARCH_RETURNS_MIN) {
        return tpw_error_set(detail, TPW_ERR_OPT_TOO_FEW_RETURNS, 0,
                             "GARCH needs at least %d returns, not %zu", GARCH_RETURNS_MIN, count);
    }
    double first = returns[0];
    bool constant = true;
    for (size_t t = 0; t < count; t++) {
        if (!isfinite(returns[t])) {
            return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                                 "return %zu is not a finite number", t + 1);
        }
        constant = constant && returns[t] == first;
    }
    if (constant) {
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                             "constant returns have no variance to model");
    }
    return TPW_OK;
}

enum tpw_err portfolio_garch_fit(const double *returns, size_t returns_count,
                                 struct portfolio_garch *out, struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    enum tpw_err err = validate(returns, returns_count, detail);
    if (err != TPW_OK) {
        return err;
    }
    /* Start: the sample mean, α = 0.1, β = 0.8 and ω matching the sample variance. */
    double mean = 0.0;
    double variance = 0.0;
    for (size_t t = 0; t < returns_count; t++) {
        mean += returns[t] / (double)returns_count;
    }
    for (size_t t = 0; t < returns_count; t++) {
        variance += (returns[t] - mean) * (returns[t] - mean) / (double)returns_count;
    }
    double theta[PARAMS] = {mean, 0.1 * variance, 0.1, 0.8};
    double value = 0.0;
    bool done = false;
    while (!done && out->iterations < GARCH_ITERATIONS_MAX) {
        out->iterations++;
        if (!newton_iteration(returns, returns_count, theta, &value, &done)) {
            break;
        }
    }
    if (!done) {
        return tpw_error_set(detail, TPW_ERR_OPT_NOT_CONVERGED, 0,
                             "GARCH(1,1): no optimum after %zu Newton iterations", out->iterations);
    }
    TPW_ASSERT(in_region(theta));
    double z = returns[returns_count - 1] - theta[0];
    out->mu = theta[0];
    out->omega = theta[1];
    out->alpha = theta[2];
    out->beta = theta[3];
    out->log_likelihood = -value;
    out->variance_next =
        theta[1] + theta[2] * z * z + theta[3] * last_variance(returns, returns_count, theta);
    return TPW_OK;
}
