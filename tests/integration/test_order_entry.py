"""Order entry: validation, credit check, reservation by backorder policy, timestamps, exact money.

Every test runs on SQLite and PostgreSQL (the ``engine`` fixture); expected amounts are worked out by
hand in the comments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from o2c.domain.clock import ManualClock
from o2c.domain.errors import IllegalTransition, ValidationFailed
from o2c.services.billing import PaymentRequest, record_payment
from o2c.services.fulfilment import (
    DeliverRequest,
    ShipRequest,
    cancel_order,
    deliver_shipment,
    pack_order,
    pick_order,
    release_credit_hold,
    release_order,
    ship_order,
)
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, get_order, place_order
from o2c.store.master_tables import ship_tos, stock
from o2c.store.tables import events, invoices, order_lines, orders, shipments
from o2c.store.uow import UnitOfWork
from tests.conftest import START
from tests.factories import (
    add_carrier,
    add_customer,
    add_location,
    add_product,
    add_stock,
    set_rates,
    stock_level,
)


def request(customer: str, *lines: tuple[str, int], **kw: Any) -> PlaceOrderRequest:
    return PlaceOrderRequest(
        customer=customer, lines=[OrderLineRequest(sku=s, quantity=q) for s, q in lines], **kw
    )


def footprint(engine: Engine) -> tuple[int, int, int, int]:
    """(orders, order lines, events, units allocated over all stock): what order entry can change."""
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(orders)).scalar_one(),
            conn.execute(select(func.count()).select_from(order_lines)).scalar_one(),
            conn.execute(select(func.count()).select_from(events)).scalar_one(),
            int(conn.execute(select(func.coalesce(func.sum(stock.c.allocated), 0))).scalar_one()),
        )


def event_types(engine: Engine, number: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(events.c.event_type).where(events.c.entity_id == number).order_by(events.c.id)
            ).scalars()
        )


def walk_to_shipped(uow: UnitOfWork, number: str) -> None:
    for step in (release_order, pick_order, pack_order):
        step(uow, number)
    ship_order(uow, number, ShipRequest(carrier="UPS", tracking_number=f"T-{number}"))


# --- validation ----------------------------------------------------------------------------------


@pytest.fixture
def catalogue(engine: Engine) -> dict[str, int]:
    add_customer(engine, "ACME")
    add_customer(engine, "GONE", active=False)
    other = add_customer(engine, "OTHER")
    with engine.begin() as conn:
        conn.execute(
            insert(ship_tos),
            {"customer_id": other, "code": "OTHERDOCK", "name": "Other's dock", "region": "east"},
        )
    loc = add_location(engine)
    widget = add_product(engine, "WIDGET")
    old = add_product(engine, "OLD", active=False)
    return {"widget": add_stock(engine, widget, loc, 50), "old": add_stock(engine, old, loc, 50)}


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (request("NOBODY", ("WIDGET", 1)), "customer"),
        (request("GONE", ("WIDGET", 1)), "customer"),
        (request("ACME", ("WIDGET", 1), ship_to="OTHERDOCK"), "ship_to"),
        (request("ACME", ("WIDGET", 1), ship_to="NOWHERE"), "ship_to"),
        (request("ACME", ("WIDGET", 1), ("NOPE", 1)), "lines[1].sku"),
        (request("ACME", ("OLD", 1)), "lines[0].sku"),
    ],
    ids=[
        "unknown customer",
        "inactive customer",
        "ship-to of another customer",
        "unknown ship-to",
        "unknown SKU",
        "inactive SKU",
    ],
)
def test_an_invalid_order_is_refused_with_the_offending_field_and_changes_nothing(
    uow: UnitOfWork, engine: Engine, catalogue: dict[str, int], bad: PlaceOrderRequest, field: str
) -> None:
    before = footprint(engine)
    with pytest.raises(ValidationFailed) as refused:
        place_order(uow, bad)
    assert refused.value.field == field
    assert footprint(engine) == before == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("lines", "location"),
    [
        ([{"sku": "WIDGET", "quantity": 0}], ("lines", 0, "quantity")),
        ([{"sku": "WIDGET", "quantity": -3}], ("lines", 0, "quantity")),
        ([{"sku": "WIDGET", "quantity": 1.5}], ("lines", 0, "quantity")),
        ([{"sku": "WIDGET", "quantity": 2.0}], ("lines", 0, "quantity")),
        ([{"sku": "WIDGET", "quantity": "2"}], ("lines", 0, "quantity")),
        ([{"sku": "WIDGET", "quantity": 1}, {"sku": "WIDGET", "quantity": True}], ("lines", 1, "quantity")),
        ([], ("lines",)),
    ],
    ids=["zero", "negative", "fraction", "float", "text", "boolean", "no lines"],
)
def test_a_quantity_that_is_not_a_positive_integer_or_an_empty_order_is_refused_before_entry(
    lines: list[dict[str, Any]], location: tuple[str | int, ...]
) -> None:
    with pytest.raises(ValidationError) as refused:
        PlaceOrderRequest.model_validate({"customer": "ACME", "lines": lines})
    assert [e["loc"] for e in refused.value.errors()] == [location]


# --- credit check --------------------------------------------------------------------------------

CREDIT_LIMIT = Decimal("550.00")


@pytest.fixture
def receivable(uow: UnitOfWork, engine: Engine) -> int:
    """Customer CRED (limit 550.00, tax 10 %) with one shipped, unpaid invoice of 220.00.

    20 x 10.00 = 200.00 net + 10 % tax 20.00 = 220.00 open receivables. Returns the stock id
    (on hand 100 - 20 shipped = 80, nothing allocated).
    """
    add_customer(engine, "CRED", credit_limit=CREDIT_LIMIT)
    set_rates(engine, discount="0", tax="0.10")
    add_carrier(engine, "UPS")
    stock_id = add_stock(engine, add_product(engine, "WIDGET", price="10.00"), add_location(engine), 100)
    first = place_order(uow, request("CRED", ("WIDGET", 20)))
    walk_to_shipped(uow, first.number)
    with engine.connect() as conn:
        assert conn.execute(select(invoices.c.subtotal, invoices.c.tax_total)).one() == (
            Decimal("200.00"),
            Decimal("20.00"),
        )
    assert stock_level(engine, stock_id) == (80, 0)
    return stock_id


def test_an_order_over_the_credit_limit_is_held_with_nothing_reserved(
    uow: UnitOfWork, engine: Engine, receivable: int
) -> None:
    # 31 x 10.00 = 310.00 + 31.00 tax = 341.00; 220.00 open + 341.00 = 561.00 > 550.00
    held = place_order(uow, request("CRED", ("WIDGET", 31)))
    assert held.status == "credit_hold"
    assert held.total == Decimal("341.00")
    assert [(ln.allocated_at_entry, ln.allocated, ln.backordered) for ln in held.lines] == [(0, 0, 0)]
    assert stock_level(engine, receivable) == (80, 0)
    assert event_types(engine, held.number) == ["order.received", "order.credit_held"]
    with engine.connect() as conn:
        payload = conn.execute(
            select(events.c.payload).where(
                events.c.entity_id == held.number, events.c.event_type == "order.credit_held"
            )
        ).scalar_one()
    assert payload == {"open_receivables": "220.00", "order_total": "341.00", "credit_limit": "550.00"}


def test_an_order_that_reaches_the_credit_limit_exactly_passes(
    uow: UnitOfWork, engine: Engine, receivable: int
) -> None:
    # 30 x 10.00 = 300.00 + 30.00 tax = 330.00; 220.00 + 330.00 = 550.00, not over the limit
    placed = place_order(uow, request("CRED", ("WIDGET", 30)))
    assert placed.status == "open"
    assert placed.lines[0].allocated_at_entry == 30
    assert stock_level(engine, receivable) == (80, 30)


def test_a_payment_lowers_the_receivables_the_credit_check_counts(
    uow: UnitOfWork, engine: Engine, receivable: int
) -> None:
    with engine.connect() as conn:
        invoice = conn.execute(select(invoices.c.number)).scalar_one()
    record_payment(uow, PaymentRequest(invoice=invoice, amount=Decimal("11.00")))
    # 220.00 - 11.00 paid = 209.00 open; + 341.00 = 550.00: the order held above now passes
    placed = place_order(uow, request("CRED", ("WIDGET", 31)))
    assert placed.status == "open"


def test_releasing_a_credit_hold_reserves_the_order_and_opens_it(
    uow: UnitOfWork, engine: Engine, receivable: int
) -> None:
    held = place_order(uow, request("CRED", ("WIDGET", 31)))
    released = release_credit_hold(uow, held.number, "finance.jane")
    assert released.status == "open"
    assert (released.lines[0].allocated, released.lines[0].backordered) == (31, 0)
    assert stock_level(engine, receivable) == (80, 31)
    assert event_types(engine, held.number) == [
        "order.received",
        "order.credit_held",
        "order.credit_released",
        "order.reserved",
    ]
    assert release_order(uow, held.number).status == "released"


def test_a_credit_held_order_can_be_cancelled_but_not_released_or_picked(
    uow: UnitOfWork, engine: Engine, receivable: int
) -> None:
    held = place_order(uow, request("CRED", ("WIDGET", 40)))
    with pytest.raises(IllegalTransition):
        release_order(uow, held.number)
    with pytest.raises(IllegalTransition):
        pick_order(uow, held.number)
    assert get_order(uow, held.number).status == "credit_hold"
    cancelled = cancel_order(uow, held.number)
    assert cancelled.status == "cancelled"
    assert (cancelled.lines[0].cancelled, cancelled.lines[0].allocated) == (40, 0)
    assert stock_level(engine, receivable) == (80, 0)
    with pytest.raises(IllegalTransition):
        release_credit_hold(uow, held.number, "finance.jane")


# --- reservation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "backordered", "lost", "releasable"),
    [
        ("allow_partial", 2, 0, True),
        ("ship_complete", 2, 0, False),
        ("cancel_remainder", 0, 2, True),
    ],
)
def test_a_short_line_follows_the_customers_backorder_policy(
    uow: UnitOfWork, engine: Engine, policy: str, backordered: int, lost: int, releasable: bool
) -> None:
    add_customer(engine, "CUST", backorder_policy=policy)
    gadget = add_stock(engine, add_product(engine, "GADGET"), add_location(engine), 3)
    # 5 ordered, 3 on hand: 3 are reserved whatever the policy, the other 2 are backordered or lost
    placed = place_order(uow, request("CUST", ("GADGET", 5)))
    line = placed.lines[0]
    assert (line.allocated_at_entry, line.allocated, line.backordered, line.lost) == (3, 3, backordered, lost)
    assert placed.backorder_policy == policy
    assert stock_level(engine, gadget) == (3, 3)
    if releasable:
        assert release_order(uow, placed.number).status == "released"
    else:
        with pytest.raises(IllegalTransition, match="ships complete"):
            release_order(uow, placed.number)
        assert get_order(uow, placed.number).status == "open"


def test_two_lines_of_the_same_sku_draw_on_the_same_availability(uow: UnitOfWork, engine: Engine) -> None:
    add_customer(engine, "ACME")
    widget = add_stock(engine, add_product(engine, "WIDGET"), add_location(engine), 5)
    placed = place_order(uow, request("ACME", ("WIDGET", 3), ("WIDGET", 4)))
    # 5 on hand: line 1 takes 3, line 2 gets the remaining 2 and backorders 2
    assert [(ln.allocated_at_entry, ln.backordered) for ln in placed.lines] == [(3, 0), (2, 2)]
    assert stock_level(engine, widget) == (5, 5)


def test_a_line_is_sourced_in_the_ship_to_region_unless_that_region_cannot_cover_it(
    uow: UnitOfWork, engine: Engine
) -> None:
    add_customer(engine, "ACME", region="east")
    widget = add_product(engine, "WIDGET")
    west = add_stock(engine, widget, add_location(engine, "DC-WEST", "west"), 20)
    east = add_stock(engine, widget, add_location(engine, "DC-EAST", "east"), 5)
    place_order(uow, request("ACME", ("WIDGET", 4)))
    # the east DC covers 4 of its 5, though the west DC holds more
    assert (stock_level(engine, east), stock_level(engine, west)) == ((5, 4), (20, 0))
    second = place_order(uow, request("ACME", ("WIDGET", 4)))
    # 1 left in the east cannot cover 4: the whole line goes to the west
    assert (stock_level(engine, east), stock_level(engine, west)) == ((5, 4), (20, 4))
    assert second.lines[0].allocated_at_entry == 4
    with engine.connect() as conn:
        locations_used = conn.execute(select(order_lines.c.location_id).order_by(order_lines.c.id)).scalars()
        sourced = [
            conn.execute(select(stock.c.id).where(stock.c.location_id == loc)).scalar_one()
            for loc in locations_used
        ]
    assert sourced == [east, west]


# --- facts ---------------------------------------------------------------------------------------


def test_stage_timestamps_come_from_the_clock_and_the_customers_dates_are_stored(
    uow: UnitOfWork, engine: Engine, clock: ManualClock
) -> None:
    add_customer(engine, "ACME")
    add_carrier(engine, "UPS")
    add_stock(engine, add_product(engine, "WIDGET"), add_location(engine), 10)
    assert clock.now() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # START, the instant of entry
    sent = datetime(2026, 3, 1, 22, 15, tzinfo=timezone(timedelta(hours=-5)))  # = 03:15 UTC on 2 March
    placed = place_order(
        uow, request("ACME", ("WIDGET", 2), customer_sent_at=sent, requested_date=date(2026, 3, 9))
    )
    clock.advance(timedelta(hours=2))
    release_order(uow, placed.number)
    clock.advance(timedelta(minutes=30))
    pick_order(uow, placed.number)
    clock.advance(timedelta(minutes=15))
    pack_order(uow, placed.number)
    clock.advance(timedelta(hours=1))
    ship_order(uow, placed.number, ShipRequest(carrier="UPS", tracking_number="1Z1"))
    with engine.connect() as conn:
        shipment = conn.execute(select(shipments.c.number)).scalar_one()
    clock.advance(timedelta(days=2))
    deliver_shipment(uow, shipment, DeliverRequest())

    stages = get_order(uow, placed.number).stages
    assert stages == {
        "customer_sent_at": datetime(2026, 3, 2, 3, 15, tzinfo=UTC),
        "received_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "released_at": datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
        "picked_at": datetime(2026, 3, 2, 11, 30, tzinfo=UTC),
        "packed_at": datetime(2026, 3, 2, 11, 45, tzinfo=UTC),
        "shipped_at": datetime(2026, 3, 2, 12, 45, tzinfo=UTC),
        "invoiced_at": datetime(2026, 3, 2, 12, 45, tzinfo=UTC),
        "delivered_at": datetime(2026, 3, 4, 12, 45, tzinfo=UTC),
        "paid_at": None,
        "cancelled_at": None,
    }
    with engine.connect() as conn:
        row = conn.execute(
            select(orders.c.requested_date, orders.c.customer_sent_at, orders.c.received_at)
        ).one()
    assert row == (date(2026, 3, 9), sent, START)


def test_the_event_log_refuses_update_and_delete(uow: UnitOfWork, engine: Engine) -> None:
    add_customer(engine, "ACME")
    add_stock(engine, add_product(engine, "WIDGET"), add_location(engine), 10)
    placed = place_order(uow, request("ACME", ("WIDGET", 1)))
    with engine.connect() as conn:
        before = conn.execute(select(events).order_by(events.c.id)).all()
    assert [r.event_type for r in before] == ["order.received", "order.reserved"]

    for statement in (update(events).values(actor="mallory"), delete(events)):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    with engine.connect() as conn:
        assert conn.execute(select(events).order_by(events.c.id)).all() == before
    assert event_types(engine, placed.number) == ["order.received", "order.reserved"]


def test_ten_lines_of_ten_cents_add_up_to_exactly_one_dollar(uow: UnitOfWork, engine: Engine) -> None:
    add_customer(engine, "ACME")  # no discount or tax configured: net = gross
    add_stock(engine, add_product(engine, "DIME", price="0.10"), add_location(engine), 100)
    placed = place_order(uow, request("ACME", *[("DIME", 1)] * 10))
    assert placed.total == Decimal("1.00")
    with engine.connect() as conn:
        assert conn.execute(select(orders.c.subtotal, orders.c.tax_total)).one() == (
            Decimal("1.00"),
            Decimal("0.00"),
        )
        assert conn.execute(select(func.sum(order_lines.c.net_amount))).scalar_one() == Decimal("1.00")
        # stored as integer cents, so the database's own SUM is exact (floats would give 0.9999999999999999)
        assert conn.execute(text("SELECT SUM(net_amount) FROM order_lines")).scalar_one() == 100
