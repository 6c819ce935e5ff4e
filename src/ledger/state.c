/*
 * The ledger's state machine: storage of the state, assets, account creation, the
 * batch driver for linked chains, and the undo log that makes a chain all-or-nothing.
 *
 * Nothing here does I/O or reads a clock; the facade passes each batch's timestamp.
 * Given the same state and the same batch, the results and the new state are the
 * same — that is what makes replaying the journal reproduce the ledger exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger_int.h"
#include "tpwallet/money.h"
#include "tpw_assert.h"

#include "banned.h"

#define ARRAY_CAPACITY_MIN 1024u

enum tpw_err ledger__array_reserve(void **array, uint32_t *capacity, uint64_t needed, size_t size)
{
    if (needed <= *capacity) {
        return TPW_OK;
    }
    if (needed >= UINT32_MAX) {
        return TPW_ERR_NOMEM; /* positions are 32-bit; see LEDGER_INDEX_NONE */
    }
    uint64_t grown = *capacity < ARRAY_CAPACITY_MIN ? ARRAY_CAPACITY_MIN : *capacity;
    while (grown < needed) {
        grown *= 2;
    }
    if (grown >= UINT32_MAX) {
        grown = UINT32_MAX - 1;
    }
    void *bigger = realloc(*array, (size_t)grown * size);
    if (bigger == NULL) {
        return TPW_ERR_NOMEM;
    }
    *array = bigger;
    *capacity = (uint32_t)grown;
    return TPW_OK;
}

enum tpw_err ledger__state_init(struct ledger__state *state, uint64_t seed)
{
    memset(state, 0, sizeof *state);
    state->active = &state->windows[0];
    if (ledger__index_init(&state->account_index, seed) != TPW_OK ||
        ledger__window_init(&state->windows[0], seed ^ 0x5a5a5a5aull) != TPW_OK ||
        ledger__window_init(&state->windows[1], seed ^ 0x3c3c3c3cull) != TPW_OK) {
        ledger__state_deinit(state);
        return TPW_ERR_NOMEM;
    }
    return TPW_OK;
}

void ledger__state_deinit(struct ledger__state *state)
{
    free(state->accounts);
    ledger__window_deinit(&state->windows[0]);
    ledger__window_deinit(&state->windows[1]);
    free(state->expiries);
    free(state->undo);
    ledger__index_deinit(&state->account_index);
    memset(state, 0, sizeof *state);
}

uint64_t ledger__batch_first_timestamp(const struct ledger__state *state, uint64_t now,
                                       size_t count)
{
    TPW_ASSERT(count > 0 && count <= LEDGER_BATCH_MAX);
    uint64_t last = state->last_timestamp + count;
    if (now > last) {
        last = now;
    }
    return last - count + 1;
}

