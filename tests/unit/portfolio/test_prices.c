/*
 * The price series loader: every trap of the real files in tests/data/prices (banner
 * line, descending order, index column and lower-case headers, column order, unix
 * seconds with missing days, `null` rows, no final newline, CRLF) and every refusal with
 * its code and line number, so a bad file is never half-read into a backtest.
 */
#include "portfolio_test.h"

#include <stdio.h>
#include <string.h>

#include "tpwallet/portfolio.h"

#ifndef TPW_PRICES_DATA_DIR
#error "TPW_PRICES_DATA_DIR names tests/data/prices"
#endif

static void load(const char *name, enum portfolio_close close, struct portfolio_series *series)
{
    char path[512];
    (void)snprintf(path, sizeof(path), "%s/%s", TPW_PRICES_DATA_DIR, name);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = portfolio_series_load(path, close, series, &detail);
    if (err != TPW_OK) {
        print_error("%s: %s\n", name, detail.message);
    }
    assert_err(err, TPW_OK);
}

static void assert_price(const struct portfolio_series *series, size_t index, const char *date,
                         double close)
{
    assert_true(index < series->prices_count);
    assert_int_equal(series->prices[index].day, day_of(date));
    assert_true(series->prices[index].close == close);
}

/* Every row ascending and on a distinct day: the loader's promise. */
static void assert_ascending(const struct portfolio_series *series)
{
    for (size_t index = 1; index < series->prices_count; index++) {
        assert_true(series->prices[index - 1].day < series->prices[index].day);
    }
}

static void test_bitstamp_banner_descending(void **state)
{
    (void)state;
    struct portfolio_series series;
    load("bitstamp-BTCUSD-head.csv", PORTFOLIO_CLOSE_RAW, &series);
    assert_int_equal(series.header_line, 2); /* the URL banner is line 1 */
    assert_true(series.descending);
    assert_int_equal(series.prices_count, 39);
    assert_price(&series, 0, "2022-07-13", 20232.35); /* "2022-07-13 00:00:00" */
    assert_price(&series, 38, "2022-08-20", 20957.00);
    assert_ascending(&series);
    portfolio_series_deinit(&series);
}

static void test_yahoo_index_column_lower_case(void **state)
{
    (void)state;
    struct portfolio_series series;
    load("yahoo2025-BTC-USD-head.csv", PORTFOLIO_CLOSE_RAW, &series);
    assert_int_equal(series.header_line, 1);
    assert_true(series.descending);
    assert_int_equal(series.prices_count, 30);
    assert_price(&series, 0, "2025-10-22", 107688.59);
    assert_price(&series, 29, "2025-11-20", 91772.41);
    assert_ascending(&series);
    portfolio_series_deinit(&series);
}

static void test_spy_column_order(void **state)
{
    (void)state;
    struct portfolio_series series;
    load("SPY-head.csv", PORTFOLIO_CLOSE_RAW, &series);
    assert_false(series.descending);
    assert_int_equal(series.prices_count, 30);
    /* Close is the second column here, not the fifth. */
    assert_price(&series, 0, "1993-01-29", 24.380447387695312);
    assert_price(&series, 29, "1993-03-12", 25.02202796936035);
    portfolio_series_deinit(&series);
}

static void test_kraken_unix_seconds_missing_days(void **state)
{
    (void)state;
    struct portfolio_series series;
    load("kraken-ETHUSD-head.csv", PORTFOLIO_CLOSE_RAW, &series);
    assert_int_equal(series.prices_count, 30);
    assert_price(&series, 0, "2015-08-07", 3.0);
    assert_price(&series, 1, "2015-08-08", 1.19999);
    assert_price(&series, 2, "2015-08-11", 0.99); /* 08-09 and 08-10 had no trades */
    assert_ascending(&series);
    portfolio_series_deinit(&series);
}

static void test_ustc_null_rows_skipped(void **state)
{
    (void)state;
    struct portfolio_series series;
    load("USTC-USD-nulls.csv", PORTFOLIO_CLOSE_RAW, &series);
    assert_int_equal(series.skipped_count, 15);
    assert_int_equal(series.prices_count, 6);
    assert_price(&series, 0, "2022-10-04", 0.030928);
    assert_price(&series, 5, "2022-10-09", 0.034312);
    portfolio_series_deinit(&series);
}

static void test_yahoo_no_final_newline_and_adj_close(void **state)
{
    (void)state;
    struct portfolio_series raw;
    struct portfolio_series adjusted;
    load("yahoo-BTC-USD-2018-2024.csv", PORTFOLIO_CLOSE_RAW, &raw);
    load("yahoo-BTC-USD-2018-2024.csv", PORTFOLIO_CLOSE_ADJUSTED, &adjusted);
    assert_int_equal(raw.prices_count, 1956);
    assert_price(&raw, 0, "2018-10-08", 6652.229980);
    assert_price(&raw, 1955, "2024-02-14", 51836.007813); /* the row without a newline */
    assert_int_equal(adjusted.prices_count, raw.prices_count);
    /* Adj Close equals Close in the crypto files: no dividends. */
    for (size_t index = 0; index < raw.prices_count; index++) {
        assert_true(raw.prices[index].close == adjusted.prices[index].close);
    }
    portfolio_series_deinit(&raw);
    portfolio_series_deinit(&adjusted);
}

