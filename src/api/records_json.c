/*
 * Ledger records ↔ JSON with the shared field names (include/tpwallet/api_json.h):
 * the one parser behind the HTTP API, the CLI and import files (the printer is
 * records_print.c).
 */
#include <string.h>

#include "api_int.h"
#include "tpwallet/api_json.h"
#include "transfer_input.h"
#include "tpwallet/id.h"
#include "tpwallet/money.h"
#include "tpw_assert.h"

#include "banned.h"

static enum tpw_err field_error(struct tpw_error_detail *detail, const char *field,
                                const char *message)
{
    tpw_error_set_param(detail, field);
    return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "\"%s\": %s", field, message);
}

/* Every key of `object` must be one of `known`. */
enum tpw_err api_check_fields(json_t *object, const char *const *known, size_t count,
                              struct tpw_error_detail *detail)
{
    if (!json_is_object(object)) {
        tpw_error_set_param(detail, NULL);
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "expected a JSON object");
    }
    const char *key = NULL;
    json_t *value = NULL;
    json_object_foreach(object, key, value)
    {
        bool found = false;
        for (size_t i = 0; i < count && !found; i++) {
            found = strcmp(key, known[i]) == 0;
        }
        if (!found) {
            return field_error(detail, key, "unknown field");
        }
    }
    return TPW_OK;
}

/* ---- field values → meaning (shared by every JSON reader) -------------------------- */

/* A jansson value as a reader-neutral field value. */
static struct api_value value_of(json_t *value)
{
    if (value == NULL || json_is_null(value)) {
        return (struct api_value){.kind = API_VALUE_ABSENT};
    }
    if (json_is_string(value)) {
        return (struct api_value){.kind = API_VALUE_STRING,
                                  .text = json_string_value(value),
                                  .length = json_string_length(value)};
    }
    if (json_is_integer(value)) {
        return (struct api_value){.kind = API_VALUE_INTEGER, .integer = json_integer_value(value)};
    }
    return (struct api_value){.kind = json_is_array(value) ? API_VALUE_ARRAY : API_VALUE_OTHER};
}

static enum tpw_err string_value(const struct api_value *value, const char *field, bool required,
                                 struct tpw_error_detail *detail)
{
    if (value->kind == API_VALUE_ABSENT) {
        return required ? field_error(detail, field, "is required") : TPW_OK;
    }
    return value->kind == API_VALUE_STRING ? TPW_OK
                                           : field_error(detail, field, "must be a string");
}

static enum tpw_err id_value(const struct api_value *value, const char *field, bool required,
                             tpw_u128 *out, struct tpw_error_detail *detail)
{
    *out = 0;
    enum tpw_err err = string_value(value, field, required, detail);
    if (err != TPW_OK || value->kind == API_VALUE_ABSENT) {
        return err;
    }
    tpw_error_set_param(detail, field);
    return tpw_id_parse(value->text, value->length, NULL, out, detail);
}

static enum tpw_err minor_value(const struct api_value *value, const char *field, tpw_u128 *out,
                                struct tpw_error_detail *detail)
{
    *out = 0;
    enum tpw_err err = string_value(value, field, false, detail);
    if (err != TPW_OK || value->kind == API_VALUE_ABSENT) {
        return err;
    }
    tpw_error_set_param(detail, field);
    return money_decimal_parse(value->text, value->length, 0, out, detail);
}

static enum tpw_err integer_value(const struct api_value *value, const char *field, long long max,
                                  long long *out, struct tpw_error_detail *detail)
{
    *out = 0;
    if (value->kind == API_VALUE_ABSENT) {
        return TPW_OK;
    }
    if (value->kind != API_VALUE_INTEGER || value->integer < 0 || value->integer > max) {
        return field_error(detail, field, "must be a non-negative integer in range");
    }
    *out = value->integer;
    return TPW_OK;
}

typedef enum tpw_err (*flag_parse_fn)(const char *name, uint16_t *flag);

/* Flag names are short: a longer text is no flag (and needs no NUL-terminated copy). */
#define FLAG_NAME_MAX 47

