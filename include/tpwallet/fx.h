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

#include "tpwallet/clock.h"
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

/* ---- Aggregation: quotes from several providers per pair ---------------------------- */

/* A provider's name ("ecb", "manual", "kraken") and its NUL. */
#define FX_PROVIDER_NAME_SIZE 24
/* Most providers one aggregator takes (each pair keeps one quote per provider). */
#define FX_PROVIDERS_MAX 16
/* Most pairs quoted directly (derived cross rates are not stored). */
#define FX_PAIRS_MAX 4096

enum fx_status {
    FX_STATUS_NONE = 0,     /* not yet computed: a pair's state before its first quote */
    FX_STATUS_FRESH = 1,    /* enough fresh providers of the best available priority */
    FX_STATUS_DEGRADED = 2, /* served, but from fewer providers, a fallback or a grace period */
    FX_STATUS_STALE = 3,    /* nothing recent enough: shown at most, never executed */
};

/* "fresh", "degraded", "stale" ("unknown" for NONE). */
const char *fx_status_name(enum fx_status status);

struct fx_provider_config {
    char name[FX_PROVIDER_NAME_SIZE];
    uint64_t ttl_ns;   /* a quote older than this (by its time_ns) is no longer fresh */
    uint64_t grace_ns; /* after the TTL, the pair may still be served degraded this long */
    uint32_t priority; /* 0 is the most preferred; lower classes are fallbacks */
};

/*
 * The aggregation policy (docs/fx.md, Aggregation). Outliers: a quote whose mid is
 * further from the median than max(k·MAD, floor) is left out, with k given in
 * thousandths and the floor in basis points of the median.
 */
struct fx_policy {
    uint32_t quorum;              /* fresh providers needed for FRESH (≥ 1) */
    uint32_t outlier_mad_k_milli; /* k × 1000; 0 turns outlier rejection off */
    uint32_t outlier_floor_bps;   /* deviations within this are never outliers */
    uint64_t future_skew_ns;      /* a quote dated further ahead than this is refused */
    char pivots[2][FX_CODE_SIZE]; /* cross rates are derived through these, in order ("" = none) */
};

/* quorum 1, k = 4.448 (3 scaled MADs: 3 × 1.4826), floor 5 bps, skew 5 s, pivots EUR, USD. */
struct fx_policy fx_policy_default(void);

/* What the aggregator says about one pair at one moment. Rates as in struct fx_quote. */
struct fx_rate {
    char base[FX_CODE_SIZE];
    char quote[FX_CODE_SIZE];
    struct money_rate bid; /* median of the kept providers' bids (a cross: rounded down) */
    struct money_rate ask; /* median of the kept asks (a cross: rounded up) */
    struct money_rate mid; /* median of the kept mids (half-even) */
    enum fx_status status;
    uint32_t providers_used;     /* quotes in the medians */
    uint32_t providers_rejected; /* fresh quotes left out as outliers */
    uint32_t priority;           /* the priority class the medians come from */
    uint64_t time_ns;            /* the oldest quote used */
    char via[FX_CODE_SIZE];      /* the pivot of a derived cross rate, else "" */
    bool inverted;               /* derived from the pair quoted the other way round */
};

/* A pair's status changed, in update or tick (first appearance: old is NONE). */
struct fx_status_event {
    char base[FX_CODE_SIZE];
    char quote[FX_CODE_SIZE];
    enum fx_status old_status;
    enum fx_status new_status;
    uint64_t time_ns; /* the aggregator's clock at the change */
};

typedef void fx_status_fn(void *ctx, const struct fx_status_event *event);

/* Per provider, for /metrics and health pages. */
struct fx_provider_stats {
    char name[FX_PROVIDER_NAME_SIZE];
    bool up;                  /* false after a failure, until its next accepted quote */
    uint64_t quotes_accepted; /* updates stored */
    uint64_t quotes_refused;  /* invalid, future-dated or out of order */
    uint64_t failures;        /* fx_aggregator_provider_failed() calls */
    uint64_t last_quote_ns;   /* newest time_ns accepted, 0 if none */
    enum tpw_err last_error;  /* the last failure's code, TPW_OK if none */
};

