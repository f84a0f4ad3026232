"""From a transaction log to (frequency, recency, T, monetary value): the Fader-Hardie-Lee conventions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from o2c.analytics.clv_summary import TimeUnit, read_transaction_log, summarise_transactions
from o2c.domain.errors import ValidationFailed

LOG = """customer,when,amount
A,2026-01-01,10
A,2026-01-01T15:30:00,5
A,2026-01-08,20
A,2026-01-29,40
A,2026-02-05,7
B,2026-01-15,12
C,2026-02-02,9
D,2026-01-22,3
D,2026-02-10,8
D,2026-02-12,1
"""


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(LOG, encoding="utf-8")
    return path


def test_the_summary_follows_the_published_conventions(log_file: Path) -> None:
    log = read_transaction_log(log_file, customer_col="customer", date_col="when", amount_col="amount")
    summary = summarise_transactions(
        log, calibration_end=date(2026, 1, 29), holdout_end=date(2026, 2, 11), time_unit=TimeUnit.DAY
    )
    # C first bought after the calibration end: not in the cohort.
    assert list(summary.customers) == ["A", "B", "D"]
    # A: Jan 1 (10 + 5, one transaction), Jan 8, Jan 29 -> x = 2, t_x = 28 days, T = 28 days,
    #    monetary value = (20 + 40) / 2 = 30; holdout (Jan 30 .. Feb 11): Feb 5 -> 1.
    # B: Jan 15 only -> x = 0, t_x = 0, T = 14, monetary 0, holdout 0.
    # D: Jan 22 -> x = 0, T = 7; holdout: Feb 10 (Feb 12 is after the holdout) -> 1.
    np.testing.assert_array_equal(summary.frequency, [2, 0, 0])
    np.testing.assert_array_equal(summary.recency, [28, 0, 0])
    np.testing.assert_array_equal(summary.T, [28, 14, 7])
    np.testing.assert_array_equal(summary.monetary_value, [30, 0, 0])
    assert summary.holdout_frequency is not None
    np.testing.assert_array_equal(summary.holdout_frequency, [1, 0, 1])
    assert summary.holdout_length == 13


def test_weeks_are_days_divided_by_seven(log_file: Path) -> None:
    log = read_transaction_log(log_file, customer_col="customer", date_col="when")
    summary = summarise_transactions(log, calibration_end=date(2026, 1, 29), time_unit=TimeUnit.WEEK)
    np.testing.assert_allclose(summary.recency, [4, 0, 0])
    np.testing.assert_allclose(summary.T, [4, 2, 1])
    assert np.all(np.isnan(summary.monetary_value))  # no amount column: no monetary value
    assert summary.holdout_frequency is None


def test_a_custom_date_format_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("id,d\n7,20260101\n7,20260115\n", encoding="utf-8")
    log = read_transaction_log(path, customer_col="id", date_col="d", date_format="%Y%m%d")
    summary = summarise_transactions(log, calibration_end=date(2026, 1, 31), time_unit=TimeUnit.DAY)
    assert (summary.frequency[0], summary.recency[0], summary.T[0]) == (1, 14, 30)


@pytest.mark.parametrize(
    ("text", "columns", "field"),
    [
        ("customer,when\nA,2026-13-01\n", {"customer_col": "customer", "date_col": "when"}, "date-col"),
        ("customer,when\nA,2026-01-01\n", {"customer_col": "client", "date_col": "when"}, "customer-col"),
        (
            "customer,when,amount\nA,2026-01-01,ten\n",
            {"customer_col": "customer", "date_col": "when", "amount_col": "amount"},
            "amount-col",
        ),
        ("customer,when\n", {"customer_col": "customer", "date_col": "when"}, "transactions"),
    ],
)
def test_a_bad_log_is_refused_with_the_field(
    tmp_path: Path, text: str, columns: dict[str, str], field: str
) -> None:
    path = tmp_path / "log.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFailed) as raised:
        read_transaction_log(path, **columns)
    assert raised.value.field == field
