"""Customer lifetime value: the retention NPV model and the BG/NBD + Gamma-Gamma models.

Two ways to value a customer:

* :func:`retention_clv` — the simple retention model: a margin ``m`` per period, kept with probability
  ``r`` from one period to the next, discounted at ``d`` (Gupta & Lehmann 2003).
* :func:`fit_bgnbd` and :func:`fit_gamma_gamma` — the probabilistic "buy till you die" models of
  Fader, Hardie & Lee (2005), fitted by maximum likelihood on a per-customer summary
  ``(frequency, recency, T, monetary_value)`` (see :mod:`o2c.analytics.clv_summary` for building it
  from a transaction log), and :func:`discounted_clv` combining them over a horizon.

Conventions (Fader, Hardie & Lee 2005): ``frequency`` x is the number of *repeat* transactions (same-day
purchases merged into one), ``recency`` t_x the time from the first to the last repeat purchase (0 when
x = 0), ``T`` the time from the first purchase to the end of the calibration period, all in one time
unit; Gamma-Gamma's monetary value is the mean value of the repeat transactions (the first excluded).

Both likelihoods are vectorised over customers with :func:`scipy.special.gammaln` and fitted with
L-BFGS-B on the logarithms of the parameters (so they stay positive) with analytic gradients; identical
customers are collapsed to one weighted row first.

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way: an
alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for customer base
analysis. *Journal of Marketing Research* 42(4), 415-430.
Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value (note).
Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing* 17(1), 9-24.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln, hyp2f1

from o2c.analytics.clv_fitting import MAX_ITERATIONS, FitFailed, Floats, as_floats, collapse, maximise
from o2c.analytics.clv_spend import (
    GammaGammaModel,
    GammaGammaParams,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from o2c.domain.errors import ValidationFailed

MIN_CUSTOMERS = 4  # BG/NBD has four parameters: fewer customers cannot identify them

__all__ = [
    "BGNBDModel",
    "BGNBDParams",
    "FitFailed",
    "GammaGammaModel",
    "GammaGammaParams",
    "bgnbd_log_likelihood",
    "discounted_clv",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
    "retention_clv",
]


# --- retention model ----------------------------------------------------------------------------


def retention_clv(margin: float, retention: float, discount_rate: float, periods: int | None) -> float:
    """Net present value of a customer's margin under a constant retention rate.

    .. math:: CLV = \\sum_{t=1}^{n} m \\, \\frac{r^t}{(1+d)^t}
              \\xrightarrow{n\\to\\infty} \\frac{m\\,r}{1+d-r}

    The margin of a period is earned at its end by a customer still retained (Gupta & Lehmann 2003).

    Parameters
    ----------
    margin : float
        Margin ``m`` per period of a retained customer.
    retention : float
        Probability ``r`` in [0, 1) that a customer of one period is still a customer the next.
    discount_rate : float
        Discount rate ``d`` >= 0 per period.
    periods : int or None
        Horizon ``n`` in periods; ``None`` for the infinite-horizon limit.
    """
    if not 0 <= retention < 1:
        raise ValidationFailed(f"retention {retention} must be in [0, 1)", field="retention")
    if discount_rate < 0:
        raise ValidationFailed(f"discount rate {discount_rate} is negative", field="discount_rate")
    ratio = retention / (1 + discount_rate)
    if periods is None:
        return margin * retention / (1 + discount_rate - retention)
    if periods < 0:
        raise ValidationFailed(f"periods {periods} is negative", field="periods")
    # Geometric sum m * q * (1 - q^n) / (1 - q) with q = r / (1 + d).
    return margin * ratio * (1 - ratio**periods) / (1 - ratio)


def _summary(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[Floats, Floats, Floats]:  # noqa: N803 (T as in the paper)
    x, tx, big_t = as_floats(frequency, "frequency"), as_floats(recency, "recency"), as_floats(T, "T")
    if not (len(x) == len(tx) == len(big_t)):
        raise ValidationFailed("frequency, recency and T must have the same length", field="frequency")
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise ValidationFailed("frequency must be non-negative whole numbers", field="frequency")
    if np.any(tx < 0) or np.any(tx > big_t + 1e-9):
        raise ValidationFailed("recency must lie between 0 and T", field="recency")
    if np.any((x == 0) & (tx != 0)):
        raise ValidationFailed("recency must be 0 for a customer without repeat purchases", field="recency")
    return x, tx, big_t


# --- BG/NBD -------------------------------------------------------------------------------------


class BGNBDParams(NamedTuple):
    """Purchase rate lambda ~ Gamma(r, alpha); dropout probability after each purchase p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class _Histories:
    """Customer rows with weights, and the total weight of each distinct frequency: terms that depend on
    x alone (the gamma and digamma functions) are evaluated once per distinct x, not once per row."""

    x: Floats
    tx: Floats
    t: Floats
    w: Floats
    distinct_x: Floats
    weight_of_x: Floats

    @classmethod
    def of(cls, x: Floats, tx: Floats, t: Floats, w: Floats | None = None) -> _Histories:
        weights = np.ones_like(x) if w is None else w
        distinct, inverse = np.unique(x, return_inverse=True)
        return cls(
            x, tx, t, weights, distinct, np.bincount(inverse.ravel(), weights=weights).astype(np.float64)
        )


