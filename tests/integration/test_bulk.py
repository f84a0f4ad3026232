"""The bulk generator writes facts that obey the schema's rules and that the services carry on from."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, text

from o2c.domain.clock import ManualClock
from o2c.domain.errors import ValidationFailed
from o2c.services.ordering import OrderLineRequest, PlaceOrderRequest, place_order
from o2c.sim.bulk import generate
from o2c.store.database import create_db_engine
from o2c.store.freight_tables import carrier_freight_bills
from o2c.store.master_tables import customers, products, stock
from o2c.store.migrate import schema_drift
from o2c.store.supply_tables import purchase_order_lines, shortfall_outcomes, stockout_episodes
from o2c.store.tables import invoices, order_lines, orders, payments, shipments
from o2c.store.uow import UnitOfWork
from tests.integration.test_simulation import digest

ORDERS = 3000


@pytest.fixture
def bulk(engine: Engine) -> Engine:
    result = generate(engine, orders=ORDERS, seed=2)
    assert result.rows["orders"] == ORDERS
    return engine


def scalar(engine: Engine, query: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one() or 0)  # type: ignore[call-overload]


def test_orders_have_about_five_lines_across_segments_and_channels(bulk: Engine) -> None:
    lines = scalar(bulk, select(func.count()).select_from(order_lines))
    assert 4 * ORDERS < lines < 6 * ORDERS
    segments = select(func.count(func.distinct(customers.c.segment))).join(
        orders, orders.c.customer_id == customers.c.id
    )
    assert scalar(bulk, segments) == 3
    assert scalar(bulk, select(func.count(func.distinct(orders.c.channel)))) == 5


def test_the_indexes_dropped_for_the_load_are_built_again(bulk: Engine) -> None:
    with bulk.connect() as conn:
        assert schema_drift(conn) == []
    built = {ix["name"] for ix in inspect(bulk).get_indexes("order_lines")}
    assert "ix_order_lines_open_demand" in built
    assert ("ix_order_lines_outcomes" in built) == (bulk.dialect.name == "sqlite")  # SQLite's only


def test_stock_reserves_exactly_what_open_lines_hold(bulk: Engine) -> None:
    held = (
        select(
            order_lines.c.product_id,
            order_lines.c.location_id,
            func.sum(order_lines.c.qty_allocated).label("q"),
        )
        .group_by(order_lines.c.product_id, order_lines.c.location_id)
        .subquery()
    )
    mismatched = (
        select(func.count())
        .select_from(stock)
        .outerjoin(
            held, (held.c.product_id == stock.c.product_id) & (held.c.location_id == stock.c.location_id)
        )
        .where(stock.c.allocated != func.coalesce(held.c.q, 0))
    )
    assert scalar(bulk, mismatched) == 0
    assert scalar(bulk, select(func.count()).where(stock.c.allocated > stock.c.on_hand)) == 0


def test_stage_timestamps_are_in_order(bulk: Engine) -> None:
    stages = [
        "customer_sent_at",
        "received_at",
        "released_at",
        "picked_at",
        "packed_at",
        "shipped_at",
        "delivered_at",
    ]
    with bulk.connect() as conn:
        rows = conn.execute(select(*(orders.c[s] for s in stages))).all()
    for row in rows:
        present = [t for t in row if t is not None]
        assert present == sorted(present)


def test_money_adds_up(bulk: Engine) -> None:
    over_paid = select(func.count()).where(
        invoices.c.amount_paid > invoices.c.subtotal + invoices.c.tax_total
    )
    assert scalar(bulk, over_paid) == 0
    paid = scalar(bulk, select(func.sum(payments.c.amount)))
    assert paid == scalar(bulk, select(func.sum(invoices.c.amount_paid))) > 0
    assert scalar(bulk, select(func.count()).where(shipments.c.freight_cost <= 0)) == 0
    assert scalar(bulk, select(func.count()).where(shipments.c.weight_g <= 0)) == 0


def test_every_metric_has_facts(bulk: Engine) -> None:
    with bulk.connect() as conn:
        outcomes = set(conn.execute(select(shortfall_outcomes.c.outcome).distinct()).scalars())
        statuses = set(conn.execute(select(orders.c.status).distinct()).scalars())
    assert {"backordered", "lost", "allocated", "cancelled"} <= outcomes
    assert {"closed", "cancelled"} <= statuses
    assert scalar(bulk, select(func.count()).where(order_lines.c.qty_damaged > 0)) > 0
    assert scalar(bulk, select(func.count()).where(purchase_order_lines.c.qty_rejected > 0)) > 0
    assert scalar(bulk, select(func.count()).where(stockout_episodes.c.ended_at.is_not(None))) > 0
    assert scalar(bulk, select(func.count()).where(orders.c.promised_date.is_not(None))) > 0


def test_delivered_shipments_are_billed_and_some_disputes_settled(bulk: Engine) -> None:
    b, s = carrier_freight_bills.c, shipments.c
    billed = shipments.join(carrier_freight_bills, b.shipment_id == s.id)
    assert scalar(bulk, select(func.count()).select_from(carrier_freight_bills)) > 0
    # Bills only for delivered shipments, after delivery, at the rated freight or 3-15 % above it.
    assert scalar(bulk, select(func.count()).select_from(billed).where(s.delivered_at.is_(None))) == 0
    assert scalar(bulk, select(func.count()).select_from(billed).where(b.billed_at <= s.delivered_at)) == 0
    assert (
        scalar(
            bulk,
            select(func.count()).where(
                b.expected_amount != select(s.freight_cost).where(s.id == b.shipment_id).scalar_subquery()
            ),
        )
        == 0
    )
    wrong = select(func.count()).where(b.invoiced_amount != b.expected_amount)
    assert scalar(bulk, wrong.where(b.invoiced_amount * 100 < b.expected_amount * 102)) == 0
    assert scalar(bulk, wrong) > 0
    assert scalar(bulk, select(func.count()).where(b.disputed, b.invoiced_amount == b.expected_amount)) == 0
    upheld = select(func.count()).where(b.settlement == "upheld", b.settled_amount == b.expected_amount)
    withdrawn = select(func.count()).where(b.settlement == "withdrawn", b.settled_amount == b.invoiced_amount)
    assert scalar(bulk, upheld) > 0 and scalar(bulk, withdrawn) > 0
    assert scalar(bulk, select(func.count()).where(b.settled_at <= b.billed_at)) == 0


def test_references_hold_on_sqlite(bulk: Engine) -> None:
    if bulk.dialect.name != "sqlite":
        pytest.skip("PostgreSQL checks foreign keys on every row")
    with bulk.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []


def test_services_carry_on_numbering_after_the_bulk_load(bulk: Engine) -> None:
    with bulk.connect() as conn:
        customer = conn.execute(select(customers.c.code).order_by(customers.c.id)).scalars().first()
        sku = conn.execute(select(products.c.sku).order_by(products.c.id)).scalars().first()
    clock = ManualClock(datetime(2026, 1, 6, 9, tzinfo=UTC))
    request = PlaceOrderRequest(customer=str(customer), lines=[OrderLineRequest(sku=str(sku), quantity=1)])
    placed = place_order(UnitOfWork(bulk, clock), request)
    assert placed.number == f"SO-{ORDERS + 1:08d}"


def test_the_same_seed_gives_the_same_facts(sqlite_template: Path, tmp_path: Path) -> None:
    found = []
    for n in range(2):
        shutil.copy(sqlite_template, tmp_path / f"{n}.db")
        engine = create_db_engine(f"sqlite:///{tmp_path / f'{n}.db'}")
        generate(engine, orders=500, seed=9)
        found.append(digest(engine))
        engine.dispose()
    assert found[0] == found[1]


def test_a_database_with_data_is_refused(bulk: Engine) -> None:
    with pytest.raises(ValidationFailed, match="fresh database"):
        generate(bulk, orders=10, seed=2)
