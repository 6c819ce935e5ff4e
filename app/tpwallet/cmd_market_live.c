/*
 * `tpwallet market watch` and `tpwallet market book`: the loops over a live watch.
 *
 * watch prints one line per event (connections, snapshots, resyncs, failovers and the
 * alert each failover raises) and a summary of each book every --summary-ms, human or
 * JSON lines (--json), until --duration-ms, --messages or SIGINT/SIGTERM; then each
 * source's counters and the final books. book waits until the book is synced (at most
 * --timeout-ms), prints its top --depth levels and exits. Every line is flushed, so a
 * reader of the output (the failover test) sees it as it happens.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ledger_cli.h"
#include "market_watch_cli.h"
#include "tpwallet/market.h"
#include "tpwallet/money.h"

#include "banned.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

static void stop_signals_install(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_stop_signal;
    (void)sigemptyset(&action.sa_mask);
    (void)sigaction(SIGINT, &action, NULL);
    (void)sigaction(SIGTERM, &action, NULL);
}

static void print_json_line(const struct cli *cli, json_t *object)
{
    (void)cli_print_json_take(cli, object);
    (void)fflush(stdout);
}

/* The alert a failover raises: a warning when prices degrade, info when they recover. */
static json_t *alert_json(const struct market_watch_event *event)
{
    const struct market_failover_event *change = &event->failover;
    char message[160];
    (void)snprintf(message, sizeof(message), "%s: prices %s, from the %s (%s)", event->symbol,
                   market_price_status_name(change->status_to), market_source_name(change->to),
                   market_failover_reason_name(change->reason));
    return json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "alert", "t_ms",
                     (json_int_t)(event->timestamp_us / 1000), "severity",
                     change->status_to == MARKET_PRICE_LIVE ? "info" : "warning", "kind",
                     "failover", "symbol", event->symbol, "status",
                     market_price_status_name(change->status_to), "source",
                     market_source_name(change->to), "message", message);
}

static json_t *event_json(const struct market_watch_event *event)
{
    json_t *object = json_pack("{s:s,s:I,s:s}", "type", market_watch_event_name(event->kind),
                               "t_ms", (json_int_t)(event->timestamp_us / 1000), "source",
                               market_source_name(event->source));
    if (object != NULL && event->symbol != NULL) {
        (void)json_object_set_new(object, "symbol", json_string(event->symbol));
    }
    if (object != NULL && event->kind == MARKET_WATCH_SYNCED) {
        (void)json_object_set_new(object, "update_id", json_integer((json_int_t)event->update_id));
    }
    if (object != NULL && event->kind == MARKET_WATCH_FAILOVER) {
        const struct market_failover_event *change = &event->failover;
        (void)json_object_set_new(object, "from", json_string(market_source_name(change->from)));
        (void)json_object_set_new(object, "status_from",
                                  json_string(market_price_status_name(change->status_from)));
        (void)json_object_set_new(object, "status",
                                  json_string(market_price_status_name(change->status_to)));
    }
    if (object != NULL && event->why != NULL) {
        (void)json_object_set_new(object, "why", json_string(event->why));
    }
    return object;
}

static void event_print(const struct market_watch_event *event)
{
    (void)printf("%8lld ms  %-15s %-7s%s%s", (long long)(event->timestamp_us / 1000),
                 market_watch_event_name(event->kind), market_source_name(event->source),
                 event->symbol != NULL ? " " : "", event->symbol != NULL ? event->symbol : "");
    if (event->kind == MARKET_WATCH_FAILOVER) {
        const struct market_failover_event *change = &event->failover;
        (void)printf(" %s -> %s, %s -> %s", market_source_name(change->from),
                     market_source_name(change->to), market_price_status_name(change->status_from),
                     market_price_status_name(change->status_to));
    }
    (void)printf("%s%s\n", event->why != NULL ? " " : "", event->why != NULL ? event->why : "");
    if (event->kind == MARKET_WATCH_FAILOVER) {
        (void)printf("%8lld ms  ALERT %s: prices %s, from the %s (%s)\n",
                     (long long)(event->timestamp_us / 1000), event->symbol,
                     market_price_status_name(event->failover.status_to),
                     market_source_name(event->failover.to),
                     market_failover_reason_name(event->failover.reason));
    }
}

