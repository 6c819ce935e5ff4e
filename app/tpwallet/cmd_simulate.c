/*
 * `tpwallet simulate`: Monte Carlo and stress runs of a rebalanced portfolio. Wiring
 * only: the market is estimated from the price files (the shared --prices/--weights
 * options of portfolio_args.h), the simulation and the report are the portfolio
 * module's (include/tpwallet/simulate.h, docs/portfolio.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "portfolio_args.h"
#include "tpwallet/simulate.h"

#include "banned.h"

const char cmd_simulate_usage[] =
    "usage: tpwallet simulate --prices SYM=FILE [SYM=FILE...] [--cash SYM] --weights SYM=W,...\n"
    "         [--model gbm|t|bootstrap] [--dof N] [--block STEPS] [--paths N] [--steps N]\n"
    "         [--steps-per-year N] [--check daily|weekly|monthly|quarterly|annual|never]\n"
    "         [--threshold X] [--fee-bps N] [--spread-bps N] [--depth D]\n"
    "         [--scenario crash|rally|drought|depeg-usdc|depeg-ust] [--at STEP] [--shock X]\n"
    "         [--stablecoin SYM] [--seed N] [--threads N] [--adj-close] [--json]\n"
    "Draws --paths (default 10000) paths of --steps (default 365) steps from a market\n"
    "estimated from the price files (one row to the next is one step; --steps-per-year,\n"
    "default 365, annualises), runs the rebalancing policy on each with fees, half the\n"
    "spread and slippage for a book --depth (in portfolio values per unit price move;\n"
    "default unlimited), and prints percentiles of each path's metrics. Models: gbm\n"
    "(default), t (--dof, default 4), bootstrap (blocks of --block rows, default 21).\n"
    "Scenarios from step --at (default mid-path): crash (priced assets -50%% over 5 steps,\n"
    "--shock), rally (+100%% over 21), drought (spreads x10, depth /10 for 21 steps),\n"
    "depeg-usdc / depeg-ust (--stablecoin, default USDC / UST, follows the recorded\n"
    "closes). Same --seed (default 1), same report, whatever --threads. See\n"
    "docs/portfolio.md.\n";

#define SIMULATE_ARGS_MAX 128
#define SIMULATE_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))
#define SIMULATE_DEFAULT_DOF 4.0
#define SIMULATE_PROGRESS_WIDTH 40

struct simulate_args {
    struct portfolio_args assets;
    const char *model;
    const char *dof;
    const char *block;
    const char *paths;
    const char *steps;
    const char *steps_per_year;
    const char *check;
    const char *threshold;
    const char *fee_bps;
    const char *spread_bps;
    const char *depth;
    const char *scenario;
    const char *at;
    const char *shock;
    const char *stablecoin;
    const char *seed;
    const char *threads;
};

/* What a run owns besides the config: the loaded files and the buffers it borrows. */
struct simulate_run {
    struct portfolio_backtest_config assets; /* weights paired with prices */
    struct portfolio_series storage[PORTFOLIO_ASSETS_MAX];
    struct portfolio_series depeg;
    double *history;
    double *replay_closes;
    struct portfolio_sim_config config;
    unsigned progress_percent;
};

static void run_deinit(struct simulate_run *run)
{
    for (size_t index = 0; index < PORTFOLIO_ASSETS_MAX; index++) {
        portfolio_series_deinit(&run->storage[index]);
    }
    portfolio_series_deinit(&run->depeg);
    free(run->history);
    free(run->replay_closes);
}

