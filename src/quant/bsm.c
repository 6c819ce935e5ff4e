/*
 * Generalized Black-Scholes-Merton: European option values, greeks, and the implied
 * volatility solver.
 *
 * Why doubles: these are model estimates checked against published values to 4
 * decimals, not amounts (docs/quant.md). Why erfc: N(x) = erfc(−x/√2)/2 keeps full
 * relative precision in the far tails, where 1 − N(−x) would cancel to zero, and a deep
 * out-of-the-money price (or its vega) is exactly such a tail. Why a bracket under
 * Newton: the price is increasing in σ, so a bracket that always holds the root makes
 * the solver converge from any start, and Newton steps make it fast where vega is large.
 */
#include <math.h>

#include "quant_int.h"
#include "tpw_assert.h"

#include "banned.h"

const char *quant_option_type_name(enum quant_option_type type)
{
    switch (type) {
    case QUANT_CALL:
        return "call";
    case QUANT_PUT:
        return "put";
    }
    return "unknown";
}

double quant_norm_pdf(double x)
{
    /* 1/√(2π). */
    return 0.3989422804014326779399461 * exp(-0.5 * x * x);
}

double quant_norm_cdf(double x)
{
    return 0.5 * erfc(-x * QUANT_SQRT1_2);
}

static bool positive(double value)
{
    return isfinite(value) && value > 0.0;
}

/* The checks every entry point shares (the volatility is checked by the callers). */
static enum tpw_err check_market(const struct quant_option *option)
{
    if (option->type != QUANT_CALL && option->type != QUANT_PUT) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    if (!positive(option->spot) || !positive(option->strike) || !positive(option->time_years) ||
        option->time_years > QUANT_TIME_YEARS_MAX || !isfinite(option->rate) ||
        !isfinite(option->yield) || fabs(option->rate) > QUANT_RATE_ABS_MAX ||
        fabs(option->yield) > QUANT_RATE_ABS_MAX) {
        return TPW_ERR_QUANT_INPUT_INVALID;
    }
    return TPW_OK;
}

void quant__bsm_terms(const struct quant_option *option, double volatility,
                      struct quant__bsm_terms *out)
{
    TPW_ASSERT(volatility > 0.0);
    double sqrt_t = sqrt(option->time_years);
    out->vol_sqrt_t = volatility * sqrt_t;
    out->d1 =
        (log(option->spot / option->strike) +
         (option->rate - option->yield + 0.5 * volatility * volatility) * option->time_years) /
        out->vol_sqrt_t;
    out->d2 = out->d1 - out->vol_sqrt_t;
    out->spot_discounted = option->spot * exp(-option->yield * option->time_years);
    out->strike_discounted = option->strike * exp(-option->rate * option->time_years);
    out->sign = option->type == QUANT_CALL ? 1.0 : -1.0;
}

double quant__bsm_value(const struct quant__bsm_terms *terms)
{
    /* Call: S·e^−qT·N(d1) − K·e^−rT·N(d2); put: the same with every sign flipped. */
    double s = terms->sign;
    return s * (terms->spot_discounted * quant_norm_cdf(s * terms->d1) -
                terms->strike_discounted * quant_norm_cdf(s * terms->d2));
}

double quant__bsm_vega(const struct quant_option *option, const struct quant__bsm_terms *terms)
{
    return terms->spot_discounted * quant_norm_pdf(terms->d1) * sqrt(option->time_years);
}

static bool greeks_finite(const struct quant_greeks *greeks)
{
    return isfinite(greeks->price) && isfinite(greeks->delta) && isfinite(greeks->gamma) &&
           isfinite(greeks->vega) && isfinite(greeks->theta_per_year) && isfinite(greeks->rho) &&
           isfinite(greeks->dividend_rho);
}

enum tpw_err quant_option_greeks(const struct quant_option *option, struct quant_greeks *out)
{
    enum tpw_err err = check_market(option);
    if (err != TPW_OK) {
        return err;
    }
    if (!positive(option->volatility) || option->volatility > QUANT_VOLATILITY_MAX) {
        return TPW_ERR_QUANT_INPUT_INVALID;
    }
    struct quant__bsm_terms terms;
    quant__bsm_terms(option, option->volatility, &terms);
    double s = terms.sign;
    double t = option->time_years;
    double n_d1 = quant_norm_cdf(s * terms.d1); /* N(d1) for a call, N(−d1) for a put */
    double n_d2 = quant_norm_cdf(s * terms.d2);
    double density = quant_norm_pdf(terms.d1);
    struct quant_greeks greeks;
    greeks.price = quant__bsm_value(&terms);
    greeks.delta = s * terms.spot_discounted / option->spot * n_d1;
    greeks.gamma =
        terms.spot_discounted / option->spot * density / (option->spot * terms.vol_sqrt_t);
    greeks.vega = quant__bsm_vega(option, &terms);
    greeks.theta_per_year =
        -terms.spot_discounted * density * option->volatility / (2.0 * sqrt(t)) -
        s * option->rate * terms.strike_discounted * n_d2 +
        s * option->yield * terms.spot_discounted * n_d1;
    greeks.theta_per_day = greeks.theta_per_year / QUANT_DAYS_PER_YEAR;
    greeks.rho = s * t * terms.strike_discounted * n_d2;
    greeks.dividend_rho = -s * t * terms.spot_discounted * n_d1;
    if (!greeks_finite(&greeks)) {
        return TPW_ERR_QUANT_INPUT_INVALID;
    }
    *out = greeks;
    return TPW_OK;
}

enum tpw_err quant_option_price(const struct quant_option *option, double *price)
{
    struct quant_greeks greeks;
    enum tpw_err err = quant_option_greeks(option, &greeks);
    if (err == TPW_OK) {
        *price = greeks.price;
    }
    return err;
}

enum tpw_err quant__check_iv_inputs(const struct quant_option *option, double price)
{
    enum tpw_err err = check_market(option);
    if (err == TPW_OK && !positive(price)) {
        err = TPW_ERR_QUANT_INPUT_INVALID;
    }
    return err;
}
