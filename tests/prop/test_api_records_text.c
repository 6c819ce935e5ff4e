/*
 * The records' text writer (api_*_format, src/api/records_text.c) against the jansson
 * trees the API printed before it: random transfers, accounts, balances and events —
 * every flag bit, 128-bit extremes, every exponent 0..18, unknown assets, every pending
 * state, zero and maximal ids, timestamps above INT64_MAX, asset codes that need
 * escaping — must print byte for byte what json_dumps(tree, JSON_COMPACT) printed. The
 * trees are built here as records_json.c built them at 2ade804 (the oracle: the wire
 * format as clients have seen it); api_*_json, the same description printed as a tree,
 * must print the same too. Also: the longest records fit the API_*_TEXT_SIZE buffers,
 * and a buffer too short gives 0 and "" while one of exactly the length + 1 is enough.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tpw_test.h"
#include "tpwallet/api_json.h"
#include "tpwallet/id.h"
#include "tpwallet/money.h"
#include "tpwallet/prng.h"

#include "banned.h"

/* Per record kind. Each case builds two trees and three texts; 50k keep the suite at a
 * few seconds (and under a minute with the sanitizers). */
#define CASES 50000

/* ---- the oracle: the trees as records_json.c built them ------------------------------ */

static json_t *oracle_flags(uint16_t flags, bool transfer)
{
    json_t *array = json_array();
    for (unsigned bit = 0; array != NULL && bit < 16; bit++) {
        unsigned flag = 1u << bit;
        if ((flags & flag) != 0) {
            const char *name =
                transfer ? ledger_transfer_flag_name(flag) : ledger_account_flag_name(flag);
            (void)json_array_append_new(array, json_string(name != NULL ? name : "reserved"));
        }
    }
    return array;
}

static json_t *oracle_asset_code(const struct ledger_asset *asset, uint32_t number)
{
    if (asset != NULL) {
        return json_string(asset->code);
    }
    char code[16];
    (void)snprintf(code, sizeof code, "#%u", number % 10000000u);
    return json_string(code);
}

static void oracle_amount(json_t *object, const char *name, tpw_u128 value,
                          const struct ledger_asset *asset, unsigned flags)
{
    (void)json_object_set_new(object, name, api_u128_json(value));
    if ((flags & API_JSON_DECIMALS) == 0 || asset == NULL) {
        return;
    }
    char text[MONEY_DECIMAL_TEXT_SIZE];
    assert_true(money_decimal_format(value, asset->exponent, text, sizeof text) > 0);
    char key[64];
    (void)snprintf(key, sizeof key, "%s_decimal", name);
    (void)json_object_set_new(object, key, json_string(text));
}

static void oracle_exponent(json_t *object, const struct ledger_asset *asset, unsigned flags)
{
    if ((flags & API_JSON_DECIMALS) != 0 && asset != NULL) {
        (void)json_object_set_new(object, "exponent", json_integer(asset->exponent));
    }
}

static json_t *oracle_account(const struct ledger_account *a, const struct ledger_asset *asset,
                              unsigned flags)
{
    json_t *object = json_object();
    (void)json_object_set_new(object, "id", api_id_json(a->id, API_ACCOUNT_PREFIX));
    (void)json_object_set_new(object, "asset", oracle_asset_code(asset, a->asset));
    oracle_exponent(object, asset, flags);
    const char *kind = ledger_account_kind_name(a->kind);
    (void)json_object_set_new(object, "kind", json_string(kind != NULL ? kind : "unknown"));
    (void)json_object_set_new(
        object, "owner", a->owner == 0 ? json_null() : api_id_json(a->owner, API_OWNER_PREFIX));
    (void)json_object_set_new(object, "flags", oracle_flags(a->flags, false));
    oracle_amount(object, "overdraft_limit", a->overdraft_limit, asset, flags);
    oracle_amount(object, "debits_pending", a->debits_pending, asset, flags);
    oracle_amount(object, "debits_posted", a->debits_posted, asset, flags);
    oracle_amount(object, "credits_pending", a->credits_pending, asset, flags);
    oracle_amount(object, "credits_posted", a->credits_posted, asset, flags);
    (void)json_object_set_new(object, "timestamp", json_integer((json_int_t)a->timestamp));
    return object;
}

