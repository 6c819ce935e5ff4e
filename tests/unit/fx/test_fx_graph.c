/*
 * Building the currency graph: every refusal of bad input (assets, quotes, corridors,
 * fee tiers, sizes, memory) with the input it names, and the fee tier rules.
 */
#include "tpw_test.h"

#include <stdlib.h>
#include <string.h>

#include "fx_fixture.h"
#include "tpwallet/fx.h"

#include "banned.h"

/* The link wraps calloc (-Wl,--wrap=calloc) so that a test can make the n-th call from
 * now fail, as it does when memory runs out. */
void *__real_calloc(size_t count, size_t size);
void *__wrap_calloc(size_t count, size_t size);
static int g_calloc_fail_in; /* 0: never; n: the n-th call from now fails */

void *__wrap_calloc(size_t count, size_t size)
{
    if (g_calloc_fail_in > 0 && --g_calloc_fail_in == 0) {
        return NULL;
    }
    return __real_calloc(count, size);
}

struct fixture {
    struct money_asset assets[3];
    struct fx_quote quotes[2];
    struct fx_corridor_fee corridors[2];
    struct fx_graph_spec spec;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->assets[0] = fx_fixture_asset("EUR", 2);
    f->assets[1] = fx_fixture_asset("USD", 2);
    f->assets[2] = fx_fixture_asset("JPY", 0);
    f->quotes[0] = fx_fixture_quote("EUR", "USD", "1.1680", "1.1690");
    f->quotes[1] = fx_fixture_quote("USD", "JPY", "155.10", "155.20");
    struct fx_fee_tiers fee = fx_fixture_flat(fx_fixture_schedule(100, 10, 0, 500));
    f->corridors[0] = fx_fixture_corridor("EUR", "USD", fee);
    f->corridors[1] = fx_fixture_corridor("USD", "EUR", fee);
    f->spec = (struct fx_graph_spec){.assets = f->assets,
                                     .asset_count = 3,
                                     .quotes = f->quotes,
                                     .quote_count = 2,
                                     .corridors = f->corridors,
                                     .corridor_count = 2};
}

/* Builds and expects `code` with detail->param `param`. */
static void expect_refused(const struct fixture *f, enum tpw_err code, const char *param)
{
    fx_graph *graph = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(fx_graph_create(&f->spec, &graph, &detail), code);
    assert_null(graph);
    assert_int_equal(detail.code, code);
    assert_string_equal(detail.param, param);
    assert_true(detail.message[0] != '\0');
}

static void test_valid_graph_builds(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    fx_graph *graph = NULL;
    assert_err(fx_graph_create(&f.spec, &graph, NULL), TPW_OK);
    struct fx_route_explanation result;
    /* 100.00 EUR pay 1.00 + 0.10 = 1.10 EUR: 98.90 × 1.168 = 115.5152 → 115.51 USD. */
    assert_err(fx_route_find(graph, FX_ROUTE_SELL, "EUR", "USD", 10000, &result, NULL), TPW_OK);
    assert_u128_equal(result.best.legs[0].fee_minor, 110);
    assert_u128_equal(result.best.out_minor, 11551);
    fx_graph_destroy(graph);
    fx_graph_destroy(NULL);
}

static void test_asset_errors(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    f.assets[1] = fx_fixture_asset("usd", 2);
    expect_refused(&f, TPW_ERR_ASSET_CODE_INVALID, "assets[1].code");
    fixture_init(&f);
    memset(f.assets[1].code, 'A', sizeof(f.assets[1].code)); /* no NUL */
    expect_refused(&f, TPW_ERR_ASSET_CODE_INVALID, "assets[1].code");
    fixture_init(&f);
    f.assets[2].exponent = 19;
    expect_refused(&f, TPW_ERR_ASSET_EXPONENT_INVALID, "assets[2].exponent");
    fixture_init(&f);
    f.assets[2] = fx_fixture_asset("EUR", 2);
    expect_refused(&f, TPW_ERR_ASSET_DUPLICATE, "assets");
    fixture_init(&f);
    f.spec.asset_count = FX_GRAPH_CURRENCIES_MAX + 1;
    expect_refused(&f, TPW_ERR_FX_GRAPH_TOO_LARGE, "assets");
    fixture_init(&f);
    f.spec.quote_count = (size_t)FX_GRAPH_CURRENCIES_MAX * (FX_GRAPH_CURRENCIES_MAX - 1) / 2 + 1;
    expect_refused(&f, TPW_ERR_FX_GRAPH_TOO_LARGE, "quotes");
    fixture_init(&f);
    f.spec.corridor_count = (size_t)FX_GRAPH_CURRENCIES_MAX * (FX_GRAPH_CURRENCIES_MAX - 1) + 1;
    expect_refused(&f, TPW_ERR_FX_GRAPH_TOO_LARGE, "corridors");
}

