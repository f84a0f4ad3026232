"""Proactive re-promising: when a purchase-order line or a transfer of a SKU-location slips or shrinks,
the open backordered lines it was to serve get new delivery dates, flagged at risk, with an event; when
new or earlier supply comes, the lines waiting for it are promised the earlier dates it covers
(:func:`promise_new_supply`).

Supply of a SKU-location is handed out to its backordered lines in the order of their claims: promised
lines by demand date (then order received, line), then unpromised ones. A promised line whose new
delivery date is later gets it and is flagged at risk; a line the horizon no longer covers loses its
date. Each order gets one ``order.repromised`` event listing its re-dated lines with their old and new
dates (``{"lines": [{"line_no", "sku", "quantity", "old_date", "new_date"}, ...]}``), and likewise
``order.lines_promised`` and ``order.promise_brought_forward``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from operator import itemgetter
from typing import NamedTuple

from o2c.domain.atp import cumulative_supply
from o2c.services.aside import aside
from o2c.services.atp import DEFAULT_HORIZON, DailyPlan
from o2c.services.promising import not_before
from o2c.store.events import Event
from o2c.store.json_text import dumps
from o2c.store.supply_demand import SupplyAndDemand
from o2c.store.supply_plan import BackorderedLine, LinePromise, SupplyPlanRepository
from o2c.store.uow import UnitOfWork


def promise_new_supply(uow: UnitOfWork, product_id: int, location_id: int, actor: str) -> list[str]:
    """Re-promise the open backordered lines of one SKU-location after supply was added or brought
    forward (a new purchase order, an earlier shipping notice, a transfer shipped to it).

    As :func:`repromise`, and a promised line that the supply now covers earlier gets the earlier
    date too (``not_before`` its requested date), recorded in an ``order.promise_brought_forward``
    event with the old and new dates; its at-risk flag is left as it was. Returns the orders flagged
    at risk (none, unless supply also went away), sorted.
    """
    return _repromise(uow, [(product_id, location_id)], actor, bring_forward=True)


def repromise(uow: UnitOfWork, product_id: int, location_id: int, actor: str) -> list[str]:
    """Re-promise the open backordered lines of one SKU-location after its supply changed.

    Parameters
    ----------
    uow : UnitOfWork
        The caller's open unit of work (no commit here). Load orders after calling this, not before:
        it bumps the version of every order it re-dates.
    product_id, location_id : int
        The SKU-location whose supply (a purchase-order line, a transfer) changed.
    actor : str
        Who changed it, for the event log.

    Returns
    -------
    list[str]
        The numbers of the orders with a line flagged at risk, sorted.

    Notes
    -----
    Available now plus receipts by day give the running supply ``S(t)``
    (:func:`o2c.domain.atp.cumulative_atp` with no orders) over the horizon
    (:data:`o2c.services.atp.DEFAULT_HORIZON`, or to the latest day a promised line of the SKU-location
    is due, if later). Lines are taken in claim order (promised lines by demand date, then order
    received and line number; unpromised lines last) and the k-th gets the first day with
    ``S(t) >= q_1 + ... + q_k``, plus its lead days. A promised line whose new date is later gets it
    (none when the horizon no longer covers it) and ``promise_at_risk``, and its order an
    ``order.repromised`` event listing such lines with their old and new dates; an earlier date is
    left as it was. An unpromised line that supply now covers is promised (``order.lines_promised``).
    Each re-dated order's promised date becomes its latest line's. A line with no lane keeps its date.
    """
    return _repromise(uow, [(product_id, location_id)], actor, bring_forward=False)


def repromise_many(uow: UnitOfWork, pairs: Iterable[tuple[int, int]], actor: str) -> list[str]:
    """:func:`repromise` for many ``(product id, location id)`` pairs at once: one read of their
    lines, one of their supply, one batch of writes (backorder allocation after a large receipt)."""
    return _repromise(uow, pairs, actor, bring_forward=False)


class Redated(NamedTuple):
    at_risk: list[str]  # the numbers of the orders a later promise flagged
    order_ids: set[int]  # every order given a new promise (its version bumped)


def begin_repromising(
    uow: UnitOfWork,
    waiting: Mapping[tuple[int, int], Sequence[BackorderedLine]],
    actor: str,
    supply: Mapping[tuple[int, int], SupplyAndDemand],
) -> Redating:
    """:func:`repromise_many` of lines and supply the caller has read already, begun: every live
    backordered line of each ``(product id, location id)`` it names, as it stands now, and the supply
    of each (``supply_and_demand(..., demand=False)`` as it stands now; backorder allocation, which
    read both before its plan, hands over the lines it left waiting and the supply less what it
    reserved). Nothing is read: the new dates may be worked out while the caller writes what it must
    (:class:`Redating`), even in a pipeline (:mod:`o2c.store.pipeline`), and are written by
    :meth:`Redating.finish`, which also says which orders it re-dated, whose versions it bumped: the
    caller need not bump them again."""
    return Redating(uow, waiting, actor, beside_writes=True, supply=supply)


def _repromise(
    uow: UnitOfWork, pairs: Iterable[tuple[int, int]], actor: str, *, bring_forward: bool
) -> list[str]:
    waiting = SupplyPlanRepository(uow.connection).backordered_lines_at(pairs)
    return _redate(uow, waiting, actor, bring_forward=bring_forward).at_risk


def _redate(
    uow: UnitOfWork,
    waiting: Mapping[tuple[int, int], Sequence[BackorderedLine]],
    actor: str,
    *,
    bring_forward: bool,
) -> Redated:
    return Redating(uow, waiting, actor, bring_forward=bring_forward).finish()


class Redating:
    """Re-promising under way: its supply read, its decisions made (on PostgreSQL, for thousands of
    lines, on a worker thread while the caller's statements run on the server:
    :mod:`o2c.services.aside`), its writes left to :meth:`finish`."""

    def __init__(
        self,
        uow: UnitOfWork,
        waiting: Mapping[tuple[int, int], Sequence[BackorderedLine]],
        actor: str,
        *,
        bring_forward: bool = False,
        beside_writes: bool = False,
        supply: Mapping[tuple[int, int], SupplyAndDemand] | None = None,
    ) -> None:
        self._uow = uow
        claims = {key: lines for key, lines in waiting.items() if lines}  # each line is a claim on supply
        if not claims:
            self._decision = aside(uow, _Decision, 0)  # nothing to decide
            return
        stored = stored_supply(uow, claims) if supply is None else supply
        decide = partial(_decide, claims, stored, uow.clock.now(), actor, bring_forward)
        lines = sum(len(given) for given in claims.values()) if beside_writes else 0
        self._decision = aside(uow, decide, lines)

    def finish(self) -> Redated:
        """Wait for the decisions, then record their events and write the new promises."""
        decision = self._decision.result()
        for event in decision.events:
            self._uow.events.record(event)
        repo = SupplyPlanRepository(self._uow.connection)
        repo.set_line_promises(decision.changes)
        repo.unpromise_orders(decision.unpromised)
        repo.refresh_order_promises(decision.redated - decision.unpromised)
        return Redated(sorted(decision.at_risk), decision.redated)


def stored_supply(
    uow: UnitOfWork, pairs: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], SupplyAndDemand]:
    """The stored supply of these ``(product id, location id)`` pairs, as re-promising hands it out
    (one statement; at one location only, if they are all at one). The claims on it are the lines
    themselves: the stored demand is not read."""
    pairs = set(pairs)
    places = {loc for _, loc in pairs}
    at = next(iter(places)) if len(places) == 1 else None
    repo = SupplyPlanRepository(uow.connection)
    return repo.supply_and_demand({p for p, _ in pairs}, location_id=at, demand=False)


@dataclass
class _Decision:
    """What re-promising decided, before any of it is written."""

    changes: list[LinePromise] = field(default_factory=list)
    redated: set[int] = field(default_factory=set)  # orders
    # orders with a line (still waiting) left without a date: they have none either
    unpromised: set[int] = field(default_factory=set)
    at_risk: set[str] = field(default_factory=set)  # order numbers
    events: list[Event] = field(default_factory=list)


def _decide(
    claims: Mapping[tuple[int, int], Sequence[BackorderedLine]],
    stored: Mapping[tuple[int, int], SupplyAndDemand],
    now: datetime,
    actor: str,
    bring_forward: bool,
) -> _Decision:
    """New promises for the claims, from the supply stored for them: no I/O."""
    start = now.date()
    decision = _Decision()
    changes, redated, at_risk = decision.changes, decision.redated, decision.at_risk
    unpromised = decision.unpromised
    record = _Recorder(now, actor)
    for key, given in sorted(claims.items()):
        # Each SKU-location's own horizon: a line's new date never depends on the others re-promised
        # with it (the same as re-promising its SKU-location alone).
        plan = DailyPlan.of(stored.get(key), start, _horizon(given, start))
        supply = cumulative_supply(plan.available, plan.receipts)
        needed, horizon = 0, len(supply)
        # where supply covers no line at all, claim order decides nothing: the lines stay as given
        lines = sorted(given, key=lambda ln: _claim(ln, start)) if supply[-1] > 0 else given
        for line in lines:
            needed += line.quantity
            if line.transit_days is None:
                continue
            period = bisect_left(supply, needed)  # supply only grows: the first day covering it
            # plan.day(period) plus the lead, in one step
            new = start + timedelta(days=period + _lead(line)) if period < horizon else None
            change = _new_promise(line, new, bring_forward)
            if change is not None:
                changes.append(change)
                redated.add(line.order_id)
                if change.promised_date is None:
                    unpromised.add(line.order_id)
                if change.at_risk:
                    at_risk.add(line.order_number)
                record(line, _KIND[line.promised_date is None, change.at_risk], change.promised_date)
    decision.events = record.events()
    return decision


_KIND = {  # (had no promise, at risk): the event recorded
    (True, False): "order.lines_promised",
    (False, True): "order.repromised",
    (False, False): "order.promise_brought_forward",
}
PROMISE_EVENTS = tuple(_KIND.values())  # the event types that list re-dated lines


def _new_promise(line: BackorderedLine, new: date | None, bring_forward: bool) -> LinePromise | None:
    """The new promise of a line whose claim supply first covers on ``new`` less its lead, if any."""
    if line.promised_date is None:
        return None if new is None else LinePromise(line.line_id, not_before(new, line.requested_date), False)
    if new is None or new > line.promised_date:
        return LinePromise(line.line_id, new, at_risk=True)
    if bring_forward and (earlier := not_before(new, line.requested_date)) < line.promised_date:
        return LinePromise(line.line_id, earlier, at_risk=False)
    return None


def _lead(line: BackorderedLine) -> int:
    return line.handling_days + (line.transit_days or 0)


def _horizon(lines: Sequence[BackorderedLine], start: date) -> int:
    """Days of supply to look at for these lines of one SKU-location: the default horizon, or to the
    latest day a promised line's units are due if that is later."""
    dates = [d for ln in lines if (d := ln.promised_date) is not None]
    if (max(dates, default=start) - start).days < DEFAULT_HORIZON:
        return DEFAULT_HORIZON  # a line is due no later than its promised date: no due worked out
    due = max(_due(ln) for ln in lines if ln.promised_date is not None)
    return max(DEFAULT_HORIZON, (due - start).days + 1)


