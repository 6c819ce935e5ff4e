/*
 * The signal ring (src/api/signals.c) on its own: texts in SSE form without an id, in
 * order; staff-only signals passed over for user streams; a stream that falls more
 * than the ring behind skips to the oldest kept, counted; a position at the end gets
 * nothing; a NULL payload (jansson out of memory) publishes nothing. The kept alerts of
 * GET /v1/alerts: their kinds, severities, visibility and ring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "signals.h"
#include "tpw_test.h"

#include "banned.h"

static void publish(struct api_signals *signals, int n, bool staff_only)
{
    api_signals_publish(signals, "test.signal", json_pack("{s:i}", "n", n), staff_only);
}

/* The next signal's `n`, or -1 when there is none. */
static int next_n(struct api_signals *signals, uint64_t *position, bool staff)
{
    char *text = NULL;
    size_t length = 0;
    assert_true(api_signals_next(signals, position, staff, &text, &length));
    if (text == NULL) {
        return -1;
    }
    char copy[128];
    assert_true(length < sizeof copy); /* the copy is not NUL-terminated */
    memcpy(copy, text, length);
    copy[length] = '\0';
    free(text);
    int n = -1;
    assert_int_equal(sscanf(copy, "event: test.signal\ndata: {\"n\":%d}", &n), 1);
    assert_string_equal(copy + length - 2, "\n\n");
    assert_null(strstr(copy, "id:"));
    return n;
}

static void test_order_and_visibility(void **state)
{
    (void)state;
    struct api_signals *signals = api_signals_create();
    assert_non_null(signals);
    uint64_t user = api_signals_published(signals);
    uint64_t staff = user;
    publish(signals, 1, false);
    publish(signals, 2, true);
    publish(signals, 3, false);
    assert_int_equal(api_signals_published(signals), 3);
    assert_int_equal(next_n(signals, &staff, true), 1);
    assert_int_equal(next_n(signals, &staff, true), 2);
    assert_int_equal(next_n(signals, &staff, true), 3);
    assert_int_equal(next_n(signals, &staff, true), -1);
    assert_int_equal(next_n(signals, &user, false), 1);
    assert_int_equal(next_n(signals, &user, false), 3); /* 2 is staff's */
    assert_int_equal(next_n(signals, &user, false), -1);
    assert_int_equal(user, 3);
    api_signals_publish(signals, "test.signal", NULL, false);
    assert_int_equal(api_signals_published(signals), 3);
    assert_int_equal(api_signals_skipped(signals), 0);
    api_signals_destroy(signals);
    api_signals_destroy(NULL);
}

static void test_falling_behind(void **state)
{
    (void)state;
    struct api_signals *signals = api_signals_create();
    assert_non_null(signals);
    uint64_t position = 0;
    for (int n = 0; n < (int)API_SIGNALS_RING + 10; n++) {
        publish(signals, n, false);
    }
    assert_int_equal(next_n(signals, &position, false), 10); /* 0..9 were overwritten */
    assert_int_equal(api_signals_skipped(signals), 10);
    assert_int_equal(position, 11);
    api_signals_destroy(signals);
}

/* The kept alerts: only the alert kinds, newest first, with their severity; staff-only
 * ones passed over for user keys; `limit` and has_more; and kept while busy signals
 * (market quotes) turn the stream ring over many times. */
static void test_alerts(void **state)
{
    (void)state;
    struct api_signals *signals = api_signals_create();
    assert_non_null(signals);
    api_signals_publish(signals, "fx.status", json_pack("{s:s}", "to", "stale"), false);
    api_signals_publish(signals, "fx.provider", json_pack("{s:s,s:b}", "provider", "ecb", "up", 0),
                        false);
    api_signals_publish(signals, "fx.exposure_alert", json_pack("{s:s}", "asset", "USD"), true);
    api_signals_publish(signals, "market.failover",
                        json_pack("{s:s,s:s}", "symbol", "BTCUSDT", "status_to", "live"), false);
    for (int n = 0; n < 3 * (int)API_SIGNALS_RING; n++) {
        api_signals_publish(signals, "market.quote", json_pack("{s:i}", "n", n), false);
    }
    bool has_more = true;
    json_t *staff = api_signals_alerts(signals, true, 10, &has_more);
    assert_non_null(staff);
    assert_false(has_more);
    assert_int_equal(json_array_size(staff), 3);
    json_t *newest = json_array_get(staff, 0);
    assert_string_equal(json_string_value(json_object_get(newest, "object")), "alert");
    assert_string_equal(json_string_value(json_object_get(newest, "kind")), "market.failover");
    assert_string_equal(json_string_value(json_object_get(newest, "severity")), "info");
    assert_int_equal(json_integer_value(json_object_get(newest, "sequence")), 3);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(newest, "data"), "symbol")), "BTCUSDT");
    assert_string_equal(json_string_value(json_object_get(json_array_get(staff, 1), "kind")),
                        "fx.exposure_alert");
    assert_string_equal(json_string_value(json_object_get(json_array_get(staff, 2), "severity")),
                        "warning"); /* the provider went down */
    json_decref(staff);
    json_t *user = api_signals_alerts(signals, false, 1, &has_more);
    assert_int_equal(json_array_size(user), 1);
    assert_true(has_more); /* fx.provider is older; the exposure alert is not the user's */
    json_decref(user);
    user = api_signals_alerts(signals, false, 10, &has_more);
    assert_int_equal(json_array_size(user), 2);
    assert_false(has_more);
    json_decref(user);
    api_signals_destroy(signals);
}

/* The alert ring keeps the newest API_ALERTS_RING. */
static void test_alerts_ring(void **state)
{
    (void)state;
    struct api_signals *signals = api_signals_create();
    assert_non_null(signals);
    for (int n = 0; n < (int)API_ALERTS_RING + 5; n++) {
        api_signals_publish(signals, "market.failover",
                            json_pack("{s:i,s:s}", "n", n, "status_to", "delayed"), false);
    }
    bool has_more = true;
    json_t *list = api_signals_alerts(signals, false, 100, &has_more);
    assert_int_equal(json_array_size(list), API_ALERTS_RING);
    assert_false(has_more);
    json_t *oldest = json_object_get(json_array_get(list, API_ALERTS_RING - 1), "data");
    assert_int_equal(json_integer_value(json_object_get(oldest, "n")), 5);
    json_decref(list);
    api_signals_destroy(signals);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_visibility),
        cmocka_unit_test(test_falling_behind),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_alerts_ring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
