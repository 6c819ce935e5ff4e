/*
 * The checkpoint store (store.h): checkpoints, every transfer by id, pinned failures
 * and the pending set, in one LMDB environment; each account's history is written and
 * walked by store_history.c.
 *
 * Why LMDB: copy-on-write B+trees give one writer and any number of readers that never
 * block one another, each reader sees one committed snapshot, a commit is atomic and
 * durable (data pages, then the meta page, each fsync'd) with no log of its own to
 * replay, and reads come straight out of a memory map. The named databases and their
 * key encodings are described in store.h; the values are laid out as below. Integers
 * in values are little-endian, which is host order (ledger_int.h asserts it), so
 * records are copied whole; padding is never written.
 *
 *   value      bytes  layout
 *   meta          80  u32 format version (2), u32 zero, struct store_meta (72)
 *   asset         16  u32 number, u8 exponent, code[9], 2 zero bytes
 *   account      128  struct ledger_account
 *   transfer     152  struct ledger_transfer (128), u64 expires_at, u64 resolved_at,
 *                     u8 state, 7 zero bytes; 128 (the record alone) when the three
 *                     are zero: a transfer that never was pending
 *   failure       16  u64 timestamp, u32 result, u32 zero
 *   pending        0  (the key is the value)
 *   history   24 × n  struct store_history_entry (u64 id_lo, u64 id_hi, u64 timestamp);
 *                     the same in `recent.a` and `recent.b`
 *
 * LMDB hands out values at any alignment and records hold 128-bit fields, so values
 * are always memcpy'd into aligned structs before use.
 */
#include "store_lmdb.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes.h"
#include "tpw_assert.h"

#include "banned.h"

#define STORE_FORMAT_VERSION 2u
/* Owner and group: the store holds every balance and transfer of the ledger. */
#define STORE_DIR_MODE 0750
#define STORE_FILE_MODE 0640
#define STORE_PATH_MAX 4096

#define STORE_META_KEY "checkpoint"
#define STORE_META_BYTES (8 + sizeof(struct store_meta))
#define STORE_ASSET_BYTES 16u
#define STORE_ACCOUNT_BYTES sizeof(struct ledger_account)
#define STORE_RECORD_BYTES sizeof(struct ledger_transfer)

_Static_assert(sizeof(struct store_meta) == 72, "store_meta has no padding");
_Static_assert(sizeof(struct ledger_asset) == 16, "asset value matches the struct");
_Static_assert(offsetof(struct ledger_asset, exponent) == 4, "asset exponent at 4");
_Static_assert(offsetof(struct ledger_asset, code) == 5, "asset code at 5");
_Static_assert(offsetof(struct store_history_entry, timestamp) == 16, "entry timestamp at 16");

static const char *const store_db_names[STORE_DB_COUNT] = {
    "meta", "assets", "accounts", "transfers", "pending", "history", "recent.a", "recent.b",
};

/* ------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------ */

static bool store_rc_is_damage(int rc)
{
    return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID;
}

enum tpw_err store__lmdb_error(struct tpw_error_detail *detail, int rc, const char *operation)
{
    TPW_ASSERT(rc != MDB_SUCCESS);
    if (rc == MDB_MAP_FULL) {
        return tpw_error_set(detail, TPW_ERR_STORE, 0,
                             "cannot %s: the checkpoint store is full (map of %zu bytes)",
                             operation, STORE_MAP_SIZE_BYTES);
    }
    if (store_rc_is_damage(rc)) {
        return tpw_error_set(detail, TPW_ERR_STORE_CORRUPT, 0,
                             "cannot %s: the checkpoint store is damaged: %s", operation,
                             mdb_strerror(rc));
    }
    return tpw_error_set(detail, TPW_ERR_STORE, 0, "cannot %s in the checkpoint store: %s",
                         operation, mdb_strerror(rc));
}

enum tpw_err store__corrupt(struct tpw_error_detail *detail, const char *db, size_t key_size,
                            size_t value_size)
{
    return tpw_error_set(detail, TPW_ERR_STORE_CORRUPT, 0,
                         "damaged checkpoint store: \"%s\" holds a record with a %zu-byte key "
                         "and a %zu-byte value",
                         db, key_size, value_size);
}

/* store_transfer_get has no way to report: the state machine needs an answer. */
_Noreturn static void store_die(const char *what, tpw_u128 id, int rc)
{
    char text[TPW_U128_DEC_SIZE];
    (void)tpw_u128_to_dec(id, text, sizeof text);
    (void)fprintf(stderr, "tpwallet: checkpoint store: %s for transfer %s: %s\n", what, text,
                  rc == MDB_SUCCESS ? "unexpected value size" : mdb_strerror(rc));
    tpw__assert_fail("the checkpoint store answers a transfer lookup", __FILE__, __LINE__);
}

/* ------------------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------------------ */

static void store_meta_encode(const struct store_meta *meta, uint8_t out[STORE_META_BYTES])
{
    bytes_le32_store(out, STORE_FORMAT_VERSION);
    bytes_le32_store(out + 4, 0);
    memcpy(out + 8, meta, sizeof *meta);
}

