"""Bulk demand and what became of it: orders, lines and their quantities and stage times, as arrays.

The same model as the simulation, drawn with NumPy for a year at once: customers by Pareto weight,
lines by SKU popularity, lognormal quantities, segment discounts and regional tax. A line entered
while its SKU-location was in a stockout episode (:mod:`o2c.sim.bulk_supply`) is short at entry:
``cancel_remainder`` customers lose the shortfall, the others backorder it until the episode ends
(10 % cancel it first). ``allow_partial`` orders ship what was there and the rest once it arrives;
``ship_complete`` orders wait for all of it. 2 % of orders are cancelled within hours of entry.
Everything after the as-of instant has not happened yet: those orders are still open, in the
warehouse, or on the road.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from o2c.sim.bulk_supply import DAY, Episodes

HOUR = 3600
I64 = NDArray[np.int64]
B = NDArray[np.bool_]
POLICIES = ("allow_partial", "ship_complete", "cancel_remainder")
CHANNELS = ("web", "edi", "phone", "sales_rep", "marketplace")
TRANSMITTAL_HOURS = np.array([0.02, 0.8, 0.0, 24.0, 1.0])  # mean per channel, in CHANNELS order


@dataclass
class Customers:
    weight: NDArray[np.float64]
    policy: I64  # index into POLICIES
    channel: I64  # index into CHANNELS
    region: I64  # index of the home DC
    lines_mean: NDArray[np.float64]
    qty_scale: NDArray[np.float64]
    discount_u: I64  # millionths
    tax_u: I64  # millionths
    terms_days: I64
    late_days: NDArray[np.float64]


@dataclass
class Skus:
    popularity: NDArray[np.float64]
    qty_mean: NDArray[np.float64]
    sigma: NDArray[np.float64]
    price_c: I64  # cents
    cost_u: I64  # 1/10 000
    weight_g: I64


@dataclass
class Lines:
    order: I64
    sku: I64
    location: I64
    qty: I64
    at_entry: I64
    lost: I64
    short: I64  # backordered at entry
    filled_at: I64  # when the backorder was allocated (episode end)
    dropped_at: I64  # when the customer cancelled the backorder (-1: never)
    unit_c: I64
    discount_c: I64
    net_c: I64
    tax_c: I64


@dataclass
class Orders:
    customer: I64
    received: I64
    sent: I64
    requested_day: I64  # -1: none
    cancelled_at: I64  # -1: not cancelled by the customer
    lines: Lines


def _round_rate(amount: I64, rate_u: I64) -> I64:
    """``amount * rate`` rounded half up, for non-negative amounts and rates in millionths."""
    return (amount * rate_u + 500_000) // 1_000_000


def draw_orders(
    rng: np.random.Generator,
    customers: Customers,
    skus: Skus,
    episodes: Episodes,
    locations: int,
    count: int,
    t0: int,
    days: int,
) -> Orders:
    weekdays = np.array([d for d in range(days) if (t0 // DAY + d + 3) % 7 < 5])  # 1970-01-01 was a Thursday
    cust = rng.choice(customers.weight.size, size=count, p=customers.weight / customers.weight.sum())
    day = np.sort(rng.choice(weekdays, size=count))
    received = t0 + day * DAY + rng.uniform(7.5 * HOUR, 18.5 * HOUR, size=count).astype(np.int64)
    channel = customers.channel[cust]
    sent = received - (rng.exponential(TRANSMITTAL_HOURS[channel]) * HOUR).astype(np.int64)
    requested = np.where(rng.random(count) < 0.3, received // DAY + rng.integers(3, 15, size=count), -1)
    n_lines = 1 + rng.poisson(customers.lines_mean[cust] - 1)
    order = np.repeat(np.arange(count), n_lines)
    lines = _lines(rng, customers, skus, episodes, locations, cust, received, order, t0)
    cancelled = np.where(
        rng.random(count) < 0.02,
        received + rng.uniform(0.3 * HOUR, 8 * HOUR, size=count).astype(np.int64),
        -1,
    )
    return Orders(cust, received, sent, requested.astype(np.int64), cancelled.astype(np.int64), lines)


def _lines(
    rng: np.random.Generator,
    customers: Customers,
    skus: Skus,
    episodes: Episodes,
    locations: int,
    cust: I64,
    received: I64,
    order: I64,
    t0: int,
) -> Lines:
    m = order.size
    line_cust = cust[order]
    sku = rng.choice(skus.popularity.size, size=m, p=skus.popularity / skus.popularity.sum())
    home = customers.region[line_cust]
    away = rng.random(m) < 0.1
    location = np.where(away, (home + rng.integers(1, locations, size=m)) % locations, home)
    sigma = skus.sigma[sku]
    draw = rng.lognormal(-sigma * sigma / 2, sigma)
    qty = np.clip(np.floor(skus.qty_mean[sku] * customers.qty_scale[line_cust] * draw + 0.5), 1, 100_000)
    qty = qty.astype(np.int64)
    at = received[order]
    inside, ends = episodes.covering(sku * locations + location, at, 2**33)
    partly = rng.random(m) < 0.4
    at_entry = np.where(inside, np.where(partly, np.floor(qty * rng.uniform(0, 1, size=m)), 0), qty).astype(
        np.int64
    )
    short = qty - at_entry
    cuts = customers.policy[line_cust] == POLICIES.index("cancel_remainder")
    lost = np.where(cuts, short, 0)
    backordered = short - lost
    filled_at = np.where(backordered > 0, ends, -1)
    drops = (backordered > 0) & (rng.random(m) < 0.1)
    dropped_at = np.where(drops, at + ((filled_at - at) * rng.uniform(0.2, 0.9, size=m)).astype(np.int64), -1)
    gross = skus.price_c[sku] * qty
    discount = _round_rate(gross, customers.discount_u[line_cust])
    net = gross - discount
    return Lines(
        order,
        sku,
        location.astype(np.int64),
        qty,
        at_entry,
        lost,
        backordered,
        filled_at.astype(np.int64),
        dropped_at.astype(np.int64),
        skus.price_c[sku],
        discount,
        net,
        _round_rate(net, customers.tax_u[line_cust]),
    )
