/*
 * Alert rules files (src/market/alert_rules.c; docs/formats/market-alerts.md): a file
 * with every field, comments and blank lines read into exact rules with the documented
 * defaults; the condition written back; and every kind of mistake refused with its line
 * number and nothing kept.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <string.h>

#include "tpwallet/market.h"

static enum tpw_err parse(const char *text, struct market_alert_rules *rules,
                          struct tpw_error_detail *detail)
{
    tpw_error_detail_reset(detail);
    return market_alert_rules_parse(text, strlen(text), rules, detail);
}

static void assert_decimal(const struct market_decimal *value, const char *expected)
{
    char text[MARKET_DECIMAL_TEXT_SIZE];
    assert_true(market_decimal_format(value, text, sizeof(text)) > 0);
    assert_string_equal(text, expected);
}

static void test_full_file(void **state)
{
    (void)state;
    static const char text[] =
        "# market alert rules\n"
        "\n"
        "rule burst metric=trades when=z>=4 instrument=BINANCE*:*USDT severity=critical "
        "cooldown=90s dedup=venue,symbol\n"
        "   rule   wide-spread\tmetric=spread_bps when=value>50.5  # wider than 50.5 bps\r\n"
        "rule jump metric=mid_return_bps when=abs(z)>=3.25 instrument=*\n"
        "rule volume metric=window_volume_quote window=10s when=value>=100000 cooldown=0ms "
        "dedup=rule,metric,venue,symbol,severity severity=info\n"
        "rule stale metric=feed_age_ms when=value>2000 cooldown=5m instrument=COINBASE:*\n"
        "rule down metric=trade_flow when=value<=-1.000000000000000001\n";
    struct market_alert_rules rules;
    struct tpw_error_detail detail;
    assert_err(parse(text, &rules, &detail), TPW_OK);
    assert_int_equal(rules.rules_count, 6);
    const struct market_alert_rule *burst = &rules.rules[0];
    assert_string_equal(burst->name, "burst");
    assert_int_equal(burst->metric, MARKET_METRIC_TRADES);
    assert_int_equal(burst->operand, MARKET_ALERT_Z);
    assert_int_equal(burst->comparison, MARKET_ALERT_GE);
    assert_decimal(&burst->threshold, "4");
    assert_string_equal(burst->venue_pattern, "BINANCE*");
    assert_string_equal(burst->symbol_pattern, "*USDT");
    assert_int_equal(burst->severity, MARKET_ALERT_CRITICAL);
    assert_int_equal(burst->cooldown_us, 90000000);
    assert_int_equal(burst->key_fields, MARKET_ALERT_KEY_VENUE | MARKET_ALERT_KEY_SYMBOL);
    assert_int_equal(burst->line_number, 3);
    /* Defaults: every instrument, warning, a minute, rule+venue+symbol. */
    const struct market_alert_rule *spread = &rules.rules[1];
    assert_string_equal(spread->name, "wide-spread");
    assert_int_equal(spread->comparison, MARKET_ALERT_GT);
    assert_decimal(&spread->threshold, "50.5");
    assert_string_equal(spread->venue_pattern, "*");
    assert_string_equal(spread->symbol_pattern, "*");
    assert_int_equal(spread->severity, MARKET_ALERT_WARNING);
    assert_int_equal(spread->cooldown_us, 60000000);
    assert_int_equal(spread->key_fields,
                     MARKET_ALERT_KEY_RULE | MARKET_ALERT_KEY_VENUE | MARKET_ALERT_KEY_SYMBOL);
    assert_int_equal(rules.rules[2].operand, MARKET_ALERT_ABS_Z);
    assert_int_equal(rules.rules[3].window_us, 10000000);
    assert_int_equal(rules.rules[3].cooldown_us, 0);
    assert_int_equal(rules.rules[3].key_fields, 31);
    assert_int_equal(rules.rules[4].cooldown_us, 300000000);
    assert_true(rules.rules[5].threshold.negative);
    assert_int_equal(rules.rules[5].threshold.exponent, 18);
    /* Conditions as written back. */
    const char *conditions[] = {"z>=4",          "value>50.5", "abs(z)>=3.25",
                                "value>=100000", "value>2000", "value<=-1.000000000000000001"};
    for (size_t index = 0; index < 6; index++) {
        char condition[MARKET_ALERT_CONDITION_SIZE];
        assert_true(
            market_alert_condition_format(&rules.rules[index], condition, sizeof(condition)) > 0);
        assert_string_equal(condition, conditions[index]);
    }
    assert_string_equal(market_alert_severity_name(MARKET_ALERT_INFO), "info");
    assert_string_equal(market_alert_severity_name((enum market_alert_severity)9), "unknown");
}

