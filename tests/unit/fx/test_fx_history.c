/*
 * The rate history: dates, adding and merging (identical repeats fold, different ones
 * conflict and change nothing), rates as of a date with the staleness rule, cross
 * rates on the real ECB history against values computed by hand, the stored file
 * (round trip, refusal of damaged files) and the 16:00 Frankfurt time of ECB quotes.
 */
#include "tpw_test.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecb_parts.h"
#include "tpwallet/fx.h"

static int32_t day_of(const char *text)
{
    int32_t date_days = 0;
    assert_err(fx_date_parse(text, strlen(text), &date_days, NULL), TPW_OK);
    return date_days;
}

static struct money_rate rate_of(const char *text)
{
    struct money_rate rate = {0};
    assert_err(money_rate_parse(text, strlen(text), &rate, NULL), TPW_OK);
    return rate;
}

static void test_dates(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int32_t days;
    } known[] = {{"1970-01-01", 0},     {"1999-01-04", 10595}, {"2000-02-29", 11016},
                 {"2025-05-09", 20217}, {"2026-04-13", 20556}, {"2500-12-31", FX_DAYS_MAX}};
    for (size_t index = 0; index < sizeof(known) / sizeof(known[0]); index++) {
        assert_int_equal(day_of(known[index].text), known[index].days);
        char text[FX_DATE_TEXT_SIZE];
        fx_date_format(known[index].days, text);
        assert_string_equal(text, known[index].text);
    }
    /* Every day of the range formats and parses back to itself. */
    for (int32_t days = FX_DAYS_MIN; days <= FX_DAYS_MAX; days++) {
        char text[FX_DATE_TEXT_SIZE];
        fx_date_format(days, text);
        int32_t back = -1;
        assert_err(fx_date_parse(text, strlen(text), &back, NULL), TPW_OK);
        assert_int_equal(back, days);
    }
    static const char *const bad[] = {
        "2026-02-29", "1900-02-29", "1969-12-31", "2501-01-01", "2026-4-13", "2026/04/13",
        "2026-04-1x", "2026-13-01", "2026-00-10", "2026-04-00", ""};
    for (size_t index = 0; index < sizeof(bad) / sizeof(bad[0]); index++) {
        int32_t days = 0;
        struct tpw_error_detail detail;
        assert_err(fx_date_parse(bad[index], strlen(bad[index]), &days, &detail),
                   TPW_ERR_FX_DATE_INVALID);
    }
    int32_t days = 0;
    assert_true(fx__date_parse_long("13 April 2026", 13, &days));
    assert_int_equal(days, 20556);
    assert_true(fx__date_parse_long("1 May 2026", 10, &days));
    assert_false(fx__date_parse_long("31 April 2026", 13, &days));
    assert_false(fx__date_parse_long("13 Avril 2026", 13, &days));
    assert_false(fx__date_parse_long("13", 2, &days));
    assert_int_equal(fx_date_from_time_ns(1776088800000000000ull), 20556);
    assert_int_equal(fx_date_from_time_ns(UINT64_MAX), FX_DAYS_MAX);
}

static void test_add_and_conflict(void **state)
{
    (void)state;
    fx_history *history = fx_history_create();
    assert_non_null(history);
    struct tpw_error_detail detail;
    int32_t day = day_of("2026-04-13");
    assert_err(fx_history_add(history, "USD", day, rate_of("1.1684"), &detail), TPW_OK);
    assert_err(fx_history_add(history, "USD", day - 3, rate_of("1.1711"), &detail), TPW_OK);
    /* The same value again merges silently; another value is refused, nothing changed. */
    assert_err(fx_history_add(history, "USD", day, rate_of("1.16840"), &detail), TPW_OK);
    assert_err(fx_history_add(history, "USD", day, rate_of("1.1685"), &detail),
               TPW_ERR_FX_HISTORY_CONFLICT);
    assert_string_equal(detail.message, "USD on 2026-04-13 is both 1.1684 and 1.1685");
    assert_err(fx_history_add(history, "EUR", day, rate_of("1"), &detail),
               TPW_ERR_FX_CURRENCY_INVALID);
    assert_err(fx_history_add(history, "US", day, rate_of("1"), &detail),
               TPW_ERR_FX_CURRENCY_INVALID);
    assert_err(fx_history_add(history, "JPY", day, rate_of("0"), &detail), TPW_ERR_FX_RATE_ZERO);
    assert_err(fx_history_add(history, "JPY", -1, rate_of("1"), &detail), TPW_ERR_FX_DATE_INVALID);
    assert_err(fx_history_add(history, "JPY", FX_DAYS_MAX + 1, rate_of("1"), &detail),
               TPW_ERR_FX_DATE_INVALID);
    struct fx_history_summary summary;
    assert_err(fx_history_summarize(history, &summary, NULL), TPW_OK);
    assert_int_equal(summary.observations_count, 2);
    assert_int_equal(summary.currencies_count, 1);
    fx_history_destroy(history);
    fx_history_destroy(NULL);
}

