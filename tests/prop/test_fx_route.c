/*
 * Randomized property test: fx_route_find's chosen route is the best of ALL routes of
 * at most three legs, on random graphs (fx_random.c: 2..8 currencies, then fewer graphs
 * of 9..16; exponents 0..18, random spreads, fee tiers per corridor, amounts of every
 * magnitude), SELL and BUY; then larger graphs, and dense ones where the search prunes.
 *
 * The brute force shares nothing with the search but fx_route_evaluate (whose legs the
 * GMP oracle checks in test_fx_gmp): it lists every path, runs each forward for SELL,
 * and for BUY finds each path's least input by binary search on the forward legs, last
 * leg first. Then it applies the documented order (most received / least sent, then
 * fewer legs, then codes in byte order) and the documented errors, and the search must
 * agree exactly: same error, same path, same amounts, same direct-pair result; a BUY's
 * input minus one must not deliver. TPW_TEST_SEED=<n> replays a run.
 */
#include "tpw_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fx_random.h"
#include "tpwallet/fx.h"
#include "tpwallet/prng.h"

#include "banned.h"

#define GRAPHS 1500u
#define LARGE_GRAPHS 120u
#define DENSE_GRAPHS 150u
#define QUERIES_PER_GRAPH 3u
#define PATH_MAX_LEN (FX_ROUTE_LEGS_MAX + 1)

/* What the brute force found for one path. */
struct candidate {
    enum tpw_err err; /* TPW_OK, or the error a route with this path gives */
    tpw_u128 value;   /* SELL: received; BUY: least input */
    const char *path[PATH_MAX_LEN];
    size_t len;
};

struct expected {
    enum tpw_err err;
    struct candidate best;
    bool any_path;
};

static uint64_t g_seed;
static uint64_t g_case;
static uint64_t g_counts[2][4]; /* [sell, buy][legs 1..3 or error] */

/* Earlier in the documented order: fewer legs, then codes in byte order. */
static bool path_first(const struct candidate *a, const struct candidate *b)
{
    if (a->len != b->len) {
        return a->len < b->len;
    }
    for (size_t index = 0; index < a->len; index++) {
        int order = strcmp(a->path[index], b->path[index]);
        if (order != 0) {
            return order < 0;
        }
    }
    return false;
}

/* The least y with leg(y) ≥ wanted (a leg that overflows delivers); false if none. */
static bool least_leg_input(const fx_graph *graph, const char *const *leg, tpw_u128 wanted,
                            tpw_u128 *least)
{
    struct fx_route route;
    tpw_u128 lo = 1;
    tpw_u128 hi = TPW_U128_MAX;
    enum tpw_err err = fx_route_evaluate(graph, leg, 2, hi, &route, NULL);
    if (!(err == TPW_ERR_OVERFLOW || (err == TPW_OK && route.out_minor >= wanted))) {
        return false;
    }
    for (int step = 0; step < 130 && lo < hi; step++) {
        tpw_u128 mid = lo + (hi - lo) / 2;
        err = fx_route_evaluate(graph, leg, 2, mid, &route, NULL);
        if (err == TPW_ERR_OVERFLOW || (err == TPW_OK && route.out_minor >= wanted)) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    assert_true(lo == hi);
    *least = lo;
    return true;
}

/* One path's outcome: SELL runs it, BUY inverts it leg by leg. */
static void brute_path(const fx_graph *graph, bool sell, tpw_u128 amount, struct candidate *c)
{
    struct fx_route route;
    if (sell) {
        c->err = fx_route_evaluate(graph, c->path, c->len, amount, &route, NULL);
        c->value = route.out_minor;
        return;
    }
    c->err = fx_route_evaluate(graph, c->path, c->len, 1, &route, NULL);
    if (c->err == TPW_ERR_FX_ROUTE_INVALID) {
        return;
    }
    tpw_u128 need = amount;
    for (size_t leg = c->len - 1; leg > 0; leg--) {
        if (!least_leg_input(graph, &c->path[leg - 1], need, &need)) {
            c->err = TPW_ERR_OVERFLOW; /* no input below 2^128 */
            return;
        }
    }
    c->err = TPW_OK;
    c->value = need;
}

static bool candidate_better(bool sell, const struct candidate *a, const struct candidate *b)
{
    if (a->value != b->value) {
        return sell ? a->value > b->value : a->value < b->value;
    }
    return path_first(a, b);
}

struct query {
    const struct fx_random_graph *random;
    const fx_graph *graph;
    const char *from;
    const char *to;
    tpw_u128 amount;
    bool sell;
};

/* Weighs one candidate into the expectation; keeps the direct path's result aside. */
static void brute_take(const struct query *q, struct candidate *c, struct expected *out, bool *have,
                       bool *overflow, struct candidate *direct)
{
    brute_path(q->graph, q->sell, q->amount, c);
    if (c->err == TPW_ERR_FX_ROUTE_INVALID) {
        return;
    }
    out->any_path = true;
    if (c->len == 2) {
        *direct = *c;
    }
    if (c->err == TPW_ERR_OVERFLOW) {
        *overflow = true;
    } else if (c->err == TPW_OK && (!*have || candidate_better(q->sell, c, &out->best))) {
        out->best = *c;
        *have = true;
    }
}

static void brute_force(const struct query *q, struct expected *out, struct candidate *direct)
{
    memset(out, 0, sizeof(*out));
    memset(direct, 0, sizeof(*direct));
    direct->err = TPW_ERR_FX_ROUTE_INVALID;
    bool have = false;
    bool overflow = false;
    size_t n = q->random->spec.asset_count;
    /* Middles: none, one (a), or two (a, b); SIZE_MAX marks an unused slot. */
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = 0; b <= n; b++) {
            if ((a == n && b != n) || (a != n && a == b)) {
                continue;
            }
            struct candidate c = {.path = {q->from}, .len = 1};
            const size_t middle[2] = {a, b};
            bool simple = true;
            for (size_t m = 0; m < 2 && middle[m] < n; m++) {
                const char *code = q->random->assets[middle[m]].code;
                simple = simple && strcmp(code, q->from) != 0 && strcmp(code, q->to) != 0;
                c.path[c.len++] = code;
            }
            if (simple) {
                c.path[c.len++] = q->to;
                brute_take(q, &c, out, &have, &overflow, direct);
            }
        }
    }
    if (!out->any_path) {
        out->err = TPW_ERR_FX_NO_ROUTE;
    } else if (q->sell) {
        out->err = overflow ? TPW_ERR_OVERFLOW : have ? TPW_OK : TPW_ERR_FX_AMOUNT_TOO_SMALL;
    } else if (!have) {
        out->err = TPW_ERR_OVERFLOW;
    } else {
        struct fx_route route;
        out->err = fx_route_evaluate(q->graph, out->best.path, out->best.len, out->best.value,
                                     &route, NULL);
        assert_true(out->err == TPW_OK || out->err == TPW_ERR_OVERFLOW);
    }
}

