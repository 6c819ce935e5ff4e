/*
 * Standard normal and gamma variates for the simulator (internal to src/portfolio).
 *
 * The normal sampler is the ziggurat method of Marsaglia and Tsang (2000): 128 layers
 * of equal area under exp(−x²/2), one 64-bit draw per sample in about 99 % of cases
 * (the rest take the wedge test or the tail beyond r). The tables are computed once,
 * at first use, from the method's two constants, not copied from anywhere.
 */
#ifndef PORTFOLIO_NORMAL_H
#define PORTFOLIO_NORMAL_H

#include <stdint.h>

#include "tpwallet/prng.h"

#define NORMAL_LAYERS 128u

struct normal_tables {
    double x[NORMAL_LAYERS + 1]; /* layer edges: x[0] the base strip's width, x[1] = r */
    double ratio[NORMAL_LAYERS]; /* x[i+1] / x[i]: below it, a sample needs no test */
    double f[NORMAL_LAYERS + 1]; /* exp(−x[i]²/2) */
};

/* The tables, computed on the first call (thread-safe). */
const struct normal_tables *normal_tables_get(void);

/* A uniform double in [0, 1) from the top 53 bits of one draw. */
static inline double normal_uniform(struct tpw_prng *prng)
{
    return (double)(tpw_prng_next(prng) >> 11) * 0x1.0p-53;
}

double normal__slow(struct tpw_prng *prng, const struct normal_tables *tables, uint64_t bits);

/* One standard normal variate. */
static inline double normal_next(struct tpw_prng *prng, const struct normal_tables *tables)
{
    uint64_t bits = tpw_prng_next(prng);
    unsigned layer = (unsigned)(bits & (NORMAL_LAYERS - 1));
    double u = (double)(bits >> 11) * 0x1.0p-53;
    if (u < tables->ratio[layer]) {
        double z = u * tables->x[layer];
        return (bits & NORMAL_LAYERS) != 0 ? -z : z;
    }
    return normal__slow(prng, tables, bits);
}

/* A Gamma(shape, 1) variate, shape > 0 (Marsaglia and Tsang's squeeze method). */
double normal_gamma(struct tpw_prng *prng, const struct normal_tables *tables, double shape);

#endif /* PORTFOLIO_NORMAL_H */
