/*
 * Randomized property test: tpwallet's exact money arithmetic against GMP as an oracle.
 *
 * The money module does wide integer arithmetic by hand (decimal text, a 256-bit
 * multiply-divide with four roundings, conversion, fees, checked add and subtract).
 * Hand-rolled wide arithmetic breaks at boundaries - carries near 2^64 and 2^128, exact
 * ties, quotients that only just overflow - so every case is recomputed here with GMP's
 * arbitrary-precision integers and the rounding rule is reapplied from the exact quotient
 * and remainder. Written from the public headers only, as a check independent of the
 * implementation. Over 1,000,000 seeded cases per run; TPW_TEST_SEED=<n> replays a run.
 */
#include "tpw_test.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <gmp.h>

#include "tpwallet/error.h"
#include "tpwallet/money.h"
#include "tpwallet/prng.h"
#include "tpwallet/u128.h"

#include "banned.h" /* last, as in every tpwallet source */

/* Generated input tuples per family; their sum must reach the acceptance floor. */
#define FORMAT_TUPLES 200000u
#define PARSE_TUPLES 200000u
#define RATE_TUPLES 50000u
#define MULDIV_TUPLES 400000u
#define CONVERT_TUPLES 200000u
#define FEE_TUPLES 150000u
#define ADDSUB_TUPLES 100000u
#define REQUIRED_TUPLES 1000000u

/* Large enough for any text built here, including 60-digit over-long integers. */
#define TEXT_SIZE 160
#define INPUTS_SIZE 640

enum family {
    FAM_FORMAT,
    FAM_PARSE,
    FAM_RATE,
    FAM_MULDIV,
    FAM_CONVERT,
    FAM_FEE,
    FAM_ADDSUB,
    FAM_COUNT,
};

static const char *const family_names[FAM_COUNT] = {
    "decimal-format", "decimal-parse", "rate", "muldiv", "convert", "fee", "add-sub",
};

static const enum money_rounding all_modes[4] = {
    MONEY_ROUND_HALF_EVEN,
    MONEY_ROUND_HALF_UP,
    MONEY_ROUND_DOWN,
    MONEY_ROUND_UP,
};

/* The exponents real assets use; conversions pair every one with every other. */
static const unsigned asset_exponents[7] = {0, 2, 3, 4, 6, 8, 18};

/* What a call returned, or what GMP says it must return (value only matters on OK). */
struct outcome {
    enum tpw_err err;
    tpw_u128 value;
};

/* GMP scratch shared by every helper: allocated once, so cases cost no malloc. */
static struct {
    mpz_t a, b, num, den, q, r, t, out, twice, max;
} g;

static uint64_t g_seed;
static struct tpw_prng g_prng;
static enum family g_family;
static uint64_t g_index;
static uint64_t g_tuples[FAM_COUNT];
static uint64_t g_calls[FAM_COUNT];

/* Odd numbers 2^129 - 1 - 2j split as k * rest with a small k: a·b/d lands on a tie at
 * 2^128 - 1/2 - j, where half-even and half-up must round across the 128-bit limit. */
#define TOP_TIES_MAX 32
static struct {
    uint64_t k;
    tpw_u128 rest;
} g_top_ties[TOP_TIES_MAX];
static unsigned g_top_tie_count;

/* ------------------------------------------------------------------------------------
 * GMP bridge and reporting
 * ------------------------------------------------------------------------------------ */

static void z_set_u128(mpz_t z, tpw_u128 v)
{
    const uint64_t words[2] = {(uint64_t)v, (uint64_t)(v >> 64)};
    mpz_import(z, 2, -1, sizeof(words[0]), 0, 0, words);
}

/* False when `z` is outside 0..2^128-1; that is exactly the library's overflow. */
static bool z_get_u128(const mpz_t z, tpw_u128 *out)
{
    if (mpz_sgn(z) < 0 || mpz_sizeinbase(z, 2) > 128) {
        return false;
    }
    uint64_t words[2] = {0, 0};
    size_t count = 0;
    mpz_export(words, &count, -1, sizeof(words[0]), 0, 0, z);
    *out = TPW_U128(words[1], words[0]);
    return true;
}

static struct outcome outcome_of(const mpz_t result)
{
    struct outcome o = {TPW_OK, 0};
    if (!z_get_u128(result, &o.value)) {
        o.err = TPW_ERR_OVERFLOW;
        o.value = 0;
    }
    return o;
}

static bool outcome_equal(const struct outcome *want, const struct outcome *got)
{
    return want->err == got->err && (want->err != TPW_OK || want->value == got->value);
}

/* Decimal through GMP rather than the library, so a failure report cannot lie. */
static void dec(tpw_u128 v, char buf[TPW_U128_DEC_SIZE + 2])
{
    mpz_t z;
    mpz_init(z);
    z_set_u128(z, v);
    mpz_get_str(buf, 10, z);
    mpz_clear(z);
}

/* Assets are built directly: the registry is not under test here. */
static void make_asset(struct money_asset *asset, const char *code, unsigned exponent)
{
    memset(asset, 0, sizeof(*asset));
    memcpy(asset->code, code, strlen(code) + 1);
    asset->exponent = (uint8_t)exponent;
    asset->is_money = true;
    asset->kind = MONEY_ASSET_CONFIGURED;
}

static const char *mode_name(enum money_rounding mode)
{
    switch (mode) {
    case MONEY_ROUND_HALF_EVEN:
        return "HALF_EVEN";
    case MONEY_ROUND_HALF_UP:
        return "HALF_UP";
    case MONEY_ROUND_DOWN:
        return "DOWN";
    case MONEY_ROUND_UP:
        return "UP";
    }
    return "INVALID";
}

static void print_case_header(void)
{
    print_error("test_money_gmp: MISMATCH seed %" PRIu64 " family %s case %" PRIu64
                " (rerun with TPW_TEST_SEED=%" PRIu64 ")\n",
                g_seed, family_names[g_family], g_index, g_seed);
}

static void fail_outcome(const char *inputs, const struct outcome *want, const struct outcome *got)
{
    char want_text[TPW_U128_DEC_SIZE + 2];
    char got_text[TPW_U128_DEC_SIZE + 2];
    dec(want->value, want_text);
    dec(got->value, got_text);
    print_case_header();
    print_error("  inputs:   %s\n", inputs);
    print_error("  expected: %s %s\n", tpw_err_name(want->err),
                want->err == TPW_OK ? want_text : "");
    print_error("  actual:   %s %s\n", tpw_err_name(got->err),
                got->err == TPW_OK ? got_text : "(value ignored)");
    fail();
}

