/*
 * Binance spot diff-depth: the venue handler for BINANCE and BINANCE_US, and the
 * message formats Binance's futures handler shares (feed_binance.h).
 *
 * The procedure (Binance "How to manage a local order book correctly", docs/market.md):
 * load the REST snapshot (lastUpdateId); drop events with u <= lastUpdateId; the first
 * applied event must have U <= lastUpdateId+1 <= u; after it each event's U is the
 * previous u + 1, anything else is a gap and the book needs a new snapshot; quantity 0
 * removes a level. Note the first condition is on lastUpdateId+1: the recordings' first
 * applied events all start exactly at lastUpdateId+1, which a literal reading of the
 * doc's "lastUpdateId within [U;u]" would reject.
 * Messages: {"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":…,"s":"NKNUSDT",
 * "U":…,"u":…,"b":[[px,qty]…],"a":[…]}}, bookTicker {"u","s","b","B","a","A"}, and the
 * trade streams: `trade` {"e":"trade","E","s","t","p","q","T","m","M"} (older payloads
 * add the order ids "b","a") and `aggTrade` {"e":"aggTrade","E","s","a","p","q","f","l",
 * "T","m","M"}, with or without the combined-stream envelope; other streams (klines)
 * are ignored.
 */
#include <string.h>

#include "feed_binance.h"
#include "tpw_assert.h"

#include "banned.h"

bool market__url_query_value(const char *url, size_t url_len, const char *name, const char **value,
                             size_t *value_len)
{
    size_t name_len = strlen(name);
    const char *query = memchr(url, '?', url_len);
    size_t index = query != NULL ? (size_t)(query - url) : url_len;
    while (index < url_len) {
        index++; /* past '?' or '&' */
        const char *start = url + index;
        const char *end = memchr(start, '&', url_len - index);
        size_t field_len = end != NULL ? (size_t)(end - start) : url_len - index;
        if (field_len > name_len && memcmp(start, name, name_len) == 0 && start[name_len] == '=') {
            *value = start + name_len + 1;
            *value_len = field_len - name_len - 1;
            return true;
        }
        index += field_len;
    }
    return false;
}

enum tpw_err market__binance_snapshot(struct market_feed *feed, const char *url, size_t url_len,
                                      json_t *body)
{
    const char *symbol = NULL;
    size_t symbol_len = 0;
    if (!market__url_query_value(url, url_len, "symbol", &symbol, &symbol_len)) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_TYPE, "no symbol= in snapshot url");
    }
    if (!json_is_object(body)) {
        return market__refuse(feed, market__book_find(feed, symbol, symbol_len),
                              MARKET_MALFORMED_TYPE, "snapshot is not an object");
    }
    uint64_t update_id = 0;
    enum tpw_err err = market__json_id(feed, market__book_find(feed, symbol, symbol_len), body,
                                       "lastUpdateId", &update_id);
    if (err != TPW_OK) {
        return err;
    }
    struct market__levels bids = {json_object_get(body, "bids"), NULL, 2};
    struct market__levels asks = {json_object_get(body, "asks"), NULL, 2};
    return market__snapshot_load(feed, symbol, symbol_len, update_id, &bids, &asks);
}

/* The book named by the event's "s", or a refusal (bad_type, unknown_symbol). */
static enum tpw_err event_book(struct market_feed *feed, json_t *event,
                               struct market__book_state **out)
{
    const char *symbol = NULL;
    size_t symbol_len = 0;
    enum tpw_err err = market__json_string(feed, NULL, event, "s", &symbol, &symbol_len);
    if (err != TPW_OK) {
        return err;
    }
    *out = market__book_find(feed, symbol, symbol_len);
    if (*out == NULL) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_UNKNOWN_SYMBOL,
                              "event for a symbol without a snapshot");
    }
    return TPW_OK;
}

static enum tpw_err event_ids(struct market_feed *feed, struct market__book_state *state,
                              json_t *event, struct market__binance_ids *ids)
{
    enum tpw_err err = market__json_id(feed, state, event, "U", &ids->first_id);
    if (err == TPW_OK) {
        err = market__json_id(feed, state, event, "u", &ids->last_id);
    }
    ids->has_previous = json_object_get(event, "pu") != NULL;
    if (err == TPW_OK && ids->has_previous) {
        err = market__json_id(feed, state, event, "pu", &ids->previous_id);
    }
    return err;
}

