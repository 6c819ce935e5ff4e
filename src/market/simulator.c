/*
 * The market simulator (include/tpwallet/market_sim.h): each symbol's book is two
 * arrays of levels, best first, in integer ticks and lots; a step moves the mid,
 * rebuilds the touch around it, keeps the depth at `levels`, perturbs a few resting
 * quantities, maybe trades at the touch, and writes the difference between the book
 * before and after as one diff-depth event. Deriving the diff from the two books (not
 * from the edits) is what makes the stream exact by construction: replaying it onto
 * the snapshot gives the simulator's own book, which the tests check.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "market_int.h"
#include "tpw_assert.h"
#include "tpwallet/market_sim.h"
#include "tpwallet/prng.h"
#include "tpwallet/u128.h"

#include "banned.h"

#define BPS_E2_PER_UNIT 1000000u /* hundredths of a basis point in one */
#define FIRST_UPDATE_ID 1000000u
#define TEXT_SIZE 48
#define SIM_LOTS_MAX 1000000u /* most lots a level holds */
#define SIM_RANGE 16u         /* the mid stays within 1/16 and 16 times its start */

struct sim_level {
    uint64_t ticks;
    uint64_t lots;
};

struct sim_side {
    struct sim_level levels[MARKET_SIM_LEVELS_MAX]; /* best first */
    unsigned count;
};

struct sim_book {
    const struct market_sim_symbol *spec;
    struct tpw_prng prng;
    uint64_t mid_ticks;
    uint64_t half_spread_ticks;
    uint64_t gap_ticks; /* mean distance between two levels */
    uint64_t floor_ticks;
    uint64_t ceiling_ticks;
    uint64_t update_id;
    uint64_t trades;
    struct sim_side sides[MARKET_SIDES_COUNT];
};

struct sim_out {
    const struct market_sim_options *options;
    FILE *file;
    uint64_t messages; /* written to the stream so far: each one step_us later */
    bool failed;
};

/* ---- text -------------------------------------------------------------------------- */

/* `units` × 10^-decimals with exactly `decimals` fraction digits ("0.35130000"). */
static void decimal_text(uint64_t units, unsigned decimals, char out[TEXT_SIZE])
{
    char digits[32];
    int length = snprintf(digits, sizeof digits, "%0*" PRIu64, (int)decimals + 1, units);
    TPW_ASSERT(length > (int)decimals && length < (int)sizeof digits);
    size_t whole = (size_t)length - decimals;
    memcpy(out, digits, whole);
    out[whole] = '.';
    memcpy(out + whole + 1, digits + whole, decimals + 1);
    if (decimals == 0) {
        out[whole] = '\0';
    }
}

static void price_text(const struct sim_out *out, const struct sim_book *book, uint64_t ticks,
                       char text[TEXT_SIZE])
{
    decimal_text(ticks * book->spec->tick_minor, out->options->price_decimals, text);
}

static void qty_text(const struct sim_out *out, const struct sim_book *book, uint64_t lots,
                     char text[TEXT_SIZE])
{
    decimal_text(lots * book->spec->lot_minor, out->options->qty_decimals, text);
}

static uint64_t now_us(const struct sim_out *out)
{
    return out->options->start_epoch_us + out->messages * out->options->step_us;
}

