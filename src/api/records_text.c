/*
 * The ledger records' JSON text (include/tpwallet/api_json.h, "Printers"), written
 * straight into the caller's buffer: no jansson tree, no printf. This is the one
 * printer of the records: the single-transfer reply and the event streams use the text
 * as it is, and api_*_json (records_json.c) parse it when a caller wants a tree.
 *
 * The text is what json_dumps(…, JSON_COMPACT) printed of the trees the API built
 * before this writer existed, byte for byte: the same keys in the same order, integers
 * as jansson prints a json_int_t, strings escaped as jansson escapes them.
 * tests/prop/test_api_records_text.c holds it to that on random records.
 */
#include <string.h>

#include "tpwallet/api_json.h"
#include "tpwallet/id.h"
#include "tpwallet/money.h"
#include "tpw_assert.h"

#include "banned.h"

/* A text being written into the caller's buffer. */
struct out {
    char *buf;
    size_t size;
    size_t used;   /* bytes written, NUL excluded; below `size` while !overflow */
    bool overflow; /* sticky: the text did not fit */
};

static void out_bytes(struct out *out, const char *bytes, size_t length)
{
    if (out->overflow || length >= out->size - out->used) {
        out->overflow = true;
        return;
    }
    memcpy(out->buf + out->used, bytes, length);
    out->used += length;
}

static void out_char(struct out *out, char c)
{
    out_bytes(out, &c, 1);
}

static void out_text(struct out *out, const char *text)
{
    out_bytes(out, text, strlen(text));
}

/* A formatter wrote `length` bytes in place (0: it did not fit). */
static void out_advance(struct out *out, size_t length)
{
    out->overflow = out->overflow || length == 0;
    out->used += out->overflow ? 0 : length;
    TPW_ASSERT(out->overflow || out->used < out->size);
}

/* The room a formatter may use in place, its NUL included. */
static size_t out_room(const struct out *out)
{
    return out->overflow ? 0 : out->size - out->used;
}

/* jansson's escapes (dump.c): the two-character forms it has, \u00XX for the other
 * control characters; every other byte as it is (no JSON_ENSURE_ASCII, no
 * JSON_ESCAPE_SLASH). */
static void out_escape(struct out *out, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *two = c == '"'    ? "\\\""
                      : c == '\\' ? "\\\\"
                      : c == '\b' ? "\\b"
                      : c == '\f' ? "\\f"
                      : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r"
                      : c == '\t' ? "\\t"
                                  : NULL;
    if (two != NULL) {
        out_bytes(out, two, 2);
        return;
    }
    TPW_ASSERT(c < 0x20);
    char six[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
    out_bytes(out, six, sizeof six);
}

static void out_string(struct out *out, const char *text, size_t length)
{
    out_char(out, '"');
    size_t start = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        out_bytes(out, text + start, i - start);
        out_escape(out, c);
        start = i + 1;
    }
    out_bytes(out, text + start, length - start);
    out_char(out, '"');
}

/* `"name":`, after a comma unless it is the object's first key. */
static void out_key(struct out *out, const char *name)
{
    TPW_ASSERT(out->overflow || out->used > 0);
    if (!out->overflow && out->buf[out->used - 1] != '{') {
        out_char(out, ',');
    }
    out_char(out, '"');
    out_text(out, name);
    out_bytes(out, "\":", 2);
}

static void out_u128(struct out *out, tpw_u128 value)
{
    out_advance(out, tpw_u128_to_dec(value, out->buf + out->used, out_room(out)));
}

/* A json_int_t as jansson prints it ("%lld"). */
static void out_integer(struct out *out, int64_t value)
{
    if (value < 0) {
        out_char(out, '-');
    }
    /* The magnitude without overflowing at INT64_MIN. */
    uint64_t magnitude = value < 0 ? (uint64_t)(-(value + 1)) + 1u : (uint64_t)value;
    out_u128(out, magnitude);
}

static void integer_field(struct out *out, const char *name, int64_t value)
{
    out_key(out, name);
    out_integer(out, value);
}

static void string_field(struct out *out, const char *name, const char *text)
{
    out_key(out, name);
    out_string(out, text, strlen(text));
}

static void u128_field(struct out *out, const char *name, tpw_u128 value)
{
    out_key(out, name);
    out_char(out, '"');
    out_u128(out, value);
    out_char(out, '"');
}

static void id_field(struct out *out, const char *name, tpw_u128 id, const char *prefix)
{
    out_key(out, name);
    out_char(out, '"');
    out_advance(out, tpw_id_format(id, prefix, out->buf + out->used, out_room(out)));
    out_char(out, '"');
}

