/*
 * Append-only JSON-lines files (jsonl.h): reading complete lines in chunks, cutting a
 * torn tail, and durable appends. Shared by the API key file (apikey.c) and the log of
 * manual rates (rates_manual.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonl.h"
#include "tpw_assert.h"

#include "banned.h"

#define READ_CHUNK_BYTES (64u << 10)

enum tpw_err api_jsonl_io_error(const char *name, const char *what, struct tpw_error_detail *detail)
{
    int error_number = errno;
    return tpw_error_set(detail, TPW_ERR_IO, 0, "%s: %s: %s", name, what, strerror(error_number));
}

/* Hands each complete line of buffer[0, length) to `line`; *used = bytes consumed. */
static enum tpw_err lines_apply(const char *buffer, size_t length, uint64_t base,
                                api_jsonl_line_fn *line, void *context, size_t *used,
                                struct tpw_error_detail *detail)
{
    size_t start = 0;
    for (;;) {
        const char *newline = memchr(buffer + start, '\n', length - start);
        if (newline == NULL) {
            break;
        }
        size_t line_length = (size_t)(newline - (buffer + start));
        enum tpw_err err = line(context, buffer + start, line_length, base + start, detail);
        if (err != TPW_OK) {
            return err;
        }
        start += line_length + 1;
    }
    *used = start;
    return TPW_OK;
}

enum tpw_err api_jsonl_read(int fd, const char *name, size_t line_max, enum tpw_err corrupt,
                            uint64_t *offset, api_jsonl_line_fn *line, void *context,
                            struct tpw_error_detail *detail)
{
    TPW_ASSERT(line_max < READ_CHUNK_BYTES);
    char *buffer = malloc(READ_CHUNK_BYTES);
    if (buffer == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    enum tpw_err err = TPW_OK;
    size_t held = 0;
    for (;;) {
        ssize_t got = pread(fd, buffer + held, READ_CHUNK_BYTES - held, (off_t)(*offset + held));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            err = api_jsonl_io_error(name, "read failed", detail);
            break;
        }
        if (got == 0) {
            break; /* a torn tail stays unread */
        }
        held += (size_t)got;
        size_t used = 0;
        err = lines_apply(buffer, held, *offset, line, context, &used, detail);
        if (err == TPW_OK && held - used > line_max) {
            uint64_t at = *offset + used;
            err = tpw_error_set(detail, corrupt, at, "%s, line at byte %llu: line too long", name,
                                (unsigned long long)at);
        }
        if (err != TPW_OK) {
            break;
        }
        memmove(buffer, buffer + used, held - used);
        held -= used;
        *offset += used;
    }
    free(buffer);
    return err;
}

enum tpw_err api_jsonl_tail_repair(int fd, const char *name, struct tpw_error_detail *detail)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return api_jsonl_io_error(name, "stat failed", detail);
    }
    off_t end = st.st_size;
    char byte = '\n';
    while (end > 0) {
        if (pread(fd, &byte, 1, end - 1) != 1) {
            return api_jsonl_io_error(name, "read failed", detail);
        }
        if (byte == '\n') {
            break;
        }
        end--;
    }
    if (end != st.st_size && ftruncate(fd, end) != 0) {
        return api_jsonl_io_error(name, "truncate failed", detail);
    }
    return TPW_OK;
}

/* fsync of the directory, so a file just created survives a crash. */
static enum tpw_err dir_sync(const char *dir, const char *name, struct tpw_error_detail *detail)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return api_jsonl_io_error(name, "open of its directory failed", detail);
    }
    enum tpw_err err =
        fsync(fd) == 0 ? TPW_OK : api_jsonl_io_error(name, "directory fsync failed", detail);
    (void)close(fd);
    return err;
}

enum tpw_err api_jsonl_append(int fd, const char *dir, const char *name, const char *line,
                              struct tpw_error_detail *detail)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return api_jsonl_io_error(name, "stat failed", detail);
    }
    size_t length = strlen(line);
    TPW_ASSERT(length > 0 && line[length - 1] == '\n');
    ssize_t wrote = write(fd, line, length);
    enum tpw_err err = TPW_OK;
    if (wrote != (ssize_t)length) {
        err = wrote < 0 ? api_jsonl_io_error(name, "write failed", detail)
                        : tpw_error_set(detail, TPW_ERR_IO, 0, "%s: short write", name);
    } else if (fsync(fd) != 0) {
        err = api_jsonl_io_error(name, "fsync failed", detail);
    }
    if (err != TPW_OK) {
        (void)ftruncate(fd, st.st_size); /* best effort: a torn tail is cut on open too */
        return err;
    }
    return st.st_size == 0 ? dir_sync(dir, name, detail) : TPW_OK;
}

char *api_jsonl_text(const json_t *line)
{
    char *json = line != NULL ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (json == NULL) {
        return NULL;
    }
    size_t length = strlen(json);
    char *text = malloc(length + 2);
    if (text != NULL) {
        memcpy(text, json, length);
        text[length] = '\n';
        text[length + 1] = '\0';
    }
    free(json);
    return text;
}