static json_t *oracle_transfer(const struct ledger_transfer *t, const struct ledger_asset *asset,
                               enum ledger_pending_state state, unsigned flags)
{
    json_t *object = json_object();
    (void)json_object_set_new(object, "id", api_id_json(t->id, API_TRANSFER_PREFIX));
    (void)json_object_set_new(object, "debit_account_id",
                              api_id_json(t->debit_account_id, API_ACCOUNT_PREFIX));
    (void)json_object_set_new(object, "credit_account_id",
                              api_id_json(t->credit_account_id, API_ACCOUNT_PREFIX));
    oracle_amount(object, "amount", t->amount, asset, flags);
    (void)json_object_set_new(object, "asset", oracle_asset_code(asset, t->asset));
    oracle_exponent(object, asset, flags);
    (void)json_object_set_new(object, "code", json_integer(t->code));
    (void)json_object_set_new(object, "flags", oracle_flags(t->flags, true));
    if (t->pending_id != 0) {
        (void)json_object_set_new(object, "pending_id",
                                  api_id_json(t->pending_id, API_TRANSFER_PREFIX));
    }
    (void)json_object_set_new(object, "timeout_s", json_integer(t->timeout_s));
    (void)json_object_set_new(object, "user_data", api_u128_json(t->user_data));
    (void)json_object_set_new(object, "timestamp", json_integer((json_int_t)t->timestamp));
    if (state != LEDGER_PENDING_NONE) {
        (void)json_object_set_new(object, "state", json_string(ledger_pending_state_name(state)));
    }
    return object;
}

static json_t *oracle_balance(tpw_u128 account_id, const struct ledger_balance *b,
                              const struct ledger_asset *asset, unsigned flags)
{
    json_t *object = json_object();
    (void)json_object_set_new(object, "account_id", api_id_json(account_id, API_ACCOUNT_PREFIX));
    (void)json_object_set_new(object, "asset", json_string(asset != NULL ? asset->code : ""));
    oracle_exponent(object, asset, flags);
    oracle_amount(object, "debits_pending", b->debits_pending, asset, flags);
    oracle_amount(object, "debits_posted", b->debits_posted, asset, flags);
    oracle_amount(object, "credits_pending", b->credits_pending, asset, flags);
    oracle_amount(object, "credits_posted", b->credits_posted, asset, flags);
    (void)json_object_set_new(object, "timestamp", json_integer((json_int_t)b->timestamp));
    return object;
}

static json_t *oracle_event_balance(const struct ledger_balance *b,
                                    const struct ledger_asset *asset, unsigned flags)
{
    json_t *object = json_object();
    oracle_amount(object, "debits_pending", b->debits_pending, asset, flags);
    oracle_amount(object, "debits_posted", b->debits_posted, asset, flags);
    oracle_amount(object, "credits_pending", b->credits_pending, asset, flags);
    oracle_amount(object, "credits_posted", b->credits_posted, asset, flags);
    return object;
}

static json_t *oracle_event(const struct ledger_event *event, const struct ledger_asset *asset,
                            unsigned flags)
{
    char id[LEDGER_EVENT_ID_TEXT_SIZE];
    assert_true(ledger_event_id_format(event->id, id) > 0);
    const char *kind = ledger_event_kind_name(event->kind);
    json_t *object = json_pack("{s:s,s:s,s:I}", "id", id, "kind", kind != NULL ? kind : "unknown",
                               "timestamp", (json_int_t)event->timestamp);
    if (event->kind == LEDGER_EVENT_ASSET_DEFINED) {
        (void)json_object_set_new(object, "asset",
                                  json_pack("{s:i,s:s,s:i}", "number", (int)event->asset.number,
                                            "code", event->asset.code, "exponent",
                                            (int)event->asset.exponent));
        return object;
    }
    if (event->kind == LEDGER_EVENT_ACCOUNT_CREATED) {
        (void)json_object_set_new(object, "account", oracle_account(&event->account, asset, flags));
        return object;
    }
    enum ledger_pending_state state =
        event->kind == LEDGER_EVENT_PENDING_EXPIRED ? LEDGER_PENDING_EXPIRED : LEDGER_PENDING_NONE;
    (void)json_object_set_new(object, "transfer",
                              oracle_transfer(&event->transfer, asset, state, flags));
    (void)json_object_set_new(object, "debit_balance",
                              oracle_event_balance(&event->debit_balance, asset, flags));
    (void)json_object_set_new(object, "credit_balance",
                              oracle_event_balance(&event->credit_balance, asset, flags));
    return object;
}