/* `name` in minor units and, with API_JSON_DECIMALS and a known asset, `name_decimal`
 * at the asset's exponent. */
static void amount_field(struct out *out, const char *name, tpw_u128 value,
                         const struct ledger_asset *asset, unsigned flags)
{
    u128_field(out, name, value);
    if ((flags & API_JSON_DECIMALS) == 0 || asset == NULL) {
        return;
    }
    TPW_ASSERT(asset->exponent <= MONEY_ASSET_EXPONENT_MAX);
    out_bytes(out, ",\"", 2);
    out_text(out, name);
    out_bytes(out, "_decimal\":\"", 11);
    out_advance(out,
                money_decimal_format(value, asset->exponent, out->buf + out->used, out_room(out)));
    out_char(out, '"');
}

/* An asset code (NUL-terminated in its 9 bytes) as a string. */
static void code_string(struct out *out, const char code[9])
{
    out_string(out, code, strnlen(code, 9));
}

/* The code of a known asset, "#<number>" (its last 7 digits) of an unknown one. */
static void asset_field(struct out *out, const struct ledger_asset *asset, uint32_t number)
{
    out_key(out, "asset");
    if (asset != NULL) {
        code_string(out, asset->code);
        return;
    }
    out_bytes(out, "\"#", 2);
    out_u128(out, number % 10000000u);
    out_char(out, '"');
}

static void exponent_field(struct out *out, const struct ledger_asset *asset, unsigned flags)
{
    if ((flags & API_JSON_DECIMALS) != 0 && asset != NULL) {
        integer_field(out, "exponent", asset->exponent);
    }
}

/* The names of the set bits, lowest first; "reserved" for a bit without one. */
static void flags_field(struct out *out, uint16_t flags, bool transfer)
{
    out_key(out, "flags");
    out_char(out, '[');
    bool first = true;
    for (unsigned bit = 0; bit < 16; bit++) {
        unsigned flag = 1u << bit;
        if ((flags & flag) == 0) {
            continue;
        }
        const char *name =
            transfer ? ledger_transfer_flag_name(flag) : ledger_account_flag_name(flag);
        if (!first) {
            out_char(out, ',');
        }
        first = false;
        out_char(out, '"');
        out_text(out, name != NULL ? name : "reserved");
        out_char(out, '"');
    }
    out_char(out, ']');
}

/* The buffer's text and length, or "" and 0 when it did not fit. */
static size_t out_finish(struct out *out)
{
    if (out->size == 0) {
        return 0;
    }
    size_t length = out->overflow ? 0 : out->used;
    out->buf[length] = '\0';
    return length;
}

static struct out out_init(char *buf, size_t size)
{
    return (struct out){.buf = buf, .size = size, .used = 0, .overflow = size == 0};
}

/* ---- the records ----------------------------------------------------------------- */

static void account_object(struct out *out, const struct ledger_account *a,
                           const struct ledger_asset *asset, unsigned flags)
{
    out_char(out, '{');
    id_field(out, "id", a->id, API_ACCOUNT_PREFIX);
    asset_field(out, asset, a->asset);
    exponent_field(out, asset, flags);
    const char *kind = ledger_account_kind_name(a->kind);
    string_field(out, "kind", kind != NULL ? kind : "unknown");
    if (a->owner == 0) {
        out_key(out, "owner");
        out_bytes(out, "null", 4);
    } else {
        id_field(out, "owner", a->owner, API_OWNER_PREFIX);
    }
    flags_field(out, a->flags, false);
    amount_field(out, "overdraft_limit", a->overdraft_limit, asset, flags);
    amount_field(out, "debits_pending", a->debits_pending, asset, flags);
    amount_field(out, "debits_posted", a->debits_posted, asset, flags);
    amount_field(out, "credits_pending", a->credits_pending, asset, flags);
    amount_field(out, "credits_posted", a->credits_posted, asset, flags);
    integer_field(out, "timestamp", (int64_t)a->timestamp);
    out_char(out, '}');
}

static void transfer_object(struct out *out, const struct ledger_transfer *t,
                            const struct ledger_asset *asset, enum ledger_pending_state state,
                            unsigned flags)
{
    out_char(out, '{');
    id_field(out, "id", t->id, API_TRANSFER_PREFIX);
    id_field(out, "debit_account_id", t->debit_account_id, API_ACCOUNT_PREFIX);
    id_field(out, "credit_account_id", t->credit_account_id, API_ACCOUNT_PREFIX);
    amount_field(out, "amount", t->amount, asset, flags);
    asset_field(out, asset, t->asset);
    exponent_field(out, asset, flags);
    integer_field(out, "code", t->code);
    flags_field(out, t->flags, true);
    if (t->pending_id != 0) {
        id_field(out, "pending_id", t->pending_id, API_TRANSFER_PREFIX);
    }
    integer_field(out, "timeout_s", t->timeout_s);
    u128_field(out, "user_data", t->user_data);
    integer_field(out, "timestamp", (int64_t)t->timestamp);
    /* A state without a name (none is stored) had no field in the tree either. */
    const char *name = ledger_pending_state_name(state);
    if (state != LEDGER_PENDING_NONE && name != NULL) {
        string_field(out, "state", name);
    }
    out_char(out, '}');
}

