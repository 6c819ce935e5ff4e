/*
 * Windows: the transfers, pinned failures and account history since a checkpoint
 * began, kept in memory until a checkpoint has stored them in LMDB (store.c).
 *
 * Memory is what bounds the ledger, not history: only the active window (growing) and
 * at most one frozen window (being written by the checkpoint thread) are in memory,
 * plus the accounts and the unresolved pending transfers, which are the hot state.
 * Freezing swaps the two windows in O(changed accounts + pending transfers) on the
 * apply thread, so the write path never waits for LMDB unless it outruns it.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger_int.h"
#include "store.h"
#include "tpw_assert.h"

#include "banned.h"

enum tpw_err ledger__window_init(struct ledger__window *window, uint64_t seed)
{
    memset(window, 0, sizeof *window);
    if (ledger__index_init(&window->transfer_index, seed) != TPW_OK ||
        ledger__index_init(&window->failure_index, seed ^ 0xa5a5a5a5ull) != TPW_OK) {
        ledger__window_deinit(window);
        return TPW_ERR_NOMEM;
    }
    return TPW_OK;
}

void ledger__window_deinit(struct ledger__window *window)
{
    free(window->dirty);
    free(window->dirty_list);
    free(window->dirty_accounts);
    free(window->transfers);
    free(window->metas);
    free(window->parties);
    free(window->failures);
    ledger__index_deinit(&window->transfer_index);
    ledger__index_deinit(&window->failure_index);
    memset(window, 0, sizeof *window);
}

void ledger__window_clear(struct ledger__window *window)
{
    for (uint32_t i = 0; i < window->dirty_count; i++) {
        window->dirty[window->dirty_list[i]] = 0;
    }
    window->dirty_count = 0;
    window->transfer_count = 0;
    window->carried = 0;
    window->failure_count = 0;
    ledger__index_clear(&window->transfer_index);
    ledger__index_clear(&window->failure_index);
}

/* The per-account arrays (dirty mark, dirty list) cover `accounts` accounts. */
static enum tpw_err accounts_reserve(struct ledger__window *window, uint32_t accounts)
{
    uint32_t old = window->account_capacity;
    uint32_t capacity = old;
    uint32_t list_capacity = old;
    if (ledger__array_reserve((void **)&window->dirty, &capacity, accounts,
                              sizeof *window->dirty) != TPW_OK ||
        ledger__array_reserve((void **)&window->dirty_list, &list_capacity, capacity,
                              sizeof *window->dirty_list) != TPW_OK) {
        /* account_capacity stays at `old`: a retry grows and zeroes both again. */
        return TPW_ERR_NOMEM;
    }
    if (capacity > old) {
        memset(&window->dirty[old], 0, capacity - old);
        window->account_capacity = capacity;
    }
    return TPW_OK;
}

/* Grows an array parallel to the transfers from `old` to `capacity` elements. */
static enum tpw_err parallel_reserve(void **array, uint32_t old, uint32_t capacity, size_t size)
{
    uint32_t grown = old;
    return ledger__array_reserve(array, &grown, capacity, size);
}

