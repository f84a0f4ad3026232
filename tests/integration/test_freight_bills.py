"""Carrier freight bills: recording them, freight billing accuracy and actual freight, worked by hand.

Customer A, March 2026 (UTC). Tolerance: max(1 cent, 0.5 % of the expected freight).

=====  =====  ===========  ========  =======================  ===================================
ship.  carr.  delivered    expected  bill                     matches?
=====  =====  ===========  ========  =======================  ===================================
SH1    UPS    10 Mar       20.00     20.00                    yes (difference 0)
SH2    UPS    11 Mar       10.00     10.05                    yes (5 c = 0.5 % of 10.00, the edge)
SH3    UPS    12 Mar       10.00     10.06                    no  (6 c > 5 c)
SH4    UPS    13 Mar        1.00      1.01                    yes (1 c: the one-cent minimum)
SH5    UPS    14 Mar        3.00     none                     not counted
SH6    DHL    16 Mar        7.50      9.00 disputed           no  (1.50 > 0.0375)
SH7    UPS    not yet       4.00      5.00                    not counted (not delivered)
=====  =====  ===========  ========  =======================  ===================================

Freight billing accuracy (bills of shipments delivered in the period): UPS 3 of 4 (SH1, SH2, SH4 of
SH1-SH4), DHL 0 of 1.
Actual freight of A (all seven shipped in March): billed where billed and not disputed, else expected:
20.00 + 10.05 + 10.06 + 1.01 + 3.00 (SH5, no bill) + 7.50 (SH6, disputed) + 5.00 (SH7) = 56.62.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from o2c.analytics.cost_to_serve import customer_facts
from o2c.analytics.figures import Ratio, Slice
from o2c.analytics.periods import Period, Window
from o2c.analytics.scorecards import carrier_scorecard
from o2c.domain.errors import Conflict, NotFound, ValidationFailed
from o2c.domain.freight import DisputeOutcome, bill_matches
from o2c.services.freight_billing import freight_bill, record_freight_bill, settle_freight_dispute
from o2c.store.freight_tables import carrier_freight_bills
from o2c.store.tables import shipments
from o2c.store.uow import UnitOfWork
from tests.factories import add_carrier, add_customer, add_product
from tests.integration.metric_rows import Line, add_order, add_shipment, at


def _number(engine: Engine, shipment_id: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(shipments.c.number).where(shipments.c.id == shipment_id)).scalar_one())


@pytest.fixture
def billed(engine: Engine, uow: UnitOfWork) -> tuple[Engine, int]:
    customer = add_customer(engine, "A")
    p = add_product(engine, "P1")
    ups, dhl = add_carrier(engine, "UPS"), add_carrier(engine, "DHL")
    order = add_order(engine, customer, at(1), [Line(p, 7, shipped=7)], promised=date(2026, 3, 31))
    plan = [
        (ups, at(8), at(10), "20.00", "20.00", None),
        (ups, at(9), at(11), "10.00", "10.05", None),
        (ups, at(10), at(12), "10.00", "10.06", None),
        (ups, at(11), at(13), "1.00", "1.01", None),
        (ups, at(12), at(14), "3.00", None, None),
        (dhl, at(15), at(16), "7.50", "9.00", "weight not as booked"),
        (ups, at(30), None, "4.00", "5.00", None),
    ]
    for carrier, shipped, delivered, expected, invoiced, dispute in plan:
        shipment = add_shipment(engine, order, carrier, shipped, delivered, freight=expected, lines={})
        if invoiced is not None:
            record_freight_bill(
                uow, _number(engine, shipment), Decimal(invoiced), dispute_reason=dispute, actor="finance"
            )
    return engine, customer


def test_freight_billing_accuracy_counts_bills_within_tolerance(billed: tuple[Engine, int]) -> None:
    engine, _ = billed
    with engine.connect() as conn:
        rows = {r.carrier: r for r in carrier_scorecard(conn, Slice(Period.MONTH))}
    assert rows["UPS"].freight_billing_accuracy == Ratio(3, 4)
    assert rows["DHL"].freight_billing_accuracy == Ratio(0, 1)
    with engine.connect() as conn:
        (everything,) = carrier_scorecard(conn, Slice(None, None, Window.of_dates(None, date(2026, 3, 12))))
    assert everything.freight_billing_accuracy == Ratio(2, 3)  # SH1-SH3 delivered by 12 Mar


def test_actual_freight_prefers_the_undisputed_bill(billed: tuple[Engine, int]) -> None:
    engine, customer = billed
    with engine.connect() as conn:
        facts = customer_facts(conn, Window.of_dates(date(2026, 3, 1), date(2026, 3, 31)))
    assert facts[customer].freight == Decimal("56.62")


def test_the_bill_keeps_the_expected_freight_and_says_whether_it_matches(
    engine: Engine, uow: UnitOfWork
) -> None:
    customer, p, ups = add_customer(engine, "A"), add_product(engine, "P1"), add_carrier(engine, "UPS")
    order = add_order(engine, customer, at(1), [Line(p, 1, shipped=1)])
    number = _number(engine, add_shipment(engine, order, ups, at(2), at(3), freight="18.50", lines={}))
    bill = record_freight_bill(uow, number, Decimal("18.60"), reference="UPS-INV-7", actor="finance")
    assert (bill.carrier, bill.invoiced_amount, bill.expected_amount) == (
        "UPS",
        Decimal("18.60"),
        Decimal("18.50"),
    )
    assert bill.matches_expected is False  # 10 c > max(1 c, 0.5 % of 18.50 = 9.25 c)
    assert (bill.reference, bill.disputed, bill.billed_at) == ("UPS-INV-7", False, uow.clock.now())


def test_an_unknown_shipment_a_second_bill_and_a_negative_amount_are_refused(
    engine: Engine, uow: UnitOfWork
) -> None:
    customer, p, ups = add_customer(engine, "A"), add_product(engine, "P1"), add_carrier(engine, "UPS")
    order = add_order(engine, customer, at(1), [Line(p, 1, shipped=1)])
    number = _number(engine, add_shipment(engine, order, ups, at(2), at(3), freight="18.50", lines={}))
    with pytest.raises(NotFound, match="shipment SH-NOPE does not exist"):
        record_freight_bill(uow, "SH-NOPE", Decimal("1.00"))
    with pytest.raises(ValidationFailed, match="must not be negative"):
        record_freight_bill(uow, number, Decimal("-0.01"))
    with pytest.raises(ValidationFailed, match="more than 2 decimal places"):
        record_freight_bill(uow, number, Decimal("1.005"))
    with pytest.raises(ValidationFailed, match="dispute must be 1 to 200 characters"):
        record_freight_bill(uow, number, Decimal("1.00"), dispute_reason="  ")
    record_freight_bill(uow, number, Decimal("18.50"))
    with pytest.raises(Conflict, match=f"shipment {number} already has a freight bill"):
        record_freight_bill(uow, number, Decimal("19.00"))
    with engine.connect() as conn:
        bills = conn.execute(select(func.count()).select_from(carrier_freight_bills)).scalar_one()
        amount = conn.execute(select(carrier_freight_bills.c.invoiced_amount)).scalar_one()
    assert (bills, amount) == (1, Decimal("18.50"))  # the refused bills changed nothing


@pytest.mark.parametrize(
    ("invoiced", "expected", "matches"),
    [("10.05", "10.00", True), ("9.95", "10.00", True), ("10.06", "10.00", False), ("1.01", "1.00", True)],
)
def test_the_tolerance_rule(invoiced: str, expected: str, matches: bool) -> None:
    assert bill_matches(Decimal(invoiced), Decimal(expected)) is matches


def _disputed(engine: Engine, uow: UnitOfWork, invoiced: str = "9.00") -> tuple[int, str]:
    customer, p, dhl = add_customer(engine, "A"), add_product(engine, "P1"), add_carrier(engine, "DHL")
    order = add_order(engine, customer, at(1), [Line(p, 1, shipped=1)])
    number = _number(engine, add_shipment(engine, order, dhl, at(2), at(3), freight="7.50", lines={}))
    record_freight_bill(uow, number, Decimal(invoiced), dispute_reason="weight not as booked")
    return customer, number


def test_an_upheld_dispute_settles_at_the_corrected_amount_and_cost_to_serve_takes_it(
    engine: Engine, uow: UnitOfWork
) -> None:
    customer, number = _disputed(engine, uow)
    settled = settle_freight_dispute(
        uow, number, DisputeOutcome.UPHELD, corrected_amount=Decimal("7.6"), actor="finance"
    )
    assert (settled.settlement, settled.settled_amount, settled.settled_at) == (
        DisputeOutcome.UPHELD,
        Decimal("7.60"),
        uow.clock.now(),
    )
    # The bill as invoiced is kept: 9.00 against 7.50 is still a billing error.
    assert (settled.invoiced_amount, settled.disputed, settled.matches_expected) == (
        Decimal("9.00"),
        True,
        False,
    )
    assert freight_bill(uow, number) == settled
    with engine.connect() as conn:
        facts = customer_facts(conn, Window.of_dates(date(2026, 3, 1), date(2026, 3, 31)))
        (score,) = carrier_scorecard(conn, Slice(None))
    assert facts[customer].freight == Decimal("7.60")  # the settled amount, not 9.00 nor 7.50 expected
    assert score.freight_billing_accuracy == Ratio(0, 1)


def test_a_withdrawn_dispute_settles_at_the_invoiced_amount(engine: Engine, uow: UnitOfWork) -> None:
    customer, number = _disputed(engine, uow)
    settled = settle_freight_dispute(uow, number, DisputeOutcome.WITHDRAWN)
    assert (settled.settlement, settled.settled_amount) == (DisputeOutcome.WITHDRAWN, Decimal("9.00"))
    with engine.connect() as conn:
        facts = customer_facts(conn, Window.of_dates(date(2026, 3, 1), date(2026, 3, 31)))
    assert facts[customer].freight == Decimal("9.00")


def test_a_settlement_that_cannot_be_is_refused_and_changes_nothing(engine: Engine, uow: UnitOfWork) -> None:
    customer, number = _disputed(engine, uow)
    with pytest.raises(ValidationFailed, match="an upheld dispute needs the corrected amount"):
        settle_freight_dispute(uow, number, DisputeOutcome.UPHELD)
    with pytest.raises(ValidationFailed, match="a withdrawn dispute takes no corrected amount"):
        settle_freight_dispute(uow, number, DisputeOutcome.WITHDRAWN, corrected_amount=Decimal("7.50"))
    with pytest.raises(ValidationFailed, match=r"corrected amount -1\.00 must not be negative"):
        settle_freight_dispute(uow, number, DisputeOutcome.UPHELD, corrected_amount=Decimal("-1.00"))
    with pytest.raises(ValidationFailed, match="more than 2 decimal places"):
        settle_freight_dispute(uow, number, DisputeOutcome.UPHELD, corrected_amount=Decimal("7.555"))
    assert freight_bill(uow, number).settlement is None
    settle_freight_dispute(uow, number, DisputeOutcome.UPHELD, corrected_amount=Decimal("7.50"))
    with pytest.raises(Conflict, match=f"the freight dispute of shipment {number} is settled already"):
        settle_freight_dispute(uow, number, DisputeOutcome.WITHDRAWN)
    assert freight_bill(uow, number).settled_amount == Decimal("7.50")
    other = _number(
        engine,
        add_shipment(
            engine,
            add_order(engine, customer, at(4), [Line(add_product(engine, "P2"), 1, shipped=1)]),
            add_carrier(engine, "UPS"),
            at(5),
            at(6),
            freight="3.00",
            lines={},
        ),
    )
    with pytest.raises(NotFound, match=f"shipment {other} has no freight bill"):
        settle_freight_dispute(uow, other, DisputeOutcome.WITHDRAWN)
    record_freight_bill(uow, other, Decimal("3.00"))
    with pytest.raises(Conflict, match=f"the freight bill of shipment {other} is not disputed"):
        settle_freight_dispute(uow, other, DisputeOutcome.WITHDRAWN)
    with engine.connect() as conn:
        settled = conn.execute(
            select(func.count())
            .select_from(carrier_freight_bills)
            .where(carrier_freight_bills.c.settlement.is_not(None))
        ).scalar_one()
    assert settled == 1
