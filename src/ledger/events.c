/*
 * The event cursor (ledger.h, "Events"): the journal followed by a tail reader
 * (journal_read.c) and replayed through the state machine in a private state.
 *
 * Why a replay: the journal holds commands, not results, and a command's result
 * depends on everything before it (ids already used or pinned, balances, pending
 * transfers). Running each record through ledger__record_apply — the function recovery
 * uses — gives exactly the results the writer returned. The observer hooks
 * (ledger_int.h) report what the records did while they are applied: the balances
 * right after each committed transfer, and the pending transfers an expiry sweep
 * released. Before the record holding the id to resume after, no hook is set, so the
 * catch-up costs what a replay costs.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "ledger_int.h"
#include "tpw_assert.h"

#include "banned.h"

/* The queue of one record's events grows by doubling from this many. It holds at most
 * the record's commands (LEDGER_BATCH_MAX) plus the pending transfers its sweep
 * released, which the state bounds (positions are 32-bit). */
#define EVENTS_QUEUE_MIN 64u

/* The balances right after one committed transfer of the batch being applied. */
struct committed_balances {
    struct ledger_balance debit;
    struct ledger_balance credit;
};

struct ledger_events {
    struct ledger__state state; /* the private replay: no store, no checkpoints */
    struct ledger__observer observer;
    struct journal_tail *tail;
    struct ledger_transfer *scratch;      /* LEDGER_BATCH_MAX, 16-byte aligned */
    enum ledger_transfer_result *results; /* LEDGER_BATCH_MAX */
    /* LEDGER_BATCH_MAX, indexed by active-window position − committed_base. */
    struct committed_balances *committed;
    uint32_t committed_base; /* the active window's transfer count before the record */
    uint64_t sequence;       /* the record being (or last) applied */
    uint64_t record_slots;   /* its event positions: expiries + commands */
    /* The events of the last record applied, in id order; queue_next is the first not
     * yet looked at. */
    struct ledger_event *queue;
    size_t queue_count;
    size_t queue_capacity;
    size_t queue_next;
    bool queue_nomem;             /* a hook could not grow the queue */
    struct ledger_event_id after; /* only events after it are returned */
    enum tpw_err failed;          /* sticky: the first error next() returned */
    struct tpw_error_detail failed_detail;
};

/* ---- ids ------------------------------------------------------------------------------ */

static enum tpw_err id_invalid(struct tpw_error_detail *detail, size_t offset, const char *why)
{
    return tpw_error_set(detail, TPW_ERR_LEDGER_EVENT_ID_INVALID, offset,
                         "malformed event id: %s at offset %zu (the form is "
                         "<sequence>-<index>, in decimal)",
                         why, offset);
}

/* One decimal part from text[*at] on; *at is left after its last digit. */
static enum tpw_err id_part_parse(const char *text, size_t length, size_t *at, uint64_t *out,
                                  struct tpw_error_detail *detail)
{
    size_t start = *at;
    uint64_t value = 0;
    while (*at < length && text[*at] >= '0' && text[*at] <= '9') {
        uint64_t digit = (uint64_t)(text[*at] - '0');
        if (value > (UINT64_MAX - digit) / 10u) {
            return id_invalid(detail, start, "a number above 2^64-1");
        }
        value = value * 10u + digit;
        (*at)++;
    }
    if (*at == start) {
        return id_invalid(detail, start, "a digit expected");
    }
    if (*at - start > 1 && text[start] == '0') {
        return id_invalid(detail, start, "a leading zero");
    }
    *out = value;
    return TPW_OK;
}

