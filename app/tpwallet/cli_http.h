/*
 * The CLI as a client of `tpwallet serve`: one JSON POST with an API key, bounded the
 * way tpw_fx_live's fetch is (a whole-transfer timeout, a body cap, no redirects), and
 * the server's replies shown the way the CLI shows its own results and errors.
 */
#ifndef TPWALLET_CLI_HTTP_H
#define TPWALLET_CLI_HTTP_H

#include "cli.h"

/* The API's replies are a few KB (a quote with three legs is under 2 KB); anything
 * near this is not our server. */
#define CLI_HTTP_BODY_MAX ((size_t)256 * 1024)
/* A quote is priced in microseconds and a conversion waits for one group commit (an
 * fsync): 15 s is generous for both and still ends a hung connection. */
#define CLI_HTTP_TIMEOUT_MS 15000
#define CLI_HTTP_CONNECT_TIMEOUT_MS 5000
/* --server and the path joined, as libcurl gets them. */
#define CLI_HTTP_URL_SIZE 1024

/* Where requests go: the server's base URL and the API key (TPWALLET_API_KEY). */
struct cli_http_target {
    char url_base[CLI_HTTP_URL_SIZE]; /* "http://127.0.0.1:8080", no trailing slash */
    const char *api_key;
};

/*
 * The target from --server (NULL: TPWALLET_SERVER, else http://127.0.0.1:8080) and
 * the environment's TPWALLET_API_KEY. Errors: TPW_ERR_USAGE without a key (the
 * message names TPWALLET_API_KEY), TPW_ERR_INVALID_ARGUMENT for a URL that is not
 * http:// or https:// or is too long (param "server").
 */
TPW_MUST_CHECK enum tpw_err cli_http_target_init(struct cli_http_target *target /* out */,
                                                 const char *server,
                                                 struct tpw_error_detail *detail);

/* A reply: the HTTP status, the body parsed (a JSON object) and as received. */
struct cli_http_reply {
    char *body; /* NUL-terminated; owned by the reply */
    size_t body_size_bytes;
    json_t *object; /* the body parsed; NULL until then */
    long status;
    char url[CLI_HTTP_URL_SIZE];
};

/*
 * POSTs `request` (a JSON object, not taken) to the target's base URL + `path` with
 * the key as a bearer token, and reads the reply whatever its status. Errors:
 * TPW_ERR_CLIENT_UNREACHABLE (refused, unknown host, reset, timeout: the message names
 * the URL), TPW_ERR_CLIENT_REPLY_INVALID (a body above CLI_HTTP_BODY_MAX, or not a JSON
 * object), TPW_ERR_INVALID_ARGUMENT (the URL too long), TPW_ERR_NOMEM. On success
 * `reply` holds the body until cli_http_reply_deinit; on error it holds nothing.
 */
TPW_MUST_CHECK enum tpw_err cli_http_post(const struct cli_http_target *target, const char *path,
                                          const json_t *request,
                                          struct cli_http_reply *reply /* out */,
                                          struct tpw_error_detail *detail);
void cli_http_reply_deinit(struct cli_http_reply *reply);

/*
 * A reply with an error status, shown as the CLI shows its own errors: "tpwallet
 * <command>: error: <message> (<code>)" on stderr and, with --json, the server's
 * object on stdout as received. Returns the exit status for the HTTP status: 401 and
 * 403 77 (no permission), 429 75 (try again), 503 69 (unavailable), any other 4xx 65
 * (the request's data: 400, 404, 409, 410, 422), any other status 70.
 */
int cli_http_fail(const struct cli *cli, const struct cli_http_reply *reply);

/* The reply's body on stdout as received, one line (--json). */
int cli_http_print_body(const struct cli *cli, const struct cli_http_reply *reply);

#endif /* TPWALLET_CLI_HTTP_H */
