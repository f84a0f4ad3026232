"""Pricing of a basket: unit price from the price list, segment discount, tax of the ship-to region.

Rounding happens once per line, half up to the cent, on the discount and on the tax, so that a line's
amounts always add up: ``gross - discount = net`` and ``net + tax = line total``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from o2c.domain.money import round_money
from o2c.domain.values import quick_init

_NONE, _ALL = Decimal(0), Decimal(1)


@quick_init
@dataclass(frozen=True)
class PricedLine:
    quantity: int
    unit_price: Decimal
    discount_amount: Decimal
    net_amount: Decimal
    tax_amount: Decimal

    @property
    def total(self) -> Decimal:
        return self.net_amount + self.tax_amount


def price_line(quantity: int, unit_price: Decimal, discount_rate: Decimal, tax_rate: Decimal) -> PricedLine:
    """Price ``quantity`` units; rates are fractions (``Decimal('0.05')`` is 5 %)."""
    if not _NONE <= discount_rate <= _ALL:
        raise ValueError(f"discount rate {discount_rate} is outside 0..1")
    if tax_rate < _NONE:
        raise ValueError(f"tax rate {tax_rate} is negative")
    gross = unit_price * quantity
    discount = round_money(gross * discount_rate)
    # round(gross) - discount equals round(gross - discount) whenever that is not negative, and
    # never goes below zero: a 100 % discount on a gross of 1.005 nets 0.00, not round(-0.005) = -0.01.
    net = round_money(gross) - discount
    return PricedLine(quantity, unit_price, discount, net, round_money(net * tax_rate))
