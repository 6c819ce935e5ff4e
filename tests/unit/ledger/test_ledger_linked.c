/*
 * Atomic groups and idempotency of ledger transfers, from docs/ledger.md and
 * include/tpwallet/ledger.h: linked chains roll back whole (the failing member reports
 * its own result, the rest linked_event_failed, no balance moves), chains left open,
 * several chains per batch, chains whose later members use what earlier ones made, an
 * FX conversion across two assets as one group, every exists / exists_with_different_*
 * outcome (posts, voids and balancing transfers included), and id pinning: state-
 * dependent failures pin the id (across reopen), validation failures and
 * linked_event_failed do not.
 */
#include "tpw_test.h"

#include <string.h>

#include "ledger_fixture.h"

#define R(name) LEDGER_TRANSFER_##name
#define USD LF_USD
#define EUR LF_EUR
#define LINKED LF_T_LINKED
#define PEND LF_T_PENDING
#define POST LF_T_POST
#define VOID LF_T_VOID
#define BAL_D LF_T_BAL_DEBIT
#define BADFLAG ((uint16_t)(1u << 8))
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define SNAPSHOT_MAX 32

enum {
    EXT = 1, /* USD, no limits */
    A = 2,   /* USD, debits_must_not_exceed_credits, empty */
    B = 3,   /* USD, no limits */
    C = 4,   /* USD, no limits */
    D = 5,   /* USD, no limits */
};

static int setup_accounts(void **state)
{
    if (lf_setup(state) != 0) {
        return -1;
    }
    struct lf *f = *state;
    lf_add_account(f, EXT, USD, 0);
    lf_add_account(f, A, USD, LF_A_DMNEC);
    lf_add_account(f, B, USD, 0);
    lf_add_account(f, C, USD, 0);
    lf_add_account(f, D, USD, 0);
    return 0;
}

static struct ledger_transfer linked(struct ledger_transfer transfer)
{
    transfer.flags |= LINKED;
    return transfer;
}

/* Submits a batch and checks every result; with `unchanged`, also that no account
 * moved at all. Failures report the calling line. */
#define submit_expect(f, batch, count, expected, unchanged)                                        \
    check_batch((f), (batch), (count), (expected), (unchanged), __FILE__, __LINE__)

static void check_batch(struct lf *f, const struct ledger_transfer *batch, size_t count,
                        const enum ledger_transfer_result *expected, bool unchanged,
                        const char *file, int line)
{
    struct ledger_account before[SNAPSHOT_MAX] = {0};
    struct ledger_account after[SNAPSHOT_MAX] = {0};
    size_t accounts = lf_snapshot(f, before, SNAPSHOT_MAX);
    enum ledger_transfer_result results[16] = {0};
    assert_true(count <= COUNT(results));
    lf_submit_batch(f, batch, count, results);
    lf_check_transfer_results(results, expected, count, file, line);
    if (unchanged) {
        assert_int_equal(lf_snapshot(f, after, SNAPSHOT_MAX), accounts);
        lf_check_snapshot_equal(before, after, accounts, file, line);
    }
    lf_check_double_entry(f, file, line);
}

static void test_chain_rollback(void **state)
{
    struct lf *f = *state;
    lf_move(f, 1, EXT, A, USD, 100);
    f->now_ns = lf_stats(f).last_timestamp + 1000;
    const struct ledger_transfer middle[3] = {linked(lf_transfer(10, EXT, B, USD, 50)),
                                              linked(lf_transfer(11, A, B, USD, 500)),
                                              lf_transfer(12, EXT, C, USD, 5)};
    static const enum ledger_transfer_result middle_results[3] = {
        R(LINKED_EVENT_FAILED), R(EXCEEDS_CREDITS), R(LINKED_EVENT_FAILED)};
    submit_expect(f, middle, 3, middle_results, true);
    assert_true(lf_stats(f).last_timestamp == f->now_ns); /* failures take stamps too */
    for (tpw_u128 id = 10; id <= 12; id++) {
        assert_false(lf_transfer_exists(f, id));
    }
    /* The first member fails. */
    const struct ledger_transfer first[2] = {linked(lf_transfer(20, A, B, USD, 500)),
                                             lf_transfer(21, EXT, B, USD, 1)};
    static const enum ledger_transfer_result first_results[2] = {R(EXCEEDS_CREDITS),
                                                                 R(LINKED_EVENT_FAILED)};
    submit_expect(f, first, 2, first_results, true);
    /* The last member fails, on a validation result. */
    const struct ledger_transfer last[3] = {linked(lf_transfer(30, EXT, B, USD, 1)),
                                            linked(lf_transfer(31, A, B, USD, 100)),
                                            lf_transfer(32, EXT, B, USD, 0)};
    static const enum ledger_transfer_result last_results[3] = {
        R(LINKED_EVENT_FAILED), R(LINKED_EVENT_FAILED), R(AMOUNT_MUST_NOT_BE_ZERO)};
    submit_expect(f, last, 3, last_results, true);
    lf_assert_balances(f, A, 0, 0, 0, 100);
    assert_int_equal(lf_stats(f).transfers, 1);
}

