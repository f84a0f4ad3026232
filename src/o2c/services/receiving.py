"""Receiving against a purchase order: inspection, put-away, and the backorders the goods fill.

A receipt is checked whole (open order, known lines, the inspection adds up, within the over-receipt
tolerance) before anything is written; then the receipt, the PO line counters and on-hand stock change
together, and in the same transaction the backorders of the SKUs that arrived are allocated
(:func:`o2c.services.backorders.allocate_arrivals`), so the goods never sit on a shelf while a customer
waits for them. The receipt summaries are those of transfers too (:mod:`o2c.services.transfers`): both
write the same receipts.
"""

from __future__ import annotations

from dataclasses import asdict, astuple, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StrictInt

from o2c.domain.inbound import DEFAULT_OVER_RECEIPT_TOLERANCE, PurchaseOrderStatus, inspect, max_receivable
from o2c.services.backorders import allocate_arrivals
from o2c.services.purchasing import LineNo, Quantity, SupplyRequest, po_event, repromise_all
from o2c.store.events import Event
from o2c.store.inbound import InboundRepository, ReceiptLineDraft
from o2c.store.numbering import DocumentKind
from o2c.store.uow import UnitOfWork, retrying


class ReceiptLineRequest(SupplyRequest):
    line_no: LineNo
    received: Quantity
    rejected: Annotated[StrictInt, Field(ge=0, le=1_000_000)] = 0
    reason: Annotated[str, Field(max_length=200)] = ""


class ReceiveRequest(SupplyRequest):
    """What the dock counted per PO line, and what inspection rejected (with the reason)."""

    lines: Annotated[list[ReceiptLineRequest], Field(min_length=1, max_length=1000)]


@dataclass(frozen=True)
class ReceiptLineSummary:
    line_no: int
    sku: str
    received: int
    accepted: int
    rejected: int
    reason: str


@dataclass(frozen=True)
class ReceiptSummary:
    """A receipt against a purchase order or a transfer (``source``), and what it set off."""

    number: str
    source: str
    location: str
    received_at: datetime
    source_status: str
    lines: tuple[ReceiptLineSummary, ...]
    allocated_orders: tuple[str, ...] = ()  # backorders filled from this receipt
    at_risk_orders: tuple[str, ...] = ()


@retrying()
def receive_purchase_order(
    uow: UnitOfWork,
    po_number: str,
    request: ReceiveRequest,
    actor: str = "system",
    *,
    tolerance: Decimal = DEFAULT_OVER_RECEIPT_TOLERANCE,
) -> ReceiptSummary:
    """Receive and inspect goods, put the accepted quantity away, and allocate waiting backorders."""
    with uow:
        repo = InboundRepository(uow.connection)
        po = repo.purchase_order(po_number, lock=True)
        now = uow.clock.now()
        counted = [(ln.line_no, inspect(ln.received, ln.rejected, ln.reason)) for ln in request.lines]
        po.receive(counted, now, tolerance)
        rows = [(po.line(n), found) for n, found in counted]
        number = uow.next_number(DocumentKind.RECEIPT)
        drafts = [ReceiptLineDraft(ln.product_id, found, ln.id) for ln, found in rows]
        repo.add_receipt(number, po.location_id, now, drafts, purchase_order_id=po.id)
        limits = [(ln.id or 0, found, max_receivable(ln.qty_ordered, tolerance)) for ln, found in rows]
        repo.record_po_receipts(limits)
        stock_ids = uow.stock.put_away_all(po.location_id, [(ln.product_id, f.accepted) for ln, f in rows])
        repo.save_po_status(po)
        lines = tuple(ReceiptLineSummary(ln.line_no, ln.sku, *astuple(f)) for ln, f in rows)
        uow.events.record(
            po_event(
                po, "purchase_order.received", now, actor, receipt=number, lines=[asdict(x) for x in lines]
            )
        )
        for ln, found in rows:
            if found.accepted:
                payload = {"quantity": found.accepted, "receipt": number, "purchase_order": po.number}
                entity = f"{ln.sku}@{po.location_code}"
                uow.events.record(Event("stock", entity, "stock.received", now, actor, payload))
        if po.status is PurchaseOrderStatus.CLOSED:
            uow.events.record(po_event(po, "purchase_order.closed", now, actor, reason="fully received"))
        allocated = allocate_arrivals(uow, [(p, po.location_id) for p in stock_ids], actor)
        # Rejected units were expected supply that will not come: re-promise what counted on them.
        at_risk = repromise_all(uow, [(ln.product_id, po.location_id) for ln, f in rows if f.rejected], actor)
        uow.commit()
        return ReceiptSummary(
            number, po.number, po.location_code, now, str(po.status), lines, tuple(allocated), at_risk
        )
