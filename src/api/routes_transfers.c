/*
 * /v1/transfers: create one, create a batch (one result per item), get one, post or
 * void a pending one; and an account's transfers (/v1/accounts/{id}/transfers).
 * Every write goes through the group committer.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "transfer_input.h"
#include "tpwallet/id.h"
#include "tpw_assert.h"

#include "banned.h"

/* Result → HTTP status: a conflicting retry is 409, a missing object 404, a refusal
 * that depends on the ledger's state (funds, limits, states) 422, a malformed
 * command 400. */
static unsigned result_status(enum ledger_transfer_result result)
{
    const char *name = ledger_transfer_result_name(result);
    size_t length = strlen(name);
    if (strncmp(name, "exists_with_different", 21) == 0) {
        return 409;
    }
    if (length > 10 && strcmp(name + length - 10, "_not_found") == 0) {
        return 404;
    }
    return ledger_transfer_result_is_transient(result) ? 422 : 400;
}

static json_t *transfer_json(struct api_request *request, const struct ledger_transfer *t,
                             enum ledger_pending_state state)
{
    struct ledger_asset asset;
    bool known = api_assets_by_number(&request->server->assets, t->asset, &asset);
    return api_transfer_json(t, known ? &asset : NULL, state, API_JSON_DECIMALS);
}

/* One transfer as the reply, its text written without a jansson tree: this is the
 * committer's work for every single-transfer POST (and GET /v1/transfers/{id}). */
static void reply_transfer(struct api_request *request, unsigned status,
                           const struct ledger_transfer *t, enum ledger_pending_state state)
{
    struct ledger_asset asset;
    bool known = api_assets_by_number(&request->server->assets, t->asset, &asset);
    char text[API_TRANSFER_TEXT_SIZE];
    size_t length =
        api_transfer_format(t, known ? &asset : NULL, state, API_JSON_DECIMALS, text, sizeof text);
    TPW_ASSERT(length > 0);
    char *body = malloc(length + 1);
    if (body == NULL) {
        api_reply_error(request, TPW_ERR_NOMEM, NULL);
        return;
    }
    memcpy(body, text, length + 1);
    api_reply_text_take(request, status, body, length, "application/json");
}

static void reply_transfer_result(struct api_request *request, enum ledger_transfer_result result,
                                  const struct ledger_transfer *stored,
                                  enum ledger_pending_state state)
{
    if (result == LEDGER_TRANSFER_OK || result == LEDGER_TRANSFER_EXISTS) {
        reply_transfer(request, result == LEDGER_TRANSFER_OK ? 201 : 200, stored, state);
        return;
    }
    api_reply_error_as(request, result_status(result), "invalid_request_error",
                       ledger_transfer_result_name(result), NULL,
                       "the ledger refused the transfer");
}

static void single_complete(struct api_write *write)
{
    struct api_request *request = api_request_of(write);
    if (write->err != TPW_OK) {
        api_reply_error(request, write->err, &write->detail);
        return;
    }
    reply_transfer_result(request, write->transfer_results[0], &write->stored_transfer,
                          write->stored_state);
}

/* The parser's asset code → the asset's number; false when either failed. */
static bool asset_resolve(struct api_request *request, enum tpw_err err,
                          const char code[API_ASSET_CODE_SIZE], struct ledger_transfer *out,
                          struct tpw_error_detail *detail)
{
    if (err == TPW_OK && code[0] != '\0') {
        err = api_assets_resolve(&request->server->assets, code, &out->asset, detail);
    }
    return err == TPW_OK;
}

/* A body → one transfer with its asset number; false with *detail saying why. */
static bool transfer_from(struct api_request *request, json_t *object, struct ledger_transfer *out,
                          struct tpw_error_detail *detail)
{
    char code[API_ASSET_CODE_SIZE];
    enum tpw_err err = api_transfer_parse(object, out, code, detail);
    return asset_resolve(request, err, code, out, detail);
}

