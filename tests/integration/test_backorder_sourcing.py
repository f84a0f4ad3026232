"""Where a backorder waits, and which promise new supply brings, through the real purchasing services.

Every test runs on SQLite and PostgreSQL. Day 0 is the test clock's date (Monday 2026-03-02). Customer
C1's ship-to is in region east. DC1 (east) needs 1 + 1 days of processing and pick/pack and its ground
lane to east takes 2: lead 4. DC2 (west) needs 2 + 1 days and its lane to east 4: lead 7. P1 has a stock
row at both, empty. Worked by hand in the comments.
"""

from __future__ import annotations

import io
import threading
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from o2c.domain.errors import StaleOrder
from o2c.services import aside, backorders, repromising
from o2c.services.importing import ImportKind, import_csv
from o2c.services.purchasing import (
    PurchaseOrderLineRequest,
    PurchaseOrderRequest,
    ShipmentNoticeLine,
    ShipmentNoticeRequest,
    create_purchase_order,
    notify_shipment,
    reschedule_purchase_order_line,
)
from o2c.services.receiving import ReceiptLineRequest, ReceiveRequest, receive_purchase_order
from o2c.services.repromising import PROMISE_EVENTS
from o2c.services.transfers import (
    ShipTransferRequest,
    TransferLineRequest,
    TransferRequest,
    create_transfer,
    ship_transfer,
)
from o2c.store.master_tables import stock
from o2c.store.tables import events, order_lines, orders
from o2c.store.uow import UnitOfWork
from tests.factories import add_customer, add_product, add_stock, add_supplier
from tests.integration.test_atp_service import add_lane, add_site, day, place


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    add_customer(engine, "C1", region="east")
    add_supplier(engine, "SUP1")
    ids = {"P1": add_product(engine, "P1")}
    ids["DC1"] = add_site(engine, "DC1", "east", 1, 1)
    ids["DC2"] = add_site(engine, "DC2", "west", 2, 1)
    add_lane(engine, "east", "east", 2)
    add_lane(engine, "west", "east", 4)
    for site in ("DC1", "DC2"):
        ids[f"P1@{site}"] = add_stock(engine, ids["P1"], ids[site], 0)
    return ids


def buy(uow: UnitOfWork, location: str, quantity: int, due: date, sku: str = "P1") -> str:
    line = PurchaseOrderLineRequest(sku=sku, quantity=quantity, unit_cost=Decimal("5"), promised_date=due)
    request = PurchaseOrderRequest(supplier="SUP1", location=location, lines=[line])
    return create_purchase_order(uow, request).number


def receive(uow: UnitOfWork, po: str, quantity: int) -> tuple[str, ...]:
    request = ReceiveRequest(lines=[ReceiptLineRequest(line_no=1, received=quantity)])
    return receive_purchase_order(uow, po, request).allocated_orders


def line(engine: Engine, number: str, line_no: int = 1) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            select(order_lines)
            .join(orders, orders.c.id == order_lines.c.order_id)
            .where(orders.c.number == number, order_lines.c.line_no == line_no)
        ).mappings()
        return dict(row.one())


