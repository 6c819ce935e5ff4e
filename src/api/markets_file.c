/*
 * The markets file (docs/formats/markets.md): `[watch]` sections of `key = value`
 * lines, one per watch — a venue, its sources, thresholds, and `symbol = SYMBOL BASE
 * QUOTE` lines naming each instrument with the assets it prices. The watch's own keys
 * are `tpwallet market watch`'s options and are read by the same function
 * (market_watch_config_from_texts); this file adds the sections, the symbols' assets and
 * the server's own key. Every refusal names its line, and a file is taken whole or not
 * at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "markets.h"
#include "tpw_assert.h"

#include "banned.h"

/* The keys a section takes besides `symbol`: the watch's (in struct market_watch_texts
 * order, `symbols` left out: a file names them one `symbol` line each), then the
 * server's. */
enum key {
    K_VENUE,
    K_PRIMARY,
    K_PRIMARY_REST,
    K_BACKUP,
    K_BACKUP_REST,
    K_STALE_MS,
    K_HYSTERESIS_MS,
    K_GAPS_MAX,
    K_GAP_WINDOW_MS,
    K_SNAPSHOT_TIMEOUT_MS,
    K_RECONNECT_MS,
    K_LIMIT,
    K_QUOTE_SIGNALS_PER_S,
    K_ALERTS,
    K_COUNT
};

static const char *const key_names[K_COUNT] = {"venue",
                                               "primary",
                                               "primary_rest",
                                               "backup",
                                               "backup_rest",
                                               "stale_ms",
                                               "hysteresis_ms",
                                               "gaps_max",
                                               "gap_window_ms",
                                               "snapshot_timeout_ms",
                                               "reconnect_ms",
                                               "limit",
                                               "quote_signals_per_s",
                                               "alerts"};

/* The section being read. */
struct section {
    char values[K_COUNT][MARKET_URL_SIZE];
    unsigned key_lines[K_COUNT];                                 /* 0: not given */
    char symbols[MARKET_WATCH_SYMBOLS_MAX * MARKET_SYMBOL_SIZE]; /* "A,B,…" */
    unsigned symbol_lines[MARKET_WATCH_SYMBOLS_MAX];
    char base[MARKET_WATCH_SYMBOLS_MAX][FX_CODE_SIZE];
    char quote[MARKET_WATCH_SYMBOLS_MAX][FX_CODE_SIZE];
    size_t symbols_count;
    unsigned line;         /* of `[watch]`; 0 before the first */
    const char *file_path; /* the markets file's, for the paths it names */
};

static enum tpw_err refuse(struct tpw_error_detail *detail, unsigned line, const char *why)
{
    tpw_error_set_param(detail, "markets");
    return tpw_error_set(detail, TPW_ERR_MARKETS_CONFIG_INVALID, line, "markets file line %u: %s",
                         line, why);
}

/* A code of the money module's form (the FX aggregator's), into `out`. */
static bool code_take(const char *text, size_t length, char out[FX_CODE_SIZE])
{
    if (length == 0 || length >= FX_CODE_SIZE || !money_asset_code_valid(text, length)) {
        return false;
    }
    memcpy(out, text, length);
    out[length] = '\0';
    return true;
}

/* `SYMBOL BASE QUOTE`: three words; the symbol as the venue spells it. */
static enum tpw_err symbol_line(struct section *section, const char *value, unsigned line,
                                struct tpw_error_detail *detail)
{
    const char *words[3];
    size_t lengths[3];
    const char *at = value;
    for (size_t i = 0; i < 3; i++) {
        at += strspn(at, " \t");
        words[i] = at;
        lengths[i] = strcspn(at, " \t");
        at += lengths[i];
    }
    size_t index = section->symbols_count;
    if (index == MARKET_WATCH_SYMBOLS_MAX) {
        return refuse(detail, line, "a watch follows at most 16 symbols (start another [watch])");
    }
    if (lengths[0] == 0 || lengths[0] >= MARKET_SYMBOL_SIZE ||
        memchr(value, ',', lengths[0]) != NULL || at[strspn(at, " \t")] != '\0' ||
        !code_take(words[1], lengths[1], section->base[index]) ||
        !code_take(words[2], lengths[2], section->quote[index])) {
        return refuse(detail, line,
                      "symbol = SYMBOL BASE QUOTE (e.g. BTCUSDT BTC USDT): a symbol of 1 to "
                      "31 bytes, two asset codes");
    }
    if (strcmp(section->base[index], section->quote[index]) == 0) {
        return refuse(detail, line, "a symbol prices one asset in another: BASE and QUOTE differ");
    }
    size_t used = strlen(section->symbols);
    TPW_ASSERT(used + lengths[0] + 2 <= sizeof section->symbols);
    (void)snprintf(section->symbols + used, sizeof section->symbols - used, "%s%.*s",
                   used > 0 ? "," : "", (int)lengths[0], words[0]);
    section->symbol_lines[index] = line;
    section->symbols_count++;
    return TPW_OK;
}

