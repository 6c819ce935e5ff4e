/*
 * Single-phase ledger transfers, from docs/ledger.md and include/tpwallet/ledger.h:
 * every validation result alone and in precedence pairs, the four balances after
 * success, the two balance limits and the overdraft limit at their edges, every
 * overflow result near 2^128-1, balancing transfers (clamping, unbounded, both flags,
 * moving 0), closed accounts, reserved bytes, timestamps under a manual clock that
 * stands still, jumps ahead and goes back, stored records, which results are
 * transient, and state (balances and state hash) surviving close and open.
 */
#include "tpw_test.h"

#include <stdlib.h>
#include <string.h>

#include "ledger_fixture.h"

#define R(name) LEDGER_TRANSFER_##name
#define USD LF_USD
#define EUR LF_EUR
#define BTC LF_BTC
#define MAX TPW_U128_MAX
#define IDMAX LEDGER_ID_MAX
#define PEND LF_T_PENDING
#define POST LF_T_POST
#define VOID LF_T_VOID
#define BAL_D LF_T_BAL_DEBIT
#define BAL_C LF_T_BAL_CREDIT
#define CLOSE_D LF_T_CLOSE_DEBIT
#define CLOSE_C LF_T_CLOSE_CREDIT
#define BADFLAG ((uint16_t)(1u << 8))
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* The accounts most tests use. */
enum {
    EXT = 1,   /* USD, no limits: the outside world */
    A = 2,     /* USD, debits_must_not_exceed_credits */
    B = 3,     /* USD, no limits */
    C = 4,     /* USD, credits_must_not_exceed_debits */
    EURX = 5,  /* EUR, no limits */
    SHUT = 6,  /* USD, created closed */
    SHUT2 = 7, /* USD, created closed */
    O = 8,     /* USD, debits_must_not_exceed_credits with an overdraft limit of 50 */
    NONE = 999 /* never created */
};

static void standard_accounts(struct lf *f)
{
    lf_add_account(f, EXT, USD, 0);
    lf_add_account(f, A, USD, LF_A_DMNEC);
    lf_add_account(f, B, USD, 0);
    lf_add_account(f, C, USD, LF_A_CMNED);
    lf_add_account(f, EURX, EUR, 0);
    lf_add_account(f, SHUT, USD, LF_A_CLOSED);
    lf_add_account(f, SHUT2, USD, LF_A_CLOSED);
    lf_add_account_limit(f, O, USD, LF_A_DMNEC, 50);
}

static int setup_standard(void **state)
{
    if (lf_setup(state) != 0) {
        return -1;
    }
    standard_accounts(*state);
    return 0;
}

enum id_kind { ID, ID0, ID_MAX };

struct transfer_case {
    enum id_kind id;
    tpw_u128 debit;
    tpw_u128 credit;
    tpw_u128 amount;
    tpw_u128 pending_id;
    uint32_t timeout_s;
    uint32_t asset;
    uint16_t code;
    uint16_t flags;
    uint64_t timestamp;
    uint8_t reserved0;
    enum ledger_transfer_result expected;
};

static struct ledger_transfer from_case(const struct transfer_case *c, tpw_u128 fresh_id)
{
    tpw_u128 id = c->id == ID0 ? 0 : c->id == ID_MAX ? IDMAX : fresh_id;
    struct ledger_transfer transfer = lf_transfer(id, c->debit, c->credit, c->asset, c->amount);
    transfer.pending_id = c->pending_id;
    transfer.timeout_s = c->timeout_s;
    transfer.code = c->code;
    transfer.flags = c->flags;
    transfer.timestamp = c->timestamp;
    transfer.reserved[0] = c->reserved0;
    return transfer;
}

/* id, debit, credit, amount, pending_id, timeout_s, asset, code, flags, timestamp,
 * reserved[0], expected */
