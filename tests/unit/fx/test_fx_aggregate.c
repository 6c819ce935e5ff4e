/*
 * The quote aggregator under a manual clock: TTL, grace and staleness transitions with
 * their events, medians and outlier rejection, priority fallback, quorum, provider
 * failure (the last good quote keeps serving until its TTL), refused quotes that change
 * nothing, inverse and cross rates with their rounding directions, and the internals'
 * exact average and median.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <string.h>

#include "aggregate.h"
#include "tpwallet/fx.h"

#define SECOND_NS 1000000000ull
#define T0_NS (1765000000ull * SECOND_NS)
#define E18 ((tpw_u128)1000000000000000000ull)

struct events {
    struct fx_status_event list[64];
    size_t count;
};

struct fixture {
    uint64_t now_ns;
    fx_aggregator *aggregator;
    struct events events;
};

static void record(void *ctx, const struct fx_status_event *event)
{
    struct events *events = ctx;
    assert_true(events->count < 64);
    events->list[events->count++] = *event;
}

static struct money_rate rate_of(const char *text)
{
    struct money_rate rate = {0};
    assert_err(money_rate_parse(text, strlen(text), &rate, NULL), TPW_OK);
    return rate;
}

static struct fx_quote quote(const char *base, const char *quote_code, const char *bid,
                             const char *ask, uint64_t time_ns)
{
    struct fx_quote result = {.bid = rate_of(bid), .ask = rate_of(ask), .time_ns = time_ns};
    snprintf(result.base, sizeof result.base, "%s", base);
    snprintf(result.quote, sizeof result.quote, "%s", quote_code);
    return result;
}

static uint32_t provider(struct fixture *f, const char *name, uint64_t ttl_s, uint64_t grace_s,
                         uint32_t priority)
{
    struct fx_provider_config config = {
        .ttl_ns = ttl_s * SECOND_NS, .grace_ns = grace_s * SECOND_NS, .priority = priority};
    snprintf(config.name, sizeof config.name, "%s", name);
    uint32_t id = 99;
    assert_err(fx_aggregator_provider_add(f->aggregator, &config, &id, NULL), TPW_OK);
    return id;
}

static int setup_with(void **state, const struct fx_policy *policy)
{
    static struct fixture fixture;
    memset(&fixture, 0, sizeof fixture);
    fixture.now_ns = T0_NS;
    assert_err(
        fx_aggregator_create(policy, tpw_clock_manual(&fixture.now_ns), &fixture.aggregator, NULL),
        TPW_OK);
    fx_aggregator_listen(fixture.aggregator, record, &fixture.events);
    *state = &fixture;
    return 0;
}

static int setup(void **state)
{
    struct fx_policy policy = fx_policy_default();
    return setup_with(state, &policy);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fx_aggregator_destroy(f->aggregator);
    return 0;
}

static void update_ok(struct fixture *f, uint32_t id, struct fx_quote q)
{
    assert_err(fx_aggregator_check(f->aggregator, id, &q, NULL), TPW_OK);
    assert_err(fx_aggregator_update(f->aggregator, id, &q, NULL), TPW_OK);
}

static struct fx_rate rate_now(struct fixture *f, const char *base, const char *quote_code)
{
    struct fx_rate rate;
    assert_err(fx_aggregator_rate(f->aggregator, base, quote_code, &rate, NULL), TPW_OK);
    return rate;
}

static void assert_event(const struct fixture *f, size_t index, enum fx_status old_status,
                         enum fx_status new_status)
{
    assert_true(index < f->events.count);
    assert_int_equal(f->events.list[index].old_status, old_status);
    assert_int_equal(f->events.list[index].new_status, new_status);
}

/* One provider: fresh within the TTL, degraded in grace, stale after; one event each. */
static void test_ttl_grace_stale(void **state)
{
    struct fixture *f = *state;
    uint32_t ecb = provider(f, "ecb", 60, 30, 0);
    update_ok(f, ecb, quote("EUR", "USD", "1.1684", "1.1684", T0_NS));
    struct fx_rate rate = rate_now(f, "EUR", "USD");
    assert_int_equal(rate.status, FX_STATUS_FRESH);
    assert_u128_equal(rate.mid.value_e18, 1168400000000000000u);
    assert_int_equal(rate.providers_used, 1);
    assert_event(f, 0, FX_STATUS_NONE, FX_STATUS_FRESH);
    assert_err(fx_rate_executable(&rate, false, NULL), TPW_OK);

    f->now_ns = T0_NS + 60 * SECOND_NS; /* exactly the TTL: still fresh */
    fx_aggregator_tick(f->aggregator);
    assert_int_equal(f->events.count, 1);
    f->now_ns += 1;
    fx_aggregator_tick(f->aggregator);
    assert_event(f, 1, FX_STATUS_FRESH, FX_STATUS_DEGRADED);
    rate = rate_now(f, "EUR", "USD");
    assert_err(fx_rate_executable(&rate, false, NULL), TPW_ERR_FX_PAIR_DEGRADED);
    assert_err(fx_rate_executable(&rate, true, NULL), TPW_OK);

    f->now_ns = T0_NS + 90 * SECOND_NS + 1;
    fx_aggregator_tick(f->aggregator);
    fx_aggregator_tick(f->aggregator); /* no change, no event */
    assert_int_equal(f->events.count, 3);
    assert_event(f, 2, FX_STATUS_DEGRADED, FX_STATUS_STALE);
    rate = rate_now(f, "EUR", "USD");
    assert_u128_equal(rate.mid.value_e18, 1168400000000000000u); /* still shown */
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(fx_rate_executable(&rate, true, &detail), TPW_ERR_FX_PAIR_STALE);
    assert_non_null(strstr(detail.message, "EUR/USD is stale"));

    update_ok(f, ecb, quote("EUR", "USD", "1.17", "1.17", f->now_ns));
    assert_event(f, 3, FX_STATUS_STALE, FX_STATUS_FRESH);
}

