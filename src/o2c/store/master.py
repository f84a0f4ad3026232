"""Reads of master data needed by the cycle: customers, ship-tos, products, prices, taxes, carriers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, select

from o2c.domain.errors import NotFound
from o2c.domain.order import BackorderPolicy, Channel
from o2c.store.tables import (
    carriers,
    customers,
    price_list_items,
    products,
    segment_discounts,
    ship_tos,
    tax_rates,
)


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


@dataclass(frozen=True)
class ShipTo:
    id: int
    customer_id: int
    code: str
    region: str


@dataclass(frozen=True)
class ProductInfo:
    id: int
    sku: str
    list_price: Decimal
    standard_cost: Decimal
    weight_g: int
    active: bool


class MasterDataRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def customer(self, code: str) -> CustomerTerms:
        row = self._conn.execute(
            select(
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
            ).where(customers.c.code == code)
        ).first()
        if row is None:
            raise NotFound(f"customer {code} does not exist", customer_code=code)
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

    def ship_to(self, customer_id: int, code: str | None) -> ShipTo | None:
        """The named ship-to of this customer, or its first one when ``code`` is None."""
        query = select(ship_tos.c.id, ship_tos.c.customer_id, ship_tos.c.code, ship_tos.c.region).where(
            ship_tos.c.customer_id == customer_id
        )
        query = query.where(ship_tos.c.code == code) if code is not None else query.order_by(ship_tos.c.id)
        row = self._conn.execute(query.limit(1)).first()
        return ShipTo(row.id, row.customer_id, row.code, row.region) if row else None

    def ship_to_by_id(self, ship_to_id: int) -> ShipTo:
        row = self._conn.execute(
            select(ship_tos.c.id, ship_tos.c.customer_id, ship_tos.c.code, ship_tos.c.region).where(
                ship_tos.c.id == ship_to_id
            )
        ).one()
        return ShipTo(row.id, row.customer_id, row.code, row.region)

    def products_by_sku(self, skus: Iterable[str]) -> dict[str, ProductInfo]:
        rows = self._conn.execute(
            select(
                products.c.id,
                products.c.sku,
                products.c.list_price,
                products.c.standard_cost,
                products.c.weight_g,
                products.c.active,
            ).where(products.c.sku.in_(sorted(set(skus))))
        )
        return {
            r.sku: ProductInfo(r.id, r.sku, r.list_price, r.standard_cost, r.weight_g, bool(r.active))
            for r in rows
        }

    def list_prices(self, price_list_id: int, product_ids: Iterable[int]) -> dict[int, Decimal]:
        rows = self._conn.execute(
            select(price_list_items.c.product_id, price_list_items.c.unit_price).where(
                price_list_items.c.price_list_id == price_list_id,
                price_list_items.c.product_id.in_(sorted(set(product_ids))),
            )
        )
        return {r.product_id: r.unit_price for r in rows}

    def segment_discount(self, segment: str) -> Decimal:
        rate = self._conn.execute(
            select(segment_discounts.c.discount_rate).where(segment_discounts.c.segment == segment)
        ).scalar_one_or_none()
        return rate if rate is not None else Decimal(0)

    def tax_rate(self, region: str) -> Decimal:
        rate = self._conn.execute(
            select(tax_rates.c.rate).where(tax_rates.c.region == region)
        ).scalar_one_or_none()
        return rate if rate is not None else Decimal(0)

    def carrier_id(self, code: str) -> int:
        carrier_id = self._conn.execute(
            select(carriers.c.id).where(carriers.c.code == code)
        ).scalar_one_or_none()
        if carrier_id is None:
            raise NotFound(f"carrier {code} does not exist", carrier_code=code)
        return int(carrier_id)