static const struct transfer_case single_cases[] = {
    {ID, EXT, B, 10, 0, 0, USD, 1, 0, 0, 0, R(OK)},
    {ID, EXT, B, 10, 0, 0, USD, 1, 0, 1, 0, R(TIMESTAMP_MUST_BE_ZERO)},
    {ID, EXT, B, 10, 0, 0, USD, 1, BADFLAG, 0, 0, R(RESERVED_FLAG)},
    {ID, EXT, B, 10, 0, 0, USD, 1, 0x8000, 0, 0, R(RESERVED_FLAG)},
    {ID, EXT, B, 10, 0, 0, USD, 1, 0, 0, 1, R(RESERVED_FIELD)},
    {ID0, EXT, B, 10, 0, 0, USD, 1, 0, 0, 0, R(ID_MUST_NOT_BE_ZERO)},
    {ID_MAX, EXT, B, 10, 0, 0, USD, 1, 0, 0, 0, R(ID_MUST_NOT_BE_INT_MAX)},
    {ID, EXT, B, 10, 0, 0, USD, 1, PEND | POST, 0, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {ID, EXT, B, 10, 0, 0, USD, 1, PEND | VOID, 0, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {ID, EXT, B, 10, 0, 0, USD, 1, POST | VOID, 0, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {ID, EXT, B, 10, 0, 0, USD, 1, PEND | POST | VOID, 0, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {ID, EXT, B, 10, 0, 0, USD, 1, POST | BAL_D, 0, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {ID, EXT, B, 10, 0, 0, USD, 1, VOID | BAL_C, 0, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {ID, EXT, B, 10, 0, 0, USD, 1, POST | CLOSE_D, 0, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {ID, EXT, B, 10, 0, 0, USD, 1, VOID | CLOSE_C, 0, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {ID, 0, B, 10, 0, 0, USD, 1, 0, 0, 0, R(DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO)},
    {ID, IDMAX, B, 10, 0, 0, USD, 1, 0, 0, 0, R(DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX)},
    {ID, EXT, 0, 10, 0, 0, USD, 1, 0, 0, 0, R(CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO)},
    {ID, EXT, IDMAX, 10, 0, 0, USD, 1, 0, 0, 0, R(CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX)},
    {ID, B, B, 10, 0, 0, USD, 1, 0, 0, 0, R(ACCOUNTS_MUST_BE_DIFFERENT)},
    {ID, EXT, B, 10, 5, 0, USD, 1, 0, 0, 0, R(PENDING_ID_MUST_BE_ZERO)},
    {ID, EXT, B, 10, 5, 0, USD, 1, PEND, 0, 0, R(PENDING_ID_MUST_BE_ZERO)},
    {ID, EXT, B, 10, 0, 5, USD, 1, 0, 0, 0, R(TIMEOUT_RESERVED_FOR_PENDING_TRANSFER)},
    {ID, EXT, B, 10, 0, 0, USD, 1, CLOSE_D, 0, 0, R(CLOSING_TRANSFER_MUST_BE_PENDING)},
    {ID, EXT, B, 10, 0, 0, USD, 1, CLOSE_C, 0, 0, R(CLOSING_TRANSFER_MUST_BE_PENDING)},
    {ID, EXT, B, 0, 0, 0, USD, 1, 0, 0, 0, R(AMOUNT_MUST_NOT_BE_ZERO)},
    {ID, EXT, B, 0, 0, 0, USD, 1, PEND, 0, 0, R(AMOUNT_MUST_NOT_BE_ZERO)},
    {ID, EXT, B, 10, 0, 0, 0, 1, 0, 0, 0, R(ASSET_MUST_NOT_BE_ZERO)},
    {ID, EXT, B, 10, 0, 0, USD, 0, 0, 0, 0, R(CODE_MUST_NOT_BE_ZERO)},
    {ID, NONE, B, 10, 0, 0, USD, 1, 0, 0, 0, R(DEBIT_ACCOUNT_NOT_FOUND)},
    {ID, EXT, NONE, 10, 0, 0, USD, 1, 0, 0, 0, R(CREDIT_ACCOUNT_NOT_FOUND)},
    {ID, EXT, EURX, 10, 0, 0, USD, 1, 0, 0, 0, R(ACCOUNTS_MUST_HAVE_THE_SAME_ASSET)},
    {ID, EXT, B, 10, 0, 0, EUR, 1, 0, 0, 0, R(TRANSFER_MUST_HAVE_THE_SAME_ASSET_AS_ACCOUNTS)},
    {ID, EXT, B, 10, 0, 0, 99, 1, 0, 0, 0, R(TRANSFER_MUST_HAVE_THE_SAME_ASSET_AS_ACCOUNTS)},
    {ID, SHUT, B, 10, 0, 0, USD, 1, 0, 0, 0, R(DEBIT_ACCOUNT_ALREADY_CLOSED)},
    {ID, EXT, SHUT, 10, 0, 0, USD, 1, 0, 0, 0, R(CREDIT_ACCOUNT_ALREADY_CLOSED)},
    {ID, SHUT, B, 10, 0, 0, USD, 1, PEND, 0, 0, R(DEBIT_ACCOUNT_ALREADY_CLOSED)},
    {ID, EXT, SHUT, 10, 0, 0, USD, 1, PEND, 0, 0, R(CREDIT_ACCOUNT_ALREADY_CLOSED)},
    {ID, A, B, 1, 0, 0, USD, 1, 0, 0, 0, R(EXCEEDS_CREDITS)},
    {ID, A, B, 1, 0, 0, USD, 1, PEND, 0, 0, R(EXCEEDS_CREDITS)},
    {ID, B, C, 1, 0, 0, USD, 1, 0, 0, 0, R(EXCEEDS_DEBITS)},
    {ID, B, C, 1, 0, 0, USD, 1, PEND, 0, 0, R(EXCEEDS_DEBITS)},
};

/* Two (or more) problems per row: the one listed first in docs/ledger.md wins. */
static const struct transfer_case precedence_cases[] = {
    {ID, EXT, B, 10, 0, 0, USD, 1, BADFLAG, 1, 0, R(TIMESTAMP_MUST_BE_ZERO)},
    {ID0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, R(TIMESTAMP_MUST_BE_ZERO)},
    {ID, EXT, B, 10, 0, 0, USD, 1, BADFLAG, 0, 1, R(RESERVED_FLAG)},
    {ID, EXT, B, 10, 0, 0, USD, 1, BADFLAG | PEND | POST, 0, 0, R(RESERVED_FLAG)},
    {ID0, EXT, B, 10, 0, 0, USD, 1, 0, 0, 1, R(RESERVED_FIELD)},
    {ID0, 0, B, 10, 0, 0, USD, 1, 0, 0, 0, R(ID_MUST_NOT_BE_ZERO)},
    {ID0, EXT, B, 10, 0, 0, USD, 1, PEND | POST, 0, 0, R(ID_MUST_NOT_BE_ZERO)},
    {ID_MAX, EXT, B, 0, 0, 0, USD, 1, 0, 0, 0, R(ID_MUST_NOT_BE_INT_MAX)},
    {ID, 0, B, 10, 0, 0, USD, 1, PEND | POST, 0, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {ID, 0, 0, 10, 0, 0, USD, 1, 0, 0, 0, R(DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO)},
    {ID, IDMAX, 0, 10, 0, 0, USD, 1, 0, 0, 0, R(DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX)},
    {ID, EXT, 0, 10, 5, 0, USD, 1, 0, 0, 0, R(CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO)},
    {ID, EXT, IDMAX, 0, 0, 0, USD, 1, 0, 0, 0, R(CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX)},
    {ID, B, B, 10, 5, 0, USD, 1, 0, 0, 0, R(ACCOUNTS_MUST_BE_DIFFERENT)},
    {ID, EXT, B, 10, 5, 5, USD, 1, 0, 0, 0, R(PENDING_ID_MUST_BE_ZERO)},
    {ID, EXT, B, 10, 0, 5, USD, 1, CLOSE_D, 0, 0, R(TIMEOUT_RESERVED_FOR_PENDING_TRANSFER)},
    {ID, EXT, B, 0, 0, 0, USD, 1, CLOSE_D, 0, 0, R(CLOSING_TRANSFER_MUST_BE_PENDING)},
    {ID, EXT, EURX, 10, 0, 0, USD, 1, CLOSE_D, 0, 0, R(CLOSING_TRANSFER_MUST_BE_PENDING)},
    {ID, EXT, B, 0, 0, 0, 0, 1, 0, 0, 0, R(AMOUNT_MUST_NOT_BE_ZERO)},
    {ID, NONE, B, 0, 0, 0, USD, 1, 0, 0, 0, R(AMOUNT_MUST_NOT_BE_ZERO)},
    {ID, EXT, B, 10, 0, 0, 0, 0, 0, 0, 0, R(ASSET_MUST_NOT_BE_ZERO)},
    {ID, NONE, B, 10, 0, 0, USD, 0, 0, 0, 0, R(CODE_MUST_NOT_BE_ZERO)},
    {ID, NONE, NONE + 1, 10, 0, 0, USD, 1, 0, 0, 0, R(DEBIT_ACCOUNT_NOT_FOUND)},
    {ID, EXT, NONE, 10, 0, 0, EUR, 1, 0, 0, 0, R(CREDIT_ACCOUNT_NOT_FOUND)},
    {ID, EXT, EURX, 10, 0, 0, BTC, 1, 0, 0, 0, R(ACCOUNTS_MUST_HAVE_THE_SAME_ASSET)},
    {ID, SHUT, B, 10, 0, 0, EUR, 1, 0, 0, 0, R(TRANSFER_MUST_HAVE_THE_SAME_ASSET_AS_ACCOUNTS)},
    {ID, SHUT, SHUT2, 10, 0, 0, USD, 1, 0, 0, 0, R(DEBIT_ACCOUNT_ALREADY_CLOSED)},
    {ID, SHUT, C, 10, 0, 0, USD, 1, 0, 0, 0, R(DEBIT_ACCOUNT_ALREADY_CLOSED)},
    {ID, A, SHUT, 10, 0, 0, USD, 1, 0, 0, 0, R(CREDIT_ACCOUNT_ALREADY_CLOSED)},
    {ID, A, C, 1, 0, 0, USD, 1, 0, 0, 0, R(EXCEEDS_CREDITS)},
    {ID, A, C, 1, 0, 0, USD, 1, PEND, 0, 0, R(EXCEEDS_CREDITS)},
};

/* Runs rows one batch each with fresh ids; returns how many pinned their id. */
static uint64_t run_alone(struct lf *f, const struct transfer_case *cases, size_t count,
                          tpw_u128 first_id)
{
    uint64_t pinned = 0;
    for (size_t index = 0; index < count; index++) {
        const struct transfer_case *c = &cases[index];
        struct ledger_transfer transfer = from_case(c, first_id + index);
        print_message("row %zu: expect %s\n", index, ledger_transfer_result_name(c->expected));
        lf_assert_transfer_result(lf_submit(f, &transfer), c->expected);
        if (c->id == ID) {
            assert_int_equal(lf_transfer_exists(f, transfer.id), c->expected == R(OK));
        }
        pinned += c->expected >= R(DEBIT_ACCOUNT_NOT_FOUND) ? 1 : 0;
    }
    return pinned;
}

static void test_results_alone(void **state)
{
    struct lf *f = *state;
    uint64_t pinned = run_alone(f, single_cases, COUNT(single_cases), 1000);
    /* Only the one good row moved money; only state-dependent failures pinned. */
    lf_assert_balances(f, EXT, 0, 10, 0, 0);
    lf_assert_balances(f, B, 0, 0, 0, 10);
    lf_assert_balances(f, A, 0, 0, 0, 0);
    lf_assert_balances(f, C, 0, 0, 0, 0);
    assert_int_equal(lf_stats(f).transfers, 1);
    assert_int_equal(lf_stats(f).pending, 0);
    assert_int_equal(lf_stats(f).failed_ids, pinned);
}

static void test_results_in_one_batch(void **state)
{
    struct lf *f = *state;
    enum { count = COUNT(single_cases) };
    struct ledger_transfer transfers[count] = {0};
    enum ledger_transfer_result expected[count] = {0};
    enum ledger_transfer_result results[count] = {0};
    for (size_t index = 0; index < count; index++) {
        transfers[index] = from_case(&single_cases[index], 1000 + index);
        expected[index] = single_cases[index].expected;
        results[index] = R(OK);
    }
    lf_submit_batch(f, transfers, count, results);
    lf_assert_transfer_results(results, expected, count);
    lf_assert_balances(f, B, 0, 0, 0, 10);
    assert_int_equal(lf_stats(f).transfers, 1);
}

static void test_precedence(void **state)
{
    struct lf *f = *state;
    uint64_t pinned = run_alone(f, precedence_cases, COUNT(precedence_cases), 2000);
    lf_assert_balances(f, EXT, 0, 0, 0, 0);
    lf_assert_balances(f, B, 0, 0, 0, 0);
    assert_int_equal(lf_stats(f).transfers, 0);
    assert_int_equal(lf_stats(f).failed_ids, pinned);
}

/* Any non-zero reserved byte is refused, and that refusal does not pin the id. */
static void test_reserved_field(void **state)
{
    struct lf *f = *state;
    for (size_t index = 0; index < 12; index++) {
        static const uint8_t values[] = {0x01, 0x80, 0xff};
        for (size_t value = 0; value < COUNT(values); value++) {
            struct ledger_transfer transfer = lf_transfer(77, EXT, B, USD, 5);
            transfer.reserved[index] = values[value];
            print_message("reserved[%zu] = %#x\n", index, (unsigned)values[value]);
            lf_assert_transfer_result(lf_submit(f, &transfer), R(RESERVED_FIELD));
        }
    }
    lf_expect(f, lf_transfer(77, EXT, B, USD, 5), R(OK));
    lf_assert_balances(f, B, 0, 0, 0, 5);
}

static void test_balances_four_counters(void **state)
{
    struct lf *f = *state;
    lf_move(f, 1, EXT, A, USD, 1000);
    lf_move(f, 2, A, B, USD, 300);
    lf_expect(f, lf_pending(3, A, B, USD, 200, 0), R(OK));
    lf_assert_balances(f, A, 200, 300, 0, 1000);
    lf_assert_balances(f, B, 0, 0, 200, 300);
    lf_assert_balances(f, EXT, 0, 1000, 0, 0);
    lf_move(f, 4, B, EXT, USD, 50);
    lf_assert_balances(f, B, 0, 50, 200, 300);
    lf_assert_balances(f, EXT, 0, 1000, 0, 50);
    lf_assert_double_entry(f);
    struct ledger_stats stats = lf_stats(f);
    assert_int_equal(stats.transfers, 4);
    assert_int_equal(stats.pending, 1);
    assert_int_equal(stats.accounts, 8);
}

/* debits_pending + debits_posted <= credits_posted: exactly at the limit is fine. */
static void test_debits_must_not_exceed_credits(void **state)
{
    struct lf *f = *state;
    lf_move(f, 1, EXT, A, USD, 100);
    lf_move(f, 2, A, B, USD, 60);
    lf_expect(f, lf_transfer(3, A, B, USD, 41), R(EXCEEDS_CREDITS));
    lf_expect(f, lf_transfer(4, A, B, USD, 40), R(OK));
    lf_expect(f, lf_transfer(5, A, B, USD, 1), R(EXCEEDS_CREDITS));
    lf_assert_balances(f, A, 0, 100, 0, 100);
    /* Pending debits count against the limit too. */
    lf_move(f, 6, EXT, A, USD, 50);
    lf_expect(f, lf_pending(7, A, B, USD, 30, 0), R(OK));
    lf_expect(f, lf_transfer(8, A, B, USD, 21), R(EXCEEDS_CREDITS));
    lf_expect(f, lf_pending(9, A, B, USD, 21, 0), R(EXCEEDS_CREDITS));
    lf_expect(f, lf_transfer(10, A, B, USD, 20), R(OK));
    lf_assert_balances(f, A, 30, 120, 0, 150);
    /* Pending credits do not count as credits. */
    lf_expect(f, lf_pending(11, EXT, A, USD, 500, 0), R(OK));
    lf_expect(f, lf_transfer(12, A, B, USD, 1), R(EXCEEDS_CREDITS));
    lf_assert_balances(f, A, 30, 120, 500, 150);
}

/* credits_pending + credits_posted <= debits_posted. */
static void test_credits_must_not_exceed_debits(void **state)
{
    struct lf *f = *state;
    lf_expect(f, lf_transfer(1, EXT, C, USD, 1), R(EXCEEDS_DEBITS));
    lf_move(f, 2, C, EXT, USD, 100);
    lf_move(f, 3, EXT, C, USD, 60);
    lf_expect(f, lf_pending(4, EXT, C, USD, 40, 0), R(OK));
    lf_expect(f, lf_transfer(5, EXT, C, USD, 1), R(EXCEEDS_DEBITS));
    lf_expect(f, lf_pending(6, EXT, C, USD, 1, 0), R(EXCEEDS_DEBITS));
    lf_assert_balances(f, C, 0, 100, 40, 60);
    /* Pending debits do not count as debits. */
    lf_expect(f, lf_pending(7, C, EXT, USD, 10, 0), R(OK));
    lf_expect(f, lf_transfer(8, EXT, C, USD, 1), R(EXCEEDS_DEBITS));
    lf_assert_balances(f, C, 10, 100, 40, 60);
}

static void test_overdraft_limit(void **state)
{
    struct lf *f = *state;
    lf_expect(f, lf_transfer(1, O, B, USD, 51), R(EXCEEDS_CREDITS));
    lf_expect(f, lf_transfer(2, O, B, USD, 50), R(OK));
    lf_expect(f, lf_transfer(3, O, B, USD, 1), R(EXCEEDS_CREDITS));
    lf_move(f, 4, EXT, O, USD, 100);
    lf_expect(f, lf_pending(5, O, B, USD, 101, 0), R(EXCEEDS_CREDITS));
    lf_expect(f, lf_pending(6, O, B, USD, 100, 0), R(OK));
    lf_expect(f, lf_transfer(7, O, B, USD, 1), R(EXCEEDS_CREDITS));
    lf_assert_balances(f, O, 100, 50, 0, 100);
    /* The limit is arithmetic, not modulo 2^128: credits + a limit of 2^128-1. */
    struct ledger_account wide = lf_account(20, USD, LF_A_DMNEC);
    wide.overdraft_limit = MAX;
    lf_assert_account_result(lf_create_account(f, &wide), LEDGER_ACCOUNT_OK);
    lf_add_account(f, 21, USD, 0);
    lf_add_account(f, 22, USD, 0);
    lf_move(f, 8, EXT, 20, USD, 10);
    lf_expect(f, lf_transfer(9, 20, 21, USD, 1000), R(OK));
    lf_expect(f, lf_transfer(10, 20, 21, USD, MAX - 1000), R(OK));
    lf_expect(f, lf_transfer(11, 20, 22, USD, 1), R(OVERFLOWS_DEBITS_POSTED));
    lf_assert_balances(f, 20, 0, MAX, 0, 10);
    lf_assert_balances(f, 22, 0, 0, 0, 0);
}

/* A few transfers between scenario-local accounts 1..5 (mapped to base + n). */
struct step {
    uint8_t debit;
    uint8_t credit;
    tpw_u128 amount;
    uint16_t flags;
    enum ledger_transfer_result expected;
};

struct script {
    uint16_t account_flags[5];
    struct step steps[3];
};

static const struct script overflow_scripts[] = {
    /* Each overflow result alone. */
    {{0}, {{1, 2, MAX, PEND, R(OK)}, {1, 3, 1, PEND, R(OVERFLOWS_DEBITS_PENDING)}}},
    {{0}, {{2, 1, MAX, PEND, R(OK)}, {3, 1, 1, PEND, R(OVERFLOWS_CREDITS_PENDING)}}},
    {{0}, {{1, 2, MAX, 0, R(OK)}, {1, 3, 1, 0, R(OVERFLOWS_DEBITS_POSTED)}}},
    {{0}, {{2, 1, MAX, 0, R(OK)}, {3, 1, 1, 0, R(OVERFLOWS_CREDITS_POSTED)}}},
    {{0}, {{1, 2, MAX - 1, PEND, R(OK)}, {1, 3, 2, 0, R(OVERFLOWS_DEBITS)}}},
    {{0}, {{1, 2, MAX - 1, 0, R(OK)}, {1, 3, 2, PEND, R(OVERFLOWS_DEBITS)}}},
    {{0}, {{2, 1, MAX - 1, PEND, R(OK)}, {3, 1, 2, 0, R(OVERFLOWS_CREDITS)}}},
    {{0}, {{2, 1, MAX - 1, 0, R(OK)}, {3, 1, 2, PEND, R(OVERFLOWS_CREDITS)}}},
    /* Exactly 2^128-1 in total is still fine. */
    {{0}, {{1, 2, MAX - 1, PEND, R(OK)}, {1, 3, 1, 0, R(OK)}}},
    {{0}, {{2, 1, MAX - 1, 0, R(OK)}, {3, 1, 1, PEND, R(OK)}}},
    /* Precedence: 1 and 2 both near the top; the earlier-listed overflow wins. */
    {{0},
     {{1, 3, MAX, PEND, R(OK)},
      {4, 2, MAX, PEND, R(OK)},
      {1, 2, 1, PEND, R(OVERFLOWS_DEBITS_PENDING)}}},
    {{0}, {{1, 3, MAX, 0, R(OK)}, {4, 2, MAX, 0, R(OK)}, {1, 2, 1, 0, R(OVERFLOWS_DEBITS_POSTED)}}},
    {{0},
     {{1, 3, MAX - 1, PEND, R(OK)},
      {4, 2, MAX - 1, 0, R(OK)},
      {1, 2, 2, 0, R(OVERFLOWS_CREDITS_POSTED)}}},
    {{0},
     {{1, 3, MAX - 1, 0, R(OK)},
      {4, 2, MAX - 1, PEND, R(OK)},
      {1, 2, 2, PEND, R(OVERFLOWS_CREDITS_PENDING)}}},
    {{0},
     {{1, 3, MAX - 1, PEND, R(OK)},
      {4, 2, MAX - 1, PEND, R(OK)},
      {1, 2, 2, 0, R(OVERFLOWS_DEBITS)}}},
    /* Overflows come before the limits: exceeds_credits, exceeds_debits. */
    {{LF_A_DMNEC},
     {{3, 1, MAX, 0, R(OK)}, {1, 4, MAX - 5, 0, R(OK)}, {1, 5, 10, 0, R(OVERFLOWS_DEBITS_POSTED)}}},
    {{LF_A_CMNED},
     {{1, 3, MAX, 0, R(OK)}, {4, 1, MAX - 1, PEND, R(OK)}, {5, 1, 2, 0, R(OVERFLOWS_CREDITS)}}},
};

static void run_script(struct lf *f, const struct script *script, tpw_u128 base)
{
    for (uint8_t index = 0; index < 5; index++) {
        lf_add_account(f, base + index + 1, USD, script->account_flags[index]);
    }
    struct ledger_account before[256] = {0};
    struct ledger_account after[256] = {0};
    for (size_t index = 0; index < COUNT(script->steps); index++) {
        const struct step *step = &script->steps[index];
        if (step->debit == 0) {
            break;
        }
        struct ledger_transfer transfer = lf_transfer(base + index + 1, base + step->debit,
                                                      base + step->credit, USD, step->amount);
        transfer.flags = step->flags;
        size_t count = lf_snapshot(f, before, COUNT(before));
        print_message("step %zu: expect %s\n", index, ledger_transfer_result_name(step->expected));
        lf_assert_transfer_result(lf_submit(f, &transfer), step->expected);
        if (step->expected != R(OK)) {
            assert_int_equal(lf_snapshot(f, after, COUNT(after)), count);
            lf_assert_snapshot_equal(before, after, count);
        }
    }
}

static void test_overflows(void **state)
{
    struct lf *f = *state;
    for (size_t index = 0; index < COUNT(overflow_scripts); index++) {
        print_message("script %zu\n", index);
        run_script(f, &overflow_scripts[index], 100 * (index + 1));
    }
    lf_assert_double_entry(f);
}

struct balancing_case {
    uint16_t flags;           /* balancing_debit and/or balancing_credit (and pending) */
    uint16_t debit_flags;     /* the debit account's flags */
    tpw_u128 overdraft_limit; /* the debit account's */
    tpw_u128 debit_credits;   /* credits_posted on the debit account */
    tpw_u128 debit_held;      /* debits_pending on the debit account */
    tpw_u128 credit_debits;   /* debits_posted on the credit account */
    tpw_u128 credit_credits;  /* credits_posted on the credit account */
    tpw_u128 amount;          /* 0 = no bound */
    tpw_u128 moved;
};

static const struct balancing_case balancing_cases[] = {
    /* flags, debit flags, overdraft, debit credits, held, credit debits, credits, amount,
     * moved */
    {BAL_D, LF_A_DMNEC, 0, 100, 0, 0, 0, 0, 100},
    {BAL_D, LF_A_DMNEC, 0, 100, 0, 0, 0, 30, 30},
    {BAL_D, LF_A_DMNEC, 0, 100, 0, 0, 0, 100, 100},
    {BAL_D, LF_A_DMNEC, 0, 100, 0, 0, 0, 150, 100},
    {BAL_D, LF_A_DMNEC, 0, 0, 0, 0, 0, 10, 0},
    {BAL_D, LF_A_DMNEC, 0, 0, 0, 0, 0, 0, 0},
    {BAL_D, 0, 0, 40, 0, 0, 0, 100, 40},
    {BAL_D, 0, 0, 10, 30, 0, 0, 0, 0},
    {BAL_D, LF_A_DMNEC, 50, 100, 0, 0, 0, 0, 150},
    {BAL_D, LF_A_DMNEC, 50, 0, 0, 0, 0, 70, 50},
    {BAL_D, LF_A_DMNEC, 0, 100, 30, 0, 0, 0, 70},
    {BAL_D, LF_A_DMNEC, 0, 100, 30, 0, 0, 50, 50},
    {BAL_C, 0, 0, 0, 0, 80, 0, 0, 80},
    {BAL_C, 0, 0, 0, 0, 80, 0, 50, 50},
    {BAL_C, 0, 0, 0, 0, 80, 30, 0, 50},
    {BAL_C, 0, 0, 0, 0, 0, 0, 5, 0},
    {BAL_C, 0, 0, 0, 0, 10, 30, 0, 0},
    {BAL_D | BAL_C, LF_A_DMNEC, 0, 70, 0, 50, 0, 0, 50},
    {BAL_D | BAL_C, LF_A_DMNEC, 0, 30, 0, 50, 0, 0, 30},
    {BAL_D | BAL_C, LF_A_DMNEC, 0, 70, 0, 50, 0, 40, 40},
    {BAL_D | BAL_C, LF_A_DMNEC, 0, 0, 0, 50, 0, 0, 0},
    /* The limit is arithmetic: credits + an overdraft limit of 2^128-1 does not wrap. */
    {BAL_D, LF_A_DMNEC, MAX, 10, 0, 0, 0, 1000, 1000},
    {BAL_D, LF_A_DMNEC, MAX, 10, 30, 0, 0, 1000, 1000},
    {BAL_D | PEND, LF_A_DMNEC, 0, 100, 0, 0, 0, 0, 100},
    {BAL_D | PEND, LF_A_DMNEC, 0, 100, 40, 0, 0, 500, 60},
    {BAL_C | PEND, 0, 0, 0, 0, 80, 0, 0, 80},
};

/* Sets up one balancing case's accounts (base+1 debits, base+2 is credited). */
static void balancing_setup(struct lf *f, const struct balancing_case *c, tpw_u128 base)
{
    tpw_u128 debit = base + 1;
    tpw_u128 credit = base + 2;
    lf_add_account_limit(f, debit, USD, c->debit_flags, c->overdraft_limit);
    lf_add_account(f, credit, USD, 0);
    if (c->debit_credits > 0) {
        lf_move(f, base + 11, EXT, debit, USD, c->debit_credits);
    }
    if (c->debit_held > 0) {
        lf_expect(f, lf_pending(base + 12, debit, EXT, USD, c->debit_held, 0), R(OK));
    }
    if (c->credit_debits > 0) {
        lf_move(f, base + 13, credit, EXT, USD, c->credit_debits);
    }
    if (c->credit_credits > 0) {
        lf_move(f, base + 14, EXT, credit, USD, c->credit_credits);
    }
}

static void test_balancing(void **state)
{
    struct lf *f = *state;
    for (size_t index = 0; index < COUNT(balancing_cases); index++) {
        const struct balancing_case *c = &balancing_cases[index];
        tpw_u128 base = 100 * (index + 1);
        print_message("case %zu\n", index);
        balancing_setup(f, c, base);
        struct ledger_transfer transfer =
            lf_transfer(base + 20, base + 1, base + 2, USD, c->amount);
        transfer.flags = c->flags;
        lf_assert_transfer_result(lf_submit(f, &transfer), R(OK));
        struct ledger_transfer stored = lf_get_transfer(f, base + 20);
        assert_u128_equal(stored.amount, c->moved);
        bool pending = (c->flags & PEND) != 0;
        lf_assert_balances(f, base + 1, c->debit_held + (pending ? c->moved : 0),
                           pending ? 0 : c->moved, 0, c->debit_credits);
        lf_assert_balances(f, base + 2, 0, c->credit_debits, pending ? c->moved : 0,
                           c->credit_credits + (pending ? 0 : c->moved));
    }
    lf_assert_double_entry(f);
}

/* A batch of n ends at max(clock, last + n); failed commands take their nanosecond. */
static void test_timestamps_clock_ahead(void **state)
{
    struct lf *f = *state;
    f->now_ns = lf_stats(f).last_timestamp + 1000000;
    struct ledger_transfer batch[3] = {lf_transfer(1, EXT, B, USD, 1),
                                       lf_transfer(2, EXT, B, USD, 0),
                                       lf_transfer(3, EXT, B, USD, 1)};
    enum ledger_transfer_result results[3] = {0};
    static const enum ledger_transfer_result expected[3] = {R(OK), R(AMOUNT_MUST_NOT_BE_ZERO),
                                                            R(OK)};
    lf_submit_batch(f, batch, 3, results);
    lf_assert_transfer_results(results, expected, 3);
    assert_true(lf_get_transfer(f, 1).timestamp == f->now_ns - 2);
    assert_true(lf_get_transfer(f, 3).timestamp == f->now_ns);
    assert_true(lf_stats(f).last_timestamp == f->now_ns);
    /* Ahead of the last stamp by less than n: last + n wins. */
    uint64_t last = f->now_ns;
    f->now_ns = last + 1;
    batch[0] = lf_transfer(4, EXT, B, USD, 1);
    batch[1] = lf_transfer(5, EXT, B, USD, 1);
    batch[2] = lf_transfer(6, EXT, B, USD, 1);
    lf_submit_batch(f, batch, 3, results);
    assert_true(lf_get_transfer(f, 4).timestamp == last + 1);
    assert_true(lf_get_transfer(f, 6).timestamp == last + 3);
}

static void test_timestamps_clock_behind(void **state)
{
    struct lf *f = *state;
    f->now_ns += 10 * LF_NS_PER_S;
    lf_move(f, 1, EXT, B, USD, 1);
    uint64_t last = lf_get_transfer(f, 1).timestamp;
    assert_true(last == f->now_ns);
    /* The clock goes back an hour: stamps carry on from the last one. */
    f->now_ns -= 3600 * LF_NS_PER_S;
    struct ledger_transfer batch[2] = {lf_transfer(2, EXT, B, USD, 1),
                                       lf_transfer(3, EXT, B, USD, 1)};
    enum ledger_transfer_result results[2] = {0};
    lf_submit_batch(f, batch, 2, results);
    assert_true(lf_get_transfer(f, 2).timestamp == last + 1);
    assert_true(lf_get_transfer(f, 3).timestamp == last + 2);
    /* The clock equal to the last stamp. */
    f->now_ns = last + 2;
    lf_move(f, 4, EXT, B, USD, 1);
    assert_true(lf_get_transfer(f, 4).timestamp == last + 3);
    assert_true(lf_stats(f).last_timestamp == last + 3);
}

/* Over many batches, with the clock still, jumping and going back, stamps only rise. */
static void test_timestamps_strictly_increase(void **state)
{
    struct lf *f = *state;
    static const int64_t clock_steps_ns[] = {0, 1, -1000, 5, 0, 1000000, -7, 2, 0, -1};
    uint64_t previous = lf_stats(f).last_timestamp;
    tpw_u128 id = 1;
    for (size_t round = 0; round < 40; round++) {
        int64_t step = clock_steps_ns[round % COUNT(clock_steps_ns)];
        f->now_ns = step < 0 ? f->now_ns - (uint64_t)(-step) : f->now_ns + (uint64_t)step;
        size_t size = 1 + round % 4;
        struct ledger_transfer batch[4] = {0};
        enum ledger_transfer_result results[4] = {0};
        for (size_t index = 0; index < size; index++) {
            batch[index] = lf_transfer(id + index, EXT, B, USD, index == 1 ? 0 : 1);
        }
        lf_submit_batch(f, batch, size, results);
        uint64_t expected_end = f->now_ns > previous + size ? f->now_ns : previous + size;
        assert_true(lf_stats(f).last_timestamp == expected_end);
        for (size_t index = 0; index < size; index++) {
            if (results[index] == R(OK)) {
                assert_true(lf_get_transfer(f, id + index).timestamp ==
                            expected_end - (size - 1 - index));
            }
        }
        previous = expected_end;
        id += size;
    }
}

static void test_transfer_get(void **state)
{
    struct lf *f = *state;
    f->now_ns += 123;
    struct ledger_transfer transfer = lf_transfer(TPW_U128(5, 6), EXT, B, USD, 777);
    transfer.user_data = TPW_U128(0x1234, 0x5678);
    transfer.code = 42;
    lf_expect(f, transfer, R(OK));
    struct ledger_transfer got = {0};
    memset(&got, 0xaa, sizeof(got));
    enum ledger_pending_state pending_state = LEDGER_PENDING_EXPIRED;
    assert_err(ledger_transfer_get(f->ledger, TPW_U128(5, 6), &got, &pending_state), TPW_OK);
    assert_int_equal(pending_state, LEDGER_PENDING_NONE);
    assert_u128_equal(got.id, transfer.id);
    assert_u128_equal(got.debit_account_id, EXT);
    assert_u128_equal(got.credit_account_id, B);
    assert_u128_equal(got.amount, 777);
    assert_u128_equal(got.pending_id, 0);
    assert_u128_equal(got.user_data, TPW_U128(0x1234, 0x5678));
    assert_true(got.timestamp == f->now_ns);
    assert_int_equal(got.timeout_s, 0);
    assert_int_equal(got.asset, USD);
    assert_int_equal(got.code, 42);
    assert_int_equal(got.flags, 0);
    static const uint8_t zero[12] = {0};
    assert_memory_equal(got.reserved, zero, sizeof(zero));
    /* Unknown ids and ids of refused transfers are not found. */
    assert_err(ledger_transfer_get(f->ledger, 9, &got, &pending_state),
               TPW_ERR_LEDGER_TRANSFER_NOT_FOUND);
    lf_expect(f, lf_transfer(10, A, B, USD, 5), R(EXCEEDS_CREDITS));
    assert_err(ledger_transfer_get(f->ledger, 10, &got, &pending_state),
               TPW_ERR_LEDGER_TRANSFER_NOT_FOUND);
    /* Account and transfer ids are looked up separately. */
    assert_err(ledger_transfer_get(f->ledger, EXT, &got, &pending_state),
               TPW_ERR_LEDGER_TRANSFER_NOT_FOUND);
}

static void test_is_transient(void **state)
{
    (void)state;
    for (int value = R(OK); value <= R(EXCEEDS_DEBITS); value++) {
        bool expected = value >= R(DEBIT_ACCOUNT_NOT_FOUND);
        assert_int_equal(ledger_transfer_result_is_transient((enum ledger_transfer_result)value),
                         expected);
    }
}

/* A little of everything, so a reopen has something to recover. */
static void build_history(struct lf *f)
{
    lf_move(f, 1, EXT, A, USD, 1000);
    lf_move(f, 2, A, B, USD, 100);
    lf_expect(f, lf_pending(3, A, B, USD, 200, 0), R(OK));
    lf_expect(f, lf_pending(4, A, B, USD, 50, 3600), R(OK));
    lf_expect(f, lf_post(5, 3, 150), R(OK));
    lf_expect(f, lf_pending(6, EXT, C, USD, 1, 0), R(EXCEEDS_DEBITS));
    struct ledger_transfer sweep = lf_transfer(7, A, B, USD, 0);
    sweep.flags = BAL_D;
    lf_expect(f, sweep, R(OK));
    lf_expect(f, lf_transfer(8, EURX, EXT, EUR, 5), R(ACCOUNTS_MUST_HAVE_THE_SAME_ASSET));
    lf_move(f, 9, C, EXT, USD, 5);
}

static void test_state_survives_reopen(void **state)
{
    struct lf *f = *state;
    build_history(f);
    uint8_t hash[LEDGER_STATE_HASH_BYTES] = {0};
    assert_int_equal(ledger_state_hash(f->ledger, hash), TPW_OK);
    struct ledger_stats stats = lf_stats(f);
    struct ledger_account before[16] = {0};
    size_t count = lf_snapshot(f, before, COUNT(before));
    lf_reopen(f);
    uint8_t again[LEDGER_STATE_HASH_BYTES] = {0};
    assert_int_equal(ledger_state_hash(f->ledger, again), TPW_OK);
    assert_memory_equal(again, hash, sizeof(hash));
    struct ledger_stats reopened = lf_stats(f);
    assert_true(reopened.journal_sequence == stats.journal_sequence);
    assert_true(reopened.last_timestamp == stats.last_timestamp);
    assert_true(reopened.accounts == stats.accounts);
    assert_true(reopened.transfers == stats.transfers);
    assert_true(reopened.pending == stats.pending);
    assert_true(reopened.failed_ids == stats.failed_ids);
    struct ledger_account after[16] = {0};
    assert_int_equal(lf_snapshot(f, after, COUNT(after)), count);
    lf_assert_snapshot_equal(before, after, count);
    assert_int_equal(lf_pending_state(f, 3), LEDGER_PENDING_POSTED);
    assert_int_equal(lf_pending_state(f, 4), LEDGER_PENDING_PENDING);
    /* The ledger carries on: new stamps after the old ones, pins still pinned. */
    f->now_ns = LF_CLOCK_START;
    lf_move(f, 10, EXT, B, USD, 1);
    assert_true(lf_get_transfer(f, 10).timestamp == stats.last_timestamp + 1);
    lf_expect(f, lf_pending(6, EXT, C, USD, 1, 0), R(ID_ALREADY_FAILED));
}

/* Equal histories give equal hashes; one more transfer changes the hash. */
static void test_state_hash_equal_histories(void **state)
{
    struct lf *f = *state;
    struct lf *g = lf_create();
    assert_non_null(g);
    standard_accounts(g);
    build_history(f);
    build_history(g);
    uint8_t hash_f[LEDGER_STATE_HASH_BYTES] = {0};
    uint8_t hash_g[LEDGER_STATE_HASH_BYTES] = {0};
    assert_int_equal(ledger_state_hash(f->ledger, hash_f), TPW_OK);
    assert_int_equal(ledger_state_hash(g->ledger, hash_g), TPW_OK);
    assert_memory_equal(hash_f, hash_g, sizeof(hash_f));
    lf_move(g, 100, EXT, B, USD, 1);
    assert_int_equal(ledger_state_hash(g->ledger, hash_g), TPW_OK);
    assert_memory_not_equal(hash_f, hash_g, sizeof(hash_f));
    lf_destroy(g);
}

static void test_batch_bounds(void **state)
{
    struct lf *f = *state;
    struct ledger_transfer *transfers = calloc(LEDGER_BATCH_MAX + 1, sizeof(*transfers));
    enum ledger_transfer_result *results = calloc(LEDGER_BATCH_MAX + 1, sizeof(*results));
    assert_non_null(transfers);
    assert_non_null(results);
    for (size_t index = 0; index <= LEDGER_BATCH_MAX; index++) {
        transfers[index] = lf_transfer(index + 1, EXT, B, USD, 1);
    }
    struct ledger_stats before = lf_stats(f);
    assert_err(ledger_create_transfers(f->ledger, transfers, LEDGER_BATCH_MAX + 1, results, NULL),
               TPW_ERR_LEDGER_BATCH_TOO_LARGE);
    assert_true(lf_stats(f).journal_sequence == before.journal_sequence);
    assert_true(lf_stats(f).last_timestamp == before.last_timestamp);
    lf_assert_balances(f, B, 0, 0, 0, 0);
    assert_false(lf_transfer_exists(f, 1));
    lf_submit_batch(f, transfers, LEDGER_BATCH_MAX, results);
    for (size_t index = 0; index < LEDGER_BATCH_MAX; index++) {
        if (results[index] != R(OK)) {
            lf_assert_transfer_result(results[index], R(OK));
        }
    }
    lf_assert_balances(f, B, 0, 0, 0, LEDGER_BATCH_MAX);
    assert_int_equal(lf_stats(f).transfers, LEDGER_BATCH_MAX);
    free(results);
    free(transfers);
}

#define STD_TEST(name) cmocka_unit_test_setup_teardown(name, setup_standard, lf_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        STD_TEST(test_results_alone),
        STD_TEST(test_results_in_one_batch),
        STD_TEST(test_precedence),
        STD_TEST(test_reserved_field),
        STD_TEST(test_balances_four_counters),
        STD_TEST(test_debits_must_not_exceed_credits),
        STD_TEST(test_credits_must_not_exceed_debits),
        STD_TEST(test_overdraft_limit),
        STD_TEST(test_overflows),
        STD_TEST(test_balancing),
        STD_TEST(test_timestamps_clock_ahead),
        STD_TEST(test_timestamps_clock_behind),
        STD_TEST(test_timestamps_strictly_increase),
        STD_TEST(test_transfer_get),
        cmocka_unit_test(test_is_transient),
        STD_TEST(test_state_survives_reopen),
        STD_TEST(test_state_hash_equal_histories),
        STD_TEST(test_batch_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
