/*
 * Account histories in the checkpoint store: which transfers touched an account, in
 * timestamp order, on two levels.
 *
 *   recent.a, recent.b   checkpoint sequence (u64 BE) ++ account id (u128 BE) → that
 *                        checkpoint's entries for the account. One of the two is
 *                        *active*: each checkpoint appends one "window" at its end
 *                        (MDB_APPEND: full pages, written once, no search).
 *   history              account id (u128 BE) ++ first timestamp (u64 BE) → entries.
 *
 * When the active database holds STORE_RECENT_WINDOWS windows it is *sealed* and the
 * other one becomes active. The next STORE_RECENT_WINDOWS checkpoints merge the sealed
 * windows into `history`, a slice of accounts each (in account order, one value per
 * account), and the last of them empties the sealed database (mdb_drop) before it is
 * needed again. The merge state (`meta` key "history") says which database is active,
 * whether the other is being merged, and the boundary: accounts below it are merged.
 *
 * Why: putting each checkpoint's histories straight into per-account chunks lands one
 * put on nearly every leaf of a tree keyed by account, so a checkpoint rewrote about
 * one 4 KiB page per account that moved, three quarters of its pages. Appending costs
 * only the bytes appended; the merge pays the per-account price once per
 * STORE_RECENT_WINDOWS checkpoints, and slicing it keeps every checkpoint about the
 * same size, so the writer never waits behind one large merge (bench/RESULTS.md).
 *
 * A walk reads `history`, then (for an account at or above the boundary) the sealed
 * windows, then the active ones: one lookup per window. Every entry of a window is
 * later than every entry merged before it. Each step runs inside a checkpoint's
 * transaction, so readers see a consistent state.
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "store_lmdb.h"
#include "tpw_assert.h"

#include "banned.h"

/* ------------------------------------------------------------------------------------
 * Chunks: values of either level, 24-byte entries in timestamp order
 * ------------------------------------------------------------------------------------ */

static bool chunk_valid(const MDB_val *value)
{
    return value->mv_size != 0 && value->mv_size % STORE_ENTRY_BYTES == 0;
}

static void entry_get(const MDB_val *value, size_t index, struct store_history_entry *out)
{
    memcpy(out, (const uint8_t *)value->mv_data + index * STORE_ENTRY_BYTES, sizeof *out);
}

static uint64_t entry_timestamp(const MDB_val *value, size_t index)
{
    const uint8_t *entry = (const uint8_t *)value->mv_data + index * STORE_ENTRY_BYTES;
    return bytes_le64_load(entry + offsetof(struct store_history_entry, timestamp));
}

/* The first entry later than `timestamp` (the count when there is none): a merged
 * chunk of a busy account holds millions of entries. */
