/*
 * The differential test of the streaming decoder: every line of the recordings (and of a
 * Coinbase level2 session written from its documented format), trade messages in each
 * venue's documented formats (Binance trade and aggTrade, Coinbase match and
 * last_match) and Binance klines, then a few thousand seeded random mutations of them
 * (bit flips, truncations, swapped strings, duplicated keys, numbers for strings,
 * escapes, whitespace, prices and quantities replaced by random decimal-like strings),
 * go through two feeds of the same venue, one with the streaming decoder (jansson for
 * what it declines) and one with jansson alone; after each line both must have returned
 * the same result, logged the same lines, told their observers the same events and
 * trades, and hold the same books and counters. The seed is printed; TPW_TEST_SEED
 * replays one.
 */
#define _XOPEN_SOURCE 700 /* open_memstream */

#include "tpw_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_decoder.h"
#include "log.h"
#include "tpwallet/clock.h"
#include "tpwallet/market.h"
#include "tpwallet/prng.h"

#ifndef TPW_MARKET_DATA_DIR
#error "TPW_MARKET_DATA_DIR names tests/data/marketdata/cryptofeed"
#endif

#define LINES_MAX 4096
#define MUTATIONS_COUNT 4000
#define MUTANT_SIZE_MAX ((size_t)256 * 1024)

struct lines {
    char *text[LINES_MAX];
    size_t text_len[LINES_MAX];
    size_t count;
};

static void lines_read(struct lines *lines, const char *name)
{
    char path[512];
    (void)snprintf(path, sizeof(path), "%s/%s", TPW_MARKET_DATA_DIR, name);
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    char *line = NULL;
    size_t size = 0;
    ssize_t length = 0;
    while ((length = getline(&line, &size, file)) > 0 && lines->count < LINES_MAX) {
        size_t len = (size_t)length;
        len -= line[len - 1] == '\n' ? 1 : 0;
        lines->text[lines->count] = malloc(len + 1);
        assert_non_null(lines->text[lines->count]);
        (void)memcpy(lines->text[lines->count], line, len);
        lines->text[lines->count][len] = '\0';
        lines->text_len[lines->count++] = len;
    }
    free(line);
    (void)fclose(file);
}

static void lines_free(struct lines *lines)
{
    for (size_t index = 0; index < lines->count; index++) {
        free(lines->text[index]);
    }
}

/* Two feeds of one venue, each with its own log, and its observer's record. */
struct pair {
    market_feed *feeds[2]; /* [0] streaming decoder, [1] jansson alone */
    char *log_text[2];
    size_t log_size[2];
    FILE *log[2];
    char *events_text[2];
    size_t events_size[2];
    FILE *events[2];
    size_t events_checked; /* bytes of both records already compared */
};

static uint64_t clock_ns;

/* Writes every event of a feed, with its trade, as a line of its record. */
static void record_event(void *user, const struct market_feed_event *event)
{
    FILE *record = user;
    (void)fprintf(record, "%d %d %lld %s %llu %llu", (int)event->kind, (int)event->snapshot,
                  (long long)event->received_us, event->book != NULL ? event->book->symbol : "-",
                  (unsigned long long)event->update_id, (unsigned long long)event->book_update_id);
    const struct market_trade *trade = event->trade;
    if (trade != NULL) {
        (void)fprintf(record, " trade %llu %llu %llu %lld %lld %d %d",
                      (unsigned long long)trade->trade_id, (unsigned long long)trade->price_minor,
                      (unsigned long long)trade->qty_minor, (long long)trade->trade_time_us,
                      (long long)trade->received_us, (int)trade->aggressor, (int)trade->aggregate);
    }
    (void)fputc('\n', record);
}

static void pair_init(struct pair *pair, const char *venue)
{
    memset(pair, 0, sizeof(*pair));
    for (size_t index = 0; index < 2; index++) {
        assert_err(market_feed_create(venue, &pair->feeds[index], NULL), TPW_OK);
        pair->log[index] = open_memstream(&pair->log_text[index], &pair->log_size[index]);
        assert_non_null(pair->log[index]);
        pair->events[index] = open_memstream(&pair->events_text[index], &pair->events_size[index]);
        assert_non_null(pair->events[index]);
        assert_err(market_feed_observe(pair->feeds[index], record_event, pair->events[index]),
                   TPW_OK);
    }
    market__feed_decoder_set(pair->feeds[1], MARKET__DECODER_JANSSON);
}

