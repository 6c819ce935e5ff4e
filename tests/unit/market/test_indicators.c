/*
 * Book indicators: the worked table of tests/data/marketdata/README.md (NKNUSDT on
 * Binance, COMPUSDT on Binance.US, after replaying the recordings), every column to the
 * printed digit; then hand-built books for the edges: empty and one-sided books,
 * a crossed book, the depth band's boundary (included), half-up ties, and a walk
 * beyond the available depth.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <string.h>

#include "tpwallet/market.h"
#include "tpwallet/money.h"

#ifndef TPW_MARKET_DATA_DIR
#error "TPW_MARKET_DATA_DIR names tests/data/marketdata/cryptofeed"
#endif

/* Fails unless `value` is exactly the decimal `expected` ("-0.5", "4384.1308"). */
static void assert_decimal(const struct market_decimal *value, const char *expected)
{
    bool negative = expected[0] == '-';
    const char *digits = expected + (negative ? 1 : 0);
    tpw_u128 units = 0;
    assert_err(money_decimal_parse(digits, strlen(digits), value->exponent, &units, NULL), TPW_OK);
    char text[MARKET_DECIMAL_TEXT_SIZE];
    assert_true(market_decimal_format(value, text, sizeof(text)) > 0);
    if (units != value->units || negative != value->negative) {
        print_error("got %s, expected %s\n", text, expected);
    }
    assert_u128_equal(value->units, units);
    assert_int_equal(value->negative, negative);
}

static void replay(market_feed *feed, const char *name)
{
    char path[512];
    int length = snprintf(path, sizeof(path), "%s/%s", TPW_MARKET_DATA_DIR, name);
    assert_true(length > 0 && (size_t)length < sizeof(path));
    assert_err(market_replay_file(feed, path, NULL), TPW_OK);
}

static const struct market_book *find_book(const market_feed *feed, const char *symbol)
{
    for (size_t index = 0; index < market_feed_books_count(feed); index++) {
        struct market_book_status status;
        market_feed_book_status(feed, index, &status);
        if (strcmp(status.book->symbol, symbol) == 0) {
            return status.book;
        }
    }
    fail_msg("no book %s", symbol);
    return NULL;
}

/* One row of the README's "Worked monitoring metrics" table. */
struct worked_row {
    const char *venue;
    const char *symbol;
    const char *mid, *spread_bps, *imbalance, *weighted_mid;
    const char *depth[3][2]; /* 10, 50, 100 bps: bid, ask */
    uint64_t buy_qty_minor;
    const char *vwap, *cost, *slippage_bps;
};

static const struct worked_row worked_rows[] = {
    {"BINANCE",
     "NKNUSDT",
     "0.3529",
     "11.3346557",
     "0.9688333",
     "0.35309377",
     {{"4384.1308", "388.858"}, {"33226.5991", "29828.8433"}, {"95143.5061", "59681.3718"}},
     5000000000000ull,
     "0.35364526",
     "17682.2631",
     "21.1182205"},
    {"BINANCE_US",
     "COMPUSDT",
     "297.19",
     "18.1701942",
     "0.7058577",
     "297.38058159",
     {{"5439.054482", "2349.7311505"},
      {"10749.2202678", "26849.3539367"},
      {"31837.377907", "46427.2943147"}},
     10000000000ull,
     "297.82040122",
     "29782.0401215",
     "21.2120601"},
};

