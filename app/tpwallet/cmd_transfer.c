/*
 * `tpwallet transfer create|show|import` and `tpwallet history`. One `transfer
 * create` is one batch: several transfers separated by `--and` are submitted together,
 * and with --linked they form one atomic group (an FX conversion on the command line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_import.h"

#include "banned.h"

#define CREATE_TRANSFERS_MAX 64
#define HISTORY_LIMIT_MAX 10000u

const char cmd_transfer_usage[] =
    "usage: tpwallet transfer create --data DIR --id ID --debit ID --credit ID\n"
    "              --amount DECIMAL --asset CODE [--code N] [--user-data N]\n"
    "              [--pending [--timeout SECONDS]] [--linked] [--balancing-debit]\n"
    "              [--balancing-credit] [--closing-debit] [--closing-credit]\n"
    "              [--and <the next transfer's options>]...\n"
    "       tpwallet transfer create --data DIR --id ID --post PENDING_ID [--amount DECIMAL]\n"
    "       tpwallet transfer create --data DIR --id ID --void PENDING_ID\n"
    "       tpwallet transfer show ID --data DIR\n"
    "       tpwallet transfer import FILE.jsonl --data DIR [--results FILE] [--batch-size N]\n";
const char cmd_history_usage[] =
    "usage: tpwallet history --data DIR --account ID [--after TIMESTAMP_NS]\n"
    "              [--before TIMESTAMP_NS] [--limit N] [--desc]\n";

static int transfer_usage_error(struct cli *cli, const char *message)
{
    return cli_usage_error(cli, cmd_transfer_usage, message);
}

struct transfer_options {
    const char *data, *id, *debit, *credit, *amount, *asset, *code, *user_data, *timeout;
    const char *post, *void_id;
    bool pending, linked, balancing_debit, balancing_credit, closing_debit, closing_credit;
};

static uint16_t option_flags(const struct transfer_options *o)
{
    uint16_t flags = 0;
    flags |= o->pending ? LEDGER_TRANSFER_PENDING : 0;
    flags |= o->linked ? LEDGER_TRANSFER_LINKED : 0;
    flags |= o->balancing_debit ? LEDGER_TRANSFER_BALANCING_DEBIT : 0;
    flags |= o->balancing_credit ? LEDGER_TRANSFER_BALANCING_CREDIT : 0;
    flags |= o->closing_debit ? LEDGER_TRANSFER_CLOSING_DEBIT : 0;
    flags |= o->closing_credit ? LEDGER_TRANSFER_CLOSING_CREDIT : 0;
    flags |= o->post != NULL ? LEDGER_TRANSFER_POST_PENDING : 0;
    flags |= o->void_id != NULL ? LEDGER_TRANSFER_VOID_PENDING : 0;
    return flags;
}

static bool parse_transfer_options(struct cli *cli, int argc, char **argv,
                                   struct transfer_options *o, int *status)
{
    memset(o, 0, sizeof *o);
    const struct cli_option options[] = {{"data", &o->data, NULL},
                                         {"id", &o->id, NULL},
                                         {"debit", &o->debit, NULL},
                                         {"credit", &o->credit, NULL},
                                         {"amount", &o->amount, NULL},
                                         {"asset", &o->asset, NULL},
                                         {"code", &o->code, NULL},
                                         {"user-data", &o->user_data, NULL},
                                         {"timeout", &o->timeout, NULL},
                                         {"post", &o->post, NULL},
                                         {"void", &o->void_id, NULL},
                                         {"pending", NULL, &o->pending},
                                         {"linked", NULL, &o->linked},
                                         {"balancing-debit", NULL, &o->balancing_debit},
                                         {"balancing-credit", NULL, &o->balancing_credit},
                                         {"closing-debit", NULL, &o->closing_debit},
                                         {"closing-credit", NULL, &o->closing_credit}};
    const struct cli_spec spec = {options, sizeof options / sizeof options[0], 0, 0,
                                  cmd_transfer_usage};
    struct cli_args args;
    if (!cli_command_args(cli, argc, argv, &spec, &args, status)) {
        return false;
    }
    if (o->id == NULL) {
        *status = transfer_usage_error(cli, "--id is required");
        return false;
    }
    return true;
}

/* The asset for the amount: --asset, else the pending transfer's for a post or void. */
static enum tpw_err transfer_asset(struct cli *cli, struct ledger *ledger,
                                   const struct transfer_options *o, tpw_u128 pending_id,
                                   struct ledger_asset *asset, struct tpw_error_detail *detail)
{
    if (o->asset != NULL) {
        return lcli_asset(cli, ledger, o->asset, true, asset, detail);
    }
    struct ledger_transfer pending;
    enum ledger_pending_state state = LEDGER_PENDING_NONE;
    if (pending_id == 0 || ledger_transfer_get(ledger, pending_id, &pending, &state) != TPW_OK) {
        tpw_error_set_param(detail, "asset");
        return tpw_error_set(detail, TPW_ERR_USAGE, 0, "--asset is required");
    }
    return ledger_asset_get(ledger, pending.asset, asset);
}

