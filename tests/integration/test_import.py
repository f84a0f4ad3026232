"""CSV import of master data: good files land exactly, a file with any bad row lands not at all."""

from __future__ import annotations

import io
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, func, select, update

from o2c.domain.errors import ImportRejected
from o2c.services.importing import LOAD_ORDER, ImportKind, ImportReport, import_csv, load_sample_data
from o2c.store.master_tables import (
    carriers,
    customers,
    locations,
    price_list_items,
    price_lists,
    product_alternates,
    products,
    segment_discounts,
    ship_tos,
    stock,
    suppliers,
    tax_rates,
)
from o2c.store.tables import events
from o2c.store.uow import UnitOfWork
from tests.factories import add_location, add_product, add_stock, stock_level

K = ImportKind


def csv(text: str) -> io.StringIO:
    return io.StringIO(textwrap.dedent(text).lstrip("\n"))


def run(uow: UnitOfWork, kind: ImportKind, text: str) -> ImportReport:
    return import_csv(uow, kind, csv(text))


def rejected(uow: UnitOfWork, kind: ImportKind, text: str) -> list[tuple[int, str]]:
    with pytest.raises(ImportRejected) as caught:
        run(uow, kind, text)
    return [(p.line, p.reason) for p in caught.value.problems]


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def rows(engine: Engine, table: Table, order_by: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(table.c[order_by])).mappings()]


def test_a_locations_file_creates_each_location_with_its_values(uow: UnitOfWork, engine: Engine) -> None:
    report = run(uow, K.LOCATIONS, "code,name,region\nDC1,Newark DC,east\nDC2,Reno DC,west\n")

    assert report == ImportReport(K.LOCATIONS, created=2, updated=0)
    assert [(r["code"], r["name"], r["region"]) for r in rows(engine, locations, "code")] == [
        ("DC1", "Newark DC", "east"),
        ("DC2", "Reno DC", "west"),
    ]


def test_carriers_and_suppliers_take_the_table_defaults_for_absent_optional_columns(
    uow: UnitOfWork, engine: Engine
) -> None:
    run(uow, K.CARRIERS, "code,name\nUPS,United Parcel Service\n")
    run(uow, K.SUPPLIERS, "code,name,lead_time_days\nACME,Acme,21\nGLOBEX,Globex,\n")

    assert [(r["code"], r["service"]) for r in rows(engine, carriers, "code")] == [("UPS", "ground")]
    assert [(r["code"], r["lead_time_days"]) for r in rows(engine, suppliers, "code")] == [
        ("ACME", 21),
        ("GLOBEX", 14),
    ]


def test_tax_rates_and_segment_discounts_are_stored_as_exact_fractions(
    uow: UnitOfWork, engine: Engine
) -> None:
    run(uow, K.TAX_RATES, "region,rate\neast,0.06625\nwest,0.0825\n")
    report = run(uow, K.SEGMENT_DISCOUNTS, "segment,discount_rate\nstrategic,0.08\nretail,0\n")

    assert report.created == 2
    assert {r["region"]: r["rate"] for r in rows(engine, tax_rates, "region")} == {
        "east": Decimal("0.06625"),
        "west": Decimal("0.0825"),
    }
    assert {r["segment"]: r["discount_rate"] for r in rows(engine, segment_discounts, "segment")} == {
        "retail": Decimal(0),
        "strategic": Decimal("0.08"),
    }


def test_a_rate_given_as_a_percentage_is_refused_with_a_hint(uow: UnitOfWork, engine: Engine) -> None:
    problems = rejected(uow, K.TAX_RATES, "region,rate\neast,8.25\nwest,0.0825\n")

    assert problems == [(2, "column rate: '8.25' is above 1: give rates as fractions (8.25% is 0.0825)")]
    assert count(engine, tax_rates) == 0


def test_a_price_list_file_creates_the_price_list_and_prices_each_sku_exactly(
    uow: UnitOfWork, engine: Engine
) -> None:
    add_product(engine, "WIDGET")
    add_product(engine, "GADGET")

    report = run(
        uow, K.PRICE_LISTS, "price_list_code,sku,unit_price\nCONTRACT,WIDGET,9.10\nCONTRACT,GADGET,0.30\n"
    )

    assert report == ImportReport(K.PRICE_LISTS, created=2, updated=0)
    assert [r["code"] for r in rows(engine, price_lists, "code")] == ["CONTRACT"]
    prices = sorted(r["unit_price"] for r in rows(engine, price_list_items, "product_id"))
    assert prices == [Decimal("0.30"), Decimal("9.10")]


