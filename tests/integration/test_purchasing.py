"""Purchase orders end to end: create, shipping notice, receipts with inspection, put-away, refusals."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from sqlalchemy import Engine, func, select

from o2c.domain.clock import ManualClock
from o2c.domain.errors import IllegalTransition, NotFound, ValidationFailed
from o2c.services import purchasing, receiving
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, get_order, place_order
from o2c.services.purchasing import (
    PurchaseOrderLineRequest,
    PurchaseOrderRequest,
    ShipmentNoticeLine,
    ShipmentNoticeRequest,
    cancel_purchase_order,
    close_purchase_order,
    create_purchase_order,
    get_purchase_order,
    notify_shipment,
    reschedule_purchase_order_line,
)
from o2c.services.receiving import ReceiptLineRequest, ReceiveRequest, receive_purchase_order
from o2c.store.database import create_db_engine
from o2c.store.master_tables import stock
from o2c.store.supply_tables import advance_shipping_notices, receipt_lines, receipts
from o2c.store.tables import events
from o2c.store.uow import UnitOfWork
from tests.factories import (
    add_customer,
    add_location,
    add_product,
    add_stock,
    add_supplier,
    set_rates,
    stock_level,
)

PROMISED = date(2026, 3, 16)  # two weeks after the clock's start, 2026-03-02


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    add_supplier(engine, "ACME-SUPPLY")
    dc1 = add_location(engine, "DC1")
    widget = add_product(engine, "WIDGET")
    gadget = add_product(engine, "GADGET")
    return {
        "dc1": dc1,
        "widget": widget,
        "gadget": gadget,
        "widget_stock": add_stock(engine, widget, dc1, 100),
    }


@pytest.fixture
def seams(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Record the calls to the backorder and promising seams, and that they run inside the transaction."""
    calls: dict[str, list[Any]] = {"allocate": [], "repromise": [], "new_supply": []}

    def allocate(uow: UnitOfWork, arrivals: Any, actor: str) -> list[str]:
        calls["allocate"].append((sorted(arrivals), uow.connection.in_transaction()))
        return ["SO-ALLOCATED"]

    def repromise(uow: UnitOfWork, product_id: int, location_id: int, actor: str) -> list[str]:
        calls["repromise"].append(((product_id, location_id), uow.connection.in_transaction()))
        return ["SO-AT-RISK"]

    def promise_new_supply(uow: UnitOfWork, product_id: int, location_id: int, actor: str) -> list[str]:
        calls["new_supply"].append(((product_id, location_id), uow.connection.in_transaction()))
        return []

    monkeypatch.setattr(receiving, "allocate_arrivals", allocate)
    monkeypatch.setattr(purchasing, "repromise", repromise)
    monkeypatch.setattr(purchasing, "promise_new_supply", promise_new_supply)
    return calls


def po(*lines: tuple[str, int], cost: str = "4.2500") -> PurchaseOrderRequest:
    return PurchaseOrderRequest(
        supplier="ACME-SUPPLY",
        location="DC1",
        lines=[
            PurchaseOrderLineRequest(sku=s, quantity=q, unit_cost=Decimal(cost), promised_date=PROMISED)
            for s, q in lines
        ],
    )


def receipt(*lines: tuple[int, int] | tuple[int, int, int, str]) -> ReceiveRequest:
    return ReceiveRequest(
        lines=[
            ReceiptLineRequest(line_no=ln[0], received=ln[1], rejected=ln[2], reason=ln[3])
            if len(ln) == 4
            else ReceiptLineRequest(line_no=ln[0], received=ln[1])
            for ln in lines
        ]
    )


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def event_types(engine: Engine, entity_id: str) -> list[str]:
    with engine.connect() as conn:
        query = select(events.c.event_type).where(events.c.entity_id == entity_id).order_by(events.c.id)
        return list(conn.execute(query).scalars())


