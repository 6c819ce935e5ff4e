/*
 * The group committer: one thread owns every write to the ledger. Request threads
 * queue their writes and suspend; the committer takes everything queued, packs
 * consecutive transfer writes into one ledger batch (≤ LEDGER_BATCH_MAX commands: one
 * journal record, one fdatasync), hands each write its results and then releases
 * them. While one batch syncs, the next one gathers — that is the whole of group
 * commit, and why the throughput of single-transfer requests grows with concurrency.
 *
 * Packing must not change what a request means. A request whose last transfer is
 * `linked` leaves its chain open; packed before another request's transfers it would
 * chain into them, so such a write always ends its group (the ledger then reports
 * linked_event_chain_open for it, exactly as if it had been alone).
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "tpw_assert.h"

#include "banned.h"

struct api_committer {
    struct api_server *server;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct api_write *head;
    struct api_write *tail;
    bool stop;
    /* The group being packed. */
    struct api_write *group[LEDGER_BATCH_MAX];
    size_t group_writes;
    size_t group_transfers;
    struct ledger_transfer *batch;
    enum ledger_transfer_result *results;
};

void api_committer_submit(struct api_committer *committer, struct api_write *write)
{
    write->next = NULL;
    TPW_ASSERT(pthread_mutex_lock(&committer->lock) == 0);
    if (committer->tail != NULL) {
        committer->tail->next = write;
    } else {
        committer->head = write;
    }
    committer->tail = write;
    TPW_ASSERT(pthread_cond_signal(&committer->wake) == 0);
    TPW_ASSERT(pthread_mutex_unlock(&committer->lock) == 0);
}

static enum tpw_err owner_error(struct api_write *write, size_t index, enum tpw_err err,
                                const char *param)
{
    tpw_error_set_param(&write->detail, param);
    return tpw_error_set(&write->detail, err, index, "transfer %zu: %s", index, tpw_strerror(err));
}

/* A user key may only move money out of its own owner's accounts. Another owner's
 * account is reported as missing, never as forbidden: existence must not leak. */
static enum tpw_err owner_check(const struct ledger *ledger, struct api_write *write)
{
    for (size_t i = 0; i < write->count; i++) {
        const struct ledger_transfer *t = &write->transfers[i];
        tpw_u128 debit = t->debit_account_id;
        if ((t->flags & (LEDGER_TRANSFER_POST_PENDING | LEDGER_TRANSFER_VOID_PENDING)) != 0) {
            struct ledger_transfer pending;
            enum ledger_pending_state state;
            /* Not yet committed (perhaps earlier in this very group): whose it is cannot
             * be known here, so it is as missing as another owner's. */
            if (ledger_transfer_get(ledger, t->pending_id, &pending, &state) != TPW_OK) {
                return owner_error(write, i, TPW_ERR_LEDGER_TRANSFER_NOT_FOUND, "pending_id");
            }
            debit = pending.debit_account_id;
        }
        struct ledger_account account;
        if (ledger_account_get(ledger, debit, &account) == TPW_OK &&
            account.owner != write->owner) {
            return owner_error(write, i, TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND, "debit_account_id");
        }
    }
    return TPW_OK;
}

static void fail_group(struct api_committer *committer, enum tpw_err err,
                       const struct tpw_error_detail *detail)
{
    for (size_t w = 0; w < committer->group_writes; w++) {
        struct api_write *write = committer->group[w];
        if (write->err == TPW_OK) {
            write->err = err;
            write->detail = *detail;
        }
    }
}

/* The stored transfer for the reply; a refused command was never stored, so the reply
 * shows the command. */
static void fetch_transfer(const struct ledger *ledger, struct api_write *write)
{
    if (ledger_transfer_get(ledger, write->transfers[0].id, &write->stored_transfer,
                            &write->stored_state) != TPW_OK) {
        write->stored_transfer = write->transfers[0];
        write->stored_state = LEDGER_PENDING_NONE;
    }
}

/* One ledger batch of the group's `count` transfers, timed for the metrics (a failed
 * one is not: the server stops taking writes after it). */
