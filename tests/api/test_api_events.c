/*
 * GET /v1/events end to end: a real server on 127.0.0.1 and libcurl reading the
 * Server-Sent Events stream. History in order with the transfer fields GET
 * /v1/transfers/{id} shows, live delivery (past the connection timeout), resume with
 * Last-Event-ID and ?after (exact continuation), resume from an id older than a tiny
 * ring (the catch-up cursor, then live), bad ids, the stream limit, and a graceful stop
 * with open streams.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "api_client.h"
#include "sse_reader.h"
#include "tpw_test.h"
#include "tpwallet/api_json.h"
#include "tpwallet/clock.h"
#include "tpwallet/ledger.h"

#include "banned.h"

static long transfer(struct api_fixture *fixture, int id, int debit, int credit, const char *amount)
{
    char body[512];
    (void)snprintf(body, sizeof body,
                   "{\"id\":\"%d\",\"debit_account_id\":\"%d\",\"credit_account_id\":\"%d\","
                   "\"amount\":\"%s\",\"asset\":\"USD\",\"code\":1}",
                   id, debit, credit, amount);
    struct api_response r;
    long status = api_json(fixture, "POST", "/v1/transfers", body, &r);
    api_response_free(&r);
    return status;
}

/* Five events: USD defined, accounts 1 and 2, transfers 100 and 101. */
static void history(struct api_fixture *fixture)
{
    struct api_response r;
    assert_int_equal(api_json(fixture, "POST", "/v1/accounts",
                              "{\"id\":\"1\",\"asset\":\"USD\",\"kind\":\"equity\"}", &r),
                     201);
    api_response_free(&r);
    assert_int_equal(
        api_json(fixture, "POST", "/v1/accounts", "{\"id\":\"2\",\"asset\":\"USD\"}", &r), 201);
    api_response_free(&r);
    assert_int_equal(transfer(fixture, 100, 1, 2, "250000"), 201);
    assert_int_equal(transfer(fixture, 101, 2, 1, "5"), 201);
}

static struct api_fixture *fixture_start(struct api_server_options options)
{
    struct api_fixture *fixture = calloc(1, sizeof *fixture);
    assert_non_null(fixture);
    api_fixture_start(fixture, options);
    history(fixture);
    return fixture;
}

static int setup(void **state)
{
    *state = fixture_start((struct api_server_options){.connection_timeout_s = 1});
    return 0;
}

static int setup_tiny_ring(void **state)
{
    *state = fixture_start((struct api_server_options){.connection_timeout_s = 1,
                                                       .events_ring_capacity = 2,
                                                       .events_catchups_max = 1,
                                                       .events_streams_max = 3});
    return 0;
}

static void expect_increasing(const struct sse_reader *reader)
{
    for (size_t i = 0; i < atomic_load(&reader->count); i++) {
        const struct sse_event *event = &reader->events[i];
        assert_string_equal(json_string_value(json_object_get(event->data, "id")), event->id);
        assert_string_equal(json_string_value(json_object_get(event->data, "kind")), event->kind);
        if (i == 0) {
            continue;
        }
        unsigned long long s0, i0, s1, i1;
        assert_int_equal(sscanf(reader->events[i - 1].id, "%llu-%llu", &s0, &i0), 2);
        assert_int_equal(sscanf(event->id, "%llu-%llu", &s1, &i1), 2);
        assert_true(s1 > s0 || (s1 == s0 && i1 > i0));
    }
}

/* The event's transfer shows every field GET /v1/transfers/{id} shows (but `state`). */
static void expect_transfer_as_get(struct api_fixture *fixture, const struct sse_event *event)
{
    assert_string_equal(event->kind, "transfer_applied");
    json_t *transfer = json_object_get(event->data, "transfer");
    char path[96];
    (void)snprintf(path, sizeof path, "/v1/transfers/%s",
                   json_string_value(json_object_get(transfer, "id")));
    struct api_response r;
    assert_int_equal(api_json(fixture, "GET", path, NULL, &r), 200);
    const char *key;
    json_t *value;
    json_object_foreach(r.body, key, value)
    {
        if (strcmp(key, "state") != 0) {
            assert_true(json_equal(value, json_object_get(transfer, key)));
        }
    }
    api_response_free(&r);
    assert_non_null(json_object_get(event->data, "debit_balance"));
    assert_non_null(json_object_get(event->data, "credit_balance"));
}

