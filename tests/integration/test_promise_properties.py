"""Random supply and demand through the real services keep every promise covered and every unit once.

Hypothesis draws a sequence of steps — orders placed and cancelled, purchase orders created, slipped,
shrunk, announced earlier and received (with rejections), transfers shipped and received, stock counts
that find more or less than the books — and runs each through the services of ``services.ordering``,
``services.fulfilment``, ``services.purchasing``, ``services.transfers`` and ``services.importing``,
under either backorder rule. After every step:

- every stock row has ``0 <= allocated <= on_hand``, and ``allocated`` is what the order lines hold there;
- **no quantity is promised twice**: per SKU-location and for every day ``d``, the backordered quantity
  of the open lines whose units are due by ``d`` (promised delivery less the lead days of their lane) is
  at most what is free now plus the open purchase-order and in-transit quantities expected by ``d``;
- nothing waits while stock it could take sits free at its location.

At the end a receipt at every SKU-location covers all that still waits there, and no backorder is left.
Runs on SQLite, and on PostgreSQL when it is configured (each example on a fresh database).

World (day 0 is the clock's date): DC1 (east) processes in 1 + 1 days, DC2 (west) in 2 + 1; ground lanes
east→east and west→west take 2 days, across the country 4. P1 and P2 have a stock row at both, P1 3 units
at DC1. Customers: EAST (tier 2, allow partial), GOLD (east, tier 1), WEST (west, tier 3, ship complete).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from o2c.domain.backorders import BackorderRule
from o2c.domain.clock import ManualClock
from o2c.domain.errors import IllegalTransition, ValidationFailed
from o2c.services.fulfilment import cancel_order
from o2c.services.importing import ImportKind, import_csv
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.services.purchasing import (
    PurchaseOrderLineRequest,
    PurchaseOrderRequest,
    ShipmentNoticeLine,
    ShipmentNoticeRequest,
    create_purchase_order,
    get_purchase_order,
    notify_shipment,
    reschedule_purchase_order_line,
)
from o2c.services.receiving import ReceiptLineRequest, ReceiveRequest, receive_purchase_order
from o2c.services.transfers import (
    ShipTransferRequest,
    TransferLineRequest,
    TransferRequest,
    create_transfer,
    receive_transfer,
    ship_transfer,
)
from o2c.store.database import create_db_engine
from o2c.store.master_tables import ship_tos, stock
from o2c.store.supply_tables import purchase_order_lines, purchase_orders, transfer_lines, transfers
from o2c.store.tables import order_lines, orders
from o2c.store.uow import UnitOfWork
from tests.conftest import START, _truncate
from tests.factories import add_customer, add_product, add_stock, add_supplier
from tests.integration.test_atp_service import add_lane, add_site

SKUS = ("P1", "P2")
SITES = {"DC1": ("east", 1, 1), "DC2": ("west", 2, 1)}  # region, processing days, pick/pack days
TRANSIT = {("east", "east"): 2, ("west", "west"): 2, ("east", "west"): 4, ("west", "east"): 4}
CUSTOMERS = {
    "EAST": ("east", 2, "allow_partial"),
    "GOLD": ("east", 1, "allow_partial"),
    "WEST": ("west", 3, "ship_complete"),
}
LIVE = ("cancelled", "credit_hold", "shipped", "delivered", "closed")  # statuses whose lines are no demand
TODAY = START.date()


def build_world(engine: Engine) -> dict[str, int]:
    for code, (region, tier, policy) in CUSTOMERS.items():
        add_customer(engine, code, region=region, tier=tier, backorder_policy=policy)
    add_supplier(engine, "SUP1")
    ids = {sku: add_product(engine, sku) for sku in SKUS}
    for site, (region, processing, pick_pack) in SITES.items():
        ids[site] = add_site(engine, site, region, processing, pick_pack)
    for (origin, destination), days in TRANSIT.items():
        add_lane(engine, origin, destination, days)
    for sku in SKUS:
        for site in SITES:
            add_stock(engine, ids[sku], ids[site], 3 if (sku, site) == ("P1", "DC1") else 0)
    return ids


# --- the books, read straight from the tables -----------------------------------------------------


def check_books(engine: Engine, ids: dict[str, int]) -> None:
    site_of = {ids[s]: s for s in SITES}
    with engine.connect() as conn:
        levels = conn.execute(
            select(stock.c.product_id, stock.c.location_id, stock.c.on_hand, stock.c.allocated)
        ).all()
        lines = conn.execute(
            select(
                order_lines.c.product_id,
                order_lines.c.location_id,
                order_lines.c.qty_allocated,
                order_lines.c.qty_backordered,
                order_lines.c.promised_date,
                orders.c.number,
                orders.c.status,
                ship_tos.c.region,
            )
            .join(orders, orders.c.id == order_lines.c.order_id)
            .join(ship_tos, ship_tos.c.id == orders.c.ship_to_id)
        ).all()
        receipts = conn.execute(
            select(
                purchase_order_lines.c.product_id,
                purchase_orders.c.location_id,
                purchase_order_lines.c.expected_date,
                purchase_order_lines.c.qty_ordered - purchase_order_lines.c.qty_received,
            )
            .join(purchase_orders, purchase_orders.c.id == purchase_order_lines.c.purchase_order_id)
            .where(purchase_orders.c.status == "open")
        ).all()
        in_transit = conn.execute(
            select(
                transfer_lines.c.product_id,
                transfers.c.to_location_id,
                transfers.c.expected_date,
                transfer_lines.c.quantity - transfer_lines.c.qty_received,
            )
            .join(transfers, transfers.c.id == transfer_lines.c.transfer_id)
            .where(transfers.c.status == "in_transit")
        ).all()
    held: dict[tuple[int, int], int] = defaultdict(int)
    for ln in lines:
        held[ln.product_id, ln.location_id] += ln.qty_allocated
    free = {}
    for product_id, location_id, on_hand, allocated in levels:
        assert 0 <= allocated <= on_hand, (product_id, location_id)
        assert allocated == held[product_id, location_id], (product_id, location_id)
        free[product_id, location_id] = on_hand - allocated
    supply: dict[tuple[int, int], list[tuple[date, int]]] = defaultdict(list)
    for product_id, location_id, expected, qty in [*receipts, *in_transit]:
        if qty > 0:
            supply[product_id, location_id].append((max(expected, TODAY), qty))
    waiting = [ln for ln in lines if ln.qty_backordered and ln.status not in LIVE]
    # Nothing waits while stock it could take sits free where it waits.
    assert [ln.number for ln in waiting if free.get((ln.product_id, ln.location_id), 0) > 0] == []
    due: dict[tuple[int, int], list[tuple[date, int, str]]] = defaultdict(list)
    for ln in waiting:
        if ln.promised_date is not None:
            region, processing, pick_pack = SITES[site_of[ln.location_id]]
            lead = processing + pick_pack + TRANSIT[region, ln.region]
            day = max(ln.promised_date - timedelta(days=lead), TODAY)
            due[ln.product_id, ln.location_id].append((day, ln.qty_backordered, ln.number))
    for key, claims in due.items():
        for d in sorted({day for day, _, _ in claims}):
            promised = sum(q for day, q, _ in claims if day <= d)
            covered = free.get(key, 0) + sum(q for day, q in supply[key] if day <= d)
            assert promised <= covered, (key, d, promised, covered, sorted(claims))


# --- one example -------------------------------------------------------------------------------------


class Run:
    """The services driven against one fresh database, and the documents made so far."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.clock = ManualClock(START)
        self.uow = UnitOfWork(engine, self.clock)
        self.ids = build_world(engine)
        self.orders: list[str] = []
        self.pos: list[str] = []
        self.transfers: list[str] = []

    def tick(self) -> None:
        self.clock.advance(timedelta(minutes=5))

    def place(self, customer: str, lines: list[tuple[str, int]]) -> None:
        request = PlaceOrderRequest(
            customer=customer, lines=[OrderLineRequest(sku=s, quantity=q) for s, q in lines]
        )
        self.orders.append(place_order(self.uow, request).number)

    def cancel(self, pick: int) -> None:
        if self.orders:
            with suppress(IllegalTransition):  # cancelled already
                cancel_order(self.uow, self.orders[pick % len(self.orders)])

    def buy(self, site: str, sku: str, quantity: int, in_days: int) -> None:
        line = PurchaseOrderLineRequest(
            sku=sku, quantity=quantity, unit_cost=Decimal("5"), promised_date=TODAY + timedelta(days=in_days)
        )
        request = PurchaseOrderRequest(supplier="SUP1", location=site, lines=[line])
        self.pos.append(create_purchase_order(self.uow, request).number)

    def _open_po(self, pick: int) -> Any:
        """One of the purchase orders still expecting goods, if any."""
        with self.engine.connect() as conn:
            numbers = sorted(
                conn.execute(
                    select(purchase_orders.c.number)
                    .join(
                        purchase_order_lines, purchase_order_lines.c.purchase_order_id == purchase_orders.c.id
                    )
                    .where(
                        purchase_orders.c.status == "open",
                        purchase_order_lines.c.qty_ordered > purchase_order_lines.c.qty_received,
                    )
                ).scalars()
            )
        return get_purchase_order(self.uow, numbers[pick % len(numbers)]) if numbers else None

    def slip(self, pick: int, days: int) -> None:
        if po := self._open_po(pick):
            later = po.lines[0].expected_date + timedelta(days=days)
            reschedule_purchase_order_line(self.uow, po.number, 1, expected_date=later)

    def shrink(self, pick: int, by: int) -> None:
        if (po := self._open_po(pick)) and (smaller := po.lines[0].ordered - by) >= max(
            po.lines[0].received, 1
        ):
            reschedule_purchase_order_line(self.uow, po.number, 1, quantity=smaller)

    def announce_earlier(self, pick: int, days: int) -> None:
        if (po := self._open_po(pick)) and po.lines[0].expected_date > TODAY:
            earlier = max(po.lines[0].expected_date - timedelta(days=days), TODAY)
            line = ShipmentNoticeLine(line_no=1, quantity=po.lines[0].outstanding)
            notify_shipment(self.uow, po.number, ShipmentNoticeRequest(expected_date=earlier, lines=[line]))

    def receive(self, pick: int, quantity: int, rejected: int) -> None:
        if po := self._open_po(pick):
            self._receive(po.number, min(quantity, po.lines[0].outstanding), rejected)

    def _receive(self, number: str, received: int, rejected: int) -> None:
        bad = min(rejected, received)
        line = ReceiptLineRequest(line_no=1, received=received, rejected=bad, reason="damaged" if bad else "")
        receive_purchase_order(self.uow, number, ReceiveRequest(lines=[line]))

    def transfer(self, source: str, sku: str, quantity: int, in_days: int) -> None:
        target = "DC2" if source == "DC1" else "DC1"
        lines = [TransferLineRequest(sku=sku, quantity=quantity)]
        number = create_transfer(
            self.uow, TransferRequest(from_location=source, to_location=target, lines=lines)
        ).number
        try:
            ship_transfer(
                self.uow, number, ShipTransferRequest(expected_date=TODAY + timedelta(days=in_days))
            )
        except ValidationFailed:
            return  # not that much available at the source: refused, nothing moved
        self.transfers.append(number)

    def count(self, site: str, sku: str, free: int) -> None:
        """A stock count that finds ``free`` units beyond what orders hold there: more or less than
        the books say (never below what is allocated: the import refuses that)."""
        with self.engine.connect() as conn:
            allocated = conn.execute(
                select(stock.c.allocated).where(
                    stock.c.product_id == self.ids[sku], stock.c.location_id == self.ids[site]
                )
            ).scalar_one()
        counted = io.StringIO(f"sku,location,on_hand\n{sku},{site},{allocated + free}\n")
        import_csv(self.uow, ImportKind.STOCK, counted, actor="counter")

    def receive_transfer(self, pick: int) -> None:
        if self.transfers:
            receive_transfer(self.uow, self.transfers.pop(pick % len(self.transfers)))

    def cover_everything(self) -> None:
        """A receipt at every SKU-location of all that still waits there."""
        with self.engine.connect() as conn:
            waiting = conn.execute(
                select(order_lines.c.product_id, order_lines.c.location_id, order_lines.c.qty_backordered)
                .join(orders, orders.c.id == order_lines.c.order_id)
                .where(order_lines.c.qty_backordered > 0, orders.c.status.not_in(LIVE))
            ).all()
        need: dict[tuple[int, int], int] = defaultdict(int)
        for product_id, location_id, qty in waiting:
            need[product_id, location_id] += qty
        sku_of = {self.ids[s]: s for s in SKUS}
        site_of = {self.ids[s]: s for s in SITES}
        for (product_id, location_id), qty in sorted(need.items()):
            self.buy(site_of[location_id], sku_of[product_id], qty, 0)
            self._receive(self.pos[-1], qty, 0)


