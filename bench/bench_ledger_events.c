/*
 * What an event cursor costs to open (include/tpwallet/ledger.h, "Events"): the cursor
 * replays the journal from its first record in a private state, so opening after the
 * last event of a ledger with N transfers is a replay of N transfers. This writes such
 * a ledger (1,000 accounts, N plain transfers in full batches), then times opening
 * after its last event, and draining every event from the start, with the process's
 * peak resident memory. Public API only. Results go to bench/RESULTS.md.
 *
 * usage: bench_ledger_events --dir DIR [--transfers N] [--reuse]
 * DIR must not exist, unless --reuse: then it holds a ledger this wrote before, and only
 * the reading is measured (so the peak memory is the cursors' alone).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "tpwallet/ledger.h"

#include "banned.h"

#define ACCOUNTS 1000u
#define BATCH LEDGER_BATCH_MAX

static uint64_t peak_rss_mib(void)
{
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    (void)getrusage(RUSAGE_SELF, &usage);
    return (uint64_t)usage.ru_maxrss / 1024u; /* kilobytes on Linux */
}

static int fail(const char *what, enum tpw_err err, const struct tpw_error_detail *detail)
{
    (void)fprintf(stderr, "bench_ledger_events: %s: %s: %s\n", what, tpw_err_name(err),
                  detail->message);
    return 1;
}

static enum tpw_err write_accounts(struct ledger *ledger, uint32_t asset,
                                   struct tpw_error_detail *detail)
{
    static struct ledger_account accounts[ACCOUNTS];
    static enum ledger_account_result results[ACCOUNTS];
    for (uint32_t i = 0; i < ACCOUNTS; i++) {
        accounts[i] = (struct ledger_account){
            .id = (tpw_u128)i + 1, .asset = asset, .kind = LEDGER_KIND_USER};
    }
    return ledger_create_accounts(ledger, accounts, ACCOUNTS, results, detail);
}

static enum tpw_err write_transfers(struct ledger *ledger, uint32_t asset, uint64_t count,
                                    struct tpw_error_detail *detail)
{
    static struct ledger_transfer batch[BATCH];
    static enum ledger_transfer_result results[BATCH];
    uint64_t written = 0;
    while (written < count) {
        size_t n = count - written < BATCH ? (size_t)(count - written) : BATCH;
        for (size_t i = 0; i < n; i++) {
            uint64_t k = written + i;
            batch[i] = (struct ledger_transfer){
                .id = (tpw_u128)k + 1,
                .debit_account_id = (tpw_u128)(k % ACCOUNTS) + 1,
                .credit_account_id = (tpw_u128)((k * 7 + 1) % ACCOUNTS) + 1,
                .amount = 1 + k % 97,
                .asset = asset,
                .code = 1,
            };
            if (batch[i].debit_account_id == batch[i].credit_account_id) {
                batch[i].credit_account_id = batch[i].debit_account_id % ACCOUNTS + 1;
            }
        }
        enum tpw_err err = ledger_create_transfers(ledger, batch, n, results, detail);
        if (err != TPW_OK) {
            return err;
        }
        written += n;
    }
    return TPW_OK;
}

static enum tpw_err write_ledger(const char *dir, uint64_t transfers,
                                 struct tpw_error_detail *detail)
{
    enum tpw_err err = ledger_init(dir, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct ledger_options options = {.data_dir = dir, .clock = tpw_clock_system()};
    struct ledger *ledger = NULL;
    err = ledger_open(&options, &ledger, detail);
    uint32_t asset = 0;
    if (err == TPW_OK) {
        err = ledger_asset_define(ledger, "USD", 2, &asset, detail);
    }
    if (err == TPW_OK) {
        err = write_accounts(ledger, asset, detail);
    }
    if (err == TPW_OK) {
        err = write_transfers(ledger, asset, transfers, detail);
    }
    ledger_close(ledger);
    return err;
}

/* Opens after `after` and reads every event; *events is how many there were. */
static enum tpw_err open_and_drain(const char *dir, const struct ledger_event_id *after,
                                   uint64_t *open_ms, uint64_t *total_ms, uint64_t *events,
                                   struct ledger_event_id *last, struct tpw_error_detail *detail)
{
    uint64_t start_ns = tpw_clock_monotonic_ns();
    struct ledger_events *cursor = NULL;
    enum tpw_err err = ledger_events_open(dir, after, &cursor, detail);
    *open_ms = (tpw_clock_monotonic_ns() - start_ns) / 1000000u;
    *events = 0;
    bool found = err == TPW_OK;
    while (found) {
        struct ledger_event event;
        err = ledger_events_next(cursor, &event, &found, detail);
        found = found && err == TPW_OK;
        if (found) {
            *last = event.id;
            (*events)++;
        }
    }
    *total_ms = (tpw_clock_monotonic_ns() - start_ns) / 1000000u;
    ledger_events_close(cursor);
    return err;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    uint64_t transfers = 1000000;
    bool reuse = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reuse") == 0) {
            reuse = true;
        } else if (i + 1 < argc && strcmp(argv[i], "--dir") == 0) {
            dir = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--transfers") == 0) {
            transfers = strtoull(argv[++i], NULL, 10);
        }
    }
    if (dir == NULL || transfers == 0) {
        (void)fputs("usage: bench_ledger_events --dir DIR [--transfers N]\n", stderr);
        return 64;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = reuse ? TPW_OK : write_ledger(dir, transfers, &detail);
    if (err != TPW_OK) {
        return fail("writing the ledger", err, &detail);
    }
    uint64_t open_ms = 0;
    uint64_t total_ms = 0;
    uint64_t events = 0;
    struct ledger_event_id last = {0, 0};
    err = open_and_drain(dir, NULL, &open_ms, &total_ms, &events, &last, &detail);
    if (err != TPW_OK) {
        return fail("reading every event", err, &detail);
    }
    (void)printf("from the start: %" PRIu64 " events in %" PRIu64 " ms (open %" PRIu64 " ms)\n",
                 events, total_ms, open_ms);
    uint64_t tail_events = 0;
    err = open_and_drain(dir, &last, &open_ms, &total_ms, &tail_events, &last, &detail);
    if (err != TPW_OK || tail_events != 0) {
        return fail("opening after the last event", err, &detail);
    }
    (void)printf("after the last event (%" PRIu64 "-%" PRIu64 "): open %" PRIu64
                 " ms; peak RSS %" PRIu64 " MiB\n",
                 last.sequence, last.index, open_ms, peak_rss_mib());
    return 0;
}
