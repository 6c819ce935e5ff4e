#!/usr/bin/python3
"""The numpy side of bench_portfolio's Monte Carlo (issue 7): the same simulation,
vectorised over paths in the idiomatic numpy way, timed, and its final values compared
in distribution with the C run's (a two-sample Kolmogorov-Smirnov test, plus the mean
and percentiles side by side).

Same model and policy as src/portfolio/simulate.c: GBM log-returns
(drift - var/2)*dt + chol(cov*dt) @ eps; holdings grow by exp(r); at the last step of
each of `checks_per_year` equal periods (and at the last step) trade back to target when
the largest weight drift reaches the threshold, paying (fee + spread/2)/1e4 of the traded
value (no depth: no slippage), unless that would cost half the value.

Usage: mc.py PARAMS.json C_VALUES.bin   (both written by bench_portfolio --params/--values)
Prints one line of key=value pairs; exit status 1 if the distributions differ.
"""
import json
import sys
import time

import numpy as np

CHUNK_PATHS = 20000


def monitor_steps(steps, steps_per_year, checks_per_year):
    step = np.arange(1, steps + 1, dtype=np.int64)
    here = (step - 1) * checks_per_year // steps_per_year
    after = step * checks_per_year // steps_per_year
    return (here != after) | (step == steps)


def simulate(params, rng):
    n_paths = params["paths"]
    steps = params["steps"]
    dt = 1.0 / params["steps_per_year"]
    target = np.array(params["weights"])
    drift = np.array(params["drift"])
    cov = np.array(params["covariance"]).reshape(len(target), len(target))
    mean = (drift - 0.5 * np.diag(cov)) * dt
    factor = np.linalg.cholesky(cov * dt)
    rate = (params["fee_bps"] + 0.5 * params["spread_bps"]) / 1e4
    monitor = monitor_steps(steps, params["steps_per_year"], params["checks_per_year"])
    finals = np.empty(n_paths)
    for first in range(0, n_paths, CHUNK_PATHS):
        count = min(CHUNK_PATHS, n_paths - first)
        holdings = np.tile(target, (count, 1))
        value = np.ones(count)
        for step in range(steps):
            eps = rng.standard_normal((count, len(target)))
            holdings *= np.exp(mean + eps @ factor.T)
            value = holdings.sum(axis=1)
            if monitor[step]:
                weights = holdings / value[:, None]
                gap = np.abs(target - weights)
                trade = gap.max(axis=1) >= params["threshold"]
                cost = gap.sum(axis=1) * rate
                trade &= cost < 0.5
                value = np.where(trade, value * (1.0 - cost), value)
                holdings = np.where(trade[:, None], target * value[:, None], holdings)
        finals[first:first + count] = value
    return finals


def ks_statistic(a, b):
    a = np.sort(a)
    b = np.sort(b)
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def main():
    params = json.load(open(sys.argv[1]))
    ours = np.fromfile(sys.argv[2], dtype="<f8")
    rng = np.random.default_rng(20261202)
    start = time.perf_counter()
    theirs = simulate(params, rng)
    seconds = time.perf_counter() - start
    n, m = len(ours), len(theirs)
    statistic = ks_statistic(ours, theirs)
    # The 0.1 % critical value of the two-sample test.
    critical = 1.95 * np.sqrt((n + m) / (n * m))
    same = statistic < critical
    pct = [1, 5, 50, 95, 99]
    print("numpy_mc seconds=%.3f paths=%d numpy=%s ks=%.5f ks_critical=%.5f same=%s "
          "mean_c=%.6f mean_numpy=%.6f %s" % (
              seconds, m, np.__version__, statistic, critical, "yes" if same else "no",
              ours.mean(), theirs.mean(),
              " ".join("p%d_c=%.6f p%d_numpy=%.6f" % (p, np.percentile(ours, p), p,
                                                      np.percentile(theirs, p)) for p in pct)))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
