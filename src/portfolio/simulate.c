/*
 * The simulator's paths and threads (simulate.h).
 *
 * Each path keeps the value it holds in each asset, not units: a step multiplies each
 * holding by the asset's gross return, and the value is their sum, so a path never
 * needs prices and divides only at the policy's checks. At the policy's checks the largest drift is
 * compared with the threshold, as in the reference backtest, and a trade back to target pays the
 * cost model of simulate.h out of the value. Paths are handed to threads in chunks from one atomic
 * counter; each writes only its own paths' slots of the report, and each draws from a generator
 * seeded by (seed, path), so the thread count changes nothing. GBM paths run 16 at a time in
 * sim_lanes.c, with the same numbers; the t model and the bootstrap run here, one at a time.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "normal.h"
#include "sim_exp.h"
#include "sim_plan.h"
#include "tpw_assert.h"

#include "banned.h"

/* Paths a thread takes at once: large enough that the counter is not contended, small
 * enough that two threads finish within a few milliseconds of each other; a multiple of
 * NORMAL_LANES, so that GBM's groups of lanes start at multiples of it. */
#define SIM_CHUNK_PATHS 64u
_Static_assert(SIM_CHUNK_PATHS % NORMAL_LANES == 0, "chunks hold whole groups of lanes");
/* The largest drawn log-return and the largest a scenario sets or adds: together within
 * sim_exp's limit. A bootstrap's history is within ±10 (sim_market.c); GBM and t draws
 * stay within it by construction (sim_plan.h). */
#define SIM_DRAW_LIMIT SIM_DRAW_LIMIT_PLAN /* twice it is SIM_EXP_LIMIT */
#define SIM_CRASH_SHOCK_MIN (-0.999999)    /* ln(1 + shock) ≥ −13.9 */

/* Steps drawn at once per path: 64 × 16 assets × 3 arrays of doubles (normals,
 * log-returns, gross returns) is 24 KiB of stack, within the L1 cache. */
#define SIM_BLOCK_STEPS 64u

/* A thread's buffers for one block of steps, zeroed once per thread, reused by every
 * path it runs. */
struct sim_scratch {
    double eps[SIM_BLOCK_STEPS * PORTFOLIO_ASSETS_MAX];   /* the normals */
    double r[SIM_BLOCK_STEPS * PORTFOLIO_ASSETS_MAX];     /* log-returns */
    double gross[SIM_BLOCK_STEPS * PORTFOLIO_ASSETS_MAX]; /* e^r */
};

/* One step of correlated normal (or t) log-returns: mean + L·ε. `eps` holds the step's
 * normals; the t model draws its chi-square here, after them, as it always has. */
static void draw_parametric(const struct sim_plan *plan, const struct normal_tables *tables,
                            struct tpw_prng *prng, const double eps[], double r[])
{
    size_t n = plan->assets;
    double scale = 1.0;
    if (plan->t_scale > 0.0) {
        double dof = plan->config->market.dof;
        double chi_square = 2.0 * normal_gamma(prng, tables, 0.5 * dof);
        scale = plan->t_scale / sqrt(chi_square);
        scale = scale < plan->t_scale_max ? scale : plan->t_scale_max;
    }
    for (size_t i = 0; i < n; i++) {
        /* Rows are independent, so their chains of adds overlap; columns in place would
         * store and reload r[] at every term (measured: twice as slow). */
        double sum = plan->step_mean[i];
        const double *row = &plan->factor[i * n];
        for (size_t k = 0; k <= i; k++) {
            sum += row[k] * (eps[k] * scale);
        }
        r[i] = sum;
    }
}

/* One step of the moving-block bootstrap: the next row of the current block, a new
 * block (a uniformly chosen start) when it is used up. */
static void draw_bootstrap(const struct sim_plan *plan, struct tpw_prng *prng,
                           struct sim_path *state, double r[])
{
    const struct portfolio_sim_market *market = &plan->config->market;
    if (state->boot_left == 0) {
        uint64_t starts = market->history_rows - market->block_steps + 1;
        state->boot_row = (size_t)tpw_prng_below(prng, starts);
        state->boot_left = market->block_steps;
    }
    memcpy(r, &market->history[state->boot_row * plan->assets], plan->assets * sizeof(double));
    state->boot_row++;
    state->boot_left--;
}

