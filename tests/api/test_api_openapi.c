/*
 * GET /v1/openapi.json on a real server: no key needed, application/json, and the body
 * is docs/openapi.json byte for byte (TPW_OPENAPI_PATH, given by CMake), so the
 * document the binary carries is the one tests/api/check-openapi checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api_client.h"
#include "tpw_test.h"

#include "banned.h"

/* The whole file at `path` (malloc'd); fails the test when it cannot be read. */
static char *file_read(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    assert_int_equal(fseek(file, 0, SEEK_END), 0);
    long size = ftell(file);
    assert_true(size > 0);
    assert_int_equal(fseek(file, 0, SEEK_SET), 0);
    char *data = malloc((size_t)size);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, file), (size_t)size);
    assert_int_equal(fclose(file), 0);
    *length = (size_t)size;
    return data;
}

static int setup(void **state)
{
    struct api_fixture *fixture = calloc(1, sizeof *fixture);
    api_fixture_start(fixture, (struct api_server_options){.connection_timeout_s = 2});
    *state = fixture;
    return 0;
}

static void test_document_served_without_a_key(void **state)
{
    struct api_fixture *fixture = *state;
    size_t expected_length = 0;
    char *expected = file_read(TPW_OPENAPI_PATH, &expected_length);
    fixture->key = NULL;
    struct api_response r;
    assert_true(api_call(fixture, "GET", "/v1/openapi.json", NULL, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.headers, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(r.headers, "Request-Id: req_"));
    assert_int_equal(r.text_length, expected_length);
    assert_memory_equal(r.text, expected, expected_length);
    /* It is the OpenAPI document, and it describes its own route as public. */
    assert_non_null(r.body);
    assert_string_equal(api_field(&r, "openapi"), "3.1.0");
    json_t *operation = json_object_get(
        json_object_get(json_object_get(r.body, "paths"), "/v1/openapi.json"), "get");
    assert_string_equal(json_string_value(json_object_get(operation, "x-tpwallet-access")),
                        "public");
    assert_int_equal(json_array_size(json_object_get(operation, "security")), 0);
    api_response_free(&r);
    free(expected);
}

/* Served from static storage without a copy: every request gets the same bytes, with
 * a key or without. */
static void test_document_repeated_and_with_a_key(void **state)
{
    struct api_fixture *fixture = *state;
    size_t expected_length = 0;
    char *expected = file_read(TPW_OPENAPI_PATH, &expected_length);
    for (int round = 0; round < 3; round++) {
        fixture->key = round == 1 ? NULL : fixture->admin_key;
        struct api_response r;
        assert_int_equal(api_json(fixture, "GET", "/v1/openapi.json", NULL, &r), 200);
        assert_int_equal(r.text_length, expected_length);
        assert_memory_equal(r.text, expected, expected_length);
        api_response_free(&r);
    }
    free(expected);
}

/* The route is GET only: another method is 405 with Allow, as for every route. */
static void test_other_methods_refused(void **state)
{
    struct api_fixture *fixture = *state;
    struct api_response r;
    assert_int_equal(api_json(fixture, "POST", "/v1/openapi.json", "{}", &r), 405);
    assert_string_equal(api_field(&r, "error.code"), "method_not_allowed");
    assert_non_null(strstr(r.headers, "Allow: GET\r\n"));
    api_response_free(&r);
}

int main(void)
{
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_document_served_without_a_key, setup,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_document_repeated_and_with_a_key, setup,
                                        api_fixture_free_state),
        cmocka_unit_test_setup_teardown(test_other_methods_refused, setup, api_fixture_free_state),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
