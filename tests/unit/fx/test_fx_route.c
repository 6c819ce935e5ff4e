/*
 * The route search on hand-made graphs: the triangular EUR→USD→TWD route beating a wide
 * direct spread, a fixed fee that keeps the direct pair best for small amounts only
 * (both sides of the threshold), fee tiers at their thresholds, each rounding point on
 * a worked example, the explanation's fields and saving, and every error of
 * fx_route_find and fx_route_evaluate.
 */
#include "tpw_test.h"

#include <string.h>

#include "fx_fixture.h"
#include "tpwallet/fx.h"

#include "banned.h"

/* EUR, USD, TWD at two decimals; EUR/TWD quoted with a wide spread. */
static fx_graph *triangle(const struct fx_corridor_fee *corridors, size_t corridor_count)
{
    static struct money_asset assets[3];
    static struct fx_quote quotes[3];
    assets[0] = fx_fixture_asset("EUR", 2);
    assets[1] = fx_fixture_asset("USD", 2);
    assets[2] = fx_fixture_asset("TWD", 2);
    quotes[0] = fx_fixture_quote("EUR", "USD", "1.1680", "1.1690");
    quotes[1] = fx_fixture_quote("USD", "TWD", "32.10", "32.20");
    quotes[2] = fx_fixture_quote("EUR", "TWD", "36.00", "39.00");
    struct fx_graph_spec spec = {.assets = assets,
                                 .asset_count = 3,
                                 .quotes = quotes,
                                 .quote_count = 3,
                                 .corridors = corridors,
                                 .corridor_count = corridor_count};
    fx_graph *graph = NULL;
    assert_err(fx_graph_create(&spec, &graph, NULL), TPW_OK);
    return graph;
}

static void assert_leg(const struct fx_leg *leg, const char *from, const char *to, const char *base,
                       enum fx_leg_side side, tpw_u128 in_minor, tpw_u128 fee_minor,
                       tpw_u128 out_minor)
{
    assert_string_equal(leg->from, from);
    assert_string_equal(leg->to, to);
    assert_string_equal(leg->pair_base, base);
    assert_int_equal(leg->side, side);
    assert_u128_equal(leg->in_minor, in_minor);
    assert_u128_equal(leg->fee_minor, fee_minor);
    assert_u128_equal(leg->out_minor, out_minor);
}

/* 1000.00 EUR: direct 1000 × 36.00 = 36000.00 TWD; via USD 1168.00 USD × 32.10 =
 * 37492.80 TWD. Saving: 149280 × 10000 / 3600000 = 414.66… → 414 bps (down). */
static void test_triangle_beats_wide_direct_spread(void **state)
{
    (void)state;
    fx_graph *graph = triangle(NULL, 0);
    struct fx_route_explanation result;
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "EUR", "TWD", 100000, &result, NULL), TPW_OK);
    assert_int_equal(result.direction, FX_ROUTE_SELL);
    assert_int_equal(result.best.leg_count, 2);
    assert_leg(&result.best.legs[0], "EUR", "USD", "EUR", FX_LEG_SELL_BASE, 100000, 0, 116800);
    assert_u128_equal(result.best.legs[0].rate_used.value_e18, fx_fixture_rate("1.168").value_e18);
    assert_string_equal(result.best.legs[0].pair_quote, "USD");
    assert_leg(&result.best.legs[1], "USD", "TWD", "USD", FX_LEG_SELL_BASE, 116800, 0, 3749280);
    assert_u128_equal(result.best.in_minor, 100000);
    assert_u128_equal(result.best.out_minor, 3749280);
    assert_true(result.direct_exists);
    assert_err(result.direct_err, TPW_OK);
    assert_int_equal(result.direct.leg_count, 1);
    assert_u128_equal(result.direct.out_minor, 3600000);
    assert_true(result.saving_known);
    assert_u128_equal(result.saving_bps, 414);
    fx_graph_destroy(graph);
}