typedef struct fx_aggregator fx_aggregator;

/* Validates the policy (TPW_ERR_FX_POLICY_INVALID) and allocates; the clock is copied. */
TPW_MUST_CHECK enum tpw_err fx_aggregator_create(const struct fx_policy *policy,
                                                 struct tpw_clock clock,
                                                 fx_aggregator **out /* out */,
                                                 struct tpw_error_detail *detail);
void fx_aggregator_destroy(fx_aggregator *aggregator);

/* Registers a provider; its id (0, 1, …) is what updates name it by. */
TPW_MUST_CHECK enum tpw_err fx_aggregator_provider_add(fx_aggregator *aggregator,
                                                       const struct fx_provider_config *config,
                                                       uint32_t *provider_id /* out */,
                                                       struct tpw_error_detail *detail);

/*
 * Stores the provider's newest quote for the pair and recomputes the pair; a status
 * change calls the listener before this returns. Refused, changing nothing:
 * TPW_ERR_FX_PROVIDER_UNKNOWN, TPW_ERR_FX_QUOTE_INVALID (codes, bid > ask, zero),
 * TPW_ERR_FX_QUOTE_FUTURE, TPW_ERR_FX_QUOTE_OUT_OF_ORDER (older than the one held),
 * TPW_ERR_FX_PAIRS_FULL.
 */
TPW_MUST_CHECK enum tpw_err fx_aggregator_update(fx_aggregator *aggregator, uint32_t provider_id,
                                                 const struct fx_quote *quote,
                                                 struct tpw_error_detail *detail);

/* A provider could not deliver (fetch or parse failed): marked down, its last good
 * quotes keep serving until their TTL runs out. */
void fx_aggregator_provider_failed(fx_aggregator *aggregator, uint32_t provider_id,
                                   enum tpw_err error);

/* Re-evaluates every pair against the clock (TTLs run out with no update at all),
 * calling the listener for each change. Call it periodically (e.g. each second). */
void fx_aggregator_tick(fx_aggregator *aggregator);

/* One listener (NULL for none); replaces the previous one. */
void fx_aggregator_listen(fx_aggregator *aggregator, fx_status_fn *listener, void *ctx);

/*
 * The rate of base/quote now: the pair as quoted, else its inverse, else a cross
 * through the policy's pivots (the worse status and the older time of the two legs).
 * TPW_ERR_FX_PAIR_UNKNOWN when no provider ever quoted anything that reaches it. A
 * stale pair is returned (status STALE) for display; fx_rate_executable() refuses it.
 */
TPW_MUST_CHECK enum tpw_err fx_aggregator_rate(const fx_aggregator *aggregator, const char *base,
                                               const char *quote, struct fx_rate *out /* out */,
                                               struct tpw_error_detail *detail);

/* TPW_OK when a conversion may run on the rate: FRESH, or DEGRADED with
 * allow_degraded; else TPW_ERR_FX_PAIR_STALE or TPW_ERR_FX_PAIR_DEGRADED. */
TPW_MUST_CHECK enum tpw_err fx_rate_executable(const struct fx_rate *rate, bool allow_degraded,
                                               struct tpw_error_detail *detail);

size_t fx_aggregator_provider_count(const fx_aggregator *aggregator);
void fx_aggregator_provider_stats(const fx_aggregator *aggregator, uint32_t provider_id,
                                  struct fx_provider_stats *out /* out */);
/* Pairs quoted directly, in the order they first appeared; `index` < the count. */
size_t fx_aggregator_pair_count(const fx_aggregator *aggregator);
void fx_aggregator_pair_at(const fx_aggregator *aggregator, size_t index,
                           struct fx_rate *out /* out */);

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
