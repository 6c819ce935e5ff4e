/*
 * Limits of the market module, each with its reason.
 */
#ifndef MARKET_LIMITS_H
#define MARKET_LIMITS_H

#include "tpwallet/market.h"
#include "tpwallet/u128.h"

/* Books one feed holds: a venue connection carries tens of symbols (Binance allows
 * 1024 streams per connection, and a symbol needs several); more is a second feed. */
#define MARKET_FEED_BOOKS_MAX 256

/* Price changes in one message: a snapshot holds both sides of a full book. */
#define MARKET_MESSAGE_CHANGES_MAX ((size_t)MARKET_SIDES_COUNT * MARKET_BOOK_LEVELS_MAX)

/* Top-of-book tickers kept per book until the book reaches their update id: the
 * recordings show at most 5 tickers ahead of the diff that matches them. */
#define MARKET_TICKERS_PENDING_MAX 16

/* The exponent a book gets when its snapshot strings have fewer fraction digits: the
 * venues below send prices and sizes with up to 8 (Binance always, Coinbase sizes). */
#define MARKET_EXPONENT_FLOOR 8

_Static_assert(MARKET_EXPONENT_MAX <= 19, "10^exponent must fit in 64 bits");
_Static_assert(MARKET_EXPONENT_MAX <= TPW_U128_POW10_MAX, "money_decimal_parse's range");
_Static_assert(MARKET_EXPONENT_FLOOR <= MARKET_EXPONENT_MAX, "the floor is an exponent");
_Static_assert(MARKET_BOOK_LEVELS_MAX <= SIZE_MAX / MARKET_SIDES_COUNT, "changes bound");

/* Longest live websocket message: the same bound as a recording line (a full snapshot
 * fits); a longer frame is discarded as it arrives and counted as oversized. */
#define MARKET_LIVE_FRAME_MAX MARKET_LINE_SIZE_MAX

/* Longest REST snapshot body: limit=5000 is about 350 KiB; four times that is a
 * server that is not sending a depth snapshot. */
#define MARKET_LIVE_SNAPSHOT_BODY_MAX ((size_t)4 * 350 * 1024)

/* Messages held while a source waits for its snapshots: at Binance's 100 ms depth
 * rate and a few streams per symbol, minutes of messages for 16 symbols. When full
 * the oldest is dropped (counted): the sequence checks then see the gap, if any. */
#define MARKET_LIVE_BUFFER_MESSAGES_MAX 4096
/* … and their bytes, so a buffer of large messages stays bounded too. */
#define MARKET_LIVE_BUFFER_BYTES_MAX ((size_t)32 * 1024 * 1024)

/* Largest snapshot depth Binance serves. */
#define MARKET_LIVE_SNAPSHOT_LIMIT_MAX 5000u

_Static_assert(MARKET_LIVE_FRAME_MAX <= MARKET_LIVE_BUFFER_BYTES_MAX, "a frame fits the buffer");

#endif /* MARKET_LIMITS_H */
