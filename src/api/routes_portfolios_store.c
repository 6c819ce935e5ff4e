/*
 * Portfolios in the server and their journal, DATA/portfolios.jsonl: one line per
 * event, appended with one write and fsync'd before the request that made it is
 * answered (jsonl.h), so every acknowledged change survives a crash.
 *
 * Why a journal of its own: the ledger's journal holds only the ledger's commands
 * (assets, accounts and transfers as fixed 128-byte records) and has no user records or
 * metadata events to carry a portfolio's definition. The server already keeps its own
 * durable records the same way beside the ledger — API keys (apikeys.jsonl), manual
 * rates (fx/manual-rates.jsonl), idempotent replies (idempotency.jsonl) — so this is
 * that mechanism again, written only by the group committer's thread, in order with the
 * ledger's writes: a rebalance's transfers are committed to the ledger first, then its
 * result is journalled here (a crash between the two leaves the transfers, whose
 * user_data is their quote's id, and no result line; docs/api.md says so).
 *
 * Events (`event`): portfolio.created (the definition, replayed at start),
 * portfolio.rebalance_planned (a preview's plan), portfolio.rebalance_executed and
 * portfolio.rebalance_failed (an execution's result). Each line also carries `seq`
 * (1, 2, … in file order), `time_ns`, and `portfolio_id`. A torn last line (a crash
 * mid-append, never acknowledged) is cut off at start; any other malformed line stops
 * the start (portfolio_log_corrupt), as the key file does.
 *
 * Each event, once journalled, is also a signal of its kind on GET /v1/events (data: the
 * journal line) for admin, operator and auditor keys.
 *
 * Plans are not journalled state to replay: a plan lives only as long as its locked
 * quotes, which the server does not keep across a restart either.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "api_int.h"
#include "jsonl.h"
#include "signals.h"
#include "tpw_assert.h"
#include "tpwallet/id.h"
#include "tpwallet/prng.h"

#include "banned.h"

#define LOG_NAME "portfolios.jsonl"
/* A created event of 16 holdings is about 2.5 KB, a plan's or a result's up to ~10 KB (below
 * jsonl.c's read chunk). */
#define LOG_LINE_MAX (32u << 10)

enum plan_state { PLAN_FREE = 0, PLAN_OPEN, PLAN_BUSY, PLAN_USED };

struct plan_slot {
    struct api_rebalance_plan plan;
    enum plan_state state;
};

struct api_portfolios {
    pthread_mutex_t lock;
    struct api_portfolio *items; /* creation order */
    size_t count;
    size_t capacity;
    struct plan_slot plans[API_PLANS_MAX];
    size_t next_plan;
    struct tpw_prng prng;
    struct tpw_id_gen ids;
    uint64_t seq; /* the last event's */
    int fd;
    struct api_signals *signals; /* each journalled event is also a staff-only signal */
    char dir[PATH_MAX];
};

/* ---- lines -------------------------------------------------------------------------- */

static uint64_t wall_now_ns(void)
{
    struct tpw_clock clock = tpw_clock_system();
    return tpw_clock_now_ns(&clock);
}

static json_t *weight_json(uint64_t value_e18)
{
    char text[64];
    (void)money_rate_format((struct money_rate){.value_e18 = value_e18}, text, sizeof text);
    return json_string(text);
}

json_t *api_portfolio_definition_json(const struct api_portfolio *p)
{
    json_t *holdings = json_array();
    for (size_t i = 0; holdings != NULL && i < p->count; i++) {
        const struct api_portfolio_holding *h = &p->holdings[i];
        (void)json_array_append_new(
            holdings,
            json_pack("{s:o,s:o,s:o}", "account_id", api_id_json(h->account_id, API_ACCOUNT_PREFIX),
                      "target", weight_json(h->target_e18), "band", weight_json(h->band_e18)));
    }
    return json_pack("{s:o,s:o,s:s,s:s,s:s,s:s,s:I,s:o*}", "id",
                     api_id_json(p->id, API_PORTFOLIO_PREFIX), "owner", api_u128_json(p->owner),
                     "name", p->name, "base", p->base, "drift",
                     p->drift == API_DRIFT_RELATIVE ? "relative" : "absolute", "destination",
                     p->destination == EXCHANGE_TO_BAND_EDGE ? "band_edge" : "target", "created_ns",
                     (json_int_t)p->created_ns, "holdings", holdings);
}

static bool text_copy(json_t *object, const char *key, char *out, size_t size)
{
    const char *text = json_string_value(json_object_get(object, key));
    size_t length = text != NULL ? strlen(text) : 0;
    if (text == NULL || length >= size) {
        return false;
    }
    memcpy(out, text, length + 1);
    return true;
}