/* Parses both sides of a diff, then applies them: all or nothing. */
static enum tpw_err diff_apply(struct market_feed *feed, struct market__book_state *state,
                               const struct market__levels *bids, const struct market__levels *asks,
                               uint64_t update_id)
{
    market__changes_clear(feed);
    enum tpw_err err = market__changes_add_levels(feed, state, MARKET_BID, bids);
    if (err == TPW_OK) {
        err = market__changes_add_levels(feed, state, MARKET_ASK, asks);
    }
    if (err != TPW_OK) {
        /* The ids were next in line: without this event the book is behind for good. */
        market__needs_resync(state);
        return err;
    }
    return market__changes_apply(feed, state, update_id);
}

static enum tpw_err depth_update(struct market_feed *feed, json_t *event, market__binance_rule rule)
{
    struct market__book_state *state = NULL;
    enum tpw_err err = event_book(feed, event, &state);
    if (err != TPW_OK) {
        return err;
    }
    TPW_ASSERT(state != NULL);
    state->status.events_count++;
    struct market__binance_ids ids = {0, 0, 0, false};
    err = event_ids(feed, state, event, &ids);
    if (err != TPW_OK) {
        return err;
    }
    struct market__levels bids = {json_object_get(event, "b"), NULL, 2};
    struct market__levels asks = {json_object_get(event, "a"), NULL, 2};
    return market__binance_depth_apply(feed, state, &ids, rule, &bids, &asks);
}

enum tpw_err market__binance_depth_apply(struct market_feed *feed, struct market__book_state *state,
                                         const struct market__binance_ids *ids,
                                         market__binance_rule rule,
                                         const struct market__levels *bids,
                                         const struct market__levels *asks)
{
    if (ids->first_id > ids->last_id) {
        return market__refuse(feed, state, MARKET_MALFORMED_OUT_OF_ORDER, "U is above u");
    }
    if (!state->status.synced) {
        state->status.unsynced_count++;
        return TPW_OK;
    }
    uint64_t expected_id = 0;
    switch (rule(state, ids, &expected_id)) {
    case MARKET__APPLY:
        return diff_apply(feed, state, bids, asks, ids->last_id);
    case MARKET__DROP:
        state->status.dropped_count++;
        return TPW_OK;
    case MARKET__GAP:
        return market__gap(feed, state, expected_id, ids->first_id);
    case MARKET__STALE:
        return market__refuse(feed, state, MARKET_MALFORMED_OUT_OF_ORDER,
                              "update ids already applied");
    case MARKET__INVALID:
        break;
    }
    return market__refuse(feed, state, MARKET_MALFORMED_TYPE, "update ids");
}

static enum tpw_err book_ticker(struct market_feed *feed, json_t *event)
{
    struct market__book_state *state = NULL;
    enum tpw_err err = event_book(feed, event, &state);
    struct market__ticker ticker;
    memset(&ticker, 0, sizeof(ticker));
    if (err != TPW_OK) {
        return err;
    }
    TPW_ASSERT(state != NULL);
    err = market__json_id(feed, state, event, "u", &ticker.update_id);
    const struct {
        const char *key;
        bool is_price;
        uint64_t *out;
    } fields[] = {
        {"b", true, &ticker.bid.price_minor},
        {"B", false, &ticker.bid.qty_minor},
        {"a", true, &ticker.ask.price_minor},
        {"A", false, &ticker.ask.qty_minor},
    };
    for (size_t index = 0; err == TPW_OK && index < sizeof(fields) / sizeof(fields[0]); index++) {
        unsigned exponent =
            fields[index].is_price ? state->book.price_exponent : state->book.qty_exponent;
        err = market__decimal(feed, state, json_object_get(event, fields[index].key), exponent,
                              fields[index].out);
    }
    if (err == TPW_OK) {
        market__ticker(feed, state, &ticker);
    }
    return err;
}

/* A `trade` ("t" id) or `aggTrade` ("a" id) event: {"e","E","s",id,"p","q","T","m",…};
 * "m" true means the buyer was the maker, so the taker sold. */
