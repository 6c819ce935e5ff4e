/*
 * The streaming decoder of Binance's messages (spot and USD-M): one strict scan of the
 * bytes (json_scan.c) into the values of a fixed key table, no tree and no allocation,
 * then the same shared steps the jansson handlers of feed_binance.c call, in the same
 * order, so books, counters and log lines are the same.
 *
 * Taken here: depthUpdate events, bookTicker events (spot: no "e" and an "A"; futures:
 * "e":"bookTicker"), bare or in the combined-stream envelope {"stream","data"}, and REST
 * depth snapshots {"lastUpdateId","bids","asks"} (futures add "E","T"). Declined, for
 * jansson (before any side effect): whatever the scanner refuses (escapes, non-ASCII,
 * reals, negative or 19-digit numbers, true/false/null, other keys — so trades and
 * klines —, duplicate keys, deeper nesting, truncation) and every shape whose fields are
 * missing or of another type than the procedure needs, since those are refusals whose
 * order and wording the jansson handlers define.
 */
#include <string.h>

#include "feed_binance.h"
#include "tpw_assert.h"

#include "banned.h"

/* The keys of every accepted object, envelope and event together. */
enum binance_key {
    KEY_STREAM,
    KEY_DATA,
    KEY_KIND,       /* "e" */
    KEY_EVENT_TIME, /* "E", ignored */
    KEY_TRADE_TIME, /* "T", ignored (futures) */
    KEY_SYMBOL,     /* "s" */
    KEY_FIRST_ID,   /* "U" */
    KEY_LAST_ID,    /* "u" */
    KEY_PREVIOUS_ID,
    KEY_BIDS, /* "b": levels in a diff, the best bid price in a ticker */
    KEY_BID_QTY,
    KEY_ASKS, /* "a" */
    KEY_ASK_QTY,
    KEY_COUNT,
};

static const struct market_scan_key event_keys[KEY_COUNT] = {
    [KEY_STREAM] = {"stream", 0}, [KEY_DATA] = {"data", 0},    [KEY_KIND] = {"e", 0},
    [KEY_EVENT_TIME] = {"E", 0},  [KEY_TRADE_TIME] = {"T", 0}, [KEY_SYMBOL] = {"s", 0},
    [KEY_FIRST_ID] = {"U", 0},    [KEY_LAST_ID] = {"u", 0},    [KEY_PREVIOUS_ID] = {"pu", 0},
    [KEY_BIDS] = {"b", 2},        [KEY_BID_QTY] = {"B", 0},    [KEY_ASKS] = {"a", 2},
    [KEY_ASK_QTY] = {"A", 0},
};

#define BIT(key) (UINT32_C(1) << (key))

static bool has(const struct market_scan_object *object, enum binance_key key,
                enum market_scan_type type)
{
    return (object->present_mask & BIT(key)) != 0 && object->values[key].type == type;
}

static bool is_string(const struct market_scan_value *value, const char *text)
{
    size_t text_len = strlen(text);
    return value->type == MARKET_SCAN_STRING && value->text_len == text_len &&
           memcmp(value->text, text, text_len) == 0;
}

/* The event of a scanned message: the envelope's "data", or the message itself. */
static const struct market_scan_object *event_of(const struct market_scan_object *root,
                                                 const struct market_scan_object *inner)
{
    if ((root->present_mask & BIT(KEY_DATA)) != 0) {
        bool envelope = (root->present_mask & ~(BIT(KEY_STREAM) | BIT(KEY_DATA))) == 0 &&
                        has(root, KEY_DATA, MARKET_SCAN_OBJECT) &&
                        ((root->present_mask & BIT(KEY_STREAM)) == 0 ||
                         has(root, KEY_STREAM, MARKET_SCAN_STRING));
        return envelope ? inner : NULL;
    }
    return (root->present_mask & BIT(KEY_STREAM)) == 0 ? root : NULL;
}

/* The event's book (a refusal when its symbol has none, as event_book() does). */
static enum tpw_err event_book(struct market_feed *feed, const struct market_scan_object *event,
                               struct market__book_state **out)
{
    const struct market_scan_value *symbol = &event->values[KEY_SYMBOL];
    *out = market__book_find(feed, symbol->text, symbol->text_len);
    if (*out == NULL) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_UNKNOWN_SYMBOL,
                              "event for a symbol without a snapshot");
    }
    return TPW_OK;
}

static bool depth_shape(const struct market_scan_object *event)
{
    return has(event, KEY_SYMBOL, MARKET_SCAN_STRING) &&
           has(event, KEY_FIRST_ID, MARKET_SCAN_UINT) &&
           has(event, KEY_LAST_ID, MARKET_SCAN_UINT) &&
           ((event->present_mask & BIT(KEY_PREVIOUS_ID)) == 0 ||
            has(event, KEY_PREVIOUS_ID, MARKET_SCAN_UINT)) &&
           has(event, KEY_BIDS, MARKET_SCAN_LEVELS) && has(event, KEY_ASKS, MARKET_SCAN_LEVELS);
}

static enum tpw_err depth_update(struct market_feed *feed, const struct market_scan_object *event,
                                 market__binance_rule rule)
{
    struct market__book_state *state = NULL;
    enum tpw_err err = event_book(feed, event, &state);
    if (err != TPW_OK) {
        return err;
    }
    TPW_ASSERT(state != NULL);
    state->status.events_count++;
    struct market__binance_ids ids = {
        .first_id = event->values[KEY_FIRST_ID].number,
        .last_id = event->values[KEY_LAST_ID].number,
        .previous_id = event->values[KEY_PREVIOUS_ID].number,
        .has_previous = (event->present_mask & BIT(KEY_PREVIOUS_ID)) != 0,
    };
    if (!ids.has_previous) {
        ids.previous_id = 0;
    }
    struct market__levels bids = {NULL, &event->values[KEY_BIDS], 2};
    struct market__levels asks = {NULL, &event->values[KEY_ASKS], 2};
    return market__binance_depth_apply(feed, state, &ids, rule, &bids, &asks);
}

