/*
 * The HTTP API's internals, shared by its files:
 *   server.c          libmicrohttpd glue: start/stop, the request state machine,
 *                     suspend while a write is committed, resume to answer
 *   reply.c           JSON replies and error objects, Request-Id, query parameters
 *   router.c          method + path → route, path parameters
 *   assets.c          the server's copy of the ledger's asset table (read without the
 *                     ledger lock) and the registry for new accounts
 *   commit.c          the group committer: one thread, one ledger batch per group
 *   apikey.c          the API key file: create, revoke, list, read its lines
 *   keystore.c        the server's keys: authentication, per-key rate limits
 *   idempotency.c     Idempotency-Key: kept replies, their durable log, replay
 *   events.c          the event pump (one journal cursor per server, a ring of recent
 *                     events as SSE text) and the streams reading it
 *   signals.c         live signals on the event stream (its own header, signals.h)
 *   rates.c, rates_ecb.c, rates_quote.c, rates_ticker.c
 *                     the FX aggregator, the ECB provider and poller, quotes and
 *                     exposure, exchange tickers (their shared state in rates.h)
 *   markets.c, markets_file.c
 *                     market data: the markets file, a watch thread each, the books
 *                     readers see, failover signals, tickers into the rates (markets.h)
 *   web.c             the dashboard's built files, read at start, served by name
 *   valuation.c       an asset's valuation rate in a base currency (up to three legs)
 *   metrics.c         counters and histograms, the Prometheus text (its own header,
 *                     metrics.h, so unit tests can use it alone)
 *   routes_accounts.c, routes_transfers.c, routes_ops.c, routes_events.c,
 *   routes_metrics.c, routes_markets.c, routes_map.c, routes_portfolios.c,
 *   routes_portfolios_rebalance.c: the resources
 *   routes_portfolios_store.c
 *                     portfolios in memory and their journal, DATA/portfolios.jsonl
 */
#ifndef TPW_API_INT_H
#define TPW_API_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <microhttpd.h>

#include "tpwallet/api.h"
#include "tpwallet/api_json.h"
#include "tpwallet/apikey.h"
#include "tpwallet/exchange.h"
#include "tpwallet/fx.h"
#include "tpwallet/ledger.h"
#include "tpwallet/money.h"

#include "metrics.h"
#include "signals.h"

/* Defaults of struct api_server_options. */
#define API_BODY_LIMIT_DEFAULT_BYTES (4u << 20)
#define API_TIMEOUT_DEFAULT_S 30u
#define API_REQUEST_TIMEOUT_DEFAULT_S 60u
#define API_FX_MANUAL_TTL_DEFAULT_S 3600u
#define API_FX_QUOTE_TTL_DEFAULT_S 15u
#define API_THREADS_DEFAULT 2u
/* Per connection: headers beyond this are refused (a header flood gets 431). libmicrohttpd
 * clears the pool between requests, so its size is paid on every request. */
#define API_CONNECTION_MEMORY_BYTES (8u << 10)
/* List endpoints: `limit` 1..100, default 10 (Stripe's). */
#define API_LIST_LIMIT_DEFAULT 10u
#define API_LIST_LIMIT_MAX 100u
#define API_REQUEST_ID_SIZE 32
/* GET /v1/events. The ring: recent events (a record each, ~400 bytes, allocated at
 * start) bounded in count (the option, default below) and their SSE texts, made when
 * first sent, in bytes (a transfer event is ~1.5 KiB with its decimals). */
#define API_EVENTS_RING_CAPACITY_DEFAULT 65536u
#define API_EVENTS_RING_BYTES_MAX (64u << 20)
#define API_EVENTS_STREAMS_DEFAULT 256u
#define API_EVENTS_CATCHUPS_DEFAULT 2u
/* The pump polls the journal this often when no commit woke it (another process may
 * write: `tpwallet` commands beside the server). */
#define API_EVENTS_POLL_MS 50u
/* A stream silent this long gets a `: keep-alive` comment (proxies and clients keep it). */
#define API_EVENTS_KEEPALIVE_DEFAULT_S 15u
/* Events the pump reads before publishing them, so a backlog reaches streams in steps. */
#define API_EVENTS_ROUND_MAX 4096u
/* Events a catch-up stream reads from its cursor per call (its worker serves others). */
#define API_EVENTS_CATCHUP_READ_MAX 1024u
/* A resume id past what the pump has read: how long to let the pump look for it. */
#define API_EVENTS_FUTURE_WAIT_MS 250u
/* The block size asked of libmicrohttpd for a stream's body. */
#define API_EVENTS_BLOCK_BYTES (16u << 10)
/* Sent first on every stream: the client's reconnection delay (ms). */
#define API_EVENTS_PREAMBLE "retry: 2000\n\n"

/* ---- assets.c ------------------------------------------------------------------- */

struct api_assets {
    pthread_rwlock_t lock;
    struct ledger_asset *table; /* by number - 1 */
    size_t count;
    size_t capacity;
    money_registry *registry; /* immutable after start: read without the lock */
};

TPW_MUST_CHECK enum tpw_err api_assets_init(struct api_assets *assets, const char *assets_path,
                                            struct tpw_error_detail *detail);
void api_assets_deinit(struct api_assets *assets);
/* Copies the ledger's table (the caller holds the ledger lock). */
TPW_MUST_CHECK enum tpw_err api_assets_refresh(struct api_assets *assets,
                                               const struct ledger *ledger);
