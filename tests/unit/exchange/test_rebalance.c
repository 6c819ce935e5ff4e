/*
 * Rebalancing (src/exchange/rebalance.c): a portfolio valued in EUR at mids with each
 * rounding point computed by hand, the plan back to target and to the band edges, no
 * plan inside the bands, every bad portfolio refused; then the plan priced as quotes
 * and executed on a real ledger as ONE linked group: every amount as quoted, every
 * asset balanced, the weights landing inside their bands — and a group whose last
 * trade cannot be paid applying nothing, its first trades included.
 */
#include <string.h>

#include "exchange_fixture.h"

#define E18 UINT64_C(1000000000000000000)
#define PCT(n) ((uint64_t)(n) * (E18 / 100u))
#define ACCOUNT_EUR 200u
#define ACCOUNT_USD 201u
#define ACCOUNT_TWD 202u
#define FUNDING 900u

static struct money_rate rate_of(const char *text)
{
    struct money_rate rate = {0};
    assert_err(money_rate_parse(text, strlen(text), &rate, NULL), TPW_OK);
    return rate;
}

/* 500.00 EUR, 300.00 USD at 0.85 EUR, 10,000 TWD at 0.028 EUR; 50/30/20 within 5 %. */
static void holdings_make(struct exchange_holding h[3])
{
    h[0] = (struct exchange_holding){.account_id = ACCOUNT_EUR,
                                     .asset = fx_fixture_asset("EUR", 2),
                                     .balance_minor = 50000,
                                     .to_base = rate_of("1"),
                                     .target_e18 = PCT(50),
                                     .band_e18 = PCT(5)};
    h[1] = (struct exchange_holding){.account_id = ACCOUNT_USD,
                                     .asset = fx_fixture_asset("USD", 2),
                                     .balance_minor = 30000,
                                     .to_base = rate_of("0.85"),
                                     .target_e18 = PCT(30),
                                     .band_e18 = PCT(5)};
    h[2] = (struct exchange_holding){.account_id = ACCOUNT_TWD,
                                     .asset = fx_fixture_asset("TWD", 0),
                                     .balance_minor = 10000,
                                     .to_base = rate_of("0.028"),
                                     .target_e18 = PCT(20),
                                     .band_e18 = PCT(5)};
}

/* Values 500.00 + 255.00 + 280.00 = 1035.00 EUR; weights 48.31 %, 24.64 %, 27.05 %.
 * To target: EUR 517.50, USD 310.50 (+55.50 EUR = 65.29 USD, down), TWD 207.00
 * (−73.00 EUR = 2607 TWD, down). Sells first. */
static void test_plan_to_target(void **state)
{
    (void)state;
    struct exchange_holding h[3];
    holdings_make(h);
    struct exchange_rebalance plan;
    assert_err(exchange_rebalance_plan(h, 3, 0, EXCHANGE_TO_TARGET, &plan, NULL), TPW_OK);
    assert_u128_equal(plan.before.total_minor, 103500);
    assert_u128_equal(plan.before.value_minor[1], 25500);
    assert_u128_equal(plan.before.value_minor[2], 28000);
    assert_int_equal(plan.before.weight_e18[1], UINT64_C(246376811594202899)); /* half-even */
    assert_true(plan.before.outside_band);
    assert_int_equal(plan.trades_count, 2);
    assert_int_equal(plan.trades[0].from_index, 2);
    assert_int_equal(plan.trades[0].to_index, 0);
    assert_int_equal(plan.trades[0].direction, FX_ROUTE_SELL);
    assert_u128_equal(plan.trades[0].amount_minor, 2607);
    assert_int_equal(plan.trades[1].from_index, 0);
    assert_int_equal(plan.trades[1].to_index, 1);
    assert_int_equal(plan.trades[1].direction, FX_ROUTE_BUY);
    assert_u128_equal(plan.trades[1].amount_minor, 6529);
}

/* To the band edges pulled half a point (a tenth of the 5 % band) inwards: USD up to
 * 25.5 % (263.92 EUR: +8.92 = 10.49 USD, down), TWD down to 24.5 % (253.57 EUR: −26.43 =
 * 943 TWD, down); EUR, inside its band, is left to absorb. */