/* The bounds: currencies, and days of one currency. */
static void test_history_full(void **state)
{
    (void)state;
    fx_history *history = fx_history_create();
    struct tpw_error_detail detail;
    for (unsigned index = 0; index < FX_HISTORY_CURRENCIES_MAX; index++) {
        char code[4] = {(char)('A' + index / 26 % 26), (char)('A' + index % 26), 'X', '\0'};
        assert_err(fx__history_append(history, code, 1, rate_of("1"), &detail), TPW_OK);
    }
    assert_err(fx__history_append(history, "ZZZ", 1, rate_of("1"), &detail),
               TPW_ERR_FX_HISTORY_FULL);
    fx_history_destroy(history);
    history = fx_history_create();
    for (int32_t day = 0; day < FX_HISTORY_DAYS_MAX; day++) {
        assert_err(fx__history_append(history, "USD", day, rate_of("1"), &detail), TPW_OK);
    }
    assert_err(fx__history_append(history, "USD", FX_HISTORY_DAYS_MAX, rate_of("1"), &detail),
               TPW_ERR_FX_HISTORY_FULL);
    fx_history_destroy(history);
    struct fx_ecb_day day;
    memset(&day, 0, sizeof(day));
    for (unsigned index = 0; index < FX_HISTORY_CURRENCIES_MAX; index++) {
        char code[4] = {(char)('A' + index / 26 % 26), (char)('A' + index % 26), 'X', '\0'};
        assert_err(fx__day_add(&day, code, rate_of("1"), &detail), TPW_OK);
    }
    assert_err(fx__day_add(&day, "ZZZ", rate_of("1"), &detail), TPW_ERR_FX_HISTORY_FULL);
}

static fx_history *ecb_history(void)
{
    fx_history *history = NULL;
    assert_err(fx_ecb_load_file(TPW_FX_ZIP, &history, NULL), TPW_OK);
    return history;
}

struct cross_case {
    const char *from;
    const char *to;
    const char *date;
    enum tpw_err expected;
    const char *as_of;
    tpw_u128 mid_e18;
};

#define E18(high, low) ((tpw_u128)(high)*1000000000000000000ull + (low))

/*
 * Expected values: Python's fractions.Fraction on the rows of eurofxref-hist.csv,
 * mid = round_half_even(Fraction(TO) / Fraction(FROM) × 10^18), e.g.
 * USD→JPY 2026-04-13 = 186.75 / 1.1684 = 159.833960972269770626 4...
 */
