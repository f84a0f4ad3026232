"""Reads of products: by SKU, and order entry's read of the products an order names with their stock.

Order entry validates, prices and reserves from that one read, the stock rows locked in id order: a
:class:`~o2c.store.driver.Prepared` statement per basket size, the SKUs padded to a power of two so
that a handful of statements serve every order. The services reach these reads through
:class:`~o2c.store.master.MasterDataRepository` (``uow.master``), their one door to master data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, select

from o2c.domain.allocation import StockPosition
from o2c.domain.values import quick_init
from o2c.store.driver import Prepared
from o2c.store.master_tables import locations, products, stock
from o2c.store.supply_demand import DEFAULT_SERVICE
from o2c.store.supply_tables import lanes


@quick_init
@dataclass(frozen=True)
class ProductInfo:
    id: int
    sku: str
    list_price: Decimal
    standard_cost: Decimal
    weight_g: int
    active: bool


@quick_init
@dataclass(frozen=True)
class ProductsInStock:
    """The products an order names, by SKU, and the stock positions of each, locked for reservation."""

    products: dict[str, ProductInfo]
    positions: list[StockPosition]  # in stock id order
    # By location id: (processing + pick/pack days, transit days of its lane to the ship-to region or
    # None), so that a line promised from stock needs no other read.
    lead_days: dict[int, tuple[int, int | None]] = field(default_factory=dict)


_PRODUCT_COLUMNS = (
    products.c.id,
    products.c.sku,
    products.c.list_price,
    products.c.standard_cost,
    products.c.weight_g,
    products.c.active,
)
_products_by_sku = select(*_PRODUCT_COLUMNS).where(products.c.sku.in_(bindparam("skus", expanding=True)))


def _sku_slots(count: int) -> int:
    """How many SKU parameters a statement for ``count`` SKUs has: the next power of two, so that a
    handful of statements serve every basket size (spare slots repeat the last SKU)."""
    return 1 << (count - 1).bit_length()


# Transit days of the lane from the stock row's location to the order's ship-to region (``region``).
_transit_days = (
    select(lanes.c.transit_days)
    .where(
        lanes.c.origin_region == locations.c.region,
        lanes.c.destination_region == bindparam("region"),
        lanes.c.service == DEFAULT_SERVICE,
    )
    .scalar_subquery()
)


_by_stock_id = itemgetter(6)  # of a row of _products_in_stock


@cache
def _sku_names(slots: int) -> list[str]:
    return [f"sku_{i}" for i in range(slots)]


@cache
def _products_in_stock(slots: int, locking: bool) -> Prepared:
    """Products by SKU, one row per stock position; ``locking``: the stock rows locked in id order.

    ``FOR UPDATE OF stock`` locks only the stock rows, in the order of the sort (PostgreSQL sorts,
    then locks). SQLite, whose writers already hold the database lock, needs neither: the caller
    puts the few rows in stock id order itself, cheaper than the database's sorter.
    """
    skus: list[BindParameter[str]] = [bindparam(name) for name in _sku_names(slots)]
    query = (
        select(
            *_PRODUCT_COLUMNS,
            stock.c.id.label("stock_id"),
            stock.c.location_id,
            locations.c.region,
            (stock.c.on_hand - stock.c.allocated).label("available"),
            (locations.c.processing_days + locations.c.pick_pack_days).label("handling_days"),
            _transit_days.label("transit_days"),
        )
        .join_from(products, stock, stock.c.product_id == products.c.id)
        .join(locations, locations.c.id == stock.c.location_id)
        .where(products.c.sku.in_(skus))
    )
    return Prepared(query.order_by(stock.c.id).with_for_update(of=stock) if locking else query)


def _product_info(row: Any) -> ProductInfo:
    return ProductInfo(row.id, row.sku, row.list_price, row.standard_cost, row.weight_g, bool(row.active))


def products_by_sku(conn: Connection, skus: Iterable[str]) -> dict[str, ProductInfo]:
    rows = conn.execute(_products_by_sku, {"skus": sorted(set(skus))})
    return {r.sku: _product_info(r) for r in rows}


def products_in_stock(conn: Connection, skus: Iterable[str], region: str | None = None) -> ProductsInStock:
    """The products of these SKUs and their stock positions, the stock rows locked in id order,
    with the lead days of their locations to ship-to ``region``.

    Order entry's one read of what it validates, prices and reserves (an unknown SKU is simply
    absent). The locks are held to the end of the transaction, whether stock is reserved or not.
    """
    wanted = sorted(set(skus))
    if not wanted:
        return ProductsInStock({}, [])
    slots = _sku_slots(len(wanted))
    names = _sku_names(slots)
    params: dict[str, str | None] = dict(zip(names, wanted, strict=False))  # spare slots next
    params.update(dict.fromkeys(names[len(wanted) :], wanted[-1]))
    params["region"] = region
    products: dict[str, ProductInfo] = {}
    positions: list[StockPosition] = []
    lead_days: dict[int, tuple[int, int | None]] = {}
    # Read by position (the columns of _products_in_stock): each product comes once per stock row,
    # and only its own columns need converting (the stock columns are plain integers and text).
    locking = conn.dialect.name == "postgresql"
    rows, convert = _products_in_stock(slots, locking).unconverted(conn, params)
    if not locking:
        rows = sorted(rows, key=_by_stock_id)
    for v in rows:
        if v[1] not in products:
            c = convert(list(v))
            products[c[1]] = ProductInfo(c[0], c[1], c[2], c[3], c[4], bool(c[5]))
        positions.append(StockPosition(v[6], v[0], v[7], v[8], v[9]))
        lead_days[v[7]] = (v[10], v[11])
    if len(products) < len(wanted):  # stocked nowhere (or unknown): nothing to lock, still a product
        products.update(products_by_sku(conn, (sku for sku in wanted if sku not in products)))
    return ProductsInStock(products, positions, lead_days)
