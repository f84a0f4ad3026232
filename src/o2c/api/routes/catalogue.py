"""Customers, products, stock levels, time-phased ATP and delivery promises (read only)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from o2c.api.deps import PagingDep, RuntimeDep, require, scope_of
from o2c.api.schemas import Code, Day, Page, Public, Quantity, Request, page_of
from o2c.domain.access import Capability
from o2c.services import browsing
from o2c.services.atp import atp
from o2c.services.browsing import Criteria
from o2c.services.promising import PromiseRequest, promise
from o2c.store.users import User

router = APIRouter(tags=["catalogue"])


class ShipToPublic(Public):
    code: str
    name: str
    address: str
    region: str


class CustomerPublic(Public):
    code: str
    name: str
    segment: str
    tier: int
    channel: str
    credit_limit: Decimal | None
    payment_terms_days: int
    backorder_policy: str
    active: bool


class CustomerDetail(CustomerPublic):
    ship_tos: list[ShipToPublic]


class ProductPublic(Public):
    sku: str
    name: str
    list_price: Decimal
    weight_g: int
    volume_cm3: int
    active: bool


class StockPublic(Public):
    sku: str
    location: str
    on_hand: int
    allocated: int
    available: int


class AtpRowPublic(Public):
    day: date
    receipts: int
    orders: int
    atp: int
    cumulative: int


class LocationAtpPublic(Public):
    location: str
    region: str
    available_now: int
    rows: list[AtpRowPublic]


class AtpPublic(Public):
    sku: str
    as_of: date
    days: int
    locations: list[LocationAtpPublic]


class PromiseCreate(Request):
    """A SKU, a quantity, where to and by when: the answer is a delivery date (or none)."""

    sku: Code
    quantity: Quantity
    customer: Code | None = Field(None, description="Customer code; a portal user may leave it out.")
    ship_to: Code | None = None
    requested_date: Day | None = None
    service: Annotated[str, Field(min_length=1, max_length=40)] = "ground"
    horizon_days: Annotated[int, Field(ge=1, le=730)] = 120

    model_config = {
        "json_schema_extra": {"examples": [{"sku": "WID-100", "quantity": 20, "customer": "C-ACME"}]}
    }


class SourcePromisePublic(Public):
    location: str
    quantity: int
    available_date: date | None
    ship_date: date | None
    delivery_date: date | None
    transit_days: int | None
    reason: str | None


class PromisePublic(Public):
    sku: str
    quantity: int
    customer: str
    ship_to: str
    region: str
    service: str
    as_of: date
    horizon_days: int
    requested_date: date | None
    delivery_date: date | None
    sources: list[SourcePromisePublic]
    options: list[SourcePromisePublic]
    shortfall: int
    split: bool
    meets_requested_date: bool | None


ActiveFilter = Annotated[bool | None, Query(description="Only active (true) or inactive (false) ones.")]


def _active(active: bool | None) -> dict[str, str | bool]:
    return {} if active is None else {"active": active}


@router.get("/customers", response_model=Page[CustomerPublic])
def list_customers(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_CUSTOMERS)],
    paging: PagingDep,
    active: ActiveFilter = None,
) -> object:
    """List customer accounts (a portal user sees only their own)."""
    criteria = Criteria(customer=scope_of(user), equal=_active(active))
    page = browsing.browse(runtime.uow(), "customers", criteria, paging.limit, paging.offset, paging.sort)
    return page_of(CustomerPublic, page.items, paging.limit, paging.offset, page.next_offset)


@router.get("/customers/{code}", response_model=CustomerDetail)
def get_customer(
    code: Code, runtime: RuntimeDep, user: Annotated[User, require(Capability.READ_CUSTOMERS)]
) -> object:
    """Read one customer account with its ship-to addresses."""
    return CustomerDetail.model_validate(browsing.customer_account(runtime.uow(), code, scope_of(user)))


@router.get("/products", response_model=Page[ProductPublic])
def list_products(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_PRODUCTS)],
    paging: PagingDep,
    active: ActiveFilter = None,
) -> object:
    """List products with their list prices."""
    criteria = Criteria(equal=_active(active))
    page = browsing.browse(runtime.uow(), "products", criteria, paging.limit, paging.offset, paging.sort)
    return page_of(ProductPublic, page.items, paging.limit, paging.offset, page.next_offset)


@router.get("/products/{sku}", response_model=ProductPublic)
def get_product(
    sku: Code, runtime: RuntimeDep, user: Annotated[User, require(Capability.READ_PRODUCTS)]
) -> object:
    """Read one product."""
    return ProductPublic.model_validate(browsing.document(runtime.uow(), "products", sku))


@router.get("/stock", response_model=Page[StockPublic])
def list_stock(
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_STOCK)],
    paging: PagingDep,
    sku: Annotated[str | None, Query(min_length=1, max_length=60)] = None,
    location: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
) -> object:
    """Stock per SKU and location: on hand, allocated, available."""
    criteria = Criteria(equal={k: v for k, v in (("sku", sku), ("location", location)) if v is not None})
    page = browsing.browse(runtime.uow(), "stock", criteria, paging.limit, paging.offset, paging.sort)
    return page_of(StockPublic, page.items, paging.limit, paging.offset, page.next_offset)


@router.get("/atp/{sku}", response_model=AtpPublic)
def get_atp(
    sku: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_STOCK)],
    location: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    days: Annotated[int, Query(ge=1, le=730)] = 30,
) -> object:
    """Time-phased available-to-promise of a SKU per location, one row per day."""
    return AtpPublic.model_validate(atp(runtime.uow(), sku, location, days), from_attributes=True)


@router.post("/promises", response_model=PromisePublic)
def create_promise(
    body: PromiseCreate, runtime: RuntimeDep, user: Annotated[User, require(Capability.READ_STOCK)]
) -> object:
    """Promise a delivery date for a quantity of a SKU to a customer's ship-to (reserves nothing)."""
    request = PromiseRequest(**{**body.model_dump(), "customer": body.customer or ""})
    return PromisePublic.model_validate(promise(runtime.uow(), request), from_attributes=True)