static void test_chain_open(void **state)
{
    struct lf *f = *state;
    const struct ledger_transfer alone[1] = {linked(lf_transfer(10, EXT, B, USD, 1))};
    static const enum ledger_transfer_result alone_results[1] = {R(LINKED_EVENT_CHAIN_OPEN)};
    submit_expect(f, alone, 1, alone_results, true);
    const struct ledger_transfer tail[3] = {lf_transfer(20, EXT, B, USD, 1),
                                            linked(lf_transfer(21, EXT, B, USD, 2)),
                                            linked(lf_transfer(22, EXT, B, USD, 4))};
    static const enum ledger_transfer_result tail_results[3] = {R(OK), R(LINKED_EVENT_FAILED),
                                                                R(LINKED_EVENT_CHAIN_OPEN)};
    submit_expect(f, tail, 3, tail_results, false);
    lf_assert_balances(f, B, 0, 0, 0, 1);
    /* Chain open outranks the last command's own problems. */
    const struct ledger_transfer bad[2] = {linked(lf_transfer(30, EXT, B, USD, 1)),
                                           linked(lf_transfer(31, EXT, B, USD, 0))};
    static const enum ledger_transfer_result bad_results[2] = {R(LINKED_EVENT_FAILED),
                                                               R(LINKED_EVENT_CHAIN_OPEN)};
    submit_expect(f, bad, 2, bad_results, true);
    assert_false(lf_transfer_exists(f, 21));
    assert_false(lf_transfer_exists(f, 30));
}

/* Chains in one batch succeed or fail on their own. */
static void test_several_chains(void **state)
{
    struct lf *f = *state;
    const struct ledger_transfer batch[8] = {
        linked(lf_transfer(10, EXT, B, USD, 1)),  lf_transfer(11, EXT, B, USD, 2),
        linked(lf_transfer(20, EXT, C, USD, 4)),  lf_transfer(21, A, C, USD, 8),
        lf_transfer(30, EXT, D, USD, 16),         linked(lf_transfer(40, EXT, D, USD, 32)),
        linked(lf_transfer(41, EXT, D, USD, 64)), lf_transfer(42, EXT, D, USD, 128),
    };
    static const enum ledger_transfer_result expected[8] = {
        R(OK), R(OK), R(LINKED_EVENT_FAILED), R(EXCEEDS_CREDITS), R(OK), R(OK), R(OK), R(OK)};
    submit_expect(f, batch, 8, expected, false);
    lf_assert_balances(f, B, 0, 0, 0, 3);
    lf_assert_balances(f, C, 0, 0, 0, 0);
    lf_assert_balances(f, D, 0, 0, 0, 240);
    lf_assert_balances(f, EXT, 0, 243, 0, 0);
}

/* Later members see what earlier ones did, and a rollback undoes all of it. */
static void test_chain_builds_on_itself(void **state)
{
    struct lf *f = *state;
    struct ledger_transfer post = linked(lf_post(11, 10, 0));
    const struct ledger_transfer hold_then_post[3] = {linked(lf_pending(10, EXT, B, USD, 100, 0)),
                                                      post, lf_transfer(12, A, B, USD, 5000)};
    static const enum ledger_transfer_result failed[3] = {
        R(LINKED_EVENT_FAILED), R(LINKED_EVENT_FAILED), R(EXCEEDS_CREDITS)};
    submit_expect(f, hold_then_post, 3, failed, true);
    assert_false(lf_transfer_exists(f, 10));
    assert_false(lf_transfer_exists(f, 11));
    const struct ledger_transfer ok_pair[2] = {linked(lf_pending(20, EXT, B, USD, 100, 0)),
                                               lf_post(21, 20, 0)};
    static const enum ledger_transfer_result ok[2] = {R(OK), R(OK)};
    submit_expect(f, ok_pair, 2, ok, false);
    assert_int_equal(lf_pending_state(f, 20), LEDGER_PENDING_POSTED);
    lf_assert_balances(f, B, 0, 0, 0, 100);
    /* Funding first lets the spend through; the other order fails whole. */
    const struct ledger_transfer fund_spend[2] = {linked(lf_transfer(30, EXT, A, USD, 50)),
                                                  lf_transfer(31, A, C, USD, 50)};
    submit_expect(f, fund_spend, 2, ok, false);
    const struct ledger_transfer spend_fund[2] = {linked(lf_transfer(40, A, C, USD, 50)),
                                                  lf_transfer(41, EXT, A, USD, 50)};
    static const enum ledger_transfer_result spend_failed[2] = {R(EXCEEDS_CREDITS),
                                                                R(LINKED_EVENT_FAILED)};
    submit_expect(f, spend_fund, 2, spend_failed, true);
    lf_assert_balances(f, A, 0, 50, 0, 50);
}

