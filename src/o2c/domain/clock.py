"""Time as a dependency.

Domain and service code never reads the system clock itself: it is handed a :class:`Clock`, so a
simulation can run a year of operations in seconds and a test can pin the instant it checks.
:class:`SystemClock` is the one place in o2c that asks the operating system for the time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: for simulations and tests."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("a clock does not run backwards")
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        instant = ensure_utc(instant)
        if instant < self._now:
            raise ValueError("a clock does not run backwards")
        self._now = instant


def ensure_utc(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; a naive datetime is refused because its zone is a guess."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant.isoformat()} has no timezone; o2c keeps time in UTC")
    return instant.astimezone(UTC)
