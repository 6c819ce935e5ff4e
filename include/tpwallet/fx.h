/*
 * Pricing and FX: rates from several providers, aggregated per currency pair with TTLs
 * and degradation, fees per corridor, the cheapest conversion route, locked quotes.
 *
 * Every rate is exact: struct money_rate (a decimal scaled by 10^18), never floating
 * point; every rounding point names its rounding mode (docs/fx.md lists them). The
 * module depends on money and base only: executing a conversion on the ledger is the
 * caller's (the HTTP API's) job, from the legs a quote describes.
 */
#ifndef TPWALLET_FX_H
#define TPWALLET_FX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/error.h"
#include "tpwallet/money.h"

/* ------------------------------------------------------------------------------------
 * Quotes: what every provider produces
 * ------------------------------------------------------------------------------------ */

/* An asset code ("EUR", "USDT") and its NUL. */
#define FX_CODE_SIZE (MONEY_ASSET_CODE_LEN_MAX + 1)

/*
 * One provider's price for one pair. `bid` and `ask` are units of `quote` per one unit
 * of `base` (EUR/USD at 1.1684: base "EUR", quote "USD"); bid ≤ ask, both > 0. A
 * reference rate with no spread (the ECB's) has bid = ask.
 */
struct fx_quote {
    char base[FX_CODE_SIZE];
    char quote[FX_CODE_SIZE];
    struct money_rate bid;
    struct money_rate ask;
    uint64_t time_ns; /* when the provider says the price held (ns since the epoch, UTC) */
};

/* ---- Fees per corridor and routing ---- */

/*
 * A graph of currencies joined by pair quotes, with a fee table per directed corridor,
 * and the search for the conversion route (at most three legs) that gives the customer
 * the most of the target asset for an amount sold, or asks the least of the source
 * asset for an amount to receive. docs/fx.md ("Fees", "Routing") states the fee model,
 * the tier rule, every rounding point and why the search is exact.
 */

/* Currencies in one graph: indices fit a byte and the search's tables stay on the stack. */
#define FX_GRAPH_CURRENCIES_MAX 64
/* Fee tiers per corridor: a handful of amount bands is what fee grids publish. */
#define FX_FEE_TIERS_MAX 8
/* Legs in a route (EUR→USD→TWD is two; three allows one more pivot). */
#define FX_ROUTE_LEGS_MAX 3

/*
 * One tier: `schedule` applies to a leg whose input (minor units of the leg's input
 * asset) is at least `threshold_minor`, up to the next tier's threshold.
 */
struct fx_fee_tier {
    tpw_u128 threshold_minor;
    struct money_fee_schedule schedule;
};

/*
 * The tiers of one corridor, thresholds strictly ascending, the first one 0 (every
 * amount has a tier). `tier_count` 0 means no fee. Crossing a threshold may raise the
 * fee by at most one minor unit (fee(t) ≤ fee_below(t − 1) + 1): a larger amount then
 * never nets less, which the search relies on (docs/fx.md, "Fees").
 */
struct fx_fee_tiers {
    struct fx_fee_tier tier[FX_FEE_TIERS_MAX];
    uint32_t tier_count;
};

/* The fees of the directed corridor `from` → `to` (one leg, in `from`'s asset). */
struct fx_corridor_fee {
    struct fx_fee_tiers tiers;
    char from[FX_CODE_SIZE];
    char to[FX_CODE_SIZE];
};

/*
 * What a graph is built from; the graph copies all of it. Currencies are the assets
 * (exponents 0..18, codes unique); each quote joins its base and quote, usable in both
 * directions; a corridor without its own entry pays `default_fees`.
 */
struct fx_graph_spec {
    const struct money_asset *assets;
    size_t asset_count;
    const struct fx_quote *quotes;
    size_t quote_count;
    const struct fx_corridor_fee *corridors;
    size_t corridor_count;
    struct fx_fee_tiers default_fees;
};

typedef struct fx_graph fx_graph;

/*
 * Builds a graph. Errors, in the order checked: TPW_ERR_FX_GRAPH_TOO_LARGE (more quotes
 * or corridors than FX_GRAPH_CURRENCIES_MAX currencies can have distinct, then more
 * than FX_GRAPH_CURRENCIES_MAX assets), TPW_ERR_NOMEM; TPW_ERR_ASSET_CODE_INVALID,
 * TPW_ERR_ASSET_EXPONENT_INVALID, TPW_ERR_ASSET_DUPLICATE (assets);
 * TPW_ERR_FX_CURRENCY_UNKNOWN, TPW_ERR_FX_QUOTE_INVALID (same base and quote, a zero
 * rate, bid > ask), TPW_ERR_FX_PAIR_DUPLICATE (the same two currencies twice, in either
 * order) (quotes); TPW_ERR_FX_CURRENCY_UNKNOWN, TPW_ERR_INVALID_ARGUMENT (from = to),
 * TPW_ERR_FX_CORRIDOR_DUPLICATE, TPW_ERR_FX_FEE_TIERS_INVALID (corridors, then the
 * default). detail->param names the input ("quotes[3].ask"). `*out` is set only on
 * success; the caller destroys it with fx_graph_destroy (NULL is allowed there). The
 * graph is read-only after creation: searches on it may run in parallel.
 */
