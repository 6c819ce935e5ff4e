/*
 * The ledger's hash index: 128-bit id → 32-bit position in a record array.
 *
 * Open addressing with linear probing and backward-shift deletion (no tombstones, so
 * rolled-back chains leave nothing behind). Slots hold only the position; the id is
 * read from the record array itself, which keeps a slot at 4 bytes and the table at
 * ≤ 8 bytes per record at the maximum load factor of 1/2. The hash is keyed with a
 * per-process seed because ids are chosen by clients; lookups never depend on the
 * seed's value, so replay stays deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define INDEX_CAPACITY_MIN 1024u

static uint64_t mix64(uint64_t x)
{
    /* The finalizer of SplitMix64: every input bit affects every output bit. */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static uint64_t index_hash(const struct ledger__index *index, tpw_u128 id)
{
    uint64_t low = (uint64_t)id;
    uint64_t high = (uint64_t)(id >> 64);
    return mix64(low ^ mix64(high ^ index->seed));
}

static tpw_u128 record_id(const void *records, size_t stride, uint32_t position)
{
    tpw_u128 id = 0;
    memcpy(&id, (const unsigned char *)records + (size_t)position * stride, sizeof id);
    return id;
}

enum tpw_err ledger__index_init(struct ledger__index *index, uint64_t seed)
{
    index->slots = calloc(INDEX_CAPACITY_MIN, sizeof *index->slots);
    if (index->slots == NULL) {
        return TPW_ERR_NOMEM;
    }
    index->mask = INDEX_CAPACITY_MIN - 1;
    index->count = 0;
    index->seed = seed;
    return TPW_OK;
}

void ledger__index_deinit(struct ledger__index *index)
{
    free(index->slots);
    index->slots = NULL;
}

static void slot_place(uint32_t *slots, uint64_t mask, uint64_t hash, uint32_t value)
{
    uint64_t at = hash & mask;
    while (slots[at] != 0) {
        at = (at + 1) & mask;
    }
    slots[at] = value;
}

enum tpw_err ledger__index_reserve(struct ledger__index *index, uint64_t more, const void *records,
                                   size_t stride)
{
    uint64_t capacity = index->mask + 1;
    uint64_t needed = (index->count + more) * 2;
    if (needed <= capacity) {
        return TPW_OK;
    }
    while (capacity < needed) {
        capacity *= 2;
    }
    uint32_t *slots = calloc(capacity, sizeof *slots);
    if (slots == NULL) {
        return TPW_ERR_NOMEM;
    }
    for (uint64_t i = 0; i <= index->mask; i++) {
        uint32_t value = index->slots[i];
        if (value != 0) {
            tpw_u128 id = record_id(records, stride, value - 1);
            slot_place(slots, capacity - 1, index_hash(index, id), value);
        }
    }
    free(index->slots);
    index->slots = slots;
    index->mask = capacity - 1;
    return TPW_OK;
}

uint32_t ledger__index_find(const struct ledger__index *index, tpw_u128 id, const void *records,
                            size_t stride)
{
    uint64_t at = index_hash(index, id) & index->mask;
    for (;;) {
        uint32_t value = index->slots[at];
        if (value == 0) {
            return LEDGER_INDEX_NONE;
        }
        if (record_id(records, stride, value - 1) == id) {
            return value - 1;
        }
        at = (at + 1) & index->mask;
    }
}

void ledger__index_insert(struct ledger__index *index, tpw_u128 id, uint32_t position)
{
    /* Callers reserve first: the load factor stays at or below one half. */
    TPW_ASSERT((index->count + 1) * 2 <= index->mask + 1);
    TPW_ASSERT(position != UINT32_MAX);
    slot_place(index->slots, index->mask, index_hash(index, id), position + 1);
    index->count++;
}

void ledger__index_remove(struct ledger__index *index, tpw_u128 id, const void *records,
                          size_t stride)
{
    uint64_t at = index_hash(index, id) & index->mask;
    for (;;) {
        /* The id must be present: removal undoes an insert of this chain. */
        TPW_ASSERT(index->slots[at] != 0);
        if (record_id(records, stride, index->slots[at] - 1) == id) {
            break;
        }
        at = (at + 1) & index->mask;
    }
    /* Backward shift: pull later members of the cluster into the hole when their home
     * slot is at or before it (cyclically), so probes never stop early. */
    uint64_t hole = at;
    uint64_t next = (hole + 1) & index->mask;
    while (index->slots[next] != 0) {
        tpw_u128 next_id = record_id(records, stride, index->slots[next] - 1);
        uint64_t home = index_hash(index, next_id) & index->mask;
        if (((next - home) & index->mask) >= ((next - hole) & index->mask)) {
            index->slots[hole] = index->slots[next];
            hole = next;
        }
        next = (next + 1) & index->mask;
    }
    index->slots[hole] = 0;
    index->count--;
}

void ledger__index_clear(struct ledger__index *index)
{
    memset(index->slots, 0, (size_t)(index->mask + 1) * sizeof *index->slots);
    index->count = 0;
}
