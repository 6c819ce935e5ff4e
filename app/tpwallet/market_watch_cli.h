/*
 * Shared by `tpwallet market watch` and `market book` (cmd_market_watch.c,
 * cmd_market_live.c): the options both take, and the book summary output.
 */
#ifndef TPWALLET_MARKET_WATCH_CLI_H
#define TPWALLET_MARKET_WATCH_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cli.h"
#include "tpwallet/market.h"

/* The cli_option entries of every field of struct market_watch_texts, in order (13). */
#define WATCH_OPTIONS_COUNT 13
#define WATCH_OPTIONS(o)                                                                           \
    {"venue", &(o).venue, NULL}, {"symbols", &(o).symbols, NULL}, {"primary", &(o).primary, NULL}, \
        {"primary-rest", &(o).primary_rest, NULL}, {"backup", &(o).backup, NULL},                  \
        {"backup-rest", &(o).backup_rest, NULL}, {"stale-ms", &(o).stale_ms, NULL},                \
        {"hysteresis-ms", &(o).hysteresis_ms, NULL}, {"gaps-max", &(o).gaps_max, NULL},            \
        {"gap-window-ms", &(o).gap_window_ms, NULL},                                               \
        {"snapshot-timeout-ms", &(o).snapshot_timeout_ms, NULL},                                   \
        {"reconnect-ms", &(o).reconnect_ms, NULL},                                                 \
    {                                                                                              \
        "limit", &(o).limit, NULL                                                                  \
    }

/* Builds the config from the options (market_watch_config_from_texts); 0, or the usage
 * error's exit status. */
int watch_config_build(const struct cli *cli, const struct market_watch_texts *o, const char *usage,
                       struct market_watch_config *config /* out */);

/* {"type":"book",…} for an instrument; NULL on OOM. */
json_t *watch_book_json(const struct market_watch_instrument *instrument, int64_t now_us,
                        bool final);
/* The same as one human line. */
void watch_book_print(const struct market_watch_instrument *instrument, int64_t now_us);

/* The sub-commands (cmd_market_live.c), dispatched by cmd_market.c. */
/* The malformed-message counters by kind name, as replay and watch both print them. */
json_t *market_malformed_json(const uint64_t counts[MARKET_MALFORMED_COUNT]);

int cmd_market_watch(struct cli *cli, int argc, char **argv);
int cmd_market_book(struct cli *cli, int argc, char **argv);
extern const char cmd_market_watch_usage[];
extern const char cmd_market_book_usage[];

#endif /* TPWALLET_MARKET_WATCH_CLI_H */
