/*
 * Bulk import of JSON lines (`account import`, `transfer import`): lines are read into
 * batches of up to 8189 records, each batch is one journal record and one fdatasync,
 * and after each durable batch one JSON line acknowledges it with the cumulative
 * counts and the last id. That line is the acknowledgement: whatever it covers
 * survives a crash. A malformed line stops the import before its batch is submitted,
 * with the line number; earlier batches stay acknowledged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_import.h"
#include "tpw_assert.h"

#include "banned.h"

/* A line longer than this is not a ledger record. */
#define IMPORT_LINE_MAX ((size_t)64 * 1024)

struct import_run {
    const struct import_kind *kind;
    struct cli *cli;
    struct ledger *ledger;
    FILE *results;
    unsigned char *records;
    int *codes;
    uint64_t *line_numbers;
    size_t count;
    size_t batch_size;
    uint64_t applied;
    uint64_t rejected;
    tpw_u128 last_id;
};

/* Accounts and transfers both start with their 16-byte id. */
static tpw_u128 record_id(const struct import_run *run, size_t index)
{
    tpw_u128 id = 0;
    memcpy(&id, run->records + index * run->kind->record_size, sizeof id);
    return id;
}

static bool accepted(const struct import_run *run, int code)
{
    return code == 0 || code == run->kind->exists_code; /* ok or exists */
}

static int write_rejections(struct import_run *run)
{
    for (size_t i = 0; run->results != NULL && i < run->count; i++) {
        if (accepted(run, run->codes[i])) {
            continue;
        }
        char id[TPW_ID_TEXT_SIZE];
        (void)tpw_id_format(record_id(run, i), run->kind->prefix, id, sizeof id);
        if (fprintf(run->results, "{\"line\":%llu,\"id\":\"%s\",\"result\":\"%s\"}\n",
                    (unsigned long long)run->line_numbers[i], id,
                    run->kind->result_name(run->codes[i])) < 0) {
            return cli_fail(run->cli, TPW_ERR_IO, NULL);
        }
    }
    if (run->results != NULL && fflush(run->results) != 0) {
        return cli_fail(run->cli, TPW_ERR_IO, NULL);
    }
    return 0;
}

static int submit(struct import_run *run)
{
    if (run->count == 0) {
        return 0;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err =
        run->kind->submit(run->ledger, run->records, run->count, run->codes, &detail);
    if (err != TPW_OK) {
        return cli_fail(run->cli, err, &detail);
    }
    for (size_t i = 0; i < run->count; i++) {
        if (accepted(run, run->codes[i])) {
            run->applied++;
        } else {
            run->rejected++;
        }
    }
    run->last_id = record_id(run, run->count - 1);
    int status = write_rejections(run);
    char id[TPW_ID_TEXT_SIZE];
    (void)tpw_id_format(run->last_id, run->kind->prefix, id, sizeof id);
    run->count = 0;
    return status != 0
               ? status
               : cli_print_json_take(run->cli, json_pack("{s:I,s:I,s:s}", "applied",
                                                         (json_int_t)run->applied, "rejected",
                                                         (json_int_t)run->rejected, "last_id", id));
}

static int bad_line(struct import_run *run, uint64_t line_number, enum tpw_err err,
                    struct tpw_error_detail *detail)
{
    /* Room for the prefix: the result is cut to TPW_ERROR_MESSAGE_SIZE by tpw_error_set. */
    char message[TPW_ERROR_MESSAGE_SIZE + 32];
    (void)snprintf(message, sizeof message, "line %llu: %s", (unsigned long long)line_number,
                   detail->message[0] != '\0' ? detail->message : tpw_strerror(err));
    (void)tpw_error_set(detail, err, line_number, "%s", message);
    return cli_fail(run->cli, err, detail);
}

static int add_line(struct import_run *run, const char *line, size_t length, uint64_t line_number)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    json_error_t json_error;
    json_t *object = json_loadb(line, length, JSON_REJECT_DUPLICATES, &json_error);
    if (object == NULL) {
        (void)tpw_error_set(&detail, TPW_ERR_INVALID_ARGUMENT, 0, "not JSON: %s", json_error.text);
        return bad_line(run, line_number, TPW_ERR_INVALID_ARGUMENT, &detail);
    }
    void *record = run->records + run->count * run->kind->record_size;
    enum tpw_err err = run->kind->parse(run->cli, run->ledger, object, record, &detail);
    json_decref(object);
    if (err != TPW_OK) {
        return bad_line(run, line_number, err, &detail);
    }
    run->line_numbers[run->count++] = line_number;
    return run->count == run->batch_size ? submit(run) : 0;
}

static bool blank(const char *line, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '\n') {
            return false;
        }
    }
    return true;
}