static const struct cross_case cross_cases[] = {
    /* 186.75 / 1.1684 */
    {"USD", "JPY", "2026-04-13", TPW_OK, "2026-04-13", E18(159, 833960972269770626u)},
    /* 1.1684 / 186.75 = 0.006256492637215529 (…4 rounds down) */
    {"JPY", "USD", "2026-04-13", TPW_OK, "2026-04-13", E18(0, 6256492637215529u)},
    /* 0.9242 / 0.87058 */
    {"GBP", "CHF", "2026-04-13", TPW_OK, "2026-04-13", E18(1, 61591123159273128u)},
    /* Saturday 2026-04-11 uses Friday's 186.43 / 1.1711 */
    {"USD", "JPY", "2026-04-11", TPW_OK, "2026-04-10", E18(159, 192212449833489881u)},
    /* Easter Monday 2026-04-06 uses Thursday 2026-04-02: 183.94 / 1.1525 */
    {"USD", "JPY", "2026-04-06", TPW_OK, "2026-04-02", E18(159, 600867678958785249u)},
    /* EUR is 1: 1.1684 / 1 and 1 / 1.1684 */
    {"EUR", "USD", "2026-04-13", TPW_OK, "2026-04-13", E18(1, 168400000000000000u)},
    {"USD", "EUR", "2026-04-13", TPW_OK, "2026-04-13", E18(0, 855871276959945224u)},
    /* ROL's last day: 1.2092 / 36030 */
    {"ROL", "USD", "2005-06-30", TPW_OK, "2005-06-30", E18(0, 33560921454344u)},
    /* RON's first day: 1.2087 / 3.603 */
    {"RON", "USD", "2005-07-01", TPW_OK, "2005-07-01", E18(0, 335470441298917569u)},
    {"ROL", "USD", "2005-07-11", TPW_ERR_FX_RATE_STALE, NULL, 0},
    {"RON", "USD", "2005-06-30", TPW_ERR_FX_RATE_UNAVAILABLE, NULL, 0},
    /* BGN's last day 1.175 / 1.9558; five days later still fresh, the older date is
     * as_of: 1.1664 / 1.9558; nine days later stale. */
    {"BGN", "USD", "2025-12-31", TPW_OK, "2025-12-31", E18(0, 600777175580325187u)},
    {"BGN", "USD", "2026-01-05", TPW_OK, "2025-12-31", E18(0, 596379997954801104u)},
    {"BGN", "USD", "2026-01-09", TPW_ERR_FX_RATE_STALE, NULL, 0},
    {"USD", "BGN", "2026-04-13", TPW_ERR_FX_RATE_STALE, NULL, 0},
    /* ISK N/A 2008-12-10 .. 2018-01-31; quoted again 2018-02-01: 1.2459 / 125.01 */
    {"ISK", "USD", "2010-06-15", TPW_ERR_FX_RATE_STALE, NULL, 0},
    {"ISK", "USD", "2018-02-01", TPW_OK, "2018-02-01", E18(0, 9966402687784977u)},
    /* CYP ended 2007-12-31 */
    {"CYP", "USD", "2008-03-03", TPW_ERR_FX_RATE_STALE, NULL, 0},
    /* RUB: 1.1162 / 117.201 on its last day, refused after */
    {"RUB", "USD", "2022-03-01", TPW_OK, "2022-03-01", E18(0, 9523809523809524u)},
    {"RUB", "USD", "2022-03-10", TPW_ERR_FX_RATE_STALE, NULL, 0},
    /* The first day: 0.7111 / 1.1789 */
    {"USD", "GBP", "1999-01-04", TPW_OK, "1999-01-04", E18(0, 603189413860378319u)},
    {"USD", "GBP", "1999-01-01", TPW_ERR_FX_RATE_UNAVAILABLE, NULL, 0},
    /* 20082.05 / 186.75 and TRL's last day 1.3621 / 1836200 */
    {"JPY", "IDR", "2026-04-13", TPW_OK, "2026-04-13", E18(107, 534404283801874163u)},
    {"TRL", "USD", "2004-12-31", TPW_OK, "2004-12-31", E18(0, 741803725084u)},
    {"XXX", "USD", "2026-04-13", TPW_ERR_FX_RATE_UNAVAILABLE, NULL, 0},
    {"usd", "JPY", "2026-04-13", TPW_ERR_FX_CURRENCY_INVALID, NULL, 0},
    {"USD", "JPYY", "2026-04-13", TPW_ERR_FX_CURRENCY_INVALID, NULL, 0},
};

