/*
 * Exchange: the execution layer between FX pricing (fx.h) and the ledger (ledger.h).
 *
 * A customer's conversion is priced as a route (fx_route_find), locked as a quote with
 * an expiry, and executed as ONE linked group of ledger transfers through the house's
 * accounts — all of it or nothing:
 *
 *   customer (from asset)  → house FX pool (from)   the first leg's input minus its fee
 *   customer (from asset)  → house fees (from)      the first leg's fee (when not 0)
 *   house FX pool (leg k)  → house fees (leg k)     each later leg's fee, in its input asset
 *   house FX pool (to)     → customer (to asset)    what the customer receives
 *
 * So the customer pays exactly the quote's input and receives exactly its output; the
 * pools carry the house's position per currency (an intermediate currency's pool only
 * pays the fee earned in it). Per asset, debits equal credits, as in every ledger group.
 *
 * The group's transfer ids are the quote id with its low 3 bits set to 0, 1, 2, …: a
 * quote executes at most once even across restarts (the ledger reports `exists`), and
 * every transfer's user_data is the quote id.
 *
 * The module builds transfers and reads results; it does no I/O itself, so the CLI
 * runs the group on its ledger handle and the server through its group committer.
 */
#ifndef TPWALLET_EXCHANGE_H
#define TPWALLET_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/clock.h"
#include "tpwallet/error.h"
#include "tpwallet/fx.h"
#include "tpwallet/ledger.h"
#include "tpwallet/prng.h"

/* ---- the house's accounts ----------------------------------------------------------- */

/* House accounts have ids in this range (the high 64 bits spell "tpwhouse"): the pool
 * of asset n is PREFIX | 1 << 32 | n, its fee account PREFIX | 2 << 32 | n. */
#define EXCHANGE_HOUSE_ID_HIGH UINT64_C(0x747077686f757365)

tpw_u128 exchange_pool_account_id(uint32_t asset);
tpw_u128 exchange_fee_account_id(uint32_t asset);

/* The two house accounts of `asset` for ledger_create_accounts: the FX pool (kind
 * fx_pool) and the fee account (kind fees), neither with a balance limit — a pool whose
 * debits exceed its credits is the house being short that currency. Creating them
 * again is harmless (`exists`). */
void exchange_house_accounts(uint32_t asset, struct ledger_account out[2] /* out */);

/* ---- locked quotes -------------------------------------------------------------------- */

/* The transfers of one conversion: two on the first leg, one fee per later leg, one
 * payout. */
#define EXCHANGE_TRANSFERS_MAX (2 + (FX_ROUTE_LEGS_MAX - 1) + 1)
/* The transfer `code` every conversion transfer carries. */
#define EXCHANGE_TRANSFER_CODE 7001u

struct exchange_quote {
    tpw_u128 id;    /* set by exchange_quote_lock; its low 3 bits are 0 */
    tpw_u128 owner; /* the owner whose accounts may execute it; 0: any */
    struct fx_route route;
    /* The ledger asset number of each currency on the route, from the first leg's input
     * to the last leg's output (route.leg_count + 1 of them). */
    uint32_t assets[FX_ROUTE_LEGS_MAX + 1];
    uint64_t created_ns;
    uint64_t expires_ns;
    bool degraded; /* priced on a degraded rate (allowed by policy, and said so) */
};

/* Open quotes at most: a power of two (the slot is part of the id). */
#define EXCHANGE_QUOTES_MAX_LOG2 20

typedef struct exchange_quote_book exchange_quote_book;

/*
 * A book of locked quotes, each valid for `ttl_ns` from its lock, with room for
 * 2^capacity_log2 (1..EXCHANGE_QUOTES_MAX_LOG2) unexpired ones. Ids come from a
 * generator over `clock` and `seed` (time-ordered, unguessable only as far as the seed
 * is). Thread-safe.
 */
TPW_MUST_CHECK enum tpw_err exchange_quote_book_create(unsigned capacity_log2, uint64_t ttl_ns,
                                                       struct tpw_clock clock, uint64_t seed,
                                                       exchange_quote_book **out /* out */,
                                                       struct tpw_error_detail *detail);
