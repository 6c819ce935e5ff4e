/*
 * `tpwallet account create|show|list|import`: accounts on a data directory. Amounts
 * on the command line are decimals of the asset ("100.00"); import files carry
 * integer minor units, as the API does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_import.h"
#include "tpw_assert.h"

#include "banned.h"

#define ACCOUNT_LIST_LIMIT_MAX 10000u

const char cmd_account_usage[] =
    "usage: tpwallet account create --data DIR --id ID --asset CODE [--kind KIND]\n"
    "              [--owner ID] [--flags NAME,NAME] [--overdraft-limit DECIMAL]\n"
    "       tpwallet account show ID --data DIR [--as-of TIMESTAMP_NS]\n"
    "       tpwallet account list --data DIR [--after TIMESTAMP_NS] [--limit N]\n"
    "       tpwallet account import FILE.jsonl --data DIR [--results FILE]\n"
    "kinds: user sub_account fx_pool fees settlement suspense external equity\n"
    "flags: debits_must_not_exceed_credits credits_must_not_exceed_debits history closed\n";

static int account_usage_error(struct cli *cli, const char *message)
{
    return cli_usage_error(cli, cmd_account_usage, message);
}

/* Comma-separated flag names. */
static enum tpw_err parse_flags(const char *text, uint16_t *flags, struct tpw_error_detail *detail)
{
    *flags = 0;
    while (text != NULL && *text != '\0') {
        const char *comma = strchr(text, ',');
        size_t length = comma != NULL ? (size_t)(comma - text) : strlen(text);
        char name[64];
        uint16_t flag = 0;
        if (length >= sizeof name) {
            length = sizeof name - 1;
        }
        memcpy(name, text, length);
        name[length] = '\0';
        if (ledger_account_flag_parse(name, &flag) != TPW_OK) {
            tpw_error_set_param(detail, "flags");
            return tpw_error_set(detail, TPW_ERR_LEDGER_FLAG_UNKNOWN, 0, "unknown flag \"%s\"",
                                 name);
        }
        *flags |= flag;
        text = comma != NULL ? comma + 1 : NULL;
    }
    return TPW_OK;
}

struct create_options {
    const char *data, *id, *asset, *kind, *owner, *flags, *overdraft;
};

static enum tpw_err build_account(struct cli *cli, struct ledger *ledger,
                                  const struct create_options *o, struct ledger_account *a,
                                  struct tpw_error_detail *detail)
{
    memset(a, 0, sizeof *a);
    struct ledger_asset asset = {0};
    enum tpw_err err = lcli_id(o->id, "id", &a->id, detail);
    if (err == TPW_OK && o->owner != NULL) {
        err = lcli_id(o->owner, "owner", &a->owner, detail);
    }
    a->kind = LEDGER_KIND_USER;
    if (err == TPW_OK && o->kind != NULL) {
        tpw_error_set_param(detail, "kind");
        err = ledger_account_kind_parse(o->kind, &a->kind);
    }
    if (err == TPW_OK) {
        err = parse_flags(o->flags, &a->flags, detail);
    }
    if (err == TPW_OK) {
        err = lcli_asset(cli, ledger, o->asset, true, &asset, detail);
    }
    if (err == TPW_OK && o->overdraft != NULL) {
        err = lcli_amount(&asset, o->overdraft, "overdraft_limit", &a->overdraft_limit, detail);
    }
    a->asset = asset.number;
    return err;
}

