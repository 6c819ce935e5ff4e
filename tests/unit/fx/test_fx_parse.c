/*
 * The ECB readers on the real files copied into tests/data/fx and data/fx (the daily
 * and multi-day XML, the daily CSV, eurofxref-hist.zip), checked against each other
 * (the daily XML is the hist row of 2025-05-09, the excerpt's 896 values are the CSV's),
 * and every refusal: each malformed input gives its own error code, never a crash.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "ecb_parts.h"
#include "tpwallet/fx.h"

static char *slurp(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    char *data = malloc(4u * 1024u * 1024u);
    assert_non_null(data);
    *length = fread(data, 1, 4u * 1024u * 1024u, file);
    assert_int_equal(fclose(file), 0);
    return data;
}

static fx_history *load(const char *path)
{
    fx_history *history = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = fx_ecb_load_file(path, &history, &detail);
    if (err != TPW_OK) {
        print_error("%s: %s\n", path, detail.message);
    }
    assert_err(err, TPW_OK);
    return history;
}

static int32_t day_of(const char *text)
{
    int32_t date_days = 0;
    assert_err(fx_date_parse(text, strlen(text), &date_days, NULL), TPW_OK);
    return date_days;
}

/* The rate of `currency` on exactly `date`, as text. */
static void assert_rate(const fx_history *history, const char *currency, const char *date,
                        const char *expected)
{
    struct fx_observation observation;
    assert_err(fx_history_rate_as_of(history, currency, day_of(date), 0, &observation, NULL),
               TPW_OK);
    char text[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_rate_format(observation.per_eur, text, sizeof(text));
    assert_string_equal(text, expected);
}

static void summary_is(const fx_history *history, size_t days, size_t currencies, const char *first,
                       const char *last)
{
    struct fx_history_summary summary;
    assert_err(fx_history_summarize(history, &summary, NULL), TPW_OK);
    assert_int_equal(summary.days_count, days);
    assert_int_equal(summary.currencies_count, currencies);
    assert_int_equal(summary.first_days, day_of(first));
    assert_int_equal(summary.last_days, day_of(last));
}

static void test_daily_xml(void **state)
{
    (void)state;
    fx_history *history = load(TPW_FX_TEST_DATA "/eurofxref-daily.xml");
    summary_is(history, 1, 30, "2025-05-09", "2025-05-09");
    assert_rate(history, "USD", "2025-05-09", "1.1252");
    assert_rate(history, "GBP", "2025-05-09", "0.8477");
    assert_rate(history, "IDR", "2025-05-09", "18606.59");
    /* The daily file is the hist CSV's row of that day, value for value. */
    fx_history *hist = load(TPW_FX_ZIP);
    assert_err(fx_history_merge(hist, history, NULL), TPW_OK);
    summary_is(hist, 6983, 41, "1999-01-04", "2026-04-13");
    fx_history_destroy(hist);
    fx_history_destroy(history);
}

static void test_daily_xml_one_day(void **state)
{
    (void)state;
    size_t length = 0;
    char *xml = slurp(TPW_FX_TEST_DATA "/eurofxref-daily.xml", &length);
    struct fx_ecb_day day;
    assert_err(fx_ecb_xml_parse_day(xml, length, &day, NULL), TPW_OK);
    assert_int_equal(day.date_days, day_of("2025-05-09"));
    assert_int_equal(day.rates_count, 30);
    assert_string_equal(day.rates[0].currency, "USD");
    assert_u128_equal(day.rates[0].per_eur.value_e18, (tpw_u128)1125200000000000000ull);
    free(xml);
    /* The multi-day file is not a daily one. */
    xml = slurp(TPW_FX_TEST_DATA "/eurofxref-hist.xml", &length);
    struct tpw_error_detail detail;
    assert_err(fx_ecb_xml_parse_day(xml, length, &day, &detail), TPW_ERR_FX_XML_INVALID);
    free(xml);
    const char *empty = "<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' "
                        "xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'>"
                        "<Cube></Cube></gesmes:Envelope>";
    assert_err(fx_ecb_xml_parse_day(empty, strlen(empty), &day, &detail), TPW_ERR_FX_XML_INVALID);
}

static void test_hist_xml_matches_csv(void **state)
{
    (void)state;
    fx_history *excerpt = load(TPW_FX_TEST_DATA "/eurofxref-hist.xml");
    struct fx_history_summary summary;
    assert_err(fx_history_summarize(excerpt, &summary, NULL), TPW_OK);
    assert_int_equal(summary.days_count, 28);
    assert_int_equal(summary.observations_count, 896);
    summary_is(excerpt, 28, 32, "2019-12-17", "2020-01-28");
    assert_rate(excerpt, "JPY", "2020-01-28", "120.02");
    /* Merging into the full history adds nothing: every value is already there. */
    fx_history *hist = load(TPW_FX_ZIP);
    struct fx_history_summary before;
    assert_err(fx_history_summarize(hist, &before, NULL), TPW_OK);
    assert_err(fx_history_merge(hist, excerpt, NULL), TPW_OK);
    struct fx_history_summary after;
    assert_err(fx_history_summarize(hist, &after, NULL), TPW_OK);
    assert_int_equal(after.observations_count, before.observations_count);
    fx_history_destroy(hist);
    fx_history_destroy(excerpt);
}

static void test_daily_csv(void **state)
{
    (void)state;
    fx_history *daily = load(TPW_FX_TEST_DATA "/eurofxref.csv");
    summary_is(daily, 1, 29, "2026-04-13", "2026-04-13");
    assert_rate(daily, "HUF", "2026-04-13", "366.9"); /* written 366.90 */
    assert_rate(daily, "ZAR", "2026-04-13", "19.3849");
    fx_history *hist = load(TPW_FX_ZIP);
    assert_err(fx_history_merge(hist, daily, NULL), TPW_OK);
    summary_is(hist, 6983, 41, "1999-01-04", "2026-04-13");
    fx_history_destroy(hist);
    fx_history_destroy(daily);
}

/* The currencies that come and go (the shared README's facts). */
static void test_hist_zip_currencies(void **state)
{
    (void)state;
    fx_history *hist = load(TPW_FX_ZIP);
    assert_int_equal(fx_history_currencies_count(hist), 41);
    assert_string_equal(fx_history_currency_at(hist, 0), "AUD");
    assert_rate(hist, "CYP", "2007-12-31", "0.585274");
    assert_rate(hist, "ROL", "2005-06-30", "36030");
    assert_rate(hist, "RON", "2005-07-01", "3.603");
    assert_rate(hist, "BGN", "2025-12-31", "1.9558");
    assert_rate(hist, "ISK", "2008-12-09", "290");
    assert_rate(hist, "ISK", "2018-02-01", "125.01");
    assert_rate(hist, "RUB", "2022-03-01", "117.201");
    assert_rate(hist, "USD", "1999-01-04", "1.1789");
    struct tpw_error_detail detail;
    struct fx_observation observation;
    /* N/A cells are no observation: the as-of search goes back past them. */
    assert_err(fx_history_rate_as_of(hist, "ISK", day_of("2008-12-10"), 0, &observation, &detail),
               TPW_ERR_FX_RATE_STALE);
    assert_err(fx_history_rate_as_of(hist, "RON", day_of("2005-06-30"), 7, &observation, &detail),
               TPW_ERR_FX_RATE_UNAVAILABLE);
    fx_history_destroy(hist);
}

struct bad_case {
    const char *text;
    enum tpw_err expected;
    const char *message_has;
};

#define ENVELOPE_OPEN                                                                              \
    "<?xml version='1.0' encoding='UTF-8'?>\n"                                                     \
    "<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' "                        \
    "xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'>\n<Cube>\n"
#define ENVELOPE_CLOSE "</Cube>\n</gesmes:Envelope>\n"
#define DAY(body) ENVELOPE_OPEN "<Cube time='2025-05-09'>\n" body "</Cube>\n" ENVELOPE_CLOSE

static const struct bad_case bad_xml[] = {
    {ENVELOPE_OPEN "<Cube time='2025-05-09'><Cube currency='USD' rate='1.1", TPW_ERR_FX_XML_INVALID,
     "line 4"},
    {"", TPW_ERR_FX_XML_INVALID, "line"},
    {"<?xml version='1.0'?><gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' "
     "xmlns='http://example.com/other'><Cube><Cube time='2025-05-09'/></Cube></gesmes:Envelope>",
     TPW_ERR_FX_XML_NAMESPACE, "namespace"},
    {"<?xml version='1.0'?><html><Cube/></html>", TPW_ERR_FX_XML_NAMESPACE, "root"},
    {"<?xml version='1.0'?><Envelope xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'>"
     "<Cube/></Envelope>",
     TPW_ERR_FX_XML_NAMESPACE, "gesmes:Envelope"},
    {DAY("<Cube currency='USD' rate='abc'/>\n"), TPW_ERR_FX_RATE_INVALID, "line 5"},
    {DAY("<Cube currency='USD' rate='1.1e3'/>\n"), TPW_ERR_FX_RATE_INVALID, "rate '1.1e3'"},
    {DAY("<Cube currency='USD' rate='-1.1'/>\n"), TPW_ERR_FX_RATE_INVALID, "-1.1"},
    {DAY("<Cube currency='USD' rate='0.0000'/>\n"), TPW_ERR_FX_RATE_ZERO, "zero"},
    {DAY("<Cube currency='usd' rate='1.1'/>\n"), TPW_ERR_FX_CURRENCY_INVALID, "'usd'"},
    {DAY("<Cube currency='EUR' rate='1'/>\n"), TPW_ERR_FX_CURRENCY_INVALID, "EUR"},
    {DAY("<Cube currency='USDT' rate='1'/>\n"), TPW_ERR_FX_CURRENCY_INVALID, "USDT"},
    {DAY("<Cube currency='USD' rate='1.1'/>\n<Cube currency='USD' rate='1.2'/>\n"),
     TPW_ERR_FX_CURRENCY_DUPLICATE, "line 6: USD is given twice"},
    {DAY("<Cube currency='USD'/>\n"), TPW_ERR_FX_XML_INVALID, "currency and rate"},
    {DAY("<Rate currency='USD' rate='1'/>\n"), TPW_ERR_FX_XML_INVALID, "unexpected element"},
    {ENVELOPE_OPEN "<Cube time='2025-02-30'/>\n" ENVELOPE_CLOSE, TPW_ERR_FX_DATE_INVALID,
     "2025-02-30"},
    {ENVELOPE_OPEN "<Cube time='9 May 2025'/>\n" ENVELOPE_CLOSE, TPW_ERR_FX_DATE_INVALID, "line 4"},
    {ENVELOPE_OPEN "<Cube/>\n" ENVELOPE_CLOSE, TPW_ERR_FX_XML_INVALID, "no time"},
    {"<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01'/>",
     TPW_ERR_FX_XML_INVALID, "no Cube"},
    {ENVELOPE_OPEN "</Cube><Cube>" ENVELOPE_CLOSE, TPW_ERR_FX_XML_INVALID, "second outer"},
    /* Entities are neither expanded nor fetched: a DOCTYPE is refused. */
    {"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY r '1.1'>]>"
     "<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' "
     "xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'><Cube><Cube time='2025-05-09'>"
     "<Cube currency='USD' rate='&r;'/></Cube></Cube></gesmes:Envelope>",
     TPW_ERR_FX_XML_INVALID, "DOCTYPE"},
    {"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY r SYSTEM 'file:///etc/hostname'>]>"
     "<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01'>&r;</gesmes:Envelope>",
     TPW_ERR_FX_XML_INVALID, "DOCTYPE"},
    /* Two days with the same date and different rates. */
    {ENVELOPE_OPEN
     "<Cube time='2025-05-09'><Cube currency='USD' rate='1.1'/></Cube>"
     "<Cube time='2025-05-09'><Cube currency='USD' rate='1.2'/></Cube>" ENVELOPE_CLOSE,
     TPW_ERR_FX_HISTORY_CONFLICT, "USD on 2025-05-09 is both 1.1 and 1.2"},
};

static void test_bad_xml(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(bad_xml) / sizeof(bad_xml[0]); index++) {
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        fx_history *history = (fx_history *)&detail; /* must be reset to NULL */
        enum tpw_err err =
            fx_ecb_xml_parse(bad_xml[index].text, strlen(bad_xml[index].text), &history, &detail);
        if (err != bad_xml[index].expected ||
            strstr(detail.message, bad_xml[index].message_has) == NULL) {
            print_error("case %zu: %s: %s\n", index, tpw_err_name(err), detail.message);
        }
        assert_err(err, bad_xml[index].expected);
        assert_non_null(strstr(detail.message, bad_xml[index].message_has));
        assert_null(history);
    }
}

