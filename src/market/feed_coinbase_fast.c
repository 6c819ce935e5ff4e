/*
 * The streaming decoder of Coinbase level2 (the formats of feed_coinbase.c): one strict
 * scan (json_scan.c), then the shared steps in the jansson handler's order.
 *
 * Taken here: {"type","product_id","bids","asks"} snapshots, {"type","product_id",
 * "changes","time"} l2updates whose changes are [side, price, size] strings, match and
 * last_match trades (unauthenticated: the keys of the table below), and any other type
 * of that key table (ignored). Declined, for jansson (before any side
 * effect): whatever the scanner refuses (escapes, non-ASCII, numbers where strings are
 * due, other keys — subscriptions, heartbeats and tickers carry others —, duplicate keys,
 * truncation) and a missing or non-string type or product_id, bids/asks/changes that are
 * not level arrays of the right width: refusals the jansson handler words.
 */
#include <string.h>

#include "market_int.h"
#include "tpw_assert.h"

#include "banned.h"

enum coinbase_key {
    KEY_TYPE,
    KEY_PRODUCT,
    KEY_BIDS,
    KEY_ASKS,
    KEY_CHANGES,
    KEY_TIME,
    /* A match's keys; "sequence" and the order ids are not read. */
    KEY_TRADE_ID,
    KEY_SEQUENCE,
    KEY_MAKER_ORDER,
    KEY_TAKER_ORDER,
    KEY_SIZE,
    KEY_PRICE,
    KEY_SIDE,
    KEY_COUNT
};

static const struct market_scan_key coinbase_keys[KEY_COUNT] = {
    [KEY_TYPE] = {"type", 0},
    [KEY_PRODUCT] = {"product_id", 0},
    [KEY_BIDS] = {"bids", 2},
    [KEY_ASKS] = {"asks", 2},
    [KEY_CHANGES] = {"changes", 3},
    [KEY_TIME] = {"time", 0},
    [KEY_TRADE_ID] = {"trade_id", 0},
    [KEY_SEQUENCE] = {"sequence", 0},
    [KEY_MAKER_ORDER] = {"maker_order_id", 0},
    [KEY_TAKER_ORDER] = {"taker_order_id", 0},
    [KEY_SIZE] = {"size", 0},
    [KEY_PRICE] = {"price", 0},
    [KEY_SIDE] = {"side", 0},
};
_Static_assert(KEY_COUNT <= MARKET_SCAN_KEYS_MAX, "the scanner's table bound");

static bool has(const struct market_scan_object *object, enum coinbase_key key,
                enum market_scan_type type)
{
    return (object->present_mask & (UINT32_C(1) << key)) != 0 && object->values[key].type == type;
}

static bool text_is(const char *text, size_t text_len, const char *expected)
{
    size_t expected_len = strlen(expected);
    return text_len == expected_len && memcmp(text, expected, expected_len) == 0;
}

/* The changes of an l2update, as l2_change() parses each: the side, then the decimals. */
static enum tpw_err changes_add(struct market_feed *feed, struct market__book_state *state,
                                const struct market_scan_value *changes)
{
    struct market_scan_strings walk;
    market_scan_strings_init(&walk, changes);
    for (size_t index = 0; index < changes->levels_count; index++) {
        const char *text[3] = {NULL, NULL, NULL};
        size_t text_len[3] = {0, 0, 0};
        for (size_t field = 0; field < 3; field++) {
            bool found = market_scan_strings_next(&walk, &text[field], &text_len[field]);
            TPW_ASSERT(found); /* the scan checked three strings per change */
        }
        bool buy = text_is(text[0], text_len[0], "buy");
        if (!buy && !text_is(text[0], text_len[0], "sell")) {
            return market__refuse(feed, state, MARKET_MALFORMED_TYPE,
                                  "change is not [side,px,size]");
        }
        enum tpw_err err = market__change_add_text(feed, state, buy ? MARKET_BID : MARKET_ASK,
                                                   text[1], text_len[1], text[2], text_len[2]);
        if (err != TPW_OK) {
            return err;
        }
    }
    return TPW_OK;
}