static enum tpw_err store_meta_decode(const MDB_val *value, struct store_meta *out,
                                      struct tpw_error_detail *detail)
{
    if (value->mv_size != STORE_META_BYTES) {
        return store__corrupt(detail, "meta", sizeof STORE_META_KEY - 1, value->mv_size);
    }
    uint32_t version = bytes_le32_load(value->mv_data);
    if (version != STORE_FORMAT_VERSION) {
        /* The store is derived data: an older one is rebuilt, not converted. */
        return tpw_error_set(detail, TPW_ERR_STORE_CORRUPT, 0,
                             "the checkpoint store has format version %" PRIu32 " (expected %u)%s",
                             version, STORE_FORMAT_VERSION,
                             version < STORE_FORMAT_VERSION
                                 ? "; delete DATA/index/ and reopen to rebuild it from the journal"
                                 : "");
    }
    memcpy(out, (const uint8_t *)value->mv_data + 8, sizeof *out);
    return TPW_OK;
}

static void store_asset_encode(const struct ledger_asset *asset, uint8_t out[STORE_ASSET_BYTES])
{
    memset(out, 0, STORE_ASSET_BYTES);
    bytes_le32_store(out, asset->number);
    out[4] = asset->exponent;
    memcpy(out + 5, asset->code, sizeof asset->code);
}

static bool store_asset_decode(const MDB_val *key, const MDB_val *value, struct ledger_asset *out)
{
    if (key->mv_size != 4 || value->mv_size != STORE_ASSET_BYTES) {
        return false;
    }
    const uint8_t *bytes = value->mv_data;
    *out = (struct ledger_asset){0};
    out->number = bytes_le32_load(bytes);
    out->exponent = bytes[4];
    memcpy(out->code, bytes + 5, sizeof out->code);
    return out->number == bytes_be32_load(key->mv_data) && out->code[sizeof out->code - 1] == '\0';
}

void store_transfer_encode(const struct ledger_transfer *transfer,
                           const struct ledger__transfer_meta *meta,
                           uint8_t out[STORE_TRANSFER_BYTES])
{
    TPW_DEBUG_ASSERT(meta->state <= LEDGER_PENDING_EXPIRED);
    memcpy(out, transfer, STORE_RECORD_BYTES);
    bytes_le64_store(out + STORE_RECORD_BYTES, meta->expires_at);
    bytes_le64_store(out + STORE_RECORD_BYTES + 8, meta->resolved_at);
    memset(out + STORE_RECORD_BYTES + 16, 0, 8);
    out[STORE_RECORD_BYTES + 16] = meta->state;
}

void store_failure_encode(const struct ledger__failure *failure, uint8_t out[STORE_FAILURE_BYTES])
{
    bytes_le64_store(out, failure->timestamp);
    bytes_le32_store(out + 8, failure->result);
    bytes_le32_store(out + 12, 0);
}

/* Decodes a `transfers` value stored under `id`; NONE when it is neither shape. */
/* A transfer that never was pending: its meta is all zero and is not stored, which
 * saves 24 of the 176 bytes most transfers cost in the B-tree. */
static bool store_meta_is_plain(const struct ledger__transfer_meta *meta)
{
    return meta->state == LEDGER_PENDING_NONE && meta->expires_at == 0 && meta->resolved_at == 0;
}

static enum store_found store_record_decode(tpw_u128 id, const MDB_val *value,
                                            struct ledger_transfer *transfer,
                                            struct ledger__transfer_meta *meta,
                                            struct ledger__failure *failure)
{
    const uint8_t *bytes = value->mv_data;
    if (value->mv_size == STORE_RECORD_BYTES) {
        memcpy(transfer, bytes, STORE_RECORD_BYTES);
        *meta = (struct ledger__transfer_meta){.state = LEDGER_PENDING_NONE};
        return transfer->id == id ? STORE_FOUND_TRANSFER : STORE_FOUND_NONE;
    }
    if (value->mv_size == STORE_TRANSFER_BYTES) {
        memcpy(transfer, bytes, STORE_RECORD_BYTES);
        *meta = (struct ledger__transfer_meta){
            .expires_at = bytes_le64_load(bytes + STORE_RECORD_BYTES),
            .resolved_at = bytes_le64_load(bytes + STORE_RECORD_BYTES + 8),
            .state = bytes[STORE_RECORD_BYTES + 16],
        };
        return transfer->id == id ? STORE_FOUND_TRANSFER : STORE_FOUND_NONE;
    }
    if (value->mv_size == STORE_FAILURE_BYTES) {
        *failure = (struct ledger__failure){
            .id = id,
            .timestamp = bytes_le64_load(bytes),
            .result = bytes_le32_load(bytes + 8),
            .reserved = 0,
        };
        return STORE_FOUND_FAILURE;
    }
    return STORE_FOUND_NONE;
}

/* ------------------------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------------------------ */

static enum tpw_err store_dir_prepare(const char *dir, bool read_only,
                                      struct tpw_error_detail *detail)
{
    if (!read_only) {
        if (mkdir(dir, STORE_DIR_MODE) != 0 && errno != EEXIST) {
            return tpw_error_set(detail, errno == ENOENT ? TPW_ERR_NOT_FOUND : TPW_ERR_IO, 0,
                                 "cannot create \"%s\": %s", dir, strerror(errno));
        }
        return TPW_OK;
    }
    /* Checked first so that a read-only open never creates a lock file. */
    char path[STORE_PATH_MAX];
    int length = snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (length < 0 || (size_t)length >= sizeof path) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "store path too long");
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        return tpw_error_set(detail, errno == ENOENT ? TPW_ERR_NOT_FOUND : TPW_ERR_IO, 0,
                             "no checkpoint store in \"%s\": %s", dir, strerror(errno));
    }
    return TPW_OK;
}

