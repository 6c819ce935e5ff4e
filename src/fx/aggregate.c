/*
 * The quote aggregator: each provider's newest quote per pair, and per pair a robust
 * consensus — medians of the fresh quotes of the most preferred priority class that
 * has any, outliers (beyond k·MAD of the mids) left out — with a status that says how
 * far to trust it (docs/fx.md, Aggregation). Everything is recomputed from the stored
 * quotes and the clock, so a pair's state never depends on the order updates came in.
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "tpw_assert.h"

#include "banned.h"

#define INDEX_SLOTS ((size_t)2 * FX_PAIRS_MAX) /* load ≤ 1/2 keeps probes short */
#define PAIRS_INITIAL 64                       /* grows by doubling up to FX_PAIRS_MAX */

struct fx_policy fx_policy_default(void)
{
    return (struct fx_policy){
        .quorum = 1,
        .outlier_mad_k_milli = 4448,
        .outlier_floor_bps = 5,
        .future_skew_ns = 5ull * 1000000000ull,
        .pivots = {"EUR", "USD"},
    };
}

const char *fx_status_name(enum fx_status status)
{
    switch (status) {
    case FX_STATUS_FRESH:
        return "fresh";
    case FX_STATUS_DEGRADED:
        return "degraded";
    case FX_STATUS_STALE:
        return "stale";
    case FX_STATUS_NONE:
        return "none"; /* a pair not seen before: the "from" of its first status */
    }
    return "unknown";
}

bool fx__code_valid(const char *code)
{
    size_t len = strnlen(code, FX_CODE_SIZE);
    return len < FX_CODE_SIZE && money_asset_code_valid(code, len);
}

static enum tpw_err policy_check(const struct fx_policy *policy, struct tpw_error_detail *detail)
{
    if (policy->quorum < 1 || policy->quorum > FX_PROVIDERS_MAX) {
        return tpw_error_set(detail, TPW_ERR_FX_POLICY_INVALID, 0,
                             "quorum %u: between 1 and %d providers", policy->quorum,
                             FX_PROVIDERS_MAX);
    }
    if (policy->outlier_mad_k_milli != 0 && policy->outlier_mad_k_milli < 1000) {
        return tpw_error_set(detail, TPW_ERR_FX_POLICY_INVALID, 0,
                             "outlier k %u/1000: 0 (off) or at least 1 MAD",
                             policy->outlier_mad_k_milli);
    }
    if (policy->outlier_floor_bps > MONEY_BPS_ONE) {
        return tpw_error_set(detail, TPW_ERR_FX_POLICY_INVALID, 0,
                             "outlier floor %u bps: at most %u", policy->outlier_floor_bps,
                             MONEY_BPS_ONE);
    }
    for (size_t i = 0; i < 2; i++) {
        if (policy->pivots[i][0] != '\0' && !fx__code_valid(policy->pivots[i])) {
            return tpw_error_set(detail, TPW_ERR_FX_POLICY_INVALID, i,
                                 "pivot %zu is not an asset code", i);
        }
    }
    return TPW_OK;
}

enum tpw_err fx_aggregator_create(const struct fx_policy *policy, struct tpw_clock clock,
                                  fx_aggregator **out, struct tpw_error_detail *detail)
{
    enum tpw_err err = policy_check(policy, detail);
    if (err != TPW_OK) {
        return err;
    }
    fx_aggregator *aggregator = calloc(1, sizeof *aggregator);
    if (aggregator != NULL) {
        aggregator->pairs = calloc(PAIRS_INITIAL, sizeof *aggregator->pairs);
        aggregator->index = calloc(INDEX_SLOTS, sizeof *aggregator->index);
    }
    if (aggregator == NULL || aggregator->pairs == NULL || aggregator->index == NULL) {
        fx_aggregator_destroy(aggregator);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the aggregator");
    }
    aggregator->policy = *policy;
    aggregator->clock = clock;
    aggregator->pairs_capacity = PAIRS_INITIAL;
    aggregator->index_mask = INDEX_SLOTS - 1;
    *out = aggregator;
    return TPW_OK;
}

void fx_aggregator_destroy(fx_aggregator *aggregator)
{
    if (aggregator != NULL) {
        free(aggregator->pairs);
        free(aggregator->index);
        free(aggregator);
    }
}