static void test_history(void **state)
{
    struct api_fixture *fixture = *state;
    struct sse_reader reader;
    sse_read(&reader, fixture, "/v1/events", NULL, 5);
    assert_string_equal(reader.content_type, "text/event-stream");
    const char *kinds[] = {"asset_defined", "account_created", "account_created",
                           "transfer_applied", "transfer_applied"};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(reader.events[i].kind, kinds[i]);
    }
    expect_increasing(&reader);
    json_t *asset = json_object_get(reader.events[0].data, "asset");
    assert_string_equal(json_string_value(json_object_get(asset, "code")), "USD");
    json_t *account = json_object_get(reader.events[1].data, "account");
    assert_string_equal(json_string_value(json_object_get(account, "id")),
                        "acct_00000000000000000000000001");
    expect_transfer_as_get(fixture, &reader.events[3]);
    expect_transfer_as_get(fixture, &reader.events[4]);
    json_t *credit = json_object_get(reader.events[3].data, "credit_balance");
    assert_string_equal(json_string_value(json_object_get(credit, "credits_posted")), "250000");
    sse_free(&reader);
}

/* Events committed after the client connected arrive, also after an idle wait longer
 * than the connection timeout (1 s here): a waiting stream is not cut. */
static void test_live(void **state)
{
    struct api_fixture *fixture = *state;
    struct sse_reader reader;
    sse_start(&reader, fixture, "/v1/events", NULL, 8);
    sse_wait(&reader, 5);
    struct timespec idle = {.tv_sec = 2, .tv_nsec = 0};
    (void)nanosleep(&idle, NULL);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(transfer(fixture, 200 + i, 1, 2, "7"), 201);
    }
    sse_join(&reader);
    assert_int_equal(atomic_load(&reader.count), 8);
    expect_increasing(&reader);
    for (size_t i = 5; i < 8; i++) {
        expect_transfer_as_get(fixture, &reader.events[i]);
    }
    sse_free(&reader);
}

/* Resuming after event k gives exactly the events after it, by header or by query. */
static void test_resume(void **state)
{
    struct api_fixture *fixture = *state;
    struct sse_reader all;
    sse_read(&all, fixture, "/v1/events", NULL, 5);
    for (size_t k = 0; k < 4; k++) {
        struct sse_reader rest;
        sse_read(&rest, fixture, "/v1/events", all.events[k].id, 4 - k);
        for (size_t i = 0; i < 4 - k; i++) {
            assert_string_equal(rest.events[i].id, all.events[k + 1 + i].id);
            assert_true(json_equal(rest.events[i].data, all.events[k + 1 + i].data));
        }
        sse_free(&rest);
    }
    char path[96];
    (void)snprintf(path, sizeof path, "/v1/events?after=%s", all.events[2].id);
    struct sse_reader rest;
    sse_read(&rest, fixture, path, NULL, 2);
    assert_string_equal(rest.events[0].id, all.events[3].id);
    sse_free(&rest);
    sse_free(&all);
}

/* A ring of 2 events: resuming from older ids goes through a catch-up cursor and
 * still gives the exact continuation, then live events. */
static void test_resume_older_than_ring(void **state)
{
    struct api_fixture *fixture = *state;
    struct sse_reader all;
    sse_read(&all, fixture, "/v1/events", NULL, 5); /* itself a catch-up from 0-0 */
    expect_increasing(&all);
    struct sse_reader rest;
    sse_read(&rest, fixture, "/v1/events", all.events[0].id, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(rest.events[i].id, all.events[1 + i].id);
        assert_true(json_equal(rest.events[i].data, all.events[1 + i].data));
    }
    sse_free(&rest);
    /* Catch up, then switch to the ring for what comes next. */
    struct sse_reader live;
    sse_start(&live, fixture, "/v1/events", all.events[1].id, 3 + 4);
    sse_wait(&live, 3);
    /* One at a time: a stream two events behind a ring of 2 is ended (by design), which a
     * burst of four can make happen on a loaded machine. */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(transfer(fixture, 300 + i, 1, 2, "3"), 201);
        sse_wait(&live, 3 + (size_t)i + 1);
    }
    sse_join(&live);
    assert_int_equal(atomic_load(&live.count), 7);
    expect_increasing(&live);
    assert_string_equal(live.events[0].id, all.events[2].id);
    for (size_t i = 3; i < 7; i++) {
        expect_transfer_as_get(fixture, &live.events[i]);
    }
    sse_free(&live);
    sse_free(&all);
}

static void expect_error(struct api_fixture *fixture, const char *path, const char *header,
                         long status, const char *code, const char *param)
{
    struct api_response r;
    assert_true(api_call(fixture, "GET", path, NULL, NULL, header, &r));
    assert_int_equal(r.status, status);
    assert_string_equal(api_field(&r, "error.code"), code);
    if (param != NULL) {
        assert_string_equal(api_field(&r, "error.param"), param);
    }
    api_response_free(&r);
}

