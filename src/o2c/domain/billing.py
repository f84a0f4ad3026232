"""Invoices, payments and the aging of receivables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from o2c.domain.errors import IllegalTransition, ValidationFailed


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"


def apply_payment(
    invoice_number: str, status: InvoiceStatus, total: Decimal, paid: Decimal, amount: Decimal
) -> Decimal:
    """The new amount paid. Partial payments are fine; overpaying, or paying a paid invoice, is not."""
    if amount <= 0:
        raise ValidationFailed("a payment amount must be positive", field="amount")
    if status is InvoiceStatus.PAID:
        raise IllegalTransition(f"invoice {invoice_number} is already paid", invoice_number=invoice_number)
    if paid + amount > total:
        raise ValidationFailed(
            f"payment of {amount} exceeds the {total - paid} open on invoice {invoice_number}", field="amount"
        )
    return paid + amount


AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "over_90")


def aging_bucket(due: date, as_of: date) -> str:
    overdue = (as_of - due).days
    if overdue <= 0:
        return "current"
    if overdue <= 30:
        return "1-30"
    if overdue <= 60:
        return "31-60"
    if overdue <= 90:
        return "61-90"
    return "over_90"


@dataclass(frozen=True)
class AgingRow:
    customer_code: str
    buckets: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), Decimal("0.00"))
