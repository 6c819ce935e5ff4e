/*
 * GBM paths 16 at a time (sim_plan.h), for speed: one path at a time, a step's five
 * normals, its factor product and its exponentials are too few to fill vectors, and the
 * ziggurat's table lookups and branches keep a single stream scalar. Here a group of
 * NORMAL_LANES consecutive paths is walked step by step with every quantity held per
 * lane (x[asset][lane]), so each operation of the model and of the policy is one loop
 * over 16 lanes that the compiler turns into vector instructions (AVX-512 or AVX2 where
 * the CPU has them, chosen at load time; SSE2 otherwise).
 *
 * Lane j is path first + j with its own generator seeded by (seed, path), drawing in the
 * order the one-path code draws, and every lane does the one-path code's IEEE operations
 * in its order (ISO C mode contracts nothing into an FMA): a path's metrics are the same
 * bits whichever way it is run, whatever the group or thread that ran it.
 */
#include <math.h>
#include <string.h>

#include "normal.h"
#include "sim_exp.h"
#include "sim_plan.h"

#include "banned.h"

#define LANES NORMAL_LANES

/* GCC inlines these helpers into each clone of lanes_walk, so they are built for its
 * target too; left out of line they would be SSE2 only. */
#if defined(__GNUC__)
#define LANES_INLINE static inline __attribute__((always_inline))
#else
#define LANES_INLINE static inline
#endif

/* A group's running state, per asset and lane. */
struct lane_group {
    struct normal_lanes prng;
    double holdings[PORTFOLIO_ASSETS_MAX][LANES];
    double log_growth[PORTFOLIO_ASSETS_MAX][LANES];
    double value[LANES];
    double peak[LANES];
    double max_drawdown[LANES];
    double return_sum[LANES];
    double return_squares[LANES];
    double cost_sum[LANES];
    double rebalances[LANES]; /* counts, exact in a double */
};

/* One step's log-returns: mean + L·ε, row by row in the order draw_parametric adds. */
LANES_INLINE void lanes_draw(const struct sim_plan *plan, const struct normal_tables *tables,
                             struct lane_group *group, double r[][LANES])
{
    size_t n = plan->assets;
    double eps[PORTFOLIO_ASSETS_MAX][LANES];
    normal_lanes_fill(&group->prng, tables, n, eps);
    for (size_t i = 0; i < n; i++) {
        const double *row = &plan->factor[i * n];
        double sum[LANES];
        for (unsigned lane = 0; lane < LANES; lane++) {
            sum[lane] = plan->step_mean[i];
        }
        for (size_t k = 0; k <= i; k++) {
            for (unsigned lane = 0; lane < LANES; lane++) {
                sum[lane] += row[k] * eps[k][lane];
            }
        }
        memcpy(r[i], sum, sizeof(sum));
    }
}

/* The scenario's change to the step's log-returns, as overlay() makes it. */
LANES_INLINE void lanes_overlay(const struct sim_plan *plan, unsigned step, double r[][LANES])
{
    const struct portfolio_sim_scenario *scenario = &plan->config->scenario;
    if (scenario->kind == PORTFOLIO_SIM_SCENARIO_NONE || !sim_in_window(scenario, step)) {
        return;
    }
    if (scenario->kind == PORTFOLIO_SIM_SCENARIO_CRASH ||
        scenario->kind == PORTFOLIO_SIM_SCENARIO_RALLY) {
        double add = log1p(scenario->shock) / (double)scenario->length_steps;
        for (size_t i = 0; i < plan->assets; i++) {
            double term = (scenario->shocked_mask >> i & 1u) != 0 ? add : 0.0;
            for (unsigned lane = 0; lane < LANES; lane++) {
                r[i][lane] += term;
            }
        }
    } else if (scenario->kind == PORTFOLIO_SIM_SCENARIO_REPLAY) {
        double set = plan->replay_returns[step - scenario->start_step];
        for (unsigned lane = 0; lane < LANES; lane++) {
            r[scenario->replay_asset][lane] = set;
        }
    }
}

/* maybe_rebalance for every lane at once: each lane's drift, cost and decision as the
 * one-path code takes them, the trade applied where the lane decides to make it. */
