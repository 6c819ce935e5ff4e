/*
 * Randomized property test: every rounding point of the fx legs against GMP. Each leg
 * is recomputed with mpz integers from the graph's own inputs (the tier rule, the fee
 * clamp(fixed + ceil(in × bps / 10000), min, max), net = in − fee, the conversion
 * rounded down on the exact value, the refusals) and compared with what
 * fx_route_evaluate reports; multi-leg routes chain the oracle; BUY's least input is
 * found by a binary search on the oracle; the saving in basis points is recomputed
 * exactly. Written from the public header only. TPW_TEST_SEED=<n> replays a run.
 */
#include "tpw_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <gmp.h>

#include "fx_random.h"
#include "tpwallet/fx.h"
#include "tpwallet/prng.h"

#include "banned.h"

#define LEG_GRAPHS 12000u
#define AMOUNTS_PER_GRAPH 8u
#define BUY_GRAPHS 3000u
#define SAVING_GRAPHS 6000u

static uint64_t g_seed;
static uint64_t g_legs_checked;
static uint64_t g_buys_checked;
static uint64_t g_savings_checked;

static struct {
    mpz_t in, fee, net, out, num, den, t, max;
} g;

static void z_set_u128(mpz_t z, tpw_u128 v)
{
    const uint64_t words[2] = {(uint64_t)v, (uint64_t)(v >> 64)};
    mpz_import(z, 2, -1, sizeof(words[0]), 0, 0, words);
}

static tpw_u128 z_get_u128(const mpz_t z)
{
    uint64_t words[2] = {0, 0};
    size_t count = 0;
    assert_true(mpz_sgn(z) >= 0 && mpz_sizeinbase(z, 2) <= 128);
    mpz_export(words, &count, -1, sizeof(words[0]), 0, 0, z);
    return ((tpw_u128)words[1] << 64) | words[0];
}

static void z_pow10(mpz_t z, unsigned exponent)
{
    mpz_ui_pow_ui(z, 10, exponent);
}

static void fail_case(const struct fx_random_graph *graph, const char *what, const char *from,
                      const char *to, tpw_u128 amount)
{
    char text[TPW_U128_DEC_SIZE];
    tpw_u128_to_dec(amount, text, sizeof(text));
    print_error("test_fx_gmp: MISMATCH (%s) seed %" PRIu64 " (rerun with TPW_TEST_SEED=%" PRIu64
                ")\n  %s -> %s amount %s\n",
                what, g_seed, g_seed, from, to, text);
    fx_random_print(graph);
    fail();
}

/* The tiers of corridor from → to: its own entry, or the default. */
static const struct fx_fee_tiers *tiers_of(const struct fx_random_graph *graph, const char *from,
                                           const char *to)
{
    for (size_t index = 0; index < graph->spec.corridor_count; index++) {
        const struct fx_corridor_fee *corridor = &graph->corridors[index];
        if (strcmp(corridor->from, from) == 0 && strcmp(corridor->to, to) == 0) {
            return &corridor->tiers;
        }
    }
    return &graph->spec.default_fees;
}

/* The exponent of `code`, which the graph holds. */
static unsigned exponent_of(const struct fx_random_graph *graph, const char *code)
{
    size_t index = 0;
    while (index + 1 < graph->spec.asset_count && strcmp(graph->assets[index].code, code) != 0) {
        index++;
    }
    assert_string_equal(graph->assets[index].code, code);
    return graph->assets[index].exponent;
}

/* g.fee = the fee on g.in: the tier with the highest threshold ≤ in, then
 * clamp(fixed + ceil(in × bps / 10000), min, max). */
static void oracle_fee(const struct fx_fee_tiers *tiers)
{
    mpz_set_ui(g.fee, 0);
    if (tiers->tier_count == 0) {
        return;
    }
    uint32_t chosen = 0;
    for (uint32_t index = 0; index < tiers->tier_count; index++) {
        z_set_u128(g.t, tiers->tier[index].threshold_minor);
        if (mpz_cmp(g.t, g.in) <= 0) {
            chosen = index;
        }
    }
    const struct money_fee_schedule *schedule = &tiers->tier[chosen].schedule;
    mpz_mul_ui(g.t, g.in, schedule->proportional_bps);
    mpz_cdiv_q_ui(g.t, g.t, MONEY_BPS_ONE); /* up: the customer pays */
    z_set_u128(g.fee, schedule->fixed_minor);
    mpz_add(g.fee, g.fee, g.t);
    z_set_u128(g.t, schedule->min_minor);
    if (mpz_cmp(g.fee, g.t) < 0) {
        mpz_set(g.fee, g.t);
    }
    z_set_u128(g.t, schedule->max_minor);
    if (mpz_cmp(g.fee, g.t) > 0) {
        mpz_set(g.fee, g.t);
    }
}