CUSTOMERS = """
    code,name,segment,tier,channel,credit_limit,payment_terms_days,backorder_policy,allow_substitution,price_list,active,ship_to_code,ship_to_name,ship_to_address,ship_to_region
    ACME,Acme Corp,strategic,1,EDI,1500.50,45,ship_complete,yes,CONTRACT,true,NJ,Newark,"1 Ferry St, NJ",east
    ACME,Acme Corp,strategic,1,EDI,1500.50,45,ship_complete,yes,CONTRACT,true,CA,Acme West,,west
    SHOP,Corner Shop,retail,,web,,,cancel_remainder,no,,0,MAIN,,,east
"""


def test_customers_with_several_ship_tos_are_one_customer_each_with_its_addresses(
    uow: UnitOfWork, engine: Engine
) -> None:
    add_product(engine, "WIDGET")
    run(uow, K.PRICE_LISTS, "price_list_code,sku,unit_price\nCONTRACT,WIDGET,9.10\n")

    report = run(uow, K.CUSTOMERS, CUSTOMERS)

    assert report == ImportReport(K.CUSTOMERS, created=2, updated=0)
    acme, shop = rows(engine, customers, "code")
    assert (acme["code"], acme["tier"], acme["channel"], acme["credit_limit"]) == (
        "ACME",
        1,
        "edi",
        Decimal("1500.50"),
    )
    assert (acme["payment_terms_days"], acme["backorder_policy"], acme["allow_substitution"]) == (
        45,
        "ship_complete",
        True,
    )
    assert acme["price_list_id"] is not None
    assert (shop["tier"], shop["credit_limit"], shop["payment_terms_days"], shop["price_list_id"]) == (
        3,
        None,
        30,
        None,
    )
    assert shop["active"] is False
    addresses = {
        (r["customer_id"], r["code"]): (r["name"], r["address"], r["region"])
        for r in rows(engine, ship_tos, "id")
    }
    assert addresses == {
        (acme["id"], "NJ"): ("Newark", "1 Ferry St, NJ", "east"),
        (acme["id"], "CA"): ("Acme West", "", "west"),
        (shop["id"], "MAIN"): ("Corner Shop", "", "east"),
    }


def test_rows_of_one_customer_that_disagree_on_its_terms_are_refused(uow: UnitOfWork, engine: Engine) -> None:
    problems = rejected(
        uow,
        K.CUSTOMERS,
        """
        code,name,segment,channel,backorder_policy,credit_limit,ship_to_code,ship_to_region
        ACME,Acme Corp,retail,web,allow_partial,100,NJ,east
        ACME,Acme Corp,retail,web,allow_partial,200,CA,west
        ACME,Acme Corp,retail,web,allow_partial,100,NJ,west
        """,
    )

    assert problems == [
        (3, "customer ACME: credit_limit differ(s) from line 2"),
        (4, "ship-to NJ of customer ACME is already on line 2"),
    ]
    assert count(engine, customers) == 0


def test_a_customer_with_an_unknown_price_list_is_refused(uow: UnitOfWork, engine: Engine) -> None:
    problems = rejected(
        uow,
        K.CUSTOMERS,
        "code,name,segment,channel,backorder_policy,price_list\nACME,Acme,retail,web,allow_partial,GOLD\n",
    )

    assert problems == [(2, "column price_list: unknown price list GOLD")]


PRODUCTS = """
    sku,name,list_price,standard_cost,weight_kg,volume_l,active,alternates
    PUMP-1,Pump,149.00,92.1234,4.8,9.125,true,PUMP-2|PUMP-3
    PUMP-2,Pump mk2,189.00,118,5.1,9,yes,
    PUMP-3,Pump mk3,199.99,120.5,0.005,0.001,no,PUMP-2
"""


def test_products_are_stored_in_grams_and_cubic_centimetres_with_ranked_alternates(
    uow: UnitOfWork, engine: Engine
) -> None:
    report = run(uow, K.PRODUCTS, PRODUCTS)

    assert report == ImportReport(K.PRODUCTS, created=3, updated=0)
    by_sku = {r["sku"]: r for r in rows(engine, products, "sku")}
    pump = by_sku["PUMP-1"]
    assert (pump["list_price"], pump["standard_cost"], pump["weight_g"], pump["volume_cm3"]) == (
        Decimal("149.00"),
        Decimal("92.1234"),
        4800,
        9125,
    )
    assert (by_sku["PUMP-3"]["weight_g"], by_sku["PUMP-3"]["volume_cm3"], by_sku["PUMP-3"]["active"]) == (
        5,
        1,
        False,
    )
    ids = {r["id"]: r["sku"] for r in by_sku.values()}
    ranked = sorted(
        (ids[r["product_id"]], r["rank"], ids[r["alternate_id"]])
        for r in rows(engine, product_alternates, "rank")
    )
    assert ranked == [("PUMP-1", 1, "PUMP-2"), ("PUMP-1", 2, "PUMP-3"), ("PUMP-3", 1, "PUMP-2")]


