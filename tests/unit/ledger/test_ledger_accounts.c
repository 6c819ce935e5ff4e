/*
 * Ledger accounts and assets, from docs/ledger.md and include/tpwallet/ledger.h: every
 * account result code alone and in precedence pairs (the earlier listed wins), every
 * idempotency outcome, linked creation all or nothing and chains left open, queries
 * (get, list, count; the history queries refuse unknown ids), the asset table
 * (numbering, idempotent definition, conflicts, invalid codes and exponents,
 * recovery), batch bounds, and the name tables for flags, kinds, results and pending
 * states.
 */
#include "tpw_test.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_fixture.h"
#include "tpwallet/money.h"

#define R(name) LEDGER_ACCOUNT_##name
#define USD LF_USD
#define EUR LF_EUR
#define BTC LF_BTC
#define USER LEDGER_KIND_USER
#define FEES LEDGER_KIND_FEES
#define IDMAX LEDGER_ID_MAX
#define DMNEC LF_A_DMNEC
#define CMNED LF_A_CMNED
#define HISTORY LF_A_HISTORY
#define CLOSED LF_A_CLOSED
#define LINKED LF_A_LINKED
#define BADFLAG ((uint16_t)(1u << 5))
#define DIFF(field) R(EXISTS_WITH_DIFFERENT_##field)
#define NEEDS_DMNEC R(OVERDRAFT_LIMIT_REQUIRES_DEBITS_MUST_NOT_EXCEED_CREDITS)
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

struct account_case {
    tpw_u128 id;
    uint32_t asset;
    uint16_t kind;
    uint16_t flags;
    tpw_u128 owner;
    tpw_u128 overdraft_limit;
    tpw_u128 balances[4]; /* debits_pending, debits_posted, credits_pending, credits_posted */
    uint64_t timestamp;
    enum ledger_account_result expected;
};

static struct ledger_account from_case(const struct account_case *c)
{
    struct ledger_account account = lf_account(c->id, c->asset, c->flags);
    account.kind = c->kind;
    account.owner = c->owner;
    account.overdraft_limit = c->overdraft_limit;
    account.debits_pending = c->balances[0];
    account.debits_posted = c->balances[1];
    account.credits_pending = c->balances[2];
    account.credits_posted = c->balances[3];
    account.timestamp = c->timestamp;
    return account;
}