def promise_events(engine: Engine, number: str) -> list[tuple[str, str | None, str | None]]:
    """The order's promise events, one entry per line they list: (event type, old date, new date)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.event_type, events.c.payload)
            .where(events.c.entity_id == number, events.c.event_type.in_(PROMISE_EVENTS))
            .order_by(events.c.id)
        )
        return [(r.event_type, ln["old_date"], ln["new_date"]) for r in rows for ln in r.payload["lines"]]


# --- where a backorder waits -----------------------------------------------------------------------


def test_a_backorder_waits_at_the_location_whose_supply_reaches_the_ship_to_first(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    buy(uow, "DC1", 5, day(20))
    buy(uow, "DC2", 5, day(2))

    number = place(uow, "C1", ("P1", 5))

    # Both rows are empty. DC1 delivers 20 + 4 = day 24; DC2 2 + 3 + 4 = day 9: the line waits at DC2.
    got = line(engine, number)
    assert (got["location_id"], got["qty_backordered"], got["promised_date"]) == (world["DC2"], 5, day(9))


def test_a_backorder_waiting_for_a_receipt_is_allocated_where_the_receipt_arrives(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    po = buy(uow, "DC2", 5, day(2))  # the only supply of P1: at DC2, the higher location id
    number = place(uow, "C1", ("P1", 5))

    assert receive(uow, po, 5) == (number,)

    # the 5 received at DC2 are reserved there for the line; DC1 is untouched
    got = line(engine, number)
    assert (got["location_id"], got["qty_allocated"], got["qty_backordered"]) == (world["DC2"], 5, 0)


# --- new or earlier supply promises the waiting backorders earlier --------------------------------


@pytest.fixture
def waiting(uow: UnitOfWork, engine: Engine, world: dict[str, int]) -> dict[str, str]:
    """O1 waits for 4 of P1 at DC1 from a PO due day 20: promised 20 + 4 = day 24 (2026-03-26)."""
    po = buy(uow, "DC1", 4, day(20))
    number = place(uow, "C1", ("P1", 4))
    assert line(engine, number)["promised_date"] == day(24)
    return {"po": po, "O1": number}


def test_a_new_purchase_order_promises_a_waiting_backorder_the_earlier_date_it_covers(
    uow: UnitOfWork, engine: Engine, waiting: dict[str, str]
) -> None:
    buy(uow, "DC1", 4, day(5))

    # the 4 now come on day 5: delivered 5 + 4 = day 9 (2026-03-11), not at risk
    got = line(engine, waiting["O1"])
    assert (got["promised_date"], got["promise_at_risk"]) == (day(9), False)
    with engine.connect() as conn:
        assert conn.execute(select(orders.c.promised_date)).scalar_one() == day(9)
    assert promise_events(engine, waiting["O1"]) == [
        ("order.promise_brought_forward", "2026-03-26", "2026-03-11")
    ]


def test_a_new_purchase_order_too_small_for_the_backorder_changes_no_promise(
    uow: UnitOfWork, engine: Engine, waiting: dict[str, str]
) -> None:
    buy(uow, "DC1", 3, day(5))  # 3 on day 5 do not cover 4: still day 20's receipt

    assert line(engine, waiting["O1"])["promised_date"] == day(24)
    assert promise_events(engine, waiting["O1"]) == []


def test_a_shipping_notice_that_brings_the_receipt_forward_brings_the_promise_forward(
    uow: UnitOfWork, engine: Engine, waiting: dict[str, str]
) -> None:
    notice = ShipmentNoticeRequest(expected_date=day(6), lines=[ShipmentNoticeLine(line_no=1, quantity=4)])
    notify_shipment(uow, waiting["po"], notice)

    # expected day 6 now: delivered 6 + 4 = day 10 (2026-03-12)
    assert line(engine, waiting["O1"])["promised_date"] == day(10)
    assert promise_events(engine, waiting["O1"]) == [
        ("order.promise_brought_forward", "2026-03-26", "2026-03-12")
    ]


def test_an_earlier_expected_date_brings_the_promise_forward(
    uow: UnitOfWork, engine: Engine, waiting: dict[str, str]
) -> None:
    reschedule_purchase_order_line(uow, waiting["po"], 1, expected_date=day(8))

    # expected day 8: delivered 8 + 4 = day 12
    assert line(engine, waiting["O1"])["promised_date"] == day(12)


def test_a_transfer_shipped_to_the_location_brings_the_promise_forward(
    uow: UnitOfWork, engine: Engine, world: dict[str, int], waiting: dict[str, str]
) -> None:
    with engine.begin() as conn:  # a count finds 10 of P1 at DC2 (nobody waits there)
        conn.execute(update(stock).where(stock.c.id == world["P1@DC2"]).values(on_hand=10))
    transfer = create_transfer(
        uow,
        TransferRequest(
            from_location="DC2", to_location="DC1", lines=[TransferLineRequest(sku="P1", quantity=4)]
        ),
    )
    ship_transfer(uow, transfer.number, ShipTransferRequest(expected_date=day(3)))

    # in transit to DC1, due day 3: delivered 3 + 4 = day 7 (2026-03-09)
    assert line(engine, waiting["O1"])["promised_date"] == day(7)
    assert promise_events(engine, waiting["O1"]) == [
        ("order.promise_brought_forward", "2026-03-26", "2026-03-09")
    ]


# --- priority takes a receipt another line was promised: that line is re-promised -------------------


def test_a_receipt_priority_gives_to_a_later_promised_line_re_promises_the_line_that_lost_it(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_customer(engine, "GOLD", region="east", tier=1)
    first = buy(uow, "DC1", 5, day(3))
    buy(uow, "DC1", 5, day(10))
    o1 = place(uow, "C1", ("P1", 5))  # tier 2: day 3's receipt, delivered 3 + 4 = day 7
    o2 = place(uow, "GOLD", ("P1", 5))  # tier 1, later: day 10's receipt, delivered day 14
    assert [line(engine, n)["promised_date"] for n in (o1, o2)] == [day(7), day(14)]

    assert receive(uow, first, 5) == (o2,)  # priority: the strategic account takes the 5

    # O1 lost the receipt it was promised: only day 10's 5 are left for it, delivered day 14, at risk
    lost, won = line(engine, o1), line(engine, o2)
    assert (lost["qty_backordered"], lost["promised_date"], lost["promise_at_risk"]) == (5, day(14), True)
    assert (won["qty_allocated"], won["promise_at_risk"]) == (5, False)
    assert promise_events(engine, o1) == [("order.repromised", "2026-03-09", "2026-03-16")]
    with engine.connect() as conn:
        order = conn.execute(select(orders.c.promised_date).where(orders.c.number == o1)).scalar_one()
    assert order == day(14)


@pytest.fixture
def deciders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Re-promising decides aside from the first line (not only from thousands); the names of the
    threads that decided, in order."""
    names: list[str] = []
    decide = repromising._decide

    def noted(*args: Any) -> Any:
        names.append(threading.current_thread().name)
        return decide(*args)

    monkeypatch.setattr(aside, "ASIDE_FROM", 1)
    monkeypatch.setattr(repromising, "_decide", noted)
    return names