TPW_MUST_CHECK enum tpw_err fx_graph_create(const struct fx_graph_spec *spec,
                                            fx_graph **out /* out */,
                                            struct tpw_error_detail *detail);
void fx_graph_destroy(fx_graph *graph);

/* Which way a search goes: an amount of FROM to sell, or an amount of TO to receive. */
enum fx_route_direction {
    FX_ROUTE_SELL = 1,
    FX_ROUTE_BUY = 2,
};

/* How a leg uses its pair. */
enum fx_leg_side {
    /* The leg's input is the pair's base: sold at the bid, out = net × bid. */
    FX_LEG_SELL_BASE = 1,
    /* The leg's input is the pair's quote: base bought at the ask, out = net / ask. */
    FX_LEG_BUY_BASE = 2,
};

/* One leg: `in_minor` of `from` pays `fee_minor` (of `from`) and converts the rest. */
struct fx_leg {
    struct money_rate rate_used; /* the pair's bid (SELL_BASE) or ask (BUY_BASE) */
    tpw_u128 in_minor;
    tpw_u128 fee_minor;
    tpw_u128 out_minor; /* of `to`, rounded down */
    enum fx_leg_side side;
    char from[FX_CODE_SIZE];
    char to[FX_CODE_SIZE];
    char pair_base[FX_CODE_SIZE];
    char pair_quote[FX_CODE_SIZE];
};

/* A route: the legs in order; in_minor is the first leg's input, out_minor the last's. */
struct fx_route {
    tpw_u128 in_minor;
    tpw_u128 out_minor;
    struct fx_leg legs[FX_ROUTE_LEGS_MAX];
    size_t leg_count;
};

/*
 * A search's answer. `best` is the chosen route. When the graph quotes FROM and TO as
 * a pair, `direct_exists` is true and `direct_err` says whether the one-leg route
 * works for this request (TPW_OK: `direct` holds it; TPW_ERR_FX_AMOUNT_TOO_SMALL or
 * TPW_ERR_OVERFLOW otherwise). `saving_bps` is set (`saving_known`) only when the direct
 * route works: SELL (best.out − direct.out) × 10000 / direct.out, BUY (direct.in −
 * best.in) × 10000 / direct.in, both rounded down (the saving is never overstated) and
 * saturated at TPW_U128_MAX; it is 0 when the direct route is the best.
 */
struct fx_route_explanation {
    struct fx_route best;
    struct fx_route direct;
    tpw_u128 saving_bps;
    enum fx_route_direction direction;
    enum tpw_err direct_err;
    bool direct_exists;
    bool saving_known;
};

/*
 * SELL: the route of at most FX_ROUTE_LEGS_MAX legs, no currency twice, that gives the
 * most of `to` for `amount_minor` of `from`; BUY: the one that needs the least of
 * `from` to receive at least `amount_minor` of `to`. Ties go to fewer legs, then to the
 * route whose currency codes come first in byte order. Errors: TPW_ERR_INVALID_ARGUMENT
 * (unknown direction, `from` = `to`, a BUY of 0), TPW_ERR_FX_CURRENCY_UNKNOWN,
 * TPW_ERR_FX_NO_ROUTE (no path of at most three legs), TPW_ERR_FX_AMOUNT_TOO_SMALL
 * (SELL: on every route some leg's fee takes the whole input or its output rounds to
 * 0), TPW_ERR_OVERFLOW (an amount on the chosen route exceeds 2^128-1). `*out` is
 * written only on success.
 */
TPW_MUST_CHECK enum tpw_err fx_route_find(const fx_graph *graph, enum fx_route_direction direction,
                                          const char *from, const char *to, tpw_u128 amount_minor,
                                          struct fx_route_explanation *out /* out */,
                                          struct tpw_error_detail *detail);

/*
 * Runs `amount_minor` forward through the given path of `path_len` (2..4) currency
 * codes, one leg per step, as the search would (a brute force and a ledger executor use
 * it). Errors: TPW_ERR_INVALID_ARGUMENT (length), TPW_ERR_FX_CURRENCY_UNKNOWN,
 * TPW_ERR_FX_ROUTE_INVALID (a currency twice, or two neighbours without a pair),
 * TPW_ERR_FX_AMOUNT_TOO_SMALL (a leg's fee takes its whole input, or its output rounds
 * to 0), TPW_ERR_OVERFLOW.
 */
TPW_MUST_CHECK enum tpw_err fx_route_evaluate(const fx_graph *graph, const char *const *path,
                                              size_t path_len, tpw_u128 amount_minor,
                                              struct fx_route *out /* out */,
                                              struct tpw_error_detail *detail);

#endif /* TPWALLET_FX_H */
