/*
 * POST /v1/backtests: the reference calendar/threshold backtest (docs/portfolio.md) over
 * daily closes sent in the request — one CSV text per symbol, the same files `tpwallet
 * backtest --prices` reads — answered with the metrics `tpwallet backtest --json`
 * prints (api_backtest_json). Nothing is stored: a backtest changes no state, so any
 * key may run one. Bounded by the body limit and the library's own bounds (16 assets,
 * PORTFOLIO_FILE_BYTES_MAX a series); a 10-year daily run takes well under a
 * millisecond (bench/RESULTS.md), so it runs on the request's thread.
 */
#include <math.h>
#include <string.h>

#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

/* Statistics at 12 significant digits, as the CLI prints them. */
#define BACKTEST_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

struct backtest_input {
    struct portfolio_backtest_config config;
    struct portfolio_series series[PORTFOLIO_ASSETS_MAX];
    const char *cash;
};

static void input_deinit(struct backtest_input *input)
{
    for (size_t i = 0; i < PORTFOLIO_ASSETS_MAX; i++) {
        portfolio_series_deinit(&input->series[i]);
    }
}

/* `err` (already set in `detail` by tpw_error_set) with `param` named. */
static enum tpw_err refuse(struct tpw_error_detail *detail, const char *param, enum tpw_err err)
{
    tpw_error_set_param(detail, param);
    return err;
}

static struct portfolio_asset *asset_find(struct portfolio_backtest_config *config,
                                          const char *symbol)
{
    for (size_t i = 0; i < config->assets_count; i++) {
        if (strcmp(config->assets[i].symbol, symbol) == 0) {
            return &config->assets[i];
        }
    }
    return NULL;
}

/* "weights": {"SPY":"0.6",…}, in their order; each an exact decimal. */
static enum tpw_err weights_read(json_t *weights, struct portfolio_backtest_config *config,
                                 struct tpw_error_detail *detail)
{
    if (!json_is_object(weights) || json_object_size(weights) == 0) {
        return refuse(detail, "weights",
                      tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                                    "weights: an object of symbol → decimal weight"));
    }
    const char *symbol = NULL;
    json_t *value = NULL;
    json_object_foreach(weights, symbol, value)
    {
        if (strlen(symbol) == 0 || strlen(symbol) >= PORTFOLIO_SYMBOL_SIZE) {
            return refuse(detail, "weights",
                          tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                                        "weights: '%.20s' is not a symbol of 1 to 15 characters",
                                        symbol));
        }
        if (config->assets_count == PORTFOLIO_ASSETS_MAX) {
            return refuse(detail, "weights",
                          tpw_error_set(detail, TPW_ERR_PORTFOLIO_TOO_MANY_ASSETS, 0,
                                        "more than 16 weights"));
        }
        const char *text = json_string_value(value);
        if (text == NULL) {
            return refuse(detail, "weights",
                          tpw_error_set(detail, TPW_ERR_PORTFOLIO_WEIGHT_INVALID, 0,
                                        "weights.%s: a decimal string (\"0.25\")", symbol));
        }
        struct portfolio_asset *asset = &config->assets[config->assets_count++];
        memcpy(asset->symbol, symbol, strlen(symbol) + 1);
        enum tpw_err err = portfolio_weight_parse(text, strlen(text), &asset->weight_e18, detail);
        if (err != TPW_OK) {
            tpw_error_set_param(detail, "weights");
            return err;
        }
    }
    return TPW_OK;
}

/* "prices": {"SPY":"Date,Close\n…",…}: each weighted symbol but the cash asset's. */
static enum tpw_err prices_read(json_t *prices, enum portfolio_close close,
                                struct backtest_input *input, struct tpw_error_detail *detail)
{
    if (!json_is_object(prices)) {
        return refuse(detail, "prices",
                      tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                                    "prices: an object of symbol → CSV text"));
    }
    const char *symbol = NULL;
    json_t *value = NULL;
    json_object_foreach(prices, symbol, value)
    {
        struct portfolio_asset *asset = asset_find(&input->config, symbol);
        if (asset == NULL) {
            return refuse(detail, "prices",
                          tpw_error_set(detail, TPW_ERR_PORTFOLIO_ASSET_NO_WEIGHT, 0,
                                        "'%.20s' has prices but no weight", symbol));
        }
        if (input->cash != NULL && strcmp(symbol, input->cash) == 0) {
            return refuse(detail, "prices",
                          tpw_error_set(detail, TPW_ERR_PORTFOLIO_ASSET_DUPLICATE, 0,
                                        "'%.20s' is the cash asset and has prices too", symbol));
        }
        if (!json_is_string(value)) {
            return refuse(detail, "prices",
                          tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                                        "prices.%.20s: the CSV text of its daily closes", symbol));
        }
        struct portfolio_series *series = &input->series[asset - input->config.assets];
        enum tpw_err err = portfolio_series_parse(json_string_value(value),
                                                  json_string_length(value), close, series, detail);
        if (err != TPW_OK) {
            tpw_error_set_param(detail, "prices");
            return err;
        }
        asset->series = series;
    }
    for (size_t i = 0; i < input->config.assets_count; i++) {
        const struct portfolio_asset *asset = &input->config.assets[i];
        bool cash = input->cash != NULL && strcmp(asset->symbol, input->cash) == 0;
        if (asset->series == NULL && !cash) {
            return refuse(detail, "prices",
                          tpw_error_set(detail, TPW_ERR_PORTFOLIO_ASSET_NO_PRICES, 0,
                                        "'%s' has a weight but no prices (nor is it the cash "
                                        "asset)",
                                        asset->symbol));
        }
    }
    return TPW_OK;
}