static enum tpw_err l2_update(struct market_feed *feed, const struct market_scan_object *message)
{
    const struct market_scan_value *product = &message->values[KEY_PRODUCT];
    struct market__book_state *state = market__book_find(feed, product->text, product->text_len);
    if (state == NULL) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_UNKNOWN_SYMBOL,
                              "l2update for a product without a snapshot");
    }
    state->status.events_count++;
    if (!state->status.synced) {
        state->status.unsynced_count++;
        return TPW_OK;
    }
    market__changes_clear(feed);
    enum tpw_err err = changes_add(feed, state, &message->values[KEY_CHANGES]);
    if (err != TPW_OK) {
        market__needs_resync(state); /* the update is lost: the book is wrong from here */
        return err;
    }
    return market__changes_apply(feed, state, state->status.last_update_id);
}

static bool match_shape(const struct market_scan_object *message)
{
    return has(message, KEY_PRODUCT, MARKET_SCAN_STRING) &&
           has(message, KEY_TRADE_ID, MARKET_SCAN_UINT) &&
           has(message, KEY_SIDE, MARKET_SCAN_STRING) &&
           has(message, KEY_TIME, MARKET_SCAN_STRING) &&
           has(message, KEY_PRICE, MARKET_SCAN_STRING) &&
           has(message, KEY_SIZE, MARKET_SCAN_STRING);
}

/* A match or last_match, checked in match()'s order of feed_coinbase.c. */
static enum tpw_err match(struct market_feed *feed, const struct market_scan_object *message)
{
    const struct market_scan_value *product = &message->values[KEY_PRODUCT];
    struct market__book_state *state = market__book_find(feed, product->text, product->text_len);
    if (state == NULL) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_UNKNOWN_SYMBOL,
                              "match for a product without a snapshot");
    }
    struct market__trade_fields fields = {.trade_id = message->values[KEY_TRADE_ID].number,
                                          .aggregate = false};
    const struct market_scan_value *side = &message->values[KEY_SIDE];
    if (!market__coinbase_maker_side(side->text, side->text_len, &fields.aggressor)) {
        return market__refuse(feed, state, MARKET_MALFORMED_TYPE, "side");
    }
    const struct market_scan_value *time_value = &message->values[KEY_TIME];
    if (!market__utc_time_us(time_value->text, time_value->text_len, &fields.trade_time_us)) {
        return market__refuse(feed, state, MARKET_MALFORMED_TYPE, "time");
    }
    const struct market_scan_value *price = &message->values[KEY_PRICE];
    const struct market_scan_value *size = &message->values[KEY_SIZE];
    return market__trade(feed, state, &fields, price->text, price->text_len, size->text,
                         size->text_len);
}

bool market__coinbase_message_fast(struct market_feed *feed, const char *text, size_t text_len,
                                   enum tpw_err *err)
{
    struct market_scan_object message;
    if (!market_scan_message_staged(text, text_len, coinbase_keys, KEY_COUNT, &message, NULL,
                                    &feed->stage) ||
        !has(&message, KEY_TYPE, MARKET_SCAN_STRING)) {
        return false;
    }
    const struct market_scan_value *type = &message.values[KEY_TYPE];
    bool snapshot = text_is(type->text, type->text_len, "snapshot");
    if (text_is(type->text, type->text_len, "match") ||
        text_is(type->text, type->text_len, "last_match")) {
        if (!match_shape(&message)) {
            return false;
        }
        *err = match(feed, &message);
        return true;
    }
    if (!snapshot && !text_is(type->text, type->text_len, "l2update")) {
        feed->status.ignored_count++;
        *err = TPW_OK;
        return true;
    }
    bool shape = has(&message, KEY_PRODUCT, MARKET_SCAN_STRING) &&
                 (snapshot ? has(&message, KEY_BIDS, MARKET_SCAN_LEVELS) &&
                                 has(&message, KEY_ASKS, MARKET_SCAN_LEVELS)
                           : has(&message, KEY_CHANGES, MARKET_SCAN_LEVELS));
    if (!shape) {
        return false;
    }
    if (snapshot) {
        const struct market_scan_value *product = &message.values[KEY_PRODUCT];
        struct market__levels bids = {NULL, &message.values[KEY_BIDS], 2};
        struct market__levels asks = {NULL, &message.values[KEY_ASKS], 2};
        *err = market__snapshot_load(feed, product->text, product->text_len, 0, &bids, &asks);
    } else {
        *err = l2_update(feed, &message);
    }
    return true;
}
