"""Pricing, money conversions, credit, payments, aging, the clock and quote conversion, by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.domain.billing import AgingRow, InvoiceStatus, aging_bucket, apply_payment
from o2c.domain.clock import ManualClock, SystemClock, ensure_utc
from o2c.domain.credit import passes_credit_check
from o2c.domain.errors import IllegalTransition, ValidationFailed
from o2c.domain.money import from_minor, parse_decimal, round_money, to_minor
from o2c.domain.pricing import price_line
from o2c.domain.quote import QuoteStatus, ensure_convertible

D = Decimal
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# --- pricing -----------------------------------------------------------------------------------


def test_a_line_is_priced_with_the_discount_and_the_tax_each_rounded_half_up_to_the_cent() -> None:
    line = price_line(3, D("0.335"), D("0.10"), D("0.08"))

    # gross 3 * 0.335 = 1.005 (1.01 to the cent); discount 10 % = 0.1005 → 0.10
    # net 1.01 - 0.10 = 0.91; tax 8 % of 0.91 = 0.0728 → 0.07; total 0.98
    assert (line.discount_amount, line.net_amount, line.tax_amount) == (D("0.10"), D("0.91"), D("0.07"))
    assert line.total == D("0.98")


def test_a_discount_of_exactly_half_a_cent_rounds_up() -> None:
    line = price_line(1, D("0.50"), D("0.05"), D("0"))

    # 5 % of 0.50 = 0.025 → 0.03 (half up, where banker's rounding would give 0.02); net 0.47
    assert (line.discount_amount, line.net_amount) == (D("0.03"), D("0.47"))


def test_a_tax_of_exactly_half_a_cent_rounds_up() -> None:
    line = price_line(1, D("0.50"), D("0"), D("0.05"))

    # 5 % of 0.50 = 0.025 → 0.03
    assert (line.net_amount, line.tax_amount, line.total) == (D("0.50"), D("0.03"), D("0.53"))


def test_a_typical_line_is_priced_to_the_cent() -> None:
    line = price_line(7, D("12.99"), D("0.15"), D("0.0825"))

    # gross 7 * 12.99 = 90.93; discount 15 % = 13.6395 → 13.64; net 90.93 - 13.64 = 77.29
    # tax 8.25 % of 77.29 = 6.376425 → 6.38; total 77.29 + 6.38 = 83.67
    assert (line.discount_amount, line.net_amount, line.tax_amount) == (D("13.64"), D("77.29"), D("6.38"))
    assert line.total == D("83.67")
    assert (line.quantity, line.unit_price) == (7, D("12.99"))


def test_a_full_discount_leaves_nothing_to_pay_and_never_a_negative_amount() -> None:
    line = price_line(3, D("0.335"), D("1"), D("0.08"))

    # gross 1.005; discount 100 % = 1.005 → 1.01; net 1.01 - 1.01 = 0.00 (not round(-0.005) = -0.01)
    assert (line.discount_amount, line.net_amount, line.tax_amount) == (D("1.01"), D("0.00"), D("0.00"))


@pytest.mark.parametrize("rate", [D("-0.01"), D("1.01"), D("2")])
def test_a_discount_rate_outside_zero_to_one_is_refused(rate: Decimal) -> None:
    with pytest.raises(ValueError, match=r"outside 0\.\.1"):
        price_line(1, D("10.00"), rate, D("0"))


def test_the_discount_rate_bounds_zero_and_one_are_accepted() -> None:
    assert price_line(2, D("10.00"), D("0"), D("0")).net_amount == D("20.00")
    assert price_line(2, D("10.00"), D("1"), D("0")).net_amount == D("0.00")


def test_a_negative_tax_rate_is_refused_and_a_zero_one_is_accepted() -> None:
    with pytest.raises(ValueError, match="negative"):
        price_line(1, D("10.00"), D("0"), D("-0.01"))
    assert price_line(1, D("10.00"), D("0"), D("0")).tax_amount == D("0.00")


@settings(max_examples=200, deadline=None)
@given(
    quantity=st.integers(1, 10_000),
    unit_price=st.decimals(min_value=0, max_value=10_000, places=3),
    discount_rate=st.decimals(min_value=0, max_value=1, places=4),
    tax_rate=st.decimals(min_value=0, max_value=D("0.30"), places=4),
)
def test_a_priced_line_always_adds_up_in_whole_cents(
    quantity: int, unit_price: Decimal, discount_rate: Decimal, tax_rate: Decimal
) -> None:
    line = price_line(quantity, unit_price, discount_rate, tax_rate)

    # the gross to the cent, less the discount, is the net: nothing is lost or made up by rounding
    assert round_money(unit_price * quantity) - line.discount_amount == line.net_amount
    assert line.net_amount + line.tax_amount == line.total
    for amount in (line.discount_amount, line.net_amount, line.tax_amount):
        assert amount >= 0
        assert amount == round_money(amount)


# --- money ---------------------------------------------------------------------------------------


def test_round_money_rounds_half_up_away_from_zero() -> None:
    assert round_money(D("2.345")) == D("2.35")
    assert round_money(D("2.344999")) == D("2.34")
    assert round_money(D("-2.345")) == D("-2.35")
    assert str(round_money(D("7"))) == "7.00"


@pytest.mark.parametrize(
    ("amount", "scale", "minor"),
    [
        (D("12.34"), 2, 1234),
        (D("12.3"), 2, 1230),
        (D("12.340"), 2, 1234),  # a trailing zero adds no precision
        (D("-0.05"), 2, -5),
        (D("0"), 2, 0),
        (D("6.0125"), 4, 60125),
        (D("1E+3"), 2, 100000),
    ],
)
def test_an_amount_converts_to_minor_units_and_back_exactly(amount: Decimal, scale: int, minor: int) -> None:
    assert to_minor(amount, scale) == minor
    assert from_minor(minor, scale) == amount


def test_minor_units_come_back_with_the_column_scale() -> None:
    assert str(from_minor(1234, 2)) == "12.34"
    assert str(from_minor(5, 4)) == "0.0005"


@pytest.mark.parametrize(("amount", "scale"), [(D("12.345"), 2), (D("0.001"), 2), (D("6.01255"), 4)])
def test_an_amount_with_more_decimals_than_the_column_holds_is_refused(amount: Decimal, scale: int) -> None:
    with pytest.raises(ValueError, match=f"more than {scale} decimal places"):
        to_minor(amount, scale)


@given(minor=st.integers(-(10**15), 10**15), scale=st.sampled_from([2, 4, 6]))
def test_any_count_of_minor_units_survives_a_round_trip(minor: int, scale: int) -> None:
    assert to_minor(from_minor(minor, scale), scale) == minor


@given(amount=st.decimals(min_value=-(10**9), max_value=10**9, places=2))
def test_any_cent_amount_survives_a_round_trip(amount: Decimal) -> None:
    assert from_minor(to_minor(amount, 2), 2) == amount


def test_parse_decimal_reads_a_number_with_surrounding_spaces() -> None:
    assert parse_decimal(" 12.50 ", scale=2, what="price") == D("12.50")
    assert parse_decimal("-3", scale=2, what="adjustment", allow_negative=True) == D("-3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "price 'abc' is not a number"),
        ("", "price '' is not a number"),
        ("1,50", "price '1,50' is not a number"),
        ("NaN", "price 'NaN' is not a finite number"),
        ("Infinity", "price 'Infinity' is not a finite number"),
        ("-0.01", "price '-0.01' is negative"),
        ("1.234", "price '1.234' has more than 2 decimal places"),
    ],
)
def test_parse_decimal_says_what_is_wrong_with_the_text(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_decimal(text, scale=2, what="price")

    assert str(caught.value) == message


# --- credit --------------------------------------------------------------------------------------


def test_an_order_that_brings_the_exposure_exactly_to_the_limit_passes_the_credit_check() -> None:
    # 600.00 open + 400.00 order = 1000.00 = limit
    assert passes_credit_check(D("600.00"), D("400.00"), D("1000.00")) is True


def test_an_order_one_cent_over_the_limit_fails_the_credit_check() -> None:
    # 600.00 + 400.01 = 1000.01 > 1000.00
    assert passes_credit_check(D("600.00"), D("400.01"), D("1000.00")) is False


def test_an_order_under_the_limit_passes_the_credit_check() -> None:
    # 600.00 + 399.99 = 999.99 < 1000.00
    assert passes_credit_check(D("600.00"), D("399.99"), D("1000.00")) is True


def test_open_receivables_alone_over_the_limit_fail_even_a_small_order() -> None:
    assert passes_credit_check(D("1200.00"), D("0.01"), D("1000.00")) is False


def test_a_zero_limit_refuses_any_order_with_value() -> None:
    assert passes_credit_check(D("0.00"), D("0.01"), D("0.00")) is False


def test_a_customer_without_a_limit_always_passes_the_credit_check() -> None:
    assert passes_credit_check(D("1000000.00"), D("999999.99"), None) is True


# --- payments --------------------------------------------------------------------------------------


def test_a_partial_payment_adds_to_what_was_paid() -> None:
    assert apply_payment("INV-1", InvoiceStatus.OPEN, D("100.00"), D("0.00"), D("40.00")) == D("40.00")


def test_a_payment_of_exactly_the_open_amount_settles_the_invoice() -> None:
    # 40.00 paid + 60.00 = 100.00 = total
    assert apply_payment("INV-1", InvoiceStatus.OPEN, D("100.00"), D("40.00"), D("60.00")) == D("100.00")


def test_overpaying_an_invoice_is_refused_naming_the_open_amount() -> None:
    with pytest.raises(ValidationFailed) as caught:
        apply_payment("INV-1", InvoiceStatus.OPEN, D("100.00"), D("40.00"), D("60.01"))

    # open: 100.00 - 40.00 = 60.00
    assert str(caught.value) == "payment of 60.01 exceeds the 60.00 open on invoice INV-1"
    assert caught.value.field == "amount"


def test_paying_a_paid_invoice_is_an_illegal_transition() -> None:
    with pytest.raises(IllegalTransition, match="invoice INV-1 is already paid"):
        apply_payment("INV-1", InvoiceStatus.PAID, D("100.00"), D("100.00"), D("1.00"))


@pytest.mark.parametrize("amount", [D("0"), D("0.00"), D("-5.00")])
def test_a_payment_that_is_not_positive_is_refused(amount: Decimal) -> None:
    with pytest.raises(ValidationFailed, match="must be positive") as caught:
        apply_payment("INV-1", InvoiceStatus.OPEN, D("100.00"), D("0.00"), amount)

    assert caught.value.field == "amount"


# --- aging -------------------------------------------------------------------------------------------

DUE = date(2026, 1, 31)


@pytest.mark.parametrize(
    ("days_overdue", "bucket"),
    [
        (-10, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "over_90"),
        (400, "over_90"),
    ],
)
def test_a_receivable_falls_in_the_aging_bucket_of_its_days_overdue(days_overdue: int, bucket: str) -> None:
    assert aging_bucket(DUE, DUE + timedelta(days=days_overdue)) == bucket


def test_an_aging_row_totals_its_buckets() -> None:
    row = AgingRow("ACME", {"current": D("10.00"), "1-30": D("5.50"), "over_90": D("0.25")})

    assert row.total == D("15.75")  # 10.00 + 5.50 + 0.25


# --- clock ---------------------------------------------------------------------------------------------


def test_a_manual_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        ManualClock(datetime(2026, 3, 2, 9, 0))  # noqa: DTZ001 - naive on purpose


def test_a_manual_clock_refuses_to_be_set_to_a_naive_instant() -> None:
    clock = ManualClock(T0)

    with pytest.raises(ValueError, match="naive datetime"):
        clock.set(datetime(2026, 3, 3, 9, 0))  # noqa: DTZ001 - naive on purpose
    assert clock.now() == T0


def test_a_manual_clock_does_not_run_backwards() -> None:
    clock = ManualClock(T0)

    with pytest.raises(ValueError, match="does not run backwards"):
        clock.set(T0 - timedelta(seconds=1))
    with pytest.raises(ValueError, match="does not run backwards"):
        clock.advance(timedelta(seconds=-1))
    assert clock.now() == T0


def test_a_manual_clock_moves_forward_when_told_and_may_be_set_to_the_same_instant() -> None:
    clock = ManualClock(T0)

    assert clock.advance(timedelta(hours=2)) == T0 + timedelta(hours=2)
    clock.set(T0 + timedelta(hours=2))
    clock.set(T0 + timedelta(days=1))
    assert clock.now() == T0 + timedelta(days=1)


def test_a_manual_clock_keeps_time_in_utc() -> None:
    paris = timezone(timedelta(hours=1))

    clock = ManualClock(datetime(2026, 3, 2, 10, 0, tzinfo=paris))

    assert clock.now() == T0
    assert clock.now().tzinfo is UTC
    assert ensure_utc(datetime(2026, 3, 2, 4, 0, tzinfo=timezone(timedelta(hours=-5)))) == T0


def test_the_system_clock_gives_an_aware_utc_instant() -> None:
    assert SystemClock().now().tzinfo is UTC


# --- quotes --------------------------------------------------------------------------------------------

VALID_UNTIL = T0 + timedelta(days=30)


def test_an_open_quote_within_its_validity_can_be_converted() -> None:
    ensure_convertible("Q-1", QuoteStatus.OPEN, VALID_UNTIL, T0)
    ensure_convertible("Q-1", QuoteStatus.OPEN, VALID_UNTIL, VALID_UNTIL)  # up to the last instant


def test_an_expired_quote_cannot_be_converted() -> None:
    with pytest.raises(IllegalTransition) as caught:
        ensure_convertible("Q-1", QuoteStatus.OPEN, VALID_UNTIL, VALID_UNTIL + timedelta(seconds=1))

    assert str(caught.value) == f"quote Q-1 expired at {VALID_UNTIL.isoformat()}"
    assert caught.value.context == {"quote_number": "Q-1", "status": "expired"}


@pytest.mark.parametrize("status", [QuoteStatus.CONVERTED, QuoteStatus.CANCELLED])
def test_a_quote_that_is_no_longer_open_cannot_be_converted(status: QuoteStatus) -> None:
    with pytest.raises(IllegalTransition) as caught:
        ensure_convertible("Q-1", status, VALID_UNTIL, T0)

    assert str(caught.value) == f"quote Q-1 is {status}: cannot convert to an order"
