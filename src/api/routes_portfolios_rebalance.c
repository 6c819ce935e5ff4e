/*
 * POST /v1/portfolios/{id}/rebalance (docs/api.md, "Rebalancing a portfolio"): the plan
 * that brings a portfolio back inside its bands, previewed, then executed as ONE linked
 * ledger group at the quotes the preview locked.
 *
 * Everything money-shaped is the library's, exactly as `tpwallet portfolio rebalance`
 * uses it: the valuation and the plan netted through the base (exchange_rebalance_plan),
 * the group of every trade's quote (exchange_rebalance_legs, exchange_group_transfers in
 * the committer), what the plan does at the quotes' prices (exchange_rebalance_outcome_of)
 * and the verdict on the ledger's results (exchange_group_results_check). Here: the live
 * state (routes_portfolios.c), each trade priced on the fresh rates and locked like a
 * POST /v1/quotes quote (api_rates_quote), the plan kept for its quotes' lifetime, the
 * events journalled (routes_portfolios_store.c) and the replies.
 *
 * Preview equals execution while prices hold: a preview's plan_id executes the very
 * quotes it locked, and is refused (plan_stale) once any holding's balance moved, since
 * the plan was made on those balances; the group moves each account by exactly its
 * quotes' amounts, which are the preview's `balance` after. Execution is all or nothing:
 * the group is linked, so a refusal anywhere (a payout the ledger refuses, a payer short)
 * leaves every balance as it was, and the quotes are spent or not as for a conversion.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "log.h"
#include "tpw_assert.h"
#include "tpwallet/id.h"

#include "banned.h"

#define QUOTE_PREFIX "fxq"

/* One request's rebalance, on the heap (about 60 KB): the request's until `complete`. */
struct rebalance_job {
    struct api_portfolio portfolio;
    struct api_portfolio_state state;
    struct api_rebalance_plan plan;
    struct exchange_quote quotes[EXCHANGE_HOLDINGS_MAX];
    struct exchange_group_leg legs[EXCHANGE_HOLDINGS_MAX];
    struct fx_route routes[EXCHANGE_HOLDINGS_MAX];
    struct exchange_rebalance_outcome outcome;
    tpw_u128 max_cost_minor;
    size_t taken; /* quotes taken for execution */
    bool execute;
    bool previewed; /* executing a preview's plan (taken from the store) */
    bool max_cost_set;
};

static uint64_t wall_now_ns(void)
{
    struct tpw_clock clock = tpw_clock_system();
    return tpw_clock_now_ns(&clock);
}

/* ---- JSON --------------------------------------------------------------------------- */

static json_t *time_json(uint64_t time_ns)
{
    char text[TPW_CLOCK_UTC_TEXT_SIZE];
    (void)tpw_clock_format_utc_ms(time_ns / 1000000u, text);
    return json_string(text);
}

/* Each holding with `balances` valued as `valuation` says. */
static json_t *side_json(const struct rebalance_job *job, const tpw_u128 *balances,
                         const struct exchange_valuation *valuation)
{
    const struct api_portfolio_state *state = &job->state;
    const struct money_asset *base = &state->holdings[state->base_index].asset;
    json_t *object = api_valuation_json(state, job->portfolio.count, valuation);
    json_t *holdings = json_array();
    for (size_t i = 0; holdings != NULL && i < job->portfolio.count; i++) {
        const struct exchange_holding *h = &state->holdings[i];
        json_t *item =
            json_pack("{s:o,s:s}", "account_id", api_id_json(h->account_id, API_ACCOUNT_PREFIX),
                      "asset", h->asset.code);
        (void)api_minor_decimal_set(item, "balance", &h->asset, balances[i]);
        (void)api_minor_decimal_set(item, "value", base, valuation->value_minor[i]);
        (void)json_object_set_new(item, "weight", api_weight_json(valuation->weight_e18[i]));
        (void)json_object_set_new(item, "target", api_weight_json(h->target_e18));
        (void)json_object_set_new(item, "drift", api_weight_json(valuation->drift_e18[i]));
        (void)json_object_set_new(item, "band_absolute", api_weight_json(h->band_e18));
        (void)json_object_set_new(item, "inside_band",
                                  json_boolean(valuation->drift_e18[i] <= h->band_e18));
        (void)json_array_append_new(holdings, item);
    }
    (void)json_object_set_new(object, "holdings", holdings);
    return object;
}

