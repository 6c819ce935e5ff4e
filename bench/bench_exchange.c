/*
 * bench_exchange: the conversions target of issue 5 — conversions per second executed
 * through the ledger in batches, durable (one journal append and fdatasync per batch),
 * each priced on the way: route search (fx_route_find over six currencies with fees on
 * three corridors), quote lock and take, its linked group of 3–4 transfers, and after
 * the batch the verdict on its results and the quote's release. 1,000 customers, each
 * with a EUR account and one in each target currency; amounts 10.00 to 5,000.00 EUR
 * from a seeded xoshiro. Groups are packed whole into batches of at most 8189 transfers.
 * The ledger lives next to the binary (a real disk), and is removed afterwards.
 *
 * Usage: bench_exchange [--conversions N] [--quick]
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_common.h"
#include "tpwallet/exchange.h"
#include "tpwallet/prng.h"

#include "banned.h"

#define CUSTOMERS 1000u
#define TARGETS 4u
#define SEED 0x7470776578636867ull
#define CONVERSIONS_DEFAULT 1000000u
#define CONVERSIONS_QUICK 20000u
#define CONVERSIONS_MAX (1u << EXCHANGE_QUOTES_MAX_LOG2)
#define PATH_SIZE 512
#define FUNDING_ID 1u

static const char *const codes[] = {"EUR", "USD", "GBP", "TWD", "JPY", "CHF"};
static const unsigned exponents[] = {2, 2, 2, 0, 0, 2};
#define CURRENCIES (sizeof codes / sizeof codes[0])

struct pending {
    struct exchange_quote quote;
    size_t first; /* its transfers in the batch */
    size_t count;
};

struct bench {
    struct ledger *ledger;
    fx_graph *graph;
    exchange_quote_book *book;
    uint32_t assets[CURRENCIES]; /* ledger asset numbers */
    struct ledger_transfer batch[LEDGER_BATCH_MAX];
    enum ledger_transfer_result results[LEDGER_BATCH_MAX];
    struct pending pending[LEDGER_BATCH_MAX / 2];
    size_t batch_count;
    size_t pending_count;
    uint64_t *batch_ns;
    size_t batches;
    uint64_t pricing_ns;
    uint64_t ledger_ns;
    uint64_t failures;
    tpw_u128 paid_minor; /* Σ inputs, EUR */
    char dir[PATH_SIZE];
};

static bool ok(enum tpw_err err, const char *what, const struct tpw_error_detail *detail)
{
    if (err != TPW_OK) {
        fprintf(stderr, "bench_exchange: %s: %s\n", what,
                detail != NULL && detail->message[0] != '\0' ? detail->message : tpw_strerror(err));
    }
    return err == TPW_OK;
}

static tpw_u128 customer_account(size_t customer, size_t currency)
{
    return 1000u + (tpw_u128)customer * 16u + currency;
}

static struct money_rate rate_of(const char *text)
{
    struct money_rate rate = {0};
    if (money_rate_parse(text, strlen(text), &rate, NULL) != TPW_OK) {
        abort(); /* the literals below are rates */
    }
    return rate;
}

static struct fx_quote pair(const char *base, const char *quote, const char *bid, const char *ask)
{
    struct fx_quote q = {.bid = rate_of(bid), .ask = rate_of(ask)};
    (void)snprintf(q.base, sizeof q.base, "%s", base);
    (void)snprintf(q.quote, sizeof q.quote, "%s", quote);
    return q;
}

static struct fx_corridor_fee corridor(const char *from, const char *to, tpw_u128 fixed_minor,
                                       uint32_t bps)
{
    struct fx_corridor_fee fee = {.tiers = {.tier_count = 1}};
    fee.tiers.tier[0].schedule = (struct money_fee_schedule){
        .fixed_minor = fixed_minor, .proportional_bps = bps, .max_minor = TPW_U128_MAX};
    (void)snprintf(fee.from, sizeof fee.from, "%s", from);
    (void)snprintf(fee.to, sizeof fee.to, "%s", to);
    return fee;
}

