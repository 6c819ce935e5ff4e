/*
 * bench_fx: the cost of one route search (fx_route_find: the search, the explanation and
 * the direct pair's result) across 40 currencies, on two graphs: a realistic one (every
 * currency quoted against EUR and USD, plus a number of direct crosses) and a dense one
 * (every pair quoted). Amounts are random over seven orders of magnitude, pairs of
 * currencies random, SELL and BUY. Each search is timed alone with the monotonic clock
 * (≈ 20 ns of the figure is the clock itself), so the table has p50, p99 and the mean.
 * The target (issue 5) is under 20 µs per search. Inputs come from a fixed seed. A
 * search that fails other than with TPW_ERR_FX_AMOUNT_TOO_SMALL stops the run (exit 1).
 *
 * Usage: bench_fx [--quick] [--searches N]
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "tpwallet/clock.h"
#include "tpwallet/fx.h"
#include "tpwallet/prng.h"

#include "banned.h"

#define BENCH_SEED UINT64_C(0x7470776678726f75) /* "tpwfxrou" */
#define CURRENCIES 40u
#define CROSSES 40u /* direct pairs beside those against EUR and USD */
#define DEFAULT_SEARCHES 20000u
#define QUICK_SEARCHES 200u
#define SEARCHES_MAX 10000000u
#define PAIRS_MAX (CURRENCIES * (CURRENCIES - 1) / 2)

/* Codes and exponents as ISO 4217 has them; EUR and USD first (the pivots). */
static const struct {
    const char *code;
    uint8_t exponent;
} g_currencies[CURRENCIES] = {
    {"EUR", 2}, {"USD", 2}, {"GBP", 2}, {"JPY", 0}, {"CHF", 2}, {"CAD", 2}, {"AUD", 2}, {"NZD", 2},
    {"SEK", 2}, {"NOK", 2}, {"DKK", 2}, {"PLN", 2}, {"CZK", 2}, {"HUF", 2}, {"RON", 2}, {"BGN", 2},
    {"TRY", 2}, {"ZAR", 2}, {"MXN", 2}, {"BRL", 2}, {"CNY", 2}, {"HKD", 2}, {"SGD", 2}, {"KRW", 0},
    {"TWD", 2}, {"INR", 2}, {"IDR", 2}, {"THB", 2}, {"MYR", 2}, {"PHP", 2}, {"ILS", 2}, {"AED", 2},
    {"SAR", 2}, {"CLP", 0}, {"COP", 2}, {"PEN", 2}, {"ISK", 0}, {"KWD", 3}, {"BHD", 3}, {"USDC", 6},
};

struct workload {
    struct money_asset assets[CURRENCIES];
    struct fx_quote quotes[PAIRS_MAX];
    size_t quote_count;
    bool quoted[CURRENCIES][CURRENCIES];
    tpw_u128 price_e18[CURRENCIES]; /* units of EUR per unit, × 10^18 */
};

static void add_quote(struct workload *w, struct tpw_prng *prng, size_t base, size_t quote,
                      unsigned spread_bps_max)
{
    if (w->quoted[base][quote]) {
        return;
    }
    struct fx_quote *q = &w->quotes[w->quote_count++];
    memset(q, 0, sizeof(*q));
    memcpy(q->base, w->assets[base].code, FX_CODE_SIZE);
    memcpy(q->quote, w->assets[quote].code, FX_CODE_SIZE);
    /* mid = price(base) / price(quote), then each pair's own ±0.5% and half-spread. */
    tpw_u128 mid = w->price_e18[base] * tpw_u128_pow10(18) / w->price_e18[quote];
    mid = mid / 10000u * (9950u + tpw_prng_below(prng, 101));
    tpw_u128 half = 1 + tpw_prng_below(prng, spread_bps_max);
    q->bid.value_e18 = mid / 10000u * (10000u - half);
    q->ask.value_e18 = mid / 10000u * (10000u + half);
    w->quoted[base][quote] = true;
    w->quoted[quote][base] = true;
}