/* ---- random records --------------------------------------------------------------------- */

static tpw_u128 random_u128(struct tpw_prng *prng)
{
    tpw_u128 wide = TPW_U128(tpw_prng_next(prng), tpw_prng_next(prng));
    switch (tpw_prng_below(prng, 6)) {
    case 0:
        return 0;
    case 1:
        return TPW_U128_MAX - tpw_prng_below(prng, 2);
    case 2:
        return tpw_prng_below(prng, 1000);
    case 3:
        return wide >> tpw_prng_below(prng, 128); /* every length of digits */
    default:
        return wide;
    }
}

static uint64_t random_u64(struct tpw_prng *prng)
{
    static const uint64_t edges[] = {0, 1, INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX};
    if (tpw_prng_below(prng, 4) == 0) {
        return edges[tpw_prng_below(prng, sizeof edges / sizeof edges[0])];
    }
    return tpw_prng_next(prng) >> tpw_prng_below(prng, 64);
}

static uint16_t random_flags(struct tpw_prng *prng)
{
    switch (tpw_prng_below(prng, 4)) {
    case 0:
        return 0;
    case 1:
        return UINT16_MAX;
    case 2:
        return (uint16_t)(1u << tpw_prng_below(prng, 16));
    default:
        return (uint16_t)tpw_prng_next(prng);
    }
}

/* Registered codes, codes of every length, and codes jansson escapes (quotes,
 * backslashes, control characters) or passes through (DEL, slash, UTF-8). */
static void random_code(struct tpw_prng *prng, char code[9])
{
    static const char *const fixed[] = {"USD",      "JPY", "BTC", "ETH", "XAU",      "USDC",
                                        "ABCDEFGH", "",    "A",   "a/b", "\xc3\x89T"};
    memset(code, 0, 9);
    uint64_t pick = tpw_prng_below(prng, 4);
    if (pick == 0) {
        const char *text = fixed[tpw_prng_below(prng, sizeof fixed / sizeof fixed[0])];
        memcpy(code, text, strlen(text));
        return;
    }
    size_t length = tpw_prng_below(prng, 9);
    for (size_t i = 0; i < length; i++) {
        /* 1..127 (no NUL inside a code), or A-Z0-9 as the registry has them. */
        code[i] = pick == 1 ? (char)(1 + tpw_prng_below(prng, 127))
                            : "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[tpw_prng_below(prng, 36)];
    }
}

/* NULL (unknown to the ledger) or a random known asset of exponent 0..18. */
static const struct ledger_asset *random_asset(struct tpw_prng *prng, struct ledger_asset *asset)
{
    if (tpw_prng_below(prng, 5) == 0) {
        return NULL;
    }
    memset(asset, 0, sizeof *asset);
    asset->number = (uint32_t)random_u64(prng);
    asset->exponent = (uint8_t)tpw_prng_below(prng, MONEY_ASSET_EXPONENT_MAX + 1);
    random_code(prng, asset->code);
    return asset;
}

/* Zero, the largest id, or any. */
static tpw_u128 random_id(struct tpw_prng *prng)
{
    uint64_t pick = tpw_prng_below(prng, 4);
    return pick == 0 ? 0 : pick == 1 ? TPW_U128_MAX : random_u128(prng);
}

