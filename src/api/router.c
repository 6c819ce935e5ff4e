/*
 * Routing: method + path → handler and who may call it, from one table. A path that
 * matches a route with another method is a 405 with Allow; no match at all is a 404.
 * Access is checked here, once, from the route's access level and the key's role;
 * what a user key may see inside a route is the route's business (api_visible).
 */
#include <assert.h>
#include <string.h>

#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

struct api_route {
    const char *method;
    const char *pattern; /* segments; "*" takes the path parameter */
    const char *name;    /* for logs and metrics */
    enum api_access access;
    api_handler *handler;
};

/* Literal segments before "*" where both could match ("/v1/transfers/batch").
 * docs/openapi.json describes each route; tests/api/check-openapi holds the two equal
 * (method, pattern, name and access level), so a change here needs one there. */
static const struct api_route routes[] = {
    {"POST", "/v1/accounts", "accounts.create", API_ACCESS_WRITE, api_accounts_create},
    {"GET", "/v1/accounts", "accounts.list", API_ACCESS_READ, api_accounts_list},
    {"GET", "/v1/accounts/*", "accounts.get", API_ACCESS_READ, api_account_get},
    {"GET", "/v1/accounts/*/balances", "accounts.balances", API_ACCESS_READ, api_account_balances},
    {"GET", "/v1/accounts/*/transfers", "accounts.transfers", API_ACCESS_READ,
     api_account_transfers},
    {"POST", "/v1/transfers", "transfers.create", API_ACCESS_WRITE, api_transfers_create},
    {"POST", "/v1/transfers/batch", "transfers.batch", API_ACCESS_WRITE, api_transfers_batch},
    {"GET", "/v1/transfers/*", "transfers.get", API_ACCESS_READ, api_transfer_get},
    {"POST", "/v1/transfers/*/post", "transfers.post", API_ACCESS_WRITE, api_transfer_post},
    {"POST", "/v1/transfers/*/void", "transfers.void", API_ACCESS_WRITE, api_transfer_void},
    {"GET", "/v1/events", "events", API_ACCESS_READ, api_events_stream},
    {"GET", "/v1/rates", "rates.list", API_ACCESS_READ, api_rates_index},
    {"POST", "/v1/rates", "rates.create", API_ACCESS_OPERATE, api_rates_create},
    {"GET", "/v1/rates/*", "rates.get", API_ACCESS_READ, api_rate_get},
    {"POST", "/v1/quotes", "quotes.create", API_ACCESS_WRITE, api_quotes_create},
    {"POST", "/v1/conversions", "conversions.create", API_ACCESS_WRITE, api_conversions_create},
    {"GET", "/v1/exposure", "exposure", API_ACCESS_OPS, api_exposure_index},
    {"GET", "/v1/markets", "markets.list", API_ACCESS_READ, api_markets_index},
    {"GET", "/v1/markets/*/*/book", "markets.book", API_ACCESS_READ, api_market_book},
    {"GET", "/v1/markets/*/*/indicators", "markets.indicators", API_ACCESS_READ,
     api_market_indicators},
    {"GET", "/v1/alerts", "alerts.list", API_ACCESS_READ, api_alerts_index},
    {"GET", "/v1/map", "map", API_ACCESS_READ, api_map_get},
    {"POST", "/v1/backtests", "backtests.create", API_ACCESS_READ, api_backtests_create},
    {"POST", "/v1/portfolios", "portfolios.create", API_ACCESS_WRITE, api_portfolios_create},
    {"GET", "/v1/portfolios", "portfolios.list", API_ACCESS_READ, api_portfolios_list},
    {"GET", "/v1/portfolios/*", "portfolios.get", API_ACCESS_READ, api_portfolio_get},
    {"POST", "/v1/portfolios/*/rebalance", "portfolios.rebalance", API_ACCESS_WRITE,
     api_portfolio_rebalance},
    {"GET", "/v1/openapi.json", "openapi", API_ACCESS_PUBLIC, api_openapi_get},
    {"GET", "/livez", "livez", API_ACCESS_PUBLIC, api_livez},
    {"GET", "/readyz", "readyz", API_ACCESS_PUBLIC, api_readyz},
    {"GET", "/metrics", "metrics", API_ACCESS_OPS, api_metrics_scrape},
    {"GET", "/", "web.index", API_ACCESS_PUBLIC, api_web_index},
    {"GET", "/assets/*", "web.asset", API_ACCESS_PUBLIC, api_web_asset},
};
static_assert(sizeof routes / sizeof routes[0] == API_ROUTES_COUNT,
              "the metrics keep a series per route (metrics.h)");

/* Matches `path` against `pattern`; the "*" segment is copied to `param`, and a second
 * one after it with a '/' between ("BINANCE/BTCUSDT" of /v1/markets/BINANCE/BTCUSDT/book). */
