/*
 * The server's market data: the watches of the markets file (markets_file.c), each run
 * by a thread of its own, and what each poll publishes — per instrument, its state and
 * a copy of its book for the request threads (under the instrument's lock), a
 * market.quote signal when its top of book moved, its top as the venue's FX quote while
 * it is live, and every failover as a market.failover signal. A watch with alert rules
 * (`alerts = RULES`) has a market monitor on its primary's feed, whose alerts are
 * market.alert signals (and /v1/alerts entries, and log lines).
 *
 * A thread per watch, not one for all: market_watch_poll waits up to 10 ms in the
 * watch's own libwebsockets context, so one thread serving N watches would add the
 * others' waits to each one's latency (up to N × 10 ms before a quote moves on), and a
 * watch is the unit that fails alone (one venue's connections). Watches are few
 * (API_MARKETS_WATCHES_MAX), each a thread that mostly sleeps in poll(2).
 *
 * Request threads never touch the live books: those belong to the watch thread between
 * polls. They read the copy, which the watch thread refreshes when the book changed, at
 * most every API_MARKETS_BOOK_COPY_NS (a copy is a memcpy of the levels, up to 256 KiB,
 * and a busy book changes far more often than anyone reads it); the top of book and
 * update id readers see are the copy's, so every reply shows one book. Signals and FX
 * quotes are made from the live book, without that delay.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "markets.h"
#include "tpw_assert.h"

#include "banned.h"

struct markets_watch {
    struct api_markets *markets;
    market_watch *watch;
    struct api_market *instruments; /* its symbols', in config order */
    size_t instruments_count;
    uint64_t quote_interval_ns; /* between market.quote signals; 0: none */
    uint32_t provider_id;       /* the venue's FX provider */
    market_monitor *monitor;    /* NULL: no alert rules */
    uint64_t created_wall_ns;   /* the watch's clock 0, for the dates of its alerts */
    pthread_t thread;
    bool thread_started;
};

struct api_markets {
    struct api_markets_file file; /* the watches' configs: names point into it */
    struct markets_watch watches[API_MARKETS_WATCHES_MAX];
    struct api_market instruments[API_MARKETS_INSTRUMENTS_MAX];
    size_t watches_count;
    size_t instruments_count;
    struct api_rates *rates;
    struct api_signals *signals;
    atomic_bool stop;
};

/* Both clocks once per poll: the monotonic one paces, the wall one dates. */
struct markets_now {
    uint64_t mono_ns;
    uint64_t wall_ns;
};

size_t api_markets_count(const struct api_markets *markets)
{
    return markets != NULL ? markets->instruments_count : 0;
}

struct api_market *api_markets_at(struct api_markets *markets, size_t index)
{
    TPW_ASSERT(index < api_markets_count(markets));
    return &markets->instruments[index];
}

struct api_market *api_markets_find(struct api_markets *markets, const char *venue,
                                    const char *symbol)
{
    for (size_t i = 0; i < api_markets_count(markets); i++) {
        struct api_market *market = &markets->instruments[i];
        if (strcmp(market->venue, venue) == 0 && strcmp(market->symbol, symbol) == 0) {
            return market;
        }
    }
    return NULL;
}

void api_market_state_read(struct api_market *market, struct api_market_state *out)
{
    TPW_ASSERT(pthread_mutex_lock(&market->lock) == 0);
    *out = market->state;
    TPW_ASSERT(pthread_mutex_unlock(&market->lock) == 0);
}

static void top_of(const struct market_book *book, struct api_market_top *out)
{
    memset(out, 0, sizeof *out);
    for (size_t side = 0; book != NULL && side < MARKET_SIDES_COUNT; side++) {
        out->levels_count[side] = market_book_levels_count(book, (enum market_side)side);
        (void)market_book_level(book, (enum market_side)side, 0, &out->best[side]);
    }
}