static enum tpw_err flag_value(const struct api_value *item, size_t index, flag_parse_fn parse,
                               uint16_t *flag, struct tpw_error_detail *detail)
{
    char name[FLAG_NAME_MAX + 1];
    bool text = item->kind == API_VALUE_STRING;
    if (text && item->length <= FLAG_NAME_MAX) {
        memcpy(name, item->text, item->length);
        name[item->length] = '\0';
        if (strlen(name) == item->length && parse(name, flag) == TPW_OK) {
            return TPW_OK;
        }
    }
    tpw_error_set_param(detail, "flags");
    return tpw_error_set(detail, TPW_ERR_LEDGER_FLAG_UNKNOWN, index, "unknown flag %.*s",
                         text ? (int)item->length : 14, text ? item->text : "(not a string)");
}

static enum tpw_err flags_value(const struct api_value *value, const struct api_value *items,
                                size_t count, flag_parse_fn parse, uint16_t *out,
                                struct tpw_error_detail *detail)
{
    *out = 0;
    if (value->kind == API_VALUE_ABSENT) {
        return TPW_OK;
    }
    if (value->kind != API_VALUE_ARRAY) {
        return field_error(detail, "flags", "must be an array of flag names");
    }
    if (count > API_FLAG_ITEMS_MAX) {
        return field_error(detail, "flags", "at most 32 flag names");
    }
    for (size_t i = 0; i < count; i++) {
        uint16_t flag = 0;
        enum tpw_err err = flag_value(&items[i], i, parse, &flag, detail);
        if (err != TPW_OK) {
            return err;
        }
        *out |= flag;
    }
    return TPW_OK;
}

static enum tpw_err asset_value(const struct api_value *value, bool required,
                                char asset_code[API_ASSET_CODE_SIZE],
                                struct tpw_error_detail *detail)
{
    asset_code[0] = '\0';
    enum tpw_err err = string_value(value, "asset", required, detail);
    if (err != TPW_OK || value->kind == API_VALUE_ABSENT) {
        return err;
    }
    if (value->length < 2 || value->length >= API_ASSET_CODE_SIZE ||
        memchr(value->text, '\0', value->length) != NULL) {
        tpw_error_set_param(detail, "asset");
        return tpw_error_set(detail, TPW_ERR_ASSET_CODE_INVALID, 0,
                             "\"asset\": a code has 2 to 8 characters");
    }
    memcpy(asset_code, value->text, value->length);
    asset_code[value->length] = '\0';
    return TPW_OK;
}

/* The flags array's items of a jansson object (at most API_FLAG_ITEMS_MAX + 1 read:
 * one more says there are too many). */
static size_t flag_items_of(json_t *object, struct api_value items[API_FLAG_ITEMS_MAX])
{
    json_t *flags = json_object_get(object, "flags");
    size_t count = json_is_array(flags) ? json_array_size(flags) : 0;
    for (size_t i = 0; i < count && i < API_FLAG_ITEMS_MAX; i++) {
        items[i] = value_of(json_array_get(flags, i));
    }
    return count;
}

enum tpw_err api_account_parse(json_t *object, struct ledger_account *out,
                               char asset_code[API_ASSET_CODE_SIZE],
                               struct tpw_error_detail *detail)
{
    static const char *const known[] = {"id", "asset", "kind", "owner", "flags", "overdraft_limit"};
    memset(out, 0, sizeof *out);
    asset_code[0] = '\0';
    enum tpw_err err = api_check_fields(object, known, sizeof known / sizeof known[0], detail);
    if (err != TPW_OK) {
        return err;
    }
    struct api_value items[API_FLAG_ITEMS_MAX];
    size_t count = flag_items_of(object, items);
    struct api_value id = value_of(json_object_get(object, "id"));
    struct api_value owner = value_of(json_object_get(object, "owner"));
    struct api_value flags = value_of(json_object_get(object, "flags"));
    struct api_value limit = value_of(json_object_get(object, "overdraft_limit"));
    struct api_value kind = value_of(json_object_get(object, "kind"));
    struct api_value asset = value_of(json_object_get(object, "asset"));
    err = id_value(&id, "id", true, &out->id, detail);
    if (err == TPW_OK) {
        err = id_value(&owner, "owner", false, &out->owner, detail);
    }
    if (err == TPW_OK) {
        err = flags_value(&flags, items, count, ledger_account_flag_parse, &out->flags, detail);
    }
    if (err == TPW_OK) {
        err = minor_value(&limit, "overdraft_limit", &out->overdraft_limit, detail);
    }
    if (err == TPW_OK) {
        err = string_value(&kind, "kind", false, detail);
    }
    out->kind = LEDGER_KIND_USER;
    if (err == TPW_OK && kind.kind == API_VALUE_STRING) {
        tpw_error_set_param(detail, "kind");
        err = ledger_account_kind_parse(kind.text, &out->kind);
    }
    return err != TPW_OK ? err : asset_value(&asset, true, asset_code, detail);
}

