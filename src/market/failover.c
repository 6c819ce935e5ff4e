/*
 * Primary/backup failover for one instrument: which source prices it, and whether
 * that price is live, delayed or restricted.
 *
 * Why a pure state machine: failover decisions are the ones that must be explained
 * after the fact ("why were prices delayed at 14:02?"), so the machine takes every
 * input with its timestamp and no clock of its own, and emits one event per change;
 * a log of inputs replays to the same events. Health is judged per source from the
 * inputs alone — connected, heard from within stale_after_us, fewer than gaps_max gaps
 * in gap_window_us — and the primary is taken back only after hysteresis_us of
 * continuous health, so a flapping primary does not drag prices back and forth.
 */
#include <string.h>

#include "market_int.h"
#include "tpw_assert.h"

#include "banned.h"

static const char *const status_names[] = {
#define MARKET_X_NAME(name, json) json,
    MARKET_PRICE_STATUS_TABLE(MARKET_X_NAME)
#undef MARKET_X_NAME
};

static const char *const reason_names[] = {
#define MARKET_X_NAME(name, json) json,
    MARKET_FAILOVER_REASON_TABLE(MARKET_X_NAME)
#undef MARKET_X_NAME
};

const char *market_price_status_name(enum market_price_status status)
{
    size_t count = sizeof(status_names) / sizeof(status_names[0]);
    return (size_t)status < count ? status_names[status] : "unknown";
}

const char *market_failover_reason_name(enum market_failover_reason reason)
{
    size_t count = sizeof(reason_names) / sizeof(reason_names[0]);
    return (size_t)reason < count ? reason_names[reason] : "unknown";
}

const char *market_source_name(enum market_source source)
{
    switch (source) {
    case MARKET_SOURCE_PRIMARY:
        return "primary";
    case MARKET_SOURCE_BACKUP:
        return "backup";
    }
    return "unknown";
}

enum tpw_err market_failover_init(struct market_failover *failover,
                                  const struct market_failover_config *config, int64_t start_us)
{
    if (config->stale_after_us <= 0 || config->gaps_max == 0 || config->gap_window_us <= 0 ||
        config->hysteresis_us < 0) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    memset(failover, 0, sizeof(*failover));
    failover->config = *config;
    failover->active = MARKET_SOURCE_PRIMARY;
    failover->status = MARKET_PRICE_RESTRICTED;
    failover->now_us = start_us;
    for (size_t source = 0; source < MARKET_SOURCES_COUNT; source++) {
        failover->sources[source].connected = true;
    }
    return TPW_OK;
}

/* Why `source` is unhealthy at `now_us`, or NONE. */
static enum market_failover_reason source_reason(const struct market_failover_config *config,
                                                 const struct market_failover_source *source,
                                                 int64_t now_us)
{
    if (!source->connected) {
        return MARKET_FAILOVER_REASON_DISCONNECT;
    }
    if (!source->has_message) {
        return MARKET_FAILOVER_REASON_NO_DATA;
    }
    if (now_us - source->last_message_us > config->stale_after_us) {
        return MARKET_FAILOVER_REASON_STALE;
    }
    if (source->gaps_count >= config->gaps_max &&
        now_us - source->gap_window_start_us <= config->gap_window_us) {
        return MARKET_FAILOVER_REASON_GAPS;
    }
    return MARKET_FAILOVER_REASON_NONE;
}

/* Records one input on its source. */
static void source_apply(const struct market_failover_config *config,
                         struct market_failover_source *source,
                         const struct market_failover_input *input)
{
    int64_t now_us = input->timestamp_us;
    switch (input->kind) {
    case MARKET_FAILOVER_MESSAGE:
        /* A silence longer than the threshold broke the health streak even if no tick
         * came during it to notice: the streak restarts now. */
        if (source->has_message && now_us - source->last_message_us > config->stale_after_us) {
            source->healthy = false;
        }
        source->connected = true;
        source->has_message = true;
        source->last_message_us = now_us;
        break;
    case MARKET_FAILOVER_GAP:
        if (source->gaps_count == 0 ||
            now_us - source->gap_window_start_us > config->gap_window_us) {
            source->gaps_count = 0;
            source->gap_window_start_us = now_us;
        }
        source->gaps_count++;
        break;
    case MARKET_FAILOVER_DISCONNECT:
        source->connected = false;
        source->has_message = false;
        break;
    case MARKET_FAILOVER_TICK:
        break;
    }
}

