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

#include "tpwallet/fx.h"
#include "tpwallet/ledger.h"
#include "tpwallet/portfolio.h"

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

/* ---- Printers ------------------------------------------------------------------------
 * Each record is described once (src/api/records_print.c) and printed two ways: as
 * JSON text by api_*_format, into the caller's buffer without allocating (the
 * single-transfer reply and the event streams send it as it is), and as a jansson tree
 * by api_*_json, for callers that build larger documents (lists, the CLI). The text is
 * exactly json_dumps(tree, JSON_COMPACT), so a reply never depends on which made it.
 * `asset` may be NULL when the ledger does not know the number (printed as
 * "#<number>"). */

/* The longest text of each record (every flag bit set, every amount at 2^128-1 with
 * its decimal at exponent 18, the widest integers), NUL included, with room to spare:
 * tests/prop/test_api_records_text.c checks that the longest ones fit. */
#define API_TRANSFER_TEXT_SIZE 1024
#define API_ACCOUNT_TEXT_SIZE 1536
#define API_BALANCE_TEXT_SIZE 1024
/* An event's header and keys, then its largest record: a transfer and two balances. */
#define API_EVENT_TEXT_SIZE (256 + API_TRANSFER_TEXT_SIZE + 2 * API_BALANCE_TEXT_SIZE)
_Static_assert(API_EVENT_TEXT_SIZE >= 256 + API_ACCOUNT_TEXT_SIZE,
               "an account_created event fits too");

/* Write the record's JSON text (compact, as json_dumps(api_*_json(…), JSON_COMPACT))
 * into `buf` and return its length, NUL excluded; 0 when `size` is too small (`buf`
 * then holds "" when size > 0). A buffer of API_*_TEXT_SIZE always suffices. */
size_t api_transfer_format(const struct ledger_transfer *transfer, const struct ledger_asset *asset,
                           enum ledger_pending_state state, unsigned flags, char *buf /* out */,
                           size_t size);
size_t api_account_format(const struct ledger_account *account, const struct ledger_asset *asset,
                          unsigned flags, char *buf /* out */, size_t size);
size_t api_balance_format(tpw_u128 account_id, const struct ledger_balance *balance,
                          const struct ledger_asset *asset, unsigned flags, char *buf /* out */,
                          size_t size);
/* The event as api_event_json below describes it. */
size_t api_event_format(const struct ledger_event *event, const struct ledger_asset *asset,
                        unsigned flags, char *buf /* out */, size_t size);

/* Records as JSON objects. NULL on OOM. */
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

/* ---- Routes ---------------------------------------------------------------------------
 * A route search's answer (fx.h, struct fx_route_explanation) as the fields of the
 * POST /v1/quotes reply, which `tpwallet fx route` prints too: added to `object`, after
 * what it holds, in this order: "from", "to", "direction" ("sell" or "buy"),
 * "amount_in", "amount_out", "legs" (each {"from","to","pair","side","rate",
 * "amount_in","fee","amount_out"}; `side` "sell_base" or "buy_base", `rate` the exact
 * decimal used, `fee` in the leg's `from`), "direct" ({"amount_in","amount_out"} when the
 * pair FROM/TO exists and works for the request, else null) and "saving_bps" (null
 * unless "direct" is set). Amounts are strings of minor units; with API_JSON_DECIMALS
 * each amount `x` whose asset `registry` knows also gets `x_decimal` right after it
 * (`registry` may be NULL without the flag). false when out of memory: `object` may
 * then hold some of the fields, and the caller drops it. */
bool api_route_json_add(json_t *object, const struct fx_route_explanation *why,
                        const money_registry *registry, unsigned flags);

/* ---- Backtests -------------------------------------------------------------------------
 * A backtest's metrics (portfolio.h) as `tpwallet backtest --json` and POST /v1/backtests
 * print them: first_date, last_date, days, years, check, targets, threshold, cost_bps,
 * periods_per_year, cagr, volatility, sharpe, sortino, max_drawdown, rebalances,
 * turnover_per_year, cost_per_year, final_value (null where undefined), average_weights
 * and skipped_rows (per symbol). Print with JSON_REAL_PRECISION(12): statistics, without
 * binary noise. NULL on OOM. */
json_t *api_backtest_json(const struct portfolio_backtest_config *config,
                          const struct portfolio_backtest_result *result);

/* A tpw_u128 as a JSON string of decimal digits; an id in its text form. NULL on OOM. */
json_t *api_u128_json(tpw_u128 value);
json_t *api_id_json(tpw_u128 id, const char *prefix);

#endif /* TPWALLET_API_JSON_H */
