/*
 * The ledger facade's own error paths: a data directory that already holds a ledger
 * or holds none, a second writer, a read-only handle, and storage failures — a real
 * failed write (the file-size limit makes the journal's pwritev fail) and a failed
 * fdatasync (this suite replaces fdatasync, see below). A batch is applied while its
 * record is written, so after either failure memory may hold a batch the disk does
 * not: the handle must refuse later commands and queries, and a reopen must recover
 * exactly the acknowledged batches.
 */
#define _DEFAULT_SOURCE /* syscall */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ledger_fixture.h"

#include "banned.h"

static struct ledger_options options_for(struct lf *f, bool read_only)
{
    struct ledger_options options = {
        .data_dir = f->dir, .clock = tpw_clock_manual(&f->now_ns), .read_only = read_only};
    return options;
}

static void init_refuses_an_existing_ledger(void **state)
{
    struct lf *f = *state;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(ledger_init(f->dir, &detail), TPW_ERR_LEDGER_EXISTS);
    assert_non_null(strstr(detail.message, "already holds a ledger"));
}

static void open_without_a_ledger(void **state)
{
    struct lf *f = *state;
    char empty[64];
    (void)snprintf(empty, sizeof empty, "%s/none", f->root);
    struct ledger_options options = options_for(f, false);
    options.data_dir = empty;
    struct ledger *ledger = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(ledger_open(&options, &ledger, &detail), TPW_ERR_LEDGER_NOT_FOUND);
    assert_null(ledger);
}

static void second_writer_is_locked_out(void **state)
{
    struct lf *f = *state;
    struct ledger_options options = options_for(f, false);
    struct ledger *second = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(ledger_open(&options, &second, &detail), TPW_ERR_LEDGER_LOCKED);
    assert_null(second);
}

static void read_only_reads_and_refuses_writes(void **state)
{
    struct lf *f = *state;
    lf_add_account(f, 1, LF_USD, 0);
    struct ledger_options options = options_for(f, true);
    struct ledger *reader = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(ledger_open(&options, &reader, &detail), TPW_OK); /* no lock needed */
    struct ledger_account account;
    assert_err(ledger_account_get(reader, 1, &account), TPW_OK);
    struct ledger_account more = lf_account(2, LF_USD, 0);
    enum ledger_account_result result = LEDGER_ACCOUNT_OK;
    assert_err(ledger_create_accounts(reader, &more, 1, &result, &detail),
               TPW_ERR_LEDGER_READ_ONLY);
    uint32_t number = 0;
    assert_err(ledger_asset_define(reader, "JPY", 0, &number, &detail), TPW_ERR_LEDGER_READ_ONLY);
    ledger_close(reader);
}

/* The next fdatasync of a journal segment fails with EIO when set. The public API has
 * no hook for storage faults, so this executable defines fdatasync itself: its
 * definition wins over the C library's at link time, for the journal (which calls it
 * from its worker thread, hence the atomic) as for LMDB, and every other call goes
 * straight to the kernel. */
static atomic_bool fail_next_journal_sync;

static bool is_journal_segment(int fd)
{
    char link[64];
    char target[PATH_MAX];
    (void)snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, target, sizeof target - 1);
    if (length < 4) {
        return false;
    }
    target[length] = '\0';
    return strcmp(target + length - 4, ".tpj") == 0;
}

int fdatasync(int fd)
{
    if (is_journal_segment(fd) && atomic_exchange(&fail_next_journal_sync, false)) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fdatasync, fd);
}

/* Every query that can refuse does, and so does every command: nothing of a batch
 * that failed to become durable may be observed through a stopped handle. */
static void assert_handle_stopped(struct lf *f)
{
    struct ledger *ledger = f->ledger;
    uint8_t hash[LEDGER_STATE_HASH_BYTES];
    assert_err(ledger_state_hash(ledger, hash), TPW_ERR_LEDGER_FAILED);
    struct ledger_account account;
    assert_err(ledger_account_get(ledger, 1, &account), TPW_ERR_LEDGER_FAILED);
    struct ledger_transfer transfer;
    enum ledger_pending_state pending = LEDGER_PENDING_NONE;
    assert_err(ledger_transfer_get(ledger, 10, &transfer, &pending), TPW_ERR_LEDGER_FAILED);
    assert_err(ledger_transfer_get(ledger, 20, &transfer, &pending), TPW_ERR_LEDGER_FAILED);
    struct ledger_balance balance;
    assert_err(ledger_balance_as_of(ledger, 2, UINT64_MAX, &balance), TPW_ERR_LEDGER_FAILED);
    struct ledger_history_query query = {.account_id = 2};
    struct ledger_transfer page[4];
    size_t count = 1;
    bool has_more = true;
    assert_err(ledger_account_transfers(ledger, &query, page, 4, &count, &has_more),
               TPW_ERR_LEDGER_FAILED);
    assert_int_equal(count, 0);
    assert_false(has_more);
    struct ledger_asset asset;
    assert_err(ledger_asset_get(ledger, LF_USD, &asset), TPW_ERR_LEDGER_FAILED);
    assert_err(ledger_asset_find(ledger, "USD", &asset), TPW_ERR_LEDGER_FAILED);

    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct ledger_transfer more = lf_transfer(30, 1, 2, LF_USD, 1);
    enum ledger_transfer_result result = LEDGER_TRANSFER_OK;
    assert_err(ledger_create_transfers(ledger, &more, 1, &result, &detail), TPW_ERR_LEDGER_FAILED);
    struct ledger_account new_account = lf_account(3, LF_USD, 0);
    enum ledger_account_result account_result = LEDGER_ACCOUNT_OK;
    assert_err(ledger_create_accounts(ledger, &new_account, 1, &account_result, &detail),
               TPW_ERR_LEDGER_FAILED);
    uint32_t number = 0;
    assert_err(ledger_asset_define(ledger, "JPY", 0, &number, &detail), TPW_ERR_LEDGER_FAILED);
}

