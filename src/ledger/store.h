/*
 * The store: the ledger's checkpoints and on-disk indexes in LMDB (internal to
 * src/ledger). DATA/index/ holds one LMDB environment.
 *
 * The journal stays the source of truth. A checkpoint is a durable snapshot of what
 * changed since the previous one, written in one LMDB write transaction together with
 * the journal sequence (and that record's chain hash) it is consistent with. Recovery
 * loads the hot state (assets, accounts, unresolved pending transfers) from the store
 * and replays only the journal records after that sequence. Everything else — every
 * transfer by id, pinned failures, each account's history — is looked up here on
 * demand, so memory does not grow with history.
 *
 * One writer (the checkpoint thread) and any number of readers may use the store at
 * once; a reader sees the last checkpoint committed before it began or was refreshed.
 *
 * Named databases (keys big-endian so that byte order is numeric order):
 *   meta       "checkpoint" → format version ++ struct store_meta (host order)
 *   assets     number (u32 BE) → struct ledger_asset
 *   accounts   timestamp (u64 BE) → struct ledger_account      (creation order)
 *   transfers  id (u128 BE) → transfer (128-byte record, or 152 with its pending meta)
 *              or 16-byte failure
 *   pending    id (u128 BE) → empty: transfers whose state is still PENDING
 *   history    account id (u128 BE) ++ first timestamp (u64 BE) → entries, ascending
 *   recent.a, recent.b  checkpoint sequence (u64 BE) ++ account id (u128 BE) → entries
 *   meta       "history" → the history levels (which window database is active, merge
 *              state)
 * Value layouts are tabled at the top of store.c; the two history levels are described
 * in store_history.c.
 */
#ifndef LEDGER_STORE_H
#define LEDGER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_int.h"

#define STORE_HASH_BYTES 32

/* What the last checkpoint covers. All zero in a new store. */
struct store_meta {
    uint64_t sequence;                    /* the last journal record the checkpoint includes */
    uint64_t last_timestamp;              /* the state's last_timestamp at that point */
    uint64_t transfers;                   /* transfers stored (pinned failures not counted) */
    uint64_t failures;                    /* pinned failures stored */
    uint64_t pending;                     /* unresolved pending transfers at that point */
    uint8_t chain_hash[STORE_HASH_BYTES]; /* the hash of journal record `sequence` */
};

/* One entry of an account's history: a transfer that debited or credited it. */
struct store_history_entry {
    uint64_t id_lo; /* the transfer id, split so the entry is 24 bytes, not 32 */
    uint64_t id_hi;
    uint64_t timestamp;
};
_Static_assert(sizeof(struct store_history_entry) == 24, "history entry is 24 bytes");

/* Each checkpoint appends its histories as one window to the active window database;
 * when it holds this many it is sealed and merged into `history` over the next this
 * many checkpoints (store_history.c). */
#define STORE_RECENT_WINDOWS 8u

/* The new history of one account since the previous checkpoint, in timestamp order.
 * Every entry is later than any entry of that account already stored. */
struct store_history {
    tpw_u128 account_id;
    const struct store_history_entry *entries;
    uint32_t count;
};

/*
 * One checkpoint: what changed since the previous one. Arrays may be in any order
 * (the store sorts what it needs sorted) and are only read during store_write().
 *  - assets: the whole table (it is small); existing numbers are overwritten.
 *  - accounts: new or changed accounts; keyed by their (unique) timestamp.
 *  - transfers + metas (parallel): new transfers, and older ones whose meta changed
 *    (a pending transfer posted, voided or expired). A transfer whose meta state is
 *    LEDGER_PENDING_PENDING is added to `pending`; any other state removes it.
 *  - failures: new pinned failures.
 *  - histories: per-account history appended since the previous checkpoint.
 */
struct store_checkpoint {
    struct store_meta meta;
    const struct ledger_asset *assets;
    uint32_t asset_count;
    const struct ledger_account *accounts;
    size_t account_count;
    const struct ledger_transfer *transfers;
    const struct ledger__transfer_meta *metas;
    size_t transfer_count;
    const struct ledger__failure *failures;
    size_t failure_count;
    const struct store_history *histories;
    size_t history_count;
};

/* The values of the `transfers` database. The state hash digests the same bytes. */
#define STORE_TRANSFER_BYTES (sizeof(struct ledger_transfer) + 24u)
#define STORE_FAILURE_BYTES 16u
void store_transfer_encode(const struct ledger_transfer *transfer,
                           const struct ledger__transfer_meta *meta,
                           uint8_t out[STORE_TRANSFER_BYTES]);
void store_failure_encode(const struct ledger__failure *failure, uint8_t out[STORE_FAILURE_BYTES]);

