/*
 * Append-only JSON-lines files of the api module (jsonl.c): DATA/apikeys.jsonl and
 * DATA/fx/manual-rates.jsonl. One line is one record, appended with one write() and
 * synced before it is acknowledged; a crash can leave a torn last line, never
 * acknowledged, which readers leave unread and the next writer cuts off.
 * Private to src/api.
 */
#ifndef TPW_API_JSONL_H
#define TPW_API_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tpwallet/error.h"

/* One complete line (without its newline) at byte `offset` of the file. */
typedef enum tpw_err api_jsonl_line_fn(void *context, const char *text, size_t length,
                                       uint64_t offset, struct tpw_error_detail *detail);

/* TPW_ERR_IO "NAME: WHAT: strerror(errno)". */
enum tpw_err api_jsonl_io_error(const char *name, const char *what,
                                struct tpw_error_detail *detail);

/* Reads the complete lines from *offset on, handing each to `line`, and advances
 * *offset past them (a torn tail stays unread). A line longer than `line_max` is
 * `corrupt` (the file's own code). */
TPW_MUST_CHECK enum tpw_err api_jsonl_read(int fd, const char *name, size_t line_max,
                                           enum tpw_err corrupt, uint64_t *offset,
                                           api_jsonl_line_fn *line, void *context,
                                           struct tpw_error_detail *detail);

/* Cuts a torn last line (a crash mid-append) so the next append starts a fresh line.
 * The caller holds the file exclusively. */
TPW_MUST_CHECK enum tpw_err api_jsonl_tail_repair(int fd, const char *name,
                                                  struct tpw_error_detail *detail);

/* Appends `line` (ending with its newline) and fsyncs it, and the directory `dir` when
 * the file was empty (just created). A failed write is cut off again, so the file
 * never keeps half a line the caller was told failed. */
TPW_MUST_CHECK enum tpw_err api_jsonl_append(int fd, const char *dir, const char *name,
                                             const char *line, struct tpw_error_detail *detail);

/* A record's line: compact JSON in its keys' order and a newline, malloc'd; NULL when
 * `line` is NULL or out of memory. */
char *api_jsonl_text(const json_t *line);

#endif
