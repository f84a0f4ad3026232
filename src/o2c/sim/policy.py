"""Replenishment by a reorder point, reviewed daily: modest safety stock, so stockouts happen and recover.

Per SKU-location, with expected demand ``d`` units/day (coefficient of variation ``cv`` per day),
the supplier's nominal lead time ``L`` and its spread ``sL`` (standard deviation):

- each supplier is ordered from once a week, on its own weekday (a periodic review, R = 7 days),
  so the reorder point covers the protection interval ``P = L + R``:
  ``ROP = d·P + z·√(P·(cv·d)² + d²·sL²)`` (the safety-stock formula of the domain page);
- order quantity ``Q = max(d·review_days, 1)``; an order brings the inventory position
  (on hand - allocated - backordered + on order + in transit) back up to ``ROP + Q``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from o2c.sim.world import LOCATIONS, World

REVIEW_DAYS = 7


@dataclass(frozen=True)
class Target:
    reorder_point: int
    order_quantity: int


class ReorderPolicy:
    def __init__(self, world: World) -> None:
        suppliers = world.supplier_by_code
        z = world.config.safety_factor
        self.targets: dict[tuple[str, str], Target] = {}
        for sku in world.skus:
            supplier = suppliers[sku.supplier]
            lead = supplier.lead_days + REVIEW_DAYS
            lead_sd = supplier.lead_days * supplier.late_rate  # lateness is what spreads a lead time
            cv = 1.5 if sku.erratic else 0.8
            for location, _region in LOCATIONS:
                d = world.daily_demand[(sku.sku, location)]
                safety = z * math.sqrt(lead * (cv * d) ** 2 + (d * lead_sd) ** 2)
                self.targets[(sku.sku, location)] = Target(
                    reorder_point=math.ceil(d * lead + safety),
                    order_quantity=max(math.ceil(d * world.config.review_days), 1),
                )

    def positions(self) -> Iterator[tuple[str, str]]:
        return iter(self.targets)

    def initial_on_hand(self, sku: str, location: str) -> int:
        target = self.targets[(sku, location)]
        return target.reorder_point + target.order_quantity

    def order_quantity(self, sku: str, location: str, position: int) -> int:
        """Units to order now (0: the position is above the reorder point)."""
        target = self.targets[(sku, location)]
        if position > target.reorder_point:
            return 0
        return target.reorder_point + target.order_quantity - position
