/*
 * `tpwallet fx`: the ECB's reference rates on the command line. `load-ecb` reads an
 * ECB file (zip, CSV or XML, told apart by content) and merges it into the history
 * kept in a data directory, all or nothing; `rate` prints a cross rate as of a date
 * or the newest one, with the observation date used and whether it is fresh. This
 * file also dispatches `route` (cmd_fx_route.c) and `quote`/`convert`
 * (cmd_fx_client.c). Wiring only: parsing, the history and the rules live in the fx
 * module (docs/fx.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd_fx.h"
#include "tpw_assert.h"

#include "banned.h"

const char cmd_fx_usage[] =
    "usage: tpwallet fx load-ecb --data DIR FILE [--json]\n"
    "       tpwallet fx rate --data DIR FROM TO [--as-of YYYY-MM-DD] [--stale-days N] [--json]\n"
    "       tpwallet fx route --data DIR FROM TO (--sell DEC | --buy DEC)\n"
    "                         [--as-of YYYY-MM-DD] [--stale-days N] [--fees FILE] [--json]\n"
    "       tpwallet fx quote [--server URL] FROM TO (--sell DEC | --buy DEC) [--json]\n"
    "       tpwallet fx convert [--server URL] --quote QUOTE_ID --debit ACCOUNT\n"
    "                           --credit ACCOUNT [--json]\n"
    "load-ecb merges an ECB file (eurofxref-hist.zip, a hist or daily CSV, a daily or\n"
    "multi-day XML) into DIR/fx/history.csv; a date and currency already stored with\n"
    "another rate refuses the whole file. rate prints TO per 1 FROM through the euro:\n"
    "with --as-of, from the latest observations on or before that date, refused when\n"
    "older than --stale-days (default 7); without it, the newest, marked stale when\n"
    "older than that many days before today (UTC).\n"
    "route explains the best conversion (at most three legs) on those rates, as of\n"
    "--as-of or else the history's newest day, with the fees of FILE\n"
    "(docs/formats/fx-fees.md; none without it): the legs, the totals, the direct pair\n"
    "and the saving. Offline: nothing is locked or executed.\n"
    "quote asks a running `tpwallet serve` to price and lock a conversion\n"
    "(POST /v1/quotes); convert executes a locked quote between two accounts\n"
    "(POST /v1/conversions). The API key is read from TPWALLET_API_KEY only (never an\n"
    "option: it would show in ps); the server is --server, else TPWALLET_SERVER, else\n"
    "http://127.0.0.1:8080. Amounts are decimals of the asset (--sell 100.00).\n";

enum tpw_err cmd_fx__dir(const char *data_dir, bool create, char path[PATH_MAX],
                         struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, "data");
    int length = snprintf(path, PATH_MAX, "%s/fx", data_dir);
    if (length < 0 || length >= PATH_MAX) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "--data is too long");
    }
    if (create && (mkdir(data_dir, 0755) != 0 && errno != EEXIST)) {
        return tpw_error_set(detail, TPW_ERR_IO, 0, "cannot create '%.120s': %s", data_dir,
                             strerror(errno));
    }
    if (create && (mkdir(path, 0755) != 0 && errno != EEXIST)) {
        return tpw_error_set(detail, TPW_ERR_IO, 0, "cannot create '%.120s': %s", path,
                             strerror(errno));
    }
    return TPW_OK;
}

static json_t *summary_json(const struct fx_history_summary *summary)
{
    char first[FX_DATE_TEXT_SIZE] = "";
    char last[FX_DATE_TEXT_SIZE] = "";
    if (summary->observations_count > 0) {
        fx_date_format(summary->first_days, first);
        fx_date_format(summary->last_days, last);
    }
    return json_pack("{s:I,s:I,s:I,s:s?,s:s?}", "days", (json_int_t)summary->days_count,
                     "currencies", (json_int_t)summary->currencies_count, "observations",
                     (json_int_t)summary->observations_count, "first",
                     first[0] != '\0' ? first : NULL, "last", last[0] != '\0' ? last : NULL);
}

static void print_summary(const char *what, const struct fx_history_summary *summary)
{
    char first[FX_DATE_TEXT_SIZE] = "-";
    char last[FX_DATE_TEXT_SIZE] = "-";
    if (summary->observations_count > 0) {
        fx_date_format(summary->first_days, first);
        fx_date_format(summary->last_days, last);
    }
    (void)printf("%s: %zu days, %zu currencies, %zu rates, %s .. %s\n", what, summary->days_count,
                 summary->currencies_count, summary->observations_count, first, last);
}

static int print_load(const struct cli *cli, const struct fx_history_summary *file,
                      const struct fx_history_summary *stored)
{
    if (cli->json) {
        return cli_print_json_take(cli,
                                   json_pack("{s:s,s:o,s:o}", "source", "ecb", "file",
                                             summary_json(file), "history", summary_json(stored)));
    }
    print_summary("file", file);
    print_summary("history", stored);
    return 0;
}

/* Parse, then merge into the stored history: nothing is written unless all succeed. */
static enum tpw_err load_merge_save(const char *data_dir, const char *file_path,
                                    struct fx_history_summary *file_summary,
                                    struct fx_history_summary *stored_summary,
                                    struct tpw_error_detail *detail)
{
    fx_history *file = NULL;
    char dir[PATH_MAX];
    tpw_error_set_param(detail, "FILE");
    enum tpw_err err = fx_ecb_load_file(file_path, &file, detail);
    if (err == TPW_OK) {
        /* Only a file that parsed creates the directory. */
        err = cmd_fx__dir(data_dir, true, dir, detail);
    }
    if (err == TPW_OK) {
        err = fx_history_store_merge(dir, file, stored_summary, detail);
        /* What the merge refuses is the file's; a damaged or unwritable history the data's. */
        bool file_refused = err == TPW_ERR_FX_HISTORY_CONFLICT || err == TPW_ERR_FX_HISTORY_FULL;
        tpw_error_set_param(detail, file_refused ? "FILE" : "data");
    }
    if (err == TPW_OK) {
        err = fx_history_summarize(file, file_summary, detail);
    }
    fx_history_destroy(file);
    return err;
}

