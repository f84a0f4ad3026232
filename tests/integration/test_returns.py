"""After sale on SQLite and PostgreSQL: a wrong item delivered, returned, restocked to another
customer's backorder, and credited against the invoice, so that receivables go down."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from o2c.domain.clock import ManualClock
from o2c.domain.errors import IllegalTransition, NotFound, ValidationFailed
from o2c.services.billing import PaymentRequest, receivables_aging, record_payment
from o2c.services.fulfilment import (
    DeliverRequest,
    DeliveryException,
    ShipRequest,
    deliver_shipment,
    pack_order,
    pick_order,
    release_order,
    ship_order,
)
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, get_order, place_order
from o2c.services.returns import authorise_return, credit_return, receive_return, reject_return
from o2c.store.after_sale_tables import credit_memos, return_lines, returns
from o2c.store.tables import events, invoices, order_lines, orders, shipment_lines, shipments
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
    """ACME (tier 3) and GOLD (tier 1); 10 % discount, 8 % tax; all 10 WIDGETs on hand at DC1."""
    add_customer(engine, "ACME", tier=3)
    add_customer(engine, "GOLD", tier=1)
    set_rates(engine, discount="0.10", tax="0.08")
    loc = add_location(engine)
    widget = add_product(engine, "WIDGET", price="10.00")
    gadget = add_product(engine, "GADGET", price="25.00")
    add_carrier(engine, "UPS")
    return {"widget": add_stock(engine, widget, loc, 10), "gadget": add_stock(engine, gadget, loc, 5)}


def place(uow: UnitOfWork, customer: str, *lines: tuple[str, int]) -> str:
    request = PlaceOrderRequest(
        customer=customer, lines=[OrderLineRequest(sku=s, quantity=q) for s, q in lines]
    )
    return place_order(uow, request).number


def ship_and_deliver(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, number: str, *exceptions: DeliveryException
) -> str:
    for step in (release_order, pick_order, pack_order):
        step(uow, number)
    ship_order(uow, number, ShipRequest(carrier="UPS", tracking_number="1Z1"))
    with engine.connect() as conn:
        shipment = conn.execute(select(func.max(shipment_lines.c.shipment_id))).scalar_one()
        shipment_number = conn.execute(
            select(shipments.c.number).where(shipments.c.id == shipment)
        ).scalar_one()
    clock.advance(timedelta(days=2))
    deliver_shipment(uow, shipment_number, DeliverRequest(exceptions=list(exceptions)))
    return str(shipment_number)


def invoice_of(engine: Engine, order_number: str) -> dict[str, object]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                select(invoices)
                .join(orders, orders.c.id == invoices.c.order_id)
                .where(orders.c.number == order_number)
            )
            .mappings()
            .one()
        )


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_wrong_item_comes_back_fills_another_customers_backorder_and_is_credited(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    acme = place(uow, "ACME", ("WIDGET", 10), ("GADGET", 2))
    ship_and_deliver(uow, engine, clock, acme, DeliveryException(line_no=1, wrong_item=2))
    gold = place(uow, "GOLD", ("WIDGET", 3))  # nothing left: all 3 backordered
    assert get_order(uow, gold).lines[0].backordered == 3
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(shipment_lines.c.qty_wrong_item))).scalar_one() == 2
        line = conn.execute(
            select(order_lines).where(order_lines.c.line_no == 1).order_by(order_lines.c.id)
        ).first()
    assert line is not None and (line.qty_delivered, line.qty_wrong_item) == (10, 2)

    clock.advance(timedelta(days=1))
    rma = authorise_return(uow, acme, {1: 2}, "wrong_item", actor="agent")
    assert re.fullmatch(r"RMA-\d{8}", rma.number) and rma.status == "authorised"
    clock.advance(timedelta(days=3))
    received = receive_return(uow, rma.number, "restock")
    assert received.status == "received"
    assert received.lines[0].received == 2 and received.lines[0].disposition == "restock"
    # The 2 units went back on hand and straight to GOLD's backorder (tier 1).
    assert received.backorders_allocated == (gold,)
    assert stock_level(engine, world["widget"]) == (2, 2)
    gold_line = get_order(uow, gold).lines[0]
    assert (gold_line.allocated, gold_line.backordered) == (2, 1)

    memo = credit_return(uow, rma.number)
    # Line 1: 10 x 10.00 less 10 % = 90.00 net, 7.20 tax; 2 of its 10 units: 18.00 + 1.44 = 19.44.
    assert (memo.subtotal, memo.tax_total, memo.total) == (
        Decimal("18.00"),
        Decimal("1.44"),
        Decimal("19.44"),
    )
    assert (memo.applied, memo.unapplied) == (Decimal("19.44"), Decimal("0.00"))
    assert memo.reason == "return" and memo.return_number == rma.number
    invoice = invoice_of(engine, acme)
    assert invoice["amount_credited"] == Decimal("19.44")
    # The invoice billed 90.00 + 45.00 + tax 10.80 = 145.80; open now 145.80 - 19.44 = 126.36.
    aging = receivables_aging(uow)
    assert [(r.customer_code, r.total) for r in aging] == [("ACME", Decimal("126.36"))]

    with pytest.raises(ValidationFailed):
        record_payment(uow, PaymentRequest(invoice=str(invoice["number"]), amount=Decimal("145.80")))
    record_payment(uow, PaymentRequest(invoice=str(invoice["number"]), amount=Decimal("126.36")))
    assert get_order(uow, acme).status == "closed"
    assert receivables_aging(uow) == []
    with engine.connect() as conn:
        kinds = set(
            conn.execute(select(events.c.event_type).where(events.c.entity_id == rma.number)).scalars()
        )
        status = conn.execute(select(returns.c.status)).scalar_one()
    assert kinds == {"return.authorised", "return.received", "return.credited"}
    assert status == "credited"


def test_a_return_cannot_exceed_what_was_delivered_less_what_is_already_returned(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    acme = place(uow, "ACME", ("WIDGET", 10))
    ship_and_deliver(uow, engine, clock, acme, DeliveryException(line_no=1, short=4))  # 6 delivered
    authorise_return(uow, acme, {1: 4}, "damaged")
    with pytest.raises(ValidationFailed, match="cannot return 3, 6 delivered and 4 already returned"):
        authorise_return(uow, acme, {1: 3}, "not_wanted")
    assert count(engine, returns) == 1 and count(engine, return_lines) == 1
    second = authorise_return(uow, acme, {1: 2}, "not_wanted")
    reject_return(uow, second.number)  # a rejected return frees its units again
    again = authorise_return(uow, acme, {1: 2}, "other")
    assert again.lines[0].quantity == 2
    for bad, reason in (({9: 1}, "damaged"), ({1: 0}, "damaged"), ({}, "damaged"), ({1: 1}, "lost")):
        with pytest.raises(ValidationFailed):
            authorise_return(uow, acme, bad, reason)
    with pytest.raises(NotFound):
        authorise_return(uow, "SO-99999999", {1: 1}, "damaged")
    assert count(engine, returns) == 3


def test_a_partly_received_return_credits_only_what_came_back_and_scrap_stays_off_stock(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    acme = place(uow, "ACME", ("WIDGET", 10), ("GADGET", 2))
    ship_and_deliver(uow, engine, clock, acme)
    rma = authorise_return(uow, acme, {1: 5, 2: 1}, "defective")
    with pytest.raises(IllegalTransition):
        credit_return(uow, rma.number)  # nothing received yet
    with pytest.raises(ValidationFailed):
        receive_return(uow, rma.number, "scrap", received={1: 6})  # more than authorised
    with pytest.raises(ValidationFailed):
        receive_return(uow, rma.number, "scrap", received={1: 0})  # nothing came back
    received = receive_return(uow, rma.number, "scrap", received={1: 3, 2: 1}, dispositions={2: "refurbish"})
    assert [(ln.received, ln.disposition) for ln in received.lines] == [(3, "scrap"), (1, "refurbish")]
    assert stock_level(engine, world["widget"]) == (0, 0)  # scrapped: not back on hand
    assert stock_level(engine, world["gadget"]) == (3, 0)  # refurbished: not on hand yet either
    memo = credit_return(uow, rma.number)
    # WIDGET 3 of 10 units of 90.00 + 7.20 = 27.00 + 2.16; GADGET 1 of 2 units of 45.00 + 3.60 = 22.50 + 1.80
    assert (memo.subtotal, memo.tax_total) == (Decimal("49.50"), Decimal("3.96"))
    with pytest.raises(IllegalTransition):
        credit_return(uow, rma.number)  # credited once only
    assert count(engine, credit_memos) == 1


def test_a_return_of_a_paid_invoice_leaves_credit_on_the_account(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    acme = place(uow, "ACME", ("GADGET", 2))
    ship_and_deliver(uow, engine, clock, acme)
    invoice = invoice_of(engine, acme)
    record_payment(uow, PaymentRequest(invoice=str(invoice["number"]), amount=Decimal("48.60")))
    rma = authorise_return(uow, acme, {1: 2}, "not_wanted")
    receive_return(uow, rma.number, "restock")
    memo = credit_return(uow, rma.number)
    # 2 x 25.00 less 10 % = 45.00 + 3.60 tax: all of it unapplied, the invoice is paid already.
    assert (memo.total, memo.applied, memo.unapplied) == (Decimal("48.60"), Decimal("0.00"), Decimal("48.60"))
    assert invoice_of(engine, acme)["amount_credited"] == Decimal("0.00")
    aging = receivables_aging(uow)
    assert [(r.customer_code, r.buckets["current"], r.total) for r in aging] == [
        ("ACME", Decimal("-48.60"), Decimal("-48.60"))
    ]
    assert stock_level(engine, world["gadget"]) == (5, 0)  # both back on hand


def test_a_delivery_cannot_report_more_exceptions_than_shipped(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: dict[str, int]
) -> None:
    acme = place(uow, "ACME", ("WIDGET", 5))
    with pytest.raises(ValidationFailed, match="wrong item 3 exceed the 5 shipped"):
        ship_and_deliver(uow, engine, clock, acme, DeliveryException(line_no=1, damaged=3, wrong_item=3))
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(shipment_lines.c.qty_wrong_item))).scalar_one() == 0
    assert get_order(uow, acme).status == "shipped"
