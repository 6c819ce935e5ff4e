/*
 * Minimum trade size and lot size, applied after an optimisation. Both make the problem
 * mixed-integer; instead of a branch-and-bound the optimiser's exact trades are rounded:
 * a trade smaller than the minimum is dropped, and the rest are cut toward zero to whole
 * lots, so no rounding ever buys more than the optimiser asked for. The weight left
 * over is reported, not spread back, because spreading it would create trades that
 * break the same rules (docs/portfolio.md).
 */
#include <math.h>

#include "tpw_assert.h"
#include "tpwallet/portfolio.h"

#include "banned.h"

enum tpw_err portfolio_trades_round(size_t assets_count, const double *current,
                                    const double *target, const struct portfolio_trade_rules *rules,
                                    double *out, double *residual, struct tpw_error_detail *detail)
{
    if (assets_count == 0 || assets_count > PORTFOLIO_OPT_ASSETS_MAX ||
        !(rules->trade_min >= 0.0) || !(rules->lot >= 0.0) || !isfinite(rules->trade_min) ||
        !isfinite(rules->lot)) {
        return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0,
                             "trade rules need 1..64 assets, a minimum and a lot of at least 0");
    }
    double target_total = 0.0;
    double out_total = 0.0;
    for (size_t i = 0; i < assets_count; i++) {
        if (!isfinite(current[i]) || !isfinite(target[i])) {
            return tpw_error_set(detail, TPW_ERR_OPT_INPUT_INVALID, 0, "weight %zu is not finite",
                                 i + 1);
        }
        double trade = target[i] - current[i];
        trade = fabs(trade) < rules->trade_min ? 0.0 : trade;
        /* A lot count within rounding of a whole number is that number. */
        double lots = rules->lot > 0.0 ? trunc(trade / rules->lot + copysign(1e-9, trade)) : 0.0;
        trade = rules->lot > 0.0 ? lots * rules->lot : trade;
        TPW_ASSERT(fabs(trade) <= fabs(target[i] - current[i]) + 1e-9 * rules->lot);
        out[i] = current[i] + trade;
        target_total += target[i];
        out_total += out[i];
    }
    *residual = target_total - out_total;
    return TPW_OK;
}
