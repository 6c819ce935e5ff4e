/*
 * The event cursor (ledger.h, "Events"): ids and their text form, every kind of event
 * with its record and balances, rejected commands and rolled-back chains giving none,
 * resuming after every position of a random workload (checked against the results the
 * writer returned), polling beside a writer in this process, segment rolls, torn and
 * in-progress tails, a journal cut back under the cursor, and the precise errors.
 */

#define _XOPEN_SOURCE 700 /* mkdtemp, ftruncate */

#include "ledger_fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tpwallet/clock.h"
#include "tpwallet/prng.h"

#define EV_MAX 4096u        /* events a test collects */
#define RECORDS_MAX 512u    /* journal records a workload writes */
#define SEGMENT_SMALL 2048u /* bytes: a few records per segment */

/* ---- helpers ---------------------------------------------------------------------------- */

struct ev_list {
    struct ledger_event events[EV_MAX];
    size_t count;
};

static struct ev_list *list_new(void)
{
    struct ev_list *list = calloc(1, sizeof *list);
    assert_non_null(list);
    return list;
}

static struct ledger_events *open_after(const char *dir, const struct ledger_event_id *after)
{
    struct ledger_events *cursor = NULL;
    struct tpw_error_detail detail = {0};
    enum tpw_err err = ledger_events_open(dir, after, &cursor, &detail);
    if (err != TPW_OK) {
        print_error("ledger_events_open: %s: %s\n", tpw_err_name(err), detail.message);
    }
    assert_err(err, TPW_OK);
    assert_non_null(cursor);
    return cursor;
}

/* Appends every event available now; checks ids strictly increase across calls. */
static size_t drain(struct ledger_events *cursor, struct ev_list *list)
{
    size_t before = list->count;
    for (;;) {
        struct ledger_event event;
        bool found = false;
        struct tpw_error_detail detail = {0};
        enum tpw_err err = ledger_events_next(cursor, &event, &found, &detail);
        if (err != TPW_OK) {
            print_error("ledger_events_next: %s: %s\n", tpw_err_name(err), detail.message);
        }
        assert_err(err, TPW_OK);
        if (!found) {
            return list->count - before;
        }
        assert_true(list->count < EV_MAX);
        if (list->count > 0) {
            assert_true(ledger_event_id_compare(list->events[list->count - 1].id, event.id) < 0);
        }
        list->events[list->count++] = event;
    }
}

static void expect_open_error(const char *dir, struct ledger_event_id after, enum tpw_err want,
                              const char *message_part)
{
    struct ledger_events *cursor = NULL;
    struct tpw_error_detail detail = {0};
    assert_err(ledger_events_open(dir, &after, &cursor, &detail), want);
    assert_null(cursor);
    if (strstr(detail.message, message_part) == NULL) {
        print_error("message \"%s\" lacks \"%s\"\n", detail.message, message_part);
        fail();
    }
}

static bool balance_equal(const struct ledger_balance *a, const struct ledger_balance *b)
{
    return a->timestamp == b->timestamp && a->debits_pending == b->debits_pending &&
           a->debits_posted == b->debits_posted && a->credits_pending == b->credits_pending &&
           a->credits_posted == b->credits_posted;
}

static bool event_equal(const struct ledger_event *a, const struct ledger_event *b)
{
    if (ledger_event_id_compare(a->id, b->id) != 0 || a->kind != b->kind ||
        a->timestamp != b->timestamp || !balance_equal(&a->debit_balance, &b->debit_balance) ||
        !balance_equal(&a->credit_balance, &b->credit_balance)) {
        return false;
    }
    switch (a->kind) {
    case LEDGER_EVENT_ASSET_DEFINED:
        return a->asset.number == b->asset.number && a->asset.exponent == b->asset.exponent &&
               strcmp(a->asset.code, b->asset.code) == 0;
    case LEDGER_EVENT_ACCOUNT_CREATED:
        return memcmp(&a->account, &b->account, sizeof a->account) == 0;
    default:
        return memcmp(&a->transfer, &b->transfer, sizeof a->transfer) == 0;
    }
}

static void assert_balance(const struct ledger_balance *balance, tpw_u128 debits_pending,
                           tpw_u128 debits_posted, tpw_u128 credits_pending,
                           tpw_u128 credits_posted)
{
    assert_u128_equal(balance->debits_pending, debits_pending);
    assert_u128_equal(balance->debits_posted, debits_posted);
    assert_u128_equal(balance->credits_pending, credits_pending);
    assert_u128_equal(balance->credits_posted, credits_posted);
}

static uint64_t journal_sequence(const struct lf *f)
{
    return lf_stats(f).journal_sequence;
}

