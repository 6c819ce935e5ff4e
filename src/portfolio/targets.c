/*
 * Volatility-adjusted targets (targets.h): the EWMA covariance of the priced assets'
 * daily simple returns, and inverse-volatility or risk-budget weights from it, using
 * the optimiser module's solvers (riskparity.c) so that the backtest and
 * `tpwallet optimize` compute the same weights from the same matrix.
 */
#include "targets.h"

#include <string.h>

#include "tpw_assert.h"

#include "banned.h"

static const char *const targets_names[] = {"fixed", "inverse_vol", "risk_parity"};

const char *portfolio_targets_name(enum portfolio_targets targets)
{
    return (unsigned)targets <= (unsigned)PORTFOLIO_TARGETS_RISK_PARITY ? targets_names[targets]
                                                                        : "unknown";
}

enum tpw_err portfolio_targets_parse(const char *text, enum portfolio_targets *out,
                                     struct tpw_error_detail *detail)
{
    for (unsigned kind = 0; kind <= (unsigned)PORTFOLIO_TARGETS_RISK_PARITY; kind++) {
        if (strcmp(text, targets_names[kind]) == 0) {
            *out = (enum portfolio_targets)kind;
            return TPW_OK;
        }
    }
    return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                         "unknown targets '%.30s' (fixed, inverse_vol or risk_parity)", text);
}

void vol_targets_init(struct vol_targets *targets, const struct portfolio_backtest_config *config)
{
    memset(targets, 0, sizeof(*targets));
    targets->kind = config->targets;
    targets->lambda = config->ewma_lambda > 0.0 ? config->ewma_lambda : PORTFOLIO_EWMA_LAMBDA_DAILY;
    targets->assets = config->assets_count;
    for (size_t asset = 0; asset < config->assets_count; asset++) {
        if (config->assets[asset].series != NULL) {
            double weight =
                (double)config->assets[asset].weight_e18 / (double)PORTFOLIO_WEIGHT_ONE_E18;
            targets->risky[targets->risky_count] = asset;
            targets->budgets[targets->risky_count++] = weight;
            targets->risky_weight += weight;
        }
    }
    for (size_t index = 0; index < targets->risky_count && targets->risky_weight > 0.0; index++) {
        targets->budgets[index] /= targets->risky_weight;
    }
}

void vol_targets_observe(struct vol_targets *targets, const double *previous_closes,
                         const double *closes)
{
    if (targets->kind == PORTFOLIO_TARGETS_FIXED) {
        return;
    }
    size_t n = targets->risky_count;
    double returns[PORTFOLIO_ASSETS_MAX];
    for (size_t index = 0; index < n; index++) {
        size_t asset = targets->risky[index];
        returns[index] = closes[asset] / previous_closes[asset] - 1.0;
    }
    /* The first return seeds the estimate (as portfolio_ewma_variance seeds σ²_1 = u_0²). */
    double keep = targets->returns_seen == 0 ? 0.0 : targets->lambda;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            targets->covariance[i * n + j] =
                keep * targets->covariance[i * n + j] + (1.0 - keep) * returns[i] * returns[j];
        }
    }
    targets->returns_seen++;
}

bool vol_targets_update(const struct vol_targets *targets, double weights[])
{
    size_t n = targets->risky_count;
    if (targets->kind == PORTFOLIO_TARGETS_FIXED || n == 0 || targets->risky_weight <= 0.0 ||
        targets->returns_seen < PORTFOLIO_TARGETS_WARMUP_RETURNS) {
        return false;
    }
    double risky[PORTFOLIO_ASSETS_MAX];
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err =
        targets->kind == PORTFOLIO_TARGETS_INVERSE_VOL
            ? portfolio_inverse_vol(n, targets->covariance, risky, &detail)
            : portfolio_risk_parity(n, targets->covariance, targets->budgets, NULL, risky, &detail);
    if (err != TPW_OK) {
        return false;
    }
    for (size_t index = 0; index < n; index++) {
        TPW_ASSERT(risky[index] >= 0.0);
        weights[targets->risky[index]] = risky[index] * targets->risky_weight;
    }
    return true;
}
