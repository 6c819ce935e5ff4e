/*
 * GET /v1/map?base=EUR[&owner=ID]: the map of liquid assets — every visible account
 * valued in one base currency at the live mids, grouped asset class → asset → account,
 * with holds (pending debits) beside the balances. What a wallet shows when it opens.
 *
 * Exact throughout: a balance is credits_posted − debits_posted (signed), each
 * account's value is money_convert at its asset's valuation rate (valuation.c) rounded
 * down in magnitude (the map never shows more than a conversion would give), and every
 * total above it is the exact sum of the values below, so the numbers add up to the
 * last minor unit. An asset no rate reaches is listed with a null value and left out of
 * the totals (`complete` false); a stale rate still values, and says so.
 *
 * Which accounts: a user key's owner's; a staff key's of `owner`, or without it every
 * owned account (house accounts — pools, fees, equity — are the house's, not a
 * wallet's). At most MAP_ACCOUNTS_MAX: a larger map is refused (filter by owner).
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define MAP_ACCOUNTS_MAX 4096u
#define MAP_SCAN_PAGE 256u

/* Signed sums: a balance is a difference of two 128-bit amounts. One owner's sums stay
 * far below 2^126; a value that would not is refused (overflow) rather than wrapped. */
__extension__ typedef __int128 map_signed;
#define MAP_SIGNED_MAX ((map_signed)(((tpw_u128)1 << 126) - 1))

struct map_account {
    struct ledger_account account;
    size_t asset_index;       /* into map.assets */
    map_signed balance_minor; /* in the asset */
    map_signed value_minor;   /* in the base (0 when the asset is not valued) */
};

struct map_asset {
    uint32_t number;
    struct money_asset money;
    bool valued;
    bool then_valued; /* valued now and a window back (the rates' history) */
    struct api_value_rate rate;
    struct money_rate then_mid;
    uint64_t since_ns; /* the time of then_mid's sample (0: the base itself) */
    map_signed balance_minor, holds_minor, incoming_minor, value_minor, holds_value_minor;
    map_signed then_value_minor; /* today's balances at then_mid */
};

struct map {
    struct money_asset base;
    uint64_t window_ns; /* the rates' history's: how far back `change` looks */
    struct map_account *accounts;
    size_t accounts_count, accounts_capacity;
    struct map_asset *assets;
    size_t assets_count, assets_capacity;
};

static void map_free(struct map *map)
{
    free(map->accounts);
    free(map->assets);
}

/* ---- text -------------------------------------------------------------------------- */

static json_t *signed_text(map_signed value, unsigned exponent, bool decimal)
{
    char text[MONEY_DECIMAL_TEXT_SIZE + 1];
    text[0] = '-';
    tpw_u128 magnitude = value < 0 ? (tpw_u128)-value : (tpw_u128)value;
    if (decimal) {
        (void)money_decimal_format(magnitude, exponent, text + 1, sizeof text - 1);
    } else {
        (void)tpw_u128_to_dec(magnitude, text + 1, sizeof text - 1);
    }
    return json_string(value < 0 ? text : text + 1);
}

/* `key` in minor units and `key`_decimal at `exponent`, or both null. */
static void amount_set(json_t *object, const char *key, bool known, map_signed value,
                       unsigned exponent)
{
    char decimal_key[48];
    (void)snprintf(decimal_key, sizeof decimal_key, "%s_decimal", key);
    (void)json_object_set_new(object, key, known ? signed_text(value, 0, false) : json_null());
    (void)json_object_set_new(object, decimal_key,
                              known ? signed_text(value, exponent, true) : json_null());
}

/* ---- gathering and valuing --------------------------------------------------------- */

static bool grow(void **items, size_t *capacity, size_t count, size_t size)
{
    if (count < *capacity) {
        return true;
    }
    size_t wanted = *capacity == 0 ? 16 : *capacity * 2;
    void *grown = realloc(*items, wanted * size);
    if (grown == NULL) {
        return false;
    }
    *items = grown;
    *capacity = wanted;
    return true;
}

static bool wanted(const struct api_request *request, bool owner_given, tpw_u128 owner,
                   const struct ledger_account *account)
{
    if (!api_visible(request, account->owner)) {
        return false;
    }
    return owner_given ? account->owner == owner : account->owner != 0;
}

