/*
 * The route search: for an amount to sell, the route of at most three legs (no
 * currency twice) that yields the most of the target; for an amount to receive, the
 * one that needs the least of the source. Then the explanation: the legs, the direct
 * pair's result and the saving against it in basis points.
 *
 * Why a label per currency is exact. Write leg(x) for what a leg yields from an input
 * x. x − fee(x) is non-decreasing in x: within a schedule, x − ceil(x·bps/10000) grows
 * by 0 or 1 per unit (bps ≤ 10000) and the clamp keeps that; across a tier threshold
 * the graph refused any fee that rises by more than one unit (fees.c). The conversion
 * floor(net × rate / scale) is non-decreasing too, and a leg is usable ("alive") for
 * every input at least as large as one where it is. So leg is non-decreasing, and so
 * is any composition of legs: among the ways of reaching a currency B, the one that
 * arrives with the most is never worse for any continuation from B. The search keeps
 * that best amount per currency and hop count: after one leg, first[v] (a single path
 * S→v); after two legs, via[B] = max over A of leg_AB(first[A]) with A ∉ {S, T, B} —
 * which excludes exactly the non-simple paths S→A→B→T (A = T, or B = S or T); the
 * route is the best of leg_ST(amount), leg_BT(first[B]) and leg_BT(via[B]). The BUY
 * search is the mirror image from T backwards, with the least input per currency: the
 * least input of a leg for an output y is non-decreasing in y and inverts leg exactly
 * (leg(x) ≥ y ⟺ x ≥ back(y)), so the same argument holds with min for max.
 *
 * Amounts above 2^128-1 saturate ("infinite"): a SELL whose best route overflows
 * somewhere fails with TPW_ERR_OVERFLOW; a BUY route that would need an input above
 * 2^128-1 at some currency is not usable. Ties: fewer legs, then the currency codes in
 * byte order (indices follow them, graph.c); the winner among three-leg routes is found
 * by a second pass over the currencies whose label reached the best value.
 *
 * What is skipped, and why the answer stays exact. In the middle layer a leg is skipped
 * when an exact bound without its fee (two 256-bit products, no division:
 * leg_may_exceed, leg_may_undercut) shows it can neither beat the pivot's label so far
 * nor reach the pivot's bar — the label its route needs to tie the best route found so
 * far (pivot_bar). On a graph where many pivots meet (PRUNE_CANDIDATES_MIN), whole
 * pivots and two-leg routes are skipped before any exact leg, by upper bounds on value
 * (graph.c chose a value per minor unit of each currency and each leg's keep_up, the
 * share of value it keeps): a route is worth at most its start's value times the keep_up
 * of its legs, less the fees, whose floor (fee_floor) is subtracted where the amount is
 * known or bounded. A pivot's bound takes the best middle leg into (or out of) it and the
 * best value one leg reaches (struct reach), so one pair of products rules out its 40
 * middle legs. Every bound is rounded outward (struct fx__scaled) and compared strictly,
 * so nothing that can tie the best is skipped, and the labels that can still matter stay
 * exact. tests/prop/test_fx_route.c holds all this to a brute force over every route.
 */
#include <string.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

/* A currency's amount in the search: how much arrives (SELL) or must be sent (BUY). */
struct label {
    tpw_u128 minor;
    enum fx__state state;
};

struct search {
    const fx_graph *graph;
    struct label first[FX_GRAPH_CURRENCIES_MAX]; /* one leg from S (SELL) or to T (BUY) */
    /* The best three-leg route whose third currency is B (SELL) or second is A (BUY). */
    struct label final3[FX_GRAPH_CURRENCIES_MAX];
    /* The currencies with a label that can be a middle currency: first[v] not dead, v ∉
     * {S, T} (sell_one_leg, buy_one_leg). */
    uint64_t live;
    uint64_t value_known; /* the currencies whose value[] is set (middle_value) */
    bool prune_two;       /* bound the two-leg routes (prune_decide) */
    bool prune_three;     /* bound the pivots and their middle legs */
    struct label best;
    tpw_u128 amount_minor;
    size_t path_len;
    uint8_t path[FX_ROUTE_LEGS_MAX + 1];
    uint8_t from;
    uint8_t to;
    bool sell;
    /* Where first[v] is finite, what it is worth for the bounds: SELL, net of the default
     * fee of a leg out of v, × unit_value[v] rounded up; BUY, × unit_value[v] rounded down
     * (middle_value). */
    struct fx__scaled value[FX_GRAPH_CURRENCIES_MAX];
};

static const struct label dead = {0, FX__DEAD};

static const struct fx__edge *edge_between(const fx_graph *graph, unsigned from, unsigned to)
{
    int16_t index = graph->edge_at[from][to];
    /* fx_graph_create always allocates the edges, even for a graph without pairs. */
    TPW_ASSERT(graph->edges != NULL);
    return index == FX__NO_EDGE ? NULL : &graph->edges[index];
}

/* One leg applied to a label: forward (SELL) or backward (BUY); saturation carries. */
static struct label step(const struct search *search, const struct fx__edge *edge, struct label in)
{
    if (in.state != FX__FINITE) {
        return in;
    }
    struct label out = {0, FX__DEAD};
    if (search->sell) {
        tpw_u128 fee_minor = 0;
        out.state = fx__leg_forward(search->graph, edge, in.minor, &fee_minor, &out.minor);
    } else {
        out.state = fx__leg_backward(edge, in.minor, &out.minor);
    }
    return out;
}

/* Whether `a` is strictly better than `b`: more arrives (SELL) or less is sent (BUY).
 * Dead is worst either way; infinite is best for SELL and worse than any amount for BUY. */
static bool better(const struct search *search, struct label a, struct label b)
{
    if (a.state == FX__DEAD || b.state == FX__DEAD) {
        return a.state != FX__DEAD && b.state == FX__DEAD;
    }
    if (a.state != b.state) {
        return search->sell ? a.state == FX__INFINITE : a.state == FX__FINITE;
    }
    if (a.state == FX__INFINITE) {
        return false;
    }
    return search->sell ? a.minor > b.minor : a.minor < b.minor;
}

/* Cheap exact bounds (two 256-bit products, no division) that let the search skip a
 * leg: leg_may_exceed is false only when the leg's output from `in_minor` cannot
 * exceed `value_minor`; leg_may_undercut only when its least input for `out_minor`
 * cannot be below `value_minor` (≥ 1). Static here so the middle loops inline them. */

/* a × b as 256 bits, high and low halves. */
static inline void mul_wide(tpw_u128 a, tpw_u128 b, tpw_u128 *high, tpw_u128 *low)
{
    const uint64_t mask = UINT64_MAX;
    tpw_u128 a_lo = a & mask;
    tpw_u128 a_hi = a >> 64;
    tpw_u128 b_lo = b & mask;
    tpw_u128 b_hi = b >> 64;
    tpw_u128 lo_lo = a_lo * b_lo;
    tpw_u128 hi_lo = a_hi * b_lo;
    tpw_u128 lo_hi = a_lo * b_hi;
    /* Each partial product of 64-bit halves fits 128 bits; the middle sum may carry. */
    tpw_u128 middle = (lo_lo >> 64) + (hi_lo & mask) + (lo_hi & mask);
    *low = (middle << 64) | (lo_lo & mask);
    *high = a_hi * b_hi + (hi_lo >> 64) + (lo_hi >> 64) + (middle >> 64);
}