static void fail_text(const char *inputs, const char *want, size_t want_len, const char *got,
                      size_t got_len)
{
    print_case_header();
    print_error("  inputs:   %s\n", inputs);
    print_error("  expected: \"%s\" (length %zu)\n", want, want_len);
    /* Bounded: a formatter that forgot the NUL must not make the report overrun. */
    const int shown = got_len < TEXT_SIZE ? (int)got_len : TEXT_SIZE - 1;
    print_error("  actual:   \"%.*s\" (length %zu)\n", shown, got, got_len);
    fail();
}

/* ------------------------------------------------------------------------------------
 * Seeded generators
 * ------------------------------------------------------------------------------------ */

static unsigned pick(unsigned bound)
{
    return (unsigned)tpw_prng_below(&g_prng, bound);
}

static bool one_in(unsigned n)
{
    return pick(n) == 0;
}

/* Two explicit draws: argument evaluation order must not change the sequence. */
static tpw_u128 rand_u128(void)
{
    const uint64_t hi = tpw_prng_next(&g_prng);
    const uint64_t lo = tpw_prng_next(&g_prng);
    return TPW_U128(hi, lo);
}

/* Exactly `width` significant bits (1..128): the top one set, the rest random. */
static tpw_u128 rand_width(unsigned width)
{
    const tpw_u128 top = (tpw_u128)1 << (width - 1);
    return (rand_u128() >> (128 - width)) | top;
}

/* Computed locally so the generators do not depend on the library under test. */
static tpw_u128 pow10_u128(unsigned exponent)
{
    tpw_u128 p = 1;
    for (unsigned i = 0; i < exponent; i++) {
        p *= 10;
    }
    return p;
}

/*
 * Four 32-bit limbs, each 0, 1, 2^31 - 1, 2^31, 2^32 - 2, 2^32 - 1 or random. Long division
 * by multi-limb divisors (Knuth's algorithm D, in 32- or 64-bit digits) mis-estimates
 * a quotient digit and needs its rare "add back" step mostly on such digit patterns,
 * which uniform random operands almost never produce.
 */
static tpw_u128 gen_limbs(void)
{
    static const uint32_t edges[6] = {0, 1, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu};
    tpw_u128 v = 0;
    for (int i = 0; i < 4; i++) {
        const unsigned choice = pick(8);
        const uint32_t limb = choice < 6 ? edges[choice] : (uint32_t)(tpw_prng_next(&g_prng) >> 32);
        v = (v << 32) | limb;
    }
    return v;
}

/*
 * Operands biased to where wide arithmetic breaks: 0, 1, 2 and small values, the 64-bit
 * carry (2^64 - 4 .. 2^64 + 4), 2^127 ± small, 2^128 - small, powers of ten and of two
 * ± 1, limb patterns (gen_limbs), and random values of a random bit width so every
 * magnitude is visited.
 */
static tpw_u128 gen_value(void)
{
    const tpw_u128 two64 = (tpw_u128)1 << 64;
    const tpw_u128 two127 = (tpw_u128)1 << 127;
    switch (pick(18)) {
    case 0:
        return pick(17);
    case 1:
        return two64 - 4 + pick(9);
    case 2:
        return two127 - 8 + pick(17);
    case 3:
        return TPW_U128_MAX - pick(17);
    case 4:
        return pow10_u128(pick(39)) - 1 + pick(3);
    case 5:
        return ((tpw_u128)1 << (2 + pick(126))) - 2 + pick(5);
    case 6:
        return rand_u128();
    case 7:
        return tpw_prng_next(&g_prng);
    case 8:
    case 9:
        return gen_limbs();
    default:
        return rand_width(1 + pick(128));
    }
}

/* ------------------------------------------------------------------------------------
 * Oracle: exact quotient, rounding reapplied by hand
 * ------------------------------------------------------------------------------------ */

/* `q`, `r`: truncated quotient and remainder of num / den, den > 0. */
static void round_qr(mpz_t out, const mpz_t q, const mpz_t r, const mpz_t den,
                     enum money_rounding mode)
{
    mpz_set(out, q);
    if (mpz_sgn(r) == 0 || mode == MONEY_ROUND_DOWN) {
        return;
    }
    if (mode == MONEY_ROUND_UP) {
        mpz_add_ui(out, out, 1);
        return;
    }
    /* Nearest: compare 2r with den; a tie goes up for half-up, to even for half-even. */
    mpz_mul_2exp(g.twice, r, 1);
    const int side = mpz_cmp(g.twice, den);
    const bool tie_up = mode == MONEY_ROUND_HALF_UP || mpz_odd_p(q);
    if (side > 0 || (side == 0 && tie_up)) {
        mpz_add_ui(out, out, 1);
    }
}

/* Expected results of round(num / den) in all_modes order; den > 0. */
static void oracle_divide(const mpz_t num, const mpz_t den, struct outcome want[4])
{
    mpz_tdiv_qr(g.q, g.r, num, den);
    for (size_t i = 0; i < 4; i++) {
        round_qr(g.out, g.q, g.r, den, all_modes[i]);
        want[i] = outcome_of(g.out);
    }
}

/* ------------------------------------------------------------------------------------
 * Decimal text: format, parse, rates
 * ------------------------------------------------------------------------------------ */

/* Independent reference for money_decimal_format: GMP's digits, the point put in here. */
static size_t reference_format_z(const mpz_t value, unsigned exponent, char *out)
{
    char digits[TEXT_SIZE];
    mpz_get_str(digits, 10, value);
    const size_t n = strlen(digits);
    size_t pos = 0;
    if (exponent == 0) {
        memcpy(out, digits, n + 1);
        return n;
    }
    if (n <= exponent) {
        out[pos++] = '0';
        out[pos++] = '.';
        memset(out + pos, '0', exponent - n);
        pos += exponent - n;
        memcpy(out + pos, digits, n);
        pos += n;
    } else {
        memcpy(out, digits, n - exponent);
        pos = n - exponent;
        out[pos++] = '.';
        memcpy(out + pos, digits + n - exponent, exponent);
        pos += exponent;
    }
    out[pos] = '\0';
    return pos;
}

static size_t reference_format(tpw_u128 value, unsigned exponent, char *out)
{
    z_set_u128(g.t, value);
    return reference_format_z(g.t, exponent, out);
}

/* Drops trailing fraction zeros and a bare point: "1.500" -> "1.5", "3.00" -> "3". */
static size_t trim_fraction(char *text, size_t len)
{
    if (memchr(text, '.', len) == NULL) {
        return len;
    }
    while (text[len - 1] == '0') {
        len--;
    }
    if (text[len - 1] == '.') {
        len--;
    }
    text[len] = '\0';
    return len;
}

/* The three entry points that share the decimal grammar. */
enum parser { VIA_DECIMAL, VIA_AMOUNT, VIA_RATE };

static const char *const parser_names[3] = {
    "money_decimal_parse",
    "money_amount_parse",
    "money_rate_parse",
};

