/*
 * libmicrohttpd glue: the daemon's life and each request's state machine.
 *
 * A request is RECEIVING while its body arrives, then routed. Reads answer at once.
 * A write is handed to the group committer and the connection is suspended
 * (WAITING): the worker thread is free for other connections, which is what lets
 * many concurrent requests share one journal append. The committer builds the reply
 * (READY) and resumes the connection; libmicrohttpd then calls the handler once more
 * and the reply is sent — after the fdatasync that covers it.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <sodium.h>

#include "api_int.h"
#include "log.h"
#include "tpw_assert.h"

#include "banned.h"

/* A body's buffer starts this large (or smaller: its declared length) and doubles. */
#define BODY_CAPACITY_FIRST_BYTES 4096u

static void hex_put(uint64_t value, size_t digits, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = digits; i > 0; i--) {
        out[i - 1] = hex[value & 0xfu];
        value >>= 4;
    }
}

/* "req_", 16 hex digits of the salt plus the sequence's high half, 8 of its low half:
 * the same form as ever, and unique for the server's life (another start has another
 * salt). Written by hand: snprintf was a visible part of a request's cost. */
static void request_id_make(struct api_server *server, char out[API_REQUEST_ID_SIZE])
{
    static_assert(4 + 16 + 8 < API_REQUEST_ID_SIZE, "room for the NUL");
    uint64_t seq = atomic_fetch_add(&server->request_seq, 1);
    memcpy(out, "req_", 4);
    hex_put(server->request_id_salt + (seq >> 32), 16, out + 4);
    hex_put(seq, 8, out + 4 + 16);
    out[4 + 16 + 8] = '\0';
}

static struct api_request *request_create(struct api_server *server,
                                          struct MHD_Connection *connection, const char *method,
                                          const char *url)
{
    struct api_request *request = calloc(1, sizeof *request);
    if (request == NULL) {
        return NULL;
    }
    request->server = server;
    request->connection = connection;
    request->method = method;
    request->path = url;
    request->start_ns = tpw_clock_monotonic_ns();
    request->route_name = api_route_name_at(API_ROUTES_COUNT);
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    request->conn = info != NULL ? info->socket_context : NULL;
    request_id_make(server, request->request_id);
    atomic_fetch_add(&server->in_flight, 1);
    return request;
}

static void request_free(struct api_request *request)
{
    atomic_fetch_sub(&request->server->in_flight, 1);
    free(request->reply.body);
    if (request->reply.stream != NULL) {
        MHD_destroy_response(request->reply.stream); /* never queued: closes the stream */
    }
    free(request->body);
    free(request->write.transfers == &request->single_transfer ? NULL : request->write.transfers);
    free(request->write.transfer_results == &request->single_result
             ? NULL
             : request->write.transfer_results);
    free(request);
}

/* A small declared body gets one allocation of its size (the allocator's fast path).
 * Others grow from a page as they arrive, so a declared length alone never reserves
 * memory. */
static size_t body_capacity_first(const struct api_request *request)
{
    uint64_t declared = request->body_declared_bytes;
    TPW_ASSERT(declared <= request->server->options.body_limit_bytes);
    return declared != 0 && declared < BODY_CAPACITY_FIRST_BYTES ? (size_t)declared + 1
                                                                 : BODY_CAPACITY_FIRST_BYTES;
}

static bool body_append(struct api_request *request, const char *data, size_t size)
{
    uint64_t limit = request->server->options.body_limit_bytes;
    if (request->body_too_large || request->body_length + size > limit) {
        request->body_too_large = true;
        return true;
    }
    if (request->body_length + size + 1 > request->body_capacity) {
        size_t capacity =
            request->body_capacity == 0 ? body_capacity_first(request) : request->body_capacity;
        while (capacity < request->body_length + size + 1) {
            capacity *= 2;
        }
        char *grown = realloc(request->body, capacity);
        if (grown == NULL) {
            return false;
        }
        request->body = grown;
        request->body_capacity = capacity;
    }
    memcpy(request->body + request->body_length, data, size);
    request->body_length += size;
    request->body[request->body_length] = '\0';
    return true;
}

/* POST bodies are JSON: other content types get 415 before the body is read. */
static bool media_type_ok(struct MHD_Connection *connection)
{
    const char *type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Type");
    static const char json[] = "application/json";
    if (type == NULL || strncasecmp(type, json, sizeof json - 1) != 0) {
        return false;
    }
    char next = type[sizeof json - 1];
    return next == '\0' || next == ';' || next == ' ';
}

