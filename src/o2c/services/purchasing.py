"""Purchasing: purchase orders to suppliers, their shipping notices, reschedules, closing and cancelling.

Each public function is one transaction. Receiving against an order (inspection, put-away, the
backorders the goods fill) is :mod:`o2c.services.receiving`; what the two share (the request base,
the purchase order's events, re-promising) lives here, with the purchase order.

Anything that takes expected supply away — a slipped date, a shrunk quantity, a rejection, a closed or
cancelled order — re-promises the SKU's open order lines (:func:`o2c.services.repromising.repromise`) in
the same transaction: no customer keeps a promise the supply no longer covers. Anything that adds
supply or brings it forward — a new order, an earlier shipping notice or expected date, a larger
quantity — promises the lines waiting for it the earlier dates it covers
(:func:`o2c.services.repromising.promise_new_supply`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from o2c.domain.errors import ValidationFailed
from o2c.domain.inbound import (
    DEFAULT_OVER_RECEIPT_TOLERANCE,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from o2c.services.repromising import promise_new_supply, repromise
from o2c.store.events import Event
from o2c.store.inbound import InboundRepository
from o2c.store.numbering import DocumentKind
from o2c.store.product_reads import ProductInfo
from o2c.store.uow import UnitOfWork, retrying

Code = Annotated[str, Field(min_length=1, max_length=60)]
Quantity = Annotated[StrictInt, Field(gt=0, le=1_000_000)]
LineNo = Annotated[StrictInt, Field(ge=1)]


class SupplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PurchaseOrderLineRequest(SupplyRequest):
    sku: Code
    quantity: Quantity
    unit_cost: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4)]
    promised_date: date


class PurchaseOrderRequest(SupplyRequest):
    """A purchase order: who supplies, where the goods go, and what was agreed per line."""

    supplier: Code
    location: Code
    lines: Annotated[list[PurchaseOrderLineRequest], Field(min_length=1, max_length=1000)]


class ShipmentNoticeLine(SupplyRequest):
    line_no: LineNo
    quantity: Quantity


class ShipmentNoticeRequest(SupplyRequest):
    """An advance shipping notice: what the supplier dispatched and when it should arrive."""

    expected_date: date
    reference: Annotated[str, Field(max_length=100)] = ""
    lines: Annotated[list[ShipmentNoticeLine], Field(min_length=1, max_length=1000)]


@dataclass(frozen=True)
class PurchaseOrderLineSummary:
    line_no: int
    sku: str
    ordered: int
    received: int
    accepted: int
    rejected: int
    outstanding: int
    unit_cost: Decimal
    promised_date: date
    expected_date: date


@dataclass(frozen=True)
class PurchaseOrderSummary:
    number: str
    supplier: str
    location: str
    status: str
    created_at: datetime
    closed_at: datetime | None
    lines: tuple[PurchaseOrderLineSummary, ...]
    at_risk_orders: tuple[str, ...] = ()  # orders re-promised by this change


@dataclass(frozen=True)
class ShipmentNoticeSummary:
    number: str
    purchase_order: str
    expected_date: date
    reference: str
    lines: tuple[tuple[int, str, int], ...]  # line number, sku, quantity
    at_risk_orders: tuple[str, ...] = ()


def summarise_purchase_order(po: PurchaseOrder, at_risk: Sequence[str] = ()) -> PurchaseOrderSummary:
    return PurchaseOrderSummary(
        po.number,
        po.supplier_code,
        po.location_code,
        str(po.status),
        po.created_at,
        po.closed_at,
        tuple(
            PurchaseOrderLineSummary(
                ln.line_no,
                ln.sku,
                ln.qty_ordered,
                ln.qty_received,
                ln.qty_accepted,
                ln.qty_rejected,
                ln.qty_outstanding,
                ln.unit_cost,
                ln.promised_date,
                ln.expected_date,
            )
            for ln in po.lines
        ),
        tuple(at_risk),
    )


def known_products(uow: UnitOfWork, skus: Sequence[str], *, active_only: bool) -> dict[str, ProductInfo]:
    """The products of these SKUs; an unknown one (or an inactive one, when buying) is refused."""
    products = uow.master.products_by_sku(skus)
    for i, sku in enumerate(skus):
        product = products.get(sku)
        if product is None or (active_only and not product.active):
            why = "unknown SKU" if product is None else "inactive SKU"
            raise ValidationFailed(f"line {i + 1}: {why} {sku}", field=f"lines[{i}].sku")
    return products


def repromise_all(
    uow: UnitOfWork, pairs: Iterable[tuple[int, int]], actor: str, *, new_supply: bool = False
) -> tuple[str, ...]:
    """Re-promise every ``(product id, location id)`` once; the orders flagged, each once.

    ``new_supply``: supply was added or brought forward, so waiting lines may also be promised earlier
    (:func:`o2c.services.repromising.promise_new_supply`)."""
    flagged: list[str] = []
    again = promise_new_supply if new_supply else repromise
    for product_id, location_id in sorted(set(pairs)):
        flagged.extend(again(uow, product_id, location_id, actor))
    return tuple(dict.fromkeys(flagged))


def po_event(po: PurchaseOrder, event_type: str, now: datetime, actor: str, **payload: object) -> Event:
    return Event("purchase_order", po.number, event_type, now, actor, {"status": str(po.status), **payload})


@retrying()
def create_purchase_order(
    uow: UnitOfWork, request: PurchaseOrderRequest, actor: str = "system"
) -> PurchaseOrderSummary:
    """Order goods from a supplier; each line's expected date starts at the promised date."""
    with uow:
        repo = InboundRepository(uow.connection)
        supplier_id = repo.supplier_id(request.supplier)
        location_id = repo.location_id(request.location)
        products = known_products(uow, [ln.sku for ln in request.lines], active_only=True)
        now = uow.clock.now()
        lines = [
            PurchaseOrderLine(
                i, products[ln.sku].id, ln.quantity, ln.unit_cost, ln.promised_date, ln.promised_date, ln.sku
            )
            for i, ln in enumerate(request.lines, 1)
        ]
        po = PurchaseOrder("", PurchaseOrderStatus.OPEN, supplier_id, location_id, now, lines)
        po.check_new(now.date())
        po.number = uow.next_number(DocumentKind.PURCHASE_ORDER)
        repo.add_purchase_order(po)
        uow.events.record(
            po_event(po, "purchase_order.created", now, actor, supplier=request.supplier, lines=len(lines))
        )
        stored = repo.purchase_order(po.number)  # as stored: codes, and unit costs at the column's scale
        repromise_all(uow, ((ln.product_id, location_id) for ln in lines), actor, new_supply=True)
        uow.commit()
        return summarise_purchase_order(stored)


