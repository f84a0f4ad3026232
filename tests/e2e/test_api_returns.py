"""Returns over HTTP: a portal user asks, the warehouse receives, finance credits; all audited."""

from __future__ import annotations

from tests.e2e.api_world import World, problem, world

__all__ = ["world"]


def _delivered(world: World, quantity: int) -> str:
    number = world.place("portal1", None, ("SKU-A", quantity)).json()["number"]
    for action in ("confirm", "pick", "pack"):
        world.post("warehouse", f"/orders/{number}/{action}")
    world.post("warehouse", f"/orders/{number}/ship", {"carrier": "UPS", "tracking_number": "1Z"})
    shipment = world.get("warehouse", "/shipments", params={"order": number}).json()["items"][0]["number"]
    world.post("warehouse", f"/shipments/{shipment}/deliver", {})
    return number


def test_a_return_is_authorised_received_into_stock_and_credited(world: World) -> None:
    number = _delivered(world, 4)
    body = {"order": number, "reason": "damaged", "lines": [{"line_no": 1, "quantity": 3}]}

    authorised = world.post("portal1", "/returns", body, headers={"Idempotency-Key": "rma-1"})
    again = world.post("portal1", "/returns", body, headers={"Idempotency-Key": "rma-1"})
    rma = authorised.json()["number"]
    received = world.post("warehouse", f"/returns/{rma}/receive", {"lines": [{"line_no": 1, "received": 2}]})
    memo = world.post("finance", f"/returns/{rma}/credit")

    assert authorised.status_code == 201, authorised.text
    assert (again.json()["number"], again.headers["Idempotent-Replayed"]) == (rma, "true")
    assert [r["number"] for r in world.get("portal1", "/returns").json()["items"]] == [rma]
    assert received.json()["lines"][0]["received"] == 2, received.text
    assert memo.status_code == 201, memo.text
    assert memo.json()["subtotal"] == "20.00"  # 2 received units at the list price of 10.00, no tax
    stock = world.get("warehouse", "/stock", params={"sku": "SKU-A"}).json()["items"][0]
    assert stock["on_hand"] == 100 - 4 + 2
    trail = world.get("admin", "/audit", params={"entity_type": "return", "entity_id": rma}).json()["items"]
    assert [e["action"] for e in trail] == ["return.credited", "return.received", "return.authorised"]


def test_more_than_was_delivered_cannot_be_returned(world: World) -> None:
    number = _delivered(world, 2)

    refused = world.post(
        "portal1",
        "/returns",
        {"order": number, "reason": "not_wanted", "lines": [{"line_no": 1, "quantity": 3}]},
    )

    assert problem(refused, 422)["code"] == "validation_failed"
    assert world.get("portal1", "/returns").json()["items"] == []


def test_a_line_named_twice_in_a_return_is_refused_not_merged(world: World) -> None:
    number = _delivered(world, 4)
    twice = [{"line_no": 1, "quantity": 1}, {"line_no": 1, "quantity": 2}]

    refused = problem(
        world.post("portal1", "/returns", {"order": number, "reason": "damaged", "lines": twice}), 422
    )

    assert refused["field"] == "lines[1].line_no"
    assert "line 1 appears twice" in refused["detail"]
    assert world.get("portal1", "/returns").json()["items"] == []


def test_a_line_counted_twice_in_a_return_receipt_is_refused_not_merged(world: World) -> None:
    number = _delivered(world, 4)
    body = {"order": number, "reason": "damaged", "lines": [{"line_no": 1, "quantity": 3}]}
    rma = world.post("portal1", "/returns", body).json()["number"]
    twice = [{"line_no": 1, "received": 1}, {"line_no": 1, "received": 2}]

    refused = problem(world.post("warehouse", f"/returns/{rma}/receive", {"lines": twice}), 422)

    assert (refused["field"], "line 1 appears twice" in refused["detail"]) == ("lines[1].line_no", True)
    assert world.get("warehouse", f"/returns/{rma}").json()["status"] == "authorised"
    assert world.get("warehouse", "/stock", params={"sku": "SKU-A"}).json()["items"][0]["on_hand"] == 96
