"""Time-phased available-to-promise of real supply and demand, per SKU and location, by day.

Supply and demand are read per day by :class:`~o2c.store.supply_plan.SupplyPlanRepository` (their exact
definitions live in :mod:`o2c.store.supply_demand`) and fed to the pure functions of :mod:`o2c.domain.atp`.
Period 0 is today (``uow.clock``, UTC); the horizon is :data:`DEFAULT_HORIZON` days unless the caller
says otherwise.

A line's promised date is a *delivery* date; its units must be available
``lead = processing_days + pick_pack_days + transit_days`` (of the location, and of its lane to the
ship-to's region) earlier, so that day is when its backordered quantity counts as demand. A backordered
line without a promise is owed now (period 0). Demand dated past the horizon counts on its last day (it
still needs the units), while supply past the horizon is left out: both err on the side of promising less.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from o2c.domain.atp import (
    InvalidATPInput,
    bucket_by_day,
    cumulative_atp,
    discrete_atp,
    earliest_period,
)
from o2c.domain.errors import NotFound, ValidationFailed
from o2c.store.supply_demand import SourcingLocation, SupplyAndDemand
from o2c.store.supply_plan import SupplyPlanRepository
from o2c.store.uow import UnitOfWork

DEFAULT_HORIZON = 120
"""Days of supply a promise looks at; a quantity they do not cover gets no date."""


@dataclass
class DailyPlan:
    """Daily buckets of one SKU-location; :meth:`add_demand` books a line being promised."""

    start: date
    available: int
    receipts: list[int]
    orders: list[int]
    _cumulative: list[int] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, stored: SupplyAndDemand | None, start: date, days: int) -> DailyPlan:
        """Bucket stored supply and demand from ``start`` over ``days`` days (see the module notes)."""
        stored = stored or SupplyAndDemand()
        receipts = bucket_by_day(start, days, stored.receipts)
        return cls(start, stored.available, receipts, _demand_by_day(stored.demand, start, days))

    def cumulative(self) -> list[int]:
        """Cumulative ATP with look-ahead (:func:`o2c.domain.atp.cumulative_atp`); cached."""
        if self._cumulative is None:
            self._cumulative = cumulative_atp(self.available, self.receipts, self.orders)
        return self._cumulative

    def add_demand(self, day: date, quantity: int) -> None:
        """Count ``quantity`` more as demand on ``day`` (clamped into the horizon, as stored demand is)."""
        self.orders[self.period(day)] += quantity
        self._cumulative = None

    def day(self, period: int) -> date:
        return self.start + timedelta(days=period)

    def period(self, day: date) -> int:
        """The bucket of ``day``: before the start counts as now, past the horizon as its last day."""
        return min(max((day - self.start).days, 0), len(self.orders) - 1)


def demand_date(promised: date | None, lead_days: int, start: date) -> date:
    """The day a backordered line's units are due: its promised delivery less its lead, or now."""
    return start if promised is None else promised - timedelta(days=lead_days)


def _demand_by_day(demand: Iterable[tuple[date | None, int, int]], start: date, days: int) -> list[int]:
    """``bucket_by_day`` of ``(demand_date, quantity)``, a day past the horizon counting on its last,
    computed on day numbers: a promise buckets some hundreds of demand rows, and building a date and
    a timedelta for each cost more than the rest of the bucketing."""
    buckets = [0] * days
    origin, last = start.toordinal(), days - 1
    for promised, lead, quantity in demand:
        if quantity < 0:
            raise InvalidATPInput(f"negative demand {quantity} promised for {promised}", field="demand")
        due = 0 if promised is None else promised.toordinal() - lead - origin
        buckets[0 if due < 0 else min(due, last)] += quantity
    return buckets


def daily_plans(
    repo: SupplyPlanRepository,
    product_ids: Iterable[int],
    start: date,
    days: int,
    *,
    location_id: int | None = None,
    exclude_order_id: int | None = None,
) -> dict[tuple[int, int], DailyPlan]:
    """Plans by ``(product id, location id)`` of every SKU-location with supply or demand: one read."""
    stored = repo.supply_and_demand(product_ids, location_id=location_id, exclude_order_id=exclude_order_id)
    return {key: DailyPlan.of(value, start, days) for key, value in stored.items()}


def ship_and_delivery(available: date, source: SourcingLocation) -> tuple[date, date]:
    """``(ship date, delivery date)`` of goods available at ``source`` on ``available``.

    ``ship = available + processing_days + pick_pack_days``; ``delivery = ship + transit_days``.
    The caller checks first that the location has a lane (``transit_days`` is not None).
    """
    assert source.transit_days is not None
    ship = available + timedelta(days=source.handling_days)
    return ship, ship + timedelta(days=source.transit_days)


def product_id_of(repo: SupplyPlanRepository, sku: str) -> int:
    """The id of a SKU; :class:`NotFound` if there is none."""
    product_id = repo.product_id(sku)
    if product_id is None:
        raise NotFound(f"SKU {sku} does not exist", sku=sku)
    return product_id


# --- promising from one location, or several ---------------------------------------------------


@dataclass(frozen=True)
class SourcePromise:
    """What one location can promise: ``quantity`` (at most the request) and its dates, or why not."""

    location: str
    quantity: int
    available_date: date | None
    ship_date: date | None
    delivery_date: date | None
    transit_days: int | None
    reason: str | None = None  # why this location cannot promise the whole quantity


