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
from o2c.services.freight_billing import record_freight_bill
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