/* Lets the journal grow by at most `bytes` more: its next larger write fails (EFBIG). */
static void limit_file_size(struct lf *f, uint64_t bytes)
{
    struct rlimit limit = {.rlim_cur = lf_stats(f).journal_bytes + bytes,
                           .rlim_max = RLIM_INFINITY};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
}

static void storage_failure_stops_the_writer(void **state)
{
    struct lf *f = *state;
    lf_add_account(f, 1, LF_USD, 0);
    lf_add_account(f, 2, LF_USD, 0);
    lf_move(f, 10, 1, 2, LF_USD, 500);
    uint8_t before[LEDGER_STATE_HASH_BYTES];
    assert_int_equal(ledger_state_hash(f->ledger, before), TPW_OK);

    (void)signal(SIGXFSZ, SIG_IGN); /* report EFBIG instead of killing the process */
    limit_file_size(f, 64);
    struct ledger_transfer batch[4];
    for (unsigned i = 0; i < 4; i++) {
        batch[i] = lf_transfer(20 + i, 1, 2, LF_USD, 100);
    }
    enum ledger_transfer_result results[4];
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = ledger_create_transfers(f->ledger, batch, 4, results, &detail);
    struct rlimit unlimited = {.rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &unlimited), 0);
    assert_err(err, TPW_ERR_IO);
    assert_non_null(strstr(detail.message, "write failed"));

    /* The batch was applied while the write failed: the handle refuses everything. */
    assert_handle_stopped(f);

    /* Reopening recovers exactly the acknowledged state, and writing works again. */
    lf_reopen(f);
    uint8_t after[LEDGER_STATE_HASH_BYTES];
    assert_int_equal(ledger_state_hash(f->ledger, after), TPW_OK);
    assert_memory_equal(before, after, sizeof before);
    assert_false(lf_transfer_exists(f, 20));
    lf_move(f, 20, 1, 2, LF_USD, 100);
    lf_assert_balances(f, 2, 0, 0, 0, 600);
}

static void failed_fdatasync_stops_the_writer(void **state)
{
    struct lf *f = *state;
    lf_add_account(f, 1, LF_USD, 0);
    lf_add_account(f, 2, LF_USD, 0);
    lf_move(f, 10, 1, 2, LF_USD, 500);
    uint8_t acknowledged[LEDGER_STATE_HASH_BYTES];
    assert_int_equal(ledger_state_hash(f->ledger, acknowledged), TPW_OK);
    struct ledger_stats before = lf_stats(f);

    struct ledger_transfer batch[4];
    for (unsigned i = 0; i < 4; i++) {
        batch[i] = lf_transfer(20 + i, 1, 2, LF_USD, 100);
    }
    enum ledger_transfer_result results[4];
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    atomic_store(&fail_next_journal_sync, true);
    enum tpw_err err = ledger_create_transfers(f->ledger, batch, 4, results, &detail);
    assert_false(atomic_load(&fail_next_journal_sync)); /* the journal's sync did fail */
    assert_err(err, TPW_ERR_JOURNAL_SYNC);
    print_message("error: %s\n", detail.message);
    assert_non_null(strstr(detail.message, "fdatasync failed"));
    assert_handle_stopped(f);
    struct ledger_stats stopped = lf_stats(f);
    assert_int_equal(stopped.journal_sequence, before.journal_sequence);
    assert_int_equal(stopped.journal_bytes, before.journal_bytes);

    /* The journal was cut back to the acknowledged records: nothing of the batch
     * survives a reopen, everything acknowledged does, and writing works again. */
    lf_reopen(f);
    uint8_t recovered[LEDGER_STATE_HASH_BYTES];
    assert_int_equal(ledger_state_hash(f->ledger, recovered), TPW_OK);
    assert_memory_equal(acknowledged, recovered, sizeof recovered);
    assert_int_equal(lf_stats(f).journal_sequence, before.journal_sequence);
    assert_true(lf_transfer_exists(f, 10));
    for (unsigned i = 0; i < 4; i++) {
        assert_false(lf_transfer_exists(f, 20 + i));
    }
    lf_assert_balances(f, 2, 0, 0, 0, 500);
    lf_submit_batch(f, batch, 4, results);
    lf_assert_balances(f, 2, 0, 0, 0, 900);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(init_refuses_an_existing_ledger, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(open_without_a_ledger, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(second_writer_is_locked_out, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(read_only_reads_and_refuses_writes, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(storage_failure_stops_the_writer, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(failed_fdatasync_stops_the_writer, lf_setup, lf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
