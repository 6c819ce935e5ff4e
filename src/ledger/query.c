/*
 * Queries: assets, accounts, transfers by id, balances as of a timestamp, and an
 * account's transfers page by page. Reads only; nothing here is journaled. Those that
 * can report an error refuse on a stopped handle (ledger__read_check): after a failed
 * journal write, memory may hold a batch the disk does not.
 *
 * An account's history is spread over three tiers — the store (LMDB), the frozen
 * window being checkpointed, and the active window — walked in time order.
 *
 * Balances as of a time are recomputed from the account's history (its transfers in
 * timestamp order) rather than stored per change: a post or void names its pending
 * transfer, and an expiry's release time is in the pending transfer's metadata, so
 * the history alone determines every past balance. The cost is linear in the part of
 * the history before that time.
 */
#include <string.h>

#include "ledger_int.h"
#include "store.h"
#include "tpw_assert.h"

#include "banned.h"

enum tpw_err ledger_asset_get(const struct ledger *ledger, uint32_t number,
                              struct ledger_asset *out)
{
    enum tpw_err err = ledger__read_check(ledger);
    if (err != TPW_OK) {
        return err;
    }
    const struct ledger__state *state = ledger__state_of(ledger);
    if (number == 0 || number > state->asset_count) {
        return TPW_ERR_LEDGER_ASSET_NOT_FOUND;
    }
    *out = state->assets[number - 1];
    return TPW_OK;
}

enum tpw_err ledger_asset_find(const struct ledger *ledger, const char *code,
                               struct ledger_asset *out)
{
    enum tpw_err err = ledger__read_check(ledger);
    if (err != TPW_OK) {
        return err;
    }
    const struct ledger__state *state = ledger__state_of(ledger);
    uint32_t index = ledger__asset_find(state, code);
    if (index == LEDGER_INDEX_NONE) {
        return TPW_ERR_LEDGER_ASSET_NOT_FOUND;
    }
    *out = state->assets[index];
    return TPW_OK;
}

size_t ledger_asset_count(const struct ledger *ledger)
{
    return ledger__state_of(ledger)->asset_count;
}

enum tpw_err ledger_account_get(const struct ledger *ledger, tpw_u128 id,
                                struct ledger_account *out)
{
    enum tpw_err err = ledger__read_check(ledger);
    if (err != TPW_OK) {
        return err;
    }
    const struct ledger__state *state = ledger__state_of(ledger);
    uint32_t position = ledger__account_find(state, id);
    if (position == LEDGER_INDEX_NONE) {
        return TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND;
    }
    *out = state->accounts[position];
    return TPW_OK;
}

size_t ledger_account_count(const struct ledger *ledger)
{
    return ledger__state_of(ledger)->account_count;
}

/* Accounts are stored in creation order, so timestamps ascend with the position. */
size_t ledger_account_list(const struct ledger *ledger, uint64_t after_timestamp,
                           struct ledger_account *out, size_t capacity)
{
    const struct ledger__state *state = ledger__state_of(ledger);
    uint32_t low = 0;
    uint32_t high = state->account_count;
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;
        if (state->accounts[mid].timestamp <= after_timestamp) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    size_t count = 0;
    for (uint32_t i = low; i < state->account_count && count < capacity; i++) {
        out[count++] = state->accounts[i];
    }
    return count;
}

enum tpw_err ledger_transfer_get(const struct ledger *ledger, tpw_u128 id,
                                 struct ledger_transfer *out,
                                 enum ledger_pending_state *pending_state)
{
    enum tpw_err err = ledger__read_check(ledger);
    if (err != TPW_OK) {
        return err;
    }
    struct ledger__lookup found;
    ledger__transfer_lookup(ledger__state_of(ledger), id, &found);
    if (found.found != LEDGER_FOUND_TRANSFER) {
        return TPW_ERR_LEDGER_TRANSFER_NOT_FOUND;
    }
    *out = found.transfer;
    *pending_state = (enum ledger_pending_state)found.meta.state;
    return TPW_OK;
}

/* ---- an account's history across the store and the windows ------------------------------ */

