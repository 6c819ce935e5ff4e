/*
 * `tpwallet version`: the version and the commit the binary was built from.
 */
#include <stdio.h>

#include "cli.h"

#include "banned.h"

const char cmd_version_usage[] = "usage: tpwallet version [--json]\n";

int cmd_version(struct cli *cli, int argc, char **argv)
{
    struct cli_args args;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (cli_parse(cli, argc, argv, NULL, 0, &args, &detail) != TPW_OK) {
        return cli_usage_error(cli, cmd_version_usage, detail.message);
    }
    if (args.help) {
        (void)fputs(cmd_version_usage, stdout);
        return 0;
    }
    if (args.positional_count != 0) {
        return cli_usage_error(cli, cmd_version_usage, "version takes no arguments");
    }
    if (cli->json) {
        return cli_print_json_take(cli, json_pack("{s:s,s:s,s:s}", "name", "tpwallet", "version",
                                                  tpw_version(), "commit", tpw_version_commit()));
    }
    (void)printf("tpwallet %s (commit %s)\n", tpw_version(), tpw_version_commit());
    return 0;
}
