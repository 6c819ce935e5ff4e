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
#include <string.h>

#include "tpwallet/prng.h"

#define NORMAL_LAYERS 128u
/* Generators run side by side by normal_lanes_fill: 16 doubles are four AVX2 vectors
 * (two AVX-512 ones), enough independent work to hide their latencies. */
#define NORMAL_LANES 16u

struct normal_tables {
    double x[NORMAL_LAYERS + 1]; /* layer edges: x[0] the base strip's width, x[1] = r */
    double ratio[NORMAL_LAYERS]; /* x[i+1] / x[i]: below it, a sample needs no test */
    double f[NORMAL_LAYERS + 1]; /* exp(−x[i]²/2) */
    /* The same test and product in the integers the lanes hold: the top 53 bits m of a
     * draw pass when m < accept[i] = ⌈ratio[i]·2^53⌉ (exactly u < ratio[i]), and
     * m·x_scaled[i] with x_scaled[i] = x[i]·2^−53 (exact) rounds the same real as
     * u·x[i], so the lanes give normal_next's bits. */
    uint64_t accept[NORMAL_LAYERS];
    double x_scaled[NORMAL_LAYERS];
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

/*
 * NORMAL_LANES xoshiro256** generators, word-major (s[word][lane]) so that one step of
 * all of them is a few vector operations. Lane j, seeded with tpw_prng_seed(seed_j),
 * yields exactly the normals normal_next would from that generator, in the same order.
 */
struct normal_lanes {
    uint64_t s[4][NORMAL_LANES];
};

/* Lane `lane` takes the state tpw_prng_seed(seed) gives. */
void normal_lanes_seed(struct normal_lanes *lanes, unsigned lane, uint64_t seed);

/* m < 2^53 as a double, exactly, with integer operations and one subtraction and one
 * addition: SSE2 and AVX2 have no 64-bit integer to double conversion for vectors, so
 * a cast would leave the loop scalar. m = h·2^32 + l; (2^84 + h·2^32) − (2^84 + 2^52)
 * is exact, and adding 2^52 + l gives m, which is representable. */
static inline double normal__u53_to_double(uint64_t m)
{
    uint64_t high_bits = (m >> 32) | UINT64_C(0x4530000000000000);
    uint64_t low_bits = (m & UINT64_C(0xFFFFFFFF)) | UINT64_C(0x4330000000000000);
    double high;
    double low;
    memcpy(&high, &high_bits, sizeof(high));
    memcpy(&low, &low_bits, sizeof(low));
    return (high - 0x1.00000001p84) + low;
}

/* Replaces the draws of the lanes that failed a fast test (failed[lane] is 1): each
 * starts again from its state in `before` and draws its normals from the first failed one
 * on one at a time. */
void normal__lanes_redo(struct normal_lanes *lanes, const struct normal_lanes *before,
                        const struct normal_tables *tables, size_t count, const uint64_t failed[],
                        double out[][NORMAL_LANES]);

/*
 * `count` standard normals per lane into out[k][lane], each lane's next ones in its
 * stream's order: a step of every generator and the ziggurat's fast test in loops the
 * compiler vectorizes (the table lookups become gathers), and one test at the end. The
 * ~1 % of draws outside a layer's rectangle need more numbers from their generator,
 * which shifts that lane's later draws, so a lane with one among its `count` draws them
 * again, one at a time, from its state before the call (for five normals, about one lane
 * in seventeen). One test per call rather than per draw: it goes either way at random,
 * so each costs a misprediction about as often as it is taken. The sign is the draw's
 * bit 7 put into the sign bit, as −z is.
 */
static inline void normal_lanes_fill(struct normal_lanes *lanes, const struct normal_tables *tables,
                                     size_t count, double out[][NORMAL_LANES])
{
    /* The state in locals, which alias nothing, so that the loops vectorize. */
    struct normal_lanes now = *lanes;
    uint64_t *s0 = now.s[0];
    uint64_t *s1 = now.s[1];
    uint64_t *s2 = now.s[2];
    uint64_t *s3 = now.s[3];
    uint64_t failed[NORMAL_LANES] = {0};
    for (size_t k = 0; k < count; k++) {
        uint64_t draws[NORMAL_LANES];
        for (unsigned lane = 0; lane < NORMAL_LANES; lane++) {
            /* tpw_prng_next, with ×5 and ×9 as shifts and adds (no 64-bit vector
             * multiply before AVX-512). */
            uint64_t product = (s1[lane] << 2) + s1[lane];
            uint64_t rotated = (product << 7) | (product >> 57);
            draws[lane] = (rotated << 3) + rotated;
            uint64_t t = s1[lane] << 17;
            s2[lane] ^= s0[lane];
            s3[lane] ^= s1[lane];
            s1[lane] ^= s2[lane];
            s0[lane] ^= s3[lane];
            s2[lane] ^= t;
            s3[lane] = (s3[lane] << 45) | (s3[lane] >> 19);
        }
        for (unsigned lane = 0; lane < NORMAL_LANES; lane++) {
            uint64_t bits = draws[lane];
            uint64_t layer = bits & (NORMAL_LAYERS - 1);
            uint64_t m = bits >> 11;
            double z = normal__u53_to_double(m) * tables->x_scaled[layer];
            uint64_t z_bits;
            memcpy(&z_bits, &z, sizeof(z_bits));
            z_bits ^= (bits & NORMAL_LAYERS) << 56;
            memcpy(&out[k][lane], &z_bits, sizeof(z_bits));
            failed[lane] |= m >= tables->accept[layer] ? 1u : 0u;
        }
    }
    uint64_t rejected = 0;
    for (unsigned lane = 0; lane < NORMAL_LANES; lane++) {
        rejected |= failed[lane];
    }
    if (rejected != 0) {
        normal__lanes_redo(&now, lanes, tables, count, failed, out);
    }
    *lanes = now;
}

/* A Gamma(shape, 1) variate, shape > 0 (Marsaglia and Tsang's squeeze method). */
double normal_gamma(struct tpw_prng *prng, const struct normal_tables *tables, double shape);

#endif /* PORTFOLIO_NORMAL_H */