/* True when the declared length is over the limit; one within it is kept for
 * body_append. */
static bool declared_too_large(struct api_request *request)
{
    const char *length =
        MHD_lookup_connection_value(request->connection, MHD_HEADER_KIND, "Content-Length");
    if (length == NULL) {
        return false;
    }
    char *end = NULL;
    unsigned long long bytes = strtoull(length, &end, 10);
    if (end == length || bytes > request->server->options.body_limit_bytes) {
        return end != length;
    }
    request->body_declared_bytes = bytes;
    return false;
}

/* First call for a request: checks that need only the headers. True = reply now. */
static bool precheck(struct api_request *request)
{
    if (!api_route_find(request)) {
        return true;
    }
    bool post = strcmp(request->method, "POST") == 0;
    if (post && !media_type_ok(request->connection)) {
        api_reply_error(request, TPW_ERR_API_MEDIA_TYPE, NULL);
        return true;
    }
    if (declared_too_large(request)) {
        api_reply_error(request, TPW_ERR_API_BODY_TOO_LARGE, NULL);
        return true;
    }
    return false;
}

/* A POST's Idempotency-Key: reserve it, or answer from what it already holds. True
 * when the reply is set (a replay, 400, 409, 422). */
static bool idempotency_begin(struct api_request *request)
{
    const char *key =
        MHD_lookup_connection_value(request->connection, MHD_HEADER_KIND, "Idempotency-Key");
    if (key == NULL || strcmp(request->method, "POST") != 0) {
        return false;
    }
    if (!api_idem_key_valid(key)) {
        api_reply_error_param(request, TPW_ERR_API_IDEMPOTENCY_KEY_INVALID, "Idempotency-Key");
        return true;
    }
    uint8_t fingerprint[API_IDEM_FINGERPRINT_SIZE];
    api_idem_fingerprint(request->method, request->path, request->body, request->body_length,
                         fingerprint);
    switch (api_idem_begin(request->server->idem, request->principal.key_id, key, fingerprint,
                           &request->idem, &request->reply)) {
    case API_IDEM_NEW:
        return false;
    case API_IDEM_REPLAY:
        request->replayed = true;
        return true;
    case API_IDEM_MISMATCH:
        api_reply_error_param(request, TPW_ERR_API_IDEMPOTENCY_MISMATCH, "Idempotency-Key");
        return true;
    case API_IDEM_IN_USE:
        api_reply_error_param(request, TPW_ERR_API_IDEMPOTENCY_IN_USE, "Idempotency-Key");
        return true;
    case API_IDEM_NOMEM:
        break;
    }
    api_reply_error(request, TPW_ERR_NOMEM, NULL);
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **request_cls)
{
    (void)version;
    struct api_server *server = cls;
    struct api_request *request = *request_cls;
    if (request == NULL) {
        request = request_create(server, connection, method, url);
        if (request == NULL) {
            return MHD_NO;
        }
        *request_cls = request;
        if (precheck(request)) {
            api_conn_busy(request->conn);
            request->state = API_REQ_READY;
            return api_reply_send(request);
        }
        return MHD_YES;
    }
    if (request->state == API_REQ_READY) {
        return api_reply_send(request);
    }
    if (*upload_data_size > 0) {
        bool stored = body_append(request, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return stored ? MHD_YES : MHD_NO;
    }
    api_conn_busy(request->conn); /* the whole request is in */
    if (request->body_too_large) {
        api_reply_error(request, TPW_ERR_API_BODY_TOO_LARGE, NULL);
    } else if (atomic_load(&server->stopping)) {
        api_reply_error(request, TPW_ERR_API_SHUTTING_DOWN, NULL);
    } else if (!idempotency_begin(request)) {
        api_route(request);
    }
    if (request->submitted) {
        /* Suspended; the committer resumes it. `state` is not read here: the committer
         * may already have set it, and the reply is sent on the call after the resume. */
        return MHD_YES;
    }
    if (request->idem != NULL) {
        /* Refused before it reached the ledger: keep nothing, so a fixed retry runs. */
        api_idem_abandon(server->idem, request->idem);
        request->idem = NULL;
    }
    request->state = API_REQ_READY;
    return api_reply_send(request);
}

static void access_log(const struct api_request *request, unsigned status, uint64_t duration_ns)
{
    TPW_LOGF(TPW_LOG_INFO, "http.request", TPW_LOG_STR("request_id", request->request_id),
             TPW_LOG_STR("method", request->method), TPW_LOG_STR("path", request->path),
             TPW_LOG_STR("route", request->route_name), TPW_LOG_U64("status", status),
             TPW_LOG_U64("duration_us", duration_ns / 1000u),
             TPW_LOG_U64("body_bytes", request->body_length));
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **request_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)connection;
    (void)code;
    struct api_request *request = *request_cls;
    if (request == NULL) {
        return;
    }
    uint64_t duration_ns = tpw_clock_monotonic_ns() - request->start_ns;
    api_metrics_http_observe(&request->server->metrics, api_route_index(request->route),
                             request->reply.status, duration_ns);
    if (request->server->options.access_log) {
        access_log(request, request->reply.status, duration_ns);
    }
    api_conn_receiving(request->server->deadlines, request->conn);
    request_free(request);
    *request_cls = NULL;
}