/* Trade i: its quote, accounts, route (the fields POST /v1/quotes shows) and cost. */
static json_t *trade_json(const struct rebalance_job *job, const money_registry *registry, size_t i)
{
    const struct exchange_trade *trade = &job->plan.plan.trades[i];
    const struct exchange_holding *holdings = job->state.holdings;
    struct fx_route_explanation why = {.best = job->routes[i], .direction = trade->direction};
    json_t *object = json_pack(
        "{s:o,s:o,s:o}", "quote_id", api_id_json(job->plan.quote_ids[i], QUOTE_PREFIX),
        "from_account", api_id_json(holdings[trade->from_index].account_id, API_ACCOUNT_PREFIX),
        "to_account", api_id_json(holdings[trade->to_index].account_id, API_ACCOUNT_PREFIX));
    if (object == NULL || !api_route_json_add(object, &why, registry, API_JSON_DECIMALS)) {
        json_decref(object);
        return NULL;
    }
    return api_minor_decimal_set(object, "cost", &holdings[job->state.base_index].asset,
                                 job->outcome.cost_minor[i]);
}

static json_t *rebalance_json(const struct rebalance_job *job, const money_registry *registry,
                              const struct ledger_transfer *transfers, size_t transfers_count)
{
    const struct exchange_rebalance *plan = &job->plan.plan;
    json_t *trades = json_array();
    for (size_t i = 0; trades != NULL && i < plan->trades_count; i++) {
        (void)json_array_append_new(trades, trade_json(job, registry, i));
    }
    json_t *ids = json_array();
    for (size_t i = 0; ids != NULL && i < transfers_count; i++) {
        (void)json_array_append_new(ids, api_id_json(transfers[i].id, API_TRANSFER_PREFIX));
    }
    bool planned = plan->trades_count > 0;
    json_t *object = json_pack(
        "{s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:o,s:o*,s:o,s:b,s:o*}", "object", "rebalance", "mode",
        job->execute ? "execute" : "preview", "portfolio_id",
        api_id_json(job->portfolio.id, API_PORTFOLIO_PREFIX), "plan_id",
        planned ? api_id_json(job->plan.id, API_PLAN_PREFIX) : json_null(), "base",
        job->portfolio.base, "destination",
        job->portfolio.destination == EXCHANGE_TO_BAND_EDGE ? "band_edge" : "target", "expires_at",
        planned ? time_json(job->plan.expires_ns) : json_null(), "before",
        side_json(job, job->plan.balances_minor, &plan->before), "trades", trades, "after",
        planned ? side_json(job, job->outcome.balance_after_minor, &job->outcome.after)
                : json_null(),
        "executed", transfers_count > 0, "transfers", ids);
    return api_minor_decimal_set(object, "total_cost",
                                 &job->state.holdings[job->state.base_index].asset,
                                 job->outcome.total_cost_minor);
}

/* The plan as journalled: compact (each trade's quote, accounts, amounts and cost). */
static json_t *plan_event_json(const struct rebalance_job *job)
{
    const struct exchange_rebalance *plan = &job->plan.plan;
    json_t *trades = json_array();
    for (size_t i = 0; trades != NULL && i < plan->trades_count; i++) {
        const struct exchange_trade *t = &plan->trades[i];
        const struct exchange_holding *from = &job->state.holdings[t->from_index];
        const struct exchange_holding *to = &job->state.holdings[t->to_index];
        (void)json_array_append_new(
            trades,
            json_pack("{s:o,s:o,s:o,s:s,s:s,s:o,s:o,s:o}", "quote_id",
                      api_id_json(job->plan.quote_ids[i], QUOTE_PREFIX), "from_account",
                      api_id_json(from->account_id, API_ACCOUNT_PREFIX), "to_account",
                      api_id_json(to->account_id, API_ACCOUNT_PREFIX), "from", from->asset.code,
                      "to", to->asset.code, "amount_in", api_u128_json(job->routes[i].in_minor),
                      "amount_out", api_u128_json(job->routes[i].out_minor), "cost",
                      api_u128_json(job->outcome.cost_minor[i])));
    }
    return json_pack("{s:o,s:o,s:o}", "plan_id", api_id_json(job->plan.id, API_PLAN_PREFIX),
                     "trades", trades, "total_cost", api_u128_json(job->outcome.total_cost_minor));
}

