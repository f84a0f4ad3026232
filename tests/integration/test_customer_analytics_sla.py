"""Service level agreements: storage, precedence, compliance per period and breaches.

Fixture (March 2026, one monthly period). Segment "retail" agrees fill rate >= 0.95, OTIF >= 0.9, lead
time <= 3 days, case response <= 4 h, resolution <= 48 h. Customer B (retail) has its own agreement:
fill rate >= 0.5 only. C (wholesale) has none.

A: order of 10 units received 03-02 10:00, all allocated, promised 03-05, delivered 03-04 10:00
   (2 days, on time); order of 10 received 03-10 10:00, 5 short at entry, promised 03-12, delivered
   03-16 10:00 (6 days, late). Unit fill (10 + 5) / 20 = 0.75 (breach); OTIF 1 / 2 = 0.5 (breach);
   mean lead time (2 + 6) / 2 = 4 days (breach). Cases: opened 03-03 10:00, answered 12:00 (2 h),
   resolved 03-05 10:00 (48 h); opened 03-20 10:00, answered 18:00 (8 h), unresolved. Mean response
   (2 + 8) / 2 = 5 h (breach); mean resolution 48 h (met, at the limit).
B: 10 units received 03-05, 4 short: fill 0.6 >= 0.5 (met); late delivery not checked (own agreement).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from o2c.analytics.periods import Period, Window
from o2c.analytics.sla import Agreement, agreements, breaches, set_agreement, sla_compliance
from o2c.domain.errors import NotFound, ValidationFailed
from tests.factories import add_customer, add_product
from tests.integration.customer_facts import _ship_to, add_case, add_order, at

MARCH = Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
RETAIL = Agreement(
    segment="retail",
    min_fill_rate=Decimal("0.95"),
    min_otif=Decimal("0.9"),
    max_lead_time_days=3,
    max_response_hours=4,
    max_resolution_hours=48,
)


@pytest.fixture
def facts(engine: Engine) -> None:
    p = add_product(engine, "P1")
    a = add_customer(engine, "A", segment="retail")
    b = add_customer(engine, "B", segment="retail")
    c = add_customer(engine, "C", segment="wholesale")
    line = [(p, 10, "10.00", "6")]
    add_order(engine, a, _ship_to(engine, a), at(3, 2), line, promised=date(2026, 3, 5), delivered=at(3, 4))
    add_order(
        engine,
        a,
        _ship_to(engine, a),
        at(3, 10),
        line,
        promised=date(2026, 3, 12),
        delivered=at(3, 16),
        short=5,
    )
    add_case(engine, a, at(3, 3), responded=at(3, 3, hour=12), resolved=at(3, 5))
    add_case(engine, a, at(3, 20), responded=at(3, 20, hour=18))
    add_order(
        engine,
        b,
        _ship_to(engine, b),
        at(3, 5),
        line,
        promised=date(2026, 3, 6),
        delivered=at(3, 20),
        short=4,
    )
    add_order(engine, c, _ship_to(engine, c), at(3, 5), line, promised=date(2026, 3, 6), delivered=at(3, 20))
    with engine.begin() as conn:
        set_agreement(conn, RETAIL, at(3, 1))
        set_agreement(conn, Agreement(customer="B", min_fill_rate=Decimal("0.5")), at(3, 1))


def test_compliance_per_customer_and_period_against_the_agreement_that_applies(
    engine: Engine, facts: None
) -> None:
    with engine.connect() as conn:
        checks = sla_compliance(conn, MARCH, Period.MONTH)
    found = {(c.customer, c.target): (c.actual, c.met, c.scope) for c in checks}
    assert {c.period for c in checks} == {"2026-03-01"}
    assert found == {
        ("A", "min_fill_rate"): (pytest.approx(0.75), False, "segment retail"),
        ("A", "min_otif"): (pytest.approx(0.5), False, "segment retail"),
        ("A", "max_lead_time_days"): (pytest.approx(4.0), False, "segment retail"),
        ("A", "max_response_hours"): (pytest.approx(5.0), False, "segment retail"),
        ("A", "max_resolution_hours"): (pytest.approx(48.0), True, "segment retail"),
        ("B", "min_fill_rate"): (pytest.approx(0.6), True, "customer B"),
    }
    assert [(b.customer, b.target) for b in breaches(checks)] == [
        ("A", "min_fill_rate"),
        ("A", "min_otif"),
        ("A", "max_lead_time_days"),
        ("A", "max_response_hours"),
    ]


def test_an_agreement_is_replaced_not_duplicated(engine: Engine, facts: None) -> None:
    with engine.begin() as conn:
        set_agreement(conn, Agreement(segment="retail", min_otif=Decimal("0.4")), at(3, 2))
        stored = agreements(conn)
    assert [(a.segment, a.customer) for a in stored] == [("retail", None), (None, "B")]
    assert stored[0].min_otif == Decimal("0.4") and stored[0].min_fill_rate is None
    with engine.connect() as conn:
        checks = sla_compliance(conn, MARCH, Period.MONTH)
    assert not breaches(checks)  # A's OTIF 0.5 >= 0.4, and nothing else is agreed for A


@pytest.mark.parametrize(
    ("agreement", "error"),
    [
        (Agreement(segment="retail", customer="A"), ValidationFailed),
        (Agreement(segment="retail", min_otif=Decimal("1.5")), ValidationFailed),
        (Agreement(segment="retail", max_response_hours=-1), ValidationFailed),
        (Agreement(customer="NOBODY", min_otif=Decimal("0.9")), NotFound),
    ],
)
def test_a_bad_agreement_is_refused_and_nothing_is_stored(
    engine: Engine, agreement: Agreement, error: type[Exception]
) -> None:
    with engine.begin() as conn, pytest.raises(error):
        set_agreement(conn, agreement, at(3, 1))
    with engine.connect() as conn:
        assert agreements(conn) == []
