/*
 * Option pricing and implied volatility: every row of tests/data/options/
 * bs_reference_cases.csv within its published tolerance; a price → IV → price round
 * trip over a grid of calls and puts to 1e-10 relative wherever vega is not negligible;
 * N(x) against known values and its tails; and every refusal — bad inputs, prices
 * below intrinsic or above the upper bound — with its own error, never a NaN.
 */
#include "tpw_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpwallet/quant.h"

#ifndef TPW_OPTIONS_DATA
#error "TPW_OPTIONS_DATA names tests/data/options/bs_reference_cases.csv"
#endif

/* Columns of the CSV, in order. */
enum column { ID, SOURCE, KIND, CP, S, K, T, R, Q, SIGMA, PRICE, EXPECTED, TOL, NOTE, COLUMNS };

/* Splits one CSV line in place (double-quoted fields may hold commas). */
static size_t csv_split(char *line, char *fields[COLUMNS])
{
    size_t count = 0;
    char *cursor = line;
    while (count < COLUMNS) {
        bool quoted = *cursor == '"';
        char *start = quoted ? cursor + 1 : cursor;
        char *end = quoted ? strchr(start, '"') : start + strcspn(start, ",\r\n");
        assert_non_null(end);
        fields[count++] = start;
        cursor = quoted ? end + 1 : end;
        bool last = *cursor != ',';
        *end = '\0';
        if (last) {
            break;
        }
        cursor++;
    }
    return count;
}

static double number(const char *text)
{
    char *end = NULL;
    double value = strtod(text, &end);
    assert_true(end != text && *end == '\0');
    return value;
}

static struct quant_option row_option(char *fields[COLUMNS])
{
    struct quant_option option = {
        .type = strcmp(fields[CP], "c") == 0 ? QUANT_CALL : QUANT_PUT,
        .spot = number(fields[S]),
        .strike = number(fields[K]),
        .time_years = number(fields[T]),
        .rate = number(fields[R]),
        .yield = number(fields[Q]),
        .volatility = fields[SIGMA][0] != '\0' ? number(fields[SIGMA]) : 0.0,
    };
    assert_true(strcmp(fields[CP], "c") == 0 || strcmp(fields[CP], "p") == 0);
    return option;
}

/* The value a row checks, computed by the module. */
static double row_actual(char *fields[COLUMNS], const struct quant_option *option)
{
    const char *kind = fields[KIND];
    if (strcmp(kind, "iv") == 0) {
        struct quant_iv_result result;
        assert_err(quant_implied_volatility(option, number(fields[PRICE]), &result), TPW_OK);
        return result.volatility;
    }
    struct quant_greeks greeks;
    assert_err(quant_option_greeks(option, &greeks), TPW_OK);
    const struct {
        const char *kind;
        double value;
    } kinds[] = {
        {"price", greeks.price},
        {"greek:delta", greeks.delta},
        {"greek:gamma", greeks.gamma},
        {"greek:vega", greeks.vega},
        {"greek:theta_per_year", greeks.theta_per_year},
        {"greek:theta_per_day", greeks.theta_per_day},
        {"greek:rho", greeks.rho},
        {"greek:dividend_rho", greeks.dividend_rho},
    };
    for (size_t index = 0; index < sizeof(kinds) / sizeof(kinds[0]); index++) {
        if (strcmp(kind, kinds[index].kind) == 0) {
            return kinds[index].value;
        }
    }
    fail_msg("%s: unknown kind %s", fields[ID], kind);
    return NAN;
}

static void test_reference_cases(void **state)
{
    (void)state;
    FILE *file = fopen(TPW_OPTIONS_DATA, "r");
    assert_non_null(file);
    char line[1024];
    assert_non_null(fgets(line, sizeof(line), file)); /* the header */
    assert_int_equal(strncmp(line, "id,source,kind,cp,S,K,T,r,q,sigma,price,expected,tol,", 53), 0);
    unsigned rows_count = 0;
    unsigned failures_count = 0;
    while (fgets(line, sizeof(line), file) != NULL) {
        char *fields[COLUMNS];
        assert_int_equal(csv_split(line, fields), COLUMNS);
        struct quant_option option = row_option(fields);
        double actual = row_actual(fields, &option);
        double expected = number(fields[EXPECTED]);
        double tolerance = number(fields[TOL]);
        if (!(fabs(actual - expected) <= tolerance)) {
            print_error("%s (%s): %.10g, expected %.10g ± %g\n", fields[ID], fields[KIND], actual,
                        expected, tolerance);
            failures_count++;
        }
        rows_count++;
    }
    (void)fclose(file);
    assert_int_equal(rows_count, 65);
    assert_int_equal(failures_count, 0);
}

