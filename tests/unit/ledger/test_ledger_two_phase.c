/*
 * Two-phase ledger transfers, from docs/ledger.md and include/tpwallet/ledger.h:
 * pending holds, full and partial posts, voids, every pending_transfer_* result and
 * its precedence, the resolved record stored for a post or void, expiry driven by the
 * journaled timestamps (at the boundary, inside the batch that crosses it, across a
 * reopen), overflows_timeout at 2^64-1, and closing transfers that close an account,
 * keep it closed when posted and reopen it when voided or expired.
 */
#include "tpw_test.h"

#include <string.h>

#include "ledger_fixture.h"

#define R(name) LEDGER_TRANSFER_##name
#define USD LF_USD
#define EUR LF_EUR
#define IDMAX LEDGER_ID_MAX
#define PEND LF_T_PENDING
#define POST LF_T_POST
#define VOID LF_T_VOID
#define CLOSE_D LF_T_CLOSE_DEBIT
#define CLOSE_C LF_T_CLOSE_CREDIT
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

enum {
    EXT = 1,  /* USD, no limits */
    A = 2,    /* USD, debits_must_not_exceed_credits, funded with 1000 */
    B = 3,    /* USD, no limits */
    C = 4,    /* USD, no limits */
    EURX = 5, /* EUR, no limits */
    D = 6,    /* USD, no limits: the account closing transfers close */
    E = 7,    /* USD, no limits */
    SHUT = 8, /* USD, created closed */
};

/* The reason code on the pending transfers here, so inheritance is visible. */
#define HOLD_CODE 7u

static int setup_funded(void **state)
{
    if (lf_setup(state) != 0) {
        return -1;
    }
    struct lf *f = *state;
    lf_add_account(f, EXT, USD, 0);
    lf_add_account(f, A, USD, LF_A_DMNEC);
    lf_add_account(f, B, USD, 0);
    lf_add_account(f, C, USD, 0);
    lf_add_account(f, EURX, EUR, 0);
    lf_add_account(f, D, USD, 0);
    lf_add_account(f, E, USD, 0);
    lf_add_account(f, SHUT, USD, LF_A_CLOSED);
    lf_move(f, 1, EXT, A, USD, 1000);
    return 0;
}

/* A pending A -> B with HOLD_CODE. */
static struct ledger_transfer hold(tpw_u128 id, tpw_u128 amount, uint32_t timeout_s)
{
    struct ledger_transfer transfer = lf_pending(id, A, B, USD, amount, timeout_s);
    transfer.code = HOLD_CODE;
    return transfer;
}

static struct ledger_transfer closing(tpw_u128 id, tpw_u128 debit, tpw_u128 credit, uint16_t flags,
                                      uint32_t timeout_s)
{
    struct ledger_transfer transfer = lf_pending(id, debit, credit, USD, 10, timeout_s);
    transfer.flags |= flags;
    return transfer;
}

static bool is_closed(const struct lf *f, tpw_u128 id)
{
    return (lf_get_account(f, id).flags & LF_A_CLOSED) != 0;
}

static void test_pending_holds(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 0), R(OK));
    lf_assert_balances(f, A, 300, 0, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 300, 0);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_PENDING);
    assert_int_equal(lf_stats(f).pending, 1);
    struct ledger_transfer stored = lf_get_transfer(f, 100);
    assert_int_equal(stored.flags, PEND);
    assert_u128_equal(stored.amount, 300);
    assert_int_equal(stored.code, HOLD_CODE);
    /* The hold counts against A's limit. */
    lf_expect(f, lf_transfer(101, A, C, USD, 701), R(EXCEEDS_CREDITS));
    lf_expect(f, lf_transfer(102, A, C, USD, 700), R(OK));
    lf_assert_double_entry(f);
}

/* Amount 0 posts everything; the record holds what the pending one left out. */
static void test_post_full(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 0), R(OK));
    struct ledger_transfer post = lf_post(101, 100, 0);
    post.user_data = 55;
    lf_expect(f, post, R(OK));
    lf_assert_balances(f, A, 0, 300, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 0, 300);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_POSTED);
    assert_int_equal(lf_pending_state(f, 101), LEDGER_PENDING_NONE);
    assert_int_equal(lf_stats(f).pending, 0);
    struct ledger_transfer stored = lf_get_transfer(f, 101);
    assert_u128_equal(stored.debit_account_id, A);
    assert_u128_equal(stored.credit_account_id, B);
    assert_int_equal(stored.asset, USD);
    assert_int_equal(stored.code, HOLD_CODE);
    assert_u128_equal(stored.amount, 300);
    assert_u128_equal(stored.pending_id, 100);
    assert_u128_equal(stored.user_data, 55);
    assert_int_equal(stored.flags, POST);
    assert_int_equal(stored.timeout_s, 0);
    assert_true(stored.timestamp > lf_get_transfer(f, 100).timestamp);
    lf_assert_double_entry(f);
}

