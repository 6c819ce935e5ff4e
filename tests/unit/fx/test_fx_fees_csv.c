/*
 * Fee tables from CSV (docs/formats/fx-fees.md): a table with a default, a corridor of
 * two tiers and an uncapped max read exactly; comments and blank lines; and each kind of
 * bad line refused with its line number, the table's rules (first threshold 0,
 * ascending, at most 8 tiers, no fee jump of more than one unit at a threshold) checked
 * as the graph checks them.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <string.h>

#include "tpwallet/fx.h"

static struct fx_fee_table table; /* 150 KB: not on the stack */

static enum tpw_err parse(const char *text, struct tpw_error_detail *detail)
{
    tpw_error_detail_reset(detail);
    return fx_fee_table_parse(text, strlen(text), &table, detail);
}

static void test_good_table(void **state)
{
    (void)state;
    struct tpw_error_detail detail;
    assert_err(parse("# from,to,threshold,fixed,bps,min,max\n"
                     "*,*,0,0,25,0,\n"
                     "\n"
                     "EUR,USD,0,50,10,0,500\n"
                     "EUR , USD , 1000000 , 0 , 5 , 0 , 500\r\n"
                     "USD,TWD,0,20,5,0,\n",
                     &detail),
               TPW_OK);
    assert_int_equal(table.corridor_count, 2);
    assert_int_equal(table.default_fees.tier_count, 1);
    assert_int_equal(table.default_fees.tier[0].schedule.proportional_bps, 25);
    assert_u128_equal(table.default_fees.tier[0].schedule.max_minor, TPW_U128_MAX);
    const struct fx_corridor_fee *eur_usd = &table.corridors[0];
    assert_string_equal(eur_usd->from, "EUR");
    assert_string_equal(eur_usd->to, "USD");
    assert_int_equal(eur_usd->tiers.tier_count, 2);
    assert_u128_equal(eur_usd->tiers.tier[1].threshold_minor, 1000000);
    assert_u128_equal(eur_usd->tiers.tier[0].schedule.fixed_minor, 50);
    assert_u128_equal(eur_usd->tiers.tier[1].schedule.max_minor, 500);
    assert_err(parse("", &detail), TPW_OK);
    assert_int_equal(table.corridor_count, 0);
    assert_int_equal(table.default_fees.tier_count, 0);
}

/* Only corridors between currencies given are kept, in order; in place works. */
static void test_corridors_within(void **state)
{
    (void)state;
    assert_err(
        parse("EUR,USD,0,50,10,0,\nUSD,TWD,0,20,5,0,\nEUR,JPY,0,1,1,0,\nJPY,USD,0,1,1,0,\n", NULL),
        TPW_OK);
    const struct money_asset assets[] = {{.code = "USD"}, {.code = "EUR"}, {.code = "JPY"}};
    struct fx_corridor_fee out[FX_FEE_CORRIDORS_MAX];
    assert_int_equal(fx_fee_table_corridors_within(&table, assets, 2, out), 1);
    assert_string_equal(out[0].to, "USD");
    size_t kept = fx_fee_table_corridors_within(&table, assets, 3, table.corridors);
    assert_int_equal(kept, 3);
    assert_string_equal(table.corridors[1].to, "JPY");
    assert_string_equal(table.corridors[2].from, "JPY");
    assert_int_equal(fx_fee_table_corridors_within(&table, assets, 0, out), 0);
}

static void refused(const char *text, enum tpw_err expected, const char *message_has)
{
    struct tpw_error_detail detail;
    assert_err(parse(text, &detail), expected);
    assert_message_has(detail.message, message_has);
}

static void test_bad_tables(void **state)
{
    (void)state;
    refused("EUR,USD,0,50,10,0\n", TPW_ERR_FX_CSV_SYNTAX, "line 1");
    refused("\nEUR,USD,0,50,10,0,,\n", TPW_ERR_FX_CSV_SYNTAX, "line 2");
    refused("EUR,*,0,50,10,0,\n", TPW_ERR_FX_CSV_SYNTAX, "both *");
    refused("eur,USD,0,50,10,0,\n", TPW_ERR_FX_CSV_SYNTAX, "line 1");
    refused("EUR,EUR,0,50,10,0,\n", TPW_ERR_FX_CSV_SYNTAX, "line 1");
    refused("EUR,USD,0,50,10001,0,\n", TPW_ERR_FX_CSV_SYNTAX, "bps");
    refused("EUR,USD,0,-5,10,0,\n", TPW_ERR_FX_CSV_SYNTAX, "whole numbers");
    refused("EUR,USD,0,5,10,9,1\n", TPW_ERR_FX_FEE_TIERS_INVALID, "EUR→USD");
    refused("EUR,USD,100,50,10,0,\n", TPW_ERR_FX_FEE_TIERS_INVALID, "first threshold");
    refused("EUR,USD,0,50,10,0,\nEUR,USD,0,50,10,0,\n", TPW_ERR_FX_FEE_TIERS_INVALID, "EUR→USD");
    /* At 1000 the fee would jump from 0 to 500: a larger amount would net less. */
    refused("USD,EUR,0,0,0,0,\nUSD,EUR,1000,500,0,0,\n", TPW_ERR_FX_FEE_TIERS_INVALID, "USD→EUR");
    char many[1024] = "";
    for (int i = 0; i < 9; i++) {
        char row[64];
        (void)snprintf(row, sizeof row, "EUR,USD,%d,0,0,0,\n", i * 100);
        (void)strncat(many, row, sizeof many - strlen(many) - 1);
    }
    refused(many, TPW_ERR_FX_FEE_TIERS_INVALID, "line 9: too many tiers");
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(fx_fee_table_load("/nonexistent/fees.csv", &table, &detail), TPW_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_table),
        cmocka_unit_test(test_bad_tables),
        cmocka_unit_test(test_corridors_within),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
