/*
 * Locked quotes. Every quote in a book lives for the same TTL, so locking them in turn
 * round a ring of slots is also expiry order: a slot is free again once the quote in it
 * has expired (and is not being executed). The slot is written into the quote's id, so
 * finding a quote is one index and one comparison — no hash table — and an id that does
 * not match its slot's quote is simply unknown.
 *
 * A quote's id: the generator's time-ordered id (48 bits of milliseconds, 80 random)
 * with bits 3.. 3+capacity_log2 replaced by the slot and the low 3 bits cleared, which
 * leaves room for the conversion's transfer ids (exchange.h).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tpw_assert.h"
#include "tpwallet/exchange.h"
#include "tpwallet/id.h"

#include "banned.h"

#define TRANSFER_ID_BITS 3u

enum slot_state {
    SLOT_FREE = 0,
    SLOT_OPEN = 1,
    SLOT_BUSY = 2,
    SLOT_USED = 3,
};

struct slot {
    struct exchange_quote quote;
    enum slot_state state;
};

struct exchange_quote_book {
    pthread_mutex_t lock;
    struct tpw_clock clock;
    struct tpw_prng prng;
    struct tpw_id_gen ids;
    uint64_t ttl_ns;
    struct slot *slots;
    uint64_t slot_mask;
    uint64_t next_slot; /* counts locks; the slot is next_slot & slot_mask */
};

enum tpw_err exchange_quote_book_create(unsigned capacity_log2, uint64_t ttl_ns,
                                        struct tpw_clock clock, uint64_t seed,
                                        exchange_quote_book **out, struct tpw_error_detail *detail)
{
    if (capacity_log2 < 1 || capacity_log2 > EXCHANGE_QUOTES_MAX_LOG2 || ttl_ns == 0) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                             "a quote book needs 2^1..2^%d slots and a TTL above 0",
                             EXCHANGE_QUOTES_MAX_LOG2);
    }
    exchange_quote_book *book = calloc(1, sizeof *book);
    size_t slots = (size_t)1 << capacity_log2;
    if (book != NULL) {
        book->slots = calloc(slots, sizeof *book->slots);
    }
    if (book == NULL || book->slots == NULL) {
        free(book);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for %zu quotes", slots);
    }
    TPW_ASSERT(pthread_mutex_init(&book->lock, NULL) == 0);
    book->clock = clock;
    book->ttl_ns = ttl_ns;
    book->slot_mask = slots - 1;
    tpw_prng_seed(&book->prng, seed);
    tpw_id_gen_init(&book->ids, clock, &book->prng);
    *out = book;
    return TPW_OK;
}

void exchange_quote_book_destroy(exchange_quote_book *book)
{
    if (book != NULL) {
        (void)pthread_mutex_destroy(&book->lock);
        free(book->slots);
        free(book);
    }
}

static tpw_u128 id_with_slot(tpw_u128 id, uint64_t slot, uint64_t slot_mask)
{
    tpw_u128 low_mask = ((tpw_u128)slot_mask << TRANSFER_ID_BITS) | ((1u << TRANSFER_ID_BITS) - 1);
    return (id & ~low_mask) | ((tpw_u128)slot << TRANSFER_ID_BITS);
}

static uint64_t slot_of(const exchange_quote_book *book, tpw_u128 id)
{
    return (uint64_t)(id >> TRANSFER_ID_BITS) & book->slot_mask;
}

enum tpw_err exchange_quote_lock(exchange_quote_book *book, struct exchange_quote *quote,
                                 struct tpw_error_detail *detail)
{
    TPW_ASSERT(quote->route.leg_count >= 1 && quote->route.leg_count <= FX_ROUTE_LEGS_MAX);
    TPW_ASSERT(pthread_mutex_lock(&book->lock) == 0);
    uint64_t now_ns = tpw_clock_now_ns(&book->clock);
    uint64_t index = book->next_slot & book->slot_mask;
    struct slot *slot = &book->slots[index];
    bool free_now =
        slot->state == SLOT_FREE || (slot->state != SLOT_BUSY && slot->quote.expires_ns <= now_ns);
    enum tpw_err err = TPW_OK;
    if (!free_now) {
        err = tpw_error_set(detail, TPW_ERR_EXCHANGE_QUOTES_FULL, 0,
                            "all %llu quote slots hold unexpired quotes",
                            (unsigned long long)book->slot_mask + 1u);
    } else {
        quote->id = id_with_slot(tpw_id_gen_next(&book->ids), index, book->slot_mask);
        quote->created_ns = now_ns;
        quote->expires_ns = now_ns + book->ttl_ns;
        slot->quote = *quote;
        slot->state = SLOT_OPEN;
        book->next_slot++;
    }
    TPW_ASSERT(pthread_mutex_unlock(&book->lock) == 0);
    return err;
}

/* The slot's state as seen for `id` at `now_ns`; the lock is held. */
static enum tpw_err take_check(const struct slot *slot, tpw_u128 id, uint64_t now_ns,
                               struct tpw_error_detail *detail)
{
    if (slot->state == SLOT_FREE || slot->quote.id != id) {
        return tpw_error_set(detail, TPW_ERR_EXCHANGE_QUOTE_UNKNOWN, 0, "no such quote");
    }
    if (slot->state == SLOT_USED) {
        return tpw_error_set(detail, TPW_ERR_EXCHANGE_QUOTE_USED, 0,
                             "the quote has been executed, or refused, already");
    }
    if (slot->state == SLOT_BUSY) {
        return tpw_error_set(detail, TPW_ERR_EXCHANGE_QUOTE_BUSY, 0,
                             "the quote is being executed by another request");
    }
    if (now_ns >= slot->quote.expires_ns) {
        return tpw_error_set(detail, TPW_ERR_EXCHANGE_QUOTE_EXPIRED, 0,
                             "the quote expired %llu ms ago",
                             (unsigned long long)((now_ns - slot->quote.expires_ns) / 1000000u));
    }
    return TPW_OK;
}

enum tpw_err exchange_quote_take(exchange_quote_book *book, tpw_u128 id, struct exchange_quote *out,
                                 struct tpw_error_detail *detail)
{
    TPW_ASSERT(pthread_mutex_lock(&book->lock) == 0);
    struct slot *slot = &book->slots[slot_of(book, id)];
    enum tpw_err err = take_check(slot, id, tpw_clock_now_ns(&book->clock), detail);
    if (err == TPW_OK) {
        slot->state = SLOT_BUSY;
        *out = slot->quote;
    }
    TPW_ASSERT(pthread_mutex_unlock(&book->lock) == 0);
    return err;
}

void exchange_quote_release(exchange_quote_book *book, tpw_u128 id, bool spent)
{
    TPW_ASSERT(pthread_mutex_lock(&book->lock) == 0);
    struct slot *slot = &book->slots[slot_of(book, id)];
    TPW_ASSERT(slot->state == SLOT_BUSY && slot->quote.id == id); /* take, then release */
    slot->state = spent ? SLOT_USED : SLOT_OPEN;
    TPW_ASSERT(pthread_mutex_unlock(&book->lock) == 0);
}
