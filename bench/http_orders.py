"""HTTP order placement: N concurrent clients against ``o2c serve``, beside in-process placement.

Starts ``o2c serve`` as its own process on a fresh database (SQLite file, or a throwaway PostgreSQL
database), loads the master data of ``bench/order_entry.py`` (a few hundred products stocked in two
regions, customers without a credit limit), and places five-line orders two ways, in alternating
rounds so that machine noise hits both alike:

* in-process: ``place_order`` called sequentially in this process (the reference of the same run);
* HTTP: ``--clients`` threads, each with its own keep-alive connection, posting ``/api/v1/orders``
  with a bearer token and an ``Idempotency-Key``; the latency of each request is recorded.

Target: with 16 clients on PostgreSQL, HTTP orders/s >= 40 % of the in-process rate; p50 and p99 of
the HTTP requests are reported. Afterwards the stock invariants and the order count are checked.

Usage: ``python bench/http_orders.py [--orders N] [--clients 16] [--database sqlite|postgresql|both]``
Exit status: 0 target met, 1 target missed (or PostgreSQL asked for and unreachable), 2 the invariants
or the order count did not hold.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, text

from o2c.domain.access import Role
from o2c.domain.clock import ManualClock, SystemClock
from o2c.services.access import NewUser, create_user, issue_token
from o2c.store.database import create_db_engine
from o2c.store.migrate import upgrade
from o2c.store.uow import UnitOfWork
from order_entry import (
    DEFAULT_PG_URL,
    LINES_PER_ORDER,
    START,
    Basket,
    ProductPlacer,
    baskets,
    load_master_data,
    postgres_problem,
    shown,
    throwaway_postgres,
    verify,
)

TARGET = 0.40
TARGET_DATABASE, TARGET_CLIENTS = "postgresql", 16
ROUNDS = 4
HTTP_USER = "bench-http"


@dataclass
class Result:
    database: str
    clients: int
    in_process_orders: int = 0
    in_process_seconds: float = 0.0
    http_orders: int = 0
    http_seconds: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    verified: str = ""

    @property
    def in_process_rate(self) -> float:
        return self.in_process_orders / self.in_process_seconds

    @property
    def http_rate(self) -> float:
        return self.http_orders / self.http_seconds

    @property
    def ratio(self) -> float:
        return self.http_rate / self.in_process_rate

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies_ns)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] / 1e6 if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def o2c_serve(url: str) -> Iterator[str]:
    """``o2c serve`` in a process of its own, rate limiting off; yields its base URL once ready."""
    port = free_port()
    env = {**os.environ, "O2C_RATE_PER_SECOND": "0"}
    command = [sys.executable, "-m", "o2c", "--database", url, "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("o2c serve did not come up")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def bench_token(engine: Engine) -> str:
    uow = UnitOfWork(engine, SystemClock())
    password = os.urandom(24).hex()  # nobody logs in as this user: the token is all it needs
    create_user(uow, NewUser(username=HTTP_USER, password=password, role=Role.SALES))
    return issue_token(uow, HTTP_USER, name="bench").token


def http_round(base: str, token: str, work: list[Basket], clients: int, result: Result, tag: str) -> None:
    """Place ``work`` split over ``clients`` threads; adds the wall time and each request's latency."""
    shares = [work[i::clients] for i in range(clients)]
    lock = threading.Lock()

    def client(number: int, share: list[Basket]) -> None:
        latencies, failures = [], []
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as session:
            for i, basket in enumerate(share):
                body = {
                    "customer": basket.customer.code,
                    "lines": [{"sku": p.sku, "quantity": q} for p, q in basket.lines],
                }
                started = time.perf_counter_ns()
                response = session.post(
                    "/api/v1/orders", json=body, headers={"Idempotency-Key": f"{tag}-{number}-{i}"}
                )
                latencies.append(time.perf_counter_ns() - started)
                if response.status_code != 201:
                    failures.append(f"{response.status_code}: {response.text[:200]}")
        with lock:
            result.latencies_ns.extend(latencies)
            result.failures.extend(failures)
            result.http_orders += len(share) - len(failures)

    threads = [threading.Thread(target=client, args=(n, share)) for n, share in enumerate(shares)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.http_seconds += time.perf_counter() - started


def in_process_round(placer: ProductPlacer, work: list[Basket], result: Result) -> None:
    started = time.perf_counter()
    for basket in work:
        placer.place(basket)
    result.in_process_seconds += time.perf_counter() - started
    result.in_process_orders += len(work)


def bench_database(name: str, url: str, orders: int, clients: int, seed: int) -> Result:
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        rng = random.Random(seed)
        catalogue = load_master_data(engine, rng)
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        token = bench_token(engine)
        placer = ProductPlacer(engine, ManualClock(START), keep_connection=False)  # as a request
        result = Result(name, clients)
        with o2c_serve(url) as base:
            warmup = baskets(catalogue, max(2 * clients, 20), rng)
            http_round(base, token, warmup, clients, Result(name, clients), "warmup")
            for basket in warmup:
                placer.place(basket)
            chunk = max(1, orders // ROUNDS)
            for round_no in range(ROUNDS):
                work = baskets(catalogue, chunk, rng)
                steps = [
                    lambda w=work: in_process_round(placer, w, result),
                    lambda w=work, r=round_no: http_round(base, token, w, clients, result, f"r{r}"),
                ]
                for step in steps if round_no % 2 == 0 else reversed(steps):
                    step()
        result.verified = verify(engine, placer.placed)
        with engine.connect() as conn:
            http_placed = conn.execute(
                text("SELECT count(*) FROM events WHERE event_type = 'order.received' AND actor = :actor"),
                {"actor": HTTP_USER},
            ).scalar_one()
        expected = result.http_orders + len(warmup)
        if http_placed != expected:
            result.verified += f"; {http_placed} orders placed over HTTP, expected {expected}"
        return result
    finally:
        engine.dispose()


def report(results: list[Result]) -> bool:
    header = (
        f"{'database':<11} {'clients':>7} {'orders':>7} {'http/s':>8} {'in-proc/s':>9} {'ratio':>7}"
        f" {'p50 ms':>7} {'p99 ms':>8}  target"
    )
    print(header)
    print("-" * len(header))
    passed = True
    for r in results:
        targeted = (r.database, r.clients) == (TARGET_DATABASE, TARGET_CLIENTS)
        ok = r.ratio >= TARGET
        passed &= ok or not targeted
        verdict = f"{'PASS' if ok else 'FAIL'} (>= {TARGET:.0%})" if targeted else "(no target)"
        print(
            f"{r.database:<11} {r.clients:>7} {r.http_orders:>7} {r.http_rate:>8.0f}"
            f" {r.in_process_rate:>9.0f} {r.ratio:>7.1%} {r.percentile_ms(0.50):>7.1f}"
            f" {r.percentile_ms(0.99):>8.1f}  {verdict}"
        )
    for r in results:
        problems = "; ".join(filter(None, [r.verified, *r.failures[:3]]))
        verdict = "invariants hold, every request got 201" if not problems else "FAILED: " + problems
        print(f"{r.database}: {verdict}")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=1200, help="orders timed per way (default 1200)")
    parser.add_argument("--clients", type=int, default=TARGET_CLIENTS, help="concurrent HTTP clients")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("O2C_BENCH_PG_URL", DEFAULT_PG_URL),
        help="PostgreSQL server to create a throwaway database on (env O2C_BENCH_PG_URL)",
    )
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.orders < ROUNDS or args.clients < 1:
        parser.error(f"--orders must be at least {ROUNDS} and --clients at least 1")

    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if "postgresql" in databases and (problem := postgres_problem(args.pg_url)):
        if args.database == "postgresql":
            print(f"PostgreSQL unreachable at {shown(args.pg_url)} ({problem})")
            return 1
        print(f"PostgreSQL unreachable at {shown(args.pg_url)} ({problem}): benchmarking SQLite only")
        databases.remove("postgresql")

    results = []
    for database in databases:
        print(
            f"{database}: {args.clients} clients, {args.orders} orders of {LINES_PER_ORDER} lines, each way",
            flush=True,
        )
        if database == "sqlite":
            with tempfile.TemporaryDirectory(prefix="o2c_bench_http_") as directory:
                url = f"sqlite:///{Path(directory) / 'bench.db'}"
                results.append(bench_database(database, url, args.orders, args.clients, args.seed))
        else:
            with throwaway_postgres(args.pg_url) as url:
                results.append(bench_database(database, url, args.orders, args.clients, args.seed))
    print()
    passed = report(results)
    if any(r.verified or r.failures for r in results):
        return 2
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
