"""Returns (RMAs): authorise against a delivered order, receive with disposition, credit or reject."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field

from o2c.api.deps import (
    FiltersDep,
    IdempotencyKey,
    IfMatch,
    PagingDep,
    RuntimeDep,
    expected_tag,
    require,
    scope_of,
    tag_after,
)
from o2c.api.idempotency import idempotent
from o2c.api.schemas import Code, Page, Public, Quantity, Request, by_line_no, page_of, sends
from o2c.domain.access import Capability
from o2c.domain.returns import Disposition, ReturnReason
from o2c.services import browsing
from o2c.services.returns import (
    ReturnSummary,
    authorise_return,
    credit_return,
    get_return,
    receive_return,
    reject_return,
)
from o2c.store.users import User

router = APIRouter(prefix="/returns", tags=["returns"])

LineNo = Annotated[int, Field(strict=True, ge=1, le=100_000)]


class ReturnLineCreate(Request):
    line_no: LineNo
    quantity: Quantity


class ReturnCreate(Request):
    """Delivered units of an order's lines the customer sends back, and why."""

    order: Code
    reason: ReturnReason
    lines: Annotated[list[ReturnLineCreate], Field(min_length=1, max_length=1000)]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"order": "SO-00000001", "reason": "damaged", "lines": [{"line_no": 1, "quantity": 2}]}
            ]
        }
    }


class ReceivedLine(Request):
    line_no: LineNo
    received: Annotated[int, Field(strict=True, ge=0, le=1_000_000)]
    disposition: Disposition | None = None


class ReturnReceive(Request):
    """What came back (default: all authorised) and what becomes of it (default: restock)."""

    disposition: Disposition = Disposition.RESTOCK
    lines: Annotated[list[ReceivedLine], Field(max_length=1000)] | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "disposition": "restock",
                    "lines": [
                        {"line_no": 1, "received": 2},
                        {"line_no": 2, "received": 1, "disposition": "scrap"},
                    ],
                }
            ]
        }
    }


class ReturnLinePublic(Public):
    line_no: int
    sku: str
    quantity: int
    received: int
    disposition: str | None


class ReturnPublic(Public):
    number: str
    order: str
    customer: str
    status: str
    reason: str
    authorised_at: datetime
    received_at: datetime | None
    credited_at: datetime | None
    rejected_at: datetime | None
    lines: list[ReturnLinePublic] = []
    backorders_allocated: list[str] = []


class CreditMemoPublic(Public):
    number: str
    customer: str
    order: str
    invoice: str | None
    return_number: str | None
    reason: str
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    applied: Decimal
    unapplied: Decimal
    issued_at: datetime


def _public(summary: ReturnSummary) -> ReturnPublic:
    return ReturnPublic.model_validate(summary, from_attributes=True)


@router.get("", response_model=Page[ReturnPublic])
def list_returns(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_RETURNS)],
    filters: FiltersDep,
    paging: PagingDep,
    order: Annotated[str | None, Query(min_length=1, max_length=30)] = None,
) -> object:
    """List returns, newest first; filter by status, customer, order and authorisation time."""
    criteria = filters.criteria(user, order=order)
    page = browsing.browse(runtime.uow(), "returns", criteria, paging.limit, paging.offset, paging.sort)
    return page_of(ReturnPublic, page.items, paging.limit, paging.offset, page.next_offset)


@router.post(
    "", status_code=201, response_model=ReturnPublic, responses=sends(201, "Location", "Idempotent-Replayed")
)
def create_return(
    body: ReturnCreate,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.REQUEST_RETURNS)],
    idempotency_key: IdempotencyKey = None,
) -> object:
    """Authorise the return of delivered units (an RMA); a portal user, of their own orders only."""
    lines = by_line_no(((ln.line_no, ln.quantity) for ln in body.lines), "return")
    browsing.order(runtime.uow(), body.order, scope_of(user))  # another customer's order: 404

    def run() -> tuple[ReturnPublic, dict[str, str]]:
        uow = runtime.audited(user, "return.authorised")
        authorised = authorise_return(uow, body.order, lines, body.reason, user.username)
        return _public(authorised), {"Location": f"/api/v1/returns/{authorised.number}"}

    return idempotent(runtime, user, idempotency_key, "POST /returns", body, run)


@router.get("/{number}", response_model=ReturnPublic, responses=sends(200, "ETag"))
def get(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_RETURNS)],
    response: Response,
) -> object:
    """Read one return with its lines; the ETag is what ``If-Match`` on its actions takes."""
    browsing.document(runtime.uow(), "returns", number, scope_of(user))
    runtime.tag(response, "return", number)
    return _public(get_return(runtime.uow(), number))


@router.post("/{number}/receive", response_model=ReturnPublic, responses=sends(200, "ETag"))
def receive(
    number: Code,
    body: ReturnReceive,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.RECEIVE_GOODS)],
    response: Response,
    if_match: IfMatch = None,
) -> object:
    """Receive and inspect returned goods; restocked units go on hand and to waiting backorders."""
    counted = by_line_no(((ln.line_no, ln) for ln in body.lines or ()), "return receipt")
    received = {n: ln.received for n, ln in counted.items()} if counted else None
    per_line = {n: ln.disposition for n, ln in counted.items() if ln.disposition is not None}
    uow = runtime.audited(user, "return.received", ("return", number), expected_tag(if_match))
    summary = receive_return(uow, number, body.disposition, received, per_line or None, user.username)
    tag_after(response, uow)
    return _public(summary)


@router.post(
    "/{number}/credit",
    status_code=201,
    response_model=CreditMemoPublic,
    responses=sends(201, "Idempotent-Replayed"),
)
def credit(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.DECIDE_RETURNS)],
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> object:
    """Issue the credit memo of a received return (net price plus tax of the received units)."""
    expected = expected_tag(if_match)

    def run() -> tuple[CreditMemoPublic, dict[str, str]]:
        uow = runtime.audited(user, "return.credited", ("return", number), expected)
        memo = credit_return(uow, number, user.username)
        return CreditMemoPublic.model_validate(memo, from_attributes=True), {}

    return idempotent(runtime, user, idempotency_key, f"POST /returns/{number}/credit", None, run)


@router.post("/{number}/reject", response_model=ReturnPublic, responses=sends(200, "ETag"))
def reject(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.DECIDE_RETURNS)],
    response: Response,
    if_match: IfMatch = None,
) -> object:
    """Reject a return: nothing is credited."""
    uow = runtime.audited(user, "return.rejected", ("return", number), expected_tag(if_match))
    rejected = reject_return(uow, number, user.username)
    tag_after(response, uow)
    return _public(rejected)
