"""BG/NBD + Gamma-Gamma fit on 100,000 customers, beside a same-run reference.

Draws ``--customers`` histories from BG/NBD (the CDNOW estimates r = 0.243, alpha = 4.414, a = 0.793,
b = 2.426, observed 26 to 39 weeks) and Gamma-Gamma spend (p = 6.25, q = 3.74, gamma = 15.44), then times
``fit_bgnbd`` and ``fit_gamma_gamma`` (best of ``--repeat`` runs).

Reference, measured in the same run: one evaluation of each log-likelihood with its gradient on all
customers (not collapsed), times the number of evaluations the optimiser used. That is what the same
optimiser path would cost without o2c's collapsing of identical customers; the ratio fit / reference
shows what the optimiser and the collapsing add or save.

Target: both fits together in <= 5 s on 100,000 customers (absolute, as the issue states).

Usage: ``python bench/clv_fit.py [--customers N] [--repeat K]``; exit status 0 target met, 1 missed,
2 the fitted parameters are not near the simulated ones (a wrong fit is not a fast fit).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import numpy as np

from o2c.analytics.clv import (
    BGNBDParams,
    GammaGammaParams,
    bgnbd_log_likelihood,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from o2c.analytics.clv_simulation import simulate_bgnbd, simulate_spend

TARGET_SECONDS = 5.0
TRUE_BGNBD = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
TRUE_GG = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(2005)
    history = simulate_bgnbd(TRUE_BGNBD, rng.uniform(26, 39, args.customers), seed=1)
    spend = simulate_spend(TRUE_GG, history.frequency, seed=2)
    x, tx, t = history.frequency, history.recency, history.T
    repeat = x > 0

    purchases = fit_bgnbd(x, tx, t)
    value = fit_gamma_gamma(x, spend)
    fit_time = best_of(args.repeat, lambda: (fit_bgnbd(x, tx, t), fit_gamma_gamma(x, spend)))

    one_bgnbd = best_of(args.repeat, lambda: bgnbd_log_likelihood(purchases.params, x, tx, t))
    one_gg = best_of(args.repeat, lambda: gamma_gamma_log_likelihood(value.params, x[repeat], spend[repeat]))
    reference = one_bgnbd * purchases.evaluations + one_gg * value.evaluations

    print(f"customers: {args.customers:,} ({int(repeat.sum()):,} with repeat purchases)")
    print(f"BG/NBD      {purchases.params}  LL {purchases.log_likelihood:.1f}", end="")
    print(f"  evaluations {purchases.evaluations}")
    print(f"Gamma-Gamma {value.params}  LL {value.log_likelihood:.1f}  evaluations {value.evaluations}")
    print(f"fit (both models, best of {args.repeat}): {fit_time:.3f} s")
    print(
        f"reference: 1 uncollapsed LL+gradient evaluation x evaluations = "
        f"{one_bgnbd * 1000:.1f} ms x {purchases.evaluations} + {one_gg * 1000:.1f} ms x {value.evaluations}"
        f" = {reference:.3f} s"
    )
    print(f"ratio fit / reference: {fit_time / reference:.2f}")
    close = (
        all(abs(getattr(purchases.params, k) / getattr(TRUE_BGNBD, k) - 1) < 0.2 for k in TRUE_BGNBD._fields)
        and abs(value.params.q / TRUE_GG.q - 1) < 0.1
    )
    if not close:
        print("FAIL: the fitted parameters are far from the simulated ones")
        return 2
    met = fit_time <= TARGET_SECONDS
    print(f"{'PASS' if met else 'FAIL'}: {fit_time:.3f} s against the target of {TARGET_SECONDS:.0f} s")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
