/*
 * The currency graph: built once from assets, pair quotes and the corridor fee table,
 * validated as it is built (so a search never meets bad input), then read-only. Also
 * one leg's arithmetic, forward (what an input yields) and backward (the least input
 * for a wanted output), which the search and fx_route_evaluate share.
 *
 * Rounding points of a leg (docs/fx.md): the fee's proportional part rounds up
 * (fees.c); the conversion of the net amount rounds down, once, on the exact value
 * (money_convert). Backward, the least net for an output is the exact ceiling of the
 * inverted conversion, so running it forward again gives at least that output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

bool fx__currency_index(const fx_graph *graph, const char *code, uint8_t *index)
{
    size_t lo = 0;
    size_t hi = graph->currency_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int order = strcmp(code, graph->assets[mid].code);
        if (order == 0) {
            *index = (uint8_t)mid;
            return true;
        }
        if (order < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return false;
}

/* The scale of a leg's conversion: 10^(18 + exponent difference), below 10^36. */
static unsigned leg_scale(const fx_graph *graph, const struct fx__edge *edge)
{
    unsigned from_exp = graph->assets[edge->from].exponent;
    unsigned to_exp = graph->assets[edge->to].exponent;
    return edge->side == FX_LEG_SELL_BASE ? MONEY_RATE_SCALE_DIGITS + from_exp - to_exp
                                          : MONEY_RATE_SCALE_DIGITS + to_exp - from_exp;
}

enum fx__state fx__leg_forward(const fx_graph *graph, const struct fx__edge *edge,
                               tpw_u128 in_minor, tpw_u128 *fee_minor, tpw_u128 *out_minor)
{
    *fee_minor = fx__fee(edge->fees, in_minor);
    return fx__leg_convert(graph, edge, in_minor, *fee_minor, out_minor);
}

enum fx__state fx__leg_convert(const fx_graph *graph, const struct fx__edge *edge,
                               tpw_u128 in_minor, tpw_u128 fee_minor, tpw_u128 *out_minor)
{
    TPW_DEBUG_ASSERT(fee_minor == fx__fee(edge->fees, in_minor));
    if (fee_minor >= in_minor) {
        return FX__DEAD;
    }
    /* SELL_BASE: out = net × bid (units of quote per base); BUY_BASE: out = net / ask. */
    enum money_quote_side side =
        edge->side == FX_LEG_SELL_BASE ? MONEY_RATE_TO_PER_FROM : MONEY_RATE_FROM_PER_TO;
    enum tpw_err err =
        money_convert(in_minor - fee_minor, &graph->assets[edge->from], &graph->assets[edge->to],
                      edge->rate, side, MONEY_ROUND_DOWN, out_minor);
    if (err == TPW_ERR_OVERFLOW) {
        return FX__INFINITE;
    }
    /* The graph refused zero rates; the side and rounding are constants. */
    TPW_ASSERT(err == TPW_OK);
    return *out_minor == 0 ? FX__DEAD : FX__FINITE;
}

enum fx__state fx__leg_backward(const struct fx__edge *edge, tpw_u128 out_minor, tpw_u128 *in_minor)
{
    TPW_ASSERT(out_minor >= 1);
    tpw_u128 net_minor = 0;
    /* floor(n × num / den) ≥ out ⟺ n ≥ out × den / num; the ceiling is the least n.
     * SELL_BASE: num/den = bid/10^s; BUY_BASE: 10^s/ask (graph_index_edges). */
    enum tpw_err err =
        money_muldiv(out_minor, edge->ratio_den, edge->ratio_num, MONEY_ROUND_UP, &net_minor);
    if (err != TPW_OK) {
        TPW_ASSERT(err == TPW_ERR_OVERFLOW);
        return FX__INFINITE;
    }
    TPW_ASSERT(net_minor >= 1);
    return fx__fee_input_for_net(edge->fees, net_minor, in_minor) ? FX__FINITE : FX__INFINITE;
}

void fx__leg_describe(const fx_graph *graph, const struct fx__edge *edge, struct fx_leg *leg)
{
    const struct fx_quote *quote = &graph->quotes[edge->quote_index];
    leg->rate_used = edge->rate;
    leg->side = (enum fx_leg_side)edge->side;
    memcpy(leg->from, graph->assets[edge->from].code, FX_CODE_SIZE);
    memcpy(leg->to, graph->assets[edge->to].code, FX_CODE_SIZE);
    memcpy(leg->pair_base, quote->base, FX_CODE_SIZE);
    memcpy(leg->pair_quote, quote->quote, FX_CODE_SIZE);
}

