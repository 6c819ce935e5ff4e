/*
 * Slow and idle clients against a real server on 127.0.0.1, over raw sockets: an idle
 * connection is closed after the connection timeout; one trickling its headers or its
 * body (each byte well inside the idle timeout) is cut at the request deadline and
 * moves nothing; a steady keep-alive client and a long event stream are never cut;
 * the server serves on afterwards.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api_client.h"
#include "tpw_test.h"
#include "tpwallet/api.h"
#include "tpwallet/clock.h"

#include "banned.h"

/* The idle timeout outlasts the request deadline, so every cut below is the
 * deadline's: the trickles send a byte far more often than the idle timeout. */
#define IDLE_TIMEOUT_S 3
#define REQUEST_TIMEOUT_S 1
#define TRICKLE_PAUSE_MS 200
#define TRICKLE_STEPS 40 /* 8 s: the bound on every trickle */

static int setup(void **state)
{
    struct api_fixture *fixture = calloc(1, sizeof *fixture);
    api_fixture_start(fixture, (struct api_server_options){.connection_timeout_s = IDLE_TIMEOUT_S,
                                                           .request_timeout_s = REQUEST_TIMEOUT_S});
    struct api_response r;
    assert_int_equal(api_json(fixture, "POST", "/v1/accounts",
                              "{\"id\":\"1\",\"asset\":\"USD\",\"kind\":\"equity\"}", &r),
                     201);
    api_response_free(&r);
    assert_int_equal(
        api_json(fixture, "POST", "/v1/accounts", "{\"id\":\"2\",\"asset\":\"USD\"}", &r), 201);
    api_response_free(&r);
    *state = fixture;
    return 0;
}

static int connect_to(const struct api_fixture *fixture)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port = htons(api_server_port(fixture->server))};
    assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &address.sin_addr), 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof address), 0);
    return fd;
}

static void send_text(int fd, const char *text)
{
    size_t length = strlen(text);
    assert_int_equal(send(fd, text, length, MSG_NOSIGNAL), (ssize_t)length);
}

static uint64_t elapsed_ms(uint64_t since_ns)
{
    return (tpw_clock_monotonic_ns() - since_ns) / 1000000u;
}

/* Waits up to `wait_ms` for input: 1 = the peer closed (EOF or reset), 0 = nothing
 * came. Any reply bytes fail the test: a cut connection is closed without one. */
static int closed_within(int fd, int wait_ms)
{
    struct pollfd poller = {.fd = fd, .events = POLLIN};
    if (poll(&poller, 1, wait_ms) == 0) {
        return 0;
    }
    char byte;
    ssize_t got = recv(fd, &byte, 1, 0);
    assert_true(got == 0 || (got < 0 && errno == ECONNRESET));
    return 1;
}

/* Sends `prefix`, then `step` every TRICKLE_PAUSE_MS (bounded) until the server
 * closes the connection; returns how long that took, in ms. */
static uint64_t trickle_until_cut(const struct api_fixture *fixture, const char *prefix,
                                  const char *step)
{
    int fd = connect_to(fixture);
    uint64_t start_ns = tpw_clock_monotonic_ns();
    send_text(fd, prefix);
    for (int i = 0; i < TRICKLE_STEPS; i++) {
        if (closed_within(fd, TRICKLE_PAUSE_MS) == 1) {
            (void)close(fd);
            return elapsed_ms(start_ns);
        }
        size_t length = strlen(step);
        if (send(fd, step, length, MSG_NOSIGNAL) != (ssize_t)length) {
            (void)close(fd);
            return elapsed_ms(start_ns); /* reset by the cut */
        }
    }
    (void)close(fd);
    fail_msg("a trickling client was never cut");
    return 0;
}

static void expect_serving(const struct api_fixture *fixture)
{
    struct api_response r;
    assert_int_equal(api_json(fixture, "GET", "/livez", NULL, &r), 200);
    api_response_free(&r);
}

static void test_idle_connection_closed(void **state)
{
    struct api_fixture *fixture = *state;
    int fd = connect_to(fixture);
    uint64_t start_ns = tpw_clock_monotonic_ns();
    /* Nothing sent: the request deadline (1 s) comes before the idle timeout. */
    assert_int_equal(closed_within(fd, 10000), 1);
    assert_true(elapsed_ms(start_ns) >= REQUEST_TIMEOUT_S * 1000 - 100);
    (void)close(fd);
    expect_serving(fixture);
}

