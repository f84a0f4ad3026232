"""Lifetime value of every customer of a transaction log: fit, predict, and check against a holdout.

:func:`value_customers` is what ``o2c clv fit`` and the API call: it fits BG/NBD on the calibration
summary, Gamma-Gamma where amounts are known, and returns per-customer expected purchases over the
horizon, P(alive) and discounted CLV, and, with a holdout period, predicted against actual purchases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from o2c.analytics.clv import BGNBDModel, GammaGammaModel, discounted_clv, fit_bgnbd, fit_gamma_gamma
from o2c.analytics.clv_fitting import MAX_ITERATIONS
from o2c.analytics.clv_summary import CustomerSummary, TimeUnit
from o2c.domain.errors import ValidationFailed

DAYS_PER_YEAR = 365.0


def per_unit_rate(annual_rate: float, time_unit: TimeUnit) -> float:
    """The discount rate per time unit equivalent to ``annual_rate``: (1 + d)^(days / 365) - 1."""
    if annual_rate < 0:
        raise ValidationFailed(f"discount rate {annual_rate} is negative", field="discount_rate")
    return float((1 + annual_rate) ** (time_unit.days / DAYS_PER_YEAR) - 1)


@dataclass(frozen=True)
class HoldoutCheck:
    """Predicted against actual purchases in the holdout, overall and by calibration frequency."""

    length: float
    predicted: NDArray[np.float64]
    actual: NDArray[np.float64]
    groups: list[tuple[str, int, float, float]]  # (frequency label, customers, mean predicted, mean actual)

    @property
    def mean_absolute_error(self) -> float:
        return float(np.mean(np.abs(self.predicted - self.actual)))


@dataclass(frozen=True)
class CustomerValuation:
    summary: CustomerSummary
    purchases: BGNBDModel
    spend: GammaGammaModel | None
    horizon: float
    expected_purchases: NDArray[np.float64]
    p_alive: NDArray[np.float64]
    expected_value: NDArray[np.float64] | None  # expected average transaction value (Gamma-Gamma)
    clv: NDArray[np.float64] | None
    holdout: HoldoutCheck | None


def _holdout(summary: CustomerSummary, model: BGNBDModel, top_group: int = 7) -> HoldoutCheck | None:
    if summary.holdout_frequency is None or summary.holdout_length is None:
        return None
    predicted = model.expected_purchases(
        summary.holdout_length, summary.frequency, summary.recency, summary.T
    )
    actual = summary.holdout_frequency
    groups = []
    for x in range(top_group + 1):
        members = summary.frequency >= x if x == top_group else summary.frequency == x
        if np.any(members):
            label = f"{x}+" if x == top_group else str(x)
            groups.append(
                (label, int(members.sum()), float(predicted[members].mean()), float(actual[members].mean()))
            )
    return HoldoutCheck(summary.holdout_length, predicted, actual, groups)


def value_customers(
    summary: CustomerSummary,
    *,
    horizon: float,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    max_iterations: int = MAX_ITERATIONS,
) -> CustomerValuation:
    """Fit the models on ``summary`` and value each customer over ``horizon`` time units.

    Gamma-Gamma is fitted on customers with repeat purchases of positive mean value; without amounts
    (all NaN) there is no spend model and no CLV. ``margin`` turns expected revenue into profit.
    """
    purchases = fit_bgnbd(summary.frequency, summary.recency, summary.T, max_iterations=max_iterations)
    expected = purchases.expected_purchases(horizon, summary.frequency, summary.recency, summary.T)
    alive = purchases.p_alive(summary.frequency, summary.recency, summary.T)
    spend = value = clv = None
    if not np.all(np.isnan(summary.monetary_value)):
        money = np.nan_to_num(summary.monetary_value)
        usable = (summary.frequency > 0) & (money > 0)
        spend = fit_gamma_gamma(summary.frequency[usable], money[usable], max_iterations=max_iterations)
        value = spend.expected_average_value(summary.frequency, money)
        clv = discounted_clv(
            purchases,
            spend,
            summary.frequency,
            summary.recency,
            summary.T,
            money,
            horizon=horizon,
            discount_rate=per_unit_rate(annual_discount_rate, summary.time_unit),
            margin=margin,
        )
    return CustomerValuation(
        summary, purchases, spend, horizon, expected, alive, value, clv, _holdout(summary, purchases)
    )