def source_promise(
    source: SourcingLocation, plan: DailyPlan, quantity: int, reason: str | None
) -> SourcePromise:
    """``quantity`` from ``source`` on the first day its cumulative ATP covers it (none: no dates)."""
    period = earliest_period(plan.cumulative(), quantity) if quantity > 0 else None
    if period is None:
        return SourcePromise(source.code, 0, None, None, None, source.transit_days, reason)
    available = plan.day(period)
    ship, delivery = ship_and_delivery(available, source)
    return SourcePromise(source.code, quantity, available, ship, delivery, source.transit_days, reason)


def split_quantity(
    candidates: Sequence[tuple[SourcingLocation, DailyPlan]], quantity: int
) -> tuple[SourcePromise, ...]:
    """Split ``quantity`` across locations (each with a lane) to deliver it all as early as possible.

    The split's date is the first day ``D`` with ``sum over locations of CATP[D - lead] >= quantity``
    (each location's cumulative ATP on the last day that still delivers by ``D``). Parts are taken
    largest first, so the split has as few as it can; each is dated by its own earliest period.
    ``()`` when the locations together cannot cover ``quantity`` within the horizon.
    """
    running = [(s, p, p.cumulative()) for s, p in candidates]

    def by(delivery: date) -> list[tuple[SourcingLocation, DailyPlan, int]]:
        """What each location can deliver by ``delivery``: its CATP on the last day that makes it."""
        can = []
        for source, plan, catp in running:
            assert source.transit_days is not None
            latest = (delivery - plan.start).days - source.handling_days - source.transit_days
            if latest >= 0 and (q := catp[min(latest, len(catp) - 1)]) > 0:
                can.append((source, plan, q))
        return can

    lead = max((s.handling_days + (s.transit_days or 0) for s, _, _ in running), default=0)
    if not candidates:
        return ()
    start, days = candidates[0][1].start, len(candidates[0][1].orders)

    def together(offset: int) -> int:
        return sum(q for _, _, q in by(start + timedelta(days=offset)))

    # Cumulative ATP never decreases, so neither does what the locations deliver together by a day:
    # the first day that covers the quantity is found by bisection.
    offset = bisect_left(range(days + lead), quantity, key=together)
    if offset == days + lead:
        return ()
    parts, left = [], quantity
    for source, plan, q in sorted(by(start + timedelta(days=offset)), key=lambda c: (-c[2], c[0].code)):
        if left > 0:
            parts.append(source_promise(source, plan, min(q, left), None))
            left -= min(q, left)
    return tuple(parts)


# --- the time-phased table -----------------------------------------------------------------------


@dataclass(frozen=True)
class AtpRow:
    """One day of a location's time-phased table."""

    day: date
    receipts: int
    orders: int
    atp: int  # discrete, with look-ahead
    cumulative: int


@dataclass(frozen=True)
class LocationAtp:
    location: str
    region: str
    available_now: int  # on hand - allocated
    rows: tuple[AtpRow, ...]  # one per day of the horizon


@dataclass(frozen=True)
class AtpTable:
    """The time-phased ATP of one SKU, per location, from ``as_of`` over ``days`` days."""

    sku: str
    as_of: date
    days: int
    locations: tuple[LocationAtp, ...]


def atp(uow: UnitOfWork, sku: str, location: str | None = None, days: int = DEFAULT_HORIZON) -> AtpTable:
    """The time-phased available-to-promise of a SKU, per location, one row per day.

    Parameters
    ----------
    uow : UnitOfWork
        Unit of work; read only (one transaction, nothing written).
    sku : str
        The product.
    location : str, optional
        A location code; by default every location with supply or demand of the SKU.
    days : int
        The horizon in days, today being day 0.

    Returns
    -------
    AtpTable
        Per location and day: receipts, customer-order demand, discrete ATP with look-ahead
        (:func:`o2c.domain.atp.discrete_atp`) and its running sum (:func:`o2c.domain.atp.cumulative_atp`).

    Raises
    ------
    NotFound
        For an unknown SKU or location code.
    ValidationFailed
        For a horizon of less than one day.
    """
    if days < 1:
        raise ValidationFailed(f"the horizon needs at least one day, got {days}", field="days")
    with uow:
        repo = SupplyPlanRepository(uow.connection)
        product_id = product_id_of(repo, sku)
        sources = {s.id: s for s in repo.locations(None)}
        location_id = _location_id(sources.values(), location) if location else None
        start = uow.clock.now().date()
        plans = daily_plans(repo, [product_id], start, days, location_id=location_id)
    if location_id is not None:
        plans.setdefault((product_id, location_id), DailyPlan.of(None, start, days))
    tables = [_location_atp(sources[at], plan) for (_, at), plan in sorted(plans.items())]
    return AtpTable(sku, start, days, tuple(tables))


def _location_atp(source: SourcingLocation, plan: DailyPlan) -> LocationAtp:
    discrete = discrete_atp(plan.available, plan.receipts, plan.orders)
    running = plan.cumulative()
    rows = (
        AtpRow(plan.day(p), plan.receipts[p], plan.orders[p], discrete[p], running[p])
        for p in range(len(discrete))
    )
    return LocationAtp(source.code, source.region, plan.available, tuple(rows))


def _location_id(sources: Iterable[SourcingLocation], code: str) -> int:
    for source in sources:
        if source.code == code:
            return source.id
    raise NotFound(f"location {code} does not exist", location_code=code)