static enum tpw_err parse_model(const struct simulate_args *args, struct simulate_run *run,
                                struct tpw_error_detail *detail)
{
    struct portfolio_sim_config *config = &run->config;
    tpw_error_set_param(detail, "model");
    enum tpw_err err = portfolio_sim_model_parse(args->model, &config->model, detail);
    config->market.dof = SIMULATE_DEFAULT_DOF;
    if (err == TPW_OK && args->dof != NULL) {
        err = portfolio_args_double(args->dof, "dof", &config->market.dof, detail);
    }
    uint64_t block = 0;
    if (err == TPW_OK) {
        err = portfolio_args_count(args->block, "block", 1, PORTFOLIO_SIM_HISTORY_ROWS_MAX, &block,
                                   detail);
    }
    config->market.block_steps = (unsigned)block;
    if (config->model != PORTFOLIO_SIM_BOOTSTRAP) {
        config->market.history = NULL; /* estimated, but only the bootstrap draws from it */
    }
    return err;
}

/* The market estimated from the files, with the policy's weights. */
static enum tpw_err estimate(struct simulate_run *run, struct tpw_error_detail *detail)
{
    const struct portfolio_series *series[PORTFOLIO_ASSETS_MAX];
    for (size_t index = 0; index < run->assets.assets_count; index++) {
        series[index] = run->assets.assets[index].series;
        run->config.weight_e18[index] = run->assets.assets[index].weight_e18;
    }
    tpw_error_set_param(detail, "prices");
    return portfolio_sim_market_estimate(series, run->assets.assets_count,
                                         run->config.steps_per_year, &run->config.market,
                                         &run->history, detail);
}

static enum tpw_err parse_counts(const struct simulate_args *args,
                                 struct portfolio_sim_config *config,
                                 struct tpw_error_detail *detail)
{
    uint64_t value = 0;
    enum tpw_err err = portfolio_args_count(args->paths, "paths", 1, PORTFOLIO_SIM_PATHS_MAX,
                                            &config->paths, detail);
    if (err == TPW_OK) {
        err =
            portfolio_args_count(args->steps, "steps", 1, PORTFOLIO_SIM_STEPS_MAX, &value, detail);
        config->steps = (unsigned)value;
    }
    if (err == TPW_OK) {
        err = portfolio_args_count(args->steps_per_year, "steps-per-year", 1, 366, &value, detail);
        config->steps_per_year = (unsigned)value;
    }
    if (err == TPW_OK) {
        err = portfolio_args_count(args->seed, "seed", 0, UINT64_MAX, &config->seed, detail);
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    value = online > 0 ? (uint64_t)online : 1;
    value = value > PORTFOLIO_SIM_THREADS_MAX ? PORTFOLIO_SIM_THREADS_MAX : value;
    if (err == TPW_OK && args->threads != NULL) {
        err = portfolio_args_count(args->threads, "threads", 1, PORTFOLIO_SIM_THREADS_MAX, &value,
                                   detail);
    }
    config->threads = (unsigned)value;
    return err;
}

static enum tpw_err parse_policy(const struct simulate_args *args,
                                 struct portfolio_sim_config *config,
                                 struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, "check");
    enum tpw_err err = portfolio_check_parse(args->check, &config->check, detail);
    if (err == TPW_OK) {
        err = portfolio_args_double(args->threshold, "threshold", &config->threshold, detail);
    }
    if (err == TPW_OK) {
        err = portfolio_args_double(args->fee_bps, "fee-bps", &config->costs.fee_bps, detail);
    }
    if (err == TPW_OK) {
        err = portfolio_args_double(args->spread_bps, "spread-bps", &config->costs.spread_bps,
                                    detail);
    }
    if (err == TPW_OK) {
        err = portfolio_args_double(args->depth, "depth", &config->costs.depth, detail);
    }
    return err;
}

static size_t asset_index(const struct portfolio_backtest_config *assets, const char *symbol)
{
    for (size_t index = 0; index < assets->assets_count; index++) {
        if (strcmp(assets->assets[index].symbol, symbol) == 0) {
            return index;
        }
    }
    return SIZE_MAX;
}

