/*
 * The market monitor: observes feeds (market_feed_observe) and turns their messages
 * into measures over fixed intervals, windowed trade statistics, z-scores, realised
 * volatility and stale-feed and stale-ticker checks, which it hands to the alert rules.
 *
 * Time is the feeds' own receive time, per feed: each stream message moves its feed's
 * clock, and crossing an interval boundary closes that interval for every instrument of
 * the feed before the message is looked at — so a silence is measured (empty intervals,
 * a growing feed age) when the next message or market_monitor_advance() arrives, and a
 * replay gives the same alerts as the live run it recorded. Snapshots do not move the
 * clock: a REST answer may be applied out of the stream's order (the replay loads them
 * first). See docs/market.md, "Anomaly detection".
 */
#include <stdlib.h>
#include <string.h>

#include "monitor.h"
#include "tpw_assert.h"

#include "banned.h"

void market_monitor_config_defaults(struct market_monitor_config *config)
{
    memset(config, 0, sizeof(*config));
    config->interval_us = 1000000;
    config->windows[0] = (struct market_trade_window_config){1000000, 10};
    config->windows[1] = (struct market_trade_window_config){10000000, 10};
    config->windows[2] = (struct market_trade_window_config){60000000, 60};
    config->windows_count = 3;
    config->ewma_alpha_ppm = 100000;
    config->warmup_count = 30;
    config->vol_lambda_ppm = 940000;
    config->catchup_max = 3600;
    config->vol_source = MARKET_VOL_MID;
    /* One trade; one base unit of flow and of OFI; a tenth of a bp of spread and of mid. */
    const uint64_t floors_e6[MARKET_METRICS_SCORED_COUNT] = {1000000, 1000000, 1000000, 100000,
                                                             100000};
    (void)memcpy(config->min_stddev_e6, floors_e6, sizeof(floors_e6));
}

static bool config_valid(const struct market_monitor_config *config)
{
    bool valid = config->interval_us > 0 && config->windows_count >= 1 &&
                 config->windows_count <= MARKET_TRADE_WINDOWS_MAX && config->ewma_alpha_ppm >= 1 &&
                 config->ewma_alpha_ppm <= 1000000 && config->warmup_count >= 1 &&
                 config->vol_lambda_ppm >= 1 && config->vol_lambda_ppm <= 999999 &&
                 config->catchup_max >= 1 &&
                 (config->vol_source == MARKET_VOL_MID || config->vol_source == MARKET_VOL_TRADE);
    for (size_t index = 0; valid && index < MARKET_METRICS_SCORED_COUNT; index++) {
        valid = config->min_stddev_e6[index] >= 1;
    }
    return valid;
}

/* Every window rule names a window the monitor keeps. */
static enum tpw_err rules_check(const struct market_monitor_config *config,
                                const struct market_alert_rules *rules,
                                struct tpw_error_detail *detail)
{
    for (size_t index = 0; index < rules->rules_count; index++) {
        const struct market_alert_rule *rule = &rules->rules[index];
        bool kept = rule->window_us == 0;
        for (size_t window = 0; !kept && window < config->windows_count; window++) {
            kept = config->windows[window].window_us == rule->window_us;
        }
        if (!kept) {
            return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, rule->line_number,
                                 "line %u: rule '%s' names a window the monitor does not keep",
                                 (unsigned)rule->line_number, rule->name);
        }
    }
    return TPW_OK;
}

enum tpw_err market_monitor_create(const struct market_monitor_config *config,
                                   const struct market_alert_rules *rules,
                                   market_alert_fn *on_alert, market_observation_fn *on_observation,
                                   void *user, market_monitor **out,
                                   struct tpw_error_detail *detail)
{
    if (!config_valid(config) || (rules != NULL && on_alert == NULL)) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "invalid monitor settings");
    }
    enum tpw_err err = rules != NULL ? rules_check(config, rules, detail) : TPW_OK;
    if (err != TPW_OK) {
        return err;
    }
    struct market_monitor *monitor = calloc(1, sizeof(*monitor));
    if (monitor == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    monitor->config = *config;
    monitor->on_observation = on_observation;
    monitor->user = user;
    if (rules != NULL) {
        err = market_alerter_create(rules, on_alert, user, &monitor->alerter);
    }
    if (err != TPW_OK) {
        free(monitor);
        return tpw_error_set(detail, err, 0, "%s", tpw_strerror(err));
    }
    *out = monitor;
    return TPW_OK;
}

