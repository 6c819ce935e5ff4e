/*
 * `tpwallet money convert` and `tpwallet money fee`.
 *
 * A conversion takes the fee first, in the source asset (rounded up: the customer
 * pays it), then converts the rest through the rate with one named rounding (default
 * down: the customer receives it). Both steps are the library's; this file only
 * reads arguments and prints results.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_money.h"

#include "banned.h"

/* Option texts of a fee schedule, and the parameter names used in errors. */
struct fee_args {
    const char *text[4];  /* fixed, bps, min, max; NULL when not given */
    const char *param[4]; /* "fee-fixed"… or "fixed"… */
};

enum { FEE_FIXED, FEE_BPS, FEE_MIN, FEE_MAX };

static enum tpw_err parse_bps(const struct fee_args *fee, uint32_t *out,
                              struct tpw_error_detail *detail)
{
    tpw_u128 bps = 0;
    tpw_error_set_param(detail, fee->param[FEE_BPS]);
    enum tpw_err err =
        money_decimal_parse(fee->text[FEE_BPS], strlen(fee->text[FEE_BPS]), 0, &bps, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (bps > MONEY_BPS_ONE) {
        return tpw_error_set(detail, TPW_ERR_FEE_INVALID, 0,
                             "proportional fee must be 0 to 10000 bps");
    }
    *out = (uint32_t)bps;
    return TPW_OK;
}

static enum tpw_err parse_fee(const struct money_asset *asset, const struct fee_args *fee,
                              struct money_fee_schedule *out, struct tpw_error_detail *detail)
{
    *out = money_fee_none();
    tpw_u128 *amounts[4] = {&out->fixed_minor, NULL, &out->min_minor, &out->max_minor};
    for (size_t index = 0; index < 4; index++) {
        if (fee->text[index] == NULL || amounts[index] == NULL) {
            continue;
        }
        enum tpw_err err =
            cmd_money__amount(asset, fee->text[index], fee->param[index], amounts[index], detail);
        if (err != TPW_OK) {
            return err;
        }
    }
    return fee->text[FEE_BPS] != NULL ? parse_bps(fee, &out->proportional_bps, detail) : TPW_OK;
}

struct conversion {
    const struct money_asset *from;
    const struct money_asset *to;
    tpw_u128 amount_minor;
    tpw_u128 fee_minor;
    tpw_u128 out_minor;
    struct money_rate rate;
    enum money_quote_side side;
    enum money_rounding rounding;
};

static enum tpw_err convert_inputs(struct cli *cli, const struct cli_args *args,
                                   const char *rate_text, const char *rounding_text,
                                   struct conversion *c, struct tpw_error_detail *detail)
{
    enum tpw_err err = cli_asset(cli, args->positional[1], "from", &c->from, detail);
    if (err == TPW_OK) {
        err = cli_asset(cli, args->positional[2], "to", &c->to, detail);
    }
    if (err == TPW_OK) {
        err = cmd_money__amount(c->from, args->positional[0], "amount", &c->amount_minor, detail);
    }
    if (err == TPW_OK) {
        tpw_error_set_param(detail, "rate");
        err = money_rate_parse(rate_text, strlen(rate_text), &c->rate, detail);
    }
    c->rounding = MONEY_ROUND_DOWN;
    if (err == TPW_OK && rounding_text != NULL) {
        tpw_error_set_param(detail, "rounding");
        err = money_rounding_parse(rounding_text, &c->rounding);
        if (err != TPW_OK) {
            (void)tpw_error_set(detail, err, 0,
                                "unknown rounding '%.40s' (half-even, half-up, down or up)",
                                rounding_text);
        }
    }
    return err;
}

static enum tpw_err convert_execute(struct conversion *c, const struct money_fee_schedule *fee,
                                    struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, "fee");
    enum tpw_err err = money_fee_compute(fee, c->amount_minor, &c->fee_minor, detail);
    tpw_u128 net_minor = 0;
    if (err == TPW_OK && money_amount_sub(c->amount_minor, c->fee_minor, &net_minor) != TPW_OK) {
        err = tpw_error_set(detail, TPW_ERR_FEE_EXCEEDS_AMOUNT, 0,
                            "the fee is larger than the amount to convert");
    }
    if (err == TPW_OK) {
        err =
            money_convert(net_minor, c->from, c->to, c->rate, c->side, c->rounding, &c->out_minor);
        tpw_error_set_param(detail, err == TPW_ERR_RATE_ZERO ? "rate" : "amount");
    }
    return err;
}

