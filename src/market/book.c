/*
 * Order books: the levels of one venue+symbol, exact, with O(1) best bid and ask.
 *
 * Each side is one sorted array of (price, quantity) allocated once at init, with the
 * best level LAST: bids ascend by price, asks descend. Why an array and not a tree:
 * books hold at most a few thousand levels (Binance snapshots go to 5000), and updates
 * cluster at the top of the book, which is the end of the array, so an insert or a
 * removal moves only the few levels above it; the binary search runs over contiguous
 * 16-byte levels (13 steps at 8192), where a tree would chase pointers and allocate on
 * every new level. The bound MARKET_BOOK_LEVELS_MAX keeps the worst move (a level at
 * the very bottom of a full side) at 128 KiB.
 */
#include <stdlib.h>
#include <string.h>

#include "market_int.h"
#include "tpw_assert.h"
#include "tpwallet/money.h"

#include "banned.h"

static bool name_fits(const char *name, size_t size)
{
    size_t length = strnlen(name, size);
    return length > 0 && length < size;
}

enum tpw_err market_book_init(struct market_book *book, const char *venue, const char *symbol,
                              unsigned price_exponent, unsigned qty_exponent, size_t levels_max)
{
    memset(book, 0, sizeof(*book));
    if (!name_fits(venue, MARKET_VENUE_SIZE) || !name_fits(symbol, MARKET_SYMBOL_SIZE) ||
        price_exponent > MARKET_EXPONENT_MAX || qty_exponent > MARKET_EXPONENT_MAX ||
        levels_max == 0 || levels_max > MARKET_BOOK_LEVELS_MAX) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    (void)memcpy(book->venue, venue, strlen(venue) + 1);
    (void)memcpy(book->symbol, symbol, strlen(symbol) + 1);
    book->price_exponent = price_exponent;
    book->qty_exponent = qty_exponent;
    for (size_t side = 0; side < MARKET_SIDES_COUNT; side++) {
        book->sides[side].levels = calloc(levels_max, sizeof(struct market_level));
        if (book->sides[side].levels == NULL) {
            market_book_deinit(book);
            return TPW_ERR_NOMEM;
        }
        book->sides[side].levels_max = levels_max;
    }
    return TPW_OK;
}

void market_book_deinit(struct market_book *book)
{
    for (size_t side = 0; side < MARKET_SIDES_COUNT; side++) {
        free(book->sides[side].levels);
        book->sides[side].levels = NULL;
        book->sides[side].levels_count = 0;
        book->sides[side].levels_max = 0;
    }
}

void market_book_reset(struct market_book *book)
{
    book->sides[MARKET_BID].levels_count = 0;
    book->sides[MARKET_ASK].levels_count = 0;
}

/* True when price `a` sorts before `b` on `side` (further from the best). */
static bool sorts_before(enum market_side side, uint64_t a, uint64_t b)
{
    return side == MARKET_BID ? a < b : a > b;
}

/* The first index in [low, high) whose price does not sort before the key (high when
 * none does), prices compared XOR `flip` so that both sides ascend. Branch-free: each
 * step halves the range with a conditional move, not a jump a random price mispredicts
 * half the time. */
static size_t range_search(const struct market_level *levels, size_t low, size_t high,
                           uint64_t flip, uint64_t key)
{
    if (low == high) {
        return low;
    }
    const struct market_level *base = &levels[low];
    size_t count = high - low;
    while (count > 1) { /* the answer is in [base, base + count] */
        size_t half = count / 2;
        base = (base[half].price_minor ^ flip) < key ? base + half : base;
        count -= half;
    }
    return (size_t)(base - levels) + ((base->price_minor ^ flip) < key ? 1 : 0);
}

/*
 * Index of `price_minor` on the side, or where it would be inserted; *found says which.
 * The search gallops down from the best level (the end: 1, 2, 4, … levels below it)
 * and then halves the range it found: in the recordings 85 % of the diffs' prices are
 * within 16 levels of the best, where this takes a few steps in cache lines just
 * touched, not a dozen across the side. Asks descend, so their prices are compared
 * complemented.
 */
static size_t side_search(const struct market_book_side *levels, enum market_side side,
                          uint64_t price_minor, bool *found)
{
    uint64_t flip = side == MARKET_ASK ? UINT64_MAX : 0;
    uint64_t key = price_minor ^ flip;
    size_t low = 0;
    size_t high = levels->levels_count; /* the answer is in [low, high] */
    for (size_t step = 1; step <= high; step *= 2) {
        size_t probe = high - step;
        if ((levels->levels[probe].price_minor ^ flip) < key) {
            low = probe + 1;
            break;
        }
        high = probe;
    }
    size_t index = range_search(levels->levels, low, high, flip, key);
    *found = index < levels->levels_count && levels->levels[index].price_minor == price_minor;
    TPW_DEBUG_ASSERT(index == 0 ||
                     sorts_before(side, levels->levels[index - 1].price_minor, price_minor));
    TPW_DEBUG_ASSERT(index == levels->levels_count ||
                     !sorts_before(side, levels->levels[index].price_minor, price_minor));
    return index;
}

