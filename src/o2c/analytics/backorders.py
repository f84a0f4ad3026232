"""Open backorders: how many lines and units wait for supply, their value, and how old they are.

A backorder is the ``qty_backordered`` of an order line: units ordered that found no stock and wait
for supply (the lines' current state, so this is a snapshot of now). Age runs from the order's
``received_at`` (when the shortfall arose) to ``as_of``.

* ``open_backorder_value`` = Σ ``qty_backordered`` · ``unit_price``
* ``average_backorder_age`` = mean over the open backorder lines of ``as_of - orders.received_at``,
  in hours

The backorder **rate** (lines backordered at entry ÷ lines) describes the orders received in a
period: it is computed with the fill rates, :func:`o2c.analytics.fill.entry_fill`.
Breakdowns: segment, customer, channel, SKU, location.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, func, select, type_coerce

from o2c.analytics.dimensions import LINE_DIMENSIONS, Dimension, line_member, require
from o2c.analytics.figures import SECONDS_PER_HOUR
from o2c.analytics.periods import epoch_of, epoch_seconds, grouped
from o2c.domain.money import MONEY_SCALE
from o2c.store.tables import order_lines, orders
from o2c.store.types import Minor

DIMENSIONS = LINE_DIMENSIONS


@dataclass(frozen=True)
class OpenBackorders:
    """The backorders open now, for one member."""

    member: str
    lines: int
    units: int
    open_backorder_value: Decimal
    average_backorder_age: float | None  # hours


def open_backorders(conn: Connection, as_of: datetime, by: Dimension | None = None) -> list[OpenBackorders]:
    """Open backorder lines, units, value and average age (hours at ``as_of``), per member.

    Parameters
    ----------
    conn : Connection
        Any connection; nothing is written.
    as_of : datetime
        The instant ages are measured at (now, normally).
    by : Dimension, optional
        Segment, customer, channel, SKU or location.
    """
    require("backorders", by, DIMENSIONS)
    ln = order_lines.c
    source, member = line_member(by, order_lines.join(orders, orders.c.id == ln.order_id), conn.dialect.name)
    age = epoch_of(as_of) - epoch_seconds(orders.c.received_at, conn.dialect.name)
    statement = (
        select(
            member.label("member"),
            func.count().label("lines"),
            func.sum(ln.qty_backordered).label("units"),
            type_coerce(func.sum(ln.qty_backordered * ln.unit_price), Minor(MONEY_SCALE)).label("value"),
            func.sum(age).label("age"),
        )
        .select_from(source)
        .where(ln.qty_backordered > 0, orders.c.received_at <= as_of)
        .group_by(*grouped(member))
        .order_by(*grouped(member))
    )
    return [
        OpenBackorders(
            r.member,
            int(r.lines),
            int(r.units),
            r.value,
            round(int(r.age) / int(r.lines) / SECONDS_PER_HOUR, 6) if r.lines else None,
        )
        for r in conn.execute(statement)
        if r.lines  # with no breakdown, an empty result is still one row of nulls
    ]
