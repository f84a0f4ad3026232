"""Carrier freight bills: what a carrier invoiced for a shipment, against the freight o2c expected."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from o2c.api.deps import IdempotencyKey, RuntimeDep, require
from o2c.api.idempotency import idempotent
from o2c.api.schemas import Code, Public, Request, sends
from o2c.domain.access import Capability
from o2c.domain.freight import DisputeOutcome
from o2c.services.freight_billing import freight_bill, record_freight_bill, settle_freight_dispute
from o2c.store.users import User

router = APIRouter(tags=["shipments"])


class FreightBillCreate(Request):
    """The carrier's bill: its amount, its own invoice number, and a reason if finance disputes it."""

    amount: Annotated[Decimal, Field(ge=0, decimal_places=2, max_digits=14)]
    reference: Annotated[str | None, Field(min_length=1, max_length=60)] = None
    dispute_reason: Annotated[str | None, Field(min_length=1, max_length=200)] = None

    model_config = {"json_schema_extra": {"examples": [{"amount": "18.50", "reference": "UPS-INV-1041"}]}}


class FreightBillPublic(Public):
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


class FreightDisputeSettlement(Request):
    """How a disputed bill is settled: ``upheld`` with the carrier's corrected amount, or ``withdrawn``
    (the bill stands as invoiced, no amount)."""

    outcome: DisputeOutcome
    corrected_amount: Annotated[Decimal | None, Field(ge=0, decimal_places=2, max_digits=14)] = None

    model_config = {
        "json_schema_extra": {
            "examples": [{"outcome": "upheld", "corrected_amount": "17.40"}, {"outcome": "withdrawn"}]
        }
    }


@router.post(
    "/shipments/{number}/freight-bill",
    status_code=201,
    response_model=FreightBillPublic,
    responses=sends(201, "Idempotent-Replayed"),
)
def create_freight_bill(
    number: Code,
    body: FreightBillCreate,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.RECORD_FREIGHT_BILLS)],
    idempotency_key: IdempotencyKey = None,
) -> object:
    """Record the carrier's freight bill of a shipment (one per shipment); says if it matches the
    expected freight within the tolerance (0.5 %, at least one cent)."""

    def run() -> tuple[FreightBillPublic, dict[str, str]]:
        uow = runtime.audited(user, "shipment.freight_billed", ("shipment", number))
        bill = record_freight_bill(
            uow,
            number,
            body.amount,
            reference=body.reference,
            dispute_reason=body.dispute_reason,
            actor=user.username,
        )
        return FreightBillPublic.model_validate(bill, from_attributes=True), {}

    return idempotent(runtime, user, idempotency_key, f"POST /shipments/{number}/freight-bill", body, run)


@router.get("/shipments/{number}/freight-bill", response_model=FreightBillPublic)
def get_freight_bill(
    number: Code,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.READ_FREIGHT_BILLS)],
) -> object:
    """Read the carrier's freight bill of a shipment, with its dispute and settlement if any."""
    return FreightBillPublic.model_validate(freight_bill(runtime.uow(), number), from_attributes=True)


@router.post(
    "/shipments/{number}/freight-bill/settlement",
    response_model=FreightBillPublic,
    responses=sends(200, "Idempotent-Replayed"),
)
def settle_freight_bill_dispute(
    number: Code,
    body: FreightDisputeSettlement,
    runtime: RuntimeDep,
    user: Annotated[User, require(Capability.RECORD_FREIGHT_BILLS)],
    idempotency_key: IdempotencyKey = None,
) -> object:
    """Settle the disputed freight bill of a shipment, once: upheld at the carrier's corrected amount,
    or withdrawn. The bill as first invoiced still counts in freight billing accuracy."""

    def run() -> tuple[FreightBillPublic, dict[str, str]]:
        uow = runtime.audited(user, "shipment.freight_dispute_settled", ("shipment", number))
        bill = settle_freight_dispute(
            uow, number, body.outcome, corrected_amount=body.corrected_amount, actor=user.username
        )
        return FreightBillPublic.model_validate(bill, from_attributes=True), {}

    what = f"POST /shipments/{number}/freight-bill/settlement"
    return idempotent(runtime, user, idempotency_key, what, body, run, status_code=200)