static void print_value(const char *label, tpw_u128 value)
{
    char text[TPW_U128_DEC_SIZE];
    tpw_u128_to_dec(value, text, sizeof(text));
    print_error("  %s %s\n", label, text);
}

static void report(const struct query *q, const struct expected *want,
                   const struct fx_route_explanation *got, enum tpw_err got_err, const char *what)
{
    print_error("test_fx_route: MISMATCH (%s) seed %" PRIu64 " case %" PRIu64
                " (rerun with TPW_TEST_SEED=%" PRIu64 ")\n",
                what, g_seed, g_case, g_seed);
    print_error("  %s %s -> %s\n", q->sell ? "SELL" : "BUY", q->from, q->to);
    print_value("amount", q->amount);
    print_error("  expected %s, got %s\n", tpw_err_name(want->err), tpw_err_name(got_err));
    if (want->err == TPW_OK) {
        print_error("  expected path:");
        for (size_t index = 0; index < want->best.len; index++) {
            print_error(" %s", want->best.path[index]);
        }
        print_error("\n");
        print_value("expected value", want->best.value);
    }
    if (got_err == TPW_OK) {
        print_error("  got %zu legs, first to %s\n", got->best.leg_count, got->best.legs[0].to);
        print_value("got in", got->best.in_minor);
        print_value("got out", got->best.out_minor);
    }
    fx_random_print(q->random);
    fail();
}

/* The direct pair's part of the explanation against the brute force's direct path. */
static void check_direct(const struct query *q, const struct expected *want,
                         const struct candidate *direct, const struct fx_route_explanation *got)
{
    if (got->direct_exists != (direct->err != TPW_ERR_FX_ROUTE_INVALID)) {
        report(q, want, got, TPW_OK, "direct_exists");
    }
    if (!got->direct_exists) {
        assert_false(got->saving_known);
        return;
    }
    enum tpw_err err = direct->err;
    struct fx_route route;
    memset(&route, 0, sizeof(route));
    if (err == TPW_OK || q->sell) {
        /* SELL: the direct run itself; BUY: the direct path's least input, run forward. */
        err = fx_route_evaluate(q->graph, direct->path, 2, q->sell ? q->amount : direct->value,
                                &route, NULL);
    }
    if (got->direct_err != err || got->saving_known != (err == TPW_OK)) {
        report(q, want, got, TPW_OK, "direct_err");
    }
    if (err == TPW_OK &&
        (got->direct.in_minor != route.in_minor || got->direct.out_minor != route.out_minor)) {
        report(q, want, got, TPW_OK, "direct amounts");
    }
}

