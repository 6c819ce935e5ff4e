/*
 * A fee table from CSV (docs/formats/fx-fees.md): one line per tier,
 * `from,to,threshold_minor,fixed_minor,bps,min_minor,max_minor`, `*,*` for the default
 * every other corridor pays, `#` comments and blank lines skipped, an empty max for
 * none. A corridor's lines add its tiers in ascending thresholds; each corridor is then
 * held to the tier rules the route search relies on (fees.c). Errors name the line.
 */
#include <stdlib.h>
#include <string.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define FIELDS 7
#define FEES_FILE_SIZE_MAX ((size_t)4 * 1024 * 1024)

static const struct fx__csv_form fees_form = {
    .what = "fees",
    .expected = "expected from,to,threshold_minor,fixed_minor,bps,min_minor,max_minor",
    .fields_min = FIELDS,
    .fields_max = FIELDS,
};

static enum tpw_err line_error(struct tpw_error_detail *detail, enum tpw_err err, size_t line,
                               const char *what)
{
    return fx__csv_line_error(detail, err, fees_form.what, line, what);
}

static bool number(const char *text, bool empty_is_max, tpw_u128 *out)
{
    if (text[0] == '\0' && empty_is_max) {
        *out = TPW_U128_MAX;
        return true;
    }
    return tpw_u128_from_dec(text, strlen(text), out) == TPW_OK;
}

/* The corridor's tiers, added to the table when new; NULL when the table is full. */
static struct fx_fee_tiers *corridor_tiers(struct fx_fee_table *table, const char *from,
                                           const char *to)
{
    if (strcmp(from, "*") == 0) {
        return &table->default_fees;
    }
    for (size_t i = 0; i < table->corridor_count; i++) {
        struct fx_corridor_fee *corridor = &table->corridors[i];
        if (strcmp(corridor->from, from) == 0 && strcmp(corridor->to, to) == 0) {
            return &corridor->tiers;
        }
    }
    if (table->corridor_count == FX_FEE_CORRIDORS_MAX) {
        return NULL;
    }
    struct fx_corridor_fee *corridor = &table->corridors[table->corridor_count++];
    memset(corridor, 0, sizeof *corridor);
    memcpy(corridor->from, from, strlen(from) + 1);
    memcpy(corridor->to, to, strlen(to) + 1);
    return &corridor->tiers;
}

static bool corridor_codes_valid(const char *from, const char *to)
{
    bool any_from = strcmp(from, "*") == 0;
    bool any_to = strcmp(to, "*") == 0;
    if (any_from || any_to) {
        return any_from && any_to;
    }
    return money_asset_code_valid(from, strlen(from)) && money_asset_code_valid(to, strlen(to)) &&
           strcmp(from, to) != 0;
}

/* One tier line into the table. */
static enum tpw_err tier_line(void *context, const struct fx__csv_fields *f, size_t line,
                              struct tpw_error_detail *detail)
{
    struct fx_fee_table *table = context;
    if (!corridor_codes_valid(f->text[0], f->text[1])) {
        return line_error(detail, TPW_ERR_FX_CSV_SYNTAX, line,
                          "from and to are two different asset codes, or both *");
    }
    struct fx_fee_tier tier = {0};
    tpw_u128 bps = 0;
    if (!number(f->text[2], false, &tier.threshold_minor) ||
        !number(f->text[3], false, &tier.schedule.fixed_minor) ||
        !number(f->text[4], false, &bps) || bps > MONEY_BPS_ONE ||
        !number(f->text[5], false, &tier.schedule.min_minor) ||
        !number(f->text[6], true, &tier.schedule.max_minor)) {
        return line_error(detail, TPW_ERR_FX_CSV_SYNTAX, line,
                          "threshold, fixed, bps (0..10000), min and max are whole numbers "
                          "(max may be empty: none)");
    }
    tier.schedule.proportional_bps = (uint32_t)bps;
    struct fx_fee_tiers *tiers = corridor_tiers(table, f->text[0], f->text[1]);
    if (tiers == NULL) {
        return line_error(detail, TPW_ERR_FX_FEE_TIERS_INVALID, line, "too many corridors");
    }
    if (tiers->tier_count == FX_FEE_TIERS_MAX) {
        return line_error(detail, TPW_ERR_FX_FEE_TIERS_INVALID, line, "too many tiers");
    }
    tiers->tier[tiers->tier_count++] = tier;
    return TPW_OK;
}

/* Every corridor (and the default) against the tier rules. */
static enum tpw_err table_check(const struct fx_fee_table *table, struct tpw_error_detail *detail)
{
    enum tpw_err err = fx__fee_tiers_check(&table->default_fees, detail);
    for (size_t i = 0; err == TPW_OK && i < table->corridor_count; i++) {
        const struct fx_corridor_fee *corridor = &table->corridors[i];
        err = fx__fee_tiers_check(&corridor->tiers, detail);
        if (err != TPW_OK) {
            char message[sizeof detail->message];
            memcpy(message, detail->message, sizeof message);
            err = tpw_error_set(detail, err, i, "corridor %s→%s: %s", corridor->from, corridor->to,
                                message);
        }
    }
    return err;
}

enum tpw_err fx_fee_table_parse(const char *text, size_t text_len, struct fx_fee_table *out,
                                struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof *out);
    enum tpw_err err = fx__csv_each(text, text_len, &fees_form, tier_line, out, detail);
    return err != TPW_OK ? err : table_check(out, detail);
}

enum tpw_err fx_fee_table_load(const char *path, struct fx_fee_table *out,
                               struct tpw_error_detail *detail)
{
    char *data = NULL;
    size_t length = 0;
    enum tpw_err err = fx__read_file(path, FEES_FILE_SIZE_MAX, &data, &length, detail);
    if (err == TPW_OK) {
        err = fx_fee_table_parse(data, length, out, detail);
    }
    free(data);
    return err;
}

static bool asset_in(const struct money_asset *assets, size_t count, const char *code)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(assets[i].code, code) == 0) {
            return true;
        }
    }
    return false;
}

size_t fx_fee_table_corridors_within(const struct fx_fee_table *table,
                                     const struct money_asset *assets, size_t asset_count,
                                     struct fx_corridor_fee *out)
{
    size_t count = 0;
    for (size_t i = 0; i < table->corridor_count; i++) {
        const struct fx_corridor_fee corridor = table->corridors[i]; /* out may be the table */
        if (asset_in(assets, asset_count, corridor.from) &&
            asset_in(assets, asset_count, corridor.to)) {
            out[count++] = corridor;
        }
    }
    return count;
}
