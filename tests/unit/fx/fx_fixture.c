/*
 * The fx suites' builders (fx_fixture.h): literals to assets, rates, quotes and fees.
 */
#include "fx_fixture.h"

#include <string.h>

#include "tpw_test.h"

#include "banned.h"

struct money_asset fx_fixture_asset(const char *code, unsigned exponent)
{
    struct money_asset asset;
    memset(&asset, 0, sizeof(asset));
    memcpy(asset.code, code, strlen(code) + 1);
    asset.exponent = (uint8_t)exponent;
    asset.is_money = true;
    asset.kind = MONEY_ASSET_CONFIGURED;
    return asset;
}

struct money_rate fx_fixture_rate(const char *text)
{
    struct money_rate rate = {0};
    assert_err(money_rate_parse(text, strlen(text), &rate, NULL), TPW_OK);
    return rate;
}

struct fx_quote fx_fixture_quote(const char *base, const char *quote, const char *bid,
                                 const char *ask)
{
    struct fx_quote result;
    memset(&result, 0, sizeof(result));
    memcpy(result.base, base, strlen(base) + 1);
    memcpy(result.quote, quote, strlen(quote) + 1);
    result.bid = fx_fixture_rate(bid);
    result.ask = fx_fixture_rate(ask);
    return result;
}

struct money_fee_schedule fx_fixture_schedule(tpw_u128 fixed_minor, uint32_t bps,
                                              tpw_u128 min_minor, tpw_u128 max_minor)
{
    return (struct money_fee_schedule){.fixed_minor = fixed_minor,
                                       .proportional_bps = bps,
                                       .min_minor = min_minor,
                                       .max_minor = max_minor};
}

struct fx_fee_tiers fx_fixture_flat(struct money_fee_schedule schedule)
{
    struct fx_fee_tiers tiers;
    memset(&tiers, 0, sizeof(tiers));
    tiers.tier_count = 1;
    tiers.tier[0].schedule = schedule;
    return tiers;
}

struct fx_corridor_fee fx_fixture_corridor(const char *from, const char *to,
                                           struct fx_fee_tiers tiers)
{
    struct fx_corridor_fee corridor;
    memset(&corridor, 0, sizeof(corridor));
    memcpy(corridor.from, from, strlen(from) + 1);
    memcpy(corridor.to, to, strlen(to) + 1);
    corridor.tiers = tiers;
    return corridor;
}
