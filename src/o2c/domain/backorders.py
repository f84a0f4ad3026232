"""Backorder allocation: who gets arriving supply, and which alternate fills a backorder.

Pure rules over a snapshot. The service locks the stock rows and the orders before it takes the
snapshot and writes the result with guarded updates, so a decision made here is never stale.

Two rules, chosen by the user (:class:`BackorderRule`):

- ``priority``: customer tier first (1 is the most important account), then the earliest promised
  date (an undated line comes after every dated one), then first come (the order's receipt time);
  order number and line number break the remaining ties, so the outcome is deterministic.
- ``fair_share``: in a shortage every line gets the same fraction of its need, ``available * need /
  total need``, rounded down; the units the rounding leaves over go one each to the largest
  remainders (Hamilton's largest-remainder method), ties broken by priority. When supply covers every
  need, everyone is served in full.

Neither rule gives a line more than it still needs, nor all lines together more than is available.

Substitution (:func:`choose_substitutes`): a line whose customer accepts substitutes and whose own
SKU has nothing available takes the product's alternates in rank order, in priority order of lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from typing import NamedTuple

from o2c.domain.money import round_money
from o2c.domain.order import OrderLine


class BackorderRule(StrEnum):
    PRIORITY = "priority"
    FAIR_SHARE = "fair_share"


class BackorderLine(NamedTuple):
    """One order line waiting for supply of its product at one location.

    A named tuple, not a dataclass: a batch of receipts reads a hundred thousand of them, and a frozen
    dataclass costs several times as much to build."""

    line_id: int
    order_number: str
    line_no: int
    product_id: int
    quantity: int  # still backordered
    tier: int  # the customer's: 1 is the most important
    promised_date: date | None
    received_at: datetime  # when the order came in: first come, first served
    allow_substitution: bool = False

    @property
    def priority(self) -> tuple[int, date, datetime, str, int]:
        """Sort key: lower is served first."""
        return (self.tier, self.promised_date or date.max, self.received_at, self.order_number, self.line_no)


_priority = attrgetter("priority")  # the sort key with no lambda around it: a call less per line


@dataclass(frozen=True)
class Alternate:
    """A product that may stand in for another; rank 1 is the preferred one."""

    product_id: int
    rank: int


@dataclass(frozen=True)
class Substitution:
    line_id: int
    alternate_id: int
    quantity: int


def allocate_by_priority(available: int, lines: Sequence[BackorderLine]) -> dict[int, int]:
    """Serve lines whole, most important first, until supply runs out: ``{line_id: quantity}``."""
    left = max(available, 0)
    allocated: dict[int, int] = {}
    for line in sorted(lines, key=_priority):
        take = min(left, max(line.quantity, 0))
        if take:
            allocated[line.line_id] = take
            left -= take
    return allocated


def allocate_fair_share(available: int, lines: Sequence[BackorderLine]) -> dict[int, int]:
    """Pro rata in a shortage, largest remainders first for the units rounding leaves over.

    With ``A`` available and needs ``n_i`` summing to ``N > A``, line ``i`` gets ``⌊A·n_i/N⌋`` plus one
    unit if its remainder ``A·n_i mod N`` is among the largest (ties: priority order). A line with a
    remainder is below its need (``A·n_i/N < n_i``), so the extra unit never exceeds it.
    """
    wanting = [ln for ln in lines if ln.quantity > 0]
    need = sum(ln.quantity for ln in wanting)
    supply = max(available, 0)
    if need <= supply:
        return {ln.line_id: ln.quantity for ln in wanting}
    shares = {ln.line_id: supply * ln.quantity // need for ln in wanting}
    leftover = supply - sum(shares.values())
    by_remainder = sorted(wanting, key=lambda ln: (-(supply * ln.quantity % need), ln.priority))
    for line in by_remainder[:leftover]:
        shares[line.line_id] += 1
    return {line_id: qty for line_id, qty in shares.items() if qty}


def allocate_backorders(
    rule: BackorderRule, available: int, lines: Sequence[BackorderLine]
) -> dict[int, int]:
    """Share ``available`` units of one product at one location among its backordered ``lines``."""
    if rule is BackorderRule.FAIR_SHARE:
        return allocate_fair_share(available, lines)
    return allocate_by_priority(available, lines)


def choose_substitutes(
    lines: Sequence[BackorderLine],
    alternates: Mapping[int, Sequence[Alternate]],
    available: Mapping[int, int],
) -> list[Substitution]:
    """Fill backorders with alternates, at one location: ``available`` is by product there.

    Only lines whose customer allows substitution and whose own product has nothing available are
    considered, most important first (priority order). Each takes its product's alternates by rank
    (then product id), as much as each has, until the line is filled or the alternates run out; the
    rest stays backordered for the original SKU.
    """
    left = dict(available)
    chosen: list[Substitution] = []
    for line in sorted(lines, key=lambda ln: ln.priority):
        if not line.allow_substitution or left.get(line.product_id, 0) > 0:
            continue
        need = line.quantity
        for alt in sorted(alternates.get(line.product_id, ()), key=lambda a: (a.rank, a.product_id)):
            take = min(need, left.get(alt.product_id, 0))
            if take > 0:
                chosen.append(Substitution(line.line_id, alt.product_id, take))
                left[alt.product_id] -= take
                need -= take
            if not need:
                break
    return chosen


def substitute_line(
    original: OrderLine, quantity: int, product_id: int, sku: str, unit_cost: Decimal, location_id: int
) -> OrderLine:
    """The alternate's order line for ``quantity`` units of ``original``, reserved at ``location_id``.

    The customer pays what it ordered at: unit price, discount and tax are the original line's, and
    the amounts its cumulative share of the original's (as invoices share a line between shipments),
    so that the substituted units of a line add up to the line. The cost is the alternate's own.
    The line number and the link to the original are set by :meth:`Order.substitute`.
    """
    before = original.qty_substituted

    def share(amount: Decimal) -> Decimal:
        def upto(qty: int) -> Decimal:
            return round_money(amount * qty / original.qty_ordered)

        return upto(before + quantity) - upto(before)

    return OrderLine(
        line_no=0,
        product_id=product_id,
        sku=sku,
        qty_ordered=quantity,
        unit_price=original.unit_price,
        discount_amount=share(original.discount_amount),
        tax_amount=share(original.tax_amount),
        net_amount=share(original.net_amount),
        unit_cost=unit_cost,
        location_id=location_id,
        qty_allocated=quantity,
        promised_date=original.promised_date,
    )