/* The other way the customer buys at the asks: TWD→USD at 32.20, USD→EUR at 1.1690. */
static void test_triangle_reverse_uses_asks(void **state)
{
    (void)state;
    fx_graph *graph = triangle(NULL, 0);
    struct fx_route_explanation result;
    /* 40000.00 TWD: direct / 39.00 = 1025.64 EUR; via USD: 1242.23 USD, 1062.64 EUR. */
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "TWD", "EUR", 4000000, &result, NULL), TPW_OK);
    assert_int_equal(result.best.leg_count, 2);
    assert_leg(&result.best.legs[0], "TWD", "USD", "USD", FX_LEG_BUY_BASE, 4000000, 0, 124223);
    assert_leg(&result.best.legs[1], "USD", "EUR", "EUR", FX_LEG_BUY_BASE, 124223, 0, 106264);
    assert_u128_equal(result.direct.out_minor, 102564);
    /* (106264 − 102564) × 10000 / 102564 = 360.75… → 360. */
    assert_u128_equal(result.saving_bps, 360);
    fx_graph_destroy(graph);
}

/* BUY 1000.00 TWD: direct needs ceil(100000 / 36) = 2778 EUR cents; via USD
 * ceil(100000 / 32.10) = 3116 USD cents, ceil(3116 / 1.168) = 2668 EUR cents, which
 * delivers 100023 (2667 would deliver 99991). Saving 110 × 10000 / 2778 = 395.9 → 395. */
static void test_buy_needs_least_input(void **state)
{
    (void)state;
    fx_graph *graph = triangle(NULL, 0);
    struct fx_route_explanation result;
    assert_err(fx_route_find(graph, FX_ROUTE_BUY, "EUR", "TWD", 100000, &result, NULL), TPW_OK);
    assert_int_equal(result.direction, FX_ROUTE_BUY);
    assert_int_equal(result.best.leg_count, 2);
    assert_u128_equal(result.best.in_minor, 2668);
    assert_u128_equal(result.best.legs[0].out_minor, 3116);
    assert_u128_equal(result.best.out_minor, 100023);
    assert_u128_equal(result.direct.in_minor, 2778);
    assert_u128_equal(result.saving_bps, 395);
    const char *const path[] = {"EUR", "USD", "TWD"};
    struct fx_route less;
    assert_err(fx_route_evaluate(graph, path, 3, 2667, &less, NULL), TPW_OK);
    assert_u128_equal(less.out_minor, 99991);
    fx_graph_destroy(graph);
}

/*
 * A fixed 5.00 EUR fee on EUR→USD: the route through USD yields
 * floor(floor((a − 500) × 1.168) × 32.10) against 36 × a direct. Direct wins up to
 * 125.65 EUR (452340 against 452321 TWD cents), the route through USD from 125.66
 * (452385 against 452376).
 */
static void test_fixed_fee_flips_route_at_threshold(void **state)
{
    (void)state;
    struct fx_corridor_fee fee = fx_fixture_corridor(
        "EUR", "USD", fx_fixture_flat(fx_fixture_schedule(500, 0, 0, TPW_U128_MAX)));
    fx_graph *graph = triangle(&fee, 1);
    struct fx_route_explanation result;
    static const struct {
        tpw_u128 amount_minor;
        size_t legs;
        tpw_u128 out_minor;
    } cases[] = {{10000, 1, 360000}, {12565, 1, 452340}, {12566, 2, 452385}, {100000, 2, 3730533}};
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        print_message("amount %u\n", (unsigned)cases[index].amount_minor);
        assert_err(fx_route_find(graph, FX_ROUTE_SELL, "EUR", "TWD", cases[index].amount_minor,
                                 &result, NULL),
                   TPW_OK);
        assert_int_equal(result.best.leg_count, cases[index].legs);
        assert_u128_equal(result.best.out_minor, cases[index].out_minor);
        assert_true(result.saving_known);
        if (cases[index].legs == 1) {
            assert_u128_equal(result.saving_bps, 0);
        } else {
            assert_u128_equal(result.best.legs[0].fee_minor, 500);
        }
    }
    fx_graph_destroy(graph);
}

/* Rounding points on one leg: fee = ceil(1001 × 25 / 10000) = ceil(2.5025) = 3 (up);
 * out = floor(998 × 1.168) = floor(1165.664) = 1165 (down). */
