/*
 * Hierarchical risk parity (López de Prado 2016) as PyPortfolioOpt's HRPOpt computes it
 * with single linkage, so that its published weights are reproduced to rounding:
 *   1. distance d_ij = √clip((1 − ρ_ij)/2, 0, 1);
 *   2. single-linkage clustering in scipy's order: Prim's minimum spanning tree from
 *      asset 0 (ties to the lowest index), the edges stably sorted by distance, and each
 *      merge labelled (smaller cluster id, larger cluster id) with new ids n, n+1, …;
 *   3. the leaves in pre-order of that tree (left child first): the quasi-diagonal order;
 *   4. recursive bisection of the ordered list (not of the tree): each half's variance
 *      under inverse-variance weights, α = 1 − V₁/(V₁ + V₂) to the first half.
 * The merge order matters with ties: a different but equally valid tree gives other
 * weights, hence copying scipy's choices exactly.
 */
#include <math.h>
#include <string.h>

#include "portfolio_int.h"
#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

#define N_MAX PORTFOLIO_OPT_ASSETS_MAX

/* One merge of the linkage: clusters left < right, at a distance. */
struct merge {
    size_t left;
    size_t right;
    double distance;
};

static double distance(const double *corr, size_t n, size_t i, size_t j)
{
    double d = (1.0 - corr[i * n + j]) / 2.0;
    return sqrt(d < 0.0 ? 0.0 : d > 1.0 ? 1.0 : d);
}

/* Prim's algorithm as scipy's mst_single_linkage runs it: the edge recorded at step k
 * joins the point added last (x) to the nearest point not yet merged (y). */
static void minimum_spanning_tree(const double *corr, size_t n, struct merge *edges)
{
    bool merged[N_MAX] = {false};
    double nearest[N_MAX];
    for (size_t i = 0; i < n; i++) {
        nearest[i] = INFINITY;
    }
    size_t x = 0;
    for (size_t k = 0; k + 1 < n; k++) {
        merged[x] = true;
        double best = INFINITY;
        size_t y = x;
        for (size_t i = 0; i < n; i++) {
            if (merged[i]) {
                continue;
            }
            double d = distance(corr, n, x, i);
            nearest[i] = d < nearest[i] ? d : nearest[i];
            if (nearest[i] < best) {
                best = nearest[i];
                y = i;
            }
        }
        TPW_ASSERT(y != x);
        edges[k] = (struct merge){x, y, best};
        x = y;
    }
}

/* Stable sort by distance (scipy uses a mergesort); n − 1 ≤ 63 edges. */
static void sort_stable(struct merge *edges, size_t count)
{
    for (size_t k = 1; k < count; k++) {
        struct merge edge = edges[k];
        size_t slot = k;
        while (slot > 0 && edges[slot - 1].distance > edge.distance) {
            edges[slot] = edges[slot - 1];
            slot--;
        }
        edges[slot] = edge;
    }
}

static size_t find_root(const size_t *parent, size_t node)
{
    while (parent[node] != node) {
        node = parent[node];
    }
    return node;
}

/* scipy's label(): each edge's points become their clusters' ids, smaller first; the
 * k-th merge creates cluster n + k. */
static void label(struct merge *edges, size_t n)
{
    size_t parent[(size_t)2 * N_MAX];
    for (size_t i = 0; i < 2 * n; i++) {
        parent[i] = i;
    }
    for (size_t k = 0; k + 1 < n; k++) {
        size_t a = find_root(parent, edges[k].left);
        size_t b = find_root(parent, edges[k].right);
        TPW_ASSERT(a != b);
        edges[k].left = a < b ? a : b;
        edges[k].right = a < b ? b : a;
        parent[a] = n + k;
        parent[b] = n + k;
    }
}

/* The leaves under the root in pre-order (left first), with an explicit stack. */
static void pre_order(const struct merge *merges, size_t n, size_t *order)
{
    size_t stack[(size_t)2 * N_MAX];
    size_t depth = 0;
    size_t count = 0;
    stack[depth++] = 2 * n - 2;
    while (depth > 0) {
        size_t node = stack[--depth];
        if (node < n) {
            order[count++] = node;
            continue;
        }
        TPW_ASSERT(node - n < n - 1 && depth + 2 <= (size_t)2 * N_MAX);
        stack[depth++] = merges[node - n].right;
        stack[depth++] = merges[node - n].left;
    }
    TPW_ASSERT(count == n);
}

/* The variance of a cluster (a run of `order`) under its inverse-variance weights. */
static double cluster_variance(const double *cov, size_t n, const size_t *members, size_t count)
{
    double ivp[N_MAX];
    double total = 0.0;
    for (size_t a = 0; a < count; a++) {
        ivp[a] = 1.0 / cov[members[a] * n + members[a]];
        total += ivp[a];
    }
    double variance = 0.0;
    for (size_t a = 0; a < count; a++) {
        double row = 0.0;
        for (size_t c = 0; c < count; c++) {
            row += ivp[c] / total * cov[members[c] * n + members[a]];
        }
        variance += row * ivp[a] / total;
    }
    return variance;
}

/* Splits the run in halves (the first has count/2), gives them α and 1 − α, recurses. The
 * depth is log2(64) = 6. */
static void bisect(const double *cov, size_t n, const size_t *members, size_t count,
                   double *weights)
{
    if (count < 2) {
        return;
    }
    size_t half = count / 2;
    double first = cluster_variance(cov, n, members, half);
    double second = cluster_variance(cov, n, members + half, count - half);
    double alpha = 1.0 - first / (first + second);
    for (size_t a = 0; a < count; a++) {
        weights[members[a]] *= a < half ? alpha : 1.0 - alpha;
    }
    bisect(cov, n, members, half, weights);
    bisect(cov, n, members + half, count - half, weights);
}

static enum tpw_err validate(size_t n, const double *covariance, const double *correlation,
                             struct tpw_error_detail *detail)
{
    if (n == 0 || n > N_MAX) {
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0, "%zu assets (1..64)", n);
    }
    for (size_t k = 0; k < n * n; k++) {
        if (!isfinite(covariance[k]) || !(fabs(correlation[k]) <= 1.0 + 1e-12)) {
            return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                                 "HRP needs finite covariances and correlations in [-1, 1]");
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!(covariance[i * n + i] > 0.0)) {
            return tpw_error_set(detail, TPW_ERR_OPT_COVARIANCE_NOT_PD, 0,
                                 "asset %zu has variance %g", i + 1, covariance[i * n + i]);
        }
    }
    return TPW_OK;
}

enum tpw_err portfolio_hrp(size_t assets_count, const double *covariance, const double *correlation,
                           double *weights, struct tpw_error_detail *detail)
{
    size_t n = assets_count;
    enum tpw_err err = validate(n, covariance, correlation, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct merge merges[N_MAX];
    size_t order[N_MAX];
    memset(merges, 0, sizeof(merges));
    if (n > 1) {
        minimum_spanning_tree(correlation, n, merges);
        sort_stable(merges, n - 1);
        label(merges, n);
    }
    pre_order(merges, n, order);
    for (size_t i = 0; i < n; i++) {
        weights[i] = 1.0;
    }
    bisect(covariance, n, order, n, weights);
    return TPW_OK;
}