struct store;
struct store_reader;

/* Opens (creating when missing and not read-only) the environment in `dir`. Read-only,
 * a directory without a store is TPW_ERR_NOT_FOUND. LMDB allows one environment per
 * directory per process, so handles on the same directory share one (thread-safe);
 * a writable open while the directory is open read-only in this process is
 * TPW_ERR_LEDGER_LOCKED. *out is owned by the caller until store_close(). */
TPW_MUST_CHECK enum tpw_err store_open(const char *dir, bool read_only, struct store **out,
                                       struct tpw_error_detail *detail);
/* Every reader of this handle must have ended first. NULL is ignored. */
void store_close(struct store *store);

/* Writes one checkpoint in one transaction and makes it durable (LMDB's commit
 * fsyncs). On failure nothing of it is visible. Called by one thread at a time. */
TPW_MUST_CHECK enum tpw_err store_write(struct store *store,
                                        const struct store_checkpoint *checkpoint,
                                        struct tpw_error_detail *detail);

/* ---- loading the hot state at open (callbacks return non-OK to stop) ---------------- */

TPW_MUST_CHECK enum tpw_err store_meta_get(struct store *store, struct store_meta *out,
                                           struct tpw_error_detail *detail);
typedef enum tpw_err (*store_asset_fn)(void *ctx, const struct ledger_asset *asset);
typedef enum tpw_err (*store_account_fn)(void *ctx, const struct ledger_account *account);
typedef enum tpw_err (*store_transfer_fn)(void *ctx, const struct ledger_transfer *transfer,
                                          const struct ledger__transfer_meta *meta);
/* Assets by number, accounts in creation (timestamp) order, unresolved pending
 * transfers in id order, all from one snapshot. A NULL callback skips its part. The
 * records passed are valid only during the call. */
TPW_MUST_CHECK enum tpw_err store_load(struct store *store, store_asset_fn on_asset,
                                       store_account_fn on_account, store_transfer_fn on_pending,
                                       void *ctx, struct tpw_error_detail *detail);

/* ---- readers -------------------------------------------------------------------------- */

/* A read transaction. Not thread-safe itself: one thread at a time uses it, but it may
 * move between threads (MDB_NOTLS). It pins its snapshot, so a long-lived reader should
 * be refreshed after each checkpoint to let LMDB reuse the pages freed since. */
TPW_MUST_CHECK enum tpw_err store_reader_begin(struct store *store, struct store_reader **out,
                                               struct tpw_error_detail *detail);
/* Moves the reader to the latest committed checkpoint. */
TPW_MUST_CHECK enum tpw_err store_reader_refresh(struct store_reader *reader,
                                                 struct tpw_error_detail *detail);
void store_reader_end(struct store_reader *reader);

enum store_found {
    STORE_FOUND_NONE = 0,
    STORE_FOUND_TRANSFER = 1,
    STORE_FOUND_FAILURE = 2,
};

/* Looks `id` up among stored transfers and pinned failures. For a transfer, fills
 * *transfer and *meta; for a failure, *failure. A storage error (not "not found") is
 * a damaged store and aborts: the state machine cannot continue without an answer. */
enum store_found store_transfer_get(struct store_reader *reader, tpw_u128 id,
                                    struct ledger_transfer *transfer,
                                    struct ledger__transfer_meta *meta,
                                    struct ledger__failure *failure);

/* Calls `visit` for the stored history entries of `account_id` with timestamp in
 * (after_timestamp, before_timestamp) — before_timestamp 0 means no upper bound —
 * ascending or descending; `visit` returns false to stop. `visit` may call
 * store_transfer_get on the same reader, but must not start another walk on it (the
 * reader has one cursor per kind of walk). */
typedef bool (*store_history_fn)(void *ctx, const struct store_history_entry *entry);
TPW_MUST_CHECK enum tpw_err store_history_walk(struct store_reader *reader, tpw_u128 account_id,
                                               uint64_t after_timestamp, uint64_t before_timestamp,
                                               bool descending, store_history_fn visit, void *ctx,
                                               struct tpw_error_detail *detail);

/* Every stored transfer and failure in id order, for the state hash; `visit` returns
 * false to stop. Exactly one of transfer/failure is non-NULL per call (meta with
 * transfer). The same reentrancy rule as store_history_walk. */
typedef bool (*store_each_fn)(void *ctx, tpw_u128 id, const struct ledger_transfer *transfer,
                              const struct ledger__transfer_meta *meta,
                              const struct ledger__failure *failure);
TPW_MUST_CHECK enum tpw_err store_each_transfer(struct store_reader *reader, store_each_fn visit,
                                                void *ctx, struct tpw_error_detail *detail);

#endif /* LEDGER_STORE_H */
