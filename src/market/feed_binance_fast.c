/*
 * The streaming decoder of Binance's messages (spot and USD-M): one strict scan of the
 * bytes (json_scan.c) into the values of a fixed key table, no tree and no allocation,
 * then the same shared steps the jansson handlers of feed_binance.c call, in the same
 * order, so books, counters and log lines are the same.
 *
 * Taken here: depthUpdate events, bookTicker events (spot: no "e" and an "A"; futures:
 * "e":"bookTicker"), trade and aggTrade events, kline events (ignored, as by jansson's
 * handler, once the scanner checked their candle "k", an object of scalars), bare or in
 * the combined-stream envelope {"stream","data"}, and REST depth snapshots
 * {"lastUpdateId","bids","asks"} (futures add "E","T"). Declined, for jansson (before
 * any side effect): whatever the scanner refuses (escapes, non-ASCII, reals, negative or
 * 19-digit numbers, null, other keys, duplicate keys, deeper nesting, truncation) and
 * every shape whose fields are missing or of another type than the procedure needs,
 * since those are refusals whose order and wording the jansson handlers define.
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
    KEY_ASKS, /* "a": levels in a diff, the best ask in a ticker, an aggTrade's id */
    KEY_ASK_QTY,
    /* The trade streams' keys last: the depth events' keys are found first. */
    KEY_TRADE_ID,    /* "t" */
    KEY_PRICE,       /* "p" */
    KEY_QTY,         /* "q" */
    KEY_MAKER,       /* "m": the buyer was the maker */
    KEY_IGNORE,      /* "M", ignored */
    KEY_FIRST_TRADE, /* "f", ignored (aggTrade) */
    KEY_LAST_TRADE,  /* "l", ignored (aggTrade) */
    KEY_KLINE,       /* "k": a kline event's candle, a flat object, checked and ignored */
    KEY_COUNT,
};

static const struct market_scan_key event_keys[KEY_COUNT] = {
    [KEY_STREAM] = {"stream", 0}, [KEY_DATA] = {"data", 0},    [KEY_KIND] = {"e", 0},
    [KEY_EVENT_TIME] = {"E", 0},  [KEY_TRADE_TIME] = {"T", 0}, [KEY_SYMBOL] = {"s", 0},
    [KEY_FIRST_ID] = {"U", 0},    [KEY_LAST_ID] = {"u", 0},    [KEY_PREVIOUS_ID] = {"pu", 0},
    [KEY_BIDS] = {"b", 2},        [KEY_BID_QTY] = {"B", 0},    [KEY_ASKS] = {"a", 2},
    [KEY_ASK_QTY] = {"A", 0},     [KEY_TRADE_ID] = {"t", 0},   [KEY_PRICE] = {"p", 0},
    [KEY_QTY] = {"q", 0},         [KEY_MAKER] = {"m", 0},      [KEY_IGNORE] = {"M", 0},
    [KEY_FIRST_TRADE] = {"f", 0}, [KEY_LAST_TRADE] = {"l", 0}, [KEY_KLINE] = {"k", 0, true},
};
_Static_assert(KEY_COUNT <= MARKET_SCAN_KEYS_MAX, "the scanner's table bound");

/* The two messages the combined streams send most, exactly as Binance writes them: a
 * depth diff and a spot bookTicker (json_scan.h: a message of another shape, or with
 * whitespace or keys in another order, takes the general scan). */
