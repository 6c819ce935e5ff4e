/*
 * Checkpoints from the outside: the LMDB index (DATA/index) can be deleted and is
 * rebuilt from the journal; an index that belongs to another ledger, or that is ahead
 * of the journal, stops the open with checkpoint_mismatch instead of being trusted;
 * unresolved pending transfers survive checkpoints and reopening (posted, voided and
 * expired afterwards); a read-only open rebuilds from the journal when asked to; a
 * checkpoint that cannot be written stops the writer without losing anything; a
 * checkpoint whose contents contradict themselves stops the open with store_corrupt.
 *
 * The fixture checkpoints every few changes, so every step here crosses checkpoints.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_fixture.h"
#include "store.h"

#include "banned.h"

#define PATH_BYTES 256

static void path_join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_BYTES, "%s/%s", dir, name);
    assert_true(n > 0 && n < PATH_BYTES);
}

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    assert_true(in >= 0);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    assert_true(out >= 0);
    char buffer[65536];
    for (;;) {
        ssize_t got = read(in, buffer, sizeof buffer);
        assert_true(got >= 0);
        if (got == 0) {
            break;
        }
        assert_int_equal(write(out, buffer, (size_t)got), got);
    }
    assert_int_equal(close(in), 0);
    assert_int_equal(close(out), 0);
}

/* Applies `each` to every regular file of a flat directory. */
static void each_file(const char *dir,
                      void (*each)(const char *path, const char *name, const void *),
                      const void *ctx)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    const struct dirent *entry = NULL;
    while ((entry = readdir(d)) != NULL) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        char path[PATH_BYTES];
        path_join(path, dir, entry->d_name);
        each(path, entry->d_name, ctx);
    }
    assert_int_equal(closedir(d), 0);
}

static void copy_into(const char *path, const char *name, const void *ctx)
{
    char to[PATH_BYTES];
    path_join(to, ctx, name);
    copy_file(path, to);
}

static void unlink_one(const char *path, const char *name, const void *ctx)
{
    (void)name;
    (void)ctx;
    assert_int_equal(unlink(path), 0);
}

/* Replaces the flat directory `to` with a copy of `from`. */
static void copy_dir(const char *from, const char *to)
{
    struct stat st;
    if (stat(to, &st) == 0) {
        each_file(to, unlink_one, NULL);
    } else {
        assert_int_equal(mkdir(to, 0750), 0);
    }
    each_file(from, copy_into, to);
}

static void remove_dir(const char *dir)
{
    assert_true(tpw_test_tree_remove(dir));
}

static void sub_dir(char *out, const struct lf *f, const char *name)
{
    path_join(out, f->dir, name);
}

static void state_hash(const struct lf *f, uint8_t out[LEDGER_STATE_HASH_BYTES])
{
    assert_int_equal(ledger_state_hash(f->ledger, out), TPW_OK);
}

/* Accounts 1 (funding) and 2..5 in USD, some transfers, a pending one left open. */
static void some_history(struct lf *f, tpw_u128 first_id)
{
    if (!lf_account_exists(f, 1)) {
        lf_add_account(f, 1, LF_USD, 0);
        for (tpw_u128 id = 2; id <= 5; id++) {
            lf_add_account(f, id, LF_USD, LF_A_DMNEC);
        }
    }
    for (tpw_u128 i = 0; i < 20; i++) {
        lf_move(f, first_id + i, 1, 2 + i % 4, LF_USD, 100 + i);
    }
    lf_expect(f, lf_pending(first_id + 20, 2, 3, LF_USD, 50, 0), LEDGER_TRANSFER_OK);
}

static enum tpw_err reopen_err(struct lf *f, struct tpw_error_detail *detail)
{
    struct ledger_options options = {.data_dir = f->dir, .clock = tpw_clock_manual(&f->now_ns)};
    tpw_error_detail_reset(detail);
    return ledger_open(&options, &f->ledger, detail);
}

