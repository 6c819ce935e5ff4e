/*
 * The rates' recent past, for what a wallet's value did since (GET /v1/map's `change`):
 * every period the rates ticker samples each quoted currency's valuation rate in each
 * sampled base — the very api_value_rate_get the map values with, so a market that did
 * not move shows a change of exactly zero, never a rounding's worth. The bases sampled
 * are the policy's pivots (EUR, USD) from the start, and any other base a map asks for
 * from its first request on (at most RATE_HISTORY_BASES_MAX).
 *
 * A ring keeps window/period + 2 samples: enough that one is at least a window old once
 * the server has run that long. Until then the oldest sample that has the base answers,
 * and `since` says how far back that is. Samples live in memory only: they are
 * observations of the rates, not state, so a restart begins the history again.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rates.h"
#include "tpw_assert.h"

#include "banned.h"

#define RATE_HISTORY_BASES_MAX 8u
#define RATE_HISTORY_SAMPLES_MAX 10082u /* a week of minutes, + 2 */

struct sample_entry {
    tpw_u128 mid_e18; /* base per one unit of the asset */
    char code[FX_CODE_SIZE];
    uint8_t base; /* into the history's bases */
};

struct sample {
    struct sample_entry *entries; /* malloc'd; NULL when empty */
    uint64_t time_ns;
    size_t count;
    uint32_t bases_mask; /* the bases sampled (bit i: bases[i]) */
};

struct api_rate_history {
    pthread_mutex_t lock; /* everything below */
    char bases[RATE_HISTORY_BASES_MAX][FX_CODE_SIZE];
    struct sample *ring;
    size_t capacity, head, count; /* head: the oldest sample's place */
    size_t bases_count;
    size_t pairs_sampled; /* the quoted pairs at the last sample */
    uint64_t period_ns, window_ns, next_ns;
};

enum tpw_err api_rate_history_create(unsigned period_s, unsigned window_s,
                                     struct api_rate_history **out, struct tpw_error_detail *detail)
{
    period_s = period_s == 0 ? 60 : period_s;
    window_s = window_s == 0 ? 86400 : window_s;
    size_t capacity = (size_t)(window_s / period_s) + 2;
    if (capacity > RATE_HISTORY_SAMPLES_MAX) {
        tpw_error_set_param(detail, "fx_history_window_s");
        return tpw_error_set(detail, TPW_ERR_USAGE, 0, /* a bad setting, as the others */
                             "fx_history_window_s: at most %u samples of fx_history_sample_s",
                             RATE_HISTORY_SAMPLES_MAX - 2);
    }
    struct api_rate_history *history = calloc(1, sizeof *history);
    struct sample *ring = calloc(capacity, sizeof *ring);
    if (history == NULL || ring == NULL) {
        free(history);
        free(ring);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the rate history");
    }
    TPW_ASSERT(pthread_mutex_init(&history->lock, NULL) == 0);
    history->ring = ring;
    history->capacity = capacity;
    history->period_ns = (uint64_t)period_s * 1000000000u;
    history->window_ns = (uint64_t)window_s * 1000000000u;
    struct fx_policy policy = fx_policy_default();
    for (size_t i = 0; i < sizeof policy.pivots / sizeof policy.pivots[0]; i++) {
        if (policy.pivots[i][0] != '\0') {
            memcpy(history->bases[history->bases_count++], policy.pivots[i], FX_CODE_SIZE);
        }
    }
    *out = history;
    return TPW_OK;
}

void api_rate_history_destroy(struct api_rate_history *history)
{
    if (history == NULL) {
        return;
    }
    for (size_t i = 0; i < history->capacity; i++) {
        free(history->ring[i].entries);
    }
    free(history->ring);
    (void)pthread_mutex_destroy(&history->lock);
    free(history);
}

/* ---- sampling (the ticker's thread) ------------------------------------------------ */

/* The distinct currencies of the quoted pairs, at most FX_GRAPH_CURRENCIES_MAX. */
static size_t codes_quoted(struct api_rates *rates, char (*codes)[FX_CODE_SIZE])
{
    struct fx_rate *pairs = NULL;
    size_t pairs_count = 0;
    if (api_rates_list(rates, &pairs, &pairs_count) != TPW_OK) {
        return 0;
    }
    size_t count = 0;
    for (size_t i = 0; i < 2 * pairs_count; i++) {
        const char *code = i % 2 == 0 ? pairs[i / 2].base : pairs[i / 2].quote;
        size_t seen = 0;
        while (seen < count && strcmp(codes[seen], code) != 0) {
            seen++;
        }
        if (seen == count && count < FX_GRAPH_CURRENCIES_MAX) {
            (void)snprintf(codes[count++], FX_CODE_SIZE, "%s", code);
        }
    }
    free(pairs);
    return count;
}

/* One sample of every quoted currency in each of the first `bases_count` bases. */
static struct sample sample_take(struct api_rates *rates, char (*bases)[FX_CODE_SIZE],
                                 size_t bases_count, uint64_t now_ns)
{
    char codes[FX_GRAPH_CURRENCIES_MAX][FX_CODE_SIZE];
    size_t codes_count = codes_quoted(rates, codes);
    struct sample sample = {.time_ns = now_ns};
    sample.entries = calloc(codes_count * bases_count + 1, sizeof *sample.entries);
    if (sample.entries == NULL) {
        return sample; /* an empty sample: this minute's change is unknown, no more */
    }
    for (size_t b = 0; b < bases_count; b++) {
        sample.bases_mask |= 1u << b;
        for (size_t c = 0; c < codes_count; c++) {
            struct api_value_rate rate;
            if (api_value_rate_get(rates, codes[c], bases[b], &rate) != TPW_OK) {
                continue;
            }
            struct sample_entry *entry = &sample.entries[sample.count++];
            entry->mid_e18 = rate.mid.value_e18;
            memcpy(entry->code, codes[c], FX_CODE_SIZE);
            entry->base = (uint8_t)b;
        }
    }
    return sample;
}

