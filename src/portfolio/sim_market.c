/*
 * The simulator's market (simulate.h): checking the parameters, factoring the
 * covariance, estimating both from price history, and the closed-form
 * diversification return the simulation is tested against.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "join.h"
#include "portfolio_limits.h"
#include "sim_plan.h"
#include "tpw_assert.h"

#include "banned.h"

/* Relative size below which a pivot of the covariance counts as zero (a cash asset or
 * two perfectly correlated assets), and above which a negative one is refused. */
#define CHOLESKY_TOLERANCE 1e-12

static const char *const model_names[] = {"gbm", "t", "bootstrap"};

const char *portfolio_sim_model_name(enum portfolio_sim_model model)
{
    return (unsigned)model <= (unsigned)PORTFOLIO_SIM_BOOTSTRAP ? model_names[model] : "unknown";
}

enum tpw_err portfolio_sim_model_parse(const char *text, enum portfolio_sim_model *out,
                                       struct tpw_error_detail *detail)
{
    for (unsigned model = 0; model <= (unsigned)PORTFOLIO_SIM_BOOTSTRAP; model++) {
        if (strcmp(text, model_names[model]) == 0) {
            *out = (enum portfolio_sim_model)model;
            return TPW_OK;
        }
    }
    return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                         "unknown model '%s' (gbm, t or bootstrap)", text);
}

static enum tpw_err invalid(struct tpw_error_detail *detail, const char *message)
{
    return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0, "%s", message);
}

/*
 * L·Lᵀ = a (n × n, row-major, lower triangle read). A pivot within the tolerance of
 * zero makes a zero column, which is right only when the rest of that column is zero
 * too; a negative pivot or a non-zero remainder means `a` is not positive semi-definite.
 */
static bool cholesky(const double *a, size_t n, double *l)
{
    double scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        scale = a[i * n + i] > scale ? a[i * n + i] : scale;
    }
    double tolerance = CHOLESKY_TOLERANCE * (scale > 0.0 ? scale : 1.0);
    memset(l, 0, n * n * sizeof(double));
    for (size_t j = 0; j < n; j++) {
        double pivot = a[j * n + j];
        for (size_t k = 0; k < j; k++) {
            pivot -= l[j * n + k] * l[j * n + k];
        }
        if (!(pivot >= -tolerance)) {
            return false; /* also NaN */
        }
        double root = pivot > tolerance ? sqrt(pivot) : 0.0;
        l[j * n + j] = root;
        for (size_t i = j + 1; i < n; i++) {
            double rest = a[i * n + j];
            for (size_t k = 0; k < j; k++) {
                rest -= l[i * n + k] * l[j * n + k];
            }
            if (root == 0.0 && fabs(rest) > sqrt(tolerance) * sqrt(scale)) {
                return false;
            }
            l[i * n + j] = root > 0.0 ? rest / root : 0.0;
        }
    }
    return true;
}

static enum tpw_err check_covariance(const struct portfolio_sim_market *market,
                                     struct tpw_error_detail *detail)
{
    size_t n = market->assets_count;
    const double *cov = market->covariance_per_year;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(market->drift_per_year[i]) || fabs(market->drift_per_year[i]) > 100.0) {
            return invalid(detail, "a drift is not a finite number within ±100 per year");
        }
        for (size_t j = 0; j < n; j++) {
            double both = fabs(cov[i * n + j]) + fabs(cov[j * n + i]);
            if (!isfinite(cov[i * n + j]) || fabs(cov[i * n + j] - cov[j * n + i]) > 1e-12 * both) {
                return invalid(detail, "the covariance is not a finite symmetric matrix");
            }
        }
        if (cov[i * n + i] > 100.0) {
            return invalid(detail, "a variance is above 100 per year (volatility 1000 %)");
        }
    }
    return TPW_OK;
}

static enum tpw_err check_model(const struct portfolio_sim_config *config,
                                struct tpw_error_detail *detail)
{
    const struct portfolio_sim_market *market = &config->market;
    switch (config->model) {
    case PORTFOLIO_SIM_GBM:
        return check_covariance(market, detail);
    case PORTFOLIO_SIM_STUDENT_T:
        if (!(market->dof > 2.0 && market->dof <= 1e6)) {
            return invalid(detail,
                           "the t model needs degrees of freedom above 2 (finite variance)");
        }
        return check_covariance(market, detail);
    case PORTFOLIO_SIM_BOOTSTRAP:
        if (market->history == NULL || market->history_rows < 1 ||
            market->history_rows > PORTFOLIO_SIM_HISTORY_ROWS_MAX) {
            return invalid(detail, "the bootstrap needs 1 to 200000 rows of history");
        }
        if (market->block_steps < 1 || market->block_steps > market->history_rows) {
            return invalid(detail,
                           "the bootstrap block must be from 1 step to the history's length");
        }
        for (size_t cell = 0; cell < market->history_rows * market->assets_count; cell++) {
            if (!isfinite(market->history[cell]) || fabs(market->history[cell]) > 10.0) {
                return invalid(detail, "the history holds a log-return that is not finite or "
                                       "beyond ±10");
            }
        }
        return TPW_OK;
    }
    return invalid(detail, "unknown model");
}