static size_t chunk_after(const MDB_val *value, uint64_t timestamp)
{
    size_t low = 0;
    size_t high = value->mv_size / STORE_ENTRY_BYTES;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (entry_timestamp(value, middle) <= timestamp) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

/* ------------------------------------------------------------------------------------
 * The levels: merge state and window lists
 * ------------------------------------------------------------------------------------ */

#define LEVELS_KEY "history"
#define LEVELS_BYTES 24u /* u32 active, u32 merging, u128 boundary (little-endian) */

static MDB_dbi window_dbi(const struct store *store, uint32_t which)
{
    return store->shared->dbis[which == 0 ? STORE_DB_RECENT_A : STORE_DB_RECENT_B];
}

/* Lists the windows of one database by skipping from each one's first key to the
 * next one's: one seek per window. More than STORE_RECENT_WINDOWS is damage. */
static int windows_list(MDB_txn *txn, MDB_dbi dbi, uint64_t windows[STORE_RECENT_WINDOWS],
                        uint32_t *count)
{
    MDB_cursor *cursor = NULL;
    int rc = mdb_cursor_open(txn, dbi, &cursor);
    uint8_t seek[STORE_RECENT_KEY_BYTES] = {0};
    *count = 0;
    while (rc == MDB_SUCCESS) {
        MDB_val key = store__val(seek, sizeof seek);
        MDB_val value;
        rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE);
        if (rc != MDB_SUCCESS) {
            break;
        }
        if (key.mv_size != STORE_RECENT_KEY_BYTES || *count == STORE_RECENT_WINDOWS) {
            rc = MDB_CORRUPTED;
            break;
        }
        uint64_t sequence = bytes_be64_load(key.mv_data);
        windows[(*count)++] = sequence;
        if (sequence == UINT64_MAX) {
            rc = MDB_NOTFOUND;
            break;
        }
        bytes_be64_store(seek, sequence + 1); /* the account part stays zero */
    }
    if (cursor != NULL) {
        mdb_cursor_close(cursor);
    }
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* Reads the merge state; a new store has none (recent.a active, nothing merging). */
static enum tpw_err levels_get(MDB_txn *txn, const struct store *store, struct store_levels *levels,
                               struct tpw_error_detail *detail)
{
    *levels = (struct store_levels){0};
    MDB_val key = store__val(LEVELS_KEY, sizeof LEVELS_KEY - 1);
    MDB_val value;
    int rc = mdb_get(txn, store->shared->dbis[STORE_DB_META], &key, &value);
    if (rc == MDB_NOTFOUND) {
        return TPW_OK;
    }
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "read the history levels");
    }
    const uint8_t *bytes = value.mv_data;
    uint32_t active = value.mv_size == LEVELS_BYTES ? bytes_le32_load(bytes) : 2;
    uint32_t merging = value.mv_size == LEVELS_BYTES ? bytes_le32_load(bytes + 4) : 2;
    if (active > 1 || merging > 1) {
        return store__corrupt(detail, "meta", key.mv_size, value.mv_size);
    }
    levels->active = active;
    levels->merging = merging == 1;
    levels->boundary = bytes_le128_load(bytes + 8);
    return TPW_OK;
}

static int levels_put(MDB_txn *txn, const struct store *store, const struct store_levels *levels)
{
    uint8_t bytes[LEVELS_BYTES];
    bytes_le32_store(bytes, levels->active);
    bytes_le32_store(bytes + 4, levels->merging ? 1 : 0);
    bytes_le128_store(bytes + 8, levels->boundary);
    MDB_val key = store__val(LEVELS_KEY, sizeof LEVELS_KEY - 1);
    MDB_val value = store__val(bytes, sizeof bytes);
    return mdb_put(txn, store->shared->dbis[STORE_DB_META], &key, &value, 0);
}

enum tpw_err store__levels_read(struct store_reader *reader, struct tpw_error_detail *detail)
{
    struct store_levels *levels = &reader->levels;
    enum tpw_err err = levels_get(reader->txn, reader->store, levels, detail);
    for (uint32_t which = 0; which < 2 && err == TPW_OK; which++) {
        int rc = windows_list(reader->txn, window_dbi(reader->store, which), levels->windows[which],
                              &levels->window_count[which]);
        if (rc != MDB_SUCCESS) {
            err = store__lmdb_error(detail, rc, "list the history windows");
        }
    }
    return err;
}

/* ------------------------------------------------------------------------------------
 * Writing: append a window
 * ------------------------------------------------------------------------------------ */

/* The chunk's entries are in timestamp order, as walks assume (one pass: cheap next to
 * the write). */
static bool entries_ascending(const struct store_history *history)
{
    for (uint32_t index = 1; index < history->count; index++) {
        if (history->entries[index - 1].timestamp > history->entries[index].timestamp) {
            return false;
        }
    }
    return true;
}

