/*
 * `tpwallet market replay`: rebuilds order books from recorded feeds and prints each
 * book's final state with the counters that say how far to trust it (drops, gaps,
 * refusals by kind, ticker checks). Wiring only: the books, the venues' procedures
 * and the recording format live in the market module (docs/market.md).
 */
#include <stdio.h>
#include <string.h>

#include "tpw_assert.h"

#include "cli.h"
#include "market_replay_cli.h"
#include "market_watch_cli.h"
#include "tpwallet/market.h"
#include "tpwallet/money.h"

#include "banned.h"

const char cmd_market_usage[] =
    "usage: tpwallet market replay [--format cryptofeed] FILE... [--venue NAME]\n"
    "                              [--walk QTY [--side buy|sell]] [--alerts RULES]\n"
    "                              [--interval-ms 1000] [--warmup 30] [--vol-source mid|trade]\n"
    "                              [--windows-ms 1000,10000,60000] [--json]\n"
    "       tpwallet market watch|book …   (live books; tpwallet market watch --help)\n"
    "       tpwallet market simulate …     (a simulated session; market simulate --help)\n"
    "Replays cryptofeed recordings (REST snapshot files first, then websocket files) and\n"
    "prints each venue+symbol book. The venue is the file name's prefix (BINANCE.ws.1.0 is\n"
    "BINANCE) unless --venue names it: BINANCE, BINANCE_US, BINANCE_FUTURES (USD-M),\n"
    "BINANCE_DELIVERY (COIN-M), COINBASE.\n"
    "With --json each book carries its indicators (mid, spread_bps, imbalance,\n"
    "weighted_mid, depth within 10/50/100 bps); --walk QTY adds the cost, VWAP and\n"
    "slippage of a market order of QTY base units (--side buy walks the asks, the default),\n"
    "and its trades: counts, volumes and VWAP over the windows, and realised volatility.\n"
    "--alerts RULES prints an alert as a JSON line whenever a rule fires (the rules file:\n"
    "docs/formats/market-alerts.md); measures, z-scores and windows use --interval-ms\n"
    "intervals, z-scores count after --warmup of them.\n";

/* One feed per venue (at most one per file), all observed by one monitor. */
struct replay_feeds {
    market_feed *feeds[CLI_POSITIONALS_MAX];
    size_t feeds_count;
    market_monitor *monitor;
};

static enum tpw_err feed_for_venue(struct replay_feeds *feeds, const char *venue, market_feed **out,
                                   struct tpw_error_detail *detail)
{
    for (size_t index = 0; index < feeds->feeds_count; index++) {
        struct market_feed_status status;
        market_feed_status(feeds->feeds[index], &status);
        if (strcmp(status.venue, venue) == 0) {
            *out = feeds->feeds[index];
            return TPW_OK;
        }
    }
    enum tpw_err err = market_feed_create(venue, out, detail);
    if (err == TPW_OK) {
        feeds->feeds[feeds->feeds_count++] = *out;
        /* At most CLI_POSITIONALS_MAX feeds: within what a monitor observes. */
        err = market_monitor_attach(feeds->monitor, *out);
        TPW_ASSERT(err == TPW_OK);
    }
    return err;
}

