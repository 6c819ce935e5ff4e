/*
 * The ledger suites' fixture (see ledger_fixture.h): a ledger in a mkdtemp directory
 * with a manual clock and three assets, record builders, submit helpers, reopen, and
 * checks that report result names and the calling test's line. Teardown removes only
 * what lives under the directory mkdtemp made.
 */

#define _XOPEN_SOURCE 700 /* mkdtemp */

#include "ledger_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpwallet/clock.h"

#define LF_ROOT_TEMPLATE "/tmp/tpw-ledger-XXXXXX"
#define LF_CHECKPOINT_INTERVAL 3

static bool open_ledger(struct lf *f)
{
    struct ledger_options options = {
        .data_dir = f->dir,
        .clock = tpw_clock_manual(&f->now_ns),
        .read_only = false,
        .segment_size_bytes = 0,
        /* Checkpoint every few changes, so every test also runs lookups through the
         * store and recovery from a checkpoint plus a journal tail. */
        .checkpoint_interval = LF_CHECKPOINT_INTERVAL,
    };
    struct tpw_error_detail detail = {0};
    tpw_error_detail_reset(&detail);
    enum tpw_err err = ledger_open(&options, &f->ledger, &detail);
    if (err != TPW_OK) {
        print_error("ledger_open(%s): %s: %s\n", f->dir, tpw_err_name(err), detail.message);
        f->ledger = NULL;
        return false;
    }
    return true;
}

static bool define_assets(struct lf *f)
{
    static const struct {
        const char *code;
        uint8_t exponent;
        uint32_t number;
    } assets[] = {{"USD", 2, LF_USD}, {"EUR", 2, LF_EUR}, {"BTC", 8, LF_BTC}};
    for (size_t index = 0; index < sizeof(assets) / sizeof(assets[0]); index++) {
        uint32_t number = 0;
        enum tpw_err err = ledger_asset_define(f->ledger, assets[index].code,
                                               assets[index].exponent, &number, NULL);
        if (err != TPW_OK || number != assets[index].number) {
            print_error("ledger_asset_define(%s): %s, number %u (expected %u)\n",
                        assets[index].code, tpw_err_name(err), (unsigned)number,
                        (unsigned)assets[index].number);
            return false;
        }
    }
    return true;
}

struct lf *lf_create(void)
{
    struct lf *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return NULL;
    }
    f->now_ns = LF_CLOCK_START;
    memcpy(f->root, LF_ROOT_TEMPLATE, sizeof(LF_ROOT_TEMPLATE));
    if (mkdtemp(f->root) == NULL) {
        print_error("mkdtemp failed\n");
        free(f);
        return NULL;
    }
    /* A directory ledger_init() creates itself, inside the one mkdtemp made. */
    (void)snprintf(f->dir, sizeof(f->dir), "%s/data", f->root);
    struct tpw_error_detail detail = {0};
    tpw_error_detail_reset(&detail);
    enum tpw_err err = ledger_init(f->dir, &detail);
    if (err != TPW_OK) {
        print_error("ledger_init(%s): %s: %s\n", f->dir, tpw_err_name(err), detail.message);
        lf_destroy(f);
        return NULL;
    }
    if (!open_ledger(f) || !define_assets(f)) {
        lf_destroy(f);
        return NULL;
    }
    return f;
}

void lf_destroy(struct lf *f)
{
    if (f == NULL) {
        return;
    }
    if (f->ledger != NULL) {
        ledger_close(f->ledger);
        f->ledger = NULL;
    }
    /* Only ever a directory this fixture made: the template's prefix and suffix. */
    size_t prefix_len = strlen(LF_ROOT_TEMPLATE) - strlen("XXXXXX");
    if (strncmp(f->root, LF_ROOT_TEMPLATE, prefix_len) == 0 &&
        strlen(f->root) == strlen(LF_ROOT_TEMPLATE) && strchr(f->root + prefix_len, '/') == NULL) {
        if (!tpw_test_tree_remove(f->root)) {
            print_error("cannot remove %s\n", f->root);
        }
    }
    free(f);
}