/* Less than the pending amount posts that much and releases the rest. */
static void test_post_partial(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 0), R(OK));
    lf_expect(f, lf_post(101, 100, 100), R(OK));
    lf_assert_balances(f, A, 0, 100, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 0, 100);
    assert_u128_equal(lf_get_transfer(f, 101).amount, 100);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_POSTED);
    /* The released 200 is spendable again. */
    lf_expect(f, lf_transfer(102, A, C, USD, 901), R(EXCEEDS_CREDITS));
    lf_expect(f, lf_transfer(103, A, C, USD, 900), R(OK));
    /* A pending transfer is resolved once: no second partial post. */
    lf_expect(f, lf_post(104, 100, 100), R(PENDING_TRANSFER_ALREADY_POSTED));
    lf_assert_balances(f, A, 0, 1000, 0, 1000);
}

/* A post may give the accounts, asset, code and the exact amount. */
static void test_post_with_every_field(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 0), R(OK));
    struct ledger_transfer post = lf_transfer(101, A, B, USD, 300);
    post.flags = POST;
    post.pending_id = 100;
    post.code = HOLD_CODE;
    lf_expect(f, post, R(OK));
    lf_assert_balances(f, A, 0, 300, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 0, 300);
    /* One field given, the rest left to the pending transfer. */
    lf_expect(f, hold(102, 50, 0), R(OK));
    post = lf_post(103, 102, 0);
    post.credit_account_id = B;
    lf_expect(f, post, R(OK));
    lf_assert_balances(f, B, 0, 0, 0, 350);
}

static void test_post_exceeds_pending_amount(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 0), R(OK));
    lf_expect(f, lf_post(101, 100, 301), R(EXCEEDS_PENDING_TRANSFER_AMOUNT));
    lf_expect(f, lf_post(102, 100, TPW_U128_MAX), R(EXCEEDS_PENDING_TRANSFER_AMOUNT));
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_PENDING);
    lf_assert_balances(f, A, 300, 0, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 300, 0);
    lf_expect(f, lf_post(103, 100, 300), R(OK));
}

static void test_void(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 0), R(OK));
    lf_expect(f, lf_void(101, 100, 0), R(OK));
    lf_assert_balances(f, A, 0, 0, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 0, 0);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_VOIDED);
    assert_int_equal(lf_pending_state(f, 101), LEDGER_PENDING_NONE);
    struct ledger_transfer stored = lf_get_transfer(f, 101);
    assert_u128_equal(stored.amount, 300);
    assert_u128_equal(stored.debit_account_id, A);
    assert_u128_equal(stored.credit_account_id, B);
    assert_int_equal(stored.asset, USD);
    assert_int_equal(stored.code, HOLD_CODE);
    assert_int_equal(stored.flags, VOID);
    assert_u128_equal(stored.pending_id, 100);
    /* The exact amount is accepted; any other is not. */
    lf_expect(f, hold(102, 300, 0), R(OK));
    lf_expect(f, lf_void(103, 102, 300), R(OK));
    lf_expect(f, hold(104, 300, 0), R(OK));
    lf_expect(f, lf_void(105, 104, 299), R(PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT));
    lf_expect(f, lf_void(106, 104, 301), R(PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT));
    lf_expect(f, lf_void(107, 104, 1), R(PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT));
    assert_int_equal(lf_pending_state(f, 104), LEDGER_PENDING_PENDING);
    lf_assert_balances(f, A, 300, 0, 0, 1000);
    lf_expect(f, lf_void(108, 104, 0), R(OK));
    lf_assert_balances(f, A, 0, 0, 0, 1000);
    assert_int_equal(lf_stats(f).pending, 0);
}

struct resolve_case {
    uint16_t flags; /* post or void */
    tpw_u128 debit;
    tpw_u128 credit;
    uint32_t asset;
    uint16_t code;
    tpw_u128 amount;
    enum ledger_transfer_result expected;
};

