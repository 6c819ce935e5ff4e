/*
 * The alerter: every observation tested against every rule (metric, window, instrument
 * globs, condition — exact decimal comparisons), and each trigger passed through its
 * de-duplication key's cool-down before it becomes an alert for the callback.
 *
 * A key is the rule's chosen fields joined by ':' ("burst:BINANCE_US:OMGBUSD"), so
 * triggers that mean the same thing — the same rule on the same instrument, or, with
 * `dedup=venue`, any rule on any symbol of a venue — share one cool-down: after a key
 * fires, its triggers are suppressed until the triggering rule's cool-down has passed,
 * and a second trigger at the very same microsecond is always a duplicate. Suppressed
 * triggers are counted and reported with the key's next alert. No clock is read: time
 * is the observations' own, so a replay gives the same alerts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "market_int.h"
#include "tpw_assert.h"
#include "tpwallet/clock.h"

#include "banned.h"

static const struct {
    const char *name;
    enum market_metric_kind kind;
} metrics[] = {
#define MARKET_X_METRIC(name, json, kind) {json, MARKET_METRIC_KIND_##kind},
    MARKET_METRIC_TABLE(MARKET_X_METRIC)
#undef MARKET_X_METRIC
};
_Static_assert(sizeof(metrics) / sizeof(metrics[0]) == MARKET_METRICS_COUNT, "one row each");

const char *market_metric_name(enum market_metric metric)
{
    return (unsigned)metric < MARKET_METRICS_COUNT ? metrics[metric].name : "unknown";
}

enum market_metric_kind market_metric_kind_of(enum market_metric metric)
{
    TPW_ASSERT((unsigned)metric < MARKET_METRICS_COUNT);
    return metrics[metric].kind;
}

/* The cool-down state of one de-duplication key. */
struct key_state {
    char key[MARKET_ALERT_KEY_SIZE];
    int64_t last_fired_us;
    uint64_t suppressed_count; /* since it last fired */
};

struct market_alerter {
    struct market_alert_rules rules;
    market_alert_fn *on_alert;
    void *user;
    struct key_state *keys; /* MARKET_ALERT_KEYS_MAX, allocated once */
    size_t keys_count;
    uint64_t sequence;
    struct market_alerter_stats stats;
};

enum tpw_err market_alerter_create(const struct market_alert_rules *rules,
                                   market_alert_fn *on_alert, void *user, market_alerter **out)
{
    if (on_alert == NULL || rules->rules_count > MARKET_ALERT_RULES_MAX) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    struct market_alerter *alerter = calloc(1, sizeof(*alerter));
    if (alerter != NULL) {
        alerter->keys = calloc(MARKET_ALERT_KEYS_MAX, sizeof(alerter->keys[0]));
    }
    if (alerter == NULL || alerter->keys == NULL) {
        free(alerter);
        return TPW_ERR_NOMEM;
    }
    alerter->rules = *rules;
    alerter->on_alert = on_alert;
    alerter->user = user;
    *out = alerter;
    return TPW_OK;
}

void market_alerter_destroy(market_alerter *alerter)
{
    if (alerter != NULL) {
        free(alerter->keys);
        free(alerter);
    }
}