enum tpw_err market_book_set(struct market_book *book, enum market_side side, uint64_t price_minor,
                             uint64_t qty_minor)
{
    if (side != MARKET_BID && side != MARKET_ASK) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    struct market_book_side *levels = &book->sides[side];
    TPW_ASSERT(levels->levels_count <= levels->levels_max);
    bool found = false;
    size_t index = levels->levels_count;
    /* A price beyond the best is appended without a search or a move: a snapshot's
     * levels all come so, applied from the last (feed.c), and so do new best prices. */
    bool beyond_best =
        index == 0 || sorts_before(side, levels->levels[index - 1].price_minor, price_minor);
    if (beyond_best && qty_minor != 0 && index < levels->levels_max) {
        levels->levels[index] = (struct market_level){price_minor, qty_minor};
        levels->levels_count++;
        return TPW_OK;
    }
    if (!beyond_best) {
        index = side_search(levels, side, price_minor, &found);
    }
    size_t above_count = levels->levels_count - index;
    if (qty_minor == 0) {
        if (found) {
            (void)memmove(&levels->levels[index], &levels->levels[index + 1],
                          (above_count - 1) * sizeof(struct market_level));
            levels->levels_count--;
        }
        return TPW_OK;
    }
    if (found) {
        levels->levels[index].qty_minor = qty_minor;
        return TPW_OK;
    }
    if (levels->levels_count == levels->levels_max) {
        return TPW_ERR_MARKET_BOOK_FULL;
    }
    (void)memmove(&levels->levels[index + 1], &levels->levels[index],
                  above_count * sizeof(struct market_level));
    levels->levels[index] = (struct market_level){price_minor, qty_minor};
    levels->levels_count++;
    TPW_DEBUG_ASSERT(index == 0 ||
                     sorts_before(side, levels->levels[index - 1].price_minor, price_minor));
    return TPW_OK;
}

size_t market_book_levels_count(const struct market_book *book, enum market_side side)
{
    TPW_ASSERT(side == MARKET_BID || side == MARKET_ASK);
    return book->sides[side].levels_count;
}

bool market_book_level(const struct market_book *book, enum market_side side, size_t depth_index,
                       struct market_level *out)
{
    TPW_ASSERT(side == MARKET_BID || side == MARKET_ASK);
    const struct market_book_side *levels = &book->sides[side];
    if (depth_index >= levels->levels_count) {
        return false;
    }
    *out = levels->levels[levels->levels_count - 1 - depth_index];
    TPW_ASSERT(out->qty_minor != 0);
    return true;
}

bool market_book_crossed(const struct market_book *book)
{
    struct market_level bid;
    struct market_level ask;
    if (!market_book_level(book, MARKET_BID, 0, &bid) ||
        !market_book_level(book, MARKET_ASK, 0, &ask)) {
        return false;
    }
    return bid.price_minor >= ask.price_minor;
}

/* Digits a decimal may have once scaled (integer digits plus the exponent) to take the
 * 64-bit path: below 10^19 < 2^64, so neither the parse nor the range check can fail. */
#define DECIMAL_SHORT_DIGITS_MAX 19

/*
 * The common case of market_decimal_parse in 64-bit arithmetic: digits with at most one
 * point that has a digit on each side, at most `exponent` fraction digits, at most 19
 * digits once scaled. False for anything else, which money_decimal_parse() then parses
 * or refuses as before; what this accepts, it accepts too, with the same value. Why:
 * its checked 128-bit arithmetic was a third of a replay's time.
 */
static bool decimal_parse_short(const char *text, size_t text_len, unsigned exponent, uint64_t *out)
{
    uint64_t value = 0;
    unsigned integer_digits = 0;
    unsigned fraction_digits = 0;
    bool point = false;
    for (size_t offset = 0; offset < text_len; offset++) {
        char c = text[offset];
        if (c >= '0' && c <= '9' && integer_digits + fraction_digits < DECIMAL_SHORT_DIGITS_MAX) {
            value = value * 10 + (uint64_t)(c - '0');
            integer_digits += point ? 0 : 1;
            fraction_digits += point ? 1 : 0;
        } else if (c == '.' && !point && integer_digits > 0) {
            point = true;
        } else {
            return false;
        }
    }
    if (integer_digits == 0 || (point && fraction_digits == 0) || fraction_digits > exponent ||
        integer_digits + exponent > DECIMAL_SHORT_DIGITS_MAX) {
        return false;
    }
    for (unsigned padding = fraction_digits; padding < exponent; padding++) {
        value *= 10; /* at most 18 turns; the digit bound keeps it below 10^19 */
    }
    *out = value;
    return true;
}

enum tpw_err market_decimal_parse(const char *text, size_t text_len, unsigned exponent,
                                  uint64_t *out, struct tpw_error_detail *detail)
{
    TPW_ASSERT(exponent <= MARKET_EXPONENT_MAX);
    if (decimal_parse_short(text, text_len, exponent, out)) {
        return TPW_OK;
    }
    tpw_u128 value = 0;
    enum tpw_err err = money_decimal_parse(text, text_len, exponent, &value, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (value > UINT64_MAX) {
        return tpw_error_set(detail, TPW_ERR_MARKET_VALUE_RANGE, 0,
                             "'%.*s' is above 2^64-1 units of 10^-%u",
                             (int)(text_len < 40 ? text_len : 40), text, exponent);
    }
    *out = (uint64_t)value;
    return TPW_OK;
}

unsigned market_decimal_fraction_digits(const char *text, size_t text_len)
{
    const char *point = memchr(text, '.', text_len);
    if (point == NULL) {
        return 0;
    }
    size_t digits = text_len - (size_t)(point - text) - 1;
    return digits > UINT32_MAX ? UINT32_MAX : (unsigned)digits;
}
