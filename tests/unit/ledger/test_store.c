/*
 * The checkpoint store (src/ledger/store.h): opening and creating, checkpoints read back
 * through every call (meta, store_load, lookups, history walks, the transfer walk),
 * pending transfers resolved by a later checkpoint, ids below the append point,
 * reader snapshots and refresh, durability across close, damage reported as
 * TPW_ERR_STORE_CORRUPT (or an abort where the header promises one), and a seeded
 * randomized run checked against an in-test model.
 *
 * Every test works in its own mkdtemp directory under /tmp, removed afterwards. Damage
 * is made with raw LMDB writes while the store is closed (LMDB forbids opening one
 * environment twice in a process).
 */
#define _DEFAULT_SOURCE /* mkdtemp, DT_DIR */

#include "tpw_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "tpwallet/prng.h"

#include "store.h"

#define PATH_SIZE 256
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define T0 UINT64_C(1764063000000000000)
#define HIGH(id) TPW_U128(UINT64_C(0x0123456789abcdef), (id))

static uint64_t suite_seed;

/* ------------------------------------------------------------------------------------
 * Fixture: a temporary root with the store in root/index (created by store_open)
 * ------------------------------------------------------------------------------------ */

struct fixture {
    char root[PATH_SIZE];
    char dir[PATH_SIZE];
    struct store *store;
};

static void path_join(char *out, const char *a, const char *b)
{
    int length = snprintf(out, PATH_SIZE, "%s/%s", a, b);
    assert_true(length > 0 && length < PATH_SIZE);
}

static bool path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static struct store *open_store(const char *dir, bool read_only)
{
    struct store *store = NULL;
    struct tpw_error_detail detail = {0};
    enum tpw_err err = store_open(dir, read_only, &store, &detail);
    if (err != TPW_OK) {
        fail_msg("store_open(%s): %s: %s", dir, tpw_err_name(err), detail.message);
    }
    return store;
}

static void reopen(struct fixture *fixture, bool read_only)
{
    store_close(fixture->store);
    fixture->store = open_store(fixture->dir, read_only);
}

static int setup(void **state)
{
    struct fixture *fixture = calloc(1, sizeof(*fixture));
    assert_non_null(fixture);
    memcpy(fixture->root, "/tmp/tpw-store-XXXXXX", sizeof("/tmp/tpw-store-XXXXXX"));
    assert_non_null(mkdtemp(fixture->root));
    path_join(fixture->dir, fixture->root, "index");
    fixture->store = open_store(fixture->dir, false);
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fixture = *state;
    store_close(fixture->store);
    (void)tpw_test_tree_remove(fixture->root);
    free(fixture);
    return 0;
}

/* ------------------------------------------------------------------------------------
 * Records: every field derived from the id, so a read-back can be checked exactly
 * ------------------------------------------------------------------------------------ */

static struct ledger_transfer transfer_make(tpw_u128 id, uint64_t timestamp)
{
    uint64_t low = (uint64_t)id;
    return (struct ledger_transfer){
        .id = id,
        .debit_account_id = TPW_U128(7, low * 3 + 1),
        .credit_account_id = TPW_U128(7, low * 3 + 2),
        .amount = TPW_U128(low % 5, low * 1000 + 17),
        .pending_id = 0,
        .user_data = ~id,
        .timestamp = timestamp,
        .timeout_s = (uint32_t)(low % 7),
        .asset = 1 + (uint32_t)(low % 3),
        .code = (uint16_t)(1 + low % 1000),
        .flags = (uint16_t)(low % 2 == 0 ? LEDGER_TRANSFER_PENDING : 0),
    };
}

static struct ledger__transfer_meta meta_make(uint8_t state, uint64_t timestamp)
{
    return (struct ledger__transfer_meta){
        .expires_at = state == LEDGER_PENDING_NONE ? 0 : timestamp + 1000000000,
        .resolved_at = state > LEDGER_PENDING_PENDING ? timestamp + 5 : 0,
        .state = state,
    };
}

static struct ledger__failure failure_make(tpw_u128 id, uint64_t timestamp)
{
    return (struct ledger__failure){
        .id = id,
        .timestamp = timestamp,
        .result = (uint32_t)(LEDGER_TRANSFER_DEBIT_ACCOUNT_NOT_FOUND + (uint64_t)id % 20),
        .reserved = 0,
    };
}

static struct ledger_account account_make(tpw_u128 id, uint64_t timestamp)
{
    return (struct ledger_account){
        .id = id,
        .debits_pending = id * 2,
        .debits_posted = TPW_U128(1, (uint64_t)id),
        .credits_pending = 3,
        .credits_posted = TPW_U128_MAX - id,
        .overdraft_limit = 0,
        .owner = id + 99,
        .timestamp = timestamp,
        .asset = 2,
        .kind = LEDGER_KIND_USER,
        .flags = LEDGER_ACCOUNT_HISTORY,
    };
}

static struct ledger_asset asset_make(uint32_t number, const char *code, uint8_t exponent)
{
    struct ledger_asset asset = {.number = number, .exponent = exponent};
    size_t length = strlen(code);
    assert_true(length < sizeof asset.code);
    memcpy(asset.code, code, length);
    return asset;
}

static struct store_history_entry entry_make(tpw_u128 id, uint64_t timestamp)
{
    return (struct store_history_entry){
        .id_lo = (uint64_t)id,
        .id_hi = (uint64_t)(id >> 64),
        .timestamp = timestamp,
    };
}

static void write_checkpoint(struct store *store, const struct store_checkpoint *checkpoint)
{
    struct tpw_error_detail detail = {0};
    enum tpw_err err = store_write(store, checkpoint, &detail);
    if (err != TPW_OK) {
        fail_msg("store_write: %s: %s", tpw_err_name(err), detail.message);
    }
}

static void assert_meta_equal(const struct store_meta *actual, const struct store_meta *expected)
{
    assert_int_equal(actual->sequence, expected->sequence);
    assert_int_equal(actual->last_timestamp, expected->last_timestamp);
    assert_int_equal(actual->transfers, expected->transfers);
    assert_int_equal(actual->failures, expected->failures);
    assert_int_equal(actual->pending, expected->pending);
    assert_memory_equal(actual->chain_hash, expected->chain_hash, STORE_HASH_BYTES);
}

static void assert_transfer_found(struct store_reader *reader, const struct ledger_transfer *want,
                                  const struct ledger__transfer_meta *want_meta)
{
    struct ledger_transfer transfer;
    struct ledger__transfer_meta meta;
    struct ledger__failure failure;
    assert_int_equal(store_transfer_get(reader, want->id, &transfer, &meta, &failure),
                     STORE_FOUND_TRANSFER);
    assert_memory_equal(&transfer, want, sizeof transfer);
    assert_int_equal(meta.expires_at, want_meta->expires_at);
    assert_int_equal(meta.resolved_at, want_meta->resolved_at);
    assert_int_equal(meta.state, want_meta->state);
}

static void assert_failure_found(struct store_reader *reader, const struct ledger__failure *want)
{
    struct ledger_transfer transfer;
    struct ledger__transfer_meta meta;
    struct ledger__failure failure;
    assert_int_equal(store_transfer_get(reader, want->id, &transfer, &meta, &failure),
                     STORE_FOUND_FAILURE);
    assert_u128_equal(failure.id, want->id);
    assert_int_equal(failure.timestamp, want->timestamp);
    assert_int_equal(failure.result, want->result);
    assert_int_equal(failure.reserved, 0);
}

static void assert_absent(struct store_reader *reader, tpw_u128 id)
{
    struct ledger_transfer transfer;
    struct ledger__transfer_meta meta;
    struct ledger__failure failure;
    assert_int_equal(store_transfer_get(reader, id, &transfer, &meta, &failure), STORE_FOUND_NONE);
}

static struct store_reader *reader_begin(struct store *store)
{
    struct store_reader *reader = NULL;
    struct tpw_error_detail detail = {0};
    assert_err(store_reader_begin(store, &reader, &detail), TPW_OK);
    assert_non_null(reader);
    return reader;
}

/* ------------------------------------------------------------------------------------
 * Collectors for store_load, walks and store_each_transfer
 * ------------------------------------------------------------------------------------ */

#define LOADED_MAX 64

struct loaded {
    struct ledger_asset assets[LOADED_MAX];
    size_t asset_count;
    struct ledger_account accounts[LOADED_MAX];
    size_t account_count;
    struct ledger_transfer pending[LOADED_MAX];
    struct ledger__transfer_meta pending_metas[LOADED_MAX];
    size_t pending_count;
    size_t stop_after_assets; /* 0 = never stop */
};

