#!/usr/bin/python3
"""Independent oracles for the optimiser cases beyond GOLDEN.md (test_mvo.c stores the
numbers; `make check` does not run this). Needs Debian's python3-numpy, python3-scipy and
python3-cvxopt (GPL: a test-time oracle only, never linked into tpwallet).

Estimates as PyPortfolioOpt's defaults (GOLDEN.md section 3.1), computed here with numpy
alone: simple returns with missing prices left missing, rows of all-missing returns
dropped, compounded mean returns, pairwise-complete sample covariance, both x 252.

  1. min volatility with shorts, -0.5 <= w <= 1: cvxopt qp (GOLDEN.md's oracle recipe).
  2. min volatility long-only with the turnover cap sum|w - 1/20| <= 0.5: scipy SLSQP on
     the buy/sell split. cvxopt stops at status 'unknown' on this degenerate problem,
     2e-9 above the optimum in volatility, so SLSQP (converged) is the oracle here.
Prints (mu'w, sqrt(w'Sw), Sharpe at 0.02) for each.
"""
import os
import sys

import numpy as np
from cvxopt import matrix, solvers
from scipy.optimize import minimize

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "data", "allocation", "pypfopt_stock_prices.csv")
prices = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=range(1, 21))
returns = prices[1:] / prices[:-1] - 1.0
returns = returns[~np.all(np.isnan(returns), axis=1)]
n = returns.shape[1]
present = ~np.isnan(returns)
mu = np.array([np.prod(1 + returns[present[:, i], i]) ** (252 / present[:, i].sum()) - 1
               for i in range(n)])
S = np.empty((n, n))
for i in range(n):
    for j in range(n):
        both = present[:, i] & present[:, j]
        a, b = returns[both, i], returns[both, j]
        S[i, j] = ((a - a.mean()) * (b - b.mean())).sum() / (both.sum() - 1) * 252


def perf(w):
    r = mu @ w
    v = np.sqrt(w @ S @ w)
    return r, v, (r - 0.02) / v


solvers.options.update(dict(abstol=1e-12, reltol=1e-12, feastol=1e-12, show_progress=False))
G = np.vstack([-np.eye(n), np.eye(n)])
h = np.concatenate([np.full(n, 0.5), np.ones(n)])
sol = solvers.qp(matrix(2 * S), matrix(np.zeros(n)), matrix(G), matrix(h),
                 matrix(np.ones((1, n))), matrix(np.ones(1)))
print("shorts", sol["status"], " ".join("%.17g" % x for x in perf(np.array(sol["x"]).ravel())))

w0 = np.full(n, 1.0 / n)
weights = lambda x: w0 + x[:n] - x[n:]
constraints = [
    {"type": "eq", "fun": lambda x: weights(x).sum() - 1},
    {"type": "ineq", "fun": lambda x: 0.5 - x.sum()},
    {"type": "ineq", "fun": weights},
]
result = minimize(lambda x: weights(x) @ S @ weights(x), np.zeros(2 * n),
                  jac=lambda x: np.concatenate([2 * S @ weights(x), -2 * S @ weights(x)]),
                  constraints=constraints, bounds=[(0, None)] * (2 * n), method="SLSQP",
                  options=dict(ftol=1e-16, maxiter=1000))
w = weights(result.x)
print("turnover", result.message, " ".join("%.17g" % x for x in perf(w)),
      "turnover %.17g" % np.abs(w - w0).sum())
sys.exit(0 if result.success and sol["status"] == "optimal" else 1)