static bool graph_build(struct bench *b)
{
    struct money_asset assets[CURRENCIES];
    memset(assets, 0, sizeof assets);
    for (size_t i = 0; i < CURRENCIES; i++) {
        (void)snprintf(assets[i].code, sizeof assets[i].code, "%s", codes[i]);
        assets[i].exponent = (uint8_t)exponents[i];
        assets[i].is_money = true;
    }
    struct fx_quote quotes[] = {
        pair("EUR", "USD", "1.1680", "1.1690"), pair("EUR", "GBP", "0.8640", "0.8650"),
        pair("USD", "TWD", "32.10", "32.20"),   pair("USD", "JPY", "159.70", "159.90"),
        pair("EUR", "TWD", "36.00", "39.00"),   pair("EUR", "JPY", "185.00", "188.00"),
        pair("EUR", "CHF", "0.9400", "0.9420"), pair("USD", "CHF", "0.8040", "0.8060"),
    };
    struct fx_corridor_fee corridors[] = {corridor("EUR", "USD", 50, 10),
                                          corridor("USD", "TWD", 20, 5),
                                          corridor("EUR", "GBP", 30, 8)};
    struct fx_graph_spec spec = {.assets = assets,
                                 .asset_count = CURRENCIES,
                                 .quotes = quotes,
                                 .quote_count = sizeof quotes / sizeof quotes[0],
                                 .corridors = corridors,
                                 .corridor_count = sizeof corridors / sizeof corridors[0]};
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    return ok(fx_graph_create(&spec, &b->graph, &detail), "fx_graph_create", &detail);
}

static bool accounts_create(struct bench *b, const struct ledger_account *accounts, size_t count)
{
    enum ledger_account_result results[64];
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (!ok(ledger_create_accounts(b->ledger, accounts, count, results, &detail), "accounts",
            &detail)) {
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        if (results[i] != LEDGER_ACCOUNT_OK) {
            fprintf(stderr, "bench_exchange: account: %s\n",
                    ledger_account_result_name(results[i]));
            return false;
        }
    }
    return true;
}

/* Assets, the house's accounts, a funding account and each customer's accounts; every
 * customer's EUR account holds 10^9 EUR. */
static bool ledger_fill(struct bench *b)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    for (size_t i = 0; i < CURRENCIES; i++) {
        struct ledger_account house[2];
        if (!ok(ledger_asset_define(b->ledger, codes[i], (uint8_t)exponents[i], &b->assets[i],
                                    &detail),
                "asset", &detail)) {
            return false;
        }
        exchange_house_accounts(b->assets[i], house);
        if (!accounts_create(b, house, 2)) {
            return false;
        }
    }
    struct ledger_account funding = {
        .id = FUNDING_ID, .asset = b->assets[0], .kind = LEDGER_KIND_EQUITY};
    if (!accounts_create(b, &funding, 1)) {
        return false;
    }
    for (size_t c = 0; c < CUSTOMERS; c++) {
        struct ledger_account mine[CURRENCIES];
        memset(mine, 0, sizeof mine);
        for (size_t i = 0; i < CURRENCIES; i++) {
            mine[i].id = customer_account(c, i);
            mine[i].asset = b->assets[i];
            mine[i].kind = LEDGER_KIND_USER;
            mine[i].flags = LEDGER_ACCOUNT_DEBITS_MUST_NOT_EXCEED_CREDITS;
        }
        struct ledger_transfer deposit = {.id = 100u + c,
                                          .debit_account_id = FUNDING_ID,
                                          .credit_account_id = customer_account(c, 0),
                                          .amount = (tpw_u128)100000000000u,
                                          .asset = b->assets[0],
                                          .code = 1};
        enum ledger_transfer_result result = LEDGER_TRANSFER_OK;
        if (!accounts_create(b, mine, CURRENCIES) ||
            !ok(ledger_create_transfers(b->ledger, &deposit, 1, &result, &detail), "deposit",
                &detail) ||
            result != LEDGER_TRANSFER_OK) {
            return false;
        }
    }
    return true;
}

