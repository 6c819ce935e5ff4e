/*
 * The market benchmark's data: the cryptofeed recordings loaded into memory once, the
 * final books tests/data/marketdata/README.md gives for them, and a dump of every level
 * in a normalised decimal form that the ccxt peer prints too (bench/ccxt/replay.js).
 */
#ifndef BENCH_MARKET_RECORDINGS_H
#define BENCH_MARKET_RECORDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tpwallet/market.h"

/* Venues of the recordings: BINANCE and BINANCE_US, one http and one ws file each. */
#define RECORDINGS_VENUES_COUNT 2

struct recording_line {
    const char *text; /* inside the venue's buffer, not NUL-terminated */
    size_t text_len;
    bool is_message; /* a snapshot or a received message (not the open line, a sent one, a
                        blank) */
};

struct recording_venue {
    const char *venue;            /* "BINANCE" */
    char *buffer;                 /* the http file, then the ws file */
    struct recording_line *lines; /* the http file's lines first: snapshots before diffs */
    size_t lines_count;
    size_t messages_count; /* lines that are messages */
};

struct recordings {
    struct recording_venue venues[RECORDINGS_VENUES_COUNT];
};

/* Reads the four files of `dir` (the venue's http file, then its ws file). false, with
 * a message on stderr, when one cannot be read. */
bool recordings_load(struct recordings *recordings, const char *dir);
void recordings_free(struct recordings *recordings);

/* Compares every book of `feed` with the README's final books (update id, best levels
 * and their quantities, level counts, no gap, not crossed); prints each difference on
 * stderr. true when all the venue's books are there and equal. */
bool recordings_books_check(const market_feed *feed);

/* Writes every level of every book of `feed`, best first, one per line:
 * `VENUE SYMBOL bid|ask PRICE QTY`, numbers without trailing fraction zeros ("0.3527",
 * "9602"). */
bool recordings_books_dump(const market_feed *feed, FILE *out);

#endif /* BENCH_MARKET_RECORDINGS_H */
