"""Bulk fulfilment: each order's warehouse cycles, shipments, deliveries and where it stands at the
as-of instant, as arrays (one or two shipments an order: what was there at entry, then the filled
backorders; ``ship_complete`` orders ship once, when all is there)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from o2c.sim.bulk_orders import HOUR, POLICIES, Orders
from o2c.sim.bulk_supply import DAY

I64 = NDArray[np.int64]
B = NDArray[np.bool_]
NEVER = np.iinfo(np.int64).max // 4


def _any(flags: B, order: I64, count: int) -> B:
    return np.bincount(order, weights=flags.astype(np.float64), minlength=count) > 0


def _max(values: I64, order: I64, count: int, initial: int = -1) -> I64:
    out = np.full(count, initial, dtype=np.int64)
    np.maximum.at(out, order, values)
    return out


@dataclass
class Cycle:
    """One pass through the warehouse: release, pick, pack, ship; then delivery."""

    released: I64
    picked: I64
    packed: I64
    shipped: I64
    delivered: I64
    carrier: I64

    @staticmethod
    def after(
        rng: np.random.Generator,
        base: I64,
        transit: I64,
        carriers: int,
        express: B,
        delay: NDArray[np.float64],
    ) -> Cycle:
        n = base.size
        released = base + (rng.lognormal(np.log(4.0), 0.8, size=n) * HOUR).astype(np.int64)
        picked = released + rng.uniform(0.5 * HOUR, 2.5 * HOUR, size=n).astype(np.int64)
        packed = picked + rng.uniform(0.2 * HOUR, 1.0 * HOUR, size=n).astype(np.int64)
        shipped = packed + rng.uniform(0.5 * HOUR, 8 * HOUR, size=n).astype(np.int64)
        carrier = rng.integers(0, carriers, size=n)
        days = np.where(express[carrier], 1, transit) + np.where(
            rng.random(n) < delay[carrier], rng.integers(1, 4, size=n), 0
        )
        arrival_day = shipped // DAY + days
        delivered = arrival_day * DAY + rng.uniform(9 * HOUR, 17 * HOUR, size=n).astype(np.int64)
        return Cycle(released, picked, packed, shipped, np.maximum(delivered, shipped + HOUR), carrier)


@dataclass
class Flow:
    """Where every order and line stands at the as-of instant."""

    status: list[str]
    cancelled_at: I64  # -1: not cancelled
    first: Cycle
    second: Cycle
    done1: B  # shipment 1 happened (per order)
    done2: B
    part1: I64  # per line: units of shipment 1
    part2: I64
    allocated: I64  # per line, at as-of
    backordered: I64
    cancelled: I64
    shipped: I64
    picked: I64
    packed: I64
    dropped: B  # per line: the customer cancelled its backorder by as-of
    early: B  # per order: cancelled by the customer before shipping


def plan_flow(
    rng: np.random.Generator,
    orders: Orders,
    policy: I64,
    transit: I64,
    carriers: int,
    express: B,
    delay: NDArray[np.float64],
    as_of: int,
) -> Flow:
    lines = orders.lines
    n, order = orders.received.size, lines.order
    line_policy = policy[orders.customer][order]
    complete = line_policy == POLICIES.index("ship_complete")
    waits = _any(complete & (lines.short > 0), order, n)[order]  # ship-complete order with a shortfall
    kept = np.where(lines.dropped_at >= 0, 0, lines.short)  # backorders the customer will not drop
    part1 = np.where(waits, 0, lines.at_entry)
    part2 = np.where(waits, lines.at_entry + kept, kept)
    has1, has2 = _any(part1 > 0, order, n), _any(part2 > 0, order, n)
    first = Cycle.after(rng, orders.received, transit, carriers, express, delay)
    settled = np.where(lines.dropped_at >= 0, lines.dropped_at, lines.filled_at)
    base2 = np.maximum(
        _max(np.where(lines.short > 0, settled, -1), order, n), np.where(has1, first.shipped, 0)
    )
    second = Cycle.after(rng, np.maximum(base2, orders.received), transit, carriers, express, delay)
    first_ship = np.where(has1, first.shipped, np.where(has2, second.shipped, NEVER))
    early = (orders.cancelled_at >= 0) & (orders.cancelled_at < first_ship) & (orders.cancelled_at <= as_of)
    done1 = has1 & (first.shipped <= as_of) & ~early
    done2 = has2 & (second.shipped <= as_of) & ~early
    early_line = early[order]
    dropped = (lines.dropped_at >= 0) & (lines.dropped_at <= as_of) & ~early_line
    shipped = part1 * done1[order] + part2 * done2[order]
    cancelled = np.where(early_line, lines.qty - lines.lost, np.where(dropped, lines.short, 0))
    shipped = np.where(early_line, 0, shipped)
    nothing = ~has1 & ~has2 & ~early
    nothing_at = np.maximum(orders.received + HOUR, _max(lines.dropped_at, order, n))
    gone = nothing & (nothing_at <= as_of)
    cancelled = np.where(gone[order], lines.qty - lines.lost, cancelled)
    rest = lines.qty - lines.lost - cancelled - shipped
    waiting = (lines.short > 0) & ~dropped & (lines.filled_at > as_of) & ~early_line & ~gone[order]
    backordered = np.where(waiting, np.minimum(lines.short, rest), 0)
    allocated = rest - backordered
    status, stage = _status(orders, first, second, has1, has2, done1, done2, early, gone, as_of)
    picked = np.where(np.isin(stage[order], (1, 2)), allocated, 0)
    packed = np.where(stage[order] == 2, allocated, 0)
    cancelled_at = np.where(early, orders.cancelled_at, np.where(gone, nothing_at, -1))
    return Flow(
        status,
        cancelled_at,
        first,
        second,
        done1,
        done2,
        part1,
        part2,
        allocated,
        backordered,
        cancelled,
        shipped,
        picked,
        packed,
        dropped,
        early,
    )


def _status(
    orders: Orders,
    first: Cycle,
    second: Cycle,
    has1: B,
    has2: B,
    done1: B,
    done2: B,
    early: B,
    gone: B,
    as_of: int,
) -> tuple[list[str], I64]:
    """Status per order, and the warehouse stage of a pending cycle (0 released, 1 picked, 2 packed)."""
    pending1 = has1 & ~done1
    pending2 = has2 & ~done2
    cycle = np.where(pending1, 1, np.where(pending2, 2, 0))
    rel = np.where(cycle == 1, first.released, second.released)
    pick = np.where(cycle == 1, first.picked, second.picked)
    pack = np.where(cycle == 1, first.packed, second.packed)
    stage = np.where(pack <= as_of, 2, np.where(pick <= as_of, 1, np.where(rel <= as_of, 0, -1)))
    delivered = (~has1 | (first.delivered <= as_of)) & (~has2 | (second.delivered <= as_of))
    names = np.where(
        early | gone,
        "cancelled",
        np.where(
            cycle > 0,
            np.where(
                stage >= 0,
                np.array(["released", "picked", "packed"])[np.maximum(stage, 0)],
                np.where(done1, "partially_shipped", "open"),
            ),
            np.where(~has1 & ~has2, "open", np.where(delivered, "delivered", "shipped")),
        ),
    )
    return names.tolist(), np.where(cycle > 0, stage, -1)