/* The data directory's segment file that starts at `first_sequence`. */
static void segment_path(const char *dir, uint64_t first_sequence, char *path, size_t size)
{
    int n = snprintf(path, size, "%s/journal/%020llu.tpj", dir, (unsigned long long)first_sequence);
    assert_true(n > 0 && (size_t)n < size);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

/* ---- ids ---------------------------------------------------------------------------------- */

static void test_id_text(void **state)
{
    (void)state;
    static const char *const good[] = {"0-0", "1-0", "17-3", "18446744073709551615-0",
                                       "1-18446744073709551615"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct ledger_event_id id = {0, 0};
        assert_err(ledger_event_id_parse(good[i], strlen(good[i]), &id, NULL), TPW_OK);
        char text[LEDGER_EVENT_ID_TEXT_SIZE];
        assert_int_equal(ledger_event_id_format(id, text), strlen(good[i]));
        assert_string_equal(text, good[i]);
    }
    char longest[LEDGER_EVENT_ID_TEXT_SIZE];
    struct ledger_event_id max = {UINT64_MAX, UINT64_MAX};
    assert_int_equal(ledger_event_id_format(max, longest), LEDGER_EVENT_ID_TEXT_SIZE - 1);
    static const struct {
        const char *text;
        size_t offset;
    } bad[] = {{"", 0},
               {"1", 1},
               {"1-", 2},
               {"-1", 0},
               {"01-2", 0},
               {"1-02", 2},
               {"1-2x", 3},
               {"+1-2", 0},
               {" 1-2", 0},
               {"1 -2", 1},
               {"1--2", 2},
               {"1-2-3", 3},
               {"a-b", 0},
               {"18446744073709551616-0", 0},
               {"1-18446744073709551616", 2}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ledger_event_id id = {7, 7};
        struct tpw_error_detail detail = {0};
        assert_err(ledger_event_id_parse(bad[i].text, strlen(bad[i].text), &id, &detail),
                   TPW_ERR_LEDGER_EVENT_ID_INVALID);
        assert_int_equal(detail.offset_bytes, bad[i].offset);
        assert_int_equal(id.sequence, 7); /* untouched */
    }
    assert_err(ledger_event_id_parse(NULL, 0, &max, NULL), TPW_ERR_LEDGER_EVENT_ID_INVALID);
    /* The length bounds the text: "12-3" read as its first three bytes is "12-". */
    assert_err(ledger_event_id_parse("12-3", 3, &max, NULL), TPW_ERR_LEDGER_EVENT_ID_INVALID);
}

static void test_id_order_and_names(void **state)
{
    (void)state;
    struct ledger_event_id a = {1, 9};
    struct ledger_event_id b = {2, 0};
    struct ledger_event_id c = {2, 1};
    assert_int_equal(ledger_event_id_compare(a, b), -1);
    assert_int_equal(ledger_event_id_compare(c, b), 1);
    assert_int_equal(ledger_event_id_compare(b, b), 0);
    assert_string_equal(ledger_event_kind_name(LEDGER_EVENT_ASSET_DEFINED), "asset_defined");
    assert_string_equal(ledger_event_kind_name(LEDGER_EVENT_ACCOUNT_CREATED), "account_created");
    assert_string_equal(ledger_event_kind_name(LEDGER_EVENT_TRANSFER_APPLIED), "transfer_applied");
    assert_string_equal(ledger_event_kind_name(LEDGER_EVENT_PENDING_EXPIRED), "pending_expired");
    assert_null(ledger_event_kind_name((enum ledger_event_kind)0));
    assert_null(ledger_event_kind_name((enum ledger_event_kind)5));
}

/* ---- kinds ---------------------------------------------------------------------------------- */

static void test_empty_ledger(void **state)
{
    (void)state;
    char root[] = "/tmp/tpw-events-XXXXXX";
    assert_non_null(mkdtemp(root));
    char dir[64];
    (void)snprintf(dir, sizeof dir, "%s/data", root);
    assert_err(ledger_init(dir, NULL), TPW_OK);
    struct ledger_events *cursor = open_after(dir, NULL);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 0);
    assert_int_equal(drain(cursor, list), 0); /* polling an empty journal stays quiet */
    assert_int_equal(ledger_events_sequence(cursor), 0);
    struct ledger_asset asset;
    assert_err(ledger_events_asset_get(cursor, 1, &asset), TPW_ERR_LEDGER_ASSET_NOT_FOUND);
    ledger_events_close(cursor);
    expect_open_error(dir, (struct ledger_event_id){1, 0}, TPW_ERR_LEDGER_EVENT_ID_FUTURE,
                      "last complete record is 0");
    free(list);
    assert_true(tpw_test_tree_remove(root));
}

static void test_assets_and_accounts(void **state)
{
    struct lf *f = *state;
    struct ledger_account accounts[3] = {lf_account(10, LF_USD, LF_A_DMNEC),
                                         lf_account(11, LF_USD, 0), lf_account(10, LF_USD, 0)};
    accounts[1].owner = 77;
    accounts[1].kind = LEDGER_KIND_FX_POOL;
    enum ledger_account_result results[3];
    lf_create_accounts(f, accounts, 3, results);
    assert_int_equal(results[2], LEDGER_ACCOUNT_EXISTS_WITH_DIFFERENT_FLAGS);
    struct ledger_events *cursor = open_after(f->dir, NULL);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 5); /* USD, EUR, BTC, accounts 10 and 11 */
    const char *codes[] = {"USD", "EUR", "BTC"};
    for (uint32_t i = 0; i < 3; i++) {
        const struct ledger_event *event = &list->events[i];
        assert_int_equal(event->kind, LEDGER_EVENT_ASSET_DEFINED);
        assert_int_equal(event->id.sequence, i + 1);
        assert_int_equal(event->id.index, 0);
        assert_int_equal(event->asset.number, i + 1);
        assert_string_equal(event->asset.code, codes[i]);
    }
    assert_int_equal(list->events[2].asset.exponent, 8);
    for (size_t i = 0; i < 2; i++) {
        const struct ledger_event *event = &list->events[3 + i];
        struct ledger_account stored = lf_get_account(f, accounts[i].id);
        assert_int_equal(event->kind, LEDGER_EVENT_ACCOUNT_CREATED);
        assert_int_equal(event->id.sequence, 4);
        assert_int_equal(event->id.index, i);
        assert_memory_equal(&event->account, &stored, sizeof stored);
        assert_int_equal(event->timestamp, stored.timestamp);
    }
    assert_int_equal(list->events[4].account.owner, 77);
    struct ledger_asset asset;
    assert_err(ledger_events_asset_get(cursor, LF_BTC, &asset), TPW_OK);
    assert_string_equal(asset.code, "BTC");
    assert_err(ledger_events_asset_get(cursor, 0, &asset), TPW_ERR_LEDGER_ASSET_NOT_FOUND);
    assert_err(ledger_events_asset_get(cursor, 4, &asset), TPW_ERR_LEDGER_ASSET_NOT_FOUND);
    ledger_events_close(cursor);
    free(list);
}