static void pair_deinit(struct pair *pair)
{
    for (size_t index = 0; index < 2; index++) {
        market_feed_destroy(pair->feeds[index]);
        assert_int_equal(fclose(pair->log[index]), 0);
        free(pair->log_text[index]);
        assert_int_equal(fclose(pair->events[index]), 0);
        free(pair->events_text[index]);
    }
}

static void books_equal(const market_feed *fast, const market_feed *slow)
{
    assert_int_equal(market_feed_books_count(fast), market_feed_books_count(slow));
    for (size_t index = 0; index < market_feed_books_count(fast); index++) {
        struct market_book_status a;
        struct market_book_status b;
        market_feed_book_status(fast, index, &a);
        market_feed_book_status(slow, index, &b);
        assert_string_equal(a.book->symbol, b.book->symbol);
        assert_int_equal(a.book->price_exponent, b.book->price_exponent);
        assert_int_equal(a.book->qty_exponent, b.book->qty_exponent);
        assert_int_equal(a.last_update_id, b.last_update_id);
        assert_int_equal(a.synced, b.synced);
        assert_int_equal(a.needs_resync, b.needs_resync);
        const uint64_t counts_a[] = {
            a.snapshots_count,      a.events_count,        a.dropped_count,
            a.applied_count,        a.unsynced_count,      a.gaps_count,
            a.crossed_count,        a.ticker_checks_count, a.ticker_mismatches_count,
            a.levels_set_count,     a.trades_count,        a.trade_gaps_count,
            a.trades_dropped_count, a.last_trade_id,       a.tickers_stale_count};
        const uint64_t counts_b[] = {
            b.snapshots_count,      b.events_count,        b.dropped_count,
            b.applied_count,        b.unsynced_count,      b.gaps_count,
            b.crossed_count,        b.ticker_checks_count, b.ticker_mismatches_count,
            b.levels_set_count,     b.trades_count,        b.trade_gaps_count,
            b.trades_dropped_count, b.last_trade_id,       b.tickers_stale_count};
        assert_memory_equal(counts_a, counts_b, sizeof(counts_a));
        assert_memory_equal(a.malformed_count, b.malformed_count, sizeof(a.malformed_count));
        for (int side = 0; side < MARKET_SIDES_COUNT; side++) {
            const struct market_book_side *la = &a.book->sides[side];
            const struct market_book_side *lb = &b.book->sides[side];
            assert_int_equal(la->levels_count, lb->levels_count);
            assert_memory_equal(la->levels, lb->levels, la->levels_count * sizeof(la->levels[0]));
        }
    }
}

static void pair_equal(struct pair *pair)
{
    struct market_feed_status a;
    struct market_feed_status b;
    market_feed_status(pair->feeds[0], &a);
    market_feed_status(pair->feeds[1], &b);
    assert_int_equal(a.lines_count, b.lines_count);
    assert_int_equal(a.blank_count, b.blank_count);
    assert_int_equal(a.sent_count, b.sent_count);
    assert_int_equal(a.messages_count, b.messages_count);
    assert_int_equal(a.ignored_count, b.ignored_count);
    assert_int_equal(a.last_message_us, b.last_message_us);
    assert_memory_equal(a.malformed_count, b.malformed_count, sizeof(a.malformed_count));
    books_equal(pair->feeds[0], pair->feeds[1]);
    for (size_t index = 0; index < 2; index++) {
        assert_int_equal(fflush(pair->log[index]), 0);
        assert_int_equal(fflush(pair->events[index]), 0);
    }
    assert_int_equal(pair->log_size[0], pair->log_size[1]);
    assert_memory_equal(pair->log_text[0], pair->log_text[1], pair->log_size[0]);
    /* The records only grow: compare what the line added. */
    assert_int_equal(pair->events_size[0], pair->events_size[1]);
    assert_memory_equal(pair->events_text[0] + pair->events_checked,
                        pair->events_text[1] + pair->events_checked,
                        pair->events_size[0] - pair->events_checked);
    pair->events_checked = pair->events_size[0];
}

