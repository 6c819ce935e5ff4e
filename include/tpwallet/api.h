/*
 * The HTTP API server behind `tpwallet serve`: Stripe-style resources under /v1 over
 * one open ledger, with group commit (concurrent requests share one journal append;
 * every response goes out only after the fdatasync covering it). docs/api.md is the
 * user's guide: routes, fields, errors, idempotency, authentication.
 *
 * Threading: the functions below are called by one thread (the one that owns the
 * server); the server runs its own threads.
 */
#ifndef TPWALLET_API_H
#define TPWALLET_API_H

#include <stdbool.h>
#include <stdint.h>

#include "tpwallet/error.h"

struct api_server_options {
    const char *data_dir;    /* an initialised ledger (tpwallet init) */
    const char *listen_host; /* a numeric IPv4 address; NULL = "127.0.0.1" */
    uint16_t port;           /* 0 = any free port (api_server_port tells which) */
    unsigned threads;        /* HTTP worker threads; 0 = 2 */
    /* Largest request body; 0 = the default (4 MiB: a batch of 8189 transfers). */
    uint64_t body_limit_bytes;
    /* A connection idle this long is closed; 0 = 30 s. */
    unsigned connection_timeout_s;
    /* Each request (headers and body) must be in within this long, however steadily it
     * trickles in; the connection is cut otherwise. Counted from the connection's
     * start or the previous request's completion. 0 = 60 s. */
    unsigned request_timeout_s;
    const char *assets_path; /* extra asset definitions (CSV) besides ISO 4217; NULL */
    bool access_log;         /* one JSON line per request on stderr */
    /* How long a POST's Idempotency-Key reply is kept; 0 = 24 h. */
    unsigned idempotency_window_s;
    /* The kept replies' log is compacted when it doubles past this; 0 = 64 MiB. */
    uint64_t idempotency_compact_bytes;
    /* GET /v1/events (docs/api.md, "Events"): the recent events kept in memory for the
     * streams (0 = 65536), the streams open at once (0 = 256) and, among them, those
     * resuming from an id older than what is kept, each with a private journal cursor
     * (0 = 2). */
    unsigned events_ring_capacity;
    unsigned events_streams_max;
    unsigned events_catchups_max;
    /* A stream silent this long gets a `: keep-alive` comment; 0 = 15 s. */
    unsigned events_keepalive_s;
    /* How long a rate set through POST /v1/rates stays fresh (docs/fx.md); 0 = 1 h. */
    unsigned fx_manual_ttl_s;
    /* How long a quote from POST /v1/quotes can be executed; 0 = 15 s. */
    unsigned fx_quote_ttl_s;
    /* House exposure limits, "USD=100000000,EUR=5000000" (minor units); NULL: none. A
     * conversion that takes a position past its limit raises an alert (docs/fx.md). */
    const char *fx_exposure_limits;
    /* Conversion fees per corridor and tier, a CSV file (docs/formats/fx-fees.md); NULL:
     * none. A file that does not read stops the start. */
    const char *fx_fees_path;
    /* The ECB's daily XML to poll (e.g. the ECB's eurofxref-daily.xml); NULL: no polling,
     * the "ecb" provider has only the stored history's newest day. Each good day is
     * merged into DATA/fx's history too. */
    const char *fx_ecb_url;
    /* Static rates (CSV, docs/formats/fx-static-rates.md): the "static" provider, last in
     * priority, never expiring; NULL: none. A file that does not read stops the start. */
    const char *fx_static_rates_path;
    /* Seconds between polls; 0 = 1800. After a failure the next poll comes sooner
     * (60 s, or this when shorter). */
    unsigned fx_ecb_poll_s;
    /* The rates' history behind GET /v1/map's `change` (docs/api.md): a sample every
     * fx_history_sample_s (0 = 60 s), kept for fx_history_window_s (0 = 86400 s: the
     * change over 24 h), at most 10,080 samples. */
    unsigned fx_history_sample_s;
    unsigned fx_history_window_s;
    /* The markets file (docs/formats/markets.md): the venues, symbols, sources and
     * failover thresholds of the market data the server follows, serves (/v1/markets)
     * and feeds to its FX rates; NULL: none. A file that does not read stops the start. */
    const char *markets_path;
    /* The dashboard's built files (docs/web.md): index.html and assets/, served at
     * GET / and GET /assets/NAME; NULL: no dashboard (those paths answer 404). */
    const char *web_root;
};

struct api_server;

/*
 * Splits one line of a settings file in place (the --config file of `tpwallet serve`,
 * the markets file): spaces and tabs around the key and the value are dropped. False
 * for a blank line or a `#` comment (nothing to read). Otherwise *key and *value point
 * into `line`; a line without '=' has *key NULL and the whole trimmed line in *value.
 */
bool api_settings_line(char *line, char **key /* out */, char **value /* out */);

/* Opens the ledger and starts listening. Errors: the ledger's open errors,
 * TPW_ERR_API_LISTEN (the address is taken or invalid), TPW_ERR_NOMEM. */
TPW_MUST_CHECK enum tpw_err api_server_start(const struct api_server_options *options,
                                             struct api_server **out /* out */,
                                             struct tpw_error_detail *detail);

/* The port it listens on (the chosen one when options->port was 0). */
uint16_t api_server_port(const struct api_server *server);

/*
 * Graceful stop: stops accepting connections, ends the event streams (GET /v1/events)
 * at once, lets the requests in flight finish (their writes are committed and
 * answered), then closes the ledger, which syncs
 * what it holds, and frees the server. Returns the first storage error, if any.
 */
enum tpw_err api_server_stop(struct api_server *server, struct tpw_error_detail *detail);

#endif /* TPWALLET_API_H */
