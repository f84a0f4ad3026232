"""A running API over a test database: master data, one user per role, and their tokens.

Users are written with one password hash computed once per session (argon2 is slow on purpose);
the services that hash passwords have their own tests.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select

from o2c.api import create_app
from o2c.api.settings import ApiSettings
from o2c.domain.access import Role
from o2c.domain.clock import ManualClock
from o2c.services.access import issue_token
from o2c.store.database import create_db_engine
from o2c.store.uow import UnitOfWork
from o2c.store.users import UserRepository
from tests.conftest import START
from tests.factories import add_carrier, add_customer, add_location, add_product, add_stock, set_rates

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
_HASH = PasswordHasher().hash(PASSWORD)
STAFF = ("admin", "sales", "warehouse", "purchasing", "finance")
API = "/api/v1"


@dataclass
class World:
    client: TestClient
    engine: Engine
    clock: ManualClock
    tokens: dict[str, str]  # username -> bearer token

    def client_at(self, address: str) -> TestClient:
        """A client of the same app calling from another address."""
        return TestClient(self.client.app, client=(address, 50000), raise_server_exceptions=False)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, path: str, **kwargs: Any) -> Any:
        return self.client.get(API + path, headers={**self.auth(who), **kwargs.pop("headers", {})}, **kwargs)

    def post(self, who: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = {**self.auth(who), **kwargs.pop("headers", {})}
        return self.client.post(API + path, json=body, headers=headers, **kwargs)

    def place(self, who: str, customer: str | None, *lines: tuple[str, int], **kwargs: Any) -> Any:
        body: dict[str, Any] = {"lines": [{"sku": s, "quantity": q} for s, q in lines]}
        if customer is not None:
            body["customer"] = customer
        return self.post(who, "/orders", body, **kwargs)

    def count(self, table: Any) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def add_user(uow: UnitOfWork, username: str, role: Role, customer_id: int | None = None) -> str:
    """A user with the session's password, and a fresh token for it."""
    with uow:
        UserRepository(uow.connection).add(username, _HASH, role, customer_id, uow.clock.now())
        uow.commit()
    return issue_token(uow, username).token


def build_world(db_url: str, **settings: Any) -> World:
    engine = create_db_engine(db_url)
    clock = ManualClock(START)
    c1, c2 = add_customer(engine, "C1"), add_customer(engine, "C2")
    location = add_location(engine, "DC1")
    for sku in ("SKU-A", "SKU-B"):
        add_stock(engine, add_product(engine, sku), location, 100)
    add_carrier(engine, "UPS")
    set_rates(engine)
    uow = UnitOfWork(engine, clock)
    tokens = {name: add_user(uow, name, Role(name)) for name in STAFF}
    tokens["portal1"] = add_user(uow, "portal1", Role.PORTAL, c1)
    tokens["portal2"] = add_user(uow, "portal2", Role.PORTAL, c2)
    app = create_app(
        ApiSettings(database_url=db_url, **{"rate_per_second": 0, **settings}), engine=engine, clock=clock
    )
    return World(TestClient(app, raise_server_exceptions=False), engine, clock, tokens)


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    built = build_world(db_url)
    yield built
    built.engine.dispose()


def problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with this status; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("urn:o2c:problem:")
    return body


@contextmanager
def serving(world: World) -> Iterator[str]:
    """The world's app behind a real uvicorn server on a free local port; yields its base URL."""
    config = uvicorn.Config(world.client.app, host="127.0.0.1", port=0, log_level="error", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not (server.started and server.servers):
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
