"""The decision of backorder allocation, before anything is written: which waiting line gets how much
of which stock row (its own product first, row by row in id order, by the configured rule), then which
alternates stand in for what is still short. No I/O: :mod:`o2c.services.backorders` reads the inputs
under its locks and writes what this decides."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter

from o2c.domain.allocation import StockPosition
from o2c.domain.backorders import Alternate, BackorderLine, BackorderRule, choose_substitutes
from o2c.domain.backorders import allocate_backorders as share_supply
from o2c.store.backorders import AlternateProduct, WaitingLine


@dataclass
class BackorderPlan:
    """What to allocate (own product) and substitute (alternate), per backorder line id."""

    lines: dict[int, BackorderLine]
    need: dict[int, int] = field(default_factory=dict)  # still backordered after the plan
    where: dict[int, int | None] = field(default_factory=dict)  # where each line is sourced after it
    allocations: list[tuple[int, StockPosition, int]] = field(default_factory=list)
    substitutions: list[tuple[int, StockPosition, int, AlternateProduct]] = field(default_factory=list)

    def reservations(self) -> dict[int, int]:
        total: dict[int, int] = {}
        for _, pos, qty in self.allocations:
            total[pos.stock_id] = total.get(pos.stock_id, 0) + qty
        for _, pos, qty, _alt in self.substitutions:
            total[pos.stock_id] = total.get(pos.stock_id, 0) + qty
        return total

    def by_order(self, only: Container[str] | None = None) -> dict[str, OrderShare]:
        """Each touched order's allocations and substitutions, in plan order (of the orders ``only``
        names, if given)."""
        shares: dict[str, OrderShare] = {}
        lines = self.lines
        for a in self.allocations:  # a share made only for a new order, not once per allocation
            number = lines[a[0]].order_number
            if only is not None and number not in only:
                continue
            share = shares.get(number) or shares.setdefault(number, OrderShare())
            share.allocations.append(a)
        for sub in self.substitutions:
            number = lines[sub[0]].order_number
            if only is not None and number not in only:
                continue
            share = shares.get(number) or shares.setdefault(number, OrderShare())
            share.substitutions.append(sub)
        return shares


_line_id = attrgetter("line_id")


@dataclass
class OrderShare:
    allocations: list[tuple[int, StockPosition, int]] = field(default_factory=list)
    substitutions: list[tuple[int, StockPosition, int, AlternateProduct]] = field(default_factory=list)


def plan_fills(
    rule: BackorderRule,
    positions: list[StockPosition],
    waiting: list[WaitingLine],
    alternates: Mapping[int, list[AlternateProduct]],
) -> BackorderPlan:
    """Own product first, stock row by stock row (id order); then alternates, location by location.

    Lines are indexed by product and location once, so the work grows with lines + positions, not
    their product.
    """
    need = {w.line.line_id: w.line.quantity for w in waiting}
    where = {w.line.line_id: w.location_id for w in waiting}  # a line sourced nowhere is pinned on first fill
    plan = BackorderPlan({w.line.line_id: w.line for w in waiting}, need, where)
    left = {pos.stock_id: pos.available for pos in positions}
    sourced: dict[tuple[int, int | None], list[BackorderLine]] = {}  # by product and location
    for w in waiting:  # in line id order: first come, first served among equals
        sourced.setdefault((w.line.product_id, w.location_id), []).append(w.line)

    def waiting_for(lines: Iterable[BackorderLine], location_id: int) -> list[BackorderLine]:
        # Most lines are still wholly unfilled: copying those would cost a dataclass each.
        return [
            ln if still == ln.quantity else ln._replace(quantity=still)
            for ln in lines
            if (still := need[ln.line_id]) > 0
            and ((at := where[ln.line_id]) == location_id or at is None)  # no tuple built per line
        ]

    for pos in positions:
        # A row is the only one of its product at its location, so the lines sourced there are still
        # untouched when it comes; only those sourced nowhere, which an earlier row may have pinned or
        # part-filled, are looked at one by one.
        here = sourced.get((pos.product_id, pos.location_id), [])
        if (pos.product_id, None) in sourced:
            here = sorted(here + waiting_for(sourced[pos.product_id, None], pos.location_id), key=_line_id)
        for line_id, qty in share_supply(rule, left[pos.stock_id], here).items():
            plan.allocations.append((line_id, pos, qty))
            need[line_id] -= qty
            left[pos.stock_id] -= qty
            where[line_id] = pos.location_id
    ranked = {p: [Alternate(a.alternate_id, a.rank) for a in alts] for p, alts in alternates.items() if alts}
    # Only lines of a product with alternates, for a customer who accepts them, can be substituted.
    candidates = [
        ln
        for (product_id, _), lines in sourced.items()
        if product_id in ranked
        for ln in lines
        if ln.allow_substitution and need[ln.line_id]
    ]
    for location_id in sorted({pos.location_id for pos in positions}) if candidates else ():
        stock_here = {pos.product_id: pos for pos in positions if pos.location_id == location_id}
        available = {p: left[pos.stock_id] for p, pos in stock_here.items()}
        # Only where the line's own SKU is known to have nothing here (its row locked), or nowhere.
        here = sorted(
            (
                ln
                for ln in waiting_for(candidates, location_id)
                if ln.product_id in stock_here or where[ln.line_id] is None
            ),
            key=lambda ln: ln.line_id,
        )
        for sub in choose_substitutes(here, ranked, available):
            pos = stock_here[sub.alternate_id]
            product_id = plan.lines[sub.line_id].product_id
            alt = next(a for a in alternates[product_id] if a.alternate_id == sub.alternate_id)
            plan.substitutions.append((sub.line_id, pos, sub.quantity, alt))
            need[sub.line_id] -= sub.quantity
            left[pos.stock_id] -= sub.quantity
    return plan