/* Whether a × b > c × d, exactly. */
static inline bool product_greater(tpw_u128 a, tpw_u128 b, tpw_u128 c, tpw_u128 d)
{
    tpw_u128 left = 0;
    tpw_u128 right = 0;
    /* The common case: both products fit 128 bits. */
    if (!__builtin_mul_overflow(a, b, &left) && !__builtin_mul_overflow(c, d, &right)) {
        return left > right;
    }
    tpw_u128 left_high = 0;
    tpw_u128 left_low = 0;
    tpw_u128 right_high = 0;
    tpw_u128 right_low = 0;
    mul_wide(a, b, &left_high, &left_low);
    mul_wide(c, d, &right_high, &right_low);
    return left_high != right_high ? left_high > right_high : left_low > right_low;
}

static inline bool leg_may_exceed(const struct fx__edge *edge, tpw_u128 in_minor,
                                  tpw_u128 value_minor)
{
    if (value_minor == TPW_U128_MAX) {
        /* Only an overflow exceeds it: in × num ≥ 2^128 × den, i.e. the high half ≥ den. */
        tpw_u128 high = 0;
        tpw_u128 low = 0;
        mul_wide(in_minor, edge->ratio_num, &high, &low);
        return high >= edge->ratio_den;
    }
    /* The fee only lowers the output: out ≤ floor(in × num / den), which exceeds the
     * value only if in × num ≥ (value + 1) × den. */
    return !product_greater(value_minor + 1, edge->ratio_den, in_minor, edge->ratio_num);
}

static inline bool leg_may_undercut(const struct fx__edge *edge, tpw_u128 out_minor,
                                    tpw_u128 value_minor)
{
    TPW_ASSERT(value_minor >= 1);
    /* The least input is at least the least net ceil(out × den / num) (a fee is never
     * negative), which is below the value only if out × den ≤ (value − 1) × num. */
    return !product_greater(out_minor, edge->ratio_den, value_minor - 1, edge->ratio_num);
}

/*
 * What a pivot's middle label must reach for its three-leg route to tie or beat the
 * best route so far. SELL, pivot B: the least amount at B that B→T turns into at least
 * the best, or into 1 minor unit while no route brings anything (fx__leg_backward);
 * BUY, pivot A: the most A that the best input buys through S→A (fx__leg_forward),
 * since back_SA(y) ≤ best ⟺ leg_SA(best) ≥ y. Ties count, so the second pass still
 * sees every three-leg route equal to the best.
 */
enum bar_kind {
    BAR_NONE = 0,        /* no bar: every finite label qualifies (SELL: the best is
                          * saturated; BUY: nothing found yet, or it buys above 2^128-1) */
    BAR_AT = 1,          /* SELL: label ≥ minor; BUY: label ≤ minor */
    BAR_UNREACHABLE = 2, /* no finite label qualifies */
};

struct pivot_bar {
    tpw_u128 minor;
    enum bar_kind kind;
};

/* SELL: the least amount at T that a route must bring to tie or beat `best`: the best
 * itself, or 1 while no route brings anything (one that brings nothing is no route);
 * false when the best is saturated, which only a saturated route ties. */
static bool sell_floor_minor(struct label best, tpw_u128 *floor_minor)
{
    if (best.state == FX__INFINITE) {
        return false;
    }
    *floor_minor = best.state == FX__FINITE ? best.minor : 1;
    return true;
}

static struct pivot_bar pivot_bar(const struct search *search, const struct fx__edge *outer,
                                  struct label best)
{
    struct pivot_bar bar = {0, BAR_NONE};
    tpw_u128 floor_minor = 0;
    if (search->sell) {
        if (sell_floor_minor(best, &floor_minor)) {
            enum fx__state state = fx__leg_backward(outer, floor_minor, &bar.minor);
            bar.kind = state == FX__FINITE ? BAR_AT : BAR_UNREACHABLE;
        }
        return bar;
    }
    if (best.state != FX__FINITE) {
        return bar;
    }
    tpw_u128 fee_minor = 0;
    enum fx__state state =
        fx__leg_forward(search->graph, outer, best.minor, &fee_minor, &bar.minor);
    bar.kind = state == FX__FINITE ? BAR_AT : state == FX__DEAD ? BAR_UNREACHABLE : BAR_NONE;
    return bar;
}

/* Whether a finite middle label `label` meets the pivot's bar. */
static bool meets_bar(const struct search *search, struct pivot_bar bar, tpw_u128 label_minor)
{
    if (bar.kind != BAR_AT) {
        return bar.kind == BAR_NONE;
    }
    return search->sell ? label_minor >= bar.minor : label_minor <= bar.minor;
}

/*
 * Whether the middle leg over `edge` from `in` can both beat the pivot's label so far
 * (`current`) and meet the bar; false only when a bound proves it cannot
 * (leg_may_exceed, leg_may_undercut). Skipping such a leg keeps every label that can
 * still matter exact: one that cannot beat `current` does not change the maximum (or
 * minimum), and one below the bar cannot reach the best route.
 */
static inline bool may_count(const struct search *search, const struct fx__edge *edge,
                             struct label in, struct label current, struct pivot_bar bar)
{
    if (in.state != FX__FINITE || current.state == FX__INFINITE) {
        return true;
    }
    bool bounded = current.state == FX__FINITE;
    tpw_u128 limit = current.minor;
    if (search->sell) {
        /* Must exceed both current and bar − 1 (the bar is a least input: ≥ 1); past an
         * unreachable bar only an output above 2^128-1 (saturated) still counts. */
        if (bar.kind == BAR_UNREACHABLE ||
            (bar.kind == BAR_AT && (!bounded || bar.minor - 1 > limit))) {
            limit = bar.kind == BAR_UNREACHABLE ? TPW_U128_MAX : bar.minor - 1;
            bounded = true;
        }
        return !bounded || leg_may_exceed(edge, in.minor, limit);
    }
    /* A need is finite or worse than any: past an unreachable bar none counts. */
    if (bar.kind == BAR_UNREACHABLE) {
        return false;
    }
    /* Must be below both current and bar + 1. */
    if (bar.kind == BAR_AT && bar.minor != TPW_U128_MAX && (!bounded || bar.minor + 1 < limit)) {
        limit = bar.minor + 1;
        bounded = true;
    }
    return !bounded || leg_may_undercut(edge, in.minor, limit);
}

/* The three-leg label through a pivot: its middle label `via` carried over the outer
 * leg, or dead when `via` misses the bar (the route cannot reach the best). */
static struct label through_pivot(const struct search *search, const struct fx__edge *outer,
                                  struct label via, struct pivot_bar bar)
{
    if (via.state == FX__FINITE && !meets_bar(search, bar, via.minor)) {
        return dead;
    }
    return step(search, outer, via);
}

/* The better of two labels (the first on a tie). */
static struct label best_of(const struct search *search, struct label a, struct label b)
{
    return better(search, b, a) ? b : a;
}

static bool same(struct label a, struct label b)
{
    return a.state == b.state && (a.state != FX__FINITE || a.minor == b.minor);
}

/* Takes a route when strictly better: earlier (shorter, lexicographically first)
 * candidates win ties because they are offered first. */
static void offer(struct search *search, struct label value, const uint8_t *path, size_t len)
{
    if (better(search, value, search->best)) {
        search->best = value;
        search->path_len = len;
        memcpy(search->path, path, len);
    }
}

/* ------------------------------------------------------------------------------------
 * Pruning whole pivots before their middle legs are looked at
 * ------------------------------------------------------------------------------------ */

