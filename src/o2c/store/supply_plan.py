"""Reads of dated supply and demand for available-to-promise, and the writes of re-promising.

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
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Connection,
    Date,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.sql import Select

from o2c.store.batches import UpdateByIds
from o2c.store.supply_tables import lanes, purchase_order_lines, purchase_orders, transfer_lines, transfers
from o2c.store.tables import carriers, customers, locations, order_lines, orders, products, ship_tos, stock

DEFAULT_SERVICE = "ground"  # of an order's lane: orders do not record one, so promises to them use this
FINISHED_ORDER_STATUSES = ("cancelled", "shipped", "delivered", "closed")  # their lines are no demand

_STOCK, _RECEIPT, _DEMAND = 0, 1, 2


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


class BackorderedLine(NamedTuple):
    """An open backordered order line of one SKU-location, with what re-promising it needs (a named
    tuple: cheap to build by the ten thousand)."""

    line_id: int
    order_id: int
    order_number: str
    line_no: int
    sku: str
    quantity: int  # backordered
    promised_date: date | None
    handling_days: int
    transit_days: int | None  # None: no lane from the location to the ship-to region
    order_received_at: datetime
    requested_date: date | None  # of the order
    product_id: int = 0
    location_id: int = 0


@dataclass(frozen=True)
class Destination:
    """What a promise to a customer's ship-to needs to know, read at once (None: no such row)."""

    customer_active: bool
    ship_to_code: str | None
    region: str | None
    product_id: int | None


@dataclass(frozen=True)
class LinePromise:
    """A new promised date for one order line; ``at_risk`` raises its flag (it is never lowered here)."""

    line_id: int
    promised_date: date | None
    at_risk: bool


def _receipts(
    at_one_location: bool, product: Any, location: Any, day: Any, qty: Any, lines: Any, *where: Any
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
        .where(_for_products(product, location, at_one_location), *where)
        .group_by(product, location, day)
    )


def _receipts_from_purchase_orders(at_one_location: bool) -> Select[Any]:
    pol, po = purchase_order_lines, purchase_orders
    return _receipts(
        at_one_location,
        pol.c.product_id,
        po.c.location_id,
        pol.c.expected_date,
        pol.c.qty_ordered - pol.c.qty_received,
        pol.join(po, po.c.id == pol.c.purchase_order_id),
        po.c.status == "open",
        pol.c.qty_ordered > pol.c.qty_received,
    )


def _receipts_in_transit(at_one_location: bool) -> Select[Any]:
    tl, t = transfer_lines, transfers
    return _receipts(
        at_one_location,
        tl.c.product_id,
        t.c.to_location_id,
        t.c.expected_date,
        tl.c.quantity - tl.c.qty_received,
        tl.join(t, t.c.id == tl.c.transfer_id),
        t.c.status == "in_transit",
        t.c.expected_date.is_not(None),
        tl.c.quantity > tl.c.qty_received,
    )


def _lane_to(region: Any, service: Any = DEFAULT_SERVICE) -> ColumnElement[bool]:
    """The lane from the sourcing location's region to ``region`` for ``service``."""
    return and_(
        lanes.c.origin_region == locations.c.region,
        lanes.c.destination_region == region,
        lanes.c.service == service,
    )


def _demand(at_one_location: bool) -> Select[Any]:
    """Backordered quantities summed per promised date and ship-to *region* first (the order and its
    ship-to looked up per line), then per lead days (location and lane looked up per group).

    Grouping by region rather than ship-to matters for speed: lead days depend on the region only, and
    there are few regions, so the second step joins a few hundred groups, not one per line.
    """
    keys = (order_lines.c.product_id, order_lines.c.location_id, order_lines.c.promised_date)
    by_region = (
        select(*keys, ship_tos.c.region, func.sum(order_lines.c.qty_backordered).label("qty"))
        .select_from(
            order_lines.join(orders, orders.c.id == order_lines.c.order_id).join(
                ship_tos, ship_tos.c.id == orders.c.ship_to_id
            )
        )
        .where(
            _for_products(order_lines.c.product_id, order_lines.c.location_id, at_one_location),
            order_lines.c.qty_backordered > 0,
            orders.c.status.not_in(FINISHED_ORDER_STATUSES),
            order_lines.c.order_id != bindparam("exclude_order_id"),
        )
        .group_by(*keys, ship_tos.c.region)
        .subquery("by_region")
    )
    lead_parts = (locations.c.processing_days, locations.c.pick_pack_days, lanes.c.transit_days)
    lead = lead_parts[0] + lead_parts[1] + func.coalesce(lead_parts[2], 0)
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
                lanes, _lane_to(by_region.c.region)
            )
        )
        .group_by(product, location, promised, *lead_parts)
    )