static enum tpw_err transfer_ids(const struct transfer_options *o, struct ledger_transfer *t,
                                 struct tpw_error_detail *detail)
{
    enum tpw_err err = lcli_id(o->id, "id", &t->id, detail);
    if (err == TPW_OK && o->debit != NULL) {
        err = lcli_id(o->debit, "debit", &t->debit_account_id, detail);
    }
    if (err == TPW_OK && o->credit != NULL) {
        err = lcli_id(o->credit, "credit", &t->credit_account_id, detail);
    }
    const char *pending = o->post != NULL ? o->post : o->void_id;
    if (err == TPW_OK && pending != NULL) {
        err = lcli_id(pending, o->post != NULL ? "post" : "void", &t->pending_id, detail);
    }
    if (err == TPW_OK && o->user_data != NULL) {
        err = lcli_id(o->user_data, "user-data", &t->user_data, detail);
    }
    return err;
}

static enum tpw_err build_transfer(struct cli *cli, struct ledger *ledger,
                                   const struct transfer_options *o, struct ledger_transfer *t,
                                   struct tpw_error_detail *detail)
{
    memset(t, 0, sizeof *t);
    t->flags = option_flags(o);
    bool resolve = o->post != NULL || o->void_id != NULL;
    uint64_t code = resolve ? 0 : 1;
    uint64_t timeout_s = 0;
    if ((o->code != NULL && !lcli_u64(o->code, UINT16_MAX, &code)) ||
        (o->timeout != NULL && !lcli_u64(o->timeout, UINT32_MAX, &timeout_s))) {
        tpw_error_set_param(detail, o->timeout != NULL ? "timeout" : "code");
        return tpw_error_set(detail, TPW_ERR_USAGE, 0, "--code is 1 to 65535; --timeout seconds");
    }
    t->code = (uint16_t)code;
    t->timeout_s = (uint32_t)timeout_s;
    enum tpw_err err = transfer_ids(o, t, detail);
    struct ledger_asset asset = {0};
    if (err == TPW_OK && (o->asset != NULL || o->amount != NULL)) {
        err = transfer_asset(cli, ledger, o, t->pending_id, &asset, detail);
        t->asset = o->asset != NULL ? asset.number : 0;
    }
    if (err == TPW_OK && o->amount != NULL) {
        err = lcli_amount(&asset, o->amount, "amount", &t->amount, detail);
    }
    return err;
}

/* Splits argv at each "--and": returns the number of groups, or 0 if too many. */
static size_t split_groups(int argc, char **argv, int starts[], int counts[])
{
    size_t groups = 0;
    int start = 0;
    for (int i = 1; i <= argc; i++) {
        if (i == argc || strcmp(argv[i], "--and") == 0) {
            if (groups == CREATE_TRANSFERS_MAX) {
                return 0;
            }
            starts[groups] = start;
            counts[groups++] = i - start;
            start = i; /* argv[start] = "--and" stands in for the command name */
        }
    }
    return groups;
}

static int print_results(struct cli *cli, struct ledger *ledger,
                         const struct ledger_transfer *transfers, size_t count,
                         const enum ledger_transfer_result *results)
{
    int status = 0;
    json_t *data = json_array();
    for (size_t i = 0; i < count; i++) {
        enum ledger_transfer_result result = results[i];
        bool accepted = result == LEDGER_TRANSFER_OK || result == LEDGER_TRANSFER_EXISTS;
        struct ledger_transfer stored = transfers[i];
        enum ledger_pending_state state = LEDGER_PENDING_NONE;
        if (accepted && ledger_transfer_get(ledger, transfers[i].id, &stored, &state) != TPW_OK) {
            accepted = false;
        }
        json_t *object = lcli_transfer_json(ledger, &stored, state);
        (void)json_object_set_new(object, "result",
                                  json_string(ledger_transfer_result_name(result)));
        (void)json_array_append_new(data, object);
        if (!cli->json) {
            (void)printf("%s: ", ledger_transfer_result_name(result));
            lcli_transfer_print(ledger, &stored, state);
        }
        status = accepted ? status : 65; /* EX_DATAERR: something was refused */
    }
    if (status != 0) {
        (void)fprintf(stderr, "tpwallet %s: rejected (see results)\n", cli->command);
    }
    int print_status = cli->json ? cli_print_json_take(cli, json_pack("{s:o}", "data", data)) : 0;
    if (!cli->json) {
        json_decref(data);
    }
    return status != 0 ? status : print_status;
}