/* One leg from → to on g.in: g.fee, g.net, g.out and the error the leg must give. */
static enum tpw_err oracle_leg(const struct fx_random_graph *graph, const char *from,
                               const char *to)
{
    oracle_fee(tiers_of(graph, from, to));
    if (mpz_cmp(g.fee, g.in) >= 0) {
        return TPW_ERR_FX_AMOUNT_TOO_SMALL;
    }
    mpz_sub(g.net, g.in, g.fee);
    const struct fx_quote *pair = NULL;
    for (size_t index = 0; index < graph->spec.quote_count && pair == NULL; index++) {
        const struct fx_quote *quote = &graph->quotes[index];
        bool forward = strcmp(quote->base, from) == 0 && strcmp(quote->quote, to) == 0;
        bool backward = strcmp(quote->base, to) == 0 && strcmp(quote->quote, from) == 0;
        pair = forward || backward ? quote : NULL;
    }
    assert_non_null(pair);
    unsigned from_exp = exponent_of(graph, from);
    unsigned to_exp = exponent_of(graph, to);
    z_pow10(g.num, to_exp);
    mpz_mul(g.num, g.num, g.net);
    z_pow10(g.den, from_exp);
    if (strcmp(pair->base, from) == 0) {
        /* Selling base at the bid: net × bid × 10^to / (10^18 × 10^from), down. */
        z_set_u128(g.t, pair->bid.value_e18);
        mpz_mul(g.num, g.num, g.t);
        mpz_mul_ui(g.den, g.den, 1000000000000000000u);
    } else {
        /* Buying base at the ask: net × 10^18 × 10^to / (ask × 10^from), down. */
        mpz_mul_ui(g.num, g.num, 1000000000000000000u);
        z_set_u128(g.t, pair->ask.value_e18);
        mpz_mul(g.den, g.den, g.t);
    }
    mpz_fdiv_q(g.out, g.num, g.den);
    if (mpz_sgn(g.out) == 0) {
        return TPW_ERR_FX_AMOUNT_TOO_SMALL;
    }
    return mpz_cmp(g.out, g.max) > 0 ? TPW_ERR_OVERFLOW : TPW_OK;
}

/* Runs `path` through the library and the oracle, leg by leg. */
static void check_path(const struct fx_random_graph *graph, const fx_graph *built,
                       const char *const *path, size_t len, tpw_u128 amount)
{
    struct fx_route route;
    memset(&route, 0, sizeof(route));
    enum tpw_err got = fx_route_evaluate(built, path, len, amount, &route, NULL);
    z_set_u128(g.in, amount);
    for (size_t leg = 0; leg + 1 < len; leg++) {
        enum tpw_err want = oracle_leg(graph, path[leg], path[leg + 1]);
        const struct fx_leg *mine = &route.legs[leg];
        g_legs_checked++;
        if (mpz_cmp(g.fee, g.max) <= 0 && z_get_u128(g.fee) != mine->fee_minor) {
            fail_case(graph, "fee", path[leg], path[leg + 1], amount);
        }
        if (z_get_u128(g.in) != mine->in_minor) {
            fail_case(graph, "leg input", path[leg], path[leg + 1], amount);
        }
        if (want != TPW_OK) {
            if (got != want) {
                fail_case(graph, "error", path[leg], path[leg + 1], amount);
            }
            return;
        }
        if (z_get_u128(g.out) != mine->out_minor) {
            fail_case(graph, "converted amount", path[leg], path[leg + 1], amount);
        }
        mpz_set(g.in, g.out);
    }
    if (got != TPW_OK || route.in_minor != amount || z_get_u128(g.out) != route.out_minor ||
        route.leg_count + 1 != len) {
        fail_case(graph, "route totals", path[0], path[len - 1], amount);
    }
}

/* Paths of two or three currencies over a three-currency graph with every pair. */
static void test_legs_against_gmp(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, g_seed);
    static struct fx_random_graph graph;
    for (unsigned index = 0; index < LEG_GRAPHS; index++) {
        fx_random_graph(&prng, 3, 100, &graph);
        fx_graph *built = NULL;
        assert_err(fx_graph_create(&graph.spec, &built, NULL), TPW_OK);
        for (unsigned amount_index = 0; amount_index < AMOUNTS_PER_GRAPH; amount_index++) {
            size_t first = (size_t)tpw_prng_below(&prng, 3);
            size_t turn = 1 + (size_t)tpw_prng_below(&prng, 2);
            const char *const path[3] = {graph.assets[first].code,
                                         graph.assets[(first + turn) % 3].code,
                                         graph.assets[(first + 2 * turn) % 3].code};
            check_path(&graph, built, path, 2 + (size_t)tpw_prng_below(&prng, 2),
                       fx_random_amount(&prng));
        }
        fx_graph_destroy(built);
    }
    print_message("test_fx_gmp: %" PRIu64 " legs checked\n", g_legs_checked);
}

