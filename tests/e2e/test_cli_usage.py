"""Usage errors (Click's) are one line on stderr and exit status 2, like every other user error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import o2c


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "carriers", "--bogus"], "o2c report carriers: No such option: --bogus"),
        (["order", "show"], "o2c order show: Missing argument 'number'."),
        (["report", "service", "--period", "fortnight"], "o2c report service: Invalid value for '--period'"),
        (["simulate", "--days", "many"], "o2c simulate: Invalid value for '--days'"),
        (["report", "nothing"], "o2c report: No such command 'nothing'."),
        (["clv", "fit", "--customer-col", "c"], "o2c clv fit: Missing option"),
    ],
)
def test_a_usage_error_is_one_line_on_stderr_and_status_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = o2c(tmp_path / "o2c.db", *args)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"o2c: error: {message}"), lines[0]
    assert lines[0].endswith("(see --help)")
    assert "╭" not in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "o2c.db").exists()  # nothing was created


def test_help_still_prints_and_exits_0(tmp_path: Path) -> None:
    result = o2c(tmp_path / "o2c.db", "report", "carriers", "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: o2c report carriers" in result.stdout
    assert result.stderr == ""
