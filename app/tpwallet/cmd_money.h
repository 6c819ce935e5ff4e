/*
 * Helpers shared by cmd_money.c and cmd_money_convert.c only.
 */
#ifndef TPWALLET_CMD_MONEY_H
#define TPWALLET_CMD_MONEY_H

#include "cli.h"

int cmd_money__usage_error(struct cli *cli, const char *message);

/* Parses argv for a money sub-command. Returns false when the caller should return
 * *status (usage error, or --help already printed). */
bool cmd_money__args(struct cli *cli, int argc, char **argv, const struct cli_option *options,
                     size_t options_count, size_t positional_count, struct cli_args *args,
                     int *status);

/* Parses an amount of `asset`, naming `param` in errors. */
TPW_MUST_CHECK enum tpw_err cmd_money__amount(const struct money_asset *asset, const char *text,
                                              const char *param, tpw_u128 *out /* out */,
                                              struct tpw_error_detail *detail);

int cmd_money__convert(struct cli *cli, int argc, char **argv);
int cmd_money__fee(struct cli *cli, int argc, char **argv);

#endif /* TPWALLET_CMD_MONEY_H */