/* The four amounts (and their decimals); `account_id` and the rest are the caller's. */
static void balance_amounts(struct out *out, const struct ledger_balance *b,
                            const struct ledger_asset *asset, unsigned flags)
{
    amount_field(out, "debits_pending", b->debits_pending, asset, flags);
    amount_field(out, "debits_posted", b->debits_posted, asset, flags);
    amount_field(out, "credits_pending", b->credits_pending, asset, flags);
    amount_field(out, "credits_posted", b->credits_posted, asset, flags);
}

size_t api_account_format(const struct ledger_account *account, const struct ledger_asset *asset,
                          unsigned flags, char *buf, size_t size)
{
    struct out out = out_init(buf, size);
    account_object(&out, account, asset, flags);
    return out_finish(&out);
}

size_t api_transfer_format(const struct ledger_transfer *transfer, const struct ledger_asset *asset,
                           enum ledger_pending_state state, unsigned flags, char *buf, size_t size)
{
    struct out out = out_init(buf, size);
    transfer_object(&out, transfer, asset, state, flags);
    return out_finish(&out);
}

size_t api_balance_format(tpw_u128 account_id, const struct ledger_balance *balance,
                          const struct ledger_asset *asset, unsigned flags, char *buf, size_t size)
{
    struct out out = out_init(buf, size);
    out_char(&out, '{');
    id_field(&out, "account_id", account_id, API_ACCOUNT_PREFIX);
    out_key(&out, "asset");
    code_string(&out, asset != NULL ? asset->code : "");
    exponent_field(&out, asset, flags);
    balance_amounts(&out, balance, asset, flags);
    integer_field(&out, "timestamp", (int64_t)balance->timestamp);
    out_char(&out, '}');
    return out_finish(&out);
}

/* `"asset":{"number","code","exponent"}` of an asset_defined event; the number as the
 * C int the tree was packed from. */
static void defined_asset_field(struct out *out, const struct ledger_asset *defined)
{
    out_key(out, "asset");
    out_char(out, '{');
    integer_field(out, "number", (int32_t)defined->number);
    out_key(out, "code");
    code_string(out, defined->code);
    integer_field(out, "exponent", defined->exponent);
    out_char(out, '}');
}

static void event_transfer_fields(struct out *out, const struct ledger_event *event,
                                  const struct ledger_asset *asset, unsigned flags)
{
    enum ledger_pending_state state =
        event->kind == LEDGER_EVENT_PENDING_EXPIRED ? LEDGER_PENDING_EXPIRED : LEDGER_PENDING_NONE;
    out_key(out, "transfer");
    transfer_object(out, &event->transfer, asset, state, flags);
    out_key(out, "debit_balance");
    out_char(out, '{');
    balance_amounts(out, &event->debit_balance, asset, flags);
    out_char(out, '}');
    out_key(out, "credit_balance");
    out_char(out, '{');
    balance_amounts(out, &event->credit_balance, asset, flags);
    out_char(out, '}');
}

size_t api_event_format(const struct ledger_event *event, const struct ledger_asset *asset,
                        unsigned flags, char *buf, size_t size)
{
    char id[LEDGER_EVENT_ID_TEXT_SIZE];
    size_t id_length = ledger_event_id_format(event->id, id);
    TPW_ASSERT(id_length > 0 && id_length < sizeof id);
    const char *kind = ledger_event_kind_name(event->kind);
    struct out out = out_init(buf, size);
    out_char(&out, '{');
    string_field(&out, "id", id);
    string_field(&out, "kind", kind != NULL ? kind : "unknown");
    integer_field(&out, "timestamp", (int64_t)event->timestamp);
    if (event->kind == LEDGER_EVENT_ASSET_DEFINED) {
        defined_asset_field(&out, &event->asset);
    } else if (event->kind == LEDGER_EVENT_ACCOUNT_CREATED) {
        out_key(&out, "account");
        account_object(&out, &event->account, asset, flags);
    } else {
        event_transfer_fields(&out, event, asset, flags);
    }
    out_char(&out, '}');
    return out_finish(&out);
}
