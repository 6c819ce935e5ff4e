/*
 * Internals of the market module, shared by its files only: the feed, the per-book
 * procedure state, and the venue handlers' ops table.
 *
 * A venue handler (feed_<venue>.c) turns the venue's JSON into calls of the shared
 * steps below (feed.c): find the book, check the sequence with the venue's own rule,
 * parse every change first, then apply them all, so a refused message never leaves a
 * book half-updated.
 */
#ifndef MARKET_INT_H
#define MARKET_INT_H

#include <jansson.h>

#include "json_scan.h"
#include "market_limits.h"
#include "tpwallet/market.h"

/* A top-of-book ticker waiting for the book to reach its update id. */
struct market__ticker {
    uint64_t update_id;
    struct market_level bid;
    struct market_level ask;
};

struct market__book_state {
    struct market_book book;
    struct market_book_status status; /* status.book is set when it is read */
    bool awaiting_first;              /* snapshot loaded, no diff applied since */
    struct market__ticker tickers[MARKET_TICKERS_PENDING_MAX];
    size_t tickers_count;
    bool has_trade;        /* a trade was accepted: status.last_trade_id is its id */
    bool trades_aggregate; /* … and it was an aggTrade (the other kind is then ignored) */
};

/* One parsed price change of a message, applied only once all of them parsed. */
struct market__change {
    enum market_side side;
    struct market_level level;
};

struct market_feed;

/*
 * A venue's book-maintenance procedure. `snapshot` applies a REST snapshot body (NULL
 * for venues whose snapshots come in the stream), `message` one stream message. Both
 * count and log their own refusals and return TPW_OK, TPW_ERR_MARKET_SEQUENCE_GAP or
 * TPW_ERR_MARKET_MESSAGE_INVALID as market_feed_message() documents.
 *
 * `snapshot_fast` and `message_fast` (NULL when the venue has none) are the streaming
 * decoder: they take the raw bytes and either handle the message exactly as the jansson
 * handlers would (true, the result in *err) or, before any side effect, decline it
 * (false) and the feed hands it to jansson and `snapshot`/`message`.
 */
struct market__venue_ops {
    const char *name; /* "binance-spot" */
    enum tpw_err (*snapshot)(struct market_feed *feed, const char *url, size_t url_len,
                             json_t *body);
    enum tpw_err (*message)(struct market_feed *feed, json_t *message);
    bool (*snapshot_fast)(struct market_feed *feed, const char *url, size_t url_len,
                          const char *body, size_t body_len, enum tpw_err *err /* out */);
    bool (*message_fast)(struct market_feed *feed, const char *text, size_t text_len,
                         enum tpw_err *err /* out */);
};

/*
 * The levels of one side as a decoder found them: a jansson array (`json`, which the
 * shared steps check is an array of pairs), or a levels array the fast decoder scanned
 * (`scan`, `json` NULL): `width` plain strings per level, price and quantity first.
 */
struct market__levels {
    json_t *json;
    const struct market_scan_value *scan;
    unsigned width;
};

extern const struct market__venue_ops market__binance_spot_ops;
extern const struct market__venue_ops market__binance_usdm_ops;
extern const struct market__venue_ops market__binance_coinm_ops;
extern const struct market__venue_ops market__coinbase_ops;

/* The taker of a Coinbase match from its "side" ("buy" or "sell": the MAKER's side);
 * false for anything else (feed_coinbase.c). */
bool market__coinbase_maker_side(const char *side, size_t side_len, enum market_taker *out);

/* The streaming decoder of Coinbase level2 (feed_coinbase_fast.c), as a venue op. */
bool market__coinbase_message_fast(struct market_feed *feed, const char *text, size_t text_len,
                                   enum tpw_err *err /* out */);

