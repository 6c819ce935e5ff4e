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
 * by a second pass over the currencies whose label reached the best value. In the
 * middle layer a leg is skipped when an exact bound without its fee (two 256-bit
 * products, no division: leg_may_exceed, leg_may_undercut) shows it can neither beat
 * the pivot's label so far nor reach the pivot's bar — the label its route needs to tie
 * the best route found so far (pivot_bar). Every label that can still matter stays
 * exact; a dense graph's search takes a third of the time.
 * tests/prop/test_fx_route.c holds this to a brute force over every route.
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
    struct label best;
    tpw_u128 amount_minor;
    size_t path_len;
    uint8_t path[FX_ROUTE_LEGS_MAX + 1];
    uint8_t from;
    uint8_t to;
    bool sell;
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
static void mul_wide(tpw_u128 a, tpw_u128 b, tpw_u128 *high, tpw_u128 *low)
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
static bool product_greater(tpw_u128 a, tpw_u128 b, tpw_u128 c, tpw_u128 d)
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

static bool leg_may_exceed(const struct fx__edge *edge, tpw_u128 in_minor, tpw_u128 value_minor)
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

static bool leg_may_undercut(const struct fx__edge *edge, tpw_u128 out_minor, tpw_u128 value_minor)
{
    TPW_ASSERT(value_minor >= 1);
    /* The least input is at least the least net ceil(out × den / num) (a fee is never
     * negative), which is below the value only if out × den ≤ (value − 1) × num. */
    return !product_greater(out_minor, edge->ratio_den, value_minor - 1, edge->ratio_num);
}

/*
 * What a pivot's middle label must reach for its three-leg route to tie or beat the
 * best route so far. SELL, pivot B: the least amount at B that B→T turns into at least
 * the best (fx__leg_backward); BUY, pivot A: the most A that the best input buys through
 * S→A (fx__leg_forward), since back_SA(y) ≤ best ⟺ leg_SA(best) ≥ y. Ties count, so the
 * second pass still sees every three-leg route equal to the best.
 */
enum bar_kind {
    BAR_NONE = 0,        /* no bar: nothing found yet, or every finite label qualifies */
    BAR_AT = 1,          /* SELL: label ≥ minor; BUY: label ≤ minor */
    BAR_UNREACHABLE = 2, /* no finite label qualifies */
};

struct pivot_bar {
    tpw_u128 minor;
    enum bar_kind kind;
};

