"""Credit check: open receivables plus this order's value against the customer's credit limit."""

from __future__ import annotations

from decimal import Decimal


def passes_credit_check(
    open_receivables: Decimal, order_value: Decimal, credit_limit: Decimal | None
) -> bool:
    """``credit_limit`` of ``None`` means the customer has no limit (cash in advance is not modelled)."""
    if credit_limit is None:
        return True
    return open_receivables + order_value <= credit_limit
