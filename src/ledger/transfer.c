/*
 * One transfer through the state machine: validation in the documented precedence
 * (docs/ledger.md), idempotency against the stored record, the balance plan, and its
 * application with every mutation logged for a chain's rollback.
 *
 * Each check is a function returning the first result that applies, in the order of
 * the result table; nothing is written until every check has passed, so a failing
 * transfer never touches the state.
 */
#include <string.h>

#include "ledger_int.h"
#include "tpwallet/money.h"
#include "tpw_assert.h"

#include "banned.h"

#define FLAGS_TWO_PHASE                                                                            \
    (LEDGER_TRANSFER_PENDING | LEDGER_TRANSFER_POST_PENDING | LEDGER_TRANSFER_VOID_PENDING)
#define FLAGS_RESOLVE (LEDGER_TRANSFER_POST_PENDING | LEDGER_TRANSFER_VOID_PENDING)
#define FLAGS_BALANCING (LEDGER_TRANSFER_BALANCING_DEBIT | LEDGER_TRANSFER_BALANCING_CREDIT)
#define FLAGS_CLOSING (LEDGER_TRANSFER_CLOSING_DEBIT | LEDGER_TRANSFER_CLOSING_CREDIT)
#define NS_PER_S 1000000000ull

/* What a valid transfer will do, computed before anything is written. */
struct plan {
    uint32_t debit; /* account positions */
    uint32_t credit;
    uint32_t pending; /* active-window position of the pending transfer a post or void resolves */
    struct ledger_transfer pending_record;
    tpw_u128 amount; /* moved: posted, held, or (void) released */
    uint64_t expires_at;
    struct ledger_account new_debit;
    struct ledger_account new_credit;
};

static bool has(const struct ledger_transfer *t, unsigned flags)
{
    return (t->flags & flags) != 0;
}

static tpw_u128 add_saturating(tpw_u128 a, tpw_u128 b)
{
    tpw_u128 sum = a + b;
    return sum < a ? TPW_U128_MAX : sum;
}

static tpw_u128 sub_floor(tpw_u128 a, tpw_u128 b)
{
    return a > b ? a - b : 0;
}

static bool reserved_zero(const struct ledger_transfer *t)
{
    for (size_t i = 0; i < sizeof t->reserved; i++) {
        if (t->reserved[i] != 0) {
            return false;
        }
    }
    return true;
}

static enum ledger_transfer_result check_framing(const struct ledger_transfer *t)
{
    if (t->timestamp != 0) {
        return LEDGER_TRANSFER_TIMESTAMP_MUST_BE_ZERO;
    }
    if ((t->flags & ~LEDGER_TRANSFER_FLAGS_ALL) != 0) {
        return LEDGER_TRANSFER_RESERVED_FLAG;
    }
    if (!reserved_zero(t)) {
        return LEDGER_TRANSFER_RESERVED_FIELD;
    }
    if (t->id == 0) {
        return LEDGER_TRANSFER_ID_MUST_NOT_BE_ZERO;
    }
    if (t->id == LEDGER_ID_MAX) {
        return LEDGER_TRANSFER_ID_MUST_NOT_BE_INT_MAX;
    }
    return LEDGER_TRANSFER_OK;
}

/* A field the command left at 0 in a post or void is inherited, so it matches. */
static bool inherited_match(const struct ledger_transfer *t, tpw_u128 given, tpw_u128 stored)
{
    return (has(t, FLAGS_RESOLVE) && given == 0) || given == stored;
}

static bool amount_matches(const struct ledger_transfer *t, const struct ledger_transfer *e)
{
    if (has(t, FLAGS_BALANCING)) {
        return t->amount == 0 || t->amount >= e->amount;
    }
    if (has(t, FLAGS_RESOLVE)) {
        return t->amount == 0 || t->amount == e->amount;
    }
    return t->amount == e->amount;
}