static size_t pairs_quoted(struct api_rates *rates)
{
    TPW_ASSERT(pthread_rwlock_rdlock(&rates->lock) == 0);
    size_t count = fx_aggregator_pair_count(rates->aggregator);
    TPW_ASSERT(pthread_rwlock_unlock(&rates->lock) == 0);
    return count;
}

/* Due each period, and also as soon as a pair is quoted for the first time (a venue
 * connecting after the start): its currencies then have a rate back from that moment,
 * not from the next period on. Pairs are never forgotten, so this is bounded. */
void api_rate_history_tick(struct api_rates *rates, uint64_t now_ns)
{
    struct api_rate_history *history = rates->history;
    char bases[RATE_HISTORY_BASES_MAX][FX_CODE_SIZE];
    size_t pairs = pairs_quoted(rates);
    TPW_ASSERT(pthread_mutex_lock(&history->lock) == 0);
    bool due = now_ns >= history->next_ns || pairs > history->pairs_sampled;
    history->pairs_sampled = pairs > history->pairs_sampled ? pairs : history->pairs_sampled;
    size_t bases_count = history->bases_count;
    memcpy(bases, history->bases, sizeof bases);
    TPW_ASSERT(pthread_mutex_unlock(&history->lock) == 0);
    if (!due) {
        return;
    }
    /* Outside the lock: valuing takes the rates' lock, and maps must not wait on it. */
    struct sample sample = sample_take(rates, bases, bases_count, now_ns);
    TPW_ASSERT(pthread_mutex_lock(&history->lock) == 0);
    size_t place = (history->head + history->count) % history->capacity;
    if (history->count == history->capacity) {
        history->head = (history->head + 1) % history->capacity;
    } else {
        history->count++;
    }
    free(history->ring[place].entries);
    history->ring[place] = sample;
    history->next_ns = now_ns + history->period_ns;
    TPW_ASSERT(pthread_mutex_unlock(&history->lock) == 0);
}

/* ---- reading (request threads) ----------------------------------------------------- */

/* The base's place, added when new and there is room; RATE_HISTORY_BASES_MAX if not. */
static size_t base_index(struct api_rate_history *history, const char *base)
{
    size_t index = 0;
    while (index < history->bases_count && strcmp(history->bases[index], base) != 0) {
        index++;
    }
    if (index == history->bases_count && index < RATE_HISTORY_BASES_MAX) {
        (void)snprintf(history->bases[history->bases_count++], FX_CODE_SIZE, "%s", base);
    }
    return index;
}

/* The sample's rate of `code` in the base at `base`, if it has one. */
static bool sample_mid(const struct sample *sample, size_t base, const char *code,
                       tpw_u128 *mid_e18)
{
    for (size_t i = 0; i < sample->count; i++) {
        const struct sample_entry *entry = &sample->entries[i];
        if (entry->base == base && strcmp(entry->code, code) == 0) {
            *mid_e18 = entry->mid_e18;
            return true;
        }
    }
    return false;
}

/* The newest sample at least a window old that has the rate, else the oldest that has
 * it: a currency first quoted after the start (a venue connecting) still has a change,
 * over a shorter span that its `since` states. Back from the window's edge, then on. */
static const struct sample *sample_pick(const struct api_rate_history *history, size_t base,
                                        const char *code, uint64_t now_ns, tpw_u128 *mid_e18)
{
    uint64_t cutoff_ns = now_ns > history->window_ns ? now_ns - history->window_ns : 0;
    size_t edge = 0; /* samples [0, edge) are at least a window old */
    while (edge < history->count &&
           history->ring[(history->head + edge) % history->capacity].time_ns <= cutoff_ns) {
        edge++;
    }
    for (size_t i = edge; i-- > 0;) {
        const struct sample *sample = &history->ring[(history->head + i) % history->capacity];
        if (sample_mid(sample, base, code, mid_e18)) {
            return sample;
        }
    }
    for (size_t i = edge; i < history->count; i++) {
        const struct sample *sample = &history->ring[(history->head + i) % history->capacity];
        if (sample_mid(sample, base, code, mid_e18)) {
            return sample;
        }
    }
    return NULL;
}

bool api_rate_history_mid(struct api_rates *rates, const char *asset, const char *base,
                          struct money_rate *mid, uint64_t *since_ns)
{
    if (strcmp(asset, base) == 0) {
        mid->value_e18 = (tpw_u128)1000000000000000000ull; /* as api_value_rate_get */
        *since_ns = 0;
        return true;
    }
    struct api_rate_history *history = rates->history;
    uint64_t now_ns = tpw_clock_now_ns(&rates->clock);
    TPW_ASSERT(pthread_mutex_lock(&history->lock) == 0);
    size_t index = base_index(history, base);
    const struct sample *sample = index < RATE_HISTORY_BASES_MAX
                                      ? sample_pick(history, index, asset, now_ns, &mid->value_e18)
                                      : NULL;
    *since_ns = sample != NULL ? sample->time_ns : 0;
    TPW_ASSERT(pthread_mutex_unlock(&history->lock) == 0);
    return sample != NULL;
}

uint64_t api_rate_history_window_ns(const struct api_rates *rates)
{
    return rates->history->window_ns; /* set at creation, never changed */
}