bool api_assets_by_number(struct api_assets *assets, uint32_t number,
                          struct ledger_asset *out /* out */);
bool api_assets_by_code(struct api_assets *assets, const char *code,
                        struct ledger_asset *out /* out */);
/* A transfer's asset: one the ledger has (TPW_ERR_LEDGER_ASSET_NOT_FOUND, or the
 * registry's unknown-asset error for codes nobody defined). */
TPW_MUST_CHECK enum tpw_err api_assets_resolve(struct api_assets *assets, const char *code,
                                               uint32_t *number /* out */,
                                               struct tpw_error_detail *detail);

/* ---- apikey.c ------------------------------------------------------------------- */

#define API_KEY_ID_TEXT_SIZE 17 /* 16 hex digits and the NUL */
#define API_KEY_HASH_SIZE 32    /* BLAKE2b-256 of the secret */
#define API_KEYFILE_PATH_SIZE 4096

struct api_key_record {
    struct api_key_info info;
    uint8_t secret_hash[API_KEY_HASH_SIZE];
};

/* One line of the key file. */
struct api_keyfile_line {
    enum { API_KEYFILE_CREATE = 1, API_KEYFILE_REVOKE = 2 } op;
    uint64_t id;
    uint64_t revoked_ns;          /* REVOKE */
    struct api_key_record record; /* CREATE */
};

typedef enum tpw_err api_keyfile_apply(void *context, const struct api_keyfile_line *line,
                                       struct tpw_error_detail *detail);

/* Hands every complete line from *offset on to `apply` in order and advances *offset
 * past them (a torn last line is left for later). No file reads as empty.
 * TPW_ERR_API_KEYFILE_CORRUPT, TPW_ERR_IO, TPW_ERR_NOMEM, or `apply`'s error. */
TPW_MUST_CHECK enum tpw_err api_keyfile_read(const char *data_dir, uint64_t *offset /* in/out */,
                                             api_keyfile_apply *apply, void *context,
                                             struct tpw_error_detail *detail);
void api_key_id_format(uint64_t id, char out[API_KEY_ID_TEXT_SIZE]);
/* Splits a key's text into its id and secret; false when it is not a key's form. */
bool api_key_text_split(const char *text, size_t length, uint64_t *id /* out */,
                        uint8_t secret[32] /* out */);
void api_key_secret_hash(const uint8_t secret[32], uint8_t hash[API_KEY_HASH_SIZE] /* out */);

/* ---- keystore.c ------------------------------------------------------------------ */

/* Who is calling: the key a request authenticated with. */
struct api_principal {
    uint64_t key_id;
    enum api_role role;
    tpw_u128 owner; /* user keys */
};

struct api_keystore;

/* Loads the key file (TPW_ERR_API_KEYFILE_CORRUPT stops the server from starting). */
TPW_MUST_CHECK enum tpw_err api_keystore_open(const char *data_dir,
                                              struct api_keystore **out /* out */,
                                              struct tpw_error_detail *detail);
void api_keystore_close(struct api_keystore *store);
/* Keys that work now (for the start-up hint). */
size_t api_keystore_live_count(struct api_keystore *store);
/*
 * Checks an Authorization header value ("Bearer <key>") and takes a token from the
 * key's bucket. TPW_OK fills *principal; TPW_ERR_API_UNAUTHENTICATED (missing,
 * malformed, unknown or revoked key); TPW_ERR_API_RATE_LIMITED with *retry_after_s.
 * Re-reads the key file at most once a second, so new and revoked keys take effect.
 */
TPW_MUST_CHECK enum tpw_err api_keystore_authenticate(struct api_keystore *store,
                                                      const char *authorization, uint64_t now_ns,
                                                      struct api_principal *principal /* out */,
                                                      unsigned *retry_after_s /* out */);

/* ---- idempotency.c --------------------------------------------------------------- */

#define API_IDEM_KEY_MAX 255
#define API_IDEM_FINGERPRINT_SIZE 32
#define API_IDEM_WINDOW_NS (UINT64_C(24) * 3600u * 1000000000u)
#define API_IDEM_MAX_ENTRIES 1000000u
#define API_IDEM_COMPACT_DEFAULT_BYTES (UINT64_C(64) << 20)

struct api_idempotency;
struct api_idem_entry;
struct api_reply;
struct api_write;

/* Loads DATA/idempotency.jsonl (records younger than `window_ns`, at most
 * `max_entries`), rewrites it with them and opens it for appending; the log is
 * compacted again whenever it doubles past `compact_min_bytes`. */
TPW_MUST_CHECK enum tpw_err api_idem_open(const char *data_dir, size_t max_entries,
                                          uint64_t window_ns, uint64_t compact_min_bytes,
                                          struct api_idempotency **out /* out */,
                                          struct tpw_error_detail *detail);
void api_idem_close(struct api_idempotency *idem);
/* Replies kept in memory, reserved ones included (for the metrics). */
size_t api_idem_entries_count(struct api_idempotency *idem);
bool api_idem_key_valid(const char *key);
/* BLAKE2b-256 of what makes two requests the same: method, path, body. */
void api_idem_fingerprint(const char *method, const char *path, const char *body,
                          size_t body_length, uint8_t out[API_IDEM_FINGERPRINT_SIZE] /* out */);