enum tpw_err fx_aggregator_provider_add(fx_aggregator *aggregator,
                                        const struct fx_provider_config *config,
                                        uint32_t *provider_id, struct tpw_error_detail *detail)
{
    size_t name_len = strnlen(config->name, FX_PROVIDER_NAME_SIZE);
    if (name_len == 0 || name_len == FX_PROVIDER_NAME_SIZE || config->ttl_ns == 0) {
        return tpw_error_set(detail, TPW_ERR_FX_POLICY_INVALID, 0,
                             "a provider needs a name of 1 to %d bytes and a TTL above 0",
                             FX_PROVIDER_NAME_SIZE - 1);
    }
    for (size_t i = 0; i < aggregator->provider_count; i++) {
        if (strcmp(aggregator->providers[i].config.name, config->name) == 0) {
            return tpw_error_set(detail, TPW_ERR_FX_PROVIDER_NAME_TAKEN, i,
                                 "provider '%s' is already registered", config->name);
        }
    }
    if (aggregator->provider_count == FX_PROVIDERS_MAX) {
        return tpw_error_set(detail, TPW_ERR_FX_PROVIDERS_FULL, 0, "at most %d providers",
                             FX_PROVIDERS_MAX);
    }
    struct fx__provider *provider = &aggregator->providers[aggregator->provider_count];
    *provider = (struct fx__provider){.config = *config};
    memcpy(provider->stats.name, config->name, name_len + 1);
    provider->stats.up = true;
    *provider_id = (uint32_t)aggregator->provider_count++;
    return TPW_OK;
}

/* ---- the pair table ----------------------------------------------------------------- */

static uint64_t code_key(const char *code)
{
    uint64_t key = 0;
    memcpy(&key, code, strnlen(code, FX_CODE_SIZE - 1)); /* ≤ 8 bytes, rest stays 0 */
    return key;
}

