"""Idempotent creation for requests other than orders (orders keep their key on the order itself).

A key is claimed in a transaction of its own before the work starts, so a concurrent retry finds it
claimed; the response is stored once the work committed; a failed attempt releases the claim so that a
corrected retry can use the key.
"""

from __future__ import annotations

from typing import Any

from o2c.domain.errors import Conflict, IdempotencyConflict
from o2c.store.uow import UnitOfWork
from o2c.store.users import IdempotencyStore, StoredResponse


def claim_key(uow: UnitOfWork, user_id: int, key: str, request_hash: str) -> StoredResponse | None:
    """None: the key is new and now ours. Otherwise the stored response of the same request.

    Raises IdempotencyConflict for the key used with another request, Conflict while the first request
    with it is still running.
    """
    with uow:
        stored = IdempotencyStore(uow.connection).claim(user_id, key, request_hash, uow.clock.now())
        uow.commit()
    if stored is None:
        return None
    if stored.request_hash != request_hash:
        raise IdempotencyConflict(
            f"idempotency key {key!r} was used for a different request", idempotency_key=key
        )
    if stored.status_code is None:
        raise Conflict(f"a request with idempotency key {key!r} is still in progress", idempotency_key=key)
    return stored


def store_response(uow: UnitOfWork, user_id: int, key: str, status_code: int, response: Any) -> None:
    with uow:
        IdempotencyStore(uow.connection).complete(user_id, key, status_code, response)
        uow.commit()


def release_key(uow: UnitOfWork, user_id: int, key: str) -> None:
    with uow:
        IdempotencyStore(uow.connection).release(user_id, key)
        uow.commit()