#define HEADER "Date,USD,JPY,\n"
static const struct bad_case bad_csv[] = {
    {"Day,USD\n", TPW_ERR_FX_CSV_SYNTAX, "line 1, column 1"},
    {"Date,USD,usd,\n", TPW_ERR_FX_CURRENCY_INVALID, "line 1, column 3"},
    {"Date,USD,,JPY,\n", TPW_ERR_FX_CURRENCY_INVALID, "column 3"},
    {"Date,USD,JPY,USD,\n", TPW_ERR_FX_CURRENCY_DUPLICATE, "USD is also column 2"},
    {HEADER "2026-04-13,1.1684,\n", TPW_ERR_FX_CSV_SYNTAX, "line 2, column 1 (row): 3 cells"},
    {HEADER "2026-04-13,1.1684,186.75,x\n", TPW_ERR_FX_CSV_SYNTAX, "line 2, column 4"},
    {HEADER "2026-04-31,1.1684,186.75,\n", TPW_ERR_FX_DATE_INVALID, "line 2, column 1 (Date)"},
    {HEADER "13 Apr 2026,1.1684,186.75,\n", TPW_ERR_FX_DATE_INVALID, "13 Apr 2026"},
    {HEADER "2026-04-13,1.1684,18a.75,\n", TPW_ERR_FX_RATE_INVALID, "line 2, column 3 (JPY)"},
    {HEADER "2026-04-13,,186.75,\n", TPW_ERR_FX_RATE_INVALID, "column 2 (USD)"},
    {HEADER "2026-04-13,0,186.75,\n", TPW_ERR_FX_RATE_ZERO, "column 2 (USD)"},
    {HEADER "2026-04-13,1.1,186.75,\n2026-04-13,1.2,186.75,\n", TPW_ERR_FX_HISTORY_CONFLICT,
     "USD on 2026-04-13 is both 1.1 and 1.2"},
    {"", TPW_ERR_FX_CSV_SYNTAX, "no header"},
};