static enum tpw_err transfer_numbers(const struct api_transfer_input *in,
                                     struct ledger_transfer *out, struct tpw_error_detail *detail)
{
    long long code = 0;
    long long timeout_s = 0;
    enum tpw_err err = integer_value(&in->code, "code", UINT16_MAX, &code, detail);
    if (err == TPW_OK) {
        err = integer_value(&in->timeout_s, "timeout_s", UINT32_MAX, &timeout_s, detail);
    }
    out->code = (uint16_t)code;
    out->timeout_s = (uint32_t)timeout_s;
    if (err == TPW_OK) {
        err = minor_value(&in->amount, "amount", &out->amount, detail);
    }
    if (err == TPW_OK) {
        err = id_value(&in->user_data, "user_data", false, &out->user_data, detail);
    }
    return err;
}

enum tpw_err api_transfer_from_input(const struct api_transfer_input *in,
                                     struct ledger_transfer *out,
                                     char asset_code[API_ASSET_CODE_SIZE],
                                     struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof *out);
    asset_code[0] = '\0';
    enum tpw_err err = id_value(&in->id, "id", true, &out->id, detail);
    if (err == TPW_OK) {
        err = flags_value(&in->flags, in->flag_items, in->flag_count, ledger_transfer_flag_parse,
                          &out->flags, detail);
    }
    bool resolve =
        (out->flags & (LEDGER_TRANSFER_POST_PENDING | LEDGER_TRANSFER_VOID_PENDING)) != 0;
    if (err == TPW_OK) {
        err = id_value(&in->debit_account_id, "debit_account_id", !resolve, &out->debit_account_id,
                       detail);
    }
    if (err == TPW_OK) {
        err = id_value(&in->credit_account_id, "credit_account_id", !resolve,
                       &out->credit_account_id, detail);
    }
    if (err == TPW_OK) {
        err = id_value(&in->pending_id, "pending_id", resolve, &out->pending_id, detail);
    }
    if (err == TPW_OK) {
        err = transfer_numbers(in, out, detail);
    }
    return err != TPW_OK ? err : asset_value(&in->asset, !resolve, asset_code, detail);
}

enum tpw_err api_transfer_parse(json_t *object, struct ledger_transfer *out,
                                char asset_code[API_ASSET_CODE_SIZE],
                                struct tpw_error_detail *detail)
{
    static const char *const known[] = {
        "id",    "debit_account_id", "credit_account_id", "amount",   "asset", "code",
        "flags", "pending_id",       "timeout_s",         "user_data"};
    memset(out, 0, sizeof *out);
    asset_code[0] = '\0';
    enum tpw_err err = api_check_fields(object, known, sizeof known / sizeof known[0], detail);
    if (err != TPW_OK) {
        return err;
    }
    struct api_transfer_input in = {
        .id = value_of(json_object_get(object, "id")),
        .debit_account_id = value_of(json_object_get(object, "debit_account_id")),
        .credit_account_id = value_of(json_object_get(object, "credit_account_id")),
        .amount = value_of(json_object_get(object, "amount")),
        .asset = value_of(json_object_get(object, "asset")),
        .code = value_of(json_object_get(object, "code")),
        .flags = value_of(json_object_get(object, "flags")),
        .pending_id = value_of(json_object_get(object, "pending_id")),
        .timeout_s = value_of(json_object_get(object, "timeout_s")),
        .user_data = value_of(json_object_get(object, "user_data")),
    };
    in.flag_count = flag_items_of(object, in.flag_items);
    return api_transfer_from_input(&in, out, asset_code, detail);
}

json_t *api_id_json(tpw_u128 id, const char *prefix)
{
    char text[TPW_ID_TEXT_SIZE];
    size_t length = tpw_id_format(id, prefix, text, sizeof text);
    TPW_ASSERT(length > 0);
    return json_string(text);
}

json_t *api_u128_json(tpw_u128 value)
{
    char text[TPW_U128_DEC_SIZE];
    size_t length = tpw_u128_to_dec(value, text, sizeof text);
    TPW_ASSERT(length > 0);
    return json_string(text);
}
