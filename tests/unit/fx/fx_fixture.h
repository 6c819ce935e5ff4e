/*
 * What the fx suites share: assets, rates, quotes and fee schedules built from short
 * literals, so each case reads like the table it checks.
 */
#ifndef FX_FIXTURE_H
#define FX_FIXTURE_H

#include <stdint.h>

#include "tpwallet/fx.h"
#include "tpwallet/money.h"

/* An asset with `code` (2..8 characters) and `exponent`. */
struct money_asset fx_fixture_asset(const char *code, unsigned exponent);
/* An exact rate from its decimal text; fails the test when the text is not a rate. */
struct money_rate fx_fixture_rate(const char *text);
/* base/quote at bid and ask (decimal texts). */
struct fx_quote fx_fixture_quote(const char *base, const char *quote, const char *bid,
                                 const char *ask);
/* fixed + ceil(amount × bps / 10000), clamped to [min, max]. */
struct money_fee_schedule fx_fixture_schedule(tpw_u128 fixed_minor, uint32_t bps,
                                              tpw_u128 min_minor, tpw_u128 max_minor);
/* One tier at threshold 0 with `schedule`. */
struct fx_fee_tiers fx_fixture_flat(struct money_fee_schedule schedule);
/* The fees of corridor from → to. */
struct fx_corridor_fee fx_fixture_corridor(const char *from, const char *to,
                                           struct fx_fee_tiers tiers);

#endif /* FX_FIXTURE_H */
