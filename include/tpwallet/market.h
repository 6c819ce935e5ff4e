/*
 * Market data: order books kept from venue feeds (snapshot + diffs), and the replay of
 * recorded feeds.
 *
 * Prices and quantities are exact: unsigned 64-bit integers of a per-book minor unit
 * (10^-price_exponent, 10^-qty_exponent), parsed from the venues' decimal strings by
 * money_decimal_parse(); no floating point anywhere. A book's exponents are chosen from
 * the decimal strings of its first snapshot (8 for Binance), and a later value with more
 * fraction digits is refused, never rounded.
 *
 * A feed (`market_feed`) is one venue's stream: it holds the books of that venue's
 * symbols and applies the venue's own book-maintenance procedure (sequence checks,
 * gaps, resync) through a handler chosen by venue name. See docs/market.md.
 */
#ifndef TPWALLET_MARKET_H
#define TPWALLET_MARKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/error.h"
#include "tpwallet/u128.h"

/* ------------------------------------------------------------------------------------
 * Order books
 * ------------------------------------------------------------------------------------ */

/* Venue names ("BINANCE_US") and symbols ("NKNUSDT", "BTC-USD"), with the NUL. */
#define MARKET_VENUE_SIZE 32
#define MARKET_SYMBOL_SIZE 32

/* Most levels one side of a book can hold (see src/market/book.c for why an array). */
#define MARKET_BOOK_LEVELS_MAX 8192

/* Largest exponent of a price or quantity: 10^19 would not fit the 64-bit minor units. */
#define MARKET_EXPONENT_MAX 18

enum market_side {
    MARKET_BID = 0,
    MARKET_ASK = 1,
};
#define MARKET_SIDES_COUNT 2

struct market_level {
    uint64_t price_minor; /* price × 10^price_exponent */
    uint64_t qty_minor;   /* quantity × 10^qty_exponent; never 0 inside a book */
};

/* One side: levels sorted so that the best level is the last one (src/market/book.c). */
struct market_book_side {
    struct market_level *levels;
    size_t levels_count;
    size_t levels_max;
};

struct market_book {
    char venue[MARKET_VENUE_SIZE];
    char symbol[MARKET_SYMBOL_SIZE];
    unsigned price_exponent;
    unsigned qty_exponent;
    struct market_book_side sides[MARKET_SIDES_COUNT];
};

/*
 * Initialises an empty book on caller memory, allocating `levels_max` levels per side
 * (1..MARKET_BOOK_LEVELS_MAX) once: updates never allocate. Errors:
 * TPW_ERR_INVALID_ARGUMENT (names too long or empty, exponent above
 * MARKET_EXPONENT_MAX, levels_max out of range), TPW_ERR_NOMEM.
 */
TPW_MUST_CHECK enum tpw_err market_book_init(struct market_book *book, const char *venue,
                                             const char *symbol, unsigned price_exponent,
                                             unsigned qty_exponent, size_t levels_max);
/* Frees the levels; the book must be initialised again before any other use. */
void market_book_deinit(struct market_book *book);
/* Removes every level (exponents and names stay). */
void market_book_reset(struct market_book *book);

/*
 * Sets the quantity at `price_minor` on `side`: qty_minor 0 removes the level (removing
 * an absent level is not an error: venues send such removals), any other value inserts
 * or replaces it. O(log n) search, then a move of the levels beyond it (few: updates
 * cluster at the top of the book, which is the end of the array). Errors:
 * TPW_ERR_INVALID_ARGUMENT (unknown side), TPW_ERR_MARKET_BOOK_FULL (a new level on a
 * full side; the book is unchanged).
 */
TPW_MUST_CHECK enum tpw_err market_book_set(struct market_book *book, enum market_side side,
                                            uint64_t price_minor, uint64_t qty_minor);

/*
 * Parses one exact decimal at `exponent` into 64-bit minor units: money_decimal_parse()'s
 * grammar and errors (TPW_ERR_DECIMAL_PRECISION for more fraction digits than the
 * exponent, TPW_ERR_DECIMAL_SIGN for "-1", …), then TPW_ERR_MARKET_VALUE_RANGE above
 * 2^64-1 minor units.
 */
TPW_MUST_CHECK enum tpw_err market_decimal_parse(const char *text, size_t text_len,
                                                 unsigned exponent, uint64_t *out /* out */,
                                                 struct tpw_error_detail *detail);

/* Number of fraction digits in a decimal string ("0.35270000" → 8, "12" → 0). */
unsigned market_decimal_fraction_digits(const char *text, size_t text_len);

/* Levels on one side. */
size_t market_book_levels_count(const struct market_book *book, enum market_side side);

/*
 * The level `depth_index` places from the best (0 is the best bid or ask) into *out;
 * false when the side has no such level. O(1).
 */
bool market_book_level(const struct market_book *book, enum market_side side, size_t depth_index,
                       struct market_level *out /* out */);

/* True when both sides have levels and the best bid is at or above the best ask. */
bool market_book_crossed(const struct market_book *book);