@retrying()
def notify_shipment(
    uow: UnitOfWork,
    po_number: str,
    request: ShipmentNoticeRequest,
    actor: str = "system",
    *,
    tolerance: Decimal = DEFAULT_OVER_RECEIPT_TOLERANCE,
) -> ShipmentNoticeSummary:
    """Record an ASN; the lines it names are now expected on its date, and the SKUs whose date
    moved are re-promised (later: promises may no longer hold; earlier: backorders may do better)."""
    with uow:
        repo = InboundRepository(uow.connection)
        po = repo.purchase_order(po_number, lock=True)
        now = uow.clock.now()
        announced = [(ln.line_no, ln.quantity) for ln in request.lines]
        moved = po.notify_shipment(announced, request.expected_date, now.date(), tolerance)
        number = uow.next_number(DocumentKind.ASN)
        assert po.id is not None
        line_ids = [(po.line(n).id or 0, q) for n, q in announced]
        repo.add_shipping_notice(number, po.id, now, request.expected_date, request.reference, line_ids)
        repo.save_po_line_plans(moved)
        notice = {"asn": number, "expected_date": request.expected_date.isoformat()}
        lines_payload = {str(n): q for n, q in announced}
        uow.events.record(
            po_event(po, "purchase_order.shipment_notified", now, actor, **notice, lines=lines_payload)
        )
        at_risk = repromise_all(
            uow, ((ln.product_id, po.location_id) for ln in moved), actor, new_supply=True
        )
        uow.commit()
        lines = tuple((n, po.line(n).sku, q) for n, q in announced)
        return ShipmentNoticeSummary(
            number, po.number, request.expected_date, request.reference, lines, at_risk
        )


