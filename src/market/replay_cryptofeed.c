/*
 * Replay of cryptofeed's raw recordings: each line handed to a feed as the snapshot or
 * stream message it was, so a recorded session rebuilds the books it saw.
 *
 * The line formats (written by cryptofeed's raw-data recorder, not by any exchange):
 *
 *   | line                              | meaning                                  |
 *   |-----------------------------------|------------------------------------------|
 *   | `<url> <-> <epoch>`               | websocket opened (first line of a ws file)|
 *   | `<epoch>: <json>`                 | a message received on the websocket       |
 *   | `<epoch> <- <text>`               | a message the recorder sent (skipped)     |
 *   | `<url> -> <epoch>: <json body>`   | a REST response (an http file's lines)    |
 *
 * `<epoch>` is seconds since 1970 with an optional fraction ("1633998512.0633569"),
 * URLs hold no spaces; the epoch becomes the feed's receive time of the line's message
 * (market_feed_received_at), so trades and the monitor's windows see the recorded
 * times. Empty lines are counted and skipped; any other line is refused
 * as bad_line, and one longer than MARKET_LINE_SIZE_MAX as oversized, never read whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "market_int.h"
#include "tpw_assert.h"

#include "banned.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of the epoch at the start of `text`: digits [ "." digits ]; 0 when none. */
static size_t epoch_length(const char *text, size_t text_len)
{
    size_t index = 0;
    while (index < text_len && is_digit(text[index])) {
        index++;
    }
    if (index == 0 || index == text_len || text[index] != '.') {
        return index;
    }
    size_t fraction_start = ++index;
    while (index < text_len && is_digit(text[index])) {
        index++;
    }
    return index > fraction_start ? index : 0;
}

/*
 * The epoch of `epoch_len` bytes at `text` (epoch_length() checked its shape) as
 * microseconds, the fraction cut after six digits, into the feed's receive time; an
 * epoch beyond int64 microseconds leaves the time as it was.
 */
static void received_at_epoch(market_feed *feed, const char *text, size_t epoch_len)
{
    int64_t seconds = 0;
    size_t index = 0;
    for (; index < epoch_len && is_digit(text[index]); index++) {
        if (seconds > (INT64_MAX / 1000000 - 9) / 10) {
            return;
        }
        seconds = seconds * 10 + (text[index] - '0');
    }
    int64_t micros = 0;
    size_t fraction_digits = 0;
    for (index++; fraction_digits < 6; fraction_digits++, index++) {
        micros = micros * 10 + (index < epoch_len ? text[index] - '0' : 0);
    }
    market_feed_received_at(feed, seconds * 1000000 + micros);
}

static bool starts_with(const char *text, size_t text_len, const char *prefix)
{
    size_t prefix_len = strlen(prefix);
    return text_len >= prefix_len && memcmp(text, prefix, prefix_len) == 0;
}

/* What the replay does with a feed's result: refusals and gaps are counted there and do
 * not stop the replay; running out of memory or of books does. */
static enum tpw_err fatal_only(enum tpw_err err)
{
    return err == TPW_ERR_MARKET_MESSAGE_INVALID || err == TPW_ERR_MARKET_SEQUENCE_GAP ? TPW_OK
                                                                                       : err;
}

/* `<epoch>: <json>` or `<epoch> <- <text>`. */
static enum tpw_err stream_line(market_feed *feed, const char *line, size_t line_len)
{
    size_t epoch_len = epoch_length(line, line_len);
    const char *rest = line + epoch_len;
    size_t rest_len = line_len - epoch_len;
    if (epoch_len > 0 && starts_with(rest, rest_len, ": ")) {
        received_at_epoch(feed, line, epoch_len);
        return fatal_only(market_feed_message(feed, rest + 2, rest_len - 2));
    }
    if (epoch_len > 0 && starts_with(rest, rest_len, " <- ")) {
        feed->status.sent_count++;
        return TPW_OK;
    }
    return fatal_only(market__refuse(feed, NULL, MARKET_MALFORMED_LINE, "not '<epoch>: <json>'"));
}

/* `<url> <-> <epoch>` or `<url> -> <epoch>: <json body>`. */
static enum tpw_err url_line(market_feed *feed, const char *line, size_t line_len)
{
    const char *space = memchr(line, ' ', line_len);
    size_t url_len = space != NULL ? (size_t)(space - line) : line_len;
    const char *rest = line + url_len;
    size_t rest_len = line_len - url_len;
    if (starts_with(rest, rest_len, " <-> ") &&
        epoch_length(rest + 5, rest_len - 5) == rest_len - 5 && rest_len > 5) {
        return TPW_OK; /* the websocket was opened: nothing to apply */
    }
    if (starts_with(rest, rest_len, " -> ")) {
        size_t epoch_len = epoch_length(rest + 4, rest_len - 4);
        const char *body = rest + 4 + epoch_len;
        size_t body_len = rest_len - 4 - epoch_len;
        if (epoch_len > 0 && starts_with(body, body_len, ": ")) {
            received_at_epoch(feed, rest + 4, epoch_len);
            return fatal_only(market_feed_snapshot(feed, line, url_len, body + 2, body_len - 2));
        }
    }
    return fatal_only(
        market__refuse(feed, NULL, MARKET_MALFORMED_LINE, "not '<url> -> <epoch>: <json>'"));
}