/* Five providers, one far off: left out, and the medians come from the other four. */
static void test_outlier_rejected(void **state)
{
    struct fixture *f = *state;
    const char *bids[] = {"1.1680", "1.1682", "1.1679", "1.1681", "1.2500"};
    const char *asks[] = {"1.1686", "1.1686", "1.1685", "1.1689", "1.2510"};
    for (uint32_t i = 0; i < 5; i++) {
        char name[8];
        snprintf(name, sizeof name, "p%u", i);
        uint32_t id = provider(f, name, 10, 0, 0);
        update_ok(f, id, quote("EUR", "USD", bids[i], asks[i], T0_NS));
    }
    struct fx_rate rate = rate_now(f, "EUR", "USD");
    assert_int_equal(rate.providers_used, 4);
    assert_int_equal(rate.providers_rejected, 1);
    /* bids 1.1679 1.1680 1.1681 1.1682 → 1.16805; asks 1.1685 1.1686 1.1686 1.1689 →
     * 1.1686; mids 1.1682 1.1683 1.1684 1.1685 → 1.16835. */
    assert_u128_equal(rate.bid.value_e18, 1168050000000000000u);
    assert_u128_equal(rate.ask.value_e18, 1168600000000000000u);
    assert_u128_equal(rate.mid.value_e18, 1168350000000000000u);
    assert_int_equal(rate.status, FX_STATUS_FRESH);
}

/* MAD 0 (providers agree exactly): the floor keeps a 4 bps difference, not a 6 bps one. */
static void test_outlier_floor(void **state)
{
    struct fixture *f = *state;
    uint32_t a = provider(f, "a", 10, 0, 0);
    uint32_t b = provider(f, "b", 10, 0, 0);
    uint32_t c = provider(f, "c", 10, 0, 0);
    update_ok(f, a, quote("EUR", "USD", "1", "1", T0_NS));
    update_ok(f, b, quote("EUR", "USD", "1", "1", T0_NS));
    update_ok(f, c, quote("EUR", "USD", "1.0004", "1.0004", T0_NS));
    assert_int_equal(rate_now(f, "EUR", "USD").providers_used, 3);
    update_ok(f, c, quote("EUR", "USD", "1.0006", "1.0006", T0_NS));
    struct fx_rate rate = rate_now(f, "EUR", "USD");
    assert_int_equal(rate.providers_used, 2);
    assert_int_equal(rate.providers_rejected, 1);
    assert_u128_equal(rate.mid.value_e18, E18);
}

