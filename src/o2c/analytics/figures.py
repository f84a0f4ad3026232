"""The shapes every metric returns: a ratio with its numerator and denominator, a distribution of
durations, and the slice (period, breakdown, window) a metric is asked for.

Distributions over a few thousand values (lead times, transit times, stockout episodes) are computed in
SQL: each group's count, sum and sum of squares, and its median and 90th percentile —
``percentile_cont`` on PostgreSQL, ``row_number`` ranks on SQLite (where Python then interpolates
between the two ranked values either side, per group — never per order). Distributions over millions
of values (the cycle-time stages of every order) are computed by :func:`distributions` over arrays
read in one pass: an exact percentile needs every value of its group in order, and one NumPy sort
does that in a fraction of the time either database's sort takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Float, Select, and_, case, cast, func, or_, select

from o2c.analytics.dimensions import Dimension
from o2c.analytics.periods import Period, Window, period_label

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Slice:
    """What a metric is asked for: buckets in time, a breakdown, and the window it looks at.

    ``period=None`` gives one bucket (``"all"``) for the whole window; ``by=None`` one member
    (``"all"``).
    """

    period: Period | None = Period.MONTH
    by: Dimension | None = None
    window: Window = field(default_factory=Window)


@dataclass(frozen=True)
class Ratio:
    """A rate as its parts: ``value = numerator / denominator`` (``None`` when nothing was counted)."""

    numerator: int | Decimal
    denominator: int | Decimal

    @property
    def value(self) -> float | None:
        if not self.denominator:
            return None
        return float(Decimal(self.numerator) / Decimal(self.denominator))

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "numerator": self.numerator, "denominator": self.denominator}


def ratio(numerator: Any, denominator: Any) -> Ratio:
    """A ratio from SQL sums (``None`` when no row was summed becomes 0)."""
    return Ratio(numerator or 0, denominator or 0)


@dataclass(frozen=True)
class Distribution:
    """Mean, median, 90th percentile and sample standard deviation of ``count`` durations, in hours.

    Percentiles interpolate linearly between ranked values (``percentile_cont``); the standard deviation
    is the sample one (n - 1), ``None`` for fewer than two values.
    """

    count: int
    mean: float | None
    median: float | None
    p90: float | None
    std_dev: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "mean": self.mean,
            "median": self.median,
            "p90": self.p90,
            "std_dev": self.std_dev,
        }


EMPTY = Distribution(0, None, None, None, None)


def _hours(seconds: float) -> float:
    return round(seconds / SECONDS_PER_HOUR, 6)


def _between(low: Any, high: Any, remainder: int, steps: int) -> float:
    low_value = float(low)
    high_value = float(high) if high is not None else low_value
    return low_value + (high_value - low_value) * remainder / steps


def distribution_of(row: Any) -> Distribution:
    """A :class:`Distribution` from one row of :func:`distribution_query` (seconds in, hours out)."""
    n = int(row.n or 0)
    if n == 0:
        return EMPTY
    total, squares = int(row.total), float(row.squares)
    mean = total / n
    std_dev = None
    if n > 1:
        # Centred sum of squares, from the raw one; clamp the rounding noise of a zero spread.
        variance = max(squares - total * total / n, 0.0) / (n - 1)
        std_dev = _hours(math.sqrt(variance))
    if "median" in row._fields:  # PostgreSQL's percentile_cont did the interpolation
        median, p90 = float(row.median), float(row.p90)
    else:
        median = _between(row.mid_low, row.mid_high, (n - 1) % 2, 2)
        p90 = _between(row.p90_low, row.p90_high, (n - 1) * 9 % 10, 10)
    return Distribution(n, _hours(mean), _hours(median), _hours(p90), std_dev)


def _percentile(
    ordered: NDArray[np.int64], start: NDArray[np.int64], n: NDArray[np.int64], tenths: int
) -> Any:
    """Per group, the ``tenths``/10 percentile of ``ordered[start:start + n]`` with linear interpolation
    between the ranked values either side (as ``percentile_cont``), the rank ``(n - 1)·p`` kept exact."""
    scaled = (n - 1) * tenths
    low = start + scaled // 10
    high = np.minimum(low + 1, start + n - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (scaled % 10) / 10


def distributions(groups: NDArray[np.int64], seconds: NDArray[np.int64]) -> dict[int, Distribution]:
    """The :class:`Distribution` (seconds in, hours out) of the values of each group.

    ``groups[i]`` is the group of the value ``seconds[i]``. The values are sorted once by group then
    value; each group is then a run, whose count, sum, centred sum of squares and ranked values give the
    figures without a loop over the values. Sums are exact integers; the deviation is centred on each
    group's mean before squaring, so large durations lose no precision.
    """
    if groups.size == 0:
        return {}
    ordered, grouped_by = _sorted_by_group(groups, seconds)
    starts = np.flatnonzero(np.r_[True, grouped_by[1:] != grouped_by[:-1]])
    n = np.diff(np.r_[starts, ordered.size])
    totals = np.add.reduceat(ordered, starts)
    means = totals / n
    deviations = ordered - np.repeat(means, n)
    squares = np.add.reduceat(deviations * deviations, starts)
    medians = _percentile(ordered, starts, n, 5)
    p90s = _percentile(ordered, starts, n, 9)
    found: dict[int, Distribution] = {}
    for i, group in enumerate(grouped_by[starts].tolist()):  # one step per group, not per value
        count = int(n[i])
        std_dev = _hours(math.sqrt(float(squares[i]) / (count - 1))) if count > 1 else None
        found[group] = Distribution(
            count, _hours(float(means[i])), _hours(float(medians[i])), _hours(float(p90s[i])), std_dev
        )
    return found


def _sorted_by_group(
    groups: NDArray[np.int64], values: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The values sorted by group then value, and the group of each.

    Group and value are one integer key (``group · span + value - lowest``) sorted in place when the
    key fits in 64 bits: a plain integer sort of a million keys takes a tenth of what ``lexsort`` of
    the two columns takes (a scorecard sorts every order once per stage).
    """
    lowest, highest = int(values.min()), int(values.max())
    span = highest - lowest + 1
    if int(groups.min()) < 0 or (int(groups.max()) + 1) * span >= 2**63:
        order = np.lexsort((values, groups))
        return values[order], groups[order]
    keys = groups * span + (values - lowest)
    keys.sort()
    grouped_by, ordered = np.divmod(keys, span)
    return ordered + lowest, grouped_by


