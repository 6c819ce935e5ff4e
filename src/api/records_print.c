/*
 * The ledger records' one printer (include/tpwallet/api_json.h, "Printers"): each
 * record is described once, field by field, against a sink that either writes the
 * compact JSON text straight into the caller's buffer (no jansson, no printf: the
 * single-transfer reply and the event streams) or builds the jansson tree (lists and
 * the CLI, which put records into larger documents). One description, so the two
 * forms cannot drift apart.
 *
 * The text is what json_dumps(…, JSON_COMPACT) prints of the tree, byte for byte: the
 * same keys in the same order, integers as jansson prints a json_int_t, strings escaped
 * as jansson escapes them. tests/prop/test_api_records_text.c holds both forms to the
 * trees the API built before this file existed, on random records.
 */
#include <string.h>

#include "tpwallet/api_json.h"
#include "tpwallet/id.h"
#include "tpwallet/money.h"
#include "tpw_assert.h"

#include "banned.h"

/* ---- text ---------------------------------------------------------------------------- */

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

/* A json_int_t as jansson prints it ("%lld"). */
static void out_integer(struct out *out, int64_t value)
{
    /* The magnitude without overflowing at INT64_MIN. */
    uint64_t magnitude = value < 0 ? (uint64_t)(-(value + 1)) + 1u : (uint64_t)value;
    char digits[TPW_U128_DEC_SIZE];
    size_t length = tpw_u128_to_dec(magnitude, digits, sizeof digits);
    TPW_ASSERT(length > 0);
    if (value < 0) {
        out_char(out, '-');
    }
    out_bytes(out, digits, length);
}

/* The comma before a key or an array item: none after an opening or a key. */
static void out_separate(struct out *out)
{
    if (out->overflow || out->used == 0) {
        return;
    }
    char last = out->buf[out->used - 1];
    if (last != '{' && last != '[' && last != ':') {
        out_char(out, ',');
    }
}

/* ---- the sink: the text or the tree ------------------------------------------------ */

/* An event holds a transfer that holds its flags. */
#define SINK_DEPTH_MAX 3
/* The longest key: "credits_pending_decimal" and the like. */
#define SINK_KEY_SIZE 32

struct sink {
    bool tree;
    struct out out; /* the text */
    /* The tree: its root, the containers open, the key waiting for its value. */
    json_t *root;
    json_t *open[SINK_DEPTH_MAX];
    size_t depth;
    char key[SINK_KEY_SIZE];
    bool failed; /* out of memory: the tree is dropped */
};

/* Puts a new value into the open container (under the waiting key), or makes it the
 * root; takes `value`. */
static void tree_attach(struct sink *sink, json_t *value)
{
    if (sink->failed || value == NULL) {
        json_decref(value);
        sink->failed = true;
        return;
    }
    if (sink->depth == 0) {
        TPW_ASSERT(sink->root == NULL);
        sink->root = value;
        return;
    }
    json_t *parent = sink->open[sink->depth - 1];
    int rc = json_is_object(parent) ? json_object_set_new(parent, sink->key, value)
                                    : json_array_append_new(parent, value);
    sink->failed = rc != 0;
}

/* `{` or `[`. */
static void sink_open(struct sink *sink, char bracket)
{
    TPW_ASSERT(bracket == '{' || bracket == '[');
    if (!sink->tree) {
        out_separate(&sink->out);
        out_char(&sink->out, bracket);
        return;
    }
    json_t *container = bracket == '{' ? json_object() : json_array();
    tree_attach(sink, container);
    TPW_ASSERT(sink->depth < SINK_DEPTH_MAX);
    sink->open[sink->depth++] = sink->failed ? NULL : container;
}

static void sink_close(struct sink *sink, char bracket)
{
    TPW_ASSERT(bracket == '}' || bracket == ']');
    if (!sink->tree) {
        out_char(&sink->out, bracket);
        return;
    }
    TPW_ASSERT(sink->depth > 0);
    sink->depth--;
}

/* The key `name` + `suffix` of the next value. */
static void sink_key(struct sink *sink, const char *name, const char *suffix)
{
    if (!sink->tree) {
        out_separate(&sink->out);
        out_char(&sink->out, '"');
        out_text(&sink->out, name);
        out_text(&sink->out, suffix);
        out_bytes(&sink->out, "\":", 2);
        return;
    }
    size_t name_length = strlen(name);
    size_t suffix_length = strlen(suffix);
    TPW_ASSERT(name_length + suffix_length < sizeof sink->key);
    memcpy(sink->key, name, name_length);
    memcpy(sink->key + name_length, suffix, suffix_length + 1);
}

