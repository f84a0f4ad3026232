"""Service cases: complaints and questions, opened, answered and resolved, with the timestamps that
response and resolution targets (SLAs) are measured on.

Use cases, for the CLI, the API and the simulator (each one transaction; the clock is ``uow.clock``)::

    open_case(uow, customer_code: str, category: CaseCategory | str, summary: str,
              order_number: str | None = None, priority: CasePriority | str = "normal",
              actor: str = "system") -> CaseSummary
    respond_to_case(uow, case_number: str, actor: str = "system") -> CaseSummary
    resolve_case(uow, case_number: str, resolution: str | None = None,
                 actor: str = "system") -> CaseSummary

Resolving a case nobody answered yet counts the resolution as its first response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from o2c.domain.cases import CaseCategory, CasePriority, CaseStatus, ServiceCase, check_summary
from o2c.domain.errors import ValidationFailed
from o2c.store.cases import CaseRepository
from o2c.store.events import Event
from o2c.store.numbering import DocumentKind
from o2c.store.uow import UnitOfWork, retrying

E = TypeVar("E", CaseCategory, CasePriority)


@dataclass(frozen=True)
class CaseSummary:
    number: str
    customer: str
    order: str | None
    category: str
    priority: str
    status: str
    summary: str
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None


def choice(kind: type[E], value: E | str, what: str) -> E:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise ValidationFailed(f"unknown {what} {value!r} (one of {choices})", field=what) from None


def _summary(repo: CaseRepository, case: ServiceCase) -> CaseSummary:
    customer, order = repo.codes(case.customer_id, case.order_id)
    return CaseSummary(
        number=case.number,
        customer=customer,
        order=order,
        category=str(case.category),
        priority=str(case.priority),
        status=str(case.status),
        summary=case.summary,
        opened_at=case.opened_at,
        first_response_at=case.first_response_at,
        resolved_at=case.resolved_at,
        resolution=case.resolution,
    )


@retrying()
def open_case(
    uow: UnitOfWork,
    customer_code: str,
    category: CaseCategory | str,
    summary: str,
    order_number: str | None = None,
    priority: CasePriority | str = CasePriority.NORMAL,
    actor: str = "system",
) -> CaseSummary:
    """Open a case for a customer, about one of its orders or not."""
    kind = choice(CaseCategory, category, "category")
    urgency = choice(CasePriority, priority, "priority")
    text = check_summary(summary)
    with uow:
        repo = CaseRepository(uow.connection)
        customer = uow.master.customer(customer_code)
        order_id = repo.order_of_customer(order_number, customer.id) if order_number else None
        now = uow.clock.now()
        case = ServiceCase(
            number=uow.next_number(DocumentKind.SERVICE_CASE),
            customer_id=customer.id,
            category=kind,
            priority=urgency,
            status=CaseStatus.OPEN,
            opened_at=now,
            summary=text,
            order_id=order_id,
        )
        repo.add(case)
        payload = {"customer": customer.code, "order": order_number, "category": kind.value}
        uow.events.record(
            Event("case", case.number, "case.opened", now, actor, payload | {"priority": urgency})
        )
        result = _summary(repo, case)
        uow.commit()
        return result


@retrying()
def respond_to_case(uow: UnitOfWork, case_number: str, actor: str = "system") -> CaseSummary:
    """Record the first response to the customer."""
    with uow:
        repo = CaseRepository(uow.connection)
        case = repo.get(case_number, lock=True)
        now = uow.clock.now()
        case.respond(now)
        repo.save(case)
        uow.events.record(Event("case", case.number, "case.responded", now, actor, {}))
        result = _summary(repo, case)
        uow.commit()
        return result


@retrying()
def resolve_case(
    uow: UnitOfWork, case_number: str, resolution: str | None = None, actor: str = "system"
) -> CaseSummary:
    """Close the case as resolved, with what was done."""
    with uow:
        repo = CaseRepository(uow.connection)
        case = repo.get(case_number, lock=True)
        now = uow.clock.now()
        case.resolve(now, resolution.strip()[:2000] if resolution else None)
        repo.save(case)
        uow.events.record(
            Event("case", case.number, "case.resolved", now, actor, {"resolution": case.resolution})
        )
        result = _summary(repo, case)
        uow.commit()
        return result


def get_case(uow: UnitOfWork, case_number: str) -> CaseSummary:
    with uow:
        repo = CaseRepository(uow.connection)
        return _summary(repo, repo.get(case_number))