enum api_idem_begin {
    API_IDEM_NEW,      /* *entry reserved: run the request */
    API_IDEM_REPLAY,   /* *replay holds the kept status and body (malloc'd) */
    API_IDEM_MISMATCH, /* kept for other parameters: 422 */
    API_IDEM_IN_USE,   /* the first request is still running: 409 */
    API_IDEM_NOMEM,
};
enum api_idem_begin api_idem_begin(struct api_idempotency *idem, uint64_t scope, const char *key,
                                   const uint8_t fingerprint[API_IDEM_FINGERPRINT_SIZE],
                                   struct api_idem_entry **entry /* out */,
                                   struct api_reply *replay /* out */);
/* The request ended without reaching the ledger: nothing is kept. */
void api_idem_abandon(struct api_idempotency *idem, struct api_idem_entry *entry);
/* The committer, after building a group's replies and before releasing them: keeps
 * each idempotent write's reply (not 5xx), durable with one append and fdatasync. */
void api_idem_record_writes(struct api_idempotency *idem, struct api_write **writes, size_t count);

/* ---- rates.c, rates_ecb.c, rates_quote.c ------------------------------------------- */

/* The server's FX aggregator (docs/fx.md) behind a read-write lock, with the "manual"
 * provider (POST /v1/rates), the "ecb" provider (the newest day of DATA/fx's history,
 * then the fx_ecb_url poller), a ticker thread re-evaluating statuses each second, the
 * quote book and the exposure limits (rates*.c, rates.h). A stored history that
 * does not load stops the start (TPW_ERR_FX_HISTORY_CORRUPT). */
struct api_rates;
struct api_rates_options {
    const char *data_dir;        /* DATA/fx holds the ECB history */
    const char *fees_path;       /* fx_fees: a fee table (CSV), NULL for none */
    const char *exposure_limits; /* fx_exposure_limits, NULL for none */
    unsigned manual_ttl_s;
    unsigned quote_ttl_s;
    const char *ecb_url;           /* fx_ecb_url: NULL, no poller */
    const char *static_rates_path; /* fx_static_rates: a CSV, NULL for none */
    unsigned ecb_poll_s;
    unsigned history_sample_s;   /* fx_history_sample_s: 0 = 60 */
    unsigned history_window_s;   /* fx_history_window_s: 0 = 86400 */
    struct api_signals *signals; /* where status changes and alerts are published */
};
TPW_MUST_CHECK enum tpw_err api_rates_start(const struct api_rates_options *options,
                                            struct api_rates **out,
                                            struct tpw_error_detail *detail);
void api_rates_stop(struct api_rates *rates); /* NULL is ignored */
/* Stores an operator's quote (set with key `key_id`), dated now (quote->time_ns is set),
 * durable in DATA/fx/manual-rates.jsonl before it counts, and returns the pair's rate
 * after it; the aggregator's refusals and a failed write (TPW_ERR_IO) change nothing. */
TPW_MUST_CHECK enum tpw_err api_rates_set_manual(struct api_rates *rates, struct fx_quote *quote,
                                                 uint64_t key_id, struct fx_rate *out /* out */,
                                                 struct tpw_error_detail *detail);
TPW_MUST_CHECK enum tpw_err api_rates_get(struct api_rates *rates, const char *base,
                                          const char *quote, struct fx_rate *out /* out */,
                                          struct tpw_error_detail *detail);
/* Every quoted pair's rate, in order of first appearance: *out is malloc'd (free it). */
TPW_MUST_CHECK enum tpw_err api_rates_list(struct api_rates *rates, struct fx_rate **out,
                                           size_t *count /* out */);
struct api_rates_stats {
    uint64_t now_ns;
    uint64_t status_changes;
    size_t providers_count;
    struct fx_provider_stats providers[FX_PROVIDERS_MAX];
};
void api_rates_stats(struct api_rates *rates, struct api_rates_stats *out /* out */);

/* What POST /v1/quotes asks for. */
struct api_quote_request {
    char from[FX_CODE_SIZE];
    char to[FX_CODE_SIZE];
    tpw_u128 amount_minor; /* of `from` to sell, or of `to` to receive */
    tpw_u128 owner;        /* a user key's owner, else 0 */
    enum fx_route_direction direction;
};
/* Prices the request on the fresh pairs now (with the fx_fees table) and locks the
 * quote. Errors: the pair's (rate_unavailable, rate_stale, rate_degraded), the route
 * search's (fx_no_route, fx_amount_too_small, …), quotes_full. */
TPW_MUST_CHECK enum tpw_err api_rates_quote(struct api_rates *rates, const money_registry *registry,
                                            const struct api_quote_request *ask,
                                            struct exchange_quote *quote /* out */,
                                            struct fx_route_explanation *explanation /* out */,
                                            struct tpw_error_detail *detail);
TPW_MUST_CHECK enum tpw_err api_rates_quote_take(struct api_rates *rates, tpw_u128 id,
                                                 struct exchange_quote *out /* out */,
                                                 struct tpw_error_detail *detail);
void api_rates_quote_release(struct api_rates *rates, tpw_u128 id, bool spent);
/* The exposure limit configured for `code` (fx_exposure_limits), if any. */
bool api_rates_exposure_limit(struct api_rates *rates, const char *code,
                              tpw_u128 *limit_minor /* out */);
/* After a conversion: the asset's position now; crossing its limit (within → over) is an
 * alert (a log line fx.exposure_alert and a count). */
void api_rates_exposure_note(struct api_rates *rates, const char *code,
                             const struct exchange_position *position);