static void test_rounding_points_of_one_leg(void **state)
{
    (void)state;
    struct fx_corridor_fee fee = fx_fixture_corridor(
        "EUR", "USD", fx_fixture_flat(fx_fixture_schedule(0, 25, 0, TPW_U128_MAX)));
    fx_graph *graph = triangle(&fee, 1);
    const char *const path[] = {"EUR", "USD"};
    struct fx_route route;
    assert_err(fx_route_evaluate(graph, path, 2, 1001, &route, NULL), TPW_OK);
    assert_leg(&route.legs[0], "EUR", "USD", "EUR", FX_LEG_SELL_BASE, 1001, 3, 1165);
    /* USD→EUR buys EUR at the ask: 1169 / 1.169 = 1000 exactly, 1168 → 999.1 → 999. */
    const char *const back[] = {"USD", "EUR"};
    assert_err(fx_route_evaluate(graph, back, 2, 1169, &route, NULL), TPW_OK);
    assert_leg(&route.legs[0], "USD", "EUR", "EUR", FX_LEG_BUY_BASE, 1169, 0, 1000);
    assert_err(fx_route_evaluate(graph, back, 2, 1168, &route, NULL), TPW_OK);
    assert_u128_equal(route.out_minor, 999);
    fx_graph_destroy(graph);
}

/* Tiers on the leg's input: below 1000.00 EUR 1.00 + 50 bps, from it 20 bps, from
 * 10000.00 EUR nothing. The highest threshold ≤ the input applies. */
static void test_tiers_apply_from_their_threshold(void **state)
{
    (void)state;
    struct fx_fee_tiers tiers;
    memset(&tiers, 0, sizeof(tiers));
    tiers.tier_count = 3;
    tiers.tier[0].schedule = fx_fixture_schedule(100, 50, 0, TPW_U128_MAX);
    tiers.tier[1].threshold_minor = 100000;
    tiers.tier[1].schedule = fx_fixture_schedule(0, 20, 0, TPW_U128_MAX);
    tiers.tier[2].threshold_minor = 1000000;
    tiers.tier[2].schedule = money_fee_none();
    struct fx_corridor_fee fee = fx_fixture_corridor("EUR", "USD", tiers);
    fx_graph *graph = triangle(&fee, 1);
    static const struct {
        tpw_u128 in_minor;
        tpw_u128 fee_minor;
    } cases[] = {{1, 101}, {99999, 600}, {100000, 200}, {999999, 2000}, {1000000, 0}};
    const char *const path[] = {"EUR", "USD"};
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        struct fx_route route;
        enum tpw_err err = fx_route_evaluate(graph, path, 2, cases[index].in_minor, &route, NULL);
        /* One cent cannot pay 1.01 EUR: the leg is refused, and says so. */
        assert_err(err, index == 0 ? TPW_ERR_FX_AMOUNT_TOO_SMALL : TPW_OK);
        assert_u128_equal(route.legs[0].fee_minor, cases[index].fee_minor);
    }
    /* The USD→EUR direction is another corridor: the default (no fee). */
    const char *const back[] = {"USD", "EUR"};
    struct fx_route route;
    assert_err(fx_route_evaluate(graph, back, 2, 100000, &route, NULL), TPW_OK);
    assert_u128_equal(route.legs[0].fee_minor, 0);
    fx_graph_destroy(graph);
}

/* A default fee applies to every corridor without its own entry; on equal outputs
 * fewer legs win, then the codes in byte order. */