/*
 * Sharing environments. LMDB's locks belong to the process (POSIX record locks), so
 * opening one environment twice in a process and closing one of them releases the
 * other's locks: the survivor's next reader then fails with MDB_BAD_RSLOT. LMDB's rule
 * is one environment per process, so every handle on a directory shares one, found by
 * the directory's device and inode under a lock.
 */
static pthread_mutex_t store_envs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store_env *store_envs;

static enum tpw_err store_env_create(struct store_env *shared, const char *dir,
                                     struct tpw_error_detail *detail)
{
    int rc = mdb_env_create(&shared->env);
    if (rc != MDB_SUCCESS) {
        shared->env = NULL;
        return store__lmdb_error(detail, rc, "create the environment");
    }
    rc = mdb_env_set_maxdbs(shared->env, STORE_DB_COUNT);
    if (rc == MDB_SUCCESS) {
        rc = mdb_env_set_mapsize(shared->env, STORE_MAP_SIZE_BYTES);
    }
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "configure the environment");
    }
    /* MDB_NOTLS: a read transaction belongs to its handle, not to the thread that began
     * it, so the ledger may hand a reader to another thread. */
    unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | (shared->read_only ? MDB_RDONLY : 0u);
    rc = mdb_env_open(shared->env, dir, flags, STORE_FILE_MODE);
    if (rc == ENOENT) {
        return tpw_error_set(detail, TPW_ERR_NOT_FOUND, 0, "no checkpoint store in \"%s\"", dir);
    }
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "open the environment");
    }
    return TPW_OK;
}

static enum tpw_err store_dbis_open(struct store_env *shared, struct tpw_error_detail *detail)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(shared->env, NULL, shared->read_only ? MDB_RDONLY : 0u, &txn);
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "begin a transaction");
    }
    unsigned flags = shared->read_only ? 0u : MDB_CREATE;
    for (size_t index = 0; index < STORE_DB_COUNT && rc == MDB_SUCCESS; index++) {
        rc = mdb_dbi_open(txn, store_db_names[index], flags, &shared->dbis[index]);
    }
    if (rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        if (rc == MDB_NOTFOUND) {
            return tpw_error_set(detail, TPW_ERR_NOT_FOUND, 0,
                                 "the checkpoint store was never initialized");
        }
        return store__lmdb_error(detail, rc, "open the databases");
    }
    /* Committing (even a read transaction) keeps the handles for the environment. */
    rc = mdb_txn_commit(txn);
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "create the databases");
    }
    return TPW_OK;
}

static void store_env_destroy(struct store_env *shared)
{
    if (shared->env != NULL) {
        mdb_env_close(shared->env);
    }
    free(shared);
}

/* A new environment for `dir`, listed for later handles. Called with the lock held. */
static enum tpw_err store_env_add(const char *dir, const struct stat *st, bool read_only,
                                  struct store_env **out, struct tpw_error_detail *detail)
{
    struct store_env *shared = calloc(1, sizeof *shared);
    if (shared == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory opening the store");
    }
    *shared = (struct store_env){.dev = st->st_dev, .ino = st->st_ino, .read_only = read_only};
    enum tpw_err err = store_env_create(shared, dir, detail);
    if (err == TPW_OK) {
        err = store_dbis_open(shared, detail);
    }
    if (err != TPW_OK) {
        store_env_destroy(shared);
        return err;
    }
    shared->next = store_envs;
    store_envs = shared;
    *out = shared;
    return TPW_OK;
}

/* The environment for `dir`, shared when this process has it open already. A writer
 * cannot join an environment opened read-only: LMDB cannot upgrade it. */
static enum tpw_err store_env_acquire(const char *dir, bool read_only, struct store_env **out,
                                      struct tpw_error_detail *detail)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        return tpw_error_set(detail, errno == ENOENT ? TPW_ERR_NOT_FOUND : TPW_ERR_IO, 0,
                             "cannot open the checkpoint store \"%s\": %s", dir, strerror(errno));
    }
    enum tpw_err err = TPW_OK;
    int rc = pthread_mutex_lock(&store_envs_lock);
    TPW_ASSERT(rc == 0);
    struct store_env *shared = store_envs;
    while (shared != NULL && (shared->dev != st.st_dev || shared->ino != st.st_ino)) {
        shared = shared->next;
    }
    if (shared == NULL) {
        err = store_env_add(dir, &st, read_only, &shared, detail);
    } else if (shared->read_only && !read_only) {
        err = tpw_error_set(detail, TPW_ERR_LEDGER_LOCKED, 0,
                            "the checkpoint store \"%s\" is open read-only in this process; "
                            "close that handle before opening a writer",
                            dir);
    }
    if (err == TPW_OK) {
        TPW_ASSERT(shared != NULL); /* found, or added */
        shared->users++;
        *out = shared;
    }
    rc = pthread_mutex_unlock(&store_envs_lock);
    TPW_ASSERT(rc == 0);
    return err;
}

