"""Service cases (complaints, delivery or billing questions) and satisfaction (NPS) responses.

A case is opened, responded to, and resolved; a case resolved straight away counts its resolution as
its first response, so response time is never undefined for a resolved case. The allowed status
changes are data (:data:`ALLOWED`), enforced in :meth:`ServiceCase._move_to`.

Net Promoter Score (Reichheld 2003): promoters score 9-10, detractors 0-6;
``NPS = 100 * (promoters - detractors) / responses``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from o2c.domain.errors import IllegalTransition, ValidationFailed


class CaseStatus(StrEnum):
    OPEN = "open"
    RESPONDED = "responded"
    RESOLVED = "resolved"


class CaseCategory(StrEnum):
    COMPLAINT = "complaint"
    DELIVERY = "delivery"
    BILLING = "billing"
    QUALITY = "quality"
    INQUIRY = "inquiry"
    OTHER = "other"


class CasePriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


C = CaseStatus
ALLOWED: frozenset[tuple[CaseStatus, CaseStatus]] = frozenset(
    {(C.OPEN, C.RESPONDED), (C.OPEN, C.RESOLVED), (C.RESPONDED, C.RESOLVED)}
)


@dataclass
class ServiceCase:
    number: str
    customer_id: int
    category: CaseCategory
    priority: CasePriority
    status: CaseStatus
    opened_at: datetime
    summary: str
    order_id: int | None = None
    id: int | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None

    def _move_to(self, target: CaseStatus, action: str) -> None:
        if (self.status, target) not in ALLOWED:
            raise IllegalTransition(
                f"case {self.number} is {self.status}: cannot {action}",
                case_number=self.number,
                status=str(self.status),
                action=action,
            )
        self.status = target

    def respond(self, now: datetime) -> None:
        """The first answer to the customer: starts nothing, stops the response clock."""
        self._move_to(CaseStatus.RESPONDED, "respond")
        self.first_response_at = max(now, self.opened_at)

    def resolve(self, now: datetime, resolution: str | None = None) -> None:
        self._move_to(CaseStatus.RESOLVED, "resolve")
        self.first_response_at = self.first_response_at or max(now, self.opened_at)
        self.resolved_at = max(now, self.first_response_at)
        self.resolution = resolution


def check_summary(summary: str) -> str:
    text = summary.strip()
    if not text:
        raise ValidationFailed("a case needs a summary", field="summary")
    if len(text) > 2000:
        raise ValidationFailed("a case summary is at most 2000 characters", field="summary")
    return text


# --- satisfaction ----------------------------------------------------------------------------------

PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def check_score(score: int) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValidationFailed(f"an NPS score is a whole number from 0 to 10, not {score!r}", field="score")
    return score


def net_promoter_score(scores: Iterable[int]) -> Decimal | None:
    """NPS in points (-100 to 100), to one decimal; ``None`` without responses."""
    values = [check_score(s) for s in scores]
    if not values:
        return None
    promoters = sum(1 for s in values if s >= PROMOTER_MIN)
    detractors = sum(1 for s in values if s <= DETRACTOR_MAX)
    return (Decimal(100 * (promoters - detractors)) / len(values)).quantize(Decimal("0.1"))
