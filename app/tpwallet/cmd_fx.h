/*
 * Helpers shared by the `tpwallet fx` sub-commands only: cmd_fx.c (load-ecb, rate, the
 * dispatch), cmd_fx_route.c (route) and cmd_fx_client.c (quote and convert, against a
 * running server); the rates and graph of `fx route` also serve `portfolio rebalance`
 * (cmd_portfolio.c), which prices its trades on the same graph.
 */
#ifndef TPWALLET_CMD_FX_H
#define TPWALLET_CMD_FX_H

#include <limits.h>

#include "cli.h"
#include "tpwallet/fx.h"

/* DIR/fx into `path`, created (with DIR) when `create` and missing. */
TPW_MUST_CHECK enum tpw_err cmd_fx__dir(const char *data_dir, bool create,
                                        char path[PATH_MAX] /* out */,
                                        struct tpw_error_detail *detail);

/* --stale-days: a whole number of days, 0 up to a century. */
TPW_MUST_CHECK enum tpw_err cmd_fx__stale_days(const char *text, int32_t *stale_days /* out */,
                                               struct tpw_error_detail *detail);

/* The currencies and the amount of `fx route` and `fx quote`. */
struct cmd_fx_amount {
    const char *from;
    const char *to;
    const char *sell; /* --sell DEC: an amount of FROM to sell, or NULL */
    const char *buy;  /* --buy DEC: an amount of TO to receive, or NULL */
};

/* The usage message when not exactly one of --sell and --buy is given, else NULL. */
const char *cmd_fx__amount_misuse(const struct cmd_fx_amount *ask);

/*
 * Checks FROM and TO against the registry and reads the amount at its asset's exponent
 * (FROM's to sell, TO's to receive) into minor units. Errors: the registry's (param
 * "FROM" or "TO"), TPW_ERR_USAGE when FROM = TO, the decimal parser's (param "sell" or
 * "buy"). Exactly one of sell and buy is set (cmd_fx__amount_misuse).
 */
TPW_MUST_CHECK enum tpw_err cmd_fx__amount(struct cli *cli, const struct cmd_fx_amount *ask,
                                           enum fx_route_direction *direction /* out */,
                                           tpw_u128 *amount_minor /* out */,
                                           struct tpw_error_detail *detail);

/*
 * Prints a route as text from its JSON (the fields of api_route_json_add: `fx route`'s
 * own, or a quote the server sent): "`label` FROM -> TO DIRECTION: in …, out …", one
 * line per leg, the direct pair. Amounts are formatted at the registry's exponents;
 * an asset it does not know, or a field missing from a server's reply, prints as it
 * came ("?" when absent), never failing: the reply was already accepted.
 */
void cmd_fx__route_print(struct cli *cli, const char *label, const json_t *route);

/* Text of an amount given in minor units as a JSON string: "100.00 USD" (see above). */
#define CMD_FX_AMOUNT_TEXT_SIZE (MONEY_DECIMAL_TEXT_SIZE + FX_CODE_SIZE + 16)
const char *cmd_fx__amount_text(struct cli *cli, const json_t *minor, const char *code,
                                char buf[CMD_FX_AMOUNT_TEXT_SIZE]);

/* A string member of a JSON object, or "?" when absent or not a string. */
const char *cmd_fx__text(const json_t *object, const char *key);

/* The date rates are taken on: `as_of_text` (param "as-of"; *fresh is then true), else
 * the newest publication of the history in `dir` (*fresh: within `stale_days` of
 * today). TPW_ERR_FX_RATE_UNAVAILABLE (param "data") when the history is empty. */
TPW_MUST_CHECK enum tpw_err cmd_fx__rates_date(const fx_history *history, const char *as_of_text,
                                               const char *dir, int32_t stale_days,
                                               int32_t *as_of_days /* out */, bool *fresh /* out */,
                                               struct tpw_error_detail *detail);

/* The fee table of --fees `path` (param "fees"), or no fees at all when NULL. */
TPW_MUST_CHECK enum tpw_err cmd_fx__fees_read(const char *path, struct fx_fee_table *fees /* out */,
                                              struct tpw_error_detail *detail);

/*
 * The route graph of `fx route` on a date: EUR and every currency of the history fresh
 * on `as_of_days` whose exponent the registry knows, one EUR/X pair each at the ECB mid
 * (bid = ask), with `fees` (its corridors outside those currencies dropped, in place).
 * The caller destroys *out. Errors: the registry's for EUR, TPW_ERR_FX_GRAPH_TOO_LARGE
 * (param "data"), fx_graph_create's (param "fees").
 */
TPW_MUST_CHECK enum tpw_err cmd_fx__graph_build(const fx_history *history,
                                                const money_registry *registry, int32_t as_of_days,
                                                int32_t stale_days, struct fx_fee_table *fees,
                                                fx_graph **out /* out */,
                                                struct tpw_error_detail *detail);

int cmd_fx__route(struct cli *cli, int argc, char **argv);
int cmd_fx__quote(struct cli *cli, int argc, char **argv);
int cmd_fx__convert(struct cli *cli, int argc, char **argv);

#endif /* TPWALLET_CMD_FX_H */
