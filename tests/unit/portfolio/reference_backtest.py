#!/usr/bin/python3
# tests/unit/portfolio/reference_backtest.py — an independent numpy implementation of
# issue 7's reference calendar/threshold policy, written from the issue's text (not from
# src/portfolio), to produce the reference numbers stored in test_backtest.c. Run by
# hand (needs Debian's python3-numpy); `make check` does not run it:
#   /usr/bin/python3 tests/unit/portfolio/reference_backtest.py
import csv
import datetime
import os

import numpy as np

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "prices")


def load(name):
    with open(os.path.join(DATA, name), newline="") as f:
        rows = list(csv.DictReader(f))
    return {datetime.date.fromisoformat(r["Date"]): float(r["Close"]) for r in rows
            if r["Close"] not in ("", "null")}


def period(check, day):
    if check == "monthly":
        return (day.year, day.month)
    if check == "weekly":
        return day.isocalendar()[:2]
    if check == "quarterly":
        return (day.year, (day.month - 1) // 3)
    if check == "annual":
        return day.year
    return day


def backtest(series, weights, check, threshold, cost_bps, periods_per_year):
    days = sorted(set.intersection(*(set(s) for s in series)))
    closes = np.array([[s[d] for s in series] for d in days])
    target = np.array(weights)
    units = target / closes[0]
    values, weight_rows = [1.0], [target.copy()]
    rebalances, turnover, costs = 0, 0.0, 0.0
    for i in range(1, len(days)):
        held = units * closes[i]
        value = held.sum()
        last_of_period = i == len(days) - 1 or period(check, days[i]) != period(check, days[i + 1])
        if check != "never" and last_of_period:
            w = held / value
            if np.abs(w - target).max() >= threshold:
                traded = np.abs(target * value - held).sum()
                cost = cost_bps / 1e4 * traded
                turnover += 0.5 * np.abs(target - w).sum()
                costs += cost / value
                value -= cost
                units = target * value / closes[i]
                rebalances += 1
        values.append(value)
        weight_rows.append(units * closes[i] / value)
    values = np.array(values)
    r = values[1:] / values[:-1] - 1
    years = (days[-1] - days[0]).days / 365.25
    vol = r.std(ddof=1) * np.sqrt(periods_per_year)
    downside = np.sqrt(np.mean(np.minimum(r, 0) ** 2))
    return {
        "days": len(days), "first": days[0], "last": days[-1],
        "final_value": values[-1],
        "cagr": (values[-1] / values[0]) ** (1 / years) - 1,
        "volatility": vol,
        "sharpe": r.mean() / r.std(ddof=1) * np.sqrt(periods_per_year),
        "sortino": r.mean() / downside * np.sqrt(periods_per_year),
        "max_drawdown": (1 - values / np.maximum.accumulate(values)).max(),
        "rebalances": rebalances,
        "turnover_per_year": turnover / years,
        "cost_per_year": costs / years,
        "average_weights": np.mean(weight_rows, axis=0),
    }


def main():
    series = [load("yahoo-%s-USD-2018-2024.csv" % s) for s in ("BTC", "ETH", "USDC")]
    result = backtest(series, [0.5, 0.3, 0.2], "monthly", 0.05, 10, 365)
    for key, value in result.items():
        if isinstance(value, np.ndarray):
            print(key, " ".join("%.17g" % v for v in value))
        elif isinstance(value, (float, np.floating)):
            print(key, "%.17g" % value)
        else:
            print(key, value)


main()