static enum tpw_err on_asset(void *ctx, const struct ledger_asset *asset)
{
    struct loaded *loaded = ctx;
    assert_true(loaded->asset_count < LOADED_MAX);
    loaded->assets[loaded->asset_count++] = *asset;
    if (loaded->stop_after_assets != 0 && loaded->asset_count == loaded->stop_after_assets) {
        return TPW_ERR_INTERNAL;
    }
    return TPW_OK;
}

static enum tpw_err on_account(void *ctx, const struct ledger_account *account)
{
    struct loaded *loaded = ctx;
    assert_true(loaded->account_count < LOADED_MAX);
    loaded->accounts[loaded->account_count++] = *account;
    return TPW_OK;
}

static enum tpw_err on_pending(void *ctx, const struct ledger_transfer *transfer,
                               const struct ledger__transfer_meta *meta)
{
    struct loaded *loaded = ctx;
    assert_true(loaded->pending_count < LOADED_MAX);
    loaded->pending_metas[loaded->pending_count] = *meta;
    loaded->pending[loaded->pending_count++] = *transfer;
    return TPW_OK;
}

static void load_all(struct store *store, struct loaded *loaded)
{
    memset(loaded, 0, sizeof *loaded);
    struct tpw_error_detail detail = {0};
    enum tpw_err err = store_load(store, on_asset, on_account, on_pending, loaded, &detail);
    if (err != TPW_OK) {
        fail_msg("store_load: %s: %s", tpw_err_name(err), detail.message);
    }
}

struct walked {
    struct store_history_entry *entries;
    size_t count;
    size_t capacity;
    size_t limit; /* stop after this many; SIZE_MAX = never */
};

static bool on_entry(void *ctx, const struct store_history_entry *entry)
{
    struct walked *walked = ctx;
    if (walked->count == walked->capacity) {
        walked->capacity = walked->capacity == 0 ? 64 : walked->capacity * 2;
        walked->entries = realloc(walked->entries, walked->capacity * sizeof *entry);
        assert_non_null(walked->entries);
    }
    walked->entries[walked->count++] = *entry;
    return walked->count < walked->limit;
}

static void walk(struct store_reader *reader, tpw_u128 account, uint64_t after, uint64_t before,
                 bool descending, size_t limit, struct walked *walked)
{
    walked->count = 0;
    walked->limit = limit;
    struct tpw_error_detail detail = {0};
    enum tpw_err err =
        store_history_walk(reader, account, after, before, descending, on_entry, walked, &detail);
    if (err != TPW_OK) {
        fail_msg("store_history_walk: %s: %s", tpw_err_name(err), detail.message);
    }
}

/* Checks a walk against `model` (the account's entries, ascending). */
static void check_walk(struct store_reader *reader, tpw_u128 account,
                       const struct store_history_entry *model, size_t model_count, uint64_t after,
                       uint64_t before, bool descending, size_t limit, struct walked *walked)
{
    walk(reader, account, after, before, descending, limit, walked);
    size_t matched = 0;
    for (size_t step = 0; step < model_count && matched < limit; step++) {
        const struct store_history_entry *want = &model[descending ? model_count - 1 - step : step];
        if (want->timestamp <= after || (before != 0 && want->timestamp >= before)) {
            continue;
        }
        if (matched >= walked->count) {
            fail_msg("walk after %llu before %llu %s: %zu entries, expected more",
                     (unsigned long long)after, (unsigned long long)before,
                     descending ? "down" : "up", walked->count);
        }
        assert_memory_equal(&walked->entries[matched], want, sizeof *want);
        matched++;
    }
    if (walked->count != matched) {
        fail_msg("walk after %llu before %llu %s: %zu entries, expected %zu",
                 (unsigned long long)after, (unsigned long long)before, descending ? "down" : "up",
                 walked->count, matched);
    }
}

struct each_item {
    tpw_u128 id;
    bool is_transfer;
    struct ledger_transfer transfer;
    struct ledger__transfer_meta meta;
    struct ledger__failure failure;
};

struct each_list {
    struct each_item *items;
    size_t count;
    size_t capacity;
    size_t limit;
};

static bool on_each(void *ctx, tpw_u128 id, const struct ledger_transfer *transfer,
                    const struct ledger__transfer_meta *meta, const struct ledger__failure *failure)
{
    struct each_list *list = ctx;
    assert_true((transfer == NULL) != (failure == NULL));
    assert_true((transfer == NULL) == (meta == NULL));
    if (list->count == list->capacity) {
        list->capacity = list->capacity == 0 ? 64 : list->capacity * 2;
        list->items = realloc(list->items, list->capacity * sizeof *list->items);
        assert_non_null(list->items);
    }
    struct each_item *item = &list->items[list->count++];
    *item = (struct each_item){.id = id, .is_transfer = transfer != NULL};
    if (transfer != NULL) {
        item->transfer = *transfer;
        item->meta = *meta;
    } else {
        item->failure = *failure;
    }
    return list->count < list->limit;
}

static void each_all(struct store_reader *reader, struct each_list *list, size_t limit)
{
    list->count = 0;
    list->limit = limit;
    struct tpw_error_detail detail = {0};
    enum tpw_err err = store_each_transfer(reader, on_each, list, &detail);
    if (err != TPW_OK) {
        fail_msg("store_each_transfer: %s: %s", tpw_err_name(err), detail.message);
    }
}

/* ------------------------------------------------------------------------------------
 * Opening
 * ------------------------------------------------------------------------------------ */