/*
 * The bounds pay only where there is much to skip: each costs a few products and a fee
 * floor, about what an exact leg or two bound checks cost, and a currency's value is
 * worth computing when many pivots use it. Below this many candidate routes (two-leg)
 * or pivots (three-leg) the search looks at every one as before; on bench_fx's graph of
 * EUR and USD crosses the bounds would make most searches slower, not faster.
 */
#define PRUNE_CANDIDATES_MIN 8

/* How many of the best values struct reach keeps. */
#define REACH_KEPT 3

/*
 * Bounds, in unit_value terms, on what a pivot's middle label can be worth. SELL: the
 * most value one leg from S brings to a currency A ≠ T, net of the middle leg's default
 * fee (small amounts lose most of their value to fixed fees, and a bound without them
 * would rule out nothing). BUY: the least value one leg to T needs at a currency B ≠ S
 * (first[B] holds that leg's fee). The best three with their currencies, so that a pivot
 * can leave out itself and the currencies whose leg to it has fees of its own.
 */
struct reach {
    struct fx__scaled value[REACH_KEPT];
    uint8_t currency[REACH_KEPT];
    uint8_t count; /* values held, 0..REACH_KEPT */
    bool known;    /* false: no bound (an infinite SELL label, or no finite BUY label) */
    uint8_t reserved[3];
};

/* A pivot and the most value its two remaining legs can keep: its best middle leg that
 * avoids S and T (fx__best_legs), times its outer leg (T's side for SELL, S's for BUY). */
struct pivot {
    struct fx__scaled keep_up;
    uint8_t currency;
    uint8_t reserved[7];
};

struct pivots {
    struct pivot item[FX_GRAPH_CURRENCIES_MAX];
    size_t count;
};

/* BUY: what the best input so far is worth at S after the default fee, rounded up. */
struct budget {
    struct fx__scaled net_default;
    struct label best; /* the best input it is for; not finite: no budget */
};

static uint64_t currency_bit(unsigned currency)
{
    return (uint64_t)1 << currency;
}

static struct fx__scaled scaled_max(struct fx__scaled a, struct fx__scaled b)
{
    return fx__scaled_less(a, b) ? b : a;
}

/*
 * At most the fee `fees` charge on `amount_minor`, for the bounds only: fees.c's rule
 * (the tier whose threshold is the highest ≤ the amount, fixed + the proportional part
 * rounded up, clamped to [min, max]) with the proportional part rounded down, in 64
 * bits and without a division by a variable; money_fee_compute's 256-bit division costs
 * more than the rest of a bound. Amounts too large for 64 bits take the exact fee.
 */
static tpw_u128 fee_floor(const struct fx_fee_tiers *fees, tpw_u128 amount_minor)
{
    if (fees->tier_count == 0) {
        return 0;
    }
    if (amount_minor > UINT64_MAX / MONEY_BPS_ONE) {
        return fx__fee(fees, amount_minor);
    }
    uint32_t chosen = 0;
    while (chosen + 1 < fees->tier_count &&
           fees->tier[chosen + 1].threshold_minor <= amount_minor) {
        chosen++;
    }
    const struct money_fee_schedule *schedule = &fees->tier[chosen].schedule;
    /* bps ≤ 10000 (fx__fee_tiers_check), so the product fits 64 bits; and the fee at
     * 2^128-1 fits 128 bits, so fixed + a smaller proportional part does too. */
    uint64_t proportional = (uint64_t)amount_minor * schedule->proportional_bps / MONEY_BPS_ONE;
    tpw_u128 fee_minor = schedule->fixed_minor + proportional;
    fee_minor = fee_minor < schedule->min_minor ? schedule->min_minor : fee_minor;
    return fee_minor > schedule->max_minor ? schedule->max_minor : fee_minor;
}

/* At least what a leg with `fees` nets from `amount_minor` (0 when its fee takes it all). */
static tpw_u128 net_ceiling(const struct fx_fee_tiers *fees, tpw_u128 amount_minor)
{
    tpw_u128 fee_minor = fee_floor(fees, amount_minor);
    return fee_minor >= amount_minor ? 0 : amount_minor - fee_minor;
}

/* amount × unit_value[currency], rounded up or down. */
static inline struct fx__scaled value_of(const fx_graph *graph, unsigned currency,
                                         tpw_u128 amount_minor, bool round_up)
{
    return fx__scaled_mul(fx__scaled_of(amount_minor, round_up), graph->unit_value[currency],
                          round_up);
}

/* value[v], computed on first use: a search looks at few of them on a sparse graph. */
static struct fx__scaled middle_value(struct search *search, uint8_t v)
{
    if ((search->value_known & currency_bit(v)) == 0) {
        const fx_graph *graph = search->graph;
        TPW_ASSERT(search->first[v].state == FX__FINITE);
        tpw_u128 amount_minor = search->first[v].minor;
        search->value[v] =
            search->sell ? value_of(graph, v, net_ceiling(&graph->default_fees, amount_minor), true)
                         : value_of(graph, v, amount_minor, false);
        search->value_known |= currency_bit(v);
    }
    return search->value[v];
}

static struct fx__scaled best_leg_avoiding(const struct fx__best_legs *best, unsigned end_a,
                                           unsigned end_b)
{
    const struct fx__scaled none = {0, 0};
    for (size_t slot = 0; slot < FX__BEST_LEGS && best->keep_up[slot].mantissa != 0; slot++) {
        if (best->other[slot] != end_a && best->other[slot] != end_b) {
            return best->keep_up[slot];
        }
    }
    return none;
}

/* Adds one currency's value to the best kept: the larger first (SELL) or the smaller. */
static void reach_add(struct reach *reach, bool sell, struct fx__scaled value, uint8_t currency)
{
    size_t slot = reach->count;
    while (slot > 0 && (sell ? fx__scaled_less(reach->value[slot - 1], value)
                             : fx__scaled_less(value, reach->value[slot - 1]))) {
        if (slot < REACH_KEPT) {
            reach->value[slot] = reach->value[slot - 1];
            reach->currency[slot] = reach->currency[slot - 1];
        }
        slot--;
    }
    if (slot < REACH_KEPT) {
        reach->value[slot] = value;
        reach->currency[slot] = currency;
    }
    reach->count = reach->count < REACH_KEPT ? (uint8_t)(reach->count + 1) : REACH_KEPT;
}

/* A bound on the values of the currencies outside `excluded`: the best kept one outside
 * it, or the last kept when all are inside (a value not kept is no better); false when
 * no currency may be left. */
static bool reach_avoiding(const struct reach *reach, uint64_t excluded, struct fx__scaled *value)
{
    for (size_t slot = 0; slot < reach->count; slot++) {
        if ((excluded & currency_bit(reach->currency[slot])) == 0) {
            *value = reach->value[slot];
            return true;
        }
    }
    if (reach->count == REACH_KEPT) {
        *value = reach->value[REACH_KEPT - 1];
        return true;
    }
    return false;
}

