/*
 * Exact medians of small sets of rates (one value per provider, at most
 * FX_PROVIDERS_MAX): an insertion sort beats anything cleverer at this size, and the
 * even-count median averages the two middle values with one named rounding
 * (half-even), so no bias creeps into the aggregated mid.
 */
#include "aggregate.h"
#include "tpw_assert.h"

#include "banned.h"

tpw_u128 fx__average(tpw_u128 a, tpw_u128 b)
{
    /* Halves first so the sum cannot overflow; the two low bits decide the rest. */
    tpw_u128 half = (a >> 1) + (b >> 1);
    unsigned low = (unsigned)(a & 1) + (unsigned)(b & 1);
    if (low == 2) {
        return half + 1;
    }
    if (low == 1 && (half & 1) != 0) { /* exactly .5: to the even neighbour */
        return half + 1;
    }
    return half;
}

static void sort_small(tpw_u128 *values, size_t count)
{
    for (size_t i = 1; i < count; i++) {
        tpw_u128 value = values[i];
        size_t j = i;
        while (j > 0 && values[j - 1] > value) {
            values[j] = values[j - 1];
            j--;
        }
        values[j] = value;
    }
}

tpw_u128 fx__median(tpw_u128 *values, size_t count)
{
    TPW_ASSERT(count >= 1 && count <= FX_PROVIDERS_MAX);
    sort_small(values, count);
    if (count % 2 == 1) {
        return values[count / 2];
    }
    return fx__average(values[count / 2 - 1], values[count / 2]);
}
