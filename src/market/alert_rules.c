/*
 * Alert rules files: one rule a line, `rule NAME key=value …`, read all or nothing, the
 * first error refused with its line number (docs/formats/market-alerts.md is the
 * format; this file is its only reader).
 *
 *   | key        | value                                   | default            |
 *   |------------|-----------------------------------------|--------------------|
 *   | metric     | a metric name (market.h's table)        | required           |
 *   | when       | value|z|abs(value)|abs(z) >=|>|<=|< N  | required           |
 *   | instrument | VENUE:SYMBOL globs (`*`, `?`), or `*`   | `*:*`              |
 *   | window     | DURATION, window metrics only           | required for them  |
 *   | severity   | info | warning | critical               | warning            |
 *   | cooldown   | DURATION (N ms|s|m|h), at most 7 days   | 60s                |
 *   | dedup      | rule,metric,venue,symbol,severity       | rule,venue,symbol  |
 *
 * Thresholds are exact decimals (a sign, at most 18 fraction digits), compared exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "market_int.h"
#include "tpw_assert.h"
#include "tpwallet/money.h"

#include "banned.h"

/* Longest rules file read: 64 rules of at most a kilobyte, many times over. */
#define RULES_FILE_SIZE_MAX ((size_t)1024 * 1024)

static const char *const severity_names[] = {
#define MARKET_X_NAME(name, json) json,
    MARKET_ALERT_SEVERITY_TABLE(MARKET_X_NAME)
#undef MARKET_X_NAME
};
#define SEVERITIES_COUNT (sizeof(severity_names) / sizeof(severity_names[0]))

const char *market_alert_severity_name(enum market_alert_severity severity)
{
    return (unsigned)severity < SEVERITIES_COUNT ? severity_names[severity] : "unknown";
}

/* A token of a line: bytes, not NUL-terminated. */
struct token {
    const char *text;
    size_t text_len;
};

static bool token_is(const struct token *token, const char *word)
{
    size_t word_len = strlen(word);
    return token->text_len == word_len && memcmp(token->text, word, word_len) == 0;
}

/* What one line's parse needs: the rule being built, the line, the error detail. */
struct line_parse {
    struct market_alert_rule *rule;
    uint32_t line_number;
    struct tpw_error_detail *detail;
    uint32_t keys_seen; /* bit per key of the table below */
};

static enum tpw_err line_error(const struct line_parse *parse, const char *what,
                               const struct token *token)
{
    return tpw_error_set(parse->detail, TPW_ERR_INVALID_ARGUMENT, parse->line_number,
                         "line %u: %s '%.*s'", (unsigned)parse->line_number, what,
                         (int)(token->text_len < 60 ? token->text_len : 60), token->text);
}

/* A duration: digits then ms, s, m or h; at most the cool-down bound. */
static bool duration_us(const struct token *value, int64_t *out_us)
{
    static const struct {
        const char *unit;
        int64_t us;
    } units[] = {{"ms", 1000}, {"s", 1000000}, {"m", 60000000}, {"h", 3600000000LL}};
    size_t digits = 0;
    while (digits < value->text_len && value->text[digits] >= '0' && value->text[digits] <= '9') {
        digits++;
    }
    if (digits == 0 || digits > 12) {
        return false;
    }
    int64_t number = 0;
    for (size_t index = 0; index < digits; index++) {
        number = number * 10 + (value->text[index] - '0');
    }
    struct token unit = {value->text + digits, value->text_len - digits};
    for (size_t index = 0; index < sizeof(units) / sizeof(units[0]); index++) {
        if (token_is(&unit, units[index].unit)) {
            if (number > MARKET_ALERT_COOLDOWN_MAX_US / units[index].us) {
                return false;
            }
            *out_us = number * units[index].us;
            return true;
        }
    }
    return false;
}

/* An exact signed decimal: "-"? digits ("." digits)?, at most 18 fraction digits. */
static bool threshold_parse(const struct token *value, struct market_decimal *out)
{
    bool negative = value->text_len > 0 && value->text[0] == '-';
    const char *digits = value->text + (negative ? 1 : 0);
    size_t digits_len = value->text_len - (negative ? 1 : 0);
    unsigned exponent = market_decimal_fraction_digits(digits, digits_len);
    if (exponent > MARKET_EXPONENT_MAX) {
        return false;
    }
    tpw_u128 units = 0;
    if (money_decimal_parse(digits, digits_len, exponent, &units, NULL) != TPW_OK) {
        return false;
    }
    out->units = units;
    out->exponent = exponent;
    out->negative = negative && units != 0;
    return true;
}