struct market_feed {
    const struct market__venue_ops *ops;
    struct market_feed_status status;
    struct market__book_state *books[MARKET_FEED_BOOKS_MAX];
    size_t books_count;
    struct market__change *changes; /* MARKET_MESSAGE_CHANGES_MAX, allocated once */
    size_t changes_count;
    /* The fast decoder's staged levels (json_scan.h), MARKET_MESSAGE_CHANGES_MAX of them,
     * allocated once: the decimals of the message being decoded, read as it was scanned. */
    struct market_scan_stage stage;
    uint64_t line_number; /* of the message being applied, for the log (0: not a replay) */
    bool jansson_only;    /* the fast decoder is off (feed_decoder.h: the differential test) */
    int64_t received_us;  /* market_feed_received_at: the receive time of the messages */
    struct {
        market_feed_event_fn *on_event;
        void *user;
    } observers[MARKET_FEED_OBSERVERS_MAX];
    size_t observers_count;
};

/* Calls every observer with `event` (its received_us is set here). */
void market__emit(struct market_feed *feed, struct market_feed_event *event);

/* The fields of a trade message other than its price and quantity text. */
struct market__trade_fields {
    uint64_t trade_id;
    int64_t trade_time_us;
    enum market_taker aggressor;
    bool aggregate;
};

/*
 * The shared step of every trade message (src/market/trade.c): parses the price and
 * quantity at the book's exponents (refusals as for levels; zero is bad_number), then
 * drops a trade whose id is not above the last one (counted), ignores the other kind of
 * Binance trade once one kind was seen, counts a skipped id as a trade gap, counts the
 * trade and tells the observers.
 */
TPW_MUST_CHECK enum tpw_err market__trade(struct market_feed *feed,
                                          struct market__book_state *state,
                                          const struct market__trade_fields *fields,
                                          const char *price, size_t price_len, const char *qty,
                                          size_t qty_len);

/*
 * Binance's millisecond times as microseconds; false beyond what int64 microseconds hold.
 */
bool market__ms_to_us(uint64_t time_ms, int64_t *out_us);

/*
 * An ISO 8601 UTC time as Coinbase sends it, "2014-11-07T08:19:27.028459Z"
 * (tpw_clock_parse_utc's grammar: years 1970..2261), as microseconds since 1970 (digits
 * beyond the sixth are cut); false for anything else.
 */
bool market__utc_time_us(const char *text, size_t text_len, int64_t *out_us);

/* The book of `symbol`, or NULL. */
struct market__book_state *market__book_find(struct market_feed *feed, const char *symbol,
                                             size_t symbol_len);

/*
 * Counts a refusal (on `state` when known, else on the feed), logs it with `why`, and
 * returns TPW_ERR_MARKET_MESSAGE_INVALID.
 */
enum tpw_err market__refuse(struct market_feed *feed, struct market__book_state *state,
                            enum market_malformed kind, const char *why);

/* Maps a market_decimal_parse() error to its refusal kind. */
enum market_malformed market__decimal_kind(enum tpw_err err, const char *text, size_t text_len);

/* Parses the price or quantity `text` at `exponent`; a refusal names the error. */
TPW_MUST_CHECK enum tpw_err market__decimal_text(struct market_feed *feed,
                                                 struct market__book_state *state, const char *text,
                                                 size_t text_len, unsigned exponent,
                                                 uint64_t *out /* out */);

/* Parses a price or quantity string at `exponent`; a refusal names the error. */
TPW_MUST_CHECK enum tpw_err market__decimal(struct market_feed *feed,
                                            struct market__book_state *state, json_t *value,
                                            unsigned exponent, uint64_t *out /* out */);

/* Marks the book as needing a snapshot: what it holds can no longer be trusted. */
void market__needs_resync(struct market__book_state *state);

/* Drops the parsed changes (before parsing a new message). */
void market__changes_clear(struct market_feed *feed);

/* Parses one change (price and quantity strings at the book's exponents) and keeps it. */
TPW_MUST_CHECK enum tpw_err market__change_add(struct market_feed *feed,
                                               struct market__book_state *state,
                                               enum market_side side, json_t *price, json_t *qty);

