/*
 * Queries: assets, accounts, transfers by id, balances as of a timestamp, and an
 * account's transfers page by page. Reads only; nothing here is journaled.
 *
 * Balances as of a time are recomputed from the account's history (its transfers in
 * timestamp order) rather than stored per change: a post or void names its pending
 * transfer, and an expiry's release time is in the pending transfer's metadata, so
 * the history alone determines every past balance.
 */
#include <string.h>

#include "ledger_int.h"
#include "tpw_assert.h"

#include "banned.h"

enum tpw_err ledger_asset_get(const struct ledger *ledger, uint32_t number,
                              struct ledger_asset *out)
{
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
    const struct ledger__state *state = ledger__state_of(ledger);
    uint32_t position = ledger__transfer_find(state, id);
    if (position == LEDGER_INDEX_NONE) {
        return TPW_ERR_LEDGER_TRANSFER_NOT_FOUND;
    }
    *out = state->transfers[position];
    *pending_state = (enum ledger_pending_state)state->metas[position].state;
    return TPW_OK;
}

/* The first history entry whose transfer's timestamp is above `timestamp`. */
static uint32_t history_upper_bound(const struct ledger__state *state,
                                    const struct ledger__history *history, uint64_t timestamp)
{
    uint32_t low = 0;
    uint32_t high = history->count;
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;
        if (state->transfers[history->positions[mid]].timestamp <= timestamp) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    return low;
}

struct sides {
    tpw_u128 pending;
    tpw_u128 posted;
};

/* Adds one transfer's effect on one side (debit or credit) of an account. */
static uint64_t add_effect(const struct ledger__state *state, uint32_t position, uint64_t timestamp,
                           struct sides *side)
{
    const struct ledger_transfer *r = &state->transfers[position];
    const struct ledger__transfer_meta *meta = &state->metas[position];
    uint64_t changed_at = r->timestamp;
    if ((r->flags & LEDGER_TRANSFER_PENDING) != 0) {
        side->pending += r->amount;
        if (meta->state == LEDGER_PENDING_EXPIRED && meta->resolved_at <= timestamp) {
            side->pending -= r->amount;
            changed_at = meta->resolved_at;
        }
    } else if ((r->flags & (LEDGER_TRANSFER_POST_PENDING | LEDGER_TRANSFER_VOID_PENDING)) != 0) {
        uint32_t pending = ledger__transfer_find(state, r->pending_id);
        TPW_ASSERT(pending != LEDGER_INDEX_NONE);
        side->pending -= state->transfers[pending].amount;
        if ((r->flags & LEDGER_TRANSFER_POST_PENDING) != 0) {
            side->posted += r->amount;
        }
    } else {
        side->posted += r->amount;
    }
    return changed_at;
}

static void balance_as_of(const struct ledger__state *state, uint32_t account_position,
                          uint64_t timestamp, struct ledger_balance *out)
{
    const struct ledger_account *account = &state->accounts[account_position];
    const struct ledger__history *history = &state->histories[account_position];
    uint32_t end = history_upper_bound(state, history, timestamp);
    struct sides debits = {0};
    struct sides credits = {0};
    uint64_t last_change = 0;
    for (uint32_t i = 0; i < end; i++) {
        uint32_t position = history->positions[i];
        bool debit = state->transfers[position].debit_account_id == account->id;
        uint64_t changed_at = add_effect(state, position, timestamp, debit ? &debits : &credits);
        last_change = changed_at > last_change ? changed_at : last_change;
    }
    *out = (struct ledger_balance){
        .timestamp = last_change,
        .debits_pending = debits.pending,
        .debits_posted = debits.posted,
        .credits_pending = credits.pending,
        .credits_posted = credits.posted,
    };
}

enum tpw_err ledger_balance_as_of(const struct ledger *ledger, tpw_u128 account_id,
                                  uint64_t timestamp, struct ledger_balance *out)
{
    const struct ledger__state *state = ledger__state_of(ledger);
    uint32_t position = ledger__account_find(state, account_id);
    if (position == LEDGER_INDEX_NONE) {
        return TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND;
    }
    balance_as_of(state, position, timestamp, out);
    return TPW_OK;
}

static void page_ascending(const struct ledger__state *state, const struct ledger__history *history,
                           const struct ledger_history_query *query, struct ledger_transfer *out,
                           size_t capacity, size_t *count, bool *has_more)
{
    uint32_t at = history_upper_bound(state, history, query->after_timestamp);
    for (; at < history->count; at++) {
        const struct ledger_transfer *t = &state->transfers[history->positions[at]];
        if (query->before_timestamp != 0 && t->timestamp >= query->before_timestamp) {
            return;
        }
        if (*count == capacity) {
            *has_more = true;
            return;
        }
        out[(*count)++] = *t;
    }
}

static void page_descending(const struct ledger__state *state,
                            const struct ledger__history *history,
                            const struct ledger_history_query *query, struct ledger_transfer *out,
                            size_t capacity, size_t *count, bool *has_more)
{
    uint32_t end = query->before_timestamp == 0
                       ? history->count
                       : history_upper_bound(state, history, query->before_timestamp - 1);
    for (uint32_t at = end; at > 0; at--) {
        const struct ledger_transfer *t = &state->transfers[history->positions[at - 1]];
        if (t->timestamp <= query->after_timestamp) {
            return;
        }
        if (*count == capacity) {
            *has_more = true;
            return;
        }
        out[(*count)++] = *t;
    }
}

enum tpw_err ledger_account_transfers(const struct ledger *ledger,
                                      const struct ledger_history_query *query,
                                      struct ledger_transfer *out, size_t capacity, size_t *count,
                                      bool *has_more)
{
    const struct ledger__state *state = ledger__state_of(ledger);
    uint32_t position = ledger__account_find(state, query->account_id);
    *count = 0;
    *has_more = false;
    if (position == LEDGER_INDEX_NONE) {
        return TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND;
    }
    const struct ledger__history *history = &state->histories[position];
    if (query->descending) {
        page_descending(state, history, query, out, capacity, count, has_more);
    } else {
        page_ascending(state, history, query, out, capacity, count, has_more);
    }
    return TPW_OK;
}