static enum tpw_err key_line(struct section *section, const char *key, const char *value,
                             unsigned line, struct tpw_error_detail *detail)
{
    if (value[0] == '\0') {
        return refuse(detail, line, "a key needs a value");
    }
    if (strcmp(key, "symbol") == 0) {
        return symbol_line(section, value, line, detail);
    }
    for (size_t k = 0; k < K_COUNT; k++) {
        if (strcmp(key, key_names[k]) != 0) {
            continue;
        }
        if (section->key_lines[k] != 0) {
            return refuse(detail, line, "a key given twice in one [watch]");
        }
        if (strlen(value) >= MARKET_URL_SIZE) {
            return refuse(detail, line, "a value longer than 511 bytes");
        }
        memcpy(section->values[k], value, strlen(value) + 1);
        section->key_lines[k] = line;
        return TPW_OK;
    }
    char why[128];
    (void)snprintf(why, sizeof why, "unknown key \"%.40s\"%s", key,
                   strcmp(key, "symbols") == 0 ? ": one line each, symbol = SYMBOL BASE QUOTE"
                                               : "");
    return refuse(detail, line, why);
}

static const char *value_of(const struct section *section, enum key k)
{
    return section->key_lines[k] != 0 ? section->values[k] : NULL;
}

/* The line that set `param` (market_watch_config_from_texts's key), else the section's. */
static unsigned param_line(const struct section *section, const char *param)
{
    for (size_t k = 0; k < K_COUNT; k++) {
        if (strcmp(param, key_names[k]) == 0 && section->key_lines[k] != 0) {
            return section->key_lines[k];
        }
    }
    return section->line;
}

static enum tpw_err quotes_rate(const struct section *section, unsigned *out,
                                struct tpw_error_detail *detail)
{
    const char *text = value_of(section, K_QUOTE_SIGNALS_PER_S);
    tpw_u128 value = API_MARKETS_QUOTES_PER_S_DEFAULT;
    if (text != NULL && (tpw_u128_from_dec(text, strlen(text), &value) != TPW_OK ||
                         value > API_MARKETS_QUOTES_PER_S_MAX)) {
        return refuse(detail, section->key_lines[K_QUOTE_SIGNALS_PER_S],
                      "quote_signals_per_s: a whole number from 0 to 100");
    }
    *out = (unsigned)value;
    return TPW_OK;
}

/* `alerts = RULES`: the monitor's alert rules (docs/formats/market-alerts.md), a path
 * relative to the markets file's directory unless absolute; read now, so that a rules
 * file that does not parse stops the start with its line. */
static enum tpw_err alert_rules(const struct section *section, struct api_watch_spec *out,
                                struct tpw_error_detail *detail)
{
    const char *rules = value_of(section, K_ALERTS);
    if (rules == NULL) {
        return TPW_OK;
    }
    char path[2 * MARKET_URL_SIZE];
    const char *slash = strrchr(section->file_path, '/');
    int length = rules[0] == '/' || slash == NULL
                     ? snprintf(path, sizeof path, "%s", rules)
                     : snprintf(path, sizeof path, "%.*s/%s", (int)(slash - section->file_path),
                                section->file_path, rules);
    if (length < 0 || (size_t)length >= sizeof path) {
        return refuse(detail, section->key_lines[K_ALERTS], "alerts: the path is too long");
    }
    struct tpw_error_detail why;
    tpw_error_detail_reset(&why);
    if (market_alert_rules_load(path, &out->alerts, &why) != TPW_OK) {
        char message[sizeof why.message + 128];
        (void)snprintf(message, sizeof message, "alerts %.100s: %s", rules, why.message);
        return refuse(detail, section->key_lines[K_ALERTS], message);
    }
    out->has_alerts = true;
    return TPW_OK;
}

/* The section's watch: its config through the shared reader, its assets. */
static enum tpw_err section_end(const struct section *section, struct api_watch_spec *out,
                                struct tpw_error_detail *detail)
{
    const struct market_watch_texts texts = {value_of(section, K_VENUE),
                                             section->symbols_count > 0 ? section->symbols : NULL,
                                             value_of(section, K_PRIMARY),
                                             value_of(section, K_PRIMARY_REST),
                                             value_of(section, K_BACKUP),
                                             value_of(section, K_BACKUP_REST),
                                             value_of(section, K_STALE_MS),
                                             value_of(section, K_HYSTERESIS_MS),
                                             value_of(section, K_GAPS_MAX),
                                             value_of(section, K_GAP_WINDOW_MS),
                                             value_of(section, K_SNAPSHOT_TIMEOUT_MS),
                                             value_of(section, K_RECONNECT_MS),
                                             value_of(section, K_LIMIT)};
    struct tpw_error_detail why;
    tpw_error_detail_reset(&why);
    if (market_watch_config_from_texts(&texts, &out->config, &why) != TPW_OK) {
        return refuse(detail, param_line(section, why.param), why.message);
    }
    if (strlen(out->config.venue) >= FX_PROVIDER_NAME_SIZE) {
        return refuse(detail, section->key_lines[K_VENUE],
                      "venue: at most 23 bytes (its lowercase name is the FX provider's)");
    }
    TPW_ASSERT(out->config.symbols_count == section->symbols_count);
    memcpy(out->base, section->base, sizeof out->base);
    memcpy(out->quote, section->quote, sizeof out->quote);
    out->line = section->line;
    enum tpw_err err = quotes_rate(section, &out->quotes_per_s, detail);
    return err == TPW_OK ? alert_rules(section, out, detail) : err;
}

