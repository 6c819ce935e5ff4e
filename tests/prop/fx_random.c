/*
 * Random FX graphs for the fx property tests (fx_random.h). Prices are drawn per
 * currency, so a pair's mid is consistent with the others, and then each pair gets its
 * own error of up to ±3% and a spread of 0..5%: routes through a third currency win
 * often enough for the search's every branch to be exercised.
 */
#include "fx_random.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

static uint64_t below(struct tpw_prng *prng, uint64_t bound)
{
    return tpw_prng_below(prng, bound);
}

static tpw_u128 pow10(unsigned exponent)
{
    return tpw_u128_pow10(exponent);
}

tpw_u128 fx_random_amount(struct tpw_prng *prng)
{
    /* A magnitude in bits, 1..128, squared toward the small end. */
    unsigned bits = 1 + (unsigned)(below(prng, 128) * below(prng, 128) / 127);
    tpw_u128 value = ((tpw_u128)tpw_prng_next(prng) << 64) | tpw_prng_next(prng);
    if (bits < 128) {
        value &= ((tpw_u128)1 << bits) - 1;
    }
    return value | ((tpw_u128)1 << (bits - 1));
}

static struct money_fee_schedule random_schedule(struct tpw_prng *prng)
{
    struct money_fee_schedule schedule = money_fee_none();
    if (below(prng, 2) == 0) {
        schedule.fixed_minor =
            below(prng, 4) == 0 ? 0 : pow10((unsigned)below(prng, 12)) * (1 + below(prng, 9));
    }
    schedule.proportional_bps = below(prng, 10) == 0 ? (uint32_t)below(prng, MONEY_BPS_ONE + 1)
                                                     : (uint32_t)below(prng, 300);
    if (below(prng, 4) == 0) {
        schedule.min_minor = pow10((unsigned)below(prng, 10));
    }
    if (below(prng, 4) == 0) {
        schedule.max_minor = schedule.min_minor + pow10((unsigned)below(prng, 14));
    }
    return schedule;
}

static bool tiers_valid(const struct fx_fee_tiers *tiers)
{
    struct money_asset assets[2];
    memset(assets, 0, sizeof(assets));
    memcpy(assets[0].code, "AA", 3);
    memcpy(assets[1].code, "BB", 3);
    struct fx_graph_spec spec = {.assets = assets, .asset_count = 2, .default_fees = *tiers};
    fx_graph *graph = NULL;
    if (fx_graph_create(&spec, &graph, NULL) != TPW_OK) {
        return false;
    }
    fx_graph_destroy(graph);
    return true;
}

struct fx_fee_tiers fx_random_tiers(struct tpw_prng *prng)
{
    struct fx_fee_tiers tiers;
    /* Bounded retries: a draw the rule refuses is drawn again, then "no fee". */
    for (int attempt = 0; attempt < 16; attempt++) {
        memset(&tiers, 0, sizeof(tiers));
        tiers.tier_count = (uint32_t)below(prng, 4);
        tpw_u128 threshold = 0;
        for (uint32_t index = 0; index < tiers.tier_count; index++) {
            tiers.tier[index].threshold_minor = threshold;
            tiers.tier[index].schedule = random_schedule(prng);
            threshold += pow10((unsigned)below(prng, 20)) * (1 + below(prng, 9));
        }
        if (tiers_valid(&tiers)) {
            return tiers;
        }
    }
    memset(&tiers, 0, sizeof(tiers));
    return tiers;
}

/* Three random capital letters, distinct per graph by construction of the caller. */
static void random_code(struct tpw_prng *prng, char code[FX_CODE_SIZE])
{
    for (int index = 0; index < 3; index++) {
        code[index] = (char)('A' + below(prng, 26));
    }
    code[3] = '\0';
}

static bool code_taken(const struct fx_random_graph *graph, size_t count, const char *code)
{
    for (size_t index = 0; index < count; index++) {
        if (strcmp(graph->assets[index].code, code) == 0) {
            return true;
        }
    }
    return false;
}

/* mid × 10^18 of base in quote from per-currency prices m × 10^k (k in -6..6). */
static tpw_u128 mid_e18(const uint32_t *mantissa, const int *power, size_t base, size_t quote)
{
    int shift = 18 + power[base] - power[quote];
    return (tpw_u128)mantissa[base] * pow10((unsigned)shift) / mantissa[quote];
}

static void random_quote(struct tpw_prng *prng, const struct fx_random_graph *graph, size_t base,
                         size_t quote, tpw_u128 mid, struct fx_quote *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->base, graph->assets[base].code, FX_CODE_SIZE);
    memcpy(out->quote, graph->assets[quote].code, FX_CODE_SIZE);
    /* Up to ±3% error on the mid, then a spread of 0..5% around it. */
    tpw_u128 skewed = mid / 10000u * (9700u + below(prng, 601));
    tpw_u128 half = below(prng, 5) == 0 ? 0 : below(prng, 251);
    tpw_u128 bid = skewed / 10000u * (10000u - half);
    tpw_u128 ask = skewed / 10000u * (10000u + half);
    out->bid.value_e18 = bid == 0 ? 1 : bid;
    out->ask.value_e18 = ask < out->bid.value_e18 ? out->bid.value_e18 : ask;
}

