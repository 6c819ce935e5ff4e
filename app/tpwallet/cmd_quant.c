/*
 * `tpwallet quant price` and `tpwallet quant iv`: European option values, greeks and
 * implied volatility from the command line. Wiring only: the model and the solver live
 * in the quant module (docs/quant.md); this file parses the numbers, picks the model's
 * yield (Black-76 uses q = r) and prints the result.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tpwallet/quant.h"

#include "banned.h"

const char cmd_quant_usage[] =
    "usage: tpwallet quant price --type call|put --spot S --strike K --time T --rate R\n"
    "                            [--yield Q] [--model bsm|black76] --vol SIGMA [--json]\n"
    "       tpwallet quant iv    --type call|put --spot S --strike K --time T --rate R\n"
    "                            [--yield Q] [--model bsm|black76] --price P [--json]\n"
    "Generalized Black-Scholes-Merton: continuous rate R and yield Q (a dividend yield, or\n"
    "the foreign rate for Garman-Kohlhagen FX options). --model black76 prices an option on\n"
    "a future whose price is --spot (Q = R; --yield is refused). T is in years; vega and\n"
    "rho are per 1.00, theta per year and per day (/365).\n";

/* The option text as given; numbers are parsed after the options are known. */
struct quant_texts {
    const char *type, *spot, *strike, *time, *rate, *yield, *model, *vol, *price;
};

/* A finite number with nothing after it; `param` names the option in the error. */
static enum tpw_err parse_number(const char *text, const char *param, double *out,
                                 struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, param);
    if (text == NULL) {
        return tpw_error_set(detail, TPW_ERR_USAGE, 0, "--%s is required", param);
    }
    char *end = NULL;
    double value = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(value)) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "--%s '%.40s' is not a number",
                             param, text);
    }
    *out = value;
    return TPW_OK;
}

static enum tpw_err parse_option(const struct quant_texts *texts, struct quant_option *option,
                                 struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, "type");
    if (texts->type == NULL ||
        (strcmp(texts->type, "call") != 0 && strcmp(texts->type, "put") != 0)) {
        return tpw_error_set(detail, TPW_ERR_USAGE, 0, "--type is 'call' or 'put'");
    }
    option->type = strcmp(texts->type, "call") == 0 ? QUANT_CALL : QUANT_PUT;
    bool black76 = strcmp(texts->model, "black76") == 0;
    tpw_error_set_param(detail, "model");
    if (!black76 && strcmp(texts->model, "bsm") != 0) {
        return tpw_error_set(detail, TPW_ERR_USAGE, 0, "--model is 'bsm' or 'black76'");
    }
    if (black76 && texts->yield != NULL) {
        return tpw_error_set(detail, TPW_ERR_USAGE, 0,
                             "--model black76 sets the yield to the rate");
    }
    enum tpw_err err = parse_number(texts->spot, "spot", &option->spot, detail);
    if (err == TPW_OK) {
        err = parse_number(texts->strike, "strike", &option->strike, detail);
    }
    if (err == TPW_OK) {
        err = parse_number(texts->time, "time", &option->time_years, detail);
    }
    if (err == TPW_OK) {
        err = parse_number(texts->rate, "rate", &option->rate, detail);
    }
    option->yield = black76 ? option->rate : 0.0;
    if (err == TPW_OK && texts->yield != NULL) {
        err = parse_number(texts->yield, "yield", &option->yield, detail);
    }
    return err;
}

static json_t *option_json(const struct quant_texts *texts, const struct quant_option *option)
{
    return json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:f}", "model", texts->model, "type",
                     quant_option_type_name(option->type), "spot", option->spot, "strike",
                     option->strike, "time_years", option->time_years, "rate", option->rate,
                     "yield", option->yield);
}