/* The histories in account order, each appended under (sequence, account). */
static int window_append(struct store *store, MDB_txn *txn, MDB_dbi dbi,
                         const struct store_checkpoint *checkpoint)
{
    MDB_cursor *cursor = NULL;
    int rc = mdb_cursor_open(txn, dbi, &cursor);
    if (rc != MDB_SUCCESS) {
        return rc;
    }
    uint8_t key_bytes[STORE_RECENT_KEY_BYTES];
    bytes_be64_store(key_bytes, checkpoint->meta.sequence);
    for (size_t index = 0; index < checkpoint->history_count && rc == MDB_SUCCESS; index++) {
        const struct store_history *history = &checkpoint->histories[store->order[index].index];
        if (history->count == 0) {
            continue;
        }
        TPW_ASSERT(entries_ascending(history));
        bytes_be128_store(key_bytes + 8, history->account_id);
        MDB_val key = store__val(key_bytes, sizeof key_bytes);
        MDB_val value = store__val(history->entries, (size_t)history->count * STORE_ENTRY_BYTES);
        rc = mdb_cursor_put(cursor, &key, &value, MDB_APPEND);
    }
    mdb_cursor_close(cursor);
    return rc;
}

/* ------------------------------------------------------------------------------------
 * Writing: merge the sealed windows into `history`, a slice at a time
 * ------------------------------------------------------------------------------------ */

/* One window being merged: a cursor over its keys, in account order. */
struct merge_source {
    MDB_cursor *cursor;
    MDB_val key;
    MDB_val value;
    uint64_t sequence;
    bool live; /* on a key of its window */
};

/* Settles a source after a cursor move that returned `rc`. */
static int source_settle(struct merge_source *source, int rc)
{
    source->live = false;
    if (rc == MDB_NOTFOUND) {
        return MDB_SUCCESS;
    }
    if (rc != MDB_SUCCESS) {
        return rc;
    }
    if (source->key.mv_size != STORE_RECENT_KEY_BYTES || !chunk_valid(&source->value)) {
        return MDB_CORRUPTED;
    }
    source->live = bytes_be64_load(source->key.mv_data) == source->sequence;
    return MDB_SUCCESS;
}

/* Opens a source on window `sequence` at the first account not below `boundary`. */
static int source_open(MDB_txn *txn, MDB_dbi dbi, uint64_t sequence, tpw_u128 boundary,
                       struct merge_source *source)
{
    *source = (struct merge_source){.sequence = sequence};
    int rc = mdb_cursor_open(txn, dbi, &source->cursor);
    if (rc != MDB_SUCCESS) {
        source->cursor = NULL;
        return rc;
    }
    uint8_t seek[STORE_RECENT_KEY_BYTES];
    bytes_be64_store(seek, sequence);
    bytes_be128_store(seek + 8, boundary);
    source->key = store__val(seek, sizeof seek);
    return source_settle(
        source, mdb_cursor_get(source->cursor, &source->key, &source->value, MDB_SET_RANGE));
}

/* The smallest account id any live source is on; false when all are done. */
static bool sources_next_account(const struct merge_source *sources, uint32_t count,
                                 uint8_t account[STORE_ID_KEY_BYTES])
{
    bool found = false;
    for (uint32_t index = 0; index < count; index++) {
        const uint8_t *id = (const uint8_t *)sources[index].key.mv_data + 8;
        if (sources[index].live && (!found || memcmp(id, account, STORE_ID_KEY_BYTES) < 0)) {
            memcpy(account, id, STORE_ID_KEY_BYTES);
            found = true;
        }
    }
    return found;
}

static bool source_on(const struct merge_source *source, const uint8_t *account)
{
    return source->live &&
           memcmp((const uint8_t *)source->key.mv_data + 8, account, STORE_ID_KEY_BYTES) == 0;
}

/*
 * Puts one account's windows, oldest first, as one `history` value and moves those
 * sources on, counting the keys merged. The value is reserved first and each part
 * re-read after: a put may spill dirty pages to the file, which would leave earlier
 * value pointers dangling.
 */
