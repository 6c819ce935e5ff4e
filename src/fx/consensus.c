/*
 * One pair's consensus from its providers' quotes (docs/fx.md, Aggregation):
 *   1. candidates: the fresh quotes (age ≤ TTL) of the most preferred priority class
 *      that has any; failing that, quotes still within their grace period; failing
 *      that, whatever is held (shown as stale, never executed);
 *   2. outliers: with three candidates or more, a mid further from the median mid than
 *      max(k·MAD, floor bps of the median) is left out;
 *   3. bid, ask and mid are the medians of what is kept. Each quote has bid ≤ mid ≤ ask
 *      and order statistics keep that order, so the medians do too;
 *   4. status: FRESH when fresh, from the best class any provider quotes the pair in,
 *      and at least `quorum` quotes kept; DEGRADED when served from fewer, from a
 *      fallback class or in grace; STALE otherwise.
 */
#include <string.h>

#include "aggregate.h"
#include "tpw_assert.h"

#include "banned.h"

enum level {
    LEVEL_FRESH = 0,
    LEVEL_GRACE = 1,
    LEVEL_HELD = 2,
};

struct candidates {
    uint32_t provider[FX_PROVIDERS_MAX];
    size_t count;
    uint32_t priority;
    enum level level;
};

static bool slot_at_level(const struct fx__provider *provider, const struct fx__slot *slot,
                          uint64_t now_ns, enum level level)
{
    if (!slot->present) {
        return false;
    }
    if (level == LEVEL_HELD) {
        return true;
    }
    uint64_t age_ns = now_ns > slot->time_ns ? now_ns - slot->time_ns : 0;
    uint64_t limit_ns = provider->config.ttl_ns;
    if (level == LEVEL_GRACE) {
        uint64_t grace_ns = provider->config.grace_ns;
        limit_ns = limit_ns > UINT64_MAX - grace_ns ? UINT64_MAX : limit_ns + grace_ns;
    }
    return age_ns <= limit_ns;
}

/* The best priority class with a quote at `level`, and its quotes; false if none. */
static bool pick_class(const fx_aggregator *aggregator, const struct fx__pair *pair,
                       uint64_t now_ns, enum level level, struct candidates *out)
{
    bool found = false;
    out->count = 0;
    out->level = level;
    for (uint32_t p = 0; p < aggregator->provider_count; p++) {
        const struct fx__provider *provider = &aggregator->providers[p];
        if (!slot_at_level(provider, &pair->slots[p], now_ns, level)) {
            continue;
        }
        uint32_t priority = provider->config.priority;
        if (!found || priority < out->priority) {
            out->priority = priority;
            out->count = 0;
            found = true;
        }
        if (priority == out->priority) {
            out->provider[out->count++] = p;
        }
    }
    return found;
}

/* The smallest priority any provider quoting this pair has (held or not). */
static uint32_t primary_priority(const fx_aggregator *aggregator, const struct fx__pair *pair)
{
    uint32_t best = UINT32_MAX;
    for (uint32_t p = 0; p < aggregator->provider_count; p++) {
        uint32_t priority = aggregator->providers[p].config.priority;
        if (pair->slots[p].present && priority < best) {
            best = priority;
        }
    }
    return best;
}

static tpw_u128 distance(tpw_u128 a, tpw_u128 b)
{
    return a > b ? a - b : b - a;
}

/* The largest distance from the median mid that is not an outlier. */
static tpw_u128 outlier_threshold(const struct fx_policy *policy, tpw_u128 median_e18,
                                  tpw_u128 mad_e18)
{
    tpw_u128 by_mad = 0;
    tpw_u128 floor = 0;
    /* Rounded up and down respectively (both only widen or narrow a tolerance, never a
     * price); an overflow means no quote can be that far off. */
    if (money_muldiv(mad_e18, policy->outlier_mad_k_milli, 1000, MONEY_ROUND_UP, &by_mad) !=
            TPW_OK ||
        money_muldiv(median_e18, policy->outlier_floor_bps, MONEY_BPS_ONE, MONEY_ROUND_DOWN,
                     &floor) != TPW_OK) {
        return TPW_U128_MAX;
    }
    return by_mad > floor ? by_mad : floor;
}

