/*
 * The options a portfolio command shares (`tpwallet backtest`, `tpwallet simulate`):
 * --prices SYM=FILE (repeated or listed), --weights SYM=W,..., --cash SYM and
 * --adj-close, read into a backtest config whose assets pair each exact weight with its
 * loaded prices. Private to the CLI.
 */
#ifndef CLI_PORTFOLIO_ARGS_H
#define CLI_PORTFOLIO_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/portfolio.h"

struct portfolio_args {
    const char *prices[PORTFOLIO_ASSETS_MAX]; /* "SYM=FILE" */
    size_t prices_count;
    const char *cash;
    const char *weights;
    bool adjusted;
};

/*
 * Takes every `--prices V [V...]` out of argv (a list option the shared parser does not
 * have) into args->prices, leaving the rest, NULL-terminated, in `rest` (room for argc
 * + 1) for cli_command_args. False with a usage message when there are too many.
 */
bool portfolio_args_take_prices(int argc, char **argv, struct portfolio_args *args, char **rest,
                                int *rest_count, const char **message);

/* A finite decimal number for option --`param`; `code` (the command's own error for a bad
 * number) otherwise. */
TPW_MUST_CHECK enum tpw_err portfolio_args_number(const char *text, const char *param,
                                                  enum tpw_err code, double *out,
                                                  struct tpw_error_detail *detail);

/* portfolio_args_number with TPW_ERR_PORTFOLIO_PARAMETER_INVALID. */
TPW_MUST_CHECK enum tpw_err portfolio_args_double(const char *text, const char *param, double *out,
                                                  struct tpw_error_detail *detail);

/* A whole number from min to max for option --`param`; TPW_ERR_PORTFOLIO_PARAMETER_INVALID. */
TPW_MUST_CHECK enum tpw_err portfolio_args_count(const char *text, const char *param, uint64_t min,
                                                 uint64_t max, uint64_t *out,
                                                 struct tpw_error_detail *detail);

/* Parses the weights into config->assets (in their order), loads each asset's prices
 * into storage[i] (the caller deinits every entry), and checks that every weighted asset
 * has prices except the cash asset. Errors name the option in detail->param. */
TPW_MUST_CHECK enum tpw_err
portfolio_args_load(const struct portfolio_args *args, struct portfolio_backtest_config *config,
                    struct portfolio_series storage[PORTFOLIO_ASSETS_MAX],
                    struct tpw_error_detail *detail);

#endif /* CLI_PORTFOLIO_ARGS_H */
