/*
 * The batch endpoint's fast reader against jansson: random transfer objects — valid,
 * malformed, and in forms the scanner must leave alone (escapes, UTF-8, floats,
 * duplicates, unknown fields, odd spacing) — read both ways. Whenever the scanner
 * accepts an item, jansson must accept it too and api_transfer_parse must give the
 * same result: the record, the asset code, the error, its param and its message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tpw_test.h"
#include "tpwallet/prng.h"
#include "transfer_input.h"

#include "banned.h"

#define CASES 200000
#define TEXT_MAX 2048

struct text {
    char data[TEXT_MAX];
    size_t length;
};

static void put(struct text *t, const char *s)
{
    size_t n = strlen(s);
    assert_true(t->length + n < TEXT_MAX);
    memcpy(t->data + t->length, s, n + 1);
    t->length += n;
}

static const char *pick(struct tpw_prng *prng, const char *const *options, size_t count)
{
    return options[tpw_prng_below(prng, count)];
}
#define PICK(prng, options) pick(prng, options, sizeof options / sizeof options[0])

static void space(struct tpw_prng *prng, struct text *t)
{
    static const char *const spaces[] = {"", "", "", " ", "\n", " \t", "\r\n  "};
    put(t, PICK(prng, spaces));
}

static const char *const names[] = {
    "id",    "debit_account_id", "credit_account_id", "amount",    "asset", "code",
    "flags", "pending_id",       "timeout_s",         "user_data", "idx",   "Amount"};

static const char *const strings[] = {"\"1\"",
                                      "\"42\"",
                                      "\"acct_00000000000000000000000002\"",
                                      "\"tr_0000000000000000000000000A\"",
                                      "\"0\"",
                                      "\"-5\"",
                                      "\"1.5\"",
                                      "\"007\"",
                                      "\"340282366920938463463374607431768211455\"",
                                      "\"340282366920938463463374607431768211456\"",
                                      "\"\"",
                                      "\"USD\"",
                                      "\"JPY\"",
                                      "\"X\"",
                                      "\"TOOLONGCODE\"",
                                      "\"us d\"",
                                      "\"\\u0055SD\"",
                                      "\"caf\xc3\xa9\"",
                                      "\"a\\\"b\"",
                                      "\"12 \"",
                                      "\"1e3\"",
                                      "\"acct_!!\""};
static const char *const numbers[] = {"0",     "1",          "7",          "65535",
                                      "65536", "4294967295", "4294967296", "-1",
                                      "1.5",   "1e3",        "01",         "123456789012345678901",
                                      "true",  "null",       "{}"};
static const char *const flag_names[] = {"\"linked\"",
                                         "\"pending\"",
                                         "\"post_pending\"",
                                         "\"void_pending\"",
                                         "\"balancing_debit\"",
                                         "\"nope\"",
                                         "\"\"",
                                         "7",
                                         "\"li\\u006eked\""};

static void flags_value(struct tpw_prng *prng, struct text *t)
{
    if (tpw_prng_below(prng, 8) == 0) {
        put(t, tpw_prng_below(prng, 2) ? "\"linked\"" : "null");
        return;
    }
    put(t, "[");
    size_t count = tpw_prng_below(prng, 4);
    for (size_t i = 0; i < count; i++) {
        if (i > 0) {
            put(t, ",");
        }
        space(prng, t);
        put(t, PICK(prng, flag_names));
    }
    space(prng, t);
    put(t, "]");
}

static void value(struct tpw_prng *prng, struct text *t, const char *name)
{
    if (strcmp(name, "flags") == 0) {
        flags_value(prng, t);
    } else if (strcmp(name, "code") == 0 || strcmp(name, "timeout_s") == 0 ||
               tpw_prng_below(prng, 10) == 0) {
        put(t, PICK(prng, numbers));
    } else {
        put(t, PICK(prng, strings));
    }
}

/* A valid transfer's fields, in a random order, one of them perhaps mistyped. */
static void valid_item(struct tpw_prng *prng, struct text *t)
{
    static const char *const members[] = {
        "\"id\":\"77\"",       "\"debit_account_id\":\"1\"", "\"credit_account_id\":\"2\"",
        "\"amount\":\"250\"",  "\"asset\":\"USD\"",          "\"code\":3",
        "\"user_data\":\"9\"", "\"timeout_s\":60",           "\"flags\":[\"pending\"]"};
    size_t order[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    size_t count = 5 + tpw_prng_below(prng, 5);
    for (size_t i = 0; i < 9; i++) {
        size_t j = i + tpw_prng_below(prng, 9 - i);
        size_t swap = order[i];
        order[i] = order[j];
        order[j] = swap;
    }
    size_t broken = tpw_prng_below(prng, 3) == 0 ? tpw_prng_below(prng, count) : count;
    put(t, "{");
    for (size_t i = 0; i < count; i++) {
        if (i > 0) {
            put(t, ",");
        }
        space(prng, t);
        if (i != broken) {
            put(t, members[order[i]]);
            continue;
        }
        char name[32];
        const char *colon = strchr(members[order[i]], ':');
        (void)snprintf(name, sizeof name, "%.*s:", (int)(colon - members[order[i]]),
                       members[order[i]]);
        put(t, name);
        char bare[32];
        (void)snprintf(bare, sizeof bare, "%.*s", (int)(colon - members[order[i]] - 2),
                       members[order[i]] + 1);
        value(prng, t, bare);
    }
    put(t, "}");
}

static void item(struct tpw_prng *prng, struct text *t)
{
    t->length = 0;
    t->data[0] = '\0';
    space(prng, t);
    if (tpw_prng_below(prng, 2) == 0) {
        valid_item(prng, t);
        space(prng, t);
        return;
    }
    put(t, "{");
    size_t fields = tpw_prng_below(prng, 11);
    for (size_t i = 0; i < fields; i++) {
        if (i > 0) {
            put(t, ",");
        }
        space(prng, t);
        const char *name = names[tpw_prng_below(prng, tpw_prng_below(prng, 6) == 0 ? 12 : 10)];
        char quoted[64];
        (void)snprintf(quoted, sizeof quoted, "\"%s\"", name);
        put(t, quoted);
        space(prng, t);
        put(t, ":");
        space(prng, t);
        value(prng, t, name);
        space(prng, t);
    }
    put(t, "}");
    space(prng, t);
}

struct outcome {
    enum tpw_err err;
    struct ledger_transfer transfer;
    char code[API_ASSET_CODE_SIZE];
    struct tpw_error_detail detail;
};

static void expect_same(const struct outcome *a, const struct outcome *b, const char *text)
{
    if (a->err != b->err || strcmp(a->code, b->code) != 0 ||
        strcmp(a->detail.param, b->detail.param) != 0 ||
        strcmp(a->detail.message, b->detail.message) != 0 ||
        (a->err == TPW_OK && memcmp(&a->transfer, &b->transfer, sizeof a->transfer) != 0)) {
        fail_msg("the readers differ on %s: %s/%s/%s vs %s/%s/%s", text, tpw_err_name(a->err),
                 a->detail.param, a->detail.message, tpw_err_name(b->err), b->detail.param,
                 b->detail.message);
    }
}

/* Reads `t` both ways when the scanner takes it; false when it does not. */
static bool readers_agree(const struct text *t, bool *ok)
{
    struct api_transfer_input input;
    if (!api_batch_scan_item(t->data, t->length, &input)) {
        return false;
    }
    /* As the single-transfer route reads a body (api_body_object): duplicates refused,
     * an object required. */
    json_t *object = json_loadb(t->data, t->length, JSON_REJECT_DUPLICATES, NULL);
    if (object == NULL || !json_is_object(object)) {
        fail_msg("the scanner accepted what jansson rejects: %s", t->data);
    }
    struct outcome fast;
    struct outcome tree;
    memset(&fast, 0, sizeof fast);
    memset(&tree, 0, sizeof tree);
    fast.err = api_transfer_from_input(&input, &fast.transfer, fast.code, &fast.detail);
    tree.err = api_transfer_parse(object, &tree.transfer, tree.code, &tree.detail);
    json_decref(object);
    expect_same(&fast, &tree, t->data);
    *ok = fast.err == TPW_OK;
    return true;
}

static void test_scanner_agrees_with_jansson(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_api_batch_scan", 20261203));
    size_t scanned = 0;
    size_t scanned_ok = 0;
    struct text t;
    for (size_t i = 0; i < CASES; i++) {
        item(&prng, &t);
        bool ok = false;
        if (readers_agree(&t, &ok)) {
            scanned++;
            scanned_ok += ok;
        }
    }
    /* The generator reaches both sides of the scanner and of the parser. */
    assert_true(scanned > CASES / 20);
    assert_true(scanned_ok > 100);
    assert_true(scanned - scanned_ok > 100);
}

/* What a whole request body may hold around (or instead of) one transfer object. */
static void body_damage(struct tpw_prng *prng, struct text *t)
{
    static const char *const tails[] = {"x", "}", "{}", ",", "null", "\xef\xbb\xbf"};
    switch (tpw_prng_below(prng, 6)) {
    case 0: /* cut short, perhaps to nothing */
        t->length = tpw_prng_below(prng, t->length + 1);
        t->data[t->length] = '\0';
        break;
    case 1: /* something after it */
        put(t, PICK(prng, tails));
        break;
    case 2: /* a NUL byte after it (the body's length counts it) */
        assert_true(t->length + 1 < TEXT_MAX);
        t->data[++t->length] = '\0';
        break;
    case 3: { /* a byte order mark or an array around it */
        struct text copy = *t;
        bool array = tpw_prng_below(prng, 2) == 0;
        t->length = 0;
        put(t, array ? "[" : "\xef\xbb\xbf");
        put(t, copy.data);
        put(t, array ? "]" : "");
        break;
    }
    default: /* as it is: the common body */
        break;
    }
}

/* POST /v1/transfers reads its whole body with the scanner first: whatever else a body
 * holds, a body the scanner takes is one jansson takes as an object and reads the
 * same. */
static void test_single_body_agrees_with_jansson(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_api_batch_scan_single", 20261204));
    size_t scanned = 0;
    size_t damaged_scanned = 0;
    struct text t;
    for (size_t i = 0; i < CASES; i++) {
        item(&prng, &t);
        size_t length = t.length;
        body_damage(&prng, &t);
        bool ok = false;
        if (readers_agree(&t, &ok)) {
            scanned++;
            damaged_scanned += t.length != length;
        }
    }
    assert_true(scanned > CASES / 40);
    /* Only trailing white space survives damage (a cut inside it). */
    assert_true(damaged_scanned < scanned / 4);
}

/* Forms the scanner must leave to jansson, each named. */
static void test_scanner_gives_up(void **state)
{
    (void)state;
    static const char *const given_up[] = {
        "{\"id\":\"1\",\"id\":\"2\"}",
        "{\"idx\":\"1\"}",
        "{\"id\":\"\\u0031\"}",
        "{\"id\":\"caf\xc3\xa9\"}",
        "{\"code\":1.0}",
        "{\"code\":-1}",
        "{\"code\":01}",
        "{\"code\":true}",
        "{\"id\":\"1\",}",
        "{}",
        "{\"id\":\"1\"} x",
        "{\"flags\":[\"linked\",]}",
        "{\"code\":1234567890123456789012}",
        "{\"id\":\"1\"",
        "[\"id\"]",
        "{\"id\":{\"a\":1}}",
    };
    struct api_transfer_input input;
    for (size_t i = 0; i < sizeof given_up / sizeof given_up[0]; i++) {
        if (api_batch_scan_item(given_up[i], strlen(given_up[i]), &input)) {
            fail_msg("the scanner read %s", given_up[i]);
        }
    }
    const char plain[] = " {\"id\":\"5\", \"flags\":[], \"code\":0, \"user_data\":null} ";
    assert_true(api_batch_scan_item(plain, strlen(plain), &input));
    assert_int_equal(input.flags.kind, API_VALUE_ARRAY);
    assert_int_equal(input.user_data.kind, API_VALUE_ABSENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanner_agrees_with_jansson),
        cmocka_unit_test(test_scanner_gives_up),
        cmocka_unit_test(test_single_body_agrees_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