/* The best class goes stale: the fallback class serves, degraded, with its priority. */
static void test_priority_fallback(void **state)
{
    struct fixture *f = *state;
    uint32_t exchange = provider(f, "exchange", 5, 0, 0);
    uint32_t ecb = provider(f, "ecb", 3600, 0, 1);
    update_ok(f, exchange, quote("EUR", "USD", "1.1690", "1.1692", T0_NS));
    update_ok(f, ecb, quote("EUR", "USD", "1.1684", "1.1684", T0_NS));
    struct fx_rate rate = rate_now(f, "EUR", "USD");
    assert_int_equal(rate.status, FX_STATUS_FRESH);
    assert_int_equal(rate.priority, 0);
    assert_u128_equal(rate.bid.value_e18, 1169000000000000000u);

    f->now_ns = T0_NS + 6 * SECOND_NS;
    fx_aggregator_tick(f->aggregator);
    rate = rate_now(f, "EUR", "USD");
    assert_int_equal(rate.status, FX_STATUS_DEGRADED);
    assert_int_equal(rate.priority, 1);
    assert_u128_equal(rate.mid.value_e18, 1168400000000000000u);
    assert_event(f, 1, FX_STATUS_FRESH, FX_STATUS_DEGRADED);
}

/* Quorum 2: one fresh provider is degraded; a second one makes it fresh. */
static void test_quorum(void **state)
{
    struct fx_policy policy = fx_policy_default();
    policy.quorum = 2;
    assert_int_equal(setup_with(state, &policy), 0);
    struct fixture *f = *state;
    uint32_t a = provider(f, "a", 10, 0, 0);
    uint32_t b = provider(f, "b", 10, 0, 0);
    update_ok(f, a, quote("GBP", "USD", "1.30", "1.31", T0_NS));
    assert_int_equal(rate_now(f, "GBP", "USD").status, FX_STATUS_DEGRADED);
    update_ok(f, b, quote("GBP", "USD", "1.32", "1.33", T0_NS));
    struct fx_rate rate = rate_now(f, "GBP", "USD");
    assert_int_equal(rate.status, FX_STATUS_FRESH);
    assert_u128_equal(rate.bid.value_e18, 1310000000000000000u); /* (1.30 + 1.32) / 2 */
    assert_int_equal(teardown(state), 0);
}

/* A failing provider is marked down, its last quote serves until the TTL, then stale;
 * its next accepted quote brings it back up. */
static void test_provider_failure_keeps_last_good(void **state)
{
    struct fixture *f = *state;
    uint32_t ecb = provider(f, "ecb", 60, 0, 0);
    update_ok(f, ecb, quote("EUR", "JPY", "186.75", "186.75", T0_NS));
    f->now_ns = T0_NS + 30 * SECOND_NS;
    fx_aggregator_provider_failed(f->aggregator, ecb, TPW_ERR_IO);
    struct fx_provider_stats stats;
    fx_aggregator_provider_stats(f->aggregator, ecb, &stats);
    assert_false(stats.up);
    assert_int_equal(stats.failures, 1);
    assert_int_equal(stats.last_error, TPW_ERR_IO);
    assert_string_equal(stats.name, "ecb");
    fx_aggregator_tick(f->aggregator);
    assert_int_equal(rate_now(f, "EUR", "JPY").status, FX_STATUS_FRESH);
    f->now_ns = T0_NS + 61 * SECOND_NS;
    fx_aggregator_tick(f->aggregator);
    assert_int_equal(rate_now(f, "EUR", "JPY").status, FX_STATUS_STALE);
    update_ok(f, ecb, quote("EUR", "JPY", "186.80", "186.80", f->now_ns));
    fx_aggregator_provider_stats(f->aggregator, ecb, &stats);
    assert_true(stats.up);
    assert_int_equal(stats.quotes_accepted, 2);
    assert_int_equal(stats.last_quote_ns, f->now_ns);
}

