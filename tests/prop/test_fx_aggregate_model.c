/*
 * The aggregator against a model written separately from the spec in docs/fx.md
 * (Aggregation): random providers (priorities, TTLs, grace periods), random quotes
 * around a level with outliers, a random clock and quorum. For each case the
 * aggregator's rate must equal the model's, keep bid ≤ mid ≤ ask, and not depend on
 * the order the updates came in (the same quotes fed in a shuffled order give the same
 * rate, byte for byte).
 */
#include "tpw_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpwallet/fx.h"
#include "tpwallet/prng.h"

#define CASES 50000
#define PROVIDERS_MAX 8
#define SECOND_NS 1000000000ull
#define NOW_NS (1765000000ull * SECOND_NS)

struct model_quote {
    uint32_t priority;
    uint64_t ttl_ns;
    uint64_t grace_ns;
    uint64_t time_ns;
    tpw_u128 bid;
    tpw_u128 ask;
    tpw_u128 mid;
};

struct model_case {
    struct model_quote quotes[PROVIDERS_MAX];
    size_t count;
    uint32_t quorum;
};

static int compare_u128(const void *left, const void *right)
{
    tpw_u128 a = *(const tpw_u128 *)left;
    tpw_u128 b = *(const tpw_u128 *)right;
    return a < b ? -1 : a > b ? 1 : 0;
}

/* Values stay below 2^100, so a + b cannot overflow here. */
static tpw_u128 model_half_even(tpw_u128 sum)
{
    tpw_u128 q = sum / 2;
    return (sum % 2 == 1 && q % 2 == 1) ? q + 1 : q;
}

static tpw_u128 model_median(const tpw_u128 *in, size_t count)
{
    tpw_u128 values[PROVIDERS_MAX];
    memcpy(values, in, count * sizeof *values);
    qsort(values, count, sizeof *values, compare_u128);
    return count % 2 == 1 ? values[count / 2]
                          : model_half_even(values[count / 2 - 1] + values[count / 2]);
}

/* 0 fresh, 1 in grace, 2 only held. */
static int model_level(const struct model_quote *q)
{
    uint64_t age_ns = NOW_NS - q->time_ns;
    return age_ns <= q->ttl_ns ? 0 : age_ns <= q->ttl_ns + q->grace_ns ? 1 : 2;
}

static void model_rate(const struct model_case *c, struct fx_rate *out)
{
    size_t chosen[PROVIDERS_MAX];
    size_t n = 0;
    int level = 0;
    uint32_t priority = UINT32_MAX;
    for (; level <= 2 && n == 0; level++) {
        for (size_t i = 0; i < c->count; i++) {
            if (model_level(&c->quotes[i]) <= level && c->quotes[i].priority < priority) {
                priority = c->quotes[i].priority;
            }
        }
        for (size_t i = 0; i < c->count; i++) {
            if (model_level(&c->quotes[i]) <= level && c->quotes[i].priority == priority) {
                chosen[n++] = i;
            }
        }
    }
    level--; /* the level the loop stopped at */
    tpw_u128 mids[PROVIDERS_MAX];
    for (size_t i = 0; i < n; i++) {
        mids[i] = c->quotes[chosen[i]].mid;
    }
    size_t rejected = 0;
    if (n >= 3) {
        tpw_u128 median = model_median(mids, n);
        tpw_u128 dev[PROVIDERS_MAX];
        for (size_t i = 0; i < n; i++) {
            dev[i] = mids[i] > median ? mids[i] - median : median - mids[i];
        }
        tpw_u128 mad = model_median(dev, n);
        tpw_u128 by_mad = (mad * 4448 + 999) / 1000;
        tpw_u128 floor = median * 5 / 10000;
        tpw_u128 threshold = by_mad > floor ? by_mad : floor;
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
            if (dev[i] <= threshold) {
                chosen[kept++] = chosen[i];
            }
        }
        rejected = n - kept;
        n = kept;
    }
    tpw_u128 bids[PROVIDERS_MAX];
    tpw_u128 asks[PROVIDERS_MAX];
    uint64_t oldest_ns = UINT64_MAX;
    uint32_t primary = UINT32_MAX;
    for (size_t i = 0; i < c->count; i++) {
        primary = c->quotes[i].priority < primary ? c->quotes[i].priority : primary;
    }
    for (size_t i = 0; i < n; i++) {
        const struct model_quote *q = &c->quotes[chosen[i]];
        bids[i] = q->bid;
        asks[i] = q->ask;
        mids[i] = q->mid;
        oldest_ns = q->time_ns < oldest_ns ? q->time_ns : oldest_ns;
    }
    out->bid.value_e18 = model_median(bids, n);
    out->ask.value_e18 = model_median(asks, n);
    out->mid.value_e18 = model_median(mids, n);
    out->time_ns = oldest_ns;
    out->providers_used = (uint32_t)n;
    out->providers_rejected = (uint32_t)rejected;
    out->priority = priority;
    out->status = level == 2                                             ? FX_STATUS_STALE
                  : (level == 1 || n < c->quorum || priority != primary) ? FX_STATUS_DEGRADED
                                                                         : FX_STATUS_FRESH;
}

