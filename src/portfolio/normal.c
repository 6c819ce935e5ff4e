/*
 * The ziggurat normal sampler and the gamma sampler of normal.h.
 *
 * Layers: with f(x) = exp(−x²/2), the ziggurat covers the right half of the density
 * with 127 rectangles and a base strip, each of area v. From x[1] = r the edges follow
 * x[i+1] = f⁻¹(v/x[i] + f(x[i])); the base strip (the rectangle under f(r) out to
 * x[0] = v/f(r), which includes the tail beyond r) has the same area. r and v are the
 * published constants for 128 layers, for which the recursion ends at x[128] = 0.
 */
#include "normal.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>

#include "tpw_assert.h"

#include "banned.h"

#define ZIGGURAT_R 3.442619855899
#define ZIGGURAT_V 9.91256303526217e-3

static struct normal_tables tables_storage;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static double density(double x)
{
    return exp(-0.5 * x * x);
}

static void tables_compute(void)
{
    struct normal_tables *t = &tables_storage;
    t->x[0] = ZIGGURAT_V / density(ZIGGURAT_R);
    t->x[1] = ZIGGURAT_R;
    for (unsigned layer = 1; layer < NORMAL_LAYERS - 1; layer++) {
        double edge = ZIGGURAT_V / t->x[layer] + density(t->x[layer]);
        t->x[layer + 1] = sqrt(-2.0 * log(edge));
    }
    t->x[NORMAL_LAYERS] = 0.0;
    for (unsigned layer = 0; layer <= NORMAL_LAYERS; layer++) {
        t->f[layer] = density(t->x[layer]);
    }
    for (unsigned layer = 0; layer < NORMAL_LAYERS; layer++) {
        t->ratio[layer] = t->x[layer + 1] / t->x[layer];
        /* ratio·2^53 and x·2^−53 are exact (powers of two), and ratio < 1. */
        t->accept[layer] = (uint64_t)ceil(t->ratio[layer] * 0x1.0p53);
        t->x_scaled[layer] = t->x[layer] * 0x1.0p-53;
    }
    /* The recursion must close: the top layer's edge is near zero, not NaN. */
    TPW_ASSERT(t->x[NORMAL_LAYERS - 1] > 0.0 && t->x[NORMAL_LAYERS - 1] < 0.3);
}

const struct normal_tables *normal_tables_get(void)
{
    int rc = pthread_once(&tables_once, tables_compute);
    TPW_ASSERT(rc == 0);
    return &tables_storage;
}

/* The tail beyond r (Marsaglia, 1964): exact, rarely more than one try. */
static double tail(struct tpw_prng *prng)
{
    for (;;) {
        double a = -log(1.0 - normal_uniform(prng)) / ZIGGURAT_R;
        double b = -log(1.0 - normal_uniform(prng));
        if (b + b >= a * a) {
            return ZIGGURAT_R + a;
        }
    }
}

/* The ~1 % of draws outside a layer's inner rectangle: the wedge test or the tail.
 * Each retry takes a fresh draw; the expected number of draws is about 1.01. */
double normal__slow(struct tpw_prng *prng, const struct normal_tables *tables, uint64_t bits)
{
    for (;;) {
        unsigned layer = (unsigned)(bits & (NORMAL_LAYERS - 1));
        double u = (double)(bits >> 11) * 0x1.0p-53;
        double z = u * tables->x[layer];
        bool negative = (bits & NORMAL_LAYERS) != 0;
        if (u < tables->ratio[layer]) {
            return negative ? -z : z;
        }
        if (layer == 0) {
            double x = tail(prng);
            return negative ? -x : x;
        }
        double y =
            tables->f[layer] + normal_uniform(prng) * (tables->f[layer + 1] - tables->f[layer]);
        if (y < density(z)) {
            return negative ? -z : z;
        }
        bits = tpw_prng_next(prng);
    }
}

void normal_lanes_seed(struct normal_lanes *lanes, unsigned lane, uint64_t seed)
{
    TPW_ASSERT(lane < NORMAL_LANES);
    struct tpw_prng prng;
    tpw_prng_seed(&prng, seed);
    for (unsigned word = 0; word < 4; word++) {
        lanes->s[word][lane] = prng.state[word];
    }
}

void normal__lanes_redo(struct normal_lanes *lanes, const struct normal_lanes *before,
                        const struct normal_tables *tables, size_t count, const uint64_t failed[],
                        double out[][NORMAL_LANES])
{
    /* The failed lanes as a mask walked by its lowest bit: a branch per failed lane, not
     * one per lane (about one lane of 16 fails, so those would mostly mispredict). */
    unsigned mask = 0;
    for (unsigned lane = 0; lane < NORMAL_LANES; lane++) {
        mask |= (unsigned)failed[lane] << lane;
    }
    while (mask != 0) {
        unsigned lane = (unsigned)__builtin_ctz(mask);
        mask &= mask - 1;
        struct tpw_prng prng;
        for (unsigned word = 0; word < 4; word++) {
            prng.state[word] = before->s[word][lane];
        }
        /* The draws before the first failure passed, and out holds their normals: only
         * the generator steps past them; from the failure on, draw one at a time. */
        size_t k = 0;
        for (; k < count; k++) {
            uint64_t bits = tpw_prng_next(&prng);
            if (bits >> 11 >= tables->accept[bits & (NORMAL_LAYERS - 1)]) {
                out[k][lane] = normal__slow(&prng, tables, bits);
                break;
            }
        }
        for (k++; k < count; k++) {
            out[k][lane] = normal_next(&prng, tables);
        }
        for (unsigned word = 0; word < 4; word++) {
            lanes->s[word][lane] = prng.state[word];
        }
    }
}

double normal_gamma(struct tpw_prng *prng, const struct normal_tables *tables, double shape)
{
    TPW_ASSERT(shape > 0.0);
    if (shape < 1.0) {
        /* Gamma(a) = Gamma(a + 1) · U^(1/a). */
        double u = normal_uniform(prng);
        return normal_gamma(prng, tables, shape + 1.0) * pow(1.0 - u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0;
    double c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double z = normal_next(prng, tables);
        double v = 1.0 + c * z;
        if (v <= 0.0) {
            continue;
        }
        v = v * v * v;
        double u = 1.0 - normal_uniform(prng); /* (0, 1]: log is finite */
        if (log(u) < 0.5 * z * z + d - d * v + d * log(v)) {
            return d * v;
        }
    }
}