/* fx_aggregator_check foresees the refusal (counting nothing), then the update gives it. */
static void refused(struct fixture *f, uint32_t id, struct fx_quote q, enum tpw_err expected)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(fx_aggregator_check(f->aggregator, id, &q, &detail), expected);
    assert_true(detail.message[0] != '\0');
    tpw_error_detail_reset(&detail);
    assert_err(fx_aggregator_update(f->aggregator, id, &q, &detail), expected);
    assert_true(detail.message[0] != '\0');
}

/* Each bad quote has its own error and leaves every pair and rate as it was. */
static void test_bad_quotes_change_nothing(void **state)
{
    struct fixture *f = *state;
    uint32_t id = provider(f, "p", 60, 0, 0);
    update_ok(f, id, quote("EUR", "USD", "1.10", "1.20", T0_NS));
    struct fx_rate before = rate_now(f, "EUR", "USD");
    refused(f, id, quote("EUR", "USD", "1.30", "1.20", T0_NS), TPW_ERR_FX_QUOTE_INVALID);
    refused(f, id, quote("EUR", "USD", "0", "1.20", T0_NS), TPW_ERR_FX_QUOTE_INVALID);
    refused(f, id, quote("EUR", "EUR", "1", "1", T0_NS), TPW_ERR_FX_QUOTE_INVALID);
    refused(f, id, quote("eur", "USD", "1", "1", T0_NS), TPW_ERR_FX_QUOTE_INVALID);
    refused(f, id, quote("E", "USD", "1", "1", T0_NS), TPW_ERR_FX_QUOTE_INVALID);
    refused(f, id, quote("EUR", "USD", "1.1", "1.2", T0_NS + 6 * SECOND_NS),
            TPW_ERR_FX_QUOTE_FUTURE);
    refused(f, id, quote("EUR", "USD", "1.1", "1.2", T0_NS - 1), TPW_ERR_FX_QUOTE_OUT_OF_ORDER);
    refused(f, 7, quote("EUR", "USD", "1.1", "1.2", T0_NS), TPW_ERR_FX_PROVIDER_UNKNOWN);
    struct fx_rate after = rate_now(f, "EUR", "USD");
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(fx_aggregator_pair_count(f->aggregator), 1);
    struct fx_provider_stats stats;
    fx_aggregator_provider_stats(f->aggregator, id, &stats);
    assert_int_equal(stats.quotes_refused, 7); /* the unknown provider counts nowhere */
    assert_int_equal(stats.quotes_accepted, 1);
    assert_int_equal(f->events.count, 1);
    /* Within the skew is accepted; the same time again too (a repeat, not a regression). */
    update_ok(f, id, quote("EUR", "USD", "1.1", "1.2", T0_NS + 5 * SECOND_NS));
    update_ok(f, id, quote("EUR", "USD", "1.1", "1.2", T0_NS + 5 * SECOND_NS));
}

/* The pair table is bounded: the 4097th pair is refused and nothing else changes. */
static void test_pairs_full(void **state)
{
    struct fixture *f = *state;
    uint32_t id = provider(f, "p", 60, 0, 0);
    fx_aggregator_listen(f->aggregator, NULL, NULL); /* 4096 first appearances */
    for (unsigned i = 0; i < FX_PAIRS_MAX; i++) {
        char code[FX_CODE_SIZE];
        snprintf(code, sizeof code, "C%04u", i);
        update_ok(f, id, quote(code, "USD", "1", "1", T0_NS));
    }
    refused(f, id, quote("ZZZ", "USD", "1", "1", T0_NS), TPW_ERR_FX_PAIRS_FULL);
    assert_int_equal(fx_aggregator_pair_count(f->aggregator), FX_PAIRS_MAX);
    update_ok(f, id, quote("C4095", "USD", "2", "2", T0_NS)); /* existing pairs still move */
    struct fx_rate last;
    fx_aggregator_pair_at(f->aggregator, FX_PAIRS_MAX - 1, &last);
    assert_string_equal(last.base, "C4095");
    assert_u128_equal(last.mid.value_e18, 2 * E18);
}

