"""Carrier freight bills: record what a carrier invoiced for a shipment.

Use case, for the CLI, the API and the simulator (one transaction; the clock is ``uow.clock``)::

    record_freight_bill(uow, shipment_number: str, amount: Decimal, *, reference: str | None = None,
                        dispute_reason: str | None = None, actor: str = "system") -> FreightBillSummary

The bill keeps the shipment's ``freight_cost`` as its expected amount; whether it matches within the
tolerance (``domain.freight``) is what the carrier scorecard's freight billing accuracy counts. An
unknown shipment is :class:`NotFound`, a second bill for a shipment a :class:`Conflict`, a negative
amount :class:`ValidationFailed`. A bill with a ``dispute_reason`` is recorded as disputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from o2c.domain.errors import Conflict
from o2c.domain.freight import bill_matches, check_freight_bill
from o2c.domain.money import CENT
from o2c.store.events import Event
from o2c.store.freight import FreightBill, FreightBillRepository
from o2c.store.uow import UnitOfWork, retrying


@dataclass(frozen=True)
class FreightBillSummary:
    shipment: str
    carrier: str
    reference: str | None
    invoiced_amount: Decimal
    expected_amount: Decimal
    matches_expected: bool
    billed_at: datetime
    disputed: bool
    dispute_reason: str | None


def _summary(bill: FreightBill) -> FreightBillSummary:
    return FreightBillSummary(
        shipment=bill.shipment,
        carrier=bill.carrier,
        reference=bill.invoice_reference,
        invoiced_amount=bill.invoiced_amount,
        expected_amount=bill.expected_amount,
        matches_expected=bill_matches(bill.invoiced_amount, bill.expected_amount),
        billed_at=bill.billed_at,
        disputed=bill.disputed,
        dispute_reason=bill.dispute_reason,
    )


@retrying()
def record_freight_bill(
    uow: UnitOfWork,
    shipment_number: str,
    amount: Decimal,
    *,
    reference: str | None = None,
    dispute_reason: str | None = None,
    actor: str = "system",
) -> FreightBillSummary:
    """Record the carrier's freight bill of a shipment (once per shipment)."""
    check_freight_bill(amount, reference, dispute_reason)
    amount = amount.quantize(CENT)  # at most two places (checked): 25 is 25.00
    with uow:
        repo = FreightBillRepository(uow.connection)
        shipment = repo.shipment(shipment_number)
        if repo.bill(shipment) is not None:
            raise Conflict(
                f"shipment {shipment_number} already has a freight bill", shipment_number=shipment_number
            )
        now = uow.clock.now()
        reason = dispute_reason.strip() if dispute_reason is not None else None
        bill = FreightBill(
            shipment_number,
            shipment.carrier,
            reference.strip() if reference is not None else None,
            amount,
            shipment.freight_cost,
            now,
            reason is not None,
            reason,
        )
        repo.add(shipment, bill)
        summary = _summary(bill)
        uow.events.record(
            Event(
                "shipment",
                shipment_number,
                "shipment.freight_billed",
                now,
                actor,
                {
                    "invoiced_amount": str(amount),
                    "expected_amount": str(shipment.freight_cost),
                    "matches_expected": summary.matches_expected,
                    "disputed": bill.disputed,
                },
            )
        )
        uow.commit()
        return summary
