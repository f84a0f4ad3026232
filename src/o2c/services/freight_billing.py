"""Carrier freight bills: record what a carrier invoiced for a shipment, settle a disputed one.

Use cases, for the CLI, the API and the simulator (one transaction each; the clock is ``uow.clock``)::

    record_freight_bill(uow, shipment_number: str, amount: Decimal, *, reference: str | None = None,
                        dispute_reason: str | None = None, actor: str = "system") -> FreightBillSummary
    settle_freight_dispute(uow, shipment_number: str, outcome: DisputeOutcome, *,
                           corrected_amount: Decimal | None = None, actor: str = "system")
                           -> FreightBillSummary
    freight_bill(uow, shipment_number: str) -> FreightBillSummary

The bill keeps the shipment's ``freight_cost`` as its expected amount; whether it matches within the
tolerance (``domain.freight``) is what the carrier scorecard's freight billing accuracy counts. An
unknown shipment is :class:`NotFound`, a second bill for a shipment a :class:`Conflict`, a negative
amount :class:`ValidationFailed`. A bill with a ``dispute_reason`` is recorded as disputed, and is
settled once (``domain.freight.settlement``): upheld at the carrier's corrected amount, or withdrawn
at the amount invoiced. Settling a bill that is not disputed, or settled already, is a :class:`Conflict`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from o2c.domain.errors import Conflict, NotFound
from o2c.domain.freight import DisputeOutcome, bill_matches, check_freight_bill, settlement
from o2c.domain.money import CENT
from o2c.store.database import read_connection
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
    settlement: DisputeOutcome | None
    settled_amount: Decimal | None
    settled_at: datetime | None


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
        settlement=DisputeOutcome(bill.settlement) if bill.settlement is not None else None,
        settled_amount=bill.settled_amount,
        settled_at=bill.settled_at,
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


@retrying()
def settle_freight_dispute(
    uow: UnitOfWork,
    shipment_number: str,
    outcome: DisputeOutcome,
    *,
    corrected_amount: Decimal | None = None,
    actor: str = "system",
) -> FreightBillSummary:
    """Settle the disputed freight bill of a shipment: upheld at ``corrected_amount``, or withdrawn."""
    with uow:
        repo = FreightBillRepository(uow.connection)
        shipment = repo.shipment(shipment_number)
        bill = _existing(repo.bill(shipment), shipment_number)
        amount = settlement(
            outcome,
            bill.invoiced_amount,
            corrected_amount,
            disputed=bill.disputed,
            settled=bill.settlement is not None,
            shipment=shipment_number,
        ).quantize(CENT)
        now = uow.clock.now()
        settled = replace(bill, settlement=outcome.value, settled_amount=amount, settled_at=now)
        repo.settle(shipment, settled)
        uow.events.record(
            Event(
                "shipment",
                shipment_number,
                "shipment.freight_dispute_settled",
                now,
                actor,
                {
                    "settlement": outcome.value,
                    "invoiced_amount": str(bill.invoiced_amount),
                    "settled_amount": str(amount),
                },
            )
        )
        uow.commit()
        return _summary(settled)


def freight_bill(uow: UnitOfWork, shipment_number: str) -> FreightBillSummary:
    """The freight bill of a shipment; :class:`NotFound` if the shipment or its bill does not exist."""
    with read_connection(uow.engine) as conn, conn.begin():
        repo = FreightBillRepository(conn)
        return _summary(_existing(repo.bill(repo.shipment(shipment_number, lock=False)), shipment_number))


def _existing(bill: FreightBill | None, shipment_number: str) -> FreightBill:
    if bill is None:
        raise NotFound(f"shipment {shipment_number} has no freight bill", shipment_number=shipment_number)
    return bill
