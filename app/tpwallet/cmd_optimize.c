/*
 * `tpwallet optimize`: weights for the assets of one price table (PyPortfolioOpt's
 * format: a date column and one column per asset) by mean-variance optimisation, HRP,
 * risk parity or inverse volatility. Wiring only: estimation and the solvers live in
 * the portfolio module (docs/portfolio.md). JSON numbers carry 12 significant digits,
 * like the backtest's: weights are statistics, not amounts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "portfolio_args.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

const char cmd_optimize_usage[] =
    "usage: tpwallet optimize FILE [--method METHOD] [--risk-free R] [--risk-aversion D]\n"
    "         [--gamma G] [--bounds LO,HI] [--current equal|W,W,...] [--cost-l1 C]\n"
    "         [--turnover-max T] [--periods-per-year N] [--json]\n"
    "FILE is a CSV of daily prices: a `date` column, then one column per asset (empty\n"
    "before an asset's listing). METHOD is min_volatility (the default), max_sharpe,\n"
    "quadratic_utility, hrp, risk_parity or inverse_vol. Expected returns are compounded\n"
    "and the covariance is the pairwise sample covariance, both annualised by\n"
    "--periods-per-year (default 252). --risk-free (default 0.02) is r_f for max_sharpe\n"
    "and the reported Sharpe ratio; --risk-aversion (default 1) is quadratic utility's\n"
    "delta; --gamma (default 0) adds gamma*|w|^2; --bounds (default 0,1) bounds every\n"
    "weight; --cost-l1 and --turnover-max are relative to --current weights.\n";

#define OPTIMIZE_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

enum method {
    METHOD_MIN_VOLATILITY = 0,
    METHOD_MAX_SHARPE,
    METHOD_QUADRATIC_UTILITY,
    METHOD_HRP,
    METHOD_RISK_PARITY,
    METHOD_INVERSE_VOL,
};

static const char *const method_names[] = {
    "min_volatility", "max_sharpe", "quadratic_utility", "hrp", "risk_parity", "inverse_vol"};

struct optimize_args {
    const char *method;
    const char *risk_free;
    const char *risk_aversion;
    const char *gamma;
    const char *bounds;
    const char *current;
    const char *cost_l1;
    const char *turnover_max;
    const char *periods;
};

/* Everything one run needs, kept off the stack (two 32 KiB matrices). */
struct optimize_run {
    struct portfolio_panel panel;
    struct portfolio_returns returns;
    struct portfolio_estimate annual;
    struct portfolio_estimate daily;
    double correlation[PORTFOLIO_OPT_ASSETS_MAX * PORTFOLIO_OPT_ASSETS_MAX];
    double current[PORTFOLIO_OPT_ASSETS_MAX];
    struct portfolio_mvo_config config;
    struct portfolio_mvo_result result;
    enum method method;
};

static enum tpw_err number(const char *text, const char *param, double *out,
                           struct tpw_error_detail *detail)
{
    return portfolio_args_number(text, param, TPW_ERR_OPT_INPUT_INVALID, out, detail);
}

/* "a,b" into two numbers. */
static enum tpw_err number_pair(const char *text, const char *param, double *low, double *high,
                                struct tpw_error_detail *detail)
{
    char first[64];
    const char *comma = strchr(text, ',');
    size_t len = comma != NULL ? (size_t)(comma - text) : 0;
    if (comma == NULL || len >= sizeof(first)) {
        tpw_error_set_param(detail, param);
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0, "--%s '%.40s' is not LO,HI",
                             param, text);
    }
    memcpy(first, text, len);
    first[len] = '\0';
    enum tpw_err err = number(first, param, low, detail);
    return err == TPW_OK ? number(comma + 1, param, high, detail) : err;
}

/* "equal" or one weight per asset, comma-separated, in the file's column order. */
static enum tpw_err parse_current(const char *text, size_t n, double *weights,
                                  struct tpw_error_detail *detail)
{
    if (strcmp(text, "equal") == 0) {
        for (size_t i = 0; i < n; i++) {
            weights[i] = 1.0 / (double)n;
        }
        return TPW_OK;
    }
    const char *item = text;
    for (size_t i = 0; i < n; i++) {
        const char *comma = strchr(item, ',');
        char buf[64];
        size_t len = comma != NULL ? (size_t)(comma - item) : strlen(item);
        bool last = i + 1 == n;
        if (len >= sizeof(buf) || (comma == NULL) != last) {
            tpw_error_set_param(detail, "current");
            return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                                 "--current needs 'equal' or %zu comma-separated weights", n);
        }
        memcpy(buf, item, len);
        buf[len] = '\0';
        enum tpw_err err = number(buf, "current", &weights[i], detail);
        if (err != TPW_OK) {
            return err;
        }
        item = comma != NULL ? comma + 1 : item;
    }
    return TPW_OK;
}