/* ECB-style rates (per EUR, no spread): USD/JPY is JPY per EUR over USD per EUR, one
 * multiply-divide; bid rounds down, ask up, mid half-even. Expected values from
 * Python's fractions: 186.75e18 × 1e18 / 1.1684e18 = 159833960972269770626.6…. */
static void test_cross_through_eur(void **state)
{
    struct fixture *f = *state;
    uint32_t ecb = provider(f, "ecb", 60, 0, 0);
    update_ok(f, ecb, quote("EUR", "USD", "1.1684", "1.1684", T0_NS));
    update_ok(f, ecb, quote("EUR", "JPY", "186.75", "186.75", T0_NS + 1));
    struct fx_rate rate = rate_now(f, "USD", "JPY");
    assert_u128_equal(rate.bid.value_e18, (tpw_u128)159833960972269770u * 1000u + 626u);
    assert_u128_equal(rate.ask.value_e18, (tpw_u128)159833960972269770u * 1000u + 627u);
    assert_u128_equal(rate.mid.value_e18, (tpw_u128)159833960972269770u * 1000u + 626u);
    assert_string_equal(rate.via, "EUR");
    assert_false(rate.inverted);
    assert_int_equal(rate.time_ns, T0_NS); /* the older leg */
    assert_int_equal(rate.status, FX_STATUS_FRESH);
}

/* With spreads: selling USD for JPY goes USD→EUR at EUR/USD's ask, EUR→JPY at the bid. */
static void test_cross_with_spreads(void **state)
{
    struct fixture *f = *state;
    uint32_t a = provider(f, "a", 60, 0, 0);
    uint32_t b = provider(f, "b", 600, 0, 0);
    update_ok(f, a, quote("EUR", "USD", "1.1680", "1.1690", T0_NS));
    update_ok(f, b, quote("EUR", "JPY", "186.70", "186.80", T0_NS));
    struct fx_rate rate = rate_now(f, "USD", "JPY");
    /* 186.70/1.1690 down, 186.80/1.1680 up, 186.75/1.1685 half-even. */
    assert_u128_equal(rate.bid.value_e18, (tpw_u128)159709153122326775u * 1000u + 21u);
    assert_u128_equal(rate.ask.value_e18, (tpw_u128)159931506849315068u * 1000u + 494u);
    assert_u128_equal(rate.mid.value_e18, (tpw_u128)159820282413350449u * 1000u + 294u);
    /* The inverse of a quoted pair: USD/EUR bid = 1/1.1690 down, ask = 1/1.1680 up. */
    rate = rate_now(f, "USD", "EUR");
    assert_true(rate.inverted);
    assert_string_equal(rate.via, "");
    assert_u128_equal(rate.bid.value_e18, 855431993156544054u);
    assert_u128_equal(rate.ask.value_e18, 856164383561643836u);
    assert_u128_equal(rate.mid.value_e18, 855798031664527172u);
    /* The cross is as stale as its worst leg. */
    f->now_ns = T0_NS + 61 * SECOND_NS;
    fx_aggregator_tick(f->aggregator);
    assert_int_equal(rate_now(f, "USD", "JPY").status, FX_STATUS_STALE);
    assert_int_equal(rate_now(f, "EUR", "JPY").status, FX_STATUS_FRESH);
}

/* Both legs inverted (stored EUR/CHF and GBP/EUR, so CHF→GBP): two roundings, as
 * documented: 1e36/0.94e18 half-even, then × 1e18 / 1.15e18 half-even gives …263
 * where one exact division would give …264. The second pivot serves when the first
 * does not connect. */
