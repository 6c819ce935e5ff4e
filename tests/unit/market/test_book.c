/*
 * Order books: insert, update and remove on both sides, best-first ordering, the best
 * levels, crossed detection, the level bound, exact decimal parsing at a book's
 * exponent (every refusal with its own code), prices at the ends of the range and
 * updates at every depth, and a seeded random run against a plain model (an array
 * indexed by price).
 */
#include "tpw_test.h"

#include <stdio.h>
#include <string.h>

#include "tpwallet/market.h"
#include "tpwallet/prng.h"

static void book_init(struct market_book *book, size_t levels_max)
{
    assert_err(market_book_init(book, "TEST", "BTCUSDT", 8, 8, levels_max), TPW_OK);
}

static void set(struct market_book *book, enum market_side side, uint64_t price, uint64_t qty)
{
    assert_err(market_book_set(book, side, price, qty), TPW_OK);
}

static void assert_level(const struct market_book *book, enum market_side side, size_t depth,
                         uint64_t price, uint64_t qty)
{
    struct market_level level = {0, 0};
    assert_true(market_book_level(book, side, depth, &level));
    assert_int_equal(level.price_minor, price);
    assert_int_equal(level.qty_minor, qty);
}

static void test_init_arguments(void **state)
{
    (void)state;
    struct market_book book;
    assert_err(market_book_init(&book, "", "X", 8, 8, 10), TPW_ERR_INVALID_ARGUMENT);
    assert_err(market_book_init(&book, "V", "", 8, 8, 10), TPW_ERR_INVALID_ARGUMENT);
    assert_err(market_book_init(&book, "V", "X", MARKET_EXPONENT_MAX + 1, 8, 10),
               TPW_ERR_INVALID_ARGUMENT);
    assert_err(market_book_init(&book, "V", "X", 8, 8, 0), TPW_ERR_INVALID_ARGUMENT);
    assert_err(market_book_init(&book, "V", "X", 8, 8, MARKET_BOOK_LEVELS_MAX + 1),
               TPW_ERR_INVALID_ARGUMENT);
    char long_name[MARKET_SYMBOL_SIZE + 1];
    memset(long_name, 'A', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_err(market_book_init(&book, "V", long_name, 8, 8, 10), TPW_ERR_INVALID_ARGUMENT);
    book_init(&book, MARKET_BOOK_LEVELS_MAX);
    assert_string_equal(book.symbol, "BTCUSDT");
    market_book_deinit(&book);
}

static void test_insert_update_remove(void **state)
{
    (void)state;
    struct market_book book;
    book_init(&book, 16);
    struct market_level level;
    assert_false(market_book_level(&book, MARKET_BID, 0, &level));
    set(&book, MARKET_BID, 100, 5);
    set(&book, MARKET_BID, 102, 7); /* new best */
    set(&book, MARKET_BID, 101, 6); /* between */
    set(&book, MARKET_BID, 99, 1);  /* bottom */
    assert_int_equal(market_book_levels_count(&book, MARKET_BID), 4);
    assert_level(&book, MARKET_BID, 0, 102, 7);
    assert_level(&book, MARKET_BID, 1, 101, 6);
    assert_level(&book, MARKET_BID, 2, 100, 5);
    assert_level(&book, MARKET_BID, 3, 99, 1);
    assert_false(market_book_level(&book, MARKET_BID, 4, &level));
    set(&book, MARKET_BID, 101, 60); /* update in place */
    assert_int_equal(market_book_levels_count(&book, MARKET_BID), 4);
    assert_level(&book, MARKET_BID, 1, 101, 60);
    set(&book, MARKET_BID, 102, 0); /* remove the best */
    assert_level(&book, MARKET_BID, 0, 101, 60);
    set(&book, MARKET_BID, 99, 0);  /* remove the bottom */
    set(&book, MARKET_BID, 555, 0); /* removing an absent level is not an error */
    assert_int_equal(market_book_levels_count(&book, MARKET_BID), 2);
    /* Asks sort the other way: the lowest price is the best. */
    set(&book, MARKET_ASK, 110, 1);
    set(&book, MARKET_ASK, 105, 2);
    set(&book, MARKET_ASK, 120, 3);
    assert_level(&book, MARKET_ASK, 0, 105, 2);
    assert_level(&book, MARKET_ASK, 1, 110, 1);
    assert_level(&book, MARKET_ASK, 2, 120, 3);
    assert_err(market_book_set(&book, (enum market_side)2, 1, 1), TPW_ERR_INVALID_ARGUMENT);
    market_book_reset(&book);
    assert_int_equal(market_book_levels_count(&book, MARKET_BID), 0);
    assert_int_equal(market_book_levels_count(&book, MARKET_ASK), 0);
    market_book_deinit(&book);
}

static void test_crossed(void **state)
{
    (void)state;
    struct market_book book;
    book_init(&book, 16);
    assert_false(market_book_crossed(&book)); /* empty */
    set(&book, MARKET_BID, 100, 1);
    assert_false(market_book_crossed(&book)); /* one side only */
    set(&book, MARKET_ASK, 101, 1);
    assert_false(market_book_crossed(&book));
    set(&book, MARKET_ASK, 100, 1); /* locked: bid == ask */
    assert_true(market_book_crossed(&book));
    set(&book, MARKET_ASK, 100, 0);
    set(&book, MARKET_BID, 102, 1); /* bid above the ask */
    assert_true(market_book_crossed(&book));
    market_book_deinit(&book);
}

static void test_level_bound(void **state)
{
    (void)state;
    struct market_book book;
    book_init(&book, 3);
    set(&book, MARKET_ASK, 10, 1);
    set(&book, MARKET_ASK, 11, 1);
    set(&book, MARKET_ASK, 12, 1);
    assert_err(market_book_set(&book, MARKET_ASK, 9, 1), TPW_ERR_MARKET_BOOK_FULL);
    assert_err(market_book_set(&book, MARKET_ASK, 13, 1), TPW_ERR_MARKET_BOOK_FULL);
    assert_int_equal(market_book_levels_count(&book, MARKET_ASK), 3);
    assert_level(&book, MARKET_ASK, 0, 10, 1); /* unchanged */
    set(&book, MARKET_ASK, 11, 5);             /* an existing level still updates */
    set(&book, MARKET_ASK, 12, 0);             /* and a removal makes room */
    set(&book, MARKET_ASK, 9, 2);
    assert_level(&book, MARKET_ASK, 0, 9, 2);
    set(&book, MARKET_BID, 1, 1); /* the other side has its own bound */
    market_book_deinit(&book);
}

struct decimal_case {
    const char *text;
    unsigned exponent;
    enum tpw_err err;
    uint64_t value;
};

static const struct decimal_case decimal_cases[] = {
    {"0.35270000", 8, TPW_OK, 35270000},
    {"9602.00000000", 8, TPW_OK, 960200000000},
    {"0.1", 8, TPW_OK, 10000000}, /* fewer digits are padded */
    {"0", 8, TPW_OK, 0},
    {"184467440737.09551615", 8, TPW_OK, UINT64_MAX},
    {"184467440737.09551616", 8, TPW_ERR_MARKET_VALUE_RANGE, 0},
    {"340282366920938463463374607431768211456", 0, TPW_ERR_DECIMAL_OVERFLOW, 0},
    {"0.123456789", 8, TPW_ERR_DECIMAL_PRECISION, 0},
    {"1.000000000", 8, TPW_ERR_DECIMAL_PRECISION, 0}, /* exact, but more digits than the scale */
    {"-1.5", 8, TPW_ERR_DECIMAL_SIGN, 0},
    {"1e5", 8, TPW_ERR_DECIMAL_EXPONENT, 0},
    {"abc", 8, TPW_ERR_DECIMAL_NON_DIGIT, 0},
    {"", 8, TPW_ERR_DECIMAL_EMPTY, 0},
    {" 1", 8, TPW_ERR_DECIMAL_SPACE, 0},
};

static void test_decimal_parse(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(decimal_cases) / sizeof(decimal_cases[0]); index++) {
        const struct decimal_case *c = &decimal_cases[index];
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        uint64_t value = 0;
        enum tpw_err err =
            market_decimal_parse(c->text, strlen(c->text), c->exponent, &value, &detail);
        if (err != c->err) {
            print_error("'%s': %s, expected %s\n", c->text, tpw_err_name(err),
                        tpw_err_name(c->err));
        }
        assert_err(err, c->err);
        if (c->err == TPW_OK) {
            assert_int_equal(value, c->value);
        } else {
            assert_int_equal(detail.code, c->err);
            assert_true(detail.message[0] != '\0');
        }
    }
    assert_int_equal(market_decimal_fraction_digits("0.35270000", 10), 8);
    assert_int_equal(market_decimal_fraction_digits("12", 2), 0);
    assert_int_equal(market_decimal_fraction_digits("12.", 3), 0);
}