static void sink_string(struct sink *sink, const char *text, size_t length)
{
    if (sink->tree) {
        tree_attach(sink, json_stringn(text, length));
        return;
    }
    out_separate(&sink->out);
    out_string(&sink->out, text, length);
}

/* A string known to need no escaping (digits, ids, the ledger's names): copied. */
static void sink_plain(struct sink *sink, const char *text, size_t length)
{
    if (sink->tree) {
        tree_attach(sink, json_stringn(text, length));
        return;
    }
    out_separate(&sink->out);
    out_char(&sink->out, '"');
    out_bytes(&sink->out, text, length);
    out_char(&sink->out, '"');
}

static void sink_integer(struct sink *sink, int64_t value)
{
    if (sink->tree) {
        tree_attach(sink, json_integer((json_int_t)value));
        return;
    }
    out_separate(&sink->out);
    out_integer(&sink->out, value);
}

static void sink_null(struct sink *sink)
{
    if (sink->tree) {
        tree_attach(sink, json_null());
        return;
    }
    out_separate(&sink->out);
    out_bytes(&sink->out, "null", 4);
}

static struct sink sink_text(char *buf, size_t size)
{
    return (struct sink){.out = {.buf = buf, .size = size, .overflow = size == 0}};
}

/* The text's length, or 0 (and "" when there is room for it) when it did not fit. */
static size_t sink_text_finish(struct sink *sink)
{
    struct out *out = &sink->out;
    if (out->size == 0) {
        return 0;
    }
    size_t length = out->overflow ? 0 : out->used;
    out->buf[length] = '\0';
    return length;
}

static struct sink sink_tree(void)
{
    return (struct sink){.tree = true};
}

/* The tree (the caller's), or NULL when memory ran out. */
static json_t *sink_tree_finish(struct sink *sink)
{
    TPW_ASSERT(sink->depth == 0);
    if (sink->failed) {
        json_decref(sink->root);
        return NULL;
    }
    TPW_ASSERT(sink->root != NULL);
    return sink->root;
}

/* ---- fields -------------------------------------------------------------------------- */

static void integer_field(struct sink *sink, const char *name, int64_t value)
{
    sink_key(sink, name, "");
    sink_integer(sink, value);
}

/* A name of the ledger's (a kind, a state) or an event id: nothing to escape. */
static void name_field(struct sink *sink, const char *name, const char *text)
{
    sink_key(sink, name, "");
    sink_plain(sink, text, strlen(text));
}

static void u128_field(struct sink *sink, const char *name, tpw_u128 value)
{
    char digits[TPW_U128_DEC_SIZE];
    size_t length = tpw_u128_to_dec(value, digits, sizeof digits);
    TPW_ASSERT(length > 0);
    sink_key(sink, name, "");
    sink_plain(sink, digits, length);
}

static void id_field(struct sink *sink, const char *name, tpw_u128 id, const char *prefix)
{
    char text[TPW_ID_TEXT_SIZE];
    size_t length = tpw_id_format(id, prefix, text, sizeof text);
    TPW_ASSERT(length > 0);
    sink_key(sink, name, "");
    sink_plain(sink, text, length);
}

/* `name` in minor units and, with API_JSON_DECIMALS and a known asset, `name_decimal`
 * at the asset's exponent. */
static void amount_field(struct sink *sink, const char *name, tpw_u128 value,
                         const struct ledger_asset *asset, unsigned flags)
{
    u128_field(sink, name, value);
    if ((flags & API_JSON_DECIMALS) == 0 || asset == NULL) {
        return;
    }
    TPW_ASSERT(asset->exponent <= MONEY_ASSET_EXPONENT_MAX);
    char text[MONEY_DECIMAL_TEXT_SIZE];
    size_t length = money_decimal_format(value, asset->exponent, text, sizeof text);
    TPW_ASSERT(length > 0);
    sink_key(sink, name, "_decimal");
    sink_plain(sink, text, length);
}

/* An asset code (NUL-terminated in its 9 bytes) as a string. */
static void code_field(struct sink *sink, const char *name, const char code[9])
{
    sink_key(sink, name, "");
    sink_string(sink, code, strnlen(code, 9));
}

/* The code of a known asset, "#<number>" (its last 7 digits) of an unknown one. */
static void asset_field(struct sink *sink, const struct ledger_asset *asset, uint32_t number)
{
    if (asset != NULL) {
        code_field(sink, "asset", asset->code);
        return;
    }
    char text[2 + TPW_U128_DEC_SIZE] = "#";
    size_t length = tpw_u128_to_dec(number % 10000000u, text + 1, sizeof text - 1);
    TPW_ASSERT(length > 0);
    sink_key(sink, "asset", "");
    sink_plain(sink, text, 1 + length);
}