static void test_cross_inverted_legs_and_second_pivot(void **state)
{
    struct fixture *f = *state;
    uint32_t p = provider(f, "p", 60, 0, 0);
    update_ok(f, p, quote("EUR", "CHF", "0.94", "0.94", T0_NS));
    update_ok(f, p, quote("GBP", "EUR", "1.15", "1.15", T0_NS));
    struct fx_rate rate = rate_now(f, "CHF", "GBP");
    assert_u128_equal(rate.mid.value_e18, 925069380203515263u);
    assert_string_equal(rate.via, "EUR");
    update_ok(f, p, quote("BTC", "USD", "90000", "90010", T0_NS));
    update_ok(f, p, quote("USD", "TWD", "32.1", "32.2", T0_NS));
    rate = rate_now(f, "BTC", "TWD");
    assert_string_equal(rate.via, "USD");
    assert_u128_equal(rate.bid.value_e18, (tpw_u128)2889000u * E18); /* 90000 × 32.1 */
    assert_u128_equal(rate.ask.value_e18, (tpw_u128)2898322u * E18); /* 90010 × 32.2 */
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(fx_aggregator_rate(f->aggregator, "CHF", "TWD", &rate, &detail),
               TPW_ERR_FX_PAIR_UNKNOWN);
    assert_non_null(strstr(detail.message, "CHF/TWD"));
    assert_err(fx_aggregator_rate(f->aggregator, "CHF", "CHF", &rate, NULL),
               TPW_ERR_FX_QUOTE_INVALID);
    assert_err(fx_aggregator_rate(f->aggregator, "chf", "GBP", &rate, NULL),
               TPW_ERR_FX_QUOTE_INVALID);
}

static void test_policy_and_provider_errors(void **state)
{
    (void)state;
    uint64_t now_ns = T0_NS;
    fx_aggregator *aggregator = NULL;
    struct fx_policy policy = fx_policy_default();
    struct fx_policy bad[4] = {policy, policy, policy, policy};
    bad[0].quorum = 0;
    bad[1].outlier_mad_k_milli = 999;
    bad[2].outlier_floor_bps = MONEY_BPS_ONE + 1;
    snprintf(bad[3].pivots[1], FX_CODE_SIZE, "usd");
    for (size_t i = 0; i < 4; i++) {
        assert_err(fx_aggregator_create(&bad[i], tpw_clock_manual(&now_ns), &aggregator, NULL),
                   TPW_ERR_FX_POLICY_INVALID);
    }
    policy.outlier_mad_k_milli = 0; /* off is allowed */
    assert_err(fx_aggregator_create(&policy, tpw_clock_manual(&now_ns), &aggregator, NULL), TPW_OK);
    struct fx_provider_config config = {.ttl_ns = SECOND_NS};
    uint32_t id = 0;
    assert_err(fx_aggregator_provider_add(aggregator, &config, &id, NULL),
               TPW_ERR_FX_POLICY_INVALID); /* no name */
    memset(config.name, 'x', sizeof config.name);
    assert_err(fx_aggregator_provider_add(aggregator, &config, &id, NULL),
               TPW_ERR_FX_POLICY_INVALID); /* no NUL */
    snprintf(config.name, sizeof config.name, "p");
    config.ttl_ns = 0;
    assert_err(fx_aggregator_provider_add(aggregator, &config, &id, NULL),
               TPW_ERR_FX_POLICY_INVALID);
    config.ttl_ns = SECOND_NS;
    for (uint32_t i = 0; i < FX_PROVIDERS_MAX; i++) {
        snprintf(config.name, sizeof config.name, "p%u", i);
        assert_err(fx_aggregator_provider_add(aggregator, &config, &id, NULL), TPW_OK);
        assert_int_equal(id, i);
    }
    assert_err(fx_aggregator_provider_add(aggregator, &config, &id, NULL),
               TPW_ERR_FX_PROVIDER_NAME_TAKEN);
    snprintf(config.name, sizeof config.name, "one-more");
    assert_err(fx_aggregator_provider_add(aggregator, &config, &id, NULL),
               TPW_ERR_FX_PROVIDERS_FULL);
    assert_int_equal(fx_aggregator_provider_count(aggregator), FX_PROVIDERS_MAX);
    fx_aggregator_destroy(aggregator);
    fx_aggregator_destroy(NULL);
}