static enum tpw_err parse_method(const char *text, enum method *method,
                                 struct tpw_error_detail *detail)
{
    for (size_t k = 0; k < sizeof(method_names) / sizeof(method_names[0]); k++) {
        if (strcmp(text, method_names[k]) == 0) {
            *method = (enum method)k;
            return TPW_OK;
        }
    }
    tpw_error_set_param(detail, "method");
    return tpw_error_set(detail, TPW_ERR_OPT_METHOD_UNKNOWN, 0,
                         "unknown --method '%.40s' (min_volatility, max_sharpe, "
                         "quadratic_utility, hrp, risk_parity, inverse_vol)",
                         text);
}

/* The table, its returns, the annual and daily estimates and the correlation. */
static enum tpw_err estimate(const char *path, unsigned periods, struct optimize_run *run,
                             struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, "file");
    enum tpw_err err = portfolio_panel_load(path, &run->panel, detail);
    if (err == TPW_OK) {
        err = portfolio_returns_from_panel(&run->panel, &run->returns, detail);
    }
    if (err == TPW_OK) {
        err = portfolio_estimate_from_returns(&run->returns, periods, &run->annual, detail);
    }
    if (err == TPW_OK) {
        err = portfolio_estimate_from_returns(&run->returns, 1, &run->daily, detail);
    }
    if (err == TPW_OK) {
        err = portfolio_returns_correlation(&run->returns, run->correlation, detail);
    }
    return err;
}

static enum tpw_err configure(const struct optimize_args *args, struct optimize_run *run,
                              struct tpw_error_detail *detail)
{
    size_t n = run->annual.assets_count;
    struct portfolio_mvo_config *config = &run->config;
    *config = portfolio_mvo_config_default(n, run->annual.mean_return, run->annual.covariance);
    enum tpw_err err = number(args->risk_free, "risk-free", &config->risk_free_rate, detail);
    if (err == TPW_OK) {
        err = number(args->risk_aversion, "risk-aversion", &config->risk_aversion, detail);
    }
    if (err == TPW_OK) {
        err = number(args->gamma, "gamma", &config->l2_gamma, detail);
    }
    if (err == TPW_OK) {
        err = number_pair(args->bounds, "bounds", &config->weight_min, &config->weight_max, detail);
    }
    if (err == TPW_OK && args->current != NULL) {
        err = parse_current(args->current, n, run->current, detail);
        config->current_weights = run->current;
    }
    if (err == TPW_OK) {
        err = number(args->cost_l1, "cost-l1", &config->cost_l1, detail);
    }
    if (err == TPW_OK) {
        err = number(args->turnover_max, "turnover-max", &config->turnover_max, detail);
    }
    config->objective = run->method == METHOD_MAX_SHARPE          ? PORTFOLIO_MAX_SHARPE
                        : run->method == METHOD_QUADRATIC_UTILITY ? PORTFOLIO_QUADRATIC_UTILITY
                                                                  : PORTFOLIO_MIN_VOLATILITY;
    return err;
}

/* μᵀw, √(wᵀΣw) and the Sharpe ratio of weights that did not come from the QP. */
static void performance(struct optimize_run *run)
{
    size_t n = run->annual.assets_count;
    double mean = 0.0;
    double variance = 0.0;
    for (size_t i = 0; i < n; i++) {
        mean += run->annual.mean_return[i] * run->result.weights[i];
        for (size_t j = 0; j < n; j++) {
            variance +=
                run->result.weights[i] * run->annual.covariance[i * n + j] * run->result.weights[j];
        }
    }
    run->result.expected_return = mean;
    run->result.volatility = sqrt(variance);
    run->result.sharpe = (mean - run->config.risk_free_rate) / run->result.volatility;
}

static enum tpw_err optimize(struct optimize_run *run, struct tpw_error_detail *detail)
{
    size_t n = run->annual.assets_count;
    double *w = run->result.weights;
    double budgets[PORTFOLIO_OPT_ASSETS_MAX];
    enum tpw_err err = TPW_OK;
    tpw_error_set_param(detail, "method");
    switch (run->method) {
    case METHOD_HRP:
        err = portfolio_hrp(n, run->daily.covariance, run->correlation, w, detail);
        break;
    case METHOD_RISK_PARITY:
        for (size_t i = 0; i < n; i++) {
            budgets[i] = 1.0 / (double)n;
        }
        err = portfolio_risk_parity(n, run->annual.covariance, budgets, NULL, w, detail);
        break;
    case METHOD_INVERSE_VOL:
        err = portfolio_inverse_vol(n, run->annual.covariance, w, detail);
        break;
    default:
        return portfolio_mvo_solve(&run->config, &run->result, detail);
    }
    if (err == TPW_OK) {
        performance(run);
    }
    return err;
}

