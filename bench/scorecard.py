"""Full service scorecard by month x segment over millions of order lines, beside DuckDB.

For each database (SQLite file, throwaway PostgreSQL database) the bench:

1. fills a fresh, migrated database with ``--lines`` order lines (five per order, a year of orders):
   with the bulk simulator (``o2c simulate --bulk --orders N``) when ``o2c.sim.bulk`` exists and
   ``--generator`` allows it, else with the set-based generator of ``bench/scorecard_data.py``;
2. times ``o2c.analytics.service.service_scorecard`` by month x segment (fill rates, stockout value,
   backorder rate, OTIF and perfect order, cycle time by stage, order-to-cash, DSO, open backorders)
   in a child process, and reads that process's CPU time and peak resident memory;
3. exports ``orders`` and ``order_lines`` (the columns the reference needs) to Parquet with pyarrow,
   and times the **reference** in another child process: DuckDB computing unit fill rate and OTIF by
   month straight from the Parquet files;
4. checks that o2c's unit fill rate and OTIF parts (summed over segments) equal DuckDB's, month by
   month — a fast wrong answer is not a pass.

Targets (issue 5): the scorecard in <= 15 s and <= 1 GB peak memory (of the process running it: on
PostgreSQL the server's own memory is not in that figure). The ratio o2c / DuckDB is printed: DuckDB
computes two metrics on a columnar copy, o2c every metric on the live transactional tables.

Usage: ``python bench/scorecard.py [--lines 5000000] [--database sqlite|postgresql|both]
[--pg-url URL] [--generator auto|own|bulk] [--url URL]``; ``--url`` measures a database already
filled (by ``o2c simulate --bulk``) instead of generating one. Exit status 0 targets met and figures
agree, 1 a target missed, 2 the figures disagree.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from o2c.analytics.dimensions import Dimension
from o2c.analytics.figures import Slice
from o2c.analytics.periods import Period
from o2c.analytics.service import service_scorecard
from o2c.store.database import create_db_engine, normalise_url
from o2c.store.migrate import upgrade

HERE = Path(__file__).resolve().parent
TARGET_SECONDS, TARGET_BYTES = 15.0, 1 << 30
AS_OF = datetime(2027, 1, 31, tzinfo=UTC)


# --- child processes: what is timed -------------------------------------------------------------


def measure_scorecard(url: str) -> dict[str, Any]:
    """Run the full scorecard once (month x segment) and report time, peak memory and the check figures."""
    engine = create_db_engine(url)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    card = service_scorecard(engine, Slice(Period.MONTH, Dimension.SEGMENT), AS_OF)
    seconds, cpu_seconds = time.perf_counter() - started, _cpu_seconds() - cpu_started
    fill: dict[str, list[int]] = {}
    otif: dict[str, list[int]] = {}
    for row in card.rows:
        if row.fill:
            parts = fill.setdefault(row.period, [0, 0])
            parts[0] += int(row.fill.unit_fill_rate.numerator)
            parts[1] += int(row.fill.unit_fill_rate.denominator)
        if row.delivery:
            parts = otif.setdefault(row.period, [0, 0])
            parts[0] += int(row.delivery.otif.numerator)
            parts[1] += int(row.delivery.otif.denominator)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_bytes": peak,
        "rows": len(card.rows),
        "fill": fill,
        "otif": otif,
    }


def _cpu_seconds() -> float:
    """User and system CPU of this process, every thread: on a shared machine the wall time also
    counts other processes' turns, the CPU time only the scorecard's own work."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


REFERENCE_SQL = {
    "fill": """
        SELECT strftime(make_timestamp(o.received * 1000000), '%Y-%m-01') AS period,
               sum(l.allocated)::BIGINT, sum(l.ordered)::BIGINT
        FROM read_parquet('{dir}/order_lines.parquet') l
        JOIN read_parquet('{dir}/orders.parquet') o ON o.id = l.order_id
        WHERE o.status <> 'credit_hold' AND l.substitute IS NULL GROUP BY 1 ORDER BY 1""",
    "otif": """
        SELECT period, sum(on_time * in_full)::BIGINT, count(*)::BIGINT FROM (
            SELECT strftime(make_timestamp(max(o.delivered) * 1000000), '%Y-%m-01') AS period,
                   max(CASE WHEN o.promised IS NOT NULL AND o.delivered // 86400 <= o.promised
                       THEN 1 ELSE 0 END) AS on_time,
                   min(CASE WHEN l.delivered + l.substituted + l.cancelled >= l.ordered
                       THEN 1 ELSE 0 END) AS in_full
            FROM read_parquet('{dir}/order_lines.parquet') l
            JOIN read_parquet('{dir}/orders.parquet') o ON o.id = l.order_id
            WHERE o.delivered IS NOT NULL GROUP BY o.id) GROUP BY 1 ORDER BY 1""",
}


def measure_reference(directory: str) -> dict[str, Any]:
    """DuckDB: unit fill rate and OTIF by month from the Parquet export."""
    import duckdb

    started = time.perf_counter()
    with duckdb.connect() as db:
        results = {
            name: {p: [int(n), int(d)] for p, n, d in db.execute(sql.format(dir=directory)).fetchall()}
            for name, sql in REFERENCE_SQL.items()
        }
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": seconds, "peak_bytes": peak, **results}


