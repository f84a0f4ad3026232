"""The whole cycle on one order: place, reserve, release, pick, pack, ship, invoice, deliver, pay."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from o2c.domain.clock import ManualClock
from o2c.domain.errors import IllegalTransition, NotFound
from o2c.services.backorders import allocate_arrivals
from o2c.services.billing import PaymentRequest, receivables_aging, record_payment
from o2c.services.fulfilment import (
    DeliverRequest,
    DeliveryException,
    ShipRequest,
    advance_order,
    cancel_order,
    deliver_shipment,
    pack_order,
    pick_order,
    release_order,
    ship_order,
)
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, get_order, place_order
from o2c.store.master_tables import products, stock
from o2c.store.tables import events, invoices, shipments
from o2c.store.uow import UnitOfWork
from tests.factories import (
    add_carrier,
    add_customer,
    add_location,
    add_product,
    add_stock,
    set_rates,
    stock_level,
)


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    add_customer(engine, "ACME", payment_terms_days=30)
    set_rates(engine, discount="0.10", tax="0.08")
    loc = add_location(engine)
    widget = add_product(engine, "WIDGET", price="10.00")
    gadget = add_product(engine, "GADGET", price="25.00")
    add_carrier(engine, "UPS")
    return {"widget": add_stock(engine, widget, loc, 100), "gadget": add_stock(engine, gadget, loc, 3)}


def order(*lines: tuple[str, int], **kw: object) -> PlaceOrderRequest:
    return PlaceOrderRequest(
        customer="ACME",
        lines=[OrderLineRequest(sku=s, quantity=q) for s, q in lines],
        **kw,  # type: ignore[arg-type]
    )


def test_an_order_walks_the_whole_cycle_and_every_stage_is_stamped(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    placed = place_order(uow, order(("WIDGET", 10), ("GADGET", 2)))
    # 10 x 10.00 = 100.00 less 10 % = 90.00, tax 8 % = 7.20; 2 x 25.00 = 50.00 less 10 % = 45.00, tax 3.60
    assert placed.status == "open"
    assert placed.subtotal == Decimal("135.00")
    assert placed.tax_total == Decimal("10.80")
    assert [ln.allocated_at_entry for ln in placed.lines] == [10, 2]
    assert stock_level(engine, world["widget"]) == (100, 10)

    for step in (release_order, pick_order, pack_order):
        clock.advance(timedelta(hours=1))
        step(uow, placed.number)
    clock.advance(timedelta(hours=1))
    shipped = ship_order(uow, placed.number, ShipRequest(carrier="UPS", tracking_number="1Z999"))
    assert shipped.status == "shipped"
    assert stock_level(engine, world["widget"]) == (90, 0)
    assert stock_level(engine, world["gadget"]) == (1, 0)

    with engine.connect() as conn:
        invoice = conn.execute(select(invoices)).mappings().one()
        shipment_number = conn.execute(select(shipments.c.number)).scalar_one()
    assert invoice["subtotal"] + invoice["tax_total"] == Decimal("145.80")

    clock.advance(timedelta(days=2))
    delivered = deliver_shipment(uow, shipment_number, DeliverRequest(received_by="J. Doe"))
    assert delivered.status == "delivered"

    clock.advance(timedelta(days=40))
    aging = receivables_aging(uow)
    # issued on day 0, due on day 30, 42 days later it is 12 days past due
    assert [(row.customer_code, row.buckets["1-30"]) for row in aging] == [("ACME", Decimal("145.80"))]

    record_payment(uow, PaymentRequest(invoice=invoice["number"], amount=Decimal("100.00")))
    assert get_order(uow, placed.number).status == "delivered"
    record_payment(uow, PaymentRequest(invoice=invoice["number"], amount=Decimal("45.80")))
    final = get_order(uow, placed.number)
    assert final.status == "closed"
    assert all(
        final.stages[s] is not None
        for s in (
            "received_at",
            "released_at",
            "picked_at",
            "packed_at",
            "shipped_at",
            "delivered_at",
            "invoiced_at",
            "paid_at",
        )
    )
    assert final.stages["released_at"] < final.stages["shipped_at"] < final.stages["paid_at"]  # type: ignore[operator]
    with engine.connect() as conn:
        kinds = (
            conn.execute(select(events.c.event_type).where(events.c.entity_id == placed.number))
            .scalars()
            .all()
        )
    assert kinds[:2] == ["order.received", "order.reserved"]
    assert "order.closed" in kinds


def test_a_short_line_is_backordered_and_a_partial_shipment_leaves_it_open(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    placed = place_order(uow, order(("GADGET", 5)))
    line = placed.lines[0]
    assert (line.allocated_at_entry, line.backordered) == (3, 2)
    for step in (release_order, pick_order, pack_order):
        step(uow, placed.number)
    after = ship_order(uow, placed.number, ShipRequest(carrier="UPS", tracking_number="T1"))
    assert after.status == "partially_shipped"
    assert (after.lines[0].shipped, after.lines[0].backordered) == (3, 2)
    with pytest.raises(IllegalTransition):
        release_order(uow, placed.number)  # nothing reserved to release yet
    done = cancel_order(uow, placed.number)
    assert done.status == "shipped"
    assert (done.lines[0].shipped, done.lines[0].cancelled) == (3, 2)


def test_cancelling_before_shipment_releases_the_reservation(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    placed = place_order(uow, order(("WIDGET", 7)))
    release_order(uow, placed.number)
    assert stock_level(engine, world["widget"]) == (100, 7)
    cancelled = cancel_order(uow, placed.number)
    assert cancelled.status == "cancelled"
    assert stock_level(engine, world["widget"]) == (100, 0)
    with pytest.raises(IllegalTransition):
        pick_order(uow, placed.number)


def test_delivery_exceptions_record_short_and_damaged_quantities(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    placed = place_order(uow, order(("WIDGET", 10)))
    for step in (release_order, pick_order, pack_order):
        step(uow, placed.number)
    ship_order(uow, placed.number, ShipRequest(carrier="UPS", tracking_number="T2"))
    with engine.connect() as conn:
        shipment_number = conn.execute(select(shipments.c.number)).scalar_one()
    result = deliver_shipment(
        uow, shipment_number, DeliverRequest(exceptions=[DeliveryException(line_no=1, short=2, damaged=1)])
    )
    assert (result.lines[0].delivered, result.lines[0].damaged) == (8, 1)
    with pytest.raises(IllegalTransition):
        deliver_shipment(uow, shipment_number, DeliverRequest())


def test_cancelling_the_remainder_keeps_the_times_of_the_last_shipment_and_delivery(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    placed = place_order(uow, order(("GADGET", 5)))  # 3 in stock: 2 backordered
    for step in (release_order, pick_order, pack_order):
        step(uow, placed.number)
    ship_order(uow, placed.number, ShipRequest(carrier="UPS", tracking_number="T3"))
    shipped_at = clock.now()
    with engine.connect() as conn:
        shipment_number = conn.execute(select(shipments.c.number)).scalar_one()
    clock.advance(timedelta(days=1))
    deliver_shipment(uow, shipment_number, DeliverRequest())
    delivered_at = clock.now()
    clock.advance(timedelta(days=5))
    done = cancel_order(uow, placed.number)  # the customer gives up on the backorder
    assert done.status == "delivered"
    assert (done.stages["shipped_at"], done.stages["delivered_at"]) == (shipped_at, delivered_at)


def test_an_earlier_shipment_is_delivered_while_the_filled_backorder_is_back_in_the_warehouse(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    placed = place_order(uow, order(("GADGET", 5)))  # 3 in stock: 2 backordered
    for step in (release_order, pick_order, pack_order):
        step(uow, placed.number)
    ship_order(uow, placed.number, ShipRequest(carrier="UPS", tracking_number="T4"))
    with engine.connect() as conn:
        first = conn.execute(select(shipments.c.number)).scalar_one()
    clock.advance(timedelta(days=1))
    arrived = product_and_location(engine, world["gadget"])
    with uow:  # supply arrives and fills the backorder, as a receipt does
        uow.connection.execute(update(stock).where(stock.c.id == world["gadget"]).values(on_hand=2))
        assert allocate_arrivals(uow, [arrived], "receiving") == [placed.number]
        uow.commit()
    release_order(uow, placed.number)
    pick_order(uow, placed.number)

    clock.advance(timedelta(days=1))
    first_delivered_at = clock.now()
    picked = deliver_shipment(uow, first, DeliverRequest())

    assert picked.status == "picked"  # the 2 units of the filled backorder are still in the warehouse
    assert (picked.lines[0].delivered, picked.stages["delivered_at"]) == (3, None)
    pack_order(uow, placed.number)
    clock.advance(timedelta(hours=2))
    shipped_at = clock.now()
    ship_order(uow, placed.number, ShipRequest(carrier="UPS", tracking_number="T5"))
    with engine.connect() as conn:
        second = conn.execute(select(shipments.c.number).where(shipments.c.number != first)).scalar_one()
    clock.advance(timedelta(days=1))
    done = deliver_shipment(uow, second, DeliverRequest())
    assert done.status in ("delivered", "closed")
    assert done.lines[0].delivered == 5
    stages = done.stages
    assert (stages["shipped_at"], stages["delivered_at"]) == (shipped_at, clock.now())
    assert stages["released_at"] < stages["shipped_at"] < stages["delivered_at"]  # type: ignore[operator]
    assert first_delivered_at < stages["delivered_at"]  # type: ignore[operator]


def product_and_location(engine: Engine, stock_id: int) -> tuple[int, int]:
    with engine.connect() as conn:
        row = conn.execute(
            select(stock.c.product_id, stock.c.location_id).where(stock.c.id == stock_id)
        ).one()
    return int(row.product_id), int(row.location_id)


def test_a_shipment_weighs_its_shipped_units_at_their_product_weights(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    with engine.begin() as conn:
        conn.execute(update(products).where(products.c.sku == "WIDGET").values(weight_g=1250))
        conn.execute(update(products).where(products.c.sku == "GADGET").values(weight_g=340))
    placed = place_order(uow, order(("WIDGET", 10), ("GADGET", 2)))
    for step in (release_order, pick_order, pack_order):
        step(uow, placed.number)
    ship_order(uow, placed.number, ShipRequest(carrier="UPS", tracking_number="W1", quantities={1: 4, 2: 2}))
    ship_order(uow, placed.number, ShipRequest(carrier="UPS", tracking_number="W2"))

    with engine.connect() as conn:
        weights = conn.execute(select(shipments.c.weight_g).order_by(shipments.c.id)).scalars().all()
    # first: 4 widgets x 1250 g + 2 gadgets x 340 g = 5000 + 680 = 5680 g; second: 6 widgets x 1250 g = 7500 g
    assert weights == [5680, 7500]


def test_advancing_to_shipped_releases_picks_packs_and_ships_in_one_go(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    number = place_order(uow, order(("WIDGET", 4))).number

    shipped = advance_order(uow, number, "shipped", ShipRequest(carrier="UPS", tracking_number="1Z"))

    # 4 left the shelf: on hand 100 - 4 = 96, nothing reserved; one shipment, every stage on the way
    assert (shipped.status, shipped.lines[0].shipped) == ("shipped", 4)
    assert stock_level(engine, world["widget"]) == (96, 0)
    kinds = [e.event_type for e in _events(uow, number)]
    assert kinds[2:] == ["order.released", "order.picked", "order.packed", "order.shipped"]


def test_an_advance_whose_last_step_is_refused_leaves_the_order_as_it_was(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    number = place_order(uow, order(("WIDGET", 4))).number

    with pytest.raises(NotFound, match="carrier NOPE"):
        advance_order(uow, number, "shipped", ShipRequest(carrier="NOPE", tracking_number="1Z"))

    # release, pick and pack went with the refused shipment: still open, 4 reserved, no new events
    after = get_order(uow, number)
    assert (after.status, after.stages["released_at"], after.stages["packed_at"]) == ("open", None, None)
    assert stock_level(engine, world["widget"]) == (100, 4)
    assert [e.event_type for e in _events(uow, number)] == ["order.received", "order.reserved"]
    with engine.connect() as conn:
        assert conn.execute(select(shipments.c.id)).all() == []


def _events(uow: UnitOfWork, number: str) -> list[Any]:
    with uow:
        return list(uow.events.for_entity("order", number))