static void test_bad_csv(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(bad_csv) / sizeof(bad_csv[0]); index++) {
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        fx_history *history = NULL;
        enum tpw_err err =
            fx_ecb_csv_parse(bad_csv[index].text, strlen(bad_csv[index].text), &history, &detail);
        if (err != bad_csv[index].expected ||
            strstr(detail.message, bad_csv[index].message_has) == NULL) {
            print_error("case %zu: %s: %s\n", index, tpw_err_name(err), detail.message);
        }
        assert_err(err, bad_csv[index].expected);
        assert_non_null(strstr(detail.message, bad_csv[index].message_has));
        assert_null(history);
    }
}

/* Any row order, CRLF line ends, N/A cells, the daily form's spaces and dates. */
static void test_csv_shapes(void **state)
{
    (void)state;
    const char *csv = "Date, USD, JPY, \r\n"
                      "10 April 2026, 1.1711, N/A, \r\n"
                      "2026-04-13, 1.1684, 186.75, \r\n"
                      "2026-04-09, 1.1690, 186.00, \r\n\r\n";
    fx_history *history = NULL;
    assert_err(fx_ecb_csv_parse(csv, strlen(csv), &history, NULL), TPW_OK);
    summary_is(history, 3, 2, "2026-04-09", "2026-04-13");
    assert_rate(history, "USD", "2026-04-09", "1.169");
    struct fx_observation observation;
    assert_err(fx_history_rate_as_of(history, "JPY", day_of("2026-04-10"), 7, &observation, NULL),
               TPW_OK);
    assert_int_equal(observation.date_days, day_of("2026-04-09"));
    fx_history_destroy(history);
    /* Without a trailing comma in the header, none in the rows either. */
    const char *plain = "Date,USD\n2026-04-13,1.1684";
    assert_err(fx_ecb_csv_parse(plain, strlen(plain), &history, NULL), TPW_OK);
    summary_is(history, 1, 1, "2026-04-13", "2026-04-13");
    fx_history_destroy(history);
}

