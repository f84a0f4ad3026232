"""No oversell under contention: many clients place and cancel orders on a few scarce, hot SKUs.

Sixteen threads, each with its own unit of work over one shared engine, start together at a barrier
and place multi-line orders whose lines name the hot SKUs in random order (so only the store's fixed
lock order keeps two orders from deadlocking), cancelling some of their own orders as they go. Demand
is several times the stock, so most orders end short. Afterwards the database must agree with itself
and with every answer a client was given.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, func, select

from o2c.domain.clock import ManualClock
from o2c.services.fulfilment import cancel_order
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, get_order, place_order
from o2c.services.results import LineSummary, OrderSummary
from o2c.store.database import create_db_engine
from o2c.store.master_tables import locations, products, stock
from o2c.store.supply_tables import shortfall_outcomes
from o2c.store.tables import events, order_lines, orders
from o2c.store.uow import UnitOfWork
from tests.factories import add_customer, add_location, add_product, add_stock

THREADS = 16
ORDERS_PER_THREAD = 10
HOT_SKUS = ("HOT-A", "HOT-B", "HOT-C", "HOT-D")
ON_HAND = {"DC-EAST": 40, "DC-WEST": 20}  # per SKU: 4 x 60 = 240 units in all
# Each thread places 10 orders of 2-4 lines of 1-6 units: about 16 x 10 x 3 x 3.5 = 1,680 units asked.
CUSTOMERS = {
    "PART-E": ("east", "allow_partial"),
    "COMP-W": ("west", "ship_complete"),
    "CUT-E": ("east", "cancel_remainder"),
    "PART-W": ("west", "allow_partial"),
}


def _settled(line: LineSummary) -> tuple[object, ...]:
    """A line as a cancellation elsewhere cannot change it: backordered units may become allocated."""
    return (line.line_no, line.sku, line.ordered, line.allocated_at_entry, line.allocated + line.backordered)


@dataclass
class Client:
    """What one thread was told: the answer to each order it placed and to each cancellation."""

    placed: dict[str, OrderSummary] = field(default_factory=dict)
    cancelled: dict[str, OrderSummary] = field(default_factory=dict)


@pytest.fixture
def shared_engine(db_url: str) -> Iterator[Engine]:
    """One engine for all threads, with a connection for each."""
    engine = create_db_engine(db_url, pool_size=THREADS + 4, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def hot_stock(shared_engine: Engine) -> dict[str, int]:
    """On hand per SKU over both locations, after creating customers, SKUs and stock."""
    for code, (region, policy) in CUSTOMERS.items():
        add_customer(shared_engine, code, region=region, backorder_policy=policy)
    locations = {code: add_location(shared_engine, code, code[3:].lower()) for code in ON_HAND}
    for sku in HOT_SKUS:
        product = add_product(shared_engine, sku)
        for code, quantity in ON_HAND.items():
            add_stock(shared_engine, product, locations[code], quantity)
    return {sku: sum(ON_HAND.values()) for sku in HOT_SKUS}


def run_client(engine: Engine, clock: ManualClock, seed: int, barrier: threading.Barrier) -> Client:
    rng = random.Random(seed)
    uow = UnitOfWork(engine, clock)
    customer = list(CUSTOMERS)[seed % len(CUSTOMERS)]
    client = Client()
    barrier.wait(timeout=30)
    for _ in range(ORDERS_PER_THREAD):
        skus = rng.sample(HOT_SKUS, rng.randint(2, len(HOT_SKUS)))  # random order of the hot SKUs
        lines = [OrderLineRequest(sku=sku, quantity=rng.randint(1, 6)) for sku in skus]
        summary = place_order(uow, PlaceOrderRequest(customer=customer, lines=lines))
        client.placed[summary.number] = summary
        still_open = sorted(set(client.placed) - set(client.cancelled))
        if rng.random() < 0.3:
            number = rng.choice(still_open)
            client.cancelled[number] = cancel_order(uow, number)
    return client


def test_concurrent_orders_and_cancellations_never_oversell_and_every_answer_is_stored(
    shared_engine: Engine, clock: ManualClock, hot_stock: dict[str, int]
) -> None:
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(run_client, shared_engine, clock, seed, barrier) for seed in range(THREADS)]
    # Deadlocks and serialization failures are retried inside the services: none may surface.
    assert [f.exception() for f in futures if f.exception() is not None] == []
    clients = [f.result() for f in futures]
    placed = {n: s for c in clients for n, s in c.placed.items()}
    cancelled = {n: s for c in clients for n, s in c.cancelled.items()}
    assert len(placed) == THREADS * ORDERS_PER_THREAD

    with shared_engine.connect() as conn:
        rows = conn.execute(
            select(
                products.c.sku,
                locations.c.code,
                stock.c.on_hand,
                stock.c.allocated,
                stock.c.product_id,
                stock.c.location_id,
            )
            .join(products, products.c.id == stock.c.product_id)
            .join(locations, locations.c.id == stock.c.location_id)
            .order_by(stock.c.id)
        ).all()
        held = {
            (product_id, location_id): int(quantity)
            for product_id, location_id, quantity in conn.execute(
                select(
                    order_lines.c.product_id, order_lines.c.location_id, func.sum(order_lines.c.qty_allocated)
                )
                .where(order_lines.c.location_id.is_not(None))
                .group_by(order_lines.c.product_id, order_lines.c.location_id)
            )
        }
        later = conn.execute(  # backordered units that stock freed by a cancellation went to
            select(products.c.sku, orders.c.number, shortfall_outcomes.c.quantity)
            .join(order_lines, order_lines.c.id == shortfall_outcomes.c.order_line_id)
            .join(orders, orders.c.id == order_lines.c.order_id)
            .join(products, products.c.id == order_lines.c.product_id)
            .where(shortfall_outcomes.c.outcome == "allocated")
        ).all()
        stored_numbers = set(conn.execute(select(orders.c.number)).scalars())
        received_events = Counter(
            conn.execute(select(events.c.entity_id).where(events.c.event_type == "order.received")).scalars()
        )

    # 1. The stock invariant, and the stock's allocated figure is exactly what the lines hold.
    assert len(rows) == len(HOT_SKUS) * len(ON_HAND)
    for sku, location, on_hand, allocated, product_id, location_id in rows:
        assert on_hand == ON_HAND[location], (sku, location)  # nothing shipped
        assert 0 <= allocated <= on_hand, (sku, location)
        assert allocated == held.get((product_id, location_id), 0), (sku, location)

    # 2. By the clients' own accounts (plus what cancellations freed for waiting backorders): what the
    # orders still hold never exceeds what was on hand.
    allocated_by_sku = Counter[str]()
    for sku, _, _, allocated, _, _ in rows:
        allocated_by_sku[sku] += allocated
    told_by_sku = Counter[str]()
    for number, summary in placed.items():
        if number not in cancelled:
            for line in summary.lines:
                told_by_sku[line.sku] += line.allocated_at_entry
    for sku, number, quantity in later:
        if number not in cancelled:
            told_by_sku[sku] += quantity
    assert told_by_sku == allocated_by_sku
    assert all(told_by_sku[sku] <= hot_stock[sku] for sku in HOT_SKUS)

    # 3. Every acknowledged order is stored whole, once, as its client was told (backordered units
    # may since have been allocated from stock a cancellation freed); no others.
    assert stored_numbers == set(placed)
    assert set(received_events.values()) == {1}
    uow = UnitOfWork(shared_engine, clock)
    filled = Counter[str]()
    for _, number, quantity in later:
        filled[number] += quantity
    for number, told in placed.items():
        stored = get_order(uow, number)
        expected = cancelled.get(number, told)
        assert (stored.status, [_settled(ln) for ln in stored.lines], stored.total) == (
            expected.status,
            [_settled(ln) for ln in expected.lines],
            expected.total,
        )
        moved = sum(s.allocated - e.allocated for s, e in zip(stored.lines, expected.lines, strict=True))
        assert moved == (0 if number in cancelled else filled[number]), number

    # 4. Cancelled orders hold nothing; what they had reserved went back to the shelf.
    for number, summary in cancelled.items():
        assert summary.status == "cancelled"
        assert all(ln.allocated == ln.backordered == 0 for ln in summary.lines), number
        assert [ln.allocated_at_entry for ln in summary.lines] == [
            ln.allocated_at_entry for ln in placed[number].lines
        ]

    # 5. The run really was contended: stock ran short, and each policy treated the shortfall its way.
    lines = [(s.backorder_policy, ln) for s in placed.values() for ln in s.lines]
    assert any(ln.allocated_at_entry < ln.ordered for _, ln in lines)
    assert any(ln.allocated_at_entry > 0 for _, ln in lines)
    assert all(ln.backordered == 0 for policy, ln in lines if policy == "cancel_remainder")
    assert all(ln.lost == 0 for policy, ln in lines if policy != "cancel_remainder")
    assert cancelled