static void a_deleted_index_is_rebuilt_from_the_journal(void **state)
{
    struct lf *f = *state;
    some_history(f, 100);
    uint8_t before[LEDGER_STATE_HASH_BYTES];
    uint8_t after[LEDGER_STATE_HASH_BYTES];
    state_hash(f, before);
    ledger_close(f->ledger);
    f->ledger = NULL;
    char index[PATH_BYTES];
    sub_dir(index, f, "index");
    remove_dir(index);
    lf_reopen(f);
    state_hash(f, after);
    assert_memory_equal(before, after, sizeof before);
    assert_true(lf_pending_state(f, 120) == LEDGER_PENDING_PENDING);
    lf_expect(f, lf_post(121, 120, 0), LEDGER_TRANSFER_OK);
    lf_assert_balances(f, 3, 0, 0, 0, 50 + 101 + 105 + 109 + 113 + 117);
}

static void an_index_of_another_ledger_is_refused(void **state)
{
    struct lf *f = *state;
    struct lf *g = lf_create();
    assert_non_null(g);
    some_history(f, 100);
    some_history(g, 200);
    ledger_close(f->ledger);
    f->ledger = NULL;
    ledger_close(g->ledger);
    g->ledger = NULL;
    char from[PATH_BYTES];
    char to[PATH_BYTES];
    sub_dir(from, g, "index");
    sub_dir(to, f, "index");
    copy_dir(from, to);
    struct tpw_error_detail detail;
    assert_err(reopen_err(f, &detail), TPW_ERR_CHECKPOINT_MISMATCH);
    assert_null(f->ledger);
    assert_non_null(strstr(detail.message, "does not match the journal"));
    lf_destroy(g);
}

static void an_index_ahead_of_the_journal_is_refused(void **state)
{
    struct lf *f = *state;
    some_history(f, 100);
    ledger_close(f->ledger);
    f->ledger = NULL;
    char journal[PATH_BYTES];
    char saved[PATH_BYTES];
    sub_dir(journal, f, "journal");
    path_join(saved, f->root, "journal-saved");
    copy_dir(journal, saved);
    lf_reopen(f);
    some_history(f, 300);
    ledger_close(f->ledger); /* the index now covers more than the saved journal */
    f->ledger = NULL;
    copy_dir(saved, journal);
    struct tpw_error_detail detail;
    assert_err(reopen_err(f, &detail), TPW_ERR_CHECKPOINT_MISMATCH);
    assert_non_null(strstr(detail.message, "before the checkpoint"));
    remove_dir(saved);
}

static void ignoring_the_checkpoint_is_for_read_only_opens(void **state)
{
    struct lf *f = *state;
    struct ledger_options options = {
        .data_dir = f->dir, .clock = tpw_clock_manual(&f->now_ns), .ignore_checkpoint = true};
    ledger_close(f->ledger);
    f->ledger = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(ledger_open(&options, &f->ledger, &detail), TPW_ERR_INVALID_ARGUMENT);
    assert_null(f->ledger);
}

/* Read-only, from the whole journal, from the checkpoint, and with no index at all:
 * one state. */
static void read_only_recoveries_agree(void **state)
{
    struct lf *f = *state;
    some_history(f, 100);
    uint8_t writer[LEDGER_STATE_HASH_BYTES];
    state_hash(f, writer);
    ledger_close(f->ledger);
    f->ledger = NULL;
    char index[PATH_BYTES];
    sub_dir(index, f, "index");
    for (int round = 0; round < 3; round++) {
        if (round == 2) {
            remove_dir(index);
        }
        struct ledger_options options = {.data_dir = f->dir,
                                         .clock = tpw_clock_manual(&f->now_ns),
                                         .read_only = true,
                                         .ignore_checkpoint = round == 0};
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        assert_int_equal(ledger_open(&options, &f->ledger, &detail), TPW_OK);
        uint8_t got[LEDGER_STATE_HASH_BYTES];
        state_hash(f, got);
        assert_memory_equal(writer, got, sizeof got);
        ledger_close(f->ledger);
        f->ledger = NULL;
    }
    struct stat st;
    assert_int_not_equal(stat(index, &st), 0); /* a read-only open creates nothing */
}