static void workload_init(struct workload *w, struct tpw_prng *prng, bool dense)
{
    memset(w, 0, sizeof(*w));
    for (size_t index = 0; index < CURRENCIES; index++) {
        struct money_asset *asset = &w->assets[index];
        memcpy(asset->code, g_currencies[index].code, strlen(g_currencies[index].code) + 1);
        asset->exponent = g_currencies[index].exponent;
        asset->is_money = true;
        asset->kind = MONEY_ASSET_ISO4217;
        /* 0.0001 .. 10 EUR per unit, as real currencies range. */
        w->price_e18[index] = index == 0
                                  ? tpw_u128_pow10(18)
                                  : (tpw_u128)(1 + tpw_prng_below(prng, 99999)) *
                                        tpw_u128_pow10(14 - (unsigned)tpw_prng_below(prng, 4));
    }
    for (size_t index = 1; index < CURRENCIES; index++) {
        add_quote(w, prng, 0, index, 20); /* EUR/xxx */
        if (index > 1) {
            add_quote(w, prng, 1, index, 25); /* USD/xxx */
        }
    }
    for (size_t cross = 0; !dense && cross < CROSSES; cross++) {
        size_t a = 2 + (size_t)tpw_prng_below(prng, CURRENCIES - 2);
        size_t b = 2 + (size_t)tpw_prng_below(prng, CURRENCIES - 2);
        if (a != b) {
            add_quote(w, prng, a, b, 60);
        }
    }
    for (size_t a = 2; dense && a < CURRENCIES; a++) {
        for (size_t b = a + 1; b < CURRENCIES; b++) {
            add_quote(w, prng, a, b, 60);
        }
    }
}

/* Fees as a retail price list has them: 0.50 + 0.20% under 1,000 units of the input,
 * 0.10% to 100,000, 0.05% beyond; EUR↔USD 0.02% flat (scaled by each asset's minor unit
 * only roughly: the search's cost does not depend on the values). */
static struct fx_fee_tiers retail_fees(void)
{
    struct fx_fee_tiers tiers;
    memset(&tiers, 0, sizeof(tiers));
    tiers.tier_count = 3;
    tiers.tier[0].schedule = money_fee_none();
    tiers.tier[0].schedule.fixed_minor = 50;
    tiers.tier[0].schedule.proportional_bps = 20;
    tiers.tier[1].threshold_minor = 100000;
    tiers.tier[1].schedule = money_fee_none();
    tiers.tier[1].schedule.proportional_bps = 10;
    tiers.tier[2].threshold_minor = 10000000;
    tiers.tier[2].schedule = money_fee_none();
    tiers.tier[2].schedule.proportional_bps = 5;
    return tiers;
}

static fx_graph *graph_build(const struct workload *w)
{
    static struct fx_corridor_fee corridors[2];
    struct fx_fee_tiers major;
    memset(&major, 0, sizeof(major));
    major.tier_count = 1;
    major.tier[0].schedule = money_fee_none();
    major.tier[0].schedule.proportional_bps = 2;
    for (size_t index = 0; index < 2; index++) {
        memset(&corridors[index], 0, sizeof(corridors[index]));
        memcpy(corridors[index].from, index == 0 ? "EUR" : "USD", 4);
        memcpy(corridors[index].to, index == 0 ? "USD" : "EUR", 4);
        corridors[index].tiers = major;
    }
    struct fx_graph_spec spec = {.assets = w->assets,
                                 .asset_count = CURRENCIES,
                                 .quotes = w->quotes,
                                 .quote_count = w->quote_count,
                                 .corridors = corridors,
                                 .corridor_count = 2,
                                 .default_fees = retail_fees()};
    fx_graph *graph = NULL;
    struct tpw_error_detail detail;
    if (fx_graph_create(&spec, &graph, &detail) != TPW_OK) {
        (void)fprintf(stderr, "bench_fx: graph refused: %s (%s)\n", detail.message, detail.param);
        exit(1);
    }
    return graph;
}

struct search_input {
    size_t from, to;
    tpw_u128 amount_minor;
};

struct result_row {
    uint64_t p50_ns, p99_ns, mean_ns, max_ns;
    uint64_t legs[FX_ROUTE_LEGS_MAX + 1]; /* [0]: searches that failed */
};

static void run(const struct workload *w, const fx_graph *graph, enum fx_route_direction direction,
                const struct search_input *inputs, uint64_t count, uint64_t *samples,
                struct result_row *row)
{
    memset(row, 0, sizeof(*row));
    uint64_t total_ns = 0;
    for (uint64_t index = 0; index < count; index++) {
        const struct search_input *in = &inputs[index];
        struct fx_route_explanation result;
        uint64_t start_ns = tpw_clock_monotonic_ns();
        enum tpw_err err = fx_route_find(graph, direction, w->assets[in->from].code,
                                         w->assets[in->to].code, in->amount_minor, &result, NULL);
        samples[index] = tpw_clock_monotonic_ns() - start_ns;
        total_ns += samples[index];
        /* Every pair of currencies is joined within three legs: the only refusal is an
         * amount the fees eat (or that converts to less than one minor unit). */
        if (err != TPW_OK && err != TPW_ERR_FX_AMOUNT_TOO_SMALL) {
            (void)fprintf(stderr, "bench_fx: search %" PRIu64 " failed: %s\n", index,
                          tpw_err_name(err));
            exit(1);
        }
        row->legs[err == TPW_OK ? result.best.leg_count : 0]++;
    }
    qsort(samples, count, sizeof(samples[0]), bench_compare_u64);
    row->p50_ns = samples[count / 2];
    row->p99_ns = samples[count * 99 / 100];
    row->max_ns = samples[count - 1];
    row->mean_ns = total_ns / count;
}