/* One line through both feeds: the same result, logs, books and counters. */
static void pair_line(struct pair *pair, const char *text, size_t text_len, uint64_t number)
{
    enum tpw_err results[2];
    for (size_t index = 0; index < 2; index++) {
        tpw_log_set_stream(pair->log[index]);
        results[index] = market_replay_line(pair->feeds[index], text, text_len, number);
    }
    tpw_log_set_stream(stderr);
    if (results[0] != results[1]) {
        print_error("line %llu: %.*s\n", (unsigned long long)number, (int)text_len, text);
    }
    assert_int_equal(results[0], results[1]);
    pair_equal(pair);
}

/* The lines of one run: the snapshots, the stream, and trade messages. */
struct session {
    struct lines http;
    struct lines ws;
    struct lines trades;
};

static void session_free(struct session *session)
{
    lines_free(&session->http);
    lines_free(&session->ws);
    lines_free(&session->trades);
}

static void replay_all(struct pair *pair, const struct session *session)
{
    const struct lines *parts[] = {&session->http, &session->ws, &session->trades};
    for (size_t part = 0; part < 3; part++) {
        for (size_t index = 0; index < parts[part]->count; index++) {
            pair_line(pair, parts[part]->text[index], parts[part]->text_len[index], index + 1);
        }
    }
}

/* A string that shows up in venue messages, or a byte the scanner must decline. */
static const char *const splices[] = {
    "\"U\":1,",
    "\"u\":\"7\",",
    "\"s\":\"NKNUSDT\",",
    "\\u0041",
    "\\\"",
    " \t\r\n ",
    "-1",
    "1.5",
    "1e3",
    "null",
    "true",
    "[]",
    "{}",
    "\"b\":[],",
    "\"pu\":3,",
    "\"e\":\"bookTicker\",",
    "\"A\":\"1.0\",",
    "\"data\":{},",
    "99999999999999999999",
    "\xc3\xa9",
    "\"x\":1,",
    "0",
    "[\"1.0\",\"2.0\",\"3.0\"]",
    "\"-0.5\"",
    "\"1.000000000000000000001\"",
    "\"m\":true,",
    "false",
    "\"t\":5,",
    "\"e\":\"trade\",",
    "\"e\":\"aggTrade\",",
    "\"p\":\"0\",",
    "\"q\":1,",
    "\"T\":9999999999999999,",
    "\"side\":\"hold\",",
    "\"type\":\"match\",",
    "\"time\":\"2024-02-30T00:00:00Z\",",
    "\"trade_id\":1,",
};

/*
 * Replaces the contents of the first string at or after `at` that starts with a digit
 * (a price or a quantity, mostly) by a random decimal-like text: too many fraction or
 * integer digits, leading zeros, a sign, an exponent, a second point, a space, nothing.
 * The streaming decoder reads these strings as decimals while it scans them; the
 * refusals and values must stay jansson's. Returns the new length (`text_len` when
 * there is no such string: then nothing changes).
 */
static size_t mutate_decimal(struct tpw_prng *prng, char *out, size_t text_len, size_t at)
{
    static const char alphabet[] = "000000112345678999.-+e ";
    size_t open = at;
    while (open + 1 < text_len &&
           !(out[open] == '"' && out[open + 1] >= '0' && out[open + 1] <= '9')) {
        open++;
    }
    const char *close =
        open + 1 < text_len ? memchr(out + open + 1, '"', text_len - open - 1) : NULL;
    if (close == NULL) {
        return text_len;
    }
    size_t old_len = (size_t)(close - out) - open - 1;
    size_t new_len = (size_t)tpw_prng_below(prng, 25);
    (void)memmove(out + open + 1 + new_len, close, text_len - (size_t)(close - out));
    for (size_t index = 0; index < new_len; index++) {
        /* Digits mostly, and now and then another byte of the alphabet. */
        uint64_t pick = tpw_prng_below(prng, 8) == 0 ? tpw_prng_below(prng, sizeof(alphabet) - 1)
                                                     : tpw_prng_below(prng, 18);
        out[open + 1 + index] = alphabet[pick];
    }
    return text_len - old_len + new_len;
}