/* Writes a zip of the given members (name, content) into a buffer. */
static char *make_zip(const char *const *names, const char *const *contents, size_t count,
                      size_t *length)
{
    char path[] = "/tmp/tpw-fx-zip-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(close(fd), 0);
    int error = 0;
    zip_t *archive = zip_open(path, ZIP_TRUNCATE, &error);
    assert_non_null(archive);
    for (size_t index = 0; index < count; index++) {
        zip_source_t *source =
            zip_source_buffer(archive, contents[index], strlen(contents[index]), 0);
        assert_non_null(source);
        zip_int64_t added = zip_file_add(archive, names[index], source, ZIP_FL_OVERWRITE);
        assert_true(added >= 0);
        /* Stored, not deflated, so a test can damage a member's bytes in place. */
        assert_int_equal(zip_set_file_compression(archive, (zip_uint64_t)added, ZIP_CM_STORE, 0),
                         0);
    }
    assert_int_equal(zip_close(archive), 0);
    char *data = slurp(path, length);
    assert_int_equal(unlink(path), 0);
    return data;
}

static void test_zip_refusals(void **state)
{
    (void)state;
    const char *csv = "Date,USD,\n2026-04-13,1.1684,\n";
    const char *names[] = {"eurofxref-hist.csv", "README.txt", "other.CSV"};
    const char *contents[] = {csv, "hello", csv};
    struct tpw_error_detail detail;
    fx_history *history = NULL;
    size_t length = 0;
    /* One CSV beside another file: read. */
    char *zip = make_zip(names, contents, 2, &length);
    assert_err(fx_ecb_parse(zip, length, &history, &detail), TPW_OK);
    summary_is(history, 1, 1, "2026-04-13", "2026-04-13");
    fx_history_destroy(history);
    /* A member larger than the limit is refused before it is inflated. */
    assert_err(fx__ecb_zip_parse_limited(zip, length, 10, &history, &detail), TPW_ERR_FX_TOO_LARGE);
    assert_null(history);
    /* A damaged member: its CRC no longer matches. */
    size_t found = 0;
    while (found + 10 <= length && memcmp(zip + found, "2026-04-13", 10) != 0) {
        found++;
    }
    assert_true(found + 10 <= length);
    zip[found] = '1';
    assert_err(fx_ecb_zip_parse(zip, length, &history, &detail), TPW_ERR_FX_ZIP_INVALID);
    assert_non_null(strstr(detail.message, "damaged"));
    free(zip);
    /* Two CSVs, or none. */
    zip = make_zip(names, contents, 3, &length);
    assert_err(fx_ecb_zip_parse(zip, length, &history, &detail), TPW_ERR_FX_ZIP_INVALID);
    assert_non_null(strstr(detail.message, "2 .csv members"));
    free(zip);
    zip = make_zip(names + 1, contents + 1, 1, &length);
    assert_err(fx_ecb_zip_parse(zip, length, &history, &detail), TPW_ERR_FX_ZIP_INVALID);
    free(zip);
    /* Not a zip at all, though it starts like one. */
    assert_err(fx_ecb_parse("PK\x03\x04garbage", 11, &history, &detail), TPW_ERR_FX_ZIP_INVALID);
    assert_null(history);
}