/* ------------------------------------------------------------------------------------
 * Book indicators (src/market/indicators.c; formulas in docs/market.md)
 *
 * Every result is an exact decimal: a magnitude in units of 10^-exponent and a sign.
 * Values that the book's integers give exactly (mid, depth, cost) keep their exact
 * scale; quotients are rounded once, half-up (ties away from zero, so a negative
 * value rounds like its magnitude), at the scale each function names. All arithmetic
 * is integer (128-bit, and money_muldiv()'s 256-bit intermediate): no floating point.
 * ------------------------------------------------------------------------------------ */

/* Fraction digits of ratios: spread_bps, imbalance, slippage_bps (README tables). */
#define MARKET_RATIO_EXPONENT 7
/* Basis points in one whole. */
#define MARKET_BPS_ONE 10000u
/* Widest band accepted by market_book_depth(): ±100 % of the mid. */
#define MARKET_DEPTH_BPS_MAX MARKET_BPS_ONE

struct market_decimal {
    tpw_u128 units;    /* |value| × 10^exponent */
    unsigned exponent; /* 0..38 */
    bool negative;     /* never set together with units == 0 */
};

/* Sign, digits and the NUL of any market_decimal ("-0.1234567"). */
#define MARKET_DECIMAL_TEXT_SIZE 43

/* Formats with exactly `exponent` fraction digits; length, or 0 when `size` is short. */
size_t market_decimal_format(const struct market_decimal *value, char *buf, size_t size);

/*
 * Top-of-book indicators. Each needs a level on both sides, else
 * TPW_ERR_MARKET_BOOK_EMPTY (one-sided or empty book); a crossed book is computed as it
 * is (negative spread), since a crossed book is itself a signal. *out is written only
 * on success.
 *   mid          = (bid + ask) / 2, exact at price_exponent + 1
 *   spread_bps   = (ask − bid) / mid × 10^4, at MARKET_RATIO_EXPONENT
 *   imbalance    = (Qbid − Qask) / (Qbid + Qask), in [−1, 1], at MARKET_RATIO_EXPONENT
 *   weighted_mid = (ask × Qbid + bid × Qask) / (Qbid + Qask), at price_exponent
 */
TPW_MUST_CHECK enum tpw_err market_book_mid(const struct market_book *book,
                                            struct market_decimal *out /* out */);
TPW_MUST_CHECK enum tpw_err market_book_spread_bps(const struct market_book *book,
                                                   struct market_decimal *out /* out */);
TPW_MUST_CHECK enum tpw_err market_book_imbalance(const struct market_book *book,
                                                  struct market_decimal *out /* out */);
TPW_MUST_CHECK enum tpw_err market_book_weighted_mid(const struct market_book *book,
                                                     struct market_decimal *out /* out */);

/*
 * Quote notional Σ price × qty of the levels on `side` whose price lies within
 * `within_bps` of the mid, boundary included: bids at or above mid × (1 − x/10^4), asks
 * at or below mid × (1 + x/10^4). Exact at price_exponent + qty_exponent. Errors:
 * TPW_ERR_INVALID_ARGUMENT (side, or within_bps above MARKET_DEPTH_BPS_MAX),
 * TPW_ERR_MARKET_BOOK_EMPTY (no mid), TPW_ERR_OVERFLOW (a sum above 2^128−1).
 */
TPW_MUST_CHECK enum tpw_err market_book_depth(const struct market_book *book, enum market_side side,
                                              uint32_t within_bps,
                                              struct market_decimal *out /* out */);

enum market_taker {
    MARKET_TAKER_BUY = 0,  /* walks the asks */
    MARKET_TAKER_SELL = 1, /* walks the bids */
};

struct market_walk {
    struct market_decimal cost;         /* Σ price × qty taken; exact, price_exp + qty_exp */
    struct market_decimal vwap;         /* cost / qty, half-up at price_exponent */
    struct market_decimal slippage_bps; /* (vwap − mid) / mid × 10^4 for a buy, (mid − vwap)
                                           for a sell, from the exact vwap; ratio scale */
    size_t levels_count;                /* levels touched, the last one perhaps in part */
};

/*
 * Walks the book from the best level for `qty_minor` (the book's quantity units), as
 * a market order of that size would fill. Errors: TPW_ERR_INVALID_ARGUMENT (qty 0 or
 * unknown taker), TPW_ERR_MARKET_BOOK_EMPTY (either side empty: slippage is measured
 * from the mid), TPW_ERR_MARKET_DEPTH_INSUFFICIENT (the side holds less than
 * qty_minor), TPW_ERR_OVERFLOW. *out is written only on success.
 */
TPW_MUST_CHECK enum tpw_err market_book_walk(const struct market_book *book,
                                             enum market_taker taker, uint64_t qty_minor,
                                             struct market_walk *out /* out */);

/* ------------------------------------------------------------------------------------
 * Primary/backup failover per instrument (src/market/failover.c; docs/market.md)
 *
 * A pure state machine: the caller feeds it what happened to each source, with the
 * time it happened (its own clock), and reads back which source to price from and how
 * far to trust the price. No clock is read, nothing is allocated, and the same inputs
 * always give the same outputs.
 * ------------------------------------------------------------------------------------ */

enum market_source {
    MARKET_SOURCE_PRIMARY = 0,
    MARKET_SOURCE_BACKUP = 1,
};
#define MARKET_SOURCES_COUNT 2

