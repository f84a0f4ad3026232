"""Delivery-date promises from available-to-promise: for a quantity, an order being entered, a quote.

Built on the daily plans of :mod:`o2c.services.atp` (where demand dates are defined).

- **Promise.** ``delivery = available date + processing_days + pick_pack_days + transit_days`` of the
  location's lane to the ship-to's region for the carrier service. A location without such a lane is
  refused, with the reason; a quantity the horizon does not cover gets no date: never a date that
  supply does not cover.
- **Lines of an order or a quote** are promised in line order, each seeing the ones before as demand.

Re-promising when supply slips is :mod:`o2c.services.repromising`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy import Connection

from o2c.domain.atp import earliest_period
from o2c.domain.errors import NotFound, ValidationFailed
from o2c.domain.order import Order, OrderLine, OrderStatus
from o2c.services.atp import (
    DEFAULT_HORIZON,
    DailyPlan,
    SourcePromise,
    daily_plans,
    ship_and_delivery,
    source_promise,
    split_quantity,
)
from o2c.store.database import statement_reads
from o2c.store.promise_reads import Destination, destination_and_sources, supply_and_demand
from o2c.store.supply_demand import DEFAULT_SERVICE, SourcingLocation
from o2c.store.supply_plan import SupplyPlanRepository
from o2c.store.uow import UnitOfWork

Code = Annotated[str, Field(min_length=1, max_length=60)]


# --- a promise for a quantity -----------------------------------------------------------------------


class PromiseRequest(BaseModel):
    """What a customer asks: a SKU, a quantity, where to, by when, and how it travels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Code
    quantity: Annotated[StrictInt, Field(gt=0, le=1_000_000)]
    customer: Code
    ship_to: Code | None = None
    requested_date: date | None = None
    service: Annotated[str, Field(min_length=1, max_length=40)] = DEFAULT_SERVICE
    horizon_days: Annotated[int, Field(ge=1, le=730)] = DEFAULT_HORIZON


@dataclass(frozen=True)
class Promise:
    """The answer to a :class:`PromiseRequest`: a delivery date (or none), where from, and why."""

    sku: str
    quantity: int
    customer: str
    ship_to: str
    region: str
    service: str
    as_of: date
    horizon_days: int
    requested_date: date | None
    delivery_date: date | None  # None: supply within the horizon does not cover the quantity
    sources: tuple[SourcePromise, ...]  # the best single location, or the parts of a split
    options: tuple[SourcePromise, ...]  # every location with supply or demand of the SKU, alone
    shortfall: int  # what the horizon does not cover (0 when promised)

    @property
    def split(self) -> bool:
        return len(self.sources) > 1

    @property
    def meets_requested_date(self) -> bool | None:
        if self.requested_date is None or self.delivery_date is None:
            return None
        return self.delivery_date <= self.requested_date


def promise(uow: UnitOfWork, request: PromiseRequest) -> Promise:
    """Promise a delivery date for a quantity of a SKU to a customer's ship-to.

    Parameters
    ----------
    uow : UnitOfWork
        Its engine and clock: a promise reads outside a write transaction and reserves nothing.
    request : PromiseRequest
        SKU, quantity, customer and ship-to (its region picks the lanes), requested date, service.

    Returns
    -------
    Promise
        Per location, the quantity it can promise and the earliest day ``p`` with cumulative ATP
        ``CATP[p] >= quantity`` (:func:`o2c.domain.atp.earliest_period`), then
        ``ship = p + processing_days + pick_pack_days`` and ``delivery = ship + transit_days``.
        The promise is the earliest delivery of one location covering the whole quantity; when none
        does, the earliest delivery date by which several locations together cover it (a split:
        delivered when its last part is). No date at all when the horizon does not cover it.

    Raises
    ------
    ValidationFailed
        For an unknown or inactive customer, a ship-to it does not have, or a carrier service that
        no lane or carrier offers.
    NotFound
        For an unknown SKU.
    """
    # Supply and demand come in one statement (one snapshot) and the master data around it changes
    # rarely: no write transaction, so on SQLite no queueing behind order entry's write lock.
    with statement_reads(uow.engine) as conn:
        found, locations = destination_and_sources(
            conn, request.customer, request.ship_to, request.sku, request.service
        )
        ship_to, region, product_id = _destination(conn, found, request)
        stored = supply_and_demand(conn, product_id)
    start = uow.clock.now().date()
    sources = {s.id: s for s in locations}
    candidates = [
        (sources[at], DailyPlan.of(stored[at], start, request.horizon_days)) for at in sorted(stored)
    ]
    options, parts = _cover(candidates, request.quantity, request.service, region)
    coverable = sum(o.quantity for o in options) if not parts else request.quantity
    return Promise(
        request.sku,
        request.quantity,
        request.customer,
        ship_to,
        region,
        request.service,
        start,
        request.horizon_days,
        request.requested_date,
        max((p.delivery_date for p in parts if p.delivery_date), default=None),
        parts,
        options,
        max(request.quantity - coverable, 0),
    )