static enum tpw_err check_weights(const struct portfolio_sim_config *config,
                                  struct tpw_error_detail *detail)
{
    size_t n = config->market.assets_count;
    if (n < 1 || n > PORTFOLIO_ASSETS_MAX) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_TOO_MANY_ASSETS, 0,
                             "%zu assets; from 1 to %d", n, PORTFOLIO_ASSETS_MAX);
    }
    uint64_t sum_e18 = 0;
    for (size_t asset = 0; asset < n; asset++) {
        if (config->weight_e18[asset] > PORTFOLIO_WEIGHT_ONE_E18) {
            return tpw_error_set(detail, TPW_ERR_PORTFOLIO_WEIGHT_INVALID, 0,
                                 "weight %zu is above 1", asset);
        }
        sum_e18 += config->weight_e18[asset]; /* ≤ 16 × 10^18 < 2^64 */
    }
    return portfolio_weights_sum_check(sum_e18, detail);
}

static enum tpw_err check_run(const struct portfolio_sim_config *config,
                              struct tpw_error_detail *detail)
{
    if (config->paths < 1 || config->paths > PORTFOLIO_SIM_PATHS_MAX) {
        return invalid(detail, "paths must be from 1 to 10000000");
    }
    if (config->steps < 1 || config->steps > PORTFOLIO_SIM_STEPS_MAX) {
        return invalid(detail, "steps must be from 1 to 100000");
    }
    if (config->steps_per_year < 1 || config->steps_per_year > PORTFOLIO_PERIODS_PER_YEAR_MAX) {
        return invalid(detail, "steps per year must be from 1 to 366");
    }
    if (config->threads < 1 || config->threads > PORTFOLIO_SIM_THREADS_MAX) {
        return invalid(detail, "threads must be from 1 to 64");
    }
    if (!(config->threshold >= 0.0 && config->threshold <= 1.0)) {
        return invalid(detail, "the threshold must be from 0 to 1");
    }
    if ((unsigned)config->check > (unsigned)PORTFOLIO_CHECK_NEVER) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_CHECK_UNKNOWN, 0, "unknown check");
    }
    const struct portfolio_sim_costs *costs = &config->costs;
    if (!(costs->fee_bps >= 0.0 && costs->fee_bps <= PORTFOLIO_COST_BPS_MAX) ||
        !(costs->spread_bps >= 0.0 && costs->spread_bps <= PORTFOLIO_COST_BPS_MAX)) {
        return invalid(detail, "fees and spreads must be from 0 to 1000 basis points");
    }
    if (!(costs->depth == 0.0 || (costs->depth >= 0.01 && costs->depth <= 1e12))) {
        return invalid(detail, "the depth must be 0 (unlimited) or from 0.01 to 10^12 "
                               "portfolio values");
    }
    return TPW_OK;
}

/* How far a draw can go: the largest |mean| + 14.2·Σₖ|Lᵢₖ| over the assets. With a
 * variance of at most 1 per step a row of L sums to at most √16 = 4, so a GBM draw stays
 * within the limit; the t model's scale is capped so that its draws do too. */
static void plan_bounds(struct sim_plan *plan)
{
    size_t n = plan->assets;
    double reach = 0.0;
    double mean_max = 0.0;
    for (size_t i = 0; i < n; i++) {
        double row = 0.0;
        for (size_t k = 0; k <= i; k++) {
            row += fabs(plan->factor[i * n + k]);
        }
        reach = row > reach ? row : reach;
        mean_max = fabs(plan->step_mean[i]) > mean_max ? fabs(plan->step_mean[i]) : mean_max;
    }
    double room = SIM_DRAW_LIMIT_PLAN - mean_max; /* > 250: |mean| ≤ 150 per step */
    TPW_ASSERT(SIM_NORMAL_ABS_MAX * reach <= room);
    plan->t_scale_max = reach > 0.0 ? room / (SIM_NORMAL_ABS_MAX * reach) : 1e300;
}

