/*
 * The inner join of join.h: cursors walk every priced series in step, each moving to
 * the latest day any of them stands on, and a row is emitted where all agree.
 */
#include "join.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "portfolio_limits.h"
#include "tpw_assert.h"

#include "banned.h"

void joined_deinit(struct joined *joined)
{
    free(joined->days);
    free(joined->closes);
    free(joined->values);
    memset(joined, 0, sizeof(*joined));
}

/* Moves every series' cursor to the first day ≥ the latest current day of any; true
 * when all then stand on the same day (a common row), false when one ran out. */
static bool align(const struct portfolio_series *const series[], size_t assets_count,
                  size_t cursors[], bool *common)
{
    int32_t latest = INT32_MIN;
    for (size_t asset = 0; asset < assets_count; asset++) {
        const struct portfolio_series *one = series[asset];
        if (one != NULL) {
            latest =
                one->prices[cursors[asset]].day > latest ? one->prices[cursors[asset]].day : latest;
        }
    }
    *common = true;
    for (size_t asset = 0; asset < assets_count; asset++) {
        const struct portfolio_series *one = series[asset];
        while (one != NULL && one->prices[cursors[asset]].day < latest) {
            if (++cursors[asset] == one->prices_count) {
                return false;
            }
        }
        *common = *common && (one == NULL || one->prices[cursors[asset]].day == latest);
    }
    return true;
}

static enum tpw_err joined_alloc(const struct portfolio_series *const series[], size_t assets_count,
                                 struct joined *joined, struct tpw_error_detail *detail)
{
    size_t rows_max = SIZE_MAX;
    for (size_t asset = 0; asset < assets_count; asset++) {
        const struct portfolio_series *one = series[asset];
        rows_max = one != NULL && one->prices_count < rows_max ? one->prices_count : rows_max;
    }
    TPW_ASSERT(rows_max <= PORTFOLIO_ROWS_MAX);
    *joined = (struct joined){assets_count, 0, calloc(rows_max, sizeof(int32_t)),
                              calloc(rows_max * assets_count, sizeof(double)),
                              calloc(rows_max, sizeof(double))};
    if (joined->days == NULL || joined->closes == NULL || joined->values == NULL) {
        joined_deinit(joined);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    return TPW_OK;
}

enum tpw_err join_series(const struct portfolio_series *const series[], size_t assets_count,
                         size_t rows_min, struct joined *joined, struct tpw_error_detail *detail)
{
    TPW_ASSERT(assets_count > 0 && assets_count <= PORTFOLIO_ASSETS_MAX);
    enum tpw_err err = joined_alloc(series, assets_count, joined, detail);
    if (err != TPW_OK) {
        return err;
    }
    size_t cursors[PORTFOLIO_ASSETS_MAX] = {0};
    bool common = false;
    while (align(series, assets_count, cursors, &common)) {
        if (!common) {
            continue;
        }
        size_t row = joined->rows_count++;
        bool more = true;
        for (size_t asset = 0; asset < assets_count; asset++) {
            const struct portfolio_series *one = series[asset];
            joined->closes[row * assets_count + asset] =
                one != NULL ? one->prices[cursors[asset]].close : 1.0;
            if (one != NULL) {
                joined->days[row] = one->prices[cursors[asset]].day;
                more = more && ++cursors[asset] < one->prices_count;
            }
        }
        if (!more) {
            break;
        }
    }
    if (joined->rows_count < rows_min) {
        size_t rows = joined->rows_count;
        joined_deinit(joined);
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_NO_OVERLAP, 0,
                             "the price series share %zu dates; at least %zu are needed", rows,
                             rows_min);
    }
    return TPW_OK;
}
