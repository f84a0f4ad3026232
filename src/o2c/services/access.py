"""Access: users with argon2 password hashes, API tokens (random, stored as digests, shown once,
revocable, optionally expiring), and the authentication of a request's token.

Every change to users and tokens is written to the audit trail in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from o2c.domain.access import NotAuthenticated, NotPermitted, Role, needs_customer
from o2c.domain.errors import NotFound, ValidationFailed
from o2c.store.database import statement_reads
from o2c.store.uow import UnitOfWork, retrying
from o2c.store.users import AuditEntry, AuditTrail, TokenInfo, User, UserRepository

TOKEN_PREFIX = "o2c_"
_hasher = PasswordHasher()
# Verified when the username is unknown, so a miss takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no such user: the time of a miss matches a wrong password")

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")]
Password = Annotated[str, Field(min_length=12, max_length=1024)]


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: Username
    password: Password
    role: Role
    customer: Annotated[str, Field(min_length=1, max_length=40)] | None = None


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the secret itself: shown to its owner once, never stored
    info: TokenInfo


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _users(uow: UnitOfWork) -> UserRepository:
    return UserRepository(uow.connection)


def _audit(
    uow: UnitOfWork, actor: str, action: str, entity_type: str, entity_id: str, **change: object
) -> None:
    AuditTrail(uow.connection).add(
        AuditEntry(
            uow.clock.now(), actor, action, entity_type, entity_id, change.get("before"), change.get("after")
        )
    )


def _public(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "role": str(user.role),
        "customer": user.customer_code,
        "active": user.active,
    }


@retrying()
def create_user(uow: UnitOfWork, request: NewUser, actor: str = "system") -> User:
    """A user with a role; a portal user names the one customer account it acts for."""
    if needs_customer(request.role) != (request.customer is not None):
        raise ValidationFailed(
            "a portal user needs a customer, and only a portal user has one", field="customer"
        )
    password_hash = _hasher.hash(request.password)
    with uow:
        customer_id = _customer_id(uow, request.customer) if request.customer else None
        user = _users(uow).add(request.username, password_hash, request.role, customer_id, uow.clock.now())
        _audit(uow, actor, "user.created", "user", user.username, after=_public(user))
        uow.commit()
        return user


def _customer_id(uow: UnitOfWork, code: str) -> int:
    try:
        return uow.master.customer(code).id
    except NotFound:
        raise ValidationFailed(f"customer {code} does not exist", field="customer") from None


@retrying()
def set_user_active(uow: UnitOfWork, username: str, active: bool, actor: str = "system") -> User:
    with uow:
        repo = _users(uow)
        before = repo.get(username)
        repo.set_active(before.id, active)
        after = repo.get(username)
        _audit(
            uow,
            actor,
            "user.activated" if active else "user.deactivated",
            "user",
            username,
            before=_public(before),
            after=_public(after),
        )
        uow.commit()
        return after


def list_users(uow: UnitOfWork, limit: int | None = None, offset: int = 0) -> list[User]:
    """Users by username; ``limit`` of them from ``offset`` (default: all)."""
    with uow:
        return _users(uow).all(limit, offset)


def verify_password(uow: UnitOfWork, username: str, password: str) -> User:
    """The active user with this password; anything else is one and the same refusal."""
    with uow:
        found = _users(uow).password_hash(username)
    stored = found[1] if found else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        found = None
    if found is None or not found[0].active:
        raise NotAuthenticated("wrong username or password")
    return found[0]


@retrying()
def issue_token(
    uow: UnitOfWork,
    username: str,
    *,
    name: str = "",
    expires_in: timedelta | None = None,
    actor: str = "system",
) -> IssuedToken:
    """A new random token for a user; only its digest is stored, so this is the one time it is seen."""
    if expires_in is not None and expires_in <= timedelta(0):
        raise ValidationFailed("a token must expire in the future", field="expires_in_days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        repo = _users(uow)
        user = repo.get(username)
        now = uow.clock.now()
        info = repo.add_token(
            user.id, token_digest(token), name, now, now + expires_in if expires_in else None
        )
        _audit(
            uow,
            actor,
            "token.created",
            "token",
            str(info.id),
            after={"user": username, "name": name, "expires_at": _iso(info.expires_at)},
        )
        uow.commit()
        return IssuedToken(token, info)


@retrying()
def revoke_token(
    uow: UnitOfWork, token_id: int, *, owner: User | None = None, actor: str = "system"
) -> TokenInfo:
    """Revoke a token for good; with ``owner``, only a token of that user (another's is unknown)."""
    with uow:
        repo = _users(uow)
        before = repo.token(token_id)
        if owner is not None and before.user_id != owner.id:
            raise NotFound(f"token {token_id} does not exist", token_id=token_id)
        repo.revoke_token(token_id, uow.clock.now())
        after = repo.token(token_id)
        _audit(
            uow,
            actor,
            "token.revoked",
            "token",
            str(token_id),
            before={"revoked_at": _iso(before.revoked_at)},
            after={"revoked_at": _iso(after.revoked_at)},
        )
        uow.commit()
        return after


def tokens_of(uow: UnitOfWork, username: str, limit: int | None = None, offset: int = 0) -> list[TokenInfo]:
    """A user's tokens, oldest first; ``limit`` of them from ``offset`` (default: all)."""
    with uow:
        repo = _users(uow)
        return repo.tokens_of(repo.get(username).id, limit, offset)


def authenticate(uow: UnitOfWork, token: str) -> User:
    """The user a bearer token stands for, if the token is known, live and its user active."""
    # One read, on every request: no write transaction (on SQLite, no queueing for the write lock),
    # and on PostgreSQL no transaction at all.
    with statement_reads(uow.engine) as conn:
        found = UserRepository(conn).user_of_token(token_digest(token))
    now = uow.clock.now()
    if found is None:
        raise NotAuthenticated("unknown API token")
    user, expires_at, revoked_at = found
    if revoked_at is not None:
        raise NotAuthenticated("the API token was revoked")
    if expires_at is not None and expires_at <= now:
        raise NotAuthenticated("the API token has expired")
    if not user.active:
        raise NotAuthenticated(f"user {user.username} is deactivated")
    return user


def ensure_admin_exists(uow: UnitOfWork) -> None:
    with uow:
        if not any(u.role is Role.ADMIN and u.active for u in _users(uow).all()):
            raise NotPermitted("no active admin user exists: create one with `o2c user create`")


def audit_entries(
    uow: UnitOfWork,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AuditEntry]:
    with uow:
        return AuditTrail(uow.connection).entries(
            entity_type=entity_type, entity_id=entity_id, limit=limit, offset=offset
        )


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None
