/*
 * Seeded pseudo-random numbers (xoshiro256**, seeded through splitmix64).
 *
 * Not for secrets. Used where randomness must be reproducible from a seed: tests,
 * the simulator, and the random part of identifiers (seeded from the OS by default).
 */
#ifndef TPWALLET_PRNG_H
#define TPWALLET_PRNG_H

#include <stdint.h>

#include "tpwallet/error.h"

struct tpw_prng {
    uint64_t state[4];
};

/* Deterministic: the same seed gives the same sequence on every machine. */
void tpw_prng_seed(struct tpw_prng *prng, uint64_t seed);

/* Seeds from getrandom(2). Errors: TPW_ERR_IO when the OS cannot provide entropy. */
TPW_MUST_CHECK enum tpw_err tpw_prng_seed_os(struct tpw_prng *prng);

/* The next 64 random bits. Inline: the simulator draws hundreds of millions of them,
 * and a call per draw cost it 7 % of its time (bench/RESULTS.md). */
static inline uint64_t tpw_prng_next(struct tpw_prng *prng)
{
    uint64_t *s = prng->state;
    uint64_t product = s[1] * 5;
    uint64_t result = ((product << 7) | (product >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, bound) without modulo bias; bound must be > 0. */
uint64_t tpw_prng_below(struct tpw_prng *prng, uint64_t bound);

#endif /* TPWALLET_PRNG_H */