static void exponent_field(struct sink *sink, const struct ledger_asset *asset, unsigned flags)
{
    if ((flags & API_JSON_DECIMALS) != 0 && asset != NULL) {
        integer_field(sink, "exponent", asset->exponent);
    }
}

/* The names of the set bits, lowest first; "reserved" for a bit without one. */
static void flags_field(struct sink *sink, uint16_t flags, bool transfer)
{
    sink_key(sink, "flags", "");
    sink_open(sink, '[');
    for (unsigned bit = 0; bit < 16; bit++) {
        unsigned flag = 1u << bit;
        if ((flags & flag) == 0) {
            continue;
        }
        const char *name =
            transfer ? ledger_transfer_flag_name(flag) : ledger_account_flag_name(flag);
        name = name != NULL ? name : "reserved";
        sink_plain(sink, name, strlen(name));
    }
    sink_close(sink, ']');
}

/* ---- the records ---------------------------------------------------------------- */

static void account_object(struct sink *sink, const struct ledger_account *a,
                           const struct ledger_asset *asset, unsigned flags)
{
    sink_open(sink, '{');
    id_field(sink, "id", a->id, API_ACCOUNT_PREFIX);
    asset_field(sink, asset, a->asset);
    exponent_field(sink, asset, flags);
    const char *kind = ledger_account_kind_name(a->kind);
    name_field(sink, "kind", kind != NULL ? kind : "unknown");
    if (a->owner == 0) {
        sink_key(sink, "owner", "");
        sink_null(sink);
    } else {
        id_field(sink, "owner", a->owner, API_OWNER_PREFIX);
    }
    flags_field(sink, a->flags, false);
    amount_field(sink, "overdraft_limit", a->overdraft_limit, asset, flags);
    amount_field(sink, "debits_pending", a->debits_pending, asset, flags);
    amount_field(sink, "debits_posted", a->debits_posted, asset, flags);
    amount_field(sink, "credits_pending", a->credits_pending, asset, flags);
    amount_field(sink, "credits_posted", a->credits_posted, asset, flags);
    integer_field(sink, "timestamp", (int64_t)a->timestamp);
    sink_close(sink, '}');
}

static void transfer_object(struct sink *sink, const struct ledger_transfer *t,
                            const struct ledger_asset *asset, enum ledger_pending_state state,
                            unsigned flags)
{
    sink_open(sink, '{');
    id_field(sink, "id", t->id, API_TRANSFER_PREFIX);
    id_field(sink, "debit_account_id", t->debit_account_id, API_ACCOUNT_PREFIX);
    id_field(sink, "credit_account_id", t->credit_account_id, API_ACCOUNT_PREFIX);
    amount_field(sink, "amount", t->amount, asset, flags);
    asset_field(sink, asset, t->asset);
    exponent_field(sink, asset, flags);
    integer_field(sink, "code", t->code);
    flags_field(sink, t->flags, true);
    if (t->pending_id != 0) {
        id_field(sink, "pending_id", t->pending_id, API_TRANSFER_PREFIX);
    }
    integer_field(sink, "timeout_s", t->timeout_s);
    u128_field(sink, "user_data", t->user_data);
    integer_field(sink, "timestamp", (int64_t)t->timestamp);
    /* A state without a name (none is ever stored) never had a field. */
    const char *name = ledger_pending_state_name(state);
    if (state != LEDGER_PENDING_NONE && name != NULL) {
        name_field(sink, "state", name);
    }
    sink_close(sink, '}');
}

/* The four amounts (and their decimals); the caller opens and closes the object. */
static void balance_amounts(struct sink *sink, const struct ledger_balance *b,
                            const struct ledger_asset *asset, unsigned flags)
{
    amount_field(sink, "debits_pending", b->debits_pending, asset, flags);
    amount_field(sink, "debits_posted", b->debits_posted, asset, flags);
    amount_field(sink, "credits_pending", b->credits_pending, asset, flags);
    amount_field(sink, "credits_posted", b->credits_posted, asset, flags);
}

/* Balances as of a time (GET /v1/accounts/{id}/balances). */
static void balance_object(struct sink *sink, tpw_u128 account_id, const struct ledger_balance *b,
                           const struct ledger_asset *asset, unsigned flags)
{
    sink_open(sink, '{');
    id_field(sink, "account_id", account_id, API_ACCOUNT_PREFIX);
    if (asset != NULL) {
        code_field(sink, "asset", asset->code);
    } else {
        name_field(sink, "asset", "");
    }
    exponent_field(sink, asset, flags);
    balance_amounts(sink, b, asset, flags);
    integer_field(sink, "timestamp", (int64_t)b->timestamp);
    sink_close(sink, '}');
}