static void test_open_creates(void **state)
{
    struct fixture *fixture = *state;
    char path[PATH_SIZE];
    path_join(path, fixture->dir, "data.mdb");
    assert_true(path_exists(path));
    struct stat st;
    assert_int_equal(stat(fixture->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0750);

    struct store_meta meta;
    struct store_meta zero = {0};
    struct tpw_error_detail detail = {0};
    assert_err(store_meta_get(fixture->store, &meta, &detail), TPW_OK);
    assert_meta_equal(&meta, &zero);

    /* A new store reads as empty through every call. */
    struct loaded loaded;
    load_all(fixture->store, &loaded);
    assert_int_equal(loaded.asset_count + loaded.account_count + loaded.pending_count, 0);
    struct store_reader *reader = reader_begin(fixture->store);
    assert_absent(reader, 1);
    struct walked walked = {0};
    walk(reader, 1, 0, 0, false, SIZE_MAX, &walked);
    assert_int_equal(walked.count, 0);
    walk(reader, 1, 0, 0, true, SIZE_MAX, &walked);
    assert_int_equal(walked.count, 0);
    struct each_list list = {0};
    each_all(reader, &list, SIZE_MAX);
    assert_int_equal(list.count, 0);
    store_reader_end(reader);
    free(walked.entries);
    free(list.items);

    reopen(fixture, true);
    assert_err(store_meta_get(fixture->store, &meta, &detail), TPW_OK);
    assert_meta_equal(&meta, &zero);
}

static void test_open_missing_read_only(void **state)
{
    struct fixture *fixture = *state;
    char missing[PATH_SIZE];
    path_join(missing, fixture->root, "missing");
    struct store *store = NULL;
    struct tpw_error_detail detail = {0};
    assert_err(store_open(missing, true, &store, &detail), TPW_ERR_NOT_FOUND);
    assert_null(store);
    assert_false(path_exists(missing));

    /* An existing directory without a store: still not found, and nothing is created. */
    char empty[PATH_SIZE];
    path_join(empty, fixture->root, "empty");
    assert_int_equal(mkdir(empty, 0700), 0);
    assert_err(store_open(empty, true, &store, &detail), TPW_ERR_NOT_FOUND);
    char lock[PATH_SIZE];
    path_join(lock, empty, "lock.mdb");
    assert_false(path_exists(lock));

    /* A writable open needs the parent to exist. */
    char deep[PATH_SIZE];
    path_join(deep, missing, "index");
    assert_err(store_open(deep, false, &store, &detail), TPW_ERR_NOT_FOUND);
    assert_err(store_open(NULL, false, &store, &detail), TPW_ERR_INVALID_ARGUMENT);

    /* A read-only store refuses checkpoints. */
    reopen(fixture, true);
    struct store_checkpoint checkpoint = {.meta.sequence = 1};
    assert_err(store_write(fixture->store, &checkpoint, &detail), TPW_ERR_LEDGER_READ_ONLY);
}

/* Arrays with a count need a pointer; a refused checkpoint writes nothing. */
static void test_write_rejects_invalid(void **state)
{
    struct fixture *fixture = *state;
    struct store_history_entry entry = entry_make(1, T0);
    struct store_history histories[2] = {{5, &entry, 1}, {6, NULL, 2}};
    struct ledger_transfer transfer = transfer_make(1, T0);
    struct store_checkpoint bad[] = {
        {.meta.sequence = 1, .histories = histories, .history_count = 2},
        {.meta.sequence = 1, .transfers = &transfer, .transfer_count = 1},
        {.meta.sequence = 1, .account_count = 1},
        {.meta.sequence = 1, .failure_count = 1},
        {.meta.sequence = 1, .asset_count = 1},
    };
    struct tpw_error_detail detail = {0};
    for (size_t index = 0; index < COUNT(bad); index++) {
        assert_err(store_write(fixture->store, &bad[index], &detail), TPW_ERR_INVALID_ARGUMENT);
    }
    assert_err(store_write(fixture->store, NULL, &detail), TPW_ERR_INVALID_ARGUMENT);
    struct store_meta meta;
    assert_err(store_meta_get(fixture->store, &meta, &detail), TPW_OK);
    assert_int_equal(meta.sequence, 0);
    struct store_reader *reader = reader_begin(fixture->store);
    struct walked walked = {0};
    walk(reader, 5, 0, 0, false, SIZE_MAX, &walked);
    assert_int_equal(walked.count, 0);
    free(walked.entries);
    store_reader_end(reader);
}

/* ------------------------------------------------------------------------------------
 * A full checkpoint read back
 * ------------------------------------------------------------------------------------ */

#define BASIC_TRANSFERS 6
#define BASIC_FAILURES 3

/* Ids straddle 2^64 so big-endian ordering of the high half is exercised. */
static const tpw_u128 basic_transfer_ids[BASIC_TRANSFERS] = {
    HIGH(50), 40, HIGH(10), 30, 20, 10,
};
static const uint8_t basic_states[BASIC_TRANSFERS] = {
    LEDGER_PENDING_PENDING, LEDGER_PENDING_NONE,    LEDGER_PENDING_PENDING,
    LEDGER_PENDING_NONE,    LEDGER_PENDING_PENDING, LEDGER_PENDING_VOIDED,
};
static const tpw_u128 basic_failure_ids[BASIC_FAILURES] = {35, HIGH(5), 15};

struct basic {
    struct ledger_asset assets[3];
    struct ledger_account accounts[4];
    struct ledger_transfer transfers[BASIC_TRANSFERS];
    struct ledger__transfer_meta metas[BASIC_TRANSFERS];
    struct ledger__failure failures[BASIC_FAILURES];
    struct store_history_entry entries_a[3];
    struct store_history_entry entries_b[2];
    struct store_history histories[3];
    struct store_checkpoint checkpoint;
};

static void basic_make(struct basic *basic)
{
    memset(basic, 0, sizeof *basic);
    basic->assets[0] = asset_make(3, "JPY", 0);
    basic->assets[1] = asset_make(1, "USD", 2);
    basic->assets[2] = asset_make(2, "USDCOIN8", 8);
    basic->accounts[0] = account_make(HIGH(1), T0 + 3);
    basic->accounts[1] = account_make(100, T0 + 1);
    basic->accounts[2] = account_make(7, T0 + 4);
    basic->accounts[3] = account_make(8, T0 + 2);
    for (size_t index = 0; index < BASIC_TRANSFERS; index++) {
        uint64_t timestamp = T0 + 100 + index;
        basic->transfers[index] = transfer_make(basic_transfer_ids[index], timestamp);
        basic->metas[index] = meta_make(basic_states[index], timestamp);
    }
    for (size_t index = 0; index < BASIC_FAILURES; index++) {
        basic->failures[index] = failure_make(basic_failure_ids[index], T0 + 200 + index);
    }
    for (size_t index = 0; index < 3; index++) {
        basic->entries_a[index] = entry_make(basic_transfer_ids[index], T0 + 100 + index);
    }
    basic->entries_b[0] = entry_make(40, T0 + 101);
    basic->entries_b[1] = entry_make(20, T0 + 104);
    basic->histories[0] = (struct store_history){HIGH(1), basic->entries_a, 3};
    basic->histories[1] = (struct store_history){100, NULL, 0}; /* skipped */
    basic->histories[2] = (struct store_history){7, basic->entries_b, 2};
    basic->checkpoint = (struct store_checkpoint){
        .meta = {.sequence = 9,
                 .last_timestamp = T0 + 300,
                 .transfers = 6,
                 .failures = 3,
                 .pending = 3},
        .assets = basic->assets,
        .asset_count = 3,
        .accounts = basic->accounts,
        .account_count = 4,
        .transfers = basic->transfers,
        .metas = basic->metas,
        .transfer_count = BASIC_TRANSFERS,
        .failures = basic->failures,
        .failure_count = BASIC_FAILURES,
        .histories = basic->histories,
        .history_count = 3,
    };
    memset(basic->checkpoint.meta.chain_hash, 0xa5, STORE_HASH_BYTES);
}

/* A new `basic`, written as the store's first checkpoint; the caller frees it. */
static struct basic *basic_written(struct store *store)
{
    struct basic *basic = malloc(sizeof *basic);
    assert_non_null(basic);
    basic_make(basic);
    write_checkpoint(store, &basic->checkpoint);
    return basic;
}

static void check_basic_load(struct store *store, const struct basic *basic)
{
    struct loaded loaded;
    load_all(store, &loaded);
    assert_int_equal(loaded.asset_count, 3);
    assert_memory_equal(&loaded.assets[0], &basic->assets[1], sizeof loaded.assets[0]);
    assert_memory_equal(&loaded.assets[1], &basic->assets[2], sizeof loaded.assets[0]);
    assert_memory_equal(&loaded.assets[2], &basic->assets[0], sizeof loaded.assets[0]);
    assert_int_equal(loaded.account_count, 4);
    static const size_t account_order[4] = {1, 3, 0, 2};
    for (size_t index = 0; index < 4; index++) {
        assert_memory_equal(&loaded.accounts[index], &basic->accounts[account_order[index]],
                            sizeof loaded.accounts[0]);
    }
    /* Pending in id order: 20, HIGH(10), HIGH(50). */
    static const size_t pending_order[3] = {4, 2, 0};
    assert_int_equal(loaded.pending_count, 3);
    for (size_t index = 0; index < 3; index++) {
        size_t want = pending_order[index];
        assert_memory_equal(&loaded.pending[index], &basic->transfers[want],
                            sizeof loaded.pending[0]);
        assert_int_equal(loaded.pending_metas[index].expires_at, basic->metas[want].expires_at);
        assert_int_equal(loaded.pending_metas[index].state, LEDGER_PENDING_PENDING);
    }
}

static void check_basic_each(struct store_reader *reader, const struct basic *basic)
{
    /* Id order: 10 20 15f 30 35f 40 HIGH(5)f HIGH(10) HIGH(50). */
    static const tpw_u128 order[9] = {10, 15, 20, 30, 35, 40, HIGH(5), HIGH(10), HIGH(50)};
    struct each_list list = {0};
    each_all(reader, &list, SIZE_MAX);
    assert_int_equal(list.count, 9);
    for (size_t index = 0; index < 9; index++) {
        assert_u128_equal(list.items[index].id, order[index]);
        bool failure = order[index] == 15 || order[index] == 35 || order[index] == HIGH(5);
        assert_int_equal(list.items[index].is_transfer, !failure);
        if (!failure) {
            assert_u128_equal(list.items[index].transfer.id, order[index]);
        } else {
            assert_u128_equal(list.items[index].failure.id, order[index]);
        }
    }
    assert_memory_equal(&list.items[8].transfer, &basic->transfers[0], sizeof basic->transfers[0]);
    each_all(reader, &list, 4); /* visit returning false stops the walk */
    assert_int_equal(list.count, 4);
    free(list.items);
}

static void check_basic(struct store *store, const struct basic *basic)
{
    struct store_meta meta;
    struct tpw_error_detail detail = {0};
    assert_err(store_meta_get(store, &meta, &detail), TPW_OK);
    assert_meta_equal(&meta, &basic->checkpoint.meta);
    check_basic_load(store, basic);

    struct store_reader *reader = reader_begin(store);
    for (size_t index = 0; index < BASIC_TRANSFERS; index++) {
        assert_transfer_found(reader, &basic->transfers[index], &basic->metas[index]);
    }
    for (size_t index = 0; index < BASIC_FAILURES; index++) {
        assert_failure_found(reader, &basic->failures[index]);
    }
    assert_absent(reader, 11);
    assert_absent(reader, 0);
    assert_absent(reader, HIGH(11));
    assert_absent(reader, TPW_U128_MAX);
    check_basic_each(reader, basic);

    struct walked walked = {0};
    check_walk(reader, HIGH(1), basic->entries_a, 3, 0, 0, false, SIZE_MAX, &walked);
    check_walk(reader, HIGH(1), basic->entries_a, 3, 0, 0, true, SIZE_MAX, &walked);
    check_walk(reader, HIGH(1), basic->entries_a, 3, T0 + 100, T0 + 102, false, SIZE_MAX, &walked);
    assert_int_equal(walked.count, 1);
    check_walk(reader, 7, basic->entries_b, 2, 0, 0, true, SIZE_MAX, &walked);
    check_walk(reader, 100, NULL, 0, 0, 0, false, SIZE_MAX, &walked);
    check_walk(reader, 8, NULL, 0, 0, 0, true, SIZE_MAX, &walked);
    free(walked.entries);
    store_reader_end(reader);
}

/* Reads database `db` raw, with the store closed: its number of records, and the size
 * of the value under `key` (SIZE_MAX when there is none). */
static size_t raw_read(const char *dir, const char *db, const void *key, size_t key_size,
                       size_t *value_size)
{
    MDB_env *env = NULL;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0640), 0);
    MDB_txn *txn = NULL;
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    MDB_dbi dbi;
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    MDB_stat stat;
    assert_int_equal(mdb_stat(txn, dbi, &stat), 0);
    if (value_size != NULL) {
        MDB_val k = {.mv_size = key_size, .mv_data = (void *)(uintptr_t)key};
        MDB_val v;
        *value_size = mdb_get(txn, dbi, &k, &v) == MDB_SUCCESS ? v.mv_size : SIZE_MAX;
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return stat.ms_entries;
}

