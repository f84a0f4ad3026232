"""Open backorders and their allocation, and the aging of open receivables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from o2c.api.deps import RuntimeDep, require
from o2c.api.schemas import Day, Public, Request
from o2c.domain.access import Capability
from o2c.services.backorders import allocate_backorders, open_backorders
from o2c.services.billing import receivables_aging
from o2c.store.users import User

router = APIRouter()


class BackorderPublic(Public):
    order_number: str
    customer: str
    tier: int
    line_no: int
    sku: str
    location: str | None
    quantity: int
    age_days: int
    promised_date: date | None
    status: str


class BackorderAllocate(Request):
    sku: Annotated[str, Field(min_length=1, max_length=60)] | None = None


class FillPublic(Public):
    order_number: str
    line_no: int
    sku: str
    quantity: int
    outcome: str
    substitute_line_no: int | None
    substitute_sku: str | None


class AllocationPublic(Public):
    rule: str
    fills: list[FillPublic]


class AgingPublic(Public):
    customer: str
    buckets: dict[str, Decimal]
    total: Decimal


@router.get("/backorders", response_model=list[BackorderPublic], tags=["backorders"])
def list_backorders(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_STOCK)],
    sku: Annotated[str | None, Query(min_length=1, max_length=60)] = None,
) -> object:
    """Open backorder lines (of one SKU), oldest first, with their age in days."""
    return [
        BackorderPublic.model_validate(b, from_attributes=True) for b in open_backorders(runtime.uow(), sku)
    ]


@router.post("/backorders/allocate", response_model=AllocationPublic, tags=["backorders"])
def allocate(
    body: BackorderAllocate, runtime: RuntimeDep, user: Annotated[User, require(Capability.FULFIL_ORDERS)]
) -> object:
    """Allocate every open backorder (of one SKU) that stock on hand covers now."""
    uow = runtime.audited(user, "backorders.allocated")
    report = allocate_backorders(uow, body.sku, actor=user.username)
    return AllocationPublic(
        rule=str(report.rule),
        fills=[FillPublic.model_validate(f, from_attributes=True) for f in report.fills],
    )


@router.get("/receivables/aging", response_model=list[AgingPublic], tags=["invoices"])
def aging(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_PAYMENTS)],
    as_of: Annotated[Day | None, Query(description="Date (default: today).")] = None,
) -> list[AgingPublic]:
    """Open receivables per customer in buckets of days past due."""
    rows = receivables_aging(runtime.uow(), as_of)
    return [AgingPublic(customer=r.customer_code, buckets=r.buckets, total=r.total) for r in rows]
