"""Master data for tests, written straight into the tables (the import service has its own tests)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select

from o2c.store.master_tables import (
    carriers,
    customers,
    locations,
    products,
    segment_discounts,
    ship_tos,
    stock,
    tax_rates,
)


def add_customer(engine: Engine, code: str = "C1", *, region: str = "east", **values: Any) -> int:
    row = {
        "code": code,
        "name": f"Customer {code}",
        "segment": "retail",
        "tier": 2,
        "channel": "web",
        "credit_limit": None,
        "payment_terms_days": 30,
        "backorder_policy": "allow_partial",
        **values,
    }
    with engine.begin() as conn:
        customer_id = int(conn.execute(insert(customers).returning(customers.c.id), row).scalar_one())
        conn.execute(
            insert(ship_tos),
            {"customer_id": customer_id, "code": "MAIN", "name": "Main dock", "region": region},
        )
    return customer_id


def add_product(engine: Engine, sku: str, price: str = "10.00", cost: str = "6.0000", **values: Any) -> int:
    row = {
        "sku": sku,
        "name": f"Product {sku}",
        "list_price": Decimal(price),
        "standard_cost": Decimal(cost),
        "weight_g": 500,
        **values,
    }
    with engine.begin() as conn:
        return int(conn.execute(insert(products).returning(products.c.id), row).scalar_one())


def add_location(engine: Engine, code: str = "DC1", region: str = "east") -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(locations).returning(locations.c.id), {"code": code, "name": code, "region": region}
            ).scalar_one()
        )


def add_stock(engine: Engine, product_id: int, location_id: int, on_hand: int) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(stock).returning(stock.c.id),
                {"product_id": product_id, "location_id": location_id, "on_hand": on_hand, "allocated": 0},
            ).scalar_one()
        )


def add_carrier(engine: Engine, code: str = "UPS") -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(insert(carriers).returning(carriers.c.id), {"code": code, "name": code}).scalar_one()
        )


def set_rates(
    engine: Engine, *, segment: str = "retail", discount: str = "0", region: str = "east", tax: str = "0"
) -> None:
    with engine.begin() as conn:
        conn.execute(insert(segment_discounts), {"segment": segment, "discount_rate": Decimal(discount)})
        conn.execute(insert(tax_rates), {"region": region, "rate": Decimal(tax)})


def stock_level(engine: Engine, stock_id: int) -> tuple[int, int]:
    with engine.connect() as conn:
        row = conn.execute(select(stock.c.on_hand, stock.c.allocated).where(stock.c.id == stock_id)).one()
        return int(row.on_hand), int(row.allocated)


def add_supplier(engine: Engine, code: str = "SUP1", lead_time_days: int = 14) -> int:
    from o2c.store.master_tables import suppliers

    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(suppliers).returning(suppliers.c.id),
                {"code": code, "name": f"Supplier {code}", "lead_time_days": lead_time_days},
            ).scalar_one()
        )
