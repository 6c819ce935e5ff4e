/*
 * Structured logging: one JSON object per line on stderr (or a stream set by the
 * program), e.g.
 *   {"ts":"2026-11-24T09:30:00.125Z","level":"info","event":"registry.loaded","assets":182}
 * Lines are built in a fixed buffer and written with one fwrite, so concurrent
 * writers never interleave inside a line and logging never allocates. Fields that do
 * not fit are dropped (with every field after them) and the line ends with
 * "truncated":true. Event names and keys are programmer-chosen constants of at most
 * TPW_LOG_NAME_LEN_MAX characters (asserted).
 * Configuration (level, stream, clock) is set once at start-up, before threads.
 */
#ifndef TPW_LOG_H
#define TPW_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tpwallet/clock.h"
#include "tpwallet/error.h"

enum tpw_log_level {
    TPW_LOG_DEBUG = 0,
    TPW_LOG_INFO = 1,
    TPW_LOG_WARN = 2,
    TPW_LOG_ERROR = 3,
    TPW_LOG_OFF = 4,
};

/* Whole line, including the newline. */
#define TPW_LOG_LINE_SIZE 4096
/* Event names and field keys: short identifiers like "registry.loaded". */
#define TPW_LOG_NAME_LEN_MAX 64

enum tpw_log_field_kind { TPW_LOG_FIELD_STR, TPW_LOG_FIELD_U64, TPW_LOG_FIELD_I64 };

struct tpw_log_field {
    const char *key; /* a JSON-safe identifier chosen by the programmer */
    enum tpw_log_field_kind kind;
    union {
        const char *str;
        uint64_t u64;
        int64_t i64;
    } value;
};

#define TPW_LOG_STR(k, v)                                                                          \
    ((struct tpw_log_field){.key = (k), .kind = TPW_LOG_FIELD_STR, .value.str = (v)})
#define TPW_LOG_U64(k, v)                                                                          \
    ((struct tpw_log_field){.key = (k), .kind = TPW_LOG_FIELD_U64, .value.u64 = (v)})
#define TPW_LOG_I64(k, v)                                                                          \
    ((struct tpw_log_field){.key = (k), .kind = TPW_LOG_FIELD_I64, .value.i64 = (v)})

/* Emits one line when `level` is at or above the configured level. */
void tpw_log(enum tpw_log_level level, const char *event, const struct tpw_log_field *fields,
             size_t fields_count);

/* TPW_LOGF(TPW_LOG_INFO, "registry.loaded", TPW_LOG_U64("assets", n)) */
#define TPW_LOGF(level, event, ...)                                                                \
    tpw_log((level), (event), (const struct tpw_log_field[]){__VA_ARGS__},                         \
            sizeof((const struct tpw_log_field[]){__VA_ARGS__}) / sizeof(struct tpw_log_field))

/* Defaults: TPW_LOG_WARN, stderr, the system clock. */
void tpw_log_set_level(enum tpw_log_level level);
enum tpw_log_level tpw_log_get_level(void);
void tpw_log_set_stream(FILE *stream);
void tpw_log_set_clock(struct tpw_clock clock);

/* "debug", "info", "warn", "error", "off" → level; TPW_ERR_INVALID_ARGUMENT otherwise. */
TPW_MUST_CHECK enum tpw_err tpw_log_level_parse(const char *name,
                                                enum tpw_log_level *out /* out */);

#endif /* TPW_LOG_H */
