/*
 * Internals shared by the files of the money module only (never include from
 * another module): the 256-bit intermediate used by multiply-divide, and helpers
 * for error messages that quote user input.
 */
#ifndef MONEY_INT_H
#define MONEY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/money.h"

/* An unsigned 256-bit integer as four 64-bit limbs, least significant first. */
struct money__u256 {
    uint64_t limb[4];
};

/* The exact product a × b. */
struct money__u256 money__u256_mul(tpw_u128 a, tpw_u128 b);

/*
 * n / divisor and n % divisor for divisor != 0. Returns false, writing nothing,
 * when the quotient does not fit in 128 bits.
 */
bool money__u256_divmod(struct money__u256 n, tpw_u128 divisor, tpw_u128 *quotient /* out */,
                        tpw_u128 *remainder /* out */);

/* Room for a quoted excerpt of user input: 40 bytes, "..." and the NUL. */
#define MONEY_QUOTE_SIZE 48

/*
 * Copies at most 40 bytes of `text` into `out` for use inside an error message,
 * replacing bytes that are not printable ASCII with '?' so input cannot inject
 * control characters into a terminal or log; appends "..." when cut short.
 */
void money__quote(const char *text, size_t text_len, char out[MONEY_QUOTE_SIZE]);

/* ---- Registry internals (asset.c owns the structure; registry_csv.c fills it). ---- */

#include "money_limits.h"

struct money_registry {
    /* One allocation of MONEY_REGISTRY_ASSETS_MAX entries: pointers never move. */
    struct money_asset *assets;
    /* Indices into `assets`, sorted by code, for binary search and ordered listing. */
    uint16_t *sorted;
    size_t count;
};

/* The asset with this code, money or not, or NULL. */
struct money_asset *money__registry_lookup(const money_registry *registry, const char *code);

/* Adds `asset` (whose code must not be present); the caller has checked capacity. */
void money__registry_insert(money_registry *registry, const struct money_asset *asset);

#endif /* MONEY_INT_H */
