/*
 * `tpwallet portfolio rebalance`, split in two: cmd_portfolio.c reads the portfolio and
 * prices its plan, cmd_portfolio_execute.c runs it on the ledger and prints both.
 */
#ifndef TPWALLET_CMD_PORTFOLIO_H
#define TPWALLET_CMD_PORTFOLIO_H

#include "cmd_fx.h"
#include "ledger_cli.h"
#include "tpwallet/exchange.h"
#include "tpwallet/portfolio.h"

struct rebalance_options {
    const char *data_dir;
    const char *base;
    const char *holdings;
    const char *band;
    const char *as_of;
    const char *stale_days;
    const char *fees_path;
    bool execute;
};

/* Transfers of one group at most: every trade a full quote. */
#define REBALANCE_TRANSFERS_MAX ((size_t)EXCHANGE_HOLDINGS_MAX * EXCHANGE_TRANSFERS_MAX)

/* A rebalance from its holdings to its result (heap: about 40 KB). */
struct rebalance_ctx {
    struct ledger *ledger;
    const money_registry *registry;
    struct exchange_holding holdings[EXCHANGE_HOLDINGS_MAX];
    uint32_t ledger_assets[EXCHANGE_HOLDINGS_MAX]; /* each holding's ledger asset number */
    size_t count;
    size_t base_index;
    enum exchange_destination kind;
    int32_t as_of_days;
    int32_t stale_days;
    bool fresh;
    struct exchange_rebalance plan;
    struct fx_route_explanation why[EXCHANGE_HOLDINGS_MAX]; /* each trade's route */
    bool executed;
    tpw_u128 transfer_ids[REBALANCE_TRANSFERS_MAX];
    size_t transfer_count;
};

/* Locks the priced trades as quotes and runs them as ONE linked group: all or nothing.
 * Errors: the ledger's (assets, house accounts), exchange_group_results_check's. */
TPW_MUST_CHECK enum tpw_err cmd_portfolio__execute(struct cli *cli, struct rebalance_ctx *ctx,
                                                   struct tpw_error_detail *detail);

/* The preview (and the execution's result) as JSON or text; returns the exit status. */
int cmd_portfolio__print(struct cli *cli, const struct rebalance_ctx *ctx);

#endif /* TPWALLET_CMD_PORTFOLIO_H */