static void random_transfer(struct tpw_prng *prng, struct ledger_transfer *t)
{
    memset(t, 0, sizeof *t);
    t->id = random_id(prng);
    t->debit_account_id = random_id(prng);
    t->credit_account_id = random_id(prng);
    t->amount = random_u128(prng);
    t->pending_id = tpw_prng_below(prng, 2) == 0 ? 0 : random_id(prng);
    t->user_data = random_u128(prng);
    t->timestamp = random_u64(prng);
    t->timeout_s = (uint32_t)random_u64(prng);
    t->asset = (uint32_t)random_u64(prng);
    t->code = (uint16_t)tpw_prng_next(prng);
    t->flags = random_flags(prng);
}

static void random_account(struct tpw_prng *prng, struct ledger_account *a)
{
    memset(a, 0, sizeof *a);
    a->id = random_id(prng);
    a->debits_pending = random_u128(prng);
    a->debits_posted = random_u128(prng);
    a->credits_pending = random_u128(prng);
    a->credits_posted = random_u128(prng);
    a->overdraft_limit = random_u128(prng);
    a->owner = tpw_prng_below(prng, 2) == 0 ? 0 : random_id(prng);
    a->timestamp = random_u64(prng);
    a->asset = (uint32_t)random_u64(prng);
    a->kind = (uint16_t)tpw_prng_below(prng, LEDGER_KIND_MAX + 3);
    a->flags = random_flags(prng);
}

static void random_balance(struct tpw_prng *prng, struct ledger_balance *b)
{
    b->timestamp = random_u64(prng);
    b->debits_pending = random_u128(prng);
    b->debits_posted = random_u128(prng);
    b->credits_pending = random_u128(prng);
    b->credits_posted = random_u128(prng);
}

/* Every kind, and one the ledger does not have. */
static void random_event(struct tpw_prng *prng, struct ledger_event *event)
{
    memset(event, 0, sizeof *event);
    event->id.sequence = random_u64(prng);
    event->id.index = random_u64(prng);
    event->timestamp = random_u64(prng);
    event->kind = (enum ledger_event_kind)(1 + tpw_prng_below(prng, 5));
    if (event->kind == LEDGER_EVENT_ASSET_DEFINED) {
        event->asset.number = (uint32_t)random_u64(prng);
        event->asset.exponent = (uint8_t)tpw_prng_below(prng, MONEY_ASSET_EXPONENT_MAX + 1);
        random_code(prng, event->asset.code);
    } else if (event->kind == LEDGER_EVENT_ACCOUNT_CREATED) {
        random_account(prng, &event->account);
    } else {
        random_transfer(prng, &event->transfer);
        random_balance(prng, &event->debit_balance);
        random_balance(prng, &event->credit_balance);
    }
}

/* ---- the comparison --------------------------------------------------------------------- */

/* The oracle's text, the writer's, api_*_json's: all the same (takes the trees). */
static void expect_same(json_t *oracle, json_t *tree, const char *text, size_t length)
{
    char *expected = json_dumps(oracle, JSON_COMPACT);
    char *printed = json_dumps(tree, JSON_COMPACT);
    assert_non_null(expected);
    assert_non_null(printed);
    if (strlen(expected) != length || strcmp(expected, text) != 0) {
        fail_msg("the writer differs from the tree:\n  tree   %s\n  writer %s", expected, text);
    }
    if (strcmp(printed, text) != 0) {
        fail_msg("api_*_json prints differently:\n  tree   %s\n  writer %s", printed, text);
    }
    free(expected);
    free(printed);
    json_decref(oracle);
    json_decref(tree);
}

/* A buffer too short by at least a byte gives 0 and "". */
static void expect_short(size_t written, const char *buf, size_t size)
{
    assert_int_equal(written, 0);
    if (size > 0) {
        assert_int_equal(buf[0], '\0');
    }
}

static unsigned random_print_flags(struct tpw_prng *prng)
{
    return tpw_prng_below(prng, 4) == 0 ? 0u : (unsigned)API_JSON_DECIMALS;
}

