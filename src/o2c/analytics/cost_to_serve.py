"""Activity rates and the per-customer counts and amounts that cost-to-serve and profitability read.

Activity-based cost-to-serve (DOMAIN.md, "Customer analytics"):
``cost_to_serve = Σ activity count * activity rate + actual freight``. The activities and their
default rates (money per occurrence, in the currency of the books) are:

============  =======  ====================================================================
activity      default  counted in the period as
============  =======  ====================================================================
order           15.00  orders received (entry, validation, credit check)
line             2.50  lines of those orders (each is a pick)
shipment        12.00  shipments shipped (pack, load, documents)
delivery         3.00  shipments delivered (proof of delivery, exceptions)
expedite        40.00  orders expedited (``orders.expedited_at``)
return          35.00  returns authorised (RMA handling, inspection)
service_case    25.00  service cases opened
credit_hold     20.00  orders put on credit hold (``order.credit_held`` events)
invoice          5.00  invoices issued; also the "average cost per invoice" of the
                       single-criterion operating profit contribution
============  =======  ====================================================================

A row of ``activity_rates`` overrides a default (:func:`set_activity_rate`, ``o2c report customers
--rate ACTIVITY=AMOUNT`` for one report). Everything is summed in SQL per customer; Python only
multiplies the per-customer totals by the rates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, Select, and_, func, select, type_coerce
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from o2c.analytics.periods import Window
from o2c.domain.errors import ValidationFailed
from o2c.domain.money import COST_SCALE, MONEY_SCALE, from_minor, parse_decimal
from o2c.store.after_sale_tables import credit_memos, return_lines, returns, service_cases
from o2c.store.analytics_tables import ACTIVITIES, activity_rates
from o2c.store.tables import events, invoice_lines, invoices, order_lines, orders, shipments

DEFAULT_RATES: dict[str, Decimal] = {
    "order": Decimal("15.00"),
    "line": Decimal("2.50"),
    "shipment": Decimal("12.00"),
    "delivery": Decimal("3.00"),
    "expedite": Decimal("40.00"),
    "return": Decimal("35.00"),
    "service_case": Decimal("25.00"),
    "credit_hold": Decimal("20.00"),
    "invoice": Decimal("5.00"),
}
COST_TO_SERVE_ACTIVITIES = tuple(a for a in ACTIVITIES if a != "invoice")


def activity_rates_in_force(
    conn: Connection, overrides: dict[str, Decimal] | None = None
) -> dict[str, Decimal]:
    """The defaults, overridden by the ``activity_rates`` table, overridden by ``overrides``."""
    rates = dict(DEFAULT_RATES)
    for row in conn.execute(select(activity_rates.c.activity, activity_rates.c.rate)):
        rates[row.activity] = row.rate
    for activity, rate in (overrides or {}).items():
        rates[_known(activity)] = rate
    return rates


def _known(activity: str) -> str:
    if activity not in ACTIVITIES:
        raise ValidationFailed(
            f"unknown activity {activity!r} (one of {', '.join(ACTIVITIES)})", field="activity"
        )
    return activity


def parse_rate(text: str) -> tuple[str, Decimal]:
    """``"order=12.50"`` → ``("order", Decimal("12.50"))``, or a clear error."""
    activity, _, amount = text.partition("=")
    if not amount:
        raise ValidationFailed(f"rate {text!r} is not ACTIVITY=AMOUNT", field="rate")
    try:
        return _known(activity.strip()), parse_decimal(amount, scale=COST_SCALE, what="rate")
    except ValueError as error:
        raise ValidationFailed(str(error), field="rate") from None


def set_activity_rate(conn: Connection, activity: str, rate: Decimal, now: datetime) -> None:
    """Store the rate of one activity (insert or replace)."""
    if rate < 0:
        raise ValidationFailed(f"rate {rate} is negative", field="rate")
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(activity_rates).values(activity=_known(activity), rate=rate, updated_at=now)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["activity"], set_={"rate": statement.excluded.rate, "updated_at": now}
        )
    )


# --- per-customer facts ---------------------------------------------------------------------------


@dataclass
class CustomerFacts:
    """What one customer did in the period: activity counts and money, in exact units."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIVITIES, 0))
    invoiced: Decimal = Decimal(0)  # invoice subtotals (net of tax)
    credited: Decimal = Decimal(0)  # credit memo subtotals
    cost_of_goods: Decimal = Decimal(0)  # invoiced quantity * unit cost
    cost_returned: Decimal = Decimal(0)  # received returns put back in stock * unit cost
    freight: Decimal = Decimal(0)


