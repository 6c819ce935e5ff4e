/*
 * Shared CLI plumbing (see cli.h): option parsing, the registry, and output.
 *
 * The option parser is hand-written rather than getopt_long because amounts are
 * positional and "-5" must reach the decimal parser (and fail with decimal_sign), not
 * be taken for an option.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tpw_assert.h"

#include "banned.h"

static const struct cli_option *find_option(const struct cli_option *options, size_t count,
                                            const char *name, size_t name_len)
{
    for (size_t index = 0; index < count; index++) {
        if (strlen(options[index].name) == name_len &&
            memcmp(options[index].name, name, name_len) == 0) {
            return &options[index];
        }
    }
    return NULL;
}

/* Applies one "--name[=value]" at argv[*index]; advances *index past a separate value. */
static enum tpw_err apply_option(const struct cli_option *options, size_t count, int argc,
                                 char **argv, int *index, struct tpw_error_detail *detail)
{
    const char *name = argv[*index] + 2;
    const char *equals = strchr(name, '=');
    size_t name_len = equals != NULL ? (size_t)(equals - name) : strlen(name);
    const struct cli_option *option = find_option(options, count, name, name_len);
    if (option == NULL) {
        return tpw_error_set(detail, TPW_ERR_USAGE, 0, "unknown option '%s'", argv[*index]);
    }
    /* Each table entry is either a flag or takes a value, never both or neither. */
    TPW_ASSERT((option->flag == NULL) != (option->value == NULL));
    if (option->flag != NULL) {
        if (equals != NULL) {
            return tpw_error_set(detail, TPW_ERR_USAGE, 0, "option '--%s' takes no value",
                                 option->name);
        }
        *option->flag = true;
        return TPW_OK;
    }
    if (equals != NULL) {
        *option->value = equals + 1;
        return TPW_OK;
    }
    if (*index + 1 >= argc) {
        return tpw_error_set(detail, TPW_ERR_USAGE, 0, "option '--%s' needs a value", option->name);
    }
    *option->value = argv[++*index];
    return TPW_OK;
}

enum tpw_err cli_parse(struct cli *cli, int argc, char **argv, const struct cli_option *options,
                       size_t options_count, struct cli_args *args, struct tpw_error_detail *detail)
{
    memset(args, 0, sizeof(*args));
    struct cli_option all[32];
    if (options_count + 3 > sizeof(all) / sizeof(all[0])) {
        return tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "too many options");
    }
    for (size_t index = 0; index < options_count; index++) {
        all[index] = options[index]; /* `options` may be NULL when the count is 0 */
    }
    all[options_count++] = (struct cli_option){"json", NULL, &cli->json};
    all[options_count++] = (struct cli_option){"assets", &cli->assets_path, NULL};
    all[options_count++] = (struct cli_option){"help", NULL, &args->help};
    bool options_done = false;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv[index];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (!options_done && strcmp(arg, "-h") == 0) {
            args->help = true;
        } else if (!options_done && strncmp(arg, "--", 2) == 0) {
            enum tpw_err err = apply_option(all, options_count, argc, argv, &index, detail);
            if (err != TPW_OK) {
                return err;
            }
        } else if (args->positional_count == CLI_POSITIONALS_MAX) {
            return tpw_error_set(detail, TPW_ERR_USAGE, 0, "too many arguments");
        } else {
            args->positional[args->positional_count++] = arg;
        }
    }
    return TPW_OK;
}

bool cli_command_args(struct cli *cli, int argc, char **argv, const struct cli_spec *spec,
                      struct cli_args *args, int *status)
{
    TPW_ASSERT(spec->positional_min <= spec->positional_max);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    *status = 0;
    if (cli_parse(cli, argc, argv, spec->options, spec->options_count, args, &detail) != TPW_OK) {
        *status = cli_usage_error(cli, spec->usage, detail.message);
        return false;
    }
    if (args->help) {
        (void)fputs(spec->usage, stdout);
        return false;
    }
    if (args->positional_count < spec->positional_min ||
        args->positional_count > spec->positional_max) {
        *status = cli_usage_error(cli, spec->usage, "wrong number of arguments");
        return false;
    }
    return true;
}