static void test_cross_rates(void **state)
{
    (void)state;
    fx_history *history = ecb_history();
    for (size_t index = 0; index < sizeof(cross_cases) / sizeof(cross_cases[0]); index++) {
        const struct cross_case *c = &cross_cases[index];
        struct fx_cross_rate cross;
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        enum tpw_err err = fx_history_cross(history, c->from, c->to, day_of(c->date),
                                            FX_STALE_DAYS_DEFAULT, &cross, &detail);
        if (err != c->expected) {
            print_error("case %zu %s→%s %s: %s\n", index, c->from, c->to, c->date, detail.message);
        }
        assert_err(err, c->expected);
        if (err == TPW_OK) {
            assert_u128_equal(cross.mid.value_e18, c->mid_e18);
            assert_int_equal(cross.as_of_days, day_of(c->as_of));
        }
    }
    fx_history_destroy(history);
}

static void test_staleness_limit(void **state)
{
    (void)state;
    fx_history *history = ecb_history();
    struct fx_observation observation;
    struct tpw_error_detail detail;
    /* BGN on 2026-01-07 is 7 days old: within the default, refused at 6. */
    assert_err(
        fx_history_rate_as_of(history, "BGN", day_of("2026-01-07"), 7, &observation, &detail),
        TPW_OK);
    assert_err(
        fx_history_rate_as_of(history, "BGN", day_of("2026-01-07"), 6, &observation, &detail),
        TPW_ERR_FX_RATE_STALE);
    assert_non_null(strstr(detail.message, "2025-12-31, 7 days older (limit 6)"));
    /* A limit as wide as the range accepts CYP in 2008. */
    assert_err(
        fx_history_rate_as_of(history, "CYP", day_of("2008-03-03"), 3650, &observation, &detail),
        TPW_OK);
    assert_int_equal(observation.date_days, day_of("2007-12-31"));
    fx_history_destroy(history);
}

static void test_cross_latest(void **state)
{
    (void)state;
    fx_history *history = ecb_history();
    struct fx_cross_rate cross;
    struct tpw_error_detail detail;
    assert_err(fx_history_cross_latest(history, "USD", "JPY", &cross, &detail), TPW_OK);
    assert_int_equal(cross.as_of_days, day_of("2026-04-13"));
    assert_u128_equal(cross.mid.value_e18, E18(159, 833960972269770626u));
    /* BGN's last day is both legs' date. 1.175 / 1.9558 */
    assert_err(fx_history_cross_latest(history, "BGN", "USD", &cross, &detail), TPW_OK);
    assert_int_equal(cross.as_of_days, day_of("2025-12-31"));
    assert_u128_equal(cross.mid.value_e18, E18(0, 600777175580325187u));
    assert_err(fx_history_cross_latest(history, "EUR", "USD", &cross, &detail), TPW_OK);
    assert_u128_equal(cross.mid.value_e18, E18(1, 168400000000000000u));
    assert_err(fx_history_cross_latest(history, "EUR", "EUR", &cross, &detail), TPW_OK);
    assert_int_equal(cross.as_of_days, day_of("2026-04-13"));
    assert_u128_equal(cross.mid.value_e18, E18(1, 0));
    assert_err(fx_history_cross_latest(history, "XXX", "USD", &cross, &detail),
               TPW_ERR_FX_RATE_UNAVAILABLE);
    assert_err(fx_history_cross_latest(history, "USD", "usd", &cross, &detail),
               TPW_ERR_FX_CURRENCY_INVALID);
    fx_history_destroy(history);
    /* An empty history has no newest date, not even for the euro. */
    history = fx_history_create();
    assert_err(fx_history_cross_latest(history, "EUR", "EUR", &cross, &detail),
               TPW_ERR_FX_RATE_UNAVAILABLE);
    fx_history_destroy(history);
}

/* A quotient below 10^-18, and one above 2^128 / 10^18. */
static void test_cross_out_of_range(void **state)
{
    (void)state;
    fx_history *history = fx_history_create();
    int32_t day = day_of("2026-04-13");
    assert_err(fx_history_add(history, "AAA", day, rate_of("10"), NULL), TPW_OK);
    assert_err(fx_history_add(history, "BBB", day, rate_of("0.000000000000000001"), NULL), TPW_OK);
    assert_err(fx_history_add(history, "CCC", day, rate_of("300000000000000000000"), NULL), TPW_OK);
    struct fx_cross_rate cross;
    struct tpw_error_detail detail;
    assert_err(fx_history_cross(history, "AAA", "BBB", day, 7, &cross, &detail),
               TPW_ERR_FX_RATE_ZERO);
    assert_err(fx_history_cross(history, "BBB", "CCC", day, 7, &cross, &detail), TPW_ERR_OVERFLOW);
    fx_history_destroy(history);
}

