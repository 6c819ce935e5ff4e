/*
 * `tpwallet fx quote` and `tpwallet fx convert`: clients of a running `tpwallet serve`.
 * Locked quotes live in the server's quote book, so both go over HTTP (POST /v1/quotes,
 * POST /v1/conversions; docs/api.md) through cli_http.c. The CLI turns decimal amounts
 * into minor units with the registry, as the server does; with --json it prints the
 * server's reply as received, else a summary (the route through cmd_fx_route.c's
 * printer, the one `fx route` uses).
 */
#include <stdio.h>
#include <string.h>

#include "cli_http.h"
#include "cmd_fx.h"
#include "tpwallet/api_json.h"

#include "banned.h"

typedef int reply_print_fn(struct cli *cli, const json_t *reply);

/* The server and the key, or false with the usage error reported and *status set. */
static bool client_target(struct cli *cli, const char *server, struct cli_http_target *target,
                          int *status)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = cli_http_target_init(target, server, &detail);
    if (err == TPW_OK) {
        return true;
    }
    *status = err == TPW_ERR_USAGE ? cli_usage_error(cli, cmd_fx_usage, detail.message)
                                   : cli_fail(cli, err, &detail);
    return false;
}

/* Sends `request` (taken) to `path` and prints the reply: the body as received with
 * --json, else through `print`; an error status as the CLI's errors. */
static int client_call(struct cli *cli, const struct cli_http_target *target, const char *path,
                       json_t *request, reply_print_fn *print)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct cli_http_reply reply;
    enum tpw_err err = request != NULL ? cli_http_post(target, path, request, &reply, &detail)
                                       : tpw_error_set(&detail, TPW_ERR_NOMEM, 0,
                                                       "out of memory building the request");
    json_decref(request);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    int status = 0;
    if (reply.status < 200 || reply.status >= 300) {
        status = cli_http_fail(cli, &reply);
    } else if (cli->json) {
        status = cli_http_print_body(cli, &reply);
    } else {
        status = print(cli, reply.object);
    }
    cli_http_reply_deinit(&reply);
    return status;
}

static int flush_status(void)
{
    return fflush(stdout) == 0 ? 0 : tpw_err_exit_status(TPW_ERR_IO);
}

static int quote_print(struct cli *cli, const json_t *reply)
{
    char label[64];
    (void)snprintf(label, sizeof label, "quote %.40s", cmd_fx__text(reply, "id"));
    cmd_fx__route_print(cli, label, reply);
    (void)printf("expires_at %s\n", cmd_fx__text(reply, "expires_at"));
    return flush_status();
}

/* The request's amount field: sell_amount or buy_amount, in minor units. */
static json_t *quote_request(const struct cmd_fx_amount *ask, enum fx_route_direction direction,
                             tpw_u128 amount_minor)
{
    return json_pack("{s:s,s:s,s:o}", "from", ask->from, "to", ask->to,
                     direction == FX_ROUTE_SELL ? "sell_amount" : "buy_amount",
                     api_u128_json(amount_minor));
}

int cmd_fx__quote(struct cli *cli, int argc, char **argv)
{
    const char *server = NULL;
    struct cmd_fx_amount ask = {NULL, NULL, NULL, NULL};
    const struct cli_option options[] = {
        {"server", &server, NULL}, {"sell", &ask.sell, NULL}, {"buy", &ask.buy, NULL}};
    const struct cli_spec spec = {options, sizeof options / sizeof options[0], 2, 2, cmd_fx_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    ask.from = args.positional[0];
    ask.to = args.positional[1];
    const char *misuse = cmd_fx__amount_misuse(&ask);
    if (misuse != NULL) {
        return cli_usage_error(cli, cmd_fx_usage, misuse);
    }
    struct cli_http_target target;
    if (!client_target(cli, server, &target, &status)) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum fx_route_direction direction = FX_ROUTE_SELL;
    tpw_u128 amount_minor = 0;
    enum tpw_err err = cmd_fx__amount(cli, &ask, &direction, &amount_minor, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    return client_call(cli, &target, "/v1/quotes", quote_request(&ask, direction, amount_minor),
                       quote_print);
}

static int conversion_print(struct cli *cli, const json_t *reply)
{
    const char *from = cmd_fx__text(reply, "from");
    const char *to = cmd_fx__text(reply, "to");
    char in[CMD_FX_AMOUNT_TEXT_SIZE];
    char out[CMD_FX_AMOUNT_TEXT_SIZE];
    (void)printf("conversion of %s %s -> %s\n", cmd_fx__text(reply, "quote_id"), from, to);
    (void)printf("  debit %s %s\n", cmd_fx__text(reply, "debit_account_id"),
                 cmd_fx__amount_text(cli, json_object_get(reply, "amount_in"), from, in));
    (void)printf("  credit %s %s\n", cmd_fx__text(reply, "credit_account_id"),
                 cmd_fx__amount_text(cli, json_object_get(reply, "amount_out"), to, out));
    const json_t *transfers = json_object_get(reply, "transfers");
    (void)printf("  transfers");
    for (size_t index = 0; index < json_array_size(transfers); index++) {
        const char *id = json_string_value(json_array_get(transfers, index));
        (void)printf(" %s", id != NULL ? id : "?");
    }
    (void)printf("\n");
    return flush_status();
}

int cmd_fx__convert(struct cli *cli, int argc, char **argv)
{
    const char *server = NULL;
    const char *quote = NULL;
    const char *debit = NULL;
    const char *credit = NULL;
    const struct cli_option options[] = {{"server", &server, NULL},
                                         {"quote", &quote, NULL},
                                         {"debit", &debit, NULL},
                                         {"credit", &credit, NULL}};
    const struct cli_spec spec = {options, sizeof options / sizeof options[0], 0, 0, cmd_fx_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    if (quote == NULL || debit == NULL || credit == NULL) {
        return cli_usage_error(
            cli, cmd_fx_usage,
            "--quote QUOTE_ID, --debit ACCOUNT and --credit ACCOUNT are required");
    }
    struct cli_http_target target;
    if (!client_target(cli, server, &target, &status)) {
        return status;
    }
    json_t *request = json_pack("{s:s,s:s,s:s}", "quote_id", quote, "debit_account_id", debit,
                                "credit_account_id", credit);
    return client_call(cli, &target, "/v1/conversions", request, conversion_print);
}