static void on_event(void *user, const struct market_watch_event *event)
{
    const struct cli *cli = user;
    if (!cli->json) {
        event_print(event);
        (void)fflush(stdout);
        return;
    }
    print_json_line(cli, event_json(event));
    if (event->kind == MARKET_WATCH_FAILOVER) {
        print_json_line(cli, alert_json(event));
    }
}

static void books_print(const struct cli *cli, const market_watch *watch, size_t symbols_count,
                        int64_t now_us, bool final)
{
    for (size_t index = 0; index < symbols_count; index++) {
        struct market_watch_instrument instrument;
        market_watch_instrument(watch, index, &instrument);
        if (cli->json) {
            print_json_line(cli, watch_book_json(&instrument, now_us, final));
        } else {
            watch_book_print(&instrument, now_us);
            (void)fflush(stdout);
        }
    }
}

static void source_print(const struct cli *cli, const struct market_watch_source_stats *stats,
                         enum market_source source)
{
    uint64_t refused = stats->books_malformed_count;
    for (size_t kind = 0; kind < MARKET_MALFORMED_COUNT; kind++) {
        refused += stats->feed.malformed_count[kind];
    }
    if (!cli->json) {
        (void)printf("source %s: %llu messages, %llu connects, %llu disconnects, %llu snapshots "
                     "(%llu failed), %llu buffered (%llu dropped), %llu refused\n",
                     market_source_name(source), (unsigned long long)stats->frames_count,
                     (unsigned long long)stats->connects_count,
                     (unsigned long long)stats->disconnects_count,
                     (unsigned long long)stats->snapshots_count,
                     (unsigned long long)stats->snapshot_failures_count,
                     (unsigned long long)stats->buffered_count,
                     (unsigned long long)stats->buffer_dropped_count, (unsigned long long)refused);
        return;
    }
    print_json_line(cli, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "type",
                                   "source", "source", market_source_name(source), "messages",
                                   (json_int_t)stats->frames_count, "connects",
                                   (json_int_t)stats->connects_count, "disconnects",
                                   (json_int_t)stats->disconnects_count, "snapshots",
                                   (json_int_t)stats->snapshots_count, "snapshot_failures",
                                   (json_int_t)stats->snapshot_failures_count, "buffered",
                                   (json_int_t)stats->buffered_count, "buffer_dropped",
                                   (json_int_t)stats->buffer_dropped_count, "book_refusals",
                                   (json_int_t)stats->books_malformed_count, "malformed",
                                   market_malformed_json(stats->feed.malformed_count)));
}

const char cmd_market_watch_usage[] =
    "usage: tpwallet market watch --symbols A,B --primary WS_URL --primary-rest URL\n"
    "         [--backup WS_URL --backup-rest URL]\n"
    "         [--venue BINANCE|BINANCE_US|BINANCE_FUTURES|BINANCE_DELIVERY]\n"
    "         [--stale-ms 2000] [--hysteresis-ms 10000] [--gaps-max 3] [--gap-window-ms 60000]\n"
    "         [--snapshot-timeout-ms 5000] [--reconnect-ms 500] [--limit 1000]\n"
    "         [--summary-ms 1000] [--duration-ms 3600000] [--messages N] [--json]\n"
    "Follows live books from the primary stream (and the backup's), snapshots from the REST\n"
    "URL (?symbol=S&limit=N is appended), failing over per symbol when the active source is\n"
    "disconnected, stale or gapping; prints events, alerts and book summaries until the\n"
    "duration, the message count or SIGINT/SIGTERM, then the counters and final books.\n";

const char cmd_market_book_usage[] =
    "usage: tpwallet market book --symbols S --primary WS_URL --primary-rest URL\n"
    "         [--backup WS_URL --backup-rest URL] [--venue NAME] [--depth 10]\n"
    "         [--timeout-ms 10000] [watch's threshold options] [--json]\n"
    "Waits until the book is synced, prints its top --depth levels per side and exits.\n";

/* What bounds a watch run, besides a signal. */
struct run_bounds {
    int64_t duration_us;
    uint64_t messages_max; /* 0: none */
    int64_t summary_us;    /* 0: no periodic summaries */
};

/* Polls until a bound is reached. A round waits at most MARKET_WATCH_POLL_US and may
 * return at once on activity, so the time bounds the loop; the round count only backs
 * it up (a round takes more than a microsecond). */
