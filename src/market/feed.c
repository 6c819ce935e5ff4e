/*
 * Feeds: the venue-independent half of keeping books from a venue's messages.
 *
 * The venue table picks a handler by name; the handler (feed_<venue>.c) decodes its
 * venue's JSON and calls the steps here: find the book, parse every change of a message
 * before touching the book (so a refused message changes nothing), apply, and keep the
 * counters that make a replay auditable (drops, gaps, refusals by kind, ticker checks).
 * Every refusal is counted and logged; nothing in a message can stop the feed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_decoder.h"
#include "log.h"
#include "market_int.h"
#include "tpw_assert.h"

#include "banned.h"

static const struct {
    const char *venue;
    const struct market__venue_ops *ops;
} venues[] = {
    {"BINANCE", &market__binance_spot_ops},
    {"BINANCE_US", &market__binance_spot_ops},
    {"BINANCE_FUTURES", &market__binance_usdm_ops},
    {"COINBASE", &market__coinbase_ops},
};

const char *market_malformed_name(enum market_malformed kind)
{
    static const char *const names[] = {
#define MARKET_X_NAME(name, json) json,
        MARKET_MALFORMED_TABLE(MARKET_X_NAME)
#undef MARKET_X_NAME
    };
    _Static_assert(sizeof(names) / sizeof(names[0]) == MARKET_MALFORMED_COUNT, "one name each");
    return (unsigned)kind < MARKET_MALFORMED_COUNT ? names[kind] : "unknown";
}

enum tpw_err market_feed_create(const char *venue, market_feed **out,
                                struct tpw_error_detail *detail)
{
    const struct market__venue_ops *ops = NULL;
    for (size_t index = 0; index < sizeof(venues) / sizeof(venues[0]); index++) {
        if (strcmp(venues[index].venue, venue) == 0) {
            ops = venues[index].ops;
        }
    }
    if (ops == NULL) {
        return tpw_error_set(detail, TPW_ERR_MARKET_VENUE_UNKNOWN, 0,
                             "unknown venue '%.40s' (BINANCE, BINANCE_US, BINANCE_FUTURES, "
                             "COINBASE)",
                             venue);
    }
    struct market_feed *feed = calloc(1, sizeof(*feed));
    if (feed != NULL) {
        feed->changes = calloc(MARKET_MESSAGE_CHANGES_MAX, sizeof(struct market__change));
        feed->stage.levels = calloc(MARKET_MESSAGE_CHANGES_MAX, sizeof(struct market_scan_level));
        feed->stage.levels_max = MARKET_MESSAGE_CHANGES_MAX;
    }
    if (feed == NULL || feed->changes == NULL || feed->stage.levels == NULL) {
        if (feed != NULL) {
            free(feed->changes);
            free(feed->stage.levels);
        }
        free(feed);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    feed->ops = ops;
    (void)snprintf(feed->status.venue, sizeof(feed->status.venue), "%s", venue);
    feed->status.handler = ops->name;
    *out = feed;
    return TPW_OK;
}

void market_feed_destroy(market_feed *feed)
{
    if (feed == NULL) {
        return;
    }
    for (size_t index = 0; index < feed->books_count; index++) {
        market_book_deinit(&feed->books[index]->book);
        free(feed->books[index]);
    }
    free(feed->changes);
    free(feed->stage.levels);
    free(feed);
}

struct market__book_state *market__book_find(struct market_feed *feed, const char *symbol,
                                             size_t symbol_len)
{
    for (size_t index = 0; index < feed->books_count; index++) {
        const char *name = feed->books[index]->book.symbol;
        /* The first byte first: symbols mostly differ there, and strlen is a call. */
        bool maybe = symbol_len == 0 || name[0] == symbol[0];
        if (maybe && strlen(name) == symbol_len && memcmp(name, symbol, symbol_len) == 0) {
            return feed->books[index];
        }
    }
    return NULL;
}