static size_t raw_count(const char *dir, const char *db)
{
    return raw_read(dir, db, NULL, 0, NULL);
}

/* The size of the value stored under transfer id `id`. */
static size_t raw_transfer_size(const char *dir, tpw_u128 id)
{
    uint8_t key[16];
    for (size_t index = 0; index < 16; index++) {
        key[index] = (uint8_t)(id >> (8 * (15 - index)));
    }
    size_t size = 0;
    (void)raw_read(dir, "transfers", key, sizeof key, &size);
    return size;
}

static void test_checkpoint_round_trip(void **state)
{
    struct fixture *fixture = *state;
    struct basic *basic = basic_written(fixture->store);
    check_basic(fixture->store, basic);

    /* Durable across close, writable and read-only. */
    reopen(fixture, false);
    check_basic(fixture->store, basic);
    reopen(fixture, true);
    check_basic(fixture->store, basic);

    /* A transfer that never was pending is stored as its 128-byte record alone. */
    store_close(fixture->store);
    fixture->store = NULL;
    assert_int_equal(raw_transfer_size(fixture->dir, 40), sizeof(struct ledger_transfer));
    assert_int_equal(raw_transfer_size(fixture->dir, HIGH(50)), STORE_TRANSFER_BYTES);
    assert_int_equal(raw_transfer_size(fixture->dir, 10), STORE_TRANSFER_BYTES); /* voided */
    assert_int_equal(raw_transfer_size(fixture->dir, 35), STORE_FAILURE_BYTES);
    free(basic);
}

static void test_load_callback_stops(void **state)
{
    struct fixture *fixture = *state;
    struct basic *basic = basic_written(fixture->store);
    struct loaded loaded = {.stop_after_assets = 2};
    struct tpw_error_detail detail = {0};
    assert_err(store_load(fixture->store, on_asset, on_account, on_pending, &loaded, &detail),
               TPW_ERR_INTERNAL);
    assert_int_equal(loaded.asset_count, 2);
    assert_int_equal(loaded.account_count, 0);
    /* NULL callbacks skip their part. */
    memset(&loaded, 0, sizeof loaded);
    assert_err(store_load(fixture->store, NULL, NULL, on_pending, &loaded, &detail), TPW_OK);
    assert_int_equal(loaded.pending_count, 3);
    free(basic);
}

/* ------------------------------------------------------------------------------------
 * Later checkpoints
 * ------------------------------------------------------------------------------------ */

static void test_resolve_pending_and_lower_ids(void **state)
{
    struct fixture *fixture = *state;
    struct basic *basic = basic_written(fixture->store);

    /* Post HIGH(10), expire 20, add transfer 5 and failure 25 (below the append point). */
    struct ledger_transfer transfers[3] = {basic->transfers[2], transfer_make(5, T0 + 400),
                                           basic->transfers[4]};
    struct ledger__transfer_meta metas[3] = {meta_make(LEDGER_PENDING_POSTED, T0 + 401),
                                             meta_make(LEDGER_PENDING_PENDING, T0 + 400),
                                             meta_make(LEDGER_PENDING_EXPIRED, T0 + 402)};
    struct ledger__failure failure = failure_make(25, T0 + 403);
    struct store_checkpoint second = {
        .meta = {.sequence = 12,
                 .last_timestamp = T0 + 403,
                 .transfers = 7,
                 .failures = 4,
                 .pending = 2},
        .transfers = transfers,
        .metas = metas,
        .transfer_count = 3,
        .failures = &failure,
        .failure_count = 1,
    };
    write_checkpoint(fixture->store, &second);

    struct loaded loaded;
    load_all(fixture->store, &loaded);
    assert_int_equal(loaded.asset_count, 3); /* earlier checkpoints stay */
    assert_int_equal(loaded.pending_count, 2);
    assert_u128_equal(loaded.pending[0].id, 5);
    assert_u128_equal(loaded.pending[1].id, HIGH(50));
    struct store_reader *reader = reader_begin(fixture->store);
    assert_transfer_found(reader, &transfers[0], &metas[0]);
    assert_transfer_found(reader, &transfers[1], &metas[1]);
    assert_transfer_found(reader, &transfers[2], &metas[2]);
    assert_failure_found(reader, &failure);
    assert_transfer_found(reader, &basic->transfers[0], &basic->metas[0]);
    struct each_list list = {0};
    each_all(reader, &list, SIZE_MAX);
    assert_int_equal(list.count, 11);
    for (size_t index = 1; index < list.count; index++) {
        assert_true(list.items[index - 1].id < list.items[index].id);
    }
    free(list.items);
    store_reader_end(reader);
    struct store_meta meta;
    struct tpw_error_detail detail = {0};
    assert_err(store_meta_get(fixture->store, &meta, &detail), TPW_OK);
    assert_meta_equal(&meta, &second.meta);
    free(basic);
}

/* Checkpoints for test_history_chunks: two merges, then three windows left in `recent`,
 * so the account has two chunks in `history` and three windows after them. */
#define CHUNKS (2 * STORE_RECENT_WINDOWS + 3)

/* Every pair of interesting bounds — inside chunks, at the edges of windows and of
 * merged chunks — both ways, with several limits, against the first `model_count`
 * entries of `model`. */
static void check_chunk_walks(struct store *store, tpw_u128 account,
                              const struct store_history_entry *model, size_t model_count)
{
    _Static_assert(STORE_RECENT_WINDOWS == 8, "the offsets below assume merges of 8");
    static const uint64_t offsets[] = {0,    1,    10,   19,   20,   21,   99,   100,
                                       101,  120,  221,  799,  800,  801,  820,  821,
                                       1599, 1600, 1601, 1700, 1721, 1800, 1821, 9999};
    struct store_reader *reader = reader_begin(store);
    struct walked walked = {0};
    for (size_t a = 0; a < COUNT(offsets); a++) {
        for (size_t b = 0; b <= COUNT(offsets); b++) {
            uint64_t after = offsets[a] == 0 ? 0 : T0 + offsets[a] - 1;
            uint64_t before = b == COUNT(offsets) ? 0 : T0 + offsets[b];
            for (size_t limit = 1; limit <= 58; limit += 19) {
                check_walk(reader, account, model, model_count, after, before, false, limit,
                           &walked);
                check_walk(reader, account, model, model_count, after, before, true, limit,
                           &walked);
            }
        }
    }
    check_walk(reader, account, model, model_count, UINT64_MAX, 0, false, SIZE_MAX, &walked);
    check_walk(reader, account, model, model_count, UINT64_MAX - 1, 0, true, SIZE_MAX, &walked);
    check_walk(reader, account, model, model_count, 0, 1, false, SIZE_MAX, &walked);
    check_walk(reader, HIGH(498), NULL, 0, 0, 0, true, SIZE_MAX, &walked);
    check_walk(reader, HIGH(502), NULL, 0, 0, 0, false, SIZE_MAX, &walked);
    free(walked.entries);
    store_reader_end(reader);
}

