"""Limits and hostile input over HTTP: 413 for big bodies, 429 over the rate, injection stored as data."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from o2c.store.master_tables import products
from o2c.store.tables import orders
from tests.e2e.api_world import World, build_world, problem, world

__all__ = ["world"]


@pytest.fixture
def small_world(sqlite_url: str) -> World:
    return build_world(sqlite_url, max_body_bytes=2_000, rate_per_second=1, rate_burst=5)


def test_a_body_over_the_limit_is_a_413_problem_and_stores_nothing(small_world: World) -> None:
    lines = [{"sku": "SKU-A", "quantity": 1}] * 200
    big = json.dumps({"customer": "C1", "lines": lines})
    headers = {**small_world.auth("sales"), "Content-Type": "application/json"}

    declared = small_world.client.post("/api/v1/orders", content=big, headers=headers)
    chunked = small_world.client.post(
        "/api/v1/orders", content=iter([big[:1500].encode(), big[1500:].encode()]), headers=headers
    )

    assert problem(declared, 413)["code"] == "body_too_large"
    assert problem(chunked, 413)["code"] == "body_too_large"
    assert small_world.count(orders) == 0


def test_a_client_over_its_rate_gets_429_with_retry_after(small_world: World) -> None:
    statuses = [small_world.get("sales", "/products").status_code for _ in range(8)]

    assert statuses[:5] == [200] * 5
    assert 429 in statuses[5:]
    limited = small_world.get("sales", "/products")
    assert problem(limited, 429)["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert small_world.get("finance", "/products").status_code == 200  # another client's own bucket


def test_inventing_tokens_does_not_escape_the_rate_limit(small_world: World) -> None:
    statuses = [
        small_world.client.get(
            "/api/v1/products", headers={"Authorization": f"Bearer made-up-{i}"}
        ).status_code
        for i in range(30)
    ]

    assert set(statuses[:20]) == {401}
    assert 429 in statuses[20:]


INJECTIONS = [
    "'; DROP TABLE orders; --",
    "C1' OR '1'='1",
    '" OR 1=1 --',
    "SKU-A\x00",
    "%' UNION SELECT password_hash FROM users --",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_looking_input_is_refused_or_treated_as_data(world: World, text: str) -> None:
    as_customer = world.place("sales", text, ("SKU-A", 1))
    as_sku = world.place("sales", "C1", (text, 1))
    as_filter = world.get("sales", "/orders", params={"customer": text, "status": text})
    as_path = world.get("sales", f"/orders/{quote(text, safe='')}")

    assert problem(as_customer, 422)["field"] == "customer"
    assert problem(as_sku, 422)["field"] == "lines[0].sku"
    assert as_filter.status_code in (200, 422) and (
        as_filter.status_code == 422 or as_filter.json()["items"] == []
    )
    assert as_path.status_code in (404, 422)
    assert world.count(orders) == 0 and world.count(products) == 2


def test_injection_looking_text_is_stored_verbatim_where_text_is_free(world: World) -> None:
    text = "Robert'); DROP TABLE shipments;--"
    number = world.place("sales", "C1", ("SKU-A", 1)).json()["number"]
    for action in ("confirm", "pick", "pack"):
        world.post("warehouse", f"/orders/{number}/{action}")
    world.post("warehouse", f"/orders/{number}/ship", {"carrier": "UPS", "tracking_number": text})

    shipment = world.get("sales", "/shipments", params={"order": number}).json()["items"][0]

    assert shipment["tracking_number"] == text


@pytest.mark.parametrize(
    "body",
    [
        {"customer": "C" * 10_000, "lines": [{"sku": "SKU-A", "quantity": 1}]},
        {"customer": "C1", "lines": [{"sku": "SKU-A", "quantity": 10**30}]},
        {"customer": "C1", "lines": [{"sku": "SKU-A", "quantity": 1}] * 1001},
        {"customer": "C1", "lines": [{"sku": "SKU-A", "quantity": 1}], "requested_date": "9999-12-31"},
        {
            "customer": "C1",
            "lines": [{"sku": "SKU-A", "quantity": 1}],
            "customer_sent_at": "2026-01-01T00:00:00",
        },
        {"customer": "C1", "lines": [{"sku": "SKU-A", "quantity": 1}], "extra": True},
        [],
        "not an object",
    ],
    ids=[
        "long-code",
        "huge-quantity",
        "too-many-lines",
        "far-date",
        "naive-time",
        "unknown-field",
        "list",
        "string",
    ],
)
def test_oversized_or_malformed_orders_are_a_422_and_store_nothing(world: World, body: object) -> None:
    response = world.post("sales", "/orders", body)

    problem(response, 422)
    assert world.count(orders) == 0


def test_a_body_that_is_not_json_is_a_422(world: World, tmp_path: Path) -> None:
    response = world.client.post(
        "/api/v1/orders",
        content=b"{not json",
        headers={**world.auth("sales"), "Content-Type": "application/json"},
    )

    problem(response, 422)


def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(world: World) -> None:
    response = world.client.post(
        "/api/v1/orders",
        content=b'\xff\xfe{"customer": "C1"}',
        headers={**world.auth("sales"), "Content-Type": "application/json"},
    )

    assert (problem(response, 422)["code"], problem(response, 422)["field"]) == ("validation_failed", "body")
    assert world.count(orders) == 0


def test_broken_json_names_the_body_not_a_character_position(world: World) -> None:
    response = world.client.post(
        "/api/v1/orders",
        content=b'{"customer": "C1", "lines": [}',
        headers={**world.auth("sales"), "Content-Type": "application/json"},
    )

    refused = problem(response, 422)
    assert refused["field"] == "body" and "at character 29" in refused["detail"]


@pytest.mark.parametrize("instant", ["2199-12-31T23:59:59-14:00", "2000-01-01T00:00:00+14:00"])
def test_an_instant_is_bounded_in_utc_whatever_its_offset(world: World, instant: str) -> None:
    body = {"customer": "C1", "lines": [{"sku": "SKU-A", "quantity": 1}], "customer_sent_at": instant}

    assert problem(world.post("sales", "/orders", body), 422)["field"] == "customer_sent_at"
    assert world.count(orders) == 0


def test_an_instant_with_an_offset_is_kept_in_utc(world: World) -> None:
    body = {
        "customer": "C1",
        "lines": [{"sku": "SKU-A", "quantity": 1}],
        "customer_sent_at": "2026-03-01T23:30:00-05:00",
    }

    placed = world.post("sales", "/orders", body)

    assert placed.json()["stages"]["customer_sent_at"] == "2026-03-02T04:30:00Z", placed.text


def test_a_promise_for_an_unknown_carrier_service_is_a_422_naming_service(world: World) -> None:
    body = {"sku": "SKU-A", "quantity": 1, "customer": "C1"}

    refused = problem(world.post("sales", "/promises", {**body, "service": "nosuch"}), 422)

    assert refused["field"] == "service" and "ground" in refused["detail"]
    assert world.post("sales", "/promises", {**body, "service": "ground"}).status_code == 200