static int merge_account(MDB_txn *txn, MDB_dbi history, struct merge_source *sources,
                         uint32_t count, const uint8_t *account, size_t *merged)
{
    uint8_t key_bytes[STORE_HISTORY_KEY_BYTES];
    memcpy(key_bytes, account, STORE_ID_KEY_BYTES);
    size_t total = 0;
    bool first = true;
    for (uint32_t index = 0; index < count; index++) {
        if (source_on(&sources[index], account)) {
            if (first) {
                bytes_be64_store(key_bytes + 16, entry_timestamp(&sources[index].value, 0));
                first = false;
            }
            total += sources[index].value.mv_size;
        }
    }
    MDB_val key = store__val(key_bytes, sizeof key_bytes);
    MDB_val value = {.mv_size = total, .mv_data = NULL};
    int rc = mdb_put(txn, history, &key, &value, MDB_RESERVE | MDB_NOOVERWRITE);
    uint8_t *out = value.mv_data;
    for (uint32_t index = 0; index < count && rc == MDB_SUCCESS; index++) {
        struct merge_source *source = &sources[index];
        if (!source_on(source, account)) {
            continue;
        }
        rc = mdb_cursor_get(source->cursor, &source->key, &source->value, MDB_GET_CURRENT);
        if (rc == MDB_SUCCESS) {
            memcpy(out, source->value.mv_data, source->value.mv_size);
            out += source->value.mv_size;
            (*merged)++;
            rc = source_settle(
                source, mdb_cursor_get(source->cursor, &source->key, &source->value, MDB_NEXT));
        }
    }
    return rc;
}

/* Merges the sealed windows' accounts, from the boundary on, until `quota` keys are
 * merged: the boundary moves to the next account, or when none is left the sealed
 * database is emptied and the merge is over. */
static int merge_step(struct store *store, MDB_txn *txn, struct store_levels *levels, size_t quota)
{
    MDB_dbi dbi = window_dbi(store, 1 - levels->active);
    uint64_t windows[STORE_RECENT_WINDOWS];
    uint32_t count = 0;
    int rc = windows_list(txn, dbi, windows, &count);
    struct merge_source sources[STORE_RECENT_WINDOWS] = {0};
    for (uint32_t index = 0; index < count && rc == MDB_SUCCESS; index++) {
        rc = source_open(txn, dbi, windows[index], levels->boundary, &sources[index]);
    }
    uint8_t account[STORE_ID_KEY_BYTES];
    size_t merged = 0;
    bool more = false;
    while (rc == MDB_SUCCESS) {
        more = sources_next_account(sources, count, account);
        if (!more || merged >= quota) {
            break;
        }
        rc = merge_account(txn, store->shared->dbis[STORE_DB_HISTORY], sources, count, account,
                           &merged);
    }
    for (uint32_t index = 0; index < count; index++) {
        if (sources[index].cursor != NULL) {
            mdb_cursor_close(sources[index].cursor);
        }
    }
    if (rc == MDB_SUCCESS && more) {
        levels->boundary = bytes_be128_load(account);
    } else if (rc == MDB_SUCCESS) {
        rc = mdb_drop(txn, dbi, 0);
        levels->merging = false;
        levels->boundary = 0;
    }
    return rc;
}

/* One slice of the sealed windows: enough keys that STORE_RECENT_WINDOWS slices merge
 * them all, so the merge is over before the active database fills up again. */
static int merge_slice(struct store *store, MDB_txn *txn, struct store_levels *levels)
{
    MDB_stat stat;
    int rc = mdb_stat(txn, window_dbi(store, 1 - levels->active), &stat);
    if (rc != MDB_SUCCESS) {
        return rc;
    }
    size_t quota = (stat.ms_entries + STORE_RECENT_WINDOWS - 1) / STORE_RECENT_WINDOWS;
    return merge_step(store, txn, levels, quota);
}

