/*
 * Idempotency-Key end to end: replay of the first reply (marked Idempotent-Replayed),
 * 422 for the same key with other parameters, 409 while the first request runs, keys
 * scoped by API key, nothing kept for requests refused before the ledger, kept
 * ledger refusals, replay across a restart, the window's expiry, bad keys.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api_client.h"
#include "tpw_test.h"

#include "banned.h"

static int setup(void **state)
{
    struct api_fixture *fixture = calloc(1, sizeof *fixture);
    api_fixture_start(fixture, (struct api_server_options){0});
    struct api_response r;
    assert_int_equal(api_json(fixture, "POST", "/v1/accounts",
                              "{\"id\":\"1\",\"asset\":\"USD\",\"kind\":\"equity\"}", &r),
                     201);
    api_response_free(&r);
    assert_int_equal(api_json(fixture, "POST", "/v1/accounts",
                              "{\"id\":\"2\",\"asset\":\"USD\",\"flags\":[\"debits_must_not_"
                              "exceed_credits\"]}",
                              &r),
                     201);
    api_response_free(&r);
    *state = fixture;
    return 0;
}

static long post_keyed(struct api_fixture *fixture, const char *path, const char *body,
                       const char *key, struct api_response *out)
{
    char header[320];
    (void)snprintf(header, sizeof header, "Idempotency-Key: %s", key);
    assert_true(api_call(fixture, "POST", path, body, NULL, header, out));
    return out->status;
}

static const char transfer_10[] = "{\"id\":\"10\",\"debit_account_id\":\"1\",\"credit_account_"
                                  "id\":\"2\",\"amount\":\"700\",\"asset\":\"USD\",\"code\":1}";

static bool replayed(const struct api_response *r)
{
    return strstr(r->headers, "Idempotent-Replayed: true") != NULL;
}

static void expect_credits(struct api_fixture *fixture, const char *value)
{
    struct api_response r;
    assert_int_equal(api_json(fixture, "GET", "/v1/accounts/2", NULL, &r), 200);
    assert_string_equal(api_field(&r, "credits_posted"), value);
    api_response_free(&r);
}

static void test_replay_and_mismatch(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response first;
    struct api_response again;
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, "k-1", &first), 201);
    assert_false(replayed(&first));
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, "k-1", &again), 201);
    assert_true(replayed(&again));
    assert_true(json_equal(first.body, again.body));
    api_response_free(&first);
    api_response_free(&again);
    /* The same key with another body, or on another route: 422, nothing applied. */
    struct api_response r;
    char other[256];
    (void)snprintf(other, sizeof other, "%s", transfer_10);
    memcpy(strstr(other, "700"), "701", 3);
    assert_int_equal(post_keyed(fixture, "/v1/transfers", other, "k-1", &r), 422);
    assert_string_equal(api_field(&r, "error.type"), "idempotency_error");
    assert_string_equal(api_field(&r, "error.code"), "idempotency_key_reused");
    api_response_free(&r);
    assert_int_equal(post_keyed(fixture, "/v1/transfers/batch", "{\"transfers\":[]}", "k-1", &r),
                     422);
    api_response_free(&r);
    expect_credits(fixture, "700");
    /* A GET ignores the header. */
    assert_true(
        api_call(fixture, "GET", "/v1/transfers/10", NULL, NULL, "Idempotency-Key: k-1", &r));
    assert_int_equal(r.status, 200);
    api_response_free(&r);
}

static void test_scoped_by_api_key(void **state)
{
    struct api_fixture *fixture = *state;
    char other_key[API_KEY_TEXT_SIZE];
    api_fixture_stop(fixture);
    api_fixture_key(fixture, &(struct api_key_spec){.role = API_ROLE_OPERATOR}, other_key);
    api_fixture_start(fixture, (struct api_server_options){0});
    struct api_response r;
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, "shared", &r), 201);
    api_response_free(&r);
    /* Another API key's "shared" is its own: it runs (the ledger says the id exists). */
    fixture->key = other_key;
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, "shared", &r), 200);
    assert_false(replayed(&r));
    api_response_free(&r);
    fixture->key = fixture->admin_key;
}