int lf_setup(void **state)
{
    struct lf *f = lf_create();
    if (f == NULL) {
        return -1;
    }
    *state = f;
    return 0;
}

int lf_teardown(void **state)
{
    lf_destroy(*state);
    *state = NULL;
    return 0;
}

void lf_reopen(struct lf *f)
{
    if (f->ledger != NULL) {
        ledger_close(f->ledger);
        f->ledger = NULL;
    }
    assert_true(open_ledger(f));
}

struct ledger_account lf_account(tpw_u128 id, uint32_t asset, uint16_t flags)
{
    struct ledger_account account = {0};
    account.id = id;
    account.asset = asset;
    account.kind = LEDGER_KIND_USER;
    account.flags = flags;
    return account;
}

struct ledger_transfer lf_transfer(tpw_u128 id, tpw_u128 debit_account_id,
                                   tpw_u128 credit_account_id, uint32_t asset, tpw_u128 amount)
{
    struct ledger_transfer transfer = {0};
    transfer.id = id;
    transfer.debit_account_id = debit_account_id;
    transfer.credit_account_id = credit_account_id;
    transfer.amount = amount;
    transfer.asset = asset;
    transfer.code = LF_CODE;
    return transfer;
}

struct ledger_transfer lf_pending(tpw_u128 id, tpw_u128 debit_account_id,
                                  tpw_u128 credit_account_id, uint32_t asset, tpw_u128 amount,
                                  uint32_t timeout_s)
{
    struct ledger_transfer transfer =
        lf_transfer(id, debit_account_id, credit_account_id, asset, amount);
    transfer.flags = LF_T_PENDING;
    transfer.timeout_s = timeout_s;
    return transfer;
}

static struct ledger_transfer resolving(tpw_u128 id, tpw_u128 pending_id, tpw_u128 amount,
                                        uint16_t flags)
{
    struct ledger_transfer transfer = {0};
    transfer.id = id;
    transfer.pending_id = pending_id;
    transfer.amount = amount;
    transfer.flags = flags;
    return transfer;
}

struct ledger_transfer lf_post(tpw_u128 id, tpw_u128 pending_id, tpw_u128 amount)
{
    return resolving(id, pending_id, amount, LF_T_POST);
}

struct ledger_transfer lf_void(tpw_u128 id, tpw_u128 pending_id, tpw_u128 amount)
{
    return resolving(id, pending_id, amount, LF_T_VOID);
}

void lf_create_accounts(struct lf *f, const struct ledger_account *accounts, size_t count,
                        enum ledger_account_result *results)
{
    struct tpw_error_detail detail = {0};
    tpw_error_detail_reset(&detail);
    enum tpw_err err = ledger_create_accounts(f->ledger, accounts, count, results, &detail);
    if (err != TPW_OK) {
        print_error("ledger_create_accounts: %s\n", detail.message);
    }
    assert_err(err, TPW_OK);
}

void lf_submit_batch(struct lf *f, const struct ledger_transfer *transfers, size_t count,
                     enum ledger_transfer_result *results)
{
    struct tpw_error_detail detail = {0};
    tpw_error_detail_reset(&detail);
    enum tpw_err err = ledger_create_transfers(f->ledger, transfers, count, results, &detail);
    if (err != TPW_OK) {
        print_error("ledger_create_transfers: %s\n", detail.message);
    }
    assert_err(err, TPW_OK);
}

enum ledger_account_result lf_create_account(struct lf *f, const struct ledger_account *account)
{
    enum ledger_account_result result = LEDGER_ACCOUNT_OK;
    lf_create_accounts(f, account, 1, &result);
    return result;
}

enum ledger_transfer_result lf_submit(struct lf *f, const struct ledger_transfer *transfer)
{
    enum ledger_transfer_result result = LEDGER_TRANSFER_OK;
    lf_submit_batch(f, transfer, 1, &result);
    return result;
}

static const char *or_unknown(const char *name)
{
    return name != NULL ? name : "(no name)";
}

