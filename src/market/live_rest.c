/*
 * REST snapshot requests for live feeds, on libcurl's multi interface: every request
 * progresses a little on each poll, so fetching a snapshot never stops the websocket
 * loop (the stream keeps being read and buffered meanwhile, as the venues' procedures
 * require). One slot per source and symbol; a body is bounded by
 * MARKET_LIVE_SNAPSHOT_BODY_MAX and a request by its timeout; anything but HTTP 200
 * is a failure with a short reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "live.h"
#include "tpw_assert.h"

#include "banned.h"

struct rest_slot {
    CURL *easy; /* NULL when idle */
    char *body; /* MARKET_LIVE_SNAPSHOT_BODY_MAX + 1, allocated on first use */
    size_t body_len;
    bool too_large;
};

struct market__rest {
    CURLM *multi;
    struct rest_slot *slots;
    size_t slots_count;
    long timeout_ms;
};

enum tpw_err market__rest_create(size_t slots_count, int64_t timeout_us, struct market__rest **out)
{
    TPW_ASSERT(timeout_us > 0);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return TPW_ERR_MARKET_LIVE;
    }
    struct market__rest *rest = calloc(1, sizeof(*rest));
    if (rest == NULL) {
        curl_global_cleanup();
        return TPW_ERR_NOMEM;
    }
    rest->slots = calloc(slots_count, sizeof(rest->slots[0]));
    rest->multi = curl_multi_init();
    rest->slots_count = slots_count;
    rest->timeout_ms = (long)(timeout_us / 1000 > 0 ? timeout_us / 1000 : 1);
    if (rest->slots == NULL || rest->multi == NULL) {
        enum tpw_err err = rest->slots == NULL ? TPW_ERR_NOMEM : TPW_ERR_MARKET_LIVE;
        market__rest_destroy(rest);
        return err;
    }
    *out = rest;
    return TPW_OK;
}

static void slot_release(struct market__rest *rest, struct rest_slot *slot)
{
    if (slot->easy != NULL) {
        (void)curl_multi_remove_handle(rest->multi, slot->easy);
        curl_easy_cleanup(slot->easy);
        slot->easy = NULL;
    }
}

void market__rest_destroy(struct market__rest *rest)
{
    if (rest == NULL) {
        return;
    }
    for (size_t index = 0; rest->slots != NULL && index < rest->slots_count; index++) {
        slot_release(rest, &rest->slots[index]);
        free(rest->slots[index].body);
    }
    if (rest->multi != NULL) {
        (void)curl_multi_cleanup(rest->multi);
    }
    free(rest->slots);
    free(rest);
    curl_global_cleanup();
}

/* libcurl's write callback: appends to the slot's body, or stops the transfer once the
 * body would pass its bound (returning less than given makes curl fail the request). */
static size_t body_write(char *data, size_t size, size_t count, void *user)
{
    struct rest_slot *slot = user;
    size_t len = size * count;
    if (len > MARKET_LIVE_SNAPSHOT_BODY_MAX - slot->body_len) {
        slot->too_large = true;
        return 0;
    }
    (void)memcpy(slot->body + slot->body_len, data, len);
    slot->body_len += len;
    return len;
}

bool market__rest_url_valid(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

static bool easy_setup(CURL *easy, struct rest_slot *slot, const char *url, long timeout_ms)
{
    return curl_easy_setopt(easy, CURLOPT_URL, url) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, body_write) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_WRITEDATA, slot) == CURLE_OK &&
           curl_easy_setopt(easy, CURLOPT_PRIVATE, slot) == CURLE_OK;
}

enum tpw_err market__rest_get(struct market__rest *rest, size_t slot_index, const char *url)
{
    TPW_ASSERT(slot_index < rest->slots_count);
    struct rest_slot *slot = &rest->slots[slot_index];
    TPW_ASSERT(slot->easy == NULL);
    if (slot->body == NULL) {
        slot->body = malloc(MARKET_LIVE_SNAPSHOT_BODY_MAX + 1);
        if (slot->body == NULL) {
            return TPW_ERR_NOMEM;
        }
    }
    slot->body_len = 0;
    slot->too_large = false;
    slot->easy = curl_easy_init();
    if (slot->easy == NULL || !easy_setup(slot->easy, slot, url, rest->timeout_ms) ||
        curl_multi_add_handle(rest->multi, slot->easy) != CURLM_OK) {
        curl_easy_cleanup(slot->easy);
        slot->easy = NULL;
        return TPW_ERR_MARKET_LIVE;
    }
    return TPW_OK;
}

/* The reason a finished request failed, or NULL when it returned HTTP 200. */
static const char *failure(struct rest_slot *slot, CURLcode result, char why[64])
{
    long status = 0;
    if (slot->too_large) {
        return "snapshot body too large";
    }
    if (result != CURLE_OK) {
        return curl_easy_strerror(result);
    }
    (void)curl_easy_getinfo(slot->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        (void)snprintf(why, 64, "HTTP %ld", status);
        return why;
    }
    return NULL;
}

void market__rest_poll(struct market__rest *rest, market__rest_done_fn *done, void *ctx)
{
    int running = 0;
    (void)curl_multi_perform(rest->multi, &running);
    int queued = 0;
    CURLMsg *msg = NULL;
    /* Bounded: each message is one finished transfer, at most one per slot. */
    for (size_t round = 0; round < rest->slots_count; round++) {
        msg = curl_multi_info_read(rest->multi, &queued);
        if (msg == NULL) {
            break;
        }
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        struct rest_slot *slot = NULL;
        (void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&slot);
        TPW_ASSERT(slot != NULL && slot->easy == msg->easy_handle);
        char why_text[64];
        const char *why = failure(slot, msg->data.result, why_text);
        size_t slot_index = (size_t)(slot - rest->slots);
        slot->body[slot->body_len] = '\0';
        slot_release(rest, slot);
        done(ctx, slot_index, why == NULL ? slot->body : NULL, slot->body_len, why);
    }
}
