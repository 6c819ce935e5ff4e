/*
 * The fixture the ledger's unit suites share: a fresh ledger in its own temporary
 * directory, stamped by a manual clock the test advances itself (so every timestamp
 * is predictable), with three assets defined, builders that fill account and transfer
 * records tersely, one-line submit helpers, reopen (close and open again, to exercise
 * recovery) and checks that print result names and the caller's line on failure.
 *
 * The suites are written from include/tpwallet/ledger.h and docs/ledger.md alone.
 */
#ifndef LEDGER_FIXTURE_H
#define LEDGER_FIXTURE_H

#include "tpw_test.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/ledger.h"

/* The assets every fixture defines, numbered 1, 2, 3 in this order of definition. */
#define LF_USD 1u /* exponent 2 */
#define LF_EUR 2u /* exponent 2 */
#define LF_BTC 3u /* exponent 8 */

/* The manual clock starts at 2023-11-14T22:13:20Z. */
#define LF_CLOCK_START UINT64_C(1700000000000000000)
#define LF_NS_PER_S UINT64_C(1000000000)

/* The reason code the builders put on transfers. */
#define LF_CODE 1u

/* Short names for flags, for tables that must fit in 100 columns. */
#define LF_A_LINKED ((uint16_t)LEDGER_ACCOUNT_LINKED)
#define LF_A_DMNEC ((uint16_t)LEDGER_ACCOUNT_DEBITS_MUST_NOT_EXCEED_CREDITS)
#define LF_A_CMNED ((uint16_t)LEDGER_ACCOUNT_CREDITS_MUST_NOT_EXCEED_DEBITS)
#define LF_A_HISTORY ((uint16_t)LEDGER_ACCOUNT_HISTORY)
#define LF_A_CLOSED ((uint16_t)LEDGER_ACCOUNT_CLOSED)
#define LF_T_LINKED ((uint16_t)LEDGER_TRANSFER_LINKED)
#define LF_T_PENDING ((uint16_t)LEDGER_TRANSFER_PENDING)
#define LF_T_POST ((uint16_t)LEDGER_TRANSFER_POST_PENDING)
#define LF_T_VOID ((uint16_t)LEDGER_TRANSFER_VOID_PENDING)
#define LF_T_BAL_DEBIT ((uint16_t)LEDGER_TRANSFER_BALANCING_DEBIT)
#define LF_T_BAL_CREDIT ((uint16_t)LEDGER_TRANSFER_BALANCING_CREDIT)
#define LF_T_CLOSE_DEBIT ((uint16_t)LEDGER_TRANSFER_CLOSING_DEBIT)
#define LF_T_CLOSE_CREDIT ((uint16_t)LEDGER_TRANSFER_CLOSING_CREDIT)

/* One ledger under test. Heap-allocated: the manual clock points into it. */
struct lf {
    struct ledger *ledger;
    uint64_t now_ns; /* what the manual clock returns; tests set and advance it */
    char root[32];   /* the mkdtemp directory, removed by lf_destroy() */
    char dir[48];    /* the ledger's data directory inside it */
};

/* A fresh ledger (init, open, USD/EUR/BTC defined), or NULL after printing why. */
struct lf *lf_create(void);
/* Closes the ledger and removes its temporary directory. NULL is ignored. */
void lf_destroy(struct lf *f);
/* cmocka setup/teardown wrappers: *state is the struct lf. */
int lf_setup(void **state);
int lf_teardown(void **state);

/* Closes the ledger (unless a test already did and set f->ledger to NULL) and opens it
 * again from its journal, with the same clock. */
void lf_reopen(struct lf *f);

/* Builders. Unset fields are 0; the kind is `user`, the transfer code LF_CODE. */
struct ledger_account lf_account(tpw_u128 id, uint32_t asset, uint16_t flags);
struct ledger_transfer lf_transfer(tpw_u128 id, tpw_u128 debit_account_id,
                                   tpw_u128 credit_account_id, uint32_t asset, tpw_u128 amount);
struct ledger_transfer lf_pending(tpw_u128 id, tpw_u128 debit_account_id,
                                  tpw_u128 credit_account_id, uint32_t asset, tpw_u128 amount,
                                  uint32_t timeout_s);
/* A post or void that leaves accounts, asset and code to be taken from the pending. */
struct ledger_transfer lf_post(tpw_u128 id, tpw_u128 pending_id, tpw_u128 amount);
struct ledger_transfer lf_void(tpw_u128 id, tpw_u128 pending_id, tpw_u128 amount);

/* Batches of one, and whole batches that must be acknowledged (TPW_OK). */
enum ledger_account_result lf_create_account(struct lf *f, const struct ledger_account *account);
enum ledger_transfer_result lf_submit(struct lf *f, const struct ledger_transfer *transfer);
void lf_create_accounts(struct lf *f, const struct ledger_account *accounts, size_t count,
                        enum ledger_account_result *results /* out */);
