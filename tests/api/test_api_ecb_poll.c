/*
 * The server's ECB poller end to end: a real server on 127.0.0.1 polling (every second)
 * a local stand-in for the ECB (libmicrohttpd on 127.0.0.1, its reply switchable).
 * A good day is served as EUR/X rates and merged into DATA/fx/history.csv; a failing
 * ECB (HTTP 500, a document that is not the daily XML) marks the provider down — in
 * /metrics and as an `fx.provider` signal on /v1/events — while the last good rates
 * keep serving; its recovery marks it up again. A URL that is not http(s) stops the
 * start; a stop during a fetch from a silent peer does not wait for its timeout.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api_client.h"
#include "sse_reader.h"
#include "tpw_test.h"
#include "tpwallet/clock.h"
#include "tpwallet/fx.h"

#include "banned.h"

#define XML_SIZE 2048

/* The stand-in: one reply (status and body) for every request, changed by the test. */
struct ecb_stub {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    unsigned status;
    char body[XML_SIZE];
    char url[96];
    char date[FX_DATE_TEXT_SIZE]; /* of the day served */
};

static enum MHD_Result stub_answer(void *cls, struct MHD_Connection *connection, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_size, void **context)
{
    (void)url, (void)method, (void)version, (void)upload, (void)upload_size, (void)context;
    struct ecb_stub *stub = cls;
    assert_int_equal(pthread_mutex_lock(&stub->lock), 0);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(stub->body), stub->body, MHD_RESPMEM_MUST_COPY);
    unsigned status = stub->status;
    assert_int_equal(pthread_mutex_unlock(&stub->lock), 0);
    (void)MHD_add_response_header(response, "Content-Type", "text/xml");
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

static void stub_reply(struct ecb_stub *stub, unsigned status, const char *body)
{
    assert_int_equal(pthread_mutex_lock(&stub->lock), 0);
    stub->status = status;
    (void)snprintf(stub->body, sizeof stub->body, "%s", body);
    assert_int_equal(pthread_mutex_unlock(&stub->lock), 0);
}

/* The daily XML of yesterday (UTC): its 16:00 Frankfurt fixing is always past, and
 * within the ECB provider's TTL, so the rates are fresh. */
static void daily_xml(struct ecb_stub *stub, char *xml, size_t size)
{
    struct tpw_clock wall = tpw_clock_system();
    int32_t yesterday = fx_date_from_time_ns(tpw_clock_now_ns(&wall)) - 1;
    fx_date_format(yesterday, stub->date);
    int length = snprintf(xml, size,
                          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" "
                          "xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n"
                          "<gesmes:subject>Reference rates</gesmes:subject>\n"
                          "<Cube><Cube time='%s'><Cube currency='USD' rate='1.1252'/>"
                          "<Cube currency='JPY' rate='163.36'/></Cube></Cube></gesmes:Envelope>\n",
                          stub->date);
    assert_true(length > 0 && (size_t)length < size);
}

static void stub_start(struct ecb_stub *stub)
{
    memset(stub, 0, sizeof *stub);
    assert_int_equal(pthread_mutex_init(&stub->lock, NULL), 0);
    char xml[XML_SIZE];
    daily_xml(stub, xml, sizeof xml);
    stub_reply(stub, 200, xml);
    struct sockaddr_in loopback = {.sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    stub->daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                         stub_answer, stub, MHD_OPTION_SOCK_ADDR, &loopback, MHD_OPTION_END);
    assert_non_null(stub->daemon);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(stub->daemon, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    (void)snprintf(stub->url, sizeof stub->url, "http://127.0.0.1:%u/eurofxref-daily.xml",
                   (unsigned)info->port);
}

static void stub_stop(struct ecb_stub *stub)
{
    MHD_stop_daemon(stub->daemon);
    (void)pthread_mutex_destroy(&stub->lock);
}

struct poll_state {
    struct ecb_stub stub;
    struct api_fixture api;
};

static int setup(void **state)
{
    struct poll_state *s = calloc(1, sizeof *s);
    assert_non_null(s);
    stub_start(&s->stub);
    api_fixture_start(&s->api,
                      (struct api_server_options){.fx_ecb_url = s->stub.url, .fx_ecb_poll_s = 1});
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct poll_state *s = *state;
    api_fixture_teardown(&s->api);
    stub_stop(&s->stub);
    free(s);
    return 0;
}

/* Waits (bounded: 10 s) for a line in /metrics. */
static void metrics_wait(struct api_fixture *api, const char *line)
{
    bool found = api_metrics_have(api, line);
    for (int i = 0; i < 100 && !found; i++) {
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 100000000};
        (void)nanosleep(&pause, NULL);
        found = api_metrics_have(api, line);
    }
    if (!found) {
        fail_msg("/metrics never showed %s", line);
    }
}

