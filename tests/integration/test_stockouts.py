"""Stockout episodes: one opens when a SKU-location's available stock reaches 0, and closes when
available is above 0 again; never two open at once for the same SKU-location."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from o2c.domain.clock import ManualClock
from o2c.services.backorders import allocate_arrivals
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.services.shortfalls import refresh_stockouts
from o2c.store.master_tables import stock
from o2c.store.supply_tables import stockout_episodes
from o2c.store.uow import UnitOfWork
from tests.factories import add_customer, add_location, add_product, add_stock


@pytest.fixture
def widget(engine: Engine) -> tuple[int, int, int]:
    """(product, location, stock row) of WIDGET at DC1, 5 on hand."""
    add_customer(engine, "ACME")
    location = add_location(engine)
    product = add_product(engine, "WIDGET")
    return product, location, add_stock(engine, product, location, 5)


def episodes(engine: Engine) -> list[tuple[datetime, datetime | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(stockout_episodes.c.started_at, stockout_episodes.c.ended_at).order_by(
                stockout_episodes.c.id
            )
        )
        return [(r.started_at, r.ended_at) for r in rows]


def set_stock(uow: UnitOfWork, stock_id: int, *, on_hand: int, allocated: int) -> None:
    """Change a stock row and refresh its episodes, as a use case that changes stock does."""
    with uow:
        uow.connection.execute(
            update(stock).where(stock.c.id == stock_id).values(on_hand=on_hand, allocated=allocated)
        )
        refresh_stockouts(uow, [stock_id], uow.clock.now())
        uow.commit()


def test_an_episode_opens_at_zero_available_and_closes_on_recovery(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, widget: tuple[int, int, int]
) -> None:
    _, _, stock_id = widget
    start = clock.now()
    set_stock(uow, stock_id, on_hand=5, allocated=2)
    assert episodes(engine) == []
    set_stock(uow, stock_id, on_hand=5, allocated=5)  # all of it reserved: nothing available
    assert episodes(engine) == [(start, None)]
    clock.advance(timedelta(hours=1))
    set_stock(uow, stock_id, on_hand=0, allocated=0)  # still out: the same episode goes on
    assert episodes(engine) == [(start, None)]
    clock.advance(timedelta(hours=2))
    set_stock(uow, stock_id, on_hand=4, allocated=0)
    assert episodes(engine) == [(start, start + timedelta(hours=3))]
    clock.advance(timedelta(hours=1))
    set_stock(uow, stock_id, on_hand=4, allocated=4)  # out again: a new episode
    assert episodes(engine) == [(start, start + timedelta(hours=3)), (start + timedelta(hours=4), None)]


def test_the_database_refuses_a_second_open_episode_for_a_sku_location(
    engine: Engine, clock: ManualClock, widget: tuple[int, int, int]
) -> None:
    product, location, _ = widget
    row = {"product_id": product, "location_id": location, "started_at": clock.now()}
    with engine.begin() as conn:
        conn.execute(insert(stockout_episodes), row)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(stockout_episodes), row)


def test_an_episode_never_ends_before_it_started_when_clocks_disagree(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, widget: tuple[int, int, int]
) -> None:
    _, _, stock_id = widget
    set_stock(uow, stock_id, on_hand=0, allocated=0)
    started = clock.now()
    behind = UnitOfWork(engine, ManualClock(started - timedelta(seconds=2)))  # another server's clock
    set_stock(behind, stock_id, on_hand=3, allocated=0)
    assert episodes(engine) == [(started, started)]


def test_orders_run_a_sku_out_and_supply_ends_the_episode_once_backorders_are_served(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, widget: tuple[int, int, int]
) -> None:
    product, location, stock_id = widget
    place_order(uow, PlaceOrderRequest(customer="ACME", lines=[OrderLineRequest(sku="WIDGET", quantity=8)]))
    with uow:  # what order entry records once wired in (refreshing again changes nothing)
        refresh_stockouts(uow, [stock_id], clock.now())
        uow.commit()
    out_at = clock.now()
    assert episodes(engine) == [(out_at, None)]

    def receive(quantity: int) -> None:
        with uow:
            uow.connection.execute(
                update(stock).where(stock.c.id == stock_id).values(on_hand=stock.c.on_hand + quantity)
            )
            allocate_arrivals(uow, [(product, location)], "receiving")
            uow.commit()

    clock.advance(timedelta(days=1))
    receive(2)  # the 3 backordered units take both: still out
    assert episodes(engine) == [(out_at, None)]
    clock.advance(timedelta(days=1))
    receive(4)  # 1 more for the backorder, 3 left on the shelf: recovered
    assert episodes(engine) == [(out_at, out_at + timedelta(days=2))]