sku = st.sampled_from(("P1", "P1", "P1", "P2"))  # mostly one SKU: more steps meet on the same rows
site = st.sampled_from(("DC1", "DC1", "DC2"))
pick = st.integers(0, 50)
place = st.tuples(
    st.just("place"),
    st.sampled_from(sorted(CUSTOMERS)),
    st.lists(st.tuples(sku, st.integers(1, 6)), min_size=1, max_size=2),
)
buy = st.tuples(st.just("buy"), site, sku, st.integers(1, 10), st.integers(0, 20))
receive = st.tuples(st.just("receive"), pick, st.integers(1, 10), st.sampled_from([0, 0, 0, 1, 3]))
steps = st.one_of(  # orders, purchase orders and receipts drawn most often: they make the contention
    place,
    place,
    buy,
    buy,
    receive,
    st.tuples(st.just("cancel"), pick),
    st.tuples(st.just("slip"), pick, st.integers(1, 10)),
    st.tuples(st.just("shrink"), pick, st.integers(1, 5)),
    st.tuples(st.just("announce_earlier"), pick, st.integers(1, 10)),
    st.tuples(st.just("transfer"), site, sku, st.integers(1, 4), st.integers(0, 6)),
    st.tuples(st.just("receive_transfer"), pick),
    st.tuples(st.just("count"), site, sku, st.integers(0, 6)),
)


