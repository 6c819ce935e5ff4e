/*
 * `tpwallet events`: the ledger's history as events (include/tpwallet/ledger.h,
 * "Events"), read from the journal by a cursor, one line each — the JSON the HTTP API's
 * /v1/events stream carries with --json, a short text line otherwise. It prints what
 * the journal holds now and exits; a writer may be running meanwhile.
 */
#include <stdio.h>
#include <string.h>

#include "ledger_cli.h"

#include "banned.h"

/* --limit's bound: the command prints, it does not follow; a server pages instead. */
#define EVENTS_LIMIT_MAX UINT64_C(1000000000)

const char cmd_events_usage[] =
    "usage: tpwallet events --data DIR [--after ID] [--limit N] [--json]\n"
    "Prints the ledger's events (assets defined, accounts created, transfers applied,\n"
    "pending transfers expired) after event ID (\"<sequence>-<index>\"; default: all),\n"
    "at most N of them, one line each; --json prints one JSON object per line.\n";

/* The cursor's asset, or "#<number>" when its replay has not seen it. */
static struct ledger_asset event_asset(const struct ledger_events *cursor, uint32_t number)
{
    struct ledger_asset asset;
    if (ledger_events_asset_get(cursor, number, &asset) != TPW_OK) {
        lcli_asset_unknown(number, &asset);
    }
    return asset;
}

/* The event's JSON (api_json.h's printer, the one /v1/events uses). */
static json_t *event_json(const struct ledger_events *cursor, const struct ledger_event *event)
{
    if (event->kind == LEDGER_EVENT_ASSET_DEFINED) {
        return api_event_json(event, NULL, 0);
    }
    uint32_t number =
        event->kind == LEDGER_EVENT_ACCOUNT_CREATED ? event->account.asset : event->transfer.asset;
    struct ledger_asset asset;
    bool known = ledger_events_asset_get(cursor, number, &asset) == TPW_OK;
    return api_event_json(event, known ? &asset : NULL, 0);
}

static void event_print(const struct ledger_events *cursor, const struct ledger_event *event)
{
    char id[LEDGER_EVENT_ID_TEXT_SIZE];
    char subject[TPW_ID_TEXT_SIZE];
    char debit[TPW_ID_TEXT_SIZE];
    char credit[TPW_ID_TEXT_SIZE];
    char amount[MONEY_DECIMAL_TEXT_SIZE];
    (void)ledger_event_id_format(event->id, id);
    const char *kind = ledger_event_kind_name(event->kind);
    if (event->kind == LEDGER_EVENT_ASSET_DEFINED) {
        (void)printf("%s  %s  %s (number %u, exponent %u)\n", id, kind, event->asset.code,
                     (unsigned)event->asset.number, (unsigned)event->asset.exponent);
        return;
    }
    if (event->kind == LEDGER_EVENT_ACCOUNT_CREATED) {
        struct ledger_asset asset = event_asset(cursor, event->account.asset);
        const char *account_kind = ledger_account_kind_name(event->account.kind);
        (void)tpw_id_format(event->account.id, LCLI_ACCOUNT_PREFIX, subject, sizeof subject);
        (void)printf("%s  %s  %s  %s %s\n", id, kind, subject, asset.code,
                     account_kind != NULL ? account_kind : "unknown");
        return;
    }
    const struct ledger_transfer *t = &event->transfer;
    struct ledger_asset asset = event_asset(cursor, t->asset);
    (void)tpw_id_format(t->id, LCLI_TRANSFER_PREFIX, subject, sizeof subject);
    (void)tpw_id_format(t->debit_account_id, LCLI_ACCOUNT_PREFIX, debit, sizeof debit);
    (void)tpw_id_format(t->credit_account_id, LCLI_ACCOUNT_PREFIX, credit, sizeof credit);
    (void)printf("%s  %s  %s  %s %s  %s -> %s\n", id, kind, subject,
                 lcli_amount_text(&asset, t->amount, amount), asset.code, debit, credit);
}

/* Prints up to `limit` events; 0 or the exit status of the error it reported. */
static int events_print(struct cli *cli, struct ledger_events *cursor, uint64_t limit)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    for (uint64_t printed = 0; printed < limit; printed++) {
        struct ledger_event event;
        bool found = false;
        enum tpw_err err = ledger_events_next(cursor, &event, &found, &detail);
        if (err != TPW_OK) {
            return cli_fail(cli, err, &detail);
        }
        if (!found) {
            return 0;
        }
        if (!cli->json) {
            event_print(cursor, &event);
            continue;
        }
        int status = cli_print_json_take(cli, event_json(cursor, &event));
        if (status != 0) {
            return status;
        }
    }
    return 0;
}

int cmd_events(struct cli *cli, int argc, char **argv)
{
    const char *data = NULL;
    const char *after_text = "0-0";
    const char *limit_text = NULL;
    const struct cli_option options[] = {
        {"data", &data, NULL}, {"after", &after_text, NULL}, {"limit", &limit_text, NULL}};
    const struct cli_spec spec = {options, 3, 0, 0, cmd_events_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    uint64_t limit = EVENTS_LIMIT_MAX;
    if (limit_text != NULL && (!lcli_u64(limit_text, EVENTS_LIMIT_MAX, &limit) || limit == 0)) {
        return cli_usage_error(cli, cmd_events_usage, "--limit is a number from 1 to 10^9");
    }
    const char *data_dir = lcli_data_dir(data);
    if (data_dir == NULL) {
        return cli_usage_error(cli, cmd_events_usage,
                               "no data directory: pass --data DIR or set TPWALLET_DATA");
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct ledger_event_id after = {0, 0};
    tpw_error_set_param(&detail, "after");
    enum tpw_err err = ledger_event_id_parse(after_text, strlen(after_text), &after, &detail);
    struct ledger_events *cursor = NULL;
    if (err == TPW_OK) {
        tpw_error_set_param(&detail, NULL);
        err = ledger_events_open(data_dir, &after, &cursor, &detail);
        if (err == TPW_ERR_LEDGER_EVENT_ID_FUTURE || err == TPW_ERR_LEDGER_EVENT_ID_UNKNOWN) {
            tpw_error_set_param(&detail, "after");
        }
    }
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    status = events_print(cli, cursor, limit);
    ledger_events_close(cursor);
    return status;
}
