"""What routes depend on, as ``Annotated`` aliases: the runtime, the caller, paging and headers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from o2c.api.limits import FailedLogins
from o2c.api.schemas import Instant
from o2c.api.settings import ApiSettings
from o2c.domain.access import Capability, NotAuthenticated, NotPermitted, Role, may
from o2c.domain.clock import Clock
from o2c.domain.errors import ValidationFailed
from o2c.services.access import authenticate
from o2c.services.audit import AuditedUnitOfWork, content_tag, document_tag
from o2c.services.browsing import Criteria
from o2c.store.uow import UnitOfWork
from o2c.store.users import User


@dataclass
class Runtime:
    """What the app holds for its lifetime: settings, the engine, the clock and the login limiter."""

    settings: ApiSettings
    engine: Engine
    clock: Clock
    logins: FailedLogins

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.clock)

    def tag(self, response: Response, entity_type: str, key: str) -> None:
        """Send the current ETag of a document without a version (read before the document itself,
        so that a change in between makes the tag stale, never too new)."""
        tag = document_tag(self.uow(), entity_type, key)
        if tag is not None:
            response.headers["ETag"] = etag(tag)

    def audited(
        self,
        user: User,
        action: str,
        subject: tuple[str, str] | None = None,
        expected_version: int | str | None = None,
    ) -> AuditedUnitOfWork:
        return AuditedUnitOfWork(
            self.engine,
            self.clock,
            actor=user.username,
            action=action,
            subject=subject,
            expected_version=expected_version,
        )


async def _runtime(request: Request) -> Runtime:  # async: no I/O, no thread hop
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer o2c_…`")


def _current_user(
    runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    if credentials is None:
        raise NotAuthenticated("send an API token: Authorization: Bearer <token>")
    return authenticate(runtime.uow(), credentials.credentials)


CurrentUser = Annotated[User, Depends(_current_user)]


def require(capability: Capability) -> Any:
    """A dependency yielding the caller, if their role holds ``capability`` (else 403)."""

    async def check(user: CurrentUser) -> User:
        if not may(user.role, capability):
            raise NotPermitted(
                f"role {user.role} may not {capability.replace('_', ' ')}", capability=str(capability)
            )
        return user

    return Depends(check)


def scope_of(user: User) -> str | None:
    """The one customer a portal user's look-ups are limited to; None for staff."""
    return user.customer_code if user.role is Role.PORTAL else None


def _query_names(dependant: Dependant) -> frozenset[str]:
    names = frozenset(f.alias for f in dependant.query_params)
    return names.union(*(_query_names(d) for d in dependant.dependencies))


_known_queries: dict[tuple[str, ...], frozenset[str]] = {}  # (path, methods) -> the query parameters


async def known_query(request: Request) -> None:
    """Refuse a query parameter the route does not take: an ignored filter would answer another question."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    key = (route.path, *sorted(route.methods or ()))
    known = _known_queries.get(key)
    if known is None:
        known = _known_queries[key] = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = f"use one of {', '.join(sorted(known))}" if known else "it takes none"
        raise ValidationFailed(f"unknown query parameter {unknown[0]!r}: {takes}", field=unknown[0])


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int
    sort: str | None = None

    def page(
        self, convert: Callable[[Any], Any], fetch: Callable[[int, int], Sequence[Any]]
    ) -> dict[str, Any]:
        """A :class:`~o2c.api.schemas.Page` of what ``fetch(limit, offset)`` reads, each row converted.

        It asks for one row more than the page holds, to know whether another page follows.
        """
        rows = fetch(self.limit + 1, self.offset)
        more = len(rows) > self.limit
        return {
            "items": [convert(r) for r in rows[: self.limit]],
            "limit": self.limit,
            "offset": self.offset,
            "next_offset": self.offset + self.limit if more else None,
        }


async def _window(
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, description="Items per page (at most the server's maximum).")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Paging:
    if limit > runtime.settings.page_limit_max:
        raise ValidationFailed(
            f"limit {limit} is over the maximum of {runtime.settings.page_limit_max}", field="limit"
        )
    return Paging(limit, offset)


async def _paging(
    window: Annotated[Paging, Depends(_window)],
    sort: Annotated[
        str | None,
        Query(min_length=1, max_length=40, description="A column to sort by; `-column` for descending."),
    ] = None,
) -> Paging:
    return replace(window, sort=sort)


WindowDep = Annotated[Paging, Depends(_window)]
"""``limit`` and ``offset`` of a list in one fixed order."""
PagingDep = Annotated[Paging, Depends(_paging)]
"""``limit``, ``offset`` and ``sort`` of a sortable list."""

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=150,
        pattern=r"^[\x21-\x7e]+$",
        description="Retrying with the same key returns the first response and creates nothing twice; "
        "the same key with another body is a 409.",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=100,
        description='The ETag read with the document (an order\'s is its version, e.g. `"3"`): the '
        "action happens only if the document is unchanged since (else 409).",
    ),
]


def expected_version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header names (``"3"`` or ``W/"3"``); None without the header."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 12:
        raise ValidationFailed(f"If-Match {if_match!r} is not an ETag of this API", field="If-Match")
    return int(tag)


def expected_tag(if_match: str | None) -> str | None:
    """The content tag an ``If-Match`` header names (documents without a version); None without it."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if len(tag) != 16 or tag.strip("0123456789abcdef"):
        raise ValidationFailed(f"If-Match {if_match!r} is not an ETag of this API", field="If-Match")
    return tag


def etag(version: int | str) -> str:
    return f'"{version}"'


def tag_after(response: Response, uow: AuditedUnitOfWork) -> None:
    """Send the ETag of the document as an action left it (a document without a version)."""
    if isinstance(uow.after, dict):
        response.headers["ETag"] = etag(content_tag(uow.after))


@dataclass(frozen=True)
class Filters:
    status: str | None
    customer: str | None
    since: Instant | None
    until: Instant | None

    def criteria(self, user: User, **equal: str | None) -> Criteria:
        """The filters as asked, a portal user's always limited to their own customer."""
        own = scope_of(user)
        return Criteria(
            status=self.status,
            customer=own if own is not None else self.customer,
            since=self.since,
            until=self.until,
            equal={k: v for k, v in equal.items() if v is not None},
        )


async def _filters(
    status: Annotated[
        str | None, Query(min_length=1, max_length=30, description="Only documents in this status.")
    ] = None,
    customer: Annotated[
        str | None, Query(min_length=1, max_length=40, description="Only this customer's (code).")
    ] = None,
    since: Annotated[Instant | None, Query(description="From this instant (inclusive).")] = None,
    until: Annotated[Instant | None, Query(description="Before this instant.")] = None,
) -> Filters:
    return Filters(status, customer, since, until)


FiltersDep = Annotated[Filters, Depends(_filters)]