void exchange_quote_book_destroy(exchange_quote_book *book);

/* Locks `quote` (route, assets, owner filled in): sets its id, created_ns and
 * expires_ns. TPW_ERR_EXCHANGE_QUOTES_FULL when every slot holds an unexpired quote. */
TPW_MUST_CHECK enum tpw_err exchange_quote_lock(exchange_quote_book *book,
                                                struct exchange_quote *quote,
                                                struct tpw_error_detail *detail);

/*
 * Takes the quote for execution: copies it out and marks it busy. Errors, changing
 * nothing: TPW_ERR_EXCHANGE_QUOTE_UNKNOWN (never locked here, or forgotten after its
 * expiry), _EXPIRED, _USED (executed, or spent by a refusal), _BUSY (being executed
 * right now).
 */
TPW_MUST_CHECK enum tpw_err exchange_quote_take(exchange_quote_book *book, tpw_u128 id,
                                                struct exchange_quote *out /* out */,
                                                struct tpw_error_detail *detail);

/*
 * Ends a take. `spent` (what exchange_results_check says) marks the quote used for
 * good: it executed, or the ledger refused it for a reason that pins its transfer ids
 * (insufficient funds, a missing account: docs/ledger.md, Idempotency), so the same
 * quote can never turn "declined" into "paid" — the customer asks for a new one.
 * Otherwise (the group never reached the ledger, or failed on its form alone) the quote
 * is open again until its expiry.
 */
void exchange_quote_release(exchange_quote_book *book, tpw_u128 id, bool spent);

/* ---- execution -------------------------------------------------------------------- */

/*
 * The linked group that executes `quote`, debiting `debit_account_id` (in the route's
 * first asset) and crediting `credit_account_id` (in its last). Returns the number of
 * transfers written to `out` (2..EXCHANGE_TRANSFERS_MAX); the last one closes the chain.
 */
size_t exchange_quote_transfers(const struct exchange_quote *quote, tpw_u128 debit_account_id,
                                tpw_u128 credit_account_id,
                                struct ledger_transfer out[EXCHANGE_TRANSFERS_MAX] /* out */);

/*
 * What the ledger's results for that group mean, and whether they spent the quote
 * (*spent: executed now or before, or refused with its ids pinned). TPW_OK: executed
 * now. TPW_ERR_EXCHANGE_QUOTE_USED: executed before (every transfer `exists`) or
 * refused before (`id_already_failed`).
 * TPW_ERR_EXCHANGE_INSUFFICIENT_FUNDS: the customer's account cannot pay the input.
 * TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND: a customer account is missing (param names it).
 * TPW_ERR_EXCHANGE_ACCOUNT_ASSET: a customer account holds another asset than the
 * route's end. TPW_ERR_EXCHANGE_REFUSED: any other refusal (the message names the
 * ledger's result). In every case but OK nothing was applied (the group is linked).
 */
TPW_MUST_CHECK enum tpw_err exchange_results_check(const enum ledger_transfer_result *results,
                                                   size_t count, bool *spent /* out */,
                                                   struct tpw_error_detail *detail);

/* ---- exposure ---------------------------------------------------------------------- */

/* The house's position in one asset, from its FX pool and fee accounts. A pool that
 * received more than it paid is long the currency; one that paid more is short. */
struct exchange_position {
    tpw_u128 long_minor;  /* pool credits − debits, when not negative */
    tpw_u128 short_minor; /* pool debits − credits, when positive */
    tpw_u128 fees_minor;  /* fee account credits − debits (fees earned) */
};

/* From the two accounts (posted balances; NULL for one not created yet: zero). */
void exchange_position_of(const struct ledger_account *pool, const struct ledger_account *fees,
                          struct exchange_position *out /* out */);

/* True when the position's size (long or short) is above `limit_minor`. */
bool exchange_position_over(const struct exchange_position *position, tpw_u128 limit_minor);

#endif /* TPWALLET_EXCHANGE_H */
