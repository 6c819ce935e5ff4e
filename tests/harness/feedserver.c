/*
 * tpw_feedserver: a local venue for tests and the demo. It serves the REST snapshots
 * of a cryptofeed http recording (GET /api/v3/depth?symbol=S… → the recorded body)
 * and replays a cryptofeed ws recording over a websocket, from its first message, to
 * every client that connects, at --rate messages per second; then it stays silent.
 * It listens on 127.0.0.1 only, writes the port it got (--port 0 picks one) to
 * --port-file, logs "replay_done" on stderr when a replay ends, and exits after
 * --duration-ms or on SIGTERM/SIGINT, so a test that dies leaves nothing behind
 * (--duration-ms 0, for the demo: only on a signal).
 * Like Binance's combined streams, a client that asks for ?streams=a@depth/b@depth
 * gets only the messages of those streams (by the envelope's "stream"); without it,
 * every message.
 *
 * With --sends-file, each websocket message sent is written there as `INDEX NS`: its
 * place in the recording and CLOCK_MONOTONIC just before the write, which the feed →
 * SSE latency benchmark (bench/bench_market_sse.c) matches against what reaches it.
 *
 * usage: tpw_feedserver --http FILE --ws FILE [--port N] [--port-file PATH]
 *                       [--rate MSGS_PER_S] [--duration-ms N] [--sends-file PATH]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#define SNAPSHOTS_MAX 64
#define MESSAGES_MAX 200000
#define LINE_SIZE_MAX ((size_t)4 * 1024 * 1024) /* room for an oversized test frame */
#define RATE_MAX 100000
#define DURATION_MS_MAX 600000
#define HTTP_CHUNK_SIZE 16384
#define SYMBOL_SIZE 32

struct snapshot {
    char symbol[SYMBOL_SIZE];
    char *body;
    size_t body_len;
};

struct recording {
    struct snapshot snapshots[SNAPSHOTS_MAX];
    size_t snapshots_count;
    char **messages;
    size_t *messages_len;
    size_t messages_count;
    size_t message_len_max;
    unsigned char *send_buffer; /* LWS_PRE + message_len_max */
    int64_t interval_us;
};

static struct recording recording;
static volatile sig_atomic_t stopping;
static FILE *sends; /* --sends-file, or NULL */

#define STREAMS_TEXT_SIZE 1024

struct session {
    const struct snapshot *snapshot; /* HTTP: the body being sent */
    size_t sent_len;
    size_t next_index;               /* WS: the next message to send */
    char streams[STREAMS_TEXT_SIZE]; /* WS: "/a@depth/b@bookTicker/" or "" for all */
};

static void on_signal(int signal_number)
{
    (void)signal_number;
    stopping = 1;
}

/* The value of symbol= in a URL, copied into `symbol`; false when absent or too long. */
static int url_symbol(const char *url, size_t url_len, char symbol[SYMBOL_SIZE])
{
    const char *start = strstr(url, "symbol=");
    if (start == NULL || (size_t)(start - url) >= url_len) {
        return 0;
    }
    start += strlen("symbol=");
    size_t len = strcspn(start, "& ");
    if (len == 0 || len >= SYMBOL_SIZE) {
        return 0;
    }
    (void)memcpy(symbol, start, len);
    symbol[len] = '\0';
    return 1;
}

static char *copy_text(const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy != NULL) {
        (void)memcpy(copy, text, len);
        copy[len] = '\0';
    }
    return copy;
}

/* `<url> -> <epoch>: <body>` */
static int http_line(const char *line, size_t len)
{
    const char *arrow = strstr(line, " -> ");
    const char *colon = arrow != NULL ? strstr(arrow, ": ") : NULL;
    struct snapshot *snapshot = &recording.snapshots[recording.snapshots_count];
    if (colon == NULL || recording.snapshots_count == SNAPSHOTS_MAX ||
        !url_symbol(line, (size_t)(arrow - line), snapshot->symbol)) {
        return 0; /* not a snapshot line: skipped */
    }
    size_t body_start = (size_t)(colon - line) + 2;
    snapshot->body = copy_text(colon + 2, len - body_start);
    snapshot->body_len = len - body_start;
    if (snapshot->body == NULL) {
        return -1;
    }
    recording.snapshots_count++;
    return 0;
}