uint64_t api_rates_exposure_alerts(struct api_rates *rates);
/* rates_ticker.c: a venue of the markets file as a provider (under the write lock),
 * and a book's top of book as its quote (fx_quote_from_ticker, then the aggregator's
 * update under the write lock). Errors: fx_aggregator_provider_add()'s;
 * fx_quote_from_ticker()'s and fx_aggregator_update()'s, changing nothing. */
TPW_MUST_CHECK enum tpw_err api_rates_ticker_provider(struct api_rates *rates,
                                                      const struct fx_provider_config *config,
                                                      uint32_t *provider_id /* out */,
                                                      struct tpw_error_detail *detail);
TPW_MUST_CHECK enum tpw_err api_rates_ticker_update(struct api_rates *rates, uint32_t provider_id,
                                                    const struct fx_ticker *ticker,
                                                    struct tpw_error_detail *detail);

/* ---- markets.c, markets_file.c, routes_markets.c ------------------------------------ */

/* The server's market data (docs/formats/markets.md, docs/api.md "Markets"): the watches
 * of the markets file, a thread each, their books for the readers, their failovers as
 * signals and their top of book as FX quotes (markets.h). */
struct api_markets;
/* Reads the markets file at `path` (NULL: no markets; *out is then NULL too), registers
 * each venue as an FX provider of `rates` and starts the watches. Errors:
 * TPW_ERR_MARKETS_CONFIG_INVALID (the file's line named), TPW_ERR_NOT_FOUND, and
 * market_watch_create()'s, named by the watch's line. */
TPW_MUST_CHECK enum tpw_err api_markets_start(const char *path, struct api_rates *rates,
                                              struct api_signals *signals,
                                              struct api_markets **out /* out */,
                                              struct tpw_error_detail *detail);
/* Stops every watch's thread (each within one poll, ~10 ms) and frees them; before the
 * rates and the signals they publish to. NULL is ignored. */
void api_markets_stop(struct api_markets *markets);
/* ---- web.c --------------------------------------------------------------------------- */

/* The dashboard's built files (docs/web.md), held in memory. */
struct api_web;
/* Reads ROOT/index.html and the regular files of ROOT/assets (root NULL: *out NULL, no
 * dashboard). Errors: TPW_ERR_WEB_ROOT_INVALID (no index.html, too many or too large
 * files), TPW_ERR_IO, TPW_ERR_NOMEM. */
TPW_MUST_CHECK enum tpw_err api_web_load(const char *root, struct api_web **out /* out */,
                                         struct tpw_error_detail *detail);
void api_web_free(struct api_web *web); /* NULL is ignored */

/* ---- valuation.c ------------------------------------------------------------------ */

/* The most legs a valuation rate takes (asset → other → pivot → base): its path lists
 * the assets in between. */
#define API_VALUE_PATH_MAX 2
struct api_value_rate {
    struct money_rate mid; /* base per one unit of the asset */
    enum fx_status status; /* the worst of its legs' */
    uint64_t time_ns;      /* the oldest of its legs' quotes */
    char path[API_VALUE_PATH_MAX][FX_CODE_SIZE];
    size_t path_count;
};
/* One unit of `asset` in `base` at the live mids, through at most three legs (docs/api.md
 * "The asset map"). TPW_ERR_FX_PAIR_UNKNOWN when nothing reaches it; TPW_ERR_NOMEM. */
TPW_MUST_CHECK enum tpw_err api_value_rate_get(struct api_rates *rates, const char *asset,
                                               const char *base,
                                               struct api_value_rate *out /* out */);

/* rate_history.c: the rates' recent past (docs/api.md "The asset map", `change`). One
 * unit of `asset` in `base` about a window back: from the newest sample at least the
 * window old that has it, else the oldest that has it; *since_ns is that sample's time
 * (0 for the base itself, worth 1 always). False when no sample has it — a base first
 * asked for now is sampled from the next period on. */
bool api_rate_history_mid(struct api_rates *rates, const char *asset, const char *base,
                          struct money_rate *mid /* out */, uint64_t *since_ns /* out */);
uint64_t api_rate_history_window_ns(const struct api_rates *rates);

/* routes_exposure.c: each route asset's position after a conversion, noted for alerts. */
void api_exposure_after_conversion(struct api_server *server, const struct exchange_quote *quote);

/* ---- routes_portfolios_store.c: portfolios and their journal ----------------------- */

/* Portfolios one server keeps (in memory, from DATA/portfolios.jsonl at start). */
#define API_PORTFOLIOS_MAX 4096u
#define API_PORTFOLIO_NAME_MAX 64u
#define API_PORTFOLIO_PREFIX "pf"
#define API_PLAN_PREFIX "rbp"
/* Open rebalance plans: a ring, the oldest forgotten first (a plan lives for as long as
 * its quotes, fx_quote_ttl_s). */
#define API_PLANS_MAX 64u

enum api_drift { API_DRIFT_ABSOLUTE = 1, API_DRIFT_RELATIVE = 2 };

struct api_portfolio_holding {
    tpw_u128 account_id;
    uint64_t target_e18;
    uint64_t band_e18; /* as given: the drift allowed, absolute or relative to the target */
};

struct api_portfolio {
    tpw_u128 id;
    tpw_u128 owner;
    uint64_t created_ns;
    struct api_portfolio_holding holdings[EXCHANGE_HOLDINGS_MAX];
    size_t count;
    enum api_drift drift;
    enum exchange_destination destination;
    char base[FX_CODE_SIZE];
    char name[API_PORTFOLIO_NAME_MAX + 1];
};