static bool id_read(json_t *object, const char *key, const char *prefix, tpw_u128 *out)
{
    const char *text = json_string_value(json_object_get(object, key));
    return text != NULL && tpw_id_parse(text, strlen(text), prefix, out, NULL) == TPW_OK;
}

static bool weight_read(json_t *object, const char *key, uint64_t *out)
{
    const char *text = json_string_value(json_object_get(object, key));
    return text != NULL && portfolio_weight_parse(text, strlen(text), out, NULL) == TPW_OK;
}

static bool holdings_read(json_t *list, struct api_portfolio *out)
{
    size_t count = json_array_size(list);
    if (!json_is_array(list) || count == 0 || count > EXCHANGE_HOLDINGS_MAX) {
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *h = json_array_get(list, i);
        struct api_portfolio_holding *holding = &out->holdings[i];
        if (!id_read(h, "account_id", API_ACCOUNT_PREFIX, &holding->account_id) ||
            !weight_read(h, "target", &holding->target_e18) ||
            !weight_read(h, "band", &holding->band_e18)) {
            return false;
        }
    }
    out->count = count;
    return true;
}

static bool definition_read(json_t *data, struct api_portfolio *out)
{
    memset(out, 0, sizeof *out);
    char drift[16];
    char destination[16];
    json_t *created = json_object_get(data, "created_ns");
    bool ok = id_read(data, "id", API_PORTFOLIO_PREFIX, &out->id) &&
              id_read(data, "owner", NULL, &out->owner) &&
              text_copy(data, "name", out->name, sizeof out->name) &&
              text_copy(data, "base", out->base, sizeof out->base) &&
              text_copy(data, "drift", drift, sizeof drift) &&
              text_copy(data, "destination", destination, sizeof destination) &&
              json_is_integer(created) && holdings_read(json_object_get(data, "holdings"), out);
    out->drift = ok && strcmp(drift, "relative") == 0 ? API_DRIFT_RELATIVE : API_DRIFT_ABSOLUTE;
    out->destination =
        ok && strcmp(destination, "band_edge") == 0 ? EXCHANGE_TO_BAND_EDGE : EXCHANGE_TO_TARGET;
    out->created_ns = ok ? (uint64_t)json_integer_value(created) : 0;
    return ok;
}

/* ---- memory ------------------------------------------------------------------------- */

static enum tpw_err keep(struct api_portfolios *store, const struct api_portfolio *portfolio,
                         struct tpw_error_detail *detail)
{
    if (store->count == API_PORTFOLIOS_MAX) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIOS_FULL, 0, "at most %u portfolios",
                             API_PORTFOLIOS_MAX);
    }
    if (store->count == store->capacity) {
        size_t wanted = store->capacity == 0 ? 16 : store->capacity * 2;
        struct api_portfolio *grown = realloc(store->items, wanted * sizeof *grown);
        if (grown == NULL) {
            return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the portfolios");
        }
        store->items = grown;
        store->capacity = wanted;
    }
    store->items[store->count++] = *portfolio;
    return TPW_OK;
}

static enum tpw_err corrupt(struct tpw_error_detail *detail, uint64_t offset, const char *why)
{
    return tpw_error_set(detail, TPW_ERR_PORTFOLIO_LOG_CORRUPT, offset,
                         LOG_NAME ", line at byte %llu: %s", (unsigned long long)offset, why);
}

static bool kind_known(const char *kind)
{
    static const char *const kinds[] = {"portfolio.created", "portfolio.rebalance_planned",
                                        "portfolio.rebalance_executed",
                                        "portfolio.rebalance_failed"};
    for (size_t i = 0; kind != NULL && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(kind, kinds[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Replays one line (the start: no other thread yet). */
static enum tpw_err line_replay(void *context, const char *text, size_t length, uint64_t offset,
                                struct tpw_error_detail *detail)
{
    struct api_portfolios *store = context;
    json_t *line = json_loadb(text, length, JSON_REJECT_DUPLICATES, NULL);
    json_t *seq = json_object_get(line, "seq");
    const char *kind = json_string_value(json_object_get(line, "event"));
    enum tpw_err err = TPW_OK;
    if (!json_is_integer(seq) || (uint64_t)json_integer_value(seq) != store->seq + 1 ||
        !kind_known(kind)) {
        err = corrupt(detail, offset, "not a portfolio event in sequence");
    } else if (strcmp(kind, "portfolio.created") == 0) {
        struct api_portfolio portfolio;
        err = definition_read(json_object_get(line, "data"), &portfolio)
                  ? keep(store, &portfolio, detail)
                  : corrupt(detail, offset, "a portfolio.created event without its portfolio");
    }
    if (err == TPW_OK) {
        store->seq++;
    }
    json_decref(line);
    return err;
}

/* ---- open and close ----------------------------------------------------------------- */

static enum tpw_err log_open(struct api_portfolios *store, const char *data_dir,
                             struct tpw_error_detail *detail)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/" LOG_NAME, data_dir) >= sizeof path ||
        (size_t)snprintf(store->dir, sizeof store->dir, "%s", data_dir) >= sizeof store->dir) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "data directory path too long");
    }
    store->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (store->fd < 0) {
        return api_jsonl_io_error(LOG_NAME, "open failed", detail);
    }
    uint64_t offset = 0;
    enum tpw_err err = api_jsonl_tail_repair(store->fd, LOG_NAME, detail);
    if (err == TPW_OK) {
        err = api_jsonl_read(store->fd, LOG_NAME, LOG_LINE_MAX, TPW_ERR_PORTFOLIO_LOG_CORRUPT,
                             &offset, line_replay, store, detail);
    }
    return err;
}

