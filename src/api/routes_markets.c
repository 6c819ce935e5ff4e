/*
 * GET /v1/markets (every instrument of the markets file: source, price status, top of
 * book), GET /v1/markets/{venue}/{symbol}/book?depth=N (levels as exact decimal
 * strings), GET /v1/markets/{venue}/{symbol}/indicators (src/market/indicators.c's
 * exact values, a walk for ?qty=) and GET /v1/alerts (the recent alert-like signals).
 * Prices are not customer data: every role reads them all. The books read are the
 * watch threads' copies (markets.c), under each instrument's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "markets.h"
#include "tpw_assert.h"

#include "banned.h"

/* Depth bands reported when ?bps= is not given (the CLI's: market replay --json). */
static const uint32_t default_bands_bps[] = {10, 50, 100};
#define BANDS_MAX 3

static json_t *time_json(uint64_t wall_ns)
{
    char text[TPW_CLOCK_UTC_TEXT_SIZE];
    if (wall_ns == 0) {
        return json_null();
    }
    (void)tpw_clock_format_utc_ms(wall_ns / 1000000u, text);
    return json_string(text);
}

/* The fields /v1/markets and the book share: the instrument and how it is priced. */
static json_t *instrument_json(const char *object_name, const struct api_market *market,
                               const struct api_market_state *state)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "object", object_name, "venue",
                     market->venue, "symbol", market->symbol, "base", market->base, "quote",
                     market->quote, "source", market_source_name(state->source), "status",
                     market_price_status_name(state->status), "synced", state->synced);
}

static json_t *market_json(const struct api_market *market, const struct api_market_state *state,
                           uint64_t now_ns)
{
    json_t *object = instrument_json("market", market, state);
    if (object == NULL) {
        return NULL;
    }
    uint64_t age_ms = state->changed_ns != 0 && now_ns > state->changed_ns
                          ? (now_ns - state->changed_ns) / 1000000u
                          : 0;
    api_market_top_add(object, &state->top, state->price_exponent, state->qty_exponent);
    (void)json_object_set_new(object, "last_update_id",
                              state->has_book ? json_integer((json_int_t)state->last_update_id)
                                              : json_null());
    (void)json_object_set_new(object, "bid_levels",
                              json_integer((json_int_t)state->top.levels_count[MARKET_BID]));
    (void)json_object_set_new(object, "ask_levels",
                              json_integer((json_int_t)state->top.levels_count[MARKET_ASK]));
    (void)json_object_set_new(object, "gaps", json_integer((json_int_t)state->gaps_count));
    (void)json_object_set_new(object, "failovers",
                              json_integer((json_int_t)state->failovers_count));
    (void)json_object_set_new(object, "updated_at", time_json(state->changed_ns));
    (void)json_object_set_new(
        object, "age_ms", state->changed_ns != 0 ? json_integer((json_int_t)age_ms) : json_null());
    return object;
}

void api_markets_index(struct api_request *request, const char *id_text)
{
    (void)id_text;
    struct api_markets *markets = request->server->markets;
    struct tpw_clock wall = tpw_clock_system();
    uint64_t now_ns = tpw_clock_now_ns(&wall);
    json_t *data = json_array();
    for (size_t i = 0; data != NULL && i < api_markets_count(markets); i++) {
        struct api_market *market = api_markets_at(markets, i);
        struct api_market_state state;
        api_market_state_read(market, &state);
        (void)json_array_append_new(data, market_json(market, &state, now_ns));
    }
    api_reply_json(request, 200, api_list_json("/v1/markets", data, false));
}

