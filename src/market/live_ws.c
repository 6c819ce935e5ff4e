/*
 * Websocket client connections for live feeds, on libwebsockets: whole text messages
 * out, everything else (opening, closing, frames too large or binary) as a handler call.
 *
 * One lws context serves every connection of a watch on the caller's thread. A
 * message arrives in pieces (websocket fragments and lws's read chunks); the pieces
 * are joined in a buffer of MARKET_LIVE_FRAME_MAX bytes allocated once per connection.
 * A message that outgrows it is discarded as its pieces arrive — never held whole —
 * and reported as oversized. A scheduled tick wakes the service loop every
 * MARKET_WATCH_POLL_US, so the caller's poll returns even when nothing arrives (lws
 * would otherwise sleep until the next event) and silence can be noticed.
 */
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "live.h"
#include "log.h"
#include "tpw_assert.h"

#include "banned.h"

struct ws_conn {
    struct market__ws *ws;
    size_t index;
    struct lws *wsi;
    bool connecting; /* asked to connect, not yet open or closed */
    bool open;
    char url[MARKET_URL_SIZE]; /* cut into pieces by lws_parse_uri while connecting */
    char path[MARKET_URL_SIZE];
    char *frame; /* MARKET_LIVE_FRAME_MAX + 1 */
    size_t frame_len;
    bool discarding; /* the current message outgrew the buffer */
};

struct market__ws {
    lws_sorted_usec_list_t tick; /* first: the tick callback gets this address */
    struct lws_context *context;
    struct market__ws_handlers handlers;
    struct ws_conn *conns;
    size_t conns_count;
};

/* Reports the end of a connection once, whichever of lws's callbacks tells first. */
static void conn_closed(struct ws_conn *conn, const char *why)
{
    bool was_active = conn->connecting || conn->open;
    conn->wsi = NULL;
    conn->connecting = false;
    conn->open = false;
    if (was_active && conn->ws->handlers.closed != NULL) {
        conn->ws->handlers.closed(conn->ws->handlers.ctx, conn->index, why);
    }
}

