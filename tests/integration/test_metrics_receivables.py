"""Days sales outstanding on invoices, payments and credits worked out by hand.

=========  ========  =======================================================
when       customer  fact
=========  ========  =======================================================
20 Feb     A         invoice I0 100.00
25 Feb     A         payment 40.00 on I0            (opening balance 60.00)
5 Mar      A         invoice I1 250.00 + 50.00 tax
10 Mar     A         payment 100.00 on I1
15 Mar     A         billing-error credit memo, 20.00 applied to I1
3 Apr      B         invoice I2 200.00
10 Apr     A         payment 60.00 on I0
=========  ========  =======================================================

March: sales 300.00, open at the end 60 + 300 - 100 - 20 = 240.00, DSO 240/300 · 31 = 24.8 days.
April: sales 200.00, open 240 + 200 - 60 = 380.00, DSO 380/200 · 30 = 57.0 days.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert

from o2c.analytics.dimensions import Dimension
from o2c.analytics.figures import Slice
from o2c.analytics.periods import Period, Window
from o2c.analytics.receivables import SalesOutstanding, days_sales_outstanding
from o2c.store.after_sale_tables import credit_memos
from o2c.store.tables import invoices, payments
from tests.factories import add_customer, add_product
from tests.integration.metric_rows import Line, add_order, at


@pytest.fixture
def receivables(engine: Engine) -> Engine:
    a = add_customer(engine, "A")
    b = add_customer(engine, "B")
    p = add_product(engine, "P1")
    order_a = add_order(engine, a, at(1, month=2), [Line(p, 1)])
    order_b = add_order(engine, b, at(1, month=4), [Line(p, 1)])

    def invoice(order: int, customer: int, when: datetime, subtotal: str, tax: str = "0.00") -> int:
        row = {
            "number": f"IN-{when.isoformat()}",
            "order_id": order,
            "customer_id": customer,
            "status": "open",
            "issued_at": when,
            "due_date": date(2026, 6, 1),
            "subtotal": Decimal(subtotal),
            "tax_total": Decimal(tax),
            "amount_paid": Decimal("0.00"),
        }
        with engine.begin() as conn:
            return int(conn.execute(insert(invoices).returning(invoices.c.id), row).scalar_one())

    def pay(invoice_id: int, customer: int, when: datetime, amount: str) -> None:
        with engine.begin() as conn:
            conn.execute(
                insert(payments),
                {
                    "invoice_id": invoice_id,
                    "customer_id": customer,
                    "amount": Decimal(amount),
                    "received_at": when,
                },
            )

    i0 = invoice(order_a, a, at(20, month=2), "100.00")
    pay(i0, a, at(25, month=2), "40.00")
    i1 = invoice(order_a, a, at(5), "250.00", "50.00")
    pay(i1, a, at(10), "100.00")
    with engine.begin() as conn:
        conn.execute(
            insert(credit_memos),
            {
                "number": "CM-1",
                "customer_id": a,
                "order_id": order_a,
                "invoice_id": i1,
                "reason": "billing_error",
                "subtotal": Decimal("20.00"),
                "tax_total": Decimal("0.00"),
                "amount_applied": Decimal("20.00"),
                "issued_at": at(15),
            },
        )
    invoice(order_b, b, at(3, month=4), "200.00")
    pay(i0, a, at(10, month=4), "60.00")
    return engine


def dso(engine: Engine, spec: Slice) -> dict[tuple[str, str], SalesOutstanding]:
    with engine.connect() as conn:
        return {(r.period, r.member): r for r in days_sales_outstanding(conn, spec)}


MARCH_APRIL = Window.of_dates(date(2026, 3, 1), date(2026, 4, 30))


def test_dso_by_month_carries_the_receivables_forward(receivables: Engine) -> None:
    rows = dso(receivables, Slice(Period.MONTH, None, MARCH_APRIL))
    assert list(rows) == [("2026-03-01", "all"), ("2026-04-01", "all")]
    march, april = rows["2026-03-01", "all"], rows["2026-04-01", "all"]
    assert (march.sales, march.receivables, march.days) == (Decimal("300.00"), Decimal("240.00"), 31)
    assert march.dso == pytest.approx(24.8)
    assert (april.sales, april.receivables, april.days) == (Decimal("200.00"), Decimal("380.00"), 30)
    assert april.dso == pytest.approx(57.0)


def test_dso_by_customer_has_none_in_a_period_without_sales(receivables: Engine) -> None:
    rows = dso(receivables, Slice(Period.MONTH, Dimension.CUSTOMER, MARCH_APRIL))
    assert rows["2026-03-01", "A"].dso == pytest.approx(24.8)
    assert rows["2026-04-01", "A"].dso is None
    assert rows["2026-04-01", "A"].receivables == Decimal("180.00")
    assert rows["2026-03-01", "B"].receivables == Decimal("0")
    assert rows["2026-04-01", "B"].dso == pytest.approx(30.0)  # 200 open of 200 sold, 30 days


def test_dso_over_a_whole_window_counts_its_days(receivables: Engine) -> None:
    rows = dso(receivables, Slice(None, None, Window.of_dates(date(2026, 3, 1), date(2026, 3, 20))))
    only = rows["all", "all"]
    assert (only.days, only.receivables) == (20, Decimal("240.00"))
    assert only.dso == pytest.approx(16.0)  # 240 / 300 * 20