static enum ledger_transfer_result check_exists(const struct ledger_transfer *t,
                                                const struct ledger_transfer *e)
{
    uint16_t compared = (uint16_t)~LEDGER_TRANSFER_LINKED;
    if ((t->flags & compared) != (e->flags & compared)) {
        return LEDGER_TRANSFER_EXISTS_WITH_DIFFERENT_FLAGS;
    }
    if (t->pending_id != e->pending_id) {
        return LEDGER_TRANSFER_EXISTS_WITH_DIFFERENT_PENDING_ID;
    }
    if (t->timeout_s != e->timeout_s) {
        return LEDGER_TRANSFER_EXISTS_WITH_DIFFERENT_TIMEOUT;
    }
    if (!inherited_match(t, t->debit_account_id, e->debit_account_id)) {
        return LEDGER_TRANSFER_EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID;
    }
    if (!inherited_match(t, t->credit_account_id, e->credit_account_id)) {
        return LEDGER_TRANSFER_EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID;
    }
    if (!amount_matches(t, e)) {
        return LEDGER_TRANSFER_EXISTS_WITH_DIFFERENT_AMOUNT;
    }
    if (t->user_data != e->user_data) {
        return LEDGER_TRANSFER_EXISTS_WITH_DIFFERENT_USER_DATA;
    }
    if (!inherited_match(t, t->asset, e->asset)) {
        return LEDGER_TRANSFER_EXISTS_WITH_DIFFERENT_ASSET;
    }
    if (!inherited_match(t, t->code, e->code)) {
        return LEDGER_TRANSFER_EXISTS_WITH_DIFFERENT_CODE;
    }
    return LEDGER_TRANSFER_EXISTS;
}

static enum ledger_transfer_result check_flags_and_accounts(const struct ledger_transfer *t)
{
    unsigned phases = (unsigned)__builtin_popcount(t->flags & FLAGS_TWO_PHASE);
    bool resolve = has(t, FLAGS_RESOLVE);
    if (phases > 1 || (resolve && has(t, FLAGS_BALANCING | FLAGS_CLOSING))) {
        return LEDGER_TRANSFER_FLAGS_ARE_MUTUALLY_EXCLUSIVE;
    }
    if (!(resolve && t->debit_account_id == 0)) {
        if (t->debit_account_id == 0) {
            return LEDGER_TRANSFER_DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO;
        }
        if (t->debit_account_id == LEDGER_ID_MAX) {
            return LEDGER_TRANSFER_DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX;
        }
    }
    if (!(resolve && t->credit_account_id == 0)) {
        if (t->credit_account_id == 0) {
            return LEDGER_TRANSFER_CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO;
        }
        if (t->credit_account_id == LEDGER_ID_MAX) {
            return LEDGER_TRANSFER_CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX;
        }
    }
    if (t->debit_account_id != 0 && t->debit_account_id == t->credit_account_id) {
        return LEDGER_TRANSFER_ACCOUNTS_MUST_BE_DIFFERENT;
    }
    return LEDGER_TRANSFER_OK;
}

static enum ledger_transfer_result check_command(const struct ledger_transfer *t)
{
    enum ledger_transfer_result result = check_flags_and_accounts(t);
    if (result != LEDGER_TRANSFER_OK) {
        return result;
    }
    bool resolve = has(t, FLAGS_RESOLVE);
    if (!resolve && t->pending_id != 0) {
        return LEDGER_TRANSFER_PENDING_ID_MUST_BE_ZERO;
    }
    if (resolve) {
        if (t->pending_id == 0) {
            return LEDGER_TRANSFER_PENDING_ID_MUST_NOT_BE_ZERO;
        }
        if (t->pending_id == LEDGER_ID_MAX) {
            return LEDGER_TRANSFER_PENDING_ID_MUST_NOT_BE_INT_MAX;
        }
        if (t->pending_id == t->id) {
            return LEDGER_TRANSFER_PENDING_ID_MUST_BE_DIFFERENT;
        }
    }
    if (t->timeout_s != 0 && !has(t, LEDGER_TRANSFER_PENDING)) {
        return LEDGER_TRANSFER_TIMEOUT_RESERVED_FOR_PENDING_TRANSFER;
    }
    if (has(t, FLAGS_CLOSING) && !has(t, LEDGER_TRANSFER_PENDING)) {
        return LEDGER_TRANSFER_CLOSING_TRANSFER_MUST_BE_PENDING;
    }
    if (t->amount == 0 && !has(t, FLAGS_BALANCING | FLAGS_RESOLVE)) {
        return LEDGER_TRANSFER_AMOUNT_MUST_NOT_BE_ZERO;
    }
    if (t->asset == 0 && !resolve) {
        return LEDGER_TRANSFER_ASSET_MUST_NOT_BE_ZERO;
    }
    if (t->code == 0 && !resolve) {
        return LEDGER_TRANSFER_CODE_MUST_NOT_BE_ZERO;
    }
    return LEDGER_TRANSFER_OK;
}

