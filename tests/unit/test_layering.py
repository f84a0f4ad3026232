"""The domain layer imports no framework and no outer layer; only the clock reads the system time."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "o2c"
DOMAIN = PACKAGE / "domain"
CLOCK = DOMAIN / "clock.py"

FORBIDDEN_PACKAGES = frozenset(
    {
        "sqlalchemy",
        "alembic",
        "fastapi",
        "starlette",
        "typer",
        "click",
        "rich",
        "pandas",
        "pydantic",
        "pydantic_settings",
        "psycopg",
        "psycopg2",
    }
)
OUTER_LAYERS = ("o2c.store", "o2c.services", "o2c.api", "o2c.cli", "o2c.sim", "o2c.analytics")
CLOCK_READS = re.compile(r"\b(?:datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module an ``import`` or ``from … import`` statement names, relative ones made absolute."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = package[: len(package) - (node.level - 1)]
                absolute = ".".join([*base, node.module] if node.module else base)
            else:
                absolute = node.module or ""
            names.add(absolute)
            # ``from o2c import store`` imports the module o2c.store
            names.update(f"{absolute}.{alias.name}" for alias in node.names)
    return names


def forbidden(name: str) -> bool:
    return name.split(".", maxsplit=1)[0] in FORBIDDEN_PACKAGES or any(
        name == layer or name.startswith(layer + ".") for layer in OUTER_LAYERS
    )


def domain_modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_the_domain_package_is_where_the_layering_test_looks() -> None:
    names = {p.name for p in domain_modules()}
    assert {"order.py", "allocation.py", "pricing.py", "clock.py", "money.py"} <= names


@pytest.mark.parametrize("path", domain_modules(), ids=lambda p: p.name)
def test_a_domain_module_imports_no_framework_and_no_outer_layer(path: Path) -> None:
    imports = imported_modules(
        path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
    )

    assert sorted(name for name in imports if forbidden(name)) == []


def test_the_import_check_catches_frameworks_and_outer_layers_however_they_are_imported() -> None:
    source = "\n".join(
        [
            "import sqlalchemy.orm",
            "from pydantic import BaseModel",
            "from o2c import services",
            "from ..store import tables",
            "from o2c.domain.money import round_money",
            "import decimal",
        ]
    )

    caught = {name for name in imported_modules(source, "o2c.domain.order") if forbidden(name)}

    assert caught == {
        "sqlalchemy.orm",
        "pydantic",
        "pydantic.BaseModel",
        "o2c.services",
        "o2c.store",
        "o2c.store.tables",
    }


def clock_reads(path: Path) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if CLOCK_READS.search(line):
            found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    return found


def test_only_the_clock_module_reads_the_system_time() -> None:
    offenders = [hit for path in sorted(PACKAGE.rglob("*.py")) if path != CLOCK for hit in clock_reads(path)]

    assert offenders == [], "take a Clock instead of reading the system time"


def test_the_system_time_check_would_see_the_clock_module_itself() -> None:
    assert clock_reads(CLOCK), "the pattern no longer matches what SystemClock does"
    for call in ("datetime.now(UTC)", "datetime.datetime.utcnow()", "date.today()", "time.time()"):
        assert CLOCK_READS.search(f"x = {call}"), call
    assert not CLOCK_READS.search("x = clock.now()")