enum tpw_err api_portfolios_open(const char *data_dir, struct api_portfolios **out,
                                 struct tpw_error_detail *detail)
{
    struct api_portfolios *store = calloc(1, sizeof *store);
    if (store == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the portfolios");
    }
    store->fd = -1;
    TPW_ASSERT(pthread_mutex_init(&store->lock, NULL) == 0);
    uint64_t seed = 0;
    randombytes_buf(&seed, sizeof seed); /* ids must not be guessable */
    tpw_prng_seed(&store->prng, seed);
    tpw_id_gen_init(&store->ids, tpw_clock_system(), &store->prng);
    enum tpw_err err = log_open(store, data_dir, detail);
    if (err != TPW_OK) {
        api_portfolios_close(store);
        return err;
    }
    *out = store;
    return TPW_OK;
}

void api_portfolios_close(struct api_portfolios *store)
{
    if (store == NULL) {
        return;
    }
    if (store->fd >= 0) {
        (void)close(store->fd);
    }
    (void)pthread_mutex_destroy(&store->lock);
    free(store->items);
    free(store);
}

/* ---- reading ------------------------------------------------------------------------ */

tpw_u128 api_portfolios_new_id(struct api_portfolios *store)
{
    TPW_ASSERT(pthread_mutex_lock(&store->lock) == 0);
    tpw_u128 id = tpw_id_gen_next(&store->ids);
    TPW_ASSERT(pthread_mutex_unlock(&store->lock) == 0);
    return id;
}

/* The index of `id`, or store->count; the lock is held. */
static size_t index_of(const struct api_portfolios *store, tpw_u128 id)
{
    size_t i = 0;
    while (i < store->count && store->items[i].id != id) {
        i++;
    }
    return i;
}

bool api_portfolios_get(struct api_portfolios *store, tpw_u128 id, struct api_portfolio *out)
{
    TPW_ASSERT(pthread_mutex_lock(&store->lock) == 0);
    size_t i = index_of(store, id);
    bool found = i < store->count;
    if (found) {
        *out = store->items[i];
    }
    TPW_ASSERT(pthread_mutex_unlock(&store->lock) == 0);
    return found;
}

bool api_portfolios_page(struct api_portfolios *store, tpw_u128 after_id,
                         const struct api_visibility *view, struct api_portfolio *out, size_t max,
                         size_t *count, bool *has_more)
{
    *count = 0;
    *has_more = false;
    TPW_ASSERT(pthread_mutex_lock(&store->lock) == 0);
    size_t i = after_id == 0 ? 0 : index_of(store, after_id);
    bool known =
        after_id == 0 || (i < store->count && api_visibility_allows(view, store->items[i].owner));
    for (i = after_id == 0 ? 0 : i + 1; known && i < store->count; i++) {
        if (!api_visibility_allows(view, store->items[i].owner)) {
            continue;
        }
        if (*count == max) {
            *has_more = true;
            break;
        }
        out[(*count)++] = store->items[i];
    }
    TPW_ASSERT(pthread_mutex_unlock(&store->lock) == 0);
    return known;
}

/* ---- writing (the committer's thread) ------------------------------------------------ */

static enum tpw_err append(struct api_portfolios *store, const char *kind, tpw_u128 id,
                           json_t *data, struct tpw_error_detail *detail)
{
    uint64_t seq = store->seq + 1;
    json_t *line = json_pack("{s:I,s:s,s:I,s:o,s:o*}", "seq", (json_int_t)seq, "event", kind,
                             "time_ns", (json_int_t)wall_now_ns(), "portfolio_id",
                             api_id_json(id, API_PORTFOLIO_PREFIX), "data", data);
    char *text = api_jsonl_text(line);
    if (text == NULL) {
        json_decref(line);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for a portfolio event");
    }
    enum tpw_err err = strlen(text) <= LOG_LINE_MAX
                           ? api_jsonl_append(store->fd, store->dir, LOG_NAME, text, detail)
                           : tpw_error_set(detail, TPW_ERR_INTERNAL, 0,
                                           "a portfolio event is "
                                           "too long to journal");
    free(text);
    if (err == TPW_OK) {
        store->seq++;
    }
    /* Live on GET /v1/events for staff keys: a user's portfolio is not another's. */
    if (err == TPW_OK && store->signals != NULL) {
        api_signals_publish(store->signals, kind, line, true);
    } else {
        json_decref(line);
    }
    return err;
}