static enum tpw_err trade_event(struct market_feed *feed, json_t *event, bool aggregate)
{
    struct market__book_state *state = NULL;
    enum tpw_err err = event_book(feed, event, &state);
    if (err != TPW_OK) {
        return err;
    }
    TPW_ASSERT(state != NULL);
    struct market__trade_fields fields = {.aggregate = aggregate};
    uint64_t time_ms = 0;
    err = market__json_id(feed, state, event, aggregate ? "a" : "t", &fields.trade_id);
    if (err == TPW_OK) {
        err = market__json_id(feed, state, event, "T", &time_ms);
    }
    if (err == TPW_OK && !market__ms_to_us(time_ms, &fields.trade_time_us)) {
        err = market__refuse(feed, state, MARKET_MALFORMED_TYPE, "T");
    }
    json_t *maker = json_object_get(event, "m");
    if (err == TPW_OK && !json_is_boolean(maker)) {
        err = market__refuse(feed, state, MARKET_MALFORMED_TYPE, "m");
    }
    const char *price = NULL;
    const char *qty = NULL;
    size_t price_len = 0;
    size_t qty_len = 0;
    if (err == TPW_OK) {
        err = market__json_string(feed, state, event, "p", &price, &price_len);
    }
    if (err == TPW_OK) {
        err = market__json_string(feed, state, event, "q", &qty, &qty_len);
    }
    if (err != TPW_OK) {
        return err;
    }
    fields.aggressor = json_is_true(maker) ? MARKET_TAKER_SELL : MARKET_TAKER_BUY;
    return market__trade(feed, state, &fields, price, price_len, qty, qty_len);
}

enum tpw_err market__binance_message(struct market_feed *feed, json_t *message,
                                     market__binance_rule rule)
{
    json_t *event = json_object_get(message, "data");
    if (!json_is_object(event)) {
        event = message; /* a single-stream connection sends bare events */
    }
    if (!json_is_object(event)) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_TYPE, "message is not an object");
    }
    const char *kind = json_string_value(json_object_get(event, "e"));
    if (kind != NULL && strcmp(kind, "depthUpdate") == 0) {
        return depth_update(feed, event, rule);
    }
    /* Spot bookTicker events carry no "e"; futures ones say "bookTicker". */
    bool ticker =
        kind == NULL ? json_object_get(event, "A") != NULL : strcmp(kind, "bookTicker") == 0;
    if (ticker) {
        return book_ticker(feed, event);
    }
    if (kind != NULL && (strcmp(kind, "trade") == 0 || strcmp(kind, "aggTrade") == 0)) {
        return trade_event(feed, event, strcmp(kind, "aggTrade") == 0);
    }
    feed->status.ignored_count++;
    return TPW_OK;
}

/* Spot: first U <= lastUpdateId+1 <= u (events with u <= lastUpdateId were dropped),
 * then U == previous u + 1. */
static enum market__verdict spot_rule(const struct market__book_state *state,
                                      const struct market__binance_ids *ids, uint64_t *expected_id)
{
    uint64_t last_id = state->status.last_update_id;
    *expected_id = last_id + 1;
    if (state->awaiting_first) {
        if (ids->last_id <= last_id) {
            return MARKET__DROP;
        }
        return ids->first_id <= last_id + 1 ? MARKET__APPLY : MARKET__GAP;
    }
    if (ids->last_id <= last_id) {
        return MARKET__STALE;
    }
    return ids->first_id == last_id + 1 ? MARKET__APPLY : MARKET__GAP;
}

static enum tpw_err spot_message(struct market_feed *feed, json_t *message)
{
    return market__binance_message(feed, message, spot_rule);
}

static bool spot_message_fast(struct market_feed *feed, const char *text, size_t text_len,
                              enum tpw_err *err)
{
    return market__binance_message_fast(feed, text, text_len, spot_rule, err);
}

const struct market__venue_ops market__binance_spot_ops = {
    .name = "binance-spot",
    .snapshot = market__binance_snapshot,
    .message = spot_message,
    .snapshot_fast = market__binance_snapshot_fast,
    .message_fast = spot_message_fast,
};
