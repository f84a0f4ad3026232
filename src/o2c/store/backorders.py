"""Reads and locks of backorder allocation: stock and orders locked in id order, open backorder lines,
and product alternates.

An open backorder line is a line with ``qty_backordered > 0`` of an order that is neither cancelled nor
on credit hold. Lines are matched to stock of their product at their own location, or anywhere when
they have none (the product had no stock row anywhere when the order was entered).

Lock order, the same as every other use case: stock rows (id order), then orders (id order). The
allocation's writes of the lines are :mod:`o2c.store.backorder_fills`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import (
    Connection,
    bindparam,
    or_,
    select,
    tuple_,
)

from o2c.domain.allocation import StockPosition
from o2c.domain.backorders import BackorderLine
from o2c.domain.order import OrderStatus
from o2c.store.master_tables import customers, locations, product_alternates, products, stock
from o2c.store.tables import order_lines, orders

_WAITING = order_lines.c.qty_backordered > 0
_LIVE = orders.c.status.not_in([OrderStatus.CANCELLED.value, OrderStatus.CREDIT_HOLD.value])
_AT_LOCATIONS = or_(
    order_lines.c.location_id.in_(bindparam("location_ids", expanding=True)),
    order_lines.c.location_id.is_(None),
)
_OF_PRODUCTS = order_lines.c.product_id.in_(bindparam("product_ids", expanding=True))

_positions = (
    select(
        stock.c.id,
        stock.c.product_id,
        stock.c.location_id,
        locations.c.region,
        (stock.c.on_hand - stock.c.allocated).label("available"),
    )
    .join(locations, locations.c.id == stock.c.location_id)
    .where(stock.c.id.in_(bindparam("stock_ids", expanding=True)))
    .order_by(stock.c.id)
)
_stock_ids = select(stock.c.id).where(
    tuple_(stock.c.product_id, stock.c.location_id).in_(bindparam("pairs", expanding=True))
)
# A long list of (product, location) pairs overflows PostgreSQL's parser stack ("stack depth limit
# exceeded") and SQLite's bound-parameter limit: pairs and ids go to the database in chunks.
_CHUNK = 1000
_lock_stock = _positions.with_for_update(of=stock)
_lock_free_stock = _positions.with_for_update(of=stock, skip_locked=True)
# The locked orders with what allocation and re-promising need of them and of their customer, read
# once per order: the lines are then read without a join (a batch of receipts reads a hundred thousand).
_lock_orders = (
    select(
        orders.c.id,
        orders.c.number,
        customers.c.tier,
        orders.c.received_at,
        customers.c.allow_substitution,
        orders.c.status,
        orders.c.promised_date,
        orders.c.requested_date,
        orders.c.ship_to_id,
    )
    .join(customers, customers.c.id == orders.c.customer_id)
    .where(
        orders.c.id.in_(select(order_lines.c.order_id).where(_WAITING, _OF_PRODUCTS, _AT_LOCATIONS)),
        _LIVE,
    )
    .order_by(orders.c.id)
    .with_for_update(of=orders)
)
_open_lines = (
    select(
        order_lines.c.id,
        order_lines.c.order_id,
        order_lines.c.line_no,
        order_lines.c.product_id,
        order_lines.c.qty_backordered,
        order_lines.c.promised_date,
        order_lines.c.location_id,
    )
    .where(_WAITING, _OF_PRODUCTS, _AT_LOCATIONS)
    .order_by(order_lines.c.id)
)
_alternates = (
    select(
        product_alternates.c.product_id,
        product_alternates.c.alternate_id,
        product_alternates.c.rank,
        products.c.sku,
        products.c.standard_cost,
    )
    .join(products, products.c.id == product_alternates.c.alternate_id)
    .where(product_alternates.c.product_id.in_(bindparam("product_ids", expanding=True)), products.c.active)
    .order_by(product_alternates.c.product_id, product_alternates.c.rank, product_alternates.c.alternate_id)
)
_skus = select(products.c.id, products.c.sku).where(
    products.c.id.in_(bindparam("product_ids", expanding=True))
)


_substituted_by = select(product_alternates.c.product_id).where(
    product_alternates.c.alternate_id.in_(bindparam("product_ids", expanding=True))
)
_waiting_at = (
    select(order_lines.c.product_id, order_lines.c.location_id)
    .join(orders, orders.c.id == order_lines.c.order_id)
    .where(_WAITING, _LIVE)
    .distinct()
)
_stock_locations = select(stock.c.product_id, stock.c.location_id).where(
    stock.c.product_id.in_(bindparam("product_ids", expanding=True))
)
_listing = (
    select(
        orders.c.number,
        customers.c.code.label("customer"),
        customers.c.tier,
        order_lines.c.line_no,
        products.c.sku,
        locations.c.code.label("location"),
        order_lines.c.qty_backordered,
        orders.c.received_at,
        order_lines.c.promised_date,
        orders.c.promised_date.label("order_promised_date"),
        orders.c.status,
    )
    .join(orders, orders.c.id == order_lines.c.order_id)
    .join(customers, customers.c.id == orders.c.customer_id)
    .join(products, products.c.id == order_lines.c.product_id)
    .outerjoin(locations, locations.c.id == order_lines.c.location_id)
    .where(_WAITING, _LIVE)
)


class LockedOrder(NamedTuple):
    """An order with open backorders, locked for allocation, and its customer's tier and consent to
    substitutes."""

    number: str
    tier: int
    received_at: datetime
    allow_substitution: bool
    status: str
    promised_date: date | None
    requested_date: date | None
    ship_to_id: int


class WaitingLine(NamedTuple):
    """An open backorder line, the location it is sourced at (None: anywhere), and its order; the
    line's own promised date (``line.promised_date`` falls back on the order's), the order's requested
    date and ship-to, for re-promising it if it is left waiting."""

    line: BackorderLine
    location_id: int | None
    order_id: int = 0
    order_status: str = OrderStatus.OPEN.value
    promised_date: date | None = None
    requested_date: date | None = None
    ship_to_id: int = 0


@dataclass(frozen=True)
class AlternateProduct:
    product_id: int  # the product it stands in for
    alternate_id: int
    rank: int
    sku: str
    standard_cost: Decimal


@dataclass(frozen=True)
class ListedBackorder:
    order_number: str
    customer: str
    tier: int
    line_no: int
    sku: str
    location: str | None
    quantity: int
    received_at: datetime
    promised_date: date | None
    status: str


class BackorderRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def lock_stock(
        self, pairs: Iterable[tuple[int, int]], *, skip_locked: bool = False
    ) -> list[StockPosition]:
        """Positions of these ``(product, location)`` pairs, their rows locked in id order.

        ``skip_locked``: leave out the rows another transaction holds instead of waiting for them
        (PostgreSQL; SQLite has one writer at a time anyway).
        """
        wanted = sorted(set(pairs))
        ids = sorted(
            {
                int(stock_id)
                for start in range(0, len(wanted), _CHUNK)
                for stock_id in self._conn.execute(
                    _stock_ids, {"pairs": wanted[start : start + _CHUNK]}
                ).scalars()
            }
        )
        # Rows never change their (product, location), so the ids found unlocked are the rows to lock;
        # locking by ascending id chunks keeps the one lock order across chunks.
        statement = _lock_free_stock if skip_locked else _lock_stock
        return [
            StockPosition(*row)
            for start in range(0, len(ids), _CHUNK)
            for row in self._conn.execute(statement, {"stock_ids": ids[start : start + _CHUNK]})
        ]

    def lock_orders(self, product_ids: Iterable[int], location_ids: Iterable[int]) -> dict[int, LockedOrder]:
        """Orders with open backorders of these products here (or nowhere), locked in id order:
        ``{order id: order}``. Lock the stock first: that is the order every use case takes."""
        params = {"product_ids": sorted(set(product_ids)), "location_ids": sorted(set(location_ids))}
        if not (params["product_ids"] and params["location_ids"]):
            return {}
        return {int(r[0]): LockedOrder(*r[1:]) for r in self._conn.execute(_lock_orders, params)}

    def open_lines(
        self, locked: Mapping[int, LockedOrder], product_ids: Iterable[int], location_ids: Iterable[int]
    ) -> list[WaitingLine]:
        """The open backorder lines of these (locked) orders for these products here, or nowhere."""
        params = {"product_ids": sorted(set(product_ids)), "location_ids": sorted(set(location_ids))}
        if not (locked and all(params.values())):
            return []
        # The orders are matched here, not in SQL: thousands of ids would make a statement that long.
        waiting = []
        for line_id, order_id, line_no, product, qty, promised, location_id in self._conn.execute(
            _open_lines, params
        ).all():  # one fetchall, not a fetch per row
            order = locked.get(order_id)
            if order is None:  # cancelled, on credit hold, or not locked
                continue
            line = BackorderLine(
                line_id,
                order.number,
                line_no,
                product,
                qty,
                order.tier,
                order.promised_date if promised is None else promised,
                order.received_at,
                order.allow_substitution,
            )
            waiting.append(
                WaitingLine(
                    line,
                    location_id,
                    order_id,
                    order.status,
                    promised,
                    order.requested_date,
                    order.ship_to_id,
                )
            )
        return waiting

    def skus(self, product_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(product_ids))
        return {int(r[0]): r[1] for r in self._conn.execute(_skus, {"product_ids": ids})} if ids else {}

    def alternates(self, product_ids: Iterable[int]) -> dict[int, list[AlternateProduct]]:
        """Active alternates of these products, best rank first."""
        ids = sorted(set(product_ids))
        found: dict[int, list[AlternateProduct]] = {}
        if ids:
            for r in self._conn.execute(_alternates, {"product_ids": ids}):
                found.setdefault(r.product_id, []).append(AlternateProduct(*r))
        return found

    def substituted_by(self, product_ids: Iterable[int]) -> set[int]:
        """Products that have one of these among their alternates."""
        ids = sorted(set(product_ids))
        return set(self._conn.execute(_substituted_by, {"product_ids": ids}).scalars()) if ids else set()

    def waiting_at(self, product_id: int | None) -> set[tuple[int, int]]:
        """``(product, location)`` pairs with open backorders (of one product, or all); a line sourced
        nowhere counts at every location that stocks its product."""
        query = (
            _waiting_at if product_id is None else _waiting_at.where(order_lines.c.product_id == product_id)
        )
        pairs = {(int(p), loc) for p, loc in self._conn.execute(query)}
        placed = {(p, int(loc)) for p, loc in pairs if loc is not None}
        nowhere = sorted({p for p, loc in pairs if loc is None})
        if nowhere:
            placed |= {
                (int(p), int(loc))
                for p, loc in self._conn.execute(_stock_locations, {"product_ids": nowhere})
            }
        return placed

    def listing(
        self, product_id: int | None, limit: int | None = None, offset: int = 0
    ) -> list[ListedBackorder]:
        query = _listing if product_id is None else _listing.where(order_lines.c.product_id == product_id)
        query = query.order_by(orders.c.received_at, orders.c.number, order_lines.c.line_no)
        return [
            ListedBackorder(
                r.number,
                r.customer,
                r.tier,
                r.line_no,
                r.sku,
                r.location,
                r.qty_backordered,
                r.received_at,
                r.promised_date or r.order_promised_date,
                r.status,
            )
            for r in self._conn.execute(query.limit(limit).offset(offset))
        ]


__all__ = [
    "AlternateProduct",
    "BackorderRepository",
    "ListedBackorder",
    "LockedOrder",
    "WaitingLine",
]
