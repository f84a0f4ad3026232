"""The service scorecard: every service metric of DOMAIN.md for one slice, in one place.

This is the façade reports and other analytics call. Each metric family lives in its own module and
can be called on its own (customer analytics reads SLA compliance straight from
:func:`~o2c.analytics.fill.entry_fill`, :func:`~o2c.analytics.delivery.delivery_performance` and
:func:`~o2c.analytics.cycle_time.cycle_times`); :func:`service_scorecard` runs the families the
breakdown allows and lines their rows up by period and member. Families a breakdown does not apply to
(OTIF by SKU: an order has no single SKU) are listed in ``not_available`` rather than guessed.

Metric names in :meth:`ServiceScorecard.as_json` are those of DOMAIN.md in snake_case; every rate
comes with its numerator and denominator. ``docs/metrics.md`` documents each formula and the stamp
that places it in a period.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, text

from o2c.analytics import cycle_time, delivery, fill, receivables
from o2c.analytics.backorders import DIMENSIONS as BACKORDER_DIMENSIONS
from o2c.analytics.backorders import OpenBackorders, open_backorders
from o2c.analytics.cycle_time import StageTime, cycle_times
from o2c.analytics.delivery import DeliveryPerformance, OnTimeBasis, deliveries_of
from o2c.analytics.dimensions import ORDER_DIMENSIONS
from o2c.analytics.figures import Distribution, Ratio, Slice
from o2c.analytics.fill import EntryFill, entry_fill, fills_of
from o2c.analytics.outcomes import OrderSpan, order_outcomes, order_spans
from o2c.analytics.reads import READERS, Read, Source, connected, read_all
from o2c.analytics.receivables import SalesOutstanding, days_sales_outstanding

__all__ = [
    "Distribution",
    "OnTimeBasis",
    "Ratio",
    "ScorecardRow",
    "ServiceScorecard",
    "Slice",
    "flatten",
    "service_scorecard",
]


@dataclass
class ScorecardRow:
    """Every service metric of one period and member (``None``: no fact to compute it from)."""

    period: str
    member: str
    fill: EntryFill | None = None
    delivery: DeliveryPerformance | None = None
    stages: dict[str, Distribution] = field(default_factory=dict)
    sales_outstanding: SalesOutstanding | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"period": self.period, "member": self.member}
        body.update(_fill_json(self.fill))
        body.update(_delivery_json(self.delivery))
        stages = {k: v.as_json() for k, v in self.stages.items() if k != "order_to_cash"}
        body["order_cycle_time"] = stages
        to_cash = self.stages.get("order_to_cash")
        body["order_to_cash"] = to_cash.as_json() if to_cash else None
        body["days_sales_outstanding"] = _dso_json(self.sales_outstanding)
        return body


@dataclass(frozen=True)
class ServiceScorecard:
    """The rows of a scorecard, the open backorders now, and what the breakdown leaves out."""

    spec: Slice
    as_of: datetime
    rows: list[ScorecardRow]
    open_backorders: list[OpenBackorders]
    not_available: list[str]

    def as_json(self) -> dict[str, Any]:
        window = self.spec.window
        return {
            "period": str(self.spec.period) if self.spec.period else "all",
            "by": str(self.spec.by) if self.spec.by else None,
            "from": window.start.isoformat() if window.start else None,
            "to": window.end.isoformat() if window.end else None,
            "as_of": self.as_of.isoformat(),
            "rows": [r.as_json() for r in self.rows],
            "open_backorders": [
                {
                    "member": b.member,
                    "lines": b.lines,
                    "units": b.units,
                    "open_backorder_value": b.open_backorder_value,
                    "average_backorder_age_hours": b.average_backorder_age,
                }
                for b in self.open_backorders
            ],
            "not_available": self.not_available,
        }


def _ratio(value: Ratio | None) -> dict[str, Any] | None:
    return value.as_json() if value is not None else None


def _fill_json(f: EntryFill | None) -> dict[str, Any]:
    return {
        "unit_fill_rate": _ratio(f.unit_fill_rate) if f else None,
        "line_fill_rate": _ratio(f.line_fill_rate) if f else None,
        "order_fill_rate": _ratio(f.order_fill_rate) if f else None,
        "value_fill_rate": _ratio(f.value_fill_rate) if f else None,
        "stockout_value": {"value": f.stockout_value, "units": f.stockout_units} if f else None,
        "backorder_rate": _ratio(f.backorder_rate) if f else None,
    }


def _delivery_json(d: DeliveryPerformance | None) -> dict[str, Any]:
    names = ("on_time", "in_full", "otif", "damage_free", "accurately_filled", "accurately_invoiced")
    body: dict[str, Any] = {name: _ratio(getattr(d, name)) if d else None for name in names}
    body["perfect_order_rate"] = _ratio(d.perfect_order_rate) if d else None
    body["perfect_order_index"] = (
        {
            "value": d.perfect_order_index,
            "components": {
                "on_time": d.on_time.value,
                "in_full": d.in_full.value,
                "damage_free": d.damage_free.value,
                "accurate": d.accurate.value,
            },
        }
        if d
        else None
    )
    return body


def _dso_json(s: SalesOutstanding | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"value": s.dso, "numerator": s.receivables, "denominator": s.sales, "days": s.days}


def flatten(body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """One flat record, for CSV: ``{"otif": {"value": v, "numerator": n}}`` becomes the columns
    ``otif`` and ``otif_numerator``."""
    flat: dict[str, Any] = {}
    for key, value in body.items():
        name = f"{prefix}_{key}" if prefix else key
        if key == "value" and prefix:
            name = prefix
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        elif not isinstance(value, list):
            flat[name] = value
    return flat


def _rows(
    fills: Iterable[EntryFill],
    deliveries: Iterable[DeliveryPerformance],
    stages: Iterable[StageTime],
    outstanding: Iterable[SalesOutstanding],
) -> list[ScorecardRow]:
    rows: dict[tuple[str, str], ScorecardRow] = {}

    def row(period: str, member: str) -> ScorecardRow:
        return rows.setdefault((period, member), ScorecardRow(period, member))

    for f in fills:
        row(f.period, f.member).fill = f
    for d in deliveries:
        row(d.period, d.member).delivery = d
    for s in stages:
        row(s.period, s.member).stages[s.stage] = s.hours
    for o in outstanding:
        if o.sales or o.receivables:
            row(o.period, o.member).sales_outstanding = o
    return [rows[k] for k in sorted(rows)]


SCORECARD_WORK_MEM = "256MB"  # of each sort on PostgreSQL while the scorecard runs


@contextmanager
def _sort_memory(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, ``work_mem`` raised to :data:`SCORECARD_WORK_MEM` for the statements inside.

    Exact medians and 90th percentiles of cycle-time stages (``percentile_cont``) sort every value of a
    group; at the server's default ``work_mem`` (4MB) those sorts spill to disk and dominate the
    scorecard's time (51 s of 5M lines). The setting is transaction-local (``set_config(..., true)``,
    i.e. ``SET LOCAL``) and put back afterwards, so it never outlives this read nor leaks into the
    caller's other statements or a pooled connection. On an error the transaction is being abandoned
    anyway, and its rollback undoes the setting. Nothing to do on SQLite.
    """
    if conn.dialect.name != "postgresql":
        yield
        return
    previous = conn.execute(text("SELECT current_setting('work_mem')")).scalar_one()
    conn.execute(text("SELECT set_config('work_mem', :value, true)"), {"value": SCORECARD_WORK_MEM})
    yield
    conn.execute(text("SELECT set_config('work_mem', :value, true)"), {"value": previous})