static void check_transfer(struct tpw_prng *prng)
{
    struct ledger_transfer t;
    struct ledger_asset known;
    random_transfer(prng, &t);
    const struct ledger_asset *asset = random_asset(prng, &known);
    enum ledger_pending_state state = (enum ledger_pending_state)tpw_prng_below(prng, 6);
    unsigned flags = random_print_flags(prng);
    char text[API_TRANSFER_TEXT_SIZE];
    size_t length = api_transfer_format(&t, asset, state, flags, text, sizeof text);
    assert_true(length > 0);
    expect_same(oracle_transfer(&t, asset, state, flags),
                api_transfer_json(&t, asset, state, flags), text, length);
    char small[API_TRANSFER_TEXT_SIZE];
    size_t size = tpw_prng_below(prng, length + 1);
    expect_short(api_transfer_format(&t, asset, state, flags, small, size), small, size);
    assert_int_equal(api_transfer_format(&t, asset, state, flags, small, length + 1), length);
}

static void check_account(struct tpw_prng *prng)
{
    struct ledger_account a;
    struct ledger_asset known;
    random_account(prng, &a);
    const struct ledger_asset *asset = random_asset(prng, &known);
    unsigned flags = random_print_flags(prng);
    char text[API_ACCOUNT_TEXT_SIZE];
    size_t length = api_account_format(&a, asset, flags, text, sizeof text);
    assert_true(length > 0);
    expect_same(oracle_account(&a, asset, flags), api_account_json(&a, asset, flags), text, length);
    char small[API_ACCOUNT_TEXT_SIZE];
    size_t size = tpw_prng_below(prng, length + 1);
    expect_short(api_account_format(&a, asset, flags, small, size), small, size);
    assert_int_equal(api_account_format(&a, asset, flags, small, length + 1), length);
}

static void check_balance(struct tpw_prng *prng)
{
    struct ledger_balance b;
    struct ledger_asset known;
    random_balance(prng, &b);
    tpw_u128 id = random_id(prng);
    const struct ledger_asset *asset = random_asset(prng, &known);
    unsigned flags = random_print_flags(prng);
    char text[API_BALANCE_TEXT_SIZE];
    size_t length = api_balance_format(id, &b, asset, flags, text, sizeof text);
    assert_true(length > 0);
    expect_same(oracle_balance(id, &b, asset, flags), api_balance_json(id, &b, asset, flags), text,
                length);
    char small[API_BALANCE_TEXT_SIZE];
    size_t size = tpw_prng_below(prng, length + 1);
    expect_short(api_balance_format(id, &b, asset, flags, small, size), small, size);
    assert_int_equal(api_balance_format(id, &b, asset, flags, small, length + 1), length);
}

static void check_event(struct tpw_prng *prng)
{
    struct ledger_event event;
    struct ledger_asset known;
    random_event(prng, &event);
    const struct ledger_asset *asset = random_asset(prng, &known);
    unsigned flags = random_print_flags(prng);
    char text[API_EVENT_TEXT_SIZE];
    size_t length = api_event_format(&event, asset, flags, text, sizeof text);
    assert_true(length > 0);
    expect_same(oracle_event(&event, asset, flags), api_event_json(&event, asset, flags), text,
                length);
    char small[API_EVENT_TEXT_SIZE];
    size_t size = tpw_prng_below(prng, length + 1);
    expect_short(api_event_format(&event, asset, flags, small, size), small, size);
    assert_int_equal(api_event_format(&event, asset, flags, small, length + 1), length);
}

static void test_transfers_print_as_the_tree(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_api_records_text transfers", 20261204));
    for (size_t i = 0; i < CASES; i++) {
        check_transfer(&prng);
    }
}

static void test_accounts_and_balances_print_as_the_tree(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_api_records_text accounts", 20261205));
    for (size_t i = 0; i < CASES; i++) {
        check_account(&prng);
        check_balance(&prng);
    }
}

static void test_events_print_as_the_tree(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_api_records_text events", 20261206));
    for (size_t i = 0; i < CASES; i++) {
        check_event(&prng);
    }
}

/* ---- the longest records ---------------------------------------------------------------- */

/* An asset whose code escapes to six bytes a character, at the widest exponent. */
static struct ledger_asset longest_asset(void)
{
    struct ledger_asset asset = {.number = UINT32_MAX, .exponent = MONEY_ASSET_EXPONENT_MAX};
    memset(asset.code, '\x01', sizeof asset.code - 1);
    return asset;
}

