/*
 * Coinbase level2: the venue handler for COINBASE.
 *
 * The level2 channel (Coinbase Exchange websocket docs) sends, after the subscription,
 * one {"type":"snapshot","product_id":"BTC-USD","bids":[[price,size]…],"asks":[…]} and
 * then {"type":"l2update","product_id":…,"time":…,"changes":[["buy"|"sell",price,size]…]}
 * where size is the new absolute quantity at that price and "0" removes the level. The
 * channel carries no sequence numbers, so no gap can be seen in it; a new snapshot (a
 * new subscription) replaces the book. Other message types (subscriptions, heartbeat,
 * ticker) are ignored here.
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

static enum tpw_err coinbase_message(struct market_feed *feed, json_t *message)
{
    const char *type = json_string_value(json_object_get(message, "type"));
    if (!json_is_object(message) || type == NULL) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_TYPE, "message without a type");
    }
    bool snapshot = strcmp(type, "snapshot") == 0;
    if (!snapshot && strcmp(type, "l2update") != 0) {
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
