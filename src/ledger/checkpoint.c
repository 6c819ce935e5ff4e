/*
 * The checkpointer: freezes the active window and writes it to the store (LMDB) on a
 * background thread, then collects the result between batches.
 *
 * Order of events, which is what keeps lookups exact: freeze (the window becomes the
 * frozen one, still consulted by every lookup) → the thread commits the checkpoint
 * (durable) → the owner thread refreshes its store reader, and only then drops the
 * frozen window. At no point is a transfer in neither the windows nor the store the
 * reader sees.
 */
#define _GNU_SOURCE /* pthread_setname_np */

#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "tpw_assert.h"

#include "banned.h"

void ledger__checkpointer_init(struct ledger__checkpointer *checkpointer, struct store *store,
                               struct ledger__state *state, uint64_t interval_events,
                               uint64_t stored_sequence)
{
    memset(checkpointer, 0, sizeof *checkpointer);
    checkpointer->store = store;
    checkpointer->state = state;
    checkpointer->interval_events =
        interval_events != 0 ? interval_events : LEDGER_CHECKPOINT_INTERVAL_DEFAULT;
    checkpointer->sequence = stored_sequence;
    atomic_init(&checkpointer->done, false);
}

/* Grows the buffers kept from one checkpoint to the next (they are about the same
 * size each time). */