static struct ledger_balance longest_balance(void)
{
    return (struct ledger_balance){.timestamp = (uint64_t)INT64_MAX + 1,
                                   .debits_pending = TPW_U128_MAX,
                                   .debits_posted = TPW_U128_MAX,
                                   .credits_pending = TPW_U128_MAX,
                                   .credits_posted = TPW_U128_MAX};
}

static struct ledger_transfer longest_transfer(void)
{
    return (struct ledger_transfer){.id = TPW_U128_MAX,
                                    .debit_account_id = TPW_U128_MAX,
                                    .credit_account_id = TPW_U128_MAX,
                                    .amount = TPW_U128_MAX,
                                    .pending_id = TPW_U128_MAX,
                                    .user_data = TPW_U128_MAX,
                                    .timestamp = (uint64_t)INT64_MAX + 1,
                                    .timeout_s = UINT32_MAX,
                                    .asset = UINT32_MAX,
                                    .code = UINT16_MAX,
                                    .flags = UINT16_MAX};
}

static struct ledger_account longest_account(void)
{
    return (struct ledger_account){.id = TPW_U128_MAX,
                                   .debits_pending = TPW_U128_MAX,
                                   .debits_posted = TPW_U128_MAX,
                                   .credits_pending = TPW_U128_MAX,
                                   .credits_posted = TPW_U128_MAX,
                                   .overdraft_limit = TPW_U128_MAX,
                                   .owner = TPW_U128_MAX,
                                   .timestamp = (uint64_t)INT64_MAX + 1,
                                   .asset = UINT32_MAX,
                                   .kind = LEDGER_KIND_SUB_ACCOUNT,
                                   .flags = UINT16_MAX};
}

/* The text fits its API_*_TEXT_SIZE with at least a quarter to spare. */
static void expect_fits(size_t length, size_t size)
{
    assert_true(length > 0);
    assert_true(length + size / 4 < size);
}

static void test_longest_records_fit(void **state)
{
    (void)state;
    struct ledger_asset asset = longest_asset();
    struct ledger_transfer t = longest_transfer();
    struct ledger_account a = longest_account();
    struct ledger_balance b = longest_balance();
    char text[API_EVENT_TEXT_SIZE];
    expect_fits(api_transfer_format(&t, &asset, LEDGER_PENDING_EXPIRED, API_JSON_DECIMALS, text,
                                    API_TRANSFER_TEXT_SIZE),
                API_TRANSFER_TEXT_SIZE);
    expect_fits(api_account_format(&a, &asset, API_JSON_DECIMALS, text, API_ACCOUNT_TEXT_SIZE),
                API_ACCOUNT_TEXT_SIZE);
    expect_fits(api_balance_format(TPW_U128_MAX, &b, &asset, API_JSON_DECIMALS, text,
                                   API_BALANCE_TEXT_SIZE),
                API_BALANCE_TEXT_SIZE);
    struct ledger_event event = {.id = {UINT64_MAX, UINT64_MAX},
                                 .timestamp = (uint64_t)INT64_MAX + 1,
                                 .kind = LEDGER_EVENT_PENDING_EXPIRED,
                                 .transfer = t,
                                 .debit_balance = b,
                                 .credit_balance = b};
    expect_fits(api_event_format(&event, &asset, API_JSON_DECIMALS, text, sizeof text),
                sizeof text);
    event.kind = LEDGER_EVENT_ACCOUNT_CREATED;
    event.account = a;
    expect_fits(api_event_format(&event, &asset, API_JSON_DECIMALS, text, sizeof text),
                sizeof text);
}

