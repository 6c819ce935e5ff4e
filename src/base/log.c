/*
 * JSON-lines logger (see log.h). The line is assembled in a stack buffer: each field
 * is first rendered on its own and appended only if it fits with room left for the
 * closing `,"truncated":true}`, so every emitted line is valid JSON.
 */
#include "log.h"

#include <inttypes.h>
#include <string.h>

#include "tpw_assert.h"

#include "banned.h"

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

/* Set at start-up, before threads exist (see log.h). */
static enum tpw_log_level log_level = TPW_LOG_WARN;
static FILE *log_stream;           /* NULL means stderr */
static struct tpw_clock log_clock; /* now_ns NULL means the system clock */

struct line {
    char data[TPW_LOG_LINE_SIZE];
    size_t length;
    int truncated;
};

/* Room kept back so the line can always be closed. */
static const char line_tail_truncated[] = ",\"truncated\":true}\n";

static void line_append(struct line *line, const char *text, size_t text_len)
{
    size_t reserve = sizeof(line_tail_truncated);
    if (line->truncated || line->length + text_len + reserve > sizeof(line->data)) {
        line->truncated = 1;
        return;
    }
    memcpy(line->data + line->length, text, text_len);
    line->length += text_len;
}

/* Appends `value` as a JSON string (quoted, escaped) to `out`; returns the length. */
static size_t json_escape(const char *value, char *out, size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    size_t length = 0;
    TPW_ASSERT(out_size >= 3);
    out[length++] = '"';
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        if (length + 7 + 1 > out_size) {
            break; /* the caller sees a field that fills its buffer and drops it */
        }
        if (*p == '"' || *p == '\\') {
            out[length++] = '\\';
            out[length++] = (char)*p;
        } else if (*p < 0x20) {
            const char escape[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            memcpy(out + length, escape, sizeof(escape));
            length += sizeof(escape);
        } else {
            out[length++] = (char)*p;
        }
    }
    out[length++] = '"';
    return length;
}

static void line_append_field(struct line *line, const struct tpw_log_field *field)
{
    char rendered[TPW_LOG_LINE_SIZE];
    TPW_ASSERT(strlen(field->key) <= TPW_LOG_NAME_LEN_MAX);
    int head = snprintf(rendered, sizeof(rendered), ",\"%s\":", field->key);
    TPW_ASSERT(head > 0 && (size_t)head < sizeof(rendered) / 2);
    size_t length = (size_t)head;
    char *value = rendered + length;
    size_t value_size = sizeof(rendered) - length;
    switch (field->kind) {
    case TPW_LOG_FIELD_STR:
        length += json_escape(field->value.str, value, value_size);
        break;
    case TPW_LOG_FIELD_U64:
        length += (size_t)snprintf(value, value_size, "%" PRIu64, field->value.u64);
        break;
    case TPW_LOG_FIELD_I64:
        length += (size_t)snprintf(value, value_size, "%" PRId64, field->value.i64);
        break;
    }
    line_append(line, rendered, length);
}

/* `"ts":"2026-11-24T09:30:00.125Z","level":"info","event":"..."` */
static void line_append_head(struct line *line, enum tpw_log_level level, const char *event)
{
    struct tpw_clock clock = log_clock.now_ns != NULL ? log_clock : tpw_clock_system();
    char stamp[TPW_CLOCK_UTC_TEXT_SIZE];
    (void)tpw_clock_format_utc_ms(tpw_clock_now_ns(&clock) / UINT64_C(1000000), stamp);

    char head[256];
    int head_len = snprintf(head, sizeof(head), "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":", stamp,
                            level_names[level]);
    TPW_ASSERT(head_len > 0 && (size_t)head_len < sizeof(head));
    line_append(line, head, (size_t)head_len);
    char escaped[256];
    size_t escaped_len = json_escape(event, escaped, sizeof(escaped));
    line_append(line, escaped, escaped_len);
}

void tpw_log(enum tpw_log_level level, const char *event, const struct tpw_log_field *fields,
             size_t fields_count)
{
    TPW_ASSERT(level < TPW_LOG_OFF);
    TPW_ASSERT(strlen(event) <= TPW_LOG_NAME_LEN_MAX);
    if (level < log_level) {
        return;
    }
    struct line line = {.length = 0, .truncated = 0};
    line_append_head(&line, level, event);
    for (size_t index = 0; index < fields_count; index++) {
        line_append_field(&line, &fields[index]);
    }
    if (line.truncated) {
        memcpy(line.data + line.length, line_tail_truncated, sizeof(line_tail_truncated) - 1);
        line.length += sizeof(line_tail_truncated) - 1;
    } else {
        memcpy(line.data + line.length, "}\n", 2);
        line.length += 2;
    }
    TPW_ASSERT(line.length <= sizeof(line.data));
    FILE *stream = log_stream != NULL ? log_stream : stderr;
    (void)fwrite(line.data, 1, line.length, stream);
    (void)fflush(stream);
}

void tpw_log_set_level(enum tpw_log_level level)
{
    TPW_ASSERT(level <= TPW_LOG_OFF);
    log_level = level;
}

enum tpw_log_level tpw_log_get_level(void)
{
    return log_level;
}

void tpw_log_set_stream(FILE *stream)
{
    log_stream = stream;
}

void tpw_log_set_clock(struct tpw_clock clock)
{
    log_clock = clock;
}

enum tpw_err tpw_log_level_parse(const char *name, enum tpw_log_level *out)
{
    for (size_t index = 0; index < sizeof(level_names) / sizeof(level_names[0]); index++) {
        if (strcmp(name, level_names[index]) == 0) {
            *out = (enum tpw_log_level)index;
            return TPW_OK;
        }
    }
    return TPW_ERR_INVALID_ARGUMENT;
}