/* Waits (bounded: 10 s) until the server has a rate for `pair`. */
static void rate_wait(struct api_fixture *api, const char *pair)
{
    char path[64];
    (void)snprintf(path, sizeof path, "/v1/rates/%s", pair);
    long status = 0;
    for (int i = 0; i < 100 && status != 200; i++) {
        struct api_response r;
        status = api_json(api, "GET", path, NULL, &r);
        api_response_free(&r);
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 100000000};
        (void)nanosleep(&pause, NULL);
    }
    assert_int_equal(status, 200);
}

/* EUR/USD as the server serves it now: mid and status. */
static void expect_eur_usd(struct api_fixture *api, const char *mid, const char *status)
{
    struct api_response r;
    assert_int_equal(api_json(api, "GET", "/v1/rates/EUR-USD", NULL, &r), 200);
    assert_string_equal(api_field(&r, "mid"), mid);
    assert_string_equal(api_field(&r, "status"), status);
    api_response_free(&r);
}

static void expect_history_has(const struct poll_state *s, const char *row)
{
    char path[256];
    (void)snprintf(path, sizeof path, "%s/fx/history.csv", s->api.data_dir);
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    char text[4096];
    size_t length = fread(text, 1, sizeof text - 1, file);
    text[length] = '\0';
    assert_int_equal(fclose(file), 0);
    if (strstr(text, row) == NULL) {
        fail_msg("history.csv has no row %s:\n%s", row, text);
    }
}

static void test_poll_serve_fail_recover(void **state)
{
    struct poll_state *s = *state;
    struct api_fixture *api = &s->api;
    rate_wait(api, "EUR-USD");
    expect_eur_usd(api, "1.1252", "fresh");
    char row[64];
    (void)snprintf(row, sizeof row, "JPY,%s,163.36\n", s->stub.date);
    expect_history_has(s, row);

    struct sse_reader reader;
    sse_start(&reader, api, "/v1/events", NULL, 2);
    stub_reply(&s->stub, 500, "down for maintenance");
    metrics_wait(api, "tpwallet_fx_provider_up{provider=\"ecb\"} 0\n");
    expect_eur_usd(api, "1.1252", "fresh"); /* the last good day, within its TTL */
    stub_reply(&s->stub, 200, "<html>not the daily file</html>");
    metrics_wait(api, "tpwallet_fx_provider_failures_total{provider=\"ecb\"} 2\n");
    char xml[XML_SIZE];
    daily_xml(&s->stub, xml, sizeof xml);
    stub_reply(&s->stub, 200, xml);
    metrics_wait(api, "tpwallet_fx_provider_up{provider=\"ecb\"} 1\n");
    sse_join(&reader);
    /* Down (with the first failure's code), then up: one signal per change. */
    assert_int_equal(atomic_load(&reader.count), 2);
    const struct sse_event *down = &reader.events[0];
    const struct sse_event *up = &reader.events[1];
    assert_string_equal(down->kind, "fx.provider");
    assert_string_equal(json_string_value(json_object_get(down->data, "provider")), "ecb");
    assert_false(json_boolean_value(json_object_get(down->data, "up")));
    assert_string_equal(json_string_value(json_object_get(down->data, "error")),
                        "fx_fetch_http_status");
    assert_string_equal(up->kind, "fx.provider");
    assert_true(json_boolean_value(json_object_get(up->data, "up")));
    assert_null(json_object_get(up->data, "error"));
    sse_free(&reader);
}

/* A URL that is not http(s) stops the start, the setting named. */
static void test_bad_url_refused(void **state)
{
    struct poll_state *s = *state;
    api_fixture_stop(&s->api);
    static const char *const bad[] = {"file:///etc/passwd", "ftp://127.0.0.1/x", "127.0.0.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct api_server *server = NULL;
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        struct api_server_options options = {
            .data_dir = s->api.data_dir, .listen_host = "127.0.0.1", .fx_ecb_url = bad[i]};
        assert_err(api_server_start(&options, &server, &detail), TPW_ERR_USAGE);
        assert_string_equal(detail.param, "fx_ecb_url");
        assert_null(server);
    }
}

/* A peer that accepts and never answers: the stop cancels the fetch in about a second
 * (its timeout is 10 s; the bound asserted is generous for a loaded machine). */
static void test_stop_during_fetch(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal(listen(fd, 4), 0); /* the kernel accepts; nobody reads */
    socklen_t length = sizeof address;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &length), 0);
    char url[96];
    (void)snprintf(url, sizeof url, "http://127.0.0.1:%u/eurofxref-daily.xml",
                   (unsigned)ntohs(address.sin_port));
    struct api_fixture api;
    memset(&api, 0, sizeof api);
    api_fixture_start(&api, (struct api_server_options){.fx_ecb_url = url});
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 300000000}; /* the fetch is under way */
    (void)nanosleep(&pause, NULL);
    uint64_t start_ns = tpw_clock_monotonic_ns();
    api_fixture_stop(&api);
    assert_true(tpw_clock_monotonic_ns() - start_ns < UINT64_C(5000000000));
    api_fixture_teardown(&api);
    assert_int_equal(close(fd), 0);
}

int main(void)
{
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_poll_serve_fail_recover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_url_refused, setup, teardown),
        cmocka_unit_test(test_stop_during_fetch),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