def test_a_purchase_order_is_notified_received_in_part_with_a_rejection_and_closed_by_the_second_receipt(
    uow: UnitOfWork, engine: Engine, world: dict[str, int], seams: dict[str, list[Any]]
) -> None:
    created = create_purchase_order(uow, po(("WIDGET", 100), ("GADGET", 20)))
    assert created.status == "open"
    assert [(ln.sku, ln.ordered, ln.unit_cost, ln.expected_date) for ln in created.lines] == [
        ("WIDGET", 100, Decimal("4.2500"), PROMISED),
        ("GADGET", 20, Decimal("4.2500"), PROMISED),
    ]

    # The supplier ships 60 widgets early: line 1 is now expected on the 13th, line 2 still on the 16th.
    notice = notify_shipment(
        uow,
        created.number,
        ShipmentNoticeRequest(
            expected_date=date(2026, 3, 13),
            reference="DN-778",
            lines=[ShipmentNoticeLine(line_no=1, quantity=60)],
        ),
    )
    assert notice.lines == ((1, "WIDGET", 60),)
    after_notice = get_purchase_order(uow, created.number)
    assert [ln.expected_date for ln in after_notice.lines] == [date(2026, 3, 13), PROMISED]
    assert [ln.promised_date for ln in after_notice.lines] == [PROMISED, PROMISED]
    assert count(engine, advance_shipping_notices) == 1

    # 60 arrive, 10 of them crushed: 50 accepted, on hand 100 + 50 = 150; 100 - 60 = 40 outstanding.
    first = receive_purchase_order(uow, created.number, receipt((1, 60, 10, "crushed cartons")))
    assert first.source_status == "open"
    assert [(ln.received, ln.accepted, ln.rejected, ln.reason) for ln in first.lines] == [
        (60, 50, 10, "crushed cartons")
    ]
    assert stock_level(engine, world["widget_stock"]) == (150, 0)
    line = get_purchase_order(uow, created.number).lines[0]
    assert (line.received, line.accepted, line.rejected, line.outstanding) == (60, 50, 10, 40)

    # The remaining 40 widgets and all 20 gadgets: every line fully received, the order closes.
    # Gadgets had no stock row at DC1: put-away creates it with on hand 20.
    second = receive_purchase_order(uow, created.number, receipt((1, 40), (2, 20)))
    assert second.source_status == "closed"
    assert stock_level(engine, world["widget_stock"]) == (190, 0)
    with engine.connect() as conn:
        gadget_on_hand = conn.execute(select(stock.c.on_hand).where(stock.c.product_id == world["gadget"]))
        assert gadget_on_hand.scalar_one() == 20
    closed = get_purchase_order(uow, created.number)
    assert closed.closed_at is not None
    assert [(ln.received, ln.accepted, ln.rejected, ln.outstanding) for ln in closed.lines] == [
        (100, 90, 10, 0),
        (20, 20, 0, 0),
    ]
    assert (count(engine, receipts), count(engine, receipt_lines)) == (2, 3)
    assert event_types(engine, created.number) == [
        "purchase_order.created",
        "purchase_order.shipment_notified",
        "purchase_order.received",
        "purchase_order.received",
        "purchase_order.closed",
    ]
    assert event_types(engine, "WIDGET@DC1") == ["stock.received", "stock.received"]

    # Each receipt allocated backorders of what arrived, inside its own transaction.
    assert seams["allocate"] == [
        ([(world["widget"], world["dc1"])], True),
        (sorted([(world["widget"], world["dc1"]), (world["gadget"], world["dc1"])]), True),
    ]
    assert first.allocated_orders == ("SO-ALLOCATED",)
    # New supply of both SKUs (in product id order), then widgets brought forward by the notice.
    assert seams["new_supply"] == [
        ((world["widget"], world["dc1"]), True),
        ((world["gadget"], world["dc1"]), True),
        ((world["widget"], world["dc1"]), True),
    ]
    # 10 rejected widgets will not come: what counted on them is re-promised.
    assert seams["repromise"] == [((world["widget"], world["dc1"]), True)]
    assert first.at_risk_orders == ("SO-AT-RISK",)


def test_over_receipt_within_the_tolerance_is_accepted_and_beyond_it_is_refused_with_nothing_written(
    uow: UnitOfWork, engine: Engine, world: dict[str, int], seams: dict[str, list[Any]]
) -> None:
    number = create_purchase_order(uow, po(("WIDGET", 100))).number
    # 5 % of 100: at most floor(105) = 105 may be received, counted over all receipts.
    receive_purchase_order(uow, number, receipt((1, 60)))
    with pytest.raises(ValidationFailed, match="at most 105") as refused:
        receive_purchase_order(uow, number, receipt((1, 46)))  # 60 + 46 = 106 > 105
    assert refused.value.context["max_receivable"] == 105

    assert stock_level(engine, world["widget_stock"]) == (160, 0)
    assert count(engine, receipts) == 1
    assert get_purchase_order(uow, number).lines[0].received == 60
    assert event_types(engine, number).count("purchase_order.received") == 1
    assert len(seams["allocate"]) == 1

    done = receive_purchase_order(uow, number, receipt((1, 45)))  # 60 + 45 = 105: within tolerance
    assert done.source_status == "closed"
    assert stock_level(engine, world["widget_stock"]) == (205, 0)