static struct reach sell_reach(struct search *search)
{
    const fx_graph *graph = search->graph;
    struct reach reach;
    memset(&reach, 0, sizeof(reach));
    if (!search->prune_three) {
        return reach; /* not known */
    }
    tpw_u128 amount_max_minor = 0;
    bool saturated = false;
    for (unsigned e = graph->out_begin[search->from]; e < graph->out_begin[search->from + 1]; e++) {
        uint8_t a = graph->edges[e].to;
        struct label label = search->first[a];
        if (a == search->to || label.state == FX__DEAD) {
            continue;
        }
        if (label.state == FX__INFINITE) {
            saturated = true;
            continue;
        }
        reach_add(&reach, true, middle_value(search, a), a);
        amount_max_minor = label.minor > amount_max_minor ? label.minor : amount_max_minor;
    }
    /* A label above 2^128-1 saturates, and an infinite SELL label is the best whatever
     * its currency: bounds on value cannot rule that out, so the pivots' are used only
     * when no first or middle leg can pass 2^128-1. */
    const struct fx__scaled two_to_128 = {(uint64_t)1 << 63, 65};
    struct fx__scaled middle_most =
        fx__scaled_mul(fx__scaled_of(amount_max_minor, true), graph->ratio_up_max, true);
    reach.known = !saturated && fx__scaled_less(middle_most, two_to_128);
    return reach;
}

/* BUY: first[B] × unit_value[B] rounded down, for each B ≠ S with a finite need; an
 * infinite need is worse than any, so it cannot lower the least. */
static struct reach buy_reach(struct search *search)
{
    const fx_graph *graph = search->graph;
    struct reach reach;
    memset(&reach, 0, sizeof(reach));
    if (!search->prune_three) {
        return reach; /* not known */
    }
    for (unsigned e = graph->out_begin[search->to]; e < graph->out_begin[search->to + 1]; e++) {
        uint8_t b = graph->edges[e].to;
        struct label label = search->first[b];
        if (b == search->from || label.state != FX__FINITE) {
            continue;
        }
        reach_add(&reach, false, middle_value(search, b), b);
    }
    reach.known = reach.count > 0;
    return reach;
}

/* Moves the pivot that keeps the most to the front: its route is the likeliest best, and
 * once it sets the bar most others fail their bounds. (Sorting them all cost more than
 * it saved: the rest are tested one by one anyway.) */
static void pivots_best_first(struct pivots *pivots)
{
    size_t top = 0;
    for (size_t index = 1; index < pivots->count; index++) {
        if (fx__scaled_less(pivots->item[top].keep_up, pivots->item[index].keep_up)) {
            top = index;
        }
    }
    if (top != 0) {
        struct pivot first = pivots->item[top];
        memmove(&pivots->item[1], &pivots->item[0], top * sizeof(pivots->item[0]));
        pivots->item[0] = first;
    }
}

/* SELL pivots: T's neighbours but S, with best_in(B) × keep(B→T). */
static void sell_pivots(const struct search *search, struct pivots *pivots)
{
    const fx_graph *graph = search->graph;
    pivots->count = 0;
    for (unsigned e = graph->out_begin[search->to]; e < graph->out_begin[search->to + 1]; e++) {
        uint8_t b = graph->edges[e].to;
        if (b == search->from) {
            continue;
        }
        struct pivot *pivot = &pivots->item[pivots->count++];
        memset(pivot, 0, sizeof(*pivot));
        pivot->currency = b;
        if (search->prune_three) {
            struct fx__scaled middle =
                best_leg_avoiding(&graph->best_in[b], search->from, search->to);
            const struct fx__edge *outer = edge_between(graph, b, search->to);
            TPW_ASSERT(outer != NULL); /* B is T's neighbour */
            pivot->keep_up = fx__scaled_mul(middle, outer->keep_up, true);
        }
    }
    if (search->prune_three) {
        pivots_best_first(pivots);
    }
}

/* BUY pivots: S's neighbours but T, with keep(S→A) × best_out(A). */
static void buy_pivots(const struct search *search, struct pivots *pivots)
{
    const fx_graph *graph = search->graph;
    pivots->count = 0;
    for (unsigned e = graph->out_begin[search->from]; e < graph->out_begin[search->from + 1]; e++) {
        uint8_t a = graph->edges[e].to;
        if (a == search->to) {
            continue;
        }
        struct pivot *pivot = &pivots->item[pivots->count++];
        memset(pivot, 0, sizeof(*pivot));
        pivot->currency = a;
        if (search->prune_three) {
            struct fx__scaled middle =
                best_leg_avoiding(&graph->best_out[a], search->from, search->to);
            pivot->keep_up = fx__scaled_mul(middle, graph->edges[e].keep_up, true);
        }
    }
    if (search->prune_three) {
        pivots_best_first(pivots);
    }
}

/* SELL: the bound on pivot B's middle label: the reach of the currencies whose leg into
 * B has the default fees, and each leg with fees of its own at its exact net. */
static bool sell_own(const struct search *search, const struct reach *reach, uint8_t b,
                     struct fx__scaled *own)
{
    const fx_graph *graph = search->graph;
    uint64_t special = graph->special_in[b];
    bool found = reach_avoiding(reach, special | currency_bit(b), own);
    special &= ~(currency_bit(search->from) | currency_bit(search->to));
    while (special != 0) {
        unsigned a = (unsigned)__builtin_ctzll(special);
        special &= special - 1;
        if (search->first[a].state != FX__FINITE) {
            continue;
        }
        const struct fx__edge *middle = edge_between(graph, a, b);
        TPW_ASSERT(middle != NULL);
        struct fx__scaled value =
            value_of(graph, a, net_ceiling(middle->fees, search->first[a].minor), true);
        *own = found ? scaled_max(*own, value) : value;
        found = true;
    }
    return found;
}

/* An upper bound, in minor units of `currency`, of anything worth at most `value`;
 * false when it is above 2^128 − 1. */
static bool amount_at_most(const fx_graph *graph, unsigned currency, struct fx__scaled value,
                           tpw_u128 *amount_minor)
{
    return fx__scaled_ceil(fx__scaled_mul(value, graph->unit_inverse_up[currency], true),
                           amount_minor);
}

/* SELL, the outer leg's fee too: the middle label is at most X, the amount that own ×
 * best_in(B) is worth, and a leg's net does not fall as its input grows, so the route
 * brings at most net_BT(X) × keep(B→T) in value to T. */
static bool sell_outer_may_reach(const struct search *search, struct fx__scaled own, uint8_t b,
                                 struct fx__scaled target)
{
    const fx_graph *graph = search->graph;
    struct fx__scaled middle = best_leg_avoiding(&graph->best_in[b], search->from, search->to);
    tpw_u128 most_minor = 0;
    if (!amount_at_most(graph, b, fx__scaled_mul(own, middle, true), &most_minor)) {
        return true;
    }
    const struct fx__edge *outer = edge_between(graph, b, search->to);
    TPW_ASSERT(outer != NULL);
    struct fx__scaled out = value_of(graph, b, net_ceiling(outer->fees, most_minor), true);
    return !fx__scaled_less(fx__scaled_mul(out, outer->keep_up, true), target);
}

/*
 * Whether SELL through pivot B may tie or beat the best so far; false only when the
 * bounds prove it cannot. A leg keeps at most keep_up of the value it is given (its fee
 * only lowers that), so the route's value at T is at most own × best_in(B) × keep(B→T)
 * = own × pivot.keep_up; it must reach the best's value at T, rounded down. Then the
 * same with the outer leg's fee (sell_outer_may_reach).
 */
static bool sell_pivot_may_reach(const struct search *search, const struct reach *reach,
                                 const struct pivot *pivot, struct label best)
{
    tpw_u128 floor_minor = 0;
    if (!reach->known || !sell_floor_minor(best, &floor_minor)) {
        return true;
    }
    struct fx__scaled target = value_of(search->graph, search->to, floor_minor, false);
    struct fx__scaled own = {0, 0};
    if (!sell_own(search, reach, pivot->currency, &own) ||
        fx__scaled_less(fx__scaled_mul(own, pivot->keep_up, true), target)) {
        return false;
    }
    return sell_outer_may_reach(search, own, pivot->currency, target);
}

