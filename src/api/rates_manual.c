/*
 * The server's manual rates, kept: DATA/fx/manual-rates.jsonl, one line per rate set
 * with POST /v1/rates — when, by which key, the pair, bid and ask — appended and
 * fsync'd before the 201, so an acknowledged rate survives a crash and a restart
 * (within its TTL, which counts from when it was set, not from the restart). The file
 * is also the audit trail of who set which rate; it only grows (a line is ~130 bytes).
 *
 * At start every line is replayed into the manual provider in order; a rate the
 * aggregator refuses now (dated ahead of a clock set back) is skipped with a warning.
 * A torn last line (a crash mid-append, never acknowledged) is cut off; any other
 * malformed line stops the start (fx_manual_log_corrupt), as the key file does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonl.h"
#include "log.h"
#include "rates.h"
#include "tpw_assert.h"

#include "banned.h"

#define MANUAL_LOG_NAME "fx/manual-rates.jsonl"
#define MANUAL_LINE_MAX 1024

static enum tpw_err corrupt(struct tpw_error_detail *detail, uint64_t offset, const char *why)
{
    return tpw_error_set(detail, TPW_ERR_FX_MANUAL_LOG_CORRUPT, offset,
                         MANUAL_LOG_NAME ", line at byte %llu: %s", (unsigned long long)offset,
                         why);
}

static bool code_copy(json_t *line, const char *key, char out[FX_CODE_SIZE])
{
    const char *code = json_string_value(json_object_get(line, key));
    size_t length = code != NULL ? strlen(code) : 0;
    if (length == 0 || length >= FX_CODE_SIZE) {
        return false;
    }
    memcpy(out, code, length + 1);
    return true;
}

static bool rate_read(json_t *line, const char *key, struct money_rate *out)
{
    const char *text = json_string_value(json_object_get(line, key));
    return text != NULL && money_rate_parse(text, strlen(text), out, NULL) == TPW_OK;
}

/* One line's quote; false when it is malformed. */
static bool line_parse(const char *text, size_t length, struct fx_quote *out)
{
    memset(out, 0, sizeof *out);
    json_t *line = json_loadb(text, length, JSON_REJECT_DUPLICATES, NULL);
    json_t *time = json_object_get(line, "time_ns");
    bool ok = json_is_integer(time) && json_integer_value(time) > 0 &&
              code_copy(line, "base", out->base) && code_copy(line, "quote", out->quote) &&
              rate_read(line, "bid", &out->bid) && rate_read(line, "ask", &out->ask);
    out->time_ns = ok ? (uint64_t)json_integer_value(time) : 0;
    json_decref(line);
    return ok;
}

/* Replays one line into the manual provider (the start: no other thread yet). */
static enum tpw_err line_replay(void *context, const char *text, size_t length, uint64_t offset,
                                struct tpw_error_detail *detail)
{
    struct api_rates *rates = context;
    struct fx_quote quote;
    if (!line_parse(text, length, &quote)) {
        return corrupt(detail, offset, "not a manual rate record");
    }
    struct tpw_error_detail refused;
    tpw_error_detail_reset(&refused);
    if (fx_aggregator_update(rates->aggregator, rates->manual_id, &quote, &refused) != TPW_OK) {
        TPW_LOGF(TPW_LOG_WARN, "fx.manual_skipped", TPW_LOG_U64("offset", offset),
                 TPW_LOG_STR("error", refused.message));
    }
    return TPW_OK;
}

enum tpw_err api_rates_manual_open(struct api_rates *rates, struct tpw_error_detail *detail)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/manual-rates.jsonl", rates->fx_dir) >=
        sizeof path) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "data directory path too long");
    }
    if (mkdir(rates->fx_dir, 0755) != 0 && errno != EEXIST) {
        return api_jsonl_io_error(MANUAL_LOG_NAME, "cannot create its directory", detail);
    }
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        return api_jsonl_io_error(MANUAL_LOG_NAME, "open failed", detail);
    }
    uint64_t offset = 0;
    enum tpw_err err = api_jsonl_tail_repair(fd, MANUAL_LOG_NAME, detail);
    if (err == TPW_OK) {
        err = api_jsonl_read(fd, MANUAL_LOG_NAME, MANUAL_LINE_MAX, TPW_ERR_FX_MANUAL_LOG_CORRUPT,
                             &offset, line_replay, rates, detail);
    }
    if (err != TPW_OK) {
        (void)close(fd);
        return err;
    }
    rates->manual_fd = fd;
    return TPW_OK;
}

void api_rates_manual_close(struct api_rates *rates)
{
    if (rates->manual_fd >= 0) {
        (void)close(rates->manual_fd);
        rates->manual_fd = -1;
    }
}

static json_t *rate_json(struct money_rate rate)
{
    char text[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_rate_format(rate, text, sizeof text);
    return json_string(text);
}

enum tpw_err api_rates_manual_log(struct api_rates *rates, const struct fx_quote *quote,
                                  uint64_t key_id, struct tpw_error_detail *detail)
{
    char key[API_KEY_ID_TEXT_SIZE];
    api_key_id_format(key_id, key);
    json_t *line =
        json_pack("{s:I, s:s, s:s, s:o, s:o, s:s}", "time_ns", (json_int_t)quote->time_ns, "base",
                  quote->base, "quote", quote->quote, "bid", rate_json(quote->bid), "ask",
                  rate_json(quote->ask), "key_id", key);
    char *text = api_jsonl_text(line);
    json_decref(line);
    if (text == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the manual rate");
    }
    enum tpw_err err =
        api_jsonl_append(rates->manual_fd, rates->fx_dir, MANUAL_LOG_NAME, text, detail);
    free(text);
    return err;
}
