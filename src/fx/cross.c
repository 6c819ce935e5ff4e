/*
 * Rates the providers do not quote directly: a pair's inverse, and crosses through a
 * pivot (the ECB quotes everything per EUR, so USD→JPY is JPY per EUR over USD per
 * EUR). Each leg is a fraction with the stored rate on one side and 10^18 on the
 * other, so most crosses are one multiply-divide and one rounding; only a cross of two
 * inverted legs rounds twice. Named roundings: bids down, asks up (the derived spread
 * never narrows), mids half-even.
 */
#include <string.h>

#include "aggregate.h"
#include "tpw_assert.h"

#include "banned.h"

#define E18 ((tpw_u128)1000000000000000000ull)

/* One step from `from` to `to` over a stored pair: the rate as to-per-from is
 * value/10^18 (stored from/to) or 10^18/value (stored to/from: inverted). */
struct leg {
    const struct fx__pair *pair;
    bool inverted;
};

static bool leg_find(const fx_aggregator *aggregator, const char *from, const char *to,
                     struct leg *out)
{
    out->pair = fx__pair_find(aggregator, from, to);
    out->inverted = false;
    if (out->pair == NULL) {
        out->pair = fx__pair_find(aggregator, to, from);
        out->inverted = true;
    }
    return out->pair != NULL;
}

enum side {
    SIDE_BID,
    SIDE_MID,
    SIDE_ASK,
};

/* The stored value a leg uses for a side: an inverted leg's bid comes from the ask
 * (selling `from` means buying the stored base) and its ask from the bid. */
static tpw_u128 leg_value(const struct leg *leg, enum side side)
{
    const struct fx_rate *rate = &leg->pair->rate;
    if (side == SIDE_MID) {
        return rate->mid.value_e18;
    }
    bool bid = (side == SIDE_BID) != leg->inverted;
    return bid ? rate->bid.value_e18 : rate->ask.value_e18;
}

static enum money_rounding side_rounding(enum side side)
{
    return side == SIDE_BID   ? MONEY_ROUND_DOWN
           : side == SIDE_ASK ? MONEY_ROUND_UP
                              : MONEY_ROUND_HALF_EVEN;
}

/* to-per-from × 10^18 of one leg, or of two (b == NULL for one). */
static enum tpw_err compose(const struct leg *a, const struct leg *b, enum side side,
                            tpw_u128 *out_e18)
{
    enum money_rounding rounding = side_rounding(side);
    tpw_u128 x = leg_value(a, side);
    if (b == NULL) {
        if (!a->inverted) {
            *out_e18 = x;
            return TPW_OK;
        }
        return money_muldiv(E18, E18, x, rounding, out_e18);
    }
    tpw_u128 y = leg_value(b, side);
    if (!a->inverted && !b->inverted) {
        return money_muldiv(x, y, E18, rounding, out_e18);
    }
    if (!a->inverted) {
        return money_muldiv(x, E18, y, rounding, out_e18);
    }
    if (!b->inverted) {
        return money_muldiv(y, E18, x, rounding, out_e18);
    }
    tpw_u128 inverse_e18 = 0; /* 10^36 / (x·y) would overflow the product: two steps */
    enum tpw_err err = money_muldiv(E18, E18, x, rounding, &inverse_e18);
    return err != TPW_OK ? err : money_muldiv(inverse_e18, E18, y, rounding, out_e18);
}

static enum fx_status worse(enum fx_status a, enum fx_status b)
{
    return a > b ? a : b;
}

/* Fills `out` from one or two legs; TPW_ERR_RATE_ZERO when a side rounds to zero. */
static enum tpw_err derive(const struct leg *a, const struct leg *b, struct fx_rate *out)
{
    tpw_u128 *values[] = {&out->bid.value_e18, &out->mid.value_e18, &out->ask.value_e18};
    for (int side = SIDE_BID; side <= SIDE_ASK; side++) {
        enum tpw_err err = compose(a, b, (enum side)side, values[side]);
        if (err != TPW_OK) {
            return err;
        }
        if (*values[side] == 0) {
            return TPW_ERR_RATE_ZERO;
        }
    }
    const struct fx_rate *ra = &a->pair->rate;
    out->status = ra->status;
    out->providers_used = ra->providers_used;
    out->providers_rejected = ra->providers_rejected;
    out->priority = ra->priority;
    out->time_ns = ra->time_ns;
    out->inverted = a->inverted;
    if (b != NULL) {
        const struct fx_rate *rb = &b->pair->rate;
        out->status = worse(out->status, rb->status);
        out->providers_used =
            rb->providers_used < out->providers_used ? rb->providers_used : out->providers_used;
        out->providers_rejected += rb->providers_rejected;
        out->priority = rb->priority > out->priority ? rb->priority : out->priority;
        out->time_ns = rb->time_ns < out->time_ns ? rb->time_ns : out->time_ns;
        out->inverted = false;
    }
    return TPW_OK;
}

/* base → pivot → quote, for the first pivot that connects them. */
static enum tpw_err derive_cross(const fx_aggregator *aggregator, const char *base,
                                 const char *quote, struct fx_rate *out)
{
    for (size_t i = 0; i < 2; i++) {
        const char *pivot = aggregator->policy.pivots[i];
        if (pivot[0] == '\0' || strcmp(pivot, base) == 0 || strcmp(pivot, quote) == 0) {
            continue;
        }
        struct leg first;
        struct leg second;
        if (leg_find(aggregator, base, pivot, &first) &&
            leg_find(aggregator, pivot, quote, &second)) {
            memcpy(out->via, pivot, sizeof out->via);
            return derive(&first, &second, out);
        }
    }
    return TPW_ERR_FX_PAIR_UNKNOWN;
}

enum tpw_err fx_aggregator_rate(const fx_aggregator *aggregator, const char *base,
                                const char *quote, struct fx_rate *out,
                                struct tpw_error_detail *detail)
{
    if (!fx__code_valid(base) || !fx__code_valid(quote) || strcmp(base, quote) == 0) {
        return tpw_error_set(detail, TPW_ERR_FX_QUOTE_INVALID, 0,
                             "a pair needs two different asset codes");
    }
    struct fx_rate rate = {0};
    memcpy(rate.base, base, strlen(base) + 1);
    memcpy(rate.quote, quote, strlen(quote) + 1);
    struct leg direct;
    enum tpw_err err = TPW_OK;
    if (leg_find(aggregator, base, quote, &direct)) {
        err = derive(&direct, NULL, &rate);
    } else {
        err = derive_cross(aggregator, base, quote, &rate);
    }
    if (err != TPW_OK) {
        return tpw_error_set(detail, err, 0, "%s/%s: %s", base, quote, tpw_strerror(err));
    }
    *out = rate;
    return TPW_OK;
}
