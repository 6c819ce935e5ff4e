/*
 * `tpwallet version`: the version and the commit the binary was built from.
 */
#include <stdio.h>

#include "cli.h"

#include "banned.h"

const char cmd_version_usage[] = "usage: tpwallet version [--json]\n";

int cmd_version(struct cli *cli, int argc, char **argv)
{
    static const struct cli_spec spec = {NULL, 0, 0, 0, cmd_version_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    if (cli->json) {
        return cli_print_json_take(cli, json_pack("{s:s,s:s,s:s}", "name", "tpwallet", "version",
                                                  tpw_version(), "commit", tpw_version_commit()));
    }
    (void)printf("tpwallet %s (commit %s)\n", tpw_version(), tpw_version_commit());
    return 0;
}