static enum tpw_err accounts_gather(struct api_request *request, bool owner_given, tpw_u128 owner,
                                    struct map *map)
{
    struct ledger_account page[MAP_SCAN_PAGE];
    struct api_server *server = request->server;
    uint64_t after_ts = 0;
    size_t count = MAP_SCAN_PAGE;
    while (count == MAP_SCAN_PAGE) {
        TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
        count = ledger_account_list(server->ledger, after_ts, page, MAP_SCAN_PAGE);
        TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
        for (size_t i = 0; i < count; i++) {
            if (!wanted(request, owner_given, owner, &page[i])) {
                continue;
            }
            if (map->accounts_count == MAP_ACCOUNTS_MAX) {
                return TPW_ERR_MAP_TOO_LARGE;
            }
            if (!grow((void **)&map->accounts, &map->accounts_capacity, map->accounts_count,
                      sizeof map->accounts[0])) {
                return TPW_ERR_NOMEM;
            }
            map->accounts[map->accounts_count++] = (struct map_account){.account = page[i]};
        }
        after_ts = count > 0 ? page[count - 1].timestamp : after_ts;
    }
    return TPW_OK;
}

/* The entry of the account's asset, made (and its rate looked up) on first sight. */
static enum tpw_err asset_entry(struct api_request *request, struct map *map, uint32_t number,
                                size_t *index)
{
    for (*index = 0; *index < map->assets_count; (*index)++) {
        if (map->assets[*index].number == number) {
            return TPW_OK;
        }
    }
    struct api_assets *assets = &request->server->assets;
    struct ledger_asset ledger_asset;
    const struct money_asset *known = NULL;
    if (!api_assets_by_number(assets, number, &ledger_asset) ||
        money_registry_find(assets->registry, ledger_asset.code, &known, NULL) != TPW_OK) {
        return TPW_ERR_LEDGER_ASSET_NOT_FOUND; /* the ledger has an asset nobody defined */
    }
    if (!grow((void **)&map->assets, &map->assets_capacity, map->assets_count,
              sizeof map->assets[0])) {
        return TPW_ERR_NOMEM;
    }
    struct map_asset *entry = &map->assets[map->assets_count++];
    *entry = (struct map_asset){.number = number, .money = *known};
    struct api_rates *rates = request->server->rates;
    entry->valued = api_value_rate_get(rates, known->code, map->base.code, &entry->rate) == TPW_OK;
    entry->then_valued = entry->valued && api_rate_history_mid(rates, known->code, map->base.code,
                                                               &entry->then_mid, &entry->since_ns);
    return TPW_OK;
}

/* `amount` of the asset in the base at `mid`, rounded down in magnitude. */
static enum tpw_err value_of(const struct map *map, const struct map_asset *asset,
                             struct money_rate mid, map_signed amount, map_signed *out)
{
    tpw_u128 magnitude = amount < 0 ? (tpw_u128)-amount : (tpw_u128)amount;
    tpw_u128 value = 0;
    enum tpw_err err = money_convert(magnitude, &asset->money, &map->base, mid,
                                     MONEY_RATE_TO_PER_FROM, MONEY_ROUND_DOWN, &value);
    if (err == TPW_OK && value > (tpw_u128)MAP_SIGNED_MAX) {
        err = TPW_ERR_OVERFLOW;
    }
    *out = amount < 0 ? -(map_signed)value : (map_signed)value;
    return err;
}

static enum tpw_err account_value(struct map *map, struct map_account *entry)
{
    const struct ledger_account *account = &entry->account;
    struct map_asset *asset = &map->assets[entry->asset_index];
    entry->balance_minor = (map_signed)account->credits_posted - (map_signed)account->debits_posted;
    asset->balance_minor += entry->balance_minor;
    asset->holds_minor += (map_signed)account->debits_pending;
    asset->incoming_minor += (map_signed)account->credits_pending;
    if (!asset->valued) {
        return TPW_OK;
    }
    map_signed holds_value = 0, then_value = 0;
    enum tpw_err err =
        value_of(map, asset, asset->rate.mid, entry->balance_minor, &entry->value_minor);
    if (err == TPW_OK) {
        err = value_of(map, asset, asset->rate.mid, (map_signed)account->debits_pending,
                       &holds_value);
    }
    /* Account by account, rounded as now: at an unchanged rate the change is exactly 0. */
    if (err == TPW_OK && asset->then_valued) {
        err = value_of(map, asset, asset->then_mid, entry->balance_minor, &then_value);
    }
    asset->value_minor += entry->value_minor;
    asset->holds_value_minor += holds_value;
    asset->then_value_minor += then_value;
    return err;
}

