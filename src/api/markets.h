/*
 * The server's market data (src/api/markets*.c), shared by its files: markets_file.c
 * (the markets file, docs/formats/markets.md), markets.c (the watches, a thread each,
 * and what they publish) and routes_markets.c (GET /v1/markets…, GET /v1/alerts).
 */
#ifndef TPW_API_MARKETS_H
#define TPW_API_MARKETS_H

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>

#include "api_int.h"
#include "tpwallet/market.h"

/* Watches one server runs. Each has a thread (markets.c says why) and each distinct
 * venue an FX provider, of which the aggregator takes FX_PROVIDERS_MAX with manual, ecb
 * and static among them. */
#define API_MARKETS_WATCHES_MAX 8u
static_assert(API_MARKETS_WATCHES_MAX + 3 <= FX_PROVIDERS_MAX, "a provider per venue");
/* Instruments one server follows. */
#define API_MARKETS_INSTRUMENTS_MAX ((size_t)API_MARKETS_WATCHES_MAX * MARKET_WATCH_SYMBOLS_MAX)
/* The longest markets-file line, with its newline: a key and a URL of MARKET_URL_SIZE. */
#define API_MARKETS_LINE_SIZE 1024u
static_assert(API_MARKETS_LINE_SIZE > MARKET_URL_SIZE + 32, "a URL fits a line");
/* GET …/book: levels per side by default and at most (?depth=). */
#define API_MARKETS_DEPTH_DEFAULT 10u
#define API_MARKETS_DEPTH_MAX 1000u
static_assert(API_MARKETS_DEPTH_MAX <= MARKET_BOOK_LEVELS_MAX, "a depth a book can hold");
/* The readers' copy of a book is refreshed at most this often after it changed: a busy
 * feed changes a book hundreds of times a second, and a copy is up to 256 KiB. */
#define API_MARKETS_BOOK_COPY_NS (25ull * 1000000u)
/* market.quote signals per instrument and second: by default, and at most (the key
 * quote_signals_per_s; 0 turns them off). A move waits at most one interval for its
 * quote, so the default's 25 ms is half the feed → SSE budget (p99 < 50 ms). */
#define API_MARKETS_QUOTES_PER_S_DEFAULT 40u
#define API_MARKETS_QUOTES_PER_S_MAX 100u
/* A venue's FX provider (docs/api.md, "Markets"): a quote is fresh for 5 s, served
 * degraded 5 s more; priority 1, the ECB's class: behind manual rates (0), ahead of the
 * static ones (2), and beside ECB fixings, which quote no pair a crypto venue does
 * (docs/api.md says why not another class). A live book's top is
 * quoted at most every 250 ms when it moves, and every second when it does not, so a
 * TTL of 5 s survives four missed refreshes on a busy machine. */
#define API_MARKETS_FX_TTL_NS (5ull * 1000000000u)
#define API_MARKETS_FX_GRACE_NS (5ull * 1000000000u)
#define API_MARKETS_FX_PRIORITY 1u
#define API_MARKETS_FX_MOVE_NS (250ull * 1000000u)
#define API_MARKETS_FX_REFRESH_NS (1000ull * 1000000u)
static_assert(API_MARKETS_FX_REFRESH_NS * 4 < API_MARKETS_FX_TTL_NS, "refreshed within the TTL");

/* ---- markets_file.c ------------------------------------------------------------------ */

/* One [watch] section: the watch's config and, per symbol, the assets it prices. */
struct api_watch_spec {
    struct market_watch_config config;
    char base[MARKET_WATCH_SYMBOLS_MAX][FX_CODE_SIZE];
    char quote[MARKET_WATCH_SYMBOLS_MAX][FX_CODE_SIZE];
    unsigned quotes_per_s; /* market.quote signals per instrument and second; 0: none */
    unsigned line;         /* the section's [watch] line, for errors found later */
    bool has_alerts;       /* `alerts = RULES`: a monitor on the primary's feed */
    struct market_alert_rules alerts;
};

struct api_markets_file {
    struct api_watch_spec watches[API_MARKETS_WATCHES_MAX];
    size_t watches_count;
};

/* Reads the markets file at `path` into *out (all or nothing). Errors:
 * TPW_ERR_NOT_FOUND (it does not open), TPW_ERR_MARKETS_CONFIG_INVALID ("line N: …",
 * param "markets"). */
TPW_MUST_CHECK enum tpw_err api_markets_file_read(const char *path,
                                                  struct api_markets_file *out /* out */,
                                                  struct tpw_error_detail *detail);

/* ---- markets.c ----------------------------------------------------------------------- */

/* The best level of each side and the levels behind it; count 0: an empty side. */
struct api_market_top {
    struct market_level best[MARKET_SIDES_COUNT];
    size_t levels_count[MARKET_SIDES_COUNT];
};

/* What readers see of an instrument, copied under its lock. */
struct api_market_state {
    struct api_market_top top;
    uint64_t last_update_id;
    uint64_t changed_ns;      /* wall clock when the book last changed; 0: never */
    uint64_t gaps_count;      /* the active source's book's gaps */
    uint64_t failovers_count; /* changes of source or status since the start */
    enum market_source source;
    enum market_price_status status;
    unsigned price_exponent;
    unsigned qty_exponent;
    bool has_book; /* the active source loaded a snapshot */
    bool synced;
};

/* One instrument, written by its watch's thread and read by the request threads. */
struct api_market {
    pthread_mutex_t lock;
    struct api_market_state state; /* under `lock` */
    struct market_book book;       /* under `lock`: the readers' copy, allocated at start */
    uint64_t book_update_id;       /* under `lock`: the id the copy is at */
    /* The watch thread's own bookkeeping (no lock). */
    struct api_market_top quoted_top; /* last sent as a market.quote signal */
    struct api_market_top fed_top;    /* last fed to the FX aggregator */
    uint64_t seen_applied_count;      /* the live book as of the last poll */
    uint64_t seen_snapshots_count;
    const struct market_book *seen_book;
    uint64_t copied_mono_ns;
    uint64_t quoted_mono_ns;
    uint64_t fed_mono_ns;
    enum tpw_err fed_err; /* the last FX refusal, logged when it changes */
    bool copy_pending;
    /* Set at start. */
    const char *venue; /* the watch's config */
    const char *symbol;
    char base[FX_CODE_SIZE];
    char quote[FX_CODE_SIZE];
};

/* Instruments in the markets file's order; NULL markets have none. */
size_t api_markets_count(const struct api_markets *markets);
struct api_market *api_markets_at(struct api_markets *markets, size_t index);
/* The instrument of `venue` and `symbol`, NULL when the server follows none. */
struct api_market *api_markets_find(struct api_markets *markets, const char *venue,
                                    const char *symbol);
/* Copies the instrument's state under its lock. */
void api_market_state_read(struct api_market *market, struct api_market_state *out /* out */);
/* An exact decimal string of `minor` × 10^-exponent, as the venue sends it ("0.35270000"). */
json_t *api_market_decimal_json(uint64_t minor, unsigned exponent);
/* Adds best_bid, best_bid_qty, best_ask, best_ask_qty to `object` (null for an empty
 * side): /v1/markets and the market.quote signal print the top of book alike. */
void api_market_top_add(json_t *object, const struct api_market_top *top, unsigned price_exponent,
                        unsigned qty_exponent);

#endif