static char scratch[64];

static int make_scratch(void **state)
{
    (void)state;
    (void)snprintf(scratch, sizeof(scratch), "/tmp/tpw-fx-store-XXXXXX");
    return mkdtemp(scratch) == NULL ? -1 : 0;
}

static int remove_scratch(void **state)
{
    (void)state;
    return tpw_test_tree_remove(scratch) ? 0 : -1;
}

static void write_text(const char *name, const char *text)
{
    char path[128];
    (void)snprintf(path, sizeof(path), "%s/%s", scratch, name);
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fputs(text, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
}

static void test_store_round_trip(void **state)
{
    (void)state;
    fx_history *empty = NULL;
    assert_err(fx_history_load(scratch, &empty, NULL), TPW_OK);
    assert_int_equal(fx_history_currencies_count(empty), 0);
    fx_history *history = ecb_history();
    assert_err(fx_history_save(history, scratch, NULL), TPW_OK);
    fx_history *back = NULL;
    assert_err(fx_history_load(scratch, &back, NULL), TPW_OK);
    struct fx_history_summary saved;
    struct fx_history_summary loaded;
    assert_err(fx_history_summarize(history, &saved, NULL), TPW_OK);
    assert_err(fx_history_summarize(back, &loaded, NULL), TPW_OK);
    assert_memory_equal(&saved, &loaded, sizeof(saved));
    /* Equal histories: merging one into the other changes nothing and conflicts nowhere. */
    assert_err(fx_history_merge(back, history, NULL), TPW_OK);
    assert_err(fx_history_summarize(back, &loaded, NULL), TPW_OK);
    assert_int_equal(loaded.observations_count, saved.observations_count);
    char path[128];
    (void)snprintf(path, sizeof(path), "%s/history.csv.tmp", scratch);
    assert_int_not_equal(access(path, F_OK), 0);
    /* An empty history saves as the header alone and loads back empty. */
    assert_err(fx_history_save(empty, scratch, NULL), TPW_OK);
    fx_history_destroy(back);
    assert_err(fx_history_load(scratch, &back, NULL), TPW_OK);
    assert_int_equal(fx_history_currencies_count(back), 0);
    fx_history_destroy(back);
    fx_history_destroy(history);
    fx_history_destroy(empty);
}

static const struct {
    const char *text;
    const char *message_has;
} corrupt_files[] = {
    {"", "line 1: no header"},
    {"tpwallet fx history 2\n", "line 1: not tpwallet fx history 1"},
    {"tpwallet fx history 1\ncurrency,date,rate\n", "line 2"},
    {"tpwallet fx history 1\ncurrency,date,per_eur\nUSD,2026-04-13,1.1684", "line 3: no newline"},
    {"tpwallet fx history 1\ncurrency,date,per_eur\nUSD,2026-04-13,x\n", "line 3: not CUR"},
    {"tpwallet fx history 1\ncurrency,date,per_eur\nUSD,2026-04-31,1\n", "line 3: not CUR"},
    {"tpwallet fx history 1\ncurrency,date,per_eur\nUSD,2026-04-13,0\n", "line 3: not CUR"},
    {"tpwallet fx history 1\ncurrency,date,per_eur\nUSD;2026-04-13,1\n", "line 3: not CUR"},
    {"tpwallet fx history 1\ncurrency,date,per_eur\nUSD,2026-04-13,1\nUSD,2026-04-13,1\n",
     "line 4: out of (currency, date) order"},
    {"tpwallet fx history 1\ncurrency,date,per_eur\nUSD,2026-04-13,1\nJPY,2026-04-14,1\n",
     "line 4: out of"},
};

static void test_store_corrupt(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(corrupt_files) / sizeof(corrupt_files[0]); index++) {
        write_text("history.csv", corrupt_files[index].text);
        fx_history *history = NULL;
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        assert_err(fx_history_load(scratch, &history, &detail), TPW_ERR_FX_HISTORY_CORRUPT);
        if (strstr(detail.message, corrupt_files[index].message_has) == NULL) {
            print_error("case %zu: %s\n", index, detail.message);
        }
        assert_non_null(strstr(detail.message, corrupt_files[index].message_has));
        assert_null(history);
    }
    fx_history *history = fx_history_create();
    struct tpw_error_detail detail;
    /* A directory that does not exist: nothing to read, nowhere to write. */
    assert_err(fx_history_save(history, "/nonexistent/tpw-fx", &detail), TPW_ERR_IO);
    char long_dir[PATH_MAX + 8];
    memset(long_dir, 'a', sizeof(long_dir) - 1);
    long_dir[sizeof(long_dir) - 1] = '\0';
    assert_err(fx_history_save(history, long_dir, &detail), TPW_ERR_INVALID_ARGUMENT);
    fx_history *loaded = NULL;
    assert_err(fx_history_load(long_dir, &loaded, &detail), TPW_ERR_INVALID_ARGUMENT);
    /* history.csv is a directory: the rename over it fails, the old entry stays. */
    char path[128];
    (void)snprintf(path, sizeof(path), "%s/history.csv", scratch);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_err(fx_history_save(history, scratch, &detail), TPW_ERR_IO);
    assert_err(fx_history_load(scratch, &loaded, &detail), TPW_ERR_IO);
    assert_int_equal(rmdir(path), 0);
    fx_history_destroy(history);
}

