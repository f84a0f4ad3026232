"""Purchase orders (shipping notices, receipts with inspection, reschedules) and transfers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import Field

from o2c.api.deps import (
    FiltersDep,
    IdempotencyKey,
    IfMatch,
    PagingDep,
    RuntimeDep,
    expected_tag,
    require,
    tag_after,
)
from o2c.api.idempotency import idempotent
from o2c.api.schemas import Code, Day, Page, Public, Quantity, Request, page_of, sends
from o2c.domain.access import Capability
from o2c.services import browsing, purchasing, receiving, transfers
from o2c.store.users import User

router = APIRouter()

LineNo = Annotated[int, Field(strict=True, ge=1, le=100_000)]


class PurchaseOrderLineCreate(Request):
    sku: Code
    quantity: Quantity
    unit_cost: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4)]
    promised_date: Day


class PurchaseOrderCreate(Request):
    """Goods ordered from a supplier for one location, at an agreed cost and date per line."""

    supplier: Code
    location: Code
    lines: Annotated[list[PurchaseOrderLineCreate], Field(min_length=1, max_length=1000)]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "supplier": "SUP-1",
                    "location": "DC-EAST",
                    "lines": [
                        {
                            "sku": "WID-100",
                            "quantity": 500,
                            "unit_cost": "4.2500",
                            "promised_date": "2026-12-15",
                        }
                    ],
                }
            ]
        }
    }


class NoticeLineCreate(Request):
    line_no: LineNo
    quantity: Quantity


class ShipmentNoticeCreate(Request):
    """An advance shipping notice: what the supplier dispatched and when it should arrive."""

    expected_date: Day
    reference: Annotated[str, Field(max_length=100)] = ""
    lines: Annotated[list[NoticeLineCreate], Field(min_length=1, max_length=1000)]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "expected_date": "2026-12-18",
                    "reference": "ASN-4471",
                    "lines": [{"line_no": 1, "quantity": 300}],
                }
            ]
        }
    }


class ReceiptLineCreate(Request):
    line_no: LineNo
    received: Quantity
    rejected: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] = 0
    reason: Annotated[str, Field(max_length=200)] = ""


class ReceiptCreate(Request):
    """What the dock counted per PO line, and what inspection rejected (with the reason)."""

    lines: Annotated[list[ReceiptLineCreate], Field(min_length=1, max_length=1000)]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"lines": [{"line_no": 1, "received": 300, "rejected": 4, "reason": "crushed cartons"}]}
            ]
        }
    }


class RescheduleCreate(Request):
    """A slipped date or a shrunk quantity of one PO line."""

    expected_date: Day | None = None
    quantity: Annotated[int, Field(strict=True, gt=0, le=1_000_000)] | None = None

    model_config = {"json_schema_extra": {"examples": [{"expected_date": "2026-12-22", "quantity": 450}]}}


class PurchaseOrderLinePublic(Public):
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


class PurchaseOrderPublic(Public):
    number: str
    supplier: str
    location: str
    status: str
    created_at: datetime
    closed_at: datetime | None
    lines: list[PurchaseOrderLinePublic] = []
    at_risk_orders: list[str] = []


class ShipmentNoticePublic(Public):
    number: str
    purchase_order: str
    expected_date: date
    reference: str
    lines: list[tuple[int, str, int]]
    at_risk_orders: list[str]


class ReceiptLinePublic(Public):
    sku: str
    received: int
    accepted: int
    rejected: int
    reason: str


class ReceiptPublic(Public):
    number: str
    source: str
    location: str
    received_at: datetime
    lines: list[ReceiptLinePublic] = []
    source_status: str | None = None
    allocated_orders: list[str] = []
    at_risk_orders: list[str] = []


class TransferLineCreate(Request):
    sku: Code
    quantity: Quantity


class TransferCreate(Request):
    """Move stock from one of our locations to another."""

    from_location: Code
    to_location: Code
    lines: Annotated[list[TransferLineCreate], Field(min_length=1, max_length=1000)]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "from_location": "DC-EAST",
                    "to_location": "DC-WEST",
                    "lines": [{"sku": "WID-100", "quantity": 40}],
                }
            ]
        }
    }


class TransferShip(Request):
    """When the transfer should arrive at its destination."""

    expected_date: Day

    model_config = {"json_schema_extra": {"examples": [{"expected_date": "2026-12-09"}]}}


class TransferReceiptLineCreate(Request):
    line_no: LineNo
    quantity: Quantity


class TransferReceive(Request):
    """What arrived per line; no lines means everything still in transit."""

    lines: Annotated[list[TransferReceiptLineCreate], Field(max_length=1000)] | None = None

    model_config = {"json_schema_extra": {"examples": [{"lines": [{"line_no": 1, "quantity": 38}]}]}}


class TransferLinePublic(Public):
    line_no: int
    sku: str
    quantity: int
    received: int


class TransferPublic(Public):
    number: str
    from_location: str
    to_location: str
    status: str
    created_at: datetime
    shipped_at: datetime | None
    expected_date: date | None
    received_at: datetime | None
    lines: list[TransferLinePublic] = []


Reader = Annotated[User, require(Capability.READ_PURCHASING)]
Buyer = Annotated[User, require(Capability.WRITE_PURCHASING)]
Receiver = Annotated[User, require(Capability.RECEIVE_GOODS)]
Mover = Annotated[User, require(Capability.WRITE_TRANSFERS)]


def _po(summary: purchasing.PurchaseOrderSummary) -> PurchaseOrderPublic:
    return PurchaseOrderPublic.model_validate(summary, from_attributes=True)


def _receipt(summary: receiving.ReceiptSummary) -> ReceiptPublic:
    lines = [ReceiptLinePublic.model_validate(ln, from_attributes=True) for ln in summary.lines]
    return ReceiptPublic.model_validate({**summary.__dict__, "lines": lines})


def _transfer(summary: transfers.TransferSummary) -> TransferPublic:
    return TransferPublic.model_validate(summary, from_attributes=True)


@router.get("/purchase-orders", response_model=Page[PurchaseOrderPublic], tags=["purchasing"])
def list_purchase_orders(runtime: RuntimeDep, user: Reader, filters: FiltersDep, paging: PagingDep) -> object:
    """List purchase orders, newest first; filter by status and creation time."""
    page = browsing.browse(
        runtime.uow(), "purchase_orders", filters.criteria(user), paging.limit, paging.offset, paging.sort
    )
    return page_of(PurchaseOrderPublic, page.items, paging.limit, paging.offset, page.next_offset)


@router.post(
    "/purchase-orders",
    status_code=201,
    response_model=PurchaseOrderPublic,
    tags=["purchasing"],
    responses=sends(201, "Location", "Idempotent-Replayed"),
)
def create_purchase_order(
    body: PurchaseOrderCreate, runtime: RuntimeDep, user: Buyer, idempotency_key: IdempotencyKey = None
) -> object:
    """Order goods from a supplier."""
    request = purchasing.PurchaseOrderRequest.model_validate(body.model_dump())

    def run() -> tuple[PurchaseOrderPublic, dict[str, str]]:
        uow = runtime.audited(user, "purchase_order.created")
        po = purchasing.create_purchase_order(uow, request, user.username)
        return _po(po), {"Location": f"/api/v1/purchase-orders/{po.number}"}

    return idempotent(runtime, user, idempotency_key, "POST /purchase-orders", body, run)


@router.get(
    "/purchase-orders/{number}",
    response_model=PurchaseOrderPublic,
    tags=["purchasing"],
    responses=sends(200, "ETag"),
)
def get_purchase_order(number: Code, runtime: RuntimeDep, user: Reader, response: Response) -> object:
    """Read one purchase order with its lines; the ETag is what ``If-Match`` on its actions takes."""
    runtime.tag(response, "purchase_order", number)
    return _po(purchasing.get_purchase_order(runtime.uow(), number))


@router.post(
    "/purchase-orders/{number}/shipping-notices",
    status_code=201,
    response_model=ShipmentNoticePublic,
    tags=["purchasing"],
    responses=sends(201, "Idempotent-Replayed"),
)
def notify(
    number: Code,
    body: ShipmentNoticeCreate,
    runtime: RuntimeDep,
    user: Buyer,
    idempotency_key: IdempotencyKey = None,
) -> object:
    """Record a supplier's advance shipping notice; slipped lines re-promise their orders."""
    request = purchasing.ShipmentNoticeRequest.model_validate(body.model_dump())

    def run() -> tuple[ShipmentNoticePublic, dict[str, str]]:
        uow = runtime.audited(user, "purchase_order.notified", ("purchase_order", number))
        notice = purchasing.notify_shipment(uow, number, request, user.username)
        return ShipmentNoticePublic.model_validate(notice, from_attributes=True), {}

    return idempotent(
        runtime, user, idempotency_key, f"POST /purchase-orders/{number}/shipping-notices", body, run
    )