static enum tpw_err reserve_buffers(struct ledger__checkpointer *checkpointer,
                                    const struct ledger__window *frozen, uint64_t entries)
{
    if (ledger__array_reserve((void **)&checkpointer->histories, &checkpointer->history_capacity,
                              frozen->dirty_count, sizeof *checkpointer->histories) != TPW_OK ||
        ledger__array_reserve((void **)&checkpointer->fill, &checkpointer->fill_capacity,
                              frozen->dirty_count, sizeof *checkpointer->fill) != TPW_OK ||
        ledger__array_reserve((void **)&checkpointer->group_of, &checkpointer->group_capacity,
                              frozen->account_capacity, sizeof *checkpointer->group_of) != TPW_OK ||
        ledger__array_reserve((void **)&checkpointer->entries, &checkpointer->entry_capacity,
                              entries, sizeof *checkpointer->entries) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    return TPW_OK;
}

/* Counts each changed account's entries and gives each its slice of the entries. */
static void histories_lay_out(struct ledger__checkpointer *checkpointer,
                              const struct ledger__window *frozen)
{
    uint32_t *count = checkpointer->fill;
    for (uint32_t k = 0; k < frozen->dirty_count; k++) {
        checkpointer->group_of[frozen->dirty_list[k]] = k;
        count[k] = 0;
    }
    for (uint32_t p = frozen->carried; p < frozen->transfer_count; p++) {
        count[checkpointer->group_of[frozen->parties[p].debit]]++;
        count[checkpointer->group_of[frozen->parties[p].credit]]++;
    }
    uint32_t offset = 0;
    for (uint32_t k = 0; k < frozen->dirty_count; k++) {
        checkpointer->histories[k] =
            (struct store_history){.account_id = frozen->dirty_accounts[k].id,
                                   .entries = &checkpointer->entries[offset],
                                   .count = count[k]};
        offset += count[k];
        count[k] = offset - count[k]; /* from here on: where the next entry goes */
    }
}

static void entry_put(struct ledger__checkpointer *checkpointer, uint32_t account,
                      const struct ledger_transfer *t)
{
    uint32_t at = checkpointer->fill[checkpointer->group_of[account]]++;
    checkpointer->entries[at] = (struct store_history_entry){
        .id_lo = (uint64_t)t->id, .id_hi = (uint64_t)(t->id >> 64), .timestamp = t->timestamp};
}

/*
 * The frozen window's history as store entries, one group per account, oldest first:
 * a counting sort of the window's (account, transfer) pairs by account. Runs on the
 * checkpoint thread, which is why the write path only appends each transfer's two
 * account positions. Every party of a window's transfer is in its dirty list.
 */
static enum tpw_err build_histories(struct ledger__checkpointer *checkpointer)
{
    const struct ledger__window *frozen = checkpointer->state->frozen;
    uint64_t entries = 2ull * (frozen->transfer_count - frozen->carried);
    if (reserve_buffers(checkpointer, frozen, entries) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    histories_lay_out(checkpointer, frozen);
    for (uint32_t p = frozen->carried; p < frozen->transfer_count; p++) {
        entry_put(checkpointer, frozen->parties[p].debit, &frozen->transfers[p]);
        entry_put(checkpointer, frozen->parties[p].credit, &frozen->transfers[p]);
    }
    size_t groups = 0;
    for (uint32_t k = 0; k < frozen->dirty_count; k++) {
        if (checkpointer->histories[k].count > 0) { /* created or expired only: no entries */
            checkpointer->histories[groups++] = checkpointer->histories[k];
        }
    }
    checkpointer->checkpoint.histories = checkpointer->histories;
    checkpointer->checkpoint.history_count = groups;
    return TPW_OK;
}

static void *checkpoint_main(void *arg)
{
    struct ledger__checkpointer *checkpointer = arg;
    enum tpw_err err = build_histories(checkpointer);
    if (err != TPW_OK) {
        err = tpw_error_set(&checkpointer->detail, err, 0, "out of memory writing a checkpoint");
    } else {
        err = store_write(checkpointer->store, &checkpointer->checkpoint, &checkpointer->detail);
    }
    checkpointer->result = err;
    atomic_store(&checkpointer->done, true);
    return NULL;
}

/* Freezes the active window and describes it for the thread. */
static enum tpw_err prepare(struct ledger__checkpointer *checkpointer,
                            const struct ledger__journal_point *point,
                            struct tpw_error_detail *detail)
{
    struct ledger__state *state = checkpointer->state;
    if (ledger__state_freeze(state) != TPW_OK) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory freezing a checkpoint");
    }
    const struct ledger__window *frozen = state->frozen;
    memcpy(checkpointer->assets, state->assets, state->asset_count * sizeof state->assets[0]);
    struct store_checkpoint *checkpoint = &checkpointer->checkpoint;
    *checkpoint = (struct store_checkpoint){
        .meta = {.sequence = point->sequence,
                 .last_timestamp = state->last_timestamp,
                 .transfers = state->transfer_total,
                 .failures = state->failure_total,
                 .pending = state->pending_count},
        .assets = checkpointer->assets,
        .asset_count = state->asset_count,
        .accounts = frozen->dirty_accounts,
        .account_count = frozen->dirty_count,
        .transfers = frozen->transfers,
        .metas = frozen->metas,
        .transfer_count = frozen->transfer_count,
        .failures = frozen->failures,
        .failure_count = frozen->failure_count,
    };
    memcpy(checkpoint->meta.chain_hash, point->hash, sizeof point->hash);
    return TPW_OK;
}

static enum tpw_err start(struct ledger__checkpointer *checkpointer,
                          const struct ledger__journal_point *point, bool background,
                          struct tpw_error_detail *detail)
{
    TPW_ASSERT(!checkpointer->running);
    enum tpw_err err = prepare(checkpointer, point, detail);
    if (err != TPW_OK) {
        return err;
    }
    checkpointer->running = true;
    atomic_store(&checkpointer->done, false);
    checkpointer->threaded = background && pthread_create(&checkpointer->thread, NULL,
                                                          checkpoint_main, checkpointer) == 0;
    if (checkpointer->threaded) {
        (void)pthread_setname_np(checkpointer->thread, "tpw-checkpoint"); /* for top, perf */
    }
    if (!checkpointer->threaded) {
        (void)checkpoint_main(checkpointer); /* no thread: write it here */
    }
    return TPW_OK;
}

/* Waits for the running checkpoint, then makes the store reader see it and drops
 * the frozen window. */
static enum tpw_err collect(struct ledger__checkpointer *checkpointer,
                            struct tpw_error_detail *detail)
{
    TPW_ASSERT(checkpointer->running);
    if (checkpointer->threaded) {
        int rc = pthread_join(checkpointer->thread, NULL);
        TPW_ASSERT(rc == 0);
    }
    checkpointer->running = false;
    if (checkpointer->result != TPW_OK) {
        *detail = checkpointer->detail;
        return checkpointer->result;
    }
    struct ledger__state *state = checkpointer->state;
    enum tpw_err err = store_reader_refresh(state->stored, detail);
    if (err == TPW_OK) {
        ledger__state_thaw(state);
        checkpointer->sequence = checkpointer->checkpoint.meta.sequence;
    }
    return err;
}

enum tpw_err ledger__checkpoint_poll(struct ledger__checkpointer *checkpointer,
                                     const struct ledger__journal_point *point,
                                     struct tpw_error_detail *detail)
{
    uint64_t events = ledger__window_events(checkpointer->state->active);
    if (checkpointer->running &&
        (atomic_load(&checkpointer->done) || events >= 2 * checkpointer->interval_events)) {
        enum tpw_err err = collect(checkpointer, detail);
        if (err != TPW_OK) {
            return err;
        }
    }
    if (!checkpointer->running && events >= checkpointer->interval_events) {
        return start(checkpointer, point, true, detail);
    }
    return TPW_OK;
}

enum tpw_err ledger__checkpoint_finish(struct ledger__checkpointer *checkpointer,
                                       const struct ledger__journal_point *point, bool write_active,
                                       struct tpw_error_detail *detail)
{
    enum tpw_err err = TPW_OK;
    if (checkpointer->running) {
        err = collect(checkpointer, detail);
    }
    if (err == TPW_OK && write_active) {
        err = start(checkpointer, point, false, detail);
        if (err == TPW_OK) {
            err = collect(checkpointer, detail);
        }
    }
    free(checkpointer->histories);
    free(checkpointer->entries);
    free(checkpointer->fill);
    free(checkpointer->group_of);
    checkpointer->histories = NULL;
    checkpointer->entries = NULL;
    checkpointer->fill = NULL;
    checkpointer->group_of = NULL;
    checkpointer->history_capacity = 0;
    checkpointer->entry_capacity = 0;
    checkpointer->fill_capacity = 0;
    checkpointer->group_capacity = 0;
    return err;
}