/* Price → IV → price over strikes, maturities, volatilities, rates and yields. */
static void test_round_trip_grid(void **state)
{
    (void)state;
    const double strikes[] = {50, 80, 95, 100, 105, 120, 200};
    const double times[] = {1.0 / 365, 0.1, 0.5, 1, 5, 30};
    const double vols[] = {0.01, 0.05, 0.2, 0.5, 1, 3};
    const double carries[][2] = {{0.05, 0}, {0.05, 0.05}, {0.01, 0.04}, {-0.005, 0.02}};
    unsigned checked_count = 0;
    double worst = 0;
    for (size_t k = 0; k < 7; k++) {
        for (size_t t = 0; t < 6; t++) {
            for (size_t v = 0; v < 6; v++) {
                for (size_t c = 0; c < 4; c++) {
                    for (int type = QUANT_CALL; type <= QUANT_PUT; type++) {
                        struct quant_option option = {(enum quant_option_type)type,
                                                      100,
                                                      strikes[k],
                                                      times[t],
                                                      carries[c][0],
                                                      carries[c][1],
                                                      vols[v]};
                        struct quant_greeks greeks;
                        assert_err(quant_option_greeks(&option, &greeks), TPW_OK);
                        /* Negligible vega: a change of σ by 1e-4 moves the price by
                         * less than 1e-10 of it; such prices pin σ down too loosely. */
                        if (greeks.vega * 1e-4 < 1e-10 * greeks.price || greeks.price < 1e-12) {
                            continue;
                        }
                        struct quant_iv_result result;
                        enum tpw_err err = quant_implied_volatility(&option, greeks.price, &result);
                        if (err != TPW_OK) {
                            print_error("K %g T %g σ %g c %zu type %d: %s\n", strikes[k], times[t],
                                        vols[v], c, type, tpw_err_name(err));
                        }
                        assert_err(err, TPW_OK);
                        option.volatility = result.volatility;
                        double again = 0;
                        assert_err(quant_option_price(&option, &again), TPW_OK);
                        double relative = fabs(again - greeks.price) / greeks.price;
                        worst = relative > worst ? relative : worst;
                        if (relative > 1e-10) {
                            print_error("K %g T %g σ %g→%.17g c %zu type %d: %.3g relative\n",
                                        strikes[k], times[t], vols[v], result.volatility, c, type,
                                        relative);
                        }
                        assert_true(relative <= 1e-10);
                        assert_true(result.iterations < 100);
                        checked_count++;
                    }
                }
            }
        }
    }
    print_message("round trip: %u cases, worst relative error %.3g\n", checked_count, worst);
    assert_true(checked_count > 1200);
}