/* The same from the fields the batch scanner read in place. */
static bool transfer_from_input(struct api_request *request, const struct api_transfer_input *input,
                                struct ledger_transfer *out, struct tpw_error_detail *detail)
{
    char code[API_ASSET_CODE_SIZE];
    enum tpw_err err = api_transfer_from_input(input, out, code, detail);
    return asset_resolve(request, err, code, out, detail);
}

static void submit_single(struct api_request *request)
{
    struct api_write *write = &request->write;
    write->kind = API_WRITE_TRANSFERS;
    write->count = 1;
    write->transfers = &request->single_transfer;
    write->transfer_results = &request->single_result;
    write->fetch = true;
    write->complete = single_complete;
    write->release = api_request_release;
    api_request_submit(request);
}

/* One transfer's body has the shape of a batch item, so the plain form clients send is
 * read in place (batch_scan.c) without building a tree. The scanner gives up on
 * everything else, which jansson then reads and answers; where the scanner does read,
 * both give the same transfer and the same error (tests/prop/test_api_batch_scan.c). */
void api_transfers_create(struct api_request *request, const char *id_text)
{
    (void)id_text;
    struct api_transfer_input input;
    bool plain =
        request->body != NULL && api_batch_scan_item(request->body, request->body_length, &input);
    json_t *body = plain ? NULL : api_body_object(request);
    if (!plain && body == NULL) {
        return;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    bool parsed = plain ? transfer_from_input(request, &input, &request->single_transfer, &detail)
                        : transfer_from(request, body, &request->single_transfer, &detail);
    json_decref(body);
    if (!parsed) {
        api_reply_error(request, detail.code, &detail);
        return;
    }
    submit_single(request);
}

/* POST /v1/transfers/{id}/post and /void: {"id", "amount"?, "user_data"?} names the
 * new transfer that resolves the pending one in the path. */
static void resolve(struct api_request *request, const char *id_text, uint16_t flag)
{
    tpw_u128 pending_id = 0;
    if (!api_parse_id(request, id_text, "pending_id", &pending_id)) {
        return;
    }
    json_t *body = api_body_object(request);
    if (body == NULL) {
        return;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    json_t *pending = json_object_get(body, "pending_id");
    json_t *flags = json_object_get(body, "flags");
    bool parsed = pending == NULL && flags == NULL &&
                  json_object_set_new(body, "pending_id", json_string(id_text)) == 0 &&
                  json_object_set_new(body, "flags",
                                      json_pack("[s]", ledger_transfer_flag_name(flag))) == 0 &&
                  transfer_from(request, body, &request->single_transfer, &detail);
    json_decref(body);
    if (!parsed) {
        if (detail.code == TPW_OK) {
            tpw_error_set_param(&detail, pending != NULL ? "pending_id" : "flags");
            (void)tpw_error_set(&detail, TPW_ERR_INVALID_ARGUMENT, 0,
                                "the path sets \"pending_id\" and \"flags\"");
        }
        api_reply_error(request, detail.code, &detail);
        return;
    }
    submit_single(request);
}

void api_transfer_post(struct api_request *request, const char *id_text)
{
    resolve(request, id_text, LEDGER_TRANSFER_POST_PENDING);
}

void api_transfer_void(struct api_request *request, const char *id_text)
{
    resolve(request, id_text, LEDGER_TRANSFER_VOID_PENDING);
}

/* Whether the caller may see a transfer: it must see one of its accounts. */
static bool transfer_visible(struct api_request *request, const struct ledger_transfer *t)
{
    struct api_server *server = request->server;
    struct ledger_account debit;
    struct ledger_account credit;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    bool seen = (ledger_account_get(server->ledger, t->debit_account_id, &debit) == TPW_OK &&
                 api_visible(request, debit.owner)) ||
                (ledger_account_get(server->ledger, t->credit_account_id, &credit) == TPW_OK &&
                 api_visible(request, credit.owner));
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    return seen;
}

/* Reads one visible transfer; false after replying 404. */
static bool transfer_read(struct api_request *request, tpw_u128 id, const char *param,
                          struct ledger_transfer *out, enum ledger_pending_state *state)
{
    struct api_server *server = request->server;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    enum tpw_err err = ledger_transfer_get(server->ledger, id, out, state);
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    if (err != TPW_OK || !transfer_visible(request, out)) {
        api_reply_error_param(
            request, err == TPW_ERR_LEDGER_FAILED ? err : TPW_ERR_LEDGER_TRANSFER_NOT_FOUND, param);
        return false;
    }
    return true;
}

void api_transfer_get(struct api_request *request, const char *id_text)
{
    tpw_u128 id = 0;
    struct ledger_transfer transfer;
    enum ledger_pending_state state = LEDGER_PENDING_NONE;
    if (api_parse_id(request, id_text, "id", &id) &&
        transfer_read(request, id, "id", &transfer, &state)) {
        reply_transfer(request, 200, &transfer, state);
    }
}

/* `order` (desc, the default: newest first; or asc) and `starting_after` (a transfer
 * of the account) → the history query. False after replying 400/404. */
static bool history_query(struct api_request *request, tpw_u128 account_id,
                          struct ledger_history_query *query)
{
    const char *order = api_query(request, "order");
    memset(query, 0, sizeof *query);
    query->account_id = account_id;
    query->descending = order == NULL || strcmp(order, "desc") == 0;
    if (!query->descending && strcmp(order, "asc") != 0) {
        api_reply_error_as(request, 400, "invalid_request_error", "invalid_argument", "order",
                           "order is asc or desc");
        return false;
    }
    const char *cursor = api_query(request, "starting_after");
    if (cursor == NULL) {
        return true;
    }
    tpw_u128 id = 0;
    struct ledger_transfer transfer;
    enum ledger_pending_state state;
    if (!api_parse_id(request, cursor, "starting_after", &id) ||
        !transfer_read(request, id, "starting_after", &transfer, &state)) {
        return false;
    }
    query->after_timestamp = query->descending ? 0 : transfer.timestamp;
    query->before_timestamp = query->descending ? transfer.timestamp : 0;
    return true;
}

static json_t *history_json(struct api_request *request, const struct ledger_transfer *page,
                            size_t count)
{
    struct api_server *server = request->server;
    json_t *data = json_array();
    for (size_t i = 0; data != NULL && i < count; i++) {
        enum ledger_pending_state state = LEDGER_PENDING_NONE;
        if ((page[i].flags & LEDGER_TRANSFER_PENDING) != 0) {
            struct ledger_transfer stored;
            TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
            if (ledger_transfer_get(server->ledger, page[i].id, &stored, &state) != TPW_OK) {
                state = LEDGER_PENDING_NONE;
            }
            TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
        }
        (void)json_array_append_new(data, transfer_json(request, &page[i], state));
    }
    return data;
}

void api_account_transfers(struct api_request *request, const char *id_text)
{
    tpw_u128 id = 0;
    size_t limit = 0;
    struct ledger_account account;
    struct ledger_history_query query;
    if (!api_parse_id(request, id_text, "id", &id) || !api_query_limit(request, &limit) ||
        !api_account_read(request, id, "id", &account) || !history_query(request, id, &query)) {
        return;
    }
    struct ledger_transfer page[API_LIST_LIMIT_MAX];
    size_t count = 0;
    bool has_more = false;
    struct api_server *server = request->server;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    enum tpw_err err =
        ledger_account_transfers(server->ledger, &query, page, limit, &count, &has_more);
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    if (err != TPW_OK) {
        api_reply_error(request, err, NULL);
        return;
    }
    char url[96];
    char text[TPW_ID_TEXT_SIZE];
    (void)tpw_id_format(id, API_ACCOUNT_PREFIX, text, sizeof text);
    (void)snprintf(url, sizeof url, "/v1/accounts/%s/transfers", text);
    api_reply_json(request, 200, api_list_json(url, history_json(request, page, count), has_more));
}