typedef bool (*history_visit_fn)(void *ctx, const struct ledger_transfer *transfer,
                                 const struct ledger__transfer_meta *meta);

/* Walks an account's transfers with timestamp in (after, before) — before 0 = no
 * bound — oldest first or newest first, until `visit` returns false. Tiers never
 * overlap in time: the store holds what is older than the frozen window, which holds
 * what is older than the active one. */
struct history_walk {
    tpw_u128 account_id;
    const struct ledger__state *state;
    uint64_t after;
    uint64_t before;
    history_visit_fn visit;
    void *ctx;
    uint32_t account_position;
    bool descending;
    bool stopped;
};

/* A pending transfer's meta may have changed in a newer tier since `record` was
 * written: its current state is the newest one. */
static void visit_record(struct history_walk *walk, const struct ledger_transfer *record,
                         const struct ledger__transfer_meta *meta)
{
    struct ledger__lookup newest;
    if ((record->flags & LEDGER_TRANSFER_PENDING) != 0) {
        ledger__transfer_lookup(walk->state, record->id, &newest);
        TPW_ASSERT(newest.found == LEDGER_FOUND_TRANSFER);
        meta = &newest.meta;
    }
    walk->stopped = !walk->visit(walk->ctx, record, meta);
}

/* The first position at or after `low` whose timestamp is above `timestamp`: a
 * window's own transfers (after the carried ones) are in timestamp order. */
static uint32_t upper_bound(const struct ledger__window *window, uint32_t low, uint64_t timestamp)
{
    uint32_t high = window->transfer_count;
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;
        if (window->transfers[mid].timestamp <= timestamp) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    return low;
}

static bool moved(const struct ledger__window *window, uint32_t position, uint32_t account)
{
    const struct ledger__parties *parties = &window->parties[position];
    return parties->debit == account || parties->credit == account;
}

/* A scan of the window's parties, 8 bytes per transfer: a window holds what one
 * checkpoint interval brings, so this is bounded, and it keeps the write path free of
 * per-account bookkeeping. */
static void walk_window(struct history_walk *walk, const struct ledger__window *window)
{
    if (window == NULL || walk->stopped) {
        return;
    }
    uint32_t begin = upper_bound(window, window->carried, walk->after);
    uint32_t end =
        walk->before == 0 ? window->transfer_count : upper_bound(window, begin, walk->before - 1);
    for (uint32_t i = 0; i < end - begin && !walk->stopped; i++) {
        uint32_t position = walk->descending ? end - 1 - i : begin + i;
        if (moved(window, position, walk->account_position)) {
            visit_record(walk, &window->transfers[position], &window->metas[position]);
        }
    }
}

static bool visit_stored(void *ctx, const struct store_history_entry *entry)
{
    struct history_walk *walk = ctx;
    tpw_u128 id = ((tpw_u128)entry->id_hi << 64) | entry->id_lo;
    struct ledger__lookup found;
    ledger__transfer_lookup(walk->state, id, &found);
    TPW_ASSERT(found.found == LEDGER_FOUND_TRANSFER);
    visit_record(walk, &found.transfer, &found.meta);
    return !walk->stopped;
}

static enum tpw_err walk_store(struct history_walk *walk)
{
    if (walk->state->stored == NULL || walk->stopped) {
        return TPW_OK;
    }
    return store_history_walk(walk->state->stored, walk->account_id, walk->after, walk->before,
                              walk->descending, visit_stored, walk, NULL);
}

static enum tpw_err history_walk_run(struct history_walk *walk)
{
    const struct ledger__state *state = walk->state;
    if (walk->descending) {
        walk_window(walk, state->active);
        walk_window(walk, state->frozen);
        return walk_store(walk);
    }
    enum tpw_err err = walk_store(walk);
    walk_window(walk, state->frozen);
    walk_window(walk, state->active);
    return err;
}

/* ---- balances as of a time -------------------------------------------------------------- */

struct sides {
    tpw_u128 pending;
    tpw_u128 posted;
};

struct as_of {
    const struct ledger__state *state;
    tpw_u128 account_id;
    uint64_t timestamp;
    struct sides debits;
    struct sides credits;
    uint64_t last_change;
};

