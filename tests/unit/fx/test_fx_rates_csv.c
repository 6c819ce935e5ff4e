/*
 * Static rates from CSV (docs/formats/fx-static-rates.md): single rates and bid/ask
 * read exactly, comments, blank lines and CRLF; each bad line refused with its number —
 * field counts, codes, zero or negative or inverted rates, a pair or its inverse twice,
 * too many pairs — and a missing file.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpwallet/fx.h"

static struct fx_static_rates rates; /* 20 KB: not on the stack */

static enum tpw_err parse(const char *text, struct tpw_error_detail *detail)
{
    tpw_error_detail_reset(detail);
    return fx_static_rates_parse(text, strlen(text), &rates, detail);
}

static tpw_u128 e18(const char *text)
{
    struct money_rate rate = {0};
    assert_err(money_rate_parse(text, strlen(text), &rate, NULL), TPW_OK);
    return rate.value_e18;
}

static void test_good_file(void **state)
{
    (void)state;
    struct tpw_error_detail detail;
    assert_err(parse("# pegs and par\n"
                     "USD,HKD,7.75,7.85\r\n"
                     "\n"
                     " USDC , USD , 1 \n"
                     "EUR,BGN,1.95583\n",
                     &detail),
               TPW_OK);
    assert_int_equal(rates.count, 3);
    assert_string_equal(rates.quotes[0].base, "USD");
    assert_string_equal(rates.quotes[0].quote, "HKD");
    assert_u128_equal(rates.quotes[0].bid.value_e18, e18("7.75"));
    assert_u128_equal(rates.quotes[0].ask.value_e18, e18("7.85"));
    assert_string_equal(rates.quotes[1].base, "USDC");
    assert_u128_equal(rates.quotes[1].bid.value_e18, e18("1"));
    assert_u128_equal(rates.quotes[1].ask.value_e18, e18("1"));
    assert_u128_equal(rates.quotes[2].ask.value_e18, e18("1.95583"));
    assert_int_equal(rates.quotes[2].time_ns, 0);
    assert_err(parse("", &detail), TPW_OK);
    assert_int_equal(rates.count, 0);
}

static void refused(const char *text, enum tpw_err expected, const char *message_has)
{
    struct tpw_error_detail detail;
    assert_err(parse(text, &detail), expected);
    assert_message_has(detail.message, message_has);
}

static void test_bad_files(void **state)
{
    (void)state;
    refused("USD,HKD\n", TPW_ERR_FX_CSV_SYNTAX, "static rates line 1: expected");
    refused("\nUSD,HKD,1,2,3\n", TPW_ERR_FX_CSV_SYNTAX, "line 2");
    refused("usd,HKD,7.8\n", TPW_ERR_FX_CSV_SYNTAX, "asset codes");
    refused("USD,USD,1\n", TPW_ERR_FX_CSV_SYNTAX, "asset codes");
    refused("USD,HKD,0\n", TPW_ERR_FX_QUOTE_INVALID, "above zero");
    refused("USD,HKD,-7.8\n", TPW_ERR_FX_QUOTE_INVALID, "line 1");
    refused("USD,HKD,7.85,7.75\n", TPW_ERR_FX_QUOTE_INVALID, "bid not above");
    refused("USD,HKD,seven\n", TPW_ERR_FX_QUOTE_INVALID, "line 1");
    refused("USD,HKD,7.8\nHKD,USD,0.128\n", TPW_ERR_FX_CSV_SYNTAX, "line 2: the pair");
    size_t size = (FX_STATIC_RATES_MAX + 1) * 16;
    char *many = malloc(size);
    assert_non_null(many);
    size_t used = 0;
    for (unsigned i = 0; i <= FX_STATIC_RATES_MAX; i++) {
        used += (size_t)snprintf(many + used, size - used, "C%03u,USD,1\n", i);
    }
    refused(many, TPW_ERR_FX_CSV_SYNTAX, "too many pairs");
    free(many);
    struct tpw_error_detail detail;
    assert_err(fx_static_rates_load("/nonexistent/rates.csv", &rates, &detail), TPW_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
