"""Supply and demand at random keep the books straight; receipts racing order entry allocate once.

A Hypothesis state machine drives the real services through random receipts, orders, cancellations and
shipments on a fresh SQLite database per example. After every step:

- no unit is promised twice: ``0 <= allocated <= on_hand``, and each stock row's ``allocated`` is exactly
  what the order lines hold there; on hand is what was received less what shipped;
- supply that covers a backorder is allocated to it: no SKU-location has available stock and an open
  backorder at once;
- the shortfall facts add up: per line, what was backordered at entry is recorded as such, and equals
  what supply and substitutes filled, plus what the customer cancelled, plus what still waits;
  substitute lines add up to the substituted quantity of the line they stand in for.

Then threads placing orders race threads receiving goods on the same SKUs (both databases): receipts
written straight to stock and allocated, and receipts through the purchase-order receiving service.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, insert, select, update

from o2c.domain.backorders import BackorderRule
from o2c.domain.clock import ManualClock
from o2c.domain.errors import IllegalTransition
from o2c.services.backorders import AllocationReport, fill_backorders
from o2c.services.fulfilment import (
    ShipRequest,
    cancel_order,
    pack_order,
    pick_order,
    release_order,
    ship_order,
)
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.services.purchasing import PurchaseOrderLineRequest, PurchaseOrderRequest, create_purchase_order
from o2c.services.receiving import ReceiptLineRequest, ReceiveRequest, receive_purchase_order
from o2c.services.results import OrderSummary
from o2c.store.database import create_db_engine
from o2c.store.master_tables import product_alternates, stock
from o2c.store.supply_tables import shortfall_outcomes
from o2c.store.tables import order_lines, orders
from o2c.store.uow import UnitOfWork, retrying
from tests.conftest import START
from tests.factories import add_carrier, add_customer, add_location, add_product, add_stock, add_supplier

SKUS = ("P1", "P2", "ALT1")  # ALT1 may stand in for P1
LOCATIONS = ("E", "W")
CUSTOMERS = {  # code: (region, policy, tier, accepts substitutes)
    "PART-E": ("e", "allow_partial", 1, False),
    "COMP-W": ("w", "ship_complete", 2, False),
    "CUT-E": ("e", "cancel_remainder", 3, False),
    "FLEX-W": ("w", "allow_partial", 3, True),
}
Books = tuple[list[Any], list[Any], dict[tuple[int, str], int]]


def build_world(engine: Engine, on_hand: int) -> dict[tuple[str, str], int]:
    """Customers, locations, SKUs stocked everywhere with ``on_hand``: stock ids by (SKU, location)."""
    for code, (region, policy, tier, flex) in CUSTOMERS.items():
        add_customer(engine, code, region=region, backorder_policy=policy, tier=tier, allow_substitution=flex)
    add_carrier(engine, "UPS")
    places = {code: add_location(engine, code, code.lower()) for code in LOCATIONS}
    products = {sku: add_product(engine, sku) for sku in SKUS}
    with engine.begin() as conn:
        conn.execute(
            insert(product_alternates),
            {"product_id": products["P1"], "alternate_id": products["ALT1"], "rank": 1},
        )
    return {(s, loc): add_stock(engine, products[s], places[loc], on_hand) for s in SKUS for loc in LOCATIONS}


@retrying()
def receive(uow: UnitOfWork, stock_id: int, quantity: int, rule: BackorderRule) -> AllocationReport:
    """A receipt: put the goods away and allocate what waits for them, in one transaction."""
    with uow:
        row = uow.connection.execute(
            update(stock)
            .where(stock.c.id == stock_id)
            .values(on_hand=stock.c.on_hand + quantity)
            .returning(stock.c.product_id, stock.c.location_id)
        ).one()
        report = fill_backorders(uow, [(row.product_id, row.location_id)], "receiving", rule)
        uow.commit()
        return report


def read_books(engine: Engine) -> Books:
    """Stock rows, order lines (with their order number), and shortfall quantities per (line, outcome)."""
    with engine.connect() as conn:
        levels = conn.execute(
            select(stock.c.id, stock.c.product_id, stock.c.location_id, stock.c.on_hand, stock.c.allocated)
        ).all()
        lines = (
            conn.execute(
                select(orders.c.number, orders.c.status, order_lines).select_from(order_lines.join(orders))
            )
            .mappings()
            .all()
        )
        facts: dict[tuple[int, str], int] = defaultdict(int)
        for line_id, outcome, qty in conn.execute(
            select(
                shortfall_outcomes.c.order_line_id,
                shortfall_outcomes.c.outcome,
                shortfall_outcomes.c.quantity,
            )
        ):
            facts[line_id, outcome] += qty
    return list(levels), list(lines), facts


def check_stock(books: Books, received: dict[int, int]) -> None:
    """Every unit allocated at most once; stock and lines agree; no stock left while a backorder waits."""
    levels, lines, _ = books
    held: dict[tuple[int, int], int] = defaultdict(int)
    shipped: dict[tuple[int, int], int] = defaultdict(int)
    for ln in lines:
        held[ln["product_id"], ln["location_id"]] += ln["qty_allocated"]
        shipped[ln["product_id"], ln["location_id"]] += ln["qty_shipped"]
    for stock_id, product_id, location_id, on_hand, allocated in levels:
        assert 0 <= allocated <= on_hand
        assert allocated == held[product_id, location_id]
        assert on_hand == received[stock_id] - shipped[product_id, location_id]
    available = {(p, loc): on_hand - allocated for _, p, loc, on_hand, allocated in levels}
    waiting = [
        ln for ln in lines if ln["qty_backordered"] and ln["status"] not in ("cancelled", "credit_hold")
    ]
    assert [ln["number"] for ln in waiting if available[ln["product_id"], ln["location_id"]] > 0] == []


def check_shortfalls(books: Books) -> None:
    """Backordered at entry = filled by supply + by substitutes + cancelled + still waiting."""
    _, lines, facts = books
    substitutes: dict[tuple[int, int], int] = defaultdict(int)
    for ln in lines:
        if ln["substitute_for_line_no"] is not None:
            assert ln["qty_allocated_at_entry"] == 0
            substitutes[ln["order_id"], ln["substitute_for_line_no"]] += ln["qty_ordered"]
    for ln in (ln for ln in lines if ln["substitute_for_line_no"] is None):
        short_at_entry = ln["qty_ordered"] - ln["qty_allocated_at_entry"] - ln["qty_lost"]
        assert facts[ln["id"], "backordered"] == short_at_entry
        assert facts[ln["id"], "lost"] == ln["qty_lost"]
        settled = sum(facts[ln["id"], outcome] for outcome in ("allocated", "substituted", "cancelled"))
        assert settled + ln["qty_backordered"] == short_at_entry
        assert (
            facts[ln["id"], "substituted"]
            == ln["qty_substituted"]
            == substitutes[ln["order_id"], ln["line_no"]]
        )


class SupplyMachine(RuleBasedStateMachine):
    template: Path  # a migrated SQLite database, copied for each example

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        shutil.copy(self.template, Path(self.tmp.name) / "o2c.db")
        self.engine = create_db_engine(f"sqlite:///{self.tmp.name}/o2c.db")
        self.clock = ManualClock(START)
        self.uow = UnitOfWork(self.engine, self.clock)
        self.stock = build_world(self.engine, on_hand=0)
        self.orders: list[str] = []
        self.received: dict[int, int] = defaultdict(int)

    def teardown(self) -> None:
        self.engine.dispose()
        self.tmp.cleanup()

    @rule(
        customer=st.sampled_from(sorted(CUSTOMERS)),
        lines=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 8)), min_size=1, max_size=3),
    )
    def place(self, customer: str, lines: list[tuple[str, int]]) -> None:
        self.clock.advance(timedelta(minutes=10))
        request = PlaceOrderRequest(
            customer=customer, lines=[OrderLineRequest(sku=s, quantity=q) for s, q in lines]
        )
        self.orders.append(place_order(self.uow, request).number)

    @rule(
        sku=st.sampled_from(SKUS),
        location=st.sampled_from(LOCATIONS),
        quantity=st.integers(1, 10),
        rule_=st.sampled_from(BackorderRule),
    )
    def receive(self, sku: str, location: str, quantity: int, rule_: BackorderRule) -> None:
        self.clock.advance(timedelta(minutes=10))
        receive(self.uow, self.stock[sku, location], quantity, rule_)
        self.received[self.stock[sku, location]] += quantity

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        number = data.draw(st.sampled_from(self.orders), label="order")
        try:
            cancel_order(self.uow, number)  # released stock serves waiting backorders
        except IllegalTransition:
            return

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        number = data.draw(st.sampled_from(self.orders), label="order")
        try:
            release_order(self.uow, number)
        except IllegalTransition:
            return  # nothing reserved, still incomplete, or already on its way
        pick_order(self.uow, number)
        pack_order(self.uow, number)
        ship_order(self.uow, number, ShipRequest(carrier="UPS", tracking_number=number))

    @invariant()
    def books_balance(self) -> None:
        books = read_books(self.engine)
        check_stock(books, self.received)
        check_shortfalls(books)


def test_random_receipts_orders_cancellations_and_shipments_keep_the_books_straight(
    sqlite_template: Path,
) -> None:
    machine = type("Machine", (SupplyMachine,), {"template": sqlite_template})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


# --- concurrency: receipts arriving while orders are placed on the same SKUs ----------------------

PLACING, RECEIVING, STEPS = 10, 6, 10


def place_orders(
    engine: Engine, seed: int, start: threading.Barrier, backlog: threading.Semaphore
) -> list[OrderSummary]:
    rng = random.Random(seed)
    uow = UnitOfWork(engine, ManualClock(START + timedelta(seconds=seed)))
    customer = sorted(CUSTOMERS)[seed % len(CUSTOMERS)]
    start.wait(timeout=30)
    placed = []
    for _ in range(STEPS):
        skus = rng.sample(SKUS[:2], rng.randint(1, 2))  # nobody orders ALT1: it arrives for substitutes
        lines = [OrderLineRequest(sku=sku, quantity=rng.randint(1, 5)) for sku in skus]
        placed.append(place_order(uow, PlaceOrderRequest(customer=customer, lines=lines)))
        backlog.release()
    return placed


def receive_goods(
    engine: Engine, seed: int, stock_ids: list[int], start: threading.Barrier, backlog: threading.Semaphore
) -> list[tuple[int, int, AllocationReport]]:
    rng = random.Random(seed)
    uow = UnitOfWork(engine, ManualClock(START + timedelta(minutes=seed)))
    start.wait(timeout=30)
    done = []
    for _ in range(STEPS):
        assert backlog.acquire(timeout=60)  # one receipt per order placed: receipts spread over entry
        stock_id, quantity = rng.choice(stock_ids), rng.randint(1, 6)
        done.append((stock_id, quantity, receive(uow, stock_id, quantity, rng.choice(list(BackorderRule)))))
    return done


def test_receipts_racing_order_entry_allocate_every_unit_once(db_url: str) -> None:
    engine = create_db_engine(db_url, pool_size=PLACING + RECEIVING + 4, max_overflow=0)
    try:
        stock_ids = sorted(build_world(engine, on_hand=2).values())
        start, backlog = threading.Barrier(PLACING + RECEIVING), threading.Semaphore(0)
        with ThreadPoolExecutor(max_workers=PLACING + RECEIVING) as pool:
            placing = [pool.submit(place_orders, engine, seed, start, backlog) for seed in range(PLACING)]
            receiving = [
                pool.submit(receive_goods, engine, 100 + seed, stock_ids, start, backlog)
                for seed in range(RECEIVING)
            ]
        # Deadlocks between the two kinds of transaction are retried inside them: none may surface.
        assert [f.exception() for f in placing + receiving if f.exception() is not None] == []
        placed = {s.number for f in placing for s in f.result()}
        receipts = [r for f in receiving for r in f.result()]
        books = read_books(engine)
    finally:
        engine.dispose()

    received = dict.fromkeys(stock_ids, 2)
    told: dict[tuple[str, int, str], int] = defaultdict(int)  # (order, line, outcome): what receivers heard
    for stock_id, quantity, report in receipts:
        received[stock_id] += quantity
        for fill in report.fills:
            told[fill.order_number, fill.line_no, fill.outcome] += fill.quantity
    check_stock(books, received)
    check_shortfalls(books)
    _, lines, facts = books
    assert {ln["number"] for ln in lines} == placed
    # Each original line holds what entry gave it plus what receivers were told they allocated to it; the
    # shortfall log says the same; and the run was contended enough to both allocate and substitute.
    for ln in (ln for ln in lines if ln["substitute_for_line_no"] is None):
        key = (ln["number"], ln["line_no"])
        assert ln["qty_allocated"] == ln["qty_allocated_at_entry"] + told[(*key, "allocated")], key
        assert facts[ln["id"], "allocated"] == told[(*key, "allocated")], key
        assert ln["qty_substituted"] == told[(*key, "substituted")], key
    assert {outcome for _, _, outcome in told} == {"allocated", "substituted"}


def receive_purchase_orders(
    engine: Engine, seed: int, pos: dict[int, str], start: threading.Barrier, backlog: threading.Semaphore
) -> list[tuple[int, int, tuple[str, ...]]]:
    """As :func:`receive_goods`, through the receiving service: ``pos`` is the open PO of each stock row."""
    rng = random.Random(seed)
    uow = UnitOfWork(engine, ManualClock(START + timedelta(minutes=seed)))
    start.wait(timeout=30)
    done = []
    for _ in range(STEPS):
        assert backlog.acquire(timeout=60)
        stock_id, quantity = rng.choice(sorted(pos)), rng.randint(1, 6)
        line = ReceiptLineRequest(line_no=1, received=quantity)
        receipt = receive_purchase_order(uow, pos[stock_id], ReceiveRequest(lines=[line]))
        done.append((stock_id, quantity, receipt.allocated_orders))
    return done


def test_purchase_order_receipts_racing_order_entry_allocate_every_unit_once(db_url: str) -> None:
    engine = create_db_engine(db_url, pool_size=PLACING + RECEIVING + 4, max_overflow=0)
    try:
        stock_ids = build_world(engine, on_hand=2)
        add_supplier(engine, "SUP1")
        uow = UnitOfWork(engine, ManualClock(START))
        pos = {  # one open PO of 1,000 per stock row of the ordered SKUs: receipts never run out
            stock_ids[sku, loc]: create_purchase_order(
                uow,
                PurchaseOrderRequest(
                    supplier="SUP1",
                    location=loc,
                    lines=[
                        PurchaseOrderLineRequest(
                            sku=sku, quantity=1000, unit_cost=Decimal("1"), promised_date=START.date()
                        )
                    ],
                ),
            ).number
            for sku, loc in sorted(stock_ids)
            if sku != "ALT1"
        }
        start, backlog = threading.Barrier(PLACING + RECEIVING), threading.Semaphore(0)
        with ThreadPoolExecutor(max_workers=PLACING + RECEIVING) as pool:
            placing = [pool.submit(place_orders, engine, seed, start, backlog) for seed in range(PLACING)]
            receiving = [
                pool.submit(receive_purchase_orders, engine, 200 + seed, pos, start, backlog)
                for seed in range(RECEIVING)
            ]
        assert [f.exception() for f in placing + receiving if f.exception() is not None] == []
        placed = {s.number for f in placing for s in f.result()}
        receipts = [r for f in receiving for r in f.result()]
        books = read_books(engine)
    finally:
        engine.dispose()

    received = dict.fromkeys(stock_ids.values(), 2)
    for stock_id, quantity, _ in receipts:
        received[stock_id] += quantity
    # every unit received is on hand once, held by at most one line; nothing waits beside free stock
    check_stock(books, received)
    check_shortfalls(books)
    assert {ln["number"] for ln in books[1]} == placed
    assert any(allocated for _, _, allocated in receipts)  # contended: receipts did fill backorders
