/*
 * Loading the asset registry from CSV data files (formats in docs/money.md):
 *   ISO 4217 list:     code,numeric,minor_unit,name   (minor_unit may be "N.A.")
 *   configured assets: code,exponent,name[,class]
 * Blank lines and lines starting with '#' are skipped; fields are unquoted and may
 * not contain commas. A load is all-or-nothing: every row is parsed and checked into
 * a staging array first, and the registry changes only when the whole file is valid.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "money_int.h"
#include "tpw_assert.h"

#include "banned.h"

/* Built-in copies of data/iso4217/iso4217.csv and data/assets.csv (cmake/TpwEmbed). */
extern const unsigned char money_builtin_iso4217_csv[];
extern const size_t money_builtin_iso4217_csv_size;
extern const unsigned char money_builtin_assets_csv[];
extern const size_t money_builtin_assets_csv_size;

/* A configured-assets file larger than this is surely not one. */
#define MONEY_CSV_FILE_SIZE_MAX ((size_t)1 << 20)
#define CSV_FIELDS_MAX 4

/* A configured file has a class column or none (the older form): its header says. */
enum load_kind { LOAD_ISO4217, LOAD_CONFIGURED, LOAD_CONFIGURED_CLASSED };

static const char *const load_headers[] = {
    [LOAD_ISO4217] = "code,numeric,minor_unit,name",
    [LOAD_CONFIGURED] = "code,exponent,name",
    [LOAD_CONFIGURED_CLASSED] = "code,exponent,name,class",
};
static const size_t load_field_counts[] = {
    [LOAD_ISO4217] = 4, [LOAD_CONFIGURED] = 3, [LOAD_CONFIGURED_CLASSED] = 4};

static const char *const class_names[] = {
    [MONEY_CLASS_FIAT] = "fiat",     [MONEY_CLASS_STABLECOIN] = "stablecoin",
    [MONEY_CLASS_CRYPTO] = "crypto", [MONEY_CLASS_COMMODITY] = "commodity",
    [MONEY_CLASS_OTHER] = "other",
};

const char *money_asset_class_name(enum money_asset_class asset_class)
{
    TPW_ASSERT(asset_class >= MONEY_CLASS_OTHER && asset_class <= MONEY_CLASS_COMMODITY);
    return class_names[asset_class];
}

struct csv_line {
    const char *text;
    size_t length;
    size_t offset; /* of the line's first byte in the file */
    size_t number; /* 1-based */
};

struct csv_fields {
    const char *text[CSV_FIELDS_MAX];
    size_t length[CSV_FIELDS_MAX];
    size_t count;
};

/* The next line that is neither blank nor a comment; false at the end of the text. */
static bool csv_next_line(const char *csv, size_t csv_len, size_t *position, size_t *number,
                          struct csv_line *line)
{
    while (*position < csv_len) {
        const char *start = csv + *position;
        const char *newline = memchr(start, '\n', csv_len - *position);
        size_t length = newline != NULL ? (size_t)(newline - start) : csv_len - *position;
        *line = (struct csv_line){start, length, *position, ++*number};
        *position += length + (newline != NULL ? 1 : 0);
        if (line->length > 0 && line->text[line->length - 1] == '\r') {
            line->length--;
        }
        if (line->length > 0 && line->text[0] != '#') {
            return true;
        }
    }
    return false;
}