/* A number field in [min, max] (absent: `fallback`). */
static enum tpw_err number_read(json_t *body, const char *field, double min, double max,
                                double fallback, double *out, struct tpw_error_detail *detail)
{
    json_t *value = json_object_get(body, field);
    *out = value == NULL || json_is_null(value) ? fallback : json_number_value(value);
    if ((value != NULL && !json_is_null(value) && !json_is_number(value)) || !isfinite(*out) ||
        *out < min || *out > max) {
        (void)tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                            "%s: a number from %g to %g", field, min, max);
        tpw_error_set_param(detail, field);
        return TPW_ERR_PORTFOLIO_PARAMETER_INVALID;
    }
    return TPW_OK;
}

static enum tpw_err policy_read(json_t *body, struct portfolio_backtest_config *config,
                                struct tpw_error_detail *detail)
{
    /* Absent: NULL, and then the CLI's defaults (monthly, fixed). */
    const char *check = NULL;
    const char *targets = NULL;
    enum tpw_err err = api_body_string(body, "check", false, &check, detail);
    if (err == TPW_OK) {
        tpw_error_set_param(detail, "check");
        err = portfolio_check_parse(check != NULL ? check : "monthly", &config->check, detail);
    }
    if (err == TPW_OK) {
        err = api_body_string(body, "targets", false, &targets, detail);
    }
    if (err == TPW_OK) {
        tpw_error_set_param(detail, "targets");
        err =
            portfolio_targets_parse(targets != NULL ? targets : "fixed", &config->targets, detail);
    }
    double periods = 0;
    if (err == TPW_OK) {
        err = number_read(body, "threshold", 0, 1, 0, &config->threshold, detail);
    }
    if (err == TPW_OK) {
        err = number_read(body, "cost_bps", 0, 1000, 0, &config->cost_bps, detail);
    }
    if (err == TPW_OK) {
        err = number_read(body, "ewma_lambda", 0, 0.999999, 0, &config->ewma_lambda, detail);
    }
    if (err == TPW_OK) {
        err = number_read(body, "periods_per_year", 1, 366, 365, &periods, detail);
    }
    if (err == TPW_OK && periods != floor(periods)) {
        err = refuse(detail, "periods_per_year",
                     tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                                   "periods_per_year: a whole number from 1 to 366"));
    }
    config->periods_per_year = (unsigned)periods;
    return err;
}

static const char *const fields[] = {"prices",           "weights",  "cash",    "check",
                                     "threshold",        "cost_bps", "targets", "ewma_lambda",
                                     "periods_per_year", "adj_close"};

static enum tpw_err input_read(json_t *body, struct backtest_input *input,
                               struct tpw_error_detail *detail)
{
    enum tpw_err err = api_check_fields(body, fields, sizeof fields / sizeof fields[0], detail);
    if (err != TPW_OK) {
        return err;
    }
    json_t *adjusted = json_object_get(body, "adj_close");
    if (adjusted != NULL && !json_is_boolean(adjusted) && !json_is_null(adjusted)) {
        return refuse(
            detail, "adj_close",
            tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "adj_close: true or false"));
    }
    err = api_body_string(body, "cash", false, &input->cash, detail);
    if (err == TPW_OK) {
        err = weights_read(json_object_get(body, "weights"), &input->config, detail);
    }
    if (err == TPW_OK && input->cash != NULL && asset_find(&input->config, input->cash) == NULL) {
        err = refuse(detail, "cash",
                     tpw_error_set(detail, TPW_ERR_PORTFOLIO_ASSET_NO_WEIGHT, 0,
                                   "the cash asset '%.20s' has no weight", input->cash));
    }
    if (err == TPW_OK) {
        err = prices_read(json_object_get(body, "prices"),
                          json_is_true(adjusted) ? PORTFOLIO_CLOSE_ADJUSTED : PORTFOLIO_CLOSE_RAW,
                          input, detail);
    }
    return err == TPW_OK ? policy_read(body, &input->config, detail) : err;
}

void api_backtests_create(struct api_request *request, const char *id_text)
{
    (void)id_text;
    json_t *body = api_body_object(request);
    if (body == NULL) {
        return;
    }
    struct backtest_input input = {0};
    struct portfolio_backtest_result result;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = input_read(body, &input, &detail);
    if (err == TPW_OK) {
        /* As the CLI names them: the run's refusals are of the series but the sum's. */
        tpw_error_set_param(&detail, "prices");
        err = portfolio_backtest_run(&input.config, &result, &detail);
        if (err == TPW_ERR_PORTFOLIO_WEIGHTS_SUM) {
            tpw_error_set_param(&detail, "weights");
        }
    }
    if (err == TPW_OK) {
        json_t *reply = api_backtest_json(&input.config, &result);
        if (reply != NULL) {
            (void)json_object_set_new(reply, "object", json_string("backtest"));
        }
        api_reply_json_flags(request, 200, reply, BACKTEST_JSON_FLAGS);
    } else {
        api_reply_error(request, err, &detail);
    }
    input_deinit(&input);
    json_decref(body);
}