/* Results 34–37 for a transfer that names both accounts itself. */
static enum ledger_transfer_result resolve_accounts(const struct ledger__state *state,
                                                    const struct ledger_transfer *t,
                                                    struct plan *plan)
{
    plan->debit = ledger__account_find(state, t->debit_account_id);
    if (plan->debit == LEDGER_INDEX_NONE) {
        return LEDGER_TRANSFER_DEBIT_ACCOUNT_NOT_FOUND;
    }
    plan->credit = ledger__account_find(state, t->credit_account_id);
    if (plan->credit == LEDGER_INDEX_NONE) {
        return LEDGER_TRANSFER_CREDIT_ACCOUNT_NOT_FOUND;
    }
    const struct ledger_account *debit = &state->accounts[plan->debit];
    const struct ledger_account *credit = &state->accounts[plan->credit];
    if (debit->asset != credit->asset) {
        return LEDGER_TRANSFER_ACCOUNTS_MUST_HAVE_THE_SAME_ASSET;
    }
    if (t->asset != debit->asset) {
        return LEDGER_TRANSFER_TRANSFER_MUST_HAVE_THE_SAME_ASSET_AS_ACCOUNTS;
    }
    if ((debit->flags & LEDGER_ACCOUNT_CLOSED) != 0) {
        return LEDGER_TRANSFER_DEBIT_ACCOUNT_ALREADY_CLOSED;
    }
    if ((credit->flags & LEDGER_ACCOUNT_CLOSED) != 0) {
        return LEDGER_TRANSFER_CREDIT_ACCOUNT_ALREADY_CLOSED;
    }
    return LEDGER_TRANSFER_OK;
}

/* Results 40–45: a post or void must agree with the pending transfer it names. */
static enum ledger_transfer_result check_against_pending(const struct ledger_transfer *t,
                                                         const struct ledger_transfer *p)
{
    if (t->debit_account_id != 0 && t->debit_account_id != p->debit_account_id) {
        return LEDGER_TRANSFER_PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID;
    }
    if (t->credit_account_id != 0 && t->credit_account_id != p->credit_account_id) {
        return LEDGER_TRANSFER_PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID;
    }
    if (t->asset != 0 && t->asset != p->asset) {
        return LEDGER_TRANSFER_PENDING_TRANSFER_HAS_DIFFERENT_ASSET;
    }
    if (t->code != 0 && t->code != p->code) {
        return LEDGER_TRANSFER_PENDING_TRANSFER_HAS_DIFFERENT_CODE;
    }
    if (has(t, LEDGER_TRANSFER_POST_PENDING) && t->amount > p->amount) {
        return LEDGER_TRANSFER_EXCEEDS_PENDING_TRANSFER_AMOUNT;
    }
    if (has(t, LEDGER_TRANSFER_VOID_PENDING) && t->amount != 0 && t->amount != p->amount) {
        return LEDGER_TRANSFER_PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT;
    }
    return LEDGER_TRANSFER_OK;
}