/* A previewed plan: its trades, the quotes locked for them, the balances it was made on. */
struct api_rebalance_plan {
    tpw_u128 id;
    tpw_u128 portfolio_id;
    uint64_t expires_ns; /* the first of its quotes' expiries */
    struct exchange_rebalance plan;
    tpw_u128 quote_ids[EXCHANGE_HOLDINGS_MAX];
    tpw_u128 balances_minor[EXCHANGE_HOLDINGS_MAX];
    tpw_u128 total_cost_minor;
};

struct api_portfolios;
struct api_visibility;
struct api_request;

/* Opens DATA/portfolios.jsonl (created when missing), cuts a torn tail and replays it.
 * Errors: TPW_ERR_IO, TPW_ERR_NOMEM, TPW_ERR_PORTFOLIO_LOG_CORRUPT. */
TPW_MUST_CHECK enum tpw_err api_portfolios_open(const char *data_dir,
                                                struct api_portfolios **out /* out */,
                                                struct tpw_error_detail *detail);
void api_portfolios_close(struct api_portfolios *store); /* NULL is ignored */
/* From then on each journalled event is also published as a staff-only signal. */
void api_portfolios_signals_set(struct api_portfolios *store, struct api_signals *signals);
/* A new id for a portfolio or a plan (time-ordered, unguessable). Any thread. */
tpw_u128 api_portfolios_new_id(struct api_portfolios *store);
/* The portfolio `id` copied out; false when there is none. Any thread. */
bool api_portfolios_get(struct api_portfolios *store, tpw_u128 id,
                        struct api_portfolio *out /* out */);
/* Up to `max` portfolios `view` may see after `after_id` (0: from the first), in
 * creation order; *has_more when more follow. False when `after_id` is unknown. */
bool api_portfolios_page(struct api_portfolios *store, tpw_u128 after_id,
                         const struct api_visibility *view, struct api_portfolio *out, size_t max,
                         size_t *count /* out */, bool *has_more /* out */);
/* Journals `portfolio.created` (appended and fsync'd), then keeps the portfolio.
 * Committer's thread. Errors: TPW_ERR_PORTFOLIOS_FULL, TPW_ERR_IO, TPW_ERR_NOMEM. */
TPW_MUST_CHECK enum tpw_err api_portfolios_add(struct api_portfolios *store,
                                               const struct api_portfolio *portfolio,
                                               struct tpw_error_detail *detail);
/* Journals one event `kind` of portfolio `id` with its JSON `data` (taken), appended and
 * fsync'd. Committer's thread. Errors: TPW_ERR_IO, TPW_ERR_NOMEM. */
TPW_MUST_CHECK enum tpw_err api_portfolios_journal(struct api_portfolios *store, const char *kind,
                                                   tpw_u128 id, json_t *data,
                                                   struct tpw_error_detail *detail);
/* Keeps a previewed plan (the oldest is forgotten when the ring is full). */
void api_portfolios_plan_keep(struct api_portfolios *store, const struct api_rebalance_plan *plan);
/* Takes plan `id` of portfolio `portfolio_id` for execution (no other request can take
 * it meanwhile). Errors: TPW_ERR_PORTFOLIO_PLAN_UNKNOWN, _EXPIRED, _USED. */
TPW_MUST_CHECK enum tpw_err api_portfolios_plan_take(struct api_portfolios *store, tpw_u128 id,
                                                     tpw_u128 portfolio_id, uint64_t now_ns,
                                                     struct api_rebalance_plan *out /* out */,
                                                     struct tpw_error_detail *detail);
/* Ends a take: `spent` marks it used for good, else it can be taken again. */
void api_portfolios_plan_release(struct api_portfolios *store, tpw_u128 id, bool spent);
/* A portfolio's definition as journalled and shown (no valuation); NULL: out of memory. */
json_t *api_portfolio_definition_json(const struct api_portfolio *portfolio);

/* routes_portfolios.c, shared with routes_portfolios_rebalance.c: a portfolio's holdings
 * now — balances (posted credits − debits) from the ledger, bands made absolute, mids
 * from the live valuation rates (valuation.c, as GET /v1/map) — and the base holding
 * (the first in the base asset). Errors: TPW_ERR_PORTFOLIO_ACCOUNT_UNKNOWN,
 * TPW_ERR_REBALANCE_INVALID (a balance below zero), TPW_ERR_FX_PAIR_UNKNOWN (no rate),
 * TPW_ERR_PORTFOLIO_NO_BASE_HOLDING; index and param name the holding. */
struct api_portfolio_state {
    struct exchange_holding holdings[EXCHANGE_HOLDINGS_MAX];
    struct api_value_rate rates[EXCHANGE_HOLDINGS_MAX];
    size_t base_index;
};
TPW_MUST_CHECK enum tpw_err api_portfolio_state_read(struct api_server *server,
                                                     const struct api_portfolio *portfolio,
                                                     struct api_portfolio_state *out /* out */,
                                                     struct tpw_error_detail *detail);
/* Submits the request's write as API_WRITE_RECORD: `run` journals `context` on the
 * committer's thread, then `complete` replies (and frees `context`). */
void api_record_submit(struct api_request *request, void *context,
                       enum tpw_err (*run)(struct api_write *write),
                       void (*complete)(struct api_write *write));