static enum tpw_err run_parser(enum parser via, const char *text, size_t len, unsigned exponent,
                               tpw_u128 *out, struct tpw_error_detail *detail)
{
    if (via == VIA_RATE) {
        struct money_rate rate = {0};
        const enum tpw_err err = money_rate_parse(text, len, &rate, detail);
        *out = rate.value_e18;
        return err;
    }
    if (via == VIA_AMOUNT) {
        struct money_asset asset;
        make_asset(&asset, "TST", exponent);
        return money_amount_parse(&asset, text, len, out, detail);
    }
    return money_decimal_parse(text, len, exponent, out, detail);
}

/*
 * Parses `text` at `exponent` and compares with `want`. The text is copied with a stray
 * digit after it and no NUL, so a parser that reads past text_len gets a wrong answer.
 * `precision_offset` is where TPW_ERR_DECIMAL_PRECISION must point (SIZE_MAX: unchecked).
 */
static void check_parse(const char *text, size_t len, unsigned exponent, enum parser via,
                        const struct outcome *want, size_t precision_offset)
{
    char copy[TEXT_SIZE + 1];
    memcpy(copy, text, len);
    copy[len] = '7';
    struct tpw_error_detail detail;
    memset(&detail, 0, sizeof(detail));
    struct outcome got = {TPW_OK, 0};
    got.err = run_parser(via, copy, len, exponent, &got.value, &detail);
    g_calls[g_family]++;
    bool offset_ok = true;
    if (got.err == TPW_ERR_DECIMAL_PRECISION && precision_offset != SIZE_MAX) {
        offset_ok = detail.offset_bytes == precision_offset;
    }
    if (!outcome_equal(want, &got) || !offset_ok) {
        char inputs[INPUTS_SIZE];
        char offsets[96] = "";
        if (!offset_ok) {
            snprintf(offsets, sizeof(offsets), "; detail.offset_bytes %zu, expected %zu",
                     detail.offset_bytes, precision_offset);
        }
        snprintf(inputs, sizeof(inputs), "%s(\"%.*s\", len %zu, exponent %u)%s", parser_names[via],
                 (int)len, text, len, exponent, offsets);
        fail_outcome(inputs, want, &got);
    }
}

static void describe_value(char *inputs, const char *call, tpw_u128 value, unsigned exponent)
{
    char v[TPW_U128_DEC_SIZE + 2];
    dec(value, v);
    snprintf(inputs, INPUTS_SIZE, "%s(value %s, exponent %u)", call, v, exponent);
}

static void check_format_text(const char *call, tpw_u128 value, unsigned exponent, const char *want,
                              size_t want_len, const char *got, size_t got_len)
{
    if (got_len != want_len || memcmp(got, want, want_len + 1) != 0) {
        char inputs[INPUTS_SIZE];
        describe_value(inputs, call, value, exponent);
        fail_text(inputs, want, want_len, got, got_len);
    }
}

static size_t run_format(bool rate, tpw_u128 value, unsigned exponent, char *buf, size_t size)
{
    if (rate) {
        const struct money_rate r = {value};
        return money_rate_format(r, buf, size);
    }
    return money_decimal_format(value, exponent, buf, size);
}

/* True when nothing was written at or after buf[size] (the buffer was filled with 'x'). */
static bool untouched_after(const char *buf, size_t size)
{
    for (size_t i = size; i < TEXT_SIZE; i++) {
        if (buf[i] != 'x') {
            return false;
        }
    }
    return true;
}

/* The contract on short buffers: exactly len + 1 bytes suffice, len bytes return 0, and
 * nothing is ever written past `size` (the buffer is larger, so ASan would not notice). */
static void check_format_sizes(bool rate, tpw_u128 value, unsigned exponent, const char *want,
                               size_t want_len)
{
    const char *call = rate ? "money_rate_format" : "money_decimal_format";
    char label[64];
    char buf[TEXT_SIZE];
    for (size_t size = want_len; size <= want_len + 1; size++) {
        memset(buf, 'x', sizeof(buf));
        const size_t got_len = run_format(rate, value, exponent, buf, size);
        g_calls[g_family]++;
        const bool fits = size > want_len;
        const bool text_ok =
            fits ? got_len == want_len && memcmp(buf, want, want_len + 1) == 0 : got_len == 0;
        if (!text_ok || !untouched_after(buf, size)) {
            char inputs[INPUTS_SIZE];
            snprintf(label, sizeof(label), "%s[size %zu%s]", call, size,
                     untouched_after(buf, size) ? "" : ", wrote past size");
            describe_value(inputs, label, value, exponent);
            fail_text(inputs, fits ? want : "(return 0)", fits ? want_len : 0, buf, got_len);
        }
    }
}

/* Format, compare with the GMP text, parse back (full and trimmed), and as an asset. */
static void check_format_case(tpw_u128 value, unsigned exponent)
{
    char want[TEXT_SIZE];
    char got[TEXT_SIZE];
    const size_t want_len = reference_format(value, exponent, want);
    memset(got, 'x', sizeof(got));
    size_t got_len = money_decimal_format(value, exponent, got, MONEY_DECIMAL_TEXT_SIZE);
    g_calls[g_family]++;
    check_format_text("money_decimal_format", value, exponent, want, want_len, got, got_len);

    const struct outcome back = {TPW_OK, value};
    check_parse(want, want_len, exponent, VIA_DECIMAL, &back, SIZE_MAX);
    const size_t trimmed_len = trim_fraction(got, got_len);
    if (trimmed_len != got_len) {
        check_parse(got, trimmed_len, exponent, VIA_DECIMAL, &back, SIZE_MAX);
    }
    if (exponent <= MONEY_ASSET_EXPONENT_MAX) {
        struct money_asset asset;
        make_asset(&asset, "TST", exponent);
        got_len = money_amount_format(&asset, value, got, sizeof(got));
        g_calls[g_family]++;
        check_format_text("money_amount_format", value, exponent, want, want_len, got, got_len);
        check_parse(want, want_len, exponent, VIA_AMOUNT, &back, SIZE_MAX);
    }
    if (one_in(8)) {
        check_format_sizes(false, value, exponent, want, want_len);
    }
}

static void test_decimal_format(void **state)
{
    (void)state;
    g_family = FAM_FORMAT;
    tpw_prng_seed(&g_prng, g_seed ^ 0x1111111111111111u);
    for (g_index = 0; g_index < FORMAT_TUPLES; g_index++) {
        unsigned exponent = asset_exponents[pick(7)];
        /* Format promises every exponent up to 38; parse is exercised there as well. */
        if (one_in(32)) {
            exponent = one_in(2) ? 38 : pick(39);
        }
        check_format_case(gen_value(), exponent);
        g_tuples[g_family]++;
    }
}