/* Accounts 1 (external source), 2 and 3 (wallets that may not overdraw), all USD. */
static int setup_accounts(void **state)
{
    if (lf_setup(state) != 0) {
        return -1;
    }
    struct lf *f = *state;
    lf_add_account(f, 1, LF_USD, 0);
    lf_add_account(f, 2, LF_USD, LF_A_DMNEC);
    lf_add_account(f, 3, LF_USD, LF_A_DMNEC);
    return 0;
}

/* Events from the first transfer on: skips the assets and accounts. */
static struct ledger_events *open_after_setup(const struct lf *f)
{
    struct ledger_event_id after = {4 + 2, 0}; /* 3 assets, then accounts 1, 2, 3 alone */
    return open_after(f->dir, &after);
}

static void test_transfers_and_balances(void **state)
{
    struct lf *f = *state;
    lf_move(f, 100, 1, 2, LF_USD, 1000);
    lf_expect(f, lf_pending(101, 2, 3, LF_USD, 300, 0), LEDGER_TRANSFER_OK);
    lf_expect(f, lf_post(102, 101, 200), LEDGER_TRANSFER_OK);
    struct ledger_events *cursor = open_after_setup(f);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 3);
    for (size_t i = 0; i < 3; i++) {
        const struct ledger_event *event = &list->events[i];
        struct ledger_transfer stored = lf_get_transfer(f, (tpw_u128)(100 + i));
        assert_int_equal(event->kind, LEDGER_EVENT_TRANSFER_APPLIED);
        assert_int_equal(event->id.sequence, 7 + i);
        assert_int_equal(event->id.index, 0);
        assert_memory_equal(&event->transfer, &stored, sizeof stored);
        assert_int_equal(event->timestamp, stored.timestamp);
        assert_int_equal(event->debit_balance.timestamp, stored.timestamp);
        assert_int_equal(event->credit_balance.timestamp, stored.timestamp);
    }
    assert_balance(&list->events[0].debit_balance, 0, 1000, 0, 0);
    assert_balance(&list->events[0].credit_balance, 0, 0, 0, 1000);
    assert_balance(&list->events[1].debit_balance, 300, 0, 0, 1000);
    assert_balance(&list->events[1].credit_balance, 0, 0, 300, 0);
    /* The post's record holds the pending transfer's accounts and the posted amount. */
    assert_u128_equal(list->events[2].transfer.debit_account_id, 2);
    assert_u128_equal(list->events[2].transfer.amount, 200);
    assert_balance(&list->events[2].debit_balance, 0, 200, 0, 1000);
    assert_balance(&list->events[2].credit_balance, 0, 0, 0, 200);
    ledger_events_close(cursor);
    free(list);
}

static void test_expiry(void **state)
{
    struct lf *f = *state;
    lf_move(f, 100, 1, 2, LF_USD, 1000);
    lf_expect(f, lf_pending(101, 2, 3, LF_USD, 400, 2), LEDGER_TRANSFER_OK);
    lf_expect(f, lf_pending(102, 2, 3, LF_USD, 100, 1), LEDGER_TRANSFER_OK);
    f->now_ns += 5 * LF_NS_PER_S;
    /* Both expire before this batch; its two commands follow them at positions 2, 3. */
    struct ledger_transfer batch[2] = {lf_transfer(103, 2, 3, LF_USD, 5000),
                                       lf_transfer(104, 2, 3, LF_USD, 50)};
    enum ledger_transfer_result results[2];
    lf_submit_batch(f, batch, 2, results);
    assert_int_equal(results[0], LEDGER_TRANSFER_EXCEEDS_CREDITS);
    assert_int_equal(lf_pending_state(f, 101), LEDGER_PENDING_EXPIRED);
    struct ledger_events *cursor = open_after_setup(f);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 6);
    const struct ledger_event *e102 = &list->events[3];
    const struct ledger_event *e101 = &list->events[4];
    assert_int_equal(e102->kind, LEDGER_EVENT_PENDING_EXPIRED);
    assert_int_equal(e101->kind, LEDGER_EVENT_PENDING_EXPIRED);
    /* Released in expiry order: 102 (1 s) before 101 (2 s). */
    assert_u128_equal(e102->transfer.id, 102);
    assert_u128_equal(e101->transfer.id, 101);
    assert_int_equal(e102->id.sequence, 10);
    assert_int_equal(e102->id.index, 0);
    assert_int_equal(e101->id.index, 1);
    assert_int_equal(e101->timestamp, lf_get_transfer(f, 104).timestamp - 1);
    assert_balance(&e102->debit_balance, 400, 0, 0, 1000);
    assert_balance(&e101->debit_balance, 0, 0, 0, 1000);
    assert_balance(&e101->credit_balance, 0, 0, 0, 0);
    const struct ledger_event *e104 = &list->events[5];
    assert_u128_equal(e104->transfer.id, 104);
    assert_int_equal(e104->id.index, 2 + 1); /* command 1 after two expiries */
    assert_balance(&e104->debit_balance, 0, 50, 0, 1000);
    /* Position 2 (the rejected command) is a valid place to resume after. */
    ledger_events_close(cursor);
    struct ledger_event_id after = {10, 2};
    cursor = open_after(f->dir, &after);
    struct ev_list *rest = list_new();
    assert_int_equal(drain(cursor, rest), 1);
    assert_true(event_equal(&rest->events[0], e104));
    ledger_events_close(cursor);
    free(rest);
    free(list);
}