static struct budget buy_budget(const struct search *search, struct label best)
{
    const fx_graph *graph = search->graph;
    struct budget budget = {.best = best};
    if (best.state != FX__FINITE) {
        return budget;
    }
    tpw_u128 net_minor = net_ceiling(&graph->default_fees, best.minor);
    budget.net_default = value_of(graph, search->from, net_minor, true);
    return budget;
}

/* BUY, each middle leg A→B with fees of its own: whether its net from `most_minor` can
 * buy first[B] (B ∉ {S, T}). */
static bool buy_special_may_meet(const struct search *search, uint8_t pivot, tpw_u128 most_minor)
{
    const fx_graph *graph = search->graph;
    uint64_t special = graph->special_out[pivot];
    special &= ~(currency_bit(search->from) | currency_bit(search->to));
    while (special != 0) {
        unsigned b = (unsigned)__builtin_ctzll(special);
        special &= special - 1;
        if (search->first[b].state != FX__FINITE) {
            continue;
        }
        const struct fx__edge *middle = edge_between(graph, pivot, b);
        TPW_ASSERT(middle != NULL);
        struct fx__scaled net = value_of(graph, pivot, net_ceiling(middle->fees, most_minor), true);
        if (!fx__scaled_less(fx__scaled_mul(net, middle->keep_up, true),
                             value_of(graph, b, search->first[b].minor, false))) {
            return true;
        }
    }
    return false;
}

/*
 * BUY, the middle leg's fee too. The route ties the best only if the amount the best
 * input buys at A, its bar, is enough for some middle leg: the leg's least input for
 * first[B] is at most the bar ⟺ the leg yields first[B] from the bar. The bar is at
 * most X, the amount that `net` × keep(S→A) is worth, and a leg's net does not fall
 * as its input grows, so the leg yields at most net(X) × its keep_up in value: with the
 * default fee and best_out(A) against own, and each leg with fees of its own alone.
 */
static bool buy_middle_may_meet(const struct search *search, struct fx__scaled own, uint8_t a,
                                struct fx__scaled net)
{
    const fx_graph *graph = search->graph;
    const struct fx__edge *first_leg = edge_between(graph, search->from, a);
    TPW_ASSERT(first_leg != NULL);
    tpw_u128 most_minor = 0;
    if (!amount_at_most(graph, a, fx__scaled_mul(net, first_leg->keep_up, true), &most_minor)) {
        return true;
    }
    struct fx__scaled middle = best_leg_avoiding(&graph->best_out[a], search->from, search->to);
    struct fx__scaled yield =
        value_of(graph, a, net_ceiling(&graph->default_fees, most_minor), true);
    return !fx__scaled_less(fx__scaled_mul(yield, middle, true), own) ||
           buy_special_may_meet(search, a, most_minor);
}

/* BUY: the budget's value after the fee of the first leg S→A. */
static struct fx__scaled budget_for(const struct search *search, const struct budget *budget,
                                    uint8_t a)
{
    const fx_graph *graph = search->graph;
    if ((graph->special_out[search->from] & currency_bit(a)) == 0) {
        return budget->net_default;
    }
    const struct fx__edge *first_leg = edge_between(graph, search->from, a);
    TPW_ASSERT(first_leg != NULL);
    return value_of(graph, search->from, net_ceiling(first_leg->fees, budget->best.minor), true);
}

/*
 * Whether BUY through pivot A may tie or beat the best so far; false only when the
 * bounds prove it cannot. A leg's least input is at least its output over keep_up in
 * value (its fee only raises it), so A's middle label is worth at least own /
 * best_out(A), and the route ties the best only if the best input buys that much at A:
 * own ≤ the best's value net of the first leg's fee × pivot.keep_up. Then the same with
 * the middle leg's fee (buy_middle_may_meet).
 */
static bool buy_pivot_may_reach(const struct search *search, const struct reach *reach,
                                const struct pivot *pivot, const struct budget *budget)
{
    if (!reach->known || budget->best.state != FX__FINITE) {
        return true;
    }
    struct fx__scaled own = {0, 0};
    if (!reach_avoiding(reach, currency_bit(pivot->currency), &own)) {
        return false;
    }
    struct fx__scaled net = budget_for(search, budget, pivot->currency);
    if (fx__scaled_less(fx__scaled_mul(net, pivot->keep_up, true), own)) {
        return false;
    }
    return buy_middle_may_meet(search, own, pivot->currency, net);
}

/* ------------------------------------------------------------------------------------
 * SELL: the most of T for an amount of S
 * ------------------------------------------------------------------------------------ */

/* One leg from S to each neighbour. The legs with the default fees charge the same fee
 * on the same amount: it is computed once. */
static void sell_one_leg(struct search *search)
{
    const fx_graph *graph = search->graph;
    tpw_u128 amount_minor = search->amount_minor;
    tpw_u128 default_fee_minor = fx__fee(&graph->default_fees, amount_minor);
    for (unsigned e = graph->out_begin[search->from]; e < graph->out_begin[search->from + 1]; e++) {
        const struct fx__edge *edge = &graph->edges[e];
        uint8_t a = edge->to;
        tpw_u128 fee_minor = edge->fees == &graph->default_fees ? default_fee_minor
                                                                : fx__fee(edge->fees, amount_minor);
        struct label label = {0, FX__DEAD};
        label.state = fx__leg_convert(graph, edge, amount_minor, fee_minor, &label.minor);
        label.minor = label.state == FX__FINITE ? label.minor : 0;
        search->first[a] = label;
        if (a != search->to && label.state != FX__DEAD) {
            search->live |= currency_bit(a);
        }
    }
    if (edge_between(graph, search->from, search->to) != NULL) {
        const uint8_t path[2] = {search->from, search->to};
        offer(search, search->first[search->to], path, 2);
    }
}

/* SELL S→A→T can tie the best only if A's value net of the last leg's fee × its keep_up
 * reaches the best's value at T (the default fee's net is in value[A]). */
static bool sell_two_may_reach(struct search *search, uint8_t a, const struct fx__edge *last)
{
    const fx_graph *graph = search->graph;
    tpw_u128 floor_minor = 0;
    if (!sell_floor_minor(search->best, &floor_minor) || search->first[a].state != FX__FINITE) {
        return true;
    }
    struct fx__scaled net = middle_value(search, a);
    if (last->fees != &graph->default_fees) {
        net = value_of(graph, a, net_ceiling(last->fees, search->first[a].minor), true);
    }
    return !fx__scaled_less(fx__scaled_mul(net, last->keep_up, true),
                            value_of(graph, search->to, floor_minor, false));
}

static void sell_two_legs(struct search *search)
{
    const fx_graph *graph = search->graph;
    /* S's neighbours come in index order: the first of equal two-leg routes stays. */
    for (unsigned e = graph->out_begin[search->from]; e < graph->out_begin[search->from + 1]; e++) {
        uint8_t pivot = graph->edges[e].to;
        const struct fx__edge *last = edge_between(graph, pivot, search->to);
        if (pivot == search->to || last == NULL || search->first[pivot].state == FX__DEAD ||
            (search->prune_two && !sell_two_may_reach(search, pivot, last))) {
            continue;
        }
        const uint8_t path[3] = {search->from, pivot, search->to};
        offer(search, step(search, last, search->first[pivot]), path, 3);
    }
}