def _for_products(product: Any, location: Any, at_one_location: bool) -> ColumnElement[bool]:
    products_given = product.in_(bindparam("product_ids", expanding=True))
    return and_(products_given, location == bindparam("location_id")) if at_one_location else products_given


def _available(at_one_location: bool) -> Select[Any]:
    return select(
        stock.c.product_id,
        stock.c.location_id,
        literal_column(str(_STOCK), Integer),
        cast(null(), Date),
        literal_column("0", Integer),
        stock.c.on_hand - stock.c.allocated,
    ).where(_for_products(stock.c.product_id, stock.c.location_id, at_one_location))


def _plan_query(at_one_location: bool, *, demand: bool = True) -> CompoundSelect[Any]:
    parts = (_receipts_from_purchase_orders, _receipts_in_transit, *([_demand] if demand else []), _available)
    return union_all(*(part(at_one_location) for part in parts))  # the first one's Date decodes "day"


_plan_everywhere = _plan_query(at_one_location=False)
_plan_at = _plan_query(at_one_location=True)
# Re-promising hands out supply alone (claims are its lines, not the stored demand): no demand read.
_supply_everywhere = _plan_query(at_one_location=False, demand=False)
_supply_at = _plan_query(at_one_location=True, demand=False)

_locations = (
    select(
        locations.c.id,
        locations.c.code,
        locations.c.region,
        locations.c.processing_days,
        locations.c.pick_pack_days,
        lanes.c.transit_days,
    )
    .select_from(locations.outerjoin(lanes, _lane_to(bindparam("region"), bindparam("service"))))
    .order_by(locations.c.id)
)
_product_id = select(products.c.id).where(products.c.sku == bindparam("sku"))


def _destination(named_ship_to: bool) -> Select[Any]:
    """The customer, its named (or else first) ship-to, and the SKU's id: one round trip."""
    ship_to = ship_tos.c.customer_id == customers.c.id
    if named_ship_to:
        ship_to = and_(ship_to, ship_tos.c.code == bindparam("ship_to"))
    return (
        select(customers.c.active, ship_tos.c.code, ship_tos.c.region, _product_id.scalar_subquery())
        .select_from(customers.outerjoin(ship_tos, ship_to))
        .where(customers.c.code == bindparam("customer"))
        .order_by(ship_tos.c.id)
        .limit(1)
    )


_destination_named, _destination_first = _destination(True), _destination(False)

_backordered = (
    select(
        order_lines.c.id.label("line_id"),
        order_lines.c.order_id,
        orders.c.number.label("order_number"),
        order_lines.c.line_no,
        products.c.sku,
        order_lines.c.qty_backordered.label("quantity"),
        order_lines.c.promised_date,
        (locations.c.processing_days + locations.c.pick_pack_days).label("handling_days"),
        lanes.c.transit_days,
        orders.c.received_at.label("order_received_at"),
        orders.c.requested_date,
        order_lines.c.product_id,
        order_lines.c.location_id,
    )
    .select_from(
        order_lines.join(orders, orders.c.id == order_lines.c.order_id)
        .join(ship_tos, ship_tos.c.id == orders.c.ship_to_id)
        .join(locations, locations.c.id == order_lines.c.location_id)
        .join(products, products.c.id == order_lines.c.product_id)
        .outerjoin(lanes, _lane_to(ship_tos.c.region))
    )
    .where(order_lines.c.qty_backordered > 0, orders.c.status.not_in(FINISHED_ORDER_STATUSES))
)
_backordered_at = _backordered.where(
    order_lines.c.product_id == bindparam("product_id"),
    order_lines.c.location_id == bindparam("location_id"),
)
_backordered_at_pairs = _backordered.where(
    tuple_(order_lines.c.product_id, order_lines.c.location_id).in_(bindparam("pairs", expanding=True))
)
_CHUNK = 1000  # pairs per statement: PostgreSQL's parser stack and SQLite's parameter limit
# One statement per new promise (thousands of lines often get the same one, or none): the flag is
# raised where the promise slips, never lowered here.
_set_line_promise = UpdateByIds(
    order_lines,
    {
        "promised_date": bindparam("b_date", type_=Date),
        "promise_at_risk": or_(order_lines.c.promise_at_risk, bindparam("b_risk", type_=Boolean)),
    },
)
_open_line_without_promise = exists().where(
    order_lines.c.order_id == orders.c.id,
    order_lines.c.promised_date.is_(None),
    order_lines.c.qty_pending + order_lines.c.qty_allocated + order_lines.c.qty_backordered > 0,
)
_latest_line_promise = select(func.max(order_lines.c.promised_date)).where(
    order_lines.c.order_id == orders.c.id
)
_refresh_order_promises = UpdateByIds(  # thousands of orders after a large receipt: the ids as one parameter
    orders,
    {
        "promised_date": case(
            (_open_line_without_promise, null()), else_=_latest_line_promise.scalar_subquery()
        ),
        "version": orders.c.version + 1,
    },
)