def test_re_promising_decided_aside_while_the_fills_are_written_decides_the_same(
    uow: UnitOfWork, engine: Engine, world: dict[str, int], deciders: list[str]
) -> None:
    add_customer(engine, "GOLD", region="east", tier=1)
    first = buy(uow, "DC1", 5, day(3))
    buy(uow, "DC1", 5, day(10))
    o1 = place(uow, "C1", ("P1", 5))  # day 3's receipt: delivered day 7
    o2 = place(uow, "GOLD", ("P1", 5))  # day 10's: day 14
    deciders.clear()  # placing an order re-promises nothing, but be sure

    assert receive(uow, first, 5) == (o2,)

    # as decided in the caller's thread (the test above): O1 waits for day 10's receipt, at risk
    lost = line(engine, o1)
    assert (lost["qty_backordered"], lost["promised_date"], lost["promise_at_risk"]) == (5, day(14), True)
    assert promise_events(engine, o1) == [("order.repromised", "2026-03-09", "2026-03-16")]
    # the fill's report (above) and event were made aside too
    with engine.connect() as conn:
        allocated = conn.execute(
            select(events.c.payload).where(
                events.c.entity_id == o2, events.c.event_type == "order.backorder_allocated"
            )
        ).scalar_one()
    assert [(ln["line_no"], ln["sku"], ln["quantity"]) for ln in allocated["lines"]] == [(1, "P1", 5)]
    # in a worker on PostgreSQL, whose statements leave the client waiting; in the caller's on SQLite
    worker = engine.dialect.name == "postgresql"
    assert deciders == ["o2c-aside_0" if worker else threading.current_thread().name]


