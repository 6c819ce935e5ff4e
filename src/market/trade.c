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
#include "tpwallet/clock.h"

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

bool market__utc_time_us(const char *text, size_t text_len, int64_t *out_us)
{
    uint64_t ns = 0;
    if (!tpw_clock_parse_utc(text, text_len, &ns)) {
        return false;
    }
    *out_us = (int64_t)(ns / 1000); /* below 2^63 ns: a year at most 2261 */
    return true;
}