static void test_default_fee_and_ties(void **state)
{
    (void)state;
    struct money_asset assets[4] = {fx_fixture_asset("AAA", 0), fx_fixture_asset("BBB", 0),
                                    fx_fixture_asset("CCC", 0), fx_fixture_asset("DDD", 0)};
    /* Every pair at 1: all routes from AAA to DDD yield the same without fees. */
    struct fx_quote quotes[6] = {
        fx_fixture_quote("AAA", "BBB", "1", "1"), fx_fixture_quote("AAA", "CCC", "1", "1"),
        fx_fixture_quote("AAA", "DDD", "1", "1"), fx_fixture_quote("BBB", "CCC", "1", "1"),
        fx_fixture_quote("BBB", "DDD", "1", "1"), fx_fixture_quote("CCC", "DDD", "1", "1")};
    struct fx_graph_spec spec = {
        .assets = assets, .asset_count = 4, .quotes = quotes, .quote_count = 6};
    fx_graph *graph = NULL;
    assert_err(fx_graph_create(&spec, &graph, NULL), TPW_OK);
    struct fx_route_explanation result;
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "AAA", "DDD", 10, &result, NULL), TPW_OK);
    assert_int_equal(result.best.leg_count, 1);
    fx_graph_destroy(graph);
    /* Drop the direct pair and charge 1 unit per leg but 0 on AAA→CCC: AAA→CCC→DDD
     * (9) beats AAA→BBB→DDD (8); with AAA→BBB free too, BBB comes first in byte order. */
    quotes[2] = fx_fixture_quote("EEE", "FFF", "1", "1");
    struct money_asset more[6] = {assets[0],
                                  assets[1],
                                  assets[2],
                                  assets[3],
                                  fx_fixture_asset("EEE", 0),
                                  fx_fixture_asset("FFF", 0)};
    struct fx_corridor_fee free_legs[2] = {
        fx_fixture_corridor("AAA", "CCC", fx_fixture_flat(money_fee_none())),
        fx_fixture_corridor("AAA", "BBB", fx_fixture_flat(money_fee_none()))};
    spec.assets = more;
    spec.asset_count = 6;
    spec.corridors = free_legs;
    spec.corridor_count = 1;
    spec.default_fees = fx_fixture_flat(fx_fixture_schedule(1, 0, 0, TPW_U128_MAX));
    assert_err(fx_graph_create(&spec, &graph, NULL), TPW_OK);
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "AAA", "DDD", 10, &result, NULL), TPW_OK);
    assert_false(result.direct_exists);
    assert_false(result.saving_known);
    assert_int_equal(result.best.leg_count, 2);
    assert_string_equal(result.best.legs[0].to, "CCC");
    assert_u128_equal(result.best.out_minor, 9);
    fx_graph_destroy(graph);
    spec.corridor_count = 2;
    assert_err(fx_graph_create(&spec, &graph, NULL), TPW_OK);
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "AAA", "DDD", 10, &result, NULL), TPW_OK);
    assert_string_equal(result.best.legs[0].to, "BBB");
    fx_graph_destroy(graph);
}

/* A direct pair whose fee takes the whole amount: no saving, the direct error is kept. */
static void test_direct_too_small_is_explained(void **state)
{
    (void)state;
    struct fx_corridor_fee fee = fx_fixture_corridor(
        "EUR", "TWD", fx_fixture_flat(fx_fixture_schedule(1000, 0, 0, TPW_U128_MAX)));
    fx_graph *graph = triangle(&fee, 1);
    struct fx_route_explanation result;
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "EUR", "TWD", 500, &result, NULL), TPW_OK);
    assert_true(result.direct_exists);
    assert_err(result.direct_err, TPW_ERR_FX_AMOUNT_TOO_SMALL);
    assert_false(result.saving_known);
    assert_int_equal(result.best.leg_count, 2);
    fx_graph_destroy(graph);
}

/* SSS (0 decimals) → AAA (18) at 10^18 AAA per SSS: one SSS is 10^36 minor units of
 * AAA, so 341 SSS exceed 2^128-1 (≈ 3.4 × 10^38); AAA → TTT (0) at 1. */
static fx_graph *overflow_graph(void)
{
    static struct money_asset assets[3];
    static struct fx_quote quotes[2];
    assets[0] = fx_fixture_asset("AAA", 18);
    assets[1] = fx_fixture_asset("SSS", 0);
    assets[2] = fx_fixture_asset("TTT", 0);
    quotes[0] = fx_fixture_quote("SSS", "AAA", "1000000000000000000", "1000000000000000000");
    quotes[1] = fx_fixture_quote("AAA", "TTT", "1", "1");
    struct fx_graph_spec spec = {
        .assets = assets, .asset_count = 3, .quotes = quotes, .quote_count = 2};
    fx_graph *graph = NULL;
    assert_err(fx_graph_create(&spec, &graph, NULL), TPW_OK);
    return graph;
}

static void test_find_errors(void **state)
{
    (void)state;
    fx_graph *graph = triangle(NULL, 0);
    struct fx_route_explanation result;
    struct tpw_error_detail detail;
    assert_err(fx_route_find(graph, (enum fx_route_direction)7, "EUR", "TWD", 1, &result, &detail),
               TPW_ERR_INVALID_ARGUMENT);
    assert_string_equal(detail.param, "direction");
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "GBP", "TWD", 1, &result, &detail),
               TPW_ERR_FX_CURRENCY_UNKNOWN);
    assert_string_equal(detail.param, "from");
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "EUR", "GBP", 1, &result, &detail),
               TPW_ERR_FX_CURRENCY_UNKNOWN);
    assert_string_equal(detail.param, "to");
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "EUR", "EUR", 1, &result, &detail),
               TPW_ERR_INVALID_ARGUMENT);
    assert_err(fx_route_find(graph, FX_ROUTE_BUY, "EUR", "TWD", 0, &result, &detail),
               TPW_ERR_INVALID_ARGUMENT);
    assert_string_equal(detail.param, "amount");
    /* Nothing to sell; one TWD cent is less than one cent of EUR on every route. */
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "EUR", "TWD", 0, &result, &detail),
               TPW_ERR_FX_AMOUNT_TOO_SMALL);
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "TWD", "EUR", 1, &result, &detail),
               TPW_ERR_FX_AMOUNT_TOO_SMALL);
    fx_graph_destroy(graph);
}

