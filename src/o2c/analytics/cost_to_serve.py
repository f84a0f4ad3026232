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

**Actual freight** is, per shipment shipped in the period, the carrier's freight bill
(``carrier_freight_bills.invoiced_amount``) where one is recorded and not disputed, the amount a
disputed bill was settled at (``settled_amount``) once it is, otherwise the freight o2c expected
(``shipments.freight_cost``): a disputed bill is the carrier's claim, not yet what the shipment costs.

A row of ``activity_rates`` overrides a default (:func:`set_activity_rate`, ``o2c report customers
--rate ACTIVITY=AMOUNT`` for one report). Everything is summed in SQL per customer; Python only
multiplies the per-customer totals by the rates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from o2c.analytics.periods import Window
from o2c.analytics.reads import Source, read_all
from o2c.domain.errors import ValidationFailed
from o2c.domain.money import COST_SCALE, MONEY_SCALE, from_minor, parse_decimal
from o2c.store.after_sale_tables import credit_memos, return_lines, returns, service_cases
from o2c.store.analytics_tables import ACTIVITIES, activity_rates
from o2c.store.freight_tables import carrier_freight_bills
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


AMOUNT_SCALES = {
    "invoiced": MONEY_SCALE,
    "credited": MONEY_SCALE,
    "cost_of_goods": COST_SCALE,
    "cost_returned": COST_SCALE,
    "freight": MONEY_SCALE,
}


def _fact_queries(window: Window) -> list[Select[Any]]:
    """One grouped query per table scanned; each column is labelled with the activity or amount it
    gives (amounts as sums of stored integers, see :data:`AMOUNT_SCALES`)."""
    o, s, inv, il = orders.c, shipments.c, invoices.c, invoice_lines.c

    def within(column: Any) -> ColumnElement[bool]:
        return and_(*window.contains(column))

    def occurrences(column: Any, name: str) -> Any:
        return func.sum(case((within(column), 1), else_=0)).label(name)

    held = and_(events.c.entity_type == "order", events.c.event_type == "order.credit_held")
    restocked = and_(return_lines.c.disposition == "restock", within(returns.c.received_at))
    lines = order_lines.join(orders, o.id == order_lines.c.order_id)
    bill = carrier_freight_bills.c
    shipped = shipments.join(orders, o.id == s.order_id).outerjoin(
        carrier_freight_bills, bill.shipment_id == s.id
    )
    actual_freight = case(
        (and_(bill.id.is_not(None), ~bill.disputed), _raw(bill.invoiced_amount)),
        (bill.settled_amount.is_not(None), _raw(bill.settled_amount)),
        else_=_raw(s.freight_cost),
    )
    invoiced = invoice_lines.join(invoices, inv.id == il.invoice_id).join(
        order_lines, order_lines.c.id == il.order_line_id
    )
    returned = return_lines.join(returns, returns.c.id == return_lines.c.return_id).join(
        order_lines, order_lines.c.id == return_lines.c.order_line_id
    )
    count = func.count()
    return [
        select(o.customer_id, occurrences(o.received_at, "order"), occurrences(o.expedited_at, "expedite"))
        .where(or_(within(o.received_at), within(o.expedited_at)))
        .group_by(o.customer_id),
        select(o.customer_id, count.label("line"))
        .select_from(lines)
        .where(within(o.received_at))
        .group_by(o.customer_id),
        select(
            o.customer_id,
            occurrences(s.shipped_at, "shipment"),
            occurrences(s.delivered_at, "delivery"),
            func.sum(case((within(s.shipped_at), actual_freight), else_=0)).label("freight"),
        )
        .select_from(shipped)
        .where(or_(within(s.shipped_at), within(s.delivered_at)))
        .group_by(o.customer_id),
        select(inv.customer_id, count.label("invoice"), func.sum(_raw(inv.subtotal)).label("invoiced"))
        .where(within(inv.issued_at))
        .group_by(inv.customer_id),
        select(inv.customer_id, func.sum(il.quantity * _raw(order_lines.c.unit_cost)).label("cost_of_goods"))
        .select_from(invoiced)
        .where(within(inv.issued_at))
        .group_by(inv.customer_id),
        select(credit_memos.c.customer_id, func.sum(_raw(credit_memos.c.subtotal)).label("credited"))
        .where(within(credit_memos.c.issued_at))
        .group_by(credit_memos.c.customer_id),
        select(returns.c.customer_id, count.label("return"))
        .where(within(returns.c.authorised_at))
        .group_by(returns.c.customer_id),
        select(
            returns.c.customer_id,
            func.sum(return_lines.c.qty_received * _raw(order_lines.c.unit_cost)).label("cost_returned"),
        )
        .select_from(returned)
        .where(restocked)
        .group_by(returns.c.customer_id),
        select(service_cases.c.customer_id, count.label("service_case"))
        .where(within(service_cases.c.opened_at))
        .group_by(service_cases.c.customer_id),
        select(o.customer_id, count.label("credit_hold"))
        .select_from(events.join(orders, o.number == events.c.entity_id))
        .where(held, within(events.c.occurred_at))
        .group_by(o.customer_id),
    ]


def customer_facts(source: Source, window: Window) -> dict[int, CustomerFacts]:
    """Activity counts and amounts per customer id for the period: one grouped query per table,
    side by side when given an engine (:mod:`o2c.analytics.reads`)."""
    queries = _fact_queries(window)
    read = read_all(source, {str(n): partial(_grouped, query=q) for n, q in enumerate(queries)})
    facts: dict[int, CustomerFacts] = defaultdict(CustomerFacts)
    for names, rows in read.values():
        for row in rows:
            customer = facts[int(row[0])]
            for name, value in zip(names, row[1:], strict=True):
                if name in AMOUNT_SCALES:
                    setattr(customer, name, from_minor(int(value or 0), AMOUNT_SCALES[name]))
                else:
                    customer.counts[name] = int(value or 0)
    return dict(facts)


def _grouped(conn: Connection, query: Any) -> tuple[list[str], list[Any]]:
    """A fact query's column names (after the customer id) and its rows."""
    result = conn.execute(query)
    names: list[str] = list(result.keys())[1:]
    return names, list(result.all())