/* The portfolio of a path id the caller may see; false after replying 400/404. */
bool api_portfolio_find(struct api_request *request, const char *id_text,
                        struct api_portfolio *out /* out */);
/* A weight × 10^18 as its decimal text. */
json_t *api_weight_json(uint64_t value_e18);
/* Sets `key` (minor units) and `key`_decimal (at the asset's exponent); returns `object`. */
json_t *api_minor_decimal_set(json_t *object, const char *key, const struct money_asset *asset,
                              tpw_u128 minor);
/* A valuation's summary: total (and _decimal) in the base, status (the worst rate's),
 * outside_band. */
json_t *api_valuation_json(const struct api_portfolio_state *state, size_t count,
                           const struct exchange_valuation *valuation);

/* ---- commit.c ------------------------------------------------------------------- */

enum api_write_kind {
    API_WRITE_TRANSFERS,
    API_WRITE_ACCOUNT,
    API_WRITE_CONVERSION,
    /* A record of the server's own (a portfolio event): `run` journals it on the
     * committer's thread, in order with the ledger's writes; its error is the write's. */
    API_WRITE_RECORD,
    /* A rebalance: `legs` (their `quotes`) as ONE linked group; the committer defines
     * the routes' assets and house accounts where missing, then fills `transfers`
     * (room for API_REBALANCE_TRANSFERS_MAX). */
    API_WRITE_REBALANCE,
};
/* Transfers of one rebalance group at most: every trade a full quote. */
#define API_REBALANCE_TRANSFERS_MAX ((size_t)EXCHANGE_HOLDINGS_MAX * EXCHANGE_TRANSFERS_MAX)

/* One request's write. The committer fills the results, calls `complete` on its own
 * thread (build the reply), makes everything durable, then calls `release` (resume
 * the connection). */
struct api_write {
    /* Non-zero: the owner of every account the write debits (user keys). */
    tpw_u128 owner;
    /* API_WRITE_CONVERSION: the customer's two accounts and the quote taken for it; the
     * committer defines the route's assets and the house's accounts where missing, then
     * fills `transfers` (room for EXCHANGE_TRANSFERS_MAX) with the quote's group. */
    tpw_u128 debit_account_id;
    tpw_u128 credit_account_id;
    struct ledger_account account;
    /* A single command: the stored record, read back under the ledger lock. */
    struct ledger_transfer stored_transfer;
    struct exchange_quote quote;
    size_t count;
    struct ledger_transfer *transfers;
    enum ledger_transfer_result *transfer_results;
    /* API_WRITE_REBALANCE: the group's legs and their quotes (owned by `context`), and
     * the balances the plan was made on: the committer refuses the group
     * (TPW_ERR_PORTFOLIO_PLAN_STALE) when an account holds another balance now. */
    struct exchange_quote *quotes;
    struct exchange_group_leg *legs;
    size_t legs_count;
    const struct exchange_holding *holdings;
    const tpw_u128 *planned_balances_minor;
    size_t holdings_count;
    /* API_WRITE_RECORD: journals the record (committer's thread). */
    enum tpw_err (*run)(struct api_write *write);
    void *context; /* the route's own state for complete (it frees it there) */
    void (*complete)(struct api_write *write);
    void (*release)(struct api_write *write);
    struct api_write *next;
    struct tpw_error_detail detail;
    enum api_write_kind kind;
    enum ledger_account_result account_result;
    enum ledger_pending_state stored_state;
    /* The whole write failed: storage, memory, or the owner check. */
    enum tpw_err err;
    bool fetch; /* read the stored record back (stored_transfer, stored_state) */
    char asset_code[API_ASSET_CODE_SIZE]; /* the account's */
};

/* ---- deadline.c: each request must be in (headers and body) within a timeout ----- */

struct api_deadlines;
struct api_conn; /* one per TCP connection */

TPW_MUST_CHECK enum tpw_err api_deadlines_start(unsigned timeout_s,
                                                struct api_deadlines **out /* out */);
/* After the daemon stopped (every connection closed). */
void api_deadlines_stop(struct api_deadlines *deadlines);
/* From the daemon's connection notifications; NULL (out of memory) is never cut. */
struct api_conn *api_conn_open(struct api_deadlines *deadlines, int fd);
void api_conn_close(struct api_deadlines *deadlines, struct api_conn *conn);
/* The request is in: the server's time from here (handling, committing, streaming). */
void api_conn_busy(struct api_conn *conn);
/* The request completed: the next one's deadline starts now. */
void api_conn_receiving(struct api_deadlines *deadlines, struct api_conn *conn);
/* Connections cut for missing their deadline, since the start. */
uint64_t api_deadlines_cut_total(const struct api_deadlines *deadlines);

struct api_committer;

TPW_MUST_CHECK enum tpw_err api_committer_start(struct api_server *server,
                                                struct api_committer **out /* out */);
void api_committer_submit(struct api_committer *committer, struct api_write *write);
/* Drains what was submitted, then stops the thread. */
void api_committer_stop(struct api_committer *committer);

/* ---- events.c -------------------------------------------------------------------- */

/* What a caller may see, copied out of the request for work that outlives it (an event
 * stream reads long after its request's handler returned). Today every caller sees
 * everything; API keys add the principal here. */
struct api_visibility {
    bool all;
    tpw_u128 owner; /* when !all: the accounts of this owner */
};

struct api_events;
struct api_stream;

/* Opens the pump's cursor, reads the whole journal into the ring (the start-up replay)
 * and starts the pump thread. Errors: ledger_events_open()'s, TPW_ERR_NOMEM. */