def distribution_query(
    source: Select[Any], keys: list[str], dialect: str, value: str = "seconds"
) -> Select[Any]:
    """Per group of ``keys``: count, sum and sum of squares of ``value``, and what the median and the
    90th percentile need.

    PostgreSQL has ``percentile_cont`` (linear interpolation, as :class:`Distribution` defines).
    SQLite has no ordered-set aggregate: there each value is ranked with ``row_number`` (one sort),
    joined to its group's count, and the two ranked values either side of each percentile (0-based
    ranks ``⌊(n-1)p⌋`` and the next) are kept for :func:`distribution_of` to interpolate between.
    """
    measured = source.cte("measured")
    group = [measured.c[k] for k in keys]
    v = measured.c[value]
    totals = [
        func.count().label("n"),
        func.sum(v).label("total"),
        func.sum(cast(v, Float) * cast(v, Float)).label("squares"),
    ]
    if dialect == "postgresql":
        return select(
            *group,
            *totals,
            func.percentile_cont(0.5).within_group(v).label("median"),
            func.percentile_cont(0.9).within_group(v).label("p90"),
        ).group_by(*group)
    # Each value meets its (small) group's totals, is ranked within the group, and only the ranks
    # either side of each percentile go on to the final grouping.
    stats = select(*group, *totals).group_by(*group).subquery("stats")
    same_group = and_(*(measured.c[k] == stats.c[k] for k in keys))
    ranked = (
        select(
            *[stats.c[k] for k in keys],
            stats.c.n,
            stats.c.total,
            stats.c.squares,
            v.label("v"),
            (func.row_number().over(partition_by=group, order_by=v) - 1).label("rn"),
        )
        # An outer join (every value has its group) keeps the values as the driving side: SQLite would
        # otherwise start from the few groups and build a temporary index over all the values.
        .select_from(measured.outerjoin(stats, same_group))
        .subquery("ranked")
    )
    rn, n = ranked.c.rn, ranked.c.n
    mid = (n - 1) // 2
    p90 = (n - 1) * 9 // 10

    def at(rank: Any) -> Any:
        return func.max(case((rn == rank, ranked.c.v)))

    return (
        select(
            *[ranked.c[k] for k in keys],
            func.max(n).label("n"),
            func.max(ranked.c.total).label("total"),
            func.max(ranked.c.squares).label("squares"),
            at(mid).label("mid_low"),
            at(mid + 1).label("mid_high"),
            at(p90).label("p90_low"),
            at(p90 + 1).label("p90_high"),
        )
        .where(or_(rn == mid, rn == mid + 1, rn == p90, rn == p90 + 1))  # only what the percentiles need
        .group_by(*[ranked.c[k] for k in keys])
    )


def run_distributions(
    conn: Connection, source: Select[Any], keys: list[str]
) -> dict[tuple[Any, ...], Distribution]:
    """Execute :func:`distribution_query` and key each :class:`Distribution` by its group."""
    rows = conn.execute(distribution_query(source, keys, conn.dialect.name)).all()
    return {
        tuple(period_label(getattr(r, k)) if k == "period" else getattr(r, k) for k in keys): distribution_of(
            r
        )
        for r in rows
    }


def as_json(value: Any) -> Any:
    """A metric row (dataclass of ratios, distributions and plain values) as JSON-ready data."""
    if isinstance(value, Ratio | Distribution):
        return value.as_json()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value