static void test_bad_ids(void **state)
{
    struct api_fixture *fixture = *state;
    expect_error(fixture, "/v1/events", "Last-Event-ID: 12", 400, "event_id_invalid",
                 "Last-Event-ID");
    expect_error(fixture, "/v1/events", "Last-Event-ID: -1-0", 400, "event_id_invalid",
                 "Last-Event-ID");
    expect_error(fixture, "/v1/events?after=01-0", NULL, 400, "event_id_invalid", "after");
    expect_error(fixture, "/v1/events", "Last-Event-ID: 999-0", 400, "event_id_future",
                 "Last-Event-ID");
    expect_error(fixture, "/v1/events?after=999-0", NULL, 400, "event_id_future", "after");
    expect_error(fixture, "/v1/events", "Last-Event-ID: 0-3", 400, "event_id_unknown",
                 "Last-Event-ID");
    struct api_response r;
    assert_true(api_call(fixture, "POST", "/v1/events", "{}", NULL, NULL, &r));
    assert_int_equal(r.status, 405);
    api_response_free(&r);
}

/* A tiny ring with one catch-up allowed and three streams: the limits answer 503. */
static void test_limits(void **state)
{
    struct api_fixture *fixture = *state;
    struct sse_reader first;
    sse_start(&first, fixture, "/v1/events", NULL, 100); /* catching up from 0-0 */
    sse_wait(&first, 5);
    struct sse_reader second;
    sse_start(&second, fixture, "/v1/events", "4-0", 100); /* in the ring */
    sse_wait(&second, 1);
    struct sse_reader third;
    sse_start(&third, fixture, "/v1/events", "4-0", 100);
    sse_wait(&third, 1);
    expect_error(fixture, "/v1/events", "Last-Event-ID: 4-0", 503, "streams_full", NULL);
    struct api_response r;
    assert_true(api_call(fixture, "GET", "/v1/events", NULL, NULL, NULL, &r));
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.headers, "Retry-After: 1\r\n"));
    api_response_free(&r);
    api_fixture_stop(fixture);
    sse_join(&first);
    sse_join(&second);
    sse_join(&third);
    sse_free(&first);
    sse_free(&second);
    sse_free(&third);
}

/* Open streams end promptly on a graceful stop (bound: 5 s, the drain's timeout is
 * longer than that). */
static void test_stop_with_open_streams(void **state)
{
    struct api_fixture *fixture = *state;
    struct sse_reader readers[2];
    for (size_t i = 0; i < 2; i++) {
        sse_start(&readers[i], fixture, "/v1/events", NULL, 100);
        sse_wait(&readers[i], 5);
    }
    uint64_t start_ns = tpw_clock_monotonic_ns();
    api_fixture_stop(fixture);
    for (size_t i = 0; i < 2; i++) {
        sse_join(&readers[i]);
        assert_int_equal(readers[i].status, 200);
        assert_int_equal(atomic_load(&readers[i].count), 5);
        sse_free(&readers[i]);
    }
    assert_true(tpw_clock_monotonic_ns() - start_ns < UINT64_C(5000000000));
}

#define WRITERS 4
#define WRITER_TRANSFERS 50

struct writer {
    struct api_fixture *fixture;
    int first_id;
};

static void *writer_main(void *arg)
{
    struct writer *writer = arg;
    for (int i = 0; i < WRITER_TRANSFERS; i++) {
        assert_int_equal(transfer(writer->fixture, writer->first_id + i, 1, 2, "1"), 201);
    }
    return NULL;
}

/* What a cursor of its own reads from the journal: the stream must match it exactly. */
static void expect_journal_events(struct api_fixture *fixture, const struct sse_reader *reader)
{
    struct ledger_events *cursor = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(ledger_events_open(fixture->data_dir, NULL, &cursor, &detail), TPW_OK);
    for (size_t i = 0; i < atomic_load(&reader->count); i++) {
        struct ledger_event event;
        bool found = false;
        assert_err(ledger_events_next(cursor, &event, &found, &detail), TPW_OK);
        assert_true(found);
        char id[LEDGER_EVENT_ID_TEXT_SIZE];
        (void)ledger_event_id_format(event.id, id);
        assert_string_equal(reader->events[i].id, id);
        uint32_t number =
            event.kind == LEDGER_EVENT_ACCOUNT_CREATED ? event.account.asset : event.transfer.asset;
        struct ledger_asset asset;
        bool known = event.kind != LEDGER_EVENT_ASSET_DEFINED &&
                     ledger_events_asset_get(cursor, number, &asset) == TPW_OK;
        json_t *expected = api_event_json(&event, known ? &asset : NULL, API_JSON_DECIMALS);
        assert_true(json_equal(reader->events[i].data, expected));
        json_decref(expected);
    }
    ledger_events_close(cursor);
}

