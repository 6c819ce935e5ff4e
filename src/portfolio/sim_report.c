/*
 * The simulator's report (simulate.h): metric names and the summaries over paths.
 * Sums run in path order, so a report depends on the paths alone, never on which
 * thread drew which path. Percentiles interpolate linearly between order statistics
 * (numpy's default): at p, h = (n − 1)·p and the value is x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋+1 − x⌊h⌋).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_plan.h"
#include "tpw_assert.h"

#include "banned.h"

const double portfolio_sim_percentiles[PORTFOLIO_SIM_PERCENTILES_COUNT] = {
    0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99,
};

static const char *const metric_names[PORTFOLIO_SIM_METRICS_COUNT] = {
    "final_value",   "cagr",       "volatility",         "max_drawdown",
    "cost_per_year", "rebalances", "rebalancing_return",
};

const char *portfolio_sim_metric_name(enum portfolio_sim_metric metric)
{
    return (unsigned)metric < PORTFOLIO_SIM_METRICS_COUNT ? metric_names[metric] : "unknown";
}

static int compare_doubles(const void *left, const void *right)
{
    double a = *(const double *)left;
    double b = *(const double *)right;
    return (a > b) - (a < b);
}

static void summarize_one(const double *values, double *sorted, uint64_t paths,
                          struct portfolio_sim_summary *out)
{
    double sum = 0.0;
    for (uint64_t path = 0; path < paths; path++) {
        sum += values[path];
    }
    double mean = sum / (double)paths;
    double squares = 0.0;
    for (uint64_t path = 0; path < paths; path++) {
        squares += (values[path] - mean) * (values[path] - mean);
    }
    out->mean = mean;
    out->std_dev = paths > 1 ? sqrt(squares / (double)(paths - 1)) : 0.0;
    out->std_error = out->std_dev / sqrt((double)paths);
    memcpy(sorted, values, (size_t)paths * sizeof(double));
    qsort(sorted, (size_t)paths, sizeof(double), compare_doubles);
    for (size_t index = 0; index < PORTFOLIO_SIM_PERCENTILES_COUNT; index++) {
        double h = (double)(paths - 1) * portfolio_sim_percentiles[index];
        uint64_t low = (uint64_t)h;
        double fraction = h - (double)low;
        double upper = low + 1 < paths ? sorted[low + 1] : sorted[low];
        out->percentiles[index] = sorted[low] + fraction * (upper - sorted[low]);
    }
}

enum tpw_err sim_report_summarize(struct portfolio_sim_report *report,
                                  struct tpw_error_detail *detail)
{
    TPW_ASSERT(report->values != NULL && report->paths > 0);
    double *sorted = malloc((size_t)report->paths * sizeof(double));
    if (sorted == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the percentiles");
    }
    for (size_t metric = 0; metric < PORTFOLIO_SIM_METRICS_COUNT; metric++) {
        summarize_one(&report->values[metric * report->paths], sorted, report->paths,
                      &report->metrics[metric]);
    }
    free(sorted);
    return TPW_OK;
}

void portfolio_sim_report_deinit(struct portfolio_sim_report *report)
{
    if (report != NULL) {
        free(report->values);
        report->values = NULL;
    }
}
