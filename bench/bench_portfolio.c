/*
 * bench_portfolio: the portfolio targets of issue 7 —
 *   - one 10-year daily backtest of 5 assets with a threshold policy (< 1 ms), on the
 *     SPY/QQQ/TLT/GLD/BND closes of 2010-2019 copied into tests/data/prices;
 *   - a Monte Carlo of 100,000 paths × 252 steps × 5 assets (< 2 s on 2 cores), GBM
 *     with the drift and covariance estimated from the same closes, monthly checks, a
 *     5 % threshold, 10 bps fees and a 5 bps spread, on 1 and on 2 threads.
 * With --values FILE it writes every path's final value (little-endian doubles) and
 * with --params FILE the simulation's parameters as JSON, for bench/numpy/mc.py (the
 * numpy side of the comparison, run by bench/run-portfolio).
 *
 * Usage: bench_portfolio [--data DIR] [--paths N] [--quick] [--json]
 *                        [--values FILE] [--params FILE]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "tpwallet/clock.h"
#include "tpwallet/portfolio.h"
#include "tpwallet/simulate.h"

#include "banned.h"

#define ASSETS 5
#define BACKTEST_RUNS 200
#define MC_ROUNDS 3

static const char *const symbols[ASSETS] = {"SPY", "QQQ", "TLT", "GLD", "BND"};
/* 30/20/20/15/15 %: a balanced multi-asset mix. */
static const uint64_t weights_e18[ASSETS] = {300000000000000000u, 200000000000000000u,
                                             200000000000000000u, 150000000000000000u,
                                             150000000000000000u};

struct options {
    const char *data_dir;
    uint64_t paths;
    bool quick;
    bool json;
    const char *values_path;
    const char *params_path;
};

static bool parse_options(int argc, char **argv, struct options *options)
{
    *options = (struct options){.data_dir = TPW_PRICES_DATA_DIR, .paths = 100000};
    for (int index = 1; index < argc; index++) {
        const char *arg = argv[index];
        const char *value = index + 1 < argc ? argv[index + 1] : NULL;
        if (strcmp(arg, "--quick") == 0) {
            options->quick = true;
        } else if (strcmp(arg, "--json") == 0) {
            options->json = true;
        } else if (value != NULL && strcmp(arg, "--data") == 0) {
            options->data_dir = value;
            index++;
        } else if (value != NULL && strcmp(arg, "--paths") == 0) {
            options->paths = strtoull(value, NULL, 10);
            index++;
        } else if (value != NULL && strcmp(arg, "--values") == 0) {
            options->values_path = value;
            index++;
        } else if (value != NULL && strcmp(arg, "--params") == 0) {
            options->params_path = value;
            index++;
        } else {
            (void)fprintf(stderr,
                          "usage: bench_portfolio [--data DIR] [--paths N] [--quick] [--json]\n"
                          "                       [--values FILE] [--params FILE]\n");
            return false;
        }
    }
    if (options->quick) {
        options->paths = 2000;
    }
    return options->paths > 0;
}

static bool load_series(const char *dir, struct portfolio_series series[ASSETS])
{
    for (size_t asset = 0; asset < ASSETS; asset++) {
        char path[4096];
        (void)snprintf(path, sizeof(path), "%s/%s-2010-2019.csv", dir, symbols[asset]);
        struct tpw_error_detail detail = {0};
        if (portfolio_series_load(path, PORTFOLIO_CLOSE_RAW, &series[asset], &detail) != TPW_OK) {
            (void)fprintf(stderr, "bench_portfolio: %s\n", detail.message);
            return false;
        }
    }
    return true;
}

