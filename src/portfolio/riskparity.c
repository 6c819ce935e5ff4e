/*
 * Volatility-adjusted weights: inverse volatility, and risk budgeting by Spinu's (2013)
 * convex formulation, x = argmin ½xᵀΣx − bᵀ ln x over x > 0, whose optimum has
 * (Σx)_i = b_i / x_i, i.e. risk contributions x_i(Σx)_i in the proportions b. The
 * objective is strictly convex (Hessian Σ + diag(b/x²)), so damped Newton converges
 * from any positive start, quadratically near the optimum: the result is exact to
 * rounding, beyond the 6 dp of LEAN's and the 1e-6 of riskparity.rs's tests.
 */
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "portfolio_int.h"
#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

/* Newton converges in well under 50 steps from the diagonal start; 200 is a bound. */
#define NEWTON_ITERATIONS_MAX 200
/* Stop when every gradient component is this small relative to b. */
#define NEWTON_GRADIENT_TOLERANCE 1e-14
/* Stalled at a point this close to stationary is converged. */
#define NEWTON_STALL_TOLERANCE 1e-10

enum tpw_err portfolio_inverse_vol(size_t assets_count, const double *covariance, double *weights,
                                   struct tpw_error_detail *detail)
{
    size_t n = assets_count;
    if (n == 0 || n > PORTFOLIO_OPT_ASSETS_MAX) {
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0, "%zu assets (1..64)", n);
    }
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        double variance = covariance[i * n + i];
        if (!(variance > 0.0) || !isfinite(variance)) {
            return tpw_error_set(detail, TPW_ERR_OPT_COVARIANCE_NOT_PD, 0,
                                 "asset %zu has variance %g", i + 1, variance);
        }
        weights[i] = 1.0 / sqrt(variance);
        total += weights[i];
    }
    for (size_t i = 0; i < n; i++) {
        weights[i] /= total;
    }
    return TPW_OK;
}

static double spinu_objective(size_t n, const double *cov, const double *b, const double *x)
{
    double value = 0.0;
    for (size_t i = 0; i < n; i++) {
        double row = 0.0;
        for (size_t j = 0; j < n; j++) {
            row += cov[i * n + j] * x[j];
        }
        value += 0.5 * x[i] * row - b[i] * log(x[i]);
    }
    return value;
}

/* The gradient Σx − b/x into g and the Hessian Σ + diag(b/x²) into h; returns ‖g‖∞. */
static double spinu_derivatives(size_t n, const double *cov, const double *b, const double *x,
                                double *g, double *h)
{
    double largest = 0.0;
    for (size_t i = 0; i < n; i++) {
        g[i] = -b[i] / x[i];
        for (size_t j = 0; j < n; j++) {
            g[i] += cov[i * n + j] * x[j];
            h[i * n + j] = cov[i * n + j];
        }
        h[i * n + i] += b[i] / (x[i] * x[i]);
        largest = fabs(g[i]) > largest ? fabs(g[i]) : largest;
    }
    return largest;
}

/* Backtracking along the Newton direction d (in g): stay positive, then Armijo. */
static void newton_step(size_t n, const double *cov, const double *b, double *x, const double *d,
                        double slope)
{
    double start = spinu_objective(n, cov, b, x);
    /* Once the expected decrease is below the objective's rounding, Armijo cannot tell
     * steps apart; Newton is then in its quadratic region and the full step is right. */
    bool measurable = slope > 1e-12 * (1.0 + fabs(start));
    double trial[PORTFOLIO_OPT_ASSETS_MAX];
    for (int halvings = 0; halvings < 40; halvings++) {
        double t = ldexp(1.0, -halvings);
        bool positive = true;
        for (size_t i = 0; i < n; i++) {
            trial[i] = x[i] - t * d[i];
            positive = positive && trial[i] > 0.0;
        }
        if (positive &&
            (!measurable || spinu_objective(n, cov, b, trial) <= start - 1e-4 * t * slope)) {
            memcpy(x, trial, n * sizeof(double));
            return;
        }
    }
    /* No decrease is measurable any more: take the full (tiny) step if it is positive. */
    for (size_t i = 0; i < n; i++) {
        x[i] = x[i] - d[i] > 0.0 ? x[i] - d[i] : x[i];
    }
}

