"""Bulk facts at benchmark scale: a year of a distributor's orders written set-based, not simulated.

``generate(engine, orders=1_000_000, seed=1)`` fills a fresh, migrated database (SQLite or PostgreSQL)
with master data loaded through the CSV import, then, straight into the tables: orders across segments,
channels and customers with stage timestamps and promised / requested dates; lines with fills at entry,
backorders, lost sales and cancellations; shipments with carriers, freight and weight, and the carriers'
freight bills (some in error, disputed, settled); delivery exceptions (short, damaged, wrong item);
invoices on shipment and payments; stockout episodes and shortfall outcomes; purchase orders and
inspected receipts. No event log is written (the metrics read facts, never events). The same model as
:mod:`o2c.sim` (see :mod:`o2c.sim.bulk_orders`, :mod:`o2c.sim.bulk_flow`, :mod:`o2c.sim.bulk_supply`),
drawn with ``numpy.random.default_rng(seed)``: the same seed gives the same facts.

The schema's invariants hold because the rows are built to satisfy them and the database checks them
as they go in: the line balance, ``0 <= allocated <= on_hand``, deliveries within shipments, payments
within invoices, inspections that add up, stage timestamps in order, money in integer minor units.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import Engine

from o2c.domain.clock import ManualClock
from o2c.domain.errors import ValidationFailed
from o2c.sim.bulk_documents import write_documents
from o2c.sim.bulk_flow import plan_flow
from o2c.sim.bulk_orders import CHANNELS, POLICIES, Customers, Skus, draw_orders
from o2c.sim.bulk_supply import DAY, draw_episodes, draw_purchases
from o2c.sim.bulk_supply_writes import write_stock_and_supply
from o2c.sim.bulk_writer import BulkWriter, bulk_session
from o2c.sim.config import REGIONS, SimulationConfig
from o2c.sim.master_data import load_world
from o2c.sim.observe import holds_master_data
from o2c.sim.policy import ReorderPolicy
from o2c.sim.world import DISCOUNTS, LOCATIONS, TAX_RATES, World, build_world, transit_days
from o2c.store.uow import UnitOfWork

START = date(2025, 1, 6)  # a Monday; a year of facts up to 2026-01-05


@dataclass(frozen=True)
class BulkResult:
    seed: int
    first_day: date
    as_of: datetime  # facts after this instant have not happened yet
    rows: dict[str, int]


def generate(
    engine: Engine, *, orders: int = 1_000_000, seed: int = 1, start: date = START, days: int = 364
) -> BulkResult:
    """Write ``orders`` orders (about five lines each) over ``days`` days from ``start``, into a fresh
    database."""
    if orders < 1 or days < 7:
        raise ValidationFailed("bulk generation needs at least one order and a week", field="orders")
    if holds_master_data(engine):
        raise ValidationFailed(
            "the database already holds customers or products: generate into a fresh database",
            field="database",
        )
    config = SimulationConfig(
        days=days,
        start=start,
        customers=max(50, orders // 100),
        skus=max(50, min(5000, orders // 200)),
    )
    world = build_world(config, random.Random(seed))
    policy = ReorderPolicy(world)
    clock = ManualClock(datetime.combine(start, datetime.min.time(), tzinfo=UTC) - timedelta(days=1))
    load_world(lambda: UnitOfWork(engine, clock), world, policy)
    rng = np.random.default_rng(seed)
    t0 = int(datetime.combine(start, datetime.min.time(), tzinfo=UTC).timestamp())
    as_of = t0 + days * DAY
    customers, skus = _customers(world), _skus(world)
    locations = len(LOCATIONS)
    erratic = np.repeat(np.array([s.erratic for s in world.skus]), locations)
    episodes = draw_episodes(rng, len(world.skus) * locations, erratic, t0, as_of)
    drawn = draw_orders(rng, customers, skus, episodes, locations, orders, t0, days)
    express = np.array([c.service == "express" for c in world.carriers])
    delay = np.array([c.delay_rate for c in world.carriers])
    transit = _order_transit(
        drawn.lines.order, drawn.lines.location, customers.region[drawn.customer], orders
    )
    flow = plan_flow(rng, drawn, customers.policy, transit, len(world.carriers), express, delay, as_of)
    keys = len(world.skus) * locations
    units = (
        np.bincount(
            drawn.lines.sku * locations + drawn.lines.location, weights=drawn.lines.qty, minlength=keys
        )
        / days
    )
    lead, late, short, reject = _supplier_arrays(world)
    purchases = draw_purchases(rng, episodes, keys, lead, late, short, reject, units, t0, as_of)
    with engine.connect() as conn, bulk_session(conn), conn.begin():
        writer = BulkWriter(conn)
        rows = write_documents(
            writer, rng, world, customers, skus, drawn, flow, as_of, config.freight_billing_error_rate
        )
        rows |= write_stock_and_supply(writer, world, policy, episodes, purchases, drawn, flow, as_of)
        writer.build_indexes()
    return BulkResult(seed, start, datetime.fromtimestamp(as_of, UTC), rows)


def _customers(world: World) -> Customers:
    cs = world.customers
    lines = np.array([c.segment.lines_per_order for c in cs])
    weight = np.array([c.weight for c in cs])
    lines = lines * 5.0 / (np.sum(lines * weight) / np.sum(weight))  # about five lines an order
    return Customers(
        weight=weight,
        policy=np.array([POLICIES.index(c.policy) for c in cs]),
        channel=np.array([CHANNELS.index(c.channel) for c in cs]),
        region=np.array([REGIONS.index(c.region) for c in cs]),
        lines_mean=np.maximum(lines, 1.0),
        qty_scale=np.array([c.segment.quantity_scale for c in cs]),
        discount_u=np.array([round(float(DISCOUNTS[c.segment.name]) * 1e6) for c in cs], dtype=np.int64),
        tax_u=np.array([round(float(TAX_RATES[c.region]) * 1e6) for c in cs], dtype=np.int64),
        terms_days=np.array([c.terms_days for c in cs], dtype=np.int64),
        late_days=np.array([c.late_days for c in cs]),
    )


def _skus(world: World) -> Skus:
    ss = world.skus
    return Skus(
        popularity=np.array([s.popularity for s in ss]),
        qty_mean=np.array([s.qty_mean for s in ss]),
        sigma=np.array([s.qty_sigma for s in ss]),
        price_c=np.array([int(s.list_price * 100) for s in ss], dtype=np.int64),
        cost_u=np.array([int(s.cost * 10_000) for s in ss], dtype=np.int64),
        weight_g=np.array([int(s.weight_kg * 1000) for s in ss], dtype=np.int64),
    )


def _order_transit(order: np.ndarray, location: np.ndarray, region: np.ndarray, count: int) -> np.ndarray:
    """Days on the lane of each order: the longest from any of its lines' DCs to its ship-to region."""
    days = np.array(
        [[transit_days(REGIONS[a], REGIONS[b]) for b in range(len(REGIONS))] for a in range(len(REGIONS))]
    )
    out = np.ones(count, dtype=np.int64)
    np.maximum.at(out, order, days[location, region[order]])
    return out


def _supplier_arrays(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    suppliers = world.supplier_by_code
    per_sku = [suppliers[s.supplier] for s in world.skus]
    locations = len(LOCATIONS)
    lead = np.repeat(np.array([p.lead_days for p in per_sku], dtype=np.int64), locations)
    late = np.repeat(np.array([p.late_rate for p in per_sku]), locations)
    short = np.repeat(np.array([p.short_rate for p in per_sku]), locations)
    reject = np.repeat(np.array([p.reject_rate for p in per_sku]), locations)
    return lead, late, short, reject