/* `*` any run, `?` one byte, anything else itself (the text is NUL-terminated). */
static bool glob_match(const char *pattern, const char *text)
{
    const char *star = NULL;
    const char *resume = NULL;
    while (*text != '\0') {
        if (*pattern == '*') {
            star = pattern++;
            resume = text;
        } else if (*pattern == '?' || *pattern == *text) {
            pattern++;
            text++;
        } else if (star != NULL) {
            pattern = star + 1; /* let the last star take one more byte */
            text = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*') {
        pattern++;
    }
    return *pattern == '\0';
}

/* −1, 0, 1 as a < b, a = b, a > b, exactly: magnitudes brought to one exponent. */
static int decimal_compare(const struct market_decimal *a, const struct market_decimal *b)
{
    if (a->negative != b->negative) {
        return a->negative ? -1 : 1;
    }
    tpw_u128 a_units = a->units;
    tpw_u128 b_units = b->units;
    bool a_larger = false; /* set when scaling overflowed: that magnitude is the larger */
    bool b_larger = false;
    if (a->exponent < b->exponent) {
        a_larger =
            __builtin_mul_overflow(a_units, tpw_u128_pow10(b->exponent - a->exponent), &a_units);
    } else if (b->exponent < a->exponent) {
        b_larger =
            __builtin_mul_overflow(b_units, tpw_u128_pow10(a->exponent - b->exponent), &b_units);
    }
    int magnitude = a_larger ? 1 : b_larger ? -1 : a_units < b_units ? -1 : a_units > b_units;
    return a->negative ? -magnitude : magnitude;
}

/* True when the observation meets the rule's condition. */
static bool condition_met(const struct market_alert_rule *rule,
                          const struct market_observation *observation)
{
    bool z = rule->operand == MARKET_ALERT_Z || rule->operand == MARKET_ALERT_ABS_Z;
    if (z && !observation->has_z) {
        return false; /* the detector is warming up */
    }
    struct market_decimal operand = z ? observation->z : observation->value;
    if (rule->operand == MARKET_ALERT_ABS_Z || rule->operand == MARKET_ALERT_ABS_VALUE) {
        operand.negative = false;
    }
    int order = decimal_compare(&operand, &rule->threshold);
    switch (rule->comparison) {
    case MARKET_ALERT_GE:
        return order >= 0;
    case MARKET_ALERT_GT:
        return order > 0;
    case MARKET_ALERT_LE:
        return order <= 0;
    case MARKET_ALERT_LT:
        return order < 0;
    }
    return false;
}

static bool rule_applies(const struct market_alert_rule *rule,
                         const struct market_observation *observation)
{
    if (rule->metric != observation->metric || rule->window_us != observation->window_us ||
        !glob_match(rule->venue_pattern, observation->venue)) {
        return false;
    }
    /* A venue's metrics have no symbol: their rules match on the venue alone. */
    bool feed = market_metric_kind_of(observation->metric) == MARKET_METRIC_KIND_FEED;
    return (feed || glob_match(rule->symbol_pattern, observation->symbol)) &&
           condition_met(rule, observation);
}

/* The rule's de-duplication key for the observation (fields in the enum's order; an
 * empty part, a venue metric's symbol, is skipped). */
static void key_build(const struct market_alert_rule *rule,
                      const struct market_observation *observation, char key[MARKET_ALERT_KEY_SIZE])
{
    const char *parts[5] = {rule->name, market_metric_name(observation->metric), observation->venue,
                            observation->symbol, market_alert_severity_name(rule->severity)};
    size_t len = 0;
    key[0] = '\0';
    for (size_t index = 0; index < 5; index++) {
        /* A venue's metrics have no symbol: an empty part is left out, not joined. */
        if ((rule->key_fields & (1u << index)) != 0 && parts[index][0] != '\0') {
            int written = snprintf(key + len, MARKET_ALERT_KEY_SIZE - len, "%s%s",
                                   len > 0 ? ":" : "", parts[index]);
            TPW_ASSERT(written >= 0); /* every part is bounded: the key fits */
            len += (size_t)written;
            TPW_ASSERT(len < MARKET_ALERT_KEY_SIZE);
        }
    }
}

/* The key's state, created (evicting the key that fired longest ago when full). */
static struct key_state *key_state_of(struct market_alerter *alerter, const char *key, bool *fresh)
{
    for (size_t index = 0; index < alerter->keys_count; index++) {
        if (strcmp(alerter->keys[index].key, key) == 0) {
            *fresh = false;
            return &alerter->keys[index];
        }
    }
    size_t slot = alerter->keys_count;
    if (slot == MARKET_ALERT_KEYS_MAX) {
        slot = 0;
        for (size_t index = 1; index < alerter->keys_count; index++) {
            slot = alerter->keys[index].last_fired_us < alerter->keys[slot].last_fired_us ? index
                                                                                          : slot;
        }
        alerter->stats.keys_evicted_count++;
    } else {
        alerter->keys_count++;
    }
    struct key_state *state = &alerter->keys[slot];
    memset(state, 0, sizeof(*state));
    (void)snprintf(state->key, sizeof(state->key), "%s", key);
    *fresh = true;
    return state;
}

static void trigger(struct market_alerter *alerter, const struct market_alert_rule *rule,
                    const struct market_observation *observation)
{
    alerter->stats.triggers_count++;
    char key[MARKET_ALERT_KEY_SIZE];
    key_build(rule, observation, key);
    bool fresh = false;
    struct key_state *state = key_state_of(alerter, key, &fresh);
    int64_t now_us = observation->timestamp_us;
    bool cooling = !fresh && (now_us <= state->last_fired_us ||
                              now_us - state->last_fired_us < rule->cooldown_us);
    if (cooling) {
        state->suppressed_count++;
        alerter->stats.suppressed_count++;
        return;
    }
    struct market_alert alert = {
        .sequence = ++alerter->sequence,
        .suppressed_count = state->suppressed_count,
        .rule = rule,
        .observation = observation,
        .key = state->key,
    };
    state->last_fired_us = now_us;
    state->suppressed_count = 0;
    alerter->stats.alerts_count++;
    alerter->on_alert(alerter->user, &alert);
}

void market_alerter_observe(market_alerter *alerter, const struct market_observation *observation)
{
    TPW_ASSERT((unsigned)observation->metric < MARKET_METRICS_COUNT);
    alerter->stats.observations_count++;
    for (size_t index = 0; index < alerter->rules.rules_count; index++) {
        const struct market_alert_rule *rule = &alerter->rules.rules[index];
        if (rule_applies(rule, observation)) {
            trigger(alerter, rule, observation);
        }
    }
}

void market_alerter_stats(const market_alerter *alerter, struct market_alerter_stats *out)
{
    *out = alerter->stats;
    out->keys_count = alerter->keys_count;
}

/* Appends formatted text (snprintf semantics: *len may pass size, which means too short). */
__attribute__((format(printf, 4, 5))) static void put(char *buf, size_t size, size_t *len,
                                                      const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int written =
        vsnprintf(buf + (*len < size ? *len : size), *len < size ? size - *len : 0, format, args);
    va_end(args);
    *len += written > 0 ? (size_t)written : 0;
}

/* Appends `text` as a JSON string (quotes, backslashes and control bytes escaped). */
static void json_string_put(char *buf, size_t size, size_t *len, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    char escaped[MARKET_ALERT_KEY_SIZE * 6 + 3];
    size_t at = 0;
    escaped[at++] = '"';
    for (const char *c = text; *c != '\0' && at + 8 < sizeof(escaped); c++) {
        unsigned char byte = (unsigned char)*c;
        if (byte == '"' || byte == '\\') {
            escaped[at++] = '\\';
            escaped[at++] = (char)byte;
        } else if (byte < 0x20) {
            at += (size_t)snprintf(escaped + at, sizeof(escaped) - at, "\\u00%c%c", hex[byte >> 4],
                                   hex[byte & 15]);
        } else {
            escaped[at++] = (char)byte;
        }
    }
    escaped[at++] = '"';
    escaped[at] = '\0';
    put(buf, size, len, "%s", escaped);
}

static void decimal_put(char *buf, size_t size, size_t *len, const char *name, bool present,
                        const struct market_decimal *value)
{
    char text[MARKET_DECIMAL_TEXT_SIZE];
    if (!present || market_decimal_format(value, text, sizeof(text)) == 0) {
        put(buf, size, len, ",\"%s\":null", name);
    } else {
        put(buf, size, len, ",\"%s\":\"%s\"", name, text);
    }
}

size_t market_alert_format_json(const struct market_alert *alert, char *buf, size_t size)
{
    const struct market_observation *observation = alert->observation;
    const struct market_alert_rule *rule = alert->rule;
    char condition[MARKET_ALERT_CONDITION_SIZE];
    (void)market_alert_condition_format(rule, condition, sizeof(condition));
    size_t len = 0;
    put(buf, size, &len,
        "{\"type\":\"alert\",\"sequence\":%llu,\"time\":", (unsigned long long)alert->sequence);
    if (observation->timestamp_us >= 0) {
        char time[TPW_CLOCK_UTC_TEXT_SIZE];
        (void)tpw_clock_format_utc_ms((uint64_t)observation->timestamp_us / 1000, time);
        put(buf, size, &len, "\"%s\"", time);
    } else {
        put(buf, size, &len, "null");
    }
    put(buf, size, &len, ",\"timestamp_us\":%lld", (long long)observation->timestamp_us);
    put(buf, size, &len, ",\"rule\":");
    json_string_put(buf, size, &len, rule->name);
    put(buf, size, &len, ",\"severity\":\"%s\",\"metric\":\"%s\",\"venue\":",
        market_alert_severity_name(rule->severity), market_metric_name(observation->metric));
    json_string_put(buf, size, &len, observation->venue);
    put(buf, size, &len, ",\"symbol\":");
    json_string_put(buf, size, &len, observation->symbol);
    decimal_put(buf, size, &len, "value", true, &observation->value);
    decimal_put(buf, size, &len, "z", observation->has_z, &observation->z);
    put(buf, size, &len, ",\"condition\":\"%s\"", condition);
    if (observation->window_us > 0) {
        put(buf, size, &len, ",\"window_us\":%lld", (long long)observation->window_us);
    } else {
        put(buf, size, &len, ",\"window_us\":null");
    }
    put(buf, size, &len, ",\"cooldown_us\":%lld,\"key\":", (long long)rule->cooldown_us);
    json_string_put(buf, size, &len, alert->key);
    put(buf, size, &len, ",\"suppressed\":%llu}", (unsigned long long)alert->suppressed_count);
    if (len >= size) {
        if (size > 0) {
            buf[0] = '\0';
        }
        return 0;
    }
    return len;
}