/* One day of `count` made-up currencies (AAA, AAB, …) at rate 1 + k. */
static fx_history *made_up_day(int32_t date_days, size_t count)
{
    fx_history *history = fx_history_create();
    assert_non_null(history);
    for (size_t k = 0; k < count; k++) {
        char code[4] = {'A', 'A', (char)('A' + k), '\0'};
        struct money_rate rate = {.value_e18 = (tpw_u128)(k + 1) * UINT64_C(1000000000000000000)};
        assert_err(fx_history_add(history, code, date_days, rate, NULL), TPW_OK);
    }
    return history;
}

struct merger {
    int32_t first_day;
    enum tpw_err err;
};

static void *merge_days(void *arg)
{
    struct merger *merger = arg;
    merger->err = TPW_OK;
    for (int32_t d = 0; d < 20 && merger->err == TPW_OK; d++) {
        fx_history *day = made_up_day(merger->first_day + d, 3);
        merger->err = fx_history_store_merge(scratch, day, NULL, NULL);
        fx_history_destroy(day);
    }
    return NULL;
}

/* Two writers merging different days at once (the server's poller and `fx load-ecb`):
 * every day of both is kept. A merge that adds nothing leaves the file as it was; a
 * conflict leaves it whole. */
static void test_store_merge(void **state)
{
    (void)state;
    struct merger mergers[2] = {{.first_day = 20000}, {.first_day = 20100}};
    pthread_t threads[2];
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, merge_days, &mergers[i]), 0);
    }
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_err(mergers[i].err, TPW_OK);
    }
    fx_history *stored = NULL;
    struct fx_history_summary summary;
    assert_err(fx_history_load(scratch, &stored, NULL), TPW_OK);
    assert_err(fx_history_summarize(stored, &summary, NULL), TPW_OK);
    assert_int_equal(summary.days_count, 40);
    assert_int_equal(summary.observations_count, 120);
    fx_history_destroy(stored);

    char path[128];
    (void)snprintf(path, sizeof(path), "%s/history.csv", scratch);
    struct stat before;
    assert_int_equal(stat(path, &before), 0);
    fx_history *again = made_up_day(20000, 2);
    struct fx_history_summary after;
    assert_err(fx_history_store_merge(scratch, again, &after, NULL), TPW_OK);
    assert_int_equal(after.observations_count, 120);
    struct stat unchanged;
    assert_int_equal(stat(path, &unchanged), 0);
    assert_int_equal(unchanged.st_ino, before.st_ino); /* not replaced */
    fx_history_destroy(again);

    fx_history *conflict = fx_history_create();
    struct money_rate other = {.value_e18 = 7 * (tpw_u128)UINT64_C(1000000000000000000)};
    assert_err(fx_history_add(conflict, "AAA", 20000, other, NULL), TPW_OK);
    struct tpw_error_detail detail;
    assert_err(fx_history_store_merge(scratch, conflict, NULL, &detail),
               TPW_ERR_FX_HISTORY_CONFLICT);
    assert_int_equal(stat(path, &unchanged), 0);
    assert_int_equal(unchanged.st_ino, before.st_ino);
    assert_err(fx_history_store_merge("/nonexistent/tpw-fx", conflict, NULL, &detail), TPW_ERR_IO);
    fx_history_destroy(conflict);
}

