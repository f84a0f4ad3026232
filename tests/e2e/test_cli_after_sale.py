"""The after-sale commands run as a user runs them: returns, credit memos, cases, NPS, expedites."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from o2c.store.after_sale_tables import credit_memos, nps_responses, returns, service_cases
from o2c.store.database import create_db_engine
from o2c.store.tables import invoices, orders, shipments
from tests.e2e.test_cli import SAMPLE, as_json, first_row, o2c, ok, one_line_error, write_order


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("after_sale") / "o2c.db"
    ok(path, "init")
    for kind in (
        "locations",
        "carriers",
        "tax-rates",
        "segment-discounts",
        "products",
        "price-lists",
        "customers",
        "stock",
    ):
        ok(path, "import", kind, str(SAMPLE / f"{kind}.csv"))
    return path


def documents(db: Path, order_number: str) -> tuple[str, str]:
    """The shipment and invoice numbers of an order shipped once."""
    engine = create_db_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        order_id = conn.execute(select(orders.c.id).where(orders.c.number == order_number)).scalar_one()
        shipment = conn.execute(
            select(shipments.c.number).where(shipments.c.order_id == order_id)
        ).scalar_one()
        invoice = conn.execute(select(invoices.c.number).where(invoices.c.order_id == order_id)).scalar_one()
    engine.dispose()
    return shipment, invoice


def counts(db: Path) -> tuple[int, ...]:
    engine = create_db_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        found = tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (returns, credit_memos, service_cases, nps_responses)
        )
    engine.dispose()
    return found


def shipped(db: Path, tmp_path: Path, quantity: int) -> tuple[str, str, str, str]:
    customer = first_row(SAMPLE / "customers.csv")["code"]
    sku = first_row(SAMPLE / "products.csv")["sku"]
    order = write_order(tmp_path, {"customer": customer, "lines": [{"sku": sku, "quantity": quantity}]})
    number = as_json(db, "order", "place", str(order))["number"]
    carrier = first_row(SAMPLE / "carriers.csv")["code"]
    as_json(db, "order", "advance", number, "--to", "shipped", "--carrier", carrier, "--tracking", "T")
    return (customer, number, *documents(db, number))


def test_a_wrong_item_is_returned_restocked_and_credited_from_the_command_line(
    db: Path, tmp_path: Path
) -> None:
    customer, number, shipment, invoice = shipped(db, tmp_path, 3)
    delivered = as_json(db, "shipment", "deliver", shipment, "--wrong-item", "1:1")
    assert delivered["lines"][0]["delivered"] == 3
    owed_before = sum(
        Decimal(str(r["total"])) for r in as_json(db, "receivables", "aging") if r["customer"] == customer
    )

    rma = as_json(db, "return", "authorise", number, "--line", "1:1", "--reason", "wrong_item")
    assert (rma["status"], rma["reason"], rma["lines"][0]["quantity"]) == ("authorised", "wrong_item", 1)
    received = as_json(db, "return", "receive", rma["number"], "--disposition", "restock")
    assert (received["status"], received["lines"][0]["disposition"]) == ("received", "restock")
    memo = as_json(db, "return", "credit", rma["number"])
    assert memo["invoice"] == invoice and Decimal(str(memo["applied"])) == Decimal(str(memo["total"])) > 0
    owed_after = sum(
        Decimal(str(r["total"])) for r in as_json(db, "receivables", "aging") if r["customer"] == customer
    )
    assert owed_after == owed_before - Decimal(str(memo["total"]))

    correction = as_json(db, "credit", "issue", invoice, "0.50", "--reason", "billing_error")
    assert (correction["reason"], Decimal(str(correction["subtotal"]))) == ("billing_error", Decimal("0.50"))


def test_a_case_runs_from_open_to_resolved_and_nps_and_expedites_are_recorded(
    db: Path, tmp_path: Path
) -> None:
    customer, number, _, _ = shipped(db, tmp_path, 1)
    case = as_json(
        db, "case", "open", customer, "--category", "delivery", "--order", number, "--summary", "late"
    )
    assert (case["status"], case["order"], case["category"]) == ("open", number, "delivery")
    assert as_json(db, "case", "respond", case["number"])["status"] == "responded"
    resolved = as_json(db, "case", "resolve", case["number"], "--resolution", "re-shipped")
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "re-shipped")
    assert "from " + customer + ": 9" in ok(db, "nps", "record", customer, "9", "--order", number)

    order = write_order(
        tmp_path,
        {"customer": customer, "lines": [{"sku": first_row(SAMPLE / "products.csv")["sku"], "quantity": 1}]},
    )
    fresh = as_json(db, "order", "place", str(order))["number"]
    assert as_json(db, "order", "expedite", fresh)["number"] == fresh
    assert "already expedited" in one_line_error(o2c(db, "order", "expedite", fresh))


def test_bad_after_sale_input_is_one_line_on_stderr_with_status_2_and_stores_nothing(
    db: Path, tmp_path: Path
) -> None:
    customer, number, shipment, invoice = shipped(db, tmp_path, 2)
    ok(db, "shipment", "deliver", shipment)
    before = counts(db)
    bad = [
        (("return", "authorise", number, "--line", "1:3", "--reason", "damaged"), "cannot return 3"),
        (("return", "authorise", number, "--line", "1:1", "--reason", "lost"), "unknown reason"),
        (("return", "authorise", number, "--line", "one", "--reason", "damaged"), "is not LINE:QTY"),
        (("return", "receive", "RMA-99999999"), "does not exist"),
        (("credit", "issue", invoice, "abc"), "not a number"),
        (("credit", "issue", invoice, "5", "--reason", "gift"), "unknown credit reason"),
        (("credit", "issue", invoice, "99999"), "exceeds"),
        (("case", "open", customer, "--category", "rant", "--summary", "x"), "unknown category"),
        (("nps", "record", customer, "11"), "0 to 10"),
    ]
    for args, message in bad:
        assert message in one_line_error(o2c(db, *args)), args
    assert counts(db) == before
    rma = as_json(db, "return", "authorise", number, "--line", "1:1", "--reason", "defective")["number"]
    assert "unknown disposition" in one_line_error(o2c(db, "return", "receive", rma, "--disposition", "burn"))
    assert "authorised: cannot credit" in one_line_error(o2c(db, "return", "credit", rma))
