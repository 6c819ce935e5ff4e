/*
 * `tpwallet help [command]`: the command list, or one command's usage.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#include "banned.h"

const char cmd_help_usage[] = "usage: tpwallet help [command]\n";

static int print_overview(void)
{
    (void)printf("tpwallet %s — wallet asset-management engine\n\n"
                 "usage: tpwallet [--json] [--assets FILE] <command> [args]\n\n"
                 "commands:\n",
                 tpw_version());
    for (size_t index = 0; index < cli_commands_count; index++) {
        (void)printf("  %-10s %s\n", cli_commands[index].name, cli_commands[index].summary);
    }
    (void)printf("\nglobal options:\n"
                 "  --json         print results as JSON on stdout (errors too)\n"
                 "  --assets FILE  add configured assets (CSV: code,exponent,name)\n"
                 "  -h, --help     show help\n\n"
                 "environment: TPWALLET_LOG=debug|info|warn|error|off, TPWALLET_ASSETS=FILE;\n"
                 "             TPWALLET_API_KEY, TPWALLET_SERVER (clients of a server)\n"
                 "exit status: 0 ok, 64 usage, 65 bad data, 66 no input, 69 unavailable,\n"
                 "             70 internal, 74 I/O error, 75 try again, 77 no permission,\n"
                 "             78 configuration (sysexits.h)\n");
    return 0;
}

int cmd_help(struct cli *cli, int argc, char **argv)
{
    static const struct cli_spec spec = {NULL, 0, 0, 1, cmd_help_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    if (args.positional_count == 0) {
        return print_overview();
    }
    for (size_t index = 0; index < cli_commands_count; index++) {
        if (strcmp(cli_commands[index].name, args.positional[0]) == 0) {
            (void)printf("tpwallet %s: %s\n\n%s", cli_commands[index].name,
                         cli_commands[index].summary, cli_commands[index].usage);
            return 0;
        }
    }
    return cli_usage_error(cli, cmd_help_usage, "no such command");
}