void lf_submit_batch(struct lf *f, const struct ledger_transfer *transfers, size_t count,
                     enum ledger_transfer_result *results /* out */);

/* Creates an account that must succeed; the _limit form sets overdraft_limit too. */
#define lf_add_account(f, id, asset, flags) lf_add_account_limit((f), (id), (asset), (flags), 0)
#define lf_add_account_limit(f, id, asset, flags, limit)                                           \
    lf_check_add_account((f), (id), (asset), (flags), (limit), __FILE__, __LINE__)

/* Submits one transfer alone and checks its result, printing both names. */
#define lf_expect(f, transfer, expected)                                                           \
    lf_check_submit((f), (transfer), (expected), #transfer, __FILE__, __LINE__)
/* A plain transfer of LF_CODE that must succeed (funding, spending). */
#define lf_move(f, id, debit_account_id, credit_account_id, asset, amount)                         \
    lf_check_move((f), (id), (debit_account_id), (credit_account_id), (asset), (amount), __FILE__, \
                  __LINE__)

/* Result checks that print names ("exceeds_credits") rather than numbers. */
#define lf_assert_transfer_result(actual, expected)                                                \
    lf_check_transfer_result((actual), (expected), #actual, __FILE__, __LINE__)
#define lf_assert_account_result(actual, expected)                                                 \
    lf_check_account_result((actual), (expected), #actual, __FILE__, __LINE__)
#define lf_assert_transfer_results(actual, expected, count)                                        \
    lf_check_transfer_results((actual), (expected), (count), __FILE__, __LINE__)
#define lf_assert_account_results(actual, expected, count)                                         \
    lf_check_account_results((actual), (expected), (count), __FILE__, __LINE__)

/* The account's four balances, in the record's order. */
#define lf_assert_balances(f, id, debits_pending, debits_posted, credits_pending, credits_posted)  \
    lf_check_balances((f), (id), (debits_pending), (debits_posted), (credits_pending),             \
                      (credits_posted), __FILE__, __LINE__)

/* Lookups that must succeed. */
struct ledger_account lf_get_account(const struct lf *f, tpw_u128 id);
struct ledger_transfer lf_get_transfer(const struct lf *f, tpw_u128 id);
enum ledger_pending_state lf_pending_state(const struct lf *f, tpw_u128 id);
bool lf_account_exists(const struct lf *f, tpw_u128 id);
bool lf_transfer_exists(const struct lf *f, tpw_u128 id);
struct ledger_stats lf_stats(const struct lf *f);

/* Every account's record, in creation order (balances included), for before/after
 * comparisons; returns how many were written (at most `capacity`). */
size_t lf_snapshot(const struct lf *f, struct ledger_account *out /* out */, size_t capacity);
#define lf_assert_snapshot_equal(before, after, count)                                             \
    lf_check_snapshot_equal((before), (after), (count), __FILE__, __LINE__)

/* Per asset, the sums of debits and credits over all accounts agree (pending and
 * posted separately): the double-entry invariant. */
#define lf_assert_double_entry(f) lf_check_double_entry((f), __FILE__, __LINE__)

/* The functions behind the macros. */
void lf_check_add_account(struct lf *f, tpw_u128 id, uint32_t asset, uint16_t flags,
                          tpw_u128 overdraft_limit, const char *file, int line);
void lf_check_submit(struct lf *f, struct ledger_transfer transfer,
                     enum ledger_transfer_result expected, const char *expression, const char *file,
                     int line);
void lf_check_move(struct lf *f, tpw_u128 id, tpw_u128 debit_account_id, tpw_u128 credit_account_id,
                   uint32_t asset, tpw_u128 amount, const char *file, int line);
void lf_check_transfer_result(enum ledger_transfer_result actual,
                              enum ledger_transfer_result expected, const char *expression,
                              const char *file, int line);
void lf_check_account_result(enum ledger_account_result actual, enum ledger_account_result expected,
                             const char *expression, const char *file, int line);
void lf_check_transfer_results(const enum ledger_transfer_result *actual,
                               const enum ledger_transfer_result *expected, size_t count,
                               const char *file, int line);
void lf_check_account_results(const enum ledger_account_result *actual,
                              const enum ledger_account_result *expected, size_t count,
                              const char *file, int line);
void lf_check_balances(const struct lf *f, tpw_u128 id, tpw_u128 debits_pending,
                       tpw_u128 debits_posted, tpw_u128 credits_pending, tpw_u128 credits_posted,
                       const char *file, int line);
void lf_check_snapshot_equal(const struct ledger_account *before,
                             const struct ledger_account *after, size_t count, const char *file,
                             int line);
void lf_check_double_entry(const struct lf *f, const char *file, int line);

#endif /* LEDGER_FIXTURE_H */