/* ------------------------------------------------------------------------------------
 * Building
 * ------------------------------------------------------------------------------------ */

static int asset_order(const void *left, const void *right)
{
    return strcmp(((const struct money_asset *)left)->code,
                  ((const struct money_asset *)right)->code);
}

/* Names the input `list[index].field` ("quotes[3].ask") in detail->param. */
static void param_set(struct tpw_error_detail *detail, const char *list, size_t index,
                      const char *field)
{
    if (detail != NULL) {
        char param[TPW_ERROR_PARAM_SIZE];
        (void)snprintf(param, sizeof(param), "%s[%zu]%s%s", list, index, field[0] ? "." : "",
                       field);
        tpw_error_set_param(detail, param);
    }
}

/* Records `code` for the input `list[index].field`; the offset is the index. */
static enum tpw_err param_error(struct tpw_error_detail *detail, enum tpw_err code,
                                const char *list, size_t index, const char *field,
                                const char *message, const char *subject)
{
    param_set(detail, list, index, field);
    return tpw_error_set(detail, code, index, "%s: \"%s\"", message, subject);
}

/* The index of a code inside a fixed-size field, which need not hold a NUL. */
static bool field_index(const fx_graph *graph, const char field[FX_CODE_SIZE], uint8_t *index)
{
    return memchr(field, '\0', FX_CODE_SIZE) != NULL && fx__currency_index(graph, field, index);
}

static enum tpw_err graph_add_assets(fx_graph *graph, const struct fx_graph_spec *spec,
                                     struct tpw_error_detail *detail)
{
    if (spec->asset_count > FX_GRAPH_CURRENCIES_MAX) {
        tpw_error_set_param(detail, "assets");
        return tpw_error_set(detail, TPW_ERR_FX_GRAPH_TOO_LARGE, 0,
                             "%zu currencies; at most %d fit one graph", spec->asset_count,
                             FX_GRAPH_CURRENCIES_MAX);
    }
    for (size_t index = 0; index < spec->asset_count; index++) {
        const struct money_asset *asset = &spec->assets[index];
        size_t len = strnlen(asset->code, sizeof(asset->code));
        if (len == sizeof(asset->code) || !money_asset_code_valid(asset->code, len)) {
            return param_error(detail, TPW_ERR_ASSET_CODE_INVALID, "assets", index, "code",
                               "invalid asset code", len < sizeof(asset->code) ? asset->code : "");
        }
        if (asset->exponent > MONEY_ASSET_EXPONENT_MAX) {
            return param_error(detail, TPW_ERR_ASSET_EXPONENT_INVALID, "assets", index, "exponent",
                               "exponent above 18 for asset", asset->code);
        }
        graph->assets[index] = *asset;
    }
    graph->currency_count = spec->asset_count;
    qsort(graph->assets, graph->currency_count, sizeof(graph->assets[0]), asset_order);
    for (size_t index = 1; index < graph->currency_count; index++) {
        if (strcmp(graph->assets[index - 1].code, graph->assets[index].code) == 0) {
            tpw_error_set_param(detail, "assets");
            return tpw_error_set(detail, TPW_ERR_ASSET_DUPLICATE, 0, "asset listed twice: \"%s\"",
                                 graph->assets[index].code);
        }
    }
    return TPW_OK;
}

/* A field's text for a message: the code, or "" when it has no NUL. */
static const char *field_text(const char field[FX_CODE_SIZE])
{
    return memchr(field, '\0', FX_CODE_SIZE) != NULL ? field : "";
}

