/*
 * Unit tests for 128-bit identifiers (include/tpwallet/id.h): the `<prefix>_<base32>`
 * text form and the time-ordered generator.
 *
 * Identifiers cross every API boundary, so the parser is tested as hard as the
 * formatter: Crockford aliases and case, values past 128 bits, wrong lengths and
 * prefixes, decimal integers, embedded NULs, and the byte offset reported for the bad
 * character. The expected base32 strings were computed by an independent encoder. The
 * generator runs on a manual clock so its ordering guarantees (same millisecond,
 * clock stepping backwards, exhausted random bits) and its determinism are exact.
 */
#include "tpw_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tpwallet/clock.h"
#include "tpwallet/id.h"
#include "tpwallet/prng.h"
#include "tpwallet/u128.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
/* A string literal and its length, which may include embedded NULs ("\000" is one NUL). */
#define LIT(s) (s), (sizeof(s) - 1)
/* No offset check for this case. */
#define ANY_OFFSET SIZE_MAX

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const tpw_u128 random80_max = (((tpw_u128)1) << 80) - 1;

struct edge_id {
    tpw_u128 value;
    const char *base32;
};

static const struct edge_id edge_ids[] = {
    {0, "00000000000000000000000000"},
    {1, "00000000000000000000000001"},
    {31, "0000000000000000000000000Z"},
    {32, "00000000000000000000000010"},
    {(((tpw_u128)1) << 80) - 1, "0000000000ZZZZZZZZZZZZZZZZ"},
    {TPW_U128(0x0123456789abcdef, 0x0123456789abcdef), "014D2PF2DBSQQG28T5CY4TQKFF"},
    {(((tpw_u128)UINT64_C(1764063000125)) << 80) | 12345, "01KAX5JDHX0000000000000C1S"},
    {TPW_U128_MAX, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"},
};

static bool is_crockford_digit(char c)
{
    return c != '\0' && strchr(crockford, c) != NULL;
}

/* Checks the shape of `<prefix>_<26 digits>` and parses it back. */
static void check_formatted(tpw_u128 id, const char *prefix)
{
    char buf[TPW_ID_TEXT_SIZE];
    size_t prefix_len = strlen(prefix);
    size_t length = tpw_id_format(id, prefix, buf, sizeof(buf));
    assert_int_equal(length, prefix_len + 1 + TPW_ID_BASE32_LEN);
    assert_int_equal(strlen(buf), length);
    assert_memory_equal(buf, prefix, prefix_len);
    assert_int_equal(buf[prefix_len], '_');
    for (size_t i = prefix_len + 1; i < length; i++) {
        if (!is_crockford_digit(buf[i])) {
            fail_msg("\"%s\" has non-Crockford character '%c'", buf, buf[i]);
        }
    }
    tpw_u128 parsed = 0;
    assert_err(tpw_id_parse(buf, length, prefix, &parsed, NULL), TPW_OK);
    assert_u128_equal(parsed, id);
}

static void test_format_edges(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(edge_ids); i++) {
        char buf[TPW_ID_TEXT_SIZE];
        char expected[TPW_ID_TEXT_SIZE];
        (void)snprintf(expected, sizeof(expected), "tr_%s", edge_ids[i].base32);
        assert_int_equal(tpw_id_format(edge_ids[i].value, "tr", buf, sizeof(buf)), 29);
        assert_string_equal(buf, expected);
        check_formatted(edge_ids[i].value, "tr");
        check_formatted(edge_ids[i].value, "a");
        check_formatted(edge_ids[i].value, "abcdefgh");

        /* Lowercase base32 reads the same, with and without an expected prefix. */
        char lower[TPW_ID_TEXT_SIZE];
        (void)snprintf(lower, sizeof(lower), "tr_%s", edge_ids[i].base32);
        for (char *p = lower + 3; *p != '\0'; p++) {
            if (*p >= 'A' && *p <= 'Z') {
                *p = (char)(*p - 'A' + 'a');
            }
        }
        tpw_u128 parsed = 0;
        assert_err(tpw_id_parse(lower, strlen(lower), "tr", &parsed, NULL), TPW_OK);
        assert_u128_equal(parsed, edge_ids[i].value);
        parsed = 0;
        assert_err(tpw_id_parse(lower, strlen(lower), NULL, &parsed, NULL), TPW_OK);
        assert_u128_equal(parsed, edge_ids[i].value);
    }
}