static enum tpw_err reserve_accounts(struct ledger__state *state, size_t more)
{
    uint64_t needed = (uint64_t)state->account_count + more;
    if (ledger__array_reserve((void **)&state->accounts, &state->account_capacity, needed,
                              sizeof *state->accounts) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    return ledger__index_reserve(&state->account_index, more);
}

enum tpw_err ledger__state_reserve(struct ledger__state *state, size_t accounts, size_t transfers)
{
    TPW_ASSERT(accounts <= LEDGER_BATCH_MAX && transfers <= LEDGER_BATCH_MAX);
    if (reserve_accounts(state, accounts) != TPW_OK ||
        ledger__window_reserve(state->active, state->account_count + (uint32_t)accounts,
                               transfers) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    /* A chain member logs at most 2 accounts and 1 meta; each transfer may add an
     * expiry. */
    size_t commands = accounts > transfers ? accounts : transfers;
    if (ledger__expiry_reserve(state, (uint32_t)transfers) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    return ledger__undo_reserve(state, (uint32_t)(commands * 3));
}

uint32_t ledger__account_find(const struct ledger__state *state, tpw_u128 id)
{
    return ledger__index_find(&state->account_index, id, state->accounts, sizeof *state->accounts);
}

/* ---- undo log ------------------------------------------------------------------------ */

enum tpw_err ledger__undo_reserve(struct ledger__state *state, uint32_t more)
{
    uint64_t needed = (uint64_t)state->undo_count + more;
    return ledger__array_reserve((void **)&state->undo, &state->undo_capacity, needed,
                                 sizeof *state->undo);
}

static struct ledger__undo *undo_next(struct ledger__state *state, uint32_t kind, uint32_t pos)
{
    /* ledger__state_reserve sized the log for a whole batch of chain members. */
    TPW_ASSERT(state->undo_count < state->undo_capacity);
    struct ledger__undo *entry = &state->undo[state->undo_count++];
    entry->kind = kind;
    entry->position = pos;
    return entry;
}

void ledger__undo_account(struct ledger__state *state, uint32_t position)
{
    undo_next(state, LEDGER_UNDO_ACCOUNT, position)->saved.account = state->accounts[position];
}

void ledger__undo_meta(struct ledger__state *state, uint32_t position)
{
    undo_next(state, LEDGER_UNDO_META, position)->saved.meta = state->active->metas[position];
}

void ledger__undo_rollback(struct ledger__state *state, uint32_t mark)
{
    while (state->undo_count > mark) {
        const struct ledger__undo *entry = &state->undo[--state->undo_count];
        switch (entry->kind) {
        case LEDGER_UNDO_ACCOUNT:
            state->accounts[entry->position] = entry->saved.account;
            break;
        case LEDGER_UNDO_META:
            state->active->metas[entry->position] = entry->saved.meta;
            break;
        default:
            TPW_ASSERT(!"unknown undo entry");
        }
    }
}

/* ---- assets -------------------------------------------------------------------------- */

uint32_t ledger__asset_find(const struct ledger__state *state, const char *code)
{
    for (uint32_t i = 0; i < state->asset_count; i++) {
        if (strcmp(state->assets[i].code, code) == 0) {
            return i;
        }
    }
    return LEDGER_INDEX_NONE;
}

enum tpw_err ledger__asset_check(const struct ledger__state *state, const char *code,
                                 uint8_t exponent, uint32_t *existing,
                                 struct tpw_error_detail *detail)
{
    *existing = 0;
    if (!money_asset_code_valid(code, strlen(code))) {
        return tpw_error_set(detail, TPW_ERR_ASSET_CODE_INVALID, 0,
                             "asset codes are 2 to 8 of A-Z and 0-9, starting with a letter");
    }
    if (exponent > MONEY_ASSET_EXPONENT_MAX) {
        return tpw_error_set(detail, TPW_ERR_ASSET_EXPONENT_INVALID, 0,
                             "asset exponent %u is above %u", exponent, MONEY_ASSET_EXPONENT_MAX);
    }
    uint32_t index = ledger__asset_find(state, code);
    if (index != LEDGER_INDEX_NONE) {
        const struct ledger_asset *asset = &state->assets[index];
        *existing = asset->number;
        return asset->exponent == exponent
                   ? TPW_OK
                   : tpw_error_set(detail, TPW_ERR_LEDGER_ASSET_CONFLICT, 0,
                                   "asset \"%s\" has exponent %u in this ledger", code,
                                   asset->exponent);
    }
    if (state->asset_count == LEDGER_ASSETS_MAX) {
        return tpw_error_set(detail, TPW_ERR_LEDGER_ASSETS_FULL, 0, "the ledger has %u assets",
                             LEDGER_ASSETS_MAX);
    }
    return TPW_OK;
}

enum tpw_err ledger__state_define_asset(struct ledger__state *state,
                                        const struct ledger__asset_command *cmd, uint64_t timestamp,
                                        uint32_t *number, struct tpw_error_detail *detail)
{
    TPW_ASSERT(timestamp > state->last_timestamp);
    char code[sizeof state->assets[0].code] = {0};
    memcpy(code, cmd->code, sizeof cmd->code);
    uint32_t existing = 0;
    enum tpw_err err = ledger__asset_check(state, code, cmd->exponent, &existing, detail);
    if (err == TPW_OK && existing != 0) {
        /* Only new definitions are journaled (ledger_asset_define returns early). */
        err = tpw_error_set(detail, TPW_ERR_ASSET_DUPLICATE, 0, "asset \"%s\" defined twice", code);
    }
    if (err != TPW_OK) {
        return err;
    }
    ledger__expiry_sweep(state, timestamp);
    state->last_timestamp = timestamp;
    struct ledger_asset *asset = &state->assets[state->asset_count++];
    asset->number = state->asset_count;
    asset->exponent = cmd->exponent;
    memcpy(asset->code, code, sizeof asset->code);
    *number = asset->number;
    return TPW_OK;
}

/* ---- accounts ------------------------------------------------------------------------ */

static enum ledger_account_result account_exists(const struct ledger_account *a,
                                                 const struct ledger_account *e)
{
    uint16_t compared = (uint16_t)~LEDGER_ACCOUNT_LINKED;
    if ((a->flags & compared) != (e->flags & compared)) {
        return LEDGER_ACCOUNT_EXISTS_WITH_DIFFERENT_FLAGS;
    }
    if (a->asset != e->asset) {
        return LEDGER_ACCOUNT_EXISTS_WITH_DIFFERENT_ASSET;
    }
    if (a->kind != e->kind) {
        return LEDGER_ACCOUNT_EXISTS_WITH_DIFFERENT_KIND;
    }
    if (a->owner != e->owner) {
        return LEDGER_ACCOUNT_EXISTS_WITH_DIFFERENT_OWNER;
    }
    if (a->overdraft_limit != e->overdraft_limit) {
        return LEDGER_ACCOUNT_EXISTS_WITH_DIFFERENT_OVERDRAFT_LIMIT;
    }
    return LEDGER_ACCOUNT_EXISTS;
}

static enum ledger_account_result account_validate(const struct ledger__state *state,
                                                   const struct ledger_account *a)
{
    if (a->timestamp != 0) {
        return LEDGER_ACCOUNT_TIMESTAMP_MUST_BE_ZERO;
    }
    if ((a->flags & ~LEDGER_ACCOUNT_FLAGS_ALL) != 0) {
        return LEDGER_ACCOUNT_RESERVED_FLAG;
    }
    if (a->id == 0) {
        return LEDGER_ACCOUNT_ID_MUST_NOT_BE_ZERO;
    }
    if (a->id == LEDGER_ID_MAX) {
        return LEDGER_ACCOUNT_ID_MUST_NOT_BE_INT_MAX;
    }
    uint32_t existing = ledger__account_find(state, a->id);
    if (existing != LEDGER_INDEX_NONE) {
        return account_exists(a, &state->accounts[existing]);
    }
    uint16_t limits = LEDGER_ACCOUNT_DEBITS_MUST_NOT_EXCEED_CREDITS |
                      LEDGER_ACCOUNT_CREDITS_MUST_NOT_EXCEED_DEBITS;
    if ((a->flags & limits) == limits) {
        return LEDGER_ACCOUNT_FLAGS_ARE_MUTUALLY_EXCLUSIVE;
    }
    if (a->debits_pending != 0) {
        return LEDGER_ACCOUNT_DEBITS_PENDING_MUST_BE_ZERO;
    }
    if (a->debits_posted != 0) {
        return LEDGER_ACCOUNT_DEBITS_POSTED_MUST_BE_ZERO;
    }
    if (a->credits_pending != 0) {
        return LEDGER_ACCOUNT_CREDITS_PENDING_MUST_BE_ZERO;
    }
    if (a->credits_posted != 0) {
        return LEDGER_ACCOUNT_CREDITS_POSTED_MUST_BE_ZERO;
    }
    if (a->asset == 0) {
        return LEDGER_ACCOUNT_ASSET_MUST_NOT_BE_ZERO;
    }
    if (a->kind == 0 || a->kind > LEDGER_KIND_MAX) {
        return LEDGER_ACCOUNT_KIND_INVALID;
    }
    if (a->overdraft_limit != 0 &&
        (a->flags & LEDGER_ACCOUNT_DEBITS_MUST_NOT_EXCEED_CREDITS) == 0) {
        return LEDGER_ACCOUNT_OVERDRAFT_LIMIT_REQUIRES_DEBITS_MUST_NOT_EXCEED_CREDITS;
    }
    if (a->asset > state->asset_count) {
        return LEDGER_ACCOUNT_ASSET_NOT_FOUND;
    }
    return LEDGER_ACCOUNT_OK;
}

static void account_insert(struct ledger__state *state, const struct ledger_account *a,
                           uint64_t timestamp)
{
    uint32_t position = state->account_count++;
    TPW_ASSERT(position < state->account_capacity);
    struct ledger_account *stored = &state->accounts[position];
    *stored = *a;
    stored->flags &= (uint16_t)~LEDGER_ACCOUNT_LINKED;
    stored->timestamp = timestamp;
    ledger__account_dirty(state, position);
    ledger__index_insert(&state->account_index, a->id, position);
}

enum tpw_err ledger__state_load_account(struct ledger__state *state,
                                        const struct ledger_account *account)
{
    if (ledger__state_reserve(state, 1, 0) != TPW_OK) {
        return TPW_ERR_NOMEM;
    }
    if (ledger__account_find(state, account->id) != LEDGER_INDEX_NONE ||
        account->timestamp <=
            (state->account_count == 0 ? 0 : state->accounts[state->account_count - 1].timestamp)) {
        return TPW_ERR_STORE_CORRUPT;
    }
    uint32_t position = state->account_count++;
    state->accounts[position] = *account;
    ledger__index_insert(&state->account_index, account->id, position);
    return TPW_OK;
}

/* Undoes the accounts a failed chain created: they are the newest ones. */
static void accounts_truncate(struct ledger__state *state, uint32_t count)
{
    while (state->account_count > count) {
        uint32_t position = state->account_count - 1;
        ledger__index_remove(&state->account_index, state->accounts[position].id, state->accounts,
                             sizeof *state->accounts);
        state->account_count--;
    }
}

void ledger__state_create_accounts(struct ledger__state *state,
                                   const struct ledger_account *accounts, size_t count,
                                   uint64_t last_timestamp, enum ledger_account_result *results)
{
    TPW_ASSERT(count > 0 && last_timestamp >= state->last_timestamp + count);
    uint64_t first = last_timestamp - count + 1;
    ledger__expiry_sweep(state, first);
    size_t chain_start = 0;
    uint32_t chain_accounts = state->account_count;
    bool chain_failed = false;
    for (size_t i = 0; i < count; i++) {
        const struct ledger_account *a = &accounts[i];
        bool linked = (a->flags & LEDGER_ACCOUNT_LINKED) != 0;
        enum ledger_account_result result = LEDGER_ACCOUNT_LINKED_EVENT_FAILED;
        if (!chain_failed) {
            result = (linked && i + 1 == count) ? LEDGER_ACCOUNT_LINKED_EVENT_CHAIN_OPEN
                                                : account_validate(state, a);
        }
        if (result == LEDGER_ACCOUNT_OK) {
            account_insert(state, a, first + i);
        }
        results[i] = result;
        if (result != LEDGER_ACCOUNT_OK && result != LEDGER_ACCOUNT_EXISTS && !chain_failed) {
            chain_failed = true;
            accounts_truncate(state, chain_accounts);
            for (size_t j = chain_start; j < i; j++) {
                results[j] = LEDGER_ACCOUNT_LINKED_EVENT_FAILED;
            }
        }
        if (!linked) {
            chain_start = i + 1;
            chain_accounts = state->account_count;
            chain_failed = false;
        }
    }
    state->last_timestamp = last_timestamp;
}