/* An instrument is one venue's symbol: two watches may not both follow it. */
static enum tpw_err instruments_unique(const struct api_markets_file *file,
                                       const struct section *section,
                                       struct tpw_error_detail *detail)
{
    const struct api_watch_spec *last = &file->watches[file->watches_count - 1];
    for (size_t s = 0; s < last->config.symbols_count; s++) {
        for (size_t w = 0; w < file->watches_count; w++) {
            const struct market_watch_config *other = &file->watches[w].config;
            size_t end = w + 1 == file->watches_count ? s : other->symbols_count;
            for (size_t o = 0; o < end; o++) {
                if (strcmp(other->venue, last->config.venue) == 0 &&
                    strcmp(other->symbols[o], last->config.symbols[s]) == 0) {
                    return refuse(detail, section->symbol_lines[s],
                                  "this venue's symbol is followed already");
                }
            }
        }
    }
    return TPW_OK;
}

static enum tpw_err section_close(struct api_markets_file *file, const struct section *section,
                                  struct tpw_error_detail *detail)
{
    if (section->line == 0) {
        return TPW_OK; /* nothing before the first [watch] */
    }
    TPW_ASSERT(file->watches_count < API_MARKETS_WATCHES_MAX);
    enum tpw_err err = section_end(section, &file->watches[file->watches_count], detail);
    if (err == TPW_OK) {
        file->watches_count++;
        err = instruments_unique(file, section, detail);
    }
    return err;
}

static enum tpw_err file_line(struct api_markets_file *file, struct section *section, char *raw,
                              unsigned line, struct tpw_error_detail *detail)
{
    char *key = NULL;
    char *text = NULL;
    if (!api_settings_line(raw, &key, &text)) {
        return TPW_OK;
    }
    if (key == NULL && text[0] == '[') {
        if (strcmp(text, "[watch]") != 0) {
            return refuse(detail, line, "the only section is [watch]");
        }
        enum tpw_err err = section_close(file, section, detail);
        if (err == TPW_OK && file->watches_count == API_MARKETS_WATCHES_MAX) {
            err = refuse(detail, line, "at most 8 watches");
        }
        const char *file_path = section->file_path;
        memset(section, 0, sizeof *section);
        section->line = line;
        section->file_path = file_path;
        return err;
    }
    if (key == NULL) {
        return refuse(detail, line, "expected key = value or [watch]");
    }
    if (section->line == 0) {
        return refuse(detail, line, "a key before the first [watch]");
    }
    return key_line(section, key, text, line, detail);
}

/* Line by line; a line too long for the buffer is refused rather than split. */
static enum tpw_err file_lines(FILE *stream, struct api_markets_file *file, struct section *section,
                               struct tpw_error_detail *detail)
{
    char raw[API_MARKETS_LINE_SIZE];
    unsigned line = 0;
    enum tpw_err err = TPW_OK;
    while (err == TPW_OK && fgets(raw, sizeof raw, stream) != NULL) {
        line++;
        size_t length = strlen(raw);
        if (length == sizeof raw - 1 && raw[length - 1] != '\n' && !feof(stream)) {
            return refuse(detail, line, "a line longer than 1023 bytes");
        }
        err = file_line(file, section, raw, line, detail);
    }
    if (err == TPW_OK && ferror(stream)) {
        err = refuse(detail, line, "the file could not be read to its end");
    }
    if (err == TPW_OK) {
        err = section_close(file, section, detail);
    }
    if (err == TPW_OK && file->watches_count == 0) {
        tpw_error_set_param(detail, "markets");
        err = tpw_error_set(detail, TPW_ERR_MARKETS_CONFIG_INVALID, 0,
                            "markets file: no [watch] section in its %u lines", line);
    }
    return err;
}

enum tpw_err api_markets_file_read(const char *path, struct api_markets_file *out,
                                   struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof *out);
    FILE *stream = fopen(path, "r");
    if (stream == NULL) {
        tpw_error_set_param(detail, "markets");
        return tpw_error_set(detail, TPW_ERR_NOT_FOUND, 0, "cannot open the markets file %.120s",
                             path);
    }
    struct section *section = calloc(1, sizeof *section);
    if (section != NULL) {
        section->file_path = path;
    }
    enum tpw_err err = section != NULL ? file_lines(stream, out, section, detail)
                                       : tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    free(section);
    (void)fclose(stream);
    if (err != TPW_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}