static enum tpw_err commit_batch(struct api_committer *committer, size_t count,
                                 struct tpw_error_detail *detail)
{
    TPW_ASSERT(count >= 1 && count <= LEDGER_BATCH_MAX);
    uint64_t start_ns = tpw_clock_monotonic_ns();
    enum tpw_err err = ledger_create_transfers(committer->server->ledger, committer->batch, count,
                                               committer->results, detail);
    if (err == TPW_OK) {
        api_metrics_commit_observe(&committer->server->metrics, count,
                                   tpw_clock_monotonic_ns() - start_ns);
    }
    return err;
}

/* Runs the packed group as one ledger batch; the caller holds the ledger lock. */
static void run_group(struct api_committer *committer)
{
    struct ledger *ledger = committer->server->ledger;
    size_t count = 0;
    for (size_t w = 0; w < committer->group_writes; w++) {
        struct api_write *write = committer->group[w];
        /* A conversion's later transfers debit the house's pools: its customer debit
         * account was checked against the key's owner when the request came in. */
        if (write->owner != 0 && write->kind == API_WRITE_TRANSFERS) {
            write->err = owner_check(ledger, write);
        }
        if (write->err == TPW_OK) {
            memcpy(committer->batch + count, write->transfers,
                   write->count * sizeof *write->transfers);
            count += write->count;
        }
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = count > 0 ? commit_batch(committer, count, &detail) : TPW_OK;
    if (err != TPW_OK) {
        int none = TPW_OK;
        (void)atomic_compare_exchange_strong(&committer->server->storage_err, &none, (int)err);
        fail_group(committer, err, &detail);
        return;
    }
    size_t offset = 0;
    for (size_t w = 0; w < committer->group_writes; w++) {
        struct api_write *write = committer->group[w];
        if (write->err != TPW_OK) {
            continue;
        }
        memcpy(write->transfer_results, committer->results + offset,
               write->count * sizeof *write->transfer_results);
        offset += write->count;
        if (write->fetch) {
            fetch_transfer(ledger, write);
        }
    }
}

static void finish(struct api_server *server, struct api_write **writes, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        writes[i]->complete(writes[i]);
    }
    api_idem_record_writes(server->idem, writes, count);
    for (size_t i = 0; i < count; i++) {
        writes[i]->release(writes[i]);
    }
}

static void flush_group(struct api_committer *committer)
{
    if (committer->group_writes == 0) {
        return;
    }
    struct api_server *server = committer->server;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    run_group(committer);
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    api_events_notify(server->events);
    finish(server, committer->group, committer->group_writes);
    committer->group_writes = 0;
    committer->group_transfers = 0;
}

/* The ledger's number for asset `code`, defining it first when the ledger does not
 * have it yet (from the registry: the request thread checked the code exists there). */
static enum tpw_err asset_number(struct api_server *server, const char *code, uint32_t *number,
                                 struct tpw_error_detail *detail)
{
    struct ledger_asset asset;
    if (api_assets_by_code(&server->assets, code, &asset)) {
        *number = asset.number;
        return TPW_OK;
    }
    const struct money_asset *known = NULL;
    tpw_error_set_param(detail, "asset");
    enum tpw_err err = money_registry_find(server->assets.registry, code, &known, detail);
    if (err == TPW_OK) {
        err = ledger_asset_define(server->ledger, known->code, known->exponent, number, detail);
    }
    if (err == TPW_OK) {
        err = api_assets_refresh(&server->assets, server->ledger);
    }
    return err;
}

static enum tpw_err account_asset(struct api_server *server, struct api_write *write)
{
    return asset_number(server, write->asset_code, &write->account.asset, &write->detail);
}

static void run_account(struct api_committer *committer, struct api_write *write)
{
    struct api_server *server = committer->server;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    write->err = account_asset(server, write);
    if (write->err == TPW_OK) {
        write->err = ledger_create_accounts(server->ledger, &write->account, 1,
                                            &write->account_result, &write->detail);
    }
    if (write->err == TPW_OK) {
        struct ledger_account stored;
        if (ledger_account_get(server->ledger, write->account.id, &stored) == TPW_OK) {
            write->account = stored;
        }
    } else if (write->err == TPW_ERR_LEDGER_FAILED || write->err == TPW_ERR_IO) {
        int none = TPW_OK;
        (void)atomic_compare_exchange_strong(&server->storage_err, &none, (int)write->err);
    }
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    api_events_notify(server->events);
    finish(server, &write, 1);
}

