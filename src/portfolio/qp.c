/*
 * A primal active-set solver for the convex quadratic programs of the optimisers:
 * minimise ½xᵀPx + qᵀx + Σ c_i|x_i − k_i| subject to Ax = b and bounds, P positive
 * definite. Each iteration fixes some variables (at a bound or at their kink) and solves
 * the equality-constrained problem in the others exactly through its KKT system
 * (LAPACK's symmetric indefinite solver), then either steps to the first bound or kink
 * in the way, or checks the fixed variables' multipliers and frees the most violated.
 * Treating a kink as a constraint that can be left in either direction solves the L1
 * transaction-cost problem without splitting trades into buy and sell variables, whose
 * zero curvature would make the KKT systems singular. A feasible start comes from the
 * same method on an elastic problem (artificial residuals with an exact L1 penalty),
 * which also proves infeasibility. The result is exact, not an iterate within a
 * tolerance: the last KKT solve is the optimum of the final active set.
 */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "portfolio_int.h"
#include "tpw_assert.h"

#include "banned.h"

enum var_state {
    VAR_FREE = 0,
    VAR_AT_LOWER,
    VAR_AT_UPPER,
    VAR_AT_KINK,
};

#define KKT_SIZE_MAX (PORTFOLIO_QP_VARIABLES_MAX + PORTFOLIO_QP_EQUALITIES_MAX)

/* Multipliers below this (relative to the gradient's scale) count as optimal. */
#define QP_OPTIMALITY_TOLERANCE 1e-12
/* Steps this small (relative to the variable) are rounding, not movement. */
#define QP_STEP_NEGLIGIBLE 1e-13
/* Residuals of the elastic phase below this (relative to b) count as feasible. */
#define QP_FEASIBILITY_TOLERANCE 1e-9

struct qp_state {
    const struct qp_problem *problem;
    double x[PORTFOLIO_QP_VARIABLES_MAX];
    enum var_state state[PORTFOLIO_QP_VARIABLES_MAX];
    int sign[PORTFOLIO_QP_VARIABLES_MAX]; /* side of the kink a free variable is on */
    size_t free_index[PORTFOLIO_QP_VARIABLES_MAX];
    size_t free_count;
    double kkt[KKT_SIZE_MAX * KKT_SIZE_MAX];
    double rhs[KKT_SIZE_MAX];
    lapack_int pivots[KKT_SIZE_MAX];
    double lambda[PORTFOLIO_QP_EQUALITIES_MAX];
    size_t iterations;
};

static double kink_cost(const struct qp_problem *problem, size_t i)
{
    return problem->kink_cost != NULL ? problem->kink_cost[i] : 0.0;
}

/* The segment a free variable moves in: its bounds, cut at the kink on its side. */
static void segment(const struct qp_state *qp, size_t i, double *lo, double *hi)
{
    const struct qp_problem *problem = qp->problem;
    *lo = problem->lower[i];
    *hi = problem->upper[i];
    if (kink_cost(problem, i) > 0.0) {
        double k = problem->kink[i];
        *lo = qp->sign[i] > 0 && k > *lo ? k : *lo;
        *hi = qp->sign[i] < 0 && k < *hi ? k : *hi;
    }
}

/* Which state a variable at x_i is in, and (free) the side of its kink. */
static void classify(struct qp_state *qp, size_t i)
{
    const struct qp_problem *problem = qp->problem;
    double x = qp->x[i];
    bool kinked = kink_cost(problem, i) > 0.0;
    qp->sign[i] = kinked && x < problem->kink[i] ? -1 : 1;
    qp->state[i] = x <= problem->lower[i]            ? VAR_AT_LOWER
                   : x >= problem->upper[i]          ? VAR_AT_UPPER
                   : kinked && x == problem->kink[i] ? VAR_AT_KINK
                                                     : VAR_FREE;
}

static void collect_free(struct qp_state *qp)
{
    qp->free_count = 0;
    for (size_t i = 0; i < qp->problem->n; i++) {
        if (qp->state[i] == VAR_FREE) {
            qp->free_index[qp->free_count++] = i;
        }
    }
}