/* The instrument of a path's "VENUE/SYMBOL"; NULL after replying 404. */
static struct api_market *market_of(struct api_request *request, const char *param)
{
    const char *slash = strchr(param, '/');
    char venue[MARKET_VENUE_SIZE];
    size_t venue_length = slash != NULL ? (size_t)(slash - param) : 0;
    struct api_market *market = NULL;
    if (slash != NULL && venue_length < sizeof venue) {
        memcpy(venue, param, venue_length);
        venue[venue_length] = '\0';
        market = api_markets_find(request->server->markets, venue, slash + 1);
    }
    if (market == NULL) {
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        tpw_error_set_param(&detail, "symbol");
        (void)tpw_error_set(&detail, TPW_ERR_MARKET_UNKNOWN, 0,
                            "no market \"%.80s\" on this server (GET /v1/markets lists them)",
                            param);
        api_reply_error(request, TPW_ERR_MARKET_UNKNOWN, &detail);
    }
    return market;
}

/* A whole number query parameter within [min, max], `fallback` when absent; false
 * after replying 400 naming it. */
static bool query_count(struct api_request *request, const char *name, uint64_t min, uint64_t max,
                        uint64_t fallback, uint64_t *out)
{
    const char *text = api_query(request, name);
    tpw_u128 value = fallback;
    if (text != NULL &&
        (tpw_u128_from_dec(text, strlen(text), &value) != TPW_OK || value < min || value > max)) {
        char message[96];
        (void)snprintf(message, sizeof message, "%s must be a whole number from %llu to %llu", name,
                       (unsigned long long)min, (unsigned long long)max);
        api_reply_error_as(request, 400, "invalid_request_error", "invalid_argument", name,
                           message);
        return false;
    }
    *out = (uint64_t)value;
    return true;
}

/* The top `depth` levels of a side of the copy (the caller holds the lock). */
static json_t *levels_json(const struct market_book *book, enum market_side side, size_t depth)
{
    json_t *levels = json_array();
    struct market_level level;
    for (size_t i = 0; levels != NULL && i < depth && market_book_level(book, side, i, &level);
         i++) {
        (void)json_array_append_new(
            levels,
            json_pack("[o,o]", api_market_decimal_json(level.price_minor, book->price_exponent),
                      api_market_decimal_json(level.qty_minor, book->qty_exponent)));
    }
    return levels;
}

void api_market_book(struct api_request *request, const char *id_text)
{
    struct api_market *market = market_of(request, id_text);
    uint64_t depth = 0;
    if (market == NULL || !query_count(request, "depth", 1, API_MARKETS_DEPTH_MAX,
                                       API_MARKETS_DEPTH_DEFAULT, &depth)) {
        return;
    }
    TPW_ASSERT(pthread_mutex_lock(&market->lock) == 0);
    const struct market_book *book = &market->book;
    json_t *object = instrument_json("book", market, &market->state);
    if (object != NULL) {
        bool has_levels = market_book_levels_count(book, MARKET_BID) > 0 ||
                          market_book_levels_count(book, MARKET_ASK) > 0;
        (void)json_object_set_new(object, "last_update_id",
                                  has_levels ? json_integer((json_int_t)market->book_update_id)
                                             : json_null());
        (void)json_object_set_new(object, "depth", json_integer((json_int_t)depth));
        (void)json_object_set_new(
            object, "bid_levels",
            json_integer((json_int_t)market_book_levels_count(book, MARKET_BID)));
        (void)json_object_set_new(
            object, "ask_levels",
            json_integer((json_int_t)market_book_levels_count(book, MARKET_ASK)));
        (void)json_object_set_new(object, "bids", levels_json(book, MARKET_BID, depth));
        (void)json_object_set_new(object, "asks", levels_json(book, MARKET_ASK, depth));
    }
    TPW_ASSERT(pthread_mutex_unlock(&market->lock) == 0);
    api_reply_json(request, 200, object);
}

/* What ?bps=, ?qty= and ?side= ask for. */
struct indicators_query {
    uint32_t bands_bps[BANDS_MAX];
    size_t bands_count;
    const char *qty_text; /* NULL: no walk */
    enum market_taker taker;
};

/* The indicators of the copy, computed under its lock; each `*_ok` false where the book
 * lacks what the value needs (printed as null). */
