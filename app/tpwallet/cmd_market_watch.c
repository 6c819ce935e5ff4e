/*
 * The shared half of `tpwallet market watch` and `market book`: their options turned
 * into a market_watch_config, and the book summary lines (human and JSON). The loops
 * are in cmd_market_live.c. Wiring only: the procedure and the failover policy live
 * in the market module (docs/market.md, "Live mode").
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ledger_cli.h"
#include "market_watch_cli.h"
#include "tpwallet/market.h"
#include "tpwallet/money.h"

#include "banned.h"

/* Splits "A,B,C" into the config's symbols; false when empty, too many or too long. */
static bool symbols_parse(const char *text, struct market_watch_config *config)
{
    config->symbols_count = 0;
    while (*text != '\0') {
        size_t len = strcspn(text, ",");
        if (len == 0 || len >= MARKET_SYMBOL_SIZE ||
            config->symbols_count == MARKET_WATCH_SYMBOLS_MAX) {
            return false;
        }
        (void)memcpy(config->symbols[config->symbols_count], text, len);
        config->symbols[config->symbols_count++][len] = '\0';
        text += len + (text[len] == ',' ? 1 : 0);
    }
    return config->symbols_count > 0;
}

static bool url_copy(char dst[MARKET_URL_SIZE], const char *url)
{
    return url != NULL && (size_t)snprintf(dst, MARKET_URL_SIZE, "%s", url) < MARKET_URL_SIZE;
}

/* Milliseconds option → microseconds; absent keeps *out. */
bool watch_ms_option(const char *text, uint64_t max_ms, bool zero_ok, int64_t *out)
{
    uint64_t value_ms = 0;
    if (text == NULL) {
        return true;
    }
    if (!lcli_u64(text, max_ms, &value_ms) || (value_ms == 0 && !zero_ok)) {
        return false;
    }
    *out = (int64_t)value_ms * 1000;
    return true;
}

int watch_config_build(const struct cli *cli, const struct watch_options *o, const char *usage,
                       struct market_watch_config *config)
{
    market_watch_config_defaults(config);
    uint64_t gaps_max = config->failover.gaps_max;
    uint64_t limit = config->snapshot_limit;
    if ((size_t)snprintf(config->venue, sizeof(config->venue), "%s", o->venue) >=
            sizeof(config->venue) ||
        o->symbols == NULL || !symbols_parse(o->symbols, config)) {
        return cli_usage_error(cli, usage, "--symbols lists 1 to 16 symbols: A,B,C");
    }
    config->sources_count = o->backup != NULL ? 2 : 1;
    if (!url_copy(config->sources[0].ws_url, o->primary) ||
        !url_copy(config->sources[0].rest_url, o->primary_rest) ||
        (o->backup != NULL && (!url_copy(config->sources[1].ws_url, o->backup) ||
                               !url_copy(config->sources[1].rest_url, o->backup_rest)))) {
        return cli_usage_error(cli, usage,
                               "--primary and --primary-rest (and --backup with --backup-rest) "
                               "are needed, each shorter than 512 bytes");
    }
    if (!watch_ms_option(o->stale_ms, WATCH_MS_MAX, false, &config->failover.stale_after_us) ||
        !watch_ms_option(o->hysteresis_ms, WATCH_MS_MAX, true, &config->failover.hysteresis_us) ||
        !watch_ms_option(o->gap_window_ms, WATCH_MS_MAX, false, &config->failover.gap_window_us) ||
        !watch_ms_option(o->snapshot_timeout_ms, WATCH_MS_MAX, false,
                         &config->snapshot_timeout_us) ||
        !watch_ms_option(o->reconnect_ms, WATCH_MS_MAX, false, &config->reconnect_us) ||
        (o->gaps_max != NULL && (!lcli_u64(o->gaps_max, UINT32_MAX, &gaps_max) || gaps_max == 0)) ||
        (o->limit != NULL && (!lcli_u64(o->limit, 5000, &limit) || limit == 0))) {
        return cli_usage_error(cli, usage,
                               "durations are whole milliseconds above 0 (hysteresis may be 0), "
                               "--gaps-max above 0, --limit 1 to 5000");
    }
    config->failover.gaps_max = (uint32_t)gaps_max;
    config->snapshot_limit = (uint32_t)limit;
    return 0;
}