/* The scenario's change to one step's log-returns (crash, rally, replay). */
static void overlay(const struct sim_plan *plan, unsigned step, double r[])
{
    const struct portfolio_sim_scenario *scenario = &plan->config->scenario;
    if (!sim_in_window(scenario, step)) {
        return;
    }
    if (scenario->kind == PORTFOLIO_SIM_SCENARIO_CRASH ||
        scenario->kind == PORTFOLIO_SIM_SCENARIO_RALLY) {
        double add = log1p(scenario->shock) / (double)scenario->length_steps;
        for (size_t i = 0; i < plan->assets; i++) {
            r[i] += (scenario->shocked_mask >> i & 1u) != 0 ? add : 0.0;
        }
    } else if (scenario->kind == PORTFOLIO_SIM_SCENARIO_REPLAY) {
        r[scenario->replay_asset] = plan->replay_returns[step - scenario->start_step];
    }
}

void sim_step_costs(const struct sim_plan *plan, unsigned step, double *rate, double *slippage)
{
    const struct portfolio_sim_scenario *scenario = &plan->config->scenario;
    *rate = plan->cost_rate;
    *slippage = plan->slippage;
    if (scenario->kind == PORTFOLIO_SIM_SCENARIO_DROUGHT && sim_in_window(scenario, step)) {
        /* Spreads × factor, depth ÷ factor. */
        *rate = (plan->config->costs.fee_bps +
                 0.5 * plan->config->costs.spread_bps * scenario->cost_factor) /
                10000.0;
        *slippage *= scenario->cost_factor;
    }
}

/* What a trade back to target costs, as a fraction of the value. */
static double rebalance_cost(const struct sim_plan *plan, const double weights[], unsigned step)
{
    double rate;
    double slippage;
    sim_step_costs(plan, step, &rate, &slippage);
    double cost = 0.0;
    for (size_t i = 0; i < plan->assets; i++) {
        double traded = fabs(plan->targets[i] - weights[i]);
        cost += traded * rate + traded * traded * slippage;
    }
    return cost;
}

static void maybe_rebalance(const struct sim_plan *plan, struct sim_path *state, unsigned step)
{
    double weights[PORTFOLIO_ASSETS_MAX];
    double drift_max = 0.0;
    for (size_t i = 0; i < plan->assets; i++) {
        weights[i] = state->holdings[i] / state->value;
        double drift = fabs(weights[i] - plan->targets[i]);
        drift_max = drift > drift_max ? drift : drift_max;
    }
    if (drift_max < plan->config->threshold) {
        return;
    }
    double cost = rebalance_cost(plan, weights, step);
    if (cost >= SIM_COST_FRACTION_MAX) {
        return;
    }
    state->value *= 1.0 - cost;
    state->cost_fraction_sum += cost;
    state->rebalances++;
    for (size_t i = 0; i < plan->assets; i++) {
        state->holdings[i] = plan->targets[i] * state->value;
    }
}

/* Applies one step's log-returns: holdings grow, the value is their sum, the policy
 * looks. */
static void advance(const struct sim_plan *plan, struct sim_path *state, unsigned step,
                    const double r[], const double gross[])
{
    double before = state->value;
    double value = 0.0;
    for (size_t i = 0; i < plan->assets; i++) {
        state->holdings[i] *= gross[i];
        value += state->holdings[i];
        state->asset_log_growth[i] += r[i];
    }
    state->value = value;
    if (plan->monitor[step] != 0) {
        maybe_rebalance(plan, state, step);
    }
    double step_return = state->value / before - 1.0;
    state->return_sum += step_return;
    state->return_squares += step_return * step_return;
    state->peak = state->value > state->peak ? state->value : state->peak;
    double drawdown = 1.0 - state->value / state->peak;
    state->max_drawdown = drawdown > state->max_drawdown ? drawdown : state->max_drawdown;
}

