"""Writes of backorder allocation: the lines filled in place, as stock is reserved, and the versions of
their orders bumped. The orders are locked already (:meth:`BackorderRepository.lock_orders
<o2c.store.backorders.BackorderRepository.lock_orders>`). No commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Connection, Integer, Update, bindparam, literal_column, or_, update
from sqlalchemy.sql import ColumnElement

from o2c.store.batches import UpdateByIds, arrayed, arrays
from o2c.store.driver import Prepared, Sent
from o2c.store.tables import order_lines, orders


# Backordered units of a line reserved at a location, as stock is reserved: one guarded UPDATE (never
# read, add, write) that keeps the line's balance, and fails if the line changed underneath or is
# reserved at another location (a line is reserved at one location). A line already sourced there
# keeps its location column untouched: setting it costs SQLite an index update per line. The 0 is
# written into the SQL, not bound: with every parameter given by the caller, SQLite takes the fills'
# rows as they are (Prepared.execute_values), not as a mapping built and converted per row.
def _fill(
    line_id: ColumnElement[int], quantity: ColumnElement[int], location_id: ColumnElement[int], *, moves: bool
) -> Update:
    values: dict[str, Any] = {
        "qty_allocated": order_lines.c.qty_allocated + quantity,
        "qty_backordered": order_lines.c.qty_backordered - quantity,
    }
    if moves:
        values["location_id"] = location_id
    return (
        update(order_lines)
        .where(
            order_lines.c.id == line_id,
            order_lines.c.qty_backordered >= quantity,
            or_(order_lines.c.qty_allocated == literal_column("0"), order_lines.c.location_id == location_id),
        )
        .values(values)
    )


_given = (
    bindparam("f_id", type_=BigInteger),
    bindparam("f_quantity", type_=Integer),
    bindparam("f_location_id", type_=Integer),
)
_filled = arrays({"id": BigInteger(), "quantity": Integer(), "location_id": Integer()})
_in_arrays = (_filled.c.id, _filled.c.quantity, _filled.c.location_id)
_FILL_PARAMETERS = ("f_id", "f_quantity", "f_location_id")
_fill_each = {moves: Prepared(_fill(*_given, moves=moves)) for moves in (False, True)}
_fill_arrayed = {moves: Prepared(_fill(*_in_arrays, moves=moves)) for moves in (False, True)}
_touch_orders = UpdateByIds(orders, {"version": orders.c.version + 1})


class LineFill(NamedTuple):
    """``quantity`` backordered units of the line ``line_id`` reserved at ``location_id``; ``moves``
    when the line was sourced elsewhere (nowhere) until now. A named tuple: a batch of receipts fills
    tens of thousands of lines."""

    line_id: int
    quantity: int
    location_id: int
    moves: bool = True


class BackorderFills:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def fill_lines(self, fills: Sequence[LineFill]) -> Sent:
        """Reserve backordered units of lines of locked orders (one fill per line), guarded: the lines
        filled (known once sent, :mod:`o2c.store.pipeline`), fewer than ``fills`` if a guard failed (the
        line changed underneath, or is reserved at another location)."""
        changed = Sent.done(0)
        for moves in (False, True):
            some = [f for f in fills if f.moves is moves]
            if not some:
                continue
            if arrayed(self._conn, len(some)):
                given = {
                    "a_id": [f.line_id for f in some],
                    "a_quantity": [f.quantity for f in some],
                    "a_location_id": [f.location_id for f in some],
                }
                changed += _fill_arrayed[moves].send(self._conn, given)
            else:
                rows = [(f.line_id, f.quantity, f.location_id) for f in some]
                changed += _fill_each[moves].send_values(self._conn, _FILL_PARAMETERS, rows)
        return changed

    def touch_orders(self, order_ids: Iterable[int]) -> None:
        """Bump the versions of orders whose lines changed here, so that a copy read before can no
        longer be saved over them."""
        _touch_orders.send(self._conn, order_ids)


__all__ = ["BackorderFills", "LineFill"]
