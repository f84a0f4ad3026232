"""Reads of master data needed by the cycle: customers, ship-tos, prices, taxes, carriers.

Statements are built once, at import, with bound parameters: SQLAlchemy then compiles each of them
once per engine and every later call only binds values. The two reads order entry runs on every order
(its terms, its products with their stock) are :class:`~o2c.store.driver.Prepared`. The products' reads
are :mod:`o2c.store.product_reads`: the repository here answers for them too, so that the services
have one door to master data (``uow.master``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    select,
    type_coerce,
)

from o2c.domain.billing import InvoiceStatus
from o2c.domain.errors import NotFound
from o2c.domain.money import MONEY_SCALE
from o2c.domain.order import BackorderPolicy, Channel
from o2c.domain.values import quick_init
from o2c.store import product_reads
from o2c.store.driver import Prepared
from o2c.store.master_tables import (
    carriers,
    customers,
    price_list_items,
    segment_discounts,
    ship_tos,
    tax_rates,
)
from o2c.store.product_reads import ProductInfo, ProductsInStock
from o2c.store.returns import unapplied_credit
from o2c.store.tables import invoices
from o2c.store.types import Minor


@quick_init
@dataclass(frozen=True)
class CustomerTerms:
    id: int
    code: str
    segment: str
    tier: int
    channel: Channel
    credit_limit: Decimal | None
    payment_terms_days: int
    backorder_policy: BackorderPolicy
    price_list_id: int | None
    active: bool


@quick_init
@dataclass(frozen=True)
class ShipTo:
    id: int
    customer_id: int
    code: str
    region: str


@quick_init
@dataclass(frozen=True)
class OrderTerms:
    """What entering an order needs to know about its customer and where it ships, read at once."""

    customer: CustomerTerms
    ship_to: ShipTo | None  # None: the customer has no such ship-to
    segment_discount: Decimal  # of the customer's segment; 0 when the segment has none
    tax_rate: Decimal  # of the ship-to's region; 0 when the region has none
    open_receivables: Decimal  # what the customer's open invoices still owe; 0 read without a credit limit


_CUSTOMER_COLUMNS = (
    customers.c.id,
    customers.c.code,
    customers.c.segment,
    customers.c.tier,
    customers.c.channel,
    customers.c.credit_limit,
    customers.c.payment_terms_days,
    customers.c.backorder_policy,
    customers.c.price_list_id,
    customers.c.active,
)
_SHIP_TO_COLUMNS = (
    ship_tos.c.id.label("ship_to_id"),
    ship_tos.c.customer_id.label("ship_to_customer_id"),
    ship_tos.c.code.label("ship_to_code"),
    ship_tos.c.region.label("ship_to_region"),
)

_customer = select(*_CUSTOMER_COLUMNS).where(customers.c.code == bindparam("code"))
_named_ship_to = (
    select(*_SHIP_TO_COLUMNS)
    .where(ship_tos.c.customer_id == bindparam("customer_id"), ship_tos.c.code == bindparam("code"))
    .limit(1)
)
_first_ship_to = (
    select(*_SHIP_TO_COLUMNS)
    .where(ship_tos.c.customer_id == bindparam("customer_id"))
    .order_by(ship_tos.c.id)
    .limit(1)
)
_ship_to_by_id = select(*_SHIP_TO_COLUMNS).where(ship_tos.c.id == bindparam("id"))


# The same sum as BillingRepository.open_receivables, for the customer of the enclosing query:
# open invoices less payments and credits applied, less credit left on the account.
_open_receivables = type_coerce(
    select(
        func.coalesce(
            func.sum(
                invoices.c.subtotal
                + invoices.c.tax_total
                - invoices.c.amount_paid
                - invoices.c.amount_credited
            ),
            0,
            type_=Minor(MONEY_SCALE),
        )
    )
    .where(invoices.c.customer_id == customers.c.id, invoices.c.status == InvoiceStatus.OPEN.value)
    .scalar_subquery()
    - unapplied_credit(customers.c.id),
    Minor(MONEY_SCALE),
)


def _terms_query(ship_to_join: ColumnElement[bool]) -> Select[Any]:
    """The customer, one of its ship-tos (if any), its discount, the ship-to's tax rate and the
    customer's open receivables."""
    return (
        select(
            *_CUSTOMER_COLUMNS,
            *_SHIP_TO_COLUMNS,
            segment_discounts.c.discount_rate,
            tax_rates.c.rate,
            # Only a credit limit needs them: without one the sum is not run (CASE evaluates lazily).
            type_coerce(
                case((customers.c.credit_limit.is_(None), literal_column("0")), else_=_open_receivables),
                Minor(MONEY_SCALE),
            ).label("open_receivables"),
        )
        .select_from(
            customers.outerjoin(ship_tos, ship_to_join)
            .outerjoin(segment_discounts, segment_discounts.c.segment == customers.c.segment)
            .outerjoin(tax_rates, tax_rates.c.region == ship_tos.c.region)
        )
        .where(customers.c.code == bindparam("code"))
    )