void sim_record(const struct sim_shared *shared, uint64_t path, const struct sim_path *state)
{
    const struct sim_plan *plan = shared->plan;
    const struct portfolio_sim_config *config = plan->config;
    double steps = (double)config->steps;
    double years = steps * plan->dt_years;
    double variance =
        config->steps > 1
            ? (state->return_squares - state->return_sum * state->return_sum / steps) /
                  (steps - 1.0)
            : 0.0;
    double log_mix = 0.0;
    for (size_t i = 0; i < plan->assets; i++) {
        log_mix += plan->targets[i] * state->asset_log_growth[i];
    }
    double metrics[PORTFOLIO_SIM_METRICS_COUNT] = {
        [PORTFOLIO_SIM_FINAL_VALUE] = state->value,
        [PORTFOLIO_SIM_CAGR] = pow(state->value, 1.0 / years) - 1.0,
        [PORTFOLIO_SIM_VOLATILITY] =
            sqrt(variance > 0.0 ? variance : 0.0) * sqrt((double)config->steps_per_year),
        [PORTFOLIO_SIM_MAX_DRAWDOWN] = state->max_drawdown,
        [PORTFOLIO_SIM_COST_PER_YEAR] = state->cost_fraction_sum / years,
        [PORTFOLIO_SIM_REBALANCES] = (double)state->rebalances,
        [PORTFOLIO_SIM_REBALANCING_RETURN] = (log(state->value) - log_mix) / years,
    };
    for (size_t metric = 0; metric < PORTFOLIO_SIM_METRICS_COUNT; metric++) {
        shared->values[metric * config->paths + path] = metrics[metric];
    }
}

/*
 * gross[i] = e^r[i]. Built twice, for AVX2 and for the baseline, and chosen at load time
 * (GCC's target_clones): twice the lanes where the CPU has them. Both are the same IEEE
 * operations in the same order (ISO C mode contracts no multiply-add into an FMA), so
 * they give the same bits and a seed's report does not depend on the machine.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void
exp_block(const double *restrict r, double *restrict gross, size_t count)
{
    for (size_t cell = 0; cell < count; cell++) {
        gross[cell] = sim_exp(r[cell]);
    }
}

/* Draws the log-returns of steps first..first+count-1 (1-based) into r, step-major. */
static void draw_block(const struct sim_shared *shared, struct tpw_prng *prng,
                       struct sim_path *state, unsigned first, unsigned count, double r[],
                       double eps[])
{
    const struct sim_plan *plan = shared->plan;
    size_t n = plan->assets;
    enum portfolio_sim_model model = plan->config->model;
    for (unsigned index = 0; index < count; index++) {
        double *row = &r[index * n];
        double *step_eps = &eps[index * n];
        if (model == PORTFOLIO_SIM_BOOTSTRAP) {
            draw_bootstrap(plan, prng, state, row);
        } else {
            for (size_t i = 0; i < n; i++) {
                step_eps[i] = normal_next(prng, shared->tables);
            }
            draw_parametric(plan, shared->tables, prng, step_eps, row);
        }
        overlay(plan, first + index, row);
    }
}

/*
 * One path, in blocks of SIM_BLOCK_STEPS steps: draw every log-return of the block,
 * take all their exponentials in one loop (contiguous, so the compiler vectorizes it;
 * it was most of the time as one call per value), then walk the steps. The draws come
 * in the same order as step by step, so the blocks change no result.
 */
