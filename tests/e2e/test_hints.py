"""Every command a hint tells the user to try next really runs: the closing lines of ``o2c simulate``
and ``o2c demo``, and the "Try next" lines of the Makefile's ``demo`` target. Hints cannot rot."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).parents[2] / "Makefile"


def run(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "o2c", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": str(columns)},  # narrow: the hints must not wrap
    )


def hinted(stdout: str) -> list[list[str]]:
    """The command lines printed under "Try next", without the leading ``o2c``."""
    _, _, tail = stdout.partition("Try next")
    commands = [shlex.split(line) for line in tail.splitlines() if line.startswith("  o2c -d ")]
    assert commands, stdout
    return [c[1:] for c in commands]


def runs(command: list[str]) -> None:
    result = run(*command)
    assert result.returncode == 0, f"o2c {shlex.join(command)}: {result.stderr}"
    assert result.stdout.strip()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('hints') / 'sim.db'}"
    result = run("-d", url, "simulate", "--days", "10", "--customers", "8", "--seed", "2")
    assert result.returncode == 0, result.stderr
    return url, result.stdout


def test_each_command_the_simulation_hints_at_runs(simulated: tuple[str, str]) -> None:
    url, stdout = simulated
    commands = hinted(stdout)
    assert all(c[:2] == ["-d", url] for c in commands)
    for command in commands:
        runs(command)


def test_each_command_the_makefile_demo_hints_at_runs(simulated: tuple[str, str]) -> None:
    url, _ = simulated
    text = MAKEFILE.read_text(encoding="utf-8")
    values = dict(re.findall(r"^(DEMO_FROM|DEMO_AS_OF) := (\S+?)(?:#|$)", text, flags=re.MULTILINE))
    lines = re.findall(r'^\t@echo "  \$\(O2C_DEMO\) (.+)"$', text, flags=re.MULTILINE)
    assert len(lines) >= 5 and set(values) == {"DEMO_FROM", "DEMO_AS_OF"}
    for line in lines:
        expanded = re.sub(r"\$\((\w+)\)", lambda m: values[m.group(1)], line)
        runs(["-d", url, *shlex.split(expanded)])


def test_each_command_the_walkthrough_hints_at_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = run("-d", url, "demo")
    assert result.returncode == 0, result.stderr
    for command in hinted(result.stdout):
        assert command[:2] == ["-d", url]  # the database the user gave, not a fixed demo.db
        runs(command)
