"""Schemathesis against the live OpenAPI document: no generated request, however odd, gets a 5xx.

Runs on SQLite and, when configured, on PostgreSQL (which refuses NUL characters in text, so it is the
stricter of the two). The example count is kept small so the suite stays fast.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from o2c.store.database import create_db_engine
from tests.conftest import _truncate
from tests.e2e.api_world import World, build_world

EXAMPLES = 6  # per operation and mode: enough to find a 500, few enough to stay fast


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzz_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "o2c.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
        engine = create_db_engine(url)
        _truncate(engine)
        engine.dispose()
    world = build_world(url)
    # Something to find by number, so that actions get past "not found" too.
    number = world.place("sales", "C1", ("SKU-A", 1)).json()["number"]
    assert number
    yield world
    world.engine.dispose()


def _operations(world: World) -> list[Any]:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    return [result.ok() for result in loaded.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(fuzz_world: World, mode: GenerationMode) -> None:
    # (schemathesis' own pytest plugin does not run under this pytest; its strategies do)
    headers = fuzz_world.auth("admin")
    operations = _operations(fuzz_world)
    assert len(operations) > 40

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def call(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        try:
            call()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation without input cannot be given bad input


def test_the_openapi_document_describes_placing_tracking_and_cancelling_orders(fuzz_world: World) -> None:
    document = fuzz_world.client.get("/openapi.json").json()
    paths = document["paths"]

    assert {"post", "get"} <= set(paths["/api/v1/orders"])
    assert "get" in paths["/api/v1/orders/{number}"]
    assert "post" in paths["/api/v1/orders/{number}/cancel"]
    create = paths["/api/v1/orders"]["post"]
    assert create["operationId"] == "orders_create_order"
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    body = document["components"]["schemas"]["OrderCreate"]
    assert body["examples"][0]["lines"]
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
