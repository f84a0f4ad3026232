"""Credit memos for billing errors, service cases, NPS responses and expedites, on SQLite and
PostgreSQL: each a fact recorded once, with its timestamps, and bad input changing nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from o2c.domain.clock import ManualClock
from o2c.domain.errors import IllegalTransition, NotFound, ValidationFailed
from o2c.services.billing import PaymentRequest, receivables_aging, record_payment
from o2c.services.cases import open_case, resolve_case, respond_to_case
from o2c.services.credits import issue_credit_memo
from o2c.services.expediting import expedite_order
from o2c.services.fulfilment import (
    DeliverRequest,
    ShipRequest,
    deliver_shipment,
    pack_order,
    pick_order,
    release_order,
    ship_order,
)
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, get_order, place_order
from o2c.services.satisfaction import record_nps
from o2c.store.after_sale_tables import credit_memos, nps_responses, service_cases
from o2c.store.tables import events, invoices, orders, shipments
from o2c.store.uow import UnitOfWork
from tests.factories import add_carrier, add_customer, add_location, add_product, add_stock, set_rates


@pytest.fixture
def world(engine: Engine) -> None:
    """ACME with a credit limit of 200.00 and OTHER; 8 % tax, no discount; GADGET at 25.00."""
    add_customer(engine, "ACME", credit_limit=Decimal("200.00"))
    add_customer(engine, "OTHER")
    set_rates(engine, tax="0.08")
    add_stock(engine, add_product(engine, "GADGET", price="25.00"), add_location(engine), 50)
    add_carrier(engine, "UPS")


def shipped_order(uow: UnitOfWork, engine: Engine, quantity: int, deliver: bool = True) -> tuple[str, str]:
    """An ACME order for ``quantity`` GADGETs, shipped (and delivered); its number and invoice."""
    number = place_order(
        uow, PlaceOrderRequest(customer="ACME", lines=[OrderLineRequest(sku="GADGET", quantity=quantity)])
    ).number
    for step in (release_order, pick_order, pack_order):
        step(uow, number)
    ship_order(uow, number, ShipRequest(carrier="UPS", tracking_number="1Z"))
    with engine.connect() as conn:
        order_id = conn.execute(select(orders.c.id).where(orders.c.number == number)).scalar_one()
        invoice = conn.execute(select(invoices.c.number).where(invoices.c.order_id == order_id)).scalar_one()
        shipment = conn.execute(
            select(shipments.c.number).where(shipments.c.order_id == order_id)
        ).scalar_one()
    if deliver:
        deliver_shipment(uow, shipment, DeliverRequest())
    return number, invoice


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_billing_correction_lowers_what_the_customer_owes_and_frees_credit(
    uow: UnitOfWork, engine: Engine, world: None
) -> None:
    first, invoice = shipped_order(uow, engine, 6)  # 6 x 25.00 = 150.00 + 12.00 tax = 162.00
    second = place_order(
        uow, PlaceOrderRequest(customer="ACME", lines=[OrderLineRequest(sku="GADGET", quantity=2)])
    )
    assert second.status == "credit_hold"  # 162.00 + 54.00 > 200.00
    memo = issue_credit_memo(uow, invoice, Decimal("25.00"), "billing_error", actor="finance")
    # 25.00 at the invoice's 8 %: 2.00 tax, 27.00 in all, set against the open invoice.
    assert (memo.subtotal, memo.tax_total, memo.applied) == (
        Decimal("25.00"),
        Decimal("2.00"),
        Decimal("27.00"),
    )
    # Document numbers: PostgreSQL sequences run on across tests, so only the shape is fixed.
    assert re.fullmatch(r"CM-\d{8}", memo.number) and memo.reason == "billing_error" and memo.order == first
    assert [r.total for r in receivables_aging(uow)] == [Decimal("135.00")]
    with engine.connect() as conn:
        kinds = set(conn.execute(select(events.c.event_type).where(events.c.entity_id == invoice)).scalars())
    assert {"invoice.issued", "invoice.credited"} <= kinds and "invoice.paid" not in kinds
    third = place_order(
        uow, PlaceOrderRequest(customer="ACME", lines=[OrderLineRequest(sku="GADGET", quantity=2)])
    )
    assert third.status == "open"  # 135.00 + 54.00 <= 200.00
    # The customer pays the rest (162.00 - 27.00): the invoice is paid, the order closed.
    record_payment(uow, PaymentRequest(invoice=invoice, amount=Decimal("135.00")))
    assert get_order(uow, first).status == "closed"


def test_credits_never_exceed_what_the_invoice_billed_and_bad_ones_store_nothing(
    uow: UnitOfWork, engine: Engine, world: None
) -> None:
    _, invoice = shipped_order(uow, engine, 4)  # 100.00 + 8.00 tax
    issue_credit_memo(uow, invoice, Decimal("60.00"), "price_adjustment")
    with pytest.raises(ValidationFailed, match=r"exceeds the 40\.00"):
        issue_credit_memo(uow, invoice, Decimal("40.01"), "price_adjustment")
    for amount, reason in ((Decimal("0"), "billing_error"), (Decimal("5"), "return"), (Decimal("5"), "gift")):
        with pytest.raises(ValidationFailed):
            issue_credit_memo(uow, invoice, amount, reason)
    with pytest.raises(NotFound):
        issue_credit_memo(uow, "IN-99999999", Decimal("5.00"), "billing_error")
    assert count(engine, credit_memos) == 1
    # The last 40.00 settles the invoice: 64.80 + 43.20 = 108.00 credited, nothing left to pay.
    last = issue_credit_memo(uow, invoice, Decimal("40.00"), "service_recovery")
    assert (last.tax_total, last.applied) == (Decimal("3.20"), Decimal("43.20"))
    with engine.connect() as conn:
        row = conn.execute(select(invoices.c.status, invoices.c.amount_credited)).one()
    assert (row.status, row.amount_credited) == ("paid", Decimal("108.00"))
    assert receivables_aging(uow) == []


def test_a_credit_on_a_paid_invoice_stays_on_the_account(
    uow: UnitOfWork, engine: Engine, world: None
) -> None:
    _, invoice = shipped_order(uow, engine, 2)  # 50.00 + 4.00
    record_payment(uow, PaymentRequest(invoice=invoice, amount=Decimal("54.00")))
    memo = issue_credit_memo(uow, invoice, Decimal("10.00"), "service_recovery")
    assert (memo.applied, memo.unapplied) == (Decimal("0.00"), Decimal("10.80"))
    assert [(r.customer_code, r.buckets["current"]) for r in receivables_aging(uow)] == [
        ("ACME", Decimal("-10.80"))
    ]


def test_a_case_is_opened_answered_and_resolved_with_its_times(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: None
) -> None:
    order, _ = shipped_order(uow, engine, 1, deliver=False)
    opened = open_case(uow, "ACME", "delivery", "parcel late", order_number=order, priority="high")
    assert re.fullmatch(r"CS-\d{8}", opened.number)
    assert (opened.status, opened.order, opened.priority) == ("open", order, "high")
    clock.advance(timedelta(hours=3))
    responded = respond_to_case(uow, opened.number, actor="agent")
    clock.advance(timedelta(hours=21))
    resolved = resolve_case(uow, opened.number, "re-shipped", actor="agent")
    assert resolved.status == "resolved" and resolved.resolution == "re-shipped"
    assert responded.first_response_at is not None and resolved.resolved_at is not None
    assert responded.first_response_at - opened.opened_at == timedelta(hours=3)
    assert resolved.resolved_at - opened.opened_at == timedelta(hours=24)
    with pytest.raises(IllegalTransition):
        respond_to_case(uow, opened.number)
    with engine.connect() as conn:
        kinds = list(
            conn.execute(
                select(events.c.event_type).where(events.c.entity_id == opened.number).order_by(events.c.id)
            ).scalars()
        )
    assert kinds == ["case.opened", "case.responded", "case.resolved"]


def test_bad_cases_and_scores_are_refused_and_store_nothing(
    uow: UnitOfWork, engine: Engine, world: None
) -> None:
    order, _ = shipped_order(uow, engine, 1)
    refused = [
        lambda: open_case(uow, "ACME", "rant", "x"),
        lambda: open_case(uow, "ACME", "complaint", "  "),
        lambda: open_case(uow, "ACME", "complaint", "x", priority="asap"),
        lambda: open_case(uow, "NOBODY", "complaint", "x"),
        lambda: open_case(uow, "OTHER", "complaint", "x", order_number=order),  # not OTHER's order
        lambda: record_nps(uow, "ACME", 11),
        lambda: record_nps(uow, "ACME", -1),
        lambda: record_nps(uow, "OTHER", 5, order_number=order),
    ]
    for attempt in refused:
        with pytest.raises((ValidationFailed, NotFound)):
            attempt()
    with pytest.raises(NotFound):
        respond_to_case(uow, "CS-99999999")
    assert count(engine, service_cases) == 0 and count(engine, nps_responses) == 0


def test_nps_responses_are_recorded_per_customer_and_order(
    uow: UnitOfWork, engine: Engine, world: None
) -> None:
    order, _ = shipped_order(uow, engine, 1)
    first = record_nps(uow, "ACME", 9, order_number=order, comment="quick")
    record_nps(uow, "OTHER", 3)
    assert (first.customer, first.order, first.score) == ("ACME", order, 9)
    with engine.connect() as conn:
        rows = conn.execute(
            select(nps_responses.c.score, nps_responses.c.order_id.is_not(None)).order_by(nps_responses.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [(9, True), (3, False)]


def test_an_order_is_expedited_once_and_only_before_it_ships(
    uow: UnitOfWork, engine: Engine, clock: ManualClock, world: None
) -> None:
    number = place_order(
        uow, PlaceOrderRequest(customer="OTHER", lines=[OrderLineRequest(sku="GADGET", quantity=1)])
    ).number
    clock.advance(timedelta(minutes=30))
    expedite_order(uow, number, actor="sales")
    with pytest.raises(IllegalTransition, match="already expedited"):
        expedite_order(uow, number)
    with engine.connect() as conn:
        stamped = conn.execute(select(orders.c.expedited_at).where(orders.c.number == number)).scalar_one()
        expedites = conn.execute(
            select(func.count()).where(events.c.event_type == "order.expedited")
        ).scalar_one()
    assert stamped == clock.now() and expedites == 1
    shipped, _ = shipped_order(uow, engine, 1)
    with pytest.raises(IllegalTransition):
        expedite_order(uow, shipped)