def test_the_over_receipt_tolerance_is_configurable(
    uow: UnitOfWork, world: dict[str, int], seams: dict[str, list[Any]]
) -> None:
    number = create_purchase_order(uow, po(("WIDGET", 40))).number
    with pytest.raises(ValidationFailed, match="at most 40"):
        receive_purchase_order(uow, number, receipt((1, 41)), tolerance=Decimal("0"))
    # 10 % of 40: floor(44) = 44
    assert (
        receive_purchase_order(uow, number, receipt((1, 44)), tolerance=Decimal("0.10")).source_status
        == "closed"
    )


def test_a_receipt_against_a_closed_or_cancelled_purchase_order_is_refused(
    uow: UnitOfWork, engine: Engine, world: dict[str, int], seams: dict[str, list[Any]]
) -> None:
    closed = create_purchase_order(uow, po(("WIDGET", 10))).number
    receive_purchase_order(uow, closed, receipt((1, 4)))
    summary = close_purchase_order(uow, closed)
    assert summary.status == "closed"
    # closing by hand drops 6 outstanding widgets: the SKU is re-promised
    assert seams["repromise"] == [((world["widget"], world["dc1"]), True)]
    with pytest.raises(IllegalTransition, match="is closed: cannot receive"):
        receive_purchase_order(uow, closed, receipt((1, 6)))

    cancelled = create_purchase_order(uow, po(("WIDGET", 10))).number
    assert cancel_purchase_order(uow, cancelled).status == "cancelled"
    with pytest.raises(IllegalTransition, match="is cancelled: cannot receive"):
        receive_purchase_order(uow, cancelled, receipt((1, 1)))
    with pytest.raises(IllegalTransition):
        notify_shipment(
            uow,
            cancelled,
            ShipmentNoticeRequest(expected_date=PROMISED, lines=[ShipmentNoticeLine(line_no=1, quantity=1)]),
        )
    assert count(engine, receipts) == 1
    assert stock_level(engine, world["widget_stock"]) == (104, 0)


def test_an_order_with_receipts_cannot_be_cancelled_only_closed(
    uow: UnitOfWork, world: dict[str, int], seams: dict[str, list[Any]]
) -> None:
    number = create_purchase_order(uow, po(("WIDGET", 10))).number
    receive_purchase_order(uow, number, receipt((1, 4)))
    with pytest.raises(IllegalTransition, match="close it instead"):
        cancel_purchase_order(uow, number)


@pytest.mark.parametrize(
    "line",
    [
        {"line_no": 1, "received": 0},
        {"line_no": 1, "received": -5},
        {"line_no": 1, "received": 5, "rejected": -1, "reason": "x"},
        {"line_no": 0, "received": 5},
        {"line_no": 1, "received": "5"},  # strict: a quantity is a whole number, not text
    ],
)
def test_a_zero_or_negative_receipt_quantity_is_refused_by_the_request(line: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        ReceiptLineRequest.model_validate(line)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ((1, 5, 6, "broken"), "cannot reject 6 of 5"),
        ((1, 5, 2, " "), "needs a reason"),
        ((7, 5), "has no line 7"),
    ],
)
def test_a_receipt_that_does_not_add_up_or_names_an_unknown_line_is_refused_with_nothing_written(
    uow: UnitOfWork,
    engine: Engine,
    world: dict[str, int],
    seams: dict[str, list[Any]],
    line: tuple[int, int] | tuple[int, int, int, str],
    message: str,
) -> None:
    number = create_purchase_order(uow, po(("WIDGET", 10))).number
    with pytest.raises(ValidationFailed, match=message):
        receive_purchase_order(uow, number, receipt(line))
    assert count(engine, receipts) == 0
    assert stock_level(engine, world["widget_stock"]) == (100, 0)


def test_a_purchase_order_with_a_bad_line_is_refused(uow: UnitOfWork, world: dict[str, int]) -> None:
    with pytest.raises(pydantic.ValidationError):
        po(("WIDGET", 0))
    with pytest.raises(pydantic.ValidationError):
        po(("WIDGET", 5), cost="-1")
    with pytest.raises(pydantic.ValidationError):
        po(("WIDGET", 5), cost="1.23456")  # a unit cost has at most 4 decimals
    with pytest.raises(ValidationFailed, match="unknown SKU NOPE"):
        create_purchase_order(uow, po(("NOPE", 5)))
    with pytest.raises(NotFound, match="supplier NOBODY"):
        create_purchase_order(uow, po(("WIDGET", 5)).model_copy(update={"supplier": "NOBODY"}))
    late = po(("WIDGET", 5)).model_copy(
        update={
            "lines": [
                PurchaseOrderLineRequest(
                    sku="WIDGET", quantity=5, unit_cost=Decimal(1), promised_date=date(2026, 3, 1)
                )
            ]
        }
    )
    with pytest.raises(ValidationFailed, match="in the past"):
        create_purchase_order(uow, late)
    with pytest.raises(NotFound):
        get_purchase_order(uow, "PO-99999999")