static void store_env_release(struct store_env *shared)
{
    int rc = pthread_mutex_lock(&store_envs_lock);
    TPW_ASSERT(rc == 0);
    TPW_ASSERT(shared->users > 0);
    bool last = --shared->users == 0;
    if (last) {
        struct store_env **link = &store_envs;
        while (*link != shared) {
            link = &(*link)->next;
        }
        *link = shared->next;
    }
    rc = pthread_mutex_unlock(&store_envs_lock);
    TPW_ASSERT(rc == 0);
    if (last) {
        store_env_destroy(shared);
    }
}

enum tpw_err store_open(const char *dir, bool read_only, struct store **out,
                        struct tpw_error_detail *detail)
{
    if (dir == NULL || out == NULL || dir[0] == '\0') {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "invalid store directory");
    }
    *out = NULL;
    enum tpw_err err = store_dir_prepare(dir, read_only, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct store *store = calloc(1, sizeof *store);
    if (store == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory opening the store");
    }
    err = store_env_acquire(dir, read_only, &store->shared, detail);
    if (err != TPW_OK) {
        free(store);
        return err;
    }
    TPW_ASSERT(store->shared != NULL);
    store->read_only = read_only;
    *out = store;
    return TPW_OK;
}

void store_close(struct store *store)
{
    if (store == NULL) {
        return;
    }
    store_env_release(store->shared);
    free(store->order);
    free(store);
}

/* ------------------------------------------------------------------------------------
 * Writing a checkpoint
 * ------------------------------------------------------------------------------------ */

static int store_order_compare(const void *a, const void *b)
{
    const struct store_order *left = a;
    const struct store_order *right = b;
    if (left->id != right->id) {
        return left->id < right->id ? -1 : 1;
    }
    if (left->kind != right->kind) {
        return left->kind < right->kind ? -1 : 1;
    }
    if (left->index != right->index) {
        return left->index < right->index ? -1 : 1;
    }
    return 0;
}

/* Sorts unless already in order: ids usually arrive ascending, so one pass suffices. */
void store__order_sort(struct store_order *order, size_t count)
{
    for (size_t index = 1; index < count; index++) {
        if (store_order_compare(&order[index - 1], &order[index]) > 0) {
            qsort(order, count, sizeof *order, store_order_compare);
            TPW_DEBUG_ASSERT(store_order_compare(&order[0], &order[count - 1]) < 0);
            return;
        }
    }
}

enum tpw_err store__order_reserve(struct store *store, size_t count,
                                  struct tpw_error_detail *detail)
{
    if (count <= store->order_capacity) {
        return TPW_OK;
    }
    size_t capacity = store->order_capacity * 2 > count ? store->order_capacity * 2 : count;
    size_t bytes = 0;
    if (__builtin_mul_overflow(capacity, sizeof *store->order, &bytes)) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "checkpoint of %zu items too large", count);
    }
    struct store_order *bigger = realloc(store->order, bytes);
    if (bigger == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory sorting a checkpoint");
    }
    store->order = bigger;
    store->order_capacity = capacity;
    return TPW_OK;
}

static enum tpw_err store_write_assets(struct store *store, MDB_txn *txn,
                                       const struct store_checkpoint *checkpoint,
                                       struct tpw_error_detail *detail)
{
    for (uint32_t index = 0; index < checkpoint->asset_count; index++) {
        const struct ledger_asset *asset = &checkpoint->assets[index];
        uint8_t key_bytes[4];
        uint8_t value_bytes[STORE_ASSET_BYTES];
        bytes_be32_store(key_bytes, asset->number);
        store_asset_encode(asset, value_bytes);
        MDB_val key = store__val(key_bytes, sizeof key_bytes);
        MDB_val value = store__val(value_bytes, sizeof value_bytes);
        int rc = mdb_put(txn, store->shared->dbis[STORE_DB_ASSETS], &key, &value, 0);
        if (rc != MDB_SUCCESS) {
            return store__lmdb_error(detail, rc, "write assets");
        }
    }
    return TPW_OK;
}

/* Accounts in key (creation timestamp) order: consecutive puts then land on the same
 * leaf pages, where the window's order (first change) would visit them at random. */
static enum tpw_err store_write_accounts(struct store *store, MDB_txn *txn,
                                         const struct store_checkpoint *checkpoint,
                                         struct tpw_error_detail *detail)
{
    size_t count = checkpoint->account_count;
    enum tpw_err err = store__order_reserve(store, count, detail);
    if (err != TPW_OK) {
        return err;
    }
    for (size_t index = 0; index < count; index++) {
        store->order[index] =
            (struct store_order){.id = checkpoint->accounts[index].timestamp, .index = index};
    }
    store__order_sort(store->order, count);
    for (size_t index = 0; index < count; index++) {
        const struct ledger_account *account = &checkpoint->accounts[store->order[index].index];
        uint8_t key_bytes[8];
        bytes_be64_store(key_bytes, account->timestamp);
        MDB_val key = store__val(key_bytes, sizeof key_bytes);
        MDB_val value = store__val(account, STORE_ACCOUNT_BYTES);
        int rc = mdb_put(txn, store->shared->dbis[STORE_DB_ACCOUNTS], &key, &value, 0);
        if (rc != MDB_SUCCESS) {
            return store__lmdb_error(detail, rc, "write accounts");
        }
    }
    return TPW_OK;
}

