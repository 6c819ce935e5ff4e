/*
 * The checkpointer (internal to src/ledger): freezes the active window when it has
 * grown past an interval and writes it to the store on a background thread, so the
 * write path keeps journaling and applying while LMDB works on the other core.
 *
 * All functions are called from the thread that owns the ledger handle. The
 * background thread reads only the frozen window and the snapshots taken at the
 * freeze; the owner thread never changes either until the checkpoint is collected.
 */
#ifndef LEDGER_CHECKPOINT_H
#define LEDGER_CHECKPOINT_H

#include <pthread.h>
#include <stdatomic.h>

#include "ledger_int.h"
#include "store.h"

/* Window events (new transfers, failures, changed accounts) per checkpoint. Each
 * event costs about 200 bytes of window memory and up to three intervals are held, so
 * the default holds up to ~600 MB. Half of it measured 9-13% fewer transfers/s and a
 * 3x worse p99 at batch 8189 (bench/RESULTS.md): every checkpoint rewrites each changed
 * account and a history value per account, whatever the number of transfers. */
#define LEDGER_CHECKPOINT_INTERVAL_DEFAULT (1u << 20)

struct ledger__checkpointer {
    struct store *store;
    struct ledger__state *state;
    uint64_t interval_events;
    uint64_t sequence; /* the journal sequence the store holds */
    pthread_t thread;
    bool running;  /* a checkpoint has started and is not collected yet */
    bool threaded; /* it runs on `thread` (else it ran synchronously) */
    atomic_bool done;
    enum tpw_err result;
    struct tpw_error_detail detail;
    /* What the thread writes: meta and snapshots taken at the freeze. */
    struct store_checkpoint checkpoint;
    struct ledger_asset assets[LEDGER_ASSETS_MAX];
    /* Buffers for the histories, kept across checkpoints (checkpoint.c). */
    struct store_history *histories;
    struct store_history_entry *entries;
    uint32_t *fill;     /* per history: its count, then where its next entry goes */
    uint32_t *group_of; /* per account position: its history (changed accounts only) */
    uint32_t history_capacity;
    uint32_t entry_capacity;
    uint32_t fill_capacity;
    uint32_t group_capacity;
};

/* Where the journal stands: the checkpoint is consistent with this record. */
struct ledger__journal_point {
    uint64_t sequence;
    uint8_t hash[STORE_HASH_BYTES];
};

void ledger__checkpointer_init(struct ledger__checkpointer *checkpointer, struct store *store,
                               struct ledger__state *state, uint64_t interval_events,
                               uint64_t stored_sequence);

/* Between batches: collects a finished checkpoint (refreshing the store reader and
 * dropping the frozen window), waits for a running one when the active window has
 * grown to twice the interval (memory stays bounded), and starts a new one when the
 * active window has reached the interval. An error means a checkpoint failed: the
 * journal is intact, but the handle must stop. */
TPW_MUST_CHECK enum tpw_err ledger__checkpoint_poll(struct ledger__checkpointer *checkpointer,
                                                    const struct ledger__journal_point *point,
                                                    struct tpw_error_detail *detail);

/* Waits for a running checkpoint and, when `write_active`, checkpoints the active
 * window too, synchronously (at close, so the next open replays nothing). */
TPW_MUST_CHECK enum tpw_err ledger__checkpoint_finish(struct ledger__checkpointer *checkpointer,
                                                      const struct ledger__journal_point *point,
                                                      bool write_active,
                                                      struct tpw_error_detail *detail);

#endif /* LEDGER_CHECKPOINT_H */