/* Size limits are checked before a byte is read: the lengths below are never read. */
static void test_size_limits(void **state)
{
    (void)state;
    struct tpw_error_detail detail;
    fx_history *history = NULL;
    assert_err(fx_ecb_csv_parse("Date", FX_ECB_FILE_SIZE_MAX + 1, &history, &detail),
               TPW_ERR_FX_TOO_LARGE);
    assert_err(fx_ecb_xml_parse("<", FX_ECB_FILE_SIZE_MAX + 1, &history, &detail),
               TPW_ERR_FX_TOO_LARGE);
    /* A file one byte over the limit (sparse: no disk used). */
    char path[] = "/tmp/tpw-fx-large-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)FX_ECB_FILE_SIZE_MAX + 1), 0);
    assert_int_equal(close(fd), 0);
    assert_err(fx_ecb_load_file(path, &history, &detail), TPW_ERR_FX_TOO_LARGE);
    assert_int_equal(unlink(path), 0);
    /* A header with more currencies than a history holds. */
    char header[8 + 4 * (FX_HISTORY_CURRENCIES_MAX + 2)] = "Date";
    size_t length = 4;
    for (unsigned index = 0; index < FX_HISTORY_CURRENCIES_MAX + 1; index++) {
        char code[5] = {',', (char)('A' + index / 26 % 26), (char)('A' + index % 26), 'Q', '\0'};
        memcpy(header + length, code, 5);
        length += 4;
    }
    /* 64 currencies and a trailing comma fit; a 65th does not (a regression test: the
     * 65th was written past the header's table). */
    size_t fits = 4 + 4 * FX_HISTORY_CURRENCIES_MAX; /* up to the 65th code's comma */
    assert_err(fx_ecb_csv_parse(header, fits + 1, &history, &detail), TPW_OK);
    fx_history_destroy(history);
    assert_err(fx_ecb_csv_parse(header, length, &history, &detail), TPW_ERR_FX_HISTORY_FULL);
    assert_non_null(strstr(detail.message, "line 1, column 66 (header): more than 64"));
    assert_null(history);
}

