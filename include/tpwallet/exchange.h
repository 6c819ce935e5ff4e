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

/* ---- several quotes as one group -------------------------------------------------- */

/* One conversion of a group: a quote with the customer's two accounts. */
struct exchange_group_leg {
    const struct exchange_quote *quote;
    tpw_u128 debit_account_id;
    tpw_u128 credit_account_id;
};

/*
 * The transfers of several conversions chained into ONE linked group (a rebalance:
 * every trade or none), in the order given; at most `max` transfers. Returns the
 * count, or 0 when they do not fit. Each quote's transfers are those of
 * exchange_quote_transfers (ids from its quote id); only the group's last transfer
 * closes the chain.
 */
size_t exchange_group_transfers(const struct exchange_group_leg *legs, size_t legs_count,
                                struct ledger_transfer *out, size_t max);

/*
 * exchange_results_check for a group: the verdict of the leg whose transfer failed the
 * chain (*leg_index; its own errors: insufficient funds when its payer cannot pay, …),
 * and *spent as there — for every quote of the group, since their transfers share the
 * ledger's one verdict. TPW_ERR_EXCHANGE_QUOTE_USED when every transfer `exists`.
 */
TPW_MUST_CHECK enum tpw_err exchange_group_results_check(const struct exchange_group_leg *legs,
                                                         size_t legs_count,
                                                         const enum ledger_transfer_result *results,
                                                         size_t count, bool *spent /* out */,
                                                         size_t *leg_index /* out */,
                                                         struct tpw_error_detail *detail);

/* ---- rebalancing ---------------------------------------------------------------------- */

/* Holdings one portfolio may have. */
#define EXCHANGE_HOLDINGS_MAX 16

/* One holding of a portfolio: a ledger account in its asset, with its target. */
struct exchange_holding {
    tpw_u128 account_id;
    struct money_asset asset;  /* its code and exponent */
    tpw_u128 balance_minor;    /* what it holds now */
    struct money_rate to_base; /* base per one unit of the asset (a mid); the base's is 1 */
    uint64_t target_e18;       /* its target weight × 10^18; the targets sum to 10^18 */
    uint64_t band_e18;         /* the drift |weight − target| allowed, × 10^18 */
};

/* A portfolio in its base currency. */
struct exchange_valuation {
    tpw_u128 total_minor; /* base minor units */
    tpw_u128 value_minor[EXCHANGE_HOLDINGS_MAX];
    uint64_t weight_e18[EXCHANGE_HOLDINGS_MAX]; /* value / total, half-even; 0 when empty */
    uint64_t drift_e18[EXCHANGE_HOLDINGS_MAX];  /* |weight − target| */
    bool outside_band;                          /* some drift above its band */
};

/*
 * Values each holding at its mid in the base (rounded down), weights and drifts.
 * Errors: TPW_ERR_REBALANCE_INVALID (no holdings or more than EXCHANGE_HOLDINGS_MAX,
 * targets not summing to 1, a target or band above 1, the base not valued at 1),
 * TPW_ERR_RATE_ZERO, TPW_ERR_OVERFLOW.
 */
TPW_MUST_CHECK enum tpw_err exchange_valuation_of(const struct exchange_holding *holdings,
                                                  size_t count, size_t base_index,
                                                  struct exchange_valuation *out /* out */,
                                                  struct tpw_error_detail *detail);

/* Where a rebalance takes the holdings outside their bands. */
enum exchange_destination {
    EXCHANGE_TO_TARGET = 1, /* every holding back to its target */
    /* Only those outside, to the nearest edge of their band pulled a tenth of the band
     * inwards (so the trades' costs cannot leave them just outside). */
    EXCHANGE_TO_BAND_EDGE = 2,
};

/* One trade of a plan: a conversion between a holding and the base holding. */
struct exchange_trade {
    size_t from_index;                 /* the holding that pays */
    size_t to_index;                   /* the holding that receives */
    enum fx_route_direction direction; /* SELL: amount of from's asset; BUY: of to's */
    tpw_u128 amount_minor;
};