static void run_path(const struct sim_shared *shared, struct sim_scratch *scratch, uint64_t path)
{
    const struct sim_plan *plan = shared->plan;
    const struct portfolio_sim_config *config = plan->config;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, sim_path_seed(config->seed, path));
    struct sim_path state;
    memset(&state, 0, sizeof(state));
    memcpy(state.holdings, plan->targets, plan->assets * sizeof(double));
    state.value = 1.0;
    state.peak = 1.0;
    double *r = scratch->r;
    double *gross = scratch->gross;
    for (unsigned first = 1; first <= config->steps; first += SIM_BLOCK_STEPS) {
        unsigned left = config->steps - first + 1;
        unsigned count = left < SIM_BLOCK_STEPS ? left : SIM_BLOCK_STEPS;
        size_t cells = (size_t)count * plan->assets;
        draw_block(shared, &prng, &state, first, count, r, scratch->eps);
        exp_block(r, gross, cells);
        for (unsigned index = 0; index < count; index++) {
            advance(plan, &state, first + index, &r[index * plan->assets],
                    &gross[index * plan->assets]);
        }
    }
    sim_record(shared, path, &state);
}

/* A thread's loop: chunks of paths until none is left. The calling thread (reports
 * progress) passes report = true. False when its buffers cannot be allocated: it then
 * takes no path, and the other threads do them. */
static bool work(struct sim_shared *shared, bool report)
{
    const struct portfolio_sim_config *config = shared->plan->config;
    struct sim_scratch *scratch = calloc(1, sizeof(*scratch));
    if (scratch == NULL) {
        return false;
    }
    for (;;) {
        uint64_t first = atomic_fetch_add(&shared->next_path, SIM_CHUNK_PATHS);
        if (first >= config->paths) {
            break;
        }
        uint64_t end =
            first + SIM_CHUNK_PATHS < config->paths ? first + SIM_CHUNK_PATHS : config->paths;
        if (config->model == PORTFOLIO_SIM_GBM) {
            for (uint64_t group = first; group < end; group += NORMAL_LANES) {
                sim_lanes_run(shared, group);
            }
        } else {
            for (uint64_t path = first; path < end; path++) {
                run_path(shared, scratch, path);
            }
        }
        uint64_t done = atomic_fetch_add(&shared->done_paths, end - first) + (end - first);
        if (report && config->progress != NULL) {
            config->progress(config->progress_ctx, done, config->paths);
        }
    }
    free(scratch);
    return true;
}

static void *worker_main(void *arg)
{
    (void)work(arg, false);
    return NULL;
}

/* The check days: the last step of each of K equal periods per year (daily K =
 * steps_per_year, weekly 52, monthly 12, quarterly 4, annual 1), and the last step. */
static uint8_t *monitor_build(const struct portfolio_sim_config *config)
{
    uint8_t *monitor = calloc((size_t)config->steps + 2, 1);
    if (monitor == NULL || config->check == PORTFOLIO_CHECK_NEVER) {
        return monitor;
    }
    static const unsigned per_year[] = {0, 52, 12, 4, 1};
    uint64_t periods =
        config->check == PORTFOLIO_CHECK_DAILY ? config->steps_per_year : per_year[config->check];
    for (uint64_t step = 1; step <= config->steps; step++) {
        uint64_t here = (step - 1) * periods / config->steps_per_year;
        uint64_t next = step * periods / config->steps_per_year;
        monitor[step] = (uint8_t)(here != next || step == config->steps);
    }
    return monitor;
}

