/*
 * The shared portfolio options of portfolio_args.h.
 */
#include "portfolio_args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/*
 * Takes every `--prices V [V...]` out of argv (a list option the shared parser does not
 * have) into args->prices, leaving the rest in `rest` for cli_command_args. Returns
 * false with a usage message when there are too many.
 */
bool portfolio_args_take_prices(int argc, char **argv, struct portfolio_args *args, char **rest,
                                int *rest_count, const char **message)
{
    *rest_count = 0;
    bool taking = false;
    for (int index = 0; index < argc; index++) {
        const char *arg = argv[index];
        bool option = strncmp(arg, "--", 2) == 0;
        const char *value = NULL;
        if (strcmp(arg, "--prices") == 0) {
            taking = true;
            continue;
        }
        if (strncmp(arg, "--prices=", 9) == 0) {
            value = arg + 9;
            taking = true;
        } else if (taking && !option && index > 0) {
            value = arg;
        } else {
            taking = false;
            rest[(*rest_count)++] = argv[index];
            continue;
        }
        if (args->prices_count == PORTFOLIO_ASSETS_MAX) {
            *message = "too many --prices files (at most 16 assets)";
            return false;
        }
        args->prices[args->prices_count++] = value;
    }
    rest[*rest_count] = NULL;
    return true;
}

enum tpw_err portfolio_args_number(const char *text, const char *param, enum tpw_err code,
                                   double *out, struct tpw_error_detail *detail)
{
    char *end = NULL;
    errno = 0;
    *out = strtod(text, &end);
    tpw_error_set_param(detail, param);
    if (text[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(*out) ||
        strspn(text, "0123456789.eE+-") != strlen(text)) {
        return tpw_error_set(detail, code, 0, "--%s '%.40s' is not a number", param, text);
    }
    return TPW_OK;
}

enum tpw_err portfolio_args_double(const char *text, const char *param, double *out,
                                   struct tpw_error_detail *detail)
{
    return portfolio_args_number(text, param, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, out, detail);
}

enum tpw_err portfolio_args_count(const char *text, const char *param, uint64_t min, uint64_t max,
                                  uint64_t *out, struct tpw_error_detail *detail)
{
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    tpw_error_set_param(detail, param);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || value < min ||
        value > max) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                             "--%s '%.40s' is not a whole number from %llu to %llu", param, text,
                             (unsigned long long)min, (unsigned long long)max);
    }
    *out = value;
    return TPW_OK;
}

/* Splits "SYM=VALUE" at its '='; the symbol must fit a portfolio_asset. */
static enum tpw_err split_pair(const char *text, size_t len, const char *param,
                               char symbol[PORTFOLIO_SYMBOL_SIZE], const char **value,
                               struct tpw_error_detail *detail)
{
    const char *equals = memchr(text, '=', len);
    size_t symbol_len = equals != NULL ? (size_t)(equals - text) : 0;
    tpw_error_set_param(detail, param);
    if (equals == NULL || symbol_len == 0 || symbol_len >= PORTFOLIO_SYMBOL_SIZE) {
        return tpw_error_set(detail,
                             strcmp(param, "weights") == 0 ? TPW_ERR_PORTFOLIO_WEIGHT_INVALID
                                                           : TPW_ERR_USAGE,
                             0, "--%s '%.*s' is not SYM=VALUE (a symbol of 1 to 15 characters)",
                             param, (int)(len > 60 ? 60 : len), text);
    }
    memcpy(symbol, text, symbol_len);
    symbol[symbol_len] = '\0';
    *value = equals + 1;
    return TPW_OK;
}

static struct portfolio_asset *find_asset(struct portfolio_backtest_config *config,
                                          const char *symbol)
{
    for (size_t index = 0; index < config->assets_count; index++) {
        if (strcmp(config->assets[index].symbol, symbol) == 0) {
            return &config->assets[index];
        }
    }
    return NULL;
}

