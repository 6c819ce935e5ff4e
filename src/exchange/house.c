/*
 * The house's accounts per asset: an FX pool (the house's position in that currency)
 * and a fee account. Their ids are derived from the asset number in a reserved range,
 * so every component finds them without a lookup table and creating them twice is a
 * harmless `exists`.
 */
#include <string.h>

#include "tpwallet/exchange.h"

#include "banned.h"

#define POOL_TAG 1u
#define FEES_TAG 2u

static tpw_u128 house_id(unsigned tag, uint32_t asset)
{
    return ((tpw_u128)EXCHANGE_HOUSE_ID_HIGH << 64) | ((tpw_u128)tag << 32) | asset;
}

tpw_u128 exchange_pool_account_id(uint32_t asset)
{
    return house_id(POOL_TAG, asset);
}

tpw_u128 exchange_fee_account_id(uint32_t asset)
{
    return house_id(FEES_TAG, asset);
}

void exchange_house_accounts(uint32_t asset, struct ledger_account out[2])
{
    memset(out, 0, 2 * sizeof *out);
    out[0].id = exchange_pool_account_id(asset);
    out[0].asset = asset;
    out[0].kind = LEDGER_KIND_FX_POOL;
    out[1].id = exchange_fee_account_id(asset);
    out[1].asset = asset;
    out[1].kind = LEDGER_KIND_FEES;
}