/* Parses one change from the price and quantity strings and keeps it. */
TPW_MUST_CHECK enum tpw_err market__change_add_text(struct market_feed *feed,
                                                    struct market__book_state *state,
                                                    enum market_side side, const char *price,
                                                    size_t price_len, const char *qty,
                                                    size_t qty_len);

/* Parses the [price, quantity, …] strings of a scanned levels array for `side`: from its
 * staged decimals when they all fit the book's exponents (then nothing can be refused),
 * else by walking the strings, each parsed and refused as market__change_add_text(). */
TPW_MUST_CHECK enum tpw_err market__changes_add_scanned(struct market_feed *feed,
                                                        struct market__book_state *state,
                                                        enum market_side side,
                                                        const struct market_scan_value *levels);

/* Parses a side's levels, whichever decoder found them. */
TPW_MUST_CHECK enum tpw_err market__changes_add_levels(struct market_feed *feed,
                                                       struct market__book_state *state,
                                                       enum market_side side,
                                                       const struct market__levels *levels);

/* Parses a JSON array of [price, quantity] string pairs for `side`. */
TPW_MUST_CHECK enum tpw_err market__changes_add_pairs(struct market_feed *feed,
                                                      struct market__book_state *state,
                                                      enum market_side side, json_t *pairs);

/*
 * The first case of market_book_set (book.c), inline for the levels of a snapshot, which
 * all take it: a non-zero level beyond the best, with room on its side, is appended
 * (true). False, nothing changed: the level is for market_book_set.
 */
static inline bool market__book_append(struct market_book *book, enum market_side side,
                                       const struct market_level *level)
{
    struct market_book_side *levels = &book->sides[side];
    size_t count = levels->levels_count;
    if (level->qty_minor == 0 || count == levels->levels_max) {
        return false;
    }
    if (count > 0) {
        uint64_t best = levels->levels[count - 1].price_minor;
        bool beyond = side == MARKET_BID ? level->price_minor > best : level->price_minor < best;
        if (!beyond) {
            return false;
        }
    }
    levels->levels[count] = *level;
    levels->levels_count = count + 1;
    return true;
}

/*
 * Applies the parsed changes, then records the book at `update_id` (applied, crossed,
 * tickers). A full side refuses the message as book_full and the book needs a resync.
 */
TPW_MUST_CHECK enum tpw_err market__changes_apply(struct market_feed *feed,
                                                  struct market__book_state *state,
                                                  uint64_t update_id);

/*
 * Replaces the book of `symbol` (created on first use, exponents chosen from the
 * snapshot's strings) with the levels of `bids` and `asks` (arrays of pairs), at
 * `update_id`, and restarts the procedure: synced, awaiting the first diff.
 */
TPW_MUST_CHECK enum tpw_err market__snapshot_load(struct market_feed *feed, const char *symbol,
                                                  size_t symbol_len, uint64_t update_id,
                                                  const struct market__levels *bids,
                                                  const struct market__levels *asks);

/* Counts a gap (expected `expected_id`, got `got_id`): the book needs a resync. */
TPW_MUST_CHECK enum tpw_err market__gap(struct market_feed *feed, struct market__book_state *state,
                                        uint64_t expected_id, uint64_t got_id);

/* A top-of-book ticker at `update_id`: compared now or once the book reaches that id. */
void market__ticker(struct market_feed *feed, struct market__book_state *state,
                    const struct market__ticker *ticker);

/* The string at `key` of `object` (*text, *text_len), or a bad_type refusal. */
TPW_MUST_CHECK enum tpw_err market__json_string(struct market_feed *feed,
                                                struct market__book_state *state, json_t *object,
                                                const char *key, const char **text,
                                                size_t *text_len);

/* The non-negative integer at `key` of `object`, or a bad_type refusal. */
TPW_MUST_CHECK enum tpw_err market__json_id(struct market_feed *feed,
                                            struct market__book_state *state, json_t *object,
                                            const char *key, uint64_t *out);

#endif /* MARKET_INT_H */