static void random_case(struct tpw_prng *prng, struct model_case *c)
{
    c->count = 1 + (size_t)tpw_prng_below(prng, PROVIDERS_MAX);
    c->quorum = 1 + (uint32_t)tpw_prng_below(prng, 3);
    tpw_u128 level_e18 = (tpw_u128)(1 + tpw_prng_below(prng, 200000)) * 10000000000000u;
    tpw_u128 bps = level_e18 / 10000;
    for (size_t i = 0; i < c->count; i++) {
        struct model_quote *q = &c->quotes[i];
        /* Mostly one class, so outlier rejection has company to work with. */
        q->priority = tpw_prng_below(prng, 4) != 0 ? 0 : 1 + (uint32_t)tpw_prng_below(prng, 2);
        q->ttl_ns = (1 + tpw_prng_below(prng, 100)) * SECOND_NS;
        q->grace_ns = tpw_prng_below(prng, 4) == 0 ? 0 : tpw_prng_below(prng, 50) * SECOND_NS;
        q->time_ns = NOW_NS - tpw_prng_below(prng, 200) * SECOND_NS - tpw_prng_below(prng, 3);
        /* Mostly within a few bps; sometimes far off; sometimes identical to the level. */
        uint64_t shape = tpw_prng_below(prng, 10);
        tpw_u128 mid =
            level_e18 + (shape == 0   ? 0
                         : shape == 1 ? bps * (100 + tpw_prng_below(prng, 500))
                                      : bps * tpw_prng_below(prng, 8) + tpw_prng_below(prng, 1000));
        tpw_u128 half_spread = bps * tpw_prng_below(prng, 5) + tpw_prng_below(prng, 2);
        q->bid = mid - half_spread;
        q->ask = mid + half_spread + tpw_prng_below(prng, 2); /* odd spreads round the mid */
        tpw_u128 sum = q->bid + q->ask;
        q->mid = model_half_even(sum);
    }
}

static void aggregate(const struct model_case *c, const size_t *order, struct fx_rate *out)
{
    uint64_t now_ns = NOW_NS;
    struct fx_policy policy = fx_policy_default();
    policy.quorum = c->quorum;
    fx_aggregator *aggregator = NULL;
    assert_err(fx_aggregator_create(&policy, tpw_clock_manual(&now_ns), &aggregator, NULL), TPW_OK);
    for (size_t i = 0; i < c->count; i++) {
        struct fx_provider_config config = {.ttl_ns = c->quotes[i].ttl_ns,
                                            .grace_ns = c->quotes[i].grace_ns,
                                            .priority = c->quotes[i].priority};
        config.name[0] = (char)('a' + i);
        uint32_t id = 0;
        assert_err(fx_aggregator_provider_add(aggregator, &config, &id, NULL), TPW_OK);
    }
    for (size_t k = 0; k < c->count; k++) {
        const struct model_quote *q = &c->quotes[order[k]];
        struct fx_quote quote = {.base = "EUR", .quote = "USD", .time_ns = q->time_ns};
        quote.bid.value_e18 = q->bid;
        quote.ask.value_e18 = q->ask;
        assert_err(fx_aggregator_update(aggregator, (uint32_t)order[k], &quote, NULL), TPW_OK);
    }
    assert_err(fx_aggregator_rate(aggregator, "EUR", "USD", out, NULL), TPW_OK);
    fx_aggregator_destroy(aggregator);
}

static void shuffle(struct tpw_prng *prng, size_t *order, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        order[i] = i;
    }
    for (size_t i = count; i > 1; i--) {
        size_t j = (size_t)tpw_prng_below(prng, i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

static void assert_same_rate(const struct fx_rate *got, const struct fx_rate *want)
{
    assert_u128_equal(got->bid.value_e18, want->bid.value_e18);
    assert_u128_equal(got->ask.value_e18, want->ask.value_e18);
    assert_u128_equal(got->mid.value_e18, want->mid.value_e18);
    assert_int_equal(got->status, want->status);
    assert_int_equal(got->providers_used, want->providers_used);
    assert_int_equal(got->providers_rejected, want->providers_rejected);
    assert_int_equal(got->priority, want->priority);
    assert_int_equal(got->time_ns, want->time_ns);
}

static void test_against_model(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_fx_aggregate_model", 0x7478616767u));
    size_t statuses[4] = {0};
    size_t rejections = 0;
    for (size_t n = 0; n < CASES; n++) {
        struct model_case c;
        random_case(&prng, &c);
        struct fx_rate want;
        model_rate(&c, &want);
        size_t order[PROVIDERS_MAX];
        shuffle(&prng, order, c.count);
        struct fx_rate got;
        aggregate(&c, order, &got);
        assert_same_rate(&got, &want);
        assert_true(got.bid.value_e18 <= got.mid.value_e18);
        assert_true(got.mid.value_e18 <= got.ask.value_e18);
        shuffle(&prng, order, c.count);
        struct fx_rate again;
        aggregate(&c, order, &again);
        assert_memory_equal(&got, &again, sizeof got);
        statuses[got.status]++;
        rejections += got.providers_rejected > 0 ? 1u : 0u;
    }
    /* The generator reaches every status and rejects outliers in a good share of cases. */
    assert_true(statuses[FX_STATUS_FRESH] > CASES / 10);
    assert_true(statuses[FX_STATUS_DEGRADED] > CASES / 10);
    assert_true(statuses[FX_STATUS_STALE] > CASES / 50);
    printf("statuses fresh %zu degraded %zu stale %zu; cases with outliers left out %zu\n",
           statuses[FX_STATUS_FRESH], statuses[FX_STATUS_DEGRADED], statuses[FX_STATUS_STALE],
           rejections);
    assert_true(rejections > CASES / 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
