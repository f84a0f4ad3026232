"""Reserve on-hand stock for an order's pending quantities (at entry, or on release of a credit hold)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from o2c.domain.allocation import LineDemand, LineReservation, StockPosition, allocate
from o2c.domain.order import Order
from o2c.services.shortfalls import refresh_stockouts
from o2c.store.events import Event
from o2c.store.uow import UnitOfWork


def reserve_stock(
    uow: UnitOfWork,
    order: Order,
    ship_to_region: str,
    actor: str,
    now: datetime,
    locked_positions: Sequence[StockPosition] | None = None,
) -> None:
    """Lock the products' stock rows, allocate by the customer's policy, write guarded reservations.

    ``locked_positions``: the products' stock positions, when the caller has already locked their rows
    in this transaction (order entry reads them with the products); otherwise they are locked here.
    """
    demands = [LineDemand(ln.line_no, ln.product_id, ln.qty_pending) for ln in order.lines if ln.qty_pending]
    positions = (
        uow.stock.lock_positions(d.product_id for d in demands)
        if locked_positions is None
        else locked_positions
    )
    reservations = allocate(demands, positions, order.backorder_policy, ship_to_region)
    uow.stock.reserve_all((r.stock_id, r.allocated) for r in reservations if r.stock_id is not None)
    refresh_stockouts(uow, _emptied(positions, reservations), now)
    for r in reservations:
        order.apply_reservation(r.line_no, r.location_id, r.allocated, r.backordered, r.lost)
    order.accept()
    uow.events.record(
        Event(
            "order",
            order.number,
            "order.reserved",
            now,
            actor,
            {
                "lines": [
                    {
                        "line_no": r.line_no,
                        "allocated": r.allocated,
                        "backordered": r.backordered,
                        "lost": r.lost,
                    }
                    for r in reservations
                ]
            },
        )
    )


def _emptied(positions: Sequence[StockPosition], reservations: Sequence[LineReservation]) -> list[int]:
    """Stock rows this reservation may have left at 0 available: it took their last unit, or a line
    fell short there. Only those can start a stockout episode, so an order served in full from ample
    stock runs no statement for them."""
    left = {pos.stock_id: pos.available for pos in positions}
    drawn = [(r.stock_id, r) for r in reservations if r.stock_id is not None]
    for stock_id, r in drawn:
        left[stock_id] -= r.allocated
    return sorted({stock_id for stock_id, r in drawn if left[stock_id] <= 0 or r.backordered or r.lost})
