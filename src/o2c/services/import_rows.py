"""One CSV row of master data → a typed row: the kinds of import file, their columns and their rows.

Each kind of file has a :class:`RowFormat` (its required and optional columns, and the parser of a row)
in :data:`FORMATS`; a parser reads its row's cells through :class:`~o2c.services.import_fields.Fields`,
which notes every fault of the row. Only rows without faults reach the reference checks and the
database (see :mod:`o2c.services.importing`).

An optional column that is absent from the header, or empty in a row, is *not given*: a new row takes
the table's default and an existing row keeps its value. ``credit_limit`` and ``price_list`` of a
customer are the exception: when their column is present, empty means "no limit" / "no price list".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from o2c.domain.money import COST_SCALE, MONEY_SCALE, RATE_SCALE
from o2c.domain.order import BackorderPolicy, Channel
from o2c.services.import_fields import ONE, Fields

R = TypeVar("R")

# Column lengths, as declared in store/master_tables.py (the event log's entity id in store/tables.py).
CODE, NAME, SKU, ADDRESS = 40, 200, 60, 400
EVENT_ENTITY_ID = 60
MAX_DAYS = 3650
MAX_KG_OR_LITRES = Decimal(2_000_000)  # stored in thousandths in a 32-bit column


class ImportKind(StrEnum):
    LOCATIONS = "locations"
    LANES = "lanes"
    CARRIERS = "carriers"
    SUPPLIERS = "suppliers"
    TAX_RATES = "tax-rates"
    SEGMENT_DISCOUNTS = "segment-discounts"
    PRICE_LISTS = "price-lists"
    CUSTOMERS = "customers"
    PRODUCTS = "products"
    STOCK = "stock"


def _given(values: Mapping[str, object | None]) -> dict[str, object]:
    """Only the values the row gives: a missing one keeps the stored value (or the table default)."""
    return {column: value for column, value in values.items() if value is not None}


def _thousandths(value: Decimal | None) -> int | None:
    """Kilograms → grams, litres → cubic centimetres (exact: at most three decimals were accepted)."""
    return None if value is None else int(value * 1000)


# --- typed rows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MasterRow:
    """A row of a table keyed by one natural key: the key and the columns the row sets."""

    line: int
    key: str
    values: dict[str, object]


@dataclass(frozen=True)
class PriceRow:
    line: int
    price_list: str
    sku: str
    unit_price: Decimal


@dataclass(frozen=True)
class ShipToRow:
    code: str
    values: dict[str, object]


@dataclass(frozen=True)
class CustomerRow:
    line: int
    code: str
    values: dict[str, object]
    price_list: str | None
    sets_price_list: bool
    ship_to: ShipToRow | None

    def terms(self) -> dict[str, object]:
        """What every row of this customer must agree on (the ship-to may differ)."""
        return {**self.values, "price_list": self.price_list if self.sets_price_list else None}


@dataclass(frozen=True)
class ProductRow:
    line: int
    sku: str
    values: dict[str, object]
    alternates: tuple[str, ...] | None  # None: the file says nothing about alternates


@dataclass(frozen=True)
class StockRow:
    line: int
    sku: str
    location: str
    on_hand: int


@dataclass(frozen=True)
class RowFormat(Generic[R]):
    """The columns a kind of file has and how one of its rows is read."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    parse: Callable[[Fields], R]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


# --- parsers, one per kind ---------------------------------------------------------------------


def parse_location(f: Fields) -> MasterRow:
    """A location; ``processing_days`` and ``pick_pack_days`` (lead times of a promise) when given."""
    code = f.text("code", CODE)
    lead_times = {
        name: f.optional_integer(name, 0, MAX_DAYS) for name in ("processing_days", "pick_pack_days")
    }
    values = {"name": f.text("name", NAME), "region": f.text("region", CODE), **_given(lead_times)}
    return MasterRow(f.line, code, values)


def parse_lane(f: Fields) -> MasterRow:
    """A lane, keyed ``origin>destination:service``; its values are the whole row (default service ground)."""
    values = {
        "origin_region": f.text("origin_region", CODE),
        "destination_region": f.text("destination_region", CODE),
        "service": f.optional_text("service", CODE) or "ground",
        "transit_days": f.integer("transit_days", 0, MAX_DAYS),
    }
    return MasterRow(f.line, "{origin_region}>{destination_region}:{service}".format_map(values), values)


def parse_carrier(f: Fields) -> MasterRow:
    code = f.text("code", CODE)
    values = {"name": f.text("name", NAME), **_given({"service": f.optional_text("service", CODE)})}
    return MasterRow(f.line, code, values)


def parse_supplier(f: Fields) -> MasterRow:
    code = f.text("code", CODE)
    lead_time = f.optional_integer("lead_time_days", 0, MAX_DAYS)
    return MasterRow(f.line, code, {"name": f.text("name", NAME), **_given({"lead_time_days": lead_time})})


def parse_tax_rate(f: Fields) -> MasterRow:
    region = f.text("region", CODE)
    return MasterRow(f.line, region, {"rate": f.decimal("rate", scale=RATE_SCALE, maximum=ONE)})


def parse_segment_discount(f: Fields) -> MasterRow:
    segment = f.text("segment", CODE)
    rate = f.decimal("discount_rate", scale=RATE_SCALE, maximum=ONE)
    return MasterRow(f.line, segment, {"discount_rate": rate})