static enum tpw_err quote_check(const fx_graph *graph, const struct fx_quote *quote, size_t index,
                                uint8_t ends[2], struct tpw_error_detail *detail)
{
    if (!field_index(graph, quote->base, &ends[0])) {
        return param_error(detail, TPW_ERR_FX_CURRENCY_UNKNOWN, "quotes", index, "base",
                           "unknown currency", field_text(quote->base));
    }
    if (!field_index(graph, quote->quote, &ends[1])) {
        return param_error(detail, TPW_ERR_FX_CURRENCY_UNKNOWN, "quotes", index, "quote",
                           "unknown currency", field_text(quote->quote));
    }
    if (ends[0] == ends[1]) {
        return param_error(detail, TPW_ERR_FX_QUOTE_INVALID, "quotes", index, "quote",
                           "a pair needs two currencies, not twice", quote->base);
    }
    if (quote->bid.value_e18 == 0) {
        return param_error(detail, TPW_ERR_FX_QUOTE_INVALID, "quotes", index, "bid",
                           "zero bid for the pair with base", quote->base);
    }
    if (quote->ask.value_e18 == 0) {
        return param_error(detail, TPW_ERR_FX_QUOTE_INVALID, "quotes", index, "ask",
                           "zero ask for the pair with base", quote->base);
    }
    if (quote->bid.value_e18 > quote->ask.value_e18) {
        return param_error(detail, TPW_ERR_FX_QUOTE_INVALID, "quotes", index, "bid",
                           "bid above ask for the pair with base", quote->base);
    }
    if (graph->edge_at[ends[0]][ends[1]] != FX__NO_EDGE) {
        return param_error(detail, TPW_ERR_FX_PAIR_DUPLICATE, "quotes", index, "",
                           "pair quoted twice, base", quote->base);
    }
    return TPW_OK;
}

/* Both directions of every pair; edge_at marks pairs while checking for duplicates. */
static enum tpw_err graph_add_quotes(fx_graph *graph, const struct fx_graph_spec *spec,
                                     struct tpw_error_detail *detail)
{
    for (size_t index = 0; index < spec->quote_count; index++) {
        const struct fx_quote *quote = &spec->quotes[index];
        uint8_t ends[2] = {0, 0};
        enum tpw_err err = quote_check(graph, quote, index, ends, detail);
        if (err != TPW_OK) {
            return err;
        }
        graph->quotes[index] = *quote;
        struct fx__edge *sell = &graph->edges[graph->edge_count++];
        *sell = (struct fx__edge){.rate = quote->bid,
                                  .quote_index = (uint32_t)index,
                                  .from = ends[0],
                                  .to = ends[1],
                                  .side = FX_LEG_SELL_BASE};
        struct fx__edge *buy = &graph->edges[graph->edge_count++];
        *buy = (struct fx__edge){.rate = quote->ask,
                                 .quote_index = (uint32_t)index,
                                 .from = ends[1],
                                 .to = ends[0],
                                 .side = FX_LEG_BUY_BASE};
        /* Where each leg is for now (graph_order_edges puts them in order). */
        graph->edge_at[ends[0]][ends[1]] = (int16_t)(graph->edge_count - 2);
        graph->edge_at[ends[1]][ends[0]] = (int16_t)(graph->edge_count - 1);
    }
    graph->quote_count = spec->quote_count;
    return TPW_OK;
}

static enum tpw_err graph_add_corridors(fx_graph *graph, const struct fx_graph_spec *spec,
                                        int16_t corridor_at[][FX_GRAPH_CURRENCIES_MAX],
                                        struct tpw_error_detail *detail)
{
    for (size_t index = 0; index < spec->corridor_count; index++) {
        const struct fx_corridor_fee *corridor = &spec->corridors[index];
        uint8_t from = 0;
        uint8_t to = 0;
        if (!field_index(graph, corridor->from, &from)) {
            return param_error(detail, TPW_ERR_FX_CURRENCY_UNKNOWN, "corridors", index, "from",
                               "unknown currency", field_text(corridor->from));
        }
        if (!field_index(graph, corridor->to, &to)) {
            return param_error(detail, TPW_ERR_FX_CURRENCY_UNKNOWN, "corridors", index, "to",
                               "unknown currency", field_text(corridor->to));
        }
        if (from == to) {
            return param_error(detail, TPW_ERR_INVALID_ARGUMENT, "corridors", index, "to",
                               "a corridor joins two currencies, not", corridor->from);
        }
        if (corridor_at[from][to] != FX__NO_EDGE) {
            return param_error(detail, TPW_ERR_FX_CORRIDOR_DUPLICATE, "corridors", index, "",
                               "corridor listed twice, from", corridor->from);
        }
        enum tpw_err err = fx__fee_tiers_check(&corridor->tiers, detail);
        if (err != TPW_OK) {
            param_set(detail, "corridors", index, "tiers");
            return err;
        }
        graph->corridor_fees[index] = corridor->tiers;
        corridor_at[from][to] = (int16_t)index;
    }
    graph->corridor_count = spec->corridor_count;
    return TPW_OK;
}

