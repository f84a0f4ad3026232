"""Schema pieces every resource shares: bounded dates and instants, codes, pages, event records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from o2c.domain.errors import ValidationFailed

# Dates and instants a business can mean: far-off values would overflow date arithmetic downstream.
EARLIEST, LATEST = date(2000, 1, 1), date(2199, 12, 31)


def _sane_day(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


def _sane_instant(value: datetime) -> datetime:
    """The instant in UTC, which is where the bounds apply (``2199-12-31T23:59-14:00`` is in 2200)."""
    bounds = f"must be between {EARLIEST.year} and {LATEST.year} (in UTC)"
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-14:00 has no UTC instant at all
        raise ValueError(bounds) from None
    if not EARLIEST.year <= utc.year <= LATEST.year:
        raise ValueError(bounds)
    return utc


Day = Annotated[date, AfterValidator(_sane_day)]
Instant = Annotated[AwareDatetime, AfterValidator(_sane_instant)]
Code = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[^\x00-\x1f]+$")]
Quantity = Annotated[int, Field(strict=True, gt=0, le=1_000_000)]

T = TypeVar("T")
V = TypeVar("V")

_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "The document's version tag: send it back as `If-Match` on its actions.",
        "schema": {"type": "string", "examples": ['"3"']},
    },
    "Location": {
        "description": "Where the created document can be read.",
        "schema": {"type": "string", "examples": ["/api/v1/orders/SO-00000001"]},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response of an earlier request with the same "
        "`Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}


def sends(status: int, *headers: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry declaring the headers a route's success response carries."""
    return {status: {"headers": {name: _HEADERS[name] for name in headers}}}


def by_line_no(pairs: Iterable[tuple[int, V]], what: str) -> dict[int, V]:
    """``{line_no: value}`` of a body's ``lines``; a line named twice is refused, never merged."""
    found: dict[int, V] = {}
    for index, (line_no, value) in enumerate(pairs):
        if line_no in found:
            raise ValidationFailed(
                f"line {line_no} appears twice in the {what}", field=f"lines[{index}].line_no"
            )
        found[line_no] = value
    return found


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Public, Generic[T]):
    """One page of a list; ask for the next with ``offset=next_offset`` until it is null."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None


def page_of(
    model: type[Public], items: list[dict[str, Any]], limit: int, offset: int, next_offset: int | None
) -> Any:
    return {
        "items": [model.model_validate(i) for i in items],
        "limit": limit,
        "offset": offset,
        "next_offset": next_offset,
    }


class EventPublic(Public):
    entity_type: str
    entity_id: str
    event_type: str
    occurred_at: datetime
    actor: str
    payload: dict[str, Any]
