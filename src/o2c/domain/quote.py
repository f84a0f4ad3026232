"""Quotes: a priced basket with a validity date, converted at most once into an order."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from o2c.domain.errors import IllegalTransition


class QuoteStatus(StrEnum):
    OPEN = "open"
    CONVERTED = "converted"
    CANCELLED = "cancelled"


def ensure_convertible(number: str, status: QuoteStatus, valid_until: datetime, now: datetime) -> None:
    if status is not QuoteStatus.OPEN:
        raise IllegalTransition(
            f"quote {number} is {status}: cannot convert to an order", quote_number=number
        )
    if now > valid_until:
        raise IllegalTransition(
            f"quote {number} expired at {valid_until.isoformat()}", quote_number=number, status="expired"
        )