void api_portfolios_signals_set(struct api_portfolios *store, struct api_signals *signals)
{
    store->signals = signals;
}

enum tpw_err api_portfolios_add(struct api_portfolios *store, const struct api_portfolio *portfolio,
                                struct tpw_error_detail *detail)
{
    TPW_ASSERT(pthread_mutex_lock(&store->lock) == 0);
    bool full = store->count == API_PORTFOLIOS_MAX;
    TPW_ASSERT(pthread_mutex_unlock(&store->lock) == 0);
    if (full) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIOS_FULL, 0, "at most %u portfolios",
                             API_PORTFOLIOS_MAX);
    }
    /* Only the committer appends and adds: the count cannot have grown meanwhile. */
    enum tpw_err err = append(store, "portfolio.created", portfolio->id,
                              api_portfolio_definition_json(portfolio), detail);
    if (err == TPW_OK) {
        TPW_ASSERT(pthread_mutex_lock(&store->lock) == 0);
        err = keep(store, portfolio, detail);
        TPW_ASSERT(pthread_mutex_unlock(&store->lock) == 0);
    }
    return err;
}

enum tpw_err api_portfolios_journal(struct api_portfolios *store, const char *kind, tpw_u128 id,
                                    json_t *data, struct tpw_error_detail *detail)
{
    TPW_ASSERT(kind_known(kind));
    return append(store, kind, id, data, detail);
}

/* ---- plans -------------------------------------------------------------------------- */

void api_portfolios_plan_keep(struct api_portfolios *store, const struct api_rebalance_plan *plan)
{
    TPW_ASSERT(pthread_mutex_lock(&store->lock) == 0);
    /* The ring's next slot not being executed right now (one always is free: a request
     * executes one plan at a time and the ring is larger than the server's threads). */
    for (size_t tries = 0; tries < API_PLANS_MAX; tries++) {
        struct plan_slot *slot = &store->plans[store->next_plan];
        store->next_plan = (store->next_plan + 1) % API_PLANS_MAX;
        if (slot->state != PLAN_BUSY) {
            slot->plan = *plan;
            slot->state = PLAN_OPEN;
            break;
        }
    }
    TPW_ASSERT(pthread_mutex_unlock(&store->lock) == 0);
}

static struct plan_slot *plan_find(struct api_portfolios *store, tpw_u128 id)
{
    for (size_t i = 0; i < API_PLANS_MAX; i++) {
        if (store->plans[i].state != PLAN_FREE && store->plans[i].plan.id == id) {
            return &store->plans[i];
        }
    }
    return NULL;
}

enum tpw_err api_portfolios_plan_take(struct api_portfolios *store, tpw_u128 id,
                                      tpw_u128 portfolio_id, uint64_t now_ns,
                                      struct api_rebalance_plan *out,
                                      struct tpw_error_detail *detail)
{
    TPW_ASSERT(pthread_mutex_lock(&store->lock) == 0);
    struct plan_slot *slot = plan_find(store, id);
    enum tpw_err err = TPW_OK;
    if (slot == NULL || slot->plan.portfolio_id != portfolio_id) {
        err = tpw_error_set(detail, TPW_ERR_PORTFOLIO_PLAN_UNKNOWN, 0,
                            "no such plan for this portfolio");
    } else if (slot->state != PLAN_OPEN) {
        err = tpw_error_set(detail, TPW_ERR_PORTFOLIO_PLAN_USED, 0,
                            "the plan has been executed, or refused, or is being executed");
    } else if (now_ns >= slot->plan.expires_ns) {
        err = tpw_error_set(detail, TPW_ERR_PORTFOLIO_PLAN_EXPIRED, 0,
                            "the plan's quotes expired: preview again");
    } else {
        slot->state = PLAN_BUSY;
        *out = slot->plan;
    }
    TPW_ASSERT(pthread_mutex_unlock(&store->lock) == 0);
    return err;
}

void api_portfolios_plan_release(struct api_portfolios *store, tpw_u128 id, bool spent)
{
    TPW_ASSERT(pthread_mutex_lock(&store->lock) == 0);
    struct plan_slot *slot = plan_find(store, id);
    if (slot != NULL && slot->state == PLAN_BUSY) {
        slot->state = spent ? PLAN_USED : PLAN_OPEN;
    }
    TPW_ASSERT(pthread_mutex_unlock(&store->lock) == 0);
}