static const struct market_scan_shape event_shapes[] = {
    {.steps = {MARKET_SCAN_STEP("{\"stream\":", KEY_STREAM, false),
               MARKET_SCAN_STEP(",\"data\":{\"e\":", KEY_KIND, true),
               MARKET_SCAN_STEP(",\"E\":", KEY_EVENT_TIME, true),
               MARKET_SCAN_STEP(",\"s\":", KEY_SYMBOL, true),
               MARKET_SCAN_STEP(",\"U\":", KEY_FIRST_ID, true),
               MARKET_SCAN_STEP(",\"u\":", KEY_LAST_ID, true),
               MARKET_SCAN_STEP(",\"b\":", KEY_BIDS, true),
               MARKET_SCAN_STEP(",\"a\":", KEY_ASKS, true)},
     .steps_count = 8,
     .tail = "}}",
     .tail_len = 2,
     .nested_key = KEY_DATA},
    {.steps = {MARKET_SCAN_STEP("{\"stream\":", KEY_STREAM, false),
               MARKET_SCAN_STEP(",\"data\":{\"u\":", KEY_LAST_ID, true),
               MARKET_SCAN_STEP(",\"s\":", KEY_SYMBOL, true),
               MARKET_SCAN_STEP(",\"b\":", KEY_BIDS, true),
               MARKET_SCAN_STEP(",\"B\":", KEY_BID_QTY, true),
               MARKET_SCAN_STEP(",\"a\":", KEY_ASKS, true),
               MARKET_SCAN_STEP(",\"A\":", KEY_ASK_QTY, true)},
     .steps_count = 7,
     .tail = "}}",
     .tail_len = 2,
     .nested_key = KEY_DATA},
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

/* What trade_event() of feed_binance.c needs, of the types it accepts; other keys of the
 * table ("E", "M", "f", "l", a trade's "b" and "a" order ids) it never reads. */
static bool trade_shape(const struct market_scan_object *event, bool aggregate)
{
    return has(event, KEY_SYMBOL, MARKET_SCAN_STRING) &&
           has(event, aggregate ? KEY_ASKS : KEY_TRADE_ID, MARKET_SCAN_UINT) &&
           has(event, KEY_TRADE_TIME, MARKET_SCAN_UINT) &&
           has(event, KEY_MAKER, MARKET_SCAN_BOOL) && has(event, KEY_PRICE, MARKET_SCAN_STRING) &&
           has(event, KEY_QTY, MARKET_SCAN_STRING);
}

static enum tpw_err trade_event(struct market_feed *feed, const struct market_scan_object *event,
                                bool aggregate)
{
    struct market__book_state *state = NULL;
    enum tpw_err err = event_book(feed, event, &state);
    if (err != TPW_OK) {
        return err;
    }
    TPW_ASSERT(state != NULL);
    struct market__trade_fields fields = {
        .trade_id = event->values[aggregate ? KEY_ASKS : KEY_TRADE_ID].number,
        .aggressor = event->values[KEY_MAKER].number != 0 ? MARKET_TAKER_SELL : MARKET_TAKER_BUY,
        .aggregate = aggregate,
    };
    if (!market__ms_to_us(event->values[KEY_TRADE_TIME].number, &fields.trade_time_us)) {
        return market__refuse(feed, state, MARKET_MALFORMED_TYPE, "T");
    }
    const struct market_scan_value *price = &event->values[KEY_PRICE];
    const struct market_scan_value *qty = &event->values[KEY_QTY];
    return market__trade(feed, state, &fields, price->text, price->text_len, qty->text,
                         qty->text_len);
}

/* The kind of a depth, ticker or trade event, or false for another event. */
enum event_kind { EVENT_DEPTH, EVENT_TICKER, EVENT_TRADE, EVENT_AGG_TRADE };

static bool event_kind_of(const struct market_scan_object *event, enum event_kind *out)
{
    const struct market_scan_value *kind = &event->values[KEY_KIND];
    if ((event->present_mask & BIT(KEY_KIND)) == 0) {
        *out = EVENT_TICKER; /* spot tickers carry no "e": an "A" says it is one */
        return (event->present_mask & BIT(KEY_ASK_QTY)) != 0;
    }
    static const struct {
        const char *name;
        enum event_kind kind;
    } kinds[] = {{"depthUpdate", EVENT_DEPTH},
                 {"bookTicker", EVENT_TICKER},
                 {"trade", EVENT_TRADE},
                 {"aggTrade", EVENT_AGG_TRADE}};
    for (size_t index = 0; index < sizeof(kinds) / sizeof(kinds[0]); index++) {
        if (is_string(kind, kinds[index].name)) {
            *out = kinds[index].kind;
            return true;
        }
    }
    return false;
}

/* Handles an event of a known kind when its shape is the one its handler needs. */
static bool event_handle(struct market_feed *feed, const struct market_scan_object *event,
                         enum event_kind kind, market__binance_rule rule, enum tpw_err *err)
{
    switch (kind) {
    case EVENT_DEPTH:
        if (!depth_shape(event)) {
            return false;
        }
        *err = depth_update(feed, event, rule);
        return true;
    case EVENT_TICKER:
        if (!ticker_shape(event)) {
            return false;
        }
        *err = book_ticker(feed, event);
        return true;
    case EVENT_TRADE:
    case EVENT_AGG_TRADE:
        if (!trade_shape(event, kind == EVENT_AGG_TRADE)) {
            return false;
        }
        *err = trade_event(feed, event, kind == EVENT_AGG_TRADE);
        return true;
    }
    return false;
}

bool market__binance_message_fast(struct market_feed *feed, const char *text, size_t text_len,
                                  market__binance_rule rule, enum tpw_err *err)
{
    struct market_scan_object root;
    struct market_scan_object inner;
    if (!market_scan_message_shaped(text, text_len, event_keys, KEY_COUNT, event_shapes,
                                    sizeof(event_shapes) / sizeof(event_shapes[0]), &root, &inner,
                                    &feed->stage)) {
        return false;
    }
    const struct market_scan_object *event = event_of(&root, &inner);
    if (event == NULL || (event->present_mask & (BIT(KEY_STREAM) | BIT(KEY_DATA))) != 0) {
        return false;
    }
    if ((event->present_mask & BIT(KEY_KIND)) != 0 &&
        event->values[KEY_KIND].type != MARKET_SCAN_STRING) {
        return false; /* jansson's handler reads a non-string "e" as none */
    }
    enum event_kind kind = EVENT_DEPTH;
    if (event_kind_of(event, &kind)) {
        return event_handle(feed, event, kind, rule, err);
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
    if (!market_scan_message_staged(body, body_len, snapshot_keys, SNAP_COUNT, &root, NULL,
                                    &feed->stage)) {
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