/* A few texts spelled out, so a reader sees the format without running the oracle. */
static void test_known_texts(void **state)
{
    (void)state;
    struct ledger_asset usd = {.number = 1, .exponent = 2, .code = "USD"};
    struct ledger_transfer t = {.id = 5,
                                .debit_account_id = 1,
                                .credit_account_id = 2,
                                .amount = 1234,
                                .timestamp = 7,
                                .asset = 1,
                                .code = 3,
                                .flags = LEDGER_TRANSFER_PENDING};
    char text[API_TRANSFER_TEXT_SIZE];
    assert_true(api_transfer_format(&t, &usd, LEDGER_PENDING_PENDING, API_JSON_DECIMALS, text,
                                    sizeof text) > 0);
    assert_string_equal(
        text, "{\"id\":\"tr_00000000000000000000000005\","
              "\"debit_account_id\":\"acct_00000000000000000000000001\","
              "\"credit_account_id\":\"acct_00000000000000000000000002\",\"amount\":\"1234\","
              "\"amount_decimal\":\"12.34\",\"asset\":\"USD\",\"exponent\":2,\"code\":3,"
              "\"flags\":[\"pending\"],\"timeout_s\":0,\"user_data\":\"0\",\"timestamp\":7,"
              "\"state\":\"pending\"}");
    struct ledger_asset odd = {.number = 2, .exponent = 0, .code = "A\"\\\n\x1f/"};
    struct ledger_balance b = {.timestamp = UINT64_MAX, .credits_posted = 9};
    assert_true(api_balance_format(0, &b, &odd, API_JSON_DECIMALS, text, sizeof text) > 0);
    assert_string_equal(text, "{\"account_id\":\"acct_00000000000000000000000000\","
                              "\"asset\":\"A\\\"\\\\\\n\\u001F/\",\"exponent\":0,"
                              "\"debits_pending\":\"0\",\"debits_pending_decimal\":\"0\","
                              "\"debits_posted\":\"0\",\"debits_posted_decimal\":\"0\","
                              "\"credits_pending\":\"0\",\"credits_pending_decimal\":\"0\","
                              "\"credits_posted\":\"9\",\"credits_posted_decimal\":\"9\","
                              "\"timestamp\":-1}");
}

/* ---- the tree when memory runs out ------------------------------------------------------ */

static size_t allocations_left;
static long allocations_live;

static void *failing_malloc(size_t size)
{
    if (allocations_left == 0) {
        return NULL;
    }
    allocations_left--;
    void *block = malloc(size);
    allocations_live += block != NULL;
    return block;
}

static void counting_free(void *block)
{
    allocations_live -= block != NULL;
    free(block);
}

/* Every allocation of an event's tree fails in turn: api_event_json gives NULL and
 * frees what it had built, until there is enough and it gives the whole tree. */
static void test_tree_out_of_memory(void **state)
{
    (void)state;
    struct ledger_asset asset = longest_asset();
    struct ledger_event event = {.id = {17, 3},
                                 .timestamp = 9,
                                 .kind = LEDGER_EVENT_TRANSFER_APPLIED,
                                 .transfer = longest_transfer(),
                                 .debit_balance = longest_balance(),
                                 .credit_balance = longest_balance()};
    char text[API_EVENT_TEXT_SIZE];
    assert_true(api_event_format(&event, &asset, API_JSON_DECIMALS, text, sizeof text) > 0);
    json_set_alloc_funcs(failing_malloc, counting_free);
    size_t failures = 0;
    json_t *tree = NULL;
    for (size_t budget = 0; tree == NULL; budget++) {
        assert_true(budget < 100000);
        allocations_left = budget;
        tree = api_event_json(&event, &asset, API_JSON_DECIMALS);
        failures += tree == NULL;
        assert_true(tree != NULL || allocations_live == 0);
    }
    allocations_left = SIZE_MAX;
    char *printed = json_dumps(tree, JSON_COMPACT);
    assert_string_equal(printed, text);
    counting_free(printed);
    json_decref(tree);
    assert_int_equal(allocations_live, 0);
    json_set_alloc_funcs(malloc, free);
    assert_true(failures > 50); /* every container, key and value had its turn */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfers_print_as_the_tree),
        cmocka_unit_test(test_accounts_and_balances_print_as_the_tree),
        cmocka_unit_test(test_events_print_as_the_tree),
        cmocka_unit_test(test_longest_records_fit),
        cmocka_unit_test(test_known_texts),
        cmocka_unit_test(test_tree_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
