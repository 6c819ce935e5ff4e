/*
 * The state hash: one BLAKE2b-256 digest over the whole ledger state in a canonical
 * serialization. Replaying a journal must reproduce it exactly; tests and
 * `tpwallet replay` compare it. Records are hashed as stored (they have no padding);
 * the per-transfer metadata is serialized field by field so struct padding never
 * reaches the digest.
 */
#include <sodium.h>
#include <string.h>

#include "ledger_int.h"
#include "tpw_assert.h"

#include "banned.h"

static void hash_u64(crypto_generichash_state *h, uint64_t value)
{
    unsigned char bytes[8];
    for (size_t i = 0; i < sizeof bytes; i++) {
        bytes[i] = (unsigned char)(value >> (8 * i));
    }
    crypto_generichash_update(h, bytes, sizeof bytes);
}

static void hash_assets(crypto_generichash_state *h, const struct ledger__state *state)
{
    hash_u64(h, state->asset_count);
    for (uint32_t i = 0; i < state->asset_count; i++) {
        const struct ledger_asset *asset = &state->assets[i];
        hash_u64(h, asset->number);
        hash_u64(h, asset->exponent);
        crypto_generichash_update(h, (const unsigned char *)asset->code, sizeof asset->code);
    }
}

static void hash_metas(crypto_generichash_state *h, const struct ledger__state *state)
{
    enum { BATCH = 256, META_BYTES = 17 };
    unsigned char buffer[BATCH * META_BYTES];
    size_t used = 0;
    for (uint32_t i = 0; i < state->transfer_count; i++) {
        const struct ledger__transfer_meta *meta = &state->metas[i];
        unsigned char *out = buffer + used;
        for (size_t b = 0; b < 8; b++) {
            out[b] = (unsigned char)(meta->expires_at >> (8 * b));
            out[8 + b] = (unsigned char)(meta->resolved_at >> (8 * b));
        }
        out[16] = meta->state;
        used += META_BYTES;
        if (used == sizeof buffer) {
            crypto_generichash_update(h, buffer, used);
            used = 0;
        }
    }
    crypto_generichash_update(h, buffer, used);
}

static void hash_failures(crypto_generichash_state *h, const struct ledger__state *state)
{
    hash_u64(h, state->failure_count);
    for (uint32_t i = 0; i < state->failure_count; i++) {
        const struct ledger__failure *failure = &state->failures[i];
        hash_u64(h, (uint64_t)failure->id);
        hash_u64(h, (uint64_t)(failure->id >> 64));
        hash_u64(h, failure->timestamp);
        hash_u64(h, failure->result);
    }
}

void ledger__state_hash(const struct ledger__state *state, uint8_t out[LEDGER_STATE_HASH_BYTES])
{
    static const char domain[] = "tpwallet ledger state v1";
    crypto_generichash_state h;
    int rc = crypto_generichash_init(&h, NULL, 0, LEDGER_STATE_HASH_BYTES);
    TPW_ASSERT(rc == 0);
    crypto_generichash_update(&h, (const unsigned char *)domain, sizeof domain);
    hash_u64(&h, state->last_timestamp);
    hash_assets(&h, state);
    hash_u64(&h, state->account_count);
    if (state->account_count > 0) {
        crypto_generichash_update(&h, (const unsigned char *)state->accounts,
                                  (size_t)state->account_count * sizeof *state->accounts);
    }
    hash_u64(&h, state->transfer_count);
    if (state->transfer_count > 0) {
        crypto_generichash_update(&h, (const unsigned char *)state->transfers,
                                  (size_t)state->transfer_count * sizeof *state->transfers);
    }
    hash_metas(&h, state);
    hash_failures(&h, state);
    crypto_generichash_final(&h, out, LEDGER_STATE_HASH_BYTES);
}