static int transfer_create(struct cli *cli, int argc, char **argv)
{
    int starts[CREATE_TRANSFERS_MAX];
    int counts[CREATE_TRANSFERS_MAX];
    size_t groups = split_groups(argc, argv, starts, counts);
    if (groups == 0) {
        return transfer_usage_error(cli, "at most 64 transfers in one create");
    }
    struct transfer_options options[CREATE_TRANSFERS_MAX];
    int status = 0;
    for (size_t g = 0; g < groups; g++) {
        if (!parse_transfer_options(cli, counts[g], argv + starts[g], &options[g], &status)) {
            return status;
        }
    }
    struct ledger *ledger = NULL;
    status = lcli_open(cli, lcli_data_dir(options[0].data), false, &ledger);
    if (status != 0) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct ledger_transfer transfers[CREATE_TRANSFERS_MAX];
    enum ledger_transfer_result results[CREATE_TRANSFERS_MAX];
    enum tpw_err err = TPW_OK;
    for (size_t g = 0; g < groups && err == TPW_OK; g++) {
        err = build_transfer(cli, ledger, &options[g], &transfers[g], &detail);
    }
    if (err == TPW_OK) {
        err = ledger_create_transfers(ledger, transfers, groups, results, &detail);
    }
    status = err != TPW_OK ? cli_fail(cli, err, &detail)
                           : print_results(cli, ledger, transfers, groups, results);
    ledger_close(ledger);
    return status;
}

static int transfer_show(struct cli *cli, int argc, char **argv)
{
    const char *data = NULL;
    const struct cli_option options[] = {{"data", &data, NULL}};
    const struct cli_spec spec = {options, 1, 1, 1, cmd_transfer_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    tpw_u128 id = 0;
    struct ledger *ledger = NULL;
    status = lcli_open_for_id(cli, lcli_data_dir(data), args.positional[0], &id, &ledger);
    if (status != 0) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct ledger_transfer transfer;
    enum ledger_pending_state state = LEDGER_PENDING_NONE;
    enum tpw_err err = ledger_transfer_get(ledger, id, &transfer, &state);
    if (err != TPW_OK) {
        status = cli_fail(cli, err, &detail);
    } else if (cli->json) {
        status = cli_print_json_take(cli, lcli_transfer_json(ledger, &transfer, state));
    } else {
        lcli_transfer_print(ledger, &transfer, state);
    }
    ledger_close(ledger);
    return status;
}

int cmd_transfer(struct cli *cli, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "create") == 0) {
        cli->command = "transfer create";
        return transfer_create(cli, argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "show") == 0) {
        cli->command = "transfer show";
        return transfer_show(cli, argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "import") == 0) {
        cli->command = "transfer import";
        return import_command(cli, argc - 1, argv + 1, &import_transfers, cmd_transfer_usage);
    }
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        (void)fputs(cmd_transfer_usage, stdout);
        return 0;
    }
    return transfer_usage_error(cli, argc < 2 ? "missing sub-command" : "unknown sub-command");
}

/* ---- history ---------------------------------------------------------------------------- */

struct history_options {
    const char *data, *account, *after, *before, *limit;
    bool desc;
};

static int print_history(struct cli *cli, struct ledger *ledger,
                         const struct ledger_history_query *query, uint64_t limit)
{
    struct ledger_transfer *page = calloc(limit, sizeof *page);
    if (page == NULL) {
        return cli_fail(cli, TPW_ERR_NOMEM, NULL);
    }
    size_t count = 0;
    bool has_more = false;
    enum tpw_err err = ledger_account_transfers(ledger, query, page, limit, &count, &has_more);
    if (err != TPW_OK) {
        free(page);
        return cli_fail(cli, err, NULL);
    }
    json_t *data = json_array();
    for (size_t i = 0; i < count; i++) {
        struct ledger_transfer stored;
        enum ledger_pending_state state = LEDGER_PENDING_NONE;
        if (ledger_transfer_get(ledger, page[i].id, &stored, &state) != TPW_OK) {
            state = LEDGER_PENDING_NONE; /* history only lists stored transfers */
        }
        if (cli->json) {
            (void)json_array_append_new(data, lcli_transfer_json(ledger, &page[i], state));
        } else {
            lcli_transfer_print(ledger, &page[i], state);
        }
    }
    free(page);
    if (!cli->json) {
        json_decref(data);
        return 0;
    }
    return cli_print_json_take(cli, json_pack("{s:o,s:b}", "data", data, "has_more", has_more));
}

int cmd_history(struct cli *cli, int argc, char **argv)
{
    struct history_options o = {.after = "0", .before = "0", .limit = "100"};
    const struct cli_option options[] = {{"data", &o.data, NULL},   {"account", &o.account, NULL},
                                         {"after", &o.after, NULL}, {"before", &o.before, NULL},
                                         {"limit", &o.limit, NULL}, {"desc", NULL, &o.desc}};
    const struct cli_spec spec = {options, 6, 0, 0, cmd_history_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    struct ledger_history_query query = {.descending = o.desc};
    uint64_t limit = 0;
    if (o.account == NULL || !lcli_u64(o.after, UINT64_MAX, &query.after_timestamp) ||
        !lcli_u64(o.before, UINT64_MAX, &query.before_timestamp) ||
        !lcli_u64(o.limit, HISTORY_LIMIT_MAX, &limit) || limit == 0) {
        return cli_usage_error(cli, cmd_history_usage,
                               "--account is required; --after/--before are ns; --limit 1..10000");
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = lcli_id(o.account, "account", &query.account_id, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    struct ledger *ledger = NULL;
    status = lcli_open(cli, lcli_data_dir(o.data), true, &ledger);
    if (status == 0) {
        status = print_history(cli, ledger, &query, limit);
        ledger_close(ledger);
    }
    return status;
}
