"""Periods and time arithmetic that give the same answer on SQLite and PostgreSQL.

Convention (every metric follows it):

* Time is **UTC**. A timestamp belongs to the UTC day it falls on, whatever the server's time zone
  (PostgreSQL's ``date_trunc`` on a ``timestamptz`` would use the session zone, so every expression
  here first converts to UTC).
* ``day`` buckets are UTC dates; ``week`` buckets are **ISO weeks starting on Monday**; ``month``
  buckets are calendar months. A bucket is labelled by its first day, ``YYYY-MM-DD`` (a text, the same
  on both databases).
* A window ``[start, end)`` is half open: ``--from 2026-03-01 --to 2026-03-31`` is
  ``[2026-03-01T00:00Z, 2026-04-01T00:00Z)``.
* Durations are whole seconds between the two instants (each instant truncated to its second), so
  they are exact integers on both databases; reports show them in hours.
"""

from __future__ import annotations

import calendar
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import BigInteger, ColumnElement, Date, DateTime, Integer, String, cast, func, literal_column

from o2c.domain.errors import ValidationFailed

# One bucket or one member for everything. A constant, so never put in a GROUP BY (PostgreSQL refuses a
# non-integer constant there): use :func:`grouped`.
ALL: ColumnElement[str] = literal_column("'all'", String)