/* The first three-leg route in (A, B) order reaching `value`; one exists. */
static void sell_three_legs_first(struct search *search, struct label value)
{
    const fx_graph *graph = search->graph;
    for (unsigned a = 0; a < graph->currency_count; a++) {
        if (a == search->from || a == search->to || search->first[a].state == FX__DEAD) {
            continue;
        }
        for (unsigned e = graph->out_begin[a]; e < graph->out_begin[a + 1]; e++) {
            uint8_t b = graph->edges[e].to;
            /* Only a B whose best reached `value` can: legs are non-decreasing. */
            if (b == search->from || b == search->to || !same(search->final3[b], value)) {
                continue;
            }
            const struct fx__edge *last = edge_between(graph, b, search->to);
            struct label got = step(search, last, step(search, &graph->edges[e], search->first[a]));
            if (same(got, value)) {
                const uint8_t path[4] = {search->from, (uint8_t)a, b, search->to};
                offer(search, value, path, 4);
                return;
            }
        }
    }
    TPW_ASSERT(!"a three-leg route reaching the best value exists");
}

/* SELL: the value a middle leg must bring to B for pivot B's label to matter: more than
 * the label so far and at least the bar, rounded down; false when either is unknown. */
static bool sell_middle_floor(const struct search *search, uint8_t b, struct label via,
                              struct pivot_bar bar, struct fx__scaled *floor)
{
    if (bar.kind != BAR_AT || via.state == FX__INFINITE ||
        (via.state == FX__FINITE && via.minor == TPW_U128_MAX)) {
        return false;
    }
    tpw_u128 least_minor = bar.minor;
    if (via.state == FX__FINITE && via.minor + 1 > least_minor) {
        least_minor = via.minor + 1;
    }
    *floor = value_of(search->graph, b, least_minor, false);
    return true;
}

/* The middle label of pivot B: the most that S→A→B brings, A ∉ {S, T, B}. A leg with
 * the default fees is skipped when value[A] × its keep_up is below the floor; another
 * when may_count says it cannot count. */
static struct label sell_middle(const struct search *search, uint8_t b, struct pivot_bar bar)
{
    const fx_graph *graph = search->graph;
    struct label via = dead;
    struct fx__scaled floor = {0, 0};
    bool bounded = search->prune_three && sell_middle_floor(search, b, via, bar, &floor);
    for (unsigned k = graph->in_begin[b]; k < graph->in_begin[b + 1]; k++) {
        const struct fx__leg_bound *leg = &graph->in_legs[k];
        uint8_t a = leg->other;
        struct label in = search->first[a];
        if ((search->live & currency_bit(a)) == 0) {
            continue; /* S, T or no label */
        }
        if (bounded && in.state == FX__FINITE && leg->default_fees) {
            /* The reach computed every value in use (prune_three). */
            TPW_DEBUG_ASSERT((search->value_known & currency_bit(a)) != 0);
            if (fx__scaled_less(fx__scaled_mul(search->value[a], leg->keep_up, true), floor)) {
                continue;
            }
        } else if (!may_count(search, &graph->edges[leg->edge_index], in, via, bar)) {
            continue;
        }
        struct label got = step(search, &graph->edges[leg->edge_index], in);
        if (better(search, got, via)) {
            via = got;
            bounded = search->prune_three && sell_middle_floor(search, b, via, bar, &floor);
        }
    }
    return via;
}

static void sell_three_legs(struct search *search, const struct reach *reach)
{
    const fx_graph *graph = search->graph;
    struct pivots pivots;
    sell_pivots(search, &pivots);
    struct label best3 = dead;
    /* B: each neighbour of T except S, the most promising first so the bar rises early;
     * A: each neighbour of B except S and T. A pruned pivot's final3 stays dead. */
    for (size_t index = 0; index < pivots.count; index++) {
        uint8_t b = pivots.item[index].currency;
        if ((search->live & graph->neighbours[b]) == 0) {
            continue; /* no middle currency: no three-leg route */
        }
        struct label best = best_of(search, search->best, best3);
        if (!sell_pivot_may_reach(search, reach, &pivots.item[index], best)) {
            continue;
        }
        const struct fx__edge *outer = edge_between(graph, b, search->to);
        struct pivot_bar bar = pivot_bar(search, outer, best);
        search->final3[b] = through_pivot(search, outer, sell_middle(search, b, bar), bar);
        best3 = best_of(search, best3, search->final3[b]);
    }
    if (better(search, best3, search->best)) {
        sell_three_legs_first(search, best3);
    }
}

/* ------------------------------------------------------------------------------------
 * BUY: the least of S for an amount of T (labels are inputs needed)
 * ------------------------------------------------------------------------------------ */

static void buy_one_leg(struct search *search)
{
    const fx_graph *graph = search->graph;
    const struct label wanted = {search->amount_minor, FX__FINITE};
    for (unsigned e = graph->out_begin[search->to]; e < graph->out_begin[search->to + 1]; e++) {
        uint8_t v = graph->edges[e].to;
        search->first[v] = step(search, edge_between(graph, v, search->to), wanted);
        if (v != search->from && search->first[v].state != FX__DEAD) {
            search->live |= currency_bit(v);
        }
    }
    if (edge_between(graph, search->from, search->to) != NULL) {
        const uint8_t path[2] = {search->from, search->to};
        offer(search, search->first[search->from], path, 2);
    }
}

/* BUY S→A→T can tie the best only if the best input, net of the first leg's fee, buys
 * first[A]: its value × keep(S→A) must reach value[A]. */
static void buy_two_legs(struct search *search)
{
    const fx_graph *graph = search->graph;
    struct budget budget = {.best = dead}; /* no bound */
    for (unsigned e = graph->out_begin[search->from]; e < graph->out_begin[search->from + 1]; e++) {
        uint8_t pivot = graph->edges[e].to;
        /* A dead label here means no leg from the pivot to T. */
        if (pivot == search->to || search->first[pivot].state == FX__DEAD) {
            continue;
        }
        if (search->prune_two && !same(search->best, budget.best)) {
            budget = buy_budget(search, search->best);
        }
        if (budget.best.state == FX__FINITE && search->first[pivot].state == FX__FINITE &&
            fx__scaled_less(
                fx__scaled_mul(budget_for(search, &budget, pivot), graph->edges[e].keep_up, true),
                middle_value(search, pivot))) {
            continue;
        }
        const uint8_t path[3] = {search->from, pivot, search->to};
        offer(search, step(search, &graph->edges[e], search->first[pivot]), path, 3);
    }
}

static void buy_three_legs_first(struct search *search, struct label value)
{
    const fx_graph *graph = search->graph;
    for (unsigned e = graph->out_begin[search->from]; e < graph->out_begin[search->from + 1]; e++) {
        uint8_t a = graph->edges[e].to;
        if (a == search->to || !same(search->final3[a], value)) {
            continue;
        }
        for (unsigned f = graph->out_begin[a]; f < graph->out_begin[a + 1]; f++) {
            uint8_t b = graph->edges[f].to;
            if (b == search->from || b == search->to || search->first[b].state == FX__DEAD) {
                continue;
            }
            struct label got =
                step(search, &graph->edges[e], step(search, &graph->edges[f], search->first[b]));
            if (same(got, value)) {
                const uint8_t path[4] = {search->from, a, b, search->to};
                offer(search, value, path, 4);
                return;
            }
        }
    }
    TPW_ASSERT(!"a three-leg route reaching the best value exists");
}

