/*
 * Internals of the aggregator, shared by aggregate.c (quotes, pairs, medians, status)
 * and cross.c (inverse and cross rates over the stored pairs). Private to src/fx.
 */
#ifndef FX_AGGREGATE_H
#define FX_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/fx.h"

/* One provider's newest quote for a pair. */
struct fx__slot {
    struct money_rate bid;
    struct money_rate ask;
    struct money_rate mid; /* (bid + ask) / 2, half-even */
    uint64_t time_ns;
    bool present;
};

struct fx__pair {
    uint64_t key[2]; /* the codes' bytes, NUL-padded: base, quote */
    struct fx__slot slots[FX_PROVIDERS_MAX];
    struct fx_rate rate; /* as last computed (update or tick) */
};

struct fx__provider {
    struct fx_provider_config config;
    struct fx_provider_stats stats;
};

struct fx_aggregator {
    struct fx_policy policy;
    struct tpw_clock clock;
    struct fx__provider providers[FX_PROVIDERS_MAX];
    size_t provider_count;
    struct fx__pair *pairs; /* in order of first appearance */
    size_t pair_count;
    size_t pairs_capacity; /* grows to FX_PAIRS_MAX */
    uint16_t *index;       /* open addressing: pair index + 1, 0 = empty */
    size_t index_mask;
    fx_status_fn *listener;
    void *listener_ctx;
};

/* An asset code's shape within FX_CODE_SIZE (its NUL included). */
bool fx__code_valid(const char *code);

/* The stored pair base/quote, or NULL. */
const struct fx__pair *fx__pair_find(const fx_aggregator *aggregator, const char *base,
                                     const char *quote);

/* Recomputes pair->rate from its quotes at `now_ns` (consensus.c). */
void fx__pair_compute(const fx_aggregator *aggregator, struct fx__pair *pair, uint64_t now_ns);

/* (a + b) / 2 exactly, ties to even. */
tpw_u128 fx__average(tpw_u128 a, tpw_u128 b);

/* Sorts values[0..count) ascending (count ≥ 1, small) and returns the median: the
 * middle value, or the half-even average of the two middle ones. */
tpw_u128 fx__median(tpw_u128 *values, size_t count);

#endif /* FX_AGGREGATE_H */