/* Random sets and removals against a model indexed by price; both sides checked whole. */
#define MODEL_PRICES 300
#define MODEL_STEPS 20000

static void check_side(const struct market_book *book, enum market_side side,
                       const uint64_t model[MODEL_PRICES])
{
    size_t depth = 0;
    for (size_t step = 0; step < MODEL_PRICES; step++) {
        size_t price = side == MARKET_BID ? MODEL_PRICES - 1 - step : step;
        if (model[price] != 0) {
            assert_level(book, side, depth++, price, model[price]);
        }
    }
    assert_int_equal(market_book_levels_count(book, side), depth);
}

/* Prices at the ends of the range (the search compares asks' prices complemented) and
 * levels at every depth below the best (where its galloping probes land). */
static void test_extreme_prices_and_depths(void **state)
{
    (void)state;
    struct market_book book;
    book_init(&book, 72);
    const uint64_t prices[] = {0, 1, UINT64_MAX / 2, UINT64_MAX - 1, UINT64_MAX};
    for (size_t index = 0; index < 5; index++) {
        set(&book, MARKET_ASK, prices[4 - index], 7);
        set(&book, MARKET_BID, prices[(index * 3) % 5], 9);
    }
    for (size_t depth = 0; depth < 5; depth++) {
        assert_level(&book, MARKET_ASK, depth, prices[depth], 7);
        assert_level(&book, MARKET_BID, depth, prices[4 - depth], 9);
    }
    market_book_reset(&book);
    for (uint64_t price = 1; price <= 64; price++) {
        set(&book, MARKET_BID, price * 10, price);
    }
    for (size_t depth = 0; depth < 64; depth++) { /* an update at each depth, then a remove */
        uint64_t price = (64 - depth) * 10;
        set(&book, MARKET_BID, price, 1000 + depth);
        assert_level(&book, MARKET_BID, depth, price, 1000 + depth);
        set(&book, MARKET_BID, price - 5, 1); /* between two levels: an insert */
        assert_level(&book, MARKET_BID, depth + 1, price - 5, 1);
        set(&book, MARKET_BID, price - 5, 0);
        assert_int_equal(market_book_levels_count(&book, MARKET_BID), 64);
    }
    set(&book, MARKET_BID, 5, 3); /* below every level */
    assert_level(&book, MARKET_BID, 64, 5, 3);
    market_book_deinit(&book);
}

