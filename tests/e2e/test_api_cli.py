"""``o2c user``, ``o2c token`` and ``o2c serve`` as a user runs them: real processes, real HTTP."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from o2c.store.database import create_db_engine
from tests.e2e.test_cli import o2c
from tests.factories import add_customer, add_location, add_product, add_stock, set_rates


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "o2c", "--database", f"sqlite:///{db}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    db = tmp_path_factory.mktemp("serve") / "o2c.db"
    shutil.copy(sqlite_template, db)
    engine = create_db_engine(f"sqlite:///{db}")
    add_customer(engine, "C1")
    add_stock(engine, add_product(engine, "SKU-A"), add_location(engine), 10)
    set_rates(engine)
    engine.dispose()
    return db


@pytest.fixture(scope="module")
def server(loaded_db: Path) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "o2c", "--database", f"sqlite:///{loaded_db}", "serve", "--port", str(port)],
        env={**os.environ},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "o2c serve did not come up"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_user_and_token_made_on_the_command_line_work_against_o2c_serve(
    loaded_db: Path, server: str
) -> None:
    created = _run(
        loaded_db,
        "user",
        "create",
        "ada",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert created.returncode == 0, created.stderr
    issued = _run(loaded_db, "token", "create", "ada", "--name", "test")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("o2c_") and "not shown again" in issued.stderr
    headers = {"Authorization": f"Bearer {token}"}

    me = httpx.get(f"{server}/api/v1/auth/me", headers=headers)
    body = {"customer": "C1", "lines": [{"sku": "SKU-A", "quantity": 1}]}
    placed = httpx.post(f"{server}/api/v1/orders", json=body, headers=headers)
    cancelled = httpx.post(f"{server}/api/v1/orders/{placed.json()['number']}/cancel", headers=headers)

    assert (me.status_code, me.json()["role"]) == (200, "admin")
    assert placed.status_code == 201, placed.text
    assert cancelled.json()["status"] == "cancelled"
    token_id = json.loads(_run(loaded_db, "token", "list", "ada", "--format", "json").stdout)[0]["id"]
    revoked = _run(loaded_db, "token", "revoke", str(token_id))
    assert revoked.returncode == 0, revoked.stderr
    assert httpx.get(f"{server}/api/v1/auth/me", headers=headers).status_code == 401


def test_there_is_no_default_password_and_a_short_one_is_refused(loaded_db: Path) -> None:
    no_terminal = _run(loaded_db, "user", "create", "bob", "--role", "sales")
    too_short = _run(
        loaded_db, "user", "create", "bob", "--role", "sales", "--password-stdin", stdin="short\n"
    )
    portal_without_customer = _run(
        loaded_db,
        "user",
        "create",
        "shop",
        "--role",
        "portal",
        "--password-stdin",
        stdin="a long enough secret\n",
    )

    for result in (no_terminal, too_short, portal_without_customer):
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert "password" in too_short.stderr and "customer" in portal_without_customer.stderr
    assert "bob" not in _run(loaded_db, "user", "list", "--format", "json").stdout


def test_serve_refuses_a_database_that_is_not_initialised(tmp_path: Path) -> None:
    result = o2c(tmp_path / "empty.db", "serve", "--port", str(_free_port()))

    assert result.returncode == 2
    assert "o2c init" in result.stderr
