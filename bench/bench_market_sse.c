/*
 * Feed message → SSE event latency (issue 6's target: p99 < 50 ms). A local venue
 * (tpw_feedserver) replays a generated stream in which every diff moves the best bid of
 * one book; a server in this process follows it through a markets file and publishes
 * market.quote signals; a libcurl reader on GET /v1/events stamps each one as it
 * arrives. The venue writes when it sent each message (CLOCK_MONOTONIC, --sends-file);
 * a message's latency is the time from its send to the first event carrying its update
 * id or a later one — so a move coalesced into a later quote (quote_signals_per_s)
 * counts with its wait. Everything is on 127.0.0.1: real sockets, real threads.
 *
 * Two runs: paced (20 messages/s, slower than the quote interval: each message its own
 * event, the pipeline alone) and busy (200 messages/s, 5 per quote interval of 25 ms:
 * the coalescing's wait included).
 *
 * usage: bench_market_sse [--feedserver PATH] [--quick] [--quotes-per-s N]
 */
#define _GNU_SOURCE /* mkdtemp, nftw */
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "bench_common.h"
#include "tpwallet/api.h"
#include "tpwallet/apikey.h"
#include "tpwallet/clock.h"
#include "tpwallet/ledger.h"

#include "banned.h"

extern char **environ;

#ifndef TPW_FEEDSERVER
#define TPW_FEEDSERVER "tpw_feedserver"
#endif

#define TARGET_P99_NS (50ull * 1000000u)
#define EVENTS_MAX 20000u
#define SSE_BUFFER_BYTES (1u << 20)
#define PATH_SIZE 256
/* market.quote signals per instrument and second the server is given by default: the
 * server's default (quote_signals_per_s, docs/formats/markets.md); --quotes-per-s. */
#define QUOTES_PER_S_DEFAULT 40u

static unsigned quotes_per_s = QUOTES_PER_S_DEFAULT;

struct run {
    const char *name;
    unsigned rate;     /* messages per second */
    unsigned messages; /* after the warm-up */
};

/* What the reader saw: each market.quote's update id and arrival. */
struct events {
    uint64_t update_id[EVENTS_MAX];
    uint64_t received_ns[EVENTS_MAX];
    atomic_size_t count;
    char *buffer;
    size_t length;
    char url[128];
    char authorization[API_KEY_TEXT_SIZE + 32];
};

/* ---- the venue: a generated recording, replayed by tpw_feedserver ------------------- */

/* The book starts at update 1000 with levels at 100/99 and 101/102; diff i (update
 * 1001 + i) sets the best bid's quantity to 1 + (i % 9) + 1, so every diff moves the top. */
static bool recording_write(const char *dir, unsigned count)
{
    char path[PATH_SIZE];
    (void)snprintf(path, sizeof path, "%s/BENCH.http.0.0", dir);
    FILE *http = fopen(path, "w");
    (void)snprintf(path, sizeof path, "%s/BENCH.ws.1.0", dir);
    FILE *ws = fopen(path, "w");
    bool ok = http != NULL && ws != NULL;
    if (ok) {
        (void)fprintf(http, "http://127.0.0.1/api/v3/depth?symbol=BENCHUSDT&limit=1000 -> "
                            "1700000000.000: {\"lastUpdateId\":1000,\"bids\":[[\"100.00000000\","
                            "\"1.00000000\"],[\"99.00000000\",\"1.00000000\"]],\"asks\":[["
                            "\"101.00000000\",\"1.00000000\"],[\"102.00000000\",\"1.00000000\"]]}"
                            "\n");
        (void)fprintf(ws, "ws://127.0.0.1/stream?streams=benchusdt@depth@100ms <-> "
                          "1700000000.000\n");
    }
    for (unsigned i = 0; ok && i < count; i++) {
        (void)fprintf(ws,
                      "1700000000.%03u: {\"stream\":\"benchusdt@depth@100ms\",\"data\":{\"e\":"
                      "\"depthUpdate\",\"E\":1700000000000,\"s\":\"BENCHUSDT\",\"U\":%u,"
                      "\"u\":%u,\"b\":[[\"100.00000000\",\"%u.00000000\"]],\"a\":[]}}\n",
                      i % 1000u, 1001u + i, 1001u + i, 2u + i % 9u);
    }
    ok = (http == NULL || fclose(http) == 0) && ok;
    ok = (ws == NULL || fclose(ws) == 0) && ok;
    return ok;
}