/* X(NAME, json_name) */
#define MARKET_PRICE_STATUS_TABLE(X)                                                               \
    X(LIVE, "live")             /* from the primary, which is healthy */                           \
    X(DELAYED, "delayed")       /* from the backup: usable, flagged to users */                    \
    X(RESTRICTED, "restricted") /* no healthy source: do not quote or trade on it */

enum market_price_status {
#define MARKET_X_ENUM(name, json) MARKET_PRICE_##name,
    MARKET_PRICE_STATUS_TABLE(MARKET_X_ENUM)
#undef MARKET_X_ENUM
};

enum market_failover_input_kind {
    MARKET_FAILOVER_MESSAGE = 0,    /* a message from `source` (also means connected) */
    MARKET_FAILOVER_GAP = 1,        /* `source` revealed a sequence gap */
    MARKET_FAILOVER_DISCONNECT = 2, /* `source`'s connection dropped */
    MARKET_FAILOVER_TICK = 3,       /* time passed (`source` is ignored) */
};

struct market_failover_input {
    enum market_failover_input_kind kind;
    enum market_source source;
    int64_t timestamp_us; /* never earlier than the previous input's */
};

/* Why a source is unhealthy, or why the machine moved. X(NAME, json_name) */
#define MARKET_FAILOVER_REASON_TABLE(X)                                                            \
    X(NONE, "none")                   /* healthy */                                                \
    X(NO_DATA, "no_data")             /* no message since start or since a disconnect */           \
    X(STALE, "stale")                 /* no message for more than stale_after_us */                \
    X(GAPS, "gaps")                   /* gaps_max gaps within gap_window_us */                     \
    X(DISCONNECT, "disconnect")       /* the connection dropped */                                 \
    X(RECOVERED, "recovered")         /* the primary was healthy for hysteresis_us */              \
    X(BACKUP_FAILED, "backup_failed") /* the backup failed while the primary was healthy */

enum market_failover_reason {
#define MARKET_X_ENUM(name, json) MARKET_FAILOVER_REASON_##name,
    MARKET_FAILOVER_REASON_TABLE(MARKET_X_ENUM)
#undef MARKET_X_ENUM
};

struct market_failover_config {
    int64_t stale_after_us; /* > 0: silence longer than this makes a source stale */
    uint32_t gaps_max;      /* ≥ 1: this many gaps … */
    int64_t gap_window_us;  /* > 0: … within this long make a source unhealthy */
    int64_t hysteresis_us;  /* ≥ 0: the primary must stay healthy this long to be used again */
};

/* A change of source or of status: what the caller turns into an alert. */
struct market_failover_event {
    int64_t timestamp_us;
    enum market_source from;
    enum market_source to; /* equal to `from` when only the status changed */
    enum market_price_status status_from;
    enum market_price_status status_to;
    enum market_failover_reason reason;
};

struct market_failover_source {
    bool has_message; /* a message since start or the last disconnect */
    bool connected;
    int64_t last_message_us;
    uint32_t gaps_count; /* gaps in the current window */
    int64_t gap_window_start_us;
    bool healthy;             /* as of the last input */
    int64_t healthy_since_us; /* when it last became healthy */
};

struct market_failover {
    struct market_failover_config config;
    enum market_source active;
    enum market_price_status status;
    struct market_failover_source sources[MARKET_SOURCES_COUNT];
    int64_t now_us;
    uint64_t switches_count; /* source changes since init */
};

/* "live", "stale", "primary", …: static strings; "unknown" outside the tables. */
const char *market_price_status_name(enum market_price_status status);
const char *market_failover_reason_name(enum market_failover_reason reason);
const char *market_source_name(enum market_source source);

/*
 * Starts on the primary, `restricted` until a source has sent a message, at time
 * `start_us`. Errors: TPW_ERR_INVALID_ARGUMENT (a config value out of its range).
 */
TPW_MUST_CHECK enum tpw_err market_failover_init(struct market_failover *failover,
                                                 const struct market_failover_config *config,
                                                 int64_t start_us);

/*
 * Applies one input, then decides (docs/market.md, "Failover"): on the primary, an
 * unhealthy primary moves to a healthy backup (`delayed`) or, with none, stays and is
 * `restricted`; on the backup, the primary is taken back once it has been healthy for
 * hysteresis_us (`live`, reason `recovered`) — at once if the backup itself failed —
 * and with neither healthy the status is `restricted`. When the source or the status
 * changed, *event is filled and *changed is true. Errors, leaving the machine
 * unchanged: TPW_ERR_INVALID_ARGUMENT (unknown kind or source, a timestamp earlier
 * than the previous input's).
 */
TPW_MUST_CHECK enum tpw_err market_failover_step(struct market_failover *failover,
                                                 const struct market_failover_input *input,
                                                 struct market_failover_event *event /* out */,
                                                 bool *changed /* out */);

/* ------------------------------------------------------------------------------------
 * Feeds: one venue's messages applied to its books
 * ------------------------------------------------------------------------------------ */

/*
 * Why a message or a line was refused. Every refusal is counted (per book when the
 * symbol is known, per feed otherwise) and logged as a "market.malformed" line.
 * X(NAME, json_name)
 */