/* Adds column i of A to the orthonormal basis (m-vectors) when it is independent of it. */
static bool basis_add(const struct qp_problem *problem, size_t i, double *basis, size_t *rank)
{
    size_t m = problem->m;
    double v[PORTFOLIO_QP_EQUALITIES_MAX];
    double norm_in = 0.0;
    for (size_t row = 0; row < m; row++) {
        v[row] = problem->A[row * problem->n + i];
        norm_in += v[row] * v[row];
    }
    for (size_t k = 0; k < *rank; k++) {
        double dot = 0.0;
        for (size_t row = 0; row < m; row++) {
            dot += basis[k * m + row] * v[row];
        }
        for (size_t row = 0; row < m; row++) {
            v[row] -= dot * basis[k * m + row];
        }
    }
    double norm = 0.0;
    for (size_t row = 0; row < m; row++) {
        norm += v[row] * v[row];
    }
    if (*rank == m || !(norm > 1e-20 * norm_in) || norm_in == 0.0) {
        return false;
    }
    for (size_t row = 0; row < m; row++) {
        basis[*rank * m + row] = v[row] / sqrt(norm);
    }
    (*rank)++;
    return true;
}

/*
 * The active-set method needs the free variables' columns of A to have full row rank.
 * Free variables come first; then fixed variables are freed, in index order, while they
 * add rank (they sit on their bound or kink, so the point stays feasible; the next step
 * fixes them again if they must not move, and then their constraint is independent).
 */
static enum tpw_err ensure_rank(struct qp_state *qp, struct tpw_error_detail *detail)
{
    const struct qp_problem *problem = qp->problem;
    double basis[PORTFOLIO_QP_EQUALITIES_MAX * PORTFOLIO_QP_EQUALITIES_MAX];
    size_t rank = 0;
    for (size_t i = 0; i < problem->n; i++) {
        if (qp->state[i] == VAR_FREE) {
            (void)basis_add(problem, i, basis, &rank);
        }
    }
    for (size_t i = 0; i < problem->n && rank < problem->m; i++) {
        if (qp->state[i] != VAR_FREE && basis_add(problem, i, basis, &rank)) {
            qp->state[i] = VAR_FREE;
        }
    }
    if (rank < problem->m) {
        return tpw_error_set(detail, TPW_ERR_OPT_CONSTRAINTS_DEPENDENT, 0,
                             "the %zu equality constraints have rank %zu", problem->m, rank);
    }
    collect_free(qp);
    return TPW_OK;
}

/* The gradient of the smooth part, (Px + q)_i. */
static double gradient(const struct qp_state *qp, size_t i)
{
    const struct qp_problem *problem = qp->problem;
    double g = problem->q[i];
    for (size_t j = 0; j < problem->n; j++) {
        g += problem->P[i * problem->n + j] * qp->x[j];
    }
    return g;
}

/*
 * The KKT system of the free variables F with the others fixed:
 *   [P_FF  A_Fᵀ] [y]   [−q_F − c·s_F − P_FW x_W]
 *   [A_F    0  ] [μ] = [ b − A_W x_W           ],  λ = −μ.
 */
static void build_kkt(struct qp_state *qp)
{
    const struct qp_problem *problem = qp->problem;
    size_t n = problem->n;
    size_t f = qp->free_count;
    size_t size = f + problem->m;
    memset(qp->kkt, 0, size * size * sizeof(double));
    for (size_t a = 0; a < f; a++) {
        size_t i = qp->free_index[a];
        double rhs = -problem->q[i] - kink_cost(problem, i) * qp->sign[i];
        for (size_t j = 0; j < n; j++) {
            rhs -= qp->state[j] != VAR_FREE ? problem->P[i * n + j] * qp->x[j] : 0.0;
        }
        qp->rhs[a] = rhs;
        for (size_t c = 0; c < f; c++) {
            qp->kkt[a * size + c] = problem->P[i * n + qp->free_index[c]];
        }
        for (size_t row = 0; row < problem->m; row++) {
            qp->kkt[a * size + f + row] = problem->A[row * n + i];
            qp->kkt[(f + row) * size + a] = problem->A[row * n + i];
        }
    }
    for (size_t row = 0; row < problem->m; row++) {
        double rhs = problem->b[row];
        for (size_t j = 0; j < n; j++) {
            rhs -= qp->state[j] != VAR_FREE ? problem->A[row * n + j] * qp->x[j] : 0.0;
        }
        qp->rhs[f + row] = rhs;
    }
}