def parse_price(f: Fields) -> PriceRow:
    price_list, sku = f.text("price_list_code", CODE), f.text("sku", SKU)
    return PriceRow(f.line, price_list, sku, f.decimal("unit_price", scale=MONEY_SCALE))


def parse_customer(f: Fields) -> CustomerRow:
    code, name = f.text("code", CODE), f.text("name", NAME)
    values: dict[str, object] = {
        "name": name,
        "segment": f.text("segment", CODE),
        "channel": str(f.choice("channel", Channel)),
        "backorder_policy": str(f.choice("backorder_policy", BackorderPolicy)),
        **_given(
            {
                "tier": f.optional_integer("tier", 1, 9),
                "payment_terms_days": f.optional_integer("payment_terms_days", 0, MAX_DAYS),
                "allow_substitution": f.optional_boolean("allow_substitution"),
                "active": f.optional_boolean("active"),
            }
        ),
    }
    if f.has("credit_limit"):
        values["credit_limit"] = f.optional_decimal("credit_limit", scale=MONEY_SCALE)
    price_list = f.optional_text("price_list", CODE)
    return CustomerRow(f.line, code, values, price_list, f.has("price_list"), _ship_to(f, name))


def _ship_to(f: Fields, customer_name: str) -> ShipToRow | None:
    """The row's ship-to address; its name defaults to the customer's name."""
    code = f.optional_text("ship_to_code", CODE)
    if code is None:
        if any(f.raw(c) for c in ("ship_to_name", "ship_to_address", "ship_to_region")):
            f.note("no value, but it is required when the row gives a ship-to address", "ship_to_code")
        return None
    values = {
        "name": f.optional_text("ship_to_name", NAME) or customer_name,
        "region": f.text("ship_to_region", CODE),
        **_given({"address": f.optional_text("ship_to_address", ADDRESS)}),
    }
    return ShipToRow(code, values)


def parse_product(f: Fields) -> ProductRow:
    sku = f.text("sku", SKU)
    values: dict[str, object] = {
        "name": f.text("name", NAME),
        "list_price": f.decimal("list_price", scale=MONEY_SCALE),
        "standard_cost": f.decimal("standard_cost", scale=COST_SCALE),
        **_given(
            {
                "weight_g": _thousandths(f.optional_decimal("weight_kg", scale=3, maximum=MAX_KG_OR_LITRES)),
                "volume_cm3": _thousandths(f.optional_decimal("volume_l", scale=3, maximum=MAX_KG_OR_LITRES)),
                "active": f.optional_boolean("active"),
            }
        ),
    }
    alternates = _alternates(f, sku) if f.has("alternates") else None
    return ProductRow(f.line, sku, values, alternates)


def _alternates(f: Fields, sku: str) -> tuple[str, ...]:
    """SKUs separated by ``|``, best substitute first; an empty cell means the product has none."""
    ranked = tuple(part.strip() for part in f.raw("alternates").split("|") if part.strip())
    if sku in ranked:
        f.note(f"product {sku} cannot be its own alternate", "alternates")
    repeated = sorted({a for a in ranked if ranked.count(a) > 1})
    if repeated:
        f.note(f"alternate(s) listed twice: {', '.join(repeated)}", "alternates")
    too_long = [a for a in ranked if len(a) > SKU]
    if too_long:
        f.note(f"alternate SKU longer than {SKU} characters: {too_long[0][:20]}…", "alternates")
    return ranked


def parse_stock(f: Fields) -> StockRow:
    sku, location = f.text("sku", SKU), f.text("location", CODE)
    if len(sku) + len(location) + 1 > EVENT_ENTITY_ID:
        f.note(f"sku and location together are longer than the event log keeps ({EVENT_ENTITY_ID - 1})")
    return StockRow(f.line, sku, location, f.integer("on_hand"))


_CUSTOMER_TERMS = ("tier", "credit_limit", "payment_terms_days", "allow_substitution", "price_list", "active")
_SHIP_TO = ("ship_to_code", "ship_to_name", "ship_to_address", "ship_to_region")

FORMATS: dict[ImportKind, RowFormat[Any]] = {
    ImportKind.LOCATIONS: RowFormat(
        ("code", "name", "region"), ("processing_days", "pick_pack_days"), parse_location
    ),
    ImportKind.LANES: RowFormat(
        ("origin_region", "destination_region", "transit_days"), ("service",), parse_lane
    ),
    ImportKind.CARRIERS: RowFormat(("code", "name"), ("service",), parse_carrier),
    ImportKind.SUPPLIERS: RowFormat(("code", "name"), ("lead_time_days",), parse_supplier),
    ImportKind.TAX_RATES: RowFormat(("region", "rate"), (), parse_tax_rate),
    ImportKind.SEGMENT_DISCOUNTS: RowFormat(("segment", "discount_rate"), (), parse_segment_discount),
    ImportKind.PRICE_LISTS: RowFormat(("price_list_code", "sku", "unit_price"), (), parse_price),
    ImportKind.CUSTOMERS: RowFormat(
        ("code", "name", "segment", "channel", "backorder_policy"),
        (*_CUSTOMER_TERMS, *_SHIP_TO),
        parse_customer,
    ),
    ImportKind.PRODUCTS: RowFormat(
        ("sku", "name", "list_price", "standard_cost"),
        ("weight_kg", "volume_l", "active", "alternates"),
        parse_product,
    ),
    ImportKind.STOCK: RowFormat(("sku", "location", "on_hand"), (), parse_stock),
}
