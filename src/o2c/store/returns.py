"""Returns (RMA), their lines and credit memos: rows in, plain domain objects out.

Counters that several transactions may change (an invoice's ``amount_credited``) change by guarded
SQL expressions whose row count is checked, never by read-modify-write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, ScalarSelect, case, func, insert, literal, select, update

from o2c.domain.billing import InvoiceStatus
from o2c.domain.errors import Conflict, NotFound
from o2c.domain.money import MONEY_SCALE
from o2c.domain.returns import (
    CreditableInvoice,
    CreditReason,
    Disposition,
    LineAmounts,
    Return,
    ReturnableLine,
    ReturnLine,
    ReturnReason,
    ReturnStatus,
)
from o2c.store.after_sale_tables import credit_memos, return_lines, returns
from o2c.store.master_tables import customers, products
from o2c.store.tables import invoice_lines, invoices, order_lines, orders
from o2c.store.types import Minor, UTCDateTime

# Units of an order line that other returns already claim: authorised ones in full, received or
# credited ones as far as they came back, rejected ones not at all.
_claimed = func.coalesce(
    func.sum(
        case(
            (returns.c.status == ReturnStatus.AUTHORISED.value, return_lines.c.quantity),
            (
                returns.c.status.in_([ReturnStatus.RECEIVED.value, ReturnStatus.CREDITED.value]),
                return_lines.c.qty_received,
            ),
            else_=0,
        )
    ),
    0,
)


@dataclass(frozen=True)
class CreditMemoDraft:
    customer_id: int
    order_id: int
    invoice_id: int | None
    return_id: int | None
    reason: CreditReason
    subtotal: Decimal
    tax_total: Decimal
    amount_applied: Decimal
    issued_at: datetime
    note: str = ""

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax_total


@dataclass(frozen=True)
class InvoiceToCredit:
    id: int
    order_id: int
    customer_id: int
    status: InvoiceStatus
    terms: CreditableInvoice


class ReturnRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # --- returns -------------------------------------------------------------------------------

    def lock_order(self, order_id: int) -> None:
        """Serialise returns of one order (the quantity check reads, then writes)."""
        self._conn.execute(select(orders.c.id).where(orders.c.id == order_id).with_for_update())

    def returnable_lines(self, order_id: int) -> dict[int, ReturnableLine]:
        claimed = (
            select(return_lines.c.order_line_id, _claimed.label("claimed"))
            .join(returns, returns.c.id == return_lines.c.return_id)
            .where(returns.c.order_id == order_id)
            .group_by(return_lines.c.order_line_id)
            .subquery()
        )
        rows = self._conn.execute(
            select(order_lines.c.line_no, order_lines.c.qty_delivered, claimed.c.claimed)
            .outerjoin(claimed, claimed.c.order_line_id == order_lines.c.id)
            .where(order_lines.c.order_id == order_id)
        )
        return {r.line_no: ReturnableLine(r.line_no, int(r.qty_delivered), int(r.claimed or 0)) for r in rows}

    def add(self, ret: Return) -> int:
        return_id = int(
            self._conn.execute(
                insert(returns).returning(returns.c.id),
                {
                    "number": ret.number,
                    "order_id": ret.order_id,
                    "customer_id": ret.customer_id,
                    "status": ret.status.value,
                    "reason": ret.reason.value,
                    "authorised_at": ret.authorised_at,
                },
            ).scalar_one()
        )
        self._conn.execute(
            insert(return_lines),
            [
                {
                    "return_id": return_id,
                    "order_line_id": ln.order_line_id,
                    "product_id": ln.product_id,
                    "quantity": ln.quantity,
                    "location_id": ln.location_id,
                }
                for ln in ret.lines
            ],
        )
        ret.id = return_id
        return return_id

    def get(self, number: str, *, lock: bool = False) -> Return:
        query = (
            select(returns, orders.c.number.label("order_number"))
            .join(orders, orders.c.id == returns.c.order_id)
            .where(returns.c.number == number)
        )
        row = self._conn.execute(query.with_for_update(of=returns) if lock else query).mappings().first()
        if row is None:
            raise NotFound(f"return {number} does not exist", return_number=number)
        return Return(
            number=row["number"],
            order_id=row["order_id"],
            customer_id=row["customer_id"],
            status=ReturnStatus(row["status"]),
            reason=ReturnReason(row["reason"]),
            authorised_at=row["authorised_at"],
            lines=self._lines(row["id"]),
            id=row["id"],
            order_number=row["order_number"],
            received_at=row["received_at"],
            credited_at=row["credited_at"],
            rejected_at=row["rejected_at"],
        )

    def _lines(self, return_id: int) -> list[ReturnLine]:
        rows = self._conn.execute(
            select(return_lines, order_lines.c.line_no, products.c.sku)
            .join(order_lines, order_lines.c.id == return_lines.c.order_line_id)
            .join(products, products.c.id == return_lines.c.product_id)
            .where(return_lines.c.return_id == return_id)
            .order_by(order_lines.c.line_no)
        ).mappings()
        return [
            ReturnLine(
                order_line_id=r["order_line_id"],
                line_no=r["line_no"],
                product_id=r["product_id"],
                sku=r["sku"],
                quantity=r["quantity"],
                location_id=r["location_id"],
                qty_received=r["qty_received"],
                disposition=Disposition(r["disposition"]) if r["disposition"] else None,
                id=r["id"],
            )
            for r in rows
        ]

    def save(self, ret: Return) -> None:
        self._conn.execute(
            update(returns)
            .where(returns.c.id == ret.id)
            .values(
                status=ret.status.value,
                received_at=ret.received_at,
                credited_at=ret.credited_at,
                rejected_at=ret.rejected_at,
            )
        )
        for ln in ret.lines:
            self._conn.execute(
                update(return_lines)
                .where(return_lines.c.id == ln.id)
                .values(
                    qty_received=ln.qty_received,
                    disposition=ln.disposition.value if ln.disposition else None,
                )
            )

    def line_amounts(self, ret: Return) -> dict[int, LineAmounts]:
        """Per order line of the return: its amounts and the units earlier credited returns took back."""
        ids = [ln.order_line_id for ln in ret.lines]
        credited = dict(
            self._conn.execute(
                select(return_lines.c.order_line_id, func.sum(return_lines.c.qty_received))
                .join(returns, returns.c.id == return_lines.c.return_id)
                .where(
                    return_lines.c.order_line_id.in_(ids),
                    returns.c.status == ReturnStatus.CREDITED.value,
                    returns.c.id != ret.id,
                )
                .group_by(return_lines.c.order_line_id)
            ).all()
        )
        rows = self._conn.execute(
            select(
                order_lines.c.id,
                order_lines.c.qty_ordered,
                order_lines.c.net_amount,
                order_lines.c.tax_amount,
            ).where(order_lines.c.id.in_(ids))
        )
        return {
            r.id: LineAmounts(r.qty_ordered, r.net_amount, r.tax_amount, int(credited.get(r.id) or 0))
            for r in rows
        }

    # --- credit memos ----------------------------------------------------------------------------

    def invoice_to_credit(self, number: str) -> InvoiceToCredit:
        row = self._conn.execute(
            select(invoices.c.id).where(invoices.c.number == number).with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"invoice {number} does not exist", invoice_number=number)
        return self._invoice_to_credit(int(row.id))

    def invoice_for_return(self, ret: Return) -> InvoiceToCredit | None:
        """The invoice a return's credit goes against: the first still open one that billed its
        lines, else the last one that did (then the credit stays on the customer's account)."""
        ids = [ln.order_line_id for ln in ret.lines if ln.qty_received]
        is_open = case((invoices.c.status == InvoiceStatus.OPEN.value, 0), else_=1)
        row = self._conn.execute(
            select(invoices.c.id)
            .join(invoice_lines, invoice_lines.c.invoice_id == invoices.c.id)
            .where(invoice_lines.c.order_line_id.in_(ids))
            .order_by(is_open, case((is_open == 0, invoices.c.id), else_=-invoices.c.id))
            .limit(1)
        ).first()
        if row is None:
            return None
        self._conn.execute(select(invoices.c.id).where(invoices.c.id == row.id).with_for_update())
        return self._invoice_to_credit(int(row.id))

    def _invoice_to_credit(self, invoice_id: int) -> InvoiceToCredit:
        def credited(column: Any) -> Any:
            return (
                select(func.coalesce(func.sum(column), 0, type_=Minor(MONEY_SCALE)))
                .where(credit_memos.c.invoice_id == invoices.c.id)
                .scalar_subquery()
            )

        row = (
            self._conn.execute(
                select(
                    invoices,
                    credited(credit_memos.c.subtotal).label("credited_subtotal"),
                    credited(credit_memos.c.tax_total).label("credited_tax"),
                ).where(invoices.c.id == invoice_id)
            )
            .mappings()
            .one()
        )
        total = row["subtotal"] + row["tax_total"]
        terms = CreditableInvoice(
            number=row["number"],
            subtotal=row["subtotal"],
            tax_total=row["tax_total"],
            credited_subtotal=row["credited_subtotal"],
            credited_tax=row["credited_tax"],
            open_amount=total - row["amount_paid"] - row["amount_credited"],
        )
        return InvoiceToCredit(
            row["id"], row["order_id"], row["customer_id"], InvoiceStatus(row["status"]), terms
        )

    def add_credit_memo(self, number: str, draft: CreditMemoDraft) -> int:
        return int(
            self._conn.execute(
                insert(credit_memos).returning(credit_memos.c.id),
                {
                    "number": number,
                    "customer_id": draft.customer_id,
                    "order_id": draft.order_id,
                    "invoice_id": draft.invoice_id,
                    "return_id": draft.return_id,
                    "reason": draft.reason.value,
                    "subtotal": draft.subtotal,
                    "tax_total": draft.tax_total,
                    "amount_applied": draft.amount_applied,
                    "issued_at": draft.issued_at,
                    "note": draft.note,
                },
            ).scalar_one()
        )

    def apply_to_invoice(self, invoice_id: int, amount: Decimal, now: datetime) -> bool:
        """Set ``amount`` of credit against an invoice (guarded: paid + credited never exceed its
        total). Returns whether the invoice is now settled, and marks it so (``paid``)."""
        if amount <= 0:
            return False
        total = invoices.c.subtotal + invoices.c.tax_total
        credit = literal(amount, Minor(MONEY_SCALE))
        settled_after = invoices.c.amount_paid + invoices.c.amount_credited + credit >= total
        result = self._conn.execute(
            update(invoices)
            .where(
                invoices.c.id == invoice_id,
                invoices.c.status == InvoiceStatus.OPEN.value,
                invoices.c.amount_paid + invoices.c.amount_credited + credit <= total,
            )
            .values(
                amount_credited=invoices.c.amount_credited + credit,
                status=case((settled_after, InvoiceStatus.PAID.value), else_=invoices.c.status),
                paid_at=case((settled_after, literal(now, UTCDateTime)), else_=invoices.c.paid_at),
            )
        )
        if result.rowcount != 1:
            raise Conflict(f"invoice {invoice_id} changed underneath: cannot credit {amount}")
        status = self._conn.execute(select(invoices.c.status).where(invoices.c.id == invoice_id)).scalar_one()
        return bool(status == InvoiceStatus.PAID.value)

    def credit_memo_of(self, return_id: int) -> dict[str, Any] | None:
        row = (
            self._conn.execute(select(credit_memos).where(credit_memos.c.return_id == return_id))
            .mappings()
            .first()
        )
        return dict(row) if row else None


def unapplied_credit(customer_id: ColumnElement[int]) -> ScalarSelect[Decimal]:
    """Credit memos' amounts not set against an invoice (the invoice was paid, or there was none),
    per customer: credit on the account, which nets against what the customer owes."""
    return (
        select(
            func.coalesce(
                func.sum(credit_memos.c.subtotal + credit_memos.c.tax_total - credit_memos.c.amount_applied),
                0,
                type_=Minor(MONEY_SCALE),
            )
        )
        .where(credit_memos.c.customer_id == customer_id)
        .scalar_subquery()
    )


def codes_of(conn: Connection, customer_id: int, order_id: int) -> tuple[str, str]:
    """``(customer code, order number)``, for what services hand back."""
    row = conn.execute(
        select(customers.c.code, orders.c.number)
        .join(orders, orders.c.customer_id == customers.c.id)
        .where(customers.c.id == customer_id, orders.c.id == order_id)
    ).one()
    return str(row.code), str(row.number)