static bool top_same(const struct api_market_top *a, const struct api_market_top *b)
{
    return memcmp(a->best, b->best, sizeof a->best) == 0;
}

/* The readers' copy (the caller holds the lock); a NULL book empties it. */
static void book_copy(struct api_market *market, const struct market_book *book, uint64_t update_id)
{
    for (size_t side = 0; side < MARKET_SIDES_COUNT; side++) {
        struct market_book_side *to = &market->book.sides[side];
        size_t count = book != NULL ? book->sides[side].levels_count : 0;
        TPW_ASSERT(count <= to->levels_max);
        if (count > 0) {
            memcpy(to->levels, book->sides[side].levels, count * sizeof to->levels[0]);
        }
        to->levels_count = count;
    }
    market->book.price_exponent = book != NULL ? book->price_exponent : 0;
    market->book.qty_exponent = book != NULL ? book->qty_exponent : 0;
    market->book_update_id = update_id;
}

/* How the instrument is priced now (the caller holds the lock): every poll. */
static void status_set(struct api_market_state *state, const struct market_watch_instrument *live)
{
    state->gaps_count = live->book.gaps_count;
    state->source = live->active;
    state->status = live->status;
    state->synced = live->synced;
}

/* What the copy holds (the caller holds the lock): with each copy, so that /v1/markets
 * and the book's levels are always the same book. failovers_count is the events'. */
static void content_set(struct api_market_state *state, const struct market_watch_instrument *live,
                        const struct api_market_top *top, uint64_t wall_ns)
{
    const struct market_book *book = live->book.book;
    state->top = *top;
    state->last_update_id = live->book.last_update_id;
    state->changed_ns = wall_ns;
    state->price_exponent = book != NULL ? book->price_exponent : 0;
    state->qty_exponent = book != NULL ? book->qty_exponent : 0;
    state->has_book = book != NULL;
}

void api_market_top_add(json_t *object, const struct api_market_top *top, unsigned price_exponent,
                        unsigned qty_exponent)
{
    static const char *const names[MARKET_SIDES_COUNT][2] = {{"best_bid", "best_bid_qty"},
                                                             {"best_ask", "best_ask_qty"}};
    for (size_t side = 0; side < MARKET_SIDES_COUNT; side++) {
        bool empty = top->levels_count[side] == 0;
        (void)json_object_set_new(
            object, names[side][0],
            empty ? json_null()
                  : api_market_decimal_json(top->best[side].price_minor, price_exponent));
        (void)json_object_set_new(
            object, names[side][1],
            empty ? json_null() : api_market_decimal_json(top->best[side].qty_minor, qty_exponent));
    }
}

json_t *api_market_decimal_json(uint64_t minor, unsigned exponent)
{
    char text[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_decimal_format(minor, exponent, text, sizeof text);
    return json_string(text);
}

/* The top moved: a market.quote signal, at most one per quote_interval_ns. A move
 * within the interval waits for its end (the next polls look again), so the last
 * state is always sent: signals coalesce, they are never lost. */
static void quote_signal(struct markets_watch *watch, struct api_market *market,
                         const struct market_watch_instrument *live,
                         const struct api_market_top *top, const struct markets_now *now)
{
    const struct market_book *book = live->book.book;
    if (watch->quote_interval_ns == 0 || !live->synced || book == NULL ||
        top_same(&market->quoted_top, top) ||
        now->mono_ns - market->quoted_mono_ns < watch->quote_interval_ns) {
        return;
    }
    json_t *data = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "venue", market->venue, "symbol", market->symbol,
        "base", market->base, "quote", market->quote, "source", market_source_name(live->active),
        "status", market_price_status_name(live->status), "update_id",
        (json_int_t)live->book.last_update_id, "timestamp", (json_int_t)now->wall_ns);
    if (data != NULL) {
        api_market_top_add(data, top, book->price_exponent, book->qty_exponent);
    }
    api_signals_publish(watch->markets->signals, "market.quote", data, false);
    market->quoted_top = *top;
    market->quoted_mono_ns = now->mono_ns;
}

