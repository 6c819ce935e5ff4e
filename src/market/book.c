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

/* Index of `price_minor` on the side, or where it would be inserted; *found says which. */
static size_t side_search(const struct market_book_side *levels, enum market_side side,
                          uint64_t price_minor, bool *found)
{
    size_t low = 0;
    size_t high = levels->levels_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (sorts_before(side, levels->levels[middle].price_minor, price_minor)) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    *found = low < levels->levels_count && levels->levels[low].price_minor == price_minor;
    return low;
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
    /* A price beyond the best is appended without a search: a snapshot's levels come so,
     * applied from the last (feed.c), and so do new best prices in the diffs. */
    bool beyond_best =
        index == 0 || sorts_before(side, levels->levels[index - 1].price_minor, price_minor);
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
