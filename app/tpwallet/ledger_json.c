/*
 * JSON import lines → ledger records, with the shared field names of docs/ledger.md.
 *
 * Strict on purpose: an unknown field, a number where a string belongs, or an amount
 * with a sign is an error naming the field, because an import that guesses moves
 * money nobody asked to move. Amounts are strings of integer minor units (128-bit
 * safe); ids are text (`acct_…`) or decimal integer strings.
 */
#include <string.h>

#include "ledger_cli.h"

#include "banned.h"

static enum tpw_err field_error(struct tpw_error_detail *detail, const char *field,
                                const char *message)
{
    tpw_error_set_param(detail, field);
    return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "\"%s\": %s", field, message);
}

/* Every key of `object` must be one of `known`. */
static enum tpw_err check_fields(json_t *object, const char *const *known, size_t count,
                                 struct tpw_error_detail *detail)
{
    if (!json_is_object(object)) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "a line must be a JSON object");
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

static enum tpw_err string_field(json_t *object, const char *field, bool required, const char **out,
                                 struct tpw_error_detail *detail)
{
    json_t *value = json_object_get(object, field);
    *out = NULL;
    if (value == NULL || json_is_null(value)) {
        return required ? field_error(detail, field, "is required") : TPW_OK;
    }
    if (!json_is_string(value)) {
        return field_error(detail, field, "must be a string");
    }
    *out = json_string_value(value);
    return TPW_OK;
}

static enum tpw_err id_field(json_t *object, const char *field, bool required, tpw_u128 *out,
                             struct tpw_error_detail *detail)
{
    const char *text = NULL;
    enum tpw_err err = string_field(object, field, required, &text, detail);
    *out = 0;
    return err != TPW_OK || text == NULL ? err : lcli_id(text, field, out, detail);
}

static enum tpw_err minor_field(json_t *object, const char *field, tpw_u128 *out,
                                struct tpw_error_detail *detail)
{
    const char *text = NULL;
    enum tpw_err err = string_field(object, field, false, &text, detail);
    *out = 0;
    if (err != TPW_OK || text == NULL) {
        return err;
    }
    tpw_error_set_param(detail, field);
    return money_decimal_parse(text, strlen(text), 0, out, detail);
}

static enum tpw_err integer_field(json_t *object, const char *field, json_int_t max,
                                  json_int_t *out, struct tpw_error_detail *detail)
{
    json_t *value = json_object_get(object, field);
    *out = 0;
    if (value == NULL || json_is_null(value)) {
        return TPW_OK;
    }
    if (!json_is_integer(value) || json_integer_value(value) < 0 ||
        json_integer_value(value) > max) {
        return field_error(detail, field, "must be a non-negative integer in range");
    }
    *out = json_integer_value(value);
    return TPW_OK;
}

typedef enum tpw_err (*flag_parse_fn)(const char *name, uint16_t *flag);

static enum tpw_err flags_field(json_t *object, flag_parse_fn parse, uint16_t *out,
                                struct tpw_error_detail *detail)
{
    json_t *value = json_object_get(object, "flags");
    *out = 0;
    if (value == NULL || json_is_null(value)) {
        return TPW_OK;
    }
    if (!json_is_array(value)) {
        return field_error(detail, "flags", "must be an array of flag names");
    }
    size_t index = 0;
    json_t *item = NULL;
    json_array_foreach(value, index, item)
    {
        uint16_t flag = 0;
        if (!json_is_string(item) || parse(json_string_value(item), &flag) != TPW_OK) {
            tpw_error_set_param(detail, "flags");
            return tpw_error_set(detail, TPW_ERR_LEDGER_FLAG_UNKNOWN, index, "unknown flag %s",
                                 json_is_string(item) ? json_string_value(item) : "(not a string)");
        }
        *out |= flag;
    }
    return TPW_OK;
}

