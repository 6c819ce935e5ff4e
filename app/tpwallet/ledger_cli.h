/*
 * Shared plumbing of the ledger commands (init, account, transfer, history, journal,
 * replay): opening the data directory, ids, assets, and records as JSON and text.
 * Field names are the ones the API and import files use (docs/ledger.md).
 */
#ifndef TPWALLET_LEDGER_CLI_H
#define TPWALLET_LEDGER_CLI_H

#include <stdbool.h>

#include <jansson.h>

#include "cli.h"
#include "tpwallet/api_json.h"
#include "tpwallet/ledger.h"

/* Id prefixes of the text form; any prefix or a decimal integer is accepted on input. */
#define LCLI_ACCOUNT_PREFIX API_ACCOUNT_PREFIX
#define LCLI_TRANSFER_PREFIX API_TRANSFER_PREFIX
#define LCLI_OWNER_PREFIX API_OWNER_PREFIX

/* The data directory: --data DIR, else $TPWALLET_DATA; NULL when neither is set. */
const char *lcli_data_dir(const char *option);

/* Opens the ledger (read-only for queries) or reports why not; returns 0 or a status. */
int lcli_open(struct cli *cli, const char *data_dir, bool read_only, struct ledger **out);

/* An id from its text form (any prefix) or a decimal integer; `param` names it. */
TPW_MUST_CHECK enum tpw_err lcli_id(const char *text, const char *param, tpw_u128 *out,
                                    struct tpw_error_detail *detail);

/* For the `show` commands: parses `id_text` (param "id") and opens the ledger in
 * `data_dir` read-only; returns 0, or the status of the error it reported. */
int lcli_open_for_id(struct cli *cli, const char *data_dir, const char *id_text, tpw_u128 *id,
                     struct ledger **out);

/* The ledger's asset for `code`; when the ledger does not have it yet and `define` is
 * set, it is defined from the asset registry (built-in data and --assets). */
TPW_MUST_CHECK enum tpw_err lcli_asset(struct cli *cli, struct ledger *ledger, const char *code,
                                       bool define, struct ledger_asset *out,
                                       struct tpw_error_detail *detail);

/* An amount as decimal text at the asset's exponent ("12.34" USD → 1234). */
TPW_MUST_CHECK enum tpw_err lcli_amount(const struct ledger_asset *asset, const char *text,
                                        const char *param, tpw_u128 *out,
                                        struct tpw_error_detail *detail);
const char *lcli_amount_text(const struct ledger_asset *asset, tpw_u128 amount,
                             char buf[MONEY_DECIMAL_TEXT_SIZE]);

/* Records as JSON objects with the shared field names; NULL on OOM. */
json_t *lcli_account_json(const struct ledger *ledger, const struct ledger_account *account);
json_t *lcli_transfer_json(const struct ledger *ledger, const struct ledger_transfer *transfer,
                           enum ledger_pending_state state);
/* What records show for an asset number the ledger does not know: code "#<number>". */
void lcli_asset_unknown(uint32_t number, struct ledger_asset *out /* out */);
void lcli_account_print(const struct ledger *ledger, const struct ledger_account *account);
void lcli_transfer_print(const struct ledger *ledger, const struct ledger_transfer *transfer,
                         enum ledger_pending_state state);

/* Reports a command the ledger refused (its result name is the error code); 65. */
int lcli_rejected(struct cli *cli, const char *result, const char *param);

/* A decimal integer option ("--limit 50"); false when it is not one. */
bool lcli_u64(const char *text, uint64_t max, uint64_t *out);

/* JSON import lines → records (ledger_json.c). `line_number` goes into errors. */
TPW_MUST_CHECK enum tpw_err lcli_account_from_json(struct cli *cli, struct ledger *ledger,
                                                   json_t *object, struct ledger_account *out,
                                                   struct tpw_error_detail *detail);
TPW_MUST_CHECK enum tpw_err lcli_transfer_from_json(struct cli *cli, struct ledger *ledger,
                                                    json_t *object, struct ledger_transfer *out,
                                                    struct tpw_error_detail *detail);

/* Commands (cmd_ledger.c, cmd_account.c, cmd_transfer.c). */
int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_account(struct cli *cli, int argc, char **argv);
int cmd_transfer(struct cli *cli, int argc, char **argv);
int cmd_history(struct cli *cli, int argc, char **argv);
int cmd_journal(struct cli *cli, int argc, char **argv);
int cmd_replay(struct cli *cli, int argc, char **argv);
int cmd_events(struct cli *cli, int argc, char **argv); /* cmd_events.c */
extern const char cmd_init_usage[];
extern const char cmd_account_usage[];
extern const char cmd_transfer_usage[];
extern const char cmd_history_usage[];
extern const char cmd_journal_usage[];
extern const char cmd_replay_usage[];
extern const char cmd_events_usage[];

#endif /* TPWALLET_LEDGER_CLI_H */
