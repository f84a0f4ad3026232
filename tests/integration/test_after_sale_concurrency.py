"""Returns and credits raced from real threads (on PostgreSQL too): limits hold under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from o2c.domain.clock import ManualClock
from o2c.domain.errors import ValidationFailed
from o2c.services.credits import issue_credit_memo
from o2c.services.fulfilment import (
    DeliverRequest,
    ShipRequest,
    deliver_shipment,
    pack_order,
    pick_order,
    release_order,
    ship_order,
)
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.services.returns import authorise_return
from o2c.store.after_sale_tables import credit_memos, return_lines
from o2c.store.database import create_db_engine
from o2c.store.tables import invoices, shipments
from o2c.store.uow import UnitOfWork
from tests.factories import add_carrier, add_customer, add_location, add_product, add_stock

THREADS = 8


@pytest.fixture
def shared_engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url, pool_size=THREADS + 2, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def delivered(shared_engine: Engine, clock: ManualClock) -> tuple[str, str]:
    """An order of 10 GADGETs at 10.00 (no tax), shipped and delivered: its number and invoice."""
    add_customer(shared_engine, "ACME")
    add_stock(
        shared_engine, add_product(shared_engine, "GADGET", price="10.00"), add_location(shared_engine), 10
    )
    add_carrier(shared_engine, "UPS")
    uow = UnitOfWork(shared_engine, clock)
    number = place_order(
        uow, PlaceOrderRequest(customer="ACME", lines=[OrderLineRequest(sku="GADGET", quantity=10)])
    ).number
    for step in (release_order, pick_order, pack_order):
        step(uow, number)
    ship_order(uow, number, ShipRequest(carrier="UPS", tracking_number="1Z"))
    with shared_engine.connect() as conn:
        shipment = conn.execute(select(shipments.c.number)).scalar_one()
        invoice = conn.execute(select(invoices.c.number)).scalar_one()
    deliver_shipment(uow, shipment, DeliverRequest())
    return number, invoice


def race(
    engine: Engine, clock: ManualClock, attempt: Callable[[UnitOfWork], object]
) -> list[BaseException | None]:
    barrier = threading.Barrier(THREADS)

    def run() -> object:
        uow = UnitOfWork(engine, clock)
        barrier.wait(timeout=30)
        return attempt(uow)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(run) for _ in range(THREADS)]
    return [f.exception() for f in futures]


def test_racing_returns_never_take_back_more_than_was_delivered(
    shared_engine: Engine, clock: ManualClock, delivered: tuple[str, str]
) -> None:
    number, _ = delivered
    outcomes = race(shared_engine, clock, lambda uow: authorise_return(uow, number, {1: 3}, "not_wanted"))
    # 10 delivered, 3 each: exactly three returns fit; the others are refused, nothing else fails.
    assert sum(e is None for e in outcomes) == 3
    assert all(isinstance(e, ValidationFailed) for e in outcomes if e is not None)
    with shared_engine.connect() as conn:
        assert conn.execute(select(func.sum(return_lines.c.quantity))).scalar_one() == 9


def test_racing_credits_never_exceed_what_the_invoice_billed(
    shared_engine: Engine, clock: ManualClock, delivered: tuple[str, str]
) -> None:
    _, invoice = delivered
    outcomes = race(
        shared_engine,
        clock,
        lambda uow: issue_credit_memo(uow, invoice, Decimal("30.00"), "price_adjustment"),
    )
    # 100.00 billed, 30.00 each: three credits fit (90.00); the rest are refused.
    assert sum(e is None for e in outcomes) == 3
    assert all(isinstance(e, ValidationFailed) for e in outcomes if e is not None)
    with shared_engine.connect() as conn:
        credited = conn.execute(select(invoices.c.amount_credited)).scalar_one()
        memos = conn.execute(select(func.count()).select_from(credit_memos)).scalar_one()
    assert (credited, memos) == (Decimal("90.00"), 3)