enum tpw_err market_replay_line(market_feed *feed, const char *line, size_t line_len,
                                uint64_t line_number)
{
    feed->line_number = line_number;
    feed->status.lines_count++;
    if (line_len > 0 && line[line_len - 1] == '\r') {
        line_len--;
    }
    if (line_len == 0) {
        feed->status.blank_count++;
        return TPW_OK;
    }
    return is_digit(line[0]) ? stream_line(feed, line, line_len) : url_line(feed, line, line_len);
}

/*
 * Reads one line (without its newline) into `buf` of `size` bytes. Returns false at the
 * end of the file. A longer line is read to its end but only its start is kept, and
 * *oversized says so.
 */
static bool read_line(FILE *file, char *buf, size_t size, size_t *line_len, bool *oversized)
{
    size_t length = 0;
    bool any = false;
    *oversized = false;
    for (;;) {
        int c = getc(file);
        if (c == EOF || c == '\n') {
            any = any || c == '\n';
            break;
        }
        any = true;
        if (length < size) {
            buf[length++] = (char)c;
        } else {
            *oversized = true;
        }
    }
    *line_len = length;
    return any;
}

static enum tpw_err file_open(const char *path, FILE **out, struct tpw_error_detail *detail)
{
    *out = fopen(path, "rb");
    if (*out == NULL) {
        enum tpw_err err = errno == ENOENT ? TPW_ERR_NOT_FOUND : TPW_ERR_IO;
        return tpw_error_set(detail, err, 0, "cannot open '%.120s': %s", path, strerror(errno));
    }
    return TPW_OK;
}

enum tpw_err market_replay_file(market_feed *feed, const char *path,
                                struct tpw_error_detail *detail)
{
    char *buf = malloc(MARKET_LINE_SIZE_MAX);
    if (buf == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    FILE *file = NULL;
    enum tpw_err err = file_open(path, &file, detail);
    uint64_t line_number = 0;
    size_t line_len = 0;
    bool oversized = false;
    while (err == TPW_OK && read_line(file, buf, MARKET_LINE_SIZE_MAX, &line_len, &oversized)) {
        line_number++;
        if (oversized) {
            feed->status.lines_count++;
            market_feed_count_malformed(feed, MARKET_MALFORMED_OVERSIZED, line_number);
        } else {
            err = market_replay_line(feed, buf, line_len, line_number);
        }
        if (err != TPW_OK) {
            (void)tpw_error_set(detail, err, (size_t)line_number, "'%.120s' line %llu: %s", path,
                                (unsigned long long)line_number, tpw_strerror(err));
        }
    }
    if (err == TPW_OK && ferror(file)) {
        err = tpw_error_set(detail, TPW_ERR_IO, 0, "cannot read '%.120s'", path);
    }
    if (file != NULL) {
        (void)fclose(file);
    }
    free(buf);
    feed->line_number = 0;
    return err;
}

enum tpw_err market_replay_file_kind(const char *path, enum market_recording_kind *out,
                                     struct tpw_error_detail *detail)
{
    FILE *file = NULL;
    enum tpw_err err = file_open(path, &file, detail);
    if (err != TPW_OK) {
        return err;
    }
    /* The kind shows in the first few bytes: an epoch, or a URL and its arrow. */
    char head[512];
    size_t head_len = 0;
    bool oversized = false;
    (void)read_line(file, head, sizeof(head), &head_len, &oversized);
    (void)fclose(file);
    const char *space = memchr(head, ' ', head_len);
    size_t rest_len = space != NULL ? head_len - (size_t)(space - head) : 0;
    /* A ws file opens with its connection line, or (cut) with a received message. */
    if ((head_len > 0 && is_digit(head[0])) ||
        (space != NULL && starts_with(space, rest_len, " <-> "))) {
        *out = MARKET_RECORDING_WS;
    } else if (space != NULL && starts_with(space, rest_len, " -> ")) {
        *out = MARKET_RECORDING_HTTP;
    } else {
        return tpw_error_set(detail, TPW_ERR_MARKET_MESSAGE_INVALID, 0,
                             "'%.120s' is not a cryptofeed recording", path);
    }
    return TPW_OK;
}

enum tpw_err market_replay_venue_from_path(const char *path, char venue[MARKET_VENUE_SIZE])
{
    const char *slash = strrchr(path, '/');
    const char *name = slash != NULL ? slash + 1 : path;
    const char *dot = strchr(name, '.');
    size_t venue_len = dot != NULL ? (size_t)(dot - name) : 0;
    if (venue_len == 0 || venue_len >= MARKET_VENUE_SIZE) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    (void)memcpy(venue, name, venue_len);
    venue[venue_len] = '\0';
    return TPW_OK;
}