/* Against the pending A -> B, USD, HOLD_CODE, 300. */
static const struct resolve_case mismatch_cases[] = {
    /* flags, debit, credit, asset, code, amount, expected */
    {POST, C, 0, 0, 0, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID)},
    {POST, B, 0, 0, 0, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID)},
    {POST, 0, C, 0, 0, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID)},
    {POST, 0, A, 0, 0, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID)},
    {POST, 0, 0, EUR, 0, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_ASSET)},
    {POST, 0, 0, 0, HOLD_CODE + 1, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_CODE)},
    {VOID, C, 0, 0, 0, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID)},
    {VOID, 0, C, 0, 0, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID)},
    {VOID, 0, 0, EUR, 0, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_ASSET)},
    {VOID, 0, 0, 0, HOLD_CODE + 1, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_CODE)},
    /* Precedence. */
    {POST, C, C, 0, 0, 0, R(ACCOUNTS_MUST_BE_DIFFERENT)},
    {POST, IDMAX, 0, 0, 0, 0, R(DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX)},
    {POST, 0, IDMAX, 0, 0, 0, R(CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX)},
    {POST, C, 0, 0, HOLD_CODE + 1, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID)},
    {POST, C, C + 1, 0, 0, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID)},
    {POST, 0, C, 0, HOLD_CODE + 1, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID)},
    {POST, 0, 0, EUR, HOLD_CODE + 1, 0, R(PENDING_TRANSFER_HAS_DIFFERENT_ASSET)},
    {POST, 0, 0, 0, HOLD_CODE + 1, 301, R(PENDING_TRANSFER_HAS_DIFFERENT_CODE)},
    {VOID, 0, 0, 0, HOLD_CODE + 1, 5, R(PENDING_TRANSFER_HAS_DIFFERENT_CODE)},
    {POST, 0, C, 0, 0, 301, R(PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID)},
    /* Everything matching. */
    {POST, A, B, USD, HOLD_CODE, 300, R(OK)},
};

static void test_resolve_mismatches(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 0), R(OK));
    for (size_t index = 0; index < COUNT(mismatch_cases); index++) {
        const struct resolve_case *c = &mismatch_cases[index];
        struct ledger_transfer transfer =
            lf_transfer(200 + index, c->debit, c->credit, c->asset, c->amount);
        transfer.flags = c->flags;
        transfer.pending_id = 100;
        transfer.code = c->code;
        print_message("row %zu: expect %s\n", index, ledger_transfer_result_name(c->expected));
        lf_assert_transfer_result(lf_submit(f, &transfer), c->expected);
        if (c->expected != R(OK)) {
            assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_PENDING);
            lf_assert_balances(f, A, 300, 0, 0, 1000);
        }
    }
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_POSTED);
    lf_assert_balances(f, A, 0, 300, 0, 1000);
}

static void test_already_posted(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 0), R(OK));
    lf_expect(f, lf_post(101, 100, 0), R(OK));
    lf_expect(f, lf_post(102, 100, 0), R(PENDING_TRANSFER_ALREADY_POSTED));
    lf_expect(f, lf_post(103, 100, 10), R(PENDING_TRANSFER_ALREADY_POSTED));
    lf_expect(f, lf_void(104, 100, 0), R(PENDING_TRANSFER_ALREADY_POSTED));
    /* Earlier results win over already_posted. */
    lf_expect(f, lf_post(105, 100, 301), R(EXCEEDS_PENDING_TRANSFER_AMOUNT));
    lf_expect(f, lf_void(106, 100, 5), R(PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT));
    struct ledger_transfer post = lf_post(107, 100, 0);
    post.code = HOLD_CODE + 1;
    lf_expect(f, post, R(PENDING_TRANSFER_HAS_DIFFERENT_CODE));
    lf_assert_balances(f, A, 0, 300, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 0, 300);
}

static void test_already_voided(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 0), R(OK));
    lf_expect(f, lf_void(101, 100, 0), R(OK));
    lf_expect(f, lf_post(102, 100, 0), R(PENDING_TRANSFER_ALREADY_VOIDED));
    lf_expect(f, lf_post(103, 100, 300), R(PENDING_TRANSFER_ALREADY_VOIDED));
    lf_expect(f, lf_void(104, 100, 0), R(PENDING_TRANSFER_ALREADY_VOIDED));
    lf_expect(f, lf_void(105, 100, 299), R(PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT));
    lf_assert_balances(f, A, 0, 0, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 0, 0);
}