/* ---- the plan ----------------------------------------------------------------------- */

/* Every holding valued at a fresh rate: a rebalance trades on them. */
static enum tpw_err rates_fresh(const struct rebalance_job *job, struct tpw_error_detail *detail)
{
    for (size_t i = 0; i < job->portfolio.count; i++) {
        if (job->state.rates[i].status != FX_STATUS_FRESH) {
            tpw_error_set_param(detail, "holdings");
            return tpw_error_set(detail, TPW_ERR_FX_PAIR_STALE, i,
                                 "holding %zu: the rate valuing %s in %s is %s", i,
                                 job->state.holdings[i].asset.code, job->portfolio.base,
                                 fx_status_name(job->state.rates[i].status));
        }
    }
    return TPW_OK;
}

/* Trade i priced on the fresh rates and locked as a quote. */
static enum tpw_err trade_quote(struct api_request *request, struct rebalance_job *job, size_t i,
                                struct tpw_error_detail *detail)
{
    const struct exchange_trade *trade = &job->plan.plan.trades[i];
    struct api_quote_request ask = {
        .amount_minor = trade->amount_minor,
        .owner = job->portfolio.owner,
        .direction = trade->direction,
    };
    (void)snprintf(ask.from, sizeof ask.from, "%s",
                   job->state.holdings[trade->from_index].asset.code);
    (void)snprintf(ask.to, sizeof ask.to, "%s", job->state.holdings[trade->to_index].asset.code);
    struct fx_route_explanation why;
    tpw_error_set_param(detail, NULL);
    enum tpw_err err = api_rates_quote(request->server->rates, request->server->assets.registry,
                                       &ask, &job->quotes[i], &why, detail);
    if (err == TPW_OK) {
        job->routes[i] = job->quotes[i].route;
        job->plan.quote_ids[i] = job->quotes[i].id;
        job->plan.expires_ns = i == 0 || job->quotes[i].expires_ns < job->plan.expires_ns
                                   ? job->quotes[i].expires_ns
                                   : job->plan.expires_ns;
    }
    return err;
}

/* The plan on the balances now, each trade quoted, and its outcome at those quotes. */
static enum tpw_err plan_make(struct api_request *request, struct rebalance_job *job,
                              struct tpw_error_detail *detail)
{
    const struct api_portfolio *p = &job->portfolio;
    struct api_rebalance_plan *plan = &job->plan;
    tpw_error_set_param(detail, "holdings");
    enum tpw_err err = exchange_rebalance_plan(job->state.holdings, p->count, job->state.base_index,
                                               p->destination, &plan->plan, detail);
    plan->id = api_portfolios_new_id(request->server->portfolios);
    plan->portfolio_id = p->id;
    for (size_t i = 0; i < p->count; i++) {
        plan->balances_minor[i] = job->state.holdings[i].balance_minor;
    }
    for (size_t i = 0; err == TPW_OK && i < plan->plan.trades_count; i++) {
        err = trade_quote(request, job, i, detail);
    }
    if (err == TPW_OK) {
        tpw_error_set_param(detail, "holdings");
        err = exchange_rebalance_outcome_of(job->state.holdings, p->count, job->state.base_index,
                                            &plan->plan, job->routes, &job->outcome, detail);
    }
    plan->total_cost_minor = job->outcome.total_cost_minor;
    return err;
}

/* ---- preview ------------------------------------------------------------------------ */