static void test_rejected_give_nothing(void **state)
{
    struct lf *f = *state;
    lf_move(f, 100, 1, 2, LF_USD, 10);
    lf_expect(f, lf_transfer(101, 2, 3, LF_USD, 11), LEDGER_TRANSFER_EXCEEDS_CREDITS);
    lf_expect(f, lf_transfer(102, 2, 3, LF_USD, 0), LEDGER_TRANSFER_AMOUNT_MUST_NOT_BE_ZERO);
    lf_expect(f, lf_transfer(100, 1, 2, LF_USD, 10), LEDGER_TRANSFER_EXISTS);
    lf_expect(f, lf_transfer(101, 2, 3, LF_USD, 1), LEDGER_TRANSFER_ID_ALREADY_FAILED);
    lf_expect(f, lf_transfer(103, 2, 99, LF_USD, 1), LEDGER_TRANSFER_CREDIT_ACCOUNT_NOT_FOUND);
    lf_expect(f, lf_void(104, 555, 0), LEDGER_TRANSFER_PENDING_TRANSFER_NOT_FOUND);
    assert_int_equal(
        lf_create_account(f,
                          &(struct ledger_account){.id = 9, .asset = 99, .kind = LEDGER_KIND_USER}),
        LEDGER_ACCOUNT_ASSET_NOT_FOUND);
    struct ledger_events *cursor = open_after_setup(f);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 1);
    assert_u128_equal(list->events[0].transfer.id, 100);
    assert_int_equal(ledger_events_sequence(cursor), journal_sequence(f));
    ledger_events_close(cursor);
    free(list);
}

static void test_linked_chains(void **state)
{
    struct lf *f = *state;
    lf_move(f, 100, 1, 2, LF_USD, 100);
    /* A chain that fails at its last member: none of it is an event. */
    struct ledger_transfer failing[3] = {lf_transfer(200, 2, 3, LF_USD, 60),
                                         lf_transfer(201, 3, 2, LF_USD, 10),
                                         lf_transfer(202, 2, 3, LF_USD, 60)};
    failing[0].flags = LF_T_LINKED;
    failing[1].flags = LF_T_LINKED;
    enum ledger_transfer_result results[4];
    lf_submit_batch(f, failing, 3, results);
    assert_int_equal(results[2], LEDGER_TRANSFER_EXCEEDS_CREDITS);
    /* An open chain at the end of a batch fails too. */
    struct ledger_transfer open_chain = lf_transfer(203, 2, 3, LF_USD, 1);
    open_chain.flags = LF_T_LINKED;
    lf_expect(f, open_chain, LEDGER_TRANSFER_LINKED_EVENT_CHAIN_OPEN);
    /* A chain that succeeds, then a plain transfer: each member with its own balances. */
    struct ledger_transfer good[4] = {
        lf_transfer(300, 2, 3, LF_USD, 60), lf_transfer(301, 3, 2, LF_USD, 10),
        lf_transfer(302, 2, 3, LF_USD, 50), lf_transfer(303, 3, 1, LF_USD, 5)};
    good[0].flags = LF_T_LINKED;
    good[1].flags = LF_T_LINKED;
    lf_submit_batch(f, good, 4, results);
    struct ledger_events *cursor = open_after_setup(f);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 5);
    assert_u128_equal(list->events[0].transfer.id, 100);
    for (size_t i = 0; i < 4; i++) {
        assert_u128_equal(list->events[1 + i].transfer.id, 300 + i);
        assert_int_equal(list->events[1 + i].id.index, i);
    }
    assert_balance(&list->events[1].debit_balance, 0, 60, 0, 100);
    assert_balance(&list->events[2].debit_balance, 0, 10, 0, 60);
    assert_balance(&list->events[3].debit_balance, 0, 110, 0, 110);
    assert_balance(&list->events[4].debit_balance, 0, 15, 0, 110);
    assert_balance(&list->events[4].credit_balance, 0, 100, 0, 5);
    ledger_events_close(cursor);
    free(list);
}

/* ---- a random workload, and what the writer said about it ---------------------------------- */

struct expected_event {
    uint64_t sequence;
    uint64_t command_index;
    enum ledger_event_kind kind;
    tpw_u128 id; /* the account's or transfer's; the asset's number */
};

struct workload {
    struct lf *f;
    struct tpw_prng prng;
    uint64_t item_counts[RECORDS_MAX + 1]; /* commands of each journal record */
    struct expected_event expected[EV_MAX];
    size_t expected_count;
    tpw_u128 accounts[64]; /* ids tried, created or not */
    size_t account_count;
    tpw_u128 pendings[EV_MAX]; /* pending transfers that were created */
    size_t pending_count;
    tpw_u128 next_id;
};

static void expect_event(struct workload *w, uint64_t sequence, uint64_t command_index,
                         enum ledger_event_kind kind, tpw_u128 id)
{
    assert_true(w->expected_count < EV_MAX);
    w->expected[w->expected_count++] = (struct expected_event){sequence, command_index, kind, id};
}

/* The fixture's three assets and setup_accounts' three accounts, one record each. */
static struct workload *workload_new(struct lf *f, uint64_t seed)
{
    struct workload *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->f = f;
    tpw_prng_seed(&w->prng, seed);
    for (uint64_t sequence = 1; sequence <= 6; sequence++) {
        w->item_counts[sequence] = 1;
        bool asset = sequence <= 3;
        expect_event(w, sequence, 0,
                     asset ? LEDGER_EVENT_ASSET_DEFINED : LEDGER_EVENT_ACCOUNT_CREATED,
                     asset ? sequence : sequence - 3);
    }
    for (tpw_u128 id = 1; id <= 3; id++) {
        w->accounts[w->account_count++] = id;
    }
    w->next_id = 1000;
    return w;
}

static uint64_t below(struct workload *w, uint64_t bound)
{
    return tpw_prng_below(&w->prng, bound);
}

static tpw_u128 some_account(struct workload *w)
{
    return below(w, 20) == 0 ? 999 : w->accounts[below(w, w->account_count)];
}

