"""ETag and If-Match beyond orders: purchase orders, transfers, returns and shipments.

A document without a version of its own has a content tag; an action sent with a stale one is a
409 that changes nothing, and the action's response carries the tag a fresh read would give.
"""

from __future__ import annotations

from typing import Any

from o2c.store.auth_tables import audit_log
from tests.e2e.api_world import World, problem, world
from tests.factories import add_location, add_supplier

__all__ = ["world"]

STALE = {"If-Match": '"0123456789abcdef"'}


def _tag(response: Any) -> dict[str, str]:
    assert response.status_code < 300, response.text
    return {"If-Match": response.headers["ETag"]}


def _purchase_order(world: World) -> str:
    add_supplier(world.engine, "SUP1")
    line = {"sku": "SKU-A", "quantity": 5, "unit_cost": "1.0000", "promised_date": "2026-04-01"}
    created = world.post(
        "purchasing", "/purchase-orders", {"supplier": "SUP1", "location": "DC1", "lines": [line]}
    )
    return str(created.json()["number"])


def test_a_purchase_order_action_with_a_stale_etag_is_a_409_and_changes_nothing(world: World) -> None:
    number = _purchase_order(world)
    first = _tag(world.get("purchasing", f"/purchase-orders/{number}"))
    moved = world.post(
        "purchasing",
        f"/purchase-orders/{number}/lines/1/reschedule",
        {"expected_date": "2026-04-08"},
        headers=first,
    )
    audited = world.count(audit_log)

    stale = problem(world.post("purchasing", f"/purchase-orders/{number}/cancel", headers=first), 409)

    assert stale["code"] == "conflict"
    assert world.count(audit_log) == audited
    fresh = world.get("purchasing", f"/purchase-orders/{number}")
    assert (
        fresh.json()["status"] == "open"
        and fresh.headers["ETag"] == moved.headers["ETag"] != first["If-Match"]
    )
    cancelled = world.post("purchasing", f"/purchase-orders/{number}/cancel", headers=_tag(fresh))
    assert cancelled.json()["status"] == "cancelled", cancelled.text


def test_closing_a_purchase_order_takes_if_match_too(world: World) -> None:
    number = _purchase_order(world)

    problem(world.post("purchasing", f"/purchase-orders/{number}/close", headers=STALE), 409)
    closed = world.post(
        "purchasing",
        f"/purchase-orders/{number}/close",
        headers=_tag(world.get("purchasing", f"/purchase-orders/{number}")),
    )

    assert closed.json()["status"] == "closed", closed.text


def test_a_transfer_ships_or_cancels_only_as_it_was_read(world: World) -> None:
    add_location(world.engine, "DC2")
    body = {"from_location": "DC1", "to_location": "DC2", "lines": [{"sku": "SKU-A", "quantity": 2}]}
    number = world.post("warehouse", "/transfers", body).json()["number"]
    read = _tag(world.get("warehouse", f"/transfers/{number}"))

    problem(world.post("warehouse", f"/transfers/{number}/cancel", headers=STALE), 409)
    shipped = world.post(
        "warehouse", f"/transfers/{number}/ship", {"expected_date": "2026-03-05"}, headers=read
    )
    stale = world.post("warehouse", f"/transfers/{number}/receive", {}, headers=read)

    assert shipped.json()["status"] == "in_transit", shipped.text
    assert problem(stale, 409)["code"] == "conflict"
    received = world.post("warehouse", f"/transfers/{number}/receive", {}, headers=_tag(shipped))
    assert received.status_code == 201, received.text
    assert world.get("warehouse", f"/transfers/{number}").json()["status"] == "received"


def _delivered_shipment(world: World) -> tuple[str, str]:
    number = world.place("portal1", None, ("SKU-A", 3)).json()["number"]
    for action in ("confirm", "pick", "pack"):
        world.post("warehouse", f"/orders/{number}/{action}")
    world.post("warehouse", f"/orders/{number}/ship", {"carrier": "UPS", "tracking_number": "1Z"})
    shipment = world.get("warehouse", "/shipments", params={"order": number}).json()["items"][0]["number"]
    return number, shipment


def test_a_shipment_is_delivered_only_as_it_was_read(world: World) -> None:
    _, shipment = _delivered_shipment(world)
    read = world.get("warehouse", f"/shipments/{shipment}")

    problem(world.post("warehouse", f"/shipments/{shipment}/deliver", {}, headers=STALE), 409)
    delivered = world.post("warehouse", f"/shipments/{shipment}/deliver", {}, headers=_tag(read))

    assert delivered.json()["status"] == "delivered", delivered.text
    assert delivered.headers["ETag"] == world.get("sales", f"/shipments/{shipment}").headers["ETag"]
    assert delivered.headers["ETag"] != read.headers["ETag"]


def test_a_return_is_received_credited_or_rejected_only_as_it_was_read(world: World) -> None:
    order, shipment = _delivered_shipment(world)
    world.post("warehouse", f"/shipments/{shipment}/deliver", {})
    rma = world.post(
        "portal1", "/returns", {"order": order, "reason": "damaged", "lines": [{"line_no": 1, "quantity": 1}]}
    ).json()["number"]
    authorised = _tag(world.get("portal1", f"/returns/{rma}"))

    received = world.post("warehouse", f"/returns/{rma}/receive", {}, headers=authorised)
    stale_credit = world.post("finance", f"/returns/{rma}/credit", headers=authorised)
    stale_reject = world.post("finance", f"/returns/{rma}/reject", headers=authorised)

    assert received.json()["status"] == "received", received.text
    assert problem(stale_credit, 409)["code"] == problem(stale_reject, 409)["code"] == "conflict"
    assert world.get("finance", f"/returns/{rma}").json()["status"] == "received"
    assert world.post("finance", f"/returns/{rma}/credit", headers=_tag(received)).status_code == 201


def test_an_if_match_that_is_no_etag_of_this_api_is_a_422(world: World) -> None:
    number = _purchase_order(world)

    refused = problem(
        world.post("purchasing", f"/purchase-orders/{number}/close", headers={"If-Match": "3"}), 422
    )

    assert refused["field"] == "If-Match"
    assert world.get("purchasing", f"/purchase-orders/{number}").json()["status"] == "open"