/*
 * Puts the edges in (from, to) order. edge_at holds each one's position in quote order,
 * so reading it row by row gives the order without comparing anything; the permutation
 * is then applied in place, one cycle at a time (each edge moves once).
 */
static void graph_order_edges(fx_graph *graph)
{
    uint16_t order[2 * FX__PAIRS_MAX]; /* order[k]: the edge that goes to position k */
    size_t count = 0;
    for (size_t from = 0; from < graph->currency_count; from++) {
        for (size_t to = 0; to < graph->currency_count; to++) {
            if (graph->edge_at[from][to] != FX__NO_EDGE) {
                order[count++] = (uint16_t)graph->edge_at[from][to];
            }
        }
    }
    TPW_ASSERT(count == graph->edge_count);
    for (size_t start = 0; start < count; start++) {
        if (order[start] == start) {
            continue;
        }
        struct fx__edge held = graph->edges[start];
        size_t at = start;
        while (order[at] != start) {
            size_t next = order[at];
            graph->edges[at] = graph->edges[next];
            order[at] = (uint16_t)at;
            at = next;
        }
        graph->edges[at] = held;
        order[at] = (uint16_t)at;
    }
}

/* Orders the edges, indexes them and gives each its corridor's fees. */
static void graph_index_edges(fx_graph *graph, int16_t corridor_at[][FX_GRAPH_CURRENCIES_MAX])
{
    graph_order_edges(graph);
    size_t next = 0;
    for (size_t v = 0; v <= graph->currency_count; v++) {
        while (next < graph->edge_count && graph->edges[next].from < v) {
            next++;
        }
        graph->out_begin[v] = (uint16_t)next;
    }
    for (size_t index = 0; index < graph->edge_count; index++) {
        struct fx__edge *edge = &graph->edges[index];
        int16_t corridor = corridor_at[edge->from][edge->to];
        edge->fees =
            corridor == FX__NO_EDGE ? &graph->default_fees : &graph->corridor_fees[corridor];
        graph->edge_at[edge->from][edge->to] = (int16_t)index;
        /* The conversion money_convert does, as out = floor(net × num / den). */
        tpw_u128 pow = tpw_u128_pow10(leg_scale(graph, edge));
        edge->ratio_num = edge->side == FX_LEG_SELL_BASE ? edge->rate.value_e18 : pow;
        edge->ratio_den = edge->side == FX_LEG_SELL_BASE ? pow : edge->rate.value_e18;
    }
}

/* ------------------------------------------------------------------------------------
 * The search's pruning bounds (route.c): values per unit and what each leg keeps
 * ------------------------------------------------------------------------------------ */

/* a / b rounded up (b not zero). */
static struct fx__scaled scaled_div_up(struct fx__scaled a, struct fx__scaled b)
{
    TPW_ASSERT(b.mantissa != 0);
    struct fx__scaled out = {0, 0};
    if (a.mantissa == 0) {
        return out;
    }
    /* With both mantissas in [2^63, 2^64), a.m × 2^63 / b.m is in (2^62, 2^64 − 1]: its
     * ceiling fits 64 bits, and one shift normalizes it. */
    tpw_u128 dividend = (tpw_u128)a.mantissa << 63;
    uint64_t quotient = (uint64_t)(dividend / b.mantissa);
    if ((tpw_u128)quotient * b.mantissa != dividend) {
        quotient++;
    }
    out.mantissa = quotient;
    out.exponent = a.exponent - b.exponent - 63;
    if ((quotient >> 63) == 0) {
        out.mantissa <<= 1;
        out.exponent--;
    }
    TPW_ASSERT((out.mantissa >> 63) == 1);
    return out;
}

/* 10^-s rounded up for the scales s of a graph's legs, each computed when first needed:
 * a graph has few distinct exponent differences, and a division costs more than the
 * rest of a leg's bound. */
struct pow10_inverse {
    struct fx__scaled up[2 * MONEY_RATE_SCALE_DIGITS + 1];
    uint64_t known; /* bit s: up[s] is set */
};