void market_monitor_destroy(market_monitor *monitor)
{
    if (monitor == NULL) {
        return;
    }
    for (size_t index = 0; index < monitor->instruments_count; index++) {
        market_trade_stats_deinit(&monitor->instruments[index]->stats);
        free(monitor->instruments[index]);
    }
    market_alerter_destroy(monitor->alerter);
    free(monitor);
}

void market__monitor_observe(struct market_monitor *monitor,
                             const struct market_observation *observation)
{
    if (monitor->alerter != NULL) {
        market_alerter_observe(monitor->alerter, observation);
    }
    if (monitor->on_observation != NULL) {
        monitor->on_observation(monitor->user, observation);
    }
}

/* The book's index in its feed (books are only ever appended, so it stays). */
static size_t book_index_of(market_feed *feed, const struct market_book *book)
{
    for (size_t index = 0; index < market_feed_books_count(feed); index++) {
        struct market_book_status status;
        market_feed_book_status(feed, index, &status);
        if (status.book == book) {
            return index;
        }
    }
    TPW_ASSERT(!"an event's book is one of its feed's");
    return 0;
}

/* The instrument of `book`, created on its first event; NULL beyond the bound. */
static struct market__instrument *instrument_of(struct market__watched_feed *watched,
                                                const struct market_book *book)
{
    struct market_monitor *monitor = watched->monitor;
    for (size_t index = 0; index < monitor->instruments_count; index++) {
        if (monitor->instruments[index]->book == book) {
            return monitor->instruments[index];
        }
    }
    struct market__instrument *instrument = NULL;
    if (monitor->instruments_count < MARKET_MONITOR_INSTRUMENTS_MAX) {
        instrument = calloc(1, sizeof(*instrument));
    }
    if (instrument == NULL ||
        market_trade_stats_init(&instrument->stats, monitor->config.windows,
                                monitor->config.windows_count, book->price_exponent,
                                book->qty_exponent) != TPW_OK) {
        free(instrument);
        monitor->stats.instruments_refused_count++;
        return NULL;
    }
    enum tpw_err err = market__instrument_detectors_init(instrument, &monitor->config);
    TPW_ASSERT(err == TPW_OK); /* the config was checked at create */
    instrument->watched = watched;
    instrument->book = book;
    instrument->book_index = book_index_of(watched->feed, book);
    market__top_read(book, &instrument->top);
    monitor->instruments[monitor->instruments_count++] = instrument;
    return instrument;
}

/* The feed's age at each interval end: one observation for the venue. */
static void feed_age(struct market__watched_feed *watched, int64_t end_us)
{
    struct market_feed_status status;
    market_feed_status(watched->feed, &status);
    int64_t age_us = end_us - watched->last_message_us;
    struct market_observation observation = {
        .metric = MARKET_METRIC_FEED_AGE_MS,
        .timestamp_us = end_us,
        .venue = status.venue,
        .symbol = "",
        .value = market__decimal_of_i128(age_us, 3), /* ms with µs as the fraction */
    };
    market__monitor_observe(watched->monitor, &observation);
}

/* Closes the intervals of `watched` that end at or before `now_us`. */
static void feed_advance(struct market__watched_feed *watched, int64_t now_us)
{
    struct market_monitor *monitor = watched->monitor;
    int64_t interval_us = monitor->config.interval_us;
    int64_t target = now_us / interval_us - (now_us % interval_us < 0 ? 1 : 0);
    if (!watched->started || target <= watched->interval_number) {
        return;
    }
    int64_t pending = target - watched->interval_number;
    if (pending > (int64_t)monitor->config.catchup_max) {
        /* A long silence: the oldest intervals are not scored one by one. */
        monitor->stats.intervals_skipped_count += (uint64_t)(pending - monitor->config.catchup_max);
        watched->interval_number = target - (int64_t)monitor->config.catchup_max;
    }
    for (; watched->interval_number < target; watched->interval_number++) {
        int64_t end_us = (watched->interval_number + 1) * interval_us;
        for (size_t index = 0; index < monitor->instruments_count; index++) {
            if (monitor->instruments[index]->watched == watched) {
                market__instrument_close(monitor, monitor->instruments[index], end_us);
            }
        }
        feed_age(watched, end_us);
        monitor->stats.intervals_closed_count++;
    }
}

/* A stream message arrived: the feed's clock moves (intervals close) before it is read. */
static void message_arrived(struct market__watched_feed *watched, int64_t received_us)
{
    if (watched->started && received_us < watched->now_us) {
        watched->monitor->stats.late_events_count++;
        return; /* taken as now: the clock never goes back */
    }
    if (!watched->started) {
        int64_t interval_us = watched->monitor->config.interval_us;
        watched->interval_number =
            received_us / interval_us - (received_us % interval_us < 0 ? 1 : 0);
        watched->started = true;
    }
    feed_advance(watched, received_us);
    watched->now_us = received_us;
    watched->last_message_us = received_us;
}