static struct ledger_transfer some_transfer(struct workload *w)
{
    tpw_u128 id =
        below(w, 12) == 0 ? 1000 + below(w, (uint64_t)(w->next_id - 1000 + 1)) : w->next_id++;
    uint64_t roll = below(w, 10);
    tpw_u128 amount = below(w, 150);
    if (roll < 2) {
        return lf_transfer(id, 1, some_account(w), LF_USD, 1 + below(w, 500)); /* funding */
    }
    if (roll < 6) {
        return lf_transfer(id, some_account(w), some_account(w), LF_USD, amount);
    }
    if (roll < 8) {
        return lf_pending(id, some_account(w), some_account(w), LF_USD, amount,
                          (uint32_t)below(w, 3));
    }
    tpw_u128 pending = w->pending_count == 0 ? 5 : w->pendings[below(w, w->pending_count)];
    return roll == 8 ? lf_post(id, pending, below(w, 2) == 0 ? 0 : amount)
                     : lf_void(id, pending, 0);
}

static void record_written(struct workload *w, size_t count, uint64_t *sequence)
{
    *sequence = journal_sequence(w->f);
    assert_true(*sequence <= RECORDS_MAX);
    w->item_counts[*sequence] = count;
}

static void step_transfers(struct workload *w)
{
    struct ledger_transfer batch[8];
    enum ledger_transfer_result results[8];
    size_t count = 1 + below(w, 8);
    for (size_t i = 0; i < count; i++) {
        batch[i] = some_transfer(w);
        if (below(w, 4) == 0) {
            batch[i].flags |= LF_T_LINKED;
        }
    }
    lf_submit_batch(w->f, batch, count, results);
    uint64_t sequence = 0;
    record_written(w, count, &sequence);
    for (size_t i = 0; i < count; i++) {
        if (results[i] != LEDGER_TRANSFER_OK) {
            continue;
        }
        expect_event(w, sequence, i, LEDGER_EVENT_TRANSFER_APPLIED, batch[i].id);
        if ((batch[i].flags & LF_T_PENDING) != 0) {
            w->pendings[w->pending_count++] = batch[i].id;
        }
    }
}

static void step_accounts(struct workload *w)
{
    struct ledger_account batch[4];
    enum ledger_account_result results[4];
    size_t count = 1 + below(w, 4);
    for (size_t i = 0; i < count; i++) {
        tpw_u128 id =
            below(w, 5) == 0 ? w->accounts[below(w, w->account_count)] : 10 + w->account_count;
        batch[i] =
            lf_account(id, below(w, 6) == 0 ? LF_EUR : LF_USD, below(w, 2) == 0 ? LF_A_DMNEC : 0);
        batch[i].kind = below(w, 10) == 0 ? 0 : LEDGER_KIND_USER; /* 0: kind_invalid */
        batch[i].flags |= below(w, 4) == 0 ? LF_A_LINKED : 0;
        if (w->account_count < sizeof w->accounts / sizeof w->accounts[0] && id >= 10) {
            w->accounts[w->account_count++] = id;
        }
    }
    lf_create_accounts(w->f, batch, count, results);
    uint64_t sequence = 0;
    record_written(w, count, &sequence);
    for (size_t i = 0; i < count; i++) {
        if (results[i] == LEDGER_ACCOUNT_OK) {
            expect_event(w, sequence, i, LEDGER_EVENT_ACCOUNT_CREATED, batch[i].id);
        }
    }
}

static void workload_step(struct workload *w)
{
    if (below(w, 3) == 0) {
        w->f->now_ns += below(w, 3 * LF_NS_PER_S); /* lets holds expire */
    }
    if (below(w, 7) == 0) {
        step_accounts(w);
    } else {
        step_transfers(w);
    }
}

static tpw_u128 event_subject(const struct ledger_event *event)
{
    switch (event->kind) {
    case LEDGER_EVENT_ASSET_DEFINED:
        return event->asset.number;
    case LEDGER_EVENT_ACCOUNT_CREATED:
        return event->account.id;
    default:
        return event->transfer.id;
    }
}

/* Expiries are the first events of their record: positions 0, 1, …; each is a pending
 * transfer the writer now reports expired. Returns how many there were. */
static size_t check_expiry(const struct workload *w, const struct ledger_event *event,
                           size_t *expired_in_record)
{
    assert_int_equal(event->id.index, (*expired_in_record)++);
    assert_int_equal(lf_pending_state(w->f, event->transfer.id), LEDGER_PENDING_EXPIRED);
    return 1;
}

/* The events are exactly the commands the writer answered `ok`, at their positions. */
static void check_against_workload(const struct workload *w, const struct ev_list *list)
{
    size_t next = 0;
    size_t expired = 0;
    size_t expired_in_record = 0;
    uint64_t record = 0;
    for (size_t i = 0; i < list->count; i++) {
        const struct ledger_event *event = &list->events[i];
        if (event->id.sequence != record) {
            record = event->id.sequence;
            expired_in_record = 0;
        }
        if (event->kind == LEDGER_EVENT_PENDING_EXPIRED) {
            expired += check_expiry(w, event, &expired_in_record);
            continue;
        }
        assert_true(next < w->expected_count);
        const struct expected_event *want = &w->expected[next++];
        assert_int_equal(event->id.sequence, want->sequence);
        assert_int_equal(event->id.index, expired_in_record + want->command_index);
        assert_int_equal(event->kind, want->kind);
        assert_u128_equal(event_subject(event), want->id);
        if (event->kind == LEDGER_EVENT_TRANSFER_APPLIED) {
            struct ledger_transfer stored = lf_get_transfer(w->f, event->transfer.id);
            assert_memory_equal(&event->transfer, &stored, sizeof stored);
        }
    }
    assert_int_equal(next, w->expected_count);
    size_t expired_now = 0;
    for (size_t i = 0; i < w->pending_count; i++) {
        expired_now += lf_pending_state(w->f, w->pendings[i]) == LEDGER_PENDING_EXPIRED;
    }
    assert_int_equal(expired, expired_now);
}

