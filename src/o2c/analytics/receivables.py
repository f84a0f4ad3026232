"""Days sales outstanding (DSO): how many days of sales the open receivables represent.

.. math:: DSO_p = \\frac{AR_{end(p)}}{S_p} \\cdot D_p

* :math:`S_p` — **sales** of period *p*: invoices issued in it (``subtotal + tax_total``, by
  ``invoices.issued_at``);
* :math:`AR_{end(p)}` — **receivables** open at the end of *p*: every invoice issued before the end,
  less every payment received (``payments.received_at``) and every credit memo amount applied to an
  invoice (``credit_memos.amount_applied``, by ``issued_at``) before the end;
* :math:`D_p` — days in the period (clipped to the window); with no period, the days of the window
  (or, if it is open-ended, from the first to the last day with a flow).

This is the count-back-free "period-end" DSO (receivables ÷ average daily sales of the period). A
period without sales has no DSO (``None``) though its receivables carry on to the next.
Breakdowns: segment, customer, channel (of the invoiced order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, func, select, type_coerce

from o2c.analytics.dimensions import Dimension, customer_labels, order_member, require
from o2c.analytics.figures import Slice
from o2c.analytics.periods import (
    ALL,
    Period,
    Window,
    bucket_end,
    bucket_key,
    bucket_start,
    grouped,
    labels_between,
    period_label,
)
from o2c.domain.money import MONEY_SCALE
from o2c.store.after_sale_tables import credit_memos
from o2c.store.master_tables import customers
from o2c.store.tables import invoices, orders, payments
from o2c.store.types import Minor

DIMENSIONS = frozenset({Dimension.SEGMENT, Dimension.CUSTOMER, Dimension.CHANNEL})
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class SalesOutstanding:
    """Sales of a period, receivables open at its end, and the DSO they give."""

    period: str
    member: str
    sales: Decimal
    receivables: Decimal
    days: float
    dso: float | None


@dataclass(frozen=True)
class _Flow:
    """A money flow: where it is recorded, whose it is, when it happened, and its signed amount."""

    source: FromClause
    customer_id: ColumnElement[int]
    order_id: Callable[[], tuple[FromClause, ColumnElement[int]]]  # the source joined to reach its order
    when: ColumnElement[Any]
    amount: ColumnElement[Any]

    def member(self, by: Dimension | None, dialect: str) -> tuple[FromClause, ColumnElement[Any]]:
        """Each flow's member, or its customer id by customer (named per group afterwards): every flow
        records its customer, so only a channel needs its order."""
        if by is Dimension.CUSTOMER:
            return self.source, self.customer_id
        if by is Dimension.SEGMENT:  # a few groups, not one per customer to add up in Python
            return self.source.join(customers, customers.c.id == self.customer_id), customers.c.segment
        if by is None:
            return self.source, ALL
        source, order_id = self.order_id()
        return order_member(by, source.join(orders, orders.c.id == order_id), dialect)


def _flow_sources() -> dict[str, _Flow]:
    i, p, cm = invoices.c, payments.c, credit_memos.c
    paid = payments.join(invoices, i.id == p.invoice_id)
    return {
        "invoiced": _Flow(
            invoices, i.customer_id, lambda: (invoices, i.order_id), i.issued_at, i.subtotal + i.tax_total
        ),
        "paid": _Flow(payments, p.customer_id, lambda: (paid, i.order_id), p.received_at, -p.amount),
        "credited": _Flow(
            credit_memos,
            cm.customer_id,
            lambda: (credit_memos, cm.order_id),
            cm.issued_at,
            -cm.amount_applied,
        ),
    }


def _flows(conn: Connection, spec: Slice, opening: bool) -> list[Any]:
    """Sums of each flow per period and member in the window (``opening``: everything before it)."""
    rows: list[Any] = []
    for kind, flow in _flow_sources().items():
        joined, member = flow.member(spec.by, conn.dialect.name)
        when, amount = flow.when, flow.amount
        if opening:
            assert spec.window.start is not None
            period, where = ALL, [when < spec.window.start]
        else:
            period, where = bucket_key(when, spec.period, conn.dialect.name), spec.window.contains(when)
        statement = (
            select(
                period.label("period"),
                member.label("member"),
                type_coerce(func.sum(amount), Minor(MONEY_SCALE)).label("amount"),
                func.min(when).label("first"),
                func.max(when).label("last"),
            )
            .select_from(joined)
            .where(*where)
            .group_by(*grouped(period, member))
        )
        rows.extend((kind, r) for r in conn.execute(statement))
    if spec.by is Dimension.CUSTOMER:
        names = customer_labels(conn, spec.by)
        return [(kind, _FlowSum(r.period, names[r.member], r.amount, r.first, r.last)) for kind, r in rows]
    return rows


@dataclass(frozen=True)
class _FlowSum:
    """A flow's sum over a period and member, its first and last instant."""

    period: Any
    member: str
    amount: Decimal | None
    first: datetime | None
    last: datetime | None


def _labels(spec: Slice, rows: list[Any]) -> tuple[list[str], Window]:
    """The periods to report and the window their days are clipped to."""
    firsts = [r.first for _, r in rows if r.first is not None]
    lasts = [r.last for _, r in rows if r.last is not None]
    start = spec.window.start or (min(firsts) if firsts else None)
    end = spec.window.end or (max(lasts) if lasts else None)
    if start is None or end is None:
        return [], spec.window
    if spec.window.end is None:
        end = bucket_end(end.date().isoformat(), Period.DAY)
    if spec.window.start is None:
        start = bucket_start(start.date().isoformat())
    window = Window(start, end)
    if spec.period is None:
        return ["all"], window
    return labels_between(start, end, spec.period), window


def _days(label: str, period: Period | None, window: Window) -> float:
    assert window.start is not None and window.end is not None
    start, end = window.start, window.end
    if period is not None:
        start, end = max(start, bucket_start(label)), min(end, bucket_end(label, period))
    return (end - start).total_seconds() / SECONDS_PER_DAY


def days_sales_outstanding(conn: Connection, spec: Slice) -> list[SalesOutstanding]:
    """DSO per period and member (segment, customer, channel).

    Parameters
    ----------
    conn : Connection
        Any connection; nothing is written.
    spec : Slice
        Period buckets, breakdown and window.

    Returns
    -------
    list of SalesOutstanding
        Every period of the window for every member with a flow in it, in period then member order.
    """
    require("days sales outstanding", spec.by, DIMENSIONS)
    in_window = _flows(conn, spec, opening=False)
    labels, window = _labels(spec, in_window)
    balance: dict[str, Decimal] = defaultdict(Decimal)
    if spec.window.start is not None:
        for _, r in _flows(conn, spec, opening=True):
            balance[r.member] += r.amount or Decimal(0)
    moves: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    sales: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for kind, r in in_window:
        label = period_label(r.period)
        moves[label, r.member] += r.amount or Decimal(0)
        if kind == "invoiced":
            sales[label, r.member] += r.amount or Decimal(0)
    members = sorted({r.member for _, r in in_window})
    result: list[SalesOutstanding] = []
    for label in labels:
        days = _days(label, spec.period, window)
        for member in members:
            balance[member] += moves[label, member]
            sold = sales[label, member]
            dso = float(balance[member] / sold) * days if sold else None
            result.append(SalesOutstanding(label, member, sold, balance[member], days, dso))
    return result