static enum tpw_err csv_split(const struct csv_line *line, size_t expected,
                              struct csv_fields *fields, struct tpw_error_detail *detail)
{
    *fields = (struct csv_fields){.count = 0};
    if (line->length > MONEY_CSV_LINE_MAX) {
        return tpw_error_set(detail, TPW_ERR_CSV_SYNTAX, line->offset,
                             "line %zu: longer than %d bytes", line->number, MONEY_CSV_LINE_MAX);
    }
    if (memchr(line->text, '"', line->length) != NULL) {
        return tpw_error_set(detail, TPW_ERR_CSV_SYNTAX, line->offset,
                             "line %zu: quoted fields are not supported", line->number);
    }
    size_t start = 0;
    for (size_t index = 0; index <= line->length; index++) {
        if (index < line->length && line->text[index] != ',') {
            continue;
        }
        if (fields->count == CSV_FIELDS_MAX) {
            fields->count++; /* too many; reported below */
            break;
        }
        fields->text[fields->count] = line->text + start;
        fields->length[fields->count] = index - start;
        fields->count++;
        start = index + 1;
    }
    if (fields->count != expected) {
        return tpw_error_set(detail, TPW_ERR_CSV_SYNTAX, line->offset,
                             "line %zu: expected %zu comma-separated fields", line->number,
                             expected);
    }
    return TPW_OK;
}

/* Parses a small decimal field of 1..max_digits digits. */
static bool parse_small_number(const char *text, size_t length, size_t max_digits, unsigned *out)
{
    tpw_u128 value;
    if (length == 0 || length > max_digits || tpw_u128_from_dec(text, length, &value) != TPW_OK) {
        return false;
    }
    *out = (unsigned)value;
    return true;
}

static enum tpw_err parse_exponent(const struct csv_line *line, const char *text, size_t length,
                                   struct money_asset *asset, struct tpw_error_detail *detail)
{
    unsigned exponent;
    if (!parse_small_number(text, length, 2, &exponent) || exponent > MONEY_ASSET_EXPONENT_MAX) {
        return tpw_error_set(detail, TPW_ERR_ASSET_EXPONENT_INVALID, line->offset,
                             "line %zu: minor unit must be 0 to %d (or N.A. in the ISO list)",
                             line->number, MONEY_ASSET_EXPONENT_MAX);
    }
    asset->exponent = (uint8_t)exponent;
    asset->is_money = true;
    return TPW_OK;
}

static enum tpw_err parse_code_and_name(const struct csv_line *line,
                                        const struct csv_fields *fields, size_t name_index,
                                        struct money_asset *asset, struct tpw_error_detail *detail)
{
    if (!money_asset_code_valid(fields->text[0], fields->length[0])) {
        return tpw_error_set(detail, TPW_ERR_ASSET_CODE_INVALID, line->offset,
                             "line %zu: invalid asset code", line->number);
    }
    memcpy(asset->code, fields->text[0], fields->length[0]);
    size_t name_len = fields->length[name_index];
    if (name_len == 0 || name_len >= sizeof(asset->name)) {
        return tpw_error_set(detail, TPW_ERR_CSV_SYNTAX, line->offset,
                             "line %zu: name must be 1 to %zu bytes", line->number,
                             sizeof(asset->name) - 1);
    }
    memcpy(asset->name, fields->text[name_index], name_len);
    return TPW_OK;
}

static enum tpw_err parse_iso_row(const struct csv_line *line, const struct csv_fields *fields,
                                  struct money_asset *asset, struct tpw_error_detail *detail)
{
    enum tpw_err err = parse_code_and_name(line, fields, 3, asset, detail);
    if (err != TPW_OK) {
        return err;
    }
    unsigned numeric;
    if (fields->length[0] != 3 || fields->length[1] != 3 ||
        !parse_small_number(fields->text[1], fields->length[1], 3, &numeric)) {
        return tpw_error_set(detail, TPW_ERR_CSV_SYNTAX, line->offset,
                             "line %zu: ISO 4217 needs a 3-letter code and a 3-digit number",
                             line->number);
    }
    asset->iso_numeric = (uint16_t)numeric;
    asset->kind = MONEY_ASSET_ISO4217;
    asset->asset_class = MONEY_CLASS_FIAT;
    if (fields->length[2] == 4 && memcmp(fields->text[2], "N.A.", 4) == 0) {
        asset->is_money = false;
        asset->asset_class = MONEY_CLASS_OTHER;
        return TPW_OK;
    }
    return parse_exponent(line, fields->text[2], fields->length[2], asset, detail);
}

