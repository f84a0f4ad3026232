"""Customer satisfaction: Net Promoter Score survey responses (0-10), about an order or not.

Use case, for the CLI, the API and the simulator (one transaction; the clock is ``uow.clock``)::

    record_nps(uow, customer_code: str, score: int, order_number: str | None = None,
               comment: str = "", actor: str = "system") -> NpsResponse

The score itself (promoters 9-10 less detractors 0-6) is :func:`o2c.domain.cases.net_promoter_score`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from o2c.domain.cases import check_score
from o2c.store.cases import CaseRepository
from o2c.store.events import Event
from o2c.store.uow import UnitOfWork, retrying


@dataclass(frozen=True)
class NpsResponse:
    id: int
    customer: str
    order: str | None
    score: int
    responded_at: datetime


@retrying()
def record_nps(
    uow: UnitOfWork,
    customer_code: str,
    score: int,
    order_number: str | None = None,
    comment: str = "",
    actor: str = "system",
) -> NpsResponse:
    """Record one customer's answer to "how likely are you to recommend us" (0-10)."""
    check_score(score)
    with uow:
        repo = CaseRepository(uow.connection)
        customer = uow.master.customer(customer_code)
        order_id = repo.order_of_customer(order_number, customer.id) if order_number else None
        now = uow.clock.now()
        response_id = repo.add_nps(customer.id, order_id, score, now, comment.strip()[:2000])
        payload = {"customer": customer.code, "order": order_number, "score": score}
        uow.events.record(Event("nps_response", str(response_id), "nps.recorded", now, actor, payload))
        uow.commit()
        return NpsResponse(response_id, customer.code, order_number, score, now)
