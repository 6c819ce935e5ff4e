/*
 * Shared plumbing of the ledger commands: the data directory, ids, assets, amounts,
 * and records shown as JSON (shared field names) or as text for a terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_cli.h"
#include "tpw_assert.h"

#include "banned.h"

const char *lcli_data_dir(const char *option)
{
    if (option != NULL) {
        return option;
    }
    const char *env = getenv("TPWALLET_DATA");
    return env != NULL && env[0] != '\0' ? env : NULL;
}

int lcli_open(struct cli *cli, const char *data_dir, bool read_only, struct ledger **out)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (data_dir == NULL) {
        tpw_error_set_param(&detail, "data");
        (void)tpw_error_set(&detail, TPW_ERR_USAGE, 0,
                            "no data directory: pass --data DIR or set TPWALLET_DATA");
        return cli_fail(cli, TPW_ERR_USAGE, &detail);
    }
    struct ledger_options options = {
        .data_dir = data_dir,
        .clock = tpw_clock_system(),
        .read_only = read_only,
    };
    /* A tuning knob, and how the crash test makes kills land inside checkpoints. */
    const char *interval = getenv("TPWALLET_CHECKPOINT_INTERVAL");
    if (interval != NULL && !lcli_u64(interval, UINT32_MAX, &options.checkpoint_interval)) {
        tpw_error_set_param(&detail, "TPWALLET_CHECKPOINT_INTERVAL");
        (void)tpw_error_set(&detail, TPW_ERR_USAGE, 0, "not a number: \"%s\"", interval);
        return cli_fail(cli, TPW_ERR_USAGE, &detail);
    }
    enum tpw_err err = ledger_open(&options, out, &detail);
    return err == TPW_OK ? 0 : cli_fail(cli, err, &detail);
}

int lcli_open_for_id(struct cli *cli, const char *data_dir, const char *id_text, tpw_u128 *id,
                     struct ledger **out)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = lcli_id(id_text, "id", id, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    return lcli_open(cli, data_dir, true, out);
}

enum tpw_err lcli_id(const char *text, const char *param, tpw_u128 *out,
                     struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, param);
    return tpw_id_parse(text, strlen(text), NULL, out, detail);
}

enum tpw_err lcli_asset(struct cli *cli, struct ledger *ledger, const char *code, bool define,
                        struct ledger_asset *out, struct tpw_error_detail *detail)
{
    if (ledger_asset_find(ledger, code, out) == TPW_OK) {
        return TPW_OK;
    }
    const struct money_asset *asset = NULL;
    enum tpw_err err = cli_asset(cli, code, "asset", &asset, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (!define) {
        tpw_error_set_param(detail, "asset");
        return tpw_error_set(detail, TPW_ERR_LEDGER_ASSET_NOT_FOUND, 0,
                             "the ledger has no account in \"%s\"", code);
    }
    uint32_t number = 0;
    err = ledger_asset_define(ledger, asset->code, asset->exponent, &number, detail);
    return err == TPW_OK ? ledger_asset_get(ledger, number, out) : err;
}

enum tpw_err lcli_amount(const struct ledger_asset *asset, const char *text, const char *param,
                         tpw_u128 *out, struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, param);
    return money_decimal_parse(text, strlen(text), asset->exponent, out, detail);
}

const char *lcli_amount_text(const struct ledger_asset *asset, tpw_u128 amount,
                             char buf[MONEY_DECIMAL_TEXT_SIZE])
{
    size_t length = money_decimal_format(amount, asset->exponent, buf, MONEY_DECIMAL_TEXT_SIZE);
    TPW_ASSERT(length > 0);
    return buf;
}

static json_t *id_json(tpw_u128 id, const char *prefix)
{
    char text[TPW_ID_TEXT_SIZE];
    size_t length = tpw_id_format(id, prefix, text, sizeof text);
    TPW_ASSERT(length > 0);
    return json_string(text);
}

static json_t *u128_json(tpw_u128 value)
{
    char text[TPW_U128_DEC_SIZE];
    return json_string(cli_u128_text(value, text));
}

