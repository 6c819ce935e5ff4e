/*
 * Unit tests for the seeded PRNG (include/tpwallet/prng.h).
 *
 * Every randomized suite and the simulator replay from a seed, so the sequence must be
 * a pure function of the seed; it is pinned here for two seeds so that an accidental
 * change to the generator or its seeding shows up as a failure, not as silently
 * different test inputs. tpw_prng_below is checked for range at awkward bounds, for
 * uniformity, and for the modulo bias it promises to avoid; tpw_prng_seed_os for
 * success and for actually varying.
 */
#include "tpw_test.h"

#include <stdbool.h>

#include "tpwallet/prng.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
/* Fallback seed for the statistical tests; TPW_TEST_SEED overrides it. */
#define SUITE_SEED UINT64_C(20251125)

static const uint64_t seeds[] = {
    0, 1, 2, 42, UINT64_C(0x8000000000000000), UINT64_C(0x9E3779B97F4A7C15), UINT64_MAX,
};

static void test_same_seed_same_sequence(void **state)
{
    (void)state;
    for (size_t s = 0; s < COUNT(seeds); s++) {
        struct tpw_prng a;
        struct tpw_prng b;
        tpw_prng_seed(&a, seeds[s]);
        tpw_prng_seed(&b, seeds[s]);
        uint64_t first = 0;
        for (unsigned i = 0; i < 1000; i++) {
            uint64_t value = tpw_prng_next(&a);
            assert_int_equal(value, tpw_prng_next(&b));
            if (i == 0) {
                first = value;
            }
        }
        /* Re-seeding starts the sequence again. */
        tpw_prng_seed(&a, seeds[s]);
        assert_int_equal(tpw_prng_next(&a), first);
    }
}

static void test_different_seeds_differ(void **state)
{
    (void)state;
    uint64_t firsts[COUNT(seeds)][4];
    for (size_t s = 0; s < COUNT(seeds); s++) {
        struct tpw_prng prng;
        tpw_prng_seed(&prng, seeds[s]);
        for (size_t i = 0; i < 4; i++) {
            firsts[s][i] = tpw_prng_next(&prng);
        }
        /* A sequence does not repeat its first value straight away either. */
        assert_int_not_equal(firsts[s][0], firsts[s][1]);
    }
    for (size_t s = 0; s < COUNT(seeds); s++) {
        for (size_t t = s + 1; t < COUNT(seeds); t++) {
            for (size_t i = 0; i < 4; i++) {
                if (firsts[s][i] == firsts[t][i]) {
                    fail_msg("seeds %zu and %zu agree on output %zu", s, t, i);
                }
            }
        }
    }
}

/*
 * Regression values: the first three outputs for seeds 0 and 42, and the 1000th (the
 * first three do not yet depend on every step of the state update), captured by
 * running this implementation and cross-checked once against an independent
 * transcription of splitmix64 seeding + xoshiro256**. They pin the implementation;
 * they are not an externally published test vector.
 */
static void test_pinned_outputs(void **state)
{
    (void)state;
    static const struct {
        uint64_t seed;
        uint64_t first[3];
        uint64_t thousandth;
    } pins[] = {
        {0,
         {UINT64_C(0x99ec5f36cb75f2b4), UINT64_C(0xbf6e1f784956452a), UINT64_C(0x1a5f849d4933e6e0)},
         UINT64_C(0x7aac8c483a2edd2f)},
        {42,
         {UINT64_C(0x15780b2e0c2ec716), UINT64_C(0x6104d9866d113a7e), UINT64_C(0xae17533239e499a1)},
         UINT64_C(0x8de5848c61ab8968)},
    };
    for (size_t p = 0; p < COUNT(pins); p++) {
        struct tpw_prng prng;
        tpw_prng_seed(&prng, pins[p].seed);
        for (size_t i = 0; i < 1000; i++) {
            uint64_t value = tpw_prng_next(&prng);
            uint64_t pinned = i < 3 ? pins[p].first[i] : pins[p].thousandth;
            if ((i < 3 || i == 999) && value != pinned) {
                fail_msg("seed %llu output %zu is 0x%016llx, pinned 0x%016llx",
                         (unsigned long long)pins[p].seed, i + 1, (unsigned long long)value,
                         (unsigned long long)pinned);
            }
        }
    }
}