@router.post(
    "/purchase-orders/{number}/receipts",
    status_code=201,
    response_model=ReceiptPublic,
    tags=["purchasing"],
    responses=sends(201, "Location", "Idempotent-Replayed"),
)
def receive(
    number: Code,
    body: ReceiptCreate,
    runtime: RuntimeDep,
    user: Receiver,
    idempotency_key: IdempotencyKey = None,
) -> object:
    """Receive and inspect goods against a PO; accepted units go on hand and fill backorders."""
    request = receiving.ReceiveRequest.model_validate(body.model_dump())

    def run() -> tuple[ReceiptPublic, dict[str, str]]:
        uow = runtime.audited(user, "purchase_order.received", ("purchase_order", number))
        receipt = receiving.receive_purchase_order(uow, number, request, user.username)
        return _receipt(receipt), {"Location": f"/api/v1/receipts/{receipt.number}"}

    return idempotent(runtime, user, idempotency_key, f"POST /purchase-orders/{number}/receipts", body, run)


@router.post(
    "/purchase-orders/{number}/lines/{line_no}/reschedule",
    response_model=PurchaseOrderPublic,
    tags=["purchasing"],
    responses=sends(200, "ETag"),
)
def reschedule(
    number: Code,
    line_no: Annotated[int, Path(ge=1, le=100_000)],
    body: RescheduleCreate,
    runtime: RuntimeDep,
    user: Buyer,
    response: Response,
    if_match: IfMatch = None,
) -> object:
    """Move a PO line's expected date or shrink its quantity; re-promises what no longer fits."""
    uow = runtime.audited(
        user, "purchase_order.rescheduled", ("purchase_order", number), expected_tag(if_match)
    )
    po = purchasing.reschedule_purchase_order_line(
        uow, number, line_no, body.expected_date, body.quantity, user.username
    )
    tag_after(response, uow)
    return _po(po)