static void test_plan_to_band_edge(void **state)
{
    (void)state;
    struct exchange_holding h[3];
    holdings_make(h);
    struct exchange_rebalance plan;
    assert_err(exchange_rebalance_plan(h, 3, 0, EXCHANGE_TO_BAND_EDGE, &plan, NULL), TPW_OK);
    assert_int_equal(plan.trades_count, 2);
    assert_u128_equal(plan.trades[0].amount_minor, 943);
    assert_u128_equal(plan.trades[1].amount_minor, 1049);
    /* Inside every band: no plan. */
    h[1].band_e18 = PCT(6);
    h[2].band_e18 = PCT(8);
    assert_err(exchange_rebalance_plan(h, 3, 0, EXCHANGE_TO_TARGET, &plan, NULL), TPW_OK);
    assert_false(plan.before.outside_band);
    assert_int_equal(plan.trades_count, 0);
}

static void test_bad_portfolios(void **state)
{
    (void)state;
    struct exchange_holding h[EXCHANGE_HOLDINGS_MAX + 1];
    struct exchange_rebalance plan;
    struct tpw_error_detail detail;
    holdings_make(h);
    assert_err(exchange_rebalance_plan(h, 0, 0, EXCHANGE_TO_TARGET, &plan, &detail),
               TPW_ERR_REBALANCE_INVALID);
    assert_err(exchange_rebalance_plan(h, 3, 3, EXCHANGE_TO_TARGET, &plan, &detail),
               TPW_ERR_REBALANCE_INVALID);
    assert_err(exchange_rebalance_plan(h, EXCHANGE_HOLDINGS_MAX + 1, 0, EXCHANGE_TO_TARGET, &plan,
                                       &detail),
               TPW_ERR_REBALANCE_INVALID);
    h[2].target_e18 = PCT(21);
    assert_err(exchange_rebalance_plan(h, 3, 0, EXCHANGE_TO_TARGET, &plan, &detail),
               TPW_ERR_REBALANCE_INVALID);
    assert_message_has(detail.message, "sum");
    holdings_make(h);
    h[1].band_e18 = E18 + 1;
    assert_err(exchange_rebalance_plan(h, 3, 0, EXCHANGE_TO_TARGET, &plan, &detail),
               TPW_ERR_REBALANCE_INVALID);
    holdings_make(h);
    h[2].to_base.value_e18 = 0;
    assert_err(exchange_rebalance_plan(h, 3, 0, EXCHANGE_TO_TARGET, &plan, &detail),
               TPW_ERR_RATE_ZERO);
    holdings_make(h);
    assert_err(exchange_rebalance_plan(h, 3, 1, EXCHANGE_TO_TARGET, &plan, &detail),
               TPW_ERR_REBALANCE_INVALID); /* USD is not valued at 1 */
    assert_message_has(detail.message, "base");
    holdings_make(h);
    h[0].balance_minor = 0;
    h[1].balance_minor = 0;
    h[2].balance_minor = 0;
    assert_err(exchange_rebalance_plan(h, 3, 0, EXCHANGE_TO_TARGET, &plan, &detail), TPW_OK);
    assert_int_equal(plan.trades_count, 0); /* an empty portfolio has nothing to move */
}

/* ---- on the ledger ------------------------------------------------------------------ */

/* EUR/USD 1.1760/1.1770 and EUR/TWD 35.70/35.72: mids 0.85 and 0.028 EUR within 0.1 %. */
static void graph_build(struct xf *f)
{
    struct money_asset assets[] = {fx_fixture_asset("EUR", 2), fx_fixture_asset("USD", 2),
                                   fx_fixture_asset("TWD", 0)};
    struct fx_quote quotes[] = {
        fx_fixture_quote("EUR", "USD", "1.1760", "1.1770"),
        fx_fixture_quote("EUR", "TWD", "35.70", "35.72"),
    };
    struct fx_graph_spec spec = {
        .assets = assets, .asset_count = 3, .quotes = quotes, .quote_count = 2};
    assert_err(fx_graph_create(&spec, &f->graph, NULL), TPW_OK);
}

static int setup(void **state)
{
    static struct xf fixture;
    xf_start(&fixture, 15u * LF_NS_PER_S, 11);
    graph_build(&fixture);
    uint32_t assets[] = {LF_EUR, LF_USD, fixture.twd};
    for (size_t i = 0; i < 3; i++) {
        lf_add_account(fixture.lf, FUNDING + i, assets[i], 0);
    }
    lf_add_account(fixture.lf, ACCOUNT_EUR, LF_EUR, LF_A_DMNEC);
    lf_add_account(fixture.lf, ACCOUNT_USD, LF_USD, LF_A_DMNEC);
    lf_add_account(fixture.lf, ACCOUNT_TWD, fixture.twd, LF_A_DMNEC);
    lf_move(fixture.lf, 1, FUNDING, ACCOUNT_EUR, LF_EUR, 50000);
    lf_move(fixture.lf, 2, FUNDING + 1, ACCOUNT_USD, LF_USD, 30000);
    lf_move(fixture.lf, 3, FUNDING + 2, ACCOUNT_TWD, fixture.twd, 10000);
    *state = &fixture;
    return 0;
}