static json_t *flags_json(uint16_t flags, bool transfer)
{
    json_t *array = json_array();
    for (unsigned bit = 0; array != NULL && bit < 16; bit++) {
        unsigned flag = 1u << bit;
        if ((flags & flag) != 0) {
            const char *name =
                transfer ? ledger_transfer_flag_name(flag) : ledger_account_flag_name(flag);
            (void)json_array_append_new(array, json_string(name != NULL ? name : "reserved"));
        }
    }
    return array;
}

static const char *asset_code(const struct ledger *ledger, uint32_t number,
                              struct ledger_asset *asset)
{
    if (ledger_asset_get(ledger, number, asset) != TPW_OK) {
        lcli_asset_unknown(number, asset);
    }
    return asset->code;
}

void lcli_asset_unknown(uint32_t number, struct ledger_asset *out)
{
    memset(out, 0, sizeof *out);
    (void)snprintf(out->code, sizeof out->code, "#%u", number % 10000000u);
}

json_t *lcli_account_json(const struct ledger *ledger, const struct ledger_account *a)
{
    struct ledger_asset asset;
    return lcli_account_json_asset(asset_code(ledger, a->asset, &asset), a);
}

json_t *lcli_account_json_asset(const char *code, const struct ledger_account *a)
{
    json_t *object = json_object();
    if (object == NULL) {
        return NULL;
    }
    (void)json_object_set_new(object, "id", id_json(a->id, LCLI_ACCOUNT_PREFIX));
    (void)json_object_set_new(object, "asset", json_string(code));
    const char *kind = ledger_account_kind_name(a->kind);
    (void)json_object_set_new(object, "kind", json_string(kind != NULL ? kind : "unknown"));
    (void)json_object_set_new(object, "owner",
                              a->owner == 0 ? json_null() : id_json(a->owner, LCLI_OWNER_PREFIX));
    (void)json_object_set_new(object, "flags", flags_json(a->flags, false));
    (void)json_object_set_new(object, "overdraft_limit", u128_json(a->overdraft_limit));
    (void)json_object_set_new(object, "debits_pending", u128_json(a->debits_pending));
    (void)json_object_set_new(object, "debits_posted", u128_json(a->debits_posted));
    (void)json_object_set_new(object, "credits_pending", u128_json(a->credits_pending));
    (void)json_object_set_new(object, "credits_posted", u128_json(a->credits_posted));
    (void)json_object_set_new(object, "timestamp", json_integer((json_int_t)a->timestamp));
    return object;
}

json_t *lcli_transfer_json(const struct ledger *ledger, const struct ledger_transfer *t,
                           enum ledger_pending_state state)
{
    struct ledger_asset asset;
    return lcli_transfer_json_asset(asset_code(ledger, t->asset, &asset), t, state);
}

json_t *lcli_transfer_json_asset(const char *code, const struct ledger_transfer *t,
                                 enum ledger_pending_state state)
{
    json_t *object = json_object();
    if (object == NULL) {
        return NULL;
    }
    (void)json_object_set_new(object, "id", id_json(t->id, LCLI_TRANSFER_PREFIX));
    (void)json_object_set_new(object, "debit_account_id",
                              id_json(t->debit_account_id, LCLI_ACCOUNT_PREFIX));
    (void)json_object_set_new(object, "credit_account_id",
                              id_json(t->credit_account_id, LCLI_ACCOUNT_PREFIX));
    (void)json_object_set_new(object, "amount", u128_json(t->amount));
    (void)json_object_set_new(object, "asset", json_string(code));
    (void)json_object_set_new(object, "code", json_integer(t->code));
    (void)json_object_set_new(object, "flags", flags_json(t->flags, true));
    if (t->pending_id != 0) {
        (void)json_object_set_new(object, "pending_id",
                                  id_json(t->pending_id, LCLI_TRANSFER_PREFIX));
    }
    (void)json_object_set_new(object, "timeout_s", json_integer(t->timeout_s));
    (void)json_object_set_new(object, "user_data", u128_json(t->user_data));
    (void)json_object_set_new(object, "timestamp", json_integer((json_int_t)t->timestamp));
    if (state != LEDGER_PENDING_NONE) {
        (void)json_object_set_new(object, "state", json_string(ledger_pending_state_name(state)));
    }
    return object;
}