static void lower_copy(const char *symbol, char out[MARKET_SYMBOL_SIZE])
{
    size_t index = 0;
    for (; symbol[index] != '\0' && index + 1 < MARKET_SYMBOL_SIZE; index++) {
        char c = symbol[index];
        out[index] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    out[index] = '\0';
}

/* The recorder's "<epoch>: " prefix of a received message, and the envelope's start. */
static void message_begin(struct sim_out *out, const struct sim_book *book, const char *stream)
{
    uint64_t us = now_us(out);
    char lower[MARKET_SYMBOL_SIZE];
    lower_copy(book->spec->symbol, lower);
    if (fprintf(out->file, "%" PRIu64 ".%06" PRIu64 ": {\"stream\":\"%s@%s\",\"data\":{",
                us / 1000000u, us % 1000000u, lower, stream) < 0) {
        out->failed = true;
    }
}

static void message_end(struct sim_out *out)
{
    if (fputs("}}\n", out->file) < 0) {
        out->failed = true;
    }
    out->messages++;
}

static void put(struct sim_out *out, const char *text)
{
    if (fputs(text, out->file) < 0) {
        out->failed = true;
    }
}

static void level_put(struct sim_out *out, const struct sim_book *book, bool first, uint64_t ticks,
                      uint64_t lots)
{
    char price[TEXT_SIZE];
    char qty[TEXT_SIZE];
    price_text(out, book, ticks, price);
    qty_text(out, book, lots, qty);
    if (fprintf(out->file, "%s[\"%s\",\"%s\"]", first ? "" : ",", price, qty) < 0) {
        out->failed = true;
    }
}

/* ---- the book ---------------------------------------------------------------------- */

/* Whether `a` is nearer the touch than `b` on `side`. */
static bool better(enum market_side side, uint64_t a, uint64_t b)
{
    return side == MARKET_BID ? a > b : a < b;
}

static uint64_t away(enum market_side side, uint64_t ticks, uint64_t distance)
{
    return side == MARKET_BID ? ticks - distance : ticks + distance;
}

static uint64_t touch_of(const struct sim_book *book, enum market_side side)
{
    return side == MARKET_BID ? book->mid_ticks - book->half_spread_ticks
                              : book->mid_ticks + book->half_spread_ticks;
}

/* A resting quantity: larger away from the touch, as on real books. */
static uint64_t lots_draw(struct sim_book *book, unsigned depth)
{
    return (1 + tpw_prng_below(&book->prng, 200)) * (4 + depth) / 4;
}

static uint64_t gap_draw(struct sim_book *book)
{
    return 1 + tpw_prng_below(&book->prng, 2 * book->gap_ticks - 1);
}

/* Drops the levels past the touch, opens the new touch and the levels up to the old
 * best, then keeps the depth at `levels` from the far end. */
static void side_rebuild(struct sim_book *book, enum market_side side, unsigned levels)
{
    struct sim_side *at = &book->sides[side];
    uint64_t touch = touch_of(book, side);
    unsigned first = 0;
    while (first < at->count && better(side, at->levels[first].ticks, touch)) {
        first++;
    }
    struct sim_side built = {.count = 0};
    uint64_t ticks = touch;
    while (built.count < levels &&
           (first == at->count || better(side, ticks, at->levels[first].ticks))) {
        built.levels[built.count] = (struct sim_level){ticks, lots_draw(book, built.count)};
        built.count++;
        ticks = away(side, ticks, gap_draw(book));
    }
    for (unsigned index = first; index < at->count && built.count < levels; index++) {
        built.levels[built.count++] = at->levels[index];
    }
    while (built.count < levels) {
        uint64_t last = built.levels[built.count - 1].ticks;
        uint64_t next = away(side, last, gap_draw(book));
        built.levels[built.count] = (struct sim_level){next, lots_draw(book, built.count)};
        built.count++;
    }
    *at = built;
}

/* A symmetric step of about volatility_bps of the mid: four uniform draws in [-a, a]
 * (a standard deviation of 1.155·a), a in milli-ticks rounded at random so that small
 * volatilities still move. */
static int64_t move_draw(struct sim_book *book, uint32_t volatility_bps)
{
    uint64_t a_milli = (uint64_t)((tpw_u128)book->mid_ticks * volatility_bps * 866u / 10000u);
    uint64_t a = a_milli / 1000u + (tpw_prng_below(&book->prng, 1000) < a_milli % 1000u ? 1 : 0);
    int64_t step = 0;
    for (int draw = 0; draw < 4 && a > 0; draw++) {
        step += (int64_t)tpw_prng_below(&book->prng, 2 * a + 1) - (int64_t)a;
    }
    return step;
}

static void mid_move(struct sim_book *book, int64_t step)
{
    uint64_t size = (uint64_t)(step < 0 ? -step : step);
    /* Reflected off the floor (every price stays positive) and off the ceiling (every
     * price fits 64 bits). */
    if ((step < 0 && book->mid_ticks - book->floor_ticks < size) ||
        (step > 0 && book->ceiling_ticks - book->mid_ticks < size)) {
        step = -step;
    }
    book->mid_ticks = step < 0 ? book->mid_ticks - size : book->mid_ticks + size;
}

/* A few resting quantities change, as orders arrive and leave behind the touch. */
static void quantities_perturb(struct sim_book *book)
{
    for (int change = (int)tpw_prng_below(&book->prng, 4); change > 0; change--) {
        struct sim_side *side = &book->sides[tpw_prng_below(&book->prng, 2)];
        struct sim_level *level = &side->levels[tpw_prng_below(&book->prng, side->count)];
        uint64_t bound = 2 * level->lots + 2;
        level->lots = 1 + tpw_prng_below(&book->prng, bound < SIM_LOTS_MAX ? bound : SIM_LOTS_MAX);
    }
}

/* A taker takes part of the touch (a whole level at most: the next step refills it). */
static void trade_take(struct sim_book *book, bool taker_buys, uint64_t *ticks, uint64_t *lots)
{
    struct sim_side *side = &book->sides[taker_buys ? MARKET_ASK : MARKET_BID];
    struct sim_level *touch = &side->levels[0];
    *ticks = touch->ticks;
    *lots = 1 + tpw_prng_below(&book->prng, touch->lots);
    touch->lots -= *lots;
    if (touch->lots == 0) {
        memmove(side->levels, side->levels + 1, (side->count - 1) * sizeof side->levels[0]);
        side->count--;
    }
}

/* ---- the messages ------------------------------------------------------------------ */

/* The changes from `before` to `after` on one side into `changes` (a level gone has
 * quantity 0): both best first, so one merge walk. Returns how many. */
static unsigned side_diff(enum market_side side, const struct sim_side *before,
                          const struct sim_side *after, struct sim_level *changes)
{
    unsigned i = 0, j = 0, count = 0;
    while (i < before->count || j < after->count) {
        const struct sim_level *old = i < before->count ? &before->levels[i] : NULL;
        const struct sim_level *new = j < after->count ? &after->levels[j] : NULL;
        if (new == NULL || (old != NULL && better(side, old->ticks, new->ticks))) {
            changes[count++] = (struct sim_level){old->ticks, 0};
            i++;
        } else if (old == NULL || better(side, new->ticks, old->ticks)) {
            changes[count++] = *new;
            j++;
        } else {
            if (old->lots != new->lots) {
                changes[count++] = *new;
            }
            i++;
            j++;
        }
    }
    return count;
}

static void levels_put(struct sim_out *out, const struct sim_book *book,
                       const struct sim_level *levels, unsigned count)
{
    put(out, "[");
    for (unsigned index = 0; index < count; index++) {
        level_put(out, book, index == 0, levels[index].ticks, levels[index].lots);
    }
    put(out, "]");
}

/* One diff-depth event: U..u numbers its changes, one id each, as Binance's do (a step
 * that changed nothing still takes one id). */
static void depth_put(struct sim_out *out, struct sim_book *book,
                      const struct sim_side before[MARKET_SIDES_COUNT])
{
    struct sim_level changes[MARKET_SIDES_COUNT][2 * MARKET_SIM_LEVELS_MAX];
    unsigned counts[MARKET_SIDES_COUNT];
    for (int side = MARKET_BID; side <= MARKET_ASK; side++) {
        counts[side] =
            side_diff((enum market_side)side, &before[side], &book->sides[side], changes[side]);
    }
    uint64_t first = book->update_id + 1;
    book->update_id +=
        counts[MARKET_BID] + counts[MARKET_ASK] > 0 ? counts[MARKET_BID] + counts[MARKET_ASK] : 1;
    message_begin(out, book, "depth@100ms");
    if (fprintf(out->file,
                "\"e\":\"depthUpdate\",\"E\":%" PRIu64 ",\"s\":\"%s\",\"U\":%" PRIu64
                ",\"u\":%" PRIu64 ",\"b\":",
                now_us(out) / 1000u, book->spec->symbol, first, book->update_id) < 0) {
        out->failed = true;
    }
    levels_put(out, book, changes[MARKET_BID], counts[MARKET_BID]);
    put(out, ",\"a\":");
    levels_put(out, book, changes[MARKET_ASK], counts[MARKET_ASK]);
    message_end(out);
}

static void ticker_put(struct sim_out *out, const struct sim_book *book)
{
    const struct sim_level *bid = &book->sides[MARKET_BID].levels[0];
    const struct sim_level *ask = &book->sides[MARKET_ASK].levels[0];
    char texts[4][TEXT_SIZE];
    price_text(out, book, bid->ticks, texts[0]);
    qty_text(out, book, bid->lots, texts[1]);
    price_text(out, book, ask->ticks, texts[2]);
    qty_text(out, book, ask->lots, texts[3]);
    message_begin(out, book, "bookTicker");
    if (fprintf(out->file,
                "\"u\":%" PRIu64
                ",\"s\":\"%s\",\"b\":\"%s\",\"B\":\"%s\",\"a\":\"%s\",\"A\":\"%s\"",
                book->update_id, book->spec->symbol, texts[0], texts[1], texts[2], texts[3]) < 0) {
        out->failed = true;
    }
    message_end(out);
}

/* An aggregated trade; `m` (the buyer is the maker) is true when the taker sold. */
static void trade_put(struct sim_out *out, struct sim_book *book, bool taker_buys, uint64_t ticks,
                      uint64_t lots)
{
    char price[TEXT_SIZE];
    char qty[TEXT_SIZE];
    price_text(out, book, ticks, price);
    qty_text(out, book, lots, qty);
    uint64_t id = ++book->trades;
    message_begin(out, book, "aggTrade");
    uint64_t ms = now_us(out) / 1000u;
    if (fprintf(out->file,
                "\"e\":\"aggTrade\",\"E\":%" PRIu64 ",\"s\":\"%s\",\"a\":%" PRIu64
                ",\"p\":\"%s\",\"q\":\"%s\",\"f\":%" PRIu64 ",\"l\":%" PRIu64 ",\"T\":%" PRIu64
                ",\"m\":%s,\"M\":true",
                ms, book->spec->symbol, id, price, qty, id, id, ms,
                taker_buys ? "false" : "true") < 0) {
        out->failed = true;
    }
    message_end(out);
}

static void snapshot_put(FILE *http, struct sim_out *out, const struct sim_book *book)
{
    uint64_t us = out->options->start_epoch_us;
    if (fprintf(http,
                "https://api.binance.com/api/v3/depth?symbol=%s&limit=1000 -> %" PRIu64
                ".%06" PRIu64 ": {\"lastUpdateId\":%" PRIu64 ",\"bids\":",
                book->spec->symbol, us / 1000000u, us % 1000000u, book->update_id) < 0) {
        out->failed = true;
    }
    FILE *stream = out->file;
    out->file = http;
    levels_put(out, book, book->sides[MARKET_BID].levels, book->sides[MARKET_BID].count);
    put(out, ",\"asks\":");
    levels_put(out, book, book->sides[MARKET_ASK].levels, book->sides[MARKET_ASK].count);
    put(out, "}\n");
    out->file = stream;
}

/* The combined stream's URL, as the recorder writes it on the first line. */
static void stream_open_put(struct sim_out *out)
{
    const struct market_sim_options *options = out->options;
    put(out, "wss://stream.binance.com:9443/stream?streams=");
    static const char *const streams[] = {"depth@100ms", "bookTicker", "aggTrade"};
    for (size_t kind = 0; kind < sizeof streams / sizeof streams[0]; kind++) {
        for (size_t index = 0; index < options->symbols_count; index++) {
            char lower[MARKET_SYMBOL_SIZE];
            lower_copy(options->symbols[index].symbol, lower);
            if (fprintf(out->file, "%s%s@%s", kind + index == 0 ? "" : "/", lower, streams[kind]) <
                0) {
                out->failed = true;
            }
        }
    }
    uint64_t us = options->start_epoch_us;
    if (fprintf(out->file, " <-> %" PRIu64 ".%06" PRIu64 "\n", us / 1000000u, us % 1000000u) < 0) {
        out->failed = true;
    }
}

/* ---- the session ------------------------------------------------------------------- */

/* False when the spread and levels do not fit between the floor and the ceiling. */
static bool book_init(struct sim_book *book, const struct market_sim_options *options, size_t index)
{
    book->spec = &options->symbols[index];
    tpw_prng_seed(&book->prng, options->seed * 0x9e3779b97f4a7c15u + index);
    book->mid_ticks = book->spec->mid_ticks;
    book->half_spread_ticks =
        (uint64_t)((tpw_u128)book->mid_ticks * options->spread_bps_e2 / BPS_E2_PER_UNIT);
    book->half_spread_ticks += book->half_spread_ticks == 0 ? 1 : 0;
    book->gap_ticks = (uint64_t)((tpw_u128)book->mid_ticks * options->gap_bps_e2 / BPS_E2_PER_UNIT);
    book->gap_ticks += book->gap_ticks == 0 ? 1 : 0;
    /* The deepest bid stays above zero while the mid stays above this floor (each gap
     * is below twice the mean), and the deepest ask fits 64 bits below the ceiling: the
     * mid reflects off both. */
    uint64_t depth_ticks = book->half_spread_ticks + 2 * book->gap_ticks * options->levels;
    book->floor_ticks = depth_ticks + 1;
    if (book->floor_ticks < book->mid_ticks / SIM_RANGE) {
        book->floor_ticks = book->mid_ticks / SIM_RANGE;
    }
    book->ceiling_ticks = UINT64_MAX / book->spec->tick_minor - depth_ticks;
    if (book->ceiling_ticks / SIM_RANGE > book->mid_ticks) {
        book->ceiling_ticks = book->mid_ticks * SIM_RANGE;
    }
    book->update_id = FIRST_UPDATE_ID + 1000u * index;
    if (depth_ticks >= book->mid_ticks / 2 || book->ceiling_ticks / 2 < book->mid_ticks) {
        /* the deepest bid would come near zero: the mid is too few ticks for the book */
        return false;
    }
    side_rebuild(book, MARKET_BID, options->levels);
    side_rebuild(book, MARKET_ASK, options->levels);
    return true;
}

static void step(struct sim_out *out, struct sim_book *book)
{
    const struct market_sim_options *options = out->options;
    struct sim_side before[MARKET_SIDES_COUNT];
    memcpy(before, book->sides, sizeof before);
    int64_t move = move_draw(book, options->volatility_bps);
    mid_move(book, move);
    bool traded = tpw_prng_below(&book->prng, 1000) < options->trade_per_mille;
    /* Takers lean with the move: buyers lift the ask as the price rises. */
    bool taker_buys = move > 0 || (move == 0 && tpw_prng_below(&book->prng, 2) == 0);
    quantities_perturb(book);
    uint64_t trade_ticks = 0, trade_lots = 0;
    if (traded) {
        trade_take(book, taker_buys, &trade_ticks, &trade_lots);
    }
    side_rebuild(book, MARKET_BID, options->levels);
    side_rebuild(book, MARKET_ASK, options->levels);
    if (traded) {
        trade_put(out, book, taker_buys, trade_ticks, trade_lots);
    }
    depth_put(out, book, before);
    ticker_put(out, book);
}

static enum tpw_err option_refused(struct tpw_error_detail *detail, const char *option,
                                   const char *why)
{
    (void)tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "simulator: %s %s", option, why);
    tpw_error_set_param(detail, option);
    return TPW_ERR_INVALID_ARGUMENT;
}

