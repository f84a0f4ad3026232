"""Customer histories drawn from BG/NBD and Gamma-Gamma with known parameters.

Used to validate the fitters by parameter recovery (tests) and to time them on large populations
(``bench/clv_fit.py``): what is simulated here is exactly the story the models tell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from o2c.analytics.clv import BGNBDParams, GammaGammaParams


@dataclass(frozen=True)
class SimulatedCustomers:
    frequency: NDArray[np.float64]
    recency: NDArray[np.float64]
    T: NDArray[np.float64]
    monetary_value: NDArray[np.float64]


def simulate_bgnbd(params: BGNBDParams, T: ArrayLike, *, seed: int) -> SimulatedCustomers:  # noqa: N803 (T as in the paper)
    """Draw (frequency, recency, T) for customers first seen at time 0 and observed until ``T``.

    Each customer buys at Poisson rate lambda ~ Gamma(r, scale 1/alpha) and, after each repeat purchase,
    becomes inactive for good with probability p ~ Beta(a, b) (Fader, Hardie & Lee 2005, section 2:
    the likelihood (1-p)^x lambda^x exp(-lambda T) + p (1-p)^(x-1) lambda^x exp(-lambda t_x) has no
    dropout at the first purchase).
    """
    rng = np.random.default_rng(seed)
    horizon = np.asarray(T, dtype=np.float64)
    n = len(horizon)
    rate = rng.gamma(params.r, 1 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n)
    frequency = np.zeros(n)
    recency = np.zeros(n)
    now = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while np.any(active):
        idx = np.flatnonzero(active)
        now[idx] += rng.exponential(1 / rate[idx])
        bought = now[idx] <= horizon[idx]
        buyers = idx[bought]
        frequency[buyers] += 1
        recency[buyers] = now[buyers]
        active[idx[~bought]] = False
        active[buyers] = rng.random(len(buyers)) >= dropout[buyers]
    return SimulatedCustomers(frequency, recency, horizon, np.zeros(n))


def simulate_spend(params: GammaGammaParams, frequency: ArrayLike, *, seed: int) -> NDArray[np.float64]:
    """Mean value of each customer's repeat transactions under Gamma-Gamma (0 where x = 0).

    Values are z ~ Gamma(p, scale 1/nu) with nu ~ Gamma(q, scale 1/gamma) per customer; the sum of x of them
    is Gamma(px, scale 1/nu), so the mean is drawn directly.
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(params.q, 1 / params.gamma, len(x))
    repeat = x > 0
    mean = np.zeros(len(x))
    mean[repeat] = rng.gamma(params.p * x[repeat], 1 / nu[repeat]) / x[repeat]
    return mean
