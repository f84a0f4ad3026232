"""Shipments, invoices and payments: the documents that follow an order out of the warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, func, insert, literal, select, update

from o2c.domain.billing import InvoiceStatus
from o2c.domain.errors import NotFound
from o2c.store.master_tables import customers
from o2c.store.returns import unapplied_credit
from o2c.store.tables import invoice_lines, invoices, payments, shipment_lines, shipments


@dataclass(frozen=True)
class InvoiceLineDraft:
    order_line_id: int
    quantity: int
    unit_price: Decimal
    net_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class InvoiceState:
    id: int
    number: str
    order_id: int
    customer_id: int
    status: InvoiceStatus
    total: Decimal
    amount_paid: Decimal
    due_date: date
    amount_credited: Decimal = Decimal("0.00")  # credit memos set against it (store.returns)

    @property
    def open_amount(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited


@dataclass(frozen=True)
class ShipmentState:
    id: int
    number: str
    order_id: int
    status: str
    lines: dict[int, int]  # order_line_id -> quantity


class BillingRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # --- shipments ---------------------------------------------------------------------------

    def add_shipment(
        self,
        number: str,
        order_id: int,
        carrier_id: int,
        tracking_number: str,
        shipped_at: datetime,
        freight_cost: Decimal,
        weight_g: int,
        lines: dict[int, int],
    ) -> int:
        shipment_id: int = self._conn.execute(
            insert(shipments).returning(shipments.c.id),
            {
                "number": number,
                "order_id": order_id,
                "carrier_id": carrier_id,
                "tracking_number": tracking_number,
                "status": "shipped",
                "shipped_at": shipped_at,
                "freight_cost": freight_cost,
                "weight_g": weight_g,
            },
        ).scalar_one()
        self._conn.execute(
            insert(shipment_lines),
            [{"shipment_id": shipment_id, "order_line_id": lid, "quantity": q} for lid, q in lines.items()],
        )
        return shipment_id

    def shipment(self, number: str) -> ShipmentState:
        row = self._conn.execute(
            select(shipments.c.id, shipments.c.order_id, shipments.c.status).where(
                shipments.c.number == number
            )
        ).first()
        if row is None:
            raise NotFound(f"shipment {number} does not exist", shipment_number=number)
        lines = {
            r.order_line_id: r.quantity
            for r in self._conn.execute(
                select(shipment_lines.c.order_line_id, shipment_lines.c.quantity).where(
                    shipment_lines.c.shipment_id == row.id
                )
            )
        }
        return ShipmentState(row.id, number, row.order_id, row.status, lines)

    def record_delivery(
        self,
        shipment_id: int,
        delivered_at: datetime,
        received_by: str,
        exceptions: dict[int, tuple[int, int, int]],
    ) -> None:
        """Stamp the shipment delivered; ``exceptions``: order line id → (short, damaged, wrong item)."""
        self._conn.execute(
            update(shipments)
            .where(shipments.c.id == shipment_id)
            .values(status="delivered", delivered_at=delivered_at, received_by=received_by)
        )
        for order_line_id, (short, damaged, wrong_item) in exceptions.items():
            self._conn.execute(
                update(shipment_lines)
                .where(
                    shipment_lines.c.shipment_id == shipment_id,
                    shipment_lines.c.order_line_id == order_line_id,
                )
                .values(qty_short=short, qty_damaged=damaged, qty_wrong_item=wrong_item)
            )

    def undelivered_shipments(self, order_id: int) -> int:
        return int(
            self._conn.execute(
                select(func.count())
                .select_from(shipments)
                .where(shipments.c.order_id == order_id, shipments.c.status != "delivered")
            ).scalar_one()
        )

    def shipments_of(self, order_id: int) -> list[dict[str, object]]:
        return [
            dict(r)
            for r in self._conn.execute(
                select(shipments).where(shipments.c.order_id == order_id).order_by(shipments.c.id)
            ).mappings()
        ]

    # --- invoices and payments ---------------------------------------------------------------

    def add_invoice(
        self,
        number: str,
        order_id: int,
        shipment_id: int,
        customer_id: int,
        issued_at: datetime,
        due_date: date,
        lines: list[InvoiceLineDraft],
    ) -> int:
        invoice_id: int = self._conn.execute(
            insert(invoices).returning(invoices.c.id),
            {
                "number": number,
                "order_id": order_id,
                "shipment_id": shipment_id,
                "customer_id": customer_id,
                "status": InvoiceStatus.OPEN.value,
                "issued_at": issued_at,
                "due_date": due_date,
                "subtotal": sum((ln.net_amount for ln in lines), Decimal("0.00")),
                "tax_total": sum((ln.tax_amount for ln in lines), Decimal("0.00")),
                "amount_paid": Decimal("0.00"),
            },
        ).scalar_one()
        self._conn.execute(
            insert(invoice_lines),
            [
                {
                    "invoice_id": invoice_id,
                    "order_line_id": ln.order_line_id,
                    "quantity": ln.quantity,
                    "unit_price": ln.unit_price,
                    "net_amount": ln.net_amount,
                    "tax_amount": ln.tax_amount,
                }
                for ln in lines
            ],
        )
        return invoice_id

    def invoice(self, number: str, *, lock: bool = False) -> InvoiceState:
        query = select(invoices).where(invoices.c.number == number)
        row = self._conn.execute(query.with_for_update() if lock else query).mappings().first()
        if row is None:
            raise NotFound(f"invoice {number} does not exist", invoice_number=number)
        return InvoiceState(
            row["id"],
            row["number"],
            row["order_id"],
            row["customer_id"],
            InvoiceStatus(row["status"]),
            row["subtotal"] + row["tax_total"],
            row["amount_paid"],
            row["due_date"],
            row["amount_credited"],
        )

    def invoices_of(self, order_id: int) -> list[dict[str, object]]:
        return [
            dict(r)
            for r in self._conn.execute(
                select(invoices).where(invoices.c.order_id == order_id).order_by(invoices.c.id)
            ).mappings()
        ]

    def record_payment(
        self, invoice: InvoiceState, amount: Decimal, new_paid: Decimal, received_at: datetime, reference: str
    ) -> None:
        self._conn.execute(
            insert(payments),
            {
                "invoice_id": invoice.id,
                "customer_id": invoice.customer_id,
                "amount": amount,
                "received_at": received_at,
                "reference": reference,
            },
        )
        paid = new_paid + invoice.amount_credited == invoice.total
        self._conn.execute(
            update(invoices)
            .where(invoices.c.id == invoice.id)
            .values(
                amount_paid=new_paid,
                status=(InvoiceStatus.PAID if paid else InvoiceStatus.OPEN).value,
                paid_at=received_at if paid else None,
            )
        )

    def open_invoices_of_order(self, order_id: int) -> int:
        return int(
            self._conn.execute(
                select(func.count())
                .select_from(invoices)
                .where(invoices.c.order_id == order_id, invoices.c.status == InvoiceStatus.OPEN.value)
            ).scalar_one()
        )

    def open_receivables(self, customer_id: int) -> Decimal:
        # SUM and COALESCE keep the Minor type, so the integer sums come back as exact Decimals.
        row = self._conn.execute(
            select(
                func.coalesce(func.sum(invoices.c.subtotal), 0),
                func.coalesce(func.sum(invoices.c.tax_total), 0),
                func.coalesce(func.sum(invoices.c.amount_paid), 0),
                func.coalesce(func.sum(invoices.c.amount_credited), 0),
                unapplied_credit(literal(customer_id)),
            ).where(invoices.c.customer_id == customer_id, invoices.c.status == InvoiceStatus.OPEN.value)
        ).one()
        # Credit memos net: the credit applied to open invoices, and the credit left on the account.
        return Decimal(row[0] + row[1] - row[2] - row[3] - row[4])

    def open_invoice_rows(self) -> list[tuple[str, date, Decimal]]:
        """``(customer code, due date, open amount)`` of every open invoice, for aging."""
        rows = self._conn.execute(
            select(
                customers.c.code,
                invoices.c.due_date,
                invoices.c.subtotal,
                invoices.c.tax_total,
                invoices.c.amount_paid,
                invoices.c.amount_credited,
            )
            .join(customers, customers.c.id == invoices.c.customer_id)
            .where(invoices.c.status == InvoiceStatus.OPEN.value)
        )
        return [
            (r.code, r.due_date, r.subtotal + r.tax_total - r.amount_paid - r.amount_credited) for r in rows
        ]

    def unapplied_credit_rows(self) -> list[tuple[str, Decimal]]:
        """``(customer code, credit)`` of every customer with credit memos not set against an invoice."""
        credit = unapplied_credit(customers.c.id).label("credit")
        rows = self._conn.execute(select(customers.c.code, credit).where(credit > 0))
        return [(r.code, r.credit) for r in rows]
