/*
 * bench_ledger: durable transfers per second through the ledger's public API, beside the
 * raw limit of the disk measured in the same run. A load phase at batch 8189 builds a
 * ledger of --transfers transfers across --accounts accounts; smaller batches then run on
 * that same ledger, capped by time since every batch is one fdatasync. After each phase
 * a separate file on the same filesystem gets the bytes the journal writes (128 per
 * transfer plus the 72-byte record header, padded to 512-byte blocks) with one pwrite
 * and one fdatasync per batch, twice: with O_DIRECT, as the journal writes them, and
 * through the page cache, as the journal did before format 2. The ratio ledger/raw
 * says how much of the disk's limit the ledger keeps. Also reported: batch
 * commit latency percentiles, bytes on disk per transfer and resident memory per account
 * and per transfer. Any API error, or a result the workload cannot produce, exits 1.
 *
 * Usage: bench_ledger [--dir DIR [--force]] [--transfers N] [--accounts N] [--batches LIST]
 *                     [--hot] [--hot-transfers N] [--seconds S] [--checkpoint-interval EVENTS]
 *                     [--quick] [--json] [--keep]
 */
#define _GNU_SOURCE /* nftw, statfs, readlink, O_DIRECT */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "bench_common.h"
#include "tpwallet/clock.h"
#include "tpwallet/error.h"
#include "tpwallet/ledger.h"
#include "tpwallet/prng.h"
#include "tpwallet/u128.h"
#include "tpw_assert.h"

#include "banned.h"

#define BENCH_SEED UINT64_C(0x7470776c65646772) /* "tpwledgr" */
#define DEFAULT_TRANSFERS UINT64_C(10000000)
#define DEFAULT_ACCOUNTS UINT64_C(100000)
#define DEFAULT_HOT_TRANSFERS UINT64_C(2000000)
#define DEFAULT_SECONDS UINT64_C(10)
#define QUICK_TRANSFERS UINT64_C(2000)
#define QUICK_ACCOUNTS UINT64_C(100)
#define QUICK_SECONDS UINT64_C(1)
#define HOT_ACCOUNTS UINT64_C(10)
#define TRANSFERS_MAX UINT64_C(1000000000000) /* ids and counters stay far from 2^64 */
#define ACCOUNTS_MAX UINT64_C(100000000)
#define SECONDS_MAX UINT64_C(86400)
#define BATCH_SIZES_MAX 8u /* entries in --batches */
#define PATH_SIZE 4096u
#define NS_PER_S UINT64_C(1000000000)

/* Ids: the funding account is 1, user account i is USER_ID_BASE + i, transfers count up
 * from 2^64 so they can never collide with an account id in a report. */
#define FUNDING_ACCOUNT_ID 1u
#define USER_ID_BASE UINT64_C(1000)
#define TRANSFER_ID_BASE TPW_U128(1, 0)
#define TRANSFER_CODE 1u
/* Each user account is credited 10^12 cents once; transfers move 1..1000 cents, so even
 * the hot variant's 10 accounts never run dry and nearly every transfer is applied. */
#define FUNDING_AMOUNT UINT64_C(1000000000000)
#define AMOUNT_MAX UINT64_C(1000)

/* The journal's framing per batch (src/ledger/journal_format.h, docs/formats): one
 * record header, then 128 bytes per transfer; the sum is a multiple of 8 (no padding). */
#define RECORD_HEADER_BYTES 72u
#define TRANSFER_BYTES 128u
/* Records are padded to 512-byte blocks (docs/formats/journal.md, format 2). */
#define BLOCK_BYTES 512u
_Static_assert(sizeof(struct ledger_transfer) == TRANSFER_BYTES, "transfer record size");

#define TMPFS_MAGIC_NUMBER 0x01021994L

struct options {
    char dir[PATH_SIZE];
    uint64_t transfers;
    uint64_t accounts;
    uint64_t hot_transfers;
    uint64_t seconds;
    uint64_t checkpoint_interval; /* 0 = the ledger's default */
    uint32_t batch_sizes[BATCH_SIZES_MAX];
    size_t batch_sizes_count;
    bool hot;
    bool json;
    bool keep;
    bool force;
};

struct raw_result {
    uint64_t transfers; /* the equivalent: bytes written / 128 per batch */
    uint64_t batches;
    uint64_t elapsed_ns;
    bool time_capped;
    bool direct; /* written with O_DIRECT (the file system took it) */
};

struct phase_result {
    const char *variant; /* "accounts" or "hot" */
    const char *name;    /* "load" or "batch" */
    uint64_t accounts;
    uint64_t transfers; /* submitted: applied + rejected */
    uint64_t applied;
    uint64_t rejected;
    uint64_t batches;
    uint64_t elapsed_ns;
    uint64_t latency_ns_p50;
    uint64_t latency_ns_p99;
    uint64_t latency_ns_max;
    struct raw_result raw;          /* as the journal writes: O_DIRECT where possible */
    struct raw_result raw_buffered; /* the same bytes through the page cache */
    uint32_t batch_size;
    bool time_capped;
};

/* Resident memory in KiB: all of it (VmRSS) and the anonymous part (RssAnon), which
 * leaves out file-backed pages such as a memory-mapped store that the kernel can drop. */
