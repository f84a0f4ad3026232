"""Users, tokens and the audit trail in the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from o2c.domain.access import NotAuthenticated, Role
from o2c.domain.clock import ManualClock
from o2c.domain.errors import Conflict, NotFound, ValidationFailed
from o2c.services.access import (
    NewUser,
    audit_entries,
    authenticate,
    create_user,
    issue_token,
    revoke_token,
    set_user_active,
    verify_password,
)
from o2c.store.auth_tables import api_tokens, users
from o2c.store.uow import UnitOfWork
from tests.factories import add_customer

PASSWORD = "a sufficiently long secret"


def _user(uow: UnitOfWork, name: str = "ada", role: Role = Role.SALES, customer: str | None = None) -> None:
    create_user(uow, NewUser(username=name, password=PASSWORD, role=role, customer=customer))


def test_a_password_is_stored_only_as_an_argon2_hash_and_verifies(uow: UnitOfWork, engine: Engine) -> None:
    _user(uow)

    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(uow, "ada", PASSWORD).role is Role.SALES
    with pytest.raises(NotAuthenticated):
        verify_password(uow, "ada", PASSWORD + "!")


def test_a_portal_user_needs_a_known_customer_and_staff_have_none(uow: UnitOfWork, engine: Engine) -> None:
    add_customer(engine, "C1")

    with pytest.raises(ValidationFailed) as no_customer:
        _user(uow, "p", Role.PORTAL)
    with pytest.raises(ValidationFailed) as unknown:
        _user(uow, "p", Role.PORTAL, "C-NONE")
    with pytest.raises(ValidationFailed):
        _user(uow, "s", Role.SALES, "C1")
    _user(uow, "p", Role.PORTAL, "C1")

    assert no_customer.value.field == unknown.value.field == "customer"
    assert [e.entity_id for e in audit_entries(uow, entity_type="user")] == ["p"]


def test_usernames_are_unique_and_short_passwords_refused(uow: UnitOfWork) -> None:
    _user(uow)

    with pytest.raises(Conflict):
        _user(uow)
    with pytest.raises(ValueError):
        NewUser(username="bob", password="short", role=Role.SALES)


def test_a_token_is_stored_as_a_digest_and_authenticates_its_user(uow: UnitOfWork, engine: Engine) -> None:
    _user(uow)

    issued = issue_token(uow, "ada", name="ci")

    with engine.connect() as conn:
        digest = conn.execute(select(api_tokens.c.token_hash)).scalar_one()
    assert issued.token not in digest and len(digest) == 64
    assert authenticate(uow, issued.token).username == "ada"
    with pytest.raises(NotAuthenticated):
        authenticate(uow, issued.token + "x")


def test_revoked_expired_and_deactivated_tokens_are_refused(uow: UnitOfWork, clock: ManualClock) -> None:
    _user(uow)
    revoked = issue_token(uow, "ada")
    expiring = issue_token(uow, "ada", expires_in=timedelta(hours=1))
    revoke_token(uow, revoked.info.id)

    with pytest.raises(NotAuthenticated, match="revoked"):
        authenticate(uow, revoked.token)
    assert authenticate(uow, expiring.token).username == "ada"
    clock.advance(timedelta(hours=1))
    with pytest.raises(NotAuthenticated, match="expired"):
        authenticate(uow, expiring.token)

    lasting = issue_token(uow, "ada")
    set_user_active(uow, "ada", False)
    with pytest.raises(NotAuthenticated, match="deactivated"):
        authenticate(uow, lasting.token)


def test_only_the_owner_may_revoke_through_the_owner_check(uow: UnitOfWork) -> None:
    _user(uow, "ada")
    _user(uow, "bob")
    bob = verify_password(uow, "bob", PASSWORD)
    token = issue_token(uow, "ada")

    with pytest.raises(NotFound):
        revoke_token(uow, token.info.id, owner=bob)
    assert authenticate(uow, token.token).username == "ada"


def test_user_and_token_changes_are_audited_with_before_and_after(uow: UnitOfWork) -> None:
    _user(uow)
    token = issue_token(uow, "ada", actor="admin")
    revoke_token(uow, token.info.id, actor="admin")

    trail = audit_entries(uow)

    assert [(e.action, e.actor) for e in trail] == [
        ("token.revoked", "admin"),
        ("token.created", "admin"),
        ("user.created", "system"),
    ]
    assert trail[0].before == {"revoked_at": None} and trail[0].after["revoked_at"] is not None