enum tpw_err sim_market_prepare(const struct portfolio_sim_config *config, struct sim_plan *plan,
                                struct tpw_error_detail *detail)
{
    enum tpw_err err = check_weights(config, detail);
    if (err == TPW_OK) {
        err = check_run(config, detail);
    }
    if (err == TPW_OK) {
        err = check_model(config, detail);
    }
    if (err != TPW_OK) {
        return err;
    }
    const struct portfolio_sim_market *market = &config->market;
    size_t n = market->assets_count;
    plan->config = config;
    plan->assets = n;
    plan->dt_years = 1.0 / (double)config->steps_per_year;
    double scaled[PORTFOLIO_ASSETS_MAX * PORTFOLIO_ASSETS_MAX];
    for (size_t i = 0; i < n; i++) {
        plan->targets[i] = (double)config->weight_e18[i] / (double)PORTFOLIO_WEIGHT_ONE_E18;
        double variance = market->covariance_per_year[i * n + i];
        plan->step_mean[i] = (market->drift_per_year[i] - 0.5 * variance) * plan->dt_years;
        for (size_t j = 0; j < n; j++) {
            scaled[i * n + j] = market->covariance_per_year[i * n + j] * plan->dt_years;
        }
    }
    for (size_t i = 0; i < n && config->model != PORTFOLIO_SIM_BOOTSTRAP; i++) {
        /* Beyond these a path's value leaves the doubles (e^±700) with real probability;
         * within them, every draw stays inside sim_exp's range (plan_bounds). */
        if (scaled[i * n + i] > SIM_STEP_VARIANCE_MAX ||
            scaled[i * n + i] * (double)config->steps > SIM_PATH_VARIANCE_MAX ||
            fabs(plan->step_mean[i]) * (double)config->steps > SIM_PATH_VARIANCE_MAX) {
            return invalid(detail, "a variance above 1 per step, or a variance or drift above "
                                   "100 over the path");
        }
    }
    if (config->model != PORTFOLIO_SIM_BOOTSTRAP && !cholesky(scaled, n, plan->factor)) {
        return invalid(detail, "the covariance is not positive semi-definite");
    }
    plan->t_scale = config->model == PORTFOLIO_SIM_STUDENT_T ? sqrt(market->dof - 2.0) : 0.0;
    plan_bounds(plan);
    plan->cost_rate = (config->costs.fee_bps + 0.5 * config->costs.spread_bps) / 10000.0;
    plan->slippage = config->costs.depth > 0.0 ? 0.5 / config->costs.depth : 0.0;
    return TPW_OK;
}

double portfolio_sim_diversification_return(const struct portfolio_sim_market *market,
                                            const uint64_t weight_e18[])
{
    size_t n = market->assets_count;
    double w[PORTFOLIO_ASSETS_MAX];
    for (size_t i = 0; i < n; i++) {
        w[i] = (double)weight_e18[i] / (double)PORTFOLIO_WEIGHT_ONE_E18;
    }
    double weighted_variances = 0.0;
    double portfolio_variance = 0.0;
    for (size_t i = 0; i < n; i++) {
        weighted_variances += w[i] * market->covariance_per_year[i * n + i];
        for (size_t j = 0; j < n; j++) {
            portfolio_variance += w[i] * w[j] * market->covariance_per_year[i * n + j];
        }
    }
    return 0.5 * (weighted_variances - portfolio_variance);
}

/* Mean and covariance of the joined rows' daily log-returns, annualised; the history
 * keeps the returns themselves. */
static void estimate_from_rows(const struct joined *joined, unsigned steps_per_year,
                               struct portfolio_sim_market *out, double *history)
{
    size_t n = joined->assets_count;
    size_t rows = joined->rows_count - 1;
    double mean[PORTFOLIO_ASSETS_MAX] = {0};
    for (size_t row = 0; row < rows; row++) {
        for (size_t asset = 0; asset < n; asset++) {
            double r = log(joined->closes[(row + 1) * n + asset] / joined->closes[row * n + asset]);
            history[row * n + asset] = r;
            mean[asset] += r;
        }
    }
    for (size_t asset = 0; asset < n; asset++) {
        mean[asset] /= (double)rows;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j <= i; j++) {
            double sum = 0.0;
            for (size_t row = 0; row < rows; row++) {
                sum += (history[row * n + i] - mean[i]) * (history[row * n + j] - mean[j]);
            }
            double annual = sum / (double)(rows - 1) * (double)steps_per_year;
            out->covariance_per_year[i * n + j] = annual;
            out->covariance_per_year[j * n + i] = annual;
        }
    }
    for (size_t asset = 0; asset < n; asset++) {
        /* The log drift is the history's; the arithmetic drift adds back ½σ². */
        out->drift_per_year[asset] = mean[asset] * (double)steps_per_year +
                                     0.5 * out->covariance_per_year[asset * n + asset];
    }
}

enum tpw_err portfolio_sim_market_estimate(const struct portfolio_series *const series[],
                                           size_t assets_count, unsigned steps_per_year,
                                           struct portfolio_sim_market *out, double **history,
                                           struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    *history = NULL;
    if (assets_count < 1 || assets_count > PORTFOLIO_ASSETS_MAX) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_TOO_MANY_ASSETS, 0,
                             "%zu assets; from 1 to %d", assets_count, PORTFOLIO_ASSETS_MAX);
    }
    if (steps_per_year < 1 || steps_per_year > PORTFOLIO_PERIODS_PER_YEAR_MAX) {
        return invalid(detail, "steps per year must be from 1 to 366");
    }
    struct joined joined;
    enum tpw_err err = join_series(series, assets_count, 3, &joined, detail);
    if (err != TPW_OK) {
        return err;
    }
    double *returns = calloc((joined.rows_count - 1) * assets_count, sizeof(double));
    if (returns == NULL) {
        joined_deinit(&joined);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    out->assets_count = assets_count;
    estimate_from_rows(&joined, steps_per_year, out, returns);
    out->history = returns;
    out->history_rows = joined.rows_count - 1;
    out->block_steps = 1;
    *history = returns;
    joined_deinit(&joined);
    return TPW_OK;
}
