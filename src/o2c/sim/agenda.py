"""The simulation's agenda: actions due at instants, run in time order as the clock advances.

Ties are broken by the order actions were scheduled in, so a run never depends on anything but its
seed. The clock only moves forward: an action scheduled in the past runs at the current instant.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from o2c.domain.clock import ManualClock

Action = Callable[[], None]


class Agenda:
    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self._heap: list[tuple[datetime, int, Action]] = []
        self._seq = 0

    def at(self, when: datetime, action: Action) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, action))

    def run_until(self, until: datetime) -> None:
        """Run every action due before ``until``, each with the clock set to its instant."""
        while self._heap and self._heap[0][0] < until:
            when, _, action = heapq.heappop(self._heap)
            if when > self.clock.now():
                self.clock.set(when)
            action()
        if until > self.clock.now():
            self.clock.set(until)

    def __len__(self) -> int:
        return len(self._heap)


def is_workday(day: date) -> bool:
    return day.weekday() < 5


def next_workday(day: date) -> date:
    """``day`` itself when it is a weekday, else the Monday after."""
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def instant(day: date, hours: float) -> datetime:
    """``day`` at ``hours`` past midnight UTC, to the second."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC) + timedelta(seconds=round(hours * 3600))