/* The backtest: median and best of BACKTEST_RUNS runs, in ns. */
static bool bench_backtest(const struct portfolio_series series[ASSETS],
                           const struct options *options, uint64_t *median_ns, uint64_t *best_ns,
                           double *cagr)
{
    struct portfolio_backtest_config config;
    memset(&config, 0, sizeof(config));
    for (size_t asset = 0; asset < ASSETS; asset++) {
        (void)snprintf(config.assets[asset].symbol, PORTFOLIO_SYMBOL_SIZE, "%s", symbols[asset]);
        config.assets[asset].weight_e18 = weights_e18[asset];
        config.assets[asset].series = &series[asset];
    }
    config.assets_count = ASSETS;
    config.check = PORTFOLIO_CHECK_DAILY;
    config.threshold = 0.05;
    config.cost_bps = 10;
    config.periods_per_year = 252;
    unsigned runs = options->quick ? 5 : BACKTEST_RUNS;
    uint64_t times[BACKTEST_RUNS];
    for (unsigned run = 0; run < runs; run++) {
        struct portfolio_backtest_result result;
        struct tpw_error_detail detail = {0};
        uint64_t start = tpw_clock_monotonic_ns();
        if (portfolio_backtest_run(&config, &result, &detail) != TPW_OK) {
            (void)fprintf(stderr, "bench_portfolio: backtest: %s\n", detail.message);
            return false;
        }
        times[run] = tpw_clock_monotonic_ns() - start;
        *cagr = result.cagr;
    }
    qsort(times, runs, sizeof(times[0]), bench_compare_u64);
    *median_ns = times[runs / 2];
    *best_ns = times[0];
    return true;
}

static bool mc_config(const struct portfolio_series series[ASSETS], const struct options *options,
                      struct portfolio_sim_config *config)
{
    const struct portfolio_series *pointers[ASSETS];
    for (size_t asset = 0; asset < ASSETS; asset++) {
        pointers[asset] = &series[asset];
    }
    memset(config, 0, sizeof(*config));
    double *history = NULL;
    struct tpw_error_detail detail = {0};
    if (portfolio_sim_market_estimate(pointers, ASSETS, 252, &config->market, &history, &detail) !=
        TPW_OK) {
        (void)fprintf(stderr, "bench_portfolio: estimate: %s\n", detail.message);
        return false;
    }
    free(history); /* GBM does not use it */
    config->market.history = NULL;
    config->model = PORTFOLIO_SIM_GBM;
    memcpy(config->weight_e18, weights_e18, sizeof(weights_e18));
    config->check = PORTFOLIO_CHECK_MONTHLY;
    config->threshold = 0.05;
    config->costs = (struct portfolio_sim_costs){.fee_bps = 10, .spread_bps = 5};
    config->paths = options->paths;
    config->steps = 252;
    config->steps_per_year = 252;
    config->seed = UINT64_C(0x7470776d63);
    return true;
}

/* Best of MC_ROUNDS runs on `threads` threads, in ns; the last report kept. */
static bool bench_mc(struct portfolio_sim_config *config, unsigned threads, unsigned rounds,
                     uint64_t *best_ns, struct portfolio_sim_report *report)
{
    config->threads = threads;
    *best_ns = UINT64_MAX;
    for (unsigned round = 0; round < rounds; round++) {
        portfolio_sim_report_deinit(report);
        struct tpw_error_detail detail = {0};
        uint64_t start = tpw_clock_monotonic_ns();
        if (portfolio_sim_run(config, true, report, &detail) != TPW_OK) {
            (void)fprintf(stderr, "bench_portfolio: simulate: %s\n", detail.message);
            return false;
        }
        uint64_t elapsed = tpw_clock_monotonic_ns() - start;
        *best_ns = elapsed < *best_ns ? elapsed : *best_ns;
    }
    return true;
}

static bool write_values(const char *path, const struct portfolio_sim_report *report)
{
    FILE *file = fopen(path, "wb");
    if (file == NULL) {
        return false;
    }
    size_t wrote = fwrite(&report->values[PORTFOLIO_SIM_FINAL_VALUE * report->paths],
                          sizeof(double), (size_t)report->paths, file);
    return fclose(file) == 0 && wrote == report->paths;
}

static bool write_params(const char *path, const struct portfolio_sim_config *config)
{
    FILE *file = fopen(path, "w");
    if (file == NULL) {
        return false;
    }
    const struct portfolio_sim_market *market = &config->market;
    (void)fprintf(file,
                  "{\"paths\":%" PRIu64 ",\"steps\":%u,\"steps_per_year\":%u,"
                  "\"checks_per_year\":12,\"threshold\":%.17g,\"fee_bps\":%.17g,"
                  "\"spread_bps\":%.17g,\"weights\":[",
                  config->paths, config->steps, config->steps_per_year, config->threshold,
                  config->costs.fee_bps, config->costs.spread_bps);
    for (size_t i = 0; i < ASSETS; i++) {
        (void)fprintf(file, "%s%.17g", i ? "," : "", (double)weights_e18[i] / 1e18);
    }
    (void)fprintf(file, "],\"drift\":[");
    for (size_t i = 0; i < ASSETS; i++) {
        (void)fprintf(file, "%s%.17g", i ? "," : "", market->drift_per_year[i]);
    }
    (void)fprintf(file, "],\"covariance\":[");
    for (size_t i = 0; i < ASSETS * ASSETS; i++) {
        (void)fprintf(file, "%s%.17g", i ? "," : "", market->covariance_per_year[i]);
    }
    (void)fprintf(file, "]}\n");
    return fclose(file) == 0;
}