/* The class column's value (never "fiat": ISO 4217 money is the only fiat). */
static enum tpw_err parse_class(const struct csv_line *line, const char *text, size_t length,
                                struct money_asset *asset, struct tpw_error_detail *detail)
{
    for (int value = MONEY_CLASS_OTHER; value <= MONEY_CLASS_COMMODITY; value++) {
        if (value != MONEY_CLASS_FIAT && length == strlen(class_names[value]) &&
            memcmp(text, class_names[value], length) == 0) {
            asset->asset_class = (enum money_asset_class)value;
            return TPW_OK;
        }
    }
    return tpw_error_set(detail, TPW_ERR_CSV_SYNTAX, line->offset,
                         "line %zu: class must be stablecoin, crypto, commodity or other",
                         line->number);
}

static enum tpw_err parse_configured_row(const struct csv_line *line,
                                         const struct csv_fields *fields, struct money_asset *asset,
                                         struct tpw_error_detail *detail)
{
    enum tpw_err err = parse_code_and_name(line, fields, 2, asset, detail);
    if (err != TPW_OK) {
        return err;
    }
    asset->kind = MONEY_ASSET_CONFIGURED;
    asset->asset_class = MONEY_CLASS_OTHER;
    if (fields->count == load_field_counts[LOAD_CONFIGURED_CLASSED]) {
        err = parse_class(line, fields->text[3], fields->length[3], asset, detail);
    }
    if (err != TPW_OK) {
        return err;
    }
    return parse_exponent(line, fields->text[1], fields->length[1], asset, detail);
}

/* A row may add a new code, or (configured files only) give a minor unit to an ISO
 * code that has none. Anything else defines a code twice. */
static enum tpw_err check_new_code(const money_registry *registry, const struct money_asset *staged,
                                   size_t staged_count, const struct money_asset *asset,
                                   enum load_kind kind, const struct csv_line *line,
                                   struct tpw_error_detail *detail)
{
    const struct money_asset *existing = money__registry_lookup(registry, asset->code);
    bool clash = existing != NULL && (kind == LOAD_ISO4217 || existing->is_money);
    for (size_t index = 0; index < staged_count && !clash; index++) {
        clash = strcmp(staged[index].code, asset->code) == 0;
    }
    if (clash) {
        return tpw_error_set(detail, TPW_ERR_ASSET_DUPLICATE, line->offset,
                             "line %zu: asset '%s' is already defined", line->number, asset->code);
    }
    if (existing == NULL && registry->count + staged_count >= MONEY_REGISTRY_ASSETS_MAX) {
        return tpw_error_set(detail, TPW_ERR_ASSET_REGISTRY_FULL, line->offset,
                             "line %zu: more than %d assets", line->number,
                             MONEY_REGISTRY_ASSETS_MAX);
    }
    return TPW_OK;
}

static enum tpw_err parse_row(const money_registry *registry, enum load_kind kind,
                              const struct csv_line *line, const struct money_asset *staged,
                              size_t staged_count, struct money_asset *asset,
                              struct tpw_error_detail *detail)
{
    struct csv_fields fields;
    enum tpw_err err = csv_split(line, load_field_counts[kind], &fields, detail);
    if (err != TPW_OK) {
        return err;
    }
    memset(asset, 0, sizeof(*asset));
    err = kind == LOAD_ISO4217 ? parse_iso_row(line, &fields, asset, detail)
                               : parse_configured_row(line, &fields, asset, detail);
    if (err != TPW_OK) {
        return err;
    }
    return check_new_code(registry, staged, staged_count, asset, kind, line, detail);
}

static void commit(money_registry *registry, const struct money_asset *staged, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        struct money_asset *existing = money__registry_lookup(registry, staged[index].code);
        if (existing == NULL) {
            money__registry_insert(registry, &staged[index]);
            continue;
        }
        /* A configured minor unit for an ISO "N.A." code: keep its ISO number. */
        TPW_ASSERT(!existing->is_money);
        uint16_t iso_numeric = existing->iso_numeric;
        *existing = staged[index];
        existing->iso_numeric = iso_numeric;
    }
}