/* Adds one transfer's effect on one side (debit or credit) of the account. */
static bool add_effect(void *ctx, const struct ledger_transfer *r,
                       const struct ledger__transfer_meta *meta)
{
    struct as_of *as_of = ctx;
    struct sides *side =
        r->debit_account_id == as_of->account_id ? &as_of->debits : &as_of->credits;
    uint64_t changed_at = r->timestamp;
    if ((r->flags & LEDGER_TRANSFER_PENDING) != 0) {
        side->pending += r->amount;
        if (meta->state == LEDGER_PENDING_EXPIRED && meta->resolved_at <= as_of->timestamp) {
            side->pending -= r->amount;
            changed_at = meta->resolved_at;
        }
    } else if ((r->flags & (LEDGER_TRANSFER_POST_PENDING | LEDGER_TRANSFER_VOID_PENDING)) != 0) {
        struct ledger__lookup pending;
        ledger__transfer_lookup(as_of->state, r->pending_id, &pending);
        TPW_ASSERT(pending.found == LEDGER_FOUND_TRANSFER);
        side->pending -= pending.transfer.amount;
        if ((r->flags & LEDGER_TRANSFER_POST_PENDING) != 0) {
            side->posted += r->amount;
        }
    } else {
        side->posted += r->amount;
    }
    as_of->last_change = changed_at > as_of->last_change ? changed_at : as_of->last_change;
    return true;
}

enum tpw_err ledger_balance_as_of(const struct ledger *ledger, tpw_u128 account_id,
                                  uint64_t timestamp, struct ledger_balance *out)
{
    enum tpw_err err = ledger__read_check(ledger);
    if (err != TPW_OK) {
        return err;
    }
    const struct ledger__state *state = ledger__state_of(ledger);
    uint32_t position = ledger__account_find(state, account_id);
    if (position == LEDGER_INDEX_NONE) {
        return TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND;
    }
    struct as_of as_of = {.state = state, .account_id = account_id, .timestamp = timestamp};
    struct history_walk walk = {
        .state = state,
        .account_id = account_id,
        .account_position = position,
        .before = timestamp == UINT64_MAX ? 0 : timestamp + 1,
        .visit = add_effect,
        .ctx = &as_of,
    };
    err = history_walk_run(&walk);
    *out = (struct ledger_balance){
        .timestamp = as_of.last_change,
        .debits_pending = as_of.debits.pending,
        .debits_posted = as_of.debits.posted,
        .credits_pending = as_of.credits.pending,
        .credits_posted = as_of.credits.posted,
    };
    return err;
}

/* ---- an account's transfers, page by page ----------------------------------------------- */

struct page {
    struct ledger_transfer *out;
    size_t capacity;
    size_t count;
    bool has_more;
};

static bool page_add(void *ctx, const struct ledger_transfer *transfer,
                     const struct ledger__transfer_meta *meta)
{
    (void)meta;
    struct page *page = ctx;
    if (page->count == page->capacity) {
        page->has_more = true;
        return false;
    }
    page->out[page->count++] = *transfer;
    return true;
}

enum tpw_err ledger_account_transfers(const struct ledger *ledger,
                                      const struct ledger_history_query *query,
                                      struct ledger_transfer *out, size_t capacity, size_t *count,
                                      bool *has_more)
{
    *count = 0;
    *has_more = false;
    enum tpw_err err = ledger__read_check(ledger);
    if (err != TPW_OK) {
        return err;
    }
    const struct ledger__state *state = ledger__state_of(ledger);
    uint32_t position = ledger__account_find(state, query->account_id);
    if (position == LEDGER_INDEX_NONE) {
        return TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND;
    }
    struct page page = {.out = out, .capacity = capacity};
    struct history_walk walk = {
        .state = state,
        .account_id = query->account_id,
        .account_position = position,
        .after = query->after_timestamp,
        .before = query->before_timestamp,
        .descending = query->descending,
        .visit = page_add,
        .ctx = &page,
    };
    err = history_walk_run(&walk);
    *count = page.count;
    *has_more = page.has_more;
    return err;
}