/* The committer's thread: the planned event, then the plan is kept for execution. */
static enum tpw_err preview_run(struct api_write *write)
{
    struct api_request *request = api_request_of(write);
    struct rebalance_job *job = write->context;
    enum tpw_err err =
        api_portfolios_journal(request->server->portfolios, "portfolio.rebalance_planned",
                               job->portfolio.id, plan_event_json(job), &write->detail);
    if (err == TPW_OK) {
        api_portfolios_plan_keep(request->server->portfolios, &job->plan);
    }
    return err;
}

static void preview_complete(struct api_write *write)
{
    struct api_request *request = api_request_of(write);
    struct rebalance_job *job = write->context;
    if (write->err != TPW_OK) {
        api_reply_error(request, write->err, &write->detail);
    } else {
        api_reply_json(request, 200,
                       rebalance_json(job, request->server->assets.registry, NULL, 0));
    }
    free(job);
    write->context = NULL;
}

/* ---- execute ------------------------------------------------------------------------ */

static void quotes_release(struct api_server *server, struct rebalance_job *job, bool spent)
{
    for (size_t i = 0; i < job->taken; i++) {
        api_rates_quote_release(server->rates, job->quotes[i].id, spent);
    }
    job->taken = 0;
    if (job->previewed) {
        api_portfolios_plan_release(server->portfolios, job->plan.id, spent);
    }
}

/* The result journalled (after a fresh plan's own planned event); a failure to journal
 * after the ledger moved is a storage failure: the server stops taking writes. */
static void result_journal(struct api_server *server, struct rebalance_job *job, enum tpw_err err,
                           const struct tpw_error_detail *refusal, const struct api_write *write)
{
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err logged = TPW_OK;
    if (!job->previewed) {
        logged = api_portfolios_journal(server->portfolios, "portfolio.rebalance_planned",
                                        job->portfolio.id, plan_event_json(job), &detail);
    }
    json_t *ids = json_array();
    for (size_t i = 0; ids != NULL && err == TPW_OK && i < write->count; i++) {
        (void)json_array_append_new(ids, api_id_json(write->transfers[i].id, API_TRANSFER_PREFIX));
    }
    json_t *data = json_pack(
        "{s:o,s:s,s:s,s:o}", "plan_id", api_id_json(job->plan.id, API_PLAN_PREFIX), "code",
        tpw_err_api_code(err), "message", err == TPW_OK ? "" : refusal->message, "transfers", ids);
    if (logged == TPW_OK) {
        logged = api_portfolios_journal(server->portfolios,
                                        err == TPW_OK ? "portfolio.rebalance_executed"
                                                      : "portfolio.rebalance_failed",
                                        job->portfolio.id, data, &detail);
    } else {
        json_decref(data);
    }
    if (logged != TPW_OK) {
        TPW_LOGF(TPW_LOG_ERROR, "portfolio.journal_failed", TPW_LOG_STR("error", detail.message));
        int none = TPW_OK;
        (void)atomic_compare_exchange_strong(&server->storage_err, &none, (int)logged);
    }
}

static void execute_complete(struct api_write *write)
{
    struct api_request *request = api_request_of(write);
    struct api_server *server = request->server;
    struct rebalance_job *job = write->context;
    write->context = NULL;
    if (write->err != TPW_OK) { /* never reached the ledger */
        quotes_release(server, job, false);
        api_reply_error(request, write->err, &write->detail);
        free(job);
        return;
    }
    bool spent = false;
    size_t leg = 0;
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err =
        exchange_group_results_check(write->legs, write->legs_count, write->transfer_results,
                                     write->count, &spent, &leg, &detail);
    quotes_release(server, job, spent);
    if (err != TPW_OK) {
        exchange_rebalance_refusal_name(&job->plan.plan, job->state.holdings, leg,
                                        API_ACCOUNT_PREFIX, "plan_id", &detail);
    }
    result_journal(server, job, err, &detail, write);
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
    } else {
        for (size_t i = 0; i < write->legs_count; i++) {
            api_exposure_after_conversion(server, &job->quotes[i]);
        }
        api_reply_json(
            request, 201,
            rebalance_json(job, server->assets.registry, write->transfers, write->count));
    }
    free(job);
}