void fx_random_graph(struct tpw_prng *prng, size_t currency_count, unsigned pair_percent,
                     struct fx_random_graph *out)
{
    memset(out, 0, sizeof(*out));
    uint32_t mantissa[FX_RANDOM_CURRENCIES_MAX];
    int power[FX_RANDOM_CURRENCIES_MAX];
    for (size_t index = 0; index < currency_count; index++) {
        struct money_asset *asset = &out->assets[index];
        do {
            random_code(prng, asset->code);
        } while (code_taken(out, index, asset->code));
        asset->exponent = (uint8_t)below(prng, MONEY_ASSET_EXPONENT_MAX + 1);
        asset->is_money = true;
        asset->kind = MONEY_ASSET_CONFIGURED;
        mantissa[index] = 1 + (uint32_t)below(prng, 999999);
        power[index] = (int)below(prng, 13) - 6;
    }
    size_t quote_count = 0;
    for (size_t a = 0; a < currency_count; a++) {
        for (size_t b = a + 1; b < currency_count; b++) {
            if (below(prng, 100) >= pair_percent) {
                continue;
            }
            bool flip = below(prng, 2) == 0;
            size_t base = flip ? b : a;
            size_t quote = flip ? a : b;
            random_quote(prng, out, base, quote, mid_e18(mantissa, power, base, quote),
                         &out->quotes[quote_count++]);
        }
    }
    size_t corridor_count = 0;
    for (size_t a = 0; a < currency_count; a++) {
        for (size_t b = 0; b < currency_count; b++) {
            if (a == b || below(prng, 3) != 0) {
                continue;
            }
            struct fx_corridor_fee *corridor = &out->corridors[corridor_count++];
            memcpy(corridor->from, out->assets[a].code, FX_CODE_SIZE);
            memcpy(corridor->to, out->assets[b].code, FX_CODE_SIZE);
            corridor->tiers = fx_random_tiers(prng);
        }
    }
    out->spec = (struct fx_graph_spec){.assets = out->assets,
                                       .asset_count = currency_count,
                                       .quotes = out->quotes,
                                       .quote_count = quote_count,
                                       .corridors = out->corridors,
                                       .corridor_count = corridor_count,
                                       .default_fees = fx_random_tiers(prng)};
}

static void print_tiers(const char *label, const struct fx_fee_tiers *tiers)
{
    char text[4][TPW_U128_DEC_SIZE];
    fprintf(stderr, "  fees %s:", label);
    for (uint32_t index = 0; index < tiers->tier_count; index++) {
        const struct fx_fee_tier *tier = &tiers->tier[index];
        tpw_u128_to_dec(tier->threshold_minor, text[0], sizeof(text[0]));
        tpw_u128_to_dec(tier->schedule.fixed_minor, text[1], sizeof(text[1]));
        tpw_u128_to_dec(tier->schedule.min_minor, text[2], sizeof(text[2]));
        tpw_u128_to_dec(tier->schedule.max_minor, text[3], sizeof(text[3]));
        fprintf(stderr, " [from %s: %s + %" PRIu32 " bps, min %s, max %s]", text[0], text[1],
                tier->schedule.proportional_bps, text[2], text[3]);
    }
    fprintf(stderr, "\n");
}

void fx_random_print(const struct fx_random_graph *graph)
{
    for (size_t index = 0; index < graph->spec.asset_count; index++) {
        fprintf(stderr, "  asset %s exponent %u\n", graph->assets[index].code,
                graph->assets[index].exponent);
    }
    char bid[TPW_U128_DEC_SIZE];
    char ask[TPW_U128_DEC_SIZE];
    for (size_t index = 0; index < graph->spec.quote_count; index++) {
        const struct fx_quote *quote = &graph->quotes[index];
        tpw_u128_to_dec(quote->bid.value_e18, bid, sizeof(bid));
        tpw_u128_to_dec(quote->ask.value_e18, ask, sizeof(ask));
        fprintf(stderr, "  quote %s/%s bid_e18 %s ask_e18 %s\n", quote->base, quote->quote, bid,
                ask);
    }
    for (size_t index = 0; index < graph->spec.corridor_count; index++) {
        char label[2 * FX_CODE_SIZE + 4];
        (void)snprintf(label, sizeof(label), "%s->%s", graph->corridors[index].from,
                       graph->corridors[index].to);
        print_tiers(label, &graph->corridors[index].tiers);
    }
    print_tiers("default", &graph->spec.default_fees);
}
