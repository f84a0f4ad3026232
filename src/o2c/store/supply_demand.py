"""The statements of dated supply and demand that available-to-promise nets, and the rows they return.

What belongs here is what both readers of a plan share: the repository
(:class:`o2c.store.supply_plan.SupplyPlanRepository`, for ATP, order entry and re-promising) and the
prepared promise reads (:mod:`o2c.store.promise_reads`), so that the two can never count supply or
demand differently. The backordered lines themselves and the writes of re-promising are the
repository's.

Every read is a set-based statement built once at import: supply and demand of a SKU at every location
come back in one round trip, already summed per day (``GROUP BY`` date), so the cost of a promise does
not grow with the number of open order lines behind it. What the rows *mean* is defined here:

- **available now**: ``stock.on_hand - stock.allocated`` (reserved stock is already promised);
- **receipts**: per ``expected_date``, ``qty_ordered - qty_received`` of the lines of *open* purchase
  orders delivered to the location, plus ``quantity - qty_received`` of the lines of transfers
  *in transit* to it (a transfer without an expected date is not counted: it is no dated supply);
- **demand**: ``qty_backordered`` of the order lines sourced at the location whose order is still live
  (not cancelled, shipped, delivered or closed), grouped by the line's promised delivery date and the
  line's lead days (the location's ``processing_days + pick_pack_days`` plus the transit days of its
  lane to the order's ship-to region for :data:`DEFAULT_SERVICE`, 0 when there is no lane).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.sql import Select

from o2c.store.master_tables import locations, products, ship_tos, stock
from o2c.store.supply_tables import lanes, purchase_order_lines, purchase_orders, transfer_lines, transfers
from o2c.store.tables import order_lines, orders

DEFAULT_SERVICE = "ground"  # of an order's lane: orders do not record one, so promises to them use this
FINISHED_ORDER_STATUSES = ("cancelled", "shipped", "delivered", "closed")  # their lines are no demand

_STOCK, _RECEIPT, _DEMAND = 0, 1, 2
Scope = Literal["products", "location", "product"]  # which SKU-locations a plan statement reads


def inline_constant(value: str) -> ColumnElement[str]:
    """A constant written into the statement's SQL rather than bound: PostgreSQL plans a prepared
    statement once for all its parameters (a generic plan), and with the finished statuses bound it
    guessed that one order in a thousand is live and joined the lines by nested loops, twice as slow."""
    assert "'" not in value
    return literal_column(f"'{value}'", String)


# Public because the repository's backordered-lines statements filter with the same expressions: a
# line counts as demand here exactly when re-promising sees it waiting for supply.
LIVE_ORDER = orders.c.status.not_in([inline_constant(s) for s in FINISHED_ORDER_STATUSES])
ZERO = literal_column("0", Integer)


@dataclass(frozen=True)
class SourcingLocation:
    """A location that can ship, with its lead times and its lane to one destination region."""

    id: int
    code: str
    region: str
    processing_days: int
    pick_pack_days: int
    transit_days: int | None  # None: no lane to the destination region for the service

    @property
    def handling_days(self) -> int:  # from the units being available to the goods leaving the dock
        return self.processing_days + self.pick_pack_days


@dataclass
class SupplyAndDemand:
    """Dated supply and demand of one SKU at one location, as stored (not yet bucketed)."""

    available: int = 0
    receipts: list[tuple[date, int]] = field(default_factory=list)
    demand: list[tuple[date | None, int, int]] = field(default_factory=list)  # promised, lead days, qty


def _receipts(
    scope: Scope, product: Any, location: Any, day: Any, qty: Any, lines: Any, *where: Any
) -> Select[Any]:
    """Open quantities per product, location and expected day; ``where`` picks the open lines."""
    return (
        select(
            product,
            location,
            literal_column(str(_RECEIPT), Integer).label("kind"),
            day.label("day"),
            literal_column("0", Integer).label("lead"),
            func.sum(qty).label("qty"),
        )
        .select_from(lines)
        .where(_for_products(product, location, scope), *where)
        .group_by(product, location, day)
    )


def _receipts_from_purchase_orders(scope: Scope) -> Select[Any]:
    pol, po = purchase_order_lines, purchase_orders
    return _receipts(
        scope,
        pol.c.product_id,
        po.c.location_id,
        pol.c.expected_date,
        pol.c.qty_ordered - pol.c.qty_received,
        pol.join(po, po.c.id == pol.c.purchase_order_id),
        po.c.status == inline_constant("open"),
        pol.c.qty_ordered > pol.c.qty_received,
    )


def _receipts_in_transit(scope: Scope) -> Select[Any]:
    tl, t = transfer_lines, transfers
    return _receipts(
        scope,
        tl.c.product_id,
        t.c.to_location_id,
        t.c.expected_date,
        tl.c.quantity - tl.c.qty_received,
        tl.join(t, t.c.id == tl.c.transfer_id),
        t.c.status == inline_constant("in_transit"),
        t.c.expected_date.is_not(None),
        tl.c.quantity > tl.c.qty_received,
    )


def lane_to(region: Any, service: Any = None) -> ColumnElement[bool]:
    """The lane from the sourcing location's region to ``region`` for ``service`` (an order's: the
    default)."""
    return and_(
        lanes.c.origin_region == locations.c.region,
        lanes.c.destination_region == region,
        lanes.c.service == (inline_constant(DEFAULT_SERVICE) if service is None else service),
    )


def _demand(scope: Scope) -> Select[Any]:
    """Backordered quantities summed per promised date and ship-to *region* first (the order and its
    ship-to looked up per line), then per lead days (location and lane looked up per group).

    Grouping by region rather than ship-to matters for speed: lead days depend on the region only, and
    there are few regions, so the second step joins a few hundred groups, not one per line. For one
    SKU (a promise: some thousand lines at most) location and lane are looked up per line and the
    lines grouped once, which measured about a tenth cheaper on PostgreSQL and no dearer on SQLite.
    """
    keys = (order_lines.c.product_id, order_lines.c.location_id, order_lines.c.promised_date)
    live_lines = order_lines.join(orders, orders.c.id == order_lines.c.order_id).join(
        ship_tos, ship_tos.c.id == orders.c.ship_to_id
    )
    wanted = [
        _for_products(order_lines.c.product_id, order_lines.c.location_id, scope),
        order_lines.c.qty_backordered > ZERO,
        LIVE_ORDER,
    ]
    if scope != "product":  # a promise is of no stored order
        wanted.append(order_lines.c.order_id != bindparam("exclude_order_id"))
    lead_parts = (locations.c.processing_days, locations.c.pick_pack_days, lanes.c.transit_days)
    lead = lead_parts[0] + lead_parts[1] + func.coalesce(lead_parts[2], ZERO)
    if scope == "product":
        return (
            select(
                order_lines.c.product_id,
                order_lines.c.location_id,
                literal_column(str(_DEMAND), Integer),
                order_lines.c.promised_date,
                lead,
                func.sum(order_lines.c.qty_backordered),
            )
            .select_from(
                live_lines.join(locations, locations.c.id == order_lines.c.location_id).outerjoin(
                    lanes, lane_to(ship_tos.c.region)
                )
            )
            .where(*wanted)
            .group_by(*keys, *lead_parts)
        )
    by_region = (
        select(*keys, ship_tos.c.region, func.sum(order_lines.c.qty_backordered).label("qty"))
        .select_from(live_lines)
        .where(*wanted)
        .group_by(*keys, ship_tos.c.region)
        .subquery("by_region")
    )
    product, location, promised = (
        by_region.c.product_id,
        by_region.c.location_id,
        by_region.c.promised_date,
    )
    return (
        select(
            product,
            location,
            literal_column(str(_DEMAND), Integer),
            promised,
            lead,
            func.sum(by_region.c.qty),
        )
        .select_from(
            by_region.join(locations, locations.c.id == by_region.c.location_id).outerjoin(
                lanes, lane_to(by_region.c.region)
            )
        )
        .group_by(product, location, promised, *lead_parts)
    )


def _for_products(product: Any, location: Any, scope: Scope) -> ColumnElement[bool]:
    if scope == "product":  # no list to expand: the statement can run prepared (store.driver)
        only: ColumnElement[bool] = product == bindparam("product_id")
        return only
    products_given: ColumnElement[bool] = product.in_(bindparam("product_ids", expanding=True))
    if scope == "location":
        return and_(products_given, location == bindparam("location_id"))
    return products_given


def _available(scope: Scope) -> Select[Any]:
    return select(
        stock.c.product_id,
        stock.c.location_id,
        literal_column(str(_STOCK), Integer),
        cast(null(), Date),
        literal_column("0", Integer),
        stock.c.on_hand - stock.c.allocated,
    ).where(_for_products(stock.c.product_id, stock.c.location_id, scope))


def _plan_query(scope: Scope, *, demand: bool = True) -> CompoundSelect[Any]:
    parts = (_receipts_from_purchase_orders, _receipts_in_transit, *([_demand] if demand else []), _available)
    return union_all(*(part(scope) for part in parts))  # the first one's Date decodes "day"


# Public for SupplyPlanRepository.supply_and_demand, which picks one by its arguments.
plan_everywhere = _plan_query("products")
plan_at = _plan_query("location")
# Re-promising hands out supply alone (claims are its lines, not the stored demand): no demand read.
supply_everywhere = _plan_query("products", demand=False)
supply_at = _plan_query("location", demand=False)
plan_of_product = _plan_query("product")
"""Supply and demand of one SKU (``product_id``) at every location, in the rows of
:meth:`o2c.store.supply_plan.SupplyPlanRepository.supply_and_demand`, excluding no order."""

product_id_of_sku = select(products.c.id).where(products.c.sku == bindparam("sku"))


def plans_of(rows: Iterable[Sequence[Any]]) -> dict[tuple[int, int], SupplyAndDemand]:
    """The rows of a plan statement as supply and demand by ``(product id, location id)``."""
    plans: dict[tuple[int, int], SupplyAndDemand] = {}
    for product_id, at, kind, day, lead, qty in rows:
        key = (int(product_id), int(at))
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = SupplyAndDemand()
        if kind == _STOCK:
            plan.available += int(qty)
        elif kind == _RECEIPT:
            plan.receipts.append((day, int(qty)))
        else:
            plan.demand.append((day, int(lead), int(qty)))
    return plans
