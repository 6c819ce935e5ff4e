/*
 * fx_ecb_fetch() against a tiny HTTP server on 127.0.0.1 (an ephemeral port, one thread
 * in this process, one canned reply per test): the real daily file, and each way the
 * transfer or the document can fail — truncated XML, a wrong namespace, a non-numeric
 * rate, HTTP 500, a redirect (not followed), an oversized body, a server that accepts
 * and never answers (timeout) and a closed port (connection refused). Each gives its
 * own structured error; the ASan build checks that none leaks. Then the provider glue:
 * polls into an aggregator under a manual clock — a failing poll marks the provider
 * down and the last good rate keeps serving until its TTL — and the newest day of the
 * shipped history fed the same way.
 */
#include "tpw_test.h"
#include "tpwallet/clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tpwallet/fx.h"

/* Every wait in the server is bounded, so a broken client cannot hang the suite. */
#define SERVER_WAIT_MS 5000
#define REQUEST_SIZE_MAX 8192

struct server {
    char *reply;
    size_t reply_len;
    pthread_t thread;
    int listen_fd;
    int stop_pipe[2];
    uint16_t port;
    bool hang; /* accept, read the request, then answer nothing until stopped */
};

static bool wait_readable(int fd, int timeout_ms)
{
    struct pollfd poller = {fd, POLLIN, 0};
    return poll(&poller, 1, timeout_ms) == 1;
}

static void read_request(int fd)
{
    char request[REQUEST_SIZE_MAX];
    size_t length = 0;
    while (length < sizeof(request) - 1 && wait_readable(fd, SERVER_WAIT_MS)) {
        ssize_t got = recv(fd, request + length, sizeof(request) - 1 - length, 0);
        if (got <= 0) {
            return;
        }
        length += (size_t)got;
        request[length] = '\0';
        if (strstr(request, "\r\n\r\n") != NULL) {
            return;
        }
    }
}

static void *serve_one(void *context)
{
    struct server *server = context;
    if (!wait_readable(server->listen_fd, SERVER_WAIT_MS)) {
        return NULL;
    }
    int fd = accept(server->listen_fd, NULL, NULL);
    if (fd < 0) {
        return NULL;
    }
    read_request(fd);
    if (server->hang) {
        (void)wait_readable(server->stop_pipe[0], SERVER_WAIT_MS);
    } else {
        size_t sent = 0;
        while (sent < server->reply_len) {
            ssize_t wrote = send(fd, server->reply + sent, server->reply_len - sent, MSG_NOSIGNAL);
            if (wrote <= 0) {
                break; /* the client gave up (the body cap) */
            }
            sent += (size_t)wrote;
        }
    }
    (void)close(fd);
    return NULL;
}

static int listen_loopback(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in address;
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof(address)), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t length = sizeof(address);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &length), 0);
    *port = ntohs(address.sin_port);
    return fd;
}

/* Starts a server that sends `status_line`, then `body` (length `body_len`). */
static void server_start(struct server *server, const char *status_line, const char *body,
                         size_t body_len, bool hang)
{
    memset(server, 0, sizeof(*server));
    server->hang = hang;
    server->listen_fd = listen_loopback(&server->port);
    assert_int_equal(pipe(server->stop_pipe), 0);
    size_t size = body_len + 256;
    server->reply = malloc(size);
    assert_non_null(server->reply);
    int head = snprintf(server->reply, size,
                        "HTTP/1.1 %s\r\nContent-Type: text/xml\r\nContent-Length: %zu\r\n"
                        "Location: http://127.0.0.2/elsewhere.xml\r\nConnection: close\r\n\r\n",
                        status_line, body_len);
    assert_true(head > 0 && (size_t)head < size - body_len);
    memcpy(server->reply + head, body, body_len);
    server->reply_len = (size_t)head + body_len;
    assert_int_equal(pthread_create(&server->thread, NULL, serve_one, server), 0);
}

static void server_stop(struct server *server)
{
    assert_int_equal(write(server->stop_pipe[1], "x", 1), 1);
    assert_int_equal(pthread_join(server->thread, NULL), 0);
    (void)close(server->listen_fd);
    (void)close(server->stop_pipe[0]);
    (void)close(server->stop_pipe[1]);
    free(server->reply);
}

static char *daily_xml(size_t *length)
{
    FILE *file = fopen(TPW_FX_TEST_DATA "/eurofxref-daily.xml", "rb");
    assert_non_null(file);
    char *data = calloc(1, 65536);
    assert_non_null(data);
    *length = fread(data, 1, 65535, file);
    assert_int_equal(fclose(file), 0);
    return data;
}