/* A preview's plan taken, on the same balances, with its quotes. */
static enum tpw_err previewed_take(struct api_request *request, struct rebalance_job *job,
                                   tpw_u128 plan_id, struct tpw_error_detail *detail)
{
    struct api_server *server = request->server;
    tpw_error_set_param(detail, "plan_id");
    enum tpw_err err = api_portfolios_plan_take(server->portfolios, plan_id, job->portfolio.id,
                                                wall_now_ns(), &job->plan, detail);
    if (err != TPW_OK) {
        return err;
    }
    job->previewed = true;
    for (size_t i = 0; i < job->portfolio.count; i++) {
        if (job->state.holdings[i].balance_minor != job->plan.balances_minor[i]) {
            return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PLAN_STALE, i,
                                 "holding %zu's balance moved since the preview", i);
        }
    }
    for (size_t i = 0; err == TPW_OK && i < job->plan.plan.trades_count; i++) {
        err = api_rates_quote_take(server->rates, job->plan.quote_ids[i], &job->quotes[i], detail);
        job->taken += err == TPW_OK ? 1 : 0;
        job->routes[i] = job->quotes[i].route;
    }
    if (err == TPW_ERR_EXCHANGE_QUOTE_EXPIRED || err == TPW_ERR_EXCHANGE_QUOTE_UNKNOWN) {
        err = tpw_error_set(detail, TPW_ERR_PORTFOLIO_PLAN_EXPIRED, 0,
                            "the plan's quotes expired: preview again");
    }
    if (err == TPW_OK) {
        tpw_error_set_param(detail, "plan_id");
        err = exchange_rebalance_outcome_of(job->state.holdings, job->portfolio.count,
                                            job->state.base_index, &job->plan.plan, job->routes,
                                            &job->outcome, detail);
    }
    return err;
}

/* A fresh plan's quotes, taken at once. */
static enum tpw_err fresh_take(struct api_request *request, struct rebalance_job *job,
                               struct tpw_error_detail *detail)
{
    enum tpw_err err = TPW_OK;
    for (size_t i = 0; err == TPW_OK && i < job->plan.plan.trades_count; i++) {
        err = api_rates_quote_take(request->server->rates, job->plan.quote_ids[i], &job->quotes[i],
                                   detail);
        job->taken += err == TPW_OK ? 1 : 0;
    }
    return err;
}

/* The plan's group to the committer (false after replying: nothing is submitted). */
static bool execute_submit(struct api_request *request, struct rebalance_job *job,
                           struct tpw_error_detail *detail)
{
    struct api_write *write = &request->write;
    enum tpw_err err = TPW_OK;
    if (job->max_cost_set && job->outcome.total_cost_minor > job->max_cost_minor) {
        tpw_error_set_param(detail, "max_cost");
        err = tpw_error_set(detail, TPW_ERR_PORTFOLIO_COST_ABOVE_MAX, 0,
                            "the plan costs more than max_cost");
    }
    write->transfers = calloc(API_REBALANCE_TRANSFERS_MAX, sizeof *write->transfers);
    write->transfer_results = calloc(API_REBALANCE_TRANSFERS_MAX, sizeof *write->transfer_results);
    if (err == TPW_OK && (write->transfers == NULL || write->transfer_results == NULL)) {
        err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the group");
    }
    if (err != TPW_OK) {
        quotes_release(request->server, job, false);
        api_reply_error(request, err, detail);
        return false;
    }
    exchange_rebalance_legs(&job->plan.plan, job->state.holdings, job->quotes, job->legs);
    write->kind = API_WRITE_REBALANCE;
    write->quotes = job->quotes;
    write->legs = job->legs;
    write->legs_count = job->plan.plan.trades_count;
    write->holdings = job->state.holdings;
    write->planned_balances_minor = job->plan.balances_minor;
    write->holdings_count = job->portfolio.count;
    write->context = job;
    write->complete = execute_complete;
    write->release = api_request_release;
    api_request_submit(request);
    return true;
}

/* ---- the request -------------------------------------------------------------------- */

struct rebalance_ask {
    bool execute;
    bool plan_given;
    tpw_u128 plan_id;
    bool max_cost_set;
    tpw_u128 max_cost_minor;
};