/* Concurrent writers and streams over a ring of 4 events: streams fall behind and
 * catch up through cursors of their own, and each still gets exactly the journal's
 * events, in order. */
static void test_concurrent_exact(void **state)
{
    struct api_fixture *fixture = *state;
    enum { READERS = 3, TOTAL = 5 + WRITERS * WRITER_TRANSFERS };
    static struct sse_reader readers[READERS];
    for (size_t i = 0; i < READERS; i++) {
        sse_start(&readers[i], fixture, "/v1/events", i == 0 ? NULL : "3-0",
                  i == 0 ? TOTAL : TOTAL - 3);
    }
    pthread_t threads[WRITERS];
    struct writer writers[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        writers[w] = (struct writer){fixture, 1000 + w * WRITER_TRANSFERS};
        assert_int_equal(pthread_create(&threads[w], NULL, writer_main, &writers[w]), 0);
    }
    for (int w = 0; w < WRITERS; w++) {
        assert_int_equal(pthread_join(threads[w], NULL), 0);
    }
    for (size_t i = 0; i < READERS; i++) {
        sse_join(&readers[i]);
        assert_int_equal(atomic_load(&readers[i].count), i == 0 ? TOTAL : TOTAL - 3);
        expect_increasing(&readers[i]);
    }
    expect_journal_events(fixture, &readers[0]);
    for (size_t i = 1; i < READERS; i++) {
        assert_string_equal(readers[i].events[0].id, readers[0].events[3].id);
        for (size_t k = 0; k < TOTAL - 3; k++) {
            assert_true(json_equal(readers[i].events[k].data, readers[0].events[k + 3].data));
        }
    }
    for (size_t i = 0; i < READERS; i++) {
        sse_free(&readers[i]);
    }
}

static int setup_concurrent(void **state)
{
    *state = fixture_start((struct api_server_options){
        .connection_timeout_s = 5, .events_ring_capacity = 4, .events_catchups_max = 8});
    return 0;
}

/* A silent stream gets keep-alive comments (every second here), and stays open. */
static void test_keepalive(void **state)
{
    struct api_fixture *fixture = *state;
    struct sse_reader reader;
    sse_start(&reader, fixture, "/v1/events", "5-0", 1);
    for (int i = 0; i < 500 && atomic_load(&reader.keepalives) < 2; i++) {
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 10000000};
        (void)nanosleep(&pause, NULL);
    }
    assert_true(atomic_load(&reader.keepalives) >= 2);
    assert_int_equal(transfer(fixture, 400, 1, 2, "1"), 201);
    sse_join(&reader);
    assert_int_equal(atomic_load(&reader.count), 1);
    expect_transfer_as_get(fixture, &reader.events[0]);
    sse_free(&reader);
}

static int setup_keepalive(void **state)
{
    *state = fixture_start(
        (struct api_server_options){.connection_timeout_s = 1, .events_keepalive_s = 1});
    return 0;
}

/* A user key's stream holds only what its owner may see: asset definitions, its own
 * accounts, and transfers touching them (either side); the rest is passed over. */
