"""Service case states and the Net Promoter Score, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from o2c.domain.cases import (
    CaseCategory,
    CasePriority,
    CaseStatus,
    ServiceCase,
    check_score,
    check_summary,
    net_promoter_score,
)
from o2c.domain.errors import IllegalTransition, ValidationFailed

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def a_case() -> ServiceCase:
    return ServiceCase("CS-1", 1, CaseCategory.COMPLAINT, CasePriority.HIGH, CaseStatus.OPEN, NOW, "late")


def test_a_case_is_responded_to_then_resolved() -> None:
    case = a_case()
    case.respond(NOW + timedelta(hours=2))
    case.resolve(NOW + timedelta(hours=30), "refund issued")
    assert case.status is CaseStatus.RESOLVED
    assert (case.first_response_at, case.resolved_at) == (NOW + timedelta(hours=2), NOW + timedelta(hours=30))
    assert case.resolution == "refund issued"


def test_resolving_at_once_counts_as_the_first_response() -> None:
    case = a_case()
    case.resolve(NOW + timedelta(minutes=5))
    assert case.first_response_at == case.resolved_at == NOW + timedelta(minutes=5)


def test_a_resolved_case_cannot_be_answered_or_resolved_again_and_stays_as_it_was() -> None:
    case = a_case()
    case.respond(NOW)
    with pytest.raises(IllegalTransition):
        case.respond(NOW + timedelta(hours=1))  # the first response is kept
    case.resolve(NOW + timedelta(hours=2))
    for action in (case.respond, case.resolve):
        with pytest.raises(IllegalTransition):
            action(NOW + timedelta(hours=3))
    assert (case.first_response_at, case.resolved_at) == (NOW, NOW + timedelta(hours=2))


def test_a_summary_is_required() -> None:
    assert check_summary("  parcel late ") == "parcel late"
    for bad in ("", "   ", "x" * 2001):
        with pytest.raises(ValidationFailed):
            check_summary(bad)


def test_scores_run_from_0_to_10() -> None:
    assert [check_score(s) for s in (0, 10)] == [0, 10]
    for bad in (-1, 11, True, 7.5):
        with pytest.raises(ValidationFailed):
            check_score(bad)  # type: ignore[arg-type]


def test_net_promoter_score_is_promoters_less_detractors_in_percent() -> None:
    # 10, 9 promoters; 8, 7 passives; 6, 0 detractors; 2 - 2 of 6 = 0
    assert net_promoter_score([10, 9, 8, 7, 6, 0]) == Decimal("0.0")
    # 3 promoters, 0 detractors of 4 = 75; 1 promoter, 2 detractors of 3 = -33.3
    assert net_promoter_score([9, 9, 10, 8]) == Decimal("75.0")
    assert net_promoter_score([9, 3, 5]) == Decimal("-33.3")
    assert net_promoter_score([]) is None
