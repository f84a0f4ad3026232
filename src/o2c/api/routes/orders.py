"""Orders: place (idempotent), browse, read with an ETag, and act on them (with ``If-Match``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import Field

from o2c.api.deps import (
    FiltersDep,
    IdempotencyKey,
    IfMatch,
    PagingDep,
    RuntimeDep,
    WindowDep,
    etag,
    expected_version,
    require,
    scope_of,
)
from o2c.api.idempotency import idempotent
from o2c.api.schemas import Code, Day, EventPublic, Instant, Page, Public, Quantity, Request, page_of, sends
from o2c.domain.access import Capability
from o2c.domain.errors import IdempotencyConflict, ValidationFailed
from o2c.domain.order import Channel
from o2c.services import browsing
from o2c.services.fulfilment import (
    ShipRequest,
    cancel_order,
    pack_order,
    pick_order,
    release_credit_hold,
    release_order,
    ship_order,
)
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.services.results import OrderSummary
from o2c.store.uow import UnitOfWork
from o2c.store.users import User

router = APIRouter(prefix="/orders", tags=["orders"])


class OrderLineCreate(Request):
    sku: Code
    quantity: Quantity


class OrderCreate(Request):
    """An order as a customer sends it; a portal user's orders are always for their own account."""

    customer: Code | None = Field(None, description="Customer code; a portal user may leave it out.")
    ship_to: Code | None = None
    channel: Channel | None = None
    lines: Annotated[list[OrderLineCreate], Field(min_length=1, max_length=1000)]
    requested_date: Day | None = None
    customer_sent_at: Instant | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "customer": "C-ACME",
                    "ship_to": "MAIN",
                    "channel": "web",
                    "lines": [{"sku": "WID-100", "quantity": 12}],
                    "requested_date": "2026-12-10",
                }
            ]
        }
    }


class OrderLinePublic(Public):
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


class OrderPublic(Public):
    number: str
    customer: str
    status: str
    channel: str
    backorder_policy: str
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    received_at: datetime
    requested_date: date | None = None
    stages: dict[str, datetime | None]
    lines: list[OrderLinePublic]
    version: int | None = Field(None, description="Changes with every change; the ETag is this, quoted.")


class OrderListItem(Public):
    number: str
    customer: str
    status: str
    channel: str
    received_at: datetime
    requested_date: date | None = None
    promised_date: date | None = None
    subtotal: Decimal
    tax_total: Decimal
    version: int


class ShipCreate(Request):
    """What leaves the dock: carrier, tracking number, and per order line what shipped (default: all)."""

    carrier: Annotated[str, Field(min_length=1, max_length=40)]
    tracking_number: Annotated[str, Field(min_length=1, max_length=100)]
    quantities: dict[int, Annotated[int, Field(strict=True, ge=0, le=1_000_000)]] | None = None
    freight_cost: Annotated[Decimal, Field(ge=0, decimal_places=2, max_digits=14)] = Decimal("0.00")

    model_config = {
        "json_schema_extra": {
            "examples": [{"carrier": "UPS", "tracking_number": "1Z999", "freight_cost": "12.50"}]
        }
    }


def public(summary: OrderSummary, version: int | None) -> OrderPublic:
    # The lines are read by attribute (from_attributes): no deep copy of the summary as asdict makes.
    return OrderPublic.model_validate({**vars(summary), "version": version})


def customer_of(user: User, asked: str | None) -> str:
    own = scope_of(user)
    if own is None:
        if asked is None:
            raise ValidationFailed("name the customer the order is for", field="customer")
        return asked
    if asked is not None and asked != own:
        # Another account is, for a portal user, an account that does not exist.
        raise ValidationFailed(f"customer {asked} does not exist", field="customer")
    return own


@router.get("", response_model=Page[OrderListItem])
def list_orders(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_ORDERS)],
    filters: FiltersDep,
    paging: PagingDep,
) -> object:
    """List orders, newest first; filter by status, customer and received time."""
    page = browsing.browse(
        runtime.uow(), "orders", filters.criteria(user), paging.limit, paging.offset, paging.sort
    )
    return page_of(OrderListItem, page.items, paging.limit, paging.offset, page.next_offset)


