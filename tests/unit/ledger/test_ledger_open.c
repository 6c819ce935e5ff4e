/*
 * The ledger facade's own error paths: a data directory that already holds a ledger
 * or holds none, a second writer, a read-only handle, and a real storage failure
 * (the file-size limit makes the journal's write fail) that must leave memory as the
 * disk was, refuse later commands, and recover on reopen.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

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

    /* Nothing of the failed batch is visible, and the handle refuses further writes. */
    uint8_t after[LEDGER_STATE_HASH_BYTES];
    assert_int_equal(ledger_state_hash(f->ledger, after), TPW_OK);
    assert_memory_equal(before, after, sizeof before);
    assert_false(lf_transfer_exists(f, 20));
    assert_err(ledger_create_transfers(f->ledger, batch, 1, results, &detail),
               TPW_ERR_LEDGER_FAILED);

    /* Reopening recovers exactly the acknowledged state, and writing works again. */
    lf_reopen(f);
    assert_int_equal(ledger_state_hash(f->ledger, after), TPW_OK);
    assert_memory_equal(before, after, sizeof before);
    lf_move(f, 20, 1, 2, LF_USD, 100);
    lf_assert_balances(f, 2, 0, 0, 0, 600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(init_refuses_an_existing_ledger, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(open_without_a_ledger, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(second_writer_is_locked_out, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(read_only_reads_and_refuses_writes, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(storage_failure_stops_the_writer, lf_setup, lf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