static void test_quote_errors(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    f.quotes[1] = fx_fixture_quote("GBP", "JPY", "1", "1");
    expect_refused(&f, TPW_ERR_FX_CURRENCY_UNKNOWN, "quotes[1].base");
    f.quotes[1] = fx_fixture_quote("USD", "GBP", "1", "1");
    expect_refused(&f, TPW_ERR_FX_CURRENCY_UNKNOWN, "quotes[1].quote");
    memset(f.quotes[1].quote, 'J', sizeof(f.quotes[1].quote)); /* no NUL */
    expect_refused(&f, TPW_ERR_FX_CURRENCY_UNKNOWN, "quotes[1].quote");
    f.quotes[1] = fx_fixture_quote("USD", "USD", "1", "1");
    expect_refused(&f, TPW_ERR_FX_QUOTE_INVALID, "quotes[1].quote");
    f.quotes[1] = fx_fixture_quote("USD", "JPY", "0", "1");
    expect_refused(&f, TPW_ERR_FX_QUOTE_INVALID, "quotes[1].bid");
    f.quotes[1] = fx_fixture_quote("USD", "JPY", "1", "0");
    expect_refused(&f, TPW_ERR_FX_QUOTE_INVALID, "quotes[1].ask");
    f.quotes[1] = fx_fixture_quote("USD", "JPY", "155.30", "155.20");
    expect_refused(&f, TPW_ERR_FX_QUOTE_INVALID, "quotes[1].bid");
    /* The same pair the other way round is a duplicate too. */
    f.quotes[1] = fx_fixture_quote("USD", "EUR", "0.85", "0.86");
    expect_refused(&f, TPW_ERR_FX_PAIR_DUPLICATE, "quotes[1]");
}

static void test_corridor_errors(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    f.corridors[1] = fx_fixture_corridor("GBP", "EUR", f.corridors[1].tiers);
    expect_refused(&f, TPW_ERR_FX_CURRENCY_UNKNOWN, "corridors[1].from");
    f.corridors[1] = fx_fixture_corridor("USD", "GBP", f.corridors[1].tiers);
    expect_refused(&f, TPW_ERR_FX_CURRENCY_UNKNOWN, "corridors[1].to");
    f.corridors[1] = fx_fixture_corridor("USD", "USD", f.corridors[1].tiers);
    expect_refused(&f, TPW_ERR_INVALID_ARGUMENT, "corridors[1].to");
    f.corridors[1] = fx_fixture_corridor("EUR", "USD", f.corridors[1].tiers);
    expect_refused(&f, TPW_ERR_FX_CORRIDOR_DUPLICATE, "corridors[1]");
}

/* Each way a tier table can be wrong, in a corridor and as the default. */
static void test_tier_errors(void **state)
{
    (void)state;
    struct fx_fee_tiers bad[7];
    for (size_t index = 0; index < 7; index++) {
        memset(&bad[index], 0, sizeof(bad[index]));
        bad[index].tier_count = 2;
        bad[index].tier[1].threshold_minor = 1000;
    }
    bad[0].tier_count = FX_FEE_TIERS_MAX + 1;
    bad[1].tier[0].threshold_minor = 1; /* the first tier must start at 0 */
    bad[2].tier[1].threshold_minor = 0; /* not ascending */
    bad[3].tier[1].schedule.proportional_bps = MONEY_BPS_ONE + 1;
    bad[4].tier[1].schedule.min_minor = 5; /* min above max (0) */
    /* 2^128-1 at 1 bps plus a fixed 2^128-1: the fee of a large amount overflows. */
    bad[5].tier[1].schedule = fx_fixture_schedule(TPW_U128_MAX, 1, 0, TPW_U128_MAX);
    /* The fee jumps from 0 to 2 at 1000: 1000 would net 998, less than 999 nets. */
    bad[6].tier[1].schedule = fx_fixture_schedule(2, 0, 0, TPW_U128_MAX);
    for (size_t index = 0; index < 7; index++) {
        print_message("bad tiers %zu\n", index);
        struct fixture f;
        fixture_init(&f);
        f.corridors[1].tiers = bad[index];
        expect_refused(&f, TPW_ERR_FX_FEE_TIERS_INVALID, "corridors[1].tiers");
        fixture_init(&f);
        f.spec.default_fees = bad[index];
        expect_refused(&f, TPW_ERR_FX_FEE_TIERS_INVALID, "default_fees");
    }
    /* A rise of exactly one unit at the threshold is allowed (net stays 999). */
    struct fixture f;
    fixture_init(&f);
    f.spec.default_fees = bad[6];
    f.spec.default_fees.tier[1].schedule.fixed_minor = 1;
    fx_graph *graph = NULL;
    assert_err(fx_graph_create(&f.spec, &graph, NULL), TPW_OK);
    fx_graph_destroy(graph);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    for (int call = 1; call <= 4; call++) {
        g_calloc_fail_in = call;
        expect_refused(&f, TPW_ERR_NOMEM, "");
    }
    g_calloc_fail_in = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_graph_builds), cmocka_unit_test(test_asset_errors),
        cmocka_unit_test(test_quote_errors),       cmocka_unit_test(test_corridor_errors),
        cmocka_unit_test(test_tier_errors),        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