/* Journals the batch, then judges each conversion in it and releases its quote. */
static bool flush(struct bench *b)
{
    if (b->batch_count == 0) {
        return true;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    uint64_t start_ns = tpw_clock_monotonic_ns();
    enum tpw_err err =
        ledger_create_transfers(b->ledger, b->batch, b->batch_count, b->results, &detail);
    uint64_t took_ns = tpw_clock_monotonic_ns() - start_ns;
    b->ledger_ns += took_ns;
    b->batch_ns[b->batches++] = took_ns;
    if (!ok(err, "ledger_create_transfers", &detail)) {
        return false;
    }
    start_ns = tpw_clock_monotonic_ns();
    for (size_t i = 0; i < b->pending_count; i++) {
        const struct pending *p = &b->pending[i];
        bool spent = false;
        if (exchange_results_check(b->results + p->first, p->count, &spent, NULL) != TPW_OK) {
            b->failures++;
        }
        exchange_quote_release(b->book, p->quote.id, spent);
    }
    b->pricing_ns += tpw_clock_monotonic_ns() - start_ns;
    b->batch_count = 0;
    b->pending_count = 0;
    return true;
}

static size_t currency_index(const char *code)
{
    for (size_t i = 0; i < CURRENCIES; i++) {
        if (strcmp(codes[i], code) == 0) {
            return i;
        }
    }
    return 0;
}

/* Prices, locks and takes one conversion, and appends its group to the batch. */
static bool convert_one(struct bench *b, struct tpw_prng *prng)
{
    size_t customer = (size_t)tpw_prng_below(prng, CUSTOMERS);
    size_t target = 1 + (size_t)tpw_prng_below(prng, CURRENCIES - 1);
    tpw_u128 amount_minor = 1000u + tpw_prng_below(prng, 499000u);
    struct fx_route_explanation explanation;
    struct pending *p = &b->pending[b->pending_count];
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (!ok(fx_route_find(b->graph, FX_ROUTE_SELL, "EUR", codes[target], amount_minor, &explanation,
                          &detail),
            "fx_route_find", &detail)) {
        return false;
    }
    p->quote = (struct exchange_quote){.route = explanation.best};
    size_t legs = p->quote.route.leg_count;
    for (size_t k = 0; k < legs && k < FX_ROUTE_LEGS_MAX; k++) {
        p->quote.assets[k] = b->assets[currency_index(p->quote.route.legs[k].from)];
    }
    p->quote.assets[legs] = b->assets[target];
    struct exchange_quote taken;
    if (!ok(exchange_quote_lock(b->book, &p->quote, &detail), "lock", &detail) ||
        !ok(exchange_quote_take(b->book, p->quote.id, &taken, &detail), "take", &detail)) {
        return false;
    }
    p->first = b->batch_count;
    p->count =
        exchange_quote_transfers(&taken, customer_account(customer, 0),
                                 customer_account(customer, target), b->batch + b->batch_count);
    b->batch_count += p->count;
    b->pending_count++;
    b->paid_minor += p->quote.route.in_minor;
    return true;
}

static bool run(struct bench *b, size_t conversions)
{
    struct tpw_prng prng;
    tpw_prng_seed(&prng, SEED);
    for (size_t i = 0; i < conversions; i++) {
        if (b->batch_count + EXCHANGE_TRANSFERS_MAX > LEDGER_BATCH_MAX && !flush(b)) {
            return false;
        }
        uint64_t start_ns = tpw_clock_monotonic_ns();
        bool priced = convert_one(b, &prng);
        b->pricing_ns += tpw_clock_monotonic_ns() - start_ns;
        if (!priced) {
            return false;
        }
    }
    return flush(b);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* bench_exchange.<pid>.d next to the binary: on the build's disk, not a tmpfs. */
static bool dir_make(struct bench *b)
{
    char exe[PATH_SIZE / 2];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        return false;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    (void)snprintf(b->dir, sizeof b->dir, "%s/bench_exchange.%ld.d", exe, (long)getpid());
    return mkdir(b->dir, 0700) == 0;
}

static bool open_all(struct bench *b, size_t conversions)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct ledger_options options = {.data_dir = b->dir, .clock = tpw_clock_system()};
    b->batch_ns = calloc(conversions / 2 + 1, sizeof *b->batch_ns);
    return b->batch_ns != NULL && dir_make(b) &&
           ok(ledger_init(b->dir, &detail), "ledger_init", &detail) &&
           ok(ledger_open(&options, &b->ledger, &detail), "ledger_open", &detail) &&
           ok(exchange_quote_book_create(EXCHANGE_QUOTES_MAX_LOG2, 15ull * 1000000000u,
                                         tpw_clock_system(), SEED, &b->book, &detail),
              "quote book", &detail) &&
           graph_build(b) && ledger_fill(b);
}

/* Every customer's EUR debits add up to the quotes' inputs: nothing lost or doubled. */
static bool verify(const struct bench *b)
{
    tpw_u128 debits = 0;
    for (size_t c = 0; c < CUSTOMERS; c++) {
        struct ledger_account account;
        if (ledger_account_get(b->ledger, customer_account(c, 0), &account) != TPW_OK) {
            return false;
        }
        debits += account.debits_posted;
    }
    return debits == b->paid_minor && b->failures == 0;
}

static void report(struct bench *b, size_t conversions, uint64_t elapsed_ns)
{
    qsort(b->batch_ns, b->batches, sizeof *b->batch_ns, bench_compare_u64);
    uint64_t rate = bench_scaled_div(conversions, 1000000000u, elapsed_ns);
    printf("| conversions | batches | s | conversions/s | pricing ns/conv | ledger ns/conv | "
           "batch p50 us | batch p99 us | >= 200,000/s |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    printf("| %zu | %zu | %" PRIu64 ".%03" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64
           " | %" PRIu64 " | %" PRIu64 " | %s |\n",
           conversions, b->batches, elapsed_ns / 1000000000u, elapsed_ns / 1000000u % 1000u, rate,
           b->pricing_ns / conversions, b->ledger_ns / conversions,
           b->batch_ns[b->batches / 2] / 1000u,
           b->batch_ns[b->batches - 1 - b->batches / 100] / 1000u,
           rate >= 200000 ? "pass" : "miss");
}

int main(int argc, char **argv)
{
    size_t conversions = CONVERSIONS_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            conversions = CONVERSIONS_QUICK;
        } else if (strcmp(argv[i], "--conversions") == 0 && i + 1 < argc) {
            conversions = (size_t)strtoull(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: bench_exchange [--conversions N] [--quick]\n");
            return 2;
        }
    }
    if (conversions == 0 || conversions > CONVERSIONS_MAX) {
        fprintf(stderr, "bench_exchange: --conversions 1..%u\n", CONVERSIONS_MAX);
        return 2;
    }
    static struct bench bench;
    char date[BENCH_DATE_SIZE];
    bench_date_utc(date);
    printf("bench_exchange: %s | %s | %zu currencies, %u customers | seed 0x%llx\n\n", date,
           bench_machine(), CURRENCIES, CUSTOMERS, (unsigned long long)SEED);
    bool good = open_all(&bench, conversions);
    uint64_t start_ns = tpw_clock_monotonic_ns();
    good = good && run(&bench, conversions);
    uint64_t elapsed_ns = tpw_clock_monotonic_ns() - start_ns;
    good = good && verify(&bench);
    if (good) {
        report(&bench, conversions, elapsed_ns);
    } else {
        fprintf(stderr, "bench_exchange: failed (%" PRIu64 " refused conversions)\n",
                bench.failures);
    }
    ledger_close(bench.ledger);
    exchange_quote_book_destroy(bench.book);
    fx_graph_destroy(bench.graph);
    free(bench.batch_ns);
    if (bench.dir[0] != '\0') {
        (void)nftw(bench.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    return good ? 0 : 1;
}
