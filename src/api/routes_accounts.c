/*
 * /v1/accounts: create (through the committer), get, list (cursor pagination), an
 * account's balances now or as of a time, and an account's transfers.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define LIST_SCAN_PAGE 256u

void api_visibility_of(const struct api_request *request, struct api_visibility *out)
{
    out->all = request->principal.role != API_ROLE_USER;
    out->owner = request->principal.owner;
}

bool api_visibility_allows(const struct api_visibility *view, tpw_u128 owner)
{
    return view->all || owner == view->owner;
}

bool api_visible(const struct api_request *request, tpw_u128 owner)
{
    struct api_visibility view;
    api_visibility_of(request, &view);
    return api_visibility_allows(&view, owner);
}

static json_t *account_json(struct api_request *request, const struct ledger_account *account)
{
    struct ledger_asset asset;
    bool known = api_assets_by_number(&request->server->assets, account->asset, &asset);
    return api_account_json(account, known ? &asset : NULL, API_JSON_DECIMALS);
}

static void account_complete(struct api_write *write)
{
    struct api_request *request = api_request_of(write);
    if (write->err != TPW_OK) {
        api_reply_error(request, write->err, &write->detail);
        return;
    }
    enum ledger_account_result result = write->account_result;
    if (result == LEDGER_ACCOUNT_OK || result == LEDGER_ACCOUNT_EXISTS) {
        api_reply_json(request, result == LEDGER_ACCOUNT_OK ? 201 : 200,
                       account_json(request, &write->account));
        return;
    }
    const char *name = ledger_account_result_name(result);
    bool conflict = strncmp(name, "exists_with_different", 21) == 0;
    api_reply_error_as(request, conflict ? 409 : 400, "invalid_request_error", name, NULL,
                       "the ledger refused the account");
}

/* A user key opens accounts for its own owner only: no owner means its own. */
static enum tpw_err owner_claim(const struct api_request *request, struct ledger_account *account,
                                struct tpw_error_detail *detail)
{
    if (account->owner == 0) {
        account->owner = request->principal.owner;
    }
    if (account->owner == request->principal.owner) {
        return TPW_OK;
    }
    tpw_error_set_param(detail, "owner");
    return tpw_error_set(detail, TPW_ERR_API_PERMISSION_DENIED, 0,
                         "a user key opens accounts for its own owner only");
}

void api_accounts_create(struct api_request *request, const char *id_text)
{
    (void)id_text;
    json_t *body = api_body_object(request);
    if (body == NULL) {
        return;
    }
    struct api_write *write = &request->write;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = api_account_parse(body, &write->account, write->asset_code, &detail);
    json_decref(body);
    const struct money_asset *known = NULL;
    if (err == TPW_OK) {
        tpw_error_set_param(&detail, "asset");
        err = money_registry_find(request->server->assets.registry, write->asset_code, &known,
                                  &detail);
    }
    if (err == TPW_OK && request->principal.role == API_ROLE_USER) {
        err = owner_claim(request, &write->account, &detail);
    }
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
        return;
    }
    write->kind = API_WRITE_ACCOUNT;
    write->complete = account_complete;
    write->release = api_request_release;
    api_request_submit(request);
}

bool api_account_read(struct api_request *request, tpw_u128 id, const char *param,
                      struct ledger_account *out)
{
    struct api_server *server = request->server;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    enum tpw_err err = ledger_account_get(server->ledger, id, out);
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    if (err != TPW_OK || !api_visible(request, out->owner)) {
        api_reply_error_param(
            request, err == TPW_ERR_LEDGER_FAILED ? err : TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND, param);
        return false;
    }
    return true;
}

void api_account_get(struct api_request *request, const char *id_text)
{
    tpw_u128 id = 0;
    struct ledger_account account;
    if (api_parse_id(request, id_text, "id", &id) &&
        api_account_read(request, id, "id", &account)) {
        api_reply_json(request, 200, account_json(request, &account));
    }
}

/* Appends the visible accounts after `after_ts` to `data` until it holds `limit`;
 * true when more visible ones follow. */
static bool accounts_page(struct api_request *request, uint64_t after_ts, size_t limit,
                          json_t *data)
{
    struct ledger_account page[LIST_SCAN_PAGE];
    struct api_server *server = request->server;
    for (;;) {
        TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
        size_t count = ledger_account_list(server->ledger, after_ts, page, LIST_SCAN_PAGE);
        TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
        for (size_t i = 0; i < count; i++) {
            if (!api_visible(request, page[i].owner)) {
                continue;
            }
            if (json_array_size(data) == limit) {
                return true;
            }
            (void)json_array_append_new(data, account_json(request, &page[i]));
        }
        if (count < LIST_SCAN_PAGE) {
            return false;
        }
        after_ts = page[count - 1].timestamp;
    }
}