static void test_empty_file(void **state)
{
    (void)state;
    struct market_alert_rules rules;
    struct tpw_error_detail detail;
    assert_err(parse("", &rules, &detail), TPW_OK);
    assert_int_equal(rules.rules_count, 0);
    assert_err(parse("# nothing\n\n  \t\n", &rules, &detail), TPW_OK);
    assert_int_equal(rules.rules_count, 0);
}

static void test_errors_name_their_line(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *message; /* a part of the error's message */
    } cases[] = {
        {"rule a metric=nope when=value>1", "invalid value 'metric=nope'"},
        {"rule a metric=trades when=value>1 colour=red", "unknown field"},
        {"rule a metric=trades when=value>1 when=z>2", "field given twice 'when'"},
        {"rule a metric=trades", "needs metric= and when="},
        {"rule a when=value>1", "needs metric= and when="},
        {"rule a metric=trades when=value=>1", "invalid value"},
        {"rule a metric=trades when=value>", "invalid value"},
        {"rule a metric=trades when=value>1e3", "invalid value"},
        {"rule a metric=trades when=value>1.0000000000000000001", "invalid value"},
        {"rule a metric=trades when=size>1", "invalid value"},
        {"rule a metric=feed_age_ms when=z>3", "no z-score for the metric 'feed_age_ms'"},
        {"rule a metric=window_trades when=value>3", "a window metric needs window="},
        {"rule a metric=trades when=value>3 window=10s", "window= only goes with window"},
        {"rule a metric=window_trades window=0s when=value>3", "invalid value 'window=0s'"},
        {"rule a metric=trades when=value>1 cooldown=10", "invalid value 'cooldown=10'"},
        {"rule a metric=trades when=value>1 cooldown=8d", "invalid value"},
        {"rule a metric=trades when=value>1 cooldown=169h", "invalid value"}, /* > 7 days */
        {"rule a metric=trades when=value>1 dedup=venue,venue", "invalid value"},
        {"rule a metric=trades when=value>1 dedup=", "invalid value"},
        {"rule a metric=trades when=value>1 dedup=colour", "invalid value"},
        {"rule a metric=trades when=value>1 severity=loud", "invalid value"},
        {"rule a metric=trades when=value>1 instrument=BINANCE", "invalid value"},
        {"rule a metric=trades when=value>1 instrument=:X", "invalid value"},
        {"rule a/b metric=trades when=value>1", "invalid rule name 'a/b'"},
        {"alert a metric=trades when=value>1", "a line is 'rule NAME"},
        {"rule", "a line is 'rule NAME"},
    };
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        char text[512];
        (void)snprintf(text, sizeof(text), "# first\nrule ok metric=trades when=z>=4\n\n%s\n",
                       cases[index].line);
        struct market_alert_rules rules;
        struct tpw_error_detail detail;
        assert_err(parse(text, &rules, &detail), TPW_ERR_INVALID_ARGUMENT);
        if (strstr(detail.message, cases[index].message) == NULL ||
            strncmp(detail.message, "line 4: ", 8) != 0) {
            print_error("'%s' gave '%s'\n", cases[index].line, detail.message);
        }
        assert_non_null(strstr(detail.message, cases[index].message));
        assert_int_equal(strncmp(detail.message, "line 4: ", 8), 0);
        assert_int_equal(detail.offset_bytes, 4);
        assert_int_equal(rules.rules_count, 0); /* nothing kept */
    }
}

static void test_bounds(void **state)
{
    (void)state;
    static char text[MARKET_ALERT_RULES_MAX * 64 + 2048];
    size_t len = 0;
    for (size_t index = 0; index <= MARKET_ALERT_RULES_MAX; index++) {
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "rule r%zu metric=trades when=value>1\n", index);
    }
    struct market_alert_rules rules;
    struct tpw_error_detail detail;
    assert_err(parse(text, &rules, &detail), TPW_ERR_INVALID_ARGUMENT);
    assert_int_equal(detail.offset_bytes, MARKET_ALERT_RULES_MAX + 1);
    assert_non_null(strstr(detail.message, "too many rules"));
    /* A duplicate name, a line too long, a NUL byte. */
    assert_err(parse("rule a metric=trades when=value>1\nrule a metric=trades when=value>1\n",
                     &rules, &detail),
               TPW_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(detail.message, "line 2: rule defined twice 'a'"));
    (void)memset(text, ' ', MARKET_ALERT_LINE_MAX + 1);
    (void)memcpy(text + MARKET_ALERT_LINE_MAX + 1, "\n", 2);
    assert_err(parse(text, &rules, &detail), TPW_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(detail.message, "line 1: longer than"));
    assert_err(market_alert_rules_parse("rule a\0b", 8, &rules, &detail), TPW_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(detail.message, "a NUL byte"));
    assert_err(market_alert_rules_load("/nonexistent/rules", &rules, &detail), TPW_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_errors_name_their_line),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
