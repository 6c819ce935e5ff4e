/*
 * bench_money: speed of the money core (money_muldiv per rounding mode and operand class,
 * decimal parse/format, conversion, fees), each timed beside a GMP (mpz) equivalent that
 * does the same exact work on the same inputs in the same run. The machine is shared and
 * noisy, so only the ratio ours/GMP within one run is meaningful, never absolute numbers
 * across runs. Inputs come from a fixed seed and are precomputed; every timed loop does
 * only the operation and feeds a sink. Where both sides compute the same value the sinks
 * must agree, so the benchmark doubles as a cross-check against GMP (exit status 1 if not).
 *
 * Usage: bench_money [--quick] [--iterations N]
 */
#include <errno.h>
#include <gmp.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "tpwallet/clock.h"
#include "tpwallet/money.h"
#include "tpwallet/prng.h"
#include "tpwallet/u128.h"

#include "banned.h"

_Static_assert(GMP_NUMB_BITS == 64, "bench_money assumes 64-bit GMP limbs");

#define BENCH_SEED UINT64_C(0x7470776d6f6e6579) /* "tpwmoney" */
#define SET_SIZE 1024u                          /* inputs per set, cycled by the loops */
#define SET_MASK (SET_SIZE - 1u)
#define DEFAULT_ITERATIONS UINT64_C(300000) /* operations per timed loop */
#define QUICK_ITERATIONS UINT64_C(64)
#define ITERATIONS_MAX UINT64_C(10000000000)
#define DEFAULT_ROUNDS 3u /* best of; ours and GMP alternate */
#define FEE_SCHEDULES 4u
#define JOBS_MAX 24u
#define TEXT_SIZE MONEY_DECIMAL_TEXT_SIZE

/* ---------------------------------------------------------------------------------------
 * Inputs
 * --------------------------------------------------------------------------------------- */

struct muldiv_set {
    const char *label;
    tpw_u128 a[SET_SIZE], b[SET_SIZE], d[SET_SIZE];
    mpz_t za[SET_SIZE], zb[SET_SIZE], zd[SET_SIZE];
};

struct decimal_set {
    unsigned exponent;
    tpw_u128 value[SET_SIZE];
    mpz_t zvalue[SET_SIZE];
    char text[SET_SIZE][TEXT_SIZE]; /* "1234.56": what money_decimal_parse reads */
    size_t text_len[SET_SIZE];
    char digits[SET_SIZE][TEXT_SIZE]; /* "123456": the same digits for mpz_set_str */
};

struct convert_set {
    const char *label;
    const struct money_asset *from, *to;
    enum money_quote_side side;
    tpw_u128 amount[SET_SIZE];
    struct money_rate rate[SET_SIZE];
    mpz_t zamount[SET_SIZE], zrate[SET_SIZE];
    mpz_t zpow10; /* divisor (TO_PER_FROM) or multiplier (FROM_PER_TO) */
};

struct fee_set {
    struct money_fee_schedule schedule[FEE_SCHEDULES];
    mpz_t zfixed[FEE_SCHEDULES], zmin[FEE_SCHEDULES], zmax[FEE_SCHEDULES];
    tpw_u128 amount[SET_SIZE];
    mpz_t zamount[SET_SIZE];
};

/* GMP scratch, sized once so the timed loops never reallocate. */
struct gmp_scratch {
    mpz_t p, q, r, t;
};

static struct muldiv_set g_muldiv[3];
static struct decimal_set g_decimal[2];
static struct convert_set g_convert[2];
static struct fee_set g_fee;
static struct gmp_scratch g_gmp;

/* Fallback assets when the built-in registry is not usable (still being written). */
static const struct money_asset g_fallback_assets[4] = {
    {"EUR", 2, true, 978, MONEY_ASSET_ISO4217, "Euro", MONEY_CLASS_FIAT},
    {"JPY", 0, true, 392, MONEY_ASSET_ISO4217, "Yen", MONEY_CLASS_FIAT},
    {"USD", 2, true, 840, MONEY_ASSET_ISO4217, "US Dollar", MONEY_CLASS_FIAT},
    {"ETH", 18, true, 0, MONEY_ASSET_CONFIGURED, "Ether", MONEY_CLASS_CRYPTO},
};