static bool ticker_shape(const struct market_scan_object *event)
{
    return has(event, KEY_SYMBOL, MARKET_SCAN_STRING) &&
           has(event, KEY_LAST_ID, MARKET_SCAN_UINT) && has(event, KEY_BIDS, MARKET_SCAN_STRING) &&
           has(event, KEY_BID_QTY, MARKET_SCAN_STRING) &&
           has(event, KEY_ASKS, MARKET_SCAN_STRING) && has(event, KEY_ASK_QTY, MARKET_SCAN_STRING);
}

static enum tpw_err book_ticker(struct market_feed *feed, const struct market_scan_object *event)
{
    struct market__book_state *state = NULL;
    enum tpw_err err = event_book(feed, event, &state);
    if (err != TPW_OK) {
        return err;
    }
    TPW_ASSERT(state != NULL);
    struct market__ticker ticker;
    memset(&ticker, 0, sizeof(ticker));
    ticker.update_id = event->values[KEY_LAST_ID].number;
    const struct {
        enum binance_key key;
        bool is_price;
        uint64_t *out;
    } fields[] = {
        {KEY_BIDS, true, &ticker.bid.price_minor},
        {KEY_BID_QTY, false, &ticker.bid.qty_minor},
        {KEY_ASKS, true, &ticker.ask.price_minor},
        {KEY_ASK_QTY, false, &ticker.ask.qty_minor},
    };
    for (size_t index = 0; err == TPW_OK && index < sizeof(fields) / sizeof(fields[0]); index++) {
        const struct market_scan_value *value = &event->values[fields[index].key];
        unsigned exponent =
            fields[index].is_price ? state->book.price_exponent : state->book.qty_exponent;
        err = market__decimal_text(feed, state, value->text, value->text_len, exponent,
                                   fields[index].out);
    }
    if (err == TPW_OK) {
        market__ticker(feed, state, &ticker);
    }
    return err;
}

bool market__binance_message_fast(struct market_feed *feed, const char *text, size_t text_len,
                                  market__binance_rule rule, enum tpw_err *err)
{
    struct market_scan_object root;
    struct market_scan_object inner;
    if (!market_scan_message(text, text_len, event_keys, KEY_COUNT, &root, &inner)) {
        return false;
    }
    const struct market_scan_object *event = event_of(&root, &inner);
    if (event == NULL || (event->present_mask & (BIT(KEY_STREAM) | BIT(KEY_DATA))) != 0) {
        return false;
    }
    bool has_kind = (event->present_mask & BIT(KEY_KIND)) != 0;
    const struct market_scan_value *kind = &event->values[KEY_KIND];
    if (has_kind && kind->type != MARKET_SCAN_STRING) {
        return false; /* jansson's handler reads a non-string "e" as none */
    }
    bool depth = has_kind && is_string(kind, "depthUpdate");
    bool ticker =
        has_kind ? is_string(kind, "bookTicker") : (event->present_mask & BIT(KEY_ASK_QTY)) != 0;
    if (depth || ticker) {
        if (depth ? !depth_shape(event) : !ticker_shape(event)) {
            return false;
        }
        *err = depth ? depth_update(feed, event, rule) : book_ticker(feed, event);
        return true;
    }
    feed->status.ignored_count++; /* a well-formed event of another kind */
    *err = TPW_OK;
    return true;
}

/* The keys of a REST depth snapshot. */
enum snapshot_key { SNAP_ID, SNAP_EVENT_TIME, SNAP_TRADE_TIME, SNAP_BIDS, SNAP_ASKS, SNAP_COUNT };

static const struct market_scan_key snapshot_keys[SNAP_COUNT] = {
    [SNAP_ID] = {"lastUpdateId", 0}, [SNAP_EVENT_TIME] = {"E", 0}, [SNAP_TRADE_TIME] = {"T", 0},
    [SNAP_BIDS] = {"bids", 2},       [SNAP_ASKS] = {"asks", 2},
};

bool market__binance_snapshot_fast(struct market_feed *feed, const char *url, size_t url_len,
                                   const char *body, size_t body_len, enum tpw_err *err)
{
    struct market_scan_object root;
    if (!market_scan_message(body, body_len, snapshot_keys, SNAP_COUNT, &root, NULL)) {
        return false;
    }
    uint32_t needed = BIT(SNAP_ID) | BIT(SNAP_BIDS) | BIT(SNAP_ASKS);
    if ((root.present_mask & needed) != needed || root.values[SNAP_ID].type != MARKET_SCAN_UINT ||
        root.values[SNAP_BIDS].type != MARKET_SCAN_LEVELS ||
        root.values[SNAP_ASKS].type != MARKET_SCAN_LEVELS) {
        return false;
    }
    const char *symbol = NULL;
    size_t symbol_len = 0;
    if (!market__url_query_value(url, url_len, "symbol", &symbol, &symbol_len)) {
        *err = market__refuse(feed, NULL, MARKET_MALFORMED_TYPE, "no symbol= in snapshot url");
        return true;
    }
    struct market__levels bids = {NULL, &root.values[SNAP_BIDS], 2};
    struct market__levels asks = {NULL, &root.values[SNAP_ASKS], 2};
    *err =
        market__snapshot_load(feed, symbol, symbol_len, root.values[SNAP_ID].number, &bids, &asks);
    return true;
}