/* Two resolutions of one pending transfer in one batch: the first wins. */
static void test_resolve_twice_in_one_batch(void **state)
{
    struct lf *f = *state;
    struct ledger_transfer holds[2] = {hold(100, 300, 0), hold(101, 200, 0)};
    enum ledger_transfer_result results[2] = {0};
    lf_submit_batch(f, holds, 2, results);
    struct ledger_transfer batch[4] = {lf_post(102, 100, 0), lf_void(103, 100, 0),
                                       lf_void(104, 101, 0), lf_post(105, 101, 0)};
    enum ledger_transfer_result got[4] = {0};
    static const enum ledger_transfer_result expected[4] = {
        R(OK), R(PENDING_TRANSFER_ALREADY_POSTED), R(OK), R(PENDING_TRANSFER_ALREADY_VOIDED)};
    lf_submit_batch(f, batch, 4, got);
    lf_assert_transfer_results(got, expected, 4);
    lf_assert_balances(f, A, 0, 300, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 0, 300);
}

static void test_pending_not_found_or_not_pending(void **state)
{
    struct lf *f = *state;
    lf_expect(f, lf_post(101, 9999, 0), R(PENDING_TRANSFER_NOT_FOUND));
    lf_expect(f, lf_void(102, 9999, 0), R(PENDING_TRANSFER_NOT_FOUND));
    /* A refused pending transfer does not exist either. */
    lf_expect(f, hold(103, 5000, 0), R(EXCEEDS_CREDITS));
    lf_expect(f, lf_post(104, 103, 0), R(PENDING_TRANSFER_NOT_FOUND));
    /* A plain transfer, and a post record, are not pending transfers. */
    lf_move(f, 105, A, B, USD, 10);
    lf_expect(f, lf_post(106, 105, 0), R(PENDING_TRANSFER_NOT_PENDING));
    lf_expect(f, lf_void(107, 105, 0), R(PENDING_TRANSFER_NOT_PENDING));
    lf_expect(f, hold(108, 20, 0), R(OK));
    lf_expect(f, lf_post(109, 108, 0), R(OK));
    lf_expect(f, lf_post(110, 109, 0), R(PENDING_TRANSFER_NOT_PENDING));
    lf_expect(f, lf_void(111, 1, 0), R(PENDING_TRANSFER_NOT_PENDING));
    /* not_pending comes before the field checks. */
    struct ledger_transfer post = lf_post(112, 105, 0);
    post.code = 99;
    lf_expect(f, post, R(PENDING_TRANSFER_NOT_PENDING));
    lf_assert_balances(f, A, 0, 30, 0, 1000);
}

/* Validation that concerns two-phase fields only. */
static void test_two_phase_validation(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 0), R(OK));
    lf_expect(f, lf_post(201, 0, 0), R(PENDING_ID_MUST_NOT_BE_ZERO));
    lf_expect(f, lf_void(202, 0, 0), R(PENDING_ID_MUST_NOT_BE_ZERO));
    lf_expect(f, lf_post(203, IDMAX, 0), R(PENDING_ID_MUST_NOT_BE_INT_MAX));
    lf_expect(f, lf_void(204, 204, 0), R(PENDING_ID_MUST_BE_DIFFERENT));
    struct ledger_transfer post = lf_post(205, 100, 0);
    post.timeout_s = 5;
    lf_expect(f, post, R(TIMEOUT_RESERVED_FOR_PENDING_TRANSFER));
    post.flags = VOID;
    lf_expect(f, post, R(TIMEOUT_RESERVED_FOR_PENDING_TRANSFER));
    post.pending_id = 0;
    lf_expect(f, post, R(PENDING_ID_MUST_NOT_BE_ZERO));
    post.pending_id = IDMAX;
    lf_expect(f, post, R(PENDING_ID_MUST_NOT_BE_INT_MAX));
    post.pending_id = 205;
    lf_expect(f, post, R(PENDING_ID_MUST_BE_DIFFERENT));
    struct ledger_transfer pending = hold(206, 10, 0);
    pending.pending_id = 100;
    lf_expect(f, pending, R(PENDING_ID_MUST_BE_ZERO));
    lf_expect(f, hold(207, 0, 0), R(AMOUNT_MUST_NOT_BE_ZERO));
    post = lf_post(208, 100, 0);
    post.flags |= CLOSE_D;
    lf_expect(f, post, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE));
    post.flags = VOID | LF_T_BAL_CREDIT;
    lf_expect(f, post, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE));
    /* None of these pinned an id or touched the hold. */
    assert_int_equal(lf_stats(f).failed_ids, 0);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_PENDING);
    lf_expect(f, lf_post(205, 100, 0), R(OK));
}