/* A live, synced book's top as the venue's FX quote: when it moved (at most every
 * API_MARKETS_FX_MOVE_NS) and every API_MARKETS_FX_REFRESH_NS while it holds still.
 * A delayed or restricted book feeds nothing, so its last live quote ages out through
 * the provider's TTL and grace: prices from a backup, or from nowhere, never look fresh. */
static void fx_feed(struct markets_watch *watch, struct api_market *market,
                    const struct market_watch_instrument *live, const struct api_market_top *top,
                    const struct markets_now *now)
{
    if (live->status != MARKET_PRICE_LIVE || !live->synced || live->book.book == NULL ||
        top->levels_count[MARKET_BID] == 0 || top->levels_count[MARKET_ASK] == 0) {
        return;
    }
    uint64_t wait_ns =
        top_same(&market->fed_top, top) ? API_MARKETS_FX_REFRESH_NS : API_MARKETS_FX_MOVE_NS;
    if (now->mono_ns - market->fed_mono_ns < wait_ns) {
        return;
    }
    struct fx_ticker ticker = {.bid_minor = top->best[MARKET_BID].price_minor,
                               .ask_minor = top->best[MARKET_ASK].price_minor,
                               .price_exponent = live->book.book->price_exponent,
                               .time_ns = now->wall_ns};
    memcpy(ticker.base, market->base, sizeof ticker.base);
    memcpy(ticker.quote, market->quote, sizeof ticker.quote);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err =
        api_rates_ticker_update(watch->markets->rates, watch->provider_id, &ticker, &detail);
    market->fed_top = *top;
    market->fed_mono_ns = now->mono_ns;
    if (err != market->fed_err) { /* a refusal is logged once, not every second */
        TPW_LOGF(err != TPW_OK ? TPW_LOG_WARN : TPW_LOG_INFO,
                 err != TPW_OK ? "market.fx_refused" : "market.fx_accepted",
                 TPW_LOG_STR("venue", market->venue), TPW_LOG_STR("symbol", market->symbol),
                 TPW_LOG_STR("error", tpw_err_api_code(err)),
                 TPW_LOG_STR("message", err != TPW_OK ? detail.message : ""));
        market->fed_err = err;
    }
}

/* After a poll: one instrument's state, copy, signal and quote. A new book (the other
 * source's, or a resync's snapshot) is copied at once; changes within a book wait for
 * the copy interval, and the copy then takes the book as it is. */
static void instrument_poll(struct markets_watch *watch, size_t index,
                            const struct markets_now *now)
{
    struct market_watch_instrument live;
    market_watch_instrument(watch->watch, index, &live);
    struct api_market *market = &watch->instruments[index];
    const struct market_book *book = live.book.book;
    struct api_market_top top;
    top_of(book, &top);
    bool swapped =
        book != market->seen_book || live.book.snapshots_count != market->seen_snapshots_count;
    market->copy_pending =
        market->copy_pending || swapped || live.book.applied_count != market->seen_applied_count;
    market->seen_book = book;
    market->seen_snapshots_count = live.book.snapshots_count;
    market->seen_applied_count = live.book.applied_count;
    bool copy = market->copy_pending &&
                (swapped || now->mono_ns - market->copied_mono_ns >= API_MARKETS_BOOK_COPY_NS);
    TPW_ASSERT(pthread_mutex_lock(&market->lock) == 0);
    status_set(&market->state, &live);
    if (copy) {
        book_copy(market, book, live.book.last_update_id);
        content_set(&market->state, &live, &top, now->wall_ns);
    }
    TPW_ASSERT(pthread_mutex_unlock(&market->lock) == 0);
    if (copy) {
        market->copy_pending = false;
        market->copied_mono_ns = now->mono_ns;
    }
    quote_signal(watch, market, &live, &top, now);
    fx_feed(watch, market, &live, &top, now);
}