static int teardown(void **state)
{
    xf_stop(*state);
    return 0;
}

/* The holdings as the ledger has them, valued at the graph's mids. */
static void holdings_now(const struct xf *f, struct exchange_holding h[3])
{
    holdings_make(h);
    for (size_t i = 0; i < 3; i++) {
        struct ledger_account account = lf_get_account(f->lf, h[i].account_id);
        h[i].balance_minor = account.credits_posted - account.debits_posted;
    }
    h[1].to_base = rate_of("0.850340136054421768"); /* 1 / 1.1760 … 1.1770's mid 1.1765 */
    h[2].to_base = rate_of("0.028003472430581392"); /* 1 / 35.71 */
}

/* Each trade priced by the route search and locked. */
static void quotes_lock(struct xf *f, const struct exchange_holding *h,
                        const struct exchange_rebalance *plan, struct exchange_quote *quotes)
{
    for (size_t i = 0; i < plan->trades_count; i++) {
        const struct exchange_trade *trade = &plan->trades[i];
        quotes[i] = xf_quote_locked(f, trade->direction, h[trade->from_index].asset.code,
                                    h[trade->to_index].asset.code, trade->amount_minor);
    }
}

/* The group of the plan's quotes; the ledger's verdict and the trade it names. */
static enum tpw_err group_run(struct xf *f, const struct exchange_holding *h,
                              const struct exchange_rebalance *plan,
                              const struct exchange_quote *quotes, size_t *leg)
{
    struct exchange_group_leg legs[EXCHANGE_HOLDINGS_MAX];
    for (size_t i = 0; i < plan->trades_count; i++) {
        legs[i] = (struct exchange_group_leg){
            .quote = &quotes[i],
            .debit_account_id = h[plan->trades[i].from_index].account_id,
            .credit_account_id = h[plan->trades[i].to_index].account_id,
        };
    }
    struct ledger_transfer transfers[EXCHANGE_HOLDINGS_MAX * EXCHANGE_TRANSFERS_MAX];
    size_t count = exchange_group_transfers(legs, plan->trades_count, transfers,
                                            sizeof transfers / sizeof transfers[0]);
    assert_true(count >= 2 * plan->trades_count);
    for (size_t i = 0; i + 1 < count; i++) {
        assert_true((transfers[i].flags & LF_T_LINKED) != 0);
    }
    assert_int_equal(transfers[count - 1].flags & LF_T_LINKED, 0);
    enum ledger_transfer_result results[EXCHANGE_HOLDINGS_MAX * EXCHANGE_TRANSFERS_MAX];
    lf_submit_batch(f->lf, transfers, count, results);
    bool spent = false;
    enum tpw_err err =
        exchange_group_results_check(legs, plan->trades_count, results, count, &spent, leg, NULL);
    assert_true(err == TPW_OK || *leg < plan->trades_count);
    return err;
}

static void test_execution_lands_in_band(void **state)
{
    struct xf *f = *state;
    struct exchange_holding h[3];
    holdings_now(f, h);
    struct exchange_rebalance plan;
    assert_err(exchange_rebalance_plan(h, 3, 0, EXCHANGE_TO_TARGET, &plan, NULL), TPW_OK);
    assert_int_equal(plan.trades_count, 2);
    struct exchange_quote quotes[EXCHANGE_HOLDINGS_MAX];
    quotes_lock(f, h, &plan, quotes);
    /* What the preview promises at these quotes (rebalance_group.c). */
    struct fx_route routes[EXCHANGE_HOLDINGS_MAX];
    for (size_t i = 0; i < plan.trades_count; i++) {
        routes[i] = quotes[i].route;
    }
    struct exchange_rebalance_outcome promised;
    assert_err(exchange_rebalance_outcome_of(h, 3, 0, &plan, routes, &promised, NULL), TPW_OK);
    size_t leg = 0;
    assert_err(group_run(f, h, &plan, quotes, &leg), TPW_OK);
    /* The same group again: the ledger answers `exists` for every transfer. */
    assert_err(group_run(f, h, &plan, quotes, &leg), TPW_ERR_EXCHANGE_QUOTE_USED);
    /* The preview is the execution: each account moved by exactly its quotes. */
    struct exchange_holding after[3];
    holdings_now(f, after);
    assert_u128_equal(after[2].balance_minor, h[2].balance_minor - quotes[0].route.in_minor);
    assert_u128_equal(after[1].balance_minor, h[1].balance_minor + quotes[1].route.out_minor);
    assert_u128_equal(after[0].balance_minor,
                      h[0].balance_minor + quotes[0].route.out_minor - quotes[1].route.in_minor);
    lf_assert_double_entry(f->lf);
    struct exchange_valuation valued;
    assert_err(exchange_valuation_of(after, 3, 0, &valued, NULL), TPW_OK);
    for (size_t i = 0; i < 3; i++) {
        assert_u128_equal(promised.balance_after_minor[i], after[i].balance_minor);
        assert_int_equal(promised.after.weight_e18[i], valued.weight_e18[i]);
    }
    assert_u128_equal(promised.after.total_minor, valued.total_minor);
    assert_true(promised.total_cost_minor > 0); /* the spreads */
    assert_u128_equal(promised.total_cost_minor, promised.cost_minor[0] + promised.cost_minor[1]);
    assert_false(valued.outside_band);
    for (size_t i = 0; i < 3; i++) {
        assert_true(valued.drift_e18[i] < PCT(1) / 10); /* the spread's cost, under 0.1 % */
    }
}