/* BUY: the most value a middle leg can yield from the largest input of A that still
 * matters for pivot A's label (less than the label so far, at most the bar), net of the
 * default fee, rounded up; false when either is unknown. A leg's least input is at most
 * that input ⟺ the leg yields its output from it. */
static bool buy_middle_yield(const struct search *search, uint8_t a, struct label via,
                             struct pivot_bar bar, struct fx__scaled *yield)
{
    if (bar.kind != BAR_AT || via.state == FX__INFINITE) {
        return false;
    }
    tpw_u128 most_minor = bar.minor;
    if (via.state == FX__FINITE && via.minor - 1 < most_minor) {
        most_minor = via.minor - 1; /* a finite need is at least 1 */
    }
    const fx_graph *graph = search->graph;
    *yield = value_of(graph, a, net_ceiling(&graph->default_fees, most_minor), true);
    return true;
}

/* The middle label of pivot A: the least A that A→B→T needs, B ∉ {S, T, A}. A leg with
 * the default fees is skipped when the yield × its keep_up is below value[B]; another
 * when may_count says it cannot count. */
static struct label buy_middle(const struct search *search, uint8_t a, struct pivot_bar bar)
{
    const fx_graph *graph = search->graph;
    struct label via = dead;
    struct fx__scaled yield = {0, 0};
    bool bounded = search->prune_three && buy_middle_yield(search, a, via, bar, &yield);
    for (unsigned f = graph->out_begin[a]; f < graph->out_begin[a + 1]; f++) {
        const struct fx__leg_bound *leg = &graph->out_legs[f];
        uint8_t b = leg->other;
        struct label need = search->first[b];
        if ((search->live & currency_bit(b)) == 0) {
            continue; /* S, T or no leg to T */
        }
        if (bounded && need.state == FX__FINITE && leg->default_fees) {
            TPW_DEBUG_ASSERT((search->value_known & currency_bit(b)) != 0);
            if (fx__scaled_less(fx__scaled_mul(yield, leg->keep_up, true), search->value[b])) {
                continue;
            }
        } else if (!may_count(search, &graph->edges[f], need, via, bar)) {
            continue;
        }
        struct label got = step(search, &graph->edges[f], need);
        if (better(search, got, via)) {
            via = got;
            bounded = search->prune_three && buy_middle_yield(search, a, via, bar, &yield);
        }
    }
    return via;
}

static void buy_three_legs(struct search *search, const struct reach *reach)
{
    const fx_graph *graph = search->graph;
    struct pivots pivots;
    buy_pivots(search, &pivots);
    struct label best3 = dead;
    struct budget budget = {.best = dead}; /* no bound */
    /* A: each neighbour of S except T, the most promising first; B: each neighbour of A
     * with a leg to T. A pruned pivot's final3 stays dead. */
    for (size_t index = 0; index < pivots.count; index++) {
        uint8_t a = pivots.item[index].currency;
        if ((search->live & graph->neighbours[a]) == 0) {
            continue; /* no middle currency: no three-leg route */
        }
        struct label best = best_of(search, search->best, best3);
        if (search->prune_three && !same(best, budget.best)) {
            budget = buy_budget(search, best);
        }
        if (!buy_pivot_may_reach(search, reach, &pivots.item[index], &budget)) {
            continue;
        }
        const struct fx__edge *outer = edge_between(graph, search->from, a);
        struct pivot_bar bar = pivot_bar(search, outer, best);
        if (bar.kind == BAR_UNREACHABLE) {
            continue; /* the best input buys nothing at A: no need counts (may_count) */
        }
        search->final3[a] = through_pivot(search, outer, buy_middle(search, a, bar), bar);
        best3 = best_of(search, best3, search->final3[a]);
    }
    if (better(search, best3, search->best)) {
        buy_three_legs_first(search, best3);
    }
}

/* Whether the bounds pay (PRUNE_CANDIDATES_MIN): the two-leg routes are S's neighbours
 * with a label and a leg to T; the pivots T's neighbours but S (SELL) or S's but T. */
static void prune_decide(struct search *search)
{
    const fx_graph *graph = search->graph;
    uint64_t ends = currency_bit(search->from) | currency_bit(search->to);
    uint64_t two = search->live & graph->neighbours[search->sell ? search->to : search->from];
    uint64_t pivots = graph->neighbours[search->sell ? search->to : search->from] & ~ends;
    search->prune_two = __builtin_popcountll(two) >= PRUNE_CANDIDATES_MIN;
    search->prune_three = __builtin_popcountll(pivots) >= PRUNE_CANDIDATES_MIN;
}

/* ------------------------------------------------------------------------------------
 * Running a route, the explanation, the entry points
 * ------------------------------------------------------------------------------------ */

enum tpw_err fx__route_run(const fx_graph *graph, const uint8_t *path, size_t path_len,
                           tpw_u128 amount_minor, struct fx_route *out,
                           struct tpw_error_detail *detail)
{
    TPW_ASSERT(path_len >= 2 && path_len <= FX_ROUTE_LEGS_MAX + 1);
    memset(out, 0, sizeof(*out));
    out->in_minor = amount_minor;
    tpw_u128 in_minor = amount_minor;
    for (size_t index = 0; index + 1 < path_len; index++) {
        const struct fx__edge *edge = edge_between(graph, path[index], path[index + 1]);
        TPW_ASSERT(edge != NULL);
        struct fx_leg *leg = &out->legs[index];
        fx__leg_describe(graph, edge, leg);
        leg->in_minor = in_minor;
        enum fx__state state =
            fx__leg_forward(graph, edge, in_minor, &leg->fee_minor, &leg->out_minor);
        if (state == FX__DEAD) {
            return tpw_error_set(detail, TPW_ERR_FX_AMOUNT_TOO_SMALL, index,
                                 "leg %zu (%s to %s): nothing is left after the fee, or the "
                                 "amount converts to less than one minor unit",
                                 index + 1, leg->from, leg->to);
        }
        if (state == FX__INFINITE) {
            return tpw_error_set(detail, TPW_ERR_OVERFLOW, index,
                                 "leg %zu (%s to %s): the amount received exceeds 2^128-1",
                                 index + 1, leg->from, leg->to);
        }
        in_minor = leg->out_minor;
    }
    out->leg_count = path_len - 1;
    out->out_minor = in_minor;
    return TPW_OK;
}

/* Whether any simple path of at most three legs joins S and T, whatever the amounts. */
static bool path_exists(const fx_graph *graph, unsigned from, unsigned to)
{
    if (edge_between(graph, from, to) != NULL) {
        return true;
    }
    for (unsigned e = graph->out_begin[from]; e < graph->out_begin[from + 1]; e++) {
        unsigned a = graph->edges[e].to;
        for (unsigned f = graph->out_begin[a]; f < graph->out_begin[a + 1]; f++) {
            unsigned b = graph->edges[f].to;
            if (b == to || (b != from && edge_between(graph, b, to) != NULL)) {
                return true;
            }
        }
    }
    return false;
}

/* gain × 10000 / base: a saving in basis points of `base`, rounded down (never
 * overstated), saturated at 2^128-1 when it does not fit. */
static tpw_u128 saving_bps(tpw_u128 gain_minor, tpw_u128 base_minor)
{
    TPW_ASSERT(base_minor >= 1);
    tpw_u128 bps = 0;
    if (money_muldiv(gain_minor, MONEY_BPS_ONE, base_minor, MONEY_ROUND_DOWN, &bps) != TPW_OK) {
        return TPW_U128_MAX;
    }
    return bps;
}

