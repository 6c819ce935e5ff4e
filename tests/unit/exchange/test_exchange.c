/*
 * Conversions end to end on a real ledger (the ledger suites' fixture): a route found
 * by fx_route_find over EUR, USD and TWD with fees on two legs, locked as a quote and
 * executed as one linked group. The customer pays exactly the route's input and
 * receives exactly its output, each leg's fee lands in its currency's fee account,
 * every asset balances, and the group's transfers carry the quote. Then each refusal —
 * insufficient funds, an account in the wrong asset, a missing account, an expired, a
 * reused, a busy and an unknown quote, a replay after the book forgot — leaves every
 * balance as it was.
 */
#include <string.h>

#include "exchange_fixture.h"

#define CUSTOMER_EUR 100u
#define CUSTOMER_TWD 101u
#define CUSTOMER_USD 102u
#define FUNDING_EUR 900u
#define TTL_NS (15u * LF_NS_PER_S)

static void graph_build(struct xf *f)
{
    struct money_asset assets[] = {fx_fixture_asset("EUR", 2), fx_fixture_asset("USD", 2),
                                   fx_fixture_asset("TWD", 0)};
    struct fx_quote quotes[] = {
        fx_fixture_quote("EUR", "USD", "1.1680", "1.1690"),
        fx_fixture_quote("USD", "TWD", "32.10", "32.20"),
        fx_fixture_quote("EUR", "TWD", "35.00", "39.00"), /* a wide direct spread */
    };
    /* 0.50 EUR + 10 bps on EUR→USD, 0.20 USD + 5 bps on USD→TWD. */
    struct fx_corridor_fee corridors[] = {
        fx_fixture_corridor("EUR", "USD",
                            fx_fixture_flat(fx_fixture_schedule(50, 10, 0, TPW_U128_MAX))),
        fx_fixture_corridor("USD", "TWD",
                            fx_fixture_flat(fx_fixture_schedule(20, 5, 0, TPW_U128_MAX))),
    };
    struct fx_graph_spec spec = {.assets = assets,
                                 .asset_count = 3,
                                 .quotes = quotes,
                                 .quote_count = 3,
                                 .corridors = corridors,
                                 .corridor_count = 2};
    assert_err(fx_graph_create(&spec, &f->graph, NULL), TPW_OK);
}

static void accounts_make(struct xf *f)
{
    lf_add_account(f->lf, CUSTOMER_EUR, LF_EUR, LF_A_DMNEC);
    lf_add_account(f->lf, CUSTOMER_TWD, f->twd, 0);
    lf_add_account(f->lf, CUSTOMER_USD, LF_USD, 0);
    lf_add_account(f->lf, FUNDING_EUR, LF_EUR, 0);
    lf_move(f->lf, 1, FUNDING_EUR, CUSTOMER_EUR, LF_EUR, 100000); /* 1000.00 EUR */
}

static int setup(void **state)
{
    static struct xf fixture;
    xf_start(&fixture, TTL_NS, 7);
    graph_build(&fixture);
    accounts_make(&fixture);
    *state = &fixture;
    return 0;
}

static int teardown(void **state)
{
    xf_stop(*state);
    return 0;
}

/* A SELL of `amount_minor` EUR for TWD, locked. */
static struct exchange_quote quote_locked(struct xf *f, tpw_u128 amount_minor)
{
    return xf_quote_locked(f, FX_ROUTE_SELL, "EUR", "TWD", amount_minor);
}

