/*
 * xoshiro256** (Blackman and Vigna, 2018), seeded by expanding a 64-bit seed with
 * splitmix64 as its authors recommend. Fast, small state, and good enough for test
 * generation and the random bits of identifiers; not a cryptographic generator. The
 * step itself (tpw_prng_next) is inline in the header.
 */
#include "tpwallet/prng.h"

#include <sys/random.h>

#include "tpw_assert.h"

#include "banned.h"

static uint64_t splitmix64_next(uint64_t *state)
{
    *state += UINT64_C(0x9E3779B97F4A7C15);
    uint64_t z = *state;
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void tpw_prng_seed(struct tpw_prng *prng, uint64_t seed)
{
    uint64_t sm = seed;
    for (size_t index = 0; index < 4; index++) {
        prng->state[index] = splitmix64_next(&sm);
    }
    /* splitmix64 never yields four zero words, which xoshiro could not leave. */
    TPW_ASSERT((prng->state[0] | prng->state[1] | prng->state[2] | prng->state[3]) != 0);
}

enum tpw_err tpw_prng_seed_os(struct tpw_prng *prng)
{
    uint64_t seed = 0;
    ssize_t got = getrandom(&seed, sizeof(seed), 0);
    if (got != (ssize_t)sizeof(seed)) {
        return TPW_ERR_IO;
    }
    tpw_prng_seed(prng, seed);
    return TPW_OK;
}

uint64_t tpw_prng_below(struct tpw_prng *prng, uint64_t bound)
{
    TPW_ASSERT(bound > 0);
    /* Reject the top partial block of 2^64 so every residue is equally likely. */
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t value = tpw_prng_next(prng);
        if (value >= threshold) {
            return value % bound;
        }
    }
}
