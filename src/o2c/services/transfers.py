"""Transfer orders between the company's own locations: create, ship, receive (in part), cancel.

Shipping takes the goods off the source's on hand, and only what is available there: stock reserved
for customer orders stays put, whatever the transfer asks. Every line is checked against the locked
stock rows first and one error lists each shortfall; then guarded UPDATEs move the stock. Receiving
puts the goods on the destination's on hand and, in the same transaction, allocates the backorders
waiting for them there (:func:`o2c.services.backorders.allocate_arrivals`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from o2c.domain.errors import ValidationFailed
from o2c.domain.inbound import Inspection, Transfer, TransferLine, TransferStatus
from o2c.services.backorders import allocate_arrivals
from o2c.services.purchasing import Code, LineNo, Quantity, SupplyRequest, known_products, repromise_all
from o2c.services.receiving import ReceiptLineSummary, ReceiptSummary
from o2c.services.shortfalls import refresh_stockouts
from o2c.store.events import Event
from o2c.store.inbound import InboundRepository, ReceiptLineDraft
from o2c.store.numbering import DocumentKind
from o2c.store.uow import UnitOfWork, retrying


class TransferLineRequest(SupplyRequest):
    sku: Code
    quantity: Quantity


class TransferRequest(SupplyRequest):
    """Move stock from one of our locations to another."""

    from_location: Code
    to_location: Code
    lines: Annotated[list[TransferLineRequest], Field(min_length=1, max_length=1000)]


class ShipTransferRequest(SupplyRequest):
    expected_date: date


class TransferReceiptLine(SupplyRequest):
    line_no: LineNo
    quantity: Quantity


class ReceiveTransferRequest(SupplyRequest):
    """What arrived per line; no lines means everything still in transit."""

    lines: Annotated[list[TransferReceiptLine], Field(max_length=1000)] | None = None


@dataclass(frozen=True)
class TransferLineSummary:
    line_no: int
    sku: str
    quantity: int
    received: int


@dataclass(frozen=True)
class TransferSummary:
    number: str
    from_location: str
    to_location: str
    status: str
    created_at: datetime
    shipped_at: datetime | None
    expected_date: date | None
    received_at: datetime | None
    lines: tuple[TransferLineSummary, ...]


def summarise_transfer(transfer: Transfer) -> TransferSummary:
    return TransferSummary(
        transfer.number,
        transfer.from_code,
        transfer.to_code,
        str(transfer.status),
        transfer.created_at,
        transfer.shipped_at,
        transfer.expected_date,
        transfer.received_at,
        tuple(TransferLineSummary(ln.line_no, ln.sku, ln.quantity, ln.qty_received) for ln in transfer.lines),
    )


def _event(transfer: Transfer, event_type: str, now: datetime, actor: str, **payload: object) -> Event:
    return Event(
        "transfer", transfer.number, event_type, now, actor, {"status": str(transfer.status), **payload}
    )


@retrying()
def create_transfer(uow: UnitOfWork, request: TransferRequest, actor: str = "system") -> TransferSummary:
    """Plan a transfer; nothing moves until it ships."""
    with uow:
        repo = InboundRepository(uow.connection)
        from_id = repo.location_id(request.from_location)
        to_id = repo.location_id(request.to_location)
        products = known_products(uow, [ln.sku for ln in request.lines], active_only=False)
        now = uow.clock.now()
        lines = [
            TransferLine(i, products[ln.sku].id, ln.quantity, ln.sku) for i, ln in enumerate(request.lines, 1)
        ]
        transfer = Transfer("", TransferStatus.OPEN, from_id, to_id, now, lines)
        transfer.from_code, transfer.to_code = request.from_location, request.to_location
        transfer.check_new()
        transfer.number = uow.next_number(DocumentKind.TRANSFER)
        repo.add_transfer(transfer)
        uow.events.record(
            _event(
                transfer,
                "transfer.created",
                now,
                actor,
                **{"from": transfer.from_code, "to": transfer.to_code},
            )
        )
        uow.commit()
        return summarise_transfer(transfer)


@retrying()
def ship_transfer(
    uow: UnitOfWork, number: str, request: ShipTransferRequest, actor: str = "system"
) -> TransferSummary:
    """Ship from the source: on hand goes down by the transfer's quantities, taken only from what is
    available (on hand less reserved); the goods are then in transit until received."""
    with uow:
        repo = InboundRepository(uow.connection)
        transfer = repo.transfer(number, lock=True)
        now = uow.clock.now()
        transfer.ship(now, request.expected_date)
        needed: dict[int, int] = {}
        for ln in transfer.lines:
            needed[ln.product_id] = needed.get(ln.product_id, 0) + ln.quantity
        rows = uow.stock.lock_at(transfer.from_location_id, needed)
        skus = {ln.product_id: ln.sku for ln in transfer.lines}
        short = [
            f"{skus[p]} needs {q}, {rows.get(p, (0, 0))[1]} available"
            for p, q in needed.items()
            if rows.get(p, (0, 0))[1] < q
        ]
        if short:
            raise ValidationFailed(
                f"transfer {number} cannot ship: not enough available at {transfer.from_code}"
                f" (on hand less reserved): {'; '.join(short)}",
                field="lines",
                transfer=number,
            )
        for product_id in sorted(needed, key=lambda p: rows[p][0]):
            uow.stock.pick_for_transfer(rows[product_id][0], needed[product_id])
        refresh_stockouts(uow, (rows[p][0] for p in needed), now)  # the source may now be out of stock
        repo.save_transfer(transfer)
        uow.events.record(
            _event(transfer, "transfer.shipped", now, actor, expected_date=request.expected_date.isoformat())
        )
        # The source has less to promise from; the destination has supply coming on the expected date.
        repromise_all(uow, ((p, transfer.from_location_id) for p in needed), actor)
        repromise_all(uow, ((p, transfer.to_location_id) for p in needed), actor, new_supply=True)
        for product_id, quantity in needed.items():
            payload = {"quantity": quantity, "transfer": number, "to": transfer.to_code}
            entity = f"{skus[product_id]}@{transfer.from_code}"
            uow.events.record(Event("stock", entity, "stock.transferred_out", now, actor, payload))
        uow.commit()
        return summarise_transfer(transfer)


@retrying()
def receive_transfer(
    uow: UnitOfWork, number: str, request: ReceiveTransferRequest | None = None, actor: str = "system"
) -> ReceiptSummary:
    """Receive in-transit goods at the destination (all, or some lines in part), put them on hand,
    and allocate the backorders waiting there."""
    with uow:
        repo = InboundRepository(uow.connection)
        transfer = repo.transfer(number, lock=True)
        now = uow.clock.now()
        given = (
            None if request is None or not request.lines else [(x.line_no, x.quantity) for x in request.lines]
        )
        taken = transfer.receive(given, now)
        rows = [(transfer.line(n), q) for n, q in sorted(taken.items())]
        receipt = uow.next_number(DocumentKind.RECEIPT)
        drafts = [
            ReceiptLineDraft(ln.product_id, Inspection(q, q, 0), transfer_line_id=ln.id) for ln, q in rows
        ]
        repo.add_receipt(receipt, transfer.to_location_id, now, drafts, transfer_id=transfer.id)
        repo.record_transfer_receipts([(ln.id or 0, q) for ln, q in rows])
        stock_ids = uow.stock.put_away_all(transfer.to_location_id, [(ln.product_id, q) for ln, q in rows])
        repo.save_transfer(transfer)
        lines = tuple(ReceiptLineSummary(ln.line_no, ln.sku, q, q, 0, "") for ln, q in rows)
        received = {str(ln.line_no): q for ln, q in rows}
        uow.events.record(_event(transfer, "transfer.received", now, actor, receipt=receipt, lines=received))
        for ln, q in rows:
            payload = {"quantity": q, "receipt": receipt, "transfer": number}
            uow.events.record(
                Event("stock", f"{ln.sku}@{transfer.to_code}", "stock.received", now, actor, payload)
            )
        allocated = allocate_arrivals(uow, [(p, transfer.to_location_id) for p in stock_ids], actor)
        uow.commit()
        return ReceiptSummary(
            receipt, transfer.number, transfer.to_code, now, str(transfer.status), lines, tuple(allocated)
        )


@retrying()
def cancel_transfer(uow: UnitOfWork, number: str, actor: str = "system") -> TransferSummary:
    """Cancel a transfer that has not shipped (nothing has moved, so nothing moves back)."""
    with uow:
        repo = InboundRepository(uow.connection)
        transfer = repo.transfer(number, lock=True)
        now = uow.clock.now()
        transfer.cancel()
        repo.save_transfer(transfer)
        uow.events.record(_event(transfer, "transfer.cancelled", now, actor))
        uow.commit()
        return summarise_transfer(transfer)


def get_transfer(uow: UnitOfWork, number: str) -> TransferSummary:
    with uow:
        return summarise_transfer(InboundRepository(uow.connection).transfer(number))