static void test_random_against_model(void **state)
{
    (void)state;
    uint64_t seed = tpw_test_seed("test_market_book", 20211012);
    struct tpw_prng prng;
    tpw_prng_seed(&prng, seed);
    static uint64_t model[MARKET_SIDES_COUNT][MODEL_PRICES];
    memset(model, 0, sizeof(model));
    struct market_book book;
    book_init(&book, MODEL_PRICES);
    for (size_t step = 0; step < MODEL_STEPS; step++) {
        enum market_side side = (enum market_side)(tpw_prng_next(&prng) % 2);
        uint64_t price = tpw_prng_next(&prng) % MODEL_PRICES;
        uint64_t qty = tpw_prng_next(&prng) % 3 == 0 ? 0 : 1 + tpw_prng_next(&prng) % 1000;
        set(&book, side, price, qty);
        model[side][price] = qty;
        if (step % 1000 == 0) {
            check_side(&book, MARKET_BID, model[MARKET_BID]);
            check_side(&book, MARKET_ASK, model[MARKET_ASK]);
        }
    }
    check_side(&book, MARKET_BID, model[MARKET_BID]);
    check_side(&book, MARKET_ASK, model[MARKET_ASK]);
    market_book_deinit(&book);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_arguments),
        cmocka_unit_test(test_insert_update_remove),
        cmocka_unit_test(test_crossed),
        cmocka_unit_test(test_level_bound),
        cmocka_unit_test(test_decimal_parse),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_extreme_prices_and_depths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