/* Copies `text` into `out` with one random mutation; returns the new length. */
static size_t mutate(struct tpw_prng *prng, const char *text, size_t text_len, char *out)
{
    assert_true(text_len + 64 < MUTANT_SIZE_MAX);
    (void)memcpy(out, text, text_len);
    if (text_len == 0) {
        return 0;
    }
    size_t at = text_len > 0 ? (size_t)tpw_prng_below(prng, text_len) : 0;
    switch (tpw_prng_below(prng, 6)) {
    case 5: /* a price or quantity replaced */
        return mutate_decimal(prng, out, text_len, at);
    case 0: /* a bit flip */
        out[at] = (char)(out[at] ^ (char)(1u << tpw_prng_below(prng, 8)));
        return text_len;
    case 1: /* a truncation */
        return at;
    case 2: { /* a splice: a known fragment inserted */
        const char *splice = splices[tpw_prng_below(prng, sizeof(splices) / sizeof(splices[0]))];
        size_t splice_len = strlen(splice);
        (void)memmove(out + at + splice_len, out + at, text_len - at);
        (void)memcpy(out + at, splice, splice_len);
        return text_len + splice_len;
    }
    case 3: { /* two bytes swapped: a quote, a digit or a bracket moves */
        size_t other = (size_t)tpw_prng_below(prng, text_len);
        char byte = out[at];
        out[at] = out[other];
        out[other] = byte;
        return text_len;
    }
    default: { /* a span of bytes copied over another: fields and values swapped */
        size_t from = (size_t)tpw_prng_below(prng, text_len);
        size_t span = (size_t)tpw_prng_below(prng, 24);
        span = span < text_len - from && span < text_len - at ? span : 0;
        (void)memmove(out + at, text + from, span);
        return text_len;
    }
    }
}

static uint64_t seed_get(void)
{
    const char *text = getenv("TPW_TEST_SEED");
    uint64_t seed = text != NULL ? strtoull(text, NULL, 10) : 0x6d61726b6574ull;
    print_message("decoder differential seed: %llu\n", (unsigned long long)seed);
    return seed;
}

/* Appends one line (a copy of `text`). */
static void lines_add(struct lines *lines, const char *text)
{
    assert_true(lines->count < LINES_MAX);
    size_t len = strlen(text);
    lines->text[lines->count] = malloc(len + 1);
    assert_non_null(lines->text[lines->count]);
    (void)memcpy(lines->text[lines->count], text, len + 1);
    lines->text_len[lines->count++] = len;
}

/* A Coinbase level2 session written from the documented format (there is no recording):
 * a subscription answer, two snapshots, l2updates of random changes, heartbeats. */
static void coinbase_session(struct lines *ws, struct tpw_prng *prng)
{
    static const char *const products[] = {"BTC-USD", "ETH-USD"};
    char text[8192];
    lines_add(ws, "1.0: {\"type\":\"subscriptions\",\"channels\":[{\"name\":\"level2\"}]}");
    for (size_t product = 0; product < 2; product++) {
        int len = snprintf(text, sizeof(text), "1.0: {\"type\":\"snapshot\",\"product_id\":\"%s\",",
                           products[product]);
        for (size_t side = 0; side < 2; side++) {
            len += snprintf(text + len, sizeof(text) - (size_t)len, "%s\"%s\":[", side ? "," : "",
                            side ? "asks" : "bids");
            for (unsigned level = 0; level < 40; level++) {
                unsigned price = side ? 1001 + level : 999 - level;
                len += snprintf(text + len, sizeof(text) - (size_t)len, "%s[\"%u.%02u\",\"%u.5\"]",
                                level ? "," : "", price, level, level + 1);
            }
            len += snprintf(text + len, sizeof(text) - (size_t)len, "]");
        }
        (void)snprintf(text + len, sizeof(text) - (size_t)len, "}");
        lines_add(ws, text);
    }
    for (size_t update = 0; update < 600; update++) {
        int len = snprintf(text, sizeof(text),
                           "1.0: {\"type\":\"l2update\",\"product_id\":\"%s\",\"time\":"
                           "\"2019-08-14T20:42:27.265Z\",\"changes\":[",
                           products[tpw_prng_below(prng, 2)]);
        uint64_t changes = 1 + tpw_prng_below(prng, 3);
        for (uint64_t change = 0; change < changes; change++) {
            bool buy = tpw_prng_below(prng, 2) == 0;
            unsigned price = buy ? 960 + (unsigned)tpw_prng_below(prng, 40)
                                 : 1001 + (unsigned)tpw_prng_below(prng, 40);
            len += snprintf(text + len, sizeof(text) - (size_t)len,
                            "%s[\"%s\",\"%u.%02u\",\"%u.%u\"]", change ? "," : "",
                            buy ? "buy" : "sell", price, (unsigned)tpw_prng_below(prng, 100),
                            (unsigned)tpw_prng_below(prng, 3), (unsigned)tpw_prng_below(prng, 10));
        }
        (void)snprintf(text + len, sizeof(text) - (size_t)len, "]}");
        lines_add(ws, text);
        if (update % 100 == 0) {
            lines_add(ws,
                      "1.0: {\"type\":\"heartbeat\",\"sequence\":90,\"product_id\":\"BTC-USD\"}");
        }
    }
}

