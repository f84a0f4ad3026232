"""The daily loop: a distributor's days, driven through the service layer on a manual clock.

Each simulated day schedules its routine on the agenda — the planner's review at 06:00, customers'
orders through the day, release waves at 10:00 and 14:00, the carriers' pickup at 17:00 and the
dispatcher's hand-over at 17:30 — then runs everything due that day in time order. Actions schedule
their own follow-ups (pick after release, delivery after dispatch, payment after invoicing), so
orders flow across days and weekends as they would.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from sqlalchemy import Engine

from o2c.domain.clock import ManualClock
from o2c.domain.errors import ValidationFailed
from o2c.services.importing import ImportReport
from o2c.sim import entry, outbound, supply
from o2c.sim.agenda import Agenda, instant, is_workday
from o2c.sim.config import SimulationConfig
from o2c.sim.demand import Demand
from o2c.sim.master_data import load_world
from o2c.sim.observe import holds_master_data
from o2c.sim.policy import ReorderPolicy
from o2c.sim.runtime import Run
from o2c.sim.world import build_world

Progress = Callable[[int], None]  # called with the number of the day just simulated (1-based)

PLANNING_HOUR = 6.0
PATIENCE_HOUR = 8.0
DISPATCH_HOUR = 17.5


@dataclass(frozen=True)
class SimulationResult:
    """What a run did: its settings and a count of every kind of thing that happened."""

    seed: int
    config: SimulationConfig
    first_day: date
    last_day: date
    master_data: tuple[ImportReport, ...]
    counts: dict[str, int]
    transactions: int  # service calls made (each one unit of work)


def simulate(
    engine: Engine, config: SimulationConfig, seed: int, progress: Progress | None = None
) -> SimulationResult:
    """Build a world from ``seed``, load it, and run ``config.days`` days of operations on ``engine``.

    The database should hold no master data yet (a fresh, migrated database). Same seed and config,
    same facts: every random draw comes from one ``random.Random(seed)``, in a fixed order.
    """
    if holds_master_data(engine):
        raise ValidationFailed(
            "the database already holds customers or products: simulate into a fresh database",
            field="database",
        )
    rng = random.Random(seed)
    clock = ManualClock(instant(config.start, 0))
    world = build_world(config, rng)
    policy = ReorderPolicy(world)
    # One connection for the whole run: its thousands of transactions run one after another.
    with engine.connect() as connection:
        run = Run(engine, clock, rng, world, policy, Agenda(clock), connection=connection)
        reports = load_world(run.uow, world, policy)
        demand = Demand(run)
        for n in range(config.days):
            day = config.start + timedelta(days=n)
            _plan_day(run, demand, day)
            run.agenda.run_until(instant(day + timedelta(days=1), 0))
            if progress is not None:
                progress(n + 1)
    return SimulationResult(
        seed,
        config,
        config.start,
        config.start + timedelta(days=config.days - 1),
        tuple(reports),
        dict(sorted(run.tally.items())),
        run.transactions,
    )


def _plan_day(run: Run, demand: Demand, day: date) -> None:
    agenda = run.agenda
    if is_workday(day):
        agenda.at(instant(day, PLANNING_HOUR), lambda: supply.review(run, day))
        agenda.at(instant(day, PATIENCE_HOUR), lambda: entry.lose_patience(run))
        for hour in outbound.WAVES:
            agenda.at(instant(day, hour), lambda: outbound.release_wave(run))
    for intent in demand.of_day(day):
        agenda.at(intent.at, partial(entry.receive, run, intent))
    if is_workday(day):
        agenda.at(instant(day, DISPATCH_HOUR), lambda: outbound.dispatch(run, day))
