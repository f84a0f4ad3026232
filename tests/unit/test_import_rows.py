"""Reading CSV rows into typed master-data rows, without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.domain.errors import RowProblem
from o2c.services.import_rows import FORMATS, CustomerRow, ImportKind, ProductRow
from o2c.services.importing import read_rows

CUSTOMER_HEADER = "code,name,segment,channel,backorder_policy"


def customers(text: str) -> tuple[list[CustomerRow], list[RowProblem]]:
    return read_rows(text, FORMATS[ImportKind.CUSTOMERS])


@pytest.mark.parametrize(
    ("text", "expected"), [("true", True), ("YES", True), ("1", True), ("No", False), ("0", False)]
)
def test_booleans_accept_true_false_yes_no_one_and_zero(text: str, expected: bool) -> None:
    rows, problems = customers(f"{CUSTOMER_HEADER},active\nC1,C,retail,web,allow_partial,{text}\n")

    assert problems == []
    assert rows[0].values["active"] is expected


def test_a_channel_or_backorder_policy_outside_the_allowed_values_is_named_with_the_allowed_ones() -> None:
    _, problems = customers(f"{CUSTOMER_HEADER}\nC1,C,retail,fax,ship_partial\n")

    assert problems == [
        RowProblem(
            2,
            "column channel: 'fax' is not one of web, edi, phone, sales_rep, marketplace; "
            "column backorder_policy: 'ship_partial' is not one of allow_partial, ship_complete, "
            "cancel_remainder",
        )
    ]


def test_an_empty_credit_limit_means_no_limit_but_an_absent_column_leaves_it_alone() -> None:
    with_column, _ = customers(f"{CUSTOMER_HEADER},credit_limit\nC1,C,retail,web,allow_partial,\n")
    without_column, _ = customers(f"{CUSTOMER_HEADER}\nC1,C,retail,web,allow_partial\n")

    assert with_column[0].values["credit_limit"] is None
    assert "credit_limit" not in without_column[0].values


def test_a_tier_outside_one_to_nine_and_a_fractional_term_are_refused() -> None:
    _, problems = customers(
        f"{CUSTOMER_HEADER},tier,payment_terms_days\nC1,C,retail,web,allow_partial,0,30.5\n"
    )

    assert problems == [
        RowProblem(
            2,
            "column tier: '0' is not between 1 and 9; "
            "column payment_terms_days: '30.5' is not a whole number",
        )
    ]


def test_a_ship_to_address_without_its_code_is_refused() -> None:
    _, problems = customers(f"{CUSTOMER_HEADER},ship_to_region\nC1,C,retail,web,allow_partial,east\n")

    assert problems == [
        RowProblem(
            2, "column ship_to_code: no value, but it is required when the row gives a ship-to address"
        )
    ]


def test_a_ship_to_takes_the_customers_name_when_it_has_none() -> None:
    rows, _ = customers(
        f"{CUSTOMER_HEADER},ship_to_code,ship_to_region\nC1,Acme,retail,web,allow_partial,MAIN,east\n"
    )

    assert rows[0].ship_to is not None
    assert rows[0].ship_to.values == {"name": "Acme", "region": "east"}


def test_products_convert_kilograms_and_litres_and_rank_alternates_as_listed() -> None:
    rows, problems = read_rows(
        "sku,name,list_price,standard_cost,weight_kg,volume_l,alternates\n"
        "P1,Pump,10.5,3.1234,1.25,0.5, P3 | P2 |\n",
        FORMATS[ImportKind.PRODUCTS],
    )

    assert problems == []
    product: ProductRow = rows[0]
    assert product.values == {
        "name": "Pump",
        "list_price": Decimal("10.5"),
        "standard_cost": Decimal("3.1234"),
        "weight_g": 1250,
        "volume_cm3": 500,
    }
    assert product.alternates == ("P3", "P2")


def test_a_product_cannot_be_its_own_alternate_nor_list_one_twice() -> None:
    _, problems = read_rows(
        "sku,name,list_price,standard_cost,alternates\nP1,Pump,1,1,P1|P2|P2\n", FORMATS[ImportKind.PRODUCTS]
    )

    assert problems == [
        RowProblem(
            2,
            "column alternates: product P1 cannot be its own alternate; "
            "column alternates: alternate(s) listed twice: P2",
        )
    ]


def test_a_cost_with_more_than_four_decimals_and_a_weight_with_more_than_three_are_refused() -> None:
    _, problems = read_rows(
        "sku,name,list_price,standard_cost,weight_kg\nP1,Pump,1,1.00001,0.0001\n",
        FORMATS[ImportKind.PRODUCTS],
    )

    assert problems == [
        RowProblem(
            2,
            "column standard_cost: '1.00001' has more than 4 decimal places;"
            " column weight_kg: '0.0001' has more than 3 decimal places",
        )
    ]


def test_a_discount_above_one_is_refused_but_exactly_one_is_allowed() -> None:
    rows, problems = read_rows(
        "segment,discount_rate\nfree,1\nodd,1.5\n", FORMATS[ImportKind.SEGMENT_DISCOUNTS]
    )

    assert [r.key for r in rows] == ["free"]
    assert [p.line for p in problems] == [3]


def test_a_semicolon_separated_file_is_told_to_use_commas() -> None:
    _, problems = read_rows("code;name;region\nDC1;Newark;east\n", FORMATS[ImportKind.LOCATIONS])

    assert len(problems) == 1
    assert problems[0].line == 1
    assert "separated by commas, not semicolons" in problems[0].reason


def test_a_quoted_value_spanning_lines_keeps_the_line_numbers_of_the_file() -> None:
    rows, problems = read_rows(
        'code,name,region\nDC1,"Newark\ndistribution centre",east\nDC2,,west\n', FORMATS[ImportKind.LOCATIONS]
    )

    assert rows[0].values["name"] == "Newark\ndistribution centre"
    assert problems == [RowProblem(4, "column name: no value, but it is required")]