struct indicators_values {
    struct market_decimal mid, spread_bps, imbalance, weighted_mid;
    struct market_decimal depth[BANDS_MAX][MARKET_SIDES_COUNT];
    struct market_walk walk;
    struct api_market_state state;
    uint64_t update_id;
    uint64_t qty_minor;
    unsigned qty_exponent;
    bool top_ok;
    bool depth_ok[BANDS_MAX];
    bool has_levels;
};

static bool indicators_query_read(struct api_request *request, struct indicators_query *out)
{
    memset(out, 0, sizeof *out);
    uint64_t bps = 0;
    if (api_query(request, "bps") == NULL) {
        memcpy(out->bands_bps, default_bands_bps, sizeof default_bands_bps);
        out->bands_count = BANDS_MAX;
    } else if (query_count(request, "bps", 0, MARKET_DEPTH_BPS_MAX, 0, &bps)) {
        out->bands_bps[0] = (uint32_t)bps;
        out->bands_count = 1;
    } else {
        return false;
    }
    out->qty_text = api_query(request, "qty");
    const char *side = api_query(request, "side");
    out->taker = MARKET_TAKER_BUY;
    if (side != NULL &&
        (out->qty_text == NULL || (strcmp(side, "buy") != 0 && strcmp(side, "sell") != 0))) {
        api_reply_error_as(request, 400, "invalid_request_error", "invalid_argument", "side",
                           "side is buy or sell, for a walk of ?qty=");
        return false;
    }
    out->taker = side != NULL && strcmp(side, "sell") == 0 ? MARKET_TAKER_SELL : MARKET_TAKER_BUY;
    return true;
}

/* The walk of ?qty= (the caller holds the lock). Errors name `qty`. */
static enum tpw_err walk_compute(const struct market_book *book, const struct indicators_query *q,
                                 struct indicators_values *out, struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, "qty");
    if (!out->has_levels) {
        return tpw_error_set(detail, TPW_ERR_MARKET_BOOK_EMPTY, 0,
                             "the book has no levels yet (not synced)");
    }
    out->qty_exponent = book->qty_exponent;
    enum tpw_err err = market_decimal_parse(q->qty_text, strlen(q->qty_text), book->qty_exponent,
                                            &out->qty_minor, detail);
    if (err == TPW_OK && out->qty_minor == 0) {
        err = tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "qty must be above 0");
    }
    if (err == TPW_OK) {
        err = market_book_walk(book, q->taker, out->qty_minor, &out->walk);
    }
    if (err == TPW_ERR_MARKET_DEPTH_INSUFFICIENT || err == TPW_ERR_MARKET_BOOK_EMPTY) {
        (void)tpw_error_set(detail, err, 0, "%s: the %s side holds less than qty %s",
                            tpw_strerror(err), q->taker == MARKET_TAKER_BUY ? "ask" : "bid",
                            q->qty_text);
    }
    tpw_error_set_param(detail, "qty"); /* the parser's own param would name its input */
    return err;
}

/* Everything under the instrument's lock, nothing allocated there. */
static enum tpw_err indicators_compute(struct api_market *market, const struct indicators_query *q,
                                       struct indicators_values *out,
                                       struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof *out);
    const struct market_book *book = &market->book;
    TPW_ASSERT(pthread_mutex_lock(&market->lock) == 0);
    out->state = market->state;
    out->update_id = market->book_update_id;
    out->has_levels = market_book_levels_count(book, MARKET_BID) > 0 ||
                      market_book_levels_count(book, MARKET_ASK) > 0;
    out->top_ok = market_book_mid(book, &out->mid) == TPW_OK &&
                  market_book_spread_bps(book, &out->spread_bps) == TPW_OK &&
                  market_book_imbalance(book, &out->imbalance) == TPW_OK &&
                  market_book_weighted_mid(book, &out->weighted_mid) == TPW_OK;
    for (size_t band = 0; band < q->bands_count; band++) {
        out->depth_ok[band] =
            market_book_depth(book, MARKET_BID, q->bands_bps[band], &out->depth[band][0]) ==
                TPW_OK &&
            market_book_depth(book, MARKET_ASK, q->bands_bps[band], &out->depth[band][1]) == TPW_OK;
    }
    enum tpw_err err = q->qty_text != NULL ? walk_compute(book, q, out, detail) : TPW_OK;
    TPW_ASSERT(pthread_mutex_unlock(&market->lock) == 0);
    return err;
}