static int quant_price(struct cli *cli, const struct quant_texts *texts,
                       struct tpw_error_detail *detail)
{
    struct quant_option option = {.type = QUANT_CALL};
    enum tpw_err err = parse_option(texts, &option, detail);
    if (err == TPW_OK) {
        err = parse_number(texts->vol, "vol", &option.volatility, detail);
    }
    struct quant_greeks greeks;
    if (err == TPW_OK) {
        tpw_error_set_param(detail, "");
        err = quant_option_greeks(&option, &greeks);
    }
    if (err != TPW_OK) {
        return cli_fail(cli, err, detail);
    }
    if (!cli->json) {
        (void)printf("price %.10g delta %.10g gamma %.10g vega %.10g theta/year %.10g rho %.10g\n",
                     greeks.price, greeks.delta, greeks.gamma, greeks.vega, greeks.theta_per_year,
                     greeks.rho);
        return 0;
    }
    json_t *result = option_json(texts, &option);
    json_t *values =
        json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "volatility", option.volatility, "price",
                  greeks.price, "delta", greeks.delta, "gamma", greeks.gamma, "vega", greeks.vega,
                  "theta_per_year", greeks.theta_per_year, "theta_per_day", greeks.theta_per_day,
                  "rho", greeks.rho, "dividend_rho", greeks.dividend_rho);
    if (result != NULL && values != NULL && json_object_update(result, values) != 0) {
        json_decref(result);
        result = NULL;
    }
    json_decref(values);
    return cli_print_json_take(cli, result);
}

static int quant_iv(struct cli *cli, const struct quant_texts *texts,
                    struct tpw_error_detail *detail)
{
    struct quant_option option = {.type = QUANT_CALL};
    double price = 0;
    enum tpw_err err = parse_option(texts, &option, detail);
    if (err == TPW_OK) {
        err = parse_number(texts->price, "price", &price, detail);
    }
    struct quant_iv_result result;
    if (err == TPW_OK) {
        tpw_error_set_param(detail, "");
        err = quant_implied_volatility(&option, price, &result);
    }
    if (err != TPW_OK) {
        return cli_fail(cli, err, detail);
    }
    if (!cli->json) {
        (void)printf("implied volatility %.10g (%u iterations)\n", result.volatility,
                     result.iterations);
        return 0;
    }
    json_t *object = option_json(texts, &option);
    if (object != NULL &&
        (json_object_set_new(object, "price", json_real(price)) != 0 ||
         json_object_set_new(object, "implied_volatility", json_real(result.volatility)) != 0 ||
         json_object_set_new(object, "iterations", json_integer(result.iterations)) != 0)) {
        json_decref(object);
        object = NULL;
    }
    return cli_print_json_take(cli, object);
}

int cmd_quant(struct cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        return cli_usage_error(cli, cmd_quant_usage, "missing sub-command");
    }
    bool price = strcmp(argv[1], "price") == 0;
    if (!price && strcmp(argv[1], "iv") != 0) {
        bool help = strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0;
        if (help) {
            (void)fputs(cmd_quant_usage, stdout);
            return 0;
        }
        return cli_usage_error(cli, cmd_quant_usage, "unknown sub-command");
    }
    cli->command = price ? "quant price" : "quant iv";
    struct quant_texts texts = {.model = "bsm"};
    const struct cli_option options[] = {
        {"type", &texts.type, NULL},   {"spot", &texts.spot, NULL}, {"strike", &texts.strike, NULL},
        {"time", &texts.time, NULL},   {"rate", &texts.rate, NULL}, {"yield", &texts.yield, NULL},
        {"model", &texts.model, NULL}, {"vol", &texts.vol, NULL},   {"price", &texts.price, NULL},
    };
    const struct cli_spec spec = {options, sizeof(options) / sizeof(options[0]), 0, 0,
                                  cmd_quant_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc - 1, argv + 1, &spec, &args, &status)) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    return price ? quant_price(cli, &texts, &detail) : quant_iv(cli, &texts, &detail);
}