/* Results 34–35 and 38–48 for a post or void. */
static enum ledger_transfer_result resolve_pending(const struct ledger__state *state,
                                                   const struct ledger_transfer *t,
                                                   uint64_t timestamp, struct plan *plan)
{
    if (t->debit_account_id != 0 &&
        ledger__account_find(state, t->debit_account_id) == LEDGER_INDEX_NONE) {
        return LEDGER_TRANSFER_DEBIT_ACCOUNT_NOT_FOUND;
    }
    if (t->credit_account_id != 0 &&
        ledger__account_find(state, t->credit_account_id) == LEDGER_INDEX_NONE) {
        return LEDGER_TRANSFER_CREDIT_ACCOUNT_NOT_FOUND;
    }
    struct ledger__lookup found;
    ledger__transfer_lookup(state, t->pending_id, &found);
    if (found.found != LEDGER_FOUND_TRANSFER) {
        return LEDGER_TRANSFER_PENDING_TRANSFER_NOT_FOUND;
    }
    plan->pending = found.position;
    plan->pending_record = found.transfer;
    const struct ledger_transfer *p = &plan->pending_record;
    const struct ledger__transfer_meta *meta = &found.meta;
    if ((p->flags & LEDGER_TRANSFER_PENDING) == 0) {
        return LEDGER_TRANSFER_PENDING_TRANSFER_NOT_PENDING;
    }
    enum ledger_transfer_result result = check_against_pending(t, p);
    if (result != LEDGER_TRANSFER_OK) {
        return result;
    }
    if (meta->state == LEDGER_PENDING_POSTED) {
        return LEDGER_TRANSFER_PENDING_TRANSFER_ALREADY_POSTED;
    }
    if (meta->state == LEDGER_PENDING_VOIDED) {
        return LEDGER_TRANSFER_PENDING_TRANSFER_ALREADY_VOIDED;
    }
    if (meta->state == LEDGER_PENDING_EXPIRED ||
        (meta->expires_at != 0 && timestamp >= meta->expires_at)) {
        return LEDGER_TRANSFER_PENDING_TRANSFER_EXPIRED;
    }
    /* Unresolved pending transfers are always in the active window (window.c). */
    TPW_ASSERT(meta->state == LEDGER_PENDING_PENDING && plan->pending != LEDGER_INDEX_NONE);
    plan->debit = ledger__account_find(state, p->debit_account_id);
    plan->credit = ledger__account_find(state, p->credit_account_id);
    TPW_ASSERT(plan->debit != LEDGER_INDEX_NONE && plan->credit != LEDGER_INDEX_NONE);
    plan->amount = p->amount;
    if (has(t, LEDGER_TRANSFER_POST_PENDING) && t->amount != 0) {
        plan->amount = t->amount;
    }
    return LEDGER_TRANSFER_OK;
}

/* Balancing: the most that can move without breaking the accounts' limits. */
static tpw_u128 balancing_amount(const struct ledger_transfer *t, const struct ledger_account *d,
                                 const struct ledger_account *c)
{
    tpw_u128 amount = t->amount == 0 ? TPW_U128_MAX : t->amount;
    if (has(t, LEDGER_TRANSFER_BALANCING_DEBIT)) {
        tpw_u128 room = add_saturating(d->credits_posted, d->overdraft_limit);
        room = sub_floor(room, add_saturating(d->debits_posted, d->debits_pending));
        amount = amount < room ? amount : room;
    }
    if (has(t, LEDGER_TRANSFER_BALANCING_CREDIT)) {
        tpw_u128 room =
            sub_floor(c->debits_posted, add_saturating(c->credits_posted, c->credits_pending));
        amount = amount < room ? amount : room;
    }
    return amount;
}

/* a + b into *sum unless it overflows. */
static bool add_checked(tpw_u128 a, tpw_u128 b, tpw_u128 *sum)
{
    return money_amount_add(a, b, sum) == TPW_OK;
}

/* Results 51–56: the new balances of both accounts, without wrapping. */
static enum ledger_transfer_result plan_balances(const struct ledger_transfer *t,
                                                 const struct ledger_transfer *pending,
                                                 struct plan *plan)
{
    struct ledger_account *d = &plan->new_debit;
    struct ledger_account *c = &plan->new_credit;
    if (pending != NULL) {
        /* A post or void first releases the whole hold; the pending amount is in it. */
        TPW_ASSERT(d->debits_pending >= pending->amount && c->credits_pending >= pending->amount);
        d->debits_pending -= pending->amount;
        c->credits_pending -= pending->amount;
    }
    if (has(t, LEDGER_TRANSFER_PENDING)) {
        if (!add_checked(d->debits_pending, plan->amount, &d->debits_pending)) {
            return LEDGER_TRANSFER_OVERFLOWS_DEBITS_PENDING;
        }
        if (!add_checked(c->credits_pending, plan->amount, &c->credits_pending)) {
            return LEDGER_TRANSFER_OVERFLOWS_CREDITS_PENDING;
        }
    } else if (!has(t, LEDGER_TRANSFER_VOID_PENDING)) {
        if (!add_checked(d->debits_posted, plan->amount, &d->debits_posted)) {
            return LEDGER_TRANSFER_OVERFLOWS_DEBITS_POSTED;
        }
        if (!add_checked(c->credits_posted, plan->amount, &c->credits_posted)) {
            return LEDGER_TRANSFER_OVERFLOWS_CREDITS_POSTED;
        }
    }
    tpw_u128 total = 0;
    if (!add_checked(d->debits_pending, d->debits_posted, &total)) {
        return LEDGER_TRANSFER_OVERFLOWS_DEBITS;
    }
    if (!add_checked(c->credits_pending, c->credits_posted, &total)) {
        return LEDGER_TRANSFER_OVERFLOWS_CREDITS;
    }
    return LEDGER_TRANSFER_OK;
}