enum tpw_err ledger_event_id_parse(const char *text, size_t length, struct ledger_event_id *out,
                                   struct tpw_error_detail *detail)
{
    if (text == NULL || length == 0) {
        return id_invalid(detail, 0, "empty");
    }
    size_t at = 0;
    struct ledger_event_id id = {0, 0};
    enum tpw_err err = id_part_parse(text, length, &at, &id.sequence, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (at == length || text[at] != '-') {
        return id_invalid(detail, at, "'-' expected");
    }
    at++;
    err = id_part_parse(text, length, &at, &id.index, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (at != length) {
        return id_invalid(detail, at, "unexpected character");
    }
    *out = id;
    return TPW_OK;
}

size_t ledger_event_id_format(struct ledger_event_id id, char out[LEDGER_EVENT_ID_TEXT_SIZE])
{
    int n = snprintf(out, LEDGER_EVENT_ID_TEXT_SIZE, "%" PRIu64 "-%" PRIu64, id.sequence, id.index);
    TPW_ASSERT(n > 0 && n < LEDGER_EVENT_ID_TEXT_SIZE);
    return (size_t)n;
}

int ledger_event_id_compare(struct ledger_event_id a, struct ledger_event_id b)
{
    if (a.sequence != b.sequence) {
        return a.sequence < b.sequence ? -1 : 1;
    }
    return (a.index > b.index) - (a.index < b.index);
}

const char *ledger_event_kind_name(enum ledger_event_kind kind)
{
    switch (kind) {
    case LEDGER_EVENT_ASSET_DEFINED:
        return "asset_defined";
    case LEDGER_EVENT_ACCOUNT_CREATED:
        return "account_created";
    case LEDGER_EVENT_TRANSFER_APPLIED:
        return "transfer_applied";
    case LEDGER_EVENT_PENDING_EXPIRED:
        return "pending_expired";
    default:
        return NULL;
    }
}

/* ---- the hooks -------------------------------------------------------------------------- */

static struct ledger_balance balance_of(const struct ledger_account *account, uint64_t timestamp)
{
    return (struct ledger_balance){
        .timestamp = timestamp,
        .debits_pending = account->debits_pending,
        .debits_posted = account->debits_posted,
        .credits_pending = account->credits_pending,
        .credits_posted = account->credits_posted,
    };
}

/* A zeroed event at the end of the queue; NULL when out of memory. */
static struct ledger_event *queue_push(struct ledger_events *cursor)
{
    if (cursor->queue_count == cursor->queue_capacity) {
        size_t grown = cursor->queue_capacity == 0 ? EVENTS_QUEUE_MIN : 2 * cursor->queue_capacity;
        struct ledger_event *bigger = realloc(cursor->queue, grown * sizeof *bigger);
        if (bigger == NULL) {
            cursor->queue_nomem = true;
            return NULL;
        }
        cursor->queue = bigger;
        cursor->queue_capacity = grown;
    }
    struct ledger_event *event = &cursor->queue[cursor->queue_count++];
    memset(event, 0, sizeof *event);
    return event;
}

static void on_committed(void *ctx, const struct ledger__state *state, uint32_t position)
{
    struct ledger_events *cursor = ctx;
    const struct ledger__window *window = state->active;
    TPW_ASSERT(position >= cursor->committed_base);
    TPW_ASSERT(position - cursor->committed_base < LEDGER_BATCH_MAX);
    TPW_ASSERT(position < window->transfer_count);
    const struct ledger__parties *parties = &window->parties[position];
    uint64_t timestamp = window->transfers[position].timestamp;
    cursor->committed[position - cursor->committed_base] = (struct committed_balances){
        .debit = balance_of(&state->accounts[parties->debit], timestamp),
        .credit = balance_of(&state->accounts[parties->credit], timestamp),
    };
}

/* Expiries come from the sweep that runs before a record's commands, so they are the
 * first events of the record and their positions are their places in the queue. */
static void on_expired(void *ctx, const struct ledger__state *state, uint32_t position)
{
    struct ledger_events *cursor = ctx;
    const struct ledger__window *window = state->active;
    const struct ledger_transfer *pending = &window->transfers[position];
    TPW_ASSERT(window->metas[position].state == LEDGER_PENDING_EXPIRED);
    uint32_t debit = ledger__account_find(state, pending->debit_account_id);
    uint32_t credit = ledger__account_find(state, pending->credit_account_id);
    TPW_ASSERT(debit != LEDGER_INDEX_NONE && credit != LEDGER_INDEX_NONE);
    struct ledger_event *event = queue_push(cursor);
    if (event == NULL) {
        return; /* reported after the record (queue_nomem) */
    }
    uint64_t timestamp = window->metas[position].resolved_at;
    event->id = (struct ledger_event_id){cursor->sequence, cursor->queue_count - 1};
    event->kind = LEDGER_EVENT_PENDING_EXPIRED;
    event->timestamp = timestamp;
    event->transfer = *pending;
    event->debit_balance = balance_of(&state->accounts[debit], timestamp);
    event->credit_balance = balance_of(&state->accounts[credit], timestamp);
}

/* ---- one record's events ------------------------------------------------------------------ */

static struct ledger_event *command_event(struct ledger_events *cursor, uint64_t expired,
                                          size_t command_index, enum ledger_event_kind kind)
{
    struct ledger_event *event = queue_push(cursor);
    if (event != NULL) {
        event->id = (struct ledger_event_id){cursor->sequence, expired + command_index};
        event->kind = kind;
    }
    return event;
}

static void queue_assets(struct ledger_events *cursor, const struct journal_record *record,
                         uint32_t assets_before, uint64_t expired)
{
    const struct ledger__state *state = &cursor->state;
    TPW_ASSERT(state->asset_count == assets_before + record->item_count);
    uint64_t first = record->timestamp - record->item_count + 1;
    for (uint32_t i = 0; i < record->item_count; i++) {
        struct ledger_event *event = command_event(cursor, expired, i, LEDGER_EVENT_ASSET_DEFINED);
        if (event == NULL) {
            return;
        }
        event->timestamp = first + i;
        event->asset = state->assets[assets_before + i];
    }
}

/* Accounts that were created are the newest ones, in command order: a failed chain
 * removes its own from the end. */
static void queue_accounts(struct ledger_events *cursor, const struct journal_record *record,
                           uint32_t accounts_before, uint64_t expired)
{
    const struct ledger__state *state = &cursor->state;
    const enum ledger_account_result *results = (const void *)cursor->results;
    const struct ledger_account *commands = (const void *)cursor->scratch;
    uint32_t position = accounts_before;
    for (uint32_t i = 0; i < record->item_count; i++) {
        if (results[i] != LEDGER_ACCOUNT_OK) {
            continue;
        }
        TPW_ASSERT(position < state->account_count);
        TPW_ASSERT(state->accounts[position].id == commands[i].id);
        struct ledger_event *event =
            command_event(cursor, expired, i, LEDGER_EVENT_ACCOUNT_CREATED);
        if (event == NULL) {
            return;
        }
        event->account = state->accounts[position++];
        event->timestamp = event->account.timestamp;
    }
    TPW_ASSERT(position == state->account_count);
}

/* Committed transfers are appended to the active window in command order, and a chain
 * that fails truncates its own, so the window's new transfers are the `ok` commands. */
static void queue_transfers(struct ledger_events *cursor, const struct journal_record *record,
                            uint64_t expired)
{
    const struct ledger__window *window = cursor->state.active;
    uint32_t position = cursor->committed_base;
    for (uint32_t i = 0; i < record->item_count; i++) {
        if (cursor->results[i] != LEDGER_TRANSFER_OK) {
            continue;
        }
        TPW_ASSERT(position < window->transfer_count);
        TPW_ASSERT(window->transfers[position].id == cursor->scratch[i].id);
        struct ledger_event *event =
            command_event(cursor, expired, i, LEDGER_EVENT_TRANSFER_APPLIED);
        if (event == NULL) {
            return;
        }
        const struct committed_balances *balances =
            &cursor->committed[position - cursor->committed_base];
        event->transfer = window->transfers[position++];
        event->timestamp = event->transfer.timestamp;
        TPW_ASSERT(balances->debit.timestamp == event->timestamp);
        event->debit_balance = balances->debit;
        event->credit_balance = balances->credit;
    }
    TPW_ASSERT(position == window->transfer_count);
}

/* Applies one record; `observe` also builds its events (in the queue, replacing the
 * previous record's). */
static enum tpw_err cursor_apply(struct ledger_events *cursor, const struct journal_record *record,
                                 bool observe, struct tpw_error_detail *detail)
{
    struct ledger__state *state = &cursor->state;
    TPW_ASSERT(record->sequence == cursor->sequence + 1);
    cursor->queue_count = 0;
    cursor->queue_next = 0;
    cursor->queue_nomem = false;
    cursor->sequence = record->sequence;
    cursor->committed_base = state->active->transfer_count;
    uint32_t assets_before = state->asset_count;
    uint32_t accounts_before = state->account_count;
    state->observer = observe ? &cursor->observer : NULL;
    enum tpw_err err =
        ledger__record_apply(state, record, cursor->scratch, cursor->results, detail);
    state->observer = NULL;
    if (err != TPW_OK || !observe) {
        return err;
    }
    uint64_t expired = cursor->queue_count;
    cursor->record_slots = expired + record->item_count;
    if (record->type == JOURNAL_RECORD_ASSETS) {
        queue_assets(cursor, record, assets_before, expired);
    } else if (record->type == JOURNAL_RECORD_ACCOUNTS) {
        queue_accounts(cursor, record, accounts_before, expired);
    } else {
        queue_transfers(cursor, record, expired);
    }
    if (cursor->queue_nomem) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0,
                             "out of memory for the events of journal record %" PRIu64,
                             record->sequence);
    }
    return TPW_OK;
}