/* "BTC=0.6,ETH=0.3,USD=0.1" into the config's assets, in that order. */
static enum tpw_err parse_weights(const char *text, struct portfolio_backtest_config *config,
                                  struct tpw_error_detail *detail)
{
    for (const char *item = text; item != NULL;) {
        const char *comma = strchr(item, ',');
        size_t len = comma != NULL ? (size_t)(comma - item) : strlen(item);
        char symbol[PORTFOLIO_SYMBOL_SIZE];
        const char *value = NULL;
        enum tpw_err err = split_pair(item, len, "weights", symbol, &value, detail);
        if (err != TPW_OK) {
            return err;
        }
        if (find_asset(config, symbol) != NULL) {
            return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ASSET_DUPLICATE, 0,
                                 "'%s' has two weights", symbol);
        }
        if (config->assets_count == PORTFOLIO_ASSETS_MAX) {
            return tpw_error_set(detail, TPW_ERR_PORTFOLIO_TOO_MANY_ASSETS, 0,
                                 "more than %d weights", PORTFOLIO_ASSETS_MAX);
        }
        struct portfolio_asset *asset = &config->assets[config->assets_count++];
        (void)snprintf(asset->symbol, sizeof(asset->symbol), "%s", symbol);
        asset->series = NULL;
        err =
            portfolio_weight_parse(value, len - (size_t)(value - item), &asset->weight_e18, detail);
        if (err != TPW_OK) {
            return err;
        }
        item = comma != NULL ? comma + 1 : NULL;
    }
    return TPW_OK;
}

/* Loads each --prices file for the asset it names; storage[i] is asset i's series. */
static enum tpw_err load_prices(const struct portfolio_args *args,
                                struct portfolio_backtest_config *config,
                                struct portfolio_series storage[PORTFOLIO_ASSETS_MAX],
                                struct tpw_error_detail *detail)
{
    for (size_t index = 0; index < args->prices_count; index++) {
        char symbol[PORTFOLIO_SYMBOL_SIZE];
        const char *path = NULL;
        const char *text = args->prices[index];
        enum tpw_err err = split_pair(text, strlen(text), "prices", symbol, &path, detail);
        if (err != TPW_OK) {
            return err;
        }
        struct portfolio_asset *asset = find_asset(config, symbol);
        if (asset == NULL || (args->cash != NULL && strcmp(symbol, args->cash) == 0)) {
            return tpw_error_set(detail,
                                 asset == NULL ? TPW_ERR_PORTFOLIO_ASSET_NO_WEIGHT
                                               : TPW_ERR_PORTFOLIO_ASSET_DUPLICATE,
                                 0,
                                 asset == NULL ? "'%s' has prices but no weight"
                                               : "'%s' is the cash asset and has prices too",
                                 symbol);
        }
        if (asset->series != NULL) {
            return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ASSET_DUPLICATE, 0,
                                 "'%s' has two price files", symbol);
        }
        struct portfolio_series *series = &storage[asset - config->assets];
        err = portfolio_series_load(
            path, args->adjusted ? PORTFOLIO_CLOSE_ADJUSTED : PORTFOLIO_CLOSE_RAW, series, detail);
        if (err != TPW_OK) {
            return err;
        }
        asset->series = series;
    }
    return TPW_OK;
}

/* Every weighted asset has prices, except the cash asset, which must have a weight. */
static enum tpw_err check_pairs(const struct portfolio_args *args,
                                struct portfolio_backtest_config *config,
                                struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, "weights");
    if (args->cash != NULL && find_asset(config, args->cash) == NULL) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ASSET_NO_WEIGHT, 0,
                             "the cash asset '%.20s' has no weight", args->cash);
    }
    for (size_t index = 0; index < config->assets_count; index++) {
        const struct portfolio_asset *asset = &config->assets[index];
        bool cash = args->cash != NULL && strcmp(asset->symbol, args->cash) == 0;
        if (asset->series == NULL && !cash) {
            return tpw_error_set(detail, TPW_ERR_PORTFOLIO_ASSET_NO_PRICES, 0,
                                 "'%s' has a weight but no --prices file (nor is it --cash)",
                                 asset->symbol);
        }
    }
    return TPW_OK;
}

enum tpw_err portfolio_args_load(const struct portfolio_args *args,
                                 struct portfolio_backtest_config *config,
                                 struct portfolio_series storage[PORTFOLIO_ASSETS_MAX],
                                 struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, "weights");
    enum tpw_err err = parse_weights(args->weights, config, detail);
    if (err == TPW_OK) {
        err = load_prices(args, config, storage, detail);
    }
    if (err == TPW_OK) {
        err = check_pairs(args, config, detail);
    }
    return err;
}
