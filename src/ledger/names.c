/*
 * Names of the ledger's result codes, flags, kinds and pending states, for every text
 * format (CLI, JSON, import files, logs). Result names come from the X-macro tables
 * in ledger.h, lowercased, so names and numbers cannot drift apart.
 */
#include <string.h>

#include "ledger_int.h"

#include "banned.h"

#define NAME_MAX_LEN 64

#define NAME_ENTRY(name, number) [number] = #name,

/* The X-macro names; the arrays are as long as the largest result number + 1. */
static const char *const account_result_upper[] = {LEDGER_ACCOUNT_RESULTS(NAME_ENTRY)};
static const char *const transfer_result_upper[] = {LEDGER_TRANSFER_RESULTS(NAME_ENTRY)};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Lowercase copies of the X-macro names: "EXCEEDS_CREDITS" → "exceeds_credits". */
struct name_table {
    const char *const *upper;
    size_t count;
    char lower[64][NAME_MAX_LEN];
};
_Static_assert(COUNT_OF(account_result_upper) <= 64 && COUNT_OF(transfer_result_upper) <= 64,
               "name tables fit");

static struct name_table account_results = {
    account_result_upper, COUNT_OF(account_result_upper), {{0}}};
static struct name_table transfer_results = {
    transfer_result_upper, COUNT_OF(transfer_result_upper), {{0}}};

static void name_table_lower(struct name_table *table)
{
    for (size_t i = 0; i < table->count; i++) {
        const char *upper = table->upper[i];
        size_t j = 0;
        for (; upper != NULL && upper[j] != '\0' && j + 1 < NAME_MAX_LEN; j++) {
            char c = upper[j];
            if (c >= 'A' && c <= 'Z') {
                c = (char)(c - 'A' + 'a');
            }
            table->lower[i][j] = c;
        }
        table->lower[i][j] = '\0';
    }
}

/* Built before main() runs, so lookups are read-only and thread-safe. */
__attribute__((constructor)) static void name_tables_build(void)
{
    name_table_lower(&account_results);
    name_table_lower(&transfer_results);
}

static const char *name_lookup(const struct name_table *table, unsigned value)
{
    /* Results are numbered 0..count-1 with no gaps (checked by the unit tests). */
    if (value >= table->count || table->upper[value] == NULL) {
        return NULL;
    }
    return table->lower[value];
}

const char *ledger_account_result_name(enum ledger_account_result result)
{
    return name_lookup(&account_results, (unsigned)result);
}

const char *ledger_transfer_result_name(enum ledger_transfer_result result)
{
    return name_lookup(&transfer_results, (unsigned)result);
}

bool ledger_transfer_result_is_transient(enum ledger_transfer_result result)
{
    /* Precedence order equals numeric order for these codes. */
    return result >= LEDGER_TRANSFER_DEBIT_ACCOUNT_NOT_FOUND &&
           result <= LEDGER_TRANSFER_EXCEEDS_DEBITS;
}

static const char *const account_flag_names[] = {
    "linked", "debits_must_not_exceed_credits", "credits_must_not_exceed_debits", "history",
    "closed",
};
static const char *const transfer_flag_names[] = {
    "linked",          "pending",          "post_pending",  "void_pending",
    "balancing_debit", "balancing_credit", "closing_debit", "closing_credit",
};
static const char *const kind_names[LEDGER_KIND_MAX + 1] = {
    [LEDGER_KIND_USER] = "user",
    [LEDGER_KIND_SUB_ACCOUNT] = "sub_account",
    [LEDGER_KIND_FX_POOL] = "fx_pool",
    [LEDGER_KIND_FEES] = "fees",
    [LEDGER_KIND_SETTLEMENT] = "settlement",
    [LEDGER_KIND_SUSPENSE] = "suspense",
    [LEDGER_KIND_EXTERNAL] = "external",
    [LEDGER_KIND_EQUITY] = "equity",
};
static const char *const pending_state_names[] = {"none", "pending", "posted", "voided", "expired"};

static const char *flag_name(const char *const *names, size_t count, unsigned flag)
{
    /* Exactly one bit must be set. */
    if (flag == 0 || (flag & (flag - 1)) != 0) {
        return NULL;
    }
    unsigned bit = (unsigned)__builtin_ctz(flag);
    return bit < count ? names[bit] : NULL;
}

const char *ledger_account_flag_name(enum ledger_account_flag flag)
{
    return flag_name(account_flag_names, COUNT_OF(account_flag_names), (unsigned)flag);
}

const char *ledger_transfer_flag_name(enum ledger_transfer_flag flag)
{
    return flag_name(transfer_flag_names, COUNT_OF(transfer_flag_names), (unsigned)flag);
}

const char *ledger_account_kind_name(enum ledger_account_kind kind)
{
    unsigned value = (unsigned)kind;
    return value <= LEDGER_KIND_MAX ? kind_names[value] : NULL;
}

const char *ledger_pending_state_name(enum ledger_pending_state state)
{
    unsigned value = (unsigned)state;
    return value < COUNT_OF(pending_state_names) ? pending_state_names[value] : NULL;
}

static enum tpw_err name_parse(const char *const *names, size_t count, const char *name,
                               size_t *index)
{
    for (size_t i = 0; i < count; i++) {
        if (names[i] != NULL && strcmp(names[i], name) == 0) {
            *index = i;
            return TPW_OK;
        }
    }
    return TPW_ERR_NOT_FOUND;
}

enum tpw_err ledger_account_flag_parse(const char *name, uint16_t *flag)
{
    size_t bit = 0;
    if (name_parse(account_flag_names, COUNT_OF(account_flag_names), name, &bit) != TPW_OK) {
        return TPW_ERR_LEDGER_FLAG_UNKNOWN;
    }
    *flag = (uint16_t)(1u << bit);
    return TPW_OK;
}

enum tpw_err ledger_transfer_flag_parse(const char *name, uint16_t *flag)
{
    size_t bit = 0;
    if (name_parse(transfer_flag_names, COUNT_OF(transfer_flag_names), name, &bit) != TPW_OK) {
        return TPW_ERR_LEDGER_FLAG_UNKNOWN;
    }
    *flag = (uint16_t)(1u << bit);
    return TPW_OK;
}

enum tpw_err ledger_account_kind_parse(const char *name, uint16_t *kind)
{
    size_t value = 0;
    if (name_parse(kind_names, COUNT_OF(kind_names), name, &value) != TPW_OK) {
        return TPW_ERR_LEDGER_KIND_UNKNOWN;
    }
    *kind = (uint16_t)value;
    return TPW_OK;
}
