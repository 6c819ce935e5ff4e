/*
 * GET /v1/events: the ledger's events as Server-Sent Events (events.c has the pump
 * and the streams). The stream starts after `Last-Event-ID` (what an EventSource sends
 * when it reconnects) or `?after=<id>`, else from the first event; each event's `data`
 * is the JSON `tpwallet events --json` prints (api_event_json), with decimals.
 */
#include <string.h>

#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

/* The resume id; false after replying 400. */
static bool resume_id(struct api_request *request, struct ledger_event_id *after /* out */)
{
    const char *param = "Last-Event-ID";
    const char *text =
        MHD_lookup_connection_value(request->connection, MHD_HEADER_KIND, "Last-Event-ID");
    if (text == NULL || text[0] == '\0') {
        param = "after";
        text = api_query(request, "after");
    }
    after->sequence = 0;
    after->index = 0;
    if (text == NULL) {
        return true;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = ledger_event_id_parse(text, strlen(text), after, &detail);
    if (err == TPW_OK && after->sequence == 0 && after->index != 0) {
        err = tpw_error_set(&detail, TPW_ERR_LEDGER_EVENT_ID_UNKNOWN, 0,
                            "event 0-%llu does not exist: the start is 0-0",
                            (unsigned long long)after->index);
    }
    if (err != TPW_OK) {
        tpw_error_set_param(&detail, param);
        api_reply_error(request, err, &detail);
        return false;
    }
    tpw_error_set_param(&detail, NULL);
    return true;
}

static struct MHD_Response *stream_response(struct api_stream *stream)
{
    struct MHD_Response *response = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, API_EVENTS_BLOCK_BYTES, api_stream_read, stream, api_stream_close);
    if (response == NULL) {
        api_stream_close(stream);
        return NULL;
    }
    (void)MHD_add_response_header(response, "Content-Type", "text/event-stream");
    (void)MHD_add_response_header(response, "Cache-Control", "no-cache");
    /* Reverse proxies (nginx) must not buffer the stream. */
    (void)MHD_add_response_header(response, "X-Accel-Buffering", "no");
    return response;
}

void api_events_stream(struct api_request *request, const char *id_text)
{
    TPW_ASSERT(id_text == NULL);
    struct ledger_event_id after;
    if (!resume_id(request, &after)) {
        return;
    }
    struct api_visibility view;
    api_visibility_of(request, &view);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct api_stream *stream = NULL;
    enum tpw_err err = api_stream_open(request->server->events, request->connection, after, &view,
                                       &stream, &detail);
    if (err == TPW_ERR_LEDGER_EVENT_ID_FUTURE || err == TPW_ERR_LEDGER_EVENT_ID_UNKNOWN) {
        bool header = MHD_lookup_connection_value(request->connection, MHD_HEADER_KIND,
                                                  "Last-Event-ID") != NULL;
        tpw_error_set_param(&detail, header ? "Last-Event-ID" : "after");
    }
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
        bool busy = err == TPW_ERR_API_STREAMS_FULL || err == TPW_ERR_API_CATCHUPS_FULL;
        request->reply.retry_after_s = busy ? 1u : 0u;
        return;
    }
    request->reply.stream = stream_response(stream);
    if (request->reply.stream == NULL) {
        api_reply_error(request, TPW_ERR_NOMEM, NULL);
        return;
    }
    request->reply.status = 200;
}
