/*
 * Book indicators: mid, spread, imbalance, weighted mid, depth within a band around the
 * mid, and the walk of one side for a quantity (cost, VWAP, slippage).
 *
 * Why integers only: the monitoring numbers are compared with each other and with
 * thresholds, and an exact value at a stated scale gives the same answer on every
 * machine and matches hand-checked tables to the last digit. Prices and quantities are
 * below 2^64, so their products and the sums of a few thousand of them fit 128 bits
 * (checked anyway); every quotient is one money_muldiv() call with its 256-bit
 * intermediate and an explicit rounding, so each value is rounded once.
 */
#include <string.h>

#include "market_int.h"
#include "tpw_assert.h"
#include "tpwallet/money.h"

#include "banned.h"

/* 10^MARKET_RATIO_EXPONENT: the unit of a ratio. */
#define RATIO_ONE ((tpw_u128)10000000u)
_Static_assert(MARKET_RATIO_EXPONENT == 7, "RATIO_ONE is 10^MARKET_RATIO_EXPONENT");

/* The rounding of every quotient here: half-up, as the monitoring tables are printed. */
#define INDICATOR_ROUNDING MONEY_ROUND_HALF_UP

size_t market_decimal_format(const struct market_decimal *value, char *buf, size_t size)
{
    TPW_ASSERT(!(value->negative && value->units == 0));
    if (size < 2) {
        if (size > 0) {
            buf[0] = '\0';
        }
        return 0;
    }
    size_t sign_len = value->negative ? 1 : 0;
    size_t length =
        money_decimal_format(value->units, value->exponent, buf + sign_len, size - sign_len);
    if (length == 0) {
        buf[0] = '\0';
        return 0;
    }
    if (sign_len != 0) {
        buf[0] = '-';
    }
    return sign_len + length;
}

/* The best level of each side, and the sum of their prices (twice the mid). */
struct top {
    struct market_level bid;
    struct market_level ask;
    tpw_u128 price_sum;
};

static enum tpw_err book_top(const struct market_book *book, struct top *top)
{
    if (!market_book_level(book, MARKET_BID, 0, &top->bid) ||
        !market_book_level(book, MARKET_ASK, 0, &top->ask)) {
        return TPW_ERR_MARKET_BOOK_EMPTY;
    }
    top->price_sum = (tpw_u128)top->bid.price_minor + top->ask.price_minor;
    return TPW_OK;
}

/*
 * out = (a − b) × scale / divisor, half-up, signed; the sign is that of a − b. One
 * rounding on the exact quotient of the magnitude, so ties go away from zero.
 */
static enum tpw_err signed_ratio(tpw_u128 a, tpw_u128 b, tpw_u128 scale, tpw_u128 divisor,
                                 unsigned exponent, struct market_decimal *out)
{
    bool negative = a < b;
    tpw_u128 magnitude = negative ? b - a : a - b;
    tpw_u128 units = 0;
    enum tpw_err err = money_muldiv(magnitude, scale, divisor, INDICATOR_ROUNDING, &units);
    if (err != TPW_OK) {
        return err;
    }
    *out = (struct market_decimal){units, exponent, negative && units != 0};
    return TPW_OK;
}

enum tpw_err market_book_mid(const struct market_book *book, struct market_decimal *out)
{
    struct top top;
    enum tpw_err err = book_top(book, &top);
    if (err != TPW_OK) {
        return err;
    }
    /* (bid + ask) / 2 = (bid + ask) × 5 / 10: exact with one more fraction digit. */
    *out = (struct market_decimal){top.price_sum * 5u, book->price_exponent + 1, false};
    return TPW_OK;
}

enum tpw_err market_book_spread_bps(const struct market_book *book, struct market_decimal *out)
{
    struct top top;
    enum tpw_err err = book_top(book, &top);
    if (err != TPW_OK) {
        return err;
    }
    /* (ask − bid) / ((ask + bid) / 2) × 10^4 = (ask − bid) × 2 × 10^4 / (ask + bid). */
    return signed_ratio(top.ask.price_minor, top.bid.price_minor,
                        (tpw_u128)2u * MARKET_BPS_ONE * RATIO_ONE, top.price_sum,
                        MARKET_RATIO_EXPONENT, out);
}

enum tpw_err market_book_imbalance(const struct market_book *book, struct market_decimal *out)
{
    struct top top;
    enum tpw_err err = book_top(book, &top);
    if (err != TPW_OK) {
        return err;
    }
    tpw_u128 total = (tpw_u128)top.bid.qty_minor + top.ask.qty_minor;
    return signed_ratio(top.bid.qty_minor, top.ask.qty_minor, RATIO_ONE, total,
                        MARKET_RATIO_EXPONENT, out);
}

enum tpw_err market_book_weighted_mid(const struct market_book *book, struct market_decimal *out)
{
    struct top top;
    enum tpw_err err = book_top(book, &top);
    if (err != TPW_OK) {
        return err;
    }
    /*
     * (ask × Qb + bid × Qa) / (Qb + Qa) is low + (high − low) × Q / (Qb + Qa), where low
     * is the lower of the two prices and Q the quantity that weights the higher one.
     * Adding an integer to a non-negative quotient does not move its rounding, and the
     * products stay below 2^128 where the textbook form could not.
     */
    tpw_u128 total = (tpw_u128)top.bid.qty_minor + top.ask.qty_minor;
    bool crossed = top.ask.price_minor < top.bid.price_minor;
    uint64_t low = crossed ? top.ask.price_minor : top.bid.price_minor;
    uint64_t high = crossed ? top.bid.price_minor : top.ask.price_minor;
    uint64_t weight = crossed ? top.ask.qty_minor : top.bid.qty_minor;
    tpw_u128 offset = 0;
    err = money_muldiv(high - low, weight, total, INDICATOR_ROUNDING, &offset);
    if (err != TPW_OK) {
        return err;
    }
    *out = (struct market_decimal){low + offset, book->price_exponent, false};
    return TPW_OK;
}

