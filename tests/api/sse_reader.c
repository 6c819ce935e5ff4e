/* The API suites' SSE reader (sse_reader.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sse_reader.h"
#include "tpw_test.h"
#include "tpwallet/clock.h"

#include "banned.h"

static void sse_block(struct sse_reader *reader, char *block)
{
    struct sse_event event = {0};
    if (strcmp(block, ": keep-alive") == 0) {
        atomic_fetch_add(&reader->keepalives, 1);
        return;
    }
    for (char *line = block; line != NULL && *line != '\0';) {
        char *next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        if (strncmp(line, "id: ", 4) == 0) {
            (void)snprintf(event.id, sizeof event.id, "%s", line + 4);
        } else if (strncmp(line, "event: ", 7) == 0) {
            (void)snprintf(event.kind, sizeof event.kind, "%s", line + 7);
        } else if (strncmp(line, "data: ", 6) == 0) {
            event.data = json_loads(line + 6, 0, NULL);
            assert_non_null(event.data);
        }
        line = next;
    }
    size_t count = atomic_load(&reader->count);
    size_t prefix = strlen(reader->kind_prefix);
    if (event.data != NULL && strncmp(event.kind, reader->kind_prefix, prefix) != 0) {
        json_decref(event.data); /* not of the kinds asked for */
        return;
    }
    if (event.data == NULL || count == SSE_EVENTS_MAX) {
        assert_null(event.data); /* comments, retry: no data */
        return;
    }
    event.received_ns = tpw_clock_monotonic_ns();
    reader->events[count] = event;
    atomic_store(&reader->count, count + 1);
}

static size_t sse_on_data(char *data, size_t size, size_t count, void *user)
{
    struct sse_reader *reader = user;
    size_t length = size * count;
    assert_true(reader->length + length < SSE_BUFFER_BYTES);
    memcpy(reader->buffer + reader->length, data, length);
    reader->length += length;
    reader->buffer[reader->length] = '\0';
    char *end;
    while ((end = strstr(reader->buffer, "\n\n")) != NULL) {
        *end = '\0';
        sse_block(reader, reader->buffer);
        size_t used = (size_t)(end + 2 - reader->buffer);
        memmove(reader->buffer, end + 2, reader->length - used + 1);
        reader->length -= used;
    }
    return atomic_load(&reader->count) >= reader->want ? 0 : length; /* 0 stops curl */
}

static size_t sse_on_header(char *data, size_t size, size_t count, void *user)
{
    struct sse_reader *reader = user;
    size_t length = size * count;
    if (length > 14 && strncasecmp(data, "Content-Type: ", 14) == 0) {
        (void)snprintf(reader->content_type, sizeof reader->content_type, "%.*s",
                       (int)strcspn(data + 14, "\r\n"), data + 14);
    }
    return length;
}

static void *sse_main(void *arg)
{
    struct sse_reader *reader = arg;
    CURL *curl = curl_easy_init();
    assert_non_null(curl);
    char url[256];
    (void)snprintf(url, sizeof url, "%s%s", reader->fixture->base_url, reader->path);
    struct curl_slist *headers =
        reader->header[0] != '\0' ? curl_slist_append(NULL, reader->header) : NULL;
    if (reader->authorization[0] != '\0') {
        headers = curl_slist_append(headers, reader->authorization);
    }
    (void)curl_easy_setopt(curl, CURLOPT_URL, url);
    (void)curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    (void)curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sse_on_data);
    (void)curl_easy_setopt(curl, CURLOPT_WRITEDATA, reader);
    (void)curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, sse_on_header);
    (void)curl_easy_setopt(curl, CURLOPT_HEADERDATA, reader);
    (void)curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
    reader->code = curl_easy_perform(curl);
    (void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reader->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return NULL;
}

static void reader_start(struct sse_reader *reader, const struct api_fixture *fixture,
                         const char *path, const char *last_event_id, const char *kind_prefix,
                         size_t want)
{
    memset(reader, 0, sizeof *reader);
    reader->fixture = fixture;
    (void)snprintf(reader->path, sizeof reader->path, "%s", path);
    (void)snprintf(reader->kind_prefix, sizeof reader->kind_prefix, "%s", kind_prefix);
    if (last_event_id != NULL) {
        (void)snprintf(reader->header, sizeof reader->header, "Last-Event-ID: %s", last_event_id);
    }
    if (fixture->key != NULL) {
        (void)snprintf(reader->authorization, sizeof reader->authorization,
                       "Authorization: Bearer %s", fixture->key);
    }
    reader->want = want;
    reader->buffer = malloc(SSE_BUFFER_BYTES);
    assert_non_null(reader->buffer);
    reader->buffer[0] = '\0';
    assert_int_equal(pthread_create(&reader->thread, NULL, sse_main, reader), 0);
}

void sse_start(struct sse_reader *reader, const struct api_fixture *fixture, const char *path,
               const char *last_event_id, size_t want)
{
    reader_start(reader, fixture, path, last_event_id, "", want);
}

void sse_start_kinds(struct sse_reader *reader, const struct api_fixture *fixture, const char *path,
                     const char *kind_prefix, size_t want)
{
    reader_start(reader, fixture, path, NULL, kind_prefix, want);
}

void sse_join(struct sse_reader *reader)
{
    assert_int_equal(pthread_join(reader->thread, NULL), 0);
    free(reader->buffer);
    reader->buffer = NULL;
}

void sse_wait(struct sse_reader *reader, size_t count)
{
    for (int i = 0; i < 1000 && atomic_load(&reader->count) < count; i++) {
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 10000000};
        (void)nanosleep(&pause, NULL);
    }
    assert_true(atomic_load(&reader->count) >= count);
}

void sse_free(struct sse_reader *reader)
{
    for (size_t i = 0; i < atomic_load(&reader->count); i++) {
        json_decref(reader->events[i].data);
    }
    atomic_store(&reader->count, 0);
}

void sse_read(struct sse_reader *reader, const struct api_fixture *fixture, const char *path,
              const char *last_event_id, size_t want)
{
    sse_start(reader, fixture, path, last_event_id, want);
    sse_join(reader);
    assert_int_equal(reader->status, 200);
    assert_int_equal(atomic_load(&reader->count), want);
}