/* Appends the window, takes one merge step, and seals the active database when it
 * holds STORE_RECENT_WINDOWS windows. */
static int history_write_window(struct store *store, MDB_txn *txn, struct store_levels *levels,
                                const struct store_checkpoint *checkpoint)
{
    MDB_dbi active = window_dbi(store, levels->active);
    int rc = window_append(store, txn, active, checkpoint);
    if (rc == MDB_SUCCESS && levels->merging) {
        rc = merge_slice(store, txn, levels);
    }
    uint64_t windows[STORE_RECENT_WINDOWS];
    uint32_t count = 0;
    if (rc == MDB_SUCCESS) {
        rc = windows_list(txn, active, windows, &count);
    }
    if (rc == MDB_SUCCESS && count == STORE_RECENT_WINDOWS) {
        /* The slices merged the other database within as many checkpoints as it took
         * to fill this one; a merge still running means a damaged merge state. */
        if (levels->merging) {
            return MDB_CORRUPTED;
        }
        *levels = (struct store_levels){.active = 1 - levels->active, .merging = true};
    }
    if (rc == MDB_SUCCESS) {
        rc = levels_put(txn, store, levels);
    }
    return rc;
}

enum tpw_err store__history_write(struct store *store, MDB_txn *txn,
                                  const struct store_checkpoint *checkpoint,
                                  struct tpw_error_detail *detail)
{
    size_t count = checkpoint->history_count;
    enum tpw_err err = store__order_reserve(store, count, detail);
    if (err != TPW_OK) {
        return err;
    }
    for (size_t index = 0; index < count; index++) {
        store->order[index] = (struct store_order){
            .id = checkpoint->histories[index].account_id,
            .index = index,
        };
    }
    store__order_sort(store->order, count);
    struct store_levels levels;
    err = levels_get(txn, store, &levels, detail);
    if (err != TPW_OK) {
        return err;
    }
    int rc = history_write_window(store, txn, &levels, checkpoint);
    if (rc != MDB_SUCCESS) {
        return store__lmdb_error(detail, rc, "write histories");
    }
    return TPW_OK;
}

/* ------------------------------------------------------------------------------------
 * Walks
 * ------------------------------------------------------------------------------------ */

struct walk {
    uint8_t prefix[STORE_ID_KEY_BYTES]; /* the account id, big-endian */
    /* Keys to seek in `history`: (account, after_timestamp + 1) and (account,
     * before_timestamp, or the largest timestamp when unbounded). */
    uint8_t seek_after[STORE_HISTORY_KEY_BYTES];
    uint8_t seek_before[STORE_HISTORY_KEY_BYTES];
    uint64_t after_timestamp;
    uint64_t before_timestamp; /* 0 = no upper bound */
    bool descending;
    bool over; /* the visitor stopped or the walk passed its bound */
    store_history_fn visit;
    void *ctx;
};

static bool walk_owns(const struct walk *walk, const MDB_val *key)
{
    return key->mv_size == STORE_HISTORY_KEY_BYTES &&
           memcmp(key->mv_data, walk->prefix, sizeof walk->prefix) == 0;
}

static int walk_seek(MDB_cursor *cursor, const uint8_t *seek, MDB_val *key, MDB_val *value)
{
    *key = store__val(seek, STORE_HISTORY_KEY_BYTES);
    return mdb_cursor_get(cursor, key, value, MDB_SET_RANGE);
}

/* Ascending start: the account's last chunk beginning at or before after_timestamp
 * (it may hold later entries), else its first chunk beginning after it. */
