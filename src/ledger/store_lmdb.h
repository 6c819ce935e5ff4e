/*
 * Internals of the checkpoint store, shared by store.c (the environment, records,
 * loading and readers) and store_history.c (account histories: writing, merging and
 * walking them). Private to these two files.
 */
#ifndef LEDGER_STORE_LMDB_H
#define LEDGER_STORE_LMDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <lmdb.h>

#include "store.h"

/* Address space reserved for the map, not disk: the file is sparse and grows as pages
 * are written. 1 TiB holds billions of transfers; a 32-bit build gets 1 GiB. */
#if SIZE_MAX > UINT32_MAX
#define STORE_MAP_SIZE_BYTES ((size_t)1 << 40)
#else
#define STORE_MAP_SIZE_BYTES ((size_t)1 << 30)
#endif

#define STORE_ID_KEY_BYTES 16u
#define STORE_HISTORY_KEY_BYTES 24u /* history: account id ++ first timestamp */
#define STORE_RECENT_KEY_BYTES 24u  /* recent.*: checkpoint sequence ++ account id */
#define STORE_ENTRY_BYTES sizeof(struct store_history_entry)

enum store_db {
    STORE_DB_META,
    STORE_DB_ASSETS,
    STORE_DB_ACCOUNTS,
    STORE_DB_TRANSFERS,
    STORE_DB_PENDING,
    STORE_DB_HISTORY,
    STORE_DB_RECENT_A, /* the two window databases (store_history.c): one receives */
    STORE_DB_RECENT_B, /* each checkpoint's window while the other is merged */
    STORE_DB_COUNT,
};

enum store_order_kind { STORE_ORDER_TRANSFER = 0, STORE_ORDER_FAILURE = 1 };

/* One item of a checkpoint in key order: which array and where. */
struct store_order {
    tpw_u128 id;
    size_t index;
    uint32_t kind; /* enum store_order_kind */
};

/* One LMDB environment per store directory per process, shared by its handles. */
struct store_env {
    struct store_env *next;
    MDB_env *env;
    MDB_dbi dbis[STORE_DB_COUNT];
    dev_t dev;
    ino_t ino;
    unsigned users;
    bool read_only; /* opened MDB_RDONLY: no handle of it may write */
};

struct store {
    struct store_env *shared; /* the environment and its database handles */
    bool read_only;
    /* store_write's sort scratch, grown to the largest checkpoint seen, never shrunk. */
    struct store_order *order;
    size_t order_capacity;
};

/* Where an account's history is, as of one snapshot (store_history.c). */
struct store_levels {
    uint32_t active;   /* 0 or 1: recent.a or recent.b receives windows */
    bool merging;      /* the other one holds windows being merged into `history` */
    tpw_u128 boundary; /* while merging: accounts below it are merged already */
    /* The checkpoint sequences of each window database's windows, ascending. */
    uint64_t windows[2][STORE_RECENT_WINDOWS];
    uint32_t window_count[2];
};

struct store_reader {
    tpw_u128 id_max; /* the largest id in the transfers database; 0 when it is empty */
    struct store *store;
    MDB_txn *txn;
    MDB_cursor *history;
    MDB_cursor *transfers;
    struct store_levels levels;
};

/* LMDB's MDB_val is not const-qualified, but puts and gets only read through it. The
 * pointer is copied rather than cast so that no cast drops the qualifier. */
static inline MDB_val store__val(const void *data, size_t size_bytes)
{
    MDB_val value = {.mv_size = size_bytes, .mv_data = NULL};
    memcpy(&value.mv_data, &data, sizeof value.mv_data);
    return value;
}

/* `operation` completes "cannot …", e.g. "write transfers". */
enum tpw_err store__lmdb_error(struct tpw_error_detail *detail, int rc, const char *operation);
enum tpw_err store__corrupt(struct tpw_error_detail *detail, const char *db, size_t key_size,
                            size_t value_size);

/* Grows store->order to `count` items. */
TPW_MUST_CHECK enum tpw_err store__order_reserve(struct store *store, size_t count,
                                                 struct tpw_error_detail *detail);
/* Sorts by (id, kind, index) unless already in order. */
void store__order_sort(struct store_order *order, size_t count);

/* store_history.c: appends the checkpoint's histories as one window, and moves the
 * merge of older windows into `history` one step on. */
TPW_MUST_CHECK enum tpw_err store__history_write(struct store *store, MDB_txn *txn,
                                                 const struct store_checkpoint *checkpoint,
                                                 struct tpw_error_detail *detail);
/* Fills reader->levels from its snapshot. */
TPW_MUST_CHECK enum tpw_err store__levels_read(struct store_reader *reader,
                                               struct tpw_error_detail *detail);

#endif /* LEDGER_STORE_LMDB_H */