/* depeg-usdc / depeg-ust: the stablecoin follows the recorded closes. */
static enum tpw_err replay_prepare(const struct simulate_args *args, struct simulate_run *run,
                                   bool usdc, struct tpw_error_detail *detail)
{
    struct portfolio_sim_scenario *scenario = &run->config.scenario;
    enum tpw_err err =
        portfolio_sim_depeg_load(usdc ? "usdc-2023-03" : "ust-2022-05", &run->depeg, detail);
    if (err != TPW_OK) {
        return err;
    }
    const char *coin = args->stablecoin != NULL ? args->stablecoin : usdc ? "USDC" : "UST";
    scenario->replay_asset = asset_index(&run->assets, coin);
    if (scenario->replay_asset == SIZE_MAX) {
        tpw_error_set_param(detail, "stablecoin");
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ASSET_NO_WEIGHT, 0,
                             "the depegging stablecoin '%.20s' has no weight (--stablecoin)", coin);
    }
    run->replay_closes = calloc(run->depeg.prices_count, sizeof(double));
    if (run->replay_closes == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    for (size_t index = 0; index < run->depeg.prices_count; index++) {
        run->replay_closes[index] = run->depeg.prices[index].close;
    }
    scenario->kind = PORTFOLIO_SIM_SCENARIO_REPLAY;
    scenario->replay_closes = run->replay_closes;
    scenario->length_steps = (unsigned)(run->depeg.prices_count - 1);
    return TPW_OK;
}

/* The named scenario's kind, window length and size; --at and --shock override. */
static enum tpw_err parse_scenario(const struct simulate_args *args, struct simulate_run *run,
                                   struct tpw_error_detail *detail)
{
    struct portfolio_sim_scenario *scenario = &run->config.scenario;
    const char *name = args->scenario;
    enum tpw_err err = TPW_OK;
    if (name == NULL) {
        return TPW_OK;
    }
    for (size_t index = 0; index < run->assets.assets_count; index++) {
        scenario->shocked_mask |= run->assets.assets[index].series != NULL ? 1u << index : 0u;
    }
    if (strcmp(name, "crash") == 0 || strcmp(name, "rally") == 0) {
        bool crash = name[0] == 'c';
        *scenario = (struct portfolio_sim_scenario){.kind = crash ? PORTFOLIO_SIM_SCENARIO_CRASH
                                                                  : PORTFOLIO_SIM_SCENARIO_RALLY,
                                                    .length_steps = crash ? 5 : 21,
                                                    .shock = crash ? -0.5 : 1.0,
                                                    .shocked_mask = scenario->shocked_mask};
    } else if (strcmp(name, "drought") == 0) {
        *scenario = (struct portfolio_sim_scenario){
            .kind = PORTFOLIO_SIM_SCENARIO_DROUGHT, .length_steps = 21, .cost_factor = 10.0};
    } else if (strcmp(name, "depeg-usdc") == 0 || strcmp(name, "depeg-ust") == 0) {
        err = replay_prepare(args, run, strcmp(name, "depeg-usdc") == 0, detail);
    } else {
        tpw_error_set_param(detail, "scenario");
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                             "unknown scenario '%.30s' (crash, rally, drought, depeg-usdc, "
                             "depeg-ust)",
                             name);
    }
    if (err == TPW_OK && args->shock != NULL) {
        err = portfolio_args_double(args->shock, "shock", &scenario->shock, detail);
    }
    uint64_t at = run->config.steps / 2 + 1;
    if (err == TPW_OK && args->at != NULL) {
        err = portfolio_args_count(args->at, "at", 1, PORTFOLIO_SIM_STEPS_MAX, &at, detail);
    }
    scenario->start_step = (unsigned)at;
    tpw_error_set_param(detail, "scenario");
    return err;
}