def in_child(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# --- data ---------------------------------------------------------------------------------------


def fill_database(engine: Engine, lines: int, generator: str) -> str:
    """Migrate, then fill with the bulk simulator when it is there (and allowed), else our own."""
    upgrade(engine)
    note = ""
    if generator in ("auto", "bulk"):
        try:
            from o2c.sim.bulk import generate
        except ImportError as error:  # the bulk simulator is being written beside this bench
            if generator == "bulk":
                raise
            note = f" (o2c.sim.bulk not usable yet: {error})"
        else:
            generate(engine, orders=max(lines // 5, 1))
            return f"o2c.sim.bulk.generate(orders={max(lines // 5, 1)})"
    import scorecard_data

    with engine.begin() as conn:
        scorecard_data.generate(conn, lines)
    return "bench/scorecard_data.py (set-based, in the database)" + note


EXPORT_SQL = {
    "sqlite": {
        "orders": "SELECT id, status, CAST(strftime('%s', received_at) AS INTEGER),"
        " CAST(strftime('%s', delivered_at) AS INTEGER),"
        " CAST(julianday(promised_date) - 2440587.5 AS INTEGER) FROM orders",
    },
    "postgresql": {
        "orders": "SELECT id, status, floor(extract(epoch FROM received_at))::bigint,"
        " floor(extract(epoch FROM delivered_at))::bigint, promised_date - DATE '1970-01-01' FROM orders",
    },
}
LINES_SQL = (
    "SELECT order_id, qty_ordered, qty_allocated_at_entry, qty_delivered, qty_substituted, qty_cancelled,"
    " substitute_for_line_no FROM order_lines"
)


def export_parquet(engine: Engine, directory: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {
        "orders": ["id", "status", "received", "delivered", "promised"],
        "order_lines": [
            "order_id",
            "ordered",
            "allocated",
            "delivered",
            "substituted",
            "cancelled",
            "substitute",
        ],
    }
    queries = {"orders": EXPORT_SQL[engine.dialect.name]["orders"], "order_lines": LINES_SQL}
    with engine.connect() as conn:
        for table, sql in queries.items():
            rows = conn.exec_driver_sql(sql).fetchall()
            data = list(zip(*rows, strict=True)) if rows else [[] for _ in columns[table]]
            arrays = {name: pa.array(values) for name, values in zip(columns[table], data, strict=True)}
            pq.write_table(pa.table(arrays), directory / f"{table}.parquet")
            del rows, data, arrays


# --- one database -------------------------------------------------------------------------------


@contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    name = f"o2c_bench_{uuid.uuid4().hex[:10]}"
    libpq = server_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(libpq, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(normalise_url(server_url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_one(label: str, url: str, lines: int, generator: str, existing: bool = False) -> dict[str, Any]:
    engine = create_db_engine(url)
    try:
        started = time.perf_counter()
        source = "the database given (--url)" if existing else fill_database(engine, lines, generator)
        with engine.connect() as conn:
            counted = conn.execute(text("SELECT count(*) FROM order_lines")).scalar_one()
        print(
            f"{label}: {counted:,} order lines from {source} in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        o2c = in_child("--measure", url)
        with tempfile.TemporaryDirectory() as directory:
            export_parquet(engine, Path(directory))
            reference = in_child("--reference", directory)
    finally:
        engine.dispose()
    agree = o2c["fill"] == reference["fill"] and o2c["otif"] == reference["otif"]
    return {"database": label, "lines": counted, "o2c": o2c, "reference": reference, "agree": agree}


def report(results: list[dict[str, Any]]) -> int:
    print(
        f"\n{'database':<11}{'lines':>11}{'o2c s':>9}{'CPU s':>8}{'peak MB':>9}{'DuckDB s':>10}{'ratio':>8}"
        "  verdict"
    )
    status = 0
    for r in results:
        o2c, ref = r["o2c"], r["reference"]
        met = o2c["seconds"] <= TARGET_SECONDS and o2c["peak_bytes"] <= TARGET_BYTES
        verdict = ("PASS" if met else "MISS") + ("" if r["agree"] else ", FIGURES DISAGREE")
        print(
            f"{r['database']:<11}{r['lines']:>11,}{o2c['seconds']:>9.2f}{o2c['cpu_seconds']:>8.2f}"
            f"{o2c['peak_bytes'] / 2**20:>9.0f}"
            f"{ref['seconds']:>10.3f}{o2c['seconds'] / ref['seconds']:>7.1f}x  {verdict}"
        )
        status = max(status, 0 if met else 1, 0 if r["agree"] else 2)
    print(
        f"targets: scorecard <= {TARGET_SECONDS:.0f} s and <= {TARGET_BYTES >> 20} MB peak (client process);"
        " ratio = o2c full scorecard / DuckDB unit fill + OTIF by month on Parquet;"
        " CPU s = the scorecard process's user + system time (all its threads; not PostgreSQL's server)"
    )
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=5_000_000, help="order lines (default 5,000,000)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--pg-url", default=os.environ.get("O2C_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--generator", choices=("auto", "own", "bulk"), default="auto")
    parser.add_argument(
        "--url", help="measure this database (filled by `o2c simulate --bulk`) instead of generating one"
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure_scorecard(args.measure)))
        return 0
    if args.reference:
        print(json.dumps(measure_reference(args.reference)))
        return 0
    results = []
    if args.url:
        label = make_url(normalise_url(args.url)).get_backend_name()
        return report([bench_one(label, normalise_url(args.url), args.lines, args.generator, existing=True)])
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            results.append(bench_one("sqlite", f"sqlite:///{directory}/bench.db", args.lines, args.generator))
    if args.database in ("postgresql", "both"):
        try:
            with throwaway_postgres(args.pg_url) as url:
                results.append(bench_one("postgresql", url, args.lines, args.generator))
        except psycopg.OperationalError as error:
            print(f"postgresql: skipped, server unreachable ({str(error).strip().splitlines()[0]})")
            if args.database == "postgresql":
                return 1
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
