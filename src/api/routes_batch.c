/*
 * POST /v1/transfers/batch: {"transfers":[…]} of 1..8189 transfers, applied as one
 * ledger batch (linked chains inside it work as in the library), answered with one
 * result per item in order. A malformed item rejects the whole request before
 * anything is applied, naming the item ("transfers[3].amount").
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "tpwallet/id.h"
#include "tpw_assert.h"
#include "transfer_input.h"

#include "banned.h"

/* {"id":"tr_…","result":"…"} at most, with separators. */
#define RESULT_TEXT_MAX (TPW_ID_TEXT_SIZE + 96)

/* Appends `text` at *used (the caller sized the buffer). */
static void put(char *out, size_t *used, const char *text, size_t length)
{
    memcpy(out + *used, text, length);
    *used += length;
}

/* The reply is written by hand, without printf: for 8189 items jansson's tree (or a
 * format string per item) would cost more than the ledger batch itself. */
static char *results_text(const struct api_write *write, size_t *length)
{
    static const char head[] = "{\"object\":\"batch\",\"results\":[";
    size_t capacity = sizeof head + 4 + write->count * RESULT_TEXT_MAX;
    char *text = malloc(capacity);
    if (text == NULL) {
        return NULL;
    }
    size_t used = 0;
    put(text, &used, head, sizeof head - 1);
    for (size_t i = 0; i < write->count; i++) {
        char id[TPW_ID_TEXT_SIZE];
        size_t id_length =
            tpw_id_format(write->transfers[i].id, API_TRANSFER_PREFIX, id, sizeof id);
        const char *result = ledger_transfer_result_name(write->transfer_results[i]);
        put(text, &used, i > 0 ? ",{\"id\":\"" : "{\"id\":\"", i > 0 ? 8 : 7);
        put(text, &used, id, id_length);
        put(text, &used, "\",\"result\":\"", 12);
        put(text, &used, result, strlen(result));
        put(text, &used, "\"}", 2);
        TPW_ASSERT(used + 3 < capacity);
    }
    put(text, &used, "]}", 3); /* with the NUL */
    *length = used - 1;
    return text;
}

static void batch_complete(struct api_write *write)
{
    struct api_request *request = api_request_of(write);
    if (write->err != TPW_OK) {
        api_reply_error(request, write->err, &write->detail);
        return;
    }
    size_t length = 0;
    char *text = results_text(write, &length);
    if (text == NULL) {
        api_reply_error(request, TPW_ERR_NOMEM, NULL);
        return;
    }
    free(request->reply.body);
    request->reply.status = 200;
    request->reply.body = text;
    request->reply.length = length;
}

/* The item's error with its place: param "transfers[i].field". */
static void item_error(struct api_request *request, size_t index, struct tpw_error_detail *detail)
{
    char param[TPW_ERROR_PARAM_SIZE + 32]; /* tpw_error_set_param truncates to fit */
    (void)snprintf(param, sizeof param, "transfers[%zu]%s%s", index,
                   detail->param[0] != '\0' ? "." : "", detail->param);
    tpw_error_set_param(detail, param);
    api_reply_error(request, detail->code, detail);
}

static bool item_parse(struct api_request *request, json_t *item, struct ledger_transfer *t,
                       struct tpw_error_detail *detail)
{
    tpw_error_detail_reset(detail);
    char code[API_ASSET_CODE_SIZE];
    enum tpw_err err = api_transfer_parse(item, t, code, detail);
    if (err == TPW_OK && code[0] != '\0') {
        err = api_assets_resolve(&request->server->assets, code, &t->asset, detail);
    }
    return err == TPW_OK;
}

static bool items_parse(struct api_request *request, json_t *items, struct api_write *write)
{
    for (size_t i = 0; i < write->count; i++) {
        struct tpw_error_detail detail;
        if (!item_parse(request, json_array_get(items, i), &write->transfers[i], &detail)) {
            item_error(request, i, &detail);
            return false;
        }
    }
    return true;
}

/* ---- the fast path ------------------------------------------------------------------
 * Parsing the whole body into one jansson tree costs most of a batch's time (a few
 * hundred thousand small allocations, freed together). The usual body has the plain
 * shape {"transfers":[{…},…]}: it is cut into its items, and each is parsed and freed
 * on its own with the same parser as ever, so memory stays small and hot. Anything
 * unusual — another shape, an item that fails — goes the whole-tree way instead,
 * which then gives exactly the error it always gave. */

struct span {
    size_t start;
    size_t length;
};

static size_t skip_space(const char *text, size_t length, size_t at)
{
    while (at < length &&
           (text[at] == ' ' || text[at] == '\n' || text[at] == '\r' || text[at] == '\t')) {
        at++;
    }
    return at;
}

/* The end (one past) of the object starting at `at`, or 0 when it does not close. */
static size_t object_end(const char *text, size_t length, size_t at)
{
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = at; i < length; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return 0;
}

