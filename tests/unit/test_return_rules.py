"""Return rules without a database: states, what may come back, and what a credit is worth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from o2c.domain.errors import IllegalTransition, ValidationFailed
from o2c.domain.returns import (
    CreditableInvoice,
    Disposition,
    LineAmounts,
    Return,
    ReturnableLine,
    ReturnLine,
    ReturnReason,
    ReturnStatus,
    applied_amount,
    check_returnable,
    invoice_credit,
    return_credit,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def a_return(*quantities: int) -> Return:
    return Return(
        number="RMA-1",
        order_id=1,
        customer_id=1,
        status=ReturnStatus.AUTHORISED,
        reason=ReturnReason.DAMAGED,
        authorised_at=NOW,
        lines=[ReturnLine(10 + n, n, 100 + n, f"SKU{n}", q, 1) for n, q in enumerate(quantities, start=1)],
    )


def test_a_return_is_received_then_credited_and_each_step_is_stamped() -> None:
    ret = a_return(4, 2)
    ret.receive({1: (4, Disposition.RESTOCK), 2: (1, Disposition.SCRAP)}, NOW + timedelta(days=1))
    assert ret.status is ReturnStatus.RECEIVED and ret.received_at == NOW + timedelta(days=1)
    assert [(ln.qty_received, ln.disposition) for ln in ret.lines] == [(4, "restock"), (1, "scrap")]
    ret.mark_credited(NOW + timedelta(days=2))
    assert ret.status is ReturnStatus.CREDITED and ret.credited_at == NOW + timedelta(days=2)


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("authorised", lambda r: r.mark_credited(NOW)),
        ("received", lambda r: r.reject(NOW)),
        ("received", lambda r: r.receive({1: (1, Disposition.SCRAP)}, NOW)),
        ("rejected", lambda r: r.receive({1: (1, Disposition.SCRAP)}, NOW)),
        ("credited", lambda r: r.mark_credited(NOW)),
    ],
)
def test_steps_out_of_order_are_refused(setup: str, action: object) -> None:
    ret = a_return(2)
    if setup in ("received", "credited"):
        ret.receive({1: (2, Disposition.RESTOCK)}, NOW)
    if setup == "credited":
        ret.mark_credited(NOW)
    if setup == "rejected":
        ret.reject(NOW)
    before = ret.status
    with pytest.raises(IllegalTransition):
        action(ret)  # type: ignore[operator]
    assert ret.status is before


@pytest.mark.parametrize(
    "received", [{1: (3, Disposition.RESTOCK)}, {1: (0, Disposition.RESTOCK)}, {7: (1, Disposition.SCRAP)}]
)
def test_receiving_more_than_authorised_nothing_or_an_unknown_line_changes_nothing(
    received: dict[int, tuple[int, Disposition]],
) -> None:
    ret = a_return(2)
    with pytest.raises(ValidationFailed):
        ret.receive(received, NOW)
    assert ret.status is ReturnStatus.AUTHORISED and ret.lines[0].qty_received == 0


def test_a_line_received_with_nothing_gets_no_disposition() -> None:
    ret = a_return(2, 3)
    ret.receive({1: (2, Disposition.REFURBISH)}, NOW)
    assert [(ln.qty_received, ln.disposition) for ln in ret.lines] == [(2, "refurbish"), (0, None)]


def test_returnable_is_delivered_less_already_returned() -> None:
    lines = {1: ReturnableLine(1, delivered=6, already_returned=4), 2: ReturnableLine(2, 0, 0)}
    check_returnable("SO-1", {1: 2}, lines)  # exactly what is left
    for requested in ({1: 3}, {2: 1}, {1: 0}, {1: -1}, {3: 1}, {}):
        with pytest.raises(ValidationFailed):
            check_returnable("SO-1", requested, lines)


def test_returning_a_line_in_parts_credits_exactly_the_line() -> None:
    # 3 units priced 10.00 net, 0.80 tax in all: thirds round, the cumulative shares do not drift.
    line = LineAmounts(qty_ordered=3, net_amount=Decimal("10.00"), tax_amount=Decimal("0.80"))
    first = return_credit(line, 1)
    second = return_credit(LineAmounts(3, Decimal("10.00"), Decimal("0.80"), already_credited=1), 1)
    third = return_credit(LineAmounts(3, Decimal("10.00"), Decimal("0.80"), already_credited=2), 1)
    # round(10/3) = 3.33, round(20/3) - 3.33 = 6.67 - 3.33 = 3.34, 10.00 - 6.67 = 3.33
    assert [first[0], second[0], third[0]] == [Decimal("3.33"), Decimal("3.34"), Decimal("3.33")]
    assert first[1] + second[1] + third[1] == Decimal("0.80")
    with pytest.raises(AssertionError):
        return_credit(LineAmounts(3, Decimal("10.00"), Decimal("0.80"), already_credited=2), 2)


def invoice(credited_subtotal: str = "0.00", credited_tax: str = "0.00") -> CreditableInvoice:
    return CreditableInvoice(
        number="IN-1",
        subtotal=Decimal("100.00"),
        tax_total=Decimal("8.00"),
        credited_subtotal=Decimal(credited_subtotal),
        credited_tax=Decimal(credited_tax),
        open_amount=Decimal("108.00"),
    )


def test_an_invoice_credit_carries_the_invoices_tax_rate_and_never_exceeds_what_was_billed() -> None:
    assert invoice_credit(invoice(), Decimal("12.50")) == (Decimal("12.50"), Decimal("1.00"))
    # The last of the invoice takes the rest of its tax, whatever rounding earlier credits did.
    assert invoice_credit(invoice("99.99", "7.99"), Decimal("0.01")) == (Decimal("0.01"), Decimal("0.01"))
    for amount in ("0", "-1", "100.01", "1.005", "NaN", "Infinity"):
        with pytest.raises(ValidationFailed):
            invoice_credit(invoice(), Decimal(amount))
    with pytest.raises(ValidationFailed, match=r"exceeds the 40\.00"):
        invoice_credit(invoice("60.00", "4.80"), Decimal("40.01"))


def test_a_credit_settles_at_most_what_is_open() -> None:
    assert applied_amount(Decimal("19.44"), Decimal("145.80")) == Decimal("19.44")
    assert applied_amount(Decimal("19.44"), Decimal("10.00")) == Decimal("10.00")
    assert applied_amount(Decimal("19.44"), Decimal("0.00")) == Decimal("0.00")