/* Expiry: released before the first batch stamped at or after timestamp + timeout. */
static void test_expiry_releases(void **state)
{
    struct lf *f = *state;
    f->now_ns += LF_NS_PER_S;
    lf_expect(f, hold(100, 300, 10), R(OK));
    struct ledger_transfer pending = lf_get_transfer(f, 100);
    assert_int_equal(pending.timeout_s, 10);
    uint64_t expiry = pending.timestamp + 10 * LF_NS_PER_S;
    f->now_ns = expiry - 1;
    lf_move(f, 101, EXT, C, USD, 1); /* stamped expiry - 1: still held */
    assert_true(lf_get_transfer(f, 101).timestamp == expiry - 1);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_PENDING);
    lf_assert_balances(f, A, 300, 0, 0, 1000);
    lf_move(f, 102, EXT, C, USD, 1); /* stamped exactly at expiry: released first */
    assert_true(lf_get_transfer(f, 102).timestamp == expiry);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_EXPIRED);
    lf_assert_balances(f, A, 0, 0, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 0, 0);
    assert_int_equal(lf_stats(f).pending, 0);
    lf_expect(f, lf_post(103, 100, 0), R(PENDING_TRANSFER_EXPIRED));
    lf_expect(f, lf_void(104, 100, 0), R(PENDING_TRANSFER_EXPIRED));
    lf_expect(f, lf_transfer(105, A, C, USD, 1000), R(OK));
    lf_assert_double_entry(f);
}

/* Until a batch runs the release, the expired amount still counts as pending; any
 * batch runs it, one of accounts too. */
static void test_expired_amount_held_until_next_batch(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 1), R(OK));
    f->now_ns = lf_get_transfer(f, 100).timestamp + 5 * LF_NS_PER_S;
    lf_assert_balances(f, A, 300, 0, 0, 1000);
    lf_add_account(f, 50, USD, 0);
    lf_assert_balances(f, A, 0, 0, 0, 1000);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_EXPIRED);
}

/* An asset definition is a batch (one journal record) like any other: it runs the
 * release too. */
static void test_asset_definition_runs_expiry(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 1), R(OK));
    f->now_ns = lf_get_transfer(f, 100).timestamp + 2 * LF_NS_PER_S;
    uint32_t number = 0;
    assert_err(ledger_asset_define(f->ledger, "ETH", 18, &number, NULL), TPW_OK);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_EXPIRED);
    lf_assert_balances(f, A, 0, 0, 0, 1000);
}

/* A post stamped at the expiry fails even in the batch that crosses it. */
static void test_expiry_inside_crossing_batch(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 1), R(OK));
    uint64_t expiry = lf_get_transfer(f, 100).timestamp + LF_NS_PER_S;
    f->now_ns = expiry;
    struct ledger_transfer batch[2] = {lf_transfer(101, EXT, C, USD, 1), lf_post(102, 100, 0)};
    enum ledger_transfer_result results[2] = {0};
    static const enum ledger_transfer_result expected[2] = {R(OK), R(PENDING_TRANSFER_EXPIRED)};
    lf_submit_batch(f, batch, 2, results);
    lf_assert_transfer_results(results, expected, 2);
    assert_true(lf_get_transfer(f, 101).timestamp == expiry - 1);
    lf_assert_balances(f, A, 300, 0, 0, 1000); /* the release waits for the next batch */
    lf_move(f, 103, EXT, C, USD, 1);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_EXPIRED);
    lf_assert_balances(f, A, 0, 0, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 0, 0);
}