/* The source and status the machine should be in now, and why. */
struct decision {
    enum market_source active;
    enum market_price_status status;
    enum market_failover_reason reason;
};

static struct decision decide(const struct market_failover *failover,
                              const enum market_failover_reason reasons[MARKET_SOURCES_COUNT])
{
    enum market_failover_reason primary = reasons[MARKET_SOURCE_PRIMARY];
    enum market_failover_reason backup = reasons[MARKET_SOURCE_BACKUP];
    const struct market_failover_source *primary_state = &failover->sources[MARKET_SOURCE_PRIMARY];
    bool primary_ok = primary == MARKET_FAILOVER_REASON_NONE;
    bool backup_ok = backup == MARKET_FAILOVER_REASON_NONE;
    if (failover->active == MARKET_SOURCE_PRIMARY) {
        if (primary_ok) {
            return (struct decision){MARKET_SOURCE_PRIMARY, MARKET_PRICE_LIVE,
                                     MARKET_FAILOVER_REASON_RECOVERED};
        }
        return backup_ok
                   ? (struct decision){MARKET_SOURCE_BACKUP, MARKET_PRICE_DELAYED, primary}
                   : (struct decision){MARKET_SOURCE_PRIMARY, MARKET_PRICE_RESTRICTED, primary};
    }
    bool proven = primary_ok && failover->now_us - primary_state->healthy_since_us >=
                                    failover->config.hysteresis_us;
    if (proven) {
        return (struct decision){MARKET_SOURCE_PRIMARY, MARKET_PRICE_LIVE,
                                 MARKET_FAILOVER_REASON_RECOVERED};
    }
    if (backup_ok) {
        return (struct decision){MARKET_SOURCE_BACKUP, MARKET_PRICE_DELAYED,
                                 MARKET_FAILOVER_REASON_RECOVERED};
    }
    if (primary_ok) {
        return (struct decision){MARKET_SOURCE_PRIMARY, MARKET_PRICE_LIVE,
                                 MARKET_FAILOVER_REASON_BACKUP_FAILED};
    }
    return (struct decision){MARKET_SOURCE_BACKUP, MARKET_PRICE_RESTRICTED, backup};
}

static bool input_valid(const struct market_failover *failover,
                        const struct market_failover_input *input)
{
    bool kind_ok = input->kind == MARKET_FAILOVER_MESSAGE || input->kind == MARKET_FAILOVER_GAP ||
                   input->kind == MARKET_FAILOVER_DISCONNECT || input->kind == MARKET_FAILOVER_TICK;
    bool source_ok = input->kind == MARKET_FAILOVER_TICK ||
                     input->source == MARKET_SOURCE_PRIMARY ||
                     input->source == MARKET_SOURCE_BACKUP;
    return kind_ok && source_ok && input->timestamp_us >= failover->now_us;
}

enum tpw_err market_failover_step(struct market_failover *failover,
                                  const struct market_failover_input *input,
                                  struct market_failover_event *event, bool *changed)
{
    if (!input_valid(failover, input)) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    failover->now_us = input->timestamp_us;
    if (input->kind != MARKET_FAILOVER_TICK) {
        source_apply(&failover->config, &failover->sources[input->source], input);
    }
    enum market_failover_reason reasons[MARKET_SOURCES_COUNT];
    for (size_t index = 0; index < MARKET_SOURCES_COUNT; index++) {
        struct market_failover_source *source = &failover->sources[index];
        reasons[index] = source_reason(&failover->config, source, failover->now_us);
        bool healthy = reasons[index] == MARKET_FAILOVER_REASON_NONE;
        if (healthy && !source->healthy) {
            source->healthy_since_us = failover->now_us;
        }
        source->healthy = healthy;
    }
    struct decision next = decide(failover, reasons);
    *changed = next.active != failover->active || next.status != failover->status;
    if (*changed) {
        *event = (struct market_failover_event){failover->now_us, failover->active, next.active,
                                                failover->status, next.status,      next.reason};
        failover->switches_count += next.active != failover->active ? 1u : 0u;
        failover->active = next.active;
        failover->status = next.status;
    }
    TPW_ASSERT(failover->status != MARKET_PRICE_LIVE || failover->active == MARKET_SOURCE_PRIMARY);
    return TPW_OK;
}