static void pending_transfers_outlive_checkpoints_and_expire_after_reopen(void **state)
{
    struct lf *f = *state;
    lf_add_account(f, 1, LF_USD, 0);
    lf_add_account(f, 2, LF_USD, 0);
    lf_expect(f, lf_pending(10, 1, 2, LF_USD, 7, 60), LEDGER_TRANSFER_OK);
    lf_expect(f, lf_pending(11, 1, 2, LF_USD, 5, 0), LEDGER_TRANSFER_OK);
    for (tpw_u128 id = 100; id < 130; id++) {
        lf_move(f, id, 1, 2, LF_USD, 1);
    }
    lf_reopen(f);
    lf_assert_balances(f, 1, 12, 30, 0, 0);
    f->now_ns += 61 * LF_NS_PER_S;
    lf_move(f, 200, 1, 2, LF_USD, 1); /* the batch that sweeps the expired hold */
    assert_true(lf_pending_state(f, 10) == LEDGER_PENDING_EXPIRED);
    lf_expect(f, lf_post(12, 10, 0), LEDGER_TRANSFER_PENDING_TRANSFER_EXPIRED);
    lf_expect(f, lf_void(13, 11, 0), LEDGER_TRANSFER_OK);
    lf_reopen(f);
    lf_assert_balances(f, 1, 0, 31, 0, 0);
    assert_true(lf_pending_state(f, 11) == LEDGER_PENDING_VOIDED);
    lf_expect(f, lf_void(13, 11, 0), LEDGER_TRANSFER_EXISTS);
    lf_expect(f, lf_post(14, 11, 0), LEDGER_TRANSFER_PENDING_TRANSFER_ALREADY_VOIDED);
    struct ledger_stats stats = lf_stats(f);
    assert_int_equal(stats.pending, 0);
    assert_int_equal(stats.transfers, 2 + 30 + 1 + 1);
}

/* Closes the ledger and writes `damage` over its last checkpoint, keeping the meta's
 * sequence and chain hash (so the journal still matches it) except where `meta` is
 * changed by the caller first. */
static void rewrite_checkpoint(struct lf *f, struct store_checkpoint *damage,
                               void (*edit_meta)(struct store_meta *meta))
{
    ledger_close(f->ledger);
    f->ledger = NULL;
    char index[PATH_BYTES];
    sub_dir(index, f, "index");
    struct tpw_error_detail detail;
    struct store *store = NULL;
    assert_err(store_open(index, false, &store, &detail), TPW_OK);
    assert_err(store_meta_get(store, &damage->meta, &detail), TPW_OK);
    if (edit_meta != NULL) {
        edit_meta(&damage->meta);
    }
    assert_err(store_write(store, damage, &detail), TPW_OK);
    store_close(store);
}

static void one_more_pending(struct store_meta *meta)
{
    meta->pending++;
}

static void a_checkpoint_miscounting_pending_transfers_is_refused(void **state)
{
    struct lf *f = *state;
    some_history(f, 100); /* leaves one pending transfer open */
    struct store_checkpoint damage = {0};
    rewrite_checkpoint(f, &damage, one_more_pending);
    struct tpw_error_detail detail;
    assert_err(reopen_err(f, &detail), TPW_ERR_STORE_CORRUPT);
    assert_null(f->ledger);
    assert_non_null(strstr(detail.message, "lists 2 pending transfers but holds 1"));
}

static void a_checkpoint_holding_an_account_twice_is_refused(void **state)
{
    struct lf *f = *state;
    some_history(f, 100);
    /* Account 3 again under a later timestamp: a second record, the same id. */
    struct ledger_account twin = {.id = 3, .asset = 1, .timestamp = f->now_ns + 1000};
    struct store_checkpoint damage = {.accounts = &twin, .account_count = 1};
    rewrite_checkpoint(f, &damage, NULL);
    struct tpw_error_detail detail;
    assert_err(reopen_err(f, &detail), TPW_ERR_STORE_CORRUPT);
    assert_null(f->ledger);
    assert_non_null(strstr(detail.message, "loading the checkpoint at sequence"));
}

/* A read-only handle opened and closed beside the writer, in the same process, must
 * not disturb the writer's checkpoints: the last one, at close, covers everything. */