/* Leaves out the outliers among the candidates; returns how many were left out. */
static size_t reject_outliers(const fx_aggregator *aggregator, const struct fx__pair *pair,
                              struct candidates *candidates)
{
    size_t count = candidates->count;
    if (count < 3 || aggregator->policy.outlier_mad_k_milli == 0) {
        return 0;
    }
    tpw_u128 mids[FX_PROVIDERS_MAX];
    for (size_t i = 0; i < count; i++) {
        mids[i] = pair->slots[candidates->provider[i]].mid.value_e18;
    }
    tpw_u128 median = fx__median(mids, count);
    tpw_u128 deviations[FX_PROVIDERS_MAX];
    for (size_t i = 0; i < count; i++) {
        deviations[i] = distance(mids[i], median);
    }
    tpw_u128 threshold =
        outlier_threshold(&aggregator->policy, median, fx__median(deviations, count));
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t p = candidates->provider[i];
        if (distance(pair->slots[p].mid.value_e18, median) <= threshold) {
            candidates->provider[kept++] = p;
        }
    }
    /* k ≥ 1 (policy_check): at least half lie within one MAD of the median. */
    TPW_ASSERT(kept * 2 >= count);
    candidates->count = kept;
    return count - kept;
}

static void medians(const struct fx__pair *pair, const struct candidates *kept,
                    struct fx_rate *rate)
{
    tpw_u128 bids[FX_PROVIDERS_MAX];
    tpw_u128 asks[FX_PROVIDERS_MAX];
    tpw_u128 mids[FX_PROVIDERS_MAX];
    uint64_t oldest_ns = UINT64_MAX;
    for (size_t i = 0; i < kept->count; i++) {
        const struct fx__slot *slot = &pair->slots[kept->provider[i]];
        bids[i] = slot->bid.value_e18;
        asks[i] = slot->ask.value_e18;
        mids[i] = slot->mid.value_e18;
        oldest_ns = slot->time_ns < oldest_ns ? slot->time_ns : oldest_ns;
    }
    rate->bid.value_e18 = fx__median(bids, kept->count);
    rate->ask.value_e18 = fx__median(asks, kept->count);
    rate->mid.value_e18 = fx__median(mids, kept->count);
    rate->time_ns = oldest_ns;
    TPW_ASSERT(rate->bid.value_e18 <= rate->mid.value_e18);
    TPW_ASSERT(rate->mid.value_e18 <= rate->ask.value_e18);
}

static enum fx_status status_of(const fx_aggregator *aggregator, const struct fx__pair *pair,
                                const struct candidates *kept)
{
    if (kept->level == LEVEL_HELD) {
        return FX_STATUS_STALE;
    }
    if (kept->level == LEVEL_GRACE || kept->count < aggregator->policy.quorum ||
        kept->priority != primary_priority(aggregator, pair)) {
        return FX_STATUS_DEGRADED;
    }
    return FX_STATUS_FRESH;
}

void fx__pair_compute(const fx_aggregator *aggregator, struct fx__pair *pair, uint64_t now_ns)
{
    struct candidates candidates = {.count = 0};
    bool found = pick_class(aggregator, pair, now_ns, LEVEL_FRESH, &candidates) ||
                 pick_class(aggregator, pair, now_ns, LEVEL_GRACE, &candidates) ||
                 pick_class(aggregator, pair, now_ns, LEVEL_HELD, &candidates);
    TPW_ASSERT(found); /* a pair exists only once a quote for it was stored */
    size_t rejected = reject_outliers(aggregator, pair, &candidates);
    struct fx_rate *rate = &pair->rate;
    medians(pair, &candidates, rate);
    rate->status = status_of(aggregator, pair, &candidates);
    rate->providers_used = (uint32_t)candidates.count;
    rate->providers_rejected = (uint32_t)rejected;
    rate->priority = candidates.priority;
    rate->via[0] = '\0';
    rate->inverted = false;
}