static int read_lines(struct import_run *run, FILE *input)
{
    char *line = NULL;
    size_t capacity = 0;
    uint64_t line_number = 0;
    int status = 0;
    ssize_t length = 0;
    while (status == 0 && (length = getline(&line, &capacity, input)) >= 0) {
        line_number++;
        if ((size_t)length > IMPORT_LINE_MAX) {
            struct tpw_error_detail detail;
            tpw_error_detail_reset(&detail);
            (void)tpw_error_set(&detail, TPW_ERR_INVALID_ARGUMENT, 0, "longer than %zu bytes",
                                IMPORT_LINE_MAX);
            status = bad_line(run, line_number, TPW_ERR_INVALID_ARGUMENT, &detail);
        } else if (!blank(line, (size_t)length)) {
            status = add_line(run, line, (size_t)length, line_number);
        }
    }
    free(line);
    if (status == 0 && ferror(input)) {
        status = cli_fail(run->cli, TPW_ERR_IO, NULL);
    }
    return status == 0 ? submit(run) : status;
}

static int import_run(struct cli *cli, const struct import_kind *kind, struct ledger *ledger,
                      FILE *input, FILE *results, size_t batch_size)
{
    TPW_ASSERT(batch_size > 0 && batch_size <= LEDGER_BATCH_MAX);
    struct import_run run = {
        .kind = kind, .cli = cli, .ledger = ledger, .results = results, .batch_size = batch_size};
    run.records = aligned_alloc(16, batch_size * kind->record_size);
    run.codes = calloc(batch_size, sizeof *run.codes);
    run.line_numbers = calloc(batch_size, sizeof *run.line_numbers);
    int status = 0;
    if (run.records == NULL || run.codes == NULL || run.line_numbers == NULL) {
        status = cli_fail(cli, TPW_ERR_NOMEM, NULL);
    } else {
        status = read_lines(&run, input);
    }
    free(run.records);
    free(run.codes);
    free(run.line_numbers);
    return status;
}

int import_command(struct cli *cli, int argc, char **argv, const struct import_kind *kind,
                   const char *usage)
{
    const char *data = NULL;
    const char *results_path = NULL;
    const char *batch_text = "8189";
    const struct cli_option options[] = {
        {"data", &data, NULL}, {"results", &results_path, NULL}, {"batch-size", &batch_text, NULL}};
    const struct cli_spec spec = {options, 3, 1, 1, usage};
    struct cli_args args;
    int status = 0;
    uint64_t batch_size = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    if (!lcli_u64(batch_text, LEDGER_BATCH_MAX, &batch_size) || batch_size == 0) {
        return cli_usage_error(cli, usage, "--batch-size is 1 to 8189");
    }
    const char *path = args.positional[0];
    FILE *input = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    FILE *results = results_path != NULL ? fopen(results_path, "w") : NULL;
    struct ledger *ledger = NULL;
    if (input == NULL || (results_path != NULL && results == NULL)) {
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        (void)tpw_error_set(&detail, TPW_ERR_NOT_FOUND, 0, "cannot open \"%s\"",
                            input == NULL ? path : results_path);
        status = cli_fail(cli, TPW_ERR_NOT_FOUND, &detail);
    } else {
        status = lcli_open(cli, lcli_data_dir(data), false, &ledger);
    }
    if (status == 0) {
        status = import_run(cli, kind, ledger, input, results, (size_t)batch_size);
    }
    ledger_close(ledger);
    if (input != NULL && input != stdin) {
        (void)fclose(input);
    }
    if (results != NULL && fclose(results) != 0 && status == 0) {
        status = cli_fail(cli, TPW_ERR_IO, NULL);
    }
    return status;
}

/* ---- the two kinds ----------------------------------------------------------------------- */

static enum tpw_err parse_account(struct cli *cli, struct ledger *ledger, json_t *object,
                                  void *record, struct tpw_error_detail *detail)
{
    return lcli_account_from_json(cli, ledger, object, record, detail);
}

static enum tpw_err submit_accounts(struct ledger *ledger, const void *records, size_t count,
                                    int *codes, struct tpw_error_detail *detail)
{
    return ledger_create_accounts(ledger, records, count, (enum ledger_account_result *)codes,
                                  detail);
}

static const char *account_result(int code)
{
    return ledger_account_result_name((enum ledger_account_result)code);
}

static enum tpw_err parse_transfer(struct cli *cli, struct ledger *ledger, json_t *object,
                                   void *record, struct tpw_error_detail *detail)
{
    return lcli_transfer_from_json(cli, ledger, object, record, detail);
}

static enum tpw_err submit_transfers(struct ledger *ledger, const void *records, size_t count,
                                     int *codes, struct tpw_error_detail *detail)
{
    return ledger_create_transfers(ledger, records, count, (enum ledger_transfer_result *)codes,
                                   detail);
}

static const char *transfer_result(int code)
{
    return ledger_transfer_result_name((enum ledger_transfer_result)code);
}

const struct import_kind import_accounts = {
    .record_size = sizeof(struct ledger_account),
    .prefix = LCLI_ACCOUNT_PREFIX,
    .parse = parse_account,
    .submit = submit_accounts,
    .exists_code = LEDGER_ACCOUNT_EXISTS,
    .result_name = account_result,
};

const struct import_kind import_transfers = {
    .record_size = sizeof(struct ledger_transfer),
    .prefix = LCLI_TRANSFER_PREFIX,
    .parse = parse_transfer,
    .submit = submit_transfers,
    .exists_code = LEDGER_TRANSFER_EXISTS,
    .result_name = transfer_result,
};
