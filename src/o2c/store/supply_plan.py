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
from typing import Any, Literal, NamedTuple

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Connection,
    Date,
    Integer,
    String,
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
    true,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.sql import Select

from o2c.domain.order import OrderStatus
from o2c.domain.values import quick_init
from o2c.store.batches import UpdateByIds
from o2c.store.supply_tables import lanes, purchase_order_lines, purchase_orders, transfer_lines, transfers
from o2c.store.tables import carriers, locations, order_lines, orders, products, ship_tos, stock

DEFAULT_SERVICE = "ground"  # of an order's lane: orders do not record one, so promises to them use this
FINISHED_ORDER_STATUSES = ("cancelled", "shipped", "delivered", "closed")  # their lines are no demand

_STOCK, _RECEIPT, _DEMAND = 0, 1, 2
Scope = Literal["products", "location", "product"]  # which SKU-locations a plan statement reads


def _constant(value: str) -> ColumnElement[str]:
    """A constant written into the statement's SQL rather than bound: PostgreSQL plans a prepared
    statement once for all its parameters (a generic plan), and with the finished statuses bound it
    guessed that one order in a thousand is live and joined the lines by nested loops, twice as slow."""
    assert "'" not in value
    return literal_column(f"'{value}'", String)


_LIVE_ORDER = orders.c.status.not_in([_constant(s) for s in FINISHED_ORDER_STATUSES])
_NONE = literal_column("0", Integer)


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


@quick_init  # a batch of receipts re-promises tens of thousands of lines
@dataclass(frozen=True)
class LinePromise:
    """A new promised date for one order line; ``at_risk`` raises its flag (it is never lowered here)."""

    line_id: int
    promised_date: date | None
    at_risk: bool


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
        po.c.status == _constant("open"),
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
        t.c.status == _constant("in_transit"),
        t.c.expected_date.is_not(None),
        tl.c.quantity > tl.c.qty_received,
    )


def lane_to(region: Any, service: Any = None) -> ColumnElement[bool]:
    """The lane from the sourcing location's region to ``region`` for ``service`` (an order's: the
    default)."""
    return and_(
        lanes.c.origin_region == locations.c.region,
        lanes.c.destination_region == region,
        lanes.c.service == (_constant(DEFAULT_SERVICE) if service is None else service),
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
        order_lines.c.qty_backordered > _NONE,
        _LIVE_ORDER,
    ]
    if scope != "product":  # a promise is of no stored order
        wanted.append(order_lines.c.order_id != bindparam("exclude_order_id"))
    lead_parts = (locations.c.processing_days, locations.c.pick_pack_days, lanes.c.transit_days)
    lead = lead_parts[0] + lead_parts[1] + func.coalesce(lead_parts[2], _NONE)
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


_plan_everywhere = _plan_query("products")
_plan_at = _plan_query("location")
# Re-promising hands out supply alone (claims are its lines, not the stored demand): no demand read.
_supply_everywhere = _plan_query("products", demand=False)
_supply_at = _plan_query("location", demand=False)
plan_of_product = _plan_query("product")
"""Supply and demand of one SKU (``product_id``) at every location, in the rows of
:meth:`SupplyPlanRepository.supply_and_demand`, excluding no order."""

_locations = (
    select(
        locations.c.id,
        locations.c.code,
        locations.c.region,
        locations.c.processing_days,
        locations.c.pick_pack_days,
        lanes.c.transit_days,
    )
    .select_from(locations.outerjoin(lanes, lane_to(bindparam("region"), bindparam("service"))))
    .order_by(locations.c.id)
)
product_id_of_sku = select(products.c.id).where(products.c.sku == bindparam("sku"))


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
        .outerjoin(lanes, lane_to(ship_tos.c.region))
    )
    .where(order_lines.c.qty_backordered > _NONE, _LIVE_ORDER)
)
_backordered_at = _backordered.where(
    order_lines.c.product_id == bindparam("product_id"),
    order_lines.c.location_id == bindparam("location_id"),
)
_backordered_at_pairs = _backordered.where(
    tuple_(order_lines.c.product_id, order_lines.c.location_id).in_(bindparam("pairs", expanding=True))
)
_held_at_pairs = _backordered_at_pairs.where(orders.c.status == _constant(OrderStatus.CREDIT_HOLD.value))
_leads = (
    select(
        ship_tos.c.id,
        locations.c.id,
        locations.c.processing_days + locations.c.pick_pack_days,
        lanes.c.transit_days,
    )
    .select_from(ship_tos.join(locations, true()).outerjoin(lanes, lane_to(ship_tos.c.region)))
    .where(
        ship_tos.c.id.in_(bindparam("ship_to_ids", expanding=True)),
        locations.c.id.in_(bindparam("location_ids", expanding=True)),
    )
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


class SupplyPlanRepository:
    """Dated supply and demand of SKUs per location, and the writes of re-promising. No commit."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def product_id(self, sku: str) -> int | None:
        found = self._conn.execute(product_id_of_sku, {"sku": sku}).scalar_one_or_none()
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
        # fetched at once: iterating a result costs a driver call per row
        return plans_of(self._conn.execute(statement, params).all())

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
        return self._lines_by_pair(_backordered_at_pairs, wanted)

    def held_lines_at(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], list[BackorderedLine]]:
        """:meth:`backordered_lines_at` of the orders on credit hold alone: they wait for supply, but
        backorder allocation, which reads the other lines itself, passes them over."""
        return self._lines_by_pair(_held_at_pairs, sorted(set(pairs)))

    def _lines_by_pair(
        self, statement: Select[Any], wanted: list[tuple[int, int]]
    ) -> dict[tuple[int, int], list[BackorderedLine]]:
        """The rows of a backordered-lines statement for ``wanted`` pairs (``_CHUNK`` at a time), by pair."""
        lines: dict[tuple[int, int], list[BackorderedLine]] = {}
        for start in range(0, len(wanted), _CHUNK):
            for row in self._conn.execute(statement, {"pairs": wanted[start : start + _CHUNK]}).all():
                line = BackorderedLine(*row)
                lines.setdefault((line.product_id, line.location_id), []).append(line)
        return lines

    def leads(
        self, ship_to_ids: Iterable[int], location_ids: Iterable[int]
    ) -> dict[tuple[int, int], tuple[int, int | None]]:
        """``(handling days, transit days)`` from each location to each ship-to, as
        :class:`BackorderedLine` has them (transit None: no lane), by ``(ship-to id, location id)``."""
        ships, places = sorted(set(ship_to_ids)), sorted(set(location_ids))
        found: dict[tuple[int, int], tuple[int, int | None]] = {}
        for start in range(0, len(ships) if places else 0, _CHUNK):
            params = {"ship_to_ids": ships[start : start + _CHUNK], "location_ids": places}
            for ship_to, at, handling, transit in self._conn.execute(_leads, params):
                found[int(ship_to), int(at)] = (int(handling), transit)
        return found

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
