/*
 * `tpwallet apikey create|list|revoke`: the HTTP API's keys (include/tpwallet/apikey.h).
 * A key's text is printed once, by `create`; the file keeps only its hash. A running
 * server sees new and revoked keys within a second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_cli.h"
#include "tpwallet/apikey.h"

#include "banned.h"

const char cmd_apikey_usage[] =
    "usage: tpwallet apikey create --data DIR --role admin|operator|auditor|user\n"
    "                              [--owner ID] [--name TEXT] [--rate-per-s N [--burst N]]\n"
    "       tpwallet apikey list --data DIR\n"
    "       tpwallet apikey revoke --data DIR KEY_ID\n"
    "create prints the key (tpwk_…) once: give it as `Authorization: Bearer <key>`.\n"
    "A user key needs --owner and sees only that owner's accounts. User keys default\n"
    "to 100 requests/s (burst 200), others to no limit; --rate-per-s 0 means none.\n";

static const char *data_dir_or_usage(struct cli *cli, const char *option, int *status)
{
    const char *data_dir = lcli_data_dir(option);
    if (data_dir == NULL) {
        *status = cli_usage_error(cli, cmd_apikey_usage,
                                  "no data directory: pass --data DIR or set TPWALLET_DATA");
    }
    return data_dir;
}

static bool rate_arg(const char *text, uint32_t *out)
{
    uint64_t value = 0;
    if (text == NULL) {
        return true;
    }
    if (!lcli_u64(text, 1000000, &value)) {
        return false;
    }
    *out = (uint32_t)value;
    return true;
}

static void key_print(const struct api_key_info *info)
{
    char id[TPW_ID_TEXT_SIZE] = "-";
    if (info->owner != 0) {
        (void)tpw_id_format(info->owner, LCLI_OWNER_PREFIX, id, sizeof id);
    }
    char rate[48] = "unlimited";
    if (info->rate_per_s != 0) {
        (void)snprintf(rate, sizeof rate, "%u/s burst %u", (unsigned)info->rate_per_s,
                       (unsigned)info->burst);
    }
    (void)printf("%016llx  %-8s  owner %s  rate %s%s%s%s\n", (unsigned long long)info->id,
                 api_role_name(info->role), id, rate, info->name[0] != '\0' ? "  " : "", info->name,
                 info->revoked_ns != 0 ? "  REVOKED" : "");
}

/* --role, --owner and the rate into a spec; 0 or the status of the error reported. */
static int spec_from(struct cli *cli, const char *role, const char *owner, const char *rate,
                     const char *burst, struct api_key_spec *spec)
{
    if (role == NULL || !api_role_parse(role, &spec->role)) {
        return cli_usage_error(cli, cmd_apikey_usage,
                               "--role is one of admin, operator, auditor, user");
    }
    spec->rate_set = rate != NULL;
    if (!rate_arg(rate, &spec->rate_per_s) || !rate_arg(burst, &spec->burst) ||
        (burst != NULL && rate == NULL)) {
        return cli_usage_error(cli, cmd_apikey_usage,
                               "--rate-per-s and --burst are numbers up to 10^6; --burst "
                               "needs --rate-per-s");
    }
    if (owner == NULL) {
        return 0;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = lcli_id(owner, "owner", &spec->owner, &detail);
    return err == TPW_OK ? 0 : cli_fail(cli, err, &detail);
}

static int apikey_create(struct cli *cli, int argc, char **argv)
{
    const char *data = NULL, *role = NULL, *owner = NULL, *name = NULL, *rate = NULL, *burst = NULL;
    const struct cli_option options[] = {{"data", &data, NULL},       {"role", &role, NULL},
                                         {"owner", &owner, NULL},     {"name", &name, NULL},
                                         {"rate-per-s", &rate, NULL}, {"burst", &burst, NULL}};
    const struct cli_spec spec_args = {options, 6, 0, 0, cmd_apikey_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec_args, &args, &status)) {
        return status;
    }
    const char *data_dir = data_dir_or_usage(cli, data, &status);
    struct api_key_spec spec = {.name = name};
    if (data_dir == NULL || (status = spec_from(cli, role, owner, rate, burst, &spec)) != 0) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct api_key_info info;
    char key[API_KEY_TEXT_SIZE];
    enum tpw_err err = api_key_create(data_dir, &spec, &info, key, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    if (cli->json) {
        json_t *object = api_key_json(&info);
        if (object != NULL) {
            (void)json_object_set_new(object, "key", json_string(key));
        }
        return cli_print_json_take(cli, object);
    }
    key_print(&info);
    (void)printf("%s\n(shown once: store it now)\n", key);
    return 0;
}

static int apikey_list(struct cli *cli, int argc, char **argv)
{
    const char *data = NULL;
    const struct cli_option options[] = {{"data", &data, NULL}};
    const struct cli_spec spec = {options, 1, 0, 0, cmd_apikey_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    const char *data_dir = data_dir_or_usage(cli, data, &status);
    if (data_dir == NULL) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct api_key_info *keys = NULL;
    size_t count = 0;
    enum tpw_err err = api_key_list(data_dir, &keys, &count, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    json_t *data_json = cli->json ? json_array() : NULL;
    for (size_t i = 0; i < count; i++) {
        if (data_json != NULL) {
            (void)json_array_append_new(data_json, api_key_json(&keys[i]));
        } else if (!cli->json) {
            key_print(&keys[i]);
        }
    }
    free(keys);
    if (!cli->json) {
        return 0;
    }
    return cli_print_json_take(cli, json_pack("{s:s,s:o}", "object", "list", "data",
                                              data_json != NULL ? data_json : json_null()));
}

static int apikey_revoke(struct cli *cli, int argc, char **argv)
{
    const char *data = NULL;
    const struct cli_option options[] = {{"data", &data, NULL}};
    const struct cli_spec spec = {options, 1, 1, 1, cmd_apikey_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    const char *data_dir = data_dir_or_usage(cli, data, &status);
    if (data_dir == NULL) {
        return status;
    }
    uint64_t id = 0;
    if (!api_key_id_parse(args.positional[0], &id)) {
        return cli_usage_error(cli, cmd_apikey_usage,
                               "KEY_ID is the key's 16 hex digits, as `apikey list` shows");
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct api_key_info info;
    enum tpw_err err = api_key_revoke(data_dir, id, &info, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    if (cli->json) {
        return cli_print_json_take(cli, api_key_json(&info));
    }
    key_print(&info);
    return 0;
}

int cmd_apikey(struct cli *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(struct cli *cli, int argc, char **argv);
    } subcommands[] = {{"create", apikey_create}, {"list", apikey_list}, {"revoke", apikey_revoke}};
    if (argc >= 2) {
        for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
            if (strcmp(argv[1], subcommands[i].name) == 0) {
                return subcommands[i].run(cli, argc - 1, argv + 1);
            }
        }
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        (void)fputs(cmd_apikey_usage, stdout);
        return 0;
    }
    return cli_usage_error(cli, cmd_apikey_usage, "apikey needs create, list or revoke");
}
