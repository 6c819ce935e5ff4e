/*
 * The CLI's HTTP client for `tpwallet serve` (cli_http.h): one POST of a JSON body with
 * libcurl, bounded like src/fx/ecb_fetch.c — a whole-transfer timeout, a body cap (the
 * write callback refuses more), http and https only, no redirects (the key must only
 * ever go to the server the user named) — and the server's replies on stdout/stderr.
 * The API key is read from the environment only: an option would show in `ps`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli_http.h"
#include "tpw_assert.h"

#include "banned.h"

#define CLI_HTTP_SERVER_DEFAULT "http://127.0.0.1:8080"
/* "Authorization: Bearer " and a key: keys are about 70 characters. */
#define CLI_HTTP_AUTH_SIZE 512

enum tpw_err cli_http_target_init(struct cli_http_target *target, const char *server,
                                  struct tpw_error_detail *detail)
{
    memset(target, 0, sizeof *target);
    const char *key = getenv("TPWALLET_API_KEY");
    if (key == NULL || key[0] == '\0') {
        return tpw_error_set(detail, TPW_ERR_USAGE, 0,
                             "set TPWALLET_API_KEY to an API key ('tpwallet apikey create'); "
                             "it is never taken as an option");
    }
    if (strlen(key) + sizeof "Authorization: Bearer " > CLI_HTTP_AUTH_SIZE) {
        return tpw_error_set(detail, TPW_ERR_USAGE, 0, "TPWALLET_API_KEY is too long");
    }
    target->api_key = key;
    if (server == NULL || server[0] == '\0') {
        server = getenv("TPWALLET_SERVER");
    }
    if (server == NULL || server[0] == '\0') {
        server = CLI_HTTP_SERVER_DEFAULT;
    }
    tpw_error_set_param(detail, "server");
    size_t length = strlen(server);
    while (length > 0 && server[length - 1] == '/') {
        length--; /* paths start with their own '/' */
    }
    if (strncmp(server, "http://", 7) != 0 && strncmp(server, "https://", 8) != 0) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                             "the server '%.80s' is not an http:// or https:// URL", server);
    }
    if (length >= CLI_HTTP_URL_SIZE / 2) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "the server URL is too long");
    }
    memcpy(target->url_base, server, length);
    target->url_base[length] = '\0';
    tpw_error_set_param(detail, NULL);
    return TPW_OK;
}

struct http_body {
    char *data; /* CLI_HTTP_BODY_MAX + 1 bytes: room for the NUL */
    size_t length;
    bool too_large;
};

static size_t on_body(char *chunk, size_t size, size_t count, void *context)
{
    struct http_body *body = context;
    size_t chunk_len = size * count;
    if (chunk_len > CLI_HTTP_BODY_MAX - body->length) {
        body->too_large = true;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    memcpy(body->data + body->length, chunk, chunk_len);
    body->length += chunk_len;
    TPW_ASSERT(body->length <= CLI_HTTP_BODY_MAX);
    return chunk_len;
}

struct http_call {
    const char *url;
    const char *payload;
    struct curl_slist *headers;
    struct http_body *body;
    char *error_text; /* CURL_ERROR_SIZE bytes */
};

static bool configure(CURL *easy, const struct http_call *call)
{
    return curl_easy_setopt(easy, CURLOPT_URL, call->url) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)CLI_HTTP_TIMEOUT_MS) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)CLI_HTTP_CONNECT_TIMEOUT_MS) ==
               CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, call->error_text) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_HTTPHEADER, call->headers) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_POSTFIELDS, call->payload) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_WRITEDATA, call->body) == CURLE_OK;
}

/* The headers: the bearer token and the body's type. NULL when out of memory. */
static struct curl_slist *headers_make(const char *api_key)
{
    char auth[CLI_HTTP_AUTH_SIZE];
    int length = snprintf(auth, sizeof auth, "Authorization: Bearer %s", api_key);
    TPW_ASSERT(length > 0 && (size_t)length < sizeof auth); /* checked at target_init */
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    struct curl_slist *more =
        headers != NULL ? curl_slist_append(headers, "Content-Type: application/json") : NULL;
    /* The key's copy on the stack is not left behind for a later frame to leak. */
    memset(auth, 0, sizeof auth);
    if (more == NULL) {
        curl_slist_free_all(headers);
    }
    return more;
}

/* The transfer's failure as one of the client's errors, naming the URL. */
static enum tpw_err transfer_error(CURLcode code, const struct http_call *call,
                                   struct tpw_error_detail *detail)
{
    if (call->body->too_large) {
        return tpw_error_set(detail, TPW_ERR_CLIENT_REPLY_INVALID, 0,
                             "%.100s: the reply is larger than %zu bytes", call->url,
                             CLI_HTTP_BODY_MAX);
    }
    const char *why = call->error_text[0] != '\0' ? call->error_text : curl_easy_strerror(code);
    if (code == CURLE_OPERATION_TIMEDOUT) {
        return tpw_error_set(detail, TPW_ERR_CLIENT_UNREACHABLE, 0,
                             "no answer from %.100s within %d s: %.60s", call->url,
                             CLI_HTTP_TIMEOUT_MS / 1000, why);
    }
    return tpw_error_set(detail, TPW_ERR_CLIENT_UNREACHABLE, 0, "cannot reach %.80s: %.96s",
                         call->url, why);
}