/* One nanosecond before the expiry, a post or void still works. */
static void test_resolve_just_before_expiry(void **state)
{
    struct lf *f = *state;
    struct ledger_transfer holds[2] = {hold(100, 300, 1), hold(101, 200, 1)};
    enum ledger_transfer_result results[2] = {0};
    lf_submit_batch(f, holds, 2, results);
    uint64_t expiry = lf_get_transfer(f, 100).timestamp + LF_NS_PER_S;
    f->now_ns = expiry - 2;
    struct ledger_transfer resolve[2] = {lf_post(102, 100, 0), lf_void(103, 101, 0)};
    static const enum ledger_transfer_result ok[2] = {R(OK), R(OK)};
    lf_submit_batch(f, resolve, 2, results);
    lf_assert_transfer_results(results, ok, 2);
    f->now_ns = expiry + 60 * LF_NS_PER_S;
    lf_move(f, 104, EXT, C, USD, 1);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_POSTED);
    assert_int_equal(lf_pending_state(f, 101), LEDGER_PENDING_VOIDED);
    lf_assert_balances(f, A, 0, 300, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 0, 300);
}

static void test_no_timeout_never_expires(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 0), R(OK));
    f->now_ns += UINT64_C(10) * 365 * 24 * 3600 * LF_NS_PER_S;
    lf_move(f, 101, EXT, C, USD, 1);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_PENDING);
    lf_assert_balances(f, A, 300, 0, 0, 1000);
    lf_expect(f, lf_post(102, 100, 0), R(OK));
}

static void test_expiry_survives_reopen(void **state)
{
    struct lf *f = *state;
    lf_expect(f, hold(100, 300, 2), R(OK));
    f->now_ns = lf_get_transfer(f, 100).timestamp + 3 * LF_NS_PER_S;
    lf_move(f, 101, EXT, C, USD, 1);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_EXPIRED);
    uint8_t hash[LEDGER_STATE_HASH_BYTES] = {0};
    assert_int_equal(ledger_state_hash(f->ledger, hash), TPW_OK);
    lf_reopen(f);
    uint8_t again[LEDGER_STATE_HASH_BYTES] = {0};
    assert_int_equal(ledger_state_hash(f->ledger, again), TPW_OK);
    assert_memory_equal(again, hash, sizeof(hash));
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_EXPIRED);
    lf_assert_balances(f, A, 0, 0, 0, 1000);
    assert_int_equal(lf_stats(f).pending, 0);
    /* A hold that expires while the ledger is closed is released by the next batch. */
    lf_expect(f, hold(102, 400, 2), R(OK));
    lf_reopen(f);
    f->now_ns = lf_get_transfer(f, 102).timestamp + 2 * LF_NS_PER_S;
    lf_move(f, 103, EXT, C, USD, 1);
    assert_int_equal(lf_pending_state(f, 102), LEDGER_PENDING_EXPIRED);
    lf_assert_balances(f, A, 0, 0, 0, 1000);
    lf_expect(f, lf_post(104, 102, 0), R(PENDING_TRANSFER_EXPIRED));
}

/* timestamp + timeout_s * 10^9 may reach 2^64-1 but not pass it. */
static void test_overflows_timeout(void **state)
{
    struct lf *f = *state;
    uint64_t top = UINT64_MAX - UINT64_C(1000) * LF_NS_PER_S;
    f->now_ns = top;
    struct ledger_transfer batch[2] = {lf_pending(100, EXT, B, USD, 5, 1001),
                                       lf_pending(101, EXT, B, USD, 5, 1000)};
    enum ledger_transfer_result results[2] = {0};
    static const enum ledger_transfer_result expected[2] = {R(OVERFLOWS_TIMEOUT), R(OK)};
    lf_submit_batch(f, batch, 2, results);
    lf_assert_transfer_results(results, expected, 2);
    assert_true(lf_get_transfer(f, 101).timestamp == top);
    lf_expect(f, lf_pending(102, EXT, B, USD, 5, UINT32_MAX), R(OVERFLOWS_TIMEOUT));
    /* overflows_timeout comes before exceeds_credits. */
    lf_expect(f, hold(103, 5000, UINT32_MAX), R(OVERFLOWS_TIMEOUT));
    lf_expect(f, hold(104, 5000, 1), R(EXCEEDS_CREDITS));
    lf_assert_balances(f, B, 0, 0, 5, 0);
}

