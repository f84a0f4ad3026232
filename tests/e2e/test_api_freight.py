"""Carrier freight bills over HTTP: finance records the bill once; errors are problem+json."""

from __future__ import annotations

from tests.e2e.api_world import World, problem, world

__all__ = ["world"]


def _shipped(world: World) -> str:
    number = world.place("portal1", None, ("SKU-A", 2)).json()["number"]
    for action in ("confirm", "pick", "pack"):
        world.post("warehouse", f"/orders/{number}/{action}")
    world.post(
        "warehouse",
        f"/orders/{number}/ship",
        {"carrier": "UPS", "tracking_number": "1Z", "freight_cost": "18.50"},
    )
    return str(world.get("warehouse", "/shipments", params={"order": number}).json()["items"][0]["number"])


def test_finance_records_a_freight_bill_once_and_a_replay_is_the_same_answer(world: World) -> None:
    shipment = _shipped(world)
    body = {"amount": "18.60", "reference": "UPS-INV-1"}
    first = world.post(
        "finance", f"/shipments/{shipment}/freight-bill", body, headers={"Idempotency-Key": "fb-1"}
    )
    again = world.post(
        "finance", f"/shipments/{shipment}/freight-bill", body, headers={"Idempotency-Key": "fb-1"}
    )
    second = world.post("finance", f"/shipments/{shipment}/freight-bill", {"amount": "18.50"})

    assert first.status_code == 201, first.text
    bill = first.json()
    # 18.60 against 18.50: 10 c is more than 0.5 % of 18.50 (9.25 c), so no match.
    assert (bill["invoiced_amount"], bill["expected_amount"], bill["matches_expected"]) == (
        "18.60",
        "18.50",
        False,
    )
    assert (again.json(), again.headers["Idempotent-Replayed"]) == (bill, "true")
    assert problem(second, 409)["code"] == "conflict"
    trail = world.get("admin", "/audit", params={"entity_type": "shipment", "entity_id": shipment}).json()[
        "items"
    ]
    assert "shipment.freight_billed" in [e["action"] for e in trail]


def test_an_unknown_shipment_and_a_negative_amount_are_problems(world: World) -> None:
    assert problem(world.post("finance", "/shipments/SH-NONE/freight-bill", {"amount": "1.00"}), 404)
    shipment = _shipped(world)
    refused = problem(world.post("finance", f"/shipments/{shipment}/freight-bill", {"amount": "-1.00"}), 422)
    assert "amount" in str(refused)


def test_finance_settles_a_disputed_bill_once_and_reads_it(world: World) -> None:
    shipment = _shipped(world)
    assert problem(world.get("finance", f"/shipments/{shipment}/freight-bill"), 404)["code"] == "not_found"
    world.post(
        "finance", f"/shipments/{shipment}/freight-bill", {"amount": "21.00", "dispute_reason": "not agreed"}
    )
    path = f"/shipments/{shipment}/freight-bill/settlement"
    missing = problem(world.post("finance", path, {"outcome": "upheld"}), 422)
    assert missing["code"] == "validation_failed" and "corrected_amount" in str(missing)
    first = world.post(
        "finance",
        path,
        {"outcome": "upheld", "corrected_amount": "18.75"},
        headers={"Idempotency-Key": "s-1"},
    )
    again = world.post(
        "finance",
        path,
        {"outcome": "upheld", "corrected_amount": "18.75"},
        headers={"Idempotency-Key": "s-1"},
    )
    twice = world.post("finance", path, {"outcome": "withdrawn"})

    assert first.status_code == 200, first.text
    bill = first.json()
    assert (
        bill["invoiced_amount"],
        bill["settlement"],
        bill["settled_amount"],
        bill["matches_expected"],
    ) == (
        "21.00",
        "upheld",
        "18.75",
        False,
    )
    assert (again.status_code, again.json(), again.headers["Idempotent-Replayed"]) == (200, bill, "true")
    assert problem(twice, 409)["code"] == "conflict"
    assert world.get("finance", f"/shipments/{shipment}/freight-bill").json() == bill
    trail = world.get("admin", "/audit", params={"entity_type": "shipment", "entity_id": shipment}).json()[
        "items"
    ]
    assert "shipment.freight_dispute_settled" in [e["action"] for e in trail]


def test_an_undisputed_bill_cannot_be_settled_and_sales_cannot_read_bills(world: World) -> None:
    shipment = _shipped(world)
    world.post("finance", f"/shipments/{shipment}/freight-bill", {"amount": "18.50"})
    refused = problem(
        world.post("finance", f"/shipments/{shipment}/freight-bill/settlement", {"outcome": "withdrawn"}), 409
    )
    assert "not disputed" in refused["detail"]
    assert world.get("sales", f"/shipments/{shipment}/freight-bill").status_code == 403
    assert world.get("finance", f"/shipments/{shipment}/freight-bill").json()["settlement"] is None