static bool header_is(const struct csv_line *line, enum load_kind kind)
{
    return line->length == strlen(load_headers[kind]) &&
           memcmp(line->text, load_headers[kind], line->length) == 0;
}

static enum tpw_err parse_rows(const money_registry *registry, const char *csv, size_t csv_len,
                               enum load_kind kind, struct money_asset *staged,
                               size_t *staged_count, struct tpw_error_detail *detail)
{
    size_t position = 0;
    size_t number = 0;
    struct csv_line line;
    bool found = csv_next_line(csv, csv_len, &position, &number, &line);
    if (found && kind == LOAD_CONFIGURED && header_is(&line, LOAD_CONFIGURED_CLASSED)) {
        kind = LOAD_CONFIGURED_CLASSED;
    }
    if (!found || !header_is(&line, kind)) {
        return tpw_error_set(detail, TPW_ERR_CSV_SYNTAX, 0, "line %zu: expected the header '%s'%s",
                             number, load_headers[kind],
                             kind == LOAD_CONFIGURED ? " (and optionally ',class')" : "");
    }
    *staged_count = 0;
    while (csv_next_line(csv, csv_len, &position, &number, &line)) {
        /* Parsed into a local first: the row is checked against capacity before it
         * takes a staging slot. */
        struct money_asset asset;
        enum tpw_err err = parse_row(registry, kind, &line, staged, *staged_count, &asset, detail);
        if (err != TPW_OK) {
            return err;
        }
        TPW_ASSERT(*staged_count < MONEY_REGISTRY_ASSETS_MAX);
        staged[(*staged_count)++] = asset;
    }
    return TPW_OK;
}

static enum tpw_err load_csv(money_registry *registry, const char *csv, size_t csv_len,
                             enum load_kind kind, struct tpw_error_detail *detail)
{
    struct money_asset *staged = calloc(MONEY_REGISTRY_ASSETS_MAX, sizeof(*staged));
    if (staged == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory loading assets");
    }
    size_t staged_count = 0;
    enum tpw_err err = parse_rows(registry, csv, csv_len, kind, staged, &staged_count, detail);
    if (err == TPW_OK) {
        commit(registry, staged, staged_count);
    }
    free(staged);
    return err;
}

enum tpw_err money_registry_load_iso4217(money_registry *registry, const char *csv, size_t csv_len,
                                         struct tpw_error_detail *detail)
{
    return load_csv(registry, csv, csv_len, LOAD_ISO4217, detail);
}

enum tpw_err money_registry_load_configured(money_registry *registry, const char *csv,
                                            size_t csv_len, struct tpw_error_detail *detail)
{
    return load_csv(registry, csv, csv_len, LOAD_CONFIGURED, detail);
}

enum tpw_err money_registry_load_builtin(money_registry *registry, struct tpw_error_detail *detail)
{
    enum tpw_err err = money_registry_load_iso4217(
        registry, (const char *)money_builtin_iso4217_csv, money_builtin_iso4217_csv_size, detail);
    if (err != TPW_OK) {
        return err;
    }
    return money_registry_load_configured(registry, (const char *)money_builtin_assets_csv,
                                          money_builtin_assets_csv_size, detail);
}

/* Reads a whole file of at most MONEY_CSV_FILE_SIZE_MAX bytes into a new buffer. */
static enum tpw_err read_file(const char *path, char **out, size_t *out_len,
                              struct tpw_error_detail *detail)
{
    return tpw_file_read(path, MONEY_CSV_FILE_SIZE_MAX, TPW_ERR_CSV_SYNTAX, out, out_len, detail);
}

enum tpw_err money_registry_load_configured_file(money_registry *registry, const char *path,
                                                 struct tpw_error_detail *detail)
{
    char *csv = NULL;
    size_t csv_len = 0;
    enum tpw_err err = read_file(path, &csv, &csv_len, detail);
    if (err != TPW_OK) {
        return err;
    }
    err = money_registry_load_configured(registry, csv, csv_len, detail);
    free(csv);
    return err;
}
