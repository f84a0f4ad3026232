"""Stock levels per product and location, changed only by guarded SQL expressions.

Never ``read, subtract, write``: every change is one UPDATE whose WHERE clause re-checks the guard
(``on_hand - allocated >= :q``) and whose row count is verified (for a batch of such UPDATEs, the
total). On PostgreSQL the rows an order touches are first locked in primary-key order (no deadlock
between two orders); on SQLite the transaction already holds the write lock (``BEGIN IMMEDIATE``).
The table's CHECK constraints are the last line of defence.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, select, update

from o2c.domain.allocation import StockPosition
from o2c.domain.errors import Conflict
from o2c.store.tables import locations, stock

_reserve = (
    update(stock)
    .where(stock.c.id == bindparam("sid"), stock.c.on_hand - stock.c.allocated >= bindparam("q"))
    .values(allocated=stock.c.allocated + bindparam("q"))
)
_unreserve = (
    update(stock)
    .where(stock.c.id == bindparam("sid"), stock.c.allocated >= bindparam("q"))
    .values(allocated=stock.c.allocated - bindparam("q"))
)
_lock_positions = (
    select(
        stock.c.id,
        stock.c.product_id,
        stock.c.location_id,
        locations.c.region,
        (stock.c.on_hand - stock.c.allocated).label("available"),
    )
    .join(locations, locations.c.id == stock.c.location_id)
    .where(stock.c.product_id.in_(bindparam("product_ids", expanding=True)))
    .order_by(stock.c.id)
    .with_for_update(of=stock)
)
_lock_ids = (
    select(stock.c.id)
    .where(stock.c.id.in_(bindparam("stock_ids", expanding=True)))
    .order_by(stock.c.id)
    .with_for_update()
)
_stock_id_for = select(stock.c.id).where(
    stock.c.product_id == bindparam("product_id"), stock.c.location_id == bindparam("location_id")
)
_issue = (
    update(stock)
    .where(
        stock.c.id == bindparam("sid"), stock.c.allocated >= bindparam("q"), stock.c.on_hand >= bindparam("q")
    )
    .values(allocated=stock.c.allocated - bindparam("q"), on_hand=stock.c.on_hand - bindparam("q"))
)


class StockRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def lock_positions(self, product_ids: Iterable[int]) -> list[StockPosition]:
        """Availability of every location holding these products, rows locked in id order."""
        rows = self._conn.execute(_lock_positions, {"product_ids": sorted(set(product_ids))})
        return [StockPosition(*row) for row in rows]

    def lock_ids(self, stock_ids: Iterable[int]) -> None:
        ids = sorted(set(stock_ids))
        if ids:
            self._conn.execute(_lock_ids, {"stock_ids": ids})

    def reserve(self, stock_id: int, quantity: int) -> None:
        self._guarded(_reserve, stock_id, quantity, "reserve")

    def reserve_all(self, quantities: Iterable[tuple[int, int]]) -> None:
        """Reserve ``(stock id, quantity)`` pairs: one guarded UPDATE each, in stock id order.

        The UPDATEs go as one batch (one round trip on PostgreSQL); all of them must hit their row.
        """
        params = [{"sid": sid, "q": q} for sid, q in sorted(quantities) if q > 0]
        if params and self._conn.execute(_reserve, params).rowcount != len(params):
            ids = [p["sid"] for p in params]
            raise Conflict(f"stock changed underneath: cannot reserve on stock rows {ids}", stock_ids=ids)

    def unreserve(self, stock_id: int, quantity: int) -> None:
        self._guarded(_unreserve, stock_id, quantity, "release")

    def issue(self, stock_id: int, quantity: int) -> None:
        """Reserved stock leaves the building: on hand and allocated both go down."""
        self._guarded(_issue, stock_id, quantity, "ship")

    def _guarded(self, statement: object, stock_id: int, quantity: int, what: str) -> None:
        if quantity <= 0:
            return
        result = self._conn.execute(statement, {"sid": stock_id, "q": quantity})  # type: ignore[call-overload]
        if result.rowcount != 1:
            raise Conflict(
                f"stock {stock_id} changed underneath: cannot {what} {quantity}", stock_id=stock_id
            )

    def stock_id_for(self, product_id: int, location_id: int) -> int | None:
        return self._conn.execute(
            _stock_id_for, {"product_id": product_id, "location_id": location_id}
        ).scalar_one_or_none()