/* A void, or a closing transfer, rolled back with its group leaves no trace. */
static void test_chain_rolls_back_void_and_close(void **state)
{
    struct lf *f = *state;
    lf_expect(f, lf_pending(10, EXT, B, USD, 70, 0), R(OK));
    const struct ledger_transfer void_fail[2] = {linked(lf_void(11, 10, 0)),
                                                 lf_transfer(12, A, B, USD, 1)};
    static const enum ledger_transfer_result failed[2] = {R(LINKED_EVENT_FAILED),
                                                          R(EXCEEDS_CREDITS)};
    submit_expect(f, void_fail, 2, failed, true);
    assert_int_equal(lf_pending_state(f, 10), LEDGER_PENDING_PENDING);
    lf_assert_balances(f, B, 0, 0, 70, 0);
    struct ledger_transfer close = lf_pending(13, D, C, USD, 5, 0);
    close.flags |= LF_T_CLOSE_DEBIT | LINKED;
    const struct ledger_transfer close_fail[2] = {close, lf_transfer(14, A, B, USD, 1)};
    submit_expect(f, close_fail, 2, failed, true);
    assert_int_equal(lf_get_account(f, D).flags & LF_A_CLOSED, 0);
    lf_move(f, 15, D, C, USD, 1);
}

/* The FX accounts: a customer's EUR and USD wallets, the house pools and fee income. */
enum {
    CUST_EUR = 10,
    CUST_USD = 11,
    POOL_EUR = 20,
    POOL_USD = 21,
    FEES_EUR = 30,
    EXT_EUR = 40,
    EQUITY_USD = 41,
};

static void fx_accounts(struct lf *f)
{
    static const struct {
        tpw_u128 id;
        uint32_t asset;
        uint16_t kind;
        uint16_t flags;
        tpw_u128 owner;
    } accounts[] = {
        {CUST_EUR, EUR, LEDGER_KIND_USER, LF_A_DMNEC, 900},
        {CUST_USD, USD, LEDGER_KIND_USER, LF_A_DMNEC, 900},
        {POOL_EUR, EUR, LEDGER_KIND_FX_POOL, 0, 0},
        {POOL_USD, USD, LEDGER_KIND_FX_POOL, LF_A_DMNEC, 0},
        {FEES_EUR, EUR, LEDGER_KIND_FEES, 0, 0},
        {EXT_EUR, EUR, LEDGER_KIND_EXTERNAL, 0, 0},
        {EQUITY_USD, USD, LEDGER_KIND_EQUITY, 0, 0},
    };
    for (size_t index = 0; index < COUNT(accounts); index++) {
        struct ledger_account account =
            lf_account(accounts[index].id, accounts[index].asset, accounts[index].flags);
        account.kind = accounts[index].kind;
        account.owner = accounts[index].owner;
        lf_assert_account_result(lf_create_account(f, &account), LEDGER_ACCOUNT_OK);
    }
    lf_move(f, 100, EXT_EUR, CUST_EUR, EUR, 10000);    /* 100.00 EUR deposited */
    lf_move(f, 101, EQUITY_USD, POOL_USD, USD, 50000); /* 500.00 USD of house capital */
}

/* EUR in, USD out, a EUR fee: three legs in two assets, one group. */
static void fx_group(struct ledger_transfer legs[3], tpw_u128 first_id, tpw_u128 eur_in,
                     tpw_u128 usd_out, tpw_u128 fee)
{
    legs[0] = linked(lf_transfer(first_id, CUST_EUR, POOL_EUR, EUR, eur_in));
    legs[1] = linked(lf_transfer(first_id + 1, POOL_USD, CUST_USD, USD, usd_out));
    legs[2] = lf_transfer(first_id + 2, CUST_EUR, FEES_EUR, EUR, fee);
}