static void test_closing_debit_then_void(void **state)
{
    struct lf *f = *state;
    lf_expect(f, closing(100, D, B, CLOSE_D, 0), R(OK));
    assert_true(is_closed(f, D));
    assert_false(is_closed(f, B));
    lf_expect(f, lf_transfer(101, D, B, USD, 1), R(DEBIT_ACCOUNT_ALREADY_CLOSED));
    lf_expect(f, lf_transfer(102, B, D, USD, 1), R(CREDIT_ACCOUNT_ALREADY_CLOSED));
    lf_expect(f, lf_pending(103, D, C, USD, 1, 0), R(DEBIT_ACCOUNT_ALREADY_CLOSED));
    lf_expect(f, closing(104, D, C, CLOSE_D, 0), R(DEBIT_ACCOUNT_ALREADY_CLOSED));
    lf_move(f, 105, EXT, B, USD, 1);
    lf_expect(f, lf_void(106, 100, 0), R(OK));
    assert_false(is_closed(f, D));
    lf_assert_balances(f, D, 0, 0, 0, 0);
    lf_move(f, 107, D, B, USD, 1);
    lf_move(f, 108, B, D, USD, 1);
}

/* The closed flag is state like any other: it survives close and open. */
static void test_closing_survives_reopen(void **state)
{
    struct lf *f = *state;
    lf_expect(f, closing(100, D, B, CLOSE_D, 0), R(OK));
    lf_reopen(f);
    assert_true(is_closed(f, D));
    lf_expect(f, lf_transfer(101, D, B, USD, 1), R(DEBIT_ACCOUNT_ALREADY_CLOSED));
    lf_expect(f, lf_void(102, 100, 0), R(OK));
    lf_reopen(f);
    assert_false(is_closed(f, D));
    lf_move(f, 103, D, B, USD, 1);
}

static void test_closing_debit_then_post(void **state)
{
    struct lf *f = *state;
    lf_expect(f, closing(100, D, B, CLOSE_D, 0), R(OK));
    lf_expect(f, lf_post(101, 100, 0), R(OK));
    assert_true(is_closed(f, D));
    lf_assert_balances(f, D, 0, 10, 0, 0);
    lf_assert_balances(f, B, 0, 0, 0, 10);
    lf_expect(f, lf_transfer(102, D, B, USD, 1), R(DEBIT_ACCOUNT_ALREADY_CLOSED));
    lf_expect(f, lf_transfer(103, B, D, USD, 1), R(CREDIT_ACCOUNT_ALREADY_CLOSED));
}

static void test_closing_expiry_reopens(void **state)
{
    struct lf *f = *state;
    lf_expect(f, closing(100, D, B, CLOSE_D, 1), R(OK));
    assert_true(is_closed(f, D));
    f->now_ns = lf_get_transfer(f, 100).timestamp + 2 * LF_NS_PER_S;
    lf_move(f, 101, EXT, B, USD, 1);
    assert_int_equal(lf_pending_state(f, 100), LEDGER_PENDING_EXPIRED);
    assert_false(is_closed(f, D));
    lf_move(f, 102, D, B, USD, 1);
}

/* Transfers pending before the close can still be posted or voided. */
static void test_closed_account_resolves_earlier_holds(void **state)
{
    struct lf *f = *state;
    lf_expect(f, lf_pending(100, D, B, USD, 50, 0), R(OK));
    lf_expect(f, lf_pending(101, B, D, USD, 20, 0), R(OK));
    lf_expect(f, lf_pending(102, D, C, USD, 30, 0), R(OK));
    lf_expect(f, closing(103, D, C, CLOSE_D, 0), R(OK));
    assert_true(is_closed(f, D));
    lf_expect(f, lf_post(104, 100, 0), R(OK));
    lf_expect(f, lf_void(105, 101, 0), R(OK));
    lf_expect(f, lf_post(106, 102, 10), R(OK));
    assert_true(is_closed(f, D));
    lf_assert_balances(f, D, 10, 60, 0, 0);
    lf_assert_balances(f, B, 0, 0, 0, 50);
    lf_assert_double_entry(f);
}

static void test_closing_credit(void **state)
{
    struct lf *f = *state;
    lf_expect(f, closing(100, EXT, D, CLOSE_C, 0), R(OK));
    assert_true(is_closed(f, D));
    assert_false(is_closed(f, EXT));
    lf_expect(f, lf_transfer(101, EXT, D, USD, 1), R(CREDIT_ACCOUNT_ALREADY_CLOSED));
    lf_expect(f, lf_transfer(102, D, B, USD, 1), R(DEBIT_ACCOUNT_ALREADY_CLOSED));
    lf_expect(f, lf_void(103, 100, 0), R(OK));
    assert_false(is_closed(f, D));
    lf_move(f, 104, EXT, D, USD, 1);
}