/* `<epoch>: <message>`; connection and sent lines are skipped. */
static int ws_line(const char *line, size_t len)
{
    size_t digits = strspn(line, "0123456789.");
    if (digits == 0 || len < digits + 2 || line[digits] != ':' || line[digits + 1] != ' ') {
        return 0;
    }
    if (recording.messages_count == MESSAGES_MAX) {
        return -1;
    }
    size_t message_len = len - digits - 2;
    char *message = copy_text(line + digits + 2, message_len);
    if (message == NULL) {
        return -1;
    }
    recording.messages[recording.messages_count] = message;
    recording.messages_len[recording.messages_count++] = message_len;
    if (message_len > recording.message_len_max) {
        recording.message_len_max = message_len;
    }
    return 0;
}

/* Reads every line of `path` into `handle` (bounded by the file and LINE_SIZE_MAX). */
static int load(const char *path, int (*handle)(const char *line, size_t len))
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        (void)fprintf(stderr, "feedserver: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t size = 0;
    ssize_t got = 0;
    int rc = 0;
    while (rc == 0 && (got = getline(&line, &size, file)) >= 0) {
        size_t len = (size_t)got;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        rc = len > LINE_SIZE_MAX ? -1 : handle(line, len);
    }
    free(line);
    (void)fclose(file);
    if (rc != 0) {
        (void)fprintf(stderr, "feedserver: %s: line too long or too many lines\n", path);
    }
    return rc;
}

static const struct snapshot *snapshot_find(const char *symbol)
{
    for (size_t index = 0; index < recording.snapshots_count; index++) {
        if (strcmp(recording.snapshots[index].symbol, symbol) == 0) {
            return &recording.snapshots[index];
        }
    }
    return NULL;
}

