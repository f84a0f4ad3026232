"""Orders over HTTP: place (idempotent), read with an ETag, act with If-Match, problems on bad input."""

from __future__ import annotations

from o2c.store.tables import invoices, orders, shipments
from tests.e2e.api_world import World, problem, world

__all__ = ["world"]


def test_health_and_readiness_need_no_token(world: World) -> None:
    assert world.client.get("/healthz").json() == {"status": "ok"}
    assert world.client.get("/readyz").json() == {"status": "ready"}


def test_a_placed_order_is_created_retrievable_and_listed(world: World) -> None:
    placed = world.place("sales", "C1", ("SKU-A", 3), ("SKU-B", 2))

    assert placed.status_code == 201, placed.text
    number = placed.json()["number"]
    assert placed.headers["Location"] == f"/api/v1/orders/{number}"
    fetched = world.get("sales", f"/orders/{number}")
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == placed.headers["ETag"] == '"1"'
    assert [(ln["sku"], ln["allocated"]) for ln in fetched.json()["lines"]] == [("SKU-A", 3), ("SKU-B", 2)]
    listed = world.get("sales", "/orders", params={"customer": "C1", "status": "open"}).json()
    assert [o["number"] for o in listed["items"]] == [number]


def test_the_same_idempotency_key_returns_the_first_order_and_stores_nothing_more(world: World) -> None:
    key = {"Idempotency-Key": "web-1"}
    first = world.place("sales", "C1", ("SKU-A", 3), headers=key)
    again = world.place("sales", "C1", ("SKU-A", 3), headers=key)

    assert (again.status_code, again.json()["number"]) == (201, first.json()["number"])
    assert again.headers["Idempotent-Replayed"] == "true"
    assert world.count(orders) == 1
    other = problem(world.place("sales", "C1", ("SKU-A", 4), headers=key), 409)
    assert other["code"] == "idempotency_conflict"
    assert other["context"] == {"idempotency_key": "web-1", "order_number": first.json()["number"]}
    assert world.count(orders) == 1


def test_a_replay_answers_what_was_first_answered_even_after_the_order_changed(world: World) -> None:
    key = {"Idempotency-Key": "web-2"}
    first = world.place("sales", "C1", ("SKU-A", 3), headers=key)
    number = first.json()["number"]
    assert world.post("sales", f"/orders/{number}/cancel").json()["status"] == "cancelled"

    again = world.place("sales", "C1", ("SKU-A", 3), headers=key)

    # the order is cancelled now and its 3 units released, but the answer is the first one: open, 3 held
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    assert {k: v for k, v in again.json().items() if k != "version"} == {
        k: v for k, v in first.json().items() if k != "version"
    }
    assert (again.json()["status"], again.json()["lines"][0]["allocated"]) == ("open", 3)
    assert world.count(orders) == 1


def test_two_users_with_the_same_key_place_two_orders(world: World) -> None:
    key = {"Idempotency-Key": "same"}
    one = world.place("sales", "C1", ("SKU-A", 1), headers=key).json()["number"]
    two = world.place("admin", "C1", ("SKU-A", 1), headers=key).json()["number"]

    assert one != two


def test_bad_input_is_a_422_problem_naming_the_field_and_stores_nothing(world: World) -> None:
    wrong_type = problem(
        world.post("sales", "/orders", {"customer": "C1", "lines": [{"sku": "SKU-A", "quantity": "x"}]}), 422
    )
    unknown_sku = problem(world.place("sales", "C1", ("SKU-A", 1), ("NOPE", 1)), 422)
    no_lines = problem(world.post("sales", "/orders", {"customer": "C1", "lines": []}), 422)

    assert wrong_type["field"] == "lines[0].quantity"
    assert unknown_sku["field"] == "lines[1].sku" and "NOPE" in unknown_sku["detail"]
    assert no_lines["field"] == "lines"
    assert world.count(orders) == 0


def test_an_unknown_order_is_a_404_problem(world: World) -> None:
    assert problem(world.get("sales", "/orders/SO-99999999"), 404)["code"] == "not_found"


def test_an_action_the_status_does_not_allow_is_a_409_problem(world: World) -> None:
    number = world.place("sales", "C1", ("SKU-A", 1)).json()["number"]

    body = problem(world.post("warehouse", f"/orders/{number}/pack"), 409)

    assert body["code"] == "illegal_transition"
    assert world.get("sales", f"/orders/{number}").json()["status"] == "open"