def test_reimporting_a_products_alternates_replaces_the_previous_ones(
    uow: UnitOfWork, engine: Engine
) -> None:
    run(uow, K.PRODUCTS, PRODUCTS)

    report = run(
        uow,
        K.PRODUCTS,
        "sku,name,list_price,standard_cost,alternates\n"
        "PUMP-1,Pump,150.00,92,PUMP-3\nPUMP-3,Pump mk3,199.99,120.5,\n",
    )

    assert report == ImportReport(K.PRODUCTS, created=0, updated=2)
    with engine.connect() as conn:
        pairs = conn.execute(
            select(products.c.sku, product_alternates.c.rank).join(
                product_alternates, product_alternates.c.product_id == products.c.id
            )
        ).all()
    assert [tuple(p) for p in pairs] == [("PUMP-1", 1)]
    assert {r["sku"]: r["weight_g"] for r in rows(engine, products, "sku")}["PUMP-1"] == 4800  # absent: kept


def test_a_file_with_several_bad_rows_reports_every_one_and_imports_nothing(
    uow: UnitOfWork, engine: Engine
) -> None:
    run(uow, K.PRODUCTS, "sku,name,list_price,standard_cost\nOLD,Old,1.00,0.5\n")
    before = (count(engine, products), count(engine, product_alternates))

    problems = rejected(
        uow,
        K.PRODUCTS,
        """
        sku,name,list_price,standard_cost,weight_kg,volume_l,active,alternates
        NEW-1,Good row,10.00,5,1,1,true,OLD
        NEW-2,Bad price,10.005,5,1,1,true,
        NEW-3,,-1,abc,1,1,maybe,
        NEW-4,Unknown alternate,10.00,5,1,1,true,NOPE|OLD
        NEW-1,Duplicate,10.00,5,1,1,true,
        NEW-5,Too many,1,1,1,1,true,,extra
        """,
    )

    assert [line for line, _ in problems] == [3, 4, 5, 6, 7]
    assert problems[0] == (3, "column list_price: '10.005' has more than 2 decimal places")
    assert problems[1] == (
        4,
        "column name: no value, but it is required; column list_price: '-1' is negative; "
        "column standard_cost: 'abc' is not a number; "
        "column active: 'maybe' is not one of true/false/yes/no/1/0",
    )
    assert problems[2] == (5, "column alternates: unknown SKU(s) NOPE")
    assert problems[3] == (6, "product NEW-1 is already on line 2")
    assert problems[4] == (7, "9 values, but the header has 8 columns")
    assert (count(engine, products), count(engine, product_alternates)) == before


def test_reimporting_a_file_updates_rather_than_duplicating(uow: UnitOfWork, engine: Engine) -> None:
    add_product(engine, "WIDGET")
    run(uow, K.PRICE_LISTS, "price_list_code,sku,unit_price\nCONTRACT,WIDGET,9.10\n")
    run(uow, K.CUSTOMERS, CUSTOMERS)

    again = run(
        uow, K.CUSTOMERS, CUSTOMERS.replace("Acme Corp", "Acme Corporation").replace("1500.50", "2000")
    )
    prices = run(uow, K.PRICE_LISTS, "price_list_code,sku,unit_price\nCONTRACT,WIDGET,9.25\n")

    assert again == ImportReport(K.CUSTOMERS, created=0, updated=2)
    assert prices == ImportReport(K.PRICE_LISTS, created=0, updated=1)
    assert (count(engine, customers), count(engine, ship_tos), count(engine, price_lists)) == (2, 3, 1)
    acme = rows(engine, customers, "code")[0]
    assert (acme["name"], acme["credit_limit"]) == ("Acme Corporation", Decimal("2000.00"))
    assert [r["unit_price"] for r in rows(engine, price_list_items, "product_id")] == [Decimal("9.25")]


def test_a_stock_count_sets_on_hand_and_records_a_counted_event(uow: UnitOfWork, engine: Engine) -> None:
    widget, dc = add_product(engine, "WIDGET"), add_location(engine, "DC1")
    existing = add_stock(engine, widget, dc, 40)
    add_product(engine, "GADGET")

    report = run(uow, K.STOCK, "sku,location,on_hand\nWIDGET,DC1,35\nGADGET,DC1,7\n")

    assert report == ImportReport(K.STOCK, created=1, updated=1)
    assert stock_level(engine, existing) == (35, 0)
    with engine.connect() as conn:
        counted = conn.execute(select(events).order_by(events.c.id)).mappings().all()
    assert [(e["entity_id"], e["event_type"], e["actor"], e["payload"]) for e in counted] == [
        ("WIDGET@DC1", "stock.counted", "import", {"on_hand": 35, "previous": 40}),
        ("GADGET@DC1", "stock.counted", "import", {"on_hand": 7, "previous": 0}),
    ]
    assert counted[0]["occurred_at"] == uow.clock.now()


