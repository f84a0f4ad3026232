"""Open backorders and their allocation, and the aging of open receivables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from o2c.api.deps import RuntimeDep, WindowDep, require
from o2c.api.schemas import Day, Page, Public, Request
from o2c.domain.access import Capability
from o2c.domain.billing import AgingRow
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
    """One SKU's backorders, or (without ``sku``) every SKU's."""

    sku: Annotated[str, Field(min_length=1, max_length=60)] | None = None

    model_config = {"json_schema_extra": {"examples": [{"sku": "WID-100"}]}}


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


@router.get("/backorders", response_model=Page[BackorderPublic], tags=["backorders"])
def list_backorders(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_STOCK)],
    paging: WindowDep,
    sku: Annotated[str | None, Query(min_length=1, max_length=60)] = None,
) -> object:
    """Open backorder lines (of one SKU), oldest first, with their age in days."""
    return paging.page(
        BackorderPublic.model_validate,
        lambda limit, offset: open_backorders(runtime.uow(), sku, limit, offset),
    )


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


def _aging(row: AgingRow) -> AgingPublic:
    return AgingPublic(customer=row.customer_code, buckets=row.buckets, total=row.total)


@router.get("/receivables/aging", response_model=Page[AgingPublic], tags=["invoices"])
def aging(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_PAYMENTS)],
    paging: WindowDep,
    as_of: Annotated[Day | None, Query(description="Date (default: today).")] = None,
) -> object:
    """Open receivables per customer (by code) in buckets of days past due."""
    return paging.page(_aging, lambda limit, offset: receivables_aging(runtime.uow(), as_of, limit, offset))