static void check_worked_row(const struct worked_row *row)
{
    market_feed *feed = NULL;
    assert_err(market_feed_create(row->venue, &feed, NULL), TPW_OK);
    char name[64];
    (void)snprintf(name, sizeof(name), "%s.http.0.0", row->venue);
    replay(feed, name);
    (void)snprintf(name, sizeof(name), "%s.ws.1.0", row->venue);
    replay(feed, name);
    const struct market_book *book = find_book(feed, row->symbol);
    struct market_decimal value;
    assert_err(market_book_mid(book, &value), TPW_OK);
    assert_decimal(&value, row->mid);
    assert_err(market_book_spread_bps(book, &value), TPW_OK);
    assert_decimal(&value, row->spread_bps);
    assert_err(market_book_imbalance(book, &value), TPW_OK);
    assert_decimal(&value, row->imbalance);
    assert_err(market_book_weighted_mid(book, &value), TPW_OK);
    assert_decimal(&value, row->weighted_mid);
    const uint32_t bands_bps[3] = {10, 50, 100};
    for (size_t band = 0; band < 3; band++) {
        assert_err(market_book_depth(book, MARKET_BID, bands_bps[band], &value), TPW_OK);
        assert_decimal(&value, row->depth[band][0]);
        assert_err(market_book_depth(book, MARKET_ASK, bands_bps[band], &value), TPW_OK);
        assert_decimal(&value, row->depth[band][1]);
    }
    struct market_walk walk;
    assert_err(market_book_walk(book, MARKET_TAKER_BUY, row->buy_qty_minor, &walk), TPW_OK);
    assert_decimal(&walk.vwap, row->vwap);
    assert_decimal(&walk.cost, row->cost);
    assert_decimal(&walk.slippage_bps, row->slippage_bps);
    assert_true(walk.levels_count > 1);
    market_feed_destroy(feed);
}

static void test_worked_table(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(worked_rows) / sizeof(worked_rows[0]); index++) {
        check_worked_row(&worked_rows[index]);
    }
}

/* A book at exponents 2 (prices in cents) and 0 (whole quantities). */
static void book_new(struct market_book *book)
{
    assert_err(market_book_init(book, "TEST", "XUSD", 2, 0, 16), TPW_OK);
}

static void set(struct market_book *book, enum market_side side, uint64_t price, uint64_t qty)
{
    assert_err(market_book_set(book, side, price, qty), TPW_OK);
}

static void assert_all_need_both_sides(const struct market_book *book)
{
    struct market_decimal value;
    struct market_walk walk;
    assert_err(market_book_mid(book, &value), TPW_ERR_MARKET_BOOK_EMPTY);
    assert_err(market_book_spread_bps(book, &value), TPW_ERR_MARKET_BOOK_EMPTY);
    assert_err(market_book_imbalance(book, &value), TPW_ERR_MARKET_BOOK_EMPTY);
    assert_err(market_book_weighted_mid(book, &value), TPW_ERR_MARKET_BOOK_EMPTY);
    assert_err(market_book_depth(book, MARKET_BID, 10, &value), TPW_ERR_MARKET_BOOK_EMPTY);
    assert_err(market_book_walk(book, MARKET_TAKER_BUY, 1, &walk), TPW_ERR_MARKET_BOOK_EMPTY);
}

static void test_empty_and_one_sided(void **state)
{
    (void)state;
    struct market_book book;
    book_new(&book);
    assert_all_need_both_sides(&book);
    set(&book, MARKET_BID, 10000, 5);
    assert_all_need_both_sides(&book);
    market_book_reset(&book);
    set(&book, MARKET_ASK, 10000, 5);
    assert_all_need_both_sides(&book);
    market_book_deinit(&book);
}

static void test_crossed(void **state)
{
    (void)state;
    struct market_book book;
    book_new(&book);
    set(&book, MARKET_BID, 10100, 1); /* 101.00 */
    set(&book, MARKET_ASK, 10000, 3); /* 100.00 */
    struct market_decimal value;
    assert_err(market_book_mid(&book, &value), TPW_OK);
    assert_decimal(&value, "100.5");
    assert_err(market_book_spread_bps(&book, &value), TPW_OK);
    assert_decimal(&value, "-99.5024876"); /* −1 / 100.5 × 10^4 = −99.50248756… */
    assert_err(market_book_imbalance(&book, &value), TPW_OK);
    assert_decimal(&value, "-0.5");
    /* (100 × 1 + 101 × 3) / 4 = 100.75. */
    assert_err(market_book_weighted_mid(&book, &value), TPW_OK);
    assert_decimal(&value, "100.75");
    market_book_deinit(&book);
}

