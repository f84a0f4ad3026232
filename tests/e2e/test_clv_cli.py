"""``o2c clv fit`` on a transaction log, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CDNOW = Path(__file__).parents[1] / "data" / "cdnow_sample.csv"
CDNOW_ARGS = [
    "clv",
    "fit",
    "--transactions",
    str(CDNOW),
    "--customer-col",
    "customer",
    "--date-col",
    "date",
    "--date-format",
    "%Y%m%d",
    "--calibration-end",
    "1997-09-30",
]


def o2c(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "o2c", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_clv_fit_prints_parameters_holdout_check_and_customers_as_json() -> None:
    result = o2c(*CDNOW_ARGS, "--amount-col", "amount", "--holdout-end", "1998-06-30", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["customers"] == 2357
    assert document["bgnbd"]["params"]["r"] == pytest.approx(0.243, abs=0.001)
    assert document["bgnbd"]["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    assert document["gamma_gamma"]["params"]["p"] == pytest.approx(6.25, abs=0.01)
    # Holdout: weeks 40 to 78 (1997-10-01 .. 1998-06-30), 273 days = 39 weeks.
    holdout = document["holdout"]
    assert holdout["length"] == pytest.approx(39.0)
    rows = document["per_customer"]
    assert len(rows) == 2357
    assert holdout["actual_total"] == sum(r["holdout_actual"] for r in rows)
    assert holdout["predicted_total"] == pytest.approx(sum(r["holdout_predicted"] for r in rows), abs=0.5)
    assert [r["clv"] for r in rows] == sorted((r["clv"] for r in rows), reverse=True)
    first = next(r for r in rows if r["customer"] == "00004")
    # 00004 bought 1997-01-01, 01-18, 08-02 (calibration) and 12-12 (holdout).
    assert (first["frequency"], first["recency"], first["holdout_actual"]) == (2, round(213 / 7, 4), 1)
    assert 0 < first["p_alive"] <= 1


def test_clv_fit_as_a_table_lists_the_top_customers() -> None:
    result = o2c(*CDNOW_ARGS, "--limit", "3")
    assert result.returncode == 0, result.stderr
    assert "fitted parameters" in result.stdout
    assert "0.2426" in result.stdout  # r
    assert "top 3 of 2357" in result.stdout
    assert "CLV" not in result.stdout  # no amounts, no spend model


def test_clv_fit_with_a_missing_column_is_one_line_and_status_2() -> None:
    result = o2c(*CDNOW_ARGS[:7], "dated", *CDNOW_ARGS[8:])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "o2c: error: " + f"{CDNOW}: no column 'dated' (columns: customer, date, cds, amount)"
    ]
    result = o2c(*CDNOW_ARGS, "--holdout-end", "1997-09-01")
    assert result.returncode == 2
    assert "--holdout-end must be after --calibration-end" in result.stderr
