/*
 * Internals of the ledger module, shared by its files and private to src/ledger.
 *
 * The state machine (`struct ledger__state`) holds everything a batch can read or
 * change, does no I/O and never reads a clock: the facade (ledger.c) stamps each
 * batch's timestamp and journals it. Accounts live in one array in creation order;
 * transfers and pinned failures since the last checkpoint live in the active window
 * (older ones in the frozen window and the LMDB store, see window.c); hash indexes map
 * ids to array positions. A linked chain mutates as it goes and keeps an undo log,
 * which a failure replays backwards.
 */
#ifndef LEDGER_INT_H
#define LEDGER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/ledger.h"

_Static_assert(sizeof(struct ledger_account) == 128, "account record is 128 bytes");
_Static_assert(sizeof(struct ledger_transfer) == 128, "transfer record is 128 bytes");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "records are journaled in host order, which must be little-endian");

/* Assets are few (ISO 4217 has ~180 codes); numbers are 1-based indexes. */
#define LEDGER_ASSETS_MAX 4096u

/* One asset definition in a journal record (16 bytes). */
struct ledger__asset_command {
    char code[8]; /* not NUL-terminated when 8 characters long */
    uint8_t exponent;
    uint8_t reserved[7];
};
_Static_assert(sizeof(struct ledger__asset_command) == 16, "asset command is 16 bytes");

/* ---- hash index: 128-bit id → 32-bit position, linear probing ---------------------- */

struct ledger__index {
    uint64_t *slots; /* hash tag << 32 | (position + 1); 0 = empty */
    uint64_t mask;   /* capacity - 1, capacity a power of two */
    uint64_t count;
    uint64_t seed; /* keyed hash: ids are chosen by clients */
    /* At least the largest id inserted since the last clear (removals leave it): an id
     * above it is absent without a probe. Ids are usually time-ordered, so a new
     * transfer's id is above every window's, which saves a cache miss per window. */
    tpw_u128 id_max;
};

#define LEDGER_INDEX_NONE UINT32_MAX

TPW_MUST_CHECK enum tpw_err ledger__index_init(struct ledger__index *index, uint64_t seed);
void ledger__index_deinit(struct ledger__index *index);
/* Makes room for `more` inserts without rehashing (the only call that allocates). */
TPW_MUST_CHECK enum tpw_err ledger__index_reserve(struct ledger__index *index, uint64_t more);
/* `records` is the array the positions point into; its first 16 bytes per record are
 * the id (true of accounts, transfers and failures). */
uint32_t ledger__index_find(const struct ledger__index *index, tpw_u128 id, const void *records,
                            size_t stride);
/* Hints for a lookup of `id` soon (they change nothing): the first starts loading the
 * slot it probes first; the second, once that slot is in cache, the record it names. */
void ledger__index_prefetch(const struct ledger__index *index, tpw_u128 id);
void ledger__index_prefetch_record(const struct ledger__index *index, tpw_u128 id,
                                   const void *records, size_t stride);
void ledger__index_insert(struct ledger__index *index, tpw_u128 id, uint32_t position);
void ledger__index_remove(struct ledger__index *index, tpw_u128 id, const void *records,
                          size_t stride);
/* Forgets every entry and keeps the table's size. */
void ledger__index_clear(struct ledger__index *index);

/* ---- per-transfer metadata ---------------------------------------------------------- */

struct ledger__transfer_meta {
    uint64_t expires_at;  /* pending with a timeout: ns; else 0 */
    uint64_t resolved_at; /* when posted, voided or released by expiry; else 0 */
    uint8_t state;        /* enum ledger_pending_state */
};

/* A pinned failure: the id and the result that pinned it. */
struct ledger__failure {
    tpw_u128 id;
    uint64_t timestamp;
    uint32_t result;
    uint32_t reserved;
};

/* Expiry queue entry: a min-heap on (expires_at, position). Entries are checked when
 * popped, so rolled-back and resolved pendings need no removal. */
