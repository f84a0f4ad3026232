"""ABC (revenue) and XYZ (variability of weekly demand) classes of customers and SKUs over a period.

* Revenue: customers by net sales (invoice subtotals - credit memo subtotals, by issue date); SKUs by
  the net amount of their invoice lines (credit memos are not per SKU).
* Weekly demand: what was ordered, by the ISO week (Monday, UTC) the order was received — customers
  by ordered net value, SKUs by ordered units — with every week of the window counted, a week without
  orders as 0. The window must be bounded or is taken from the first to the last order received.

Sums are grouped in SQL by item and week; NumPy computes the coefficients of variation from the
(items * weeks) matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Connection, func, select, type_coerce

from o2c.analytics.periods import Period, Window, bucket, labels_between
from o2c.analytics.segmentation import abc_classes, coefficients_of_variation, xyz_class
from o2c.domain.money import MONEY_SCALE, from_minor
from o2c.store.after_sale_tables import credit_memos
from o2c.store.master_tables import customers, products
from o2c.store.tables import invoice_lines, invoices, order_lines, orders


class Subject(StrEnum):
    CUSTOMER = "customer"
    SKU = "sku"


@dataclass(frozen=True)
class ClassifiedItem:
    key: str
    revenue: Decimal
    abc: str
    weekly_mean: float
    weekly_cv: float | None  # None: no demand at all in the window
    xyz: str

    @property
    def abc_xyz(self) -> str:
        return self.abc + self.xyz


def _raw(column: Any) -> Any:
    return type_coerce(column, BigInteger)


def _revenue(conn: Connection, subject: Subject, window: Window) -> dict[str, Decimal]:
    inv = invoices.c
    if subject is Subject.SKU:
        statement = (
            select(products.c.sku, func.sum(_raw(invoice_lines.c.net_amount)))
            .select_from(
                invoice_lines.join(invoices, inv.id == invoice_lines.c.invoice_id)
                .join(order_lines, order_lines.c.id == invoice_lines.c.order_line_id)
                .join(products, products.c.id == order_lines.c.product_id)
            )
            .where(*window.contains(inv.issued_at))
            .group_by(products.c.sku)
        )
        return {k: from_minor(int(v), MONEY_SCALE) for k, v in conn.execute(statement)}
    revenue: dict[str, Decimal] = {}
    for table, at, sign in ((invoices, inv.issued_at, 1), (credit_memos, credit_memos.c.issued_at, -1)):
        statement = (
            select(customers.c.code, func.sum(_raw(table.c.subtotal)))
            .select_from(table.join(customers, customers.c.id == table.c.customer_id))
            .where(*window.contains(at))
            .group_by(customers.c.code)
        )
        for key, amount in conn.execute(statement):
            revenue[key] = revenue.get(key, Decimal(0)) + sign * from_minor(int(amount), MONEY_SCALE)
    return revenue


def _bounded(conn: Connection, window: Window) -> Window | None:
    if window.start is not None and window.end is not None:
        return window
    first, last = conn.execute(
        select(func.min(orders.c.received_at), func.max(orders.c.received_at)).where(
            *window.contains(orders.c.received_at)
        )
    ).one()
    if first is None:
        return None
    return Window(window.start or first, window.end or last + timedelta(seconds=1))


def _weekly_demand(
    conn: Connection, subject: Subject, window: Window
) -> tuple[list[str], np.ndarray[Any, Any]]:
    week = bucket(orders.c.received_at, Period.WEEK, conn.dialect.name).label("week")
    if subject is Subject.SKU:
        key, amount = products.c.sku, func.sum(order_lines.c.qty_ordered)
        source = order_lines.join(orders, orders.c.id == order_lines.c.order_id).join(
            products, products.c.id == order_lines.c.product_id
        )
    else:
        key, amount = customers.c.code, func.sum(_raw(order_lines.c.net_amount))
        source = order_lines.join(orders, orders.c.id == order_lines.c.order_id).join(
            customers, customers.c.id == orders.c.customer_id
        )
    statement = (
        select(key.label("key"), week, amount.label("amount"))
        .select_from(source)
        .where(*window.contains(orders.c.received_at))
        .group_by(key, week)
    )
    assert window.start is not None and window.end is not None
    weeks = {label: i for i, label in enumerate(labels_between(window.start, window.end, Period.WEEK))}
    rows = conn.execute(statement).all()
    keys = sorted({r.key for r in rows})
    index = {k: i for i, k in enumerate(keys)}
    matrix = np.zeros((len(keys), len(weeks)))
    unit = 10**MONEY_SCALE if subject is Subject.CUSTOMER else 1  # ordered value was summed in cents
    for r in rows:  # one row per item and week, never per order line
        matrix[index[r.key], weeks[r.week]] += float(r.amount) / unit
    return keys, matrix


def classify(
    conn: Connection,
    subject: Subject,
    window: Window,
    *,
    abc: tuple[float, float] = (0.80, 0.95),
    xyz: tuple[float, float] = (0.5, 1.0),
) -> list[ClassifiedItem]:
    """ABC and XYZ class of every customer (or SKU) with revenue or demand in the window.

    Parameters
    ----------
    abc : (float, float)
        Cumulative revenue shares closing classes A and B.
    xyz : (float, float)
        Coefficients of variation of weekly demand closing classes X and Y.

    Returns
    -------
    list of ClassifiedItem
        Highest revenue first.
    """
    revenue = _revenue(conn, subject, window)
    bounded = _bounded(conn, window)
    keys, matrix = _weekly_demand(conn, subject, bounded) if bounded else ([], np.zeros((0, 0)))
    cv = dict(zip(keys, coefficients_of_variation(matrix), strict=True)) if keys else {}
    means = dict(zip(keys, matrix.mean(axis=1), strict=True)) if keys else {}
    everyone = set(revenue) | set(keys)
    classes = abc_classes({k: revenue.get(k, Decimal(0)) for k in everyone}, *abc)
    items = []
    for key in everyone:
        variation = float(cv.get(key, np.inf))
        items.append(
            ClassifiedItem(
                key=key,
                revenue=revenue.get(key, Decimal(0)),
                abc=classes[key],
                weekly_mean=float(means.get(key, 0.0)),
                weekly_cv=variation if np.isfinite(variation) else None,
                xyz=xyz_class(variation, *xyz),
            )
        )
    return sorted(items, key=lambda i: (-i.revenue, i.key))