/* Fetches from the server with a 300 ms timeout; returns the error, detail in `detail`. */
static enum tpw_err fetch(const struct server *server, struct fx_ecb_day *day,
                          struct tpw_error_detail *detail)
{
    char url[64];
    (void)snprintf(url, sizeof(url), "http://127.0.0.1:%u/eurofxref-daily.xml",
                   (unsigned)server->port);
    tpw_error_detail_reset(detail);
    return fx_ecb_fetch(url, 300, NULL, day, detail);
}

static void test_good_file(void **state)
{
    (void)state;
    size_t length = 0;
    char *xml = daily_xml(&length);
    struct server server;
    server_start(&server, "200 OK", xml, length, false);
    struct fx_ecb_day day;
    struct tpw_error_detail detail;
    assert_err(fetch(&server, &day, &detail), TPW_OK);
    server_stop(&server);
    assert_int_equal(day.rates_count, 30);
    struct fx_quote quotes[FX_HISTORY_CURRENCIES_MAX];
    size_t count = 0;
    assert_err(fx_ecb_day_quotes(&day, quotes, FX_HISTORY_CURRENCIES_MAX, &count, &detail), TPW_OK);
    assert_int_equal(count, 30);
    assert_string_equal(quotes[0].base, "EUR");
    assert_string_equal(quotes[0].quote, "USD");
    assert_u128_equal(quotes[0].bid.value_e18, (tpw_u128)1125200000000000000ull);
    /* 2025-05-09 is summer time: 16:00 CEST = 14:00 UTC = 20217 days + 50400 s. */
    assert_int_equal(quotes[0].time_ns, (20217ull * 86400ull + 50400ull) * 1000000000ull);
    free(xml);
}

/* The daily file with `from` replaced by `to` (the first occurrence). */
static char *edited(const char *from, const char *to, size_t *length)
{
    char *xml = daily_xml(length);
    char *at = strstr(xml, from);
    assert_non_null(at);
    size_t from_len = strlen(from);
    size_t to_len = strlen(to);
    memmove(at + to_len, at + from_len, strlen(at + from_len) + 1);
    memcpy(at, to, to_len);
    *length = strlen(xml);
    return xml;
}

static void expect_document_error(char *body, size_t body_len, enum tpw_err expected,
                                  const char *message_has)
{
    struct server server;
    server_start(&server, "200 OK", body, body_len, false);
    struct fx_ecb_day day;
    struct tpw_error_detail detail;
    assert_err(fetch(&server, &day, &detail), expected);
    server_stop(&server);
    if (strstr(detail.message, message_has) == NULL) {
        print_error("message: %s\n", detail.message);
    }
    assert_non_null(strstr(detail.message, message_has));
    free(body);
}

static void test_bad_documents(void **state)
{
    (void)state;
    size_t length = 0;
    char *xml = daily_xml(&length);
    expect_document_error(xml, length / 2, TPW_ERR_FX_XML_INVALID, "line");
    xml = edited("2002-08-01/eurofxref", "2002-08-01/other", &length);
    expect_document_error(xml, length, TPW_ERR_FX_XML_NAMESPACE, "namespace");
    xml = edited("rate='1.1252'", "rate='one'", &length);
    expect_document_error(xml, length, TPW_ERR_FX_RATE_INVALID, "line 9: rate 'one'");
}

static void expect_transfer_error(const char *status_line, const char *body, size_t body_len,
                                  bool hang, enum tpw_err expected, const char *message_has)
{
    struct server server;
    server_start(&server, status_line, body, body_len, hang);
    struct fx_ecb_day day;
    struct tpw_error_detail detail;
    assert_err(fetch(&server, &day, &detail), expected);
    server_stop(&server);
    if (strstr(detail.message, message_has) == NULL) {
        print_error("message: %s\n", detail.message);
    }
    assert_non_null(strstr(detail.message, message_has));
}

static void test_http_status(void **state)
{
    (void)state;
    expect_transfer_error("500 Internal Server Error", "oops", 4, false,
                          TPW_ERR_FX_FETCH_HTTP_STATUS, "HTTP status 500");
    /* The Location header points elsewhere; the redirect is not followed. */
    expect_transfer_error("302 Found", "", 0, false, TPW_ERR_FX_FETCH_HTTP_STATUS,
                          "HTTP status 302");
}