TPW_MUST_CHECK enum tpw_err api_events_start(struct api_server *server,
                                             struct api_events **out /* out */,
                                             struct tpw_error_detail *detail);
/* A commit happened: the pump reads the journal now (cheap; any thread). */
void api_events_notify(struct api_events *events);
/* Stops the pump and ends every stream (nothing more is sent); new streams get 503. */
void api_events_shutdown(struct api_events *events);
/* Streams open now (for the metrics). */
size_t api_events_streams_count(struct api_events *events);
/* After the daemon stopped (every stream closed). NULL is ignored. */
void api_events_free(struct api_events *events);

/* A stream for `connection` resuming after `after`: from the ring, or through a private
 * cursor when `after` is older than the ring's oldest event. Errors:
 * TPW_ERR_API_SHUTTING_DOWN, TPW_ERR_API_STREAMS_FULL, TPW_ERR_API_CATCHUPS_FULL,
 * TPW_ERR_LEDGER_EVENT_ID_FUTURE, the cursor's errors (ledger_events_open), the pump's
 * error when it stopped. Owned by the response it is given to (api_stream_close). */
TPW_MUST_CHECK enum tpw_err
api_stream_open(struct api_events *events, struct MHD_Connection *connection,
                struct ledger_event_id after, const struct api_visibility *view,
                struct api_stream **out /* out */, struct tpw_error_detail *detail);
/* libmicrohttpd's content reader and free callback for a stream's response. */
ssize_t api_stream_read(void *stream, uint64_t position, char *buf, size_t max);
void api_stream_close(void *stream);

/* ---- the server ------------------------------------------------------------------- */

struct api_server {
    struct api_server_options options;
    struct ledger *ledger;
    pthread_mutex_t ledger_lock; /* a ledger handle is used by one thread at a time */
    struct api_assets assets;
    struct api_committer *committer;
    struct api_keystore *keys;
    struct api_idempotency *idem;
    struct api_events *events;
    struct api_signals *signals; /* published by rates, sent by events */
    struct api_deadlines *deadlines;
    struct api_rates *rates;
    struct api_markets *markets; /* NULL without a markets file */
    struct api_web *web;         /* NULL without a web_root */
    struct api_portfolios *portfolios;
    struct MHD_Daemon *daemon;
    uint16_t port;
    atomic_uint_fast64_t in_flight;   /* requests begun and not yet completed */
    atomic_uint_fast64_t request_seq; /* request ids */
    uint64_t request_id_salt;         /* random, per start */
    atomic_int storage_err; /* the first storage failure: the server then refuses writes */
    atomic_bool stopping;
    struct api_metrics metrics;
};

/* Who may call a route (docs/api.md has the matrix). */
enum api_access {
    API_ACCESS_PUBLIC,  /* no key: probes */
    API_ACCESS_READ,    /* every role; a user key sees only its owner's records */
    API_ACCESS_WRITE,   /* admin, operator; a user key only from its owner's accounts */
    API_ACCESS_OPS,     /* admin, operator, auditor: the server's own state */
    API_ACCESS_OPERATE, /* admin, operator: the server's own settings (manual rates) */
};

struct api_route;
#define API_ROUTE_PARAM_SIZE 128

enum api_request_state { API_REQ_RECEIVING, API_REQ_WAITING, API_REQ_READY };

struct api_reply {
    char *body; /* malloc'd JSON text, or text of `content_type` */
    size_t length;
    const char *content_type; /* a constant; NULL: application/json */
    /* A JSON body in static storage (GET /v1/openapi.json), sent without a copy, with
     * `length`; `body` is then NULL. */
    const unsigned char *static_body;
    /* The dashboard's files (web.c): Cache-Control, and the page's security headers. */
    const char *cache_control; /* a constant; NULL: none */
    bool web_page;
    /* A streamed body (GET /v1/events) sent with `status` instead of `body`. */
    struct MHD_Response *stream;
    unsigned status;
    unsigned retry_after_s; /* Retry-After for 429/503 */
    char allow[64];         /* Allow header for 405 */
    bool challenge;         /* WWW-Authenticate for 401 */
};

struct api_request {
    /* The write in flight and its buffers (owned by the request). */
    struct api_write write;
    struct ledger_transfer single_transfer;
    struct api_reply reply;
    struct api_principal principal; /* who is calling (not on public routes) */
    struct api_server *server;
    struct MHD_Connection *connection;
    const char *method;
    const char *path;
    uint64_t start_ns;
    char *body;
    size_t body_length;
    size_t body_capacity;
    uint64_t body_declared_bytes; /* Content-Length (0 when absent) */
    const char *route_name;       /* for logs and metrics */
    const struct api_route *route;
    struct api_idem_entry *idem; /* its Idempotency-Key, while it runs */
    struct api_conn *conn;       /* its connection's deadline; NULL: untracked */
    enum ledger_transfer_result single_result;
    enum api_request_state state;
    char request_id[API_REQUEST_ID_SIZE];
    char route_param[API_ROUTE_PARAM_SIZE]; /* the path's "*" segment, "" without one */
    /* A write was handed to the committer (set and read by the request's own thread:
     * `state` is the committer's to set once it is submitted). */
    bool submitted;
    bool body_too_large;
    bool replayed; /* the reply is a kept one */
};

/* ---- records_json.c --------------------------------------------------------------- */