/* The internals: ties to even, no overflow at the top of the range, medians. */
static void test_average_and_median(void **state)
{
    (void)state;
    assert_u128_equal(fx__average(1, 2), 2); /* 1.5 → 2 */
    assert_u128_equal(fx__average(2, 3), 2); /* 2.5 → 2 */
    assert_u128_equal(fx__average(3, 3), 3);
    assert_u128_equal(fx__average(0, 1), 0); /* 0.5 → 0 */
    assert_u128_equal(fx__average(TPW_U128_MAX, TPW_U128_MAX), TPW_U128_MAX);
    assert_u128_equal(fx__average(TPW_U128_MAX, TPW_U128_MAX - 1), TPW_U128_MAX - 1);
    tpw_u128 odd[] = {5, 1, 3};
    assert_u128_equal(fx__median(odd, 3), 3);
    tpw_u128 even[] = {9, 1, 4, 6};
    assert_u128_equal(fx__median(even, 4), 5);
    tpw_u128 one[] = {7};
    assert_u128_equal(fx__median(one, 1), 7);
    assert_string_equal(fx_status_name(FX_STATUS_DEGRADED), "degraded");
    assert_string_equal(fx_status_name(FX_STATUS_NONE), "none");
    assert_string_equal(fx_status_name((enum fx_status)99), "unknown");
}

/* A venue's top of book becomes a quote exactly (a power of ten, no rounding), and the
 * aggregator takes it like any provider's; crossed, empty or too fine books are not
 * quotes. */
static void test_ticker_quotes(void **state)
{
    struct fixture *f = *state;
    uint32_t id = provider(f, "binance", 10, 0, 1);
    struct fx_ticker ticker = {.base = "BTC",
                               .quote = "USDT",
                               .bid_minor = 9712345,
                               .ask_minor = 9712346,
                               .price_exponent = 2,
                               .time_ns = T0_NS};
    struct fx_quote q;
    assert_err(fx_quote_from_ticker(&ticker, &q, NULL), TPW_OK);
    assert_string_equal(q.base, "BTC");
    assert_string_equal(q.quote, "USDT");
    assert_u128_equal(q.bid.value_e18, rate_of("97123.45").value_e18);
    assert_u128_equal(q.ask.value_e18, rate_of("97123.46").value_e18);
    update_ok(f, id, q);
    struct fx_rate rate = rate_now(f, "BTC", "USDT");
    assert_u128_equal(rate.mid.value_e18, rate_of("97123.455").value_e18);
    /* The finest a rate holds, and the largest 64-bit price at it. */
    ticker.price_exponent = 18;
    ticker.bid_minor = UINT64_MAX;
    ticker.ask_minor = UINT64_MAX;
    assert_err(fx_quote_from_ticker(&ticker, &q, NULL), TPW_OK);
    assert_u128_equal(q.bid.value_e18, UINT64_MAX);
    struct tpw_error_detail detail;
    ticker.price_exponent = 19;
    assert_err(fx_quote_from_ticker(&ticker, &q, &detail), TPW_ERR_FX_QUOTE_INVALID);
    ticker.price_exponent = 2;
    ticker.bid_minor = 10;
    ticker.ask_minor = 9; /* crossed */
    assert_err(fx_quote_from_ticker(&ticker, &q, &detail), TPW_ERR_FX_QUOTE_INVALID);
    ticker.bid_minor = 0;
    assert_err(fx_quote_from_ticker(&ticker, &q, &detail), TPW_ERR_FX_QUOTE_INVALID);
    ticker.bid_minor = 9;
    memcpy(ticker.quote, "BTC", 4);
    assert_err(fx_quote_from_ticker(&ticker, &q, &detail), TPW_ERR_FX_QUOTE_INVALID);
    memcpy(ticker.quote, "usdt", 5);
    assert_err(fx_quote_from_ticker(&ticker, &q, &detail), TPW_ERR_FX_QUOTE_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ttl_grace_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticker_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outlier_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outlier_floor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priority_fallback, setup, teardown),
        cmocka_unit_test(test_quorum),
        cmocka_unit_test_setup_teardown(test_provider_failure_keeps_last_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_quotes_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pairs_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_through_eur, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_with_spreads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_inverted_legs_and_second_pivot, setup, teardown),
        cmocka_unit_test(test_policy_and_provider_errors),
        cmocka_unit_test(test_average_and_median),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