static void test_what_is_kept(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response r;
    /* Refused before the ledger: not kept, so the fixed request runs under the key. */
    assert_int_equal(post_keyed(fixture, "/v1/transfers", "{\"id\":", "k-fix", &r), 400);
    api_response_free(&r);
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, "k-fix", &r), 201);
    assert_false(replayed(&r));
    api_response_free(&r);
    /* Refused by the ledger: kept, and replayed even once the funds are there. */
    const char overdraw[] = "{\"id\":\"11\",\"debit_account_id\":\"2\",\"credit_account_id\":"
                            "\"1\",\"amount\":\"5000\",\"asset\":\"USD\",\"code\":1}";
    assert_int_equal(post_keyed(fixture, "/v1/transfers", overdraw, "k-refused", &r), 422);
    assert_string_equal(api_field(&r, "error.code"), "exceeds_credits");
    api_response_free(&r);
    const char fund[] = "{\"id\":\"12\",\"debit_account_id\":\"1\",\"credit_account_id\":"
                        "\"2\",\"amount\":\"9000\",\"asset\":\"USD\",\"code\":1}";
    assert_int_equal(api_json(fixture, "POST", "/v1/transfers", fund, &r), 201);
    api_response_free(&r);
    assert_int_equal(post_keyed(fixture, "/v1/transfers", overdraw, "k-refused", &r), 422);
    assert_true(replayed(&r));
    api_response_free(&r);
    /* Bad keys. */
    char long_key[300];
    memset(long_key, 'x', 256);
    long_key[256] = '\0';
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, long_key, &r), 400);
    assert_string_equal(api_field(&r, "error.code"), "idempotency_key_invalid");
    assert_string_equal(api_field(&r, "error.param"), "Idempotency-Key");
    api_response_free(&r);
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, "two words", &r), 400);
    api_response_free(&r);
}

static void test_replay_survives_restart(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response first;
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, "k-durable", &first), 201);
    api_fixture_stop(fixture);
    api_fixture_start(fixture, (struct api_server_options){0});
    struct api_response again;
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, "k-durable", &again), 201);
    assert_true(replayed(&again));
    assert_true(json_equal(first.body, again.body));
    api_response_free(&first);
    api_response_free(&again);
    /* And again after the start-up rewrite of the log. */
    api_fixture_stop(fixture);
    api_fixture_start(fixture, (struct api_server_options){0});
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, "k-durable", &again), 201);
    assert_true(replayed(&again));
    api_response_free(&again);
}

static void test_window_expires(void **state)
{
    struct api_fixture *fixture = *state;
    api_fixture_stop(fixture);
    api_fixture_start(fixture, (struct api_server_options){.idempotency_window_s = 1});
    struct api_response r;
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, "k-short", &r), 201);
    api_response_free(&r);
    struct timespec pause = {.tv_sec = 1, .tv_nsec = 200000000};
    (void)nanosleep(&pause, NULL);
    /* Past the window the key is free: another body runs. */
    const char other[] = "{\"id\":\"13\",\"debit_account_id\":\"1\",\"credit_account_id\":"
                         "\"2\",\"amount\":\"1\",\"asset\":\"USD\",\"code\":1}";
    assert_int_equal(post_keyed(fixture, "/v1/transfers", other, "k-short", &r), 201);
    assert_false(replayed(&r));
    api_response_free(&r);
    /* Expired records are dropped from the log at the next start. */
    api_fixture_stop(fixture);
    (void)nanosleep(&pause, NULL);
    api_fixture_start(fixture, (struct api_server_options){.idempotency_window_s = 1});
    assert_int_equal(post_keyed(fixture, "/v1/transfers", transfer_10, "k-short", &r), 200);
    assert_false(replayed(&r));
    api_response_free(&r);
}

/* ---- the log's compaction while the server runs --------------------------------- */

static long log_size(const struct api_fixture *fixture)
{
    char path[512];
    (void)snprintf(path, sizeof path, "%s/idempotency.jsonl", fixture->data_dir);
    struct stat info;
    assert_int_equal(stat(path, &info), 0);
    return (long)info.st_size;
}

/* Transfer `id` of 1 from account 1 to 2 under the key "k-<id>"; its reply's status
 * and whether it was a replay. */
static long keyed_transfer(struct api_fixture *fixture, int id, bool *was_replayed)
{
    char body[256];
    char key[32];
    (void)snprintf(body, sizeof body,
                   "{\"id\":\"%d\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
                   "\"amount\":\"1\",\"asset\":\"USD\",\"code\":1}",
                   id);
    (void)snprintf(key, sizeof key, "k-%d", id);
    struct api_response r;
    long status = post_keyed(fixture, "/v1/transfers", body, key, &r);
    *was_replayed = replayed(&r);
    api_response_free(&r);
    return status;
}

/* `count` keyed transfers from id `first`, each run (201, not a replay). */
static void keyed_transfers(struct api_fixture *fixture, int first, int count)
{
    for (int id = first; id < first + count; id++) {
        bool was_replayed = true;
        assert_int_equal(keyed_transfer(fixture, id, &was_replayed), 201);
        assert_false(was_replayed);
    }
}

static void expect_replays(struct api_fixture *fixture, int id)
{
    bool was_replayed = false;
    assert_int_equal(keyed_transfer(fixture, id, &was_replayed), 201);
    assert_true(was_replayed);
}

/* Records past the window leave the log while the server runs (not only at a start),
 * the live ones still replay, after a restart too. */