static void test_no_volatility(void **state)
{
    (void)state;
    struct quant_option call = {QUANT_CALL, 100, 90, 1, 0.05, 0, 0.2};
    struct quant_iv_result result;
    /* Intrinsic (forward) value of the call: 100 − 90·e^−0.05 = 14.389…; at or below. */
    double lower = 100 - 90 * exp(-0.05);
    assert_err(quant_implied_volatility(&call, lower, &result), TPW_ERR_QUANT_NO_VOLATILITY);
    assert_err(quant_implied_volatility(&call, lower - 1, &result), TPW_ERR_QUANT_NO_VOLATILITY);
    assert_err(quant_implied_volatility(&call, 100, &result), TPW_ERR_QUANT_NO_VOLATILITY);
    assert_err(quant_implied_volatility(&call, 150, &result), TPW_ERR_QUANT_NO_VOLATILITY);
    struct quant_option put = {QUANT_PUT, 100, 110, 1, 0.05, 0, 0.2};
    assert_err(quant_implied_volatility(&put, 110 * exp(-0.05), &result),
               TPW_ERR_QUANT_NO_VOLATILITY);
    assert_err(quant_implied_volatility(&put, 110 * exp(-0.05) - 100 - 1e-9, &result),
               TPW_ERR_QUANT_NO_VOLATILITY);
    /* An at-the-money call worth less than σ = 1e-9 gives (about 4e-8): below the
     * bracket, so no volatility the solver may return fits. */
    struct quant_option money = {QUANT_CALL, 100, 100, 1, 0, 0, 0.2};
    assert_err(quant_implied_volatility(&money, 1e-12, &result), TPW_ERR_QUANT_NO_VOLATILITY);
    /* A far out-of-the-money call priced at 1e-300 does have one (a large σ). */
    struct quant_option far = {QUANT_CALL, 100, 1000, 0.01, 0, 0, 0.2};
    assert_err(quant_implied_volatility(&far, 1e-300, &result), TPW_OK);
    assert_true(isfinite(result.volatility) && result.volatility > 0.2);
    /* Just above the lower bound still solves, to a small σ, not NaN. */
    assert_err(quant_implied_volatility(&call, lower + 1e-6, &result), TPW_OK);
    assert_true(isfinite(result.volatility) && result.volatility > 0 && result.volatility < 0.05);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    const struct quant_option good = {QUANT_CALL, 100, 100, 1, 0.05, 0.01, 0.2};
    struct quant_option bad[12];
    for (size_t index = 0; index < 12; index++) {
        bad[index] = good;
    }
    bad[0].spot = 0;
    bad[1].spot = -1;
    bad[2].strike = 0;
    bad[3].time_years = 0;
    bad[4].time_years = -0.5;
    bad[5].volatility = 0;
    bad[6].volatility = NAN;
    bad[7].rate = INFINITY;
    bad[8].yield = NAN;
    bad[9].volatility = QUANT_VOLATILITY_MAX * 2;
    bad[10].time_years = QUANT_TIME_YEARS_MAX * 2;
    bad[11].rate = -QUANT_RATE_ABS_MAX * 2;
    struct quant_greeks greeks;
    double price = 0;
    struct quant_iv_result result;
    for (size_t index = 0; index < 12; index++) {
        assert_err(quant_option_greeks(&bad[index], &greeks), TPW_ERR_QUANT_INPUT_INVALID);
        assert_err(quant_option_price(&bad[index], &price), TPW_ERR_QUANT_INPUT_INVALID);
        bool vol_only = index == 5 || index == 6 || index == 9;
        assert_err(quant_implied_volatility(&bad[index], 10, &result),
                   vol_only ? TPW_OK : TPW_ERR_QUANT_INPUT_INVALID);
    }
    assert_err(quant_implied_volatility(&good, 0, &result), TPW_ERR_QUANT_INPUT_INVALID);
    assert_err(quant_implied_volatility(&good, -1, &result), TPW_ERR_QUANT_INPUT_INVALID);
    assert_err(quant_implied_volatility(&good, NAN, &result), TPW_ERR_QUANT_INPUT_INVALID);
    struct quant_option unknown = good;
    unknown.type = (enum quant_option_type)5;
    assert_err(quant_option_greeks(&unknown, &greeks), TPW_ERR_INVALID_ARGUMENT);
    assert_err(quant_implied_volatility(&unknown, 10, &result), TPW_ERR_INVALID_ARGUMENT);
    assert_string_equal(quant_option_type_name(QUANT_PUT), "put");
    assert_string_equal(quant_option_type_name(unknown.type), "unknown");
}

static void test_norm_and_parity(void **state)
{
    (void)state;
    assert_true(quant_norm_cdf(0) == 0.5);
    assert_true(fabs(quant_norm_cdf(1.959963984540054) - 0.975) < 1e-15);
    /* The far tail keeps its relative precision: N(−10) = 7.6198530241605e-24. */
    assert_true(fabs(quant_norm_cdf(-10) / 7.6198530241604696e-24 - 1) < 1e-13);
    assert_true(quant_norm_cdf(40) == 1.0 && quant_norm_cdf(-40) >= 0.0);
    /* Put-call parity: C − P = S·e^−qT − K·e^−rT. */
    struct quant_option option = {QUANT_CALL, 1.56, 1.6, 0.5, 0.06, 0.08, 0.12};
    double call = 0;
    double put = 0;
    assert_err(quant_option_price(&option, &call), TPW_OK);
    option.type = QUANT_PUT;
    assert_err(quant_option_price(&option, &put), TPW_OK);
    assert_true(fabs(call - put - (1.56 * exp(-0.04) - 1.6 * exp(-0.03))) < 1e-14);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_cases), cmocka_unit_test(test_round_trip_grid),
        cmocka_unit_test(test_no_volatility),   cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_norm_and_parity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