def bgnbd_log_likelihood(
    params: BGNBDParams,
    frequency: Floats,
    recency: Floats,
    T: Floats,  # noqa: N803 (T as in the paper)
    weights: Floats | None = None,
) -> tuple[float, Floats]:
    """Log-likelihood of BG/NBD and its gradient with respect to ``log(r, alpha, a, b)``.

    .. math:: \\ell_i = \\ln\\frac{\\Gamma(r+x)\\,\\alpha^r}{\\Gamma(r)} + \\ln\\frac{B(a, b+x)}{B(a,b)}
              + \\ln\\Big[(\\alpha+T)^{-(r+x)} + \\delta_{x>0}\\frac{a}{b+x-1}(\\alpha+t_x)^{-(r+x)}\\Big]

    (Fader, Hardie & Lee 2005, eq. 6, with B(a+1, b+x-1)/B(a, b+x) = a/(b+x-1)), weighted by ``weights``.
    """
    return _bgnbd_log_likelihood(params, _Histories.of(frequency, recency, T, weights))


def _bgnbd_log_likelihood(params: BGNBDParams, h: _Histories) -> tuple[float, Floats]:
    r, alpha, a, b = params
    x, tx, big_t, w = h.x, h.tx, h.t, h.w
    repeat = x > 0
    log_alive = -(r + x) * np.log(alpha + big_t)
    log_dead = np.full_like(x, -np.inf)
    log_dead[repeat] = np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + tx[repeat])
    log_tail = np.logaddexp(log_alive, log_dead)
    share_dead = np.exp(log_dead - log_tail)  # weight of the "died after the last purchase" branch
    u, wu, n = h.distinct_x, h.weight_of_x, float(w.sum())
    total = float(
        n * (r * np.log(alpha) - gammaln(r) + gammaln(a + b) - gammaln(b))
        + np.dot(wu, gammaln(r + u) + gammaln(b + u) - gammaln(a + b + u))
        + np.dot(w, log_tail)
    )
    dab = n * digamma(a + b) - np.dot(wu, digamma(a + b + u))
    grad_r = (
        np.dot(wu, digamma(r + u))
        + n * (np.log(alpha) - digamma(r))
        - np.dot(w, (1 - share_dead) * np.log(alpha + big_t) + share_dead * np.log(alpha + tx))
    )
    grad_alpha = n * r / alpha - np.dot(
        w, (r + x) * ((1 - share_dead) / (alpha + big_t) + share_dead / (alpha + tx))
    )
    grad_a = dab + np.dot(w, share_dead) / a
    dead_b = np.dot(w[repeat], share_dead[repeat] / (b + x[repeat] - 1))
    grad_b = dab + np.dot(wu, digamma(b + u)) - n * digamma(b) - dead_b
    return total, np.array([grad_r, grad_alpha, grad_a, grad_b]) * np.array(params)


