"""Quotes and their lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, insert, select, update

from o2c.domain.errors import NotFound
from o2c.domain.pricing import PricedLine
from o2c.domain.quote import QuoteStatus
from o2c.store.master_tables import customers, products, ship_tos
from o2c.store.tables import quote_lines, quotes


@dataclass(frozen=True)
class QuoteLine:
    line_no: int
    product_id: int
    sku: str
    priced: PricedLine
    promised_date: date | None = None  # delivery date promised when quoted (None: not covered)


@dataclass(frozen=True)
class Quote:
    id: int
    number: str
    customer_code: str
    ship_to_code: str
    status: QuoteStatus
    created_at: datetime
    valid_until: datetime
    lines: tuple[QuoteLine, ...]
    promised_date: date | None = None  # the latest line's (None: a line has none)

    @property
    def subtotal(self) -> Decimal:
        return sum((ln.priced.net_amount for ln in self.lines), Decimal("0.00"))

    @property
    def tax_total(self) -> Decimal:
        return sum((ln.priced.tax_amount for ln in self.lines), Decimal("0.00"))


class QuoteRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self,
        number: str,
        customer_id: int,
        ship_to_id: int,
        created_at: datetime,
        valid_until: datetime,
        lines: list[tuple[int, PricedLine]],
        promised: list[date | None] | None = None,
    ) -> int:
        """Store a quote; ``promised`` are its lines' promised delivery dates, the quote's the latest
        (None when a line has none)."""
        dates = promised if promised is not None else [None] * len(lines)
        quote_id: int = self._conn.execute(
            insert(quotes).returning(quotes.c.id),
            {
                "number": number,
                "customer_id": customer_id,
                "ship_to_id": ship_to_id,
                "status": QuoteStatus.OPEN.value,
                "created_at": created_at,
                "valid_until": valid_until,
                "subtotal": sum((p.net_amount for _, p in lines), Decimal("0.00")),
                "tax_total": sum((p.tax_amount for _, p in lines), Decimal("0.00")),
                "promised_date": None if None in dates else max(d for d in dates if d is not None),
            },
        ).scalar_one()
        self._conn.execute(
            insert(quote_lines),
            [
                {
                    "quote_id": quote_id,
                    "line_no": i,
                    "product_id": product_id,
                    "quantity": p.quantity,
                    "unit_price": p.unit_price,
                    "discount_amount": p.discount_amount,
                    "net_amount": p.net_amount,
                    "tax_amount": p.tax_amount,
                    "promised_date": day,
                }
                for i, ((product_id, p), day) in enumerate(zip(lines, dates, strict=True), 1)
            ],
        )
        return quote_id

    def get(self, number: str, *, lock: bool = False) -> Quote:
        query = (
            select(quotes, customers.c.code.label("customer_code"), ship_tos.c.code.label("ship_to_code"))
            .join(customers, customers.c.id == quotes.c.customer_id)
            .join(ship_tos, ship_tos.c.id == quotes.c.ship_to_id)
            .where(quotes.c.number == number)
        )
        row = self._conn.execute(query.with_for_update(of=quotes) if lock else query).mappings().first()
        if row is None:
            raise NotFound(f"quote {number} does not exist", quote_number=number)
        lines = tuple(
            QuoteLine(
                r.line_no,
                r.product_id,
                r.sku,
                PricedLine(r.quantity, r.unit_price, r.discount_amount, r.net_amount, r.tax_amount),
                r.promised_date,
            )
            for r in self._conn.execute(
                select(quote_lines, products.c.sku)
                .join(products, products.c.id == quote_lines.c.product_id)
                .where(quote_lines.c.quote_id == row["id"])
                .order_by(quote_lines.c.line_no)
            )
        )
        return Quote(
            row["id"],
            row["number"],
            row["customer_code"],
            row["ship_to_code"],
            QuoteStatus(row["status"]),
            row["created_at"],
            row["valid_until"],
            lines,
            row["promised_date"],
        )

    def mark_converted(self, quote_id: int) -> None:
        self._conn.execute(
            update(quotes).where(quotes.c.id == quote_id).values(status=QuoteStatus.CONVERTED.value)
        )