static struct pivot_bar pivot_bar(const struct search *search, const struct fx__edge *outer,
                                  struct label best)
{
    struct pivot_bar bar = {0, BAR_NONE};
    if (best.state != FX__FINITE) {
        return bar;
    }
    if (search->sell) {
        bar.kind = fx__leg_backward(outer, best.minor, &bar.minor) == FX__FINITE ? BAR_AT
                                                                                 : BAR_UNREACHABLE;
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
static bool may_count(const struct search *search, const struct fx__edge *edge, struct label in,
                      struct label current, struct pivot_bar bar)
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
 * SELL: the most of T for an amount of S
 * ------------------------------------------------------------------------------------ */

static void sell_one_and_two_legs(struct search *search)
{
    const fx_graph *graph = search->graph;
    const struct label start = {search->amount_minor, FX__FINITE};
    for (unsigned e = graph->out_begin[search->from]; e < graph->out_begin[search->from + 1]; e++) {
        search->first[graph->edges[e].to] = step(search, &graph->edges[e], start);
    }
    if (edge_between(graph, search->from, search->to) != NULL) {
        const uint8_t path[2] = {search->from, search->to};
        offer(search, search->first[search->to], path, 2);
    }
    /* S's neighbours come in index order: the first of equal two-leg routes stays. */
    for (unsigned e = graph->out_begin[search->from]; e < graph->out_begin[search->from + 1]; e++) {
        uint8_t pivot = graph->edges[e].to;
        const struct fx__edge *last = edge_between(graph, pivot, search->to);
        if (pivot == search->to || last == NULL || search->first[pivot].state == FX__DEAD) {
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

static void sell_three_legs(struct search *search)
{
    const fx_graph *graph = search->graph;
    struct label best3 = dead;
    /* B: each neighbour of T except S; A: each neighbour of B except S and T. */
    for (unsigned e = graph->out_begin[search->to]; e < graph->out_begin[search->to + 1]; e++) {
        uint8_t b = graph->edges[e].to;
        if (b == search->from) {
            continue;
        }
        const struct fx__edge *outer = edge_between(graph, b, search->to);
        struct pivot_bar bar = pivot_bar(search, outer, best_of(search, search->best, best3));
        struct label via = dead;
        for (unsigned f = graph->out_begin[b]; f < graph->out_begin[b + 1]; f++) {
            uint8_t a = graph->edges[f].to;
            if (a == search->from || a == search->to || search->first[a].state == FX__DEAD) {
                continue;
            }
            const struct fx__edge *middle = edge_between(graph, a, b);
            if (may_count(search, middle, search->first[a], via, bar)) {
                via = best_of(search, via, step(search, middle, search->first[a]));
            }
        }
        search->final3[b] = through_pivot(search, outer, via, bar);
        best3 = best_of(search, best3, search->final3[b]);
    }
    if (better(search, best3, search->best)) {
        sell_three_legs_first(search, best3);
    }
}

/* ------------------------------------------------------------------------------------
 * BUY: the least of S for an amount of T (labels are inputs needed)
 * ------------------------------------------------------------------------------------ */

static void buy_one_and_two_legs(struct search *search)
{
    const fx_graph *graph = search->graph;
    const struct label wanted = {search->amount_minor, FX__FINITE};
    for (unsigned e = graph->out_begin[search->to]; e < graph->out_begin[search->to + 1]; e++) {
        uint8_t v = graph->edges[e].to;
        search->first[v] = step(search, edge_between(graph, v, search->to), wanted);
    }
    if (edge_between(graph, search->from, search->to) != NULL) {
        const uint8_t path[2] = {search->from, search->to};
        offer(search, search->first[search->from], path, 2);
    }
    for (unsigned e = graph->out_begin[search->from]; e < graph->out_begin[search->from + 1]; e++) {
        uint8_t pivot = graph->edges[e].to;
        /* A dead label here means no leg from the pivot to T. */
        if (pivot == search->to || search->first[pivot].state == FX__DEAD) {
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

static void buy_three_legs(struct search *search)
{
    const fx_graph *graph = search->graph;
    struct label best3 = dead;
    /* A: each neighbour of S except T; B: each neighbour of A with a leg to T. */
    for (unsigned e = graph->out_begin[search->from]; e < graph->out_begin[search->from + 1]; e++) {
        uint8_t a = graph->edges[e].to;
        if (a == search->to) {
            continue;
        }
        const struct fx__edge *outer = &graph->edges[e];
        struct pivot_bar bar = pivot_bar(search, outer, best_of(search, search->best, best3));
        struct label via = dead;
        for (unsigned f = graph->out_begin[a]; f < graph->out_begin[a + 1]; f++) {
            uint8_t b = graph->edges[f].to;
            if (b == search->from || b == search->to || search->first[b].state == FX__DEAD) {
                continue;
            }
            if (may_count(search, &graph->edges[f], search->first[b], via, bar)) {
                via = best_of(search, via, step(search, &graph->edges[f], search->first[b]));
            }
        }
        search->final3[a] = through_pivot(search, outer, via, bar);
        best3 = best_of(search, best3, search->final3[a]);
    }
    if (better(search, best3, search->best)) {
        buy_three_legs_first(search, best3);
    }
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
        sell_one_and_two_legs(&search);
        sell_three_legs(&search);
    } else {
        buy_one_and_two_legs(&search);
        buy_three_legs(&search);
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
