/*
 * The HTTP API suites' fixture: a real server on loopback and a libcurl client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api_client.h"
#include "tpw_test.h"
#include "tpwallet/ledger.h"

#include "banned.h"

void api_fixture_start(struct api_fixture *fixture, struct api_server_options options)
{
    if (fixture->data_dir[0] == '\0') {
        (void)snprintf(fixture->data_dir, sizeof fixture->data_dir, "api_test.%ld.XXXXXX",
                       (long)getpid());
        assert_non_null(mkdtemp(fixture->data_dir));
        assert_err(ledger_init(fixture->data_dir, NULL), TPW_OK);
        api_fixture_key(fixture, &(struct api_key_spec){.role = API_ROLE_ADMIN},
                        fixture->admin_key);
        fixture->key = fixture->admin_key;
    }
    options.data_dir = fixture->data_dir;
    options.listen_host = "127.0.0.1";
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = api_server_start(&options, &fixture->server, &detail);
    if (err != TPW_OK) {
        fail_msg("api_server_start: %s", detail.message);
    }
    (void)snprintf(fixture->base_url, sizeof fixture->base_url, "http://127.0.0.1:%u",
                   (unsigned)api_server_port(fixture->server));
}

void api_fixture_key(struct api_fixture *fixture, const struct api_key_spec *spec,
                     char key[API_KEY_TEXT_SIZE])
{
    struct api_key_info info;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (api_key_create(fixture->data_dir, spec, &info, key, &detail) != TPW_OK) {
        fail_msg("api_key_create: %s", detail.message);
    }
}

void api_fixture_stop(struct api_fixture *fixture)
{
    assert_non_null(fixture->server);
    assert_err(api_server_stop(fixture->server, NULL), TPW_OK);
    fixture->server = NULL;
}

void api_fixture_teardown(struct api_fixture *fixture)
{
    if (fixture->server != NULL) {
        api_fixture_stop(fixture);
    }
    if (fixture->data_dir[0] != '\0') {
        assert_true(tpw_test_tree_remove(fixture->data_dir));
        fixture->data_dir[0] = '\0';
    }
}

int api_fixture_free_state(void **state)
{
    api_fixture_teardown(*state);
    free(*state);
    *state = NULL;
    return 0;
}

struct buffer {
    char *data;
    size_t length;
};

static size_t on_data(char *data, size_t size, size_t count, void *arg)
{
    struct buffer *buffer = arg;
    char *grown = realloc(buffer->data, buffer->length + size * count + 1);
    assert_non_null(grown);
    memcpy(grown + buffer->length, data, size * count);
    buffer->length += size * count;
    grown[buffer->length] = '\0';
    buffer->data = grown;
    return size * count;
}

static size_t on_header(char *data, size_t size, size_t count, void *arg)
{
    struct api_response *out = arg;
    size_t used = strlen(out->headers);
    size_t length = size * count;
    if (used + length < sizeof out->headers) {
        memcpy(out->headers + used, data, length);
        out->headers[used + length] = '\0';
    }
    return length;
}

bool api_call(const struct api_fixture *fixture, const char *method, const char *path,
              const char *body, const char *content_type, const char *extra_header,
              struct api_response *out)
{
    memset(out, 0, sizeof *out);
    CURL *curl = curl_easy_init();
    assert_non_null(curl);
    char url[512];
    (void)snprintf(url, sizeof url, "%s%s", fixture->base_url, path);
    char type[128];
    (void)snprintf(type, sizeof type, "Content-Type: %s",
                   content_type != NULL ? content_type : "application/json");
    struct curl_slist *headers = curl_slist_append(NULL, type);
    if (extra_header != NULL) {
        headers = curl_slist_append(headers, extra_header);
    }
    char authorization[API_KEY_TEXT_SIZE + 32];
    if (fixture->key != NULL) {
        (void)snprintf(authorization, sizeof authorization, "Authorization: Bearer %s",
                       fixture->key);
        headers = curl_slist_append(headers, authorization);
    }
    struct buffer buffer = {0};
    (void)curl_easy_setopt(curl, CURLOPT_URL, url);
    (void)curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    (void)curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    (void)curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    (void)curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buffer);
    (void)curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    (void)curl_easy_setopt(curl, CURLOPT_HEADERDATA, out);
    (void)curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    if (body != NULL) {
        (void)curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    }
    CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) { /* say why, for the failure this becomes */
        print_message("%s %s: curl: %s\n", method, path, curl_easy_strerror(code));
    }
    (void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (buffer.data != NULL) {
        out->body = json_loads(buffer.data, 0, NULL);
    }
    out->text = buffer.data; /* freed by api_response_free */
    out->text_length = buffer.length;
    return code == CURLE_OK;
}

long api_json(const struct api_fixture *fixture, const char *method, const char *path,
              const char *body, struct api_response *out)
{
    assert_true(api_call(fixture, method, path, body, NULL, NULL, out));
    return out->status;
}

void api_post_ok(const struct api_fixture *fixture, const char *path, const char *body)
{
    struct api_response r;
    long got = api_json(fixture, "POST", path, body, &r);
    if (got != 200 && got != 201) {
        fail_msg("POST %s %s: %ld (%s)", path, body, got, r.text != NULL ? r.text : "");
    }
    api_response_free(&r);
}

void api_response_free(struct api_response *response)
{
    json_decref(response->body);
    response->body = NULL;
    free(response->text);
    response->text = NULL;
    response->text_length = 0;
}

const char *api_field(const struct api_response *response, const char *key)
{
    json_t *object = response->body;
    if (strncmp(key, "error.", 6) == 0) {
        object = json_object_get(object, "error");
        key += 6;
    }
    return json_string_value(json_object_get(object, key));
}

bool api_metrics_have(const struct api_fixture *api, const char *line)
{
    struct api_response r;
    assert_true(api_call(api, "GET", "/metrics", NULL, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    bool found = r.text != NULL && strstr(r.text, line) != NULL;
    api_response_free(&r);
    return found;
}
