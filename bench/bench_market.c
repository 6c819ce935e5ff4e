/*
 * bench_market: the market targets of issue 6 — level updates/s and per-message
 * latency replaying the cryptofeed recordings (tests/data/marketdata) through the
 * feeds and books on one thread, in a loop, the books checked against the README's.
 *
 * The recordings are read into memory once. A pass replays each venue's snapshots,
 * then its stream, through market_replay_line(): every pass rebuilds the eight books
 * from their snapshots, so every pass ends at the README's books. A level update is
 * each price level a snapshot loads or an applied diff sets or removes
 * (levels_set_count). One message in `--sample-every` is timed with clock_gettime, so
 * the clock does not dominate. A second phase times every message together with the
 * top-of-book indicators of the book it changed (mid, spread, imbalance, weighted
 * mid): the feed message → book updated and indicators computed latency (the SSE event
 * of the issue needs the HTTP server of issue 4).
 *
 * Usage: bench_market [--data DIR] [--passes N] [--seconds S] [--sample-every K]
 *                     [--quick] [--json] [--books FILE]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "tpwallet/clock.h"
#include "market_recordings.h"

#include "banned.h"

/* Latency samples kept; past it sampling stops (the loop is bounded anyway). */
#define SAMPLES_MAX ((size_t)1 << 21)
/* Books per feed whose changes the indicator phase follows. */
#define TRACKED_BOOKS_MAX 16
/* Passes of the indicator phase (every message timed). */
#define INDICATOR_PASSES 50

struct options {
    const char *data_dir;
    uint64_t passes_max;
    uint64_t seconds_max;
    uint64_t sample_every;
    bool quick;
    bool json;
    const char *books_path;
};

struct bench {
    struct recordings recordings;
    market_feed *feeds[RECORDINGS_VENUES_COUNT];
    uint64_t *samples_ns;
    size_t samples_count;
    uint64_t book_changes[RECORDINGS_VENUES_COUNT][TRACKED_BOOKS_MAX];
};

struct phase {
    uint64_t passes;
    uint64_t elapsed_ns;
    uint64_t messages;
    uint64_t level_updates;
    uint64_t p50_ns;
    uint64_t p99_ns;
    uint64_t max_ns;
    size_t samples_count;
};

static bool parse_options(int argc, char **argv, struct options *options)
{
    *options = (struct options){.data_dir = TPW_MARKET_DATA_DIR,
                                .passes_max = 1000000,
                                .seconds_max = 3,
                                .sample_every = 16};
    for (int index = 1; index < argc; index++) {
        const char *arg = argv[index];
        const char *value = index + 1 < argc ? argv[index + 1] : NULL;
        uint64_t *number = NULL;
        if (strcmp(arg, "--quick") == 0) {
            options->quick = true;
            continue;
        }
        if (strcmp(arg, "--json") == 0) {
            options->json = true;
            continue;
        }
        if (value != NULL && strcmp(arg, "--data") == 0) {
            options->data_dir = value;
        } else if (value != NULL && strcmp(arg, "--books") == 0) {
            options->books_path = value;
        } else if (value != NULL && strcmp(arg, "--passes") == 0) {
            number = &options->passes_max;
        } else if (value != NULL && strcmp(arg, "--seconds") == 0) {
            number = &options->seconds_max;
        } else if (value != NULL && strcmp(arg, "--sample-every") == 0) {
            number = &options->sample_every;
        } else {
            return false;
        }
        if (number != NULL) {
            *number = strtoull(value, NULL, 10);
        }
        index++;
    }
    if (options->quick) {
        options->passes_max = 3;
    }
    return options->passes_max > 0 && options->seconds_max > 0 && options->sample_every > 0;
}

/* Sums of every book's counters over the feeds: level updates and snapshots. */
static uint64_t level_updates(const struct bench *bench)
{
    uint64_t total = 0;
    for (size_t venue = 0; venue < RECORDINGS_VENUES_COUNT; venue++) {
        for (size_t index = 0; index < market_feed_books_count(bench->feeds[venue]); index++) {
            struct market_book_status status;
            market_feed_book_status(bench->feeds[venue], index, &status);
            total += status.levels_set_count;
        }
    }
    return total;
}

static void sample_add(struct bench *bench, uint64_t latency_ns)
{
    if (bench->samples_count < SAMPLES_MAX) {
        bench->samples_ns[bench->samples_count++] = latency_ns;
    }
}

