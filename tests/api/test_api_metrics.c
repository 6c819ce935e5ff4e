/*
 * GET /metrics end to end: a real server on 127.0.0.1 scraped by libcurl. Every scrape
 * is parsed strictly (HELP and TYPE lines, sample lines, quoted labels, cumulative
 * buckets, `+Inf` equal to `_count`, `_sum` present); then the counts per route and
 * status, the labels of refusals (401/404/405/429), the committer's batch and commit
 * histograms, the gauges against what was made, and who may scrape. The metrics
 * module's own pieces (seconds text, a route out of status slots) are tested alone.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api_client.h"
#include "metrics.h"
#include "tpw_test.h"
#include "tpwallet/ledger.h"

#include "banned.h"

#define NS_PER_S UINT64_C(1000000000)
#define SAMPLES_MAX 4096
#define DURATION "tpwallet_http_request_duration_seconds"
#define BATCH "tpwallet_ledger_batch_size"
#define COMMIT "tpwallet_ledger_commit_duration_seconds"

/* ---- a strict reader of the exposition ------------------------------------------- */

struct sample {
    char name[96];
    char series[160]; /* the labels but `le`, as sent: route="x",status="200" */
    char le[32];      /* "" when the sample has none */
    uint64_t value_e9;
};

struct family {
    char name[96];
    char type[16];
    bool help;
};

struct exposition {
    struct sample samples[SAMPLES_MAX];
    size_t count;
    struct family families[32];
    size_t families_count;
};

struct cursor {
    const char *at;
    size_t line_number;
};

static void fail_at(const struct cursor *cursor, const char *what)
{
    const char *end = strchr(cursor->at, '\n');
    int length = end != NULL ? (int)(end - cursor->at) : (int)strlen(cursor->at);
    fail_msg("line %zu: %s: \"%.*s\"", cursor->line_number, what, length, cursor->at);
}

static bool name_char(char c, bool first)
{
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    return alpha || (!first && c >= '0' && c <= '9');
}

/* A metric or label name into `out`; returns what follows it. */
static const char *read_name(struct cursor *cursor, const char *p, char *out, size_t size)
{
    size_t length = 0;
    while (name_char(p[length], length == 0)) {
        length++;
    }
    if (length == 0 || length >= size) {
        fail_at(cursor, "bad name");
    }
    memcpy(out, p, length);
    out[length] = '\0';
    return p + length;
}

/* A decimal ("12", "0.00025") as an integer of 10^-9 units. */
static uint64_t decimal_e9(struct cursor *cursor, const char *text, size_t length)
{
    uint64_t whole = 0;
    uint64_t fraction = 0;
    size_t i = 0;
    for (; i < length && text[i] >= '0' && text[i] <= '9'; i++) {
        whole = whole * 10 + (uint64_t)(text[i] - '0');
    }
    if (i == 0) {
        fail_at(cursor, "not a decimal");
    }
    uint64_t scale = NS_PER_S;
    if (i < length && text[i] == '.') {
        size_t first = ++i;
        for (; i < length && text[i] >= '0' && text[i] <= '9' && scale > 1; i++) {
            scale /= 10;
            fraction += (uint64_t)(text[i] - '0') * scale;
        }
        if (i == first) {
            fail_at(cursor, "a point without digits");
        }
    }
    if (i != length) {
        fail_at(cursor, "not a decimal");
    }
    return whole * NS_PER_S + fraction;
}

/* One quoted label value (escapes \\, \", \n) into `out`; returns what follows it. */
static const char *read_label_value(struct cursor *cursor, const char *p, char *out, size_t size)
{
    if (*p++ != '"') {
        fail_at(cursor, "a label value is not quoted");
    }
    size_t length = 0;
    while (*p != '"') {
        char c = *p++;
        if (c == '\n' || c == '\0') {
            fail_at(cursor, "an unterminated label value");
        }
        if (c == '\\') {
            c = *p == 'n' ? '\n' : *p;
            if (*p != '\\' && *p != '"' && *p != 'n') {
                fail_at(cursor, "a bad escape in a label value");
            }
            p++;
        }
        if (length + 1 >= size) {
            fail_at(cursor, "a label value too long");
        }
        out[length++] = c;
    }
    out[length] = '\0';
    return p + 1;
}