static void test_fx_conversion(void **state)
{
    struct lf *f = *state;
    fx_accounts(f);
    struct ledger_transfer legs[3] = {0};
    fx_group(legs, 200, 9000, 10500, 100);
    static const enum ledger_transfer_result ok[3] = {R(OK), R(OK), R(OK)};
    submit_expect(f, legs, 3, ok, false);
    lf_assert_balances(f, CUST_EUR, 0, 9100, 0, 10000);
    lf_assert_balances(f, POOL_EUR, 0, 0, 0, 9000);
    lf_assert_balances(f, FEES_EUR, 0, 0, 0, 100);
    lf_assert_balances(f, POOL_USD, 0, 10500, 0, 50000);
    lf_assert_balances(f, CUST_USD, 0, 0, 0, 10500);
    /* 900 EUR left: 850 + a fee of 100 is too much, so nothing moves in either asset. */
    fx_group(legs, 300, 850, 990, 100);
    static const enum ledger_transfer_result fee_short[3] = {
        R(LINKED_EVENT_FAILED), R(LINKED_EVENT_FAILED), R(EXCEEDS_CREDITS)};
    submit_expect(f, legs, 3, fee_short, true);
    /* The pool cannot pay out 1000.00 USD: nothing moves either. */
    fx_group(legs, 400, 500, 100000, 10);
    static const enum ledger_transfer_result pool_short[3] = {
        R(LINKED_EVENT_FAILED), R(EXCEEDS_CREDITS), R(LINKED_EVENT_FAILED)};
    submit_expect(f, legs, 3, pool_short, true);
    /* A leg whose asset does not match its accounts fails the group too. */
    fx_group(legs, 500, 500, 550, 10);
    legs[1].asset = EUR;
    static const enum ledger_transfer_result wrong_asset[3] = {
        R(LINKED_EVENT_FAILED), R(TRANSFER_MUST_HAVE_THE_SAME_ASSET_AS_ACCOUNTS),
        R(LINKED_EVENT_FAILED)};
    submit_expect(f, legs, 3, wrong_asset, true);
    for (tpw_u128 id = 300; id < 303; id++) {
        assert_false(lf_transfer_exists(f, id));
    }
}

/* The stored transfer every exists_* row below meets. */
#define STORED_ID 500
#define STORED_USER_DATA 42
#define STORED_CODE 7

struct exists_case {
    uint16_t flags;
    tpw_u128 pending_id;
    uint32_t timeout_s;
    tpw_u128 debit;
    tpw_u128 credit;
    tpw_u128 amount;
    tpw_u128 user_data;
    uint32_t asset;
    uint16_t code;
    uint64_t timestamp;
    enum ledger_transfer_result expected;
};

static const struct exists_case exists_cases[] = {
    /* flags, pending_id, timeout, debit, credit, amount, user_data, asset, code,
     * timestamp, expected */
    {0, 0, 0, EXT, B, 100, 42, USD, 7, 0, R(EXISTS)},
    {PEND, 0, 0, EXT, B, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_FLAGS)},
    {BAL_D, 0, 0, EXT, B, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_FLAGS)},
    {0, 9, 0, EXT, B, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_PENDING_ID)},
    {0, 0, 5, EXT, B, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_TIMEOUT)},
    {0, 0, 0, C, B, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID)},
    {0, 0, 0, EXT, C, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID)},
    {0, 0, 0, EXT, B, 99, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_AMOUNT)},
    {0, 0, 0, EXT, B, 101, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_AMOUNT)},
    {0, 0, 0, EXT, B, 0, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_AMOUNT)},
    {0, 0, 0, EXT, B, 100, 43, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_USER_DATA)},
    {0, 0, 0, EXT, B, 100, 0, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_USER_DATA)},
    {0, 0, 0, EXT, B, 100, 42, EUR, 7, 0, R(EXISTS_WITH_DIFFERENT_ASSET)},
    {0, 0, 0, EXT, B, 100, 42, USD, 8, 0, R(EXISTS_WITH_DIFFERENT_CODE)},
    {0, 0, 0, EXT, B, 100, 42, USD, 0, 0, R(EXISTS_WITH_DIFFERENT_CODE)},
    /* Precedence: the earlier field wins, and exists_* beat later validation. */
    {PEND, 9, 0, EXT, B, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_FLAGS)},
    {PEND | POST, 0, 0, EXT, B, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_FLAGS)},
    {0, 9, 5, EXT, B, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_PENDING_ID)},
    {0, 0, 5, C, B, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_TIMEOUT)},
    {0, 0, 0, C, C, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID)},
    {0, 0, 0, 0, B, 100, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID)},
    {0, 0, 0, EXT, C, 99, 42, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID)},
    {0, 0, 0, EXT, B, 99, 43, USD, 7, 0, R(EXISTS_WITH_DIFFERENT_AMOUNT)},
    {0, 0, 0, EXT, B, 100, 43, EUR, 7, 0, R(EXISTS_WITH_DIFFERENT_USER_DATA)},
    {0, 0, 0, EXT, B, 100, 42, EUR, 8, 0, R(EXISTS_WITH_DIFFERENT_ASSET)},
    {0, 0, 0, EXT, B, 100, 42, 0, 7, 0, R(EXISTS_WITH_DIFFERENT_ASSET)},
    /* Earlier results still win over exists_*. */
    {0, 0, 0, EXT, B, 100, 42, USD, 7, 1, R(TIMESTAMP_MUST_BE_ZERO)},
    {BADFLAG, 0, 0, EXT, B, 100, 42, USD, 7, 0, R(RESERVED_FLAG)},
};