#define MARKET_MALFORMED_TABLE(X)                                                                  \
    X(LINE, "bad_line")                 /* not a line of the recording format */                   \
    X(OVERSIZED, "oversized")           /* longer than MARKET_LINE_SIZE_MAX bytes */               \
    X(JSON, "bad_json")                 /* not JSON */                                             \
    X(TYPE, "bad_type")                 /* a field missing or of the wrong JSON type */            \
    X(NUMBER, "bad_number")             /* a price or quantity that is not a decimal */            \
    X(NEGATIVE, "negative")             /* a signed price or quantity */                           \
    X(PRECISION, "precision")           /* more fraction digits than the book's exponent */        \
    X(TOO_LARGE, "too_large")           /* above 2^64-1 minor units */                             \
    X(OUT_OF_ORDER, "out_of_order")     /* update ids that go backwards or are inverted */         \
    X(BOOK_FULL, "book_full")           /* a new level on a full side */                           \
    X(UNKNOWN_SYMBOL, "unknown_symbol") /* a diff, ticker or trade for a bookless symbol */

enum market_malformed {
#define MARKET_X_ENUM(name, json) MARKET_MALFORMED_##name,
    MARKET_MALFORMED_TABLE(MARKET_X_ENUM)
#undef MARKET_X_ENUM
        MARKET_MALFORMED_COUNT
};

/* "bad_json", …; "unknown" for a value outside the table. Static strings. */
const char *market_malformed_name(enum market_malformed kind);

/* What a feed knows about one of its books; a snapshot of counters, read-only. */
struct market_book_status {
    const struct market_book *book;
    uint64_t last_update_id;          /* the venue's id the book is at (snapshot or last diff) */
    bool synced;                      /* a snapshot was loaded and no gap seen since */
    bool needs_resync;                /* a gap (or a refused update) was seen: needs a snapshot */
    uint64_t snapshots_count;         /* snapshots loaded (the first, then resyncs) */
    uint64_t events_count;            /* diff events seen for this symbol */
    uint64_t dropped_count;           /* diffs older than the snapshot (the procedure drops them) */
    uint64_t applied_count;           /* diffs applied */
    uint64_t unsynced_count;          /* diffs that arrived while the book needed a snapshot */
    uint64_t gaps_count;              /* sequence gaps seen */
    uint64_t crossed_count;           /* applied diffs after which the book was crossed */
    uint64_t ticker_checks_count;     /* top-of-book tickers compared with the book */
    uint64_t ticker_mismatches_count; /* … that differed from it */
    uint64_t levels_set_count;        /* price levels set or removed by snapshots and applied
                                         diffs (the benchmark's level updates) */
    uint64_t malformed_count[MARKET_MALFORMED_COUNT];
    /* Trades and stale tickers (the "Monitoring" section below; docs/market.md, "Trades"). */
    uint64_t trades_count;         /* trades accepted */
    uint64_t trade_gaps_count;     /* accepted trades whose id skipped ids: trades were missed */
    uint64_t trades_dropped_count; /* trades whose id was not above the last one (replays) */
    uint64_t last_trade_id;        /* of the last trade accepted; 0 before the first */
    uint64_t tickers_stale_count;  /* tickers older than the book (sent on subscription) */
};

/* Counters of what a feed received that belongs to no book. */
struct market_feed_status {
    char venue[MARKET_VENUE_SIZE];
    const char *handler;     /* "binance-spot", … (static) */
    uint64_t lines_count;    /* recording lines read (replay only) */
    uint64_t blank_count;    /* empty lines (replay only) */
    uint64_t sent_count;     /* messages the recorder sent, skipped (replay only) */
    uint64_t messages_count; /* stream messages handed to the feed */
    uint64_t ignored_count;  /* well-formed messages of other kinds (klines, heartbeats, …) */
    uint64_t malformed_count[MARKET_MALFORMED_COUNT];
    int64_t last_message_us; /* receive time of the last stream message (see
                                market_feed_received_at); 0 before the first */
};

typedef struct market_feed market_feed;

/*
 * Creates a feed for `venue`, whose handler is chosen by name: BINANCE and BINANCE_US
 * (spot diff-depth), BINANCE_FUTURES (USD-M futures, `pu` chaining), COINBASE (level2).
 * Errors: TPW_ERR_MARKET_VENUE_UNKNOWN, TPW_ERR_NOMEM. The caller destroys *out.
 */
TPW_MUST_CHECK enum tpw_err market_feed_create(const char *venue, market_feed **out /* out */,
                                               struct tpw_error_detail *detail);
void market_feed_destroy(market_feed *feed);

/*
 * Applies a REST snapshot: `url` is the request (the symbol comes from it), `body` the
 * JSON response. A snapshot replaces the symbol's book (creating it on first use) and
 * restarts the venue's procedure. A refused snapshot is counted and returns
 * TPW_ERR_MARKET_MESSAGE_INVALID (or TPW_ERR_MARKET_TOO_MANY_BOOKS, TPW_ERR_NOMEM);
 * the feed stays usable.
 */
TPW_MUST_CHECK enum tpw_err market_feed_snapshot(market_feed *feed, const char *url, size_t url_len,
                                                 const char *body, size_t body_len);

/*
 * Applies one stream message (JSON text). Returns TPW_OK when it was applied, dropped
 * by the procedure or ignored as another kind of message; TPW_ERR_MARKET_SEQUENCE_GAP
 * when it revealed a gap (counted; the book then needs a resync);
 * TPW_ERR_MARKET_MESSAGE_INVALID when refused (counted and logged). The feed stays
 * usable after any of them.
 */
