/*
 * Shared plumbing for tpwallet's sub-commands: the per-invocation context, option
 * parsing, the asset registry, and output (human text or --json, errors on stderr).
 * Each sub-command lives in its own cmd_<name>.c and only does its own work.
 */
#ifndef TPWALLET_CLI_H
#define TPWALLET_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "tpwallet/tpwallet.h"

struct cli {
    const char *command;      /* "money convert", for messages */
    bool json;                /* --json: results as one JSON object on stdout */
    const char *assets_path;  /* --assets FILE or $TPWALLET_ASSETS */
    money_registry *registry; /* loaded on first use by cli_registry() */
};

/* A long option: `--name VALUE` / `--name=VALUE` when `value` is set, else a flag. */
struct cli_option {
    const char *name;
    const char **value;
    bool *flag;
};

#define CLI_POSITIONALS_MAX 8

struct cli_args {
    const char *positional[CLI_POSITIONALS_MAX];
    size_t positional_count;
    bool help;
};

/*
 * Parses argv[0..argc) against `options` plus the global ones (--json, --assets,
 * -h/--help). Anything not starting with "--" is positional (so "-5" reaches the
 * decimal parser and gets its precise error); "--" ends options.
 * Returns TPW_ERR_USAGE with a message in `detail` on unknown or malformed options.
 */
TPW_MUST_CHECK enum tpw_err cli_parse(struct cli *cli, int argc, char **argv,
                                      const struct cli_option *options, size_t options_count,
                                      struct cli_args *args /* out */,
                                      struct tpw_error_detail *detail);

/* What one command accepts: options, how many positional arguments, its usage text. */
struct cli_spec {
    const struct cli_option *options;
    size_t options_count;
    size_t positional_min;
    size_t positional_max;
    const char *usage;
};

/*
 * Parses argv for one command. Returns true when the command should run; false when
 * the caller should return *status at once: a usage error (reported with the usage
 * text) or --help (usage printed on stdout, status 0).
 */
bool cli_command_args(struct cli *cli, int argc, char **argv, const struct cli_spec *spec,
                      struct cli_args *args /* out */, int *status /* out */);

/* The asset registry (built-in data plus --assets), loaded once per invocation. */
TPW_MUST_CHECK enum tpw_err cli_registry(struct cli *cli, const money_registry **out /* out */,
                                         struct tpw_error_detail *detail);

/* Looks up a money asset by code; `param` names the argument in errors. */
TPW_MUST_CHECK enum tpw_err cli_asset(struct cli *cli, const char *code, const char *param,
                                      const struct money_asset **out /* out */,
                                      struct tpw_error_detail *detail);

/*
 * Reports an error and returns the process exit status for it: a human line on
 * stderr always, and with --json the Stripe-style error object on stdout.
 */
int cli_fail(const struct cli *cli, enum tpw_err err, const struct tpw_error_detail *detail);

/* Usage error with a message; prints `usage` as a hint. Returns 64 (EX_USAGE). */
int cli_usage_error(const struct cli *cli, const char *usage, const char *message);

/* Prints `result` (taking ownership) as one compact JSON line on stdout; 0, or the
 * exit status of TPW_ERR_NOMEM/TPW_ERR_IO when it could not be built or written. */
int cli_print_json_take(const struct cli *cli, json_t *result);
/* The same with jansson's dump flags (e.g. JSON_COMPACT | JSON_REAL_PRECISION(12)). */
int cli_print_json_flags_take(const struct cli *cli, json_t *result, size_t flags);

/* {"asset":…,"exponent":…,"minor":"…","decimal":"…"} for an amount; NULL on OOM. */
json_t *cli_json_amount(const struct money_asset *asset, tpw_u128 amount_minor);

/* Decimal string of a tpw_u128 in a caller buffer of TPW_U128_DEC_SIZE bytes. */
const char *cli_u128_text(tpw_u128 value, char buf[TPW_U128_DEC_SIZE]);

/* Releases what the context holds. */
void cli_deinit(struct cli *cli);

/* Sub-commands: argv[0] is the sub-command's own name. */
int cmd_help(struct cli *cli, int argc, char **argv);
int cmd_version(struct cli *cli, int argc, char **argv);
int cmd_money(struct cli *cli, int argc, char **argv);
int cmd_id(struct cli *cli, int argc, char **argv);
int cmd_market(struct cli *cli, int argc, char **argv);
int cmd_quant(struct cli *cli, int argc, char **argv);
int cmd_backtest(struct cli *cli, int argc, char **argv);
int cmd_portfolio(struct cli *cli, int argc, char **argv);
int cmd_simulate(struct cli *cli, int argc, char **argv);
int cmd_optimize(struct cli *cli, int argc, char **argv);
int cmd_vol(struct cli *cli, int argc, char **argv);
int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_apikey(struct cli *cli, int argc, char **argv);
int cmd_fx(struct cli *cli, int argc, char **argv);

/* Usage text of each command, shown by `tpwallet help <command>` and on usage errors. */
extern const char cmd_help_usage[];
extern const char cmd_version_usage[];
extern const char cmd_money_usage[];
extern const char cmd_id_usage[];
extern const char cmd_market_usage[];
extern const char cmd_quant_usage[];
extern const char cmd_backtest_usage[];
extern const char cmd_portfolio_usage[];
extern const char cmd_simulate_usage[];
extern const char cmd_optimize_usage[];
extern const char cmd_vol_usage[];
extern const char cmd_serve_usage[];
extern const char cmd_apikey_usage[];
extern const char cmd_fx_usage[];

/* The command table (main.c), listed by `tpwallet help`. */
struct cli_command {
    const char *name;
    int (*run)(struct cli *cli, int argc, char **argv);
    const char *summary;
    const char *usage;
};
extern const struct cli_command cli_commands[];
extern const size_t cli_commands_count;

#endif /* TPWALLET_CLI_H */
