"""Money and other exact decimals.

Amounts are :class:`~decimal.Decimal` in Python and integer minor units in the database (SQLite keeps
``NUMERIC`` as a float). Every conversion here is exact or refuses: nothing is rounded silently except
by :func:`round_money`, which rounds half up to the cent as invoices do.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MONEY_SCALE = 2
COST_SCALE = 4
RATE_SCALE = 6


def round_money(amount: Decimal) -> Decimal:
    # Rounding given by position: C decimal parses keyword arguments at about twice the cost of the
    # rounding itself, and every priced line rounds three times.
    return amount.quantize(CENT, ROUND_HALF_UP)


def to_minor(amount: Decimal, scale: int) -> int:
    """``Decimal('12.34')`` at scale 2 → ``1234``; refuses a value with more decimals than ``scale``."""
    scaled = amount.scaleb(scale)
    minor = int(scaled)
    if minor != scaled:
        raise ValueError(f"{amount} has more than {scale} decimal places")
    return minor


def from_minor(minor: int, scale: int) -> Decimal:
    return Decimal(minor).scaleb(-scale)


def parse_decimal(text: str, *, scale: int, what: str, allow_negative: bool = False) -> Decimal:
    """Parse user text into a Decimal with at most ``scale`` places, or raise ``ValueError`` saying why."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"{what} {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{what} {text!r} is not a finite number")
    if value < 0 and not allow_negative:
        raise ValueError(f"{what} {text!r} is negative")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite decimals have an integer exponent
    if -exponent > scale:
        raise ValueError(f"{what} {text!r} has more than {scale} decimal places")
    return value