struct rss {
    uint64_t total_kb;
    uint64_t anon_kb;
};

struct footprint {
    uint64_t accounts;
    uint64_t transfers;      /* in the ledger after the load phase */
    uint64_t transfers_kept; /* stored since the after-accounts RSS sample */
    uint64_t disk_bytes;
    uint64_t disk_allocated_bytes;
    uint64_t journal_bytes;
    struct rss rss_base;
    struct rss rss_accounts;
    struct rss rss_load;
};

/* Batch commit latencies of one phase, grown as needed up to `limit` (the phase's
 * batch count when it is not cut short by time). */
struct latencies {
    uint64_t *ns;
    size_t count;
    size_t capacity;
    size_t limit;
};

/* One ledger under test and the workload's generator. */
struct bench {
    struct ledger *ledger;
    char data_dir[PATH_SIZE];
    char raw_path[PATH_SIZE];
    uint32_t asset;
    uint64_t accounts;
    tpw_u128 next_transfer_id;
    struct tpw_prng prng;
};

/* Command and result buffers, one batch each; touched before the RSS baseline. */
static struct ledger_account g_accounts[LEDGER_BATCH_MAX];
static enum ledger_account_result g_account_results[LEDGER_BATCH_MAX];
static struct ledger_transfer g_transfers[LEDGER_BATCH_MAX];
static enum ledger_transfer_result g_transfer_results[LEDGER_BATCH_MAX];
static uint64_t g_walk_bytes; /* nftw has no user pointer */
static uint64_t g_walk_allocated_bytes;
/* Every phase's result, for the JSON lines printed after the table. */
static struct phase_result g_phases[BATCH_SIZES_MAX + 2];
static size_t g_phases_count;

/* ---------------------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------------------------- */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static bool api_ok(enum tpw_err err, const char *what, const struct tpw_error_detail *detail)
{
    if (err == TPW_OK) {
        return true;
    }
    fprintf(stderr, "bench_ledger: %s failed: %s%s%s\n", what, tpw_strerror(err),
            detail->message[0] != '\0' ? ": " : "", detail->message);
    return false;
}

static bool path_join(char out[PATH_SIZE], const char *dir, const char *name)
{
    int n = snprintf(out, PATH_SIZE, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= PATH_SIZE) {
        fprintf(stderr, "bench_ledger: path too long: '%s/%s'\n", dir, name);
        return false;
    }
    return true;
}

/* VmRSS and RssAnon of this process, from /proc/self/status; 0 if they cannot be read. */
static struct rss rss_read(void)
{
    struct rss rss = {0, 0};
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) {
        return rss;
    }
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            rss.total_kb = (uint64_t)strtoull(line + 6, NULL, 10);
        } else if (strncmp(line, "RssAnon:", 8) == 0) {
            rss.anon_kb = (uint64_t)strtoull(line + 8, NULL, 10);
        }
    }
    fclose(f);
    return rss;
}

/* (after - before) KiB per item, in hundredths of a byte; 0 when memory shrank. */
static uint64_t kb_per_item_centi(uint64_t after_kb, uint64_t before_kb, uint64_t items)
{
    uint64_t kb = after_kb > before_kb ? after_kb - before_kb : 0;
    if (items == 0) {
        return 0;
    }
    return (uint64_t)((tpw_u128)kb * 1024u * 100u / items);
}

static int walk_sum(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (type == FTW_F) {
        g_walk_bytes += (uint64_t)st->st_size;
        g_walk_allocated_bytes += (uint64_t)st->st_blocks * 512u;
    }
    return 0;
}

/* The sum of the sizes of the regular files under `dir`; the blocks they occupy (sparse
 * or preallocated files differ) go to g_walk_allocated_bytes. */
static uint64_t dir_bytes(const char *dir)
{
    g_walk_bytes = 0;
    g_walk_allocated_bytes = 0;
    if (nftw(dir, walk_sum, 16, FTW_PHYS) != 0) {
        fprintf(stderr, "bench_ledger: cannot walk '%s': %s\n", dir, strerror(errno));
    }
    return g_walk_bytes;
}

