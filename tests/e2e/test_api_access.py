"""Who may do what over HTTP: the role-by-endpoint matrix, portal scoping (IDOR), tokens, logins, audit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from o2c.store.auth_tables import audit_log, idempotent_requests
from o2c.store.tables import orders
from tests.e2e.api_world import World, build_world, problem, world

__all__ = ["world"]

ROLES = ("admin", "sales", "warehouse", "purchasing", "finance", "portal1")
ORDER_LINES = {"customer": "C1", "lines": [{"sku": "SKU-A", "quantity": 1}]}
PO = {
    "supplier": "NONE",
    "location": "DC1",
    "lines": [{"sku": "SKU-A", "quantity": 5, "unit_cost": "1.0000", "promised_date": "2026-04-01"}],
}

# Written out by hand from the roles, not derived from the grants table it checks.
# (method, path, body, roles allowed); everyone else must get 403.
MATRIX: list[tuple[str, str, Any, set[str]]] = [
    ("GET", "/customers", None, set(ROLES)),
    ("GET", "/customers/C1", None, set(ROLES)),
    ("GET", "/products", None, set(ROLES)),
    ("GET", "/products/SKU-A", None, set(ROLES)),
    ("GET", "/stock", None, {"admin", "sales", "warehouse", "purchasing"}),
    ("GET", "/atp/SKU-A", None, {"admin", "sales", "warehouse", "purchasing"}),
    (
        "POST",
        "/promises",
        {"sku": "SKU-A", "quantity": 1, "customer": "C1"},
        {"admin", "sales", "warehouse", "purchasing"},
    ),
    ("GET", "/quotes", None, {"admin", "sales", "portal1"}),
    ("POST", "/quotes", ORDER_LINES, {"admin", "sales", "portal1"}),
    ("POST", "/quotes/QU-NONE/convert", {}, {"admin", "sales", "portal1"}),
    ("GET", "/quotes/QU-NONE", None, {"admin", "sales", "portal1"}),
    ("GET", "/orders", None, {"admin", "sales", "warehouse", "finance", "portal1"}),
    ("POST", "/orders", ORDER_LINES, {"admin", "sales", "portal1"}),
    ("GET", "/orders/SO-NONE", None, {"admin", "sales", "warehouse", "finance", "portal1"}),
    ("GET", "/orders/SO-NONE/events", None, {"admin", "sales", "warehouse", "purchasing", "finance"}),
    ("POST", "/orders/SO-NONE/confirm", None, {"admin", "warehouse"}),
    ("POST", "/orders/SO-NONE/release-credit-hold", None, {"admin", "finance"}),
    ("POST", "/orders/SO-NONE/cancel", None, {"admin", "sales", "portal1"}),
    ("POST", "/orders/SO-NONE/pick", None, {"admin", "warehouse"}),
    ("POST", "/orders/SO-NONE/pack", None, {"admin", "warehouse"}),
    ("POST", "/orders/SO-NONE/ship", {"carrier": "UPS", "tracking_number": "1"}, {"admin", "warehouse"}),
    ("GET", "/shipments", None, {"admin", "sales", "warehouse", "finance", "portal1"}),
    ("GET", "/shipments/SH-NONE", None, {"admin", "sales", "warehouse", "finance", "portal1"}),
    ("POST", "/shipments/SH-NONE/deliver", {}, {"admin", "warehouse"}),
    ("POST", "/shipments/SH-NONE/freight-bill", {"amount": "18.50"}, {"admin", "finance"}),
    ("GET", "/shipments/SH-NONE/freight-bill", None, {"admin", "finance"}),
    ("POST", "/shipments/SH-NONE/freight-bill/settlement", {"outcome": "withdrawn"}, {"admin", "finance"}),
    ("GET", "/invoices", None, {"admin", "sales", "finance", "portal1"}),
    ("GET", "/invoices/IN-NONE", None, {"admin", "sales", "finance", "portal1"}),
    ("GET", "/payments", None, {"admin", "finance"}),
    ("POST", "/payments", {"invoice": "IN-NONE", "amount": "1.00"}, {"admin", "finance"}),
    ("GET", "/receivables/aging", None, {"admin", "finance"}),
    ("GET", "/returns", None, {"admin", "sales", "warehouse", "finance", "portal1"}),
    ("GET", "/returns/RT-NONE", None, {"admin", "sales", "warehouse", "finance", "portal1"}),
    (
        "POST",
        "/returns",
        {"order": "SO-NONE", "reason": "damaged", "lines": [{"line_no": 1, "quantity": 1}]},
        {"admin", "sales", "portal1"},
    ),
    ("POST", "/returns/RT-NONE/receive", {}, {"admin", "warehouse", "purchasing"}),
    ("POST", "/returns/RT-NONE/credit", None, {"admin", "finance"}),
    ("POST", "/returns/RT-NONE/reject", None, {"admin", "finance"}),
    ("GET", "/backorders", None, {"admin", "sales", "warehouse", "purchasing"}),
    ("POST", "/backorders/allocate", {}, {"admin", "warehouse"}),
    ("GET", "/purchase-orders", None, {"admin", "warehouse", "purchasing"}),
    ("POST", "/purchase-orders", PO, {"admin", "purchasing"}),
    ("GET", "/purchase-orders/PO-NONE", None, {"admin", "warehouse", "purchasing"}),
    (
        "POST",
        "/purchase-orders/PO-NONE/receipts",
        {"lines": [{"line_no": 1, "received": 1}]},
        {"admin", "warehouse", "purchasing"},
    ),
    ("POST", "/purchase-orders/PO-NONE/close", None, {"admin", "purchasing"}),
    ("POST", "/purchase-orders/PO-NONE/cancel", None, {"admin", "purchasing"}),
    (
        "POST",
        "/purchase-orders/PO-NONE/lines/1/reschedule",
        {"expected_date": "2026-04-01"},
        {"admin", "purchasing"},
    ),
    (
        "POST",
        "/purchase-orders/PO-NONE/shipping-notices",
        {"expected_date": "2026-04-01", "lines": [{"line_no": 1, "quantity": 1}]},
        {"admin", "purchasing"},
    ),
    ("GET", "/receipts", None, {"admin", "warehouse", "purchasing"}),
    ("GET", "/receipts/RC-NONE", None, {"admin", "warehouse", "purchasing"}),
    ("GET", "/transfers", None, {"admin", "warehouse", "purchasing"}),
    (
        "POST",
        "/transfers",
        {"from_location": "DC1", "to_location": "NONE", "lines": [{"sku": "SKU-A", "quantity": 1}]},
        {"admin", "warehouse", "purchasing"},
    ),
    ("POST", "/transfers/TR-NONE/receive", {}, {"admin", "warehouse", "purchasing"}),
    ("GET", "/transfers/TR-NONE", None, {"admin", "warehouse", "purchasing"}),
    (
        "POST",
        "/transfers/TR-NONE/ship",
        {"expected_date": "2026-04-01"},
        {"admin", "warehouse", "purchasing"},
    ),
    ("POST", "/transfers/TR-NONE/cancel", None, {"admin", "warehouse", "purchasing"}),
    ("GET", "/events/order/SO-NONE", None, {"admin", "sales", "warehouse", "purchasing", "finance"}),
    ("GET", "/users", None, {"admin"}),
    ("POST", "/users", {"username": "new", "password": "long enough pass", "role": "sales"}, {"admin"}),
    ("POST", "/users/nobody/tokens/999999/revoke", None, {"admin"}),
    ("GET", "/audit", None, {"admin"}),
    ("GET", "/auth/me", None, set(ROLES)),
    ("POST", "/auth/token", {}, set(ROLES)),  # needs no token: refused for its body (422), never 403
    ("GET", "/auth/tokens", None, set(ROLES)),
    ("POST", "/auth/tokens", {"name": "matrix"}, set(ROLES)),
    ("POST", "/auth/tokens/999999/revoke", None, set(ROLES)),
]


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Any) -> World:
    import shutil

    path = tmp_path_factory.mktemp("matrix") / "o2c.db"
    shutil.copy(sqlite_template, path)
    return build_world(f"sqlite:///{path}")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
def test_each_role_reaches_exactly_the_endpoints_it_is_allowed(
    shared_world: World, role: str, method: str, path: str, body: Any, allowed: set[str]
) -> None:
    headers = shared_world.auth(role)
    response = shared_world.client.request(method, "/api/v1" + path, json=body, headers=headers)

    if role in allowed:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
        body = response.json()
        assert not isinstance(body, dict) or body.get("detail") not in ("Not Found", "Method Not Allowed")
    else:
        assert problem(response, 403)["code"] == "not_permitted"


def test_the_matrix_covers_every_operation_of_the_api(shared_world: World) -> None:
    import re

    paths = shared_world.client.get("/openapi.json").json()["paths"]
    operations = [(m.upper(), p) for p, ops in paths.items() if p.startswith("/api/v1/") for m in ops]

    def covered(method: str, template: str) -> bool:
        pattern = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$")
        return any(m == method and pattern.match("/api/v1" + p) for m, p, _, _ in MATRIX)

    assert len(operations) > 50
    assert [f"{m} {p}" for m, p in operations if not covered(m, p)] == []


# --- a portal user sees and creates only their own customer's documents ------------------------


def _c2_documents(world: World) -> dict[str, str]:
    """An order of C2 shipped (so with a shipment and an invoice), and a quote of C2."""
    number = world.place("portal2", None, ("SKU-A", 2)).json()["number"]
    for action in ("confirm", "pick", "pack"):
        world.post("warehouse", f"/orders/{number}/{action}")
    world.post("warehouse", f"/orders/{number}/ship", {"carrier": "UPS", "tracking_number": "1Z"})
    shipment = world.get("admin", "/shipments", params={"order": number}).json()["items"][0]["number"]
    invoice = world.get("admin", "/invoices", params={"order": number}).json()["items"][0]["number"]
    quote = world.post("portal2", "/quotes", {"lines": [{"sku": "SKU-A", "quantity": 1}]}).json()["number"]
    world.post("warehouse", f"/shipments/{shipment}/deliver", {})
    body = {"order": number, "reason": "damaged", "lines": [{"line_no": 1, "quantity": 1}]}
    authorised = world.post("portal2", "/returns", body)
    assert authorised.status_code == 201, authorised.text
    rma = authorised.json()["number"]
    return {"order": number, "shipment": shipment, "invoice": invoice, "quote": quote, "return": rma}


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("order", "/orders/{}"),
        ("shipment", "/shipments/{}"),
        ("invoice", "/invoices/{}"),
        ("quote", "/quotes/{}"),
        ("return", "/returns/{}"),
    ],
)
def test_another_customers_document_is_a_404_exactly_like_an_unknown_one(
    world: World, kind: str, path: str
) -> None:
    theirs = _c2_documents(world)[kind]
    unknown = theirs[:-4] + "9999"

    seen = problem(world.get("portal1", path.format(theirs)), 404)
    missing = problem(world.get("portal1", path.format(unknown)), 404)

    assert seen["detail"].replace(theirs, "N") == missing["detail"].replace(unknown, "N")
    assert seen.get("context", {}).keys() == missing.get("context", {}).keys()
    assert world.get("portal2", path.format(theirs)).status_code == 200


def test_a_portal_user_cannot_act_on_another_customers_documents(world: World) -> None:
    theirs = _c2_documents(world)
    fresh_quote = world.post("portal2", "/quotes", {"lines": [{"sku": "SKU-B", "quantity": 1}]}).json()[
        "number"
    ]

    problem(world.post("portal1", f"/orders/{theirs['order']}/cancel"), 404)
    problem(world.post("portal1", f"/quotes/{fresh_quote}/convert", {}), 404)
    problem(world.get("portal1", "/customers/C2"), 404)
    rma = {"order": theirs["order"], "reason": "damaged", "lines": [{"line_no": 1, "quantity": 1}]}
    problem(world.post("portal1", "/returns", rma), 404)

    assert world.get("portal2", f"/quotes/{fresh_quote}").json()["status"] == "open"
    assert world.get("portal2", f"/orders/{theirs['order']}").json()["status"] == "delivered"


def test_a_portal_user_lists_only_their_own_documents_whatever_they_filter(world: World) -> None:
    _c2_documents(world)
    own = world.place("portal1", None, ("SKU-B", 1)).json()["number"]

    for path in ("/orders", "/shipments", "/invoices", "/quotes", "/returns"):
        items = world.get("portal1", path, params={"customer": "C2"}).json()["items"]
        assert {i["customer"] for i in items} <= {"C1"}, path
    assert [c["code"] for c in world.get("portal1", "/customers").json()["items"]] == ["C1"]
    assert problem(world.get("portal1", "/customers", params={"customer": "C2"}), 422)["field"] == "customer"
    assert [o["number"] for o in world.get("portal1", "/orders").json()["items"]] == [own]


def test_a_portal_user_cannot_place_an_order_for_another_customer(world: World) -> None:
    theirs = problem(world.place("portal1", "C2", ("SKU-A", 1)), 422)
    unknown = problem(world.place("portal1", "C-NOBODY", ("SKU-A", 1)), 422)

    assert theirs["field"] == unknown["field"] == "customer"
    assert theirs["detail"].replace("C2", "X") == unknown["detail"].replace("C-NOBODY", "X")
    assert world.count(orders) == 0
    assert world.place("portal1", "C1", ("SKU-A", 1)).json()["customer"] == "C1"


# --- tokens and logins -----------------------------------------------------------------------


def test_a_revoked_token_stops_working_at_once(world: World) -> None:
    created = world.post("sales", "/auth/tokens", {"name": "script"})
    token = created.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/auth/me", headers=headers).json()["username"] == "sales"

    world.post("sales", f"/auth/tokens/{created.json()['id']}/revoke")

    assert problem(world.client.get("/api/v1/auth/me", headers=headers), 401)["code"] == "not_authenticated"
    listed = world.get("sales", "/auth/tokens").json()["items"]
    assert listed and all("token" not in t for t in listed)


def test_a_token_stops_working_when_it_expires(world: World) -> None:
    from datetime import timedelta

    token = world.post("sales", "/auth/tokens", {"expires_in_days": 1}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/auth/me", headers=headers).status_code == 200

    world.clock.advance(timedelta(days=1))

    assert "expired" in problem(world.client.get("/api/v1/auth/me", headers=headers), 401)["detail"]


def test_a_user_cannot_revoke_another_users_token(world: World) -> None:
    other = world.post("finance", "/auth/tokens", {}).json()

    problem(world.post("sales", f"/auth/tokens/{other['id']}/revoke"), 404)

    assert (
        world.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other['token']}"}).status_code
        == 200
    )


def test_logging_in_gives_a_token_and_failed_logins_are_rate_limited(world: World) -> None:
    from tests.e2e.api_world import PASSWORD

    good = world.client.post("/api/v1/auth/token", json={"username": "sales", "password": PASSWORD})
    assert good.status_code == 201, good.text
    token_headers = {"Authorization": f"Bearer {good.json()['token']}"}
    assert world.client.get("/api/v1/auth/me", headers=token_headers).json()["role"] == "sales"

    wrong = {"username": "finance", "password": "not the password"}
    for _ in range(5):
        problem(world.client.post("/api/v1/auth/token", json=wrong), 401)
    limited = world.client.post("/api/v1/auth/token", json={"username": "finance", "password": PASSWORD})

    assert problem(limited, 429)["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0


def test_failed_logins_from_one_address_do_not_lock_the_user_out_from_another(world: World) -> None:
    from tests.e2e.api_world import PASSWORD

    attacker, office = world.client_at("203.0.113.9"), world.client_at("198.51.100.7")
    wrong = {"username": "admin", "password": "a guess"}
    for _ in range(5):
        problem(attacker.post("/api/v1/auth/token", json=wrong), 401)

    locked = attacker.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    elsewhere = office.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})

    assert problem(locked, 429)["code"] == "rate_limited"
    assert elsewhere.status_code == 201, elsewhere.text


def test_one_address_guessing_many_usernames_is_limited_too(world: World) -> None:
    from tests.e2e.api_world import PASSWORD

    sprayer, office = world.client_at("203.0.113.10"), world.client_at("198.51.100.8")
    for i in range(20):  # four each at five names: no name reaches its own limit of five
        problem(sprayer.post("/api/v1/auth/token", json={"username": f"u{i % 5}", "password": "x"}), 401)

    limited = sprayer.post("/api/v1/auth/token", json={"username": "sales", "password": PASSWORD})

    assert problem(limited, 429)["code"] == "rate_limited"
    assert (
        office.post("/api/v1/auth/token", json={"username": "sales", "password": PASSWORD}).status_code == 201
    )


def test_an_unknown_user_and_a_wrong_password_are_refused_alike(world: World) -> None:
    unknown = problem(
        world.client.post("/api/v1/auth/token", json={"username": "ghost", "password": "x"}), 401
    )
    wrong = problem(world.client.post("/api/v1/auth/token", json={"username": "sales", "password": "x"}), 401)

    assert unknown["detail"] == wrong["detail"]


# --- the audit trail -------------------------------------------------------------------------


def test_each_mutation_is_audited_with_who_what_and_before_after(world: World) -> None:
    number = world.place("sales", "C1", ("SKU-A", 2)).json()["number"]
    world.post("warehouse", f"/orders/{number}/confirm")
    problem(world.post("warehouse", f"/orders/{number}/pack"), 409)  # refused: not audited

    trail = world.get("admin", "/audit", params={"entity_type": "order", "entity_id": number}).json()["items"]

    assert [(e["actor"], e["action"]) for e in trail] == [
        ("warehouse", "order.confirmed"),
        ("sales", "order.placed"),
    ]
    confirmed, placed = trail
    assert placed["before"] is None and placed["after"]["status"] == "open"
    assert (confirmed["before"]["status"], confirmed["after"]["status"]) == ("open", "released")
    assert (confirmed["before"]["version"], confirmed["after"]["version"]) == (1, 2)


def test_a_failed_mutation_leaves_no_audit_entry(world: World) -> None:
    before = world.count(audit_log)

    problem(world.place("sales", "C1", ("NOPE", 1)), 422)
    problem(world.post("sales", "/orders/SO-NONE/cancel"), 404)

    assert world.count(audit_log) == before


def test_a_replayed_token_creation_does_not_show_or_store_the_secret_again(world: World) -> None:
    key = {"Idempotency-Key": "token-1"}
    first = world.post("sales", "/auth/tokens", {"name": "ci"}, headers=key)
    again = world.post("sales", "/auth/tokens", {"name": "ci"}, headers=key)

    assert first.json()["token"].startswith("o2c_")
    assert (again.json()["id"], again.json()["token"]) == (first.json()["id"], None)
    with world.engine.connect() as conn:
        stored = str(conn.execute(select(idempotent_requests.c.response)).scalar_one())
    assert first.json()["token"] not in stored
