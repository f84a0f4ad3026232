"""Orders and their lines: rows in, plain :class:`~o2c.domain.order.Order` objects out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC
from decimal import Decimal
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from o2c.domain.errors import NotFound, StaleOrder
from o2c.domain.order import BackorderPolicy, Channel, Order, OrderLine, OrderStatus
from o2c.store.batches import RowsUpdate
from o2c.store.driver import Prepared
from o2c.store.master_tables import customers, products
from o2c.store.tables import order_lines, orders

# Fields an action may change after placement; everything else is fixed at entry.
_ORDER_MUTABLE = (
    "status",
    "promised_date",
    "released_at",
    "picked_at",
    "packed_at",
    "shipped_at",
    "delivered_at",
    "invoiced_at",
    "paid_at",
    "cancelled_at",
    "expedited_at",
)
_LINE_MUTABLE = (
    "location_id",
    "qty_allocated_at_entry",
    "qty_pending",
    "qty_allocated",
    "qty_backordered",
    "qty_cancelled",
    "qty_lost",
    "qty_picked",
    "qty_packed",
    "qty_shipped",
    "qty_delivered",
    "qty_damaged",
    "qty_wrong_item",
    "qty_substituted",
    "promised_date",
    "promise_at_risk",
    "shipped_at",
    "delivered_at",
)
_LINE_FIXED = (
    "line_no",
    "product_id",
    "qty_ordered",
    "unit_price",
    "discount_amount",
    "net_amount",
    "tax_amount",
    "unit_cost",
    "substitute_for_line_no",
)

# What placing an order writes; the other columns take their server defaults.
_ORDER_AT_ENTRY = (
    "number",
    "customer_id",
    "ship_to_id",
    "quote_id",
    "channel",
    "backorder_policy",
    "status",
    "currency",
    "idempotency_key",
    "request_hash",
    "acknowledgement",
    "requested_date",
    "promised_date",
    "subtotal",
    "tax_total",
    "customer_sent_at",
    "received_at",
    "released_at",
)
_line_values = attrgetter(*_LINE_FIXED, *_LINE_MUTABLE)
_line_mutables = attrgetter(*_LINE_MUTABLE)
# A line's columns in the order of OrderLine's fields, so that a row builds a line positionally.
_LINE_FIELDS = [f.name for f in fields(OrderLine)]
_LINE_COLUMNS = [products.c.sku if name == "sku" else order_lines.c[name] for name in _LINE_FIELDS]
_ID_AT = _LINE_FIELDS.index("id")
_LINE_AT_ENTRY = ("order_id", *_LINE_FIXED, *_LINE_MUTABLE)

# Prepared (see store.driver): every order placed runs these two.
_insert_order = Prepared(insert(orders).returning(orders.c.id), column_keys=_ORDER_AT_ENTRY)
_insert_lines = Prepared(insert(order_lines), column_keys=_LINE_AT_ENTRY)
_insert_line = insert(order_lines).returning(order_lines.c.id)  # one added later (a substitute)
_order_by_number = (
    select(orders, customers.c.code.label("customer_code"))
    .join(customers, customers.c.id == orders.c.customer_id)
    .where(orders.c.number == bindparam("number"))
)
_number_of = select(orders.c.number).where(orders.c.id == bindparam("order_id"))
# Prepared too: every order sent with an idempotency key (every one over HTTP) looks its key up first.
_by_idempotency_key = Prepared(
    select(orders.c.number, orders.c.request_hash, orders.c.acknowledgement).where(
        orders.c.idempotency_key == bindparam("key")
    )
)
_lines_of = (
    select(*_LINE_COLUMNS)
    .join(products, products.c.id == order_lines.c.product_id)
    .where(order_lines.c.order_id == bindparam("order_id"))
    .order_by(order_lines.c.line_no)
)
_orders_by_numbers = (
    select(orders, customers.c.code.label("customer_code"))
    .join(customers, customers.c.id == orders.c.customer_id)
    .where(orders.c.number.in_(bindparam("numbers", expanding=True)))
)
_lines_of_orders = (
    select(order_lines.c.order_id, *_LINE_COLUMNS)
    .join(products, products.c.id == order_lines.c.product_id)
    .where(order_lines.c.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(order_lines.c.order_id, order_lines.c.line_no)
)
_BATCH = 500  # orders per statement when many are read at once (well within bound-parameter limits)
_save_orders = RowsUpdate(orders, ["id", "version"], _ORDER_MUTABLE, also={"version": orders.c.version + 1})
_ALL_MUTABLE = tuple(range(len(_LINE_MUTABLE)))
_line_updates: dict[tuple[int, ...], RowsUpdate] = {}


def _line_update(changed: tuple[int, ...]) -> RowsUpdate:
    """UPDATE of these mutable columns (by position in ``_LINE_MUTABLE``) of lines, by id: actions
    change few columns, so few distinct statements are ever made."""
    statement = _line_updates.get(changed)
    if statement is None:
        statement = _line_updates[changed] = RowsUpdate(
            order_lines, ["id"], [_LINE_MUTABLE[i] for i in changed]
        )
    return statement


def _changed_at(before: tuple[Any, ...], after: tuple[Any, ...]) -> tuple[int, ...]:
    return tuple(i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new)


class OrderRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # What each line read in this transaction held, so that saving writes only the lines an action
        # changed (allocating a backorder touches a few lines of many orders).
        self._as_read: dict[int, tuple[Any, ...]] = {}
        # Orders this transaction inserted and has not saved since, by number: see :meth:`inserted`.
        self._inserted: dict[str, Order] = {}

    def add(
        self,
        order: Order,
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        acknowledgement: dict[str, Any] | None = None,
    ) -> int:
        """Insert the order and its lines; ``acknowledgement`` is what entry answered (JSON), kept
        with the idempotency key so that a replay answers the same."""
        order_id: int = _insert_order.scalar(
            self._conn,
            {
                "number": order.number,
                "customer_id": order.customer_id,
                "ship_to_id": order.ship_to_id,
                "quote_id": order.quote_id,
                "channel": order.channel.value,
                "backorder_policy": order.backorder_policy.value,
                "status": order.status.value,
                "currency": order.currency,
                "idempotency_key": idempotency_key,
                "request_hash": request_hash,
                "acknowledgement": acknowledgement,
                "requested_date": order.requested_date,
                "promised_date": order.promised_date,
                "subtotal": order.subtotal,
                "tax_total": order.tax_total,
                "customer_sent_at": order.customer_sent_at,
                "received_at": order.received_at,
                "released_at": order.released_at,
            },
        )
        order.id = order_id
        _insert_lines.execute_rows(self._conn, [(order_id, *_line_values(ln)) for ln in order.lines])
        self._inserted[order.number] = order
        return order_id

    def inserted(self, number: str) -> Order | None:
        """The order as this transaction inserted it, if it did and has not saved it since; else None.

        Its rows hold what this object holds, so reading them back would give this order again (the
        audit trail's state after a placement uses it instead): no other transaction sees an
        uncommitted order, and within this one orders change only through :meth:`save_many`, which
        forgets them here. Only an order holding its values as stored is handed out (:func:`_as_stored`).
        """
        order = self._inserted.get(number)
        return order if order is not None and _as_stored(order) else None

    def get(self, number: str) -> Order:
        row = self._conn.execute(_order_by_number, {"number": number}).mappings().first()
        if row is None:
            raise NotFound(f"order {number} does not exist", order_number=number)
        return self._load(row)

    def get_by_id(self, order_id: int) -> Order:
        number = self._conn.execute(_number_of, {"order_id": order_id}).scalar_one()
        return self.get(number)

    def find_by_idempotency_key(self, key: str) -> tuple[str, str | None, dict[str, Any] | None] | None:
        """``(order number, request hash, acknowledgement)`` of the order placed under ``key``, if any."""
        row = _by_idempotency_key.first(self._conn, {"key": key})
        return (row[0], row[1], row[2]) if row else None

    def get_many(self, numbers: Sequence[str]) -> list[Order]:
        """These orders with their lines, in the order of ``numbers``: two statements per 500 orders.
        An unknown number is :class:`NotFound`."""
        found: dict[str, Order] = {}
        for start in range(0, len(numbers), _BATCH):
            part = sorted(set(numbers[start : start + _BATCH]))
            rows = self._conn.execute(_orders_by_numbers, {"numbers": part}).mappings().all()
            lines: dict[int, list[OrderLine]] = {row["id"]: [] for row in rows}
            # fetched at once: iterating a result fetches one row per driver call
            for r in self._conn.execute(_lines_of_orders, {"order_ids": sorted(lines)}).all():
                lines[r[0]].append(self._read(r[1:]))
            found.update((row["number"], _order(row, lines[row["id"]])) for row in rows)
        missing = [n for n in numbers if n not in found]
        if missing:
            raise NotFound(f"order {missing[0]} does not exist", order_number=missing[0])
        return [found[n] for n in numbers]

    def save(self, order: Order) -> None:
        """Write back what actions may change, and add the lines that are new (substitutes).

        Raises :class:`~o2c.domain.errors.StaleOrder` if someone else saved the order meanwhile.
        """
        self.save_many([order])

    def save_many(self, changed: Sequence[Order]) -> None:
        """:meth:`save` for several orders at once: one batch of order updates, one of line updates.

        Raises :class:`~o2c.domain.errors.StaleOrder` (nothing is half-saved: the caller rolls back)
        if someone else saved one of them meanwhile.
        """
        if not changed:
            return
        for order in changed:
            self._inserted.pop(order.number, None)
        rows = [
            {"id": order.id, "version": order.version, **{n: getattr(order, n) for n in _ORDER_MUTABLE}}
            for order in changed
        ]
        if _save_orders.execute(self._conn, rows) != len(rows):
            raise _stale(changed)
        for order in changed:
            order.version += 1
        self._update_lines(ln for order in changed for ln in order.lines if ln.id is not None)
        for order in changed:
            for line in order.lines:
                if line.id is None:
                    values = dict(zip(_LINE_AT_ENTRY, (order.id, *_line_values(line)), strict=True))
                    line.id = int(self._conn.execute(_insert_line, values).scalar_one())

    def _update_lines(self, lines: Iterable[OrderLine]) -> None:
        """Write the columns each line's action changed since it was read: one batch per set of
        columns (a line not read here gets all of them)."""
        batches: dict[tuple[int, ...], list[dict[str, Any]]] = {}
        for line in lines:
            assert line.id is not None
            held = _line_mutables(line)
            before = self._as_read.get(line.id)
            if before == held:
                continue
            changed = _ALL_MUTABLE if before is None else _changed_at(before, held)
            values = {_LINE_MUTABLE[i]: held[i] for i in changed}
            values["id"] = line.id
            batches.setdefault(changed, []).append(values)
            self._as_read[line.id] = held
        for changed, batch in batches.items():
            _line_update(changed).execute(self._conn, batch)

    def _load(self, row: Any) -> Order:
        lines = [self._read(r) for r in self._conn.execute(_lines_of, {"order_id": row["id"]})]
        return _order(row, lines)

    def _read(self, values: Sequence[Any]) -> OrderLine:
        line = OrderLine(*values)
        self._as_read[values[_ID_AT]] = _line_mutables(line)
        return line


def _as_stored(order: Order) -> bool:
    """Whether the order holds its values as reading it back would give them: version 1 (the server's
    default), instants in UTC and amounts to the cent. Entry's orders do (the clock and the API give
    UTC, pricing rounds to the cent); anything else is read back instead of being trusted."""
    instants = (order.received_at, order.customer_sent_at, order.released_at)
    return (
        order.version == 1
        and all(t is None or t.tzinfo is UTC for t in instants)
        and all(
            _cents(ln.unit_price) and _cents(ln.net_amount) and _cents(ln.tax_amount) for ln in order.lines
        )
    )


def _cents(amount: Decimal) -> bool:
    return amount.as_tuple().exponent == -2


def _stale(orders_: Sequence[Order]) -> StaleOrder:
    numbers = ", ".join(o.number for o in orders_[:5]) + (" …" if len(orders_) > 5 else "")
    what = f"order {numbers} was" if len(orders_) == 1 else f"one of the orders {numbers} was"
    return StaleOrder(f"{what} changed by someone else; retry", order_number=orders_[0].number)


def _order(row: Any, lines: list[OrderLine]) -> Order:
    return Order(
        id=row["id"],
        number=row["number"],
        customer_id=row["customer_id"],
        customer_code=row["customer_code"],
        ship_to_id=row["ship_to_id"],
        quote_id=row["quote_id"],
        channel=Channel(row["channel"]),
        backorder_policy=BackorderPolicy(row["backorder_policy"]),
        status=OrderStatus(row["status"]),
        currency=row["currency"],
        requested_date=row["requested_date"],
        promised_date=row["promised_date"],
        customer_sent_at=row["customer_sent_at"],
        received_at=row["received_at"],
        released_at=row["released_at"],
        picked_at=row["picked_at"],
        packed_at=row["packed_at"],
        shipped_at=row["shipped_at"],
        delivered_at=row["delivered_at"],
        invoiced_at=row["invoiced_at"],
        paid_at=row["paid_at"],
        cancelled_at=row["cancelled_at"],
        expedited_at=row["expedited_at"],
        version=row["version"],
        lines=lines,
    )