static int account_create(struct cli *cli, int argc, char **argv)
{
    struct create_options o = {0};
    const struct cli_option options[] = {{"data", &o.data, NULL},
                                         {"id", &o.id, NULL},
                                         {"asset", &o.asset, NULL},
                                         {"kind", &o.kind, NULL},
                                         {"owner", &o.owner, NULL},
                                         {"flags", &o.flags, NULL},
                                         {"overdraft-limit", &o.overdraft, NULL}};
    const struct cli_spec spec = {options, 7, 0, 0, cmd_account_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    if (o.id == NULL || o.asset == NULL) {
        return account_usage_error(cli, "--id and --asset are required");
    }
    struct ledger *ledger = NULL;
    status = lcli_open(cli, lcli_data_dir(o.data), false, &ledger);
    if (status != 0) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct ledger_account account;
    enum ledger_account_result result = LEDGER_ACCOUNT_OK;
    enum tpw_err err = build_account(cli, ledger, &o, &account, &detail);
    if (err == TPW_OK) {
        err = ledger_create_accounts(ledger, &account, 1, &result, &detail);
    }
    if (err != TPW_OK) {
        status = cli_fail(cli, err, &detail);
    } else if (result != LEDGER_ACCOUNT_OK && result != LEDGER_ACCOUNT_EXISTS) {
        status = lcli_rejected(cli, ledger_account_result_name(result), "id");
    } else {
        err = ledger_account_get(ledger, account.id, &account);
        TPW_ASSERT(err == TPW_OK); /* it was just created or found */
        json_t *object = lcli_account_json(ledger, &account);
        (void)json_object_set_new(object, "result",
                                  json_string(ledger_account_result_name(result)));
        status = cli->json ? cli_print_json_take(cli, object) : 0;
        if (!cli->json) {
            json_decref(object);
            lcli_account_print(ledger, &account);
        }
    }
    ledger_close(ledger);
    return status;
}

static int show_balance_as_of(struct cli *cli, struct ledger *ledger,
                              const struct ledger_account *account, uint64_t as_of)
{
    struct ledger_balance balance;
    enum tpw_err err = ledger_balance_as_of(ledger, account->id, as_of, &balance);
    if (err != TPW_OK) {
        return cli_fail(cli, err, NULL);
    }
    struct ledger_account then = *account;
    then.debits_pending = balance.debits_pending;
    then.debits_posted = balance.debits_posted;
    then.credits_pending = balance.credits_pending;
    then.credits_posted = balance.credits_posted;
    json_t *object = lcli_account_json(ledger, &then);
    (void)json_object_set_new(object, "as_of", json_integer((json_int_t)as_of));
    if (cli->json) {
        return cli_print_json_take(cli, object);
    }
    json_decref(object);
    (void)printf("as of %llu ns:\n", (unsigned long long)as_of);
    lcli_account_print(ledger, &then);
    return 0;
}

static int account_show(struct cli *cli, int argc, char **argv)
{
    const char *data = NULL;
    const char *as_of_text = NULL;
    const struct cli_option options[] = {{"data", &data, NULL}, {"as-of", &as_of_text, NULL}};
    const struct cli_spec spec = {options, 2, 1, 1, cmd_account_usage};
    struct cli_args args;
    int status = 0;
    uint64_t as_of = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    if (as_of_text != NULL && !lcli_u64(as_of_text, UINT64_MAX, &as_of)) {
        return account_usage_error(cli, "--as-of is a timestamp in nanoseconds since the epoch");
    }
    tpw_u128 id = 0;
    struct ledger *ledger = NULL;
    status = lcli_open_for_id(cli, lcli_data_dir(data), args.positional[0], &id, &ledger);
    if (status != 0) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct ledger_account account;
    enum tpw_err err = ledger_account_get(ledger, id, &account);
    if (err != TPW_OK) {
        tpw_error_set_param(&detail, "id");
        status = cli_fail(cli, err, &detail);
    } else if (as_of_text != NULL) {
        status = show_balance_as_of(cli, ledger, &account, as_of);
    } else if (cli->json) {
        status = cli_print_json_take(cli, lcli_account_json(ledger, &account));
    } else {
        lcli_account_print(ledger, &account);
    }
    ledger_close(ledger);
    return status;
}

static int print_accounts(struct cli *cli, struct ledger *ledger, uint64_t after, uint64_t limit)
{
    struct ledger_account *page = calloc(limit + 1, sizeof *page);
    if (page == NULL) {
        return cli_fail(cli, TPW_ERR_NOMEM, NULL);
    }
    size_t count = ledger_account_list(ledger, after, page, limit + 1);
    bool has_more = count > limit;
    count = has_more ? limit : count;
    json_t *data = json_array();
    for (size_t i = 0; i < count; i++) {
        if (cli->json) {
            (void)json_array_append_new(data, lcli_account_json(ledger, &page[i]));
        } else {
            lcli_account_print(ledger, &page[i]);
        }
    }
    free(page);
    if (!cli->json) {
        json_decref(data);
        return 0;
    }
    return cli_print_json_take(cli, json_pack("{s:o,s:b}", "data", data, "has_more", has_more));
}

static int account_list(struct cli *cli, int argc, char **argv)
{
    const char *data = NULL;
    const char *after_text = "0";
    const char *limit_text = "100";
    const struct cli_option options[] = {
        {"data", &data, NULL}, {"after", &after_text, NULL}, {"limit", &limit_text, NULL}};
    const struct cli_spec spec = {options, 3, 0, 0, cmd_account_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    uint64_t after = 0;
    uint64_t limit = 0;
    if (!lcli_u64(after_text, UINT64_MAX, &after) ||
        !lcli_u64(limit_text, ACCOUNT_LIST_LIMIT_MAX, &limit) || limit == 0) {
        return account_usage_error(cli, "--after is a timestamp in ns; --limit is 1 to 10000");
    }
    struct ledger *ledger = NULL;
    status = lcli_open(cli, lcli_data_dir(data), true, &ledger);
    if (status == 0) {
        status = print_accounts(cli, ledger, after, limit);
        ledger_close(ledger);
    }
    return status;
}

int cmd_account(struct cli *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        const char *command;
        int (*run)(struct cli *cli, int argc, char **argv);
    } subs[] = {{"create", "account create", account_create},
                {"show", "account show", account_show},
                {"list", "account list", account_list}};
    if (argc >= 2 && strcmp(argv[1], "import") == 0) {
        cli->command = "account import";
        return import_command(cli, argc - 1, argv + 1, &import_accounts, cmd_account_usage);
    }
    for (size_t i = 0; argc >= 2 && i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(argv[1], subs[i].name) == 0) {
            cli->command = subs[i].command;
            return subs[i].run(cli, argc - 1, argv + 1);
        }
    }
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        (void)fputs(cmd_account_usage, stdout);
        return 0;
    }
    return account_usage_error(cli, argc < 2 ? "missing sub-command" : "unknown sub-command");
}