/* `{name="value",…}`: `le` apart, the others into sample->series as sent. */
static const char *read_labels(struct cursor *cursor, const char *p, struct sample *sample)
{
    sample->series[0] = '\0';
    sample->le[0] = '\0';
    if (*p != '{') {
        return p;
    }
    p++;
    for (;;) {
        char name[64];
        char value[128];
        const char *start = p;
        p = read_name(cursor, p, name, sizeof name);
        if (*p++ != '=') {
            fail_at(cursor, "a label without '='");
        }
        p = read_label_value(cursor, p, value, sizeof value);
        if (strcmp(name, "le") == 0) {
            assert_true(strlen(value) < sizeof sample->le);
            memcpy(sample->le, value, strlen(value) + 1);
        } else {
            size_t used = strlen(sample->series);
            (void)snprintf(sample->series + used, sizeof sample->series - used, "%s%.*s",
                           used > 0 ? "," : "", (int)(p - start), start);
        }
        if (*p == '}') {
            return p + 1;
        }
        if (*p++ != ',') {
            fail_at(cursor, "labels not separated by ','");
        }
    }
}

static struct family *family_last(struct exposition *e)
{
    return e->families_count > 0 ? &e->families[e->families_count - 1] : NULL;
}

/* `# HELP name text` and `# TYPE name type`: HELP first, each once, before samples. */
static void read_comment(struct exposition *e, struct cursor *cursor, const char *p)
{
    bool help = strncmp(p, "# HELP ", 7) == 0;
    if (!help && strncmp(p, "# TYPE ", 7) != 0) {
        fail_at(cursor, "a comment neither HELP nor TYPE");
    }
    char name[96];
    p = read_name(cursor, p + 7, name, sizeof name);
    if (*p++ != ' ') {
        fail_at(cursor, "no text after the name");
    }
    struct family *last = family_last(e);
    if (help) {
        for (size_t i = 0; i < e->families_count; i++) {
            if (strcmp(e->families[i].name, name) == 0) {
                fail_at(cursor, "a second HELP for a family");
            }
        }
        assert_true(e->families_count < sizeof e->families / sizeof e->families[0]);
        last = &e->families[e->families_count++];
        memset(last, 0, sizeof *last);
        memcpy(last->name, name, strlen(name) + 1);
        last->help = true;
        return;
    }
    size_t length = strcspn(p, "\n");
    if (last == NULL || strcmp(last->name, name) != 0 || last->type[0] != '\0') {
        fail_at(cursor, "a TYPE not right after its family's HELP");
    }
    static const char *const types[] = {"counter", "gauge", "histogram"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (length == strlen(types[i]) && strncmp(p, types[i], length) == 0) {
            memcpy(last->type, types[i], length + 1);
            return;
        }
    }
    fail_at(cursor, "an unknown TYPE");
}

/* The sample's name must be its family's (a histogram's: with _bucket, _sum, _count). */
static void check_family(const struct family *family, struct cursor *cursor,
                         const struct sample *sample)
{
    if (family == NULL || family->type[0] == '\0') {
        fail_at(cursor, "a sample before its family's TYPE");
    }
    size_t length = strlen(family->name);
    bool prefix = strncmp(sample->name, family->name, length) == 0;
    const char *suffix = sample->name + length;
    if (strcmp(family->type, "histogram") != 0) {
        if (!prefix || *suffix != '\0' || sample->le[0] != '\0') {
            fail_at(cursor, "a sample outside its family");
        }
        return;
    }
    bool bucket = prefix && strcmp(suffix, "_bucket") == 0;
    bool other = prefix && (strcmp(suffix, "_sum") == 0 || strcmp(suffix, "_count") == 0);
    if (!(bucket && sample->le[0] != '\0') && !(other && sample->le[0] == '\0')) {
        fail_at(cursor, "a histogram sample of the wrong shape");
    }
}

static void read_sample(struct exposition *e, struct cursor *cursor, const char *p)
{
    assert_true(e->count < SAMPLES_MAX);
    struct sample *sample = &e->samples[e->count];
    p = read_name(cursor, p, sample->name, sizeof sample->name);
    p = read_labels(cursor, p, sample);
    if (*p++ != ' ') {
        fail_at(cursor, "no space before the value");
    }
    size_t length = strcspn(p, "\n");
    sample->value_e9 = decimal_e9(cursor, p, length);
    check_family(family_last(e), cursor, sample);
    for (size_t i = 0; i < e->count; i++) {
        const struct sample *other = &e->samples[i];
        if (strcmp(other->name, sample->name) == 0 && strcmp(other->series, sample->series) == 0 &&
            strcmp(other->le, sample->le) == 0) {
            fail_at(cursor, "a sample sent twice");
        }
    }
    e->count++;
}

static const struct sample *find(const struct exposition *e, const char *name, const char *series,
                                 const char *le)
{
    for (size_t i = 0; i < e->count; i++) {
        const struct sample *s = &e->samples[i];
        if (strcmp(s->name, name) == 0 && strcmp(s->series, series) == 0 &&
            strcmp(s->le, le) == 0) {
            return s;
        }
    }
    return NULL;
}