/* `when`: an operand, a comparison, a threshold ("abs(z)>=4"). */
static bool condition_parse(const struct token *value, struct market_alert_rule *rule)
{
    static const struct {
        const char *text;
        enum market_alert_operand operand;
    } operands[] = {{"abs(value)", MARKET_ALERT_ABS_VALUE},
                    {"abs(z)", MARKET_ALERT_ABS_Z},
                    {"value", MARKET_ALERT_VALUE},
                    {"z", MARKET_ALERT_Z}};
    static const struct {
        const char *text;
        enum market_alert_comparison comparison;
    } comparisons[] = {{">=", MARKET_ALERT_GE},
                       {"<=", MARKET_ALERT_LE},
                       {">", MARKET_ALERT_GT},
                       {"<", MARKET_ALERT_LT}};
    struct token rest = *value;
    bool found = false;
    for (size_t index = 0; !found && index < sizeof(operands) / sizeof(operands[0]); index++) {
        size_t len = strlen(operands[index].text);
        found = rest.text_len > len && memcmp(rest.text, operands[index].text, len) == 0;
        if (found) {
            rule->operand = operands[index].operand;
            rest.text += len;
            rest.text_len -= len;
        }
    }
    bool compared = false;
    for (size_t index = 0; found && !compared && index < 4; index++) {
        size_t len = strlen(comparisons[index].text);
        compared = rest.text_len > len && memcmp(rest.text, comparisons[index].text, len) == 0;
        if (compared) {
            rule->comparison = comparisons[index].comparison;
            rest.text += len;
            rest.text_len -= len;
        }
    }
    return compared && threshold_parse(&rest, &rule->threshold);
}

/* A glob of printable ASCII into `out` (of `size` bytes, with the NUL). */
static bool pattern_copy(const char *text, size_t text_len, char *out, size_t size)
{
    if (text_len == 0 || text_len >= size) {
        return false;
    }
    for (size_t index = 0; index < text_len; index++) {
        if (text[index] <= ' ' || text[index] > '~') {
            return false;
        }
    }
    (void)memcpy(out, text, text_len);
    out[text_len] = '\0';
    return true;
}

/* `instrument`: VENUE:SYMBOL, or `*` for every venue and symbol. */
static bool instrument_parse(const struct token *value, struct market_alert_rule *rule)
{
    if (token_is(value, "*")) {
        return pattern_copy("*", 1, rule->venue_pattern, sizeof(rule->venue_pattern)) &&
               pattern_copy("*", 1, rule->symbol_pattern, sizeof(rule->symbol_pattern));
    }
    const char *colon = memchr(value->text, ':', value->text_len);
    if (colon == NULL) {
        return false;
    }
    size_t venue_len = (size_t)(colon - value->text);
    return pattern_copy(value->text, venue_len, rule->venue_pattern, sizeof(rule->venue_pattern)) &&
           pattern_copy(colon + 1, value->text_len - venue_len - 1, rule->symbol_pattern,
                        sizeof(rule->symbol_pattern));
}

/* `dedup`: fields joined by ','. */
static bool key_fields_parse(const struct token *value, uint32_t *out)
{
    static const struct {
        const char *name;
        uint32_t field;
    } fields[] = {{"rule", MARKET_ALERT_KEY_RULE},
                  {"metric", MARKET_ALERT_KEY_METRIC},
                  {"venue", MARKET_ALERT_KEY_VENUE},
                  {"symbol", MARKET_ALERT_KEY_SYMBOL},
                  {"severity", MARKET_ALERT_KEY_SEVERITY}};
    uint32_t result = 0;
    size_t at = 0;
    while (at <= value->text_len) {
        const char *comma = memchr(value->text + at, ',', value->text_len - at);
        size_t end = comma != NULL ? (size_t)(comma - value->text) : value->text_len;
        struct token field = {value->text + at, end - at};
        uint32_t bit = 0;
        for (size_t index = 0; index < sizeof(fields) / sizeof(fields[0]); index++) {
            bit = token_is(&field, fields[index].name) ? fields[index].field : bit;
        }
        if (bit == 0 || (result & bit) != 0) {
            return false; /* unknown, empty or repeated */
        }
        result |= bit;
        at = end + 1;
    }
    *out = result;
    return true;
}

static bool metric_parse(const struct token *value, enum market_metric *out)
{
    for (unsigned metric = 0; metric < MARKET_METRICS_COUNT; metric++) {
        if (token_is(value, market_metric_name((enum market_metric)metric))) {
            *out = (enum market_metric)metric;
            return true;
        }
    }
    return false;
}

static bool severity_parse(const struct token *value, enum market_alert_severity *out)
{
    for (unsigned severity = 0; severity < SEVERITIES_COUNT; severity++) {
        if (token_is(value, severity_names[severity])) {
            *out = (enum market_alert_severity)severity;
            return true;
        }
    }
    return false;
}

