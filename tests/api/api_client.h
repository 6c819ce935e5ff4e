/*
 * The HTTP API suites' fixture: a real server (api_server_start on 127.0.0.1, a free
 * port, a fresh data directory) and a real HTTP client (libcurl) to drive it.
 */
#ifndef TPW_TEST_API_CLIENT_H
#define TPW_TEST_API_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "tpwallet/api.h"
#include "tpwallet/apikey.h"

struct api_fixture {
    char data_dir[128];
    struct api_server *server;
    char base_url[64];
    char admin_key[API_KEY_TEXT_SIZE]; /* created with the ledger */
    const char *key;                   /* sent as the Bearer token; NULL: none */
};

/* Creates the ledger and an admin key (the one api_call sends) and starts the server
 * with `options` (data_dir is filled in). */
void api_fixture_start(struct api_fixture *fixture, struct api_server_options options);
/* Creates a key in the fixture's data directory (the server sees it within a second,
 * or at once when created before api_fixture_start). */
void api_fixture_key(struct api_fixture *fixture, const struct api_key_spec *spec,
                     char key[API_KEY_TEXT_SIZE] /* out */);
/* Stops the server (asserting a clean stop); the data directory stays. */
void api_fixture_stop(struct api_fixture *fixture);
/* Stops when running and removes the data directory. */
void api_fixture_teardown(struct api_fixture *fixture);
/* A cmocka teardown for a fixture calloc'd into *state: api_fixture_teardown, then
 * free. */
int api_fixture_free_state(void **state);

struct api_response {
    long status;
    json_t *body; /* parsed JSON; NULL when the body is not JSON */
    char *text;   /* the body's bytes as received (NUL-terminated); NULL when empty */
    size_t text_length;
    char headers[4096];
};

/*
 * One request with fixture->key: `body` (may be NULL) is sent as application/json
 * unless `content_type` says otherwise; `extra_header` ("Name: value") may be NULL.
 * Returns false when the request could not be made (connection refused …).
 */
bool api_call(const struct api_fixture *fixture, const char *method, const char *path,
              const char *body, const char *content_type, const char *extra_header,
              struct api_response *out);
/* api_call that must succeed at the HTTP level; returns the status. */
long api_json(const struct api_fixture *fixture, const char *method, const char *path,
              const char *body, struct api_response *out);
void api_response_free(struct api_response *response);
/* POST `body` to `path`; anything but 200 or 201 fails the test with the reply. */
void api_post_ok(const struct api_fixture *fixture, const char *path, const char *body);

/* The string at `key` of the body's object (or of body.error with "error.code"). */
const char *api_field(const struct api_response *response, const char *key);

/* Whether GET /metrics (with the fixture's key) holds `line` now. */
bool api_metrics_have(const struct api_fixture *api, const char *line);

#endif /* TPW_TEST_API_CLIENT_H */