/* A histogram series: bounds rising, counts cumulative, +Inf last and = _count, _sum. */
static void check_histogram_series(const struct exposition *e, size_t first)
{
    const struct sample *start = &e->samples[first];
    char family[96];
    size_t length = strlen(start->name) - strlen("_bucket");
    memcpy(family, start->name, length);
    family[length] = '\0';
    uint64_t bound_e9 = 0;
    uint64_t previous = 0;
    size_t i = first;
    for (; i < e->count && strcmp(e->samples[i].name, start->name) == 0 &&
           strcmp(e->samples[i].series, start->series) == 0;
         i++) {
        const struct sample *s = &e->samples[i];
        assert_true(s->value_e9 >= previous);
        previous = s->value_e9;
        if (strcmp(s->le, "+Inf") == 0) {
            break;
        }
        struct cursor cursor = {s->le, 0};
        uint64_t bound = decimal_e9(&cursor, s->le, strlen(s->le));
        assert_true(i == first || bound > bound_e9);
        bound_e9 = bound;
    }
    if (i == e->count || strcmp(e->samples[i].le, "+Inf") != 0) {
        fail_msg("%s{%s}: no +Inf bucket", family, start->series);
    }
    char name[112];
    (void)snprintf(name, sizeof name, "%s_count", family);
    const struct sample *count = find(e, name, start->series, "");
    (void)snprintf(name, sizeof name, "%s_sum", family);
    const struct sample *sum = find(e, name, start->series, "");
    assert_non_null(count);
    assert_non_null(sum);
    assert_true(count->value_e9 == e->samples[i].value_e9);
}

static void parse(const char *text, struct exposition *e)
{
    memset(e, 0, sizeof *e);
    size_t length = strlen(text);
    assert_true(length > 0 && text[length - 1] == '\n');
    struct cursor cursor = {text, 1};
    for (; *cursor.at != '\0'; cursor.line_number++) {
        if (*cursor.at == '\n') {
            fail_at(&cursor, "an empty line");
        }
        if (*cursor.at == '#') {
            read_comment(e, &cursor, cursor.at);
        } else {
            read_sample(e, &cursor, cursor.at);
        }
        cursor.at = strchr(cursor.at, '\n') + 1;
    }
    for (size_t i = 0; i < e->families_count; i++) {
        assert_true(e->families[i].help && e->families[i].type[0] != '\0');
    }
    for (size_t i = 0; i < e->count; i++) {
        bool first_bucket =
            e->samples[i].le[0] != '\0' &&
            (i == 0 || strcmp(e->samples[i - 1].series, e->samples[i].series) != 0 ||
             strcmp(e->samples[i - 1].name, e->samples[i].name) != 0);
        if (first_bucket) {
            check_histogram_series(e, i);
        }
    }
}

/* ---- reading values --------------------------------------------------------------- */

/* A sample's value in whole units; 0 when the series does not exist yet. */
static uint64_t value_of(const struct exposition *e, const char *name, const char *series,
                         const char *le)
{
    const struct sample *s = find(e, name, series, le);
    return s != NULL ? s->value_e9 / NS_PER_S : 0;
}

static uint64_t requests_of(const struct exposition *e, const char *route, unsigned status)
{
    char series[128];
    (void)snprintf(series, sizeof series, "route=\"%s\",status=\"%u\"", route, status);
    return value_of(e, DURATION "_count", series, "");
}

static uint64_t scalar_of(const struct exposition *e, const char *name)
{
    const struct sample *s = find(e, name, "", "");
    if (s == NULL) {
        fail_msg("no sample %s", name);
    }
    return s != NULL ? s->value_e9 / NS_PER_S : 0;
}

