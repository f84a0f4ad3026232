"""Users, API tokens, the audit trail and stored idempotent responses: rows in, plain objects out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from o2c.domain.access import Role
from o2c.domain.errors import Conflict, NotFound
from o2c.store.auth_tables import api_tokens, audit_log, idempotent_requests, users
from o2c.store.driver import Prepared
from o2c.store.master_tables import customers


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    customer_id: int | None
    customer_code: str | None
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user_id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: Any
    after: Any


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status_code: int | None  # None: the first request with this key has not finished
    response: Any


_user_columns = (
    users.c.id,
    users.c.username,
    users.c.role,
    users.c.customer_id,
    customers.c.code.label("customer_code"),
    users.c.active,
    users.c.created_at,
)
_users = select(*_user_columns).outerjoin(customers, customers.c.id == users.c.customer_id)
# One read per API request: the token's user, if the token is live. Prepared (see store.driver), as
# is the audit entry every change over the API writes.
_by_token = Prepared(
    select(*_user_columns, api_tokens.c.expires_at, api_tokens.c.revoked_at)
    .join(users, users.c.id == api_tokens.c.user_id)
    .outerjoin(customers, customers.c.id == users.c.customer_id)
    .where(api_tokens.c.token_hash == bindparam("token_hash"))
)
_AUDIT_COLUMNS = ("occurred_at", "actor", "action", "entity_type", "entity_id", "before", "after")
_insert_audit = Prepared(insert(audit_log), column_keys=_AUDIT_COLUMNS)


def _user(row: Any) -> User:
    return User(
        row.id, row.username, Role(row.role), row.customer_id, row.customer_code, row.active, row.created_at
    )


def _token(row: Any) -> TokenInfo:
    return TokenInfo(row.id, row.user_id, row.name, row.created_at, row.expires_at, row.revoked_at)


class UserRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self, username: str, password_hash: str, role: Role, customer_id: int | None, now: datetime
    ) -> User:
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(users),
                    {
                        "username": username,
                        "password_hash": password_hash,
                        "role": role.value,
                        "customer_id": customer_id,
                        "created_at": now,
                    },
                )
        except IntegrityError:
            raise Conflict(f"user {username} already exists", username=username) from None
        return self.get(username)

    def get(self, username: str) -> User:
        row = self._conn.execute(_users.where(users.c.username == username)).first()
        if row is None:
            raise NotFound(f"user {username} does not exist", username=username)
        return _user(row)

    def password_hash(self, username: str) -> tuple[User, str] | None:
        row = self._conn.execute(
            select(*_user_columns, users.c.password_hash)
            .outerjoin(customers, customers.c.id == users.c.customer_id)
            .where(users.c.username == username)
        ).first()
        return None if row is None else (_user(row), row.password_hash)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))

    def set_active(self, user_id: int, active: bool) -> None:
        self._conn.execute(update(users).where(users.c.id == user_id).values(active=active))

    def all(self, limit: int | None = None, offset: int = 0) -> list[User]:
        query = _users.order_by(users.c.username).limit(limit).offset(offset)
        return [_user(r) for r in self._conn.execute(query)]

    def count(self) -> int:
        return len(self._conn.execute(select(users.c.id)).all())

    # --- tokens ------------------------------------------------------------------------------

    def add_token(
        self, user_id: int, token_hash: str, name: str, now: datetime, expires_at: datetime | None
    ) -> TokenInfo:
        token_id = self._conn.execute(
            insert(api_tokens).returning(api_tokens.c.id),
            {
                "user_id": user_id,
                "token_hash": token_hash,
                "name": name,
                "created_at": now,
                "expires_at": expires_at,
            },
        ).scalar_one()
        return self.token(int(token_id))

    def token(self, token_id: int) -> TokenInfo:
        row = self._conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise NotFound(f"token {token_id} does not exist", token_id=token_id)
        return _token(row)

    def tokens_of(self, user_id: int, limit: int | None = None, offset: int = 0) -> list[TokenInfo]:
        rows = self._conn.execute(
            select(api_tokens)
            .where(api_tokens.c.user_id == user_id)
            .order_by(api_tokens.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_token(r) for r in rows]

    def revoke_token(self, token_id: int, now: datetime) -> None:
        self._conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def user_of_token(self, token_hash: str) -> tuple[User, datetime | None, datetime | None] | None:
        """The token's user, its expiry and its revocation time; None for an unknown token."""
        row = _by_token.first(self._conn, {"token_hash": token_hash})
        return None if row is None else (_user(row), row.expires_at, row.revoked_at)


class AuditTrail:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, entry: AuditEntry) -> None:
        _insert_audit.execute(
            self._conn,
            {
                "occurred_at": entry.occurred_at,
                "actor": entry.actor,
                "action": entry.action,
                "entity_type": entry.entity_type,
                "entity_id": entry.entity_id,
                "before": entry.before,
                "after": entry.after,
            },
        )

    def entries(
        self, *, entity_type: str | None, entity_id: str | None, limit: int, offset: int
    ) -> list[AuditEntry]:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
        if entity_type is not None:
            query = query.where(audit_log.c.entity_type == entity_type)
        if entity_id is not None:
            query = query.where(audit_log.c.entity_id == entity_id)
        return [
            AuditEntry(r.occurred_at, r.actor, r.action, r.entity_type, r.entity_id, r.before, r.after)
            for r in self._conn.execute(query)
        ]


class IdempotencyStore:
    """Responses of creating requests by (user, Idempotency-Key), so a retried request gets the same
    answer and creates nothing twice."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def claim(self, user_id: int, key: str, request_hash: str, now: datetime) -> StoredResponse | None:
        """Claim the key for a new request; if it was claimed before, what is stored under it."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(idempotent_requests),
                    {"user_id": user_id, "key": key, "request_hash": request_hash, "created_at": now},
                )
        except IntegrityError:
            row = self._conn.execute(
                select(idempotent_requests).where(
                    idempotent_requests.c.user_id == user_id, idempotent_requests.c.key == key
                )
            ).one()
            return StoredResponse(row.request_hash, row.status_code, row.response)
        return None

    def complete(self, user_id: int, key: str, status_code: int, response: Any) -> None:
        self._conn.execute(
            update(idempotent_requests)
            .where(idempotent_requests.c.user_id == user_id, idempotent_requests.c.key == key)
            .values(status_code=status_code, response=response)
        )

    def release(self, user_id: int, key: str) -> None:
        """Forget a claim whose request failed, so that a corrected retry may use the key."""
        self._conn.execute(
            delete(idempotent_requests).where(
                idempotent_requests.c.user_id == user_id,
                idempotent_requests.c.key == key,
                idempotent_requests.c.status_code.is_(None),
            )
        )