static enum tpw_err prepare(const struct simulate_args *args, struct simulate_run *run,
                            struct tpw_error_detail *detail)
{
    enum tpw_err err = portfolio_args_load(&args->assets, &run->assets, run->storage, detail);
    if (err == TPW_OK) {
        err = parse_counts(args, &run->config, detail);
    }
    if (err == TPW_OK) {
        err = estimate(run, detail);
    }
    if (err == TPW_OK) {
        err = parse_model(args, run, detail);
    }
    if (err == TPW_OK) {
        err = parse_policy(args, &run->config, detail);
    }
    if (err == TPW_OK) {
        err = parse_scenario(args, run, detail);
    }
    return err;
}

/* A bar on stderr, redrawn when the percentage moves. */
static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
    struct simulate_run *run = ctx;
    unsigned percent = (unsigned)(done * 100 / total);
    if (percent == run->progress_percent && done != total) {
        return;
    }
    run->progress_percent = percent;
    char bar[SIMULATE_PROGRESS_WIDTH + 1];
    unsigned filled = percent * SIMULATE_PROGRESS_WIDTH / 100;
    for (unsigned index = 0; index < SIMULATE_PROGRESS_WIDTH; index++) {
        bar[index] = index < filled ? '#' : '.';
    }
    bar[SIMULATE_PROGRESS_WIDTH] = '\0';
    (void)fprintf(stderr, "\r[%s] %3u%% of %llu paths%s", bar, percent, (unsigned long long)total,
                  done == total ? "\n" : "");
}

static const char *scenario_name(const struct simulate_args *args)
{
    return args->scenario != NULL ? args->scenario : "none";
}

static json_t *summary_json(const struct portfolio_sim_summary *summary)
{
    json_t *object = json_pack("{s:f,s:f,s:f}", "mean", summary->mean, "std_dev", summary->std_dev,
                               "std_error", summary->std_error);
    for (size_t index = 0; index < PORTFOLIO_SIM_PERCENTILES_COUNT && object != NULL; index++) {
        char key[8];
        (void)snprintf(key, sizeof(key), "p%u",
                       (unsigned)lround(portfolio_sim_percentiles[index] * 100.0));
        (void)json_object_set_new(object, key, json_real(summary->percentiles[index]));
    }
    return object;
}

static json_t *report_json(const struct simulate_args *args, const struct simulate_run *run,
                           const struct portfolio_sim_report *report)
{
    const struct portfolio_sim_config *config = &run->config;
    json_t *metrics = json_object();
    for (size_t metric = 0; metric < PORTFOLIO_SIM_METRICS_COUNT && metrics != NULL; metric++) {
        (void)json_object_set_new(metrics, portfolio_sim_metric_name(metric),
                                  summary_json(&report->metrics[metric]));
    }
    json_t *diversification =
        config->model == PORTFOLIO_SIM_BOOTSTRAP
            ? json_null()
            : json_real(portfolio_sim_diversification_return(&config->market, config->weight_e18));
    return json_pack(
        "{s:s,s:I,s:I,s:I,s:f,s:s,s:f,s:s,s:I,s:I,s:o,s:o}", "model",
        portfolio_sim_model_name(config->model), "paths", (json_int_t)config->paths, "steps",
        (json_int_t)config->steps, "steps_per_year", (json_int_t)config->steps_per_year, "years",
        report->years, "check", portfolio_check_name(config->check), "threshold", config->threshold,
        "scenario", scenario_name(args), "seed", (json_int_t)config->seed, "threads",
        (json_int_t)config->threads, "diversification_return", diversification, "metrics", metrics);
}