static enum tpw_err ask_parse(json_t *body, struct rebalance_ask *ask,
                              struct tpw_error_detail *detail)
{
    static const char *const known[] = {"mode", "plan_id", "max_cost"};
    const char *mode = NULL;
    const char *plan = NULL;
    const char *max_cost = NULL;
    enum tpw_err err = api_check_fields(body, known, sizeof known / sizeof known[0], detail);
    if (err == TPW_OK) {
        err = api_body_string(body, "mode", true, &mode, detail);
    }
    if (err == TPW_OK && mode != NULL && strcmp(mode, "preview") != 0 &&
        strcmp(mode, "execute") != 0) {
        tpw_error_set_param(detail, "mode");
        err = tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                            "\"mode\" is \"preview\" or \"execute\"");
    }
    ask->execute = mode != NULL && strcmp(mode, "execute") == 0;
    if (err == TPW_OK) {
        err = api_body_string(body, "plan_id", false, &plan, detail);
    }
    if (err == TPW_OK) {
        err = api_body_string(body, "max_cost", false, &max_cost, detail);
    }
    if (err == TPW_OK && !ask->execute && (plan != NULL || max_cost != NULL)) {
        tpw_error_set_param(detail, plan != NULL ? "plan_id" : "max_cost");
        err = tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                            "\"plan_id\" and \"max_cost\" are for \"execute\"");
    }
    if (err == TPW_OK && plan != NULL) {
        tpw_error_set_param(detail, "plan_id");
        ask->plan_given = true;
        err = tpw_id_parse(plan, strlen(plan), API_PLAN_PREFIX, &ask->plan_id, detail);
    }
    if (err == TPW_OK && max_cost != NULL) {
        tpw_error_set_param(detail, "max_cost");
        ask->max_cost_set = true;
        err = money_decimal_parse(max_cost, strlen(max_cost), 0, &ask->max_cost_minor, detail);
    }
    return err;
}

/* The job up to its plan (taken or made); false after replying. */
static bool job_plan(struct api_request *request, struct rebalance_job *job,
                     const struct rebalance_ask *ask, struct tpw_error_detail *detail)
{
    enum tpw_err err =
        api_portfolio_state_read(request->server, &job->portfolio, &job->state, detail);
    if (err == TPW_OK) {
        err = rates_fresh(job, detail);
    }
    if (err == TPW_OK && ask->plan_given) {
        err = previewed_take(request, job, ask->plan_id, detail);
    } else if (err == TPW_OK) {
        err = plan_make(request, job, detail);
        if (err == TPW_OK && job->execute) {
            err = fresh_take(request, job, detail);
        }
    }
    if (err != TPW_OK) {
        quotes_release(request->server, job, false);
        api_reply_error(request, err, detail);
        return false;
    }
    return true;
}

void api_portfolio_rebalance(struct api_request *request, const char *id_text)
{
    struct rebalance_job *job = calloc(1, sizeof *job);
    if (job == NULL) {
        api_reply_error(request, TPW_ERR_NOMEM, NULL);
        return;
    }
    json_t *body =
        api_portfolio_find(request, id_text, &job->portfolio) ? api_body_object(request) : NULL;
    if (body == NULL) { /* replied */
        free(job);
        return;
    }
    struct rebalance_ask ask = {0};
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = ask_parse(body, &ask, &detail);
    json_decref(body);
    job->execute = ask.execute;
    job->max_cost_set = ask.max_cost_set;
    job->max_cost_minor = ask.max_cost_minor;
    if (err != TPW_OK) {
        api_reply_error(request, err, &detail);
    } else if (job_plan(request, job, &ask, &detail)) {
        if (job->plan.plan.trades_count == 0) { /* inside every band: nothing to do */
            api_reply_json(request, 200,
                           rebalance_json(job, request->server->assets.registry, NULL, 0));
        } else if (job->execute) {
            if (execute_submit(request, job, &detail)) {
                return; /* the committer's now */
            }
        } else {
            api_record_submit(request, job, preview_run, preview_complete);
            return;
        }
    }
    free(job);
}