/* Every key of `object` must be one of `known`: else TPW_ERR_INVALID_ARGUMENT naming
 * the first unknown one as the param. */
TPW_MUST_CHECK enum tpw_err api_check_fields(json_t *object, const char *const *known, size_t count,
                                             struct tpw_error_detail *detail);

/* ---- reply.c ---------------------------------------------------------------------- */

/* Takes `body`; sets the reply (a failure to dump becomes a 500). */
void api_reply_json(struct api_request *request, unsigned status, json_t *body);
/* The same dumped with jansson `flags` (JSON_REAL_PRECISION for statistics). */
void api_reply_json_flags(struct api_request *request, unsigned status, json_t *body, size_t flags);
/* {"error":{"type","code","message","param","request_id"}} with the table's status. */
void api_reply_error(struct api_request *request, enum tpw_err err,
                     const struct tpw_error_detail *detail);
/* The same with an explicit status, type and code (results, routing, HTTP-level). */
void api_reply_error_as(struct api_request *request, unsigned status, const char *type,
                        const char *code, const char *param, const char *message);
/* Takes `body` (malloc'd, `length` bytes) as a reply of another type than JSON;
 * `content_type` is a constant. */
void api_reply_text_take(struct api_request *request, unsigned status, char *body, size_t length,
                         const char *content_type);
/* Replies `status` with the `length` bytes of JSON at `body`, which must outlive every
 * response (static storage): they are sent without a copy. */
void api_reply_static(struct api_request *request, unsigned status, const unsigned char *body,
                      size_t length);
/* Sends request->reply on the connection. */
enum MHD_Result api_reply_send(struct api_request *request);

/* The request body as a JSON object: malformed JSON or another type is a 400 reply
 * (and NULL). */
json_t *api_body_object(struct api_request *request);
/* The string field `field` of a request body (*out NULL when absent and not
 * `required`); a JSON null reads as absent. TPW_ERR_INVALID_ARGUMENT naming the field
 * when required and absent, or not a string. */
TPW_MUST_CHECK enum tpw_err api_body_string(json_t *body, const char *field, bool required,
                                            const char **out /* out */,
                                            struct tpw_error_detail *detail);
/* Query parameter `name` or NULL. */
const char *api_query(struct api_request *request, const char *name);
/* `limit` (1..100, default 10); false after replying 400. */
bool api_query_limit(struct api_request *request, size_t *limit /* out */);
/* A path or query id (text form or decimal); false after replying 400/404. */
bool api_parse_id(struct api_request *request, const char *text, const char *param,
                  tpw_u128 *id /* out */);

/* ---- router.c --------------------------------------------------------------------- */

/* Finds the request's route from its method and path, then authenticates and
 * authorizes the caller for it: false after replying 404/405/401/403/429. Runs when
 * the headers are in, so a caller without a key never gets to send a body. */
bool api_route_find(struct api_request *request);
/* The route's index for the metrics: its place in the table, API_ROUTES_COUNT for none
 * (404 route_unknown, 405). */
size_t api_route_index(const struct api_route *route);
/* Runs the route found; every handler either sets request->reply or submits a write
 * (request->state becomes API_REQ_WAITING). */
void api_route(struct api_request *request);

/* ---- resources -------------------------------------------------------------------- */

/* Every handler takes the path's one parameter (an id), NULL on routes without one. */
typedef void api_handler(struct api_request *request, const char *id_text);
api_handler api_accounts_create, api_accounts_list, api_account_get, api_account_balances,
    api_account_transfers;
api_handler api_transfers_create, api_transfers_batch, api_transfer_get, api_transfer_post,
    api_transfer_void;
api_handler api_livez, api_readyz, api_openapi_get;
api_handler api_metrics_scrape;
api_handler api_events_stream;
api_handler api_rates_index, api_rate_get, api_rates_create;
api_handler api_quotes_create, api_conversions_create, api_exposure_index;
api_handler api_markets_index, api_market_book, api_market_indicators, api_alerts_index;
api_handler api_web_index, api_web_asset;
api_handler api_map_get;
api_handler api_backtests_create;
api_handler api_portfolios_create, api_portfolios_list, api_portfolio_get, api_portfolio_rebalance;

/* Shared by the resources (routes_accounts.c). */
/* Whether the caller may see an account of `owner`. */
bool api_visible(const struct api_request *request, tpw_u128 owner);
/* The request's visibility, to keep beyond the request; and the test on a copy. */
void api_visibility_of(const struct api_request *request, struct api_visibility *out /* out */);
bool api_visibility_allows(const struct api_visibility *view, tpw_u128 owner);
/* Reads one visible account under the ledger lock; false after replying 404 (`param`
 * names the input that held the id). */
bool api_account_read(struct api_request *request, tpw_u128 id, const char *param,
                      struct ledger_account *out /* out */);
/* The error table's reply for `err` with `param` set. */
void api_reply_error_param(struct api_request *request, enum tpw_err err, const char *param);
/* The list envelope {"object":"list","url","has_more","data"}; takes `data`. */
json_t *api_list_json(const char *url, json_t *data, bool has_more);

/* The request a write belongs to, and the release every write uses: mark the reply
 * ready and resume the connection (server.c). */
struct api_request *api_request_of(struct api_write *write);
void api_request_release(struct api_write *write);

/* Submits request->write and suspends the connection until the committer releases it. */
void api_request_submit(struct api_request *request);

#endif /* TPW_API_INT_H */
