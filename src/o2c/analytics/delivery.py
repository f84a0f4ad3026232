"""Delivery performance: on time, in full, OTIF, and the perfect order (counted and as an index).

The unit is the **order delivered**: an order is placed in the period of ``orders.delivered_at`` (the
last delivery, stamped once nothing of the order is left to ship or deliver). Each order is judged on:

* **on time** — its UTC delivery date is on or before ``orders.promised_date`` (or, with
  ``basis="requested"``, ``orders.requested_date``). An order with no such date is not on time: no
  commitment was recorded that it could have met.
* **in full** — every line delivered what was ordered less what the customer cancelled:
  ``qty_delivered + qty_substituted + qty_cancelled >= qty_ordered`` on every line. A lost sale
  (``qty_lost``, cut by the ``cancel_remainder`` policy) or a short delivery breaks it; units a
  substitute line filled (with the customer's consent) count as filled by that line, which is itself
  held to the same test. Damaged and wrong-item units are delivered units (the components below judge
  them).
* **damage-free** — no damaged unit on delivery (``Σ order_lines.qty_damaged = 0``).
* **accurately filled** — no wrong-item delivery exception (``Σ qty_wrong_item = 0``) and no return
  with reason ``wrong_item`` or ``wrong_quantity`` that was not rejected.
* **accurately invoiced** — no credit memo with reason ``billing_error``.

Returns and credit memos are facts that may come after the delivery: the figures of a period improve
or worsen as claims arrive, which is the point of measuring the perfect order.

Formulas (DOMAIN.md): ``on_time`` = on-time orders ÷ orders delivered; ``in_full`` likewise;
``otif`` = orders on time **and** in full ÷ orders delivered; ``perfect_order_rate`` = orders meeting
all five conditions ÷ orders delivered; ``perfect_order_index`` = on-time rate · in-full rate ·
damage-free rate · accuracy rate, where the accuracy component is "accurately filled and accurately
invoiced" (accurate documentation), so the index covers the same conditions as the counted rate.
The index is below the counted rate when failures cluster on the same orders and above it when they
fall on different orders: reading both shows which.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, select

from o2c.analytics.dimensions import ORDER_DIMENSIONS, order_member, require
from o2c.analytics.figures import Ratio, Slice, ratio
from o2c.analytics.periods import bucket_key, period_label, utc_date
from o2c.store.after_sale_tables import credit_memos, returns
from o2c.store.tables import order_lines, orders

DIMENSIONS = ORDER_DIMENSIONS
WRONG_FILL_REASONS = ("wrong_item", "wrong_quantity")


class OnTimeBasis(StrEnum):
    """The date an order must be delivered by to be on time."""

    PROMISED = "promised"
    REQUESTED = "requested"


@dataclass(frozen=True)
class DeliveryPerformance:
    """On time, in full and perfect order of the orders delivered in a period, for one member."""

    period: str
    member: str
    on_time: Ratio
    in_full: Ratio
    otif: Ratio
    damage_free: Ratio
    accurately_filled: Ratio
    accurately_invoiced: Ratio
    accurate: Ratio  # accurately filled and invoiced: the index's documentation component
    perfect_order_rate: Ratio
    perfect_order_index: float | None


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _per_order(conn: Connection, spec: Slice, basis: OnTimeBasis) -> Any:
    """One row per order delivered in the window: its period, member and five pass/fail flags.

    The lines are summed per order first (one pass over them), then each order meets its stamps.
    """
    dialect = conn.dialect.name
    ln, o = order_lines.c, orders.c
    lines = (
        select(
            ln.order_id,
            func.min(_flag(ln.qty_delivered + ln.qty_substituted + ln.qty_cancelled >= ln.qty_ordered)).label(
                "in_full"
            ),
            _flag(func.sum(ln.qty_damaged) == 0).label("damage_free"),
            _flag(func.sum(ln.qty_wrong_item) == 0).label("no_wrong_item"),
        )
        .group_by(ln.order_id)
        .subquery("line_flags")
    )
    source, member = order_member(spec.by, lines.join(orders, o.id == lines.c.order_id), dialect)
    period = bucket_key(o.delivered_at, spec.period, dialect)
    due = o.promised_date if basis is OnTimeBasis.PROMISED else o.requested_date
    wrong_fill = select(returns.c.order_id).where(
        returns.c.reason.in_(WRONG_FILL_REASONS), returns.c.status != "rejected"
    )
    billing_error = select(credit_memos.c.order_id).where(credit_memos.c.reason == "billing_error")
    return (
        select(
            period.label("period"),
            member.label("member"),
            _flag(and_(due.is_not(None), utc_date(o.delivered_at, dialect) <= due)).label("on_time"),
            lines.c.in_full,
            lines.c.damage_free,
            (lines.c.no_wrong_item * _flag(o.id.not_in(wrong_fill))).label("filled"),
            _flag(o.id.not_in(billing_error)).label("invoiced"),
        )
        .select_from(source)
        .where(*spec.window.contains(o.delivered_at))
        .subquery("per_order")
    )


def delivery_performance(
    conn: Connection, spec: Slice, basis: OnTimeBasis = OnTimeBasis.PROMISED
) -> list[DeliveryPerformance]:
    """On time, in full, OTIF and perfect order of the orders delivered in each period.

    Parameters
    ----------
    conn : Connection
        Any connection; nothing is written.
    spec : Slice
        Period buckets (by ``orders.delivered_at``), breakdown (segment, customer, channel, carrier:
        the carrier of the order's first shipment) and window.
    basis : OnTimeBasis
        Judge on time against the promised date (default) or the requested date.

    Returns
    -------
    list of DeliveryPerformance
        One row per period and member with a delivered order, in period then member order.
    """
    require("delivery performance", spec.by, DIMENSIONS)
    o = _per_order(conn, spec, basis)
    accurate = o.c.filled * o.c.invoiced
    statement = (
        select(
            o.c.period,
            o.c.member,
            func.count().label("orders"),
            func.sum(o.c.on_time).label("on_time"),
            func.sum(o.c.in_full).label("in_full"),
            func.sum(o.c.on_time * o.c.in_full).label("otif"),
            func.sum(o.c.damage_free).label("damage_free"),
            func.sum(o.c.filled).label("filled"),
            func.sum(o.c.invoiced).label("invoiced"),
            func.sum(accurate).label("accurate"),
            func.sum(o.c.on_time * o.c.in_full * o.c.damage_free * accurate).label("perfect"),
        )
        .group_by(o.c.period, o.c.member)
        .order_by(o.c.period, o.c.member)
    )
    return [_row(r) for r in conn.execute(statement)]


def _row(r: Any) -> DeliveryPerformance:
    orders_delivered = int(r.orders)
    on_time, in_full, damage_free = (
        ratio(int(v), orders_delivered) for v in (r.on_time, r.in_full, r.damage_free)
    )
    accurate = ratio(int(r.accurate), orders_delivered)
    index = None
    if orders_delivered:
        index = (
            (on_time.value or 0.0)
            * (in_full.value or 0.0)
            * (damage_free.value or 0.0)
            * (accurate.value or 0.0)
        )
    return DeliveryPerformance(
        period=period_label(r.period),
        member=r.member,
        on_time=on_time,
        in_full=in_full,
        otif=ratio(int(r.otif), orders_delivered),
        damage_free=damage_free,
        accurately_filled=ratio(int(r.filled), orders_delivered),
        accurately_invoiced=ratio(int(r.invoiced), orders_delivered),
        accurate=accurate,
        perfect_order_rate=ratio(int(r.perfect), orders_delivered),
        perfect_order_index=index,
    )