static void test_below_stays_below(void **state)
{
    (void)state;
    static const uint64_t bounds[] = {
        1,
        2,
        3,
        10,
        UINT64_C(0x7fffffffffffffff),
        UINT64_C(0x8000000000000000),
        UINT64_C(0x8000000000000001),
        UINT64_C(0xc000000000000000),
        UINT64_MAX - 1,
        UINT64_MAX,
    };
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_base_prng", SUITE_SEED));
    for (size_t b = 0; b < COUNT(bounds); b++) {
        uint64_t bound = bounds[b];
        bool seen[3] = {false, false, false};
        bool seen_upper_half = false;
        for (unsigned i = 0; i < 10000; i++) {
            uint64_t value = tpw_prng_below(&prng, bound);
            if (value >= bound) {
                fail_msg("tpw_prng_below(%llu) returned %llu", (unsigned long long)bound,
                         (unsigned long long)value);
            }
            if (value < 3) {
                seen[value] = true;
            }
            if (value >= bound - bound / 2) {
                seen_upper_half = true;
            }
        }
        /* Small bounds hit every value; large ones reach their upper half. */
        for (uint64_t v = 0; v < 3 && v < bound && bound <= 10; v++) {
            assert_true(seen[v]);
        }
        assert_true(seen_upper_half || bound == 1);
    }
}

/* 100,000 draws below 10: every digit within 5% of its expected 10,000 (> 5 sigma). */
static void test_below_uniform(void **state)
{
    (void)state;
    enum { DRAWS = 100000, BUCKETS = 10 };
    unsigned counts[BUCKETS] = {0};
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_base_prng", SUITE_SEED));
    for (unsigned i = 0; i < DRAWS; i++) {
        counts[tpw_prng_below(&prng, BUCKETS)]++;
    }
    for (unsigned b = 0; b < BUCKETS; b++) {
        assert_in_range(counts[b], DRAWS / BUCKETS * 95 / 100, DRAWS / BUCKETS * 105 / 100);
    }
}

/*
 * For bound = 3 * 2^62, a plain `next % bound` returns values below 2^62 half of the
 * time instead of a third; rejection sampling must give a third.
 */
static void test_below_no_modulo_bias(void **state)
{
    (void)state;
    enum { DRAWS = 30000 };
    const uint64_t bound = UINT64_C(0xc000000000000000);
    const uint64_t quarter = UINT64_C(0x4000000000000000);
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_base_prng", SUITE_SEED));
    unsigned low = 0;
    for (unsigned i = 0; i < DRAWS; i++) {
        if (tpw_prng_below(&prng, bound) < quarter) {
            low++;
        }
    }
    /* Expected 10,000, standard deviation about 82; biased would be 15,000. */
    assert_in_range(low, DRAWS / 3 - 600, DRAWS / 3 + 600);
}

static void test_seed_os(void **state)
{
    (void)state;
    struct tpw_prng a;
    struct tpw_prng b;
    assert_err(tpw_prng_seed_os(&a), TPW_OK);
    assert_err(tpw_prng_seed_os(&b), TPW_OK);
    /* Two 64-bit OS seeds agree with probability 2^-64. */
    bool differ = false;
    for (unsigned i = 0; i < 4; i++) {
        if (tpw_prng_next(&a) != tpw_prng_next(&b)) {
            differ = true;
        }
    }
    assert_true(differ);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_sequence),
        cmocka_unit_test(test_different_seeds_differ),
        cmocka_unit_test(test_pinned_outputs),
        cmocka_unit_test(test_below_stays_below),
        cmocka_unit_test(test_below_uniform),
        cmocka_unit_test(test_below_no_modulo_bias),
        cmocka_unit_test(test_seed_os),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
