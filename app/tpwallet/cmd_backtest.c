/*
 * `tpwallet backtest`: the reference calendar/threshold rebalancing backtest over daily
 * price files. Wiring only: the loader, the calendar, the policy and the metrics live in
 * the portfolio module (docs/portfolio.md); this file parses the options, pairs each
 * weight with its prices, and prints the metrics (JSON numbers at 12 significant digits:
 * statistics, stable across builds, without binary noise like 0.10000000000000001).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "portfolio_args.h"
#include "tpwallet/api_json.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

const char cmd_backtest_usage[] =
    "usage: tpwallet backtest --prices SYM=FILE [SYM=FILE...] [--cash SYM] --weights SYM=W,...\n"
    "         [--check daily|weekly|monthly|quarterly|annual|never] [--threshold X]\n"
    "         [--cost-bps N] [--periods-per-year 252|365] [--adj-close]\n"
    "         [--targets fixed|inverse_vol|risk_parity] [--ewma-lambda L] [--json]\n"
    "Buys the target weights at the first date every file has, then at the last common\n"
    "date of each period (--check, default monthly) trades back to target when the\n"
    "largest weight drift is at least --threshold (default 0: always), paying --cost-bps\n"
    "(default 0) of the traded value. --cash names an asset worth 1 with no file. Weights\n"
    "are decimals summing to exactly 1. --prices may repeat; --periods-per-year (default\n"
    "365) annualises volatility, Sharpe and Sortino. --targets other than fixed moves the\n"
    "priced assets' targets at each check from an EWMA covariance (--ewma-lambda, default\n"
    "0.94): inverse volatility, or risk parity with the weights as risk budgets. See\n"
    "docs/portfolio.md.\n";

/* Arguments one backtest takes: 16 assets' files and the options leave room to spare. */
#define BACKTEST_ARGS_MAX 128

/* The JSON dump: doubles at 12 significant digits. */
#define BACKTEST_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

struct backtest_args {
    struct portfolio_args assets;
    const char *check;
    const char *threshold;
    const char *cost_bps;
    const char *periods;
    const char *targets;
    const char *ewma_lambda;
};

static enum tpw_err parse_scalars(const struct backtest_args *args,
                                  struct portfolio_backtest_config *config,
                                  struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, "check");
    enum tpw_err err = portfolio_check_parse(args->check, &config->check, detail);
    if (err == TPW_OK) {
        err = portfolio_args_double(args->threshold, "threshold", &config->threshold, detail);
    }
    if (err == TPW_OK) {
        err = portfolio_args_double(args->cost_bps, "cost-bps", &config->cost_bps, detail);
    }
    double periods = 0.0;
    if (err == TPW_OK) {
        err = portfolio_args_double(args->periods, "periods-per-year", &periods, detail);
    }
    if (err == TPW_OK && (periods != floor(periods) || periods < 1.0 || periods > 366.0)) {
        err = tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                            "--periods-per-year must be a whole number from 1 to 366");
    }
    config->periods_per_year = err == TPW_OK ? (unsigned)periods : 0;
    if (err == TPW_OK) {
        tpw_error_set_param(detail, "targets");
        err = portfolio_targets_parse(args->targets, &config->targets, detail);
    }
    if (err == TPW_OK && args->ewma_lambda != NULL) {
        err = portfolio_args_double(args->ewma_lambda, "ewma-lambda", &config->ewma_lambda, detail);
        if (err == TPW_OK && !(config->ewma_lambda > 0.0 && config->ewma_lambda < 1.0)) {
            err = tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                                "--ewma-lambda must be above 0 and below 1");
        }
    }
    return err;
}