static enum tpw_err map_value(struct api_request *request, struct map *map)
{
    for (size_t i = 0; i < map->accounts_count; i++) {
        enum tpw_err err = asset_entry(request, map, map->accounts[i].account.asset,
                                       &map->accounts[i].asset_index);
        if (err != TPW_OK) {
            return err;
        }
    }
    /* Once every asset has its entry (the array no longer moves), value the accounts. */
    for (size_t i = 0; i < map->accounts_count; i++) {
        enum tpw_err err = account_value(map, &map->accounts[i]);
        if (err != TPW_OK) {
            return err;
        }
    }
    return TPW_OK;
}

/* ---- the reply --------------------------------------------------------------------- */

/* Largest value first; within an asset, then the larger balance. */
static int account_compare(const void *a_ptr, const void *b_ptr)
{
    const struct map_account *a = a_ptr;
    const struct map_account *b = b_ptr;
    if (a->value_minor != b->value_minor) {
        return a->value_minor > b->value_minor ? -1 : 1;
    }
    return (a->balance_minor < b->balance_minor) - (a->balance_minor > b->balance_minor);
}

/* The assets in the order they are shown, sorted as references: the accounts refer to
 * the assets by their place, which must not move. */
struct map_asset_ref {
    const struct map_asset *asset;
};

/* Valued assets by value, largest first, then the unvalued by code. */
static int asset_compare(const void *a_ptr, const void *b_ptr)
{
    const struct map_asset *a = ((const struct map_asset_ref *)a_ptr)->asset;
    const struct map_asset *b = ((const struct map_asset_ref *)b_ptr)->asset;
    if (a->valued != b->valued) {
        return a->valued ? -1 : 1;
    }
    if (a->valued && a->value_minor != b->value_minor) {
        return a->value_minor > b->value_minor ? -1 : 1;
    }
    return strcmp(a->money.code, b->money.code);
}

