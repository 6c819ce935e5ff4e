/*
 * `tpwallet market replay`'s monitor (cmd_market_monitor.c, used by cmd_market.c): the
 * options that set it up, the alert lines it prints as they fire, and the trade
 * statistics and realised volatility it adds to each book's JSON.
 */
#ifndef TPWALLET_MARKET_REPLAY_CLI_H
#define TPWALLET_MARKET_REPLAY_CLI_H

#include <jansson.h>

#include "cli.h"
#include "tpwallet/market.h"

/* The option texts, NULL when not given. */
struct replay_monitor_options {
    const char *alerts;      /* --alerts RULES: a rules file */
    const char *interval_ms; /* --interval-ms N */
    const char *warmup;      /* --warmup N */
    const char *vol_source;  /* --vol-source mid|trade */
    const char *windows_ms;  /* --windows-ms A,B,… */
};

#define REPLAY_MONITOR_OPTIONS_COUNT 5
#define REPLAY_MONITOR_OPTIONS(o)                                                                  \
    {"alerts", &(o).alerts, NULL}, {"interval-ms", &(o).interval_ms, NULL},                        \
        {"warmup", &(o).warmup, NULL}, {"vol-source", &(o).vol_source, NULL},                      \
    {                                                                                              \
        "windows-ms", &(o).windows_ms, NULL                                                        \
    }

/*
 * Checks the options, reads the rules file and creates the monitor (alerts go to
 * stdout as JSON lines as they fire). Returns 0, or the exit status of the error it
 * reported; *out is NULL then.
 */
int replay_monitor_create(const struct cli *cli, const struct replay_monitor_options *options,
                          const char *usage, market_monitor **out /* out */);

/* Adds "trade_stats" and "realised_vol" for `book` to `object` (taken, returned; NULL
 * on OOM). */
json_t *replay_monitor_json_take(json_t *object, const market_monitor *monitor,
                                 const struct market_book *book,
                                 const struct replay_monitor_options *options);

/* `tpwallet market simulate` (cmd_market_simulate.c): a simulated session written in
 * the recorded format these replays read. */
extern const char cmd_market_simulate_usage[];
int cmd_market_simulate(struct cli *cli, int argc, char **argv);

#endif /* TPWALLET_MARKET_REPLAY_CLI_H */