/* The house's pool and fee accounts of `asset`, created when missing. */
static enum tpw_err house_accounts(struct ledger *ledger, uint32_t asset,
                                   struct tpw_error_detail *detail)
{
    struct ledger_account house[2];
    exchange_house_accounts(asset, house);
    struct ledger_account found;
    if (ledger_account_get(ledger, house[0].id, &found) == TPW_OK &&
        ledger_account_get(ledger, house[1].id, &found) == TPW_OK) {
        return TPW_OK;
    }
    enum ledger_account_result results[2];
    enum tpw_err err = ledger_create_accounts(ledger, house, 2, results, detail);
    for (size_t i = 0; err == TPW_OK && i < 2; i++) {
        if (results[i] != LEDGER_ACCOUNT_OK && results[i] != LEDGER_ACCOUNT_EXISTS) {
            err = tpw_error_set(detail, TPW_ERR_EXCHANGE_REFUSED, i, "house account: %s",
                                ledger_account_result_name(results[i]));
        }
    }
    return err;
}

/* A quote's assets and house accounts, defined where missing; under the ledger lock. */
static enum tpw_err quote_prepare(struct api_server *server, struct exchange_quote *quote,
                                  struct tpw_error_detail *detail)
{
    const struct fx_route *route = &quote->route;
    TPW_ASSERT(route->leg_count >= 1 && route->leg_count <= FX_ROUTE_LEGS_MAX);
    enum tpw_err err = TPW_OK;
    for (size_t k = 0; err == TPW_OK && k <= route->leg_count; k++) {
        const char *code =
            k < route->leg_count ? route->legs[k].from : route->legs[route->leg_count - 1].to;
        err = asset_number(server, code, &quote->assets[k], detail);
        if (err == TPW_OK) {
            err = house_accounts(server->ledger, quote->assets[k], detail);
        }
    }
    return err;
}

/* A rebalance runs only on the balances it was planned on: checked under the ledger
 * lock, after every earlier write was committed (the caller flushed the group), so no
 * other rebalance or transfer can come between the check and the group. */
static enum tpw_err balances_unmoved(const struct ledger *ledger, struct api_write *write)
{
    for (size_t i = 0; i < write->holdings_count; i++) {
        struct ledger_account account;
        tpw_u128 balance = 0;
        if (ledger_account_get(ledger, write->holdings[i].account_id, &account) == TPW_OK &&
            account.credits_posted >= account.debits_posted) {
            balance = account.credits_posted - account.debits_posted;
        }
        if (balance != write->planned_balances_minor[i]) {
            tpw_error_set_param(&write->detail, "plan_id");
            return tpw_error_set(&write->detail, TPW_ERR_PORTFOLIO_PLAN_STALE, i,
                                 "holding %zu's balance moved since the plan was made", i);
        }
    }
    return TPW_OK;
}

/* A conversion's (or a rebalance's) quotes prepared, then its transfers. */
static enum tpw_err conversion_prepare(struct api_server *server, struct api_write *write)
{
    if (write->kind == API_WRITE_REBALANCE) {
        enum tpw_err err = balances_unmoved(server->ledger, write);
        for (size_t i = 0; err == TPW_OK && i < write->legs_count; i++) {
            err = quote_prepare(server, &write->quotes[i], &write->detail);
        }
        write->count = err == TPW_OK
                           ? exchange_group_transfers(write->legs, write->legs_count,
                                                      write->transfers, API_REBALANCE_TRANSFERS_MAX)
                           : 0;
        TPW_ASSERT(err != TPW_OK || write->count > 0); /* 16 full quotes fit */
        return err;
    }
    enum tpw_err err = quote_prepare(server, &write->quote, &write->detail);
    if (err == TPW_OK) {
        write->count = exchange_quote_transfers(&write->quote, write->debit_account_id,
                                                write->credit_account_id, write->transfers);
    }
    return err;
}

static bool run_conversion(struct api_committer *committer, struct api_write *write)
{
    struct api_server *server = committer->server;
    TPW_ASSERT(pthread_mutex_lock(&server->ledger_lock) == 0);
    write->err = conversion_prepare(server, write);
    TPW_ASSERT(pthread_mutex_unlock(&server->ledger_lock) == 0);
    if (write->err == TPW_OK) {
        return true;
    }
    if (write->err == TPW_ERR_LEDGER_FAILED || write->err == TPW_ERR_IO) {
        int none = TPW_OK;
        (void)atomic_compare_exchange_strong(&server->storage_err, &none, (int)write->err);
    }
    finish(server, &write, 1);
    return false;
}