def _cover(
    candidates: Sequence[tuple[SourcingLocation, DailyPlan]], quantity: int, service: str, region: str
) -> tuple[tuple[SourcePromise, ...], tuple[SourcePromise, ...]]:
    """``(options, parts)``: what each location can promise alone, and the promise: the earliest
    single location covering ``quantity``, else a split, else ``()``."""
    options = tuple(_option(s, p, quantity, service, region) for s, p in candidates)
    best = min((o for o in options if o.quantity == quantity), key=_earliest, default=None)
    if best:
        return options, (best,)
    return options, split_quantity([(s, p) for s, p in candidates if s.transit_days is not None], quantity)


def promise_quantities(
    uow: UnitOfWork,
    region: str,
    wanted: Sequence[tuple[int, int]],
    requested: date | None,
    now: datetime,
) -> list[date | None]:
    """Delivery dates for ``(product id, quantity)`` pairs to ``region``, as a quote promises them.

    Each pair is promised as :func:`promise` promises a quantity (one location, else a split), and then
    counted as demand on the days its parts are taken, so a later pair of the same SKU gets what is
    left. Nothing is reserved. Never earlier than ``requested``; None where the horizon does not cover.
    """
    repo = SupplyPlanRepository(uow.connection)
    sources = {s.id: s for s in repo.locations(region)}
    start = now.date()
    plans = daily_plans(repo, {p for p, _ in wanted}, start, DEFAULT_HORIZON)
    promised: list[date | None] = []
    for product_id, quantity in wanted:
        here = {
            sources[at].code: (sources[at], plan)
            for (p, at), plan in sorted(plans.items())
            if p == product_id
        }
        _, parts = _cover(list(here.values()), quantity, DEFAULT_SERVICE, region)
        for part in parts:
            assert part.available_date is not None
            here[part.location][1].add_demand(part.available_date, part.quantity)
        dates = [part.delivery_date for part in parts if part.delivery_date]
        promised.append(not_before(max(dates), requested) if parts and dates else None)
    return promised


def _destination(
    conn: Connection, found: Destination | None, request: PromiseRequest
) -> tuple[str, str, int]:
    """``(ship-to code, region, product id)``; an unknown or inactive customer, a ship-to it does not
    have, an unknown SKU or carrier service is refused."""
    if found is None or not found.customer_active:
        state = "does not exist" if found is None else "is inactive"
        raise ValidationFailed(f"customer {request.customer} {state}", field="customer")
    if found.ship_to_code is None or found.region is None:
        what = f"ship-to {request.ship_to}" if request.ship_to else "a ship-to address"
        raise ValidationFailed(f"customer {request.customer} has no {what}", field="ship_to")
    if found.product_id is None:
        raise NotFound(f"SKU {request.sku} does not exist", sku=request.sku)
    _known_service(SupplyPlanRepository(conn), request.service)
    return found.ship_to_code, found.region, found.product_id


def _known_service(repo: SupplyPlanRepository, service: str) -> None:
    if service == DEFAULT_SERVICE:  # always offered: no read on the way of most promises
        return
    known = repo.services()
    if service not in known:
        raise ValidationFailed(
            f"unknown carrier service {service!r}: use one of {', '.join(sorted(known))}", field="service"
        )


def _earliest(option: SourcePromise) -> tuple[date, str]:
    assert option.delivery_date is not None
    return option.delivery_date, option.location


def _option(
    source: SourcingLocation, plan: DailyPlan, quantity: int, service: str, region: str
) -> SourcePromise:
    if source.transit_days is None:
        refusal = f"no {service} lane from {source.region} to {region}"
        return SourcePromise(source.code, 0, None, None, None, None, refusal)
    can = min(quantity, max(plan.cumulative()[-1], 0))
    reason = None if can == quantity else f"{can} of {quantity} within {len(plan.orders)} days"
    return source_promise(source, plan, can, reason)


# --- promises of an order being entered -----------------------------------------------------------