/* A chain AAA–BBB–CCC–DDD–EEE and an island FFF–GGG: AAA to EEE needs four legs. */
static void test_no_route(void **state)
{
    (void)state;
    struct money_asset assets[7] = {fx_fixture_asset("AAA", 2), fx_fixture_asset("BBB", 2),
                                    fx_fixture_asset("CCC", 2), fx_fixture_asset("DDD", 2),
                                    fx_fixture_asset("EEE", 2), fx_fixture_asset("FFF", 2),
                                    fx_fixture_asset("GGG", 2)};
    struct fx_quote quotes[5] = {
        fx_fixture_quote("AAA", "BBB", "1", "1"), fx_fixture_quote("BBB", "CCC", "1", "1"),
        fx_fixture_quote("CCC", "DDD", "1", "1"), fx_fixture_quote("DDD", "EEE", "1", "1"),
        fx_fixture_quote("FFF", "GGG", "1", "1")};
    struct fx_graph_spec spec = {
        .assets = assets, .asset_count = 7, .quotes = quotes, .quote_count = 5};
    fx_graph *graph = NULL;
    assert_err(fx_graph_create(&spec, &graph, NULL), TPW_OK);
    struct fx_route_explanation result;
    static const char *const unreachable[][2] = {{"AAA", "EEE"}, {"AAA", "FFF"}, {"GGG", "CCC"}};
    for (size_t index = 0; index < 3; index++) {
        for (int direction = FX_ROUTE_SELL; direction <= FX_ROUTE_BUY; direction++) {
            assert_err(fx_route_find(graph, (enum fx_route_direction)direction,
                                     unreachable[index][0], unreachable[index][1], 100, &result,
                                     NULL),
                       TPW_ERR_FX_NO_ROUTE);
        }
    }
    /* Three legs do reach: AAA→BBB→CCC→DDD, both ways. */
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "AAA", "DDD", 100, &result, NULL), TPW_OK);
    assert_int_equal(result.best.leg_count, 3);
    assert_err(fx_route_find(graph, FX_ROUTE_BUY, "AAA", "DDD", 100, &result, NULL), TPW_OK);
    assert_int_equal(result.best.leg_count, 3);
    assert_u128_equal(result.best.in_minor, 100);
    fx_graph_destroy(graph);
}

static void test_overflow(void **state)
{
    (void)state;
    fx_graph *graph = overflow_graph();
    struct fx_route_explanation result;
    /* 340 SSS fit (3.4 × 10^38 AAA minor units), 341 do not, directly or on the way. */
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "SSS", "AAA", 340, &result, NULL), TPW_OK);
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "SSS", "AAA", 341, &result, NULL),
               TPW_ERR_OVERFLOW);
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "SSS", "TTT", 341, &result, NULL),
               TPW_ERR_OVERFLOW);
    /* BUY TTT: 340282366920938463463 TTT need that many × 10^18 AAA minor units (below
     * 2^128), hence 341 SSS, whose 3.41 × 10^38 on the way do not fit. */
    tpw_u128 most = TPW_U128_MAX / tpw_u128_pow10(18);
    assert_err(fx_route_find(graph, FX_ROUTE_BUY, "SSS", "TTT", most, &result, NULL),
               TPW_ERR_OVERFLOW);
    /* More TTT than 2^128-1 AAA minor units can buy: no input below 2^128 suffices. */
    assert_err(fx_route_find(graph, FX_ROUTE_BUY, "SSS", "TTT", most + 1, &result, NULL),
               TPW_ERR_OVERFLOW);
    assert_err(fx_route_find(graph, FX_ROUTE_BUY, "SSS", "TTT", 100, &result, NULL), TPW_OK);
    assert_u128_equal(result.best.in_minor, 1);
    fx_graph_destroy(graph);
}