void api_accounts_list(struct api_request *request, const char *id_text)
{
    (void)id_text;
    size_t limit = 0;
    if (!api_query_limit(request, &limit)) {
        return;
    }
    uint64_t after_ts = 0;
    const char *cursor = api_query(request, "starting_after");
    if (cursor != NULL) {
        tpw_u128 id = 0;
        struct ledger_account account;
        if (!api_parse_id(request, cursor, "starting_after", &id) ||
            !api_account_read(request, id, "starting_after", &account)) {
            return;
        }
        after_ts = account.timestamp;
    }
    json_t *data = json_array();
    bool has_more = data != NULL && accounts_page(request, after_ts, limit, data);
    api_reply_json(request, 200, api_list_json("/v1/accounts", data, has_more));
}

static bool digits_value(const char *text, size_t length, uint64_t *out)
{
    uint64_t value = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        value = value * 10 + (uint64_t)(text[i] - '0');
    }
    *out = value;
    return length > 0;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t year, unsigned month, unsigned day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/* "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" → ns since the epoch (1970..2262). */
static bool iso_time(const char *text, uint64_t *out_ns)
{
    uint64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, fraction = 0;
    size_t length = strlen(text);
    if (length < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text[length - 1] != 'Z' || !digits_value(text, 4, &y) ||
        !digits_value(text + 5, 2, &mo) || !digits_value(text + 8, 2, &d) ||
        !digits_value(text + 11, 2, &h) || !digits_value(text + 14, 2, &mi) ||
        !digits_value(text + 17, 2, &s)) {
        return false;
    }
    size_t fraction_digits = length - 20 > 0 ? length - 21 : 0;
    if (length > 20 && (text[19] != '.' || fraction_digits < 1 || fraction_digits > 9 ||
                        !digits_value(text + 20, fraction_digits, &fraction))) {
        return false;
    }
    for (size_t i = fraction_digits; i < 9; i++) {
        fraction *= 10;
    }
    if (y < 1970 || y > 2262 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        s > 59) {
        return false;
    }
    int64_t days = days_from_civil((int64_t)y, (unsigned)mo, (unsigned)d);
    uint64_t seconds = (uint64_t)days * 86400u + h * 3600u + mi * 60u + s;
    *out_ns = seconds * 1000000000u + fraction;
    return true;
}

/* `as_of`: absent = now; ns since the epoch or ISO 8601 UTC. False after replying 400. */
static bool query_time(struct api_request *request, const char *name, uint64_t *out_ns)
{
    const char *text = api_query(request, name);
    if (text == NULL) {
        *out_ns = UINT64_MAX;
        return true;
    }
    tpw_u128 value = 0;
    if (tpw_u128_from_dec(text, strlen(text), &value) == TPW_OK && value <= UINT64_MAX) {
        *out_ns = (uint64_t)value;
        return true;
    }
    if (iso_time(text, out_ns)) {
        return true;
    }
    api_reply_error_param(request, TPW_ERR_API_TIME_INVALID, name);
    return false;
}

void api_account_balances(struct api_request *request, const char *id_text)
{
    tpw_u128 id = 0;
    uint64_t as_of_ns = 0;
    struct ledger_account account;
    if (!api_parse_id(request, id_text, "id", &id) || !query_time(request, "as_of", &as_of_ns) ||
        !api_account_read(request, id, "id", &account)) {
        return;
    }
    struct api_server *server = request->server;
    struct ledger_balance balance;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    enum tpw_err err = ledger_balance_as_of(server->ledger, id, as_of_ns, &balance);
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    if (err != TPW_OK) {
        api_reply_error(request, err, NULL);
        return;
    }
    struct ledger_asset asset;
    bool known = api_assets_by_number(&server->assets, account.asset, &asset);
    json_t *object = api_balance_json(id, &balance, known ? &asset : NULL, API_JSON_DECIMALS);
    if (object != NULL && as_of_ns != UINT64_MAX) {
        (void)json_object_set_new(object, "as_of", json_integer((json_int_t)as_of_ns));
    }
    api_reply_json(request, 200, object);
}