static enum tpw_err asset_field(struct cli *cli, struct ledger *ledger, json_t *object,
                                bool required, uint32_t *number, struct tpw_error_detail *detail)
{
    const char *code = NULL;
    enum tpw_err err = string_field(object, "asset", required, &code, detail);
    *number = 0;
    if (err != TPW_OK || code == NULL) {
        return err;
    }
    struct ledger_asset asset = {0};
    err = lcli_asset(cli, ledger, code, true, &asset, detail);
    *number = asset.number;
    return err;
}

enum tpw_err lcli_account_from_json(struct cli *cli, struct ledger *ledger, json_t *object,
                                    struct ledger_account *out, struct tpw_error_detail *detail)
{
    static const char *const known[] = {"id", "asset", "kind", "owner", "flags", "overdraft_limit"};
    memset(out, 0, sizeof *out);
    const char *kind = NULL;
    enum tpw_err err = check_fields(object, known, sizeof known / sizeof known[0], detail);
    if (err == TPW_OK) {
        err = id_field(object, "id", true, &out->id, detail);
    }
    if (err == TPW_OK) {
        err = id_field(object, "owner", false, &out->owner, detail);
    }
    if (err == TPW_OK) {
        err = flags_field(object, ledger_account_flag_parse, &out->flags, detail);
    }
    if (err == TPW_OK) {
        err = minor_field(object, "overdraft_limit", &out->overdraft_limit, detail);
    }
    if (err == TPW_OK) {
        err = string_field(object, "kind", false, &kind, detail);
    }
    out->kind = LEDGER_KIND_USER;
    if (err == TPW_OK && kind != NULL) {
        tpw_error_set_param(detail, "kind");
        err = ledger_account_kind_parse(kind, &out->kind);
    }
    return err != TPW_OK ? err : asset_field(cli, ledger, object, true, &out->asset, detail);
}

static enum tpw_err transfer_numbers(json_t *object, struct ledger_transfer *out,
                                     struct tpw_error_detail *detail)
{
    json_int_t code = 0;
    json_int_t timeout_s = 0;
    enum tpw_err err = integer_field(object, "code", UINT16_MAX, &code, detail);
    if (err == TPW_OK) {
        err = integer_field(object, "timeout_s", UINT32_MAX, &timeout_s, detail);
    }
    out->code = (uint16_t)code;
    out->timeout_s = (uint32_t)timeout_s;
    if (err == TPW_OK) {
        err = minor_field(object, "amount", &out->amount, detail);
    }
    if (err == TPW_OK) {
        err = id_field(object, "user_data", false, &out->user_data, detail);
    }
    return err;
}

enum tpw_err lcli_transfer_from_json(struct cli *cli, struct ledger *ledger, json_t *object,
                                     struct ledger_transfer *out, struct tpw_error_detail *detail)
{
    static const char *const known[] = {
        "id",    "debit_account_id", "credit_account_id", "amount",   "asset", "code",
        "flags", "pending_id",       "timeout_s",         "user_data"};
    memset(out, 0, sizeof *out);
    enum tpw_err err = check_fields(object, known, sizeof known / sizeof known[0], detail);
    if (err == TPW_OK) {
        err = id_field(object, "id", true, &out->id, detail);
    }
    if (err == TPW_OK) {
        err = flags_field(object, ledger_transfer_flag_parse, &out->flags, detail);
    }
    bool resolve =
        (out->flags & (LEDGER_TRANSFER_POST_PENDING | LEDGER_TRANSFER_VOID_PENDING)) != 0;
    if (err == TPW_OK) {
        err = id_field(object, "debit_account_id", !resolve, &out->debit_account_id, detail);
    }
    if (err == TPW_OK) {
        err = id_field(object, "credit_account_id", !resolve, &out->credit_account_id, detail);
    }
    if (err == TPW_OK) {
        err = id_field(object, "pending_id", resolve, &out->pending_id, detail);
    }
    if (err == TPW_OK) {
        err = transfer_numbers(object, out, detail);
    }
    return err != TPW_OK ? err : asset_field(cli, ledger, object, !resolve, &out->asset, detail);
}
