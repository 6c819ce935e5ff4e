/*
 * Binance futures diff-depth: the venue handlers for BINANCE_FUTURES (USD-M) and
 * BINANCE_DELIVERY (COIN-M, cryptofeed's name for it).
 *
 * Same messages as spot (feed_binance.c) plus "pu", the previous event's u; COIN-M's add
 * the pair ("ps" in events, "symbol" and "pair" in snapshots), which the book does not
 * need (it is keyed by "s" and the snapshot URL's symbol=). The procedure, one for both
 * (Binance USD-M and COIN-M "How to manage a local order book correctly"): drop
 * events with u < lastUpdateId; the first applied event has U <= lastUpdateId <= u;
 * after it each event's pu must equal the previous event's u, otherwise the book is
 * out of sync and needs a new snapshot. Quantity 0 removes a level (removing a level
 * the book does not hold happens and is not an error).
 */
#include "feed_binance.h"

#include "banned.h"

static enum market__verdict usdm_rule(const struct market__book_state *state,
                                      const struct market__binance_ids *ids, uint64_t *expected_id)
{
    uint64_t last_id = state->status.last_update_id;
    *expected_id = last_id;
    if (state->awaiting_first) {
        if (ids->last_id < last_id) {
            return MARKET__DROP;
        }
        return ids->first_id <= last_id ? MARKET__APPLY : MARKET__GAP;
    }
    if (!ids->has_previous) {
        return MARKET__INVALID;
    }
    if (ids->last_id <= last_id) {
        return MARKET__STALE;
    }
    return ids->previous_id == last_id ? MARKET__APPLY : MARKET__GAP;
}

static enum tpw_err usdm_message(struct market_feed *feed, json_t *message)
{
    return market__binance_message(feed, message, usdm_rule);
}

static bool usdm_message_fast(struct market_feed *feed, const char *text, size_t text_len,
                              enum tpw_err *err)
{
    return market__binance_message_fast(feed, text, text_len, usdm_rule, err);
}

const struct market__venue_ops market__binance_usdm_ops = {
    .name = "binance-usdm",
    .snapshot = market__binance_snapshot,
    .message = usdm_message,
    .snapshot_fast = market__binance_snapshot_fast,
    .message_fast = usdm_message_fast,
};

/* COIN-M: the same procedure and handlers; its own name, so a feed says which it runs. */
const struct market__venue_ops market__binance_coinm_ops = {
    .name = "binance-coinm",
    .snapshot = market__binance_snapshot,
    .message = usdm_message,
    .snapshot_fast = market__binance_snapshot_fast,
    .message_fast = usdm_message_fast,
};
