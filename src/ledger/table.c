/*
 * The ledger's hash index: 128-bit id → 32-bit position in a record array.
 *
 * Open addressing with linear probing and backward-shift deletion (no tombstones, so
 * rolled-back chains leave nothing behind). A slot holds the position and a 32-bit tag,
 * the hash's high half; the id itself is read from the record array. The tag is what
 * makes the index cheap:
 *  - a probe reads the record (a cache miss into an array of 128-byte records) only
 *    when the tags agree, so a new id — the common case: every transfer's id is new —
 *    almost never touches a record;
 *  - the home slot is the tag's low bits, so growing the table and backward-shift
 *    deletion never read records either. The bits of the tag above the mask still
 *    filter (12 of them at 2^20 slots).
 * At the maximum load factor of 1/2 the table is ≤ 16 bytes per record, and it holds at
 * most 2^31 records (2^32 slots). The hash is keyed with a per-process seed because ids
 * are chosen by clients; lookups never depend on the seed's value, so replay stays
 * deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define INDEX_CAPACITY_MIN 1024u
#define CACHE_LINE_BYTES 64u
#define INDEX_CAPACITY_MAX (UINT64_C(1) << 32) /* the tag addresses the home slot */

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

/* A slot: tag in the high half, position + 1 in the low half (0 = empty). */
static uint64_t slot_make(uint64_t hash, uint32_t position)
{
    return (hash & 0xffffffff00000000ull) | ((uint64_t)position + 1);
}

/* Where a hash, or the slot made from it, probes first. */
static uint64_t home_of(uint64_t hash_or_slot, uint64_t mask)
{
    return (hash_or_slot >> 32) & mask;
}

static bool slot_tag_matches(uint64_t slot, uint64_t hash)
{
    return ((slot ^ hash) >> 32) == 0;
}

static uint32_t slot_position(uint64_t slot)
{
    return (uint32_t)slot - 1;
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
    index->id_max = 0;
    return TPW_OK;
}

void ledger__index_deinit(struct ledger__index *index)
{
    free(index->slots);
    index->slots = NULL;
}

static void slot_place(uint64_t *slots, uint64_t mask, uint64_t slot)
{
    uint64_t at = home_of(slot, mask);
    while (slots[at] != 0) {
        at = (at + 1) & mask;
    }
    slots[at] = slot;
}

enum tpw_err ledger__index_reserve(struct ledger__index *index, uint64_t more)
{
    uint64_t capacity = index->mask + 1;
    uint64_t needed = (index->count + more) * 2;
    if (needed <= capacity) {
        return TPW_OK;
    }
    while (capacity < needed) {
        capacity *= 2;
    }
    if (capacity > INDEX_CAPACITY_MAX) {
        return TPW_ERR_NOMEM;
    }
    uint64_t *slots = calloc(capacity, sizeof *slots);
    if (slots == NULL) {
        return TPW_ERR_NOMEM;
    }
    for (uint64_t i = 0; i <= index->mask; i++) {
        if (index->slots[i] != 0) {
            slot_place(slots, capacity - 1, index->slots[i]);
        }
    }
    free(index->slots);
    index->slots = slots;
    index->mask = capacity - 1;
    return TPW_OK;
}

/* Whether `id` cannot be in the index, known without touching its slots. */
static bool index_surely_absent(const struct ledger__index *index, tpw_u128 id)
{
    return index->count == 0 || id > index->id_max;
}

uint32_t ledger__index_find(const struct ledger__index *index, tpw_u128 id, const void *records,
                            size_t stride)
{
    if (index_surely_absent(index, id)) {
        return LEDGER_INDEX_NONE;
    }
    uint64_t hash = index_hash(index, id);
    uint64_t at = home_of(hash, index->mask);
    for (;;) {
        uint64_t slot = index->slots[at];
        if (slot == 0) {
            return LEDGER_INDEX_NONE;
        }
        if (slot_tag_matches(slot, hash) && record_id(records, stride, slot_position(slot)) == id) {
            return slot_position(slot);
        }
        at = (at + 1) & index->mask;
    }
}

void ledger__index_prefetch(const struct ledger__index *index, tpw_u128 id)
{
    if (index_surely_absent(index, id)) {
        return;
    }
    __builtin_prefetch(&index->slots[home_of(index_hash(index, id), index->mask)]);
}

void ledger__index_prefetch_record(const struct ledger__index *index, tpw_u128 id,
                                   const void *records, size_t stride)
{
    if (index_surely_absent(index, id)) {
        return;
    }
    uint64_t hash = index_hash(index, id);
    uint64_t slot = index->slots[home_of(hash, index->mask)];
    if (slot != 0 && slot_tag_matches(slot, hash)) {
        /* Every cache line of the record: a 128-byte account spans two or three. */
        const unsigned char *record =
            (const unsigned char *)records + (size_t)slot_position(slot) * stride;
        for (size_t offset = 0; offset < stride; offset += CACHE_LINE_BYTES) {
            __builtin_prefetch(record + offset);
        }
        __builtin_prefetch(record + stride - 1);
    }
}

void ledger__index_insert(struct ledger__index *index, tpw_u128 id, uint32_t position)
{
    /* Callers reserve first: the load factor stays at or below one half. */
    TPW_ASSERT((index->count + 1) * 2 <= index->mask + 1);
    TPW_ASSERT(position != UINT32_MAX);
    slot_place(index->slots, index->mask, slot_make(index_hash(index, id), position));
    index->count++;
    if (id > index->id_max) {
        index->id_max = id;
    }
}

void ledger__index_remove(struct ledger__index *index, tpw_u128 id, const void *records,
                          size_t stride)
{
    uint64_t hash = index_hash(index, id);
    uint64_t at = home_of(hash, index->mask);
    for (;;) {
        /* The id must be present: removal undoes an insert of this chain. */
        uint64_t slot = index->slots[at];
        TPW_ASSERT(slot != 0);
        if (slot_tag_matches(slot, hash) && record_id(records, stride, slot_position(slot)) == id) {
            break;
        }
        at = (at + 1) & index->mask;
    }
    /* Backward shift: pull later members of the cluster into the hole when their home
     * slot is at or before it (cyclically), so probes never stop early. */
    uint64_t hole = at;
    uint64_t next = (hole + 1) & index->mask;
    while (index->slots[next] != 0) {
        uint64_t home = home_of(index->slots[next], index->mask);
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
    index->id_max = 0;
}