/* Transfers and failures in one id order (they share the `transfers` database). */
static enum tpw_err store_order_records(struct store *store,
                                        const struct store_checkpoint *checkpoint,
                                        size_t *count /* out */, struct tpw_error_detail *detail)
{
    size_t transfers = checkpoint->transfer_count;
    size_t total = 0;
    if (__builtin_add_overflow(transfers, checkpoint->failure_count, &total)) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "checkpoint too large");
    }
    enum tpw_err err = store__order_reserve(store, total, detail);
    if (err != TPW_OK) {
        return err;
    }
    for (size_t index = 0; index < transfers; index++) {
        store->order[index] = (struct store_order){
            .id = checkpoint->transfers[index].id,
            .index = index,
            .kind = STORE_ORDER_TRANSFER,
        };
    }
    for (size_t index = 0; index < checkpoint->failure_count; index++) {
        store->order[transfers + index] = (struct store_order){
            .id = checkpoint->failures[index].id,
            .index = index,
            .kind = STORE_ORDER_FAILURE,
        };
    }
    store__order_sort(store->order, total);
    *count = total;
    return TPW_OK;
}

/* A transfer still pending joins `pending`; a resolved one leaves it. A transfer in
 * state NONE was never pending (states only move PENDING → POSTED/VOIDED/EXPIRED), so
 * it needs no delete: that keeps the common case to one B-tree operation. */
static int store_pending_update(struct store *store, MDB_txn *txn, MDB_val *key, uint8_t state)
{
    if (state == LEDGER_PENDING_NONE) {
        return MDB_SUCCESS;
    }
    if (state == LEDGER_PENDING_PENDING) {
        static const uint8_t empty = 0;
        MDB_val value = store__val(&empty, 0);
        return mdb_put(txn, store->shared->dbis[STORE_DB_PENDING], key, &value, 0);
    }
    int rc = mdb_del(txn, store->shared->dbis[STORE_DB_PENDING], key, NULL);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* The cursor's append point: the largest id stored, with *have = false when empty. */
static int store_last_id(MDB_cursor *cursor, tpw_u128 *last, bool *have)
{
    MDB_val key;
    MDB_val value;
    int rc = mdb_cursor_get(cursor, &key, &value, MDB_LAST);
    *have = rc == MDB_SUCCESS;
    *last = 0;
    if (rc == MDB_NOTFOUND) {
        return MDB_SUCCESS;
    }
    if (rc == MDB_SUCCESS) {
        if (key.mv_size != STORE_ID_KEY_BYTES) {
            return MDB_CORRUPTED;
        }
        *last = bytes_be128_load(key.mv_data);
    }
    return rc;
}

/* Puts one ordered item. Ids beyond the last key are appended (no search, full
 * pages); anything else, such as a pending transfer rewritten once resolved, is put. */
static int store_put_record(struct store *store, MDB_txn *txn, MDB_cursor *cursor,
                            const struct store_checkpoint *checkpoint,
                            const struct store_order *item, tpw_u128 *last, bool *have_last)
{
    uint8_t key_bytes[STORE_ID_KEY_BYTES];
    uint8_t value_bytes[STORE_TRANSFER_BYTES];
    bytes_be128_store(key_bytes, item->id);
    MDB_val key = store__val(key_bytes, sizeof key_bytes);
    MDB_val value = store__val(value_bytes, STORE_FAILURE_BYTES);
    const struct ledger__transfer_meta *meta = NULL;
    if (item->kind == STORE_ORDER_TRANSFER) {
        meta = &checkpoint->metas[item->index];
        if (store_meta_is_plain(meta)) {
            value = store__val(&checkpoint->transfers[item->index], STORE_RECORD_BYTES);
        } else {
            store_transfer_encode(&checkpoint->transfers[item->index], meta, value_bytes);
            value.mv_size = STORE_TRANSFER_BYTES;
        }
    } else {
        store_failure_encode(&checkpoint->failures[item->index], value_bytes);
    }
    bool append = !*have_last || item->id > *last;
    int rc = mdb_cursor_put(cursor, &key, &value, append ? MDB_APPEND : 0u);
    if (rc != MDB_SUCCESS) {
        return rc;
    }
    if (append) {
        *last = item->id;
        *have_last = true;
    }
    if (meta != NULL) {
        rc = store_pending_update(store, txn, &key, meta->state);
    }
    return rc;
}

static enum tpw_err store_write_records(struct store *store, MDB_txn *txn,
                                        const struct store_checkpoint *checkpoint,
                                        struct tpw_error_detail *detail)
{
    size_t count = 0;
    enum tpw_err err = store_order_records(store, checkpoint, &count, detail);
    if (err != TPW_OK || count == 0) {
        return err;
    }
    MDB_cursor *cursor = NULL;
    int rc = mdb_cursor_open(txn, store->shared->dbis[STORE_DB_TRANSFERS], &cursor);
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "open a cursor on transfers");
    }
    tpw_u128 last = 0;
    bool have_last = false;
    rc = store_last_id(cursor, &last, &have_last);
    for (size_t index = 0; index < count && rc == MDB_SUCCESS; index++) {
        rc = store_put_record(store, txn, cursor, checkpoint, &store->order[index], &last,
                              &have_last);
    }
    mdb_cursor_close(cursor);
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "write transfers");
    }
    return TPW_OK;
}