static void test_depth_boundary_included(void **state)
{
    (void)state;
    struct market_book book;
    book_new(&book);
    /* Mid 100.00; 100 bps is 99.00 .. 101.00 exactly. */
    set(&book, MARKET_BID, 9999, 1);
    set(&book, MARKET_BID, 9900, 2);
    set(&book, MARKET_BID, 9899, 100);
    set(&book, MARKET_ASK, 10001, 1);
    set(&book, MARKET_ASK, 10100, 2);
    set(&book, MARKET_ASK, 10101, 100);
    struct market_decimal value;
    assert_err(market_book_depth(&book, MARKET_BID, 100, &value), TPW_OK);
    assert_decimal(&value, "297.99"); /* 99.99 + 2 × 99.00 */
    assert_err(market_book_depth(&book, MARKET_ASK, 100, &value), TPW_OK);
    assert_decimal(&value, "302.01"); /* 100.01 + 2 × 101.00 */
    assert_err(market_book_depth(&book, MARKET_ASK, 99, &value), TPW_OK);
    assert_decimal(&value, "100.01");
    assert_err(market_book_depth(&book, MARKET_BID, 0, &value), TPW_OK);
    assert_decimal(&value, "0");
    assert_err(market_book_depth(&book, MARKET_BID, MARKET_DEPTH_BPS_MAX, &value), TPW_OK);
    assert_decimal(&value, "10196.99"); /* + 100 × 98.99 */
    assert_err(market_book_depth(&book, MARKET_BID, MARKET_DEPTH_BPS_MAX + 1, &value),
               TPW_ERR_INVALID_ARGUMENT);
    assert_err(market_book_depth(&book, (enum market_side)2, 10, &value), TPW_ERR_INVALID_ARGUMENT);
    market_book_deinit(&book);
}

static void test_half_up_ties(void **state)
{
    (void)state;
    struct market_book book;
    book_new(&book);
    /* Quantities 1 and 7: imbalance −6/8 = −0.75 exact; weighted mid 1.00 + 0.01/8. */
    set(&book, MARKET_BID, 100, 1);
    set(&book, MARKET_ASK, 101, 7);
    struct market_decimal value;
    assert_err(market_book_imbalance(&book, &value), TPW_OK);
    assert_decimal(&value, "-0.75");
    assert_err(market_book_weighted_mid(&book, &value), TPW_OK);
    assert_decimal(&value, "1"); /* 1.00125 → 1.00 at 2 digits */
    set(&book, MARKET_BID, 100, 3);
    set(&book, MARKET_ASK, 101, 1); /* 1.00 + 0.01 × 3/4 = 1.0075 → 1.01 */
    assert_err(market_book_weighted_mid(&book, &value), TPW_OK);
    assert_decimal(&value, "1.01");
    /* Ties go away from zero (half-even would give 1.00, 0.0039062, −0.0039062). */
    set(&book, MARKET_BID, 100, 1);
    set(&book, MARKET_ASK, 101, 1); /* 1.005 */
    assert_err(market_book_weighted_mid(&book, &value), TPW_OK);
    assert_decimal(&value, "1.01");
    set(&book, MARKET_BID, 100, 257);
    set(&book, MARKET_ASK, 101, 255); /* 2/512 = 0.00390625 */
    assert_err(market_book_imbalance(&book, &value), TPW_OK);
    assert_decimal(&value, "0.0039063");
    set(&book, MARKET_BID, 100, 255);
    set(&book, MARKET_ASK, 101, 257);
    assert_err(market_book_imbalance(&book, &value), TPW_OK);
    assert_decimal(&value, "-0.0039063");
    /* A zero is never negative. */
    set(&book, MARKET_ASK, 101, 255);
    assert_err(market_book_imbalance(&book, &value), TPW_OK);
    assert_decimal(&value, "0");
    market_book_deinit(&book);
}