struct api_request *api_request_of(struct api_write *write)
{
    return (struct api_request *)(void *)((char *)write - offsetof(struct api_request, write));
}

void api_request_release(struct api_write *write)
{
    struct api_request *request = api_request_of(write);
    request->state = API_REQ_READY;
    MHD_resume_connection(request->connection);
}

void api_request_submit(struct api_request *request)
{
    /* A user key writes only from its owner's accounts (checked by the committer). */
    bool user = request->principal.role == API_ROLE_USER;
    request->write.owner = user ? request->principal.owner : 0;
    request->state = API_REQ_WAITING;
    request->submitted = true;
    MHD_suspend_connection(request->connection);
    api_committer_submit(request->server->committer, &request->write);
}

static enum tpw_err listen_address(const struct api_server_options *options,
                                   struct sockaddr_in *address, struct tpw_error_detail *detail)
{
    memset(address, 0, sizeof *address);
    address->sin_family = AF_INET;
    address->sin_port = htons(options->port);
    const char *host = options->listen_host != NULL ? options->listen_host : "127.0.0.1";
    if (inet_pton(AF_INET, host, &address->sin_addr) != 1) {
        tpw_error_set_param(detail, "listen");
        return tpw_error_set(detail, TPW_ERR_API_LISTEN, 0, "\"%s\" is not a numeric IPv4 address",
                             host);
    }
    return TPW_OK;
}

/* libmicrohttpd's own messages become log lines (stderr carries JSON lines only). Most
 * are about one connection — a client gone mid-response is routine for event streams —
 * so they are info, seen with --access-log. */
static void mhd_log(void *cls, const char *format, va_list args)
{
    (void)cls;
    char message[512];
    int length = vsnprintf(message, sizeof message, format, args);
    size_t end = length < 0                        ? 0
                 : (size_t)length < sizeof message ? (size_t)length
                                                   : sizeof message - 1;
    while (end > 0 && (message[end - 1] == '\n' || message[end - 1] == '\r')) {
        end--;
    }
    message[end] = '\0';
    TPW_LOGF(TPW_LOG_INFO, "http.daemon", TPW_LOG_STR("message", message));
}

/* Every connection gets a request deadline (deadline.c) for as long as it is open. */
static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct api_server *server = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = info != NULL ? api_conn_open(server->deadlines, info->connect_fd) : NULL;
    } else {
        api_conn_close(server->deadlines, *socket_context);
        *socket_context = NULL;
    }
}

/*
 * Once the server is stopping, a new connection is closed as soon as it is accepted:
 * that is how it stops taking connections. MHD_quiesce_daemon() would be the obvious
 * tool, but with a thread pool on epoll it races each worker's own removal of the
 * listening socket inside libmicrohttpd, which then aborts ("Failed to remove listen
 * FD from epoll set", seen in CI under ASan).
 */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *address,
                                     socklen_t address_len)
{
    (void)address;
    (void)address_len;
    const struct api_server *server = cls;
    return atomic_load(&server->stopping) ? MHD_NO : MHD_YES;
}