struct ledger__expiry {
    tpw_u128 id;
    uint64_t expires_at;
    uint32_t position;
};

/* The two accounts a window's transfer moved, as positions in the state's accounts:
 * what an account's recent history is found from (query.c, checkpoint.c). */
struct ledger__parties {
    uint32_t debit;
    uint32_t credit;
};

/* ---- undo log for linked chains ------------------------------------------------------ */

enum ledger__undo_kind {
    LEDGER_UNDO_ACCOUNT = 1, /* restore an account record */
    LEDGER_UNDO_META = 2,    /* restore a transfer's metadata */
};

struct ledger__undo {
    uint32_t kind;
    uint32_t position;
    union {
        struct ledger_account account;
        struct ledger__transfer_meta meta;
    } saved;
};

/* ---- windows: what changed since a checkpoint ------------------------------------------ */

/*
 * Transfers (each with the two accounts it moved: together, the accounts' recent
 * history) and pinned failures since a checkpoint began (the *active* window), or being
 * written by a checkpoint (the *frozen* one). Positions index a window's own arrays.
 * The first `carried` transfers are pending transfers still unresolved when the
 * previous window froze: they are copied forward so that every unresolved pending
 * transfer is always in the active window, where a post, void or expiry can change it.
 * They are already stored and are no part of this window's history.
 */
struct ledger__window {
    struct ledger_transfer *transfers;
    struct ledger__transfer_meta *metas; /* parallel to transfers */
    struct ledger__parties *parties;     /* parallel to transfers */
    uint32_t transfer_count;
    uint32_t transfer_capacity;
    uint32_t carried;
    struct ledger__index transfer_index;

    struct ledger__failure *failures;
    uint32_t failure_count;
    uint32_t failure_capacity;
    struct ledger__index failure_index;

    uint8_t *dirty; /* parallel to the state's accounts: changed in this window */
    uint32_t *dirty_list;
    uint32_t dirty_count;
    uint32_t account_capacity; /* of dirty and dirty_list */

    /* Filled when the window freezes, for the checkpoint thread. */
    struct ledger_account *dirty_accounts; /* parallel to dirty_list: copies at the freeze */
    uint32_t dirty_accounts_capacity;
};

/* ---- the state ----------------------------------------------------------------------- */

struct store_reader;
struct ledger__state;

/*
 * Hooks for readers of the history (the event cursor, events.c), called as the state
 * machine changes the state; they only look. The writer and recovery set none, and the
 * hot path then pays one predictable branch per transfer.
 */
struct ledger__observer {
    /* A transfer was committed at `position` of the active window, its accounts already
     * updated. A linked chain may still roll it back; the position is then reused by
     * the next commit, so the last call for a position is the one that stands. */
    void (*committed)(void *ctx, const struct ledger__state *state, uint32_t position);
    /* An expiry released the pending transfer at `position` of the active window (its
     * meta's resolved_at is the release time). Never rolled back. */
    void (*expired)(void *ctx, const struct ledger__state *state, uint32_t position);
    void *ctx;
};

struct ledger__state {
    struct ledger_asset assets[LEDGER_ASSETS_MAX];
    uint32_t asset_count;

    struct ledger_account *accounts;
    uint32_t account_count;
    uint32_t account_capacity;
    struct ledger__index account_index;

    struct ledger__window windows[2];
    struct ledger__window *active;
    struct ledger__window *frozen; /* NULL when no checkpoint is being written */
    /* Transfers and failures older than the windows; NULL when there is no store. */
    struct store_reader *stored;

    uint64_t transfer_total; /* every transfer ever committed */
    uint64_t failure_total;
    uint64_t pending_count;

    struct ledger__expiry *expiries; /* min-heap over the active window */
    uint32_t expiry_count;
    uint32_t expiry_capacity;

    struct ledger__undo *undo;
    uint32_t undo_count;
    uint32_t undo_capacity;

    uint64_t last_timestamp;
    const struct ledger__observer *observer; /* NULL but in an event cursor */
};

