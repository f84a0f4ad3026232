"""Service-level economics: safety stock and its holding cost for target cycle service levels.

Per SKU, from the history in a window (DOMAIN.md, "Customer analytics"):

* demand per day d and its standard deviation sigma_d: units ordered per UTC day of order receipt,
  every day of the window counted (a day without orders is 0); sample standard deviation (n - 1);
* replenishment lead time LT and sigma_LT in days: purchase order created -> goods received, over the
  receipt lines of the SKU received in the window (sample standard deviation; 0 with one receipt);
  a SKU never received uses the lead time of all receipts in the window, or ``default_lead_time_days``
  (sigma 0) when there is none;
* safety stock for a cycle service level CSL: ``SS = z * sqrt(LT * sigma_d^2 + d^2 * sigma_LT^2)``
  with ``z = Phi^-1(CSL)`` (standard normal quantile);
* holding cost per year = SS * unit (standard) cost * annual holding rate.

The totals over SKUs for 80 % ... 99.9 % show the convex cost of service: each extra point costs more
than the one before, which is why near-100 % service becomes unprofitable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm
from sqlalchemy import Connection, Float, cast, func, select

from o2c.analytics.periods import Period, Window, bucket, labels_between, seconds_between
from o2c.domain.errors import ValidationFailed
from o2c.store.master_tables import products
from o2c.store.supply_tables import purchase_orders, receipt_lines, receipts
from o2c.store.tables import order_lines, orders

SERVICE_LEVELS = (0.80, 0.85, 0.90, 0.95, 0.975, 0.98, 0.99, 0.995, 0.999)
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class ServiceLevelCost:
    service_level: float
    z: float
    safety_stock: float  # units
    holding_cost: float  # per year


@dataclass(frozen=True)
class SkuServiceEconomics:
    sku: str
    unit_cost: Decimal
    demand_per_day: float
    demand_sd: float
    lead_time_days: float
    lead_time_sd: float
    lead_time_observed: bool  # False: the fallback lead time was used
    levels: list[ServiceLevelCost]


def safety_stock(z: float, demand: float, demand_sd: float, lead_time: float, lead_time_sd: float) -> float:
    """``z * sqrt(LT * sigma_d^2 + d^2 * sigma_LT^2)`` (demand and lead time in the same time unit)."""
    return z * math.sqrt(lead_time * demand_sd**2 + demand**2 * lead_time_sd**2)


def _daily_demand(conn: Connection, window: Window) -> dict[str, NDArray[np.float64]]:
    day = bucket(orders.c.received_at, Period.DAY, conn.dialect.name).label("day")
    statement = (
        select(products.c.sku, day, func.sum(order_lines.c.qty_ordered))
        .select_from(
            order_lines.join(orders, orders.c.id == order_lines.c.order_id).join(
                products, products.c.id == order_lines.c.product_id
            )
        )
        .where(*window.contains(orders.c.received_at))
        .group_by(products.c.sku, day)
    )
    assert window.start is not None and window.end is not None
    days = {label: i for i, label in enumerate(labels_between(window.start, window.end, Period.DAY))}
    series: dict[str, NDArray[np.float64]] = {}
    for sku, label, units in conn.execute(statement):  # one row per SKU and day
        series.setdefault(sku, np.zeros(len(days)))[days[label]] += int(units)
    return series


def _lead_times(
    conn: Connection, window: Window
) -> tuple[dict[str, tuple[int, float, float]], tuple[int, float, float]]:
    seconds = seconds_between(purchase_orders.c.created_at, receipts.c.received_at, conn.dialect.name)
    days = cast(seconds, Float) / SECONDS_PER_DAY
    source = receipt_lines.join(receipts, receipts.c.id == receipt_lines.c.receipt_id).join(
        purchase_orders, purchase_orders.c.id == receipts.c.purchase_order_id
    )
    parts = (func.count(), func.sum(days), func.sum(days * days))
    where = window.contains(receipts.c.received_at)
    per_sku = select(products.c.sku, *parts).select_from(
        source.join(products, products.c.id == receipt_lines.c.product_id)
    )
    rows = conn.execute(per_sku.where(*where).group_by(products.c.sku)).all()
    overall = conn.execute(select(*parts).select_from(source).where(*where)).one()
    return {r[0]: (int(r[1]), float(r[2]), float(r[3])) for r in rows}, (
        int(overall[0]),
        float(overall[1] or 0),
        float(overall[2] or 0),
    )


def _mean_sd(n: int, total: float, squares: float) -> tuple[float, float]:
    mean = total / n
    variance = (squares - n * mean * mean) / (n - 1) if n > 1 else 0.0
    return mean, math.sqrt(max(variance, 0.0))


def service_economics(
    conn: Connection,
    window: Window,
    *,
    service_levels: tuple[float, ...] = SERVICE_LEVELS,
    holding_rate: float = 0.25,
    default_lead_time_days: float = 14.0,
) -> list[SkuServiceEconomics]:
    """Safety stock and yearly holding cost per SKU for each target cycle service level.

    Parameters
    ----------
    window : Window
        The history demand and lead times are measured over; it must be bounded.
    service_levels : tuple of float
        Target cycle service levels, each in (0, 1).
    holding_rate : float
        Yearly holding cost as a fraction of the unit cost (capital, storage, risk).
    default_lead_time_days : float
        Lead time when no receipt at all was recorded in the window.
    """
    if window.start is None or window.end is None:
        raise ValidationFailed("service economics need a bounded period (--from and --to)", field="from")
    if not all(0 < s < 1 for s in service_levels):
        raise ValidationFailed("service levels must lie strictly between 0 and 1", field="service_level")
    if holding_rate < 0:
        raise ValidationFailed(f"holding rate {holding_rate} is negative", field="holding_rate")
    demand = _daily_demand(conn, window)
    per_sku, overall = _lead_times(conn, window)
    fallback = _mean_sd(*overall) if overall[0] else (default_lead_time_days, 0.0)
    costs = {sku: cost for sku, cost in conn.execute(select(products.c.sku, products.c.standard_cost))}
    zs = [float(norm.ppf(s)) for s in service_levels]
    rows = []
    for sku in sorted(demand):
        series = demand[sku]
        d, sd = float(series.mean()), float(series.std(ddof=1)) if len(series) > 1 else 0.0
        observed = sku in per_sku
        lt, lt_sd = _mean_sd(*per_sku[sku]) if observed else fallback
        unit_cost = costs[sku]
        levels = []
        for level, z in zip(service_levels, zs, strict=True):
            stock = safety_stock(z, d, sd, lt, lt_sd)
            levels.append(ServiceLevelCost(level, z, stock, stock * float(unit_cost) * holding_rate))
        rows.append(SkuServiceEconomics(sku, unit_cost, d, sd, lt, lt_sd, observed, levels))
    return rows


def totals_by_level(rows: list[SkuServiceEconomics]) -> list[ServiceLevelCost]:
    """Safety stock units and holding cost summed over SKUs, per service level (z per level kept)."""
    if not rows:
        return []
    return [
        ServiceLevelCost(
            level.service_level,
            level.z,
            sum(r.levels[i].safety_stock for r in rows),
            sum(r.levels[i].holding_cost for r in rows),
        )
        for i, level in enumerate(rows[0].levels)
    ]


def totals_by_class(
    rows: list[SkuServiceEconomics], classes: Mapping[str, str]
) -> dict[str, list[ServiceLevelCost]]:
    """:func:`totals_by_level` per class of SKU (e.g. the ABC class of
    :func:`o2c.analytics.abc_xyz.classify`); a SKU without a class is counted as ``"-"``."""
    groups: dict[str, list[SkuServiceEconomics]] = {}
    for row in rows:
        groups.setdefault(classes.get(row.sku, "-"), []).append(row)
    return {name: totals_by_level(groups[name]) for name in sorted(groups)}
