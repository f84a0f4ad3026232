"""Open backorders: lines, units, value and average age, worked out by hand.

O1 (A, retail, 1 Mar 00:00): P1 10 ordered, 4 backordered at 10.00; P2 5 allocated.
O2 (B, wholesale, 3 Mar 00:00): P2 5 backordered at 4.00. O3 (A, 5 Mar): P1 2 allocated.
As of 5 Mar 00:00: 2 lines, 9 units, 4·10 + 5·4 = 60.00 open, ages 96 h and 48 h: mean 72 h.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine

from o2c.analytics.backorders import OpenBackorders, open_backorders
from o2c.analytics.dimensions import Dimension
from tests.factories import add_customer, add_product
from tests.integration.metric_rows import Line, add_order, at


@pytest.fixture
def waiting(engine: Engine) -> Engine:
    a = add_customer(engine, "A", segment="retail")
    b = add_customer(engine, "B", segment="wholesale")
    p1, p2 = add_product(engine, "P1", "10.00"), add_product(engine, "P2", "4.00")
    add_order(engine, a, at(1), [Line(p1, 10, entry=6, backordered=4), Line(p2, 5, price="4.00")])
    add_order(engine, b, at(3), [Line(p2, 5, entry=0, backordered=5, price="4.00")])
    add_order(engine, a, at(5), [Line(p1, 2)])
    return engine


def test_open_backorders_value_and_average_age(waiting: Engine) -> None:
    with waiting.connect() as conn:
        assert open_backorders(conn, at(5)) == [OpenBackorders("all", 2, 9, Decimal("60.00"), 72.0)]
        assert open_backorders(conn, at(1, month=2)) == []  # before any order


def test_open_backorders_by_sku_and_by_segment(waiting: Engine) -> None:
    with waiting.connect() as conn:
        by_sku = open_backorders(conn, at(5), Dimension.SKU)
        by_segment = {r.member: r for r in open_backorders(conn, at(5), Dimension.SEGMENT)}
    assert by_sku == [
        OpenBackorders("P1", 1, 4, Decimal("40.00"), 96.0),
        OpenBackorders("P2", 1, 5, Decimal("20.00"), 48.0),
    ]
    assert by_segment["wholesale"].open_backorder_value == Decimal("20.00")
    assert by_segment["retail"].average_backorder_age == 96.0