/* Results 57–59. */
static enum ledger_transfer_result plan_limits(const struct ledger_transfer *t, uint64_t timestamp,
                                               struct plan *plan)
{
    if (t->timeout_s != 0) {
        uint64_t timeout_ns = (uint64_t)t->timeout_s * NS_PER_S;
        if (__builtin_add_overflow(timestamp, timeout_ns, &plan->expires_at)) {
            return LEDGER_TRANSFER_OVERFLOWS_TIMEOUT;
        }
    }
    const struct ledger_account *d = &plan->new_debit;
    const struct ledger_account *c = &plan->new_credit;
    if ((d->flags & LEDGER_ACCOUNT_DEBITS_MUST_NOT_EXCEED_CREDITS) != 0 &&
        d->debits_pending + d->debits_posted >
            add_saturating(d->credits_posted, d->overdraft_limit)) {
        return LEDGER_TRANSFER_EXCEEDS_CREDITS;
    }
    if ((c->flags & LEDGER_ACCOUNT_CREDITS_MUST_NOT_EXCEED_DEBITS) != 0 &&
        c->credits_pending + c->credits_posted > c->debits_posted) {
        return LEDGER_TRANSFER_EXCEEDS_DEBITS;
    }
    return LEDGER_TRANSFER_OK;
}

/* Everything that reads the state, in precedence order from result 34 on. */
static enum ledger_transfer_result plan_transfer(const struct ledger__state *state,
                                                 const struct ledger_transfer *t,
                                                 uint64_t timestamp, struct plan *plan)
{
    const struct ledger_transfer *pending = NULL;
    enum ledger_transfer_result result = LEDGER_TRANSFER_OK;
    if (has(t, FLAGS_RESOLVE)) {
        result = resolve_pending(state, t, timestamp, plan);
        pending = result == LEDGER_TRANSFER_OK ? &plan->pending_record : NULL;
    } else {
        result = resolve_accounts(state, t, plan);
    }
    if (result != LEDGER_TRANSFER_OK) {
        return result;
    }
    plan->new_debit = state->accounts[plan->debit];
    plan->new_credit = state->accounts[plan->credit];
    if (pending == NULL) {
        plan->amount = has(t, FLAGS_BALANCING)
                           ? balancing_amount(t, &plan->new_debit, &plan->new_credit)
                           : t->amount;
    }
    result = plan_balances(t, pending, plan);
    return result != LEDGER_TRANSFER_OK ? result : plan_limits(t, timestamp, plan);
}

/* Closing flags close accounts while pending; a void or an expiry reopens them. */
static void apply_closing(struct plan *plan, uint16_t flags, bool close)
{
    uint16_t closed = LEDGER_ACCOUNT_CLOSED;
    if ((flags & LEDGER_TRANSFER_CLOSING_DEBIT) != 0) {
        plan->new_debit.flags = close ? (uint16_t)(plan->new_debit.flags | closed)
                                      : (uint16_t)(plan->new_debit.flags & ~closed);
    }
    if ((flags & LEDGER_TRANSFER_CLOSING_CREDIT) != 0) {
        plan->new_credit.flags = close ? (uint16_t)(plan->new_credit.flags | closed)
                                       : (uint16_t)(plan->new_credit.flags & ~closed);
    }
}

static void resolve_meta(struct ledger__state *state, const struct ledger_transfer *t,
                         struct plan *plan, uint64_t timestamp)
{
    struct ledger__transfer_meta *meta = &state->active->metas[plan->pending];
    if (has(t, LEDGER_TRANSFER_LINKED)) {
        ledger__undo_meta(state, plan->pending);
    }
    meta->state =
        has(t, LEDGER_TRANSFER_POST_PENDING) ? LEDGER_PENDING_POSTED : LEDGER_PENDING_VOIDED;
    meta->resolved_at = timestamp;
    TPW_ASSERT(state->pending_count > 0);
    state->pending_count--;
    if (has(t, LEDGER_TRANSFER_VOID_PENDING)) {
        apply_closing(plan, plan->pending_record.flags, false);
    }
}

