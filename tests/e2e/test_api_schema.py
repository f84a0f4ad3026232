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


@pytest.fixture(scope="module")
def openapi(sqlite_template: Any) -> dict[str, Any]:
    """The OpenAPI document of an app over the (never written) template database."""
    from o2c.api import create_app
    from o2c.api.settings import ApiSettings

    document: dict[str, Any] = create_app(ApiSettings(database_url=f"sqlite:///{sqlite_template}")).openapi()
    return document


def test_every_request_body_of_the_api_has_an_example(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    bodies = {
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        for ops in openapi["paths"].values()
        for op in ops.values()
        if "requestBody" in op
    }

    assert {"TransferCreate", "ReceiptCreate", "QuoteConvert", "BackorderAllocate"} <= bodies
    assert sorted(name for name in bodies if not schemas[name].get("examples")) == []


@pytest.mark.parametrize(
    ("method", "path", "status", "headers"),
    [
        ("post", "/api/v1/orders", "201", {"Location", "ETag", "Idempotent-Replayed"}),
        ("get", "/api/v1/orders/{number}", "200", {"ETag"}),
        ("post", "/api/v1/orders/{number}/ship", "200", {"ETag", "Idempotent-Replayed"}),
        ("get", "/api/v1/purchase-orders/{number}", "200", {"ETag"}),
        ("post", "/api/v1/transfers/{number}/cancel", "200", {"ETag"}),
        ("post", "/api/v1/returns", "201", {"Location", "Idempotent-Replayed"}),
        ("post", "/api/v1/shipments/{number}/deliver", "200", {"ETag"}),
        ("post", "/api/v1/auth/token", "429", {"Retry-After"}),
        ("get", "/api/v1/orders", "401", {"WWW-Authenticate"}),
    ],
)
def test_the_response_headers_an_operation_sends_are_declared(
    openapi: dict[str, Any], method: str, path: str, status: str, headers: set[str]
) -> None:
    response = openapi["paths"][path][method]["responses"][status]

    assert set(response.get("headers", {})) == headers
