/*
 * A transfer's fields as read from JSON, before they mean anything: the seam between
 * the JSON readers (jansson's tree in records_json.c; the scanner in batch_scan.c, for
 * batch items and single-transfer bodies) and the one place that turns fields into a
 * ledger_transfer (api_transfer_from_input), so both readers give the same record and
 * the same errors.
 */
#ifndef TPW_API_TRANSFER_INPUT_H
#define TPW_API_TRANSFER_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "tpwallet/api_json.h"

enum api_value_kind {
    API_VALUE_ABSENT, /* missing or null */
    API_VALUE_STRING, /* text, length: the decoded string */
    API_VALUE_INTEGER,
    API_VALUE_ARRAY, /* flags only: the items are in flag_items */
    API_VALUE_OTHER, /* anything else (a type error where it is read) */
};

struct api_value {
    enum api_value_kind kind;
    const char *text;
    size_t length;
    long long integer;
};

/* More flag names than this in one array is an error (there are 16 flags). */
#define API_FLAG_ITEMS_MAX 32

struct api_transfer_input {
    struct api_value id, debit_account_id, credit_account_id, amount, asset, code, flags,
        pending_id, timeout_s, user_data;
    struct api_value flag_items[API_FLAG_ITEMS_MAX];
    size_t flag_count;
};

/* The transfer the fields describe, checked field by field in a fixed order (the first
 * error is reported); the asset by code as api_transfer_parse documents. */
TPW_MUST_CHECK enum tpw_err api_transfer_from_input(const struct api_transfer_input *input,
                                                    struct ledger_transfer *out /* out */,
                                                    char asset_code[API_ASSET_CODE_SIZE],
                                                    struct tpw_error_detail *detail);

/* batch_scan.c: reads one batch item, or the body of POST /v1/transfers (one transfer
 * object, the same shape), of the plain form in place; false when it is anything else,
 * for jansson's path to read (never an error by itself). */
bool api_batch_scan_item(const char *text, size_t length, struct api_transfer_input *out /* out */);

#endif /* TPW_API_TRANSFER_INPUT_H */
