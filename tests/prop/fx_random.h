/*
 * Random FX graphs for the fx property tests: currencies with random codes and
 * exponents 0..18, pairs around consistent prices but each with its own error and
 * spread (so triangles do beat direct pairs), and random fee tiers per corridor that
 * obey the graph's tier rule. Everything from one seeded PRNG.
 */
#ifndef FX_RANDOM_H
#define FX_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "tpwallet/fx.h"
#include "tpwallet/prng.h"

/* Large enough for the pruning of a search across many pivots to matter. */
#define FX_RANDOM_CURRENCIES_MAX 16
#define FX_RANDOM_PAIRS_MAX (FX_RANDOM_CURRENCIES_MAX * (FX_RANDOM_CURRENCIES_MAX - 1) / 2)
#define FX_RANDOM_CORRIDORS_MAX (2 * FX_RANDOM_PAIRS_MAX)

struct fx_random_graph {
    struct money_asset assets[FX_RANDOM_CURRENCIES_MAX];
    struct fx_quote quotes[FX_RANDOM_PAIRS_MAX];
    struct fx_corridor_fee corridors[FX_RANDOM_CORRIDORS_MAX];
    struct fx_graph_spec spec;
};

/* A graph of `currency_count` (2..FX_RANDOM_CURRENCIES_MAX) currencies, each pair
 * quoted with probability pair_percent / 100. */
void fx_random_graph(struct tpw_prng *prng, size_t currency_count, unsigned pair_percent,
                     struct fx_random_graph *out);

/* Random tiers (none, one or several) that fx_graph_create accepts. */
struct fx_fee_tiers fx_random_tiers(struct tpw_prng *prng);

/* A positive amount of a random magnitude, 1 to 2^128-1, small ones more often. */
tpw_u128 fx_random_amount(struct tpw_prng *prng);

/* The graph's description on stderr, for a failure report. */
void fx_random_print(const struct fx_random_graph *graph);

#endif /* FX_RANDOM_H */