TPW_MUST_CHECK enum tpw_err market_feed_message(market_feed *feed, const char *text,
                                                size_t text_len);

/* Counts a refusal found outside the feed's own parsing (a bad recording line, an
 * oversized or binary live frame). */
void market_feed_count_malformed(market_feed *feed, enum market_malformed kind,
                                 uint64_t line_number);

/* Books in creation order; the status stays valid until the next feed call. */
size_t market_feed_books_count(const market_feed *feed);
void market_feed_book_status(const market_feed *feed, size_t index,
                             struct market_book_status *out /* out */);
void market_feed_status(const market_feed *feed, struct market_feed_status *out /* out */);

/* ------------------------------------------------------------------------------------
 * Replay of cryptofeed recordings (docs/market.md: the line formats)
 * ------------------------------------------------------------------------------------ */

/* Longest recording line accepted: a 5000-level Binance snapshot is about 350 KiB. */
#define MARKET_LINE_SIZE_MAX ((size_t)1024 * 1024)

enum market_recording_kind {
    MARKET_RECORDING_HTTP = 1, /* `<url> -> <epoch>: <body>` lines (REST snapshots) */
    MARKET_RECORDING_WS = 2,   /* `<url> <-> <epoch>`, then `<epoch>: <json>` lines */
};

/*
 * The kind of a recording from its first line. Errors: TPW_ERR_NOT_FOUND, TPW_ERR_IO,
 * TPW_ERR_MARKET_MESSAGE_INVALID (the first line is neither kind).
 */
TPW_MUST_CHECK enum tpw_err market_replay_file_kind(const char *path,
                                                    enum market_recording_kind *out /* out */,
                                                    struct tpw_error_detail *detail);

/*
 * The venue named by a recording's file name: cryptofeed writes
 * `<VENUE>.<http|ws>.<n>.<m>`, so the text before the first '.' of the base name.
 * Errors: TPW_ERR_INVALID_ARGUMENT (no such prefix, or longer than a venue name).
 */
TPW_MUST_CHECK enum tpw_err market_replay_venue_from_path(const char *path,
                                                          char venue[MARKET_VENUE_SIZE] /* out */);

/*
 * Replays every line of the recording at `path` into `feed`: snapshots, stream
 * messages, connection and sent lines; bad lines are counted, never fatal. Errors: for
 * the file itself TPW_ERR_NOT_FOUND, TPW_ERR_IO; and as market_replay_line() (with the
 * line number in detail->offset_bytes).
 */
TPW_MUST_CHECK enum tpw_err market_replay_file(market_feed *feed, const char *path,
                                               struct tpw_error_detail *detail);

/*
 * Replays one line (without its newline); `line_number` is for the log. Refused lines
 * and messages are counted and return TPW_OK; errors are what stops a replay:
 * TPW_ERR_NOMEM, TPW_ERR_MARKET_TOO_MANY_BOOKS.
 */
TPW_MUST_CHECK enum tpw_err market_replay_line(market_feed *feed, const char *line, size_t line_len,
                                               uint64_t line_number);

/* ------------------------------------------------------------------------------------
 * Live feeds: `market watch` (library tpw_market_live: libwebsockets for the streams,
 * libcurl for the REST snapshots; docs/market.md, "Live mode")
 *
 * A watch holds one or two sources (primary, backup) for one venue, each a websocket
 * connection with its own feed and books, and one failover machine per symbol. Each
 * source follows the venue's procedure: open the stream, buffer its messages, fetch
 * every symbol's REST snapshot, apply them, then the buffered messages (the feed drops
 * those older than the snapshot) and the live ones with the feed's sequence checks; a
 * gap marks the book needs_resync and fetches a new snapshot, buffering meanwhile.
 * ------------------------------------------------------------------------------------ */

/* Symbols one watch follows: each costs a snapshot per (re)connection and a machine. */
#define MARKET_WATCH_SYMBOLS_MAX 16
/* A stream or snapshot URL with its NUL. */
#define MARKET_URL_SIZE 512

struct market_watch_source_config {
    char ws_url[MARKET_URL_SIZE];   /* ws://host:port/path (wss:// for TLS) */
    char rest_url[MARKET_URL_SIZE]; /* the snapshot endpoint, "…/api/v3/depth": the watch
                                       appends "?symbol=S&limit=N" */
};

struct market_watch_config {
    char venue[MARKET_VENUE_SIZE]; /* BINANCE, BINANCE_US or BINANCE_FUTURES */
    char symbols[MARKET_WATCH_SYMBOLS_MAX][MARKET_SYMBOL_SIZE];
    size_t symbols_count;
    struct market_watch_source_config sources[MARKET_SOURCES_COUNT];
    size_t sources_count; /* 1 (a primary only) or 2 */
    struct market_failover_config failover;
    int64_t snapshot_timeout_us; /* > 0: one REST request's whole time */
    int64_t reconnect_us;        /* > 0: wait before reconnecting a dropped stream */
    uint32_t snapshot_limit;     /* levels asked of the snapshot (1..5000) */
};