static_assert(2 * MONEY_RATE_SCALE_DIGITS + 1 <= 64, "one bit per scale");

/* An upper bound of the leg's conversion factor ratio_num / ratio_den: bid × 10^-s for
 * SELL_BASE (ratio_den = 10^s), 10^s / ask for BUY_BASE. */
static struct fx__scaled edge_ratio_up(const fx_graph *graph, const struct fx__edge *edge,
                                       struct pow10_inverse *inverse)
{
    TPW_ASSERT(edge->ratio_den != 0);
    if (edge->side != FX_LEG_SELL_BASE) {
        return scaled_div_up(fx__scaled_of(edge->ratio_num, true),
                             fx__scaled_of(edge->ratio_den, false));
    }
    unsigned scale = leg_scale(graph, edge);
    TPW_ASSERT(scale < 2 * MONEY_RATE_SCALE_DIGITS + 1);
    if ((inverse->known & ((uint64_t)1 << scale)) == 0) {
        inverse->up[scale] =
            scaled_div_up(fx__scaled_of(1, false), fx__scaled_of(edge->ratio_den, false));
        inverse->known |= (uint64_t)1 << scale;
    }
    return fx__scaled_mul(fx__scaled_of(edge->ratio_num, true), inverse->up[scale], true);
}

/* The unvisited currency with the most pairs, or false when every one is visited. */
static bool graph_next_root(const fx_graph *graph, const bool *visited, uint8_t *root)
{
    bool found = false;
    unsigned degree_best = 0;
    for (unsigned v = 0; v < graph->currency_count; v++) {
        unsigned degree = (unsigned)(graph->out_begin[v + 1] - graph->out_begin[v]);
        if (!visited[v] && (!found || degree > degree_best)) {
            found = true;
            degree_best = degree;
            *root = (uint8_t)v;
        }
    }
    return found;
}

/*
 * unit_value: a breadth-first tree from the best-connected currency of each connected
 * part, one unit of a child worth what it sells for in its parent. Values only need to
 * be positive for the bounds to hold (route.c divides them out exactly in keep_up); near
 * the market's they keep every leg's keep_up close to 1, so the products of the best
 * ones that the search multiplies stay close to what a real route keeps.
 */
static void graph_unit_values(fx_graph *graph)
{
    bool visited[FX_GRAPH_CURRENCIES_MAX] = {false};
    uint8_t queue[FX_GRAPH_CURRENCIES_MAX];
    uint8_t root = 0;
    while (graph_next_root(graph, visited, &root)) {
        size_t head = 0;
        size_t tail = 0;
        visited[root] = true;
        graph->unit_value[root] = fx__scaled_of(1, false);
        queue[tail++] = root;
        while (head < tail) {
            uint8_t parent = queue[head++];
            for (unsigned e = graph->out_begin[parent]; e < graph->out_begin[parent + 1]; e++) {
                uint8_t child = graph->edges[e].to;
                if (visited[child]) {
                    continue;
                }
                const struct fx__edge *back = &graph->edges[graph->edge_at[child][parent]];
                visited[child] = true;
                graph->unit_value[child] =
                    fx__scaled_mul(graph->unit_value[parent], back->keep_up, true);
                queue[tail++] = child;
            }
        }
    }
}

/* a + b rounded down; only for unit values, where any positive result serves. */
static struct fx__scaled scaled_add(struct fx__scaled a, struct fx__scaled b)
{
    if (a.mantissa == 0 || b.mantissa == 0) {
        return a.mantissa == 0 ? b : a;
    }
    struct fx__scaled high = a.exponent >= b.exponent ? a : b;
    struct fx__scaled low = a.exponent >= b.exponent ? b : a;
    int64_t gap = high.exponent - low.exponent;
    tpw_u128 sum = (tpw_u128)high.mantissa + (gap < 64 ? low.mantissa >> gap : 0);
    struct fx__scaled out = {(uint64_t)sum, high.exponent};
    if ((sum >> 64) != 0) {
        out.mantissa = (uint64_t)(sum >> 1);
        out.exponent++;
    }
    return out;
}

