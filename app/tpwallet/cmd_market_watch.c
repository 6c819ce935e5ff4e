/*
 * The shared half of `tpwallet market watch` and `market book`: their options turned
 * into a market_watch_config, and the book summary lines (human and JSON). The loops
 * are in cmd_market_live.c. Wiring only: the procedure and the failover policy live
 * in the market module (docs/market.md, "Live mode").
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "market_watch_cli.h"
#include "tpwallet/market.h"
#include "tpwallet/money.h"

#include "banned.h"

/* The library names the setting that is wrong (its key in a markets file); the CLI
 * keeps the wording its users know, one sentence per group of options. */
static const char *usage_message(const char *param)
{
    if (strcmp(param, "venue") == 0 || strcmp(param, "symbols") == 0) {
        return "--symbols lists 1 to 16 symbols: A,B,C";
    }
    if (strncmp(param, "primary", 7) == 0 || strncmp(param, "backup", 6) == 0) {
        return "--primary and --primary-rest (and --backup with --backup-rest) are needed, each "
               "shorter than 512 bytes";
    }
    return "durations are whole milliseconds above 0 (hysteresis may be 0), --gaps-max above 0, "
           "--limit 1 to 5000";
}

int watch_config_build(const struct cli *cli, const struct market_watch_texts *o, const char *usage,
                       struct market_watch_config *config)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (market_watch_config_from_texts(o, config, &detail) != TPW_OK) {
        return cli_usage_error(cli, usage, usage_message(detail.param));
    }
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
