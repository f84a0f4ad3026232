"""Fill rates at order entry, and the stockout value and backordered lines of the same orders.

Every figure here describes what stock could do for an order **when it was entered**, so each order
is placed in the period of ``orders.received_at``. The population is the orders received in the
window, except those still on credit hold (stock has not been offered to them yet), and their
original lines: a substitute line (``substitute_for_line_no`` set) fills units its original line
already counts.

Formulas (DOMAIN.md, "Service metrics"), with ``a`` = ``qty_allocated_at_entry``, ``q`` =
``qty_ordered``, ``p`` = ``unit_price``:

* ``unit_fill_rate`` = Σ a ÷ Σ q
* ``line_fill_rate`` = #lines with a = q ÷ #lines
* ``order_fill_rate`` = #orders whose every line has a = q ÷ #orders (order breakdowns only: by SKU
  or location an order is not a unit)
* ``value_fill_rate`` = Σ a·p ÷ Σ q·p (value at the line's unit price, before discounts)
* ``stockout_value`` = Σ (q - a)·p: ordered value that could not be allocated at entry, because the
  SKU was out of stock at every location allocation may draw from
* ``backorder_rate`` = #lines with q - a - ``qty_lost`` > 0 ÷ #lines: lines whose shortfall at entry
  was backordered rather than cut as a lost sale by the ``cancel_remainder`` policy.

Known limit: the schema has no "stock offered at" stamp, so an order cancelled while still on credit
hold (never offered stock) counts as entered with nothing allocated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Integer, case, func, select, type_coerce

from o2c.analytics.dimensions import LINE_DIMENSIONS, ORDER_DIMENSIONS, line_member, require
from o2c.analytics.figures import Ratio, Slice, ratio
from o2c.analytics.outcomes import Outcomes, order_outcomes, summed
from o2c.analytics.periods import bucket_key, grouped, period_label
from o2c.domain.money import MONEY_SCALE
from o2c.store.tables import order_lines, orders
from o2c.store.types import Minor

DIMENSIONS = LINE_DIMENSIONS


@dataclass(frozen=True)
class EntryFill:
    """Fill at entry of the orders received in one period, for one member of the breakdown."""

    period: str
    member: str
    unit_fill_rate: Ratio
    line_fill_rate: Ratio
    order_fill_rate: Ratio | None
    value_fill_rate: Ratio
    stockout_value: Decimal
    stockout_units: int
    backorder_rate: Ratio


def _money(expression: Any) -> Any:
    return type_coerce(expression, Minor(MONEY_SCALE))


def _line_sums(*keys: Any) -> list[Any]:
    ln = order_lines.c
    short = ln.qty_ordered - ln.qty_allocated_at_entry
    full = case((short == 0, 1), else_=0)
    return [
        *keys,
        func.sum(ln.qty_ordered).label("units"),
        func.sum(ln.qty_allocated_at_entry).label("units_allocated"),
        func.count().label("lines"),
        func.sum(full).label("full_lines"),
        func.min(full).label("order_full"),
        func.sum(ln.unit_price * ln.qty_ordered).label("value"),
        func.sum(ln.unit_price * short).label("value_short"),
        func.sum(case((short - ln.qty_lost > 0, 1), else_=0)).label("backordered_lines"),
    ]


def _per_line_member(conn: Connection, spec: Slice) -> Any:
    """For a line breakdown (SKU, location): one row per order and member entered in the window, with
    the sums of its original lines.
    An order breakdown reads :func:`~o2c.analytics.outcomes.order_outcomes` instead."""
    ln, dialect = order_lines.c, conn.dialect.name
    period = bucket_key(orders.c.received_at, spec.period, dialect)
    entered = [orders.c.status != "credit_hold", *spec.window.contains(orders.c.received_at)]
    source, member = line_member(spec.by, order_lines.join(orders, orders.c.id == ln.order_id), dialect)
    return (
        select(*_line_sums(period.label("period"), member.label("member")))
        .select_from(source)
        .where(ln.substitute_for_line_no.is_(None), *entered)
        .group_by(orders.c.id, *grouped(period, member))
        .subquery("per_order")
    )


def entry_fill(conn: Connection, spec: Slice, outcomes: Iterable[Outcomes] | None = None) -> list[EntryFill]:
    """Unit, line, order and value fill rates, stockout value and backorder rate at entry.

    Parameters
    ----------
    conn : Connection
        Any connection; nothing is written.
    spec : Slice
        Period buckets (by ``orders.received_at``), breakdown (segment, customer, channel, SKU,
        location) and window.
    outcomes : iterable of Outcomes, optional
        :func:`~o2c.analytics.outcomes.order_outcomes` of the same slice, when the caller has read them
        already (the scorecard reads them once for fill and delivery); an order breakdown only.

    Returns
    -------
    list of EntryFill
        One row per period and member that received an order, in period then member order.
    """
    require("fill rate", spec.by, DIMENSIONS)
    if spec.by is not None and spec.by not in ORDER_DIMENSIONS:
        return _by_line_member(conn, spec)
    return fills_of(order_outcomes(conn, spec) if outcomes is None else outcomes)


def fills_of(outcomes: Iterable[Outcomes]) -> list[EntryFill]:
    """The fill rates of order outcomes already read, per entry period and member."""
    return [
        _row(SimpleNamespace(period=period, member=member, **dict(zip(_TOTALS, parts, strict=True))), True)
        for (period, member), parts in summed(outcomes, "entered", _TOTALS).items()
    ]


_TOTALS = (
    "units",
    "units_allocated",
    "lines",
    "full_lines",
    "orders",
    "full_orders",
    "value",
    "value_short",
    "backordered_lines",
)


def _by_line_member(conn: Connection, spec: Slice) -> list[EntryFill]:
    o = _per_line_member(conn, spec)
    statement = (
        select(
            o.c.period,
            o.c.member,
            func.sum(o.c.units).label("units"),
            func.sum(o.c.units_allocated).label("units_allocated"),
            func.sum(o.c.lines).label("lines"),
            func.sum(o.c.full_lines).label("full_lines"),
            func.count().label("orders"),
            func.sum(type_coerce(o.c.order_full, Integer)).label("full_orders"),
            _money(func.sum(o.c.value)).label("value"),
            _money(func.sum(o.c.value_short)).label("value_short"),
            func.sum(o.c.backordered_lines).label("backordered_lines"),
        )
        .group_by(o.c.period, o.c.member)
        .order_by(o.c.period, o.c.member)
    )
    return [_row(r, False) for r in conn.execute(statement)]


def _row(r: Any, whole_orders: bool) -> EntryFill:
    units, allocated = int(r.units), int(r.units_allocated)  # totals of outcomes, or a row of _by_line_member
    value, short = r.value or Decimal(0), r.value_short or Decimal(0)
    return EntryFill(
        period=period_label(r.period),
        member=r.member,
        unit_fill_rate=ratio(allocated, units),
        line_fill_rate=ratio(int(r.full_lines), int(r.lines)),
        order_fill_rate=ratio(int(r.full_orders), int(r.orders)) if whole_orders else None,
        value_fill_rate=ratio(value - short, value),
        stockout_value=short,
        stockout_units=units - allocated,
        backorder_rate=ratio(int(r.backordered_lines), int(r.lines)),
    )
