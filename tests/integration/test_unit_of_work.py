"""The unit of work on a connection the caller holds: transactions one after another, none left open.

Runs on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from o2c.domain.clock import ManualClock
from o2c.domain.errors import Conflict, ValidationFailed
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.store.pipeline import pipelined
from o2c.store.tables import events, orders
from o2c.store.uow import UnitOfWork
from tests.factories import add_customer, add_location, add_product, add_stock, stock_level


def order_of(sku: str, quantity: int) -> PlaceOrderRequest:
    return PlaceOrderRequest(customer="ACME", lines=[OrderLineRequest(sku=sku, quantity=quantity)])


@pytest.fixture
def widgets(engine: Engine) -> int:
    """Customer ACME, and 10 WIDGETs on hand: their stock row's id."""
    add_customer(engine, "ACME")
    return add_stock(engine, add_product(engine, "WIDGET"), add_location(engine), 10)


def test_a_held_connection_carries_one_transaction_after_another_and_stays_open(
    engine: Engine, clock: ManualClock, widgets: int
) -> None:
    stock_id = widgets
    with engine.connect() as held:
        uow = UnitOfWork(engine, clock, connection=held)
        first = place_order(uow, order_of("WIDGET", 3))
        # A refused order rolls back its own transaction only: nothing of it stays, and the
        # connection is left without a transaction for the next one.
        with pytest.raises(ValidationFailed):
            place_order(uow, order_of("NOPE", 1))
        assert not held.in_transaction()
        second = place_order(uow, order_of("WIDGET", 4))
        assert not held.closed and not held.in_transaction()
    assert first.number != second.number
    # Committed, as seen from another connection: 3 + 4 units reserved of 10, two orders, and
    # each order's two events (received, reserved).
    assert stock_level(engine, stock_id) == (10, 7)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(orders)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 4


def test_a_unit_of_work_left_without_commit_rolls_back_on_the_held_connection(
    engine: Engine, clock: ManualClock, widgets: int
) -> None:
    stock_id = widgets
    with engine.connect() as held:
        uow = UnitOfWork(engine, clock, connection=held)
        with uow:
            uow.stock.reserve_all([(stock_id, 5)])  # written, then never committed
            assert held.in_transaction()
        assert not held.in_transaction() and not held.closed
        assert stock_level(engine, stock_id) == (10, 0)
        placed = place_order(uow, order_of("WIDGET", 1))
    assert placed.status == "open"
    assert stock_level(engine, stock_id) == (10, 1)


def test_reservations_sent_in_a_pipeline_are_checked_once_it_ends(engine: Engine, clock: ManualClock) -> None:
    """Two rows of 10 and 3: reserving 4 of each hits one row only, which the check tells."""
    widget, gadget = add_product(engine, "WIDGET"), add_product(engine, "GADGET")
    location = add_location(engine)
    plenty, few = add_stock(engine, widget, location, 10), add_stock(engine, gadget, location, 3)
    uow = UnitOfWork(engine, clock)
    with uow:
        with pipelined(uow.connection):
            short = uow.stock.send_reservations([(plenty, 4), (few, 4), (plenty, 0)])
        with pytest.raises(Conflict, match=rf"stock rows \[{plenty}, {few}\]"):
            short.check()  # left without a commit: rolled back
    with uow:
        with pipelined(uow.connection):
            enough = uow.stock.send_reservations([(few, 3), (plenty, 4)])
        enough.check()
        uow.commit()
    assert (stock_level(engine, plenty), stock_level(engine, few)) == ((10, 4), (3, 3))
