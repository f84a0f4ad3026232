"""What every part of a running simulation shares: the clock, the one random generator, the world,
the agenda, and the simulator's own notes on each order (never read back from the database)."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, Engine

from o2c.domain.clock import ManualClock
from o2c.services.results import OrderSummary
from o2c.sim.agenda import Agenda
from o2c.sim.config import SimulationConfig
from o2c.sim.policy import ReorderPolicy
from o2c.sim.world import SimCustomer, World
from o2c.store.uow import UnitOfWork

ACTOR_CUSTOMER = "customer"
ACTOR_WAREHOUSE = "warehouse"
ACTOR_FINANCE = "finance"
ACTOR_PLANNER = "planner"
ACTOR_CARRIER = "carrier"
ACTOR_SERVICE = "customer-service"


@dataclass
class OrderTrack:
    """What the simulator remembers of an order it placed."""

    number: str
    customer: SimCustomer
    received_at: datetime
    waiting_since: datetime | None = None  # backordered: waiting for supply
    patient: bool = False  # decided to wait for its backorders, however long
    closed: bool = False  # nothing more will ship (shipped in full, or cancelled)
    skus: tuple[str, ...] = ()


@dataclass
class Run:
    engine: Engine
    clock: ManualClock
    rng: random.Random
    world: World
    policy: ReorderPolicy
    agenda: Agenda
    tally: Counter[str] = field(default_factory=Counter)
    orders: dict[str, OrderTrack] = field(default_factory=dict)
    release_queue: dict[str, None] = field(default_factory=dict)  # ordered set: the next wave
    waiting: dict[str, None] = field(default_factory=dict)  # orders waiting for supply
    payments_due: dict[date, list[tuple[str, float]]] = field(default_factory=dict)  # (invoice, share)
    _customers: dict[str, SimCustomer] = field(default_factory=dict)
    transactions: int = 0  # units of work handed to services
    connection: Connection | None = None  # every unit of work's, one after another (see UnitOfWork)

    @property
    def config(self) -> SimulationConfig:
        return self.world.config

    def customer(self, code: str) -> SimCustomer:
        if not self._customers:
            self._customers = {c.code: c for c in self.world.customers}
        return self._customers[code]

    def uow(self) -> UnitOfWork:
        self.transactions += 1
        return UnitOfWork(self.engine, self.clock, connection=self.connection)

    def now(self) -> datetime:
        return self.clock.now()

    def chance(self, rate: float) -> bool:
        return self.rng.random() < rate

    def poisson(self, mean: float) -> int:
        """Poisson draw from the run's generator (Knuth; normal approximation for large means)."""
        if mean <= 0:
            return 0
        if mean > 200:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit, k, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            k += 1
            product *= self.rng.random()
        return k

    def route(self, track: OrderTrack, summary: OrderSummary) -> None:
        """After entry, a credit release or a shipment: queue for the next wave, or wait for supply."""
        self.release_queue.pop(track.number, None)
        self.waiting.pop(track.number, None)
        if summary.status in ("shipped", "delivered", "closed", "cancelled"):
            track.closed = True
            return
        allocated = any(ln.allocated for ln in summary.lines)
        backordered = any(ln.backordered for ln in summary.lines)
        if allocated and not (summary.backorder_policy == "ship_complete" and backordered):
            self.release_queue[track.number] = None
        elif backordered:
            self.waiting[track.number] = None
            track.waiting_since = track.waiting_since or self.now()