/* Whether the largest price or quantity the session can reach still fits 64 bits. */
static bool symbol_fits(const struct market_sim_symbol *symbol)
{
    return symbol->tick_minor > 0 && symbol->lot_minor > 0 && symbol->mid_ticks > 0 &&
           symbol->mid_ticks <= UINT64_MAX / 4 / symbol->tick_minor &&
           symbol->lot_minor <= UINT64_MAX / 1000000u;
}

static enum tpw_err options_check(const struct market_sim_options *options,
                                  struct tpw_error_detail *detail)
{
    if (options->symbols_count == 0 || options->symbols_count > MARKET_SIM_SYMBOLS_MAX) {
        return option_refused(detail, "symbols", "must name 1 to 16 symbols");
    }
    for (size_t index = 0; index < options->symbols_count; index++) {
        const struct market_sim_symbol *symbol = &options->symbols[index];
        if (symbol->symbol[0] == '\0' || !symbol_fits(symbol)) {
            return option_refused(detail, "symbols", "has an empty or out-of-range symbol");
        }
    }
    if (options->price_decimals > MARKET_EXPONENT_MAX ||
        options->qty_decimals > MARKET_EXPONENT_MAX) {
        return option_refused(detail, "decimals", "must be at most 18");
    }
    if (options->levels == 0 || options->levels > MARKET_SIM_LEVELS_MAX) {
        return option_refused(detail, "levels", "must be 1 to 200");
    }
    if (options->spread_bps_e2 > 100000u || options->gap_bps_e2 > 100000u) {
        return option_refused(detail, "spread", "and gaps must be at most 1000 bp");
    }
    if (options->volatility_bps > 1000u) {
        return option_refused(detail, "volatility-bps", "must be at most 1000");
    }
    if (options->trade_per_mille > 1000u) {
        return option_refused(detail, "trades-per-mille", "must be at most 1000");
    }
    if (options->steps > UINT64_C(100000000)) {
        return option_refused(detail, "steps", "must be at most 100000000");
    }
    return TPW_OK;
}