static enum tpw_err scenario_prepare(const struct portfolio_sim_config *config,
                                     struct sim_plan *plan, struct tpw_error_detail *detail)
{
    const struct portfolio_sim_scenario *scenario = &config->scenario;
    if (scenario->kind == PORTFOLIO_SIM_SCENARIO_NONE) {
        return TPW_OK;
    }
    bool fits = scenario->start_step >= 1 && scenario->length_steps >= 1 &&
                scenario->length_steps <= config->steps &&
                scenario->start_step <= config->steps - scenario->length_steps + 1;
    bool valid = false;
    switch (scenario->kind) {
    case PORTFOLIO_SIM_SCENARIO_CRASH:
        valid = scenario->shock >= SIM_CRASH_SHOCK_MIN && scenario->shock < 0.0 &&
                scenario->shocked_mask != 0;
        break;
    case PORTFOLIO_SIM_SCENARIO_RALLY:
        valid = scenario->shock > 0.0 && scenario->shock <= 100.0 && scenario->shocked_mask != 0;
        break;
    case PORTFOLIO_SIM_SCENARIO_DROUGHT:
        valid = scenario->cost_factor >= 1.0 && scenario->cost_factor <= 1000.0;
        break;
    case PORTFOLIO_SIM_SCENARIO_REPLAY:
        valid = scenario->replay_asset < plan->assets && scenario->replay_closes != NULL;
        break;
    default:
        break;
    }
    valid = valid && (scenario->shocked_mask >> plan->assets) == 0;
    if (!fits || !valid) {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                             "the %s scenario's parameters are out of range or its window "
                             "(steps %u..%u) is outside the path's %u steps",
                             scenario->kind == PORTFOLIO_SIM_SCENARIO_REPLAY ? "replay" : "stress",
                             scenario->start_step,
                             scenario->start_step + scenario->length_steps - 1, config->steps);
    }
    if (scenario->kind != PORTFOLIO_SIM_SCENARIO_REPLAY) {
        return TPW_OK;
    }
    plan->replay_returns = calloc(scenario->length_steps, sizeof(double));
    if (plan->replay_returns == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    for (unsigned step = 0; step < scenario->length_steps; step++) {
        double from = scenario->replay_closes[step];
        double to = scenario->replay_closes[step + 1];
        if (!(from > 0.0 && to > 0.0 && isfinite(from) && isfinite(to))) {
            return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                                 "replayed close %u is not a positive number", step + 1);
        }
        double r = log(to / from);
        plan->replay_returns[step] = fabs(r) <= SIM_DRAW_LIMIT ? r : copysign(SIM_DRAW_LIMIT, r);
    }
    return TPW_OK;
}

/* Runs the paths on config->threads threads (the caller's among them). */
static enum tpw_err run_threads(struct sim_shared *shared, struct tpw_error_detail *detail)
{
    unsigned extra = shared->plan->config->threads - 1;
    pthread_t threads[PORTFOLIO_SIM_THREADS_MAX];
    unsigned started = 0;
    while (started < extra && pthread_create(&threads[started], NULL, worker_main, shared) == 0) {
        started++;
    }
    /* If a thread would not start, or had no memory, the others do its paths. */
    (void)work(shared, true);
    for (unsigned index = 0; index < started; index++) {
        int rc = pthread_join(threads[index], NULL);
        TPW_ASSERT(rc == 0);
    }
    if (started < extra) {
        return tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "started %u of %u threads", started,
                             extra);
    }
    if (atomic_load(&shared->done_paths) != shared->plan->config->paths) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the threads' buffers");
    }
    return TPW_OK;
}

static void plan_deinit(struct sim_plan *plan)
{
    free(plan->monitor);
    free(plan->replay_returns);
}

enum tpw_err portfolio_sim_run(const struct portfolio_sim_config *config, bool keep_paths,
                               struct portfolio_sim_report *out, struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    struct sim_plan plan;
    memset(&plan, 0, sizeof(plan));
    enum tpw_err err = sim_market_prepare(config, &plan, detail);
    if (err == TPW_OK) {
        err = scenario_prepare(config, &plan, detail);
    }
    if (err == TPW_OK) {
        plan.monitor = monitor_build(config);
        out->values = calloc((size_t)config->paths * PORTFOLIO_SIM_METRICS_COUNT, sizeof(double));
        if (plan.monitor == NULL || out->values == NULL) {
            err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for %llu paths",
                                (unsigned long long)config->paths);
        }
    }
    if (err == TPW_OK) {
        out->paths = config->paths;
        out->years = (double)config->steps / (double)config->steps_per_year;
        struct sim_shared shared = {
            .plan = &plan, .tables = normal_tables_get(), .values = out->values};
        atomic_init(&shared.next_path, 0);
        atomic_init(&shared.done_paths, 0);
        err = run_threads(&shared, detail);
    }
    if (err == TPW_OK) {
        err = sim_report_summarize(out, detail);
    }
    plan_deinit(&plan);
    if (err != TPW_OK || !keep_paths) {
        portfolio_sim_report_deinit(out);
    }
    return err;
}