/* The stored record: what happened, with a post's or void's inherited fields filled. */
static struct ledger_transfer stored_record(const struct ledger_transfer *t,
                                            const struct plan *plan, uint64_t timestamp)
{
    struct ledger_transfer record = *t;
    record.timestamp = timestamp;
    record.amount = plan->amount;
    if (has(t, FLAGS_RESOLVE)) {
        const struct ledger_transfer *p = &plan->pending_record;
        record.debit_account_id = p->debit_account_id;
        record.credit_account_id = p->credit_account_id;
        record.asset = p->asset;
        record.code = p->code;
    }
    return record;
}

static void commit(struct ledger__state *state, const struct ledger_transfer *t, struct plan *plan,
                   uint64_t timestamp)
{
    struct ledger__window *window = state->active;
    uint32_t position = window->transfer_count;
    TPW_ASSERT(position < window->transfer_capacity);
    window->transfers[position] = stored_record(t, plan, timestamp);
    struct ledger__transfer_meta meta = {0};
    if (has(t, LEDGER_TRANSFER_PENDING)) {
        meta.state = LEDGER_PENDING_PENDING;
        meta.expires_at = plan->expires_at;
        state->pending_count++;
        apply_closing(plan, t->flags, true);
    } else if (has(t, FLAGS_RESOLVE)) {
        resolve_meta(state, t, plan, timestamp);
    }
    window->metas[position] = meta;
    window->parties[position] = (struct ledger__parties){plan->debit, plan->credit};
    window->transfer_count++;
    state->transfer_total++;
    ledger__index_insert(&window->transfer_index, t->id, position);
    if (has(t, LEDGER_TRANSFER_LINKED)) {
        /* Only a chain that goes on can still fail after this transfer commits: an
         * unlinked transfer (or a chain's last member) settles it. */
        ledger__undo_account(state, plan->debit);
        ledger__undo_account(state, plan->credit);
    }
    ledger__account_dirty(state, plan->debit);
    ledger__account_dirty(state, plan->credit);
    state->accounts[plan->debit] = plan->new_debit;
    state->accounts[plan->credit] = plan->new_credit;
    if (meta.expires_at != 0) {
        ledger__expiry_push_reserved(state, t->id, meta.expires_at, position);
    }
    if (state->observer != NULL) {
        state->observer->committed(state->observer->ctx, state, position);
    }
}

enum ledger_transfer_result ledger__transfer_apply(struct ledger__state *state,
                                                   const struct ledger_transfer *t,
                                                   uint64_t timestamp)
{
    enum ledger_transfer_result result = check_framing(t);
    if (result != LEDGER_TRANSFER_OK) {
        return result;
    }
    struct ledger__lookup existing;
    ledger__transfer_lookup(state, t->id, &existing);
    if (existing.found == LEDGER_FOUND_TRANSFER) {
        return check_exists(t, &existing.transfer);
    }
    if (existing.found == LEDGER_FOUND_FAILURE) {
        return LEDGER_TRANSFER_ID_ALREADY_FAILED;
    }
    result = check_command(t);
    if (result != LEDGER_TRANSFER_OK) {
        return result;
    }
    /* The three records in the plan are written before they are read (plan_transfer
     * copies the accounts, resolve_pending the pending transfer), so only the scalars
     * start at zero: clearing ~450 bytes per transfer showed in profiles. */
    struct plan plan;
    plan.debit = 0;
    plan.credit = 0;
    plan.pending = LEDGER_INDEX_NONE;
    plan.amount = 0;
    plan.expires_at = 0;
    result = plan_transfer(state, t, timestamp, &plan);
    if (result != LEDGER_TRANSFER_OK) {
        return result;
    }
    commit(state, t, &plan, timestamp);
    return LEDGER_TRANSFER_OK;
}

/* ---- the batch driver ------------------------------------------------------------------ */

static void pin_failure(struct ledger__state *state, tpw_u128 id,
                        enum ledger_transfer_result result, uint64_t timestamp)
{
    struct ledger__window *window = state->active;
    uint32_t position = window->failure_count++;
    TPW_ASSERT(position < window->failure_capacity);
    window->failures[position] =
        (struct ledger__failure){.id = id, .timestamp = timestamp, .result = (uint32_t)result};
    ledger__index_insert(&window->failure_index, id, position);
    state->failure_total++;
}