static int fx_load_ecb(struct cli *cli, int argc, char **argv)
{
    const char *data_dir = NULL;
    const struct cli_option options[] = {{"data", &data_dir, NULL}};
    const struct cli_spec spec = {options, 1, 1, 1, cmd_fx_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    if (data_dir == NULL) {
        return cli_usage_error(cli, cmd_fx_usage, "--data DIR is required");
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct fx_history_summary file;
    struct fx_history_summary stored;
    enum tpw_err err = load_merge_save(data_dir, args.positional[0], &file, &stored, &detail);
    return err == TPW_OK ? print_load(cli, &file, &stored) : cli_fail(cli, err, &detail);
}

/* The largest --stale-days: a century. */
#define FX_CLI_STALE_DAYS_MAX 36500

enum tpw_err cmd_fx__stale_days(const char *text, int32_t *stale_days,
                                struct tpw_error_detail *detail)
{
    tpw_error_set_param(detail, "stale-days");
    tpw_u128 value = 0;
    enum tpw_err err = money_decimal_parse(text, strlen(text), 0, &value, detail);
    if (err == TPW_OK && value > FX_CLI_STALE_DAYS_MAX) {
        err = tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "--stale-days is at most %d",
                            FX_CLI_STALE_DAYS_MAX);
    }
    *stale_days = (int32_t)value;
    return err;
}

struct rate_answer {
    const char *from;
    const char *to;
    struct fx_cross_rate cross;
    int32_t stale_days;
    bool fresh;
};

static int print_rate(const struct cli *cli, const struct rate_answer *answer)
{
    char mid[MONEY_DECIMAL_TEXT_SIZE];
    char as_of[FX_DATE_TEXT_SIZE];
    (void)money_rate_format(answer->cross.mid, mid, sizeof(mid));
    fx_date_format(answer->cross.as_of_days, as_of);
    const char *status = answer->fresh ? "fresh" : "stale";
    if (cli->json) {
        return cli_print_json_take(cli, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "from",
                                                  answer->from, "to", answer->to, "mid", mid,
                                                  "source", "ecb", "as_of", as_of, "status", status,
                                                  "stale_days", (int)answer->stale_days, "rounding",
                                                  money_rounding_name(MONEY_ROUND_HALF_EVEN)));
    }
    (void)printf("%s/%s mid %s source ecb as_of %s status %s\n", answer->from, answer->to, mid,
                 as_of, status);
    return 0;
}

/* The answer as of a date (refused when stale) or the newest (marked against today). */
static enum tpw_err rate_lookup(const fx_history *history, const char *as_of_text,
                                struct rate_answer *answer, struct tpw_error_detail *detail)
{
    if (as_of_text != NULL) {
        int32_t date_days = 0;
        tpw_error_set_param(detail, "as-of");
        enum tpw_err err = fx_date_parse(as_of_text, strlen(as_of_text), &date_days, detail);
        if (err == TPW_OK) {
            tpw_error_set_param(detail, NULL);
            err = fx_history_cross(history, answer->from, answer->to, date_days, answer->stale_days,
                                   &answer->cross, detail);
        }
        answer->fresh = true;
        return err;
    }
    tpw_error_set_param(detail, NULL);
    enum tpw_err err =
        fx_history_cross_latest(history, answer->from, answer->to, &answer->cross, detail);
    struct tpw_clock clock = tpw_clock_system();
    int32_t today = fx_date_from_time_ns(tpw_clock_now_ns(&clock));
    answer->fresh = err == TPW_OK && today - answer->cross.as_of_days <= answer->stale_days;
    return err;
}