def test_a_failure_deciding_aside_fails_the_allocation_and_writes_nothing(
    uow: UnitOfWork, engine: Engine, world: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_customer(engine, "GOLD", region="east", tier=1)
    first = buy(uow, "DC1", 5, day(3))
    buy(uow, "DC1", 5, day(10))
    o1 = place(uow, "C1", ("P1", 5))
    o2 = place(uow, "GOLD", ("P1", 5))

    def broken(*args: Any) -> Any:
        raise RuntimeError("deciding failed")

    monkeypatch.setattr(aside, "ASIDE_FROM", 1)
    monkeypatch.setattr(repromising, "_decide", broken)
    with pytest.raises(RuntimeError, match="deciding failed"):
        receive(uow, first, 5)

    # the receipt, the fill and the re-promise all rolled back together
    assert [line(engine, n)["qty_allocated"] for n in (o1, o2)] == [0, 0]
    assert line(engine, o1)["promised_date"] == day(7)
    with engine.connect() as conn:
        assert conn.execute(select(stock.c.on_hand).where(stock.c.id == world["P1@DC1"])).scalar_one() == 0


def test_a_fill_whose_guard_fails_fails_the_allocation_and_what_was_sent_after_it_is_undone(
    uow: UnitOfWork, engine: Engine, world: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fills' guard is checked once the writes sent with them (in a pipeline, on PostgreSQL) have
    run: the re-promise written after them is rolled back with the rest."""
    add_customer(engine, "GOLD", region="east", tier=1)
    first = buy(uow, "DC1", 5, day(3))
    buy(uow, "DC1", 5, day(10))
    o1 = place(uow, "C1", ("P1", 5))  # O1 is re-promised when GOLD's O2 takes the first receipt
    o2 = place(uow, "GOLD", ("P1", 5))
    planned = backorders._line_fills

    def one_too_many(*args: Any) -> Any:  # as if the line had changed since it was read
        return [fill._replace(quantity=fill.quantity + 1) for fill in planned(*args)]

    monkeypatch.setattr(backorders, "_line_fills", one_too_many)
    with pytest.raises(StaleOrder, match="changed underneath"):
        receive(uow, first, 5)

    assert [line(engine, n)["qty_allocated"] for n in (o1, o2)] == [0, 0]
    assert (line(engine, o1)["promised_date"], line(engine, o1)["promise_at_risk"]) == (day(7), False)
    assert promise_events(engine, o1) == []


def test_a_line_of_an_order_on_credit_hold_gets_nothing_but_is_re_promised_behind_the_line_that_lost(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    add_customer(engine, "GOLD", region="east", tier=1)
    first = buy(uow, "DC1", 5, day(3))
    buy(uow, "DC1", 5, day(10))
    buy(uow, "DC1", 5, day(20))
    o1 = place(uow, "C1", ("P1", 5))  # day 3's receipt: delivered day 7
    held = place(uow, "C1", ("P1", 5))  # day 10's: day 14
    o2 = place(uow, "GOLD", ("P1", 5))  # day 20's: day 24
    assert [line(engine, n)["promised_date"] for n in (o1, held, o2)] == [day(7), day(14), day(24)]
    with engine.begin() as conn:  # put on hold after it was promised (its lines stay backordered)
        conn.execute(update(orders).where(orders.c.number == held).values(status="credit_hold"))

    assert receive(uow, first, 5) == (o2,)

    # O1 takes day 10's receipt (day 14); the held line still waits for P1, behind it: day 20's, day 24
    assert line(engine, held)["qty_allocated"] == 0
    assert (line(engine, held)["promised_date"], line(engine, held)["promise_at_risk"]) == (day(24), True)
    assert promise_events(engine, held) == [("order.repromised", "2026-03-16", "2026-03-26")]
    assert promise_events(engine, o1) == [("order.repromised", "2026-03-09", "2026-03-16")]


def two_receipts_of_p1_and_p2(uow: UnitOfWork, engine: Engine, world: dict[str, int]) -> str:
    """A strategic account GOLD; P2 stocked (empty) at DC1 too; two purchase orders for 5 of P1 and 5
    of P2 each at DC1, due day 3 and day 10: the number of the first."""
    add_customer(engine, "GOLD", region="east", tier=1)
    add_stock(engine, add_product(engine, "P2"), world["DC1"], 0)
    first, _ = (
        create_purchase_order(
            uow,
            PurchaseOrderRequest(
                supplier="SUP1",
                location="DC1",
                lines=[
                    PurchaseOrderLineRequest(sku=sku, quantity=5, unit_cost=Decimal("5"), promised_date=due)
                    for sku in ("P1", "P2")
                ],
            ),
        ).number
        for due in (day(3), day(10))
    )
    return first


def test_an_order_whose_lines_all_lose_their_receipt_gets_one_event_listing_them(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    first = two_receipts_of_p1_and_p2(uow, engine, world)
    o1 = place(uow, "C1", ("P1", 5), ("P2", 5))  # both lines from day 3's receipts: delivered day 7
    place(uow, "GOLD", ("P1", 5), ("P2", 5))  # day 10's: day 14

    request = ReceiveRequest(lines=[ReceiptLineRequest(line_no=n, received=5) for n in (1, 2)])
    receive_purchase_order(uow, first, request)  # priority: the strategic account takes both

    # O1's two lines wait for day 10's receipts now (delivered day 14): one event for the order
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.event_type, events.c.payload).where(
                events.c.entity_id == o1, events.c.event_type.in_(PROMISE_EVENTS)
            )
        ).all()
    assert [
        (r.event_type, [(ln["line_no"], ln["sku"], ln["new_date"]) for ln in r.payload["lines"]])
        for r in rows
    ] == [("order.repromised", [(1, "P1", "2026-03-16"), (2, "P2", "2026-03-16")])]


def test_an_order_filled_and_re_promised_by_one_receipt_moves_one_version_like_an_order_only_filled(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    first = two_receipts_of_p1_and_p2(uow, engine, world)
    both = place(uow, "C1", ("P1", 5), ("P2", 5))  # both lines from day 3's receipts
    filled = place(uow, "GOLD", ("P1", 5))  # day 10's
    before = versions(engine, both, filled)

    request = ReceiveRequest(lines=[ReceiptLineRequest(line_no=n, received=5) for n in (1, 2)])
    receive_purchase_order(uow, first, request)

    # GOLD takes the P1 (priority); the first order gets its P2 and its P1 line waits for day 10
    assert (line(engine, both, 2)["qty_allocated"], line(engine, both, 1)["promise_at_risk"]) == (5, True)
    assert line(engine, filled)["qty_allocated"] == 5
    # each changed order moved on once: a copy read before can no longer be saved, whichever way
    assert versions(engine, both, filled) == [v + 1 for v in before]


def versions(engine: Engine, *numbers: str) -> list[int]:
    with engine.connect() as conn:
        found = dict(
            conn.execute(select(orders.c.number, orders.c.version).where(orders.c.number.in_(numbers))).all()
        )
    return [found[n] for n in numbers]


# --- a stock count that lowers on hand re-promises what it no longer covers -------------------------


def test_a_count_that_lowers_on_hand_re_promises_the_line_it_no_longer_covers(
    uow: UnitOfWork, engine: Engine, world: dict[str, int]
) -> None:
    po = buy(uow, "DC1", 5, day(3))
    held = place(uow, "C1", ("P1", 5))  # day 3's receipt: delivered day 7
    with engine.begin() as conn:  # put on hold after it was promised (its line stays backordered)
        conn.execute(update(orders).where(orders.c.number == held).values(status="credit_hold"))
    assert receive(uow, po, 5) == ()  # allocation passes the held order over: 5 on hand, free
    before = line(engine, held)
    assert (before["qty_backordered"], before["promise_at_risk"]) == (5, False)

    import_csv(uow, ImportKind.STOCK, io.StringIO("sku,location,on_hand\nP1,DC1,2\n"), actor="counter")

    # 2 on hand, nothing coming: the held line's 5 are covered on no day; it loses its date, at risk
    after = line(engine, held)
    assert (after["promised_date"], after["promise_at_risk"]) == (None, True)
    assert promise_events(engine, held)[-1] == ("order.repromised", before["promised_date"].isoformat(), None)