/* A transfer id looked up across the active window, the frozen one and the store. */
enum ledger__found {
    LEDGER_FOUND_NONE = 0,
    LEDGER_FOUND_TRANSFER = 1,
    LEDGER_FOUND_FAILURE = 2,
};

struct ledger__lookup {
    enum ledger__found found;
    uint32_t position; /* in the active window; LEDGER_INDEX_NONE when elsewhere */
    struct ledger_transfer transfer;
    struct ledger__transfer_meta meta;
    struct ledger__failure failure;
};

/* Newest first: the active window, the frozen one, the store. */
void ledger__transfer_lookup(const struct ledger__state *state, tpw_u128 id,
                             struct ledger__lookup *out);

/* Grows `*array` (elements of `size` bytes) to hold `needed`; doubles to amortize. */
TPW_MUST_CHECK enum tpw_err ledger__array_reserve(void **array, uint32_t *capacity, uint64_t needed,
                                                  size_t size);

TPW_MUST_CHECK enum tpw_err ledger__state_init(struct ledger__state *state, uint64_t seed);
void ledger__state_deinit(struct ledger__state *state);

/* The first timestamp a batch of `count` commands gets, given the clock's proposal. */
uint64_t ledger__batch_first_timestamp(const struct ledger__state *state, uint64_t now,
                                       size_t count);

/* Makes room for a batch so applying it cannot fail. */
TPW_MUST_CHECK enum tpw_err ledger__state_reserve(struct ledger__state *state, size_t accounts,
                                                  size_t transfers);

/*
 * Applying batches, into room made by ledger__state_reserve. `last_timestamp` is the
 * timestamp of the batch's last command (the journal record's timestamp).
 * Deterministic: the same state and batch give the same results and the same new state.
 */
/* The position of the asset with `code`, or LEDGER_INDEX_NONE. */
uint32_t ledger__asset_find(const struct ledger__state *state, const char *code);
/* Checks a definition: the code's shape, the exponent, and the table. An asset already
 * defined with this exponent is TPW_OK with *existing = its number (0 when new). */
TPW_MUST_CHECK enum tpw_err ledger__asset_check(const struct ledger__state *state, const char *code,
                                                uint8_t exponent, uint32_t *existing /* out */,
                                                struct tpw_error_detail *detail);
/* Appends a new asset; anything ledger__asset_check refuses, or a duplicate, is an error
 * (in replay: a damaged journal). */
TPW_MUST_CHECK enum tpw_err ledger__state_define_asset(struct ledger__state *state,
                                                       const struct ledger__asset_command *cmd,
                                                       uint64_t timestamp,
                                                       uint32_t *number /* out */,
                                                       struct tpw_error_detail *detail);
void ledger__state_create_accounts(struct ledger__state *state,
                                   const struct ledger_account *accounts, size_t count,
                                   uint64_t last_timestamp, enum ledger_account_result *results);
void ledger__state_create_transfers(struct ledger__state *state,
                                    const struct ledger_transfer *transfers, size_t count,
                                    uint64_t last_timestamp, enum ledger_transfer_result *results);

/* Validation and application of one transfer (transfer.c); a linked chain member's
 * mutations are logged in the undo log. */
TPW_MUST_CHECK enum ledger_transfer_result
ledger__transfer_apply(struct ledger__state *state, const struct ledger_transfer *command,
                       uint64_t timestamp);

/* Expiry queue (expiry.c). */
TPW_MUST_CHECK enum tpw_err ledger__expiry_reserve(struct ledger__state *state, uint32_t more);
/* Pushes into room made by ledger__expiry_reserve. */
void ledger__expiry_push_reserved(struct ledger__state *state, tpw_u128 id, uint64_t expires_at,
                                  uint32_t position);
/* Releases every pending transfer that expired at or before `timestamp`. */
void ledger__expiry_sweep(struct ledger__state *state, uint64_t timestamp);

