/*
 * tpw_fx_live: the ECB's daily XML over HTTP with libcurl. Kept out of tpw_fx so that
 * parsing and the history need no network library. The transfer is bounded three ways:
 * a whole-transfer timeout, a body cap (the write callback refuses more), and no
 * redirects (a redirect could lead anywhere; the caller gives the URL it trusts).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

struct fetch_body {
    char *data;
    size_t length;
    const atomic_bool *cancel; /* NULL: none */
    bool too_large;
    bool cancelled;
};

static size_t on_body(char *chunk, size_t size, size_t count, void *context)
{
    struct fetch_body *body = context;
    size_t chunk_len = size * count;
    if (chunk_len > FX_ECB_FETCH_BODY_MAX - body->length) {
        body->too_large = true;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    memcpy(body->data + body->length, chunk, chunk_len);
    body->length += chunk_len;
    TPW_ASSERT(body->length <= FX_ECB_FETCH_BODY_MAX);
    return chunk_len;
}

/* libcurl calls this about once a second and on every chunk: a server stopping must
 * not wait for a slow peer's timeout. */
static int on_progress(void *context, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    struct fetch_body *body = context;
    body->cancelled = body->cancel != NULL && atomic_load(body->cancel);
    return body->cancelled ? 1 : 0; /* non-zero: libcurl stops with CURLE_ABORTED_BY_CALLBACK */
}

static bool configure(CURL *easy, const char *url, uint32_t timeout_ms, struct fetch_body *body,
                      char *error_text)
{
    return curl_easy_setopt(easy, CURLOPT_URL, url) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_text) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_WRITEDATA, body) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_XFERINFODATA, body) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
}

/* The transfer's outcome as one of the fetch errors. */
static enum tpw_err transfer_error(CURLcode code, const struct fetch_body *body, const char *url,
                                   const char *error_text, struct tpw_error_detail *detail)
{
    if (body->too_large) {
        return tpw_error_set(detail, TPW_ERR_FX_TOO_LARGE, 0, "%.80s: body above %zu bytes", url,
                             FX_ECB_FETCH_BODY_MAX);
    }
    if (body->cancelled) {
        return tpw_error_set(detail, TPW_ERR_FX_FETCH_FAILED, 0, "%.80s: cancelled", url);
    }
    const char *why = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
    if (code == CURLE_OPERATION_TIMEDOUT) {
        return tpw_error_set(detail, TPW_ERR_FX_FETCH_TIMEOUT, 0, "%.80s: %.80s", url, why);
    }
    return tpw_error_set(detail, TPW_ERR_FX_FETCH_FAILED, 0, "%.80s: %.80s", url, why);
}

enum tpw_err fx_ecb_fetch(const char *url, uint32_t timeout_ms, const atomic_bool *cancel,
                          struct fx_ecb_day *out, struct tpw_error_detail *detail)
{
    if (timeout_ms == 0) {
        /* libcurl reads 0 as "no timeout": every fetch must end. */
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "a fetch needs a timeout");
    }
    struct fetch_body body = {.data = malloc(FX_ECB_FETCH_BODY_MAX), .cancel = cancel};
    CURL *easy = body.data == NULL ? NULL : curl_easy_init();
    char error_text[CURL_ERROR_SIZE] = "";
    enum tpw_err err = TPW_OK;
    if (easy == NULL) {
        err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for an HTTP transfer");
    } else if (!configure(easy, url, timeout_ms, &body, error_text)) {
        err = tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "libcurl refused an option");
    } else {
        CURLcode code = curl_easy_perform(easy);
        long status = 0;
        (void)curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        if (code != CURLE_OK) {
            err = transfer_error(code, &body, url, error_text, detail);
        } else if (status != 200) {
            err = tpw_error_set(detail, TPW_ERR_FX_FETCH_HTTP_STATUS, 0, "%.80s: HTTP status %ld",
                                url, status);
        } else {
            err = fx_ecb_xml_parse_day(body.data, body.length, out, detail);
        }
    }
    if (easy != NULL) {
        curl_easy_cleanup(easy);
    }
    free(body.data);
    return err;
}