/*
 * One round of averaging: each currency's unit value becomes the mean of what it sells
 * for in each neighbour. A tree alone passes each pair's own deviation from the market
 * to its child; the mean over all pairs of a currency shrinks that, and the bounds with
 * it (the best legs' keep_up are maxima, so every deviation widens them).
 */
static void graph_unit_values_average(fx_graph *graph)
{
    struct fx__scaled mean[FX_GRAPH_CURRENCIES_MAX];
    memset(mean, 0, sizeof(mean));
    for (size_t v = 0; v < graph->currency_count; v++) {
        struct fx__scaled sum = {0, 0};
        for (unsigned e = graph->out_begin[v]; e < graph->out_begin[v + 1]; e++) {
            const struct fx__edge *edge = &graph->edges[e];
            sum =
                scaled_add(sum, fx__scaled_mul(graph->unit_value[edge->to], edge->keep_up, false));
        }
        unsigned degree = (unsigned)(graph->out_begin[v + 1] - graph->out_begin[v]);
        mean[v] =
            degree == 0 ? graph->unit_value[v] : scaled_div_up(sum, fx__scaled_of(degree, false));
    }
    memcpy(graph->unit_value, mean, graph->currency_count * sizeof(mean[0]));
}

/* Puts a leg's bound among the best three of a currency, most first. */
static void best_legs_add(struct fx__best_legs *best, struct fx__scaled keep_up, uint8_t other)
{
    size_t slot = FX__BEST_LEGS;
    while (slot > 0 && fx__scaled_less(best->keep_up[slot - 1], keep_up)) {
        if (slot < FX__BEST_LEGS) {
            best->keep_up[slot] = best->keep_up[slot - 1];
            best->other[slot] = best->other[slot - 1];
        }
        slot--;
    }
    if (slot < FX__BEST_LEGS) {
        best->keep_up[slot] = keep_up;
        best->other[slot] = other;
    }
}

/*
 * Each leg's keep_up, and each currency's best legs in and out. keep_up first holds the
 * bare ratio, which the unit values are chosen from; then × unit_value[to] ×
 * (1 / unit_value[from]), every step rounded up.
 */
static void graph_prune_bounds(fx_graph *graph)
{
    struct pow10_inverse inverse;
    memset(&inverse, 0, sizeof(inverse));
    for (size_t index = 0; index < graph->edge_count; index++) {
        graph->edges[index].keep_up = edge_ratio_up(graph, &graph->edges[index], &inverse);
        if (fx__scaled_less(graph->ratio_up_max, graph->edges[index].keep_up)) {
            graph->ratio_up_max = graph->edges[index].keep_up;
        }
    }
    graph_unit_values(graph);
    /* One round: a second did not make the bench's searches any faster. */
    graph_unit_values_average(graph);
    for (size_t v = 0; v < graph->currency_count; v++) {
        graph->unit_inverse_up[v] = scaled_div_up(fx__scaled_of(1, false), graph->unit_value[v]);
    }
    for (size_t index = 0; index < graph->edge_count; index++) {
        struct fx__edge *edge = &graph->edges[index];
        struct fx__scaled keep = fx__scaled_mul(edge->keep_up, graph->unit_value[edge->to], true);
        edge->keep_up = fx__scaled_mul(keep, graph->unit_inverse_up[edge->from], true);
        best_legs_add(&graph->best_out[edge->from], edge->keep_up, edge->to);
        best_legs_add(&graph->best_in[edge->to], edge->keep_up, edge->from);
        graph->neighbours[edge->from] |= (uint64_t)1 << edge->to;
        if (edge->fees != &graph->default_fees) {
            graph->special_out[edge->from] |= (uint64_t)1 << edge->to;
            graph->special_in[edge->to] |= (uint64_t)1 << edge->from;
        }
    }
}

/* out_legs and in_legs from the edges and their keep_up: in_legs by a counting sort on
 * `to`, which keeps each group in edge order. */