static void final_of(const struct sim_book *book, struct market_sim_final *final)
{
    memset(final, 0, sizeof *final);
    memcpy(final->symbol, book->spec->symbol, sizeof final->symbol);
    final->last_update_id = book->update_id;
    const struct sim_side *bids = &book->sides[MARKET_BID];
    const struct sim_side *asks = &book->sides[MARKET_ASK];
    final->best_bid_ticks = bids->levels[0].ticks;
    final->best_bid_lots = bids->levels[0].lots;
    final->best_ask_ticks = asks->levels[0].ticks;
    final->best_ask_lots = asks->levels[0].lots;
    final->bid_levels = bids->count;
    final->ask_levels = asks->count;
    final->trades = book->trades;
}

enum tpw_err market_sim_write(const struct market_sim_options *options, FILE *http, FILE *ws,
                              struct market_sim_final final[MARKET_SIM_SYMBOLS_MAX],
                              struct tpw_error_detail *detail)
{
    enum tpw_err err = options_check(options, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct sim_book *books = calloc(options->symbols_count, sizeof *books); /* 3 KB each */
    if (books == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "simulator: out of memory");
    }
    struct sim_out out = {.options = options, .file = ws};
    for (size_t index = 0; index < options->symbols_count; index++) {
        if (!book_init(&books[index], options, index)) {
            free(books);
            return option_refused(detail, "symbols",
                                  "has a mid too few ticks for its spread, gaps and levels");
        }
    }
    for (size_t index = 0; index < options->symbols_count; index++) {
        snapshot_put(http, &out, &books[index]);
    }
    stream_open_put(&out);
    for (uint64_t at = 0; at < options->steps && !out.failed; at++) {
        for (size_t index = 0; index < options->symbols_count; index++) {
            step(&out, &books[index]);
        }
    }
    for (size_t index = 0; index < options->symbols_count; index++) {
        final_of(&books[index], &final[index]);
    }
    free(books);
    if (out.failed || fflush(http) != 0 || fflush(ws) != 0) {
        return tpw_error_set(detail, TPW_ERR_IO, 0, "simulator: a write failed");
    }
    return TPW_OK;
}
