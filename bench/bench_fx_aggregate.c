/*
 * bench_fx_aggregate: the aggregation target of issue 5 — a provider's quote in, the
 * pair's consensus (medians, outliers, status) out, in under 5 µs. 40 currencies are
 * quoted against EUR and USD (77 pairs) by 5 providers each; the updates, made ahead
 * of time from a seeded xoshiro, move every rate by a few bps around its level and one
 * in fifty lies 3% off (an outlier to reject). The clock follows the quotes (1 ms
 * apart), so TTLs run out for pairs no update touches and statuses change as they would.
 * Every update is timed with clock_gettime (its ~20 ns are in the numbers); a second
 * phase times an update followed by reading a cross rate through EUR (USD/JPY-like:
 * two stored pairs, one multiply-divide per side).
 *
 * Usage: bench_fx_aggregate [--updates N] [--quick]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "tpwallet/clock.h"
#include "tpwallet/fx.h"
#include "tpwallet/prng.h"

#include "banned.h"

#define CURRENCIES 40
#define PAIRS (1 + 2 * (CURRENCIES - 2)) /* EUR/USD, EUR/C and USD/C */
#define PROVIDERS 5
#define SEED 0x7470776678616767ull
#define UPDATES_DEFAULT 2000000u
#define UPDATES_QUICK 20000u
#define E18 ((tpw_u128)1000000000000000000ull)

struct bench {
    fx_aggregator *aggregator;
    uint64_t now_ns;
    struct fx_quote *quotes;
    uint32_t *providers;
    size_t count;
    uint64_t *samples_ns;
    uint64_t events;
};

static void on_status(void *ctx, const struct fx_status_event *event)
{
    (void)event;
    ((struct bench *)ctx)->events++;
}

/* 2..8 letters: "C00".."C39" stand for the 38 currencies beside EUR and USD. */
static void currency(size_t index, char code[FX_CODE_SIZE])
{
    if (index == 0) {
        (void)snprintf(code, FX_CODE_SIZE, "EUR");
    } else if (index == 1) {
        (void)snprintf(code, FX_CODE_SIZE, "USD");
    } else {
        (void)snprintf(code, FX_CODE_SIZE, "C%02u", (unsigned)(index % 100));
    }
}

/* The pair's level: 0.5 to ~200 units, exact at 10^-6. */
static tpw_u128 level_e18(size_t pair)
{
    return (tpw_u128)(500000u + (uint64_t)pair * 2500000u) * 1000000000000u;
}

/* Pair k: 0 is EUR/USD, then EUR/C and USD/C for each other currency C. */
static void pair_codes(size_t k, struct fx_quote *quote)
{
    if (k == 0) {
        currency(0, quote->base);
        currency(1, quote->quote);
        return;
    }
    currency((k - 1) % 2, quote->base);
    currency(2 + (k - 1) / 2, quote->quote);
}

static void make_quote(struct bench *bench, struct tpw_prng *prng, size_t i)
{
    size_t pair = (size_t)tpw_prng_below(prng, PAIRS);
    struct fx_quote *quote = &bench->quotes[i];
    memset(quote, 0, sizeof *quote);
    pair_codes(pair, quote);
    tpw_u128 mid = level_e18(pair);
    tpw_u128 bps = mid / 10000u;
    uint64_t r = tpw_prng_next(prng);
    mid += (r % 20) * bps; /* a few bps of movement */
    if (r % 50 == 0) {
        mid += 300 * bps; /* 3% off: an outlier */
    }
    quote->bid.value_e18 = mid - 2 * bps;
    quote->ask.value_e18 = mid + 2 * bps;
    quote->time_ns = 1765000000000000000ull + (uint64_t)i * 1000000u;
    bench->providers[i] = (uint32_t)((r >> 32) % PROVIDERS);
}

static int setup(struct bench *bench, size_t count)
{
    struct fx_policy policy = fx_policy_default();
    if (fx_aggregator_create(&policy, tpw_clock_manual(&bench->now_ns), &bench->aggregator, NULL) !=
        TPW_OK) {
        return -1;
    }
    fx_aggregator_listen(bench->aggregator, on_status, bench);
    for (uint32_t p = 0; p < PROVIDERS; p++) {
        struct fx_provider_config config = {
            .ttl_ns = 2000000000ull, .grace_ns = 1000000000ull, .priority = p / 3};
        (void)snprintf(config.name, sizeof config.name, "provider%u", p);
        uint32_t id = 0;
        if (fx_aggregator_provider_add(bench->aggregator, &config, &id, NULL) != TPW_OK) {
            return -1;
        }
    }
    bench->count = count;
    bench->quotes = calloc(count, sizeof *bench->quotes);
    bench->providers = calloc(count, sizeof *bench->providers);
    bench->samples_ns = calloc(count, sizeof *bench->samples_ns);
    if (bench->quotes == NULL || bench->providers == NULL || bench->samples_ns == NULL) {
        return -1;
    }
    struct tpw_prng prng;
    tpw_prng_seed(&prng, SEED);
    for (size_t i = 0; i < count; i++) {
        make_quote(bench, &prng, i);
    }
    return 0;
}