static int fx_rate(struct cli *cli, int argc, char **argv)
{
    const char *data_dir = NULL;
    const char *as_of = NULL;
    const char *stale_text = NULL;
    const struct cli_option options[] = {
        {"data", &data_dir, NULL}, {"as-of", &as_of, NULL}, {"stale-days", &stale_text, NULL}};
    const struct cli_spec spec = {options, 3, 2, 2, cmd_fx_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    if (data_dir == NULL) {
        return cli_usage_error(cli, cmd_fx_usage, "--data DIR is required");
    }
    struct rate_answer answer = {
        args.positional[0], args.positional[1], {{0}, 0}, FX_STALE_DAYS_DEFAULT, false};
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    char dir[PATH_MAX];
    fx_history *history = NULL;
    enum tpw_err err =
        stale_text == NULL ? TPW_OK : cmd_fx__stale_days(stale_text, &answer.stale_days, &detail);
    if (err == TPW_OK) {
        err = cmd_fx__dir(data_dir, false, dir, &detail);
    }
    if (err == TPW_OK) {
        err = fx_history_load(dir, &history, &detail);
    }
    if (err == TPW_OK) {
        err = rate_lookup(history, as_of, &answer, &detail);
    }
    fx_history_destroy(history);
    return err == TPW_OK ? print_rate(cli, &answer) : cli_fail(cli, err, &detail);
}

const char *cmd_fx__amount_misuse(const struct cmd_fx_amount *ask)
{
    if ((ask->sell == NULL) == (ask->buy == NULL)) {
        return ask->sell == NULL ? "give the amount: --sell DEC (of FROM) or --buy DEC (of TO)"
                                 : "give only one of --sell and --buy";
    }
    return NULL;
}

enum tpw_err cmd_fx__amount(struct cli *cli, const struct cmd_fx_amount *ask,
                            enum fx_route_direction *direction, tpw_u128 *amount_minor,
                            struct tpw_error_detail *detail)
{
    TPW_ASSERT((ask->sell == NULL) != (ask->buy == NULL)); /* cmd_fx__amount_misuse */
    const struct money_asset *from = NULL;
    const struct money_asset *to = NULL;
    enum tpw_err err = cli_asset(cli, ask->from, "FROM", &from, detail);
    if (err == TPW_OK) {
        err = cli_asset(cli, ask->to, "TO", &to, detail);
    }
    if (err == TPW_OK && strcmp(from->code, to->code) == 0) {
        tpw_error_set_param(detail, "TO");
        return tpw_error_set(detail, TPW_ERR_USAGE, 0, "FROM and TO are both %s", to->code);
    }
    if (err != TPW_OK) {
        return err;
    }
    *direction = ask->sell != NULL ? FX_ROUTE_SELL : FX_ROUTE_BUY;
    const char *text = ask->sell != NULL ? ask->sell : ask->buy;
    tpw_error_set_param(detail, ask->sell != NULL ? "sell" : "buy");
    return money_amount_parse(ask->sell != NULL ? from : to, text, strlen(text), amount_minor,
                              detail);
}

int cmd_fx(struct cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        return cli_usage_error(cli, cmd_fx_usage, "missing sub-command");
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        (void)fputs(cmd_fx_usage, stdout);
        return 0;
    }
    static const struct {
        const char *name;
        const char *command;
        int (*run)(struct cli *cli, int argc, char **argv);
    } subs[] = {
        {"load-ecb", "fx load-ecb", fx_load_ecb},   {"rate", "fx rate", fx_rate},
        {"route", "fx route", cmd_fx__route},       {"quote", "fx quote", cmd_fx__quote},
        {"convert", "fx convert", cmd_fx__convert},
    };
    for (size_t index = 0; index < sizeof subs / sizeof subs[0]; index++) {
        if (strcmp(argv[1], subs[index].name) == 0) {
            cli->command = subs[index].command;
            return subs[index].run(cli, argc - 1, argv + 1);
        }
    }
    return cli_usage_error(cli, cmd_fx_usage,
                           "unknown sub-command (load-ecb, rate, route, quote, convert)");
}
