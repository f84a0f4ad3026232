"""The customer report (profitability, cost-to-serve, zones, Pareto, CLV) over a bulk-generated year.

Generates ``--orders`` orders (about five lines each: 1,000,000 orders is about 5M order lines) with
``o2c.sim.bulk.generate`` into a fresh database (SQLite file and/or a throwaway PostgreSQL database),
then times ``o2c.analytics.customer_report.customer_report`` over the whole year in a fresh child
process, whose peak resident memory (``ru_maxrss``) is the memory figure.

Reference, measured in the same run on the same database: one grouped pass over every order line
(``SELECT customer, count(*), sum(net_amount), sum(qty * unit_cost) FROM order_lines JOIN orders
GROUP BY customer``) through the raw driver, the least any per-customer report over the lines must do.
The ratio report / reference shows what the report's other queries (shipments, invoices, invoice
lines, credits, returns, cases, events, the CLV history) and the model fits add.

Targets (from the issue): the report in <= 20 s and <= 1.5 GB peak memory, on each database.

Usage: ``python bench/customer_report.py [--orders N] [--database sqlite|postgresql|both]
[--pg-url URL] [--seed S]``. Exit status 0 targets met, 1 a target missed or the generator is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from o2c.store.database import create_db_engine, normalise_url
from o2c.store.migrate import upgrade

TARGET_SECONDS = 20.0
TARGET_MB = 1536.0
REFERENCE_SQL = (
    "SELECT o.customer_id, count(*), sum(l.net_amount), sum(l.qty_ordered * l.unit_cost)"
    " FROM order_lines l JOIN orders o ON o.id = l.order_id GROUP BY o.customer_id"
)


def _high_water_mb() -> float:
    """Peak resident memory of this process (``VmHWM``: unlike ``ru_maxrss`` it starts afresh at exec,
    so the generator's memory in the parent does not count)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_report(url: str, start: str, end: str) -> None:
    """Run in a fresh process: the report, its time and this process's peak memory as JSON."""
    from o2c.analytics.customer_report import customer_report
    from o2c.analytics.periods import Window

    window = Window(datetime.fromisoformat(start), datetime.fromisoformat(end))
    engine = create_db_engine(url)
    before = _high_water_mb()
    began = time.perf_counter()
    report = customer_report(engine, window)
    seconds = time.perf_counter() - began
    valued = sum(line.clv is not None for line in report.lines)
    figures = {
        "seconds": seconds,
        "peak_mb": _high_water_mb(),
        "import_mb": before,
        "customers": len(report.lines),
        "valued": valued,
        "note": report.clv_note,
    }
    print(json.dumps(figures))


def reference_seconds(url: str) -> float:
    engine = create_db_engine(url)
    with engine.connect() as conn:
        raw: Any = conn.connection.dbapi_connection
        cursor = raw.cursor()
        began = time.perf_counter()
        cursor.execute(REFERENCE_SQL)
        cursor.fetchall()
        seconds = time.perf_counter() - began
        cursor.close()
    engine.dispose()
    return seconds


@contextmanager
def database(kind: str, pg_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    server = normalise_url(pg_url)
    name = f"o2c_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def generated(kind: str, args: argparse.Namespace) -> Iterator[tuple[str, datetime, datetime]]:
    """A fresh database of ``kind`` filled by the bulk generator: its URL, first day and end."""
    from o2c.sim.bulk import generate

    with database(kind, args.pg_url) as url:
        engine = create_db_engine(url)
        upgrade(engine)
        began = time.perf_counter()
        result = generate(engine, orders=args.orders, seed=args.seed)
        took = time.perf_counter() - began
        engine.dispose()
        lines = result.rows.get("order_lines", 0)
        print(f"[{kind}] generated {args.orders:,} orders, {lines:,} order lines in {took:.0f} s")
        yield url, datetime.combine(result.first_day, clock_time(), UTC), result.as_of


@contextmanager
def given(url: str) -> Iterator[tuple[str, datetime, datetime]]:
    """A database the bulk generator filled earlier (default seed and start): its year."""
    from o2c.sim.bulk import START

    start = datetime.combine(START, clock_time(), UTC)
    yield normalise_url(url), start, start + timedelta(days=364)


def run(kind: str, args: argparse.Namespace) -> bool:
    with given(args.url) if args.url else generated(kind, args) as (url, start, as_of):
        reference = reference_seconds(url)
        child = subprocess.run(
            [sys.executable, __file__, "--child", url, start.isoformat(), as_of.isoformat()],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        if child.returncode != 0:
            print(child.stderr)
            return False
        figures = json.loads(child.stdout)
        seconds, peak = figures["seconds"], figures["peak_mb"]
        print(
            f"[{kind}] customer report: {seconds:.2f} s for {figures['customers']:,} customers"
            f" ({figures['valued']:,} with CLV{'; ' + figures['note'] if figures['note'] else ''})"
        )
        print(
            f"[{kind}] reference, one grouped pass over the order lines: {reference:.2f} s;"
            f" ratio {seconds / reference:.1f}"
        )
        print(
            f"[{kind}] peak memory of the report process: {peak:.0f} MB"
            f" (after imports {figures['import_mb']:.0f} MB)"
        )
        met = seconds <= TARGET_SECONDS and peak <= TARGET_MB
        print(f"[{kind}] {'PASS' if met else 'FAIL'}: targets {TARGET_SECONDS:.0f} s and {TARGET_MB:.0f} MB")
        return met


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child_report(*sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--url", help="measure this database (filled by `o2c simulate --bulk`, default seed) instead"
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--pg-url", default=os.environ.get("O2C_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    args = parser.parse_args()
    try:
        import o2c.sim.bulk  # noqa: F401
    except ImportError:
        print("o2c.sim.bulk (the bulk generator) is not available: nothing to measure")
        return 1
    if args.url:
        return 0 if run(make_url(normalise_url(args.url)).get_backend_name(), args) else 1
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = [run(kind, args) for kind in kinds]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
