"""What became of each order, at entry and on delivery, from one pass over its lines.

Fill rates (:mod:`o2c.analytics.fill`) judge an order when it was entered, delivery performance
(:mod:`o2c.analytics.delivery`) when it was delivered; both need the same per-order sums of its lines.
:func:`order_outcomes` reads the lines and the orders **once** for both: each order gets its entry
period (received in the window, not on credit hold) and its delivery period (delivered in the window),
and the orders are summed per (entry period, delivery period, member). The few hundred groups that
come back are then added up per entry period by the fill rates and per delivery period by delivery
performance. On SQLite, where every GROUP BY sorts its input, this halves the scorecard's passes over
millions of lines.

The definitions of each sum are in the two modules' docstrings; here they are only computed:

* entry sums, over the order's **original** lines (a substitute line fills units its original line
  already counts): units, units allocated at entry, lines, lines filled in full, value and value short
  at the unit price, lines backordered rather than lost;
* judgements, yes or no: filled in full at entry (every original line was); and on delivery, over
  **all** lines, in full, damage-free, no wrong item, and of the order on time (against the promised or
  requested date), no wrong-fill return, no billing-error credit memo.

The orders are grouped by their judgements too, packed as the bits of one integer (``judged``): on
SQLite a GROUP BY sorts every row it is given, and the sort costs by the width of the rows, so a
million orders carry one column of judgements to the sort instead of six, and OTIF and the perfect
order (the products of judgements) are counted per group afterwards, not per order.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import reduce
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select, type_coerce

from o2c.analytics.dimensions import Dimension, customer_labels, order_member
from o2c.analytics.figures import Slice
from o2c.analytics.periods import bucket_key, period_label, utc_date
from o2c.domain.money import MONEY_SCALE
from o2c.store.after_sale_tables import credit_memos, returns
from o2c.store.tables import order_lines, orders
from o2c.store.types import Minor

WRONG_FILL_REASONS = ("wrong_item", "wrong_quantity")


class OnTimeBasis(StrEnum):
    """The date an order must be delivered by to be on time."""

    PROMISED = "promised"
    REQUESTED = "requested"


@dataclass(frozen=True)
class Outcomes:
    """The orders of one (entry period, delivery period, member): either period ``None`` when the
    orders were not entered (or not delivered) in the window."""

    entered: str | None
    delivered: str | None
    member: str
    orders: int
    # at entry
    units: int
    units_allocated: int
    lines: int
    full_lines: int
    full_orders: int
    value: Decimal
    value_short: Decimal
    backordered_lines: int
    # on delivery
    on_time: int
    in_full: int
    otif: int
    damage_free: int
    filled: int
    invoiced: int
    accurate: int
    perfect: int


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _bits(flags: Iterable[ColumnElement[int]]) -> ColumnElement[int]:
    """Flags (0 or 1) as the bits of one integer, the first flag the lowest bit."""
    terms = [flag * (1 << bit) if bit else flag for bit, flag in enumerate(flags)]
    return reduce(operator.add, terms)


OrderSpan = tuple[int, int]
"""Order ids ``(first, last)``, both included: a part of the orders, to read parts side by side."""


def _line_sums(span: OrderSpan | None) -> Any:
    """Per order, the sums of its lines that entry and delivery need (one pass over the lines)."""
    ln = order_lines.c
    original = ln.substitute_for_line_no.is_(None)

    def of_original(value: ColumnElement[Any] | int) -> ColumnElement[Any]:
        return case((original, value), else_=0)

    short = ln.qty_ordered - ln.qty_allocated_at_entry
    full = _flag(short == 0)
    return (
        select(
            ln.order_id,
            func.sum(of_original(ln.qty_ordered)).label("units"),
            func.sum(of_original(ln.qty_allocated_at_entry)).label("units_allocated"),
            func.sum(of_original(1)).label("lines"),
            func.sum(of_original(full)).label("full_lines"),
            func.sum(of_original(ln.unit_price * ln.qty_ordered)).label("value"),
            func.sum(of_original(ln.unit_price * short)).label("value_short"),
            func.sum(of_original(_flag(short - ln.qty_lost > 0))).label("backordered_lines"),
            func.min(_flag(ln.qty_delivered + ln.qty_substituted + ln.qty_cancelled >= ln.qty_ordered)).label(
                "in_full"
            ),
            _flag(func.sum(ln.qty_damaged) == 0).label("damage_free"),
            _flag(func.sum(ln.qty_wrong_item) == 0).label("no_wrong_item"),
        )
        .where(*([ln.order_id.between(*span)] if span else []))
        .group_by(ln.order_id)
        .subquery("line_sums")
    )


def _per_order(conn: Connection, spec: Slice, basis: OnTimeBasis, span: OrderSpan | None) -> Any:
    """One row per order entered or delivered in the window: its two periods, member, sums and flags."""
    dialect, o = conn.dialect.name, orders.c
    lines = _line_sums(span)
    joined = lines.join(orders, o.id == lines.c.order_id)
    # A customer's code is named per group afterwards, not looked up per order; a segment is looked up
    # per order, as its few groups spare adding up thousands of customers' groups in Python.
    by_customer = spec.by is Dimension.CUSTOMER
    source, member = (joined, o.customer_id) if by_customer else order_member(spec.by, joined, dialect)
    is_entered = and_(o.status != "credit_hold", *spec.window.contains(o.received_at))
    is_delivered = and_(*spec.window.contains(o.delivered_at))
    due = o.promised_date if basis is OnTimeBasis.PROMISED else o.requested_date
    wrong_fill = select(returns.c.order_id).where(
        returns.c.reason.in_(WRONG_FILL_REASONS), returns.c.status != "rejected"
    )
    billing_error = select(credit_memos.c.order_id).where(credit_memos.c.reason == "billing_error")
    sums = (lines.c[name] for name in (*_ENTRY_COUNTS, "value", "value_short"))
    judged = {
        "order_full": _flag(lines.c.full_lines == lines.c.lines),  # every original line filled in full
        "on_time": _flag(and_(due.is_not(None), utc_date(o.delivered_at, dialect) <= due)),
        "in_full": lines.c.in_full,
        "damage_free": lines.c.damage_free,
        "filled": lines.c.no_wrong_item * _flag(o.id.not_in(wrong_fill)),
        "invoiced": _flag(o.id.not_in(billing_error)),
    }
    return (
        select(
            case((is_entered, bucket_key(o.received_at, spec.period, dialect))).label("entered"),
            case((is_delivered, bucket_key(o.delivered_at, spec.period, dialect))).label("delivered"),
            member.label("member"),
            _bits(judged[name] for name in _JUDGEMENTS).label("judged"),
            *sums,
        )
        .select_from(source)
        .where(or_(is_entered, is_delivered))
        .subquery("per_order")
    )


def order_outcomes(
    conn: Connection,
    spec: Slice,
    basis: OnTimeBasis = OnTimeBasis.PROMISED,
    span: OrderSpan | None = None,
) -> list[Outcomes]:
    """The orders entered or delivered in the window, summed per entry period, delivery period and
    member (segment, customer, channel, carrier). Order breakdowns only: a line breakdown of the fill
    rates is computed by :func:`o2c.analytics.fill.entry_fill` at the line's grain.

    By customer, the orders are summed per customer id and each group named by the customer's code
    afterwards. ``span`` reads only the orders of those ids: the outcomes of spans that cover all
    orders, read side by side, add up to the whole (:func:`summed` adds groups that share a key)."""
    o = _per_order(conn, spec, basis, span)
    keys = (o.c.entered, o.c.delivered, o.c.member, o.c.judged)
    statement = select(
        *keys,
        func.count().label("orders"),
        *(func.sum(o.c[name]).label(name) for name in _ENTRY_COUNTS),
        type_coerce(func.sum(o.c.value), Minor(MONEY_SCALE)).label("value"),
        type_coerce(func.sum(o.c.value_short), Minor(MONEY_SCALE)).label("value_short"),
    ).group_by(*keys)
    rows = conn.execute(statement).all()
    names = customer_labels(conn, spec.by) if spec.by is Dimension.CUSTOMER else None
    return _outcomes(rows, names)


def order_spans(conn: Connection, parts: int) -> list[OrderSpan]:
    """The order ids cut into ``parts`` spans of equal width (none when there is no order)."""
    first, last = conn.execute(select(func.min(orders.c.id), func.max(orders.c.id))).one()
    if first is None:
        return []
    width = (last - first) // parts + 1
    return [(lo, min(lo + width - 1, last)) for lo in range(first, last + 1, width)]


def summed(
    outcomes: Iterable[Outcomes], period: str, names: tuple[str, ...]
) -> dict[tuple[str, str], list[Any]]:
    """The fields ``names`` of the outcomes added up per (``period``, member), ``period`` being
    ``"entered"`` or ``"delivered"``: outcomes outside that period (``None``) are left out."""
    totals: dict[tuple[str, str], list[Any]] = {}
    for o in outcomes:
        label = getattr(o, period)
        if label is None:
            continue
        parts = totals.setdefault((label, o.member), [0] * len(names))
        for i, name in enumerate(names):
            parts[i] += getattr(o, name)
    return dict(sorted(totals.items()))


_ENTRY_COUNTS = ("units", "units_allocated", "lines", "full_lines", "backordered_lines")
_JUDGEMENTS = ("order_full", "on_time", "in_full", "damage_free", "filled", "invoiced")
"""What is judged of each order, yes or no: bit ``i`` of ``judged`` is the ``i``-th."""
_COUNTED = {  # orders counted in each field: those with all these judgements yes
    "full_orders": ("order_full",),
    "on_time": ("on_time",),
    "in_full": ("in_full",),
    "otif": ("on_time", "in_full"),
    "damage_free": ("damage_free",),
    "filled": ("filled",),
    "invoiced": ("invoiced",),
    "accurate": ("filled", "invoiced"),
    "perfect": ("on_time", "in_full", "damage_free", "filled", "invoiced"),
}
_MASKS = {field: sum(1 << _JUDGEMENTS.index(j) for j in judged) for field, judged in _COUNTED.items()}
_SUMMED = ("orders", *_ENTRY_COUNTS, "value", "value_short", *_COUNTED)


def _outcomes(rows: Iterable[Any], names: dict[int, str] | None) -> list[Outcomes]:
    """The groups of orders by their judgements, added up per (entry period, delivery period, member)."""
    totals: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    for r in rows:
        parts = totals.get((r.entered, r.delivered, r.member))
        if parts is None:
            parts = totals[r.entered, r.delivered, r.member] = dict.fromkeys(_SUMMED, 0)
            parts["value"] = parts["value_short"] = Decimal(0)
        orders = int(r.orders)
        parts["orders"] += orders
        for name in _ENTRY_COUNTS:
            parts[name] += int(getattr(r, name) or 0)
        parts["value"] += r.value or Decimal(0)
        parts["value_short"] += r.value_short or Decimal(0)
        for field, mask in _MASKS.items():
            if r.judged & mask == mask:
                parts[field] += orders
    return [
        Outcomes(
            entered=None if entered is None else period_label(entered),
            delivered=None if delivered is None else period_label(delivered),
            member=names[member] if names is not None else member,
            **parts,
        )
        for (entered, delivered, member), parts in totals.items()
    ]