static struct ledger_transfer from_exists_case(const struct exists_case *c)
{
    struct ledger_transfer transfer =
        lf_transfer(STORED_ID, c->debit, c->credit, c->asset, c->amount);
    transfer.flags = c->flags;
    transfer.pending_id = c->pending_id;
    transfer.timeout_s = c->timeout_s;
    transfer.user_data = c->user_data;
    transfer.code = c->code;
    transfer.timestamp = c->timestamp;
    return transfer;
}

static void test_exists_outcomes(void **state)
{
    struct lf *f = *state;
    struct ledger_transfer stored = from_exists_case(&exists_cases[0]);
    lf_expect(f, stored, R(OK));
    struct ledger_transfer before = lf_get_transfer(f, STORED_ID);
    for (size_t index = 0; index < COUNT(exists_cases); index++) {
        struct ledger_transfer transfer = from_exists_case(&exists_cases[index]);
        print_message("row %zu\n", index);
        lf_assert_transfer_result(lf_submit(f, &transfer), exists_cases[index].expected);
    }
    struct ledger_transfer after = lf_get_transfer(f, STORED_ID);
    assert_memory_equal(&after, &before, sizeof(before));
    lf_assert_balances(f, B, 0, 0, 0, 100);
    assert_int_equal(lf_stats(f).transfers, 1);
    assert_int_equal(lf_stats(f).failed_ids, 0);
}

/* A retry inside the same batch already meets the first attempt. */
static void test_exists_in_same_batch(void **state)
{
    struct lf *f = *state;
    struct ledger_transfer changed = lf_transfer(11, EXT, B, USD, 6);
    const struct ledger_transfer batch[4] = {lf_transfer(10, EXT, B, USD, 5),
                                             lf_transfer(10, EXT, B, USD, 5),
                                             lf_transfer(11, EXT, B, USD, 7), changed};
    static const enum ledger_transfer_result expected[4] = {R(OK), R(EXISTS), R(OK),
                                                            R(EXISTS_WITH_DIFFERENT_AMOUNT)};
    submit_expect(f, batch, 4, expected, false);
    lf_assert_balances(f, B, 0, 0, 0, 12);
    assert_int_equal(lf_stats(f).transfers, 2);
}

/* Flags are compared without `linked`; `exists` counts as success inside a group. */
static void test_exists_ignores_linked(void **state)
{
    struct lf *f = *state;
    lf_move(f, 10, EXT, B, USD, 5);
    const struct ledger_transfer batch[2] = {linked(lf_transfer(10, EXT, B, USD, 5)),
                                             lf_transfer(11, EXT, C, USD, 1)};
    static const enum ledger_transfer_result expected[2] = {R(EXISTS), R(OK)};
    submit_expect(f, batch, 2, expected, false);
    lf_assert_balances(f, B, 0, 0, 0, 5);
    lf_assert_balances(f, C, 0, 0, 0, 1);
    /* Stored with `linked`, retried without it. */
    const struct ledger_transfer pair[2] = {linked(lf_transfer(20, EXT, B, USD, 1)),
                                            lf_transfer(21, EXT, B, USD, 1)};
    static const enum ledger_transfer_result ok[2] = {R(OK), R(OK)};
    submit_expect(f, pair, 2, ok, false);
    lf_expect(f, lf_transfer(20, EXT, B, USD, 1), R(EXISTS));
}

/* A retried pending transfer is the stored one, whatever became of it since. */
static void test_exists_after_resolution(void **state)
{
    struct lf *f = *state;
    lf_expect(f, lf_pending(10, EXT, B, USD, 30, 1), R(OK));
    lf_expect(f, lf_pending(11, EXT, B, USD, 40, 0), R(OK));
    lf_expect(f, lf_void(12, 11, 0), R(OK));
    f->now_ns = lf_get_transfer(f, 10).timestamp + 2 * LF_NS_PER_S;
    lf_move(f, 13, EXT, C, USD, 1);
    assert_int_equal(lf_pending_state(f, 10), LEDGER_PENDING_EXPIRED);
    lf_expect(f, lf_pending(10, EXT, B, USD, 30, 1), R(EXISTS));
    lf_expect(f, lf_pending(10, EXT, B, USD, 30, 2), R(EXISTS_WITH_DIFFERENT_TIMEOUT));
    lf_expect(f, lf_pending(11, EXT, B, USD, 40, 0), R(EXISTS));
    lf_expect(f, lf_void(12, 11, 0), R(EXISTS));
    assert_int_equal(lf_pending_state(f, 10), LEDGER_PENDING_EXPIRED);
    assert_int_equal(lf_pending_state(f, 11), LEDGER_PENDING_VOIDED);
    lf_assert_balances(f, B, 0, 0, 0, 0);
    assert_int_equal(lf_stats(f).pending, 0);
}