# Customer codes are unique, and so is a ship-to's code per customer: each query gives one row at most,
# and the first ship-to is picked by its id in the join rather than by sorting the customer's.
_terms_at_named_ship_to = Prepared(
    _terms_query(and_(ship_tos.c.customer_id == customers.c.id, ship_tos.c.code == bindparam("ship_to")))
)
_others = ship_tos.alias("others")
_first_ship_to_id = (
    select(func.min(_others.c.id)).where(_others.c.customer_id == customers.c.id).scalar_subquery()
)
_terms_at_first_ship_to = Prepared(_terms_query(ship_tos.c.id == _first_ship_to_id))

_list_prices = select(price_list_items.c.product_id, price_list_items.c.unit_price).where(
    price_list_items.c.price_list_id == bindparam("price_list_id"),
    price_list_items.c.product_id.in_(bindparam("product_ids", expanding=True)),
)
_segment_discount = select(segment_discounts.c.discount_rate).where(
    segment_discounts.c.segment == bindparam("segment")
)
_tax_rate = select(tax_rates.c.rate).where(tax_rates.c.region == bindparam("region"))
_carrier_id = select(carriers.c.id).where(carriers.c.code == bindparam("code"))


def _customer_terms(row: Any) -> CustomerTerms:
    return CustomerTerms(
        row.id,
        row.code,
        row.segment,
        row.tier,
        Channel(row.channel),
        row.credit_limit,
        row.payment_terms_days,
        BackorderPolicy(row.backorder_policy),
        row.price_list_id,
        bool(row.active),
    )


def _ship_to(row: Any) -> ShipTo | None:
    if row.ship_to_id is None:
        return None
    return ShipTo(row.ship_to_id, row.ship_to_customer_id, row.ship_to_code, row.ship_to_region)


class MasterDataRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def customer(self, code: str) -> CustomerTerms:
        row = self._conn.execute(_customer, {"code": code}).first()
        if row is None:
            raise NotFound(f"customer {code} does not exist", customer_code=code)
        return _customer_terms(row)

    def ship_to(self, customer_id: int, code: str | None) -> ShipTo | None:
        """The named ship-to of this customer, or its first one when ``code`` is None."""
        if code is None:
            row = self._conn.execute(_first_ship_to, {"customer_id": customer_id}).first()
        else:
            row = self._conn.execute(_named_ship_to, {"customer_id": customer_id, "code": code}).first()
        return _ship_to(row) if row else None

    def ship_to_by_id(self, ship_to_id: int) -> ShipTo:
        ship_to = _ship_to(self._conn.execute(_ship_to_by_id, {"id": ship_to_id}).one())
        assert ship_to is not None
        return ship_to

    def order_terms(self, customer_code: str, ship_to_code: str | None) -> OrderTerms:
        """Customer, ship-to (named, or the first one), discount, tax rate and open receivables in
        one round trip.

        Raises :class:`NotFound` for an unknown customer; a missing ship-to is ``ship_to=None``.
        """
        if ship_to_code is None:
            row = _terms_at_first_ship_to.first(self._conn, {"code": customer_code})
        else:
            row = _terms_at_named_ship_to.first(self._conn, {"code": customer_code, "ship_to": ship_to_code})
        if row is None:
            raise NotFound(f"customer {customer_code} does not exist", customer_code=customer_code)
        return OrderTerms(
            _customer_terms(row),
            _ship_to(row),
            row.discount_rate if row.discount_rate is not None else Decimal(0),
            row.rate if row.rate is not None else Decimal(0),
            row.open_receivables,
        )

    def products_by_sku(self, skus: Iterable[str]) -> dict[str, ProductInfo]:
        return product_reads.products_by_sku(self._conn, skus)

    def products_in_stock(self, skus: Iterable[str], region: str | None = None) -> ProductsInStock:
        return product_reads.products_in_stock(self._conn, skus, region)

    def list_prices(self, price_list_id: int, product_ids: Iterable[int]) -> dict[int, Decimal]:
        rows = self._conn.execute(
            _list_prices, {"price_list_id": price_list_id, "product_ids": sorted(set(product_ids))}
        )
        return {r.product_id: r.unit_price for r in rows}

    def segment_discount(self, segment: str) -> Decimal:
        rate = self._conn.execute(_segment_discount, {"segment": segment}).scalar_one_or_none()
        return rate if rate is not None else Decimal(0)

    def tax_rate(self, region: str) -> Decimal:
        rate = self._conn.execute(_tax_rate, {"region": region}).scalar_one_or_none()
        return rate if rate is not None else Decimal(0)

    def carrier_id(self, code: str) -> int:
        carrier_id = self._conn.execute(_carrier_id, {"code": code}).scalar_one_or_none()
        if carrier_id is None:
            raise NotFound(f"carrier {code} does not exist", carrier_code=code)
        return int(carrier_id)