@retrying()
def reschedule_purchase_order_line(
    uow: UnitOfWork,
    po_number: str,
    line_no: int,
    expected_date: date | None = None,
    quantity: int | None = None,
    actor: str = "system",
) -> PurchaseOrderSummary:
    """A supplier slips a line or ships less: record it, then re-promise the SKU's order lines."""
    with uow:
        repo = InboundRepository(uow.connection)
        po = repo.purchase_order(po_number, lock=True)
        now = uow.clock.now()
        before = po.line(line_no)
        was = (before.expected_date, before.qty_ordered)
        line = po.reschedule(line_no, now.date(), now, expected_date, quantity)
        repo.save_po_line_plans([line])
        repo.save_po_status(po)
        uow.events.record(
            po_event(
                po,
                "purchase_order.line_rescheduled",
                now,
                actor,
                line_no=line_no,
                sku=line.sku,
                expected_date={"from": was[0].isoformat(), "to": line.expected_date.isoformat()},
                quantity={"from": was[1], "to": line.qty_ordered},
            )
        )
        if po.status is PurchaseOrderStatus.CLOSED:
            uow.events.record(po_event(po, "purchase_order.closed", now, actor, reason="fully received"))
        more = (expected_date is not None and expected_date < was[0]) or (quantity or 0) > was[1]
        at_risk = repromise_all(uow, [(line.product_id, po.location_id)], actor, new_supply=more)
        uow.commit()
        return summarise_purchase_order(po, at_risk)


@retrying()
def close_purchase_order(uow: UnitOfWork, po_number: str, actor: str = "system") -> PurchaseOrderSummary:
    """Close an order by hand: what is still outstanding will not come, so its SKUs are re-promised."""
    with uow:
        repo = InboundRepository(uow.connection)
        po = repo.purchase_order(po_number, lock=True)
        now = uow.clock.now()
        outstanding = po.close(now)
        repo.save_po_status(po)
        uow.events.record(
            po_event(
                po,
                "purchase_order.closed",
                now,
                actor,
                reason="closed by hand",
                outstanding={str(n): q for n, q in outstanding.items()},
            )
        )
        at_risk = repromise_all(uow, ((po.line(n).product_id, po.location_id) for n in outstanding), actor)
        uow.commit()
        return summarise_purchase_order(po, at_risk)


@retrying()
def cancel_purchase_order(uow: UnitOfWork, po_number: str, actor: str = "system") -> PurchaseOrderSummary:
    """Cancel an order nothing has arrived against; its SKUs are re-promised without it."""
    with uow:
        repo = InboundRepository(uow.connection)
        po = repo.purchase_order(po_number, lock=True)
        now = uow.clock.now()
        po.cancel(now)
        repo.save_po_status(po)
        uow.events.record(po_event(po, "purchase_order.cancelled", now, actor))
        at_risk = repromise_all(uow, ((ln.product_id, po.location_id) for ln in po.lines), actor)
        uow.commit()
        return summarise_purchase_order(po, at_risk)


def get_purchase_order(uow: UnitOfWork, po_number: str) -> PurchaseOrderSummary:
    with uow:
        return summarise_purchase_order(InboundRepository(uow.connection).purchase_order(po_number))
