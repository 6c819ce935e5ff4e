/*
 * e^x for the simulator's inner loop (internal to src/portfolio).
 *
 * The simulator takes one exponential per asset per step — 126 million in the
 * benchmark's run — and libm's exp was 41 % of its time: a call per value, and a
 * general routine. This one is inline and branch-free so that the compiler can run the
 * assets of a step side by side: x = k·ln 2 + f with |f| ≤ ½ ln 2, e^f by its Taylor
 * series to the f¹³ term (Estrin's scheme) (truncation below 2e-16 relative), times 2^k built from
 * its bits. Relative error within 1e-15 of libm's over the whole clamped range (tested in
 * test_portfolio_normal). |x| must be at most SIM_EXP_LIMIT, so that 2^k stays a normal
 * double: callers keep their arguments within it (a log-return beyond ±700 is not a market); a
 * branch here would keep the compiler from vectorizing the loops that call it.
 */
#ifndef PORTFOLIO_SIM_EXP_H
#define PORTFOLIO_SIM_EXP_H

#include <stdint.h>
#include <string.h>

#define SIM_EXP_LIMIT 700.0

static inline double sim_exp(double x)
{
    /* Adding 1.5·2^52 rounds to the nearest integer in the current (nearest) mode and
     * leaves k in the low bits of the sum, so 2^k is built with integer adds and shifts
     * alone (no double-to-integer conversion, which SSE2 and AVX2 lack for vectors). */
    const double shifter = 0x1.8p52;
    const uint64_t shifter_bits = UINT64_C(0x4338000000000000);
    double t = x * 0x1.71547652b82fep0 + shifter;
    double k = t - shifter; /* round(x / ln 2) */
    /* ln 2 in two parts: k·hi is exact for |k| < 2^11, so f keeps its low bits. */
    double f = (x - k * 0x1.62e42fee00000p-1) - k * 0x1.a39ef35793c76p-33;
    /* Σ fⁿ/n! for n ≤ 13 by Estrin's scheme: pairs, then pairs of pairs, so the
     * longest chain of dependent operations is 4 multiply-adds, not Horner's 13. */
    double f2 = f * f;
    double f4 = f2 * f2;
    double f8 = f4 * f4;
    double a0 = 1.0 + f;
    double a1 = 0.5 + f * (1.0 / 6.0);
    double a2 = 1.0 / 24.0 + f * (1.0 / 120.0);
    double a3 = 1.0 / 720.0 + f * (1.0 / 5040.0);
    double a4 = 1.0 / 40320.0 + f * (1.0 / 362880.0);
    double a5 = 1.0 / 3628800.0 + f * (1.0 / 39916800.0);
    double a6 = 1.0 / 479001600.0 + f * (1.0 / 6227020800.0);
    double b0 = a0 + f2 * a1;
    double b1 = a2 + f2 * a3;
    double b2 = a4 + f2 * a5;
    double c0 = b0 + f4 * b1;
    double c1 = b2 + f4 * a6;
    double p = c0 + f8 * c1;
    uint64_t t_bits;
    memcpy(&t_bits, &t, sizeof(t_bits));
    uint64_t bits = (t_bits - shifter_bits + 1023u) << 52; /* k + 1023 ≥ 13: no wrap */
    double scale;
    memcpy(&scale, &bits, sizeof(scale));
    return p * scale;
}

#endif /* PORTFOLIO_SIM_EXP_H */