@dataclass(frozen=True)
class BGNBDModel:
    """A fitted BG/NBD model: parameters, maximised log-likelihood, and its predictions.

    Times (``t``, ``recency``, ``T``) are in the time unit the model was fitted in.
    """

    params: BGNBDParams
    log_likelihood: float
    customers: int
    evaluations: int

    def expected_purchases(self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Floats:  # noqa: N803 (T as in the paper)
        """Expected number of purchases in the next ``t`` periods of customers with this history.

        .. math:: E[Y(t)\\mid x,t_x,T] = \\frac{\\frac{a+b+x-1}{a-1}\\Big[1-\\big(\\frac{\\alpha+T}
                  {\\alpha+T+t}\\big)^{r+x}{}_2F_1\\big(r+x,b+x;a+b+x-1;\\frac{t}{\\alpha+T+t}\\big)\\Big]}
                  {1+\\delta_{x>0}\\frac{a}{b+x-1}\\big(\\frac{\\alpha+T}{\\alpha+t_x}\\big)^{r+x}}

        (Fader, Hardie & Lee 2005, eq. 10).
        """
        r, alpha, a, b = self.params
        x, tx, big_t = _summary(frequency, recency, T)
        hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + big_t + t))
        head = (
            (a + b + x - 1)
            / (a - 1)
            * (1 - np.exp((r + x) * np.log((alpha + big_t) / (alpha + big_t + t))) * hyp)
        )
        return np.asarray(head * self.p_alive(x, tx, big_t), dtype=np.float64)

    def expected_purchases_new(self, t: ArrayLike) -> Floats:
        """Expected purchases in ``(0, t]`` of a customer just acquired (unconditional E[X(t)], eq. 7)."""
        r, alpha, a, b = self.params
        time = np.asarray(t, dtype=np.float64)
        hyp = hyp2f1(r, b, a + b - 1, time / (alpha + time))
        return np.asarray((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + time)) ** r * hyp), dtype=np.float64)

    def p_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Floats:  # noqa: N803 (T as in the paper)
        """Probability that each customer is still active at ``T``.

        .. math:: P(\\text{alive}\\mid x,t_x,T) = 1 \\Big/ \\Big[1 + \\delta_{x>0}\\frac{a}{b+x-1}
                  \\Big(\\frac{\\alpha+T}{\\alpha+t_x}\\Big)^{r+x}\\Big]
        """
        r, alpha, a, b = self.params
        x, tx, big_t = _summary(frequency, recency, T)
        odds = np.zeros_like(x)
        repeat = x > 0
        odds[repeat] = np.exp(
            np.log(a / (b + x[repeat] - 1))
            + (r + x[repeat]) * np.log((alpha + big_t[repeat]) / (alpha + tx[repeat]))
        )
        return np.asarray(1 / (1 + odds), dtype=np.float64)


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803 (T as in the paper)
    *,
    max_iterations: int = MAX_ITERATIONS,
) -> BGNBDModel:
    """Fit BG/NBD by maximum likelihood.

    Parameters
    ----------
    frequency, recency, T : array_like
        Per customer: repeat transactions x, time of the last repeat purchase since the first t_x,
        and time from the first purchase to the end of calibration T (one time unit for all).
    max_iterations : int
        L-BFGS-B iterations allowed; a fit that has not converged by then raises ``FitFailed``, as do
        fewer customers than the model's four parameters and a cohort without any repeat purchase.

    Returns
    -------
    BGNBDModel
        ``params`` (``r``, ``alpha``, ``a``, ``b``), ``log_likelihood``, ``expected_purchases``,
        ``p_alive``.

    Examples
    --------
    >>> model = fit_bgnbd([2, 1, 0, 0, 3], [30.4, 1.7, 0, 0, 20.0], [38.9, 38.9, 38.9, 38.9, 38.9])
    >>> sorted(model.params._fields)
    ['a', 'alpha', 'b', 'r']
    """
    x, tx, big_t = _summary(frequency, recency, T)
    if len(x) < MIN_CUSTOMERS:
        raise FitFailed(
            f"BG/NBD: {len(x)} customer(s) are too few to fit four parameters (at least {MIN_CUSTOMERS})"
        )
    if not np.any(x > 0):
        raise FitFailed("BG/NBD: no customer made a repeat purchase; the purchase rate cannot be estimated")
    (cx, ctx, ct), weights = collapse(x, tx, big_t)
    histories = _Histories.of(cx, ctx, ct, weights)
    # Start from a rate matching the observed repeat rate (r = 1, so E[lambda] = 1 / alpha).
    start = np.array([1.0, max(float(big_t.sum()) / max(float(x.sum()), 1.0), 1e-3), 1.0, 1.0])

    def negative(log_params: Floats) -> tuple[float, Floats]:
        value, gradient = _bgnbd_log_likelihood(BGNBDParams(*np.exp(log_params)), histories)
        return -value, -gradient

    fitted, ll, evaluations = maximise(negative, start, "BG/NBD", max_iterations)
    return BGNBDModel(BGNBDParams(*map(float, fitted)), ll, len(x), evaluations)


# --- discounted CLV -----------------------------------------------------------------------------


def discounted_clv(
    purchases: BGNBDModel,
    spend: GammaGammaModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803 (T as in the paper)
    monetary_value: ArrayLike,
    *,
    horizon: float,
    discount_rate: float,
    margin: float = 1.0,
    steps: int | None = None,
) -> Floats:
    """Discounted expected margin of each customer over the next ``horizon`` time units.

    .. math:: CLV = m \\, E[Z\\mid x,\\bar z] \\sum_{k=1}^{K}
              \\frac{E[Y(t_k)\\mid x,t_x,T] - E[Y(t_{k-1})\\mid x,t_x,T]}{(1+d)^{t_k}},
              \\quad t_k = k\\,\\frac{\\text{horizon}}{K}

    Purchases expected in each step are discounted to its end.

    Parameters
    ----------
    horizon : float
        Length of the horizon, in the models' time unit.
    discount_rate : float
        Discount rate ``d`` per time unit (e.g. 0.0019 per week for 10 % a year).
    margin : float
        Profit margin ``m`` as a fraction of spend (1.0 values revenue).
    steps : int, optional
        Number ``K`` of discounting steps; default one per time unit (``ceil(horizon)``).
    """
    if horizon <= 0:
        raise ValidationFailed(f"horizon {horizon} must be positive", field="horizon")
    if discount_rate < 0:
        raise ValidationFailed(f"discount rate {discount_rate} is negative", field="discount_rate")
    count = steps or max(math.ceil(horizon), 1)
    value = spend.expected_average_value(frequency, monetary_value)
    previous = np.zeros_like(value)
    total = np.zeros_like(value)
    for k in range(1, count + 1):
        t = horizon * k / count
        cumulative = purchases.expected_purchases(t, frequency, recency, T)
        total += (cumulative - previous) / (1 + discount_rate) ** t
        previous = cumulative
    return np.asarray(margin * value * total, dtype=np.float64)