static void scrape_as(struct api_fixture *api, const char *key, struct exposition *out)
{
    const char *saved = api->key;
    api->key = key;
    struct api_response r;
    assert_int_equal(api_json(api, "GET", "/metrics", NULL, &r), 200);
    api->key = saved;
    assert_non_null(
        strstr(r.headers, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    assert_non_null(r.text);
    parse(r.text, out);
    api_response_free(&r);
}

static void scrape(struct api_fixture *api, struct exposition *out)
{
    scrape_as(api, api->admin_key, out);
}

static void pause_ms(long ms)
{
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    (void)nanosleep(&pause, NULL);
}

/*
 * A request is counted when libmicrohttpd completes it, which may be a moment after
 * its client read the reply: scrapes until (route, status) reaches `expected`
 * (bounded: 5 s), then checks it went no further.
 */
static void await_requests(struct api_fixture *api, struct exposition *e, const char *route,
                           unsigned status, uint64_t expected)
{
    for (int attempt = 0; attempt < 500; attempt++) {
        scrape(api, e);
        if (requests_of(e, route, status) >= expected) {
            break;
        }
        pause_ms(10);
    }
    if (requests_of(e, route, status) != expected) {
        fail_msg("%s %u: %llu requests, not %llu", route, status,
                 (unsigned long long)requests_of(e, route, status), (unsigned long long)expected);
    }
}

/* Scrapes until `name` is `expected` (bounded: 10 s). */
static void await_scalar(struct api_fixture *api, struct exposition *e, const char *name,
                         uint64_t expected)
{
    for (int attempt = 0; attempt < 1000; attempt++) {
        scrape(api, e);
        if (scalar_of(e, name) == expected) {
            return;
        }
        pause_ms(10);
    }
    fail_msg("%s is %llu, not %llu", name, (unsigned long long)scalar_of(e, name),
             (unsigned long long)expected);
}

/* ---- the fixture ------------------------------------------------------------------- */

enum { ROLE_OPERATOR, ROLE_AUDITOR, ROLE_USER, ROLE_LIMITED, ROLES };

struct metrics_fixture {
    struct api_fixture api;
    char keys[ROLES][API_KEY_TEXT_SIZE];
    struct exposition before;
    struct exposition after;
};

static void call_ok(struct api_fixture *api, const char *method, const char *path, const char *body,
                    long status)
{
    struct api_response r;
    long got = api_json(api, method, path, body, &r);
    if (got != status) {
        fail_msg("%s %s: %ld, not %ld", method, path, got, status);
    }
    api_response_free(&r);
}

#define ACCOUNTS_MADE 3

static int setup(void **state)
{
    struct metrics_fixture *fixture = calloc(1, sizeof *fixture);
    struct api_fixture *api = &fixture->api;
    api_fixture_start(api, (struct api_server_options){.events_keepalive_s = 1});
    api_fixture_stop(api);
    static const struct api_key_spec specs[ROLES] = {
        {.role = API_ROLE_OPERATOR},
        {.role = API_ROLE_AUDITOR},
        {.role = API_ROLE_USER, .owner = 42},
        {.role = API_ROLE_AUDITOR, .rate_set = true, .rate_per_s = 1, .burst = 1},
    };
    for (int role = 0; role < ROLES; role++) {
        api_fixture_key(api, &specs[role], fixture->keys[role]);
    }
    api_fixture_start(api, (struct api_server_options){.events_keepalive_s = 1});
    call_ok(api, "POST", "/v1/accounts", "{\"id\":\"1\",\"asset\":\"USD\",\"kind\":\"equity\"}",
            201);
    call_ok(api, "POST", "/v1/accounts", "{\"id\":\"2\",\"asset\":\"USD\"}", 201);
    call_ok(api, "POST", "/v1/accounts", "{\"id\":\"3\",\"asset\":\"USD\"}", 201);
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    struct metrics_fixture *fixture = *state;
    api_fixture_teardown(&fixture->api);
    free(fixture);
    return 0;
}

static long call_as(struct api_fixture *api, const char *key, const char *method, const char *path,
                    struct api_response *out)
{
    const char *saved = api->key;
    api->key = key;
    long status = api_json(api, method, path, NULL, out);
    api->key = saved;
    return status;
}

/* ---- the tests ---------------------------------------------------------------------- */

/* Ops keys may scrape; a user key is refused as on every ops route; no key is a 401. */
static void test_access(void **state)
{
    struct metrics_fixture *fixture = *state;
    struct api_fixture *api = &fixture->api;
    struct api_response r;
    assert_int_equal(call_as(api, NULL, "GET", "/metrics", &r), 401);
    assert_string_equal(api_field(&r, "error.code"), "unauthenticated");
    assert_non_null(strstr(r.headers, "WWW-Authenticate: Bearer"));
    api_response_free(&r);
    assert_int_equal(call_as(api, fixture->keys[ROLE_USER], "GET", "/metrics", &r), 403);
    assert_string_equal(api_field(&r, "error.code"), "permission_denied");
    assert_non_null(strstr(r.headers, "Content-Type: application/json\r\n"));
    api_response_free(&r);
    scrape_as(api, fixture->keys[ROLE_AUDITOR], &fixture->after);
    scrape_as(api, fixture->keys[ROLE_OPERATOR], &fixture->after);
    scrape(api, &fixture->after);
    /* GET only: another method is a 405 of no route. */
    assert_int_equal(api_json(api, "POST", "/metrics", "{}", &r), 405);
    assert_non_null(strstr(r.headers, "Allow: GET\r\n"));
    api_response_free(&r);
    /* The refusals above are counted on the metrics route. */
    await_requests(api, &fixture->after, "metrics", 401, 1);
    await_requests(api, &fixture->after, "metrics", 403, 1);
    await_requests(api, &fixture->after, "unknown", 405, 1);
}

/* N requests to a route add exactly N to its (route, status) series. */
static void test_request_counts(void **state)
{
    struct metrics_fixture *fixture = *state;
    struct api_fixture *api = &fixture->api;
    enum { N = 7 };
    scrape(api, &fixture->before);
    uint64_t got = requests_of(&fixture->before, "accounts.get", 200);
    uint64_t missing = requests_of(&fixture->before, "accounts.get", 404);
    uint64_t live = requests_of(&fixture->before, "livez", 200);
    for (int i = 0; i < N; i++) {
        call_ok(api, "GET", "/v1/accounts/2", NULL, 200);
        call_ok(api, "GET", "/livez", NULL, 200);
    }
    call_ok(api, "GET", "/v1/accounts/99", NULL, 404);
    await_requests(api, &fixture->after, "accounts.get", 200, got + N);
    await_requests(api, &fixture->after, "accounts.get", 404, missing + 1);
    await_requests(api, &fixture->after, "livez", 200, live + N);
    /* The three setup creates, then the scrapes themselves (one per earlier scrape). */
    assert_int_equal(requests_of(&fixture->after, "accounts.create", 201), ACCOUNTS_MADE);
    assert_true(requests_of(&fixture->after, "metrics", 200) >= 1);
    /* Every request takes at least 0 s and a sum shows it as exact decimal seconds. */
    const struct sample *sum =
        find(&fixture->after, DURATION "_sum", "route=\"livez\",status=\"200\"", "");
    assert_true(sum != NULL && sum->value_e9 > 0);
}

/* Requests refused before any handler ran keep their route (or "unknown") and status. */
static void test_refusals_labelled(void **state)
{
    struct metrics_fixture *fixture = *state;
    struct api_fixture *api = &fixture->api;
    struct api_response r;
    assert_int_equal(call_as(api, NULL, "GET", "/v1/accounts", &r), 401);
    api_response_free(&r);
    assert_int_equal(api_json(api, "GET", "/v1/nothing", NULL, &r), 404);
    assert_string_equal(api_field(&r, "error.code"), "route_unknown");
    api_response_free(&r);
    assert_int_equal(api_json(api, "DELETE", "/v1/accounts", NULL, &r), 405);
    api_response_free(&r);
    assert_int_equal(api_json(api, "POST", "/v1/accounts", "[", &r), 400);
    api_response_free(&r);
    /* The limited key's burst is one request: the second is a 429. */
    const char *limited = fixture->keys[ROLE_LIMITED];
    assert_int_equal(call_as(api, limited, "GET", "/v1/accounts", &r), 200);
    api_response_free(&r);
    assert_int_equal(call_as(api, limited, "GET", "/v1/accounts", &r), 429);
    api_response_free(&r);
    await_requests(api, &fixture->after, "accounts.list", 401, 1);
    await_requests(api, &fixture->after, "unknown", 404, 1);
    await_requests(api, &fixture->after, "unknown", 405, 1);
    await_requests(api, &fixture->after, "accounts.create", 400, 1);
    await_requests(api, &fixture->after, "accounts.list", 429, 1);
    assert_int_equal(scalar_of(&fixture->after, "tpwallet_rate_limited_total"), 1);
}

/* A client that goes away in the middle of its body: the request ends with no reply,
 * status 0 of its route. */
static void test_abandoned_request(void **state)
{
    struct metrics_fixture *fixture = *state;
    struct api_fixture *api = &fixture->api;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port = htons(api_server_port(api->server))};
    assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &address.sin_addr), 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof address), 0);
    char request[512];
    int length = snprintf(request, sizeof request,
                          "POST /v1/transfers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                          "Content-Length: 100\r\n\r\n{\"id\":",
                          api->admin_key);
    assert_true(length > 0 && (size_t)length < sizeof request);
    assert_int_equal(send(fd, request, (size_t)length, 0), length);
    /* The server has the request (it is in flight beside the scrape), then it is cut. */
    await_scalar(api, &fixture->after, "tpwallet_http_requests_in_flight", 2);
    assert_int_equal(close(fd), 0);
    await_requests(api, &fixture->after, "transfers.create", 0, 1);
    assert_int_equal(scalar_of(&fixture->after, "tpwallet_transfers"), 0);
}