/* One pass over both venues, timing one message in `sample_every`. */
static bool pass_run(struct bench *bench, uint64_t sample_every, uint64_t *message_index)
{
    for (size_t venue = 0; venue < RECORDINGS_VENUES_COUNT; venue++) {
        const struct recording_venue *recording = &bench->recordings.venues[venue];
        for (size_t line = 0; line < recording->lines_count; line++) {
            const struct recording_line *text = &recording->lines[line];
            bool timed = text->is_message && ++*message_index % sample_every == 0;
            uint64_t start_ns = timed ? tpw_clock_monotonic_ns() : 0;
            if (market_replay_line(bench->feeds[venue], text->text, text->text_len, line + 1) !=
                TPW_OK) {
                return false;
            }
            if (timed) {
                sample_add(bench, tpw_clock_monotonic_ns() - start_ns);
            }
        }
    }
    return true;
}

/* The indicators of every book of `venue` changed since the last call. */
static bool indicators_of_changed(struct bench *bench, size_t venue)
{
    market_feed *feed = bench->feeds[venue];
    size_t books_count = market_feed_books_count(feed);
    bool ok = books_count <= TRACKED_BOOKS_MAX;
    for (size_t index = 0; ok && index < books_count; index++) {
        struct market_book_status status;
        market_feed_book_status(feed, index, &status);
        uint64_t changes = status.applied_count + status.snapshots_count;
        if (changes == bench->book_changes[venue][index]) {
            continue;
        }
        bench->book_changes[venue][index] = changes;
        struct market_decimal mid;
        struct market_decimal spread;
        struct market_decimal imbalance;
        struct market_decimal weighted;
        ok = market_book_mid(status.book, &mid) == TPW_OK &&
             market_book_spread_bps(status.book, &spread) == TPW_OK &&
             market_book_imbalance(status.book, &imbalance) == TPW_OK &&
             market_book_weighted_mid(status.book, &weighted) == TPW_OK;
    }
    return ok;
}

/* One pass timing every message: replay, then the changed books' indicators. */
static bool pass_indicators(struct bench *bench)
{
    for (size_t venue = 0; venue < RECORDINGS_VENUES_COUNT; venue++) {
        const struct recording_venue *recording = &bench->recordings.venues[venue];
        for (size_t line = 0; line < recording->lines_count; line++) {
            const struct recording_line *text = &recording->lines[line];
            uint64_t start_ns = tpw_clock_monotonic_ns();
            if (market_replay_line(bench->feeds[venue], text->text, text->text_len, line + 1) !=
                    TPW_OK ||
                !indicators_of_changed(bench, venue)) {
                return false;
            }
            if (text->is_message) {
                sample_add(bench, tpw_clock_monotonic_ns() - start_ns);
            }
        }
    }
    return true;
}

static void phase_percentiles(struct bench *bench, struct phase *phase)
{
    phase->samples_count = bench->samples_count;
    if (bench->samples_count == 0) {
        return;
    }
    qsort(bench->samples_ns, bench->samples_count, sizeof(uint64_t), bench_compare_u64);
    phase->p50_ns = bench->samples_ns[bench->samples_count / 2];
    phase->p99_ns = bench->samples_ns[bench->samples_count * 99 / 100];
    phase->max_ns = bench->samples_ns[bench->samples_count - 1];
}

static uint64_t messages_per_pass(const struct bench *bench)
{
    uint64_t messages = 0;
    for (size_t venue = 0; venue < RECORDINGS_VENUES_COUNT; venue++) {
        messages += bench->recordings.venues[venue].messages_count;
    }
    return messages;
}

/* Passes until passes_max or seconds_max; indicators: the every-message phase. */
static bool phase_run(struct bench *bench, const struct options *options, bool indicators,
                      struct phase *phase)
{
    memset(phase, 0, sizeof(*phase));
    bench->samples_count = 0;
    uint64_t passes_max = indicators ? INDICATOR_PASSES : options->passes_max;
    passes_max =
        options->quick || options->passes_max < passes_max ? options->passes_max : passes_max;
    uint64_t levels_before = level_updates(bench);
    uint64_t message_index = 0;
    uint64_t start_ns = tpw_clock_monotonic_ns();
    bool ok = true;
    while (ok && phase->passes < passes_max &&
           phase->elapsed_ns < options->seconds_max * 1000000000u) {
        ok = indicators ? pass_indicators(bench)
                        : pass_run(bench, options->sample_every, &message_index);
        phase->passes++;
        phase->elapsed_ns = tpw_clock_monotonic_ns() - start_ns;
    }
    phase->messages = phase->passes * messages_per_pass(bench);
    phase->level_updates = level_updates(bench) - levels_before;
    phase_percentiles(bench, phase);
    return ok;
}

static void report_row(const char *name, const struct phase *phase)
{
    printf("| %s | %" PRIu64 " | %" PRIu64 ".%03" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64
           " | %" PRIu64 " | %zu | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " |\n",
           name, phase->passes, phase->elapsed_ns / 1000000000u,
           phase->elapsed_ns / 1000000u % 1000u, phase->messages, phase->level_updates,
           bench_scaled_div(phase->messages, 1000000000u, phase->elapsed_ns),
           bench_scaled_div(phase->level_updates, 1000000000u, phase->elapsed_ns),
           phase->samples_count, phase->p50_ns, phase->p99_ns, phase->max_ns);
}

