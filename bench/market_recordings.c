/*
 * The market benchmark's data (market_recordings.h): the recordings read into memory
 * once so the timed loop touches no file, the README's final books as the check that a
 * fast replay is still a correct one, and the level dump compared with the ccxt peer's.
 */
#include "market_recordings.h"
#include "market_final_books.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* A recording file is a few hundred KiB; this bounds a wrong path's damage. */
#define RECORDING_FILE_SIZE_MAX ((size_t)64 * 1024 * 1024)
#define RECORDING_LINES_MAX ((size_t)1 << 20)

static const char *const venue_names[RECORDINGS_VENUES_COUNT] = {"BINANCE", "BINANCE_US"};

/* Appends the file at `path` to *buffer (of *size bytes, grown). */
static bool file_append(const char *path, char **buffer, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        (void)fprintf(stderr, "bench_market: cannot open '%s'\n", path);
        return false;
    }
    bool ok = fseek(file, 0, SEEK_END) == 0;
    long length = ok ? ftell(file) : -1;
    ok = length >= 0 && (size_t)length <= RECORDING_FILE_SIZE_MAX && fseek(file, 0, SEEK_SET) == 0;
    char *grown = ok ? realloc(*buffer, *size + (size_t)length + 1) : NULL;
    if (grown != NULL) {
        *buffer = grown;
        ok = fread(grown + *size, 1, (size_t)length, file) == (size_t)length;
        *size += (size_t)length;
        grown[*size] = '\n'; /* the http file's last line ends before the ws file's first */
        *size += 1;
    }
    (void)fclose(file);
    if (!ok || grown == NULL) {
        (void)fprintf(stderr, "bench_market: cannot read '%s'\n", path);
    }
    return ok && grown != NULL;
}

/* A snapshot (`<url> -> <epoch>: <body>`) or a received message (`<epoch>: <json>`). */
static bool line_is_message(const char *text, size_t text_len)
{
    size_t index = 0;
    while (index < text_len && ((text[index] >= '0' && text[index] <= '9') || text[index] == '.')) {
        index++;
    }
    if (index > 0) {
        return index + 1 < text_len && text[index] == ':';
    }
    const char *space = memchr(text, ' ', text_len);
    size_t rest = space != NULL ? text_len - (size_t)(space - text) : 0;
    return rest > 4 && memcmp(space, " -> ", 4) == 0;
}

/* Splits the venue's buffer into lines (empty ones kept: the replay counts them). */
static bool lines_split(struct recording_venue *venue, size_t size)
{
    venue->lines = calloc(RECORDING_LINES_MAX, sizeof(venue->lines[0]));
    if (venue->lines == NULL) {
        return false;
    }
    size_t start = 0;
    for (size_t index = 0; index < size && venue->lines_count < RECORDING_LINES_MAX; index++) {
        if (venue->buffer[index] == '\n') {
            struct recording_line *line = &venue->lines[venue->lines_count++];
            *line = (struct recording_line){venue->buffer + start, index - start, false};
            line->is_message = line_is_message(line->text, line->text_len);
            venue->messages_count += line->is_message ? 1 : 0;
            start = index + 1;
        }
    }
    return venue->lines_count < RECORDING_LINES_MAX;
}

bool recordings_load(struct recordings *recordings, const char *dir)
{
    memset(recordings, 0, sizeof(*recordings));
    for (size_t index = 0; index < RECORDINGS_VENUES_COUNT; index++) {
        struct recording_venue *venue = &recordings->venues[index];
        venue->venue = venue_names[index];
        size_t size = 0;
        char path[4096];
        (void)snprintf(path, sizeof(path), "%s/%s.http.0.0", dir, venue->venue);
        bool ok = file_append(path, &venue->buffer, &size);
        (void)snprintf(path, sizeof(path), "%s/%s.ws.1.0", dir, venue->venue);
        ok = ok && file_append(path, &venue->buffer, &size) && lines_split(venue, size);
        if (!ok) {
            recordings_free(recordings);
            return false;
        }
    }
    return true;
}

void recordings_free(struct recordings *recordings)
{
    for (size_t index = 0; index < RECORDINGS_VENUES_COUNT; index++) {
        free(recordings->venues[index].buffer);
        free(recordings->venues[index].lines);
    }
    memset(recordings, 0, sizeof(*recordings));
}