static void test_closing_both(void **state)
{
    struct lf *f = *state;
    lf_expect(f, closing(100, D, E, CLOSE_D | CLOSE_C, 0), R(OK));
    assert_true(is_closed(f, D));
    assert_true(is_closed(f, E));
    lf_expect(f, lf_transfer(101, EXT, E, USD, 1), R(CREDIT_ACCOUNT_ALREADY_CLOSED));
    lf_expect(f, lf_void(102, 100, 0), R(OK));
    assert_false(is_closed(f, D));
    assert_false(is_closed(f, E));
}

/* A closing transfer is still a transfer: refused ones close nothing. */
static void test_closing_refused(void **state)
{
    struct lf *f = *state;
    lf_expect(f, closing(100, SHUT, B, CLOSE_D, 0), R(DEBIT_ACCOUNT_ALREADY_CLOSED));
    struct ledger_transfer big = closing(101, A, B, CLOSE_D, 0);
    big.amount = 2000;
    lf_expect(f, big, R(EXCEEDS_CREDITS));
    assert_false(is_closed(f, A));
    big.id = 102;
    big.amount = 0;
    lf_expect(f, big, R(AMOUNT_MUST_NOT_BE_ZERO));
    assert_false(is_closed(f, A));
    lf_move(f, 103, A, B, USD, 1);
}

static void test_pending_states(void **state)
{
    struct lf *f = *state;
    struct ledger_transfer batch[4] = {hold(100, 10, 0), hold(101, 10, 0), hold(102, 10, 1),
                                       lf_transfer(103, A, B, USD, 10)};
    enum ledger_transfer_result results[4] = {0};
    lf_submit_batch(f, batch, 4, results);
    assert_int_equal(lf_stats(f).pending, 3);
    lf_expect(f, lf_post(104, 100, 0), R(OK));
    lf_expect(f, lf_void(105, 101, 0), R(OK));
    f->now_ns = lf_get_transfer(f, 102).timestamp + 2 * LF_NS_PER_S;
    lf_move(f, 106, EXT, C, USD, 1);
    static const struct {
        tpw_u128 id;
        enum ledger_pending_state state;
    } expected[] = {
        {100, LEDGER_PENDING_POSTED}, {101, LEDGER_PENDING_VOIDED}, {102, LEDGER_PENDING_EXPIRED},
        {103, LEDGER_PENDING_NONE},   {104, LEDGER_PENDING_NONE},   {105, LEDGER_PENDING_NONE},
    };
    for (size_t index = 0; index < COUNT(expected); index++) {
        assert_int_equal(lf_pending_state(f, expected[index].id), expected[index].state);
    }
    assert_int_equal(lf_stats(f).pending, 0);
}

#define FUNDED_TEST(name) cmocka_unit_test_setup_teardown(name, setup_funded, lf_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FUNDED_TEST(test_pending_holds),
        FUNDED_TEST(test_post_full),
        FUNDED_TEST(test_post_partial),
        FUNDED_TEST(test_post_with_every_field),
        FUNDED_TEST(test_post_exceeds_pending_amount),
        FUNDED_TEST(test_void),
        FUNDED_TEST(test_resolve_mismatches),
        FUNDED_TEST(test_already_posted),
        FUNDED_TEST(test_already_voided),
        FUNDED_TEST(test_resolve_twice_in_one_batch),
        FUNDED_TEST(test_pending_not_found_or_not_pending),
        FUNDED_TEST(test_two_phase_validation),
        FUNDED_TEST(test_expiry_releases),
        FUNDED_TEST(test_expired_amount_held_until_next_batch),
        FUNDED_TEST(test_asset_definition_runs_expiry),
        FUNDED_TEST(test_expiry_inside_crossing_batch),
        FUNDED_TEST(test_resolve_just_before_expiry),
        FUNDED_TEST(test_no_timeout_never_expires),
        FUNDED_TEST(test_expiry_survives_reopen),
        FUNDED_TEST(test_overflows_timeout),
        FUNDED_TEST(test_closing_debit_then_void),
        FUNDED_TEST(test_closing_survives_reopen),
        FUNDED_TEST(test_closing_debit_then_post),
        FUNDED_TEST(test_closing_expiry_reopens),
        FUNDED_TEST(test_closed_account_resolves_earlier_holds),
        FUNDED_TEST(test_closing_credit),
        FUNDED_TEST(test_closing_both),
        FUNDED_TEST(test_closing_refused),
        FUNDED_TEST(test_pending_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
