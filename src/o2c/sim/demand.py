"""Customer demand: who orders what, when, on a given day.

- Orders per weekday ~ Poisson(customers x orders_per_customer_week / (5 + 2 x weekend_share)); on
  weekends only web and marketplace customers order, at ``weekend_share`` of the weekday volume.
- The customer of each order is drawn by its Pareto weight (a few customers place most orders).
- Lines per order: 1 + Poisson(segment mean - 1), distinct SKUs drawn by popularity x season.
- Units per line: typical quantity x the segment's scale x lognormal(mean 1, sigma 0.35 steady /
  1.0 erratic), at least 1.
- Received within business hours (web and marketplace around the clock); the customer sent it
  earlier by a channel-dependent transmittal delay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate

from o2c.sim.agenda import instant, is_workday
from o2c.sim.runtime import Run
from o2c.sim.world import SimCustomer, SimSku, orders_per_weekday

ANYTIME_CHANNELS = ("web", "marketplace")
# Channel -> (min, max) minutes between the customer sending an order and o2c receiving it.
TRANSMITTAL_MINUTES = {
    "edi": (5.0, 90.0),
    "web": (0.1, 2.0),
    "phone": (0.0, 0.5),
    "sales_rep": (120.0, 2880.0),
    "marketplace": (10.0, 120.0),
}


@dataclass(frozen=True)
class OrderIntent:
    at: datetime
    customer: SimCustomer
    lines: tuple[tuple[str, int], ...]
    sent_at: datetime
    requested_date: date | None


class Demand:
    def __init__(self, run: Run) -> None:
        self.run = run
        customers = run.world.customers
        self.weekday = (customers, list(accumulate(c.weight for c in customers)))
        anytime = [c for c in customers if c.channel in ANYTIME_CHANNELS] or customers
        self.weekend = (anytime, list(accumulate(c.weight for c in anytime)))
        self.per_weekday = orders_per_weekday(run.config)
        # Weekend orders come only from anytime customers, whose share of the volume is smaller.
        self.weekend_mean = self.per_weekday * run.config.weekend_share

    def of_day(self, day: date) -> list[OrderIntent]:
        rng = self.run.rng
        workday = is_workday(day)
        pool, cum = self.weekday if workday else self.weekend
        count = self.run.poisson(self.per_weekday if workday else self.weekend_mean)
        skus = self.run.world.skus
        doy = day.timetuple().tm_yday
        sku_cum = list(accumulate(s.popularity * s.season(doy) for s in skus))
        intents = [self._intent(day, c, skus, sku_cum) for c in rng.choices(pool, cum_weights=cum, k=count)]
        return sorted(intents, key=lambda i: (i.at, i.customer.code))

    def _intent(
        self, day: date, customer: SimCustomer, skus: list[SimSku], sku_cum: list[float]
    ) -> OrderIntent:
        rng = self.run.rng
        anytime = customer.channel in ANYTIME_CHANNELS
        at = instant(day, rng.uniform(0, 24) if anytime else rng.uniform(7.5, 18.5))
        count = min(1 + self.run.poisson(customer.segment.lines_per_order - 1), 25, len(skus))
        chosen: dict[str, SimSku] = {}
        while len(chosen) < count:
            sku = rng.choices(skus, cum_weights=sku_cum)[0]
            chosen.setdefault(sku.sku, sku)
        lines = tuple((s.sku, self._quantity(s, customer)) for s in chosen.values())
        low, high = TRANSMITTAL_MINUTES[customer.channel]
        sent_at = at - timedelta(minutes=rng.uniform(low, high))
        requested = None
        if rng.random() < customer.segment.requested_date_share:
            requested = day + timedelta(days=rng.randint(3, 14))
        return OrderIntent(at, customer, lines, sent_at, requested)

    def _quantity(self, sku: SimSku, customer: SimCustomer) -> int:
        sigma = sku.qty_sigma
        draw = self.run.rng.lognormvariate(-sigma * sigma / 2, sigma)
        return max(1, min(100_000, math.floor(sku.qty_mean * customer.segment.quantity_scale * draw + 0.5)))