void lf_check_transfer_result(enum ledger_transfer_result actual,
                              enum ledger_transfer_result expected, const char *expression,
                              const char *file, int line)
{
    if (actual == expected) {
        return;
    }
    print_error("%s is %s (%d), expected %s (%d)\n", expression,
                or_unknown(ledger_transfer_result_name(actual)), (int)actual,
                or_unknown(ledger_transfer_result_name(expected)), (int)expected);
    _fail(file, line);
}

void lf_check_account_result(enum ledger_account_result actual, enum ledger_account_result expected,
                             const char *expression, const char *file, int line)
{
    if (actual == expected) {
        return;
    }
    print_error("%s is %s (%d), expected %s (%d)\n", expression,
                or_unknown(ledger_account_result_name(actual)), (int)actual,
                or_unknown(ledger_account_result_name(expected)), (int)expected);
    _fail(file, line);
}

void lf_check_transfer_results(const enum ledger_transfer_result *actual,
                               const enum ledger_transfer_result *expected, size_t count,
                               const char *file, int line)
{
    char expression[48] = {0};
    for (size_t index = 0; index < count; index++) {
        (void)snprintf(expression, sizeof(expression), "results[%zu]", index);
        lf_check_transfer_result(actual[index], expected[index], expression, file, line);
    }
}

void lf_check_account_results(const enum ledger_account_result *actual,
                              const enum ledger_account_result *expected, size_t count,
                              const char *file, int line)
{
    char expression[48] = {0};
    for (size_t index = 0; index < count; index++) {
        (void)snprintf(expression, sizeof(expression), "results[%zu]", index);
        lf_check_account_result(actual[index], expected[index], expression, file, line);
    }
}

void lf_check_add_account(struct lf *f, tpw_u128 id, uint32_t asset, uint16_t flags,
                          tpw_u128 overdraft_limit, const char *file, int line)
{
    struct ledger_account account = lf_account(id, asset, flags);
    account.overdraft_limit = overdraft_limit;
    lf_check_account_result(lf_create_account(f, &account), LEDGER_ACCOUNT_OK, "create account",
                            file, line);
}

void lf_check_submit(struct lf *f, struct ledger_transfer transfer,
                     enum ledger_transfer_result expected, const char *expression, const char *file,
                     int line)
{
    lf_check_transfer_result(lf_submit(f, &transfer), expected, expression, file, line);
}

void lf_check_move(struct lf *f, tpw_u128 id, tpw_u128 debit_account_id, tpw_u128 credit_account_id,
                   uint32_t asset, tpw_u128 amount, const char *file, int line)
{
    struct ledger_transfer transfer =
        lf_transfer(id, debit_account_id, credit_account_id, asset, amount);
    lf_check_transfer_result(lf_submit(f, &transfer), LEDGER_TRANSFER_OK, "move", file, line);
}

void lf_check_balances(const struct lf *f, tpw_u128 id, tpw_u128 debits_pending,
                       tpw_u128 debits_posted, tpw_u128 credits_pending, tpw_u128 credits_posted,
                       const char *file, int line)
{
    struct ledger_account account = {0};
    tpw_test_err_equal((int)ledger_account_get(f->ledger, id, &account), (int)TPW_OK,
                       "ledger_account_get", file, line);
    tpw_test_u128_equal(account.debits_pending, debits_pending, "debits_pending", file, line);
    tpw_test_u128_equal(account.debits_posted, debits_posted, "debits_posted", file, line);
    tpw_test_u128_equal(account.credits_pending, credits_pending, "credits_pending", file, line);
    tpw_test_u128_equal(account.credits_posted, credits_posted, "credits_posted", file, line);
}

struct ledger_account lf_get_account(const struct lf *f, tpw_u128 id)
{
    struct ledger_account account = {0};
    assert_err(ledger_account_get(f->ledger, id, &account), TPW_OK);
    return account;
}

struct ledger_transfer lf_get_transfer(const struct lf *f, tpw_u128 id)
{
    struct ledger_transfer transfer = {0};
    enum ledger_pending_state state = LEDGER_PENDING_NONE;
    assert_err(ledger_transfer_get(f->ledger, id, &transfer, &state), TPW_OK);
    return transfer;
}