/* The items' spans of a plain-shaped body; false when the body is anything else. */
static bool items_split(const char *text, size_t length, struct span *spans, size_t *count)
{
    static const char head[] = "\"transfers\"";
    size_t at = skip_space(text, length, 0);
    if (at >= length || text[at] != '{') {
        return false;
    }
    at = skip_space(text, length, at + 1);
    if (length - at < sizeof head - 1 || memcmp(text + at, head, sizeof head - 1) != 0) {
        return false;
    }
    at = skip_space(text, length, at + sizeof head - 1);
    if (at >= length || text[at] != ':') {
        return false;
    }
    at = skip_space(text, length, at + 1);
    if (at >= length || text[at] != '[') {
        return false;
    }
    *count = 0;
    for (;;) {
        at = skip_space(text, length, at + 1);
        size_t end = at < length && text[at] == '{' ? object_end(text, length, at) : 0;
        if (end == 0 || *count == LEDGER_BATCH_MAX) {
            return false;
        }
        spans[(*count)++] = (struct span){at, end - at};
        at = skip_space(text, length, end);
        if (at >= length || text[at] != ',') {
            break;
        }
    }
    if (at >= length || text[at] != ']') {
        return false;
    }
    at = skip_space(text, length, at + 1);
    if (at >= length || text[at] != '}') {
        return false;
    }
    return skip_space(text, length, at + 1) == length;
}

/* One item: the scanner's plain form without allocating, else jansson on the item
 * alone; false when it fails either way. */
static bool item_parse_span(struct api_request *request, const struct span *span,
                            struct ledger_transfer *t)
{
    const char *text = request->body + span->start;
    struct tpw_error_detail detail;
    struct api_transfer_input input;
    if (api_batch_scan_item(text, span->length, &input)) {
        tpw_error_detail_reset(&detail);
        char code[API_ASSET_CODE_SIZE];
        enum tpw_err err = api_transfer_from_input(&input, t, code, &detail);
        if (err == TPW_OK && code[0] != '\0') {
            err = api_assets_resolve(&request->server->assets, code, &t->asset, &detail);
        }
        return err == TPW_OK;
    }
    json_t *item = json_loadb(text, span->length, JSON_REJECT_DUPLICATES, NULL);
    bool parsed = item != NULL && item_parse(request, item, t, &detail);
    json_decref(item);
    return parsed;
}

/* Parses each item on its own; false (nothing replied) when any item fails. */
static bool items_parse_split(struct api_request *request, const struct span *spans,
                              struct api_write *write)
{
    for (size_t i = 0; i < write->count; i++) {
        if (!item_parse_span(request, &spans[i], &write->transfers[i])) {
            return false;
        }
    }
    return true;
}

static bool write_alloc(struct api_write *write, size_t count)
{
    write->count = count;
    write->transfers = calloc(count, sizeof *write->transfers);
    write->transfer_results = calloc(count, sizeof *write->transfer_results);
    return write->transfers != NULL && write->transfer_results != NULL;
}

/* True when the fast path parsed the whole batch into request->write. */
static bool batch_fast(struct api_request *request)
{
    struct span *spans = malloc(LEDGER_BATCH_MAX * sizeof *spans);
    size_t count = 0;
    bool parsed = spans != NULL && request->body != NULL &&
                  items_split(request->body, request->body_length, spans, &count) &&
                  write_alloc(&request->write, count) &&
                  items_parse_split(request, spans, &request->write);
    free(spans);
    if (!parsed) {
        free(request->write.transfers);
        free(request->write.transfer_results);
        request->write.transfers = NULL;
        request->write.transfer_results = NULL;
    }
    return parsed;
}

/* The body's "transfers" array (its only field); NULL after replying 400. */
static json_t *items_of(struct api_request *request, json_t *body)
{
    json_t *items = json_object_get(body, "transfers");
    if (!json_is_array(items) || json_object_size(body) != 1) {
        api_reply_error_as(request, 400, "invalid_request_error", "invalid_argument", "transfers",
                           "the body is {\"transfers\":[…]}");
        return NULL;
    }
    size_t count = json_array_size(items);
    if (count < 1 || count > LEDGER_BATCH_MAX) {
        api_reply_error_as(request, 400, "invalid_request_error",
                           tpw_err_api_code(TPW_ERR_LEDGER_BATCH_TOO_LARGE), "transfers",
                           "a batch holds 1 to 8189 transfers");
        return NULL;
    }
    return items;
}

/* The whole-tree way: every shape jansson accepts, and the exact errors. */
static bool batch_slow(struct api_request *request)
{
    json_t *body = api_body_object(request);
    json_t *items = body != NULL ? items_of(request, body) : NULL;
    if (items == NULL) {
        json_decref(body);
        return false;
    }
    if (!write_alloc(&request->write, json_array_size(items))) {
        json_decref(body);
        api_reply_error(request, TPW_ERR_NOMEM, NULL);
        return false;
    }
    bool parsed = items_parse(request, items, &request->write);
    json_decref(body);
    return parsed;
}

void api_transfers_batch(struct api_request *request, const char *id_text)
{
    (void)id_text;
    if (!batch_fast(request) && !batch_slow(request)) {
        return;
    }
    struct api_write *write = &request->write;
    write->kind = API_WRITE_TRANSFERS;
    write->complete = batch_complete;
    write->release = api_request_release;
    api_request_submit(request);
}
