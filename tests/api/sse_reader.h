/*
 * A Server-Sent Events reader for the API suites: libcurl reads GET /v1/events (or any
 * stream) on a thread of its own until `want` events arrived, the server ended it, or
 * 20 s passed, parsing each block's id, event and data (JSON) lines.
 */
#ifndef TPW_TEST_SSE_READER_H
#define TPW_TEST_SSE_READER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "api_client.h"

#define SSE_EVENTS_MAX 256
#define SSE_BUFFER_BYTES (1u << 20)

struct sse_event {
    char id[48];
    char kind[32];
    json_t *data;
    uint64_t received_ns; /* monotonic clock when its block was read */
};

/* One stream, read until `want` events arrived, the server ended it, or 20 s passed. */
struct sse_reader {
    const struct api_fixture *fixture;
    char path[128];
    char header[96];                            /* "Last-Event-ID: …" or "" */
    char authorization[API_KEY_TEXT_SIZE + 32]; /* the fixture's key when started, or "" */
    char kind_prefix[32]; /* keep only events whose kind starts so ("" keeps all) */
    size_t want;
    struct sse_event events[SSE_EVENTS_MAX];
    atomic_size_t count;
    atomic_size_t keepalives; /* `: keep-alive` comments */
    char *buffer;
    size_t length;
    char content_type[64];
    long status;
    CURLcode code;
    pthread_t thread;
};

/* Starts reading `path` (with Last-Event-ID when not NULL) with the fixture's key. */
void sse_start(struct sse_reader *reader, const struct api_fixture *fixture, const char *path,
               const char *last_event_id, size_t want);
/* The same, keeping only the events whose kind starts with `kind_prefix` (the others are
 * read and dropped): a stream busy with market quotes still shows the few failovers. */
void sse_start_kinds(struct sse_reader *reader, const struct api_fixture *fixture, const char *path,
                     const char *kind_prefix, size_t want);
/* Waits for the reader's thread (the stream ended or `want` arrived). */
void sse_join(struct sse_reader *reader);
/* Waits (bounded: 10 s) until the reader has `count` events. */
void sse_wait(struct sse_reader *reader, size_t count);
/* Frees the events' data. */
void sse_free(struct sse_reader *reader);
/* Reads `want` events and returns once they arrived (asserting a 200). */
void sse_read(struct sse_reader *reader, const struct api_fixture *fixture, const char *path,
              const char *last_event_id, size_t want);

#endif
