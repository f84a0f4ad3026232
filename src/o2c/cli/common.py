"""What every command shares: the database state, output formats, and parsing of user input.

Parsing helpers raise :class:`~o2c.domain.errors.ValidationFailed`, which ``o2c.cli.main`` turns into one
line on stderr and exit status 2.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic_core import to_jsonable_python
from rich.console import Console
from sqlalchemy import Engine

from o2c.domain.clock import SystemClock
from o2c.domain.errors import ValidationFailed
from o2c.domain.money import MONEY_SCALE, parse_decimal
from o2c.store.database import open_database
from o2c.store.migrate import ensure_current
from o2c.store.uow import UnitOfWork

out = Console()


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


class State:
    """What the root callback hands to every command: the database URL, opened on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None

    def engine(self, *, migrated: bool = True) -> Engine:
        """Open the database on first use: it must exist and be at the current schema, unless the
        command creates or migrates it (``migrated=False``: ``o2c init``, ``demo``, ``simulate``)."""
        if self._engine is None:
            self._engine = open_database(self.url, create=not migrated)
            if migrated:
                ensure_current(self._engine, self.url)
        return self._engine

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine(), SystemClock())


def state_of(ctx: typer.Context) -> State:
    state = ctx.obj
    assert isinstance(state, State)
    return state


DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        "-d",
        help="Database URL (default: $O2C_DATABASE_URL or sqlite:///o2c.db).",
        show_default=False,
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
ActorOption = Annotated[str, typer.Option("--actor", help="Who does this (recorded in the event log).")]


def print_next_steps(url: str, commands: list[str]) -> None:
    """The closing "Try next" hint: one full command line each, never wrapped, so it can be pasted
    (and tests run every one of them: tests/e2e/test_hints.py)."""
    out.print("\n[bold]Try next[/bold]:")
    for command in commands:
        out.print(f"  [cyan]o2c -d {url} {command}[/cyan]", soft_wrap=True, highlight=False)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable_python(value), indent=2) + "\n")


def readable(path: Path) -> Path:
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such file", field="file")
    return path


def json_file(path: Path) -> dict[str, Any]:
    try:
        body = json.loads(readable(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValidationFailed(f"{path}: not valid JSON ({error})", field="file") from None
    if not isinstance(body, dict):
        raise ValidationFailed(f"{path}: expected a JSON object", field="file")
    return body


def decimal_option(text: str, what: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValidationFailed(f"{what} {text!r} is not a number", field=what) from None


def money_option(text: str, option: str, field: str) -> Decimal:
    """An amount of money given as ``option``: a number, not negative, at most two decimal places."""
    try:
        return parse_decimal(text, scale=MONEY_SCALE, what=option)
    except ValueError as error:
        raise ValidationFailed(str(error), field=field) from None


def date_option(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{what} {text!r} is not a date (YYYY-MM-DD)", field=what) from None


def line_qty(text: str, what: str) -> tuple[int, int]:
    line, _, qty = text.partition(":")
    if not (line.isdigit() and qty.isdigit()):
        raise ValidationFailed(f"{what} {text!r} is not LINE:QTY", field=what)
    return int(line), int(qty)
