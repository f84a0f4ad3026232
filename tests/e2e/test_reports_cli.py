"""``o2c report service | suppliers | carriers | stockouts`` run as a user runs them.

Facts (written straight into a migrated SQLite file): customer A (retail), P1 at 10.00, carrier UPS.
O1 received 2 Mar 09:00, 10 ordered, 8 allocated at entry (2 backordered), promised 6 Mar, shipped
3 Mar 09:00 with UPS and delivered 5 Mar 09:00, 8 of 10: on time, not in full. O2 received 4 Mar,
5 of 5 allocated, promised 6 Mar, delivered 6 Mar 12:00 in full: OTIF. March: unit fill 13/15, OTIF 1/2.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from o2c.store.database import create_db_engine
from tests.factories import add_carrier, add_customer, add_product
from tests.integration.metric_rows import Line, add_order, add_shipment, at


def o2c(db: Path, *args: str, columns: int = 200) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "o2c", "--database", f"sqlite:///{db}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": str(columns)},
    )


def ok(db: Path, *args: str) -> str:
    result = o2c(db, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports") / "o2c.db"
    ok(path, "init")
    engine = create_db_engine(f"sqlite:///{path}")
    a = add_customer(engine, "A", segment="retail")
    p = add_product(engine, "P1")
    ups = add_carrier(engine, "UPS")
    promised = date(2026, 3, 6)
    o1 = add_order(
        engine,
        a,
        at(2, 9),
        [Line(p, 10, entry=8, backordered=2, shipped=8, delivered=8)],
        status="delivered",
        promised=promised,
        shipped_at=at(3, 9),
        delivered_at=at(5, 9),
    )
    add_shipment(engine, o1, ups, at(3, 9), at(5, 9), freight="12.00", lines={1: (8, 0)})
    o2 = add_order(
        engine,
        a,
        at(4),
        [Line(p, 5, shipped=5, delivered=5)],
        status="delivered",
        promised=promised,
        shipped_at=at(5),
        delivered_at=at(6, 12),
    )
    add_shipment(engine, o2, ups, at(5), at(6, 12), freight="8.00", lines={1: (5, 0)})
    engine.dispose()
    return path


def test_service_report_as_json_names_each_metric_with_its_parts(db: Path) -> None:
    body: dict[str, Any] = json.loads(
        ok(
            db,
            "report",
            "service",
            "--by",
            "segment",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "-f",
            "json",
        )
    )
    (row,) = body["rows"]
    assert (row["period"], row["member"]) == ("2026-03-01", "retail")
    assert row["unit_fill_rate"] == {"value": 13 / 15, "numerator": 13, "denominator": 15}
    assert row["otif"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert row["stockout_value"] == {"value": "20.00", "units": 2}
    assert row["order_cycle_time"]["delivery"]["mean"] == 42.0  # 48 h and 36 h
    assert body["open_backorders"][0]["open_backorder_value"] == "20.00"


def test_service_report_as_csv_has_a_column_per_figure(db: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(ok(db, "report", "service", "--period", "all", "-f", "csv"))))
    assert len(rows) == 1
    assert (rows[0]["otif"], rows[0]["otif_numerator"], rows[0]["otif_denominator"]) == ("0.5", "1", "2")
    assert rows[0]["line_fill_rate_denominator"] == "2"


def test_service_report_as_a_table(db: Path) -> None:
    text = ok(db, "report", "service")
    assert "service scorecard" in text
    assert "86.7%" in text  # unit fill 13/15
    assert "50.0%" in text  # OTIF


def test_on_an_80_column_terminal_the_scorecard_splits_and_cuts_no_figure(db: Path) -> None:
    result = o2c(db, "report", "service", "--by", "segment", columns=80)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout
    assert "service scorecard (1/2)" in result.stdout and "service scorecard (2/2)" in result.stdout
    assert "86.7%" in result.stdout and "50.0%" in result.stdout  # unit fill 13/15, OTIF 1/2 whole


def test_carrier_and_supplier_reports(db: Path) -> None:
    carriers = json.loads(ok(db, "report", "carriers", "-f", "json"))["rows"]
    assert [
        (c["carrier"], c["on_time_delivery"]["numerator"], c["cost_per_shipment"]["value"]) for c in carriers
    ] == [("UPS", 2, 10.0)]
    assert json.loads(ok(db, "report", "suppliers", "-f", "json")) == {"rows": []}
    only = json.loads(ok(db, "report", "carriers", "--carrier", "UPS", "--period", "all", "-f", "json"))[
        "rows"
    ]
    assert [(c["period"], c["carrier"], c["on_time_delivery"]["numerator"]) for c in only] == [
        ("all", "UPS", 2)
    ]


def test_stockouts_report_runs_on_a_bounded_window(db: Path) -> None:
    body = json.loads(
        ok(
            db,
            "report",
            "stockouts",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--as-of",
            "2026-04-01",
            "-f",
            "json",
        )
    )
    (march,) = body["rows"]
    assert march["items_in_stockout"] == {"value": None, "numerator": 0, "denominator": 0}  # no stock rows
    assert march["stockout_value"] == {"value": "20.00", "units": 2}  # O1's 2 units short at entry
    assert body["now"][0]["average_age_of_stockouts"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("report", "service", "--from", "2026-13-01"), "not a date"),
        (("report", "service", "--from", "2026-03-31", "--to", "2026-03-01"), "before"),
        (("report", "stockouts", "--by", "segment"), "cannot be broken down by segment"),
        (
            ("report", "carriers", "--carrier", "UPX"),
            "o2c: error: no carrier 'UPX' in the database (carriers: UPS)",
        ),
        (("report", "suppliers", "--supplier", "S9"), "o2c: error: no supplier 'S9' in the database"),
        (
            ("report", "customers", "--segment", "retial"),
            "no segment 'retial' in the database (segments: retail)",
        ),
        (
            ("report", "service-economics", "--from", "2026-03-01", "--to", "2026-03-31", "--sku", "P9"),
            "o2c: error: no SKU 'P9' in the database",
        ),
    ],
)
def test_bad_report_options_are_one_line_on_stderr(db: Path, args: tuple[str, ...], message: str) -> None:
    result = o2c(db, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