/*
 * The pruning tests (route.c skips whole pivots and two-leg routes by upper bounds on
 * value once at least 8 pivots meet, PRUNE_CANDIDATES_MIN): each graph has 12
 * currencies, SSS and TTT and ten others, so every search prunes, and each hides its best
 * route where a bound that was not an upper bound would rule it out.
 */
#define DENSE_COUNT 12
#define DENSE_PAIRS_MAX (DENSE_COUNT * (DENSE_COUNT - 1) / 2)

struct dense {
    struct money_asset assets[DENSE_COUNT];
    struct fx_quote quotes[DENSE_PAIRS_MAX];
    struct fx_corridor_fee corridors[4];
    struct fx_graph_spec spec;
};

static const char *const g_dense_codes[DENSE_COUNT] = {"AAA", "BBB", "CCC", "DDD", "EEE", "FFF",
                                                       "GGG", "HHH", "III", "JJJ", "SSS", "TTT"};

/* Every pair at 1 (exponents 2), no fee: dense_set and dense_drop change it. */
static void dense_init(struct dense *d)
{
    memset(d, 0, sizeof(*d));
    size_t count = 0;
    for (size_t a = 0; a < DENSE_COUNT; a++) {
        d->assets[a] = fx_fixture_asset(g_dense_codes[a], 2);
        for (size_t b = a + 1; b < DENSE_COUNT; b++) {
            d->quotes[count++] = fx_fixture_quote(g_dense_codes[a], g_dense_codes[b], "1", "1");
        }
    }
    d->spec = (struct fx_graph_spec){
        .assets = d->assets, .asset_count = DENSE_COUNT, .quotes = d->quotes, .quote_count = count};
}

static struct fx_quote *dense_quote(struct dense *d, const char *base, const char *quote)
{
    for (size_t index = 0; index < d->spec.quote_count; index++) {
        if (strcmp(d->quotes[index].base, base) == 0 &&
            strcmp(d->quotes[index].quote, quote) == 0) {
            return &d->quotes[index];
        }
    }
    fail_msg("no pair %s/%s", base, quote);
    return &d->quotes[0]; /* not reached: fail_msg ends the test */
}

/* The pair base/quote (base before quote in byte order) at bid and ask. */
static void dense_set(struct dense *d, const char *base, const char *quote, const char *bid,
                      const char *ask)
{
    *dense_quote(d, base, quote) = fx_fixture_quote(base, quote, bid, ask);
}

/* Removes the pair base/quote (the last quote takes its place). */
static void dense_drop(struct dense *d, const char *base, const char *quote)
{
    struct fx_quote *dropped = dense_quote(d, base, quote);
    d->spec.quote_count--;
    *dropped = d->quotes[d->spec.quote_count];
}

static fx_graph *dense_graph(const struct dense *d)
{
    fx_graph *graph = NULL;
    assert_err(fx_graph_create(&d->spec, &graph, NULL), TPW_OK);
    return graph;
}

static void assert_path(const struct fx_route *route, const char *const *path, size_t len)
{
    assert_int_equal(route->leg_count + 1, len);
    for (size_t index = 0; index + 1 < len; index++) {
        assert_string_equal(route->legs[index].from, path[index]);
        assert_string_equal(route->legs[index].to, path[index + 1]);
    }
}

/*
 * Two three-leg routes tie at 1000100 for 1000000: SSS→AAA→CCC→TTT and SSS→BBB→DDD→TTT,
 * each with one leg at 1.0001. DDD's best leg in, from JJJ at 1.5 (but SSS→JJJ is 0.5),
 * makes DDD the pivot that may keep the most, so it is looked at first and sets the best;
 * CCC's bound then only ties it. A tie must not prune: the codes put AAA first.
 */
static void test_pruning_keeps_a_tie(void **state)
{
    (void)state;
    struct dense d;
    dense_init(&d);
    dense_set(&d, "AAA", "CCC", "1.0001", "1.0001");
    dense_set(&d, "BBB", "DDD", "1.0001", "1.0001");
    dense_set(&d, "DDD", "JJJ", "0.6", "0.6"); /* JJJ→DDD at 1 / 0.6 */
    dense_set(&d, "JJJ", "SSS", "2", "2");     /* SSS→JJJ at 0.5 */
    fx_graph *graph = dense_graph(&d);
    struct fx_route_explanation result;
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "SSS", "TTT", 1000000, &result, NULL), TPW_OK);
    const char *const sell[] = {"SSS", "AAA", "CCC", "TTT"};
    assert_path(&result.best, sell, 4);
    assert_u128_equal(result.best.out_minor, 1000100);
    /* BUY 1000100: both routes need 1000000 (999999 brings 1000098). */
    assert_err(fx_route_find(graph, FX_ROUTE_BUY, "SSS", "TTT", 1000100, &result, NULL), TPW_OK);
    assert_path(&result.best, sell, 4);
    assert_u128_equal(result.best.in_minor, 1000000);
    fx_graph_destroy(graph);
}