static void a_read_only_handle_beside_the_writer_leaves_checkpoints_working(void **state)
{
    struct lf *f = *state;
    some_history(f, 100);
    for (int round = 0; round < 3; round++) {
        struct ledger_options options = {
            .data_dir = f->dir, .clock = tpw_clock_manual(&f->now_ns), .read_only = true};
        struct ledger *reader = NULL;
        struct tpw_error_detail detail;
        assert_err(ledger_open(&options, &reader, &detail), TPW_OK);
        ledger_close(reader);
        some_history(f, 1000 + 100 * (tpw_u128)round); /* checkpoints every few changes */
    }
    uint64_t sequence = lf_stats(f).journal_sequence;
    ledger_close(f->ledger);
    f->ledger = NULL;
    char index[PATH_BYTES];
    sub_dir(index, f, "index");
    struct store *store = NULL;
    struct store_meta meta;
    struct tpw_error_detail detail;
    assert_err(store_open(index, true, &store, &detail), TPW_OK);
    assert_err(store_meta_get(store, &meta, &detail), TPW_OK);
    store_close(store);
    assert_int_equal(meta.sequence, sequence);
    lf_reopen(f);
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* The index grows about three times faster than the journal, so a file-size limit a
 * little above the index's size makes a checkpoint's write fail (EFBIG) long before a
 * journal append would. */
static void a_failed_checkpoint_stops_the_writer(void **state)
{
    struct lf *f = *state;
    some_history(f, 100);
    char data_file[PATH_BYTES];
    sub_dir(data_file, f, "index/data.mdb");
    (void)signal(SIGXFSZ, SIG_IGN); /* report EFBIG instead of killing the process */
    struct rlimit limit = {.rlim_cur = (rlim_t)file_size(data_file) + (256u << 10),
                           .rlim_max = RLIM_INFINITY};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
    enum { BATCH = 200, BATCHES = 15 };
    struct ledger_transfer batch[BATCH];
    enum ledger_transfer_result results[BATCH];
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    uint8_t acknowledged[LEDGER_STATE_HASH_BYTES];
    state_hash(f, acknowledged);
    enum tpw_err err = TPW_OK;
    for (unsigned b = 0; b < BATCHES && err == TPW_OK; b++) {
        for (unsigned i = 0; i < BATCH; i++) {
            batch[i] = lf_transfer(1000 + b * BATCH + i, 1, 2 + i % 4, LF_USD, 1);
        }
        err = ledger_create_transfers(f->ledger, batch, BATCH, results, &detail);
        if (err == TPW_OK) {
            state_hash(f, acknowledged);
        }
    }
    struct rlimit unlimited = {.rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &unlimited), 0);
    assert_err(err, TPW_ERR_STORE);
    assert_err(ledger_create_transfers(f->ledger, batch, 1, results, &detail),
               TPW_ERR_LEDGER_FAILED);

    /* The journal holds every acknowledged batch: the last good checkpoint plus the
     * journal after it recover them all, and writing works again. */
    lf_reopen(f);
    uint8_t recovered[LEDGER_STATE_HASH_BYTES];
    state_hash(f, recovered);
    assert_memory_equal(acknowledged, recovered, sizeof recovered);
    lf_move(f, 9999, 1, 2, LF_USD, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_deleted_index_is_rebuilt_from_the_journal, lf_setup,
                                        lf_teardown),
        cmocka_unit_test_setup_teardown(an_index_of_another_ledger_is_refused, lf_setup,
                                        lf_teardown),
        cmocka_unit_test_setup_teardown(an_index_ahead_of_the_journal_is_refused, lf_setup,
                                        lf_teardown),
        cmocka_unit_test_setup_teardown(ignoring_the_checkpoint_is_for_read_only_opens, lf_setup,
                                        lf_teardown),
        cmocka_unit_test_setup_teardown(read_only_recoveries_agree, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(
            pending_transfers_outlive_checkpoints_and_expire_after_reopen, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(a_checkpoint_miscounting_pending_transfers_is_refused,
                                        lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(a_checkpoint_holding_an_account_twice_is_refused, lf_setup,
                                        lf_teardown),
        cmocka_unit_test_setup_teardown(
            a_read_only_handle_beside_the_writer_leaves_checkpoints_working, lf_setup, lf_teardown),
        cmocka_unit_test_setup_teardown(a_failed_checkpoint_stops_the_writer, lf_setup,
                                        lf_teardown),
    };
    return cmocka_run_group_tests_name("ledger checkpoints", tests, NULL, NULL);
}
