"""The lines a backorder allocation leaves waiting, to be re-promised (:mod:`o2c.services.backorders`,
step 5), and what re-promising them needs: read with the rows locked *before* the plan is made, so
that once it is made nothing more is read and its writes go to the server back to back
(:mod:`o2c.store.pipeline`) while the new dates are worked out beside them.

Which rows will fill a line is known only from the plan, so the reads cover every row that may: one
with stock available and a promised line waiting for its product. What the plan does not fill is
dropped unread by anyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from o2c.domain.allocation import StockPosition
from o2c.services.backorder_plan import BackorderPlan
from o2c.services.repromising import stored_supply
from o2c.store.backorders import BackorderRepository, WaitingLine
from o2c.store.supply_demand import FINISHED_ORDER_STATUSES, SupplyAndDemand
from o2c.store.supply_plan import BackorderedLine, SupplyPlanRepository
from o2c.store.uow import UnitOfWork

Pair = tuple[int, int]  # (product id, location id): a stock row's SKU-location


@dataclass(frozen=True)
class ReadAhead:
    """What the writes after the plan need, read before it: the SKUs of the waiting lines and, for
    every row that may fill a promised line, the lines of orders on credit hold waiting there, the
    lead times to the waiting lines' ship-tos and the row's supply (before this allocation's
    reservations)."""

    skus: dict[int, str]
    held: dict[Pair, list[BackorderedLine]] = field(default_factory=dict)
    leads: dict[tuple[int, int], tuple[int, int | None]] = field(default_factory=dict)
    supply: dict[Pair, SupplyAndDemand] = field(default_factory=dict)


def read_ahead(
    uow: UnitOfWork, repo: BackorderRepository, positions: Iterable[StockPosition], waiting: list[WaitingLine]
) -> ReadAhead:
    """:class:`ReadAhead` for the ``waiting`` lines and the locked ``positions``: four reads at most."""
    skus = repo.skus({w.line.product_id for w in waiting})
    promised = {w.line.product_id for w in waiting if w.line.promised_date is not None}
    rows = {(p.product_id, p.location_id) for p in positions if p.available > 0 and p.product_id in promised}
    if not rows:
        return ReadAhead(skus)
    products, places = {p for p, _ in rows}, {loc for _, loc in rows}
    supply = SupplyPlanRepository(uow.connection)
    ship_tos = {w.ship_to_id for w in waiting if w.line.product_id in products}
    return ReadAhead(
        skus, supply.held_lines_at(rows), supply.leads(ship_tos, places), stored_supply(uow, rows)
    )


def less_reserved(
    ahead: ReadAhead, positions: Iterable[StockPosition], plan: BackorderPlan
) -> dict[Pair, SupplyAndDemand]:
    """The supply read ahead, less what the plan reserves on each row: the supply as it stands once
    the reservations are written."""
    reserved = plan.reservations()
    supply = dict(ahead.supply)
    for pos in positions:
        key = (pos.product_id, pos.location_id)
        if (taken := reserved.get(pos.stock_id)) and key in supply:
            supply[key] = replace(supply[key], available=supply[key].available - taken)
    return supply


def left_waiting(
    plan: BackorderPlan, waiting: list[WaitingLine], ahead: ReadAhead
) -> dict[Pair, list[BackorderedLine]]:
    """The backordered lines of the ``(product, location)`` rows that filled some line while a promised
    line there still waits, as the plan leaves them: those read to allocate (sourced there now, less
    what they got), and those of orders on credit hold, which allocation passes over and
    re-promising does not."""
    filled = {(pos.product_id, pos.location_id) for _, pos, _ in plan.allocations}
    need, where = plan.need, plan.where
    unfilled = [  # still waiting, at a row that filled others
        (w, at)
        for w in waiting
        if need[w.line.line_id] > 0
        and (at := where[w.line.line_id]) is not None
        and (w.line.product_id, at) in filled
    ]
    pairs = {(w.line.product_id, at) for w, at in unfilled if w.line.promised_date is not None}
    left = {pair: list(lines) for pair, lines in ahead.held.items() if pair in pairs}
    skus, leads = ahead.skus, ahead.leads
    for w, at in unfilled:
        line = w.line
        if (line.product_id, at) not in pairs or w.order_status in FINISHED_ORDER_STATUSES:
            continue
        handling, transit = leads[w.ship_to_id, at]
        left.setdefault((line.product_id, at), []).append(
            BackorderedLine(
                line.line_id,
                w.order_id,
                line.order_number,
                line.line_no,
                skus[line.product_id],
                need[line.line_id],
                w.promised_date,
                handling,
                transit,
                line.received_at,
                w.requested_date,
                line.product_id,
                at,
            )
        )
    return left