/* Posts and voids compare only the fields they gave; amount 0 means "as resolved". */
static void test_exists_post_and_void(void **state)
{
    struct lf *f = *state;
    lf_expect(f, lf_pending(600, EXT, B, USD, 300, 0), R(OK));
    lf_expect(f, lf_post(601, 600, 0), R(OK));
    static const struct exists_case post_cases[] = {
        {POST, 600, 0, 0, 0, 0, 0, 0, 0, 0, R(EXISTS)},
        {POST, 600, 0, EXT, 0, 0, 0, 0, 0, 0, R(EXISTS)},
        {POST, 600, 0, EXT, B, 300, 0, USD, LF_CODE, 0, R(EXISTS)},
        {POST, 600, 0, 0, 0, 200, 0, 0, 0, 0, R(EXISTS_WITH_DIFFERENT_AMOUNT)},
        {POST, 600, 0, C, 0, 0, 0, 0, 0, 0, R(EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID)},
        {POST, 600, 0, 0, C, 0, 0, 0, 0, 0, R(EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID)},
        {POST, 600, 0, 0, 0, 0, 0, EUR, 0, 0, R(EXISTS_WITH_DIFFERENT_ASSET)},
        {POST, 600, 0, 0, 0, 0, 0, 0, 8, 0, R(EXISTS_WITH_DIFFERENT_CODE)},
        {POST, 602, 0, 0, 0, 0, 0, 0, 0, 0, R(EXISTS_WITH_DIFFERENT_PENDING_ID)},
        {VOID, 600, 0, 0, 0, 0, 0, 0, 0, 0, R(EXISTS_WITH_DIFFERENT_FLAGS)},
        {POST, 600, 0, 0, 0, 0, 5, 0, 0, 0, R(EXISTS_WITH_DIFFERENT_USER_DATA)},
    };
    for (size_t index = 0; index < COUNT(post_cases); index++) {
        struct ledger_transfer transfer = from_exists_case(&post_cases[index]);
        transfer.id = 601;
        print_message("post row %zu\n", index);
        lf_assert_transfer_result(lf_submit(f, &transfer), post_cases[index].expected);
    }
    /* A partial post. */
    lf_expect(f, lf_pending(610, EXT, B, USD, 300, 0), R(OK));
    lf_expect(f, lf_post(611, 610, 100), R(OK));
    lf_expect(f, lf_post(611, 610, 100), R(EXISTS));
    lf_expect(f, lf_post(611, 610, 0), R(EXISTS));
    lf_expect(f, lf_post(611, 610, 300), R(EXISTS_WITH_DIFFERENT_AMOUNT));
    /* A void: the identical retry, and the pending amount spelled out. */
    lf_expect(f, lf_pending(620, EXT, B, USD, 300, 0), R(OK));
    lf_expect(f, lf_void(621, 620, 0), R(OK));
    lf_expect(f, lf_void(621, 620, 0), R(EXISTS));
    lf_expect(f, lf_void(621, 620, 300), R(EXISTS));
    lf_expect(f, lf_void(621, 620, 5), R(EXISTS_WITH_DIFFERENT_AMOUNT));
    lf_assert_balances(f, B, 0, 0, 0, 400);
    assert_int_equal(lf_stats(f).failed_ids, 0);
}

/* A balancing transfer matches on amount 0 or any amount at least what it moved. */
static void test_exists_balancing(void **state)
{
    struct lf *f = *state;
    lf_move(f, 1, EXT, A, USD, 100);
    struct ledger_transfer sweep = lf_transfer(700, A, B, USD, 500);
    sweep.flags = BAL_D;
    lf_expect(f, sweep, R(OK));
    assert_u128_equal(lf_get_transfer(f, 700).amount, 100);
    static const tpw_u128 matching[] = {500, 0, 100, 101, 300, TPW_U128_MAX};
    for (size_t index = 0; index < COUNT(matching); index++) {
        sweep.amount = matching[index];
        lf_expect(f, sweep, R(EXISTS));
    }
    sweep.amount = 99;
    lf_expect(f, sweep, R(EXISTS_WITH_DIFFERENT_AMOUNT));
    /* More money arriving does not make the retry move more. */
    lf_move(f, 2, EXT, A, USD, 1000);
    sweep.amount = 500;
    lf_expect(f, sweep, R(EXISTS));
    lf_assert_balances(f, A, 0, 100, 0, 1100);
}