/* ---------------------------------------------------------------------------------------
 * Jobs: one table row = one operation timed on our side and on GMP's
 * --------------------------------------------------------------------------------------- */

struct outcome {
    tpw_u128 sink;
    uint64_t errors;
};

struct job;
typedef struct outcome (*run_fn)(const struct job *job, uint64_t iterations);

struct job {
    char name[48];
    run_fn ours;
    run_fn gmp;
    const void *data;
    enum money_rounding rounding;
    bool comparable; /* both sides compute the same values: sinks must agree */
};

struct measurement {
    uint64_t ours_ns, gmp_ns;
    struct outcome ours, gmp;
};

struct options {
    uint64_t iterations;
    unsigned rounds;
};

/* ---------------------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------------------------- */

static tpw_u128 rand_u128(struct tpw_prng *prng)
{
    uint64_t hi = tpw_prng_next(prng);
    return TPW_U128(hi, tpw_prng_next(prng));
}

/* A random value of exactly `bits` significant bits, 1..128. */
static tpw_u128 rand_bits(struct tpw_prng *prng, unsigned bits)
{
    tpw_u128 v = rand_u128(prng);
    if (bits < 128) {
        v &= ((tpw_u128)1 << bits) - 1;
    }
    return v | ((tpw_u128)1 << (bits - 1));
}

/* Uniform in [lo, hi]. */
static unsigned rand_range(struct tpw_prng *prng, unsigned lo, unsigned hi)
{
    return lo + (unsigned)tpw_prng_below(prng, (uint64_t)(hi - lo) + 1);
}

static void u128_to_mpz(mpz_ptr z, tpw_u128 v)
{
    mpz_set_ui(z, (unsigned long)(uint64_t)(v >> 64));
    mpz_mul_2exp(z, z, 64);
    mpz_add_ui(z, z, (unsigned long)(uint64_t)v);
}

static void u128_to_new_mpz(mpz_ptr z, tpw_u128 v)
{
    mpz_init2(z, 128);
    u128_to_mpz(z, v);
}

/* The low 128 bits of |z|; callers check the size first. */
static tpw_u128 u128_from_mpz(mpz_srcptr z)
{
    return TPW_U128(mpz_getlimbn(z, 1), mpz_getlimbn(z, 0));
}

static void mpz_clear_n(mpz_t *z, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mpz_clear(z[i]);
    }
}