enum tpw_err market__refuse(struct market_feed *feed, struct market__book_state *state,
                            enum market_malformed kind, const char *why)
{
    TPW_ASSERT((unsigned)kind < MARKET_MALFORMED_COUNT);
    uint64_t *counts = state != NULL ? state->status.malformed_count : feed->status.malformed_count;
    counts[kind]++;
    TPW_LOGF(TPW_LOG_WARN, "market.malformed", TPW_LOG_STR("venue", feed->status.venue),
             TPW_LOG_STR("symbol", state != NULL ? state->book.symbol : ""),
             TPW_LOG_STR("kind", market_malformed_name(kind)),
             TPW_LOG_U64("line", feed->line_number), TPW_LOG_STR("why", why));
    return TPW_ERR_MARKET_MESSAGE_INVALID;
}

void market_feed_count_malformed(market_feed *feed, enum market_malformed kind,
                                 uint64_t line_number)
{
    feed->line_number = line_number;
    (void)market__refuse(feed, NULL, kind,
                         "refused before decoding (a recording line or a live frame)");
}

enum market_malformed market__decimal_kind(enum tpw_err err, const char *text, size_t text_len)
{
    switch (err) {
    case TPW_ERR_DECIMAL_SIGN:
        return text_len > 0 && text[0] == '-' ? MARKET_MALFORMED_NEGATIVE : MARKET_MALFORMED_NUMBER;
    case TPW_ERR_DECIMAL_PRECISION:
        return MARKET_MALFORMED_PRECISION;
    case TPW_ERR_DECIMAL_OVERFLOW:
    case TPW_ERR_MARKET_VALUE_RANGE:
        return MARKET_MALFORMED_TOO_LARGE;
    default:
        return MARKET_MALFORMED_NUMBER;
    }
}

enum tpw_err market__json_string(struct market_feed *feed, struct market__book_state *state,
                                 json_t *object, const char *key, const char **text,
                                 size_t *text_len)
{
    json_t *value = json_object_get(object, key);
    if (!json_is_string(value)) {
        return market__refuse(feed, state, MARKET_MALFORMED_TYPE, key);
    }
    *text = json_string_value(value);
    *text_len = json_string_length(value);
    return TPW_OK;
}

enum tpw_err market__json_id(struct market_feed *feed, struct market__book_state *state,
                             json_t *object, const char *key, uint64_t *out)
{
    json_t *value = json_object_get(object, key);
    if (!json_is_integer(value) || json_integer_value(value) < 0) {
        return market__refuse(feed, state, MARKET_MALFORMED_TYPE, key);
    }
    *out = (uint64_t)json_integer_value(value);
    return TPW_OK;
}

void market__changes_clear(struct market_feed *feed)
{
    feed->changes_count = 0;
}

enum tpw_err market__decimal(struct market_feed *feed, struct market__book_state *state,
                             json_t *value, unsigned exponent, uint64_t *out)
{
    if (!json_is_string(value)) {
        return market__refuse(feed, state, MARKET_MALFORMED_TYPE, "price or quantity");
    }
    return market__decimal_text(feed, state, json_string_value(value), json_string_length(value),
                                exponent, out);
}