static enum tpw_err store_write_meta(struct store *store, MDB_txn *txn,
                                     const struct store_meta *meta, struct tpw_error_detail *detail)
{
    uint8_t value_bytes[STORE_META_BYTES];
    store_meta_encode(meta, value_bytes);
    MDB_val key = store__val(STORE_META_KEY, sizeof STORE_META_KEY - 1);
    MDB_val value = store__val(value_bytes, sizeof value_bytes);
    int rc = mdb_put(txn, store->shared->dbis[STORE_DB_META], &key, &value, 0);
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "write the checkpoint meta");
    }
    return TPW_OK;
}

static bool store_checkpoint_valid(const struct store_checkpoint *checkpoint)
{
    if (checkpoint->asset_count > 0 && checkpoint->assets == NULL) {
        return false;
    }
    if (checkpoint->account_count > 0 && checkpoint->accounts == NULL) {
        return false;
    }
    if (checkpoint->transfer_count > 0 &&
        (checkpoint->transfers == NULL || checkpoint->metas == NULL)) {
        return false;
    }
    if (checkpoint->failure_count > 0 && checkpoint->failures == NULL) {
        return false;
    }
    if (checkpoint->history_count > 0 && checkpoint->histories == NULL) {
        return false;
    }
    for (size_t index = 0; index < checkpoint->history_count; index++) {
        const struct store_history *history = &checkpoint->histories[index];
        if (history->count > 0 && history->entries == NULL) {
            return false;
        }
    }
    return true;
}

enum tpw_err store_write(struct store *store, const struct store_checkpoint *checkpoint,
                         struct tpw_error_detail *detail)
{
    if (store == NULL || checkpoint == NULL || !store_checkpoint_valid(checkpoint)) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "invalid checkpoint");
    }
    if (store->read_only) {
        return tpw_error_set(detail, TPW_ERR_LEDGER_READ_ONLY, 0,
                             "the checkpoint store is open read-only");
    }
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(store->shared->env, NULL, 0, &txn);
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "begin a checkpoint");
    }
    enum tpw_err err = store_write_assets(store, txn, checkpoint, detail);
    if (err == TPW_OK) {
        err = store_write_accounts(store, txn, checkpoint, detail);
    }
    if (err == TPW_OK) {
        err = store__history_write(store, txn, checkpoint, detail);
    }
    if (err == TPW_OK) {
        err = store_write_records(store, txn, checkpoint, detail);
    }
    if (err == TPW_OK) {
        err = store_write_meta(store, txn, &checkpoint->meta, detail);
    }
    if (err != TPW_OK) {
        mdb_txn_abort(txn);
        return err;
    }
    rc = mdb_txn_commit(txn); /* frees the transaction whatever the outcome */
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "commit a checkpoint");
    }
    return TPW_OK;
}

/* ------------------------------------------------------------------------------------
 * Loading the hot state
 * ------------------------------------------------------------------------------------ */

static enum tpw_err store_read_begin(struct store *store, MDB_txn **txn,
                                     struct tpw_error_detail *detail)
{
    int rc = mdb_txn_begin(store->shared->env, NULL, MDB_RDONLY, txn);
    if (rc != MDB_SUCCESS) {
        *txn = NULL;
        return store__lmdb_error(detail, rc, "begin a read transaction");
    }
    return TPW_OK;
}

enum tpw_err store_meta_get(struct store *store, struct store_meta *out,
                            struct tpw_error_detail *detail)
{
    if (store == NULL || out == NULL) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "invalid store or output");
    }
    *out = (struct store_meta){0};
    MDB_txn *txn = NULL;
    enum tpw_err err = store_read_begin(store, &txn, detail);
    if (err != TPW_OK) {
        return err;
    }
    MDB_val key = store__val(STORE_META_KEY, sizeof STORE_META_KEY - 1);
    MDB_val value;
    int rc = mdb_get(txn, store->shared->dbis[STORE_DB_META], &key, &value);
    if (rc == MDB_SUCCESS) {
        err = store_meta_decode(&value, out, detail);
    } else if (rc != MDB_NOTFOUND) {
        err = store__lmdb_error(detail, rc, "read the checkpoint meta");
    }
    mdb_txn_abort(txn);
    return err;
}

/* What store_load passes to each per-database loader. */
struct store_load {
    struct store *store;
    MDB_txn *txn;
    store_asset_fn on_asset;
    store_account_fn on_account;
    store_transfer_fn on_pending;
    void *ctx;
};

static enum tpw_err store_load_asset(const struct store_load *load, const MDB_val *key,
                                     const MDB_val *value, struct tpw_error_detail *detail)
{
    struct ledger_asset asset;
    if (!store_asset_decode(key, value, &asset)) {
        return store__corrupt(detail, "assets", key->mv_size, value->mv_size);
    }
    return load->on_asset != NULL ? load->on_asset(load->ctx, &asset) : TPW_OK;
}