def grouped(*columns: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    """The columns to GROUP BY: all but the constant :data:`ALL` (bare or labelled)."""
    return [c for c in columns if c is not ALL and getattr(c, "element", None) is not ALL]


class Period(StrEnum):
    """How a metric is bucketed in time."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Window:
    """The half-open interval ``[start, end)`` of instants a metric looks at (``None``: unbounded)."""

    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def of_dates(cls, first: date | None, last: date | None) -> Window:
        """The window from the start of ``first`` to the end of ``last`` (both UTC days, inclusive)."""
        if first is not None and last is not None and last < first:
            raise ValidationFailed(f"--to {last} is before --from {first}", field="to")
        return cls(
            datetime.combine(first, time(), UTC) if first else None,
            datetime.combine(last + timedelta(days=1), time(), UTC) if last else None,
        )

    def contains(self, column: ColumnElement[datetime]) -> list[ColumnElement[bool]]:
        """Conditions putting ``column`` inside the window (none if unbounded)."""
        conditions: list[ColumnElement[bool]] = [column.is_not(None)]
        if self.start is not None:
            conditions.append(column >= self.start)
        if self.end is not None:
            conditions.append(column < self.end)
        return conditions


def bucket(column: ColumnElement[datetime], period: Period | None, dialect: str) -> ColumnElement[str]:
    """The label (``YYYY-MM-DD`` of its first day) of the UTC period ``column`` falls in.

    ``None`` as the period puts everything in one bucket labelled ``"all"``.
    """
    key = bucket_key(column, period, dialect)
    if dialect == "postgresql" and period is not None:
        return func.to_char(key, "YYYY-MM-DD", type_=String)
    return key


def bucket_key(column: ColumnElement[datetime], period: Period | None, dialect: str) -> ColumnElement[Any]:
    """What to group by for :func:`bucket`, cheaper to compute per row: the label on SQLite, the bucket's
    first instant on PostgreSQL (formatting a million timestamps costs more than grouping them).
    :func:`period_label` turns each group's key into its label.
    """
    if period is None:
        return ALL
    if dialect == "postgresql":
        utc = func.timezone("UTC", column)
        return func.date_trunc("day" if period is Period.DAY else str(period), utc, type_=DateTime)
    # SQLite stores naive UTC text, always "YYYY-MM-DD HH:MM:SS.ffffff" (store.types.UTCDateTime), so a
    # day or a month is a prefix of it: cutting text costs far less than parsing it, over millions of
    # rows. 'weekday 0' moves to the coming Sunday (or stays), -6 days is Monday.
    if period is Period.DAY:
        day: ColumnElement[str] = _sqlite_day(column)
        return day
    if period is Period.WEEK:
        return func.date(column, "weekday 0", "-6 days", type_=String)
    month: ColumnElement[str] = func.substr(column, 1, 8, type_=String) + "01"
    return month


_SECONDS_PER_DAY = 86_400
_MONDAY_OFFSET = 3  # 1970-01-01, day 0, was a Thursday: day + 3 counts from the Monday before


def bucket_codes(epochs: NDArray[np.int64], period: Period | None) -> NDArray[np.int64]:
    """The UTC period of each instant (whole epoch seconds) as an integer code, for grouping arrays:
    the day number, the day number of the week's Monday, or the month number; 0 with no period.
    :func:`code_label` names a code as :func:`bucket` names its bucket."""
    if period is None:
        return np.zeros_like(epochs)
    if period is Period.MONTH:
        return epochs.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    days = epochs // _SECONDS_PER_DAY
    if period is Period.WEEK:
        return days - (days + _MONDAY_OFFSET) % 7
    return days


def code_label(code: int, period: Period | None) -> str:
    """The ``YYYY-MM-DD`` label (first day) of a bucket code of :func:`bucket_codes`."""
    if period is None:
        return "all"
    if period is Period.MONTH:
        return f"{np.datetime64(code, 'M')}-01"
    return str(np.datetime64(code, "D"))


def period_label(key: object) -> str:
    """The ``YYYY-MM-DD`` label of a bucket key as the database returns it (text on SQLite, the
    bucket's first instant on PostgreSQL, ``"all"`` for no period)."""
    if isinstance(key, datetime | date):
        return key.strftime("%Y-%m-%d")
    return str(key)


def epoch_seconds(column: ColumnElement[datetime], dialect: str) -> ColumnElement[int]:
    """Whole seconds since 1970-01-01T00:00Z of ``column`` (truncated), as an integer."""
    if dialect == "postgresql":
        # date_part is double precision (extract is numeric, several times slower); exact to the second.
        return cast(func.floor(func.date_part("epoch", column)), BigInteger)
    if _SQLITE_HAS_UNIXEPOCH:
        return func.unixepoch(column, type_=Integer)
    return cast(func.strftime("%s", column), Integer)


# unixepoch() (SQLite 3.38) parses a stamp about twice as fast as strftime('%s'), with the same result.
_SQLITE_HAS_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)


def seconds_between(
    earlier: ColumnElement[datetime], later: ColumnElement[datetime], dialect: str
) -> ColumnElement[int]:
    """Whole seconds from ``earlier`` to ``later`` (each truncated to its second)."""
    return epoch_seconds(later, dialect) - epoch_seconds(earlier, dialect)


def utc_date(column: ColumnElement[datetime], dialect: str) -> ColumnElement[date]:
    """The UTC calendar date of an instant, comparable with a ``Date`` column on either database."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    day: ColumnElement[date] = _sqlite_day(column, Date)
    return day


def _sqlite_day(column: ColumnElement[datetime], type_: Any = String) -> Any:
    """The ``YYYY-MM-DD`` UTC date of a stamp on SQLite: the first ten characters of its text."""
    return func.substr(column, 1, 10, type_=type_)


def epoch_of(instant: datetime) -> int:
    """Whole seconds since the epoch of an aware instant, as :func:`epoch_seconds` counts them."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime refused: o2c metrics are in UTC")
    return int(instant.timestamp() // 1)


def bucket_start(label: str) -> datetime:
    """The first instant of the bucket labelled ``label``."""
    return datetime.combine(date.fromisoformat(label), time(), UTC)


def bucket_end(label: str, period: Period) -> datetime:
    """The first instant after the bucket labelled ``label``."""
    first = date.fromisoformat(label)
    if period is Period.DAY:
        return bucket_start(label) + timedelta(days=1)
    if period is Period.WEEK:
        return bucket_start(label) + timedelta(days=7)
    days = calendar.monthrange(first.year, first.month)[1]
    return bucket_start(label) + timedelta(days=days)


def labels_between(start: datetime, end: datetime, period: Period) -> list[str]:
    """Labels of every bucket that overlaps ``[start, end)``, in order."""
    day = start.astimezone(UTC).date()
    if period is Period.WEEK:
        day -= timedelta(days=day.weekday())
    elif period is Period.MONTH:
        day = day.replace(day=1)
    labels: list[str] = []
    while bucket_start(day.isoformat()) < end:
        labels.append(day.isoformat())
        day = bucket_end(day.isoformat(), period).date()
    return labels
