/*
 * Routing: method + path → handler, from one table. A path that matches a route with
 * another method is a 405 with Allow; no match at all is a 404.
 */
#include <string.h>

#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

struct route {
    const char *method;
    const char *pattern; /* segments; "*" takes the path parameter */
    const char *name;    /* for logs and metrics */
    api_handler *handler;
};

/* Literal segments before "*" where both could match ("/v1/transfers/batch"). */
static const struct route routes[] = {
    {"POST", "/v1/accounts", "accounts.create", api_accounts_create},
    {"GET", "/v1/accounts", "accounts.list", api_accounts_list},
    {"GET", "/v1/accounts/*", "accounts.get", api_account_get},
    {"GET", "/v1/accounts/*/balances", "accounts.balances", api_account_balances},
    {"GET", "/v1/accounts/*/transfers", "accounts.transfers", api_account_transfers},
    {"POST", "/v1/transfers", "transfers.create", api_transfers_create},
    {"POST", "/v1/transfers/batch", "transfers.batch", api_transfers_batch},
    {"GET", "/v1/transfers/*", "transfers.get", api_transfer_get},
    {"POST", "/v1/transfers/*/post", "transfers.post", api_transfer_post},
    {"POST", "/v1/transfers/*/void", "transfers.void", api_transfer_void},
    {"GET", "/livez", "livez", api_livez},
    {"GET", "/readyz", "readyz", api_readyz},
};

#define PARAM_SIZE 128

/* Matches `path` against `pattern`; the "*" segment is copied to `param`. */
static bool path_matches(const char *pattern, const char *path, char param[PARAM_SIZE])
{
    param[0] = '\0';
    while (*pattern != '\0' && *path != '\0') {
        if (*pattern == '*') {
            size_t length = strcspn(path, "/");
            if (length == 0 || length >= PARAM_SIZE) {
                return false;
            }
            memcpy(param, path, length);
            param[length] = '\0';
            path += length;
            pattern++;
        } else if (*pattern++ != *path++) {
            return false;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

/* A literal route wins over a parameter route for the same path. */
static const struct route *find(const char *method, const char *path, char param[PARAM_SIZE],
                                char allow[64])
{
    const struct route *found = NULL;
    allow[0] = '\0';
    char candidate[PARAM_SIZE];
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!path_matches(routes[i].pattern, path, candidate)) {
            continue;
        }
        bool literal = strchr(routes[i].pattern, '*') == NULL;
        if (strcmp(routes[i].method, method) == 0 &&
            (found == NULL || (literal && strchr(found->pattern, '*') != NULL))) {
            found = &routes[i];
            memcpy(param, candidate, PARAM_SIZE);
        }
        if (strstr(allow, routes[i].method) == NULL) {
            size_t used = strlen(allow);
            (void)snprintf(allow + used, 64 - used, "%s%s", used > 0 ? ", " : "", routes[i].method);
        }
    }
    return found;
}

void api_route(struct api_request *request)
{
    char param[PARAM_SIZE];
    char allow[64];
    const struct route *route = find(request->method, request->path, param, allow);
    if (route != NULL) {
        request->route_name = route->name;
        route->handler(request, param[0] != '\0' ? param : NULL);
        return;
    }
    if (allow[0] != '\0') {
        api_reply_error(request, TPW_ERR_API_METHOD_NOT_ALLOWED, NULL);
        TPW_ASSERT(strlen(allow) < sizeof request->reply.allow);
        memcpy(request->reply.allow, allow, strlen(allow) + 1);
        return;
    }
    api_reply_error(request, TPW_ERR_API_ROUTE_UNKNOWN, NULL);
}