static void test_walk(void **state)
{
    (void)state;
    struct market_book book;
    book_new(&book);
    set(&book, MARKET_BID, 9900, 4);
    set(&book, MARKET_BID, 9800, 6);
    set(&book, MARKET_ASK, 10100, 2);
    set(&book, MARKET_ASK, 10300, 3);
    struct market_walk walk;
    /* Buy 4: 2 × 101 + 2 × 103 = 408; VWAP 102; mid 100 → slippage 200 bps. */
    assert_err(market_book_walk(&book, MARKET_TAKER_BUY, 4, &walk), TPW_OK);
    assert_decimal(&walk.cost, "408");
    assert_decimal(&walk.vwap, "102");
    assert_decimal(&walk.slippage_bps, "200");
    assert_int_equal(walk.levels_count, 2);
    /* Sell 1 inside the best bid: VWAP 99, 100 bps below the mid. */
    assert_err(market_book_walk(&book, MARKET_TAKER_SELL, 1, &walk), TPW_OK);
    assert_decimal(&walk.vwap, "99");
    assert_decimal(&walk.slippage_bps, "100");
    assert_int_equal(walk.levels_count, 1);
    /* Sell 10: (4 × 99 + 6 × 98) / 10 = 98.4 → 160 bps. */
    assert_err(market_book_walk(&book, MARKET_TAKER_SELL, 10, &walk), TPW_OK);
    assert_decimal(&walk.vwap, "98.4");
    assert_decimal(&walk.slippage_bps, "160");
    /* Buy 3: (2 × 101 + 103) / 3 = 101.666… → 101.67; slippage from the exact VWAP. */
    assert_err(market_book_walk(&book, MARKET_TAKER_BUY, 3, &walk), TPW_OK);
    assert_decimal(&walk.vwap, "101.67");
    assert_decimal(&walk.slippage_bps, "166.6666667");
    assert_err(market_book_walk(&book, MARKET_TAKER_BUY, 5, &walk), TPW_OK);
    assert_err(market_book_walk(&book, MARKET_TAKER_BUY, 6, &walk),
               TPW_ERR_MARKET_DEPTH_INSUFFICIENT);
    assert_err(market_book_walk(&book, MARKET_TAKER_SELL, 11, &walk),
               TPW_ERR_MARKET_DEPTH_INSUFFICIENT);
    assert_err(market_book_walk(&book, MARKET_TAKER_BUY, 0, &walk), TPW_ERR_INVALID_ARGUMENT);
    assert_err(market_book_walk(&book, (enum market_taker)7, 1, &walk), TPW_ERR_INVALID_ARGUMENT);
    market_book_deinit(&book);
}

static void test_decimal_format(void **state)
{
    (void)state;
    char text[MARKET_DECIMAL_TEXT_SIZE];
    struct market_decimal value = {12345, 3, true};
    assert_int_equal(market_decimal_format(&value, text, sizeof(text)), 7);
    assert_string_equal(text, "-12.345");
    value.negative = false;
    assert_int_equal(market_decimal_format(&value, text, sizeof(text)), 6);
    assert_string_equal(text, "12.345");
    value = (struct market_decimal){TPW_U128_MAX, 38, true};
    assert_int_equal(market_decimal_format(&value, text, sizeof(text)), 41);
    assert_int_equal(market_decimal_format(&value, text, 5), 0);
    assert_string_equal(text, "");
    assert_int_equal(market_decimal_format(&value, text, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_table),   cmocka_unit_test(test_empty_and_one_sided),
        cmocka_unit_test(test_crossed),        cmocka_unit_test(test_depth_boundary_included),
        cmocka_unit_test(test_half_up_ties),   cmocka_unit_test(test_walk),
        cmocka_unit_test(test_decimal_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