/* Decimal digits of `v` into `buf` (at least TPW_U128_DEC_SIZE bytes); returns length. */
static size_t u128_digits(tpw_u128 v, char *buf)
{
    char rev[TPW_U128_DEC_SIZE];
    size_t n = 0;
    do {
        rev[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0);
    for (size_t i = 0; i < n; i++) {
        buf[i] = rev[n - 1 - i];
    }
    buf[n] = '\0';
    return n;
}

/* "0.05"-style text at `exponent` and the same digits without the point ("005"). */
static size_t make_decimal(tpw_u128 v, unsigned exponent, char *text, char *digits)
{
    char raw[TPW_U128_DEC_SIZE];
    size_t n = u128_digits(v, raw);
    size_t width = n > exponent ? n : (size_t)exponent + 1;
    size_t pad = width - n;
    memset(digits, '0', pad);
    memcpy(digits + pad, raw, n + 1);
    size_t int_len = width - exponent;
    memcpy(text, digits, int_len);
    if (exponent == 0) {
        text[int_len] = '\0';
        return int_len;
    }
    text[int_len] = '.';
    memcpy(text + int_len + 1, digits + int_len, (size_t)exponent + 1);
    return width + 1;
}

static void print_u128_hex(tpw_u128 v)
{
    printf("0x%016" PRIx64 "%016" PRIx64, (uint64_t)(v >> 64), (uint64_t)v);
}

/* ---------------------------------------------------------------------------------------
 * GMP side: the same rounding decisions as money_muldiv, on mpz values
 * --------------------------------------------------------------------------------------- */

/* q = round(g_gmp.p / d); returns false on division by zero or a quotient ≥ 2^128. */
static bool gmp_divround(mpz_srcptr d, enum money_rounding rounding, tpw_u128 *out)
{
    if (mpz_sgn(d) == 0) {
        return false;
    }
    mpz_tdiv_qr(g_gmp.q, g_gmp.r, g_gmp.p, d);
    int cmp = 0;
    switch (rounding) {
    case MONEY_ROUND_DOWN:
        break;
    case MONEY_ROUND_UP:
        if (mpz_sgn(g_gmp.r) != 0) {
            mpz_add_ui(g_gmp.q, g_gmp.q, 1);
        }
        break;
    case MONEY_ROUND_HALF_UP:
        mpz_mul_2exp(g_gmp.t, g_gmp.r, 1);
        if (mpz_cmp(g_gmp.t, d) >= 0) {
            mpz_add_ui(g_gmp.q, g_gmp.q, 1);
        }
        break;
    case MONEY_ROUND_HALF_EVEN:
        mpz_mul_2exp(g_gmp.t, g_gmp.r, 1);
        cmp = mpz_cmp(g_gmp.t, d);
        if (cmp > 0 || (cmp == 0 && mpz_odd_p(g_gmp.q))) {
            mpz_add_ui(g_gmp.q, g_gmp.q, 1);
        }
        break;
    default:
        return false;
    }
    if (mpz_sizeinbase(g_gmp.q, 2) > 128) {
        return false;
    }
    *out = u128_from_mpz(g_gmp.q);
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Timed loops
 * --------------------------------------------------------------------------------------- */

static struct outcome muldiv_ours(const struct job *job, uint64_t iterations)
{
    const struct muldiv_set *set = job->data;
    struct outcome o = {0, 0};
    for (uint64_t i = 0; i < iterations; i++) {
        size_t k = (size_t)(i & SET_MASK);
        tpw_u128 q = 0;
        if (money_muldiv(set->a[k], set->b[k], set->d[k], job->rounding, &q) != TPW_OK) {
            o.errors++;
            continue;
        }
        o.sink += q;
    }
    return o;
}

static struct outcome muldiv_gmp(const struct job *job, uint64_t iterations)
{
    const struct muldiv_set *set = job->data;
    struct outcome o = {0, 0};
    for (uint64_t i = 0; i < iterations; i++) {
        size_t k = (size_t)(i & SET_MASK);
        tpw_u128 q = 0;
        mpz_mul(g_gmp.p, set->za[k], set->zb[k]);
        if (!gmp_divround(set->zd[k], job->rounding, &q)) {
            o.errors++;
            continue;
        }
        o.sink += q;
    }
    return o;
}

static struct outcome parse_ours(const struct job *job, uint64_t iterations)
{
    const struct decimal_set *set = job->data;
    struct outcome o = {0, 0};
    struct tpw_error_detail detail;
    memset(&detail, 0, sizeof detail);
    for (uint64_t i = 0; i < iterations; i++) {
        size_t k = (size_t)(i & SET_MASK);
        tpw_u128 v = 0;
        if (money_decimal_parse(set->text[k], set->text_len[k], set->exponent, &v, &detail) !=
            TPW_OK) {
            o.errors++;
            continue;
        }
        o.sink += v;
    }
    return o;
}

static struct outcome parse_gmp(const struct job *job, uint64_t iterations)
{
    const struct decimal_set *set = job->data;
    struct outcome o = {0, 0};
    for (uint64_t i = 0; i < iterations; i++) {
        size_t k = (size_t)(i & SET_MASK);
        if (mpz_set_str(g_gmp.q, set->digits[k], 10) != 0 || mpz_sizeinbase(g_gmp.q, 2) > 128) {
            o.errors++;
            continue;
        }
        o.sink += u128_from_mpz(g_gmp.q);
    }
    return o;
}

static struct outcome format_ours(const struct job *job, uint64_t iterations)
{
    const struct decimal_set *set = job->data;
    struct outcome o = {0, 0};
    char buf[TEXT_SIZE];
    for (uint64_t i = 0; i < iterations; i++) {
        size_t k = (size_t)(i & SET_MASK);
        size_t n = money_decimal_format(set->value[k], set->exponent, buf, sizeof buf);
        if (n == 0) {
            o.errors++;
            continue;
        }
        o.sink += n + (unsigned char)buf[n - 1];
    }
    return o;
}

static struct outcome format_gmp(const struct job *job, uint64_t iterations)
{
    const struct decimal_set *set = job->data;
    struct outcome o = {0, 0};
    char buf[TEXT_SIZE];
    for (uint64_t i = 0; i < iterations; i++) {
        size_t k = (size_t)(i & SET_MASK);
        mpz_get_str(buf, 10, set->zvalue[k]);
        size_t n = strlen(buf);
        o.sink += n + (unsigned char)buf[n - 1];
    }
    return o;
}

static struct outcome convert_ours(const struct job *job, uint64_t iterations)
{
    const struct convert_set *set = job->data;
    struct outcome o = {0, 0};
    for (uint64_t i = 0; i < iterations; i++) {
        size_t k = (size_t)(i & SET_MASK);
        tpw_u128 out = 0;
        if (money_convert(set->amount[k], set->from, set->to, set->rate[k], set->side,
                          job->rounding, &out) != TPW_OK) {
            o.errors++;
            continue;
        }
        o.sink += out;
    }
    return o;
}

static struct outcome convert_gmp(const struct job *job, uint64_t iterations)
{
    const struct convert_set *set = job->data;
    struct outcome o = {0, 0};
    for (uint64_t i = 0; i < iterations; i++) {
        size_t k = (size_t)(i & SET_MASK);
        tpw_u128 out = 0;
        mpz_srcptr divisor = set->zrate[k];
        if (set->side == MONEY_RATE_TO_PER_FROM) {
            if (mpz_sgn(set->zrate[k]) == 0) {
                o.errors++;
                continue;
            }
            mpz_mul(g_gmp.p, set->zamount[k], set->zrate[k]);
            divisor = set->zpow10;
        } else {
            mpz_mul(g_gmp.p, set->zamount[k], set->zpow10);
        }
        if (!gmp_divround(divisor, job->rounding, &out)) {
            o.errors++;
            continue;
        }
        o.sink += out;
    }
    return o;
}

static struct outcome fee_ours(const struct job *job, uint64_t iterations)
{
    const struct fee_set *set = job->data;
    struct outcome o = {0, 0};
    struct tpw_error_detail detail;
    memset(&detail, 0, sizeof detail);
    for (uint64_t i = 0; i < iterations; i++) {
        size_t k = (size_t)(i & SET_MASK);
        tpw_u128 fee = 0;
        if (money_fee_compute(&set->schedule[k % FEE_SCHEDULES], set->amount[k], &fee, &detail) !=
            TPW_OK) {
            o.errors++;
            continue;
        }
        o.sink += fee;
    }
    return o;
}

static struct outcome fee_gmp(const struct job *job, uint64_t iterations)
{
    const struct fee_set *set = job->data;
    struct outcome o = {0, 0};
    for (uint64_t i = 0; i < iterations; i++) {
        size_t k = (size_t)(i & SET_MASK);
        size_t s = k % FEE_SCHEDULES;
        const struct money_fee_schedule *schedule = &set->schedule[s];
        if (schedule->proportional_bps > MONEY_BPS_ONE ||
            schedule->min_minor > schedule->max_minor) {
            o.errors++;
            continue;
        }
        mpz_mul_ui(g_gmp.p, set->zamount[k], schedule->proportional_bps);
        mpz_cdiv_q_ui(g_gmp.q, g_gmp.p, MONEY_BPS_ONE);
        mpz_add(g_gmp.q, g_gmp.q, set->zfixed[s]);
        if (mpz_cmp(g_gmp.q, set->zmin[s]) < 0) {
            mpz_set(g_gmp.q, set->zmin[s]);
        }
        if (mpz_cmp(g_gmp.q, set->zmax[s]) > 0) {
            mpz_set(g_gmp.q, set->zmax[s]);
        }
        if (mpz_sizeinbase(g_gmp.q, 2) > 128) {
            o.errors++;
            continue;
        }
        o.sink += u128_from_mpz(g_gmp.q);
    }
    return o;
}

/* ---------------------------------------------------------------------------------------
 * Input generation (untimed)
 * --------------------------------------------------------------------------------------- */

/*
 * small: a, b, d < 2^64 (product ≤ 128 bits).
 * mixed: one factor 65..100 bits, the other < 2^64, divisor 37..64 bits (256/64 division).
 * full:  a is a full 128-bit value, divisor 65..128 bits (≥ 2^64, the Knuth path) and
 *        b < divisor, so the quotient always fits in 128 bits.
 */
static void fill_muldiv(struct muldiv_set *set, unsigned cls, struct tpw_prng *prng)
{
    static const char *const labels[3] = {"small", "mixed", "full"};
    set->label = labels[cls];
    for (size_t k = 0; k < SET_SIZE; k++) {
        tpw_u128 a, b, d;
        if (cls == 0) {
            a = rand_bits(prng, rand_range(prng, 1, 64));
            b = rand_bits(prng, rand_range(prng, 1, 64));
            d = rand_bits(prng, rand_range(prng, 1, 64));
        } else if (cls == 1) {
            a = rand_bits(prng, rand_range(prng, 65, 100));
            b = rand_bits(prng, rand_range(prng, 1, 64));
            d = rand_bits(prng, rand_range(prng, 37, 64));
            if ((tpw_prng_next(prng) & 1u) != 0) {
                tpw_u128 swap = a;
                a = b;
                b = swap;
            }
        } else {
            d = rand_bits(prng, rand_range(prng, 65, 128));
            b = rand_u128(prng) % d;
            b = b == 0 ? 1 : b;
            a = rand_bits(prng, 128);
        }
        set->a[k] = a;
        set->b[k] = b;
        set->d[k] = d;
        u128_to_new_mpz(set->za[k], a);
        u128_to_new_mpz(set->zb[k], b);
        u128_to_new_mpz(set->zd[k], d);
    }
}

/* Exponent 2: up to 2^50 minor units; exponent 18: up to 2^100 (≈ 10^12 ETH in wei). */
static void fill_decimal(struct decimal_set *set, unsigned exponent, struct tpw_prng *prng)
{
    unsigned max_bits = exponent <= 2 ? 50 : 100;
    set->exponent = exponent;
    for (size_t k = 0; k < SET_SIZE; k++) {
        tpw_u128 v = rand_bits(prng, rand_range(prng, 1, max_bits));
        set->value[k] = v;
        u128_to_new_mpz(set->zvalue[k], v);
        set->text_len[k] = make_decimal(v, exponent, set->text[k], set->digits[k]);
    }
}

static tpw_u128 pow10_u128(unsigned exponent)
{
    tpw_u128 v = 1;
    for (unsigned i = 0; i < exponent; i++) {
        v *= 10u;
    }
    return v;
}

/*
 * EUR(2)→JPY(0), TO_PER_FROM at 150.0000..199.9999 JPY per EUR: amount × rate / 10^20.
 * USD(2)→ETH(18), FROM_PER_TO at 1500.00..4499.99 USD per ETH: amount × 10^34 / rate,
 * whose divisor (rate × 10^18 ≈ 2^71) is ≥ 2^64. Amounts: up to 2^40 cents.
 */
static void fill_convert(struct convert_set *set, bool to_eth, const struct money_asset *from,
                         const struct money_asset *to, struct tpw_prng *prng)
{
    set->label = to_eth ? "USD(2)->ETH(18)" : "EUR(2)->JPY(0)";
    set->from = from;
    set->to = to;
    set->side = to_eth ? MONEY_RATE_FROM_PER_TO : MONEY_RATE_TO_PER_FROM;
    unsigned pow =
        to_eth ? 18u + to->exponent - from->exponent : 18u + from->exponent - to->exponent;
    mpz_init(set->zpow10);
    mpz_ui_pow_ui(set->zpow10, 10, pow);
    for (size_t k = 0; k < SET_SIZE; k++) {
        tpw_u128 rate = to_eth ? (150000u + tpw_prng_below(prng, 300000)) * pow10_u128(16)
                               : (1500000u + tpw_prng_below(prng, 500000)) * pow10_u128(14);
        set->amount[k] = rand_bits(prng, rand_range(prng, 1, 40));
        set->rate[k].value_e18 = rate;
        u128_to_new_mpz(set->zamount[k], set->amount[k]);
        u128_to_new_mpz(set->zrate[k], rate);
    }
}

static void fill_fee(struct fee_set *set, struct tpw_prng *prng)
{
    static const struct {
        uint64_t fixed;
        uint32_t bps;
        uint64_t min, max; /* 0 max means "no maximum" */
    } plans[FEE_SCHEDULES] = {
        {25, 150, 50, 0}, {0, 290, 0, 500000}, {30, 0, 0, 0}, {100, 75, 200, 100000}};
    for (size_t s = 0; s < FEE_SCHEDULES; s++) {
        struct money_fee_schedule *schedule = &set->schedule[s];
        schedule->fixed_minor = plans[s].fixed;
        schedule->proportional_bps = plans[s].bps;
        schedule->min_minor = plans[s].min;
        schedule->max_minor = plans[s].max == 0 ? TPW_U128_MAX : plans[s].max;
        u128_to_new_mpz(set->zfixed[s], schedule->fixed_minor);
        u128_to_new_mpz(set->zmin[s], schedule->min_minor);
        u128_to_new_mpz(set->zmax[s], schedule->max_minor);
    }
    for (size_t k = 0; k < SET_SIZE; k++) {
        set->amount[k] = rand_bits(prng, rand_range(prng, 1, 44));
        u128_to_new_mpz(set->zamount[k], set->amount[k]);
    }
}

/* ---------------------------------------------------------------------------------------
 * Setup and teardown
 * --------------------------------------------------------------------------------------- */

static const struct money_asset *find_asset(const money_registry *registry, const char *code,
                                            size_t fallback)
{
    const struct money_asset *asset = NULL;
    if (registry == NULL) {
        return &g_fallback_assets[fallback]; /* open_registry() has said so already */
    }
    struct tpw_error_detail detail;
    memset(&detail, 0, sizeof detail);
    if (money_registry_find(registry, code, &asset, &detail) == TPW_OK) {
        return asset;
    }
    fprintf(stderr, "bench_money: note: %s not in the built-in registry, using %s/%u\n", code,
            g_fallback_assets[fallback].code, g_fallback_assets[fallback].exponent);
    return &g_fallback_assets[fallback];
}

static money_registry *open_registry(void)
{
    money_registry *registry = money_registry_create();
    if (registry == NULL) {
        return NULL;
    }
    struct tpw_error_detail detail;
    memset(&detail, 0, sizeof detail);
    enum tpw_err err = money_registry_load_builtin(registry, &detail);
    if (err != TPW_OK) {
        fprintf(stderr,
                "bench_money: note: built-in registry did not load (%d); "
                "using local EUR/JPY/USD/ETH definitions\n",
                (int)err);
        money_registry_destroy(registry);
        return NULL;
    }
    return registry;
}

static void setup(struct tpw_prng *prng, const money_registry *registry)
{
    mpz_init2(g_gmp.p, 384);
    mpz_init2(g_gmp.q, 384);
    mpz_init2(g_gmp.r, 384);
    mpz_init2(g_gmp.t, 384);
    for (unsigned cls = 0; cls < 3; cls++) {
        fill_muldiv(&g_muldiv[cls], cls, prng);
    }
    fill_decimal(&g_decimal[0], 2, prng);
    fill_decimal(&g_decimal[1], 18, prng);
    const struct money_asset *eur = find_asset(registry, "EUR", 0);
    const struct money_asset *jpy = find_asset(registry, "JPY", 1);
    const struct money_asset *usd = find_asset(registry, "USD", 2);
    const struct money_asset *eth = find_asset(registry, "ETH", 3);
    fill_convert(&g_convert[0], false, eur, jpy, prng);
    fill_convert(&g_convert[1], true, usd, eth, prng);
    fill_fee(&g_fee, prng);
}

static void teardown(void)
{
    for (unsigned cls = 0; cls < 3; cls++) {
        mpz_clear_n(g_muldiv[cls].za, SET_SIZE);
        mpz_clear_n(g_muldiv[cls].zb, SET_SIZE);
        mpz_clear_n(g_muldiv[cls].zd, SET_SIZE);
    }
    for (unsigned e = 0; e < 2; e++) {
        mpz_clear_n(g_decimal[e].zvalue, SET_SIZE);
        mpz_clear_n(g_convert[e].zamount, SET_SIZE);
        mpz_clear_n(g_convert[e].zrate, SET_SIZE);
        mpz_clear(g_convert[e].zpow10);
    }
    mpz_clear_n(g_fee.zfixed, FEE_SCHEDULES);
    mpz_clear_n(g_fee.zmin, FEE_SCHEDULES);
    mpz_clear_n(g_fee.zmax, FEE_SCHEDULES);
    mpz_clear_n(g_fee.zamount, SET_SIZE);
    mpz_clear(g_gmp.p);
    mpz_clear(g_gmp.q);
    mpz_clear(g_gmp.r);
    mpz_clear(g_gmp.t);
}

static struct job *add_job(struct job *jobs, size_t *count, run_fn ours, run_fn gmp,
                           const void *data)
{
    struct job *job = &jobs[(*count)++];
    job->ours = ours;
    job->gmp = gmp;
    job->data = data;
    job->rounding = MONEY_ROUND_DOWN;
    job->comparable = true;
    return job;
}

static size_t build_jobs(struct job *jobs)
{
    static const enum money_rounding modes[4] = {MONEY_ROUND_HALF_EVEN, MONEY_ROUND_HALF_UP,
                                                 MONEY_ROUND_DOWN, MONEY_ROUND_UP};
    size_t n = 0;
    for (unsigned cls = 0; cls < 3; cls++) {
        for (unsigned m = 0; m < 4; m++) {
            struct job *job = add_job(jobs, &n, muldiv_ours, muldiv_gmp, &g_muldiv[cls]);
            job->rounding = modes[m];
            snprintf(job->name, sizeof job->name, "muldiv %s %s", g_muldiv[cls].label,
                     money_rounding_name(modes[m]));
        }
    }
    for (unsigned e = 0; e < 2; e++) {
        struct job *job = add_job(jobs, &n, parse_ours, parse_gmp, &g_decimal[e]);
        snprintf(job->name, sizeof job->name, "decimal_parse exp %u", g_decimal[e].exponent);
    }
    for (unsigned e = 0; e < 2; e++) {
        struct job *job = add_job(jobs, &n, format_ours, format_gmp, &g_decimal[e]);
        job->comparable = false; /* GMP writes the bare digits, no point or padding */
        snprintf(job->name, sizeof job->name, "decimal_format exp %u", g_decimal[e].exponent);
    }
    for (unsigned c = 0; c < 2; c++) {
        struct job *job = add_job(jobs, &n, convert_ours, convert_gmp, &g_convert[c]);
        snprintf(job->name, sizeof job->name, "convert %s down", g_convert[c].label);
    }
    struct job *job = add_job(jobs, &n, fee_ours, fee_gmp, &g_fee);
    snprintf(job->name, sizeof job->name, "fee_compute (4 schedules)");
    return n;
}

/* ---------------------------------------------------------------------------------------
 * Measurement and report
 * --------------------------------------------------------------------------------------- */

static uint64_t time_run(run_fn fn, const struct job *job, uint64_t iterations, struct outcome *out)
{
    uint64_t start = tpw_clock_monotonic_ns();
    *out = fn(job, iterations);
    uint64_t elapsed = tpw_clock_monotonic_ns() - start;
    return elapsed == 0 ? 1 : elapsed;
}

/* Best of `rounds` for each side; the side that goes first alternates per round. */
static struct measurement measure(const struct job *job, const struct options *opt)
{
    struct measurement m = {UINT64_MAX, UINT64_MAX, {0, 0}, {0, 0}};
    for (unsigned round = 0; round < opt->rounds; round++) {
        for (unsigned side = 0; side < 2; side++) {
            bool ours = ((round + side) & 1u) == 0;
            struct outcome o;
            uint64_t ns = time_run(ours ? job->ours : job->gmp, job, opt->iterations, &o);
            if (ours) {
                m.ours = o;
                m.ours_ns = ns < m.ours_ns ? ns : m.ours_ns;
            } else {
                m.gmp = o;
                m.gmp_ns = ns < m.gmp_ns ? ns : m.gmp_ns;
            }
        }
    }
    return m;
}

static void print_header(const struct options *opt)
{
    char date[BENCH_DATE_SIZE];
    bench_date_utc(date);
    const char *machine = bench_machine();
    printf("bench_money: %s | %s | compiler %s | GMP %s | seed 0x%016" PRIx64 " | %" PRIu64
           " ops per loop, best of %u\n\n",
           date, machine, __VERSION__, gmp_version, BENCH_SEED, opt->iterations, opt->rounds);
    printf("| operation | ours ns/op | GMP ns/op | ours/GMP | ours Mops/s | GMP Mops/s |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
}

static void print_row(const struct job *job, const struct measurement *m, uint64_t ops)
{
    uint64_t ours_cns = bench_scaled_div(m->ours_ns, 100, ops);
    uint64_t gmp_cns = bench_scaled_div(m->gmp_ns, 100, ops);
    uint64_t ratio_milli = bench_scaled_div(m->ours_ns, 1000, m->gmp_ns);
    uint64_t ours_cmops = bench_scaled_div(ops, 100000, m->ours_ns);
    uint64_t gmp_cmops = bench_scaled_div(ops, 100000, m->gmp_ns);
    printf("| %s | %" PRIu64 ".%02" PRIu64 " | %" PRIu64 ".%02" PRIu64 " | %" PRIu64 ".%03" PRIu64
           " | %" PRIu64 ".%02" PRIu64 " | %" PRIu64 ".%02" PRIu64 " |\n",
           job->name, ours_cns / 100, ours_cns % 100, gmp_cns / 100, gmp_cns % 100,
           ratio_milli / 1000, ratio_milli % 1000, ours_cmops / 100, ours_cmops % 100,
           gmp_cmops / 100, gmp_cmops % 100);
}

/* Returns false (and says why) when errors occurred or the two sides disagree. */
static bool check_row(const struct job *job, const struct measurement *m)
{
    bool ok = true;
    if (m->ours.errors != 0 || m->gmp.errors != 0) {
        fprintf(stderr, "bench_money: %s: unexpected errors: ours %" PRIu64 ", GMP %" PRIu64 "\n",
                job->name, m->ours.errors, m->gmp.errors);
        ok = false;
    }
    if (job->comparable && m->ours.sink != m->gmp.sink) {
        fprintf(stderr, "bench_money: %s: results differ from GMP\n", job->name);
        ok = false;
    }
    return ok;
}

static bool parse_options(int argc, char **argv, struct options *opt)
{
    opt->iterations = DEFAULT_ITERATIONS;
    opt->rounds = DEFAULT_ROUNDS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            opt->iterations = QUICK_ITERATIONS;
            opt->rounds = 1;
        } else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            const char *text = argv[++i];
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull(text, &end, 10);
            if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || n == 0 ||
                n > ITERATIONS_MAX) {
                fprintf(stderr, "bench_money: --iterations wants 1..%" PRIu64 "\n", ITERATIONS_MAX);
                return false;
            }
            opt->iterations = (uint64_t)n;
        } else {
            fprintf(stderr, "usage: bench_money [--quick] [--iterations N]\n");
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    struct options opt;
    if (!parse_options(argc, argv, &opt)) {
        return 2;
    }
    struct tpw_prng prng;
    tpw_prng_seed(&prng, BENCH_SEED);
    money_registry *registry = open_registry();
    setup(&prng, registry);

    static struct job jobs[JOBS_MAX];
    size_t job_count = build_jobs(jobs);
    print_header(&opt);
    tpw_u128 sink = 0;
    size_t failures = 0;
    for (size_t j = 0; j < job_count; j++) {
        struct measurement m = measure(&jobs[j], &opt);
        print_row(&jobs[j], &m, opt.iterations);
        fflush(stdout);
        sink += m.ours.sink + m.gmp.sink;
        failures += check_row(&jobs[j], &m) ? 0u : 1u;
    }
    printf("\nsink ");
    print_u128_hex(sink);
    printf(" | rows failing the GMP cross-check: %zu of %zu\n", failures, job_count);

    teardown();
    if (registry != NULL) {
        money_registry_destroy(registry);
    }
    return failures == 0 ? 0 : 1;
}