/* The last event that moved each account left it with the balances it has now. */
static void check_last_balances(const struct workload *w, const struct ev_list *list)
{
    for (size_t a = 0; a < w->account_count; a++) {
        tpw_u128 id = w->accounts[a];
        if (!lf_account_exists(w->f, id)) {
            continue;
        }
        struct ledger_account now = lf_get_account(w->f, id);
        for (size_t i = list->count; i-- > 0;) {
            const struct ledger_event *event = &list->events[i];
            bool moves = event->kind == LEDGER_EVENT_TRANSFER_APPLIED ||
                         event->kind == LEDGER_EVENT_PENDING_EXPIRED;
            if (!moves || (event->transfer.debit_account_id != id &&
                           event->transfer.credit_account_id != id)) {
                continue;
            }
            const struct ledger_balance *balance = event->transfer.debit_account_id == id
                                                       ? &event->debit_balance
                                                       : &event->credit_balance;
            assert_balance(balance, now.debits_pending, now.debits_posted, now.credits_pending,
                           now.credits_posted);
            break;
        }
    }
}

static size_t expired_in(const struct ev_list *list, uint64_t sequence)
{
    size_t count = 0;
    for (size_t i = 0; i < list->count; i++) {
        count += list->events[i].id.sequence == sequence &&
                 list->events[i].kind == LEDGER_EVENT_PENDING_EXPIRED;
    }
    return count;
}

/* Opening after `position` gives exactly the events of `all` after it. */
static void check_suffix(const char *dir, const struct ev_list *all,
                         struct ledger_event_id position, struct ev_list *scratch)
{
    size_t start = 0;
    while (start < all->count && ledger_event_id_compare(all->events[start].id, position) <= 0) {
        start++;
    }
    struct ledger_events *cursor = open_after(dir, &position);
    scratch->count = 0;
    (void)drain(cursor, scratch);
    ledger_events_close(cursor);
    assert_int_equal(scratch->count, all->count - start);
    for (size_t i = 0; i < scratch->count; i++) {
        assert_true(event_equal(&scratch->events[i], &all->events[start + i]));
    }
}

/* Every position of every record, the start, and the first ids past each record's end
 * and past the journal's end. */
static void check_resume_everywhere(const struct workload *w, const struct ev_list *all)
{
    struct ev_list *scratch = list_new();
    check_suffix(w->f->dir, all, (struct ledger_event_id){0, 0}, scratch);
    uint64_t last = journal_sequence(w->f);
    for (uint64_t sequence = 1; sequence <= last; sequence++) {
        uint64_t slots = expired_in(all, sequence) + w->item_counts[sequence];
        for (uint64_t index = 0; index < slots; index++) {
            check_suffix(w->f->dir, all, (struct ledger_event_id){sequence, index}, scratch);
        }
        expect_open_error(w->f->dir, (struct ledger_event_id){sequence, slots},
                          TPW_ERR_LEDGER_EVENT_ID_UNKNOWN, "names no event");
    }
    expect_open_error(w->f->dir, (struct ledger_event_id){last + 1, 0},
                      TPW_ERR_LEDGER_EVENT_ID_FUTURE, "beyond the end of the journal");
    free(scratch);
}

static void test_resume_property(void **state)
{
    struct lf *f = *state;
    struct workload *w = workload_new(f, tpw_test_seed("test_ledger_events", 20261207));
    for (int step = 0; step < 60; step++) {
        workload_step(w);
    }
    struct ledger_events *cursor = open_after(f->dir, NULL);
    struct ev_list *all = list_new();
    (void)drain(cursor, all);
    assert_int_equal(ledger_events_sequence(cursor), journal_sequence(f));
    ledger_events_close(cursor);
    check_against_workload(w, all);
    check_last_balances(w, all);
    size_t expired = 0;
    for (size_t i = 0; i < all->count; i++) {
        expired += all->events[i].kind == LEDGER_EVENT_PENDING_EXPIRED;
    }
    print_message("%zu events (%zu expiries) in %llu records\n", all->count, expired,
                  (unsigned long long)journal_sequence(f));
    check_resume_everywhere(w, all);
    free(all);
    free(w);
}

/* A cursor polled while the writer in this process appends (and checkpoints) sees each
 * batch once, in order, whenever it looks. */
static void test_polling_beside_the_writer(void **state)
{
    struct lf *f = *state;
    struct workload *w = workload_new(f, tpw_test_seed("test_ledger_events", 7));
    struct ledger_events *cursor = open_after(f->dir, NULL);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 6);
    for (int step = 0; step < 80; step++) {
        workload_step(w);
        if (below(w, 3) != 0) {
            (void)drain(cursor, list);
            assert_int_equal(ledger_events_sequence(cursor), journal_sequence(f));
        }
    }
    (void)drain(cursor, list);
    assert_int_equal(drain(cursor, list), 0);
    check_against_workload(w, list);
    check_last_balances(w, list);
    ledger_events_close(cursor);
    free(list);
    free(w);
}

/* ---- segments and tails ---------------------------------------------------------------------- */