/* True when the best level of `side` is `price` × `qty` (decimal strings). */
static bool best_is(const struct market_book *book, enum market_side side, const char *price,
                    const char *qty)
{
    uint64_t price_minor = 0;
    uint64_t qty_minor = 0;
    struct market_level level = {0, 0};
    return market_decimal_parse(price, strlen(price), book->price_exponent, &price_minor, NULL) ==
               TPW_OK &&
           market_decimal_parse(qty, strlen(qty), book->qty_exponent, &qty_minor, NULL) == TPW_OK &&
           market_book_level(book, side, 0, &level) && level.price_minor == price_minor &&
           level.qty_minor == qty_minor;
}

static bool book_check(const struct market_final_book *want,
                       const struct market_book_status *status)
{
    const struct market_book *book = status->book;
    bool ok = status->last_update_id == want->update_id && status->gaps_count == 0 &&
              status->synced && !market_book_crossed(book) &&
              market_book_levels_count(book, MARKET_BID) == want->bid_levels &&
              market_book_levels_count(book, MARKET_ASK) == want->ask_levels &&
              best_is(book, MARKET_BID, want->bid, want->bid_qty) &&
              best_is(book, MARKET_ASK, want->ask, want->ask_qty);
    if (!ok) {
        (void)fprintf(stderr, "bench_market: %s %s differs from the README's final book\n",
                      want->venue, want->symbol);
    }
    return ok;
}

bool recordings_books_check(const market_feed *feed)
{
    struct market_feed_status feed_status;
    market_feed_status(feed, &feed_status);
    size_t matched = 0;
    size_t wanted = 0;
    bool ok = true;
    for (size_t want = 0; want < MARKET_FINAL_BOOKS_COUNT; want++) {
        if (strcmp(market_final_books[want].venue, feed_status.venue) != 0) {
            continue;
        }
        wanted++;
        for (size_t index = 0; index < market_feed_books_count(feed); index++) {
            struct market_book_status status;
            market_feed_book_status(feed, index, &status);
            if (strcmp(status.book->symbol, market_final_books[want].symbol) == 0) {
                matched++;
                ok = book_check(&market_final_books[want], &status) && ok;
            }
        }
    }
    if (matched != wanted || market_feed_books_count(feed) != wanted) {
        (void)fprintf(stderr, "bench_market: %s has %zu books, the README %zu\n", feed_status.venue,
                      market_feed_books_count(feed), wanted);
        ok = false;
    }
    return ok;
}

/* `units` at `exponent` as a decimal without trailing fraction zeros (nor a bare point). */
static bool decimal_text(uint64_t units, unsigned exponent, char *buf, size_t size)
{
    struct market_decimal value = {.units = units, .exponent = exponent, .negative = false};
    size_t length = market_decimal_format(&value, buf, size);
    if (length == 0) {
        return false;
    }
    if (memchr(buf, '.', length) != NULL) {
        while (buf[length - 1] == '0') {
            length--;
        }
        length -= buf[length - 1] == '.' ? 1 : 0;
    }
    buf[length] = '\0';
    return true;
}

static bool side_dump(const struct market_book *book, enum market_side side, FILE *out)
{
    struct market_level level;
    for (size_t depth = 0; market_book_level(book, side, depth, &level); depth++) {
        char price[MARKET_DECIMAL_TEXT_SIZE];
        char qty[MARKET_DECIMAL_TEXT_SIZE];
        if (!decimal_text(level.price_minor, book->price_exponent, price, sizeof(price)) ||
            !decimal_text(level.qty_minor, book->qty_exponent, qty, sizeof(qty)) ||
            fprintf(out, "%s %s %s %s %s\n", book->venue, book->symbol,
                    side == MARKET_BID ? "bid" : "ask", price, qty) < 0) {
            return false;
        }
    }
    return true;
}

bool recordings_books_dump(const market_feed *feed, FILE *out)
{
    bool ok = true;
    for (size_t index = 0; ok && index < market_feed_books_count(feed); index++) {
        struct market_book_status status;
        market_feed_book_status(feed, index, &status);
        ok = side_dump(status.book, MARKET_BID, out) && side_dump(status.book, MARKET_ASK, out);
    }
    return ok;
}