/* A decimal text in parts, so the oracle never has to re-parse what it generated. */
struct decimal_text {
    char int_digits[TEXT_SIZE / 2];
    size_t int_len;
    char frac_digits[TEXT_SIZE / 4];
    size_t frac_len;
};

static void random_digits(char *out, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        out[i] = (char)('0' + pick(10));
    }
}

/* Mostly 0..exponent fraction digits; one in eight has one to three too many. */
static void gen_fraction(struct decimal_text *t, unsigned exponent)
{
    t->frac_len = one_in(8) ? exponent + 1 + pick(3) : pick(exponent + 1);
    random_digits(t->frac_digits, t->frac_len);
}

static void set_int_digits(struct decimal_text *t, const mpz_t value)
{
    mpz_get_str(t->int_digits, 10, value);
    t->int_len = strlen(t->int_digits);
}

/*
 * Random digit strings of 1..42 integer digits (some with up to 24 leading zeros, which
 * the grammar allows and which must not count toward overflow), texts of 2^128-1 ± 3 at
 * the exponent, and integer parts at the largest one that fits ± 1 with any fraction.
 */
static void gen_decimal_text(struct decimal_text *t, unsigned exponent)
{
    const unsigned kind = pick(8);
    if (kind < 5) {
        const size_t zeros = one_in(8) ? 1 + pick(24) : 0;
        memset(t->int_digits, '0', zeros);
        const size_t digits = 1 + pick(42);
        random_digits(t->int_digits + zeros, digits);
        t->int_len = zeros + digits;
        gen_fraction(t, exponent);
    } else if (kind < 7) {
        char text[TEXT_SIZE];
        mpz_add_ui(g.t, g.max, pick(7));
        mpz_sub_ui(g.t, g.t, 3);
        size_t len = reference_format_z(g.t, exponent, text);
        if (one_in(2)) {
            len = trim_fraction(text, len);
        }
        const char *point = memchr(text, '.', len);
        t->int_len = point == NULL ? len : (size_t)(point - text);
        memcpy(t->int_digits, text, t->int_len);
        t->frac_len = point == NULL ? 0 : len - t->int_len - 1;
        memcpy(t->frac_digits, text + t->int_len + 1, t->frac_len);
    } else {
        mpz_ui_pow_ui(g.t, 10, exponent);
        mpz_tdiv_q(g.t, g.max, g.t);
        mpz_add_ui(g.t, g.t, pick(3));
        mpz_sub_ui(g.t, g.t, 1);
        set_int_digits(t, g.t);
        gen_fraction(t, exponent);
    }
}

static size_t assemble_text(const struct decimal_text *t, char *out)
{
    memcpy(out, t->int_digits, t->int_len);
    size_t len = t->int_len;
    if (t->frac_len > 0) {
        out[len++] = '.';
        memcpy(out + len, t->frac_digits, t->frac_len);
        len += t->frac_len;
    }
    out[len] = '\0';
    return len;
}

static struct outcome reference_parse(const struct decimal_text *t, unsigned exponent)
{
    struct outcome o = {TPW_ERR_DECIMAL_PRECISION, 0};
    if (t->frac_len > exponent) {
        return o;
    }
    char all[TEXT_SIZE];
    memcpy(all, t->int_digits, t->int_len);
    memcpy(all + t->int_len, t->frac_digits, t->frac_len);
    all[t->int_len + t->frac_len] = '\0';
    mpz_set_str(g.num, all, 10);
    mpz_ui_pow_ui(g.t, 10, exponent - t->frac_len);
    mpz_mul(g.num, g.num, g.t);
    o = outcome_of(g.num);
    if (o.err == TPW_ERR_OVERFLOW) {
        o.err = TPW_ERR_DECIMAL_OVERFLOW;
    }
    return o;
}

/* Random text at `exponent`, checked against GMP; rates share the grammar at 18. */
static void check_random_text(unsigned exponent, enum parser via)
{
    struct decimal_text t;
    char text[TEXT_SIZE];
    gen_decimal_text(&t, exponent);
    const size_t len = assemble_text(&t, text);
    const struct outcome want = reference_parse(&t, exponent);
    /* The first excess fraction digit is the offending character. With exponent 0 the
     * point could be blamed as well, so the offset is only pinned for exponent > 0. */
    const size_t offset = exponent > 0 ? t.int_len + 1 + exponent : SIZE_MAX;
    check_parse(text, len, exponent, via, &want, offset);
}

static void test_decimal_parse(void **state)
{
    (void)state;
    g_family = FAM_PARSE;
    tpw_prng_seed(&g_prng, g_seed ^ 0x2222222222222222u);
    for (g_index = 0; g_index < PARSE_TUPLES; g_index++) {
        check_random_text(asset_exponents[pick(7)], one_in(4) ? VIA_AMOUNT : VIA_DECIMAL);
        g_tuples[g_family]++;
    }
}

/* Rates: shortest-form format, parse back from both forms, and random rate texts. */
static void check_rate_case(tpw_u128 value)
{
    char want[TEXT_SIZE];
    char got[TEXT_SIZE];
    const size_t full_len = reference_format(value, MONEY_RATE_SCALE_DIGITS, want);
    const struct outcome back = {TPW_OK, value};
    check_parse(want, full_len, MONEY_RATE_SCALE_DIGITS, VIA_RATE, &back, SIZE_MAX);
    const size_t want_len = trim_fraction(want, full_len);
    const struct money_rate rate = {value};
    memset(got, 'x', sizeof(got));
    const size_t got_len = money_rate_format(rate, got, sizeof(got));
    g_calls[g_family]++;
    check_format_text("money_rate_format", value, MONEY_RATE_SCALE_DIGITS, want, want_len, got,
                      got_len);
    check_parse(want, want_len, MONEY_RATE_SCALE_DIGITS, VIA_RATE, &back, SIZE_MAX);
    if (one_in(8)) {
        check_format_sizes(true, value, MONEY_RATE_SCALE_DIGITS, want, want_len);
    }
}

static void test_rate(void **state)
{
    (void)state;
    g_family = FAM_RATE;
    tpw_prng_seed(&g_prng, g_seed ^ 0x3333333333333333u);
    const tpw_u128 one = pow10_u128(MONEY_RATE_SCALE_DIGITS);
    for (g_index = 0; g_index < RATE_TUPLES; g_index++) {
        /* Whole and short rates (3, 1.5, 0.25) stress the trimming. */
        tpw_u128 value = gen_value();
        if (one_in(4)) {
            value = one * pick(1000) / pow10_u128(pick(4));
        }
        check_rate_case(value);
        check_random_text(MONEY_RATE_SCALE_DIGITS, VIA_RATE);
        g_tuples[g_family]++;
    }
}