/*
 * Binance trade messages in the documented formats for the recording's symbols, with
 * ids above the recordings' that go up (some repeat, some skip): `aggTrade`, as the
 * recordings subscribe, and `trade` (with and without the order ids) for the fourth
 * symbol, which has no recorded trades; the mutations mix the kinds.
 */
static void binance_trades(struct lines *trades, const char *const symbols[4],
                           struct tpw_prng *prng)
{
    char text[512];
    uint64_t ids[4] = {30000000, 31000000, 32000000, 33000000};
    for (size_t index = 0; index < 400; index++) {
        size_t symbol = (size_t)tpw_prng_below(prng, 4);
        ids[symbol] += tpw_prng_below(prng, 3); /* 0: a replay, 2: a gap */
        bool aggregate = symbol != 3;
        char lower[32];
        size_t len = strlen(symbols[symbol]);
        for (size_t at = 0; at <= len; at++) {
            char c = symbols[symbol][at];
            lower[at] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        (void)snprintf(
            text, sizeof(text),
            "1633998530.%03u: {\"stream\":\"%s@%s\",\"data\":{\"e\":\"%s\","
            "\"E\":1633998530000,\"s\":\"%s\",\"%s\":%llu,\"p\":\"0.%08u\","
            "\"q\":\"%u.%02u\",%s\"T\":1633998530%03u,\"m\":%s,\"M\":true}}",
            (unsigned)(index % 1000), lower, aggregate ? "aggTrade" : "trade",
            aggregate ? "aggTrade" : "trade", symbols[symbol], aggregate ? "a" : "t",
            (unsigned long long)ids[symbol], 1 + (unsigned)tpw_prng_below(prng, 99999999),
            (unsigned)tpw_prng_below(prng, 500), (unsigned)tpw_prng_below(prng, 100),
            aggregate ? "\"f\":1,\"l\":2," : (index % 3 == 0 ? "\"b\":88,\"a\":50," : ""),
            (unsigned)(index % 1000), tpw_prng_below(prng, 2) ? "true" : "false");
        lines_add(trades, text);
    }
}

/* Binance kline events in the documented format (the feeds ignore them once checked),
 * among the trade lines so that a quarter of the mutations can fall on them too. */
static void binance_klines(struct lines *trades, const char *const symbols[4],
                           struct tpw_prng *prng)
{
    char text[1024];
    for (size_t index = 0; index < 60; index++) {
        const char *symbol = symbols[tpw_prng_below(prng, 4)];
        (void)snprintf(text, sizeof(text),
                       "1633998523.%03u: {\"stream\":\"x@kline_1m\",\"data\":{\"e\":\"kline\","
                       "\"E\":1633998523963,\"s\":\"%s\",\"k\":{\"t\":1633998480000,"
                       "\"T\":1633998539999,\"s\":\"%s\",\"i\":\"1m\",\"f\":19862761,"
                       "\"L\":19862790,\"o\":\"0.3527\",\"c\":\"0.%04u\",\"h\":\"0.3528\","
                       "\"l\":\"0.3522\",\"v\":\"25877.0\",\"n\":%u,\"x\":%s,\"q\":\"9116.046\","
                       "\"V\":\"58.0\",\"Q\":\"20.4624\",\"B\":\"0\"}}}",
                       (unsigned)index, symbol, symbol, (unsigned)tpw_prng_below(prng, 10000),
                       (unsigned)tpw_prng_below(prng, 100), index % 2 ? "true" : "false");
        lines_add(trades, text);
    }
}

static void run_lines(const char *venue, const struct session *session, uint64_t seed);

static void run_venue(const char *venue, const char *http_name, const char *ws_name,
                      const char *const symbols[4])
{
    uint64_t seed = seed_get();
    struct session session;
    memset(&session, 0, sizeof(session));
    lines_read(&session.http, http_name);
    lines_read(&session.ws, ws_name);
    struct tpw_prng prng;
    tpw_prng_seed(&prng, seed ^ 0x7a);
    binance_trades(&session.trades, symbols, &prng);
    binance_klines(&session.trades, symbols, &prng);
    run_lines(venue, &session, seed);
    session_free(&session);
}

/* Trades accepted on every book of a feed (so the trade lines are known to apply). */
static uint64_t trades_total(const market_feed *feed)
{
    uint64_t total = 0;
    for (size_t index = 0; index < market_feed_books_count(feed); index++) {
        struct market_book_status status;
        market_feed_book_status(feed, index, &status);
        total += status.trades_count;
    }
    return total;
}

/* The recordings, then mutations of their lines, then the recordings again, … */
static void run_lines(const char *venue, const struct session *session, uint64_t seed)
{
    struct pair pair;
    pair_init(&pair, venue);
    tpw_log_set_clock(tpw_clock_manual(&clock_ns));
    tpw_log_set_level(TPW_LOG_INFO);
    replay_all(&pair, session);
    assert_true(trades_total(pair.feeds[1]) > session->trades.count / 2);
    struct tpw_prng prng;
    tpw_prng_seed(&prng, seed);
    char *mutant = malloc(MUTANT_SIZE_MAX);
    assert_non_null(mutant);
    for (size_t round = 0; round < MUTATIONS_COUNT; round++) {
        /* A sixteenth from the snapshots, a quarter from the trades, the rest the stream. */
        uint64_t pick = tpw_prng_below(&prng, 16);
        const struct lines *from = &session->ws;
        if (pick == 0 && session->http.count > 0) {
            from = &session->http;
        } else if (pick >= 12 && session->trades.count > 0) {
            from = &session->trades;
        }
        size_t index = (size_t)tpw_prng_below(&prng, from->count);
        size_t len = mutate(&prng, from->text[index], from->text_len[index], mutant);
        pair_line(&pair, mutant, len, round + 1);
        if (round % 1000 == 999) {
            replay_all(&pair, session); /* back to synced books, then more mutations */
        }
    }
    free(mutant);
    tpw_log_set_level(TPW_LOG_ERROR);
    tpw_log_set_clock(tpw_clock_system());
    pair_deinit(&pair);
}

static const char *const binance_symbols[4] = {"NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"};
static const char *const binance_us_symbols[4] = {"COMPUSDT", "OMGBUSD", "CRVUSDT", "ZRXUSDT"};

static void test_binance_recording_and_mutations(void **state)
{
    (void)state;
    run_venue("BINANCE", "BINANCE.http.0.0", "BINANCE.ws.1.0", binance_symbols);
}

static void test_binance_us_recording_and_mutations(void **state)
{
    (void)state;
    run_venue("BINANCE_US", "BINANCE_US.http.0.0", "BINANCE_US.ws.1.0", binance_us_symbols);
}

/* The futures rule on spot messages: no "pu", so every second event is refused. */
static void test_futures_rule_on_the_recording(void **state)
{
    (void)state;
    run_venue("BINANCE_FUTURES", "BINANCE.http.0.0", "BINANCE.ws.1.0", binance_symbols);
}

/*
 * Snapshots whose levels are not what venues send — out of order, a price twice, a zero
 * quantity, sides crossed, more digits than the book's exponents, a level the compact
 * loop declines — loaded straight from the stage (or declined to the changes) exactly as
 * jansson's levels are, each after a snapshot that set the book's exponents.
 */
static void test_snapshot_shapes(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"lastUpdateId\":10,\"bids\":[[\"0.35210000\",\"672.00000000\"],"
        "[\"0.35200000\",\"1.5\"]],\"asks\":[[\"0.35300000\",\"2.00000000\"]]}",
        "{\"lastUpdateId\":11,\"bids\":[[\"0.35200000\",\"1\"],[\"0.35210000\",\"2\"],"
        "[\"0.35190000\",\"3\"]],\"asks\":[[\"0.354\",\"1\"],[\"0.353\",\"2\"]]}",
        "{\"lastUpdateId\":12,\"bids\":[[\"0.352\",\"1\"],[\"0.352\",\"2\"],"
        "[\"0.351\",\"0.00000000\"]],\"asks\":[[\"0.353\",\"0\"],[\"0.353\",\"4\"]]}",
        "{\"lastUpdateId\":13,\"bids\":[[\"0.36\",\"1\"]],\"asks\":[[\"0.35\",\"1\"]]}",
        "{\"lastUpdateId\":14,\"bids\":[[\"0.352000001\",\"1\"]],\"asks\":[]}",
        "{\"lastUpdateId\":15,\"bids\":[[\"0.35\",\"1.000000001\"]],\"asks\":[[\"1\",\"1\"]]}",
        "{\"lastUpdateId\":16,\"bids\":[ [\"0.35\",\"1\"],[\"0.34\", \"1\"]],"
        "\"asks\":[[\"12345678.5\",\"1\"],[\"0.36\",\"1\"]]}",
        "{\"lastUpdateId\":17,\"bids\":[],\"asks\":[]}",
    };
    struct pair pair;
    pair_init(&pair, "BINANCE");
    char line[512];
    for (size_t index = 0; index < sizeof(bodies) / sizeof(bodies[0]); index++) {
        for (size_t first = 0; first < 2; first++) {
            int len = snprintf(line, sizeof(line),
                               "https://api.binance.com/api/v3/depth?symbol=NKNUSDT&limit=1000"
                               " -> 1633998512.320639: %s",
                               bodies[first == 0 ? 0 : index]);
            assert_true(len > 0 && (size_t)len < sizeof(line));
            pair_line(&pair, line, (size_t)len, index * 2 + first + 1);
        }
    }
    pair_deinit(&pair);
}