/* The watch's failovers, from inside its poll: the market.failover signal (an alert on
 * GET /v1/alerts too). The watch itself logs them (market.failover lines). */
static void on_watch_event(void *user, const struct market_watch_event *event)
{
    struct markets_watch *watch = user;
    if (event->kind != MARKET_WATCH_FAILOVER) {
        return;
    }
    TPW_ASSERT(event->symbol_index < watch->instruments_count);
    struct api_market *market = &watch->instruments[event->symbol_index];
    const struct market_failover_event *change = &event->failover;
    const char *status_to = market_price_status_name(change->status_to);
    const char *to = market_source_name(change->to);
    const char *reason = market_failover_reason_name(change->reason);
    char message[160];
    (void)snprintf(message, sizeof message, "%s %s: prices %s, from the %s (%s)", market->venue,
                   market->symbol, status_to, to, reason);
    struct tpw_clock wall = tpw_clock_system();
    json_t *data =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "venue", market->venue, "symbol",
                  market->symbol, "base", market->base, "quote", market->quote, "from",
                  market_source_name(change->from), "to", to, "status_from",
                  market_price_status_name(change->status_from), "status_to", status_to, "reason",
                  reason, "message", message, "timestamp", (json_int_t)tpw_clock_now_ns(&wall));
    api_signals_publish(watch->markets->signals, "market.failover", data, false);
    TPW_ASSERT(pthread_mutex_lock(&market->lock) == 0);
    market->state.failovers_count++;
    TPW_ASSERT(pthread_mutex_unlock(&market->lock) == 0);
}

/* A monitor's alert, from inside the watch's poll: the market.alert signal (an alert
 * on GET /v1/alerts too, of the rule's severity) and a market.alert log line. Its
 * times are the watch's clock: dated by when the watch was created. */
static void on_alert(void *user, const struct market_alert *alert)
{
    struct markets_watch *watch = user;
    struct market_observation observation = *alert->observation;
    observation.timestamp_us += (int64_t)(watch->created_wall_ns / 1000u);
    struct market_alert dated = *alert;
    dated.observation = &observation;
    char text[MARKET_ALERT_JSON_SIZE];
    json_t *data =
        market_alert_format_json(&dated, text, sizeof text) > 0 ? json_loads(text, 0, NULL) : NULL;
    if (data != NULL) {
        char message[160];
        (void)snprintf(message, sizeof message, "%s%s%s: %s %s (rule %s)", observation.venue,
                       observation.symbol[0] != '\0' ? " " : "", observation.symbol,
                       market_metric_name(observation.metric),
                       json_string_value(json_object_get(data, "condition")), alert->rule->name);
        (void)json_object_set_new(data, "message", json_string(message));
        (void)json_object_del(data, "type");
        api_signals_publish(watch->markets->signals, "market.alert", data, false);
    }
    static const enum tpw_log_level levels[] = {
        [MARKET_ALERT_INFO] = TPW_LOG_INFO,
        [MARKET_ALERT_WARNING] = TPW_LOG_WARN,
        [MARKET_ALERT_CRITICAL] = TPW_LOG_ERROR,
    };
    TPW_ASSERT((size_t)alert->rule->severity < sizeof levels / sizeof levels[0]);
    TPW_LOGF(levels[alert->rule->severity], "market.alert", TPW_LOG_STR("rule", alert->rule->name),
             TPW_LOG_STR("venue", observation.venue), TPW_LOG_STR("symbol", observation.symbol),
             TPW_LOG_STR("key", alert->key), TPW_LOG_U64("suppressed", alert->suppressed_count));
}

