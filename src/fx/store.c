/*
 * The stored rate history (docs/formats/fx-history.md): one canonical CSV per data
 * directory, `currency,date,per_eur` rows in (currency, date) order with the rate's
 * shortest exact text, so equal histories are equal files and a diff shows what a load
 * changed. It is replaced atomically (temporary file, fsync, rename, fsync of the
 * directory): a crash mid-save leaves the previous history, never half of a new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define FX_HISTORY_MAGIC "tpwallet fx history 1"
#define FX_HISTORY_COLUMNS "currency,date,per_eur"

static enum tpw_err path_in(const char *dir, const char *name, char path[PATH_MAX],
                            struct tpw_error_detail *detail)
{
    int length = snprintf(path, PATH_MAX, "%s/%s", dir, name);
    if (length < 0 || length >= PATH_MAX) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "the path '%.100s' is too long",
                             dir);
    }
    return TPW_OK;
}

static enum tpw_err corrupt(struct tpw_error_detail *detail, size_t line, size_t offset_bytes,
                            const char *what)
{
    return tpw_error_set(detail, TPW_ERR_FX_HISTORY_CORRUPT, offset_bytes,
                         "the stored history, line %zu: %s", line, what);
}

/* One row `CUR,YYYY-MM-DD,rate`, which must come after `previous` in file order. */
static enum tpw_err read_row(fx_history *history, const char *row, size_t row_len,
                             struct fx_ecb_rate *previous, int32_t *previous_days,
                             const char **problem)
{
    struct fx_ecb_rate rate;
    int32_t date_days = 0;
    if (row_len < 3 + 1 + 10 + 1 + 1 || row[3] != ',' || row[14] != ',' ||
        !fx__currency_valid(row, 3) || fx_date_parse(row + 4, 10, &date_days, NULL) != TPW_OK ||
        fx__rate_parse(row + 15, row_len - 15, &rate.per_eur, NULL) != TPW_OK) {
        *problem = "not CUR,YYYY-MM-DD,rate";
        return TPW_ERR_FX_HISTORY_CORRUPT;
    }
    memcpy(rate.currency, row, 3);
    rate.currency[3] = '\0';
    int order = strcmp(previous->currency, rate.currency);
    if (order > 0 || (order == 0 && *previous_days >= date_days)) {
        *problem = "out of (currency, date) order";
        return TPW_ERR_FX_HISTORY_CORRUPT;
    }
    *previous = rate;
    *previous_days = date_days;
    return fx__history_append(history, rate.currency, date_days, rate.per_eur, NULL);
}

static enum tpw_err read_history(fx_history *history, const char *text, size_t text_len,
                                 struct tpw_error_detail *detail)
{
    struct fx_ecb_rate previous = {{0}, ""};
    int32_t previous_days = 0;
    size_t line = 0;
    size_t pos = 0;
    while (pos < text_len) {
        const char *start = text + pos;
        const char *newline = memchr(start, '\n', text_len - pos);
        if (newline == NULL) {
            return corrupt(detail, line + 1, pos, "no newline at the end (a torn write?)");
        }
        size_t length = (size_t)(newline - start);
        size_t offset = pos;
        pos += length + 1;
        line++;
        const char *expected = line == 1 ? FX_HISTORY_MAGIC : FX_HISTORY_COLUMNS;
        if (line <= 2) {
            if (length != strlen(expected) || memcmp(start, expected, length) != 0) {
                return corrupt(detail, line, offset,
                               line == 1 ? "not " FX_HISTORY_MAGIC : "not " FX_HISTORY_COLUMNS);
            }
            continue;
        }
        const char *problem = "too many observations";
        if (read_row(history, start, length, &previous, &previous_days, &problem) != TPW_OK) {
            return corrupt(detail, line, offset, problem);
        }
    }
    return line >= 2 ? TPW_OK : corrupt(detail, line + 1, pos, "no header");
}

enum tpw_err fx_history_load(const char *dir, fx_history **out, struct tpw_error_detail *detail)
{
    *out = NULL;
    char path[PATH_MAX];
    enum tpw_err err = path_in(dir, FX_HISTORY_FILE_NAME, path, detail);
    char *text = NULL;
    size_t text_len = 0;
    if (err == TPW_OK) {
        err = fx__read_file(path, FX_HISTORY_FILE_SIZE_MAX, &text, &text_len, detail);
    }
    fx_history *history = err == TPW_OK || err == TPW_ERR_NOT_FOUND ? fx_history_create() : NULL;
    if (history == NULL) {
        free(text);
        return err == TPW_OK || err == TPW_ERR_NOT_FOUND
                   ? tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for a history")
                   : err;
    }
    /* No file yet: the directory's history is empty. */
    err = text == NULL ? TPW_OK : read_history(history, text, text_len, detail);
    free(text);
    if (err == TPW_OK) {
        err = fx__history_seal(history, detail);
    }
    if (err != TPW_OK) {
        fx_history_destroy(history);
        return err;
    }
    tpw_error_detail_reset(detail);
    *out = history;
    return TPW_OK;
}

