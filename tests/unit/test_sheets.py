"""Report tables split to fit the terminal, so that no figure is cut to an ellipsis."""

from __future__ import annotations

import pytest
from rich.console import Console

from o2c.cli.sheets import Sheet, fitted_tables

FIGURES = ("unit fill", "line fill", "order fill", "value fill", "OTIF", "perfect", "POI", "cycle p90 h")


def scorecard() -> Sheet:
    sheet = Sheet("service scorecard", ("period", "segment"), FIGURES, caption="as of today")
    sheet.add_row(
        "2026-01-01", "wholesale", "100.0%", "96.6%", "90.9%", "94.5%", "83.1%", "79.7%", "80.5%", "1141.1"
    )
    sheet.add_row(
        "2026-02-01", "retail", "79.4%", "92.1%", "80.4%", "72.2%", "78.3%", "75.2%", "75.5%", "160.4"
    )
    return sheet


def rendered(sheet: Sheet, width: int) -> list[str]:
    console = Console(width=width, record=True)
    with console.capture() as captured:
        for table in fitted_tables(sheet, width):
            console.print(table)
    return captured.get().splitlines()


def test_a_wide_terminal_gets_one_table_with_every_header_on_one_line() -> None:
    tables = fitted_tables(scorecard(), 200)
    assert len(tables) == 1
    assert tables[0].title == "service scorecard"
    assert any("order fill" in line and "cycle p90 h" in line for line in rendered(scorecard(), 200))


@pytest.mark.parametrize("width", [80, 60, 40])
def test_a_narrow_terminal_gets_several_tables_and_every_figure_whole(width: int) -> None:
    lines = rendered(scorecard(), width)
    text = "\n".join(lines)
    # Worked out: the key columns take 1 + (10 + 3) + (9 + 3) = 26 columns; the figures, at their
    # widest cell or header word + 3, take 9, 8, 8, 8, 8, 10, 8, 9. At 80 (54 left) the first table holds
    # six (51), the second two; at 60 (34 left) four (33), three (26), one; at 40 (14 left) one each.
    tables = fitted_tables(scorecard(), width)
    assert len(tables) == {80: 2, 60: 3, 40: 8}[width]
    assert all(len(line) <= width for line in lines)
    assert "…" not in text
    for cell in ("100.0%", "96.6%", "1141.1", "160.4", "2026-02-01", "wholesale"):
        assert cell in text
    assert text.count("wholesale") == len(tables)  # the key columns repeat in every table
    assert tables[-1].caption == "as of today" and tables[0].caption is None
    assert tables[0].title == f"service scorecard (1/{len(tables)})"


def test_a_row_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="needs 10 cells"):
        scorecard().add_row("2026-03-01", "retail", "1.0%")