static void transfers_body(char *out, size_t size, int first_id, int count)
{
    size_t used = (size_t)snprintf(out, size, "{\"transfers\":[");
    for (int i = 0; i < count; i++) {
        used += (size_t)snprintf(out + used, size - used,
                                 "%s{\"id\":\"%d\",\"debit_account_id\":\"1\","
                                 "\"credit_account_id\":\"2\",\"amount\":\"1\","
                                 "\"asset\":\"USD\",\"code\":1}",
                                 i > 0 ? "," : "", first_id + i);
        assert_true(used < size);
    }
    (void)snprintf(out + used, size - used, "]}");
}

static uint64_t bucket_delta(const struct metrics_fixture *fixture, const char *name,
                             const char *le)
{
    char bucket[112];
    (void)snprintf(bucket, sizeof bucket, "%s_bucket", name);
    return value_of(&fixture->after, bucket, "", le) - value_of(&fixture->before, bucket, "", le);
}

/* A batch sent alone is one ledger batch: its size lands in its bucket, and the commit
 * is timed once. The committer counts before it answers, so no wait is needed. */
static void expect_batch(struct metrics_fixture *fixture, int first_id, int count,
                         const char *below, const char *at)
{
    struct api_fixture *api = &fixture->api;
    char body[4096];
    transfers_body(body, sizeof body, first_id, count);
    scrape(api, &fixture->before);
    call_ok(api, "POST", "/v1/transfers/batch", body, 200);
    scrape(api, &fixture->after);
    assert_int_equal(bucket_delta(fixture, BATCH, at), 1);
    assert_int_equal(bucket_delta(fixture, BATCH, "+Inf"), 1);
    if (below != NULL) {
        assert_int_equal(bucket_delta(fixture, BATCH, below), 0);
    }
    uint64_t sum = value_of(&fixture->after, BATCH "_sum", "", "") -
                   value_of(&fixture->before, BATCH "_sum", "", "");
    assert_int_equal(sum, count);
    assert_int_equal(value_of(&fixture->after, COMMIT "_count", "", "") -
                         value_of(&fixture->before, COMMIT "_count", "", ""),
                     1);
    const struct sample *sum_after = find(&fixture->after, COMMIT "_sum", "", "");
    const struct sample *sum_before = find(&fixture->before, COMMIT "_sum", "", "");
    assert_true(sum_after != NULL && sum_before != NULL &&
                sum_after->value_e9 > sum_before->value_e9);
}