@contextmanager
def fresh_database(db_url: str, template: Path) -> Iterator[Engine]:
    """A fresh SQLite copy of the migrated template, or the PostgreSQL test database emptied."""
    if db_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(template, Path(tmp) / "o2c.db")
            engine = create_db_engine(f"sqlite:///{tmp}/o2c.db")
            try:
                yield engine
            finally:
                engine.dispose()
        return
    engine = create_db_engine(db_url)
    _truncate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def backorder_rule(rule: BackorderRule) -> Iterator[None]:
    before = os.environ.get("O2C_BACKORDER_RULE")
    os.environ["O2C_BACKORDER_RULE"] = rule.value
    try:
        yield
    finally:
        if before is None:
            del os.environ["O2C_BACKORDER_RULE"]
        else:
            os.environ["O2C_BACKORDER_RULE"] = before


@pytest.mark.parametrize("rule", list(BackorderRule))
def test_random_orders_and_supply_never_promise_a_unit_twice_and_end_with_every_backorder_served(
    db_url: str, sqlite_template: Path, rule: BackorderRule
) -> None:
    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(plan=st.lists(steps, min_size=3, max_size=25))
    def example(plan: list[tuple[Any, ...]]) -> None:
        note(f"steps: {plan!r}")
        with fresh_database(db_url, sqlite_template) as engine, backorder_rule(rule):
            play(engine, plan)

    example()


