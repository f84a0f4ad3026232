"""Transfers between our own locations: ship from available stock only, receive in part, refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from o2c.domain.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from o2c.services import transfers
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.services.transfers import (
    ReceiveTransferRequest,
    ShipTransferRequest,
    TransferLineRequest,
    TransferReceiptLine,
    TransferRequest,
    cancel_transfer,
    create_transfer,
    get_transfer,
    receive_transfer,
    ship_transfer,
)
from o2c.store.master_tables import stock
from o2c.store.supply_tables import receipts, stockout_episodes
from o2c.store.tables import events
from o2c.store.uow import UnitOfWork
from tests.factories import add_customer, add_location, add_product, add_stock, set_rates, stock_level

ARRIVAL = date(2026, 3, 5)  # three days after the clock's start, 2026-03-02


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    add_customer(engine, "ACME")
    set_rates(engine)
    dc1, dc2 = add_location(engine, "DC1"), add_location(engine, "DC2", region="west")
    widget, gadget = add_product(engine, "WIDGET"), add_product(engine, "GADGET")
    return {
        "dc1": dc1,
        "dc2": dc2,
        "widget": widget,
        "gadget": gadget,
        "widget_dc1": add_stock(engine, widget, dc1, 100),
        "gadget_dc1": add_stock(engine, gadget, dc1, 10),
    }


@pytest.fixture
def arrivals(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []

    def allocate(uow: UnitOfWork, pairs: Any, actor: str) -> list[str]:
        calls.append((sorted(pairs), uow.connection.in_transaction()))
        return []

    monkeypatch.setattr(transfers, "allocate_arrivals", allocate)
    return calls


def transfer(*lines: tuple[str, int], source: str = "DC1", destination: str = "DC2") -> TransferRequest:
    return TransferRequest(
        from_location=source,
        to_location=destination,
        lines=[TransferLineRequest(sku=s, quantity=q) for s, q in lines],
    )


def reserve(uow: UnitOfWork, sku: str, quantity: int) -> None:
    place_order(uow, PlaceOrderRequest(customer="ACME", lines=[OrderLineRequest(sku=sku, quantity=quantity)]))


def on_hand_at(engine: Engine, product_id: int, location_id: int) -> int | None:
    with engine.connect() as conn:
        query = select(stock.c.on_hand).where(
            stock.c.product_id == product_id, stock.c.location_id == location_id
        )
        return conn.execute(query).scalar_one_or_none()


def test_a_transfer_ships_from_available_stock_and_is_received_in_two_parts_at_the_destination(
    uow: UnitOfWork, engine: Engine, world: dict[str, int], arrivals: list[Any]
) -> None:
    reserve(uow, "WIDGET", 30)  # DC1 widgets: 100 on hand, 30 reserved, 70 available
    created = create_transfer(uow, transfer(("WIDGET", 50), ("GADGET", 4)))
    assert (created.status, created.from_location, created.to_location) == ("open", "DC1", "DC2")
    assert stock_level(engine, world["widget_dc1"]) == (100, 30)  # nothing moves before shipping

    shipped = ship_transfer(uow, created.number, ShipTransferRequest(expected_date=ARRIVAL))
    assert (shipped.status, shipped.expected_date) == ("in_transit", ARRIVAL)
    # 100 - 50 = 50 on hand, the 30 reserved untouched; 10 - 4 = 6 gadgets
    assert stock_level(engine, world["widget_dc1"]) == (50, 30)
    assert stock_level(engine, world["gadget_dc1"]) == (6, 0)
    assert on_hand_at(engine, world["widget"], world["dc2"]) is None

    part = receive_transfer(
        uow, created.number, ReceiveTransferRequest(lines=[TransferReceiptLine(line_no=1, quantity=20)])
    )
    assert (part.source_status, part.location) == ("in_transit", "DC2")
    assert on_hand_at(engine, world["widget"], world["dc2"]) == 20  # the first arrival creates the row
    assert [(ln.line_no, ln.received, ln.accepted) for ln in part.lines] == [(1, 20, 20)]

    rest = receive_transfer(uow, created.number)  # everything still in transit: 30 widgets, 4 gadgets
    assert rest.source_status == "received"
    assert [(ln.sku, ln.received) for ln in rest.lines] == [("WIDGET", 30), ("GADGET", 4)]
    assert on_hand_at(engine, world["widget"], world["dc2"]) == 50
    assert on_hand_at(engine, world["gadget"], world["dc2"]) == 4
    done = get_transfer(uow, created.number)
    assert done.received_at is not None
    assert [(ln.quantity, ln.received) for ln in done.lines] == [(50, 50), (4, 4)]

    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(receipts)).scalar_one() == 2
        kinds = conn.execute(
            select(events.c.event_type).where(events.c.entity_id == created.number).order_by(events.c.id)
        ).scalars()
        assert list(kinds) == [
            "transfer.created",
            "transfer.shipped",
            "transfer.received",
            "transfer.received",
        ]
    # Backorders waiting at the destination were allocated after each receipt, in its transaction.
    assert arrivals == [
        ([(world["widget"], world["dc2"])], True),
        (sorted([(world["widget"], world["dc2"]), (world["gadget"], world["dc2"])]), True),
    ]


def test_shipping_a_transfer_never_takes_stock_reserved_for_customers(
    uow: UnitOfWork, engine: Engine, world: dict[str, int], arrivals: list[Any]
) -> None:
    reserve(uow, "WIDGET", 80)  # 100 on hand, 80 reserved: 20 available
    number = create_transfer(uow, transfer(("WIDGET", 30), ("GADGET", 11))).number
    with pytest.raises(
        ValidationFailed, match="WIDGET needs 30, 20 available; GADGET needs 11, 10 available"
    ):
        ship_transfer(uow, number, ShipTransferRequest(expected_date=ARRIVAL))
    assert get_transfer(uow, number).status == "open"
    assert stock_level(engine, world["widget_dc1"]) == (100, 80)
    assert stock_level(engine, world["gadget_dc1"]) == (10, 0)


def test_a_transfer_of_a_sku_the_source_does_not_hold_is_refused(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    number = create_transfer(uow, transfer(("WIDGET", 1), source="DC2", destination="DC1")).number
    with pytest.raises(ValidationFailed, match="WIDGET needs 1, 0 available"):
        ship_transfer(uow, number, ShipTransferRequest(expected_date=ARRIVAL))


def test_the_guarded_transfer_pick_says_how_much_is_available(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    reserve(uow, "WIDGET", 95)
    with uow, pytest.raises(Conflict, match="only 5 available"):
        uow.stock.pick_for_transfer(world["widget_dc1"], 6)
    assert stock_level(engine, world["widget_dc1"]) == (100, 95)


def test_illegal_transfer_steps_are_refused(
    uow: UnitOfWork, world: dict[str, int], arrivals: list[Any]
) -> None:
    number = create_transfer(uow, transfer(("WIDGET", 5))).number
    with pytest.raises(IllegalTransition, match="is open: cannot receive"):
        receive_transfer(uow, number)
    ship_transfer(uow, number, ShipTransferRequest(expected_date=ARRIVAL))
    with pytest.raises(IllegalTransition, match="is in_transit: cannot ship"):
        ship_transfer(uow, number, ShipTransferRequest(expected_date=ARRIVAL))
    with pytest.raises(IllegalTransition, match="is in_transit: cannot cancel"):
        cancel_transfer(uow, number)
    with pytest.raises(ValidationFailed, match="receiving 6 but only 5 in transit"):
        receive_transfer(
            uow, number, ReceiveTransferRequest(lines=[TransferReceiptLine(line_no=1, quantity=6)])
        )
    receive_transfer(uow, number)
    with pytest.raises(IllegalTransition, match="is received: cannot receive"):
        receive_transfer(uow, number)

    other = create_transfer(uow, transfer(("WIDGET", 5))).number
    assert cancel_transfer(uow, other).status == "cancelled"
    with pytest.raises(IllegalTransition, match="is cancelled: cannot ship"):
        ship_transfer(uow, other, ShipTransferRequest(expected_date=ARRIVAL))


def test_a_transfer_needs_two_known_locations_and_a_future_arrival(
    uow: UnitOfWork, world: dict[str, int]
) -> None:
    with pytest.raises(ValidationFailed, match="from DC1 to itself"):
        create_transfer(uow, transfer(("WIDGET", 5), destination="DC1"))
    with pytest.raises(NotFound, match="location NOWHERE"):
        create_transfer(uow, transfer(("WIDGET", 5), destination="NOWHERE"))
    number = create_transfer(uow, transfer(("WIDGET", 5))).number
    with pytest.raises(ValidationFailed, match="in the past"):
        ship_transfer(uow, number, ShipTransferRequest(expected_date=date(2026, 3, 1)))
    assert get_transfer(uow, number).status == "open"


def test_an_emptied_source_is_out_of_stock_and_the_receipt_fills_a_backorder_waiting_for_the_goods(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    number = create_transfer(uow, transfer(("GADGET", 10))).number
    ship_transfer(uow, number, ShipTransferRequest(expected_date=ARRIVAL))  # all 10 DC1 gadgets leave
    with engine.connect() as conn:
        open_episodes = conn.execute(
            select(stockout_episodes.c.id).where(
                stockout_episodes.c.product_id == world["gadget"],
                stockout_episodes.c.location_id == world["dc1"],
                stockout_episodes.c.ended_at.is_(None),
            )
        ).all()
    assert len(open_episodes) == 1

    add_customer(engine, "WESTCO", region="west")
    add_stock(engine, world["gadget"], world["dc2"], 1)
    request = PlaceOrderRequest(customer="WESTCO", lines=[OrderLineRequest(sku="GADGET", quantity=4)])
    placed = place_order(uow, request)
    # While the gadgets travel DC2 has the only one: the line is sourced there, 1 reserved, 3 backordered.
    assert (placed.lines[0].allocated, placed.lines[0].backordered) == (1, 3)

    result = receive_transfer(uow, number)
    assert result.allocated_orders == (placed.number,)
    with engine.connect() as conn:
        row = conn.execute(
            select(stock.c.on_hand, stock.c.allocated).where(
                stock.c.product_id == world["gadget"], stock.c.location_id == world["dc2"]
            )
        ).one()
    assert tuple(row) == (11, 4)  # 1 + 10 on hand at DC2; 1 + the 3 backordered now reserved
