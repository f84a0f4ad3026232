"""Stockout facts the other use cases record as they change stock or orders: what became of each
quantity that could not be allocated at entry (``backordered``, ``lost``, ``cancelled``), and the
stockout episodes of the stock rows they changed.

Backorder allocation records the later outcomes (``allocated``, ``substituted``) itself
(:mod:`o2c.services.backorders`); the metrics read them all (:mod:`o2c.analytics`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from o2c.domain.order import Order
from o2c.store.stockouts import Shortfall, ShortfallLog, StockoutLog
from o2c.store.uow import UnitOfWork


def record_entry_shortfalls(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """What could not be allocated when the order was reserved: ``backordered`` or ``lost`` per line.

    Call once, right after the order's reservation, once the order is stored (``order.id`` is set):
    after ``uow.orders.add(order)`` at entry, after ``reserve_stock`` on release of a credit hold.
    """
    assert order.id is not None, "store the order before recording its shortfalls"
    short = [ln for ln in order.lines if ln.qty_backordered or ln.qty_lost]
    if short:  # most orders are served in full: they cost nothing here
        ShortfallLog(uow.connection).record(
            Shortfall(order.id, ln.line_no, ln.product_id, ln.location_id, qty, outcome, now)
            for ln in short
            for outcome, qty in (("backordered", ln.qty_backordered), ("lost", ln.qty_lost))
        )


def record_cancelled_backorders(
    uow: UnitOfWork, order: Order, now: datetime, quantities: Mapping[int, int] | None = None
) -> None:
    """Backordered units the customer cancels are lost sales: an outcome ``cancelled`` per line.

    Call just before ``order.cancel(now)``; ``quantities`` (``{line_no: quantity}``) when only part of
    the backorders is cancelled, else every line's backordered quantity.
    """
    assert order.id is not None
    wanted = quantities if quantities is not None else {ln.line_no: ln.qty_backordered for ln in order.lines}
    ShortfallLog(uow.connection).record(
        Shortfall(order.id, n, order.line(n).product_id, order.line(n).location_id, qty, "cancelled", now)
        for n, qty in sorted(wanted.items())
    )


def refresh_stockouts(uow: UnitOfWork, stock_ids: Iterable[int], now: datetime) -> None:
    """Open or close the stockout episodes of these stock rows (locked by the caller) after a change."""
    StockoutLog(uow.connection).refresh(stock_ids, now)