enum tpw_err ledger__window_reserve(struct ledger__window *window, uint32_t account_count,
                                    size_t transfers)
{
    if (accounts_reserve(window, account_count) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    uint64_t needed = (uint64_t)window->transfer_count + transfers;
    uint32_t capacity = window->transfer_capacity;
    if (ledger__array_reserve((void **)&window->transfers, &capacity, needed,
                              sizeof *window->transfers) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    if (parallel_reserve((void **)&window->metas, window->transfer_capacity, capacity,
                         sizeof *window->metas) != TPW_OK ||
        parallel_reserve((void **)&window->parties, window->transfer_capacity, capacity,
                         sizeof *window->parties) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    window->transfer_capacity = capacity;
    if (ledger__index_reserve(&window->transfer_index, transfers) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    uint64_t failures = (uint64_t)window->failure_count + transfers;
    if (ledger__array_reserve((void **)&window->failures, &window->failure_capacity, failures,
                              sizeof *window->failures) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    return ledger__index_reserve(&window->failure_index, transfers);
}

uint64_t ledger__window_events(const struct ledger__window *window)
{
    return (uint64_t)(window->transfer_count - window->carried) + window->failure_count +
           window->dirty_count;
}

static uint32_t window_find(const struct ledger__window *window, tpw_u128 id)
{
    return ledger__index_find(&window->transfer_index, id, window->transfers,
                              sizeof *window->transfers);
}

static uint32_t window_failure_find(const struct ledger__window *window, tpw_u128 id)
{
    return ledger__index_find(&window->failure_index, id, window->failures,
                              sizeof *window->failures);
}

void ledger__account_dirty(struct ledger__state *state, uint32_t account_position)
{
    struct ledger__window *window = state->active;
    TPW_ASSERT(account_position < window->account_capacity);
    if (window->dirty[account_position] == 0) {
        window->dirty[account_position] = 1;
        window->dirty_list[window->dirty_count++] = account_position;
    }
}

/* Looks `id` up in one window; true when found. */
static bool window_lookup(const struct ledger__window *window, tpw_u128 id,
                          struct ledger__lookup *out)
{
    uint32_t position = window_find(window, id);
    if (position != LEDGER_INDEX_NONE) {
        out->found = LEDGER_FOUND_TRANSFER;
        out->position = position;
        out->transfer = window->transfers[position];
        out->meta = window->metas[position];
        return true;
    }
    position = window_failure_find(window, id);
    if (position != LEDGER_INDEX_NONE) {
        out->found = LEDGER_FOUND_FAILURE;
        out->failure = window->failures[position];
        return true;
    }
    return false;
}

void ledger__transfer_lookup(const struct ledger__state *state, tpw_u128 id,
                             struct ledger__lookup *out)
{
    out->found = LEDGER_FOUND_NONE;
    out->position = LEDGER_INDEX_NONE;
    if (window_lookup(state->active, id, out)) {
        return;
    }
    out->position = LEDGER_INDEX_NONE; /* positions only ever refer to the active window */
    if (state->frozen != NULL && window_lookup(state->frozen, id, out)) {
        out->position = LEDGER_INDEX_NONE;
        return;
    }
    if (state->stored != NULL) {
        enum store_found found =
            store_transfer_get(state->stored, id, &out->transfer, &out->meta, &out->failure);
        out->found = found == STORE_FOUND_TRANSFER  ? LEDGER_FOUND_TRANSFER
                     : found == STORE_FOUND_FAILURE ? LEDGER_FOUND_FAILURE
                                                    : LEDGER_FOUND_NONE;
    }
}

/* ---- freezing and carrying -------------------------------------------------------------- */

static void carry_one(struct ledger__state *state, const struct ledger_transfer *transfer,
                      const struct ledger__transfer_meta *meta)
{
    struct ledger__window *window = state->active;
    TPW_ASSERT(window->transfer_count == window->carried);
    uint32_t position = window->transfer_count++;
    TPW_ASSERT(position < window->transfer_capacity);
    window->transfers[position] = *transfer;
    window->metas[position] = *meta;
    window->carried++;
    ledger__index_insert(&window->transfer_index, transfer->id, position);
    if (meta->expires_at != 0) {
        ledger__expiry_push_reserved(state, transfer->id, meta->expires_at, position);
    }
}

enum tpw_err ledger__state_carry(struct ledger__state *state,
                                 const struct ledger_transfer *transfer,
                                 const struct ledger__transfer_meta *meta)
{
    TPW_ASSERT(meta->state == LEDGER_PENDING_PENDING);
    if (ledger__window_reserve(state->active, state->account_count, 1) != TPW_OK ||
        ledger__expiry_reserve(state, 1) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    carry_one(state, transfer, meta);
    state->pending_count++;
    return TPW_OK;
}

static int position_compare(const void *a, const void *b)
{
    uint32_t left = *(const uint32_t *)a;
    uint32_t right = *(const uint32_t *)b;
    return left < right ? -1 : left > right;
}

/*
 * Puts the dirty list in position order, which is creation order and so the order of
 * the store's account keys: the checkpoint then writes accounts without sorting them
 * (a qsort of ~100k entries per checkpoint was a tenth of the checkpoint thread).
 * Positions at or past the account count belong to accounts a failed linked chain
 * created and rolled back: they are dropped. When many accounts changed, a pass over
 * the dirty flags is cheaper than sorting.
 */
static void dirty_list_order(const struct ledger__state *state, struct ledger__window *window)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < window->dirty_count; i++) {
        uint32_t position = window->dirty_list[i];
        if (position >= state->account_count) {
            window->dirty[position] = 0;
        } else {
            window->dirty_list[kept++] = position;
        }
    }
    window->dirty_count = kept;
    if ((uint64_t)kept * 16 < state->account_count) {
        qsort(window->dirty_list, kept, sizeof *window->dirty_list, position_compare);
        return;
    }
    kept = 0;
    for (uint32_t position = 0; position < state->account_count; position++) {
        if (window->dirty[position] != 0) {
            window->dirty_list[kept++] = position;
        }
    }
    TPW_ASSERT(kept == window->dirty_count);
}

/* Copies the window's changed accounts as they are now, for the checkpoint, in
 * position order; the dirty list stays parallel to the copies. */
static enum tpw_err copy_dirty_accounts(const struct ledger__state *state,
                                        struct ledger__window *window)
{
    if (ledger__array_reserve((void **)&window->dirty_accounts, &window->dirty_accounts_capacity,
                              window->dirty_count, sizeof *window->dirty_accounts) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    dirty_list_order(state, window);
    for (uint32_t i = 0; i < window->dirty_count; i++) {
        window->dirty_accounts[i] = state->accounts[window->dirty_list[i]];
    }
    return TPW_OK;
}

enum tpw_err ledger__state_freeze(struct ledger__state *state)
{
    TPW_ASSERT(state->frozen == NULL && state->undo_count == 0);
    struct ledger__window *old = state->active;
    struct ledger__window *next =
        old == &state->windows[0] ? &state->windows[1] : &state->windows[0];
    TPW_ASSERT(next->transfer_count == 0 && next->dirty_count == 0);
    if (copy_dirty_accounts(state, old) != TPW_OK ||
        ledger__window_reserve(next, state->account_count, state->pending_count) != TPW_OK ||
        ledger__expiry_reserve(state, (uint32_t)state->pending_count) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    state->active = next;
    state->frozen = old;
    state->expiry_count = 0; /* rebuilt below: positions change */
    for (uint32_t i = 0; i < old->transfer_count; i++) {
        if (old->metas[i].state == LEDGER_PENDING_PENDING) {
            carry_one(state, &old->transfers[i], &old->metas[i]);
        }
    }
    TPW_ASSERT(next->carried == state->pending_count);
    return TPW_OK;
}

void ledger__state_thaw(struct ledger__state *state)
{
    TPW_ASSERT(state->frozen != NULL);
    ledger__window_clear(state->frozen);
    state->frozen = NULL;
}