static void time_text(uint64_t timestamp_ns, char buf[TPW_CLOCK_UTC_TEXT_SIZE])
{
    (void)tpw_clock_format_utc_ms(timestamp_ns / 1000000u, buf);
}

void lcli_account_print(const struct ledger *ledger, const struct ledger_account *a)
{
    struct ledger_asset asset;
    char id[TPW_ID_TEXT_SIZE];
    char when[TPW_CLOCK_UTC_TEXT_SIZE];
    char amounts[4][MONEY_DECIMAL_TEXT_SIZE];
    (void)tpw_id_format(a->id, LCLI_ACCOUNT_PREFIX, id, sizeof id);
    (void)asset_code(ledger, a->asset, &asset);
    time_text(a->timestamp, when);
    const char *kind = ledger_account_kind_name(a->kind);
    (void)printf("%s  %s %s  created %s\n", id, asset.code, kind != NULL ? kind : "?", when);
    (void)printf("  credits posted %s  pending %s\n",
                 lcli_amount_text(&asset, a->credits_posted, amounts[0]),
                 lcli_amount_text(&asset, a->credits_pending, amounts[1]));
    (void)printf("  debits  posted %s  pending %s\n",
                 lcli_amount_text(&asset, a->debits_posted, amounts[2]),
                 lcli_amount_text(&asset, a->debits_pending, amounts[3]));
}

void lcli_transfer_print(const struct ledger *ledger, const struct ledger_transfer *t,
                         enum ledger_pending_state state)
{
    struct ledger_asset asset;
    char id[TPW_ID_TEXT_SIZE];
    char debit[TPW_ID_TEXT_SIZE];
    char credit[TPW_ID_TEXT_SIZE];
    char when[TPW_CLOCK_UTC_TEXT_SIZE];
    char amount[MONEY_DECIMAL_TEXT_SIZE];
    (void)tpw_id_format(t->id, LCLI_TRANSFER_PREFIX, id, sizeof id);
    (void)tpw_id_format(t->debit_account_id, LCLI_ACCOUNT_PREFIX, debit, sizeof debit);
    (void)tpw_id_format(t->credit_account_id, LCLI_ACCOUNT_PREFIX, credit, sizeof credit);
    (void)asset_code(ledger, t->asset, &asset);
    if (t->timestamp != 0) {
        time_text(t->timestamp, when);
    } else {
        (void)snprintf(when, sizeof when, "-"); /* refused: the ledger never stored it */
    }
    (void)printf("%s  %s  %s %s  %s -> %s%s%s\n", id, when,
                 lcli_amount_text(&asset, t->amount, amount), asset.code, debit, credit,
                 state != LEDGER_PENDING_NONE ? "  " : "",
                 state != LEDGER_PENDING_NONE ? ledger_pending_state_name(state) : "");
}

bool lcli_u64(const char *text, uint64_t max, uint64_t *out)
{
    tpw_u128 value = 0;
    if (tpw_u128_from_dec(text, strlen(text), &value) != TPW_OK || value > max) {
        return false;
    }
    *out = (uint64_t)value;
    return true;
}

/* A command the ledger refused: the result name is the error code. */
int lcli_rejected(struct cli *cli, const char *result, const char *param)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_error_set_param(&detail, param);
    (void)tpw_error_set(&detail, TPW_ERR_INVALID_ARGUMENT, 0, "rejected: %s", result);
    (void)fprintf(stderr, "tpwallet %s: rejected: %s\n", cli->command, result);
    if (cli->json) {
        (void)cli_print_json_take(cli, json_pack("{s:{s:s,s:s,s:s,s:s}}", "error", "type",
                                                 "invalid_request_error", "code", result, "message",
                                                 detail.message, "param", param));
    }
    return 65; /* EX_DATAERR */
}