/* The base account cannot pay the buy: the whole group is refused, the sell with it. */
static void test_execution_all_or_nothing(void **state)
{
    struct xf *f = *state;
    struct exchange_holding h[3];
    holdings_now(f, h);
    h[1].target_e18 = PCT(80); /* buy far more USD than EUR and the sale can pay */
    h[0].target_e18 = PCT(0);
    h[2].target_e18 = PCT(20);
    struct exchange_rebalance plan;
    assert_err(exchange_rebalance_plan(h, 3, 0, EXCHANGE_TO_TARGET, &plan, NULL), TPW_OK);
    assert_true(plan.trades_count >= 2);
    struct exchange_quote quotes[EXCHANGE_HOLDINGS_MAX];
    quotes_lock(f, h, &plan, quotes);
    /* On the balances it was planned on, the outcome is fundable; once the base is
     * spent, the outcome says the base cannot pay, naming it. */
    struct fx_route routes[EXCHANGE_HOLDINGS_MAX];
    for (size_t i = 0; i < plan.trades_count; i++) {
        routes[i] = quotes[i].route;
    }
    struct exchange_rebalance_outcome outcome;
    struct tpw_error_detail detail;
    struct exchange_holding spent[3];
    memcpy(spent, h, sizeof spent);
    spent[0].balance_minor -= 49000;
    assert_err(exchange_rebalance_outcome_of(spent, 3, 0, &plan, routes, &outcome, &detail),
               TPW_ERR_EXCHANGE_INSUFFICIENT_FUNDS);
    assert_int_equal(detail.offset_bytes, 0);
    assert_message_has(detail.message, "holding 0 (EUR)");
    assert_err(exchange_rebalance_outcome_of(spent, 0, 0, &plan, routes, &outcome, &detail),
               TPW_ERR_REBALANCE_INVALID);
    /* Spend the base account first, so the group's buy cannot be paid. */
    lf_move(f->lf, 50, ACCOUNT_EUR, FUNDING, LF_EUR, 49000);
    struct ledger_account before[32];
    size_t accounts = lf_snapshot(f->lf, before, 32);
    size_t leg = 0;
    assert_err(group_run(f, h, &plan, quotes, &leg), TPW_ERR_EXCHANGE_INSUFFICIENT_FUNDS);
    assert_int_equal(leg, plan.trades_count - 1); /* the last buy, paid by the base */
    exchange_rebalance_refusal_name(&plan, h, leg, "acct", "holdings", &detail);
    assert_message_has(detail.message, "paid by acct_");
    assert_message_has(detail.message, "nothing was executed");
    struct ledger_account now[32];
    assert_int_equal(lf_snapshot(f->lf, now, 32), accounts);
    lf_assert_snapshot_equal(before, now, accounts); /* the house's accounts too */
    /* A group that does not fit its buffer is refused before the ledger. */
    struct exchange_group_leg one = {.quote = &quotes[0]};
    struct ledger_transfer small[EXCHANGE_TRANSFERS_MAX - 1];
    assert_int_equal(exchange_group_transfers(&one, 1, small, EXCHANGE_TRANSFERS_MAX - 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_to_target),
        cmocka_unit_test(test_plan_to_band_edge),
        cmocka_unit_test(test_bad_portfolios),
        cmocka_unit_test_setup_teardown(test_execution_lands_in_band, setup, teardown),
        cmocka_unit_test_setup_teardown(test_execution_all_or_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