/* Fills `config` with the defaults of docs/market.md (no venue, symbols or sources). */
void market_watch_config_defaults(struct market_watch_config *config /* out */);

/* The longest threshold or timeout a watch takes as text (market_ms_text_us): 7 days. */
#define MARKET_WATCH_MS_MAX ((uint64_t)7 * 24 * 3600 * 1000)

/*
 * A watch's settings as text, NULL where not given (src/market/watch_config.c): the
 * options of `tpwallet market watch` and the keys of a markets file
 * (docs/formats/markets.md) are these, read by one function. The names in the
 * comments are the keys, as errors name them.
 */
struct market_watch_texts {
    const char *venue;               /* venue: 1..31 bytes */
    const char *symbols;             /* symbols: "A,B,C", 1..16, each under 32 bytes */
    const char *primary;             /* primary: the stream URL (required) */
    const char *primary_rest;        /* primary_rest: the snapshot URL (required) */
    const char *backup;              /* backup: the backup's stream URL, with … */
    const char *backup_rest;         /* backup_rest: … its snapshot URL (both or neither) */
    const char *stale_ms;            /* stale_ms: whole ms above 0 */
    const char *hysteresis_ms;       /* hysteresis_ms: whole ms, 0 allowed */
    const char *gaps_max;            /* gaps_max: above 0 */
    const char *gap_window_ms;       /* gap_window_ms: whole ms above 0 */
    const char *snapshot_timeout_ms; /* snapshot_timeout_ms: whole ms above 0 */
    const char *reconnect_ms;        /* reconnect_ms: whole ms above 0 */
    const char *limit;               /* limit: snapshot levels, 1..5000 */
};

/*
 * Fills `config` with the defaults, then the settings `texts` gives (durations at most
 * MARKET_WATCH_MS_MAX). Errors: TPW_ERR_INVALID_ARGUMENT with detail->param the key
 * ("primary_rest", "stale_ms", …) and a message naming it. Whether the venue runs live
 * and the URLs' schemes are checked by market_watch_create.
 */
TPW_MUST_CHECK enum tpw_err market_watch_config_from_texts(const struct market_watch_texts *texts,
                                                           struct market_watch_config *config
                                                           /* out */,
                                                           struct tpw_error_detail *detail);

/* Whole milliseconds 0..max_ms (0 only with zero_ok) as microseconds in *out_us; NULL
 * text leaves *out_us as it is. False when the text is not such a number. */
bool market_ms_text_us(const char *text, uint64_t max_ms, bool zero_ok, int64_t *out_us);

/* X(NAME, json_name) */
#define MARKET_WATCH_EVENT_TABLE(X)                                                                \
    X(CONNECTED, "connected")             /* a source's stream opened */                           \
    X(DISCONNECTED, "disconnected")       /* it closed or could not open; reconnect follows */     \
    X(SYNCED, "synced")                   /* a snapshot was applied to a source's book */          \
    X(RESYNC, "resync")                   /* a book needs a new snapshot (gap, refused diff) */    \
    X(SNAPSHOT_FAILED, "snapshot_failed") /* a REST request failed; it is retried */               \
    X(FAILOVER, "failover")               /* an instrument's source or price status changed */

enum market_watch_event_kind {
#define MARKET_X_ENUM(name, json) MARKET_WATCH_##name,
    MARKET_WATCH_EVENT_TABLE(MARKET_X_ENUM)
#undef MARKET_X_ENUM
};

/* What the watch reports as it happens; valid during the callback only. */
struct market_watch_event {
    enum market_watch_event_kind kind;
    int64_t timestamp_us; /* microseconds since the watch was created (monotonic) */
    enum market_source source;
    const char *symbol;  /* NULL for connection events */
    size_t symbol_index; /* index in the config's symbols when symbol is set */
    uint64_t update_id;  /* SYNCED: the snapshot's id */
    const char *why;     /* a short human reason ("gap", "HTTP 404", …) or NULL */
    struct market_failover_event failover; /* FAILOVER only */
};

typedef void market_watch_event_fn(void *user, const struct market_watch_event *event);

/* An instrument as the watch prices it now. */
struct market_watch_instrument {
    const char *symbol;
    enum market_source active;
    enum market_price_status status;
    bool synced;                    /* the active source's book is usable */
    struct market_book_status book; /* of the active source; book is NULL before a snapshot */
};

/* Counters of one source. */
struct market_watch_source_stats {
    uint64_t frames_count;      /* complete websocket messages received */
    uint64_t connects_count;    /* streams opened */
    uint64_t disconnects_count; /* streams closed or failed to open */
    uint64_t snapshots_count;   /* REST snapshots fetched with status 200 */
    uint64_t snapshot_failures_count;
    uint64_t buffered_count;        /* messages held while a snapshot was awaited */
    uint64_t buffer_dropped_count;  /* … dropped, oldest first, when the buffer was full */
    struct market_feed_status feed; /* the feed's own counters (malformed by kind, …) */
    uint64_t books_malformed_count; /* refusals counted on the source's books */
};

typedef struct market_watch market_watch;