/* A state-dependent failure pins the id: funding the account later changes nothing. */
static void test_id_already_failed(void **state)
{
    struct lf *f = *state;
    lf_expect(f, lf_transfer(10, A, B, USD, 50), R(EXCEEDS_CREDITS));
    assert_int_equal(lf_stats(f).failed_ids, 1);
    lf_move(f, 11, EXT, A, USD, 100);
    lf_expect(f, lf_transfer(10, A, B, USD, 50), R(ID_ALREADY_FAILED));
    lf_expect(f, lf_transfer(10, EXT, B, USD, 1), R(ID_ALREADY_FAILED));
    lf_expect(f, lf_pending(10, A, B, USD, 50, 0), R(ID_ALREADY_FAILED));
    /* id_already_failed comes before the command's own later problems. */
    lf_expect(f, lf_transfer(10, A, B, USD, 0), R(ID_ALREADY_FAILED));
    struct ledger_transfer both = lf_transfer(10, A, B, USD, 50);
    both.flags = PEND | POST;
    lf_expect(f, both, R(ID_ALREADY_FAILED));
    /* Results before it still win. */
    both = lf_transfer(10, A, B, USD, 50);
    both.timestamp = 1;
    lf_expect(f, both, R(TIMESTAMP_MUST_BE_ZERO));
    lf_assert_balances(f, A, 0, 0, 0, 100);
    assert_false(lf_transfer_exists(f, 10));
    /* A new id goes through. */
    lf_expect(f, lf_transfer(12, A, B, USD, 50), R(OK));
    assert_int_equal(lf_stats(f).failed_ids, 1);
}

static void test_pin_on_missing_account(void **state)
{
    struct lf *f = *state;
    lf_expect(f, lf_transfer(10, 77, B, USD, 5), R(DEBIT_ACCOUNT_NOT_FOUND));
    lf_add_account(f, 77, USD, 0);
    lf_expect(f, lf_transfer(10, 77, B, USD, 5), R(ID_ALREADY_FAILED));
    lf_expect(f, lf_post(20, 999, 0), R(PENDING_TRANSFER_NOT_FOUND));
    lf_expect(f, lf_pending(999, EXT, B, USD, 5, 0), R(OK));
    lf_expect(f, lf_post(20, 999, 0), R(ID_ALREADY_FAILED));
    assert_int_equal(lf_stats(f).failed_ids, 2);
}

static void test_pin_within_batch(void **state)
{
    struct lf *f = *state;
    const struct ledger_transfer batch[3] = {lf_transfer(10, A, B, USD, 50),
                                             lf_transfer(11, EXT, A, USD, 100),
                                             lf_transfer(10, A, B, USD, 50)};
    static const enum ledger_transfer_result expected[3] = {R(EXCEEDS_CREDITS), R(OK),
                                                            R(ID_ALREADY_FAILED)};
    submit_expect(f, batch, 3, expected, false);
    lf_assert_balances(f, A, 0, 0, 0, 100);
}

static void test_pin_survives_reopen(void **state)
{
    struct lf *f = *state;
    lf_expect(f, lf_transfer(10, A, B, USD, 50), R(EXCEEDS_CREDITS));
    lf_reopen(f);
    assert_int_equal(lf_stats(f).failed_ids, 1);
    lf_move(f, 11, EXT, A, USD, 100);
    lf_expect(f, lf_transfer(10, A, B, USD, 50), R(ID_ALREADY_FAILED));
    lf_reopen(f);
    lf_expect(f, lf_transfer(10, A, B, USD, 50), R(ID_ALREADY_FAILED));
    lf_assert_balances(f, A, 0, 0, 0, 100);
}

/* Failures that depend on the command alone fail the same way again, then succeed
 * with the same id once the command is fixed. */
static void test_validation_failures_do_not_pin(void **state)
{
    struct lf *f = *state;
    lf_expect(f, lf_transfer(10, EXT, B, USD, 0), R(AMOUNT_MUST_NOT_BE_ZERO));
    lf_expect(f, lf_transfer(10, EXT, B, USD, 0), R(AMOUNT_MUST_NOT_BE_ZERO));
    struct ledger_transfer no_code = lf_transfer(10, EXT, B, USD, 5);
    no_code.code = 0;
    lf_expect(f, no_code, R(CODE_MUST_NOT_BE_ZERO));
    lf_expect(f, lf_transfer(10, B, B, USD, 5), R(ACCOUNTS_MUST_BE_DIFFERENT));
    assert_int_equal(lf_stats(f).failed_ids, 0);
    lf_expect(f, lf_transfer(10, EXT, B, USD, 5), R(OK));
    lf_assert_balances(f, B, 0, 0, 0, 5);
}

