"""``o2c simulate`` as a user runs it: a real process on a fresh SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from o2c.store.database import create_db_engine
from o2c.store.tables import orders
from tests.integration.test_simulation import digest


def o2c(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "o2c", "--database", f"sqlite:///{db}", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_simulate_fills_a_fresh_database_and_reports_what_happened(tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    result = o2c(db, "simulate", "--days", "7", "--customers", "15", "--seed", "4", "--format", "json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    engine = create_db_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(orders)).scalar_one()
    engine.dispose()
    assert counts["orders"] == stored > 0
    assert counts["days"] == 7 and counts["seed"] == 4


def test_simulate_prints_a_table_and_what_to_try_next(tmp_path: Path) -> None:
    result = o2c(tmp_path / "sim.db", "simulate", "--days", "3", "--customers", "5")
    assert result.returncode == 0, result.stderr
    assert "orders" in result.stdout and "Try next" in result.stdout


def test_simulate_refuses_a_database_that_already_has_data(tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    assert o2c(db, "simulate", "--days", "2", "--customers", "3").returncode == 0
    again = o2c(db, "simulate", "--days", "2", "--customers", "3")
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1 and "fresh database" in again.stderr


def test_simulate_refuses_zero_days(tmp_path: Path) -> None:
    result = o2c(tmp_path / "sim.db", "simulate", "--days", "0")
    assert result.returncode == 2
    assert not (tmp_path / "sim.db").exists()


def test_simulate_bulk_writes_the_orders_asked_for(tmp_path: Path) -> None:
    db = tmp_path / "bulk.db"
    result = o2c(db, "simulate", "--bulk", "--orders", "400", "--seed", "2", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    engine = create_db_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(orders)).scalar_one()
    engine.dispose()
    assert rows["orders"] == stored == 400
    assert rows["order_lines"] > rows["orders"]


SMALL_RUN = ("--days", "6", "--customers", "12", "--seed", "8", "--format", "json")


def test_two_processes_with_the_same_seed_write_the_same_facts(tmp_path: Path) -> None:
    digests = []
    for n, hash_seed in enumerate(("1", "2")):
        db = tmp_path / f"sim{n}.db"
        result = subprocess.run(
            [sys.executable, "-m", "o2c", "--database", f"sqlite:///{db}", "simulate", *SMALL_RUN],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},  # set and dict order must not matter
        )
        assert result.returncode == 0, result.stderr
        engine = create_db_engine(f"sqlite:///{db}")
        digests.append(digest(engine))
        engine.dispose()
    assert digests[0] == digests[1]