def _claim(line: BackorderedLine, start: date) -> tuple[bool, date, datetime, str, int]:
    """Sort key: promised lines by the day their units are due, then unpromised ones; FCFS within
    (claims never tie: order number, line number)."""
    if line.promised_date is None:
        return True, start, line.order_received_at, line.order_number, line.line_no
    return False, _due(line), line.order_received_at, line.order_number, line.line_no


def _due(line: BackorderedLine) -> date:
    """The day a promised line's units are due: its promised date less its lead (``demand_date``)."""
    assert line.promised_date is not None
    return line.promised_date - timedelta(days=_lead(line))


class _Recorder:
    """Collects the re-promised lines of one batch and records one event per order and kind, listing
    its lines: customer service calls about an order, not a line, and a batch of receipts re-promises
    tens of thousands of lines (one event each cost as much as writing the lines)."""

    def __init__(self, now: datetime, actor: str) -> None:
        self._now, self._actor = now, actor
        self._text: dict[date, str] = {}  # the few distinct dates, written out once each
        self._lines: dict[tuple[str, str], list[dict[str, object]]] = {}

    def __call__(self, line: BackorderedLine, kind: str, new: date | None) -> None:
        text = self._text
        old = line.promised_date
        entry = {
            "line_no": line.line_no,
            "sku": line.sku,
            "quantity": line.quantity,
            "old_date": None if old is None else text.get(old) or text.setdefault(old, old.isoformat()),
            "new_date": None if new is None else text.get(new) or text.setdefault(new, new.isoformat()),
        }
        key = (line.order_number, kind)
        lines = self._lines.get(key)
        if lines is None:
            self._lines[key] = [entry]
        else:
            lines.append(entry)

    def events(self) -> list[Event]:
        """One event per order and kind, in the order the first line of each was re-dated; its lines
        by line number."""
        events = []
        for (number, kind), lines in self._lines.items():
            lines.sort(key=_line_no)
            payload = {"lines": lines}  # its text made here, aside with the decisions
            events.append(Event("order", number, kind, self._now, self._actor, payload, dumps(payload)))
        self._lines.clear()
        return events


_line_no = itemgetter("line_no")
