"""Allocation of on-hand stock to order lines at entry, honouring the customer's backorder policy.

A pure function over a snapshot of availability: the store locks the stock rows (in a fixed order)
before taking the snapshot and applies the result with guarded updates, so the decision made here is
never stale when it is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from o2c.domain.order import BackorderPolicy
from o2c.domain.values import quick_init


@quick_init
@dataclass(frozen=True)
class StockPosition:
    """Available stock of one product at one location."""

    stock_id: int
    product_id: int
    location_id: int
    region: str
    available: int


@quick_init
@dataclass(frozen=True)
class LineDemand:
    line_no: int
    product_id: int
    quantity: int


@quick_init
@dataclass(frozen=True)
class LineReservation:
    line_no: int
    product_id: int
    location_id: int | None
    stock_id: int | None
    allocated: int
    backordered: int
    lost: int


def allocate(
    demands: Sequence[LineDemand],
    positions: Iterable[StockPosition],
    policy: BackorderPolicy,
    ship_to_region: str,
) -> list[LineReservation]:
    """Reserve stock for each line from one location; the shortfall follows ``policy``.

    A line is sourced from the first location, in order of preference, that covers it whole; when
    none does, from the one with most available (on a tie, the ship-to's region, then the lowest
    location id: where a line with nothing reserved waits until promising finds where supply reaches
    the ship-to first). Preference: the ship-to's own region, then most
    available, then lowest location id (deterministic). Lines of the same product draw on the same
    remaining availability, in line order.
    """
    remaining: dict[int, int] = {}
    by_product: dict[int, list[StockPosition]] = {}
    for pos in positions:
        remaining[pos.stock_id] = pos.available
        by_product.setdefault(pos.product_id, []).append(pos)
    reservations = []
    for demand in demands:
        candidates = by_product.get(demand.product_id, [])
        source = _choose_source(candidates, remaining, demand.quantity, ship_to_region)
        take = min(demand.quantity, remaining[source.stock_id]) if source else 0
        if source is not None:
            remaining[source.stock_id] -= take
        short = demand.quantity - take
        lost = short if policy is BackorderPolicy.CANCEL_REMAINDER else 0
        reservations.append(
            LineReservation(
                line_no=demand.line_no,
                product_id=demand.product_id,
                location_id=source.location_id if source else None,
                stock_id=source.stock_id if source else None,
                allocated=take,
                backordered=short - lost,
                lost=lost,
            )
        )
    return reservations


def _choose_source(
    candidates: list[StockPosition], remaining: dict[int, int], quantity: int, region: str
) -> StockPosition | None:
    # The most preferred position that covers the line whole, else the fullest: a pass over the
    # few candidates (a product is stocked at a handful of locations), no sorting.
    covering: StockPosition | None = None
    covering_rank: tuple[bool, int, int] | None = None
    fullest: StockPosition | None = None
    fullest_rank: tuple[int, bool, int] | None = None
    for pos in candidates:
        left = remaining[pos.stock_id]
        if left >= quantity:
            rank = (pos.region != region, -left, pos.location_id)
            if covering_rank is None or rank < covering_rank:
                covering, covering_rank = pos, rank
        elif covering is None:
            full = (left, pos.region == region, -pos.location_id)
            if fullest_rank is None or full > fullest_rank:
                fullest, fullest_rank = pos, full
    return covering if covering is not None else fullest