static enum tpw_err daemon_start(struct api_server *server, struct tpw_error_detail *detail)
{
    struct sockaddr_in address;
    enum tpw_err err = listen_address(&server->options, &address, detail);
    if (err != TPW_OK) {
        return err;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    server->daemon = MHD_start_daemon(
        flags, 0, accept_policy, server, on_request, server, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&address, MHD_OPTION_THREAD_POOL_SIZE, server->options.threads,
        MHD_OPTION_CONNECTION_TIMEOUT, server->options.connection_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONNECTION_MEMORY_BYTES,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, server, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, server, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, server, MHD_OPTION_END);
    if (server->daemon == NULL) {
        return tpw_error_set(detail, TPW_ERR_API_LISTEN, 0, "cannot listen on %s:%u",
                             server->options.listen_host != NULL ? server->options.listen_host
                                                                 : "127.0.0.1",
                             (unsigned)server->options.port);
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info != NULL ? info->port : server->options.port;
    return TPW_OK;
}

static void options_defaults(struct api_server_options *options)
{
    if (options->threads == 0) {
        options->threads = API_THREADS_DEFAULT;
    }
    if (options->body_limit_bytes == 0) {
        options->body_limit_bytes = API_BODY_LIMIT_DEFAULT_BYTES;
    }
    if (options->connection_timeout_s == 0) {
        options->connection_timeout_s = API_TIMEOUT_DEFAULT_S;
    }
    if (options->request_timeout_s == 0) {
        options->request_timeout_s = API_REQUEST_TIMEOUT_DEFAULT_S;
    }
    if (options->fx_manual_ttl_s == 0) {
        options->fx_manual_ttl_s = API_FX_MANUAL_TTL_DEFAULT_S;
    }
    if (options->fx_quote_ttl_s == 0) {
        options->fx_quote_ttl_s = API_FX_QUOTE_TTL_DEFAULT_S;
    }
}

static enum tpw_err ledger_start(struct api_server *server, struct tpw_error_detail *detail)
{
    struct ledger_options options = {.data_dir = server->options.data_dir,
                                     .clock = tpw_clock_system()};
    enum tpw_err err = ledger_open(&options, &server->ledger, detail);
    if (err == TPW_OK) {
        err = api_assets_refresh(&server->assets, server->ledger);
    }
    if (err == TPW_OK) {
        err = api_keystore_open(server->options.data_dir, &server->keys, detail);
    }
    if (err == TPW_OK) {
        uint64_t window_ns = server->options.idempotency_window_s != 0
                                 ? (uint64_t)server->options.idempotency_window_s * 1000000000u
                                 : API_IDEM_WINDOW_NS;
        uint64_t compact_bytes = server->options.idempotency_compact_bytes != 0
                                     ? server->options.idempotency_compact_bytes
                                     : API_IDEM_COMPACT_DEFAULT_BYTES;
        err = api_idem_open(server->options.data_dir, API_IDEM_MAX_ENTRIES, window_ns,
                            compact_bytes, &server->idem, detail);
    }
    if (err == TPW_OK) {
        err = api_portfolios_open(server->options.data_dir, &server->portfolios, detail);
    }
    if (err == TPW_OK && api_keystore_live_count(server->keys) == 0) {
        TPW_LOGF(TPW_LOG_WARN, "api.no_keys",
                 TPW_LOG_STR("hint", "every /v1 request needs a key: tpwallet apikey create"));
    }
    return err;
}

static void server_free(struct api_server *server)
{
    if (server->ledger != NULL) {
        ledger_close(server->ledger);
    }
    api_rates_stop(server->rates);
    api_signals_destroy(server->signals);
    api_idem_close(server->idem);
    api_portfolios_close(server->portfolios);
    api_keystore_close(server->keys);
    api_assets_deinit(&server->assets);
    api_web_free(server->web);
    (void)pthread_mutex_destroy(&server->ledger_lock);
    free(server);
}

/* The pump and its ring, once nothing can publish to it: the markets' threads (which
 * publish signals and feed the rates) stop first, then the rates. */
static void events_end(struct api_server *server)
{
    api_markets_stop(server->markets);
    server->markets = NULL;
    api_rates_stop(server->rates);
    server->rates = NULL;
    if (server->signals != NULL) {
        api_signals_wake(server->signals, NULL);
    }
    if (server->events != NULL) {
        api_events_shutdown(server->events);
        api_events_free(server->events);
        server->events = NULL;
    }
}

/* The files the settings name that are read once: the asset table, the dashboard. */
static enum tpw_err files_load(struct api_server *server, struct tpw_error_detail *detail)
{
    enum tpw_err err = api_assets_init(&server->assets, server->options.assets_path, detail);
    if (err == TPW_OK) {
        err = api_web_load(server->options.web_root, &server->web, detail);
    }
    return err;
}

static enum tpw_err rates_start(struct api_server *server, struct tpw_error_detail *detail)
{
    const struct api_server_options *options = &server->options;
    struct api_rates_options rates = {
        .data_dir = options->data_dir,
        .fees_path = options->fx_fees_path,
        .exposure_limits = options->fx_exposure_limits,
        .manual_ttl_s = options->fx_manual_ttl_s,
        .quote_ttl_s = options->fx_quote_ttl_s,
        .ecb_url = options->fx_ecb_url,
        .static_rates_path = options->fx_static_rates_path,
        .ecb_poll_s = options->fx_ecb_poll_s,
        .history_sample_s = options->fx_history_sample_s,
        .history_window_s = options->fx_history_window_s,
        .signals = server->signals,
    };
    return api_rates_start(&rates, &server->rates, detail);
}

enum tpw_err api_server_start(const struct api_server_options *options, struct api_server **out,
                              struct tpw_error_detail *detail)
{
    *out = NULL;
    if (sodium_init() < 0) {
        return tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "libsodium failed to initialise");
    }
    struct api_server *server = calloc(1, sizeof *server);
    if (server == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    server->options = *options;
    options_defaults(&server->options);
    struct tpw_clock wall = tpw_clock_system();
    api_metrics_init(&server->metrics, tpw_clock_now_ns(&wall) / 1000000000u);
    randombytes_buf(&server->request_id_salt, sizeof server->request_id_salt);
    TPW_ASSERT(pthread_mutex_init(&server->ledger_lock, NULL) == 0);
    enum tpw_err err = files_load(server, detail);
    if (err == TPW_OK) {
        err = ledger_start(server, detail);
    }
    server->signals = err == TPW_OK ? api_signals_create() : NULL;
    if (err == TPW_OK && server->signals == NULL) {
        err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the signals");
    }
    if (err == TPW_OK) {
        err = api_events_start(server, &server->events, detail);
    }
    if (err == TPW_OK) {
        api_signals_wake(server->signals, server->events);
        api_portfolios_signals_set(server->portfolios, server->signals);
    }
    if (err == TPW_OK) {
        err = api_committer_start(server, &server->committer);
    }
    if (err == TPW_OK) {
        err = rates_start(server, detail);
    }
    if (err == TPW_OK) {
        err = api_markets_start(server->options.markets_path, server->rates, server->signals,
                                &server->markets, detail);
    }
    if (err == TPW_OK) {
        err = api_deadlines_start(server->options.request_timeout_s, &server->deadlines);
        if (err != TPW_OK) {
            (void)tpw_error_set(detail, err, 0, "cannot start the request deadline thread");
        }
    }
    if (err == TPW_OK) {
        err = daemon_start(server, detail);
    }
    if (err != TPW_OK) {
        api_deadlines_stop(server->deadlines);
        if (server->committer != NULL) {
            api_committer_stop(server->committer);
        }
        events_end(server);
        server_free(server);
        return err;
    }
    *out = server;
    return TPW_OK;
}

uint16_t api_server_port(const struct api_server *server)
{
    return server->port;
}

/* Waits (bounded) for the requests in flight. A client that stops sending is cut off
 * by the connection timeout, which is the bound; one still trickling its request when
 * the bound passes is cut by the daemon's stop. */
static void drain(struct api_server *server)
{
    uint64_t deadline_ns =
        tpw_clock_monotonic_ns() + (uint64_t)server->options.connection_timeout_s * 1000000000u;
    while (atomic_load(&server->in_flight) > 0 && tpw_clock_monotonic_ns() < deadline_ns) {
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 1000000};
        (void)nanosleep(&pause, NULL);
    }
}

enum tpw_err api_server_stop(struct api_server *server, struct tpw_error_detail *detail)
{
    /* New connections are closed as they come from now on (accept_policy). */
    atomic_store(&server->stopping, true);
    /* Event streams end now (they would otherwise hold the drain for its timeout). */
    api_events_shutdown(server->events);
    drain(server);
    api_committer_stop(server->committer);
    MHD_stop_daemon(server->daemon);
    api_deadlines_stop(server->deadlines);
    events_end(server);
    enum tpw_err err = (enum tpw_err)atomic_load(&server->storage_err);
    if (err != TPW_OK) {
        (void)tpw_error_set(detail, err, 0, "the ledger stopped after a storage failure");
    }
    server_free(server);
    return err;
}