enum tpw_err market__decimal_text(struct market_feed *feed, struct market__book_state *state,
                                  const char *text, size_t text_len, unsigned exponent,
                                  uint64_t *out)
{
    /* A plain decimal that fits the exponent is read 8 digits at a time, to the value
     * market_decimal_parse gives it (json_scan.h); anything else is parsed by it. */
    uint64_t digits = 0;
    struct market_scan_digits counts;
    if (market_scan_decimal(text, text_len, &digits, &counts) &&
        market_scan_digits_fit(&counts, exponent)) {
        *out = market_scan_decimal_value(digits, counts.fraction_max, exponent);
        return TPW_OK;
    }
    /* Without a detail: clearing one (half a kilobyte) for every price and quantity
     * cost more than the parse. The parse is pure, so a refusal parses again for the
     * detail's words, the same as the first parse would have written. */
    enum tpw_err err = market_decimal_parse(text, text_len, exponent, out, NULL);
    if (err == TPW_OK) {
        return TPW_OK;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    uint64_t unused = 0;
    enum tpw_err again = market_decimal_parse(text, text_len, exponent, &unused, &detail);
    TPW_ASSERT(again == err);
    return market__refuse(feed, state, market__decimal_kind(err, text, text_len),
                          detail.message[0] != '\0' ? detail.message : tpw_strerror(err));
}

/* Keeps one parsed change, or refuses the message when it holds too many. */
static enum tpw_err change_keep(struct market_feed *feed, struct market__book_state *state,
                                const struct market__change *change)
{
    if (feed->changes_count == MARKET_MESSAGE_CHANGES_MAX) {
        return market__refuse(feed, state, MARKET_MALFORMED_BOOK_FULL, "too many changes");
    }
    feed->changes[feed->changes_count++] = *change;
    return TPW_OK;
}

enum tpw_err market__change_add(struct market_feed *feed, struct market__book_state *state,
                                enum market_side side, json_t *price, json_t *qty)
{
    struct market__change change = {.side = side};
    enum tpw_err err =
        market__decimal(feed, state, price, state->book.price_exponent, &change.level.price_minor);
    if (err == TPW_OK) {
        err = market__decimal(feed, state, qty, state->book.qty_exponent, &change.level.qty_minor);
    }
    return err != TPW_OK ? err : change_keep(feed, state, &change);
}

enum tpw_err market__change_add_text(struct market_feed *feed, struct market__book_state *state,
                                     enum market_side side, const char *price, size_t price_len,
                                     const char *qty, size_t qty_len)
{
    struct market__change change = {.side = side};
    enum tpw_err err = market__decimal_text(feed, state, price, price_len,
                                            state->book.price_exponent, &change.level.price_minor);
    if (err == TPW_OK) {
        err = market__decimal_text(feed, state, qty, qty_len, state->book.qty_exponent,
                                   &change.level.qty_minor);
    }
    return err != TPW_OK ? err : change_keep(feed, state, &change);
}

/* The changes of a staged levels array, when they all fit the book's exponents
 * (market_scan_digits_fit: none can be refused); false, and nothing kept, when they do
 * not, or would overflow the changes. */
static bool changes_add_staged(struct market_feed *feed, const struct market__book_state *state,
                               enum market_side side, const struct market_scan_value *levels)
{
    unsigned price_exponent = state->book.price_exponent;
    unsigned qty_exponent = state->book.qty_exponent;
    if (levels->staged == NULL || !market_scan_digits_fit(&levels->price_digits, price_exponent) ||
        !market_scan_digits_fit(&levels->qty_digits, qty_exponent) ||
        levels->levels_count > MARKET_MESSAGE_CHANGES_MAX - feed->changes_count) {
        return false;
    }
    struct market__change *change = &feed->changes[feed->changes_count];
    for (size_t index = 0; index < levels->levels_count; index++, change++) {
        const struct market_scan_level *level = &levels->staged[index];
        TPW_DEBUG_ASSERT(level->price_fraction_digits <= price_exponent);
        TPW_DEBUG_ASSERT(level->qty_fraction_digits <= qty_exponent);
        change->side = side;
        change->level.price_minor = market_scan_decimal_value(
            level->price_digits, level->price_fraction_digits, price_exponent);
        change->level.qty_minor =
            market_scan_decimal_value(level->qty_digits, level->qty_fraction_digits, qty_exponent);
    }
    feed->changes_count += levels->levels_count;
    return true;
}

enum tpw_err market__changes_add_scanned(struct market_feed *feed, struct market__book_state *state,
                                         enum market_side side,
                                         const struct market_scan_value *levels)
{
    if (changes_add_staged(feed, state, side, levels)) {
        return TPW_OK;
    }
    struct market_scan_strings walk;
    market_scan_strings_init(&walk, levels);
    const char *price = NULL;
    size_t price_len = 0;
    const char *qty = NULL;
    size_t qty_len = 0;
    /* Two strings a level (the Binance and Coinbase pairs): the scan checked the width. */
    for (size_t index = 0; index < levels->levels_count; index++) {
        bool found = market_scan_strings_next(&walk, &price, &price_len) &&
                     market_scan_strings_next(&walk, &qty, &qty_len);
        TPW_ASSERT(found);
        enum tpw_err err =
            market__change_add_text(feed, state, side, price, price_len, qty, qty_len);
        if (err != TPW_OK) {
            return err;
        }
    }
    return TPW_OK;
}

enum tpw_err market__changes_add_levels(struct market_feed *feed, struct market__book_state *state,
                                        enum market_side side, const struct market__levels *levels)
{
    if (levels->json == NULL && levels->scan != NULL) {
        TPW_ASSERT(levels->width == 2);
        return market__changes_add_scanned(feed, state, side, levels->scan);
    }
    return market__changes_add_pairs(feed, state, side, levels->json);
}

enum tpw_err market__changes_add_pairs(struct market_feed *feed, struct market__book_state *state,
                                       enum market_side side, json_t *pairs)
{
    if (!json_is_array(pairs)) {
        return market__refuse(feed, state, MARKET_MALFORMED_TYPE, "levels are not an array");
    }
    size_t index = 0;
    json_t *pair = NULL;
    json_array_foreach(pairs, index, pair)
    {
        if (!json_is_array(pair) || json_array_size(pair) < 2) {
            return market__refuse(feed, state, MARKET_MALFORMED_TYPE, "level is not a pair");
        }
        enum tpw_err err =
            market__change_add(feed, state, side, json_array_get(pair, 0), json_array_get(pair, 1));
        if (err != TPW_OK) {
            return err;
        }
    }
    return TPW_OK;
}

void market__needs_resync(struct market__book_state *state)
{
    state->status.synced = false;
    state->status.needs_resync = true;
    state->tickers_count = 0;
}

/* Compares a ticker with the top of the book (which is at the ticker's update id). */
static void ticker_compare(struct market_feed *feed, struct market__book_state *state,
                           const struct market__ticker *ticker)
{
    TPW_ASSERT(ticker->update_id == state->status.last_update_id);
    struct market_level bid = {0, 0};
    struct market_level ask = {0, 0};
    (void)market_book_level(&state->book, MARKET_BID, 0, &bid);
    (void)market_book_level(&state->book, MARKET_ASK, 0, &ask);
    state->status.ticker_checks_count++;
    if (memcmp(&bid, &ticker->bid, sizeof(bid)) != 0 ||
        memcmp(&ask, &ticker->ask, sizeof(ask)) != 0) {
        state->status.ticker_mismatches_count++;
        TPW_LOGF(TPW_LOG_WARN, "market.ticker_mismatch", TPW_LOG_STR("venue", feed->status.venue),
                 TPW_LOG_STR("symbol", state->book.symbol),
                 TPW_LOG_U64("update_id", ticker->update_id),
                 TPW_LOG_U64("line", feed->line_number));
    }
}

/* The book reached a new update id: check the tickers waiting for it, drop older ones. */
static void tickers_settle(struct market_feed *feed, struct market__book_state *state)
{
    size_t kept = 0;
    for (size_t index = 0; index < state->tickers_count; index++) {
        const struct market__ticker *ticker = &state->tickers[index];
        if (ticker->update_id == state->status.last_update_id) {
            ticker_compare(feed, state, ticker);
        } else if (ticker->update_id > state->status.last_update_id) {
            state->tickers[kept++] = *ticker;
        }
    }
    state->tickers_count = kept;
}

/* A ticker behind the synced book: it cannot be checked, and it says the venue sent a
 * top of book older than what the book already shows (as on a subscription). */
static void ticker_stale(struct market_feed *feed, struct market__book_state *state,
                         const struct market__ticker *ticker)
{
    state->status.tickers_stale_count++;
    struct market_feed_event event = {
        .kind = MARKET_FEED_EVENT_TICKER_STALE,
        .book = &state->book,
        .update_id = ticker->update_id,
        .book_update_id = state->status.last_update_id,
    };
    market__emit(feed, &event);
}

void market__ticker(struct market_feed *feed, struct market__book_state *state,
                    const struct market__ticker *ticker)
{
    if (!state->status.synced) {
        return; /* the book is not usable: nothing to check it against */
    }
    if (ticker->update_id < state->status.last_update_id) {
        ticker_stale(feed, state, ticker); /* and the book never returns to that id */
        return;
    }
    if (ticker->update_id == state->status.last_update_id) {
        ticker_compare(feed, state, ticker);
        return;
    }
    if (state->tickers_count == MARKET_TICKERS_PENDING_MAX) {
        (void)memmove(&state->tickers[0], &state->tickers[1],
                      (MARKET_TICKERS_PENDING_MAX - 1) * sizeof(state->tickers[0]));
        state->tickers_count--;
    }
    state->tickers[state->tickers_count++] = *ticker;
}

/*
 * Applies the parsed changes, in message order or (`reversed`) from the last; a full side
 * refuses the rest and the book needs a resync. A snapshot is applied reversed: venues
 * list each side best first, and the best level is the END of a side's array, so in
 * message order every level would be inserted at the front, moving all the others
 * (quadratic in the depth: a tenth of a replay's time in the benchmark's profile); from
 * the last, each one is appended. The result is the same book (snapshots hold each price
 * once).
 */
static enum tpw_err changes_apply_all(struct market_feed *feed, struct market__book_state *state,
                                      bool reversed)
{
    size_t changes_count = feed->changes_count;
    market__changes_clear(feed);
    for (size_t step = 0; step < changes_count; step++) {
        size_t index = reversed ? changes_count - 1 - step : step;
        const struct market__change *change = &feed->changes[index];
        enum tpw_err err = TPW_OK;
        if (!market__book_append(&state->book, change->side, &change->level)) {
            err = market_book_set(&state->book, change->side, change->level.price_minor,
                                  change->level.qty_minor);
        }
        if (err != TPW_OK) {
            TPW_ASSERT(err == TPW_ERR_MARKET_BOOK_FULL);
            market__needs_resync(state);
            return market__refuse(feed, state, MARKET_MALFORMED_BOOK_FULL, tpw_strerror(err));
        }
        state->status.levels_set_count++;
    }
    return TPW_OK;
}

enum tpw_err market__changes_apply(struct market_feed *feed, struct market__book_state *state,
                                   uint64_t update_id)
{
    TPW_ASSERT(state->status.synced);
    enum tpw_err err = changes_apply_all(feed, state, false);
    if (err != TPW_OK) {
        return err;
    }
    state->status.last_update_id = update_id;
    state->status.applied_count++;
    state->awaiting_first = false;
    if (market_book_crossed(&state->book)) {
        state->status.crossed_count++;
    }
    tickers_settle(feed, state);
    struct market_feed_event event = {
        .kind = MARKET_FEED_EVENT_BOOK, .book = &state->book, .update_id = update_id};
    market__emit(feed, &event);
    return TPW_OK;
}

enum tpw_err market__gap(struct market_feed *feed, struct market__book_state *state,
                         uint64_t expected_id, uint64_t got_id)
{
    state->status.gaps_count++;
    market__needs_resync(state);
    TPW_LOGF(TPW_LOG_WARN, "market.gap", TPW_LOG_STR("venue", feed->status.venue),
             TPW_LOG_STR("symbol", state->book.symbol), TPW_LOG_U64("expected_id", expected_id),
             TPW_LOG_U64("got_id", got_id), TPW_LOG_U64("line", feed->line_number));
    return TPW_ERR_MARKET_SEQUENCE_GAP;
}

/* The most fraction digits among the strings at `position` of each scanned level. */
static unsigned scanned_digits_max(const struct market__levels *levels, size_t position)
{
    struct market_scan_strings walk;
    market_scan_strings_init(&walk, levels->scan);
    unsigned digits_max = 0;
    const char *text = NULL;
    size_t text_len = 0;
    for (size_t index = 0; market_scan_strings_next(&walk, &text, &text_len); index++) {
        if (index % levels->width == position) {
            unsigned digits = market_decimal_fraction_digits(text, text_len);
            digits_max = digits > digits_max ? digits : digits_max;
        }
    }
    return digits_max;
}

/* The most fraction digits among the strings at `position` of each pair in `levels`. */
static unsigned pairs_digits_max(const struct market__levels *levels, size_t position)
{
    if (levels->json == NULL) {
        return scanned_digits_max(levels, position);
    }
    json_t *pairs = levels->json;
    unsigned digits_max = 0;
    size_t index = 0;
    json_t *pair = NULL;
    json_array_foreach(pairs, index, pair)
    {
        json_t *value = json_array_get(pair, position);
        if (json_is_string(value)) {
            unsigned digits =
                market_decimal_fraction_digits(json_string_value(value), json_string_length(value));
            digits_max = digits > digits_max ? digits : digits_max;
        }
    }
    return digits_max;
}

/* An exponent for a new book from its snapshot's strings: at least the floor, at most the
 * largest exponent (a string with more digits is then refused as `precision`). */
static unsigned snapshot_exponent(const struct market__levels *bids,
                                  const struct market__levels *asks, size_t position)
{
    unsigned bids_digits = pairs_digits_max(bids, position);
    unsigned asks_digits = pairs_digits_max(asks, position);
    unsigned digits = bids_digits > asks_digits ? bids_digits : asks_digits;
    digits = digits > MARKET_EXPONENT_FLOOR ? digits : MARKET_EXPONENT_FLOOR;
    return digits < MARKET_EXPONENT_MAX ? digits : MARKET_EXPONENT_MAX;
}

/* The book of `symbol`, created with exponents chosen from the snapshot when new. */
static enum tpw_err book_for_snapshot(struct market_feed *feed, const char *symbol,
                                      size_t symbol_len, const struct market__levels *bids,
                                      const struct market__levels *asks,
                                      struct market__book_state **out)
{
    *out = market__book_find(feed, symbol, symbol_len);
    if (*out != NULL) {
        return TPW_OK;
    }
    if (symbol_len == 0 || symbol_len >= MARKET_SYMBOL_SIZE || memchr(symbol, 0, symbol_len)) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_TYPE, "symbol empty or too long");
    }
    if (feed->books_count == MARKET_FEED_BOOKS_MAX) {
        return TPW_ERR_MARKET_TOO_MANY_BOOKS;
    }
    struct market__book_state *state = calloc(1, sizeof(*state));
    if (state == NULL) {
        return TPW_ERR_NOMEM;
    }
    char name[MARKET_SYMBOL_SIZE];
    (void)memcpy(name, symbol, symbol_len);
    name[symbol_len] = '\0';
    enum tpw_err err =
        market_book_init(&state->book, feed->status.venue, name, snapshot_exponent(bids, asks, 0),
                         snapshot_exponent(bids, asks, 1), MARKET_BOOK_LEVELS_MAX);
    if (err != TPW_OK) {
        free(state);
        return err;
    }
    feed->books[feed->books_count++] = state;
    *out = state;
    return TPW_OK;
}