static void explain_direct(const struct search *search, struct fx_route_explanation *result)
{
    if (edge_between(search->graph, search->from, search->to) == NULL) {
        return;
    }
    result->direct_exists = true;
    const uint8_t path[2] = {search->from, search->to};
    /* BUY: the direct route's least input is the one-leg label first[S]. */
    struct label input = search->sell ? (struct label){search->amount_minor, FX__FINITE}
                                      : search->first[search->from];
    if (input.state == FX__INFINITE) {
        result->direct_err = TPW_ERR_OVERFLOW;
        return;
    }
    result->direct_err = fx__route_run(search->graph, path, 2, input.minor, &result->direct, NULL);
    if (result->direct_err != TPW_OK) {
        return;
    }
    result->saving_known = true;
    if (search->sell) {
        TPW_ASSERT(result->best.out_minor >= result->direct.out_minor);
        result->saving_bps =
            saving_bps(result->best.out_minor - result->direct.out_minor, result->direct.out_minor);
    } else {
        TPW_ASSERT(result->direct.in_minor >= result->best.in_minor);
        result->saving_bps =
            saving_bps(result->direct.in_minor - result->best.in_minor, result->direct.in_minor);
    }
}

static enum tpw_err explain(const struct search *search, struct fx_route_explanation *out,
                            struct tpw_error_detail *detail)
{
    struct fx_route_explanation result;
    memset(&result, 0, sizeof(result));
    result.direction = search->sell ? FX_ROUTE_SELL : FX_ROUTE_BUY;
    result.direct_err = TPW_OK;
    tpw_u128 input_minor = search->sell ? search->amount_minor : search->best.minor;
    /* BUY is verified forward: the least input must deliver at least the amount. */
    enum tpw_err err = fx__route_run(search->graph, search->path, search->path_len, input_minor,
                                     &result.best, detail);
    if (err != TPW_OK) {
        /* A SELL label is exactly this run; a BUY input delivers by construction, but an
         * amount on the way may still exceed 2^128-1. */
        TPW_ASSERT(!search->sell && err == TPW_ERR_OVERFLOW);
        return err;
    }
    if (search->sell) {
        TPW_ASSERT(result.best.out_minor == search->best.minor);
    } else {
        TPW_ASSERT(result.best.out_minor >= search->amount_minor);
    }
    explain_direct(search, &result);
    *out = result;
    return TPW_OK;
}

static enum tpw_err find_check(const fx_graph *graph, enum fx_route_direction direction,
                               const char *from, const char *to, tpw_u128 amount_minor,
                               struct search *search, struct tpw_error_detail *detail)
{
    if (direction != FX_ROUTE_SELL && direction != FX_ROUTE_BUY) {
        tpw_error_set_param(detail, "direction");
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "unknown route direction %d",
                             (int)direction);
    }
    if (!fx__currency_index(graph, from, &search->from)) {
        tpw_error_set_param(detail, "from");
        return tpw_error_set(detail, TPW_ERR_FX_CURRENCY_UNKNOWN, 0,
                             "currency not in the graph: \"%s\"", from);
    }
    if (!fx__currency_index(graph, to, &search->to)) {
        tpw_error_set_param(detail, "to");
        return tpw_error_set(detail, TPW_ERR_FX_CURRENCY_UNKNOWN, 0,
                             "currency not in the graph: \"%s\"", to);
    }
    if (search->from == search->to) {
        tpw_error_set_param(detail, "to");
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                             "a conversion needs two currencies, not \"%s\" twice", from);
    }
    if (direction == FX_ROUTE_BUY && amount_minor == 0) {
        tpw_error_set_param(detail, "amount");
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                             "the amount to receive must be at least one minor unit");
    }
    return TPW_OK;
}

enum tpw_err fx_route_find(const fx_graph *graph, enum fx_route_direction direction,
                           const char *from, const char *to, tpw_u128 amount_minor,
                           struct fx_route_explanation *out, struct tpw_error_detail *detail)
{
    struct search search;
    /* Every label starts dead (FX__DEAD is 0): no route reaches it yet. */
    memset(&search, 0, sizeof(search));
    enum tpw_err err = find_check(graph, direction, from, to, amount_minor, &search, detail);
    if (err != TPW_OK) {
        return err;
    }
    search.graph = graph;
    search.amount_minor = amount_minor;
    search.sell = direction == FX_ROUTE_SELL;
    search.best = dead;
    if (search.sell) {
        sell_one_leg(&search);
        prune_decide(&search);
        struct reach reach = sell_reach(&search);
        sell_two_legs(&search);
        sell_three_legs(&search, &reach);
    } else {
        buy_one_leg(&search);
        prune_decide(&search);
        struct reach reach = buy_reach(&search);
        buy_two_legs(&search);
        buy_three_legs(&search, &reach);
    }
    if (search.best.state == FX__DEAD) {
        /* A BUY label is never dead where a route exists: only SELL runs out of money. */
        if (!path_exists(graph, search.from, search.to)) {
            return tpw_error_set(detail, TPW_ERR_FX_NO_ROUTE, 0,
                                 "no route of at most %d legs from %s to %s", FX_ROUTE_LEGS_MAX,
                                 from, to);
        }
        TPW_ASSERT(search.sell);
        tpw_error_set_param(detail, "amount");
        return tpw_error_set(detail, TPW_ERR_FX_AMOUNT_TOO_SMALL, 0,
                             "on every route from %s to %s a fee takes a leg's whole input or "
                             "the amount converts to less than one minor unit",
                             from, to);
    }
    if (search.best.state == FX__INFINITE) {
        tpw_error_set_param(detail, "amount");
        return tpw_error_set(detail, TPW_ERR_OVERFLOW, 0,
                             search.sell ? "the best route's amounts exceed 2^128-1"
                                         : "every route needs an amount above 2^128-1");
    }
    return explain(&search, out, detail);
}

enum tpw_err fx_route_evaluate(const fx_graph *graph, const char *const *path, size_t path_len,
                               tpw_u128 amount_minor, struct fx_route *out,
                               struct tpw_error_detail *detail)
{
    if (path_len < 2 || path_len > FX_ROUTE_LEGS_MAX + 1) {
        tpw_error_set_param(detail, "path");
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                             "a route has 2 to %d currencies, not %zu", FX_ROUTE_LEGS_MAX + 1,
                             path_len);
    }
    uint8_t indices[FX_ROUTE_LEGS_MAX + 1];
    for (size_t index = 0; index < path_len; index++) {
        if (!fx__currency_index(graph, path[index], &indices[index])) {
            tpw_error_set_param(detail, "path");
            return tpw_error_set(detail, TPW_ERR_FX_CURRENCY_UNKNOWN, index,
                                 "currency not in the graph: \"%s\"", path[index]);
        }
        for (size_t earlier = 0; earlier < index; earlier++) {
            if (indices[earlier] == indices[index]) {
                tpw_error_set_param(detail, "path");
                return tpw_error_set(detail, TPW_ERR_FX_ROUTE_INVALID, index,
                                     "the route passes \"%s\" twice", path[index]);
            }
        }
        if (index > 0 && edge_between(graph, indices[index - 1], indices[index]) == NULL) {
            tpw_error_set_param(detail, "path");
            return tpw_error_set(detail, TPW_ERR_FX_ROUTE_INVALID, index,
                                 "no pair quotes %s against %s", path[index - 1], path[index]);
        }
    }
    return fx__route_run(graph, indices, path_len, amount_minor, out, detail);
}