/*
 * One account's history over several checkpoints, with neighbours on both sides in key
 * order, walked after every checkpoint from the first seal on: while its windows are
 * sealed and not merged, sealed and merged (the boundary passed it), after each merge,
 * and with windows on both levels. With merges of 8: checkpoint 8 seals recent.a,
 * 9–11 merge one account each, 16 seals recent.b, 17–19 merge it.
 */
static void test_history_chunks(void **state)
{
    struct fixture *fixture = *state;
    const tpw_u128 account = HIGH(500);
    const tpw_u128 neighbours[2] = {HIGH(499), HIGH(501)};
    struct store_history_entry model[CHUNKS * 3];
    size_t model_count = 0;
    for (uint64_t chunk = 0; chunk < CHUNKS; chunk++) {
        struct store_history_entry entries[3];
        struct store_history_entry other[2][1];
        for (uint64_t index = 0; index < 3; index++) {
            uint64_t timestamp = T0 + chunk * 100 + index * 10;
            entries[index] = entry_make(1000 + chunk * 3 + index, timestamp);
            model[model_count++] = entries[index];
        }
        other[0][0] = entry_make(1, T0 + chunk * 100 + 5);
        other[1][0] = entry_make(2, T0 + chunk * 100 + 6);
        struct store_history histories[3] = {
            {neighbours[1], other[1], 1}, {account, entries, 3}, {neighbours[0], other[0], 1}};
        struct store_checkpoint checkpoint = {
            .meta.sequence = chunk + 1, .histories = histories, .history_count = 3};
        write_checkpoint(fixture->store, &checkpoint);
        if (chunk + 1 >= STORE_RECENT_WINDOWS) {
            check_chunk_walks(fixture->store, account, model, model_count);
        }
    }
    store_close(fixture->store);
    fixture->store = NULL;
    assert_int_equal(raw_count(fixture->dir, "history"), 2 * 3);  /* two merges × 3 accounts */
    assert_int_equal(raw_count(fixture->dir, "recent.a"), 3 * 3); /* three windows × 3 */
    assert_int_equal(raw_count(fixture->dir, "recent.b"), 0);     /* merged and emptied */
}

/* Many accounts in every window: each checkpoint merges its slice, the merge of one
 * window database is over before the other fills up, and every history stays whole. */
static void test_merge_keeps_pace(void **state)
{
    struct fixture *fixture = *state;
    enum { ACCOUNTS = 40, CHECKPOINTS = 3 * STORE_RECENT_WINDOWS };
    struct store_history_entry entries[ACCOUNTS][CHECKPOINTS];
    for (uint64_t round = 0; round < CHECKPOINTS; round++) {
        struct store_history histories[ACCOUNTS];
        for (uint64_t account = 0; account < ACCOUNTS; account++) {
            entries[account][round] = entry_make(round * ACCOUNTS + account, T0 + round * 100);
            histories[account] = (struct store_history){HIGH(account), &entries[account][round], 1};
        }
        struct store_checkpoint checkpoint = {
            .meta.sequence = round + 1, .histories = histories, .history_count = ACCOUNTS};
        write_checkpoint(fixture->store, &checkpoint);
    }
    struct store_reader *reader = reader_begin(fixture->store);
    struct walked walked = {0};
    for (uint64_t account = 0; account < ACCOUNTS; account++) {
        check_walk(reader, HIGH(account), entries[account], CHECKPOINTS, 0, 0, account % 2 == 0,
                   SIZE_MAX, &walked);
    }
    free(walked.entries);
    store_reader_end(reader);
    store_close(fixture->store);
    fixture->store = NULL;
    /* Sealed at 8, 16 and 24: two merges done, the third just sealed. */
    assert_int_equal(raw_count(fixture->dir, "history"), 2 * ACCOUNTS);
    assert_int_equal(raw_count(fixture->dir, "recent.a"), STORE_RECENT_WINDOWS * ACCOUNTS);
    assert_int_equal(raw_count(fixture->dir, "recent.b"), 0);
}

static void test_reader_snapshots(void **state)
{
    struct fixture *fixture = *state;
    struct ledger_transfer first = transfer_make(1, T0 + 1);
    struct ledger__transfer_meta first_meta = meta_make(LEDGER_PENDING_PENDING, T0 + 1);
    struct store_history_entry entry = entry_make(1, T0 + 1);
    struct store_history history = {42, &entry, 1};
    struct store_checkpoint checkpoint = {
        .meta.sequence = 1,
        .transfers = &first,
        .metas = &first_meta,
        .transfer_count = 1,
        .histories = &history,
        .history_count = 1,
    };
    write_checkpoint(fixture->store, &checkpoint);
    struct store_reader *old = reader_begin(fixture->store);
    struct store_reader *refreshed = reader_begin(fixture->store);

    struct ledger_transfer second = transfer_make(2, T0 + 2);
    struct ledger__transfer_meta second_meta = meta_make(LEDGER_PENDING_NONE, T0 + 2);
    struct ledger__transfer_meta posted = meta_make(LEDGER_PENDING_POSTED, T0 + 2);
    struct ledger_transfer both[2] = {second, first};
    struct ledger__transfer_meta both_metas[2] = {second_meta, posted};
    struct store_history_entry later = entry_make(2, T0 + 2);
    history.entries = &later;
    checkpoint = (struct store_checkpoint){
        .meta.sequence = 2,
        .transfers = both,
        .metas = both_metas,
        .transfer_count = 2,
        .histories = &history,
        .history_count = 1,
    };
    write_checkpoint(fixture->store, &checkpoint);

    struct tpw_error_detail detail = {0};
    assert_err(store_reader_refresh(refreshed, &detail), TPW_OK);
    assert_absent(old, 2);
    assert_transfer_found(old, &first, &first_meta);
    assert_transfer_found(refreshed, &second, &second_meta);
    assert_transfer_found(refreshed, &first, &posted);
    struct walked walked = {0};
    walk(old, 42, 0, 0, false, SIZE_MAX, &walked);
    assert_int_equal(walked.count, 1);
    walk(refreshed, 42, 0, 0, false, SIZE_MAX, &walked);
    assert_int_equal(walked.count, 2);
    struct each_list list = {0};
    each_all(old, &list, SIZE_MAX);
    assert_int_equal(list.count, 1);
    each_all(refreshed, &list, SIZE_MAX);
    assert_int_equal(list.count, 2);
    assert_err(store_reader_refresh(old, &detail), TPW_OK);
    assert_transfer_found(old, &second, &second_meta);
    free(walked.entries);
    free(list.items);
    store_reader_end(old);
    store_reader_end(refreshed);
}

/* Ids above the largest stored one are answered without a search; the bound follows
 * the reader's snapshot, and ids below it are still searched. */
static void test_lookup_above_largest_id(void **state)
{
    struct fixture *fixture = *state;
    struct store_reader *empty = reader_begin(fixture->store);
    assert_absent(empty, 1);
    assert_absent(empty, HIGH(1));
    struct ledger_transfer transfers[2] = {transfer_make(10, T0 + 1),
                                           transfer_make(HIGH(3), T0 + 2)};
    struct ledger__transfer_meta metas[2] = {meta_make(LEDGER_PENDING_NONE, T0 + 1),
                                             meta_make(LEDGER_PENDING_NONE, T0 + 2)};
    struct store_checkpoint checkpoint = {
        .meta.sequence = 1, .transfers = transfers, .metas = metas, .transfer_count = 2};
    write_checkpoint(fixture->store, &checkpoint);
    assert_absent(empty, 10); /* the old snapshot, and its bound, hold */
    struct tpw_error_detail detail = {0};
    assert_err(store_reader_refresh(empty, &detail), TPW_OK);
    assert_transfer_found(empty, &transfers[0], &metas[0]);
    assert_transfer_found(empty, &transfers[1], &metas[1]);
    assert_absent(empty, 11);
    assert_absent(empty, HIGH(2));
    assert_absent(empty, HIGH(3) + 1);
    assert_absent(empty, ~(tpw_u128)0);
    store_reader_end(empty);
}

/* Handles on one directory in one process share LMDB's environment: closing a second
 * handle must leave the first one's readers working (with two environments it would
 * release the process's locks and the next reader would fail with MDB_BAD_RSLOT). */