enum rule_key {
    KEY_METRIC,
    KEY_WHEN,
    KEY_INSTRUMENT,
    KEY_WINDOW,
    KEY_SEVERITY,
    KEY_COOLDOWN,
    KEY_DEDUP,
    KEY_COUNT
};
static const char *const key_names[KEY_COUNT] = {"metric",   "when",     "instrument", "window",
                                                 "severity", "cooldown", "dedup"};

/* The value of key `key` into the rule; false when it is not one. */
static bool key_value(enum rule_key key, const struct token *value, struct market_alert_rule *rule)
{
    switch (key) {
    case KEY_METRIC:
        return metric_parse(value, &rule->metric);
    case KEY_WHEN:
        return condition_parse(value, rule);
    case KEY_INSTRUMENT:
        return instrument_parse(value, rule);
    case KEY_WINDOW:
        return duration_us(value, &rule->window_us) && rule->window_us > 0;
    case KEY_SEVERITY:
        return severity_parse(value, &rule->severity);
    case KEY_COOLDOWN:
        return duration_us(value, &rule->cooldown_us);
    case KEY_DEDUP:
        return key_fields_parse(value, &rule->key_fields);
    case KEY_COUNT:
        break;
    }
    return false;
}

/* One key=value token. */
static enum tpw_err field_parse(struct line_parse *parse, const struct token *token)
{
    const char *equals = memchr(token->text, '=', token->text_len);
    struct token name = {token->text, equals != NULL ? (size_t)(equals - token->text) : 0};
    size_t key = 0;
    while (key < KEY_COUNT && !token_is(&name, key_names[key])) {
        key++;
    }
    if (equals == NULL || key == KEY_COUNT) {
        return line_error(parse,
                          "unknown field (metric, when, instrument, window, severity, "
                          "cooldown, dedup)",
                          token);
    }
    if ((parse->keys_seen & (1u << key)) != 0) {
        return line_error(parse, "field given twice", &name);
    }
    parse->keys_seen |= 1u << key;
    struct token value = {equals + 1, token->text_len - name.text_len - 1};
    if (!key_value((enum rule_key)key, &value, parse->rule)) {
        return line_error(parse, "invalid value", token);
    }
    return TPW_OK;
}

/* The checks across fields, once the line is read. */
static enum tpw_err rule_check(const struct line_parse *parse, const struct token *name)
{
    const struct market_alert_rule *rule = parse->rule;
    if ((parse->keys_seen & (1u << KEY_METRIC)) == 0 ||
        (parse->keys_seen & (1u << KEY_WHEN)) == 0) {
        return line_error(parse, "a rule needs metric= and when=:", name);
    }
    enum market_metric_kind kind = market_metric_kind_of(rule->metric);
    bool z = rule->operand == MARKET_ALERT_Z || rule->operand == MARKET_ALERT_ABS_Z;
    if (z && kind != MARKET_METRIC_KIND_SCORED) {
        struct token metric = {market_metric_name(rule->metric),
                               strlen(market_metric_name(rule->metric))};
        return line_error(parse, "no z-score for the metric", &metric);
    }
    bool windowed = kind == MARKET_METRIC_KIND_WINDOW;
    if (windowed != ((parse->keys_seen & (1u << KEY_WINDOW)) != 0)) {
        return line_error(parse,
                          windowed ? "a window metric needs window=:"
                                   : "window= only goes with "
                                     "window metrics:",
                          name);
    }
    return TPW_OK;
}

