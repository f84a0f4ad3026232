"""Carrier freight bills: the shipment a bill is for, and the bill rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, insert, select, update

from o2c.domain.errors import NotFound
from o2c.store.freight_tables import carrier_freight_bills
from o2c.store.master_tables import carriers
from o2c.store.tables import shipments


@dataclass(frozen=True)
class BilledShipment:
    id: int
    number: str
    carrier_id: int
    carrier: str
    freight_cost: Decimal


@dataclass(frozen=True)
class FreightBill:
    shipment: str
    carrier: str
    invoice_reference: str | None
    invoiced_amount: Decimal
    expected_amount: Decimal
    billed_at: datetime
    disputed: bool
    dispute_reason: str | None
    settlement: str | None = None  # domain.freight.DisputeOutcome, once a dispute is settled
    settled_amount: Decimal | None = None
    settled_at: datetime | None = None


class FreightBillRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def shipment(self, number: str, *, lock: bool = True) -> BilledShipment:
        """The shipment, its row locked (PostgreSQL) unless only read, so that two bills for it, or a
        bill and its settlement, are written one after the other."""
        query = (
            select(shipments.c.id, shipments.c.carrier_id, carriers.c.code, shipments.c.freight_cost)
            .join(carriers, carriers.c.id == shipments.c.carrier_id)
            .where(shipments.c.number == number)
        )
        if lock:
            query = query.with_for_update(of=shipments)
        row = self._conn.execute(query).first()
        if row is None:
            raise NotFound(f"shipment {number} does not exist", shipment_number=number)
        return BilledShipment(int(row.id), number, int(row.carrier_id), row.code, row.freight_cost)

    def bill(self, shipment: BilledShipment) -> FreightBill | None:
        b = carrier_freight_bills.c
        row = self._conn.execute(select(carrier_freight_bills).where(b.shipment_id == shipment.id)).first()
        if row is None:
            return None
        return FreightBill(
            shipment.number,
            shipment.carrier,
            row.invoice_reference,
            row.invoiced_amount,
            row.expected_amount,
            row.billed_at,
            bool(row.disputed),
            row.dispute_reason,
            row.settlement,
            row.settled_amount,
            row.settled_at,
        )

    def add(self, shipment: BilledShipment, bill: FreightBill) -> None:
        self._conn.execute(
            insert(carrier_freight_bills),
            {
                "shipment_id": shipment.id,
                "carrier_id": shipment.carrier_id,
                "invoice_reference": bill.invoice_reference,
                "invoiced_amount": bill.invoiced_amount,
                "expected_amount": bill.expected_amount,
                "billed_at": bill.billed_at,
                "disputed": bill.disputed,
                "dispute_reason": bill.dispute_reason,
            },
        )

    def settle(self, shipment: BilledShipment, bill: FreightBill) -> None:
        """Write a disputed bill's settlement; the bill itself, as invoiced, stays as it was."""
        b = carrier_freight_bills.c
        self._conn.execute(
            update(carrier_freight_bills)
            .where(b.shipment_id == shipment.id)
            .values(
                settlement=bill.settlement, settled_amount=bill.settled_amount, settled_at=bill.settled_at
            )
        )
