"""Carrier freight bills: when a bill matches the freight o2c expected, and what a bill must hold.

A bill **matches** when it differs from the expected freight (the shipment's ``freight_cost``) by at
most the tolerance: :data:`TOLERANCE_PER_MILLE` ‰ of the expected amount (0.5 %), and never less than
one cent, so that rounding a rated amount differently is no billing error. The carrier scorecard's
freight billing accuracy is the share of bills that match (``analytics.scorecards`` computes the same
rule in SQL on integer cents: ``|billed - expected| * 1000 <= expected * 5 OR |billed - expected| <= 1``).

A **disputed** bill is settled once (:func:`settlement`): the carrier upholds the dispute and corrects
its bill, or finance withdraws the dispute and the bill stands as invoiced. The settled amount is what
the freight cost; the bill as first invoiced still counts in freight billing accuracy, because a bill
that needed correcting was not an accurate bill.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from o2c.domain.errors import Conflict, ValidationFailed
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


class DisputeOutcome(StrEnum):
    UPHELD = "upheld"  # the carrier agreed and corrected its bill
    WITHDRAWN = "withdrawn"  # finance accepted the bill as invoiced


def check_freight_bill(invoiced: Decimal, reference: str | None, dispute_reason: str | None) -> None:
    """Refuse a bill with a negative or sub-cent amount, or an empty or too long reference or reason."""
    _check_amount(invoiced, "amount")
    for field, text, limit in (
        ("reference", reference, MAX_REFERENCE),
        ("dispute", dispute_reason, MAX_REASON),
    ):
        if text is not None and not 0 < len(text.strip()) <= limit:
            raise ValidationFailed(f"{field} must be 1 to {limit} characters", field=field)


def settlement(
    outcome: DisputeOutcome,
    invoiced: Decimal,
    corrected: Decimal | None,
    *,
    disputed: bool,
    settled: bool,
    shipment: str,
) -> Decimal:
    """What a disputed bill of ``invoiced`` is settled at: the carrier's ``corrected`` amount when the
    dispute is upheld, the invoiced amount when it is withdrawn. Refuses a bill that was never
    disputed or is settled already, an upheld dispute without a corrected amount and a withdrawn one
    with it."""
    if not disputed:
        raise Conflict(f"the freight bill of shipment {shipment} is not disputed", shipment_number=shipment)
    if settled:
        raise Conflict(
            f"the freight dispute of shipment {shipment} is settled already", shipment_number=shipment
        )
    if outcome is DisputeOutcome.WITHDRAWN:
        if corrected is not None:
            raise ValidationFailed(
                "a withdrawn dispute takes no corrected amount: the bill stands as invoiced",
                field="corrected_amount",
            )
        return invoiced
    if corrected is None:
        raise ValidationFailed("an upheld dispute needs the corrected amount", field="corrected_amount")
    _check_amount(corrected, "corrected_amount")
    return corrected


def _check_amount(amount: Decimal, field: str) -> None:
    if not amount.is_finite() or amount < 0:
        raise ValidationFailed(
            f"freight bill {field.replace('_', ' ')} {amount} must not be negative", field=field
        )
    if amount != amount.quantize(CENT):
        raise ValidationFailed(
            f"freight bill {field.replace('_', ' ')} {amount} has more than 2 decimal places", field=field
        )
