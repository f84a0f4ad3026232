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


# A small log for the refusals: six customers, four of them with repeat purchases.
GOOD = """customer,when,amount
A,2026-01-05,10.00
A,2026-02-09,12.50
B,2026-01-12,8.00
B,2026-03-02,9.00
B,2026-03-16,7.00
C,2026-01-19,20.00
D,2026-02-02,5.00
D,2026-02-23,6.00
E,2026-02-16,30.00
F,2026-03-09,4.00
F,2026-03-23,4.50
"""


def fit(path: Path, *extra: str, amount: bool = True) -> subprocess.CompletedProcess[str]:
    columns = ["--customer-col", "customer", "--date-col", "when"]
    if amount:
        columns += ["--amount-col", "amount"]
    return o2c("clv", "fit", "--transactions", str(path), *columns, "--calibration-end", "2026-03-31", *extra)


def refused(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "╭" not in result.stderr
    return lines[0]


def test_the_small_log_itself_fits(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = fit(path, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["customers"] == 6


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ("", [], "{path}: the file is empty (expected a header row)"),
        ("customer,when,amount\n", [], "{path}: no transactions (only a header row)"),
        (
            GOOD.replace("amount", "value", 1),
            [],
            "{path}: no column 'amount' (columns: customer, when, value)",
        ),
        (
            GOOD.replace("B,2026-03-02", "B,2026-02-30"),
            [],
            "{path}: line 5, column 'when': date '2026-02-30' does not match ISO 8601 (YYYY-MM-DD)",
        ),
        (
            GOOD,
            ["--date-format", "%d/%m/%Y"],
            "{path}: line 2, column 'when': date '2026-01-05' does not match --date-format %d/%m/%Y",
        ),
        (
            GOOD.replace("7.00", "seven"),
            [],
            "{path}: line 6, column 'amount': amount 'seven' is not a number",
        ),
        (GOOD.replace("5.00", "-5.00"), [], "{path}: line 8, column 'amount': amount '-5.00' is negative"),
        (GOOD.replace("C,2026-01-19,20.00", "C,,20.00"), [], "{path}: line 7, column 'when': no value"),
        (
            GOOD.replace("E,2026-02-16,30.00", "E,2026-02-16"),
            [],
            "{path}: line 10, column 'amount': no value",
        ),
        (
            GOOD,
            ["--calibration-end", "2025-12-31"],
            "--calibration-end 2025-12-31 is before every transaction (the first is on 2026-01-05)",
        ),
        (
            GOOD,
            ["--calibration-end", "2026-13-01"],
            "--calibration-end '2026-13-01' is not a date (YYYY-MM-DD)",
        ),
        (GOOD, ["--holdout-end", "2026-03-31"], "--holdout-end must be after --calibration-end"),
        (
            "customer,when,amount\nA,2026-01-05,1\nB,2026-01-06,1\nC,2026-01-07,1\nD,2026-01-08,1\n",
            [],
            "BG/NBD: no customer made a repeat purchase; the purchase rate cannot be estimated",
        ),
        (
            "customer,when,amount\nA,2026-01-05,1\nA,2026-01-09,1\nB,2026-01-06,1\nC,2026-01-07,1\n",
            [],
            "BG/NBD: 3 customer(s) are too few to fit four parameters (at least 4)",
        ),
        (GOOD, ["--max-iterations", "1"], "BG/NBD: the fit did not converge after 1 iterations"),
    ],
)
def test_a_bad_transaction_log_or_option_is_one_line_naming_the_problem(
    tmp_path: Path, text: str, extra: list[str], message: str
) -> None:
    path = tmp_path / "log.csv"
    path.write_text(text, encoding="utf-8")
    line = refused(fit(path, *extra))
    assert line.startswith("o2c: error: " + message.format(path=path)), line


def test_an_unknown_column_without_amounts_is_named_too(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = o2c(
        "clv", "fit", "--transactions", str(path), "--customer-col", "client", "--date-col", "when",
        "--calibration-end", "2026-03-31",
    )  # fmt: skip
    assert refused(result) == f"o2c: error: {path}: no column 'client' (columns: customer, when, amount)"
    assert refused(fit(tmp_path / "missing.csv")) == f"o2c: error: {tmp_path / 'missing.csv'}: no such file"