/* Where a chain started, so a failure can put everything back. */
struct chain {
    size_t start;
    uint32_t transfer_count;
    uint64_t pending_count;
    bool failed;
};

static void chain_begin(const struct ledger__state *state, struct chain *chain, size_t start)
{
    chain->start = start;
    chain->transfer_count = state->active->transfer_count;
    chain->pending_count = state->pending_count;
    chain->failed = false;
}

static void chain_rollback(struct ledger__state *state, const struct chain *chain)
{
    ledger__undo_rollback(state, 0);
    struct ledger__window *window = state->active;
    while (window->transfer_count > chain->transfer_count) {
        uint32_t position = window->transfer_count - 1;
        ledger__index_remove(&window->transfer_index, window->transfers[position].id,
                             window->transfers, sizeof *window->transfers);
        window->transfer_count--;
        state->transfer_total--;
    }
    state->pending_count = chain->pending_count;
}

static void chain_fail(struct ledger__state *state, struct chain *chain,
                       enum ledger_transfer_result *results, size_t failed_at)
{
    chain->failed = true;
    chain_rollback(state, chain);
    for (size_t j = chain->start; j < failed_at; j++) {
        results[j] = LEDGER_TRANSFER_LINKED_EVENT_FAILED;
    }
}

/*
 * Lookups are cache misses into tables much larger than the cache, one after another.
 * Hinting the slots a transfer's lookups will probe some transfers ahead, and the
 * account records once those slots have arrived, lets the misses of several transfers
 * overlap. Distances in transfers; the records' must be the smaller.
 */
#define PREFETCH_SLOTS_AHEAD 16u
#define PREFETCH_RECORDS_AHEAD 8u

static void prefetch_slots(const struct ledger__state *state, const struct ledger_transfer *t)
{
    ledger__index_prefetch(&state->account_index, t->debit_account_id);
    ledger__index_prefetch(&state->account_index, t->credit_account_id);
    ledger__index_prefetch(&state->active->transfer_index, t->id);
    if (state->frozen != NULL) {
        ledger__index_prefetch(&state->frozen->transfer_index, t->id);
    }
}

static void prefetch_records(const struct ledger__state *state, const struct ledger_transfer *t)
{
    ledger__index_prefetch_record(&state->account_index, t->debit_account_id, state->accounts,
                                  sizeof *state->accounts);
    ledger__index_prefetch_record(&state->account_index, t->credit_account_id, state->accounts,
                                  sizeof *state->accounts);
}

void ledger__state_create_transfers(struct ledger__state *state,
                                    const struct ledger_transfer *transfers, size_t count,
                                    uint64_t last_timestamp, enum ledger_transfer_result *results)
{
    TPW_ASSERT(count > 0 && last_timestamp >= state->last_timestamp + count);
    uint64_t first = last_timestamp - count + 1;
    ledger__expiry_sweep(state, first);
    struct chain chain = {0};
    chain_begin(state, &chain, 0);
    for (size_t i = 0; i < count; i++) {
        if (i + PREFETCH_SLOTS_AHEAD < count) {
            prefetch_slots(state, &transfers[i + PREFETCH_SLOTS_AHEAD]);
        }
        if (i + PREFETCH_RECORDS_AHEAD < count) {
            prefetch_records(state, &transfers[i + PREFETCH_RECORDS_AHEAD]);
        }
        const struct ledger_transfer *t = &transfers[i];
        bool linked = has(t, LEDGER_TRANSFER_LINKED);
        enum ledger_transfer_result result = LEDGER_TRANSFER_LINKED_EVENT_FAILED;
        if (!chain.failed) {
            result = (linked && i + 1 == count) ? LEDGER_TRANSFER_LINKED_EVENT_CHAIN_OPEN
                                                : ledger__transfer_apply(state, t, first + i);
        }
        results[i] = result;
        if (!chain.failed && result != LEDGER_TRANSFER_OK && result != LEDGER_TRANSFER_EXISTS) {
            if (ledger_transfer_result_is_transient(result)) {
                pin_failure(state, t->id, result, first + i);
            }
            chain_fail(state, &chain, results, i);
        }
        if (!linked) {
            state->undo_count = 0; /* the chain is settled either way */
            chain_begin(state, &chain, i + 1);
        }
    }
    state->last_timestamp = last_timestamp;
}