/* Whether `x` delivers at least `wanted` on the leg from → to, by the oracle. */
static bool oracle_delivers(const struct fx_random_graph *graph, const char *from, const char *to,
                            tpw_u128 x, tpw_u128 wanted)
{
    z_set_u128(g.in, x);
    enum tpw_err err = oracle_leg(graph, from, to);
    if (err == TPW_ERR_FX_AMOUNT_TOO_SMALL) {
        return false;
    }
    z_set_u128(g.t, wanted);
    return mpz_cmp(g.out, g.t) >= 0;
}

/* BUY over a single pair: the least input by binary search on the oracle. */
static void check_buy(const struct fx_random_graph *graph, const fx_graph *built, const char *from,
                      const char *to, tpw_u128 wanted)
{
    struct fx_route_explanation got;
    enum tpw_err err = fx_route_find(built, FX_ROUTE_BUY, from, to, wanted, &got, NULL);
    g_buys_checked++;
    if (!oracle_delivers(graph, from, to, TPW_U128_MAX, wanted)) {
        if (err != TPW_ERR_OVERFLOW) {
            fail_case(graph, "buy with no input below 2^128", from, to, wanted);
        }
        return;
    }
    tpw_u128 lo = 1;
    tpw_u128 hi = TPW_U128_MAX;
    for (int step = 0; step < 130 && lo < hi; step++) {
        tpw_u128 mid = lo + (hi - lo) / 2;
        if (oracle_delivers(graph, from, to, mid, wanted)) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    z_set_u128(g.in, lo);
    enum tpw_err forward = oracle_leg(graph, from, to);
    if (err != forward || (err == TPW_OK && got.best.in_minor != lo)) {
        fail_case(graph, "buy least input", from, to, wanted);
    }
}

static void test_buy_against_gmp(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, g_seed ^ 1u);
    static struct fx_random_graph graph;
    for (unsigned index = 0; index < BUY_GRAPHS; index++) {
        fx_random_graph(&prng, 2, 100, &graph);
        fx_graph *built = NULL;
        assert_err(fx_graph_create(&graph.spec, &built, NULL), TPW_OK);
        for (size_t from = 0; from < 2; from++) {
            check_buy(&graph, built, graph.assets[from].code, graph.assets[1 - from].code,
                      fx_random_amount(&prng));
        }
        fx_graph_destroy(built);
    }
    print_message("test_fx_gmp: %" PRIu64 " least inputs checked\n", g_buys_checked);
}

/* saving = gain × 10000 / base, rounded down, saturated at 2^128-1. */
static tpw_u128 oracle_saving(tpw_u128 better, tpw_u128 worse, bool sell)
{
    z_set_u128(g.num, sell ? better : worse);
    z_set_u128(g.t, sell ? worse : better);
    mpz_sub(g.num, g.num, g.t);
    mpz_mul_ui(g.num, g.num, MONEY_BPS_ONE);
    z_set_u128(g.den, worse);
    mpz_fdiv_q(g.out, g.num, g.den);
    return mpz_cmp(g.out, g.max) > 0 ? TPW_U128_MAX : z_get_u128(g.out);
}

static void test_saving_against_gmp(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, g_seed ^ 2u);
    static struct fx_random_graph graph;
    for (unsigned index = 0; index < SAVING_GRAPHS; index++) {
        fx_random_graph(&prng, 3, 100, &graph);
        fx_graph *built = NULL;
        assert_err(fx_graph_create(&graph.spec, &built, NULL), TPW_OK);
        bool sell = index % 2 == 0;
        const char *from = graph.assets[0].code;
        const char *to = graph.assets[1].code;
        struct fx_route_explanation got;
        tpw_u128 amount = fx_random_amount(&prng);
        if (fx_route_find(built, sell ? FX_ROUTE_SELL : FX_ROUTE_BUY, from, to, amount, &got,
                          NULL) == TPW_OK &&
            got.saving_known) {
            tpw_u128 want = sell ? oracle_saving(got.best.out_minor, got.direct.out_minor, true)
                                 : oracle_saving(got.best.in_minor, got.direct.in_minor, false);
            if (want != got.saving_bps) {
                fail_case(&graph, "saving_bps", from, to, amount);
            }
            g_savings_checked++;
        }
        fx_graph_destroy(built);
    }
    print_message("test_fx_gmp: %" PRIu64 " savings checked\n", g_savings_checked);
    assert_true(g_savings_checked > SAVING_GRAPHS / 4);
}

static int setup(void **state)
{
    (void)state;
    g_seed = tpw_test_seed("test_fx_gmp", UINT64_C(0x6678676d70666565)); /* "fxgmpfee" */
    mpz_inits(g.in, g.fee, g.net, g.out, g.num, g.den, g.t, g.max, NULL);
    z_set_u128(g.max, TPW_U128_MAX);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mpz_clears(g.in, g.fee, g.net, g.out, g.num, g.den, g.t, g.max, NULL);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legs_against_gmp),
        cmocka_unit_test(test_buy_against_gmp),
        cmocka_unit_test(test_saving_against_gmp),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