enum ledger_pending_state lf_pending_state(const struct lf *f, tpw_u128 id)
{
    struct ledger_transfer transfer = {0};
    enum ledger_pending_state state = LEDGER_PENDING_NONE;
    assert_err(ledger_transfer_get(f->ledger, id, &transfer, &state), TPW_OK);
    return state;
}

bool lf_account_exists(const struct lf *f, tpw_u128 id)
{
    struct ledger_account account = {0};
    enum tpw_err err = ledger_account_get(f->ledger, id, &account);
    if (err != TPW_OK) {
        assert_err(err, TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND);
    }
    return err == TPW_OK;
}

bool lf_transfer_exists(const struct lf *f, tpw_u128 id)
{
    struct ledger_transfer transfer = {0};
    enum ledger_pending_state state = LEDGER_PENDING_NONE;
    enum tpw_err err = ledger_transfer_get(f->ledger, id, &transfer, &state);
    if (err != TPW_OK) {
        assert_err(err, TPW_ERR_LEDGER_TRANSFER_NOT_FOUND);
    }
    return err == TPW_OK;
}

struct ledger_stats lf_stats(const struct lf *f)
{
    struct ledger_stats stats = {0};
    ledger_stats_get(f->ledger, &stats);
    return stats;
}

size_t lf_snapshot(const struct lf *f, struct ledger_account *out, size_t capacity)
{
    return ledger_account_list(f->ledger, 0, out, capacity);
}

void lf_check_snapshot_equal(const struct ledger_account *before,
                             const struct ledger_account *after, size_t count, const char *file,
                             int line)
{
    for (size_t index = 0; index < count; index++) {
        const struct ledger_account *b = &before[index];
        const struct ledger_account *a = &after[index];
        tpw_test_u128_equal(a->id, b->id, "id", file, line);
        tpw_test_u128_equal(a->debits_pending, b->debits_pending, "debits_pending", file, line);
        tpw_test_u128_equal(a->debits_posted, b->debits_posted, "debits_posted", file, line);
        tpw_test_u128_equal(a->credits_pending, b->credits_pending, "credits_pending", file, line);
        tpw_test_u128_equal(a->credits_posted, b->credits_posted, "credits_posted", file, line);
        if (a->flags != b->flags) {
            print_error("flags are %#x, expected %#x\n", (unsigned)a->flags, (unsigned)b->flags);
            _fail(file, line);
        }
    }
}

/* Per-asset sums of the four balances, over every account (listed a page at a time).
 * Sums wrap modulo 2^128 on both sides alike, so equality still shows the invariant. */
#define LF_ASSETS_MAX 64
#define LF_PAGE_ACCOUNTS 256

void lf_check_double_entry(const struct lf *f, const char *file, int line)
{
    static tpw_u128 sums[LF_ASSETS_MAX + 1][4];
    static struct ledger_account page[LF_PAGE_ACCOUNTS];
    memset(sums, 0, sizeof(sums));
    size_t assets = ledger_asset_count(f->ledger);
    assert_true(assets <= LF_ASSETS_MAX);
    uint64_t after_timestamp = 0;
    size_t count = 0;
    do {
        count = ledger_account_list(f->ledger, after_timestamp, page, LF_PAGE_ACCOUNTS);
        for (size_t index = 0; index < count; index++) {
            const struct ledger_account *account = &page[index];
            assert_true(account->asset >= 1 && account->asset <= assets);
            sums[account->asset][0] += account->debits_pending;
            sums[account->asset][1] += account->debits_posted;
            sums[account->asset][2] += account->credits_pending;
            sums[account->asset][3] += account->credits_posted;
            after_timestamp = account->timestamp;
        }
    } while (count == LF_PAGE_ACCOUNTS);
    for (size_t asset = 1; asset <= assets; asset++) {
        tpw_test_u128_equal(sums[asset][0], sums[asset][2], "pending debits vs credits", file,
                            line);
        tpw_test_u128_equal(sums[asset][1], sums[asset][3], "posted debits vs credits", file, line);
    }
}