/* A rule's name: [A-Za-z0-9_.-], 1..MARKET_ALERT_NAME_SIZE − 1 bytes. */
static bool name_valid(const struct token *name)
{
    if (name->text_len == 0 || name->text_len >= MARKET_ALERT_NAME_SIZE) {
        return false;
    }
    for (size_t index = 0; index < name->text_len; index++) {
        char c = name->text[index];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* The tokens of a line, up to a `#` token (a comment); false beyond `max`. */
static bool line_tokens(const char *line, size_t line_len, struct token *tokens, size_t max,
                        size_t *count)
{
    *count = 0;
    size_t at = 0;
    for (;;) {
        while (at < line_len && (line[at] == ' ' || line[at] == '\t')) {
            at++;
        }
        if (at == line_len || line[at] == '#') {
            return true;
        }
        size_t start = at;
        while (at < line_len && line[at] != ' ' && line[at] != '\t') {
            at++;
        }
        if (*count == max) {
            return false;
        }
        tokens[(*count)++] = (struct token){line + start, at - start};
    }
}

static void rule_defaults(struct market_alert_rule *rule, uint32_t line_number)
{
    memset(rule, 0, sizeof(*rule));
    (void)memcpy(rule->venue_pattern, "*", 2);
    (void)memcpy(rule->symbol_pattern, "*", 2);
    rule->severity = MARKET_ALERT_WARNING;
    rule->cooldown_us = 60 * 1000000LL;
    rule->key_fields = MARKET_ALERT_KEY_RULE | MARKET_ALERT_KEY_VENUE | MARKET_ALERT_KEY_SYMBOL;
    rule->line_number = line_number;
}

/* One line into rules->rules[rules->rules_count] when it holds a rule. */
static enum tpw_err line_parse(struct market_alert_rules *rules, const char *line, size_t line_len,
                               uint32_t line_number, struct tpw_error_detail *detail)
{
    struct token tokens[KEY_COUNT + 3];
    size_t count = 0;
    struct line_parse parse = {NULL, line_number, detail, 0};
    struct token whole = {line, line_len < 40 ? line_len : 40};
    if (!line_tokens(line, line_len, tokens, KEY_COUNT + 2, &count)) {
        return line_error(&parse, "too many fields in", &whole);
    }
    if (count == 0) {
        return TPW_OK;
    }
    if (!token_is(&tokens[0], "rule") || count < 2) {
        return line_error(&parse, "a line is 'rule NAME field=value …', not", &whole);
    }
    if (!name_valid(&tokens[1])) {
        return line_error(&parse, "invalid rule name", &tokens[1]);
    }
    for (size_t index = 0; index < rules->rules_count; index++) {
        if (token_is(&tokens[1], rules->rules[index].name)) {
            return line_error(&parse, "rule defined twice", &tokens[1]);
        }
    }
    if (rules->rules_count == MARKET_ALERT_RULES_MAX) {
        return line_error(&parse, "too many rules (at most 64) at", &tokens[1]);
    }
    parse.rule = &rules->rules[rules->rules_count];
    rule_defaults(parse.rule, line_number);
    (void)memcpy(parse.rule->name, tokens[1].text, tokens[1].text_len);
    enum tpw_err err = TPW_OK;
    for (size_t index = 2; err == TPW_OK && index < count; index++) {
        err = field_parse(&parse, &tokens[index]);
    }
    err = err == TPW_OK ? rule_check(&parse, &tokens[1]) : err;
    if (err == TPW_OK) {
        rules->rules_count++;
    }
    return err;
}

enum tpw_err market_alert_rules_parse(const char *text, size_t text_len,
                                      struct market_alert_rules *out,
                                      struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    size_t at = 0;
    uint32_t line_number = 0;
    enum tpw_err err = TPW_OK;
    while (err == TPW_OK && at < text_len) {
        line_number++;
        const char *newline = memchr(text + at, '\n', text_len - at);
        size_t end = newline != NULL ? (size_t)(newline - text) : text_len;
        size_t line_len = end - at;
        line_len -= line_len > 0 && text[at + line_len - 1] == '\r' ? 1 : 0;
        if (line_len > MARKET_ALERT_LINE_MAX) {
            err = tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, line_number,
                                "line %u: longer than %u bytes", (unsigned)line_number,
                                (unsigned)MARKET_ALERT_LINE_MAX);
        } else if (memchr(text + at, '\0', line_len) != NULL) {
            err = tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, line_number,
                                "line %u: a NUL byte", (unsigned)line_number);
        } else {
            err = line_parse(out, text + at, line_len, line_number, detail);
        }
        at = end + 1;
    }
    if (err != TPW_OK) {
        memset(out, 0, sizeof(*out));
    }
    return err;
}

enum tpw_err market_alert_rules_load(const char *path, struct market_alert_rules *out,
                                     struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    char *text = NULL;
    size_t text_len = 0;
    enum tpw_err err = tpw_file_read(path, RULES_FILE_SIZE_MAX, TPW_ERR_INVALID_ARGUMENT, &text,
                                     &text_len, detail);
    if (err == TPW_OK) {
        err = market_alert_rules_parse(text, text_len, out, detail);
    }
    free(text);
    return err;
}

size_t market_alert_condition_format(const struct market_alert_rule *rule, char *buf, size_t size)
{
    static const char *const operands[] = {"value", "abs(value)", "z", "abs(z)"};
    static const char *const comparisons[] = {">=", ">", "<=", "<"};
    char threshold[MARKET_DECIMAL_TEXT_SIZE];
    if ((unsigned)rule->operand > 3 || (unsigned)rule->comparison > 3 ||
        market_decimal_format(&rule->threshold, threshold, sizeof(threshold)) == 0) {
        return 0;
    }
    int len = snprintf(buf, size, "%s%s%s", operands[rule->operand], comparisons[rule->comparison],
                       threshold);
    if (len < 0 || (size_t)len >= size) {
        if (size > 0) {
            buf[0] = '\0';
        }
        return 0;
    }
    return (size_t)len;
}