static void test_handles_share_the_environment(void **state)
{
    struct fixture *fixture = *state;
    struct ledger_transfer first = transfer_make(1, T0 + 1);
    struct ledger__transfer_meta meta = meta_make(LEDGER_PENDING_NONE, T0 + 1);
    struct store_checkpoint checkpoint = {
        .meta.sequence = 1, .transfers = &first, .metas = &meta, .transfer_count = 1};
    write_checkpoint(fixture->store, &checkpoint);
    struct store_reader *reader = reader_begin(fixture->store);
    for (int round = 0; round < 3; round++) {
        struct store *other = open_store(fixture->dir, true);
        struct store_reader *other_reader = reader_begin(other);
        assert_transfer_found(other_reader, &first, &meta);
        store_reader_end(other_reader);
        store_close(other);
    }
    struct ledger_transfer second = transfer_make(2, T0 + 2);
    checkpoint = (struct store_checkpoint){
        .meta.sequence = 2, .transfers = &second, .metas = &meta, .transfer_count = 1};
    write_checkpoint(fixture->store, &checkpoint);
    struct tpw_error_detail detail = {0};
    assert_err(store_reader_refresh(reader, &detail), TPW_OK);
    assert_transfer_found(reader, &second, &meta);
    store_reader_end(reader);
}

/* LMDB cannot make a read-only environment writable: a writer must wait for it. */
static void test_writer_refused_while_open_read_only(void **state)
{
    struct fixture *fixture = *state;
    reopen(fixture, true);
    struct store *writer = NULL;
    struct tpw_error_detail detail = {0};
    assert_err(store_open(fixture->dir, false, &writer, &detail), TPW_ERR_LEDGER_LOCKED);
    assert_null(writer);
    assert_non_null(strstr(detail.message, "open read-only in this process"));
    reopen(fixture, false); /* the last read-only handle closed: a writer may open */
}

/* ------------------------------------------------------------------------------------
 * Damage
 * ------------------------------------------------------------------------------------ */

