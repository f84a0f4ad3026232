"""Service level agreements: definitions per segment or customer, compliance per period, breaches.

An agreement sets any of five targets; a customer's own agreement replaces its segment's. Each target
is checked per customer and period against the metrics engine (the customer is the breakdown):

==================  =======================================================  ==================
target              actual value in the period                               met when
==================  =======================================================  ==================
min_fill_rate       unit fill rate at entry (:func:`~o2c.analytics.fill.      actual >= target
                    entry_fill`, orders by receipt)
min_otif            OTIF of orders delivered (:func:`~o2c.analytics.          actual >= target
                    delivery.delivery_performance`, promised date)
max_lead_time_days  mean order lead time, sent (else received) -> delivered   actual <= target
                    (:func:`~o2c.analytics.cycle_time.cycle_times`, ``total``)
max_response_hours  mean hours from a case's opening to its first response    actual <= target
                    (cases by opening)
max_resolution_...  mean hours from opening to resolution (resolved cases)    actual <= target
==================  =======================================================  ==================

A period with nothing to measure for a target (no order, no delivery, no case) yields no check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Float, cast, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from o2c.analytics.cycle_time import cycle_times
from o2c.analytics.delivery import delivery_performance
from o2c.analytics.dimensions import Dimension
from o2c.analytics.figures import Slice
from o2c.analytics.fill import entry_fill
from o2c.analytics.periods import Period, Window, bucket, grouped, seconds_between
from o2c.domain.errors import NotFound, ValidationFailed
from o2c.store.after_sale_tables import service_cases
from o2c.store.analytics_tables import service_level_agreements as slas
from o2c.store.master_tables import customers

TARGETS = ("min_fill_rate", "min_otif", "max_lead_time_days", "max_response_hours", "max_resolution_hours")
HOURS_PER_DAY = 24


@dataclass(frozen=True)
class Agreement:
    """Targets of one agreement; ``None`` means no target for that measure."""

    segment: str | None = None
    customer: str | None = None
    min_fill_rate: Decimal | None = None
    min_otif: Decimal | None = None
    max_lead_time_days: int | None = None
    max_response_hours: int | None = None
    max_resolution_hours: int | None = None

    @property
    def scope(self) -> str:
        return f"customer {self.customer}" if self.customer else f"segment {self.segment}"


@dataclass(frozen=True)
class SlaCheck:
    customer: str
    scope: str  # the agreement applied: "customer C1" or "segment retail"
    period: str
    target: str  # one of TARGETS
    target_value: float
    actual: float

    @property
    def met(self) -> bool:
        if self.target.startswith("min_"):
            return self.actual >= self.target_value
        return self.actual <= self.target_value


def _check(agreement: Agreement) -> None:
    if (agreement.segment is None) == (agreement.customer is None):
        raise ValidationFailed("an agreement is for one segment or one customer", field="scope")
    for name in ("min_fill_rate", "min_otif"):
        value = getattr(agreement, name)
        if value is not None and not 0 <= value <= 1:
            raise ValidationFailed(f"{name} {value} must be between 0 and 1", field=name)
    for name in ("max_lead_time_days", "max_response_hours", "max_resolution_hours"):
        value = getattr(agreement, name)
        if value is not None and value < 0:
            raise ValidationFailed(f"{name} {value} is negative", field=name)


def set_agreement(conn: Connection, agreement: Agreement, now: datetime) -> None:
    """Create or replace the agreement of a segment or a customer."""
    _check(agreement)
    customer_id = None
    if agreement.customer is not None:
        customer_id = conn.execute(
            select(customers.c.id).where(customers.c.code == agreement.customer)
        ).scalar()
        if customer_id is None:
            raise NotFound(f"no customer {agreement.customer}", customer=agreement.customer)
    values: dict[str, Any] = {name: getattr(agreement, name) for name in TARGETS}
    values.update(segment=agreement.segment, customer_id=customer_id, updated_at=now)
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    key = "customer_id" if customer_id is not None else "segment"
    statement = insert(slas).values(**values)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[key], set_={n: values[n] for n in (*TARGETS, "updated_at")}
        )
    )


def agreements(conn: Connection) -> list[Agreement]:
    """All agreements: segments first, then customers."""
    rows = conn.execute(
        select(slas, customers.c.code)
        .outerjoin(customers, customers.c.id == slas.c.customer_id)
        .order_by(slas.c.customer_id.is_not(None), slas.c.segment, customers.c.code)
    )
    return [Agreement(r.segment, r.code, *(getattr(r, n) for n in TARGETS)) for r in rows]


def _applicable(conn: Connection, found: list[Agreement]) -> dict[str, Agreement]:
    """Each customer's agreement: its own, else its segment's."""
    by_segment = {a.segment: a for a in found if a.segment}
    by_customer = {a.customer: a for a in found if a.customer}
    result = {}
    for code, segment in conn.execute(select(customers.c.code, customers.c.segment)):
        agreement = by_customer.get(code) or by_segment.get(segment)
        if agreement is not None:
            result[code] = agreement
    return result


def _case_hours(conn: Connection, spec: Slice, stamp: Any) -> dict[tuple[str, str], float]:
    opened = service_cases.c.opened_at
    period = bucket(opened, spec.period, conn.dialect.name)
    hours = func.avg(cast(seconds_between(opened, stamp, conn.dialect.name), Float) / 3600)
    statement = (
        select(customers.c.code, period.label("period"), hours)
        .select_from(service_cases.join(customers, customers.c.id == service_cases.c.customer_id))
        .where(stamp.is_not(None), *spec.window.contains(opened))
        .group_by(*grouped(customers.c.code, period))
    )
    return {(code, label): float(value) for code, label, value in conn.execute(statement)}


def _actuals(conn: Connection, spec: Slice, wanted: set[str]) -> dict[str, dict[tuple[str, str], float]]:
    """Actual value per target, keyed by (customer, period); only the targets some agreement sets."""
    actual: dict[str, dict[tuple[str, str], float]] = {}
    if "min_fill_rate" in wanted:
        actual["min_fill_rate"] = {
            (f.member, f.period): v
            for f in entry_fill(conn, spec)
            if (v := f.unit_fill_rate.value) is not None
        }
    if "min_otif" in wanted:
        actual["min_otif"] = {
            (d.member, d.period): v
            for d in delivery_performance(conn, spec)
            if (v := d.otif.value) is not None
        }
    if "max_lead_time_days" in wanted:
        actual["max_lead_time_days"] = {
            (s.member, s.period): s.hours.mean / HOURS_PER_DAY
            for s in cycle_times(conn, spec, ("total",))
            if s.hours.mean is not None
        }
    if "max_response_hours" in wanted:
        actual["max_response_hours"] = _case_hours(conn, spec, service_cases.c.first_response_at)
    if "max_resolution_hours" in wanted:
        actual["max_resolution_hours"] = _case_hours(conn, spec, service_cases.c.resolved_at)
    return actual


def sla_compliance(conn: Connection, window: Window, period: Period | None = Period.MONTH) -> list[SlaCheck]:
    """Every target of every customer's agreement, checked per period of ``window``.

    Returns
    -------
    list of SlaCheck
        In customer, period, target order; :attr:`SlaCheck.met` tells compliance, and
        :func:`breaches` keeps the others.
    """
    applicable = _applicable(conn, agreements(conn))
    if not applicable:
        return []
    wanted = {t for a in applicable.values() for t in TARGETS if getattr(a, t) is not None}
    actual = _actuals(conn, Slice(period=period, by=Dimension.CUSTOMER, window=window), wanted)
    checks = []
    for target, values in actual.items():
        for (customer, label), value in values.items():
            agreement = applicable.get(customer)
            goal = getattr(agreement, target) if agreement else None
            if agreement is not None and goal is not None:
                checks.append(SlaCheck(customer, agreement.scope, label, target, float(goal), value))
    order = {t: i for i, t in enumerate(TARGETS)}
    return sorted(checks, key=lambda c: (c.customer, c.period, order[c.target]))


def breaches(checks: list[SlaCheck]) -> list[SlaCheck]:
    """The checks whose target was missed."""
    return [c for c in checks if not c.met]