/*
 * Creates a watch and starts connecting every source (nothing blocks: the work happens
 * in market_watch_poll). Events go to `on_event` (may be NULL) with `user`. Errors:
 * TPW_ERR_INVALID_ARGUMENT (a config value out of range, a URL that is not ws://,
 * wss://, http:// or https://), TPW_ERR_MARKET_VENUE_UNKNOWN (or a venue without a
 * REST snapshot procedure), TPW_ERR_MARKET_LIVE (libwebsockets or libcurl could not
 * start), TPW_ERR_NOMEM. The caller destroys *out.
 */
TPW_MUST_CHECK enum tpw_err market_watch_create(const struct market_watch_config *config,
                                                market_watch_event_fn *on_event, void *user,
                                                market_watch **out /* out */,
                                                struct tpw_error_detail *detail);
void market_watch_destroy(market_watch *watch);

/*
 * Services the connections and the REST requests once, waiting at most about
 * MARKET_WATCH_POLL_US for activity, then ticks the failover machines. Events are
 * delivered from inside this call. *now_us is the watch's time afterwards.
 */
#define MARKET_WATCH_POLL_US 10000
void market_watch_poll(market_watch *watch, int64_t *now_us /* out */);

/* The instrument at `symbol_index` (< symbols_count); valid until the next poll. */
void market_watch_instrument(const market_watch *watch, size_t symbol_index,
                             struct market_watch_instrument *out /* out */);
void market_watch_source_stats(const market_watch *watch, enum market_source source,
                               struct market_watch_source_stats *out /* out */);
/* Complete websocket messages received on every source since creation. */
uint64_t market_watch_frames_count(const market_watch *watch);

/* "connected", …; "unknown" outside the table. */
const char *market_watch_event_name(enum market_watch_event_kind kind);

/* ====================================================================================
 * Monitoring: trades, windowed trade statistics, anomaly detection and alert rules
 * (docs/market.md: "Trades", "Trade statistics", "Anomaly detection", "Alert rules";
 * docs/formats/market-alerts.md). Everything below is exact integers except what the
 * monitor hands to the quant module (z-scores, realised volatility), which comes back
 * here as decimals rounded once, half-up, at MARKET_STAT_EXPONENT.
 * ==================================================================================== */

/* ---- Trades (src/market/trade.c): what the feeds parse from the venues' trade streams */

/*
 * One trade, exact in its book's minor units. The venues' trade messages: Binance spot
 * `trade` ("t" id) and `aggTrade` ("a" id; one taker order at one price), Binance
 * futures `aggTrade`, Coinbase `match` and `last_match` (whose "side" is the MAKER's: a
 * "sell" maker means the taker bought). A trade needs its symbol's book (the exponents
 * come from its snapshot) but not a synced one: trades do not touch the book.
 */
struct market_trade {
    const struct market_book *book; /* venue, symbol, price_exponent, qty_exponent */
    uint64_t trade_id;              /* Binance "t" or "a", Coinbase "trade_id" */
    uint64_t price_minor;           /* > 0, at book->price_exponent */
    uint64_t qty_minor;             /* > 0, at book->qty_exponent */
    int64_t trade_time_us;          /* the venue's time: Binance "T" (ms), Coinbase "time" */
    int64_t received_us;            /* the feed's receive time (market_feed_received_at) */
    enum market_taker aggressor;    /* the taker's side: BUY when the taker bought */
    bool aggregate;                 /* a Binance aggTrade */
};

/* What a feed tells its observers, from inside the feed call that caused it. */
enum market_feed_event_kind {
    MARKET_FEED_EVENT_TRADE = 1,        /* a trade was accepted (event->trade) */
    MARKET_FEED_EVENT_BOOK = 2,         /* a diff was applied or a snapshot loaded */
    MARKET_FEED_EVENT_TICKER_STALE = 3, /* a top-of-book ticker older than the book */
};

/* Valid during the callback only; the book is the feed's and must not be changed. */
struct market_feed_event {
    enum market_feed_event_kind kind;
    bool snapshot;                    /* BOOK: the book was replaced by a snapshot */
    int64_t received_us;              /* the feed's receive time of the message */
    const struct market_book *book;   /* the instrument */
    const struct market_trade *trade; /* TRADE only, else NULL */
    uint64_t update_id;               /* BOOK: the book's id now; TICKER_STALE: the ticker's */
    uint64_t book_update_id;          /* TICKER_STALE: the book's id, above the ticker's */
};

typedef void market_feed_event_fn(void *user, const struct market_feed_event *event);

/* Observers one feed calls (the monitor is one; the server may add its own). */
#define MARKET_FEED_OBSERVERS_MAX 4

/*
 * Adds an observer: `on_event` is called with `user` for every event from now on, in the
 * order observers were added. Errors: TPW_ERR_INVALID_ARGUMENT (NULL, or already
 * MARKET_FEED_OBSERVERS_MAX observers).
 */
TPW_MUST_CHECK enum tpw_err market_feed_observe(market_feed *feed, market_feed_event_fn *on_event,
                                                void *user);

/*
 * The receive time of the messages that follow, in the caller's microseconds (replay:
 * the recording's epoch; live: the watch's clock). Trades and events carry it, and the
 * feed status keeps the last stream message's as last_message_us. The feed never reads
 * a clock itself.
 */
void market_feed_received_at(market_feed *feed, int64_t received_us);