static enum tpw_err solve_kkt(struct qp_state *qp, struct tpw_error_detail *detail)
{
    build_kkt(qp);
    size_t size = qp->free_count + qp->problem->m;
    TPW_ASSERT(size <= KKT_SIZE_MAX);
    if (size == 0) {
        return TPW_OK;
    }
    lapack_int order = (lapack_int)size;
    lapack_int info =
        LAPACKE_dsysv(LAPACK_ROW_MAJOR, 'U', order, 1, qp->kkt, order, qp->pivots, qp->rhs, 1);
    if (info != 0) {
        return tpw_error_set(detail, TPW_ERR_OPT_CONSTRAINTS_DEPENDENT, 0,
                             "singular KKT matrix (LAPACK dsysv info %d)", (int)info);
    }
    for (size_t row = 0; row < qp->problem->m; row++) {
        qp->lambda[row] = -qp->rhs[qp->free_count + row];
    }
    return TPW_OK;
}

/* Moves the free variables toward the KKT solution y (in qp->rhs) as far as their
 * segments allow; true when the whole step was taken. A blocking variable is set exactly
 * on its bound or kink and fixed there. */
static bool step(struct qp_state *qp)
{
    double alpha = 1.0;
    size_t blocking = SIZE_MAX;
    double limit_value = 0.0;
    for (size_t a = 0; a < qp->free_count; a++) {
        size_t i = qp->free_index[a];
        double p = qp->rhs[a] - qp->x[i];
        double lo = 0.0;
        double hi = 0.0;
        segment(qp, i, &lo, &hi);
        double limit = p < 0.0 ? lo : hi;
        /* A step of rounding size is no step: it must not fix a variable that the
         * equalities pin (it would leave A_F without full rank). */
        if (fabs(p) > QP_STEP_NEGLIGIBLE * (1.0 + fabs(qp->x[i])) && isfinite(limit)) {
            double ratio = (limit - qp->x[i]) / p;
            ratio = ratio < 0.0 ? 0.0 : ratio;
            if (ratio < alpha) {
                alpha = ratio;
                blocking = i;
                limit_value = limit;
            }
        }
    }
    for (size_t a = 0; a < qp->free_count; a++) {
        size_t i = qp->free_index[a];
        double lo = 0.0;
        double hi = 0.0;
        segment(qp, i, &lo, &hi);
        double x = blocking == SIZE_MAX ? qp->rhs[a] : qp->x[i] + alpha * (qp->rhs[a] - qp->x[i]);
        qp->x[i] = x < lo ? lo : x > hi ? hi : x;
    }
    if (blocking == SIZE_MAX) {
        return true;
    }
    qp->x[blocking] = limit_value;
    int sign = qp->sign[blocking];
    classify(qp, blocking);
    qp->sign[blocking] = sign;
    TPW_ASSERT(qp->state[blocking] != VAR_FREE);
    collect_free(qp);
    return false;
}

/* The slopes of the objective (with the multipliers' terms) moving x_i up and down. */
static void slopes(const struct qp_state *qp, size_t i, double *up, double *down)
{
    const struct qp_problem *problem = qp->problem;
    double r = gradient(qp, i);
    for (size_t row = 0; row < problem->m; row++) {
        r -= problem->A[row * problem->n + i] * qp->lambda[row];
    }
    double c = kink_cost(problem, i);
    double k = c > 0.0 ? problem->kink[i] : 0.0;
    *up = r + (c > 0.0 ? (qp->x[i] >= k ? c : -c) : 0.0);
    *down = -r + (c > 0.0 ? (qp->x[i] <= k ? c : -c) : 0.0);
}

/* The fixed variable whose release decreases the objective fastest, or SIZE_MAX at the
 * optimum; *up says which way it moves. */
static size_t most_violated(const struct qp_state *qp, double tolerance, bool *up)
{
    const struct qp_problem *problem = qp->problem;
    size_t best = SIZE_MAX;
    double worst = -tolerance;
    for (size_t i = 0; i < problem->n; i++) {
        if (qp->state[i] == VAR_FREE) {
            continue;
        }
        double slope_up = 0.0;
        double slope_down = 0.0;
        slopes(qp, i, &slope_up, &slope_down);
        bool can_up = qp->x[i] < problem->upper[i];
        bool can_down = qp->x[i] > problem->lower[i];
        if (can_up && slope_up < worst) {
            worst = slope_up;
            best = i;
            *up = true;
        }
        if (can_down && slope_down < worst) {
            worst = slope_down;
            best = i;
            *up = false;
        }
    }
    return best;
}

