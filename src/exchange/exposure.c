/*
 * The house's exposure per currency: what its FX pool holds net (long or short) and
 * what its fee account has earned, read from posted balances. Pending holds are left
 * out: conversions never hold, and a hold is not yet a position.
 */
#include <string.h>

#include "tpwallet/exchange.h"

#include "banned.h"

void exchange_position_of(const struct ledger_account *pool, const struct ledger_account *fees,
                          struct exchange_position *out)
{
    memset(out, 0, sizeof *out);
    if (pool != NULL) {
        if (pool->credits_posted >= pool->debits_posted) {
            out->long_minor = pool->credits_posted - pool->debits_posted;
        } else {
            out->short_minor = pool->debits_posted - pool->credits_posted;
        }
    }
    if (fees != NULL && fees->credits_posted >= fees->debits_posted) {
        out->fees_minor = fees->credits_posted - fees->debits_posted;
    }
}

bool exchange_position_over(const struct exchange_position *position, tpw_u128 limit_minor)
{
    return position->long_minor > limit_minor || position->short_minor > limit_minor;
}