/*
 * Every leg charges 1% but AAA→BBB (a corridor, free) and SSS–TTT is not quoted: two legs
 * keep 98.01%, SSS→AAA→BBB→TTT 98.01% × 1.001 (AAA/BBB at 1.001). A bound that took the
 * default fee for the free leg would put that route below the two-leg ones.
 */
static void test_pruning_sees_corridor_fees(void **state)
{
    (void)state;
    struct dense d;
    dense_init(&d);
    dense_drop(&d, "SSS", "TTT");
    dense_set(&d, "AAA", "BBB", "1.001", "1.001");
    d.spec.default_fees = fx_fixture_flat(fx_fixture_schedule(0, 100, 0, TPW_U128_MAX));
    d.corridors[0] = fx_fixture_corridor("AAA", "BBB", fx_fixture_flat(money_fee_none()));
    d.spec.corridors = d.corridors;
    d.spec.corridor_count = 1;
    fx_graph *graph = dense_graph(&d);
    struct fx_route_explanation result;
    /* 1000000 − 10000 = 990000; × 1.001 = 990990; − 9910 = 981080 (two legs: 980100). */
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "SSS", "TTT", 1000000, &result, NULL), TPW_OK);
    const char *const path[] = {"SSS", "AAA", "BBB", "TTT"};
    assert_path(&result.best, path, 4);
    assert_u128_equal(result.best.out_minor, 981080);
    assert_err(fx_route_find(graph, FX_ROUTE_BUY, "SSS", "TTT", 981080, &result, NULL), TPW_OK);
    assert_path(&result.best, path, 4);
    assert_u128_equal(result.best.in_minor, 1000000);
    fx_graph_destroy(graph);
}

/*
 * 0.60 SSS with a 0.50 fee on every leg: nothing of one or two legs arrives, and only
 * SSS→AAA→BBB→TTT does, through AAA and BBB, worth 1/1000 of the others (so the fee is
 * small there). While no route brings anything the bounds must still let through a route
 * that brings 1 minor unit.
 */
static void test_pruning_while_nothing_arrives(void **state)
{
    (void)state;
    struct dense d;
    dense_init(&d);
    for (size_t index = 0; index < DENSE_COUNT; index++) {
        const char *other = g_dense_codes[index];
        if (index > 1) {
            /* AAA and BBB are worth 1/1000 of any other (they quote first). */
            dense_set(&d, "AAA", other, "0.001", "0.001");
            dense_set(&d, "BBB", other, "0.001", "0.001");
        }
    }
    dense_drop(&d, "SSS", "TTT");
    dense_drop(&d, "BBB", "SSS"); /* else SSS→BBB→TTT arrives */
    dense_drop(&d, "AAA", "TTT"); /* else SSS→AAA→TTT arrives */
    d.spec.default_fees = fx_fixture_flat(fx_fixture_schedule(50, 0, 0, TPW_U128_MAX));
    fx_graph *graph = dense_graph(&d);
    struct fx_route_explanation result;
    /* 60 − 50 = 10 → 10000 AAA; − 50 = 9950 BBB; − 50 = 9900 → 9 TTT. */
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "SSS", "TTT", 60, &result, NULL), TPW_OK);
    const char *const path[] = {"SSS", "AAA", "BBB", "TTT"};
    assert_path(&result.best, path, 4);
    assert_u128_equal(result.best.out_minor, 9);
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "SSS", "TTT", 50, &result, NULL),
               TPW_ERR_FX_AMOUNT_TOO_SMALL);
    fx_graph_destroy(graph);
}

/*
 * 100 SSS (no decimals) become 10^38 minor units of AAA (18 decimals), and AAA→BBB at 10
 * would carry 10^39 to BBB: above 2^128-1, so the SELL fails with TPW_ERR_OVERFLOW, even
 * though BBB→TTT would turn that into only 1000 TTT and the direct pair brings 100000.
 * Bounds on value cannot see a saturated middle label: the search must not use them.
 * (Checked: without that rule, sell_reach's, the search answers 100000.)
 */