static void test_body_cap(void **state)
{
    (void)state;
    size_t length = FX_ECB_FETCH_BODY_MAX + 4096;
    char *body = malloc(length);
    assert_non_null(body);
    memset(body, ' ', length);
    expect_transfer_error("200 OK", body, length, false, TPW_ERR_FX_TOO_LARGE, "body above");
    free(body);
}

static void test_timeout(void **state)
{
    (void)state;
    expect_transfer_error("200 OK", "", 0, true, TPW_ERR_FX_FETCH_TIMEOUT, "127.0.0.1");
}

static void *cancel_soon(void *flag)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 200000000};
    (void)nanosleep(&pause, NULL);
    atomic_store((atomic_bool *)flag, true);
    return NULL;
}

/* A server stopping cancels a fetch stuck on a silent peer: it ends in about a second,
 * not at its 10 s timeout (the bound asserted is generous for a loaded machine). */
static void test_cancelled(void **state)
{
    (void)state;
    struct server server;
    server_start(&server, "200 OK", "", 0, true);
    char url[64];
    (void)snprintf(url, sizeof(url), "http://127.0.0.1:%u/eurofxref-daily.xml",
                   (unsigned)server.port);
    atomic_bool cancel = false;
    pthread_t canceller;
    assert_int_equal(pthread_create(&canceller, NULL, cancel_soon, &cancel), 0);
    struct fx_ecb_day day;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    uint64_t start_ns = tpw_clock_monotonic_ns();
    assert_err(fx_ecb_fetch(url, 10000, &cancel, &day, &detail), TPW_ERR_FX_FETCH_FAILED);
    assert_true(tpw_clock_monotonic_ns() - start_ns < UINT64_C(5000000000));
    assert_non_null(strstr(detail.message, "cancelled"));
    assert_int_equal(pthread_join(canceller, NULL), 0);
    server_stop(&server);
}

static void test_connection_refused(void **state)
{
    (void)state;
    uint16_t port = 0;
    int fd = listen_loopback(&port);
    assert_int_equal(close(fd), 0); /* nothing listens there now */
    char url[64];
    (void)snprintf(url, sizeof(url), "http://127.0.0.1:%u/eurofxref-daily.xml", (unsigned)port);
    struct fx_ecb_day day;
    struct tpw_error_detail detail;
    assert_err(fx_ecb_fetch(url, 300, NULL, &day, &detail), TPW_ERR_FX_FETCH_FAILED);
    assert_non_null(strstr(detail.message, "127.0.0.1"));
    assert_err(fx_ecb_fetch(url, 0, NULL, &day, &detail), TPW_ERR_INVALID_ARGUMENT);
    /* A scheme libcurl is told not to speak. */
    assert_err(fx_ecb_fetch("file:///etc/hostname", 300, NULL, &day, &detail),
               TPW_ERR_FX_FETCH_FAILED);
}

#define DAY_NS (UINT64_C(86400) * 1000000000u)

static enum tpw_err poll_once(fx_aggregator *aggregator, uint32_t provider, const char *status,
                              char *body, size_t body_len, size_t *stored)
{
    struct server server;
    server_start(&server, status, body, body_len, false);
    char url[64];
    (void)snprintf(url, sizeof(url), "http://127.0.0.1:%u/eurofxref-daily.xml",
                   (unsigned)server.port);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = fx_ecb_poll(aggregator, provider, url, 300, stored, &detail);
    server_stop(&server);
    return err;
}

static struct fx_rate eur_usd(const fx_aggregator *aggregator)
{
    struct fx_rate rate;
    assert_err(fx_aggregator_rate(aggregator, "EUR", "USD", &rate, NULL), TPW_OK);
    return rate;
}

/* The daily file is of 2025-05-09 (EUR/USD 1.1252); the clock stands an hour after its
 * fixing, the provider's TTL is 4 days. */
