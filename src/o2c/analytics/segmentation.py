"""Customer and SKU segmentations: profitability zones, Pareto (80/20), ABC and XYZ classes.

Pure functions over per-customer or per-SKU figures (the SQL that produces them lives in
:mod:`o2c.analytics.profitability` and :mod:`o2c.analytics.abc_xyz`).

* **Zones** (x: cost-to-serve, y: net sales; split at the medians or at given thresholds; "high" means
  strictly above the split): Protect (high sales, low cost), Improve (high sales, high cost), Build
  (low sales, low cost), Danger (low sales, high cost), each with its recommended action.
* **Pareto**: customers ranked by profit; the "vital few" are those needed to reach 80 % of the total
  positive profit (the whale curve can exceed 100 % before the loss makers bring it back).
* **ABC** by cumulative share of revenue: an item is A while the share of the items *before* it is
  below 80 %, B below 95 %, else C (items with no positive revenue are C).
* **XYZ** by the coefficient of variation (population standard deviation / mean, periods without
  demand counted as 0) of demand per period: X <= 0.5, Y <= 1.0, Z above (or no demand at all).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from o2c.domain.errors import ValidationFailed


class Zone(StrEnum):
    PROTECT = "protect"
    IMPROVE = "improve"
    BUILD = "build"
    DANGER = "danger"


ACTIONS: dict[Zone, str] = {
    Zone.PROTECT: "protect the relationship: high sales at low cost to serve",
    Zone.IMPROVE: "improve or transform the supply chain: cut the cost to serve high sales",
    Zone.BUILD: "build the relationship: grow sales, cheap to serve",
    Zone.DANGER: "influence, upcharge, shift to a cheaper channel, or avoid",
}


@dataclass(frozen=True)
class ZoneSplit:
    """Where the zone grid is cut: net sales and cost-to-serve above these are "high"."""

    net_sales: Decimal
    cost_to_serve: Decimal
    at_medians: bool


def zone_split(
    net_sales: Sequence[Decimal],
    cost_to_serve: Sequence[Decimal],
    *,
    sales_threshold: Decimal | None = None,
    cost_threshold: Decimal | None = None,
) -> ZoneSplit:
    """The split of the zone grid: the given thresholds, or else the medians of the customers."""
    if not net_sales and (sales_threshold is None or cost_threshold is None):
        return ZoneSplit(Decimal(0), Decimal(0), at_medians=True)
    sales = sales_threshold if sales_threshold is not None else statistics.median(net_sales)
    cost = cost_threshold if cost_threshold is not None else statistics.median(cost_to_serve)
    return ZoneSplit(sales, cost, at_medians=sales_threshold is None and cost_threshold is None)


def zone_of(net_sales: Decimal, cost_to_serve: Decimal, split: ZoneSplit) -> Zone:
    high_sales = net_sales > split.net_sales
    high_cost = cost_to_serve > split.cost_to_serve
    if high_sales:
        return Zone.IMPROVE if high_cost else Zone.PROTECT
    return Zone.DANGER if high_cost else Zone.BUILD


# --- Pareto ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParetoRank:
    key: str
    value: Decimal
    cumulative_share: float  # of the total positive value, this item included
    vital_few: bool


@dataclass(frozen=True)
class Pareto:
    ranks: list[ParetoRank]
    cutoff: float
    vital_few: int  # items needed to reach the cutoff

    @property
    def share_of_items(self) -> float:
        return self.vital_few / len(self.ranks) if self.ranks else 0.0


def pareto(values: Mapping[str, Decimal], cutoff: float = 0.8) -> Pareto:
    """Rank items by value, largest first, with their cumulative share of the total positive value.

    Items are in the vital few while the share of those before them is below ``cutoff``.
    """
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    positive = sum((v for _, v in ordered if v > 0), Decimal(0))
    ranks: list[ParetoRank] = []
    running = Decimal(0)
    for key, value in ordered:
        before = float(running / positive) if positive else 1.0
        running += value
        share = float(running / positive) if positive else 0.0
        ranks.append(ParetoRank(key, value, share, vital_few=value > 0 and before < cutoff))
    return Pareto(ranks, cutoff, sum(r.vital_few for r in ranks))


# --- ABC / XYZ -------------------------------------------------------------------------------------


def abc_classes(values: Mapping[str, Decimal], a: float = 0.80, b: float = 0.95) -> dict[str, str]:
    """ABC class of each item by its cumulative share of the total (positive) value."""
    if not 0 < a < b <= 1:
        raise ValidationFailed(f"ABC cut-offs must satisfy 0 < A ({a}) < B ({b}) <= 1", field="abc")
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum((v for _, v in ordered if v > 0), Decimal(0))
    classes: dict[str, str] = {}
    running = Decimal(0)
    for key, value in ordered:
        before = float(running / total) if total else 1.0
        classes[key] = "C" if value <= 0 else "A" if before < a else "B" if before < b else "C"
        running += max(value, Decimal(0))
    return classes


def coefficients_of_variation(demand: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per row of a (items * periods) demand matrix: population standard deviation / mean (inf when
    the mean is 0)."""
    mean = demand.mean(axis=1)
    std = demand.std(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean > 0, std / np.where(mean > 0, mean, 1), np.inf)


def xyz_class(cv: float, x: float = 0.5, y: float = 1.0) -> str:
    if not 0 < x < y:
        raise ValidationFailed(f"XYZ cut-offs must satisfy 0 < X ({x}) < Y ({y})", field="xyz")
    return "X" if cv <= x else "Y" if cv <= y else "Z"