struct exchange_rebalance {
    struct exchange_valuation before;
    struct exchange_trade trades[EXCHANGE_HOLDINGS_MAX]; /* sells first, then buys */
    size_t trades_count; /* 0 when every holding is inside its band */
};

/*
 * The plan that brings a portfolio back (docs/portfolio.md, "Rebalancing on the
 * ledger"): none when every holding is inside its band; otherwise a SELL of each
 * holding above its destination into the base holding, then a BUY of each one below
 * it out of the base holding, each for the exact amount of its asset (rounded down).
 * The base holding is the netting point: it takes what the trades cost. Errors: those
 * of exchange_valuation_of.
 */
TPW_MUST_CHECK enum tpw_err exchange_rebalance_plan(const struct exchange_holding *holdings,
                                                    size_t count, size_t base_index,
                                                    enum exchange_destination kind,
                                                    struct exchange_rebalance *out /* out */,
                                                    struct tpw_error_detail *detail);

/* ---- a plan's execution (rebalance_group.c) ---------------------------------------- */

/*
 * The group's legs of a plan whose trade i is priced by quotes[i]: each trade debits
 * its paying holding's account and credits its receiving one's (legs: trades_count).
 * The CLI and the server both run exactly this group (exchange_group_transfers).
 */
void exchange_rebalance_legs(const struct exchange_rebalance *plan,
                             const struct exchange_holding *holdings,
                             const struct exchange_quote *quotes,
                             struct exchange_group_leg *legs /* out */);

/* What a plan does at the prices of its routes, valued at the holdings' mids. */
struct exchange_rebalance_outcome {
    /* Per trade: the base value at mid (rounded down) of what its payer pays and of what
     * its receiver gets, and the difference, the trade's cost (0 when a route pays more
     * than the mid says, which only rounding or a route off the valuation's mids does). */
    tpw_u128 paid_value_minor[EXCHANGE_HOLDINGS_MAX];
    tpw_u128 received_value_minor[EXCHANGE_HOLDINGS_MAX];
    tpw_u128 cost_minor[EXCHANGE_HOLDINGS_MAX];
    tpw_u128 total_cost_minor;                           /* Σ cost, base minor units */
    tpw_u128 balance_after_minor[EXCHANGE_HOLDINGS_MAX]; /* each holding after the group */
    struct exchange_valuation after;                     /* at the same mids */
};

/*
 * The outcome of executing `plan` at `routes` (routes[i] prices trade i: its in_minor is
 * what the payer pays, its out_minor what the receiver gets): every balance after, each
 * trade's cost and the valuation after at the same mids — what a preview promises and
 * what the ledger then shows while the quotes hold. Errors:
 * TPW_ERR_EXCHANGE_INSUFFICIENT_FUNDS (a holding would pay more than it holds: the base
 * when buys cost more than sells bring; index names the holding), TPW_ERR_OVERFLOW,
 * exchange_valuation_of's.
 */
TPW_MUST_CHECK enum tpw_err exchange_rebalance_outcome_of(
    const struct exchange_holding *holdings, size_t count, size_t base_index,
    const struct exchange_rebalance *plan, const struct fx_route *routes,
    struct exchange_rebalance_outcome *out /* out */, struct tpw_error_detail *detail);

/*
 * After exchange_group_results_check refused leg `leg` of a plan's group: rewrites the
 * message to name the trade as a preview numbers them (1..), its two assets and its
 * payer (the account id in text form with `id_prefix`), and says that nothing moved.
 * Sets the param to `param`.
 */
void exchange_rebalance_refusal_name(const struct exchange_rebalance *plan,
                                     const struct exchange_holding *holdings, size_t leg,
                                     const char *id_prefix, const char *param,
                                     struct tpw_error_detail *detail);

#endif /* TPWALLET_EXCHANGE_H */