/*
 * True when `price` is inside the band: 2 × 10^4 × price against (bid + ask) × (10^4 ∓ x),
 * both exact in 128 bits (a price is below 2^64, the sum below 2^65, the factors 2^15).
 */
static bool within_band(enum market_side side, uint64_t price, tpw_u128 top_sum,
                        uint32_t within_bps)
{
    tpw_u128 scaled = (tpw_u128)price * 2u * MARKET_BPS_ONE;
    if (side == MARKET_BID) {
        return scaled >= top_sum * (MARKET_BPS_ONE - within_bps);
    }
    return scaled <= top_sum * ((tpw_u128)MARKET_BPS_ONE + within_bps);
}

enum tpw_err market_book_depth(const struct market_book *book, enum market_side side,
                               uint32_t within_bps, struct market_decimal *out)
{
    if ((side != MARKET_BID && side != MARKET_ASK) || within_bps > MARKET_DEPTH_BPS_MAX) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    struct top top;
    enum tpw_err err = book_top(book, &top);
    if (err != TPW_OK) {
        return err;
    }
    tpw_u128 notional = 0;
    struct market_level level;
    /* Levels are best first, so the first one outside the band ends the walk. */
    for (size_t depth = 0; market_book_level(book, side, depth, &level); depth++) {
        if (!within_band(side, level.price_minor, top.price_sum, within_bps)) {
            break;
        }
        err = money_amount_add(notional, (tpw_u128)level.price_minor * level.qty_minor, &notional);
        if (err != TPW_OK) {
            return err;
        }
    }
    *out = (struct market_decimal){notional, book->price_exponent + book->qty_exponent, false};
    return TPW_OK;
}

/* Σ price × qty over the first `qty_minor` of the side; *levels_count levels touched. */
static enum tpw_err walk_cost(const struct market_book *book, enum market_side side,
                              uint64_t qty_minor, tpw_u128 *cost, size_t *levels_count)
{
    uint64_t remaining = qty_minor;
    struct market_level level;
    size_t depth = 0;
    *cost = 0;
    while (remaining > 0 && market_book_level(book, side, depth, &level)) {
        uint64_t taken = level.qty_minor < remaining ? level.qty_minor : remaining;
        enum tpw_err err = money_amount_add(*cost, (tpw_u128)level.price_minor * taken, cost);
        if (err != TPW_OK) {
            return err;
        }
        remaining -= taken;
        depth++;
    }
    *levels_count = depth;
    return remaining == 0 ? TPW_OK : TPW_ERR_MARKET_DEPTH_INSUFFICIENT;
}

enum tpw_err market_book_walk(const struct market_book *book, enum market_taker taker,
                              uint64_t qty_minor, struct market_walk *out)
{
    if (qty_minor == 0 || (taker != MARKET_TAKER_BUY && taker != MARKET_TAKER_SELL)) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    struct top top;
    enum tpw_err err = book_top(book, &top);
    if (err != TPW_OK) {
        return err;
    }
    struct market_walk walk = {.levels_count = 0};
    tpw_u128 cost = 0;
    enum market_side side = taker == MARKET_TAKER_BUY ? MARKET_ASK : MARKET_BID;
    err = walk_cost(book, side, qty_minor, &cost, &walk.levels_count);
    if (err != TPW_OK) {
        return err;
    }
    unsigned cost_exponent = book->price_exponent + book->qty_exponent;
    walk.cost = (struct market_decimal){cost, cost_exponent, false};
    tpw_u128 vwap = 0;
    err = money_muldiv(cost, 1, qty_minor, INDICATOR_ROUNDING, &vwap);
    if (err != TPW_OK) {
        return err;
    }
    walk.vwap = (struct market_decimal){vwap, book->price_exponent, false};
    /*
     * (vwap − mid) / mid × 10^4 with vwap = cost / qty and mid = (bid + ask) / 2 is
     * (2 × cost − qty × (bid + ask)) × 10^4 / (qty × (bid + ask)): the exact vwap, not
     * the rounded one, so the slippage is rounded once.
     */
    tpw_u128 paid = 0;
    tpw_u128 at_mid = 0;
    if (__builtin_mul_overflow(cost, 2u, &paid) ||
        __builtin_mul_overflow(top.price_sum, (tpw_u128)qty_minor, &at_mid)) {
        return TPW_ERR_OVERFLOW;
    }
    bool buy = taker == MARKET_TAKER_BUY;
    err = signed_ratio(buy ? paid : at_mid, buy ? at_mid : paid, MARKET_BPS_ONE * RATIO_ONE, at_mid,
                       MARKET_RATIO_EXPONENT, &walk.slippage_bps);
    if (err != TPW_OK) {
        return err;
    }
    *out = walk;
    return TPW_OK;
}