static void print_results(const struct options *options, uint64_t bt_median_ns, uint64_t bt_best_ns,
                          uint64_t mc1_ns, uint64_t mc2_ns,
                          const struct portfolio_sim_report *report)
{
    const struct portfolio_sim_summary *final = &report->metrics[PORTFOLIO_SIM_FINAL_VALUE];
    char date[BENCH_DATE_SIZE];
    bench_date_utc(date);
    printf("bench_portfolio: %s | %s | %" PRIu64 " paths x 252 steps x %d assets\n", date,
           bench_machine(), options->paths, ASSETS);
    printf("| measure | result | target |\n|---|---:|---|\n");
    printf("| backtest, 10 years x 5 assets, median of %d | %" PRIu64 " us (best %" PRIu64
           " us) | < 1000 us |\n",
           options->quick ? 5 : BACKTEST_RUNS, bt_median_ns / 1000, bt_best_ns / 1000);
    printf("| Monte Carlo, 1 thread | %" PRIu64 " ms | |\n", mc1_ns / 1000000);
    printf("| Monte Carlo, 2 threads | %" PRIu64 " ms | < 2000 ms |\n", mc2_ns / 1000000);
    printf("final value: mean %.6f, p5 %.6f, p50 %.6f, p95 %.6f\n", final->mean,
           final->percentiles[1], final->percentiles[3], final->percentiles[5]);
    if (options->json) {
        printf("{\"bench\":\"portfolio\",\"paths\":%" PRIu64 ",\"backtest_median_ns\":%" PRIu64
               ",\"backtest_best_ns\":%" PRIu64 ",\"mc_1_thread_ns\":%" PRIu64
               ",\"mc_2_threads_ns\":%" PRIu64 ",\"final_mean\":%.9g,\"final_p50\":%.9g}\n",
               options->paths, bt_median_ns, bt_best_ns, mc1_ns, mc2_ns, final->mean,
               final->percentiles[3]);
    }
}

int main(int argc, char **argv)
{
    struct options options;
    if (!parse_options(argc, argv, &options)) {
        return 2;
    }
    struct portfolio_series series[ASSETS];
    memset(series, 0, sizeof(series));
    uint64_t bt_median_ns = 0;
    uint64_t bt_best_ns = 0;
    uint64_t mc1_ns = 0;
    uint64_t mc2_ns = 0;
    double cagr = 0;
    struct portfolio_sim_config config;
    struct portfolio_sim_report report = {0};
    unsigned rounds = options.quick ? 1 : MC_ROUNDS;
    bool ok = load_series(options.data_dir, series) &&
              bench_backtest(series, &options, &bt_median_ns, &bt_best_ns, &cagr) &&
              mc_config(series, &options, &config) && bench_mc(&config, 1, 1, &mc1_ns, &report) &&
              bench_mc(&config, 2, rounds, &mc2_ns, &report);
    if (ok && options.values_path != NULL && !write_values(options.values_path, &report)) {
        (void)fprintf(stderr, "bench_portfolio: cannot write %s\n", options.values_path);
        ok = false;
    }
    if (ok && options.params_path != NULL && !write_params(options.params_path, &config)) {
        (void)fprintf(stderr, "bench_portfolio: cannot write %s\n", options.params_path);
        ok = false;
    }
    if (ok) {
        print_results(&options, bt_median_ns, bt_best_ns, mc1_ns, mc2_ns, &report);
    }
    portfolio_sim_report_deinit(&report);
    for (size_t asset = 0; asset < ASSETS; asset++) {
        portfolio_series_deinit(&series[asset]);
    }
    return ok ? 0 : 1;
}