static int walk_remove(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    if (remove(path) != 0) {
        fprintf(stderr, "bench_ledger: cannot remove '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static bool remove_tree(const char *dir)
{
    return nftw(dir, walk_remove, 16, FTW_DEPTH | FTW_PHYS) == 0;
}

static const char *fs_name(long type)
{
    switch (type) {
    case 0xEF53L:
        return "ext2/3/4";
    case 0x58465342L:
        return "xfs";
    case 0x9123683EL:
        return "btrfs";
    case TMPFS_MAGIC_NUMBER:
        return "tmpfs";
    case 0x794c7630L:
        return "overlayfs";
    default:
        return "other";
    }
}

/* ---------------------------------------------------------------------------------------
 * Options
 * --------------------------------------------------------------------------------------- */

static bool parse_u64(const char *name, const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || n < min || n > max) {
        fprintf(stderr, "bench_ledger: %s wants %" PRIu64 "..%" PRIu64 ", not '%s'\n", name, min,
                max, text);
        return false;
    }
    *out = (uint64_t)n;
    return true;
}

/* "8189,512,64,1": each 1..LEDGER_BATCH_MAX; the first is the load phase. */
static bool parse_batch_sizes(const char *text, struct options *opt)
{
    char copy[256];
    if (strlen(text) >= sizeof copy) {
        fprintf(stderr, "bench_ledger: --batches list too long\n");
        return false;
    }
    memcpy(copy, text, strlen(text) + 1);
    opt->batch_sizes_count = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        uint64_t size = 0;
        if (opt->batch_sizes_count == BATCH_SIZES_MAX) {
            fprintf(stderr, "bench_ledger: --batches takes at most %u sizes\n", BATCH_SIZES_MAX);
            return false;
        }
        if (!parse_u64("--batches", item, 1, LEDGER_BATCH_MAX, &size)) {
            return false;
        }
        opt->batch_sizes[opt->batch_sizes_count++] = (uint32_t)size;
    }
    return opt->batch_sizes_count > 0;
}

static bool parse_flag(const char *arg, struct options *opt)
{
    if (strcmp(arg, "--quick") == 0) {
        opt->transfers = QUICK_TRANSFERS;
        opt->accounts = QUICK_ACCOUNTS;
        opt->hot_transfers = QUICK_TRANSFERS;
        opt->seconds = QUICK_SECONDS;
    } else if (strcmp(arg, "--hot") == 0) {
        opt->hot = true;
    } else if (strcmp(arg, "--json") == 0) {
        opt->json = true;
    } else if (strcmp(arg, "--keep") == 0) {
        opt->keep = true;
    } else if (strcmp(arg, "--force") == 0) {
        opt->force = true;
    } else {
        return false;
    }
    return true;
}

static bool parse_valued(const char *arg, const char *value, struct options *opt)
{
    if (strcmp(arg, "--dir") == 0) {
        if (value[0] == '\0' || strlen(value) >= PATH_SIZE / 2) {
            fprintf(stderr, "bench_ledger: --dir wants a path shorter than %u\n", PATH_SIZE / 2);
            return false;
        }
        memcpy(opt->dir, value, strlen(value) + 1);
        return true;
    }
    if (strcmp(arg, "--transfers") == 0) {
        return parse_u64(arg, value, 1, TRANSFERS_MAX, &opt->transfers);
    }
    if (strcmp(arg, "--accounts") == 0) {
        return parse_u64(arg, value, 2, ACCOUNTS_MAX, &opt->accounts);
    }
    if (strcmp(arg, "--hot-transfers") == 0) {
        return parse_u64(arg, value, 1, TRANSFERS_MAX, &opt->hot_transfers);
    }
    if (strcmp(arg, "--seconds") == 0) {
        return parse_u64(arg, value, 1, SECONDS_MAX, &opt->seconds);
    }
    if (strcmp(arg, "--batches") == 0) {
        return parse_batch_sizes(value, opt);
    }
    if (strcmp(arg, "--checkpoint-interval") == 0) {
        return parse_u64(arg, value, 1, UINT32_MAX, &opt->checkpoint_interval);
    }
    fprintf(stderr, "bench_ledger: unknown option '%s'\n", arg);
    return false;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_ledger [--dir DIR [--force]] [--transfers N] [--accounts N]\n"
            "                    [--batches LIST] [--hot] [--hot-transfers N] [--seconds S]\n"
            "                    [--checkpoint-interval EVENTS] [--quick] [--json] [--keep]\n");
}

static bool parse_options(int argc, char **argv, struct options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->transfers = DEFAULT_TRANSFERS;
    opt->accounts = DEFAULT_ACCOUNTS;
    opt->hot_transfers = DEFAULT_HOT_TRANSFERS;
    opt->seconds = DEFAULT_SECONDS;
    const uint32_t defaults[] = {LEDGER_BATCH_MAX, 512, 64, 1};
    memcpy(opt->batch_sizes, defaults, sizeof defaults);
    opt->batch_sizes_count = sizeof defaults / sizeof defaults[0];
    /* --quick first, so that explicit options after or before it still win. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            (void)parse_flag(argv[i], opt);
        }
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0 || parse_flag(argv[i], opt)) {
            continue;
        }
        if (i + 1 >= argc || strncmp(argv[i], "--", 2) != 0) {
            usage();
            return false;
        }
        if (!parse_valued(argv[i], argv[i + 1], opt)) {
            usage();
            return false;
        }
        i++;
    }
    return true;
}

/* The default data directory: bench_ledger.<pid>.d next to the binary (in build/). */
static bool default_dir(struct options *opt)
{
    char exe[PATH_SIZE / 2];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "bench_ledger: cannot find the binary's directory; pass --dir\n");
        return false;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    snprintf(opt->dir, sizeof opt->dir, "%s/bench_ledger.%ld.d", exe, (long)getpid());
    return true;
}

