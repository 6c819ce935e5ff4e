/*
 * The state hash: one BLAKE2b-256 digest over the whole ledger state in a canonical
 * serialization. Replaying a journal must reproduce it exactly; tests and
 * `tpwallet replay` compare it. Accounts are hashed as stored (records have no
 * padding); transfers and failures in the store's value encoding (store.h), so struct
 * padding never reaches the digest.
 *
 * Transfers and pinned failures are hashed in id order, merging the store with the
 * windows, so the digest does not depend on when checkpoints happened: a ledger
 * replayed from the first record and one recovered from a checkpoint agree. It reads
 * every transfer, so it is a verification tool, not something for the hot path.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "ledger_int.h"
#include "store.h"
#include "tpw_assert.h"

#include "banned.h"

static void hash_u64(crypto_generichash_state *h, uint64_t value)
{
    uint8_t bytes[8];
    bytes_le64_store(bytes, value);
    crypto_generichash_update(h, bytes, sizeof bytes);
}

static void hash_assets(crypto_generichash_state *h, const struct ledger__state *state)
{
    hash_u64(h, state->asset_count);
    for (uint32_t i = 0; i < state->asset_count; i++) {
        const struct ledger_asset *asset = &state->assets[i];
        hash_u64(h, asset->number);
        hash_u64(h, asset->exponent);
        crypto_generichash_update(h, (const unsigned char *)asset->code, sizeof asset->code);
    }
}

/* A transfer or failure from a window, for the merge with the store. */
struct item {
    tpw_u128 id;
    const struct ledger_transfer *transfer; /* NULL for a failure */
    const struct ledger__transfer_meta *meta;
    const struct ledger__failure *failure;
    uint32_t tier; /* 0 = active, 1 = frozen: the active copy of an id wins */
};

static int item_compare(const void *a, const void *b)
{
    const struct item *x = a;
    const struct item *y = b;
    if (x->id != y->id) {
        return x->id < y->id ? -1 : 1;
    }
    return x->tier < y->tier ? -1 : (x->tier > y->tier ? 1 : 0);
}

/* Transfers and failures are hashed as the store encodes them, after a tag and (for a
 * failure, whose value does not hold it) the id. */
static void hash_transfer(crypto_generichash_state *h, const struct ledger_transfer *transfer,
                          const struct ledger__transfer_meta *meta)
{
    uint8_t bytes[1 + STORE_TRANSFER_BYTES];
    bytes[0] = 'T';
    store_transfer_encode(transfer, meta, bytes + 1);
    crypto_generichash_update(h, bytes, sizeof bytes);
}

static void hash_failure(crypto_generichash_state *h, const struct ledger__failure *failure)
{
    uint8_t bytes[1 + 16 + STORE_FAILURE_BYTES];
    bytes[0] = 'F';
    bytes_le128_store(bytes + 1, failure->id);
    store_failure_encode(failure, bytes + 1 + 16);
    crypto_generichash_update(h, bytes, sizeof bytes);
}

static void hash_item(crypto_generichash_state *h, const struct item *item)
{
    if (item->transfer != NULL) {
        hash_transfer(h, item->transfer, item->meta);
    } else {
        hash_failure(h, item->failure);
    }
}

static size_t items_add(struct item *items, size_t count, const struct ledger__window *window,
                        uint32_t tier)
{
    for (uint32_t i = 0; window != NULL && i < window->transfer_count; i++) {
        items[count++] = (struct item){.id = window->transfers[i].id,
                                       .transfer = &window->transfers[i],
                                       .meta = &window->metas[i],
                                       .tier = tier};
    }
    for (uint32_t i = 0; window != NULL && i < window->failure_count; i++) {
        items[count++] = (struct item){
            .id = window->failures[i].id, .failure = &window->failures[i], .tier = tier};
    }
    return count;
}

/* The windows' items in id order, one per id (the newest copy). */
static struct item *window_items(const struct ledger__state *state, size_t *count)
{
    size_t total = 1;
    const struct ledger__window *windows[2] = {state->active, state->frozen};
    for (size_t w = 0; w < 2; w++) {
        if (windows[w] != NULL) {
            total += (size_t)windows[w]->transfer_count + windows[w]->failure_count;
        }
    }
    struct item *items = malloc(total * sizeof *items);
    if (items == NULL) {
        return NULL;
    }
    size_t n = items_add(items, 0, state->active, 0);
    n = items_add(items, n, state->frozen, 1);
    qsort(items, n, sizeof *items, item_compare);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++) {
        if (unique == 0 || items[unique - 1].id != items[i].id) {
            items[unique++] = items[i];
        }
    }
    *count = unique;
    return items;
}

/* Merges the store's transfers (id order) with the windows' items, newest copy first. */
struct merge {
    crypto_generichash_state *h;
    const struct item *items;
    size_t count;
    size_t next;
    uint64_t hashed;
};

static bool merge_stored(void *ctx, tpw_u128 id, const struct ledger_transfer *transfer,
                         const struct ledger__transfer_meta *meta,
                         const struct ledger__failure *failure)
{
    struct merge *merge = ctx;
    while (merge->next < merge->count && merge->items[merge->next].id < id) {
        hash_item(merge->h, &merge->items[merge->next++]);
        merge->hashed++;
    }
    if (merge->next < merge->count && merge->items[merge->next].id == id) {
        hash_item(merge->h, &merge->items[merge->next++]);
    } else if (transfer != NULL) {
        hash_transfer(merge->h, transfer, meta);
    } else {
        hash_failure(merge->h, failure);
    }
    merge->hashed++;
    return true;
}

static enum tpw_err hash_transfers(crypto_generichash_state *h, const struct ledger__state *state)
{
    size_t count = 0;
    struct item *items = window_items(state, &count);
    if (items == NULL) {
        return TPW_ERR_NOMEM;
    }
    struct merge merge = {.h = h, .items = items, .count = count};
    enum tpw_err err = TPW_OK;
    if (state->stored != NULL) {
        err = store_each_transfer(state->stored, merge_stored, &merge, NULL);
    }
    for (; merge.next < merge.count; merge.next++) {
        hash_item(h, &items[merge.next]);
        merge.hashed++;
    }
    free(items);
    hash_u64(h, merge.hashed);
    return err;
}

enum tpw_err ledger__state_hash(const struct ledger__state *state,
                                uint8_t out[LEDGER_STATE_HASH_BYTES])
{
    static const char domain[] = "tpwallet ledger state v2";
    crypto_generichash_state h;
    int rc = crypto_generichash_init(&h, NULL, 0, LEDGER_STATE_HASH_BYTES);
    TPW_ASSERT(rc == 0);
    crypto_generichash_update(&h, (const unsigned char *)domain, sizeof domain);
    hash_u64(&h, state->last_timestamp);
    hash_assets(&h, state);
    hash_u64(&h, state->account_count);
    if (state->account_count > 0) {
        crypto_generichash_update(&h, (const unsigned char *)state->accounts,
                                  (size_t)state->account_count * sizeof *state->accounts);
    }
    enum tpw_err err = hash_transfers(&h, state);
    crypto_generichash_final(&h, out, LEDGER_STATE_HASH_BYTES);
    return err;
}
