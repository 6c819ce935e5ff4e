/*
 * The exchange suites' fixture: a real ledger (the ledger suites' lf) with EUR, USD
 * and TWD (defined here, exponent 0), the house accounts of the three, a currency
 * graph the suite builds, and a quote book on the ledger's manual clock.
 */
#ifndef TPW_TEST_EXCHANGE_FIXTURE_H
#define TPW_TEST_EXCHANGE_FIXTURE_H

#include "fx_fixture.h"
#include "ledger_fixture.h"
#include "tpwallet/exchange.h"

struct xf {
    struct lf *lf;
    uint32_t twd; /* the ledger's asset number for TWD */
    fx_graph *graph;
    exchange_quote_book *book;
};

/* The ledger, TWD, the house accounts, and a book of 16 quotes living `ttl_ns` (its ids
 * from `seed`); the suite adds its graph. */
void xf_start(struct xf *xf, uint64_t ttl_ns, uint64_t seed);
void xf_stop(struct xf *xf);
/* LF_EUR, LF_USD or xf->twd. */
uint32_t xf_asset_number(const struct xf *xf, const char *code);
/* The best route for the amount, locked as a quote with its ledger assets. */
struct exchange_quote xf_quote_locked(struct xf *xf, enum fx_route_direction direction,
                                      const char *from, const char *to, tpw_u128 amount_minor);

#endif
