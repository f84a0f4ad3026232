"""``--database`` / ``O2C_DATABASE_URL`` that cannot be used: one line on stderr naming it, exit 2,
no traceback, and nothing created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_cli import one_line_error


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "o2c", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("not a url", "invalid database URL 'not a url'"),
        ("mysql+nothing://db/o2c", "invalid database URL 'mysql+nothing://db/o2c'"),
        # nothing listens on port 1: refused at once; the password is not printed
        (
            "postgresql://u:secret@127.0.0.1:1/o2c",
            "cannot open database postgresql+psycopg://u:***@127.0.0.1:1/o2c",
        ),
    ],
)
def test_a_malformed_or_unreachable_database_is_one_line_naming_it(url: str, said: str) -> None:
    by_option = one_line_error(run("--database", url, "order", "show", "SO-1"))
    by_environment = one_line_error(run("backorders", env={"O2C_DATABASE_URL": url}))

    assert said in by_option and said in by_environment
    assert "secret" not in by_option + by_environment


@pytest.mark.parametrize(
    "command",
    [
        ("order", "show", "SO-1"),
        ("order", "events", "SO-1"),
        ("atp", "SKU-1"),
        ("promise", "SKU-1", "2", "--customer", "C1"),
        ("backorders",),
        ("report", "service", "--from", "2026-01-01", "--to", "2026-02-01"),
        ("receivables", "aging"),
    ],
)
def test_a_read_only_command_refuses_a_sqlite_file_that_does_not_exist_and_creates_none(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    missing = tmp_path / "missing.db"

    message = one_line_error(run("--database", f"sqlite:///{missing}", *command))

    assert f"database sqlite:///{missing} does not exist: run `o2c init`" in message
    assert list(tmp_path.iterdir()) == []  # no empty database, no WAL files


def test_init_creates_the_file_that_the_other_commands_refuse(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert run("--database", url, "init").returncode == 0
    shown = run("--database", url, "order", "show", "SO-1")
    assert "SO-1 does not exist" in one_line_error(shown)