/* Replays the files of one kind, in argument order. */
static enum tpw_err replay_kind(struct replay_feeds *feeds, const struct cli_args *args,
                                const char *venue_option, enum market_recording_kind wanted,
                                struct tpw_error_detail *detail)
{
    for (size_t index = 0; index < args->positional_count; index++) {
        const char *path = args->positional[index];
        enum market_recording_kind kind = MARKET_RECORDING_WS;
        tpw_error_set_param(detail, "FILE");
        enum tpw_err err = market_replay_file_kind(path, &kind, detail);
        if (err != TPW_OK) {
            return err;
        }
        if (kind != wanted) {
            continue;
        }
        char venue[MARKET_VENUE_SIZE];
        if (venue_option != NULL) {
            (void)snprintf(venue, sizeof(venue), "%s", venue_option);
        } else if (market_replay_venue_from_path(path, venue) != TPW_OK) {
            tpw_error_set_param(detail, "venue");
            return tpw_error_set(detail, TPW_ERR_MARKET_VENUE_UNKNOWN, 0,
                                 "no venue in the name of '%.120s'; use --venue", path);
        }
        market_feed *feed = NULL;
        tpw_error_set_param(detail, "venue");
        err = feed_for_venue(feeds, venue, &feed, detail);
        if (err == TPW_OK) {
            tpw_error_set_param(detail, "FILE");
            err = market_replay_file(feed, path, detail);
        }
        if (err != TPW_OK) {
            return err;
        }
    }
    return TPW_OK;
}

json_t *market_malformed_json(const uint64_t counts[MARKET_MALFORMED_COUNT])
{
    json_t *object = json_object();
    for (unsigned kind = 0; object != NULL && kind < MARKET_MALFORMED_COUNT; kind++) {
        (void)json_object_set_new(object, market_malformed_name((enum market_malformed)kind),
                                  json_integer((json_int_t)counts[kind]));
    }
    return object;
}

/* The decimal text of a level's price or quantity, or JSON null for an empty side. */
static json_t *level_text(const struct market_book *book, enum market_side side, bool price)
{
    struct market_level level;
    if (!market_book_level(book, side, 0, &level)) {
        return json_null();
    }
    char text[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_decimal_format(price ? level.price_minor : level.qty_minor,
                               price ? book->price_exponent : book->qty_exponent, text,
                               sizeof(text));
    return json_string(text);
}

/* The bands of `depth` in the JSON output, in bps of the mid. */
static const uint32_t depth_bands_bps[] = {10, 50, 100};

/* An indicator's decimal text, or JSON null when the book cannot give it. */
static json_t *decimal_json(enum tpw_err err, const struct market_decimal *value)
{
    char text[MARKET_DECIMAL_TEXT_SIZE];
    if (err != TPW_OK || market_decimal_format(value, text, sizeof(text)) == 0) {
        return json_null();
    }
    return json_string(text);
}

static json_t *depth_json(const struct market_book *book)
{
    json_t *object = json_object();
    for (size_t band = 0; object != NULL && band < sizeof(depth_bands_bps) / sizeof(uint32_t);
         band++) {
        struct market_decimal bid;
        struct market_decimal ask;
        enum tpw_err bid_err = market_book_depth(book, MARKET_BID, depth_bands_bps[band], &bid);
        enum tpw_err ask_err = market_book_depth(book, MARKET_ASK, depth_bands_bps[band], &ask);
        char key[16];
        (void)snprintf(key, sizeof(key), "%u", (unsigned)depth_bands_bps[band]);
        (void)json_object_set_new(object, key,
                                  json_pack("{s:o,s:o}", "bid", decimal_json(bid_err, &bid), "ask",
                                            decimal_json(ask_err, &ask)));
    }
    return object;
}

static json_t *indicators_json(const struct market_book *book)
{
    struct market_decimal mid;
    struct market_decimal spread;
    struct market_decimal imbalance;
    struct market_decimal weighted;
    enum tpw_err mid_err = market_book_mid(book, &mid);
    enum tpw_err spread_err = market_book_spread_bps(book, &spread);
    enum tpw_err imbalance_err = market_book_imbalance(book, &imbalance);
    enum tpw_err weighted_err = market_book_weighted_mid(book, &weighted);
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "mid", decimal_json(mid_err, &mid), "spread_bps",
                     decimal_json(spread_err, &spread), "imbalance",
                     decimal_json(imbalance_err, &imbalance), "weighted_mid",
                     decimal_json(weighted_err, &weighted), "depth_bps", depth_json(book));
}

