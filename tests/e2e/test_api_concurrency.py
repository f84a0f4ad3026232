"""Many HTTP clients ordering a few hot SKUs at once, on PostgreSQL: no oversell, every 201 is real."""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from o2c.store.master_tables import products, stock
from o2c.store.tables import orders
from tests.conftest import skip_without_postgres
from tests.e2e.api_world import World, build_world, serving

CLIENTS = 16
ORDERS_EACH = 8
HOT = ("SKU-A", "SKU-B")  # 100 on hand each: demand below is about three times that


@pytest.fixture
def pg_world(pg_url: str) -> World:
    skip_without_postgres()
    return build_world(pg_url)


def _client(base: str, token: str, seed: int, placed: list[dict[str, Any]], failures: list[str]) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for i in range(ORDERS_EACH):
            lines = [{"sku": sku, "quantity": rng.randint(1, 5)} for sku in HOT]
            key = {"Idempotency-Key": f"client-{seed}-{i}"}
            response = client.post("/api/v1/orders", json={"customer": "C1", "lines": lines}, headers=key)
            if response.status_code == 201:
                placed.append(response.json())
            else:
                failures.append(f"{response.status_code} {response.text}")


@pytest.mark.postgres
def test_concurrent_http_orders_never_oversell_and_every_201_is_retrievable(pg_world: World) -> None:
    placed: list[dict[str, Any]] = []
    failures: list[str] = []
    with serving(pg_world) as base:
        threads = [
            threading.Thread(target=_client, args=(base, pg_world.tokens["sales"], n, placed, failures))
            for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with httpx.Client(base_url=base, headers=pg_world.auth("sales")) as client:
            fetched = [client.get(f"/api/v1/orders/{o['number']}") for o in placed]

    assert failures == []
    assert len(placed) == CLIENTS * ORDERS_EACH == pg_world.count(orders)
    assert all(r.status_code == 200 for r in fetched)
    assert [r.json()["lines"] for r in fetched] == [o["lines"] for o in placed]
    allocated: Counter[str] = Counter()
    for order in placed:
        for line in order["lines"]:
            allocated[line["sku"]] += line["allocated"]
            assert line["allocated"] + line["backordered"] == line["ordered"]
    with pg_world.engine.connect() as conn:
        levels = {
            r.sku: (r.on_hand, r.allocated)
            for r in conn.execute(select(products.c.sku, stock.c.on_hand, stock.c.allocated).join(stock))
        }
    for sku in HOT:
        on_hand, in_stock_allocated = levels[sku]
        assert in_stock_allocated == allocated[sku] == on_hand == 100  # sold out, never past it