static void test_format_detection(void **state)
{
    (void)state;
    struct tpw_error_detail detail;
    fx_history *history = NULL;
    assert_err(fx_ecb_parse("hello", 5, &history, &detail), TPW_ERR_FX_FORMAT_UNKNOWN);
    assert_err(fx_ecb_parse("", 0, &history, &detail), TPW_ERR_FX_FORMAT_UNKNOWN);
    const char *csv = "\xEF\xBB\xBF\nDate,USD\n2026-04-13,1.1684\n";
    assert_err(fx_ecb_parse(csv, strlen(csv), &history, &detail), TPW_OK);
    fx_history_destroy(history);
    assert_err(fx_ecb_parse("  <x/>", 6, &history, &detail), TPW_ERR_FX_XML_NAMESPACE);
    assert_err(fx_ecb_load_file(TPW_FX_TEST_DATA "/missing.xml", &history, &detail),
               TPW_ERR_NOT_FOUND);
    assert_err(fx_ecb_load_file(TPW_FX_TEST_DATA, &history, &detail), TPW_ERR_IO);
    assert_null(history);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daily_xml),
        cmocka_unit_test(test_daily_xml_one_day),
        cmocka_unit_test(test_hist_xml_matches_csv),
        cmocka_unit_test(test_daily_csv),
        cmocka_unit_test(test_hist_zip_currencies),
        cmocka_unit_test(test_bad_xml),
        cmocka_unit_test(test_bad_csv),
        cmocka_unit_test(test_csv_shapes),
        cmocka_unit_test(test_zip_refusals),
        cmocka_unit_test(test_format_detection),
        cmocka_unit_test(test_size_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
