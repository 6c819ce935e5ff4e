/*
 * `tpwallet vol ewma|garch FILE`: volatility of a return series (one number per line
 * after an optional header, as fGarch's dem2gbp is saved). EWMA is RiskMetrics'
 * recursion (--lambda, default 0.94); garch fits GARCH(1,1) by maximum likelihood.
 * Wiring only: the models live in the portfolio module (docs/portfolio.md).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

const char cmd_vol_usage[] =
    "usage: tpwallet vol ewma FILE [--lambda L] [--json]\n"
    "       tpwallet vol garch FILE [--json]\n"
    "FILE holds one return per line (an optional header line first). ewma prints the\n"
    "variance and volatility forecast for the period after the last return,\n"
    "s2_n = L*s2_(n-1) + (1-L)*u_(n-1)^2 seeded with the first squared return (L 0.94 by\n"
    "default, RiskMetrics' daily value). garch fits r = mu + e, h = omega + alpha*e^2 +\n"
    "beta*h by Gaussian maximum likelihood (fGarch's start-up) and prints the parameters,\n"
    "the log-likelihood and the next period's variance. Units are the file's.\n";

#define VOL_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

static int run_ewma(struct cli *cli, const double *r, size_t count, const char *lambda_text)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_error_set_param(&detail, "lambda");
    char *end = NULL;
    errno = 0;
    double lambda = strtod(lambda_text, &end);
    double variance = 0.0;
    enum tpw_err err = lambda_text[0] == '\0' || *end != '\0' || errno != 0
                           ? tpw_error_set(&detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                                           "--lambda '%.40s' is not a number", lambda_text)
                           : portfolio_ewma_variance(r, count, lambda, &variance, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    if (cli->json) {
        return cli_print_json_flags_take(
            cli,
            json_pack("{s:s,s:f,s:I,s:f,s:f}", "model", "ewma", "lambda", lambda, "returns",
                      (json_int_t)count, "variance", variance, "volatility", sqrt(variance)),
            VOL_JSON_FLAGS);
    }
    (void)printf("ewma lambda %.4f over %zu returns\nvariance    %.10g\nvolatility  %.10g\n",
                 lambda, count, variance, sqrt(variance));
    return 0;
}

static int run_garch(struct cli *cli, const double *r, size_t count)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct portfolio_garch fit;
    enum tpw_err err = portfolio_garch_fit(r, count, &fit, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    if (cli->json) {
        return cli_print_json_flags_take(
            cli,
            json_pack("{s:s,s:I,s:f,s:f,s:f,s:f,s:f,s:f}", "model", "garch", "returns",
                      (json_int_t)count, "mu", fit.mu, "omega", fit.omega, "alpha", fit.alpha,
                      "beta", fit.beta, "log_likelihood", fit.log_likelihood, "variance_next",
                      fit.variance_next),
            VOL_JSON_FLAGS);
    }
    (void)printf("garch(1,1) over %zu returns\nmu              %.8f\nomega           %.8f\n"
                 "alpha           %.8f\nbeta            %.8f\nlog_likelihood  %.4f\n"
                 "variance_next   %.8f\n",
                 count, fit.mu, fit.omega, fit.alpha, fit.beta, fit.log_likelihood,
                 fit.variance_next);
    return 0;
}

int cmd_vol(struct cli *cli, int argc, char **argv)
{
    const char *lambda = "0.94";
    const struct cli_option options[] = {{"lambda", &lambda, NULL}};
    const struct cli_spec spec = {options, 1, 2, 2, cmd_vol_usage};
    struct cli_args parsed;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &parsed, &status)) {
        return status;
    }
    const char *model = parsed.positional[0];
    bool ewma = strcmp(model, "ewma") == 0;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (!ewma && strcmp(model, "garch") != 0) {
        tpw_error_set_param(&detail, "model");
        return cli_fail(cli,
                        tpw_error_set(&detail, TPW_ERR_OPT_METHOD_UNKNOWN, 0,
                                      "unknown volatility model '%.40s' (ewma, garch)", model),
                        &detail);
    }
    double *returns = NULL;
    size_t count = 0;
    tpw_error_set_param(&detail, "file");
    enum tpw_err err = portfolio_column_load(parsed.positional[1], &returns, &count, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    status = ewma ? run_ewma(cli, returns, count, lambda) : run_garch(cli, returns, count);
    free(returns);
    return status;
}
