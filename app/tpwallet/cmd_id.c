/*
 * `tpwallet id new|parse`: make time-ordered 128-bit identifiers and read them back
 * from their text form (`<prefix>_<base32>`) or from a decimal integer.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tpw_assert.h"

#include "banned.h"

/* More than this many ids is a job for the library, not a terminal. */
#define ID_NEW_COUNT_MAX 10000

const char cmd_id_usage[] = "usage: tpwallet id new [--prefix P] [--count N]\n"
                            "       tpwallet id parse <id> [--prefix P]\n"
                            "ids: <prefix>_<26 Crockford base32 digits> or a decimal integer;\n"
                            "prefixes are 1 to 8 lowercase letters (default: id).\n";

static int id_usage_error(struct cli *cli, const char *message)
{
    return cli_usage_error(cli, cmd_id_usage, message);
}

static int id_print(const struct cli *cli, tpw_u128 id, const char *prefix)
{
    char text[TPW_ID_TEXT_SIZE];
    char decimal[TPW_U128_DEC_SIZE];
    char time_text[TPW_CLOCK_UTC_TEXT_SIZE];
    size_t length = tpw_id_format(id, prefix, text, sizeof(text));
    TPW_ASSERT(length > 0);
    cli_u128_text(id, decimal);
    (void)tpw_clock_format_utc_ms(tpw_id_time_ms(id), time_text);
    if (cli->json) {
        return cli_print_json_take(
            cli, json_pack("{s:s,s:s,s:s}", "id", text, "decimal", decimal, "time", time_text));
    }
    (void)printf("%s  %s  %s\n", text, decimal, time_text);
    return 0;
}

static bool id_args(struct cli *cli, int argc, char **argv, const struct cli_option *options,
                    size_t options_count, size_t positional_count, struct cli_args *args,
                    int *status)
{
    const struct cli_spec spec = {options, options_count, positional_count, positional_count,
                                  cmd_id_usage};
    return cli_command_args(cli, argc, argv, &spec, args, status);
}

static int id_new(struct cli *cli, int argc, char **argv)
{
    const char *prefix = "id";
    const char *count_text = "1";
    const struct cli_option options[] = {{"prefix", &prefix, NULL}, {"count", &count_text, NULL}};
    struct cli_args args;
    int status = 0;
    if (!id_args(cli, argc, argv, options, 2, 0, &args, &status)) {
        return status;
    }
    tpw_u128 count = 0;
    if (!tpw_id_prefix_valid(prefix)) {
        return id_usage_error(cli, "--prefix must be 1 to 8 lowercase letters");
    }
    if (tpw_u128_from_dec(count_text, strlen(count_text), &count) != TPW_OK || count == 0 ||
        count > ID_NEW_COUNT_MAX) {
        return id_usage_error(cli, "--count must be 1 to 10000");
    }
    struct tpw_prng prng;
    if (tpw_prng_seed_os(&prng) != TPW_OK) {
        return cli_fail(cli, TPW_ERR_IO, NULL);
    }
    struct tpw_id_gen gen;
    tpw_id_gen_init(&gen, tpw_clock_system(), &prng);
    for (tpw_u128 index = 0; index < count && status == 0; index++) {
        status = id_print(cli, tpw_id_gen_next(&gen), prefix);
    }
    return status;
}

static int id_parse(struct cli *cli, int argc, char **argv)
{
    const char *prefix = NULL;
    const struct cli_option options[] = {{"prefix", &prefix, NULL}};
    struct cli_args args;
    int status = 0;
    if (!id_args(cli, argc, argv, options, 1, 1, &args, &status)) {
        return status;
    }
    if (prefix != NULL && !tpw_id_prefix_valid(prefix)) {
        return id_usage_error(cli, "--prefix must be 1 to 8 lowercase letters");
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_error_set_param(&detail, "id");
    const char *text = args.positional[0];
    tpw_u128 id = 0;
    enum tpw_err err = tpw_id_parse(text, strlen(text), prefix, &id, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    /* Re-emit with the prefix the text carried, else the requested one, else "id". */
    const char *underscore = strchr(text, '_');
    char carried[TPW_ID_PREFIX_LEN_MAX + 1] = "id";
    if (underscore != NULL) {
        (void)snprintf(carried, sizeof(carried), "%.*s", (int)(underscore - text), text);
    } else if (prefix != NULL) {
        (void)snprintf(carried, sizeof(carried), "%s", prefix);
    }
    return id_print(cli, id, carried);
}

int cmd_id(struct cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        return id_usage_error(cli, "missing sub-command");
    }
    if (strcmp(argv[1], "new") == 0) {
        cli->command = "id new";
        return id_new(cli, argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "parse") == 0) {
        cli->command = "id parse";
        return id_parse(cli, argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        (void)fputs(cmd_id_usage, stdout);
        return 0;
    }
    return id_usage_error(cli, "unknown sub-command");
}