/* Starts the venue and waits (≤ 5 s) for its port. */
static bool venue_start(const char *feedserver, const char *dir, unsigned rate, pid_t *pid,
                        unsigned *port)
{
    char words[13][PATH_SIZE];
    char *argv[14];
    (void)snprintf(words[0], PATH_SIZE, "%s", feedserver);
    (void)snprintf(words[1], PATH_SIZE, "--http");
    (void)snprintf(words[2], PATH_SIZE, "%s/BENCH.http.0.0", dir);
    (void)snprintf(words[3], PATH_SIZE, "--ws");
    (void)snprintf(words[4], PATH_SIZE, "%s/BENCH.ws.1.0", dir);
    (void)snprintf(words[5], PATH_SIZE, "--rate");
    (void)snprintf(words[6], PATH_SIZE, "%u", rate);
    (void)snprintf(words[7], PATH_SIZE, "--port-file");
    (void)snprintf(words[8], PATH_SIZE, "%s/port", dir);
    (void)snprintf(words[9], PATH_SIZE, "--sends-file");
    (void)snprintf(words[10], PATH_SIZE, "%s/sends", dir);
    (void)snprintf(words[11], PATH_SIZE, "--duration-ms");
    (void)snprintf(words[12], PATH_SIZE, "600000");
    for (size_t i = 0; i < 13; i++) {
        argv[i] = words[i];
    }
    argv[13] = NULL;
    if (posix_spawn(pid, feedserver, NULL, NULL, argv, environ) != 0) {
        (void)fprintf(stderr, "bench_market_sse: cannot run %s\n", feedserver);
        return false;
    }
    for (int tries = 0; tries < 500; tries++) {
        FILE *file = fopen(words[8], "r");
        bool read = file != NULL && fscanf(file, "%u", port) == 1;
        if (file != NULL) {
            (void)fclose(file);
        }
        if (read) {
            return true;
        }
        struct timespec pause = {0, 10000000};
        (void)nanosleep(&pause, NULL);
    }
    (void)fprintf(stderr, "bench_market_sse: the venue wrote no port\n");
    return false;
}

static void venue_stop(pid_t pid)
{
    (void)kill(pid, SIGTERM); /* it flushes its sends file on the way out */
    (void)waitpid(pid, NULL, 0);
}

/* ---- the server and the stream ---------------------------------------------------- */

/* A ledger, an admin key and the markets file: one watch of the venue, no backup. */
static bool server_prepare(const char *dir, unsigned port, char key[API_KEY_TEXT_SIZE])
{
    char path[PATH_SIZE];
    (void)snprintf(path, sizeof path, "%s/data", dir);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct api_key_info info;
    if (ledger_init(path, &detail) != TPW_OK ||
        api_key_create(path, &(struct api_key_spec){.role = API_ROLE_ADMIN}, &info, key, &detail) !=
            TPW_OK) {
        (void)fprintf(stderr, "bench_market_sse: %s\n", detail.message);
        return false;
    }
    (void)snprintf(path, sizeof path, "%s/markets.conf", dir);
    FILE *file = fopen(path, "w");
    bool ok =
        file != NULL && fprintf(file,
                                "[watch]\nvenue = BINANCE\n"
                                "primary = ws://127.0.0.1:%u/stream?streams=benchusdt@depth@100ms\n"
                                "primary_rest = http://127.0.0.1:%u/api/v3/depth\n"
                                "stale_ms = 600000\nquote_signals_per_s = %u\n"
                                "symbol = BENCHUSDT BENCH USDT\n",
                                port, port, quotes_per_s) > 0;
    return file != NULL && fclose(file) == 0 && ok;
}

/* Finds each `event: market.quote` block's update id; stamps it. */
static void events_scan(struct events *events)
{
    char *end;
    while ((end = strstr(events->buffer, "\n\n")) != NULL) {
        *end = '\0';
        const char *id = strstr(events->buffer, "\"update_id\":");
        size_t count = atomic_load(&events->count);
        if (strncmp(events->buffer, "event: market.quote\n", 20) == 0 && id != NULL &&
            count < EVENTS_MAX) {
            events->update_id[count] = strtoull(id + 12, NULL, 10);
            events->received_ns[count] = tpw_clock_monotonic_ns();
            atomic_store(&events->count, count + 1);
        }
        size_t used = (size_t)(end + 2 - events->buffer);
        memmove(events->buffer, end + 2, events->length - used + 1);
        events->length -= used;
    }
}

static size_t on_data(char *data, size_t size, size_t count, void *user)
{
    struct events *events = user;
    size_t length = size * count;
    if (events->length + length >= SSE_BUFFER_BYTES) {
        return 0; /* a block larger than any signal: stop */
    }
    memcpy(events->buffer + events->length, data, length);
    events->length += length;
    events->buffer[events->length] = '\0';
    events_scan(events);
    return length;
}