/* Undo log and helpers used by state.c and transfer.c. */
TPW_MUST_CHECK enum tpw_err ledger__undo_reserve(struct ledger__state *state, uint32_t more);
void ledger__undo_account(struct ledger__state *state, uint32_t position);
void ledger__undo_meta(struct ledger__state *state, uint32_t position);
void ledger__undo_rollback(struct ledger__state *state, uint32_t mark);

uint32_t ledger__account_find(const struct ledger__state *state, tpw_u128 id);
/* Marks an account changed in the active window (it goes into the next checkpoint). */
void ledger__account_dirty(struct ledger__state *state, uint32_t account_position);

/* Windows (window.c). */
TPW_MUST_CHECK enum tpw_err ledger__window_init(struct ledger__window *window, uint64_t seed);
void ledger__window_deinit(struct ledger__window *window);
/* Empties a window, keeping its memory for reuse. */
void ledger__window_clear(struct ledger__window *window);
TPW_MUST_CHECK enum tpw_err ledger__window_reserve(struct ledger__window *window,
                                                   uint32_t account_count, size_t transfers);
/* Transfers, failures and accounts created since the window began. */
uint64_t ledger__window_events(const struct ledger__window *window);
/* Freezes the active window for a checkpoint: copies its changed accounts, swaps in
 * the spare window and carries the unresolved pending transfers over into it. */
TPW_MUST_CHECK enum tpw_err ledger__state_freeze(struct ledger__state *state);
/* The checkpoint of the frozen window is stored and visible: the window is spare. */
void ledger__state_thaw(struct ledger__state *state);
/* Adds a stored account at open (accounts come in creation order). */
TPW_MUST_CHECK enum tpw_err ledger__state_load_account(struct ledger__state *state,
                                                       const struct ledger_account *account);
/* Adds an already-stored transfer (at open: an unresolved pending one) to the active
 * window as carried. */
TPW_MUST_CHECK enum tpw_err ledger__state_carry(struct ledger__state *state,
                                                const struct ledger_transfer *transfer,
                                                const struct ledger__transfer_meta *meta);

/* The state behind a handle (ledger.c), for the query functions. */
const struct ledger__state *ledger__state_of(const struct ledger *ledger);
/* TPW_ERR_LEDGER_FAILED once the handle has stopped (ledger.c): memory may then hold a
 * batch that never became durable, so queries must not show it. */
TPW_MUST_CHECK enum tpw_err ledger__read_check(const struct ledger *ledger);

/* Paths of a data directory's parts, and the journal's (ledger.c). */
#define LEDGER_PATH_MAX 4096
/* DATA/journal, which must exist: without it the directory holds no ledger
 * (TPW_ERR_LEDGER_NOT_FOUND). */
TPW_MUST_CHECK enum tpw_err ledger__journal_dir(const char *data_dir,
                                                char journal_dir[LEDGER_PATH_MAX] /* out */,
                                                struct tpw_error_detail *detail);

/*
 * Applies one journal record to the state, exactly as recovery does (ledger.c): checks
 * that it is a ledger batch whose timestamp follows the state's (TPW_ERR_JOURNAL_CORRUPT
 * otherwise), copies its payload into `scratch` (LEDGER_BATCH_MAX records, 16-byte
 * aligned: a payload in the journal's read buffer need not be) and runs it. `results`
 * (LEDGER_BATCH_MAX) receives the transfer results of a transfers record and, cast, the
 * account results of an accounts record; an assets record has none (all succeed).
 */
struct journal_record;
TPW_MUST_CHECK enum tpw_err ledger__record_apply(struct ledger__state *state,
                                                 const struct journal_record *record,
                                                 struct ledger_transfer *scratch,
                                                 enum ledger_transfer_result *results,
                                                 struct tpw_error_detail *detail);

/* The whole state's digest (state_hash.c). */
TPW_MUST_CHECK enum tpw_err ledger__state_hash(const struct ledger__state *state,
                                               uint8_t out[LEDGER_STATE_HASH_BYTES]);

#endif /* LEDGER_INT_H */