/* Runs the quote's group; returns exchange_results_check's verdict. */
static enum tpw_err execute(struct xf *f, tpw_u128 id, tpw_u128 debit, tpw_u128 credit,
                            struct tpw_error_detail *detail)
{
    struct exchange_quote quote;
    enum tpw_err err = exchange_quote_take(f->book, id, &quote, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct ledger_transfer transfers[EXCHANGE_TRANSFERS_MAX];
    size_t count = exchange_quote_transfers(&quote, debit, credit, transfers);
    enum ledger_transfer_result results[EXCHANGE_TRANSFERS_MAX];
    lf_submit_batch(f->lf, transfers, count, results);
    bool spent = false;
    err = exchange_results_check(results, count, &spent, detail);
    exchange_quote_release(f->book, id, spent);
    return err;
}

/* 1000.00 EUR: EUR→USD (0.50 + 10 bps = 1.50 EUR; 998.50 × 1.1680 = 1166.24 USD, down),
 * USD→TWD (0.20 + 5 bps of 1166.24 = 0.79 USD, up; 1165.45 × 32.10 = 37410 TWD, down)
 * beats the direct pair's 35,000 TWD. */
static void test_conversion_moves_the_quoted_amounts(void **state)
{
    struct xf *f = *state;
    struct exchange_quote quote = quote_locked(f, 100000);
    assert_int_equal(quote.route.leg_count, 2);
    assert_u128_equal(quote.route.in_minor, 100000);
    assert_u128_equal(quote.route.legs[0].fee_minor, 150);
    assert_u128_equal(quote.route.legs[1].in_minor, 116624);
    assert_u128_equal(quote.route.legs[1].fee_minor, 79);
    assert_u128_equal(quote.route.out_minor, 37410);
    assert_u128_equal(quote.id & 7u, 0);
    assert_int_equal(quote.expires_ns - quote.created_ns, TTL_NS);
    assert_err(execute(f, quote.id, CUSTOMER_EUR, CUSTOMER_TWD, NULL), TPW_OK);
    lf_assert_balances(f->lf, CUSTOMER_EUR, 0, 100000, 0, 100000);
    lf_assert_balances(f->lf, CUSTOMER_TWD, 0, 0, 0, 37410);
    lf_assert_balances(f->lf, exchange_pool_account_id(LF_EUR), 0, 0, 0, 99850);
    lf_assert_balances(f->lf, exchange_fee_account_id(LF_EUR), 0, 0, 0, 150);
    lf_assert_balances(f->lf, exchange_pool_account_id(LF_USD), 0, 79, 0, 0);
    lf_assert_balances(f->lf, exchange_fee_account_id(LF_USD), 0, 0, 0, 79);
    lf_assert_balances(f->lf, exchange_pool_account_id(f->twd), 0, 37410, 0, 0);
    lf_assert_double_entry(f->lf);
    /* Every transfer names the quote and carries the conversion code. */
    for (unsigned k = 0; k < 4; k++) {
        struct ledger_transfer t = lf_get_transfer(f->lf, quote.id | k);
        assert_u128_equal(t.user_data, quote.id);
        assert_int_equal(t.code, EXCHANGE_TRANSFER_CODE);
    }
    assert_false(lf_transfer_exists(f->lf, quote.id | 4u));
    /* The house's positions: long the EUR it took in, short the TWD it paid out; the USD
     * pool paid the USD fee it earned. */
    struct exchange_position eur;
    struct ledger_account pool = lf_get_account(f->lf, exchange_pool_account_id(LF_EUR));
    struct ledger_account fees = lf_get_account(f->lf, exchange_fee_account_id(LF_EUR));
    exchange_position_of(&pool, &fees, &eur);
    assert_u128_equal(eur.long_minor, 99850);
    assert_u128_equal(eur.short_minor, 0);
    assert_u128_equal(eur.fees_minor, 150);
    assert_false(exchange_position_over(&eur, 99850));
    assert_true(exchange_position_over(&eur, 99849));
    struct exchange_position twd;
    pool = lf_get_account(f->lf, exchange_pool_account_id(f->twd));
    exchange_position_of(&pool, NULL, &twd);
    assert_u128_equal(twd.short_minor, 37410);
    assert_u128_equal(twd.fees_minor, 0);
    assert_true(exchange_position_over(&twd, 37409));
    struct exchange_position none;
    exchange_position_of(NULL, NULL, &none);
    assert_false(exchange_position_over(&none, 0));
    /* Used: a second execution is refused and changes nothing. */
    struct ledger_account before[16];
    size_t count = lf_snapshot(f->lf, before, 16);
    assert_err(execute(f, quote.id, CUSTOMER_EUR, CUSTOMER_TWD, NULL), TPW_ERR_EXCHANGE_QUOTE_USED);
    struct ledger_account after[16];
    assert_int_equal(lf_snapshot(f->lf, after, 16), count);
    lf_assert_snapshot_equal(before, after, count);
}

static void assert_refused(struct xf *f, tpw_u128 id, tpw_u128 debit, tpw_u128 credit,
                           enum tpw_err expected, const char *param)
{
    struct ledger_account before[16];
    size_t count = lf_snapshot(f->lf, before, 16);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err got = execute(f, id, debit, credit, &detail);
    if (got != expected) {
        fail_msg("%s: %s", tpw_strerror(got), detail.message);
    }
    if (param != NULL) {
        assert_string_equal(detail.param, param);
    }
    struct ledger_account after[16];
    assert_int_equal(lf_snapshot(f->lf, after, 16), count);
    lf_assert_snapshot_equal(before, after, count);
}

/* Refusals by the ledger change nothing. One that pins the ids spends the quote (a
 * retry could otherwise turn "declined" into "paid"); one on the group's form alone
 * leaves it open. */
static void test_refusals_change_nothing(void **state)
{
    struct xf *f = *state;
    struct exchange_quote big = quote_locked(f, 200000); /* 2000.00 EUR: more than held */
    assert_refused(f, big.id, CUSTOMER_EUR, CUSTOMER_TWD, TPW_ERR_EXCHANGE_INSUFFICIENT_FUNDS,
                   "debit_account_id");
    assert_refused(f, big.id, CUSTOMER_EUR, CUSTOMER_TWD, TPW_ERR_EXCHANGE_QUOTE_USED, NULL);
    static const struct {
        tpw_u128 debit;
        tpw_u128 credit;
        enum tpw_err err;
        const char *param;
    } cases[] = {
        {CUSTOMER_EUR, CUSTOMER_USD, TPW_ERR_EXCHANGE_ACCOUNT_ASSET, "credit_account_id"},
        {CUSTOMER_USD, CUSTOMER_TWD, TPW_ERR_EXCHANGE_ACCOUNT_ASSET, "debit_account_id"},
        {555, CUSTOMER_TWD, TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND, "debit_account_id"},
        {CUSTOMER_EUR, 556, TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND, "credit_account_id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct exchange_quote quote = quote_locked(f, 10000);
        assert_refused(f, quote.id, cases[i].debit, cases[i].credit, cases[i].err, cases[i].param);
        assert_refused(f, quote.id, CUSTOMER_EUR, CUSTOMER_TWD, TPW_ERR_EXCHANGE_QUOTE_USED, NULL);
    }
    /* Debiting the house's own pool into itself fails on the form (accounts must
     * differ): nothing pinned, the quote is still good. */
    struct exchange_quote quote = quote_locked(f, 10000);
    tpw_u128 pool = exchange_pool_account_id(LF_EUR);
    assert_refused(f, quote.id, pool, CUSTOMER_TWD, TPW_ERR_EXCHANGE_REFUSED, NULL);
    assert_err(execute(f, quote.id, CUSTOMER_EUR, CUSTOMER_TWD, NULL), TPW_OK);
    lf_assert_double_entry(f->lf);
}

/* Unknown, busy, expired, full — and a replay the book forgot, caught by the ledger. */
static void test_quote_lifecycle(void **state)
{
    struct xf *f = *state;
    struct exchange_quote quote = quote_locked(f, 10000);
    struct exchange_quote taken;
    assert_err(exchange_quote_take(f->book, quote.id + 8, &taken, NULL),
               TPW_ERR_EXCHANGE_QUOTE_UNKNOWN); /* the next slot: empty */
    assert_err(exchange_quote_take(f->book, quote.id ^ ((tpw_u128)1 << 100), &taken, NULL),
               TPW_ERR_EXCHANGE_QUOTE_UNKNOWN); /* the same slot, another id */
    assert_err(exchange_quote_take(f->book, quote.id, &taken, NULL), TPW_OK);
    assert_err(exchange_quote_take(f->book, quote.id, &taken, NULL), TPW_ERR_EXCHANGE_QUOTE_BUSY);
    exchange_quote_release(f->book, quote.id, false);
    f->lf->now_ns += TTL_NS; /* the expiry is exclusive */
    assert_refused(f, quote.id, CUSTOMER_EUR, CUSTOMER_TWD, TPW_ERR_EXCHANGE_QUOTE_EXPIRED, NULL);
    /* 16 slots: the 17th unexpired quote does not fit until the oldest expires. */
    struct exchange_quote first = quote_locked(f, 10000);
    for (int i = 1; i < 16; i++) {
        (void)quote_locked(f, 10000);
    }
    struct exchange_quote more = first;
    assert_err(exchange_quote_lock(f->book, &more, NULL), TPW_ERR_EXCHANGE_QUOTES_FULL);
    /* Executed, then forgotten (a restart): the ledger still knows the ids. */
    assert_err(execute(f, first.id, CUSTOMER_EUR, CUSTOMER_TWD, NULL), TPW_OK);
    struct ledger_transfer transfers[EXCHANGE_TRANSFERS_MAX];
    size_t count = exchange_quote_transfers(&first, CUSTOMER_EUR, CUSTOMER_TWD, transfers);
    enum ledger_transfer_result results[EXCHANGE_TRANSFERS_MAX];
    lf_submit_batch(f->lf, transfers, count, results);
    bool spent = false;
    assert_err(exchange_results_check(results, count, &spent, NULL), TPW_ERR_EXCHANGE_QUOTE_USED);
    assert_true(spent);
    f->lf->now_ns += TTL_NS;
    assert_err(exchange_quote_lock(f->book, &more, NULL), TPW_OK);
    lf_assert_double_entry(f->lf);
}

/* The verdicts on results the other tests do not reach. */
static void test_results_check(void **state)
{
    (void)state;
    enum ledger_transfer_result closed[] = {LEDGER_TRANSFER_DEBIT_ACCOUNT_ALREADY_CLOSED,
                                            LEDGER_TRANSFER_LINKED_EVENT_FAILED,
                                            LEDGER_TRANSFER_LINKED_EVENT_FAILED};
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    bool spent = false;
    assert_err(exchange_results_check(closed, 3, &spent, &detail), TPW_ERR_EXCHANGE_REFUSED);
    assert_non_null(strstr(detail.message, "debit_account_already_closed"));
    assert_true(spent);
    /* A house pool over its limit is the house's refusal, not the customer's funds. */
    enum ledger_transfer_result pool[] = {LEDGER_TRANSFER_LINKED_EVENT_FAILED,
                                          LEDGER_TRANSFER_LINKED_EVENT_FAILED,
                                          LEDGER_TRANSFER_EXCEEDS_CREDITS};
    assert_err(exchange_results_check(pool, 3, &spent, NULL), TPW_ERR_EXCHANGE_REFUSED);
    assert_u128_equal(exchange_pool_account_id(5) >> 64, EXCHANGE_HOUSE_ID_HIGH);
    assert_true(exchange_pool_account_id(5) != exchange_fee_account_id(5));
}

static void test_book_arguments(void **state)
{
    (void)state;
    uint64_t now_ns = 0;
    exchange_quote_book *book = NULL;
    assert_err(exchange_quote_book_create(0, 1, tpw_clock_manual(&now_ns), 1, &book, NULL),
               TPW_ERR_INVALID_ARGUMENT);
    assert_err(exchange_quote_book_create(EXCHANGE_QUOTES_MAX_LOG2 + 1, 1,
                                          tpw_clock_manual(&now_ns), 1, &book, NULL),
               TPW_ERR_INVALID_ARGUMENT);
    assert_err(exchange_quote_book_create(4, 0, tpw_clock_manual(&now_ns), 1, &book, NULL),
               TPW_ERR_INVALID_ARGUMENT);
    exchange_quote_book_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_conversion_moves_the_quoted_amounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quote_lifecycle, setup, teardown),
        cmocka_unit_test(test_results_check),
        cmocka_unit_test(test_book_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
