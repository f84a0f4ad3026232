"""Quotes: priced with a validity date, converted once, at the quoted prices."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, update

from o2c.domain.clock import ManualClock
from o2c.domain.errors import IllegalTransition, NotFound
from o2c.services.ordering import OrderLineRequest
from o2c.services.quoting import QuoteRequest, convert_quote, create_quote, get_quote
from o2c.store.master_tables import products
from o2c.store.uow import UnitOfWork
from tests.factories import add_customer, add_location, add_product, add_stock, set_rates, stock_level


@pytest.fixture
def stock_id(engine: Engine) -> int:
    add_customer(engine, "ACME")
    set_rates(engine, discount="0.05", tax="0.10")
    return add_stock(engine, add_product(engine, "BOLT", price="2.50"), add_location(engine), 50)


def basket(qty: int = 8, valid_days: int = 7) -> QuoteRequest:
    return QuoteRequest(
        customer="ACME", lines=[OrderLineRequest(sku="BOLT", quantity=qty)], valid_days=valid_days
    )


def test_a_quote_is_priced_and_reserves_nothing(uow: UnitOfWork, engine: Engine, stock_id: int) -> None:
    quote = create_quote(uow, basket())
    # 8 x 2.50 = 20.00; 5 % discount = 1.00 → net 19.00; 10 % tax = 1.90
    assert (quote.subtotal, quote.tax_total, quote.total) == (
        Decimal("19.00"),
        Decimal("1.90"),
        Decimal("20.90"),
    )
    assert quote.status == "open"
    assert stock_level(engine, stock_id) == (50, 0)


def test_an_order_from_a_quote_keeps_the_quoted_price_after_a_price_rise(
    uow: UnitOfWork, engine: Engine, stock_id: int
) -> None:
    quote = create_quote(uow, basket())
    with engine.begin() as conn:
        conn.execute(update(products).values(list_price=Decimal("3.00")))
    order = convert_quote(uow, quote.number)
    assert order.subtotal == Decimal("19.00")
    assert order.lines[0].allocated_at_entry == 8
    assert stock_level(engine, stock_id) == (50, 8)
    assert get_quote(uow, quote.number).status == "converted"
    with pytest.raises(IllegalTransition):
        convert_quote(uow, quote.number)


def test_an_expired_quote_cannot_become_an_order(uow: UnitOfWork, clock: ManualClock, stock_id: int) -> None:
    quote = create_quote(uow, basket(valid_days=7))
    clock.advance(timedelta(days=7, seconds=1))
    with pytest.raises(IllegalTransition, match="expired"):
        convert_quote(uow, quote.number)
    with pytest.raises(NotFound):
        convert_quote(uow, "QT-404")