static void print_human(const struct simulate_args *args, const struct simulate_run *run,
                        const struct portfolio_sim_report *report)
{
    const struct portfolio_sim_config *config = &run->config;
    (void)printf("%s model, %llu paths x %u steps (%.4f years), scenario %s, seed %llu\n",
                 portfolio_sim_model_name(config->model), (unsigned long long)config->paths,
                 config->steps, report->years, scenario_name(args),
                 (unsigned long long)config->seed);
    (void)printf("%-19s %12s %12s %12s %12s %12s %12s\n", "metric", "mean", "p1", "p5", "p50",
                 "p95", "p99");
    for (size_t metric = 0; metric < PORTFOLIO_SIM_METRICS_COUNT; metric++) {
        const struct portfolio_sim_summary *s = &report->metrics[metric];
        (void)printf("%-19s %12.6f %12.6f %12.6f %12.6f %12.6f %12.6f\n",
                     portfolio_sim_metric_name(metric), s->mean, s->percentiles[0],
                     s->percentiles[1], s->percentiles[3], s->percentiles[5], s->percentiles[6]);
    }
}

static int run_and_print(struct cli *cli, const struct simulate_args *args,
                         struct simulate_run *run)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = prepare(args, run, &detail);
    struct portfolio_sim_report report = {0};
    if (err == TPW_OK) {
        if (isatty(STDERR_FILENO) != 0) {
            run->config.progress = show_progress;
            run->config.progress_ctx = run;
        }
        tpw_error_set_param(&detail, NULL); /* the library's refusals name no option */
        err = portfolio_sim_run(&run->config, false, &report, &detail);
    }
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    if (cli->json) {
        return cli_print_json_flags_take(cli, report_json(args, run, &report), SIMULATE_JSON_FLAGS);
    }
    print_human(args, run, &report);
    return 0;
}

int cmd_simulate(struct cli *cli, int argc, char **argv)
{
    struct simulate_args args = {.model = "gbm",
                                 .block = "21",
                                 .paths = "10000",
                                 .steps = "365",
                                 .steps_per_year = "365",
                                 .check = "monthly",
                                 .threshold = "0",
                                 .fee_bps = "0",
                                 .spread_bps = "0",
                                 .depth = "0",
                                 .seed = "1"};
    char *rest[SIMULATE_ARGS_MAX + 1];
    int rest_count = 0;
    const char *message = "too many arguments";
    if (argc > SIMULATE_ARGS_MAX ||
        !portfolio_args_take_prices(argc, argv, &args.assets, rest, &rest_count, &message)) {
        return cli_usage_error(cli, cmd_simulate_usage, message);
    }
    const struct cli_option options[] = {
        {"cash", &args.assets.cash, NULL},
        {"weights", &args.assets.weights, NULL},
        {"adj-close", NULL, &args.assets.adjusted},
        {"model", &args.model, NULL},
        {"dof", &args.dof, NULL},
        {"block", &args.block, NULL},
        {"paths", &args.paths, NULL},
        {"steps", &args.steps, NULL},
        {"steps-per-year", &args.steps_per_year, NULL},
        {"check", &args.check, NULL},
        {"threshold", &args.threshold, NULL},
        {"fee-bps", &args.fee_bps, NULL},
        {"spread-bps", &args.spread_bps, NULL},
        {"depth", &args.depth, NULL},
        {"scenario", &args.scenario, NULL},
        {"at", &args.at, NULL},
        {"shock", &args.shock, NULL},
        {"stablecoin", &args.stablecoin, NULL},
        {"seed", &args.seed, NULL},
        {"threads", &args.threads, NULL},
    };
    const struct cli_spec spec = {options, sizeof(options) / sizeof(options[0]), 0, 0,
                                  cmd_simulate_usage};
    struct cli_args parsed;
    int status = 0;
    if (!cli_command_args(cli, rest_count, rest, &spec, &parsed, &status)) {
        return status;
    }
    if (args.assets.prices_count == 0 || args.assets.weights == NULL) {
        return cli_usage_error(cli, cmd_simulate_usage, "--prices and --weights are required");
    }
    struct simulate_run *run = calloc(1, sizeof(*run));
    if (run == NULL) {
        return cli_fail(cli, TPW_ERR_NOMEM, NULL);
    }
    status = run_and_print(cli, &args, run);
    run_deinit(run);
    free(run);
    return status;
}
