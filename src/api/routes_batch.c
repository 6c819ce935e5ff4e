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

#include "banned.h"

/* {"id":"tr_…","result":"…"} at most, with separators. */
#define RESULT_TEXT_MAX (TPW_ID_TEXT_SIZE + 96)

/* The reply is written by hand: for 8189 items jansson's tree would cost more than
 * the ledger batch itself. */
static char *results_text(const struct api_write *write, size_t *length)
{
    size_t capacity = 32 + write->count * RESULT_TEXT_MAX;
    char *text = malloc(capacity);
    if (text == NULL) {
        return NULL;
    }
    size_t used = (size_t)snprintf(text, capacity, "{\"object\":\"batch\",\"results\":[");
    for (size_t i = 0; i < write->count; i++) {
        char id[TPW_ID_TEXT_SIZE];
        (void)tpw_id_format(write->transfers[i].id, API_TRANSFER_PREFIX, id, sizeof id);
        used += (size_t)snprintf(text + used, capacity - used,
                                 "%s{\"id\":\"%s\",\"result\":\"%s\"}", i > 0 ? "," : "", id,
                                 ledger_transfer_result_name(write->transfer_results[i]));
        TPW_ASSERT(used < capacity);
    }
    used += (size_t)snprintf(text + used, capacity - used, "]}");
    TPW_ASSERT(used < capacity);
    *length = used;
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

static bool items_parse(struct api_request *request, json_t *items, struct api_write *write)
{
    for (size_t i = 0; i < write->count; i++) {
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        char code[API_ASSET_CODE_SIZE];
        struct ledger_transfer *t = &write->transfers[i];
        enum tpw_err err = api_transfer_parse(json_array_get(items, i), t, code, &detail);
        if (err == TPW_OK && code[0] != '\0') {
            err = api_assets_resolve(&request->server->assets, code, &t->asset, &detail);
        }
        if (err != TPW_OK) {
            item_error(request, i, &detail);
            return false;
        }
    }
    return true;
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

void api_transfers_batch(struct api_request *request, const char *id_text)
{
    (void)id_text;
    json_t *body = api_body_object(request);
    json_t *items = body != NULL ? items_of(request, body) : NULL;
    if (items == NULL) {
        json_decref(body);
        return;
    }
    struct api_write *write = &request->write;
    write->count = json_array_size(items);
    write->transfers = calloc(write->count, sizeof *write->transfers);
    write->transfer_results = calloc(write->count, sizeof *write->transfer_results);
    if (write->transfers == NULL || write->transfer_results == NULL) {
        json_decref(body);
        api_reply_error(request, TPW_ERR_NOMEM, NULL);
        return;
    }
    bool parsed = items_parse(request, items, write);
    json_decref(body);
    if (!parsed) {
        return;
    }
    write->kind = API_WRITE_TRANSFERS;
    write->complete = batch_complete;
    write->release = api_request_release;
    api_request_submit(request);
}