/* The largest id uses only the low 3 bits of the first digit. */
static void test_format_max_first_digit(void **state)
{
    (void)state;
    char buf[TPW_ID_TEXT_SIZE];
    assert_int_equal(tpw_id_format(TPW_U128_MAX, "acct", buf, sizeof(buf)), 31);
    assert_int_equal(buf[5], '7');
    assert_int_equal(tpw_id_format(TPW_U128_MAX >> 1, "acct", buf, sizeof(buf)), 31);
    assert_int_equal(buf[5], '3');
}

static void test_format_random_round_trip(void **state)
{
    (void)state;
    static const char *const prefixes[] = {"a", "tr", "qt", "pay", "acct", "abcdefgh"};
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_base_id", 80128));
    for (unsigned i = 0; i < 10000; i++) {
        uint64_t high = tpw_prng_next(&prng);
        uint64_t low = tpw_prng_next(&prng);
        unsigned shift = (unsigned)tpw_prng_below(&prng, 128);
        tpw_u128 id = TPW_U128(high, low) >> shift;
        check_formatted(id, prefixes[tpw_prng_below(&prng, COUNT(prefixes))]);
    }
}

static void test_format_rejects_bad_prefix(void **state)
{
    (void)state;
    static const char *const bad[] = {
        NULL, "",   "Tr",  "TR",  "toolongprefix", "abcdefghi",
        "a1", "a_", "tr ", " tr", "t-r",           "\xc3\xa9",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        char buf[64];
        memset(buf, '#', sizeof(buf));
        assert_int_equal(tpw_id_format(1, bad[i], buf, sizeof(buf)), 0);
    }
}

static void test_format_buffer_sizes(void **state)
{
    (void)state;
    static const char *const prefixes[] = {"t", "tr", "abcdefgh"};
    for (size_t p = 0; p < COUNT(prefixes); p++) {
        size_t length = strlen(prefixes[p]) + 1 + TPW_ID_BASE32_LEN;
        for (size_t size = 0; size <= length + 1; size++) {
            char buf[TPW_ID_TEXT_SIZE + 8];
            memset(buf, '#', sizeof(buf));
            size_t got = tpw_id_format(TPW_U128_MAX, prefixes[p], buf, size);
            assert_int_equal(got, size > length ? length : 0);
            for (size_t j = size; j < sizeof(buf); j++) {
                if (buf[j] != '#') {
                    fail_msg("prefix %s, size %zu: byte %zu was written", prefixes[p], size, j);
                }
            }
        }
    }
    /* TPW_ID_TEXT_SIZE fits the longest prefix exactly. */
    char buf[TPW_ID_TEXT_SIZE];
    assert_int_equal(tpw_id_format(0, "abcdefgh", buf, sizeof(buf)), TPW_ID_TEXT_SIZE - 1);
}

static void test_prefix_valid(void **state)
{
    (void)state;
    static const struct {
        const char *prefix;
        bool valid;
    } cases[] = {
        {"a", true},        {"z", true},         {"tr", true},         {"acct", true},
        {"abcdefgh", true}, {"", false},         {"abcdefghi", false}, {"Tr", false},
        {"tR", false},      {"a1", false},       {"1a", false},        {"a_", false},
        {"_", false},       {"a b", false},      {"`", false},         {"{", false},
        {"@", false},       {"\xc3\xa9", false},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        if (tpw_id_prefix_valid(cases[i].prefix) != cases[i].valid) {
            fail_msg("tpw_id_prefix_valid(\"%s\") should be %d", cases[i].prefix, cases[i].valid);
        }
    }
}

struct parse_case {
    const char *text;
    size_t text_len;
    const char *expected_prefix;
    enum tpw_err err;
    tpw_u128 value;      /* when err is TPW_OK */
    size_t offset_bytes; /* when err is not TPW_OK, unless ANY_OFFSET */
};