static void test_log_compacted_while_running(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_server_options options = {.idempotency_window_s = 1,
                                         .idempotency_compact_bytes = 16 << 10};
    api_fixture_stop(fixture);
    api_fixture_start(fixture, options);
    keyed_transfers(fixture, 1000, 40); /* ~700 bytes a record: past 16 KiB */
    long grown = log_size(fixture);
    struct timespec pause = {.tv_sec = 1, .tv_nsec = 200000000};
    (void)nanosleep(&pause, NULL); /* those 40 expire */
    keyed_transfers(fixture, 2000, 30);
    long compacted = log_size(fixture);
    /* One compaction at least since the expiry: fewer than the 70 records appended. */
    assert_true(compacted < grown + 30 * (grown / 40) - grown / 2);
    expect_replays(fixture, 2029);
    api_fixture_stop(fixture);
    api_fixture_start(fixture, options);
    expect_replays(fixture, 2029);
    expect_credits(fixture, "70");
}

/* A compaction that cannot write its file leaves the log as it was and the server
 * keeping replies. */
static void test_log_compaction_failure(void **state)
{
    struct api_fixture *fixture = *state;
    api_fixture_stop(fixture);
    char obstacle[512];
    (void)snprintf(obstacle, sizeof obstacle, "%s/idempotency.jsonl.tmp", fixture->data_dir);
    api_fixture_start(fixture, (struct api_server_options){.idempotency_compact_bytes = 4 << 10});
    assert_int_equal(mkdir(obstacle, 0700), 0); /* open(O_TRUNC) on a directory fails */
    keyed_transfers(fixture, 3000, 30);
    assert_true(log_size(fixture) > 30 * 500); /* every record still there */
    expect_replays(fixture, 3000);
    expect_replays(fixture, 3029);
    api_fixture_stop(fixture);
    assert_int_equal(rmdir(obstacle), 0);
    api_fixture_start(fixture, (struct api_server_options){0});
    expect_replays(fixture, 3000);
}

/* ---- concurrency: the second request while the first one runs ---------------------- */

enum { BIG_BATCH = 8000 };

struct racer {
    struct api_fixture *fixture;
    const char *body;
    const char *key;
    long status;
    bool replayed;
};

static void *racer_main(void *arg)
{
    struct racer *racer = arg;
    struct api_response r;
    char header[320];
    (void)snprintf(header, sizeof header, "Idempotency-Key: %s", racer->key);
    racer->status =
        api_call(racer->fixture, "POST", "/v1/transfers/batch", racer->body, NULL, header, &r)
            ? r.status
            : 0;
    racer->replayed = replayed(&r);
    api_response_free(&r);
    return NULL;
}

static char *big_batch(int first_id)
{
    size_t size = (size_t)BIG_BATCH * 160 + 64;
    char *body = malloc(size);
    assert_non_null(body);
    size_t used = (size_t)snprintf(body, size, "{\"transfers\":[");
    for (int i = 0; i < BIG_BATCH; i++) {
        used += (size_t)snprintf(body + used, size - used,
                                 "%s{\"id\":\"%d\",\"debit_account_id\":\"1\",\"credit_account_"
                                 "id\":\"2\",\"amount\":\"1\",\"asset\":\"USD\",\"code\":1}",
                                 i > 0 ? "," : "", first_id + i);
    }
    (void)snprintf(body + used, size - used, "]}");
    return body;
}

/* Two identical requests under one key, the second sent while the first commits a big
 * batch: the second is a 409 or, if the first won, its replay — never a second run.
 * Timing decides which, so the attempt repeats (bounded) until a 409 is seen. */
static void test_concurrent_same_key(void **state)
{
    struct api_fixture *fixture = *state;
    bool saw_conflict = false;
    for (int attempt = 0; attempt < 20 && !saw_conflict; attempt++) {
        char *body = big_batch(100000 + attempt * BIG_BATCH);
        char key[32];
        (void)snprintf(key, sizeof key, "race-%d", attempt);
        struct racer first = {fixture, body, key, 0, false};
        struct racer second = {fixture, body, key, 0, false};
        pthread_t thread;
        assert_int_equal(pthread_create(&thread, NULL, racer_main, &first), 0);
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 3000000};
        (void)nanosleep(&pause, NULL);
        racer_main(&second);
        assert_int_equal(pthread_join(thread, NULL), 0);
        free(body);
        /* Whichever ran first, exactly one ran. */
        bool first_ran = first.status == 200 && !first.replayed;
        bool second_ran = second.status == 200 && !second.replayed;
        assert_true(first_ran != second_ran);
        long other = first_ran ? second.status : first.status;
        bool other_replayed = first_ran ? second.replayed : first.replayed;
        assert_true(other == 409 || (other == 200 && other_replayed));
        saw_conflict = other == 409;
    }
    assert_true(saw_conflict);
}

int main(void)
{
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replay_and_mismatch, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_scoped_by_api_key, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_what_is_kept, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_replay_survives_restart, setup,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_window_expires, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_log_compacted_while_running, setup,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_log_compaction_failure, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_concurrent_same_key, setup, api_fixture_free_state),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