/* Decimal text of a price or quantity, "-" when the side is empty. */
static void level_texts(const struct market_book *book, enum market_side side, size_t depth_index,
                        char price[MONEY_DECIMAL_TEXT_SIZE], char qty[MONEY_DECIMAL_TEXT_SIZE])
{
    struct market_level level;
    (void)snprintf(price, MONEY_DECIMAL_TEXT_SIZE, "-");
    (void)snprintf(qty, MONEY_DECIMAL_TEXT_SIZE, "-");
    if (book != NULL && market_book_level(book, side, depth_index, &level)) {
        (void)money_decimal_format(level.price_minor, book->price_exponent, price,
                                   MONEY_DECIMAL_TEXT_SIZE);
        (void)money_decimal_format(level.qty_minor, book->qty_exponent, qty,
                                   MONEY_DECIMAL_TEXT_SIZE);
    }
}

static json_t *text_or_null(const char *text)
{
    return strcmp(text, "-") == 0 ? json_null() : json_string(text);
}

json_t *watch_book_json(const struct market_watch_instrument *instrument, int64_t now_us,
                        bool final)
{
    const struct market_book *book = instrument->book.book;
    char bid[MONEY_DECIMAL_TEXT_SIZE];
    char bid_qty[MONEY_DECIMAL_TEXT_SIZE];
    char ask[MONEY_DECIMAL_TEXT_SIZE];
    char ask_qty[MONEY_DECIMAL_TEXT_SIZE];
    level_texts(book, MARKET_BID, 0, bid, bid_qty);
    level_texts(book, MARKET_ASK, 0, ask, ask_qty);
    return json_pack("{s:s,s:I,s:s,s:s,s:s,s:b,s:I,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:b}", "type",
                     "book", "t_ms", (json_int_t)(now_us / 1000), "symbol", instrument->symbol,
                     "source", market_source_name(instrument->active), "status",
                     market_price_status_name(instrument->status), "synced", instrument->synced,
                     "last_update_id", (json_int_t)instrument->book.last_update_id, "best_bid",
                     text_or_null(bid), "best_bid_qty", text_or_null(bid_qty), "best_ask",
                     text_or_null(ask), "best_ask_qty", text_or_null(ask_qty), "bid_levels",
                     (json_int_t)(book != NULL ? market_book_levels_count(book, MARKET_BID) : 0),
                     "ask_levels",
                     (json_int_t)(book != NULL ? market_book_levels_count(book, MARKET_ASK) : 0),
                     "gaps", (json_int_t)instrument->book.gaps_count, "final", final);
}

void watch_book_print(const struct market_watch_instrument *instrument, int64_t now_us)
{
    char bid[MONEY_DECIMAL_TEXT_SIZE];
    char bid_qty[MONEY_DECIMAL_TEXT_SIZE];
    char ask[MONEY_DECIMAL_TEXT_SIZE];
    char ask_qty[MONEY_DECIMAL_TEXT_SIZE];
    level_texts(instrument->book.book, MARKET_BID, 0, bid, bid_qty);
    level_texts(instrument->book.book, MARKET_ASK, 0, ask, ask_qty);
    (void)printf("%8lld ms  book %-10s %-7s %-10s id %llu  bid %s x %s  ask %s x %s\n",
                 (long long)(now_us / 1000), instrument->symbol,
                 market_source_name(instrument->active),
                 market_price_status_name(instrument->status),
                 (unsigned long long)instrument->book.last_update_id, bid, bid_qty, ask, ask_qty);
}