/* ------------------------------------------------------------------------------------
 * money_muldiv
 * ------------------------------------------------------------------------------------ */

static void describe_muldiv(char *inputs, tpw_u128 a, tpw_u128 b, tpw_u128 d,
                            enum money_rounding mode)
{
    char as[TPW_U128_DEC_SIZE + 2];
    char bs[TPW_U128_DEC_SIZE + 2];
    char ds[TPW_U128_DEC_SIZE + 2];
    dec(a, as);
    dec(b, bs);
    dec(d, ds);
    snprintf(inputs, INPUTS_SIZE, "money_muldiv(a %s, b %s, divisor %s, %s (%d))", as, bs, ds,
             mode_name(mode), (int)mode);
}

static void check_muldiv_mode(tpw_u128 a, tpw_u128 b, tpw_u128 d, enum money_rounding mode,
                              const struct outcome *want)
{
    struct outcome got = {TPW_OK, 0};
    got.err = money_muldiv(a, b, d, mode, &got.value);
    g_calls[g_family]++;
    if (!outcome_equal(want, &got)) {
        char inputs[INPUTS_SIZE];
        describe_muldiv(inputs, a, b, d, mode);
        fail_outcome(inputs, want, &got);
    }
}

static void check_muldiv(tpw_u128 a, tpw_u128 b, tpw_u128 d)
{
    struct outcome want[4];
    if (d == 0) {
        for (size_t i = 0; i < 4; i++) {
            want[i] = (struct outcome){TPW_ERR_DIVISION_BY_ZERO, 0};
        }
    } else {
        z_set_u128(g.a, a);
        z_set_u128(g.b, b);
        z_set_u128(g.den, d);
        mpz_mul(g.num, g.a, g.b);
        oracle_divide(g.num, g.den, want);
    }
    for (size_t i = 0; i < 4; i++) {
        check_muldiv_mode(a, b, d, all_modes[i], &want[i]);
    }
}

/* Odd o of `width` bits times m of `wm` bits, with width + wm <= 128 so it fits. */
static unsigned odd_width(unsigned wm)
{
    return 1 + pick(128 - wm);
}

/* a·b/d = q + 1/2 exactly (or one unit of a beside it): the tie-breaking cases. */
static void gen_exact_half(tpw_u128 *a, tpw_u128 *b, tpw_u128 *d)
{
    if (one_in(2)) {
        /* d = 2m, a = (2q+1)·m, b = 1. */
        const unsigned wm = 1 + pick(127);
        const tpw_u128 m = rand_width(wm);
        *a = (rand_width(odd_width(wm)) | 1) * m;
        *b = 1;
        *d = 2 * m;
    } else {
        /* d = 2·m·b, a = (2q+1)·m: the tie survives a real multiplication. */
        const unsigned wm = 1 + pick(126);
        const unsigned wb = 1 + pick(127 - wm);
        const tpw_u128 m = rand_width(wm);
        *b = rand_width(wb);
        *a = (rand_width(odd_width(wm)) | 1) * m;
        *d = 2 * m * *b;
    }
    /* Nudge a off the tie by one: just below and just above half. */
    const unsigned nudge = pick(3);
    if (nudge == 1 && *a > 0) {
        *a -= 1;
    } else if (nudge == 2 && *a < TPW_U128_MAX) {
        *a += 1;
    }
}

/* d = ceil(a·b / 2^128) ± 2 with a·b >= 2^128: quotients just below, at and above 2^128. */
static void gen_near_top(tpw_u128 *a, tpw_u128 *b, tpw_u128 *d)
{
    const unsigned wa = 64 + pick(65);
    const unsigned wb_min = 130 - wa;
    const unsigned wb = wb_min + pick(129 - wb_min);
    *a = rand_width(wa);
    *b = rand_width(wb);
    z_set_u128(g.a, *a);
    z_set_u128(g.b, *b);
    mpz_mul(g.num, g.a, g.b);
    mpz_cdiv_q_2exp(g.t, g.num, 128);
    mpz_add_ui(g.t, g.t, pick(5));
    if (mpz_cmp_ui(g.t, 3) >= 0) {
        mpz_sub_ui(g.t, g.t, 2);
    } else {
        mpz_set_ui(g.t, 1);
    }
    if (!z_get_u128(g.t, d)) {
        *d = TPW_U128_MAX;
    }
    if (one_in(2)) {
        const tpw_u128 swap = *a;
        *a = *b;
        *b = swap;
    }
}

/* a·b/d = 2^128 - 1/2 - j exactly (or a unit of a beside it); see g_top_ties. */
static void gen_top_tie(tpw_u128 *a, tpw_u128 *b, tpw_u128 *d)
{
    /* Half the time j = 0: the tie at 2^128 - 1/2 is where rounding crosses the limit. */
    const unsigned i = one_in(2) ? 0 : pick(g_top_tie_count);
    const uint64_t k = g_top_ties[i].k;
    const unsigned k_bits = 64 - (unsigned)__builtin_clzll(k);
    const tpw_u128 m = rand_width(1 + pick(128 - k_bits));
    *a = (tpw_u128)k * m + pick(3) - 1;
    *b = g_top_ties[i].rest;
    *d = 2 * m;
}

/*
 * b = d + s with s >= 1 and a = floor((2^129 - 1)·d / 2b) ± 2. A unit of a moves a·b/d by
 * b/d, about 1 when s is small, so the quotient lands within a few units of 2^128 - 1/2
 * with a varied remainder: DOWN fits where UP overflows, and the halves fall both ways.
 */
static void gen_aimed_top(tpw_u128 *a, tpw_u128 *b, tpw_u128 *d)
{
    *d = rand_width(1 + pick(127));
    const tpw_u128 s = one_in(2) ? 1 + pick(16) : 1 + rand_u128() % *d;
    *b = *d + s;
    mpz_mul_2exp(g.t, g.max, 1);
    mpz_add_ui(g.t, g.t, 1);
    z_set_u128(g.a, *d);
    mpz_mul(g.t, g.t, g.a);
    z_set_u128(g.den, *b);
    mpz_mul_2exp(g.den, g.den, 1);
    mpz_tdiv_q(g.t, g.t, g.den);
    mpz_add_ui(g.t, g.t, pick(5));
    if (mpz_cmp_ui(g.t, 2) >= 0) {
        mpz_sub_ui(g.t, g.t, 2);
    }
    if (!z_get_u128(g.t, a)) {
        *a = TPW_U128_MAX;
    }
}

/* Products of powers of two right at 2^128, divided by 1, 2 or 3. */
static void gen_pow2_product(tpw_u128 *a, tpw_u128 *b, tpw_u128 *d)
{
    const unsigned k = 1 + pick(127);
    *a = ((tpw_u128)1 << k) - 1 + pick(3);
    *b = ((tpw_u128)1 << (128 - k)) - 1 + pick(3);
    *d = 1 + pick(3);
}