/* ---- opening: the replay up to the record of the id resumed after -------------------------- */

static enum tpw_err catch_up(struct ledger_events *cursor, struct tpw_error_detail *detail)
{
    const struct ledger_event_id after = cursor->after;
    char text[LEDGER_EVENT_ID_TEXT_SIZE];
    (void)ledger_event_id_format(after, text);
    TPW_ASSERT(after.sequence > 0);
    for (;;) {
        struct journal_record record;
        bool found = false;
        enum tpw_err err = journal_tail_next(cursor->tail, &record, &found, detail);
        if (err != TPW_OK) {
            return err;
        }
        if (!found) {
            return tpw_error_set(detail, TPW_ERR_LEDGER_EVENT_ID_FUTURE, 0,
                                 "event id %s is beyond the end of the journal (its last "
                                 "complete record is %" PRIu64 ")",
                                 text, cursor->sequence);
        }
        bool holds_after = record.sequence == after.sequence;
        err = cursor_apply(cursor, &record, holds_after, detail);
        if (err != TPW_OK) {
            return err;
        }
        if (!holds_after) {
            continue;
        }
        if (after.index >= cursor->record_slots) {
            return tpw_error_set(detail, TPW_ERR_LEDGER_EVENT_ID_UNKNOWN, 0,
                                 "event id %s names no event: journal record %" PRIu64
                                 " has positions 0 to %" PRIu64,
                                 text, after.sequence, cursor->record_slots - 1);
        }
        return TPW_OK;
    }
}

