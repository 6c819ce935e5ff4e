/*
 * The transfer endpoints' fast reader: one transfer object (an item of a batch body, or
 * the whole body of POST /v1/transfers), read in place into a struct
 * api_transfer_input without building a tree or allocating.
 *
 * It reads only the plain form clients send — the known field names, each once;
 * strings without escapes and in ASCII; non-negative integers; null; a flags array of
 * such strings — and gives up on anything else. Giving up is never an error: the
 * caller then parses the body with jansson, which accepts every JSON and reports the
 * exact error. What the fields mean is decided in one place for both readers
 * (api_transfer_from_input), so a record read here is the record jansson would give.
 */
#include <stddef.h>
#include <string.h>

#include "transfer_input.h"

#include "banned.h"

struct scan {
    const char *text;
    size_t length;
    size_t at;
};

static void skip_space(struct scan *scan)
{
    while (scan->at < scan->length) {
        char c = scan->text[scan->at];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            return;
        }
        scan->at++;
    }
}

static bool take(struct scan *scan, char c)
{
    skip_space(scan);
    if (scan->at < scan->length && scan->text[scan->at] == c) {
        scan->at++;
        return true;
    }
    return false;
}

/* A string of printable ASCII without escapes; its text is in place. */
static bool plain_string(struct scan *scan, struct api_value *out)
{
    if (!take(scan, '"')) {
        return false;
    }
    size_t start = scan->at;
    while (scan->at < scan->length) {
        unsigned char c = (unsigned char)scan->text[scan->at];
        if (c == '"') {
            *out = (struct api_value){
                .kind = API_VALUE_STRING, .text = scan->text + start, .length = scan->at - start};
            scan->at++;
            return true;
        }
        if (c == '\\' || c < 0x20 || c >= 0x80) {
            return false; /* escapes, control bytes, UTF-8: jansson's to judge */
        }
        scan->at++;
    }
    return false;
}

/* A non-negative integer as JSON writes it (no sign, no leading zero, no fraction),
 * small enough that no field's range check can overflow. */
static bool plain_integer(struct scan *scan, struct api_value *out)
{
    size_t start = scan->at;
    long long value = 0;
    while (scan->at < scan->length && scan->text[scan->at] >= '0' && scan->text[scan->at] <= '9') {
        value = value * 10 + (scan->text[scan->at] - '0');
        scan->at++;
        if (scan->at - start > 18) {
            return false;
        }
    }
    size_t digits = scan->at - start;
    if (digits == 0 || (digits > 1 && scan->text[start] == '0')) {
        return false;
    }
    if (scan->at < scan->length && strchr(".eE", scan->text[scan->at]) != NULL) {
        return false;
    }
    *out = (struct api_value){.kind = API_VALUE_INTEGER, .integer = value};
    return true;
}

static bool plain_null(struct scan *scan, struct api_value *out)
{
    if (scan->length - scan->at < 4 || memcmp(scan->text + scan->at, "null", 4) != 0) {
        return false;
    }
    scan->at += 4;
    *out = (struct api_value){.kind = API_VALUE_ABSENT};
    return true;
}

static bool plain_flags(struct scan *scan, struct api_transfer_input *in)
{
    in->flags = (struct api_value){.kind = API_VALUE_ARRAY};
    in->flag_count = 0;
    scan->at++; /* the '[' */
    if (take(scan, ']')) {
        return true;
    }
    do {
        if (in->flag_count == API_FLAG_ITEMS_MAX ||
            !plain_string(scan, &in->flag_items[in->flag_count])) {
            return false;
        }
        in->flag_count++;
    } while (take(scan, ','));
    return take(scan, ']');
}

static bool plain_value(struct scan *scan, struct api_value *out)
{
    skip_space(scan);
    if (scan->at >= scan->length) {
        return false;
    }
    char c = scan->text[scan->at];
    if (c == '"') {
        return plain_string(scan, out);
    }
    return c == 'n' ? plain_null(scan, out) : plain_integer(scan, out);
}

/* The input's slot for a field name and its bit; NULL for names a transfer lacks. */
static struct api_value *slot_of(struct api_transfer_input *in, const struct api_value *name,
                                 unsigned *bit)
{
    static const struct {
        const char *name;
        size_t offset;
    } fields[] = {
        {"id", offsetof(struct api_transfer_input, id)},
        {"debit_account_id", offsetof(struct api_transfer_input, debit_account_id)},
        {"credit_account_id", offsetof(struct api_transfer_input, credit_account_id)},
        {"amount", offsetof(struct api_transfer_input, amount)},
        {"asset", offsetof(struct api_transfer_input, asset)},
        {"code", offsetof(struct api_transfer_input, code)},
        {"flags", offsetof(struct api_transfer_input, flags)},
        {"pending_id", offsetof(struct api_transfer_input, pending_id)},
        {"timeout_s", offsetof(struct api_transfer_input, timeout_s)},
        {"user_data", offsetof(struct api_transfer_input, user_data)},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strlen(fields[i].name) == name->length &&
            memcmp(fields[i].name, name->text, name->length) == 0) {
            *bit = 1u << i;
            return (struct api_value *)(void *)((char *)in + fields[i].offset);
        }
    }
    return NULL;
}

/* Reads one "name": value member; false to give up. */
static bool member(struct scan *scan, struct api_transfer_input *in, unsigned *seen)
{
    struct api_value name;
    if (!plain_string(scan, &name) || !take(scan, ':')) {
        return false;
    }
    unsigned bit = 0;
    struct api_value *slot = slot_of(in, &name, &bit);
    if (slot == NULL || (*seen & bit) != 0) {
        return false; /* unknown or repeated: jansson's path gives the error */
    }
    *seen |= bit;
    skip_space(scan);
    if (slot == &in->flags && scan->at < scan->length && scan->text[scan->at] == '[') {
        return plain_flags(scan, in);
    }
    return plain_value(scan, slot);
}

bool api_batch_scan_item(const char *text, size_t length, struct api_transfer_input *out)
{
    struct scan scan = {text, length, 0};
    memset(out, 0, sizeof *out);
    if (!take(&scan, '{')) {
        return false;
    }
    if (take(&scan, '}')) {
        return false; /* an empty item is an error: let jansson's path say which */
    }
    unsigned seen = 0;
    do {
        if (!member(&scan, out, &seen)) {
            return false;
        }
    } while (take(&scan, ','));
    if (!take(&scan, '}')) {
        return false;
    }
    skip_space(&scan);
    return scan.at == scan.length;
}