/* What --walk asked for: the quantity text (parsed at each book's exponent) and side;
 * and the monitor's options, for its part of each book's JSON. */
struct walk_request {
    const char *qty_text;
    enum market_taker taker;
    const struct replay_monitor_options *monitor;
};

static json_t *walk_json(const struct market_book *book, const struct walk_request *request)
{
    const char *side = request->taker == MARKET_TAKER_BUY ? "buy" : "sell";
    uint64_t qty_minor = 0;
    struct market_walk walk;
    enum tpw_err err = market_decimal_parse(request->qty_text, strlen(request->qty_text),
                                            book->qty_exponent, &qty_minor, NULL);
    if (err == TPW_OK) {
        err = market_book_walk(book, request->taker, qty_minor, &walk);
    }
    if (err != TPW_OK) {
        return json_pack("{s:s,s:s,s:s}", "side", side, "qty", request->qty_text, "error",
                         tpw_err_api_code(err));
    }
    return json_pack("{s:s,s:s,s:o,s:o,s:o,s:I}", "side", side, "qty", request->qty_text, "cost",
                     decimal_json(TPW_OK, &walk.cost), "vwap", decimal_json(TPW_OK, &walk.vwap),
                     "slippage_bps", decimal_json(TPW_OK, &walk.slippage_bps), "levels",
                     (json_int_t)walk.levels_count);
}

/* Adds the indicators (and the walk, when asked for) to a book's object. */
static json_t *with_indicators(json_t *object, const struct market_book *book,
                               const struct walk_request *request)
{
    if (object == NULL || json_object_set_new(object, "indicators", indicators_json(book)) != 0 ||
        (request->qty_text != NULL &&
         json_object_set_new(object, "walk", walk_json(book, request)) != 0)) {
        json_decref(object);
        return NULL;
    }
    return object;
}

static json_t *book_json(const struct market_book_status *status)
{
    const struct market_book *book = status->book;
    json_t *object = json_pack(
        "{s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:b,s:b,s:b}", "venue", book->venue, "symbol",
        book->symbol, "last_update_id", (json_int_t)status->last_update_id, "best_bid",
        level_text(book, MARKET_BID, true), "best_bid_qty", level_text(book, MARKET_BID, false),
        "best_ask", level_text(book, MARKET_ASK, true), "best_ask_qty",
        level_text(book, MARKET_ASK, false), "bid_levels",
        (json_int_t)market_book_levels_count(book, MARKET_BID), "ask_levels",
        (json_int_t)market_book_levels_count(book, MARKET_ASK), "gaps",
        (json_int_t)status->gaps_count, "crossed", market_book_crossed(book), "synced",
        status->synced, "needs_resync", status->needs_resync);
    json_t *counts = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "snapshots", (json_int_t)status->snapshots_count,
        "events", (json_int_t)status->events_count, "dropped", (json_int_t)status->dropped_count,
        "applied", (json_int_t)status->applied_count, "unsynced",
        (json_int_t)status->unsynced_count, "crossed_events", (json_int_t)status->crossed_count,
        "ticker_checks", (json_int_t)status->ticker_checks_count, "ticker_mismatches",
        (json_int_t)status->ticker_mismatches_count, "malformed",
        market_malformed_json(status->malformed_count));
    json_t *trades = json_pack("{s:I,s:I,s:I,s:I}", "trades", (json_int_t)status->trades_count,
                               "trade_gaps", (json_int_t)status->trade_gaps_count, "trades_dropped",
                               (json_int_t)status->trades_dropped_count, "tickers_stale",
                               (json_int_t)status->tickers_stale_count);
    if (counts != NULL && (trades == NULL || json_object_update(counts, trades) != 0)) {
        json_decref(counts);
        counts = NULL;
    }
    json_decref(trades);
    if (object == NULL || counts == NULL || json_object_update(object, counts) != 0) {
        json_decref(object);
        object = NULL;
    }
    json_decref(counts);
    return object;
}