static bool write_rows(FILE *file, const fx_history *history)
{
    bool ok = fprintf(file, "%s\n%s\n", FX_HISTORY_MAGIC, FX_HISTORY_COLUMNS) > 0;
    for (size_t index = 0; ok && index < history->series_count; index++) {
        const struct fx_series *series = &history->series[index];
        TPW_ASSERT(series->sorted);
        for (size_t at = 0; ok && at < series->count; at++) {
            char date[FX_DATE_TEXT_SIZE];
            char rate[MONEY_DECIMAL_TEXT_SIZE];
            fx_date_format(series->observations[at].date_days, date);
            (void)money_rate_format(series->observations[at].per_eur, rate, sizeof(rate));
            ok = fprintf(file, "%s,%s,%s\n", series->currency, date, rate) > 0;
        }
    }
    return ok;
}

static enum tpw_err io_error(struct tpw_error_detail *detail, const char *what, const char *path)
{
    return tpw_error_set(detail, TPW_ERR_IO, 0, "%s '%.120s': %s", what, path, strerror(errno));
}

/* Writes and syncs the temporary file. */
static enum tpw_err write_temporary(const fx_history *history, const char *path,
                                    struct tpw_error_detail *detail)
{
    FILE *file = fopen(path, "wb");
    if (file == NULL) {
        return io_error(detail, "cannot create", path);
    }
    bool ok = write_rows(file, history) && fflush(file) == 0 && fsync(fileno(file)) == 0;
    int saved = errno;
    ok = fclose(file) == 0 && ok;
    if (!ok) {
        errno = saved != 0 ? saved : errno;
        enum tpw_err err = io_error(detail, "cannot write", path);
        (void)unlink(path);
        return err;
    }
    return TPW_OK;
}

enum tpw_err fx_history_save(const fx_history *history, const char *dir,
                             struct tpw_error_detail *detail)
{
    char path[PATH_MAX];
    char temporary[PATH_MAX];
    enum tpw_err err = path_in(dir, FX_HISTORY_FILE_NAME, path, detail);
    if (err == TPW_OK) {
        err = path_in(dir, FX_HISTORY_FILE_NAME ".tmp", temporary, detail);
    }
    if (err == TPW_OK) {
        err = write_temporary(history, temporary, detail);
    }
    if (err != TPW_OK) {
        return err;
    }
    if (rename(temporary, path) != 0) {
        err = io_error(detail, "cannot rename over", path);
        (void)unlink(temporary);
        return err;
    }
    /* The rename is durable only once the directory entry is. */
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dir_fd < 0) {
        return io_error(detail, "cannot open", dir);
    }
    bool synced = fsync(dir_fd) == 0;
    err = synced ? TPW_OK : io_error(detail, "cannot sync", dir);
    (void)close(dir_fd);
    return err;
}

/* Merges `from` into `history`, then saves it unless nothing was new (a poller sees the
 * same day many times: values already stored merge silently). */
static enum tpw_err merge_and_save(fx_history *history, const fx_history *from, const char *dir,
                                   struct fx_history_summary *after,
                                   struct tpw_error_detail *detail)
{
    struct fx_history_summary before = {0};
    enum tpw_err err = fx_history_summarize(history, &before, detail);
    if (err == TPW_OK) {
        err = fx_history_merge(history, from, detail);
    }
    if (err == TPW_OK) {
        err = fx_history_summarize(history, after, detail);
    }
    if (err == TPW_OK && after->observations_count != before.observations_count) {
        err = fx_history_save(history, dir, detail);
    }
    return err;
}

/* Load, merge, save: the caller holds the directory's lock. */
static enum tpw_err merge_locked(const char *dir, const fx_history *from,
                                 struct fx_history_summary *stored, struct tpw_error_detail *detail)
{
    fx_history *history = NULL;
    enum tpw_err err = fx_history_load(dir, &history, detail);
    if (err != TPW_OK) {
        return err;
    }
    TPW_ASSERT(history != NULL);
    struct fx_history_summary after = {0};
    err = merge_and_save(history, from, dir, &after, detail);
    if (err == TPW_OK && stored != NULL) {
        *stored = after;
    }
    fx_history_destroy(history);
    return err;
}

enum tpw_err fx_history_store_merge(const char *dir, const fx_history *from,
                                    struct fx_history_summary *stored,
                                    struct tpw_error_detail *detail)
{
    char lock_path[PATH_MAX];
    enum tpw_err err = path_in(dir, FX_HISTORY_FILE_NAME ".lock", lock_path, detail);
    if (err != TPW_OK) {
        return err;
    }
    int lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0) {
        return io_error(detail, "cannot open", lock_path);
    }
    /* Two writers would both write history.csv.tmp, and the later rename would drop what
     * the earlier merged: one at a time. The lock goes with the descriptor. */
    if (flock(lock_fd, LOCK_EX) != 0) {
        err = io_error(detail, "cannot lock", lock_path);
    } else {
        err = merge_locked(dir, from, stored, detail);
    }
    (void)close(lock_fd);
    return err;
}
