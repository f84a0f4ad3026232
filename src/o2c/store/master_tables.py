"""Tables of master data: who o2c sells to, what, from where, and at what price.

Customers and their ship-to addresses, price lists and their items, segment discounts and tax rates;
products and their ranked alternates; locations and the stock each holds of each product; suppliers
and carriers. Imports write them (:mod:`o2c.store.master_writes`), except the counts of ``stock``,
which every order and receipt moves (:mod:`o2c.store.stock`): the database itself holds
``0 <= allocated <= on_hand``. The documents that refer to these rows are in :mod:`o2c.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, UniqueConstraint

from o2c.domain.money import COST_SCALE, MONEY_SCALE, RATE_SCALE
from o2c.store.columns import id_column as _id
from o2c.store.columns import metadata
from o2c.store.columns import money_column as _money
from o2c.store.columns import non_negative as _nonneg
from o2c.store.columns import quantity_column as _qty
from o2c.store.types import Minor

price_lists = Table(
    "price_lists",
    metadata,
    _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False, server_default="USD"),
)

customers = Table(
    "customers",
    metadata,
    _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("segment", String(40), nullable=False),
    Column("tier", Integer, nullable=False, server_default="3"),
    Column("channel", String(20), nullable=False),
    Column("credit_limit", Minor(MONEY_SCALE), nullable=True),
    Column("payment_terms_days", Integer, nullable=False, server_default="30"),
    Column("backorder_policy", String(20), nullable=False),
    Column("allow_substitution", Boolean, nullable=False, server_default="0"),
    Column("price_list_id", ForeignKey("price_lists.id"), nullable=True),
    Column("active", Boolean, nullable=False, server_default="1"),
    CheckConstraint("tier BETWEEN 1 AND 9", name="tier_range"),
    CheckConstraint(
        "backorder_policy IN ('allow_partial', 'ship_complete', 'cancel_remainder')", name="backorder_policy"
    ),
    *_nonneg("payment_terms_days", "credit_limit"),
)

ship_tos = Table(
    "ship_tos",
    metadata,
    _id(),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("address", String(400), nullable=False, server_default=""),
    Column("region", String(40), nullable=False),
    UniqueConstraint("customer_id", "code"),
)

products = Table(
    "products",
    metadata,
    _id(),
    Column("sku", String(60), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("list_price", Minor(MONEY_SCALE), nullable=False),
    Column("standard_cost", Minor(COST_SCALE), nullable=False),
    Column("weight_g", Integer, nullable=False, server_default="0"),
    Column("volume_cm3", Integer, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default="1"),
    *_nonneg("list_price", "standard_cost", "weight_g", "volume_cm3"),
)

product_alternates = Table(
    "product_alternates",
    metadata,
    Column("product_id", ForeignKey("products.id"), primary_key=True),
    Column("alternate_id", ForeignKey("products.id"), primary_key=True),
    Column("rank", Integer, nullable=False, server_default="1"),
    CheckConstraint("product_id <> alternate_id", name="not_self"),
)

locations = Table(
    "locations",
    metadata,
    _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("region", String(40), nullable=False),
    # Lead times of the promise: days to process an order, then to pick and pack it, before transit.
    Column("processing_days", Integer, nullable=False, server_default="1"),
    Column("pick_pack_days", Integer, nullable=False, server_default="1"),
    *_nonneg("processing_days", "pick_pack_days"),
)

suppliers = Table(
    "suppliers",
    metadata,
    _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("lead_time_days", Integer, nullable=False, server_default="14"),
    *_nonneg("lead_time_days"),
)

carriers = Table(
    "carriers",
    metadata,
    _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("service", String(40), nullable=False, server_default="ground"),
)

price_list_items = Table(
    "price_list_items",
    metadata,
    Column("price_list_id", ForeignKey("price_lists.id"), primary_key=True),
    Column("product_id", ForeignKey("products.id"), primary_key=True),
    _money("unit_price"),
    *_nonneg("unit_price"),
)

segment_discounts = Table(
    "segment_discounts",
    metadata,
    Column("segment", String(40), primary_key=True),
    Column("discount_rate", Minor(RATE_SCALE), nullable=False),
    CheckConstraint("discount_rate BETWEEN 0 AND 1000000", name="discount_range"),
)

tax_rates = Table(
    "tax_rates",
    metadata,
    Column("region", String(40), primary_key=True),
    Column("rate", Minor(RATE_SCALE), nullable=False),
    *_nonneg("rate"),
)

stock = Table(
    "stock",
    metadata,
    _id(),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    _qty("on_hand"),
    _qty("allocated"),
    UniqueConstraint("product_id", "location_id"),
    CheckConstraint("on_hand >= 0", name="on_hand_nonneg"),
    CheckConstraint("allocated >= 0", name="allocated_nonneg"),
    CheckConstraint("allocated <= on_hand", name="allocated_le_on_hand"),
)
