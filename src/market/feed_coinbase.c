/*
 * Coinbase level2: the venue handler for COINBASE.
 *
 * The level2 channel (Coinbase Exchange websocket docs) sends, after the subscription,
 * one {"type":"snapshot","product_id":"BTC-USD","bids":[[price,size]…],"asks":[…]} and
 * then {"type":"l2update","product_id":…,"time":…,"changes":[["buy"|"sell",price,size]…]}
 * where size is the new absolute quantity at that price and "0" removes the level. The
 * channel carries no sequence numbers, so no gap can be seen in it; a new snapshot (a
 * new subscription) replaces the book. The matches channel's trades, `match` and the
 * `last_match` sent on subscription, go to the shared trade step (their "side" is the
 * maker's). Other message types (subscriptions, heartbeat, ticker) are ignored here.
 */
#include <string.h>

#include "market_int.h"
#include "tpw_assert.h"

#include "banned.h"

static enum tpw_err l2_snapshot(struct market_feed *feed, json_t *message, const char *product,
                                size_t product_len)
{
    /* No update ids: the book stays at 0 and every later l2update follows it. */
    struct market__levels bids = {json_object_get(message, "bids"), NULL, 2};
    struct market__levels asks = {json_object_get(message, "asks"), NULL, 2};
    return market__snapshot_load(feed, product, product_len, 0, &bids, &asks);
}

/* Parses one ["buy"|"sell", price, size] change. */
static enum tpw_err l2_change(struct market_feed *feed, struct market__book_state *state,
                              json_t *change)
{
    const char *side = json_string_value(json_array_get(change, 0));
    if (!json_is_array(change) || json_array_size(change) != 3 || side == NULL ||
        (strcmp(side, "buy") != 0 && strcmp(side, "sell") != 0)) {
        return market__refuse(feed, state, MARKET_MALFORMED_TYPE, "change is not [side,px,size]");
    }
    enum market_side book_side = strcmp(side, "buy") == 0 ? MARKET_BID : MARKET_ASK;
    return market__change_add(feed, state, book_side, json_array_get(change, 1),
                              json_array_get(change, 2));
}

static enum tpw_err l2_update(struct market_feed *feed, json_t *message, const char *product,
                              size_t product_len)
{
    struct market__book_state *state = market__book_find(feed, product, product_len);
    if (state == NULL) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_UNKNOWN_SYMBOL,
                              "l2update for a product without a snapshot");
    }
    state->status.events_count++;
    json_t *changes = json_object_get(message, "changes");
    if (!json_is_array(changes)) {
        return market__refuse(feed, state, MARKET_MALFORMED_TYPE, "changes");
    }
    if (!state->status.synced) {
        state->status.unsynced_count++;
        return TPW_OK;
    }
    market__changes_clear(feed);
    size_t index = 0;
    json_t *change = NULL;
    json_array_foreach(changes, index, change)
    {
        enum tpw_err err = l2_change(feed, state, change);
        if (err != TPW_OK) {
            market__needs_resync(state); /* the update is lost: the book is wrong from here */
            return err;
        }
    }
    return market__changes_apply(feed, state, state->status.last_update_id);
}

bool market__coinbase_maker_side(const char *side, size_t side_len, enum market_taker *out)
{
    bool buy = side_len == 3 && memcmp(side, "buy", 3) == 0;
    if (!buy && !(side_len == 4 && memcmp(side, "sell", 4) == 0)) {
        return false;
    }
    /* The side is the maker's: a resting sell order was hit by a buying taker. */
    *out = buy ? MARKET_TAKER_SELL : MARKET_TAKER_BUY;
    return true;
}

/* A match or last_match: {"type","trade_id","sequence","maker_order_id","taker_order_id",
 * "time","product_id","size","price","side"} (authenticated ones add user fields). */
static enum tpw_err match(struct market_feed *feed, json_t *message, const char *product,
                          size_t product_len)
{
    struct market__book_state *state = market__book_find(feed, product, product_len);
    if (state == NULL) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_UNKNOWN_SYMBOL,
                              "match for a product without a snapshot");
    }
    struct market__trade_fields fields = {.aggregate = false};
    const char *side = NULL;
    const char *time_text = NULL;
    const char *price = NULL;
    const char *size = NULL;
    size_t side_len = 0;
    size_t time_len = 0;
    size_t price_len = 0;
    size_t size_len = 0;
    enum tpw_err err = market__json_id(feed, state, message, "trade_id", &fields.trade_id);
    if (err == TPW_OK) {
        err = market__json_string(feed, state, message, "side", &side, &side_len);
    }
    if (err == TPW_OK && !market__coinbase_maker_side(side, side_len, &fields.aggressor)) {
        err = market__refuse(feed, state, MARKET_MALFORMED_TYPE, "side");
    }
    if (err == TPW_OK) {
        err = market__json_string(feed, state, message, "time", &time_text, &time_len);
    }
    if (err == TPW_OK && !market__utc_time_us(time_text, time_len, &fields.trade_time_us)) {
        err = market__refuse(feed, state, MARKET_MALFORMED_TYPE, "time");
    }
    if (err == TPW_OK) {
        err = market__json_string(feed, state, message, "price", &price, &price_len);
    }
    if (err == TPW_OK) {
        err = market__json_string(feed, state, message, "size", &size, &size_len);
    }
    return err != TPW_OK ? err
                         : market__trade(feed, state, &fields, price, price_len, size, size_len);
}

static enum tpw_err coinbase_message(struct market_feed *feed, json_t *message)
{
    const char *type = json_string_value(json_object_get(message, "type"));
    if (!json_is_object(message) || type == NULL) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_TYPE, "message without a type");
    }
    bool snapshot = strcmp(type, "snapshot") == 0;
    bool trade = strcmp(type, "match") == 0 || strcmp(type, "last_match") == 0;
    if (!snapshot && !trade && strcmp(type, "l2update") != 0) {
        feed->status.ignored_count++;
        return TPW_OK;
    }
    const char *product = NULL;
    size_t product_len = 0;
    enum tpw_err err =
        market__json_string(feed, NULL, message, "product_id", &product, &product_len);
    if (err != TPW_OK) {
        return err;
    }
    if (trade) {
        return match(feed, message, product, product_len);
    }
    return snapshot ? l2_snapshot(feed, message, product, product_len)
                    : l2_update(feed, message, product, product_len);
}

const struct market__venue_ops market__coinbase_ops = {
    .name = "coinbase-level2",
    .snapshot = NULL,
    .message = coinbase_message,
    .snapshot_fast = NULL, /* snapshots come in the stream */
    .message_fast = market__coinbase_message_fast,
};