/*
 * The feed of one source of a watch (library tpw_market_live), to observe it; NULL when
 * the watch has no such source. The watch owns it (valid until market_watch_destroy) and
 * sets its receive times from the watch's clock; a buffered message keeps the time it
 * arrived. Each source has its own feed: observe one (the primary's) for trade
 * statistics, or both with their own monitors — the same trades arrive on each.
 */
market_feed *market_watch_source_feed(market_watch *watch, enum market_source source);

/* ---- Windowed trade statistics (src/market/trade_stats.c): exact, bounded, O(1) a trade */

/* Windows one statistics object keeps, and buckets one window is cut into. */
#define MARKET_TRADE_WINDOWS_MAX 4
#define MARKET_TRADE_BUCKETS_MAX 120
/* Fraction digits of a trade rate (trades per second). */
#define MARKET_RATE_EXPONENT 6

/*
 * One sliding window of window_us cut into buckets_count buckets of
 * window_us / buckets_count (which must divide it). The window is the newest bucket —
 * the one the current time falls in — and the buckets_count − 1 before it, so it covers
 * between window_us − bucket and window_us of history and slides a bucket at a time: a
 * trade at time t counts while now < (⌊t / bucket⌋ + buckets_count) × bucket — for more
 * than window_us − bucket and at most window_us (docs/market.md, "Trade statistics").
 */
struct market_trade_window_config {
    int64_t window_us;      /* > 0 */
    uint32_t buckets_count; /* 1..MARKET_TRADE_BUCKETS_MAX */
};

/* Exact sums: quantities at the book's qty exponent, notionals (price × quantity) at
 * price_exponent + qty_exponent. Buy and sell are the taker's side. */
struct market_trade_totals {
    uint64_t buy_trades_count;
    uint64_t sell_trades_count;
    tpw_u128 buy_base_minor;
    tpw_u128 sell_base_minor;
    tpw_u128 buy_quote_minor;
    tpw_u128 sell_quote_minor;
};

/* Internal to trade_stats.c; public so the statistics live in the caller's memory. */
struct market__trade_ring {
    struct market_trade_window_config config;
    int64_t bucket_us;
    int64_t newest_index;                /* the newest bucket's number (time / bucket_us) */
    struct market_trade_totals totals;   /* the sum of the buckets */
    struct market_trade_totals *buckets; /* buckets_count, allocated once */
};

struct market_trade_stats {
    unsigned price_exponent;
    unsigned qty_exponent;
    size_t windows_count;
    struct market__trade_ring windows[MARKET_TRADE_WINDOWS_MAX];
    int64_t now_us;        /* the latest time seen (time never goes back here) */
    uint64_t late_count;   /* trades with a time before now_us, counted at now_us */
    uint64_t trades_count; /* since init */
    bool started;          /* a time was seen */
};

/* One window now, as exact numbers and the decimals derived from them. */
struct market_trade_window {
    int64_t window_us;
    uint64_t trades_count; /* buy + sell */
    struct market_trade_totals totals;
    struct market_decimal volume_base;  /* buy + sell base, at qty_exponent */
    struct market_decimal volume_quote; /* buy + sell notional, at price + qty exponents */
    struct market_decimal buy_volume_base;
    struct market_decimal sell_volume_base;
    struct market_decimal rate_per_s; /* trades / (window_us / 10^6), half-up, at
                                         MARKET_RATE_EXPONENT */
    struct market_decimal vwap;       /* volume_quote / volume_base, half-up, at
                                         price_exponent; 0 when has_vwap is false */
    bool has_vwap;                    /* false when the window holds no trade */
};

/*
 * Allocates the windows' buckets once (updates never allocate). Errors:
 * TPW_ERR_INVALID_ARGUMENT (no or too many windows, a window or bucket count out of
 * range, a bucket count that does not divide the window, exponents above
 * MARKET_EXPONENT_MAX), TPW_ERR_NOMEM.
 */
TPW_MUST_CHECK enum tpw_err
market_trade_stats_init(struct market_trade_stats *stats,
                        const struct market_trade_window_config *windows, size_t windows_count,
                        unsigned price_exponent, unsigned qty_exponent);
void market_trade_stats_deinit(struct market_trade_stats *stats);

/*
 * Moves the windows to `now_us` (the caller's clock: the feed's receive times): buckets
 * that fell out are subtracted, at most buckets_count per window however far time
 * jumped. A time before the latest seen changes nothing.
 */
void market_trade_stats_advance(struct market_trade_stats *stats, int64_t now_us);

/*
 * Counts one trade at `at_us` (advancing first; a trade before the latest time seen is
 * counted in the newest buckets and as late). Errors, leaving the statistics
 * unchanged: TPW_ERR_INVALID_ARGUMENT (a zero quantity, an unknown side),
 * TPW_ERR_OVERFLOW (a window's volume or notional would pass 2^128 − 1).
 */
TPW_MUST_CHECK enum tpw_err market_trade_stats_add(struct market_trade_stats *stats, int64_t at_us,
                                                   enum market_taker aggressor,
                                                   uint64_t price_minor, uint64_t qty_minor);

/* Window `window_index` (< windows_count) as of the latest time seen. */
void market_trade_stats_window(const struct market_trade_stats *stats, size_t window_index,
                               struct market_trade_window *out /* out */);

#endif /* TPWALLET_MARKET_H */
