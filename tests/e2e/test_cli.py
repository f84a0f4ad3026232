"""The ``o2c`` command line, run as a user runs it: a real process, exit status and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from o2c.store.database import create_db_engine
from o2c.store.tables import orders

SAMPLE = Path(__file__).parents[2] / "src" / "o2c" / "sample"


def o2c(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "o2c", "--database", f"sqlite:///{db}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200"},  # a wide terminal: Rich tables do not wrap cells
    )


def ok(db: Path, *args: str) -> str:
    result = o2c(db, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def as_json(db: Path, *args: str) -> Any:
    return json.loads(ok(db, *args, "--format", "json"))


def order_count(db: Path) -> int:
    engine = create_db_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        count = int(conn.execute(select(func.count()).select_from(orders)).scalar_one())
    engine.dispose()
    return count


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "o2c.db"
    ok(db, "init")
    for kind in (
        "locations",
        "carriers",
        "suppliers",
        "tax-rates",
        "segment-discounts",
        "products",
        "price-lists",
        "customers",
        "stock",
    ):
        ok(db, "import", kind, str(SAMPLE / f"{kind}.csv"))
    return db


def first_row(path: Path) -> dict[str, str]:
    import csv

    with path.open(encoding="utf-8") as handle:
        return next(csv.DictReader(handle))


def write_order(tmp_path: Path, body: dict[str, Any]) -> Path:
    path = tmp_path / "order.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_an_order_placed_from_a_file_can_be_shipped_delivered_and_paid(loaded: Path, tmp_path: Path) -> None:
    customer = first_row(SAMPLE / "customers.csv")["code"]
    sku = first_row(SAMPLE / "products.csv")["sku"]
    path = write_order(tmp_path, {"customer": customer, "lines": [{"sku": sku, "quantity": 1}]})

    placed = as_json(loaded, "order", "place", str(path), "--idempotency-key", "cli-1")
    number = placed["number"]
    again = as_json(loaded, "order", "place", str(path), "--idempotency-key", "cli-1")
    assert (again["number"], again["replayed"]) == (number, True)

    shipped = as_json(
        loaded,
        "order",
        "advance",
        number,
        "--to",
        "shipped",
        "--carrier",
        first_row(SAMPLE / "carriers.csv")["code"],
        "--tracking",
        "TRK1",
    )
    assert shipped["status"] == "shipped"
    assert shipped["lines"][0]["shipped"] == 1
    shown = as_json(loaded, "order", "show", number)
    assert shown["stages"]["shipped_at"] is not None
    events = as_json(loaded, "order", "events", number)
    assert [e["event_type"] for e in events][:2] == ["order.received", "order.reserved"]


def test_a_packed_order_can_ship_in_part_and_the_rest_later(loaded: Path, tmp_path: Path) -> None:
    customer = first_row(SAMPLE / "customers.csv")["code"]
    sku = first_row(SAMPLE / "products.csv")["sku"]
    carrier = first_row(SAMPLE / "carriers.csv")["code"]
    number = as_json(
        loaded,
        "order",
        "place",
        str(write_order(tmp_path, {"customer": customer, "lines": [{"sku": sku, "quantity": 3}]})),
    )["number"]
    assert as_json(loaded, "order", "advance", number, "--to", "packed")["status"] == "packed"
    part = as_json(loaded, "order", "ship", number, "--carrier", carrier, "--tracking", "P1", "--line", "1:2")
    assert (part["status"], part["lines"][0]["shipped"]) == ("partially_shipped", 2)
    assert "cannot ship 5, 1 packed" in one_line_error(
        o2c(loaded, "order", "ship", number, "--carrier", carrier, "--tracking", "P3", "--line", "1:5")
    )
    rest = as_json(loaded, "order", "ship", number, "--carrier", carrier, "--tracking", "P2")
    assert (rest["status"], rest["lines"][0]["shipped"]) == ("shipped", 3)


def test_an_advance_refused_at_its_last_step_leaves_the_order_as_it_was(loaded: Path, tmp_path: Path) -> None:
    customer = first_row(SAMPLE / "customers.csv")["code"]
    sku = first_row(SAMPLE / "products.csv")["sku"]
    body = {"customer": customer, "lines": [{"sku": sku, "quantity": 1}]}
    number = as_json(loaded, "order", "place", str(write_order(tmp_path, body)))["number"]

    refused = o2c(
        loaded, "order", "advance", number, "--to", "shipped", "--carrier", "NOPE", "--tracking", "T"
    )

    assert "carrier NOPE does not exist" in one_line_error(refused)
    shown = as_json(loaded, "order", "show", number)
    assert (shown["status"], shown["stages"]["released_at"]) == ("open", None)  # not left packed


def test_a_malformed_order_file_is_one_line_on_stderr_and_stores_nothing(
    loaded: Path, tmp_path: Path
) -> None:
    before = order_count(loaded)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert "not valid JSON" in one_line_error(o2c(loaded, "order", "place", str(bad)))
    zero = write_order(tmp_path, {"customer": "X", "lines": [{"sku": "Y", "quantity": 0}]})
    assert "quantity" in one_line_error(o2c(loaded, "order", "place", str(zero)))
    unknown = write_order(tmp_path, {"customer": "NOBODY", "lines": [{"sku": "Y", "quantity": 1}]})
    assert "customer NOBODY does not exist" in one_line_error(o2c(loaded, "order", "place", str(unknown)))
    assert order_count(loaded) == before


def test_an_unknown_order_and_an_illegal_step_are_user_errors(loaded: Path) -> None:
    assert "SO-99999999 does not exist" in one_line_error(o2c(loaded, "order", "show", "SO-99999999"))
    assert "does not exist" in one_line_error(o2c(loaded, "order", "cancel", "SO-99999999"))


def test_a_csv_with_bad_rows_imports_nothing_and_names_each_line(loaded: Path, tmp_path: Path) -> None:
    path = tmp_path / "locations.csv"
    path.write_text("code,name,region\nNEW1,New one,east\n,missing code,west\nNEW3,,west\n", encoding="utf-8")
    message = one_line_error(o2c(loaded, "import", "locations", str(path)))
    assert "line 3" in message
    assert "line 4" in message
    assert "NEW1" not in ok(loaded, "import", "locations", str(SAMPLE / "locations.csv"))


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (
            "customers",
            "code,name,segment,channel,backorder_policy\nNEW-C,New,retail,fax,allow_partial\n",
            "line 2: column channel: 'fax' is not one of web, edi, phone, sales_rep, marketplace",
        ),
        (
            "products",
            "sku,name,list_price,standard_cost\nNEW-P,New,1.00,0.5\nNEW-Q,Other,ten,0.5\n",
            "line 3: column list_price: 'ten' is not a number",
        ),
        (
            "stock",
            "sku,location,on_hand\nNO-SUCH-SKU,DC-EAST,5\n",
            "line 2: column sku: unknown SKU NO-SUCH-SKU",
        ),
    ],
)
def test_a_bad_cell_of_an_import_is_named_by_line_and_column(
    loaded: Path, tmp_path: Path, kind: str, text: str, message: str
) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    error = one_line_error(o2c(loaded, "import", kind, str(path)))
    assert error == f"o2c: error: {path}: 1 bad row(s), nothing imported: {message}"


def test_a_database_that_was_never_initialised_says_to_run_init(tmp_path: Path) -> None:
    message = one_line_error(o2c(tmp_path / "empty.db", "order", "show", "SO-1"))
    assert "o2c init" in message


def test_the_demo_walks_orders_through_the_cycle(tmp_path: Path) -> None:
    output = ok(tmp_path / "demo.db", "demo")
    assert "Orders of the demo week" in output
    assert "closed" in output
    assert "credit hold released: open" in output
    assert "ships complete: held" in output
    assert "partially_shipped" in output
    assert "Receivables aging" in output