/* linked_event_failed does not pin: the same group succeeds once it is fixed. */
static void test_linked_event_failed_does_not_pin(void **state)
{
    struct lf *f = *state;
    struct ledger_transfer group[3] = {linked(lf_transfer(10, EXT, B, USD, 1)),
                                       linked(lf_transfer(11, EXT, C, USD, 0)),
                                       lf_transfer(12, EXT, D, USD, 3)};
    static const enum ledger_transfer_result failed[3] = {
        R(LINKED_EVENT_FAILED), R(AMOUNT_MUST_NOT_BE_ZERO), R(LINKED_EVENT_FAILED)};
    submit_expect(f, group, 3, failed, true);
    assert_int_equal(lf_stats(f).failed_ids, 0);
    group[1].amount = 2;
    static const enum ledger_transfer_result ok[3] = {R(OK), R(OK), R(OK)};
    submit_expect(f, group, 3, ok, false);
    lf_assert_balances(f, EXT, 0, 6, 0, 0);
}

/* A state-dependent failure inside a group pins that member only. */
static void test_failed_member_pins_only_itself(void **state)
{
    struct lf *f = *state;
    struct ledger_transfer group[3] = {linked(lf_transfer(10, EXT, B, USD, 1)),
                                       linked(lf_transfer(11, A, C, USD, 20)),
                                       lf_transfer(12, EXT, D, USD, 3)};
    static const enum ledger_transfer_result failed[3] = {
        R(LINKED_EVENT_FAILED), R(EXCEEDS_CREDITS), R(LINKED_EVENT_FAILED)};
    submit_expect(f, group, 3, failed, true);
    assert_int_equal(lf_stats(f).failed_ids, 1);
    lf_move(f, 20, EXT, A, USD, 20);
    static const enum ledger_transfer_result pinned[3] = {
        R(LINKED_EVENT_FAILED), R(ID_ALREADY_FAILED), R(LINKED_EVENT_FAILED)};
    submit_expect(f, group, 3, pinned, true);
    group[1].id = 13;
    static const enum ledger_transfer_result ok[3] = {R(OK), R(OK), R(OK)};
    submit_expect(f, group, 3, ok, false);
    lf_assert_balances(f, A, 0, 20, 0, 20);
    lf_assert_balances(f, C, 0, 0, 0, 20);
}

/* Only the failure a group reports pins: a later member that would also have failed
 * on state reports linked_event_failed and stays free. */
static void test_only_the_reported_failure_pins(void **state)
{
    struct lf *f = *state;
    const struct ledger_transfer group[3] = {linked(lf_transfer(10, A, B, USD, 5)),
                                             linked(lf_transfer(11, 88, B, USD, 5)),
                                             lf_transfer(12, EXT, B, USD, 5)};
    static const enum ledger_transfer_result failed[3] = {
        R(EXCEEDS_CREDITS), R(LINKED_EVENT_FAILED), R(LINKED_EVENT_FAILED)};
    submit_expect(f, group, 3, failed, true);
    assert_int_equal(lf_stats(f).failed_ids, 1);
    lf_add_account(f, 88, USD, 0);
    lf_expect(f, lf_transfer(11, 88, B, USD, 5), R(OK));
    lf_expect(f, lf_transfer(12, EXT, B, USD, 5), R(OK));
    lf_expect(f, lf_transfer(10, A, B, USD, 5), R(ID_ALREADY_FAILED));
}

#define LINKED_TEST(name) cmocka_unit_test_setup_teardown(name, setup_accounts, lf_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        LINKED_TEST(test_chain_rollback),
        LINKED_TEST(test_chain_open),
        LINKED_TEST(test_several_chains),
        LINKED_TEST(test_chain_builds_on_itself),
        LINKED_TEST(test_chain_rolls_back_void_and_close),
        LINKED_TEST(test_fx_conversion),
        LINKED_TEST(test_exists_outcomes),
        LINKED_TEST(test_exists_in_same_batch),
        LINKED_TEST(test_exists_ignores_linked),
        LINKED_TEST(test_exists_after_resolution),
        LINKED_TEST(test_exists_post_and_void),
        LINKED_TEST(test_exists_balancing),
        LINKED_TEST(test_id_already_failed),
        LINKED_TEST(test_pin_on_missing_account),
        LINKED_TEST(test_pin_within_batch),
        LINKED_TEST(test_pin_survives_reopen),
        LINKED_TEST(test_validation_failures_do_not_pin),
        LINKED_TEST(test_linked_event_failed_does_not_pin),
        LINKED_TEST(test_failed_member_pins_only_itself),
        LINKED_TEST(test_only_the_reported_failure_pins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
