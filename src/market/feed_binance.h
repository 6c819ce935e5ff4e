/*
 * The Binance message formats, shared by the spot (feed_binance.c) and USD-M futures
 * (feed_binance_usdm.c) handlers, which differ only in how update ids chain.
 */
#ifndef MARKET_FEED_BINANCE_H
#define MARKET_FEED_BINANCE_H

#include "market_int.h"

/* The update ids of one depthUpdate event. */
struct market__binance_ids {
    uint64_t first_id;    /* U */
    uint64_t last_id;     /* u */
    uint64_t previous_id; /* pu (futures only) */
    bool has_previous;
};

enum market__verdict {
    MARKET__APPLY = 1,   /* the next event: apply it */
    MARKET__DROP = 2,    /* older than the snapshot: the procedure drops it */
    MARKET__GAP = 3,     /* events are missing: count a gap, the book needs a resync */
    MARKET__STALE = 4,   /* already applied (replayed or out of order): refuse it */
    MARKET__INVALID = 5, /* a field the rule needs is missing: refuse it */
};

/*
 * A venue's sequence rule: the verdict on `ids` for a synced book, and in
 * *expected_id what a gap expected (for the log).
 */
typedef enum market__verdict (*market__binance_rule)(const struct market__book_state *state,
                                                     const struct market__binance_ids *ids,
                                                     uint64_t *expected_id /* out */);

/* A REST depth snapshot: {"lastUpdateId":N,"bids":[[px,qty]…],"asks":[…]}, the symbol
 * taken from the request's `symbol=` parameter. */
TPW_MUST_CHECK enum tpw_err market__binance_snapshot(struct market_feed *feed, const char *url,
                                                     size_t url_len, json_t *body);

/* A stream message (combined-stream envelope or bare event), ids checked by `rule`. */
TPW_MUST_CHECK enum tpw_err market__binance_message(struct market_feed *feed, json_t *message,
                                                    market__binance_rule rule);

/* The value of `name=` in the query of `url` (*value, *value_len), or false. */
bool market__url_query_value(const char *url, size_t url_len, const char *name,
                             const char **value /* out */, size_t *value_len /* out */);

/*
 * A depthUpdate of `state`'s book whose ids are decoded: checks U <= u, counts it
 * unsynced or judges it by `rule`, and applies `bids` and `asks` when it is next.
 */
TPW_MUST_CHECK enum tpw_err
market__binance_depth_apply(struct market_feed *feed, struct market__book_state *state,
                            const struct market__binance_ids *ids, market__binance_rule rule,
                            const struct market__levels *bids, const struct market__levels *asks);

/* The streaming decoder of these formats (feed_binance_fast.c), as venue ops. */
bool market__binance_snapshot_fast(struct market_feed *feed, const char *url, size_t url_len,
                                   const char *body, size_t body_len, enum tpw_err *err /* out */);
bool market__binance_message_fast(struct market_feed *feed, const char *text, size_t text_len,
                                  market__binance_rule rule, enum tpw_err *err /* out */);

#endif /* MARKET_FEED_BINANCE_H */