static void graph_leg_bounds(fx_graph *graph)
{
    uint16_t entering[FX_GRAPH_CURRENCIES_MAX] = {0};
    for (size_t index = 0; index < graph->edge_count; index++) {
        const struct fx__edge *edge = &graph->edges[index];
        graph->out_legs[index] = (struct fx__leg_bound){
            .keep_up = edge->keep_up,
            .edge_index = (uint16_t)index,
            .other = edge->to,
            .default_fees = edge->fees == &graph->default_fees,
        };
        entering[edge->to]++;
    }
    uint16_t next[FX_GRAPH_CURRENCIES_MAX] = {0}; /* where group v's next leg goes */
    graph->in_begin[0] = 0;
    for (size_t v = 0; v < FX_GRAPH_CURRENCIES_MAX; v++) {
        next[v] = graph->in_begin[v];
        graph->in_begin[v + 1] = (uint16_t)(graph->in_begin[v] + entering[v]);
    }
    for (size_t index = 0; index < graph->edge_count; index++) {
        const struct fx__edge *edge = &graph->edges[index];
        struct fx__leg_bound *leg = &graph->in_legs[next[edge->to]++];
        *leg = graph->out_legs[index];
        leg->other = edge->from;
    }
}

static enum tpw_err graph_fill(fx_graph *graph, const struct fx_graph_spec *spec,
                               struct tpw_error_detail *detail)
{
    enum tpw_err err = graph_add_assets(graph, spec, detail);
    if (err == TPW_OK) {
        err = graph_add_quotes(graph, spec, detail);
    }
    int16_t corridor_at[FX_GRAPH_CURRENCIES_MAX][FX_GRAPH_CURRENCIES_MAX];
    memset(corridor_at, 0xff, sizeof(corridor_at)); /* every entry FX__NO_EDGE (-1) */
    if (err == TPW_OK) {
        err = graph_add_corridors(graph, spec, corridor_at, detail);
    }
    if (err == TPW_OK) {
        err = fx__fee_tiers_check(&spec->default_fees, detail);
        if (err != TPW_OK) {
            tpw_error_set_param(detail, "default_fees");
        }
    }
    if (err == TPW_OK) {
        graph->default_fees = spec->default_fees;
        graph_index_edges(graph, corridor_at);
        graph_prune_bounds(graph);
        graph_leg_bounds(graph);
    }
    return err;
}

enum tpw_err fx_graph_create(const struct fx_graph_spec *spec, fx_graph **out,
                             struct tpw_error_detail *detail)
{
    /* Without duplicates no more pairs or corridors than these can exist; the bound
     * also keeps the allocations below from wrapping. */
    if (spec->quote_count > FX__PAIRS_MAX || spec->corridor_count > 2 * FX__PAIRS_MAX) {
        tpw_error_set_param(detail, spec->quote_count > FX__PAIRS_MAX ? "quotes" : "corridors");
        return tpw_error_set(detail, TPW_ERR_FX_GRAPH_TOO_LARGE, 0,
                             "more pairs or corridors than %d currencies can have",
                             FX_GRAPH_CURRENCIES_MAX);
    }
    fx_graph *graph = calloc(1, sizeof(*graph));
    if (graph == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the FX graph");
    }
    memset(graph->edge_at, 0xff, sizeof(graph->edge_at)); /* every entry FX__NO_EDGE (-1) */
    /* No duplicate pairs, so at most n(n-1)/2 quotes can pass; more fail as duplicates
     * before their edges are written, and 2 × count slots are always enough. */
    graph->quotes = calloc(spec->quote_count + 1, sizeof(graph->quotes[0]));
    graph->edges = calloc(2 * spec->quote_count + 1, sizeof(graph->edges[0]));
    graph->corridor_fees = calloc(spec->corridor_count + 1, sizeof(graph->corridor_fees[0]));
    graph->out_legs = calloc(2 * spec->quote_count + 1, sizeof(graph->out_legs[0]));
    graph->in_legs = calloc(2 * spec->quote_count + 1, sizeof(graph->in_legs[0]));
    enum tpw_err err = TPW_OK;
    if (graph->quotes == NULL || graph->edges == NULL || graph->corridor_fees == NULL ||
        graph->out_legs == NULL || graph->in_legs == NULL) {
        err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the FX graph");
    } else {
        err = graph_fill(graph, spec, detail);
    }
    if (err != TPW_OK) {
        fx_graph_destroy(graph);
        return err;
    }
    *out = graph;
    return TPW_OK;
}

void fx_graph_destroy(fx_graph *graph)
{
    if (graph == NULL) {
        return;
    }
    free(graph->quotes);
    free(graph->edges);
    free(graph->corridor_fees);
    free(graph->out_legs);
    free(graph->in_legs);
    free(graph);
}
