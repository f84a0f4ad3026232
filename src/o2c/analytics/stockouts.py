"""Stockouts: share of items out of stock (at a date and time-weighted), age and recovery time.

Read from ``stockout_episodes`` (a SKU-location's available stock fell to 0 at ``started_at`` and
rose above 0 again at ``ended_at``; ``None`` while it lasts), which the supply services keep. An
**item** is a SKU-location: a ``stock`` row of an active product.

* ``items_in_stockout`` at ``as_of`` = items with an episode open at ``as_of`` (started at or before,
  not ended by then) ÷ active items.
* ``items_in_stockout`` over a period (time-weighted) = Σ over episodes of the seconds they overlap
  the period ÷ (active items · seconds of the period). An episode still open counts up to ``as_of``.
* ``average_age_of_stockouts`` = mean of ``as_of - started_at`` over the episodes open at ``as_of``.
* ``average_time_to_recover`` = mean of ``ended_at - started_at`` over the episodes that ended in the
  period (placed by ``ended_at``); the median, 90th percentile and deviation come with it.

Breakdowns: by SKU or by location (an episode has no customer). The active items are today's stock
rows: an item added during the window counts for the whole window.
The stockout **value** (ordered value not allocated at entry) is a figure of the orders:
:func:`o2c.analytics.fill.entry_fill`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    FromClause,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)

from o2c.analytics.dimensions import Dimension, require
from o2c.analytics.figures import SECONDS_PER_HOUR, Distribution, Ratio, Slice, ratio, run_distributions
from o2c.analytics.periods import (
    ALL,
    bucket_end,
    bucket_key,
    bucket_start,
    epoch_of,
    epoch_seconds,
    grouped,
    labels_between,
)
from o2c.store.master_tables import locations, products, stock
from o2c.store.supply_tables import stockout_episodes

DIMENSIONS = frozenset({Dimension.SKU, Dimension.LOCATION})
_e = stockout_episodes.c


@dataclass(frozen=True)
class StockoutSnapshot:
    """Items out of stock at one instant, and how long the open episodes have lasted so far."""

    member: str
    items_in_stockout: Ratio
    average_age_of_stockouts: float | None  # hours


@dataclass(frozen=True)
class StockoutPeriod:
    """Time-weighted share of items out of stock in a period, and the recoveries it saw."""

    period: str
    member: str
    items_in_stockout: Ratio  # stockout item-seconds ÷ item-seconds
    time_to_recover: Distribution  # hours; its mean is the average time to recover


def _member(
    dimension: Dimension | None, source: FromClause, product: Any, location: Any
) -> tuple[FromClause, Any]:
    if dimension is Dimension.SKU:
        return source.join(products, products.c.id == product), products.c.sku
    if dimension is Dimension.LOCATION:
        return source.join(locations, locations.c.id == location), locations.c.code
    return source, ALL


_active = select(products.c.id).where(products.c.active.is_(True))
_of_active_item = _e.product_id.in_(_active)


def _active_items(conn: Connection, by: Dimension | None) -> dict[str, int]:
    source, member = _member(by, stock, stock.c.product_id, stock.c.location_id)
    statement = (
        select(member.label("member"), func.count().label("items"))
        .select_from(source)
        .where(stock.c.product_id.in_(_active))
        .group_by(*grouped(member))
    )
    return {r.member: int(r.items) for r in conn.execute(statement)}


def stockout_snapshot(
    conn: Connection, as_of: datetime, by: Dimension | None = None
) -> list[StockoutSnapshot]:
    """Items in stockout at ``as_of`` and the average age of the episodes open then.

    Parameters
    ----------
    conn : Connection
        Any connection; nothing is written.
    as_of : datetime
        The instant (UTC) the snapshot is taken at.
    by : Dimension, optional
        ``sku`` or ``location``.
    """
    require("stockouts", by, DIMENSIONS)
    dialect = conn.dialect.name
    source, member = _member(by, stockout_episodes, _e.product_id, _e.location_id)
    age = epoch_of(as_of) - epoch_seconds(_e.started_at, dialect)
    statement = (
        select(member.label("member"), func.count().label("open"), func.sum(age).label("age"))
        .select_from(source)
        .where(_of_active_item, _e.started_at <= as_of, or_(_e.ended_at.is_(None), _e.ended_at > as_of))
        .group_by(*grouped(member))
    )
    found = {r.member: r for r in conn.execute(statement)}
    items = _active_items(conn, by)
    rows = []
    for name in sorted(set(items) | set(found)):
        hit = found.get(name)
        count = int(hit.open) if hit else 0
        age_hours = round(int(hit.age) / count / SECONDS_PER_HOUR, 6) if hit and count else None
        rows.append(StockoutSnapshot(name, ratio(count, items.get(name, 0)), age_hours))
    return rows


def _buckets(spec: Slice, as_of: datetime, first: datetime | None) -> list[tuple[str, int, int]]:
    """(label, start, end) in epoch seconds of each period, clipped to the window and to ``as_of``."""
    start = spec.window.start or first
    end = min(spec.window.end or as_of, as_of)
    if start is None or start >= end:
        return []
    if spec.period is None:
        return [("all", epoch_of(start), epoch_of(end))]
    return [
        (label, epoch_of(max(start, bucket_start(label))), epoch_of(min(end, bucket_end(label, spec.period))))
        for label in labels_between(start, end, spec.period)
    ]


def _smaller(a: ColumnElement[int], b: ColumnElement[int]) -> ColumnElement[int]:
    return case((a < b, a), else_=b)


def _larger(a: ColumnElement[int], b: ColumnElement[int]) -> ColumnElement[int]:
    return case((a > b, a), else_=b)


def _stockout_seconds(
    conn: Connection, spec: Slice, as_of: datetime, buckets: list[tuple[str, int, int]]
) -> Any:
    dialect = conn.dialect.name
    # The periods as a derived table (UNION ALL of constants: VALUES with column names is not portable).
    periods = union_all(
        *(
            select(
                literal(label, String).label("label"),
                literal(start, BigInteger).label("b_start"),
                literal(end, BigInteger).label("b_end"),
            )
            for label, start, end in buckets
        )
    ).subquery("periods")
    started = epoch_seconds(_e.started_at, dialect)
    now = literal(epoch_of(as_of), BigInteger)
    # An open episode lasts until as_of; so does one that ended after it (it was open then).
    ended = _smaller(func.coalesce(epoch_seconds(_e.ended_at, dialect), now), now)
    overlap = _smaller(ended, periods.c.b_end) - _larger(started, periods.c.b_start)
    source, member = _member(spec.by, stockout_episodes, _e.product_id, _e.location_id)
    statement = (
        select(periods.c.label, member.label("member"), func.sum(overlap).label("seconds"))
        .select_from(source.join(periods, and_(started < periods.c.b_end, ended > periods.c.b_start)))
        .where(_of_active_item)
        .group_by(periods.c.label, *grouped(member))
    )
    return {(r.label, r.member): int(r.seconds) for r in conn.execute(statement)}


def stockout_periods(conn: Connection, spec: Slice, as_of: datetime) -> list[StockoutPeriod]:
    """Time-weighted items in stockout and time to recover, per period and member (SKU, location).

    Parameters
    ----------
    conn : Connection
        Any connection; nothing is written.
    spec : Slice
        Period buckets, breakdown and window; an open-ended window runs from the first episode to
        ``as_of``.
    as_of : datetime
        Now, for the episodes still open (they count up to it) and the end of an open window.
    """
    require("stockouts", spec.by, DIMENSIONS)
    first = conn.execute(select(func.min(_e.started_at))).scalar_one_or_none()
    buckets = _buckets(spec, as_of, first)
    items = _active_items(conn, spec.by)
    out_seconds = _stockout_seconds(conn, spec, as_of, buckets) if buckets else {}
    recoveries = _recoveries(conn, spec)
    rows = []
    for label, start, end in buckets:
        for name in sorted(items):
            denominator = items[name] * (end - start)
            recovered = recoveries.get((label, name), Distribution(0, None, None, None, None))
            rows.append(
                StockoutPeriod(label, name, ratio(out_seconds.get((label, name), 0), denominator), recovered)
            )
    return rows


def _recoveries(conn: Connection, spec: Slice) -> dict[tuple[str, str], Distribution]:
    dialect = conn.dialect.name
    source, member = _member(spec.by, stockout_episodes, _e.product_id, _e.location_id)
    measured = (
        select(
            bucket_key(_e.ended_at, spec.period, dialect).label("period"),
            member.label("member"),
            (epoch_seconds(_e.ended_at, dialect) - epoch_seconds(_e.started_at, dialect)).label("seconds"),
        )
        .select_from(source)
        .where(_of_active_item, *spec.window.contains(_e.ended_at))
    )
    found = run_distributions(conn, measured, ["period", "member"])
    return {(k[0], k[1]): v for k, v in found.items()}
