/*
 * Internals of the quant module, shared by its files only: the terms of the
 * Black-Scholes-Merton formula that the pricer and the implied-volatility solver both
 * evaluate, and the module's constants.
 */
#ifndef QUANT_INT_H
#define QUANT_INT_H

#include "tpwallet/quant.h"

/* 1/√2, for N(x) = erfc(−x/√2)/2 (M_SQRT1_2 is not in C17). */
#define QUANT_SQRT1_2 0.70710678118654752440

/* theta_per_day divides by calendar days (the reference data's convention). */
#define QUANT_DAYS_PER_YEAR 365.0

/*
 * Most solver steps: Newton converges in under 10 from the Manaster-Koehler start, and
 * a bisection that halves log(σ) then σ itself reaches 1 ulp of any σ in the bracket in
 * under 120, so hitting this bound means the iteration stalled, not that it needed more.
 */
#define QUANT_IV_ITERATIONS_MAX 200u

/* d1, d2 and the discounted spot and strike of one option at one volatility. */
struct quant__bsm_terms {
    double d1;
    double d2;
    double vol_sqrt_t;        /* σ√T */
    double spot_discounted;   /* S·e^−qT */
    double strike_discounted; /* K·e^−rT */
    double sign;              /* +1 call, −1 put */
};

/* Fills *out for `option` at `volatility` (> 0); the option was checked. */
void quant__bsm_terms(const struct quant_option *option, double volatility,
                      struct quant__bsm_terms *out /* out */);
double quant__bsm_value(const struct quant__bsm_terms *terms);
double quant__bsm_vega(const struct quant_option *option, const struct quant__bsm_terms *terms);

/* The implied-volatility solver's input checks: as quant_implied_volatility(). */
TPW_MUST_CHECK enum tpw_err quant__check_iv_inputs(const struct quant_option *option, double price);

#endif /* QUANT_INT_H */
