"""Tables of the HTTP API's access control: users, API tokens, the audit trail, idempotent responses.

Passwords are stored as argon2 hashes and tokens as SHA-256 digests (a token is 256 random bits, so a
fast digest is enough and keeps the per-request look-up cheap); neither can be read back.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table

from o2c.store.columns import id_column as _id
from o2c.store.columns import metadata
from o2c.store.types import UTCDateTime

ROLES = ("admin", "sales", "warehouse", "purchasing", "finance", "portal")

users = Table(
    "users",
    metadata,
    _id(),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("customer_id", ForeignKey("customers.id"), nullable=True),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint(f"role IN {ROLES!r}", name="role"),
    # A portal user belongs to exactly one customer account; staff to none.
    CheckConstraint("(role = 'portal') = (customer_id IS NOT NULL)", name="portal_customer"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    _id(),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_api_tokens_user", "user_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    _id(),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(100), nullable=False),
    Column("entity_type", String(30), nullable=False),
    Column("entity_id", String(100), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Index("ix_audit_log_entity", "entity_type", "entity_id"),
)

idempotent_requests = Table(
    "idempotent_requests",
    metadata,
    _id(),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),  # None while the first request is in flight
    Column("response", JSON, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_idempotent_requests_user_key", "user_id", "key", unique=True),
)