static void test_user_sees_own(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response r;
    const char *accounts[] = {"{\"id\":\"10\",\"asset\":\"USD\",\"owner\":\"42\"}",
                              "{\"id\":\"11\",\"asset\":\"USD\",\"owner\":\"43\"}"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(api_json(fixture, "POST", "/v1/accounts", accounts[i], &r), 201);
        api_response_free(&r);
    }
    assert_int_equal(transfer(fixture, 600, 1, 10, "30"), 201); /* 42 receives */
    assert_int_equal(transfer(fixture, 601, 1, 11, "40"), 201); /* 43 only */
    assert_int_equal(transfer(fixture, 602, 10, 11, "5"), 201); /* both */
    char user_key[API_KEY_TEXT_SIZE];
    api_fixture_key(fixture, &(struct api_key_spec){.role = API_ROLE_USER, .owner = 42}, user_key);
    struct timespec refresh = {.tv_sec = 1, .tv_nsec = 200000000}; /* the key file reload */
    (void)nanosleep(&refresh, NULL);
    fixture->key = user_key;
    struct sse_reader reader;
    sse_start(&reader, fixture, "/v1/events", NULL, 5);
    /* A transfer of another owner after the history, then one of 42's ends the wait. */
    fixture->key = fixture->admin_key;
    sse_wait(&reader, 4);
    assert_int_equal(transfer(fixture, 603, 1, 11, "1"), 201);
    assert_int_equal(transfer(fixture, 604, 11, 10, "2"), 201);
    sse_join(&reader);
    assert_int_equal(reader.status, 200);
    assert_int_equal(atomic_load(&reader.count), 5);
    const char *kinds[] = {"asset_defined", "account_created", "transfer_applied",
                           "transfer_applied", "transfer_applied"};
    const char *amounts[] = {NULL, NULL, "30", "5", "2"}; /* transfers 600, 602, 604 */
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(reader.events[i].kind, kinds[i]);
        if (amounts[i] != NULL) {
            json_t *t = json_object_get(reader.events[i].data, "transfer");
            assert_string_equal(json_string_value(json_object_get(t, "amount")), amounts[i]);
        }
    }
    json_t *account = json_object_get(reader.events[1].data, "account");
    assert_string_equal(json_string_value(json_object_get(account, "owner")),
                        "usr_0000000000000000000000001A"); /* 42 */
    expect_increasing(&reader);
    sse_free(&reader);
}

/* An FX pair's status changes reach an open stream as `fx.status` signals, without an
 * id (an EventSource keeps resuming from the ledger's last id), among ledger events:
 * the manual rate appears (none → fresh), then its 1 s TTL runs out (fresh → stale). */
static void test_signals(void **state)
{
    struct api_fixture *fixture = *state;
    char user_key[API_KEY_TEXT_SIZE];
    api_fixture_key(fixture, &(struct api_key_spec){.role = API_ROLE_USER, .owner = 42}, user_key);
    struct timespec refresh = {.tv_sec = 1, .tv_nsec = 200000000}; /* the key file reload */
    (void)nanosleep(&refresh, NULL);
    struct sse_reader admin;
    struct sse_reader user;
    sse_start(&admin, fixture, "/v1/events", NULL, 7); /* the five of the history, two */
    fixture->key = user_key;
    sse_start(&user, fixture, "/v1/events", NULL, 3); /* asset_defined, two */
    fixture->key = fixture->admin_key;
    sse_wait(&admin, 5);
    sse_wait(&user, 1);
    struct api_response r;
    assert_int_equal(
        api_json(fixture, "POST", "/v1/rates",
                 "{\"base\":\"EUR\",\"quote\":\"USD\",\"bid\":\"1.1\",\"ask\":\"1.2\"}", &r),
        201);
    api_response_free(&r);
    sse_join(&admin); /* bounded: the reader's own 20 s */
    sse_join(&user);
    assert_int_equal(atomic_load(&admin.count), 7);
    assert_int_equal(atomic_load(&user.count), 3);
    const struct sse_event *signals[] = {&admin.events[5], &admin.events[6], &user.events[1],
                                         &user.events[2]};
    for (size_t i = 0; i < 4; i++) {
        const struct sse_event *event = signals[i];
        assert_string_equal(event->kind, "fx.status");
        assert_string_equal(event->id, "");
        assert_string_equal(json_string_value(json_object_get(event->data, "pair")), "EUR-USD");
        assert_string_equal(json_string_value(json_object_get(event->data, "from")),
                            i % 2 == 0 ? "none" : "fresh");
        assert_string_equal(json_string_value(json_object_get(event->data, "to")),
                            i % 2 == 0 ? "fresh" : "stale");
        assert_true(json_integer_value(json_object_get(event->data, "timestamp")) > 0);
    }
    admin.count = 5; /* the ledger events only */
    expect_increasing(&admin);
    admin.count = 7;
    sse_free(&admin);
    sse_free(&user);
}

static int setup_signals(void **state)
{
    *state =
        fixture_start((struct api_server_options){.connection_timeout_s = 1, .fx_manual_ttl_s = 1});
    return 0;
}

static int setup_long_timeout(void **state)
{
    *state = fixture_start((struct api_server_options){.connection_timeout_s = 30});
    return 0;
}

int main(void)
{
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_history, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_live, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_resume, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_resume_older_than_ring, setup_tiny_ring,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_bad_ids, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_limits, setup_tiny_ring, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_keepalive, setup_keepalive, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_concurrent_exact, setup_concurrent,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_stop_with_open_streams, setup_long_timeout,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_user_sees_own, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_signals, setup_signals, api_fixture_free_state),
    };
    int failed = cmocka_run_group_tests_name("api_events", tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
