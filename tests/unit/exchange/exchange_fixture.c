/* The exchange suites' fixture (exchange_fixture.h). */
#include <string.h>

#include "exchange_fixture.h"

void xf_start(struct xf *xf, uint64_t ttl_ns, uint64_t seed)
{
    memset(xf, 0, sizeof *xf);
    xf->lf = lf_create();
    assert_non_null(xf->lf);
    assert_err(ledger_asset_define(xf->lf->ledger, "TWD", 0, &xf->twd, NULL), TPW_OK);
    uint32_t assets[] = {LF_EUR, LF_USD, xf->twd};
    for (size_t i = 0; i < 3; i++) {
        struct ledger_account house[2];
        exchange_house_accounts(assets[i], house);
        lf_assert_account_result(lf_create_account(xf->lf, &house[0]), LEDGER_ACCOUNT_OK);
        lf_assert_account_result(lf_create_account(xf->lf, &house[1]), LEDGER_ACCOUNT_OK);
        lf_assert_account_result(lf_create_account(xf->lf, &house[0]), LEDGER_ACCOUNT_EXISTS);
    }
    assert_err(exchange_quote_book_create(4, ttl_ns, tpw_clock_manual(&xf->lf->now_ns), seed,
                                          &xf->book, NULL),
               TPW_OK);
}

void xf_stop(struct xf *xf)
{
    exchange_quote_book_destroy(xf->book);
    fx_graph_destroy(xf->graph);
    lf_destroy(xf->lf);
}

uint32_t xf_asset_number(const struct xf *xf, const char *code)
{
    if (strcmp(code, "EUR") == 0) {
        return LF_EUR;
    }
    return strcmp(code, "USD") == 0 ? LF_USD : xf->twd;
}

struct exchange_quote xf_quote_locked(struct xf *xf, enum fx_route_direction direction,
                                      const char *from, const char *to, tpw_u128 amount_minor)
{
    struct fx_route_explanation why;
    assert_err(fx_route_find(xf->graph, direction, from, to, amount_minor, &why, NULL), TPW_OK);
    struct exchange_quote quote = {.route = why.best};
    assert_true(quote.route.leg_count >= 1 && quote.route.leg_count <= FX_ROUTE_LEGS_MAX);
    for (size_t k = 0; k < quote.route.leg_count && k < FX_ROUTE_LEGS_MAX; k++) {
        quote.assets[k] = xf_asset_number(xf, quote.route.legs[k].from);
    }
    quote.assets[quote.route.leg_count] = xf_asset_number(xf, to);
    assert_err(exchange_quote_lock(xf->book, &quote, NULL), TPW_OK);
    return quote;
}
