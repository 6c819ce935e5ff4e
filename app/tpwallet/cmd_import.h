/*
 * The JSON-lines import loop shared by `account import` and `transfer import`.
 */
#ifndef TPWALLET_CMD_IMPORT_H
#define TPWALLET_CMD_IMPORT_H

#include <stdio.h>

#include "ledger_cli.h"

/* What differs between importing accounts and transfers. Result codes travel as int
 * so one loop serves both result enums. */
struct import_kind {
    size_t record_size;
    const char *prefix; /* of ids in acknowledgements and results */
    enum tpw_err (*parse)(struct cli *cli, struct ledger *ledger, json_t *object, void *record,
                          struct tpw_error_detail *detail);
    enum tpw_err (*submit)(struct ledger *ledger, const void *records, size_t count, int *codes,
                           struct tpw_error_detail *detail);
    tpw_u128 (*id_of)(const void *record);
    bool (*accepted)(int code); /* ok or exists */
    const char *(*result_name)(int code);
};

/* Imports JSON lines from `input` in batches; writes rejected items to `results` (may
 * be NULL). Returns the exit status. */
int import_run(struct cli *cli, const struct import_kind *kind, struct ledger *ledger, FILE *input,
               FILE *results, size_t batch_size);

/* `<noun> import FILE.jsonl --data DIR [--results FILE] [--batch-size N]` (cmd_account.c). */
int lcli_import(struct cli *cli, int argc, char **argv, const struct import_kind *kind,
                const char *usage);

#endif /* TPWALLET_CMD_IMPORT_H */