static int convert_print(const struct cli *cli, const struct conversion *c)
{
    char rate[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_rate_format(c->rate, rate, sizeof(rate));
    const char *side = c->side == MONEY_RATE_TO_PER_FROM ? "to_per_from" : "from_per_to";
    if (cli->json) {
        json_t *result = cli_json_amount(c->to, c->out_minor);
        if (result != NULL) {
            (void)json_object_set_new(result, "from", cli_json_amount(c->from, c->amount_minor));
            (void)json_object_set_new(result, "fee", cli_json_amount(c->from, c->fee_minor));
            (void)json_object_set_new(result, "rate", json_string(rate));
            (void)json_object_set_new(result, "rate_side", json_string(side));
            (void)json_object_set_new(result, "rounding",
                                      json_string(money_rounding_name(c->rounding)));
        }
        return cli_print_json_take(cli, result);
    }
    char from[MONEY_DECIMAL_TEXT_SIZE], fee[MONEY_DECIMAL_TEXT_SIZE], to[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_amount_format(c->from, c->amount_minor, from, sizeof(from));
    (void)money_amount_format(c->from, c->fee_minor, fee, sizeof(fee));
    (void)money_amount_format(c->to, c->out_minor, to, sizeof(to));
    const struct money_asset *numerator = c->side == MONEY_RATE_TO_PER_FROM ? c->to : c->from;
    const struct money_asset *denominator = c->side == MONEY_RATE_TO_PER_FROM ? c->from : c->to;
    (void)printf("  %s %s\n", from, c->from->code);
    if (c->fee_minor != 0) {
        (void)printf("- %s %s fee\n", fee, c->from->code);
    }
    (void)printf("× %s %s per %s, rounding %s\n= %s %s\n", rate, numerator->code, denominator->code,
                 money_rounding_name(c->rounding), to, c->to->code);
    return 0;
}

int cmd_money__convert(struct cli *cli, int argc, char **argv)
{
    const char *rate_text = NULL;
    const char *rounding_text = NULL;
    bool inverse = false;
    struct fee_args fee = {{NULL}, {"fee-fixed", "fee-bps", "fee-min", "fee-max"}};
    const struct cli_option options[] = {
        {"rate", &rate_text, NULL},
        {"rounding", &rounding_text, NULL},
        {"inverse", NULL, &inverse},
        {"fee-fixed", &fee.text[FEE_FIXED], NULL},
        {"fee-bps", &fee.text[FEE_BPS], NULL},
        {"fee-min", &fee.text[FEE_MIN], NULL},
        {"fee-max", &fee.text[FEE_MAX], NULL},
    };
    struct cli_args args;
    int status = 0;
    if (!cmd_money__args(cli, argc, argv, options, sizeof(options) / sizeof(options[0]), 3, &args,
                         &status)) {
        return status;
    }
    if (rate_text == NULL) {
        return cmd_money__usage_error(cli, "convert needs --rate");
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct conversion c = {.side = inverse ? MONEY_RATE_FROM_PER_TO : MONEY_RATE_TO_PER_FROM};
    struct money_fee_schedule schedule = money_fee_none();
    enum tpw_err err = convert_inputs(cli, &args, rate_text, rounding_text, &c, &detail);
    if (err == TPW_OK) {
        err = parse_fee(c.from, &fee, &schedule, &detail);
    }
    if (err == TPW_OK) {
        err = convert_execute(&c, &schedule, &detail);
    }
    return err == TPW_OK ? convert_print(cli, &c) : cli_fail(cli, err, &detail);
}

static int fee_print(const struct cli *cli, const struct money_asset *asset, tpw_u128 amount,
                     tpw_u128 fee)
{
    if (cli->json) {
        json_t *result = json_pack("{s:o,s:o}", "amount", cli_json_amount(asset, amount), "fee",
                                   cli_json_amount(asset, fee));
        return cli_print_json_take(cli, result);
    }
    char amount_text[MONEY_DECIMAL_TEXT_SIZE];
    char fee_text[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_amount_format(asset, amount, amount_text, sizeof(amount_text));
    (void)money_amount_format(asset, fee, fee_text, sizeof(fee_text));
    (void)printf("fee on %s %s = %s %s\n", amount_text, asset->code, fee_text, asset->code);
    return 0;
}

int cmd_money__fee(struct cli *cli, int argc, char **argv)
{
    struct fee_args fee = {{NULL}, {"fixed", "bps", "min", "max"}};
    const struct cli_option options[] = {
        {"fixed", &fee.text[FEE_FIXED], NULL},
        {"bps", &fee.text[FEE_BPS], NULL},
        {"min", &fee.text[FEE_MIN], NULL},
        {"max", &fee.text[FEE_MAX], NULL},
    };
    struct cli_args args;
    int status = 0;
    if (!cmd_money__args(cli, argc, argv, options, 4, 2, &args, &status)) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    const struct money_asset *asset = NULL;
    tpw_u128 amount = 0;
    tpw_u128 fee_minor = 0;
    struct money_fee_schedule schedule = money_fee_none();
    enum tpw_err err = cli_asset(cli, args.positional[1], "asset", &asset, &detail);
    if (err == TPW_OK) {
        err = cmd_money__amount(asset, args.positional[0], "amount", &amount, &detail);
    }
    if (err == TPW_OK) {
        err = parse_fee(asset, &fee, &schedule, &detail);
    }
    if (err == TPW_OK) {
        tpw_error_set_param(&detail, "fee");
        err = money_fee_compute(&schedule, amount, &fee_minor, &detail);
    }
    return err == TPW_OK ? fee_print(cli, asset, amount, fee_minor) : cli_fail(cli, err, &detail);
}
