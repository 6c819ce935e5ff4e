/*
 * Replies: JSON bodies, Stripe-style error objects, the Request-Id header on every
 * response; and the small readers of request input (body object, query parameters,
 * ids) that answer 400 themselves, so a handler reads as its happy path.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "tpwallet/id.h"
#include "tpw_assert.h"

#include "banned.h"

static void reply_set(struct api_request *request, unsigned status, char *body)
{
    free(request->reply.body);
    request->reply.status = status;
    request->reply.body = body;
    request->reply.length = body != NULL ? strlen(body) : 0;
    request->reply.content_type = NULL;
    request->reply.static_body = NULL;
    request->reply.cache_control = NULL;
    request->reply.web_page = false;
}

void api_reply_text_take(struct api_request *request, unsigned status, char *body, size_t length,
                         const char *content_type)
{
    TPW_ASSERT(body != NULL);
    TPW_ASSERT(content_type != NULL);
    reply_set(request, status, NULL);
    request->reply.body = body;
    request->reply.length = length;
    request->reply.content_type = content_type;
}

void api_reply_static(struct api_request *request, unsigned status, const unsigned char *body,
                      size_t length)
{
    TPW_ASSERT(body != NULL);
    reply_set(request, status, NULL);
    request->reply.static_body = body;
    request->reply.length = length;
}

void api_reply_json(struct api_request *request, unsigned status, json_t *body)
{
    api_reply_json_flags(request, status, body, JSON_COMPACT);
}

void api_reply_json_flags(struct api_request *request, unsigned status, json_t *body, size_t flags)
{
    char *text = body != NULL ? json_dumps(body, flags) : NULL;
    json_decref(body);
    if (text == NULL) {
        /* Building the body ran out of memory: a fixed body needs none. */
        static const char oom[] = "{\"error\":{\"type\":\"api_error\",\"code\":\"out_of_memory\","
                                  "\"message\":\"out of memory\"}}";
        text = strdup(oom);
        status = 503;
    }
    reply_set(request, status, text);
}

void api_reply_error_as(struct api_request *request, unsigned status, const char *type,
                        const char *code, const char *param, const char *message)
{
    json_t *error = json_pack("{s:s,s:s,s:s,s:s}", "type", type, "code", code, "message", message,
                              "request_id", request->request_id);
    if (error != NULL && param != NULL && param[0] != '\0') {
        (void)json_object_set_new(error, "param", json_string(param));
    }
    api_reply_json(request, status, error != NULL ? json_pack("{s:o}", "error", error) : NULL);
}

void api_reply_error(struct api_request *request, enum tpw_err err,
                     const struct tpw_error_detail *detail)
{
    const char *message =
        detail != NULL && detail->message[0] != '\0' ? detail->message : tpw_strerror(err);
    api_reply_error_as(request, (unsigned)tpw_err_http_status(err), tpw_err_api_type(err),
                       tpw_err_api_code(err), detail != NULL ? detail->param : NULL, message);
}

void api_reply_error_param(struct api_request *request, enum tpw_err err, const char *param)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_error_set_param(&detail, param);
    api_reply_error(request, err, &detail);
}

json_t *api_list_json(const char *url, json_t *data, bool has_more)
{
    return json_pack("{s:s,s:s,s:b,s:o}", "object", "list", "url", url, "has_more", has_more,
                     "data", data != NULL ? data : json_array());
}

/* The dashboard's files run in browsers: scripts and connections from this origin only,
 * no framing, no type sniffing, no referrer (URLs may carry ids). Inline styles are
 * allowed because the chart libraries set them. */
