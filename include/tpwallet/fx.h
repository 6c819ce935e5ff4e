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

#endif /* TPWALLET_FX_H */
