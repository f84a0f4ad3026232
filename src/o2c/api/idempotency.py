"""``Idempotency-Key`` for creating requests whose service has no key of its own."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from o2c.api.deps import Runtime
from o2c.services.idempotency import claim_key, release_key, store_response
from o2c.store.users import User

REPLAYED = "Idempotent-Replayed"


def idempotent(
    runtime: Runtime,
    user: User,
    key: str | None,
    what: str,
    body: BaseModel | None,
    create: Callable[[], tuple[BaseModel, dict[str, str]]],
    status_code: int = 201,
    *,
    secret: frozenset[str] = frozenset(),
) -> JSONResponse:
    """Run ``create`` once per (user, key); a retry with the same request gets the stored response.

    Fields named in ``secret`` (a password, a token) are neither fingerprinted nor stored: a replay
    answers without them, since a secret is shown once.
    """
    if key is None:
        result, headers = create()
        return JSONResponse(result.model_dump(mode="json"), status_code, headers=headers)
    request_body = body.model_dump_json(exclude=set(secret)) if body is not None else ""
    digest = hashlib.sha256(f"{what}\n{request_body}".encode()).hexdigest()
    stored = claim_key(runtime.uow(), user.id, key, digest)
    if stored is not None:
        assert stored.status_code is not None
        content, headers = stored.response["body"], stored.response["headers"]
        return JSONResponse(content, stored.status_code, headers={**headers, REPLAYED: "true"})
    try:
        result, headers = create()
    except BaseException:
        release_key(runtime.uow(), user.id, key)
        raise
    content = result.model_dump(mode="json")
    kept = {k: None if k in secret else v for k, v in content.items()}
    store_response(runtime.uow(), user.id, key, status_code, {"body": kept, "headers": headers})
    return JSONResponse(content, status_code, headers=headers)
