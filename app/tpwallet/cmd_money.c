/*
 * `tpwallet money …`: the money core on the command line — parse and format exact
 * amounts, list assets. Conversion and fees are in cmd_money_convert.c.
 * Every result is available as JSON (--json) with amounts as integer strings.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_money.h"

#include "banned.h"

const char cmd_money_usage[] =
    "usage: tpwallet money parse <decimal> <ASSET>\n"
    "       tpwallet money format <minor-units> <ASSET>\n"
    "       tpwallet money convert <decimal> <FROM> <TO> --rate <decimal> [--inverse]\n"
    "              [--rounding half-even|half-up|down|up]   (default: down)\n"
    "              [--fee-fixed <decimal>] [--fee-bps <n>] [--fee-min <decimal>]\n"
    "              [--fee-max <decimal>]\n"
    "       tpwallet money fee <decimal> <ASSET> [--fixed <decimal>] [--bps <n>]\n"
    "              [--min <decimal>] [--max <decimal>]\n"
    "       tpwallet money assets [--all]\n"
    "decimals: digits[.digits], no sign, exponent, spaces or bare point; at most as many\n"
    "fraction digits as the asset has (USD 2, JPY 0, BHD 3, BTC 8, ETH 18).\n";

int cmd_money__usage_error(struct cli *cli, const char *message)
{
    return cli_usage_error(cli, cmd_money_usage, message);
}

bool cmd_money__args(struct cli *cli, int argc, char **argv, const struct cli_option *options,
                     size_t options_count, size_t positional_count, struct cli_args *args,
                     int *status)
{
    const struct cli_spec spec = {options, options_count, positional_count, positional_count,
                                  cmd_money_usage};
    return cli_command_args(cli, argc, argv, &spec, args, status);
}

enum tpw_err cmd_money__amount(const struct money_asset *asset, const char *text, const char *param,
                               tpw_u128 *out, struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, param);
    return money_amount_parse(asset, text, strlen(text), out, detail);
}

/*
 * Reads the `<number> <ASSET>` arguments shared by parse and format: the number is a
 * decimal amount at the asset's exponent, or (minor_units) an integer of minor units.
 * Returns false when the caller should return *status (usage error, help, bad data).
 */
static bool number_and_asset(struct cli *cli, int argc, char **argv, bool minor_units,
                             const struct money_asset **asset, tpw_u128 *minor, int *status)
{
    struct cli_args args;
    if (!cmd_money__args(cli, argc, argv, NULL, 0, 2, &args, status)) {
        return false;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    const char *text = args.positional[0];
    enum tpw_err err = cli_asset(cli, args.positional[1], "asset", asset, &detail);
    if (err == TPW_OK && minor_units) {
        tpw_error_set_param(&detail, "minor");
        err = money_decimal_parse(text, strlen(text), 0, minor, &detail);
    } else if (err == TPW_OK) {
        err = cmd_money__amount(*asset, text, "amount", minor, &detail);
    }
    if (err != TPW_OK) {
        *status = cli_fail(cli, err, &detail);
        return false;
    }
    return true;
}

static int money_parse(struct cli *cli, int argc, char **argv)
{
    const struct money_asset *asset = NULL;
    tpw_u128 minor = 0;
    int status = 0;
    if (!number_and_asset(cli, argc, argv, false, &asset, &minor, &status)) {
        return status;
    }
    char minor_text[TPW_U128_DEC_SIZE];
    cli_u128_text(minor, minor_text);
    if (cli->json) {
        return cli_print_json_take(cli, json_pack("{s:s,s:i,s:s}", "asset", asset->code, "exponent",
                                                  (int)asset->exponent, "minor", minor_text));
    }
    char decimal[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_amount_format(asset, minor, decimal, sizeof(decimal));
    (void)printf("%s %s = %s minor units (exponent %u)\n", decimal, asset->code, minor_text,
                 asset->exponent);
    return 0;
}

static int money_format(struct cli *cli, int argc, char **argv)
{
    const struct money_asset *asset = NULL;
    tpw_u128 minor = 0;
    int status = 0;
    if (!number_and_asset(cli, argc, argv, true, &asset, &minor, &status)) {
        return status;
    }
    if (cli->json) {
        return cli_print_json_take(cli, cli_json_amount(asset, minor));
    }
    char decimal[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_amount_format(asset, minor, decimal, sizeof(decimal));
    (void)printf("%s %s\n", decimal, asset->code);
    return 0;
}

static const char *asset_kind_name(const struct money_asset *asset)
{
    return asset->kind == MONEY_ASSET_ISO4217 ? "iso4217" : "configured";
}

static json_t *asset_json(const struct money_asset *asset)
{
    json_t *exponent = asset->is_money ? json_integer(asset->exponent) : json_null();
    json_t *numeric = asset->iso_numeric != 0 ? json_integer(asset->iso_numeric) : json_null();
    return json_pack("{s:s,s:o,s:b,s:s,s:o,s:s}", "code", asset->code, "exponent", exponent,
                     "money", asset->is_money, "kind", asset_kind_name(asset), "numeric", numeric,
                     "name", asset->name);
}

static int money_assets(struct cli *cli, int argc, char **argv)
{
    struct cli_args args;
    int status = 0;
    bool all = false;
    const struct cli_option options[] = {{"all", NULL, &all}};
    if (!cmd_money__args(cli, argc, argv, options, 1, 0, &args, &status)) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    const money_registry *registry = NULL;
    enum tpw_err err = cli_registry(cli, &registry, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    json_t *list = cli->json ? json_array() : NULL;
    for (size_t index = 0; index < money_registry_count(registry); index++) {
        const struct money_asset *asset = money_registry_at(registry, index);
        if (!all && !asset->is_money) {
            continue;
        }
        if (list != NULL) {
            (void)json_array_append_new(list, asset_json(asset));
        } else if (asset->is_money) {
            (void)printf("%-8s %2u  %-10s %s\n", asset->code, asset->exponent,
                         asset_kind_name(asset), asset->name);
        } else {
            (void)printf("%-8s  -  %-10s %s (no minor unit)\n", asset->code, asset_kind_name(asset),
                         asset->name);
        }
    }
    return cli->json ? cli_print_json_take(cli, json_pack("{s:o}", "assets", list)) : 0;
}

int cmd_money(struct cli *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        const char *command; /* as shown in messages */
        int (*run)(struct cli *cli, int argc, char **argv);
    } subcommands[] = {
        {"parse", "money parse", money_parse},
        {"format", "money format", money_format},
        {"convert", "money convert", cmd_money__convert},
        {"fee", "money fee", cmd_money__fee},
        {"assets", "money assets", money_assets},
    };
    if (argc < 2) {
        return cmd_money__usage_error(cli, "missing sub-command");
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        (void)fputs(cmd_money_usage, stdout);
        return 0;
    }
    for (size_t index = 0; index < sizeof(subcommands) / sizeof(subcommands[0]); index++) {
        if (strcmp(argv[1], subcommands[index].name) == 0) {
            cli->command = subcommands[index].command;
            return subcommands[index].run(cli, argc - 1, argv + 1);
        }
    }
    return cmd_money__usage_error(cli, "unknown sub-command");
}