/* Rate-like operands: amounts times powers of ten over powers of ten. */
static void gen_scaled(tpw_u128 *a, tpw_u128 *b, tpw_u128 *d)
{
    *a = gen_value();
    *b = pow10_u128(pick(39));
    *d = pow10_u128(pick(39));
}

static void gen_muldiv(tpw_u128 *a, tpw_u128 *b, tpw_u128 *d)
{
    const unsigned kind = pick(17);
    if (kind == 16) {
        *a = gen_limbs();
        *b = gen_limbs();
        *d = gen_limbs();
    } else if (kind < 4) {
        *a = gen_value();
        *b = gen_value();
        *d = gen_value();
    } else if (kind < 7) {
        gen_exact_half(a, b, d);
    } else if (kind < 8) {
        gen_near_top(a, b, d);
    } else if (kind < 10) {
        gen_aimed_top(a, b, d);
    } else if (kind < 12) {
        gen_top_tie(a, b, d);
    } else if (kind < 13) {
        gen_pow2_product(a, b, d);
    } else if (kind < 14) {
        /* Divisors of at most 64 bits against wide products: mostly overflow. */
        *a = gen_value();
        *b = gen_value();
        *d = rand_width(1 + pick(64));
    } else {
        gen_scaled(a, b, d);
    }
    if (one_in(512)) {
        *d = 0;
    }
}

/* An unknown rounding value is INVALID_ARGUMENT. Small operands, so no other error
 * (overflow, division by zero) could compete with it whatever the check order. */
static void check_muldiv_bad_mode(void)
{
    const tpw_u128 a = 1 + pick(1000);
    const tpw_u128 b = 1 + pick(1000);
    const tpw_u128 d = 1 + pick(1000);
    const struct outcome want = {TPW_ERR_INVALID_ARGUMENT, 0};
    check_muldiv_mode(a, b, d, (enum money_rounding)0, &want);
    check_muldiv_mode(a, b, d, (enum money_rounding)5, &want);
}

static void test_muldiv(void **state)
{
    (void)state;
    g_family = FAM_MULDIV;
    tpw_prng_seed(&g_prng, g_seed ^ 0x4444444444444444u);
    for (g_index = 0; g_index < MULDIV_TUPLES; g_index++) {
        tpw_u128 a = 0;
        tpw_u128 b = 0;
        tpw_u128 d = 0;
        gen_muldiv(&a, &b, &d);
        check_muldiv(a, b, d);
        if (one_in(1024)) {
            check_muldiv_bad_mode();
        }
        g_tuples[g_family]++;
    }
}

/* ------------------------------------------------------------------------------------
 * money_convert
 * ------------------------------------------------------------------------------------ */

struct convert_case {
    tpw_u128 amount;
    unsigned from_exp;
    unsigned to_exp;
    tpw_u128 rate;
};

static const char *side_name(enum money_quote_side side)
{
    switch (side) {
    case MONEY_RATE_TO_PER_FROM:
        return "TO_PER_FROM";
    case MONEY_RATE_FROM_PER_TO:
        return "FROM_PER_TO";
    }
    return "INVALID";
}

static void describe_convert(char *inputs, const struct convert_case *c, enum money_quote_side side,
                             enum money_rounding mode)
{
    char amount[TPW_U128_DEC_SIZE + 2];
    char rate[TPW_U128_DEC_SIZE + 2];
    dec(c->amount, amount);
    dec(c->rate, rate);
    snprintf(inputs, INPUTS_SIZE,
             "money_convert(amount %s, from.exponent %u, to.exponent %u, rate_e18 %s, %s (%d), "
             "%s (%d))",
             amount, c->from_exp, c->to_exp, rate, side_name(side), (int)side, mode_name(mode),
             (int)mode);
}

/* num / den for one quote side, exactly as the formula in money.h reads. */
static void convert_terms(const struct convert_case *c, enum money_quote_side side)
{
    z_set_u128(g.a, c->amount);
    if (side == MONEY_RATE_TO_PER_FROM) {
        z_set_u128(g.b, c->rate);
        mpz_mul(g.num, g.a, g.b);
        mpz_ui_pow_ui(g.den, 10, MONEY_RATE_SCALE_DIGITS + c->from_exp - c->to_exp);
    } else {
        mpz_ui_pow_ui(g.t, 10, MONEY_RATE_SCALE_DIGITS + c->to_exp - c->from_exp);
        mpz_mul(g.num, g.a, g.t);
        z_set_u128(g.den, c->rate);
    }
}

static void check_convert_call(const struct convert_case *c, enum money_quote_side side,
                               enum money_rounding mode, const struct outcome *want)
{
    struct money_asset from;
    struct money_asset to;
    make_asset(&from, "SRC", c->from_exp);
    make_asset(&to, "DST", c->to_exp);
    const struct money_rate rate = {c->rate};
    struct outcome got = {TPW_OK, 0};
    got.err = money_convert(c->amount, &from, &to, rate, side, mode, &got.value);
    g_calls[g_family]++;
    if (!outcome_equal(want, &got)) {
        char inputs[INPUTS_SIZE];
        describe_convert(inputs, c, side, mode);
        fail_outcome(inputs, want, &got);
    }
}

static void check_convert(const struct convert_case *c)
{
    static const enum money_quote_side sides[2] = {MONEY_RATE_TO_PER_FROM, MONEY_RATE_FROM_PER_TO};
    for (size_t s = 0; s < 2; s++) {
        struct outcome want[4];
        if (c->rate == 0) {
            for (size_t i = 0; i < 4; i++) {
                want[i] = (struct outcome){TPW_ERR_RATE_ZERO, 0};
            }
        } else {
            convert_terms(c, sides[s]);
            oracle_divide(g.num, g.den, want);
        }
        for (size_t i = 0; i < 4; i++) {
            check_convert_call(c, sides[s], all_modes[i], &want[i]);
        }
    }
}

/* Zero, tiny, powers of ten, market-like (10^12..10^27) and boundary rates. */
static tpw_u128 gen_rate(void)
{
    switch (pick(8)) {
    case 0:
        return one_in(8) ? 0 : 1 + pick(1000);
    case 1:
        return pow10_u128(pick(37));
    case 2:
    case 3:
        return rand_width(40 + pick(51));
    default:
        return gen_value();
    }
}

