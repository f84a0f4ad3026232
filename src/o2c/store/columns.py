"""The shared ``MetaData`` and the column shapes every table uses (ids, money, quantities)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKeyConstraint, Index, Integer, MetaData

from o2c.domain.money import MONEY_SCALE
from o2c.store.types import Minor

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite aliases only INTEGER PRIMARY KEY to rowid


def id_column() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


def money_column(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, Minor(MONEY_SCALE), nullable=nullable)


def quantity_column(name: str) -> Column[int]:
    return Column(name, Integer, nullable=False, server_default="0")


def non_negative(*names: str) -> list[CheckConstraint]:
    return [CheckConstraint(f"{n} >= 0", name=f"{n}_nonneg") for n in names]


Conditional = TypeVar("Conditional", Index, ForeignKeyConstraint)


def only_on(dialect: str, item: Conditional) -> Conditional:
    """``item`` (an index, a foreign key), built on databases of ``dialect`` only (``ddl_if``), and
    marked so that Alembic's comparison, which does not know of ``ddl_if``, leaves it out elsewhere
    (:func:`declared_on`)."""
    item.info["only_on"] = dialect
    return item.ddl_if(dialect=dialect)


def declared_on(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for a database of ``dialect``: every object but the indexes and
    foreign keys declared :func:`only_on` another database."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ not in ("index", "foreign_key_constraint"):
            return True
        return bool(obj.info.get("only_on", dialect) == dialect)

    return include
