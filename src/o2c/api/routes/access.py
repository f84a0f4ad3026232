"""Logging in, API tokens, users (admin) and the audit trail (admin)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field

from o2c.api.deps import CurrentUser, IdempotencyKey, RuntimeDep, WindowDep, require
from o2c.api.idempotency import idempotent
from o2c.api.schemas import Page, Public, sends
from o2c.api.schemas import Request as Body
from o2c.domain.access import Capability, NotAuthenticated, Role
from o2c.domain.errors import NotFound
from o2c.services import access
from o2c.store.users import TokenInfo, User

router = APIRouter(tags=["access"])


class LoginCreate(Body):
    """A username and password, exchanged for an API token that expires."""

    username: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    name: Annotated[str, Field(max_length=100)] = "login"

    model_config = {
        "json_schema_extra": {"examples": [{"username": "ada", "password": "correct horse battery"}]}
    }


class TokenCreate(Body):
    """A name to tell the token by, and how long it lives (default: until revoked)."""

    name: Annotated[str, Field(max_length=100)] = ""
    expires_in_days: Annotated[int | None, Field(ge=1, le=3650)] = None

    model_config = {"json_schema_extra": {"examples": [{"name": "edi-gateway", "expires_in_days": 90}]}}


class TokenPublic(Public):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class IssuedTokenPublic(TokenPublic):
    token: str | None = Field(
        description="The secret: shown this once, never again (null in an idempotent replay)."
    )


class UserPublic(Public):
    username: str
    role: Role
    customer: str | None
    active: bool
    created_at: datetime


class UserCreate(Body):
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")]
    password: Annotated[str, Field(min_length=12, max_length=1024)]
    role: Role
    customer: Annotated[str | None, Field(min_length=1, max_length=40)] = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "username": "shop-acme",
                    "password": "a long secret phrase",
                    "role": "portal",
                    "customer": "C-ACME",
                }
            ]
        }
    }


class AuditPublic(Public):
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: Any
    after: Any


def _user(user: User) -> UserPublic:
    return UserPublic(
        username=user.username,
        role=user.role,
        customer=user.customer_code,
        active=user.active,
        created_at=user.created_at,
    )


def _issued(issued: access.IssuedToken) -> IssuedTokenPublic:
    return IssuedTokenPublic(**asdict(issued.info) | {"token": issued.token})


def _token(info: TokenInfo) -> TokenPublic:
    return TokenPublic.model_validate(info, from_attributes=True)


@router.post("/auth/token", status_code=201, response_model=IssuedTokenPublic, tags=["access"])
def log_in(body: LoginCreate, request: Request, runtime: RuntimeDep) -> IssuedTokenPublic:
    """Exchange a username and password for an API token; failed logins are rate-limited."""
    address = request.client.host if request.client else "unknown"
    runtime.logins.check(body.username, address)
    try:
        user = access.verify_password(runtime.uow(), body.username, body.password)
    except NotAuthenticated:
        runtime.logins.failed(body.username, address)
        raise
    runtime.logins.succeeded(body.username, address)
    hours = timedelta(hours=runtime.settings.login_token_hours)
    return _issued(
        access.issue_token(
            runtime.uow(), user.username, name=body.name, expires_in=hours, actor=user.username
        )
    )


@router.get("/auth/me", response_model=UserPublic)
def who_am_i(user: CurrentUser) -> UserPublic:
    """The user the bearer token stands for."""
    return _user(user)


@router.get("/auth/tokens", response_model=Page[TokenPublic])
def my_tokens(user: CurrentUser, runtime: RuntimeDep, paging: WindowDep) -> object:
    """The caller's own tokens, oldest first (never the secrets)."""
    return paging.page(
        _token, lambda limit, offset: access.tokens_of(runtime.uow(), user.username, limit, offset)
    )


@router.post(
    "/auth/tokens",
    status_code=201,
    response_model=IssuedTokenPublic,
    responses=sends(201, "Idempotent-Replayed"),
)
def create_my_token(
    body: TokenCreate, user: CurrentUser, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> object:
    """Create another token for the caller; the secret is in this response only (not in a replay)."""
    expires = timedelta(days=body.expires_in_days) if body.expires_in_days else None

    def create() -> tuple[IssuedTokenPublic, dict[str, str]]:
        issued = access.issue_token(
            runtime.uow(), user.username, name=body.name, expires_in=expires, actor=user.username
        )
        return _issued(issued), {}

    return idempotent(
        runtime, user, idempotency_key, "POST /auth/tokens", body, create, secret=frozenset({"token"})
    )


@router.post("/auth/tokens/{token_id}/revoke", response_model=TokenPublic)
def revoke_my_token(
    token_id: Annotated[int, Path(ge=1, le=2**62)], user: CurrentUser, runtime: RuntimeDep
) -> TokenPublic:
    """Revoke one of the caller's tokens; it stops working at once."""
    return _token(access.revoke_token(runtime.uow(), token_id, owner=user, actor=user.username))


@router.get("/users", response_model=Page[UserPublic])
def list_users(
    user: Annotated[User, require(Capability.MANAGE_USERS)], runtime: RuntimeDep, paging: WindowDep
) -> object:
    """List users with their roles, by username."""
    return paging.page(_user, lambda limit, offset: access.list_users(runtime.uow(), limit, offset))


@router.post(
    "/users",
    status_code=201,
    response_model=UserPublic,
    responses=sends(201, "Location", "Idempotent-Replayed"),
)
def create_user(
    body: UserCreate,
    user: Annotated[User, require(Capability.MANAGE_USERS)],
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> object:
    """Create a user; a portal user names its one customer account."""
    request = access.NewUser(**body.model_dump())

    def create() -> tuple[UserPublic, dict[str, str]]:
        created = access.create_user(runtime.uow(), request, actor=user.username)
        return _user(created), {"Location": f"/api/v1/users/{created.username}"}

    return idempotent(
        runtime, user, idempotency_key, "POST /users", body, create, secret=frozenset({"password"})
    )


@router.post("/users/{username}/tokens/{token_id}/revoke", response_model=TokenPublic)
def revoke_user_token(
    username: Annotated[str, Path(max_length=100)],
    token_id: Annotated[int, Path(ge=1, le=2**62)],
    user: Annotated[User, require(Capability.MANAGE_USERS)],
    runtime: RuntimeDep,
) -> TokenPublic:
    """Revoke any user's token."""
    owner = next((u for u in access.list_users(runtime.uow()) if u.username == username), None)
    if owner is None:
        raise NotFound(f"user {username} does not exist", username=username)
    return _token(access.revoke_token(runtime.uow(), token_id, owner=owner, actor=user.username))


@router.get("/audit", response_model=Page[AuditPublic])
def audit_trail(
    user: Annotated[User, require(Capability.MANAGE_USERS)],
    runtime: RuntimeDep,
    paging: WindowDep,
    entity_type: Annotated[str | None, Query(min_length=1, max_length=30)] = None,
    entity_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> object:
    """The audit trail, newest first: who changed what, when, before and after."""
    return paging.page(
        AuditPublic.model_validate,
        lambda limit, offset: access.audit_entries(
            runtime.uow(), entity_type=entity_type, entity_id=entity_id, limit=limit, offset=offset
        ),
    )