static void print_human(const struct portfolio_backtest_config *config,
                        const struct portfolio_backtest_result *result)
{
    char first[PORTFOLIO_DATE_TEXT_SIZE];
    char last[PORTFOLIO_DATE_TEXT_SIZE];
    (void)printf("period             %s .. %s (%zu common dates, %.4f years)\n",
                 portfolio_day_text(result->first_day, first),
                 portfolio_day_text(result->last_day, last), result->days_count, result->years);
    (void)printf("cagr               %.6f\nvolatility         %.6f\nsharpe             %.6f\n"
                 "sortino            %.6f\nmax_drawdown       %.6f\nrebalances         %zu\n"
                 "turnover_per_year  %.6f\ncost_per_year      %.6f\nfinal_value        %.6f\n",
                 result->cagr, result->volatility, result->sharpe, result->sortino,
                 result->max_drawdown, result->rebalances_count, result->turnover_per_year,
                 result->cost_per_year, result->final_value);
    (void)printf("average_weights   ");
    for (size_t index = 0; index < config->assets_count; index++) {
        (void)printf(" %s=%.6f", config->assets[index].symbol, result->average_weights[index]);
    }
    (void)printf("\n");
}

static enum tpw_err prepare(const struct backtest_args *args,
                            struct portfolio_backtest_config *config,
                            struct portfolio_series storage[PORTFOLIO_ASSETS_MAX],
                            struct tpw_error_detail *detail)
{
    enum tpw_err err = portfolio_args_load(&args->assets, config, storage, detail);
    return err == TPW_OK ? parse_scalars(args, config, detail) : err;
}

int cmd_backtest(struct cli *cli, int argc, char **argv)
{
    struct backtest_args args = {.check = "monthly",
                                 .threshold = "0",
                                 .cost_bps = "0",
                                 .periods = "365",
                                 .targets = "fixed"};
    char *rest[BACKTEST_ARGS_MAX + 1];
    int rest_count = 0;
    const char *message = "too many arguments";
    if (argc > BACKTEST_ARGS_MAX ||
        !portfolio_args_take_prices(argc, argv, &args.assets, rest, &rest_count, &message)) {
        return cli_usage_error(cli, cmd_backtest_usage, message);
    }
    const struct cli_option options[] = {
        {"cash", &args.assets.cash, NULL},
        {"weights", &args.assets.weights, NULL},
        {"check", &args.check, NULL},
        {"threshold", &args.threshold, NULL},
        {"cost-bps", &args.cost_bps, NULL},
        {"periods-per-year", &args.periods, NULL},
        {"adj-close", NULL, &args.assets.adjusted},
        {"targets", &args.targets, NULL},
        {"ewma-lambda", &args.ewma_lambda, NULL},
    };
    const struct cli_spec spec = {options, sizeof(options) / sizeof(options[0]), 0, 0,
                                  cmd_backtest_usage};
    struct cli_args parsed;
    int status = 0;
    if (!cli_command_args(cli, rest_count, rest, &spec, &parsed, &status)) {
        return status;
    }
    if (args.assets.prices_count == 0 || args.assets.weights == NULL) {
        return cli_usage_error(cli, cmd_backtest_usage, "--prices and --weights are required");
    }
    struct portfolio_backtest_config config;
    memset(&config, 0, sizeof(config));
    struct portfolio_series storage[PORTFOLIO_ASSETS_MAX];
    memset(storage, 0, sizeof(storage));
    struct portfolio_backtest_result result;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = prepare(&args, &config, storage, &detail);
    if (err == TPW_OK) {
        tpw_error_set_param(&detail, "prices");
        err = portfolio_backtest_run(&config, &result, &detail);
        if (err == TPW_ERR_PORTFOLIO_WEIGHTS_SUM) {
            tpw_error_set_param(&detail, "weights");
        }
    }
    if (err != TPW_OK) {
        status = cli_fail(cli, err, &detail);
    } else if (cli->json) {
        status = cli_print_json_flags_take(cli, api_backtest_json(&config, &result),
                                           BACKTEST_JSON_FLAGS);
    } else {
        print_human(&config, &result);
    }
    for (size_t index = 0; index < PORTFOLIO_ASSETS_MAX; index++) {
        portfolio_series_deinit(&storage[index]);
    }
    return status;
}