/* A fixture ledger whose journal rolls every few records (lf_destroy cleans it up). */
static struct lf *small_segments_create(void)
{
    struct lf *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->now_ns = LF_CLOCK_START;
    (void)snprintf(f->root, sizeof f->root, "/tmp/tpw-ledger-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    (void)snprintf(f->dir, sizeof f->dir, "%s/data", f->root);
    assert_err(ledger_init(f->dir, NULL), TPW_OK);
    struct ledger_options options = {
        .data_dir = f->dir,
        .clock = tpw_clock_manual(&f->now_ns),
        .segment_size_bytes = SEGMENT_SMALL,
        .checkpoint_interval = 4,
    };
    assert_err(ledger_open(&options, &f->ledger, NULL), TPW_OK);
    uint32_t number = 0;
    assert_err(ledger_asset_define(f->ledger, "USD", 2, &number, NULL), TPW_OK);
    lf_add_account(f, 1, LF_USD, 0);
    lf_add_account(f, 2, LF_USD, 0);
    return f;
}

static size_t segment_count(const struct lf *f)
{
    size_t count = 0;
    char path[128];
    for (uint64_t first = 1; first <= journal_sequence(f) + 1; first++) {
        segment_path(f->dir, first, path, sizeof path);
        struct stat st;
        count += stat(path, &st) == 0;
    }
    return count;
}

static void test_segment_rolls(void **state)
{
    (void)state;
    struct lf *f = small_segments_create();
    struct ledger_events *cursor = open_after(f->dir, NULL);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 3);
    for (tpw_u128 id = 100; id < 130; id++) {
        lf_move(f, id, 1, 2, LF_USD, 1);
        if (id % 4 == 0) {
            (void)drain(cursor, list); /* sometimes at a roll, sometimes inside a segment */
        }
    }
    (void)drain(cursor, list);
    assert_true(segment_count(f) >= 8);
    assert_int_equal(list->count, 3 + 30);
    for (size_t i = 3; i < list->count; i++) {
        assert_u128_equal(list->events[i].transfer.id, 100 + (i - 3));
        assert_balance(&list->events[i].credit_balance, 0, 0, 0, i - 2);
    }
    ledger_events_close(cursor);
    /* From a record in a middle segment, and from scratch. */
    struct ev_list *rest = list_new();
    check_suffix(f->dir, list, list->events[17].id, rest);
    check_suffix(f->dir, list, (struct ledger_event_id){0, 0}, rest);
    free(rest);
    free(list);
    lf_destroy(f);
}

/* Segments are never deleted: a journal without its first one is damaged. */
static void test_missing_first_segment(void **state)
{
    (void)state;
    struct lf *f = small_segments_create();
    for (tpw_u128 id = 100; id < 110; id++) {
        lf_move(f, id, 1, 2, LF_USD, 1);
    }
    ledger_close(f->ledger);
    f->ledger = NULL;
    char path[128];
    char moved[160];
    segment_path(f->dir, 1, path, sizeof path);
    (void)snprintf(moved, sizeof moved, "%s/segment-1.bak", f->root);
    assert_int_equal(rename(path, moved), 0);
    expect_open_error(f->dir, (struct ledger_event_id){1, 0}, TPW_ERR_JOURNAL_CORRUPT,
                      "a segment is missing");
    struct ledger_events *cursor = NULL;
    assert_err(ledger_events_open(f->dir, NULL, &cursor, NULL), TPW_ERR_JOURNAL_CORRUPT);
    assert_int_equal(rename(moved, path), 0);
    /* A flipped byte in a segment that is not the last: damage, not "not yet". */
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t byte = 0;
    assert_int_equal(pread(fd, &byte, 1, 512 + 80), 1);
    byte ^= 0x40;
    assert_int_equal(pwrite(fd, &byte, 1, 512 + 80), 1);
    assert_int_equal(close(fd), 0);
    cursor = open_after(f->dir, NULL);
    struct ledger_event event;
    bool found = true;
    struct tpw_error_detail detail = {0};
    assert_err(ledger_events_next(cursor, &event, &found, &detail), TPW_ERR_JOURNAL_CORRUPT);
    assert_false(found);
    assert_non_null(strstr(detail.message, "crc32c mismatch"));
    ledger_events_close(cursor);
    lf_destroy(f);
}

static void append_bytes(const char *path, const void *bytes, size_t count)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, count), (ssize_t)count);
    assert_int_equal(close(fd), 0);
}

/* A record header that claims 200 bytes: what an append cut short leaves. */
static void torn_record(uint8_t block[512])
{
    memset(block, 0, 512);
    uint32_t magic = 0x52575054u;
    uint32_t length = 200;
    memcpy(block, &magic, sizeof magic);
    memcpy(block + 8, &length, sizeof length);
    memset(block + 72, 0xab, 100);
}

static void test_torn_tail_is_not_yet(void **state)
{
    struct lf *f = *state;
    lf_move(f, 100, 1, 2, LF_USD, 10);
    ledger_close(f->ledger);
    f->ledger = NULL;
    char path[128];
    segment_path(f->dir, 1, path, sizeof path);
    uint8_t block[512];
    torn_record(block);
    append_bytes(path, block, 150); /* part of the header and payload */
    struct ledger_events *cursor = open_after(f->dir, NULL);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 7);
    append_bytes(path, block + 150, sizeof block - 150); /* complete, but its CRC is wrong */
    assert_int_equal(drain(cursor, list), 0);
    /* The writer's next open cuts the torn record off; the cursor carries on. */
    lf_reopen(f);
    lf_move(f, 101, 1, 2, LF_USD, 5);
    assert_int_equal(drain(cursor, list), 1);
    assert_u128_equal(list->events[7].transfer.id, 101);
    assert_balance(&list->events[7].credit_balance, 0, 0, 0, 15);
    ledger_events_close(cursor);
    /* A record opened at that point reads the same. */
    struct ledger_event_id after = list->events[6].id;
    struct ev_list *rest = list_new();
    check_suffix(f->dir, list, after, rest);
    free(rest);
    free(list);
}