static void test_batch_histograms(void **state)
{
    struct metrics_fixture *fixture = *state;
    expect_batch(fixture, 100, 1, NULL, "1");
    expect_batch(fixture, 200, 5, "4", "8");
    expect_batch(fixture, 300, 16, "8", "16");
    expect_batch(fixture, 400, 17, "16", "32");
    /* A single transfer is a batch of one too. */
    struct api_fixture *api = &fixture->api;
    scrape(api, &fixture->before);
    call_ok(api, "POST", "/v1/transfers",
            "{\"id\":\"500\",\"debit_account_id\":\"1\",\"credit_account_id\":\"3\","
            "\"amount\":\"1\",\"asset\":\"USD\",\"code\":1}",
            201);
    scrape(api, &fixture->after);
    assert_int_equal(bucket_delta(fixture, BATCH, "1"), 1);
    assert_int_equal(scalar_of(&fixture->after, "tpwallet_transfers"), 1 + 5 + 16 + 17 + 1);
}

/* A stream held open by libcurl until `stop` is set (checked at least once a second). */
struct stream_client {
    struct api_fixture *api;
    atomic_bool stop;
    pthread_t thread;
};

static size_t stream_data(char *data, size_t size, size_t count, void *arg)
{
    (void)data;
    (void)arg;
    return size * count;
}

static int stream_progress(void *arg, curl_off_t down_total, curl_off_t down_now,
                           curl_off_t up_total, curl_off_t up_now)
{
    (void)down_total;
    (void)down_now;
    (void)up_total;
    (void)up_now;
    struct stream_client *client = arg;
    return atomic_load(&client->stop) ? 1 : 0;
}

static void *stream_main(void *arg)
{
    struct stream_client *client = arg;
    CURL *curl = curl_easy_init();
    assert_non_null(curl);
    char url[128];
    char authorization[API_KEY_TEXT_SIZE + 32];
    (void)snprintf(url, sizeof url, "%s/v1/events", client->api->base_url);
    (void)snprintf(authorization, sizeof authorization, "Authorization: Bearer %s",
                   client->api->admin_key);
    struct curl_slist *headers = curl_slist_append(NULL, authorization);
    (void)curl_easy_setopt(curl, CURLOPT_URL, url);
    (void)curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    (void)curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, stream_data);
    (void)curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    (void)curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, stream_progress);
    (void)curl_easy_setopt(curl, CURLOPT_XFERINFODATA, client);
    (void)curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    (void)curl_easy_perform(curl);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return NULL;
}