static void test_poll_keeps_last_good(void **state)
{
    (void)state;
    int32_t date_days = 0;
    assert_err(fx_date_parse("2025-05-09", 10, &date_days, NULL), TPW_OK);
    uint64_t now_ns = fx_ecb_fixing_time_ns(date_days) + DAY_NS / 24;
    struct fx_policy policy = fx_policy_default();
    fx_aggregator *aggregator = NULL;
    assert_err(fx_aggregator_create(&policy, tpw_clock_manual(&now_ns), &aggregator, NULL), TPW_OK);
    struct fx_provider_config config = {.name = "ecb", .ttl_ns = 4 * DAY_NS, .priority = 1};
    uint32_t ecb = 0;
    assert_err(fx_aggregator_provider_add(aggregator, &config, &ecb, NULL), TPW_OK);
    size_t length = 0;
    char *xml = daily_xml(&length);
    size_t stored = 0;
    assert_err(poll_once(aggregator, ecb, "200 OK", xml, length, &stored), TPW_OK);
    assert_int_equal(stored, 30);
    struct fx_rate before = eur_usd(aggregator);
    assert_int_equal(before.status, FX_STATUS_FRESH);
    assert_u128_equal(before.mid.value_e18, (tpw_u128)1125200000000000000u);
    /* The same file again: nothing new, not a failure. */
    assert_err(poll_once(aggregator, ecb, "200 OK", xml, length, &stored), TPW_OK);
    /* Truncated XML, then HTTP 500: down, counted, the last good rate still served. */
    assert_err(poll_once(aggregator, ecb, "200 OK", xml, length / 2, &stored),
               TPW_ERR_FX_XML_INVALID);
    assert_err(poll_once(aggregator, ecb, "500 Internal Server Error", xml, 4, &stored),
               TPW_ERR_FX_FETCH_HTTP_STATUS);
    struct fx_provider_stats stats;
    fx_aggregator_provider_stats(aggregator, ecb, &stats);
    assert_false(stats.up);
    assert_int_equal(stats.failures, 2);
    assert_int_equal(stats.last_error, TPW_ERR_FX_FETCH_HTTP_STATUS);
    fx_aggregator_tick(aggregator);
    struct fx_rate after = eur_usd(aggregator);
    assert_memory_equal(&before, &after, sizeof before);
    /* Past the TTL with no good poll: stale, still shown. */
    now_ns += 4 * DAY_NS;
    fx_aggregator_tick(aggregator);
    assert_int_equal(eur_usd(aggregator).status, FX_STATUS_STALE);
    assert_err(poll_once(aggregator, ecb, "200 OK", xml, length, &stored), TPW_OK);
    fx_aggregator_provider_stats(aggregator, ecb, &stats);
    assert_true(stats.up); /* an old day again: up, but the pair stays stale */
    assert_int_equal(eur_usd(aggregator).status, FX_STATUS_STALE);
    free(xml);
    fx_aggregator_destroy(aggregator);
}

/* The shipped history's newest day, 2026-04-13, as the aggregator's quotes. */
static void test_history_latest_day(void **state)
{
    (void)state;
    fx_history *history = NULL;
    assert_err(fx_ecb_load_file(TPW_FX_ZIP, &history, NULL), TPW_OK);
    struct fx_ecb_day day;
    assert_err(fx_ecb_history_latest_day(history, &day, NULL), TPW_OK);
    char date[FX_DATE_TEXT_SIZE];
    fx_date_format(day.date_days, date);
    assert_string_equal(date, "2026-04-13");
    assert_true(day.rates_count >= 29); /* BGN, RUB and the euro adopters are gone */
    uint64_t now_ns = fx_ecb_fixing_time_ns(day.date_days);
    struct fx_policy policy = fx_policy_default();
    fx_aggregator *aggregator = NULL;
    assert_err(fx_aggregator_create(&policy, tpw_clock_manual(&now_ns), &aggregator, NULL), TPW_OK);
    struct fx_provider_config config = {.name = "ecb", .ttl_ns = 4 * DAY_NS};
    uint32_t ecb = 0;
    assert_err(fx_aggregator_provider_add(aggregator, &config, &ecb, NULL), TPW_OK);
    size_t stored = 0;
    assert_err(fx_ecb_provide_day(aggregator, ecb, &day, &stored, NULL), TPW_OK);
    assert_int_equal(stored, day.rates_count);
    struct fx_observation usd;
    assert_err(fx_history_rate_as_of(history, "USD", day.date_days, 0, &usd, NULL), TPW_OK);
    assert_u128_equal(eur_usd(aggregator).mid.value_e18, usd.per_eur.value_e18);
    fx_history *empty = fx_history_create();
    assert_non_null(empty);
    assert_err(fx_ecb_history_latest_day(empty, &day, NULL), TPW_ERR_FX_RATE_UNAVAILABLE);
    fx_history_destroy(empty);
    fx_history_destroy(history);
    fx_aggregator_destroy(aggregator);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_http_status),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_cancelled),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_poll_keeps_last_good),
        cmocka_unit_test(test_history_latest_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