static enum tpw_err store_load_account(const struct store_load *load, const MDB_val *key,
                                       const MDB_val *value, struct tpw_error_detail *detail)
{
    if (key->mv_size != 8 || value->mv_size != STORE_ACCOUNT_BYTES) {
        return store__corrupt(detail, "accounts", key->mv_size, value->mv_size);
    }
    struct ledger_account account;
    memcpy(&account, value->mv_data, sizeof account);
    if (account.timestamp != bytes_be64_load(key->mv_data)) {
        return store__corrupt(detail, "accounts", key->mv_size, value->mv_size);
    }
    return load->on_account != NULL ? load->on_account(load->ctx, &account) : TPW_OK;
}

static enum tpw_err store_load_pending(const struct store_load *load, const MDB_val *key,
                                       const MDB_val *value, struct tpw_error_detail *detail)
{
    if (key->mv_size != STORE_ID_KEY_BYTES) {
        return store__corrupt(detail, "pending", key->mv_size, value->mv_size);
    }
    tpw_u128 id = bytes_be128_load(key->mv_data);
    MDB_val lookup = *key;
    MDB_val found;
    int rc = mdb_get(load->txn, load->store->shared->dbis[STORE_DB_TRANSFERS], &lookup, &found);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        return store__lmdb_error(detail, rc, "read a pending transfer");
    }
    struct ledger_transfer transfer;
    struct ledger__transfer_meta meta;
    struct ledger__failure failure;
    if (rc == MDB_NOTFOUND ||
        store_record_decode(id, &found, &transfer, &meta, &failure) != STORE_FOUND_TRANSFER ||
        meta.state != LEDGER_PENDING_PENDING) {
        char text[TPW_U128_DEC_SIZE];
        (void)tpw_u128_to_dec(id, text, sizeof text);
        return tpw_error_set(detail, TPW_ERR_STORE_CORRUPT, 0,
                             "damaged checkpoint store: pending transfer %s is not a stored "
                             "pending transfer",
                             text);
    }
    return load->on_pending != NULL ? load->on_pending(load->ctx, &transfer, &meta) : TPW_OK;
}

typedef enum tpw_err (*store_load_fn)(const struct store_load *load, const MDB_val *key,
                                      const MDB_val *value, struct tpw_error_detail *detail);

/* Calls `each` for every record of database `db` in key order. */
static enum tpw_err store_load_db(const struct store_load *load, enum store_db db,
                                  store_load_fn each, struct tpw_error_detail *detail)
{
    MDB_cursor *cursor = NULL;
    int rc = mdb_cursor_open(load->txn, load->store->shared->dbis[db], &cursor);
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "open a cursor");
    }
    enum tpw_err err = TPW_OK;
    MDB_val key;
    MDB_val value;
    rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST);
    while (rc == MDB_SUCCESS && err == TPW_OK) {
        err = each(load, &key, &value, detail);
        if (err == TPW_OK) {
            rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT);
        }
    }
    mdb_cursor_close(cursor);
    if (err == TPW_OK && rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        err = store__lmdb_error(detail, rc, "load the hot state");
    }
    return err;
}

enum tpw_err store_load(struct store *store, store_asset_fn on_asset, store_account_fn on_account,
                        store_transfer_fn on_pending, void *ctx, struct tpw_error_detail *detail)
{
    if (store == NULL) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "no store");
    }
    struct store_load load = {
        .store = store,
        .on_asset = on_asset,
        .on_account = on_account,
        .on_pending = on_pending,
        .ctx = ctx,
    };
    enum tpw_err err = store_read_begin(store, &load.txn, detail);
    if (err == TPW_OK) {
        err = store_load_db(&load, STORE_DB_ASSETS, store_load_asset, detail);
    }
    if (err == TPW_OK) {
        err = store_load_db(&load, STORE_DB_ACCOUNTS, store_load_account, detail);
    }
    if (err == TPW_OK) {
        err = store_load_db(&load, STORE_DB_PENDING, store_load_pending, detail);
    }
    if (load.txn != NULL) {
        mdb_txn_abort(load.txn);
    }
    return err;
}

/* ------------------------------------------------------------------------------------
 * Readers
 * ------------------------------------------------------------------------------------ */

void store_reader_end(struct store_reader *reader)
{
    if (reader == NULL) {
        return;
    }
    /* Read-only cursors outlive their transaction and are closed on their own. */
    if (reader->history != NULL) {
        mdb_cursor_close(reader->history);
    }
    if (reader->transfers != NULL) {
        mdb_cursor_close(reader->transfers);
    }
    if (reader->txn != NULL) {
        mdb_txn_abort(reader->txn);
    }
    free(reader);
}

/*
 * Reads the largest stored id, which lets store_transfer_get answer "not stored" for
 * any id above it without a B-tree search. Clients that make ids in time order (as the
 * API's docs recommend) get that for every new transfer: most lookups are for new ids.
 */