/* The gauges say what the server holds: accounts, transfers, journal bytes, kept
 * idempotent replies, open streams, requests in flight. */
static void test_gauges(void **state)
{
    struct metrics_fixture *fixture = *state;
    struct api_fixture *api = &fixture->api;
    scrape(api, &fixture->before);
    assert_int_equal(scalar_of(&fixture->before, "tpwallet_accounts"), ACCOUNTS_MADE);
    assert_int_equal(scalar_of(&fixture->before, "tpwallet_transfers"), 0);
    assert_int_equal(scalar_of(&fixture->before, "tpwallet_idempotency_entries"), 0);
    assert_int_equal(scalar_of(&fixture->before, "tpwallet_event_streams"), 0);
    assert_true(scalar_of(&fixture->before, "process_start_time_seconds") > 1600000000u);
    struct api_response r;
    assert_true(api_call(api, "POST", "/v1/transfers",
                         "{\"id\":\"7\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
                         "\"amount\":\"1\",\"asset\":\"USD\",\"code\":1}",
                         NULL, "Idempotency-Key: gauge-1", &r));
    assert_int_equal(r.status, 201);
    api_response_free(&r);
    scrape(api, &fixture->after);
    assert_int_equal(scalar_of(&fixture->after, "tpwallet_transfers"), 1);
    assert_int_equal(scalar_of(&fixture->after, "tpwallet_idempotency_entries"), 1);
    assert_true(scalar_of(&fixture->after, "tpwallet_journal_bytes") >
                scalar_of(&fixture->before, "tpwallet_journal_bytes"));
    /* Quiet: only the scrape itself is in flight. */
    await_scalar(api, &fixture->after, "tpwallet_http_requests_in_flight", 1);
    struct stream_client client = {.api = api};
    assert_int_equal(pthread_create(&client.thread, NULL, stream_main, &client), 0);
    await_scalar(api, &fixture->after, "tpwallet_event_streams", 1);
    assert_int_equal(scalar_of(&fixture->after, "tpwallet_http_requests_in_flight"), 2);
    atomic_store(&client.stop, true);
    assert_int_equal(pthread_join(client.thread, NULL), 0);
    /* The server notices the client gone at the next keep-alive (1 s here). */
    await_scalar(api, &fixture->after, "tpwallet_event_streams", 0);
    await_scalar(api, &fixture->after, "tpwallet_http_requests_in_flight", 1);
}

/* ---- the module alone ------------------------------------------------------------- */