@router.post(
    "/purchase-orders/{number}/close",
    response_model=PurchaseOrderPublic,
    tags=["purchasing"],
    responses=sends(200, "ETag"),
)
def close(
    number: Code, runtime: RuntimeDep, user: Buyer, response: Response, if_match: IfMatch = None
) -> object:
    """Close a PO: nothing more is expected on it."""
    uow = runtime.audited(user, "purchase_order.closed", ("purchase_order", number), expected_tag(if_match))
    po = purchasing.close_purchase_order(uow, number, user.username)
    tag_after(response, uow)
    return _po(po)


@router.post(
    "/purchase-orders/{number}/cancel",
    response_model=PurchaseOrderPublic,
    tags=["purchasing"],
    responses=sends(200, "ETag"),
)
def cancel(
    number: Code, runtime: RuntimeDep, user: Buyer, response: Response, if_match: IfMatch = None
) -> object:
    """Cancel a PO that received nothing."""
    uow = runtime.audited(
        user, "purchase_order.cancelled", ("purchase_order", number), expected_tag(if_match)
    )
    po = purchasing.cancel_purchase_order(uow, number, user.username)
    tag_after(response, uow)
    return _po(po)


@router.get("/receipts", response_model=Page[ReceiptPublic], tags=["purchasing"])
def list_receipts(runtime: RuntimeDep, user: Reader, filters: FiltersDep, paging: PagingDep) -> object:
    """List goods receipts (from POs and transfers), newest first."""
    page = browsing.browse(
        runtime.uow(), "receipts", filters.criteria(user), paging.limit, paging.offset, paging.sort
    )
    return page_of(ReceiptPublic, page.items, paging.limit, paging.offset, page.next_offset)


