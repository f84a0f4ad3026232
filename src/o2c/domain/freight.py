"""Carrier freight bills: when a bill matches the freight o2c expected, and what a bill must hold.

A bill **matches** when it differs from the expected freight (the shipment's ``freight_cost``) by at
most the tolerance: :data:`TOLERANCE_PER_MILLE` ‰ of the expected amount (0.5 %), and never less than
one cent, so that rounding a rated amount differently is no billing error. The carrier scorecard's
freight billing accuracy is the share of bills that match (``analytics.scorecards`` computes the same
rule in SQL on integer cents: ``|billed - expected| * 1000 <= expected * 5 OR |billed - expected| <= 1``).
"""

from __future__ import annotations

from decimal import Decimal

from o2c.domain.errors import ValidationFailed
from o2c.domain.money import CENT

TOLERANCE_PER_MILLE = 5  # 0.5 % of the expected freight
MINIMUM_TOLERANCE = CENT
MAX_REASON = 200
MAX_REFERENCE = 60


def freight_tolerance(expected: Decimal) -> Decimal:
    """The largest difference from ``expected`` a matching bill may have."""
    return max(MINIMUM_TOLERANCE, expected * TOLERANCE_PER_MILLE / 1000)


def bill_matches(invoiced: Decimal, expected: Decimal) -> bool:
    """Whether a carrier's bill of ``invoiced`` matches the ``expected`` freight (see the module)."""
    return abs(invoiced - expected) <= freight_tolerance(expected)


def check_freight_bill(invoiced: Decimal, reference: str | None, dispute_reason: str | None) -> None:
    """Refuse a bill with a negative or sub-cent amount, or an empty or too long reference or reason."""
    if not invoiced.is_finite() or invoiced < 0:
        raise ValidationFailed(f"freight bill amount {invoiced} must not be negative", field="amount")
    if invoiced != invoiced.quantize(CENT):
        raise ValidationFailed(
            f"freight bill amount {invoiced} has more than 2 decimal places", field="amount"
        )
    for field, text, limit in (
        ("reference", reference, MAX_REFERENCE),
        ("dispute", dispute_reason, MAX_REASON),
    ):
        if text is not None and not 0 < len(text.strip()) <= limit:
            raise ValidationFailed(f"{field} must be 1 to {limit} characters", field=field)