static json_t *feed_json(const struct market_feed_status *status)
{
    return json_pack("{s:s,s:{s:s,s:I,s:I,s:I,s:I,s:I,s:o}}", "venue", status->venue, "feed",
                     "handler", status->handler, "lines", (json_int_t)status->lines_count, "blank",
                     (json_int_t)status->blank_count, "sent", (json_int_t)status->sent_count,
                     "messages", (json_int_t)status->messages_count, "ignored",
                     (json_int_t)status->ignored_count, "malformed",
                     market_malformed_json(status->malformed_count));
}

static uint64_t malformed_total(const uint64_t counts[MARKET_MALFORMED_COUNT])
{
    uint64_t total = 0;
    for (size_t kind = 0; kind < MARKET_MALFORMED_COUNT; kind++) {
        total += counts[kind];
    }
    return total;
}

static void print_side(const struct market_book *book, enum market_side side)
{
    struct market_level level;
    char price[MONEY_DECIMAL_TEXT_SIZE] = "-";
    char qty[MONEY_DECIMAL_TEXT_SIZE] = "-";
    if (market_book_level(book, side, 0, &level)) {
        (void)money_decimal_format(level.price_minor, book->price_exponent, price, sizeof(price));
        (void)money_decimal_format(level.qty_minor, book->qty_exponent, qty, sizeof(qty));
    }
    (void)printf(" %14s %18s", price, qty);
}

static void print_book(const struct market_book_status *status)
{
    const struct market_book *book = status->book;
    (void)printf("%-11s %-10s %12llu", book->venue, book->symbol,
                 (unsigned long long)status->last_update_id);
    print_side(book, MARKET_BID);
    print_side(book, MARKET_ASK);
    (void)printf(" %5zu/%-5zu %4llu %-7s %-6s %llu\n", market_book_levels_count(book, MARKET_BID),
                 market_book_levels_count(book, MARKET_ASK), (unsigned long long)status->gaps_count,
                 market_book_crossed(book) ? "yes" : "no", status->synced ? "yes" : "no",
                 (unsigned long long)malformed_total(status->malformed_count));
}

static void print_feed(const struct market_feed_status *status)
{
    (void)printf("%s (%s): %llu lines, %llu messages, %llu ignored, %llu refused\n", status->venue,
                 status->handler, (unsigned long long)status->lines_count,
                 (unsigned long long)status->messages_count,
                 (unsigned long long)status->ignored_count,
                 (unsigned long long)malformed_total(status->malformed_count));
}

/* Prints every book of every feed, then each feed's own counters. */
static int print_feeds(const struct cli *cli, const struct replay_feeds *feeds,
                       const struct walk_request *request)
{
    if (!cli->json) {
        (void)printf("%-11s %-10s %12s %14s %18s %14s %18s %11s %4s %-7s %-6s %s\n", "venue",
                     "symbol", "update id", "best bid", "qty", "best ask", "qty", "levels b/a",
                     "gaps", "crossed", "synced", "refused");
    }
    for (size_t index = 0; index < feeds->feeds_count; index++) {
        for (size_t book = 0; book < market_feed_books_count(feeds->feeds[index]); book++) {
            struct market_book_status status;
            market_feed_book_status(feeds->feeds[index], book, &status);
            json_t *object =
                cli->json ? with_indicators(book_json(&status), status.book, request) : NULL;
            int rc = cli->json ? cli_print_json_take(
                                     cli, replay_monitor_json_take(object, feeds->monitor,
                                                                   status.book, request->monitor))
                               : 0;
            if (rc != 0) {
                return rc;
            }
            if (!cli->json) {
                print_book(&status);
            }
        }
    }
    for (size_t index = 0; index < feeds->feeds_count; index++) {
        struct market_feed_status status;
        market_feed_status(feeds->feeds[index], &status);
        int rc = cli->json ? cli_print_json_take(cli, feed_json(&status)) : 0;
        if (rc != 0) {
            return rc;
        }
        if (!cli->json) {
            print_feed(&status);
        }
    }
    return 0;
}

