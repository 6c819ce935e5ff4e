/*
 * tpwallet — the one binary. git-style: `tpwallet [global options] <command> [args]`.
 *
 * main() only reads the environment and global options, dispatches to the command's
 * cmd_*.c, and turns its result into the exit status (sysexits.h). Messages go to
 * stderr; results go to stdout, as JSON with --json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ledger_cli.h"
#include "log.h"

#include "banned.h"

const struct cli_command cli_commands[] = {
    {"help", cmd_help, "show help for tpwallet or for one command", cmd_help_usage},
    {"version", cmd_version, "print the version and the commit it was built from",
     cmd_version_usage},
    {"money", cmd_money, "exact money: parse, format, convert, fee, assets", cmd_money_usage},
    {"id", cmd_id, "make and read 128-bit time-ordered identifiers", cmd_id_usage},
    {"init", cmd_init, "create an empty ledger in a data directory", cmd_init_usage},
    {"account", cmd_account, "ledger accounts: create, show, list, import", cmd_account_usage},
    {"transfer", cmd_transfer,
     "ledger transfers: create (pending, post, void, linked), show, "
     "import",
     cmd_transfer_usage},
    {"history", cmd_history, "an account's transfers, page by page", cmd_history_usage},
    {"journal", cmd_journal, "verify the journal: framing, checksums, hash chain",
     cmd_journal_usage},
    {"replay", cmd_replay, "rebuild the state from the journal and print its hash",
     cmd_replay_usage},
    {"events", cmd_events, "the ledger's history as events, resumable by event id",
     cmd_events_usage},
    {"fx", cmd_fx, "FX: ECB rate history, cross rates, routes; quotes and conversions on a server",
     cmd_fx_usage},
    {"market", cmd_market, "order books: replay recorded feeds, watch live ones with failover",
     cmd_market_usage},
    {"quant", cmd_quant, "option prices, greeks and implied volatility", cmd_quant_usage},
    {"backtest", cmd_backtest, "the reference rebalancing backtest over daily price files",
     cmd_backtest_usage},
    {"portfolio", cmd_portfolio,
     "rebalance a portfolio of ledger accounts at the ECB mids: preview, then --execute",
     cmd_portfolio_usage},
    {"simulate", cmd_simulate, "Monte Carlo and stress runs of a rebalanced portfolio",
     cmd_simulate_usage},
    {"optimize", cmd_optimize,
     "portfolio weights: min volatility, max Sharpe, quadratic utility, HRP, risk parity",
     cmd_optimize_usage},
    {"vol", cmd_vol, "volatility of a return series: EWMA, GARCH(1,1)", cmd_vol_usage},
    {"serve", cmd_serve, "the HTTP API on a data directory (docs/api.md)", cmd_serve_usage},
    {"apikey", cmd_apikey, "the HTTP API's keys: create, list, revoke", cmd_apikey_usage},
};
const size_t cli_commands_count = sizeof(cli_commands) / sizeof(cli_commands[0]);

static const char main_usage[] = "usage: tpwallet [--json] [--assets FILE] <command> [args]\n"
                                 "       tpwallet help [command]\n";

static const struct cli_command *find_command(const char *name)
{
    for (size_t index = 0; index < cli_commands_count; index++) {
        if (strcmp(cli_commands[index].name, name) == 0) {
            return &cli_commands[index];
        }
    }
    return NULL;
}

/* TPWALLET_LOG=debug|info|warn|error|off; a bad value is reported, not ignored. */
static int configure_from_environment(struct cli *cli)
{
    const char *level_name = getenv("TPWALLET_LOG");
    if (level_name != NULL && level_name[0] != '\0') {
        enum tpw_log_level level;
        if (tpw_log_level_parse(level_name, &level) != TPW_OK) {
            return cli_usage_error(cli, "TPWALLET_LOG is one of debug, info, warn, error, off\n",
                                   "invalid TPWALLET_LOG");
        }
        tpw_log_set_level(level);
    }
    const char *assets = getenv("TPWALLET_ASSETS");
    if (assets != NULL && assets[0] != '\0') {
        cli->assets_path = assets;
    }
    return 0;
}

/* Global options before the command; returns the index of the command word. */
static int parse_global_options(struct cli *cli, int argc, char **argv, int *status)
{
    int index = 1;
    for (; index < argc && argv[index][0] == '-'; index++) {
        const char *arg = argv[index];
        if (strcmp(arg, "--json") == 0) {
            cli->json = true;
        } else if (strcmp(arg, "--assets") == 0 && index + 1 < argc) {
            cli->assets_path = argv[++index];
        } else if (strncmp(arg, "--assets=", 9) == 0) {
            cli->assets_path = arg + 9;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            return argc; /* shows the main help */
        } else {
            char message[128];
            (void)snprintf(message, sizeof(message),
                           strcmp(arg, "--assets") == 0 ? "option '%.40s' needs a value"
                                                        : "unknown global option '%.40s'",
                           arg);
            *status = cli_usage_error(cli, main_usage, message);
            return -1;
        }
    }
    return index;
}

int main(int argc, char **argv)
{
    struct cli cli = {.command = "", .json = false, .assets_path = NULL, .registry = NULL};
    int status = configure_from_environment(&cli);
    if (status != 0) {
        return status;
    }
    int index = parse_global_options(&cli, argc, argv, &status);
    if (index < 0) {
        return status;
    }
    if (index >= argc) {
        cli.command = "help";
        char help_word[] = "help";
        char *help_argv[] = {help_word, NULL};
        return cmd_help(&cli, 1, help_argv);
    }
    const struct cli_command *command = find_command(argv[index]);
    if (command == NULL) {
        return cli_usage_error(&cli, main_usage, "unknown command; see 'tpwallet help'");
    }
    cli.command = command->name;
    uint64_t start_ns = tpw_clock_monotonic_ns();
    status = command->run(&cli, argc - index, argv + index);
    TPW_LOGF(TPW_LOG_DEBUG, "cli.exit", TPW_LOG_STR("command", command->name),
             TPW_LOG_I64("status", status),
             TPW_LOG_U64("duration_us", (tpw_clock_monotonic_ns() - start_ns) / 1000));
    cli_deinit(&cli);
    return status;
}