@router.get("/receipts/{number}", response_model=ReceiptPublic, tags=["purchasing"])
def get_receipt(number: Code, runtime: RuntimeDep, user: Reader) -> object:
    """Read one receipt with its inspected lines."""
    return ReceiptPublic.model_validate(browsing.receipt(runtime.uow(), number))


@router.get("/transfers", response_model=Page[TransferPublic], tags=["transfers"])
def list_transfers(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_TRANSFERS)],
    filters: FiltersDep,
    paging: PagingDep,
) -> object:
    """List transfers, newest first; filter by status and creation time."""
    page = browsing.browse(
        runtime.uow(), "transfers", filters.criteria(user), paging.limit, paging.offset, paging.sort
    )
    return page_of(TransferPublic, page.items, paging.limit, paging.offset, page.next_offset)


@router.post(
    "/transfers",
    status_code=201,
    response_model=TransferPublic,
    tags=["transfers"],
    responses=sends(201, "Location", "Idempotent-Replayed"),
)
def create_transfer(
    body: TransferCreate, runtime: RuntimeDep, user: Mover, idempotency_key: IdempotencyKey = None
) -> object:
    """Plan a transfer between two of our locations; nothing moves until it ships."""
    request = transfers.TransferRequest.model_validate(body.model_dump())

    def run() -> tuple[TransferPublic, dict[str, str]]:
        created = transfers.create_transfer(runtime.audited(user, "transfer.created"), request, user.username)
        return _transfer(created), {"Location": f"/api/v1/transfers/{created.number}"}

    return idempotent(runtime, user, idempotency_key, "POST /transfers", body, run)


@router.get(
    "/transfers/{number}", response_model=TransferPublic, tags=["transfers"], responses=sends(200, "ETag")
)
def get_transfer(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_TRANSFERS)],
    response: Response,
) -> object:
    """Read one transfer with its lines; the ETag is what ``If-Match`` on its actions takes."""
    runtime.tag(response, "transfer", number)
    return _transfer(transfers.get_transfer(runtime.uow(), number))


@router.post(
    "/transfers/{number}/ship",
    response_model=TransferPublic,
    tags=["transfers"],
    responses=sends(200, "ETag"),
)
def ship_transfer(
    number: Code,
    body: TransferShip,
    runtime: RuntimeDep,
    user: Mover,
    response: Response,
    if_match: IfMatch = None,
) -> object:
    """Ship a transfer from its source (only stock not reserved for orders)."""
    request = transfers.ShipTransferRequest.model_validate(body.model_dump())
    uow = runtime.audited(user, "transfer.shipped", ("transfer", number), expected_tag(if_match))
    shipped = transfers.ship_transfer(uow, number, request, user.username)
    tag_after(response, uow)
    return _transfer(shipped)


@router.post(
    "/transfers/{number}/receive",
    status_code=201,
    response_model=ReceiptPublic,
    tags=["transfers"],
    responses=sends(201, "Location", "Idempotent-Replayed"),
)
def receive_transfer(
    number: Code,
    body: TransferReceive,
    runtime: RuntimeDep,
    user: Receiver,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> object:
    """Receive a transfer at its destination (all, or some lines in part)."""
    request = transfers.ReceiveTransferRequest.model_validate(body.model_dump())
    expected = expected_tag(if_match)

    def run() -> tuple[ReceiptPublic, dict[str, str]]:
        uow = runtime.audited(user, "transfer.received", ("transfer", number), expected)
        receipt = transfers.receive_transfer(uow, number, request, user.username)
        return _receipt(receipt), {"Location": f"/api/v1/receipts/{receipt.number}"}

    return idempotent(runtime, user, idempotency_key, f"POST /transfers/{number}/receive", body, run)


@router.post(
    "/transfers/{number}/cancel",
    response_model=TransferPublic,
    tags=["transfers"],
    responses=sends(200, "ETag"),
)
def cancel_transfer(
    number: Code, runtime: RuntimeDep, user: Mover, response: Response, if_match: IfMatch = None
) -> object:
    """Cancel a transfer that has not shipped."""
    uow = runtime.audited(user, "transfer.cancelled", ("transfer", number), expected_tag(if_match))
    cancelled = transfers.cancel_transfer(uow, number, user.username)
    tag_after(response, uow)
    return _transfer(cancelled)