def _raw(column: Any) -> ColumnElement[int]:
    """A money column as its stored integer, so sums stay exact integers on both databases."""
    return type_coerce(column, BigInteger)


def _count_queries(window: Window) -> dict[str, Select[Any]]:
    o, s = orders.c, shipments.c

    def per_customer(customer: Any, *where: Any) -> Select[Any]:
        return select(customer.label("customer_id"), func.count().label("n")).where(*where).group_by(customer)

    held = and_(events.c.entity_type == "order", events.c.event_type == "order.credit_held")
    return {
        "order": per_customer(o.customer_id, *window.contains(o.received_at)),
        "line": per_customer(o.customer_id, *window.contains(o.received_at)).select_from(
            order_lines.join(orders, o.id == order_lines.c.order_id)
        ),
        "shipment": per_customer(o.customer_id, *window.contains(s.shipped_at)).select_from(
            shipments.join(orders, o.id == s.order_id)
        ),
        "delivery": per_customer(o.customer_id, *window.contains(s.delivered_at)).select_from(
            shipments.join(orders, o.id == s.order_id)
        ),
        "expedite": per_customer(o.customer_id, *window.contains(o.expedited_at)),
        "return": per_customer(returns.c.customer_id, *window.contains(returns.c.authorised_at)),
        "service_case": per_customer(
            service_cases.c.customer_id, *window.contains(service_cases.c.opened_at)
        ),
        "credit_hold": per_customer(o.customer_id, held, *window.contains(events.c.occurred_at)).select_from(
            events.join(orders, o.number == events.c.entity_id)
        ),
        "invoice": per_customer(invoices.c.customer_id, *window.contains(invoices.c.issued_at)),
    }


def _amount_queries(window: Window) -> dict[str, tuple[Select[Any], int]]:
    """Each amount per customer as a sum of stored integers, with the scale of that integer."""
    o, inv, il = orders.c, invoices.c, invoice_lines.c
    issued = window.contains(inv.issued_at)
    restocked = and_(return_lines.c.disposition == "restock", *window.contains(returns.c.received_at))
    return {
        "invoiced": (
            select(inv.customer_id, func.sum(_raw(inv.subtotal)).label("n"))
            .where(*issued)
            .group_by(inv.customer_id),
            MONEY_SCALE,
        ),
        "credited": (
            select(credit_memos.c.customer_id, func.sum(_raw(credit_memos.c.subtotal)).label("n"))
            .where(*window.contains(credit_memos.c.issued_at))
            .group_by(credit_memos.c.customer_id),
            MONEY_SCALE,
        ),
        "cost_of_goods": (
            select(inv.customer_id, func.sum(il.quantity * _raw(order_lines.c.unit_cost)).label("n"))
            .select_from(
                invoice_lines.join(invoices, inv.id == il.invoice_id).join(
                    order_lines, order_lines.c.id == il.order_line_id
                )
            )
            .where(*issued)
            .group_by(inv.customer_id),
            COST_SCALE,
        ),
        "cost_returned": (
            select(
                returns.c.customer_id,
                func.sum(return_lines.c.qty_received * _raw(order_lines.c.unit_cost)).label("n"),
            )
            .select_from(
                return_lines.join(returns, returns.c.id == return_lines.c.return_id).join(
                    order_lines, order_lines.c.id == return_lines.c.order_line_id
                )
            )
            .where(restocked)
            .group_by(returns.c.customer_id),
            COST_SCALE,
        ),
        "freight": (
            select(o.customer_id, func.sum(_raw(shipments.c.freight_cost)).label("n"))
            .select_from(shipments.join(orders, o.id == shipments.c.order_id))
            .where(*window.contains(shipments.c.shipped_at))
            .group_by(o.customer_id),
            MONEY_SCALE,
        ),
    }


def customer_facts(conn: Connection, window: Window) -> dict[int, CustomerFacts]:
    """Activity counts and amounts per customer id for the period, one grouped query each."""
    facts: dict[int, CustomerFacts] = defaultdict(CustomerFacts)
    for activity, query in _count_queries(window).items():
        for customer_id, n in conn.execute(query):
            facts[int(customer_id)].counts[activity] = int(n)
    for name, (query, scale) in _amount_queries(window).items():
        for customer_id, n in conn.execute(query):
            setattr(facts[int(customer_id)], name, from_minor(int(n or 0), scale))
    return dict(facts)
