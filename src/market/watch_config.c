/*
 * A watch's settings from text: what `tpwallet market watch` takes as options and a
 * markets file (docs/formats/markets.md, read by `tpwallet serve`) takes as keys. One
 * reader for both, so a threshold means the same and is checked the same wherever it
 * is written. Errors name the setting as the file spells it (detail->param); the CLI
 * turns that into its own wording. Which venues run live, and whether a URL's scheme
 * is one the connections take, stays market_watch_create's to say.
 */
#include <stdio.h>
#include <string.h>

#include "market_limits.h"
#include "tpwallet/market.h"

#include "banned.h"

bool market_ms_text_us(const char *text, uint64_t max_ms, bool zero_ok, int64_t *out_us)
{
    if (text == NULL) {
        return true;
    }
    tpw_u128 value_ms = 0;
    if (tpw_u128_from_dec(text, strlen(text), &value_ms) != TPW_OK || value_ms > max_ms ||
        (value_ms == 0 && !zero_ok)) {
        return false;
    }
    *out_us = (int64_t)value_ms * 1000;
    return true;
}

static enum tpw_err refuse(struct tpw_error_detail *detail, const char *param, const char *why)
{
    tpw_error_set_param(detail, param);
    return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "%s: %s", param, why);
}

/* Splits "A,B,C" into the config's symbols; false when empty, too many or too long. */
static bool symbols_parse(const char *text, struct market_watch_config *config)
{
    config->symbols_count = 0;
    while (*text != '\0') {
        size_t len = strcspn(text, ",");
        if (len == 0 || len >= MARKET_SYMBOL_SIZE ||
            config->symbols_count == MARKET_WATCH_SYMBOLS_MAX) {
            return false;
        }
        (void)memcpy(config->symbols[config->symbols_count], text, len);
        config->symbols[config->symbols_count++][len] = '\0';
        text += len + (text[len] == ',' ? 1 : 0);
    }
    return config->symbols_count > 0;
}

static bool url_copy(char dst[MARKET_URL_SIZE], const char *url)
{
    return url != NULL && strlen(url) < MARKET_URL_SIZE &&
           (size_t)snprintf(dst, MARKET_URL_SIZE, "%s", url) < MARKET_URL_SIZE;
}

/* The primary's two URLs, and the backup's when either is given (then both are). */
static enum tpw_err sources_set(const struct market_watch_texts *texts,
                                struct market_watch_config *config, struct tpw_error_detail *detail)
{
    const char *why = "a URL is needed, shorter than 512 bytes";
    if (!url_copy(config->sources[MARKET_SOURCE_PRIMARY].ws_url, texts->primary)) {
        return refuse(detail, "primary", why);
    }
    if (!url_copy(config->sources[MARKET_SOURCE_PRIMARY].rest_url, texts->primary_rest)) {
        return refuse(detail, "primary_rest", why);
    }
    config->sources_count = 1;
    if (texts->backup == NULL && texts->backup_rest == NULL) {
        return TPW_OK;
    }
    if (!url_copy(config->sources[MARKET_SOURCE_BACKUP].ws_url, texts->backup)) {
        return refuse(detail, "backup", "a backup_rest needs a backup stream URL under 512 bytes");
    }
    if (!url_copy(config->sources[MARKET_SOURCE_BACKUP].rest_url, texts->backup_rest)) {
        return refuse(detail, "backup_rest", "a backup needs a snapshot URL under 512 bytes");
    }
    config->sources_count = 2;
    return TPW_OK;
}

/* A count 1..max, or absent (*out unchanged). */
static bool count_text(const char *text, uint64_t max, uint32_t *out)
{
    tpw_u128 value = 0;
    if (text == NULL) {
        return true;
    }
    if (tpw_u128_from_dec(text, strlen(text), &value) != TPW_OK || value == 0 || value > max) {
        return false;
    }
    *out = (uint32_t)value;
    return true;
}

static enum tpw_err numbers_set(const struct market_watch_texts *texts,
                                struct market_watch_config *config, struct tpw_error_detail *detail)
{
    const char *ms = "whole milliseconds above 0, at most 7 days";
    struct market_failover_config *failover = &config->failover;
    if (!market_ms_text_us(texts->stale_ms, MARKET_WATCH_MS_MAX, false,
                           &failover->stale_after_us)) {
        return refuse(detail, "stale_ms", ms);
    }
    if (!market_ms_text_us(texts->hysteresis_ms, MARKET_WATCH_MS_MAX, true,
                           &failover->hysteresis_us)) {
        return refuse(detail, "hysteresis_ms", "whole milliseconds, at most 7 days");
    }
    if (!market_ms_text_us(texts->gap_window_ms, MARKET_WATCH_MS_MAX, false,
                           &failover->gap_window_us)) {
        return refuse(detail, "gap_window_ms", ms);
    }
    if (!market_ms_text_us(texts->snapshot_timeout_ms, MARKET_WATCH_MS_MAX, false,
                           &config->snapshot_timeout_us)) {
        return refuse(detail, "snapshot_timeout_ms", ms);
    }
    if (!market_ms_text_us(texts->reconnect_ms, MARKET_WATCH_MS_MAX, false,
                           &config->reconnect_us)) {
        return refuse(detail, "reconnect_ms", ms);
    }
    if (!count_text(texts->gaps_max, UINT32_MAX, &failover->gaps_max)) {
        return refuse(detail, "gaps_max", "a whole number above 0");
    }
    if (!count_text(texts->limit, MARKET_LIVE_SNAPSHOT_LIMIT_MAX, &config->snapshot_limit)) {
        return refuse(detail, "limit", "a whole number of levels from 1 to 5000");
    }
    return TPW_OK;
}

enum tpw_err market_watch_config_from_texts(const struct market_watch_texts *texts,
                                            struct market_watch_config *config,
                                            struct tpw_error_detail *detail)
{
    market_watch_config_defaults(config);
    if (texts->venue == NULL || texts->venue[0] == '\0' ||
        strlen(texts->venue) >= sizeof(config->venue)) {
        return refuse(detail, "venue", "a venue name of 1 to 31 bytes");
    }
    (void)memcpy(config->venue, texts->venue, strlen(texts->venue) + 1);
    if (texts->symbols == NULL || !symbols_parse(texts->symbols, config)) {
        return refuse(detail, "symbols", "1 to 16 symbols, each shorter than 32 bytes");
    }
    enum tpw_err err = sources_set(texts, config, detail);
    return err == TPW_OK ? numbers_set(texts, config, detail) : err;
}