/* A record of the server's own, journalled in order with the ledger's writes. */
static void run_record(struct api_committer *committer, struct api_write *write)
{
    struct api_server *server = committer->server;
    write->err = write->run(write);
    if (write->err == TPW_ERR_IO) {
        int none = TPW_OK;
        (void)atomic_compare_exchange_strong(&server->storage_err, &none, (int)write->err);
    }
    finish(server, &write, 1);
}

static void add_transfers(struct api_committer *committer, struct api_write *write)
{
    TPW_ASSERT(write->count >= 1 && write->count <= LEDGER_BATCH_MAX);
    if (committer->group_transfers + write->count > LEDGER_BATCH_MAX) {
        flush_group(committer);
    }
    committer->group[committer->group_writes++] = write;
    committer->group_transfers += write->count;
    if ((write->transfers[write->count - 1].flags & LEDGER_TRANSFER_LINKED) != 0) {
        flush_group(committer);
    }
}

static void process(struct api_committer *committer, struct api_write *list)
{
    while (list != NULL) {
        struct api_write *write = list;
        list = list->next;
        write->err = TPW_OK;
        tpw_error_detail_reset(&write->detail);
        if (write->kind == API_WRITE_ACCOUNT) {
            flush_group(committer);
            run_account(committer, write);
        } else if (write->kind == API_WRITE_RECORD) {
            flush_group(committer);
            run_record(committer, write);
        } else if (write->kind == API_WRITE_REBALANCE) {
            flush_group(committer); /* its balances check sees every earlier write */
            if (run_conversion(committer, write)) {
                add_transfers(committer, write);
            }
        } else if (write->kind == API_WRITE_TRANSFERS || run_conversion(committer, write)) {
            add_transfers(committer, write);
        }
    }
    flush_group(committer);
}

static void *committer_main(void *arg)
{
    struct api_committer *committer = arg;
    for (;;) {
        TPW_ASSERT(pthread_mutex_lock(&committer->lock) == 0);
        while (committer->head == NULL && !committer->stop) {
            TPW_ASSERT(pthread_cond_wait(&committer->wake, &committer->lock) == 0);
        }
        struct api_write *list = committer->head;
        committer->head = committer->tail = NULL;
        bool stop = committer->stop;
        TPW_ASSERT(pthread_mutex_unlock(&committer->lock) == 0);
        if (list == NULL && stop) {
            return NULL;
        }
        process(committer, list);
    }
}

static void committer_free(struct api_committer *committer)
{
    (void)pthread_cond_destroy(&committer->wake);
    (void)pthread_mutex_destroy(&committer->lock);
    free(committer->batch);
    free(committer->results);
    free(committer);
}

enum tpw_err api_committer_start(struct api_server *server, struct api_committer **out)
{
    struct api_committer *committer = calloc(1, sizeof *committer);
    if (committer == NULL) {
        return TPW_ERR_NOMEM;
    }
    committer->server = server;
    committer->batch = calloc(LEDGER_BATCH_MAX, sizeof *committer->batch);
    committer->results = calloc(LEDGER_BATCH_MAX, sizeof *committer->results);
    TPW_ASSERT(pthread_mutex_init(&committer->lock, NULL) == 0);
    TPW_ASSERT(pthread_cond_init(&committer->wake, NULL) == 0);
    if (committer->batch == NULL || committer->results == NULL ||
        pthread_create(&committer->thread, NULL, committer_main, committer) != 0) {
        committer_free(committer);
        return TPW_ERR_NOMEM;
    }
    (void)pthread_setname_np(committer->thread, "tpw-commit"); /* for top, perf, gdb */
    *out = committer;
    return TPW_OK;
}

void api_committer_stop(struct api_committer *committer)
{
    TPW_ASSERT(pthread_mutex_lock(&committer->lock) == 0);
    committer->stop = true;
    TPW_ASSERT(pthread_cond_signal(&committer->wake) == 0);
    TPW_ASSERT(pthread_mutex_unlock(&committer->lock) == 0);
    TPW_ASSERT(pthread_join(committer->thread, NULL) == 0);
    committer_free(committer);
}
