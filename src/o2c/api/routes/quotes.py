"""Quotes: price a basket with a validity date, browse them, convert one into an order."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from o2c.api.deps import FiltersDep, IdempotencyKey, PagingDep, RuntimeDep, etag, require, scope_of
from o2c.api.idempotency import idempotent
from o2c.api.routes.orders import OrderLineCreate, OrderPublic, customer_of, public
from o2c.api.schemas import Code, Day, Page, Public, Request, page_of, sends
from o2c.domain.access import Capability
from o2c.domain.order import Channel
from o2c.services import browsing
from o2c.services.ordering import OrderLineRequest
from o2c.services.quoting import QuoteRequest, QuoteSummary, convert_quote, create_quote, get_quote
from o2c.store.users import User

router = APIRouter(prefix="/quotes", tags=["quotes"])


class QuoteCreate(Request):
    """A basket to price for a customer; the prices hold until the quote expires."""

    customer: Code | None = Field(None, description="Customer code; a portal user may leave it out.")
    ship_to: Code | None = None
    lines: Annotated[list[OrderLineCreate], Field(min_length=1, max_length=1000)]
    valid_days: Annotated[int, Field(ge=1, le=365)] = 30

    model_config = {
        "json_schema_extra": {
            "examples": [{"customer": "C-ACME", "lines": [{"sku": "WID-100", "quantity": 5}]}]
        }
    }


class QuoteConvert(Request):
    """How the order the quote becomes came in, and when the customer wants it (both optional)."""

    channel: Channel | None = None
    requested_date: Day | None = None

    model_config = {"json_schema_extra": {"examples": [{"channel": "web", "requested_date": "2026-12-10"}]}}


class QuoteLinePublic(Public):
    sku: str
    quantity: int
    unit_price: Decimal
    net_amount: Decimal


class QuotePublic(Public):
    number: str
    customer: str
    status: str
    created_at: datetime
    valid_until: datetime
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    lines: list[QuoteLinePublic]


class QuoteListItem(Public):
    number: str
    customer: str
    status: str
    created_at: datetime
    valid_until: datetime
    subtotal: Decimal
    tax_total: Decimal


def _public(quote: QuoteSummary) -> QuotePublic:
    return QuotePublic(
        number=quote.number,
        customer=quote.customer,
        status=quote.status,
        created_at=quote.created_at,
        valid_until=quote.valid_until,
        subtotal=quote.subtotal,
        tax_total=quote.tax_total,
        total=quote.total,
        lines=[QuoteLinePublic(sku=s, quantity=q, unit_price=p, net_amount=n) for s, q, p, n in quote.lines],
    )


@router.get("", response_model=Page[QuoteListItem])
def list_quotes(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_QUOTES)],
    filters: FiltersDep,
    paging: PagingDep,
) -> object:
    """List quotes, newest first; filter by status, customer and creation time."""
    page = browsing.browse(
        runtime.uow(), "quotes", filters.criteria(user), paging.limit, paging.offset, paging.sort
    )
    return page_of(QuoteListItem, page.items, paging.limit, paging.offset, page.next_offset)


@router.post(
    "", status_code=201, response_model=QuotePublic, responses=sends(201, "Location", "Idempotent-Replayed")
)
def create(
    body: QuoteCreate,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.WRITE_QUOTES)],
    idempotency_key: IdempotencyKey = None,
) -> object:
    """Price a basket for a customer as a quote."""
    request = QuoteRequest(
        customer=customer_of(user, body.customer),
        ship_to=body.ship_to,
        lines=[OrderLineRequest(sku=ln.sku, quantity=ln.quantity) for ln in body.lines],
        valid_days=body.valid_days,
    )

    def run() -> tuple[QuotePublic, dict[str, str]]:
        quote = create_quote(runtime.audited(user, "quote.created"), request, actor=user.username)
        return _public(quote), {"Location": f"/api/v1/quotes/{quote.number}"}

    return idempotent(runtime, user, idempotency_key, "POST /quotes", request, run)


@router.get("/{number}", response_model=QuotePublic)
def get(number: Code, runtime: RuntimeDep, user: Annotated[User, require(Capability.READ_QUOTES)]) -> object:
    """Read one quote with its priced lines."""
    browsing.document(runtime.uow(), "quotes", number, scope_of(user))  # another customer's: 404
    return _public(get_quote(runtime.uow(), number))


@router.post(
    "/{number}/convert",
    status_code=201,
    response_model=OrderPublic,
    responses=sends(201, "Location", "ETag", "Idempotent-Replayed"),
)
def convert(
    number: Code,
    body: QuoteConvert,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.WRITE_QUOTES)],
    idempotency_key: IdempotencyKey = None,
) -> object:
    """Turn an open, unexpired quote into an order at the quoted prices."""
    browsing.document(runtime.uow(), "quotes", number, scope_of(user))

    def run() -> tuple[OrderPublic, dict[str, str]]:
        uow = runtime.audited(user, "quote.converted", ("quote", number))
        order = convert_quote(
            uow, number, channel=body.channel, requested_date=body.requested_date, actor=user.username
        )
        headers = {"Location": f"/api/v1/orders/{order.number}", "ETag": etag(1)}
        return public(order, 1), headers

    return idempotent(runtime, user, idempotency_key, f"POST /quotes/{number}/convert", body, run)