static json_t *value_json(const struct market_decimal *value, bool ok)
{
    char text[MARKET_DECIMAL_TEXT_SIZE];
    return ok && market_decimal_format(value, text, sizeof text) > 0 ? json_string(text)
                                                                     : json_null();
}

static json_t *depth_json(const struct indicators_query *q, const struct indicators_values *v)
{
    json_t *bands = json_object();
    for (size_t band = 0; bands != NULL && band < q->bands_count; band++) {
        char key[16];
        (void)snprintf(key, sizeof key, "%u", (unsigned)q->bands_bps[band]);
        (void)json_object_set_new(
            bands, key,
            json_pack("{s:o,s:o}", "bid", value_json(&v->depth[band][0], v->depth_ok[band]), "ask",
                      value_json(&v->depth[band][1], v->depth_ok[band])));
    }
    return bands;
}

static json_t *walk_json(const struct indicators_query *q, const struct indicators_values *v)
{
    if (q->qty_text == NULL) {
        return json_null();
    }
    return json_pack(
        "{s:s,s:o,s:o,s:o,s:o,s:I}", "side", q->taker == MARKET_TAKER_BUY ? "buy" : "sell", "qty",
        api_market_decimal_json(v->qty_minor, v->qty_exponent), "cost",
        value_json(&v->walk.cost, true), "vwap", value_json(&v->walk.vwap, true), "slippage_bps",
        value_json(&v->walk.slippage_bps, true), "levels", (json_int_t)v->walk.levels_count);
}

void api_market_indicators(struct api_request *request, const char *id_text)
{
    struct api_market *market = market_of(request, id_text);
    struct indicators_query query;
    if (market == NULL || !indicators_query_read(request, &query)) {
        return;
    }
    struct indicators_values *values = malloc(sizeof *values);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err =
        values != NULL ? indicators_compute(market, &query, values, &detail) : TPW_ERR_NOMEM;
    if (err != TPW_OK) {
        free(values);
        api_reply_error(request, err, &detail);
        return;
    }
    json_t *object = instrument_json("indicators", market, &values->state);
    if (object != NULL) {
        (void)json_object_set_new(object, "last_update_id",
                                  values->has_levels ? json_integer((json_int_t)values->update_id)
                                                     : json_null());
        (void)json_object_set_new(object, "mid", value_json(&values->mid, values->top_ok));
        (void)json_object_set_new(object, "spread_bps",
                                  value_json(&values->spread_bps, values->top_ok));
        (void)json_object_set_new(object, "imbalance",
                                  value_json(&values->imbalance, values->top_ok));
        (void)json_object_set_new(object, "weighted_mid",
                                  value_json(&values->weighted_mid, values->top_ok));
        (void)json_object_set_new(object, "depth_bps", depth_json(&query, values));
        (void)json_object_set_new(object, "walk", walk_json(&query, values));
    }
    free(values);
    api_reply_json(request, 200, object);
}

void api_alerts_index(struct api_request *request, const char *id_text)
{
    (void)id_text;
    size_t limit = 0;
    if (!api_query_limit(request, &limit)) {
        return;
    }
    bool has_more = false;
    bool staff = request->principal.role != API_ROLE_USER;
    json_t *data = api_signals_alerts(request->server->signals, staff, limit, &has_more);
    if (data == NULL) {
        api_reply_error(request, TPW_ERR_NOMEM, NULL);
        return;
    }
    api_reply_json(request, 200, api_list_json("/v1/alerts", data, has_more));
}
