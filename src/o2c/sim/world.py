"""The seeded population of a simulated distributor: customers, SKUs, suppliers, carriers, lanes.

Everything is drawn from the one ``random.Random`` of the run, in a fixed order, so a seed always
builds the same world. The world also carries what the simulated planners know (expected demand per
SKU-location, reorder points): knowledge a real planner would have from history.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from o2c.sim.config import REGIONS, SEGMENT_PROFILES, Segment, SimulationConfig

CENT = Decimal("0.01")
LOCATIONS = (("DC-EAST", "east"), ("DC-CENTRAL", "central"), ("DC-WEST", "west"))
TRANSIT_DAYS = {("east", "east"): 1, ("east", "central"): 2, ("east", "west"): 5}
REGION_SHARE = {"east": 0.45, "central": 0.2, "west": 0.35}
TAX_RATES = {"east": "0.06625", "central": "0.0725", "west": "0.0825"}
DISCOUNTS = {"strategic": "0.08", "wholesale": "0.05", "retail": "0"}
_WORDS = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Hooli", "Vandelay", "Soylent")
_KINDS = ("Traders", "Supply", "Industrial", "Retail", "Wholesale", "Works", "Stores", "Partners")
_FAMILIES = ("Widget", "Gadget", "Bracket", "Fitting", "Valve", "Cable", "Sensor", "Panel", "Fastener")


@dataclass(frozen=True)
class SimSupplier:
    code: str
    name: str
    lead_days: int  # the nominal lead time it quotes (and promises on every PO line)
    late_rate: float  # POs that arrive after the promised date
    short_rate: float  # POs shipped short (the rest never comes: the PO is closed)
    reject_rate: float  # POs with units rejected at inspection
    reject_fraction: float  # of a line's units, when rejected


@dataclass(frozen=True)
class SimCarrier:
    code: str
    name: str
    service: str
    delay_rate: float  # shipments that take 1-3 days longer than the lane's transit time
    damage_rate: float  # shipments with damaged units
    base_freight: Decimal  # per shipment
    per_kg: Decimal


@dataclass(frozen=True)
class SimSku:
    sku: str
    name: str
    list_price: Decimal
    cost: Decimal
    weight_kg: Decimal
    popularity: float  # relative line frequency (fast and slow movers)
    qty_mean: float  # typical units per line, before the customer's scale
    erratic: bool  # erratic: lognormal quantity sigma 1.0, else 0.35
    season_amplitude: float
    season_peak_day: int  # day of the year demand peaks
    supplier: str
    alternates: tuple[str, ...] = ()

    @property
    def qty_sigma(self) -> float:
        return 1.0 if self.erratic else 0.35

    def season(self, day_of_year: int) -> float:
        angle = 2 * math.pi * (day_of_year - self.season_peak_day) / 365.0
        return 1.0 + self.season_amplitude * math.cos(angle)


@dataclass(frozen=True)
class SimCustomer:
    code: str
    name: str
    segment: Segment
    channel: str
    policy: str
    region: str
    weight: float  # Pareto share of order volume
    credit_limit: Decimal | None
    terms_days: int
    late_days: float  # mean days past due it pays (negative: early)
    substitutes: bool
    patience_days: float  # how long it waits on a backorder


@dataclass
class World:
    config: SimulationConfig
    customers: list[SimCustomer]
    skus: list[SimSku]
    suppliers: list[SimSupplier]
    carriers: list[SimCarrier]
    # What the planners expect: units per day by (sku, location code)
    daily_demand: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def sku_by_code(self) -> dict[str, SimSku]:
        return {s.sku: s for s in self.skus}

    @property
    def supplier_by_code(self) -> dict[str, SimSupplier]:
        return {s.code: s for s in self.suppliers}


def transit_days(origin: str, destination: str) -> int:
    return TRANSIT_DAYS.get((origin, destination)) or TRANSIT_DAYS.get((destination, origin)) or 3


def build_world(config: SimulationConfig, rng: random.Random) -> World:
    suppliers = [_supplier(i, rng) for i in range(config.suppliers)]
    carriers = [_carrier(i, rng) for i in range(config.carriers)]
    skus = _skus(config, rng, suppliers)
    customers = [_customer(i, config, rng) for i in range(config.customers)]
    world = World(config, customers, skus, suppliers, carriers)
    world.daily_demand = expected_demand(world)
    return world


def _supplier(i: int, rng: random.Random) -> SimSupplier:
    reliable = rng.random() < 0.5
    return SimSupplier(
        code=f"SUP-{i + 1:02d}",
        name=f"{rng.choice(_WORDS)} {rng.choice(('Manufacturing', 'Components', 'Industries'))} {i + 1}",
        lead_days=rng.choice((7, 10, 14, 21, 28, 35)),
        late_rate=rng.uniform(0.03, 0.12) if reliable else rng.uniform(0.2, 0.4),
        short_rate=rng.uniform(0.01, 0.05) if reliable else rng.uniform(0.08, 0.18),
        reject_rate=rng.uniform(0.01, 0.04) if reliable else rng.uniform(0.05, 0.15),
        reject_fraction=rng.uniform(0.02, 0.2),
    )


def _carrier(i: int, rng: random.Random) -> SimCarrier:
    express = i % 4 == 3
    return SimCarrier(
        code=f"CAR-{i + 1:02d}",
        name=f"{rng.choice(_WORDS)} {'Express' if express else 'Freight'} {i + 1}",
        service="express" if express else "ground",
        delay_rate=rng.uniform(0.02, 0.06) if express else rng.uniform(0.05, 0.2),
        damage_rate=rng.uniform(0.003, 0.02),
        base_freight=Decimal(rng.choice((9, 12, 15, 25 if express else 18))).quantize(CENT),
        per_kg=Decimal(str(round(rng.uniform(0.35, 0.9) * (2.2 if express else 1.0), 2))),
    )


def _skus(config: SimulationConfig, rng: random.Random, suppliers: list[SimSupplier]) -> list[SimSku]:
    skus = []
    for i in range(config.skus):
        family = _FAMILIES[i % len(_FAMILIES)]
        price = Decimal(str(round(min(max(rng.lognormvariate(3.2, 0.9), 2.0), 900.0), 2)))
        cost = (price * Decimal(str(round(rng.uniform(0.55, 0.78), 4)))).quantize(Decimal("0.0001"))
        skus.append(
            SimSku(
                sku=f"{family[:3].upper()}-{i + 1:04d}",
                name=f"{family} model {i + 1}",
                list_price=price,
                cost=cost,
                weight_kg=Decimal(str(round(min(rng.lognormvariate(0.3, 1.0), 40.0), 3))),
                popularity=rng.lognormvariate(0.0, 1.2),
                qty_mean=rng.choice((1.0, 2.0, 3.0, 5.0, 8.0, 12.0)),
                erratic=rng.random() < config.erratic_share,
                season_amplitude=rng.uniform(0.2, 0.6) if rng.random() < config.seasonal_share else 0.0,
                season_peak_day=rng.randrange(365),
                supplier=rng.choice(suppliers).code,
            )
        )
    # Every fifth SKU may stand in for the one after it of the same family (ranked alternates).
    by_index = {i: s for i, s in enumerate(skus)}
    for i in range(0, len(skus) - len(_FAMILIES), 5):
        other = by_index[i + len(_FAMILIES)]
        skus[i] = _with_alternates(skus[i], (other.sku,))
    return skus


def _with_alternates(sku: SimSku, alternates: tuple[str, ...]) -> SimSku:
    return SimSku(**{**sku.__dict__, "alternates": alternates})


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _customer(i: int, config: SimulationConfig, rng: random.Random) -> SimCustomer:
    segment = rng.choices(SEGMENT_PROFILES, weights=[s.share for s in SEGMENT_PROFILES])[0]
    weight = rng.paretovariate(config.pareto_alpha) * (3.0 if segment.name == "strategic" else 1.0)
    weekly_spend = 250.0 * segment.lines_per_order * segment.quantity_scale * weight
    limit = (
        None
        if segment.credit_limit is None
        else Decimal(str(round(weekly_spend * 4 * segment.credit_limit * rng.uniform(0.5, 1.5), -2)))
    )
    late = rng.random() < config.late_payer_share
    return SimCustomer(
        code=f"C-{i + 1:05d}",
        name=f"{rng.choice(_WORDS)} {rng.choice(_KINDS)} {i + 1}",
        segment=segment,
        channel=_weighted(rng, segment.channels),
        policy=_weighted(rng, segment.policies),
        region=rng.choices(REGIONS, weights=[REGION_SHARE[r] for r in REGIONS])[0],
        weight=weight,
        credit_limit=max(limit, Decimal(1000)) if limit is not None else None,
        terms_days=rng.choice(segment.terms_days),
        late_days=rng.uniform(5, 40) if late else rng.uniform(-5, 3),
        substitutes=rng.random() < segment.substitution_share,
        patience_days=max(3.0, rng.expovariate(1 / config.backorder_patience_days)),
    )


def orders_per_weekday(config: SimulationConfig) -> float:
    """Mean orders on a weekday, so that a week (5 weekdays + 2 weekend days) has the configured volume."""
    return config.customers * config.orders_per_customer_week / (5 + 2 * config.weekend_share)


def expected_demand(world: World) -> dict[tuple[str, str], float]:
    """Units per day each SKU-location should expect: what the reorder points are sized from."""
    total_weight = sum(c.weight for c in world.customers)
    units_per_line = sum(
        c.weight * c.segment.lines_per_order * c.segment.quantity_scale for c in world.customers
    )
    region_weight = {
        r: sum(c.weight for c in world.customers if c.region == r) / total_weight for r in REGIONS
    }
    per_day = orders_per_weekday(world.config) * (5 + 2 * world.config.weekend_share) / 7
    lines_scale = per_day * units_per_line / total_weight
    popularity = sum(s.popularity for s in world.skus)
    return {
        (s.sku, code): lines_scale * s.popularity / popularity * s.qty_mean * region_weight[region]
        for s in world.skus
        for code, region in LOCATIONS
    }