/* Reads the stream until the server ends it (its stop) or 10 minutes pass. */
static void *reader_main(void *arg)
{
    struct events *events = arg;
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, events->authorization);
    if (curl != NULL && headers != NULL) {
        (void)curl_easy_setopt(curl, CURLOPT_URL, events->url);
        (void)curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        (void)curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
        (void)curl_easy_setopt(curl, CURLOPT_WRITEDATA, events);
        (void)curl_easy_setopt(curl, CURLOPT_TIMEOUT, 600L);
        (void)curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
        (void)curl_easy_perform(curl);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return NULL;
}

/* Waits (≤ timeout) until the reader saw update `last_id`. */
static bool events_wait(const struct events *events, uint64_t last_id, uint64_t timeout_ns)
{
    uint64_t until = tpw_clock_monotonic_ns() + timeout_ns;
    while (tpw_clock_monotonic_ns() < until) {
        size_t count = atomic_load(&events->count);
        if (count > 0 && events->update_id[count - 1] >= last_id) {
            return true;
        }
        struct timespec pause = {0, 20000000};
        (void)nanosleep(&pause, NULL);
    }
    return false;
}

/* ---- the numbers ------------------------------------------------------------------ */

struct result {
    size_t measured;
    uint64_t p50_ns, p99_ns, max_ns;
};

/* Each message after the warm-up (`warm` messages: the snapshot, the stream's connection)
 * sent after the first event arrived is matched with the first event at its update id or
 * a later one. */
static bool latencies(const char *dir, unsigned warm, const struct events *events,
                      struct result *out)
{
    char path[PATH_SIZE];
    (void)snprintf(path, sizeof path, "%s/sends", dir);
    FILE *file = fopen(path, "r");
    size_t count = atomic_load(&events->count);
    uint64_t *samples = malloc(EVENTS_MAX * sizeof *samples);
    if (file == NULL || samples == NULL || count == 0) {
        free(samples);
        if (file != NULL) {
            (void)fclose(file);
        }
        return false;
    }
    size_t measured = 0;
    size_t next = 0;
    unsigned long long index = 0, sent_ns = 0;
    while (fscanf(file, "%llu %llu", &index, &sent_ns) == 2 && measured < EVENTS_MAX) {
        uint64_t update_id = 1001u + index;
        if (index < warm || sent_ns <= events->received_ns[0]) {
            continue;
        }
        while (next < count && events->update_id[next] < update_id) {
            next++;
        }
        if (next < count && events->received_ns[next] >= sent_ns) {
            samples[measured++] = events->received_ns[next] - sent_ns;
        }
    }
    (void)fclose(file);
    qsort(samples, measured, sizeof *samples, bench_compare_u64);
    *out = (struct result){.measured = measured};
    if (measured > 0) {
        out->p50_ns = samples[measured / 2];
        out->p99_ns = samples[(measured * 99) / 100];
        out->max_ns = samples[measured - 1];
    }
    free(samples);
    return measured > 0;
}

static void print_ms(const char *label, uint64_t ns)
{
    uint64_t us = ns / 1000u;
    (void)printf("  %s %llu.%03llu ms", label, (unsigned long long)(us / 1000u),
                 (unsigned long long)(us % 1000u));
}

static void report(const struct run *run, const struct result *result, size_t events_count)
{
    bool pass = result->p99_ns < TARGET_P99_NS;
    (void)printf("== feed message -> SSE event (%s: %u messages/s, market.quote at most %u/s)\n",
                 run->name, run->rate, quotes_per_s);
    (void)printf("  messages %u  measured %zu  events %zu", run->messages, result->measured,
                 events_count);
    print_ms("p50", result->p50_ns);
    print_ms("p99", result->p99_ns);
    print_ms("max", result->max_ns);
    (void)printf("  (target p99 < 50 ms: %s)\n", pass ? "pass" : "miss");
    (void)printf("{\"bench\":\"market_sse\",\"run\":\"%s\",\"rate\":%u,\"quotes_per_s\":%u,"
                 "\"messages\":%u,\"measured\":%zu,\"events\":%zu,\"p50_us\":%llu,"
                 "\"p99_us\":%llu,\"max_us\":%llu,\"target_p99_ms\":50,\"pass\":%s}\n",
                 run->name, run->rate, quotes_per_s, run->messages, result->measured, events_count,
                 (unsigned long long)(result->p50_ns / 1000u),
                 (unsigned long long)(result->p99_ns / 1000u),
                 (unsigned long long)(result->max_ns / 1000u), pass ? "true" : "false");
    (void)fflush(stdout);
}

