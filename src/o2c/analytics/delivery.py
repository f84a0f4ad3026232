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

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from o2c.analytics.dimensions import ORDER_DIMENSIONS, require
from o2c.analytics.figures import Ratio, Slice, ratio
from o2c.analytics.outcomes import WRONG_FILL_REASONS, OnTimeBasis, Outcomes, order_outcomes, summed

__all__ = ["DIMENSIONS", "WRONG_FILL_REASONS", "DeliveryPerformance", "OnTimeBasis", "delivery_performance"]
DIMENSIONS = ORDER_DIMENSIONS


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


_COUNTS = ("orders", "on_time", "in_full", "otif", "damage_free", "filled", "invoiced", "accurate", "perfect")


def delivery_performance(
    conn: Connection,
    spec: Slice,
    basis: OnTimeBasis = OnTimeBasis.PROMISED,
    outcomes: Iterable[Outcomes] | None = None,
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
    outcomes : iterable of Outcomes, optional
        :func:`~o2c.analytics.outcomes.order_outcomes` of the same slice and basis, when the caller has
        read them already (the scorecard reads them once for fill and delivery).

    Returns
    -------
    list of DeliveryPerformance
        One row per period and member with a delivered order, in period then member order.
    """
    require("delivery performance", spec.by, DIMENSIONS)
    return deliveries_of(order_outcomes(conn, spec, basis) if outcomes is None else outcomes)


def deliveries_of(outcomes: Iterable[Outcomes]) -> list[DeliveryPerformance]:
    """The delivery performance of order outcomes already read, per delivery period and member."""
    counts = summed(outcomes, "delivered", _COUNTS)
    return [_row(period, member, *parts) for (period, member), parts in counts.items()]


def _row(
    period: str,
    member: str,
    orders_delivered: int,
    *counts: int,
) -> DeliveryPerformance:
    on_time, in_full, otif, damage_free, filled, invoiced, accurate_orders, perfect = counts
    on_time_rate, in_full_rate, damage_free_rate = (
        ratio(v, orders_delivered) for v in (on_time, in_full, damage_free)
    )
    accurate = ratio(accurate_orders, orders_delivered)
    index = None
    if orders_delivered:
        index = (
            (on_time_rate.value or 0.0)
            * (in_full_rate.value or 0.0)
            * (damage_free_rate.value or 0.0)
            * (accurate.value or 0.0)
        )
    return DeliveryPerformance(
        period=period,
        member=member,
        on_time=on_time_rate,
        in_full=in_full_rate,
        otif=ratio(otif, orders_delivered),
        damage_free=damage_free_rate,
        accurately_filled=ratio(filled, orders_delivered),
        accurately_invoiced=ratio(invoiced, orders_delivered),
        accurate=accurate,
        perfect_order_rate=ratio(perfect, orders_delivered),
        perfect_order_index=index,
    )