static void test_slow_headers_cut(void **state)
{
    struct api_fixture *fixture = *state;
    uint64_t took_ms =
        trickle_until_cut(fixture, "GET /livez HTTP/1.1\r\nHost: t\r\n", "X-Pad: a\r\n");
    assert_true(took_ms >= REQUEST_TIMEOUT_S * 1000 - 100);
    assert_true(took_ms < IDLE_TIMEOUT_S * 1000); /* the deadline, not the idle timeout */
    expect_serving(fixture);
    struct api_response r;
    assert_int_equal(api_json(fixture, "GET", "/metrics", NULL, &r), 200);
    assert_non_null(strstr(r.text, "\ntpwallet_http_request_timeouts_total 1\n"));
    api_response_free(&r);
}

static void test_slow_body_cut(void **state)
{
    struct api_fixture *fixture = *state;
    char prefix[512];
    (void)snprintf(prefix, sizeof prefix,
                   "POST /v1/transfers HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{",
                   fixture->key);
    uint64_t took_ms = trickle_until_cut(fixture, prefix, " ");
    assert_true(took_ms < IDLE_TIMEOUT_S * 1000);
    expect_serving(fixture);
    struct api_response r;
    assert_int_equal(api_json(fixture, "GET", "/v1/accounts/2", NULL, &r), 200);
    assert_string_equal(api_field(&r, "credits_posted"), "0");
    api_response_free(&r);
}

/* Reads one HTTP reply of a GET (headers and a Content-Length body) off `fd`. */
static void read_reply(int fd, long status)
{
    char reply[4096];
    size_t length = 0;
    for (int i = 0; i < 100 && length < sizeof reply - 1; i++) {
        struct pollfd poller = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&poller, 1, 1000), 1);
        ssize_t got = recv(fd, reply + length, sizeof reply - 1 - length, 0);
        assert_true(got > 0);
        length += (size_t)got;
        reply[length] = '\0';
        const char *end = strstr(reply, "\r\n\r\n");
        const char *declared = strstr(reply, "Content-Length: ");
        if (end != NULL && declared != NULL &&
            length >= (size_t)(end + 4 - reply) + strtoul(declared + 16, NULL, 10)) {
            break;
        }
    }
    long got_status = 0;
    assert_int_equal(sscanf(reply, "HTTP/1.1 %ld", &got_status), 1);
    assert_int_equal(got_status, status);
}

/* Requests every 200 ms on one connection for three request timeouts: each request
 * restarts the deadline, so the connection lives on. */
static void test_steady_client_kept(void **state)
{
    struct api_fixture *fixture = *state;
    int fd = connect_to(fixture);
    for (int i = 0; i < 15; i++) {
        send_text(fd, "GET /livez HTTP/1.1\r\nHost: t\r\n\r\n");
        read_reply(fd, 200);
        assert_int_equal(closed_within(fd, TRICKLE_PAUSE_MS), 0);
    }
    (void)close(fd);
}

/* Appends what arrives on `fd` within `wait_ms` (or until `want` shows up) to the
 * NUL-terminated `text`; false when the server closed the connection. */
static bool read_for(int fd, char *text, size_t size, int wait_ms, const char *want)
{
    uint64_t start_ns = tpw_clock_monotonic_ns();
    size_t length = strlen(text);
    while (elapsed_ms(start_ns) < (uint64_t)wait_ms && (want == NULL || !strstr(text, want))) {
        struct pollfd poller = {.fd = fd, .events = POLLIN};
        if (poll(&poller, 1, 50) == 0) {
            continue;
        }
        ssize_t got = recv(fd, text + length, size - 1 - length, 0);
        if (got <= 0) {
            return false;
        }
        length += (size_t)got;
        text[length] = '\0';
    }
    return true;
}

/* An event stream is the server's to keep open: past the request deadline it still
 * delivers. */
static void test_stream_outlives_deadline(void **state)
{
    struct api_fixture *fixture = *state;
    int fd = connect_to(fixture);
    char request[512];
    (void)snprintf(request, sizeof request,
                   "GET /v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n",
                   fixture->key);
    send_text(fd, request);
    static char stream[65536];
    stream[0] = '\0';
    assert_true(read_for(fd, stream, sizeof stream, 2500, NULL)); /* 2.5 request timeouts */
    assert_non_null(strstr(stream, "HTTP/1.1 200"));
    struct api_response r;
    assert_int_equal(api_json(fixture, "POST", "/v1/transfers",
                              "{\"id\":\"7\",\"debit_account_id\":\"1\",\"credit_account_id\":"
                              "\"2\",\"amount\":\"5\",\"asset\":\"USD\",\"code\":1}",
                              &r),
                     201);
    api_response_free(&r);
    assert_true(read_for(fd, stream, sizeof stream, 5000, "event: transfer_applied"));
    assert_non_null(strstr(stream, "event: transfer_applied"));
    (void)close(fd);
}

int main(void)
{
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idle_connection_closed, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_slow_headers_cut, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_slow_body_cut, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_steady_client_kept, setup, api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_stream_outlives_deadline, setup,
                                        api_fixture_free_state),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