static const struct parse_case parse_cases[] = {
    /* Canonical and case-insensitive forms. */
    {LIT("tr_00000000000000000000000000"), "tr", TPW_OK, 0, 0},
    {LIT("tr_7ZZZZZZZZZZZZZZZZZZZZZZZZZ"), "tr", TPW_OK, TPW_U128_MAX, 0},
    {LIT("tr_7zzzzzzzzzzzzzzzzzzzzzzzzz"), "tr", TPW_OK, TPW_U128_MAX, 0},
    {LIT("tr_014d2PF2dbsqqG28T5cy4tqkff"), "tr", TPW_OK,
     TPW_U128(0x0123456789abcdef, 0x0123456789abcdef), 0},
    /* Crockford aliases: I, i, L, l read as 1; O, o read as 0. */
    {LIT("tr_0000000000000000000000000I"), "tr", TPW_OK, 1, 0},
    {LIT("tr_0000000000000000000000000i"), "tr", TPW_OK, 1, 0},
    {LIT("tr_0000000000000000000000000L"), "tr", TPW_OK, 1, 0},
    {LIT("tr_0000000000000000000000000l"), "tr", TPW_OK, 1, 0},
    {LIT("tr_OOOOOOOOOOOOOOOOOOOOOOOOOO"), "tr", TPW_OK, 0, 0},
    {LIT("tr_oooooooooooooooooooooooooo"), "tr", TPW_OK, 0, 0},
    {LIT("tr_0000000000000000000000001O"), "tr", TPW_OK, 32, 0},
    {LIT("tr_000000000000000000000000iL"), "tr", TPW_OK, 33, 0},
    /* Any valid prefix when none is expected. */
    {LIT("acct_0000000000000000000000000Z"), NULL, TPW_OK, 31, 0},
    {LIT("a_0000000000000000000000000Z"), NULL, TPW_OK, 31, 0},
    {LIT("abcdefgh_0000000000000000000000000Z"), NULL, TPW_OK, 31, 0},
    /* Only text_len bytes are read. */
    {"tr_00000000000000000000000001xyz", 29, "tr", TPW_OK, 1, 0},
    {"tr_000000000000000000000000010", 29, "tr", TPW_OK, 1, 0},
    {"12345abc", 5, NULL, TPW_OK, 12345, 0},
    /* Decimal integers, with or without an expected prefix. */
    {LIT("0"), NULL, TPW_OK, 0, 0},
    {LIT("12345"), "tr", TPW_OK, 12345, 0},
    {LIT("340282366920938463463374607431768211455"), NULL, TPW_OK, TPW_U128_MAX, 0},
    {LIT("00000000000000000000000001"), "tr", TPW_OK, 1, 0}, /* 26 digits: decimal */
    /* 'U' is not a Crockford digit; the offset points at the bad character. */
    {LIT("tr_U0000000000000000000000000"), "tr", TPW_ERR_ID_INVALID, 0, 3},
    {LIT("tr_0000000000000U000000000000"), "tr", TPW_ERR_ID_INVALID, 0, 16},
    {LIT("tr_0000000000000000000000000u"), "tr", TPW_ERR_ID_INVALID, 0, 28},
    {LIT("acct_00000000000000000000000U00"), NULL, TPW_ERR_ID_INVALID, 0, 28},
    {LIT("tr_0000000000000-000000000000"), "tr", TPW_ERR_ID_INVALID, 0, 16},
    {LIT("tr_0000000000000_000000000000"), "tr", TPW_ERR_ID_INVALID, 0, 16},
    {LIT("tr_0000000000000 000000000000"), "tr", TPW_ERR_ID_INVALID, 0, 16},
    {LIT("tr_0000000000000*000000000000"), "tr", TPW_ERR_ID_INVALID, 0, 16},
    {LIT("tr_0000000000000\303000000000000"), "tr", TPW_ERR_ID_INVALID, 0, 16},
    {LIT("tr_0000000000000\000000000000000"), "tr", TPW_ERR_ID_INVALID, 0, 16},
    /* A first digit above 7 means more than 128 bits. */
    {LIT("tr_80000000000000000000000000"), "tr", TPW_ERR_ID_INVALID, 0, 3},
    {LIT("tr_ZZZZZZZZZZZZZZZZZZZZZZZZZZ"), "tr", TPW_ERR_ID_INVALID, 0, 3},
    {LIT("tr_z0000000000000000000000000"), "tr", TPW_ERR_ID_INVALID, 0, 3},
    {LIT("tr_l0000000000000000000000000"), "tr", TPW_OK, TPW_U128(1, 0) << 61, 0},
    /* Wrong number of base32 digits. */
    {LIT("tr_"), "tr", TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("tr_0000000000000000000000001"), "tr", TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("tr_000000000000000000000000001"), "tr", TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {"tr_00000000000000000000000001", 28, "tr", TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("014D2PF2DBSQQG28T5CY4TQKFF"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    /* Missing underscore or malformed prefix. */
    {LIT("tr00000000000000000000000001"), "tr", TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("tr-00000000000000000000000001"), "tr", TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("Tr_00000000000000000000000001"), "tr", TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("TR_00000000000000000000000001"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("a1_00000000000000000000000001"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("_00000000000000000000000001"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("abcdefghi_00000000000000000000000001"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("toolongprefix_00000000000000000000000001"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT(" tr_00000000000000000000000001"), "tr", TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    /* A valid prefix, but not the expected one. */
    {LIT("qt_00000000000000000000000001"), "tr", TPW_ERR_ID_PREFIX, 0, ANY_OFFSET},
    {LIT("t_00000000000000000000000001"), "tr", TPW_ERR_ID_PREFIX, 0, ANY_OFFSET},
    {LIT("tra_00000000000000000000000001"), "tr", TPW_ERR_ID_PREFIX, 0, ANY_OFFSET},
    {LIT("acct_00000000000000000000000001"), "tr", TPW_ERR_ID_PREFIX, 0, ANY_OFFSET},
    /* Neither form. */
    {LIT(""), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {"12345", 0, "tr", TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("340282366920938463463374607431768211456"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("1000000000000000000000000000000000000000"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("-1"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("+1"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT(" 1"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("1 "), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("1.0"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
    {LIT("12\0"), NULL, TPW_ERR_ID_INVALID, 0, ANY_OFFSET},
};

static void test_parse_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(parse_cases); i++) {
        const struct parse_case *c = &parse_cases[i];
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        tpw_u128 out = 0;
        enum tpw_err err = tpw_id_parse(c->text, c->text_len, c->expected_prefix, &out, &detail);
        if (err != c->err) {
            fail_msg("case %zu \"%.*s\": got %s, expected %s (%s)", i, (int)c->text_len, c->text,
                     tpw_err_name(err), tpw_err_name(c->err), detail.message);
        }
        /* The same result without a detail. */
        tpw_u128 out_no_detail = 0;
        assert_err(tpw_id_parse(c->text, c->text_len, c->expected_prefix, &out_no_detail, NULL),
                   c->err);
        if (c->err == TPW_OK) {
            assert_u128_equal(out, c->value);
            assert_u128_equal(out_no_detail, c->value);
            continue;
        }
        assert_err(detail.code, c->err);
        assert_true(detail.message[0] != '\0');
        if (c->offset_bytes != ANY_OFFSET && detail.offset_bytes != c->offset_bytes) {
            fail_msg("case %zu \"%.*s\": offset %zu, expected %zu", i, (int)c->text_len, c->text,
                     detail.offset_bytes, c->offset_bytes);
        }
        assert_true(detail.offset_bytes <= c->text_len);
    }
}

/*
 * A prefix is 1..8 lowercase letters and the text is read by length, so a NUL inside
 * the prefix makes it invalid. An earlier parser copied the prefix into a C string and
 * checked it with strlen/strcmp, so "t\0_..." read as prefix "t" and was accepted
 * (two different inputs parsing to the same id).
 */
static void test_parse_nul_in_prefix(void **state)
{
    (void)state;
    static const char text[] = "t\0_00000000000000000000000001";
    tpw_u128 out = 0;
    assert_err(tpw_id_parse(text, sizeof(text) - 1, "t", &out, NULL), TPW_ERR_ID_INVALID);
    assert_err(tpw_id_parse(text, sizeof(text) - 1, NULL, &out, NULL), TPW_ERR_ID_INVALID);
}

/* --- Generator ---------------------------------------------------------------------- */

#define NS_PER_MS UINT64_C(1000000)
/* 2025-11-25T09:30:00.125Z */
#define START_NS UINT64_C(1764063000125000000)

static void test_gen_same_millisecond(void **state)
{
    (void)state;
    uint64_t now_ns = START_NS + 999999; /* the last nanosecond of the millisecond */
    struct tpw_prng prng;
    tpw_prng_seed(&prng, 1);
    struct tpw_id_gen gen;
    tpw_id_gen_init(&gen, tpw_clock_manual(&now_ns), &prng);

    tpw_u128 previous = tpw_id_gen_next(&gen);
    assert_int_equal(tpw_id_time_ms(previous), START_NS / NS_PER_MS);
    for (unsigned i = 1; i < 10000; i++) {
        tpw_u128 id = tpw_id_gen_next(&gen);
        if (!(id > previous)) {
            fail_msg("id %u is not greater than the one before", i);
        }
        assert_int_equal(tpw_id_time_ms(id), START_NS / NS_PER_MS);
        previous = id;
    }
}

static void test_gen_clock_advances(void **state)
{
    (void)state;
    uint64_t now_ns = START_NS;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, 2);
    struct tpw_id_gen gen;
    tpw_id_gen_init(&gen, tpw_clock_manual(&now_ns), &prng);

    tpw_u128 previous = tpw_id_gen_next(&gen);
    static const uint64_t steps_ns[] = {1,
                                        NS_PER_MS - 1,
                                        NS_PER_MS,
                                        2 * NS_PER_MS + 5,
                                        UINT64_C(1000000000),
                                        UINT64_C(86400000000000)};
    for (size_t i = 0; i < COUNT(steps_ns); i++) {
        now_ns += steps_ns[i];
        tpw_u128 id = tpw_id_gen_next(&gen);
        assert_true(id > previous);
        assert_int_equal(tpw_id_time_ms(id), now_ns / NS_PER_MS);
        previous = id;
    }
}

static void test_gen_clock_steps_backwards(void **state)
{
    (void)state;
    uint64_t now_ns = START_NS;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, 3);
    struct tpw_id_gen gen;
    tpw_id_gen_init(&gen, tpw_clock_manual(&now_ns), &prng);

    tpw_u128 previous = tpw_id_gen_next(&gen);
    uint64_t last_ms = START_NS / NS_PER_MS;
    static const uint64_t back_ns[] = {NS_PER_MS, 1, UINT64_C(5000000000), UINT64_C(3600000000000)};
    for (size_t i = 0; i < COUNT(back_ns); i++) {
        now_ns = START_NS - back_ns[i];
        for (unsigned j = 0; j < 100; j++) {
            tpw_u128 id = tpw_id_gen_next(&gen);
            assert_true(id > previous);
            assert_int_equal(tpw_id_time_ms(id), last_ms);
            previous = id;
        }
    }
    /* Back to the original time: still the same millisecond, still increasing. */
    now_ns = START_NS;
    tpw_u128 id = tpw_id_gen_next(&gen);
    assert_true(id > previous);
    assert_int_equal(tpw_id_time_ms(id), last_ms);
    /* Past it: the new time is used. */
    now_ns = START_NS + NS_PER_MS;
    previous = id;
    id = tpw_id_gen_next(&gen);
    assert_true(id > previous);
    assert_int_equal(tpw_id_time_ms(id), last_ms + 1);
}

static void test_gen_random_bits_exhausted(void **state)
{
    (void)state;
    uint64_t now_ns = START_NS;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, 4);
    struct tpw_id_gen gen;
    tpw_id_gen_init(&gen, tpw_clock_manual(&now_ns), &prng);
    uint64_t start_ms = START_NS / NS_PER_MS;

    tpw_u128 first = tpw_id_gen_next(&gen);
    assert_int_equal(tpw_id_time_ms(first), start_ms);
    gen.last_random = random80_max;

    /* Same millisecond, no random bits left: the timestamp moves one millisecond on. */
    tpw_u128 id = tpw_id_gen_next(&gen);
    assert_true(id > first);
    assert_int_equal(tpw_id_time_ms(id), start_ms + 1);
    assert_int_equal(gen.last_ms, start_ms + 1);

    /* The clock is now behind the generator: the borrowed millisecond is kept. */
    tpw_u128 previous = id;
    id = tpw_id_gen_next(&gen);
    assert_true(id > previous);
    assert_int_equal(tpw_id_time_ms(id), start_ms + 1);

    /* Exhausted again while the clock is behind: another millisecond on. */
    gen.last_random = random80_max;
    previous = id;
    id = tpw_id_gen_next(&gen);
    assert_true(id > previous);
    assert_int_equal(tpw_id_time_ms(id), start_ms + 2);

    /* The clock catches up and passes. */
    now_ns = START_NS + 3 * NS_PER_MS;
    previous = id;
    id = tpw_id_gen_next(&gen);
    assert_true(id > previous);
    assert_int_equal(tpw_id_time_ms(id), start_ms + 3);

    /* One below the limit still increments in place. */
    gen.last_random = random80_max - 1;
    previous = id;
    id = tpw_id_gen_next(&gen);
    assert_true(id > previous);
    assert_int_equal(tpw_id_time_ms(id), start_ms + 3);
    assert_u128_equal(id & random80_max, random80_max);
}

/* Runs a fixed script of clock moves and records the ids. */
static void run_script(uint64_t seed, tpw_u128 *ids, size_t count)
{
    static const int64_t moves_ns[] = {0, 0, 1, 1000000, 0, -2000000, 7000000, 0, 123456789, -1};
    uint64_t now_ns = START_NS;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, seed);
    struct tpw_id_gen gen;
    tpw_id_gen_init(&gen, tpw_clock_manual(&now_ns), &prng);
    for (size_t i = 0; i < count; i++) {
        int64_t move = moves_ns[i % COUNT(moves_ns)];
        now_ns = move >= 0 ? now_ns + (uint64_t)move : now_ns - (uint64_t)-move;
        ids[i] = tpw_id_gen_next(&gen);
    }
}

static void test_gen_deterministic(void **state)
{
    (void)state;
    enum { IDS = 1000 };
    static tpw_u128 a[IDS];
    static tpw_u128 b[IDS];
    static tpw_u128 c[IDS];
    run_script(42, a, IDS);
    run_script(42, b, IDS);
    run_script(43, c, IDS);
    for (size_t i = 0; i < IDS; i++) {
        assert_u128_equal(a[i], b[i]);
        if (i > 0) {
            assert_true(a[i] > a[i - 1]);
        }
    }
    /* A different seed changes the random bits (a collision has probability 2^-80). */
    assert_true(a[0] != c[0]);
    assert_int_equal(tpw_id_time_ms(a[0]), tpw_id_time_ms(c[0]));
}

static void test_id_time_ms(void **state)
{
    (void)state;
    assert_int_equal(tpw_id_time_ms(0), 0);
    assert_int_equal(tpw_id_time_ms(random80_max), 0);
    assert_int_equal(tpw_id_time_ms(random80_max + 1), 1);
    assert_int_equal(tpw_id_time_ms(TPW_U128_MAX), TPW_ID_TIME_MS_MAX);
    assert_int_equal(tpw_id_time_ms(edge_ids[6].value), UINT64_C(1764063000125));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_edges),
        cmocka_unit_test(test_format_max_first_digit),
        cmocka_unit_test(test_format_random_round_trip),
        cmocka_unit_test(test_format_rejects_bad_prefix),
        cmocka_unit_test(test_format_buffer_sizes),
        cmocka_unit_test(test_prefix_valid),
        cmocka_unit_test(test_parse_cases),
        cmocka_unit_test(test_parse_nul_in_prefix),
        cmocka_unit_test(test_gen_same_millisecond),
        cmocka_unit_test(test_gen_clock_advances),
        cmocka_unit_test(test_gen_clock_steps_backwards),
        cmocka_unit_test(test_gen_random_bits_exhausted),
        cmocka_unit_test(test_gen_deterministic),
        cmocka_unit_test(test_id_time_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
