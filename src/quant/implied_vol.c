/*
 * Implied volatility: the σ at which the generalized Black-Scholes-Merton value equals
 * a quoted price.
 *
 * Why this shape: the value is strictly increasing in σ between the no-arbitrage
 * bounds, so the solver keeps a bracket [lo, hi] with value(lo) < price < value(hi)
 * and only ever shrinks it. A Newton step is taken when it lands strictly inside the
 * bracket (fast where vega is large); otherwise the step bisects — in log σ while the
 * bracket spans more than a factor of 4, since σ ranges over eleven decades, then in σ.
 * Prices outside the bounds, or outside what the bracket's ends give, have no
 * volatility and say so with TPW_ERR_QUANT_NO_VOLATILITY rather than a clamped guess.
 */
#include <float.h>
#include <math.h>

#include "quant_int.h"
#include "tpw_assert.h"

#include "banned.h"

/* Value minus the target at σ, and vega there. */
struct probe {
    double error;
    double vega;
};

static struct probe probe_at(const struct quant_option *option, double volatility, double price)
{
    struct quant__bsm_terms terms;
    quant__bsm_terms(option, volatility, &terms);
    return (struct probe){quant__bsm_value(&terms) - price, quant__bsm_vega(option, &terms)};
}

/*
 * Manaster-Koehler's start √(2|ln(F/K)|/T), from which Newton converges monotonically
 * for the undiscounted value; at the money (0) a typical market volatility instead.
 */
static double start_volatility(const struct quant_option *option, double lo, double hi)
{
    double log_moneyness =
        log(option->spot / option->strike) + (option->rate - option->yield) * option->time_years;
    double start = sqrt(2.0 * fabs(log_moneyness) / option->time_years);
    if (!(start > lo && start < hi)) {
        start = 0.3;
    }
    return start > lo && start < hi ? start : sqrt(lo * hi);
}

static double bisect(double lo, double hi)
{
    return hi > 4.0 * lo ? sqrt(lo * hi) : lo + 0.5 * (hi - lo);
}

/* TPW_ERR_QUANT_NO_VOLATILITY unless lower < price < upper (the no-arbitrage bounds). */
static enum tpw_err check_bounds(const struct quant_option *option, double price)
{
    double spot_discounted = option->spot * exp(-option->yield * option->time_years);
    double strike_discounted = option->strike * exp(-option->rate * option->time_years);
    double forward_value = option->type == QUANT_CALL ? spot_discounted - strike_discounted
                                                      : strike_discounted - spot_discounted;
    double lower = forward_value > 0.0 ? forward_value : 0.0;
    double upper = option->type == QUANT_CALL ? spot_discounted : strike_discounted;
    return price > lower && price < upper ? TPW_OK : TPW_ERR_QUANT_NO_VOLATILITY;
}

enum tpw_err quant_implied_volatility(const struct quant_option *option, double price,
                                      struct quant_iv_result *out)
{
    enum tpw_err err = quant__check_iv_inputs(option, price);
    if (err == TPW_OK) {
        err = check_bounds(option, price);
    }
    if (err != TPW_OK) {
        return err;
    }
    double lo = QUANT_VOLATILITY_MIN;
    double hi = QUANT_VOLATILITY_MAX;
    if (probe_at(option, lo, price).error > 0.0 || probe_at(option, hi, price).error < 0.0) {
        return TPW_ERR_QUANT_NO_VOLATILITY;
    }
    struct quant_iv_result result = {.volatility = start_volatility(option, lo, hi)};
    while (result.iterations < QUANT_IV_ITERATIONS_MAX) {
        result.iterations++;
        double volatility = result.volatility;
        struct probe probe = probe_at(option, volatility, price);
        if (probe.error == 0.0) {
            break;
        }
        if (probe.error < 0.0) {
            lo = volatility;
        } else {
            hi = volatility;
        }
        double newton = volatility - probe.error / probe.vega;
        bool inside = probe.vega > 0.0 && newton > lo && newton < hi;
        result.volatility = inside ? newton : bisect(lo, hi);
        result.newton_steps += inside ? 1u : 0u;
        if (fabs(result.volatility - volatility) <= 2.0 * DBL_EPSILON * volatility ||
            hi - lo <= 2.0 * DBL_EPSILON * hi) {
            break;
        }
    }
    TPW_ASSERT(result.volatility >= QUANT_VOLATILITY_MIN);
    TPW_ASSERT(result.volatility <= QUANT_VOLATILITY_MAX);
    result.price_error = probe_at(option, result.volatility, price).error;
    *out = result;
    return TPW_OK;
}
