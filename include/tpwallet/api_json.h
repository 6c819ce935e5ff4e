/*
 * The ledger's records as JSON, with the field names the HTTP API, the CLI and import
 * files share (docs/ledger.md, "Field names"): one parser and one printer for all of
 * them, so a field can never mean two things in two places.
 *
 * Parsing is strict on purpose: an unknown field, a number where a string belongs, or
 * an amount with a sign is an error naming the field (`detail->param`), because an
 * input that guesses moves money nobody asked to move. Amounts are strings of integer
 * minor units (128-bit safe); ids are text (`acct_…`, any prefix) or decimal integer
 * strings. The asset travels by code: parsing returns the code and leaves the record's
 * asset number 0, because only the caller knows how to map codes to the ledger's
 * numbers (the CLI may define the asset; the server resolves it on its own table).
 */
#ifndef TPWALLET_API_JSON_H
#define TPWALLET_API_JSON_H

#include <jansson.h>

#include "tpwallet/ledger.h"

/* Id prefixes of the text form; any prefix or a decimal integer is accepted on input. */
#define API_ACCOUNT_PREFIX "acct"
#define API_TRANSFER_PREFIX "tr"
#define API_OWNER_PREFIX "usr"

/* An asset code as parsed (2..8 characters), "" when the input had none. */
#define API_ASSET_CODE_SIZE 9

/* `{"id","asset","kind","owner","flags","overdraft_limit"}` → record (asset number 0).
 * TPW_ERR_INVALID_ARGUMENT with param set, TPW_ERR_LEDGER_FLAG_UNKNOWN, the id and
 * decimal parsers' errors, TPW_ERR_LEDGER_KIND_UNKNOWN. */
TPW_MUST_CHECK enum tpw_err api_account_parse(json_t *object, struct ledger_account *out /* out */,
                                              char asset_code[API_ASSET_CODE_SIZE] /* out */,
                                              struct tpw_error_detail *detail);

/* `{"id","debit_account_id","credit_account_id","amount","asset","code","flags",
 * "pending_id","timeout_s","user_data"}` → record. Posting or voiding a pending
 * transfer needs neither the accounts nor the asset (the ledger takes them from the
 * pending transfer), so they are optional exactly then. */
TPW_MUST_CHECK enum tpw_err api_transfer_parse(json_t *object,
                                               struct ledger_transfer *out /* out */,
                                               char asset_code[API_ASSET_CODE_SIZE] /* out */,
                                               struct tpw_error_detail *detail);

/* Options of the printers. */
enum api_json_flag {
    /* Beside each amount `x`, `x_decimal` formatted at the asset's exponent, and the
     * asset's `exponent` (the HTTP API's form; the CLI keeps the plain one). */
    API_JSON_DECIMALS = 1u << 0,
};

/* Records as JSON objects; `asset` may be NULL when the ledger does not know the
 * number (printed as "#<number>"). NULL on OOM. */
json_t *api_account_json(const struct ledger_account *account, const struct ledger_asset *asset,
                         unsigned flags);
json_t *api_transfer_json(const struct ledger_transfer *transfer, const struct ledger_asset *asset,
                          enum ledger_pending_state state, unsigned flags);
/* Balances as of a time: `{"account_id","timestamp","debits_pending",…}`. */
json_t *api_balance_json(tpw_u128 account_id, const struct ledger_balance *balance,
                         const struct ledger_asset *asset, unsigned flags);

/* An event (ledger.h, "Events") as `{"id":"17-3","kind","timestamp"}` with its record
 * under the kind's name: `asset` {number, code, exponent}, `account`, or `transfer` with
 * `debit_balance` and `credit_balance` (the four amounts after the event). `asset` is the
 * account's or transfer's asset (NULL: unknown, printed "#<number>"). The CLI's
 * `tpwallet events --json` (flags 0) and the HTTP API's /v1/events stream
 * (API_JSON_DECIMALS) print events through this one function. NULL on OOM. */
json_t *api_event_json(const struct ledger_event *event, const struct ledger_asset *asset,
                       unsigned flags);

/* A tpw_u128 as a JSON string of decimal digits; an id in its text form. NULL on OOM. */
json_t *api_u128_json(tpw_u128 value);
json_t *api_id_json(tpw_u128 id, const char *prefix);

#endif /* TPWALLET_API_JSON_H */