static int64_t watch_run(const struct cli *cli, market_watch *watch, size_t symbols_count,
                         const struct run_bounds *bounds)
{
    int64_t now_us = 0;
    int64_t summary_at_us = bounds->summary_us;
    uint64_t rounds_max = (uint64_t)bounds->duration_us + 1;
    for (uint64_t round = 0; round < rounds_max && !stop_requested; round++) {
        market_watch_poll(watch, &now_us);
        if (now_us >= bounds->duration_us ||
            (bounds->messages_max > 0 &&
             market_watch_frames_count(watch) >= bounds->messages_max)) {
            break;
        }
        if (bounds->summary_us > 0 && now_us >= summary_at_us) {
            books_print(cli, watch, symbols_count, now_us, false);
            summary_at_us = now_us + bounds->summary_us;
        }
    }
    return now_us;
}

/* `events`: print each event as it happens (watch), or leave them to the log (book). */
static int watch_create(struct cli *cli, const struct market_watch_config *config, bool events,
                        market_watch **watch)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = market_watch_create(config, events ? on_event : NULL, cli, watch, &detail);
    return err == TPW_OK ? 0 : cli_fail(cli, err, &detail);
}

static int watch_finish(struct cli *cli, market_watch *watch,
                        const struct market_watch_config *config, int64_t now_us)
{
    for (size_t source = 0; source < config->sources_count; source++) {
        struct market_watch_source_stats stats;
        market_watch_source_stats(watch, (enum market_source)source, &stats);
        source_print(cli, &stats, (enum market_source)source);
    }
    books_print(cli, watch, config->symbols_count, now_us, true);
    market_watch_destroy(watch);
    return 0;
}