/* Coinbase matches in the documented format: ids up with replays and gaps, both kinds. */
static void coinbase_matches(struct lines *trades, struct tpw_prng *prng)
{
    static const char *const products[] = {"BTC-USD", "ETH-USD"};
    char text[512];
    uint64_t ids[2] = {10, 500};
    for (size_t index = 0; index < 300; index++) {
        size_t product = (size_t)tpw_prng_below(prng, 2);
        ids[product] += tpw_prng_below(prng, 3);
        (void)snprintf(
            text, sizeof(text),
            "1.0: {\"type\":\"%s\",\"trade_id\":%llu,\"sequence\":%zu,"
            "\"maker_order_id\":\"ac928c66-ca53-498f-9c13-a110027a60e8\","
            "\"taker_order_id\":\"132fb6ae-456b-4654-b4e0-d681ac05cea1\","
            "\"time\":\"2014-11-07T08:19:%02u.%06uZ\",\"product_id\":\"%s\","
            "\"size\":\"%u.%05u\",\"price\":\"%u.%02u\",\"side\":\"%s\"}",
            index % 50 == 0 ? "last_match" : "match", (unsigned long long)ids[product], 50 + index,
            (unsigned)(index % 60), (unsigned)tpw_prng_below(prng, 999999), products[product],
            (unsigned)tpw_prng_below(prng, 9), (unsigned)tpw_prng_below(prng, 99999),
            990 + (unsigned)tpw_prng_below(prng, 20), (unsigned)tpw_prng_below(prng, 100),
            tpw_prng_below(prng, 2) ? "buy" : "sell");
        lines_add(trades, text);
    }
}

static void test_coinbase_session_and_mutations(void **state)
{
    (void)state;
    uint64_t seed = seed_get();
    struct tpw_prng prng;
    tpw_prng_seed(&prng, seed ^ 0xc0b);
    struct session session;
    memset(&session, 0, sizeof(session));
    coinbase_session(&session.ws, &prng);
    coinbase_matches(&session.trades, &prng);
    run_lines("COINBASE", &session, seed);
    session_free(&session);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binance_recording_and_mutations),
        cmocka_unit_test(test_binance_us_recording_and_mutations),
        cmocka_unit_test(test_futures_rule_on_the_recording),
        cmocka_unit_test(test_coinbase_session_and_mutations),
        cmocka_unit_test(test_snapshot_shapes),
    };
    tpw_log_set_level(TPW_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