static void check_route(const struct query *q, const struct expected *want,
                        const struct fx_route_explanation *got)
{
    const struct fx_route *best = &got->best;
    bool path_ok = best->leg_count + 1 == want->best.len;
    for (size_t index = 0; path_ok && index < best->leg_count; index++) {
        path_ok = strcmp(best->legs[index].from, want->best.path[index]) == 0 &&
                  strcmp(best->legs[index].to, want->best.path[index + 1]) == 0;
    }
    if (!path_ok) {
        report(q, want, got, TPW_OK, "path");
    }
    if (q->sell && (best->in_minor != q->amount || best->out_minor != want->best.value)) {
        report(q, want, got, TPW_OK, "sell amounts");
    }
    if (!q->sell) {
        if (best->in_minor != want->best.value || best->out_minor < q->amount) {
            report(q, want, got, TPW_OK, "buy amounts");
        }
        /* One minor unit less must not deliver the amount. */
        struct fx_route less;
        enum tpw_err err = fx_route_evaluate(q->graph, want->best.path, want->best.len,
                                             best->in_minor - 1, &less, NULL);
        if (err == TPW_OK ? less.out_minor >= q->amount : err != TPW_ERR_FX_AMOUNT_TOO_SMALL) {
            report(q, want, got, TPW_OK, "buy input not least");
        }
    }
}

static void check_query(const struct query *q)
{
    struct expected want;
    struct candidate direct;
    brute_force(q, &want, &direct);
    struct fx_route_explanation got;
    memset(&got, 0, sizeof(got));
    enum tpw_err err = fx_route_find(q->graph, q->sell ? FX_ROUTE_SELL : FX_ROUTE_BUY, q->from,
                                     q->to, q->amount, &got, NULL);
    if (err != want.err) {
        report(q, &want, &got, err, "error");
    }
    g_counts[q->sell ? 0 : 1][err == TPW_OK ? got.best.leg_count : 0]++;
    if (err == TPW_OK) {
        check_route(q, &want, &got);
        check_direct(q, &want, &direct, &got);
    }
}

/* `graphs` random graphs of n_min..n_max currencies with pair_min..100% of the pairs
 * quoted, QUERIES_PER_GRAPH queries each way. */
static void run_graphs(struct tpw_prng *prng, uint64_t graphs, size_t n_min, size_t n_max,
                       unsigned pair_min)
{
    static struct fx_random_graph random;
    for (uint64_t graph_index = 0; graph_index < graphs; graph_index++) {
        size_t n = n_min + (size_t)tpw_prng_below(prng, n_max - n_min + 1);
        unsigned pair_percent = pair_min + (unsigned)tpw_prng_below(prng, 101 - pair_min);
        fx_random_graph(prng, n, pair_percent, &random);
        fx_graph *graph = NULL;
        assert_err(fx_graph_create(&random.spec, &graph, NULL), TPW_OK);
        for (unsigned query = 0; query < 2 * QUERIES_PER_GRAPH; query++, g_case++) {
            size_t from = (size_t)tpw_prng_below(prng, n);
            size_t to = (from + 1 + (size_t)tpw_prng_below(prng, n - 1)) % n;
            const struct query q = {.random = &random,
                                    .graph = graph,
                                    .from = random.assets[from].code,
                                    .to = random.assets[to].code,
                                    .amount = fx_random_amount(prng),
                                    .sell = query % 2 == 0};
            check_query(&q);
        }
        fx_graph_destroy(graph);
    }
}

static void test_route_is_best_of_all_routes(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, g_seed);
    run_graphs(&prng, GRAPHS, 2, 8, 30);
    static const char *const names[2] = {"sell", "buy"};
    for (int direction = 0; direction < 2; direction++) {
        print_message("test_fx_route: %s: %" PRIu64 " errors, %" PRIu64 " / %" PRIu64 " / %" PRIu64
                      " routes of 1 / 2 / 3 legs\n",
                      names[direction], g_counts[direction][0], g_counts[direction][1],
                      g_counts[direction][2], g_counts[direction][3]);
        /* The generator must reach every kind of answer, or the test proves little. */
        for (int legs = 0; legs < 4; legs++) {
            assert_true(g_counts[direction][legs] > 0);
        }
    }
}

/* Fewer, larger graphs: many pivots per search, so the pivot bars and bounds prune. */
static void test_route_is_best_on_larger_graphs(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, g_seed ^ UINT64_C(0x9e3779b97f4a7c15));
    run_graphs(&prng, LARGE_GRAPHS, 9, FX_RANDOM_CURRENCIES_MAX, 30);
}

/* Graphs where nearly every pair is quoted and at least 8 pivots meet in each search, so
 * route.c skips pivots and two-leg routes by its bounds on value (PRUNE_CANDIDATES_MIN):
 * a bound that were not an upper bound would show here as a missed best route. */
static void test_route_is_best_on_dense_graphs(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, g_seed ^ UINT64_C(0xd1b54a32d192ed03));
    run_graphs(&prng, DENSE_GRAPHS, 11, FX_RANDOM_CURRENCIES_MAX, 90);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_is_best_of_all_routes),
        cmocka_unit_test(test_route_is_best_on_larger_graphs),
        cmocka_unit_test(test_route_is_best_on_dense_graphs),
    };
    g_seed = tpw_test_seed("test_fx_route", UINT64_C(0x66787270726f7574)); /* "fxrprout" */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
