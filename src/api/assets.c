/*
 * The server's copy of the ledger's asset table. Request threads map codes to numbers
 * and numbers to exponents on every request; doing that through the ledger would take
 * the ledger lock, which the committer holds across each journal sync, and would
 * serialise exactly the requests group commit wants in parallel. The table only grows
 * (the committer defines assets), so a copy refreshed after each definition is exact.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

enum tpw_err api_assets_init(struct api_assets *assets, const char *assets_path,
                             struct tpw_error_detail *detail)
{
    memset(assets, 0, sizeof *assets);
    TPW_ASSERT(pthread_rwlock_init(&assets->lock, NULL) == 0);
    assets->registry = money_registry_create();
    if (assets->registry == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    enum tpw_err err = money_registry_load_builtin(assets->registry, detail);
    if (err == TPW_OK && assets_path != NULL) {
        tpw_error_set_param(detail, "assets");
        err = money_registry_load_configured_file(assets->registry, assets_path, detail);
    }
    return err;
}

void api_assets_deinit(struct api_assets *assets)
{
    money_registry_destroy(assets->registry);
    free(assets->table);
    (void)pthread_rwlock_destroy(&assets->lock);
}

enum tpw_err api_assets_refresh(struct api_assets *assets, const struct ledger *ledger)
{
    size_t count = ledger_asset_count(ledger);
    struct ledger_asset *table = calloc(count > 0 ? count : 1, sizeof *table);
    if (table == NULL) {
        return TPW_ERR_NOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        TPW_ASSERT(ledger_asset_get(ledger, (uint32_t)(i + 1), &table[i]) == TPW_OK);
    }
    TPW_ASSERT(pthread_rwlock_wrlock(&assets->lock) == 0);
    free(assets->table);
    assets->table = table;
    assets->count = count;
    TPW_ASSERT(pthread_rwlock_unlock(&assets->lock) == 0);
    return TPW_OK;
}

bool api_assets_by_number(struct api_assets *assets, uint32_t number, struct ledger_asset *out)
{
    TPW_ASSERT(pthread_rwlock_rdlock(&assets->lock) == 0);
    bool found = number >= 1 && number <= assets->count;
    if (found) {
        *out = assets->table[number - 1];
    }
    TPW_ASSERT(pthread_rwlock_unlock(&assets->lock) == 0);
    return found;
}

bool api_assets_by_code(struct api_assets *assets, const char *code, struct ledger_asset *out)
{
    TPW_ASSERT(pthread_rwlock_rdlock(&assets->lock) == 0);
    bool found = false;
    for (size_t i = 0; i < assets->count && !found; i++) {
        found = strcmp(assets->table[i].code, code) == 0;
        if (found) {
            *out = assets->table[i];
        }
    }
    TPW_ASSERT(pthread_rwlock_unlock(&assets->lock) == 0);
    return found;
}

enum tpw_err api_assets_resolve(struct api_assets *assets, const char *code, uint32_t *number,
                                struct tpw_error_detail *detail)
{
    struct ledger_asset asset;
    if (api_assets_by_code(assets, code, &asset)) {
        *number = asset.number;
        return TPW_OK;
    }
    const struct money_asset *known = NULL;
    tpw_error_set_param(detail, "asset");
    enum tpw_err err = money_registry_find(assets->registry, code, &known, detail);
    if (err != TPW_OK) {
        return err;
    }
    return tpw_error_set(detail, TPW_ERR_LEDGER_ASSET_NOT_FOUND, 0,
                         "the ledger has no account in \"%s\"", code);
}