/* Writes one raw record into database `db`, with the store closed. */
static void raw_put(const char *dir, const char *db, const void *key, size_t key_size,
                    const void *value, size_t value_size)
{
    MDB_env *env = NULL;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    MDB_txn *txn = NULL;
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    MDB_dbi dbi;
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    MDB_val k = {.mv_size = key_size, .mv_data = (void *)(uintptr_t)key};
    MDB_val v = {.mv_size = value_size, .mv_data = (void *)(uintptr_t)value};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void id_key(uint8_t out[16], tpw_u128 id)
{
    for (size_t index = 0; index < 16; index++) {
        out[index] = (uint8_t)(id >> (8 * (15 - index)));
    }
}

static void test_corrupt_meta(void **state)
{
    struct fixture *fixture = *state;
    struct store_checkpoint checkpoint = {.meta.sequence = 3};
    write_checkpoint(fixture->store, &checkpoint);
    store_close(fixture->store);
    fixture->store = NULL;
    uint8_t value[80] = {3}; /* format version 3: from the future */
    raw_put(fixture->dir, "meta", "checkpoint", 10, value, sizeof value);
    fixture->store = open_store(fixture->dir, false);
    struct store_meta meta;
    struct tpw_error_detail detail = {0};
    assert_err(store_meta_get(fixture->store, &meta, &detail), TPW_ERR_STORE_CORRUPT);
    assert_non_null(strstr(detail.message, "version 3"));

    store_close(fixture->store);
    fixture->store = NULL;
    value[0] = 1; /* version 1 kept every history in one database: rebuild, not read */
    raw_put(fixture->dir, "meta", "checkpoint", 10, value, sizeof value);
    fixture->store = open_store(fixture->dir, false);
    assert_err(store_meta_get(fixture->store, &meta, &detail), TPW_ERR_STORE_CORRUPT);
    assert_non_null(strstr(detail.message, "version 1"));
    assert_non_null(strstr(detail.message, "rebuild"));

    store_close(fixture->store);
    fixture->store = NULL;
    value[0] = 1;
    raw_put(fixture->dir, "meta", "checkpoint", 10, value, 79);
    fixture->store = open_store(fixture->dir, true);
    assert_err(store_meta_get(fixture->store, &meta, &detail), TPW_ERR_STORE_CORRUPT);
}

static void test_corrupt_records(void **state)
{
    struct fixture *fixture = *state;
    struct basic *basic = basic_written(fixture->store);
    store_close(fixture->store);
    fixture->store = NULL;
    uint8_t key[24];
    uint8_t value[32] = {0};
    id_key(key, 12); /* a 17-byte value is neither a transfer nor a failure */
    raw_put(fixture->dir, "transfers", key, 16, value, 17);
    memset(key, 0, 8); /* a 25-byte chunk in a second window, after sequence 9's */
    key[7] = 10;
    id_key(key + 8, HIGH(1));
    raw_put(fixture->dir, "recent.a", key, 24, value, 25);
    id_key(key, 7); /* a 25-byte chunk in the merged level, before the window's */
    memset(key + 16, 0, 8);
    raw_put(fixture->dir, "history", key, 24, value, 25);
    fixture->store = open_store(fixture->dir, false);

    struct store_reader *reader = reader_begin(fixture->store);
    struct each_list list = {.limit = SIZE_MAX};
    struct tpw_error_detail detail = {0};
    assert_err(store_each_transfer(reader, on_each, &list, &detail), TPW_ERR_STORE_CORRUPT);
    assert_int_equal(list.count, 1); /* 10 came before the damage at 12 */
    struct walked walked = {.limit = SIZE_MAX};
    assert_err(store_history_walk(reader, HIGH(1), 0, 0, false, on_entry, &walked, &detail),
               TPW_ERR_STORE_CORRUPT);
    assert_int_equal(walked.count, 3);
    walked.count = 0;
    assert_err(store_history_walk(reader, HIGH(1), 0, 0, true, on_entry, &walked, &detail),
               TPW_ERR_STORE_CORRUPT);
    assert_int_equal(walked.count, 0);
    assert_err(store_history_walk(reader, 7, 0, 0, false, on_entry, &walked, &detail),
               TPW_ERR_STORE_CORRUPT);
    assert_err(store_history_walk(reader, 7, 0, 0, true, on_entry, &walked, &detail),
               TPW_ERR_STORE_CORRUPT);
    assert_int_equal(walked.count, 2); /* the window's two, newest first, then the damage */
    free(list.items);
    free(walked.entries);
    store_reader_end(reader);
    free(basic);
}

static void test_corrupt_load(void **state)
{
    struct fixture *fixture = *state;
    struct basic *basic = basic_written(fixture->store);
    store_close(fixture->store);
    fixture->store = NULL;
    uint8_t key[16];
    id_key(key, 30); /* pending, but stored as a completed transfer */
    raw_put(fixture->dir, "pending", key, 16, "", 0);
    fixture->store = open_store(fixture->dir, false);
    struct loaded loaded = {0};
    struct tpw_error_detail detail = {0};
    assert_err(store_load(fixture->store, on_asset, on_account, on_pending, &loaded, &detail),
               TPW_ERR_STORE_CORRUPT);

    store_close(fixture->store);
    fixture->store = NULL;
    const uint8_t asset_key[4] = {0, 0, 0, 9};
    raw_put(fixture->dir, "assets", asset_key, 4, "short", 5);
    fixture->store = open_store(fixture->dir, false);
    memset(&loaded, 0, sizeof loaded);
    assert_err(store_load(fixture->store, on_asset, on_account, on_pending, &loaded, &detail),
               TPW_ERR_STORE_CORRUPT);
    assert_int_equal(loaded.asset_count, 3);
    free(basic);
}

/* A reader reads the largest transfer id when it begins: a last key of the wrong size
 * is damage, and the reader is refused. */
static void test_corrupt_largest_id(void **state)
{
    struct fixture *fixture = *state;
    store_close(fixture->store);
    fixture->store = NULL;
    uint8_t key[17];
    memset(key, 0xff, sizeof key); /* sorts after every 16-byte id */
    raw_put(fixture->dir, "transfers", key, sizeof key, "", 0);
    fixture->store = open_store(fixture->dir, true);
    struct tpw_error_detail detail = {0};
    struct store_reader *reader = NULL;
    assert_err(store_reader_begin(fixture->store, &reader, &detail), TPW_ERR_STORE_CORRUPT);
    assert_null(reader);
}

/* A reader lists the windows of `recent` when it begins: a key of the wrong size there
 * is damage, and so are more windows than a merge leaves. */
static void test_corrupt_recent_windows(void **state)
{
    struct fixture *fixture = *state;
    store_close(fixture->store);
    fixture->store = NULL;
    uint8_t key[STORE_RECENT_WINDOWS + 1][25];
    memset(key, 0, sizeof key);
    raw_put(fixture->dir, "recent.a", key[0], 25, "", 0);
    fixture->store = open_store(fixture->dir, true);
    struct tpw_error_detail detail = {0};
    struct store_reader *reader = NULL;
    assert_err(store_reader_begin(fixture->store, &reader, &detail), TPW_ERR_STORE_CORRUPT);
    assert_null(reader);

    store_close(fixture->store);
    fixture->store = NULL;
    teardown(state);
    assert_int_equal(setup(state), 0);
    fixture = *state;
    store_close(fixture->store);
    fixture->store = NULL;
    uint8_t entry[24] = {0};
    for (size_t window = 0; window <= STORE_RECENT_WINDOWS; window++) {
        key[window][7] = (uint8_t)(window + 1);
        raw_put(fixture->dir, "recent.b", key[window], 24, entry, sizeof entry);
    }
    fixture->store = open_store(fixture->dir, true);
    assert_err(store_reader_begin(fixture->store, &reader, &detail), TPW_ERR_STORE_CORRUPT);
    assert_null(reader);
}

/* The merge state (`meta` key "history"): a value of the wrong size or naming a third
 * window database refuses readers; a merge still running when the active database
 * fills up refuses the checkpoint (slices always finish it in time). */
static void test_corrupt_levels(void **state)
{
    struct fixture *fixture = *state;
    store_close(fixture->store);
    fixture->store = NULL;
    uint8_t levels[24] = {2}; /* active: 2 */
    raw_put(fixture->dir, "meta", "history", 7, levels, sizeof levels);
    fixture->store = open_store(fixture->dir, true);
    struct tpw_error_detail detail = {0};
    struct store_reader *reader = NULL;
    assert_err(store_reader_begin(fixture->store, &reader, &detail), TPW_ERR_STORE_CORRUPT);
    store_close(fixture->store);
    fixture->store = NULL;
    raw_put(fixture->dir, "meta", "history", 7, levels, 23);
    fixture->store = open_store(fixture->dir, true);
    assert_err(store_reader_begin(fixture->store, &reader, &detail), TPW_ERR_STORE_CORRUPT);
    assert_null(reader);

    /* recent.a active with 7 windows, recent.b merging two accounts of 8 windows. */
    store_close(fixture->store);
    fixture->store = NULL;
    memset(levels, 0, sizeof levels);
    levels[4] = 1;
    raw_put(fixture->dir, "meta", "history", 7, levels, sizeof levels);
    uint8_t key[24] = {0};
    uint8_t entry[24] = {0};
    for (uint8_t window = 1; window <= STORE_RECENT_WINDOWS; window++) {
        key[7] = window;
        for (uint8_t account = 1; account <= 2; account++) {
            key[23] = account;
            raw_put(fixture->dir, "recent.b", key, sizeof key, entry, sizeof entry);
        }
        key[7] = (uint8_t)(window + 10);
        if (window < STORE_RECENT_WINDOWS) {
            raw_put(fixture->dir, "recent.a", key, sizeof key, entry, sizeof entry);
        }
    }
    fixture->store = open_store(fixture->dir, false);
    struct store_history_entry one = entry_make(5, T0);
    struct store_history history = {3, &one, 1};
    struct store_checkpoint checkpoint = {
        .meta.sequence = 100, .histories = &history, .history_count = 1};
    assert_err(store_write(fixture->store, &checkpoint, &detail), TPW_ERR_STORE_CORRUPT);
}

/* store_transfer_get cannot report damage: it aborts, which a child process shows. */
static void test_corrupt_lookup_aborts(void **state)
{
    struct fixture *fixture = *state;
    store_close(fixture->store);
    fixture->store = NULL;
    uint8_t key[16];
    uint8_t value[17] = {0};
    id_key(key, 77);
    raw_put(fixture->dir, "transfers", key, 16, value, sizeof value);
    (void)fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int null_fd = open("/dev/null", O_WRONLY);
        if (null_fd >= 0) {
            (void)dup2(null_fd, STDERR_FILENO);
        }
        struct store *store = NULL;
        struct tpw_error_detail detail = {0};
        if (store_open(fixture->dir, true, &store, &detail) != TPW_OK) {
            _exit(2);
        }
        struct store_reader *reader = NULL;
        if (store_reader_begin(store, &reader, &detail) != TPW_OK) {
            _exit(3);
        }
        struct ledger_transfer transfer;
        struct ledger__transfer_meta meta;
        struct ledger__failure failure;
        (void)store_transfer_get(reader, 77, &transfer, &meta, &failure);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    fixture->store = open_store(fixture->dir, false);
}

/* ------------------------------------------------------------------------------------
 * Randomized: checkpoints of random transfers, failures and histories against a model
 * ------------------------------------------------------------------------------------ */

#define MODEL_ACCOUNTS 9
#define MODEL_CHECKPOINTS 24
#define MODEL_BATCH_MAX 400

struct model_record {
    tpw_u128 id;
    bool is_transfer;
    struct ledger_transfer transfer;
    struct ledger__transfer_meta meta;
    struct ledger__failure failure;
};

struct model {
    struct tpw_prng prng;
    struct model_record *records;
    size_t record_count;
    size_t record_capacity;
    struct store_history_entry *history[MODEL_ACCOUNTS];
    size_t history_count[MODEL_ACCOUNTS];
    tpw_u128 accounts[MODEL_ACCOUNTS];
    uint64_t now;
    tpw_u128 next_id;
    struct store_meta meta;
};

/* The checkpoint under construction, in arrays the model owns. */
struct model_batch {
    struct ledger_transfer transfers[MODEL_BATCH_MAX];
    struct ledger__transfer_meta metas[MODEL_BATCH_MAX];
    struct ledger__failure failures[MODEL_BATCH_MAX];
    struct store_history_entry entries[MODEL_ACCOUNTS][2 * MODEL_BATCH_MAX];
    struct store_history histories[MODEL_ACCOUNTS];
    size_t transfer_count;
    size_t failure_count;
};

static int model_record_compare(const void *a, const void *b)
{
    const struct model_record *left = a;
    const struct model_record *right = b;
    return left->id < right->id ? -1 : left->id > right->id ? 1 : 0;
}

static struct model_record *model_find(struct model *model, tpw_u128 id)
{
    for (size_t index = 0; index < model->record_count; index++) {
        if (model->records[index].id == id) {
            return &model->records[index];
        }
    }
    return NULL;
}

static struct model_record *model_add(struct model *model, tpw_u128 id)
{
    if (model->record_count == model->record_capacity) {
        model->record_capacity = model->record_capacity == 0 ? 256 : model->record_capacity * 2;
        model->records = realloc(model->records, model->record_capacity * sizeof *model->records);
        assert_non_null(model->records);
    }
    struct model_record *record = &model->records[model->record_count++];
    *record = (struct model_record){.id = id};
    return record;
}

/* A fresh id: usually the next sequential one (append path), sometimes one far below. */
static tpw_u128 model_fresh_id(struct model *model)
{
    if (tpw_prng_below(&model->prng, 5) != 0) {
        return model->next_id++;
    }
    for (;;) {
        tpw_u128 id = 1 + tpw_prng_below(&model->prng, 1000000);
        if (model_find(model, id) == NULL) {
            return id;
        }
    }
}

static void model_new_transfer(struct model *model, struct model_batch *batch)
{
    uint64_t timestamp = ++model->now;
    tpw_u128 id = model_fresh_id(model);
    uint8_t state =
        tpw_prng_below(&model->prng, 3) == 0 ? LEDGER_PENDING_PENDING : LEDGER_PENDING_NONE;
    struct model_record *record = model_add(model, id);
    record->is_transfer = true;
    record->transfer = transfer_make(id, timestamp);
    record->meta = meta_make(state, timestamp);
    batch->transfers[batch->transfer_count] = record->transfer;
    batch->metas[batch->transfer_count++] = record->meta;
    size_t debit = (size_t)tpw_prng_below(&model->prng, MODEL_ACCOUNTS);
    size_t credit =
        (debit + 1 + (size_t)tpw_prng_below(&model->prng, MODEL_ACCOUNTS - 1)) % MODEL_ACCOUNTS;
    size_t sides[2] = {debit, credit};
    for (size_t side = 0; side < 2; side++) {
        struct store_history *history = &batch->histories[sides[side]];
        batch->entries[sides[side]][history->count++] = entry_make(id, timestamp);
    }
}

static void model_resolve_some(struct model *model, struct model_batch *batch)
{
    for (size_t index = 0; index < model->record_count; index++) {
        struct model_record *record = &model->records[index];
        bool pick = record->is_transfer && record->meta.state == LEDGER_PENDING_PENDING &&
                    tpw_prng_below(&model->prng, 4) == 0 && batch->transfer_count < MODEL_BATCH_MAX;
        if (pick) {
            uint8_t state = (uint8_t)(LEDGER_PENDING_POSTED + tpw_prng_below(&model->prng, 3));
            record->meta = meta_make(state, ++model->now);
            batch->transfers[batch->transfer_count] = record->transfer;
            batch->metas[batch->transfer_count++] = record->meta;
        }
    }
}

static void model_shuffle(struct model *model, struct model_batch *batch)
{
    for (size_t index = batch->transfer_count; index > 1; index--) {
        size_t other = (size_t)tpw_prng_below(&model->prng, index);
        struct ledger_transfer transfer = batch->transfers[index - 1];
        struct ledger__transfer_meta meta = batch->metas[index - 1];
        batch->transfers[index - 1] = batch->transfers[other];
        batch->metas[index - 1] = batch->metas[other];
        batch->transfers[other] = transfer;
        batch->metas[other] = meta;
    }
}

static void model_commit_histories(struct model *model, const struct model_batch *batch)
{
    for (size_t account = 0; account < MODEL_ACCOUNTS; account++) {
        size_t count = batch->histories[account].count;
        size_t total = model->history_count[account] + count;
        model->history[account] =
            realloc(model->history[account], (total + 1) * sizeof(struct store_history_entry));
        assert_non_null(model->history[account]);
        memcpy(model->history[account] + model->history_count[account], batch->entries[account],
               count * sizeof(struct store_history_entry));
        model->history_count[account] = total;
    }
}

static void model_checkpoint(struct model *model, struct model_batch *batch, struct store *store)
{
    batch->transfer_count = 0;
    batch->failure_count = 0;
    for (size_t account = 0; account < MODEL_ACCOUNTS; account++) {
        batch->histories[account] =
            (struct store_history){model->accounts[account], batch->entries[account], 0};
    }
    model_resolve_some(model, batch);
    size_t transfers = (size_t)tpw_prng_below(&model->prng, MODEL_BATCH_MAX / 2);
    for (size_t index = 0; index < transfers; index++) {
        model_new_transfer(model, batch);
    }
    size_t failures = (size_t)tpw_prng_below(&model->prng, 20);
    for (size_t index = 0; index < failures; index++) {
        tpw_u128 id = model_fresh_id(model);
        struct model_record *record = model_add(model, id);
        record->failure = failure_make(id, ++model->now);
        batch->failures[batch->failure_count++] = record->failure;
    }
    model_shuffle(model, batch);
    model->meta.sequence++;
    model->meta.last_timestamp = model->now;
    model->meta.transfers += transfers;
    struct store_checkpoint checkpoint = {
        .meta = model->meta,
        .transfers = batch->transfers,
        .metas = batch->metas,
        .transfer_count = batch->transfer_count,
        .failures = batch->failures,
        .failure_count = batch->failure_count,
        .histories = batch->histories,
        .history_count = MODEL_ACCOUNTS,
    };
    write_checkpoint(store, &checkpoint);
    model_commit_histories(model, batch);
}

static void model_check_records(struct model *model, struct store_reader *reader)
{
    qsort(model->records, model->record_count, sizeof *model->records, model_record_compare);
    struct each_list list = {0};
    each_all(reader, &list, SIZE_MAX);
    assert_int_equal(list.count, model->record_count);
    for (size_t index = 0; index < model->record_count; index++) {
        const struct model_record *record = &model->records[index];
        assert_u128_equal(list.items[index].id, record->id);
        assert_int_equal(list.items[index].is_transfer, record->is_transfer);
        if (record->is_transfer) {
            assert_transfer_found(reader, &record->transfer, &record->meta);
            assert_int_equal(list.items[index].meta.state, record->meta.state);
        } else {
            assert_failure_found(reader, &record->failure);
        }
    }
    for (size_t probe = 0; probe < 50; probe++) {
        tpw_u128 id = tpw_prng_below(&model->prng, (uint64_t)model->next_id + 10);
        if (model_find(model, id) == NULL) {
            assert_absent(reader, id);
        }
    }
    free(list.items);
}

struct id_list {
    tpw_u128 *ids;
    size_t count;
    size_t capacity;
};

static enum tpw_err on_pending_id(void *ctx, const struct ledger_transfer *transfer,
                                  const struct ledger__transfer_meta *meta)
{
    struct id_list *list = ctx;
    assert_int_equal(meta->state, LEDGER_PENDING_PENDING);
    if (list->count == list->capacity) {
        list->capacity = list->capacity == 0 ? 64 : list->capacity * 2;
        list->ids = realloc(list->ids, list->capacity * sizeof *list->ids);
        assert_non_null(list->ids);
    }
    list->ids[list->count++] = transfer->id;
    return TPW_OK;
}

/* The model's records are sorted by id (model_check_records ran first). */
static void model_check_pending(const struct model *model, struct store *store)
{
    struct id_list list = {0};
    struct tpw_error_detail detail = {0};
    assert_err(store_load(store, NULL, NULL, on_pending_id, &list, &detail), TPW_OK);
    size_t seen = 0;
    for (size_t index = 0; index < model->record_count; index++) {
        const struct model_record *record = &model->records[index];
        if (record->is_transfer && record->meta.state == LEDGER_PENDING_PENDING) {
            assert_true(seen < list.count);
            assert_u128_equal(list.ids[seen++], record->id);
        }
    }
    assert_int_equal(list.count, seen);
    free(list.ids);
}

static void model_check_walks(struct model *model, struct store_reader *reader)
{
    struct walked walked = {0};
    uint64_t span = model->now - T0 + 10;
    for (size_t probe = 0; probe < 60; probe++) {
        size_t account = (size_t)tpw_prng_below(&model->prng, MODEL_ACCOUNTS);
        uint64_t after =
            tpw_prng_below(&model->prng, 4) == 0 ? 0 : T0 + tpw_prng_below(&model->prng, span);
        uint64_t before = tpw_prng_below(&model->prng, 3) == 0
                              ? 0
                              : after + 1 + tpw_prng_below(&model->prng, span);
        size_t limit = tpw_prng_below(&model->prng, 2) == 0
                           ? SIZE_MAX
                           : 1 + (size_t)tpw_prng_below(&model->prng, 50);
        bool descending = tpw_prng_below(&model->prng, 2) == 0;
        check_walk(reader, model->accounts[account], model->history[account],
                   model->history_count[account], after, before, descending, limit, &walked);
    }
    free(walked.entries);
}

static void test_randomized(void **state)
{
    struct fixture *fixture = *state;
    struct model *model = calloc(1, sizeof *model);
    struct model_batch *batch = calloc(1, sizeof *batch);
    assert_non_null(model);
    assert_non_null(batch);
    tpw_prng_seed(&model->prng, suite_seed);
    model->now = T0;
    model->next_id = TPW_U128(0, 2000000);
    for (size_t account = 0; account < MODEL_ACCOUNTS; account++) {
        /* Adjacent ids, some above 2^64. */
        model->accounts[account] = TPW_U128(account % 3, 5000 + account);
    }
    struct store_reader *reader = reader_begin(fixture->store);
    for (size_t round = 0; round < MODEL_CHECKPOINTS; round++) {
        model_checkpoint(model, batch, fixture->store);
        if (round % 6 == 5) {
            struct tpw_error_detail detail = {0};
            assert_err(store_reader_refresh(reader, &detail), TPW_OK);
            model_check_records(model, reader);
            model_check_pending(model, fixture->store);
            model_check_walks(model, reader);
        }
    }
    store_reader_end(reader);
    reopen(fixture, true);
    reader = reader_begin(fixture->store);
    model_check_records(model, reader);
    model_check_walks(model, reader);
    struct store_meta meta;
    struct tpw_error_detail detail = {0};
    assert_err(store_meta_get(fixture->store, &meta, &detail), TPW_OK);
    assert_meta_equal(&meta, &model->meta);
    store_reader_end(reader);
    for (size_t account = 0; account < MODEL_ACCOUNTS; account++) {
        free(model->history[account]);
    }
    free(model->records);
    free(model);
    free(batch);
}

/* ------------------------------------------------------------------------------------ */

int main(void)
{
    suite_seed = tpw_test_seed("test_store", 20261125);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_creates),
        T(test_open_missing_read_only),
        T(test_write_rejects_invalid),
        T(test_checkpoint_round_trip),
        T(test_load_callback_stops),
        T(test_resolve_pending_and_lower_ids),
        T(test_history_chunks),
        T(test_merge_keeps_pace),
        T(test_reader_snapshots),
        T(test_lookup_above_largest_id),
        T(test_handles_share_the_environment),
        T(test_writer_refused_while_open_read_only),
        T(test_corrupt_meta),
        T(test_corrupt_records),
        T(test_corrupt_load),
        T(test_corrupt_lookup_aborts),
        T(test_corrupt_largest_id),
        T(test_corrupt_recent_windows),
        T(test_corrupt_levels),
        T(test_randomized),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