/* Creates opt->dir, removing an old one first only with --force. */
static bool prepare_dir(const struct options *opt)
{
    struct stat st;
    if (lstat(opt->dir, &st) == 0) {
        if (!opt->force) {
            fprintf(stderr, "bench_ledger: '%s' exists; pass --force to replace it\n", opt->dir);
            return false;
        }
        if (strcmp(opt->dir, "/") == 0 || !remove_tree(opt->dir)) {
            fprintf(stderr, "bench_ledger: cannot replace '%s'\n", opt->dir);
            return false;
        }
    }
    if (mkdir(opt->dir, 0700) != 0) {
        fprintf(stderr, "bench_ledger: cannot create '%s': %s\n", opt->dir, strerror(errno));
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------------------------------
 * The ledger under test
 * --------------------------------------------------------------------------------------- */

static bool bench_open(struct bench *b, const struct options *opt, const char *name,
                       uint64_t accounts)
{
    const char *root = opt->dir;
    memset(b, 0, sizeof *b);
    b->accounts = accounts;
    b->next_transfer_id = TRANSFER_ID_BASE;
    tpw_prng_seed(&b->prng, BENCH_SEED);
    char raw_name[64];
    snprintf(raw_name, sizeof raw_name, "%s.raw", name);
    if (!path_join(b->data_dir, root, name) || !path_join(b->raw_path, root, raw_name)) {
        return false;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (!api_ok(ledger_init(b->data_dir, &detail), "ledger_init", &detail)) {
        return false;
    }
    struct ledger_options options = {
        .data_dir = b->data_dir,
        .clock = tpw_clock_system(),
        .read_only = false,
        .segment_size_bytes = 0,
        .checkpoint_interval = opt->checkpoint_interval,
    };
    if (!api_ok(ledger_open(&options, &b->ledger, &detail), "ledger_open", &detail)) {
        return false;
    }
    enum tpw_err err = ledger_asset_define(b->ledger, "USD", 2, &b->asset, &detail);
    return api_ok(err, "ledger_asset_define", &detail);
}

static void bench_close(struct bench *b)
{
    if (b->ledger != NULL) {
        ledger_close(b->ledger);
        b->ledger = NULL;
    }
}

static struct ledger_account make_account(uint64_t id, uint32_t asset, uint16_t kind,
                                          uint16_t flags)
{
    return (struct ledger_account){.id = id, .asset = asset, .kind = kind, .flags = flags};
}

/* The funding account (equity, no limit) and the user accounts (debits must not exceed
 * credits), LEDGER_BATCH_MAX per call. */
static bool create_accounts(struct bench *b)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    uint64_t total = b->accounts + 1;
    for (uint64_t done = 0; done < total;) {
        size_t n = (size_t)min_u64(LEDGER_BATCH_MAX, total - done);
        for (size_t i = 0; i < n; i++) {
            uint64_t k = done + i;
            g_accounts[i] = k == 0
                                ? make_account(FUNDING_ACCOUNT_ID, b->asset, LEDGER_KIND_EQUITY, 0)
                                : make_account(USER_ID_BASE + k - 1, b->asset, LEDGER_KIND_USER,
                                               LEDGER_ACCOUNT_DEBITS_MUST_NOT_EXCEED_CREDITS);
        }
        enum tpw_err err =
            ledger_create_accounts(b->ledger, g_accounts, n, g_account_results, &detail);
        if (!api_ok(err, "ledger_create_accounts", &detail)) {
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            if (g_account_results[i] != LEDGER_ACCOUNT_OK) {
                fprintf(stderr, "bench_ledger: account %" PRIu64 " not created: %s\n", done + i,
                        ledger_account_result_name(g_account_results[i]));
                return false;
            }
        }
        done += n;
    }
    return true;
}

static struct ledger_transfer make_transfer(struct bench *b, uint64_t debit, uint64_t credit,
                                            uint64_t amount)
{
    return (struct ledger_transfer){
        .id = b->next_transfer_id++,
        .debit_account_id = debit,
        .credit_account_id = credit,
        .amount = amount,
        .asset = b->asset,
        .code = TRANSFER_CODE,
    };
}

/* n random transfers between two different user accounts. */
static void fill_random(struct bench *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t debit = tpw_prng_below(&b->prng, b->accounts);
        uint64_t credit = tpw_prng_below(&b->prng, b->accounts - 1);
        if (credit >= debit) {
            credit++;
        }
        uint64_t amount = 1 + tpw_prng_below(&b->prng, AMOUNT_MAX);
        g_transfers[i] = make_transfer(b, USER_ID_BASE + debit, USER_ID_BASE + credit, amount);
    }
}

/* Starts small: a time-capped phase runs far fewer batches than its limit. */
static bool latencies_init(struct latencies *lat, uint64_t batches)
{
    lat->limit = (size_t)batches;
    lat->capacity = (size_t)min_u64(batches, UINT64_C(1) << 16);
    lat->count = 0;
    lat->ns = calloc(lat->capacity, sizeof *lat->ns);
    if (lat->ns == NULL) {
        fprintf(stderr, "bench_ledger: out of memory for %zu latencies\n", lat->capacity);
        return false;
    }
    return true;
}

static bool latencies_push(struct latencies *lat, uint64_t ns)
{
    TPW_ASSERT(lat->count < lat->limit);
    if (lat->count == lat->capacity) {
        size_t grown = (size_t)min_u64((uint64_t)lat->capacity * 2, lat->limit);
        uint64_t *bigger = realloc(lat->ns, grown * sizeof *bigger);
        if (bigger == NULL) {
            fprintf(stderr, "bench_ledger: out of memory for %zu latencies\n", grown);
            return false;
        }
        lat->ns = bigger;
        lat->capacity = grown;
    }
    lat->ns[lat->count++] = ns;
    return true;
}

/* Submits g_transfers[0..n) as one batch; adds its commit latency and its outcome.
 * Only exceeds_credits is an expected rejection: anything else is a bug in the bench. */
static bool submit(struct bench *b, size_t n, struct latencies *lat, struct phase_result *out)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    uint64_t start = tpw_clock_monotonic_ns();
    enum tpw_err err =
        ledger_create_transfers(b->ledger, g_transfers, n, g_transfer_results, &detail);
    uint64_t elapsed = tpw_clock_monotonic_ns() - start;
    if (!api_ok(err, "ledger_create_transfers", &detail)) {
        return false;
    }
    if (lat != NULL && !latencies_push(lat, elapsed)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (g_transfer_results[i] == LEDGER_TRANSFER_OK) {
            out->applied++;
        } else if (g_transfer_results[i] == LEDGER_TRANSFER_EXCEEDS_CREDITS) {
            out->rejected++;
        } else {
            fprintf(stderr, "bench_ledger: unexpected transfer result %s\n",
                    ledger_transfer_result_name(g_transfer_results[i]));
            return false;
        }
    }
    return true;
}