def service_scorecard(
    source: Source,
    spec: Slice,
    as_of: datetime,
    basis: OnTimeBasis = OnTimeBasis.PROMISED,
) -> ServiceScorecard:
    """Every service metric the breakdown allows, per period and member.

    Parameters
    ----------
    source : Connection or Engine
        Nothing is written. Given a connection, the metric families are read one after another in
        its transaction; given an engine, side by side (:mod:`o2c.analytics.reads`), the order
        outcomes in as many spans of order ids as there are readers.
    spec : Slice
        Period buckets, breakdown and window. Each metric is placed in a period by its own stamp
        (fill rates by ``received_at``, OTIF by ``delivered_at``, …: see ``docs/metrics.md``).
    as_of : datetime
        Now: the instant open backorders are aged at.
    basis : OnTimeBasis
        On time against the promised (default) or the requested date.
    """
    by = spec.by
    applies = {
        "fill rates, stockout value, backorder rate": by is None or by in fill.DIMENSIONS,
        "on time, in full, OTIF, perfect order": by is None or by in delivery.DIMENSIONS,
        "order cycle time, order-to-cash": by is None or by in cycle_time.DIMENSIONS,
        "days sales outstanding": by is None or by in receivables.DIMENSIONS,
        "open backorders": by is None or by in BACKORDER_DIMENSIONS,
    }
    # Entry and delivery of the orders are read in one pass for both (an order breakdown); a line
    # breakdown (SKU, location) has fill rates only, read at the line's grain.
    per_order = by is None or by in ORDER_DIMENSIONS
    reads: dict[str, Read] = {}
    if per_order:
        spans = _spans(source)
        for n, span in enumerate(spans):
            reads[f"outcomes {n}"] = partial(order_outcomes, spec=spec, basis=basis, span=span)
    elif applies["fill rates, stockout value, backorder rate"]:
        reads["fills"] = partial(entry_fill, spec=spec)
    if applies["order cycle time, order-to-cash"]:
        reads["stages"] = partial(cycle_times, spec=spec)
    if applies["days sales outstanding"]:
        reads["outstanding"] = partial(days_sales_outstanding, spec=spec)
    if applies["open backorders"]:
        reads["backorders"] = partial(open_backorders, as_of=as_of, by=by)
    read = read_all(source, reads, around=_sort_memory)
    outcomes = [o for name, part in read.items() if name.startswith("outcomes") for o in part]
    if not applies["fill rates, stockout value, backorder rate"]:
        fills: list[EntryFill] = []
    else:
        fills = fills_of(outcomes) if per_order else read["fills"]
    deliveries = deliveries_of(outcomes) if applies["on time, in full, OTIF, perfect order"] else []
    rows = _rows(fills, deliveries, read.get("stages", []), read.get("outstanding", []))
    missing = [name for name, ok in applies.items() if not ok]
    return ServiceScorecard(spec, as_of, rows, read.get("backorders", []), missing)


def _spans(source: Source) -> list[OrderSpan | None]:
    if isinstance(source, Connection):
        return [None]
    with connected(source) as conn:
        return list(order_spans(conn, READERS))