static void test_fixing_time(void **state)
{
    (void)state;
    /* Last Sundays 2026: 29 March and 25 October. Before, on and after each switch. */
    assert_int_equal(fx_ecb_fixing_time_ns(day_of("2026-03-28")), 1774710000000000000ull);
    assert_int_equal(fx_ecb_fixing_time_ns(day_of("2026-03-29")), 1774792800000000000ull);
    assert_int_equal(fx_ecb_fixing_time_ns(day_of("2026-04-13")), 1776088800000000000ull);
    assert_int_equal(fx_ecb_fixing_time_ns(day_of("2026-10-24")), 1792850400000000000ull);
    assert_int_equal(fx_ecb_fixing_time_ns(day_of("2026-10-25")), 1792940400000000000ull);
    /* 1999-01-04 in winter: 15:00 UTC = 10595 days + 54000 s. */
    assert_int_equal(fx_ecb_fixing_time_ns(10595),
                     (10595ull * 86400ull + 54000ull) * 1000000000ull);
    assert_true(fx_ecb_fixing_time_ns(FX_DAYS_MAX) > fx_ecb_fixing_time_ns(FX_DAYS_MAX - 1));
}

static void test_day_quotes(void **state)
{
    (void)state;
    struct fx_ecb_day day;
    memset(&day, 0, sizeof(day));
    day.date_days = day_of("2026-04-13");
    assert_err(fx__day_add(&day, "USD", rate_of("1.1684"), NULL), TPW_OK);
    assert_err(fx__day_add(&day, "JPY", rate_of("186.75"), NULL), TPW_OK);
    struct tpw_error_detail detail;
    assert_err(fx__day_add(&day, "USD", rate_of("1.1684"), &detail), TPW_ERR_FX_CURRENCY_DUPLICATE);
    struct fx_quote quotes[2];
    size_t count = 0;
    assert_err(fx_ecb_day_quotes(&day, quotes, 2, &count, &detail), TPW_OK);
    assert_int_equal(count, 2);
    assert_string_equal(quotes[1].base, "EUR");
    assert_string_equal(quotes[1].quote, "JPY");
    assert_u128_equal(quotes[1].bid.value_e18, rate_of("186.75").value_e18);
    assert_u128_equal(quotes[1].ask.value_e18, quotes[1].bid.value_e18);
    assert_int_equal(quotes[0].time_ns, 1776088800000000000ull);
    assert_err(fx_ecb_day_quotes(&day, quotes, 1, &count, &detail), TPW_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_add_and_conflict),
        cmocka_unit_test(test_history_full),
        cmocka_unit_test(test_cross_rates),
        cmocka_unit_test(test_staleness_limit),
        cmocka_unit_test(test_cross_latest),
        cmocka_unit_test(test_cross_out_of_range),
        cmocka_unit_test_setup_teardown(test_store_round_trip, make_scratch, remove_scratch),
        cmocka_unit_test_setup_teardown(test_store_corrupt, make_scratch, remove_scratch),
        cmocka_unit_test_setup_teardown(test_store_merge, make_scratch, remove_scratch),
        cmocka_unit_test(test_fixing_time),
        cmocka_unit_test(test_day_quotes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