/* True when `levels` is an array: scanned ones are, jansson's are checked. */
static bool levels_are_array(const struct market__levels *levels)
{
    return levels->json == NULL ? levels->scan != NULL : json_is_array(levels->json);
}

enum tpw_err market__snapshot_load(struct market_feed *feed, const char *symbol, size_t symbol_len,
                                   uint64_t update_id, const struct market__levels *bids,
                                   const struct market__levels *asks)
{
    if (!levels_are_array(bids) || !levels_are_array(asks)) {
        return market__refuse(feed, market__book_find(feed, symbol, symbol_len),
                              MARKET_MALFORMED_TYPE, "snapshot bids or asks");
    }
    struct market__book_state *state = NULL;
    enum tpw_err err = book_for_snapshot(feed, symbol, symbol_len, bids, asks, &state);
    if (err != TPW_OK) {
        return err;
    }
    market__changes_clear(feed);
    err = market__changes_add_levels(feed, state, MARKET_BID, bids);
    if (err == TPW_OK) {
        err = market__changes_add_levels(feed, state, MARKET_ASK, asks);
    }
    if (err != TPW_OK) {
        return err; /* the book keeps what it had, including its need for a resync */
    }
    market_book_reset(&state->book);
    state->status.synced = true;
    state->status.needs_resync = false;
    err = changes_apply_all(feed, state, true);
    if (err != TPW_OK) {
        return err;
    }
    state->status.last_update_id = update_id;
    state->status.snapshots_count++;
    state->awaiting_first = true;
    tickers_settle(feed, state);
    struct market_feed_event event = {.kind = MARKET_FEED_EVENT_BOOK,
                                      .snapshot = true,
                                      .book = &state->book,
                                      .update_id = update_id};
    market__emit(feed, &event);
    return TPW_OK;
}