/* A cursor with its private state and buffers, reading nothing yet. */
static enum tpw_err cursor_create(struct ledger_event_id after, struct ledger_events **out,
                                  struct tpw_error_detail *detail)
{
    *out = NULL;
    if (sodium_init() < 0) {
        return tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "libsodium failed to initialize");
    }
    struct ledger_events *cursor = calloc(1, sizeof *cursor);
    if (cursor == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for an event cursor");
    }
    uint64_t seed = 0;
    randombytes_buf(&seed, sizeof seed); /* the indexes' keyed hash: ids are clients' */
    enum tpw_err err = ledger__state_init(&cursor->state, seed);
    cursor->scratch = aligned_alloc(16, LEDGER_BATCH_MAX * sizeof *cursor->scratch);
    cursor->results = calloc(LEDGER_BATCH_MAX, sizeof *cursor->results);
    cursor->committed = calloc(LEDGER_BATCH_MAX, sizeof *cursor->committed);
    cursor->observer = (struct ledger__observer){on_committed, on_expired, cursor};
    cursor->after = after;
    if (err != TPW_OK || cursor->scratch == NULL || cursor->results == NULL ||
        cursor->committed == NULL) {
        ledger_events_close(cursor);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for an event cursor");
    }
    *out = cursor;
    return TPW_OK;
}

