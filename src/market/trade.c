/*
 * Trades: the venue-independent step every trade message ends in, and the venues' time
 * formats. The venue handlers (feed_binance*.c, feed_coinbase*.c) decode their
 * messages and call market__trade(), which parses the price and quantity exactly at the
 * book's exponents, keeps each trade once (ids only go up), counts what it sees and
 * tells the feed's observers (the monitor's windows and detectors). Trades never touch
 * the book: a book that waits for a resync still has its trades counted.
 */
#include <string.h>

#include "market_int.h"
#include "tpw_assert.h"

#include "banned.h"

void market__emit(struct market_feed *feed, struct market_feed_event *event)
{
    event->received_us = feed->received_us;
    for (size_t index = 0; index < feed->observers_count; index++) {
        feed->observers[index].on_event(feed->observers[index].user, event);
    }
}

enum tpw_err market_feed_observe(market_feed *feed, market_feed_event_fn *on_event, void *user)
{
    if (on_event == NULL || feed->observers_count == MARKET_FEED_OBSERVERS_MAX) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    feed->observers[feed->observers_count].on_event = on_event;
    feed->observers[feed->observers_count].user = user;
    feed->observers_count++;
    return TPW_OK;
}

void market_feed_received_at(market_feed *feed, int64_t received_us)
{
    feed->received_us = received_us;
}

/* Counts the trade (after its numbers parsed) and tells the observers. */
static void trade_accept(struct market_feed *feed, struct market__book_state *state,
                         const struct market_trade *trade)
{
    if (state->has_trade && trade->trade_id != state->status.last_trade_id + 1) {
        state->status.trade_gaps_count++; /* ids skipped: trades happened we did not get */
    }
    state->has_trade = true;
    state->trades_aggregate = trade->aggregate;
    state->status.last_trade_id = trade->trade_id;
    state->status.trades_count++;
    struct market_feed_event event = {
        .kind = MARKET_FEED_EVENT_TRADE, .book = &state->book, .trade = trade};
    market__emit(feed, &event);
}

enum tpw_err market__trade(struct market_feed *feed, struct market__book_state *state,
                           const struct market__trade_fields *fields, const char *price,
                           size_t price_len, const char *qty, size_t qty_len)
{
    TPW_ASSERT(state != NULL);
    struct market_trade trade = {
        .book = &state->book,
        .trade_id = fields->trade_id,
        .trade_time_us = fields->trade_time_us,
        .received_us = feed->received_us,
        .aggressor = fields->aggressor,
        .aggregate = fields->aggregate,
    };
    enum tpw_err err = market__decimal_text(feed, state, price, price_len,
                                            state->book.price_exponent, &trade.price_minor);
    if (err == TPW_OK) {
        err = market__decimal_text(feed, state, qty, qty_len, state->book.qty_exponent,
                                   &trade.qty_minor);
    }
    if (err != TPW_OK) {
        return err;
    }
    if (trade.price_minor == 0 || trade.qty_minor == 0) {
        return market__refuse(feed, state, MARKET_MALFORMED_NUMBER,
                              "a trade of zero price or quantity");
    }
    if (state->has_trade && state->trades_aggregate != trade.aggregate) {
        /* Trades and aggTrades number apart and hold the same fills: counting both
         * would count every fill twice, so the kind seen first is the one kept. */
        feed->status.ignored_count++;
        return TPW_OK;
    }
    if (state->has_trade && trade.trade_id <= state->status.last_trade_id) {
        state->status.trades_dropped_count++; /* a replay (Coinbase's last_match, a
                                                 resubscription): counted once already */
        return TPW_OK;
    }
    trade_accept(feed, state, &trade);
    return TPW_OK;
}

bool market__ms_to_us(uint64_t time_ms, int64_t *out_us)
{
    if (time_ms > (uint64_t)(INT64_MAX / 1000)) {
        return false;
    }
    *out_us = (int64_t)time_ms * 1000;
    return true;
}

/* `count` digits at `text` as a number (no sign); false when one is not a digit. */
static bool digits_value(const char *text, size_t count, unsigned *out)
{
    unsigned value = 0;
    for (size_t index = 0; index < count; index++) {
        if (text[index] < '0' || text[index] > '9') {
            return false;
        }
        value = value * 10 + (unsigned)(text[index] - '0');
    }
    *out = value;
    return true;
}

/* Days from 1970-01-01 to year-month-day of the proleptic Gregorian calendar: years
 * counted from March, so the leap day ends a year, in 400-year eras of 146097 days. */
static int64_t days_from_civil(unsigned year, unsigned month, unsigned day)
{
    int64_t march_year = (int64_t)year - (month <= 2 ? 1 : 0);
    int64_t era = march_year / 400; /* years are ≥ 1970 here: no negative division */
    int64_t year_of_era = march_year - era * 400;
    int64_t march_month = month > 2 ? (int64_t)month - 3 : (int64_t)month + 9;
    int64_t day_of_year = (153 * march_month + 2) / 5 + (int64_t)day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

static bool leap_year(unsigned year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Microseconds of a fraction ".d…" (1 to 9 digits; the 7th and later are cut). */
static bool fraction_us(const char *text, size_t text_len, int64_t *out)
{
    if (text_len < 2 || text_len > 10 || text[0] != '.') {
        return false;
    }
    int64_t micros = 0;
    for (size_t index = 1; index < 7; index++) {
        char c = '0'; /* "…:27.5Z" is 500000 µs: the missing digits are zeros */
        if (index < text_len) {
            c = text[index];
        }
        if (c < '0' || c > '9') {
            return false;
        }
        micros = micros * 10 + (c - '0');
    }
    unsigned rest = 0;
    bool digits = text_len <= 7 || digits_value(text + 7, text_len - 7, &rest);
    *out = micros;
    return digits;
}

bool market__utc_time_us(const char *text, size_t text_len, int64_t *out_us)
{
    /* YYYY-MM-DDTHH:MM:SS, an optional fraction, then Z. */
    static const char layout[] = "dddd-dd-ddTdd:dd:dd";
    size_t fixed_len = sizeof(layout) - 1;
    if (text_len < fixed_len + 1 || text[text_len - 1] != 'Z') {
        return false;
    }
    for (size_t index = 0; index < fixed_len; index++) {
        bool digit = text[index] >= '0' && text[index] <= '9';
        if (layout[index] == 'd' ? !digit : text[index] != layout[index]) {
            return false;
        }
    }
    unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    (void)digits_value(text, 4, &year);
    (void)digits_value(text + 5, 2, &month);
    (void)digits_value(text + 8, 2, &day);
    (void)digits_value(text + 11, 2, &hour);
    (void)digits_value(text + 14, 2, &minute);
    (void)digits_value(text + 17, 2, &second);
    static const unsigned month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 ||
        second > 59 || day > month_days[month - 1] + (month == 2 && leap_year(year) ? 1u : 0u)) {
        return false;
    }
    int64_t micros = 0;
    size_t rest_len = text_len - fixed_len - 1;
    if (rest_len > 0 && !fraction_us(text + fixed_len, rest_len, &micros)) {
        return false;
    }
    int64_t seconds = days_from_civil(year, month, day) * 86400 + (int64_t)hour * 3600 +
                      (int64_t)minute * 60 + (int64_t)second;
    *out_us = seconds * 1000000 + micros;
    return true;
}