/* One transfer with libcurl; the body and status land in `reply`. */
static enum tpw_err transfer(const struct http_call *call, struct cli_http_reply *reply,
                             struct tpw_error_detail *detail)
{
    CURL *easy = curl_easy_init();
    enum tpw_err err = TPW_OK;
    if (easy == NULL) {
        err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for an HTTP transfer");
    } else if (!configure(easy, call)) {
        err = tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "libcurl refused an option");
    } else {
        CURLcode code = curl_easy_perform(easy);
        (void)curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply->status);
        if (code != CURLE_OK) {
            err = transfer_error(code, call, detail);
        }
    }
    if (easy != NULL) {
        curl_easy_cleanup(easy);
    }
    return err;
}

/* The body as a JSON object; a success must be one, an error may be anything (a proxy's
 * page), which cli_http_fail then describes by its status. */
static enum tpw_err reply_parse(struct cli_http_reply *reply, struct tpw_error_detail *detail)
{
    json_error_t error;
    json_t *object = json_loadb(reply->body, reply->body_size_bytes, 0, &error);
    if (json_is_object(object)) {
        reply->object = object;
        return TPW_OK;
    }
    json_decref(object);
    if (reply->status >= 200 && reply->status < 300) {
        return tpw_error_set(detail, TPW_ERR_CLIENT_REPLY_INVALID, 0,
                             "%.100s answered HTTP %ld without a JSON object", reply->url,
                             reply->status);
    }
    return TPW_OK;
}

static enum tpw_err post_text(const struct cli_http_target *target, const char *payload,
                              struct cli_http_reply *reply, struct tpw_error_detail *detail)
{
    char error_text[CURL_ERROR_SIZE] = "";
    struct http_body body = {malloc(CLI_HTTP_BODY_MAX + 1), 0, false};
    struct curl_slist *headers = headers_make(target->api_key);
    if (body.data == NULL || headers == NULL) {
        curl_slist_free_all(headers);
        free(body.data);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for an HTTP transfer");
    }
    struct http_call call = {reply->url, payload, headers, &body, error_text};
    enum tpw_err err = transfer(&call, reply, detail);
    curl_slist_free_all(headers);
    if (err != TPW_OK) {
        free(body.data);
        return err;
    }
    body.data[body.length] = '\0';
    reply->body = body.data;
    reply->body_size_bytes = body.length;
    return reply_parse(reply, detail);
}

enum tpw_err cli_http_post(const struct cli_http_target *target, const char *path,
                           const json_t *request, struct cli_http_reply *reply,
                           struct tpw_error_detail *detail)
{
    memset(reply, 0, sizeof *reply);
    int length = snprintf(reply->url, sizeof reply->url, "%s%s", target->url_base, path);
    if (length < 0 || (size_t)length >= sizeof reply->url) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "the URL is too long");
    }
    char *payload = json_dumps(request, JSON_COMPACT);
    if (payload == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory building the request");
    }
    /* The CLI is single-threaded: initialising libcurl here is safe, and its cleanup
     * after the one request leaves nothing behind. */
    enum tpw_err err = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
                           ? post_text(target, payload, reply, detail)
                           : tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "libcurl did not start");
    curl_global_cleanup();
    free(payload);
    if (err != TPW_OK) {
        cli_http_reply_deinit(reply);
    }
    return err;
}

void cli_http_reply_deinit(struct cli_http_reply *reply)
{
    free(reply->body);
    json_decref(reply->object);
    reply->body = NULL;
    reply->body_size_bytes = 0;
    reply->object = NULL;
}

static int exit_status_of(long http_status)
{
    if (http_status == 401 || http_status == 403) {
        return 77; /* EX_NOPERM */
    }
    if (http_status == 429) {
        return 75; /* EX_TEMPFAIL */
    }
    if (http_status == 503) {
        return 69; /* EX_UNAVAILABLE */
    }
    if (http_status >= 400 && http_status < 500) {
        return 65; /* EX_DATAERR */
    }
    return 70; /* EX_SOFTWARE */
}

int cli_http_print_body(const struct cli *cli, const struct cli_http_reply *reply)
{
    size_t length = reply->body_size_bytes;
    while (length > 0 && (reply->body[length - 1] == '\n' || reply->body[length - 1] == '\r')) {
        length--;
    }
    if (reply->object == NULL || memchr(reply->body, '\n', length) != NULL) {
        /* Not one line as sent: the parsed object, compact, says the same. */
        return cli_print_json_take(cli, json_incref(reply->object));
    }
    if (fwrite(reply->body, 1, length, stdout) != length || fputc('\n', stdout) == EOF ||
        fflush(stdout) != 0) {
        return tpw_err_exit_status(TPW_ERR_IO);
    }
    return 0;
}

int cli_http_fail(const struct cli *cli, const struct cli_http_reply *reply)
{
    const json_t *error = json_object_get(reply->object, "error");
    const char *message = json_string_value(json_object_get(error, "message"));
    const char *code = json_string_value(json_object_get(error, "code"));
    int status = exit_status_of(reply->status);
    if (message == NULL || code == NULL) {
        /* Not the API's error object (a proxy, another server): our own error, with the
         * exit status the HTTP status gives. */
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        (void)tpw_error_set(&detail, TPW_ERR_CLIENT_REPLY_INVALID, 0,
                            "%.100s answered HTTP %ld without an error object", reply->url,
                            reply->status);
        (void)cli_fail(cli, TPW_ERR_CLIENT_REPLY_INVALID, &detail);
        return status;
    }
    (void)fprintf(stderr, "tpwallet %s: error: %s (%s)\n", cli->command, message, code);
    if (cli->json) {
        (void)cli_http_print_body(cli, reply);
    }
    return status;
}