static int reader_bound(struct store_reader *reader)
{
    MDB_val key;
    MDB_val value;
    int rc = mdb_cursor_get(reader->transfers, &key, &value, MDB_LAST);
    reader->id_max = 0;
    if (rc == MDB_NOTFOUND) {
        return MDB_SUCCESS;
    }
    if (rc == MDB_SUCCESS && key.mv_size != STORE_ID_KEY_BYTES) {
        return MDB_CORRUPTED;
    }
    if (rc == MDB_SUCCESS) {
        reader->id_max = bytes_be128_load(key.mv_data);
    }
    return rc;
}

/* Opens the reader's cursors and reads what it keeps of the snapshot. */
static int reader_cursors_open(struct store_reader *reader)
{
    const MDB_dbi *dbis = reader->store->shared->dbis;
    int rc = mdb_cursor_open(reader->txn, dbis[STORE_DB_HISTORY], &reader->history);
    if (rc == MDB_SUCCESS) {
        rc = mdb_cursor_open(reader->txn, dbis[STORE_DB_TRANSFERS], &reader->transfers);
    }
    if (rc == MDB_SUCCESS) {
        rc = reader_bound(reader);
    }
    return rc;
}

enum tpw_err store_reader_begin(struct store *store, struct store_reader **out,
                                struct tpw_error_detail *detail)
{
    if (store == NULL || out == NULL) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "invalid store or output");
    }
    *out = NULL;
    struct store_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for a store reader");
    }
    reader->store = store;
    enum tpw_err err = store_read_begin(store, &reader->txn, detail);
    if (err == TPW_OK) {
        int rc = reader_cursors_open(reader);
        if (rc != MDB_SUCCESS) {
            err = store__lmdb_error(detail, rc, "open a reader's cursors");
        }
    }
    if (err == TPW_OK) {
        err = store__levels_read(reader, detail);
    }
    if (err != TPW_OK) {
        store_reader_end(reader);
        return err;
    }
    *out = reader;
    return TPW_OK;
}

enum tpw_err store_reader_refresh(struct store_reader *reader, struct tpw_error_detail *detail)
{
    if (reader == NULL) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "no reader");
    }
    /* Reset releases the old snapshot (so the writer may reuse its pages); renew takes
     * the latest one, keeping the transaction's reader slot. */
    mdb_txn_reset(reader->txn);
    int rc = mdb_txn_renew(reader->txn);
    if (rc == MDB_SUCCESS) {
        rc = mdb_cursor_renew(reader->txn, reader->history);
    }
    if (rc == MDB_SUCCESS) {
        rc = mdb_cursor_renew(reader->txn, reader->transfers);
    }
    if (rc == MDB_SUCCESS) {
        rc = reader_bound(reader);
    }
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "refresh a reader");
    }
    return store__levels_read(reader, detail);
}

enum store_found store_transfer_get(struct store_reader *reader, tpw_u128 id,
                                    struct ledger_transfer *transfer,
                                    struct ledger__transfer_meta *meta,
                                    struct ledger__failure *failure)
{
    TPW_ASSERT(reader != NULL);
    TPW_ASSERT(transfer != NULL && meta != NULL && failure != NULL);
    if (id > reader->id_max) {
        return STORE_FOUND_NONE;
    }
    uint8_t key_bytes[STORE_ID_KEY_BYTES];
    bytes_be128_store(key_bytes, id);
    MDB_val key = store__val(key_bytes, sizeof key_bytes);
    MDB_val value;
    int rc = mdb_get(reader->txn, reader->store->shared->dbis[STORE_DB_TRANSFERS], &key, &value);
    if (rc == MDB_NOTFOUND) {
        return STORE_FOUND_NONE;
    }
    if (rc != MDB_SUCCESS) {
        store_die("lookup failed", id, rc);
    }
    enum store_found found = store_record_decode(id, &value, transfer, meta, failure);
    if (found == STORE_FOUND_NONE) {
        store_die("damaged record", id, MDB_SUCCESS);
    }
    return found;
}

/* ------------------------------------------------------------------------------------
 * Every transfer
 * ------------------------------------------------------------------------------------ */

enum tpw_err store_each_transfer(struct store_reader *reader, store_each_fn visit, void *ctx,
                                 struct tpw_error_detail *detail)
{
    if (reader == NULL || visit == NULL) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "invalid transfer walk");
    }
    MDB_val key;
    MDB_val value;
    int rc = mdb_cursor_get(reader->transfers, &key, &value, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        if (key.mv_size != STORE_ID_KEY_BYTES) {
            return store__corrupt(detail, "transfers", key.mv_size, value.mv_size);
        }
        tpw_u128 id = bytes_be128_load(key.mv_data);
        struct ledger_transfer transfer;
        struct ledger__transfer_meta meta;
        struct ledger__failure failure;
        enum store_found found = store_record_decode(id, &value, &transfer, &meta, &failure);
        if (found == STORE_FOUND_NONE) {
            return store__corrupt(detail, "transfers", key.mv_size, value.mv_size);
        }
        bool more = found == STORE_FOUND_TRANSFER ? visit(ctx, id, &transfer, &meta, NULL)
                                                  : visit(ctx, id, NULL, NULL, &failure);
        if (!more) {
            return TPW_OK;
        }
        rc = mdb_cursor_get(reader->transfers, &key, &value, MDB_NEXT);
    }
    if (rc != MDB_NOTFOUND) {
        return store__lmdb_error(detail, rc, "walk the transfers");
    }
    return TPW_OK;
}
