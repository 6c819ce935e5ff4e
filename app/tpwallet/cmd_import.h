/*
 * The JSON-lines import loop shared by `account import` and `transfer import`.
 */
#ifndef TPWALLET_CMD_IMPORT_H
#define TPWALLET_CMD_IMPORT_H

#include "ledger_cli.h"

/* What differs between importing accounts and transfers. Result codes travel as int
 * so one loop serves both result enums; records start with their 16-byte id. */
struct import_kind {
    size_t record_size;
    const char *prefix; /* of ids in acknowledgements and results */
    enum tpw_err (*parse)(struct cli *cli, struct ledger *ledger, json_t *object, void *record,
                          struct tpw_error_detail *detail);
    enum tpw_err (*submit)(struct ledger *ledger, const void *records, size_t count, int *codes,
                           struct tpw_error_detail *detail);
    int exists_code; /* accepted besides ok (0) */
    const char *(*result_name)(int code);
};

extern const struct import_kind import_accounts;
extern const struct import_kind import_transfers;

/* `<noun> import FILE.jsonl --data DIR [--results FILE] [--batch-size N]`: imports JSON
 * lines in batches, acknowledging each durable one. Returns the exit status. */
int import_command(struct cli *cli, int argc, char **argv, const struct import_kind *kind,
                   const char *usage);

#endif /* TPWALLET_CMD_IMPORT_H */