static double gradient_scale(const struct qp_state *qp)
{
    double scale = 1.0;
    for (size_t i = 0; i < qp->problem->n; i++) {
        double g = fabs(gradient(qp, i)) + kink_cost(qp->problem, i);
        scale = g > scale ? g : scale;
    }
    return scale;
}

/* The active-set iterations from a feasible qp->x. */
static enum tpw_err active_set(struct qp_state *qp, struct tpw_error_detail *detail)
{
    const struct qp_problem *problem = qp->problem;
    for (size_t i = 0; i < problem->n; i++) {
        classify(qp, i);
    }
    enum tpw_err err = ensure_rank(qp, detail);
    size_t iterations_max = 20 * (problem->n + problem->m) + 100;
    while (err == TPW_OK && qp->iterations < iterations_max) {
        qp->iterations++;
        err = solve_kkt(qp, detail);
        if (err != TPW_OK || !step(qp)) {
            continue;
        }
        bool up = false;
        size_t release = most_violated(qp, QP_OPTIMALITY_TOLERANCE * gradient_scale(qp), &up);
        if (release == SIZE_MAX) {
            return TPW_OK;
        }
        double k = kink_cost(problem, release) > 0.0 ? problem->kink[release] : 0.0;
        qp->sign[release] = up ? (qp->x[release] >= k ? 1 : -1) : (qp->x[release] <= k ? -1 : 1);
        qp->state[release] = VAR_FREE;
        collect_free(qp);
    }
    return err != TPW_OK
               ? err
               : tpw_error_set(detail, TPW_ERR_OPT_NOT_CONVERGED, 0,
                               "no optimum after %zu active-set iterations", qp->iterations);
}

/* The elastic problem's data: x and one artificial a_j per equality, Ax + a = b,
 * minimise ½‖x‖² + ½‖a‖² + C‖a‖₁. Its optimum has a = 0 exactly when the constraints
 * are feasible and C exceeds the multipliers (an exact penalty). */
struct elastic {
    double P[PORTFOLIO_QP_VARIABLES_MAX * PORTFOLIO_QP_VARIABLES_MAX];
    double q[PORTFOLIO_QP_VARIABLES_MAX];
    double A[PORTFOLIO_QP_EQUALITIES_MAX * PORTFOLIO_QP_VARIABLES_MAX];
    double lower[PORTFOLIO_QP_VARIABLES_MAX];
    double upper[PORTFOLIO_QP_VARIABLES_MAX];
    double kink[PORTFOLIO_QP_VARIABLES_MAX];
    double cost[PORTFOLIO_QP_VARIABLES_MAX];
    struct qp_problem problem;
};

static void elastic_build(const struct qp_problem *original, double penalty, struct elastic *e)
{
    size_t n = original->n;
    size_t m = original->m;
    size_t total = n + m;
    memset(e, 0, sizeof(*e));
    for (size_t i = 0; i < total; i++) {
        e->P[i * total + i] = 1.0;
        e->lower[i] = i < n ? original->lower[i] : -(double)INFINITY;
        e->upper[i] = i < n ? original->upper[i] : (double)INFINITY;
        e->cost[i] = i < n ? 0.0 : penalty;
    }
    for (size_t row = 0; row < m; row++) {
        memcpy(&e->A[row * total], &original->A[row * n], n * sizeof(double));
        e->A[row * total + n + row] = 1.0;
    }
    e->problem = (struct qp_problem){total,       m,        e->P,     e->q,    e->A,
                                     original->b, e->lower, e->upper, e->kink, e->cost};
}

/* A feasible point of `problem` into x, or TPW_ERR_OPT_INFEASIBLE. The penalty grows
 * until the residuals vanish or it is so large that they are the least possible. */