static bool path_matches(const char *pattern, const char *path, char param[API_ROUTE_PARAM_SIZE])
{
    param[0] = '\0';
    size_t used = 0;
    while (*pattern != '\0' && *path != '\0') {
        if (*pattern == '*') {
            size_t length = strcspn(path, "/");
            size_t gap = used > 0 ? 1 : 0;
            if (length == 0 || used + gap + length >= API_ROUTE_PARAM_SIZE) {
                return false;
            }
            if (gap > 0) {
                param[used] = '/';
            }
            memcpy(param + used + gap, path, length);
            used += gap + length;
            param[used] = '\0';
            path += length;
            pattern++;
        } else if (*pattern++ != *path++) {
            return false;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

/* A literal route wins over a parameter route for the same path. */
static const struct api_route *find(const char *method, const char *path,
                                    char param[API_ROUTE_PARAM_SIZE])
{
    const struct api_route *found = NULL;
    char candidate[API_ROUTE_PARAM_SIZE];
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].method, method) != 0 ||
            !path_matches(routes[i].pattern, path, candidate)) {
            continue;
        }
        bool literal = strchr(routes[i].pattern, '*') == NULL;
        if (found == NULL || (literal && strchr(found->pattern, '*') != NULL)) {
            found = &routes[i];
            memcpy(param, candidate, API_ROUTE_PARAM_SIZE);
        }
    }
    return found;
}

/* The methods of the routes matching `path`, for a 405's Allow ("" for none). Only
 * when `find` found nothing: a request that routes never pays for it. */
static void allowed_methods(const char *path, char allow[64])
{
    allow[0] = '\0';
    char candidate[API_ROUTE_PARAM_SIZE];
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (path_matches(routes[i].pattern, path, candidate) &&
            strstr(allow, routes[i].method) == NULL) {
            size_t used = strlen(allow);
            (void)snprintf(allow + used, 64 - used, "%s%s", used > 0 ? ", " : "", routes[i].method);
        }
    }
}

static bool role_allows(enum api_access access, enum api_role role)
{
    switch (access) {
    case API_ACCESS_PUBLIC:
    case API_ACCESS_READ:
        return true;
    case API_ACCESS_WRITE:
        return role != API_ROLE_AUDITOR;
    case API_ACCESS_OPS:
        return role != API_ROLE_USER;
    case API_ACCESS_OPERATE:
        return role == API_ROLE_ADMIN || role == API_ROLE_OPERATOR;
    }
    return false;
}

/* 401 (with the Bearer challenge), 429 (with Retry-After) or 403; true when allowed. */
static bool authorize(struct api_request *request)
{
    if (request->route->access == API_ACCESS_PUBLIC) {
        return true;
    }
    const char *authorization =
        MHD_lookup_connection_value(request->connection, MHD_HEADER_KIND, "Authorization");
    unsigned retry_after_s = 0;
    enum tpw_err err =
        api_keystore_authenticate(request->server->keys, authorization, tpw_clock_monotonic_ns(),
                                  &request->principal, &retry_after_s);
    if (err == TPW_OK && !role_allows(request->route->access, request->principal.role)) {
        err = TPW_ERR_API_PERMISSION_DENIED;
    }
    if (err == TPW_ERR_API_RATE_LIMITED) {
        api_metrics_rate_limited(&request->server->metrics);
    }
    if (err != TPW_OK) {
        api_reply_error(request, err, NULL);
        request->reply.retry_after_s = err == TPW_ERR_API_RATE_LIMITED ? retry_after_s : 0;
        request->reply.challenge = err == TPW_ERR_API_UNAUTHENTICATED;
        return false;
    }
    return true;
}

bool api_route_find(struct api_request *request)
{
    request->route_param[0] = '\0';
    request->route = find(request->method, request->path, request->route_param);
    if (request->route != NULL) {
        request->route_name = request->route->name;
        return authorize(request);
    }
    char allow[64];
    allowed_methods(request->path, allow);
    if (allow[0] != '\0') {
        api_reply_error(request, TPW_ERR_API_METHOD_NOT_ALLOWED, NULL);
        TPW_ASSERT(strlen(allow) < sizeof request->reply.allow);
        memcpy(request->reply.allow, allow, strlen(allow) + 1);
        return false;
    }
    api_reply_error(request, TPW_ERR_API_ROUTE_UNKNOWN, NULL);
    return false;
}

size_t api_route_index(const struct api_route *route)
{
    if (route == NULL) {
        return API_ROUTES_COUNT;
    }
    TPW_ASSERT(route >= routes && route < routes + API_ROUTES_COUNT);
    return (size_t)(route - routes);
}

const char *api_route_name_at(size_t route_index)
{
    TPW_ASSERT(route_index <= API_ROUTES_COUNT);
    return route_index < API_ROUTES_COUNT ? routes[route_index].name : "unknown";
}

void api_route(struct api_request *request)
{
    TPW_ASSERT(request->route != NULL);
    request->route->handler(request, request->route_param[0] != '\0' ? request->route_param : NULL);
}