/* The amount whose converted value lies within a few units of 2^128 on one side. */
static void aim_at_top(struct convert_case *c)
{
    const enum money_quote_side side = one_in(2) ? MONEY_RATE_TO_PER_FROM : MONEY_RATE_FROM_PER_TO;
    c->amount = 1;
    convert_terms(c, side);
    mpz_mul_2exp(g.t, g.den, 128);
    mpz_tdiv_q(g.t, g.t, g.num);
    mpz_add_ui(g.t, g.t, pick(5));
    if (mpz_cmp_ui(g.t, 2) >= 0) {
        mpz_sub_ui(g.t, g.t, 2);
    }
    if (!z_get_u128(g.t, &c->amount)) {
        c->amount = TPW_U128_MAX - pick(3);
    }
}

static void gen_convert(struct convert_case *c)
{
    c->from_exp = asset_exponents[pick(7)];
    c->to_exp = asset_exponents[pick(7)];
    c->rate = gen_rate();
    c->amount = one_in(2) ? gen_value() : rand_width(1 + pick(100));
    if (c->rate != 0 && one_in(4)) {
        aim_at_top(c);
    }
}

/* Unknown side or rounding: INVALID_ARGUMENT, with values too small for other errors. */
static void check_convert_bad_args(void)
{
    const struct convert_case c = {1 + pick(1000), asset_exponents[pick(7)],
                                   asset_exponents[pick(7)], 1 + pick(1000)};
    const struct outcome want = {TPW_ERR_INVALID_ARGUMENT, 0};
    check_convert_call(&c, (enum money_quote_side)0, MONEY_ROUND_DOWN, &want);
    check_convert_call(&c, (enum money_quote_side)3, MONEY_ROUND_DOWN, &want);
    check_convert_call(&c, MONEY_RATE_TO_PER_FROM, (enum money_rounding)0, &want);
    check_convert_call(&c, MONEY_RATE_FROM_PER_TO, (enum money_rounding)5, &want);
}

static void test_convert(void **state)
{
    (void)state;
    g_family = FAM_CONVERT;
    tpw_prng_seed(&g_prng, g_seed ^ 0x5555555555555555u);
    for (g_index = 0; g_index < CONVERT_TUPLES; g_index++) {
        struct convert_case c;
        gen_convert(&c);
        check_convert(&c);
        if (one_in(1024)) {
            check_convert_bad_args();
        }
        g_tuples[g_family]++;
    }
}

/* ------------------------------------------------------------------------------------
 * money_fee_compute
 * ------------------------------------------------------------------------------------ */

/*
 * fee = clamp(fixed + ceil(amount * bps / 10000), min, max). The header lists
 * TPW_ERR_OVERFLOW, and the only quantity that can exceed 128 bits is the unclamped sum
 * (the proportional part is at most the amount), so overflow is expected exactly when
 * fixed + proportional > 2^128 - 1, even if max would have clamped it.
 */
static struct outcome reference_fee(const struct money_fee_schedule *s, tpw_u128 amount)
{
    struct outcome o = {TPW_ERR_FEE_INVALID, 0};
    if (s->proportional_bps > MONEY_BPS_ONE || s->min_minor > s->max_minor) {
        return o;
    }
    z_set_u128(g.a, amount);
    mpz_mul_ui(g.num, g.a, s->proportional_bps);
    mpz_cdiv_q_ui(g.q, g.num, MONEY_BPS_ONE);
    z_set_u128(g.t, s->fixed_minor);
    mpz_add(g.out, g.q, g.t);
    o = outcome_of(g.out);
    if (o.err == TPW_OK) {
        o.value = o.value < s->min_minor ? s->min_minor : o.value;
        o.value = o.value > s->max_minor ? s->max_minor : o.value;
    }
    return o;
}

static void describe_fee(char *inputs, const struct money_fee_schedule *s, tpw_u128 amount)
{
    char fixed[TPW_U128_DEC_SIZE + 2];
    char min[TPW_U128_DEC_SIZE + 2];
    char max[TPW_U128_DEC_SIZE + 2];
    char am[TPW_U128_DEC_SIZE + 2];
    dec(s->fixed_minor, fixed);
    dec(s->min_minor, min);
    dec(s->max_minor, max);
    dec(amount, am);
    snprintf(inputs, INPUTS_SIZE,
             "money_fee_compute(fixed %s, bps %" PRIu32 ", min %s, max %s; amount %s)", fixed,
             s->proportional_bps, min, max, am);
}

static void check_fee(const struct money_fee_schedule *s, tpw_u128 amount,
                      const struct outcome *want)
{
    struct tpw_error_detail detail;
    memset(&detail, 0, sizeof(detail));
    struct outcome got = {TPW_OK, 0};
    got.err = money_fee_compute(s, amount, &got.value, &detail);
    g_calls[g_family]++;
    if (!outcome_equal(want, &got)) {
        char inputs[INPUTS_SIZE];
        describe_fee(inputs, s, amount);
        fail_outcome(inputs, want, &got);
    }
}

static tpw_u128 gen_fee_bound(void)
{
    return one_in(2) ? pick(1000) : gen_value();
}

/* fixed = 2^128 - 1 - proportional ± 2: the sum lands on the 128-bit edge. */
static void aim_fixed_at_top(struct money_fee_schedule *s, tpw_u128 amount)
{
    z_set_u128(g.a, amount);
    mpz_mul_ui(g.num, g.a, s->proportional_bps);
    mpz_cdiv_q_ui(g.q, g.num, MONEY_BPS_ONE);
    mpz_sub(g.t, g.max, g.q);
    mpz_add_ui(g.t, g.t, pick(5));
    if (mpz_cmp_ui(g.t, 2) >= 0) {
        mpz_sub_ui(g.t, g.t, 2);
    }
    if (!z_get_u128(g.t, &s->fixed_minor)) {
        s->fixed_minor = TPW_U128_MAX;
    }
}

static void gen_fee(struct money_fee_schedule *s, tpw_u128 *amount)
{
    static const uint32_t bps_edges[5] = {0, 1, 5000, 9999, MONEY_BPS_ONE};
    *amount = gen_value();
    s->proportional_bps = one_in(2) ? bps_edges[pick(5)] : (uint32_t)pick(MONEY_BPS_ONE + 1);
    switch (pick(8)) {
    case 0:
    case 1:
        s->fixed_minor = 0;
        break;
    case 2:
    case 3:
    case 4:
        s->fixed_minor = pick(1000);
        break;
    case 5:
        s->fixed_minor = TPW_U128_MAX - pick(1000);
        break;
    default:
        s->fixed_minor = gen_value();
        break;
    }
    tpw_u128 lo = gen_fee_bound();
    tpw_u128 hi = gen_fee_bound();
    if (lo > hi) {
        const tpw_u128 swap = lo;
        lo = hi;
        hi = swap;
    }
    s->min_minor = one_in(4) ? 0 : lo;
    s->max_minor = one_in(4) ? TPW_U128_MAX : hi;
    if (one_in(8)) {
        aim_fixed_at_top(s, *amount);
    }
}

