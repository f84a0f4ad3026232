"""What services hand back to callers (CLI, API, simulator): plain, frozen, serialisable."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from o2c.domain.order import Order
from o2c.domain.values import quick_init


@quick_init
@dataclass(frozen=True)
class LineSummary:
    line_no: int
    sku: str
    ordered: int
    allocated_at_entry: int
    allocated: int
    backordered: int
    cancelled: int
    lost: int
    shipped: int
    delivered: int
    damaged: int
    unit_price: Decimal
    net_amount: Decimal
    substituted: int  # backordered units an alternate's line filled instead
    substitute_for_line_no: int | None  # this line is an alternate standing in for that line
    promised_date: date | None  # delivery date promised for this line (None: not yet promised)
    promise_at_risk: bool  # supply slipped after the promise was made


@quick_init
@dataclass(frozen=True)
class OrderSummary:
    number: str
    customer: str
    status: str
    channel: str
    backorder_policy: str
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    received_at: datetime
    requested_date: date | None
    promised_date: date | None  # the latest of its open lines' promised dates
    stages: dict[str, datetime | None]
    lines: tuple[LineSummary, ...]
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


STAGES = (
    "customer_sent_at",
    "received_at",
    "released_at",
    "picked_at",
    "packed_at",
    "shipped_at",
    "delivered_at",
    "invoiced_at",
    "paid_at",
    "cancelled_at",
)


def summarise(order: Order, *, replayed: bool = False) -> OrderSummary:
    subtotal, tax_total = order.subtotal, order.tax_total  # each a sum over the lines: once
    return OrderSummary(
        number=order.number,
        customer=order.customer_code,
        status=str(order.status),
        channel=str(order.channel),
        backorder_policy=str(order.backorder_policy),
        subtotal=subtotal,
        tax_total=tax_total,
        total=subtotal + tax_total,
        received_at=order.received_at,
        requested_date=order.requested_date,
        promised_date=order.promised_date,
        stages={name: getattr(order, name) for name in STAGES},
        lines=tuple(
            LineSummary(
                ln.line_no,
                ln.sku,
                ln.qty_ordered,
                ln.qty_allocated_at_entry,
                ln.qty_allocated,
                ln.qty_backordered,
                ln.qty_cancelled,
                ln.qty_lost,
                ln.qty_shipped,
                ln.qty_delivered,
                ln.qty_damaged,
                ln.unit_price,
                ln.net_amount,
                ln.qty_substituted,
                ln.substitute_for_line_no,
                ln.promised_date,
                ln.promise_at_risk,
            )
            for ln in order.lines
        ),
        replayed=replayed,
    )


def acknowledgement(summary: OrderSummary) -> dict[str, Any]:
    """The summary as JSON-ready values (decimals as strings, dates ISO), to store with the order."""
    return _SUMMARY.dump_python(summary, mode="json")  # type: ignore[no-any-return]


def replayed_acknowledgement(stored: dict[str, Any]) -> OrderSummary:
    """The stored :func:`acknowledgement`, read back exactly, marked as a replay."""
    return replace(_SUMMARY.validate_python(stored), replayed=True)


_SUMMARY = TypeAdapter(OrderSummary)