static void test_pruning_not_past_saturation(void **state)
{
    (void)state;
    struct dense d;
    dense_init(&d);
    d.assets[0] = fx_fixture_asset("AAA", 18);
    d.assets[1] = fx_fixture_asset("BBB", 18);
    d.assets[10] = fx_fixture_asset("SSS", 0);
    d.assets[11] = fx_fixture_asset("TTT", 0);
    /* AAA and BBB are worth 10^-18 of any other; AAA→BBB at 10 where 1 would match. */
    for (size_t index = 2; index < DENSE_COUNT; index++) {
        const char *tiny = "0.000000000000000001";
        dense_set(&d, "AAA", g_dense_codes[index], tiny, tiny);
        dense_set(&d, "BBB", g_dense_codes[index], tiny, tiny);
    }
    dense_set(&d, "AAA", "BBB", "10", "10");
    dense_set(&d, "SSS", "TTT", "1000", "1000");
    fx_graph *graph = dense_graph(&d);
    struct fx_route_explanation result;
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "SSS", "TTT", 100, &result, NULL),
               TPW_ERR_OVERFLOW);
    /* Ten times less fits: 10^38 BBB minor units, 100 TTT; the direct pair wins. */
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "SSS", "TTT", 10, &result, NULL), TPW_OK);
    assert_int_equal(result.best.leg_count, 1);
    assert_u128_equal(result.best.out_minor, 10000);
    fx_graph_destroy(graph);
}

static void test_evaluate_errors(void **state)
{
    (void)state;
    fx_graph *graph = triangle(NULL, 0);
    struct fx_route route;
    struct tpw_error_detail detail;
    const char *const path[] = {"EUR", "USD", "TWD", "EUR", "USD"};
    assert_err(fx_route_evaluate(graph, path, 1, 100, &route, &detail), TPW_ERR_INVALID_ARGUMENT);
    assert_err(fx_route_evaluate(graph, path, 5, 100, &route, &detail), TPW_ERR_INVALID_ARGUMENT);
    assert_err(fx_route_evaluate(graph, path, 4, 100, &route, &detail), TPW_ERR_FX_ROUTE_INVALID);
    assert_int_equal(detail.offset_bytes, 3);
    const char *const unknown[] = {"EUR", "XXX"};
    assert_err(fx_route_evaluate(graph, unknown, 2, 100, &route, &detail),
               TPW_ERR_FX_CURRENCY_UNKNOWN);
    assert_int_equal(detail.offset_bytes, 1);
    const char *const twd_eur[] = {"TWD", "EUR"};
    assert_err(fx_route_evaluate(graph, twd_eur, 2, 1, &route, &detail),
               TPW_ERR_FX_AMOUNT_TOO_SMALL);
    fx_graph_destroy(graph);
    graph = overflow_graph();
    const char *const no_pair[] = {"SSS", "TTT"};
    assert_err(fx_route_evaluate(graph, no_pair, 2, 1, &route, &detail), TPW_ERR_FX_ROUTE_INVALID);
    const char *const far[] = {"SSS", "AAA", "TTT"};
    assert_err(fx_route_evaluate(graph, far, 3, 341, &route, &detail), TPW_ERR_OVERFLOW);
    assert_int_equal(detail.offset_bytes, 0);
    fx_graph_destroy(graph);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_triangle_beats_wide_direct_spread),
        cmocka_unit_test(test_triangle_reverse_uses_asks),
        cmocka_unit_test(test_buy_needs_least_input),
        cmocka_unit_test(test_fixed_fee_flips_route_at_threshold),
        cmocka_unit_test(test_rounding_points_of_one_leg),
        cmocka_unit_test(test_tiers_apply_from_their_threshold),
        cmocka_unit_test(test_default_fee_and_ties),
        cmocka_unit_test(test_direct_too_small_is_explained),
        cmocka_unit_test(test_find_errors),
        cmocka_unit_test(test_no_route),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_evaluate_errors),
        cmocka_unit_test(test_pruning_keeps_a_tie),
        cmocka_unit_test(test_pruning_sees_corridor_fees),
        cmocka_unit_test(test_pruning_while_nothing_arrives),
        cmocka_unit_test(test_pruning_not_past_saturation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