/* One credit of FUNDING_AMOUNT from the funding account to every user account. */
static bool fund_accounts(struct bench *b)
{
    struct phase_result sink;
    memset(&sink, 0, sizeof sink);
    for (uint64_t done = 0; done < b->accounts;) {
        size_t n = (size_t)min_u64(LEDGER_BATCH_MAX, b->accounts - done);
        for (size_t i = 0; i < n; i++) {
            g_transfers[i] =
                make_transfer(b, FUNDING_ACCOUNT_ID, USER_ID_BASE + done + i, FUNDING_AMOUNT);
        }
        if (!submit(b, n, NULL, &sink)) {
            return false;
        }
        done += n;
    }
    if (sink.applied != b->accounts) {
        fprintf(stderr, "bench_ledger: %" PRIu64 " funding transfers rejected\n", sink.rejected);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Phases
 * --------------------------------------------------------------------------------------- */

/* Nearest-rank percentiles of the batch commit latencies. */
static void latencies_summarize(struct latencies *lat, struct phase_result *out)
{
    if (lat->count == 0) {
        return;
    }
    qsort(lat->ns, lat->count, sizeof *lat->ns, bench_compare_u64);
    out->latency_ns_p50 = lat->ns[(lat->count - 1) * 50 / 100];
    out->latency_ns_p99 = lat->ns[(lat->count - 1) * 99 / 100];
    out->latency_ns_max = lat->ns[lat->count - 1];
}

/* Batches of `batch_size` random transfers until `target` are done, or until `cap_ns`
 * has passed (0 = no cap). The clock runs around the whole loop: generating commands
 * is part of the work. */
static bool run_phase(struct bench *b, uint32_t batch_size, uint64_t target, uint64_t cap_ns,
                      struct phase_result *out)
{
    struct latencies lat;
    if (!latencies_init(&lat, (target + batch_size - 1) / batch_size)) {
        return false;
    }
    out->batch_size = batch_size;
    out->accounts = b->accounts;
    bool ok = true;
    uint64_t start = tpw_clock_monotonic_ns();
    while (out->transfers < target) {
        size_t n = (size_t)min_u64(batch_size, target - out->transfers);
        fill_random(b, n);
        if (!submit(b, n, &lat, out)) {
            ok = false;
            break;
        }
        out->transfers += n;
        out->batches++;
        if (cap_ns != 0 && out->transfers < target && tpw_clock_monotonic_ns() - start >= cap_ns) {
            out->time_capped = true;
            break;
        }
    }
    out->elapsed_ns = tpw_clock_monotonic_ns() - start;
    TPW_ASSERT(!ok || out->applied + out->rejected == out->transfers);
    TPW_ASSERT(!ok || lat.count == out->batches);
    latencies_summarize(&lat, out);
    free(lat.ns);
    return ok;
}

static size_t block_align(uint64_t bytes)
{
    return (size_t)((bytes + BLOCK_BYTES - 1) / BLOCK_BYTES * BLOCK_BYTES);
}

static bool write_all(int fd, const uint8_t *buf, size_t size, uint64_t offset)
{
    while (size > 0) {
        ssize_t n = pwrite(fd, buf, size, (off_t)offset);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        buf += n;
        size -= (size_t)n;
        offset += (uint64_t)n;
    }
    return true;
}

static bool raw_loop(int fd, const uint8_t *buf, uint32_t batch_size, uint64_t target,
                     uint64_t cap_ns, struct raw_result *out)
{
    uint64_t offset = 0;
    uint64_t start = tpw_clock_monotonic_ns();
    while (out->transfers < target) {
        uint64_t n = min_u64(batch_size, target - out->transfers);
        size_t bytes = block_align(RECORD_HEADER_BYTES + n * TRANSFER_BYTES);
        if (!write_all(fd, buf, bytes, offset) || fdatasync(fd) != 0) {
            fprintf(stderr, "bench_ledger: raw write failed: %s\n", strerror(errno));
            return false;
        }
        offset += bytes;
        out->transfers += n;
        out->batches++;
        if (out->transfers < target && tpw_clock_monotonic_ns() - start >= cap_ns) {
            out->time_capped = true;
            break;
        }
    }
    out->elapsed_ns = tpw_clock_monotonic_ns() - start;
    return true;
}

/*
 * The raw limit: the bytes the journal would write for `target` transfers in batches of
 * `batch_size` (each record padded to whole blocks), appended to a fresh file with
 * pwrite at increasing offsets and one fdatasync per batch, like the journal (which
 * does not preallocate either); with O_DIRECT when `direct` and the file system takes
 * it, as the journal does. Random bytes, so no layer can compress or skip zeros.
 */
static bool raw_run(struct bench *b, uint32_t batch_size, uint64_t target, uint64_t cap_ns,
                    bool direct, struct raw_result *out)
{
    memset(out, 0, sizeof *out);
    size_t size = block_align(RECORD_HEADER_BYTES + (size_t)batch_size * TRANSFER_BYTES);
    void *memory = NULL;
    if (posix_memalign(&memory, BLOCK_BYTES, size) != 0) {
        fprintf(stderr, "bench_ledger: out of memory for the raw buffer\n");
        return false;
    }
    uint8_t *buf = memory;
    for (size_t i = 0; i < size; i++) {
        buf[i] = (uint8_t)tpw_prng_next(&b->prng);
    }
    int fd = open(b->raw_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "bench_ledger: cannot create '%s': %s\n", b->raw_path, strerror(errno));
        free(buf);
        return false;
    }
    int flags = fcntl(fd, F_GETFL);
    out->direct = direct && flags >= 0 && fcntl(fd, F_SETFL, flags | O_DIRECT) == 0;
    bool ok = raw_loop(fd, buf, batch_size, target, cap_ns, out);
    if (close(fd) != 0 || unlink(b->raw_path) != 0) {
        fprintf(stderr, "bench_ledger: cannot close or remove '%s'\n", b->raw_path);
        ok = false;
    }
    free(buf);
    return ok;
}

/* ---------------------------------------------------------------------------------------
 * Reporting
 * --------------------------------------------------------------------------------------- */

static uint64_t rate_per_s(uint64_t count, uint64_t elapsed_ns)
{
    return bench_scaled_div(count, NS_PER_S, elapsed_ns);
}

static void print_header(const struct options *opt)
{
    char date[BENCH_DATE_SIZE];
    bench_date_utc(date);
    const char *machine = bench_machine();
    struct statfs fs;
    const char *fs_type = statfs(opt->dir, &fs) == 0 ? fs_name((long)fs.f_type) : "unknown";
    printf("bench_ledger: %s | %s | %ld cpus | compiler %s | seed 0x%016" PRIx64 " | fs %s | %s\n",
           date, machine, sysconf(_SC_NPROCESSORS_ONLN), __VERSION__, BENCH_SEED, fs_type,
           opt->dir);
    if (strcmp(fs_type, "tmpfs") == 0) {
        printf("warning: the data directory is on tmpfs, where fdatasync costs nothing\n");
    }
    printf("workload: %" PRIu64 " accounts; the first batch size (%" PRIu32 ") runs %" PRIu64
           " transfers, the others run on the same ledger for min(%" PRIu64 " transfers, %" PRIu64
           " s)\n",
           opt->accounts, opt->batch_sizes[0], opt->transfers, opt->transfers, opt->seconds);
    printf("raw limit: after each phase, the journal's bytes (batch x 128 + 72, padded to %u)"
           " with one fdatasync per batch, at most %" PRIu64 " s each: 'raw' with O_DIRECT as"
           " the journal writes, 'raw pc' through the page cache\n\n",
           BLOCK_BYTES, opt->seconds);
    printf("| variant | accounts | batch | transfers | rejected | s | transfers/s | p50 us |"
           " p99 us | max us | raw transfers/s | ledger/raw | raw pc transfers/s |"
           " ledger/raw pc | note |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
}

static const char *phase_note(const struct phase_result *r)
{
    if (!r->raw.direct) {
        return "raw without O_DIRECT (the file system refused it)";
    }
    bool raw_capped = r->raw.time_capped || r->raw_buffered.time_capped;
    if (r->time_capped && raw_capped) {
        return "time-capped (ledger, raw)";
    }
    if (r->time_capped) {
        return "time-capped";
    }
    return raw_capped ? "raw time-capped" : "";
}

static void print_phase_row(const struct phase_result *r)
{
    uint64_t tps = rate_per_s(r->transfers, r->elapsed_ns);
    uint64_t raw_tps = rate_per_s(r->raw.transfers, r->raw.elapsed_ns);
    uint64_t ratio_milli = bench_scaled_div(tps, 1000, raw_tps);
    uint64_t pc_tps = rate_per_s(r->raw_buffered.transfers, r->raw_buffered.elapsed_ns);
    uint64_t pc_milli = bench_scaled_div(tps, 1000, pc_tps);
    uint64_t centi_s = r->elapsed_ns / (NS_PER_S / 100);
    printf("| %s | %" PRIu64 " | %" PRIu32 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 ".%02" PRIu64
           " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64
           ".%03" PRIu64 " | %" PRIu64 " | %" PRIu64 ".%03" PRIu64 " | %s |\n",
           r->variant, r->accounts, r->batch_size, r->transfers, r->rejected, centi_s / 100,
           centi_s % 100, tps, r->latency_ns_p50 / 1000, r->latency_ns_p99 / 1000,
           r->latency_ns_max / 1000, raw_tps, ratio_milli / 1000, ratio_milli % 1000, pc_tps,
           pc_milli / 1000, pc_milli % 1000, phase_note(r));
}

static void print_phase_json(const struct phase_result *r)
{
    uint64_t tps = rate_per_s(r->transfers, r->elapsed_ns);
    uint64_t raw_tps = rate_per_s(r->raw.transfers, r->raw.elapsed_ns);
    printf("{\"bench\":\"ledger\",\"phase\":\"%s\",\"variant\":\"%s\",\"accounts\":%" PRIu64
           ",\"batch\":%" PRIu32 ",\"transfers\":%" PRIu64 ",\"applied\":%" PRIu64
           ",\"rejected\":%" PRIu64 ",\"batches\":%" PRIu64 ",\"elapsed_us\":%" PRIu64
           ",\"transfers_per_s\":%" PRIu64 ",\"p50_us\":%" PRIu64 ",\"p99_us\":%" PRIu64
           ",\"max_us\":%" PRIu64 ",\"time_capped\":%s,\"raw_batches\":%" PRIu64
           ",\"raw_transfers\":%" PRIu64 ",\"raw_elapsed_us\":%" PRIu64
           ",\"raw_batches_per_s\":%" PRIu64 ",\"raw_transfers_per_s\":%" PRIu64
           ",\"raw_time_capped\":%s,\"raw_direct\":%s,\"ledger_over_raw_milli\":%" PRIu64
           ",\"raw_pc_transfers_per_s\":%" PRIu64 ",\"raw_pc_time_capped\":%s}\n",
           r->name, r->variant, r->accounts, r->batch_size, r->transfers, r->applied, r->rejected,
           r->batches, r->elapsed_ns / 1000, tps, r->latency_ns_p50 / 1000,
           r->latency_ns_p99 / 1000, r->latency_ns_max / 1000, r->time_capped ? "true" : "false",
           r->raw.batches, r->raw.transfers, r->raw.elapsed_ns / 1000,
           rate_per_s(r->raw.batches, r->raw.elapsed_ns), raw_tps,
           r->raw.time_capped ? "true" : "false", r->raw.direct ? "true" : "false",
           bench_scaled_div(tps, 1000, raw_tps),
           rate_per_s(r->raw_buffered.transfers, r->raw_buffered.elapsed_ns),
           r->raw_buffered.time_capped ? "true" : "false");
}

/* Hundredths as "12.34". */
static void print_centi(const char *label, uint64_t centi, const char *unit)
{
    printf("%s%" PRIu64 ".%02" PRIu64 "%s", label, centi / 100, centi % 100, unit);
}

static void print_footprint(const struct footprint *f, bool json)
{
    uint64_t disk = bench_scaled_div(f->disk_bytes, 100, f->transfers);
    const struct rss *b = &f->rss_base, *a = &f->rss_accounts, *l = &f->rss_load;
    uint64_t acc = kb_per_item_centi(a->total_kb, b->total_kb, f->accounts);
    uint64_t acc_anon = kb_per_item_centi(a->anon_kb, b->anon_kb, f->accounts);
    uint64_t xfer = kb_per_item_centi(l->total_kb, a->total_kb, f->transfers_kept);
    uint64_t xfer_anon = kb_per_item_centi(l->anon_kb, a->anon_kb, f->transfers_kept);
    printf("\nfootprint after the load phase: %" PRIu64 " transfers in the ledger (funding"
           " included), %" PRIu64 " bytes in files (journal %" PRIu64 ", blocks allocated %" PRIu64
           ")",
           f->transfers, f->disk_bytes, f->journal_bytes, f->disk_allocated_bytes);
    print_centi(" = ", disk, " bytes/transfer\n");
    printf("resident memory (VmRSS %" PRIu64 " KiB, RssAnon %" PRIu64 " KiB):", l->total_kb,
           l->anon_kb);
    print_centi(" ", acc, " bytes/account");
    print_centi(" (anonymous ", acc_anon, "),");
    print_centi(" ", xfer, " bytes/transfer");
    print_centi(" (anonymous ", xfer_anon, ")\n");
    if (!json) {
        return;
    }
    printf("{\"bench\":\"ledger\",\"phase\":\"footprint\",\"accounts\":%" PRIu64
           ",\"transfers\":%" PRIu64 ",\"disk_bytes\":%" PRIu64 ",\"disk_allocated_bytes\":%" PRIu64
           ",\"journal_bytes\":%" PRIu64 ",\"rss_kb\":%" PRIu64 ",\"rss_anon_kb\":%" PRIu64,
           f->accounts, f->transfers, f->disk_bytes, f->disk_allocated_bytes, f->journal_bytes,
           l->total_kb, l->anon_kb);
    print_centi(",\"disk_bytes_per_transfer\":", disk, "");
    print_centi(",\"rss_bytes_per_account\":", acc, "");
    print_centi(",\"rss_anon_bytes_per_account\":", acc_anon, "");
    print_centi(",\"rss_bytes_per_transfer\":", xfer, "");
    print_centi(",\"rss_anon_bytes_per_transfer\":", xfer_anon, "}\n");
}

/* ---------------------------------------------------------------------------------------
 * Variants
 * --------------------------------------------------------------------------------------- */

/* One phase and its raw limit, then its report. */
static bool phase_and_raw(struct bench *b, const struct options *opt, struct phase_result *r,
                          uint64_t target, uint64_t cap_ns)
{
    if (!run_phase(b, r->batch_size, target, cap_ns, r)) {
        return false;
    }
    if (!raw_run(b, r->batch_size, r->transfers, opt->seconds * NS_PER_S, true, &r->raw) ||
        !raw_run(b, r->batch_size, r->transfers, opt->seconds * NS_PER_S, false,
                 &r->raw_buffered)) {
        return false;
    }
    print_phase_row(r);
    fflush(stdout);
    if (g_phases_count < sizeof g_phases / sizeof g_phases[0]) {
        g_phases[g_phases_count++] = *r;
    }
    return true;
}

static bool measure_footprint(struct bench *b, struct footprint *f)
{
    struct ledger_stats stats;
    ledger_stats_get(b->ledger, &stats);
    f->rss_load = rss_read();
    f->transfers = stats.transfers;
    f->transfers_kept = stats.transfers + stats.failed_ids;
    f->journal_bytes = stats.journal_bytes;
    f->disk_bytes = dir_bytes(b->data_dir);
    f->disk_allocated_bytes = g_walk_allocated_bytes;
    return f->transfers > 0;
}

/* The main variant: --accounts accounts, the load phase, then the smaller batches. */
static bool run_accounts_variant(const struct options *opt, struct bench *b,
                                 struct footprint *footprint /* out */)
{
    if (!bench_open(b, opt, "ledger", opt->accounts)) {
        return false;
    }
    struct footprint f;
    memset(&f, 0, sizeof f);
    f.accounts = opt->accounts + 1;
    f.rss_base = rss_read();
    if (!create_accounts(b)) {
        return false;
    }
    f.rss_accounts = rss_read();
    if (!fund_accounts(b)) {
        return false;
    }
    for (size_t i = 0; i < opt->batch_sizes_count; i++) {
        struct phase_result r = {.variant = "accounts", .name = i == 0 ? "load" : "batch"};
        r.batch_size = opt->batch_sizes[i];
        uint64_t cap_ns = i == 0 ? 0 : opt->seconds * NS_PER_S;
        if (!phase_and_raw(b, opt, &r, opt->transfers, cap_ns)) {
            return false;
        }
        if (i == 0 && !measure_footprint(b, &f)) {
            return false;
        }
    }
    bench_close(b);
    *footprint = f;
    return true;
}

/* The hot variant: a separate ledger of 10 accounts, batches 8189 (bounded by
 * --hot-transfers) and 512 (also capped by time). Every batch hits the same accounts. */
static bool run_hot_variant(const struct options *opt, struct bench *b)
{
    if (!bench_open(b, opt, "hot", HOT_ACCOUNTS) || !create_accounts(b) || !fund_accounts(b)) {
        return false;
    }
    const uint32_t sizes[] = {LEDGER_BATCH_MAX, 512};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct phase_result r = {.variant = "hot", .name = i == 0 ? "load" : "batch"};
        r.batch_size = sizes[i];
        uint64_t cap_ns = i == 0 ? 0 : opt->seconds * NS_PER_S;
        if (!phase_and_raw(b, opt, &r, opt->hot_transfers, cap_ns)) {
            return false;
        }
    }
    bench_close(b);
    return true;
}

int main(int argc, char **argv)
{
    struct options opt;
    if (!parse_options(argc, argv, &opt)) {
        return 2;
    }
    if ((opt.dir[0] == '\0' && !default_dir(&opt)) || !prepare_dir(&opt)) {
        return 1;
    }
    /* Touch the command buffers now so they count in no RSS difference below. */
    memset(g_accounts, 0, sizeof g_accounts);
    memset(g_account_results, 0, sizeof g_account_results);
    memset(g_transfers, 0, sizeof g_transfers);
    memset(g_transfer_results, 0, sizeof g_transfer_results);
    print_header(&opt);
    fflush(stdout);

    struct bench b;
    memset(&b, 0, sizeof b);
    struct footprint f;
    memset(&f, 0, sizeof f);
    bool ok = run_accounts_variant(&opt, &b, &f);
    bench_close(&b);
    if (ok && opt.hot) {
        ok = run_hot_variant(&opt, &b);
        bench_close(&b);
    }
    if (ok) {
        print_footprint(&f, opt.json);
        for (size_t i = 0; opt.json && i < g_phases_count; i++) {
            print_phase_json(&g_phases[i]);
        }
    }
    if (!opt.keep && !remove_tree(opt.dir)) {
        fprintf(stderr, "bench_ledger: cannot remove '%s'\n", opt.dir);
        ok = false;
    }
    return ok ? 0 : 1;
}