static enum tpw_err feasible_point(const struct qp_problem *problem, double *x,
                                   struct tpw_error_detail *detail)
{
    struct elastic *e = malloc(sizeof(*e));
    struct qp_state *qp = malloc(sizeof(*qp));
    enum tpw_err err = e == NULL || qp == NULL ? TPW_ERR_NOMEM : TPW_OK;
    double b_scale = 1.0;
    for (size_t row = 0; row < problem->m; row++) {
        b_scale = fabs(problem->b[row]) > b_scale ? fabs(problem->b[row]) : b_scale;
    }
    double residual = INFINITY;
    static const double penalties[] = {1e3, 1e6, 1e9, 1e12};
    for (size_t round = 0; err == TPW_OK && round < 4 && residual > 0.0; round++) {
        elastic_build(problem, penalties[round], e);
        memset(qp, 0, sizeof(*qp));
        qp->problem = &e->problem;
        for (size_t i = 0; i < problem->n; i++) {
            qp->x[i] = problem->lower[i] > 0.0   ? problem->lower[i]
                       : problem->upper[i] < 0.0 ? problem->upper[i]
                                                 : 0.0;
        }
        for (size_t row = 0; row < problem->m; row++) {
            double a = problem->b[row];
            for (size_t i = 0; i < problem->n; i++) {
                a -= problem->A[row * problem->n + i] * qp->x[i];
            }
            qp->x[problem->n + row] = a;
        }
        err = active_set(qp, detail);
        residual = 0.0;
        for (size_t row = 0; err == TPW_OK && row < problem->m; row++) {
            double a = fabs(qp->x[problem->n + row]);
            residual = a > QP_FEASIBILITY_TOLERANCE * b_scale && a > residual ? a : residual;
        }
    }
    if (err == TPW_OK && residual > 0.0) {
        err = tpw_error_set(detail, TPW_ERR_OPT_INFEASIBLE, 0,
                            "no point meets the constraints (residual %.3g)", residual);
    }
    if (err == TPW_OK) {
        memcpy(x, qp->x, problem->n * sizeof(double));
    }
    err = err == TPW_ERR_NOMEM ? tpw_error_set(detail, err, 0, "out of memory") : err;
    free(e);
    free(qp);
    return err;
}

static bool problem_valid(const struct qp_problem *problem)
{
    if (problem->n == 0 || problem->n > PORTFOLIO_QP_VARIABLES_MAX - problem->m ||
        problem->m > PORTFOLIO_QP_EQUALITIES_MAX) {
        return false;
    }
    for (size_t i = 0; i < problem->n; i++) {
        double c = kink_cost(problem, i);
        if (!(problem->lower[i] <= problem->upper[i]) || isnan(problem->q[i]) || !(c >= 0.0) ||
            (c > 0.0 && !isfinite(problem->kink[i]))) {
            return false;
        }
    }
    for (size_t k = 0; k < problem->n * problem->n; k++) {
        if (!isfinite(problem->P[k])) {
            return false;
        }
    }
    for (size_t k = 0; k < problem->m * problem->n; k++) {
        if (!isfinite(problem->A[k])) {
            return false;
        }
    }
    return true;
}

enum tpw_err portfolio__qp_solve(const struct qp_problem *problem, struct qp_solution *out,
                                 struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    if (!problem_valid(problem)) {
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                             "invalid quadratic program (%zu variables, %zu equalities)",
                             problem->n, problem->m);
    }
    struct qp_state *qp = malloc(sizeof(*qp));
    if (qp == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    memset(qp, 0, sizeof(*qp));
    qp->problem = problem;
    enum tpw_err err = feasible_point(problem, qp->x, detail);
    if (err == TPW_OK) {
        err = active_set(qp, detail);
    }
    if (err == TPW_OK) {
        memcpy(out->x, qp->x, problem->n * sizeof(double));
        memcpy(out->lambda, qp->lambda, problem->m * sizeof(double));
        out->iterations = qp->iterations;
        for (size_t i = 0; i < problem->n; i++) {
            TPW_ASSERT(out->x[i] >= problem->lower[i] && out->x[i] <= problem->upper[i]);
        }
    }
    free(qp);
    return err;
}

bool portfolio__is_positive_definite(size_t n, const double *matrix)
{
    TPW_ASSERT(n <= PORTFOLIO_QP_VARIABLES_MAX);
    /* On the stack (37 KiB at most): an allocation failure must not read as "not
     * positive definite". */
    double copy[PORTFOLIO_QP_VARIABLES_MAX * PORTFOLIO_QP_VARIABLES_MAX];
    bool symmetric = true;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double a = matrix[i * n + j];
            double b = matrix[j * n + i];
            symmetric = symmetric && isfinite(a) && fabs(a - b) <= 1e-12 * (fabs(a) + fabs(b));
        }
    }
    memcpy(copy, matrix, n * n * sizeof(double));
    lapack_int info =
        symmetric ? LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)n, copy, (lapack_int)n) : 1;
    return info == 0;
}