enum tpw_err cli_registry(struct cli *cli, const money_registry **out,
                          struct tpw_error_detail *detail)
{
    if (cli->registry != NULL) {
        *out = cli->registry;
        return TPW_OK;
    }
    money_registry *registry = money_registry_create();
    if (registry == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    enum tpw_err err = money_registry_load_builtin(registry, detail);
    if (err == TPW_OK && cli->assets_path != NULL) {
        tpw_error_set_param(detail, "assets");
        err = money_registry_load_configured_file(registry, cli->assets_path, detail);
    }
    if (err != TPW_OK) {
        money_registry_destroy(registry);
        return err;
    }
    TPW_LOGF(TPW_LOG_DEBUG, "registry.loaded",
             TPW_LOG_U64("assets", money_registry_count(registry)),
             TPW_LOG_STR("extra", cli->assets_path != NULL ? cli->assets_path : ""));
    cli->registry = registry;
    *out = registry;
    return TPW_OK;
}

enum tpw_err cli_asset(struct cli *cli, const char *code, const char *param,
                       const struct money_asset **out, struct tpw_error_detail *detail)
{
    const money_registry *registry = NULL;
    enum tpw_err err = cli_registry(cli, &registry, detail);
    if (err != TPW_OK) {
        return err;
    }
    tpw_error_set_param(detail, param);
    return money_registry_find(registry, code, out, detail);
}

int cli_fail(const struct cli *cli, enum tpw_err err, const struct tpw_error_detail *detail)
{
    const char *message =
        detail != NULL && detail->message[0] != '\0' ? detail->message : tpw_strerror(err);
    (void)fprintf(stderr, "tpwallet%s%s: error: %s (%s)\n", cli->command[0] != '\0' ? " " : "",
                  cli->command, message, tpw_err_api_code(err));
    if (cli->json) {
        json_t *error = json_pack("{s:s,s:s,s:s}", "type", tpw_err_api_type(err), "code",
                                  tpw_err_api_code(err), "message", message);
        if (error != NULL && detail != NULL && detail->param[0] != '\0') {
            (void)json_object_set_new(error, "param", json_string(detail->param));
            (void)json_object_set_new(error, "offset",
                                      json_integer((json_int_t)detail->offset_bytes));
        }
        if (error != NULL) {
            (void)cli_print_json_take(cli, json_pack("{s:o}", "error", error));
        }
    }
    return tpw_err_exit_status(err);
}

int cli_usage_error(const struct cli *cli, const char *usage, const char *message)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    (void)tpw_error_set(&detail, TPW_ERR_USAGE, 0, "%s", message);
    int status = cli_fail(cli, TPW_ERR_USAGE, &detail);
    (void)fputs(usage, stderr);
    return status;
}

int cli_print_json_take(const struct cli *cli, json_t *result)
{
    return cli_print_json_flags_take(cli, result, JSON_COMPACT);
}

int cli_print_json_flags_take(const struct cli *cli, json_t *result, size_t flags)
{
    (void)cli;
    if (result == NULL) {
        (void)fputs("tpwallet: error: out of memory building JSON\n", stderr);
        return tpw_err_exit_status(TPW_ERR_NOMEM);
    }
    int rc = json_dumpf(result, stdout, flags);
    json_decref(result);
    if (rc != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        return tpw_err_exit_status(TPW_ERR_IO);
    }
    return 0;
}

const char *cli_u128_text(tpw_u128 value, char buf[TPW_U128_DEC_SIZE])
{
    size_t length = tpw_u128_to_dec(value, buf, TPW_U128_DEC_SIZE);
    TPW_ASSERT(length > 0);
    return buf;
}

json_t *cli_json_amount(const struct money_asset *asset, tpw_u128 amount_minor)
{
    char minor[TPW_U128_DEC_SIZE];
    char decimal[MONEY_DECIMAL_TEXT_SIZE];
    size_t length = money_amount_format(asset, amount_minor, decimal, sizeof(decimal));
    TPW_ASSERT(length > 0);
    return json_pack("{s:s,s:i,s:s,s:s}", "asset", asset->code, "exponent", (int)asset->exponent,
                     "minor", cli_u128_text(amount_minor, minor), "decimal", decimal);
}

void cli_deinit(struct cli *cli)
{
    money_registry_destroy(cli->registry);
    cli->registry = NULL;
}
