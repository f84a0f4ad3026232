"""Report filters name things in the database, or the report refuses: one lookup for every kind."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from o2c.analytics.names import NameKind, require_known
from o2c.domain.errors import NotFound
from tests.factories import add_carrier, add_customer, add_location, add_product, add_supplier


@pytest.fixture
def named(engine: Engine) -> Engine:
    add_customer(engine, "C1", segment="retail")
    add_customer(engine, "C2", segment="wholesale")
    add_product(engine, "P1")
    add_carrier(engine, "UPS")
    add_supplier(engine, "S1")
    add_location(engine, "DC1")
    return engine


@pytest.mark.parametrize(
    ("kind", "known"),
    [
        (NameKind.SEGMENT, "retail"),
        (NameKind.SKU, "P1"),
        (NameKind.CUSTOMER, "C2"),
        (NameKind.CARRIER, "UPS"),
        (NameKind.SUPPLIER, "S1"),
        (NameKind.LOCATION, "DC1"),
    ],
)
def test_a_known_name_passes_and_an_unknown_one_is_named(named: Engine, kind: NameKind, known: str) -> None:
    with named.connect() as conn:
        require_known(conn, kind, known)
        require_known(conn, kind, [known, known])
        require_known(conn, kind, None)  # no filter
        with pytest.raises(NotFound, match=f"no {kind} 'NOPE' in the database"):
            require_known(conn, kind, [known, "NOPE"])


def test_the_known_names_of_a_small_kind_are_listed(named: Engine) -> None:
    with named.connect() as conn, pytest.raises(NotFound) as raised:
        require_known(conn, NameKind.SEGMENT, ["retial", "whole"])
    assert str(raised.value) == "no segment 'retial', 'whole' in the database (segments: retail, wholesale)"