static void *watch_main(void *arg)
{
    struct markets_watch *watch = arg;
    struct tpw_clock wall = tpw_clock_system();
    /* Bounded work per round: one poll (at most ~10 ms of waiting, then what arrived),
     * then at most 16 instruments; the stop flag is seen within a round. */
    while (!atomic_load(&watch->markets->stop)) {
        int64_t watch_us = 0;
        market_watch_poll(watch->watch, &watch_us);
        if (watch->monitor != NULL) {
            market_monitor_advance(watch->monitor, watch_us); /* a silent feed is measured */
        }
        struct markets_now now = {tpw_clock_monotonic_ns(), tpw_clock_now_ns(&wall)};
        for (size_t i = 0; i < watch->instruments_count; i++) {
            instrument_poll(watch, i, &now);
        }
    }
    return NULL;
}

/* "BINANCE_US" → "binance_us": the venue's FX provider, one for all its watches. */
static enum tpw_err provider_of(struct api_markets *markets, size_t watch_index,
                                struct tpw_error_detail *detail)
{
    const char *venue = markets->file.watches[watch_index].config.venue;
    for (size_t w = 0; w < watch_index; w++) {
        if (strcmp(markets->file.watches[w].config.venue, venue) == 0) {
            markets->watches[watch_index].provider_id = markets->watches[w].provider_id;
            return TPW_OK;
        }
    }
    struct fx_provider_config provider = {.ttl_ns = API_MARKETS_FX_TTL_NS,
                                          .grace_ns = API_MARKETS_FX_GRACE_NS,
                                          .priority = API_MARKETS_FX_PRIORITY};
    size_t length = strlen(venue);
    TPW_ASSERT(length < sizeof provider.name); /* markets_file.c checks */
    for (size_t i = 0; i < length; i++) {
        char c = venue[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        provider.name[i] = c;
    }
    return api_rates_ticker_provider(markets->rates, &provider,
                                     &markets->watches[watch_index].provider_id, detail);
}

static enum tpw_err instruments_init(struct api_markets *markets, size_t watch_index)
{
    const struct api_watch_spec *spec = &markets->file.watches[watch_index];
    struct markets_watch *watch = &markets->watches[watch_index];
    watch->instruments = &markets->instruments[markets->instruments_count];
    for (size_t s = 0; s < spec->config.symbols_count; s++) {
        struct api_market *market = &watch->instruments[s];
        TPW_ASSERT(markets->instruments_count < API_MARKETS_INSTRUMENTS_MAX);
        market->venue = spec->config.venue;
        market->symbol = spec->config.symbols[s];
        memcpy(market->base, spec->base[s], sizeof market->base);
        memcpy(market->quote, spec->quote[s], sizeof market->quote);
        market->state.status = MARKET_PRICE_RESTRICTED;
        enum tpw_err err = market_book_init(&market->book, market->venue, market->symbol, 0, 0,
                                            MARKET_BOOK_LEVELS_MAX);
        if (err != TPW_OK) {
            return err;
        }
        TPW_ASSERT(pthread_mutex_init(&market->lock, NULL) == 0);
        markets->instruments_count++;
        watch->instruments_count++;
    }
    return TPW_OK;
}

/* A watch the market module refuses: its [watch] line names it. What the file says
 * (the venue, a URL's scheme) is the file's fault; libwebsockets or libcurl failing to
 * start keeps its own error. */
static enum tpw_err watch_refused(enum tpw_err err, unsigned line, const char *why,
                                  struct tpw_error_detail *detail)
{
    bool file_fault = err == TPW_ERR_INVALID_ARGUMENT || err == TPW_ERR_MARKET_VENUE_UNKNOWN;
    tpw_error_set_param(detail, "markets");
    return tpw_error_set(detail, file_fault ? TPW_ERR_MARKETS_CONFIG_INVALID : err, line,
                         "markets file line %u ([watch]): %s", line, why);
}

/* The monitor of docs/market.md's defaults on the primary's feed only: the backup
 * carries the same trades, and observing both would count each twice. */
static enum tpw_err monitor_start(struct markets_watch *watch, const struct api_watch_spec *spec,
                                  struct tpw_error_detail *detail)
{
    struct market_monitor_config config;
    market_monitor_config_defaults(&config);
    enum tpw_err err = market_monitor_create(&config, &spec->alerts, on_alert, NULL, watch,
                                             &watch->monitor, detail);
    if (err == TPW_OK) {
        err = market_monitor_attach(watch->monitor,
                                    market_watch_source_feed(watch->watch, MARKET_SOURCE_PRIMARY));
    }
    return err;
}

static enum tpw_err watch_start(struct api_markets *markets, size_t watch_index,
                                struct tpw_error_detail *detail)
{
    const struct api_watch_spec *spec = &markets->file.watches[watch_index];
    struct markets_watch *watch = &markets->watches[watch_index];
    watch->markets = markets;
    watch->quote_interval_ns = spec->quotes_per_s != 0 ? 1000000000u / spec->quotes_per_s : 0;
    enum tpw_err err = provider_of(markets, watch_index, detail);
    if (err != TPW_OK) {
        return err; /* the aggregator's detail */
    }
    err = instruments_init(markets, watch_index);
    if (err != TPW_OK) {
        return tpw_error_set(detail, err, 0, "markets: %s", tpw_strerror(err));
    }
    struct tpw_error_detail why;
    tpw_error_detail_reset(&why);
    struct tpw_clock wall = tpw_clock_system();
    watch->created_wall_ns = tpw_clock_now_ns(&wall);
    err = market_watch_create(&spec->config, on_watch_event, watch, &watch->watch, &why);
    if (err == TPW_OK && spec->has_alerts) {
        err = monitor_start(watch, spec, &why);
    }
    return err == TPW_OK ? TPW_OK : watch_refused(err, spec->line, why.message, detail);
}

void api_markets_stop(struct api_markets *markets)
{
    if (markets == NULL) {
        return;
    }
    atomic_store(&markets->stop, true);
    for (size_t w = 0; w < markets->watches_count; w++) {
        if (markets->watches[w].thread_started) {
            TPW_ASSERT(pthread_join(markets->watches[w].thread, NULL) == 0);
        }
        market_monitor_destroy(markets->watches[w].monitor); /* before the feed it observes */
        market_watch_destroy(markets->watches[w].watch);
    }
    for (size_t i = 0; i < markets->instruments_count; i++) {
        market_book_deinit(&markets->instruments[i].book);
        (void)pthread_mutex_destroy(&markets->instruments[i].lock);
    }
    free(markets);
}

enum tpw_err api_markets_start(const char *path, struct api_rates *rates,
                               struct api_signals *signals, struct api_markets **out,
                               struct tpw_error_detail *detail)
{
    *out = NULL;
    if (path == NULL) {
        return TPW_OK;
    }
    struct api_markets *markets = calloc(1, sizeof *markets);
    if (markets == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the markets");
    }
    markets->rates = rates;
    markets->signals = signals;
    enum tpw_err err = api_markets_file_read(path, &markets->file, detail);
    /* Every watch is made before any thread starts: a refused one stops nothing half-way. */
    for (size_t w = 0; err == TPW_OK && w < markets->file.watches_count; w++) {
        markets->watches_count++;
        err = watch_start(markets, w, detail);
    }
    for (size_t w = 0; err == TPW_OK && w < markets->watches_count; w++) {
        struct markets_watch *watch = &markets->watches[w];
        if (pthread_create(&watch->thread, NULL, watch_main, watch) != 0) {
            err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "cannot start a market watch thread");
            break;
        }
        watch->thread_started = true;
        (void)pthread_setname_np(watch->thread, "tpw-market"); /* for top, perf, gdb */
    }
    if (err != TPW_OK) {
        api_markets_stop(markets);
        return err;
    }
    *out = markets;
    return TPW_OK;
}