def test_a_count_below_the_allocated_quantity_is_refused(uow: UnitOfWork, engine: Engine) -> None:
    stock_id = add_stock(engine, add_product(engine, "WIDGET"), add_location(engine, "DC1"), 40)
    with engine.begin() as conn:
        conn.execute(update(stock).where(stock.c.id == stock_id).values(allocated=12))

    problems = rejected(uow, K.STOCK, "sku,location,on_hand\nWIDGET,DC1,11\n")

    assert problems == [
        (
            2,
            "column on_hand: 11 is below the 12 already allocated to orders at DC1:"
            " ship, cancel or move those allocations first",
        )
    ]
    assert stock_level(engine, stock_id) == (40, 12)
    assert count(engine, events) == 0
    assert run(uow, K.STOCK, "sku,location,on_hand\nWIDGET,DC1,12\n").updated == 1


def test_stock_of_an_unknown_sku_or_location_imports_no_row_at_all(uow: UnitOfWork, engine: Engine) -> None:
    add_product(engine, "WIDGET")
    add_location(engine, "DC1")

    problems = rejected(
        uow,
        K.STOCK,
        "sku,location,on_hand\nWIDGET,DC1,5\nNOPE,DC1,5\nWIDGET,DC9,5\nWIDGET,DC1,2.5\nWIDGET,DC1,6\n",
    )

    assert problems == [
        (3, "column sku: unknown SKU NOPE"),
        (4, "column location: unknown location DC9"),
        (5, "column on_hand: '2.5' is not a whole number"),
        (6, "stock of WIDGET at DC1 is already on line 2"),
    ]
    assert (count(engine, stock), count(engine, events)) == (0, 0)


def test_missing_and_unknown_columns_are_one_problem_on_the_header_line(uow: UnitOfWork) -> None:
    problems = rejected(uow, K.LOCATIONS, "code,name,zone\nDC1,Newark,east\n")

    expected = "code,name,region,processing_days,pick_pack_days"
    assert problems == [(1, f"missing column(s): region; unknown column(s): zone (expected {expected})")]


def test_an_empty_file_is_rejected(uow: UnitOfWork) -> None:
    assert rejected(uow, K.CARRIERS, "") == [
        (1, "the file is empty: expected a header row (code,name,service)")
    ]


def test_a_file_that_is_not_utf8_is_rejected_as_one_problem(uow: UnitOfWork, tmp_path: Path) -> None:
    path = tmp_path / "locations.csv"
    path.write_bytes("code,name,region\nDC1,Köln,west\n".encode("latin-1"))

    with pytest.raises(ImportRejected) as caught:
        import_csv(uow, K.LOCATIONS, path)

    assert [p.line for p in caught.value.problems] == [2]
    assert "not a UTF-8 text file" in caught.value.problems[0].reason
    assert str(path) in str(caught.value)


def test_a_broken_quote_is_rejected_as_one_problem(uow: UnitOfWork, engine: Engine) -> None:
    problems = rejected(uow, K.LOCATIONS, 'code,name,region\nDC1,"Newark,east\nDC2,Reno,west\n')

    assert len(problems) == 1
    assert problems[0][1].startswith("not a valid CSV file")
    assert count(engine, locations) == 0


def test_an_excel_file_with_a_byte_order_mark_blank_lines_and_padded_values_imports(
    uow: UnitOfWork, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "locations.csv"
    path.write_bytes(" Code , Name ,Region\r\n DC1 , Köln DC ,west\r\n,,\r\n\r\n".encode("utf-8-sig"))

    report = import_csv(uow, K.LOCATIONS, path)

    assert report.created == 1
    assert [(r["code"], r["name"]) for r in rows(engine, locations, "code")] == [("DC1", "Köln DC")]


def test_the_sample_data_loads_in_load_order_and_sets_the_demo_up(uow: UnitOfWork, engine: Engine) -> None:
    reports = load_sample_data(uow)

    assert [r.kind for r in reports] == list(LOAD_ORDER)
    assert all(r.created > 0 and r.updated == 0 for r in reports)
    policies = {r["backorder_policy"] for r in rows(engine, customers, "code")}
    assert policies == {"allow_partial", "ship_complete", "cancel_remainder"}
    limits = [r["credit_limit"] for r in rows(engine, customers, "code") if r["credit_limit"] is not None]
    assert min(limits) <= Decimal(1000)
    with engine.connect() as conn:
        available = (
            conn.execute(select(func.sum(stock.c.on_hand - stock.c.allocated)).group_by(stock.c.product_id))
            .scalars()
            .all()
        )
    assert 0 < min(a for a in available if a > 0) <= 5  # a scarce SKU for the backorder scenes
    assert [r.updated for r in load_sample_data(uow)] == [r.created for r in reports]