static void report(const struct options *options, const struct phase *replay,
                   const struct phase *indicators, bool books_equal)
{
    char date[BENCH_DATE_SIZE];
    bench_date_utc(date);
    printf("bench_market: %s | %s | one thread | recordings %s | sample every %" PRIu64
           " messages\n",
           date, bench_machine(), options->data_dir, options->sample_every);
    printf("| phase | passes | s | messages | level updates | messages/s | level updates/s |"
           " samples | p50 ns | p99 ns | max ns |\n"
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    report_row("replay", replay);
    report_row("replay + indicators", indicators);
    printf("final books equal to the README's: %s\n", books_equal ? "yes" : "NO");
    if (options->json) {
        printf("{\"bench\":\"market\",\"passes\":%" PRIu64 ",\"elapsed_ns\":%" PRIu64
               ",\"messages\":%" PRIu64 ",\"level_updates\":%" PRIu64 ",\"messages_per_s\":%" PRIu64
               ",\"level_updates_per_s\":%" PRIu64 ",\"p50_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64
               ",\"max_ns\":%" PRIu64 ",\"indicators_p50_ns\":%" PRIu64
               ",\"indicators_p99_ns\":%" PRIu64 ",\"indicators_max_ns\":%" PRIu64
               ",\"books_equal\":%s}\n",
               replay->passes, replay->elapsed_ns, replay->messages, replay->level_updates,
               bench_scaled_div(replay->messages, 1000000000u, replay->elapsed_ns),
               bench_scaled_div(replay->level_updates, 1000000000u, replay->elapsed_ns),
               replay->p50_ns, replay->p99_ns, replay->max_ns, indicators->p50_ns,
               indicators->p99_ns, indicators->max_ns, books_equal ? "true" : "false");
    }
}

static bool bench_open(struct bench *bench, const struct options *options)
{
    memset(bench, 0, sizeof(*bench));
    if (!recordings_load(&bench->recordings, options->data_dir)) {
        return false;
    }
    bench->samples_ns = calloc(SAMPLES_MAX, sizeof(uint64_t));
    bool ok = bench->samples_ns != NULL;
    for (size_t venue = 0; ok && venue < RECORDINGS_VENUES_COUNT; venue++) {
        ok = market_feed_create(bench->recordings.venues[venue].venue, &bench->feeds[venue],
                                NULL) == TPW_OK;
    }
    /* One untimed pass creates the books (their only allocations). */
    uint64_t message_index = 0;
    return ok && pass_run(bench, UINT64_MAX, &message_index);
}

static void bench_close(struct bench *bench)
{
    for (size_t venue = 0; venue < RECORDINGS_VENUES_COUNT; venue++) {
        market_feed_destroy(bench->feeds[venue]);
    }
    free(bench->samples_ns);
    recordings_free(&bench->recordings);
}

static bool books_write(const struct bench *bench, const char *path)
{
    FILE *file = fopen(path, "w");
    bool ok = file != NULL;
    for (size_t venue = 0; ok && venue < RECORDINGS_VENUES_COUNT; venue++) {
        ok = recordings_books_dump(bench->feeds[venue], file);
    }
    ok = file != NULL && fclose(file) == 0 && ok;
    if (!ok) {
        (void)fprintf(stderr, "bench_market: cannot write '%s'\n", path);
    }
    return ok;
}

int main(int argc, char **argv)
{
    struct options options;
    if (!parse_options(argc, argv, &options)) {
        (void)fprintf(stderr, "usage: bench_market [--data DIR] [--passes N] [--seconds S]"
                              " [--sample-every K]\n"
                              "                    [--quick] [--json] [--books FILE]\n");
        return 2;
    }
    struct bench bench;
    struct phase replay;
    struct phase indicators;
    bool ok = bench_open(&bench, &options) && phase_run(&bench, &options, false, &replay) &&
              phase_run(&bench, &options, true, &indicators);
    bool books_equal = ok;
    for (size_t venue = 0; ok && venue < RECORDINGS_VENUES_COUNT; venue++) {
        books_equal = recordings_books_check(bench.feeds[venue]) && books_equal;
    }
    if (ok) {
        report(&options, &replay, &indicators, books_equal);
    } else {
        (void)fprintf(stderr, "bench_market: the replay failed\n");
    }
    ok = ok && (options.books_path == NULL || books_write(&bench, options.books_path));
    bench_close(&bench);
    return ok && books_equal ? 0 : 1;
}