/* Parses `text` as one JSON value; a refusal counts it as bad_json. */
static enum tpw_err json_parse(struct market_feed *feed, const char *text, size_t text_len,
                               json_t **out)
{
    json_error_t error;
    *out = json_loadb(text, text_len, JSON_REJECT_DUPLICATES, &error);
    if (*out == NULL) {
        return market__refuse(feed, NULL, MARKET_MALFORMED_JSON, error.text);
    }
    return TPW_OK;
}

enum tpw_err market_feed_snapshot(market_feed *feed, const char *url, size_t url_len,
                                  const char *body, size_t body_len)
{
    if (feed->ops->snapshot == NULL) {
        feed->status.ignored_count++;
        return TPW_OK;
    }
    enum tpw_err err = TPW_OK;
    if (!feed->jansson_only && feed->ops->snapshot_fast != NULL &&
        feed->ops->snapshot_fast(feed, url, url_len, body, body_len, &err)) {
        market__changes_clear(feed);
        return err;
    }
    json_t *root = NULL;
    err = json_parse(feed, body, body_len, &root);
    if (err == TPW_OK) {
        err = feed->ops->snapshot(feed, url, url_len, root);
        json_decref(root);
    }
    market__changes_clear(feed);
    return err;
}

enum tpw_err market_feed_message(market_feed *feed, const char *text, size_t text_len)
{
    feed->status.messages_count++;
    feed->status.last_message_us = feed->received_us;
    struct market_feed_event arrived = {.kind = MARKET_FEED_EVENT_MESSAGE};
    market__emit(feed, &arrived);
    enum tpw_err err = TPW_OK;
    if (!feed->jansson_only && feed->ops->message_fast != NULL &&
        feed->ops->message_fast(feed, text, text_len, &err)) {
        market__changes_clear(feed);
        return err;
    }
    json_t *root = NULL;
    err = json_parse(feed, text, text_len, &root);
    if (err == TPW_OK) {
        err = feed->ops->message(feed, root);
        json_decref(root);
    }
    market__changes_clear(feed);
    return err;
}

size_t market_feed_books_count(const market_feed *feed)
{
    return feed->books_count;
}

void market_feed_book_status(const market_feed *feed, size_t index, struct market_book_status *out)
{
    TPW_ASSERT(index < feed->books_count);
    *out = feed->books[index]->status;
    out->book = &feed->books[index]->book;
}

void market_feed_status(const market_feed *feed, struct market_feed_status *out)
{
    *out = feed->status;
}

void market__feed_decoder_set(market_feed *feed, enum market__decoder decoder)
{
    feed->jansson_only = decoder == MARKET__DECODER_JANSSON;
}