/* Joins one piece of a message; hands the message over after its last piece. */
static void conn_receive(struct ws_conn *conn, struct lws *wsi, const char *in, size_t len)
{
    if (lws_is_first_fragment(wsi)) {
        conn->frame_len = 0;
        conn->discarding = false;
    }
    if (!conn->discarding && len > MARKET_LIVE_FRAME_MAX - conn->frame_len) {
        conn->discarding = true;
    }
    if (!conn->discarding) {
        (void)memcpy(conn->frame + conn->frame_len, in, len);
        conn->frame_len += len;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) {
        return;
    }
    const struct market__ws_handlers *handlers = &conn->ws->handlers;
    if (conn->discarding) {
        handlers->refused(handlers->ctx, conn->index, MARKET_MALFORMED_OVERSIZED);
    } else if (lws_frame_is_binary(wsi)) {
        handlers->refused(handlers->ctx, conn->index, MARKET_MALFORMED_JSON);
    } else {
        conn->frame[conn->frame_len] = '\0';
        handlers->message(handlers->ctx, conn->index, conn->frame, conn->frame_len);
    }
    conn->frame_len = 0;
    conn->discarding = false;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    struct ws_conn *conn = user;
    if (conn == NULL || (conn->wsi != NULL && conn->wsi != wsi)) {
        return 0; /* context-wide notifications, or the last words of a former wsi */
    }
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        conn->connecting = false;
        conn->open = true;
        conn->ws->handlers.opened(conn->ws->handlers.ctx, conn->index);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        conn_receive(conn, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        conn_closed(conn, in != NULL ? (const char *)in : "connection error");
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY: /* whichever comes first; conn_closed reports once */
        conn_closed(conn, "closed");
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"tpw-feed", ws_callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void tick(lws_sorted_usec_list_t *sul)
{
    struct market__ws *ws = (struct market__ws *)(void *)sul;
    lws_sul_schedule(ws->context, 0, &ws->tick, tick, MARKET_WATCH_POLL_US);
}

/* libwebsockets' own error lines, as structured log lines like the rest of tpwallet's. */
static void lws_log_line(int level, const char *line)
{
    (void)level;
    char text[256];
    size_t len = strcspn(line, "\r\n");
    len = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
    (void)memcpy(text, line, len);
    text[len] = '\0';
    TPW_LOGF(TPW_LOG_ERROR, "market.lws", TPW_LOG_STR("line", text));
}

static enum tpw_err conns_create(struct market__ws *ws, size_t conns_count)
{
    ws->conns = calloc(conns_count, sizeof(ws->conns[0]));
    if (ws->conns == NULL) {
        return TPW_ERR_NOMEM;
    }
    ws->conns_count = conns_count;
    for (size_t index = 0; index < conns_count; index++) {
        ws->conns[index].ws = ws;
        ws->conns[index].index = index;
        ws->conns[index].frame = malloc(MARKET_LIVE_FRAME_MAX + 1);
        if (ws->conns[index].frame == NULL) {
            return TPW_ERR_NOMEM;
        }
    }
    return TPW_OK;
}

enum tpw_err market__ws_create(size_t conns_count, const struct market__ws_handlers *handlers,
                               struct market__ws **out)
{
    struct market__ws *ws = calloc(1, sizeof(*ws));
    if (ws == NULL) {
        return TPW_ERR_NOMEM;
    }
    ws->handlers = *handlers;
    enum tpw_err err = conns_create(ws, conns_count);
    if (err != TPW_OK) {
        market__ws_destroy(ws);
        return err;
    }
    lws_set_log_level(LLL_ERR, lws_log_line);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    ws->context = lws_create_context(&info);
    if (ws->context == NULL) {
        market__ws_destroy(ws);
        return TPW_ERR_MARKET_LIVE;
    }
    lws_sul_schedule(ws->context, 0, &ws->tick, tick, MARKET_WATCH_POLL_US);
    *out = ws;
    return TPW_OK;
}

void market__ws_destroy(struct market__ws *ws)
{
    if (ws == NULL) {
        return;
    }
    if (ws->context != NULL) {
        lws_sul_cancel(&ws->tick);
        /* Closing calls back with WSI_DESTROY; nobody is listening any more. */
        ws->handlers.closed = NULL;
        lws_context_destroy(ws->context);
    }
    for (size_t index = 0; ws->conns != NULL && index < ws->conns_count; index++) {
        free(ws->conns[index].frame);
    }
    free(ws->conns);
    free(ws);
}

/* Splits `url` (copied into conn) into the connect info; false when it is not ws(s). */
static bool connect_info(struct ws_conn *conn, const char *url, struct lws_client_connect_info *ci)
{
    const char *scheme = NULL;
    const char *address = NULL;
    const char *path = NULL;
    int port = 0;
    if (strlen(url) >= sizeof(conn->url)) {
        return false;
    }
    (void)memcpy(conn->url, url, strlen(url) + 1);
    if (lws_parse_uri(conn->url, &scheme, &address, &port, &path) != 0 || address[0] == '\0') {
        return false;
    }
    bool tls = strcmp(scheme, "wss") == 0;
    if (!tls && strcmp(scheme, "ws") != 0) {
        return false;
    }
    conn->path[0] = '/';
    (void)memcpy(conn->path + 1, path, strlen(path) + 1); /* lws_parse_uri drops the '/' */
    memset(ci, 0, sizeof(*ci));
    ci->address = address;
    ci->port = port;
    ci->path = conn->path;
    ci->host = address;
    ci->origin = address;
    ci->ssl_connection = tls ? LCCSCF_USE_SSL : 0;
    ci->local_protocol_name = protocols[0].name;
    ci->userdata = conn;
    return true;
}

bool market__ws_url_valid(const char *url)
{
    struct ws_conn conn;
    struct lws_client_connect_info ci;
    return connect_info(&conn, url, &ci);
}

void market__ws_connect(struct market__ws *ws, size_t conn_index, const char *url)
{
    TPW_ASSERT(conn_index < ws->conns_count);
    struct ws_conn *conn = &ws->conns[conn_index];
    TPW_ASSERT(!conn->connecting && !conn->open);
    struct lws_client_connect_info ci;
    if (!connect_info(conn, url, &ci)) {
        ws->handlers.closed(ws->handlers.ctx, conn_index, "not a ws:// or wss:// url");
        return;
    }
    ci.context = ws->context;
    ci.pwsi = &conn->wsi;
    conn->frame_len = 0;
    conn->discarding = false;
    conn->connecting = true;
    if (lws_client_connect_via_info(&ci) == NULL) {
        conn_closed(conn, "connect failed"); /* unless lws already reported it */
    }
}

bool market__ws_active(const struct market__ws *ws, size_t conn_index)
{
    TPW_ASSERT(conn_index < ws->conns_count);
    return ws->conns[conn_index].connecting || ws->conns[conn_index].open;
}

void market__ws_service(struct market__ws *ws)
{
    (void)lws_service(ws->context, 0);
}
