"""An order sent again under the same idempotency key is answered, not entered twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from o2c.domain.clock import ManualClock
from o2c.domain.errors import IdempotencyConflict
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.services.results import OrderSummary
from o2c.store.master_tables import stock
from o2c.store.tables import events, order_lines, orders
from o2c.store.uow import UnitOfWork
from tests.factories import add_customer, add_location, add_product, add_stock, stock_level


@pytest.fixture
def widget(engine: Engine) -> int:
    add_customer(engine, "ACME")
    loc = add_location(engine)
    add_stock(engine, add_product(engine, "GADGET"), loc, 100)
    return add_stock(engine, add_product(engine, "WIDGET"), loc, 100)


def keyed(key: str | None, widgets: int = 2, **kw: Any) -> PlaceOrderRequest:
    return PlaceOrderRequest(
        customer="ACME",
        lines=[OrderLineRequest(sku="WIDGET", quantity=widgets), OrderLineRequest(sku="GADGET", quantity=1)],
        idempotency_key=key,
        requested_date=date(2026, 3, 20),
        **kw,
    )


def footprint(engine: Engine) -> tuple[int, int, int, int]:
    """(orders, order lines, events, units allocated over all stock)."""
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(orders)).scalar_one(),
            conn.execute(select(func.count()).select_from(order_lines)).scalar_one(),
            conn.execute(select(func.count()).select_from(events)).scalar_one(),
            int(conn.execute(select(func.coalesce(func.sum(stock.c.allocated), 0))).scalar_one()),
        )


def test_the_same_order_sent_twice_returns_the_first_result_and_stores_nothing_new(
    uow: UnitOfWork, engine: Engine, widget: int
) -> None:
    first = place_order(uow, keyed("po-4711"))
    # 1 order, 2 lines, 2 events (received, reserved), 2 + 1 units reserved
    assert footprint(engine) == (1, 2, 2, 3)

    again = place_order(uow, keyed("po-4711"))  # a new request object with the same content
    assert (first.replayed, again.replayed) == (False, True)
    assert again.number == first.number
    assert again.lines == first.lines
    assert (again.status, again.total) == (first.status, first.total)
    assert footprint(engine) == (1, 2, 2, 3)
    assert stock_level(engine, widget) == (100, 2)


def test_a_replay_returns_the_first_acknowledgement_not_the_order_as_it_is_now(
    uow: UnitOfWork, engine: Engine, widget: int
) -> None:
    with engine.begin() as conn:  # no gadget in stock: line 2 is backordered at entry
        conn.execute(update(stock).where(stock.c.id != widget).values(on_hand=0))
    first = place_order(uow, keyed("po-4712"))
    assert [(ln.allocated, ln.backordered) for ln in first.lines] == [(2, 0), (0, 1)]
    with engine.begin() as conn:  # since then: the gadget arrived and the order's lines changed
        conn.execute(update(order_lines).values(qty_backordered=0, qty_allocated=order_lines.c.qty_ordered))
        conn.execute(update(orders).values(promised_date=date(2026, 4, 1)))

    again = place_order(uow, keyed("po-4712"))

    # exactly the first answer (same number, allocations, promised dates), marked as a replay
    assert again.replayed and not first.replayed
    assert replace(again, replayed=False) == first
    assert [(ln.allocated, ln.backordered) for ln in again.lines] == [(2, 0), (0, 1)]
    assert again.promised_date == first.promised_date != date(2026, 4, 1)


def test_the_same_key_with_a_different_body_is_a_conflict_and_stores_nothing(
    uow: UnitOfWork, engine: Engine, widget: int
) -> None:
    first = place_order(uow, keyed("po-4711", widgets=2))
    for changed in (keyed("po-4711", widgets=3), keyed("po-4711", ship_to="MAIN")):
        with pytest.raises(IdempotencyConflict) as refused:
            place_order(uow, changed)
        assert refused.value.context["order_number"] == first.number
    assert footprint(engine) == (1, 2, 2, 3)


def test_orders_without_a_key_or_with_different_keys_are_entered_each_time(
    uow: UnitOfWork, engine: Engine, widget: int
) -> None:
    numbers = {place_order(uow, keyed(key)).number for key in (None, None, "po-1", "po-2")}
    assert len(numbers) == 4
    assert footprint(engine) == (4, 8, 8, 12)


def test_the_same_keyed_order_sent_by_many_clients_at_once_is_entered_exactly_once(
    engine: Engine, clock: ManualClock, widget: int
) -> None:
    clients = 12
    barrier = threading.Barrier(clients)

    def send() -> OrderSummary:
        barrier.wait(timeout=30)
        return place_order(UnitOfWork(engine, clock), keyed("edi-0815"))

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(send) for _ in range(clients)]
    errors = [f.exception() for f in futures if f.exception() is not None]
    assert errors == []
    answers = [f.result() for f in futures]
    assert len({a.number for a in answers}) == 1
    assert sorted(a.replayed for a in answers) == [False] + [True] * (clients - 1)
    assert {a.lines for a in answers} == {answers[0].lines}
    assert footprint(engine) == (1, 2, 2, 3)