LANES_INLINE void lanes_rebalance(const struct sim_plan *plan, struct lane_group *group,
                                  unsigned step)
{
    double rate;
    double slippage;
    sim_step_costs(plan, step, &rate, &slippage);
    double drift_max[LANES] = {0};
    double cost[LANES] = {0};
    for (size_t i = 0; i < plan->assets; i++) {
        double target = plan->targets[i];
        for (unsigned lane = 0; lane < LANES; lane++) {
            double traded = fabs(target - group->holdings[i][lane] / group->value[lane]);
            drift_max[lane] = traded > drift_max[lane] ? traded : drift_max[lane];
            cost[lane] += traded * rate + traded * traded * slippage;
        }
    }
    double threshold = plan->config->threshold;
    double trade[LANES]; /* 1 where the lane trades */
    for (unsigned lane = 0; lane < LANES; lane++) {
        bool trades = !(drift_max[lane] < threshold) && !(cost[lane] >= SIM_COST_FRACTION_MAX);
        trade[lane] = trades ? 1.0 : 0.0;
        group->value[lane] = trades ? group->value[lane] * (1.0 - cost[lane]) : group->value[lane];
        group->cost_sum[lane] += trades ? cost[lane] : 0.0;
        group->rebalances[lane] += trade[lane];
    }
    for (size_t i = 0; i < plan->assets; i++) {
        double target = plan->targets[i];
        for (unsigned lane = 0; lane < LANES; lane++) {
            double rebalanced = target * group->value[lane];
            group->holdings[i][lane] = trade[lane] != 0.0 ? rebalanced : group->holdings[i][lane];
        }
    }
}

/* advance() for every lane: holdings grow, the value is their sum, the policy looks,
 * and the metrics' sums take the step. */
LANES_INLINE void lanes_advance(const struct sim_plan *plan, struct lane_group *group,
                                unsigned step, double r[][LANES])
{
    double before[LANES];
    double value[LANES] = {0};
    memcpy(before, group->value, sizeof(before));
    for (size_t i = 0; i < plan->assets; i++) {
        for (unsigned lane = 0; lane < LANES; lane++) {
            group->holdings[i][lane] *= sim_exp(r[i][lane]);
            value[lane] += group->holdings[i][lane];
            group->log_growth[i][lane] += r[i][lane];
        }
    }
    memcpy(group->value, value, sizeof(value));
    if (plan->monitor[step] != 0) {
        lanes_rebalance(plan, group, step);
    }
    for (unsigned lane = 0; lane < LANES; lane++) {
        double now = group->value[lane];
        double step_return = now / before[lane] - 1.0;
        group->return_sum[lane] += step_return;
        group->return_squares[lane] += step_return * step_return;
        double peak = now > group->peak[lane] ? now : group->peak[lane];
        group->peak[lane] = peak;
        double drawdown = 1.0 - now / peak;
        double worst = group->max_drawdown[lane];
        group->max_drawdown[lane] = drawdown > worst ? drawdown : worst;
    }
}

/*
 * Every step of the group. Built three times, for AVX-512 (x86-64-v4: 8 lanes a vector,
 * and gathers, 64-bit conversions and multiplies of its own), AVX2 and the baseline, and
 * chosen at load time (GCC's target_clones): all are the same IEEE operations in the
 * same order (ISO C mode forms no FMA even where the CPU has it), so they give the same
 * bits and a seed's report does not depend on the machine.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif
static void
lanes_walk(const struct sim_plan *plan, const struct normal_tables *tables,
           struct lane_group *group)
{
    for (unsigned step = 1; step <= plan->config->steps; step++) {
        double r[PORTFOLIO_ASSETS_MAX][LANES];
        lanes_draw(plan, tables, group, r);
        lanes_overlay(plan, step, r);
        lanes_advance(plan, group, step, r);
    }
}

void sim_lanes_run(const struct sim_shared *shared, uint64_t first)
{
    const struct sim_plan *plan = shared->plan;
    const struct portfolio_sim_config *config = plan->config;
    struct lane_group group;
    memset(&group, 0, sizeof(group));
    for (unsigned lane = 0; lane < LANES; lane++) {
        /* Lanes past the last path run too (their numbers are discarded): a branch-free
         * group costs less than a remainder loop for at most 15 paths. */
        normal_lanes_seed(&group.prng, lane, sim_path_seed(config->seed, first + lane));
        for (size_t i = 0; i < plan->assets; i++) {
            group.holdings[i][lane] = plan->targets[i];
        }
        group.value[lane] = 1.0;
        group.peak[lane] = 1.0;
    }
    lanes_walk(plan, shared->tables, &group);
    for (unsigned lane = 0; lane < LANES && first + lane < config->paths; lane++) {
        struct sim_path path;
        memset(&path, 0, sizeof(path));
        for (size_t i = 0; i < plan->assets; i++) {
            path.holdings[i] = group.holdings[i][lane];
            path.asset_log_growth[i] = group.log_growth[i][lane];
        }
        path.value = group.value[lane];
        path.peak = group.peak[lane];
        path.max_drawdown = group.max_drawdown[lane];
        path.return_sum = group.return_sum[lane];
        path.return_squares = group.return_squares[lane];
        path.cost_fraction_sum = group.cost_sum[lane];
        path.rebalances = (uint64_t)group.rebalances[lane];
        sim_record(shared, first + lane, &path);
    }
}
