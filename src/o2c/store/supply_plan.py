"""The repository of supply planning: dated supply and demand per SKU-location, the backordered lines
that wait for supply, and the writes of re-promising.

What belongs here is :class:`SupplyPlanRepository` and the statements only it runs: the sourcing
locations with their lanes, the live backordered lines (and those on credit hold) with the lead days
re-promising needs, the lead days from locations to ship-tos, and the writes of new line and order
promises. The supply and demand statements it runs, and what their rows mean, are in
:mod:`o2c.store.supply_demand`, which the prepared promise reads share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    and_,
    bindparam,
    case,
    func,
    null,
    or_,
    select,
    true,
    tuple_,
    union,
)
from sqlalchemy.sql import Select

from o2c.domain.order import OrderStatus
from o2c.domain.values import quick_init
from o2c.store.batches import UpdateByIds
from o2c.store.master_tables import carriers, locations, products, ship_tos
from o2c.store.supply_demand import (
    DEFAULT_SERVICE,
    LIVE_ORDER,
    ZERO,
    SourcingLocation,
    SupplyAndDemand,
    inline_constant,
    lane_to,
    plan_at,
    plan_everywhere,
    plans_of,
    product_id_of_sku,
    supply_at,
    supply_everywhere,
)
from o2c.store.supply_tables import lanes
from o2c.store.tables import order_lines, orders


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
    .where(order_lines.c.qty_backordered > ZERO, LIVE_ORDER)
)
_backordered_at = _backordered.where(
    order_lines.c.product_id == bindparam("product_id"),
    order_lines.c.location_id == bindparam("location_id"),
)
_backordered_at_pairs = _backordered.where(
    tuple_(order_lines.c.product_id, order_lines.c.location_id).in_(bindparam("pairs", expanding=True))
)
_held_at_pairs = _backordered_at_pairs.where(
    orders.c.status == inline_constant(OrderStatus.CREDIT_HOLD.value)
)
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
# An order's promise, from one pass over its lines: none while a line still to deliver has none (it
# cannot be promised whole), else its latest line's.
_unpromised_open_lines = func.count(
    case(
        (
            and_(
                order_lines.c.promised_date.is_(None),
                order_lines.c.qty_pending + order_lines.c.qty_allocated + order_lines.c.qty_backordered > 0,
            ),
            1,
        )
    )
)
_order_promise = (
    select(case((_unpromised_open_lines > 0, null()), else_=func.max(order_lines.c.promised_date)))
    .where(order_lines.c.order_id == orders.c.id)
    .scalar_subquery()
)
_refresh_order_promises = UpdateByIds(  # thousands of orders after a large receipt: the ids as one parameter
    orders,
    {
        "promised_date": _order_promise,
        "version": orders.c.version + 1,
    },
)
# An order with a line still to deliver that was just left without a promise has none either: its
# other lines need not be read (a receipt handed to others may leave thousands of orders so).
_unpromise_orders = UpdateByIds(orders, {"promised_date": null(), "version": orders.c.version + 1})


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
            statement = plan_everywhere if location_id is None else plan_at
        else:
            statement = supply_everywhere if location_id is None else supply_at
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
            _set_line_promise.send(self._conn, ids, {"b_date": promised, "b_risk": at_risk})

    def refresh_order_promises(self, order_ids: Iterable[int]) -> None:
        """Set each order's promised date to its latest line's, or none while a line still to deliver
        has none; bumps the order's version, so a stale copy of it can no longer be saved over this."""
        _refresh_order_promises.send(self._conn, order_ids)

    def unpromise_orders(self, order_ids: Iterable[int]) -> None:
        """Take the promise of orders that have a line still to deliver just left without one (they
        cannot be promised whole), without reading their lines; bumps their versions."""
        _unpromise_orders.send(self._conn, order_ids)
