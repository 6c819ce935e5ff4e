/*
 * Pending-transfer expiry: a min-heap of (expires_at, position in the active window)
 * and the sweep that releases what has expired before each batch. Freezing a window
 * moves the pending transfers and rebuilds the heap (window.c).
 *
 * Expiry is driven by journaled timestamps only, so replay releases the same holds at
 * the same point. Entries are never removed early: a pending transfer that is posted,
 * voided or rolled back leaves its entry behind, and the sweep discards entries that
 * no longer describe a live pending transfer. That keeps posting O(1) and rollback
 * free of heap surgery.
 */

#include "ledger_int.h"
#include "tpw_assert.h"

#include "banned.h"

static bool entry_before(const struct ledger__expiry *a, const struct ledger__expiry *b)
{
    if (a->expires_at != b->expires_at) {
        return a->expires_at < b->expires_at;
    }
    return a->position < b->position;
}

static void swap(struct ledger__expiry *a, struct ledger__expiry *b)
{
    struct ledger__expiry t = *a;
    *a = *b;
    *b = t;
}

enum tpw_err ledger__expiry_reserve(struct ledger__state *state, uint32_t more)
{
    return ledger__array_reserve((void **)&state->expiries, &state->expiry_capacity,
                                 (uint64_t)state->expiry_count + more, sizeof *state->expiries);
}

void ledger__expiry_push_reserved(struct ledger__state *state, tpw_u128 id, uint64_t expires_at,
                                  uint32_t position)
{
    TPW_ASSERT(state->expiry_count < state->expiry_capacity);
    struct ledger__expiry *heap = state->expiries;
    uint32_t at = state->expiry_count++;
    heap[at] = (struct ledger__expiry){.id = id, .expires_at = expires_at, .position = position};
    while (at > 0 && entry_before(&heap[at], &heap[(at - 1) / 2])) {
        swap(&heap[at], &heap[(at - 1) / 2]);
        at = (at - 1) / 2;
    }
}

static struct ledger__expiry pop(struct ledger__state *state)
{
    TPW_ASSERT(state->expiry_count > 0);
    struct ledger__expiry *heap = state->expiries;
    struct ledger__expiry top = heap[0];
    heap[0] = heap[--state->expiry_count];
    uint32_t at = 0;
    for (;;) {
        uint32_t smallest = at;
        uint32_t left = 2 * at + 1;
        uint32_t right = left + 1;
        if (left < state->expiry_count && entry_before(&heap[left], &heap[smallest])) {
            smallest = left;
        }
        if (right < state->expiry_count && entry_before(&heap[right], &heap[smallest])) {
            smallest = right;
        }
        if (smallest == at) {
            return top;
        }
        swap(&heap[at], &heap[smallest]);
        at = smallest;
    }
}

static void release(struct ledger__state *state, uint32_t position, uint64_t timestamp)
{
    struct ledger__window *window = state->active;
    const struct ledger_transfer *p = &window->transfers[position];
    uint32_t debit = ledger__account_find(state, p->debit_account_id);
    uint32_t credit = ledger__account_find(state, p->credit_account_id);
    TPW_ASSERT(debit != LEDGER_INDEX_NONE && credit != LEDGER_INDEX_NONE);
    ledger__account_dirty(state, debit);
    ledger__account_dirty(state, credit);
    struct ledger_account *d = &state->accounts[debit];
    struct ledger_account *c = &state->accounts[credit];
    TPW_ASSERT(d->debits_pending >= p->amount && c->credits_pending >= p->amount);
    d->debits_pending -= p->amount;
    c->credits_pending -= p->amount;
    if ((p->flags & LEDGER_TRANSFER_CLOSING_DEBIT) != 0) {
        d->flags &= (uint16_t)~LEDGER_ACCOUNT_CLOSED;
    }
    if ((p->flags & LEDGER_TRANSFER_CLOSING_CREDIT) != 0) {
        c->flags &= (uint16_t)~LEDGER_ACCOUNT_CLOSED;
    }
    window->metas[position].state = LEDGER_PENDING_EXPIRED;
    window->metas[position].resolved_at = timestamp;
    TPW_ASSERT(state->pending_count > 0);
    state->pending_count--;
    if (state->observer != NULL) {
        state->observer->expired(state->observer->ctx, state, position);
    }
}

void ledger__expiry_sweep(struct ledger__state *state, uint64_t timestamp)
{
    while (state->expiry_count > 0 && state->expiries[0].expires_at <= timestamp) {
        struct ledger__expiry entry = pop(state);
        uint32_t position = entry.position;
        const struct ledger__window *window = state->active;
        bool live = position < window->transfer_count &&
                    window->transfers[position].id == entry.id &&
                    window->metas[position].state == LEDGER_PENDING_PENDING &&
                    window->metas[position].expires_at == entry.expires_at;
        if (live) {
            release(state, position, timestamp);
        }
    }
}