@router.post(
    "",
    status_code=201,
    response_model=OrderPublic,
    responses=sends(201, "Location", "ETag", "Idempotent-Replayed"),
)
def create_order(
    body: OrderCreate,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.PLACE_ORDERS)],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Place an order: validated, priced, credit-checked and reserved in one transaction."""
    request = PlaceOrderRequest(
        customer=customer_of(user, body.customer),
        ship_to=body.ship_to,
        channel=body.channel,
        lines=[OrderLineRequest(sku=ln.sku, quantity=ln.quantity) for ln in body.lines],
        requested_date=body.requested_date,
        customer_sent_at=body.customer_sent_at,
        # Keys are the caller's own: two users' equal keys never meet.
        idempotency_key=f"api:{user.id}:{idempotency_key}" if idempotency_key else None,
    )
    uow = runtime.audited(user, "order.placed")
    try:
        summary = place_order(uow, request, actor=user.username)
    except IdempotencyConflict as error:  # say it in the caller's key, not the namespaced one
        order_number = error.context.get("order_number")
        raise IdempotencyConflict(
            f"idempotency key {idempotency_key!r} was used for a different order ({order_number})",
            idempotency_key=idempotency_key,
            order_number=order_number,
        ) from None
    version = uow.after["version"] if isinstance(uow.after, dict) else None
    headers = {"Location": f"/api/v1/orders/{summary.number}"}
    if version is not None:
        headers["ETag"] = etag(version)
    if summary.replayed:
        headers["Idempotent-Replayed"] = "true"
    # The body response_model describes, serialised once: returning the model would have FastAPI
    # dump it, validate it again and serialise it, on the hottest route of the API.
    body_json = public(summary, version).model_dump_json()
    return Response(body_json, 201, headers, media_type="application/json")


@router.get("/{number}", response_model=OrderPublic, responses=sends(200, "ETag"))
def get_order(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_ORDERS)],
    response: Response,
) -> OrderPublic:
    """Read one order with its lines and stage times; the ETag carries its version."""
    found = browsing.order(runtime.uow(), number, scope_of(user))
    response.headers["ETag"] = etag(found.version)
    return public(found.summary, found.version)


@router.get("/{number}/events", response_model=Page[EventPublic])
def get_order_events(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_EVENTS)],
    paging: WindowDep,
) -> object:
    """The recorded events of an order, oldest first."""
    return paging.page(
        EventPublic.model_validate,
        lambda limit, offset: browsing.entity_events(runtime.uow(), "order", number, limit, offset),
    )


def _acted(
    runtime: RuntimeDep,
    user: User,
    number: str,
    action: str,
    if_match: str | None,
    run: Callable[[UnitOfWork], OrderSummary],
) -> tuple[OrderPublic, dict[str, str]]:
    """The order after the action, and its ETag header."""
    customer = scope_of(user)
    if customer is not None:
        browsing.order(runtime.uow(), number, customer)  # another customer's order: 404
    uow = runtime.audited(user, f"order.{action}", ("order", number), expected_version(if_match))
    summary = run(uow)
    version = uow.after["version"] if isinstance(uow.after, dict) else None
    return public(summary, version), {"ETag": etag(version)} if version is not None else {}


def _act(
    runtime: RuntimeDep,
    user: User,
    number: str,
    action: str,
    if_match: str | None,
    response: Response,
    run: Callable[[UnitOfWork], OrderSummary],
) -> OrderPublic:
    acted, headers = _acted(runtime, user, number, action, if_match, run)
    response.headers.update(headers)
    return acted


@router.post("/{number}/confirm", response_model=OrderPublic, responses=sends(200, "ETag"))
def confirm_order(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.FULFIL_ORDERS)],
    response: Response,
    if_match: IfMatch = None,
) -> OrderPublic:
    """Confirm an open order: release its reserved quantities to the warehouse as a pick list."""
    return _act(
        runtime,
        user,
        number,
        "confirmed",
        if_match,
        response,
        lambda uow: release_order(uow, number, user.username),
    )


@router.post("/{number}/release-credit-hold", response_model=OrderPublic, responses=sends(200, "ETag"))
def release_order_credit_hold(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.RELEASE_CREDIT)],
    response: Response,
    if_match: IfMatch = None,
) -> OrderPublic:
    """Accept the credit risk of a held order; it is then reserved like a new one."""
    return _act(
        runtime,
        user,
        number,
        "credit_released",
        if_match,
        response,
        lambda uow: release_credit_hold(uow, number, user.username),
    )


@router.post("/{number}/cancel", response_model=OrderPublic, responses=sends(200, "ETag"))
def cancel(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.CANCEL_ORDERS)],
    response: Response,
    if_match: IfMatch = None,
) -> OrderPublic:
    """Cancel what has not shipped; the stock it reserved becomes available again."""
    return _act(
        runtime,
        user,
        number,
        "cancelled",
        if_match,
        response,
        lambda uow: cancel_order(uow, number, user.username),
    )


@router.post("/{number}/pick", response_model=OrderPublic, responses=sends(200, "ETag"))
def pick(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.FULFIL_ORDERS)],
    response: Response,
    if_match: IfMatch = None,
) -> OrderPublic:
    """Record that a released order was picked."""
    return _act(
        runtime,
        user,
        number,
        "picked",
        if_match,
        response,
        lambda uow: pick_order(uow, number, user.username),
    )


@router.post("/{number}/pack", response_model=OrderPublic, responses=sends(200, "ETag"))
def pack(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.FULFIL_ORDERS)],
    response: Response,
    if_match: IfMatch = None,
) -> OrderPublic:
    """Record that a picked order was packed."""
    return _act(
        runtime,
        user,
        number,
        "packed",
        if_match,
        response,
        lambda uow: pack_order(uow, number, user.username),
    )


@router.post(
    "/{number}/ship", response_model=OrderPublic, responses=sends(200, "ETag", "Idempotent-Replayed")
)
def ship(
    number: Code,
    body: ShipCreate,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.FULFIL_ORDERS)],
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> object:
    """Ship packed goods (all, or per line) and invoice what shipped; a retry with the same key ships once."""
    request = ShipRequest(**body.model_dump())

    def run() -> tuple[OrderPublic, dict[str, str]]:
        return _acted(
            runtime,
            user,
            number,
            "shipped",
            if_match,
            lambda uow: ship_order(uow, number, request, user.username),
        )

    return idempotent(runtime, user, idempotency_key, f"POST /orders/{number}/ship", body, run, 200)