def test_if_match_lets_an_action_through_only_on_the_current_version(world: World) -> None:
    number = world.place("sales", "C1", ("SKU-A", 1)).json()["number"]
    confirmed = world.post("warehouse", f"/orders/{number}/confirm", headers={"If-Match": '"1"'})
    assert (confirmed.status_code, confirmed.headers["ETag"]) == (200, '"2"')

    stale = problem(world.post("warehouse", f"/orders/{number}/pick", headers={"If-Match": '"1"'}), 409)

    assert stale["code"] == "conflict"
    assert world.get("sales", f"/orders/{number}").json()["status"] == "released"
    picked = world.post("warehouse", f"/orders/{number}/pick", headers={"If-Match": '"2"'})
    assert (picked.status_code, picked.json()["status"]) == (200, "picked")


def test_an_order_goes_through_the_whole_cycle_over_http(world: World) -> None:
    number = world.place("sales", "C1", ("SKU-A", 2)).json()["number"]
    for action in ("confirm", "pick", "pack"):
        assert world.post("warehouse", f"/orders/{number}/{action}").status_code == 200
    shipped = world.post("warehouse", f"/orders/{number}/ship", {"carrier": "UPS", "tracking_number": "1Z"})
    assert shipped.json()["status"] == "shipped", shipped.text

    shipment = world.get("sales", "/shipments", params={"order": number}).json()["items"][0]
    delivered = world.post("warehouse", f"/shipments/{shipment['number']}/deliver", {"received_by": "dock"})
    invoice = world.get("finance", "/invoices", params={"order": number}).json()["items"][0]
    paid = world.post("finance", "/payments", {"invoice": invoice["number"], "amount": invoice["total"]})

    assert delivered.json()["status"] == "delivered", delivered.text
    assert paid.status_code == 201, paid.text
    assert world.get("sales", f"/orders/{number}").json()["status"] == "closed"
    events = [e["event_type"] for e in world.get("sales", f"/orders/{number}/events").json()["items"]]
    assert events[0] == "order.received" and events[-1] == "order.closed"


def test_cancelling_releases_the_reservation(world: World) -> None:
    number = world.place("sales", "C1", ("SKU-A", 40)).json()["number"]

    cancelled = world.post("sales", f"/orders/{number}/cancel")

    assert cancelled.json()["status"] == "cancelled"
    stock = world.get("warehouse", "/stock", params={"sku": "SKU-A"}).json()["items"]
    assert [(s["on_hand"], s["allocated"]) for s in stock] == [(100, 0)]


def test_no_token_is_a_401_problem_with_a_bearer_challenge(world: World) -> None:
    response = world.client.get("/api/v1/orders")

    problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_lists_are_paged_and_sorted(world: World) -> None:
    numbers = [world.place("sales", "C1", ("SKU-A", 1)).json()["number"] for _ in range(5)]

    first = world.get("sales", "/orders", params={"limit": 2, "sort": "number"}).json()
    second = world.get(
        "sales", "/orders", params={"limit": 2, "offset": first["next_offset"], "sort": "number"}
    ).json()
    last = world.get("sales", "/orders", params={"limit": 2, "offset": 4, "sort": "-number"}).json()

    assert [o["number"] for o in first["items"] + second["items"]] == numbers[:4]
    assert [o["number"] for o in last["items"]] == [numbers[0]] and last["next_offset"] is None
    assert problem(world.get("sales", "/orders", params={"limit": 10_000}), 422)["field"] == "limit"
    assert problem(world.get("sales", "/orders", params={"sort": "password"}), 422)["field"] == "sort"


def test_shipping_again_with_the_same_idempotency_key_ships_and_invoices_once(world: World) -> None:
    number = world.place("sales", "C1", ("SKU-A", 2)).json()["number"]
    for action in ("confirm", "pick", "pack"):
        world.post("warehouse", f"/orders/{number}/{action}")
    body = {"carrier": "UPS", "tracking_number": "1Z"}
    key = {"Idempotency-Key": "dock-7"}

    first = world.post("warehouse", f"/orders/{number}/ship", body, headers=key)
    again = world.post("warehouse", f"/orders/{number}/ship", body, headers=key)
    other = world.post("warehouse", f"/orders/{number}/ship", {**body, "tracking_number": "2Z"}, headers=key)

    assert (first.status_code, first.json()["status"]) == (200, "shipped"), first.text
    assert (again.status_code, again.json(), again.headers["ETag"]) == (
        200,
        first.json(),
        first.headers["ETag"],
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert problem(other, 409)["code"] == "idempotency_conflict"
    assert (world.count(shipments), world.count(invoices)) == (1, 1)