static json_t *rate_json(const struct map_asset *asset)
{
    if (!asset->valued) {
        return json_null();
    }
    char mid[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_rate_format(asset->rate.mid, mid, sizeof mid);
    char as_of[TPW_CLOCK_UTC_TEXT_SIZE];
    (void)tpw_clock_format_utc_ms(asset->rate.time_ns / 1000000u, as_of);
    json_t *via = json_array();
    for (size_t i = 0; i < asset->rate.path_count; i++) {
        (void)json_array_append_new(via, json_string(asset->rate.path[i]));
    }
    /* The base itself is worth 1 with no quote behind it: no time. */
    return json_pack("{s:s,s:s,s:o,s:o}", "mid", mid, "status", fx_status_name(asset->rate.status),
                     "as_of", asset->rate.time_ns != 0 ? json_string(as_of) : json_null(), "via",
                     via);
}

static json_t *time_json(uint64_t time_ns)
{
    char text[TPW_CLOCK_UTC_TEXT_SIZE];
    (void)tpw_clock_format_utc_ms(time_ns / 1000000u, text);
    return time_ns != 0 ? json_string(text) : json_null();
}

/* The asset's value then (today's balances at the rate a window back) and since. */
static json_t *asset_change_json(const struct map *map, const struct map_asset *asset)
{
    if (!asset->then_valued) {
        return json_null();
    }
    char mid[MONEY_DECIMAL_TEXT_SIZE];
    (void)money_rate_format(asset->then_mid, mid, sizeof mid);
    json_t *object = json_pack("{s:s,s:o}", "mid_then", mid, "since", time_json(asset->since_ns));
    amount_set(object, "value_then", true, asset->then_value_minor, map->base.exponent);
    amount_set(object, "change", true, asset->value_minor - asset->then_value_minor,
               map->base.exponent);
    return object;
}

static json_t *account_json(const struct map *map, const struct map_account *entry)
{
    const struct ledger_account *account = &entry->account;
    const struct map_asset *asset = &map->assets[entry->asset_index];
    unsigned exponent = asset->money.exponent;
    json_t *object = json_pack("{s:o,s:o,s:s}", "id", api_id_json(account->id, "acct"), "owner",
                               api_id_json(account->owner, "usr"), "kind",
                               ledger_account_kind_name(account->kind));
    amount_set(object, "balance", true, entry->balance_minor, exponent);
    amount_set(object, "holds", true, (map_signed)account->debits_pending, exponent);
    amount_set(object, "available", true,
               entry->balance_minor - (map_signed)account->debits_pending, exponent);
    amount_set(object, "incoming", true, (map_signed)account->credits_pending, exponent);
    amount_set(object, "value", asset->valued, entry->value_minor, map->base.exponent);
    return object;
}

static json_t *asset_json(const struct map *map, const struct map_asset *asset)
{
    unsigned exponent = asset->money.exponent;
    json_t *object = json_pack("{s:s,s:s,s:i}", "asset", asset->money.code, "name",
                               asset->money.name, "exponent", (int)exponent);
    amount_set(object, "balance", true, asset->balance_minor, exponent);
    amount_set(object, "holds", true, asset->holds_minor, exponent);
    amount_set(object, "incoming", true, asset->incoming_minor, exponent);
    amount_set(object, "value", asset->valued, asset->value_minor, map->base.exponent);
    (void)json_object_set_new(object, "rate", rate_json(asset));
    (void)json_object_set_new(object, "change", asset_change_json(map, asset));
    json_t *accounts = json_array();
    size_t index = (size_t)(asset - map->assets);
    for (size_t i = 0; i < map->accounts_count; i++) {
        if (map->accounts[i].asset_index == index) {
            (void)json_array_append_new(accounts, account_json(map, &map->accounts[i]));
        }
    }
    (void)json_object_set_new(object, "accounts", accounts);
    return object;
}

/* What the classes add up to; the change sums the assets valued now and then. */
struct map_totals {
    map_signed value, holds_value, then_value, change;
    uint64_t since_ns; /* the newest of those assets' samples */
    bool complete, change_complete, change_any;
};

static void totals_add(struct map_totals *totals, const struct map_asset *asset)
{
    totals->holds_value += asset->valued ? asset->holds_value_minor : 0;
    totals->complete = totals->complete && asset->valued;
    totals->change_complete = totals->change_complete && asset->then_valued;
    if (asset->then_valued) {
        totals->change_any = true;
        totals->then_value += asset->then_value_minor;
        totals->change += asset->value_minor - asset->then_value_minor;
        totals->since_ns = asset->since_ns > totals->since_ns ? asset->since_ns : totals->since_ns;
    }
}

/* One class's assets (already in order) and their sums; NULL when it has none. */
static json_t *class_json(const struct map *map, const struct map_asset_ref *sorted,
                          enum money_asset_class asset_class, struct map_totals *totals)
{
    json_t *assets = json_array();
    map_signed class_value = 0;
    for (size_t i = 0; i < map->assets_count; i++) {
        const struct map_asset *asset = sorted[i].asset;
        if (asset->money.asset_class != asset_class) {
            continue;
        }
        (void)json_array_append_new(assets, asset_json(map, asset));
        class_value += asset->valued ? asset->value_minor : 0;
        totals_add(totals, asset);
    }
    if (json_array_size(assets) == 0) {
        json_decref(assets);
        return NULL;
    }
    totals->value += class_value;
    json_t *object = json_pack("{s:s}", "class", money_asset_class_name(asset_class));
    amount_set(object, "value", true, class_value, map->base.exponent);
    (void)json_object_set_new(object, "assets", assets);
    return object;
}

/* The change in hundredths of a percent of the value then, half-even; null below 0. */
static json_t *percent_json(map_signed change, map_signed then)
{
    tpw_u128 magnitude = change < 0 ? (tpw_u128)-change : (tpw_u128)change;
    tpw_u128 hundredths = 0;
    if (then <= 0 ||
        money_muldiv(magnitude, 10000, (tpw_u128)then, MONEY_ROUND_HALF_EVEN, &hundredths) !=
            TPW_OK ||
        hundredths > (tpw_u128)MAP_SIGNED_MAX) {
        return json_null();
    }
    return signed_text(change < 0 ? -(map_signed)hundredths : (map_signed)hundredths, 2, true);
}

static json_t *map_change_json(const struct map *map, const struct map_totals *totals)
{
    if (!totals->change_any) {
        return json_null();
    }
    json_t *object =
        json_pack("{s:I,s:o,s:b}", "window_s", (json_int_t)(map->window_ns / 1000000000u), "since",
                  time_json(totals->since_ns), "complete", totals->change_complete);
    amount_set(object, "value_then", true, totals->then_value, map->base.exponent);
    amount_set(object, "change", true, totals->change, map->base.exponent);
    (void)json_object_set_new(object, "change_percent",
                              percent_json(totals->change, totals->then_value));
    return object;
}

static json_t *map_json(struct map *map, bool owner_given, tpw_u128 owner)
{
    if (map->accounts_count > 0) {
        qsort(map->accounts, map->accounts_count, sizeof map->accounts[0], account_compare);
    }
    struct map_asset_ref *sorted = calloc(map->assets_count + 1, sizeof *sorted);
    if (sorted == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < map->assets_count; i++) {
        sorted[i].asset = &map->assets[i];
    }
    qsort(sorted, map->assets_count, sizeof *sorted, asset_compare);
    static const enum money_asset_class order[] = {MONEY_CLASS_FIAT, MONEY_CLASS_STABLECOIN,
                                                   MONEY_CLASS_CRYPTO, MONEY_CLASS_COMMODITY,
                                                   MONEY_CLASS_OTHER};
    json_t *classes = json_array();
    struct map_totals totals = {.complete = true, .change_complete = true};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        json_t *one = class_json(map, sorted, order[i], &totals);
        if (one != NULL) {
            (void)json_array_append_new(classes, one);
        }
    }
    free(sorted);
    json_t *object = json_pack("{s:s,s:s,s:i,s:o,s:b,s:I}", "object", "asset_map", "base",
                               map->base.code, "exponent", (int)map->base.exponent, "owner",
                               owner_given ? api_id_json(owner, "usr") : json_null(), "complete",
                               totals.complete, "accounts_count", (json_int_t)map->accounts_count);
    amount_set(object, "total", true, totals.value, map->base.exponent);
    amount_set(object, "holds", true, totals.holds_value, map->base.exponent);
    (void)json_object_set_new(object, "change", map_change_json(map, &totals));
    (void)json_object_set_new(object, "classes", classes);
    return object;
}