class SupplyPlanRepository:
    """Dated supply and demand of SKUs per location, and the writes of re-promising. No commit."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def destination(self, customer: str, ship_to: str | None, sku: str) -> Destination | None:
        """Customer, ship-to (named, or its first) and product at once; None for an unknown customer."""
        params = {"customer": customer, "ship_to": ship_to, "sku": sku}
        row = self._conn.execute(_destination_named if ship_to else _destination_first, params).first()
        return None if row is None else Destination(bool(row[0]), row[1], row[2], row[3])

    def product_id(self, sku: str) -> int | None:
        found = self._conn.execute(_product_id, {"sku": sku}).scalar_one_or_none()
        return None if found is None else int(found)

    def services(self) -> set[str]:
        """The carrier services there are: those of lanes and of carriers, and the default."""
        query = union(select(lanes.c.service.label("service")), select(carriers.c.service))
        return {DEFAULT_SERVICE, *self._conn.execute(query).scalars()}

    def locations(
        self, destination_region: str | None, service: str = DEFAULT_SERVICE
    ) -> list[SourcingLocation]:
        """Every location, with the transit days of its lane to ``destination_region`` (None: no lane)."""
        rows = self._conn.execute(_locations, {"region": destination_region, "service": service})
        return [SourcingLocation(*row) for row in rows]

    def supply_and_demand(
        self,
        product_ids: Iterable[int],
        *,
        location_id: int | None = None,
        exclude_order_id: int | None = None,
        demand: bool = True,
    ) -> dict[tuple[int, int], SupplyAndDemand]:
        """Supply and demand by ``(product id, location id)``, one statement for all of them.

        ``exclude_order_id`` leaves out the lines of that order (an order being promised already stored);
        ``demand=False`` reads the supply alone (the plans' ``demand`` stays empty).
        """
        params = {"product_ids": sorted(set(product_ids)), "exclude_order_id": exclude_order_id or 0}
        if demand:
            statement = _plan_everywhere if location_id is None else _plan_at
        else:
            statement = _supply_everywhere if location_id is None else _supply_at
        params["location_id"] = location_id
        plans: dict[tuple[int, int], SupplyAndDemand] = {}
        # fetched at once: iterating a result costs a driver call per row
        for product_id, at, kind, day, lead, qty in self._conn.execute(statement, params).all():
            plan = plans.setdefault((int(product_id), int(at)), SupplyAndDemand())
            if kind == _STOCK:
                plan.available += int(qty)
            elif kind == _RECEIPT:
                plan.receipts.append((day, int(qty)))
            else:
                plan.demand.append((day, int(lead), int(qty)))
        return plans

    def backordered_lines(self, product_id: int, location_id: int) -> list[BackorderedLine]:
        """The live backordered lines of one SKU-location (unordered: the caller decides the priority)."""
        rows = self._conn.execute(_backordered_at, {"product_id": product_id, "location_id": location_id})
        return [BackorderedLine(*row) for row in rows.all()]  # columns in the order of its fields

    def backordered_lines_at(
        self, pairs: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], list[BackorderedLine]]:
        """The live backordered lines of these ``(product id, location id)`` pairs, by pair."""
        wanted = sorted(set(pairs))
        if len(wanted) == 1:
            found = self.backordered_lines(*wanted[0])
            return {wanted[0]: found} if found else {}
        lines: dict[tuple[int, int], list[BackorderedLine]] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = {"pairs": wanted[start : start + _CHUNK]}
            for row in self._conn.execute(_backordered_at_pairs, chunk).all():
                line = BackorderedLine(*row)
                lines.setdefault((line.product_id, line.location_id), []).append(line)
        return lines

    def set_line_promises(self, promises: Sequence[LinePromise]) -> None:
        """Write new promised dates (and raised at-risk flags): one statement per distinct promise."""
        alike: dict[tuple[date | None, bool], list[int]] = {}
        for p in promises:
            alike.setdefault((p.promised_date, p.at_risk), []).append(p.line_id)
        for (promised, at_risk), ids in alike.items():
            _set_line_promise.execute(self._conn, ids, {"b_date": promised, "b_risk": at_risk})

    def refresh_order_promises(self, order_ids: Iterable[int]) -> None:
        """Set each order's promised date to its latest line's, or none while a line still to deliver
        has none; bumps the order's version, so a stale copy of it can no longer be saved over this."""
        ids = sorted(set(order_ids))
        if ids:
            _refresh_order_promises.execute(self._conn, ids)