int cmd_market_watch(struct cli *cli, int argc, char **argv)
{
    struct market_watch_texts o = {.venue = "BINANCE"};
    const char *summary_ms = NULL;
    const char *duration_ms = NULL;
    const char *messages = NULL;
    const struct cli_option options[] = {WATCH_OPTIONS(o),
                                         {"summary-ms", &summary_ms, NULL},
                                         {"duration-ms", &duration_ms, NULL},
                                         {"messages", &messages, NULL}};
    const struct cli_spec spec = {options, WATCH_OPTIONS_COUNT + 3, 0, 0, cmd_market_watch_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    struct market_watch_config config;
    status = watch_config_build(cli, &o, cmd_market_watch_usage, &config);
    struct run_bounds bounds = {(int64_t)3600 * 1000000, 0, 1000000};
    if (status == 0 &&
        (!market_ms_text_us(summary_ms, MARKET_WATCH_MS_MAX, true, &bounds.summary_us) ||
         !market_ms_text_us(duration_ms, MARKET_WATCH_MS_MAX, false, &bounds.duration_us) ||
         (messages != NULL && !lcli_u64(messages, UINT64_MAX, &bounds.messages_max)))) {
        status = cli_usage_error(cli, cmd_market_watch_usage,
                                 "--summary-ms, --duration-ms and --messages are whole numbers");
    }
    market_watch *watch = NULL;
    if (status == 0) {
        status = watch_create(cli, &config, true, &watch);
    }
    if (status != 0) {
        return status;
    }
    stop_signals_install();
    int64_t now_us = watch_run(cli, watch, config.symbols_count, &bounds);
    return watch_finish(cli, watch, &config, now_us);
}

static json_t *levels_json(const struct market_book *book, enum market_side side, size_t depth)
{
    json_t *levels = json_array();
    struct market_level level;
    for (size_t index = 0;
         levels != NULL && index < depth && market_book_level(book, side, index, &level); index++) {
        char price[MONEY_DECIMAL_TEXT_SIZE];
        char qty[MONEY_DECIMAL_TEXT_SIZE];
        (void)money_decimal_format(level.price_minor, book->price_exponent, price, sizeof(price));
        (void)money_decimal_format(level.qty_minor, book->qty_exponent, qty, sizeof(qty));
        (void)json_array_append_new(levels, json_pack("[s,s]", price, qty));
    }
    return levels;
}

static void book_levels_print(const struct cli *cli,
                              const struct market_watch_instrument *instrument, size_t depth)
{
    const struct market_book *book = instrument->book.book;
    if (cli->json) {
        print_json_line(cli,
                        json_pack("{s:s,s:s,s:s,s:s,s:I,s:o,s:o}", "venue", book->venue, "symbol",
                                  book->symbol, "source", market_source_name(instrument->active),
                                  "status", market_price_status_name(instrument->status),
                                  "last_update_id", (json_int_t)instrument->book.last_update_id,
                                  "bids", levels_json(book, MARKET_BID, depth), "asks",
                                  levels_json(book, MARKET_ASK, depth)));
        return;
    }
    (void)printf("%s %s at %llu from the %s (%s)\n%20s %20s   %20s %20s\n", book->venue,
                 book->symbol, (unsigned long long)instrument->book.last_update_id,
                 market_source_name(instrument->active),
                 market_price_status_name(instrument->status), "bid", "qty", "ask", "qty");
    for (size_t index = 0; index < depth; index++) {
        struct market_level bid = {0, 0};
        struct market_level ask = {0, 0};
        bool has_bid = market_book_level(book, MARKET_BID, index, &bid);
        bool has_ask = market_book_level(book, MARKET_ASK, index, &ask);
        if (!has_bid && !has_ask) {
            break;
        }
        char text[4][MONEY_DECIMAL_TEXT_SIZE] = {"", "", "", ""};
        if (has_bid) {
            (void)money_decimal_format(bid.price_minor, book->price_exponent, text[0],
                                       sizeof(text[0]));
            (void)money_decimal_format(bid.qty_minor, book->qty_exponent, text[1], sizeof(text[1]));
        }
        if (has_ask) {
            (void)money_decimal_format(ask.price_minor, book->price_exponent, text[2],
                                       sizeof(text[2]));
            (void)money_decimal_format(ask.qty_minor, book->qty_exponent, text[3], sizeof(text[3]));
        }
        (void)printf("%20s %20s   %20s %20s\n", text[0], text[1], text[2], text[3]);
    }
}

/* Polls until the book is synced or the timeout passes; true when synced. */
static bool book_wait(market_watch *watch, int64_t timeout_us,
                      struct market_watch_instrument *instrument)
{
    int64_t now_us = 0;
    uint64_t rounds_max = (uint64_t)timeout_us + 1; /* as in watch_run */
    for (uint64_t round = 0; round < rounds_max && !stop_requested && now_us < timeout_us;
         round++) {
        market_watch_poll(watch, &now_us);
        market_watch_instrument(watch, 0, instrument);
        if (instrument->synced) {
            return true;
        }
    }
    return false;
}

int cmd_market_book(struct cli *cli, int argc, char **argv)
{
    struct market_watch_texts o = {.venue = "BINANCE"};
    const char *depth_text = NULL;
    const char *timeout_ms = NULL;
    const struct cli_option options[] = {
        WATCH_OPTIONS(o), {"depth", &depth_text, NULL}, {"timeout-ms", &timeout_ms, NULL}};
    const struct cli_spec spec = {options, WATCH_OPTIONS_COUNT + 2, 0, 0, cmd_market_book_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    struct market_watch_config config;
    status = watch_config_build(cli, &o, cmd_market_book_usage, &config);
    uint64_t depth = 10;
    int64_t timeout_us = 10000000;
    if (status == 0 && (config.symbols_count != 1 ||
                        (depth_text != NULL &&
                         (!lcli_u64(depth_text, MARKET_BOOK_LEVELS_MAX, &depth) || depth == 0)) ||
                        !market_ms_text_us(timeout_ms, MARKET_WATCH_MS_MAX, false, &timeout_us))) {
        status = cli_usage_error(cli, cmd_market_book_usage,
                                 "one symbol, --depth 1 to 8192, --timeout-ms above 0");
    }
    market_watch *watch = NULL;
    if (status == 0) {
        status = watch_create(cli, &config, false, &watch);
    }
    if (status != 0) {
        return status;
    }
    stop_signals_install();
    struct market_watch_instrument instrument;
    if (book_wait(watch, timeout_us, &instrument)) {
        book_levels_print(cli, &instrument, (size_t)depth);
    } else {
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        status = cli_fail(cli,
                          tpw_error_set(&detail, TPW_ERR_MARKET_NOT_SYNCED, 0,
                                        "no synced book of %s within %lld ms", config.symbols[0],
                                        (long long)(timeout_us / 1000)),
                          &detail);
    }
    market_watch_destroy(watch);
    return status;
}