/* Damage at the end that a valid record follows is not a torn tail. */
static void test_damage_before_a_valid_record(void **state)
{
    struct lf *f = *state;
    lf_move(f, 100, 1, 2, LF_USD, 10);
    ledger_close(f->ledger);
    f->ledger = NULL;
    char path[128];
    segment_path(f->dir, 1, path, sizeof path);
    uint8_t block[512];
    torn_record(block);
    append_bytes(path, block, sizeof block);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, block, sizeof block, 512), (ssize_t)sizeof block); /* record 1 */
    assert_int_equal(close(fd), 0);
    append_bytes(path, block, sizeof block);
    struct ledger_events *cursor = open_after(f->dir, NULL);
    struct ledger_event event;
    bool found = false;
    for (int i = 0; i < 7; i++) {
        assert_err(ledger_events_next(cursor, &event, &found, NULL), TPW_OK);
        assert_true(found);
    }
    struct tpw_error_detail detail = {0};
    assert_err(ledger_events_next(cursor, &event, &found, &detail), TPW_ERR_JOURNAL_CORRUPT);
    assert_non_null(strstr(detail.message, "a valid record follows"));
    ledger_events_close(cursor);
}

/* The writer cuts back a record whose fdatasync failed; a cursor that read it says so. */
static void test_retracted_records(void **state)
{
    struct lf *f = *state;
    lf_move(f, 100, 1, 2, LF_USD, 10);
    lf_move(f, 101, 1, 2, LF_USD, 10);
    char path[128];
    segment_path(f->dir, 1, path, sizeof path);
    struct ledger_events *cursor = open_after(f->dir, NULL);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 8);
    ledger_close(f->ledger);
    f->ledger = NULL;
    uint64_t size = file_size(path);
    assert_int_equal(truncate(path, (off_t)(size - 512)), 0);
    struct ledger_event event;
    bool found = true;
    struct tpw_error_detail detail = {0};
    assert_err(ledger_events_next(cursor, &event, &found, &detail),
               TPW_ERR_LEDGER_EVENTS_RETRACTED);
    assert_false(found);
    assert_non_null(strstr(detail.message, "never acknowledged"));
    /* Sticky: the same error and message, also without a detail to fill. */
    struct tpw_error_detail again = {0};
    assert_err(ledger_events_next(cursor, &event, &found, &again), TPW_ERR_LEDGER_EVENTS_RETRACTED);
    assert_string_equal(again.message, detail.message);
    assert_err(ledger_events_next(cursor, &event, &found, NULL), TPW_ERR_LEDGER_EVENTS_RETRACTED);
    ledger_events_close(cursor);
    free(list);
}

/* Cut back and rewritten to the same size: the record's header differs. */
static void test_retracted_and_rewritten(void **state)
{
    struct lf *f = *state;
    lf_move(f, 100, 1, 2, LF_USD, 10);
    char path[128];
    segment_path(f->dir, 1, path, sizeof path);
    struct ledger_events *cursor = open_after(f->dir, NULL);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 7);
    ledger_close(f->ledger);
    f->ledger = NULL;
    uint64_t last = file_size(path) - 512;
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t crc[4] = {1, 2, 3, 4};
    assert_int_equal(pwrite(fd, crc, sizeof crc, (off_t)last + 4), (ssize_t)sizeof crc);
    assert_int_equal(close(fd), 0);
    struct ledger_event event;
    bool found = true;
    assert_err(ledger_events_next(cursor, &event, &found, NULL), TPW_ERR_LEDGER_EVENTS_RETRACTED);
    ledger_events_close(cursor);
    free(list);
}

/* ---- opening errors ----------------------------------------------------------------------------
 */

static void test_open_errors(void **state)
{
    struct lf *f = *state;
    lf_move(f, 100, 1, 2, LF_USD, 10);
    uint64_t last = journal_sequence(f);
    expect_open_error(f->dir, (struct ledger_event_id){0, 5}, TPW_ERR_LEDGER_EVENT_ID_UNKNOWN,
                      "0-5 names no event");
    expect_open_error(f->dir, (struct ledger_event_id){last, 1}, TPW_ERR_LEDGER_EVENT_ID_UNKNOWN,
                      "has positions 0 to 0");
    expect_open_error(f->dir, (struct ledger_event_id){last + 1, 0}, TPW_ERR_LEDGER_EVENT_ID_FUTURE,
                      "beyond the end of the journal");
    expect_open_error(f->dir, (struct ledger_event_id){UINT64_MAX, UINT64_MAX},
                      TPW_ERR_LEDGER_EVENT_ID_FUTURE, "18446744073709551615-");
    expect_open_error(f->root, (struct ledger_event_id){0, 0}, TPW_ERR_LEDGER_NOT_FOUND,
                      "no ledger in");
    /* The last id is fine: nothing after it, yet. */
    struct ledger_event_id after = {last, 0};
    struct ledger_events *cursor = open_after(f->dir, &after);
    struct ev_list *list = list_new();
    assert_int_equal(drain(cursor, list), 0);
    lf_move(f, 101, 1, 2, LF_USD, 10);
    assert_int_equal(drain(cursor, list), 1);
    ledger_events_close(cursor);
    ledger_events_close(NULL);
    free(list);
}

#define EV_TEST(name) cmocka_unit_test_setup_teardown(name, setup_accounts, lf_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_text),
        cmocka_unit_test(test_id_order_and_names),
        cmocka_unit_test(test_empty_ledger),
        cmocka_unit_test_setup_teardown(test_assets_and_accounts, lf_setup, lf_teardown),
        EV_TEST(test_transfers_and_balances),
        EV_TEST(test_expiry),
        EV_TEST(test_rejected_give_nothing),
        EV_TEST(test_linked_chains),
        EV_TEST(test_resume_property),
        EV_TEST(test_polling_beside_the_writer),
        cmocka_unit_test(test_segment_rolls),
        cmocka_unit_test(test_missing_first_segment),
        EV_TEST(test_torn_tail_is_not_yet),
        EV_TEST(test_damage_before_a_valid_record),
        EV_TEST(test_retracted_records),
        EV_TEST(test_retracted_and_rewritten),
        EV_TEST(test_open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