def promise_order_lines(
    uow: UnitOfWork,
    order: Order,
    ship_to_region: str,
    now: datetime,
    lead_days: Mapping[int, tuple[int, int | None]] | None = None,
) -> date | None:
    """Set the promised delivery date of each line of an order just reserved, and of the order.

    Parameters
    ----------
    uow : UnitOfWork
        The order-entry unit of work (nothing is written here: the caller stores the order).
    order : Order
        The order after :func:`o2c.services.reservation.reserve_stock`; changed in place.
    ship_to_region : str
        Region of the order's ship-to, which picks each location's lane (service ``ground``).
    now : datetime
        The entry time; its date is day 0.
    lead_days : Mapping, optional
        ``{location id: (processing + pick/pack days, transit days or None)}`` to the ship-to's region,
        when the caller has read them with the stock (order entry): an order reserved in full then
        needs no read at all.

    Returns
    -------
    date or None
        The order's promised date: the latest of its lines' (the order is delivered when all of it
        is, for ``ship_complete`` and partial shipments alike); None when a line still to deliver has
        no date. A line allocated in full ships from today; a backordered line from the first day
        its location's cumulative ATP covers the backordered quantity, its lines being promised in
        line order (a later line of the same SKU sees the earlier one as demand); a line with nothing
        reserved waits at the location delivering it first. Never earlier than the requested date.
        A line gets no date when its location has no lane to the region or the horizon does not
        cover it. Only backordered lines read supply: one statement for all of them.
    """
    if order.status is OrderStatus.CREDIT_HOLD:
        return None
    start = now.date()
    backordered = {ln.product_id for ln in order.lines if ln.qty_backordered}
    if not backordered and lead_days is not None:
        return _promise_from_stock(order, lead_days, start)
    repo = SupplyPlanRepository(uow.connection)
    sources = {s.id: s for s in repo.locations(ship_to_region)}
    plans = (
        daily_plans(repo, backordered, start, DEFAULT_HORIZON, exclude_order_id=order.id)
        if backordered
        else {}
    )
    for line in order.lines:
        line.promised_date = _promise_line(line, sources, plans, start, order.requested_date)
    open_lines = [ln for ln in order.lines if ln.qty_open]
    dates = [ln.promised_date for ln in open_lines if ln.promised_date is not None]
    order.promised_date = max(dates) if open_lines and len(dates) == len(open_lines) else None
    return order.promised_date


def _promise_from_stock(
    order: Order, lead_days: Mapping[int, tuple[int, int | None]], start: date
) -> date | None:
    """Every line reserved in full (or cut): delivered ``handling + transit`` days from today."""
    requested, latest, undated = order.requested_date, None, False
    for line in order.lines:
        handling, transit = lead_days.get(line.location_id or 0, (0, None))
        if not line.qty_allocated or transit is None:
            line.promised_date = None
            undated = undated or line.qty_open > 0
            continue
        line.promised_date = not_before(start + timedelta(days=handling + transit), requested)
        latest = line.promised_date if latest is None else max(latest, line.promised_date)
    order.promised_date = None if undated else latest
    return order.promised_date


def _promise_line(
    line: OrderLine,
    sources: dict[int, SourcingLocation],
    plans: dict[tuple[int, int], DailyPlan],
    start: date,
    requested: date | None,
) -> date | None:
    if not line.qty_backordered:
        source = sources.get(line.location_id) if line.location_id is not None else None
        if not line.qty_allocated or source is None or source.transit_days is None:
            return None
        return not_before(ship_and_delivery(start, source)[1], requested)
    if not line.qty_allocated:  # nothing reserved yet: wait where supply reaches the ship-to first
        line.location_id = _best_location(line, sources, plans, start) or line.location_id
    location_id = line.location_id
    if location_id is None:
        return None
    source, key = sources[location_id], (line.product_id, location_id)
    plan = plans.setdefault(key, DailyPlan.of(None, start, DEFAULT_HORIZON))
    period = earliest_period(plan.cumulative(), line.qty_backordered)
    if period is None or source.transit_days is None:
        plan.add_demand(start, line.qty_backordered)  # unpromised: owed now
        return None
    delivery = not_before(ship_and_delivery(plan.day(period), source)[1], requested)
    plan.add_demand(
        delivery - timedelta(days=source.handling_days + source.transit_days), line.qty_backordered
    )
    return delivery


def not_before(delivery: date, requested: date | None) -> date:
    return max(delivery, requested) if requested else delivery


def _best_location(
    line: OrderLine,
    sources: dict[int, SourcingLocation],
    plans: dict[tuple[int, int], DailyPlan],
    start: date,
) -> int | None:
    """For a backordered line with nothing reserved: the location delivering it first, if any (on a
    tie, the one it is sourced at already, then the lowest id)."""
    best: tuple[date, bool, int] | None = None
    for (product_id, at), plan in plans.items():
        source = sources[at]
        if product_id != line.product_id or source.transit_days is None:
            continue
        period = earliest_period(plan.cumulative(), line.qty_backordered)
        if period is not None:
            candidate = (ship_and_delivery(plan.day(period), source)[1], at != line.location_id, at)
            best = candidate if best is None else min(best, candidate)
    return best[2] if best else None