static size_t key_hash(const uint64_t key[2], size_t mask)
{
    uint64_t h = (key[0] ^ (key[1] * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return (size_t)(h ^ (h >> 29)) & mask;
}

/* The index slot holding the pair with this key, or the empty slot where it belongs. */
static size_t index_probe(const fx_aggregator *aggregator, const uint64_t key[2])
{
    size_t at = key_hash(key, aggregator->index_mask);
    for (size_t probes = 0; probes <= aggregator->index_mask; probes++) {
        uint16_t entry = aggregator->index[at];
        if (entry == 0) {
            return at;
        }
        const struct fx__pair *pair = &aggregator->pairs[entry - 1];
        if (pair->key[0] == key[0] && pair->key[1] == key[1]) {
            return at;
        }
        at = (at + 1) & aggregator->index_mask;
    }
    TPW_ASSERT(false); /* the load factor stays ≤ 1/2: an empty slot always exists */
    return 0;
}

const struct fx__pair *fx__pair_find(const fx_aggregator *aggregator, const char *base,
                                     const char *quote)
{
    uint64_t key[2] = {code_key(base), code_key(quote)};
    uint16_t entry = aggregator->index[index_probe(aggregator, key)];
    return entry == 0 ? NULL : &aggregator->pairs[entry - 1];
}

/* Doubles the pair array (pairs are addressed by index, so moving them is safe). */
static bool pairs_grow(fx_aggregator *aggregator)
{
    if (aggregator->pairs_capacity == FX_PAIRS_MAX) {
        return false;
    }
    size_t capacity = aggregator->pairs_capacity * 2;
    struct fx__pair *pairs = realloc(aggregator->pairs, capacity * sizeof *pairs);
    if (pairs == NULL) {
        return false;
    }
    aggregator->pairs = pairs;
    aggregator->pairs_capacity = capacity;
    return true;
}

/* The pair for the quote, added if new; NULL when the table is full (or memory is). */
static struct fx__pair *pair_get_or_add(fx_aggregator *aggregator, const struct fx_quote *quote)
{
    uint64_t key[2] = {code_key(quote->base), code_key(quote->quote)};
    size_t at = index_probe(aggregator, key);
    if (aggregator->index[at] != 0) {
        return &aggregator->pairs[aggregator->index[at] - 1];
    }
    if (aggregator->pair_count == aggregator->pairs_capacity && !pairs_grow(aggregator)) {
        return NULL;
    }
    struct fx__pair *pair = &aggregator->pairs[aggregator->pair_count];
    memset(pair, 0, sizeof *pair);
    pair->key[0] = key[0];
    pair->key[1] = key[1];
    memcpy(pair->rate.base, quote->base, strlen(quote->base) + 1);
    memcpy(pair->rate.quote, quote->quote, strlen(quote->quote) + 1);
    aggregator->index[at] = (uint16_t)++aggregator->pair_count;
    return pair;
}

/* ---- updates and status ------------------------------------------------------------- */

static void emit(const fx_aggregator *aggregator, const struct fx__pair *pair,
                 enum fx_status old_status, uint64_t now_ns)
{
    if (aggregator->listener == NULL || pair->rate.status == old_status) {
        return;
    }
    struct fx_status_event event = {
        .old_status = old_status,
        .new_status = pair->rate.status,
        .time_ns = now_ns,
    };
    memcpy(event.base, pair->rate.base, sizeof event.base);
    memcpy(event.quote, pair->rate.quote, sizeof event.quote);
    aggregator->listener(aggregator->listener_ctx, &event);
}

static enum tpw_err quote_check(const fx_aggregator *aggregator, const struct fx_quote *quote,
                                uint64_t now_ns, struct tpw_error_detail *detail)
{
    if (!fx__code_valid(quote->base) || !fx__code_valid(quote->quote) ||
        strcmp(quote->base, quote->quote) == 0) {
        return tpw_error_set(detail, TPW_ERR_FX_QUOTE_INVALID, 0,
                             "a pair needs two different asset codes");
    }
    if (quote->bid.value_e18 == 0 || quote->bid.value_e18 > quote->ask.value_e18) {
        return tpw_error_set(detail, TPW_ERR_FX_QUOTE_INVALID, 0,
                             "%s/%s: the bid must be above zero and not above the ask", quote->base,
                             quote->quote);
    }
    uint64_t skew_ns = aggregator->policy.future_skew_ns;
    if (quote->time_ns > now_ns && quote->time_ns - now_ns > skew_ns) {
        return tpw_error_set(detail, TPW_ERR_FX_QUOTE_FUTURE, 0,
                             "%s/%s: dated %llu ns ahead of the clock", quote->base, quote->quote,
                             (unsigned long long)(quote->time_ns - now_ns));
    }
    return TPW_OK;
}

static enum tpw_err update_refused(struct fx__provider *provider, enum tpw_err err)
{
    provider->stats.quotes_refused++;
    return err;
}

/* Whether `quote` would be stored, without storing it: its form, its time, room for a
 * new pair, and its order against the provider's quote held. */
static enum tpw_err update_check(const fx_aggregator *aggregator, uint32_t provider_id,
                                 const struct fx_quote *quote, uint64_t now_ns,
                                 struct tpw_error_detail *detail)
{
    enum tpw_err err = quote_check(aggregator, quote, now_ns, detail);
    if (err != TPW_OK) {
        return err;
    }
    const struct fx__pair *pair = fx__pair_find(aggregator, quote->base, quote->quote);
    if (pair == NULL && aggregator->pair_count == FX_PAIRS_MAX) {
        return tpw_error_set(detail, TPW_ERR_FX_PAIRS_FULL, 0, "%s (%zu pairs held)",
                             tpw_strerror(TPW_ERR_FX_PAIRS_FULL), aggregator->pair_count);
    }
    const struct fx__slot *slot = pair != NULL ? &pair->slots[provider_id] : NULL;
    if (slot != NULL && slot->present && quote->time_ns < slot->time_ns) {
        return tpw_error_set(detail, TPW_ERR_FX_QUOTE_OUT_OF_ORDER, 0,
                             "%s/%s from %s: older than the quote held", quote->base, quote->quote,
                             aggregator->providers[provider_id].config.name);
    }
    return TPW_OK;
}

enum tpw_err fx_aggregator_check(const fx_aggregator *aggregator, uint32_t provider_id,
                                 const struct fx_quote *quote, struct tpw_error_detail *detail)
{
    if (provider_id >= aggregator->provider_count) {
        return tpw_error_set(detail, TPW_ERR_FX_PROVIDER_UNKNOWN, provider_id, "no provider %u",
                             provider_id);
    }
    return update_check(aggregator, provider_id, quote, tpw_clock_now_ns(&aggregator->clock),
                        detail);
}

enum tpw_err fx_aggregator_update(fx_aggregator *aggregator, uint32_t provider_id,
                                  const struct fx_quote *quote, struct tpw_error_detail *detail)
{
    if (provider_id >= aggregator->provider_count) {
        return tpw_error_set(detail, TPW_ERR_FX_PROVIDER_UNKNOWN, provider_id, "no provider %u",
                             provider_id);
    }
    struct fx__provider *provider = &aggregator->providers[provider_id];
    uint64_t now_ns = tpw_clock_now_ns(&aggregator->clock);
    enum tpw_err err = update_check(aggregator, provider_id, quote, now_ns, detail);
    if (err != TPW_OK) {
        return update_refused(provider, err);
    }
    struct fx__pair *pair = pair_get_or_add(aggregator, quote);
    if (pair == NULL) {
        return update_refused(provider,
                              tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for a new pair"));
    }
    struct fx__slot *slot = &pair->slots[provider_id];
    enum fx_status old_status = pair->rate.status; /* FX_STATUS_NONE for a new pair */
    *slot = (struct fx__slot){
        .bid = quote->bid,
        .ask = quote->ask,
        .mid = {fx__average(quote->bid.value_e18, quote->ask.value_e18)},
        .time_ns = quote->time_ns,
        .present = true,
    };
    provider->stats.quotes_accepted++;
    provider->stats.up = true;
    if (quote->time_ns > provider->stats.last_quote_ns) {
        provider->stats.last_quote_ns = quote->time_ns;
    }
    fx__pair_compute(aggregator, pair, now_ns);
    emit(aggregator, pair, old_status, now_ns);
    return TPW_OK;
}

void fx_aggregator_provider_failed(fx_aggregator *aggregator, uint32_t provider_id,
                                   enum tpw_err error)
{
    TPW_ASSERT(provider_id < aggregator->provider_count);
    struct fx_provider_stats *stats = &aggregator->providers[provider_id].stats;
    stats->up = false;
    stats->failures++;
    stats->last_error = error;
}

void fx_aggregator_tick(fx_aggregator *aggregator)
{
    uint64_t now_ns = tpw_clock_now_ns(&aggregator->clock);
    for (size_t i = 0; i < aggregator->pair_count; i++) {
        struct fx__pair *pair = &aggregator->pairs[i];
        enum fx_status old_status = pair->rate.status;
        fx__pair_compute(aggregator, pair, now_ns);
        emit(aggregator, pair, old_status, now_ns);
    }
}

void fx_aggregator_listen(fx_aggregator *aggregator, fx_status_fn *listener, void *ctx)
{
    aggregator->listener = listener;
    aggregator->listener_ctx = ctx;
}

enum tpw_err fx_rate_executable(const struct fx_rate *rate, bool allow_degraded,
                                struct tpw_error_detail *detail)
{
    if (rate->status == FX_STATUS_FRESH || (rate->status == FX_STATUS_DEGRADED && allow_degraded)) {
        return TPW_OK;
    }
    enum tpw_err err =
        rate->status == FX_STATUS_DEGRADED ? TPW_ERR_FX_PAIR_DEGRADED : TPW_ERR_FX_PAIR_STALE;
    return tpw_error_set(detail, err, 0, "%s/%s is %s", rate->base, rate->quote,
                         fx_status_name(rate->status));
}

size_t fx_aggregator_provider_count(const fx_aggregator *aggregator)
{
    return aggregator->provider_count;
}

void fx_aggregator_provider_stats(const fx_aggregator *aggregator, uint32_t provider_id,
                                  struct fx_provider_stats *out)
{
    TPW_ASSERT(provider_id < aggregator->provider_count);
    *out = aggregator->providers[provider_id].stats;
}

size_t fx_aggregator_pair_count(const fx_aggregator *aggregator)
{
    return aggregator->pair_count;
}

void fx_aggregator_pair_at(const fx_aggregator *aggregator, size_t index, struct fx_rate *out)
{
    TPW_ASSERT(index < aggregator->pair_count);
    *out = aggregator->pairs[index].rate;
}
