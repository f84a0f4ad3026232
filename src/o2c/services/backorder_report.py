"""What a backorder allocation reports and records: each fill, and one event per order and outcome.

:func:`report_fills` makes them for the orders whose lines are filled in place, without I/O, so that
it can run aside while the fills are written (:mod:`o2c.services.aside`); :func:`apply_share` applies
an order's share through the domain where it gains a substitute line, and records its events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from o2c.domain.backorders import BackorderRule, substitute_line
from o2c.domain.order import Order
from o2c.domain.values import quick_init
from o2c.services.backorder_plan import BackorderPlan, OrderShare
from o2c.store.events import Event
from o2c.store.json_text import dumps
from o2c.store.uow import UnitOfWork


@quick_init  # a batch of receipts fills tens of thousands of lines
@dataclass(frozen=True)
class BackorderFill:
    """Backordered units of an order line that supply (or an alternate) just covered."""

    order_number: str
    line_no: int
    sku: str
    quantity: int
    location_id: int
    outcome: str  # "allocated", or "substituted" by the line substitute_line_no
    substitute_line_no: int | None = None
    substitute_sku: str | None = None


@dataclass(frozen=True)
class AllocationReport:
    rule: BackorderRule
    fills: tuple[BackorderFill, ...] = ()

    @property
    def order_numbers(self) -> list[str]:
        return sorted({f.order_number for f in self.fills})


@dataclass
class ReportedFills:
    fills: dict[str, list[BackorderFill]] = field(default_factory=dict)  # by order number
    events: list[Event] = field(default_factory=list)


def report_fills(
    statuses: Mapping[str, str],
    plan: BackorderPlan,
    shares: Mapping[str, OrderShare],
    skus: Mapping[int, str],
    rule: BackorderRule,
    actor: str,
    now: datetime,
) -> ReportedFills:
    """The fills and ``order.backorder_allocated`` events of the orders ``statuses`` names (number to
    status), none of whose shares holds a substitute: no I/O (the caller writes the lines' fills)."""
    reported = ReportedFills()
    for number, status in statuses.items():
        allocated: list[BackorderFill] = []
        lines: list[dict[str, Any]] = []  # the event's, built in the same pass
        for line_id, pos, qty in shares[number].allocations:
            line = plan.lines[line_id]
            sku, line_no, location_id = skus[line.product_id], line.line_no, pos.location_id
            allocated.append(BackorderFill(number, line_no, sku, qty, location_id, "allocated"))
            lines.append({"line_no": line_no, "sku": sku, "quantity": qty, "location_id": location_id})
        reported.fills[number] = allocated
        reported.events.append(_allocated_event(number, status, rule, lines, actor, now))
    return reported


def apply_share(
    uow: UnitOfWork,
    order: Order,
    plan: BackorderPlan,
    share: OrderShare,
    rule: BackorderRule,
    actor: str,
    now: datetime,
) -> list[BackorderFill]:
    """Apply one order's share of the plan through the domain and record its events; the caller
    stores the orders and the shortfall facts of all of them at once."""
    number = order.number
    allocated: list[BackorderFill] = []
    substituted: list[BackorderFill] = []
    for line_id, pos, qty in share.allocations:
        line = order.line(plan.lines[line_id].line_no)
        order.allocate_backorder(line.line_no, qty, pos.location_id)
        allocated.append(BackorderFill(number, line.line_no, line.sku, qty, pos.location_id, "allocated"))
    for line_id, pos, qty, alt in share.substitutions:
        line = order.line(plan.lines[line_id].line_no)
        new = substitute_line(line, qty, alt.alternate_id, alt.sku, alt.standard_cost, pos.location_id)
        order.substitute(line.line_no, qty, new)
        substituted.append(
            BackorderFill(
                number, line.line_no, line.sku, qty, pos.location_id, "substituted", new.line_no, alt.sku
            )
        )
    for event in _events(number, str(order.status), rule, allocated, substituted, actor, now):
        uow.events.record(event)
    return allocated + substituted


def _events(
    number: str,
    status: str,
    rule: BackorderRule,
    allocated: Sequence[BackorderFill],
    substituted: Sequence[BackorderFill],
    actor: str,
    now: datetime,
) -> list[Event]:
    events = []
    if allocated:
        lines = [
            {"line_no": f.line_no, "sku": f.sku, "quantity": f.quantity, "location_id": f.location_id}
            for f in allocated
        ]
        events.append(_allocated_event(number, status, rule, lines, actor, now))
    if substituted:
        lines = [
            {
                "line_no": f.line_no,
                "sku": f.sku,
                "quantity": f.quantity,
                "location_id": f.location_id,
                "substitute_line_no": f.substitute_line_no,
                "substitute_sku": f.substitute_sku,
            }
            for f in substituted
        ]
        payload = {"status": status, "lines": lines}
        events.append(Event("order", number, "order.backorder_substituted", now, actor, payload))
    return events


def _allocated_event(
    number: str, status: str, rule: BackorderRule, lines: list[dict[str, Any]], actor: str, now: datetime
) -> Event:
    payload = {"status": status, "rule": str(rule), "lines": lines}
    return Event("order", number, "order.backorder_allocated", now, actor, payload, dumps(payload))


__all__ = ["AllocationReport", "BackorderFill", "ReportedFills", "apply_share", "report_fills"]
