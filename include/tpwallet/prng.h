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

uint64_t tpw_prng_next(struct tpw_prng *prng);

/* Uniform in [0, bound) without modulo bias; bound must be > 0. */
uint64_t tpw_prng_below(struct tpw_prng *prng, uint64_t bound);

#endif /* TPWALLET_PRNG_H */