/* Checks --walk and --side before any file is read; 0, or the exit status. */
static int walk_options(const struct cli *cli, const char *side, struct walk_request *request)
{
    if (strcmp(side, "buy") != 0 && strcmp(side, "sell") != 0) {
        return cli_usage_error(cli, cmd_market_usage, "--side is 'buy' or 'sell'");
    }
    request->taker = strcmp(side, "buy") == 0 ? MARKET_TAKER_BUY : MARKET_TAKER_SELL;
    if (request->qty_text == NULL) {
        return 0;
    }
    /* The grammar now; the precision at each book's own exponent when it is walked. */
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_u128 qty = 0;
    tpw_error_set_param(&detail, "walk");
    enum tpw_err err = money_decimal_parse(request->qty_text, strlen(request->qty_text),
                                           MARKET_EXPONENT_MAX, &qty, &detail);
    if (err == TPW_OK && qty == 0) {
        err =
            tpw_error_set(&detail, TPW_ERR_INVALID_ARGUMENT, 0, "--walk needs a quantity above 0");
    }
    return err == TPW_OK ? 0 : cli_fail(cli, err, &detail);
}

static int market_replay(struct cli *cli, int argc, char **argv)
{
    const char *format = "cryptofeed";
    const char *venue = NULL;
    const char *side = "buy";
    struct replay_monitor_options monitor_options = {NULL, NULL, NULL, NULL, NULL};
    struct walk_request request = {NULL, MARKET_TAKER_BUY, &monitor_options};
    const struct cli_option options[] = {{"format", &format, NULL},
                                         {"venue", &venue, NULL},
                                         {"walk", &request.qty_text, NULL},
                                         {"side", &side, NULL},
                                         REPLAY_MONITOR_OPTIONS(monitor_options)};
    const struct cli_spec spec = {options, 4 + REPLAY_MONITOR_OPTIONS_COUNT, 1, CLI_POSITIONALS_MAX,
                                  cmd_market_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    if (strcmp(format, "cryptofeed") != 0) {
        return cli_usage_error(cli, cmd_market_usage, "unknown --format (only 'cryptofeed')");
    }
    status = walk_options(cli, side, &request);
    if (status != 0) {
        return status;
    }
    struct replay_feeds feeds = {.feeds_count = 0};
    status = replay_monitor_create(cli, &monitor_options, cmd_market_usage, &feeds.monitor);
    if (status != 0) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    /* Snapshots first: the procedure drops the stream's events older than each one. */
    enum tpw_err err = replay_kind(&feeds, &args, venue, MARKET_RECORDING_HTTP, &detail);
    if (err == TPW_OK) {
        err = replay_kind(&feeds, &args, venue, MARKET_RECORDING_WS, &detail);
    }
    status = err == TPW_OK ? print_feeds(cli, &feeds, &request) : cli_fail(cli, err, &detail);
    market_monitor_destroy(feeds.monitor); /* before the feeds it observes */
    for (size_t index = 0; index < feeds.feeds_count; index++) {
        market_feed_destroy(feeds.feeds[index]);
    }
    return status;
}

int cmd_market(struct cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        return cli_usage_error(cli, cmd_market_usage, "missing sub-command");
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        (void)fputs(cmd_market_usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "replay") == 0) {
        cli->command = "market replay";
        return market_replay(cli, argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "watch") == 0) {
        cli->command = "market watch";
        return cmd_market_watch(cli, argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "simulate") == 0) {
        cli->command = "market simulate";
        return cmd_market_simulate(cli, argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "book") == 0) {
        cli->command = "market book";
        return cmd_market_book(cli, argc - 1, argv + 1);
    }
    return cli_usage_error(cli, cmd_market_usage, "unknown sub-command");
}