static int walk_first(MDB_cursor *cursor, const struct walk *walk, MDB_val *key, MDB_val *value)
{
    int rc = walk_seek(cursor, walk->seek_after, key, value);
    if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cursor, key, value, MDB_LAST);
        if (rc == MDB_SUCCESS && !walk_owns(walk, key)) {
            rc = MDB_NOTFOUND;
        }
        return rc;
    }
    if (rc != MDB_SUCCESS) {
        return rc;
    }
    rc = mdb_cursor_get(cursor, key, value, MDB_PREV);
    if (rc == MDB_SUCCESS && walk_owns(walk, key)) {
        return MDB_SUCCESS;
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        return rc;
    }
    rc = walk_seek(cursor, walk->seek_after, key, value);
    if (rc == MDB_SUCCESS && !walk_owns(walk, key)) {
        rc = MDB_NOTFOUND;
    }
    return rc;
}

/* Descending start: the account's last chunk beginning before before_timestamp (any
 * chunk when it is 0). */
static int walk_last(MDB_cursor *cursor, const struct walk *walk, MDB_val *key, MDB_val *value)
{
    bool unbounded = walk->before_timestamp == 0;
    int rc = walk_seek(cursor, walk->seek_before, key, value);
    if (rc == MDB_SUCCESS && unbounded && walk_owns(walk, key) &&
        bytes_be64_load((const uint8_t *)key->mv_data + STORE_ID_KEY_BYTES) == UINT64_MAX) {
        return MDB_SUCCESS; /* a chunk starting at the largest timestamp: it is the last */
    }
    if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cursor, key, value, MDB_LAST);
    } else if (rc == MDB_SUCCESS) {
        rc = mdb_cursor_get(cursor, key, value, MDB_PREV);
    }
    if (rc == MDB_SUCCESS && !walk_owns(walk, key)) {
        rc = MDB_NOTFOUND;
    }
    return rc;
}

/* Visits one chunk's entries inside the walk's bounds; sets walk->over at the end. */
static void chunk_up(struct walk *walk, const MDB_val *value)
{
    size_t count = value->mv_size / STORE_ENTRY_BYTES;
    for (size_t index = chunk_after(value, walk->after_timestamp); index < count; index++) {
        struct store_history_entry entry;
        entry_get(value, index, &entry);
        if (walk->before_timestamp != 0 && entry.timestamp >= walk->before_timestamp) {
            walk->over = true;
            return;
        }
        if (!walk->visit(walk->ctx, &entry)) {
            walk->over = true;
            return;
        }
    }
}

static void chunk_down(struct walk *walk, const MDB_val *value)
{
    size_t end = walk->before_timestamp == 0 ? value->mv_size / STORE_ENTRY_BYTES
                                             : chunk_after(value, walk->before_timestamp - 1);
    for (size_t index = end; index > 0; index--) {
        struct store_history_entry entry;
        entry_get(value, index - 1, &entry);
        if (entry.timestamp <= walk->after_timestamp) {
            walk->over = true;
            return;
        }
        if (!walk->visit(walk->ctx, &entry)) {
            walk->over = true;
            return;
        }
    }
}

static void chunk_visit(struct walk *walk, const MDB_val *value)
{
    if (walk->descending) {
        chunk_down(walk, value);
    } else {
        chunk_up(walk, value);
    }
}

/* The account's chunks in `history`. */
static enum tpw_err walk_history(MDB_cursor *cursor, struct walk *walk,
                                 struct tpw_error_detail *detail)
{
    MDB_val key;
    MDB_val value;
    int rc = walk->descending ? walk_last(cursor, walk, &key, &value)
                              : walk_first(cursor, walk, &key, &value);
    while (rc == MDB_SUCCESS) {
        if (!chunk_valid(&value)) {
            return store__corrupt(detail, "history", key.mv_size, value.mv_size);
        }
        chunk_visit(walk, &value);
        if (walk->over) {
            return TPW_OK;
        }
        rc = mdb_cursor_get(cursor, &key, &value, walk->descending ? MDB_PREV : MDB_NEXT);
        if (rc == MDB_SUCCESS && !walk_owns(walk, &key)) {
            rc = MDB_NOTFOUND;
        }
    }
    if (rc != MDB_NOTFOUND) {
        return store__lmdb_error(detail, rc, "walk a history");
    }
    return TPW_OK;
}