static enum tpw_err validate_budgets(size_t n, const double *covariance, const double *budgets,
                                     struct tpw_error_detail *detail)
{
    if (n == 0 || n > PORTFOLIO_OPT_ASSETS_MAX) {
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0, "%zu assets (1..64)", n);
    }
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(budgets[i] > 0.0) || !isfinite(budgets[i])) {
            return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                                 "risk budget %zu is %g (must be above 0)", i + 1, budgets[i]);
        }
        total += budgets[i];
    }
    if (fabs(total - 1.0) > 1e-9) {
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                             "the risk budgets sum to %.12g, not 1", total);
    }
    for (size_t k = 0; k < n * n; k++) {
        if (!isfinite(covariance[k])) {
            return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                                 "the covariance matrix holds a NaN or infinity");
        }
    }
    if (!portfolio__is_positive_definite(n, covariance)) {
        return tpw_error_set(detail, TPW_ERR_OPT_COVARIANCE_NOT_PD, 0,
                             "the %zu × %zu covariance matrix is not positive definite", n, n);
    }
    return TPW_OK;
}

enum tpw_err portfolio_risk_parity(size_t assets_count, const double *covariance,
                                   const double *budgets, double *x_out, double *weights,
                                   struct tpw_error_detail *detail)
{
    size_t n = assets_count;
    enum tpw_err err = validate_budgets(n, covariance, budgets, detail);
    if (err != TPW_OK) {
        return err;
    }
    /* Start where each asset alone would be: Σ_ii x_i² = b_i. */
    double x[PORTFOLIO_OPT_ASSETS_MAX];
    for (size_t i = 0; i < n; i++) {
        x[i] = sqrt(budgets[i] / covariance[i * n + i]);
    }
    double g[PORTFOLIO_OPT_ASSETS_MAX];
    double h[PORTFOLIO_OPT_ASSETS_MAX * PORTFOLIO_OPT_ASSETS_MAX];
    bool converged = false;
    for (int iteration = 0; iteration < NEWTON_ITERATIONS_MAX && !converged; iteration++) {
        /* Measure the gradient against the size of its terms, Σ_j |Σ_ij x_j| + b_i/x_i:
         * rounding in them is all that is left at the optimum. */
        double scale = 0.0;
        for (size_t i = 0; i < n; i++) {
            double terms = budgets[i] / x[i];
            for (size_t j = 0; j < n; j++) {
                terms += fabs(covariance[i * n + j] * x[j]);
            }
            scale = terms > scale ? terms : scale;
        }
        converged =
            spinu_derivatives(n, covariance, budgets, x, g, h) <= NEWTON_GRADIENT_TOLERANCE * scale;
        double slope = 0.0;
        double gradient[PORTFOLIO_OPT_ASSETS_MAX];
        memcpy(gradient, g, n * sizeof(double));
        lapack_int info =
            LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)n, 1, h, (lapack_int)n, g, 1);
        TPW_ASSERT(info == 0); /* Σ + diag(b/x²) is positive definite when Σ is */
        for (size_t i = 0; i < n; i++) {
            slope += gradient[i] * g[i];
        }
        /* A Newton decrement (gᵀH⁻¹g, the objective's expected fall) at rounding level
         * is convergence too. */
        converged = converged || slope <= 1e-28 * scale * scale;
        if (!converged) {
            double before[PORTFOLIO_OPT_ASSETS_MAX];
            memcpy(before, x, n * sizeof(double));
            newton_step(n, covariance, budgets, x, g, slope);
            /* A step that moves nothing is as far as doubles go. */
            converged = memcmp(before, x, n * sizeof(double)) == 0 &&
                        spinu_derivatives(n, covariance, budgets, x, gradient, h) <=
                            NEWTON_STALL_TOLERANCE * scale;
        }
    }
    if (!converged) {
        return tpw_error_set(detail, TPW_ERR_OPT_NOT_CONVERGED, 0,
                             "risk parity: no convergence in %d Newton steps",
                             NEWTON_ITERATIONS_MAX);
    }
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        TPW_ASSERT(x[i] > 0.0);
        total += x[i];
    }
    for (size_t i = 0; i < n; i++) {
        if (x_out != NULL) {
            x_out[i] = x[i];
        }
        if (weights != NULL) {
            weights[i] = x[i] / total;
        }
    }
    return TPW_OK;
}
