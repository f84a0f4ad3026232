"""Supplier and carrier scorecards, per period.

**Supplier** (receipt lines of purchase orders, placed by ``receipts.received_at``):

* ``on_time_receipt`` = receipt lines received on or before the PO line's ``promised_date`` (what
  the supplier agreed; ``expected_date`` moves with slips and is not the yardstick) ÷ receipt lines
* ``quality`` = Σ ``qty_rejected`` ÷ Σ ``qty_received`` at inspection (lower is better)
* ``price_index`` = Σ PO unit cost · received ÷ Σ standard cost · received (above 1: paid more than
  standard)
* ``lead_time`` = PO ``created_at`` → receipt ``received_at`` per receipt line, hours: mean, median,
  p90 and deviation
* ``quantity_accuracy`` = PO lines received exactly as ordered (``qty_received = qty_ordered``) ÷ PO
  lines, over the POs **closed** in the period (placed by ``purchase_orders.closed_at``: only then is
  the received quantity final)

**Carrier** (shipments delivered, placed by ``shipments.delivered_at``):

* ``on_time_delivery`` = shipments delivered (UTC date) on or before the order's ``promised_date`` ÷
  shipments delivered
* ``transit_time`` = ``shipped_at`` → ``delivered_at``, hours: mean, median, p90 and deviation
* ``damage_rate`` = Σ ``shipment_lines.qty_damaged`` ÷ Σ ``shipment_lines.quantity``
* ``cost_per_shipment`` = Σ ``freight_cost`` ÷ shipments; ``cost_per_kg`` = Σ ``freight_cost`` ÷
  Σ ``weight_g`` / 1000 (``None`` while no weight is recorded)
* ``freight_billing_accuracy`` = carrier freight bills that match the expected freight ÷ carrier
  freight bills, over the bills of the shipments delivered in the period (``carrier_freight_bills``,
  one per shipment). A bill matches when ``|invoiced_amount - expected_amount|`` is at most 0.5 % of
  the expected amount, and at least one cent (``domain.freight.bill_matches``; computed here on the
  stored integer cents, so exactly). Shipments without a bill are not in the denominator.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, case, func, or_, select, type_coerce

from o2c.analytics.figures import Distribution, Ratio, Slice, ratio, run_distributions
from o2c.analytics.periods import bucket_key, grouped, period_label, seconds_between, utc_date
from o2c.domain.freight import TOLERANCE_PER_MILLE
from o2c.domain.money import COST_SCALE, MONEY_SCALE
from o2c.store.freight_tables import carrier_freight_bills
from o2c.store.master_tables import carriers, products, suppliers
from o2c.store.supply_tables import purchase_order_lines, purchase_orders, receipt_lines, receipts
from o2c.store.tables import orders, shipment_lines, shipments
from o2c.store.types import Minor

GRAMS_PER_KG = 1000
_EMPTY = Distribution(0, None, None, None, None)


@dataclass(frozen=True)
class SupplierScore:
    period: str
    supplier: str
    on_time_receipt: Ratio
    quality: Ratio
    price_index: Ratio
    lead_time: Distribution  # hours
    quantity_accuracy: Ratio


@dataclass(frozen=True)
class CarrierScore:
    period: str
    carrier: str
    on_time_delivery: Ratio
    transit_time: Distribution  # hours
    damage_rate: Ratio
    cost_per_shipment: Ratio
    cost_per_kg: Ratio | None
    freight_billing_accuracy: Ratio


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def supplier_scorecard(conn: Connection, spec: Slice) -> list[SupplierScore]:
    """Each supplier's on-time receipt, quality, price index, lead time and quantity accuracy.

    ``spec.by`` is ignored: the scorecard is always by supplier.
    """
    dialect = conn.dialect.name
    rl, pol, r = receipt_lines.c, purchase_order_lines.c, receipts.c
    source = (
        receipt_lines.join(receipts, r.id == rl.receipt_id)
        .join(purchase_order_lines, pol.id == rl.purchase_order_line_id)
        .join(purchase_orders, purchase_orders.c.id == pol.purchase_order_id)
        .join(suppliers, suppliers.c.id == purchase_orders.c.supplier_id)
        .join(products, products.c.id == rl.product_id)
    )
    period = bucket_key(r.received_at, spec.period, dialect).label("period")
    where = spec.window.contains(r.received_at)
    cost = Minor(COST_SCALE)
    received = (
        select(
            period,
            suppliers.c.code.label("member"),
            func.count().label("lines"),
            func.sum(_flag(utc_date(r.received_at, dialect) <= pol.promised_date)).label("on_time"),
            func.sum(rl.qty_rejected).label("rejected"),
            func.sum(rl.qty_received).label("received"),
            type_coerce(func.sum(pol.unit_cost * rl.qty_received), cost).label("paid"),
            type_coerce(func.sum(products.c.standard_cost * rl.qty_received), cost).label("standard"),
        )
        .select_from(source)
        .where(*where)
        .group_by(*grouped(period, suppliers.c.code))
    )
    lead = (
        select(
            period,
            suppliers.c.code.label("member"),
            seconds_between(purchase_orders.c.created_at, r.received_at, dialect).label("seconds"),
        )
        .select_from(source)
        .where(*where)
    )
    lead_times = run_distributions(conn, lead, ["period", "member"])
    accuracy = _quantity_accuracy(conn, spec)
    rows = {(period_label(x.period), x.member): x for x in conn.execute(received)}
    return [
        SupplierScore(
            period=key[0],
            supplier=key[1],
            on_time_receipt=ratio(int(x.on_time), int(x.lines)) if x else ratio(0, 0),
            quality=ratio(int(x.rejected), int(x.received)) if x else ratio(0, 0),
            price_index=ratio(x.paid, x.standard) if x else ratio(0, 0),
            lead_time=lead_times.get(key, _EMPTY),
            quantity_accuracy=accuracy.get(key, ratio(0, 0)),
        )
        for key in sorted(set(rows) | set(accuracy))
        for x in [rows.get(key)]
    ]


def _quantity_accuracy(conn: Connection, spec: Slice) -> dict[tuple[str, str], Ratio]:
    po, pol = purchase_orders.c, purchase_order_lines.c
    period = bucket_key(po.closed_at, spec.period, conn.dialect.name).label("period")
    statement = (
        select(
            period,
            suppliers.c.code.label("member"),
            func.count().label("lines"),
            func.sum(_flag(pol.qty_received == pol.qty_ordered)).label("exact"),
        )
        .select_from(
            purchase_order_lines.join(purchase_orders, po.id == pol.purchase_order_id).join(
                suppliers, suppliers.c.id == po.supplier_id
            )
        )
        .where(po.status == "closed", *spec.window.contains(po.closed_at))
        .group_by(*grouped(period, suppliers.c.code))
    )
    return {
        (period_label(x.period), x.member): ratio(int(x.exact), int(x.lines)) for x in conn.execute(statement)
    }


def carrier_scorecard(conn: Connection, spec: Slice) -> list[CarrierScore]:
    """Each carrier's on-time delivery, transit time, damage rate and freight cost.

    ``spec.by`` is ignored: the scorecard is always by carrier.
    """
    dialect = conn.dialect.name
    s = shipments.c
    units = (
        select(
            shipment_lines.c.shipment_id,
            func.sum(shipment_lines.c.quantity).label("quantity"),
            func.sum(shipment_lines.c.qty_damaged).label("damaged"),
        )
        .group_by(shipment_lines.c.shipment_id)
        .subquery("shipment_units")
    )
    bills = carrier_freight_bills.c
    source = (
        shipments.join(carriers, carriers.c.id == s.carrier_id)
        .join(orders, orders.c.id == s.order_id)
        .outerjoin(units, units.c.shipment_id == s.id)
        .outerjoin(carrier_freight_bills, bills.shipment_id == s.id)  # at most one bill per shipment
    )
    period = bucket_key(s.delivered_at, spec.period, dialect).label("period")
    where = spec.window.contains(s.delivered_at)
    on_time = _flag(utc_date(s.delivered_at, dialect) <= orders.c.promised_date)
    statement = (
        select(
            period,
            carriers.c.code.label("member"),
            func.count().label("shipments"),
            func.sum(on_time).label("on_time"),
            func.sum(func.coalesce(units.c.damaged, 0)).label("damaged"),
            func.sum(func.coalesce(units.c.quantity, 0)).label("quantity"),
            type_coerce(func.sum(s.freight_cost), Minor(MONEY_SCALE)).label("freight"),
            func.sum(s.weight_g).label("grams"),
            func.count(bills.id).label("bills"),
            func.sum(_flag(_bill_matches())).label("accurate_bills"),
        )
        .select_from(source)
        .where(*where)
        .group_by(*grouped(period, carriers.c.code))
        .order_by(*grouped(period, carriers.c.code))
    )
    transit = (
        select(
            period,
            carriers.c.code.label("member"),
            seconds_between(s.shipped_at, s.delivered_at, dialect).label("seconds"),
        )
        .select_from(source)
        .where(*where)
    )
    transit_times = run_distributions(conn, transit, ["period", "member"])
    rows = conn.execute(statement).all()
    return [_carrier_row(x, transit_times.get((period_label(x.period), x.member), _EMPTY)) for x in rows]


def _carrier_row(x: Any, transit: Distribution) -> CarrierScore:
    freight = x.freight or Decimal(0)
    grams = int(x.grams or 0)
    return CarrierScore(
        period=period_label(x.period),
        carrier=x.member,
        on_time_delivery=ratio(int(x.on_time), int(x.shipments)),
        transit_time=transit,
        damage_rate=ratio(int(x.damaged), int(x.quantity)),
        cost_per_shipment=ratio(freight, int(x.shipments)),
        cost_per_kg=ratio(freight, Decimal(grams) / GRAMS_PER_KG) if grams else None,
        freight_billing_accuracy=ratio(int(x.accurate_bills or 0), int(x.bills)),
    )


def _bill_matches() -> ColumnElement[bool]:
    """``domain.freight.bill_matches`` on stored cents: within 0.5 % of the expected amount or 1 cent
    (false where the shipment has no bill: NULL compares false)."""
    bills = carrier_freight_bills.c
    invoiced, expected = (
        type_coerce(bills.invoiced_amount, BigInteger),
        type_coerce(bills.expected_amount, BigInteger),
    )
    difference = func.abs(invoiced - expected)
    return or_(difference <= 1, difference * 1000 <= expected * TOLERANCE_PER_MILLE)