static void trade_seen(struct market__instrument *instrument, const struct market_trade *trade,
                       int64_t now_us)
{
    enum tpw_err err = market_trade_stats_add(&instrument->stats, now_us, trade->aggressor,
                                              trade->price_minor, trade->qty_minor);
    if (err != TPW_OK) {
        return; /* a window's sum would pass 2^128: the trade is left out of the windows */
    }
    instrument->trades_count++;
    instrument->interval_trades_count++;
    market__i128 qty = (market__i128)trade->qty_minor;
    (void)market__i128_add(&instrument->interval_flow_minor,
                           trade->aggressor == MARKET_TAKER_BUY ? qty : -qty);
    instrument->interval_last_price_minor = trade->price_minor;
    instrument->interval_has_price = true;
    instrument->last_price_minor = trade->price_minor;
    instrument->has_last_price = true;
}

static void book_changed(struct market__instrument *instrument, bool snapshot)
{
    struct market__top top;
    market__top_read(instrument->book, &top);
    if (!snapshot && top.valid && instrument->top.valid) {
        (void)market__i128_add(&instrument->interval_ofi_minor,
                               market__ofi_step(&instrument->top, &top));
    }
    instrument->top = top; /* a snapshot starts the changes afresh */
}

static void ticker_stale(struct market__watched_feed *watched,
                         const struct market_feed_event *event)
{
    struct market_feed_status status;
    market_feed_status(watched->feed, &status);
    TPW_ASSERT(event->book_update_id > event->update_id);
    struct market_observation observation = {
        .metric = MARKET_METRIC_TICKER_LAG,
        .timestamp_us = watched->now_us,
        .venue = status.venue,
        .symbol = event->book->symbol,
        .value = {(tpw_u128)(event->book_update_id - event->update_id), 0, false},
    };
    market__monitor_observe(watched->monitor, &observation);
}

/* The feed observer. */
static void feed_event(void *user, const struct market_feed_event *event)
{
    struct market__watched_feed *watched = user;
    if (event->kind == MARKET_FEED_EVENT_MESSAGE) {
        message_arrived(watched, event->received_us);
        return;
    }
    struct market__instrument *instrument = instrument_of(watched, event->book);
    if (instrument == NULL) {
        return;
    }
    switch (event->kind) {
    case MARKET_FEED_EVENT_TRADE:
        trade_seen(instrument, event->trade, watched->now_us);
        break;
    case MARKET_FEED_EVENT_BOOK:
        book_changed(instrument, event->snapshot);
        break;
    case MARKET_FEED_EVENT_TICKER_STALE:
        ticker_stale(watched, event);
        break;
    case MARKET_FEED_EVENT_MESSAGE:
        break;
    }
}

enum tpw_err market_monitor_attach(market_monitor *monitor, market_feed *feed)
{
    if (monitor->feeds_count == MARKET_MONITOR_FEEDS_MAX) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    for (size_t index = 0; index < monitor->feeds_count; index++) {
        if (monitor->feeds[index].feed == feed) {
            return TPW_ERR_INVALID_ARGUMENT; /* twice would count every trade twice */
        }
    }
    struct market__watched_feed *watched = &monitor->feeds[monitor->feeds_count];
    memset(watched, 0, sizeof(*watched));
    watched->monitor = monitor;
    watched->feed = feed;
    enum tpw_err err = market_feed_observe(feed, feed_event, watched);
    if (err == TPW_OK) {
        monitor->feeds_count++;
    }
    return err;
}

void market_monitor_advance(market_monitor *monitor, int64_t now_us)
{
    for (size_t index = 0; index < monitor->feeds_count; index++) {
        struct market__watched_feed *watched = &monitor->feeds[index];
        if (watched->started && now_us > watched->now_us) {
            feed_advance(watched, now_us);
            watched->now_us = now_us;
        }
    }
}

size_t market_monitor_instruments_count(const market_monitor *monitor)
{
    return monitor->instruments_count;
}

void market_monitor_stats(const market_monitor *monitor, struct market_monitor_stats *out)
{
    *out = monitor->stats;
    memset(&out->alerts, 0, sizeof(out->alerts));
    if (monitor->alerter != NULL) {
        market_alerter_stats(monitor->alerter, &out->alerts);
    }
}