/* ---- the route --------------------------------------------------------------------- */

static bool base_param(struct api_request *request, struct money_asset *out)
{
    const char *code = api_query(request, "base");
    const struct money_asset *found = NULL;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    tpw_error_set_param(&detail, "base");
    enum tpw_err err =
        code == NULL ? tpw_error_set(&detail, TPW_ERR_INVALID_ARGUMENT, 0,
                                     "base: the currency to value in is required")
                     : money_registry_find(request->server->assets.registry, code, &found, &detail);
    if (err == TPW_OK && found == NULL) {
        err = TPW_ERR_INTERNAL; /* the registry answers OK with an asset */
    }
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
        return false;
    }
    *out = *found;
    return true;
}

/* A user key maps its own owner only: naming another is bad input (400, param owner),
 * as a read route never answers 403. */
static bool owner_param(struct api_request *request, bool *given, tpw_u128 *owner)
{
    const char *text = api_query(request, "owner");
    *given = text != NULL || request->principal.role == API_ROLE_USER;
    *owner = request->principal.owner;
    if (text == NULL) {
        return true;
    }
    if (!api_parse_id(request, text, "owner", owner)) {
        return false;
    }
    if (!api_visible(request, *owner)) {
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        (void)tpw_error_set(&detail, TPW_ERR_INVALID_ARGUMENT, 0,
                            "owner: a user key maps its own owner's accounts only");
        tpw_error_set_param(&detail, "owner");
        api_reply_error(request, TPW_ERR_INVALID_ARGUMENT, &detail);
        return false;
    }
    return true;
}

void api_map_get(struct api_request *request, const char *id_text)
{
    (void)id_text;
    struct map map = {0};
    bool owner_given = false;
    tpw_u128 owner = 0;
    if (!base_param(request, &map.base) || !owner_param(request, &owner_given, &owner)) {
        return;
    }
    map.window_ns = api_rate_history_window_ns(request->server->rates);
    enum tpw_err err = accounts_gather(request, owner_given, owner, &map);
    if (err == TPW_OK) {
        err = map_value(request, &map);
    }
    if (err == TPW_OK) {
        api_reply_json(request, 200, map_json(&map, owner_given, owner));
    } else {
        api_reply_error_param(request, err, err == TPW_ERR_MAP_TOO_LARGE ? "owner" : NULL);
    }
    map_free(&map);
}
