"""The audit trail's state of an order placed in the same transaction: taken from the order as written,
it must be exactly what reading the order back gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from o2c.domain.clock import ManualClock
from o2c.domain.order import OrderLine
from o2c.services.audit import SNAPSHOTS, AuditedUnitOfWork
from o2c.services.ordering import (
    OrderLineRequest,
    PlaceOrderRequest,
    active_customer,
    customer_ship_to,
    enter_order,
    place_order,
)
from o2c.store.auth_tables import audit_log
from o2c.store.orders import OrderRepository
from o2c.store.uow import UnitOfWork
from tests.factories import add_customer, add_location, add_product, add_stock, set_rates


def _world(engine: Engine) -> int:
    add_customer(engine, "C1", segment="trade")
    set_rates(engine, segment="trade", discount="0.05", tax="0.0825")  # amounts that round
    location = add_location(engine)
    add_stock(engine, add_product(engine, "SKU-A", price="12.35"), location, 100)
    add_stock(engine, add_product(engine, "SKU-B", price="0.99"), location, 3)  # short: a backorder
    return add_product(engine, "SKU-C", price="7.10")


def _read_back(engine: Engine, clock: ManualClock, number: str) -> object:
    with UnitOfWork(engine, clock) as uow:
        assert uow.orders.inserted(number) is None  # another transaction: it is read
        return SNAPSHOTS["order"](uow, number)


def test_a_placed_orders_audited_state_is_what_reading_it_back_gives(
    engine: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _world(engine)
    request = PlaceOrderRequest(
        customer="C1",
        lines=[OrderLineRequest(sku="SKU-A", quantity=7), OrderLineRequest(sku="SKU-B", quantity=5)],
        customer_sent_at=datetime(2026, 3, 2, 8, 15, 30, 123456, tzinfo=UTC),
        idempotency_key="k-1",
    )

    def no_reading(*_args: object) -> None:
        raise AssertionError("the placed order was read back")

    with monkeypatch.context() as patched:
        patched.setattr(OrderRepository, "get", no_reading)
        audited = AuditedUnitOfWork(engine, clock, actor="sales", action="order.placed")
        summary = place_order(audited, request, actor="sales")

    assert summary.lines[1].backordered == 2  # a backorder, with whatever it was promised
    with engine.connect() as conn:
        after = conn.execute(select(audit_log.c.after)).scalar_one()
    assert after == audited.after == _read_back(engine, clock, summary.number)


def test_an_order_saved_after_it_was_placed_or_not_held_as_stored_is_read_back(
    engine: Engine, clock: ManualClock
) -> None:
    product_id = _world(engine)

    def line(net: Decimal) -> OrderLine:
        return OrderLine(
            line_no=1,
            product_id=product_id,
            sku="SKU-C",
            qty_ordered=2,
            qty_pending=2,
            unit_price=Decimal("7.10"),
            discount_amount=Decimal("0.00"),
            tax_amount=Decimal("0.00"),
            net_amount=net,
            unit_cost=Decimal("6.0000"),
        )

    with UnitOfWork(engine, clock) as uow:
        customer = active_customer(uow, "C1")
        ship_to = customer_ship_to(uow, customer, None)
        saved = enter_order(uow, customer, ship_to, [line(Decimal("14.20"))], None, "t")
        uow.orders.add(saved)
        assert uow.orders.inserted(saved.number) is saved
        loaded = uow.orders.get(saved.number)
        loaded.cancel(clock.now())
        uow.orders.save(loaded)
        assert uow.orders.inserted(saved.number) is None  # changed since: read back

        offset = timezone(timedelta(hours=-5))
        sent = enter_order(
            uow,
            customer,
            ship_to,
            [line(Decimal("14.20"))],
            None,
            "t",
            customer_sent_at=clock.now().astimezone(offset),
        )
        uow.orders.add(sent)
        rounded = enter_order(uow, customer, ship_to, [line(Decimal("14.2"))], None, "t")
        uow.orders.add(rounded)
        # Read back, these would come in UTC and to the cent: not trusted as written.
        assert uow.orders.inserted(sent.number) is None
        assert uow.orders.inserted(rounded.number) is None
        assert SNAPSHOTS["order"](uow, sent.number)["stages"]["customer_sent_at"].endswith("Z")
        assert SNAPSHOTS["order"](uow, rounded.number)["lines"][0]["net_amount"] == "14.20"