struct result {
    uint64_t mean_ns;
    uint64_t p50_ns;
    uint64_t p99_ns;
    uint64_t max_ns;
};

static struct result summarize(uint64_t *samples_ns, size_t count)
{
    uint64_t total_ns = 0;
    for (size_t i = 0; i < count; i++) {
        total_ns += samples_ns[i];
    }
    qsort(samples_ns, count, sizeof *samples_ns, bench_compare_u64);
    return (struct result){
        .mean_ns = total_ns / count,
        .p50_ns = samples_ns[count / 2],
        .p99_ns = samples_ns[count - 1 - count / 100],
        .max_ns = samples_ns[count - 1],
    };
}

/* One pass over the prepared quotes; with `read_cross`, each update is followed by a
 * read of C02/C03 (through EUR) inside the timed span. Returns -1 on any error. */
static int run(struct bench *bench, bool read_cross, uint64_t *checksum)
{
    /* A second pass replays the quotes later in time (a provider's quotes only move on). */
    uint64_t offset_ns = read_cross ? (uint64_t)bench->count * 1000000u : 0;
    for (size_t i = 0; i < bench->count; i++) {
        struct fx_quote quote = bench->quotes[i];
        quote.time_ns += offset_ns;
        bench->now_ns = quote.time_ns;
        uint64_t start_ns = tpw_clock_monotonic_ns();
        if (fx_aggregator_update(bench->aggregator, bench->providers[i], &quote, NULL) != TPW_OK) {
            return -1;
        }
        if (read_cross) {
            struct fx_rate rate;
            if (fx_aggregator_rate(bench->aggregator, "C02", "C03", &rate, NULL) != TPW_OK) {
                return -1;
            }
            *checksum += (uint64_t)rate.mid.value_e18;
        }
        bench->samples_ns[i] = tpw_clock_monotonic_ns() - start_ns;
    }
    return 0;
}

static void print_row(const char *name, size_t count, struct result result)
{
    printf("| %s | %zu | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %s |\n", name,
           count, result.mean_ns, result.p50_ns, result.p99_ns, result.max_ns,
           result.p99_ns < 5000 ? "pass" : "miss");
}

int main(int argc, char **argv)
{
    size_t count = UPDATES_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            count = UPDATES_QUICK;
        } else if (strcmp(argv[i], "--updates") == 0 && i + 1 < argc) {
            count = (size_t)strtoull(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: bench_fx_aggregate [--updates N] [--quick]\n");
            return 2;
        }
    }
    if (count == 0 || count > 100000000u) {
        fprintf(stderr, "bench_fx_aggregate: --updates 1..100000000\n");
        return 2;
    }
    struct bench bench = {0};
    uint64_t checksum = 0;
    char date[BENCH_DATE_SIZE];
    bench_date_utc(date);
    printf("bench_fx_aggregate: %s | %s | %d currencies, %d pairs, %d providers | seed 0x%llx\n\n",
           date, bench_machine(), CURRENCIES, PAIRS, PROVIDERS, (unsigned long long)SEED);
    printf("| phase | updates | mean ns | p50 ns | p99 ns | max ns | p99 < 5 µs |\n");
    printf("|---|---:|---:|---:|---:|---:|---|\n");
    if (setup(&bench, count) != 0 || run(&bench, false, &checksum) != 0) {
        fprintf(stderr, "bench_fx_aggregate: setup or update failed\n");
        return 1;
    }
    print_row("update → consensus", count, summarize(bench.samples_ns, count));
    if (run(&bench, true, &checksum) != 0) {
        fprintf(stderr, "bench_fx_aggregate: cross read failed\n");
        return 1;
    }
    print_row("update + cross read", count, summarize(bench.samples_ns, count));
    printf("\nstatus events %" PRIu64 " | checksum 0x%" PRIx64 "\n", bench.events, checksum);
    fx_aggregator_destroy(bench.aggregator);
    free(bench.quotes);
    free(bench.providers);
    free(bench.samples_ns);
    return 0;
}
