"""Stock levels per product and location, changed only by guarded SQL expressions.

Never ``read, subtract, write``: every change is one UPDATE whose WHERE clause re-checks the guard
(``on_hand - allocated >= :q``) and whose row count is verified (for a batch of such UPDATEs, the
total). On PostgreSQL the rows an order touches are first locked in primary-key order (no deadlock
between two orders); on SQLite the transaction already holds the write lock (``BEGIN IMMEDIATE``).
The table's CHECK constraints are the last line of defence.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, select, update

from o2c.domain.allocation import StockPosition
from o2c.domain.errors import Conflict
from o2c.store.driver import Prepared, Sent
from o2c.store.master_tables import locations, stock

_reserve = (
    update(stock)
    .where(stock.c.id == bindparam("sid"), stock.c.on_hand - stock.c.allocated >= bindparam("q"))
    .values(allocated=stock.c.allocated + bindparam("q"))
)
_reserve_batch = Prepared(_reserve)  # reserve_all: on the hot path of order entry (see store.driver)
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
        self.send_reservations(quantities).check()

    def send_reservations(self, quantities: Iterable[tuple[int, int]]) -> Reserving:
        """:meth:`reserve_all`, sent (in a pipeline, :mod:`o2c.store.pipeline`, without waiting for
        it): :meth:`Reserving.check` tells, once the pipeline has ended, whether every row was hit."""
        rows = [(sid, q) for sid, q in sorted(quantities) if q > 0]
        sent = _reserve_batch.send_values(self._conn, ("sid", "q"), rows) if rows else Sent.done(0)
        return Reserving(sent, [sid for sid, _ in rows])

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

    # --- inbound: put-away and transfer picks -------------------------------------------------

    def lock_at(self, location_id: int, product_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        """The stock rows of these products at one location, locked in id order (the order every
        use case takes, so two never deadlock): product id → (stock id, available)."""
        rows = self._conn.execute(
            _lock_at, {"location_id": location_id, "product_ids": sorted(set(product_ids))}
        )
        return {int(r.product_id): (int(r.id), int(r.available)) for r in rows}

    def put_away(self, product_id: int, location_id: int, quantity: int) -> int:
        """Add received goods to on hand, creating the SKU's row at this location on its first
        arrival; returns the stock id. One upsert, so two first arrivals at once cannot collide."""
        if quantity <= 0:
            raise ValueError(f"put-away of {quantity}: only a positive quantity can be put away")
        statement = _put_away_pg if self._conn.dialect.name == "postgresql" else _put_away_sqlite
        params = {"b_product_id": product_id, "b_location_id": location_id, "b_q": quantity}
        return int(self._conn.execute(statement, params).scalar_one())

    def put_away_all(self, location_id: int, quantities: Iterable[tuple[int, int]]) -> dict[int, int]:
        """Put away ``(product id, quantity)`` pairs at one location: existing rows are locked and
        changed in id order, new rows created after them. Returns product id → stock id."""
        totals: dict[int, int] = {}
        for product_id, quantity in quantities:
            if quantity > 0:
                totals[product_id] = totals.get(product_id, 0) + quantity
        existing = self.lock_at(location_id, totals)
        order = sorted(totals, key=lambda p: (p not in existing, existing.get(p, (0, 0))[0], p))
        return {p: self.put_away(p, location_id, totals[p]) for p in order}

    def pick_for_transfer(self, stock_id: int, quantity: int) -> None:
        """Take goods off on hand for a transfer: only what is available, never what customers
        have reserved (``on_hand - allocated >= q``, checked in the UPDATE itself)."""
        if quantity <= 0:
            raise ValueError(f"transfer pick of {quantity}: only a positive quantity can be picked")
        if self._conn.execute(_pick, {"sid": stock_id, "q": quantity}).rowcount != 1:
            available = self._conn.execute(_available, {"sid": stock_id}).scalar_one_or_none() or 0
            raise Conflict(
                f"stock {stock_id}: cannot take {quantity} for a transfer, only {available} available"
                " (on hand less reserved)",
                stock_id=stock_id,
                requested=quantity,
                available=int(available),
            )


# Appended with the methods above; imported here, not at the top, to leave the module's head as it was.
from sqlalchemy.dialects import postgresql, sqlite  # noqa: E402

_lock_at = (
    select(stock.c.id, stock.c.product_id, (stock.c.on_hand - stock.c.allocated).label("available"))
    .where(
        stock.c.location_id == bindparam("location_id"),
        stock.c.product_id.in_(bindparam("product_ids", expanding=True)),
    )
    .order_by(stock.c.id)
    .with_for_update()
)
_pick = (
    update(stock)
    .where(stock.c.id == bindparam("sid"), stock.c.on_hand - stock.c.allocated >= bindparam("q"))
    .values(on_hand=stock.c.on_hand - bindparam("q"))
)
_available = select(stock.c.on_hand - stock.c.allocated).where(stock.c.id == bindparam("sid"))
_new_pg = postgresql.insert(stock).values(
    product_id=bindparam("b_product_id"), location_id=bindparam("b_location_id"), on_hand=bindparam("b_q")
)
_put_away_pg = _new_pg.on_conflict_do_update(
    index_elements=[stock.c.product_id, stock.c.location_id],
    set_={"on_hand": stock.c.on_hand + _new_pg.excluded.on_hand},
).returning(stock.c.id)
_new_sqlite = sqlite.insert(stock).values(
    product_id=bindparam("b_product_id"), location_id=bindparam("b_location_id"), on_hand=bindparam("b_q")
)
_put_away_sqlite = _new_sqlite.on_conflict_do_update(
    index_elements=[stock.c.product_id, stock.c.location_id],
    set_={"on_hand": stock.c.on_hand + _new_sqlite.excluded.on_hand},
).returning(stock.c.id)


class Reserving(NamedTuple):
    """Guarded reservations sent on ``stock_ids``: every one must have hit its row."""

    sent: Sent
    stock_ids: list[int]

    def check(self) -> None:
        if self.sent.rowcount != len(self.stock_ids):
            raise _reserve_conflict(self.stock_ids)


def _reserve_conflict(stock_ids: list[int]) -> Conflict:
    return Conflict(
        f"stock changed underneath: cannot reserve on stock rows {stock_ids}", stock_ids=stock_ids
    )