/* The account's value in each window of one window database, one lookup each. */
static enum tpw_err walk_windows(struct store_reader *reader, struct walk *walk, uint32_t which,
                                 struct tpw_error_detail *detail)
{
    MDB_dbi dbi = window_dbi(reader->store, which);
    uint8_t key_bytes[STORE_RECENT_KEY_BYTES];
    memcpy(key_bytes + 8, walk->prefix, sizeof walk->prefix);
    const uint64_t *windows = reader->levels.windows[which];
    uint32_t count = reader->levels.window_count[which];
    for (uint32_t step = 0; step < count && !walk->over; step++) {
        bytes_be64_store(key_bytes, windows[walk->descending ? count - 1 - step : step]);
        MDB_val key = store__val(key_bytes, sizeof key_bytes);
        MDB_val value;
        int rc = mdb_get(reader->txn, dbi, &key, &value);
        if (rc == MDB_NOTFOUND) {
            continue;
        }
        if (rc != MDB_SUCCESS) {
            return store__lmdb_error(detail, rc, "walk a history");
        }
        if (!chunk_valid(&value)) {
            return store__corrupt(detail, which == 0 ? "recent.a" : "recent.b", key.mv_size,
                                  value.mv_size);
        }
        chunk_visit(walk, &value);
    }
    return TPW_OK;
}

/* Walks the levels oldest first (or newest first): `history`; the sealed windows, for
 * an account the merge has not reached; the active windows. */
static enum tpw_err walk_levels(struct store_reader *reader, struct walk *walk, tpw_u128 account_id,
                                struct tpw_error_detail *detail)
{
    const struct store_levels *levels = &reader->levels;
    enum { LEVEL_HISTORY, LEVEL_SEALED, LEVEL_ACTIVE, LEVEL_COUNT };
    bool sealed = levels->merging && account_id >= levels->boundary;
    enum tpw_err err = TPW_OK;
    for (int step = 0; step < LEVEL_COUNT && err == TPW_OK && !walk->over; step++) {
        int level = walk->descending ? LEVEL_COUNT - 1 - step : step;
        if (level == LEVEL_HISTORY) {
            err = walk_history(reader->history, walk, detail);
        } else if (level == LEVEL_SEALED && sealed) {
            err = walk_windows(reader, walk, 1 - levels->active, detail);
        } else if (level == LEVEL_ACTIVE) {
            err = walk_windows(reader, walk, levels->active, detail);
        }
    }
    return err;
}

enum tpw_err store_history_walk(struct store_reader *reader, tpw_u128 account_id,
                                uint64_t after_timestamp, uint64_t before_timestamp,
                                bool descending, store_history_fn visit, void *ctx,
                                struct tpw_error_detail *detail)
{
    if (reader == NULL || visit == NULL) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "invalid history walk");
    }
    bool empty_window = after_timestamp == UINT64_MAX ||
                        (before_timestamp != 0 && before_timestamp <= after_timestamp + 1);
    if (empty_window) {
        return TPW_OK;
    }
    struct walk walk = {
        .after_timestamp = after_timestamp,
        .before_timestamp = before_timestamp,
        .descending = descending,
        .visit = visit,
        .ctx = ctx,
    };
    bytes_be128_store(walk.prefix, account_id);
    memcpy(walk.seek_after, walk.prefix, sizeof walk.prefix);
    bytes_be64_store(walk.seek_after + STORE_ID_KEY_BYTES, after_timestamp + 1);
    memcpy(walk.seek_before, walk.prefix, sizeof walk.prefix);
    bytes_be64_store(walk.seek_before + STORE_ID_KEY_BYTES,
                     before_timestamp == 0 ? UINT64_MAX : before_timestamp);
    return walk_levels(reader, &walk, account_id, detail);
}
