"""Backorders: allocate arriving supply to waiting order lines, substitute alternates, and record the
stockout facts (episodes, and what became of every shortfall).

When supply arrives (a receipt, a transfer receipt, a restocked return, stock released by a
cancellation, a stock count), :func:`allocate_arrivals` runs in the caller's unit of work:

1. lock the arrivals' stock rows (id order; the caller usually holds them already) and, only if no
   other transaction holds them (``SKIP LOCKED``: waiting could close a cycle), the rows of the
   products they may stand in for and of their alternates there; then the orders waiting for them
   (id order) — the lock order every use case takes: stock, then orders; and read, for every row
   that may fill a promised line, what step 5 will need (:mod:`o2c.services.backorder_waiting`), so
   that from step 4 on nothing is read and the writes go to the server back to back
   (:mod:`o2c.store.pipeline`);
2. share each stock row's availability among the open backorder lines sourced there (or nowhere) by
   the configured rule (:class:`~o2c.domain.backorders.BackorderRule`, ``O2C_BACKORDER_RULE``);
3. fill what is still backordered, for customers who accept it, from the product's alternates in
   rank order (a new order line for each alternate) — steps 2 and 3 decide without I/O, in
   :mod:`o2c.services.backorder_plan`;
4. write guarded reservations, the order lines, ``order.backorder_allocated`` /
   ``order.backorder_substituted`` events and ``allocated`` / ``substituted`` shortfall outcomes,
   and bring the stockout episodes of the locked rows up to date;
5. where a line that was promised still waits at a row that filled others (the rule need not follow
   the promises: a strategic account may take a receipt promised to someone else), re-promise the
   lines there (:func:`o2c.services.repromising.begin_repromising`, given the lines read for step 2 as
   the plan left them and the supply read in step 1 less the reservations, not read again; the new
   dates are worked out while the writes of step 4 run): a promise no longer covered gets the later
   date, flagged at risk, with an ``order.repromised`` event per order; then bump the versions of
   the filled orders re-promising did not (it bumps those it re-dates).

Nothing is allocated twice: on PostgreSQL the rows are locked before availability is read and every
reservation is a guarded UPDATE; SQLite transactions begin with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from operator import itemgetter

from pydantic_settings import BaseSettings, SettingsConfigDict

from o2c.domain.allocation import StockPosition
from o2c.domain.backorders import BackorderRule
from o2c.domain.errors import IllegalTransition, NotFound, StaleOrder
from o2c.domain.order import BACKORDER_FILLABLE
from o2c.services.aside import aside
from o2c.services.backorder_plan import BackorderPlan, OrderShare, plan_fills
from o2c.services.backorder_report import AllocationReport, apply_share, report_fills
from o2c.services.backorder_waiting import ReadAhead, left_waiting, less_reserved, read_ahead
from o2c.services.repromising import begin_repromising
from o2c.store.backorder_fills import BackorderFills, LineFill
from o2c.store.backorders import AlternateProduct, BackorderRepository, LockedOrder, WaitingLine
from o2c.store.batches import collector_paused
from o2c.store.pipeline import pipelined
from o2c.store.stockouts import ShortfallLog, StockoutLog
from o2c.store.uow import UnitOfWork, retrying


class BackorderSettings(BaseSettings):
    """``O2C_BACKORDER_RULE``: ``priority`` (the default) or ``fair_share``."""

    model_config = SettingsConfigDict(env_prefix="O2C_", env_file=".env", extra="ignore")

    backorder_rule: BackorderRule = BackorderRule.PRIORITY


def configured_rule() -> BackorderRule:
    return BackorderSettings().backorder_rule


@dataclass(frozen=True)
class OpenBackorder:
    order_number: str
    customer: str
    tier: int
    line_no: int
    sku: str
    location: str | None
    quantity: int
    age_days: int
    promised_date: date | None
    status: str


# --- use cases -------------------------------------------------------------------------------------


def allocate_arrivals(
    uow: UnitOfWork, arrivals: Iterable[tuple[int, int]], actor: str, rule: BackorderRule | None = None
) -> list[str]:
    """Allocate open backorders of the ``(product_id, location_id)`` pairs that just received stock.

    Runs inside the caller's open unit of work (no commit here), after the stock has been added.
    Returns the order numbers touched.
    """
    return fill_backorders(uow, arrivals, actor, rule).order_numbers


@retrying()
def allocate_backorders(
    uow: UnitOfWork, sku: str | None = None, rule: BackorderRule | None = None, actor: str = "system"
) -> AllocationReport:
    """Allocate every open backorder (of one SKU) that stock on hand can cover now: one transaction.

    As if the supply of every SKU-location with open backorders had just arrived.
    """
    with uow:
        product_id = _product_id(uow, sku)
        pairs = BackorderRepository(uow.connection).waiting_at(product_id)
        report = fill_backorders(uow, pairs, actor, rule)
        uow.commit()
        return report


def open_backorders(
    uow: UnitOfWork, sku: str | None = None, limit: int | None = None, offset: int = 0
) -> list[OpenBackorder]:
    """Open backorder lines (of one SKU), oldest first, with their age in whole days; ``limit`` of
    them from ``offset`` (default: all)."""
    with uow:
        now = uow.clock.now()
        rows = BackorderRepository(uow.connection).listing(_product_id(uow, sku), limit, offset)
        return [
            OpenBackorder(
                r.order_number,
                r.customer,
                r.tier,
                r.line_no,
                r.sku,
                r.location,
                r.quantity,
                (now - r.received_at).days,
                r.promised_date,
                r.status,
            )
            for r in rows
        ]


def fill_backorders(
    uow: UnitOfWork, arrivals: Iterable[tuple[int, int]], actor: str, rule: BackorderRule | None = None
) -> AllocationReport:
    """:func:`allocate_arrivals`, reporting every fill (in the caller's unit of work)."""
    with collector_paused():
        return _fill_backorders(uow, arrivals, actor, rule)


def _fill_backorders(
    uow: UnitOfWork, arrivals: Iterable[tuple[int, int]], actor: str, rule: BackorderRule | None
) -> AllocationReport:
    rule = rule or configured_rule()
    pairs = {(int(p), int(loc)) for p, loc in arrivals}
    if not pairs:
        return AllocationReport(rule)
    repo = BackorderRepository(uow.connection)
    positions, locked, waiting, alternates = _lock_and_read(repo, pairs)
    ahead = read_ahead(uow, repo, positions, waiting)
    plan = plan_fills(rule, positions, waiting, alternates)
    return _write_plan(uow, rule, positions, locked, waiting, plan, ahead, actor)


def _lock_and_read(
    repo: BackorderRepository, pairs: set[tuple[int, int]]
) -> tuple[list[StockPosition], dict[int, LockedOrder], list[WaitingLine], dict[int, list[AlternateProduct]]]:
    """Step 1: the rows locked, the waiting lines and the alternates read."""
    arrived, places = {p for p, _ in pairs}, {loc for _, loc in pairs}
    demand = arrived | repo.substituted_by(arrived)
    alternates = repo.alternates(demand)
    supply = demand | {a.alternate_id for alts in alternates.values() for a in alts}
    extra = {(p, loc) for p in supply for loc in places} - pairs
    positions = sorted(
        repo.lock_stock(pairs) + repo.lock_stock(extra, skip_locked=True), key=lambda pos: pos.stock_id
    )
    locked = repo.lock_orders(demand, places)
    return positions, locked, repo.open_lines(locked, demand, places), alternates


def _write_plan(
    uow: UnitOfWork,
    rule: BackorderRule,
    positions: list[StockPosition],
    locked: dict[int, LockedOrder],
    waiting: list[WaitingLine],
    plan: BackorderPlan,
    ahead: ReadAhead,
    actor: str,
) -> AllocationReport:
    """Steps 4 and 5."""
    now, conn = uow.clock.now(), uow.connection
    # Only an order that gets a substitute line is read whole (the new line needs it): the others gain
    # reserved units on lines already read, written as guarded updates of the locked orders' lines.
    with_substitute = {plan.lines[i].order_number for i, *_ in plan.substitutions}
    substituted = plan.by_order(with_substitute) if with_substitute else {}
    whole = {o.number: o for o in uow.orders.get_many(sorted(substituted))}
    applied = {n: apply_share(uow, o, plan, substituted[n], rule, actor, now) for n, o in whole.items()}
    uow.orders.save_many(list(whole.values()))  # adds the substitute lines
    written, shortfalls = BackorderFills(conn), ShortfallLog(conn)
    # From here on only writes: each goes to the server as soon as it is built, and its Python (the
    # next one's parameters, the new promises, the events) runs while the ones before run there.
    with pipelined(conn):
        line_fills = _line_fills(plan, waiting, whole)
        filled = written.fill_lines(line_fills)  # first: the longest
        reserving = uow.stock.send_reservations(plan.reservations().items())
        order_ids = {order.number: order_id for order_id, order in locked.items()}
        shares = plan.by_order()
        numbers = sorted(shares, key=order_ids.__getitem__)
        in_place = {n: _fillable(n, locked[order_ids[n]].status) for n in numbers if n not in whole}
        for outcome, rows in _shortfall_facts(numbers, shares, plan).items():
            shortfalls.record_lines(rows, outcome, now)
        # A rule may hand a receipt to a line other than the one it was promised to (priority by tier,
        # or a fair share): whoever still waits with a promise there is re-promised, flagged if it
        # slips, against the supply the reservations leave (the fills change none of it).
        redating = begin_repromising(
            uow, left_waiting(plan, waiting, ahead), actor, less_reserved(ahead, positions, plan)
        )
        # Likewise the report and the events of the orders filled in place. (Work aside starts only
        # here, behind the long statements: a worker holding the GIL slows whatever Python runs beside it.)
        report = partial(report_fills, in_place, plan, shares, ahead.skus, rule, actor, now)
        reporting = aside(uow, report, len(plan.allocations))
        StockoutLog(conn).refresh((pos.stock_id for pos in positions), now)
        reported = reporting.result()
        for event in reported.events:
            uow.events.record(event)
        redated = redating.finish().order_ids
        # Re-promising bumped the versions of the orders it re-dated; the other filled ones get theirs here.
        written.touch_orders(i for i in (order_ids[n] for n in in_place) if i not in redated)
    reserving.check()  # what was written after a failed guard is rolled back with it
    if filled.rowcount != len(line_fills):
        raise StaleOrder("a backordered line changed underneath its allocation; retry")
    fills = [f for n in numbers for f in (applied[n] if n in applied else reported.fills[n])]
    return AllocationReport(rule, tuple(fills))


def _fillable(number: str, status: str) -> str:
    """``status``, if an order in it may have a backorder allocated."""
    if status not in BACKORDER_FILLABLE:
        raise IllegalTransition(
            f"order {number} is {status}: cannot allocate a backorder",
            order_number=number,
            status=status,
            action="allocate a backorder",
        )
    return status


def _line_fills(plan: BackorderPlan, waiting: list[WaitingLine], whole: Container[str]) -> list[LineFill]:
    """The guarded updates of the lines filled in place (flagged where a line moves to the location
    that fills it), by line id: the table's order, in which the server visits each of its pages once
    (in the plan's order, by SKU, the fills of a batch of receipts took some 40 % longer). The plan
    never gives a line more than it still waits for."""
    sourced = {w.line.line_id: w.location_id for w in waiting}
    lines = plan.lines
    return [
        LineFill(i, q, pos.location_id, sourced[i] != pos.location_id)
        for i, pos, q in sorted(plan.allocations, key=_first)
        if lines[i].order_number not in whole
    ]


_first = itemgetter(0)


def _shortfall_facts(
    numbers: Sequence[str], shares: Mapping[str, OrderShare], plan: BackorderPlan
) -> dict[str, list[tuple[int, int, int | None, int]]]:
    """``allocated`` and ``substituted`` facts: (line, product, location, quantity), the product the
    original line's for a substitution."""
    lines = plan.lines
    return {
        "allocated": [
            (i, lines[i].product_id, pos.location_id, q)
            for n in numbers
            for i, pos, q in shares[n].allocations
        ],
        "substituted": [
            (i, lines[i].product_id, pos.location_id, q)
            for n in numbers
            for i, pos, q, _ in shares[n].substitutions
        ],
    }


def _product_id(uow: UnitOfWork, sku: str | None) -> int | None:
    if sku is None:
        return None
    product = uow.master.products_by_sku([sku]).get(sku)
    if product is None:
        raise NotFound(f"SKU {sku} does not exist", sku=sku)
    return product.id