static json_t *result_json(const struct optimize_run *run)
{
    json_t *weights = json_object();
    for (size_t i = 0; i < run->panel.assets_count && weights != NULL; i++) {
        (void)json_object_set_new(weights, run->panel.symbols[i],
                                  json_real(run->result.weights[i]));
    }
    json_t *result =
        json_pack("{s:s,s:I,s:I,s:o,s:f,s:f,s:f,s:f}", "method", method_names[run->method],
                  "assets", (json_int_t)run->panel.assets_count, "returns",
                  (json_int_t)run->returns.rows_count, "weights", weights, "expected_return",
                  run->result.expected_return, "volatility", run->result.volatility, "sharpe",
                  run->result.sharpe, "risk_free", run->config.risk_free_rate);
    if (result != NULL && run->config.current_weights != NULL) {
        (void)json_object_set_new(result, "turnover", json_real(run->result.turnover));
    }
    return result;
}

static void print_human(const struct optimize_run *run)
{
    (void)printf("method           %s (%zu assets, %zu returns)\n", method_names[run->method],
                 run->panel.assets_count, run->returns.rows_count);
    (void)printf("expected_return  %.6f\nvolatility       %.6f\nsharpe           %.6f\n",
                 run->result.expected_return, run->result.volatility, run->result.sharpe);
    for (size_t i = 0; i < run->panel.assets_count; i++) {
        (void)printf("%-16s %.6f\n", run->panel.symbols[i], run->result.weights[i]);
    }
}

static enum tpw_err prepare_and_run(const struct optimize_args *args, const char *path,
                                    struct optimize_run *run, struct tpw_error_detail *detail)
{
    double periods = 0.0;
    enum tpw_err err = parse_method(args->method, &run->method, detail);
    if (err == TPW_OK) {
        err = number(args->periods, "periods-per-year", &periods, detail);
    }
    if (err == TPW_OK && (periods != floor(periods) || periods < 1.0 || periods > 366.0)) {
        err = tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                            "--periods-per-year must be a whole number from 1 to 366");
    }
    if (err == TPW_OK) {
        err = estimate(path, (unsigned)periods, run, detail);
    }
    if (err == TPW_OK) {
        err = configure(args, run, detail);
    }
    return err == TPW_OK ? optimize(run, detail) : err;
}

int cmd_optimize(struct cli *cli, int argc, char **argv)
{
    struct optimize_args args = {.method = "min_volatility",
                                 .risk_free = "0.02",
                                 .risk_aversion = "1",
                                 .gamma = "0",
                                 .bounds = "0,1",
                                 .cost_l1 = "0",
                                 .turnover_max = "0",
                                 .periods = "252"};
    const struct cli_option options[] = {
        {"method", &args.method, NULL},
        {"risk-free", &args.risk_free, NULL},
        {"risk-aversion", &args.risk_aversion, NULL},
        {"gamma", &args.gamma, NULL},
        {"bounds", &args.bounds, NULL},
        {"current", &args.current, NULL},
        {"cost-l1", &args.cost_l1, NULL},
        {"turnover-max", &args.turnover_max, NULL},
        {"periods-per-year", &args.periods, NULL},
    };
    const struct cli_spec spec = {options, sizeof(options) / sizeof(options[0]), 1, 1,
                                  cmd_optimize_usage};
    struct cli_args parsed;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &parsed, &status)) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct optimize_run *run = calloc(1, sizeof(*run));
    if (run == NULL) {
        return cli_fail(cli, tpw_error_set(&detail, TPW_ERR_NOMEM, 0, "out of memory"), &detail);
    }
    enum tpw_err err = prepare_and_run(&args, parsed.positional[0], run, &detail);
    if (err != TPW_OK) {
        status = cli_fail(cli, err, &detail);
    } else if (cli->json) {
        status = cli_print_json_flags_take(cli, result_json(run), OPTIMIZE_JSON_FLAGS);
    } else {
        print_human(run);
    }
    portfolio_returns_deinit(&run->returns);
    portfolio_panel_deinit(&run->panel);
    free(run);
    return status;
}
