"""Every list over HTTP is one page shape: ``items``, ``limit``, ``offset``, ``next_offset``, capped."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from tests.e2e.api_world import World, build_world, problem


def _shipped(world: World, who: str, *lines: tuple[str, int]) -> str:
    number = world.place(who, None, *lines).json()["number"]
    for action in ("confirm", "pick", "pack"):
        world.post("warehouse", f"/orders/{number}/{action}")
    world.post("warehouse", f"/orders/{number}/ship", {"carrier": "UPS", "tracking_number": "1Z"})
    return str(number)


@pytest.fixture(scope="module")
def paged_world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Any) -> tuple[World, str]:
    """A world with two or more of everything listed; and an order with several events."""
    path = tmp_path_factory.mktemp("paging") / "o2c.db"
    shutil.copy(sqlite_template, path)
    world = build_world(f"sqlite:///{path}")
    order = _shipped(world, "portal1", ("SKU-A", 1))
    _shipped(world, "portal2", ("SKU-B", 1))  # invoices of two customers: two aging rows
    for quantity in (150, 5, 5):  # beyond the 99 left of SKU-A: three backordered lines
        world.place("sales", "C1", ("SKU-A", quantity))
    for name in ("ci", "laptop"):
        world.post("sales", "/auth/tokens", {"name": name})
    return world, order


LISTS = [
    "/backorders",
    "/users",
    "/auth/tokens",
    "/receivables/aging",
    "/audit",
    "/orders/{order}/events",
    "/events/order/{order}",
    "/orders",
]


@pytest.mark.parametrize("path", LISTS)
def test_each_list_pages_through_everything_it_holds_one_item_at_a_time(
    paged_world: tuple[World, str], path: str
) -> None:
    world, order = paged_world
    path, who = path.format(order=order), "sales" if "tokens" in path else "admin"
    whole = world.get(who, path, params={"limit": 200}).json()
    seen: list[Any] = []
    offset: int | None = 0
    while offset is not None:
        page = world.get(who, path, params={"limit": 1, "offset": offset}).json()
        assert (page["limit"], page["offset"], len(page["items"])) == (1, offset, 1), page
        seen += page["items"]
        offset = page["next_offset"]

    assert len(whole["items"]) >= 2 and whole["next_offset"] is None
    assert seen == whole["items"]


@pytest.mark.parametrize("path", LISTS)
def test_each_list_refuses_a_page_over_the_maximum(paged_world: tuple[World, str], path: str) -> None:
    world, order = paged_world

    assert (
        problem(world.get("admin", path.format(order=order), params={"limit": 201}), 422)["field"] == "limit"
    )