/* ---- one run ---------------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* The server on the venue, the stream read until the last message's quote arrived. */
static bool measure(const char *dir, unsigned port, unsigned total, unsigned rate,
                    struct events *events)
{
    char key[API_KEY_TEXT_SIZE];
    char data[PATH_SIZE], markets[PATH_SIZE];
    (void)snprintf(data, sizeof data, "%s/data", dir);
    (void)snprintf(markets, sizeof markets, "%s/markets.conf", dir);
    if (!server_prepare(dir, port, key)) {
        return false;
    }
    struct api_server_options options = {
        .data_dir = data, .listen_host = "127.0.0.1", .markets_path = markets};
    struct api_server *server = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (api_server_start(&options, &server, &detail) != TPW_OK) {
        (void)fprintf(stderr, "bench_market_sse: %s\n", detail.message);
        return false;
    }
    (void)snprintf(events->url, sizeof events->url, "http://127.0.0.1:%u/v1/events",
                   (unsigned)api_server_port(server));
    (void)snprintf(events->authorization, sizeof events->authorization, "Authorization: Bearer %s",
                   key);
    pthread_t reader;
    bool started = pthread_create(&reader, NULL, reader_main, events) == 0;
    uint64_t timeout_ns = ((uint64_t)total / rate + 20u) * 1000000000u;
    bool complete = started && events_wait(events, 1000u + total, timeout_ns);
    if (api_server_stop(server, &detail) != TPW_OK) {
        (void)fprintf(stderr, "bench_market_sse: stop: %s\n", detail.message);
    }
    if (started) {
        (void)pthread_join(reader, NULL); /* the stop ended the stream */
    }
    if (!complete) {
        (void)fprintf(stderr, "bench_market_sse: the last quote did not arrive\n");
    }
    return complete;
}

static bool run_one(const char *feedserver, const struct run *run, struct result *out,
                    size_t *events_count)
{
    char dir[] = "/tmp/bench_market_sse.XXXXXX";
    struct events *events = calloc(1, sizeof *events);
    if (mkdtemp(dir) == NULL || events == NULL) {
        free(events);
        return false;
    }
    events->buffer = malloc(SSE_BUFFER_BYTES);
    unsigned warm = run->rate * 2u; /* two seconds: snapshot, stream, reader */
    unsigned total = warm + run->messages;
    pid_t venue = 0;
    unsigned port = 0;
    bool ok = events->buffer != NULL && recording_write(dir, total) &&
              venue_start(feedserver, dir, run->rate, &venue, &port);
    if (ok) {
        events->buffer[0] = '\0';
        ok = measure(dir, port, total, run->rate, events);
    }
    if (venue > 0) {
        venue_stop(venue);
    }
    *events_count = atomic_load(&events->count);
    ok = ok && latencies(dir, warm, events, out);
    free(events->buffer);
    free(events);
    (void)nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return ok;
}

int main(int argc, char **argv)
{
    const char *feedserver = TPW_FEEDSERVER;
    bool quick = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--feedserver") == 0 && i + 1 < argc) {
            feedserver = argv[++i];
        } else if (strcmp(argv[i], "--quotes-per-s") == 0 && i + 1 < argc) {
            quotes_per_s = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            (void)fprintf(stderr, "usage: bench_market_sse [--feedserver PATH] [--quick] "
                                  "[--quotes-per-s N]\n");
            return 64;
        }
    }
    if (quotes_per_s == 0 || quotes_per_s > 100) {
        (void)fprintf(stderr, "bench_market_sse: --quotes-per-s is 1 to 100\n");
        return 64;
    }
    const struct run runs[] = {
        {"paced", 20, quick ? 20 : 600},
        {"busy", 200, quick ? 100 : 4000},
    };
    char date[BENCH_DATE_SIZE];
    bench_date_utc(date);
    (void)printf("bench_market_sse %s %s (%s)\n", date, bench_machine(), quick ? "quick" : "full");
    (void)curl_global_init(CURL_GLOBAL_DEFAULT);
    int status = 0;
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        struct result result;
        size_t events_count = 0;
        if (!run_one(feedserver, &runs[i], &result, &events_count)) {
            (void)fprintf(stderr, "bench_market_sse: the %s run failed\n", runs[i].name);
            status = 1;
            continue;
        }
        report(&runs[i], &result, events_count);
    }
    curl_global_cleanup();
    return status;
}