/* `"asset":{"number","code","exponent"}` of an asset_defined event; the number as the
 * C int the tree was first packed from. */
static void defined_asset_field(struct sink *sink, const struct ledger_asset *defined)
{
    sink_key(sink, "asset", "");
    sink_open(sink, '{');
    integer_field(sink, "number", (int32_t)defined->number);
    code_field(sink, "code", defined->code);
    integer_field(sink, "exponent", defined->exponent);
    sink_close(sink, '}');
}

static void event_balance_field(struct sink *sink, const char *name, const struct ledger_balance *b,
                                const struct ledger_asset *asset, unsigned flags)
{
    sink_key(sink, name, "");
    sink_open(sink, '{');
    balance_amounts(sink, b, asset, flags);
    sink_close(sink, '}');
}

static void event_object(struct sink *sink, const struct ledger_event *event,
                         const struct ledger_asset *asset, unsigned flags)
{
    char id[LEDGER_EVENT_ID_TEXT_SIZE];
    size_t id_length = ledger_event_id_format(event->id, id);
    TPW_ASSERT(id_length > 0 && id_length < sizeof id);
    const char *kind = ledger_event_kind_name(event->kind);
    sink_open(sink, '{');
    name_field(sink, "id", id);
    name_field(sink, "kind", kind != NULL ? kind : "unknown");
    integer_field(sink, "timestamp", (int64_t)event->timestamp);
    if (event->kind == LEDGER_EVENT_ASSET_DEFINED) {
        defined_asset_field(sink, &event->asset);
    } else if (event->kind == LEDGER_EVENT_ACCOUNT_CREATED) {
        sink_key(sink, "account", "");
        account_object(sink, &event->account, asset, flags);
    } else {
        enum ledger_pending_state state = event->kind == LEDGER_EVENT_PENDING_EXPIRED
                                              ? LEDGER_PENDING_EXPIRED
                                              : LEDGER_PENDING_NONE;
        sink_key(sink, "transfer", "");
        transfer_object(sink, &event->transfer, asset, state, flags);
        event_balance_field(sink, "debit_balance", &event->debit_balance, asset, flags);
        event_balance_field(sink, "credit_balance", &event->credit_balance, asset, flags);
    }
    sink_close(sink, '}');
}

/* ---- the text and the tree of each record ----------------------------------------- */

size_t api_account_format(const struct ledger_account *account, const struct ledger_asset *asset,
                          unsigned flags, char *buf, size_t size)
{
    struct sink sink = sink_text(buf, size);
    account_object(&sink, account, asset, flags);
    return sink_text_finish(&sink);
}

json_t *api_account_json(const struct ledger_account *account, const struct ledger_asset *asset,
                         unsigned flags)
{
    struct sink sink = sink_tree();
    account_object(&sink, account, asset, flags);
    return sink_tree_finish(&sink);
}

size_t api_transfer_format(const struct ledger_transfer *transfer, const struct ledger_asset *asset,
                           enum ledger_pending_state state, unsigned flags, char *buf, size_t size)
{
    struct sink sink = sink_text(buf, size);
    transfer_object(&sink, transfer, asset, state, flags);
    return sink_text_finish(&sink);
}

json_t *api_transfer_json(const struct ledger_transfer *transfer, const struct ledger_asset *asset,
                          enum ledger_pending_state state, unsigned flags)
{
    struct sink sink = sink_tree();
    transfer_object(&sink, transfer, asset, state, flags);
    return sink_tree_finish(&sink);
}

size_t api_balance_format(tpw_u128 account_id, const struct ledger_balance *balance,
                          const struct ledger_asset *asset, unsigned flags, char *buf, size_t size)
{
    struct sink sink = sink_text(buf, size);
    balance_object(&sink, account_id, balance, asset, flags);
    return sink_text_finish(&sink);
}

json_t *api_balance_json(tpw_u128 account_id, const struct ledger_balance *balance,
                         const struct ledger_asset *asset, unsigned flags)
{
    struct sink sink = sink_tree();
    balance_object(&sink, account_id, balance, asset, flags);
    return sink_tree_finish(&sink);
}

size_t api_event_format(const struct ledger_event *event, const struct ledger_asset *asset,
                        unsigned flags, char *buf, size_t size)
{
    struct sink sink = sink_text(buf, size);
    event_object(&sink, event, asset, flags);
    return sink_text_finish(&sink);
}

json_t *api_event_json(const struct ledger_event *event, const struct ledger_asset *asset,
                       unsigned flags)
{
    struct sink sink = sink_tree();
    event_object(&sink, event, asset, flags);
    return sink_tree_finish(&sink);
}
