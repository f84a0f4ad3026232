"""On time, in full, OTIF and perfect order on a fixture worked out by hand.

Promised 10 Mar and requested 8 Mar unless stated; A is retail, B wholesale; carriers UPS and DHL.

=====  ==  ===  ==================  ===================================================  =========
order  c.  car  delivered (UTC)     lines / claims                                       fails
=====  ==  ===  ==================  ===================================================  =========
D1     A   UPS  Tue 10 Mar 23:00    5 of 5; a wrong_item return that was rejected         -
D2     A   UPS  Wed 11 Mar 01:00    5 of 5; a return for reason "damaged" (not a fill)    on time
D3     B   DHL  Mon 9 Mar           10 (2 cancelled by customer) 8 delivered; 4 (1 lost)  in full
                                    3 delivered
D4     B   DHL  Mon 9 Mar           6 of 6, 1 damaged; a billing_error credit memo        damage,
                                                                                          invoice
D5     A   UPS  Thu 5 Mar           3 of 3, 1 wrong item                                  filled
D6     A   UPS  Fri 6 Mar           2 of 2; a wrong_quantity return (authorised)          filled
D7     B   DHL  Sat 7 Mar           1 of 1; no promised date                              on time
D8     A   UPS  Thu 2 Apr           4 ordered: 2 delivered + 2 substituted by line 2 (2   -
                                    of 2), promised 5 Apr
D9     A   -    not delivered                                                             (ignored)
=====  ==  ===  ==================  ===================================================  =========

March: 7 orders. on time 5 (not D2, D7); in full 6 (not D3); OTIF D1 D4 D5 D6 = 4; damage-free 6;
accurately filled 5 (not D5, D6); accurately invoiced 6 (not D4); perfect D1 only = 1.
Index = 5/7 · 6/7 · 6/7 · accurate 4/7 (not D4, D5, D6) = 720/2401.
Against the requested date (8 Mar): D5, D6, D7 = 3 of 7.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert

from o2c.analytics.delivery import DeliveryPerformance, OnTimeBasis, delivery_performance
from o2c.analytics.dimensions import Dimension
from o2c.analytics.figures import Ratio, Slice
from o2c.analytics.periods import Period
from o2c.store.after_sale_tables import credit_memos, returns
from tests.factories import add_carrier, add_customer, add_product
from tests.integration.metric_rows import Line, add_order, add_shipment, at

PROMISED, REQUESTED = date(2026, 3, 10), date(2026, 3, 8)


def _claim(
    engine: Engine, table: str, order_id: int, customer_id: int, reason: str, status: str = ""
) -> None:
    with engine.begin() as conn:
        if table == "return":
            conn.execute(
                insert(returns),
                {
                    "number": f"RMA-{order_id}-{reason}",
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "status": status,
                    "reason": reason,
                    "authorised_at": at(20),
                },
            )
        else:
            conn.execute(
                insert(credit_memos),
                {
                    "number": f"CM-{order_id}",
                    "customer_id": customer_id,
                    "order_id": order_id,
                    "reason": reason,
                    "subtotal": Decimal("5.00"),
                    "tax_total": Decimal("0.00"),
                    "issued_at": at(20),
                },
            )


@pytest.fixture
def delivered(engine: Engine) -> Engine:
    a = add_customer(engine, "A", segment="retail")
    b = add_customer(engine, "B", segment="wholesale")
    p = add_product(engine, "P1")
    ups, dhl = add_carrier(engine, "UPS"), add_carrier(engine, "DHL")

    def order(customer: int, carrier: int, when: object, lines: list[Line], **kw: object) -> int:
        dates = {"promised": PROMISED, "requested": REQUESTED, **kw}
        order_id = add_order(engine, customer, at(1), lines, status="delivered", delivered_at=when, **dates)  # type: ignore[arg-type]
        add_shipment(engine, order_id, carrier, at(1), when)  # type: ignore[arg-type]
        return order_id

    d1 = order(a, ups, at(10, 23), [Line(p, 5, shipped=5, delivered=5)])
    _claim(engine, "return", d1, a, "wrong_item", "rejected")
    d2 = order(a, ups, at(11, 1), [Line(p, 5, shipped=5, delivered=5)])
    _claim(engine, "return", d2, a, "damaged", "authorised")
    order(
        b,
        dhl,
        at(9),
        [Line(p, 10, cancelled=2, shipped=8, delivered=8), Line(p, 4, lost=1, shipped=3, delivered=3)],
    )
    d4 = order(b, dhl, at(9), [Line(p, 6, shipped=6, delivered=6, damaged=1)])
    _claim(engine, "credit", d4, b, "billing_error")
    order(a, ups, at(5), [Line(p, 3, shipped=3, delivered=3, wrong_item=1)])
    d6 = order(a, ups, at(6), [Line(p, 2, shipped=2, delivered=2)])
    _claim(engine, "return", d6, a, "wrong_quantity", "authorised")
    order(b, dhl, at(7), [Line(p, 1, shipped=1, delivered=1)], promised=None)
    order(
        a,
        ups,
        at(2, month=4),
        [
            Line(p, 4, substituted=2, shipped=2, delivered=2),
            Line(p, 2, shipped=2, delivered=2, substitute_for=1),
        ],
        promised=date(2026, 4, 5),
    )
    add_order(engine, a, at(1), [Line(p, 1)], promised=PROMISED)
    return engine


def performance(
    engine: Engine, spec: Slice, basis: OnTimeBasis = OnTimeBasis.PROMISED
) -> dict[tuple[str, str], DeliveryPerformance]:
    with engine.connect() as conn:
        return {(r.period, r.member): r for r in delivery_performance(conn, spec, basis)}


def test_otif_and_perfect_order_by_month(delivered: Engine) -> None:
    rows = performance(delivered, Slice(Period.MONTH))
    assert set(rows) == {("2026-03-01", "all"), ("2026-04-01", "all")}
    march = rows["2026-03-01", "all"]
    assert march.on_time == Ratio(5, 7)
    assert march.in_full == Ratio(6, 7)
    assert march.otif == Ratio(4, 7)
    assert march.damage_free == Ratio(6, 7)
    assert march.accurately_filled == Ratio(5, 7)
    assert march.accurately_invoiced == Ratio(6, 7)
    assert march.accurate == Ratio(4, 7)
    assert march.perfect_order_rate == Ratio(1, 7)
    assert march.perfect_order_index == pytest.approx(720 / 2401)
    april = rows["2026-04-01", "all"]  # D8: substituted units count as filled by the substitute line
    assert april.otif == Ratio(1, 1)
    assert april.perfect_order_rate == Ratio(1, 1)


def test_on_time_against_the_requested_date(delivered: Engine) -> None:
    march = performance(delivered, Slice(Period.MONTH), OnTimeBasis.REQUESTED)["2026-03-01", "all"]
    assert march.on_time == Ratio(3, 7)
    assert march.otif == Ratio(3, 7)  # D5, D6, D7 are all in full


def test_otif_by_segment_and_by_carrier(delivered: Engine) -> None:
    # retail (A): D1 D2 D5 D6: on time D1 D5 D6, all in full; perfect D1. wholesale (B): D3 D4 D7:
    # on time D3 D4, in full D4 D7, OTIF D4.
    by_segment = performance(delivered, Slice(Period.MONTH, Dimension.SEGMENT))
    assert by_segment["2026-03-01", "retail"].otif == Ratio(3, 4)
    assert by_segment["2026-03-01", "retail"].perfect_order_rate == Ratio(1, 4)
    assert by_segment["2026-03-01", "wholesale"].on_time == Ratio(2, 3)
    assert by_segment["2026-03-01", "wholesale"].otif == Ratio(1, 3)
    by_carrier = performance(delivered, Slice(None, Dimension.CARRIER))
    assert by_carrier["all", "UPS"].otif == Ratio(4, 5)  # D1 D2 D5 D6 D8: D2 late
    assert by_carrier["all", "DHL"].in_full == Ratio(2, 3)
