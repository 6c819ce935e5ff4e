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

static const struct ledger_asset *asset_of(const struct ledger *ledger, uint32_t number,
                                           struct ledger_asset *asset)
{
    return ledger_asset_get(ledger, number, asset) == TPW_OK ? asset : NULL;
}

json_t *lcli_account_json(const struct ledger *ledger, const struct ledger_account *a)
{
    struct ledger_asset asset;
    return api_account_json(a, asset_of(ledger, a->asset, &asset), 0);
}

json_t *lcli_transfer_json(const struct ledger *ledger, const struct ledger_transfer *t,
                           enum ledger_pending_state state)
{
    struct ledger_asset asset;
    return api_transfer_json(t, asset_of(ledger, t->asset, &asset), state, 0);
}

void lcli_asset_unknown(uint32_t number, struct ledger_asset *out)
{
    memset(out, 0, sizeof *out);
    (void)snprintf(out->code, sizeof out->code, "#%u", number % 10000000u);
}

/* The asset for the text form: an unknown number prints as "#<number>". */
static void asset_code(const struct ledger *ledger, uint32_t number, struct ledger_asset *asset)
{
    if (asset_of(ledger, number, asset) == NULL) {
        lcli_asset_unknown(number, asset);
    }
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
    asset_code(ledger, a->asset, &asset);
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
    asset_code(ledger, t->asset, &asset);
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