/* Invalid schedules with small values, so FEE_INVALID has no competing error. */
static void gen_invalid_fee(struct money_fee_schedule *s, tpw_u128 *amount)
{
    *amount = pick(1000);
    s->fixed_minor = pick(1000);
    s->proportional_bps = (uint32_t)pick(MONEY_BPS_ONE + 1);
    s->min_minor = 0;
    s->max_minor = TPW_U128_MAX;
    if (one_in(2)) {
        s->proportional_bps = MONEY_BPS_ONE + 1 + (uint32_t)pick(100000);
    } else {
        s->max_minor = pick(1000);
        s->min_minor = s->max_minor + 1 + pick(10);
    }
}

static void test_fee(void **state)
{
    (void)state;
    g_family = FAM_FEE;
    tpw_prng_seed(&g_prng, g_seed ^ 0x6666666666666666u);
    for (g_index = 0; g_index < FEE_TUPLES; g_index++) {
        struct money_fee_schedule s;
        tpw_u128 amount = 0;
        memset(&s, 0, sizeof(s));
        if (one_in(256)) {
            gen_invalid_fee(&s, &amount);
        } else {
            gen_fee(&s, &amount);
        }
        struct outcome want = reference_fee(&s, amount);
        check_fee(&s, amount, &want);
        if (one_in(64)) {
            /* The no-fee schedule charges nothing on any amount. */
            s = money_fee_none();
            want = (struct outcome){TPW_OK, 0};
            check_fee(&s, amount, &want);
        }
        g_tuples[g_family]++;
    }
}

/* ------------------------------------------------------------------------------------
 * money_amount_add / money_amount_sub
 * ------------------------------------------------------------------------------------ */

static void check_addsub_call(bool add, tpw_u128 a, tpw_u128 b, const struct outcome *want)
{
    struct outcome got = {TPW_OK, 0};
    got.err = add ? money_amount_add(a, b, &got.value) : money_amount_sub(a, b, &got.value);
    g_calls[g_family]++;
    if (!outcome_equal(want, &got)) {
        char as[TPW_U128_DEC_SIZE + 2];
        char bs[TPW_U128_DEC_SIZE + 2];
        char inputs[INPUTS_SIZE];
        dec(a, as);
        dec(b, bs);
        snprintf(inputs, INPUTS_SIZE, "%s(a %s, b %s)",
                 add ? "money_amount_add" : "money_amount_sub", as, bs);
        fail_outcome(inputs, want, &got);
    }
}

static void check_addsub(tpw_u128 a, tpw_u128 b)
{
    z_set_u128(g.a, a);
    z_set_u128(g.b, b);
    mpz_add(g.out, g.a, g.b);
    struct outcome want = outcome_of(g.out);
    check_addsub_call(true, a, b, &want);
    mpz_sub(g.out, g.a, g.b);
    want = outcome_of(g.out);
    if (mpz_sgn(g.out) < 0) {
        want.err = TPW_ERR_UNDERFLOW;
    }
    check_addsub_call(false, a, b, &want);
}

static void test_addsub(void **state)
{
    (void)state;
    g_family = FAM_ADDSUB;
    tpw_prng_seed(&g_prng, g_seed ^ 0x7777777777777777u);
    for (g_index = 0; g_index < ADDSUB_TUPLES; g_index++) {
        tpw_u128 a = gen_value();
        tpw_u128 b = 0;
        /* Pairs around a + b = 2^128 - 1 and a - b = 0, where carries and borrows flip;
         * the arithmetic wraps on purpose, to build those pairs from any a. */
        switch (pick(4)) {
        case 0:
            b = gen_value();
            break;
        case 1:
            b = TPW_U128_MAX - a + pick(5) - 2;
            break;
        case 2:
            b = a + pick(5) - 2;
            break;
        default:
            b = pick(17);
            break;
        }
        if (one_in(2)) {
            const tpw_u128 swap = a;
            a = b;
            b = swap;
        }
        check_addsub(a, b);
        g_tuples[g_family]++;
    }
}

/* ------------------------------------------------------------------------------------
 * Totals, setup, main
 * ------------------------------------------------------------------------------------ */

/* Runs last: the acceptance floor is counted, not assumed from the constants. */
static void test_case_totals(void **state)
{
    (void)state;
    uint64_t tuples = 0;
    uint64_t calls = 0;
    for (size_t f = 0; f < FAM_COUNT; f++) {
        printf("test_money_gmp: %-14s %8" PRIu64 " cases, %8" PRIu64 " calls checked\n",
               family_names[f], g_tuples[f], g_calls[f]);
        tuples += g_tuples[f];
        calls += g_calls[f];
    }
    printf("test_money_gmp: %-14s %8" PRIu64 " cases, %8" PRIu64 " calls checked\n", "total",
           tuples, calls);
    assert_true(tuples >= REQUIRED_TUPLES);
}

static void init_top_ties(void)
{
    mpz_t n;
    mpz_init(n);
    g_top_tie_count = 0;
    for (unsigned j = 0; j < 64 && g_top_tie_count < TOP_TIES_MAX; j++) {
        mpz_set_ui(n, 1);
        mpz_mul_2exp(n, n, 129);
        mpz_sub_ui(n, n, 1 + 2 * (unsigned long)j);
        for (unsigned long k = 3; k < 10000; k += 2) {
            if (mpz_divisible_ui_p(n, k)) {
                mpz_divexact_ui(g.t, n, k);
                g_top_ties[g_top_tie_count].k = k;
                (void)z_get_u128(g.t, &g_top_ties[g_top_tie_count].rest);
                g_top_tie_count++;
                break;
            }
        }
    }
    mpz_clear(n);
}

static int group_setup(void **state)
{
    (void)state;
    mpz_inits(g.a, g.b, g.num, g.den, g.q, g.r, g.t, g.out, g.twice, g.max, NULL);
    mpz_set_ui(g.max, 1);
    mpz_mul_2exp(g.max, g.max, 128);
    mpz_sub_ui(g.max, g.max, 1);
    init_top_ties();
    /* 2^129 - 1 itself is divisible by 7, so the table is never empty. */
    return g_top_tie_count > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    mpz_clears(g.a, g.b, g.num, g.den, g.q, g.r, g.t, g.out, g.twice, g.max, NULL);
    return 0;
}

int main(void)
{
    g_seed = tpw_test_seed("test_money_gmp", 20240611u);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal_format), cmocka_unit_test(test_decimal_parse),
        cmocka_unit_test(test_rate),           cmocka_unit_test(test_muldiv),
        cmocka_unit_test(test_convert),        cmocka_unit_test(test_fee),
        cmocka_unit_test(test_addsub),         cmocka_unit_test(test_case_totals),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
