"""Filters over HTTP do what they say or are refused: none is silently ignored or silently empty."""

from __future__ import annotations

import pytest

from tests.e2e.api_world import World, problem, world
from tests.factories import add_customer, add_product

__all__ = ["world"]


def test_customers_and_products_filter_by_active(world: World) -> None:
    add_customer(world.engine, "C3", active=False)
    add_product(world.engine, "SKU-OLD", active=False)

    def codes(path: str, key: str, active: str) -> list[str]:
        return [c[key] for c in world.get("sales", path, params={"active": active}).json()["items"]]

    assert codes("/customers", "code", "true") == ["C1", "C2"]
    assert codes("/customers", "code", "false") == ["C3"]
    assert codes("/products", "sku", "false") == ["SKU-OLD"]
    assert len(world.get("sales", "/customers").json()["items"]) == 3


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/customers?status=active", "status"),
        ("/products?customer=C1", "customer"),
        ("/orders?costumer=C1", "costumer"),
        ("/auth/me?verbose=1", "verbose"),
        ("/purchase-orders?customer=C1", "customer"),
        ("/receipts?status=open", "status"),
    ],
)
def test_a_filter_a_list_does_not_take_is_a_422_naming_it(world: World, path: str, field: str) -> None:
    refused = problem(world.get("admin", path), 422)

    assert (refused["code"], refused["field"]) == ("validation_failed", field)


@pytest.mark.parametrize(
    "query", ["status=", "customer=", "sort=", "order=", "since="], ids=lambda q: q.rstrip("=")
)
def test_an_empty_filter_is_a_422_not_an_empty_list(world: World, query: str) -> None:
    world.place("sales", "C1", ("SKU-A", 1))

    refused = problem(world.get("sales", f"/shipments?{query}"), 422)

    assert refused["field"] == query.rstrip("=")
