/*
 * The asset registry: a fixed array of assets plus an index sorted by code.
 *
 * Assets are appended and never moved, so the pointers money_registry_find() hands
 * out stay valid for the registry's lifetime; the sorted index is what moves. Loading
 * from data files lives in registry_csv.c.
 */
#include <stdlib.h>
#include <string.h>

#include "money_int.h"
#include "tpw_assert.h"

#include "banned.h"

bool money_asset_code_valid(const char *code, size_t code_len)
{
    if (code_len < MONEY_ASSET_CODE_LEN_MIN || code_len > MONEY_ASSET_CODE_LEN_MAX) {
        return false;
    }
    if (code[0] < 'A' || code[0] > 'Z') {
        return false;
    }
    for (size_t index = 1; index < code_len; index++) {
        char c = code[index];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
}

money_registry *money_registry_create(void)
{
    money_registry *registry = calloc(1, sizeof(*registry));
    if (registry == NULL) {
        return NULL;
    }
    registry->assets = calloc(MONEY_REGISTRY_ASSETS_MAX, sizeof(registry->assets[0]));
    registry->sorted = calloc(MONEY_REGISTRY_ASSETS_MAX, sizeof(registry->sorted[0]));
    if (registry->assets == NULL || registry->sorted == NULL) {
        money_registry_destroy(registry);
        return NULL;
    }
    return registry;
}

void money_registry_destroy(money_registry *registry)
{
    if (registry == NULL) {
        return;
    }
    free(registry->assets);
    free(registry->sorted);
    free(registry);
}

/* Position of `code` in the sorted index, or where it would be inserted. */
static size_t sorted_position(const money_registry *registry, const char *code, bool *found)
{
    size_t low = 0;
    size_t high = registry->count;
    *found = false;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp(registry->assets[registry->sorted[middle]].code, code);
        if (order == 0) {
            *found = true;
            return middle;
        }
        if (order < 0) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

struct money_asset *money__registry_lookup(const money_registry *registry, const char *code)
{
    bool found;
    size_t position = sorted_position(registry, code, &found);
    return found ? &registry->assets[registry->sorted[position]] : NULL;
}

/* The sorted index is strictly ascending by code (an O(n) check, debug builds only). */
static bool registry_sorted(const money_registry *registry)
{
    for (size_t index = 1; index < registry->count; index++) {
        if (strcmp(registry->assets[registry->sorted[index - 1]].code,
                   registry->assets[registry->sorted[index]].code) >= 0) {
            return false;
        }
    }
    return true;
}

void money__registry_insert(money_registry *registry, const struct money_asset *asset)
{
    TPW_ASSERT(registry->count < MONEY_REGISTRY_ASSETS_MAX);
    bool found;
    size_t position = sorted_position(registry, asset->code, &found);
    TPW_ASSERT(!found);
    size_t slot = registry->count;
    registry->assets[slot] = *asset;
    memmove(&registry->sorted[position + 1], &registry->sorted[position],
            (registry->count - position) * sizeof(registry->sorted[0]));
    registry->sorted[position] = (uint16_t)slot;
    registry->count++;
    TPW_DEBUG_ASSERT(registry_sorted(registry));
}

enum tpw_err money_registry_find(const money_registry *registry, const char *code,
                                 const struct money_asset **out, struct tpw_error_detail *detail)
{
    size_t code_len = strlen(code);
    char quoted[MONEY_QUOTE_SIZE];
    money__quote(code, code_len, quoted);
    if (!money_asset_code_valid(code, code_len)) {
        return tpw_error_set(detail, TPW_ERR_ASSET_CODE_INVALID, 0,
                             "'%s' is not an asset code (2 to 8 of A-Z and 0-9, "
                             "starting with a letter)",
                             quoted);
    }
    const struct money_asset *asset = money__registry_lookup(registry, code);
    if (asset == NULL) {
        return tpw_error_set(detail, TPW_ERR_ASSET_UNKNOWN, 0, "unknown asset '%s'", quoted);
    }
    if (!asset->is_money) {
        return tpw_error_set(detail, TPW_ERR_ASSET_NOT_MONEY, 0,
                             "asset '%s' has no minor unit in ISO 4217; configure it in an "
                             "assets file to use it as money",
                             quoted);
    }
    *out = asset;
    return TPW_OK;
}

size_t money_registry_count(const money_registry *registry)
{
    return registry->count;
}

const struct money_asset *money_registry_at(const money_registry *registry, size_t index)
{
    TPW_ASSERT(index < registry->count);
    return &registry->assets[registry->sorted[index]];
}
