/*
 * The dashboard's files (src/api/web.c) through a real server: GET / and GET
 * /assets/NAME from a web root read at start, with their content types, caching and
 * security headers; names that must not resolve (hidden files, subdirectories,
 * encoded slashes, unknown names); a file changed after start is still served as it
 * was read; no web root means 404; a web root without index.html stops the start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api_client.h"
#include "tpw_test.h"

#include "banned.h"

#define INDEX_HTML "<!doctype html><title>tpwallet</title><script src=\"/assets/app-1a2b.js\">"
#define APP_JS "console.log('tpwallet');\n"

struct web_case {
    struct api_fixture api;
    char root[160];
};

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    (void)snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(fputs(text, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
}

static void root_make(struct web_case *web, bool with_index)
{
    (void)snprintf(web->root, sizeof web->root, "api_test.web.XXXXXX");
    assert_non_null(mkdtemp(web->root));
    char assets[200];
    (void)snprintf(assets, sizeof assets, "%s/assets", web->root);
    assert_int_equal(mkdir(assets, 0700), 0);
    if (with_index) {
        write_file(web->root, "index.html", INDEX_HTML);
    }
    write_file(assets, "app-1a2b.js", APP_JS);
    write_file(assets, "app-1a2b.css", "body{margin:0}");
    write_file(assets, ".secret", "not served");
    char sub[240];
    (void)snprintf(sub, sizeof sub, "%s/nested", assets);
    assert_int_equal(mkdir(sub, 0700), 0);
    write_file(sub, "inner.js", "not served");
}

static void root_remove(const char *root)
{
    assert_true(tpw_test_tree_remove(root));
}

static int setup(void **state)
{
    struct web_case *web = calloc(1, sizeof *web);
    assert_non_null(web);
    root_make(web, true);
    api_fixture_start(&web->api, (struct api_server_options){.web_root = web->root});
    *state = web;
    return 0;
}

static int teardown(void **state)
{
    struct web_case *web = *state;
    api_fixture_teardown(&web->api);
    root_remove(web->root);
    free(web);
    return 0;
}

static bool has_header(const struct api_response *response, const char *line)
{
    return strstr(response->headers, line) != NULL;
}

static void get_unknown(const struct api_fixture *api, const char *path)
{
    struct api_response response;
    assert_int_equal(api_json(api, "GET", path, NULL, &response), 404);
    assert_string_equal(api_field(&response, "error.code"), "route_unknown");
    api_response_free(&response);
}

static void test_index(void **state)
{
    struct web_case *web = *state;
    web->api.key = NULL; /* the page needs no key: it asks for one */
    struct api_response response;
    assert_int_equal(api_json(&web->api, "GET", "/", NULL, &response), 200);
    assert_string_equal(response.text, INDEX_HTML);
    assert_true(has_header(&response, "Content-Type: text/html; charset=utf-8"));
    assert_true(has_header(&response, "Cache-Control: no-cache"));
    assert_true(has_header(&response, "Content-Security-Policy: default-src 'self'"));
    assert_true(has_header(&response, "X-Content-Type-Options: nosniff"));
    assert_true(has_header(&response, "X-Frame-Options: DENY"));
    assert_true(has_header(&response, "Request-Id: "));
    api_response_free(&response);
}

static void test_assets(void **state)
{
    struct web_case *web = *state;
    web->api.key = NULL;
    struct api_response response;
    assert_int_equal(api_json(&web->api, "GET", "/assets/app-1a2b.js", NULL, &response), 200);
    assert_string_equal(response.text, APP_JS);
    assert_true(has_header(&response, "Content-Type: text/javascript; charset=utf-8"));
    assert_true(has_header(&response, "Cache-Control: public, max-age=31536000, immutable"));
    api_response_free(&response);
    assert_int_equal(api_json(&web->api, "GET", "/assets/app-1a2b.css", NULL, &response), 200);
    assert_true(has_header(&response, "Content-Type: text/css; charset=utf-8"));
    api_response_free(&response);
}

/* Nothing outside the files read at start resolves, whatever the name's form. */
static void test_names_refused(void **state)
{
    struct web_case *web = *state;
    web->api.key = NULL;
    get_unknown(&web->api, "/assets/missing.js");
    get_unknown(&web->api, "/assets/.secret");
    get_unknown(&web->api, "/assets/nested");
    get_unknown(&web->api, "/assets/nested/inner.js");
    get_unknown(&web->api, "/assets/..%2Findex.html");
    get_unknown(&web->api, "/assets/%2e%2e");
    get_unknown(&web->api, "/assets/");
    get_unknown(&web->api, "/index.html");
    struct api_response response;
    assert_int_equal(api_json(&web->api, "POST", "/", "{}", &response), 405);
    assert_true(has_header(&response, "Allow: GET"));
    api_response_free(&response);
}

/* What is served was read at start: a build replacing files under a running server
 * does not show until a restart (never half a file). */
static void test_read_at_start(void **state)
{
    struct web_case *web = *state;
    web->api.key = NULL;
    char assets[200];
    (void)snprintf(assets, sizeof assets, "%s/assets", web->root);
    write_file(assets, "app-1a2b.js", "changed");
    write_file(assets, "late.js", "late");
    struct api_response response;
    assert_int_equal(api_json(&web->api, "GET", "/assets/app-1a2b.js", NULL, &response), 200);
    assert_string_equal(response.text, APP_JS);
    api_response_free(&response);
    get_unknown(&web->api, "/assets/late.js");
}

static void test_requests_counted(void **state)
{
    struct web_case *web = *state;
    web->api.key = NULL;
    struct api_response response;
    assert_int_equal(api_json(&web->api, "GET", "/", NULL, &response), 200);
    api_response_free(&response);
    web->api.key = web->api.admin_key;
    assert_true(api_metrics_have(
        &web->api,
        "tpwallet_http_request_duration_seconds_count{route=\"web.index\",status=\"200\"} 1"));
}

static void test_no_web_root(void **state)
{
    (void)state;
    struct api_fixture api = {0};
    api_fixture_start(&api, (struct api_server_options){0});
    api.key = NULL;
    get_unknown(&api, "/");
    get_unknown(&api, "/assets/app.js");
    api_fixture_teardown(&api);
}

static void start_refused(const char *root, const char *message_part)
{
    struct api_server *server = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct api_server_options options = {.data_dir = "api_test.web.unused", .web_root = root};
    assert_int_equal(api_server_start(&options, &server, &detail), TPW_ERR_WEB_ROOT_INVALID);
    assert_null(server);
    assert_string_equal(detail.param, "web_root");
    assert_non_null(strstr(detail.message, message_part));
}

static void test_bad_roots(void **state)
{
    (void)state;
    struct web_case web = {0};
    root_make(&web, false);
    start_refused(web.root, "no index.html");
    start_refused("api_test.web.does-not-exist", "no index.html");
    root_remove(web.root);
}

int main(void)
{
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_at_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_counted, setup, teardown),
        cmocka_unit_test(test_no_web_root),
        cmocka_unit_test(test_bad_roots),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