static int http_request(struct lws *wsi, struct session *session)
{
    char arg[128];
    char symbol[SYMBOL_SIZE] = "";
    const char *value = lws_get_urlarg_by_name(wsi, "symbol=", arg, (int)sizeof(arg));
    if (value != NULL && strlen(value) < SYMBOL_SIZE) {
        (void)snprintf(symbol, sizeof(symbol), "%.*s", (int)strcspn(value, "&"), value);
    }
    session->snapshot = snapshot_find(symbol);
    session->sent_len = 0;
    if (session->snapshot == NULL) {
        if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL) != 0) {
            return -1;
        }
        return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
    }
    unsigned char headers[LWS_PRE + 512];
    unsigned char *start = &headers[LWS_PRE];
    unsigned char *position = start;
    unsigned char *end = &headers[sizeof(headers) - 1];
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "application/json",
                                    (lws_filepos_t)session->snapshot->body_len, &position,
                                    end) != 0 ||
        lws_finalize_write_http_header(wsi, start, &position, end) != 0) {
        return -1;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

static int http_writeable(struct lws *wsi, struct session *session)
{
    static unsigned char chunk[LWS_PRE + HTTP_CHUNK_SIZE];
    if (session->snapshot == NULL) {
        return 0;
    }
    size_t left = session->snapshot->body_len - session->sent_len;
    size_t len = left < HTTP_CHUNK_SIZE ? left : HTTP_CHUNK_SIZE;
    (void)memcpy(&chunk[LWS_PRE], session->snapshot->body + session->sent_len, len);
    enum lws_write_protocol kind = len == left ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP;
    if (lws_write(wsi, &chunk[LWS_PRE], len, kind) != (int)len) {
        return -1;
    }
    session->sent_len += len;
    if (session->sent_len < session->snapshot->body_len) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    session->snapshot = NULL;
    return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

/* Remembers the streams the client asked for, as "/name/name/" for a whole-name match. */
static void ws_streams(struct lws *wsi, struct session *session)
{
    char arg[STREAMS_TEXT_SIZE];
    const char *value = lws_get_urlarg_by_name(wsi, "streams=", arg, (int)sizeof(arg));
    session->streams[0] = '\0';
    if (value != NULL && strlen(value) + 3 < sizeof(session->streams)) {
        (void)snprintf(session->streams, sizeof(session->streams), "/%s/", value);
    }
}

/* True when the client wants the message: no streams named, or its "stream" is one. */
static int ws_wanted(const struct session *session, const char *message)
{
    const char *key = strstr(message, "{\"stream\":\"");
    if (session->streams[0] == '\0' || key != message) {
        return 1;
    }
    const char *name = message + strlen("{\"stream\":\"");
    size_t len = strcspn(name, "\"");
    char wanted[SYMBOL_SIZE * 4];
    if (len + 3 > sizeof(wanted)) {
        return 0;
    }
    (void)snprintf(wanted, sizeof(wanted), "/%.*s/", (int)len, name);
    return strstr(session->streams, wanted) != NULL;
}

static int ws_writeable(struct lws *wsi, struct session *session)
{
    while (session->next_index < recording.messages_count &&
           !ws_wanted(session, recording.messages[session->next_index])) {
        session->next_index++; /* bounded by the recording */
    }
    if (session->next_index >= recording.messages_count) {
        return 0;
    }
    size_t len = recording.messages_len[session->next_index];
    unsigned char *payload = &recording.send_buffer[LWS_PRE];
    (void)memcpy(payload, recording.messages[session->next_index], len);
    struct timespec sent;
    (void)clock_gettime(CLOCK_MONOTONIC, &sent);
    if (lws_write(wsi, payload, len, LWS_WRITE_TEXT) < (int)len) {
        return -1;
    }
    if (sends != NULL) {
        (void)fprintf(sends, "%zu %lld\n", session->next_index,
                      (long long)sent.tv_sec * 1000000000LL + sent.tv_nsec);
    }
    session->next_index++;
    if (session->next_index == recording.messages_count) {
        (void)fprintf(stderr, "feedserver: replay_done %zu messages\n", session->next_index);
        return 0;
    }
    lws_set_timer_usecs(wsi, recording.interval_us);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct session *session = user;
    (void)in;
    (void)len;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return http_request(wsi, session);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return http_writeable(wsi, session);
    case LWS_CALLBACK_ESTABLISHED:
        session->next_index = 0;
        ws_streams(wsi, session);
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_TIMER:
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ws_writeable(wsi, session);
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    {"feed", callback, sizeof(struct session), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

struct options {
    const char *http_path;
    const char *ws_path;
    const char *port_file;
    const char *sends_path;
    long port;
    long rate;
    long duration_ms;
};

static int parse_long(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
        return -1;
    }
    *out = value;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *options)
{
    *options = (struct options){NULL, NULL, NULL, NULL, 0, 100, 60000};
    for (int index = 1; index + 1 < argc; index += 2) {
        const char *name = argv[index];
        const char *value = argv[index + 1];
        int rc = 0;
        if (strcmp(name, "--http") == 0) {
            options->http_path = value;
        } else if (strcmp(name, "--ws") == 0) {
            options->ws_path = value;
        } else if (strcmp(name, "--port-file") == 0) {
            options->port_file = value;
        } else if (strcmp(name, "--sends-file") == 0) {
            options->sends_path = value;
        } else if (strcmp(name, "--port") == 0) {
            rc = parse_long(value, 0, 65535, &options->port);
        } else if (strcmp(name, "--rate") == 0) {
            rc = parse_long(value, 1, RATE_MAX, &options->rate);
        } else if (strcmp(name, "--duration-ms") == 0) {
            rc = parse_long(value, 0, DURATION_MS_MAX, &options->duration_ms);
        } else {
            rc = -1;
        }
        if (rc != 0) {
            return -1;
        }
    }
    return (argc % 2 == 1 && options->http_path != NULL && options->ws_path != NULL) ? 0 : -1;
}

static int recording_load(const struct options *options)
{
    recording.messages = calloc(MESSAGES_MAX, sizeof(char *));
    recording.messages_len = calloc(MESSAGES_MAX, sizeof(size_t));
    if (recording.messages == NULL || recording.messages_len == NULL ||
        load(options->http_path, http_line) != 0 || load(options->ws_path, ws_line) != 0) {
        return -1;
    }
    recording.send_buffer = malloc(LWS_PRE + recording.message_len_max + 1);
    recording.interval_us = 1000000 / options->rate;
    return recording.send_buffer != NULL ? 0 : -1;
}

/* Writes the port to PATH.tmp, then renames it: a reader never sees half a number. */
static int port_write(const char *path, int port)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        return -1;
    }
    FILE *file = fopen(tmp, "w");
    if (file == NULL) {
        return -1;
    }
    int ok = fprintf(file, "%d\n", port) > 0;
    ok = fclose(file) == 0 && ok;
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

static int64_t monotonic_ms(void)
{
    struct timespec now;
    (void)clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static lws_sorted_usec_list_t wake;

/* Wakes the service loop every 50 ms, so the duration and signals are noticed. */
static void wake_up(lws_sorted_usec_list_t *sul)
{
    (void)sul;
}

static int serve(struct lws_context *context, const struct options *options)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = (int)options->port;
    info.iface = "127.0.0.1"; /* never beyond this machine */
    info.protocols = protocols;
    struct lws_vhost *vhost = lws_create_vhost(context, &info);
    if (vhost == NULL) {
        (void)fprintf(stderr, "feedserver: cannot listen on 127.0.0.1:%ld\n", options->port);
        return 1;
    }
    int port = lws_get_vhost_listen_port(vhost);
    (void)fprintf(stderr, "feedserver: listening on 127.0.0.1:%d, %zu snapshots, %zu messages\n",
                  port, recording.snapshots_count, recording.messages_count);
    if (options->port_file != NULL && port_write(options->port_file, port) != 0) {
        (void)fprintf(stderr, "feedserver: cannot write %s\n", options->port_file);
        return 1;
    }
    int64_t deadline_ms =
        options->duration_ms > 0 ? monotonic_ms() + options->duration_ms : INT64_MAX;
    while (!stopping && monotonic_ms() < deadline_ms) {
        lws_sul_schedule(context, 0, &wake, wake_up, 50 * LWS_US_PER_MS);
        if (lws_service(context, 0) < 0) {
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options options;
    if (parse_options(argc, argv, &options) != 0) {
        (void)fprintf(stderr, "usage: tpw_feedserver --http FILE --ws FILE [--port N] "
                              "[--port-file PATH] [--rate MSGS_PER_S] [--duration-ms N] "
                              "[--sends-file PATH]\n");
        return 64;
    }
    if (recording_load(&options) != 0) {
        return 66;
    }
    sends = options.sends_path != NULL ? fopen(options.sends_path, "w") : NULL;
    if (options.sends_path != NULL && sends == NULL) {
        (void)fprintf(stderr, "feedserver: cannot write %s\n", options.sends_path);
        return 73;
    }
    (void)signal(SIGTERM, on_signal);
    (void)signal(SIGINT, on_signal);
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.gid = -1;
    info.uid = -1;
    struct lws_context *context = lws_create_context(&info);
    if (context == NULL) {
        return 70;
    }
    int rc = serve(context, &options);
    lws_sul_cancel(&wake);
    lws_context_destroy(context);
    if (sends != NULL && fclose(sends) != 0) {
        rc = 74;
    }
    return rc;
}