static void test_crlf_quotes_and_blank_lines(void **state)
{
    (void)state;
    const char text[] = "\"Date\",\"Close\"\r\n2020-01-02,2.5\r\n\r\n2020-01-01T00:00:00Z,1.5\r\n";
    struct portfolio_series series;
    assert_err(portfolio_series_parse(text, strlen(text), PORTFOLIO_CLOSE_RAW, &series, NULL),
               TPW_OK);
    assert_int_equal(series.prices_count, 2);
    assert_price(&series, 0, "2020-01-01", 1.5);
    assert_price(&series, 1, "2020-01-02", 2.5);
    assert_true(series.descending);
    portfolio_series_deinit(&series);
}

struct refusal {
    const char *text;
    enum portfolio_close close;
    enum tpw_err code;
    const char *message; /* a part of detail.message: the line number at least */
};

static const struct refusal refusals[] = {
    {"", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_EMPTY, "empty"},
    {"\n \n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_EMPTY, "empty"},
    {"Date,Close\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_EMPTY, "no row"},
    {"Date,Close\n2020-01-01,null\n2020-01-02,\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_EMPTY,
     "2 rows without"},
    {"2020-01-01,1\n2020-01-02,2\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_NO_HEADER, "line 1:"},
    {"a\nb\nc\nd\ne\nDate,Close\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_NO_HEADER, "first 5"},
    {"Date,Open\n2020-01-01,1\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_NO_CLOSE, "line 1:"},
    {"https://example.com\nDate,Open\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_NO_CLOSE, "line 2:"},
    {"Date,Close\n2020-01-01,1\n", PORTFOLIO_CLOSE_ADJUSTED, TPW_ERR_PRICES_NO_CLOSE,
     "'Adj Close'"},
    {"Date,Close\n2020-01-01\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_ROW_SHORT, "line 2:"},
    {"Date,Close\n2020-01-01,1\n2020-13-01,2\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_DATE_INVALID,
     "line 3: unparsable date '2020-13-01'"},
    {"Date,Close\n2021-02-29,1\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_DATE_INVALID, "line 2:"},
    {"Date,Close\n20200101,1\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_DATE_INVALID, "line 2:"},
    {"Date,Close\n01/02/2020,1\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_DATE_INVALID, "line 2:"},
    {"Date,Close\n2020-01-01,abc\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_NUMBER_INVALID,
     "line 2: unparsable close 'abc'"},
    {"Date,Close\n2020-01-01,inf\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_NUMBER_INVALID, "line 2"},
    {"Date,Close\n2020-01-01,0x10\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_NUMBER_INVALID, "line 2"},
    {"Date,Close\n2020-01-01,1.2.3\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_NUMBER_INVALID,
     "line 2"},
    {"Date,Close\n2020-01-01,1e999\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_NUMBER_INVALID,
     "line 2"},
    {"Date,Close\n2020-01-01,1\n2020-01-02,0\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_NOT_POSITIVE,
     "line 3"},
    {"Date,Close\n2020-01-01,-1.5\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_NOT_POSITIVE, "line 2"},
    {"Date,Close\n2020-01-01,1\n2020-01-02,2\n2020-01-01,3\n", PORTFOLIO_CLOSE_RAW,
     TPW_ERR_PRICES_DUPLICATE_DATE, "line 4: date 2020-01-01 already given on line 2"},
    {"time,close\n1577836800,1\n1577840400,2\n", PORTFOLIO_CLOSE_RAW, TPW_ERR_PRICES_DUPLICATE_DATE,
     "line 3"}, /* two times on the same UTC day */
};

static void test_refusals(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(refusals) / sizeof(refusals[0]); index++) {
        const struct refusal *refusal = &refusals[index];
        struct portfolio_series series;
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        enum tpw_err err = portfolio_series_parse(refusal->text, strlen(refusal->text),
                                                  refusal->close, &series, &detail);
        if (err != refusal->code || strstr(detail.message, refusal->message) == NULL) {
            print_error("case %zu: %s: '%s'\n", index, tpw_err_name(err), detail.message);
        }
        assert_err(err, refusal->code);
        assert_non_null(strstr(detail.message, refusal->message));
        assert_null(series.prices);
    }
}

static void test_long_line_refused(void **state)
{
    (void)state;
    static char text[8192];
    int header = snprintf(text, sizeof(text), "Date,Close\n2020-01-01,1,");
    memset(text + header, 'x', 5000);
    struct portfolio_series series;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(
        portfolio_series_parse(text, (size_t)header + 5000, PORTFOLIO_CLOSE_RAW, &series, &detail),
        TPW_ERR_PRICES_TOO_LARGE);
    assert_non_null(strstr(detail.message, "line 2"));
}

static void test_load_names_the_file(void **state)
{
    (void)state;
    struct portfolio_series series;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(portfolio_series_load(TPW_PRICES_DATA_DIR "/missing.csv", PORTFOLIO_CLOSE_RAW,
                                     &series, &detail),
               TPW_ERR_NOT_FOUND);
    assert_non_null(strstr(detail.message, "missing.csv"));
    tpw_error_detail_reset(&detail);
    assert_err(portfolio_series_load(TPW_PRICES_DATA_DIR "/README.md", PORTFOLIO_CLOSE_RAW, &series,
                                     &detail),
               TPW_ERR_PRICES_NO_HEADER);
    assert_non_null(strstr(detail.message, "README.md' line 1:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitstamp_banner_descending),
        cmocka_unit_test(test_yahoo_index_column_lower_case),
        cmocka_unit_test(test_spy_column_order),
        cmocka_unit_test(test_kraken_unix_seconds_missing_days),
        cmocka_unit_test(test_ustc_null_rows_skipped),
        cmocka_unit_test(test_yahoo_no_final_newline_and_adj_close),
        cmocka_unit_test(test_crlf_quotes_and_blank_lines),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_long_line_refused),
        cmocka_unit_test(test_load_names_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