def test_rescheduling_a_line_moves_its_expected_date_and_re_promises_the_sku(
    uow: UnitOfWork, engine: Engine, world: dict[str, int], seams: dict[str, list[Any]]
) -> None:
    number = create_purchase_order(uow, po(("WIDGET", 100))).number
    slipped = reschedule_purchase_order_line(uow, number, 1, expected_date=date(2026, 3, 30))
    assert (slipped.lines[0].promised_date, slipped.lines[0].expected_date) == (PROMISED, date(2026, 3, 30))
    assert slipped.at_risk_orders == ("SO-AT-RISK",)
    assert seams["repromise"] == [((world["widget"], world["dc1"]), True)]
    assert event_types(engine, number)[-1] == "purchase_order.line_rescheduled"


def test_a_line_cannot_shrink_below_what_was_received_and_shrinking_to_it_closes_the_order(
    uow: UnitOfWork, world: dict[str, int], seams: dict[str, list[Any]]
) -> None:
    number = create_purchase_order(uow, po(("WIDGET", 100))).number
    receive_purchase_order(uow, number, receipt((1, 30)))
    with pytest.raises(ValidationFailed, match="below the 30 already received"):
        reschedule_purchase_order_line(uow, number, 1, quantity=29)
    with pytest.raises(ValidationFailed, match="in the past"):
        reschedule_purchase_order_line(uow, number, 1, expected_date=date(2026, 2, 27))
    assert get_purchase_order(uow, number).lines[0].ordered == 100

    shrunk = reschedule_purchase_order_line(uow, number, 1, quantity=30)  # the supplier ships no more
    assert (shrunk.status, shrunk.lines[0].ordered, shrunk.lines[0].outstanding) == ("closed", 30, 0)


def test_a_receipt_fills_a_waiting_backorder_of_the_sku_in_the_same_transaction(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_customer(engine, "ACME")
    set_rates(engine)
    placed = place_order(
        uow, PlaceOrderRequest(customer="ACME", lines=[OrderLineRequest(sku="WIDGET", quantity=120)])
    )
    assert (placed.lines[0].allocated, placed.lines[0].backordered) == (100, 20)  # 100 on hand

    number = create_purchase_order(uow, po(("WIDGET", 30))).number
    result = receive_purchase_order(uow, number, receipt((1, 30)))

    # 100 + 30 = 130 on hand; the 20 backordered are now reserved too: 100 + 20 = 120 allocated
    assert result.allocated_orders == (placed.number,)
    assert stock_level(engine, world["widget_stock"]) == (130, 120)
    line = get_order(uow, placed.number).lines[0]
    assert (line.allocated, line.backordered) == (120, 0)


def test_concurrent_receipts_never_exceed_the_tolerance_and_first_arrivals_share_one_stock_row(
    db_url: str, clock: ManualClock, world: dict[str, int], seams: dict[str, list[Any]]
) -> None:
    """Twelve clients at once, six per PO, each receiving 20 gadgets (no stock row at DC1 yet).

    Per PO at most floor(100 x 1.05) = 105 may arrive: five receipts of 20 (100, which closes the
    order); the sixth is refused. Both POs put away into the same, newly created stock row: 200.
    """
    engine = create_db_engine(db_url, pool_size=16, max_overflow=0)
    first = create_purchase_order(UnitOfWork(engine, clock), po(("GADGET", 100))).number
    second = create_purchase_order(UnitOfWork(engine, clock), po(("GADGET", 100))).number
    barrier = threading.Barrier(12)

    def client(number: str) -> str:
        barrier.wait(timeout=30)
        try:
            return receive_purchase_order(UnitOfWork(engine, clock), number, receipt((1, 20))).number
        except (ValidationFailed, IllegalTransition) as refused:
            return type(refused).__name__

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(client, [first, second] * 6))
    engine.dispose()

    assert sum(a.startswith("RC-") for a in answers) == 10
    check = create_db_engine(db_url)
    summaries = [get_purchase_order(UnitOfWork(check, clock), n) for n in (first, second)]
    with check.connect() as conn:
        rows = (
            conn.execute(select(stock.c.on_hand).where(stock.c.product_id == world["gadget"])).scalars().all()
        )
    check.dispose()
    assert [(s.status, s.lines[0].received) for s in summaries] == [("closed", 100), ("closed", 100)]
    assert rows == [200]