static void web_headers(struct MHD_Response *response)
{
    (void)MHD_add_response_header(response, "Content-Security-Policy",
                                  "default-src 'self'; script-src 'self'; connect-src 'self'; "
                                  "img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    (void)MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    (void)MHD_add_response_header(response, "X-Frame-Options", "DENY");
    (void)MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
}

enum MHD_Result api_reply_send(struct api_request *request)
{
    struct api_reply *reply = &request->reply;
    TPW_ASSERT(reply->status != 0);
    if (reply->stream != NULL) {
        struct MHD_Response *stream = reply->stream;
        reply->stream = NULL; /* queued: the connection owns it */
        (void)MHD_add_response_header(stream, "Request-Id", request->request_id);
        enum MHD_Result queued = MHD_queue_response(request->connection, reply->status, stream);
        MHD_destroy_response(stream);
        return queued;
    }
    struct MHD_Response *response = NULL;
    if (reply->static_body != NULL) {
        /* libmicrohttpd takes a non-const pointer in every mode; PERSISTENT only reads it
         * (the pointer is copied to drop the qualifier without a cast). */
        void *buffer = NULL;
        memcpy(&buffer, &reply->static_body, sizeof buffer);
        response = MHD_create_response_from_buffer(reply->length, buffer, MHD_RESPMEM_PERSISTENT);
    } else {
        response =
            MHD_create_response_from_buffer(reply->length, reply->body, MHD_RESPMEM_MUST_FREE);
    }
    if (response == NULL) {
        return MHD_NO;
    }
    reply->body = NULL; /* the response owns it now (a static body needs no owner) */
    (void)MHD_add_response_header(response, "Content-Type",
                                  reply->content_type != NULL ? reply->content_type
                                                              : "application/json");
    (void)MHD_add_response_header(response, "Request-Id", request->request_id);
    if (reply->cache_control != NULL) {
        (void)MHD_add_response_header(response, "Cache-Control", reply->cache_control);
    }
    if (reply->web_page) {
        web_headers(response);
    }
    if (reply->allow[0] != '\0') {
        (void)MHD_add_response_header(response, "Allow", reply->allow);
    }
    if (request->replayed) {
        (void)MHD_add_response_header(response, "Idempotent-Replayed", "true");
    }
    if (reply->challenge) {
        (void)MHD_add_response_header(response, "WWW-Authenticate", "Bearer realm=\"tpwallet\"");
    }
    if (reply->retry_after_s != 0) {
        char seconds[24];
        (void)snprintf(seconds, sizeof seconds, "%u", reply->retry_after_s);
        (void)MHD_add_response_header(response, "Retry-After", seconds);
    }
    enum MHD_Result result = MHD_queue_response(request->connection, reply->status, response);
    MHD_destroy_response(response);
    return result;
}

json_t *api_body_object(struct api_request *request)
{
    json_error_t error;
    json_t *body = request->body != NULL ? json_loadb(request->body, request->body_length,
                                                      JSON_REJECT_DUPLICATES, &error)
                                         : NULL;
    if (body == NULL) {
        char message[256];
        (void)snprintf(message, sizeof message, "request body is not valid JSON: %s",
                       request->body != NULL ? error.text : "the body is empty");
        api_reply_error_as(request, 400, "invalid_request_error", "json_invalid", NULL, message);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        api_reply_error_as(request, 400, "invalid_request_error", "json_invalid", NULL,
                           "request body must be a JSON object");
        return NULL;
    }
    return body;
}

/* A string field; a JSON null reads as absent (the API's convention). */
enum tpw_err api_body_string(json_t *body, const char *field, bool required, const char **out,
                             struct tpw_error_detail *detail)
{
    json_t *value = json_object_get(body, field);
    *out = NULL;
    if (value == NULL || json_is_null(value)) {
        if (!required) {
            return TPW_OK;
        }
        tpw_error_set_param(detail, field);
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "\"%s\": required", field);
    }
    *out = json_string_value(value);
    if (*out == NULL) {
        tpw_error_set_param(detail, field);
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "\"%s\": must be a string",
                             field);
    }
    return TPW_OK;
}

const char *api_query(struct api_request *request, const char *name)
{
    return MHD_lookup_connection_value(request->connection, MHD_GET_ARGUMENT_KIND, name);
}

bool api_query_limit(struct api_request *request, size_t *limit)
{
    const char *text = api_query(request, "limit");
    *limit = API_LIST_LIMIT_DEFAULT;
    if (text == NULL) {
        return true;
    }
    tpw_u128 value = 0;
    if (tpw_u128_from_dec(text, strlen(text), &value) != TPW_OK || value < 1 ||
        value > API_LIST_LIMIT_MAX) {
        api_reply_error_as(request, 400, "invalid_request_error", "invalid_argument", "limit",
                           "limit must be an integer from 1 to 100");
        return false;
    }
    *limit = (size_t)value;
    return true;
}

bool api_parse_id(struct api_request *request, const char *text, const char *param, tpw_u128 *id)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_error_set_param(&detail, param);
    enum tpw_err err = tpw_id_parse(text, strlen(text), NULL, id, &detail);
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
        return false;
    }
    return true;
}