/* Each row alone is one result; ids are distinct so rows never meet each other. */
static const struct account_case single_cases[] = {
    /* id, asset, kind, flags, owner, overdraft_limit, balances, timestamp, expected */
    {101, USD, USER, 0, 0, 0, {0, 0, 0, 0}, 0, R(OK)},
    {102, BTC, LEDGER_KIND_EQUITY, HISTORY, 0, 0, {0, 0, 0, 0}, 0, R(OK)},
    {103, EUR, USER, DMNEC, 7, 500, {0, 0, 0, 0}, 0, R(OK)},
    {104, USD, USER, CMNED, 7, 0, {0, 0, 0, 0}, 0, R(OK)},
    {105, USD, USER, CLOSED, 0, 0, {0, 0, 0, 0}, 0, R(OK)},
    {106, USD, USER, DMNEC | HISTORY | CLOSED, 9, 0, {0, 0, 0, 0}, 0, R(OK)},
    {107, USD, LEDGER_KIND_SUB_ACCOUNT, 0, 8, 0, {0, 0, 0, 0}, 0, R(OK)},
    {108, USD, LEDGER_KIND_FX_POOL, 0, 0, 0, {0, 0, 0, 0}, 0, R(OK)},
    {109, USD, FEES, 0, 0, 0, {0, 0, 0, 0}, 0, R(OK)},
    {110, USD, LEDGER_KIND_SETTLEMENT, 0, 0, 0, {0, 0, 0, 0}, 0, R(OK)},
    {111, USD, LEDGER_KIND_SUSPENSE, 0, 0, 0, {0, 0, 0, 0}, 0, R(OK)},
    {112, USD, LEDGER_KIND_EXTERNAL, 0, 0, 0, {0, 0, 0, 0}, 0, R(OK)},
    {IDMAX - 1, USD, USER, 0, IDMAX, IDMAX, {0, 0, 0, 0}, 0, NEEDS_DMNEC},
    {113, USD, USER, DMNEC, IDMAX, IDMAX, {0, 0, 0, 0}, 0, R(OK)},
    {120, USD, USER, 0, 0, 0, {0, 0, 0, 0}, 1, R(TIMESTAMP_MUST_BE_ZERO)},
    {121, USD, USER, BADFLAG, 0, 0, {0, 0, 0, 0}, 0, R(RESERVED_FLAG)},
    {122, USD, USER, 0x8000, 0, 0, {0, 0, 0, 0}, 0, R(RESERVED_FLAG)},
    {0, USD, USER, 0, 0, 0, {0, 0, 0, 0}, 0, R(ID_MUST_NOT_BE_ZERO)},
    {IDMAX, USD, USER, 0, 0, 0, {0, 0, 0, 0}, 0, R(ID_MUST_NOT_BE_INT_MAX)},
    {123, USD, USER, DMNEC | CMNED, 0, 0, {0, 0, 0, 0}, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {124, USD, USER, 0, 0, 0, {1, 0, 0, 0}, 0, R(DEBITS_PENDING_MUST_BE_ZERO)},
    {125, USD, USER, 0, 0, 0, {0, 1, 0, 0}, 0, R(DEBITS_POSTED_MUST_BE_ZERO)},
    {126, USD, USER, 0, 0, 0, {0, 0, 1, 0}, 0, R(CREDITS_PENDING_MUST_BE_ZERO)},
    {127, USD, USER, 0, 0, 0, {0, 0, 0, 1}, 0, R(CREDITS_POSTED_MUST_BE_ZERO)},
    {128, 0, USER, 0, 0, 0, {0, 0, 0, 0}, 0, R(ASSET_MUST_NOT_BE_ZERO)},
    {129, USD, 0, 0, 0, 0, {0, 0, 0, 0}, 0, R(KIND_INVALID)},
    {130, USD, LEDGER_KIND_MAX + 1, 0, 0, 0, {0, 0, 0, 0}, 0, R(KIND_INVALID)},
    {131, USD, 0xffff, 0, 0, 0, {0, 0, 0, 0}, 0, R(KIND_INVALID)},
    {132, USD, USER, 0, 0, 5, {0, 0, 0, 0}, 0, NEEDS_DMNEC},
    {133, USD, USER, CMNED, 0, 5, {0, 0, 0, 0}, 0, NEEDS_DMNEC},
    {134, 99, USER, 0, 0, 0, {0, 0, 0, 0}, 0, R(ASSET_NOT_FOUND)},
    {135, LF_BTC + 1, USER, 0, 0, 0, {0, 0, 0, 0}, 0, R(ASSET_NOT_FOUND)},
    {136, UINT32_MAX, USER, 0, 0, 0, {0, 0, 0, 0}, 0, R(ASSET_NOT_FOUND)},
};

/* Two problems per row: the one listed first in docs/ledger.md must win. */
static const struct account_case precedence_cases[] = {
    {201, USD, USER, BADFLAG, 0, 0, {0, 0, 0, 0}, 1, R(TIMESTAMP_MUST_BE_ZERO)},
    {0, USD, USER, 0, 0, 0, {0, 0, 0, 0}, 1, R(TIMESTAMP_MUST_BE_ZERO)},
    {0, USD, USER, BADFLAG, 0, 0, {0, 0, 0, 0}, 0, R(RESERVED_FLAG)},
    {202, USD, USER, BADFLAG | DMNEC | CMNED, 0, 0, {0, 0, 0, 0}, 0, R(RESERVED_FLAG)},
    {0, USD, USER, DMNEC | CMNED, 0, 0, {0, 0, 0, 0}, 0, R(ID_MUST_NOT_BE_ZERO)},
    {0, 0, 0, 0, 0, 0, {1, 1, 1, 1}, 0, R(ID_MUST_NOT_BE_ZERO)},
    {IDMAX, USD, 0, 0, 0, 0, {0, 0, 0, 0}, 0, R(ID_MUST_NOT_BE_INT_MAX)},
    {IDMAX, 99, USER, 0, 0, 0, {0, 0, 0, 0}, 0, R(ID_MUST_NOT_BE_INT_MAX)},
    {203, USD, USER, DMNEC | CMNED, 0, 0, {1, 0, 0, 0}, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {204, USD, USER, DMNEC | CMNED, 0, 5, {0, 0, 0, 0}, 0, R(FLAGS_ARE_MUTUALLY_EXCLUSIVE)},
    {205, USD, USER, 0, 0, 0, {1, 1, 0, 0}, 0, R(DEBITS_PENDING_MUST_BE_ZERO)},
    {206, USD, USER, 0, 0, 0, {0, 1, 1, 0}, 0, R(DEBITS_POSTED_MUST_BE_ZERO)},
    {207, USD, USER, 0, 0, 0, {0, 0, 1, 1}, 0, R(CREDITS_PENDING_MUST_BE_ZERO)},
    {208, 0, USER, 0, 0, 0, {0, 0, 0, 1}, 0, R(CREDITS_POSTED_MUST_BE_ZERO)},
    {209, 0, 0, 0, 0, 0, {0, 0, 0, 0}, 0, R(ASSET_MUST_NOT_BE_ZERO)},
    {210, USD, 9, 0, 0, 5, {0, 0, 0, 0}, 0, R(KIND_INVALID)},
    {211, 99, 0, 0, 0, 0, {0, 0, 0, 0}, 0, R(KIND_INVALID)},
    {212, 99, USER, 0, 0, 5, {0, 0, 0, 0}, 0, NEEDS_DMNEC},
};

static size_t count_ok(const struct account_case *cases, size_t count)
{
    size_t ok = 0;
    for (size_t index = 0; index < count; index++) {
        ok += cases[index].expected == R(OK) ? 1 : 0;
    }
    return ok;
}

/* Rows one batch each; a failed row leaves no account behind. */
static void run_alone(struct lf *f, const struct account_case *cases, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        const struct account_case *c = &cases[index];
        struct ledger_account account = from_case(c);
        print_message("row %zu: expect %s\n", index, ledger_account_result_name(c->expected));
        lf_assert_account_result(lf_create_account(f, &account), c->expected);
        if (c->id != 0 && c->id != IDMAX) {
            assert_int_equal(lf_account_exists(f, c->id), c->expected == R(OK));
        }
    }
    assert_int_equal(ledger_account_count(f->ledger), count_ok(cases, count));
}

static void test_results_alone(void **state)
{
    run_alone(*state, single_cases, COUNT(single_cases));
}

static void test_results_in_one_batch(void **state)
{
    struct lf *f = *state;
    struct ledger_account accounts[COUNT(single_cases)] = {0};
    enum ledger_account_result expected[COUNT(single_cases)] = {0};
    enum ledger_account_result results[COUNT(single_cases)] = {0};
    for (size_t index = 0; index < COUNT(single_cases); index++) {
        accounts[index] = from_case(&single_cases[index]);
        expected[index] = single_cases[index].expected;
        results[index] = R(OK);
    }
    lf_create_accounts(f, accounts, COUNT(single_cases), results);
    lf_assert_account_results(results, expected, COUNT(single_cases));
    assert_int_equal(ledger_account_count(f->ledger), count_ok(single_cases, COUNT(single_cases)));
}

static void test_precedence(void **state)
{
    run_alone(*state, precedence_cases, COUNT(precedence_cases));
}

/* The record comes back as given, with zero balances and the ledger's timestamp. */
static void test_stored_fields(void **state)
{
    struct lf *f = *state;
    struct ledger_account account = lf_account(TPW_U128(7, 9), EUR, DMNEC | HISTORY);
    account.kind = LEDGER_KIND_SUB_ACCOUNT;
    account.owner = TPW_U128(0xabc, 0xdef);
    account.overdraft_limit = 12345;
    f->now_ns += 1000;
    lf_assert_account_result(lf_create_account(f, &account), R(OK));
    struct ledger_account got = lf_get_account(f, TPW_U128(7, 9));
    assert_u128_equal(got.id, TPW_U128(7, 9));
    assert_int_equal(got.asset, EUR);
    assert_int_equal(got.kind, LEDGER_KIND_SUB_ACCOUNT);
    assert_int_equal(got.flags, DMNEC | HISTORY);
    assert_u128_equal(got.owner, TPW_U128(0xabc, 0xdef));
    assert_u128_equal(got.overdraft_limit, 12345);
    assert_u128_equal(got.debits_pending, 0);
    assert_u128_equal(got.debits_posted, 0);
    assert_u128_equal(got.credits_pending, 0);
    assert_u128_equal(got.credits_posted, 0);
    assert_true(got.timestamp == f->now_ns);
    assert_true(lf_stats(f).last_timestamp == f->now_ns);
    assert_int_equal(lf_stats(f).accounts, 1);
    /* Unknown ids. */
    assert_err(ledger_account_get(f->ledger, 8, &got), TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND);
    assert_err(ledger_account_get(f->ledger, 0, &got), TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND);
    assert_err(ledger_account_get(f->ledger, IDMAX, &got), TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND);
}

/* Both history queries refuse an id that names no account — a free id, 0, 2^128 - 1 or
 * a transfer's id — ascending or descending, and report no transfers. */
static void test_history_of_unknown_account(void **state)
{
    struct lf *f = *state;
    lf_add_account(f, 1, USD, 0);
    lf_add_account(f, 2, USD, 0);
    lf_move(f, 10, 1, 2, USD, 5);
    const tpw_u128 unknown[] = {3, 0, IDMAX, 10};
    for (size_t index = 0; index < COUNT(unknown); index++) {
        for (int descending = 0; descending < 2; descending++) {
            struct ledger_history_query query = {.account_id = unknown[index],
                                                 .descending = descending != 0};
            struct ledger_transfer page[2];
            size_t count = 99;
            bool has_more = true;
            assert_err(
                ledger_account_transfers(f->ledger, &query, page, COUNT(page), &count, &has_more),
                TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND);
            assert_int_equal(count, 0);
            assert_false(has_more);
        }
        struct ledger_balance balance;
        assert_err(ledger_balance_as_of(f->ledger, unknown[index], UINT64_MAX, &balance),
                   TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND);
    }
}

/* The stored account every exists_* row meets. */
#define STORED_FLAGS (DMNEC | HISTORY)
static const struct account_case stored_case = {.id = 500,
                                                .asset = USD,
                                                .kind = USER,
                                                .flags = STORED_FLAGS,
                                                .owner = 77,
                                                .overdraft_limit = 1000,
                                                .expected = R(OK)};

static const struct account_case exists_cases[] = {
    {500, USD, USER, STORED_FLAGS, 77, 1000, {0, 0, 0, 0}, 0, R(EXISTS)},
    {500, USD, USER, DMNEC, 77, 1000, {0, 0, 0, 0}, 0, DIFF(FLAGS)},
    {500, USD, USER, STORED_FLAGS | CLOSED, 77, 1000, {0}, 0, DIFF(FLAGS)},
    {500, EUR, USER, STORED_FLAGS, 77, 1000, {0, 0, 0, 0}, 0, DIFF(ASSET)},
    {500, USD, FEES, STORED_FLAGS, 77, 1000, {0, 0, 0, 0}, 0, DIFF(KIND)},
    {500, USD, USER, STORED_FLAGS, 78, 1000, {0, 0, 0, 0}, 0, DIFF(OWNER)},
    {500, USD, USER, STORED_FLAGS, 0, 1000, {0, 0, 0, 0}, 0, DIFF(OWNER)},
    {500, USD, USER, STORED_FLAGS, 77, 999, {0, 0, 0, 0}, 0, DIFF(OVERDRAFT_LIMIT)},
    {500, USD, USER, STORED_FLAGS, 77, 0, {0, 0, 0, 0}, 0, DIFF(OVERDRAFT_LIMIT)},
    /* Precedence among the exists_* results and against later results. */
    {500, EUR, USER, DMNEC, 77, 1000, {0, 0, 0, 0}, 0, DIFF(FLAGS)},
    {500, EUR, FEES, STORED_FLAGS, 77, 1000, {0, 0, 0, 0}, 0, DIFF(ASSET)},
    {500, USD, FEES, STORED_FLAGS, 78, 1000, {0, 0, 0, 0}, 0, DIFF(KIND)},
    {500, USD, USER, STORED_FLAGS, 78, 999, {0, 0, 0, 0}, 0, DIFF(OWNER)},
    {500, 99, USER, STORED_FLAGS, 77, 1000, {0, 0, 0, 0}, 0, DIFF(ASSET)},
    {500, 0, USER, STORED_FLAGS, 77, 1000, {0, 0, 0, 0}, 0, DIFF(ASSET)},
    {500, USD, 0, STORED_FLAGS, 77, 1000, {0, 0, 0, 0}, 0, DIFF(KIND)},
    {500, USD, USER, HISTORY, 77, 1000, {0, 0, 0, 0}, 0, DIFF(FLAGS)},
    {500, USD, USER, STORED_FLAGS | CMNED, 77, 1000, {0}, 0, DIFF(FLAGS)},
    {500, USD, USER, STORED_FLAGS, 77, 1000, {5, 6, 7, 8}, 0, R(EXISTS)},
    {500, USD, USER, STORED_FLAGS, 77, 999, {5, 0, 0, 0}, 0, DIFF(OVERDRAFT_LIMIT)},
    {500, USD, USER, STORED_FLAGS, 77, 1000, {0, 0, 0, 0}, 3, R(TIMESTAMP_MUST_BE_ZERO)},
    {500, USD, USER, STORED_FLAGS | BADFLAG, 77, 1000, {0}, 0, R(RESERVED_FLAG)},
};

static void test_exists_outcomes(void **state)
{
    struct lf *f = *state;
    struct ledger_account stored = from_case(&stored_case);
    lf_assert_account_result(lf_create_account(f, &stored), R(OK));
    struct ledger_account before = lf_get_account(f, 500);
    for (size_t index = 0; index < COUNT(exists_cases); index++) {
        struct ledger_account account = from_case(&exists_cases[index]);
        print_message("row %zu\n", index);
        lf_assert_account_result(lf_create_account(f, &account), exists_cases[index].expected);
    }
    struct ledger_account after = lf_get_account(f, 500);
    assert_memory_equal(&after, &before, sizeof(before));
    assert_int_equal(ledger_account_count(f->ledger), 1);
}

/* A later command in the same batch already sees the earlier one. */
static void test_exists_in_same_batch(void **state)
{
    struct lf *f = *state;
    struct ledger_account accounts[4] = {lf_account(1, USD, 0), lf_account(1, USD, 0),
                                         lf_account(2, EUR, 0), lf_account(2, EUR, 0)};
    accounts[3].owner = 4;
    enum ledger_account_result results[4] = {0};
    static const enum ledger_account_result expected[4] = {R(OK), R(EXISTS), R(OK),
                                                           R(EXISTS_WITH_DIFFERENT_OWNER)};
    lf_create_accounts(f, accounts, 4, results);
    lf_assert_account_results(results, expected, 4);
    assert_int_equal(ledger_account_count(f->ledger), 2);
    assert_u128_equal(lf_get_account(f, 2).owner, 0);
}

/* Flags are compared without `linked`, and `exists` counts as success in a chain. */
static void test_exists_ignores_linked(void **state)
{
    struct lf *f = *state;
    lf_add_account(f, 1, USD, DMNEC);
    struct ledger_account accounts[2] = {lf_account(1, USD, DMNEC | LINKED), lf_account(2, USD, 0)};
    enum ledger_account_result results[2] = {0};
    static const enum ledger_account_result expected[2] = {R(EXISTS), R(OK)};
    lf_create_accounts(f, accounts, 2, results);
    lf_assert_account_results(results, expected, 2);
    assert_true(lf_account_exists(f, 2));
    /* A group that fails around an existing account leaves it as it was. */
    accounts[1] = lf_account(3, 0, 0);
    static const enum ledger_account_result failed[2] = {R(LINKED_EVENT_FAILED),
                                                         R(ASSET_MUST_NOT_BE_ZERO)};
    lf_create_accounts(f, accounts, 2, results);
    lf_assert_account_results(results, failed, 2);
    assert_true(lf_account_exists(f, 1));
    assert_int_equal(ledger_account_count(f->ledger), 2);
}

struct chain_case {
    struct account_case rows[5];
    size_t count;
};

/* Linked groups: all or nothing, independent of the groups around them. */
static const struct chain_case chain_cases[] = {
    {{{1, USD, USER, LINKED, 0, 0, {0}, 0, R(OK)},
      {2, EUR, USER, LINKED, 0, 0, {0}, 0, R(OK)},
      {3, BTC, USER, 0, 0, 0, {0}, 0, R(OK)}},
     3},
    {{{11, USD, USER, LINKED, 0, 0, {0}, 0, R(LINKED_EVENT_FAILED)},
      {12, USD, USER, LINKED, 0, 0, {0}, 0, R(LINKED_EVENT_FAILED)},
      {13, USD, 0, 0, 0, 0, {0}, 0, R(KIND_INVALID)},
      {14, USD, USER, 0, 0, 0, {0}, 0, R(OK)}},
     4},
    {{{21, 99, USER, LINKED, 0, 0, {0}, 0, R(ASSET_NOT_FOUND)},
      {22, USD, USER, 0, 0, 0, {0}, 0, R(LINKED_EVENT_FAILED)}},
     2},
    {{{31, USD, USER, LINKED, 0, 0, {0}, 0, R(OK)},
      {32, USD, USER, 0, 0, 0, {0}, 0, R(OK)},
      {33, USD, USER, LINKED, 0, 0, {0}, 0, R(LINKED_EVENT_FAILED)},
      {34, USD, USER, 0, 0, 0, {0}, 1, R(TIMESTAMP_MUST_BE_ZERO)},
      {35, USD, USER, 0, 0, 0, {0}, 0, R(OK)}},
     5},
    /* The first member is created, then the group fails on a clash with it. */
    {{{41, USD, USER, LINKED, 0, 0, {0}, 0, R(LINKED_EVENT_FAILED)},
      {41, USD, USER, 0, 9, 0, {0}, 0, R(EXISTS_WITH_DIFFERENT_OWNER)}},
     2},
    /* Chains left open at the end of the batch. */
    {{{51, USD, USER, LINKED, 0, 0, {0}, 0, R(LINKED_EVENT_CHAIN_OPEN)}}, 1},
    {{{52, USD, USER, 0, 0, 0, {0}, 0, R(OK)},
      {53, USD, USER, LINKED, 0, 0, {0}, 0, R(LINKED_EVENT_FAILED)},
      {54, USD, USER, LINKED, 0, 0, {0}, 0, R(LINKED_EVENT_CHAIN_OPEN)}},
     3},
    /* Chain open outranks the command's own problems. */
    {{{61, USD, USER, LINKED, 0, 0, {0}, 1, R(LINKED_EVENT_CHAIN_OPEN)}}, 1},
    {{{62, USD, USER, LINKED, 0, 0, {0}, 0, R(LINKED_EVENT_FAILED)},
      {0, 0, 0, LINKED | BADFLAG, 0, 0, {0}, 0, R(LINKED_EVENT_CHAIN_OPEN)}},
     2},
};

static void run_chain(struct lf *f, const struct chain_case *chain)
{
    struct ledger_account accounts[5] = {0};
    enum ledger_account_result expected[5] = {0};
    enum ledger_account_result results[5] = {0};
    for (size_t index = 0; index < chain->count; index++) {
        accounts[index] = from_case(&chain->rows[index]);
        expected[index] = chain->rows[index].expected;
        results[index] = R(OK);
    }
    lf_create_accounts(f, accounts, chain->count, results);
    lf_assert_account_results(results, expected, chain->count);
    for (size_t index = 0; index < chain->count; index++) {
        const struct account_case *row = &chain->rows[index];
        if (row->id == 0 || row->id == 41) {
            continue;
        }
        assert_int_equal(lf_account_exists(f, row->id), row->expected == R(OK));
    }
}

static void test_linked_chains(void **state)
{
    struct lf *f = *state;
    for (size_t index = 0; index < COUNT(chain_cases); index++) {
        print_message("chain %zu\n", index);
        run_chain(f, &chain_cases[index]);
    }
    /* 41 was rolled back with its group; 1 2 3 14 31 32 35 52 remain. */
    assert_false(lf_account_exists(f, 41));
    assert_int_equal(ledger_account_count(f->ledger), 8);
}

/* The same chain retried with the problem fixed succeeds with the same ids. */
static void test_linked_retry_after_fix(void **state)
{
    struct lf *f = *state;
    struct ledger_account accounts[2] = {lf_account(1, USD, LINKED), lf_account(2, USD, 0)};
    accounts[1].kind = 0;
    enum ledger_account_result results[2] = {0};
    static const enum ledger_account_result failed[2] = {R(LINKED_EVENT_FAILED), R(KIND_INVALID)};
    lf_create_accounts(f, accounts, 2, results);
    lf_assert_account_results(results, failed, 2);
    accounts[1].kind = USER;
    static const enum ledger_account_result ok[2] = {R(OK), R(OK)};
    lf_create_accounts(f, accounts, 2, results);
    lf_assert_account_results(results, ok, 2);
    assert_int_equal(ledger_account_count(f->ledger), 2);
}

static void test_get_list_count(void **state)
{
    struct lf *f = *state;
    struct ledger_account accounts[6] = {0};
    for (size_t index = 0; index < 6; index++) {
        accounts[index] = lf_account(71 + index, USD, 0);
        accounts[index].owner = 1000 + index;
    }
    accounts[5].kind = 0; /* fails: not listed, not counted */
    enum ledger_account_result results[6] = {0};
    lf_create_accounts(f, accounts, 6, results);
    lf_assert_account_result(results[5], R(KIND_INVALID));
    assert_int_equal(ledger_account_count(f->ledger), 5);
    struct ledger_account out[8] = {0};
    assert_int_equal(ledger_account_list(f->ledger, 0, out, 8), 5);
    for (size_t index = 0; index < 5; index++) {
        assert_u128_equal(out[index].id, 71 + index);
        assert_u128_equal(out[index].owner, 1000 + index);
        assert_true(index == 0 || out[index].timestamp > out[index - 1].timestamp);
    }
    uint64_t second = out[1].timestamp;
    uint64_t last = out[4].timestamp;
    assert_int_equal(ledger_account_list(f->ledger, 0, out, 2), 2);
    assert_u128_equal(out[1].id, 72);
    assert_int_equal(ledger_account_list(f->ledger, second, out, 8), 3);
    assert_u128_equal(out[0].id, 73);
    assert_u128_equal(out[2].id, 75);
    assert_int_equal(ledger_account_list(f->ledger, last, out, 8), 0);
    assert_int_equal(ledger_account_list(f->ledger, 0, out, 0), 0);
    assert_u128_equal(lf_get_account(f, 74).owner, 1003);
}

/* A batch of n ends at max(clock, last + n); failed commands use a timestamp too. */
static void test_timestamps(void **state)
{
    struct lf *f = *state;
    f->now_ns = lf_stats(f).last_timestamp + 1000;
    struct ledger_account accounts[3] = {lf_account(1, USD, 0), lf_account(2, USD, 0),
                                         lf_account(3, USD, 0)};
    accounts[1].kind = 0;
    enum ledger_account_result results[3] = {0};
    lf_create_accounts(f, accounts, 3, results);
    lf_assert_account_result(results[1], R(KIND_INVALID));
    assert_true(lf_get_account(f, 1).timestamp == f->now_ns - 2);
    assert_true(lf_get_account(f, 3).timestamp == f->now_ns);
    assert_true(lf_stats(f).last_timestamp == f->now_ns);
    /* The clock stands still: the next batch continues one nanosecond later. */
    struct ledger_account next = lf_account(4, USD, 0);
    lf_assert_account_result(lf_create_account(f, &next), R(OK));
    assert_true(lf_get_account(f, 4).timestamp == f->now_ns + 1);
    /* The clock goes back five seconds: the ledger carries on from its last stamp. */
    f->now_ns -= 5 * LF_NS_PER_S;
    struct ledger_account two[2] = {lf_account(5, USD, 0), lf_account(6, USD, 0)};
    lf_create_accounts(f, two, 2, results);
    uint64_t expected = f->now_ns + 5 * LF_NS_PER_S + 3;
    assert_true(lf_get_account(f, 6).timestamp == expected);
    assert_true(lf_get_account(f, 5).timestamp == expected - 1);
    /* Just ahead of the last stamp, but not by n: last + n wins. */
    f->now_ns = expected + 1;
    two[0] = lf_account(7, USD, 0);
    two[1] = lf_account(8, USD, 0);
    lf_create_accounts(f, two, 2, results);
    assert_true(lf_get_account(f, 7).timestamp == expected + 1);
    assert_true(lf_get_account(f, 8).timestamp == expected + 2);
}

/* Asset definitions and wholly failed batches take timestamps too. */
static void test_timestamps_of_assets_and_failures(void **state)
{
    struct lf *f = *state;
    f->now_ns = lf_stats(f).last_timestamp + 500;
    uint32_t number = 0;
    assert_err(ledger_asset_define(f->ledger, "ETH", 18, &number, NULL), TPW_OK);
    assert_true(lf_stats(f).last_timestamp == f->now_ns);
    assert_err(ledger_asset_define(f->ledger, "SOL", 9, &number, NULL), TPW_OK);
    assert_true(lf_stats(f).last_timestamp == f->now_ns + 1);
    lf_add_account(f, 1, number, 0);
    assert_true(lf_get_account(f, 1).timestamp == f->now_ns + 2);
    f->now_ns += 1000;
    struct ledger_account bad[2] = {lf_account(2, 0, 0), lf_account(3, 99, 0)};
    enum ledger_account_result results[2] = {0};
    static const enum ledger_account_result expected[2] = {R(ASSET_MUST_NOT_BE_ZERO),
                                                           R(ASSET_NOT_FOUND)};
    lf_create_accounts(f, bad, 2, results);
    lf_assert_account_results(results, expected, 2);
    assert_true(lf_stats(f).last_timestamp == f->now_ns);
    lf_add_account(f, 4, USD, 0);
    assert_true(lf_get_account(f, 4).timestamp == f->now_ns + 1);
}

static void test_asset_table(void **state)
{
    struct lf *f = *state;
    assert_int_equal(ledger_asset_count(f->ledger), 3);
    static const struct {
        uint32_t number;
        const char *code;
        uint8_t exponent;
    } expected[] = {{LF_USD, "USD", 2}, {LF_EUR, "EUR", 2}, {LF_BTC, "BTC", 8}};
    for (size_t index = 0; index < COUNT(expected); index++) {
        struct ledger_asset asset = {0};
        assert_err(ledger_asset_get(f->ledger, expected[index].number, &asset), TPW_OK);
        assert_int_equal(asset.number, expected[index].number);
        assert_string_equal(asset.code, expected[index].code);
        assert_int_equal(asset.exponent, expected[index].exponent);
        memset(&asset, 0, sizeof(asset));
        assert_err(ledger_asset_find(f->ledger, expected[index].code, &asset), TPW_OK);
        assert_int_equal(asset.number, expected[index].number);
        assert_int_equal(asset.exponent, expected[index].exponent);
    }
    struct ledger_asset asset = {0};
    static const uint32_t missing[] = {0, 4, 99, UINT32_MAX};
    for (size_t index = 0; index < COUNT(missing); index++) {
        assert_err(ledger_asset_get(f->ledger, missing[index], &asset),
                   TPW_ERR_LEDGER_ASSET_NOT_FOUND);
    }
    assert_err(ledger_asset_find(f->ledger, "GBP", &asset), TPW_ERR_LEDGER_ASSET_NOT_FOUND);
}

/* Numbers continue in definition order; defining again is a no-op. */
static void test_asset_define(void **state)
{
    struct lf *f = *state;
    static const struct {
        const char *code;
        uint8_t exponent;
        uint32_t number;
    } cases[] = {
        {"USD", 2, 1},      {"ETH", 18, 4}, {"JPY", 0, 5},  {"BTC", 8, 3},
        {"ABCDEFGH", 6, 6}, {"X1", 3, 7},   {"ETH", 18, 4}, {"USDT", 6, 8},
    };
    for (size_t index = 0; index < COUNT(cases); index++) {
        uint32_t number = 0;
        print_message("%s\n", cases[index].code);
        assert_err(
            ledger_asset_define(f->ledger, cases[index].code, cases[index].exponent, &number, NULL),
            TPW_OK);
        assert_int_equal(number, cases[index].number);
    }
    assert_int_equal(ledger_asset_count(f->ledger), 8);
    struct ledger_asset asset = {0};
    assert_err(ledger_asset_get(f->ledger, 4, &asset), TPW_OK);
    assert_string_equal(asset.code, "ETH");
    assert_int_equal(asset.exponent, 18);
    /* A newly defined asset is usable at once. */
    lf_add_account(f, 1, 4, 0);
}

static void test_asset_define_errors(void **state)
{
    struct lf *f = *state;
    static const struct {
        const char *code;
        uint8_t exponent;
        enum tpw_err err;
    } cases[] = {
        {"USD", 3, TPW_ERR_LEDGER_ASSET_CONFLICT},
        {"BTC", 2, TPW_ERR_LEDGER_ASSET_CONFLICT},
        {"EUR", 0, TPW_ERR_LEDGER_ASSET_CONFLICT},
        {"", 2, TPW_ERR_ASSET_CODE_INVALID},
        {"U", 2, TPW_ERR_ASSET_CODE_INVALID},
        {"usd", 2, TPW_ERR_ASSET_CODE_INVALID},
        {"1INCH", 2, TPW_ERR_ASSET_CODE_INVALID},
        {"ABCDEFGHI", 2, TPW_ERR_ASSET_CODE_INVALID},
        {"US D", 2, TPW_ERR_ASSET_CODE_INVALID},
        {"US-D", 2, TPW_ERR_ASSET_CODE_INVALID},
        {"GBP", MONEY_ASSET_EXPONENT_MAX + 1, TPW_ERR_ASSET_EXPONENT_INVALID},
        {"GBP", 39, TPW_ERR_ASSET_EXPONENT_INVALID},
        {"GBP", 255, TPW_ERR_ASSET_EXPONENT_INVALID},
    };
    uint64_t sequence = lf_stats(f).journal_sequence;
    for (size_t index = 0; index < COUNT(cases); index++) {
        uint32_t number = 0;
        struct tpw_error_detail detail = {0};
        tpw_error_detail_reset(&detail);
        print_message("'%s' %u\n", cases[index].code, (unsigned)cases[index].exponent);
        assert_err(ledger_asset_define(f->ledger, cases[index].code, cases[index].exponent, &number,
                                       &detail),
                   cases[index].err);
    }
    assert_int_equal(ledger_asset_count(f->ledger), 3);
    assert_true(lf_stats(f).journal_sequence == sequence);
    struct ledger_asset asset = {0};
    assert_err(ledger_asset_find(f->ledger, "USD", &asset), TPW_OK);
    assert_int_equal(asset.exponent, 2);
    assert_err(ledger_asset_find(f->ledger, "GBP", &asset), TPW_ERR_LEDGER_ASSET_NOT_FOUND);
    /* An account in an asset that is not defined yet is refused; accounts have no
     * pinning, so the same account is created once the asset exists. */
    struct ledger_account account = lf_account(1, 4, 0);
    lf_assert_account_result(lf_create_account(f, &account), R(ASSET_NOT_FOUND));
    uint32_t number = 0;
    assert_err(ledger_asset_define(f->ledger, "GBP", 2, &number, NULL), TPW_OK);
    assert_int_equal(number, 4);
    lf_assert_account_result(lf_create_account(f, &account), R(OK));
}

/* Assets and accounts come back from the journal, and numbering carries on. */
static void test_reopen(void **state)
{
    struct lf *f = *state;
    uint32_t number = 0;
    assert_err(ledger_asset_define(f->ledger, "ETH", 18, &number, NULL), TPW_OK);
    assert_int_equal(number, 4);
    struct ledger_account account = lf_account(1, 4, DMNEC);
    account.overdraft_limit = 5;
    account.owner = 6;
    lf_assert_account_result(lf_create_account(f, &account), R(OK));
    lf_add_account(f, 2, USD, HISTORY);
    struct ledger_account before = lf_get_account(f, 1);
    struct ledger_stats stats = lf_stats(f);
    uint8_t hash[LEDGER_STATE_HASH_BYTES] = {0};
    assert_int_equal(ledger_state_hash(f->ledger, hash), TPW_OK);
    lf_reopen(f);
    uint8_t again[LEDGER_STATE_HASH_BYTES] = {0};
    assert_int_equal(ledger_state_hash(f->ledger, again), TPW_OK);
    assert_memory_equal(again, hash, sizeof(hash));
    struct ledger_account after = lf_get_account(f, 1);
    assert_memory_equal(&after, &before, sizeof(before));
    assert_int_equal(ledger_account_count(f->ledger), 2);
    assert_int_equal(ledger_asset_count(f->ledger), 4);
    assert_true(lf_stats(f).last_timestamp == stats.last_timestamp);
    assert_true(lf_stats(f).journal_sequence == stats.journal_sequence);
    assert_err(ledger_asset_define(f->ledger, "ETH", 18, &number, NULL), TPW_OK);
    assert_int_equal(number, 4);
    assert_err(ledger_asset_define(f->ledger, "ETH", 6, &number, NULL),
               TPW_ERR_LEDGER_ASSET_CONFLICT);
    assert_err(ledger_asset_define(f->ledger, "SOL", 9, &number, NULL), TPW_OK);
    assert_int_equal(number, 5);
    lf_assert_account_result(lf_create_account(f, &account), R(EXISTS));
    lf_add_account(f, 3, 5, 0);
    assert_true(lf_get_account(f, 3).timestamp > stats.last_timestamp);
}

static void test_init_refuses_existing_ledger(void **state)
{
    struct lf *f = *state;
    ledger_close(f->ledger);
    f->ledger = NULL;
    struct tpw_error_detail detail = {0};
    tpw_error_detail_reset(&detail);
    assert_err(ledger_init(f->dir, &detail), TPW_ERR_LEDGER_EXISTS);
    lf_reopen(f);
    assert_int_equal(ledger_asset_count(f->ledger), 3);
}

static struct ledger_account *numbered_accounts(size_t count)
{
    struct ledger_account *accounts = calloc(count, sizeof(*accounts));
    assert_non_null(accounts);
    for (size_t index = 0; index < count; index++) {
        accounts[index] = lf_account(index + 1, USD, 0);
    }
    return accounts;
}

/* One over the bound is refused whole; exactly the bound is applied. */
static void test_batch_bounds(void **state)
{
    struct lf *f = *state;
    struct ledger_account *accounts = numbered_accounts(LEDGER_BATCH_MAX + 1);
    enum ledger_account_result *results = calloc(LEDGER_BATCH_MAX + 1, sizeof(*results));
    assert_non_null(results);
    struct ledger_stats before = lf_stats(f);
    struct tpw_error_detail detail = {0};
    tpw_error_detail_reset(&detail);
    assert_err(ledger_create_accounts(f->ledger, accounts, LEDGER_BATCH_MAX + 1, results, &detail),
               TPW_ERR_LEDGER_BATCH_TOO_LARGE);
    struct ledger_stats after = lf_stats(f);
    assert_int_equal(ledger_account_count(f->ledger), 0);
    assert_true(after.journal_sequence == before.journal_sequence);
    assert_true(after.last_timestamp == before.last_timestamp);
    assert_false(lf_account_exists(f, 1));
    lf_create_accounts(f, accounts, LEDGER_BATCH_MAX, results);
    for (size_t index = 0; index < LEDGER_BATCH_MAX; index++) {
        if (results[index] != R(OK)) {
            lf_assert_account_result(results[index], R(OK));
        }
    }
    assert_int_equal(ledger_account_count(f->ledger), LEDGER_BATCH_MAX);
    lf_assert_double_entry(f); /* pages through every account */
    assert_true(lf_stats(f).last_timestamp >= before.last_timestamp + LEDGER_BATCH_MAX);
    free(results);
    free(accounts);
}

static void test_empty_batch(void **state)
{
    struct lf *f = *state;
    struct ledger_account account = lf_account(1, USD, 0);
    enum ledger_account_result account_result = R(OK);
    assert_err(ledger_create_accounts(f->ledger, &account, 0, &account_result, NULL), TPW_OK);
    struct ledger_transfer transfer = lf_transfer(1, 2, 3, USD, 4);
    enum ledger_transfer_result transfer_result = LEDGER_TRANSFER_OK;
    assert_err(ledger_create_transfers(f->ledger, &transfer, 0, &transfer_result, NULL), TPW_OK);
    assert_int_equal(ledger_account_count(f->ledger), 0);
    assert_int_equal(lf_stats(f).transfers, 0);
    assert_false(lf_account_exists(f, 1));
}

struct flag_name {
    uint16_t value;
    const char *name;
};

static const struct flag_name account_flags[] = {
    {LEDGER_ACCOUNT_LINKED, "linked"},
    {LEDGER_ACCOUNT_DEBITS_MUST_NOT_EXCEED_CREDITS, "debits_must_not_exceed_credits"},
    {LEDGER_ACCOUNT_CREDITS_MUST_NOT_EXCEED_DEBITS, "credits_must_not_exceed_debits"},
    {LEDGER_ACCOUNT_HISTORY, "history"},
    {LEDGER_ACCOUNT_CLOSED, "closed"},
};

static const struct flag_name transfer_flags[] = {
    {LEDGER_TRANSFER_LINKED, "linked"},
    {LEDGER_TRANSFER_PENDING, "pending"},
    {LEDGER_TRANSFER_POST_PENDING, "post_pending"},
    {LEDGER_TRANSFER_VOID_PENDING, "void_pending"},
    {LEDGER_TRANSFER_BALANCING_DEBIT, "balancing_debit"},
    {LEDGER_TRANSFER_BALANCING_CREDIT, "balancing_credit"},
    {LEDGER_TRANSFER_CLOSING_DEBIT, "closing_debit"},
    {LEDGER_TRANSFER_CLOSING_CREDIT, "closing_credit"},
};

static const struct flag_name kinds[] = {
    {LEDGER_KIND_USER, "user"},
    {LEDGER_KIND_SUB_ACCOUNT, "sub_account"},
    {LEDGER_KIND_FX_POOL, "fx_pool"},
    {LEDGER_KIND_FEES, "fees"},
    {LEDGER_KIND_SETTLEMENT, "settlement"},
    {LEDGER_KIND_SUSPENSE, "suspense"},
    {LEDGER_KIND_EXTERNAL, "external"},
    {LEDGER_KIND_EQUITY, "equity"},
};

static void test_flag_and_kind_names(void **state)
{
    (void)state;
    unsigned all = 0;
    for (size_t index = 0; index < COUNT(account_flags); index++) {
        const struct flag_name *row = &account_flags[index];
        assert_string_equal(ledger_account_flag_name((enum ledger_account_flag)row->value),
                            row->name);
        uint16_t parsed = 0;
        assert_err(ledger_account_flag_parse(row->name, &parsed), TPW_OK);
        assert_int_equal(parsed, row->value);
        all |= row->value;
    }
    assert_int_equal(all, LEDGER_ACCOUNT_FLAGS_ALL);
    all = 0;
    for (size_t index = 0; index < COUNT(transfer_flags); index++) {
        const struct flag_name *row = &transfer_flags[index];
        assert_string_equal(ledger_transfer_flag_name((enum ledger_transfer_flag)row->value),
                            row->name);
        uint16_t parsed = 0;
        assert_err(ledger_transfer_flag_parse(row->name, &parsed), TPW_OK);
        assert_int_equal(parsed, row->value);
        all |= row->value;
    }
    assert_int_equal(all, LEDGER_TRANSFER_FLAGS_ALL);
    assert_int_equal(COUNT(kinds), LEDGER_KIND_MAX);
    for (size_t index = 0; index < COUNT(kinds); index++) {
        assert_string_equal(ledger_account_kind_name((enum ledger_account_kind)kinds[index].value),
                            kinds[index].name);
        uint16_t parsed = 0;
        assert_err(ledger_account_kind_parse(kinds[index].name, &parsed), TPW_OK);
        assert_int_equal(parsed, kinds[index].value);
    }
}

static void test_unknown_names(void **state)
{
    (void)state;
    static const char *const account_unknown[] = {"", "bogus", "pending", "link", "closed_"};
    static const char *const transfer_unknown[] = {"", "bogus", "history", "closed", "post"};
    static const char *const kind_unknown[] = {"", "fee", "users", "linked", "fx pool"};
    uint16_t out = 0;
    for (size_t index = 0; index < COUNT(account_unknown); index++) {
        assert_err(ledger_account_flag_parse(account_unknown[index], &out),
                   TPW_ERR_LEDGER_FLAG_UNKNOWN);
        assert_err(ledger_transfer_flag_parse(transfer_unknown[index], &out),
                   TPW_ERR_LEDGER_FLAG_UNKNOWN);
        assert_err(ledger_account_kind_parse(kind_unknown[index], &out),
                   TPW_ERR_LEDGER_KIND_UNKNOWN);
    }
}

struct result_row {
    int number;
    const char *upper;
};

#define RESULT_ROW(name, number) {number, #name},
static const struct result_row account_results[] = {LEDGER_ACCOUNT_RESULTS(RESULT_ROW)};
static const struct result_row transfer_results[] = {LEDGER_TRANSFER_RESULTS(RESULT_ROW)};
#undef RESULT_ROW

typedef const char *(*name_of)(int value);

static const char *account_result_name(int value)
{
    return ledger_account_result_name((enum ledger_account_result)value);
}

static const char *transfer_result_name(int value)
{
    return ledger_transfer_result_name((enum ledger_transfer_result)value);
}

/* Every value is named: its enum name in lowercase, and no two names alike. */
static void check_result_names(const struct result_row *rows, size_t count, name_of name)
{
    for (size_t index = 0; index < count; index++) {
        assert_int_equal(rows[index].number, (int)index); /* numbered 0.. without gaps */
        char lower[80] = {0};
        size_t length = strlen(rows[index].upper);
        assert_true(length < sizeof(lower));
        for (size_t at = 0; at <= length; at++) {
            lower[at] = (char)tolower((unsigned char)rows[index].upper[at]);
        }
        const char *got = name(rows[index].number);
        assert_non_null(got);
        assert_string_equal(got, lower);
        for (size_t other = 0; other < index; other++) {
            assert_string_not_equal(name(rows[other].number), got);
        }
    }
    assert_null(name((int)count));
    assert_null(name(1000));
}

static void test_result_names(void **state)
{
    (void)state;
    check_result_names(account_results, COUNT(account_results), account_result_name);
    check_result_names(transfer_results, COUNT(transfer_results), transfer_result_name);
    assert_string_equal(ledger_transfer_result_name(LEDGER_TRANSFER_EXCEEDS_CREDITS),
                        "exceeds_credits");
    assert_string_equal(ledger_account_result_name(R(ASSET_NOT_FOUND)), "asset_not_found");
}

static void test_pending_state_names(void **state)
{
    (void)state;
    const char *names[5] = {0};
    for (int value = 0; value < 5; value++) {
        names[value] = ledger_pending_state_name((enum ledger_pending_state)value);
        assert_non_null(names[value]);
        assert_true(strlen(names[value]) > 0);
        for (const char *at = names[value]; *at != '\0'; at++) {
            assert_false(isupper((unsigned char)*at));
        }
        for (int other = 0; other < value; other++) {
            assert_string_not_equal(names[other], names[value]);
        }
    }
}

#define LF_TEST(name) cmocka_unit_test_setup_teardown(name, lf_setup, lf_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        LF_TEST(test_results_alone),
        LF_TEST(test_results_in_one_batch),
        LF_TEST(test_precedence),
        LF_TEST(test_stored_fields),
        LF_TEST(test_history_of_unknown_account),
        LF_TEST(test_exists_outcomes),
        LF_TEST(test_exists_in_same_batch),
        LF_TEST(test_exists_ignores_linked),
        LF_TEST(test_linked_chains),
        LF_TEST(test_linked_retry_after_fix),
        LF_TEST(test_get_list_count),
        LF_TEST(test_timestamps),
        LF_TEST(test_timestamps_of_assets_and_failures),
        LF_TEST(test_asset_table),
        LF_TEST(test_asset_define),
        LF_TEST(test_asset_define_errors),
        LF_TEST(test_reopen),
        LF_TEST(test_init_refuses_existing_ledger),
        LF_TEST(test_batch_bounds),
        LF_TEST(test_empty_batch),
        cmocka_unit_test(test_flag_and_kind_names),
        cmocka_unit_test(test_unknown_names),
        cmocka_unit_test(test_result_names),
        cmocka_unit_test(test_pending_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
