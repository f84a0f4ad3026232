"""Shipments (and proof of delivery), invoices, payments, and the event history of any document."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from o2c.api.deps import (
    FiltersDep,
    IdempotencyKey,
    IfMatch,
    PagingDep,
    RuntimeDep,
    WindowDep,
    expected_tag,
    require,
    scope_of,
    tag_after,
)
from o2c.api.idempotency import idempotent
from o2c.api.schemas import Code, EventPublic, Page, Public, Request, page_of, sends
from o2c.domain.access import Capability
from o2c.services import browsing
from o2c.services.billing import PaymentRequest, record_payment
from o2c.services.fulfilment import DeliverRequest, DeliveryException, deliver_shipment
from o2c.store.users import User

router = APIRouter()

OrderFilter = Annotated[
    str | None, Query(min_length=1, max_length=30, description="Only those of this order (number).")
]


class ShipmentLinePublic(Public):
    line_no: int
    sku: str
    quantity: int
    short: int
    damaged: int


class ShipmentPublic(Public):
    number: str
    order: str
    customer: str
    carrier: str
    tracking_number: str
    status: str
    shipped_at: datetime
    delivered_at: datetime | None
    received_by: str | None
    freight_cost: Decimal


class ShipmentDetail(ShipmentPublic):
    lines: list[ShipmentLinePublic]


class DeliveryExceptionCreate(Request):
    line_no: Annotated[int, Field(strict=True, ge=1, le=100_000)]
    short: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] = 0
    damaged: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] = 0


class DeliveryCreate(Request):
    """Proof of delivery: who signed, and what arrived short or damaged per order line."""

    received_by: Annotated[str, Field(min_length=1, max_length=200)] = "consignee"
    exceptions: Annotated[list[DeliveryExceptionCreate], Field(max_length=1000)] = []

    model_config = {
        "json_schema_extra": {
            "examples": [{"received_by": "J. Smith", "exceptions": [{"line_no": 1, "damaged": 1}]}]
        }
    }


class InvoiceLinePublic(Public):
    line_no: int
    sku: str
    quantity: int
    unit_price: Decimal
    net_amount: Decimal
    tax_amount: Decimal


class InvoicePublic(Public):
    number: str
    order: str
    shipment: str | None
    customer: str
    status: str
    issued_at: datetime
    due_date: date
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    amount_paid: Decimal
    paid_at: datetime | None


class InvoiceDetail(InvoicePublic):
    lines: list[InvoiceLinePublic]


class PaymentCreate(Request):
    invoice: Annotated[str, Field(min_length=1, max_length=30)]
    amount: Annotated[Decimal, Field(gt=0, decimal_places=2, max_digits=14)]
    reference: Annotated[str, Field(max_length=100)] = ""

    model_config = {"json_schema_extra": {"examples": [{"invoice": "IN-00000001", "amount": "145.80"}]}}


class PaymentPublic(Public):
    id: int
    invoice: str
    customer: str
    amount: Decimal
    received_at: datetime
    reference: str


def _with_total(row: dict[str, object]) -> dict[str, object]:
    return {**row, "total": row["subtotal"] + row["tax_total"]}  # type: ignore[operator]


@router.get("/shipments", response_model=Page[ShipmentPublic], tags=["shipments"])
def list_shipments(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_SHIPMENTS)],
    filters: FiltersDep,
    paging: PagingDep,
    order: OrderFilter = None,
) -> object:
    """List shipments, newest first; filter by status, customer, order and ship time."""
    criteria = filters.criteria(user, order=order)
    page = browsing.browse(runtime.uow(), "shipments", criteria, paging.limit, paging.offset, paging.sort)
    return page_of(ShipmentPublic, page.items, paging.limit, paging.offset, page.next_offset)


@router.get(
    "/shipments/{number}", response_model=ShipmentDetail, tags=["shipments"], responses=sends(200, "ETag")
)
def get_shipment(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_SHIPMENTS)],
    response: Response,
) -> object:
    """Read one shipment with its lines and delivery exceptions; the ETag is what ``If-Match`` on
    its delivery takes."""
    runtime.tag(response, "shipment", number)
    return ShipmentDetail.model_validate(browsing.shipment(runtime.uow(), number, scope_of(user)))


@router.post(
    "/shipments/{number}/deliver",
    response_model=ShipmentDetail,
    tags=["shipments"],
    responses=sends(200, "ETag"),
)
def deliver(
    number: Code,
    body: DeliveryCreate,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.FULFIL_ORDERS)],
    response: Response,
    if_match: IfMatch = None,
) -> object:
    """Record proof of delivery of a shipment, with short and damaged quantities per line."""
    request = DeliverRequest(
        received_by=body.received_by,
        exceptions=[DeliveryException(**e.model_dump()) for e in body.exceptions],
    )
    uow = runtime.audited(user, "shipment.delivered", ("shipment", number), expected_tag(if_match))
    deliver_shipment(uow, number, request, user.username)
    tag_after(response, uow)
    return ShipmentDetail.model_validate(browsing.shipment(runtime.uow(), number))


@router.get("/invoices", response_model=Page[InvoicePublic], tags=["invoices"])
def list_invoices(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_INVOICES)],
    filters: FiltersDep,
    paging: PagingDep,
    order: OrderFilter = None,
) -> object:
    """List invoices, newest first; filter by status, customer, order and issue time."""
    criteria = filters.criteria(user, order=order)
    page = browsing.browse(runtime.uow(), "invoices", criteria, paging.limit, paging.offset, paging.sort)
    items = [_with_total(i) for i in page.items]
    return page_of(InvoicePublic, items, paging.limit, paging.offset, page.next_offset)


@router.get("/invoices/{number}", response_model=InvoiceDetail, tags=["invoices"])
def get_invoice(
    number: Code, runtime: RuntimeDep, user: Annotated[User, require(Capability.READ_INVOICES)]
) -> object:
    """Read one invoice with its lines and what is paid."""
    return InvoiceDetail.model_validate(_with_total(browsing.invoice(runtime.uow(), number, scope_of(user))))


@router.get("/payments", response_model=Page[PaymentPublic], tags=["invoices"])
def list_payments(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_PAYMENTS)],
    filters: FiltersDep,
    paging: PagingDep,
    invoice: Annotated[str | None, Query(min_length=1, max_length=30)] = None,
) -> object:
    """List payments received, newest first."""
    criteria = filters.criteria(user, invoice=invoice)
    page = browsing.browse(runtime.uow(), "payments", criteria, paging.limit, paging.offset, paging.sort)
    return page_of(PaymentPublic, page.items, paging.limit, paging.offset, page.next_offset)


@router.post(
    "/payments",
    status_code=201,
    response_model=InvoiceDetail,
    tags=["invoices"],
    responses=sends(201, "Location", "Idempotent-Replayed"),
)
def create_payment(
    body: PaymentCreate,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.RECORD_PAYMENTS)],
    idempotency_key: IdempotencyKey = None,
) -> object:
    """Record a payment (partial too) against an invoice; the invoice as it now stands."""
    request = PaymentRequest(**body.model_dump())

    def run() -> tuple[InvoiceDetail, dict[str, str]]:
        record_payment(
            runtime.audited(user, "payment.recorded", ("invoice", body.invoice)), request, user.username
        )
        invoice = _with_total(browsing.invoice(runtime.uow(), body.invoice))
        return InvoiceDetail.model_validate(invoice), {"Location": f"/api/v1/invoices/{body.invoice}"}

    return idempotent(runtime, user, idempotency_key, "POST /payments", body, run)


@router.get("/events/{entity_type}/{entity_id}", response_model=Page[EventPublic], tags=["events"])
def get_events(
    entity_type: Annotated[str, Path(max_length=30, description="order, quote, shipment, invoice, …")],
    entity_id: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_EVENTS)],
    paging: WindowDep,
) -> object:
    """The recorded events of a document, oldest first."""
    return paging.page(
        EventPublic.model_validate,
        lambda limit, offset: browsing.entity_events(runtime.uow(), entity_type, entity_id, limit, offset),
    )