enum tpw_err ledger_events_open(const char *data_dir, const struct ledger_event_id *after,
                                struct ledger_events **out, struct tpw_error_detail *detail)
{
    *out = NULL;
    struct ledger_event_id from = after != NULL ? *after : (struct ledger_event_id){0, 0};
    if (from.sequence == 0 && from.index != 0) {
        return tpw_error_set(detail, TPW_ERR_LEDGER_EVENT_ID_UNKNOWN, 0,
                             "event id 0-%" PRIu64 " names no event: sequence 0 holds none "
                             "(0-0 is the start)",
                             from.index);
    }
    char journal_dir[LEDGER_PATH_MAX];
    enum tpw_err err = ledger__journal_dir(data_dir, journal_dir, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct ledger_events *cursor = NULL;
    err = cursor_create(from, &cursor, detail);
    if (err != TPW_OK) {
        return err;
    }
    TPW_ASSERT(cursor != NULL);
    err = journal_tail_open(journal_dir, &cursor->tail, detail);
    if (err == TPW_OK && from.sequence > 0) {
        err = catch_up(cursor, detail);
    }
    if (err != TPW_OK) {
        ledger_events_close(cursor);
        return err;
    }
    *out = cursor;
    return TPW_OK;
}

/* ---- reading ----------------------------------------------------------------------------- */

static enum tpw_err cursor_next(struct ledger_events *cursor, struct ledger_event *event,
                                bool *found, struct tpw_error_detail *detail)
{
    for (;;) {
        while (cursor->queue_next < cursor->queue_count) {
            const struct ledger_event *candidate = &cursor->queue[cursor->queue_next++];
            if (ledger_event_id_compare(candidate->id, cursor->after) > 0) {
                *event = *candidate;
                *found = true;
                return TPW_OK;
            }
        }
        struct journal_record record;
        bool more = false;
        enum tpw_err err = journal_tail_next(cursor->tail, &record, &more, detail);
        if (err != TPW_OK || !more) {
            return err;
        }
        err = cursor_apply(cursor, &record, true, detail);
        if (err != TPW_OK) {
            return err;
        }
    }
}

enum tpw_err ledger_events_next(struct ledger_events *cursor, struct ledger_event *event,
                                bool *found, struct tpw_error_detail *detail)
{
    *found = false;
    if (cursor->failed == TPW_OK) {
        tpw_error_detail_reset(&cursor->failed_detail);
        cursor->failed = cursor_next(cursor, event, found, &cursor->failed_detail);
    }
    if (cursor->failed != TPW_OK && detail != NULL) {
        *detail = cursor->failed_detail;
    }
    return cursor->failed;
}

enum tpw_err ledger_events_asset_get(const struct ledger_events *cursor, uint32_t number,
                                     struct ledger_asset *out)
{
    if (number == 0 || number > cursor->state.asset_count) {
        return TPW_ERR_LEDGER_ASSET_NOT_FOUND;
    }
    *out = cursor->state.assets[number - 1];
    TPW_ASSERT(out->number == number);
    return TPW_OK;
}

uint64_t ledger_events_sequence(const struct ledger_events *cursor)
{
    TPW_ASSERT(cursor->tail == NULL || journal_tail_sequence(cursor->tail) == cursor->sequence);
    return cursor->sequence;
}

void ledger_events_close(struct ledger_events *cursor)
{
    if (cursor == NULL) {
        return;
    }
    journal_tail_close(cursor->tail);
    ledger__state_deinit(&cursor->state);
    free(cursor->scratch);
    free(cursor->results);
    free(cursor->committed);
    free(cursor->queue);
    free(cursor);
}