static void print_row(const char *graph_name, size_t pairs, const char *direction,
                      const struct result_row *row)
{
    printf("| %s | %zu | %s | %" PRIu64 ".%02" PRIu64 " | %" PRIu64 ".%02" PRIu64 " | %" PRIu64
           ".%02" PRIu64 " | %" PRIu64 " | %" PRIu64 " / %" PRIu64 " / %" PRIu64 " |\n",
           graph_name, pairs, direction, row->p50_ns / 1000, row->p50_ns % 1000 / 10,
           row->p99_ns / 1000, row->p99_ns % 1000 / 10, row->mean_ns / 1000,
           row->mean_ns % 1000 / 10, row->legs[0], row->legs[1], row->legs[2], row->legs[3]);
}

static uint64_t parse_searches(int argc, char **argv)
{
    uint64_t searches = DEFAULT_SEARCHES;
    for (int index = 1; index < argc; index++) {
        if (strcmp(argv[index], "--quick") == 0) {
            searches = QUICK_SEARCHES;
        } else if (strcmp(argv[index], "--searches") == 0 && index + 1 < argc) {
            char *end = NULL;
            searches = strtoull(argv[++index], &end, 10);
            if (*end != '\0' || searches == 0 || searches > SEARCHES_MAX) {
                searches = 0;
                break;
            }
        } else {
            searches = 0;
            break;
        }
    }
    if (searches == 0) {
        (void)fprintf(stderr, "usage: bench_fx [--quick] [--searches N (1..%u)]\n", SEARCHES_MAX);
        exit(64);
    }
    return searches;
}

int main(int argc, char **argv)
{
    uint64_t searches = parse_searches(argc, argv);
    struct tpw_prng prng;
    tpw_prng_seed(&prng, BENCH_SEED);
    struct search_input *inputs = calloc(searches, sizeof(*inputs));
    uint64_t *samples = calloc(searches, sizeof(*samples));
    static struct workload w;
    if (inputs == NULL || samples == NULL) {
        (void)fprintf(stderr, "bench_fx: out of memory\n");
        return 1;
    }
    for (uint64_t index = 0; index < searches; index++) {
        inputs[index].from = (size_t)tpw_prng_below(&prng, CURRENCIES);
        inputs[index].to =
            (inputs[index].from + 1 + (size_t)tpw_prng_below(&prng, CURRENCIES - 1)) % CURRENCIES;
        /* 1.00 .. 10,000,000.00 in minor units of two decimals: 10^2 .. 10^9. */
        inputs[index].amount_minor = (tpw_u128)(1 + tpw_prng_below(&prng, 9)) *
                                     tpw_u128_pow10(2 + (unsigned)tpw_prng_below(&prng, 8));
    }
    char date[BENCH_DATE_SIZE];
    bench_date_utc(date);
    printf("bench_fx: %s | %s | %u currencies | %" PRIu64 " searches per row | seed 0x%016" PRIx64
           "\n\n",
           date, bench_machine(), CURRENCIES, searches, BENCH_SEED);
    printf("| graph | pairs | direction | p50 µs | p99 µs | mean µs | failed | 1 / 2 / 3 legs |\n");
    printf("|---|---:|---|---:|---:|---:|---:|---|\n");
    for (int dense = 0; dense <= 1; dense++) {
        /* Graphs from their own stream: the same graphs whatever the number of searches. */
        struct tpw_prng graph_prng;
        tpw_prng_seed(&graph_prng, BENCH_SEED + 1u + (uint64_t)dense);
        workload_init(&w, &graph_prng, dense != 0);
        fx_graph *graph = graph_build(&w);
        for (int direction = FX_ROUTE_SELL; direction <= FX_ROUTE_BUY; direction++) {
            struct result_row row;
            run(&w, graph, (enum fx_route_direction)direction, inputs, searches, samples, &row);
            print_row(dense ? "dense" : "realistic", w.quote_count,
                      direction == FX_ROUTE_SELL ? "sell" : "buy", &row);
        }
        fx_graph_destroy(graph);
    }
    free(inputs);
    free(samples);
    return 0;
}