def play(engine: Engine, plan: list[tuple[Any, ...]]) -> None:
    """Run the steps, checking the books after each; then cover everything: nothing may still wait."""
    run = Run(engine)
    check_books(engine, run.ids)
    for name, *args in plan:
        run.tick()
        getattr(run, name)(*args)
        check_books(engine, run.ids)
    run.cover_everything()
    check_books(engine, run.ids)
    with engine.connect() as conn:
        left = conn.execute(
            select(orders.c.number, order_lines.c.line_no, order_lines.c.qty_backordered)
            .join(orders, orders.c.id == order_lines.c.order_id)
            .where(order_lines.c.qty_backordered > 0, orders.c.status.not_in(LIVE))
        ).all()
    assert left == []


def test_a_receipt_priority_gives_away_leaves_no_promise_uncovered(
    db_url: str, sqlite_template: Path
) -> None:
    # EAST (tier 2) takes the 3 on hand and waits for 2 of PO 1 (day 3); GOLD (tier 1) waits for 5: 3 of
    # PO 1 and 2 of PO 2 (day 10). PO 1 arrives: GOLD takes all 5, EAST's promise must move to PO 2.
    plan: list[tuple[Any, ...]] = [
        ("buy", "DC1", "P1", 5, 3),
        ("buy", "DC1", "P1", 5, 10),
        ("place", "EAST", [("P1", 5)]),
        ("place", "GOLD", [("P1", 5)]),
        ("receive", 0, 5, 0),
    ]
    with fresh_database(db_url, sqlite_template) as engine, backorder_rule(BackorderRule.PRIORITY):
        play(engine, plan)