static void test_seconds_text(void **state)
{
    (void)state;
    static const struct {
        uint64_t ns;
        const char *text;
    } cases[] = {
        {0, "0"},
        {1, "0.000000001"},
        {50000, "0.00005"},
        {250000000, "0.25"},
        {1000000000, "1"},
        {1500000000, "1.5"},
        {10000000000, "10"},
        {123456789012, "123.456789012"},
        {UINT64_MAX, "18446744073.709551615"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[API_METRICS_SECONDS_TEXT_SIZE];
        size_t length = api_metrics_seconds_format(cases[i].ns, text);
        assert_string_equal(text, cases[i].text);
        assert_int_equal(length, strlen(cases[i].text));
    }
}

/* Bounds are inclusive (`le`); a route out of status slots counts as unrecorded. */
static void test_module_alone(void **state)
{
    (void)state;
    struct api_metrics *metrics = malloc(sizeof *metrics);
    assert_non_null(metrics);
    api_metrics_init(metrics, 7);
    api_metrics_http_observe(metrics, 0, 200, 50000);
    api_metrics_http_observe(metrics, 0, 200, 50001);
    api_metrics_http_observe(metrics, 0, 200, UINT64_C(20) * NS_PER_S);
    for (unsigned status = 1; status < API_METRICS_STATUSES_MAX; status++) {
        api_metrics_http_observe(metrics, 0, 500 + status, 1);
    }
    api_metrics_http_observe(metrics, 0, 0, 1); /* no slot left */
    api_metrics_http_observe(metrics, API_ROUTES_COUNT, 0, 1);
    api_metrics_commit_observe(metrics, LEDGER_BATCH_MAX, 1);
    char *text = NULL;
    size_t length = 0;
    struct api_metrics_gauges gauges = {.accounts = 5};
    assert_err(api_metrics_render(metrics, &gauges, &text, &length), TPW_OK);
    assert_int_equal(length, strlen(text));
    struct exposition *e = malloc(sizeof *e);
    assert_non_null(e);
    parse(text, e);
    char series[128];
    (void)snprintf(series, sizeof series, "route=\"%s\",status=\"200\"", api_route_name_at(0));
    assert_int_equal(value_of(e, DURATION "_bucket", series, "0.00005"), 1);
    assert_int_equal(value_of(e, DURATION "_bucket", series, "0.0001"), 2);
    assert_int_equal(value_of(e, DURATION "_bucket", series, "10"), 2);
    assert_int_equal(value_of(e, DURATION "_bucket", series, "+Inf"), 3);
    assert_string_equal(api_route_name_at(API_ROUTES_COUNT), "unknown");
    assert_int_equal(requests_of(e, "unknown", 0), 1);
    assert_int_equal(scalar_of(e, "tpwallet_http_requests_unrecorded_total"), 1);
    assert_int_equal(value_of(e, BATCH "_bucket", "", "4096"), 0);
    assert_int_equal(value_of(e, BATCH "_bucket", "", "8192"), 1);
    assert_int_equal(value_of(e, BATCH "_sum", "", ""), LEDGER_BATCH_MAX);
    assert_int_equal(scalar_of(e, "tpwallet_accounts"), 5);
    assert_int_equal(scalar_of(e, "process_start_time_seconds"), 7);
    free(e);
    free(text);
    free(metrics);
}

/* The FX series: quote ages in exact seconds, statuses, and provider names escaped as
 * label values (backslash, quote, newline), through the strict reader. */
static void test_fx_series(void **state)
{
    (void)state;
    struct api_metrics *metrics = malloc(sizeof *metrics);
    assert_non_null(metrics);
    api_metrics_init(metrics, 7);
    struct fx_rate pairs[2] = {
        {.base = "EUR", .quote = "USD", .status = FX_STATUS_FRESH, .time_ns = NS_PER_S},
        {.base = "BTC", .quote = "USD", .status = FX_STATUS_STALE, .time_ns = 9 * NS_PER_S},
    };
    struct fx_provider_stats providers[2] = {
        {.name = "manual", .up = true, .quotes_accepted = 4, .quotes_refused = 1},
        {.name = "odd\"na\\me\n", .up = false, .failures = 3},
    };
    struct api_metrics_gauges gauges = {.fx_pairs = pairs,
                                        .fx_pairs_count = 2,
                                        .fx_providers = providers,
                                        .fx_providers_count = 2,
                                        .fx_now_ns = 3 * NS_PER_S + 500000000u,
                                        .fx_status_changes = 6};
    char *text = NULL;
    size_t length = 0;
    assert_err(api_metrics_render(metrics, &gauges, &text, &length), TPW_OK);
    struct exposition *e = malloc(sizeof *e);
    assert_non_null(e);
    parse(text, e);
    assert_non_null(strstr(text, "tpwallet_fx_quote_age_seconds{pair=\"EUR/USD\"} 2.5\n"));
    /* A quote dated after the clock has age 0, never a wrapped one. */
    assert_non_null(strstr(text, "tpwallet_fx_quote_age_seconds{pair=\"BTC/USD\"} 0\n"));
    assert_non_null(strstr(text, "tpwallet_fx_pair_status{pair=\"BTC/USD\"} 3\n"));
    assert_non_null(
        strstr(text, "tpwallet_fx_provider_quotes_refused_total{provider=\"manual\"} 1\n"));
    assert_non_null(
        strstr(text, "tpwallet_fx_provider_failures_total{provider=\"odd\\\"na\\\\me\\n\"} 3\n"));
    assert_int_equal(scalar_of(e, "tpwallet_fx_status_changes_total"), 6);
    free(e);
    free(text);
    free(metrics);
}

/* Route names are label values as they stand (metrics.c prints them unescaped). */
static void test_route_names(void **state)
{
    (void)state;
    for (size_t i = 0; i <= API_ROUTES_COUNT; i++) {
        const char *name = api_route_name_at(i);
        assert_true(name[0] != '\0');
        assert_int_equal(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._"), strlen(name));
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(api_route_name_at(j), name);
        }
    }
}

int main(void)
{
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seconds_text),
        cmocka_unit_test(test_module_alone),
        cmocka_unit_test(test_route_names),
        cmocka_unit_test(test_fx_series),
        cmocka_unit_test_setup_teardown(test_access, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_labelled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abandoned_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_histograms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gauges, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
